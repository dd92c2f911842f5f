//! A scenario's figures across trials: overall availability and latency with
//! intervals, and per-bin means with 95% intervals for the time series.
//! Computed from trial results in trial order, so the bytes do not depend on
//! the thread count.

use serde::Serialize;

use super::metrics::{CAUSES, Cause, TrialResult};
use super::readings::{ReadingDef, Snapshot, reading_defs};
use crate::model::Model;
use crate::scenario::{EventKind, Scenario};
use crate::stats::percentiles::relative_error;
use crate::stats::{
    EventSizes, LatencyHistogram, Percentiles, Quantiles, RareInterval, mean_ci95, rare_mean_ci95,
};

/// A mean with its 95% interval (NaN when no trial had a value).
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Band {
    /// Mean across trials.
    pub mean: f64,
    /// Lower end of the 95% interval of the mean.
    pub low: f64,
    /// Upper end of the 95% interval of the mean.
    pub high: f64,
}

impl Band {
    /// The band of shares in \[0, 1\] (a success ratio): the interval is
    /// clipped to the range the share can take.
    pub fn of_share(xs: impl Iterator<Item = f64>) -> Band {
        let b = Band::of(xs);
        Band {
            low: b.low.max(0.0),
            high: b.high.min(1.0),
            ..b
        }
    }

    /// The band of the finite values in `xs`.
    pub fn of(xs: impl Iterator<Item = f64>) -> Band {
        let v: Vec<f64> = xs.filter(|x| x.is_finite()).collect();
        match (mean_ci95(&v), v.first()) {
            (Some((m, lo, hi)), _) => Band {
                mean: m,
                low: lo,
                high: hi,
            },
            (None, Some(&x)) => Band {
                mean: x,
                low: x,
                high: x,
            },
            (None, None) => Band {
                mean: f64::NAN,
                low: f64::NAN,
                high: f64::NAN,
            },
        }
    }
}

/// Overall availability of a scenario.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Availability {
    /// Mean over trials of succeeded / offered in the measured window.
    pub mean: f64,
    /// 95% interval `[low, high]` (with `ci_one_sided`, only `low` is a 95%
    /// statement and `high` is 1).
    pub ci95: [f64; 2],
    /// How the interval was computed (`stats::rare`): `compound_poisson`,
    /// `compound_poisson_upper` or `no_event_bound`.
    pub ci_method: &'static str,
    /// Whether only the lower end is a 95% bound (fewer than 5 failed
    /// requests in all trials).
    pub ci_one_sided: bool,
}

/// The 95% interval of the mean share of failed requests across `trials`
/// (failed / offered per trial, a trial with no request counting as 0):
/// the compound Poisson interval of `stats::rare`, with the failed requests
/// as events. Availability is one minus it.
pub fn failure_interval(trials: &[TrialResult]) -> Option<RareInterval> {
    let shares: Vec<f64> = trials.iter().map(|t| 1.0 - t.availability()).collect();
    let failed = trials
        .iter()
        .map(|t| t.offered().saturating_sub(t.succeeded()))
        .sum();
    // One failed request in trial i adds 1/(n·offered_i) to the mean of
    // shares; on average over the trials, this much.
    let n = trials.len().max(1) as f64;
    let per_event = trials
        .iter()
        .map(|t| 1.0 / t.offered().max(1) as f64)
        .sum::<f64>()
        / (n * n);
    rare_mean_ci95(&shares, Some(failed), EventSizes::Equal { per_event }, 1.0)
}

/// Latency of successful requests over all trials \[ms\]. Quantiles are
/// interpolated within their histogram bucket
/// ([`LatencyHistogram::quantile_interpolated`]).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Latency {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// The percentiles asked for (`--percentiles`; by default p50, p90,
    /// p99, p99.9), by label.
    pub percentiles: Quantiles,
    /// The largest relative width of the histogram buckets these figures
    /// fell in: none is further than this from the exact sample quantile
    /// (at most 1/32).
    pub relative_error: f64,
}

impl Latency {
    /// The figures of `h` \[ns\] in milliseconds.
    pub fn of(h: &LatencyHistogram, percentiles: &Percentiles) -> Latency {
        let q = |p: f64| h.quantile_interpolated(p).map_or(f64::NAN, |v| v / 1e6);
        let fixed = [0.5, 0.9, 0.99, 0.999];
        Latency {
            mean: h.mean().map_or(f64::NAN, |m| m / 1e6),
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p999: q(0.999),
            percentiles: percentiles.of(h, 1e-6),
            relative_error: relative_error(
                h,
                fixed.into_iter().chain(percentiles.iter().map(|(_, q)| q)),
            ),
        }
    }
}

