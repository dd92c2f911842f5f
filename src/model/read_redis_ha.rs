//! Reading a cache's replicas and failover: `replication = { replicas,
//! lag }`, `sentinel = { sentinels, quorum, down_after, failover_timeout }`,
//! `cluster = { shards, node_timeout, require_full_coverage }`, and the
//! keys' `hash_tag_share`. Defaults are Redis's (domain.md §7).

use super::error::Diagnostics;
use super::reader::TableReader;
use crate::redis::HaSpec;
use crate::redis::cluster::SLOTS;
use crate::redis::failover::{ClusterSpec, SentinelSpec};
use crate::redis::replication::ReplicationSpec;

const REPLICATION_KEYS: &[&str] = &["replicas", "lag"];
const SENTINEL_KEYS: &[&str] = &["sentinels", "quorum", "down_after", "failover_timeout"];
const CLUSTER_KEYS: &[&str] = &["shards", "node_timeout", "require_full_coverage"];

/// Reads `hash_tag_share` from the `keys` table `kt`.
pub(super) fn read_hash_tag_share(kt: &mut TableReader, diags: &mut Diagnostics) -> f64 {
    match kt.f64("hash_tag_share", diags) {
        Some(p) if !(0.0..=1.0).contains(&p.value) => {
            diags.error(
                p.span,
                format!(
                    "'{}.hash_tag_share' is a share and must be between 0 and 1",
                    kt.path
                ),
            );
            0.0
        }
        Some(p) => p.value,
        None => 0.0,
    }
}

/// The replicas, Sentinel and Cluster of cache `name` (component table `tr`).
pub(super) fn read_ha(
    tr: &mut TableReader,
    name: &str,
    defaults: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> HaSpec {
    let mut ha = HaSpec::default();
    if let Some(mut t) = tr.table("replication", diags) {
        let replicas = t.u32("replicas", diags);
        if replicas.is_none() && !t.has("replicas") {
            t.missing("replicas", diags, "1");
        }
        let lag = t.duration("lag", diags);
        if lag.is_none() && !t.has("lag") {
            t.missing("lag", diags, "\"10ms\" (how far the replicas run behind)");
        }
        if let Some(r) = &replicas
            && r.value == 0
        {
            diags.error_hint(
                r.span.clone(),
                format!("'{name}.replication.replicas' is 0"),
                Some("give at least 1 replica, or drop 'replication'".into()),
            );
        }
        if let (Some(r), Some(l)) = (replicas, lag)
            && r.value > 0
        {
            ha.replication = Some(ReplicationSpec {
                replicas: r.value,
                lag: l.value,
            });
        }
        t.finish(REPLICATION_KEYS, diags);
    }
    if let Some(mut t) = tr.table("sentinel", diags) {
        let d = SentinelSpec::default();
        let sentinels = t.u32("sentinels", diags).map_or(d.sentinels, |x| x.value);
        let quorum = t.u32("quorum", diags);
        let down_after = t
            .duration("down_after", diags)
            .map_or(d.down_after, |x| x.value);
        let failover_timeout = t
            .duration("failover_timeout", diags)
            .map_or(d.failover_timeout, |x| x.value);
        let q = quorum.as_ref().map_or(d.quorum, |x| x.value);
        if q == 0 || q > sentinels {
            diags.error_hint(
                quorum.map_or(t.span_of("sentinels"), |x| x.span),
                format!("'{name}.sentinel.quorum' is {q} with {sentinels} sentinels"),
                Some("the quorum is between 1 and the number of sentinels".into()),
            );
        }
        if !t.has("down_after") || !t.has("failover_timeout") || !t.has("quorum") {
            defaults.push(format!(
                "component '{name}' (sentinel defaults): sentinels = 3, quorum = 2, \
                 down_after = 30s, failover_timeout = 3m (sentinel.conf)"
            ));
        }
        if ha.replication.is_none() && !tr.has("replication") {
            diags.error_hint(
                tr.span_of("sentinel"),
                format!("'{name}.sentinel' has no replica to promote"),
                Some("add replication = { replicas = 1, lag = \"10ms\" }".into()),
            );
        }
        ha.sentinel = Some(SentinelSpec {
            sentinels,
            quorum: q,
            down_after,
            failover_timeout,
        });
        t.finish(SENTINEL_KEYS, diags);
    }
    if let Some(mut t) = tr.table("cluster", diags) {
        if tr.has("sentinel") {
            diags.error_hint(
                tr.span_of("cluster"),
                format!("'{name}' has both 'sentinel' and 'cluster'"),
                Some("Redis Cluster fails over by itself; drop 'sentinel'".into()),
            );
        }
        let shards = t.u32("shards", diags);
        let instances = tr
            .u32("instances", &mut Diagnostics::default())
            .map_or(1, |i| i.value);
        match &shards {
            None if !t.has("shards") => t.missing(
                "shards",
                diags,
                "3 (masters owning the 16384 slots; replicas come from 'replication')",
            ),
            Some(s) if s.value < 1 || s.value > SLOTS as u32 => diags.error(
                s.span.clone(),
                format!("'{name}.cluster.shards' must be between 1 and {SLOTS}"),
            ),
            Some(s) if s.value != instances => diags.error_hint(
                s.span.clone(),
                format!(
                    "'{name}.cluster.shards' is {} but '{name}' has {instances} instances",
                    s.value
                ),
                Some(format!(
                    "a cluster's instances are its primaries: write instances = {}",
                    s.value
                )),
            ),
            _ => {}
        }
        let d = ClusterSpec::with_shards(instances as u16);
        let node_timeout = t
            .duration("node_timeout", diags)
            .map_or(d.node_timeout, |x| x.value);
        let full = t
            .bool("require_full_coverage", diags)
            .map_or(d.require_full_coverage, |x| x.value);
        if !t.has("node_timeout") || !t.has("require_full_coverage") {
            defaults.push(format!(
                "component '{name}' (cluster defaults): node_timeout = 15s, \
                 require_full_coverage = true (redis.conf)"
            ));
        }
        ha.cluster = Some(ClusterSpec {
            shards: instances.clamp(1, SLOTS as u32) as u16,
            node_timeout,
            require_full_coverage: full,
        });
        t.finish(CLUSTER_KEYS, diags);
    }
    ha
}
