use super::*;
use crate::engine::rng::{Purpose, stream};

const MS: u64 = SimTime::MILLISECOND.0;

fn policy(jitter: Jitter) -> RetryPolicy {
    RetryPolicy {
        max_retries: 10,
        base: SimTime(10 * MS),
        cap: SimTime(1_000 * MS),
        jitter,
        ..RetryPolicy::default()
    }
}

/// Draws `n` delays; checks every one lies in `[lo, hi]` and the sample
/// mean is within 4 standard errors of `mean` (sd given per case).
fn check(p: &RetryPolicy, attempt: u32, prev: SimTime, lo: f64, hi: f64, mean: f64, sd: f64) {
    let mut rng = stream(11, attempt as u64, Purpose::Misc);
    let n = 100_000;
    let mut sum = 0.0;
    for _ in 0..n {
        let d = p.delay(attempt, prev, &mut rng).0 as f64;
        assert!(
            (lo..=hi).contains(&d),
            "{:?}: {d} outside [{lo}, {hi}]",
            p.jitter
        );
        sum += d;
    }
    let m = sum / n as f64;
    let tol = 4.0 * sd / (n as f64).sqrt();
    assert!(
        (m - mean).abs() < tol,
        "{:?} attempt {attempt}: mean {m}, expected {mean} ± {tol}",
        p.jitter
    );
}

