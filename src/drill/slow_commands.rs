//! A busy Redis in the drill: a scenario's slow command (`action =
//! "command"`, `redis::slow_command` holds the rules) blocks one shard's
//! single thread, so every command behind it queues and the cache's
//! callers see the latency spike the runbook pages on; `SLOWLOG GET` lists
//! it (execution time only, as Redis does: the time others queued behind
//! it is not counted), and `redis-cli --latency` shows the command latency
//! (queueing included) over the last second, both at `--at` times.

use std::collections::VecDeque;
use std::fmt::Write as _;

use super::readings::ReadingDef;
use super::sim::{DrillTrial, Ev};
use crate::engine::SimTime;
use crate::model::Model;
use crate::redis::slow_command::{SLOWLOG_MAX_LEN, SLOWLOG_SLOWER_THAN, SlowCommand};
use crate::scenario::{Action, EventKind};

/// One `SLOWLOG` entry.
#[derive(Clone, Copy, Debug)]
struct SlowEntry {
    id: u64,
    at: SimTime,
    took: SimTime,
    command: &'static str,
}

/// Command latencies over one second: min, max, sum \[ns\], count.
#[derive(Clone, Copy, Debug, Default)]
struct Window {
    start: SimTime,
    min: u64,
    max: u64,
    sum: u128,
    n: u64,
}

impl Window {
    fn add(&mut self, ns: u64) {
        self.min = if self.n == 0 { ns } else { self.min.min(ns) };
        self.max = self.max.max(ns);
        self.sum += u128::from(ns);
        self.n += 1;
    }
}

/// A cache's slow log and latency windows.
#[derive(Clone, Debug, Default)]
pub(super) struct BusyState {
    slowlog: VecDeque<SlowEntry>,
    next_id: u64,
    /// The current and the previous second.
    now: Window,
    prev: Window,
    /// The largest command latency since the last reading \[ns\].
    bin_max: u64,
}

impl BusyState {
    /// A command that arrived at `arrived` is served at `now`.
    pub(super) fn observe(&mut self, arrived: SimTime, now: SimTime) {
        if now >= self.now.start + SimTime::SECOND {
            let start = SimTime(now.0 - now.0 % SimTime::SECOND.0);
            self.prev = if self.now.start + SimTime::SECOND == start {
                self.now
            } else {
                Window::default()
            };
            self.now = Window {
                start,
                ..Window::default()
            };
        }
        let ns = (now - arrived).0;
        self.now.add(ns);
        self.bin_max = self.bin_max.max(ns);
    }
}

impl DrillTrial<'_> {
    /// Runs `cmd` on shard `inst` of cache `comp` (every shard for `KEYS *`).
    pub(super) fn run_command(&mut self, comp: usize, cmd: SlowCommand, now: SimTime) {
        let shards = u64::from(self.comps[comp].active.max(1));
        let Some(st) = self.comps[comp].cache.as_mut() else {
            return;
        };
        let took = cmd.block(st.ks.len() as u64 / shards);
        if took > SLOWLOG_SLOWER_THAN {
            let b = &mut st.busy;
            b.slowlog.push_front(SlowEntry {
                id: b.next_id,
                at: now,
                took,
                command: cmd.text(),
            });
            b.next_id += 1;
            b.slowlog.truncate(SLOWLOG_MAX_LEN);
        }
        if took == SimTime::ZERO {
            return;
        }
        match cmd {
            SlowCommand::Keys => self.block_shards(comp, took, now),
            _ => {
                let x = &mut self.comps[comp].insts[0];
                if x.up && !x.held {
                    x.held = true;
                    self.queue.schedule(
                        now + took,
                        Ev::Unblock {
                            comp: comp as u16,
                            inst: 0,
                        },
                    );
                }
            }
        }
    }

    /// Appends the largest command latency of each cache that runs slow
    /// commands over the bin \[ms\] (the order of [`reading_defs`]).
    pub(super) fn sample_busy(&mut self, out: &mut Vec<f64>) {
        for (c, comp) in self.model.components.iter().zip(&mut self.comps) {
            if !runs_commands(self.model, c) {
                continue;
            }
            let Some(st) = comp.cache.as_mut() else {
                out.push(f64::NAN);
                continue;
            };
            out.push(std::mem::take(&mut st.busy.bin_max) as f64 / 1e6);
        }
    }

    /// `redis-cli --latency` and `SLOWLOG GET` of caches that run slow commands.
    pub(super) fn busy_snapshot(&self, now: SimTime, out: &mut String) {
        for (c, comp) in self.model.components.iter().zip(&self.comps) {
            let Some(st) = comp.cache.as_ref().filter(|_| runs_commands(self.model, c)) else {
                continue;
            };
            let b = &st.busy;
            let w = if b.now.n > 0 { b.now } else { b.prev };
            let _ = writeln!(out, "$ redis-cli -h {} --latency", c.id);
            if w.n == 0 {
                let _ = writeln!(out, "min: -, max: -, avg: - (0 samples)");
            } else {
                let _ = writeln!(
                    out,
                    "min: {:.2}, max: {:.2}, avg: {:.2} ({} samples)",
                    w.min as f64 / 1e6,
                    w.max as f64 / 1e6,
                    w.sum as f64 / w.n as f64 / 1e6,
                    w.n
                );
            }
            let _ = writeln!(out, "$ redis-cli -h {} slowlog get", c.id);
            for e in &b.slowlog {
                let ago = now.saturating_sub(e.at).as_secs_f64();
                let _ = writeln!(
                    out,
                    "{}) id {}, {:.0} s ago, {} us: {}",
                    e.id + 1,
                    e.id,
                    ago,
                    e.took.0 / 1000,
                    e.command
                );
            }
        }
    }
}

/// Whether any scenario of `model` runs a command on cache `c`.
fn runs_commands(model: &Model, c: &crate::model::Component) -> bool {
    let Some(i) = model.components.iter().position(|x| x.id == c.id) else {
        return false;
    };
    model.scenarios.iter().any(|s| {
        s.events.iter().any(
            |e| matches!(e.what, EventKind::Action(Action::Command { target, .. }) if target == i),
        )
    })
}

/// The readings of every cache a scenario runs slow commands on.
pub(super) fn reading_defs(model: &Model, defs: &mut Vec<ReadingDef>) {
    for c in &model.components {
        if runs_commands(model, c) {
            defs.push(ReadingDef::new(
                &c.id,
                "latency_max_ms",
                "latency",
                "slowest command (queueing included)",
                "ms",
            ));
        }
    }
}
