//! The load balancer's rate limit: a token bucket per balancer instance
//! ([`crate::behaviours::TokenBucket`]: `burst` requests at once after a
//! quiet spell, `rate` per second sustained); a request finding no token
//! gets [`TOO_MANY_REQUESTS`].

use crate::behaviours::{TokenBucket, TokenBucketConfig};
use crate::engine::SimTime;
use crate::model::k8s_spec::RateLimitSpec;

/// The status a rate-limited request gets: 429 Too Many Requests (Envoy's
/// local rate limit default, envoy: api/envoy/extensions/filters/http/local_ratelimit/v3).
pub const TOO_MANY_REQUESTS: u16 = 429;

/// A full bucket at `now` from a model's settings.
pub fn bucket(spec: &RateLimitSpec, now: SimTime) -> TokenBucket {
    let config = TokenBucketConfig {
        rate: spec.rate,
        burst: spec.burst.max(1),
    };
    TokenBucket::new(&config, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: u64) -> SimTime {
        SimTime(x * SimTime::MILLISECOND.0)
    }

    fn spec(rate: f64, burst: u32) -> RateLimitSpec {
        RateLimitSpec { rate, burst }
    }

    #[test]
    fn a_full_bucket_admits_the_burst_then_the_rate() {
        let mut b = bucket(&spec(10.0, 5), ms(0));
        let first: Vec<bool> = (0..7).map(|_| b.try_take(ms(0))).collect();
        assert_eq!(first, vec![true, true, true, true, true, false, false]);
        // One token per 100 ms.
        assert!(!b.try_take(ms(99)));
        assert!(b.try_take(ms(100)));
        assert!(!b.try_take(ms(100)));
    }

    #[test]
    fn sustained_load_above_the_rate_gets_the_rate() {
        // 1000 requests/s offered for 10 s against 100/s with a burst of 20.
        let mut b = bucket(&spec(100.0, 20), ms(0));
        let allowed = (0..10_000).filter(|&i| b.try_take(ms(i))).count();
        assert_eq!(allowed, 20 + 999);
        // A fractional rate: one token every 2.5 s.
        let mut b = bucket(&spec(0.4, 1), ms(0));
        assert!(b.try_take(ms(0)));
        assert!(!b.try_take(ms(2499)));
        assert!(b.try_take(ms(2500)));
    }
}
