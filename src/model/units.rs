//! Units in model files: durations (`"250ms"`, `"5m"`, `"90d"`, `"1y"`),
//! byte sizes (`"512Mi"`, `"2gb"`) and rates (`"200/s"`).
//!
//! A year is 365 days (8760 h), the convention availability figures use.

use crate::engine::SimTime;

/// The duration units resim accepts, with their length in nanoseconds.
const DURATION_UNITS: &[(&str, f64)] = &[
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
    ("sec", 1e9),
    ("m", 60e9),
    ("min", 60e9),
    ("h", 3600e9),
    ("d", 86_400e9),
    ("w", 7.0 * 86_400e9),
    ("y", 365.0 * 86_400e9),
];

/// Splits `"12.5ms"` into `(12.5, "ms")`; `None` when no number leads.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let t = text.trim();
    let end = t
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == '_'
                || ((c == '-' || c == '+') && i == 0)
                || ((c == 'e' || c == 'E')
                    && t[i + 1..].starts_with(|d: char| d.is_ascii_digit() || d == '-')
                    && i > 0))
        })
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    let number: f64 = t[..end].replace('_', "").parse().ok()?;
    Some((number, t[end..].trim()))
}

/// The longest duration resim represents, in words: 2^64 − 1 ns.
pub const MAX_DURATION_TEXT: &str = "about 584 years (5.1 million hours, 2^64 ns)";

/// Parses a duration such as `"250ms"`, `"1.5h"` or `"90d"`.
///
/// The error text says what is wrong and lists the units.
pub fn parse_duration(text: &str) -> Result<SimTime, String> {
    let Some((number, unit)) = split_number(text) else {
        return Err(format!(
            "'{text}' is not a duration; write a number and a unit, e.g. '250ms', '5m', '90d'"
        ));
    };
    if unit.is_empty() {
        return Err(format!(
            "duration '{text}' has no unit; write e.g. '{number}s' or '{number}m' (units: ns, us, ms, s, m, h, d, w, y)"
        ));
    }
    let Some(&(_, scale)) = DURATION_UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!(
            "unknown duration unit '{unit}' in '{text}' (units: ns, us, ms, s, m, h, d, w, y)"
        ));
    };
    if !number.is_finite() {
        return Err(format!("duration '{text}' is not a finite number"));
    }
    if number < 0.0 {
        return Err(format!("duration '{text}' must not be negative"));
    }
    let ns = number * scale;
    if ns >= u64::MAX as f64 {
        return Err(format!(
            "duration '{text}' is too long: time is counted in nanoseconds in 64 bits, so the longest is {MAX_DURATION_TEXT}"
        ));
    }
    Ok(SimTime(ns.round() as u64))
}

/// Parses a byte size: `"512Mi"`, `"1gb"`, `"64k"`, `"1073741824"`.
///
/// Binary suffixes (`Ki`, `Mi`, `Gi`, `Ti`) are powers of 1024, as in
/// Kubernetes. The Redis-style suffixes `kb`, `mb`, `gb` are also powers of
/// 1024, as `redis.conf` defines them; `k`, `M`, `G` are powers of 1000.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let Some((number, unit)) = split_number(text) else {
        return Err(format!(
            "'{text}' is not a size; write e.g. '512Mi', '2gb' or '1073741824'"
        ));
    };
    let scale: f64 = match unit {
        "" | "b" | "B" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" | "kb" | "KB" | "KiB" => 1024.0,
        "Mi" | "mb" | "MB" | "MiB" => 1024.0 * 1024.0,
        "Gi" | "gb" | "GB" | "GiB" => 1024.0 * 1024.0 * 1024.0,
        "Ti" | "tb" | "TB" | "TiB" => 1024f64.powi(4),
        _ => {
            return Err(format!(
                "unknown size unit '{unit}' in '{text}' (units: Ki, Mi, Gi, kb, mb, gb, k, M, G)"
            ));
        }
    };
    if !number.is_finite() {
        return Err(format!("size '{text}' is not a finite number"));
    }
    if number < 0.0 {
        return Err(format!("size '{text}' must not be negative"));
    }
    let bytes = number * scale;
    if bytes >= u64::MAX as f64 {
        return Err(format!("size '{text}' is too large"));
    }
    Ok(bytes.round() as u64)
}

