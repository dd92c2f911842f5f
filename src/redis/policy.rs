//! `maxmemory-policy` and the eviction configuration, with Redis's defaults
//! (domain.md §6; redis.conf, src/evict.c, src/server.h).

/// What Redis does when a command would take used memory past `maxmemory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictionPolicy {
    /// Refuse deny-oom commands (SET...) with `-OOM`; reads and DEL work.
    /// Redis's default (redis.conf).
    NoEviction,
    /// Evict the least recently used key, sampled.
    AllKeysLru,
    /// Evict the least frequently used key (log counter with decay), sampled.
    AllKeysLfu,
    /// Evict a random key.
    AllKeysRandom,
    /// Like allkeys-lru among keys with a TTL.
    VolatileLru,
    /// Like allkeys-lfu among keys with a TTL.
    VolatileLfu,
    /// A random key with a TTL.
    VolatileRandom,
    /// The key with a TTL that expires soonest, sampled.
    VolatileTtl,
}

/// How a sampled candidate is ranked (higher is evicted first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rank {
    /// Idle time on the LRU clock.
    Lru,
    /// 255 minus the decayed LFU counter.
    Lfu,
    /// Nearest expiry first.
    Ttl,
    /// No ranking: one random key.
    Random,
}

impl EvictionPolicy {
    /// Names as `maxmemory-policy` takes them.
    pub const NAMES: &'static [&'static str] = &[
        "noeviction",
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ];

    /// Parses a `maxmemory-policy` name.
    pub fn from_name(name: &str) -> Option<EvictionPolicy> {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Self::ALL[i])
    }

    const ALL: [EvictionPolicy; 8] = [
        EvictionPolicy::NoEviction,
        EvictionPolicy::AllKeysLru,
        EvictionPolicy::AllKeysLfu,
        EvictionPolicy::AllKeysRandom,
        EvictionPolicy::VolatileLru,
        EvictionPolicy::VolatileLfu,
        EvictionPolicy::VolatileRandom,
        EvictionPolicy::VolatileTtl,
    ];

    /// The name as `CONFIG GET maxmemory-policy` prints it.
    pub fn name(self) -> &'static str {
        Self::NAMES[Self::ALL.iter().position(|p| *p == self).expect("listed")]
    }

    /// Whether only keys with a TTL may be evicted.
    pub fn volatile_only(self) -> bool {
        matches!(
            self,
            EvictionPolicy::VolatileLru
                | EvictionPolicy::VolatileLfu
                | EvictionPolicy::VolatileRandom
                | EvictionPolicy::VolatileTtl
        )
    }

    /// Whether the key's 24-bit field holds an LFU counter (else an LRU clock).
    pub fn uses_lfu(self) -> bool {
        matches!(
            self,
            EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu
        )
    }

    pub(crate) fn rank(self) -> Option<Rank> {
        Some(match self {
            EvictionPolicy::NoEviction => return None,
            EvictionPolicy::AllKeysLru | EvictionPolicy::VolatileLru => Rank::Lru,
            EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu => Rank::Lfu,
            EvictionPolicy::VolatileTtl => Rank::Ttl,
            EvictionPolicy::AllKeysRandom | EvictionPolicy::VolatileRandom => Rank::Random,
        })
    }
}

/// A Redis node's memory and eviction settings.
#[derive(Clone, Debug, PartialEq)]
pub struct RedisConfig {
    /// `maxmemory` \[bytes\]; 0 = no limit (redis.conf).
    pub maxmemory: u64,
    /// `maxmemory-policy` (default noeviction, redis.conf).
    pub policy: EvictionPolicy,
    /// `maxmemory-samples`: keys sampled per eviction round (default 5,
    /// redis.conf; 10 is close to true LRU).
    pub samples: u32,
    /// `lfu-log-factor` (default 10, redis.conf).
    pub lfu_log_factor: u32,
    /// `lfu-decay-time` \[min\] (default 1, redis.conf).
    pub lfu_decay_time: u32,
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            maxmemory: 0,
            policy: EvictionPolicy::NoEviction,
            samples: DEFAULT_SAMPLES,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
        }
    }
}

/// `maxmemory-samples` default (redis.conf).
pub const DEFAULT_SAMPLES: u32 = 5;
/// Entries of the eviction candidate pool (EVPOOL_SIZE, src/evict.c).
pub const EVPOOL_SIZE: usize = 16;
/// A new key's LFU counter (LFU_INIT_VAL, src/server.h).
pub const LFU_INIT_VAL: u8 = 5;
/// Active expiry cycles per second (`hz` 10, CONFIG_DEFAULT_HZ, src/server.h).
pub const HZ: u64 = 10;
/// Keys with a TTL sampled per active-expiry loop
/// (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP 20, src/expire.c).
pub const EXPIRE_KEYS_PER_LOOP: usize = 20;
/// The cycle repeats while more than this share of sampled keys had expired
/// (ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE 10 %, src/expire.c).
pub const EXPIRE_ACCEPTABLE_STALE: f64 = 0.10;
