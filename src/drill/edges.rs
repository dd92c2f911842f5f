//! The caller-side state of each edge with a policy: its circuit breaker,
//! retry budget and bulkhead, one set per trial. The call flow asks it
//! whether a try may start and tells it how each try ended.

use super::readings::ReadingDef;
use super::sim::DrillTrial;
use rand::RngExt;

use crate::behaviours::budget::RetryBudget;
use crate::behaviours::bulkhead::Bulkhead;
use crate::behaviours::circuit_breaker::{BreakerState, CircuitBreaker, Outcome};
use crate::behaviours::{Throttle, TokenBucket};
use crate::cause::Cause;
use crate::engine::SimTime;
use crate::engine::rng::SimRng;
use crate::model::Model;
use crate::model::resilience::CallPolicy;

/// One edge's mutable state in a trial.
pub(super) struct EdgeState<'m> {
    pub(super) policy: &'m CallPolicy,
    breaker: Option<CircuitBreaker>,
    budget: Option<RetryBudget>,
    bulkhead: Option<Bulkhead>,
    /// A client-side rate limit on the edge's tries.
    rate_limit: Option<TokenBucket>,
    /// Client-side adaptive throttling.
    throttle: Option<Throttle>,
    /// Draws the retry delays' jitter.
    pub(super) rng: SimRng,
    /// Tries started, and of those retries, since the trial began.
    tries: u64,
    retries: u64,
    /// Calls answered by the caller's fallback.
    fallbacks: u64,
    /// `(tries, retries, fallbacks)` at the end of the last bin.
    last_bin: (u64, u64, u64),
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
            rate_limit: policy
                .rate_limit
                .as_ref()
                .map(|c| TokenBucket::new(c, SimTime::ZERO)),
            throttle: policy.throttle.as_ref().map(Throttle::new),
            rng,
            tries: 0,
            retries: 0,
            fallbacks: 0,
            last_bin: (0, 0, 0),
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
        if let Some(b) = &mut self.rate_limit
            && !b.try_take(now)
        {
            return Err(Cause::RateLimited);
        }
        if let Some(t) = &mut self.throttle
            && !t.admit(now, self.rng.random())
        {
            return Err(Cause::Throttled);
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

    /// Counts a try started in the measured window (for the readings).
    pub(super) fn count_try(&mut self, retry: bool) {
        self.tries += 1;
        self.retries += u64::from(retry);
    }

    /// Counts a call answered by the fallback in the measured window.
    pub(super) fn count_fallback(&mut self) {
        self.fallbacks += 1;
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
        if ok && let Some(th) = &mut self.throttle {
            th.on_accept(now);
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

/// Per edge with a policy (caller `c`, dependency `d`): tries, retries (and
/// hedges) and fallbacks per second (chart `c-d-load`), retries per request
/// (`c-d-retries`), and with a breaker its state (`c-d-breaker`: 0 closed,
/// 0.5 half-open, 1 open).
pub(super) fn reading_defs(model: &Model, defs: &mut Vec<ReadingDef>) {
    for c in &model.components {
        for (d, p) in &c.calls {
            let dep = &model.components[*d].id;
            let on = |what: &str| format!("{what} to {dep}");
            defs.push(ReadingDef::new(
                &c.id,
                &format!("tries_to_{dep}"),
                &format!("{dep}-load"),
                &on("tries"),
                "per second",
            ));
            defs.push(ReadingDef::new(
                &c.id,
                &format!("retries_to_{dep}"),
                &format!("{dep}-load"),
                &on(if p.hedge.is_some() {
                    "retries and hedges"
                } else {
                    "retries"
                }),
                "per second",
            ));
            if p.fallback.is_some() {
                defs.push(ReadingDef::new(
                    &c.id,
                    &format!("fallbacks_to_{dep}"),
                    &format!("{dep}-load"),
                    &on("fallbacks served instead of calls"),
                    "per second",
                ));
            }
            defs.push(ReadingDef::new(
                &c.id,
                &format!("retries_per_request_to_{dep}"),
                &format!("{dep}-retries"),
                &on("retries per request"),
                "retries per request",
            ));
            if p.breaker.is_some() {
                defs.push(ReadingDef::new(
                    &c.id,
                    &format!("breaker_to_{dep}"),
                    &format!("{dep}-breaker"),
                    &on("breaker state"),
                    "0 closed, 0.5 half-open, 1 open",
                ));
            }
        }
    }
}

impl DrillTrial<'_> {
    /// The values of [`reading_defs`] for the bin ending at `now`, whose
    /// index is `bin` and width `width`.
    pub(super) fn edge_readings(
        &mut self,
        now: SimTime,
        bin: usize,
        width: SimTime,
        out: &mut Vec<f64>,
    ) {
        let secs = width.as_secs_f64().max(f64::MIN_POSITIVE);
        let offered = self.recorder.offered_in(bin) as f64;
        for e in &mut self.edges {
            let (tries, retries) = (e.tries - e.last_bin.0, e.retries - e.last_bin.1);
            let fallbacks = e.fallbacks - e.last_bin.2;
            e.last_bin = (e.tries, e.retries, e.fallbacks);
            out.push(tries as f64 / secs);
            out.push(retries as f64 / secs);
            if e.policy.fallback.is_some() {
                out.push(fallbacks as f64 / secs);
            }
            out.push(if offered > 0.0 {
                retries as f64 / offered
            } else {
                f64::NAN
            });
            if let Some(b) = &e.breaker {
                let open = b.open_until().is_some_and(|t| t > now);
                out.push(match b.state() {
                    BreakerState::Open if open => 1.0,
                    BreakerState::Closed => 0.0,
                    _ => 0.5,
                });
            }
        }
    }
}
