//! Request availability: the share of a year's requests that succeed, by
//! the window method.
//!
//! A state trial ([`super::trial`]) gives the year's failures as instance
//! outages ([`super::timeline`]). Outages closer than the window margins are
//! one disturbance. Each disturbance is replayed at request level by the
//! drill ([`crate::drill::sim`]) in a window that opens `before` ahead of
//! its first failure (after an unmeasured `warmup` that fills the queues)
//! and closes `after` past its last repair; when the success ratio of the
//! window's last seconds is not back to the baseline's (the drill's recovery
//! rule, 0.005), `after` doubles, up to `max_after`. Every outage of the
//! disturbance is in the window, so overlapping failures interact.
//!
//! A state that holds longer than `settle` plus the client's timeout (a
//! replica down for hours) is simulated that long, and the rest of it is
//! charged at the rates of the requests that arrived in the second half of
//! `settle`: their whole life, retries included, fell in that state. Where
//! the state takes time to settle, `settle` is stretched so that the rates
//! come after it ([`settle_of`]): four mean failover times for a database,
//! twice a health check's worst detection time. Each window starts with every database's
//! primary where the state trial had it, and its traffic profile at the
//! window's time of year (a daily profile repeats; points stay flat after
//! the last); the baseline samples the profile evenly over its period. The quiet time between windows is charged at the rates
//! of a baseline drill without failures, run once per run.

use rand::RngExt as _;

use super::timeline::{Outage, outages};
use super::trial::{AvailabilitySim, PrimaryChange};
use crate::drill::random_failures::crash_events;
use crate::drill::{CAUSES, DrillSetup, TrialResult};
use crate::engine::SimTime;
use crate::engine::rng::{Purpose, mix64, stream};
use crate::model::Model;
use crate::montecarlo::{RunnerError, run_trials_local};
use crate::scenario::Scenario;
use crate::stats::LatencyHistogram;

/// The window method's settings (safe defaults in [`Default`]).
#[derive(Clone, Debug, PartialEq)]
pub struct WindowSettings {
    /// Unmeasured simulated time before each window, so queues fill.
    pub warmup: SimTime,
    /// Measured time before a disturbance's first failure.
    pub before: SimTime,
    /// Measured time after its last repair (doubled until recovered).
    pub after: SimTime,
    /// The longest `after` may grow to.
    pub max_after: SimTime,
    /// A constant degraded state longer than this plus the client's
    /// timeout is simulated that long; the rest is charged at the rates of
    /// the requests that arrived in the second half of `settle` (whose
    /// whole life, retries included, fell in that state).
    pub settle: SimTime,
    /// Length of the baseline drill without failures.
    pub baseline: SimTime,
    /// Trials of the baseline drill.
    pub baseline_trials: u64,
}

impl Default for WindowSettings {
    fn default() -> Self {
        WindowSettings {
            warmup: SimTime(2 * SimTime::SECOND.0),
            before: SimTime(2 * SimTime::SECOND.0),
            after: SimTime(10 * SimTime::SECOND.0),
            max_after: SimTime(16 * SimTime::MINUTE.0),
            settle: SimTime(10 * SimTime::SECOND.0),
            baseline: SimTime(10 * SimTime::MINUTE.0),
            baseline_trials: 2,
        }
    }
}

/// Request counts over some span (fractional once rates are charged).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Requests offered.
    pub offered: f64,
    /// Requests that succeeded.
    pub succeeded: f64,
    /// Requests that failed, by [`crate::cause::Cause`] index.
    pub failed: [f64; CAUSES],
}

impl Counts {
    fn add_scaled(&mut self, other: &Counts, k: f64) {
        self.offered += other.offered * k;
        self.succeeded += other.succeeded * k;
        for (x, y) in self.failed.iter_mut().zip(other.failed) {
            *x += y * k;
        }
    }

    fn failed_total(&self) -> f64 {
        self.failed.iter().sum()
    }

    /// Success ratio (1 when nothing was offered).
    pub fn success_ratio(&self) -> f64 {
        if self.offered > 0.0 {
            self.succeeded / self.offered
        } else {
            1.0
        }
    }

