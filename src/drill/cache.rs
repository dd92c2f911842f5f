//! A cache component with a Redis key space in the drill (cache-aside).
//!
//! Each request draws its key from the cache's own stream (`<comp>.keys`,
//! so no other component's stream shifts) at its first cache step; the
//! cache answers `GET` with a hit or a miss as its key space decides; a miss
//! reads the database, then fills the entry (`SET`, the plan step
//! `CacheFill`, whose failure never fails the request: the app logs it).
//! Writes `DEL` the entry after the database write (or `SET` it, with
//! `on_write = "update"`). With `noeviction` and a full cache, `SET` fails
//! with `write_rejected`. A crash or bounce empties the node (no
//! persistence); `flush` empties it; `config_set` changes `maxmemory` or the
//! policy.
//!
//! A cache of n instances is a Redis Cluster of n shards ([`Nodes`]): each
//! key goes to the instance owning its hash slot, each shard has its own
//! key space and `maxmemory`; `scale` reshards. A lost primary (a crash)
//! restarts empty, or with replicas its failover (Sentinel for one node,
//! the cluster's own for shards) promotes a replica at the time its
//! timeline gives (the event `CacheFailover`): the instance answers again,
//! with the writes of the replication lag lost. While a shard has no
//! primary, a cluster requiring full coverage answers `-CLUSTERDOWN` (a
//! server error) for every key. Components without a key space keep the
//! fixed `hit_ratio` and never reach this module.

use std::fmt::Write as _;

use super::plan::{Step, StepKind};
use super::readings::ReadingDef;
use super::sim::{DrillTrial, Ev, NONE};
use crate::cause::Cause;
use crate::engine::SimTime;
use crate::engine::rng::{Purpose, SimRng, named_key, stream};
use crate::model::{Component, Model};
use crate::redis::{CacheSetting, CacheSpec, Nodes, OnWrite, Stats};

/// What a call does to the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CacheOp {
    /// `GET`.
    Get,
    /// `SET` after a miss, or for a write with `on_write = "update"`.
    Set,
    /// `DEL` for a write with `on_write = "invalidate"`.
    Del,
}

/// The key a call carries to a cache with a key space (`id` NONE otherwise).
#[derive(Clone, Copy, Debug)]
pub(super) struct CacheKey {
    pub(super) id: u32,
    pub(super) op: CacheOp,
}

impl CacheKey {
    /// No key (calls to anything but a cache with a key space).
    pub(super) const NONE: CacheKey = CacheKey {
        id: NONE,
        op: CacheOp::Get,
    };
}

/// A trial's state of one cache with a key space.
pub(super) struct CacheState {
    pub(super) ks: Nodes,
    rng_keys: SimRng,
    rng_ops: SimRng,
    /// Failover jitter (Sentinel's desync, Cluster's election delay).
    rng_failover: SimRng,
    /// Counters at the last reading, and at the last restart (`INFO`
    /// counts from the node's start).
    last: Stats,
    at_restart: Stats,
    last_at: SimTime,
    /// The application's stampede guards, if any is on.
    pub(super) guard: Option<Box<super::stampede::GuardState>>,
    /// RDB and AOF, if the cache has them.
    pub(super) persist: Option<Box<super::persistence::PersistState>>,
    /// The slow log and command latencies.
    pub(super) busy: super::slow_commands::BusyState,
}

impl CacheState {
    /// A cold cache for component `c`, if it has a key space.
    pub(super) fn new(c: &Component, seed: u64) -> Option<Box<CacheState>> {
        let spec = c.serving.keyspace.as_ref()?;
        Some(Box::new(CacheState {
            ks: Nodes::new(spec, c.instances.max(1) as u16),
            rng_failover: stream(
                seed,
                named_key(&format!("{}.failover", c.id), 0),
                Purpose::Keys,
            ),
            rng_keys: stream(seed, named_key(&format!("{}.keys", c.id), 0), Purpose::Keys),
            rng_ops: stream(
                seed,
                named_key(&format!("{}.evict", c.id), 0),
                Purpose::Keys,
            ),
            last: Stats::default(),
            at_restart: Stats::default(),
            last_at: SimTime::ZERO,
            guard: super::stampede::GuardState::new(c, seed),
            busy: Default::default(),
            persist: super::persistence::PersistState::new(spec.persistence.as_ref(), c.instances),
        }))
    }
}

