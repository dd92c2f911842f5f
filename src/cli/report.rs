//! `resim report DIR`: rebuilds the report of a finished output folder.

use std::path::Path;

use super::Failure;

pub fn run(dir: &Path) -> Result<(), Failure> {
    if !dir.join("summary.json").is_file() {
        return Err(Failure::Input(format!(
            "'{}' holds no summary.json; give the output folder of a run, compare or availability",
            dir.display()
        )));
    }
    let written = resim::report::page::rebuild(dir).map_err(|e| Failure::Run(e.to_string()))?;
    for w in &written {
        outln!("wrote {}", w.display());
    }
    outln!("report: {}", dir.join("report.html").display());
    Ok(())
}
