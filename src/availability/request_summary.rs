//! The figures of request availability across trial-years (in trial
//! order, so the same bytes at any thread count): the share of requests
//! that succeed with its interval and nines, latency over the year, the
//! failed requests by cause and by what set them off, and degraded time.

use serde::Serialize;

use super::requests::{Baseline, RequestTrial, WindowSettings};
use super::summary::{Estimate, nines};
use crate::cause::Cause;
use crate::engine::SimTime;
use crate::stats::rare::{EventSizes, rare_mean_ci95};
use crate::stats::{LatencyHistogram, Quantiles};

/// How request availability is estimated, printed in every report.
pub const METHOD: &str = "each disturbance of the state trial (outages closer than the margins) \
is replayed at request level in a window from `before` ahead of its first failure to `after` past \
its last repair, extended until the success ratio is back; a state held longer than `settle` plus \
the client's timeout is charged at the rates it settled to; the quiet time between windows at a \
baseline drill's rates";

/// Failed requests of one cause.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CauseCount {
    /// The cause's name (`refused`, `timeout`, ...).
    pub cause: &'static str,
    /// Mean failed requests per year.
    pub per_year: f64,
}

/// Failed requests of the windows a component or group set off.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OriginCount {
    /// Component or group id.
    pub id: String,
    /// `component`, `group` or `change` (bad changes deployed to it).
    pub kind: &'static str,
    /// Mean failed requests per year.
    pub per_year: f64,
    /// Share of all failed requests, in [0, 1].
    pub share: f64,
}

/// Latency of the year's successful requests \[ms\].
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct YearLatency {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// The percentiles asked for (`--percentiles`), interpolated within
    /// their buckets; none by default.
    #[serde(skip_serializing_if = "Quantiles::is_empty")]
    pub percentiles: Quantiles,
}

/// The baseline drill (no failures) whose rates charge the quiet time.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BaselineFigure {
    /// Its success ratio.
    pub success_ratio: f64,
    /// Half-width of its 95% interval, carried into the result's interval.
    pub half_width: f64,
    /// Requests it simulated.
    pub requests: u64,
}

/// The window method's margins \[s\].
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SettingsFigure {
    /// Unmeasured warm-up of each window.
    pub warmup_s: f64,
    /// Measured margin before a disturbance.
    pub before_s: f64,
    /// Margin after its last repair (doubled until recovered).
    pub after_s: f64,
    /// Longest `after`.
    pub max_after_s: f64,
    /// Longest constant state simulated.
    pub settle_s: f64,
    /// The baseline drill's length.
    pub baseline_s: f64,
}

/// Request availability over the horizon (`summary.json`'s `request_availability`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RequestAvailability {
    /// Mean share of requests that succeed, in [0, 1].
    pub mean: f64,
    /// 95% interval (across trial-years, widened by the baseline's).
    pub ci95: [f64; 2],
    /// -log10(1 - mean).
    pub nines: f64,
    /// Trial-years run at request level (the first ones of the run).
    pub trials: u64,
    /// State availability of the same trial-years, for comparison.
    pub state_availability: f64,
    /// Requests offered per year.
    pub requests_per_year: f64,
    /// Failed requests per year.
    pub failed_per_year: Estimate,
    /// Latency of the successes over the year.
    pub latency_ms: YearLatency,
    /// The year's successes' latencies \[ns\], for `--percentiles`.
    #[serde(skip)]
    pub latency_histogram: LatencyHistogram,
    /// Failed requests per year by cause, largest first.
    pub failed_by_cause: Vec<CauseCount>,
    /// Failed requests per year by the component or group whose failure
    /// opened the window, largest first; `baseline` is the quiet time's.
    pub failed_by_origin: Vec<OriginCount>,
    /// Time the service was up with some instance out [min/year].
    pub degraded_minutes_per_year: Estimate,
    /// Disturbances replayed per year.
    pub windows_per_year: f64,
    /// Time simulated at request level per trial-year \[h\].
    pub simulated_hours_per_year: f64,
    /// The baseline drill.
    pub baseline: BaselineFigure,
    /// How it is estimated.
    pub method: &'static str,
    /// The window margins.
    pub settings: SettingsFigure,
}