impl CacheState {
    /// Starts the readings' counts at the warm-up's end (`start`): at the
    /// first command or reading at or after it (`now`), before it runs, the
    /// counters still hold their values at `start`.
    fn mark_warmup_end(&mut self, start: SimTime, now: SimTime) {
        if now >= start && self.last_at < start {
            self.last = self.ks.stats();
            self.last_at = start;
        }
    }
}

fn spec_of(model: &Model, comp: usize) -> &CacheSpec {
    model.components[comp]
        .serving
        .keyspace
        .as_ref()
        .expect("a cache state exists only for caches with a key space")
}

impl DrillTrial<'_> {
    /// The key a call of step `s` from `parent` carries: the request's key
    /// (drawn at its first cache step), for caches with a key space.
    pub(super) fn cache_key(&mut self, parent: u32, s: Step) -> CacheKey {
        let dep = s.dep as usize;
        let Some(state) = self.comps[dep].cache.as_mut() else {
            return CacheKey::NONE;
        };
        let p = self.calls.get(parent).expect("live parent");
        let mut id = p.key.id;
        if id == NONE {
            id = spec_of(self.model, dep).keys.sample(&mut state.rng_keys);
            self.calls.get_mut(parent).expect("live parent").key.id = id;
        }
        let op = match s.kind {
            StepKind::CacheRead => CacheOp::Get,
            StepKind::CacheFill => CacheOp::Set,
            _ => match spec_of(self.model, dep).on_write {
                OnWrite::Invalidate => CacheOp::Del,
                OnWrite::Update => CacheOp::Set,
            },
        };
        CacheKey { id, op }
    }

    /// The cache's work on call `id`: sets its hit flag for a `GET`, and
    /// returns the error of a refused `SET`.
    pub(super) fn cache_serve(&mut self, id: u32, comp: usize, now: SimTime) -> Option<Cause> {
        let key = self.calls.get(id).expect("live").key;
        if key.id == NONE {
            return None;
        }
        let (inst, arrived) = {
            let c = self.calls.get(id).expect("live");
            (c.inst as usize, c.start)
        };
        if let Some(st) = self.comps[comp].cache.as_mut() {
            st.busy.observe(arrived, now);
        }
        if let Some(cause) = self.persist_before_command(comp, inst, key.op != CacheOp::Get, now) {
            return Some(cause);
        }
        let spec = spec_of(self.model, comp);
        let measured = self.measured(now);
        let st = self.comps[comp].cache.as_mut().expect("a cache");
        st.mark_warmup_end(self.start, now);
        if st.ks.cluster_down(now) {
            // -CLUSTERDOWN The cluster is down.
            return Some(Cause::ServerError);
        }
        match key.op {
            CacheOp::Get => {
                let mut hit = st.ks.get(key.id, now, &mut st.rng_ops);
                // XFetch: the app treats some hits near expiry as misses.
                if hit && let Some(g) = st.guard.as_mut() {
                    hit = !g.recompute_early(st.ks.ttl_left(key.id, now), measured);
                }
                self.calls.get_mut(id).expect("live").hit = hit;
                None
            }
            CacheOp::Set => {
                let bytes = spec.size.sample(&mut st.rng_ops);
                let ttl = match st.guard.as_mut() {
                    Some(g) => g.fill_ttl(spec.ttl_of(key.id)),
                    None => spec.ttl_of(key.id),
                };
                st.ks
                    .set(key.id, bytes, ttl, now, &mut st.rng_ops)
                    .err()
                    .map(|_| Cause::WriteRejected)
            }
            CacheOp::Del => {
                st.ks.del(key.id, now, &mut st.rng_ops);
                None
            }
        }
    }

    /// The instance serving the call's key: the shard owning its slot.
    pub(super) fn cache_shard(&self, comp: u16, key: CacheKey) -> Option<u16> {
        let st = self.comps[comp as usize].cache.as_ref()?;
        (key.id != NONE && st.ks.shards() > 1).then(|| st.ks.shard_of(key.id) as u16)
    }

    /// `FLUSHALL` on every node of `comp` (`None`), or node `inst` lost
    /// (a crash or bounce): a replica takes over if it can fail over, else
    /// a node with persistence keeps what it will reload, else it restarts
    /// empty.
    pub(super) fn cache_lose_keys(&mut self, comp: usize, inst: Option<usize>, now: SimTime) {
        let fails_over = self.comps[comp]
            .cache
            .as_ref()
            .is_some_and(|st| st.ks.fails_over());
        if !fails_over && inst.is_some_and(|i| self.persist_crash(comp, i)) {
            return;
        }
        let Some(st) = self.comps[comp].cache.as_mut() else {
            return;
        };
        let Some(i) = inst else {
            return st.ks.flush();
        };
        if i >= st.ks.shards() {
            return;
        }
        match st.ks.lose_primary(i, now, &mut st.rng_failover) {
            Some(at) => {
                let ev = Ev::CacheFailover {
                    comp: comp as u16,
                    shard: i as u16,
                };
                self.queue.schedule(at, ev);
            }
            None if st.ks.shards() == 1 => st.at_restart = st.ks.stats(),
            None => {}
        }
    }

    /// Node `inst` of `comp` is back after a crash. A primary that no
    /// replica replaced yet (back before Sentinel or the cluster promoted
    /// one) is the primary again: with persistence it reloads what it
    /// saved, without it restarts empty and its replicas resync from it.
    pub(super) fn cache_primary_back(&mut self, comp: usize, inst: usize, now: SimTime) {
        let pending = self.comps[comp]
            .cache
            .as_ref()
            .is_some_and(|st| st.ks.fails_over() && st.ks.failover_pending(inst));
        let reloads = pending && self.persist_crash(comp, inst);
        if reloads {
            self.persist_restarted(comp, inst, now);
        }
        if let Some(st) = self.comps[comp].cache.as_mut() {
            st.ks.primary_back(inst, reloads);
        }
    }

    /// The failover of shard `shard` of `comp` promotes its replica: clients
    /// reconnect to it and the instance answers again.
    pub(super) fn on_cache_failover(&mut self, comp: usize, shard: usize, now: SimTime) {
        let Some(st) = self.comps[comp].cache.as_mut() else {
            return;
        };
        if !st.ks.promote(shard, now) {
            return;
        }
        if st.ks.shards() == 1 {
            // `INFO` counts from the new primary's start.
            st.at_restart = st.ks.stats();
        }
        if let Some(x) = self.comps[comp].insts.get_mut(shard) {
            x.up = true;
        }
        self.comps[comp].recount_up();
    }

    /// `CONFIG SET` on every shard of `comp`.
    pub(super) fn cache_config_set(&mut self, comp: usize, setting: CacheSetting, now: SimTime) {
        let Some(st) = self.comps[comp].cache.as_mut() else {
            return;
        };
        match setting {
            CacheSetting::MaxMemory(b) => st.ks.set_maxmemory(b),
            CacheSetting::Policy(p) => st.ks.set_policy(p, now),
        }
    }

    /// The number of shards changed: the slots are resharded.
    pub(super) fn cache_resized(&mut self, comp: usize) {
        let shards = self.comps[comp].active.max(1) as u16;
        if let Some(st) = self.comps[comp].cache.as_mut() {
            st.ks.reshard(shards);
        }
    }

    /// Appends the readings of every cache with a key space (the order of
    /// [`cache_reading_defs`]): hit ratio, used and max memory \[MB\],
    /// evicted and expired keys \[/s\].
    pub(super) fn sample_cache_readings(&mut self, now: SimTime, out: &mut Vec<f64>) {
        let start = self.start;
        for comp in &mut self.comps {
            let Some(st) = comp.cache.as_mut() else {
                continue;
            };
            st.mark_warmup_end(start, now);
            st.ks.tick(now, &mut st.rng_ops);
            let s = st.ks.stats();
            let (hits, misses) = (s.hits - st.last.hits, s.misses - st.last.misses);
            let secs = (now - st.last_at).as_secs_f64().max(1e-9);
            out.push(if hits + misses == 0 {
                f64::NAN
            } else {
                hits as f64 / (hits + misses) as f64
            });
            out.push(st.ks.used_memory() as f64 / MB);
            out.push(st.ks.maxmemory() as f64 / MB);
            out.push((s.evicted - st.last.evicted) as f64 / secs);
            out.push((s.expired - st.last.expired) as f64 / secs);
            st.last = s;
            st.last_at = now;
        }
    }

    /// `redis-cli info memory` and `info stats` lines for every cache with a key space.
    pub(super) fn cache_snapshot(&self, out: &mut String) {
        for (c, comp) in self.model.components.iter().zip(&self.comps) {
            let Some(st) = comp.cache.as_ref() else {
                continue;
            };
            let (ks, cfg) = (&st.ks, st.ks.config());
            let s = ks.stats();
            let r = st.at_restart;
            let _ = writeln!(out, "$ redis-cli -h {} info memory", c.id);
            let _ = writeln!(out, "used_memory:{}", ks.used_memory());
            let _ = writeln!(out, "used_memory_human:{}", bytes_human(ks.used_memory()));
            let _ = writeln!(out, "maxmemory:{}", ks.maxmemory());
            let _ = writeln!(out, "maxmemory_human:{}", bytes_human(ks.maxmemory()));
            let _ = writeln!(out, "maxmemory_policy:{}", cfg.policy.name());
            let _ = writeln!(out, "$ redis-cli -h {} info stats", c.id);
            let _ = writeln!(out, "evicted_keys:{}", s.evicted - r.evicted);
            let _ = writeln!(out, "expired_keys:{}", s.expired - r.expired);
            let _ = writeln!(out, "keyspace_hits:{}", s.hits - r.hits);
            let _ = writeln!(out, "keyspace_misses:{}", s.misses - r.misses);
            let _ = writeln!(
                out,
                "total_error_replies:{}",
                s.oom_rejected - r.oom_rejected
            );
            let _ = writeln!(out, "db0:keys={},expires={}", ks.len(), ks.volatile_len());
            super::cache_ha::snapshot(&c.id, ks, self.start, out);
        }
    }
}

