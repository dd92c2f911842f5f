//! Databases in a drill, beyond a queue of workers: promotion of a replica
//! after the failover time when the primary dies (writes fail meanwhile,
//! reads keep going to the replicas), per-instance connection pools in the
//! callers (a call waits for a free connection and fails with
//! `pool_exhausted` past the wait timeout, as HikariCP's
//! `connectionTimeout` does, domain reference §17), replication lag with
//! the reads that may be stale counted, and a disk filling until writes are
//! rejected (`write_rejected`) and a cleanup frees it.
//!
//! Pools, lag and disk cost nothing to models that do not set them: a call
//! carries a pool id only on an edge with a pool, and the disk is a single
//! time on the component (`Comp::writes_fail_at`, never by default).

use std::collections::VecDeque;
use std::fmt::Write as _;

/// Bytes in the "GB" of the disk readings: the unit model files mean by
/// `GB` (`model::units`: powers of 1024, as redis.conf), so that a disk
/// given as `free = "200GB"` reads 200 at the start.
const BYTES_PER_GB: f64 = (1u64 << 30) as f64;

use super::metrics::Cause;
use super::plan::{Step, StepKind};
use super::readings::ReadingDef;
use super::sim::{DrillTrial, Ev, NONE, Phase};
use crate::engine::SimTime;
use crate::engine::queue::EventKey;
use crate::engine::rng::{Purpose, SimRng, named_key, stream};
use crate::model::db_spec::{DbSpec, PoolSpec};
use crate::model::{ComponentKind, Model};

/// A call that holds no pooled connection.
pub(super) const NO_POOL: u32 = u32::MAX;

/// A call waiting for a connection.
#[derive(Clone, Copy, Debug)]
struct Waiter {
    call: u32,
    tag: u32,
    timer: EventKey,
}

/// One caller instance's pool of connections to one database.
#[derive(Clone, Debug, Default)]
struct Pool {
    in_use: u32,
    waiters: VecDeque<Waiter>,
}

/// The pools of every instance of one caller towards one database.
struct PoolGroup {
    db: u16,
    caller: u16,
    spec: PoolSpec,
    pools: Vec<Pool>,
}

/// Counts over the current bin.
#[derive(Clone, Copy, Debug, Default)]
struct BinCounts {
    waits: u64,
    stale: u64,
}

/// One database with drill mechanics.
struct DbState {
    comp: usize,
    spec: DbSpec,
    last_write: SimTime,
    bin: BinCounts,
    bin_start: SimTime,
    /// Promotions so far: (when, new primary).
    promotions: Vec<(SimTime, u32)>,
}

/// The database state of a trial.
pub(super) struct Databases {
    groups: Vec<PoolGroup>,
    states: Vec<DbState>,
    /// Failover-time streams of every database, by component index.
    failover_rng: Vec<Option<SimRng>>,
}

/// The databases with drill mechanics, in model order.
fn db_components(model: &Model) -> impl Iterator<Item = (usize, &DbSpec)> {
    model
        .components
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == ComponentKind::Database)
        .filter_map(|(i, c)| c.serving.db.as_ref().map(|s| (i, s)))
}

/// The database state for a trial with `seed`.
pub(super) fn databases(model: &Model, seed: u64, start: SimTime) -> Databases {
    let mut groups = Vec::new();
    for (db, spec) in db_components(model) {
        let Some(pool) = spec.pool else { continue };
        for (ci, c) in model.components.iter().enumerate() {
            if c.depends_on.contains(&db) || c.soft_depends_on.contains(&db) {
                groups.push(PoolGroup {
                    db: db as u16,
                    caller: ci as u16,
                    spec: pool,
                    pools: vec![Pool::default(); c.instances as usize],
                });
            }
        }
    }
    Databases {
        groups,
        states: db_components(model)
            .map(|(comp, spec)| DbState {
                comp,
                spec: *spec,
                last_write: SimTime::ZERO,
                bin: BinCounts::default(),
                bin_start: start,
                promotions: Vec::new(),
            })
            .collect(),
        failover_rng: model
            .components
            .iter()
            .map(|c| {
                (c.kind == ComponentKind::Database).then(|| {
                    stream(
                        seed,
                        named_key(&format!("{}.failover", c.id), 0),
                        Purpose::Failover,
                    )
                })
            })
            .collect(),
    }
}

/// When a database's disk fills, from the trial's start.
pub(super) fn writes_fail_at(model: &Model, comp: usize) -> SimTime {
    model.components[comp]
        .serving
        .db
        .and_then(|d| d.disk)
        .map_or(SimTime::NEVER, |d| fill_time(d.free, d.fill_per_second))
}

fn fill_time(free: u64, per_second: u64) -> SimTime {
    if per_second == 0 {
        SimTime::NEVER
    } else {
        SimTime::from_secs_f64(free as f64 / per_second as f64)
    }
}

