//! `--vary PATH=VALUES`: the values a sweep gives one model path, as a list
//! (`2,3,4,6`, `250ms,500ms`) or a range with a number of points
//! (`500/s..8000/s:12`, evenly spaced; `500/s..8000/s:12:log`, evenly
//! spaced on a log scale). Every value of one `--vary` has the same unit,
//! which stays on the value (`800/s`) so the model reads it as it reads its
//! own file.

use crate::overrides::SetError;

/// The values of one varied path.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    /// The argument as given.
    pub arg: String,
    /// The dotted path, as given (`traffic.rate`).
    pub path: String,
    /// The unit written after the numbers (`/s`, `ms`; empty for counts).
    pub unit: String,
    /// The numbers, in the order given (ascending for a range).
    pub values: Vec<f64>,
    /// Whole numbers only (instance counts): bisection stays on integers.
    pub integer: bool,
    /// A log-spaced range: bisection splits geometrically.
    pub log: bool,
}

impl Vary {
    /// Parses `PATH=VALUES`.
    pub fn parse(arg: &str) -> Result<Vary, SetError> {
        let bad = |message: String| SetError::Arg {
            flag: "--vary",
            arg: arg.to_string(),
            message,
        };
        let (path, list) = arg.split_once('=').ok_or_else(|| {
            bad("expected PATH=VALUES, e.g. traffic.rate=500/s..8000/s:12".into())
        })?;
        let path = path.trim().to_string();
        if path.is_empty() || path.split('.').any(|k| k.trim().is_empty()) {
            return Err(bad("the path has an empty key".into()));
        }
        let list = list.trim();
        let (values, unit, log) = if let Some((lo, rest)) = list.split_once("..") {
            let (hi, steps) = rest.split_once(':').ok_or_else(|| {
                bad(format!(
                    "a range needs a number of points, e.g. {lo}..{rest}:12 (or :12:log)"
                ))
            })?;
            let (steps, log) = match steps.split_once(':') {
                Some((n, "log")) => (n, true),
                Some((n, "linear")) => (n, false),
                Some((_, other)) => {
                    return Err(bad(format!(
                        "'{other}' is not a spacing; write :log or :linear after the number of points"
                    )));
                }
                None => (steps, false),
            };
            let n: usize = steps
                .trim()
                .parse()
                .map_err(|_| bad(format!("'{steps}' is not a number of points, e.g. 12")))?;
            if n < 2 {
                return Err(bad("a range needs at least 2 points".into()));
            }
            let (lo, lo_unit) = split_number(lo).map_err(&bad)?;
            let (hi, hi_unit) = split_number(hi).map_err(&bad)?;
            if lo_unit != hi_unit {
                return Err(bad(format!(
                    "the ends of the range have different units ('{lo_unit}' and '{hi_unit}')"
                )));
            }
            if hi <= lo {
                return Err(bad(format!("the range {lo}..{hi} is empty or reversed")));
            }
            if log && lo <= 0.0 {
                return Err(bad("a log range must start above zero".into()));
            }
            let at = |i: usize| {
                let f = i as f64 / (n - 1) as f64;
                if log {
                    lo * (hi / lo).powf(f)
                } else {
                    lo + (hi - lo) * f
                }
            };
            let mut v: Vec<f64> = (0..n).map(at).collect();
            let whole = lo.fract() == 0.0 && hi.fract() == 0.0 && lo_unit.is_empty();
            if whole {
                for x in &mut v {
                    *x = x.round();
                }
                v.dedup();
            } else {
                for x in &mut v {
                    *x = round_sig(*x, 4);
                }
            }
            (v, lo_unit, log)
        } else {
            let mut unit: Option<String> = None;
            let mut v = Vec::new();
            for item in list.split(',') {
                let (x, u) = split_number(item).map_err(&bad)?;
                match &unit {
                    Some(first) if *first != u => {
                        return Err(bad(format!(
                            "the values have different units ('{first}' and '{u}')"
                        )));
                    }
                    _ => unit = Some(u),
                }
                v.push(x);
            }
            (v, unit.unwrap_or_default(), false)
        };
        let integer = unit.is_empty() && values.iter().all(|x| x.fract() == 0.0);
        Ok(Vary {
            arg: arg.to_string(),
            path,
            unit,
            values,
            integer,
            log,
        })
    }

