//! Adaptive concurrency: a server-side limit on requests in flight that
//! follows the latency the server delivers, as Envoy's gradient controller
//! does (envoy: source/extensions/filters/http/adaptive_concurrency/controller/gradient_controller.cc;
//! docs: configuration/http/http_filters/adaptive_concurrency_filter).
//!
//! - **minRTT.** At the start, and every `min_rtt_interval`, the limit drops
//!   to `min_concurrency` until `min_rtt_requests` requests have completed;
//!   the `percentile` of their latencies is the ideal round-trip time.
//! - **Updates.** Every `update_interval`, the `percentile` of the latencies
//!   sampled since the last update is `sample_rtt`, and
//!   `gradient = clamp((minRTT + buffer × minRTT) / sample_rtt, 0.5, 2)`;
//!   the new limit is `ceil(limit × gradient + sqrt(limit × gradient))`,
//!   clamped to `[min_concurrency, max_limit]`.
//! - A request arriving with the limit reached is rejected at once (503):
//!   load shedding that needs no queue-time setting.
//!
//! The minRTT window's start jitter (15% by default) is not modelled.

use crate::engine::SimTime;

/// How the gradient controller is configured (Envoy's defaults).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptiveConcurrencyConfig {
    /// How often the limit is recomputed (`concurrency_update_interval`).
    pub update_interval: SimTime,
    /// How often minRTT is measured again (`min_rtt_calc_params.interval`, 60 s).
    pub min_rtt_interval: SimTime,
    /// Requests that measure minRTT (`request_count`, 50).
    pub min_rtt_requests: u32,
    /// The limit while measuring minRTT, and the floor (`min_concurrency`, 3).
    pub min_concurrency: u32,
    /// Latency allowed above minRTT, as a share of it (`buffer`, 25%).
    pub buffer: f64,
    /// The percentile of samples that stands for the latency (50%).
    pub percentile: f64,
    /// The ceiling (`max_concurrency_limit`, 1000).
    pub max_limit: u32,
}

impl Default for AdaptiveConcurrencyConfig {
    fn default() -> Self {
        AdaptiveConcurrencyConfig {
            update_interval: SimTime(100 * SimTime::MILLISECOND.0),
            min_rtt_interval: SimTime(60 * SimTime::SECOND.0),
            min_rtt_requests: 50,
            min_concurrency: 3,
            buffer: 0.25,
            percentile: 0.5,
            max_limit: 1000,
        }
    }
}

/// The gradient controller of one server instance.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptiveConcurrency {
    config: AdaptiveConcurrencyConfig,
    /// The limit outside minRTT windows.
    limit: u32,
    /// Requests admitted and not yet completed.
    in_flight: u32,
    /// Measuring minRTT (the limit is `min_concurrency` meanwhile).
    measuring: bool,
    min_rtt: SimTime,
    /// Latencies \[ns\] since the last update (or in the minRTT window).
    samples: Vec<u64>,
    next_update: SimTime,
    next_min_rtt: SimTime,
}

impl AdaptiveConcurrency {
    /// A controller that starts by measuring minRTT.
    pub fn new(config: AdaptiveConcurrencyConfig) -> Self {
        AdaptiveConcurrency {
            limit: config.min_concurrency,
            in_flight: 0,
            measuring: true,
            min_rtt: SimTime::ZERO,
            samples: Vec::with_capacity(config.min_rtt_requests as usize * 4),
            next_update: config.update_interval,
            next_min_rtt: SimTime::NEVER,
            config,
        }
    }

    /// The limit in force now.
    pub fn limit(&self) -> u32 {
        if self.measuring {
            self.config.min_concurrency
        } else {
            self.limit
        }
    }

    /// The last minRTT measured (zero before the first).
    pub fn min_rtt(&self) -> SimTime {
        self.min_rtt
    }

    /// Admits a request at `now` if the limit allows; it must later be
    /// [`Self::release`]d.
    pub fn try_acquire(&mut self, now: SimTime) -> bool {
        self.advance(now);
        if self.in_flight >= self.limit() {
            return false;
        }
        self.in_flight += 1;
        true
    }

