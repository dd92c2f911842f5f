//! Limits checked before a run starts. A run's cost is estimated from the
//! model and the arguments (requests a drill simulates, time bins it keeps,
//! failure and repair events an availability run processes) and refused
//! above a budget, with an error that states the estimate, the limit and
//! the flag that raises it. Without this, a `100y` scenario or `--bin 1ns`
//! asks for terabytes and aborts, and `rate = 1e10` runs until it is killed.

use crate::engine::SimTime;
use crate::model::{Model, Traffic};
use crate::scenario::Scenario;

/// Default limit on the requests one drill command simulates in one
/// scenario, over all trials (about a quarter of an hour per core at the
/// engine's few million requests a second).
pub const DEFAULT_MAX_REQUESTS: u64 = 1_000_000_000;

/// Default limit on the time bins a drill keeps in memory for one scenario,
/// over all trials (each bin of each trial holds its outcomes, gauges and
/// readings: a few hundred bytes, so a few GB at the limit).
pub const DEFAULT_MAX_BINS: u64 = 10_000_000;

/// Default limit on the failure and repair events an availability run
/// processes over all trials (minutes on a few cores).
pub const DEFAULT_MAX_EVENTS: u64 = 10_000_000_000;

/// The limits a run is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Requests per scenario, all trials together (`--max-requests`).
    pub max_requests: u64,
    /// Time bins per scenario, all trials together (`--max-bins`).
    pub max_bins: u64,
    /// Availability events, all trials together (`--max-events`).
    pub max_events: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_requests: DEFAULT_MAX_REQUESTS,
            max_bins: DEFAULT_MAX_BINS,
            max_events: DEFAULT_MAX_EVENTS,
        }
    }
}

/// A run refused before it started because it would exceed a limit.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum BudgetError {
    /// A drill would simulate too many requests.
    #[error(
        "scenario '{scenario}' would simulate about {} requests ({trials} trials x {} each: \
         up to {} req/s over {span}); the limit is {limit} (raise it with --max-requests, \
         or run fewer trials)",
        sci(*needed), sci(*per_trial), sci(*peak_rate)
    )]
    Requests {
        /// The scenario.
        scenario: String,
        /// Trials asked for.
        trials: u64,
        /// Estimated requests per trial.
        per_trial: f64,
        /// The highest arrival rate the traffic reaches \[req/s\].
        peak_rate: f64,
        /// Warm-up plus duration.
        span: SimTime,
        /// Estimated requests, all trials.
        needed: f64,
        /// The limit.
        limit: u64,
    },
    /// A drill would keep too many time bins.
    #[error(
        "scenario '{scenario}' would keep {} time bins ({trials} trials x {per_trial} bins \
         of {bin}), about {} of memory; the limit is {limit} bins (raise it with --max-bins, \
         or use a wider --bin or fewer trials)",
        sci(*needed), bytes(*memory)
    )]
    Bins {
        /// The scenario.
        scenario: String,
        /// Trials asked for.
        trials: u64,
        /// Bins per trial.
        per_trial: u64,
        /// The bin width.
        bin: SimTime,
        /// Bins, all trials.
        needed: f64,
        /// Estimated memory \[bytes\].
        memory: f64,
        /// The limit.
        limit: u64,
    },
    /// An availability run would process too many events.
    #[error(
        "this run would process about {} failure and repair events ({trials} trials x {} \
         over {horizon}); the limit is {limit} (raise it with --max-events, or use a \
         shorter --horizon or fewer trials)",
        sci(*needed), sci(*per_trial)
    )]
    Events {
        /// Trials asked for.
        trials: u64,
        /// Estimated events per trial.
        per_trial: f64,
        /// The horizon.
        horizon: SimTime,
        /// Events, all trials.
        needed: f64,
        /// The limit.
        limit: u64,
    },
}

/// A count in short scientific form: `2.4e9`, or plain below a million.
fn sci(x: f64) -> String {
    if x < 1e6 {
        format!("{}", x.round())
    } else {
        format!("{x:.1e}")
    }
}

/// A byte count with a binary unit.
fn bytes(x: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = x;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", units[u])
}

