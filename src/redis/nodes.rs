//! A cache's Redis nodes: one primary, or a cluster's shards, each with its
//! own key space and `maxmemory`, its asynchronous replicas and their
//! failover. The drill's `cache` component drives it; tests drive it
//! directly.
//!
//! - **Shards.** With n > 1 shards every key lives on the shard owning its
//!   hash slot ([`super::cluster`]), in that shard's own key space, so a
//!   shard that receives more keys (a hash tag, a hot slot) fills and
//!   evicts while the others still have room. One shard is a plain node.
//! - **Resharding** ([`Nodes::reshard`], the drill's `scale`): slots are
//!   reassigned as `redis-cli --cluster create` spreads them and every key
//!   migrates to its new shard with its TTL and idle time. The migration is
//!   instant (`redis-cli --cluster rebalance` moves keys in batches over
//!   minutes; not modelled); a shard over its `maxmemory` after it evicts
//!   at its next command.
//! - **Losing a primary** ([`Nodes::lose_primary`]): without a replica and
//!   failover, the shard restarts empty (no persistence). With replicas and
//!   Sentinel (one node) or Cluster (n shards), the failover timeline
//!   ([`super::failover`]) gives the promotion; the replica holds the
//!   primary's keys except the writes acknowledged in the last replication
//!   lag ([`super::replication`]), which are lost and counted: a lost `SET`
//!   is a key the replica never got (removed), a lost `DEL` a stale value
//!   the replica keeps serving (counted only: its old value is not kept).
//!   If the old primary restarts before the promotion, it comes back empty
//!   and its replicas resync from it (the documented danger of a primary
//!   without persistence restarting on its own).

use rand::Rng;

use super::cluster::{KeySlots, ShardMap};
use super::failover::{ClusterSpec, Timeline};
use super::keyspace::{Keyspace, Oom, Stats};
use super::replication::{ReplicationLog, Write};
use super::spec::CacheSpec;
use super::{EvictionPolicy, RedisConfig};
use crate::engine::SimTime;

/// One shard: its primary's key space and its replicas' backlog.
#[derive(Clone, Debug)]
struct Shard {
    ks: Keyspace,
    log: Option<ReplicationLog>,
    /// Since when its primary is lost, and its failover.
    down: Option<(SimTime, Timeline)>,
}

/// A cache's nodes.
#[derive(Clone, Debug)]
pub struct Nodes {
    spec: CacheSpec,
    shards: Vec<Shard>,
    /// Key id -> (shard, local id), for more than one shard.
    map: Option<ShardMap>,
    slots: Option<KeySlots>,
    /// The per-node configuration (`maxmemory` per node).
    cfg: RedisConfig,
    /// Counters of key spaces a resharding replaced.
    retired: Stats,
    lost_writes: u64,
    stale_keys: u64,
    failovers: Vec<Failover>,
}

/// A failover that happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failover {
    /// The shard.
    pub shard: usize,
    /// When its primary was lost.
    pub lost: SimTime,
    /// When the replica was promoted.
    pub promoted: SimTime,
    /// Writes lost with the primary (SETs and DELs).
    pub lost_writes: u64,
}

fn add(a: Stats, b: Stats) -> Stats {
    Stats {
        hits: a.hits + b.hits,
        misses: a.misses + b.misses,
        evicted: a.evicted + b.evicted,
        expired: a.expired + b.expired,
        oom_rejected: a.oom_rejected + b.oom_rejected,
    }
}

impl Nodes {
    /// Empty nodes for `spec` in `shards` shards.
    pub fn new(spec: &CacheSpec, shards: u16) -> Nodes {
        let mut n = Nodes {
            spec: spec.clone(),
            shards: Vec::new(),
            map: None,
            slots: None,
            cfg: spec.config.clone(),
            retired: Stats::default(),
            lost_writes: 0,
            stale_keys: 0,
            failovers: Vec::new(),
        };
        n.layout(shards.max(1));
        n
    }

    /// Builds empty shards for `count` shards.
    fn layout(&mut self, count: u16) {
        let keys = self.spec.keys.count();
        self.map = (count > 1).then(|| {
            let slots = self
                .slots
                .get_or_insert_with(|| self.spec.ha.slots(keys))
                .clone();
            ShardMap::new(&slots, count)
        });
        let sizes: Vec<u32> = match &self.map {
            Some(m) => m.keys.iter().map(|k| k.len() as u32).collect(),
            None => vec![keys],
        };
        let lag = self.spec.ha.replication.map(|r| r.lag);
        self.shards = sizes
            .into_iter()
            .map(|n| Shard {
                ks: Keyspace::new(self.cfg.clone(), n),
                log: lag.map(ReplicationLog::new),
                down: None,
            })
            .collect();
    }

    /// Shards (1 for a single node).
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// The shard serving key `key`.
    pub fn shard_of(&self, key: u32) -> usize {
        self.map
            .as_ref()
            .map_or(0, |m| m.shard[key as usize] as usize)
    }

