//! The files of a drill: `summary.json` (every scenario), `timeseries.csv`
//! (per scenario and bin), and per scenario its charts: success ratio over
//! time with its band and the timeline's markers, latency p50/p99, offered
//! load against goodput, worker utilisation by component, errors by cause,
//! one chart per group of the mechanisms' readings, and the `--at`
//! snapshots as text.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::plot::{Layer, LineChart, Series, StackedAreaChart, line_chart, stacked_area_chart};
use super::{Marker, MarkerKind, OutputDir, PlotError};
use crate::drill::{CAUSES, Cause, ScenarioSummary};

/// `summary.json` of a drill.
#[derive(Serialize)]
pub struct DrillSummary<'a> {
    /// The model's name.
    pub model: &'a str,
    /// Master seed.
    pub seed: u64,
    /// Trials per scenario.
    pub trials: u64,
    /// One entry per scenario, keyed by name.
    pub scenarios: std::collections::BTreeMap<&'a str, &'a ScenarioSummary>,
}

/// Writes the drill's files; returns the paths written.
pub fn write_results(
    out: &OutputDir,
    model: &str,
    seed: u64,
    trials: u64,
    scenarios: &[ScenarioSummary],
) -> Result<Vec<PathBuf>, PlotError> {
    let summary = DrillSummary {
        model,
        seed,
        trials,
        scenarios: scenarios.iter().map(|s| (s.name.as_str(), s)).collect(),
    };
    let mut written = vec![out.write(
        "summary.json",
        serde_json::to_string_pretty(&summary).expect("serialises") + "\n",
    )?];
    written.push(out.write("timeseries.csv", timeseries_csv(scenarios))?);
    for s in scenarios {
        written.extend(write_charts(out, s)?);
    }
    Ok(written)
}

/// One row per scenario and bin: outcomes, latency and component gauges.
pub fn timeseries_csv(scenarios: &[ScenarioSummary]) -> String {
    let mut s = String::new();
    let Some(first) = scenarios.first() else {
        return s;
    };
    s.push_str("scenario,t_start_s,offered,success_mean,success_ci_low,success_ci_high,p50_ms_mean,p50_ms_ci_low,p50_ms_ci_high,p99_ms_mean,p99_ms_ci_low,p99_ms_ci_high");
    for c in Cause::ALL {
        let _ = write!(s, ",failed_{}", c.name());
    }
    for c in &first.components {
        let _ = write!(s, ",{c}_busy,{c}_queued,{c}_utilisation,{c}_up");
    }
    for r in &first.readings {
        let _ = write!(s, ",{}", r.def.name);
    }
    s.push('\n');
    for sc in scenarios {
        for (i, b) in sc.bins.iter().enumerate() {
            let _ = write!(
                s,
                "{},{},{},{},{},{},{},{},{},{},{},{}",
                sc.name,
                b.t_s,
                b.offered,
                b.success.mean,
                b.success.low,
                b.success.high,
                b.p50_ms.mean,
                b.p50_ms.low,
                b.p50_ms.high,
                b.p99_ms.mean,
                b.p99_ms.low,
                b.p99_ms.high
            );
            for f in b.failed {
                let _ = write!(s, ",{f}");
            }
            for g in &b.gauges {
                let _ = write!(s, ",{},{},{},{}", g[0], g[1], g[2], g[3]);
            }
            for r in &sc.readings {
                let _ = write!(s, ",{}", r.bins[i].mean);
            }
            s.push('\n');
        }
    }
    s
}

fn markers(s: &ScenarioSummary) -> Vec<Marker> {
    s.timeline
        .iter()
        .map(|e| {
            let kind = if e.kind == "fault" {
                MarkerKind::Fault
            } else {
                MarkerKind::Action
            };
            Marker::new(e.at_s / 60.0, e.label.clone(), kind)
        })
        .collect()
}

