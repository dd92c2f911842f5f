//! The output of `resim availability --method is`: the text summary and a
//! `summary.json` holding the importance-sampling figures.

use std::fmt::Write;
use std::path::PathBuf;

use super::OutputDir;
use super::index::RunInfo;
use crate::rare_event::IsEstimate;

const YEAR_SECS: f64 = 365.0 * 86400.0;

/// The figures as text, for the terminal.
pub fn render_text(model: &str, e: &IsEstimate) -> String {
    let mut s = String::new();
    let u = e.unavailability;
    let _ = writeln!(
        s,
        "{model}: steady-state unavailability by importance sampling \
         (balanced failure biasing, beta {}, regenerative cycles from all-up)",
        e.bias
    );
    let _ = writeln!(
        s,
        "  unavailability    {u:.4e}  (95% CI {:.4e} .. {:.4e}, ±{:.1}%)",
        e.ci95.0,
        e.ci95.1,
        100.0 * e.relative_half_width
    );
    if u > 0.0 {
        let _ = writeln!(
            s,
            "  availability      {:.10}%  ({:.2} nines), downtime {:.3} min/year",
            100.0 * (1.0 - u),
            -u.log10(),
            u * YEAR_SECS / 60.0
        );
    }
    let _ = writeln!(
        s,
        "  relative error    {:.2}% (standard error / estimate)",
        100.0 * e.relative_error
    );
    let _ = writeln!(
        s,
        "  effective sample  {:.0} (Kish, of the downtime x likelihood-ratio terms); {} of {} biased cycles reached an outage, {} unbiased cycles for the cycle length",
        e.effective_sample_size, e.cycles_with_outage, e.biased_cycles, e.unbiased_cycles
    );
    let _ = writeln!(
        s,
        "  events            {} simulated; plain Monte Carlo would need about {:.2e} for the same interval width: speed-up {:.0}x",
        e.events, e.plain_mc_events, e.speedup
    );
    let _ = writeln!(
        s,
        "  mean cycle        {:.1} h (all-up sojourn and excursion)",
        e.mean_cycle_secs / 3600.0
    );
    for w in &e.warnings {
        let _ = writeln!(s, "  warning: {w}");
    }
    s
}

/// Writes `summary.json` into `out`: the run's facts and the estimate.
pub fn write_results(
    out: &OutputDir,
    info: &RunInfo,
    model: &str,
    seed: u64,
    e: &IsEstimate,
) -> Result<Vec<PathBuf>, super::output::OutputError> {
    let json = serde_json::json!({
        "run": info,
        "model": model,
        "seed": seed,
        "method": "importance_sampling",
        "importance_sampling": e,
    });
    let text = serde_json::to_string_pretty(&json).expect("serialises") + "\n";
    Ok(vec![out.write("summary.json", text)?])
}
