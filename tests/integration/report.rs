//! The design-review report (issue 12): each command writes a
//! self-contained `report.html` (well-formed, nothing external, an inline
//! SVG per chart, the summary table, under 5 MB) and `report.md`; names
//! from the model are escaped; `resim report DIR` rebuilds the same page;
//! binned readings land in the bin of the event that changed them.
// See: issue 12

use std::path::Path;

use super::util::{repo, resim, scratch};

/// Checks that `html` is well-formed enough to parse: every non-void
/// element closes in order, and no tag is left open.
fn assert_well_formed(html: &str) {
    const VOID: [&str; 6] = ["meta", "br", "hr", "img", "input", "link"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("an unclosed tag");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().unwrap_or_default();
            assert_eq!(open, name.trim(), "</{name}> closes <{open}>");
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        assert!(!name.is_empty(), "a bare '<' in the text: <{tag}>");
        if tag.ends_with('/') || VOID.contains(&name.as_str()) {
            continue;
        }
        stack.push(name);
    }
    assert!(stack.is_empty(), "left open: {stack:?}");
}

/// Checks that `html` loads nothing: no `src` or `href`, no URL but a
/// fragment, no script.
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        " src=", " href=", "http://", "https://", "<script", "@import",
    ] {
        assert!(!lower.contains(bad), "report holds '{bad}'");
    }
    for (i, _) in lower.match_indices("url(") {
        assert!(lower[i..].starts_with("url(#"), "an external url(");
    }
}

/// The charts `summary.json` lists for the report, key and secondary.
fn listed_charts(dir: &Path) -> usize {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    v["charts"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["key"].as_array().unwrap().len() + c["secondary"].as_array().unwrap().len())
        .sum()
}

fn check_report(dir: &Path) -> String {
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert_well_formed(&html);
    assert_self_contained(&html);
    assert!(html.contains("<table class=\"summary\">"), "summary table");
    let charts = listed_charts(dir);
    assert!(charts > 0);
    assert_eq!(html.matches("<svg class=\"chart\"").count(), charts);
    let md = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    assert!(md.contains("## Summary"));
    assert_eq!(md.matches(".png)").count(), charts);
    html
}

