//! What one drill trial measures, per time bin: requests offered, succeeded
//! and failed by cause (attributed to the bin of their arrival), success
//! latency quantiles, and time-weighted component gauges. Memory is bounded
//! by the number of bins and components, never by the number of requests:
//! latency histograms are kept only for the few bins whose requests may
//! still be in flight, then folded into scalars.

use serde::{Deserialize, Serialize};

use crate::engine::SimTime;
use crate::stats::LatencyHistogram;

pub use crate::cause::{CAUSES, Cause};

/// Request outcomes in one bin of one trial.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BinStats {
    /// Requests that arrived in the bin.
    pub offered: u64,
    /// Of those, the ones that succeeded.
    pub succeeded: u64,
    /// Of those, the ones that failed, by [`Cause`] index.
    pub failed: [u64; CAUSES],
    /// Median latency of the successes \[ms\] (NaN when none).
    pub p50_ms: f64,
    /// 99th percentile latency of the successes \[ms\] (NaN when none).
    pub p99_ms: f64,
    /// Mean latency of the successes \[ms\] (NaN when none).
    pub mean_ms: f64,
}

/// Time-weighted gauges of one component in one bin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GaugeBin {
    /// Mean busy workers, summed over instances.
    pub busy: f64,
    /// Mean queued requests, summed over instances.
    pub queued: f64,
    /// Mean workers available on instances that are up.
    pub capacity: f64,
    /// Mean instances up.
    pub up: f64,
    /// The busiest instance's utilisation (mean busy workers over its
    /// workers, in [0, 1]): a saturated replica beside idle ones.
    pub peak: f64,
    /// Mean instances with every worker busy (up instances only): over
    /// `up`, the share of time an instance could take no call at once.
    #[serde(default)]
    pub full: f64,
    /// Calls that got a worker in the bin.
    #[serde(default)]
    pub served: f64,
    /// Of those, calls that waited in the queue first.
    #[serde(default)]
    pub waited: f64,
    /// Their total queueing delay \[ns\].
    #[serde(default)]
    pub wait_ns: f64,
    /// Calls the component lost itself in the bin (every cause of
    /// [`CallTotals::lost`]).
    #[serde(default)]
    pub lost: f64,
}

impl GaugeBin {
    /// Busy workers over available workers, in [0, 1] (0 with no capacity).
    pub fn utilisation(&self) -> f64 {
        if self.capacity > 0.0 {
            self.busy / self.capacity
        } else {
            0.0
        }
    }

    /// Share of up instance-time with every worker busy, in [0, 1] (0 with
    /// no instance up): the time congestion, Erlang B's figure for a
    /// component without a queue.
    pub fn all_busy(&self) -> f64 {
        if self.up > 0.0 {
            (self.full / self.up).min(1.0)
        } else {
            0.0
        }
    }
}

/// Per-component call counts over the measured window (by the time the
/// call reached the component).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallTotals {
    /// Calls that reached an instance.
    pub arrived: u64,
    /// Calls that got a worker.
    pub served: u64,
    /// Of those, calls that waited in the queue first.
    pub waited: u64,
    /// Total time calls spent queued before a worker took them \[ns\].
    pub wait_ns: u128,
    /// Calls turned away because the queue was full.
    pub rejected: u64,
    /// Calls refused because the instance was down.
    pub refused: u64,
    /// Calls this component lost itself, by [`Cause`] index: refused while
    /// down, queue full or shed, rate limited, writes rejected, server
    /// errors it raised (faults, crashes), and calls its caller stopped
    /// waiting for (timeout) while they were here.
    #[serde(default)]
    pub lost: [u64; CAUSES],
}

impl CallTotals {
    /// Share of served calls that waited.
    pub fn wait_probability(&self) -> f64 {
        if self.served == 0 {
            0.0
        } else {
            self.waited as f64 / self.served as f64
        }
    }

    /// Mean queueing delay over served calls \[s\].
    pub fn mean_wait_secs(&self) -> f64 {
        if self.served == 0 {
            0.0
        } else {
            self.wait_ns as f64 / self.served as f64 / 1e9
        }
    }

    /// Share of arrived calls turned away with a full queue.
    pub fn blocking_probability(&self) -> f64 {
        if self.arrived == 0 {
            0.0
        } else {
            self.rejected as f64 / self.arrived as f64
        }
    }
}

