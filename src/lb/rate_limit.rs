//! A token-bucket rate limit: `burst` requests at once after a quiet spell,
//! `rate` per second sustained; a request finding no token gets
//! [`TOO_MANY_REQUESTS`].
//!
//! It is kept as the generic cell rate algorithm: one "theoretical arrival
//! time" (TAT) in integer nanoseconds instead of a fractional token count, so
//! it is exact and needs no refill events. A request at `t` is allowed when
//! `TAT − (burst − 1) × T ≤ t`, where T = 1 / rate, and then moves TAT to
//! `max(TAT, t) + T`. This admits exactly what a bucket of `burst` tokens
//! refilled at `rate` admits.

use crate::engine::SimTime;
use crate::model::k8s_spec::RateLimitSpec;

/// The status a rate-limited request gets: 429 Too Many Requests (Envoy's
/// local rate limit default, envoy: api/envoy/extensions/filters/http/local_ratelimit/v3).
pub const TOO_MANY_REQUESTS: u16 = 429;

/// A token bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    /// Time to earn one token [ns].
    per_token: u64,
    /// Bucket size, at least 1.
    burst: u64,
    /// The theoretical arrival time of the next conforming request.
    tat: SimTime,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens refilled at `rate` [req/s].
    pub fn new(rate: f64, burst: u32) -> Self {
        let per_token = if rate > 0.0 {
            (1e9 / rate).round().clamp(1.0, u64::MAX as f64) as u64
        } else {
            u64::MAX
        };
        TokenBucket {
            per_token,
            burst: u64::from(burst.max(1)),
            tat: SimTime::ZERO,
        }
    }

    /// From a model's settings.
    pub fn from_spec(spec: &RateLimitSpec) -> Self {
        TokenBucket::new(spec.rate, spec.burst)
    }

    /// How far TAT may run ahead of now: (burst − 1) × T [ns].
    fn tolerance(&self) -> u64 {
        (self.burst - 1).saturating_mul(self.per_token)
    }

    /// Takes a token for a request at `now`; false means answer 429.
    pub fn try_acquire(&mut self, now: SimTime) -> bool {
        if self.tat.0.saturating_sub(self.tolerance()) > now.0 {
            return false;
        }
        self.tat = self.tat.max(now) + SimTime(self.per_token);
        true
    }

    /// Whole tokens in the bucket at `now`.
    pub fn available(&self, now: SimTime) -> u32 {
        let ahead = self.tat.0.saturating_sub(now.0);
        let room = (self.tolerance() + self.per_token).saturating_sub(ahead);
        (room / self.per_token).min(self.burst) as u32
    }

    /// When the next request would be allowed, at `now` or later.
    pub fn next_allowed_at(&self, now: SimTime) -> SimTime {
        SimTime(self.tat.0.saturating_sub(self.tolerance())).max(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: u64) -> SimTime {
        SimTime(x * SimTime::MILLISECOND.0)
    }

    #[test]
    fn a_full_bucket_admits_the_burst_then_the_rate() {
        let mut b = TokenBucket::new(10.0, 5);
        assert_eq!(b.available(ms(0)), 5);
        let first: Vec<bool> = (0..7).map(|_| b.try_acquire(ms(0))).collect();
        assert_eq!(first, vec![true, true, true, true, true, false, false]);
        assert_eq!(b.available(ms(0)), 0);
        // One token per 100 ms.
        assert_eq!(b.next_allowed_at(ms(0)), ms(100));
        assert!(!b.try_acquire(ms(99)));
        assert!(b.try_acquire(ms(100)));
        assert!(!b.try_acquire(ms(100)));
        // A quiet second refills the bucket, but only up to the burst.
        assert_eq!(b.available(ms(5000)), 5);
    }

    #[test]
    fn sustained_load_above_the_rate_gets_the_rate() {
        // 1000 requests/s offered for 10 s against 100/s with a burst of 20.
        let mut b = TokenBucket::new(100.0, 20);
        let allowed = (0..10_000).filter(|&i| b.try_acquire(ms(i))).count();
        assert_eq!(allowed, 20 + 999);
        // A fractional rate: one token every 2.5 s.
        let mut b = TokenBucket::new(0.4, 1);
        assert!(b.try_acquire(ms(0)));
        assert!(!b.try_acquire(ms(2499)));
        assert!(b.try_acquire(ms(2500)));
    }
}
