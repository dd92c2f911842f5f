//! The kubelet's CrashLoopBackOff for one container (domain.md §1).
//!
//! Upstream, `doBackOff` (k8s: pkg/kubelet/kuberuntime/kuberuntime_manager.go)
//! keeps one entry per container key in a client-go `Backoff`
//! (staging/src/k8s.io/client-go/util/flowcontrol/backoff.go):
//!
//! - No entry (or an expired one) at a crash: restart at once and create the
//!   entry with the initial 10 s.
//! - Otherwise wait until `crash + backoff`; at that restart the entry doubles
//!   (capped at 300 s) and records the restart as its last update.
//! - An entry expires when the crash comes more than 2 × max = 600 s after
//!   its last update (`hasExpired`), which gives a full reset.
//! - The key holds the container spec hash, so a new spec starts afresh.
//!
//! The waits between a crash and the next start are therefore
//! 0, 10, 20, 40, 80, 160, 300, 300, … s. The kubelet only notices the end of
//! a wait at its next pod sync, so real gaps run a few seconds longer; the
//! caller may add that delay.

use crate::engine::SimTime;

/// The kubelet's initial backoff, `backOffPeriod` (k8s: pkg/kubelet/kubelet.go).
pub const INITIAL_BACKOFF: SimTime = SimTime(10 * SimTime::SECOND.0);
/// The cap, `MaxContainerBackOff` (k8s: pkg/kubelet/kubelet.go).
pub const MAX_BACKOFF: SimTime = SimTime(300 * SimTime::SECOND.0);

/// The backoff entry of one container key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    /// The wait the next crash will get.
    backoff: SimTime,
    /// When the entry was last updated (the last restart decision).
    last_update: SimTime,
}

/// CrashLoopBackOff for one container of one pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrashLoop {
    initial: SimTime,
    max: SimTime,
    entry: Option<Entry>,
    restarts: u32,
    waiting_until: SimTime,
}

impl Default for CrashLoop {
    fn default() -> Self {
        CrashLoop::new()
    }
}

impl CrashLoop {
    /// A container with no crash history and the kubelet's defaults (10 s, 300 s).
    pub fn new() -> Self {
        CrashLoop::with_limits(INITIAL_BACKOFF, MAX_BACKOFF)
    }

    /// With other limits, e.g. the alpha `ReduceDefaultCrashLoopBackOffDecay`
    /// (1 s, 60 s) or a per-node `KubeletCrashLoopBackOffMax` (KEP-4603, KEP-5593).
    pub fn with_limits(initial: SimTime, max: SimTime) -> Self {
        CrashLoop {
            initial,
            max: max.max(initial),
            entry: None,
            restarts: 0,
            waiting_until: SimTime::ZERO,
        }
    }

    /// The container exited at `now` (crash, OOM kill, liveness kill) and
    /// its restart policy restarts it: returns when it starts again.
    ///
    /// ```
    /// use resim::engine::SimTime;
    /// use resim::k8s::CrashLoop;
    /// let s = |x: u64| SimTime(x * SimTime::SECOND.0);
    /// let mut c = CrashLoop::new();
    /// assert_eq!(c.on_exit(s(60)), s(60)); // first crash: at once
    /// assert_eq!(c.on_exit(s(61)), s(71)); // then 10 s, 20 s, ...
    /// assert_eq!(c.restarts(), 2);
    /// ```
    pub fn on_exit(&mut self, now: SimTime) -> SimTime {
        let restart_at = match self.entry {
            Some(e) if !self.expired(now, e) => {
                let at = now + e.backoff;
                // `Backoff.Next` runs at the restart: double, cap, stamp.
                self.entry = Some(Entry {
                    backoff: e.backoff.saturating_add(e.backoff).min(self.max),
                    last_update: at,
                });
                at
            }
            _ => {
                self.entry = Some(Entry {
                    backoff: self.initial,
                    last_update: now,
                });
                now
            }
        };
        self.restarts += 1;
        self.waiting_until = restart_at;
        restart_at
    }

    /// `hasExpired`: the crash came more than 2 × max after the last update.
    fn expired(&self, crash: SimTime, e: Entry) -> bool {
        crash.saturating_sub(e.last_update) > self.max.saturating_add(self.max)
    }

