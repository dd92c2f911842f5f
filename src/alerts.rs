//! Alerts: Prometheus alerting rules over a drill's named readings.
//!
//! A model's `[[alerts]]` (and, with `[slo] alerts = "burn-rate"`, the SRE
//! workbook's multiwindow burn-rate pair from [`burn_rate`]) become
//! [`AlertRule`]s: a name, an [`expr`] in a small PromQL subset, a `for`
//! and a severity. In a drill, the per-trial [`Evaluator`] takes one
//! sample of every series its rules read at the end of each time bin (the
//! scrape) and is evaluated every `evaluation_interval` (1m by default,
//! `[alerting]`), each rule's state following Prometheus's `for`
//! semantics ([`rule`]). The drill acts on the transitions it returns
//! (`drill/alerting.rs`); [`summary`] reduces them across trials: when
//! each alert fired and resolved, the time to detect, false alarms.
//! A model without alerts builds no evaluator and pays nothing.

pub mod burn_rate;
pub mod eval;
pub mod expr;
pub mod rule;
pub mod spec;
pub mod summary;

use std::fmt::Write as _;

use crate::engine::SimTime;
pub use eval::{Compiled, Samples};
pub use rule::{Phase, RuleState, Timing};

/// Prometheus's default `evaluation_interval`.
pub const DEFAULT_INTERVAL: SimTime = SimTime::MINUTE;

/// One alerting rule.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    /// Its name (`alert:` in Prometheus), e.g. `RedisMemoryHigh`.
    pub name: String,
    /// The expression as written.
    pub text: String,
    /// The expression, parsed.
    pub expr: expr::Expr,
    /// `for` and `keep_firing_for`.
    pub timing: Timing,
    /// The `severity` label (`page`, `ticket`, ...).
    pub severity: String,
    /// The `summary` annotation (may be empty).
    pub summary: String,
}

/// A model's alerting: its rules and how often they are evaluated.
#[derive(Clone, Debug, PartialEq)]
pub struct Alerting {
    /// Time between evaluations.
    pub interval: SimTime,
    /// The rules, in file order (generated ones last).
    pub rules: Vec<AlertRule>,
}

/// The rules of a model compiled against one list of series names (the
/// drill's catalogue), shared by every trial.
#[derive(Clone, Debug)]
pub struct CompiledRules {
    /// Per rule, the expression over the store's columns.
    exprs: Vec<Compiled>,
    /// Per rule, its timing.
    timing: Vec<Timing>,
    /// Per store column, the catalogue index it samples.
    pub sources: Vec<usize>,
    /// Time between evaluations.
    pub interval: SimTime,
}

impl CompiledRules {
    /// Compiles `alerting` against `catalogue`; a name it does not hold
    /// (the model reader rejects those) reads as no data.
    pub fn new(alerting: &Alerting, catalogue: &[String]) -> CompiledRules {
        let mut sources: Vec<usize> = Vec::new();
        let mut column = |name: &str| {
            let src = catalogue
                .iter()
                .position(|c| c == name)
                .unwrap_or(usize::MAX);
            match sources.iter().position(|&s| s == src) {
                Some(i) => i,
                None => {
                    sources.push(src);
                    sources.len() - 1
                }
            }
        };
        let exprs = alerting
            .rules
            .iter()
            .map(|r| Compiled::new(&r.expr, &mut column))
            .collect();
        CompiledRules {
            exprs,
            timing: alerting.rules.iter().map(|r| r.timing).collect(),
            sources,
            interval: alerting.interval,
        }
    }
}

/// An alert firing or resolving in one trial.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlertEvent {
    /// The rule's index.
    pub rule: u16,
    /// When, after the warm-up.
    pub at: SimTime,
    /// Fired (true) or resolved (false).
    pub firing: bool,
}

/// A rule's change of phase at one evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transition {
    /// The rule's index.
    pub rule: usize,
    /// Its phase before.
    pub from: Phase,
    /// Its phase now.
    pub to: Phase,
}

/// One trial's alert state: the samples its rules read and each rule's
/// phase. The drill calls [`Evaluator::scrape`] at the end of every bin and
/// [`Evaluator::evaluate`] at every evaluation tick.
#[derive(Clone, Debug)]
pub struct Evaluator<'r> {
    rules: &'r CompiledRules,
    samples: Samples,
    states: Vec<RuleState>,
}