/// One component's queue across trials: waits, congestion and losses.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct QueueSummary {
    /// The component's id.
    pub component: String,
    /// Calls that reached an instance, per trial (mean).
    pub arrived_per_trial: f64,
    /// Calls that got a worker, per trial (mean).
    pub served_per_trial: f64,
    /// P(wait > 0): the share of served calls that queued first.
    pub wait_probability: Band,
    /// Mean queueing delay of served calls \[ms\].
    pub mean_wait_ms: Band,
    /// 99th percentile of the queueing delay over all trials \[ms\]
    /// (interpolated within its bucket).
    pub wait_p99_ms: f64,
    /// The queueing delay at the chosen percentiles \[ms\].
    pub wait_percentiles_ms: Quantiles,
    /// Share of up instance-time with every worker busy (time congestion).
    pub all_busy: Band,
    /// Mean busy workers over available workers.
    pub utilisation: f64,
    /// Calls the component lost itself, per trial (mean), by cause; only
    /// causes that occurred.
    pub lost_per_trial: Quantiles,
}

impl QueueSummary {
    /// Component `c` of `model` over `trials`.
    fn of(
        model: &Model,
        c: usize,
        trials: &[TrialResult],
        percentiles: &Percentiles,
    ) -> QueueSummary {
        let n = trials.len().max(1) as f64;
        let mut waits = LatencyHistogram::new();
        for t in trials {
            if let Some(w) = t.waits.get(c) {
                waits.merge(w);
            }
        }
        let served = |t: &TrialResult| t.calls[c].served > 0;
        let per_trial = |f: fn(&super::metrics::CallTotals) -> u64| {
            trials.iter().map(|t| f(&t.calls[c]) as f64).sum::<f64>() / n
        };
        let area = |t: &TrialResult, f: fn(&super::GaugeBin) -> f64| {
            t.gauges[c].iter().map(f).sum::<f64>()
        };
        let lost = Cause::ALL
            .iter()
            .map(|&k| {
                let v = trials
                    .iter()
                    .map(|t| t.calls[c].lost[k as usize] as f64)
                    .sum::<f64>()
                    / n;
                (k.name().to_string(), v)
            })
            .filter(|(_, v)| *v > 0.0)
            .collect();
        QueueSummary {
            component: model.components[c].id.clone(),
            arrived_per_trial: per_trial(|x| x.arrived),
            served_per_trial: per_trial(|x| x.served),
            wait_probability: Band::of_share(
                trials
                    .iter()
                    .filter(|t| served(t))
                    .map(|t| t.calls[c].wait_probability()),
            ),
            mean_wait_ms: Band::of(
                trials
                    .iter()
                    .filter(|t| served(t))
                    .map(|t| t.calls[c].mean_wait_secs() * 1e3),
            ),
            wait_p99_ms: waits
                .quantile_interpolated(0.99)
                .map_or(f64::NAN, |v| v / 1e6),
            wait_percentiles_ms: percentiles.of(&waits, 1e-6),
            all_busy: Band::of_share(trials.iter().map(|t| {
                let up = area(t, |g| g.up);
                if up > 0.0 {
                    (area(t, |g| g.full) / up).min(1.0)
                } else {
                    f64::NAN
                }
            })),
            utilisation: {
                let (busy, cap) = trials.iter().fold((0.0, 0.0), |(b, k), t| {
                    (b + area(t, |g| g.busy), k + area(t, |g| g.capacity))
                });
                if cap > 0.0 { busy / cap } else { 0.0 }
            },
            lost_per_trial: Quantiles(lost),
        }
    }
}

/// A fault or action on the timeline, for reports and chart markers.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TimelineEntry {
    /// Seconds after the warm-up.
    pub at_s: f64,
    /// `fault`, `fault ends` or `action`.
    pub kind: &'static str,
    /// What it is.
    pub label: String,
}

