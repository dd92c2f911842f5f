//! Tests of the log-linear histogram.

use rand::{RngExt, SeedableRng};

use super::*;
use crate::engine::SimRng;

/// The exact nearest-rank quantile of a sorted sample (the definition
/// [`LatencyHistogram::quantile`] approximates).
fn nearest_rank(sorted: &[u64], q: f64) -> u64 {
    let n = sorted.len() as u64;
    let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
    sorted[rank as usize - 1]
}

fn assert_quantiles_close(h: &LatencyHistogram, sorted: &[u64]) {
    for i in 0..=1000 {
        let q = f64::from(i) / 1000.0;
        let exact = nearest_rank(sorted, q);
        let got = h.quantile(q).expect("not empty");
        let err = (got as f64 - exact as f64).abs();
        assert!(
            err <= exact as f64 * MAX_RELATIVE_ERROR,
            "q {q}: got {got}, exact {exact}"
        );
    }
}

#[test]
fn buckets_tile_the_range_without_gaps() {
    let mut next = 0u64;
    for i in 0..index_of(u64::MAX) + 1 {
        let (low, high) = bounds_of(i);
        assert_eq!(low, next, "bucket {i}");
        assert_eq!(index_of(low), i);
        assert_eq!(index_of(high), i);
        // Width at most 1/32 of the lower bound once buckets are wider than 1.
        if high > low {
            assert!((high - low + 1) * SUB <= low, "bucket {i}");
        }
        next = high.wrapping_add(1);
    }
    assert_eq!(next, 0, "last bucket ends at u64::MAX");
}

#[test]
fn small_values_are_exact() {
    let mut h = LatencyHistogram::new();
    for v in 0..64u64 {
        h.record(v);
    }
    let sorted: Vec<u64> = (0..64).collect();
    for i in 1..=64u64 {
        let q = i as f64 / 64.0;
        assert_eq!(h.quantile(q), Some(nearest_rank(&sorted, q)));
    }
}

#[test]
fn quantiles_of_log_uniform_sample_within_error() {
    // Values from 1 µs to 1 h, spread evenly in log scale.
    let mut rng = SimRng::seed_from_u64(11);
    let mut values: Vec<u64> = (0..100_000)
        .map(|_| 10f64.powf(rng.random_range(3.0..12.56)) as u64)
        .collect();
    let mut h = LatencyHistogram::new();
    for &v in &values {
        h.record(v);
    }
    values.sort_unstable();
    assert_quantiles_close(&h, &values);
    assert_eq!(h.min(), values.first().copied());
    assert_eq!(h.max(), values.last().copied());
    assert_eq!(h.count(), 100_000);
    let exact_mean = values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64;
    let mean = h.mean().expect("not empty");
    assert!((mean / exact_mean - 1.0).abs() < 1e-12);
}

#[test]
fn known_quantiles_of_1_to_1000_ms() {
    let mut h = LatencyHistogram::new();
    for ms in 1..=1000u64 {
        h.record(ms * 1_000_000);
    }
    // Nearest rank: p50 = 500 ms, p99 = 990 ms, p999 = 999 ms.
    for (q, exact_ms) in [(0.5, 500u64), (0.99, 990), (0.999, 999)] {
        let got = h.quantile(q).expect("not empty") as f64;
        let exact = (exact_ms * 1_000_000) as f64;
        assert!(
            (got - exact).abs() <= exact * MAX_RELATIVE_ERROR,
            "q {q}: {got}"
        );
    }
    assert_eq!(h.quantile(0.0), Some(1_000_000));
    assert_eq!(h.quantile(1.0), Some(1_000_000_000));
    assert_eq!(h.quantile(f64::NAN), None);
}

#[test]
fn merge_equals_recording_both() {
    let mut rng = SimRng::seed_from_u64(5);
    let a_vals: Vec<u64> = (0..5_000)
        .map(|_| rng.random_range(0..10_000_000_000))
        .collect();
    let b_vals: Vec<u64> = (0..7_000).map(|_| rng.random_range(0..1_000_000)).collect();
    let (mut a, mut b, mut both) = (
        LatencyHistogram::new(),
        LatencyHistogram::new(),
        LatencyHistogram::new(),
    );
    a_vals.iter().for_each(|&v| a.record(v));
    b_vals.iter().for_each(|&v| b.record(v));
    a_vals.iter().chain(&b_vals).for_each(|&v| both.record(v));
    let mut ab = a.clone();
    ab.merge(&b);
    assert_eq!(ab, both);
    let mut ba = b.clone();
    ba.merge(&a);
    assert_eq!(ba, both, "merge order does not matter");
}

