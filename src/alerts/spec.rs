//! Reading a model's `[[alerts]]` and `[alerting]`:
//!
//! ```toml
//! [alerting]
//! evaluation_interval = "1m"      # Prometheus's default
//!
//! [[alerts]]
//! name = "RedisMemoryHigh"
//! expr = "redis.used_memory_mb / redis.maxmemory_mb > 0.95"
//! for = "2m"                      # default 0: fires at the first evaluation
//! keep_firing_for = "0s"
//! severity = "page"               # default "page"
//! summary = "Redis is at maxmemory"
//! ```
//!
//! Every reading name in an expression must be one the drill records for
//! the model (the catalogue); an unknown name or a syntax error is reported
//! at its line and column inside the expression.

use toml::Spanned;
use toml::de::DeValue;

use super::{AlertRule, Alerting, DEFAULT_INTERVAL, Timing, expr};
use crate::engine::SimTime;
use crate::model::error::{Diagnostics, suggest};
use crate::model::reader::TableReader;

const ALERT_KEYS: &[&str] = &[
    "name",
    "expr",
    "for",
    "keep_firing_for",
    "severity",
    "summary",
];
const ALERTING_KEYS: &[&str] = &["evaluation_interval"];

/// The byte offset in the file of byte `offset` of the string whose value
/// (quotes included) spans from `start`: skips the opening quote(s), and the
/// newline a multi-line string drops.
fn inner_offset(text: &str, start: usize, offset: usize) -> usize {
    let raw = text.get(start..).unwrap_or("");
    let open = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        let after = &raw[3..];
        3 + if after.starts_with("\r\n") {
            2
        } else {
            usize::from(after.starts_with('\n'))
        }
    } else {
        1
    };
    start + open + offset
}

/// Reads `[alerting]` (the evaluation interval).
pub fn read_alerting(mut tr: TableReader, diags: &mut Diagnostics) -> SimTime {
    let interval = tr.duration("evaluation_interval", diags);
    tr.finish(ALERTING_KEYS, diags);
    match interval {
        Some(i) if i.value == SimTime::ZERO => {
            diags.error(
                i.span,
                "'alerting.evaluation_interval' must be longer than zero",
            );
            DEFAULT_INTERVAL
        }
        Some(i) => i.value,
        None => DEFAULT_INTERVAL,
    }
}

/// Reads the `[[alerts]]` array; `catalogue` lists the series the
/// expressions may read, `text` is the whole file (for positions inside
/// expressions).
pub fn read_alerts(
    value: &Spanned<DeValue>,
    text: &str,
    catalogue: &[String],
    diags: &mut Diagnostics,
) -> Vec<AlertRule> {
    let DeValue::Array(items) = value.get_ref() else {
        diags.error_hint(
            value.span(),
            format!(
                "'alerts' must be an array of tables, found {}",
                value.get_ref().type_str()
            ),
            Some("write each rule as [[alerts]]".into()),
        );
        return Vec::new();
    };
    let mut out: Vec<AlertRule> = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let Some(mut tr) = TableReader::new(v, &format!("alerts[{i}]"), diags) else {
            continue;
        };
        let name = tr.str("name", diags);
        match &name {
            Some(n) => {
                tr.path = format!("alerts.{}", n.value);
                if out.iter().any(|r| r.name == n.value) {
                    diags.error(
                        n.span.clone(),
                        format!("alert '{}' is defined twice", n.value),
                    );
                }
            }
            None if !tr.has("name") => tr.missing("name", diags, "\"RedisMemoryHigh\""),
            None => {}
        }
        let e = tr.str("expr", diags);
        if e.is_none() && !tr.has("expr") {
            tr.missing("expr", diags, "\"redis.used_memory_mb > 900\"");
        }
        let parsed = e.as_ref().and_then(|e| {
            let at = |off: usize| {
                let p = inner_offset(text, e.span.start, off);
                p..p + 1
            };
            match expr::parse(&e.value) {
                Ok(x) => {
                    let mut ok = true;
                    for n in x.names() {
                        if !catalogue.contains(&n.name) {
                            ok = false;
                            let hint = suggest(&n.name, catalogue.iter().map(String::as_str))
                                .or_else(|| Some(catalogue_hint(catalogue)));
                            diags.error_hint(
                                at(n.offset),
                                format!(
                                    "'{}.expr': no reading named '{}' in this model",
                                    tr.path, n.name
                                ),
                                hint,
                            );
                        }
                    }
                    if x.names().is_empty() {
                        ok = false;
                        diags.error(
                            e.span.clone(),
                            format!("'{}.expr' reads no series, so it never changes", tr.path),
                        );
                    }
                    ok.then_some(x)
                }
                Err(err) => {
                    diags.error(
                        at(err.offset),
                        format!("'{}.expr': {}", tr.path, err.message),
                    );
                    None
                }
            }
        });
        let hold = tr.duration("for", diags).map_or(SimTime::ZERO, |d| d.value);
        let keep = tr
            .duration("keep_firing_for", diags)
            .map_or(SimTime::ZERO, |d| d.value);
        let severity = tr
            .str("severity", diags)
            .map_or_else(|| "page".to_string(), |s| s.value);
        let summary = tr
            .str("summary", diags)
            .map(|s| s.value)
            .unwrap_or_default();
        tr.finish(ALERT_KEYS, diags);
        if let (Some(name), Some(x), Some(e)) = (name, parsed, e) {
            out.push(AlertRule {
                name: name.value,
                text: e.value,
                expr: x,
                timing: Timing {
                    hold,
                    keep_firing_for: keep,
                },
                severity,
                summary,
            });
        }
    }
    out
}

/// The first few series of the catalogue, for an unknown name's hint.
fn catalogue_hint(catalogue: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut s = format!(
        "readings: {}",
        catalogue
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    if catalogue.len() > SHOWN {
        s.push_str(&format!(
            " and {} more (see timeseries.csv)",
            catalogue.len() - SHOWN
        ));
    }
    s
}

/// A model's alerting from its rules and generated ones (`None` when it
/// has no rule at all, so a drill pays nothing).
pub fn alerting(
    interval: SimTime,
    mut rules: Vec<AlertRule>,
    generated: Vec<AlertRule>,
) -> Option<Alerting> {
    rules.extend(generated);
    (!rules.is_empty()).then_some(Alerting { interval, rules })
}
