//! Caller-side resilience settings of one dependency edge, read from a table
//! such as
//!
//! ```toml
//! [components.app.calls.db]
//! timeout = "500ms"
//! retry = { max = 2, base = "25ms", cap = "1s", jitter = "full" }
//! budget = { percent = 20, min_concurrency = 3 }
//! breaker = { window = 100, failure_rate = 50, open = "60s", half_open_calls = 10 }
//! bulkhead = 50
//! rate_limit = { rate = "100/s", burst = 20 }
//! ```
//!
//! Each pattern has a reader that validates every field, reports every
//! problem with its span and returns `None` if there was any. The values are
//! the configuration types of [`crate::behaviours`]; percentages in the file
//! become shares in \[0, 1\]. Defaults: Envoy's for retries and budgets,
//! Resilience4j's for breakers (domain reference §12, §14, §15).

use super::error::{Diagnostics, suggest};
use super::reader::{Located, TableReader};
use crate::behaviours::budget::{ENVOY_MIN_CONCURRENCY, ENVOY_PERCENT};
use crate::behaviours::{
    AdaptiveConcurrencyConfig, BreakerConfig, BudgetConfig, CauseSet, Jitter, RetryPolicy,
    ThrottleConfig, TokenBucketConfig,
};
use crate::cause::Cause;
use crate::engine::SimTime;

/// The keys of an edge table that [`read_call_fields`] reads.
pub const CALL_KEYS: &[&str] = &[
    "timeout",
    "retry",
    "budget",
    "breaker",
    "bulkhead",
    "rate_limit",
    "hedge",
    "fallback",
    "throttle",
];
const HEDGE_KEYS: &[&str] = &["delay"];
const THROTTLE_KEYS: &[&str] = &["k", "window"];
const RETRY_KEYS: &[&str] = &[
    "max",
    "base",
    "cap",
    "jitter",
    "retry_on",
    "per_try_timeout",
];
const BUDGET_KEYS: &[&str] = &["percent", "min_concurrency", "max_tokens", "token_ratio"];
const RATE_LIMIT_KEYS: &[&str] = &["rate", "burst"];

/// How a caller treats calls on one dependency edge. `None` fields are off.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallPolicy {
    /// The caller's deadline for the whole call, every try included \[ns\]
    /// (Envoy's route timeout, gRPC's deadline); copied into the retry
    /// policy's `overall_timeout`.
    pub timeout: Option<SimTime>,
    /// Retries.
    pub retry: Option<RetryPolicy>,
    /// A retry budget shared by the edge's calls.
    pub budget: Option<BudgetConfig>,
    /// A circuit breaker.
    pub breaker: Option<BreakerConfig>,
    /// A concurrency limit: calls in flight at most.
    pub bulkhead: Option<u32>,
    /// A client-side rate limit.
    pub rate_limit: Option<TokenBucketConfig>,
    /// Hedging: when the first try has not answered after this delay, a
    /// second try goes to another instance and the first answer wins
    /// (gRPC's `hedgingDelay` with two attempts; Envoy's hedged requests).
    pub hedge: Option<SimTime>,
    /// What the caller serves when the call fails for good, instead of
    /// failing: the request goes on, degraded.
    pub fallback: Option<Fallback>,
    /// Client-side adaptive throttling (the SRE book's admission control).
    pub throttle: Option<ThrottleConfig>,
}

/// A caller's answer when a dependency fails for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// A stale copy (last known good answer).
    Stale,
    /// A static default (empty recommendations, a placeholder).
    Default,
}

impl Fallback {
    /// Names accepted in model files.
    pub const NAMES: &'static [&'static str] = &["stale", "default"];

    /// The name as written in model files.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

