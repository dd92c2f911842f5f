//! The request-availability part of an availability run's report: its
//! lines in the terminal summary and the chart of failed requests per year
//! by cause (a view of `summary.json`'s `request_availability`).

use std::fmt::Write as _;
use std::path::PathBuf;

use super::plot::{Bar, BarChart, bar_chart};
use super::{OutputDir, PlotError};
use crate::availability::request_summary::RequestAvailability;

/// The terminal lines for request availability.
pub fn render_text(r: &RequestAvailability) -> String {
    let mut t = String::new();
    let pct = |x: f64| format!("{:.5}%", x * 100.0);
    let _ = writeln!(
        t,
        "requests ok    {}  (95% CI {} .. {})  {:.2} nines; state availability of the same {} trial-years {}",
        pct(r.mean),
        pct(r.ci95[0]),
        pct(r.ci95[1]),
        r.nines,
        r.trials,
        pct(r.state_availability)
    );
    let _ = writeln!(
        t,
        "failed         {:.0} requests/year (95% CI {:.0} .. {:.0}) of {:.3e}; latency over the year p50 {:.2} ms, p99 {:.2} ms",
        r.failed_per_year.mean,
        r.failed_per_year.ci95[0],
        r.failed_per_year.ci95[1],
        r.requests_per_year,
        r.latency_ms.p50,
        r.latency_ms.p99
    );
    if !r.latency_ms.percentiles.is_empty() {
        let _ = writeln!(
            t,
            "latency        over the year {}",
            r.latency_ms.percentiles.text("ms")
        );
    }
    let d = &r.degraded_minutes_per_year;
    let _ = writeln!(
        t,
        "degraded       {:.1} min/year up with some instance out (95% CI {:.1} .. {:.1}); {:.1} disturbances/year replayed, {:.2} h/year simulated",
        d.mean, d.ci95[0], d.ci95[1], r.windows_per_year, r.simulated_hours_per_year
    );
    if !r.failed_by_cause.is_empty() {
        let _ = writeln!(t, "\nfailed requests per year by cause:");
        for c in &r.failed_by_cause {
            let _ = writeln!(t, "  {:16}  {:12.0}", c.cause, c.per_year);
        }
        let _ = writeln!(t, "failed requests per year by what set them off:");
        let width = r
            .failed_by_origin
            .iter()
            .map(|o| o.id.len())
            .max()
            .unwrap_or(0);
        for o in &r.failed_by_origin {
            let _ = writeln!(
                t,
                "  {:width$}  {:10}  {:12.0}  {:5.1}%",
                o.id,
                o.kind,
                o.per_year,
                o.share * 100.0
            );
        }
    }
    t
}

/// The file stem of the chart of failed requests by cause.
pub const CHART: &str = "failed-requests-by-cause";

/// The chart of failed requests per year by cause; returns its files and title.
pub fn write_chart(
    out: &OutputDir,
    model: &str,
    r: &RequestAvailability,
) -> Result<(Vec<PathBuf>, String), PlotError> {
    let chart = BarChart {
        title: format!("{model}: failed requests per year by cause"),
        x_label: "failed requests [1/year]".into(),
        y_label: String::new(),
        bars: r
            .failed_by_cause
            .iter()
            .map(|c| Bar::new(c.cause, c.per_year))
            .collect(),
        note: Some(format!(
            "{} trial-years at request level; {:.5}% of requests ok",
            r.trials,
            r.mean * 100.0
        )),
    };
    let f = bar_chart(out, CHART, &chart)?;
    Ok((vec![f.png, f.svg], chart.title))
}