    /// The counts of `bins[range]` of a drill trial.
    fn of_bins(t: &TrialResult, range: std::ops::Range<usize>) -> Counts {
        let mut c = Counts::default();
        for b in t.bins.get(range).unwrap_or(&[]) {
            c.offered += b.offered as f64;
            c.succeeded += b.succeeded as f64;
            for (x, y) in c.failed.iter_mut().zip(b.failed) {
                *x += y as f64;
            }
        }
        c
    }
}

/// The baseline drill's rates, measured once per run.
#[derive(Clone, Debug)]
pub struct Baseline {
    /// Counts per second of quiet time.
    pub per_second: Counts,
    /// Latencies of its successes.
    pub latency: LatencyHistogram,
    /// Requests it simulated.
    pub requests: u64,
    /// Half-width of the 95% interval on its success ratio.
    pub half_width: f64,
}

/// One trial-year at request level.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RequestTrial {
    /// The trial's index.
    pub trial: u64,
    /// Requests over the horizon: windows plus charged quiet time.
    pub counts: Counts,
    /// Failed requests of the windows, by what set each window off (in
    /// [`AvailabilitySim::causes`] order).
    pub failed_by_origin: Vec<f64>,
    /// Offered requests charged at the baseline's rates (quiet time).
    pub quiet_offered: f64,
    /// Time the service was up with some instance out \[s\].
    pub degraded_secs: f64,
    /// Service downtime of the state trial \[s\].
    pub downtime_secs: f64,
    /// Disturbances replayed.
    pub windows: u32,
    /// Time covered by windows \[s\].
    pub window_secs: f64,
    /// Time simulated at request level, warm-ups included \[s\].
    pub simulated_secs: f64,
    /// Latencies of the windows' simulated successes.
    pub latency: LatencyHistogram,
}

/// Errors that stop request availability.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The model has no `[traffic]`.
    #[error(
        "{0}: request availability needs a [traffic] section; add e.g. [traffic] rate = \"200/s\""
    )]
    NoTraffic(String),
    /// The runner failed.
    #[error(transparent)]
    Runner(#[from] RunnerError),
}

/// The empty scenario windows are built from; pass it to [`RequestSim::new`].
pub fn window_scenario() -> Scenario {
    Scenario {
        name: "window".into(),
        description: String::new(),
        duration: SimTime::SECOND,
        warmup: SimTime::ZERO,
        events: Vec::new(),
        random_failures: false,
        traffic: None,
        onset: None,
    }
}

const BIN: SimTime = SimTime::SECOND;
/// Baseline runs spread over a traffic profile's period, at least.
const PROFILE_SAMPLES: u64 = 8;

/// The model compiled for request-level trial-years.
pub struct RequestSim<'m> {
    state: &'m AvailabilitySim<'m>,
    drill: DrillSetup<'m>,
    base: &'m Scenario,
    settings: WindowSettings,
    baseline: Baseline,
    /// The longest a request lives (the client's timeout).
    memory: SimTime,
    /// Per component, how long a degraded state is replayed before its
    /// rates are taken ([`settle_of`]).
    settle: Vec<SimTime>,
}

