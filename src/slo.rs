//! Service-level objectives: the model's optional `[slo]` section and the
//! verdict of a drill scenario against it.
//!
//! ```toml
//! [slo]
//! availability = "99.9%"   # share of requests that succeed
//! p99 = "250ms"            # latency of successful requests
//! "p99.9" = "1s"           # (quoted: a bare p99.9 is a dotted key; p999 works too)
//! ```
//!
//! Every objective is measured over the measured part of a scenario (after
//! its warm-up), once per trial, and judged across trials with the drill's
//! 95% interval ([`Band`]): **met** when the whole interval is on the good
//! side of the target, **missed** when it is all on the bad side, and
//! **undecided** when it straddles the target (more trials would tell).
//! The margin is the distance from the measured value to the target, in the
//! target's unit (a fraction, or seconds), positive on the good side.

use serde::Serialize;
use toml::de::DeValue;

use crate::drill::TrialResult;
use crate::drill::summary::{Availability, Band};
use crate::model::error::Diagnostics;
use crate::model::reader::TableReader;
use crate::model::units;

/// What one objective bounds.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// The share of requests that succeed is at least this, in (0, 1].
    Availability(f64),
    /// The `quantile` (in (0, 1)) of successful requests' latency is at
    /// most `seconds`.
    Latency {
        /// The quantile, e.g. 0.99.
        quantile: f64,
        /// The bound \[s\].
        seconds: f64,
    },
}

/// One objective with its name as the model file spells it (`p99`).
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// `availability`, `p50`, `p99`, `p99.9`, ...
    pub name: String,
    /// The bound.
    pub target: Target,
}

impl Objective {
    /// The target as a number: a fraction, or seconds.
    pub fn target_value(&self) -> f64 {
        match self.target {
            Target::Availability(a) => a,
            Target::Latency { seconds, .. } => seconds,
        }
    }

    /// `availability ≥ 99.9%` or `p99 ≤ 250ms`, for text output.
    pub fn describe(&self) -> String {
        match self.target {
            Target::Availability(a) => format!("availability ≥ {}%", trim(a * 100.0)),
            Target::Latency { seconds, .. } => format!("{} ≤ {}", self.name, seconds_text(seconds)),
        }
    }
}

/// The `[slo]` section: one or more objectives, in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// The objectives.
    pub objectives: Vec<Objective>,
    /// `alerts = "burn-rate"`: generate the SRE workbook's multiwindow
    /// burn-rate alerts from the availability objective.
    pub burn_rate_alerts: bool,
}

impl Slo {
    /// The availability target the burn-rate alerts are generated from,
    /// when they are asked for.
    pub fn burn_rate_target(&self) -> Option<f64> {
        self.objectives.iter().find_map(|o| match o.target {
            Target::Availability(a) if self.burn_rate_alerts => Some(a),
            _ => None,
        })
    }
}

/// The verdict on one objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The whole 95% interval is on the good side of the target.
    Met,
    /// The whole 95% interval is on the bad side.
    Missed,
    /// The interval straddles the target.
    Undecided,
}

impl Verdict {
    /// `met`, `missed` or `undecided`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "missed",
            Verdict::Undecided => "undecided",
        }
    }
}

/// One objective judged on one scenario (a `summary.json` entry).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Judgement {
    /// `availability`, `p99`, ...
    pub objective: String,
    /// The target: a fraction for availability, seconds for latency.
    pub target: f64,
    /// The measured value, in the target's unit (mean across trials).
    pub measured: f64,
    /// Its 95% interval across trials.
    pub ci95: [f64; 2],
    /// Distance to the target in its unit, positive on the good side.
    pub margin: f64,
    /// Met, missed or undecided.
    pub verdict: Verdict,
}

impl Judgement {
    /// The margin relative to the room the target leaves: over the error
    /// budget (1 − target) for availability, over the target for latency.
    /// Comparable across objectives; below zero means the objective is missed.
    pub fn relative_margin(&self) -> f64 {
        self.margin * self.margin_scale()
    }

    /// The 95% interval of the relative margin.
    pub fn relative_margin_ci95(&self) -> [f64; 2] {
        let s = self.margin_scale();
        if self.objective == "availability" {
            [
                (self.ci95[0] - self.target) * s,
                (self.ci95[1] - self.target) * s,
            ]
        } else {
            [
                (self.target - self.ci95[1]) * s,
                (self.target - self.ci95[0]) * s,
            ]
        }
    }