#[test]
fn run_report_of_the_resilient_system_is_self_contained_and_small() {
    let dir = scratch("report-run");
    let model = repo().join("models/resilient-system.toml");
    let out = resim(
        &dir,
        &[
            "run",
            model.to_str().unwrap(),
            "--trials",
            "2",
            "--out",
            "r",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("");
    assert!(last.ends_with("report.html"), "last line: {last}");
    let r = dir.join("r");
    let html = check_report(&r);
    let size = std::fs::metadata(r.join("report.html")).unwrap().len();
    assert!(size < 5_000_000, "report.html is {size} bytes");
    // The topology diagram, and a scenario per section.
    assert!(html.contains("<svg class=\"topology\""));
    for s in ["node-crash", "disk-full", "rolling-update"] {
        assert!(html.contains(&format!("id=\"scenario-{s}\"")), "{s}");
        assert!(r.join(s).join("success.svg").is_file() || html.contains("Flat, not drawn"));
    }
    // A folder per scenario; the top holds only the report and tables.
    let mut top: Vec<String> = std::fs::read_dir(&r)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains('.'))
        .collect();
    top.sort();
    assert_eq!(
        top,
        ["report.html", "report.md", "summary.json", "timeseries.csv"]
    );
    // `resim report DIR` rebuilds the same page from the folder alone.
    let before = std::fs::read(r.join("report.html")).unwrap();
    std::fs::remove_file(r.join("report.html")).unwrap();
    let again = resim(&dir, &["report", "r"]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(std::fs::read(r.join("report.html")).unwrap(), before);
}

#[test]
fn compare_report_names_the_designs() {
    let dir = scratch("report-compare");
    let model = repo().join("models/web-app.toml");
    let out = resim(
        &dir,
        &[
            "compare",
            model.to_str().unwrap(),
            "--set",
            "app.replicas=5",
            "--scenario",
            "pod-crash",
            "--trials",
            "2",
            "--out",
            "c",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = check_report(&dir.join("c"));
    assert!(
        html.contains("B: --set app.replicas=5"),
        "B named by its edit"
    );
    assert!(html.contains("A: web-app.toml"), "A named by its file");
    let svg = std::fs::read_to_string(dir.join("c/pod-crash/success.svg")).unwrap();
    assert!(svg.contains("--set app.replicas=5") && svg.contains("web-app.toml"));
    assert!(!svg.contains(">\nA\n<"), "no bare 'A' legend");
}

#[test]
fn availability_report_is_self_contained() {
    let dir = scratch("report-availability");
    let model = repo().join("models/web-app.toml");
    let out = resim(
        &dir,
        &[
            "availability",
            model.to_str().unwrap(),
            "--trials",
            "200",
            "--out",
            "a",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = check_report(&dir.join("a"));
    assert!(html.contains("downtime by cause"));
}

/// A model and scenario named like markup come out as text.
#[test]
fn names_are_escaped() {
    let dir = scratch("report-escape");
    let model = r#"
[system]
name = "<script>alert(1)</script>"

[components.app]
kind = "pods"
instances = 2
workers = 8
service = { dist = "constant", value = "1ms" }

[traffic]
rate = "50/s"

[[scenarios]]
name = "<script>x</script>"
duration = "1m"
warmup = "10s"
"#;
    std::fs::write(dir.join("m.toml"), model).unwrap();
    let out = resim(&dir, &["run", "m.toml", "--trials", "1", "--out", "r"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = check_report(&dir.join("r"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
    let md = std::fs::read_to_string(dir.join("r/report.md")).unwrap();
    assert!(!md.contains("<script"), "{md}");
    let csv = std::fs::read_to_string(dir.join("r/timeseries.csv")).unwrap();
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("<script>x</script>,")
    );
}

/// A fault at 60 s with 10-s bins changes the row that starts at 60 s, not
/// the one at 50 s: the disk is left with 1 MB at 60 s, filling at 1 MB/s.
#[test]
fn a_change_at_a_bin_edge_belongs_to_the_bin_it_starts() {
    let dir = scratch("report-bin-edge");
    let model = r#"
[components.app]
kind = "pods"
instances = 1
workers = 16
depends_on = ["db"]
service = { dist = "constant", value = "1ms" }

[components.db]
kind = "database"
service = { dist = "constant", value = "1ms" }
disk = { free = "10GB", fill_per_second = "1MB" }

[traffic]
rate = "20/s"

[[scenarios]]
name = "fill"
duration = "2m"
warmup = "20s"

[[scenarios.events]]
at = "60s"
action = "fill_disk"
target = "db"
free = "1MB"
"#;
    std::fs::write(dir.join("m.toml"), model).unwrap();
    let out = resim(
        &dir,
        &[
            "run", "m.toml", "--trials", "1", "--bin", "10s", "--out", "r",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(dir.join("r/timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = head.iter().position(|h| *h == "db.disk_free").unwrap();
    let free_at = |t: &str| -> f64 {
        csv.lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|r| r[1] == t)
            .map(|r| r[col].parse().unwrap())
            .unwrap()
    };
    assert!(free_at("50") > 9.0, "not yet filled: {}", free_at("50"));
    assert_eq!(free_at("60"), 0.0, "full from the bin at 60 s");
}

#[test]
fn check_draws_the_graph_as_dot_and_mermaid() {
    let dir = scratch("report-check");
    let model = repo().join("models/web-app.toml");
    let dot = resim(&dir, &["check", model.to_str().unwrap(), "--format", "dot"]);
    assert!(dot.status.success());
    let dot = String::from_utf8_lossy(&dot.stdout);
    assert!(dot.starts_with("digraph") && dot.contains("->"), "{dot}");
    let m = resim(
        &dir,
        &["check", model.to_str().unwrap(), "--format", "mermaid"],
    );
    let m = String::from_utf8_lossy(&m.stdout);
    assert!(m.starts_with("flowchart TD") && m.contains("-->"), "{m}");
    let bad = resim(&dir, &["check", model.to_str().unwrap(), "--format", "png"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// `tests/screenshot.sh` opens a report in headless Chromium; skipped with
/// a printed reason where Chromium is not installed.
#[test]
fn report_screenshot_with_headless_chromium() {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new("sh")
                .args(["-c", &format!("command -v {b}")])
                .output()
                .is_ok_and(|o| o.status.success())
        });
    let Some(_) = browser else {
        println!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = scratch("report-screenshot");
    let model = repo().join("models/web-app.toml");
    let out = resim(
        &dir,
        &[
            "run",
            model.to_str().unwrap(),
            "--scenario",
            "pod-crash",
            "--trials",
            "2",
            "--out",
            "r",
        ],
    );
    assert!(out.status.success());
    let shot = std::process::Command::new("bash")
        .arg(repo().join("tests/screenshot.sh"))
        .arg(dir.join("r/report.html"))
        .arg(dir.join("shot.png"))
        .output()
        .expect("run tests/screenshot.sh");
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let png = std::fs::read(dir.join("shot.png")).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
}

/// A pod OOM-killed inside a bin had reached its limit: the bin's max pod
/// memory shows it, though the reading is taken at the bin's end, after
/// the kill (the bundled crash loop, 2 trials, before the containment at
/// 12 min = bin 72). Each restart follows a kill and a bin holds at most
/// three (three pods), so at least restarts / 3 bins reach the limit.
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn an_oom_kill_shows_its_peak_in_the_bin() {
    let path = repo().join("models/k8s-oom-crashloop.toml");
    let model = resim::model::Model::load(&path).expect("bundled model");
    let sc = &model.scenarios[0];
    let r =
        resim::drill::run_scenario(&model, sc, &super::util::request(2, 5), &|_| {}).expect("runs");
    let restarts = super::util::reading(&model, &r, "web-app.restarts");
    let max = super::util::reading(&model, &r, "web-app.memory_max");
    let limit = super::util::reading(&model, &r, "web-app.memory_limit");
    for t in 0..r.len() {
        let at_limit = (0..72).filter(|&b| max[t][b] >= limit[t][b]).count() as f64;
        let kills = restarts[t][71];
        assert!(kills >= 5.0, "trial {t}: {kills} restarts");
        assert!(
            at_limit * 3.0 >= kills,
            "trial {t}: {at_limit} bins at the limit for {kills} restarts"
        );
    }
}

/// A saturated primary beside idle replicas: the database's mean
/// utilisation reads a third, its busiest instance's reads one. All
/// requests are writes (to the primary): 300/s × 10 ms = 3 workers'
/// worth of work for its 2 workers.
#[test]
fn the_busiest_instance_shows_what_the_mean_hides() {
    let text = r#"
[components.app]
kind = "pods"
instances = 1
workers = 512
depends_on = ["db"]
service = { dist = "constant", value = "1ms" }

[components.db]
kind = "database"
replicas = 2
workers = 2
queue = 64
service = { dist = "constant", value = "10ms" }

[traffic]
rate = "300/s"
read_ratio = 0.0
timeout = "30s"

[[scenarios]]
name = "s"
duration = "1m"
warmup = "10s"
"#;
    let (model, r) = super::util::drill(text, 1, 3);
    let db = model.component_index("db").unwrap();
    for b in 1..r[0].bins.len() {
        let g = r[0].gauges[db][b];
        assert!(g.peak > 0.95, "bin {b}: busiest instance {}", g.peak);
        assert!(g.utilisation() < 0.4, "bin {b}: mean {}", g.utilisation());
    }
}
