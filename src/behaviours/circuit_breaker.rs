//! A circuit breaker in the manner of Resilience4j (domain reference §15).
//!
//! ```text
//! CLOSED    ── a rate >= its threshold, >= min_calls in the window ──► OPEN
//! OPEN      ── `open` elapsed: next allow() (or poll() if automatic) ──► HALF_OPEN
//! HALF_OPEN ── half_open_calls recorded, both rates below ──────────► CLOSED
//! HALF_OPEN ── half_open_calls recorded, a rate >= its threshold ───► OPEN
//! ```
//!
//! Closed, the breaker records every outcome in a sliding window, either the
//! last `n` calls or the last `n` seconds (one-second buckets, as Resilience4j).
//! Open, it rejects every call. Half-open, it lets `half_open_calls` calls
//! through and judges them alone. Windows are rings allocated once.

use crate::engine::SimTime;

/// The sliding window a closed breaker judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// The last `n` recorded calls (n >= 1).
    Count(u32),
    /// The calls recorded in the last `n` whole seconds (n >= 1).
    Time(u32),
}

/// How a circuit breaker is configured. Rates are shares in \[0, 1\].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerConfig {
    /// The sliding window.
    pub window: Window,
    /// Calls the window must hold before any rate is judged. With a count
    /// window, capped at its size (as Resilience4j does).
    pub min_calls: u32,
    /// Failure share that opens the breaker (>=), in (0, 1\].
    pub failure_rate: f64,
    /// A successful call longer than this \[ns\] is slow.
    pub slow_call: SimTime,
    /// Slow-call share that opens the breaker (>=), in (0, 1\].
    pub slow_rate: f64,
    /// How long the breaker stays open \[ns\].
    pub open: SimTime,
    /// Trial calls let through when half-open (>= 1).
    pub half_open_calls: u32,
    /// Move to half-open as soon as `open` has elapsed ([`CircuitBreaker::poll`]),
    /// rather than on the first call after it.
    pub automatic_half_open: bool,
}

impl Default for BreakerConfig {
    /// Resilience4j's defaults: the last 100 calls, at least 100 of them, 50%
    /// failures or 100% slow calls (over 60 s) open it for 60 s, 10 trial calls.
    fn default() -> BreakerConfig {
        BreakerConfig {
            window: Window::Count(100),
            min_calls: 100,
            failure_rate: 0.5,
            slow_call: SimTime(60 * SimTime::SECOND.0),
            slow_rate: 1.0,
            open: SimTime(60 * SimTime::SECOND.0),
            half_open_calls: 10,
            automatic_half_open: false,
        }
    }
}

impl BreakerConfig {
    /// The outcome of a call that succeeded (`ok`) or not, after `duration`.
    /// A failed call is a failure whatever its duration.
    pub fn classify(&self, ok: bool, duration: SimTime) -> Outcome {
        match (ok, duration > self.slow_call) {
            (false, _) => Outcome::Failure,
            (true, true) => Outcome::Slow,
            (true, false) => Outcome::Success,
        }
    }

    /// The minimum number of calls actually applied.
    pub fn effective_min_calls(&self) -> u32 {
        match self.window {
            Window::Count(n) => self.min_calls.min(n),
            Window::Time(_) => self.min_calls,
        }
    }
}

/// What one call did, as the breaker counts it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Outcome {
    /// It succeeded in time.
    #[default]
    Success,
    /// It failed (an error or a timeout).
    Failure,
    /// It succeeded, but slower than the slow-call duration.
    Slow,
}

/// The breaker's state; as a gauge, `state as u8` is 0, 1 or 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum BreakerState {
    /// Calls pass and are recorded.
    Closed = 0,
    /// A few trial calls pass; the rest are rejected.
    HalfOpen = 1,
    /// Every call is rejected.
    Open = 2,
}

/// Calls, failures and slow calls in a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    calls: u32,
    failures: u32,
    slow: u32,
}

impl Counts {
    fn of(o: Outcome) -> Counts {
        Counts {
            calls: 1,
            failures: u32::from(o == Outcome::Failure),
            slow: u32::from(o == Outcome::Slow),
        }
    }

    fn add(&mut self, c: Counts) {
        self.calls += c.calls;
        self.failures += c.failures;
        self.slow += c.slow;
    }

    fn sub(&mut self, c: Counts) {
        self.calls -= c.calls;
        self.failures -= c.failures;
        self.slow -= c.slow;
    }
}

/// A sliding window with running totals: O(1) per call, no allocation.
#[derive(Clone, Debug)]
enum Ring {
    /// The last `slots.len()` outcomes; `next` is overwritten next.
    Count {
        slots: Box<[Outcome]>,
        next: usize,
        filled: usize,
        totals: Counts,
    },
    /// One bucket per second; bucket `s % len` holds second `s` when its
    /// stamp says so. `latest` is the newest second seen.
    Time {
        buckets: Box<[(u64, Counts)]>,
        latest: u64,
        totals: Counts,
    },
}

impl Ring {
    fn new(window: Window) -> Ring {
        match window {
            Window::Count(n) => Ring::Count {
                slots: vec![Outcome::Success; n.max(1) as usize].into_boxed_slice(),
                next: 0,
                filled: 0,
                totals: Counts::default(),
            },
            Window::Time(n) => Ring::Time {
                buckets: vec![(0, Counts::default()); n.max(1) as usize].into_boxed_slice(),
                latest: 0,
                totals: Counts::default(),
            },
        }
    }

