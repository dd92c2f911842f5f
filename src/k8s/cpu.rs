//! A container's CPU as the Linux scheduler gives it (domain.md §21).
//!
//! A request's service time is CPU time: each call in service is one thread
//! that needs so many CPU-nanoseconds. The running threads share the CPU the
//! container may use as a processor-sharing queue, tracked in virtual time
//! (`work`, the CPU each running thread has received so far), so only the
//! earliest finish needs an event:
//!
//! - without contention every thread runs on its own core (speed 1);
//! - on a contended node the container gets `cap` cores (its share by
//!   `cpu.shares`, see [`share_node`]), split between its threads;
//! - with a CPU limit the CFS bandwidth controller hands out a quota of
//!   `limit × 100 ms` per 100 ms period (`MilliCPUToQuota`); once it is
//!   spent every thread stalls until the period ends (throttling), so a
//!   limited container's latency stretches in 100 ms steps even on an idle
//!   node.
//!
//! The state machine knows nothing of the engine: the drill calls
//! [`Cpu::add`] when a call starts its work, [`Cpu::next_event`] for when to
//! look again, and [`Cpu::pop_done`] at that time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::engine::SimTime;

/// The CFS bandwidth period (`cpu.cfs_period_us` 100 ms, kubelet
/// `cpuCFSQuotaPeriod`; domain.md §21).
pub const CFS_PERIOD: SimTime = SimTime(100 * SimTime::MILLISECOND.0);

/// The quota per period for a limit of `limit_milli` millicores [ns]:
/// `limit × 100000 / 1000` µs, at least 1 ms (kubelet `MilliCPUToQuota`).
pub fn quota_of(limit_milli: u64) -> u64 {
    let us = limit_milli.saturating_mul(CFS_PERIOD.0 / 1_000) / 1_000;
    us.max(1_000).saturating_mul(1_000)
}

/// `cpu.shares` for a request of `request_milli` millicores: `request ×
/// 1024 / 1000`, at least 2; no request (BestEffort) gets 2
/// (kubelet `MilliCPUToShares`).
pub fn shares_of(request_milli: Option<u64>) -> u64 {
    request_milli.map_or(2, |m| (m.saturating_mul(1024) / 1000).max(2))
}

/// How the cores of a node are split when its containers want more than it
/// has: each container's `(demand, weight)` in cores and shares; returns the
/// cores each may use. Without contention every container gets all it
/// wants (`f64::INFINITY`: no cap); with it, the cores are water-filled in
/// proportion to the weights, and a container that wants less than its
/// portion leaves the rest to the others (CFS's weighted fair sharing).
pub fn share_node(cores: f64, wants: &[(f64, f64)]) -> Vec<f64> {
    let total: f64 = wants.iter().map(|w| w.0).sum();
    if total <= cores {
        return vec![f64::INFINITY; wants.len()];
    }
    let mut cap = vec![0.0; wants.len()];
    let mut open: Vec<usize> = (0..wants.len()).filter(|&i| wants[i].0 > 0.0).collect();
    let mut left = cores;
    loop {
        let weight: f64 = open.iter().map(|&i| wants[i].1).sum();
        if open.is_empty() || weight <= 0.0 {
            break;
        }
        let (sated, hungry): (Vec<usize>, Vec<usize>) = open
            .iter()
            .partition(|&&i| wants[i].0 <= left * wants[i].1 / weight);
        if sated.is_empty() {
            for &i in &hungry {
                cap[i] = left * wants[i].1 / weight;
            }
            break;
        }
        for &i in &sated {
            cap[i] = wants[i].0;
            left -= wants[i].0;
        }
        open = hungry;
    }
    cap
}

/// One container's CPU: its running threads, CFS quota and usage counters.
#[derive(Clone, Debug)]
pub struct Cpu {
    /// CPU per period under the limit [ns]; `None`: no limit.
    quota: Option<f64>,
    /// Cores the node lets it use (`INFINITY` without contention).
    cap: f64,
    /// Threads running (calls in service).
    threads: u32,
    /// The time the state below is valid at.
    last: SimTime,
    /// CPU each running thread has had, from the container's start [ns].
    work: f64,
    /// Quota left in this period [ns].
    quota_left: f64,
    /// The current period's end (`NEVER` without a limit).
    period_end: SimTime,
    /// The quota is spent: every thread waits for the period's end.
    throttled: bool,
    /// CPU used since the start [ns].
    usage: f64,
    /// Periods in which the container ran, and those that ended throttled
    /// (`nr_periods`, `nr_throttled` of `cpu.stat`).
    periods: u64,
    throttled_periods: u64,
    ran_this_period: bool,
    /// The threads by the virtual time they finish at (f64 bits, which
    /// order as the numbers do for positive values), with the caller's ids.
    finish: BinaryHeap<Reverse<(u64, u32, u32)>>,
}