    /// The room the target leaves: 1 / (1 − target) for availability,
    /// 1 / target for latency.
    fn margin_scale(&self) -> f64 {
        if self.objective == "availability" {
            1.0 / (1.0 - self.target).max(1e-12)
        } else {
            1.0 / self.target
        }
    }

    /// The margin in the objective's unit, signed, four significant
    /// digits: `+66.6ms`, `-0.05 pp` (availability, in percentage points).
    pub fn margin_text(&self) -> String {
        if self.objective == "availability" {
            let m = trim_sig(self.margin * 100.0);
            if m.starts_with('-') {
                format!("{m} pp")
            } else {
                format!("+{m} pp")
            }
        } else {
            signed_seconds(self.margin)
        }
    }

    /// `p99 0.1834 s ≤ 0.25 s: met (margin 0.0666 s, 95% CI 0.17..0.19)`.
    pub fn text(&self) -> String {
        let (v, lo, hi, m) = (self.measured, self.ci95[0], self.ci95[1], self.margin);
        if self.objective == "availability" {
            format!(
                "{:<12} {}% (95% CI {}% .. {}%) against ≥ {}%: {} (margin {:+} points)",
                self.objective,
                pct(v),
                pct(lo),
                pct(hi),
                pct(self.target),
                self.verdict.name(),
                trim(m * 100.0)
            )
        } else {
            format!(
                "{:<12} {} (95% CI {} .. {}) against ≤ {}: {} (margin {})",
                self.objective,
                seconds_text(v),
                seconds_text(lo),
                seconds_text(hi),
                seconds_text(self.target),
                self.verdict.name(),
                signed_seconds(m)
            )
        }
    }
}

/// The verdict line for a set of judgements, e.g. `SLO met` or
/// `SLO missed (p99)`.
pub fn overall(judgements: &[Judgement]) -> Verdict {
    if judgements.iter().any(|j| j.verdict == Verdict::Missed) {
        Verdict::Missed
    } else if judgements.iter().any(|j| j.verdict == Verdict::Undecided) {
        Verdict::Undecided
    } else {
        Verdict::Met
    }
}

/// Renders judgements as indented text lines, one per objective.
pub fn render_text(judgements: &[Judgement]) -> String {
    let mut s = format!("  SLO: {}\n", overall(judgements).name());
    for j in judgements {
        s.push_str(&format!("    {}\n", j.text()));
    }
    s
}

/// Each trial's `q` quantile of successful latency \[s\], with the drill's
/// across-trial 95% band.
pub fn latency_band(trials: &[TrialResult], q: f64) -> Band {
    Band::of(
        trials
            .iter()
            .map(|t| t.latency.quantile(q).map_or(f64::NAN, |ns| ns as f64 / 1e9)),
    )
}

/// Judges every objective of `slo` on a scenario's trials, given the
/// scenario's availability (mean and interval across trials).
pub fn evaluate(slo: &Slo, availability: &Availability, trials: &[TrialResult]) -> Vec<Judgement> {
    slo.objectives
        .iter()
        .map(|o| {
            let target = o.target_value();
            let (measured, lo, hi, higher_is_better) = match o.target {
                Target::Availability(_) => (
                    availability.mean,
                    availability.ci95[0],
                    availability.ci95[1],
                    true,
                ),
                Target::Latency { quantile, .. } => {
                    let b = latency_band(trials, quantile);
                    (b.mean, b.low, b.high, false)
                }
            };
            let (margin, good_lo, good_hi) = if higher_is_better {
                (measured - target, lo - target, hi - target)
            } else {
                (target - measured, target - hi, target - lo)
            };
            // No measurement (no request succeeded) cannot meet a latency bound.
            let verdict = if !margin.is_finite() || good_hi < 0.0 {
                Verdict::Missed
            } else if good_lo >= 0.0 {
                Verdict::Met
            } else {
                Verdict::Undecided
            };
            Judgement {
                objective: o.name.clone(),
                target,
                measured,
                ci95: [lo, hi],
                margin,
                verdict,
            }
        })
        .collect()
}