    /// An admitted request completed at `now` after `latency`.
    pub fn release(&mut self, now: SimTime, latency: SimTime) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.samples.push(latency.0);
        self.advance(now);
    }

    fn percentile(&mut self) -> SimTime {
        let k = ((self.samples.len() as f64 * self.config.percentile).ceil() as usize)
            .clamp(1, self.samples.len())
            - 1;
        let (_, v, _) = self.samples.select_nth_unstable(k);
        SimTime(*v)
    }

    /// Runs the windows and updates due at `now`.
    fn advance(&mut self, now: SimTime) {
        let c = self.config;
        if self.measuring {
            if self.samples.len() >= c.min_rtt_requests as usize {
                self.min_rtt = self.percentile();
                self.samples.clear();
                self.measuring = false;
                self.next_update = now + c.update_interval;
                self.next_min_rtt = now + c.min_rtt_interval;
            }
            return;
        }
        if now >= self.next_min_rtt {
            self.measuring = true;
            self.samples.clear();
            return;
        }
        if now < self.next_update {
            return;
        }
        self.next_update = now + c.update_interval;
        if self.samples.is_empty() {
            return;
        }
        let sample = self.percentile().0.max(1) as f64;
        self.samples.clear();
        let ideal = self.min_rtt.0 as f64 * (1.0 + c.buffer);
        let gradient = (ideal / sample).clamp(0.5, 2.0);
        let scaled = self.limit as f64 * gradient;
        let next = (scaled + scaled.sqrt()).ceil();
        self.limit = (next as u32).clamp(c.min_concurrency, c.max_limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: u64) -> SimTime {
        SimTime(x * SimTime::MILLISECOND.0)
    }

    /// Completes `n` requests of `latency` each at time `at` (all sampled
    /// before the controller looks).
    fn complete(a: &mut AdaptiveConcurrency, at: SimTime, n: u32, latency: SimTime) {
        a.samples.extend((1..n).map(|_| latency.0));
        a.in_flight += 1;
        a.release(at, latency);
    }

    #[test]
    fn it_measures_min_rtt_at_the_floor_then_opens_up() {
        let mut a = AdaptiveConcurrency::new(AdaptiveConcurrencyConfig::default());
        assert_eq!(a.limit(), 3);
        assert!(a.try_acquire(ms(0)) && a.try_acquire(ms(0)) && a.try_acquire(ms(0)));
        assert!(
            !a.try_acquire(ms(0)),
            "the floor holds during the minRTT window"
        );
        a.in_flight = 0;
        complete(&mut a, ms(10), 50, ms(10));
        assert_eq!(a.min_rtt(), ms(10));
        // Latency at minRTT: gradient 1.25 (capped at 2 never reached), so
        // the limit grows: 3 × 1.25 = 3.75, + sqrt(3.75) = 5.69 → 6.
        complete(&mut a, ms(110), 10, ms(10));
        assert_eq!(a.limit(), 6);
        complete(&mut a, ms(210), 10, ms(10));
        // 6 × 1.25 = 7.5 + 2.74 = 10.24 → 11.
        assert_eq!(a.limit(), 11);
    }

    #[test]
    fn latency_above_the_buffer_shrinks_the_limit_to_its_fixed_point() {
        let mut a = AdaptiveConcurrency::new(AdaptiveConcurrencyConfig::default());
        complete(&mut a, ms(10), 50, ms(10));
        for k in 1..=20 {
            complete(&mut a, ms(10 + 100 * k), 10, ms(10));
        }
        let high = a.limit();
        assert!(high > 100, "{high}");
        // Latency 4x minRTT: gradient 0.5 each update, halving (plus headroom).
        complete(&mut a, ms(2200), 10, ms(40));
        let after = a.limit();
        let expected = ((high as f64 * 0.5) + (high as f64 * 0.5).sqrt()).ceil() as u32;
        assert_eq!(after, expected);
        for k in 1..=30 {
            complete(&mut a, ms(2200 + 100 * k), 10, ms(40));
        }
        // The headroom keeps it above the floor: x = ceil(x/2 + sqrt(x/2))
        // holds at x = 5 (2.5 + 1.58 = 4.08 → 5).
        assert_eq!(a.limit(), 5);
    }

    #[test]
    fn min_rtt_is_measured_again_after_its_interval() {
        let mut a = AdaptiveConcurrency::new(AdaptiveConcurrencyConfig::default());
        complete(&mut a, ms(10), 50, ms(10));
        complete(&mut a, ms(110), 10, ms(10));
        assert!(a.limit() > 3);
        complete(&mut a, ms(60_010), 1, ms(10));
        assert_eq!(a.limit(), 3, "back to the floor to measure");
        complete(&mut a, ms(60_100), 50, ms(20));
        assert_eq!(a.min_rtt(), ms(20));
    }
}
