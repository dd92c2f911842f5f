//! Capacity sweeps: one design run at every point of a grid of `--vary`
//! values, on common random numbers, and the search for the point where
//! the SLO stops holding ([`find`]).
//!
//! Every point runs the same trials: trial `i` has seed
//! `trial_seed(seed, i)` at every point, so two points differ only by the
//! varied values, never by luck, and a curve across points is smooth where
//! the system is. Points × scenarios × trials run as one parallel batch,
//! collected in order, so results do not depend on the thread count.

pub mod find;
pub mod values;

use crate::drill::summary::Band;
use crate::drill::{DrillError, DrillRequest, DrillSetup, ScenarioSummary, TrialResult};
use crate::engine::rng::trial_seed;
use crate::model::Model;
use crate::montecarlo::run_trials;
use crate::overrides::{Override, SetError};
use crate::scenario::Scenario;
use crate::slo::{self, Judgement};
pub use values::Vary;

/// Why a sweep could not run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The model, a `--set` or a `--vary` is wrong.
    #[error("{0}")]
    Input(#[from] SetError),
    /// Something else in the request is wrong (a scenario name, `--find`).
    #[error("{0}")]
    Request(String),
    /// The drill could not run.
    #[error(transparent)]
    Drill(#[from] DrillError),
}

/// The design a sweep varies: the model's text with its `--set` edits.
#[derive(Clone, Debug)]
pub struct Design {
    /// The model file's text.
    pub text: String,
    /// Its name in messages (the file name).
    pub origin: String,
    /// `--set` edits applied before the varied values.
    pub sets: Vec<Override>,
}

impl Design {
    /// The model at one point: the `--set` edits, then each varied path at
    /// its value.
    pub fn model_at(&self, varies: &[Vary], values: &[f64]) -> Result<Model, SetError> {
        let mut edits = self.sets.clone();
        for (v, &x) in varies.iter().zip(values) {
            let template = Override::parse(&format!("{}=0", v.path))?;
            edits.push(template.with_value(v.toml_value(x)));
        }
        crate::overrides::apply(&self.text, &self.origin, &edits).map_err(|e| match e {
            // A value the path does not take is the --vary's fault.
            SetError::Arg { arg, message, .. } => match varies
                .iter()
                .zip(values)
                .find(|(v, _)| arg.starts_with(&format!("{}=", v.path)))
            {
                Some((v, &x)) => SetError::Arg {
                    flag: "--vary",
                    arg: v.arg.clone(),
                    message: if message.starts_with("unknown path") {
                        message
                    } else {
                        format!("at {}: {message}", v.label(x))
                    },
                },
                None => SetError::Arg {
                    flag: "--set",
                    arg,
                    message,
                },
            },
            other => other,
        })
    }
}

/// One scenario at one point, across trials.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Scenario name.
    pub scenario: String,
    /// Offered load over the measured window [req/s] (mean).
    pub offered_per_s: f64,
    /// Share of requests that succeeded.
    pub success: Band,
    /// Latency quantiles of successful requests \[s\]: p50, p99, p99.9.
    pub latency_s: [Band; 3],
    /// Successful requests per second.
    pub goodput_per_s: Band,
    /// Per component (model order): busy workers over available workers
    /// over the measured window.
    pub utilisation: Vec<Band>,
    /// Verdicts on the model's `[slo]` (empty without one).
    pub slo: Vec<Judgement>,
    /// Latency \[s\] at the percentiles asked for (`--percentiles`), by
    /// label, each interpolated within its bucket per trial, across trials.
    pub percentiles: Vec<(String, Band)>,
}

/// The latency quantiles a sweep reports.
pub const QUANTILES: [(&str, f64); 3] = [("p50", 0.5), ("p99", 0.99), ("p99.9", 0.999)];