impl CallPolicy {
    /// How long each try on this edge waits, for `resim check`: the edge's
    /// own deadline when it sets one (its retry's `per_try_timeout` from each
    /// try, its `timeout` from the step's first try, whichever comes first),
    /// which then replaces the callee's `timeout` per try, longer or
    /// shorter; otherwise the callee's `timeout` (`callee`, `callee_timeout`).
    pub fn describe_timeouts(&self, callee: &str, callee_timeout: SimTime) -> String {
        let per_try = self.retry.as_ref().and_then(|r| r.per_try_timeout);
        let retries = self.retry.as_ref().map_or(0, |r| r.max_retries);
        let tries = match retries {
            0 => String::new(),
            1 => ", 1 retry".to_string(),
            n => format!(", {n} retries"),
        };
        match (per_try, self.timeout) {
            (None, None) => {
                format!("each try waits {callee}'s own timeout ({callee_timeout}){tries}")
            }
            (Some(p), None) => format!(
                "each try waits {p} (the edge's per_try_timeout, which overrides {callee}'s own timeout of {callee_timeout}){tries}"
            ),
            (None, Some(t)) => format!(
                "each try waits until {t} after the call's first try (the edge's timeout, all tries included, which overrides {callee}'s own timeout of {callee_timeout} per try){tries}"
            ),
            (Some(p), Some(t)) => format!(
                "each try waits {p}, and none past {t} after the first try began (the edge's per_try_timeout and timeout, which override {callee}'s own timeout of {callee_timeout}){tries}"
            ),
        }
    }

    /// Settings that are valid but can never act or are likely to hurt, for
    /// `resim check` (lowercase, no trailing period).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.budget.is_some() && self.retry.as_ref().is_none_or(|r| r.max_retries == 0) {
            w.push("a retry budget without retries never acts".to_string());
        }
        let first_try_deadline = self
            .retry
            .as_ref()
            .and_then(|r| r.per_try_timeout)
            .or(self.timeout);
        if let (Some(h), Some(t)) = (self.hedge, first_try_deadline)
            && h >= t
        {
            w.push(format!(
                "the hedging delay ({h}) is not shorter than the try's timeout ({t}), so no hedge is ever sent"
            ));
        }
        if let Some(r) = &self.retry {
            if let (Some(per_try), Some(all)) = (r.per_try_timeout, self.timeout) {
                let tries = u64::from(r.max_retries) + 1;
                if per_try >= all {
                    w.push(format!(
                        "the per-try timeout ({per_try}) is not shorter than the call timeout ({all}), so it never acts"
                    ));
                } else if SimTime(per_try.0.saturating_mul(tries)) > all {
                    w.push(format!(
                        "{tries} tries of {per_try} do not fit in the call timeout ({all}): the last retries are cut short"
                    ));
                }
            }
            if r.max_retries > 0 && self.budget.is_none() && r.jitter == Jitter::None {
                w.push(
                    "retries without jitter or a budget can synchronise into a retry storm"
                        .to_string(),
                );
            }
        }
        w
    }
}

/// Reads an edge table: [`read_call_fields`], then reports unknown keys.
pub fn read_call_policy(mut tr: TableReader, diags: &mut Diagnostics) -> Option<CallPolicy> {
    let before = diags.len();
    let policy = read_call_fields(&mut tr, diags);
    tr.finish(CALL_KEYS, diags);
    policy.filter(|_| diags.len() == before)
}

/// Reads the [`CALL_KEYS`] of an edge table, leaving other keys to the
/// caller (which must call `finish` with them and `CALL_KEYS`).
pub fn read_call_fields(tr: &mut TableReader, diags: &mut Diagnostics) -> Option<CallPolicy> {
    let before = diags.len();
    let timeout = positive_duration(tr, "timeout", diags);
    let mut retry = tr.table("retry", diags).and_then(|t| read_retry(t, diags));
    if let Some(r) = &mut retry {
        r.overall_timeout = timeout;
    }
    let policy = CallPolicy {
        timeout,
        retry,
        budget: tr
            .table("budget", diags)
            .and_then(|t| read_budget(t, diags)),
        breaker: tr
            .table("breaker", diags)
            .and_then(|t| read_breaker(t, diags)),
        bulkhead: read_bulkhead(tr, "bulkhead", diags),
        rate_limit: tr
            .table("rate_limit", diags)
            .and_then(|t| read_rate_limit(t, diags)),
        hedge: tr.table("hedge", diags).and_then(|mut t| {
            let delay = positive_duration(&mut t, "delay", diags);
            if delay.is_none() && !t.has("delay") {
                t.missing("delay", diags, "\"50ms\"");
            }
            t.finish(HEDGE_KEYS, diags);
            delay
        }),
        fallback: tr.str("fallback", diags).and_then(|f| {
            match Fallback::NAMES.iter().position(|n| *n == f.value) {
                Some(0) => Some(Fallback::Stale),
                Some(_) => Some(Fallback::Default),
                None => {
                    unknown_name(diags, &f, "fallback", Fallback::NAMES);
                    None
                }
            }
        }),
        throttle: tr
            .table("throttle", diags)
            .and_then(|t| read_throttle(t, diags)),
    };
    (diags.len() == before).then_some(policy)
}

