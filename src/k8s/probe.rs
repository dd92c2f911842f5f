//! One container probe (startup, liveness or readiness) as the kubelet's
//! prober worker runs it (domain.md §2; k8s: pkg/kubelet/prober/worker.go).
//!
//! - Before any result counts, the probe holds its initial value: readiness
//!   fails (the pod is not Ready), liveness succeeds, startup is unknown (not
//!   started). A container without a readiness probe is Ready at once.
//! - Results during `initial_delay` after the container started are skipped.
//! - A run of equal results changes the probe's value once it reaches the
//!   threshold: `success_threshold` successes or `failure_threshold` failures.
//! - A failed liveness or startup probe means "kill the container"; the probe
//!   then stops until the next container starts.
//! - A startup probe stops once it has passed; liveness and readiness only
//!   run after that (the caller holds them off while startup has not passed).
//! - A probe not answered within `timeout` fails ([`Probe::passes`]).

use crate::engine::SimTime;
use crate::model::k8s_spec::{ProbeKind, ProbeSpec};

/// What a probe result changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Nothing: below a threshold, skipped, or the same value again.
    Unchanged,
    /// The probe now passes: Ready (readiness), started (startup).
    Passed,
    /// The probe now fails: not Ready (readiness), kill the container
    /// (liveness, startup).
    Failed,
}

/// The state of one probe on the current container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    kind: ProbeKind,
    spec: ProbeSpec,
    started_at: SimTime,
    /// The published value; `None` is "unknown" (a startup probe before its verdict).
    value: Option<bool>,
    /// The last raw result and how many times in a row it came.
    last: Option<bool>,
    run: u32,
    /// After a liveness or startup failure: stop until a new container starts.
    on_hold: bool,
}

impl Probe {
    /// A probe for a container that started at `started_at`.
    pub fn new(kind: ProbeKind, spec: ProbeSpec, started_at: SimTime) -> Self {
        Probe {
            kind,
            spec,
            started_at,
            value: Self::initial_value(kind),
            last: None,
            run: 0,
            on_hold: false,
        }
    }

    /// The value before any result counts (`initialValue` in worker.go).
    fn initial_value(kind: ProbeKind) -> Option<bool> {
        match kind {
            ProbeKind::Readiness => Some(false),
            ProbeKind::Liveness => Some(true),
            ProbeKind::Startup => None,
        }
    }

    /// Which probe this is.
    pub fn kind(&self) -> ProbeKind {
        self.kind
    }

    /// Its settings.
    pub fn spec(&self) -> &ProbeSpec {
        &self.spec
    }

    /// A new container started at `now` (after a restart): back to the
    /// initial value, thresholds counted afresh.
    pub fn on_container_start(&mut self, now: SimTime) {
        *self = Probe::new(self.kind, self.spec, now);
    }

    /// When the first probe that counts can run: container start + `initial_delay`.
    pub fn first_probe_at(&self) -> SimTime {
        self.started_at + self.spec.initial_delay
    }

    /// When to probe next after probing at `now`; [`SimTime::NEVER`] when the
    /// probe has stopped (on hold, or a startup probe that passed).
    pub fn next_probe_at(&self, now: SimTime) -> SimTime {
        if self.stopped() {
            SimTime::NEVER
        } else {
            now.max(self.first_probe_at().saturating_sub(self.spec.period)) + self.spec.period
        }
    }

    fn stopped(&self) -> bool {
        self.on_hold || (self.kind == ProbeKind::Startup && self.value == Some(true))
    }

    /// Whether a probe answered after `response` (or not at all: `None`)
    /// counts as a success: it must come within `timeout`.
    pub fn passes(&self, response: Option<SimTime>) -> bool {
        response.is_some_and(|t| t <= self.spec.timeout)
    }

    /// Records the result of a probe run at `now` and says what changed.
    pub fn on_result(&mut self, now: SimTime, ok: bool) -> Transition {
        if self.stopped() || now < self.first_probe_at() {
            return Transition::Unchanged;
        }
        if self.last == Some(ok) {
            self.run = self.run.saturating_add(1);
        } else {
            self.last = Some(ok);
            self.run = 1;
        }
        let threshold = if ok {
            self.spec.success_threshold
        } else {
            self.spec.failure_threshold
        };
        if self.run < threshold {
            return Transition::Unchanged;
        }
        let before = self.value;
        self.value = Some(ok);
        if !ok && self.kind != ProbeKind::Readiness {
            self.on_hold = true;
            self.run = 0;
        }
        match (before == Some(ok), ok) {
            (true, _) => Transition::Unchanged,
            (false, true) => Transition::Passed,
            (false, false) => Transition::Failed,
        }
    }

