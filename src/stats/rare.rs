//! Intervals for the mean of a non-negative per-trial quantity built from
//! rare events: downtime as a share of the horizon, the share of requests
//! that failed. Most trials may see none of it, so the per-trial values are
//! far from normal and a Student-t interval undercovers (82% for a 1-of-2
//! pair with a handful of outages) and crosses zero.
//!
//! The method ([`rare_mean_ci95`]), a *compound Poisson* interval: the total
//! `S` of the values is a sum of `N` events (outages, failed requests) whose
//! number is about Poisson and whose sizes vary at least as much as an
//! exponential's. For `N` Poisson events of exponential size, the mean `μ`
//! satisfies `μ / (S/n) ≈ X / Y` with `X ~ Gamma(N + ½)` (the Jeffreys
//! interval of the Poisson count, centred where Garwood's exact one is
//! conservative) and `Y ~ Gamma(N)` (the mean size given the sizes seen),
//! so the limits are quantiles of a ratio of gammas (beta prime). The
//! one-sided bound uses `Gamma(N + 1)` (Garwood's upper limit), so that it
//! holds at least 95% of the time.
//! Where the trials vary more than that (longer-tailed outages, bursts of
//! failures, few trials), `N` is replaced by an effective count from the
//! trials' own variance: `Nₑ = min(N, 2 S² / (n s²) · (z/t)²)`, where `2 S² /
//! (n s²)` is the count that exponential sizes would need for the observed
//! spread and `(z/t)²` widens it for few trials. With many events this is
//! the normal interval `mean ± t s/√n`; with few it widens and stays
//! positive.
//!
//! - `N ≥` [`TWO_SIDED_MIN_EVENTS`]: two-sided 95% interval.
//! - `1 ≤ N <` [`TWO_SIDED_MIN_EVENTS`]: too few for a lower limit; a
//!   one-sided 95% upper bound, low = 0.
//! - `N = 0` with events of a known equal size (a failed request among all
//!   offered): the rule of three on the events, below 3.0 events' worth.
//! - `N = 0` otherwise: nothing says how large an event is, so the bound is
//!   the distribution-free one: each value is at most `cap`, and with no event in
//!   `n` trials the chance of one in a trial is below `1 − 0.05^{1/n} ≈ 3/n`
//!   (the rule of three), so `μ < cap · (1 − 0.05^{1/n})`.
//!
//! Measured coverage (tests/integration/interval_coverage.rs, 1000 seeded
//! repetitions of 200 trials; single component, 1-of-2 pair, 2-of-3 with one
//! crew, all exponential): 93.5–96.6% with ~100 trials seeing downtime,
//! 94.7–96.5% with ~10 (two-sided), and with ~3 the one-sided bound holds in
//! 97%. Outage lengths far more variable than exponential (lognormal repairs
//! with cv 2) gave 92–95% in the same regimes.
//! Deterministic: no resampling, no random numbers.

use serde::Serialize;

use super::ci::{Z_975, t_critical_95};
use super::special::{gamma_quantile, gamma_ratio_quantile};

/// Events needed for a two-sided interval; fewer give an upper bound only.
pub const TWO_SIDED_MIN_EVENTS: u64 = 5;

/// Events from which the trials' own spread alone sets the width.
pub const SPREAD_TRUSTED_EVENTS: u64 = 100;

/// How much the events' sizes vary, for the few-events case where the
/// trials' spread cannot tell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EventSizes {
    /// At least as much as exponential sizes (outage lengths).
    Vary,
    /// All alike (failed requests, each one request's share), each adding
    /// `per_event` to the mean of the values (1 / all requests offered):
    /// with no event, the bound is the rule of three on the events, below
    /// 3.0 · `per_event`.
    Equal {
        /// What one event adds to the mean.
        per_event: f64,
    },
}

/// How a [`RareInterval`] was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RareMethod {
    /// Two-sided compound Poisson interval.
    CompoundPoisson,
    /// Too few events: one-sided compound Poisson upper bound.
    CompoundPoissonUpper,
    /// No event at all: the distribution-free rule-of-three bound.
    NoEventBound,
}

impl RareMethod {
    /// A stable identifier for result files (`compound_poisson`, ...).
    pub fn id(self) -> &'static str {
        match self {
            RareMethod::CompoundPoisson => "compound_poisson",
            RareMethod::CompoundPoissonUpper => "compound_poisson_upper",
            RareMethod::NoEventBound => "no_event_bound",
        }
    }

    /// One line for a reader.
    pub fn describe(self) -> &'static str {
        match self {
            RareMethod::CompoundPoisson => {
                "95% compound Poisson interval (event count x event size, widened by the trials' spread)"
            }
            RareMethod::CompoundPoissonUpper => {
                "one-sided 95% upper bound (too few events for a two-sided interval)"
            }
            RareMethod::NoEventBound => {
                "one-sided 95% upper bound with no event seen (rule of three, distribution-free)"
            }
        }
    }
}

