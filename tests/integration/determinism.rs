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
