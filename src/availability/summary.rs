//! The figures of an availability run, computed from the trials in trial
//! order (so they are the same bytes at any thread count).

use serde::Serialize;

use super::{AvailabilityRequest, TrialOutcome};
use crate::engine::SimTime;
use crate::model::Model;
use crate::stats::ci::{mean_ci95, quantile_sorted};

/// Minutes in a year of 8760 h.
pub const MINUTES_PER_YEAR: f64 = 8760.0 * 60.0;

/// The rule for splitting overlapping outages, printed in every report.
pub const ATTRIBUTION_RULE: &str = "downtime is split equally among the causes active at each moment: \
every required component with failed instances of its own, and every failed group holding a down \
instance of a component that is not working; shares add up to the total downtime";

/// A mean with its 95% interval.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Estimate {
    /// Sample mean.
    pub mean: f64,
    /// 95% confidence interval `[low, high]`.
    pub ci95: [f64; 2],
}

impl Estimate {
    fn of(samples: &[f64]) -> Estimate {
        // One trial has no interval: it collapses to the value itself.
        let single = samples.first().copied().unwrap_or(f64::NAN);
        let (mean, lo, hi) = mean_ci95(samples).unwrap_or((single, single, single));
        Estimate {
            mean,
            ci95: [lo, hi],
        }
    }
}

/// Availability with its interval and nines.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AvailabilityFigure {
    /// Mean availability across trials, in [0, 1].
    pub mean: f64,
    /// 95% interval.
    pub ci95: [f64; 2],
    /// -log10(1 - mean).
    pub nines: f64,
}

/// Downtime across trials [min/year].
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DowntimeFigure {
    /// Mean [min/year].
    pub mean: f64,
    /// 95% interval of the mean.
    pub ci95: [f64; 2],
    /// Median trial.
    pub p50: f64,
    /// 90th percentile trial.
    pub p90: f64,
    /// 99th percentile trial.
    pub p99: f64,
}

/// Downtime blamed on one cause.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Attribution {
    /// Component or group id.
    pub id: String,
    /// `component` or `group`.
    pub kind: &'static str,
    /// Mean downtime blamed on it [min/year].
    pub downtime_minutes_per_year: f64,
    /// Its share of all downtime, in [0, 1].
    pub share: f64,
}

/// A point of the A(t) curve.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PointAvailability {
    /// Time since start \[h\].
    pub t_hours: f64,
    /// Point availability: the share of trials in which the service was up
    /// at that instant.
    pub availability: f64,
    /// Interval availability of the cell starting here (up to the next
    /// point), averaged over trials: smoother than the point value when
    /// outages are rare.
    pub cell_availability: f64,
}

/// Everything `summary.json` holds for an availability run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AvailabilitySummary {
    /// The model's name.
    pub model: String,
    /// Master seed.
    pub seed: u64,
    /// Trials run.
    pub trials: u64,
    /// Horizon per trial \[h\].
    pub horizon_hours: f64,
    /// The year length used to annualise \[h\].
    pub year_hours: f64,
    /// Service availability.
    pub availability: AvailabilityFigure,
    /// The share of requests that succeed, when run at request level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_availability: Option<super::request_summary::RequestAvailability>,
    /// Service unavailability (1 - availability).
    pub unavailability: Estimate,
    /// Downtime [min/year].
    pub downtime_minutes_per_year: DowntimeFigure,
    /// Outages [1/year].
    pub outages_per_year: Estimate,
    /// Mean service uptime between outages \[h\] (total uptime / outages).
    pub service_mtbf_hours: Option<f64>,
    /// Mean outage length \[min\] (total downtime / outages).
    pub service_mttr_minutes: Option<f64>,
    /// Outages observed across all trials.
    pub outages_observed: u64,
    /// Trials with any downtime.
    pub trials_with_downtime: u64,
    /// How overlapping outages are split.
    pub attribution_rule: &'static str,
    /// Downtime by cause, largest first.
    pub attribution: Vec<Attribution>,
    /// A(t) over the horizon.
    pub point_availability: Vec<PointAvailability>,
    /// With `--precision`: the target and whether it was met.
    pub precision: Option<PrecisionReport>,
    /// Things the reader should know before trusting the figures.
    pub warnings: Vec<String>,
}

/// How the `--precision` stopping rule ended.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PrecisionReport {
    /// Target relative half-width of the unavailability interval.
    pub target: f64,
    /// Achieved relative half-width.
    pub achieved: f64,
    /// Whether the target was met within the trial limit.
    pub met: bool,
}

