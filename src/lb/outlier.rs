//! Passive outlier ejection on consecutive 5xx, as Envoy does it
//! (domain.md §12; envoy: source/common/upstream/outlier_detection_impl.cc).
//!
//! - Each backend counts consecutive 5xx (connect failures and timeouts
//!   count too); any success resets the count. Reaching exactly
//!   `consecutive_5xx` ejects it at once, unless the ejected share would
//!   exceed `max_ejection_percent` (`100 × (ejected + 1) / backends`), or it
//!   is already ejected; either way the count restarts.
//! - Each ejection raises the backend's multiplier (until `base × multiplier`
//!   passes `max + base`); the ejection lasts
//!   `min(base_ejection_time × multiplier, max_ejection_time)`.
//! - Ejected backends only return at a sweep, every `interval` from the
//!   detector's start, once their time is served: 30-40 s the first time.
//! - At each sweep, a backend that is in and came back at least an
//!   `interval` ago has its multiplier lowered by one.
//!
//! The ejection-time jitter (`max_ejection_time_jitter`, default 0) is not
//! modelled.

use crate::engine::SimTime;
use crate::model::k8s_spec::OutlierSpec;

/// Outlier state of one backend (`DetectorHostMonitorImpl`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Backend {
    consecutive_5xx: u32,
    ejected_at: Option<SimTime>,
    multiplier: u32,
    last_return: Option<SimTime>,
    ejections: u32,
}

/// The outlier detector of one cluster of backends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlierDetector {
    spec: OutlierSpec,
    backends: Vec<Backend>,
    ejected: usize,
    next_sweep: SimTime,
}

impl OutlierDetector {
    /// A detector for `backends` backends, started at `now`; the first sweep
    /// is one `interval` later.
    pub fn new(spec: OutlierSpec, backends: usize, now: SimTime) -> Self {
        OutlierDetector {
            next_sweep: now + spec.interval,
            spec,
            backends: vec![Backend::default(); backends],
            ejected: 0,
        }
    }

    /// When the next sweep runs (the drill may schedule it, or just call
    /// [`Self::advance`]).
    pub fn next_sweep_at(&self) -> SimTime {
        self.next_sweep
    }

    /// Runs every sweep due at or before `now`.
    pub fn advance(&mut self, now: SimTime) {
        while self.next_sweep <= now {
            let at = self.next_sweep;
            self.sweep(at);
            self.next_sweep = at + self.spec.interval;
        }
    }

    /// One sweep (`onIntervalTimer`): return backends whose time is served,
    /// then lower the multiplier of backends that have stayed in.
    fn sweep(&mut self, at: SimTime) {
        let (base, max) = (self.spec.base_ejection_time, self.spec.max_ejection_time);
        for b in &mut self.backends {
            if let Some(since) = b.ejected_at {
                let time = SimTime(base.0.saturating_mul(u64::from(b.multiplier))).min(max);
                if at.saturating_sub(since) >= time {
                    b.ejected_at = None;
                    b.consecutive_5xx = 0;
                    b.last_return = Some(at);
                    self.ejected -= 1;
                }
            }
        }
        for b in &mut self.backends {
            if b.ejected_at.is_none()
                && b.last_return
                    .is_some_and(|r| at.saturating_sub(r) >= self.spec.interval)
            {
                b.multiplier = b.multiplier.saturating_sub(1);
            }
        }
    }

    /// Records a response from `backend` at `now` (`ok`: not a 5xx, connect
    /// failure or timeout). Returns true when this response ejected it.
    pub fn record(&mut self, now: SimTime, backend: usize, ok: bool) -> bool {
        self.advance(now);
        let b = &mut self.backends[backend];
        if ok {
            b.consecutive_5xx = 0;
            return false;
        }
        b.consecutive_5xx = b.consecutive_5xx.saturating_add(1);
        if b.consecutive_5xx != self.spec.consecutive_5xx || b.ejected_at.is_some() {
            return false;
        }
        let allowed = 100 * (self.ejected + 1)
            <= self.spec.max_ejection_percent as usize * self.backends.len()
            || (self.spec.always_eject_one_host && self.ejected == 0);
        let b = &mut self.backends[backend];
        b.consecutive_5xx = 0;
        if !allowed {
            return false;
        }
        b.ejected_at = Some(now);
        b.ejections += 1;
        let (base, max) = (
            self.spec.base_ejection_time.0,
            self.spec.max_ejection_time.0,
        );
        if base.saturating_mul(u64::from(b.multiplier)) < max.saturating_add(base) {
            b.multiplier += 1;
        }
        self.ejected += 1;
        true
    }

    /// True when `backend` is ejected at `now` (sweeps due by then run first).
    pub fn is_ejected(&mut self, now: SimTime, backend: usize) -> bool {
        self.advance(now);
        self.backends[backend].ejected_at.is_some()
    }

    /// True when `backend` was ejected as of the last sweep or record (call
    /// [`Self::advance`] first to bring sweeps up to date).
    pub fn is_ejected_as_of_last_advance(&self, backend: usize) -> bool {
        self.backends
            .get(backend)
            .is_some_and(|b| b.ejected_at.is_some())
    }

