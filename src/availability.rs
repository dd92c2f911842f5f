//! Long-run availability by Monte Carlo: many state-only trials over a
//! horizon (a year by default), summarised with confidence intervals.

pub mod first_outage;
pub mod request_summary;
pub mod requests;
pub mod summary;
pub mod timeline;
pub mod trial;

pub use summary::{AvailabilitySummary, Tally, TrialFigures};
pub use trial::{AvailabilityConfig, AvailabilitySim, TrialOutcome};

use crate::engine::SimTime;
use crate::model::Model;
use crate::montecarlo::{RunnerError, run_trials};

/// What to run.
#[derive(Clone, Debug)]
pub struct AvailabilityRequest {
    /// Trials to run (the minimum when `precision` is set).
    pub trials: u64,
    /// Simulated time per trial.
    pub horizon: SimTime,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Target relative half-width of the 95% interval on unavailability;
    /// trials are added in whole batches until it is met.
    pub precision: Option<f64>,
    /// Batch size used with `precision`.
    pub batch: u64,
    /// Upper limit on trials with `precision`.
    pub max_trials: u64,
    /// Points at which A(t) is sampled.
    pub grid_points: usize,
    /// Trial-years (the first ones) also replayed at request level for
    /// request availability ([`requests`]); 0 = none.
    pub request_trials: u64,
    /// The window method's margins.
    pub windows: requests::WindowSettings,
}

impl Default for AvailabilityRequest {
    fn default() -> Self {
        AvailabilityRequest {
            trials: 1000,
            horizon: SimTime::YEAR,
            seed: 1,
            threads: 0,
            precision: None,
            batch: 1000,
            max_trials: 1_000_000,
            grid_points: 200,
            request_trials: 0,
            windows: requests::WindowSettings::default(),
        }
    }
}

/// A finished run: every trial's downtime and outages, in trial order, and
/// the summary (the whole outcomes went by [`run_with`]'s callback).
#[derive(Clone, Debug)]
pub struct AvailabilityRun {
    /// Per-trial downtime and outages, in trial order.
    pub outcomes: Vec<TrialFigures>,
    /// Cause names in the order of [`TrialOutcome::blame_secs`] with their kind (`component`, `group`, `change`).
    pub causes: Vec<(String, &'static str)>,
    /// The figures.
    pub summary: AvailabilitySummary,
    /// The trial-years replayed at request level, in trial order.
    pub request_trials: Vec<requests::RequestTrial>,
}

/// Errors that stop an availability run.
#[derive(Debug, thiserror::Error)]
pub enum AvailabilityError {
    /// The runner failed.
    #[error(transparent)]
    Runner(#[from] RunnerError),
    /// Request availability could not run.
    #[error(transparent)]
    Requests(#[from] requests::RequestError),
}

/// Runs availability trials for `model`.
pub fn run(
    model: &Model,
    req: &AvailabilityRequest,
    progress: impl FnMut(u64, u64),
) -> Result<AvailabilityRun, AvailabilityError> {
    run_with(model, req, progress, |_, _| {})
}

/// [`run`], handing each trial's whole outcome to `each` in trial order
/// (with the causes its `blame_secs` follow) and keeping only its
/// [`TrialFigures`], so memory does not grow with the grid and the causes.
pub fn run_with(
    model: &Model,
    req: &AvailabilityRequest,
    mut progress: impl FnMut(u64, u64),
    mut each: impl FnMut(&[(String, &'static str)], &TrialOutcome),
) -> Result<AvailabilityRun, AvailabilityError> {
    let sim = AvailabilitySim::new(
        model,
        AvailabilityConfig {
            horizon: req.horizon,
            grid_points: req.grid_points,
        },
    );
    let causes = sim.causes();
    let mut tally = Tally::new(causes.len(), req.grid_points.max(1));
    let mut target = req.trials.max(1);
    let total_hint = if req.precision.is_some() {
        req.max_trials
    } else {
        target
    };
    'batches: loop {
        let start = tally.figures.len() as u64;
        // Run in chunks so a progress bar can move; chunks do not change results.
        let mut next = start;
        while next < target {
            let end = (next + req.batch.max(1)).min(target);
            let outcomes =
                run_trials(req.seed, next..end, req.threads, |i, s| sim.run_trial(i, s))?;
            let whole = outcomes.len() as u64 == end - next;
            for o in outcomes {
                each(&causes, &o);
                tally.add(&o);
            }
            if !whole {
                // Interrupted: the figures are those of the trials done.
                break 'batches;
            }
            next = end;
            progress(next, total_hint);
        }
        let Some(precision) = req.precision else {
            break;
        };
        let summary = AvailabilitySummary::from_tally(model, req, &causes, &tally);
        // Stop when met, at the limit, or when even the most hopeful reading
        // of the outages so far needs more trials than the limit allows (a
        // model too rare for the target ends now, not after --max-trials).
        let hopeless = summary
            .interval
            .fewest_trials_for(precision)
            .is_some_and(|t| t > req.max_trials);
        if summary.relative_half_width() <= precision || target >= req.max_trials || hopeless {
            break;
        }
        target = (target + req.batch.max(1)).min(req.max_trials);
    }
    if tally.figures.is_empty() {
        // Interrupted before the first trial: nothing to summarise.
        return Err(
            RunnerError::Journal(crate::montecarlo::journal::JournalError::Interrupted).into(),
        );
    }
    let mut summary = AvailabilitySummary::from_tally(model, req, &causes, &tally);
    let n_req = req.request_trials.min(tally.figures.len() as u64);
    let mut request_trials = Vec::new();
    // After an interrupt the request level has no trials (nor a baseline to compute).
    if n_req > 0 && !crate::montecarlo::interrupted() {
        let base = requests::window_scenario();
        let rs =
            requests::RequestSim::new(&sim, &base, req.windows.clone(), req.seed, req.threads)?;
        request_trials = run_trials(req.seed, 0..n_req, req.threads, |i, s| rs.run_trial(i, s))?;
        if !request_trials.is_empty() {
            summary.request_availability = Some(request_summary::RequestAvailability::from_trials(
                &request_trials,
                &causes,
                rs.baseline(),
                rs.settings(),
                req.horizon,
            ));
        }
    }
    Ok(AvailabilityRun {
        outcomes: tally.figures,
        causes,
        summary,
        request_trials,
    })
}
