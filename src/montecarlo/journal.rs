//! The trial journal: every trial result a run completes, appended to a
//! file as trials finish, keyed by (call, trial index). A call is one use
//! of [`super::run_trials`], numbered in the order the command makes them
//! (the same for the same arguments). Replaying a journal gives the command
//! back the very results it computed, so:
//! - `--resume` replays an interrupted run's journal and computes the rest;
//! - a shard (`--shard I/N`) computes and journals only its trials;
//! - `resim merge` replays the shards' journals together and writes what
//!   one run of all trials writes, byte for byte, since the same code
//!   reduces the same results in the same order.
//!
//! A record is `call` (u64 LE), `index` (u64 LE), `len` (u32 LE), then the
//! result as `len` bytes of CBOR (bit-exact floats, NaN included). A record
//! cut short by a crash is ignored.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::shard::Shard;

/// The journaled results: (call, trial index) -> the result's CBOR bytes.
pub type Records = HashMap<(u64, u64), Vec<u8>>;

/// What a run is doing with the journal, installed on the thread that
/// calls [`super::run_trials`] (see [`install`]).
pub struct Session {
    /// Compute only this shard's trials (the others are stand-ins).
    pub shard: Option<Shard>,
    /// Results replayed instead of computed.
    pub replay: Records,
    /// Where computed results are appended.
    pub sink: Option<Box<dyn Write>>,
    /// Set (by a signal handler) to stop starting trials.
    pub stop: Arc<AtomicBool>,
    /// Refuse to compute: every result must be replayed (`resim merge`).
    pub replay_only: bool,
    calls: u64,
    computed: u64,
    interrupted: bool,
}

impl Session {
    /// A session computing everything not in `replay`, appending to `sink`.
    pub fn new(shard: Option<Shard>, replay: Records, sink: Option<Box<dyn Write>>) -> Session {
        Session {
            shard,
            replay,
            sink,
            stop: Arc::new(AtomicBool::new(false)),
            replay_only: false,
            calls: 0,
            computed: 0,
            interrupted: false,
        }
    }

    /// Whether a run stopped early because `stop` was set. From then on,
    /// every call returns only the whole trials before the stop (the
    /// journal's prefix of its trials), so the command can write what is
    /// complete so far; a shard's call fails with
    /// [`JournalError::Interrupted`] instead.
    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// Trials computed (not replayed) in this session.
    pub fn computed(&self) -> u64 {
        self.computed
    }
}

thread_local! {
    static SESSION: std::cell::RefCell<Option<Session>> = const { std::cell::RefCell::new(None) };
}

/// Installs `session` for the runs this thread makes; returns the previous one.
pub fn install(session: Session) -> Option<Session> {
    SESSION.with(|s| s.borrow_mut().replace(session))
}

/// Removes and returns this thread's session (flushing its journal).
pub fn uninstall() -> Option<Session> {
    let mut s = SESSION.with(|s| s.borrow_mut().take());
    if let Some(sink) = s.as_mut().and_then(|s| s.sink.as_mut()) {
        let _ = sink.flush();
    }
    s
}

/// Calls `f` with this thread's session, if one is installed.
pub fn with<R>(f: impl FnOnce(Option<&mut Session>) -> R) -> R {
    SESSION.with(|s| f(s.borrow_mut().as_mut()))
}

/// Trials computed between journal writes (and between checks that the
/// result is a prefix); the stop flag itself is read before every trial.
const CHUNK: u64 = 256;

/// Why journaled trials could not run.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The stop flag was set in a shard; the trials before it are journaled.
    #[error("interrupted")]
    Interrupted,
    /// A trial the merged shards should hold is not there.
    #[error(
        "the shards do not hold trial {index} of run {call}: a shard is missing or was cut short"
    )]
    Missing {
        /// The call.
        call: u64,
        /// The trial.
        index: u64,
    },
    /// Writing the journal failed.
    #[error("cannot write the trial journal: {0}")]
    Write(io::Error),
    /// A journaled result does not read back as this call's result type.
    #[error("the trial journal does not match this run (call {call}, trial {index}): {reason}")]
    Mismatch {
        /// The call.
        call: u64,
        /// The trial.
        index: u64,
        /// The decoder's message.
        reason: String,
    },
}

