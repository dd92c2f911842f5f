//! Redis key-space throughput: cache-aside commands (GET, SET on a miss)
//! per second on a node at maxmemory, evicting, for key spaces of 10^5 to
//! 10^7 keys under Zipf(0.9), the redis-meltdown drill's volatile-lru key
//! space, and the Zipf sampler alone.
//!
//! Run with `cargo bench --bench cache`; criterion reports commands/s
//! ("elem/s").

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use resim::engine::SimTime;
use resim::engine::rng::SimRng;
use resim::redis::memory;
use resim::redis::{EvictionPolicy, KeyPopularity, Keyspace, RedisConfig};

/// Commands per measured iteration.
const OPS: u64 = 100_000;

fn keyspace(c: &mut Criterion) {
    let mut g = c.benchmark_group("cache_keyspace");
    g.throughput(Throughput::Elements(OPS));
    g.measurement_time(Duration::from_secs(5));
    for n in [100_000u32, 1_000_000, 10_000_000] {
        for policy in [EvictionPolicy::AllKeysLru, EvictionPolicy::AllKeysLfu] {
            let pop = KeyPopularity::zipf(n, 0.9).expect("valid");
            // A tenth of the keys fit: misses evict.
            let cfg = RedisConfig {
                maxmemory: memory::used_by(n as u64 / 10, 100, false),
                policy,
                ..RedisConfig::default()
            };
            let mut ks = Keyspace::new(cfg, n);
            let (mut keys, mut ops) = (SimRng::seed_from_u64(1), SimRng::seed_from_u64(2));
            let mut t = 0u64;
            let mut step = |ks: &mut Keyspace| {
                t += 1;
                let now = SimTime(t * SimTime::MICROSECOND.0 * 100);
                let k = pop.sample(&mut keys);
                if !ks.get(k, now, &mut ops) {
                    let _ = ks.set(k, 100, None, now, &mut ops);
                }
            };
            for _ in 0..2 * n {
                step(&mut ks); // warm to maxmemory
            }
            let id = BenchmarkId::new(policy.name(), n);
            g.bench_function(id, |b| {
                b.iter(|| {
                    for _ in 0..OPS {
                        step(&mut ks);
                    }
                    black_box(ks.used_memory())
                })
            });
        }
    }
    g.finish();
}

/// The redis-meltdown drill's key space alone: 3 million keys, Zipf(0.9),
/// volatile-lru with half the keys written with a TTL of 10 minutes, a
/// tenth of the keys fit: every fill of a miss evicts among the TTL'd keys.
fn volatile(c: &mut Criterion) {
    let mut g = c.benchmark_group("cache_volatile_lru");
    g.throughput(Throughput::Elements(OPS));
    g.measurement_time(Duration::from_secs(5));
    let n = 3_000_000u32;
    let pop = KeyPopularity::zipf(n, 0.9).expect("valid");
    let cfg = RedisConfig {
        maxmemory: memory::used_by(n as u64 / 10, 100, false),
        policy: EvictionPolicy::VolatileLru,
        ..RedisConfig::default()
    };
    let mut ks = Keyspace::new(cfg, n);
    let (mut keys, mut ops) = (SimRng::seed_from_u64(1), SimRng::seed_from_u64(2));
    let ttl = Some(SimTime(600 * SimTime::SECOND.0));
    let mut t = 0u64;
    let mut step = |ks: &mut Keyspace| {
        t += 1;
        let now = SimTime(t * SimTime::MICROSECOND.0 * 100);
        let k = pop.sample(&mut keys);
        if !ks.get(k, now, &mut ops) {
            let _ = ks.set(
                k,
                100,
                if k.is_multiple_of(2) { ttl } else { None },
                now,
                &mut ops,
            );
        }
    };
    for _ in 0..n {
        step(&mut ks); // warm to maxmemory
    }
    g.bench_function("3e6_keys_half_ttl", |b| {
        b.iter(|| {
            for _ in 0..OPS {
                step(&mut ks);
            }
            black_box(ks.used_memory())
        })
    });
    g.finish();
}

fn zipf(c: &mut Criterion) {
    let mut g = c.benchmark_group("cache_zipf");
    g.throughput(Throughput::Elements(OPS));
    let pop = KeyPopularity::zipf(1_000_000, 0.9).expect("valid");
    let mut rng = SimRng::seed_from_u64(3);
    g.bench_function("sample_1e6_keys", |b| {
        b.iter(|| {
            let mut s = 0u64;
            for _ in 0..OPS {
                s += pop.sample(&mut rng) as u64;
            }
            black_box(s)
        })
    });
    g.finish();
}

criterion_group!(benches, keyspace, volatile, zipf);
criterion_main!(benches);
