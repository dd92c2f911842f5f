//! The caller-side state of each edge with a policy: its circuit breaker,
//! retry budget and bulkhead, one set per trial. The call flow asks it
//! whether a try may start and tells it how each try ended.

use crate::behaviours::budget::RetryBudget;
use crate::behaviours::bulkhead::Bulkhead;
use crate::behaviours::circuit_breaker::{CircuitBreaker, Outcome};
use crate::cause::Cause;
use crate::engine::SimTime;
use crate::engine::rng::SimRng;
use crate::model::resilience::CallPolicy;

/// One edge's mutable state in a trial.
pub(super) struct EdgeState<'m> {
    pub(super) policy: &'m CallPolicy,
    breaker: Option<CircuitBreaker>,
    budget: Option<RetryBudget>,
    bulkhead: Option<Bulkhead>,
    /// Draws the retry delays' jitter.
    pub(super) rng: SimRng,
}

/// What the edge remembers about one try until it ends.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct TryTicket {
    /// The edge, an index into the trial's edges.
    pub(super) edge: u16,
    /// The try is a retry (counts against the budget).
    pub(super) retry: bool,
    /// The try holds a bulkhead slot.
    pub(super) bulkhead: bool,
    /// When the try was sent.
    pub(super) sent: SimTime,
}

impl<'m> EdgeState<'m> {
    pub(super) fn new(policy: &'m CallPolicy, rng: SimRng) -> Self {
        EdgeState {
            policy,
            breaker: policy.breaker.as_ref().map(CircuitBreaker::new),
            budget: policy.budget.as_ref().map(RetryBudget::new),
            bulkhead: policy.bulkhead.map(Bulkhead::new),
            rng,
        }
    }

    /// Starts a try, or says why it may not start.
    pub(super) fn start_try(
        &mut self,
        edge: u16,
        now: SimTime,
        retry: bool,
    ) -> Result<TryTicket, Cause> {
        if let Some(b) = &mut self.breaker
            && !b.allow(now)
        {
            return Err(Cause::CircuitOpen);
        }
        let bulkhead = match &mut self.bulkhead {
            Some(b) => {
                if !b.try_acquire() {
                    return Err(Cause::BulkheadFull);
                }
                true
            }
            None => false,
        };
        if let Some(b) = &mut self.budget {
            b.on_try_start(retry);
        }
        Ok(TryTicket {
            edge,
            retry,
            bulkhead,
            sent: now,
        })
    }

    /// Ends a try with its outcome.
    pub(super) fn end_try(&mut self, now: SimTime, t: TryTicket, ok: bool) {
        if let Some(b) = &mut self.breaker {
            let outcome = match &self.policy.breaker {
                Some(cfg) => cfg.classify(ok, now - t.sent),
                None if ok => Outcome::Success,
                None => Outcome::Failure,
            };
            b.record(now, outcome);
        }
        if let Some(b) = &mut self.budget {
            b.on_try_end(t.retry, ok);
        }
        if t.bulkhead
            && let Some(b) = &mut self.bulkhead
        {
            b.release();
        }
    }

    /// Whether the budget lets one more retry go (true without a budget).
    pub(super) fn budget_allows_retry(&self) -> bool {
        self.budget.as_ref().is_none_or(RetryBudget::allow_retry)
    }

    /// When a try sent at `now` for a step that began at `step_start` times
    /// out, or `None` when the edge sets no timeout (the callee's applies).
    pub(super) fn try_deadline(&self, step_start: SimTime, now: SimTime) -> Option<SimTime> {
        let overall = self.policy.timeout.map(|t| step_start + t);
        match &self.policy.retry {
            Some(r) => {
                let d = r.try_deadline(step_start, now);
                (d != SimTime::NEVER).then_some(d).or(overall)
            }
            None => overall,
        }
    }
}
