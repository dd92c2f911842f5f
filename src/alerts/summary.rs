//! Alerts across a scenario's trials: when each rule fired and resolved in
//! each trial, its time to detect from the scenario's onset, its false
//! alarms (firing before the onset, or in a scenario with no trouble at
//! all), and the on-call figures: time to detect (the first alert after
//! the onset), to mitigate (the first containment action's effect) and to
//! recover, each as a distribution over trials with a 95% interval.

use serde::Serialize;

use super::{AlertEvent, Alerting};
use crate::engine::SimTime;
use crate::stats::{mean_ci95, quantile_sorted};

/// A duration over trials \[s\]: mean with its 95% interval, quantiles,
/// and in how many trials it happened at all.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Spread {
    /// Mean over the trials where it happened.
    pub mean: f64,
    /// 95% interval of the mean.
    pub ci95: [f64; 2],
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Trials where it happened.
    pub trials: u64,
    /// Trials run.
    pub of: u64,
}

impl Spread {
    /// The spread of the values present (`None` when none is).
    pub fn of(values: &[Option<f64>]) -> Option<Spread> {
        let mut v: Vec<f64> = values.iter().flatten().copied().collect();
        v.sort_by(f64::total_cmp);
        let q = |p| quantile_sorted(&v, p).unwrap_or(f64::NAN);
        let (mean, lo, hi) = match mean_ci95(&v) {
            Some(m) => m,
            None => (*v.first()?, v[0], v[0]),
        };
        Some(Spread {
            mean,
            ci95: [lo.max(0.0), hi],
            p10: q(0.1),
            p50: q(0.5),
            p90: q(0.9),
            trials: v.len() as u64,
            of: values.len() as u64,
        })
    }

    /// `4m12s (95% CI 3m58s..4m26s; p10 3m, p90 5m; 18 of 20 trials)`.
    pub fn text(&self) -> String {
        let t = clock;
        format!(
            "{} (95% CI {}..{}; p10 {}, p90 {}; {} of {} trials)",
            t(self.mean),
            t(self.ci95[0]),
            t(self.ci95[1]),
            t(self.p10),
            t(self.p90),
            self.trials,
            self.of
        )
    }
}

/// A duration for people: `45s`, `5m40s`, `1h02m`.
pub fn clock(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

/// One firing episode of an alert in one trial \[s after the warm-up\].
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Episode {
    /// When it fired.
    pub fired_s: f64,
    /// When it resolved (`None`: still firing at the end).
    pub resolved_s: Option<f64>,
}

/// One rule across a scenario's trials.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AlertSummary {
    /// The rule's name.
    pub name: String,
    /// Its severity.
    pub severity: String,
    /// Its expression.
    pub expr: String,
    /// Trials in which it fired at least once.
    pub trials_fired: u64,
    /// From the onset to its first firing at or after it, over the trials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_detect_s: Option<Spread>,
    /// Episodes that fired before the onset or in a scenario without one,
    /// all trials together.
    pub false_alarms: u64,
    /// Per trial, its firing episodes.
    pub episodes: Vec<Vec<Episode>>,
}

/// The on-call figures of a scenario with an onset.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Response {
    /// When the trouble starts \[s after the warm-up\].
    pub onset_s: f64,
    /// From the onset to the first alert firing at or after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detect_s: Option<Spread>,
    /// Containment actions in the scenario (those at or after the onset,
    /// or waiting for an alert).
    pub containment_actions: u64,
    /// From the onset until the first containment action has taken effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mitigate_s: Option<Spread>,
    /// From the onset until the success ratio is back for good (the
    /// drill's recovery rule, per trial).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recover_s: Option<Spread>,
}