const ADAPTIVE_KEYS: &[&str] = &[
    "update_interval",
    "min_rtt_interval",
    "min_rtt_requests",
    "min_concurrency",
    "buffer",
    "percentile",
    "max_limit",
];

/// Reads a component's `adaptive_concurrency = { ... }` (Envoy's gradient
/// controller; `{}` takes its defaults; percentages for `buffer` and
/// `percentile`).
pub fn read_adaptive_concurrency(
    mut tr: TableReader,
    diags: &mut Diagnostics,
) -> Option<AdaptiveConcurrencyConfig> {
    let before = diags.len();
    let mut c = AdaptiveConcurrencyConfig::default();
    for (key, slot) in [
        ("update_interval", &mut c.update_interval),
        ("min_rtt_interval", &mut c.min_rtt_interval),
    ] {
        if let Some(d) = positive_duration(&mut tr, key, diags) {
            *slot = d;
        }
    }
    for (key, slot) in [
        ("min_rtt_requests", &mut c.min_rtt_requests),
        ("min_concurrency", &mut c.min_concurrency),
        ("max_limit", &mut c.max_limit),
    ] {
        if let Some(n) = tr.u32(key, diags) {
            if n.value == 0 {
                diags.error(n.span, format!("'{}.{key}' must be at least 1", tr.path));
            }
            *slot = n.value;
        }
    }
    if let Some(b) = tr.f64("buffer", diags) {
        if !(0.0..=1000.0).contains(&b.value) {
            diags.error(
                b.span,
                format!(
                    "'{}.buffer' is a percentage of minRTT from 0, found {}",
                    tr.path, b.value
                ),
            );
        }
        c.buffer = b.value / 100.0;
    }
    if let Some(p) = percent_at(&mut tr, "percentile", diags) {
        c.percentile = p;
    }
    if c.max_limit < c.min_concurrency {
        diags.error(
            tr.span.clone(),
            format!(
                "'{}': max_limit ({}) is below min_concurrency ({})",
                tr.path, c.max_limit, c.min_concurrency
            ),
        );
    }
    tr.finish(ADAPTIVE_KEYS, diags);
    (diags.len() == before).then_some(c)
}

/// Reads `throttle = { k, window }` (defaults: the SRE book's K = 2 over 2 min).
fn read_throttle(mut tr: TableReader, diags: &mut Diagnostics) -> Option<ThrottleConfig> {
    let before = diags.len();
    let mut c = ThrottleConfig::default();
    if let Some(k) = tr.f64("k", diags) {
        if k.value < 1.0 {
            diags.error_hint(
                k.span,
                format!("'{}.k' must be at least 1, found {}", tr.path, k.value),
                Some(
                    "K = 2 (the SRE book's) throttles once requests exceed twice the accepts"
                        .into(),
                ),
            );
        }
        c.k = k.value;
    }
    if let Some(w) = positive_duration(&mut tr, "window", diags) {
        c.window = w;
    }
    tr.finish(THROTTLE_KEYS, diags);
    (diags.len() == before).then_some(c)
}

