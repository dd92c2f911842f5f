//! The percentiles a command reports (`--percentiles 50,90,95,99,99.9`) and
//! their values, written as a map from label (`p95`, `p99.9`) to value.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::LatencyHistogram;
use super::histogram::relative_width;

/// Percentiles to report, in increasing order, each strictly between 0 and
/// 100.
#[derive(Clone, Debug, PartialEq)]
pub struct Percentiles(Vec<f64>);

impl Default for Percentiles {
    /// p50, p90, p99 and p99.9, the set every command reported before the
    /// flag existed.
    fn default() -> Self {
        Percentiles(vec![50.0, 90.0, 99.0, 99.9])
    }
}

impl Percentiles {
    /// Reads a comma-separated list of percents (`50,95,99.9`): each must be
    /// a number strictly between 0 and 100; repeats count once and the
    /// order does not matter.
    pub fn parse(text: &str) -> Result<Percentiles, String> {
        let mut ps = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(format!(
                    "empty entry in '{text}': give percents separated by commas, as in 50,90,99.9"
                ));
            }
            let p: f64 = part
                .strip_suffix('%')
                .unwrap_or(part)
                .parse()
                .map_err(|_| {
                    format!("'{part}' is not a number (give percents, as in 50,90,99.9)")
                })?;
            if !(p > 0.0 && p < 100.0) {
                return Err(format!(
                    "{part} is not a percentile: each must lie strictly between 0 and 100 (p0 and p100 are the minimum and maximum)"
                ));
            }
            ps.push(p);
        }
        ps.sort_by(f64::total_cmp);
        ps.dedup();
        Ok(Percentiles(ps))
    }

    /// The percents, in increasing order.
    pub fn percents(&self) -> &[f64] {
        &self.0
    }

    /// Each percentile's label and quantile (`("p99.9", 0.999)`).
    pub fn iter(&self) -> impl Iterator<Item = (String, f64)> + '_ {
        self.0.iter().map(|&p| (label(p), p / 100.0))
    }

    /// The values of `h` \[ns\] at these percentiles, interpolated within
    /// their buckets and scaled by `scale` (1e-6 for milliseconds); NaN
    /// when `h` is empty.
    pub fn of(&self, h: &LatencyHistogram, scale: f64) -> Quantiles {
        Quantiles(
            self.iter()
                .map(|(l, q)| {
                    let v = h.quantile_interpolated(q).map_or(f64::NAN, |v| v * scale);
                    (l, v)
                })
                .collect(),
        )
    }
}

/// The label of percent `p`: `p50`, `p99.9`.
pub fn label(p: f64) -> String {
    format!("p{p}")
}

/// The largest bucket width, relative, of the values `h` reports at the
/// quantiles `qs` (see [`relative_width`]): how far any of them may be
/// from the exact sample quantile. 0 when `h` is empty.
pub fn relative_error(h: &LatencyHistogram, qs: impl IntoIterator<Item = f64>) -> f64 {
    qs.into_iter()
        .filter_map(|q| h.quantile_interpolated(q))
        .map(|v| relative_width(v as u64))
        .fold(0.0, f64::max)
}

/// Values at percentiles, in increasing order; serialised as a map from
/// label to value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Quantiles(pub Vec<(String, f64)>);

impl Quantiles {
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `p50 1.23 ms, p99 4.56 ms` with `unit`, two decimals.
    pub fn text(&self, unit: &str) -> String {
        self.0
            .iter()
            .map(|(l, v)| format!("{l} {v:.2} {unit}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Serialize for Quantiles {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sorts_and_labels() {
        let p = Percentiles::parse("99.9, 50,95,99,95").expect("valid");
        assert_eq!(p.percents(), &[50.0, 95.0, 99.0, 99.9]);
        let labels: Vec<String> = p.iter().map(|(l, _)| l).collect();
        assert_eq!(labels, ["p50", "p95", "p99", "p99.9"]);
        assert_eq!(
            Percentiles::parse("90%").expect("valid").percents(),
            &[90.0]
        );
        assert_eq!(Percentiles::default().percents(), &[50.0, 90.0, 99.0, 99.9]);
    }

    #[test]
    fn refuses_what_is_not_a_percentile() {
        for bad in ["0", "100", "101", "-5", "abc", "", "50,,90", "NaN", "inf"] {
            assert!(Percentiles::parse(bad).is_err(), "{bad:?} accepted");
        }
        let e = Percentiles::parse("abc").unwrap_err();
        assert!(e.contains("'abc' is not a number"), "{e}");
        let e = Percentiles::parse("100").unwrap_err();
        assert!(e.contains("strictly between 0 and 100"), "{e}");
    }

    #[test]
    fn serialises_as_a_map_in_order() {
        let mut h = LatencyHistogram::new();
        for ms in 1..=100u64 {
            h.record(ms * 1_000_000);
        }
        let q = Percentiles::parse("50,99.9").expect("valid").of(&h, 1e-6);
        let json = serde_json::to_string(&q).expect("serialises");
        assert!(json.starts_with("{\"p50\":"), "{json}");
        assert!(json.contains("\"p99.9\":"), "{json}");
        assert!((q.0[0].1 - 50.0).abs() <= 50.0 / 32.0, "{q:?}");
        assert!(relative_error(&h, [0.5, 0.999]) <= super::super::histogram::MAX_BUCKET_WIDTH);
    }
}
