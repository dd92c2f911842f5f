//! The files of a comparison: `summary.json`, `comparison.md` and, per
//! scenario, overlay charts of designs A and B on the same axes.

use std::path::PathBuf;

use serde::Serialize;

use super::plot::{LineChart, Series, line_chart};
use super::{OutputDir, PlotError};
use crate::compare::{ScenarioComparison, markdown};
use crate::drill::ScenarioSummary;

#[derive(Serialize)]
struct CompareSummary<'a> {
    a: &'a str,
    b: &'a str,
    seed: u64,
    trials: u64,
    scenarios: &'a [ScenarioComparison],
}

/// Writes the comparison's files; returns the paths written.
pub fn write_results(
    out: &OutputDir,
    labels: (&str, &str),
    seed: u64,
    trials: u64,
    comparisons: &[ScenarioComparison],
) -> Result<Vec<PathBuf>, PlotError> {
    let summary = CompareSummary {
        a: labels.0,
        b: labels.1,
        seed,
        trials,
        scenarios: comparisons,
    };
    let mut written = vec![out.write(
        "summary.json",
        serde_json::to_string_pretty(&summary).expect("serialises") + "\n",
    )?];
    written.push(out.write(
        "comparison.md",
        markdown(labels.0, labels.1, comparisons, trials, seed),
    )?);
    for c in comparisons {
        written.extend(overlay(out, c, "success", "success ratio", |s| {
            s.bins
                .iter()
                .map(|b| (b.success.mean, b.success.low, b.success.high))
                .collect()
        })?);
        written.extend(overlay(out, c, "p99", "p99 latency [ms]", |s| {
            s.bins
                .iter()
                .map(|b| (b.p99_ms.mean, b.p99_ms.low, b.p99_ms.high))
                .collect()
        })?);
        written.extend(overlay(out, c, "goodput", "goodput [requests/s]", |s| {
            s.bins
                .iter()
                .map(|b| {
                    let g = b.succeeded / s.bin_s;
                    (g, g, g)
                })
                .collect()
        })?);
        // The caller-side patterns' own readings, where either design has them.
        let mut names: Vec<&str> = Vec::new();
        for r in c.a.readings.iter().chain(&c.b.readings) {
            let n = r.def.name.as_str();
            let wanted = n.contains(".retries_per_request_to_") || n.contains(".breaker_to_");
            if wanted && !names.contains(&n) {
                names.push(n);
            }
        }
        for name in names {
            let stem = name.replace(['.', '_'], "-");
            let (label, unit) = [&c.a, &c.b]
                .iter()
                .flat_map(|s| &s.readings)
                .find(|r| r.def.name == name)
                .map(|r| (r.def.label.clone(), r.def.unit.clone()))
                .expect("listed above");
            written.extend(overlay(out, c, &stem, &format!("{label} [{unit}]"), |s| {
                s.readings.iter().find(|r| r.def.name == name).map_or_else(
                    || vec![(f64::NAN, f64::NAN, f64::NAN); s.bins.len()],
                    |r| r.bins.iter().map(|b| (b.mean, b.low, b.high)).collect(),
                )
            })?);
        }
    }
    Ok(written)
}

type Points = Vec<(f64, f64, f64)>;

fn overlay(
    out: &OutputDir,
    c: &ScenarioComparison,
    stem: &str,
    y_label: &str,
    values: impl Fn(&ScenarioSummary) -> Points,
) -> Result<Vec<PathBuf>, PlotError> {
    let series = |label: &str, s: &ScenarioSummary| {
        let mid = |i: usize| (i as f64 + 0.5) * s.bin_s / 60.0;
        let v = values(s);
        Series::new(
            label,
            v.iter().enumerate().map(|(i, p)| (mid(i), p.0)).collect(),
        )
        .with_band(v.iter().map(|p| (p.1, p.2)).collect())
    };
    let chart = LineChart {
        title: format!(
            "{}: {}, A vs B ({} paired trials)",
            c.scenario,
            y_label.split(" [").next().unwrap_or(y_label),
            c.a.trials
        ),
        x_label: "time since the warm-up [min]".into(),
        y_label: y_label.into(),
        series: vec![series("A", &c.a), series("B", &c.b)],
        log_y: stem == "p99",
        ..Default::default()
    };
    let f = line_chart(out, &format!("{}-{stem}-compare", c.scenario), &chart)?;
    Ok(vec![f.png, f.svg])
}