/// Everything one trial measured; its size depends on the model and the
/// number of bins only.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrialResult {
    /// Trial index.
    pub trial: u64,
    /// Trial seed.
    pub seed: u64,
    /// Per-bin request outcomes.
    pub bins: Vec<BinStats>,
    /// Per component, per bin gauges.
    pub gauges: Vec<Vec<GaugeBin>>,
    /// Latencies of every success in the measured window.
    pub latency: LatencyHistogram,
    /// Per component call totals over the measured window.
    pub calls: Vec<CallTotals>,
    /// Per component, the queueing delay of every call that got a worker
    /// in the measured window (0 for calls served at once) \[ns\].
    #[serde(default)]
    pub waits: Vec<LatencyHistogram>,
    /// Events the engine processed (for throughput figures).
    pub events: u64,
    /// Requests simulated, warm-up included (for throughput figures).
    pub requests: u64,
    /// Per bin, the value of every reading (see [`super::readings`]).
    pub readings: Vec<Vec<f64>>,
    /// Text snapshots taken in this trial (`--at`), in time order.
    pub snapshots: Vec<super::readings::Snapshot>,
    /// The database restores of this trial (`lose_data`).
    pub restores: Vec<super::backup::RestoreRecord>,
    /// The cache failovers of this trial (Sentinel's or a shard's).
    #[serde(default)]
    pub failovers: Vec<super::cache_ha::FailoverRecord>,
    /// Alerts that fired or resolved, in time order (none without rules).
    pub alerts: Vec<crate::alerts::AlertEvent>,
    /// Containment actions as they ran, in start order.
    pub actions: Vec<ActionRecord>,
}

/// One containment action in one trial.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// The scenario event's index.
    pub event: u16,
    /// When it started, after the warm-up.
    pub started: SimTime,
    /// When its effect landed, after the warm-up (`None`: still running
    /// when the trial ended).
    pub done: Option<SimTime>,
}

impl TrialResult {
    /// Requests offered in the measured window.
    pub fn offered(&self) -> u64 {
        self.bins.iter().map(|b| b.offered).sum()
    }

    /// Requests that succeeded in the measured window.
    pub fn succeeded(&self) -> u64 {
        self.bins.iter().map(|b| b.succeeded).sum()
    }

    /// Failures by cause in the measured window.
    pub fn failed(&self) -> [u64; CAUSES] {
        let mut f = [0; CAUSES];
        for b in &self.bins {
            for (x, y) in f.iter_mut().zip(b.failed) {
                *x += y;
            }
        }
        f
    }

    /// Succeeded over offered (1 when nothing was offered).
    pub fn availability(&self) -> f64 {
        let o = self.offered();
        if o == 0 {
            1.0
        } else {
            self.succeeded() as f64 / o as f64
        }
    }
}

/// Collects outcomes during a trial.
pub(crate) struct Recorder {
    /// Start of the measured window.
    start: SimTime,
    bin: SimTime,
    bins: Vec<BinStats>,
    /// Latency histograms of open bins, indexed by bin % len.
    open: Vec<LatencyHistogram>,
    /// The next bin whose histogram is still open (all earlier are folded).
    first_open: usize,
    /// How long after a bin ends its requests may still complete.
    grace: SimTime,
    total: LatencyHistogram,
}

impl Recorder {
    pub(crate) fn new(start: SimTime, bin: SimTime, bins: usize, grace: SimTime) -> Recorder {
        let ring = (grace.0 / bin.0.max(1)) as usize + 2;
        Recorder {
            start,
            bin,
            bins: vec![BinStats::default(); bins],
            open: (0..ring.min(bins.max(1)))
                .map(|_| LatencyHistogram::new())
                .collect(),
            first_open: 0,
            grace,
            total: LatencyHistogram::new(),
        }
    }

    /// The bin of an arrival at `t`, if it falls in the measured window.
    #[inline]
    pub(crate) fn bin_of(&self, t: SimTime) -> Option<u32> {
        if t < self.start {
            return None;
        }
        let b = ((t - self.start).0 / self.bin.0) as usize;
        (b < self.bins.len()).then_some(b as u32)
    }

    /// Requests that arrived in bin `bin` so far (0 outside the window).
    pub(crate) fn offered_in(&self, bin: usize) -> u64 {
        self.bins.get(bin).map_or(0, |b| b.offered)
    }

