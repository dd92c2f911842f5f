//! Rare-event acceleration for steady-state unavailability: importance
//! sampling with balanced failure biasing over regenerative cycles
//! (`resim availability --method is`).
//!
//! All-up is a regeneration point: failures are exponential (memoryless)
//! and, with everything up, no repair or failover is running. A cycle is an
//! all-up sojourn (exponential with the total failure rate `Λ₀`, known
//! exactly) followed by an excursion from the first failure until all-up
//! again. Unavailability is the ratio `U = E[D] / E[C]`, `D` the downtime in
//! a cycle, `C` its length. `E[D]` is rare: it is estimated from excursions
//! simulated with balanced failure biasing (Shahabuddin 1994; Goyal et al.
//! 1992) as the mean of `D · L`, `L` the likelihood ratio of the path;
//! `E[C] = 1/Λ₀ + E[excursion]` from a quarter as many unbiased excursions.
//! The interval is the delta method's on the ratio of the two independent
//! means.
//!
//! Biasing ([`system::System::excursion`]): the first failure is picked
//! uniformly among the entities that fail (balanced), then, while repairs
//! run and the service has not gone down, each up entity fails at
//! `max(λᵢ, β·R/m)`, `R` the summed rates (1/mean) of the repairs in
//! progress and `m` the entities up, so failures compete with repairs
//! instead of losing to them a thousand to one. Once the service is down,
//! the rest of the excursion follows the model's law. This is failure
//! biasing in continuous time: repairs, failovers and all holding times are
//! drawn from the model, so repair distributions need not be exponential;
//! the likelihood ratio then carries `exp(−(Λ − Λ')·t)` over each holding
//! time. Its second moment is finite when `β·R` stays below the rate at
//! which the repair time's tail decays (for an exponential repair, β < 1;
//! β = 0.5 minimises it for one repair); it is infinite for heavy-tailed
//! repairs (lognormal, Weibull with shape below 1), which are refused.
//!
//! Interval quantities ([`horizon`], [`outage_within`]): P(outage within
//! the horizon) from all new and up, over paths split at the regeneration
//! points, each cycle's chance of an outage in the time left estimated by a
//! biased excursion stopped at its first outage.
//!
//! Covered: exponential failures of instances and groups; any light-tailed
//! repair (exponential, gamma, Weibull with shape ≥ 1, constant, uniform,
//! empirical); FIFO crews; common-cause groups; database failover with any
//! failover time when the database's instances are not placed on groups.
//! Not covered (a clear error; `--method auto` falls back to plain Monte
//! Carlo): non-exponential failures, heavy-tailed repairs, a failover
//! database on placement groups, `[changes]` that crash a required component.

pub mod estimate;
pub mod horizon;
pub mod system;

use std::fmt;

pub use estimate::{IsEstimate, Sums};
pub use horizon::OutageWithin;
pub use system::{Excursion, Passage, System};

use crate::engine::rng::{Purpose, stream};
use crate::model::Model;
use crate::montecarlo::{RunnerError, run_trials_local};

/// The default bias parameter β.
pub const DEFAULT_BIAS: f64 = 0.5;

/// `--method auto` uses importance sampling below this unavailability.
pub const AUTO_THRESHOLD: f64 = 1e-5;

/// Why importance sampling cannot apply to a model.
#[derive(Clone, Debug, PartialEq)]
pub struct NotApplicable {
    /// The component, group or database, e.g. `component 'db'`.
    pub what: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for NotApplicable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "importance sampling cannot apply to {}: {}",
            self.what, self.reason
        )
    }
}

impl std::error::Error for NotApplicable {}

