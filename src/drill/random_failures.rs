//! `random_failures = true` on a scenario: every instance and group fails
//! and is repaired by the model's own distributions during the drill,
//! beside the scripted events. The failures come from a state trial
//! ([`crate::availability::trial`]) over the scenario's measured window, on
//! the same streams keyed by name, so a design that adds a component keeps
//! every other component's failure times (common random numbers). Each
//! instance outage becomes a scripted crash of that instance for its span;
//! a group's failure crashes every instance placed on it.

use crate::availability::timeline::{Outage, outages};
use crate::availability::{AvailabilityConfig, AvailabilitySim};
use crate::engine::SimTime;
use crate::model::Model;
use crate::scenario::{EventKind, Fault, FaultSpec, Scenario, TimedEvent};

/// Draws a drill trial's random failures.
pub struct RandomFailures<'m> {
    sim: AvailabilitySim<'m>,
}

impl<'m> RandomFailures<'m> {
    /// Failures of `model` over a measured window of `duration`.
    pub fn new(model: &'m Model, duration: SimTime) -> Self {
        let config = AvailabilityConfig {
            horizon: duration,
            grid_points: 1,
        };
        RandomFailures {
            sim: AvailabilitySim::new(model, config),
        }
    }

    /// `base` with the random failures of the trial with `seed` added.
    pub fn scenario(&self, base: &Scenario, seed: u64) -> Scenario {
        let (_, trace, _) = self.sim.run_trial_traced(0, seed);
        let outs = outages(&self.sim, &trace, self.sim.horizon());
        with_events(base, crash_events(self.sim.model(), &outs, SimTime::ZERO))
    }
}

/// A crash of each outage's instance for its span, at its start less
/// `origin` (outages before `origin` start at zero, shortened).
pub fn crash_events(model: &Model, outs: &[Outage], origin: SimTime) -> Vec<TimedEvent> {
    outs.iter()
        .filter(|o| o.to > origin)
        .map(|o| {
            let from = o.from.max(origin);
            TimedEvent {
                at: from - origin,
                what: EventKind::Fault(vec![FaultSpec {
                    fault: Fault::Crash,
                    target: o.comp,
                    instance: Some(o.inst),
                    duration: Some(o.to - from),
                    group: None,
                }]),
                label: format!("crash {}[{}]", model.components[o.comp].id, o.inst),
                on_alert: None,
                takes: None,
            }
        })
        .collect()
}

/// `base` with `extra` events merged in time order (scripted ones first at a tie).
pub fn with_events(base: &Scenario, extra: Vec<TimedEvent>) -> Scenario {
    let mut sc = base.clone();
    sc.events.extend(extra);
    sc.events.sort_by_key(|e| e.at);
    sc
}
