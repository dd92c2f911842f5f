//! Retries: how many, on which failures, how long to wait between tries, and
//! how long each try and the whole call may take.
//!
//! Backoff follows Marc Brooker's "Exponential Backoff and Jitter" (AWS
//! Architecture Blog; domain reference §14). With `n` the number of retries
//! already made (0 before the first retry) and `v = min(cap, base·2^n)`:
//!
//! | jitter | delay before retry n+1 |
//! |---|---|
//! | none | `v` |
//! | full | `U(0, v)` |
//! | equal | `v/2 + U(0, v/2)` |
//! | decorrelated | `min(cap, U(base, 3·prev))`, with `prev = base` before the first retry |
//!
//! Envoy's default backoff (base 25 ms, cap 250 ms, full jitter) is the
//! default here; its first retry waits `U(0, 25 ms)` in both conventions.

use rand::{Rng, RngExt};

use crate::cause::Cause;
use crate::engine::SimTime;

/// How a backoff delay is randomised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// No randomisation: `min(cap, base·2^n)`; clients stay synchronised.
    None,
    /// `U(0, min(cap, base·2^n))`.
    Full,
    /// Half fixed, half random: `v/2 + U(0, v/2)`.
    Equal,
    /// `min(cap, U(base, 3·previous delay))`.
    Decorrelated,
}

impl Jitter {
    /// The names accepted in model files.
    pub const NAMES: &'static [&'static str] = &["none", "full", "equal", "decorrelated"];

    /// Parses a jitter name.
    pub fn from_name(name: &str) -> Option<Jitter> {
        Some(match name {
            "none" => Jitter::None,
            "full" => Jitter::Full,
            "equal" => Jitter::Equal,
            "decorrelated" => Jitter::Decorrelated,
            _ => return None,
        })
    }

    /// The name as written in model files.
    pub fn name(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        }
    }
}

/// A set of failure [`Cause`]s, as a bit mask (no allocation, fixed order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CauseSet(u16);

const _: () = assert!(
    crate::cause::CAUSES <= 16,
    "CauseSet holds at most 16 causes"
);

impl CauseSet {
    /// No cause.
    pub const EMPTY: CauseSet = CauseSet(0);
    /// The causes retried by default: timeout, refused, server error and
    /// queue full. A DNS failure or a missing backend is not retried unless
    /// asked for: the next try would most likely fail the same way.
    pub const RETRYABLE: CauseSet = CauseSet::EMPTY
        .with(Cause::Timeout)
        .with(Cause::Refused)
        .with(Cause::ServerError)
        .with(Cause::QueueFull);

    /// This set plus `cause`.
    pub const fn with(self, cause: Cause) -> CauseSet {
        CauseSet(self.0 | 1 << cause as u16)
    }

    /// True when `cause` is in the set.
    pub const fn contains(self, cause: Cause) -> bool {
        self.0 & (1 << cause as u16) != 0
    }

    /// True when the set has no cause.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The causes in the set, in [`Cause::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Cause> {
        Cause::ALL.into_iter().filter(move |&c| self.contains(c))
    }
}

impl FromIterator<Cause> for CauseSet {
    fn from_iter<I: IntoIterator<Item = Cause>>(iter: I) -> CauseSet {
        iter.into_iter().fold(CauseSet::EMPTY, CauseSet::with)
    }
}

/// When and how a caller retries a failed try.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first try (so at most `max_retries + 1` tries).
    pub max_retries: u32,
    /// Backoff base \[ns\] (> 0).
    pub base: SimTime,
    /// Backoff cap \[ns\] (>= `base`).
    pub cap: SimTime,
    /// How the delay is randomised.
    pub jitter: Jitter,
    /// The failure causes worth another try.
    pub retry_on: CauseSet,
    /// How long one try may take before the caller gives up on it, if limited.
    pub per_try_timeout: Option<SimTime>,
    /// How long the whole call (every try and every wait) may take, if limited.
    pub overall_timeout: Option<SimTime>,
}

impl Default for RetryPolicy {
    /// Envoy's route retry defaults: one retry, 25 ms base, 250 ms cap,
    /// full jitter, on the [`CauseSet::RETRYABLE`] causes, no timeouts.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 1,
            base: SimTime(25 * SimTime::MILLISECOND.0),
            cap: SimTime(250 * SimTime::MILLISECOND.0),
            jitter: Jitter::Full,
            retry_on: CauseSet::RETRYABLE,
            per_try_timeout: None,
            overall_timeout: None,
        }
    }
}

impl RetryPolicy {
    /// The exponential ceiling `min(cap, base·2^attempt)` \[ns\].
    pub fn ceiling(&self, attempt: u32) -> SimTime {
        let factor = 1u64.checked_shl(attempt).unwrap_or(u64::MAX);
        SimTime(self.base.0.saturating_mul(factor).min(self.cap.0))
    }

    /// The wait before the next try \[ns\]. `attempt` counts the retries
    /// already made (0 before the first retry); `prev_delay` is the previous
    /// wait, used only by decorrelated jitter (pass [`SimTime::ZERO`] before
    /// the first retry, which counts as `base`).
    pub fn delay<R: Rng + ?Sized>(
        &self,
        attempt: u32,
        prev_delay: SimTime,
        rng: &mut R,
    ) -> SimTime {
        let ns = match self.jitter {
            Jitter::None => self.ceiling(attempt).0,
            Jitter::Full => rng.random_range(0..=self.ceiling(attempt).0),
            Jitter::Equal => {
                let v = self.ceiling(attempt).0;
                let half = v / 2;
                half + rng.random_range(0..=v - half)
            }
            Jitter::Decorrelated => {
                let prev = if prev_delay == SimTime::ZERO {
                    self.base
                } else {
                    prev_delay
                };
                let hi = prev.0.saturating_mul(3).max(self.base.0);
                rng.random_range(self.base.0..=hi).min(self.cap.0)
            }
        };
        SimTime(ns)
    }

    /// True when a try that failed with `cause`, after `retries_done`
    /// retries, may be retried (the budget and deadline are checked apart).
    pub fn should_retry(&self, cause: Cause, retries_done: u32) -> bool {
        retries_done < self.max_retries && self.retry_on.contains(cause)
    }

    /// When a call started at `call_start` must be over ([`SimTime::NEVER`]
    /// without an overall timeout).
    pub fn call_deadline(&self, call_start: SimTime) -> SimTime {
        self.overall_timeout
            .map_or(SimTime::NEVER, |t| call_start + t)
    }

    /// When a try started at `try_start` times out: its own timeout or the
    /// call's deadline, whichever comes first.
    pub fn try_deadline(&self, call_start: SimTime, try_start: SimTime) -> SimTime {
        let own = self
            .per_try_timeout
            .map_or(SimTime::NEVER, |t| try_start + t);
        own.min(self.call_deadline(call_start))
    }
}

#[cfg(test)]
mod tests;