    fn clear(&mut self) {
        match self {
            Ring::Count {
                next,
                filled,
                totals,
                ..
            } => {
                (*next, *filled, *totals) = (0, 0, Counts::default());
            }
            Ring::Time {
                buckets,
                latest,
                totals,
            } => {
                buckets.fill((0, Counts::default()));
                (*latest, *totals) = (0, Counts::default());
            }
        }
    }

    /// Drops the seconds that have left a time window by `now`.
    fn advance(&mut self, now: SimTime) {
        let Ring::Time {
            buckets,
            latest,
            totals,
        } = self
        else {
            return;
        };
        let sec = now.0 / SimTime::SECOND.0;
        if sec <= *latest {
            return;
        }
        let n = buckets.len() as u64;
        if sec - *latest >= n {
            buckets.fill((sec, Counts::default()));
            *totals = Counts::default();
        } else {
            for s in *latest + 1..=sec {
                let b = &mut buckets[(s % n) as usize];
                totals.sub(b.1);
                *b = (s, Counts::default());
            }
        }
        *latest = sec;
    }

    fn record(&mut self, now: SimTime, o: Outcome) {
        self.advance(now);
        match self {
            Ring::Count {
                slots,
                next,
                filled,
                totals,
            } => {
                if *filled == slots.len() {
                    totals.sub(Counts::of(slots[*next]));
                } else {
                    *filled += 1;
                }
                slots[*next] = o;
                *next = (*next + 1) % slots.len();
                totals.add(Counts::of(o));
            }
            Ring::Time {
                buckets,
                latest,
                totals,
            } => {
                let n = buckets.len() as u64;
                buckets[(*latest % n) as usize].1.add(Counts::of(o));
                totals.add(Counts::of(o));
            }
        }
    }

    fn totals(&mut self, now: SimTime) -> Counts {
        self.advance(now);
        match self {
            Ring::Count { totals, .. } | Ring::Time { totals, .. } => *totals,
        }
    }
}

/// A circuit breaker on one dependency edge.
#[derive(Clone, Debug)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    state: BreakerState,
    closed: Ring,
    half_open: Ring,
    open_until: SimTime,
    permits: u32,
}

impl CircuitBreaker {
    /// A closed breaker with empty windows (allocated here, once).
    pub fn new(config: &BreakerConfig) -> CircuitBreaker {
        CircuitBreaker {
            config: *config,
            state: BreakerState::Closed,
            closed: Ring::new(config.window),
            half_open: Ring::new(Window::Count(config.half_open_calls.max(1))),
            open_until: SimTime::ZERO,
            permits: 0,
        }
    }

    /// The state now, for a gauge (an open breaker whose wait is over still
    /// reads open until a call or [`Self::poll`] moves it).
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// When an open breaker may move to half-open; `None` unless open.
    pub fn open_until(&self) -> Option<SimTime> {
        (self.state == BreakerState::Open).then_some(self.open_until)
    }

    /// May a call go through at `now`? A `true` from a half-open breaker
    /// uses one of its trial permits, so ask once per call.
    pub fn allow(&mut self, now: SimTime) -> bool {
        if self.state == BreakerState::Open && now >= self.open_until {
            self.enter_half_open();
        }
        match self.state {
            BreakerState::Closed => true,
            BreakerState::Open => false,
            BreakerState::HalfOpen => {
                let ok = self.permits > 0;
                self.permits = self.permits.saturating_sub(1);
                ok
            }
        }
    }

    /// With automatic transition on, moves an open breaker whose wait is
    /// over to half-open; schedule it at [`Self::open_until`].
    pub fn poll(&mut self, now: SimTime) {
        if self.config.automatic_half_open
            && self.state == BreakerState::Open
            && now >= self.open_until
        {
            self.enter_half_open();
        }
    }

    /// Records the outcome of a call that [`Self::allow`] let through.
    /// Outcomes that arrive while open (calls sent before it opened) are ignored.
    pub fn record(&mut self, now: SimTime, outcome: Outcome) {
        match self.state {
            BreakerState::Closed => {
                self.closed.record(now, outcome);
                let totals = self.closed.totals(now);
                if self.exceeded(totals, self.config.effective_min_calls()) {
                    self.trip(now);
                }
            }
            BreakerState::HalfOpen => {
                self.half_open.record(now, outcome);
                let totals = self.half_open.totals(now);
                let n = self.config.half_open_calls.max(1);
                if totals.calls >= n {
                    if self.exceeded(totals, n) {
                        self.trip(now);
                    } else {
                        self.closed.clear();
                        self.state = BreakerState::Closed;
                    }
                }
            }
            BreakerState::Open => {}
        }
    }

    /// True when `c` holds at least `min` calls and either rate reaches its threshold.
    fn exceeded(&self, c: Counts, min: u32) -> bool {
        if c.calls == 0 || c.calls < min {
            return false;
        }
        let calls = f64::from(c.calls);
        f64::from(c.failures) / calls >= self.config.failure_rate
            || f64::from(c.slow) / calls >= self.config.slow_rate
    }

    fn trip(&mut self, now: SimTime) {
        self.state = BreakerState::Open;
        self.open_until = now + self.config.open;
    }

    fn enter_half_open(&mut self) {
        self.state = BreakerState::HalfOpen;
        self.half_open.clear();
        self.permits = self.config.half_open_calls.max(1);
    }
}

#[cfg(test)]
mod tests;