    /// The container spec changed (new image or settings): a new key, so the
    /// next crash restarts at once. The restart count is kept.
    pub fn on_spec_change(&mut self) {
        self.entry = None;
    }

    /// Restarts so far (the RESTARTS column of `kubectl get pods`).
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// True while the container waits to restart (status `CrashLoopBackOff`).
    pub fn is_waiting(&self, now: SimTime) -> bool {
        now < self.waiting_until
    }

    /// When the container restarts after its last exit.
    pub fn restart_at(&self) -> SimTime {
        self.waiting_until
    }

    /// The wait the next crash would get if it came at `now`, `None` for none.
    pub fn next_wait(&self, now: SimTime) -> Option<SimTime> {
        self.entry
            .filter(|&e| !self.expired(now, e))
            .map(|e| e.backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * SimTime::SECOND.0)
    }

    /// A container that crashes `run` after each start: the waits between
    /// crash and restart, for `n` crashes from t = 0.
    fn waits(run: SimTime, n: usize) -> Vec<u64> {
        let mut c = CrashLoop::new();
        let mut started = SimTime::ZERO;
        (0..n)
            .map(|_| {
                let crash = started + run;
                started = c.on_exit(crash);
                (started - crash).0 / SimTime::SECOND.0
            })
            .collect()
    }

    #[test]
    fn crashing_at_every_start_follows_the_kubelet_sequence() {
        assert_eq!(
            waits(s(1), 10),
            vec![0, 10, 20, 40, 80, 160, 300, 300, 300, 300]
        );
        // Crashing at the very moment of starting changes nothing.
        assert_eq!(
            waits(SimTime::ZERO, 8),
            vec![0, 10, 20, 40, 80, 160, 300, 300]
        );
    }

    #[test]
    fn exact_restart_times_and_count() {
        let mut c = CrashLoop::new();
        assert_eq!(c.on_exit(s(5)), s(5));
        assert_eq!(c.on_exit(s(6)), s(16));
        assert!(c.is_waiting(s(10)) && !c.is_waiting(s(16)));
        assert_eq!(c.on_exit(s(20)), s(40));
        assert_eq!(c.restarts(), 3);
        assert_eq!(c.next_wait(s(41)), Some(s(40)));
    }

    #[test]
    fn a_run_longer_than_ten_minutes_resets_the_backoff() {
        let mut c = CrashLoop::new();
        let mut t = SimTime::ZERO;
        for _ in 0..8 {
            t = c.on_exit(t + s(1));
        }
        assert_eq!(c.next_wait(t + s(1)), Some(s(300)));
        // Last update at the last restart `t`; 600 s later is not yet expired.
        let crash = t + s(600);
        assert_eq!(c.on_exit(crash), crash + s(300));
        // 600 s plus one nanosecond after the last update: immediate, then 10 s.
        let t = crash + s(300);
        let crash = t + s(600) + SimTime(1);
        assert_eq!(c.on_exit(crash), crash);
        assert_eq!(c.on_exit(crash + s(1)), crash + s(11));
        assert_eq!(c.on_exit(crash + s(12)), crash + s(32));
    }

    #[test]
    fn a_new_spec_starts_a_fresh_backoff() {
        let mut c = CrashLoop::new();
        let mut t = SimTime::ZERO;
        for _ in 0..5 {
            t = c.on_exit(t + s(1));
        }
        c.on_spec_change();
        assert_eq!(c.on_exit(t + s(1)), t + s(1));
        assert_eq!(c.on_exit(t + s(2)), t + s(12));
        assert_eq!(c.restarts(), 7);
    }

    #[test]
    fn other_limits_follow_the_same_rule() {
        let mut c = CrashLoop::with_limits(SimTime::SECOND, s(60));
        let mut t = SimTime::ZERO;
        let mut seen = Vec::new();
        for _ in 0..9 {
            let crash = t + s(1);
            t = c.on_exit(crash);
            seen.push((t - crash).0 / SimTime::SECOND.0);
        }
        assert_eq!(seen, vec![0, 1, 2, 4, 8, 16, 32, 60, 60]);
    }
}