impl Cell {
    /// Summarises `trials` of `scenario` at one point.
    pub fn from_trials(
        model: &Model,
        scenario: &Scenario,
        bin_s: f64,
        trials: &[TrialResult],
    ) -> Cell {
        let summary = ScenarioSummary::from_trials(model, scenario, bin_s, trials);
        let secs = scenario.duration.as_secs_f64();
        let utilisation = (0..model.components.len())
            .map(|c| {
                Band::of(trials.iter().map(|t| {
                    let busy: f64 = t.gauges[c].iter().map(|g| g.busy).sum();
                    let cap: f64 = t.gauges[c].iter().map(|g| g.capacity).sum();
                    if cap > 0.0 { busy / cap } else { f64::NAN }
                }))
            })
            .collect();
        Cell {
            scenario: scenario.name.clone(),
            offered_per_s: summary.offered_per_trial / secs,
            success: Band {
                mean: summary.availability.mean,
                low: summary.availability.ci95[0],
                high: summary.availability.ci95[1],
            },
            latency_s: QUANTILES.map(|(_, q)| slo::latency_band(trials, q)),
            goodput_per_s: Band::of(trials.iter().map(|t| t.succeeded() as f64 / secs)),
            utilisation,
            slo: summary.slo,
            percentiles: Vec::new(),
        }
    }

    /// Adds the latency at each of `percentiles` across `trials`.
    pub fn with_percentiles(
        mut self,
        trials: &[TrialResult],
        percentiles: &crate::stats::Percentiles,
    ) -> Cell {
        self.percentiles = percentiles
            .iter()
            .map(|(label, q)| {
                let band = Band::of(trials.iter().map(|t| {
                    t.latency
                        .quantile_interpolated(q)
                        .map_or(f64::NAN, |ns| ns / 1e9)
                }));
                (label, band)
            })
            .collect();
        self
    }

    /// The objective with the least room, as (relative margin, its 95%
    /// interval); `None` without an `[slo]`. Below zero: the SLO is missed.
    pub fn worst_margin(&self) -> Option<(f64, [f64; 2])> {
        self.slo
            .iter()
            .map(|j| {
                let rel = j.relative_margin();
                let rel = if rel.is_finite() {
                    rel
                } else {
                    f64::NEG_INFINITY
                };
                (rel, j.relative_margin_ci95())
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }
}

/// Where a point came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// A point of the `--vary` grid.
    Grid,
    /// A point the `--find` bisection added.
    Bisection,
}

/// One point of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// One value per varied path, in `--vary` order.
    pub values: Vec<f64>,
    /// Grid or bisection.
    pub stage: Stage,
    /// The design's cost per hour at this point, when the model prices it.
    pub cost_per_hour: Option<f64>,
    /// One cell per chosen scenario.
    pub cells: Vec<Cell>,
}

impl Point {
    /// Whether every scenario meets the SLO on its measured value (margin
    /// ≥ 0 for every objective); `None` without an `[slo]`.
    pub fn holds(&self) -> Option<bool> {
        let worst = self.worst_margin()?;
        Some(worst.0 >= 0.0)
    }

    /// The least room over every scenario and objective.
    pub fn worst_margin(&self) -> Option<(f64, [f64; 2])> {
        self.cells
            .iter()
            .map(Cell::worst_margin)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }
}

/// What to run at every point.
#[derive(Clone, Debug)]
pub struct SweepRequest {
    /// Trials per point and scenario, seed, threads, bin width.
    pub drill: DrillRequest,
    /// Scenario names (all of the model's when empty).
    pub scenarios: Vec<String>,
    /// Latency percentiles to add to each cell (`--percentiles`; none
    /// beyond the fixed p50, p99, p99.9 when `None`).
    pub percentiles: Option<crate::stats::Percentiles>,
}

/// The Cartesian product of the varied values, the first `--vary` slowest.
pub fn grid(varies: &[Vary]) -> Vec<Vec<f64>> {
    let mut points: Vec<Vec<f64>> = vec![Vec::new()];
    for v in varies {
        points = points
            .into_iter()
            .flat_map(|p| {
                v.values.iter().map(move |&x| {
                    let mut q = p.clone();
                    q.push(x);
                    q
                })
            })
            .collect();
    }
    points
}