/// Per rule, its figures over `trials` (each trial's alert events in time
/// order); `onset` is the scenario's, `end` its measured duration.
pub fn summarise(
    alerting: &Alerting,
    trials: &[&[AlertEvent]],
    onset: Option<SimTime>,
) -> Vec<AlertSummary> {
    alerting
        .rules
        .iter()
        .enumerate()
        .map(|(r, rule)| {
            let mut episodes: Vec<Vec<Episode>> = Vec::with_capacity(trials.len());
            let mut detect = Vec::with_capacity(trials.len());
            let mut false_alarms = 0;
            for evs in trials {
                let mut eps: Vec<Episode> = Vec::new();
                for e in evs.iter().filter(|e| e.rule as usize == r) {
                    if e.firing {
                        eps.push(Episode {
                            fired_s: e.at.as_secs_f64(),
                            resolved_s: None,
                        });
                    } else if let Some(last) = eps.last_mut() {
                        last.resolved_s = Some(e.at.as_secs_f64());
                    }
                }
                let t0 = onset.map(SimTime::as_secs_f64);
                false_alarms += eps
                    .iter()
                    .filter(|e| t0.is_none_or(|t0| e.fired_s < t0))
                    .count() as u64;
                detect.push(
                    t0.and_then(|t0| eps.iter().find(|e| e.fired_s >= t0).map(|e| e.fired_s - t0)),
                );
                episodes.push(eps);
            }
            AlertSummary {
                name: rule.name.clone(),
                severity: rule.severity.clone(),
                expr: rule.text.clone(),
                trials_fired: episodes.iter().filter(|e| !e.is_empty()).count() as u64,
                time_to_detect_s: Spread::of(&detect),
                false_alarms,
                episodes,
            }
        })
        .collect()
}

/// The first firing of any rule at or after `onset` in each trial,
/// measured from it.
pub fn first_detection(trials: &[&[AlertEvent]], onset: SimTime) -> Vec<Option<f64>> {
    trials
        .iter()
        .map(|evs| {
            evs.iter()
                .find(|e| e.firing && e.at >= onset)
                .map(|e| (e.at - onset).as_secs_f64())
        })
        .collect()
}

/// The terminal lines for a scenario's alerts and response (empty when
/// it has neither).
pub fn render_text(alerts: &[AlertSummary], response: Option<&Response>) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    for a in alerts {
        let _ = write!(
            t,
            "  alert         {} ({}): fired in {} of {} trials",
            a.name,
            a.severity,
            a.trials_fired,
            a.episodes.len()
        );
        if let Some(d) = &a.time_to_detect_s {
            let _ = write!(t, "; detects in {}", d.text());
        }
        if a.false_alarms > 0 {
            let _ = write!(t, "; {} false alarms", a.false_alarms);
        }
        t.push('\n');
    }
    if let Some(r) = response {
        let line = |name: &str, v: &Option<Spread>, none: &str| match v {
            Some(x) => format!("  {name:<13} {}\n", x.text()),
            None => format!("  {name:<13} {none}\n"),
        };
        let _ = writeln!(t, "  onset         {} after the warm-up", clock(r.onset_s));
        t.push_str(&line(
            "to detect",
            &r.detect_s,
            "never: no alert fired after the onset",
        ));
        if r.containment_actions > 0 {
            t.push_str(&line(
                "to mitigate",
                &r.mitigate_s,
                "never: no containment action took effect",
            ));
        }
        t.push_str(&line(
            "to recover",
            &r.recover_s,
            "never, or no dip to recover from",
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_of_durations() {
        let s = Spread::of(&[Some(60.0), None, Some(120.0), Some(180.0)]).unwrap();
        assert_eq!((s.trials, s.of), (3, 4));
        assert!((s.mean - 120.0).abs() < 1e-9);
        assert!(s.ci95[0] < 120.0 && s.ci95[1] > 120.0);
        assert_eq!(s.p50, 120.0);
        assert_eq!(Spread::of(&[None, None]), None);
        let one = Spread::of(&[Some(5.0)]).unwrap();
        assert_eq!(one.ci95, [5.0, 5.0]);
    }
}
