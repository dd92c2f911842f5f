//! A cache component's key space as the model file describes it, and the
//! `CONFIG SET` changes a scenario may make.

use std::sync::{Arc, OnceLock};

use super::cluster::{KeySlots, key_slots};
use super::failover::{ClusterSpec, SentinelSpec};
use super::replication::ReplicationSpec;
use super::{EvictionPolicy, KeyPopularity, RedisConfig, SizeDist};
use crate::engine::SimTime;

/// What a write request does to the cached entry (cache-aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnWrite {
    /// `DEL key`: the next read misses and refills it.
    Invalidate,
    /// `SET key value`: the entry is rewritten (a deny-oom command).
    Update,
}

impl OnWrite {
    /// Names accepted in model files.
    pub const NAMES: &'static [&'static str] = &["invalidate", "update"];

    /// Parses a name.
    pub fn from_name(name: &str) -> Option<OnWrite> {
        match name {
            "invalidate" => Some(OnWrite::Invalidate),
            "update" => Some(OnWrite::Update),
            _ => None,
        }
    }
}

/// A cache whose hit ratio emerges from its memory and its keys.
#[derive(Clone, Debug)]
pub struct CacheSpec {
    /// Per node: `maxmemory`, `maxmemory-policy`, samples, LFU knobs.
    pub config: RedisConfig,
    /// Which key each request asks for.
    pub keys: KeyPopularity,
    /// The size of a value.
    pub size: SizeDist,
    /// The TTL set with each value (`SET ... EX`), if any.
    pub ttl: Option<SimTime>,
    /// The share of keys written with that TTL, in \[0, 1\]; the others
    /// never expire and are invisible to the volatile-* policies.
    pub ttl_share: f64,
    /// What writes do to the entry.
    pub on_write: OnWrite,
    /// The application's stampede guards around this cache.
    pub stampede: super::stampede::StampedeGuard,
    /// RDB and AOF (`None`: a restart comes back empty).
    pub persistence: Option<super::persistence::Persistence>,
    /// Replicas, Sentinel, Cluster and the keys' hash tag.
    pub ha: HaSpec,
}

/// A cache's replicas and who fails over to them, and how its keys spread
/// over a cluster's shards.
#[derive(Clone, Debug, Default)]
pub struct HaSpec {
    /// Asynchronous replicas of each primary.
    pub replication: Option<ReplicationSpec>,
    /// Sentinel watching a single primary.
    pub sentinel: Option<SentinelSpec>,
    /// Cluster settings (a cache of n > 1 instances is a cluster of n
    /// shards with Redis's defaults when absent).
    pub cluster: Option<ClusterSpec>,
    /// The share of keys named with the common hash tag `{hot}`.
    pub hash_tag_share: f64,
    /// Every key's hash slot, computed at first use.
    pub(crate) slots: OnceLock<KeySlots>,
}

impl HaSpec {
    /// Every key's hash slot (computed once, shared by clones).
    pub fn slots(&self, keys: u32) -> KeySlots {
        self.slots
            .get_or_init(|| Arc::new(key_slots(keys, self.hash_tag_share)))
            .clone()
    }

    /// The cluster settings for `shards` masters.
    pub fn cluster_of(&self, shards: u16) -> ClusterSpec {
        ClusterSpec {
            shards,
            ..self
                .cluster
                .unwrap_or_else(|| ClusterSpec::with_shards(shards))
        }
    }
}

impl CacheSpec {
    /// The TTL `key` is written with: a fixed `ttl_share` of the keys
    /// (chosen by a hash of the key, so the same keys in every trial) get it.
    pub fn ttl_of(&self, key: u32) -> Option<SimTime> {
        let ttl = self.ttl?;
        if self.ttl_share >= 1.0 {
            return Some(ttl);
        }
        // Fibonacci hashing: the key's top 53 bits as a fraction of 1.
        let h = (key as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
        ((h as f64) / ((1u64 << 53) as f64) < self.ttl_share).then_some(ttl)
    }
}

/// A `CONFIG SET` a scenario applies to a cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheSetting {
    /// `CONFIG SET maxmemory <bytes>` (per node).
    MaxMemory(u64),
    /// `CONFIG SET maxmemory-policy <policy>`.
    Policy(EvictionPolicy),
}

impl CacheSetting {
    /// The parameter names `config_set` takes.
    pub const NAMES: &'static [&'static str] = &["maxmemory", "maxmemory-policy"];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_share_picks_that_share_of_the_keys() {
        let spec = CacheSpec {
            config: RedisConfig::default(),
            keys: KeyPopularity::Uniform { n: 100_000 },
            size: SizeDist::Constant(100),
            ttl: Some(SimTime::MINUTE),
            ttl_share: 0.3,
            on_write: OnWrite::Invalidate,
            stampede: Default::default(),
            persistence: None,
            ha: HaSpec::default(),
        };
        let with = (0..100_000).filter(|&k| spec.ttl_of(k).is_some()).count() as f64;
        // Fibonacci hashing spreads consecutive keys evenly; even as random
        // draws the share would be within 4σ = 4·√(0.3·0.7/10⁵) = 0.006.
        assert!((with / 1e5 - 0.3).abs() < 0.006, "{with}");
        let all = CacheSpec {
            ttl_share: 1.0,
            ..spec.clone()
        };
        assert!((0..1000).all(|k| all.ttl_of(k) == Some(SimTime::MINUTE)));
        let none = CacheSpec { ttl: None, ..spec };
        assert!((0..1000).all(|k| none.ttl_of(k).is_none()));
    }
}
