use rand::SeedableRng;

use super::*;
use crate::engine::rng::SimRng;

fn rng() -> SimRng {
    SimRng::seed_from_u64(7)
}

fn node(max: u64, policy: EvictionPolicy, keys: u32) -> Keyspace {
    Keyspace::new(
        RedisConfig {
            maxmemory: max,
            policy,
            ..RedisConfig::default()
        },
        keys,
    )
}

const S: SimTime = SimTime::SECOND;

fn secs(x: u64) -> SimTime {
    SimTime(x * S.0)
}

#[test]
fn pool_keeps_the_sixteen_best_in_order() {
    let mut p = Pool::default();
    for (i, score) in [5u64, 1, 9, 3, 7].into_iter().enumerate() {
        p.insert(score, i as u32);
    }
    assert_eq!(p.pop_best(), Some(2)); // score 9
    assert_eq!(p.pop_best(), Some(4)); // score 7
    let mut p = Pool::default();
    for k in 0..40u32 {
        p.insert(k as u64, k);
    }
    assert_eq!(p.len, EVPOOL_SIZE);
    // Full: the 16 highest scores remain, a worse one is ignored.
    p.insert(0, 999);
    let got: Vec<u32> = std::iter::from_fn(|| p.pop_best()).collect();
    assert_eq!(got, (24..40).rev().collect::<Vec<_>>());
}

#[test]
fn memory_is_charged_and_freed() {
    let mut ks = node(0, EvictionPolicy::NoEviction, 10);
    let mut r = rng();
    ks.set(3, 100, None, SimTime::ZERO, &mut r).unwrap();
    ks.set(4, 50, None, SimTime::ZERO, &mut r).unwrap();
    // 100 B: robj 16 + SDS 112; 50 B: 16 + 64; key name 16, dict entry 32;
    // a 4-bucket table, 32 B.
    assert_eq!(ks.used_memory(), (128 + 48) + (80 + 48) + 32);
    ks.set(3, 10, None, SimTime::ZERO, &mut r).unwrap();
    // 10 B is an EMBSTR: robj and SDS in one 32-byte allocation.
    assert_eq!(ks.used_memory(), (32 + 48) + (80 + 48) + 32);
    // A TTL adds an expires entry and the expires dict's table.
    ks.set(4, 50, Some(secs(60)), SimTime::ZERO, &mut r)
        .unwrap();
    assert_eq!(ks.used_memory(), (32 + 48) + (80 + 48) + 32 + 32 + 32);
    assert!(ks.del(4, SimTime::ZERO, &mut r));
    assert!(!ks.del(4, SimTime::ZERO, &mut r));
    // The expires dict keeps its (smallest) table, as Redis does.
    assert_eq!(ks.used_memory(), 32 + 48 + 32 + 32);
    assert!(ks.get(3, SimTime::ZERO, &mut r));
    assert!(!ks.get(4, SimTime::ZERO, &mut r));
    assert_eq!((ks.stats().hits, ks.stats().misses), (1, 1));
    ks.flush();
    assert_eq!((ks.len(), ks.used_memory()), (0, 0));
}

#[test]
fn noeviction_refuses_writes_but_serves_reads_and_del() {
    let mut ks = node(
        memory::used_by(3, 100, false),
        EvictionPolicy::NoEviction,
        100,
    );
    let mut r = rng();
    // The write that crosses the limit is admitted (eviction runs before a
    // command); the next write is refused.
    for k in 0..4 {
        ks.set(k, 100, None, SimTime::ZERO, &mut r).unwrap();
    }
    assert_eq!(ks.set(9, 100, None, SimTime::ZERO, &mut r), Err(Oom));
    assert_eq!(ks.stats().oom_rejected, 1);
    assert!(ks.get(0, SimTime::ZERO, &mut r));
    assert!(ks.del(0, SimTime::ZERO, &mut r));
    ks.set(9, 100, None, SimTime::ZERO, &mut r).unwrap();
    assert_eq!(ks.stats().evicted, 0);
}

