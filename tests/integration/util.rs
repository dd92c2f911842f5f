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
