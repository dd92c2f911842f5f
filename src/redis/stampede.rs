//! Cache stampede guards as the application around a cache-aside Redis
//! applies them (domain reference §25): when a hot key expires or the cache
//! is flushed, every concurrent miss would read the database at once
//! (about request rate x recompute time reads per expiry).
//!
//! - Request coalescing (single-flight, Go's `singleflight.Group.Do`): one
//!   database read per key at a time; concurrent missers wait for it and
//!   share its value and error, with no timeout of their own.
//! - Probabilistic early recomputation (XFetch; Vattani, Chierichetti and
//!   Lowenstein, "Optimal Probabilistic Cache Stampede Prevention", PVLDB
//!   8(8), 2015): a read that hits recomputes anyway when
//!   `-delta x beta x ln(rand()) >= ttl_left`, `delta` the recompute time.
//! - TTL jitter: each fill's TTL is `ttl x (1 + u)`, `u` uniform in
//!   `[-j, j]`, so keys written together do not expire together.
//!
//! Pure rules; the drill applies them in `drill/stampede.rs`.

use crate::engine::SimTime;

/// Where single-flight coalesces concurrent misses of one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SingleFlight {
    /// Per caller instance (an in-process `singleflight.Group`): one read per
    /// key and pod.
    Process,
    /// Across all callers (a lock key in Redis, `SET lock NX PX`): one read
    /// per key.
    Global,
}

impl SingleFlight {
    /// Names accepted in model files.
    pub const NAMES: &'static [&'static str] = &["process", "global"];

    /// Parses a name.
    pub fn from_name(name: &str) -> Option<SingleFlight> {
        match name {
            "process" => Some(SingleFlight::Process),
            "global" => Some(SingleFlight::Global),
            _ => None,
        }
    }
}

/// The stampede guards of one cache (`stampede = { ... }`); all off by default.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StampedeGuard {
    /// Request coalescing, and its scope.
    pub single_flight: Option<SingleFlight>,
    /// XFetch's beta (1 by default; > 1 recomputes earlier).
    pub xfetch_beta: Option<f64>,
    /// TTL jitter `j` in \[0, 1): TTLs spread over `ttl x [1 - j, 1 + j]`.
    pub ttl_jitter: f64,
}

impl StampedeGuard {
    /// Whether any guard is on.
    pub fn is_on(&self) -> bool {
        self.single_flight.is_some() || self.xfetch_beta.is_some() || self.ttl_jitter > 0.0
    }
}

/// XFetch's rule: recompute early when `now - delta x beta x ln(u) >=
/// expiry`, i.e. `-delta x beta x ln(u) >= ttl_left`, with `u` uniform on
/// (0, 1] (a `u` of 0 is taken as the smallest positive double).
pub fn xfetch_recompute(delta: SimTime, beta: f64, ttl_left: SimTime, u: f64) -> bool {
    let u = u.max(f64::MIN_POSITIVE);
    -delta.as_secs_f64() * beta * u.ln() >= ttl_left.as_secs_f64()
}

/// The chance that one read recomputes early: `exp(-ttl_left / (beta x delta))`.
pub fn xfetch_chance(delta: SimTime, beta: f64, ttl_left: SimTime) -> f64 {
    let scale = beta * delta.as_secs_f64();
    if scale <= 0.0 {
        return if ttl_left == SimTime::ZERO { 1.0 } else { 0.0 };
    }
    (-ttl_left.as_secs_f64() / scale).exp()
}

/// `ttl x (1 + j x (2u - 1))` for `u` uniform in \[0, 1).
pub fn jittered_ttl(ttl: SimTime, jitter: f64, u: f64) -> SimTime {
    SimTime::from_secs_f64(ttl.as_secs_f64() * (1.0 + jitter * (2.0 * u - 1.0)))
}

/// The recompute time XFetch uses: an exponentially weighted mean of the
/// database reads measured after misses (weight 1/8 per sample, as TCP's
/// smoothed RTT), starting from the first.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecomputeTime {
    mean_s: Option<f64>,
}

impl RecomputeTime {
    /// Adds one measured recompute.
    pub fn observe(&mut self, took: SimTime) {
        let x = took.as_secs_f64();
        self.mean_s = Some(match self.mean_s {
            None => x,
            Some(m) => m + (x - m) / 8.0,
        });
    }

    /// The current estimate (zero before any recompute: no early refresh).
    pub fn delta(&self) -> SimTime {
        SimTime::from_secs_f64(self.mean_s.unwrap_or(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: u64) -> SimTime {
        SimTime(x * SimTime::MILLISECOND.0)
    }

    #[test]
    fn xfetch_matches_the_papers_chance_per_read() {
        // domain.md §25: delta 0.4 s, T 2 s -> 0.7%; T 0.4 s -> 37%.
        assert!((xfetch_chance(ms(400), 1.0, ms(2000)) - 0.0067).abs() < 1e-4);
        assert!((xfetch_chance(ms(400), 1.0, ms(400)) - 0.3679).abs() < 1e-4);
        // The rule is that chance: u below exp(-T/(beta delta)) recomputes.
        let edge = xfetch_chance(ms(400), 1.0, ms(400));
        assert!(xfetch_recompute(ms(400), 1.0, ms(400), edge * 0.999));
        assert!(!xfetch_recompute(ms(400), 1.0, ms(400), edge * 1.001));
        // A key past its expiry always recomputes; no delta never does early.
        assert!(xfetch_recompute(ms(400), 1.0, SimTime::ZERO, 1.0));
        assert!(!xfetch_recompute(SimTime::ZERO, 1.0, ms(1), 1e-300));
    }

    #[test]
    fn jitter_spans_the_range_and_recompute_time_smooths() {
        let t = SimTime(60 * SimTime::SECOND.0);
        assert_eq!(jittered_ttl(t, 0.1, 0.0), SimTime(54 * SimTime::SECOND.0));
        assert_eq!(jittered_ttl(t, 0.1, 0.5), t);
        assert_eq!(jittered_ttl(t, 0.0, 0.9), t);
        let mut r = RecomputeTime::default();
        assert_eq!(r.delta(), SimTime::ZERO);
        r.observe(ms(800));
        assert_eq!(r.delta(), ms(800));
        r.observe(SimTime::ZERO);
        assert_eq!(r.delta(), ms(700));
    }
}
