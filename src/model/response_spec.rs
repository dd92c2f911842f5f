//! The human side of a scenario event: `on_alert` (the action waits for an
//! alert instead of the clock), `after` (the on-call's delay from the page
//! to acting: acknowledge, diagnose) and `takes` (how long the action itself
//! runs before its effect: a restart waiting for the process to come back).
//! `after` and `takes` are a distribution table or a plain duration.

use toml::de::DeValue;

use super::Dist;
use super::error::{Diagnostics, suggest};
use super::reader::TableReader;
use super::units;
use crate::scenario::OnAlert;

/// A delay: `"5m"` (constant) or `{ dist = "lognormal", ... }`.
pub(super) fn read_delay(tr: &mut TableReader, key: &str, diags: &mut Diagnostics) -> Option<Dist> {
    let path = format!("{}.{key}", tr.path);
    let v = tr.get(key)?;
    match v.get_ref() {
        DeValue::String(s) => match units::parse_duration(s) {
            Ok(d) => Some(Dist::constant(d)),
            Err(e) => {
                diags.error(v.span(), format!("'{path}': {e}"));
                None
            }
        },
        DeValue::Table(_) => Dist::read(TableReader::new(v, &path, diags)?, diags),
        other => {
            diags.error_hint(
                v.span(),
                format!("'{path}' must be a duration or a distribution, found {}", other.type_str()),
                Some(format!(
                    "e.g. {key} = \"5m\" or {key} = {{ dist = \"lognormal\", median = \"5m\", p95 = \"20m\" }}"
                )),
            );
            None
        }
    }
}

/// Reads `on_alert`, `after` and `takes` of an event; `alerts` names the
/// model's rules in order; `is_action` says whether the event is an action
/// (only actions wait for alerts or take time).
pub(super) fn read_response(
    et: &mut TableReader,
    alerts: &[String],
    is_action: bool,
    diags: &mut Diagnostics,
) -> (Option<OnAlert>, Option<Dist>) {
    let on = et.str("on_alert", diags);
    let after = read_delay(et, "after", diags);
    let takes = read_delay(et, "takes", diags);
    if !is_action {
        for key in ["on_alert", "takes"] {
            if et.has(key) {
                diags.error(
                    et.span_of(key),
                    format!("'{}.{key}' applies to actions only, not to faults", et.path),
                );
            }
        }
    }
    if after.is_some() && on.is_none() {
        diags.error_hint(
            et.span_of("after"),
            format!(
                "'{}.after' needs on_alert: the delay counts from the alert",
                et.path
            ),
            Some("add on_alert = \"AlertName\", or give the time as 'at'".into()),
        );
    }
    let on_alert = on.and_then(|n| {
        let rule = alerts.iter().position(|a| *a == n.value);
        if rule.is_none() {
            let hint = suggest(&n.value, alerts.iter().map(String::as_str)).or_else(|| {
                Some(if alerts.is_empty() {
                    "the model defines no [[alerts]] (nor [slo] alerts = \"burn-rate\")".into()
                } else {
                    format!("alerts: {}", alerts.join(", "))
                })
            });
            diags.error_hint(
                n.span.clone(),
                format!("'{}.on_alert': no alert rule named '{}'", et.path, n.value),
                hint,
            );
        }
        Some(OnAlert {
            rule: rule?,
            name: n.value,
            after,
        })
    });
    (on_alert, takes.filter(|_| is_action))
}
