//! Shards, merge, interrupts and resume (issue 15, items 2 and 3): four
//! shards merged write the same bytes as one run, for `run`,
//! `availability`, `compare` and `sweep`; shards that do not belong
//! together are refused; a run stopped by SIGINT marks its folder as
//! partial and `--resume` ends byte-identical to an uninterrupted run; a
//! second process on the same folder is refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::util::{resim, scratch};

/// Two pods behind a load balancer, failing monthly: small enough for
/// quick drills, with outages for availability and its request level.
const MODEL: &str = r#"
[components.lb]
kind = "load_balancer"
workers = 64
service = { dist = "constant", value = "0s" }
depends_on = ["app"]

[components.app]
kind = "pods"
instances = 2
min_up = 1
workers = 8
queue = 64
service = { dist = "exponential", mean = "10ms" }
timeout = "2s"
failure = { dist = "exponential", mean = "30d" }
repair = { dist = "lognormal", median = "2m", p95 = "20m" }

[traffic]
rate = "100/s"
read_ratio = 1.0
timeout = "2s"

[[scenarios]]
name = "crash"
duration = "40s"
warmup = "5s"
[[scenarios.events]]
at = "10s"
fault = "crash"
target = "app"
instance = 0
duration = "10s"
"#;

/// Every file under `dir` (relative path, bytes), sorted.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read folder") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("inside").to_path_buf();
                out.push((rel, fs::read(&p).expect("read file")));
            }
        }
    }
    out.sort();
    out
}

fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs `args` once into `one/`, as 4 shards, merges them into `merged/`,
/// and asserts the two folders hold the same files, byte for byte.
fn assert_merge_equals_one_run(dir: &Path, args: &[&str]) {
    let with_out = |out: &str, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v.extend([
            "--out".to_string(),
            out.to_string(),
            "--threads".into(),
            "2".into(),
        ]);
        v
    };
    let run = |v: Vec<String>| resim(dir, &v.iter().map(String::as_str).collect::<Vec<_>>());
    let one = run(with_out("one", &[]));
    ok(&one, "one run");
    for i in 0..4 {
        let s = format!("{i}/4");
        ok(
            &run(with_out(&format!("s{i}"), &["--shard", &s])),
            "a shard",
        );
        assert!(dir.join(format!("s{i}/partial.json")).exists());
    }
    let merged = resim(dir, &["merge", "s2", "s0", "s3", "s1", "--out", "merged"]);
    ok(&merged, "merge");
    let (a, b) = (files(&dir.join("one")), files(&dir.join("merged")));
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (x, y) in a.iter().zip(&b) {
        assert!(x.1 == y.1, "{} differs after the merge", x.0.display());
    }
    // The terminal says the same too, but for the folder's name.
    let text = |o: &Output| String::from_utf8_lossy(&o.stdout).replace("merged", "one");
    assert_eq!(text(&one), text(&merged));
}

#[test]
fn four_shards_merged_equal_one_availability_run_and_strangers_are_refused() {
    let dir = scratch("shards-availability");
    fs::write(dir.join("m.toml"), MODEL).expect("write model");
    let args = [
        "availability",
        "m.toml",
        "--trials",
        "60",
        "--request-trials",
        "3",
        "--seed",
        "7",
    ];
    assert_merge_equals_one_run(&dir, &args);
    // A shard of another seed.
    let mut other: Vec<&str> = args.to_vec();
    other[7] = "8";
    other.extend(["--shard", "1/4", "--out", "seed8"]);
    ok(&resim(&dir, &other), "shard of seed 8");
    let o = resim(&dir, &["merge", "s0", "seed8", "s2", "s3", "--out", "bad"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("differ in seed (7 and 8)"), "{err}");
    // A missing shard, the same shard twice, another model.
    let o = resim(&dir, &["merge", "s0", "s1", "s3", "--out", "bad"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("shard 2/4 is missing"));
    let o = resim(&dir, &["merge", "s0", "s1", "s1", "s3", "--out", "bad"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("are both shard 1/4"));
    fs::write(dir.join("m.toml"), MODEL.replace("30d", "20d")).expect("write model");
    let mut changed: Vec<&str> = args.to_vec();
    changed.extend(["--shard", "3/4", "--out", "changed"]);
    ok(&resim(&dir, &changed), "shard of another model");
    let o = resim(
        &dir,
        &["merge", "s0", "s1", "s2", "changed", "--out", "bad"],
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("differ in model"));
    assert!(!dir.join("bad").exists());
}

#[test]
fn four_shards_merged_equal_one_drill_compare_and_sweep_run() {
    let dir = scratch("shards-drill");
    fs::write(dir.join("m.toml"), MODEL).expect("write model");
    let drill = ["--trials", "5", "--seed", "3"];
    let with = |head: &[&'static str]| -> Vec<&'static str> {
        head.iter().copied().chain(drill).collect()
    };
    for (name, args) in [
        ("run", with(&["run", "m.toml"])),
        (
            "compare",
            with(&["compare", "m.toml", "--set", "app.instances=3"]),
        ),
        (
            "sweep",
            with(&["sweep", "m.toml", "--vary", "traffic.rate=50/s,150/s"]),
        ),
    ] {
        let sub = dir.join(name);
        fs::create_dir_all(&sub).expect("folder");
        fs::copy(dir.join("m.toml"), sub.join("m.toml")).expect("copy model");
        assert_merge_equals_one_run(&sub, &args);
    }
}

/// Polls until `path` exists and is not empty.
fn wait_for(path: &Path, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if fs::metadata(path).is_ok_and(|m| m.len() > 0) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Starts `resim ARGS --out OUT` in `dir`, sends SIGINT once its journal
/// holds whole trials, and returns what it wrote on the terminal; asserts a
/// second process is refused the folder meanwhile.
fn interrupt(dir: &Path, args: &[&str], out: &str) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_resim"))
        .args(args)
        .args(["--out", out])
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start resim");
    // The first 256 trials are journaled long before all are done.
    assert!(wait_for(
        &dir.join(out).join("trials.journal"),
        Duration::from_secs(120)
    ));
    // A second process on the same folder is refused while the first works.
    let second = resim(dir, &[args, &["--out", out]].concat());
    assert!(!second.status.success());
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("in use by another resim process"), "{err}");
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(130), "interrupted, not finished");
    o
}

/// The summary of folder `out`, checked to be a partial run of `asked`
/// trials: `"complete": false`, the trials in its figures (returned), the
/// resume command, and the same on the terminal and in both reports.
fn partial_summary(dir: &Path, out: &str, o: &Output, asked: u64) -> (serde_json::Value, u64) {
    let folder = dir.join(out);
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(folder.join("summary.json")).expect("summary"))
            .expect("json");
    assert_eq!(summary["complete"], false);
    assert_eq!(summary["trials_requested"], asked);
    let done = summary["trials_done"].as_u64().expect("trials_done");
    assert!(done > 0 && done < asked, "{done} of {asked}");
    let figures = format!("figures from {done} of {asked} trials");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("interrupted: {figures}"))
            && err.contains(&format!("--resume {out}")),
        "{err}"
    );
    assert!(
        summary["resume"]
            .as_str()
            .expect("resume")
            .ends_with(&format!("--resume {out}"))
    );
    let md = fs::read_to_string(folder.join("report.md")).expect("report.md");
    assert!(
        md.contains(&format!("**Incomplete run**: {figures}")),
        "{md}"
    );
    let html = fs::read_to_string(folder.join("report.html")).expect("report.html");
    assert!(html.contains("class=\"incomplete\"") && html.contains(&figures));
    // Kept for --resume.
    assert!(folder.join("partial.json").is_file() && folder.join("trials.journal").is_file());
    (summary, done)
}