impl RequestAvailability {
    /// Summarises `trials` (in trial order) over `horizon`.
    pub fn from_trials(
        trials: &[RequestTrial],
        causes: &[(String, &'static str)],
        baseline: &Baseline,
        settings: &WindowSettings,
        horizon: SimTime,
    ) -> RequestAvailability {
        let h = horizon.as_secs_f64();
        let years = h / SimTime::YEAR.as_secs_f64();
        let n = trials.len().max(1) as f64;
        let per_year = |x: f64| x / n / years;
        let shares: Vec<f64> = trials.iter().map(|t| t.counts.success_ratio()).collect();
        let quiet_share = trials
            .iter()
            .map(|t| t.quiet_offered / t.counts.offered.max(1.0))
            .sum::<f64>()
            / n;
        let failed_shares: Vec<f64> = shares.iter().map(|s| 1.0 - s).collect();
        let disturbances = trials.iter().map(|t| u64::from(t.windows)).sum();
        let (failed_mean, failed_ci) = interval(
            &failed_shares,
            Some(disturbances),
            1.0,
            quiet_share * baseline.half_width,
        );
        let (mean, ci95) = (1.0 - failed_mean, [1.0 - failed_ci[1], 1.0 - failed_ci[0]]);
        let failed: Vec<f64> = trials
            .iter()
            .map(|t| (t.counts.offered - t.counts.succeeded) / years)
            .collect();
        let total_failed: f64 = trials
            .iter()
            .map(|t| t.counts.offered - t.counts.succeeded)
            .sum();
        let mut failed_by_cause: Vec<CauseCount> = Cause::ALL
            .iter()
            .map(|&c| CauseCount {
                cause: c.name(),
                per_year: per_year(trials.iter().map(|t| t.counts.failed[c as usize]).sum()),
            })
            .filter(|c| c.per_year > 0.0)
            .collect();
        failed_by_cause.sort_by(|a, b| b.per_year.total_cmp(&a.per_year));
        let share = |x: f64| {
            if total_failed > 0.0 {
                x / total_failed
            } else {
                0.0
            }
        };
        let mut failed_by_origin: Vec<OriginCount> = causes
            .iter()
            .enumerate()
            .map(|(i, &(ref id, kind))| {
                let x: f64 = trials.iter().map(|t| t.failed_by_origin[i]).sum();
                OriginCount {
                    id: id.clone(),
                    kind,
                    per_year: per_year(x),
                    share: share(x),
                }
            })
            .filter(|o| o.per_year > 0.0)
            .collect();
        let window_failed: f64 = trials.iter().flat_map(|t| t.failed_by_origin.iter()).sum();
        if total_failed - window_failed > 0.0 {
            failed_by_origin.push(OriginCount {
                id: "baseline".into(),
                kind: "quiet time",
                per_year: per_year(total_failed - window_failed),
                share: share(total_failed - window_failed),
            });
        }
        failed_by_origin.sort_by(|a, b| b.per_year.total_cmp(&a.per_year));
        let degraded: Vec<f64> = trials
            .iter()
            .map(|t| t.degraded_secs / 60.0 / years)
            .collect();
        let (dm, dci) = interval(&degraded, None, f64::INFINITY, 0.0);
        let (fm, fci) = interval(&failed, None, f64::INFINITY, 0.0);
        let year = year_latency(trials, baseline);
        RequestAvailability {
            mean,
            ci95,
            nines: nines(mean),
            trials: trials.len() as u64,
            state_availability: 1.0 - trials.iter().map(|t| t.downtime_secs).sum::<f64>() / n / h,
            requests_per_year: per_year(trials.iter().map(|t| t.counts.offered).sum()),
            failed_per_year: Estimate {
                mean: fm,
                ci95: fci,
            },
            latency_ms: year.0,
            latency_histogram: year.1,
            failed_by_cause,
            failed_by_origin,
            degraded_minutes_per_year: Estimate {
                mean: dm,
                ci95: dci,
            },
            windows_per_year: per_year(trials.iter().map(|t| t.windows as f64).sum()),
            simulated_hours_per_year: trials.iter().map(|t| t.simulated_secs).sum::<f64>()
                / n
                / 3600.0
                / years,
            baseline: BaselineFigure {
                success_ratio: baseline.per_second.success_ratio(),
                half_width: baseline.half_width,
                requests: baseline.requests,
            },
            method: METHOD,
            settings: SettingsFigure {
                warmup_s: settings.warmup.as_secs_f64(),
                before_s: settings.before.as_secs_f64(),
                after_s: settings.after.as_secs_f64(),
                max_after_s: settings.max_after.as_secs_f64(),
                settle_s: settings.settle.as_secs_f64(),
                baseline_s: settings.baseline.as_secs_f64(),
            },
        }
    }
}

/// Mean and 95% interval of non-negative per-trial `samples` (at most
/// `cap`): the compound Poisson interval of `stats::rare` with `events`
/// the disturbances behind them (failed requests come in bursts, so the
/// bursts are the events), widened in quadrature by `extra` (a shared
/// input's own half-width) and kept within `[0, cap]`. The one place
/// request availability's intervals are computed.
fn interval(samples: &[f64], events: Option<u64>, cap: f64, extra: f64) -> (f64, [f64; 2]) {
    let Some(r) = rare_mean_ci95(samples, events, EventSizes::Vary, cap) else {
        return (f64::NAN, [f64::NAN, f64::NAN]);
    };
    let widen =
        |x: f64, sign: f64| (r.mean + sign * (x - r.mean).abs().hypot(extra)).clamp(0.0, cap);
    (r.mean, [widen(r.low, -1.0), widen(r.high, 1.0)])
}

/// p50 and p99 of the year's successes: the windows' simulated ones, and
/// the baseline's scaled to the rest of the year's successes.
fn year_latency(trials: &[RequestTrial], baseline: &Baseline) -> (YearLatency, LatencyHistogram) {
    let mut year = LatencyHistogram::new();
    let mut window_ok = 0u64;
    for t in trials {
        year.merge(&t.latency);
        window_ok += t.latency.count();
    }
    let all_ok: f64 = trials.iter().map(|t| t.counts.succeeded).sum();
    let base_n = baseline.latency.count().max(1) as f64;
    let k = (all_ok - window_ok as f64).max(0.0) / base_n;
    for b in baseline.latency.iter() {
        let n = (b.count as f64 * k).round() as u64;
        year.record_n(b.low + (b.high - b.low) / 2, n);
    }
    let ms = |q| year.quantile(q).map_or(f64::NAN, |v| v as f64 / 1e6);
    let figures = YearLatency {
        p50: ms(0.5),
        p99: ms(0.99),
        percentiles: Quantiles::default(),
    };
    (figures, year)
}
