//! Che's approximation for an LRU cache under the independent reference
//! model (Che, Tung & Wang, IEEE JSAC 2002; its accuracy analysed by
//! Fricker, Robert & Roberts, ITC 2012): a cache holding `C` equal-size
//! keys keeps a key for a "characteristic time" `T_C`, the root of
//! `Σ_i (1 − e^(−p_i T_C)) = C`, and its hit ratio is
//! `Σ_i p_i (1 − e^(−p_i T_C))`, with `p_i` the request probability of key i
//! and `T_C` counted in requests.

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
}
