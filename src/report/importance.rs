//! The output of `resim availability --method is`: the text summary,
//! `summary.json` holding the importance-sampling figures, and the
//! report page built from it (`report.html`, `report.md`).

use std::fmt::Write;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::OutputDir;
use super::diagram::Diagram;
use super::index::{RunInfo, augment, short};
use super::page::{Cell, Page, Section, Table, pct_avail};
use crate::rare_event::{IsEstimate, OutageWithin};

const YEAR_SECS: f64 = 365.0 * 86400.0;

/// Seconds per year, in the unit that reads best (`2.5 s`, `19 min`, `3.1 h`).
fn per_year(secs: f64) -> String {
    if !secs.is_finite() {
        "n/a".into()
    } else if secs < 120.0 {
        format!("{} s", short(secs))
    } else if secs < 7200.0 {
        format!("{} min", short(secs / 60.0))
    } else {
        format!("{} h", short(secs / 3600.0))
    }
}

/// `7.94e-8` style: three significant digits.
fn sci(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        format!("{x}")
    } else if (1e-3..1.0).contains(&x.abs()) {
        short(x)
    } else {
        format!("{x:.2e}")
    }
}

/// The figures as text, for the terminal.
pub fn render_text(model: &str, e: &IsEstimate, outage: Option<&OutageWithin>) -> String {
    let mut s = String::new();
    let u = e.unavailability;
    let _ = writeln!(
        s,
        "{model}: steady-state unavailability by importance sampling \
         (balanced failure biasing, beta {}, regenerative cycles from all-up)",
        e.bias
    );
    let _ = writeln!(
        s,
        "  unavailability    {u:.4e}  (95% CI {:.4e} .. {:.4e}, ±{:.1}%)",
        e.ci95.0,
        e.ci95.1,
        100.0 * e.relative_half_width
    );
    if u > 0.0 {
        let _ = writeln!(
            s,
            "  availability      {:.10}%  ({:.2} nines), downtime {} per year",
            100.0 * (1.0 - u),
            -u.log10(),
            per_year(u * YEAR_SECS)
        );
    }
    let _ = writeln!(
        s,
        "  relative error    {:.2}% (standard error / estimate)",
        100.0 * e.relative_error
    );
    let _ = writeln!(
        s,
        "  effective sample  {:.0} (Kish, of the downtime x likelihood-ratio terms); {} of {} biased cycles reached an outage, {} unbiased cycles for the cycle length",
        e.effective_sample_size, e.cycles_with_outage, e.biased_cycles, e.unbiased_cycles
    );
    let _ = writeln!(
        s,
        "  events            {} simulated; plain Monte Carlo would need about {:.2e} for the same interval width: speed-up {:.0}x",
        e.events, e.plain_mc_events, e.speedup
    );
    let _ = writeln!(
        s,
        "  mean cycle        {:.1} h (all-up sojourn and excursion)",
        e.mean_cycle_secs / 3600.0
    );
    for w in &e.warnings {
        let _ = writeln!(s, "  warning: {w}");
    }
    if let Some(o) = outage {
        let _ = writeln!(
            s,
            "P(outage within {} h) from all new and up, by importance sampling over {} paths:",
            short(o.horizon_hours),
            o.paths
        );
        let _ = writeln!(
            s,
            "  probability       {:.4e}  (95% CI {:.4e} .. {:.4e}, ±{:.1}%); relative error {:.2}%",
            o.probability,
            o.ci95.0,
            o.ci95.1,
            100.0 * o.relative_half_width,
            100.0 * o.relative_error
        );
        let _ = writeln!(
            s,
            "  effective sample  {:.0} of {} paths; {} of {} biased excursions reached an outage in time",
            o.effective_sample_size, o.paths, o.cycles_with_outage, o.biased_cycles
        );
        let _ = writeln!(
            s,
            "  events            {} simulated; plain Monte Carlo would need about {:.2e}: speed-up {:.0}x",
            o.events, o.plain_mc_events, o.speedup
        );
        for w in &o.warnings {
            let _ = writeln!(s, "  warning: {w}");
        }
    }
    s
}