    fn locate(&self, key: u32) -> (usize, u32) {
        match &self.map {
            Some(m) => (m.shard[key as usize] as usize, m.local[key as usize]),
            None => (0, key),
        }
    }

    /// Whether a lost primary is replaced by a replica (replicas, and
    /// Sentinel for one node or a majority of masters for a cluster).
    pub fn fails_over(&self) -> bool {
        let replicas = self.spec.ha.replication.is_some_and(|r| r.replicas > 0);
        replicas
            && if self.shards.len() > 1 {
                self.cluster().has_majority_without_one()
            } else {
                self.spec.ha.sentinel.is_some_and(|s| s.can_promote())
            }
    }

    /// Whether key `key` is present (expired or not).
    pub fn contains(&self, key: u32) -> bool {
        let (s, k) = self.locate(key);
        self.shards[s].ks.contains(k)
    }

    /// The TTL left on `key`, if present with one.
    pub fn ttl_left(&self, key: u32, now: SimTime) -> Option<SimTime> {
        let (s, k) = self.locate(key);
        self.shards[s].ks.ttl_left(k, now)
    }

    /// Removes the keys of shard `shard` (by key id) for which `lost`
    /// holds; how many went.
    pub fn remove_from_shard(&mut self, shard: usize, lost: impl Fn(u32) -> bool) -> usize {
        let map = &self.map;
        let Some(sh) = self.shards.get_mut(shard) else {
            return 0;
        };
        sh.ks
            .remove_where(|k| lost(map.as_ref().map_or(k, |m| m.keys[shard][k as usize])))
    }

    /// The cluster settings in force.
    pub fn cluster(&self) -> ClusterSpec {
        self.spec.ha.cluster_of(self.shards.len() as u16)
    }

    /// Whether a command for any key is refused with `-CLUSTERDOWN`: the
    /// cluster requires full coverage and some shard's primary is marked
    /// FAIL with no replica promoted yet.
    pub fn cluster_down(&self, now: SimTime) -> bool {
        self.shards.len() > 1
            && self.cluster().require_full_coverage
            && self
                .shards
                .iter()
                .any(|s| s.down.is_some_and(|(_, t)| t.agreed <= now))
    }

    /// `GET key`.
    pub fn get<R: Rng + ?Sized>(&mut self, key: u32, now: SimTime, rng: &mut R) -> bool {
        let (s, k) = self.locate(key);
        self.shards[s].ks.get(k, now, rng)
    }

    /// `SET key value [EX ttl]`, replicated.
    pub fn set<R: Rng + ?Sized>(
        &mut self,
        key: u32,
        bytes: u32,
        ttl: Option<SimTime>,
        now: SimTime,
        rng: &mut R,
    ) -> Result<(), Oom> {
        let (s, k) = self.locate(key);
        let sh = &mut self.shards[s];
        sh.ks.set(k, bytes, ttl, now, rng)?;
        if let Some(log) = sh.log.as_mut() {
            log.record(now, Write::Set(k));
        }
        Ok(())
    }

    /// `DEL key`, replicated; whether it was present.
    pub fn del<R: Rng + ?Sized>(&mut self, key: u32, now: SimTime, rng: &mut R) -> bool {
        let (s, k) = self.locate(key);
        let sh = &mut self.shards[s];
        let was = sh.ks.del(k, now, rng);
        if let Some(log) = sh.log.as_mut() {
            log.record(now, Write::Del(k));
        }
        was
    }

    /// `FLUSHALL` on every shard.
    pub fn flush(&mut self) {
        for s in &mut self.shards {
            s.ks.flush();
        }
    }

    /// Every shard's timer (expiry, eviction) up to `now`.
    pub fn tick<R: Rng + ?Sized>(&mut self, now: SimTime, rng: &mut R) {
        for s in &mut self.shards {
            s.ks.tick(now, rng);
        }
    }

    /// `CONFIG SET maxmemory` on every node \[bytes per node\].
    pub fn set_maxmemory(&mut self, bytes: u64) {
        self.cfg.maxmemory = bytes;
        for s in &mut self.shards {
            s.ks.set_maxmemory(bytes);
        }
    }

    /// `CONFIG SET maxmemory-policy` on every node.
    pub fn set_policy(&mut self, policy: EvictionPolicy, now: SimTime) {
        self.cfg.policy = policy;
        for s in &mut self.shards {
            s.ks.set_policy(policy, now);
        }
    }

    /// The per-node configuration.
    pub fn config(&self) -> &RedisConfig {
        &self.cfg
    }

    /// `maxmemory` of all shards together \[bytes\].
    pub fn maxmemory(&self) -> u64 {
        self.cfg.maxmemory * self.shards.len() as u64
    }

    /// The counters of every shard since the start.
    pub fn stats(&self) -> Stats {
        self.shards
            .iter()
            .fold(self.retired, |a, s| add(a, s.ks.stats()))
    }

    /// `used_memory` of all shards \[bytes\].
    pub fn used_memory(&self) -> u64 {
        self.shards.iter().map(|s| s.ks.used_memory()).sum()
    }

