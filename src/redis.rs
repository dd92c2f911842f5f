//! Redis as a cache, as it really behaves: a key space under `maxmemory`,
//! the eviction policies with Redis's sampled approximation of LRU and LFU,
//! TTLs with lazy and active expiry, and the `INFO` counters. A pure model
//! (no drill knowledge): the drill's `cache` component drives it per
//! command, and tests drive it directly.
//!
//! - [`policy`]: `maxmemory-policy` names and the configuration defaults.
//! - [`popularity`]: which key a request asks for (Zipf or uniform) and how
//!   large its value is.
//! - [`memory`]: the bytes a key costs, as Redis 7 on jemalloc counts them.
//! - [`keyspace`]: the keys, their memory, eviction and expiry, the counters.
//! - [`che`]: Che's approximation of LRU hit ratios, to check the model.
//! - [`persistence`]: RDB snapshots (fork stall, copy-on-write), AOF, reload at restart.
//! - [`stampede`]: the application's stampede guards (single-flight, XFetch, TTL jitter).
//! - [`cluster`]: Redis Cluster's hash slots (CRC16, hash tags) and shards.
//! - [`replication`]: asynchronous replicas and the writes a failover loses.
//! - [`failover`]: Sentinel's and Cluster's failover timelines.
//! - [`nodes`]: a cache's primary or shards, their replicas and failover.

pub mod che;
pub mod cluster;
pub mod failover;
pub mod keyspace;
pub mod memory;
pub mod persistence;
pub mod nodes;
pub mod policy;
pub mod popularity;
pub mod replication;
pub mod spec;
pub mod stampede;

pub use keyspace::{Keyspace, Oom, Stats};
pub use nodes::Nodes;
pub use policy::{EvictionPolicy, RedisConfig};
pub use popularity::{KeyPopularity, SizeDist};
pub use spec::{CacheSetting, CacheSpec, HaSpec, OnWrite};