impl Session {
    /// Results of `range` for the next call: replayed, computed with
    /// `compute` (in parallel, via `par`) and journaled, or, outside the
    /// shard, stand-ins (a clone of another result of the call) that the
    /// command's summary may read but no shard output keeps. Once the stop
    /// flag is seen, fewer results than `range` holds: the whole trials
    /// before the first one not started (see [`Session::interrupted`]).
    pub fn run<T, C, P>(
        &mut self,
        range: std::ops::Range<u64>,
        compute: C,
        par: P,
    ) -> Result<Vec<T>, JournalError>
    where
        T: Serialize + DeserializeOwned + Clone,
        C: Fn(u64) -> T,
        P: Fn(&[u64], &(dyn Fn(u64) -> Option<T> + Sync)) -> Vec<Option<T>>,
        C: Sync,
    {
        let call = self.calls;
        self.calls += 1;
        if self.interrupted && self.shard.is_none() {
            // After an interrupt, later calls only give back what a resumed
            // run journaled for them: a prefix, as the journal holds.
            return self.replayed_prefix(call, range);
        }
        let mut out: Vec<Option<T>> = Vec::with_capacity(range.clone().count());
        let mut start = range.start;
        while start < range.end {
            let end = range.end.min(start.saturating_add(CHUNK));
            let mut todo = Vec::new();
            for i in start..end {
                match self.replay.get(&(call, i)) {
                    Some(bytes) => out.push(Some(decode(bytes, call, i)?)),
                    None if self.replay_only => {
                        return Err(JournalError::Missing { call, index: i });
                    }
                    None if self.shard.is_none_or(|s| s.holds(i)) => {
                        todo.push(i);
                        out.push(None);
                    }
                    None => out.push(None),
                }
            }
            let stop = &self.stop;
            let done = par(&todo, &|i| {
                (!stop.load(Ordering::Relaxed)).then(|| compute(i))
            });
            let base = (start - range.start) as usize;
            let mut cut = false;
            for (&i, r) in todo.iter().zip(done) {
                match r {
                    Some(r) if !cut => {
                        if let Some(sink) = self.sink.as_mut() {
                            write_record(sink, call, i, &r).map_err(JournalError::Write)?;
                        }
                        self.computed += 1;
                        out[base + (i - start) as usize] = Some(r);
                    }
                    // Trials after the first one not started are dropped, so
                    // the journal holds a prefix of each call's trials.
                    _ => cut = true,
                }
            }
            if let Some(sink) = self.sink.as_mut() {
                sink.flush().map_err(JournalError::Write)?;
            }
            if cut {
                self.interrupted = true;
                if self.shard.is_some() {
                    // A shard's trials are not a prefix: it keeps its journal only.
                    return Err(JournalError::Interrupted);
                }
                // The whole trials before the first one not run, for the
                // command to write what is complete so far.
                return Ok(out.into_iter().map_while(|r| r).collect());
            }
            start = end;
        }
        // Stand-ins for the other shards' trials.
        let filler = match out.iter().flatten().next() {
            Some(r) => Some(r.clone()),
            None if !out.is_empty() => Some(compute(range.start)),
            None => None,
        };
        Ok(out
            .into_iter()
            .map(|r| r.or_else(|| filler.clone()).expect("a stand-in exists"))
            .collect())
    }
}

impl Session {
    /// The longest run of journaled results from `range.start` on.
    fn replayed_prefix<T: DeserializeOwned>(
        &self,
        call: u64,
        range: std::ops::Range<u64>,
    ) -> Result<Vec<T>, JournalError> {
        range
            .map_while(|i| self.replay.get(&(call, i)).map(|b| decode(b, call, i)))
            .collect()
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8], call: u64, index: u64) -> Result<T, JournalError> {
    ciborium::from_reader(bytes).map_err(|e| JournalError::Mismatch {
        call,
        index,
        reason: e.to_string(),
    })
}

/// Appends one record.
pub fn write_record<T: Serialize>(
    sink: &mut dyn Write,
    call: u64,
    index: u64,
    value: &T,
) -> io::Result<()> {
    let mut bytes = Vec::new();
    ciborium::into_writer(value, &mut bytes).map_err(io::Error::other)?;
    let len = u32::try_from(bytes.len()).map_err(io::Error::other)?;
    sink.write_all(&call.to_le_bytes())?;
    sink.write_all(&index.to_le_bytes())?;
    sink.write_all(&len.to_le_bytes())?;
    sink.write_all(&bytes)
}

/// Reads every whole record of a journal into `into`; returns the number of
/// bytes they span (a torn last record is left out) and how many records
/// were already in `into` (the same trial twice: overlapping shards).
pub fn read_records(mut r: impl Read, into: &mut Records) -> io::Result<(u64, u64)> {
    let mut buf = Vec::new();
    r.read_to_end(&mut buf)?;
    let (mut at, mut dup) = (0usize, 0u64);
    while buf.len() - at >= 20 {
        let word = |k: usize| u64::from_le_bytes(buf[at + k..at + k + 8].try_into().expect("8"));
        let (call, index) = (word(0), word(8));
        let len = u32::from_le_bytes(buf[at + 16..at + 20].try_into().expect("4")) as usize;
        if buf.len() - at - 20 < len {
            break;
        }
        let value = buf[at + 20..at + 20 + len].to_vec();
        if into.insert((call, index), value).is_some() {
            dup += 1;
        }
        at += 20 + len;
    }
    Ok((at as u64, dup))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs trials one by one, as the pool would, in order.
    fn sequential<T>(todo: &[u64], g: &(dyn Fn(u64) -> Option<T> + Sync)) -> Vec<Option<T>> {
        todo.iter().map(|&i| g(i)).collect()
    }

    #[test]
    fn a_stop_keeps_the_whole_trials_before_it_and_later_calls_replay_only() {
        let mut replay = Records::new();
        // A resumed run's journal holds trials 0, 1 and 3 of the second call.
        for i in [0u64, 1, 3] {
            let mut b = Vec::new();
            ciborium::into_writer(&(100 + i), &mut b).unwrap();
            replay.insert((1, i), b);
        }
        let mut s = Session::new(None, replay, Some(Box::new(Vec::new())));
        let stop = s.stop.clone();
        let compute = |i: u64| {
            if i == 4 {
                stop.store(true, Ordering::Relaxed);
            }
            i
        };
        let first = s.run(0..10, compute, sequential).unwrap();
        assert_eq!(first, vec![0, 1, 2, 3, 4]);
        assert!(s.interrupted());
        assert_eq!(s.computed(), 5);
        // Nothing is computed after the stop: the journal's prefix only.
        let second: Vec<u64> = s.run(0..10, |_| unreachable!(), sequential).unwrap();
        assert_eq!(second, vec![100, 101]);
        let third: Vec<u64> = s.run(0..10, |_| unreachable!(), sequential).unwrap();
        assert!(third.is_empty());
    }

    #[test]
    fn a_stopped_shard_fails_instead() {
        let shard = Shard { index: 1, count: 2 };
        let mut s = Session::new(Some(shard), Records::new(), None);
        s.stop.store(true, Ordering::Relaxed);
        let r = s.run(0..10, |i| i, sequential);
        assert!(matches!(r, Err(JournalError::Interrupted)));
    }
}