impl<'m> RequestSim<'m> {
    /// Compiles the drill and runs the baseline (seeded from `seed`).
    pub fn new(
        state: &'m AvailabilitySim<'m>,
        base: &'m Scenario,
        settings: WindowSettings,
        seed: u64,
        threads: usize,
    ) -> Result<Self, RequestError> {
        let model = state.model();
        let traffic = model
            .traffic
            .as_ref()
            .ok_or_else(|| RequestError::NoTraffic(model.origin.clone()))?;
        let drill = DrillSetup::new(model, base, traffic, BIN);
        // A traffic profile is sampled evenly over its period (a day; the
        // horizon for points, flat after the last), in as many runs as
        // it takes to see its shape, sharing the baseline's length.
        let (runs_n, period) = match &traffic.profile {
            None => (settings.baseline_trials.max(1), SimTime::ZERO),
            Some(crate::model::LoadProfile::Daily { .. }) => {
                (settings.baseline_trials.max(PROFILE_SAMPLES), SimTime::DAY)
            }
            Some(_) => (
                settings.baseline_trials.max(PROFILE_SAMPLES),
                state.horizon(),
            ),
        };
        let each = settings.baseline.0 * settings.baseline_trials.max(1) / runs_n;
        let quiet = Scenario {
            duration: SimTime(each).max(SimTime::SECOND),
            warmup: settings.warmup.max(SimTime(30 * SimTime::SECOND.0)),
            ..base.clone()
        };
        let runs = run_trials_local(mix64(seed ^ 0xBA5E_11E5), 0..runs_n, threads, |i, s| {
            let at = SimTime(((2 * i + 1) as f64 / (2 * runs_n) as f64 * period.0 as f64) as u64);
            drill.run_with(&quiet, &[], at, i, s)
        })?;
        let mut total = Counts::default();
        let mut latency = LatencyHistogram::new();
        for r in &runs {
            total.add_scaled(&Counts::of_bins(r, 0..r.bins.len()), 1.0);
            latency.merge(&r.latency);
        }
        let secs = quiet.duration.as_secs_f64() * runs.len() as f64;
        let p = total.success_ratio();
        let half_width = 1.96 * (p * (1.0 - p) / total.offered.max(1.0)).sqrt();
        let mut per_second = Counts::default();
        per_second.add_scaled(&total, 1.0 / secs);
        Ok(RequestSim {
            state,
            drill,
            base,
            settle: (0..model.components.len())
                .map(|c| settle_of(model, c, settings.settle))
                .collect(),
            settings,
            memory: traffic.timeout,
            baseline: Baseline {
                per_second,
                latency,
                requests: total.offered as u64,
                half_width,
            },
        })
    }

    /// The baseline drill's rates.
    pub fn baseline(&self) -> &Baseline {
        &self.baseline
    }

    /// The settings.
    pub fn settings(&self) -> &WindowSettings {
        &self.settings
    }

    /// Runs trial-year `trial` with `seed` (the state trial of the same
    /// index and seed gives its failures).
    pub fn run_trial(&self, trial: u64, seed: u64) -> RequestTrial {
        let horizon = self.state.horizon();
        let (state, trace, primaries) = self.state.run_trial_traced(trial, seed);
        let outs = outages(self.state, &trace, horizon);
        let n_causes = self.state.causes().len();
        let mut out = RequestTrial {
            trial,
            counts: Counts::default(),
            failed_by_origin: vec![0.0; n_causes],
            quiet_offered: 0.0,
            degraded_secs: (union_secs(&outs) - state.downtime_secs).max(0.0),
            downtime_secs: state.downtime_secs,
            windows: 0,
            window_secs: 0.0,
            simulated_secs: 0.0,
            latency: LatencyHistogram::new(),
        };
        let s = &self.settings;
        let mut i = 0;
        while i < outs.len() {
            let start = outs[i].from.0.saturating_sub(s.before.0);
            let mut after = s.after;
            let (end, j, w) = loop {
                let (end, j) = cluster(&outs, i, s.before, after, horizon);
                let w = self.replay(&outs[i..j], &primaries, SimTime(start), end, seed);
                if w.recovered || after >= s.max_after || end >= horizon {
                    break (end, j, w);
                }
                after = SimTime(after.0 * 2).min(s.max_after);
            };
            out.windows += 1;
            out.window_secs += (end - SimTime(start)).as_secs_f64();
            out.simulated_secs += w.simulated.as_secs_f64();
            out.failed_by_origin[outs[i].origin] += w.counts.failed_total();
            out.counts.add_scaled(&w.counts, 1.0);
            out.latency.merge(&w.latency);
            i = j;
        }
        let quiet = (horizon.as_secs_f64() - out.window_secs).max(0.0);
        out.counts.add_scaled(&self.baseline.per_second, quiet);
        out.quiet_offered = self.baseline.per_second.offered * quiet;
        out
    }