/// Parses a rate such as `"200/s"`, `"6000/min"` or `"1.5/h"`, in events per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let Some((count, per)) = text.split_once('/') else {
        return Err(format!(
            "'{text}' is not a rate; write a count per unit, e.g. '200/s' or '6000/min'"
        ));
    };
    let count: f64 = count
        .trim()
        .replace('_', "")
        .parse()
        .map_err(|_| format!("'{text}' is not a rate: '{}' is not a number", count.trim()))?;
    let per = per.trim();
    // "/s" means per one second; "/5m" per five minutes.
    let per_text = if per.starts_with(|c: char| c.is_ascii_digit()) {
        per.to_string()
    } else {
        format!("1{per}")
    };
    let span = parse_duration(&per_text).map_err(|e| format!("in rate '{text}': {e}"))?;
    if span == SimTime::ZERO {
        return Err(format!("rate '{text}' is per zero time"));
    }
    if !count.is_finite() {
        return Err(format!("rate '{text}' is not a finite number"));
    }
    if count < 0.0 {
        return Err(format!("rate '{text}' must not be negative"));
    }
    Ok(count / span.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(SimTime(250_000_000)));
        assert_eq!(parse_duration("5m"), Ok(SimTime(300 * SimTime::SECOND.0)));
        assert_eq!(
            parse_duration("1.5h"),
            Ok(SimTime(5400 * SimTime::SECOND.0))
        );
        assert_eq!(parse_duration("90d"), Ok(SimTime(90 * SimTime::DAY.0)));
        assert_eq!(parse_duration("1y"), Ok(SimTime::YEAR));
        assert_eq!(
            parse_duration(" 10 s "),
            Ok(SimTime(10 * SimTime::SECOND.0))
        );
        assert_eq!(parse_duration("1e3ms"), Ok(SimTime::SECOND));
        assert!(parse_duration("5").unwrap_err().contains("no unit"));
        assert!(
            parse_duration("5 fortnights")
                .unwrap_err()
                .contains("unknown duration unit")
        );
        assert!(parse_duration("-5s").unwrap_err().contains("negative"));
        // Overflowing and non-finite numbers are not called negative (issue 15).
        assert!(
            parse_duration("1e400h")
                .unwrap_err()
                .contains("not a finite number")
        );
        assert!(
            parse_rate("nan/s")
                .unwrap_err()
                .contains("not a finite number")
        );
        assert!(
            parse_bytes("1e400k")
                .unwrap_err()
                .contains("not a finite number")
        );
        assert!(parse_duration("soon").is_err());
        // The longest duration is stated, and it is right: 2^64 ns.
        let e = parse_duration("600y").unwrap_err();
        assert!(e.contains("5.1 million hours"), "{e}");
        assert!(parse_duration("5100000h").is_ok());
        assert!(parse_duration("5125000h").is_err());
        assert!((u64::MAX as f64 / SimTime::HOUR.0 as f64 / 1e6 - 5.124).abs() < 1e-3);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("512Mi"), Ok(512 << 20));
        assert_eq!(parse_bytes("2gb"), Ok(2 << 30));
        assert_eq!(parse_bytes("1073741824"), Ok(1 << 30));
        assert_eq!(parse_bytes("1k"), Ok(1000));
        assert!(parse_bytes("3 parsecs").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("200/s"), Ok(200.0));
        assert_eq!(parse_rate("6000/min"), Ok(100.0));
        assert_eq!(parse_rate("50/5s"), Ok(10.0));
        assert!(parse_rate("200").is_err());
        assert!(parse_rate("x/s").is_err());
    }
}
