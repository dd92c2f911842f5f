//! Helpers to run the real `resim` binary on files in a scratch folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh scratch folder under the target directory, removed and recreated.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch folder");
    dir
}

/// Runs `resim` with `args` in `dir`.
pub fn resim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_resim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run resim")
}

/// The repository root (for bundled models).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parses `text` and runs `trials` trials of its first scenario with `seed`
/// on two threads, in 10-s bins.
pub fn drill(
    text: &str,
    trials: u64,
    seed: u64,
) -> (resim::model::Model, Vec<resim::drill::TrialResult>) {
    let model = resim::model::Model::parse(text, "t.toml").expect("valid model");
    let r =
        resim::drill::run_scenario(&model, &model.scenarios[0], &request(trials, seed), &|_| {})
            .expect("runs");
    (model, r)
}

/// Every trial's value of drill reading `name` (e.g. `dns.queries`) in every bin.
pub fn reading(
    model: &resim::model::Model,
    r: &[resim::drill::TrialResult],
    name: &str,
) -> Vec<Vec<f64>> {
    let k = resim::drill::readings::reading_defs(model)
        .iter()
        .position(|d| d.name == name)
        .expect("reading defined");
    r.iter()
        .map(|t| t.readings.iter().map(|row| row[k]).collect())
        .collect()
}

/// `trials` trials with `seed` on two threads, in 10-s bins, no snapshots.
pub fn request(trials: u64, seed: u64) -> resim::drill::DrillRequest {
    use resim::engine::SimTime;
    resim::drill::DrillRequest {
        trials,
        seed,
        threads: 2,
        bin: SimTime(10 * SimTime::SECOND.0),
        snapshots: Vec::new(),
    }
}