    /// Replays `outs` in the window `[start, end)` at request level, each
    /// database's primary as the state trial had it at `start`.
    fn replay(
        &self,
        outs: &[Outage],
        primaries: &[PrimaryChange],
        start: SimTime,
        end: SimTime,
        seed: u64,
    ) -> Window {
        let segs = Segments::new(outs, start, end, &self.settle, self.memory);
        let mut sc = Scenario {
            duration: segs.map(end),
            warmup: self.settings.warmup,
            ..self.base.clone()
        };
        let mapped: Vec<Outage> = outs
            .iter()
            .map(|o| Outage {
                from: segs.map(o.from),
                to: segs.map(o.to),
                ..*o
            })
            .collect();
        sc.events = crash_events(self.state.model(), &mapped, SimTime::ZERO);
        // Keyed by the window's start: the same failure replays the same
        // requests in another design (common random numbers).
        let wseed = stream(seed, start.0, Purpose::Misc).random::<u64>();
        let mut primary: Vec<(usize, u32)> = Vec::new();
        for p in primaries.iter().take_while(|p| p.at <= start) {
            primary.retain(|&(c, _)| c != p.comp);
            if let Some(i) = p.primary {
                primary.push((p.comp, i));
            }
        }
        // The window's traffic is the profile's at the window's time of year.
        let t = self.drill.run_with(&sc, &primary, start, 0, wseed);
        let mut counts = Counts::of_bins(&t, 0..t.bins.len());
        for seg in segs.0.iter().filter(|g| g.skipped > SimTime::ZERO) {
            // The second half of the settled part, in whole bins, sets the
            // rates of the rest: its requests live their whole life (the
            // client's timeout) in the same state.
            let settle = seg.kept - self.memory;
            let to = ((seg.at + settle).0 / BIN.0) as usize;
            let from = (seg.at.0 + settle.0 / 2).div_ceil(BIN.0) as usize;
            if to > from {
                let tail = Counts::of_bins(&t, from..to);
                let k = seg.skipped.as_secs_f64() / ((to - from) as f64 * BIN.as_secs_f64());
                counts.add_scaled(&tail, k);
            }
        }
        // Recovered: the last seconds fail no more than the baseline, + 0.005.
        let n = t.bins.len();
        let last = Counts::of_bins(&t, n.saturating_sub(10)..n);
        let base = self.baseline.per_second.success_ratio();
        Window {
            recovered: last.success_ratio() >= base - 0.005,
            counts,
            latency: t.latency,
            simulated: sc.warmup + sc.duration,
        }
    }
}

/// How long a degraded state of component `c` is replayed before its rates
/// are taken: `settle`, or longer where the state takes time to settle, so
/// that the second half, whose rates are charged, comes after it: four mean
/// failover times for a database (the promotion), twice the worst detection
/// time of a load balancer's health check in front of it (the dead
/// instance leaves the rotation).
fn settle_of(model: &Model, c: usize, settle: SimTime) -> SimTime {
    let failover = model.components[c]
        .failover
        .as_ref()
        .map_or(SimTime::ZERO, |f| {
            SimTime::from_secs_f64(4.0 * f.time.mean_secs())
        });
    let detection = model.health_check_of(c).map_or(SimTime::ZERO, |h| {
        SimTime(h.worst_detection().0.saturating_mul(2))
    });
    settle.max(failover).max(detection)
}

/// What one window's replay gave.
struct Window {
    recovered: bool,
    counts: Counts,
    latency: LatencyHistogram,
    simulated: SimTime,
}

/// The outages from `i` on that form one disturbance with `outs[i]`: each
/// starting within `before + after` of the end so far. Returns the window's
/// end (capped at `horizon`) and the index past the last.
fn cluster(
    outs: &[Outage],
    i: usize,
    before: SimTime,
    after: SimTime,
    horizon: SimTime,
) -> (SimTime, usize) {
    let mut last_up = outs[i].to;
    let mut j = i + 1;
    while j < outs.len() && outs[j].from < last_up + after + before {
        last_up = last_up.max(outs[j].to);
        j += 1;
    }
    ((last_up + after).min(horizon), j)
}

