//! A cache component's key space as the model file describes it, and the
//! `CONFIG SET` changes a scenario may make.

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
    /// What writes do to the entry.
    pub on_write: OnWrite,
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
