//! A token bucket rate limiter: `rate` tokens a second flow into a bucket of
//! `burst`; a call takes one token or is rejected. It admits a burst of up
//! to `burst` calls at once and `rate` a second on average (Resilience4j's
//! RateLimiter refreshes a fixed count per period instead; the bucket is the
//! common form at load balancers and API gateways).
//!
//! Tokens are refilled lazily from the time elapsed since the last call, so
//! an idle limiter costs nothing and needs no timer.

use crate::engine::SimTime;

/// How a token bucket is configured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TokenBucketConfig {
    /// Tokens added per second \[tokens/s\] (> 0).
    pub rate: f64,
    /// Bucket size: the largest burst admitted at once (>= 1).
    pub burst: u32,
}

/// Credit units per token: 10^18, so that a rate in units of 10^-9
/// tokens/s adds a whole number of units per nanosecond (exact integer
/// arithmetic: no drift however many refills, no platform dependence).
const UNITS: u128 = 1_000_000_000_000_000_000;

/// A token bucket; it starts full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    /// Refill [units/ns] = rate in 10^-9 tokens/s.
    rate: u128,
    /// Capacity [units].
    burst: u128,
    /// Credit at `last` [units].
    credit: u128,
    last: SimTime,
}

impl TokenBucket {
    /// A full bucket at time `now`. The rate is kept to 10^-9 tokens/s.
    pub fn new(config: &TokenBucketConfig, now: SimTime) -> TokenBucket {
        let burst = u128::from(config.burst) * UNITS;
        TokenBucket {
            rate: (config.rate.max(0.0) * 1e9).round() as u128,
            burst,
            credit: burst,
            last: now,
        }
    }

    /// Takes one token at `now` if there is one.
    pub fn try_take(&mut self, now: SimTime) -> bool {
        self.credit = self.credit_at(now);
        self.last = self.last.max(now);
        let ok = self.credit >= UNITS;
        if ok {
            self.credit -= UNITS;
        }
        ok
    }

    /// Tokens in the bucket at `now` (not before the last call), in \[0, burst\].
    pub fn tokens_at(&self, now: SimTime) -> f64 {
        self.credit_at(now) as f64 / UNITS as f64
    }

    fn credit_at(&self, now: SimTime) -> u128 {
        let dt = u128::from(now.saturating_sub(self.last).0);
        self.credit
            .saturating_add(self.rate.saturating_mul(dt))
            .min(self.burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = SimTime::MILLISECOND.0;

    fn bucket(rate: f64, burst: u32) -> TokenBucket {
        TokenBucket::new(&TokenBucketConfig { rate, burst }, SimTime::ZERO)
    }

    #[test]
    fn admits_a_full_burst_then_the_rate() {
        let mut b = bucket(10.0, 5);
        let burst = (0..8).filter(|_| b.try_take(SimTime::ZERO)).count();
        assert_eq!(burst, 5);
        // 10/s: one token every 100 ms.
        assert!(!b.try_take(SimTime(99 * MS)));
        assert!(b.try_take(SimTime(100 * MS)));
        assert!(!b.try_take(SimTime(100 * MS)));
    }

    #[test]
    fn long_run_admissions_are_burst_plus_rate_times_time() {
        // Offered 1000/s (at 0, 1, ..., 9999 ms) against 100/s with a burst of
        // 20: by t the bucket has released 20 + 100·t tokens, so the last
        // arrival, at 9.999 s, finds the 1019th; the 1020th comes at 10 s.
        let mut b = bucket(100.0, 20);
        let admitted = (0..10_000u64)
            .filter(|&i| b.try_take(SimTime(i * MS)))
            .count();
        // Exact arithmetic: a token every 10 ms after the burst is spent.
        assert_eq!(admitted, 1_019);
    }

    #[test]
    fn idle_time_refills_only_up_to_the_burst() {
        let mut b = bucket(1.0, 3);
        for _ in 0..3 {
            assert!(b.try_take(SimTime::ZERO));
        }
        assert_eq!(b.tokens_at(SimTime(3_600 * 1_000 * MS)), 3.0);
        let t = SimTime(3_600 * 1_000 * MS);
        assert_eq!((0..5).filter(|_| b.try_take(t)).count(), 3);
    }

    #[test]
    fn fractional_rates_work() {
        // 0.5/s: one token every 2 s.
        let mut b = bucket(0.5, 1);
        assert!(b.try_take(SimTime::ZERO));
        assert!(!b.try_take(SimTime(1_999 * MS)));
        assert!(b.try_take(SimTime(2_000 * MS)));
        // One a minute, exact to the nanosecond over an hour.
        let mut b = bucket(1.0 / 60.0, 1);
        assert!(b.try_take(SimTime::ZERO));
        let admitted = (1..=3_600u64)
            .filter(|&s| b.try_take(SimTime(s * 1_000 * MS)))
            .count();
        assert!((59..=60).contains(&admitted), "{admitted}");
    }
}