/// The readings of databases, in [`DrillTrial::sample_db`] order.
pub(super) fn reading_defs(model: &Model, defs: &mut Vec<ReadingDef>) {
    for (c, spec) in db_components(model) {
        let id = &model.components[c].id;
        defs.push(ReadingDef::new(
            id,
            "utilisation",
            "load",
            "worker utilisation",
            "ratio",
        ));
        if spec.pool.is_some() {
            defs.push(ReadingDef::new(
                id,
                "pool_waits",
                "pool",
                "calls that waited for a connection",
                "1/s",
            ));
        }
        if spec.replication_lag.is_some() {
            defs.push(ReadingDef::new(
                id,
                "replication_lag",
                "replication",
                "replica lag",
                "s",
            ));
            defs.push(ReadingDef::new(
                id,
                "stale_reads",
                "stale",
                "replica reads within the lag of a write",
                "1/s",
            ));
        }
        if spec.disk.is_some() {
            defs.push(ReadingDef::new(id, "disk_free", "disk", "free disk", "GB"));
        }
    }
}

impl DrillTrial<'_> {
    /// Takes a connection for `parent`'s call `s` from its pool: `Ok` with
    /// the pool id (or [`NO_POOL`] on an edge without a pool), or `Err` when
    /// none is free (with `wait`, the call is queued with its wait timeout).
    pub(super) fn acquire_connection(
        &mut self,
        parent: u32,
        s: Step,
        wait: bool,
        now: SimTime,
    ) -> Result<u32, ()> {
        if self.dbs.groups.is_empty() || !matches!(s.kind, StepKind::DbRead | StepKind::DbWrite) {
            return Ok(NO_POOL);
        }
        let p = self.calls.get(parent).expect("live parent");
        let (caller, inst, tag) = (p.comp, p.inst as usize, p.tag);
        let Some(g) = self
            .dbs
            .groups
            .iter()
            .position(|g| g.db == s.dep && g.caller == caller)
        else {
            return Ok(NO_POOL);
        };
        let group = &mut self.dbs.groups[g];
        if group.pools.len() <= inst {
            group.pools.resize(inst + 1, Pool::default());
        }
        let pool = &mut group.pools[inst];
        if pool.in_use < group.spec.size {
            pool.in_use += 1;
            return Ok(((g as u32) << 16) | inst as u32);
        }
        if !wait {
            return Err(());
        }
        let timer = self.queue.schedule(
            now + group.spec.wait_timeout,
            Ev::PoolTimeout { call: parent, tag },
        );
        pool.waiters.push_back(Waiter {
            call: parent,
            tag,
            timer,
        });
        if self.measured(now)
            && let Some(d) = self
                .dbs
                .states
                .iter_mut()
                .find(|d| d.comp == s.dep as usize)
        {
            d.bin.waits += 1;
        }
        Err(())
    }

    /// A pooled connection comes back: the first caller still waiting gets it.
    pub(super) fn release_connection(&mut self, pool: u32, now: SimTime) {
        let (g, inst) = ((pool >> 16) as usize, (pool & 0xFFFF) as usize);
        self.dbs.groups[g].pools[inst].in_use -= 1;
        while let Some(w) = self.dbs.groups[g].pools[inst].waiters.pop_front() {
            self.queue.cancel(w.timer);
            if self.waits_for_connection(w.call, w.tag) {
                let c = self.calls.get(w.call).expect("live");
                let s = self.plan_of(c)[c.step as usize];
                // The pool has a free connection now: `issue` takes it.
                return self.issue(w.call, s, now);
            }
        }
    }

    /// Whether `call` (with `tag`) is still waiting for a connection.
    fn waits_for_connection(&self, call: u32, tag: u32) -> bool {
        self.calls
            .get(call)
            .is_some_and(|c| c.tag == tag && c.child == NONE && c.phase == Phase::Calling)
    }

    /// A call waited `wait_timeout` for a connection: it fails with `pool_exhausted`.
    pub(super) fn on_pool_timeout(&mut self, call: u32, tag: u32, now: SimTime) {
        if !self.waits_for_connection(call, tag) {
            return;
        }
        let c = self.calls.get(call).expect("live");
        let (caller, inst) = (c.comp, c.inst as usize);
        let s = self.plan_of(c)[c.step as usize];
        let Some(g) = self
            .dbs
            .groups
            .iter()
            .position(|g| g.db == s.dep && g.caller == caller)
        else {
            return;
        };
        let waiters = &mut self.dbs.groups[g].pools[inst].waiters;
        let Some(pos) = waiters.iter().position(|w| w.call == call && w.tag == tag) else {
            return;
        };
        waiters.remove(pos);
        self.child_result(call, Err(Cause::PoolExhausted), false, now);
    }

    /// Instance `inst` of `comp` went down: if it is a database's primary,
    /// a replica is promoted after the failover time.
    pub(super) fn on_db_instance_down(&mut self, comp: usize, inst: usize, now: SimTime) {
        let c = &self.model.components[comp];
        if c.kind != ComponentKind::Database || self.comps[comp].primary as usize != inst {
            return;
        }
        let (Some(f), Some(rng)) = (&c.failover, self.dbs.failover_rng[comp].as_mut()) else {
            return;
        };
        let after = f.time.sample(rng);
        self.queue
            .schedule(now + after, Ev::Promote { comp: comp as u16 });
    }

    /// The failover time has passed: promote the first replica up, unless
    /// the primary is back.
    pub(super) fn on_promote(&mut self, comp: usize, now: SimTime) {
        let c = &mut self.comps[comp];
        let primary = c.primary as usize;
        if c.insts.get(primary).is_some_and(|x| x.up) && primary < c.active as usize {
            return;
        }
        let Some(next) = (0..c.active as usize).find(|&i| i != primary && c.insts[i].up) else {
            return;
        };
        c.primary = next as u32;
        if let Some(d) = self.dbs.states.iter_mut().find(|d| d.comp == comp) {
            d.promotions.push((now, next as u32));
        }
    }

    /// A database finished a call's own work: writes mark the replicas
    /// behind; replica reads within the lag of the last write are counted.
    pub(super) fn db_served(&mut self, comp: usize, inst: usize, is_read: bool, now: SimTime) {
        let primary = self.comps[comp].primary as usize;
        let measured = self.measured(now);
        let Some(d) = self.dbs.states.iter_mut().find(|d| d.comp == comp) else {
            return;
        };
        let Some(lag) = d.spec.replication_lag else {
            return;
        };
        if !is_read {
            d.last_write = now;
        } else if inst != primary && now < d.last_write + lag && measured {
            d.bin.stale += 1;
        }
    }

    /// `cleanup_disk` (and `fill_disk`): the disk has `free` bytes free from now on.
    pub(super) fn cleanup_disk(&mut self, target: usize, free: Option<u64>, now: SimTime) {
        let Some(disk) = self.model.components[target]
            .serving
            .db
            .and_then(|d| d.disk)
        else {
            return;
        };
        let free = free.unwrap_or(disk.free);
        self.comps[target].writes_fail_at = now + fill_time(free, disk.fill_per_second);
    }

    /// Appends this bin's database readings, in [`reading_defs`] order.
    pub(super) fn sample_db(&mut self, now: SimTime, out: &mut Vec<f64>) {
        for d in &mut self.dbs.states {
            let b = std::mem::take(&mut d.bin);
            let width = (now - d.bin_start).as_secs_f64();
            d.bin_start = now;
            let per_s = |x: u64| {
                if width > 0.0 {
                    x as f64 / width
                } else {
                    f64::NAN
                }
            };
            out.push(
                self.gauges[d.comp]
                    .last()
                    .map_or(f64::NAN, |g| g.utilisation()),
            );
            if d.spec.pool.is_some() {
                out.push(per_s(b.waits));
            }
            if let Some(lag) = d.spec.replication_lag {
                out.push(lag.as_secs_f64());
                out.push(per_s(b.stale));
            }
            if let Some(disk) = d.spec.disk {
                let left = self.comps[d.comp].writes_fail_at.saturating_sub(now);
                let bytes = (left.as_secs_f64() * disk.fill_per_second as f64).min(u64::MAX as f64);
                out.push(bytes / BYTES_PER_GB);
            }
        }
    }

    /// The databases' state as the on-call would check it.
    pub(super) fn db_snapshot(&self, now: SimTime, s: &mut String) {
        for d in &self.dbs.states {
            let c = &self.comps[d.comp];
            let id = &self.model.components[d.comp].id;
            let _ = write!(s, "{id}: primary {id}[{}]", c.primary);
            if let Some((at, _)) = d.promotions.last() {
                let _ = write!(s, " (promoted at {})", at.saturating_sub(self.start));
            }
            if let Some(disk) = d.spec.disk {
                let left = c.writes_fail_at.saturating_sub(now);
                let gb = left.as_secs_f64() * disk.fill_per_second as f64 / BYTES_PER_GB;
                let _ = write!(s, "; disk {gb:.1} GB free");
                if left == SimTime::ZERO {
                    let _ = write!(s, ", writes rejected (No space left on device)");
                }
            }
            let _ = writeln!(s);
            for g in self.dbs.groups.iter().filter(|g| g.db as usize == d.comp) {
                let caller = &self.model.components[g.caller as usize].id;
                for (i, p) in g.pools.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        "  pool {caller}[{i}]: {}/{} connections in use, {} waiting",
                        p.in_use,
                        g.spec.size,
                        p.waiters.len()
                    );
                }
            }
        }
    }
}