/// One time bin across trials.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BinSummary {
    /// Bin start, seconds after the warm-up.
    pub t_s: f64,
    /// Requests offered (mean per trial).
    pub offered: f64,
    /// Requests that succeeded (mean per trial).
    pub succeeded: f64,
    /// Success ratio.
    pub success: Band,
    /// Median latency of successes \[ms\].
    pub p50_ms: Band,
    /// 99th percentile latency of successes \[ms\].
    pub p99_ms: Band,
    /// Failures by cause (mean per trial), in [`Cause::ALL`] order.
    pub failed: [f64; CAUSES],
    /// Per component: mean busy workers, queued requests, utilisation, instances up.
    pub gauges: Vec<[f64; 4]>,
    /// Per component: its busiest instance's utilisation, the largest
    /// across trials.
    pub peak_max: Vec<f64>,
    /// Per component: share of up instance-time with every worker busy,
    /// mean queueing delay \[ms\] and P(wait > 0) of the calls that got a
    /// worker in the bin (pooled over trials; NaN when none did), calls it
    /// lost (mean per trial).
    pub queues: Vec<[f64; 4]>,
}

/// Everything reported for one scenario.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ScenarioSummary {
    /// Scenario name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Trials run.
    pub trials: u64,
    /// Measured duration \[s\].
    pub duration_s: f64,
    /// Warm-up \[s\].
    pub warmup_s: f64,
    /// Bin width \[s\].
    pub bin_s: f64,
    /// Requests offered per trial (mean).
    pub offered_per_trial: f64,
    /// Share of requests that succeeded.
    pub availability: Availability,
    /// Latency of successes.
    pub latency_ms: Latency,
    /// Failures per trial by cause (mean).
    pub failed_per_trial: Vec<(String, f64)>,
    /// Per component: waits, congestion, losses.
    pub queues: Vec<QueueSummary>,
    /// The scenario's timeline.
    pub timeline: Vec<TimelineEntry>,
    /// Seconds from the first fault (or, without faults, the first action) until the success ratio is back within
    /// 0.5 percentage points of its pre-fault level for good (None when it
    /// never dipped or never recovered).
    pub recovery_s: Option<f64>,
    /// Lowest per-bin mean success ratio.
    pub worst_success: f64,
    /// Engine events per trial (mean), a measure of the work done.
    pub events_per_trial: f64,
    /// The verdict on each objective of the model's `[slo]` (none without one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slo: Vec<crate::slo::Judgement>,
    /// Each alert rule across the trials (none without rules).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<crate::alerts::summary::AlertSummary>,
    /// Time to detect, mitigate and recover (models with alerts, scenarios
    /// with an onset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<crate::alerts::summary::Response>,
    /// Per-bin series.
    #[serde(skip)]
    pub bins: Vec<BinSummary>,
    /// Component ids, in gauge order.
    #[serde(skip)]
    pub components: Vec<String>,
    /// The mechanisms' readings, per series across trials.
    #[serde(skip)]
    pub readings: Vec<ReadingSeries>,
    /// Every database restore, per trial in trial order: RPO and RTO (`lose_data`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub restores: Vec<TrialRestore>,
    /// Every cache failover of every trial, in trial order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failovers: Vec<TrialFailover>,
    /// Text snapshots of trial 0 (`--at`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<Snapshot>,
}

/// One database restore of one trial.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TrialRestore {
    /// The trial's index.
    pub trial: u64,
    /// Its RPO and RTO.
    #[serde(flatten)]
    pub restore: super::backup::RestoreRecord,
}

/// One cache failover of one trial.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TrialFailover {
    /// The trial's index.
    pub trial: u64,
    /// Its promotion time and lost writes.
    #[serde(flatten)]
    pub failover: super::cache_ha::FailoverRecord,
}

/// One reading across trials: its definition and per-bin band.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadingSeries {
    /// What it measures.
    pub def: ReadingDef,
    /// Per bin, the mean and 95% interval across trials.
    pub bins: Vec<Band>,
    /// Per bin, the largest value any trial had (NaN when none had one):
    /// a peak that only some trials reach vanishes in the mean.
    pub max: Vec<f64>,
}

impl ScenarioSummary {
    /// Summarises `trials` (in trial order) of `scenario`, with the default
    /// percentiles.
    pub fn from_trials(
        model: &Model,
        scenario: &Scenario,
        bin_s: f64,
        trials: &[TrialResult],
    ) -> ScenarioSummary {
        Self::from_trials_with(model, scenario, bin_s, trials, &Percentiles::default())
    }