/// Time during which some instance is out \[s\] (the union of the outages,
/// which are sorted by start).
fn union_secs(outs: &[Outage]) -> f64 {
    let mut total = 0u64;
    let mut cur: Option<(u64, u64)> = None;
    for o in outs {
        cur = match cur {
            Some((a, b)) if o.from.0 <= b => Some((a, b.max(o.to.0))),
            Some((a, b)) => {
                total += b - a;
                Some((o.from.0, o.to.0))
            }
            None => Some((o.from.0, o.to.0)),
        };
    }
    if let Some((a, b)) = cur {
        total += b - a;
    }
    total as f64 / 1e9
}

/// A window's constant stretches, in window time compressed by `settle`.
struct Segment {
    /// Start in original time.
    from: SimTime,
    /// Start in compressed time (from the window's start).
    at: SimTime,
    /// Length simulated.
    kept: SimTime,
    /// Length charged at the rates of the kept part's last half.
    skipped: SimTime,
}

struct Segments(Vec<Segment>);

impl Segments {
    /// A degraded state longer than `settle + memory` keeps that much, with
    /// `settle` the longest of its outages' components'.
    fn new(
        outs: &[Outage],
        start: SimTime,
        end: SimTime,
        settle: &[SimTime],
        memory: SimTime,
    ) -> Segments {
        let mut cuts: Vec<SimTime> = outs
            .iter()
            .flat_map(|o| [o.from, o.to])
            .filter(|&t| t > start && t < end)
            .collect();
        cuts.push(start);
        cuts.push(end);
        cuts.sort();
        cuts.dedup();
        let mut at = SimTime::ZERO;
        let segs = cuts
            .windows(2)
            .map(|w| {
                let len = w[1] - w[0];
                // Only a degraded state is compressed; recovery is replayed whole.
                let keep = outs
                    .iter()
                    .filter(|o| o.from <= w[0] && o.to >= w[1])
                    .map(|o| settle[o.comp].max(BIN + BIN) + memory)
                    .max();
                let kept = keep.map_or(len, |k| len.min(k));
                let seg = Segment {
                    from: w[0],
                    at,
                    kept,
                    skipped: len - kept,
                };
                at += kept;
                seg
            })
            .collect();
        Segments(segs)
    }

    /// Original time `t` in compressed window time.
    fn map(&self, t: SimTime) -> SimTime {
        let k = self.0.partition_point(|s| s.from <= t).saturating_sub(1);
        match self.0.get(k) {
            Some(s) => s.at + SimTime(t.0.saturating_sub(s.from.0).min(s.kept.0)),
            None => SimTime::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> SimTime {
        SimTime(s * SimTime::SECOND.0)
    }

    fn outage(from: u64, to: u64) -> Outage {
        Outage {
            comp: 0,
            inst: 0,
            from: secs(from),
            to: secs(to),
            origin: 0,
            fault: crate::scenario::Fault::Crash,
        }
    }

    /// A long outage keeps `settle` of its span; times after it shift back.
    #[test]
    fn segments_compress_long_degraded_states_only() {
        let outs = [outage(100, 1000)];
        let s = Segments::new(&outs, secs(95), secs(1015), &[secs(20)], secs(10));
        assert_eq!(s.map(secs(95)), secs(0));
        assert_eq!(s.map(secs(100)), secs(5));
        assert_eq!(s.map(secs(130)), secs(35));
        assert_eq!(s.map(secs(500)), secs(35));
        assert_eq!(s.map(secs(1000)), secs(35));
        assert_eq!(s.map(secs(1015)), secs(50));
        assert_eq!(s.0[1].skipped, secs(870));
        // A state shorter than settle + memory is replayed whole.
        let s = Segments::new(&outs, secs(95), secs(1015), &[secs(20)], secs(900));
        assert_eq!(s.map(secs(1015)), secs(920));
    }

    #[test]
    fn outages_within_the_margins_are_one_disturbance() {
        let outs = [outage(100, 110), outage(125, 130), outage(200, 210)];
        let (end, j) = cluster(&outs, 0, secs(5), secs(15), secs(10_000));
        assert_eq!((end, j), (secs(145), 2));
        assert_eq!(union_secs(&outs), 25.0);
    }
}