    /// The value `x` as the model file writes it: a number, or a string
    /// with the unit.
    pub fn toml_value(&self, x: f64) -> toml::Value {
        if !self.unit.is_empty() {
            toml::Value::String(format!("{}{}", number_text(x), self.unit))
        } else if self.integer && x.fract() == 0.0 {
            toml::Value::Integer(x as i64)
        } else {
            toml::Value::Float(x)
        }
    }

    /// `x` with the unit to four significant digits, for labels: `800/s`,
    /// `353.8/s`, `4`.
    pub fn label(&self, x: f64) -> String {
        format!("{}{}", number_text(round_sig(x, 4)), self.unit)
    }

    /// The axis label: `traffic.rate [/s]`.
    pub fn axis_label(&self) -> String {
        if self.unit.is_empty() {
            self.path.clone()
        } else {
            format!("{} [{}]", self.path, self.unit)
        }
    }
}

/// `500/s` → (500, "/s"); `2.5` → (2.5, ""); `1e3ms` → (1000, "ms").
fn split_number(s: &str) -> Result<(f64, String), String> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == '_'
                || ((c == '-' || c == '+') && (i == 0 || s[..i].ends_with(['e', 'E'])))
                || ((c == 'e' || c == 'E')
                    && i > 0
                    && s[i + 1..]
                        .starts_with(|d: char| d.is_ascii_digit() || d == '-' || d == '+')))
        })
        .map_or(s.len(), |(i, _)| i);
    let (num, unit) = s.split_at(end);
    let x: f64 = num
        .replace('_', "")
        .parse()
        .map_err(|_| format!("'{s}' does not start with a number"))?;
    if !x.is_finite() {
        return Err(format!("'{s}' is not a finite number"));
    }
    Ok((x, unit.trim().to_string()))
}

/// `x` rounded to `digits` significant digits.
fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// A number without trailing zeros: `800`, `2.5`, `0.125`.
pub fn number_text(x: f64) -> String {
    let s = format!("{x:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges() {
        let v = Vary::parse("app.replicas=2,3,4,6").expect("list");
        assert_eq!(v.values, [2.0, 3.0, 4.0, 6.0]);
        assert!(v.integer && v.unit.is_empty());
        assert_eq!(v.toml_value(3.0), toml::Value::Integer(3));
        let v = Vary::parse("traffic.rate=500/s..8000/s:5:log").expect("log range");
        assert_eq!(v.values, [500.0, 1000.0, 2000.0, 4000.0, 8000.0]);
        assert_eq!(v.unit, "/s");
        assert_eq!(v.toml_value(1000.0), toml::Value::String("1000/s".into()));
        assert_eq!(v.axis_label(), "traffic.rate [/s]");
        let v = Vary::parse("app.timeout=100ms..400ms:4").expect("linear");
        assert_eq!(v.values, [100.0, 200.0, 300.0, 400.0]);
        let v = Vary::parse("app.replicas=2..9:4").expect("whole");
        assert_eq!(v.values, [2.0, 4.0, 7.0, 9.0]);
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        let err = |a: &str| Vary::parse(a).expect_err(a).to_string();
        assert!(err("traffic.rate=500/s..8000/s").contains("needs a number of points"));
        assert!(err("traffic.rate=500/s..8s:4").contains("different units"));
        assert!(err("traffic.rate=800..500:4").contains("reversed"));
        assert!(err("traffic.rate=0..500:4:log").contains("above zero"));
        assert!(err("traffic.rate=1..5:1").contains("at least 2"));
        assert!(err("traffic.rate=fast").contains("does not start with a number"));
        assert!(err("traffic.rate").contains("PATH=VALUES"));
        assert!(err("traffic.rate=1..5:4:cubic").contains("not a spacing"));
    }

    #[test]
    fn numbers_and_units_split() {
        assert_eq!(split_number("500/s"), Ok((500.0, "/s".into())));
        assert_eq!(split_number("1e3ms"), Ok((1000.0, "ms".into())));
        assert_eq!(split_number("2.5"), Ok((2.5, String::new())));
        assert_eq!(split_number("1_000"), Ok((1000.0, String::new())));
        assert_eq!(number_text(2.5), "2.5");
        assert_eq!(round_sig(1234.5678, 4), 1235.0);
    }
}
