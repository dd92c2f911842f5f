//! One seed gives the same bytes whatever the thread count.

use super::util::{repo, resim, scratch};

/// Runs `resim MODE MODEL --seed 7 --threads T --out OUT` plus `extra`, asserting success.
fn run_seeded(
    dir: &std::path::Path,
    mode: &str,
    model: &str,
    extra: &[&str],
    threads: &str,
    out: &str,
) {
    let mut args = vec![
        mode,
        model,
        "--seed",
        "7",
        "--threads",
        threads,
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    let o = resim(dir, &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Asserts that each of `files` is non-empty and byte-identical in `t1/` and `t2/`.
fn assert_same_bytes(dir: &std::path::Path, files: &[&str], reproduce: &str) {
    for file in files {
        let a = std::fs::read(dir.join("t1").join(file)).expect("t1 output");
        let b = std::fs::read(dir.join("t2").join(file)).expect("t2 output");
        assert!(!a.is_empty(), "{file} is empty");
        assert!(
            a == b,
            "{file} differs between --threads 1 and 2; {reproduce} in {} to reproduce",
            dir.display()
        );
    }
}

fn run_availability(dir: &std::path::Path, threads: &str, out: &str) {
    let model = repo().join("models/web-app.toml");
    run_seeded(
        dir,
        "availability",
        model.to_str().unwrap(),
        &["--trials", "3000", "--request-trials", "2"],
        threads,
        out,
    );
}

#[test]
fn availability_outputs_are_identical_at_1_and_2_threads() {
    let dir = scratch("determinism-availability");
    run_availability(&dir, "1", "t1");
    run_availability(&dir, "2", "t2");
    assert_same_bytes(
        &dir,
        &["summary.json", "trials.csv"],
        "rerun `resim availability models/web-app.toml --trials 3000 --request-trials 2 --seed 7 --threads 2`",
    );
}

#[test]
fn an_earlier_run_is_never_overwritten() {
    let dir = scratch("determinism-no-overwrite");
    run_availability(&dir, "2", "out");
    let before = std::fs::read(dir.join("out/summary.json")).expect("first run");
    let model = repo().join("models/web-app.toml");
    let o = resim(
        &dir,
        &[
            "availability",
            model.to_str().unwrap(),
            "--trials",
            "10",
            "--out",
            "out",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already holds files"));
    assert_eq!(
        std::fs::read(dir.join("out/summary.json")).expect("still there"),
        before
    );
}

/// `models/web-app.toml` with its scenario shortened to 90 s (the same
/// pod crash, scaled down), so the drill runs in a blink.
fn short_web_app() -> String {
    let text = std::fs::read_to_string(repo().join("models/web-app.toml")).expect("web-app");
    let start = text.find("[[scenarios]]").expect("web-app has a scenario");
    format!(
        "{}{}",
        &text[..start],
        r#"[[scenarios]]
name = "pod-crash"
description = "kill one of three app pods for 30 s"
duration = "90s"
warmup = "10s"

[[scenarios.events]]
at = "30s"
fault = "crash"
target = "app"
instance = 0
duration = "30s"
"#
    )
}

fn run_drill(dir: &std::path::Path, threads: &str, out: &str) {
    run_seeded(dir, "run", "web-app.toml", &["--trials", "4"], threads, out);
}

#[test]
fn drill_outputs_are_identical_at_1_and_2_threads() {
    let dir = scratch("determinism-run");
    std::fs::write(dir.join("web-app.toml"), short_web_app()).expect("write model");
    run_drill(&dir, "1", "t1");
    run_drill(&dir, "2", "t2");
    assert_same_bytes(
        &dir,
        &["summary.json", "timeseries.csv", "report.html"],
        "rerun `resim run web-app.toml --trials 4 --seed 7 --threads 2`",
    );
}

/// The bundled incident models exercise the pods, DNS and database
/// mechanisms, their readings and `--at` snapshots: the same bytes too.
#[test]
fn incident_models_are_identical_at_1_and_2_threads() {
    for (model, scenario, at) in [
        ("k8s-oom-crashloop", "oom-crashloop", "11m"),
        ("dns-outage", "resolver-unreachable", "5m"),
    ] {
        let dir = scratch(&format!("determinism-{model}"));
        let path = repo().join(format!("models/{model}.toml"));
        let extra = ["--trials", "2", "--scenario", scenario, "--at", at];
        for (threads, out) in [("1", "t1"), ("2", "t2")] {
            run_seeded(&dir, "run", path.to_str().unwrap(), &extra, threads, out);
        }
        assert_same_bytes(
            &dir,
            &[
                "summary.json",
                "timeseries.csv",
                &format!("{scenario}/snapshots.txt"),
            ],
            &format!(
                "rerun `resim run models/{model}.toml --trials 2 --scenario {scenario} --at {at} --seed 7 --threads 2`"
            ),
        );
    }
}