/// Errors that stop an importance-sampling run.
#[derive(Debug, thiserror::Error)]
pub enum IsError {
    /// The model is outside what the method covers.
    #[error(transparent)]
    NotApplicable(#[from] NotApplicable),
    /// The runner failed.
    #[error(transparent)]
    Runner(#[from] RunnerError),
}

/// What to run.
#[derive(Clone, Debug)]
pub struct IsRequest {
    /// Biased excursions to run (the minimum with `precision`).
    pub cycles: u64,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (0 = one per core); results do not depend on it.
    pub threads: usize,
    /// Target relative half-width of the 95% interval; cycles are added
    /// until it is met or `max_cycles` is reached.
    pub precision: Option<f64>,
    /// Upper limit on biased excursions with `precision`.
    pub max_cycles: u64,
    /// The bias parameter β, in (0, 1).
    pub bias: f64,
}

impl Default for IsRequest {
    fn default() -> Self {
        IsRequest {
            cycles: 10_000,
            seed: 1,
            threads: 0,
            precision: None,
            max_cycles: 10_000_000,
            bias: DEFAULT_BIAS,
        }
    }
}

/// Unbiased excursions run per biased one (for the mean cycle length).
const UNBIASED_SHARE: u64 = 4;

/// Runs importance sampling on `model`.
pub fn run(
    model: &Model,
    req: &IsRequest,
    mut progress: impl FnMut(u64, u64),
) -> Result<IsEstimate, IsError> {
    let sys = System::new(model)?;
    let mut biased = Sums::default();
    let mut unbiased = Sums::default();
    let mut target = req.cycles.max(2);
    loop {
        let (b0, u0) = (biased.n, unbiased.n);
        let u_target = (target / UNBIASED_SHARE).max(100);
        for x in run_trials_local(req.seed, b0..target, req.threads, |_, s| {
            sys.excursion(&mut stream(s, 0, Purpose::Misc), Some(req.bias))
        })? {
            biased.add(&x);
        }
        for x in run_trials_local(req.seed, u0..u_target.max(u0), req.threads, |_, s| {
            sys.excursion(&mut stream(s, 1, Purpose::Misc), None)
        })? {
            unbiased.add(&x);
        }
        progress(target, req.precision.map_or(target, |_| req.max_cycles));
        let est = IsEstimate::from_sums(&biased, &unbiased, sys.total_fail_rate(), req.bias);
        let Some(h) = req.precision else {
            return Ok(est);
        };
        if est.relative_half_width <= h || target >= req.max_cycles {
            return Ok(est);
        }
        // The cycles the target needs, from the width so far (at least
        // double while no outage is seen), with a 10% margin.
        let grow = (est.relative_half_width / h).powi(2) * 1.1;
        let next = if grow.is_finite() {
            (target as f64 * grow.clamp(1.1, 16.0)) as u64
        } else {
            target * 2
        };
        target = next.clamp(target + 1, req.max_cycles);
    }
}

/// The paths [`outage_within`] runs by default after a steady-state
/// estimate `est`: about as many biased excursions as it ran (a path of
/// `horizon` seconds holds some `horizon / mean cycle` of them), at least
/// 100 paths and at most one per biased cycle.
pub fn default_paths(est: &IsEstimate, horizon: f64) -> u64 {
    let per_path = (horizon / est.mean_cycle_secs).max(1.0);
    ((est.biased_cycles as f64 / per_path).ceil() as u64).clamp(100, est.biased_cycles.max(100))
}

/// P(outage within `horizon` seconds) from all new and up, by importance
/// sampling over `paths` paths (see [`horizon`]); `req` gives the seed,
/// threads and bias.
pub fn outage_within(
    model: &Model,
    req: &IsRequest,
    horizon: f64,
    paths: u64,
) -> Result<OutageWithin, IsError> {
    let sys = System::new(model)?;
    let mut sums = horizon::PathSums::default();
    for p in run_trials_local(req.seed, 0..paths.max(2), req.threads, |_, s| {
        horizon::path(
            &sys,
            &mut stream(s, 2, Purpose::Misc),
            &mut stream(s, 3, Purpose::Misc),
            horizon,
            req.bias,
        )
    })? {
        sums.add(&p);
    }
    Ok(OutageWithin::from_sums(&sums, horizon))
}