/// Work within this much of a thread's finish counts as done [ns of CPU]:
/// finishes are scheduled on whole nanoseconds, rounded up.
const DONE_SLACK: f64 = 1.0;

impl Cpu {
    /// A container started at `now` with a CPU limit of `limit_milli`
    /// millicores, if any.
    pub fn new(now: SimTime, limit_milli: Option<u64>) -> Cpu {
        let quota = limit_milli.map(|l| quota_of(l) as f64);
        Cpu {
            quota,
            cap: f64::INFINITY,
            threads: 0,
            last: now,
            work: 0.0,
            quota_left: quota.unwrap_or(0.0),
            period_end: if quota.is_some() {
                now + CFS_PERIOD
            } else {
                SimTime::NEVER
            },
            throttled: false,
            usage: 0.0,
            periods: 0,
            throttled_periods: 0,
            ran_this_period: false,
            finish: BinaryHeap::new(),
        }
    }

    /// Threads running now.
    pub fn threads(&self) -> u32 {
        self.threads
    }

    /// The cores it would use if the node had them: its threads, at most
    /// its limit.
    pub fn demand(&self) -> f64 {
        let t = f64::from(self.threads);
        match self.quota {
            Some(q) => t.min(q / CFS_PERIOD.0 as f64),
            None => t,
        }
    }

    /// CPU used from its start until the last update [seconds].
    pub fn usage_secs(&self) -> f64 {
        self.usage / 1e9
    }

    /// `(nr_periods, nr_throttled)` so far.
    pub fn throttling(&self) -> (u64, u64) {
        (self.periods, self.throttled_periods)
    }

    /// True while the quota is spent.
    pub fn is_throttled(&self) -> bool {
        self.throttled
    }

    /// Each running thread's speed [cores].
    fn speed(&self) -> f64 {
        if self.throttled || self.threads == 0 {
            0.0
        } else {
            (self.cap / f64::from(self.threads)).min(1.0)
        }
    }

    /// Brings the state forward to `now`.
    pub fn advance(&mut self, now: SimTime) {
        while now > self.last {
            let speed = self.speed();
            let rate = speed * f64::from(self.threads);
            if rate == 0.0 && now >= self.period_end {
                // Idle (or throttled) through one or more period ends.
                self.end_period();
                if self.threads == 0 && now >= self.period_end {
                    let p = CFS_PERIOD.0;
                    let skipped = (now - self.period_end).0 / p + 1;
                    self.period_end = SimTime(self.period_end.0 + skipped * p);
                }
                continue;
            }
            let mut until = now.min(self.period_end);
            let mut spent = false;
            if rate > 0.0 && self.quota.is_some() {
                let ex = self.last + SimTime((self.quota_left / rate).ceil() as u64);
                if ex <= until {
                    until = ex;
                    spent = true;
                }
            }
            let dt = (until - self.last).0 as f64;
            self.work += speed * dt;
            self.usage += rate * dt;
            if rate > 0.0 {
                self.ran_this_period = true;
            }
            if self.quota.is_some() {
                self.quota_left = (self.quota_left - rate * dt).max(0.0);
            }
            self.last = until;
            if spent {
                self.quota_left = 0.0;
                self.throttled = true;
            }
            if until == self.period_end {
                self.end_period();
            }
        }
    }

    /// The period ends: count it, refill the quota.
    fn end_period(&mut self) {
        if self.ran_this_period {
            self.periods += 1;
            if self.throttled {
                self.throttled_periods += 1;
            }
        }
        self.ran_this_period = false;
        self.throttled = false;
        self.quota_left = self.quota.unwrap_or(0.0);
        self.last = self.last.max(self.period_end);
        self.period_end = self.period_end.saturating_add(CFS_PERIOD);
    }

    /// A thread needing `work` ns of CPU starts at `now`; `id` comes back
    /// from [`Cpu::pop_done`] when it is done.
    pub fn add(&mut self, now: SimTime, work: f64, id: (u32, u32)) {
        self.advance(now);
        let at = self.work + work.max(0.0);
        self.finish.push(Reverse((at.to_bits(), id.0, id.1)));
        self.threads += 1;
    }

    /// Sets the cores the node lets it use, from `now`.
    pub fn set_cap(&mut self, now: SimTime, cap: f64) {
        self.advance(now);
        self.cap = cap;
    }