#[test]
fn volatile_policy_without_ttl_keys_acts_as_noeviction() {
    // Room for two keys with TTLs (the expires dict's table stays once
    // allocated, as in Redis).
    let max = memory::used_by(2, 100, true);
    let mut ks = node(max, EvictionPolicy::VolatileLru, 100);
    let mut r = rng();
    for k in 0..3 {
        ks.set(k, 100, None, SimTime::ZERO, &mut r).unwrap();
    }
    assert_eq!(ks.set(5, 100, None, SimTime::ZERO, &mut r), Err(Oom));
    // With a TTL key present, it is the one evicted.
    let mut ks = node(max, EvictionPolicy::VolatileLru, 100);
    ks.set(0, 100, None, SimTime::ZERO, &mut r).unwrap();
    ks.set(1, 100, Some(secs(3600)), SimTime::ZERO, &mut r)
        .unwrap();
    ks.set(2, 100, None, SimTime::ZERO, &mut r).unwrap();
    ks.set(3, 100, None, SimTime::ZERO, &mut r).unwrap();
    assert!(!ks.contains(1));
    assert_eq!(ks.stats().evicted, 1);
}

#[test]
fn allkeys_lru_evicts_the_idle_key_when_it_is_clearly_oldest() {
    // 16 keys, the limit lets 15 stay; key 0 idle for 100 s, the others
    // touched every second. With maxmemory-samples at its maximum (64) the
    // round misses key 0 with probability (15/16)^64 = 1.6%; it is the victim.
    let mut ks = Keyspace::new(
        RedisConfig {
            maxmemory: memory::used_by(15, 10, false),
            policy: EvictionPolicy::AllKeysLru,
            samples: 64,
            ..RedisConfig::default()
        },
        100,
    );
    let mut r = rng();
    ks.set(0, 10, None, SimTime::ZERO, &mut r).unwrap();
    for t in 1..100u64 {
        for k in 1..15 {
            if t == 1 {
                ks.set(k, 10, None, secs(t), &mut r).unwrap();
            } else {
                ks.get(k, secs(t), &mut r);
            }
        }
    }
    ks.set(20, 10, None, secs(100), &mut r).unwrap();
    ks.get(1, secs(100), &mut r);
    assert!(!ks.contains(0));
    assert_eq!(ks.stats().evicted, 1);
}

#[test]
fn expiry_is_lazy_on_access_and_active_in_cycles() {
    let mut ks = node(0, EvictionPolicy::NoEviction, 10_000);
    let mut r = rng();
    ks.set(1, 10, Some(S), SimTime::ZERO, &mut r).unwrap();
    assert!(ks.get(1, SimTime(S.0 / 2), &mut r));
    assert!(!ks.get(1, S, &mut r));
    assert_eq!(ks.stats().expired, 1);
    // 5000 keys expire at 10 s; a node that only ticks sheds them in its
    // cycles until at most ~10% of those sampled are stale.
    for k in 0..5_000 {
        ks.set(k, 10, Some(secs(10)), SimTime::ZERO, &mut r)
            .unwrap();
    }
    for k in 5_000..10_000 {
        ks.set(k, 10, Some(secs(1000)), SimTime::ZERO, &mut r)
            .unwrap();
    }
    for t in 0..30 {
        ks.tick(SimTime(secs(10).0 + t * S.0 / 10), &mut r);
    }
    // A loop stops when at most 2 of its 20 samples were stale, which at a
    // 17% stale share still happens by chance about a third of the time
    // (binomial), so cycles leave roughly 10-20% of the TTL'd keys stale:
    // we ask for under a quarter of the 6,000 TTL'd keys.
    let left = ks.len() - 5_000;
    assert!(left < 1_500, "{left} stale keys remain");
    // Every stale key that went was counted in expired_keys (plus key 1).
    assert_eq!(ks.stats().expired as usize, 1 + 5_000 - left);
}

#[test]
fn lfu_counter_grows_logarithmically_and_decays() {
    // With factor 10, p = 1/((c-5)*10+1): from 5 the first hit always
    // counts; reaching 255 takes about 10^6 hits (redis.conf's table:
    // factor 10 reaches 255 at 1M hits).
    let mut c = LFU_INIT_VAL;
    let mut r = rng();
    for _ in 0..100 {
        c = lfu_log_incr(c, 10, r.random());
    }
    // redis.conf's table: factor 10, 100 hits -> 10.
    assert!((8..=13).contains(&c), "{c}");
    let mut ks = node(0, EvictionPolicy::AllKeysLfu, 4);
    ks.set(0, 1, None, SimTime::ZERO, &mut r).unwrap();
    for _ in 0..1000 {
        ks.get(0, SimTime::ZERO, &mut r);
    }
    let hot = ks.lfu_decayed(0, SimTime::ZERO);
    // One per minute of idleness (lfu-decay-time 1).
    assert_eq!(ks.lfu_decayed(0, SimTime(3 * SimTime::MINUTE.0)), hot - 3);
}
