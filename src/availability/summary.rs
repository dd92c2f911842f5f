//! The figures of an availability run, computed from the trials in trial
//! order (so they are the same bytes at any thread count).

use serde::Serialize;

use super::{AvailabilityRequest, TrialOutcome};

/// The two figures of a trial kept per trial (16 bytes): the downtime
/// quantiles, the interval and the downtime histogram need every trial's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrialFigures {
    /// Service downtime over the horizon \[s\].
    pub downtime_secs: f64,
    /// Number of times the service went down.
    pub outages: u32,
    /// When the service first went down \[s\], if it did.
    pub first_outage_secs: Option<f64>,
}

/// Trials folded in trial order: what the summary needs, in memory that
/// grows by one [`TrialFigures`] per trial (the rest of a
/// [`TrialOutcome`], its grid and causes, is summed at once).
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Each trial's figures, in trial order.
    pub figures: Vec<TrialFigures>,
    /// Downtime blamed on each cause, summed \[s\].
    blame: Vec<f64>,
    /// Trials up at each grid point.
    up: Vec<u64>,
    /// Downtime in each grid cell, summed \[s\].
    cell_down: Vec<f64>,
    /// Restores after lost data, summed over trials.
    restores: u64,
    /// Data lost in them, summed \[s of writes\].
    data_lost_secs: f64,
    /// Their recovery times, summed \[s\].
    restore_secs: f64,
}

impl Tally {
    /// An empty tally for `causes` causes and `grid` grid points.
    pub fn new(causes: usize, grid: usize) -> Tally {
        // Sums start at -0.0 as `Iterator::sum` does, so they are the same bits.
        Tally {
            figures: Vec::new(),
            blame: vec![-0.0; causes],
            up: vec![0; grid],
            cell_down: vec![-0.0; grid],
            restores: 0,
            data_lost_secs: -0.0,
            restore_secs: -0.0,
        }
    }

    /// Adds the next trial (trials must come in trial order).
    pub fn add(&mut self, o: &TrialOutcome) {
        self.figures.push(TrialFigures {
            downtime_secs: o.downtime_secs,
            outages: o.outages,
            first_outage_secs: o.first_outage_secs,
        });
        for (i, b) in self.blame.iter_mut().enumerate() {
            *b += o.blame_secs.get(i).copied().unwrap_or(0.0);
        }
        for (g, u) in self.up.iter_mut().enumerate() {
            *u += u64::from(o.up_at_grid.get(g).copied().unwrap_or(true));
        }
        for (g, c) in self.cell_down.iter_mut().enumerate() {
            *c += o.down_in_cell.get(g).copied().unwrap_or(0.0);
        }
        self.restores += u64::from(o.restores);
        self.data_lost_secs += o.data_lost_secs;
        self.restore_secs += o.restore_secs;
    }
}
use crate::engine::SimTime;
use crate::model::Model;
use crate::stats::ci::quantile_sorted;
use crate::stats::rare::{EventSizes, RareInterval, rare_mean_ci95};
use crate::stats::special::gamma_quantile;

/// Below this many outages a warning says how many trials would give a
/// ±[`DEFAULT_TARGET`] interval (or the `--precision` target).
pub const FEW_OUTAGES: u64 = 30;

/// The relative half-width quoted in the few-outages warning without
/// `--precision`.
pub const DEFAULT_TARGET: f64 = 0.1;

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
    /// `component`, `group` or `change` (bad changes deployed to it).
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
    /// Restores after lost data (databases with `backup.data_loss_every`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restores: Option<RestoreFigures>,
    /// Time to the service's first outage.
    pub time_to_first_outage: super::first_outage::FirstOutage,
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
    /// How the availability, unavailability and downtime intervals were
    /// computed: `compound_poisson` (two-sided), `compound_poisson_upper`
    /// or `no_event_bound` (one-sided); see `stats::rare`.
    pub ci_method: &'static str,
    /// The method in words.
    pub ci_note: &'static str,
    /// Whether only the upper end of unavailability and downtime (the lower
    /// end of availability) is a 95% statement; the other end is then 0
    /// (or 100%).
    pub ci_one_sided: bool,
    /// The effective number of outages the interval rests on (fewer than
    /// observed when trials vary more than Poisson outages of exponential
    /// length would).
    pub effective_outages: f64,
    /// Things the reader should know before trusting the figures.
    pub warnings: Vec<String>,
    /// The unavailability interval as computed.
    #[serde(skip)]
    pub interval: RareInterval,
}

