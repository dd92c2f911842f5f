//! An Argo Rollouts canary as a state machine (domain.md §22): it walks its
//! steps (a `setWeight` step is done once the canary's pods for that weight
//! are available, a `pause` after its duration), and its background
//! analysis judges one measurement per interval: the success condition
//! false is a failed measurement, no data an error; more failures than
//! `failureLimit`, or more consecutive errors than `consecutiveErrorLimit`,
//! abort the rollout: the canary's weight goes to 0 and the stable version
//! serves everything again (the spec is not reverted). After the last step
//! the canary is promoted (weight 100).

use crate::engine::SimTime;
use crate::model::k8s_spec::{CanarySpec, CanaryStep};

/// Where a canary rollout is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CanaryPhase {
    /// Walking the steps.
    Progressing,
    /// The analysis failed: weight 0, Degraded.
    Aborted,
    /// Every step passed: the canary takes all traffic.
    Promoted,
}

/// One measurement's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measurement {
    /// The success condition held.
    Successful,
    /// It did not.
    Failed,
    /// No data (the canary served no call in the interval).
    Error,
}

/// A canary rollout in progress.
#[derive(Clone, Debug)]
pub struct Canary {
    spec: CanarySpec,
    step: usize,
    weight: u32,
    /// The end of the running pause.
    pause_until: Option<SimTime>,
    phase: CanaryPhase,
    failed: u32,
    errors_in_a_row: u32,
    next_measure: SimTime,
}

impl Canary {
    /// A rollout started at `now` (weight 0 until its first `setWeight`).
    pub fn new(spec: CanarySpec, now: SimTime) -> Canary {
        let first = spec.analysis.map_or(SimTime::NEVER, |a| now + a.interval);
        Canary {
            spec,
            step: 0,
            weight: 0,
            pause_until: None,
            phase: CanaryPhase::Progressing,
            failed: 0,
            errors_in_a_row: 0,
            next_measure: first,
        }
    }

    /// The canary's traffic weight now [%].
    pub fn weight(&self) -> u32 {
        self.weight
    }

    /// Where it is.
    pub fn phase(&self) -> CanaryPhase {
        self.phase
    }

    /// When the analysis measures next (`NEVER` without one or once over).
    pub fn next_measure(&self) -> SimTime {
        if self.phase == CanaryPhase::Progressing {
            self.next_measure
        } else {
            SimTime::NEVER
        }
    }

    /// Walks the steps at `now`; `available` tells whether the canary has
    /// the pods its weight asks for. Returns true when the weight changed.
    pub fn step(&mut self, now: SimTime, available: bool) -> bool {
        let before = self.weight;
        while self.phase == CanaryPhase::Progressing {
            match self.spec.steps.get(self.step).copied() {
                None => {
                    self.phase = CanaryPhase::Promoted;
                    self.weight = 100;
                }
                // A new weight: its pods are asked for now, judged next time.
                Some(CanaryStep::SetWeight(w)) if self.weight != w => {
                    self.weight = w;
                    break;
                }
                Some(CanaryStep::SetWeight(_)) if available => self.step += 1,
                Some(CanaryStep::SetWeight(_)) => break,
                Some(CanaryStep::Pause(d)) => {
                    let until = *self.pause_until.get_or_insert(now + d);
                    if now < until {
                        break;
                    }
                    self.pause_until = None;
                    self.step += 1;
                }
            }
        }
        self.weight != before
    }

    /// The analysis measures at `now`: `ok` and `failed` calls the canary
    /// answered since the last measurement. Returns the verdict (`None`
    /// when none is due); a verdict that ends the run aborts the rollout.
    pub fn measure(&mut self, now: SimTime, ok: u64, failed: u64) -> Option<Measurement> {
        let a = self.spec.analysis?;
        if self.phase != CanaryPhase::Progressing || now < self.next_measure {
            return None;
        }
        self.next_measure = now + a.interval;
        let m = if ok + failed == 0 {
            Measurement::Error
        } else if ok as f64 / (ok + failed) as f64 >= a.success_rate {
            Measurement::Successful
        } else {
            Measurement::Failed
        };
        match m {
            Measurement::Error => self.errors_in_a_row += 1,
            Measurement::Failed => {
                self.failed += 1;
                self.errors_in_a_row = 0;
            }
            Measurement::Successful => self.errors_in_a_row = 0,
        }
        if self.failed > a.failure_limit || self.errors_in_a_row > a.consecutive_error_limit {
            self.phase = CanaryPhase::Aborted;
            self.weight = 0;
        }
        Some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s_spec::AnalysisSpec;

    fn s(x: u64) -> SimTime {
        SimTime(x * SimTime::SECOND.0)
    }

    fn spec(failure_limit: u32) -> CanarySpec {
        CanarySpec {
            steps: vec![
                CanaryStep::SetWeight(25),
                CanaryStep::Pause(s(60)),
                CanaryStep::SetWeight(50),
                CanaryStep::Pause(s(60)),
            ],
            analysis: Some(AnalysisSpec {
                interval: s(30),
                success_rate: 0.95,
                failure_limit,
                consecutive_error_limit: 4,
            }),
        }
    }

    #[test]
    fn steps_wait_for_pods_and_pauses_then_promote() {
        let mut c = Canary::new(spec(0), s(0));
        assert!(c.step(s(0), false));
        assert_eq!(c.weight(), 25);
        // Not available yet: stays at the step.
        assert!(!c.step(s(5), false));
        c.step(s(10), true); // pause starts at 10 s
        assert_eq!(c.weight(), 25);
        c.step(s(69), true);
        assert_eq!(c.weight(), 25);
        c.step(s(70), true);
        assert_eq!(c.weight(), 50);
        c.step(s(71), true); // second pause from 71 s
        c.step(s(131), true);
        assert_eq!((c.weight(), c.phase()), (100, CanaryPhase::Promoted));
    }

    #[test]
    fn analysis_aborts_after_the_failure_limit_or_five_errors() {
        // failureLimit 1: the second failed measurement aborts.
        let mut c = Canary::new(spec(1), s(0));
        c.step(s(0), true);
        assert_eq!(c.measure(s(10), 90, 10), None, "not due");
        assert_eq!(c.measure(s(30), 99, 1), Some(Measurement::Successful));
        assert_eq!(c.measure(s(60), 90, 10), Some(Measurement::Failed));
        assert_eq!(c.phase(), CanaryPhase::Progressing);
        assert_eq!(c.measure(s(90), 90, 10), Some(Measurement::Failed));
        assert_eq!((c.phase(), c.weight()), (CanaryPhase::Aborted, 0));
        // No data five times in a row (> 4) aborts.
        let mut c = Canary::new(spec(0), s(0));
        for k in 1..=4 {
            c.measure(s(30 * k), 0, 0);
            assert_eq!(c.phase(), CanaryPhase::Progressing);
        }
        assert_eq!(c.measure(s(150), 0, 0), Some(Measurement::Error));
        assert_eq!(c.phase(), CanaryPhase::Aborted);
    }
}