/// The warnings of both estimates, each saying which it is about.
fn warnings(e: &IsEstimate, outage: Option<&OutageWithin>) -> Vec<String> {
    let mut w: Vec<String> = e
        .warnings
        .iter()
        .map(|w| format!("steady-state unavailability: {w}"))
        .collect();
    if let Some(o) = outage {
        w.extend(
            o.warnings
                .iter()
                .map(|x| format!("P(outage within {} h): {x}", short(o.horizon_hours))),
        );
    }
    w
}

/// Writes `summary.json` into `out` (the run's facts, the estimates, and
/// the availability and downtime they imply, under the keys a Monte Carlo
/// summary uses), then `report.html` and `report.md`; returns the paths.
pub fn write_results(
    out: &OutputDir,
    info: &RunInfo,
    diagram: &Diagram,
    model: &str,
    seed: u64,
    e: &IsEstimate,
    outage: Option<&OutageWithin>,
) -> Result<Vec<PathBuf>, super::page::ReportError> {
    let u = e.unavailability;
    let mut json = json!({
        "model": model,
        "seed": seed,
        "method": "importance_sampling",
        "importance_sampling": e,
        "availability": {
            "mean": 1.0 - u,
            "ci95": [1.0 - e.ci95.1, 1.0 - e.ci95.0],
            "nines": if u > 0.0 { Some(-u.log10()) } else { None },
        },
        "downtime_minutes_per_year": {
            "mean": u * YEAR_SECS / 60.0,
            "ci95": [e.ci95.0 * YEAR_SECS / 60.0, e.ci95.1 * YEAR_SECS / 60.0],
        },
        "warnings": warnings(e, outage),
    });
    if let Some(o) = outage {
        json["outage_within_horizon"] = serde_json::to_value(o).expect("serialises");
    }
    let json = augment(json, info, diagram, &Default::default());
    let text = serde_json::to_string_pretty(&json).expect("serialises") + "\n";
    let mut written = vec![out.write("summary.json", text)?];
    written.extend(super::page::write_report(out)?);
    Ok(written)
}

/// A relative error's tone: above 10% the figure is uncertain.
fn tone_rel(r: Option<f64>) -> &'static str {
    match r {
        Some(r) if r <= 0.1 => "good",
        _ => "unsure",
    }
}

