//! One seed gives the same bytes whatever the thread count.

use super::util::{repo, resim, scratch};

fn run_availability(dir: &std::path::Path, threads: &str, out: &str) {
    let model = repo().join("models/web-app.toml");
    let o = resim(
        dir,
        &[
            "availability",
            model.to_str().unwrap(),
            "--trials",
            "3000",
            "--seed",
            "7",
            "--threads",
            threads,
            "--out",
            out,
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn availability_outputs_are_identical_at_1_and_2_threads() {
    let dir = scratch("determinism-availability");
    run_availability(&dir, "1", "t1");
    run_availability(&dir, "2", "t2");
    for file in ["summary.json", "trials.csv"] {
        let a = std::fs::read(dir.join("t1").join(file)).expect("t1 output");
        let b = std::fs::read(dir.join("t2").join(file)).expect("t2 output");
        assert!(
            a == b,
            "{file} differs between --threads 1 and 2; rerun with --seed 7 to reproduce"
        );
    }
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
    let o = resim(
        dir,
        &[
            "run",
            "web-app.toml",
            "--trials",
            "4",
            "--seed",
            "7",
            "--threads",
            threads,
            "--out",
            out,
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn drill_outputs_are_identical_at_1_and_2_threads() {
    let dir = scratch("determinism-run");
    std::fs::write(dir.join("web-app.toml"), short_web_app()).expect("write model");
    run_drill(&dir, "1", "t1");
    run_drill(&dir, "2", "t2");
    for file in ["summary.json", "timeseries.csv"] {
        let a = std::fs::read(dir.join("t1").join(file)).expect("t1 output");
        let b = std::fs::read(dir.join("t2").join(file)).expect("t2 output");
        assert!(!a.is_empty(), "{file} is empty");
        assert!(
            a == b,
            "{file} differs between --threads 1 and 2; rerun `resim run web-app.toml --trials 4 \
             --seed 7 --threads 2` in {} to reproduce",
            dir.display()
        );
    }
}