    /// Follows the cluster to `backends` hosts (a scale-up adds fresh hosts;
    /// a scale-down forgets the removed ones, returning any that were ejected).
    pub fn resize(&mut self, backends: usize) {
        if backends < self.backends.len() {
            let gone = self.backends[backends..]
                .iter()
                .filter(|b| b.ejected_at.is_some())
                .count();
            self.ejected -= gone;
        }
        self.backends.resize(backends, Backend::default());
    }

    /// Backends ejected now (as of the last sweep or record).
    pub fn ejected_count(&self) -> usize {
        self.ejected
    }

    /// How many times `backend` has been ejected.
    pub fn ejections(&self, backend: usize) -> u32 {
        self.backends[backend].ejections
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * SimTime::SECOND.0)
    }

    fn fail(d: &mut OutlierDetector, at: SimTime, backend: usize, n: u32) -> Vec<bool> {
        (0..n).map(|_| d.record(at, backend, false)).collect()
    }

    #[test]
    fn a_failing_backend_is_ejected_after_five_5xx_and_returns_at_a_sweep() {
        let mut d = OutlierDetector::new(OutlierSpec::default(), 10, SimTime::ZERO);
        assert_eq!(
            fail(&mut d, s(3), 0, 5),
            vec![false, false, false, false, true]
        );
        assert!(d.is_ejected(s(3), 0));
        assert_eq!(d.ejected_count(), 1);
        // Failures while it is out (requests already sent) change nothing.
        assert_eq!(fail(&mut d, s(10), 0, 10), vec![false; 10]);
        assert_eq!(d.ejections(0), 1);
        // 30 s are served at 33 s, but sweeps come at 10, 20, 30, 40 s.
        assert!(d.is_ejected(s(39), 0));
        assert!(!d.is_ejected(s(40), 0));
        assert_eq!(d.ejected_count(), 0);
        // The count restarted: four more failures do not eject it.
        assert_eq!(fail(&mut d, s(41), 0, 4), vec![false; 4]);
        // The fifth does, for 2 × 30 s: back at the first sweep from 101 s.
        assert!(d.record(s(41), 0, false));
        assert!(d.is_ejected(s(100), 0));
        assert!(!d.is_ejected(s(110), 0));
        assert_eq!(d.ejections(0), 2);
    }

    #[test]
    fn a_success_resets_the_count() {
        let mut d = OutlierDetector::new(OutlierSpec::default(), 10, SimTime::ZERO);
        fail(&mut d, s(1), 0, 4);
        assert!(!d.record(s(1), 0, true));
        assert_eq!(fail(&mut d, s(1), 0, 4), vec![false; 4]);
        assert!(!d.is_ejected(s(2), 0));
    }

    #[test]
    fn the_multiplier_decays_while_the_backend_stays_in() {
        let mut d = OutlierDetector::new(OutlierSpec::default(), 10, SimTime::ZERO);
        fail(&mut d, s(1), 0, 5);
        assert!(!d.is_ejected(s(40), 0)); // back at 40 s, multiplier 1
        // Healthy at the 50 s sweep: multiplier 0; the next ejection is 30 s again.
        assert!(!d.record(s(55), 0, true));
        fail(&mut d, s(55), 0, 5);
        assert!(d.is_ejected(s(80), 0));
        assert!(!d.is_ejected(s(90), 0));
    }

    #[test]
    fn the_ejected_share_stays_within_max_ejection_percent() {
        // 20 backends at 10 %: two may be out, not three.
        let mut d = OutlierDetector::new(OutlierSpec::default(), 20, SimTime::ZERO);
        for b in 0..3 {
            fail(&mut d, s(1), b, 5);
        }
        assert!(d.is_ejected(s(1), 0) && d.is_ejected(s(1), 1));
        assert!(!d.is_ejected(s(1), 2));
        assert_eq!(d.ejected_count(), 2);
        // Three backends: one would be 33 % > 10 %, so none is ejected...
        let mut d = OutlierDetector::new(OutlierSpec::default(), 3, SimTime::ZERO);
        assert_eq!(fail(&mut d, s(1), 0, 5), vec![false; 5]);
        // ...unless always_eject_one_host is set, and then only one.
        let spec = OutlierSpec {
            always_eject_one_host: true,
            ..OutlierSpec::default()
        };
        let mut d = OutlierDetector::new(spec, 3, SimTime::ZERO);
        assert!(fail(&mut d, s(1), 0, 5)[4]);
        assert!(!fail(&mut d, s(1), 1, 5)[4]);
        assert_eq!(d.ejected_count(), 1);
    }

    #[test]
    fn ejection_time_is_capped() {
        let spec = OutlierSpec {
            max_ejection_time: s(60),
            max_ejection_percent: 100,
            ..OutlierSpec::default()
        };
        let mut d = OutlierDetector::new(spec, 1, SimTime::ZERO);
        let mut back = SimTime::ZERO;
        let mut served = Vec::new();
        for _ in 0..4 {
            // Fail right after coming back, at a sweep.
            let at = back;
            fail(&mut d, at, 0, 5);
            back = at;
            while d.is_ejected(back, 0) {
                back = d.next_sweep_at();
            }
            served.push((back - at).0 / SimTime::SECOND.0);
        }
        // 30 s, then 2 × 30 s, then the 60 s cap however often it fails.
        assert_eq!(served, vec![30, 60, 60, 60]);
    }
}