/// Reads `[slo]`. `has_traffic` says whether the model has requests to
/// measure (a `[traffic]` section or a scenario's own traffic).
pub(crate) fn read_slo(
    mut tr: TableReader,
    has_traffic: bool,
    diags: &mut Diagnostics,
) -> Option<Slo> {
    let span = tr.span.clone();
    let mut objectives: Vec<Objective> = Vec::new();
    let mut ok = true;
    let alerts = tr.str("alerts", diags);
    if let Some(a) = &alerts
        && a.value != crate::alerts::burn_rate::STYLE
    {
        diags.error_hint(
            a.span.clone(),
            format!("slo.alerts: unknown style '{}'", a.value),
            Some(format!(
                "the one style is \"{}\"",
                crate::alerts::burn_rate::STYLE
            )),
        );
        ok = false;
    }
    for (key, value) in tr.entries() {
        let mut found = Vec::new();
        flatten(&key.value, value, &mut found);
        for (name, v) in found {
            match read_objective(&name, v) {
                Ok(o) => {
                    if objectives.iter().any(|x| x.name == o.name) {
                        diags.error(key.span.clone(), format!("[slo] sets '{name}' twice"));
                        ok = false;
                    }
                    objectives.push(o);
                }
                Err((msg, hint)) => {
                    diags.error_hint(v.span(), format!("slo.{name}: {msg}"), hint);
                    ok = false;
                }
            }
        }
    }
    if objectives.is_empty() && ok {
        diags.error_hint(
            span.start..span.start + 1,
            "[slo] sets no objective",
            Some("add e.g. availability = \"99.9%\" or p99 = \"250ms\"".into()),
        );
        return None;
    }
    if !has_traffic && !objectives.is_empty() {
        diags.error_hint(
            span.start..span.start + 1,
            "[slo] cannot be measured: the model has no [traffic], so no request is ever served",
            Some("add [traffic] with a rate, e.g. rate = \"200/s\"".into()),
        );
        return None;
    }
    let burn_rate_alerts = alerts.is_some();
    if let Some(a) = &alerts
        && !objectives
            .iter()
            .any(|o| matches!(o.target, Target::Availability(_)))
    {
        diags.error_hint(
            a.span.clone(),
            "slo.alerts: burn-rate alerts need an availability objective",
            Some("add e.g. availability = \"99.9%\"".into()),
        );
        ok = false;
    }
    ok.then_some(Slo {
        objectives,
        burn_rate_alerts,
    })
}

/// `p99 = { 9 = "1s" }` is how TOML reads a bare `p99.9 = "1s"`: walk into
/// such tables and name the leaves `p99.9`.
fn flatten<'a, 'i>(
    name: &str,
    value: &'a toml::Spanned<DeValue<'i>>,
    out: &mut Vec<(String, &'a toml::Spanned<DeValue<'i>>)>,
) {
    match value.get_ref() {
        DeValue::Table(t) if name.starts_with('p') => {
            for (k, v) in t.iter() {
                flatten(&format!("{name}.{}", k.get_ref()), v, out);
            }
        }
        _ => out.push((name.to_string(), value)),
    }
}

type Problem = (String, Option<String>);

fn read_objective(name: &str, v: &toml::Spanned<DeValue>) -> Result<Objective, Problem> {
    let text = match v.get_ref() {
        DeValue::String(s) => s.to_string(),
        DeValue::Float(f) => f.as_str().to_string(),
        DeValue::Integer(i) => i.as_str().to_string(),
        other => {
            return Err((
                format!(
                    "must be a string such as \"99.9%\" or \"250ms\", found {}",
                    other.type_str()
                ),
                None,
            ));
        }
    };
    if name == "availability" {
        let a = parse_share(&text)?;
        return Ok(Objective {
            name: name.into(),
            target: Target::Availability(a),
        });
    }
    let Some(quantile) = quantile_of(name) else {
        return Err((
            format!("unknown objective '{name}'"),
            Some("objectives: availability, or a latency percentile p50, p90, p99, p999 (or \"p99.9\")".into()),
        ));
    };
    let seconds = units::parse_duration(&text)
        .map_err(|e| (e, Some(format!("write e.g. {name} = \"250ms\""))))?
        .as_secs_f64();
    if seconds <= 0.0 {
        return Err((
            "a latency target of zero can never be met".into(),
            Some(format!("write e.g. {name} = \"250ms\"")),
        ));
    }
    Ok(Objective {
        name: name.into(),
        target: Target::Latency { quantile, seconds },
    })
}

