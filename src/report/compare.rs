//! The files of a comparison: `summary.json`, `comparison.md` and, per
//! scenario, a folder of overlay charts of the two designs on the same
//! axes, each series named after its design (the file name or the `--set`
//! text), the faults and actions marked, then `report.html`/`report.md`.
//! The first design is drawn wide and solid, the second narrow and dashed
//! on top, so neither can hide the other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::diagram::Diagram;
use super::index::{ChartIndex, RunInfo, augment, scenario_folder};
use super::plot::{LineChart, Series, line_chart};
use super::{Marker, OutputDir, PlotError};
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

/// The name a reader gave a design: the `--set` edits for a design made
/// from another, else the model's file name (`models/a.toml` → `a.toml`).
pub fn design_label(origin: &str) -> String {
    if let Some((_, sets)) = origin.split_once(" with ") {
        return sets.to_string();
    }
    Path::new(origin)
        .file_name()
        .map_or_else(|| origin.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Short labels for designs A and B: [`design_label`], or the full origins
/// when those would read the same; each cut to at most `max` characters
/// (with `…`) so that a long `--set` fits a legend or a table header.
pub fn design_labels(a: &str, b: &str, max: usize) -> (String, String) {
    let (la, lb) = (design_label(a), design_label(b));
    let (la, lb) = if la == lb {
        (a.to_string(), b.to_string())
    } else {
        (la, lb)
    };
    (cut(&la, max), cut(&lb, max))
}

/// `s` cut to `max` characters, the last one `…`.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Writes the comparison's files; returns the paths written.
pub fn write_results(
    out: &OutputDir,
    info: &RunInfo,
    diagram: &Diagram,
    origins: (&str, &str),
    seed: u64,
    trials: u64,
    comparisons: &[ScenarioComparison],
) -> Result<Vec<PathBuf>, PlotError> {
    let summary = CompareSummary {
        a: origins.0,
        b: origins.1,
        seed,
        trials,
        scenarios: comparisons,
    };
    let mut written = vec![out.write(
        "comparison.md",
        markdown(origins.0, origins.1, comparisons, trials, seed),
    )?];
    let labels = design_labels(origins.0, origins.1, 70);
    let mut charts = BTreeMap::new();
    for c in comparisons {
        let folder = scenario_folder(&c.scenario);
        let dir = OutputDir::open(&out.path(&folder))?;
        let mut index = ChartIndex::default();
        let mut draw =
            |stem: &str, y_label: &str, key: bool, values: &dyn Fn(&ScenarioSummary) -> Points| {
                overlay(
                    &dir,
                    &folder,
                    &mut index,
                    c,
                    &labels,
                    (stem, y_label, key),
                    values,
                )
            };
        written.extend(draw("success", "success ratio", true, &|s| {
            s.bins
                .iter()
                .map(|b| (b.success.mean, b.success.low, b.success.high))
                .collect()
        })?);
        written.extend(draw("p99", "p99 latency [ms]", true, &|s| {
            s.bins
                .iter()
                .map(|b| (b.p99_ms.mean, b.p99_ms.low, b.p99_ms.high))
                .collect()
        })?);
        written.extend(draw("goodput", "goodput [requests/s]", false, &|s| {
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
            written.extend(draw(&stem, &format!("{label} [{unit}]"), false, &|s| {
                s.readings.iter().find(|r| r.def.name == name).map_or_else(
                    || vec![(f64::NAN, f64::NAN, f64::NAN); s.bins.len()],
                    |r| r.bins.iter().map(|b| (b.mean, b.low, b.high)).collect(),
                )
            })?);
        }
        charts.insert(c.scenario.clone(), index);
    }
    let json = augment(
        serde_json::to_value(&summary).expect("serialises"),
        info,
        diagram,
        &charts,
    );
    written.extend(super::page::write_summary_and_report(out, &json)?);
    Ok(written)
}

type Points = Vec<(f64, f64, f64)>;

/// The markers of both designs' timelines, each once.
fn markers(c: &ScenarioComparison) -> Vec<Marker> {
    let mut m = super::drill::markers(&c.a);
    for x in super::drill::markers(&c.b) {
        if !m.contains(&x) {
            m.push(x);
        }
    }
    m
}

fn overlay(
    dir: &OutputDir,
    folder: &str,
    index: &mut ChartIndex,
    c: &ScenarioComparison,
    labels: &(String, String),
    (stem, y_label, key): (&str, &str, bool),
    values: &dyn Fn(&ScenarioSummary) -> Points,
) -> Result<Vec<PathBuf>, PlotError> {
    let series = |label: &str, s: &ScenarioSummary| {
        let starts: Vec<f64> = (0..s.bins.len())
            .map(|i| i as f64 * s.bin_s / 60.0)
            .collect();
        let w = s.bin_s / 60.0;
        let v = values(s);
        let lo = if stem == "success" {
            0.0
        } else {
            f64::NEG_INFINITY
        };
        let hi = if stem == "success" {
            1.0
        } else {
            f64::INFINITY
        };
        Series::steps(
            label,
            &starts,
            w,
            &v.iter().map(|p| p.0).collect::<Vec<_>>(),
        )
        .with_step_band(
            &starts,
            w,
            &v.iter()
                .map(|p| (p.1.clamp(lo, hi), p.2.clamp(lo, hi)))
                .collect::<Vec<_>>(),
        )
    };
    let chart = LineChart {
        title: format!(
            "{}: {} ({} paired trials)",
            c.scenario,
            y_label.split(" [").next().unwrap_or(y_label),
            c.a.trials
        ),
        x_label: "time since the warm-up [min]".into(),
        y_label: y_label.into(),
        series: vec![
            series(&format!("A: {}", labels.0), &c.a).width(5),
            series(&format!("B: {}", labels.1), &c.b).dashed().width(2),
        ],
        markers: markers(c),
        log_y: stem == "p99",
        ..Default::default()
    };
    if !index.file(&chart, &format!("{folder}/{stem}"), key) {
        return Ok(Vec::new());
    }
    let f = line_chart(dir, stem, &chart)?;
    Ok(vec![f.png, f.svg])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designs_are_named_by_file_or_edits() {
        assert_eq!(
            design_labels(
                "models/a.toml",
                "models/a.toml with --set app.replicas=5",
                40
            ),
            ("a.toml".to_string(), "--set app.replicas=5".to_string())
        );
        assert_eq!(
            design_labels("x/a.toml", "y/a.toml", 40),
            ("x/a.toml".to_string(), "y/a.toml".to_string())
        );
        assert_eq!(
            design_labels("a.toml", "a.toml with --set x=1", 5).1,
            "--se…"
        );
    }
}
