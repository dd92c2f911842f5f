//! A bulkhead: a limit on the calls a caller has in flight to one
//! dependency, so that a slow dependency ties up at most that many of the
//! caller's workers. A call over the limit fails at once (Resilience4j's
//! semaphore bulkhead with `maxWaitDuration` 0, its default; Envoy's
//! `max_requests` circuit breaker likewise answers 503 without queuing).

/// A concurrency limit on one dependency edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bulkhead {
    limit: u32,
    in_use: u32,
}

impl Bulkhead {
    /// Resilience4j's default limit: 25 concurrent calls.
    pub const DEFAULT_LIMIT: u32 = 25;

    /// A bulkhead admitting at most `limit` calls at once.
    pub fn new(limit: u32) -> Bulkhead {
        Bulkhead { limit, in_use: 0 }
    }

    /// Takes a slot for a call; `false` (and nothing taken) when all are in use.
    pub fn try_acquire(&mut self) -> bool {
        let ok = self.in_use < self.limit;
        self.in_use += u32::from(ok);
        ok
    }

    /// Returns the slot of a call that ended. Releasing more than was
    /// acquired is a caller bug: it panics in debug builds.
    pub fn release(&mut self) {
        debug_assert!(self.in_use > 0, "bulkhead released more than acquired");
        self.in_use = self.in_use.saturating_sub(1);
    }

    /// Calls in flight.
    pub fn in_use(&self) -> u32 {
        self.in_use
    }

    /// The limit.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Slots free now.
    pub fn available(&self) -> u32 {
        self.limit - self.in_use
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_then_rejects() {
        let mut b = Bulkhead::new(3);
        assert_eq!(
            (0..5).map(|_| b.try_acquire()).collect::<Vec<_>>(),
            [true, true, true, false, false]
        );
        assert_eq!((b.in_use(), b.available()), (3, 0));
        b.release();
        assert!(b.try_acquire());
        assert!(!b.try_acquire());
    }

    #[test]
    fn in_flight_never_exceeds_the_limit() {
        // Calls arrive two per step and each lasts three steps: six would be
        // in flight unlimited; with a limit of 4 one in three is rejected.
        let mut b = Bulkhead::new(4);
        let mut ends: Vec<u32> = Vec::new();
        let (mut admitted, mut rejected) = (0, 0);
        for step in 0..300u32 {
            let before = ends.len();
            ends.retain(|&e| e != step);
            for _ in ends.len()..before {
                b.release();
            }
            for _ in 0..2 {
                if b.try_acquire() {
                    ends.push(step + 3);
                    admitted += 1;
                } else {
                    rejected += 1;
                }
            }
            assert!(b.in_use() <= 4);
            assert_eq!(b.in_use() as usize, ends.len());
        }
        // Steady state: 4 slots, 3 steps each, so 4/3 admitted per step.
        assert!(
            (admitted as f64 / 300.0 - 4.0 / 3.0).abs() < 0.02,
            "{admitted}"
        );
        assert_eq!(admitted + rejected, 600);
    }

    #[test]
    fn zero_limit_rejects_everything() {
        let mut b = Bulkhead::new(0);
        assert!(!b.try_acquire());
        assert_eq!(Bulkhead::DEFAULT_LIMIT, 25);
    }
}