/// Reads `retry = { max, base, cap, jitter, retry_on, per_try_timeout }`.
/// Defaults: 1 retry, base 25 ms (or the cap, if lower), cap 10 × base, full
/// jitter, retry on timeout, refused, server error and queue full.
pub fn read_retry(mut tr: TableReader, diags: &mut Diagnostics) -> Option<RetryPolicy> {
    let before = diags.len();
    let path = tr.path.clone();
    let default = RetryPolicy::default();
    let max = tr
        .u32("max", diags)
        .map_or(default.max_retries, |m| m.value);
    let base = positive_duration_at(&mut tr, "base", diags);
    let cap = positive_duration_at(&mut tr, "cap", diags);
    let (base, cap) = match (base, cap) {
        (Some(b), Some(c)) => {
            if c.value < b.value {
                diags.error(
                    c.span,
                    format!("'{path}.cap' ({}) is below base ({})", c.value, b.value),
                );
            }
            (b.value, c.value)
        }
        (Some(b), None) => (b.value, SimTime(b.value.0.saturating_mul(10))),
        (None, Some(c)) => (default.base.min(c.value), c.value),
        (None, None) => (default.base, default.cap),
    };
    let jitter = match tr.str("jitter", diags) {
        Some(j) => Jitter::from_name(&j.value).or_else(|| {
            unknown_name(diags, &j, "jitter", Jitter::NAMES);
            None
        }),
        None => Some(default.jitter),
    };
    let retry_on = if tr.has("retry_on") {
        read_causes(&mut tr, diags)
    } else {
        default.retry_on
    };
    let per_try_timeout = positive_duration(&mut tr, "per_try_timeout", diags);
    tr.finish(RETRY_KEYS, diags);
    (diags.len() == before).then_some(RetryPolicy {
        max_retries: max,
        base,
        cap,
        jitter: jitter?,
        retry_on,
        per_try_timeout,
        overall_timeout: None,
    })
}

/// Reads `retry_on`, a list of failure cause names.
fn read_causes(tr: &mut TableReader, diags: &mut Diagnostics) -> CauseSet {
    let path = format!("{}.retry_on", tr.path);
    let names: Vec<&str> = Cause::ALL.iter().map(|c| c.name()).collect();
    let before = diags.len();
    let items = tr.str_list("retry_on", diags);
    let mut set = CauseSet::EMPTY;
    for it in &items {
        match Cause::ALL.iter().find(|c| c.name() == it.value) {
            Some(&c) => set = set.with(c),
            None => unknown_name(diags, it, "failure cause", &names),
        }
    }
    if items.is_empty() && diags.len() == before {
        diags.error(
            tr.span_of("retry_on"),
            format!("'{path}' lists no cause, so nothing would be retried; remove 'retry' instead"),
        );
    }
    set
}

/// Reads `budget`: `{ percent, min_concurrency }` (Envoy, defaults 20% and
/// 3) or `{ max_tokens, token_ratio }` (gRPC retry throttling).
pub fn read_budget(mut tr: TableReader, diags: &mut Diagnostics) -> Option<BudgetConfig> {
    let before = diags.len();
    let path = tr.path.clone();
    let envoy = tr.has("percent") || tr.has("min_concurrency");
    let grpc = tr.has("max_tokens") || tr.has("token_ratio");
    let budget = match (envoy, grpc) {
        (true, true) => {
            diags.error_hint(
                tr.span.clone(),
                format!("'{path}' mixes a concurrency budget and token throttling"),
                Some("use percent and min_concurrency, or max_tokens and token_ratio".into()),
            );
            let _ = tr.entries();
            None
        }
        (false, false) => {
            tr.missing("percent", diags, "20 (or max_tokens and token_ratio)");
            None
        }
        (true, false) => Some(BudgetConfig::Concurrency {
            percent: percent_at(&mut tr, "percent", diags).unwrap_or(ENVOY_PERCENT),
            min_concurrency: tr
                .u32("min_concurrency", diags)
                .map_or(ENVOY_MIN_CONCURRENCY, |m| m.value),
        }),
        (false, true) => {
            // gRPC accepts max_tokens in (0, 1000] and any token_ratio > 0.
            let max_tokens = positive_number(&mut tr, "max_tokens", diags, Some(1000.0));
            let token_ratio = positive_number(&mut tr, "token_ratio", diags, None);
            for (k, example) in [("max_tokens", "10"), ("token_ratio", "0.1")] {
                if !tr.has(k) {
                    tr.missing(k, diags, example);
                }
            }
            Some(BudgetConfig::Tokens {
                max_tokens: max_tokens?,
                token_ratio: token_ratio?,
            })
        }
    };
    tr.finish(BUDGET_KEYS, diags);
    budget.filter(|_| diags.len() == before)
}