#[test]
fn values_beyond_range_saturate_but_keep_exact_max() {
    let mut h = LatencyHistogram::with_max(1_000_000);
    assert!(h.max_trackable() >= 1_000_000);
    assert!(h.max_trackable() < 1_000_000 + 1_000_000 / 32);
    h.record(10);
    h.record(u64::MAX);
    assert_eq!(h.saturated(), 1);
    assert_eq!(h.max(), Some(u64::MAX));
    assert_eq!(h.quantile(1.0), Some(u64::MAX));
    assert_eq!(h.sum(), u128::from(u64::MAX) + 10);
    let mut wide = LatencyHistogram::with_max(u64::MAX);
    wide.record(u64::MAX);
    assert_eq!(wide.saturated(), 0);
    assert_eq!(wide.quantile(0.5), Some(u64::MAX));
}

#[test]
fn iter_lists_non_empty_buckets_and_clear_resets() {
    let mut h = LatencyHistogram::new();
    h.record_n(5, 3);
    h.record(1_000);
    h.record(1_001);
    let buckets: Vec<Bucket> = h.iter().collect();
    assert_eq!(buckets.len(), 2);
    assert_eq!(
        buckets[0],
        Bucket {
            low: 5,
            high: 5,
            count: 3
        }
    );
    assert_eq!(buckets[1].count, 2);
    assert!(buckets[1].low <= 1_000 && 1_001 <= buckets[1].high);
    assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), h.count());
    h.clear();
    assert!(h.is_empty());
    assert_eq!(h.iter().count(), 0);
    assert_eq!(h.quantile(0.5), None);
    assert_eq!(h.mean(), None);
    assert_eq!(h, LatencyHistogram::new());
}

#[test]
fn interpolated_quantiles_follow_an_even_spread_within_a_bucket() {
    // 1..=1_000_000 ns, one each: the q-quantile is q·10^6, and within each
    // bucket the values are spread evenly, so interpolation is nearly exact
    // (far inside the bucket's width).
    let mut h = LatencyHistogram::new();
    for v in 1..=1_000_000u64 {
        h.record(v);
    }
    for q in [0.5, 0.9, 0.95, 0.99, 0.999] {
        let exact = q * 1e6;
        let got = h.quantile_interpolated(q).expect("not empty");
        assert!((got / exact - 1.0).abs() < 1e-5, "q {q}: {got} vs {exact}");
        let mid = h.quantile(q).expect("not empty") as f64;
        assert!((got - exact).abs() <= (mid - exact).abs() + 1.0, "q {q}");
        assert!(relative_width(got as u64) <= MAX_BUCKET_WIDTH);
    }
    assert_eq!(h.quantile_interpolated(0.0), Some(1.0));
    assert_eq!(h.quantile_interpolated(1.0), Some(1e6));
    assert_eq!(h.quantile_interpolated(f64::NAN), None);
    assert_eq!(LatencyHistogram::new().quantile_interpolated(0.5), None);
}

#[test]
fn interpolated_quantiles_stay_within_min_and_max_and_are_monotone() {
    let mut h = LatencyHistogram::new();
    h.record_n(0, 60);
    h.record_n(5, 40);
    // Exact buckets give their value, not a point within [v, v + 1).
    assert_eq!(h.quantile_interpolated(0.5), Some(0.0));
    assert_eq!(h.quantile_interpolated(0.9), Some(5.0));
    let mut h = LatencyHistogram::new();
    h.record_n(7_000, 10);
    assert_eq!(h.quantile_interpolated(0.5), Some(7_000.0));
    h.record_n(1_000_000, 90);
    let mut last = 0.0;
    for k in 0..=100 {
        let v = h
            .quantile_interpolated(f64::from(k) / 100.0)
            .expect("not empty");
        assert!((7_000.0..=1_000_000.0).contains(&v), "{v}");
        assert!(v >= last, "not monotone at {k}");
        last = v;
    }
}

#[test]
fn relative_width_is_zero_below_64_and_at_most_a_32nd() {
    assert_eq!(relative_width(0), 0.0);
    assert_eq!(relative_width(63), 0.0);
    assert_eq!(relative_width(64), 2.0 / 64.0);
    assert_eq!(relative_width(1 << 40), MAX_BUCKET_WIDTH);
    assert!(relative_width((1 << 41) - 1) < MAX_BUCKET_WIDTH);
}