/// Runs `points` (values per varied path) of `design` on common random
/// numbers: every point and scenario in one parallel batch. After an
/// interrupt ([`crate::montecarlo::interrupted`]), only the points whose
/// trials were all done.
pub fn run_points(
    design: &Design,
    varies: &[Vary],
    points: &[Vec<f64>],
    stage: Stage,
    req: &SweepRequest,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Point>, SweepError> {
    let models = points
        .iter()
        .map(|p| design.model_at(varies, p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut setups = Vec::new();
    let mut cells = Vec::new();
    for (p, m) in models.iter().enumerate() {
        for sc in scenarios_of(m, &req.scenarios)? {
            let traffic = (sc.traffic.as_ref())
                .or(m.traffic.as_ref())
                .ok_or_else(|| DrillError::NoTraffic(m.origin.clone()))?;
            setups.push(DrillSetup::new(m, sc, traffic, req.drill.bin));
            cells.push((p, sc));
        }
    }
    let n = req.drill.trials;
    let seed = req.drill.seed;
    let results = run_trials(
        seed,
        0..setups.len() as u64 * n,
        req.drill.threads,
        |k, _| {
            let i = k % n;
            let r = setups[(k / n) as usize].run(i, trial_seed(seed, i));
            progress(k);
            r
        },
    )
    .map_err(DrillError::from)?;
    let bin_s = req.drill.bin.as_secs_f64();
    let mut out: Vec<Point> = points
        .iter()
        .zip(&models)
        .map(|(values, m)| Point {
            values: values.clone(),
            stage,
            cost_per_hour: crate::cost::hourly(m),
            cells: Vec::new(),
        })
        .collect();
    let mut whole = vec![true; out.len()];
    let mut chunks = results.chunks_exact(n as usize);
    for (p, sc) in cells {
        // An interrupted run's results end early: its points are those
        // with every scenario's trials all done.
        match chunks.next() {
            Some(trials) => out[p].cells.push(match &req.percentiles {
                Some(ps) => {
                    Cell::from_trials(&models[p], sc, bin_s, trials).with_percentiles(trials, ps)
                }
                None => Cell::from_trials(&models[p], sc, bin_s, trials),
            }),
            None => whole[p] = false,
        }
    }
    let mut whole = whole.into_iter();
    out.retain(|_| whole.next().unwrap_or(false));
    Ok(out)
}

/// The scenarios named in `names` (all when empty), or an error naming the
/// unknown one.
pub fn scenarios_of<'m>(
    model: &'m Model,
    names: &[String],
) -> Result<Vec<&'m Scenario>, SweepError> {
    if names.is_empty() {
        if model.scenarios.is_empty() {
            return Err(SweepError::Request(format!(
                "{}: the model has no [[scenarios]]; add one with a name and a duration",
                model.origin
            )));
        }
        return Ok(model.scenarios.iter().collect());
    }
    names
        .iter()
        .map(|name| {
            model
                .scenarios
                .iter()
                .find(|s| &s.name == name)
                .ok_or_else(|| {
                    let all: Vec<&str> = model.scenarios.iter().map(|s| s.name.as_str()).collect();
                    let hint = crate::model::error::suggest(name, all.iter().copied())
                        .unwrap_or_else(|| format!("scenarios: {}", all.join(", ")));
                    SweepError::Request(format!(
                        "--scenario '{name}': {} has no such scenario; {hint}",
                        model.origin
                    ))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_varies_the_last_path_fastest() {
        let a = Vary::parse("app.replicas=2,3").expect("valid");
        let b = Vary::parse("traffic.rate=10/s,20/s").expect("valid");
        assert_eq!(
            grid(&[a, b]),
            vec![
                vec![2.0, 10.0],
                vec![2.0, 20.0],
                vec![3.0, 10.0],
                vec![3.0, 20.0]
            ]
        );
        assert_eq!(grid(&[]), vec![Vec::<f64>::new()]);
    }
}
