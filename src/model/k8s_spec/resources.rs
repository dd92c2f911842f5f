//! Container resources: CPU and memory requests and limits, and how the
//! container's memory grows with load and uptime.

use toml::de::DeValue;

use crate::engine::SimTime;
use crate::model::error::Diagnostics;
use crate::model::reader::TableReader;
use crate::model::units;

/// CPU and memory requests and limits of the app container.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    /// CPU reserved for scheduling \[millicores\].
    pub cpu_request: Option<u64>,
    /// CPU cap; above it the container is throttled, not killed \[millicores\].
    pub cpu_limit: Option<u64>,
    /// Memory reserved for scheduling \[bytes\].
    pub memory_request: Option<u64>,
    /// Memory cap; above it the container is OOM-killed \[bytes\].
    pub memory_limit: Option<u64>,
}

impl Resources {
    /// Keys of a resources table.
    pub const KNOWN_KEYS: &'static [&'static str] = &["requests", "limits"];

    /// Reads `{ requests = { cpu = "250m", memory = "256Mi" }, limits = { ... } }`.
    ///
    /// A limit given without a request also sets the request, as the API
    /// server does (<https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/>).
    pub fn read(mut tr: TableReader, diags: &mut Diagnostics) -> Option<Self> {
        let before = diags.len();
        let mut r = Resources::default();
        let mut read_pair = |name: &str, diags: &mut Diagnostics| -> (Option<u64>, Option<u64>) {
            let Some(mut t) = tr.table(name, diags) else {
                return (None, None);
            };
            let cpu = read_cpu(&mut t, "cpu", diags);
            let mem = t.bytes("memory", diags).map(|b| b.value);
            t.finish(&["cpu", "memory"], diags);
            (cpu, mem)
        };
        (r.cpu_request, r.memory_request) = read_pair("requests", diags);
        (r.cpu_limit, r.memory_limit) = read_pair("limits", diags);
        r.cpu_request = r.cpu_request.or(r.cpu_limit);
        r.memory_request = r.memory_request.or(r.memory_limit);
        for (what, req, lim) in [
            ("cpu", r.cpu_request, r.cpu_limit),
            ("memory", r.memory_request, r.memory_limit),
        ] {
            if let (Some(req), Some(lim)) = (req, lim)
                && req > lim
            {
                diags.error(
                    tr.span_of("requests"),
                    format!(
                        "'{}': the {what} request must not exceed its limit",
                        tr.path
                    ),
                );
            }
        }
        tr.finish(Self::KNOWN_KEYS, diags);
        (diags.len() == before).then_some(r)
    }
}

/// Reads CPU as cores (`0.5`, `2`) or a Kubernetes quantity (`"250m"`, `"1"`) [millicores].
fn read_cpu(tr: &mut TableReader, key: &str, diags: &mut Diagnostics) -> Option<u64> {
    let raw = tr.get(key)?;
    let (cores, span) = match raw.get_ref() {
        DeValue::String(s) => {
            let s = s.trim();
            let parsed = match s.strip_suffix('m') {
                Some(milli) => milli.parse::<f64>().map(|m| m / 1000.0),
                None => s.parse::<f64>(),
            };
            match parsed {
                Ok(c) => (c, raw.span()),
                Err(_) => {
                    diags.error(
                        raw.span(),
                        format!(
                            "'{}.{key}': '{s}' is not a CPU amount; write cores (0.5) or millicores (\"500m\")",
                            tr.path
                        ),
                    );
                    return None;
                }
            }
        }
        _ => {
            let v = tr.f64(key, diags)?;
            (v.value, v.span)
        }
    };
    if !(cores.is_finite() && cores >= 0.0) {
        diags.error(span, format!("'{}.{key}' must not be negative", tr.path));
        return None;
    }
    Some((cores * 1000.0).round() as u64)
}

/// How the app container's memory use grows (all parts optional).
///
/// memory = `baseline` + `per_in_flight` × requests in flight + `leak` × uptime.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MemorySpec {
    /// Memory of an idle, freshly started container \[bytes\].
    pub baseline: u64,
    /// Extra memory per request in flight \[bytes\].
    pub per_in_flight: u64,
    /// Growth over uptime, e.g. a leak [bytes/s].
    pub leak_per_sec: f64,
}

impl MemorySpec {
    /// Keys of a memory table.
    pub const KNOWN_KEYS: &'static [&'static str] = &["baseline", "per_request", "leak"];

    /// Reads `{ baseline = "300Mi", per_request = "2Mi", leak = "10Mi/min" }`.
    pub fn read(mut tr: TableReader, diags: &mut Diagnostics) -> Option<Self> {
        let before = diags.len();
        let mut m = MemorySpec::default();
        if let Some(b) = tr.bytes("baseline", diags) {
            m.baseline = b.value;
        }
        if let Some(b) = tr.bytes("per_request", diags) {
            m.per_in_flight = b.value;
        }
        if let Some(s) = tr.str("leak", diags) {
            match parse_leak(&s.value) {
                Ok(rate) => m.leak_per_sec = rate,
                Err(e) => diags.error(s.span, format!("'{}.leak': {e}", tr.path)),
            }
        }
        tr.finish(Self::KNOWN_KEYS, diags);
        (diags.len() == before).then_some(m)
    }
}

/// Parses a growth rate such as `"10Mi/min"` or `"1Gi/6h"` [bytes/s].
pub(crate) fn parse_leak(text: &str) -> Result<f64, String> {
    let Some((size, per)) = text.split_once('/') else {
        return Err(format!(
            "'{text}' is not a growth rate; write a size per time, e.g. '10Mi/min'"
        ));
    };
    let bytes = units::parse_bytes(size.trim())?;
    let per = per.trim();
    let per = if per.starts_with(|c: char| c.is_ascii_digit()) {
        per.to_string()
    } else {
        format!("1{per}")
    };
    let span = units::parse_duration(&per)?;
    if span == SimTime::ZERO {
        return Err(format!("growth rate '{text}' is per zero time"));
    }
    Ok(bytes as f64 / span.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::parse_with;
    use super::*;

    const MI: u64 = 1 << 20;

    #[test]
    fn limit_without_request_sets_the_request() {
        let (r, e) = parse_with("d = { limits = { memory = \"1Gi\" } }", Resources::read);
        assert_eq!(e, "");
        assert_eq!(r.unwrap().memory_request, Some(1024 * MI));
    }

    #[test]
    fn cpu_takes_cores_or_millicores_and_leak_takes_any_period() {
        let (r, e) = parse_with(
            "d = { requests = { cpu = \"1500m\" }, limits = { cpu = \"2\" } }",
            Resources::read,
        );
        assert_eq!(e, "");
        let r = r.unwrap();
        assert_eq!((r.cpu_request, r.cpu_limit), (Some(1500), Some(2000)));
        assert!((parse_leak("1Gi/6h").unwrap() - (1u64 << 30) as f64 / 21_600.0).abs() < 1e-9);
        assert!(parse_leak("1Mi/0s").is_err());
    }
}
