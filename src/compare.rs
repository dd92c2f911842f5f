//! Design comparison on common random numbers: the same scenarios run for
//! two designs with the same trial seeds, so trial `i` of both sees the same
//! arrivals and the same random draws for every component they share (the
//! streams are keyed by component name). The per-trial differences are then
//! far less noisy than either design alone, and their interval says whether
//! the change matters.

use serde::Serialize;

use crate::drill::{DrillError, DrillRequest, ScenarioSummary, TrialResult, run_scenario};
use crate::model::Model;
pub use crate::overrides::apply_sets;
use crate::scenario::Scenario;
use crate::stats::{Percentiles, mean_ci95};

/// Whether a larger or a smaller value of a metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Larger is better (availability).
    Higher,
    /// Smaller is better (latency, failures).
    Lower,
}

/// One metric of one scenario for both designs, with the paired difference.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MetricComparison {
    /// The metric's name and unit.
    pub metric: String,
    /// Which direction is better.
    pub better_when: Better,
    /// Mean for design A.
    pub a: f64,
    /// Mean for design B.
    pub b: f64,
    /// Mean of the per-trial differences B − A.
    pub diff: f64,
    /// 95% interval of the mean difference.
    pub diff_ci95: [f64; 2],
    /// `A` or `B` when the interval excludes zero, else `none`.
    pub winner: &'static str,
}

/// The comparison of one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioComparison {
    /// Scenario name.
    pub scenario: String,
    /// The metrics.
    pub metrics: Vec<MetricComparison>,
    /// Design A's verdicts on its `[slo]` (none without one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slo_a: Vec<crate::slo::Judgement>,
    /// Design B's verdicts on its `[slo]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slo_b: Vec<crate::slo::Judgement>,
    /// Design A's full summary.
    #[serde(skip)]
    pub a: ScenarioSummary,
    /// Design B's full summary.
    #[serde(skip)]
    pub b: ScenarioSummary,
}

/// The per-trial metrics compared, with their direction.
const METRICS: [(&str, Better); 4] = [
    ("availability", Better::Higher),
    ("latency_mean_ms", Better::Lower),
    ("latency_p99_ms", Better::Lower),
    ("failed_requests", Better::Lower),
];

/// Metric `m` of one trial: one of [`METRICS`], or beyond them the
/// latency at `extra[m − METRICS.len()]` (a quantile).
fn trial_metric(t: &TrialResult, m: usize, extra: &[f64]) -> f64 {
    if let Some(&q) = m.checked_sub(METRICS.len()).and_then(|k| extra.get(k)) {
        return t
            .latency
            .quantile_interpolated(q)
            .map_or(f64::NAN, |x| x / 1e6);
    }
    match m {
        0 => t.availability(),
        1 => t.latency.mean().map_or(f64::NAN, |x| x / 1e6),
        2 => t
            .latency
            .quantile(0.99)
            .map_or(f64::NAN, |x| x as f64 / 1e6),
        _ => t.failed().iter().sum::<u64>() as f64,
    }
}

/// The paired comparison of per-trial values `(a, b)`: the means of A and
/// B, the mean difference B − A and its two-sided 95% Student-t interval
/// (NaN with fewer than two pairs). Common random numbers make the
/// differences far less noisy than either side, and their distribution is
/// centred and close to symmetric, where the t interval keeps its 95%
/// (tests/integration/interval_coverage.rs: two copies of one design).
pub fn paired_difference(pairs: &[(f64, f64)]) -> (f64, f64, f64, [f64; 2]) {
    let n = pairs.len().max(1) as f64;
    let mean_a = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_b = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let diffs: Vec<f64> = pairs.iter().map(|(x, y)| y - x).collect();
    let (diff, lo, hi) = mean_ci95(&diffs).unwrap_or((mean_b - mean_a, f64::NAN, f64::NAN));
    (mean_a, mean_b, diff, [lo, hi])
}

