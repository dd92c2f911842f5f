//! The SRE workbook's multiwindow, multi-burn-rate alerts ("Alerting on
//! SLOs", recommended for a 30-day 99.9% SLO): page when the error ratio
//! over both a long and a short window exceeds `b` times the error budget,
//! at 14.4x over 1 h and 5 min (2% of the budget spent) and at 6x over 6 h
//! and 30 min (5%). Generated from `[slo] availability` with
//! `[slo] alerts = "burn-rate"`, over the drill's request counters.

use super::expr::parse;
use super::{AlertRule, Timing};
use crate::engine::SimTime;

/// `alerts = "burn-rate"`: the only generated style.
pub const STYLE: &str = "burn-rate";

/// The generated rules' names, in order (for `on_alert` before the `[slo]`
/// section is read).
pub const NAMES: &[&str] = &["SLOBurnRateFast", "SLOBurnRateSlow"];

/// (name, burn rate, long window, short window) of each pair.
const PAIRS: [(&str, f64, &str, &str); 2] = [
    ("SLOBurnRateFast", 14.4, "1h", "5m"),
    ("SLOBurnRateSlow", 6.0, "6h", "30m"),
];

/// The error ratio over `window`: failed over completed requests.
fn ratio(window: &str) -> String {
    format!("rate(requests_failed_total[{window}]) / rate(requests_total[{window}])")
}

/// The two page rules for an availability objective `target` in (0, 1).
pub fn rules(target: f64) -> Vec<AlertRule> {
    let budget = 1.0 - target;
    PAIRS
        .iter()
        .map(|&(name, b, long, short)| {
            let threshold = trim(b * budget);
            let text = format!(
                "{} > {threshold} and {} > {threshold}",
                ratio(long),
                ratio(short)
            );
            AlertRule {
                name: name.to_string(),
                expr: parse(&text).expect("generated burn-rate rules parse"),
                text,
                timing: Timing {
                    hold: SimTime::ZERO,
                    keep_firing_for: SimTime::ZERO,
                },
                severity: "page".into(),
                summary: format!(
                    "error budget burning at {b}x over {long} and {short} ({}% of it spent)",
                    trim(b * long_hours(long) / 720.0 * 100.0)
                ),
            }
        })
        .collect()
}

fn long_hours(w: &str) -> f64 {
    crate::model::units::parse_duration(w).map_or(0.0, |d| d.as_secs_f64() / 3600.0)
}

/// A number in at most 6 significant digits, without trailing zeros.
fn trim(x: f64) -> String {
    let s = format!("{:.6}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::super::{Alerting, CompiledRules, Evaluator};
    use super::*;

    #[test]
    fn thresholds_follow_the_budget() {
        let r = rules(0.999);
        assert_eq!(r.len(), 2);
        assert!(r[0].text.contains("> 0.0144 and"), "{}", r[0].text);
        assert!(r[1].text.contains("[6h]"), "{}", r[1].text);
        assert!(r[0].summary.contains("2% of it spent"), "{}", r[0].summary);
        assert!(r[1].summary.contains("5% of it spent"), "{}", r[1].summary);
    }

    /// A total outage at 99.9%: the fast pair fires at the first evaluation
    /// after the 1 h window's error ratio passes 1.44% (domain.md §20:
    /// ~52 s of errors); here requests arrive at 100/s from t = 0, sampled
    /// every 10 s, all failing from 600 s, evaluated every minute.
    #[test]
    fn a_total_outage_pages_within_two_minutes() {
        let alerting = Alerting {
            interval: SimTime::MINUTE,
            rules: rules(0.999),
        };
        let catalogue = [
            "requests_total".to_string(),
            "requests_failed_total".to_string(),
        ];
        let compiled = CompiledRules::new(&alerting, &catalogue);
        let mut ev = Evaluator::new(&compiled);
        let mut fired = None;
        let mut out = Vec::new();
        for k in 1..=120u64 {
            let t = k as f64 * 10.0;
            let failed = (t - 600.0).max(0.0) * 100.0;
            ev.scrape(SimTime::from_secs_f64(t), |i| {
                if i == 0 { t * 100.0 } else { failed }
            });
            if k % 6 == 0 {
                out.clear();
                ev.evaluate(SimTime::from_secs_f64(t), &mut out);
                if fired.is_none() && out.iter().any(|x| x.rule == 0) {
                    fired = Some(t);
                }
            }
        }
        // The 1 h ratio over 600 s of data plus d s of errors is
        // d / (600 + d) > 1.44% from d = 8.8 s: the first evaluation after
        // the errors show in a sample (610 s) is at 660 s.
        assert_eq!(fired, Some(660.0));
    }
}