/// Checks one drill scenario of `trials` trials in bins of `bin` against `budget`.
pub fn check_drill(
    model: &Model,
    traffic: &Traffic,
    scenario: &Scenario,
    trials: u64,
    bin: SimTime,
    budget: &Budget,
) -> Result<(), BudgetError> {
    let span = scenario.warmup.saturating_add(scenario.duration);
    let rate = traffic.peak_rate();
    let per_trial = rate * span.as_secs_f64();
    let needed = per_trial * trials as f64;
    if needed > budget.max_requests as f64 {
        return Err(BudgetError::Requests {
            scenario: scenario.name.clone(),
            trials,
            per_trial,
            peak_rate: rate,
            span,
            needed,
            limit: budget.max_requests,
        });
    }
    let per_trial = scenario.duration.0.div_ceil(bin.0.max(1));
    let needed = per_trial as f64 * trials as f64;
    if needed > budget.max_bins as f64 {
        return Err(BudgetError::Bins {
            scenario: scenario.name.clone(),
            trials,
            per_trial,
            bin,
            needed,
            memory: needed * bin_bytes(model) as f64,
            limit: budget.max_bins,
        });
    }
    Ok(())
}

/// Memory one time bin of one trial takes \[bytes\]: outcomes, a gauge per
/// component and every reading.
pub fn bin_bytes(model: &Model) -> usize {
    use crate::drill::{BinStats, GaugeBin};
    std::mem::size_of::<BinStats>()
        + model.components.len() * std::mem::size_of::<GaugeBin>()
        + std::mem::size_of::<Vec<f64>>()
        + crate::drill::readings::reading_defs(model).len() * std::mem::size_of::<f64>()
}

/// Checks an availability run of `trials` trials over `horizon` against `budget`.
pub fn check_availability(
    model: &Model,
    trials: u64,
    horizon: SimTime,
    budget: &Budget,
) -> Result<(), BudgetError> {
    let h = horizon.as_secs_f64();
    // Each failure-repair cycle is two events; count one more per entity
    // for the first failure.
    let cycle_events = |rel: Option<&crate::model::Reliability>| {
        rel.map_or(0.0, |r| {
            let cycle = r.failure.mean_secs() + r.repair.mean_secs();
            1.0 + 2.0 * h / cycle.max(1e-9)
        })
    };
    let per_trial: f64 = model
        .components
        .iter()
        .map(|c| c.instances as f64 * cycle_events(c.reliability.as_ref()))
        .sum::<f64>()
        + model
            .groups
            .iter()
            .map(|g| cycle_events(g.reliability.as_ref()))
            .sum::<f64>()
        + (model.changes.iter())
            .map(|ch| 1.0 + 2.0 * h * ch.bad_rate())
            .sum::<f64>();
    let needed = per_trial * trials as f64;
    if needed > budget.max_events as f64 {
        return Err(BudgetError::Events {
            trials,
            per_trial,
            horizon,
            needed,
            limit: budget.max_events,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"
[components.app]
instances = 3
failure = { dist = "exponential", mean = "1d" }
repair = { dist = "exponential", mean = "1h" }
[traffic]
rate = "1000/s"
profile = [{ at = "1m", rate = "5000/s" }]
[[scenarios]]
name = "s"
duration = "10m"
warmup = "0s"
"#;

    #[test]
    fn drill_estimates_use_the_peak_rate_and_the_bins() {
        let m = Model::parse(MODEL, "t.toml").expect("valid");
        let t = m.traffic.as_ref().expect("traffic");
        assert_eq!(t.peak_rate(), 5000.0);
        let sc = &m.scenarios[0];
        let ten_s = SimTime(10 * SimTime::SECOND.0);
        // 5000/s over 600 s = 3e6 per trial.
        let tight = Budget {
            max_requests: 3_000_000,
            ..Budget::default()
        };
        assert!(check_drill(&m, t, sc, 1, ten_s, &tight).is_ok());
        let e = check_drill(&m, t, sc, 2, ten_s, &tight).unwrap_err();
        assert!(e.to_string().contains("--max-requests"), "{e}");
        // 60 bins of 10 s per trial.
        let bins = Budget {
            max_bins: 600,
            ..Budget::default()
        };
        assert!(check_drill(&m, t, sc, 10, ten_s, &bins).is_ok());
        let e = check_drill(&m, t, sc, 11, ten_s, &bins).unwrap_err();
        assert!(matches!(e, BudgetError::Bins { per_trial: 60, .. }), "{e}");
        assert!(e.to_string().contains("--max-bins"), "{e}");
    }

    #[test]
    fn availability_estimate_counts_cycles() {
        let m = Model::parse(MODEL, "t.toml").expect("valid");
        // 3 instances x (1 + 2 x 25h / 25h) = 9 events per trial over 25 h.
        let h = SimTime(25 * SimTime::HOUR.0);
        let b = Budget {
            max_events: 90,
            ..Budget::default()
        };
        assert!(check_availability(&m, 10, h, &b).is_ok());
        let e = check_availability(&m, 11, h, &b).unwrap_err();
        assert!(e.to_string().contains("--max-events"), "{e}");
    }
}