#[test]
fn no_jitter_doubles_up_to_the_cap() {
    let p = policy(Jitter::None);
    let mut rng = stream(1, 0, Purpose::Misc);
    let got: Vec<u64> = (0..9)
        .map(|n| p.delay(n, SimTime::ZERO, &mut rng).0 / MS)
        .collect();
    assert_eq!(got, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    // No overflow for absurd attempt counts.
    assert_eq!(p.ceiling(200), p.cap);
}

#[test]
fn full_jitter_is_uniform_below_the_ceiling() {
    let p = policy(Jitter::Full);
    // attempt 3: v = 80 ms; U(0, v) has mean v/2 and sd v/√12.
    let v = 80.0 * MS as f64;
    check(&p, 3, SimTime::ZERO, 0.0, v, v / 2.0, v / 12f64.sqrt());
    // attempt 9: capped at 1 s.
    let v = 1_000.0 * MS as f64;
    check(&p, 9, SimTime::ZERO, 0.0, v, v / 2.0, v / 12f64.sqrt());
}

#[test]
fn equal_jitter_keeps_half_the_ceiling() {
    let p = policy(Jitter::Equal);
    // v/2 + U(0, v/2): mean 3v/4, sd (v/2)/√12.
    let v = 160.0 * MS as f64;
    check(
        &p,
        4,
        SimTime::ZERO,
        v / 2.0,
        v,
        0.75 * v,
        v / 2.0 / 12f64.sqrt(),
    );
}

#[test]
fn decorrelated_jitter_spreads_from_base_to_three_times_previous() {
    let p = policy(Jitter::Decorrelated);
    let base = 10.0 * MS as f64;
    // First retry: prev = base, so U(base, 3·base).
    check(
        &p,
        0,
        SimTime::ZERO,
        base,
        3.0 * base,
        2.0 * base,
        2.0 * base / 12f64.sqrt(),
    );
    // prev = 200 ms: U(10 ms, 600 ms), mean 305 ms.
    let prev = SimTime(200 * MS);
    let hi = 600.0 * MS as f64;
    check(
        &p,
        5,
        prev,
        base,
        hi,
        (base + hi) / 2.0,
        (hi - base) / 12f64.sqrt(),
    );
    // prev = 500 ms: U(10 ms, 1.5 s) capped at 1 s. E[min(c, U(a, b))] =
    // ((c² - a²)/2 + c(b - c)) / (b - a); the sd is below (b - a)/√12.
    let (a, b, c) = (base, 1_500.0 * MS as f64, 1_000.0 * MS as f64);
    let mean = ((c * c - a * a) / 2.0 + c * (b - c)) / (b - a);
    check(&p, 5, SimTime(500 * MS), a, c, mean, (b - a) / 12f64.sqrt());
    // A chain fed its own delays stays within [base, cap].
    let mut rng = stream(3, 0, Purpose::Misc);
    let mut prev = SimTime::ZERO;
    for n in 0..1_000 {
        prev = p.delay(n, prev, &mut rng);
        assert!(prev.0 >= 10 * MS && prev <= p.cap, "{prev}");
    }
}

#[test]
fn retries_match_the_geometric_arithmetic() {
    // Independent tries, each failing (timeout) with probability p, and r
    // retries: success 1 - p^(r+1); attempts A = min(Geometric(1 - p), r + 1)
    // with mean (1 - p^(r+1)) / (1 - p). Tolerances are 4 standard errors:
    // sqrt(q(1 - q)/n) for the success share q, sqrt(Var A / n) for the
    // mean, with Var A computed exactly from A's distribution below.
    let n = 200_000u32;
    for (p, r) in [(0.3, 2u32), (0.5, 3), (0.9, 1), (0.1, 0)] {
        let policy = RetryPolicy {
            max_retries: r,
            ..RetryPolicy::default()
        };
        let mut rng = stream(5, r as u64, Purpose::Misc);
        let (mut ok, mut tries) = (0u32, 0u64);
        for _ in 0..n {
            let mut retries = 0;
            loop {
                tries += 1;
                if rng.random::<f64>() >= p {
                    ok += 1;
                    break;
                }
                if !policy.should_retry(Cause::Timeout, retries) {
                    break;
                }
                retries += 1;
            }
        }
        let q = 1.0 - p.powi(r as i32 + 1);
        let mean_a = q / (1.0 - p);
        // P(A = k) = p^(k-1)(1 - p) for k <= r, P(A = r + 1) = p^r.
        let mut ea2 = p.powi(r as i32) * f64::from(r + 1).powi(2);
        for k in 1..=r {
            ea2 += p.powi(k as i32 - 1) * (1.0 - p) * f64::from(k * k);
        }
        let var_a = ea2 - mean_a * mean_a;
        let share = f64::from(ok) / f64::from(n);
        let tol_q = 4.0 * (q * (1.0 - q) / f64::from(n)).sqrt();
        assert!(
            (share - q).abs() < tol_q,
            "p {p} r {r}: success {share}, theory {q} ± {tol_q}"
        );
        let mean = tries as f64 / f64::from(n);
        let tol_a = 4.0 * (var_a / f64::from(n)).sqrt();
        assert!(
            // `<=` plus rounding slack: with r = 0 the variance is zero.
            (mean - mean_a).abs() <= tol_a + 1e-12,
            "p {p} r {r}: attempts {mean}, theory {mean_a} ± {tol_a}"
        );
    }
}

#[test]
fn only_listed_causes_are_retried() {
    let p = RetryPolicy {
        max_retries: 2,
        ..RetryPolicy::default()
    };
    for c in [
        Cause::Timeout,
        Cause::Refused,
        Cause::ServerError,
        Cause::QueueFull,
    ] {
        assert!(p.should_retry(c, 0) && p.should_retry(c, 1) && !p.should_retry(c, 2));
    }
    assert!(!p.should_retry(Cause::DnsFailure, 0));
    assert!(!p.should_retry(Cause::NoBackend, 0));
    let with_dns = RetryPolicy {
        retry_on: p.retry_on.with(Cause::DnsFailure),
        ..p
    };
    assert!(with_dns.should_retry(Cause::DnsFailure, 0));
    let listed: Vec<Cause> = CauseSet::RETRYABLE.iter().collect();
    assert_eq!(
        listed,
        [
            Cause::Timeout,
            Cause::ServerError,
            Cause::Refused,
            Cause::QueueFull
        ]
    );
}

#[test]
fn try_deadline_is_the_earlier_of_both_timeouts() {
    let p = RetryPolicy {
        per_try_timeout: Some(SimTime(100 * MS)),
        overall_timeout: Some(SimTime(250 * MS)),
        ..RetryPolicy::default()
    };
    let start = SimTime(1_000 * MS);
    assert_eq!(p.try_deadline(start, start), SimTime(1_100 * MS));
    assert_eq!(
        p.try_deadline(start, SimTime(1_200 * MS)),
        SimTime(1_250 * MS)
    );
    assert_eq!(
        RetryPolicy::default().try_deadline(start, start),
        SimTime::NEVER
    );
}