    /// True while the probe passes: Ready, alive, or started.
    pub fn is_passing(&self) -> bool {
        self.value == Some(true)
    }
}

/// Whether a container with this readiness probe (or none) is Ready before
/// any probe has run: only a container without one.
pub fn ready_before_first_probe(readiness: Option<&ProbeSpec>) -> bool {
    readiness.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * SimTime::SECOND.0)
    }

    fn run(p: &mut Probe, results: &[(u64, bool)]) -> Vec<Transition> {
        results
            .iter()
            .map(|&(t, ok)| p.on_result(s(t), ok))
            .collect()
    }

    use Transition::{Failed, Passed, Unchanged};

    #[test]
    fn readiness_starts_not_ready_and_follows_the_thresholds() {
        assert!(ready_before_first_probe(None));
        assert!(!ready_before_first_probe(Some(&ProbeSpec::default())));
        let mut p = Probe::new(ProbeKind::Readiness, ProbeSpec::default(), s(0));
        assert!(!p.is_passing());
        // One success (threshold 1) makes it Ready.
        assert_eq!(run(&mut p, &[(0, true)]), vec![Passed]);
        // Three failures in a row (threshold 3) take it out; a success in
        // between starts the count again.
        let t = run(
            &mut p,
            &[
                (10, false),
                (20, false),
                (30, true),
                (40, false),
                (50, false),
                (60, false),
                (70, false),
            ],
        );
        assert_eq!(
            t,
            vec![
                Unchanged, Unchanged, Unchanged, Unchanged, Unchanged, Failed, Unchanged
            ]
        );
        assert!(!p.is_passing());
        // Readiness keeps probing after a failure; one success brings it back.
        assert_eq!(p.next_probe_at(s(70)), s(80));
        assert_eq!(run(&mut p, &[(80, true)]), vec![Passed]);
    }

    #[test]
    fn initial_delay_skips_early_results_and_sets_the_first_probe() {
        let spec = ProbeSpec {
            initial_delay: s(15),
            success_threshold: 2,
            ..ProbeSpec::default()
        };
        let mut p = Probe::new(ProbeKind::Readiness, spec, s(100));
        assert_eq!(p.first_probe_at(), s(115));
        assert_eq!(p.next_probe_at(s(100)), s(115));
        assert_eq!(
            run(&mut p, &[(110, true), (115, true), (125, true)]),
            vec![Unchanged, Unchanged, Passed]
        );
    }

    #[test]
    fn liveness_failure_kills_once_and_waits_for_the_next_container() {
        let mut p = Probe::new(ProbeKind::Liveness, ProbeSpec::default(), s(0));
        assert!(p.is_passing());
        assert_eq!(
            run(&mut p, &[(10, false), (20, false), (30, false)]),
            vec![Unchanged, Unchanged, Failed]
        );
        assert_eq!(p.next_probe_at(s(30)), SimTime::NEVER);
        assert_eq!(
            run(&mut p, &[(40, false), (50, true)]),
            vec![Unchanged, Unchanged]
        );
        p.on_container_start(s(60));
        assert!(p.is_passing());
        assert_eq!(p.next_probe_at(s(60)), s(70));
        // A fresh count: two failures are not enough.
        assert_eq!(
            run(&mut p, &[(70, false), (80, false)]),
            vec![Unchanged, Unchanged]
        );
    }

    #[test]
    fn startup_probe_passes_once_then_stops() {
        let spec = ProbeSpec {
            failure_threshold: 30,
            ..ProbeSpec::default()
        };
        let mut p = Probe::new(ProbeKind::Startup, spec, s(0));
        assert!(!p.is_passing());
        assert_eq!(
            run(&mut p, &[(0, false), (10, true)]),
            vec![Unchanged, Passed]
        );
        assert_eq!(p.next_probe_at(s(10)), SimTime::NEVER);
        assert_eq!(
            run(&mut p, &[(20, false), (30, false), (40, false)]),
            vec![Unchanged; 3]
        );
        assert!(p.is_passing());
    }

    #[test]
    fn slow_answers_fail() {
        let p = Probe::new(ProbeKind::Readiness, ProbeSpec::default(), s(0));
        assert!(p.passes(Some(SimTime(999 * SimTime::MILLISECOND.0))));
        assert!(p.passes(Some(s(1))));
        assert!(!p.passes(Some(s(2))));
        assert!(!p.passes(None));
    }
}
