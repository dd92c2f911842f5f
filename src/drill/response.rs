//! The on-call's side of a scenario across trials: the alerts' figures
//! ([`crate::alerts::summary`]), the time to detect, mitigate and recover
//! per trial, and the timeline entries of what happened at no fixed time
//! (alerts firing, actions waiting for them, actions that take time),
//! placed at their mean over the trials where they happened.

use super::metrics::TrialResult;
use super::summary::{TimelineEntry, recovery_time};
use crate::alerts::summary::{
    AlertSummary, Response, Spread, first_detection, summarise as per_rule,
};
use crate::model::Model;
use crate::scenario::{EventKind, Scenario};

/// Per rule its figures, and the scenario's response figures (models with
/// alerts only; the response needs an onset).
pub(super) fn summarise(
    model: &Model,
    scenario: &Scenario,
    bin_s: f64,
    trials: &[TrialResult],
) -> (Vec<AlertSummary>, Option<Response>) {
    let Some(alerting) = &model.alerting else {
        return (Vec::new(), None);
    };
    let logs: Vec<&[crate::alerts::AlertEvent]> = trials.iter().map(|t| &t.alerts[..]).collect();
    let onset = scenario.onset();
    let alerts = per_rule(alerting, &logs, onset);
    let response = onset.map(|onset| {
        let t0 = onset.as_secs_f64();
        // The containment: actions at or after the onset, or waiting for an alert.
        let contain: Vec<usize> = (scenario.events.iter().enumerate())
            .filter(|(_, e)| {
                matches!(e.what, EventKind::Action(_)) && (e.on_alert.is_some() || e.at >= onset)
            })
            .map(|(i, _)| i)
            .collect();
        // Mitigated once the first containment action has taken effect.
        let mitigate: Vec<Option<f64>> = trials
            .iter()
            .map(|t| {
                (t.actions.iter())
                    .filter(|a| contain.contains(&(a.event as usize)))
                    .filter_map(|a| a.done)
                    .min()
                    .map(|d| (d.as_secs_f64() - t0).max(0.0))
            })
            .collect();
        let recover: Vec<Option<f64>> = trials
            .iter()
            .map(|t| {
                let success: Vec<f64> = t
                    .bins
                    .iter()
                    .map(|b| {
                        if b.offered == 0 {
                            f64::NAN
                        } else {
                            b.succeeded as f64 / b.offered as f64
                        }
                    })
                    .collect();
                recovery_time(&success, t0, bin_s)
            })
            .collect();
        Response {
            onset_s: t0,
            detect_s: Spread::of(&first_detection(&logs, onset)),
            containment_actions: contain.len() as u64,
            mitigate_s: if contain.is_empty() {
                None
            } else {
                Spread::of(&mitigate)
            },
            recover_s: Spread::of(&recover),
        }
    });
    (alerts, response)
}

/// Adds the entries that happen at no fixed time: each alert's first
/// firing, each action waiting for one, each action's effect when it takes
/// time; at their mean over the trials where they happened.
pub(super) fn timeline(
    model: &Model,
    scenario: &Scenario,
    trials: &[TrialResult],
    alerts: &[AlertSummary],
    out: &mut Vec<TimelineEntry>,
) {
    let n = trials.len();
    let of = |k: usize| {
        if k == n {
            String::new()
        } else {
            format!(", {k} of {n} trials")
        }
    };
    if model.alerting.is_some() {
        for a in alerts {
            let first: Vec<f64> = a
                .episodes
                .iter()
                .filter_map(|e| e.first().map(|x| x.fired_s))
                .collect();
            if let Some(m) = mean(&first) {
                out.push(TimelineEntry {
                    at_s: m,
                    kind: "alert",
                    label: format!("{} fires (mean{})", a.name, of(first.len())),
                });
            }
        }
    }
    for (i, e) in scenario.events.iter().enumerate() {
        if !matches!(e.what, EventKind::Action(_)) || (e.on_alert.is_none() && e.takes.is_none()) {
            continue;
        }
        let runs = || {
            trials
                .iter()
                .filter_map(move |t| t.actions.iter().find(|a| a.event as usize == i))
        };
        let started: Vec<f64> = runs().map(|a| a.started.as_secs_f64()).collect();
        if let Some(m) = mean(&started).filter(|_| e.on_alert.is_some()) {
            out.push(TimelineEntry {
                at_s: m,
                kind: "action",
                label: format!("{} (mean{})", e.label, of(started.len())),
            });
        }
        let done: Vec<f64> = runs()
            .filter_map(|a| a.done)
            .map(|d| d.as_secs_f64())
            .collect();
        if let Some(m) = mean(&done).filter(|_| e.takes.is_some()) {
            out.push(TimelineEntry {
                at_s: m,
                kind: "action done",
                label: format!("{} done (mean{})", e.label, of(done.len())),
            });
        }
    }
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}
