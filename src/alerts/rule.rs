//! One alerting rule's state between evaluations, as Prometheus keeps it
//! (rules/alerting.go, `Eval`): pending from the first evaluation where the
//! expression returns a value; firing at the first evaluation where it has
//! held for `for`; one evaluation without a value drops a pending alert
//! (its clock restarts) and resolves a firing one, unless
//! `keep_firing_for` holds it a while longer. With no `for`, an alert fires
//! at the first evaluation that sees it.

use crate::engine::SimTime;

/// Where an alert stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The expression returned nothing at the last evaluation.
    Inactive,
    /// It holds, but not yet for `for`.
    Pending,
    /// It has held for `for`.
    Firing,
}

impl Phase {
    /// `inactive`, `pending`, `firing`.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Inactive => "inactive",
            Phase::Pending => "pending",
            Phase::Firing => "firing",
        }
    }
}

/// The timing settings of a rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    /// How long the expression must hold before the alert fires.
    pub hold: SimTime,
    /// How long a firing alert stays firing after the expression stops
    /// holding (`keep_firing_for`, default 0).
    pub keep_firing_for: SimTime,
}

/// A rule's state in one trial.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RuleState {
    /// Where it stands.
    pub phase: Phase,
    /// When the current pending/firing episode became active.
    pub active_at: SimTime,
    /// When it last fired (valid while firing).
    pub fired_at: SimTime,
    /// The last evaluation at which the expression held.
    last_held: SimTime,
}

impl Default for RuleState {
    fn default() -> Self {
        RuleState {
            phase: Phase::Inactive,
            active_at: SimTime::ZERO,
            fired_at: SimTime::ZERO,
            last_held: SimTime::ZERO,
        }
    }
}

impl RuleState {
    /// One evaluation at `now` where the expression `holds` or not; returns
    /// the phase before it.
    pub fn step(&mut self, now: SimTime, holds: bool, timing: Timing) -> Phase {
        let before = self.phase;
        if holds {
            self.last_held = now;
            if self.phase == Phase::Inactive {
                self.phase = Phase::Pending;
                self.active_at = now;
            }
            if self.phase == Phase::Pending && now - self.active_at >= timing.hold {
                self.phase = Phase::Firing;
                self.fired_at = now;
            }
        } else {
            match self.phase {
                Phase::Pending => self.phase = Phase::Inactive,
                Phase::Firing if now - self.last_held >= timing.keep_firing_for => {
                    self.phase = Phase::Inactive
                }
                _ => {}
            }
        }
        before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `for` semantics against a scripted signal, evaluated every
    /// minute: the expression holds at minutes 2-3 (too short for a 2m
    /// `for`), again from minute 5 to 9, then stops.
    #[test]
    fn for_goes_pending_firing_resolved_at_the_right_ticks() {
        let timing = Timing {
            hold: SimTime::from_secs_f64(120.0),
            keep_firing_for: SimTime::ZERO,
        };
        let holds = [
            false, false, true, true, false, true, true, true, true, true, false, false,
        ];
        let mut st = RuleState::default();
        let mut phases = Vec::new();
        for (m, &h) in holds.iter().enumerate() {
            st.step(SimTime(SimTime::MINUTE.0 * m as u64), h, timing);
            phases.push(st.phase);
        }
        use Phase::*;
        assert_eq!(
            phases,
            [
                Inactive, Inactive, Pending, Pending, Inactive, Pending, Pending, Firing, Firing,
                Firing, Inactive, Inactive
            ],
            "pending at 2, dropped at 4 (held only 1m of 2m), pending again at 5, \
             firing at 7 (5 + 2m), resolved at 10"
        );
        assert_eq!(st.fired_at, SimTime(SimTime::MINUTE.0 * 7));
        assert_eq!(st.active_at, SimTime(SimTime::MINUTE.0 * 5));
    }

    #[test]
    fn no_for_fires_at_once_and_keep_firing_for_holds_it() {
        let timing = Timing {
            hold: SimTime::ZERO,
            keep_firing_for: SimTime::from_secs_f64(120.0),
        };
        let mut st = RuleState::default();
        assert_eq!(st.step(SimTime::MINUTE, true, timing), Phase::Inactive);
        assert_eq!(st.phase, Phase::Firing);
        // Stops holding at 2m: firing until 2m after the last hold (1m).
        st.step(SimTime(SimTime::MINUTE.0 * 2), false, timing);
        assert_eq!(st.phase, Phase::Firing);
        st.step(SimTime(SimTime::MINUTE.0 * 3), false, timing);
        assert_eq!(st.phase, Phase::Inactive);
    }
}