fn write_charts(out: &OutputDir, s: &ScenarioSummary) -> Result<Vec<PathBuf>, PlotError> {
    let mut files = Vec::new();
    let mid = |t: f64| (t + s.bin_s / 2.0) / 60.0;
    let x_label = "time since the warm-up [min]".to_string();
    let success = LineChart {
        title: format!(
            "{}: success ratio ({} trials, mean and 95% interval)",
            s.name, s.trials
        ),
        x_label: x_label.clone(),
        y_label: "requests succeeded / offered".into(),
        series: vec![
            Series::new(
                "success ratio",
                s.bins
                    .iter()
                    .map(|b| (mid(b.t_s), b.success.mean))
                    .collect(),
            )
            .with_band(
                s.bins
                    .iter()
                    .map(|b| (b.success.low, b.success.high))
                    .collect(),
            ),
        ],
        markers: markers(s),
        ..Default::default()
    };
    let f = line_chart(out, &format!("{}-success", s.name), &success)?;
    files.extend([f.png, f.svg]);

    let latency = LineChart {
        title: format!("{}: latency of successful requests", s.name),
        x_label: x_label.clone(),
        y_label: "latency [ms]".into(),
        series: vec![
            Series::new(
                "p50",
                s.bins.iter().map(|b| (mid(b.t_s), b.p50_ms.mean)).collect(),
            )
            .with_band(
                s.bins
                    .iter()
                    .map(|b| (b.p50_ms.low, b.p50_ms.high))
                    .collect(),
            ),
            Series::new(
                "p99",
                s.bins.iter().map(|b| (mid(b.t_s), b.p99_ms.mean)).collect(),
            )
            .with_band(
                s.bins
                    .iter()
                    .map(|b| (b.p99_ms.low, b.p99_ms.high))
                    .collect(),
            ),
        ],
        markers: markers(s),
        log_y: true,
        ..Default::default()
    };
    let f = line_chart(out, &format!("{}-latency", s.name), &latency)?;
    files.extend([f.png, f.svg]);

    let goodput = LineChart {
        title: format!(
            "{}: offered load and goodput (mean per trial, by arrival time)",
            s.name
        ),
        x_label: x_label.clone(),
        y_label: "requests per second".into(),
        series: vec![
            Series::new(
                "offered",
                s.bins
                    .iter()
                    .map(|b| (mid(b.t_s), b.offered / s.bin_s))
                    .collect(),
            ),
            Series::new(
                "succeeded (goodput)",
                s.bins
                    .iter()
                    .map(|b| (mid(b.t_s), b.succeeded / s.bin_s))
                    .collect(),
            ),
        ],
        markers: markers(s),
        ..Default::default()
    };
    let f = line_chart(out, &format!("{}-goodput", s.name), &goodput)?;
    files.extend([f.png, f.svg]);

    let utilisation = LineChart {
        title: format!(
            "{}: worker utilisation by component (mean over {} trials)",
            s.name, s.trials
        ),
        x_label: x_label.clone(),
        y_label: "busy workers / workers up".into(),
        series: s
            .components
            .iter()
            .enumerate()
            .map(|(c, id)| {
                Series::new(
                    id.as_str(),
                    s.bins
                        .iter()
                        .map(|b| (mid(b.t_s), b.gauges[c][2]))
                        .collect(),
                )
            })
            .collect(),
        markers: markers(s),
        ..Default::default()
    };
    let f = line_chart(out, &format!("{}-utilisation", s.name), &utilisation)?;
    files.extend([f.png, f.svg]);

    let errors = StackedAreaChart {
        title: format!("{}: failed requests by cause (mean per trial)", s.name),
        y_label: "failures per second".into(),
        x_label: x_label.clone(),
        x: s.bins.iter().map(|b| mid(b.t_s)).collect(),
        layers: (0..CAUSES)
            .filter(|&c| s.bins.iter().any(|b| b.failed[c] > 0.0))
            .map(|c| Layer {
                label: Cause::ALL[c].name().replace('_', " "),
                values: s.bins.iter().map(|b| b.failed[c] / s.bin_s).collect(),
            })
            .collect(),
        markers: markers(s),
    };
    let f = stacked_area_chart(out, &format!("{}-errors", s.name), &errors)?;
    files.extend([f.png, f.svg]);

    // One chart per group of readings (e.g. `app-pods`), in definition order.
    let mut charts: Vec<&str> = Vec::new();
    for r in &s.readings {
        if !charts.contains(&r.def.chart.as_str()) {
            charts.push(&r.def.chart);
        }
    }
    for chart in charts {
        let members: Vec<_> = s.readings.iter().filter(|r| r.def.chart == chart).collect();
        let mut units: Vec<&str> = members.iter().map(|r| r.def.unit.as_str()).collect();
        units.dedup();
        let c = LineChart {
            title: format!(
                "{}: {chart} (mean over {} trials, 95% interval)",
                s.name, s.trials
            ),
            x_label: x_label.clone(),
            y_label: units.join(", "),
            series: members
                .iter()
                .map(|r| {
                    Series::new(
                        &r.def.label,
                        r.bins
                            .iter()
                            .zip(&s.bins)
                            .map(|(v, b)| (mid(b.t_s), v.mean))
                            .collect(),
                    )
                    .with_band(r.bins.iter().map(|v| (v.low, v.high)).collect())
                })
                .collect(),
            markers: markers(s),
            ..Default::default()
        };
        let f = line_chart(out, &format!("{}-{chart}", s.name), &c)?;
        files.extend([f.png, f.svg]);
    }
    if !s.snapshots.is_empty() {
        let text: String = s.snapshots.iter().map(|x| x.text.clone() + "\n").collect();
        files.push(out.write(&format!("{}-snapshots.txt", s.name), text)?);
    }
    Ok(files)
}

/// The terminal summary of one scenario.
pub fn render_text(s: &ScenarioSummary) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "scenario {}: {} trials, {:.0} s measured after {:.0} s warm-up",
        s.name, s.trials, s.duration_s, s.warmup_s
    );
    let _ = writeln!(
        t,
        "  availability  {:.4}%  (95% CI {:.4}% .. {:.4}%), worst {:.0}-s bin {:.2}%",
        s.availability.mean * 100.0,
        s.availability.ci95[0] * 100.0,
        s.availability.ci95[1] * 100.0,
        s.bin_s,
        s.worst_success * 100.0
    );
    let l = &s.latency_ms;
    if l.p50.is_nan() {
        let _ = writeln!(
            t,
            "  latency       none: no request succeeded in the window"
        );
    } else {
        let _ = writeln!(
            t,
            "  latency       p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms",
            l.p50, l.p90, l.p99, l.p999
        );
    }
    let failed: Vec<String> = s
        .failed_per_trial
        .iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(k, v)| format!("{k} {v:.1}"))
        .collect();
    let _ = writeln!(
        t,
        "  requests      {:.0} offered per trial; failed per trial: {}",
        s.offered_per_trial,
        if failed.is_empty() {
            "none".to_string()
        } else {
            failed.join(", ")
        }
    );
    if let Some(r) = s.recovery_s {
        let _ = writeln!(
            t,
            "  recovery      back to the pre-fault success ratio {r:.0} s after the first fault (or action)"
        );
    }
    for e in &s.timeline {
        let _ = writeln!(t, "  {:>7.0} s  {:10}  {}", e.at_s, e.kind, e.label);
    }
    t
}
