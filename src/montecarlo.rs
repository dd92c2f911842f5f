//! Running trials in parallel: trial seeds from (master seed, trial index),
//! a rayon pool of the requested size, results collected in trial order so
//! that nothing depends on the thread count or on which trial ends first.

pub mod journal;
pub mod shard;

use rayon::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::engine::rng::trial_seed;

/// Errors from setting up the parallel runner.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The thread pool could not be built.
    #[error("cannot start {threads} worker threads: {source}")]
    Pool {
        /// Requested threads.
        threads: usize,
        /// The cause.
        source: rayon::ThreadPoolBuildError,
    },
    /// The journal stopped the run (interrupted) or could not be written.
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
}

impl RunnerError {
    /// Whether the run stopped because it was asked to (SIGINT, SIGTERM).
    pub fn is_interrupt(&self) -> bool {
        matches!(
            self,
            RunnerError::Journal(journal::JournalError::Interrupted)
        )
    }
}

/// Whether a signal stopped this thread's journaled run: its calls to
/// [`run_trials`] since then return only the whole trials before the stop,
/// fewer than asked for, so a command can write what is complete so far.
pub fn interrupted() -> bool {
    journal::with(|s| s.is_some_and(|s| s.interrupted()))
}

/// The threads worth starting for `trials` trials when `requested` were
/// asked for (0 = one per core): never more than the cores nor the trials,
/// since more would only wait (ten thousand threads take longer to start
/// than a short run takes). Results do not depend on it.
pub fn usable_threads(requested: usize, trials: u64) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = if requested == 0 {
        cores
    } else {
        requested.min(cores)
    };
    wanted
        .min(usize::try_from(trials).unwrap_or(usize::MAX))
        .max(1)
}

/// Runs trials `range` of a run with `master_seed` on `threads` threads
/// (0 = one per core), returning results in trial order. With a
/// [`journal::Session`] installed on this thread, results are replayed,
/// journaled, limited to a shard, or stopped by a signal (see [`journal`]):
/// after a stop, fewer results than `range` holds (see [`interrupted`]).
///
/// ```
/// let r = resim::montecarlo::run_trials(7, 0..4, 2, |i, seed| (i, seed)).unwrap();
/// assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
/// ```
pub fn run_trials<T, F>(
    master_seed: u64,
    range: std::ops::Range<u64>,
    threads: usize,
    f: F,
) -> Result<Vec<T>, RunnerError>
where
    T: Send + Serialize + DeserializeOwned + Clone,
    F: Fn(u64, u64) -> T + Sync,
{
    let pool = pool(threads, range.end.saturating_sub(range.start))?;
    let compute = |i: u64| f(i, trial_seed(master_seed, i));
    let journaled = journal::with(|session| {
        session.map(|s| {
            s.run(range.clone(), compute, |todo, g| {
                pool.install(|| todo.par_iter().map(|&i| g(i)).collect())
            })
        })
    });
    match journaled {
        Some(r) => Ok(r?),
        None => Ok(pool.install(|| range.into_par_iter().map(compute).collect())),
    }
}

/// [`run_trials`] outside any journal: every shard computes all of them and
/// nothing is replayed. For the few trials a run's later trials depend on
/// (a baseline), which must be exact in every shard.
pub fn run_trials_local<T, F>(
    master_seed: u64,
    range: std::ops::Range<u64>,
    threads: usize,
    f: F,
) -> Result<Vec<T>, RunnerError>
where
    T: Send,
    F: Fn(u64, u64) -> T + Sync,
{
    let pool = pool(threads, range.end.saturating_sub(range.start))?;
    Ok(pool.install(|| {
        range
            .into_par_iter()
            .map(|i| f(i, trial_seed(master_seed, i)))
            .collect()
    }))
}

fn pool(threads: usize, trials: u64) -> Result<rayon::ThreadPool, RunnerError> {
    let threads = usable_threads(threads, trials);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| RunnerError::Pool { threads, source })
}