/// The mean of non-negative per-trial values with its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RareInterval {
    /// Mean of the values.
    pub mean: f64,
    /// Lower limit (0 when one-sided).
    pub low: f64,
    /// Upper limit, at most `cap`.
    pub high: f64,
    /// Whether only the upper limit is a 95% statement.
    pub one_sided: bool,
    /// How it was computed.
    pub method: RareMethod,
    /// Events behind the values (as given).
    pub events: u64,
    /// The effective event count `Nₑ` the limits rest on (0 with no event).
    pub effective_events: f64,
    /// Trials summarised.
    pub trials: u64,
}

impl RareInterval {
    /// Half the interval's width over the mean (infinite when one-sided or
    /// the mean is zero): the figure `--precision` targets.
    pub fn relative_half_width(&self) -> f64 {
        if self.one_sided || self.mean <= 0.0 {
            f64::INFINITY
        } else {
            (self.high - self.low) / 2.0 / self.mean
        }
    }

    /// About how many trials in all would give a two-sided interval of
    /// relative half-width `target` (e.g. 0.1 for ±10%), assuming the
    /// events keep coming at the rate seen so far; with no event seen, at
    /// the rate of the upper bound (so at least this many). `None` if the
    /// target is not positive.
    pub fn trials_for(&self, target: f64) -> Option<u64> {
        if target.is_nan() || target <= 0.0 || self.trials == 0 {
            return None;
        }
        // The half-width is about z·√(2/Nₑ) of the mean, so ±target needs
        // Nₑ = 2 (z/target)²; events per effective event stay as seen.
        let need_eff = 2.0 * (Z_975 / target).powi(2);
        let n = self.trials as f64;
        let per_trial = if self.events > 0 && self.effective_events > 0.0 {
            self.effective_events / n
        } else {
            // No event: fewer than -ln(0.05) ≈ 3 per n trials at 95%.
            -(0.05_f64.ln()) / n
        };
        Some((need_eff / per_trial).ceil().max(n) as u64)
    }

    /// The fewest trials that could give ±`target`, on the most hopeful
    /// reading of the events seen: their rate at its 97.5% upper limit and
    /// no spread beyond Poisson. When even this exceeds a trial budget, the
    /// target cannot be met within it. `None` if the target is not positive.
    pub fn fewest_trials_for(&self, target: f64) -> Option<u64> {
        if target.is_nan() || target <= 0.0 || self.trials == 0 {
            return None;
        }
        let need_eff = 2.0 * (Z_975 / target).powi(2);
        let rate_hi = gamma_quantile(self.events as f64 + 1.0, 0.975) / self.trials as f64;
        Some((need_eff / rate_hi).ceil() as u64)
    }
}