/// The restores of databases whose data was lost, over all trials.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RestoreFigures {
    /// Restores observed across all trials.
    pub observed: u64,
    /// Restores [1/year].
    pub per_year: f64,
    /// Data lost (RPO), the span of acknowledged writes summed [s/year].
    pub data_lost_secs_per_year: f64,
    /// Mean data lost per restore (RPO) \[s\].
    pub mean_rpo_secs: Option<f64>,
    /// Mean recovery time per restore (RTO: loss to service) \[min\].
    pub mean_rto_minutes: Option<f64>,
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
    /// About how many trials the target needs, from the outages seen so far
    /// (`None` when met).
    pub trials_needed: Option<u64>,
}

impl AvailabilitySummary {
    /// Summarises `outcomes` (in trial order).
    pub fn from_outcomes(
        model: &Model,
        req: &AvailabilityRequest,
        causes: &[(String, &'static str)],
        outcomes: &[TrialOutcome],
    ) -> AvailabilitySummary {
        let mut tally = Tally::new(causes.len(), req.grid_points.max(1));
        for o in outcomes {
            tally.add(o);
        }
        Self::from_tally(model, req, causes, &tally)
    }

    /// Summarises the trials folded into `tally`.
    pub fn from_tally(
        model: &Model,
        req: &AvailabilityRequest,
        causes: &[(String, &'static str)],
        tally: &Tally,
    ) -> AvailabilitySummary {
        let outcomes = &tally.figures;
        let horizon = req.horizon.as_secs_f64();
        let years = horizon / (SimTime::YEAR.as_secs_f64());
        let mut down_min: Vec<f64> = outcomes
            .iter()
            .map(|o| o.downtime_secs / 60.0 / years)
            .collect();
        let outage_counts: Vec<f64> = outcomes.iter().map(|o| o.outages as f64).collect();
        down_min.sort_by(f64::total_cmp);
        let total_down: f64 = outcomes.iter().map(|o| o.downtime_secs).sum();
        let total_up = horizon * outcomes.len() as f64 - total_down;
        let outages_observed: u64 = outcomes.iter().map(|o| o.outages as u64).sum();
        let trials_with_downtime = outcomes.iter().filter(|o| o.downtime_secs > 0.0).count() as u64;
        let unavail: Vec<f64> = outcomes.iter().map(|o| o.downtime_secs / horizon).collect();
        let interval = downtime_interval(&unavail, outages_observed);
        let to_minutes = horizon / 60.0 / years;

        let n = outcomes.len().max(1) as f64;
        let mut attribution: Vec<Attribution> = causes
            .iter()
            .enumerate()
            .map(|(i, &(ref id, kind))| {
                let secs = tally.blame[i];
                Attribution {
                    id: id.clone(),
                    kind,
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
                availability: tally.up[g] as f64 / n,
                cell_availability: 1.0 - tally.cell_down[g] / n / (horizon / grid as f64),
            })
            .collect();

        // Rounded for the messages: 0.274, 100, 2500.5.
        let trial_years = (years * outcomes.len() as f64 * 1000.0).round() / 1000.0;
        let target = req.precision.unwrap_or(DEFAULT_TARGET);
        let warnings = interval_warnings(&interval, trial_years, target);
        let mut summary = AvailabilitySummary {
            model: model.name.clone(),
            seed: req.seed,
            trials: outcomes.len() as u64,
            horizon_hours: horizon / 3600.0,
            year_hours: 8760.0,
            availability: AvailabilityFigure {
                mean: 1.0 - interval.mean,
                ci95: [1.0 - interval.high, 1.0 - interval.low],
                nines: nines(1.0 - interval.mean),
            },
            unavailability: Estimate {
                mean: interval.mean,
                ci95: [interval.low, interval.high],
            },
            request_availability: None,
            downtime_minutes_per_year: DowntimeFigure {
                mean: interval.mean * to_minutes,
                ci95: [interval.low * to_minutes, interval.high * to_minutes],
                p50: quantile_sorted(&down_min, 0.5).unwrap_or(f64::NAN),
                p90: quantile_sorted(&down_min, 0.9).unwrap_or(f64::NAN),
                p99: quantile_sorted(&down_min, 0.99).unwrap_or(f64::NAN),
            },
            outages_per_year: rate_interval(&outage_counts, years),
            service_mtbf_hours: (outages_observed > 0)
                .then(|| total_up / outages_observed as f64 / 3600.0),
            service_mttr_minutes: (outages_observed > 0)
                .then(|| total_down / outages_observed as f64 / 60.0),
            outages_observed,
            restores: restore_figures(model, tally, years * outcomes.len() as f64),
            time_to_first_outage: super::first_outage::FirstOutage::from_times(
                &outcomes
                    .iter()
                    .map(|o| o.first_outage_secs)
                    .collect::<Vec<_>>(),
                horizon,
            ),
            trials_with_downtime,
            attribution_rule: ATTRIBUTION_RULE,
            attribution,
            point_availability,
            precision: None,
            ci_method: interval.method.id(),
            ci_note: interval.method.describe(),
            ci_one_sided: interval.one_sided,
            effective_outages: interval.effective_events,
            warnings,
            interval,
        };
        if let Some(target) = req.precision {
            let achieved = summary.relative_half_width();
            summary.precision = Some(PrecisionReport {
                target,
                achieved,
                met: achieved <= target,
                trials_needed: (achieved > target)
                    .then(|| summary.interval.trials_for(target))
                    .flatten(),
            });
            if achieved > target {
                summary.warnings.push(precision_shortfall(
                    &summary.interval,
                    target,
                    req.max_trials,
                ));
            }
        }
        summary
    }

    /// Half-width of the unavailability interval over its mean (infinite when
    /// no downtime was seen or the interval is one-sided).
    pub fn relative_half_width(&self) -> f64 {
        self.interval.relative_half_width()
    }
}

/// The restore figures when a database of `model` loses its data at random.
fn restore_figures(model: &Model, tally: &Tally, trial_years: f64) -> Option<RestoreFigures> {
    let modelled = (model.components.iter()).any(|c| {
        (c.serving.db.as_ref())
            .is_some_and(|d| d.backup.is_some_and(|b| b.data_loss_every.is_some()))
    });
    let n = tally.restores;
    modelled.then(|| RestoreFigures {
        observed: n,
        per_year: n as f64 / trial_years.max(f64::MIN_POSITIVE),
        data_lost_secs_per_year: tally.data_lost_secs / trial_years.max(f64::MIN_POSITIVE),
        mean_rpo_secs: (n > 0).then(|| tally.data_lost_secs / n as f64),
        mean_rto_minutes: (n > 0).then(|| tally.restore_secs / n as f64 / 60.0),
    })
}

/// The 95% interval of mean unavailability from per-trial downtime shares
/// (downtime / horizon, in [0, 1]) and the outages observed in all trials:
/// the compound Poisson interval of `stats::rare` (one-sided with fewer
/// than 5 outages). Scale it by a constant for downtime in other units.
pub fn downtime_interval(downtime_shares: &[f64], outages: u64) -> RareInterval {
    rare_mean_ci95(downtime_shares, Some(outages), EventSizes::Vary, 1.0).unwrap_or(RareInterval {
        mean: f64::NAN,
        low: f64::NAN,
        high: f64::NAN,
        one_sided: true,
        method: crate::stats::RareMethod::NoEventBound,
        events: 0,
        effective_events: 0.0,
        trials: 0,
    })
}

/// Outages per year with a 95% interval from per-trial counts over `years`
/// per trial: Garwood's exact Poisson limits on the total, widened by the
/// dispersion `φ = max(1, s²/mean)` of the counts (a quasi-Poisson scale),
/// so the interval never goes below zero.
fn rate_interval(counts: &[f64], years: f64) -> Estimate {
    let n = counts.len() as f64;
    let total: f64 = counts.iter().sum();
    let exposure = n * years;
    if counts.is_empty() || exposure <= 0.0 {
        return Estimate {
            mean: f64::NAN,
            ci95: [f64::NAN, f64::NAN],
        };
    }
    let mean = total / n;
    let phi = if counts.len() > 1 && mean > 0.0 {
        let var = counts.iter().map(|c| (c - mean) * (c - mean)).sum::<f64>() / (n - 1.0);
        (var / mean).max(1.0)
    } else {
        1.0
    };
    let k = total / phi;
    let low = if k > 0.0 {
        gamma_quantile(k, 0.025)
    } else {
        0.0
    };
    let high = gamma_quantile(k + 1.0, 0.975);
    Estimate {
        mean: total / exposure,
        ci95: [low * phi / exposure, high * phi / exposure],
    }
}

/// The warnings an interval calls for: one-sided, or resting on fewer than
/// [`FEW_OUTAGES`] outages (with the trials a ±`target` interval needs).
fn interval_warnings(iv: &RareInterval, trial_years: f64, target: f64) -> Vec<String> {
    let mut w = Vec::new();
    let n = iv.events;
    let need = |iv: &RareInterval| {
        iv.trials_for(target).map_or_else(String::new, |t| {
            format!(
                "; about {t} trials in all ({} more) would give ±{:.0}%",
                t.saturating_sub(iv.trials),
                target * 100.0
            )
        })
    };
    if n == 0 {
        w.push(format!(
            "no outage in {} trial-years: the outage rate is below {:.3} per year (95%), but \
             nothing says how long an outage lasts, so unavailability is only bounded by the rule \
             of three (below {:.3e}){}",
            trial_years,
            -(0.05_f64.ln()) / trial_years,
            iv.high,
            need(iv).replacen("about", "at least", 1)
        ));
    } else if iv.one_sided {
        w.push(format!(
            "only {n} outage{} observed in {} trial-years: too few for a two-sided interval; \
             unavailability is below {:.3e} (one-sided 95%) and the lower ends are 0{}",
            if n == 1 { "" } else { "s" },
            trial_years,
            iv.high,
            need(iv)
        ));
    } else if n < FEW_OUTAGES {
        w.push(format!(
            "only {n} outages observed in {} trial-years: the interval rests on few outages \
             (-{:.0}% .. +{:.0}% of the mean){}",
            trial_years,
            (1.0 - iv.low / iv.mean) * 100.0,
            (iv.high / iv.mean - 1.0) * 100.0,
            need(iv)
        ));
    }
    w
}

/// The warning for a `--precision` target not met within `max_trials`.
fn precision_shortfall(iv: &RareInterval, target: f64, max_trials: u64) -> String {
    let reached = if iv.one_sided {
        format!(
            "only a one-sided bound (unavailability below {:.3e}, {} outage{})",
            iv.high,
            iv.events,
            if iv.events == 1 { "" } else { "s" }
        )
    } else {
        format!("±{:.1}%", iv.relative_half_width() * 100.0)
    };
    let why = match iv.fewest_trials_for(target) {
        Some(fewest) if fewest > max_trials && iv.trials < max_trials => format!(
            "; stopped early: even at the highest outage rate the {} outages seen allow, \
             it needs at least {fewest} trials, more than --max-trials {max_trials}",
            iv.events
        ),
        _ => iv.trials_for(target).map_or_else(String::new, |t| {
            format!("; about {t} trials would be needed (--max-trials {max_trials})")
        }),
    };
    format!(
        "the precision target ±{:.1}% was not met: the best interval after {} trials is {reached}{why}",
        target * 100.0,
        iv.trials
    )
}

/// Nines of an availability: -log10(1 - a), infinite at 1.
pub fn nines(a: f64) -> f64 {
    if a >= 1.0 {
        f64::INFINITY
    } else {
        -(1.0 - a).log10()
    }
}