impl<'r> Evaluator<'r> {
    /// A fresh evaluator: no samples, every rule inactive.
    pub fn new(rules: &'r CompiledRules) -> Evaluator<'r> {
        Evaluator {
            rules,
            samples: Samples::new(rules.sources.len()),
            states: vec![RuleState::default(); rules.exprs.len()],
        }
    }

    /// Takes one sample at `now` of every series the rules read;
    /// `value(i)` is catalogue series `i`'s current value (NaN: none).
    pub fn scrape(&mut self, now: SimTime, value: impl Fn(usize) -> f64) {
        let sources = &self.rules.sources;
        self.samples.push(now, |c| {
            let s = sources[c];
            if s == usize::MAX { f64::NAN } else { value(s) }
        });
    }

    /// Evaluates every rule at `now`; appends the rules whose phase changed.
    pub fn evaluate(&mut self, now: SimTime, out: &mut Vec<Transition>) {
        for (i, (e, st)) in self.rules.exprs.iter().zip(&mut self.states).enumerate() {
            let holds = e.eval(&self.samples, now).is_some();
            let from = st.step(now, holds, self.rules.timing[i]);
            if from != st.phase {
                out.push(Transition {
                    rule: i,
                    from,
                    to: st.phase,
                });
            }
        }
    }

    /// Each rule's state now.
    pub fn states(&self) -> &[RuleState] {
        &self.states
    }
}

/// What `amtool alert query` would print at `now` (times after `start`),
/// followed by the alerts Prometheus holds as pending (not yet sent).
pub fn listing(rules: &[AlertRule], states: &[RuleState], start: SimTime, now: SimTime) -> String {
    let mut s = String::new();
    let since = |t: SimTime| summary::clock(t.saturating_sub(start).as_secs_f64());
    let _ = writeln!(s, "$ amtool alert query");
    let _ = writeln!(
        s,
        "{:<24} {:<10} {:<9} Summary",
        "Alertname", "Starts At", "Severity"
    );
    let mut pending = Vec::new();
    for (r, st) in rules.iter().zip(states) {
        match st.phase {
            Phase::Firing => {
                let _ = writeln!(
                    s,
                    "{:<24} {:<10} {:<9} {}",
                    r.name,
                    since(st.fired_at),
                    r.severity,
                    r.summary
                );
            }
            Phase::Pending => pending.push((r, st)),
            Phase::Inactive => {}
        }
    }
    for (r, st) in pending {
        let held = summary::clock(now.saturating_sub(st.active_at).as_secs_f64());
        let _ = writeln!(
            s,
            "(pending in Prometheus, not sent: {} for {held} of {})",
            r.name,
            summary::clock(r.timing.hold.as_secs_f64())
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `for` through the evaluator, against a scripted signal sampled every
    /// 10 s and evaluated every minute: `x > 5` with `for = "2m"`.
    #[test]
    fn for_semantics_on_a_scripted_signal() {
        let rules = vec![AlertRule {
            name: "High".into(),
            text: "x > 5".into(),
            expr: expr::parse("x > 5").unwrap(),
            timing: Timing {
                hold: SimTime(2 * SimTime::MINUTE.0),
                keep_firing_for: SimTime::ZERO,
            },
            severity: "page".into(),
            summary: String::new(),
        }];
        let alerting = Alerting {
            interval: SimTime::MINUTE,
            rules,
        };
        let compiled = CompiledRules::new(&alerting, &["x".to_string()]);
        let mut ev = Evaluator::new(&compiled);
        // High from 95 s to 170 s (a blip: seen by the evaluations at 2m
        // only), then from 215 s to 470 s, low after.
        let signal = |t: u64| {
            if (95..170).contains(&t) || (215..470).contains(&t) {
                9.0
            } else {
                1.0
            }
        };
        let mut phases = Vec::new();
        let mut out = Vec::new();
        for k in 1..=66u64 {
            let t = 10 * k;
            ev.scrape(SimTime(t * SimTime::SECOND.0), |_| signal(t));
            if t % 60 == 0 {
                out.clear();
                ev.evaluate(SimTime(t * SimTime::SECOND.0), &mut out);
                phases.push((t / 60, ev.states()[0].phase));
            }
        }
        use Phase::*;
        let want = [
            (1, Inactive),
            (2, Pending),  // the sample at 120 s is high
            (3, Inactive), // 180 s low: the pending alert is dropped
            (4, Pending),  // high again from 220 s
            (5, Pending),  // held 1m of 2m
            (6, Firing),   // held 2m since 4m
            (7, Firing),
            (8, Inactive), // 480 s low: resolved
            (9, Inactive),
            (10, Inactive),
            (11, Inactive),
        ];
        assert_eq!(phases, want);
        assert_eq!(ev.states()[0].fired_at, SimTime(6 * SimTime::MINUTE.0));
        let listing = listing(&alerting.rules, ev.states(), SimTime::ZERO, SimTime::MINUTE);
        assert!(listing.starts_with("$ amtool alert query"), "{listing}");
    }
}
