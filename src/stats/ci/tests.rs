//! Tests of summaries, intervals and quantiles against hand-computed values.

use super::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// `P(|T| ≤ t)` for Student's t with integer `v` degrees of freedom, by the
/// closed forms of Abramowitz & Stegun 26.7.3 (odd `v`) and 26.7.4 (even):
/// finite sums in `θ = atan(t / √v)`.
fn t_two_sided_cdf(t: f64, v: u64) -> f64 {
    let theta = (t / (v as f64).sqrt()).atan();
    let (s, c) = theta.sin_cos();
    if v % 2 == 1 {
        // 2/π [θ + sin θ (cos θ + 2/3 cos³θ + … + (2·4…(v−3))/(1·3…(v−2)) cos^(v−2) θ)]
        let mut term = c;
        let mut sum = if v > 1 { c } else { 0.0 };
        let mut k = 1;
        while 2 * k + 1 < v {
            term *= (2 * k) as f64 / (2 * k + 1) as f64 * c * c;
            sum += term;
            k += 1;
        }
        2.0 / std::f64::consts::PI * (theta + s * sum)
    } else {
        // sin θ [1 + 1/2 cos²θ + (1·3)/(2·4) cos⁴θ + … up to cos^(v−2) θ]
        let mut term = 1.0;
        let mut sum = 1.0;
        let mut k = 1;
        while 2 * k < v {
            term *= (2 * k - 1) as f64 / (2 * k) as f64 * c * c;
            sum += term;
            k += 1;
        }
        s * sum
    }
}

#[test]
fn t_table_and_expansion_match_the_t_distribution() {
    // The exact CDF itself, on known points: t₁ is Cauchy, P(|T₁| ≤ 1) = 1/2;
    // P(|T₂| ≤ t) = t / √(2 + t²).
    assert!(close(t_two_sided_cdf(1.0, 1), 0.5, 1e-15));
    assert!(close(t_two_sided_cdf(2.0, 2), 2.0 / 6f64.sqrt(), 1e-15));
    for df in 1..=200u64 {
        let p = t_two_sided_cdf(t_critical_95(df), df);
        assert!(close(p, 0.95, 1e-8), "df {df}: coverage {p}");
    }
    assert!(close(t_critical_95(1_000_000), Z_975, 1e-5));
    assert_eq!(t_critical_95(0), f64::INFINITY);
}

#[test]
fn summary_matches_hand_computation() {
    // x = 2,4,4,4,5,5,7,9: mean 5, Σ(x−5)² = 32, s² = 32/7.
    let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
    let s = Summary::of(&xs);
    assert_eq!(s.count(), 8);
    assert!(close(s.mean().expect("n > 0"), 5.0, 1e-15));
    assert!(close(s.variance().expect("n > 1"), 32.0 / 7.0, 1e-14));
    assert_eq!((s.min(), s.max()), (Some(2.0), Some(9.0)));
    // se = √(32/7/8) = 0.755929…, t₇ = 2.364624…, half-width 1.787488.
    let (m, lo, hi) = mean_ci95(&xs).expect("n > 1");
    assert!(close(m, 5.0, 1e-15));
    assert!(close(lo, 3.212_512_081, 1e-8), "{lo}");
    assert!(close(hi, 6.787_487_919, 1e-8), "{hi}");
}

#[test]
fn summary_merge_equals_pushing_all() {
    let xs: Vec<f64> = (0..1000)
        .map(|i| ((i * 37) % 101) as f64 * 0.5 + 1e6)
        .collect();
    let whole = Summary::of(&xs);
    let mut merged = Summary::new();
    for chunk in xs.chunks(77) {
        merged.merge(&Summary::of(chunk));
    }
    merged.merge(&Summary::new());
    assert_eq!(merged.count(), whole.count());
    let (a, b) = (merged.mean().expect("n"), whole.mean().expect("n"));
    assert!(close(a, b, 1e-9));
    let (va, vb) = (merged.variance().expect("n"), whole.variance().expect("n"));
    assert!(close(va / vb, 1.0, 1e-9), "{va} vs {vb}");
    assert_eq!(merged.min(), whole.min());
    assert_eq!(merged.max(), whole.max());
}

#[test]
fn degenerate_summaries() {
    assert_eq!(Summary::new().mean(), None);
    assert_eq!(mean_ci95(&[]), None);
    assert_eq!(mean_ci95(&[3.0]), None);
    assert_eq!(Summary::of(&[3.0]).variance(), None);
    let (m, lo, hi) = mean_ci95(&[3.0, 3.0]).expect("n = 2");
    assert_eq!((m, lo, hi), (3.0, 3.0, 3.0));
}

#[test]
fn quantile_sorted_interpolates_linearly() {
    let xs = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(quantile_sorted(&xs, 0.0), Some(1.0));
    assert_eq!(quantile_sorted(&xs, 1.0), Some(4.0));
    assert_eq!(quantile_sorted(&xs, 0.5), Some(2.5)); // h = 1.5
    assert_eq!(quantile_sorted(&xs, 0.25), Some(1.75)); // h = 0.75
    assert_eq!(quantile_sorted(&xs, 2.0), Some(4.0), "q clamps");
    assert_eq!(quantile_sorted(&[7.0], 0.3), Some(7.0));
    assert_eq!(quantile_sorted(&[], 0.5), None);
    assert_eq!(quantile_sorted(&xs, f64::NAN), None);
    // 0..=100: the q-quantile is 100 q exactly.
    let ys: Vec<f64> = (0..=100).map(f64::from).collect();
    assert!(close(quantile_sorted(&ys, 0.37).expect("n"), 37.0, 1e-12));
}

#[test]
fn wilson_interval_matches_hand_computation() {
    let (p, lo, hi) = proportion_ci95(8, 10).expect("n > 0");
    assert_eq!(p, 0.8);
    assert!(close(lo, 0.490_162_472, 1e-8), "{lo}");
    assert!(close(hi, 0.943_317_849, 1e-8), "{hi}");
    // All successes: the upper bound is 1, the lower one z²/(n+z²) below it.
    let (_, lo, hi) = proportion_ci95(10, 10).expect("n > 0");
    assert!(close(lo, 0.722_467_200, 1e-8), "{lo}");
    assert!(close(hi, 1.0, 1e-12));
    let (_, lo, _) = proportion_ci95(0, 10).expect("n > 0");
    assert_eq!(lo, 0.0);
    assert_eq!(proportion_ci95(0, 0), None);
    assert_eq!(proportion_ci95(3, 2), None);
}
