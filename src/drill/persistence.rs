//! A cache's persistence in the drill (`redis::persistence` holds the
//! rules). At most every 100 ms (serverCron), at a command, the node checks
//! its `save` points; a `BGSAVE` forks, which blocks the node's single
//! thread for the fork time (its shards' commands queue meanwhile), then a
//! child writes the dump while every write copies a page (copy-on-write);
//! if the node's RSS passes its memory limit, the child is killed, the save
//! fails, and with `stop-writes-on-bgsave-error yes` (the default) the node
//! refuses writes (`-MISCONF`) until a save succeeds; a failed save is
//! retried after 5 s (CONFIG_BGSAVE_RETRY_DELAY, src/server.c).
//!
//! A shard that restarts with persistence comes back with the keys of its
//! last save (RDB) or all of them (AOF; the last second of writes is not
//! rolled back), answers `-LOADING` while it loads them (time in proportion
//! to their size), then serves warm; without persistence it comes back
//! empty (`drill/cache.rs`).

use std::fmt::Write as _;

use super::readings::ReadingDef;
use super::sim::{DrillTrial, Ev};
use crate::cause::Cause;
use crate::engine::SimTime;
use crate::model::Model;
use crate::redis::persistence::Persistence;

/// serverCron's period at `hz 10`.
const CRON: SimTime = SimTime(100 * SimTime::MILLISECOND.0);
/// A failed BGSAVE is retried after this long (CONFIG_BGSAVE_RETRY_DELAY).
const RETRY_AFTER: SimTime = SimTime(5 * SimTime::SECOND.0);

/// A dump being written.
struct Child {
    ends: SimTime,
    /// Writes when it forked (they are in the dump).
    dirty_at_fork: u64,
    /// Writes since it forked (each copies a page).
    writes: u64,
    /// The keys it dumps, one bit each.
    keys: Vec<u64>,
}

/// A trial's persistence state of one cache.
pub(super) struct PersistState {
    spec: Persistence,
    dirty: u64,
    last_save: SimTime,
    last_ok: bool,
    last_try: SimTime,
    next_cron: SimTime,
    child: Option<Child>,
    /// The keys of the last successful save (None: no save yet).
    saved: Option<Vec<u64>>,
    latest_fork: SimTime,
    /// Per shard: answers `-LOADING` until then.
    loading_until: Vec<SimTime>,
    /// Per shard: restarted and waiting to load (set at the crash).
    pending: Vec<bool>,
}

impl PersistState {
    /// The persistence of a cache whose key space has it.
    pub(super) fn new(spec: Option<&Persistence>, shards: u32) -> Option<Box<PersistState>> {
        let spec = spec?.clone();
        Some(Box::new(PersistState {
            spec,
            dirty: 0,
            last_save: SimTime::ZERO,
            last_ok: true,
            last_try: SimTime::ZERO,
            next_cron: SimTime::ZERO,
            child: None,
            saved: None,
            latest_fork: SimTime::ZERO,
            loading_until: vec![SimTime::ZERO; shards as usize],
            pending: vec![false; shards as usize],
        }))
    }

    fn cow(&self, used: u64) -> u64 {
        self.child
            .as_ref()
            .map_or(0, |c| self.spec.cow_bytes(c.writes, used))
    }
}

fn bitset(n: u32, has: impl Fn(u32) -> bool) -> Vec<u64> {
    let mut b = vec![0u64; (n as usize).div_ceil(64)];
    for k in 0..n {
        if has(k) {
            b[k as usize / 64] |= 1 << (k % 64);
        }
    }
    b
}

fn has_bit(b: &[u64], k: u32) -> bool {
    b.get(k as usize / 64)
        .is_some_and(|w| w & (1 << (k % 64)) != 0)
}

