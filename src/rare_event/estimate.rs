//! The regenerative ratio estimator of steady-state unavailability from
//! biased and unbiased excursions, its delta-method interval, the effective
//! sample size and the speed-up over plain Monte Carlo.

use serde::Serialize;

use super::system::Excursion;
use crate::stats::ci::Z_975;

/// Running sums over excursions, added in index order (deterministic).
#[derive(Clone, Debug, Default)]
pub struct Sums {
    /// Excursions.
    pub n: u64,
    /// Sum of downtime x weight.
    pub z: f64,
    /// Sum of (downtime x weight)².
    pub z2: f64,
    /// Sum of downtime² x weight (the model's second moment of downtime).
    pub d2w: f64,
    /// Largest single downtime x weight.
    pub z_max: f64,
    /// Excursions with some downtime.
    pub hits: u64,
    /// Sum of excursion lengths.
    pub t: f64,
    /// Sum of squared excursion lengths.
    pub t2: f64,
    /// Events simulated.
    pub events: u64,
}

impl Sums {
    /// Adds one excursion.
    pub fn add(&mut self, x: &Excursion) {
        let z = x.downtime * x.weight;
        self.n += 1;
        self.z += z;
        self.z2 += z * z;
        self.d2w += x.downtime * x.downtime * x.weight;
        self.z_max = self.z_max.max(z);
        self.hits += u64::from(x.downtime > 0.0);
        self.t += x.length;
        self.t2 += x.length * x.length;
        self.events += x.events;
    }
}

/// Sample variance of the mean from a count, sum and sum of squares.
pub(super) fn var_of_mean(n: u64, s: f64, s2: f64) -> f64 {
    if n < 2 {
        return f64::INFINITY;
    }
    let n = n as f64;
    let m = s / n;
    ((s2 - n * m * m) / (n - 1.0)).max(0.0) / n
}

/// Steady-state unavailability by importance sampling, with its diagnostics.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IsEstimate {
    /// Long-run unavailability (share of time the service is down).
    pub unavailability: f64,
    /// 95% interval (delta method on the ratio of two independent means).
    pub ci95: (f64, f64),
    /// Relative error: standard error / estimate.
    pub relative_error: f64,
    /// Relative half-width of the 95% interval.
    pub relative_half_width: f64,
    /// Kish's effective sample size of the contributions downtime x
    /// likelihood ratio: (Σz)² / Σz².
    pub effective_sample_size: f64,
    /// Biased excursions (numerator) and unbiased ones (denominator).
    pub biased_cycles: u64,
    /// Unbiased excursions, for the mean cycle length.
    pub unbiased_cycles: u64,
    /// Biased excursions that reached a service outage.
    pub cycles_with_outage: u64,
    /// Failures, repairs and failovers simulated, both kinds of excursion.
    pub events: u64,
    /// Events plain Monte Carlo would need for the same interval width
    /// (from the model's variance of downtime per cycle, estimated here).
    pub plain_mc_events: f64,
    /// `plain_mc_events / events`.
    pub speedup: f64,
    /// Mean cycle length (all-up sojourn plus excursion) \[s\].
    pub mean_cycle_secs: f64,
    /// The bias parameter beta.
    pub bias: f64,
    /// Why the figures may not be trusted, if they may not.
    pub warnings: Vec<String>,
}

/// Outage-reaching excursions below which the interval is flagged.
pub const MIN_HITS: u64 = 30;

/// Largest share of the estimate one excursion may carry before the
/// likelihood ratio is flagged as unstable.
pub const MAX_SHARE: f64 = 0.2;

impl IsEstimate {
    /// The estimate from biased sums `b`, unbiased sums `u` and the rate of
    /// leaving all-up `rate0` \[1/s\].
    pub fn from_sums(b: &Sums, u: &Sums, rate0: f64, bias: f64) -> IsEstimate {
        let a = b.z / b.n.max(1) as f64;
        let sojourn = if rate0 > 0.0 {
            1.0 / rate0
        } else {
            f64::INFINITY
        };
        let cycle = sojourn + u.t / u.n.max(1) as f64;
        let est = a / cycle;
        let rel_var = if a > 0.0 {
            var_of_mean(b.n, b.z, b.z2) / (a * a) + var_of_mean(u.n, u.t, u.t2) / (cycle * cycle)
        } else {
            f64::INFINITY
        };
        let rel_err = rel_var.sqrt();
        let sd = est * rel_err;
        let ci95 = if a > 0.0 {
            ((est - Z_975 * sd).max(0.0), est + Z_975 * sd)
        } else {
            (0.0, 0.0)
        };
        let events = b.events + u.events;
        // Plain Monte Carlo: per cycle, relative variance E[D²]/E[D]² − 1
        // and the model's events per excursion; events for half-width h are
        // e·z²·σ²/h², against ours (events) at our half-width.
        let sigma2_mc = if a > 0.0 {
            (b.d2w / b.n as f64 / (a * a) - 1.0).max(0.0)
        } else {
            f64::NAN
        };
        let e_mc = u.events as f64 / u.n.max(1) as f64;
        let h = Z_975 * rel_err;
        let plain_mc_events = e_mc * Z_975 * Z_975 * sigma2_mc / (h * h);
        let speedup = plain_mc_events / events.max(1) as f64;
        let ess = if b.z2 > 0.0 { b.z * b.z / b.z2 } else { 0.0 };
        let mut warnings = Vec::new();
        if b.hits == 0 {
            warnings.push(format!(
                "none of {} biased cycles reached a service outage: no estimate (the service may not be able to go down)",
                b.n
            ));
        } else if b.hits < MIN_HITS {
            warnings.push(format!(
                "only {} of {} biased cycles reached an outage: the interval is unreliable; run more cycles",
                b.hits, b.n
            ));
        }
        if b.z > 0.0 && b.z_max / b.z > MAX_SHARE {
            warnings.push(format!(
                "one cycle carries {:.0}% of the estimate: the likelihood ratio's variance is unstable \
                 (a few huge weights dominate) and the interval may be too narrow; try a smaller --bias or --method mc",
                100.0 * b.z_max / b.z
            ));
        }
        IsEstimate {
            unavailability: est,
            ci95,
            relative_error: rel_err,
            relative_half_width: h,
            effective_sample_size: ess,
            biased_cycles: b.n,
            unbiased_cycles: u.n,
            cycles_with_outage: b.hits,
            events,
            plain_mc_events,
            speedup,
            mean_cycle_secs: cycle,
            bias,
            warnings,
        }
    }
}
