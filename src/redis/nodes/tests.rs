use rand::SeedableRng;

use super::*;
use crate::engine::rng::SimRng;
use crate::redis::failover::SentinelSpec;
use crate::redis::replication::ReplicationSpec;
use crate::redis::{HaSpec, KeyPopularity, OnWrite, SizeDist, memory};

fn spec(keys: u32, maxmemory: u64, ha: HaSpec) -> CacheSpec {
    CacheSpec {
        config: RedisConfig {
            maxmemory,
            policy: EvictionPolicy::AllKeysLru,
            ..RedisConfig::default()
        },
        keys: KeyPopularity::Uniform { n: keys },
        size: SizeDist::Constant(100),
        ttl: None,
        ttl_share: 1.0,
        on_write: OnWrite::Invalidate,
        stampede: Default::default(),
        persistence: None,
        ha,
    }
}

fn secs(x: f64) -> SimTime {
    SimTime::from_secs_f64(x)
}

fn replicated(lag_s: f64) -> HaSpec {
    HaSpec {
        replication: Some(ReplicationSpec {
            replicas: 1,
            lag: secs(lag_s),
        }),
        sentinel: Some(SentinelSpec::default()),
        ..HaSpec::default()
    }
}

#[test]
fn resharding_moves_every_key_to_the_shard_of_its_slot() {
    let mut rng = SimRng::seed_from_u64(1);
    let mut n = Nodes::new(&spec(30_000, 0, HaSpec::default()), 1);
    for k in 0..30_000 {
        n.set(k, 100, None, secs(1.0), &mut rng).unwrap();
    }
    let used = n.used_memory();
    n.reshard(3);
    assert_eq!((n.shards(), n.len()), (3, 30_000));
    for k in [0u32, 17, 29_999] {
        assert!(n.get(k, secs(2.0), &mut rng), "{k}");
        let name = crate::redis::cluster::key_name(k, false);
        let slot = crate::redis::cluster::hash_slot(name.as_bytes());
        let owner = crate::redis::cluster::slot_ranges(3)
            .iter()
            .position(|&(a, b)| (a..=b).contains(&slot))
            .unwrap();
        assert_eq!(n.shard_of(k), owner);
    }
    // The keys cost the same; three dicts' tables (16,384 buckets each for
    // ~10,000 keys) cost more than one of 32,768.
    let tables = memory::table_bytes(3 * 16_384) - memory::table_bytes(32_768);
    assert_eq!(n.used_memory(), used + tables);
    n.reshard(1);
    assert_eq!((n.shards(), n.len()), (1, 30_000));
    assert_eq!(n.stats().hits, 3);
}

#[test]
fn a_hot_hash_tag_fills_its_shard_while_the_others_have_room() {
    let mut rng = SimRng::seed_from_u64(2);
    let ha = HaSpec {
        hash_tag_share: 0.4,
        ..HaSpec::default()
    };
    // 30,000 keys, room for 8,000 per shard: 24,000 in all.
    let max = memory::used_by(8_000, 100, false);
    let mut n = Nodes::new(&spec(30_000, max, ha), 3);
    for k in 0..30_000 {
        n.set(k, 100, None, secs(1.0), &mut rng).unwrap();
    }
    n.tick(secs(2.0), &mut rng);
    let hot = (0..3).max_by_key(|&i| n.shard_len(i)).unwrap();
    // The hot shard (60% of the keys, 18,000) is full and evicted 10,000;
    // the other two hold their 6,000 each.
    assert!(n.shard_used_memory(hot) <= max && n.shard_len(hot) < 8_100);
    assert!(n.stats().evicted > 9_000, "{:?}", n.stats());
    for i in (0..3).filter(|&i| i != hot) {
        assert!((n.shard_len(i) as f64 - 6_000.0).abs() < 300.0);
        assert!(n.shard_used_memory(i) < max * 8 / 10);
    }
}