/// The mean of `values` (non-negative, one per trial, each at most `cap`)
/// with its 95% interval, for values made of rare `events` (outages,
/// failed requests; `None` counts each trial with a positive value as one).
/// `None` if `values` is empty. See the module docs for the method.
///
/// Reusable for any such share: downtime / horizon per trial (`cap` 1,
/// events = outages, [`EventSizes::Vary`]), failed / offered requests per
/// trial (`cap` 1, events = failed requests, [`EventSizes::Equal`]). Scale
/// the result for other units.
pub fn rare_mean_ci95(
    values: &[f64],
    events: Option<u64>,
    sizes: EventSizes,
    cap: f64,
) -> Option<RareInterval> {
    let trials = values.len() as u64;
    if trials == 0 {
        return None;
    }
    let n = trials as f64;
    let sum: f64 = values.iter().sum();
    let mean = sum / n;
    let events = events.unwrap_or_else(|| values.iter().filter(|&&x| x > 0.0).count() as u64);
    let base = RareInterval {
        mean,
        low: 0.0,
        high: cap,
        one_sided: true,
        method: RareMethod::NoEventBound,
        events,
        effective_events: 0.0,
        trials,
    };
    if events == 0 || sum <= 0.0 {
        // -expm1(ln(0.05)/n) = 1 − 0.05^{1/n}, accurate for large n.
        let per_trial = cap * -(0.05_f64.ln() / n).exp_m1();
        let high = match sizes {
            EventSizes::Equal { per_event } if per_event > 0.0 => {
                (-(0.05_f64.ln()) * per_event).min(per_trial)
            }
            _ => per_trial,
        }
        .max(mean);
        return Some(RareInterval { high, ..base });
    }
    let var = if trials > 1 {
        values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let small_sample = (Z_975 / t_critical_95(trials.saturating_sub(1))).powi(2);
    // The count whose Poisson variance (times 1 + c², c² = 1 for
    // exponential sizes, 0 for equal ones) matches the observed spread.
    let size_factor = match sizes {
        EventSizes::Vary => 2.0,
        EventSizes::Equal { .. } => 1.0,
    };
    let from_spread = if var > 0.0 {
        size_factor * sum * sum / (n * var) * small_sample
    } else {
        f64::INFINITY
    };
    // With few events the spread says little, so sizes are taken to vary at
    // least as much as exponential ones (Nₑ ≤ N). With many, the spread is
    // trusted either way: events of nearly equal size (failed requests)
    // then get the narrower interval they deserve.
    let ne = if events >= SPREAD_TRUSTED_EVENTS && from_spread.is_finite() {
        from_spread
    } else {
        (events as f64).min(from_spread)
    }
    .max(f64::MIN_POSITIVE);
    let clip = |x: f64| x.clamp(0.0, cap);
    // μ / mean ~ X / Y: X the count's gamma, Y the mean size's (Gamma(Nₑ)
    // for sizes that vary; exactly Nₑ for equal ones).
    let ratio = |count_shape: f64, p: f64| match sizes {
        EventSizes::Vary => gamma_ratio_quantile(count_shape, ne, p),
        EventSizes::Equal { .. } => gamma_quantile(count_shape, p) / ne,
    };
    if events < TWO_SIDED_MIN_EVENTS || trials < 2 {
        let high = clip(mean * ratio(ne + 1.0, 0.95));
        return Some(RareInterval {
            high,
            method: RareMethod::CompoundPoissonUpper,
            effective_events: ne,
            ..base
        });
    }
    Some(RareInterval {
        low: clip(mean * ratio(ne + 0.5, 0.025)),
        high: clip(mean * ratio(ne + 0.5, 0.975)),
        one_sided: false,
        method: RareMethod::CompoundPoisson,
        effective_events: ne,
        ..base
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_event_gives_the_rule_of_three() {
        let r = rare_mean_ci95(&[0.0; 1000], Some(0), EventSizes::Vary, 1.0).unwrap();
        assert_eq!(r.method, RareMethod::NoEventBound);
        assert!(r.one_sided && r.low == 0.0);
        assert!((r.high - 2.9912e-3).abs() < 1e-6, "{}", r.high);
    }

    #[test]
    fn few_events_give_an_upper_bound_only() {
        let mut v = vec![0.0; 100];
        v[3] = 1e-3;
        v[50] = 2e-3;
        let r = rare_mean_ci95(&v, Some(2), EventSizes::Vary, 1.0).unwrap();
        assert_eq!(r.method, RareMethod::CompoundPoissonUpper);
        assert!(r.one_sided && r.low == 0.0 && r.high > 3.0 * r.mean);
        assert!(r.relative_half_width().is_infinite());
    }

    #[test]
    fn many_events_approach_the_normal_interval() {
        // 400 trials alternating 1 and 3: mean 2, sd ≈ 1.0013, so the t
        // interval is 2 ± 1.966·0.05006; the ratio of gammas is a little
        // skewed (about 2·e^{±0.049}), within 5% of that half-width.
        let v: Vec<f64> = (0..400)
            .map(|i| if i % 2 == 0 { 1.0 } else { 3.0 })
            .collect();
        let r = rare_mean_ci95(&v, Some(1_000_000), EventSizes::Vary, 10.0).unwrap();
        assert_eq!(r.method, RareMethod::CompoundPoisson);
        let half = t_critical_95(399) * 1.001_252 / 20.0;
        assert!((r.low - (2.0 - half)).abs() < 0.05 * half, "{r:?}");
        assert!((r.high - (2.0 + half)).abs() < 0.05 * half, "{r:?}");
    }

    #[test]
    fn the_interval_stays_inside_zero_and_cap() {
        let v = [0.0, 0.0, 0.9, 0.0, 0.0, 0.0, 0.95, 0.0, 0.99, 0.8, 0.85];
        let r = rare_mean_ci95(&v, Some(5), EventSizes::Vary, 1.0).unwrap();
        assert!(r.low >= 0.0 && r.high <= 1.0 && r.low <= r.mean && r.mean <= r.high);
    }

    #[test]
    fn trials_for_scales_with_the_events_seen() {
        let mut v = vec![0.0; 1000];
        for i in 0..20 {
            v[i * 50] = 1e-4;
        }
        let r = rare_mean_ci95(&v, Some(20), EventSizes::Vary, 1.0).unwrap();
        // ±10% needs Nₑ ≈ 768 events at 20 per 1000 trials.
        let t = r.trials_for(0.1).unwrap();
        assert!((38_000..=39_000).contains(&t), "{t}");
    }
}