/// `p99` → 0.99, `p999` → 0.999, `p99.9` → 0.999, `p50` → 0.5; `None` for
/// anything that is not a percentile strictly between 0 and 100 (three or
/// more digits without a dot must start with 99: `p9995` is 99.95).
pub fn quantile_of(name: &str) -> Option<f64> {
    let digits = name.strip_prefix('p')?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let percent: f64 = if digits.contains('.') || digits.len() <= 2 {
        digits.parse().ok()?
    } else if !digits.starts_with("99") {
        return None;
    } else {
        // p999 = 99.9, p9999 = 99.99: two digits, then the decimals.
        format!("{}.{}", &digits[..2], &digits[2..]).parse().ok()?
    };
    (percent > 0.0 && percent < 100.0).then_some(percent / 100.0)
}

/// `"99.9%"` or `0.999` → 0.999, in (0, 1].
fn parse_share(text: &str) -> Result<f64, Problem> {
    let hint = Some("write e.g. availability = \"99.9%\"".to_string());
    let (num, scale) = match text.trim().strip_suffix('%') {
        Some(n) => (n, 0.01),
        None => (text.trim(), 1.0),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| (format!("'{text}' is not a percentage"), hint.clone()))?;
    let v = v * scale;
    if v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err((
            format!("'{text}' is not a share of requests between 0% and 100%"),
            hint,
        ))
    }
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        trim(x * 100.0)
    } else {
        "n/a".into()
    }
}

/// Up to four decimals, trailing zeros dropped.
fn trim(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// Seconds as `183.4ms` or `1.25s`.
pub fn seconds_text(s: f64) -> String {
    if !s.is_finite() {
        "n/a".into()
    } else if s.abs() < 1.0 {
        format!("{}ms", trim_sig(s * 1e3))
    } else {
        format!("{}s", trim_sig(s))
    }
}

fn signed_seconds(s: f64) -> String {
    if s >= 0.0 {
        format!("+{}", seconds_text(s))
    } else {
        format!("-{}", seconds_text(-s))
    }
}

/// Four significant digits, trailing zeros dropped.
fn trim_sig(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_names() {
        assert_eq!(quantile_of("p99"), Some(0.99));
        assert_eq!(quantile_of("p50"), Some(0.5));
        assert!((quantile_of("p999").unwrap() - 0.999).abs() < 1e-12);
        assert!((quantile_of("p99.9").unwrap() - 0.999).abs() < 1e-12);
        assert!((quantile_of("p9999").unwrap() - 0.9999).abs() < 1e-12);
        for bad in ["p100", "p0", "p", "latency", "p9x", "p-1"] {
            assert_eq!(quantile_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn shares() {
        assert!((parse_share("99.9%").unwrap() - 0.999).abs() < 1e-12);
        assert_eq!(parse_share("0.5").unwrap(), 0.5);
        assert!(parse_share("150%").is_err());
        assert!(parse_share("0%").is_err());
        assert!(parse_share("most").is_err());
    }

    fn judge(measured: f64, lo: f64, hi: f64) -> Verdict {
        let slo = Slo {
            objectives: vec![Objective {
                name: "availability".into(),
                target: Target::Availability(0.99),
            }],
            burn_rate_alerts: false,
        };
        let a = Availability {
            mean: measured,
            ci95: [lo, hi],
            ci_method: "compound_poisson",
            ci_one_sided: false,
        };
        evaluate(&slo, &a, &[])[0].verdict
    }

    #[test]
    fn verdicts_follow_the_interval() {
        assert_eq!(judge(0.995, 0.991, 0.999), Verdict::Met);
        assert_eq!(judge(0.98, 0.97, 0.989), Verdict::Missed);
        assert_eq!(judge(0.991, 0.985, 0.997), Verdict::Undecided);
        assert_eq!(judge(f64::NAN, f64::NAN, f64::NAN), Verdict::Missed);
    }

    #[test]
    fn text_shows_units() {
        assert_eq!(seconds_text(0.1834), "183.4ms");
        assert_eq!(seconds_text(1.25), "1.25s");
        assert_eq!(signed_seconds(-0.02), "-20ms");
        let j = |objective: &str, margin: f64| Judgement {
            objective: objective.into(),
            target: 0.999,
            measured: 0.0,
            ci95: [0.0, 0.0],
            margin,
            verdict: Verdict::Missed,
        };
        assert_eq!(j("availability", -0.048706).margin_text(), "-4.871 pp");
        assert_eq!(j("availability", 0.0005).margin_text(), "+0.05 pp");
        assert_eq!(j("p99", 0.0666).margin_text(), "+66.6ms");
    }
}