    /// Summarises `trials` (in trial order) of `scenario`, reporting
    /// latencies and waits at `percentiles`.
    pub fn from_trials_with(
        model: &Model,
        scenario: &Scenario,
        bin_s: f64,
        trials: &[TrialResult],
        percentiles: &Percentiles,
    ) -> ScenarioSummary {
        let n = trials.len().max(1) as f64;
        let fail = failure_interval(trials);
        let mut all = LatencyHistogram::new();
        for t in trials {
            all.merge(&t.latency);
        }
        let latency = Latency::of(&all, percentiles);
        let mut failed = [0.0; CAUSES];
        for t in trials {
            for (f, x) in failed.iter_mut().zip(t.failed()) {
                *f += x as f64 / n;
            }
        }
        let nbins = trials.first().map_or(0, |t| t.bins.len());
        let ncomp = model.components.len();
        let bins: Vec<BinSummary> = (0..nbins)
            .map(|b| {
                let stats = || trials.iter().map(move |t| &t.bins[b]);
                let mut f = [0.0; CAUSES];
                for s in stats() {
                    for (x, y) in f.iter_mut().zip(s.failed) {
                        *x += y as f64 / n;
                    }
                }
                let gauges = (0..ncomp)
                    .map(|c| {
                        let g = || trials.iter().map(move |t| t.gauges[c][b]);
                        [
                            g().map(|x| x.busy).sum::<f64>() / n,
                            g().map(|x| x.queued).sum::<f64>() / n,
                            g().map(|x| x.utilisation()).sum::<f64>() / n,
                            g().map(|x| x.up).sum::<f64>() / n,
                        ]
                    })
                    .collect();
                let peak_max = (0..ncomp)
                    .map(|c| {
                        trials
                            .iter()
                            .map(|t| t.gauges[c][b].peak)
                            .fold(0.0, f64::max)
                    })
                    .collect();
                let queues = (0..ncomp)
                    .map(|c| {
                        let g = || trials.iter().map(move |t| t.gauges[c][b]);
                        let served: f64 = g().map(|x| x.served).sum();
                        let per_served = |v: f64| if served > 0.0 { v / served } else { f64::NAN };
                        [
                            g().map(|x| x.all_busy()).sum::<f64>() / n,
                            per_served(g().map(|x| x.wait_ns).sum::<f64>() / 1e6),
                            per_served(g().map(|x| x.waited).sum()),
                            g().map(|x| x.lost).sum::<f64>() / n,
                        ]
                    })
                    .collect();
                BinSummary {
                    queues,
                    peak_max,
                    t_s: b as f64 * bin_s,
                    offered: stats().map(|s| s.offered as f64).sum::<f64>() / n,
                    succeeded: stats().map(|s| s.succeeded as f64).sum::<f64>() / n,
                    success: Band::of_share(stats().map(|s| {
                        if s.offered == 0 {
                            f64::NAN
                        } else {
                            s.succeeded as f64 / s.offered as f64
                        }
                    })),
                    p50_ms: Band::of(stats().map(|s| s.p50_ms)),
                    p99_ms: Band::of(stats().map(|s| s.p99_ms)),
                    failed: f,
                    gauges,
                }
            })
            .collect();
        let mut timeline: Vec<TimelineEntry> = Vec::new();
        for e in scenario.events.iter().filter(|e| e.on_alert.is_none()) {
            let at_s = e.at.as_secs_f64();
            match &e.what {
                EventKind::Fault(specs) => {
                    let f = &specs[0];
                    timeline.push(TimelineEntry {
                        at_s,
                        kind: "fault",
                        label: e.label.clone(),
                    });
                    if let Some(d) = f.duration {
                        timeline.push(TimelineEntry {
                            at_s: at_s + d.as_secs_f64(),
                            kind: "fault ends",
                            label: format!("{} ends", e.label),
                        });
                    }
                }
                EventKind::Action(_) => timeline.push(TimelineEntry {
                    at_s,
                    kind: "action",
                    label: e.label.clone(),
                }),
            }
        }
        let (alerts, response) = super::response::summarise(model, scenario, bin_s, trials);
        super::response::timeline(model, scenario, trials, &alerts, &mut timeline);
        timeline.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
        // From the first fault, or, in a scenario whose trouble is an action
        // (a disk filled, a cache flushed), from its first action.
        let first_fault = scenario.onset().map(|t| t.as_secs_f64()).or_else(|| {
            timeline
                .iter()
                .find(|e| e.kind == "fault")
                .or(timeline.iter().find(|e| e.kind == "action"))
                .map(|e| e.at_s)
        });
        let means: Vec<f64> = bins.iter().map(|b| b.success.mean).collect();
        let recovery_s = first_fault.and_then(|t0| recovery_time(&means, t0, bin_s));
        let worst_success = bins
            .iter()
            .map(|b| b.success.mean)
            .filter(|x| x.is_finite())
            .fold(1.0, f64::min);
        let availability = fail.map_or(
            Availability {
                mean: f64::NAN,
                ci95: [f64::NAN, f64::NAN],
                ci_method: "none",
                ci_one_sided: false,
            },
            |f| Availability {
                mean: 1.0 - f.mean,
                ci95: [1.0 - f.high, 1.0 - f.low],
                ci_method: f.method.id(),
                ci_one_sided: f.one_sided,
            },
        );
        let slo = (model.slo.as_ref())
            .map(|slo| crate::slo::evaluate(slo, &availability, trials))
            .unwrap_or_default();
        ScenarioSummary {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            trials: trials.len() as u64,
            duration_s: scenario.duration.as_secs_f64(),
            warmup_s: scenario.warmup.as_secs_f64(),
            bin_s,
            offered_per_trial: trials.iter().map(|t| t.offered() as f64).sum::<f64>() / n,
            availability,
            latency_ms: latency,
            failed_per_trial: Cause::ALL
                .iter()
                .map(|c| (c.name().to_string(), failed[*c as usize]))
                .collect(),
            queues: (0..ncomp)
                .map(|c| QueueSummary::of(model, c, trials, percentiles))
                .collect(),
            timeline,
            recovery_s,
            worst_success,
            events_per_trial: trials.iter().map(|t| t.events as f64).sum::<f64>() / n,
            slo,
            alerts,
            response,
            bins,
            components: model.components.iter().map(|c| c.id.clone()).collect(),
            readings: reading_defs(model)
                .into_iter()
                .enumerate()
                .map(|(r, def)| ReadingSeries {
                    def,
                    bins: (0..nbins)
                        .map(|b| Band::of(trials.iter().map(|t| t.readings[b][r])))
                        .collect(),
                    max: (0..nbins)
                        .map(|b| {
                            trials
                                .iter()
                                .map(|t| t.readings[b][r])
                                .filter(|x| x.is_finite())
                                .fold(f64::NAN, f64::max)
                        })
                        .collect(),
                })
                .collect(),
            restores: trials
                .iter()
                .flat_map(|t| {
                    t.restores.iter().map(|r| TrialRestore {
                        trial: t.trial,
                        restore: r.clone(),
                    })
                })
                .collect(),
            failovers: trials
                .iter()
                .flat_map(|t| {
                    t.failovers.iter().map(|f| TrialFailover {
                        trial: t.trial,
                        failover: f.clone(),
                    })
                })
                .collect(),
            snapshots: trials
                .iter()
                .find(|t| !t.snapshots.is_empty())
                .map_or_else(Vec::new, |t| t.snapshots.clone()),
        }
    }
}

/// Time from `t0` to the start of the first bin after which every bin's
/// success ratio (`success[b]` for the bin starting at `b * bin_s`; NaN
/// for a bin without requests) stays within 0.005 of the level before `t0`.
pub(super) fn recovery_time(success: &[f64], t0: f64, bin_s: f64) -> Option<f64> {
    let t = |b: usize| b as f64 * bin_s;
    let before: Vec<f64> = (0..success.len())
        .filter(|&b| t(b) + bin_s <= t0)
        .map(|b| success[b])
        .filter(|x| x.is_finite())
        .collect();
    let baseline = if before.is_empty() {
        1.0
    } else {
        before.iter().sum::<f64>() / before.len() as f64
    };
    // A bin with no requests (NaN) does not count as a dip.
    let ok = |x: f64| x.is_nan() || x >= baseline - 0.005;
    let after: Vec<usize> = (0..success.len()).filter(|&b| t(b) + bin_s > t0).collect();
    if after.iter().all(|&b| ok(success[b])) {
        return None;
    }
    let last_bad = after.iter().rposition(|&b| !ok(success[b]))?;
    let recovered = after.get(last_bad + 1)?;
    Some((t(*recovered) - t0).max(0.0))
}