impl AvailabilitySummary {
    /// Summarises `outcomes` (in trial order).
    pub fn from_outcomes(
        model: &Model,
        req: &AvailabilityRequest,
        causes: &[(String, bool)],
        outcomes: &[TrialOutcome],
    ) -> AvailabilitySummary {
        let horizon = req.horizon.as_secs_f64();
        let years = horizon / (SimTime::YEAR.as_secs_f64());
        let avail: Vec<f64> = outcomes
            .iter()
            .map(|o| 1.0 - o.downtime_secs / horizon)
            .collect();
        let unavail: Vec<f64> = outcomes.iter().map(|o| o.downtime_secs / horizon).collect();
        let mut down_min: Vec<f64> = outcomes
            .iter()
            .map(|o| o.downtime_secs / 60.0 / years)
            .collect();
        let outages: Vec<f64> = outcomes.iter().map(|o| o.outages as f64 / years).collect();
        let a = Estimate::of(&avail);
        let d = Estimate::of(&down_min);
        down_min.sort_by(f64::total_cmp);
        let total_down: f64 = outcomes.iter().map(|o| o.downtime_secs).sum();
        let total_up = horizon * outcomes.len() as f64 - total_down;
        let outages_observed: u64 = outcomes.iter().map(|o| o.outages as u64).sum();
        let trials_with_downtime = outcomes.iter().filter(|o| o.downtime_secs > 0.0).count() as u64;

        let n = outcomes.len().max(1) as f64;
        let mut attribution: Vec<Attribution> = causes
            .iter()
            .enumerate()
            .map(|(i, (id, is_group))| {
                let secs: f64 = outcomes.iter().map(|o| o.blame_secs[i]).sum();
                Attribution {
                    id: id.clone(),
                    kind: if *is_group { "group" } else { "component" },
                    downtime_minutes_per_year: secs / n / 60.0 / years,
                    share: if total_down > 0.0 {
                        secs / total_down
                    } else {
                        0.0
                    },
                }
            })
            .filter(|a| a.downtime_minutes_per_year > 0.0)
            .collect();
        attribution.sort_by(|x, y| {
            y.downtime_minutes_per_year
                .total_cmp(&x.downtime_minutes_per_year)
        });

        let grid = req.grid_points.max(1);
        let point_availability = (0..grid)
            .map(|g| PointAvailability {
                t_hours: horizon / 3600.0 * g as f64 / grid as f64,
                availability: outcomes
                    .iter()
                    .filter(|o| o.up_at_grid.get(g).copied().unwrap_or(true))
                    .count() as f64
                    / n,
                cell_availability: 1.0
                    - outcomes
                        .iter()
                        .map(|o| o.down_in_cell.get(g).copied().unwrap_or(0.0))
                        .sum::<f64>()
                        / n
                        / (horizon / grid as f64),
            })
            .collect();

        let mut warnings = Vec::new();
        if trials_with_downtime < 30 {
            warnings.push(format!(
                "only {trials_with_downtime} of {} trials saw any downtime: the interval rests on few outages; \
                 run more trials or a longer horizon before quoting it",
                outcomes.len()
            ));
        }
        let unavailability = Estimate::of(&unavail);
        let mut summary = AvailabilitySummary {
            model: model.name.clone(),
            seed: req.seed,
            trials: outcomes.len() as u64,
            horizon_hours: horizon / 3600.0,
            year_hours: 8760.0,
            availability: AvailabilityFigure {
                mean: a.mean,
                ci95: a.ci95,
                nines: nines(a.mean),
            },
            request_availability: None,
            unavailability,
            downtime_minutes_per_year: DowntimeFigure {
                mean: d.mean,
                ci95: d.ci95,
                p50: quantile_sorted(&down_min, 0.5).unwrap_or(f64::NAN),
                p90: quantile_sorted(&down_min, 0.9).unwrap_or(f64::NAN),
                p99: quantile_sorted(&down_min, 0.99).unwrap_or(f64::NAN),
            },
            outages_per_year: Estimate::of(&outages),
            service_mtbf_hours: (outages_observed > 0)
                .then(|| total_up / outages_observed as f64 / 3600.0),
            service_mttr_minutes: (outages_observed > 0)
                .then(|| total_down / outages_observed as f64 / 60.0),
            outages_observed,
            trials_with_downtime,
            attribution_rule: ATTRIBUTION_RULE,
            attribution,
            point_availability,
            precision: None,
            warnings,
        };
        if let Some(target) = req.precision {
            let achieved = summary.relative_half_width();
            summary.precision = Some(PrecisionReport {
                target,
                achieved,
                met: achieved <= target,
            });
            if achieved > target {
                summary.warnings.push(format!(
                    "the precision target {:.1}% was not met within {} trials (achieved {:.1}%)",
                    target * 100.0,
                    req.max_trials,
                    achieved * 100.0
                ));
            }
        }
        summary
    }

    /// Half-width of the unavailability interval over its mean (infinite when
    /// no downtime was seen).
    pub fn relative_half_width(&self) -> f64 {
        let u = &self.unavailability;
        if u.mean > 0.0 {
            (u.ci95[1] - u.ci95[0]) / 2.0 / u.mean
        } else {
            f64::INFINITY
        }
    }
}

/// Nines of an availability: -log10(1 - a), infinite at 1.
pub fn nines(a: f64) -> f64 {
    if a >= 1.0 {
        f64::INFINITY
    } else {
        -(1.0 - a).log10()
    }
}