    /// `used_memory` of shard `i` \[bytes\].
    pub fn shard_used_memory(&self, i: usize) -> u64 {
        self.shards[i].ks.used_memory()
    }

    /// Keys present on shard `i`.
    pub fn shard_len(&self, i: usize) -> usize {
        self.shards[i].ks.len()
    }

    /// Keys present on all shards (`DBSIZE` summed).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.ks.len()).sum()
    }

    /// Whether no key is present.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys present with a TTL.
    pub fn volatile_len(&self) -> usize {
        self.shards.iter().map(|s| s.ks.volatile_len()).sum()
    }

    /// Writes lost in failovers (acknowledged, never replicated).
    pub fn lost_writes(&self) -> u64 {
        self.lost_writes
    }

    /// Lost `DEL`s: stale values a promoted replica serves.
    pub fn stale_keys(&self) -> u64 {
        self.stale_keys
    }

    /// Failovers so far.
    pub fn failovers(&self) -> &[Failover] {
        &self.failovers
    }

    /// Shard `i`'s lost primary and its failover, if it is down.
    pub fn down(&self, i: usize) -> Option<(SimTime, Timeline)> {
        self.shards[i].down
    }

    /// Shard `i`'s primary is lost at `now`. Returns when a replica will be
    /// promoted (the caller calls [`Nodes::promote`] then), or `None`: no
    /// failover, and the shard has restarted empty (no persistence).
    pub fn lose_primary<R: Rng + ?Sized>(
        &mut self,
        i: usize,
        now: SimTime,
        rng: &mut R,
    ) -> Option<SimTime> {
        if self.shards[i].down.is_some() {
            return None;
        }
        let replicas = self.spec.ha.replication.map_or(0, |r| r.replicas);
        let timeline = if self.shards.len() > 1 {
            Some(self.cluster().failover(now, replicas, rng))
        } else if replicas > 0 {
            self.spec.ha.sentinel.map(|s| s.failover(now, rng))
        } else {
            None
        };
        let timeline = timeline.unwrap_or(Timeline {
            suspected: now,
            agreed: SimTime(u64::MAX),
            promoted: None,
        });
        let sh = &mut self.shards[i];
        if timeline.promoted.is_none() {
            sh.ks.flush();
            if let Some(log) = sh.log.as_mut() {
                log.lose_primary(now);
            }
        }
        sh.down = Some((now, timeline));
        timeline.promoted
    }

    /// The replica of shard `i` becomes its primary at `now`, if that is
    /// the failover pending (false otherwise): the writes of the lag window
    /// are lost.
    pub fn promote(&mut self, i: usize, now: SimTime) -> bool {
        let sh = &mut self.shards[i];
        let Some((lost_at, t)) = sh.down else {
            return false;
        };
        if t.promoted != Some(now) {
            return false;
        }
        let lost = sh
            .log
            .as_mut()
            .map_or_else(Vec::new, |l| l.lose_primary(lost_at));
        let mut gone = Vec::new();
        for w in &lost {
            match *w {
                Write::Set(k) => gone.push(k),
                Write::Del(_) => self.stale_keys += 1,
            }
        }
        self.lost_writes += lost.len() as u64;
        gone.sort_unstable();
        sh.ks.remove_where(|k| gone.binary_search(&k).is_ok());
        sh.down = None;
        self.failovers.push(Failover {
            shard: i,
            lost: lost_at,
            promoted: now,
            lost_writes: lost.len() as u64,
        });
        true
    }

    /// Shard `i`'s old primary is back. If no replica was promoted, it is
    /// the primary again and its replicas resync from it: it restarts empty
    /// unless `reloads` (persistence kept its data; the caller trims what
    /// the last save missed). Returns whether it came back unreplaced.
    pub fn primary_back(&mut self, i: usize, reloads: bool) -> bool {
        let Some(sh) = self.shards.get_mut(i) else {
            return false;
        };
        let unreplaced = sh.down.take().is_some();
        if unreplaced && !reloads {
            sh.ks.flush();
        }
        unreplaced
    }

    /// Whether shard `i` lost its primary and no replica took over yet.
    pub fn failover_pending(&self, i: usize) -> bool {
        self.shards.get(i).is_some_and(|s| s.down.is_some())
    }

    /// Reassigns the slots over `count` shards and migrates every key.
    pub fn reshard(&mut self, count: u16) {
        let count = count.max(1);
        if count as usize == self.shards.len() {
            return;
        }
        let old_map = self.map.take();
        let old: Vec<Shard> = std::mem::take(&mut self.shards);
        self.layout(count);
        for (si, sh) in old.into_iter().enumerate() {
            self.retired = add(self.retired, sh.ks.stats());
            for e in sh.ks.entries() {
                let key = old_map
                    .as_ref()
                    .map_or(e.key, |m| m.keys[si][e.key as usize]);
                let (s, k) = self.locate(key);
                self.shards[s].ks.insert_entry(k, &e);
            }
        }
    }
}

#[cfg(test)]
mod tests;