/// Runs `scenario` (by name) for both designs on the same trial seeds and
/// compares them.
pub fn compare_scenario(
    a: &Model,
    b: &Model,
    scenario: &str,
    req: &DrillRequest,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ScenarioComparison, DrillError> {
    compare_scenario_with(a, b, scenario, req, progress, None)
}

/// [`compare_scenario`], adding a paired row `latency_pX_ms` for each of
/// `percentiles` other than p99 (already a row), and summarising each
/// design at them.
pub fn compare_scenario_with(
    a: &Model,
    b: &Model,
    scenario: &str,
    req: &DrillRequest,
    progress: &(dyn Fn(u64) + Sync),
    percentiles: Option<&Percentiles>,
) -> Result<ScenarioComparison, DrillError> {
    let find = |m: &Model| -> Result<Scenario, DrillError> {
        m.scenarios
            .iter()
            .find(|s| s.name == scenario)
            .cloned()
            .ok_or_else(|| DrillError::UnknownScenario {
                origin: m.origin.clone(),
                name: scenario.to_string(),
                hint: String::new(),
            })
    };
    let (sa, sb) = (find(a)?, find(b)?);
    let mut ta = run_scenario(a, &sa, req, progress)?;
    let mut tb = run_scenario(b, &sb, req, progress)?;
    // An interrupted run has fewer trials of B (or A): keep whole pairs.
    let pairs = ta.len().min(tb.len());
    ta.truncate(pairs);
    tb.truncate(pairs);
    let bin_s = req.bin.as_secs_f64();
    let extra: Vec<(String, f64)> = percentiles
        .map(|p| {
            p.iter()
                .filter(|&(_, q)| q != 0.99)
                .map(|(l, q)| (format!("latency_{l}_ms"), q))
                .collect()
        })
        .unwrap_or_default();
    let qs: Vec<f64> = extra.iter().map(|e| e.1).collect();
    let metrics = METRICS
        .iter()
        .map(|&(m, b)| (m.to_string(), b))
        .chain(extra.iter().map(|(m, _)| (m.clone(), Better::Lower)))
        .enumerate()
        .map(|(m, (metric, better_when))| {
            let pairs: Vec<(f64, f64)> = ta
                .iter()
                .zip(&tb)
                .map(|(x, y)| (trial_metric(x, m, &qs), trial_metric(y, m, &qs)))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            let (mean_a, mean_b, diff, [lo, hi]) = paired_difference(&pairs);
            let winner = if lo > 0.0 || hi < 0.0 {
                let b_larger = lo > 0.0;
                match (better_when, b_larger) {
                    (Better::Higher, true) | (Better::Lower, false) => "B",
                    _ => "A",
                }
            } else {
                "none"
            };
            MetricComparison {
                metric,
                better_when,
                a: mean_a,
                b: mean_b,
                diff,
                diff_ci95: [lo, hi],
                winner,
            }
        })
        .collect();
    let p = percentiles.cloned().unwrap_or_default();
    let (a, b) = (
        ScenarioSummary::from_trials_with(a, &sa, bin_s, &ta, &p),
        ScenarioSummary::from_trials_with(b, &sb, bin_s, &tb, &p),
    );
    Ok(ScenarioComparison {
        scenario: scenario.to_string(),
        metrics,
        slo_a: a.slo.clone(),
        slo_b: b.slo.clone(),
        a,
        b,
    })
}

/// The comparison as a Markdown table, ready for a design document.
pub fn markdown(
    a_label: &str,
    b_label: &str,
    comparisons: &[ScenarioComparison],
    trials: u64,
    seed: u64,
) -> String {
    let mut s = format!(
        "A = {a_label}\n\nB = {b_label}\n\n{trials} paired trials per scenario (seed {seed}); the difference is B − A with its 95% interval; a winner is named only where the interval excludes zero.\n\n"
    );
    s.push_str("| scenario | metric | A | B | B − A | 95% interval | better |\n|---|---|---:|---:|---:|---|---|\n");
    for c in comparisons {
        for m in &c.metrics {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | [{}, {}] | {} |\n",
                c.scenario,
                m.metric,
                fmt(m.a),
                fmt(m.b),
                fmt(m.diff),
                fmt(m.diff_ci95[0]),
                fmt(m.diff_ci95[1]),
                m.winner
            ));
        }
    }
    s
}

/// Four significant digits, plain.
fn fmt(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    if x != 0.0 && x.abs() < 1e-3 {
        return format!("{x:.3e}");
    }
    let digits = (4 - (x.abs().max(1e-12).log10().floor() as i32 + 1)).clamp(0, 8) as usize;
    format!("{x:.digits$}")
}