/// Reads `key = n`, a bulkhead's concurrency limit (at least 1).
pub fn read_bulkhead(tr: &mut TableReader, key: &str, diags: &mut Diagnostics) -> Option<u32> {
    let n = tr.u32(key, diags)?;
    if n.value == 0 {
        diags.error_hint(
            n.span,
            format!("'{}.{key}' must be at least 1", tr.path),
            Some("a bulkhead of 0 rejects every call; remove it to have no limit".into()),
        );
        return None;
    }
    Some(n.value)
}

/// Reads `rate_limit = { rate, burst }`: `rate` as `"100/s"` or a number
/// per second (> 0); `burst` defaults to one second's worth (at least 1).
pub fn read_rate_limit(mut tr: TableReader, diags: &mut Diagnostics) -> Option<TokenBucketConfig> {
    let before = diags.len();
    let path = tr.path.clone();
    let rate = tr.rate("rate", diags);
    if rate.is_none() && !tr.has("rate") {
        tr.missing("rate", diags, "\"100/s\"");
    }
    if let Some(r) = &rate
        && r.value <= 0.0
    {
        diags.error(
            r.span.clone(),
            format!("'{path}.rate' must be greater than zero"),
        );
    }
    let burst = match tr.u32("burst", diags) {
        Some(b) if b.value == 0 => {
            diags.error(b.span, format!("'{path}.burst' must be at least 1"));
            None
        }
        b => b.map(|b| b.value),
    };
    tr.finish(RATE_LIMIT_KEYS, diags);
    let rate = rate?.value;
    let burst = burst.unwrap_or((rate.ceil() as u32).max(1));
    (diags.len() == before).then_some(TokenBucketConfig { rate, burst })
}

/// A duration that must be greater than zero, if present.
fn positive_duration(tr: &mut TableReader, key: &str, diags: &mut Diagnostics) -> Option<SimTime> {
    positive_duration_at(tr, key, diags).map(|d| d.value)
}

fn positive_duration_at(
    tr: &mut TableReader,
    key: &str,
    diags: &mut Diagnostics,
) -> Option<Located<SimTime>> {
    let d = tr.duration(key, diags)?;
    if d.value == SimTime::ZERO {
        diags.error(
            d.span,
            format!("'{}.{key}' must be greater than zero", tr.path),
        );
        return None;
    }
    Some(d)
}

/// A percentage in (0, 100], returned as a share in (0, 1].
fn percent_at(tr: &mut TableReader, key: &str, diags: &mut Diagnostics) -> Option<f64> {
    let p = tr.f64(key, diags)?;
    if !(p.value > 0.0 && p.value <= 100.0) {
        diags.error(
            p.span,
            format!(
                "'{}.{key}' must be a percentage in (0, 100], found {}",
                tr.path, p.value
            ),
        );
        return None;
    }
    Some(p.value / 100.0)
}

/// A number greater than zero and at most `max`, if present.
fn positive_number(
    tr: &mut TableReader,
    key: &str,
    diags: &mut Diagnostics,
    max: Option<f64>,
) -> Option<f64> {
    let x = tr.f64(key, diags)?;
    let hi = max.unwrap_or(f64::INFINITY);
    if !(x.value > 0.0 && x.value <= hi && x.value.is_finite()) {
        let range = match max {
            Some(m) => format!("in (0, {m}]"),
            None => "a number greater than zero".to_string(),
        };
        diags.error(
            x.span,
            format!("'{}.{key}' must be {range}, found {}", tr.path, x.value),
        );
        return None;
    }
    Some(x.value)
}

/// Reports an unknown name with a near miss or the list of names.
fn unknown_name(diags: &mut Diagnostics, name: &Located<String>, what: &str, names: &[&str]) {
    diags.error_hint(
        name.span.clone(),
        format!("unknown {what} '{}'", name.value),
        suggest(&name.value, names.iter().copied())
            .or_else(|| Some(format!("use one of: {}", names.join(", ")))),
    );
}

mod breaker;

pub use breaker::read_breaker;

#[cfg(test)]
mod tests;