    /// When something changes next (a thread finishes, the quota runs out,
    /// a period ends), as of the last update; `None` while no thread runs.
    pub fn next_event(&self) -> Option<SimTime> {
        let Reverse((head, _, _)) = *self.finish.peek()?;
        let speed = self.speed();
        let mut next = self.period_end;
        if speed > 0.0 {
            let left = (f64::from_bits(head) - self.work).max(0.0);
            next = next.min(self.last + SimTime((left / speed).ceil() as u64));
            if self.quota.is_some() {
                let rate = speed * f64::from(self.threads);
                next = next.min(self.last + SimTime((self.quota_left / rate).ceil() as u64));
            }
        }
        (next != SimTime::NEVER).then_some(next)
    }

    /// A thread whose work is done by `now`, if any (call repeatedly).
    pub fn pop_done(&mut self, now: SimTime) -> Option<(u32, u32)> {
        self.advance(now);
        let Reverse((head, a, b)) = *self.finish.peek()?;
        if f64::from_bits(head) > self.work + DONE_SLACK {
            return None;
        }
        self.finish.pop();
        self.threads -= 1;
        Some((a, b))
    }

    /// Every thread is gone at `now` (the container died).
    pub fn clear(&mut self, now: SimTime) {
        self.advance(now);
        self.finish.clear();
        self.threads = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = SimTime::MILLISECOND.0;

    fn ms(x: u64) -> SimTime {
        SimTime(x * MS)
    }

    /// Runs threads of the given work [ms] started at 0 to completion;
    /// returns their finish times [ms] in id order.
    fn run(limit: Option<u64>, works: &[f64]) -> Vec<f64> {
        let mut c = Cpu::new(SimTime::ZERO, limit);
        for (i, &w) in works.iter().enumerate() {
            c.add(SimTime::ZERO, w * MS as f64, (i as u32, 0));
        }
        let mut done = vec![f64::NAN; works.len()];
        while let Some(t) = c.next_event() {
            while let Some((i, _)) = c.pop_done(t) {
                done[i as usize] = t.as_millis_f64();
            }
        }
        done
    }

    #[test]
    fn quota_and_shares_follow_the_kubelet() {
        assert_eq!(quota_of(1000), 100 * MS);
        assert_eq!(quota_of(250), 25 * MS);
        // Below 10m the quota is raised to the 1 ms floor.
        assert_eq!(quota_of(5), MS);
        assert_eq!(shares_of(Some(250)), 256);
        assert_eq!(shares_of(Some(1)), 2);
        assert_eq!(shares_of(None), 2);
    }

    #[test]
    fn unlimited_threads_run_at_full_speed() {
        assert_eq!(run(None, &[30.0, 70.0]), vec![30.0, 70.0]);
    }

    #[test]
    fn a_limit_throttles_in_whole_periods() {
        // 500m: 50 ms of CPU per 100 ms period. A 120 ms request runs
        // 50 ms, waits 50, runs 50, waits 50, runs 20: done at 220 ms
        // (a fluid half-core would say 240 ms).
        assert_eq!(run(Some(500), &[120.0]), vec![220.0]);
        // Two threads against 1 CPU: the quota goes in 50 ms of wall time.
        // Each gets 50 ms per period: 80 ms of work ends at 100 + 30.
        assert_eq!(run(Some(1000), &[80.0, 80.0]), vec![130.0, 130.0]);
        let mut c = Cpu::new(SimTime::ZERO, Some(500));
        c.add(SimTime::ZERO, 120.0 * MS as f64, (0, 0));
        while let Some(t) = c.next_event() {
            while c.pop_done(t).is_some() {}
        }
        c.advance(ms(300));
        assert_eq!(c.throttling(), (3, 2));
        assert!((c.usage_secs() - 0.120).abs() < 1e-9);
    }

    #[test]
    fn a_contended_node_splits_by_weight() {
        // 4 cores; demands 4 and 4 with weights 1024 and 3072: 1 and 3.
        assert_eq!(share_node(4.0, &[(4.0, 1024.0), (4.0, 3072.0)]), [1.0, 3.0]);
        // A small demand keeps what it asks; the rest goes to the other.
        assert_eq!(share_node(4.0, &[(0.5, 1024.0), (6.0, 1024.0)]), [0.5, 3.5]);
        assert!(share_node(4.0, &[(1.0, 2.0), (2.0, 2.0)])[0].is_infinite());
        // A capped container slows its threads: 2 threads on 1 core.
        let mut c = Cpu::new(SimTime::ZERO, None);
        c.set_cap(SimTime::ZERO, 1.0);
        c.add(SimTime::ZERO, 10.0 * MS as f64, (0, 0));
        c.add(SimTime::ZERO, 10.0 * MS as f64, (1, 0));
        assert_eq!(c.next_event(), Some(ms(20)));
    }
}
