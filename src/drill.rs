//! The drill: a request-level discrete-event trial of a failure scenario.
//! [`sim`] runs one trial; [`metrics`] is what it measures; [`plan`] is the
//! call structure compiled from the model; `faults` applies the scenario.

pub mod alerting;
mod backup;
mod balancer;
mod cache;
mod cache_ha;
mod calls;
mod db;
mod dns;
mod edges;
mod faults;
mod lanes;
pub mod metrics;
mod partition;
mod persistence;
pub mod plan;
mod pods;
pub mod random_failures;
pub mod readings;
mod response;
pub mod sim;
mod slow_commands;
mod stampede;

pub use backup::RestoreRecord;
pub use cache_ha::FailoverRecord;
pub use metrics::{BinStats, CAUSES, Cause, GaugeBin, TrialResult};
pub use sim::DrillSetup;
pub mod summary;

use crate::engine::SimTime;
use crate::model::Model;
use crate::montecarlo::{RunnerError, run_trials};
pub use summary::ScenarioSummary;

/// What to run.
#[derive(Clone, Debug)]
pub struct DrillRequest {
    /// Trials per scenario.
    pub trials: u64,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Width of a time bin.
    pub bin: SimTime,
    /// Times after the warm-up at which trial 0 takes a text snapshot
    /// (`kubectl get pods`, `redis-cli info`, `dig`).
    pub snapshots: Vec<SimTime>,
}

/// Errors that stop a drill before it runs.
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    /// The model has no `[traffic]` section.
    #[error(
        "{0}: the model has no [traffic] section, so there is nothing to drill; add e.g. [traffic] rate = \"200/s\""
    )]
    NoTraffic(String),
    /// A scenario name was not found.
    #[error("{origin}: no scenario named '{name}'{hint}")]
    UnknownScenario {
        /// The model file.
        origin: String,
        /// The name asked for.
        name: String,
        /// A hint listing the scenarios.
        hint: String,
    },
    /// The runner failed.
    #[error(transparent)]
    Runner(#[from] RunnerError),
}

/// Runs `trials` trials of `scenario` and returns every trial's result, in
/// trial order.
pub fn run_scenario(
    model: &Model,
    scenario: &crate::scenario::Scenario,
    req: &DrillRequest,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<TrialResult>, DrillError> {
    let traffic = (scenario.traffic.as_ref())
        .or(model.traffic.as_ref())
        .ok_or_else(|| DrillError::NoTraffic(model.origin.clone()))?;
    let setup =
        DrillSetup::new(model, scenario, traffic, req.bin).with_snapshots(req.snapshots.clone(), 0);
    Ok(run_trials(req.seed, 0..req.trials, req.threads, |i, s| {
        let r = setup.run(i, s);
        progress(i);
        r
    })?)
}
