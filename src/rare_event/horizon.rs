//! An interval quantity by importance sampling: the probability that the
//! service has an outage within the horizon, starting with everything new
//! and up.
//!
//! Biasing every excursion of a year-long path multiplies a likelihood
//! ratio per excursion: dozens of factors whose second moment is each about
//! `1/(1 − β)`, so its variance grows exponentially with the horizon. The
//! path is therefore split at its regeneration points instead. Failures are
//! exponential, so a path is a run of cycles: an all-up sojourn, then an
//! excursion starting at `aᵢ`. With `h(r)` the probability that an
//! excursion brings the service down within `r` of its first failure,
//!
//! `P(outage within T) = E[Σᵢ 1{no outage in excursions before i, aᵢ ≤ T} · h(T − aᵢ)]`.
//!
//! Each path is simulated under the model's law until `T` or its first
//! outage (cheap: its excursions almost never go down), and at each `aᵢ` an
//! independent excursion with balanced failure biasing, stopped at its
//! first outage, estimates `h(T − aᵢ)` without bias as `1{τ ≤ T − aᵢ} · L`,
//! `L` the likelihood ratio up to the outage over the whole excursion. The
//! terms of a path are summed; paths are independent, so the interval is
//! Student's (normal) on their mean. Its relative error stays bounded as
//! outages get rarer, like the steady-state estimator's.

use serde::Serialize;

use super::estimate::{MAX_SHARE, MIN_HITS, var_of_mean};
use super::system::System;
use crate::engine::rng::SimRng;
use crate::stats::ci::Z_975;
use rand::RngExt;

/// What one path over the horizon gave.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HorizonPath {
    /// Its estimate of P(outage within the horizon): the sum of its terms.
    pub estimate: f64,
    /// Its largest term.
    pub largest: f64,
    /// Biased excursions that reached an outage within the time left.
    pub hits: u64,
    /// Excursions the path started (biased ones, one per cycle).
    pub cycles: u64,
    /// Events of the path under the model's law (what plain Monte Carlo runs).
    pub plain_events: u64,
    /// All events simulated, the biased excursions' included.
    pub events: u64,
}

/// One path from all-up at time 0 to `horizon` seconds: `path` drives the
/// model's own law, `biased` the side excursions biased with `beta`.
pub fn path(
    sys: &System,
    path: &mut SimRng,
    biased: &mut SimRng,
    horizon: f64,
    beta: f64,
) -> HorizonPath {
    let mut out = HorizonPath::default();
    let rate0 = sys.total_fail_rate();
    if rate0 <= 0.0 {
        return out;
    }
    let mut t = 0.0;
    loop {
        t += -(1.0 - path.random::<f64>()).ln() / rate0;
        if t > horizon {
            return out;
        }
        let left = horizon - t;
        out.cycles += 1;
        let b = sys.passage(biased, Some(beta), left);
        out.events += b.events;
        if b.outage_at.is_some_and(|tau| tau <= left) {
            out.estimate += b.weight;
            out.largest = out.largest.max(b.weight);
            out.hits += 1;
        }
        let u = sys.passage(path, None, left);
        out.events += u.events;
        out.plain_events += u.events;
        if u.outage_at.is_some() || u.length >= left {
            return out;
        }
        t += u.length;
    }
}

/// Running sums over paths, added in index order (deterministic).
#[derive(Clone, Debug, Default)]
pub struct PathSums {
    /// Paths.
    pub n: u64,
    /// Sum of the paths' estimates.
    pub y: f64,
    /// Sum of their squares.
    pub y2: f64,
    /// Largest single term.
    pub largest: f64,
    /// Terms that reached an outage.
    pub hits: u64,
    /// Cycles started.
    pub cycles: u64,
    /// Events under the model's law.
    pub plain_events: u64,
    /// All events.
    pub events: u64,
}

impl PathSums {
    /// Adds one path.
    pub fn add(&mut self, p: &HorizonPath) {
        self.n += 1;
        self.y += p.estimate;
        self.y2 += p.estimate * p.estimate;
        self.largest = self.largest.max(p.largest);
        self.hits += p.hits;
        self.cycles += p.cycles;
        self.plain_events += p.plain_events;
        self.events += p.events;
    }
}

/// P(outage within the horizon) by importance sampling, with its diagnostics.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutageWithin {
    /// The horizon \[h\].
    pub horizon_hours: f64,
    /// P(the service goes down at least once within the horizon), from all
    /// new and up at time 0.
    pub probability: f64,
    /// 95% interval (normal, over independent paths).
    pub ci95: (f64, f64),
    /// Relative error: standard error / estimate.
    pub relative_error: f64,
    /// Relative half-width of the 95% interval.
    pub relative_half_width: f64,
    /// Kish's effective sample size of the paths' estimates: (Σy)² / Σy².
    pub effective_sample_size: f64,
    /// Paths over the horizon.
    pub paths: u64,
    /// Biased excursions (one per cycle of a path).
    pub biased_cycles: u64,
    /// Biased excursions that reached an outage within the time left.
    pub cycles_with_outage: u64,
    /// Events simulated, paths and biased excursions.
    pub events: u64,
    /// Events plain Monte Carlo would need for the same interval width
    /// (Bernoulli trials over the horizon at the estimated probability).
    pub plain_mc_events: f64,
    /// `plain_mc_events / events`.
    pub speedup: f64,
    /// Why the figures may not be trusted, if they may not.
    pub warnings: Vec<String>,
}

impl OutageWithin {
    /// The estimate from the sums over paths of `horizon` seconds.
    pub fn from_sums(s: &PathSums, horizon: f64) -> OutageWithin {
        let p = s.y / s.n.max(1) as f64;
        let var = var_of_mean(s.n, s.y, s.y2);
        let sd = var.sqrt();
        let rel_err = if p > 0.0 { sd / p } else { f64::INFINITY };
        let ci95 = if p > 0.0 {
            ((p - Z_975 * sd).max(0.0), (p + Z_975 * sd).min(1.0))
        } else {
            (0.0, 0.0)
        };
        // Plain Monte Carlo: Bernoulli paths of variance p(1 − p), each
        // costing the events of a path under the model's law.
        let per_path = s.plain_events as f64 / s.n.max(1) as f64;
        let plain_mc_events = if var > 0.0 {
            per_path * p * (1.0 - p) / var
        } else {
            f64::NAN
        };
        let mut warnings = Vec::new();
        if s.hits == 0 {
            warnings.push(format!(
                "none of {} biased excursions reached an outage within the horizon: no estimate",
                s.cycles
            ));
        } else if s.hits < MIN_HITS {
            warnings.push(format!(
                "only {} of {} biased excursions reached an outage within the horizon: \
                 the interval is unreliable; run more cycles",
                s.hits, s.cycles
            ));
        }
        if s.y > 0.0 && s.largest / s.y > MAX_SHARE {
            warnings.push(format!(
                "one excursion carries {:.0}% of the estimate of P(outage within the horizon): \
                 the likelihood ratio's variance is unstable and the interval may be too narrow",
                100.0 * s.largest / s.y
            ));
        }
        OutageWithin {
            horizon_hours: horizon / 3600.0,
            probability: p,
            ci95,
            relative_error: rel_err,
            relative_half_width: Z_975 * rel_err,
            effective_sample_size: if s.y2 > 0.0 { s.y * s.y / s.y2 } else { 0.0 },
            paths: s.n,
            biased_cycles: s.cycles,
            cycles_with_outage: s.hits,
            events: s.events,
            plain_mc_events,
            speedup: plain_mc_events / s.events.max(1) as f64,
            warnings,
        }
    }
}
