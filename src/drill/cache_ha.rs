//! What the on-call sees of a cache's shards and failovers at an `--at`
//! time: `redis-cli cluster shards` (each shard's slots, memory and keys)
//! and Sentinel's / the cluster's failover state with the writes lost.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::cache::bytes_human;
use crate::engine::SimTime;
use crate::redis::Nodes;
use crate::redis::cluster::slot_ranges;

/// One failover of a cache's primary in one trial (Sentinel's, or a
/// cluster shard's): the promotion's delay and the writes lost with the
/// primary (those inside the replication lag).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailoverRecord {
    /// The cache.
    pub component: String,
    /// The shard (0 for a single node).
    pub shard: usize,
    /// When the primary was lost, after the warm-up \[s\].
    pub lost_s: f64,
    /// From the loss to the replica's promotion \[s\].
    pub promotion_s: f64,
    /// Acknowledged writes lost with the primary.
    pub lost_writes: u64,
}

/// The failovers of cache `id` so far; times after the warm-up's end `start`.
pub(super) fn records(id: &str, ks: &Nodes, start: SimTime) -> Vec<FailoverRecord> {
    (ks.failovers().iter())
        .map(|f| FailoverRecord {
            component: id.to_string(),
            shard: f.shard,
            lost_s: f.lost.as_secs_f64() - start.as_secs_f64(),
            promotion_s: (f.promoted - f.lost).as_secs_f64(),
            lost_writes: f.lost_writes,
        })
        .collect()
}

/// Appends the shard and failover lines of cache `id` (nothing for a
/// single node without failovers).
/// Times are after the warm-up's end `start`.
pub(super) fn snapshot(id: &str, ks: &Nodes, start: SimTime, out: &mut String) {
    let n = ks.shards();
    if n > 1 {
        let _ = writeln!(out, "$ redis-cli -c -h {id} cluster shards (summary)");
        for (i, (a, b)) in slot_ranges(n as u16).into_iter().enumerate() {
            let state = if ks.down(i).is_some() { "fail" } else { "ok" };
            let _ = writeln!(
                out,
                "shard {i}: slots {a}-{b} primary {state} used_memory_human:{} keys:{}",
                bytes_human(ks.shard_used_memory(i)),
                ks.shard_len(i)
            );
        }
    }
    let after = |t: SimTime| t.as_secs_f64() - start.as_secs_f64();
    for f in ks.failovers() {
        let _ = writeln!(
            out,
            "failover: shard {} primary lost at {:.1} s, replica promoted at {:.1} s ({:.1} s later), {} writes lost",
            f.shard,
            after(f.lost),
            after(f.promoted),
            (f.promoted - f.lost).as_secs_f64(),
            f.lost_writes
        );
    }
    if !ks.failovers().is_empty() || ks.lost_writes() > 0 {
        let _ = writeln!(
            out,
            "lost_writes:{} stale_keys:{}",
            ks.lost_writes(),
            ks.stale_keys()
        );
    }
}
