//! The drill's side of alerts: the series alert expressions may read (the
//! catalogue), the per-trial evaluator fed at every bin's end, the
//! evaluation ticks, and the on-call's response (actions waiting for an
//! alert, then for their human delay; actions that take time).
//!
//! The evaluator ([`crate::alerts::Evaluator`]) owns the alert state; the
//! drill gives it one sample per bin and asks it for transitions once per
//! evaluation interval. A model without alerts builds none.

use super::metrics::ActionRecord;
use super::sim::{DrillTrial, Ev};
use crate::alerts::{AlertEvent, CompiledRules, Evaluator, Phase, Transition};
use crate::engine::SimTime;
use crate::engine::rng::{Purpose, named_key, stream};
use crate::model::Model;

/// Built-in series before the components' and readings': requests
/// completed and requests failed since the trial began (counters).
const BUILTINS: [&str; 2] = ["requests_total", "requests_failed_total"];

/// Every series an alert expression may read, in catalogue order: the
/// request counters, each component's instances up (`app.up`), then the
/// mechanisms' readings (`drill/readings.rs`).
pub fn series_names(model: &Model) -> Vec<String> {
    let mut v: Vec<String> = BUILTINS.iter().map(|s| s.to_string()).collect();
    v.extend(model.components.iter().map(|c| format!("{}.up", c.id)));
    v.extend(
        super::readings::reading_defs(model)
            .into_iter()
            .map(|d| d.name),
    );
    v
}

/// One trial's alerting: the evaluator and what it set off.
pub(super) struct AlertTrial<'r> {
    eval: Evaluator<'r>,
    /// Firing and resolved events, in time order.
    pub(super) log: Vec<AlertEvent>,
    out: Vec<Transition>,
}

impl<'r> AlertTrial<'r> {
    pub(super) fn new(rules: &'r CompiledRules) -> Self {
        AlertTrial {
            eval: Evaluator::new(rules),
            log: Vec::new(),
            out: Vec::new(),
        }
    }
}

impl DrillTrial<'_> {
    /// Counts a finished request for the built-in counters.
    #[inline]
    pub(super) fn count_done(&mut self, failed: bool) {
        self.done[0] += 1;
        self.done[1] += u64::from(failed);
    }

    /// Schedules the first evaluation tick (one interval into the window).
    pub(super) fn start_alerts(&mut self) {
        if let Some(rules) = self.alert_rules {
            self.queue
                .schedule(self.start + rules.interval, Ev::AlertEval);
        }
    }

    /// The scrape at a bin's end, after its readings were sampled.
    pub(super) fn scrape_alerts(&mut self, now: SimTime) {
        let Some(a) = self.alerts.as_mut() else {
            return;
        };
        let ncomp = self.comps.len();
        let row = self.readings.last().map_or(&[][..], Vec::as_slice);
        let (done, comps) = (self.done, &self.comps);
        a.eval.scrape(now, |i| match i {
            0 | 1 => done[i] as f64,
            i if i < 2 + ncomp => f64::from(comps[i - 2].up),
            i => row.get(i - 2 - ncomp).copied().unwrap_or(f64::NAN),
        });
    }

    /// One evaluation tick: records firing and resolved alerts, starts
    /// the actions that wait for a newly firing one, schedules the next tick.
    pub(super) fn on_alert_eval(&mut self, now: SimTime) {
        let (Some(a), Some(rules)) = (self.alerts.as_mut(), self.alert_rules) else {
            return;
        };
        a.out.clear();
        a.eval.evaluate(now, &mut a.out);
        let at = now - self.start;
        let mut fired = Vec::new();
        for t in &a.out {
            match (t.from, t.to) {
                (_, Phase::Firing) => {
                    a.log.push(AlertEvent {
                        rule: t.rule as u16,
                        at,
                        firing: true,
                    });
                    fired.push(t.rule);
                }
                (Phase::Firing, _) => a.log.push(AlertEvent {
                    rule: t.rule as u16,
                    at,
                    firing: false,
                }),
                _ => {}
            }
        }
        for rule in fired {
            self.respond(rule, now);
        }
        let next = now + rules.interval;
        if next <= self.end {
            self.queue.schedule(next, Ev::AlertEval);
        }
    }

    /// Starts every action waiting for `rule` that has not started yet,
    /// after its human delay. The delay comes from one draw per alert and
    /// trial (the on-call's speed that day) mapped through each action's
    /// own `after`: steps with the same `after` start together, in file
    /// order, and a scenario's options share the draw (common random numbers).
    fn respond(&mut self, rule: usize, now: SimTime) {
        for (i, ev) in self.scenario.events.iter().enumerate() {
            let Some(on) = ev.on_alert.as_ref().filter(|o| o.rule == rule) else {
                continue;
            };
            if self.responded.contains(&(i as u16)) {
                continue;
            }
            self.responded.push(i as u16);
            let key = named_key(&format!("oncall/{}", on.name), 0);
            let delay = on.after.as_ref().map_or(SimTime::ZERO, |d| {
                d.sample(&mut stream(self.seed, key, Purpose::Misc))
            });
            self.queue.schedule(now + delay, Ev::Scenario(i as u16));
        }
    }

    /// An action starts at `now`: its effect lands at once or after the
    /// time it takes. Returns true when it was deferred.
    pub(super) fn start_action(&mut self, i: usize, now: SimTime) -> bool {
        let takes = self.scenario.events[i].takes.as_ref().map(|d| {
            d.sample(&mut stream(
                self.seed,
                named_key("action", i as u32),
                Purpose::Misc,
            ))
        });
        self.actions.push(ActionRecord {
            event: i as u16,
            started: now.saturating_sub(self.start),
            done: None,
        });
        match takes {
            Some(d) if d > SimTime::ZERO => {
                self.queue.schedule(now + d, Ev::ActionDone(i as u16));
                true
            }
            _ => {
                self.action_done(i, now);
                false
            }
        }
    }

    /// Records that action `i`'s effect lands at `now`.
    pub(super) fn action_done(&mut self, i: usize, now: SimTime) {
        let at = now.saturating_sub(self.start);
        if let Some(r) = self
            .actions
            .iter_mut()
            .rev()
            .find(|r| r.event == i as u16 && r.done.is_none())
        {
            r.done = Some(at);
        }
    }

    /// The `amtool alert query` view at `now` (empty without alerts).
    pub(super) fn alert_snapshot(&self, now: SimTime, s: &mut String) {
        if let (Some(a), Some(al)) = (self.alerts.as_ref(), self.model.alerting.as_ref()) {
            s.push_str(&crate::alerts::listing(
                &al.rules,
                a.eval.states(),
                self.start,
                now,
            ));
        }
    }
}