/// `--resume OUT` finishes `out`, which then holds exactly the files of one
/// uninterrupted run, byte for byte; a finished folder cannot be resumed.
fn assert_resume_equals_one_run(dir: &Path, args: &[&str], out: &str) {
    ok(&resim(dir, &[args, &["--resume", out]].concat()), "resume");
    ok(
        &resim(dir, &[args, &["--out", "whole"]].concat()),
        "whole run",
    );
    let (a, b) = (files(&dir.join("whole")), files(&dir.join(out)));
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (x, y) in a.iter().zip(&b) {
        assert!(x.1 == y.1, "{} differs after --resume", x.0.display());
    }
    let again = resim(dir, &[args, &["--resume", out]].concat());
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn an_interrupted_run_says_so_and_resumes_to_the_uninterrupted_bytes() {
    let dir = scratch("shards-resume");
    fs::write(dir.join("m.toml"), MODEL).expect("write model");
    let args = [
        "availability",
        "m.toml",
        "--trials",
        "2000",
        "--horizon",
        "400y",
        "--request-trials",
        "0",
        "--threads",
        "1",
    ];
    let o = interrupt(&dir, &args, "cut");
    let (summary, done) = partial_summary(&dir, "cut", &o, 2000);
    // Real figures, those of the first `done` trials: the same as a run of
    // exactly that many gives.
    assert_eq!(summary["trials"], done);
    let k = done.to_string();
    let mut first = args.to_vec();
    first[3] = &k;
    ok(
        &resim(&dir, &[&first[..], &["--out", "first"]].concat()),
        "run of the trials done",
    );
    let whole: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("first/summary.json")).expect("summary"))
            .expect("json");
    for key in [
        "availability",
        "downtime_minutes_per_year",
        "outages_per_year",
        "attribution",
    ] {
        assert_eq!(summary[key], whole[key], "{key}");
    }
    assert!(
        summary["availability"]["mean"]
            .as_f64()
            .is_some_and(|a| a > 0.9 && a < 1.0)
    );
    assert_eq!(
        fs::read(dir.join("cut/trials.csv")).expect("trials.csv"),
        fs::read(dir.join("first/trials.csv")).expect("trials.csv")
    );
    assert!(dir.join("cut/charts/downtime-distribution.svg").is_file());
    assert_resume_equals_one_run(&dir, &args, "cut");
}

#[test]
fn an_interrupted_drill_writes_its_figures_and_resumes_to_the_uninterrupted_bytes() {
    let dir = scratch("shards-resume-drill");
    fs::write(dir.join("m.toml"), MODEL).expect("write model");
    let args = ["run", "m.toml", "--trials", "1500", "--threads", "1"];
    let o = interrupt(&dir, &args, "cut");
    let (summary, done) = partial_summary(&dir, "cut", &o, 1500);
    let crash = &summary["scenarios"]["crash"];
    assert_eq!(crash["trials"], done);
    let a = crash["availability"]["mean"].as_f64().expect("a figure");
    assert!(a > 0.5 && a < 1.0, "{a}");
    assert!(dir.join("cut/crash/success.svg").is_file());
    let csv = fs::read_to_string(dir.join("cut/timeseries.csv")).expect("timeseries.csv");
    assert!(csv.lines().count() > 1);
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("scenario crash: {done} trials")));
    assert_resume_equals_one_run(&dir, &args, "cut");
}
