//! Client-side adaptive throttling (Google SRE book, "Handling Overload";
//! domain reference §15): admission control that rejects early and cheaply,
//! at the caller, before the request costs the overloaded backend anything.
//!
//! Over a sliding window (2 minutes in the book) the caller counts its
//! `requests` (every try it wanted to send) and the backend's `accepts`
//! (tries that succeeded). A new try is rejected locally with probability
//!
//! ```text
//! p = max(0, (requests − K × accepts) / (requests + 1))
//! ```
//!
//! K = 2 by default: the caller throttles itself only once it sends more
//! than twice what the backend accepts, so about one request per accepted
//! one still reaches the backend and its recovery is noticed.
//!
//! The window is a ring of one-second buckets, allocated once.

use crate::engine::SimTime;

/// How adaptive throttling is configured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThrottleConfig {
    /// The multiplier K (≥ 1; lower rejects sooner).
    pub k: f64,
    /// The sliding window.
    pub window: SimTime,
}

impl Default for ThrottleConfig {
    /// The SRE book's K = 2 over two minutes.
    fn default() -> Self {
        ThrottleConfig {
            k: 2.0,
            window: SimTime(120 * SimTime::SECOND.0),
        }
    }
}

/// Counts of one bucket of the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Bucket {
    /// The second this bucket holds (`u64::MAX` when unused).
    second: u64,
    requests: u64,
    accepts: u64,
}

/// The live state of adaptive throttling on one edge.
#[derive(Clone, Debug, PartialEq)]
pub struct Throttle {
    k: f64,
    ring: Vec<Bucket>,
    /// Sums over the buckets in the ring.
    requests: u64,
    accepts: u64,
}

impl Throttle {
    /// An empty window.
    pub fn new(config: &ThrottleConfig) -> Throttle {
        let seconds = config.window.0.div_ceil(SimTime::SECOND.0).max(1) as usize;
        Throttle {
            k: config.k,
            ring: vec![
                Bucket {
                    second: u64::MAX,
                    ..Bucket::default()
                };
                seconds
            ],
            requests: 0,
            accepts: 0,
        }
    }

    /// The bucket of `now`, after dropping the counts that left the window.
    fn bucket(&mut self, now: SimTime) -> &mut Bucket {
        let second = now.0 / SimTime::SECOND.0;
        let i = (second % self.ring.len() as u64) as usize;
        let b = &mut self.ring[i];
        if b.second != second {
            self.requests -= b.requests;
            self.accepts -= b.accepts;
            *b = Bucket {
                second,
                requests: 0,
                accepts: 0,
            };
        }
        &mut self.ring[i]
    }

    /// The rejection probability at `now`, from the window's counts.
    pub fn reject_probability(&mut self, now: SimTime) -> f64 {
        // Expire every bucket older than the window before reading the sums.
        let second = now.0 / SimTime::SECOND.0;
        let len = self.ring.len() as u64;
        for b in &mut self.ring {
            if b.second != u64::MAX && second.saturating_sub(b.second) >= len {
                self.requests -= b.requests;
                self.accepts -= b.accepts;
                *b = Bucket {
                    second: u64::MAX,
                    ..Bucket::default()
                };
            }
        }
        let r = self.requests as f64;
        ((r - self.k * self.accepts as f64) / (r + 1.0)).max(0.0)
    }

    /// Decides a try at `now` with the uniform draw `u` in [0, 1): true
    /// sends it, false rejects it locally. Either way it counts as a request.
    pub fn admit(&mut self, now: SimTime, u: f64) -> bool {
        let p = self.reject_probability(now);
        self.bucket(now).requests += 1;
        self.requests += 1;
        u >= p
    }

    /// Records at `now` that the backend accepted a try (it succeeded).
    pub fn on_accept(&mut self, now: SimTime) {
        self.bucket(now).accepts += 1;
        self.accepts += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * SimTime::SECOND.0)
    }

    #[test]
    fn nothing_is_rejected_while_the_backend_accepts_half_or_more() {
        let mut t = Throttle::new(&ThrottleConfig::default());
        for i in 0..1000 {
            assert!(t.admit(s(i / 10), 0.0));
            if i % 2 == 0 {
                t.on_accept(s(i / 10));
            }
        }
        // 1000 requests, 500 accepts: 1000 − 2 × 500 = 0.
        assert_eq!(t.reject_probability(s(100)), 0.0);
    }

    #[test]
    fn the_rejection_probability_follows_the_formula() {
        let mut t = Throttle::new(&ThrottleConfig::default());
        for i in 0..1000 {
            t.admit(s(i / 10), 0.99);
            if i % 10 == 0 {
                t.on_accept(s(i / 10));
            }
        }
        // 1000 requests, 100 accepts: (1000 − 200) / 1001.
        let p = t.reject_probability(s(100));
        assert!((p - 800.0 / 1001.0).abs() < 1e-12, "{p}");
        // A draw below p rejects, above admits.
        assert!(!t.admit(s(100), 0.5));
        assert!(t.admit(s(100), 0.9));
    }

    #[test]
    fn counts_leave_the_window() {
        let mut t = Throttle::new(&ThrottleConfig {
            k: 2.0,
            window: s(10),
        });
        for _ in 0..100 {
            t.admit(s(0), 0.99);
        }
        assert!(t.reject_probability(s(9)) > 0.98);
        // Ten seconds later the failures are forgotten.
        assert_eq!(t.reject_probability(s(10)), 0.0);
    }
}
