//! Time to first outage across trials: when the service first went down
//! after starting with everything new and up, its mean and median, and the
//! probability of no outage within the horizon.
//!
//! A trial without an outage is censored at the horizon. The mean is the
//! sample mean (Student-t interval) when every trial saw an outage; with some
//! censored, it is the total time at risk over the outages seen (Σ min(T,
//! horizon) / outages, the exponential maximum-likelihood estimate, close for
//! rare outages whose first-passage time is near exponential), and says so.
//! The median is the empirical one when at least half the trials saw an
//! outage. P(no outage) is the share of censored trials, with Wilson's 95%
//! interval.

use serde::Serialize;

use super::trial::TrialOutcome;
use crate::stats::ci::{mean_ci95, proportion_ci95, quantile_sorted};

/// How the mean time to first outage was estimated.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MeanMethod {
    /// Every trial saw an outage: the sample mean.
    SampleMean,
    /// Some trials saw none: time at risk over outages (constant hazard assumed).
    TimeAtRisk,
    /// No trial saw an outage: no estimate.
    None,
}

/// Time to first outage across trials.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FirstOutage {
    /// Trials that saw an outage within the horizon.
    pub trials_with_outage: u64,
    /// Mean time to first outage [h], when estimable.
    pub mean_hours: Option<f64>,
    /// 95% interval of the mean [h] (sample mean only).
    pub mean_ci95: Option<[f64; 2]>,
    /// How the mean was estimated.
    pub mean_method: MeanMethod,
    /// Median [h], when at least half the trials saw an outage.
    pub median_hours: Option<f64>,
    /// Share of trials with no outage within the horizon, in [0, 1].
    pub p_no_outage: f64,
    /// Its 95% Wilson interval.
    pub p_no_outage_ci95: [f64; 2],
}

impl FirstOutage {
    /// Summarises the trials' first outages over a horizon of `horizon_secs`.
    pub fn from_outcomes(outcomes: &[TrialOutcome], horizon_secs: f64) -> FirstOutage {
        let n = outcomes.len() as u64;
        let mut seen: Vec<f64> = outcomes
            .iter()
            .filter_map(|o| o.first_outage_secs.map(|t| t / 3600.0))
            .collect();
        seen.sort_by(f64::total_cmp);
        let k = seen.len() as u64;
        let (mean_hours, mean_ci95, mean_method) = if k == 0 {
            (None, None, MeanMethod::None)
        } else if k == n {
            let ci = mean_ci95(&seen);
            (
                Some(seen.iter().sum::<f64>() / k as f64),
                ci.map(|(_, lo, hi)| [lo, hi]),
                MeanMethod::SampleMean,
            )
        } else {
            let at_risk = seen.iter().sum::<f64>() + (n - k) as f64 * horizon_secs / 3600.0;
            (Some(at_risk / k as f64), None, MeanMethod::TimeAtRisk)
        };
        // The median of all n trials, censored ones counted as beyond the horizon.
        let median_hours = (k > 0).then(|| {
            let mut all = seen.clone();
            all.resize(n as usize, f64::INFINITY);
            quantile_sorted(&all, 0.5).unwrap_or(f64::NAN)
        });
        let (p, lo, hi) = proportion_ci95(n - k, n).unwrap_or((f64::NAN, 0.0, 1.0));
        FirstOutage {
            trials_with_outage: k,
            mean_hours,
            mean_ci95,
            mean_method,
            median_hours: median_hours.filter(|m| m.is_finite()),
            p_no_outage: p,
            p_no_outage_ci95: [lo, hi],
        }
    }

    /// One line for the terminal, e.g. `mean 65.2 h (95% CI 62 .. 68),
    /// median 45 h; no outage within the horizon in 0.0% of trials (...)`.
    pub fn describe(&self) -> String {
        let mean = match (self.mean_hours, self.mean_ci95, self.mean_method) {
            (Some(m), Some([lo, hi]), _) => format!(
                "mean {} h (95% CI {} .. {})",
                hours(m),
                hours(lo),
                hours(hi)
            ),
            (Some(m), None, MeanMethod::TimeAtRisk) => format!(
                "mean about {} h (time at risk / outages; some trials saw none)",
                hours(m)
            ),
            (Some(m), None, _) => format!("mean {} h", hours(m)),
            (None, _, _) => "no outage seen".to_string(),
        };
        let median = self
            .median_hours
            .map_or("median beyond the horizon".to_string(), |m| {
                format!("median {} h", hours(m))
            });
        format!(
            "{mean}, {median}; P(no outage within the horizon) {:.2}% (95% CI {:.2}% .. {:.2}%)",
            100.0 * self.p_no_outage,
            100.0 * self.p_no_outage_ci95[0],
            100.0 * self.p_no_outage_ci95[1]
        )
    }
}

/// Hours to three significant figures (at least whole hours).
fn hours(h: f64) -> String {
    if h >= 100.0 {
        format!("{h:.0}")
    } else if h >= 10.0 {
        format!("{h:.1}")
    } else {
        format!("{h:.2}")
    }
}