/// The report page of an importance-sampling run, from its `summary.json`.
pub(super) fn page(v: &Value, page: &mut Page) {
    let f = |p: &str| v.pointer(p).and_then(Value::as_f64);
    let is = |k: &str| f(&format!("/importance_sampling/{k}"));
    let ow = |k: &str| f(&format!("/outage_within_horizon/{k}"));
    let horizon = ow("horizon_hours").map(short).unwrap_or_default();
    page.facts.push((
        "method".into(),
        format!(
            "importance sampling: balanced failure biasing (beta {}) over regenerative \
             cycles from all-up; not Monte Carlo trial-years, so no trials.csv and no \
             per-trial charts (a biased trial's downtime means nothing alone)",
            is("bias").map(short).unwrap_or_default()
        ),
    ));
    page.facts.push((
        "cycles".into(),
        format!(
            "{} biased ({} reached an outage), {} unbiased for the mean cycle length of {} h",
            text_u(is("biased_cycles")),
            text_u(is("cycles_with_outage")),
            text_u(is("unbiased_cycles")),
            is("mean_cycle_secs").map_or("n/a".into(), |s| short(s / 3600.0))
        ),
    ));
    if let Some(p) = ow("paths") {
        page.facts.push((
            "paths".into(),
            format!(
                "{} paths of {horizon} h each from all new and up, with {} biased excursions \
                 ({} reached an outage in time)",
                text_u(Some(p)),
                text_u(ow("biased_cycles")),
                text_u(ow("cycles_with_outage"))
            ),
        ));
    }

    page.summary.head = vec!["figure".into(), "value (95% CI)".into()];
    let u = is("unavailability");
    let (lo, hi) = (is("ci95/0"), is("ci95/1"));
    let rel = is("relative_error");
    let half =
        is("relative_half_width").map_or(String::new(), |h| format!(", ±{}%", short(100.0 * h)));
    let mut row = |k: &str, val: String, tone: &'static str| {
        page.summary
            .rows
            .push(vec![k.into(), Cell { text: val, tone }])
    };
    let inv = |x: Option<f64>| x.map(|x| 1.0 - x);
    row(
        "availability (long run)",
        format!(
            "{} ({} … {})",
            pct_avail(inv(u)),
            pct_avail(inv(hi)),
            pct_avail(inv(lo))
        ),
        "",
    );
    if let Some(n) = f("/availability/nines") {
        row("nines", format!("{n:.2}"), "");
    }
    row(
        "unavailability (long run)",
        format!(
            "{} ({} … {}{half})",
            u.map_or("n/a".into(), sci),
            lo.map_or("n/a".into(), sci),
            hi.map_or("n/a".into(), sci)
        ),
        tone_rel(rel),
    );
    row(
        "downtime per year",
        format!(
            "{} ({} … {})",
            u.map_or("n/a".into(), |u| per_year(u * YEAR_SECS)),
            lo.map_or("n/a".into(), |u| per_year(u * YEAR_SECS)),
            hi.map_or("n/a".into(), |u| per_year(u * YEAR_SECS))
        ),
        "",
    );
    if let Some(p) = ow("probability") {
        let half = ow("relative_half_width")
            .map_or(String::new(), |h| format!(", ±{}%", short(100.0 * h)));
        row(
            &format!("P(outage within {horizon} h)"),
            format!(
                "{} ({} … {}{half})",
                sci(p),
                ow("ci95/0").map_or("n/a".into(), sci),
                ow("ci95/1").map_or("n/a".into(), sci)
            ),
            tone_rel(ow("relative_error")),
        );
    }
    page.summary_note = "Long-run figures: importance sampling of the regenerative cycles \
        from all-up, unavailability = E[downtime × likelihood ratio per biased cycle] / \
        E[cycle length], 95% interval by the delta method. P(outage within the horizon): \
        from all new and up at time 0, each regeneration cycle's chance of an outage in the \
        time left estimated by a biased excursion, normal interval over independent paths. \
        Green: relative error at most 10%."
        .into();

    let mut diag = Table {
        head: [
            "estimate",
            "relative error",
            "effective sample size",
            "events simulated",
            "plain Monte Carlo events, same interval width",
            "speed-up",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: Vec::new(),
    };
    let mut diag_row = |name: String, g: &dyn Fn(&str) -> Option<f64>, of: String| {
        let rel = g("relative_error");
        let speedup = g("speedup");
        diag.rows.push(vec![
            name.into(),
            Cell {
                text: rel.map_or("n/a".into(), |r| format!("{}%", short(100.0 * r))),
                tone: tone_rel(rel),
            },
            format!(
                "{}{of}",
                g("effective_sample_size").map_or("n/a".into(), |x| short(x.round()))
            )
            .into(),
            text_u(g("events")).into(),
            g("plain_mc_events").map_or("n/a".into(), sci).into(),
            Cell {
                text: speedup.map_or("n/a".into(), |x| format!("{}×", short(x))),
                tone: match speedup {
                    Some(x) if x < 1.0 => "bad",
                    _ => "",
                },
            },
        ]);
    };
    diag_row(
        "long-run unavailability".into(),
        &is,
        format!(" of {} biased cycles", text_u(is("biased_cycles"))),
    );
    if v.get("outage_within_horizon").is_some() {
        diag_row(
            format!("P(outage within {horizon} h)"),
            &ow,
            format!(" of {} paths", text_u(ow("paths"))),
        );
    }
    page.sections.push(Section {
        name: "importance-sampling diagnostics".into(),
        description: "Relative error: standard error over estimate. Effective sample size: \
            Kish's (Σw)²/Σw² of the weighted contributions; far below the count, a few \
            likelihood ratios dominate. Speed-up: the events plain Monte Carlo would simulate \
            for the same interval width (from the variance the model's own law gives) over \
            the events simulated here; below 1× the outage is not rare and --method mc is \
            the better choice."
            .into(),
        tables: vec![("precision and cost".into(), diag)],
        ..Section::default()
    });
}

/// A count as text (`n/a` when absent).
fn text_u(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |x| format!("{}", x.round() as u64))
}