const MB: f64 = 1024.0 * 1024.0;

/// The readings of every cache with a key space, in sampling order.
pub(super) fn cache_reading_defs(model: &Model, defs: &mut Vec<ReadingDef>) {
    for c in model
        .components
        .iter()
        .filter(|c| c.serving.keyspace.is_some())
    {
        let id = &c.id;
        defs.push(ReadingDef::new(
            id,
            "hit_ratio",
            "hit-ratio",
            "keyspace hit ratio",
            "ratio",
        ));
        defs.push(ReadingDef::new(
            id,
            "used_memory_mb",
            "memory",
            "used_memory",
            "MB",
        ));
        defs.push(ReadingDef::new(
            id,
            "maxmemory_mb",
            "memory",
            "maxmemory",
            "MB",
        ));
        defs.push(ReadingDef::new(
            id,
            "evicted_per_s",
            "evictions",
            "evicted keys",
            "keys/s",
        ));
        defs.push(ReadingDef::new(
            id,
            "expired_per_s",
            "evictions",
            "expired keys",
            "keys/s",
        ));
    }
}

/// Redis's `bytesToHuman` (src/server.c): `1.00G`, `512.00M`, `100B`.
pub(super) fn bytes_human(b: u64) -> String {
    let x = b as f64;
    let k = 1024.0;
    if x < k {
        format!("{b}B")
    } else if x < k * k {
        format!("{:.2}K", x / k)
    } else if x < k * k * k {
        format!("{:.2}M", x / (k * k))
    } else {
        format!("{:.2}G", x / (k * k * k))
    }
}
