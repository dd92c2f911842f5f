//! Che's approximation for an LRU cache under the independent reference
//! model (Che, Tung & Wang, IEEE JSAC 2002; its accuracy analysed by
//! Fricker, Robert & Roberts, ITC 2012): a cache holding `C` equal-size
//! keys keeps a key for a "characteristic time" `T_C`, the root of
//! `Σ_i (1 − e^(−p_i T_C)) = C`, and its hit ratio is
//! `Σ_i p_i (1 − e^(−p_i T_C))`, with `p_i` the request probability of key i
//! and `T_C` counted in requests.
//!
//! [`describe`] gives `resim check`'s expectation for a cache's key space:
//! its capacity in keys from `maxmemory` and [`super::memory`], then Che's
//! hit ratio where the policy is LRU-like, or why it does not apply.

use rand::SeedableRng;

use super::memory;
use super::{CacheSpec, EvictionPolicy};
use crate::engine::rng::SimRng;

/// The characteristic time `T_C` \[requests\] of an LRU cache of `capacity`
/// keys under key probabilities `p`; infinite when everything fits.
pub fn characteristic_time(p: &[f64], capacity: f64) -> f64 {
    if capacity >= p.len() as f64 {
        return f64::INFINITY;
    }
    let occupancy = |t: f64| p.iter().map(|&q| 1.0 - (-q * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1.0);
    while occupancy(hi) < capacity {
        hi *= 2.0;
    }
    for _ in 0..100 {
        if hi - lo <= 1e-12 * hi {
            break;
        }
        let mid = 0.5 * (lo + hi);
        if occupancy(mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Che's hit ratio of an LRU cache of `capacity` keys under probabilities `p`.
pub fn lru_hit_ratio(p: &[f64], capacity: f64) -> f64 {
    let t = characteristic_time(p, capacity);
    if t.is_infinite() {
        return 1.0;
    }
    p.iter().map(|&q| q * (1.0 - (-q * t).exp())).sum()
}

/// Value sizes drawn to average a key's bytes (a fixed seed: the same
/// figure on every run).
const SIZE_DRAWS: usize = 20_000;

/// The keys that fit in `maxmemory` × `nodes` on average: values drawn
/// from the spec's size distribution, charged as [`memory`] does, with an
/// expires entry for the TTL share and the dict tables of that many keys.
pub fn capacity_keys(spec: &CacheSpec, nodes: u32) -> f64 {
    let max = spec.config.maxmemory as f64 * nodes.max(1) as f64;
    let mut rng = SimRng::seed_from_u64(0);
    let entry = (0..SIZE_DRAWS)
        .map(|_| memory::entry_bytes(spec.size.sample(&mut rng)) as f64)
        .sum::<f64>()
        / SIZE_DRAWS as f64;
    let share = if spec.ttl.is_some() {
        spec.ttl_share
    } else {
        0.0
    };
    let per = entry + share * memory::DICT_ENTRY as f64;
    let tables = if share > 0.0 { 2.0 } else { 1.0 };
    let guess = (max / per).max(1.0) as u64;
    let table = memory::table_bytes(memory::buckets_for(0, guess)) as f64 * tables;
    ((max - table) / per).max(0.0)
}

/// `resim check`'s lines for a cache's key space: capacity, and Che's
/// LRU hit ratio for reads where it applies (or why it does not).
pub fn describe(spec: &CacheSpec, nodes: u32) -> String {
    let keys = spec.keys.count() as f64;
    if spec.config.maxmemory == 0 {
        return "no maxmemory: every key read once stays, hit ratio -> 1".into();
    }
    let cap = capacity_keys(spec, nodes);
    let head = format!(
        "room for ~{cap:.0} of {keys:.0} keys ({:.1}%)",
        100.0 * (cap / keys).min(1.0)
    );
    let why_not = match spec.config.policy {
        EvictionPolicy::AllKeysLru => None,
        EvictionPolicy::VolatileLru if spec.ttl.is_some() && spec.ttl_share >= 1.0 => None,
        EvictionPolicy::VolatileLru => Some(
            "volatile-lru with keys without a TTL: those are never evicted and pile up, \
             so Che's LRU approximation does not apply",
        ),
        EvictionPolicy::NoEviction => Some(
            "noeviction: the first keys written stay and later writes fail with -OOM, \
             so Che's LRU approximation does not apply",
        ),
        _ => Some("not an LRU policy: Che's LRU approximation does not apply"),
    };
    if let Some(why) = why_not {
        return format!("{head}; {why}");
    }
    let p = spec.keys.probabilities();
    let t = characteristic_time(&p, cap);
    let h = lru_hit_ratio(&p, cap);
    let tc = if t.is_infinite() {
        "everything fits".to_string()
    } else {
        format!("characteristic time {t:.0} key requests")
    };
    let mut out = format!(
        "{head}; Che's LRU approximation: steady hit ratio {h:.3} ({tc}; \
         independent reads, no invalidating writes"
    );
    if spec.ttl.is_some() {
        out.push_str(", TTLs ignored: an upper bound when they are shorter than T_C");
    }
    out.push(')');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_popularity_gives_the_capacity_share() {
        // Under uniform popularity LRU keeps any C of N keys: hit ratio C/N
        // (exactly, and Che's formula reproduces it).
        let p = vec![1.0 / 1000.0; 1000];
        let h = lru_hit_ratio(&p, 250.0);
        assert!((h - 0.25).abs() < 1e-9, "{h}");
    }

    #[test]
    fn occupancy_at_the_characteristic_time_is_the_capacity() {
        let w: Vec<f64> = (1..=10_000).map(|k| (k as f64).powf(-0.8)).collect();
        let s: f64 = w.iter().sum();
        let p: Vec<f64> = w.iter().map(|x| x / s).collect();
        let t = characteristic_time(&p, 500.0);
        let occ: f64 = p.iter().map(|&q| 1.0 - (-q * t).exp()).sum();
        assert!((occ - 500.0).abs() < 1e-6, "{occ}");
        assert_eq!(lru_hit_ratio(&p, 20_000.0), 1.0);
    }

    #[test]
    fn describe_gives_capacity_and_che_only_for_lru() {
        use crate::redis::{KeyPopularity, OnWrite, RedisConfig, SizeDist};
        // 10,000 keys of 100 B fit in used_by(10,000) bytes: under uniform
        // popularity over 40,000 keys Che says 0.25.
        let spec = CacheSpec {
            config: RedisConfig {
                maxmemory: memory::used_by(10_000, 100, false),
                policy: EvictionPolicy::AllKeysLru,
                ..RedisConfig::default()
            },
            keys: KeyPopularity::Uniform { n: 40_000 },
            size: SizeDist::Constant(100),
            ttl: None,
            ttl_share: 1.0,
            on_write: OnWrite::Invalidate,
            stampede: Default::default(),
            persistence: None,
            ha: Default::default(),
        };
        assert!((capacity_keys(&spec, 1) - 10_000.0).abs() < 1.0);
        let text = describe(&spec, 1);
        assert!(text.contains("steady hit ratio 0.250"), "{text}");
        let lfu = CacheSpec {
            config: RedisConfig {
                policy: EvictionPolicy::AllKeysLfu,
                ..spec.config.clone()
            },
            ..spec
        };
        assert!(describe(&lfu, 2).contains("does not apply"));
    }
}
