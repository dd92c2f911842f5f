//! Reading a circuit breaker's settings (Resilience4j's, domain reference §15).

use toml::de::DeValue;

use super::{percent_at, positive_duration};
use crate::behaviours::{BreakerConfig, Window};
use crate::engine::SimTime;
use crate::model::error::Diagnostics;
use crate::model::reader::TableReader;

const BREAKER_KEYS: &[&str] = &[
    "window",
    "min_calls",
    "failure_rate",
    "slow_call",
    "slow_rate",
    "open",
    "half_open_calls",
    "automatic",
];

/// Reads `breaker`: `window` (a number of calls, or whole seconds such as
/// `"60s"`), `min_calls`, `failure_rate` and `slow_rate` \[%\], `slow_call`,
/// `open`, `half_open_calls`, `automatic`. Defaults are Resilience4j's.
pub fn read_breaker(mut tr: TableReader, diags: &mut Diagnostics) -> Option<BreakerConfig> {
    let before = diags.len();
    let path = tr.path.clone();
    let d = BreakerConfig::default();
    let window = read_window(&mut tr, diags).unwrap_or(d.window);
    let min_calls = match (tr.u32("min_calls", diags), window) {
        (Some(m), _) if m.value == 0 => {
            diags.error(m.span, format!("'{path}.min_calls' must be at least 1"));
            d.min_calls
        }
        (Some(m), Window::Count(n)) if m.value > n => {
            diags.error_hint(
                m.span,
                format!(
                    "'{path}.min_calls' ({}) exceeds the window ({n} calls)",
                    m.value
                ),
                Some("the window never holds that many calls; lower min_calls".into()),
            );
            d.min_calls
        }
        (Some(m), _) => m.value,
        (None, Window::Count(n)) => d.min_calls.min(n),
        (None, Window::Time(_)) => d.min_calls,
    };
    let cfg = BreakerConfig {
        window,
        min_calls,
        failure_rate: percent_at(&mut tr, "failure_rate", diags).unwrap_or(d.failure_rate),
        slow_call: positive_duration(&mut tr, "slow_call", diags).unwrap_or(d.slow_call),
        slow_rate: percent_at(&mut tr, "slow_rate", diags).unwrap_or(d.slow_rate),
        open: positive_duration(&mut tr, "open", diags).unwrap_or(d.open),
        half_open_calls: match tr.u32("half_open_calls", diags) {
            Some(h) if h.value == 0 => {
                diags.error(
                    h.span,
                    format!("'{path}.half_open_calls' must be at least 1"),
                );
                d.half_open_calls
            }
            h => h.map_or(d.half_open_calls, |h| h.value),
        },
        automatic_half_open: tr
            .bool("automatic", diags)
            .map_or(d.automatic_half_open, |a| a.value),
    };
    tr.finish(BREAKER_KEYS, diags);
    (diags.len() == before).then_some(cfg)
}

/// Reads `window`: an integer is a count of calls, a duration whole seconds.
fn read_window(tr: &mut TableReader, diags: &mut Diagnostics) -> Option<Window> {
    let path = format!("{}.window", tr.path);
    let v = tr.get("window")?;
    match v.get_ref() {
        DeValue::Integer(_) => {
            let n = tr.u32("window", diags)?;
            if n.value == 0 {
                diags.error(n.span, format!("'{path}' must be at least 1 call"));
                return None;
            }
            Some(Window::Count(n.value))
        }
        DeValue::String(_) => {
            let t = tr.duration("window", diags)?;
            let secs = t.value.0 / SimTime::SECOND.0;
            if secs == 0 || t.value.0 % SimTime::SECOND.0 != 0 || secs > u64::from(u32::MAX) {
                diags.error(
                    t.span,
                    format!(
                        "'{path}' must be a whole number of seconds, at least 1s, found {}",
                        t.value
                    ),
                );
                return None;
            }
            Some(Window::Time(secs as u32))
        }
        other => {
            diags.error(
                v.span(),
                format!(
                    "'{path}' must be a number of calls such as 100 or a duration such as \"60s\", found {}",
                    other.type_str()
                ),
            );
            None
        }
    }
}