impl DrillTrial<'_> {
    /// Before shard `inst` of cache `comp` runs a command (`write`: one
    /// that changes the data): the cron's save work, and the error of a
    /// node still loading or refusing writes after a failed save.
    pub(super) fn persist_before_command(
        &mut self,
        comp: usize,
        inst: usize,
        write: bool,
        now: SimTime,
    ) -> Option<Cause> {
        let shards = self.comps[comp].active.max(1);
        let keys = self.model.components[comp]
            .serving
            .keyspace
            .as_ref()
            .map_or(0, |k| k.keys.count());
        let st = self.comps[comp].cache.as_mut()?;
        let used = st.ks.used_memory();
        let p = st.persist.as_mut()?;
        if p.loading_until.get(inst).is_some_and(|&t| now < t) {
            return Some(Cause::ServerError); // -LOADING
        }
        let mut fork = None;
        if now >= p.next_cron {
            p.next_cron = now + CRON;
            if p.child.as_ref().is_some_and(|c| now >= c.ends) {
                let c = p.child.take().expect("some");
                p.dirty -= c.dirty_at_fork.min(p.dirty);
                p.saved = Some(c.keys);
                p.last_ok = true;
                p.last_save = now;
            }
            let retry_ok = p.last_ok || now >= p.last_try + RETRY_AFTER;
            if p.child.is_none()
                && !p.spec.save.is_empty()
                && retry_ok
                && p.spec.save_due(now - p.last_save, p.dirty)
            {
                let ks = &st.ks;
                let snapshot = bitset(keys, |k| ks.contains(k));
                let stall = p.spec.fork_stall(used / u64::from(shards));
                p.latest_fork = stall;
                p.last_try = now;
                p.child = Some(Child {
                    ends: now + stall + p.spec.dump_time(used / u64::from(shards)),
                    dirty_at_fork: p.dirty,
                    writes: 0,
                    keys: snapshot,
                });
                fork = Some(stall);
            }
        }
        if write {
            p.dirty += 1;
            if let Some(c) = p.child.as_mut() {
                c.writes += 1;
            }
            // Copy-on-write past the node's limit: the OOM killer takes
            // the child; the save fails.
            let rss = used / u64::from(shards) + p.cow(used / u64::from(shards));
            if p.child.is_some() && p.spec.memory_limit.is_some_and(|l| rss > l) {
                p.child = None;
                p.last_ok = false;
            }
        }
        let refuse = write && !p.last_ok; // -MISCONF (stop-writes-on-bgsave-error)
        if let Some(stall) = fork {
            self.block_shards(comp, stall, now);
        }
        refuse.then_some(Cause::WriteRejected)
    }

    /// Blocks every shard of `comp` that is up for `d` (a fork, a slow command).
    pub(super) fn block_shards(&mut self, comp: usize, d: SimTime, now: SimTime) {
        for inst in 0..self.comps[comp].active as usize {
            let x = &mut self.comps[comp].insts[inst];
            if x.up && !x.held && d > SimTime::ZERO {
                x.held = true;
                self.queue.schedule(
                    now + d,
                    Ev::Unblock {
                        comp: comp as u16,
                        inst: inst as u16,
                    },
                );
            }
        }
    }

    /// A node of `comp` crashed (`inst`): with persistence, it keeps the
    /// data it will reload (returns true); without, the caller empties it.
    pub(super) fn persist_crash(&mut self, comp: usize, inst: usize) -> bool {
        let shards = self.comps[comp].active.max(1) as usize;
        let Some(st) = self.comps[comp].cache.as_mut() else {
            return false;
        };
        let Some(p) = st.persist.as_mut().filter(|p| p.spec.keeps_data()) else {
            return false;
        };
        p.child = None;
        if p.spec.aof.is_none() {
            let saved = p.saved.as_deref();
            st.ks.remove_where(|k| {
                k as usize % shards == inst % shards && !saved.is_some_and(|b| has_bit(b, k))
            });
        }
        if p.pending.len() <= inst {
            p.pending.resize(inst + 1, false);
            p.loading_until.resize(inst + 1, SimTime::ZERO);
        }
        p.pending[inst] = true;
        true
    }

    /// Shard `inst` of `comp` is up again: it loads its data first.
    pub(super) fn persist_restarted(&mut self, comp: usize, inst: usize, now: SimTime) {
        let shards = u64::from(self.comps[comp].active.max(1));
        let Some(st) = self.comps[comp].cache.as_mut() else {
            return;
        };
        let used = st.ks.used_memory() / shards;
        let Some(p) = st.persist.as_mut() else { return };
        if p.pending.get(inst).copied().unwrap_or(false) {
            p.pending[inst] = false;
            p.loading_until[inst] = now + p.spec.load_time(used);
            p.dirty = 0;
            p.last_save = now;
            p.last_ok = true;
        }
    }

    /// Appends the readings of every cache with persistence (the order of
    /// [`reading_defs`]): RSS \[MB\], the latest fork's stall \[ms\], and
    /// shards loading.
    pub(super) fn sample_persistence(&mut self, now: SimTime, out: &mut Vec<f64>) {
        for comp in &self.comps {
            let Some(st) = comp.cache.as_ref() else {
                continue;
            };
            let Some(p) = st.persist.as_ref() else {
                continue;
            };
            let used = st.ks.used_memory();
            let shards = u64::from(comp.active.max(1));
            out.push((used + p.cow(used / shards)) as f64 / (1024.0 * 1024.0));
            out.push(p.latest_fork.as_secs_f64() * 1e3);
            out.push(p.loading_until.iter().filter(|&&t| now < t).count() as f64);
        }
    }

    /// `redis-cli info persistence` of every cache with persistence.
    pub(super) fn persistence_snapshot(&self, now: SimTime, out: &mut String) {
        for (c, comp) in self.model.components.iter().zip(&self.comps) {
            let Some(p) = comp.cache.as_ref().and_then(|s| s.persist.as_ref()) else {
                continue;
            };
            let loading = p.loading_until.iter().any(|&t| now < t);
            let _ = writeln!(out, "$ redis-cli -h {} info persistence", c.id);
            let _ = writeln!(out, "loading:{}", u8::from(loading));
            let _ = writeln!(out, "rdb_changes_since_last_save:{}", p.dirty);
            let _ = writeln!(
                out,
                "rdb_bgsave_in_progress:{}",
                u8::from(p.child.is_some())
            );
            let _ = writeln!(
                out,
                "rdb_last_bgsave_status:{}",
                if p.last_ok { "ok" } else { "err" }
            );
            let _ = writeln!(out, "aof_enabled:{}", u8::from(p.spec.aof.is_some()));
            let _ = writeln!(out, "latest_fork_usec:{}", p.latest_fork.0 / 1000);
        }
    }
}

impl DrillTrial<'_> {
    /// A fork or a slow command ended: shard `inst` of `comp` serves again.
    pub(super) fn unblock(&mut self, comp: usize, inst: usize, now: SimTime) {
        if let Some(x) = self.comps[comp].insts.get_mut(inst) {
            x.held = false;
            self.start_queued(comp, inst, now);
        }
    }
}

/// The readings of every cache with persistence, in sampling order.
pub(super) fn reading_defs(model: &Model, defs: &mut Vec<ReadingDef>) {
    for c in &model.components {
        if c.serving
            .keyspace
            .as_ref()
            .is_none_or(|k| k.persistence.is_none())
        {
            continue;
        }
        let id = &c.id;
        defs.push(ReadingDef::new(
            id,
            "rss_mb",
            "memory",
            "RSS (copy-on-write)",
            "MB",
        ));
        defs.push(ReadingDef::new(
            id,
            "latest_fork_ms",
            "fork",
            "latest fork stall",
            "ms",
        ));
        defs.push(ReadingDef::new(
            id,
            "loading",
            "fork",
            "shards loading",
            "shards",
        ));
    }
}