#[test]
fn sentinel_promotes_the_replica_without_the_lag_window_s_writes() {
    let mut rng = SimRng::seed_from_u64(3);
    let mut n = Nodes::new(&spec(10_000, 0, replicated(0.5)), 1);
    // A SET every 10 ms from 0 to 60 s: keys 0..=6000.
    for k in 0..=6000u32 {
        n.set(k, 100, None, secs(k as f64 * 0.01), &mut rng)
            .unwrap();
    }
    n.del(10, secs(59.995), &mut rng);
    let lost_at = secs(60.0);
    let at = n
        .lose_primary(0, lost_at, &mut rng)
        .expect("sentinel fails over");
    let (since, t) = n.down(0).unwrap();
    assert_eq!(
        (since, t.suspected, t.agreed),
        (lost_at, secs(90.0), secs(91.0))
    );
    assert!((93.0..94.0).contains(&at.as_secs_f64()));
    assert!(!n.promote(0, secs(92.0)), "not the failover's time");
    assert!(n.promote(0, at));
    // Writes acknowledged in (59.5 s, 60 s]: SETs of keys 5951..=6000 and
    // the DEL, 51 writes; the replica lacks those keys and keeps key 10.
    assert_eq!((n.lost_writes(), n.stale_keys()), (51, 1));
    assert_eq!(n.len(), 6001 - 50 - 1);
    assert!(!n.get(5951, at, &mut rng) && n.get(5950, at, &mut rng));
    let f = n.failovers()[0];
    assert_eq!(
        (f.shard, f.lost, f.promoted, f.lost_writes),
        (0, lost_at, at, 51)
    );
}

#[test]
fn a_primary_back_before_its_failover_comes_back_empty_or_reloaded() {
    let mut rng = SimRng::seed_from_u64(4);
    let mut n = Nodes::new(&spec(1_000, 0, replicated(0.1)), 1);
    for k in 0..1_000 {
        n.set(k, 100, None, secs(1.0), &mut rng).unwrap();
    }
    let at = n.lose_primary(0, secs(10.0), &mut rng).unwrap();
    assert!(n.failover_pending(0));
    assert!(n.primary_back(0, false));
    assert!(n.is_empty());
    assert!(!n.failover_pending(0));
    assert!(!n.promote(0, at));
    // With persistence it keeps what it reloads.
    let mut kept = Nodes::new(&spec(1_000, 0, replicated(0.1)), 1);
    kept.set(1, 100, None, secs(1.0), &mut rng).unwrap();
    let at = kept.lose_primary(0, secs(10.0), &mut rng).unwrap();
    assert!(kept.primary_back(0, true));
    assert_eq!(kept.len(), 1);
    assert!(!kept.promote(0, at));
    // Without replicas the node restarts empty at once.
    let mut plain = Nodes::new(&spec(1_000, 0, HaSpec::default()), 1);
    plain.set(1, 100, None, secs(1.0), &mut rng).unwrap();
    assert_eq!(plain.lose_primary(0, secs(2.0), &mut rng), None);
    assert!(plain.is_empty());
}

#[test]
fn full_coverage_stops_the_whole_cluster_from_fail_until_the_promotion() {
    let mut rng = SimRng::seed_from_u64(5);
    let ha = HaSpec {
        replication: Some(ReplicationSpec {
            replicas: 1,
            lag: secs(0.01),
        }),
        ..HaSpec::default()
    };
    let mut n = Nodes::new(&spec(3_000, 0, ha.clone()), 3);
    let at = n.lose_primary(1, secs(100.0), &mut rng).unwrap();
    let agreed = n.down(1).unwrap().1.agreed;
    assert!(!n.cluster_down(secs(114.9)), "before FAIL");
    assert!(n.cluster_down(agreed));
    assert!(n.promote(1, at));
    assert!(!n.cluster_down(at));
    // Coverage not required: only the shard's own keys fail (the drill
    // refuses them at the down node); the cluster stays up.
    let lax = HaSpec {
        cluster: Some(ClusterSpec {
            require_full_coverage: false,
            ..ClusterSpec::with_shards(3)
        }),
        ..ha
    };
    let mut n = Nodes::new(&spec(3_000, 0, lax), 3);
    n.lose_primary(0, secs(1.0), &mut rng);
    assert!(!n.cluster_down(secs(1000.0)));
}