    #[inline]
    pub(crate) fn offered(&mut self, bin: u32) {
        self.bins[bin as usize].offered += 1;
    }

    #[inline]
    pub(crate) fn success(&mut self, bin: u32, latency: SimTime) {
        self.bins[bin as usize].succeeded += 1;
        let n = self.open.len();
        self.open[bin as usize % n].record(latency.0);
    }

    #[inline]
    pub(crate) fn failure(&mut self, bin: u32, cause: Cause) {
        self.bins[bin as usize].failed[cause as usize] += 1;
    }

    /// Folds every bin that no request can still reach at `now`.
    pub(crate) fn close_until(&mut self, now: SimTime) {
        while self.first_open < self.bins.len() {
            let end = self.start + SimTime(self.bin.0 * (self.first_open as u64 + 1));
            if end + self.grace > now {
                break;
            }
            self.fold(self.first_open);
            self.first_open += 1;
        }
    }

    fn fold(&mut self, b: usize) {
        let n = self.open.len();
        let h = &mut self.open[b % n];
        let ms = |v: Option<u64>| v.map_or(f64::NAN, |x| x as f64 / 1e6);
        let stats = &mut self.bins[b];
        stats.p50_ms = ms(h.quantile(0.5));
        stats.p99_ms = ms(h.quantile(0.99));
        stats.mean_ms = h.mean().map_or(f64::NAN, |m| m / 1e6);
        self.total.merge(h);
        h.clear();
    }

    /// Folds every remaining bin and returns the outcome data.
    pub(crate) fn finish(mut self) -> (Vec<BinStats>, LatencyHistogram) {
        while self.first_open < self.bins.len() {
            self.fold(self.first_open);
            self.first_open += 1;
        }
        (self.bins, self.total)
    }
}

/// A component's levels at one instant, for [`GaugeArea::advance`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Levels {
    /// Busy workers.
    pub(crate) busy: u32,
    /// Queued calls.
    pub(crate) queued: u32,
    /// Workers on instances that are up.
    pub(crate) capacity: u32,
    /// Instances up.
    pub(crate) up: u32,
    /// Instances up with every worker busy.
    pub(crate) full: u32,
}

/// Time-weighted gauge integrals for one component.
#[derive(Clone, Debug, Default)]
pub(crate) struct GaugeArea {
    last: SimTime,
    busy: f64,
    queued: f64,
    capacity: f64,
    up: f64,
    full: f64,
    served: u64,
    waited: u64,
    wait_ns: u64,
    lost: u64,
}

impl GaugeArea {
    /// Adds the current levels over `[last, now)`, clipped to after `start`.
    #[inline]
    pub(crate) fn advance(&mut self, now: SimTime, start: SimTime, levels: Levels) {
        let Levels {
            busy,
            queued,
            capacity,
            up,
            full,
        } = levels;
        let from = self.last.max(start);
        if now > from {
            let dt = (now - from).0 as f64;
            self.busy += busy as f64 * dt;
            self.queued += queued as f64 * dt;
            self.capacity += capacity as f64 * dt;
            self.up += up as f64 * dt;
            self.full += full as f64 * dt;
        }
        self.last = now;
    }

    /// Counts a call that got a worker after waiting `wait` \[ns\].
    #[inline]
    pub(crate) fn served(&mut self, wait: u64) {
        self.served += 1;
        if wait > 0 {
            self.waited += 1;
            self.wait_ns += wait;
        }
    }

    /// Counts a call the component lost.
    #[inline]
    pub(crate) fn lost(&mut self) {
        self.lost += 1;
    }

    /// The bin's means over `len` and its counts, resetting both.
    pub(crate) fn take(&mut self, len: SimTime) -> GaugeBin {
        let d = len.0.max(1) as f64;
        let g = GaugeBin {
            busy: self.busy / d,
            queued: self.queued / d,
            capacity: self.capacity / d,
            up: self.up / d,
            peak: 0.0,
            full: self.full / d,
            served: self.served as f64,
            waited: self.waited as f64,
            wait_ns: self.wait_ns as f64,
            lost: self.lost as f64,
        };
        self.busy = 0.0;
        self.queued = 0.0;
        self.capacity = 0.0;
        self.up = 0.0;
        self.full = 0.0;
        self.served = 0;
        self.waited = 0;
        self.wait_ns = 0;
        self.lost = 0;
        g
    }
}
