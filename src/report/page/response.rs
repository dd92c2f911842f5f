//! The alert and on-call tables of a drill scenario, read from its
//! `alerts` and `response` keys in `summary.json` (absent in models
//! without alerts, and then no table is shown).

use serde_json::Value;

use super::{Cell, Table, num, text};
use crate::alerts::summary::clock;

/// `5m40s (95% CI 5m10s..6m10s)`, or `n/a`.
fn spread(v: Option<&Value>) -> Cell {
    let Some(v) = v else {
        return "never".into();
    };
    let (Some(m), Some(lo), Some(hi)) = (
        num(v, &["mean"]),
        v.get("ci95").and_then(|c| c.get(0)).and_then(Value::as_f64),
        v.get("ci95").and_then(|c| c.get(1)).and_then(Value::as_f64),
    ) else {
        return "n/a".into();
    };
    format!("{} (95% CI {}..{})", clock(m), clock(lo), clock(hi)).into()
}

fn quantiles(v: Option<&Value>) -> Cell {
    let q = |k: &str| v.and_then(|v| num(v, &[k])).map_or("".into(), clock);
    match v {
        Some(_) => format!("{} / {} / {}", q("p10"), q("p50"), q("p90")).into(),
        None => "".into(),
    }
}

fn trials(v: Option<&Value>, of: u64) -> Cell {
    let n = v.and_then(|v| num(v, &["trials"])).unwrap_or(0.0);
    format!("{n:.0} of {of}").into()
}

/// The scenario's alert and response tables, captioned.
pub(super) fn tables(s: &Value) -> Vec<(String, Table)> {
    let mut out = Vec::new();
    let n = num(s, &["trials"]).unwrap_or(0.0) as u64;
    if let Some(alerts) = s.get("alerts").and_then(Value::as_array) {
        let mut t = Table {
            head: [
                "alert",
                "severity",
                "fired in",
                "time to detect",
                "p10 / p50 / p90",
                "false alarms",
            ]
            .map(String::from)
            .to_vec(),
            rows: Vec::new(),
        };
        for a in alerts {
            let detect = a.get("time_to_detect_s");
            let false_alarms = num(a, &["false_alarms"]).unwrap_or(0.0);
            t.rows.push(vec![
                text(a, "name").into(),
                text(a, "severity").into(),
                format!("{:.0} of {n}", num(a, &["trials_fired"]).unwrap_or(0.0)).into(),
                spread(detect),
                quantiles(detect),
                Cell {
                    text: format!("{false_alarms:.0}"),
                    tone: if false_alarms > 0.0 { "bad" } else { "" },
                },
            ]);
        }
        out.push((
            "Alerts: trials in which each fired, time from the onset to its first firing"
                .to_string(),
            t,
        ));
    }
    if let Some(r) = s.get("response") {
        let mut t = Table {
            head: [
                "from the onset",
                "mean (95% CI)",
                "p10 / p50 / p90",
                "trials",
            ]
            .map(String::from)
            .to_vec(),
            rows: Vec::new(),
        };
        let contained = num(r, &["containment_actions"]).unwrap_or(0.0) > 0.0;
        for (key, label) in [
            ("detect_s", "to detect (first alert)"),
            ("mitigate_s", "to mitigate (first containment effect)"),
            ("recover_s", "to recover (success ratio back)"),
        ] {
            if key == "mitigate_s" && !contained {
                continue;
            }
            let v = r.get(key);
            t.rows
                .push(vec![label.into(), spread(v), quantiles(v), trials(v, n)]);
        }
        out.push((
            format!(
                "On-call response, from the onset at {}",
                clock(num(r, &["onset_s"]).unwrap_or(0.0))
            ),
            t,
        ));
    }
    out
}
