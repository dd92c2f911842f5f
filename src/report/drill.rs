//! The files of a drill: `summary.json` (every scenario), `timeseries.csv`
//! (per scenario and bin), and per scenario a folder of charts: success
//! ratio over time with its band and the timeline's markers, latency
//! p50/p99, errors by cause, offered load against goodput, worker
//! utilisation by component, one chart per group of the mechanisms'
//! readings, and the `--at` snapshots as text. Binned values are drawn as
//! steps over their bins, bands are clipped to what a reading can take, and
//! a flat chart is listed in one line instead of drawn.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::diagram::Diagram;
use super::index::{ChartIndex, ChartRef, RunInfo, augment, csv_cell, scenario_folder};
use super::plot::{Layer, LineChart, Series, StackedAreaChart, line_chart, stacked_area_chart};
use super::{Marker, MarkerKind, OutputDir, PlotError};
use crate::drill::readings::ReadingDef;
use crate::drill::summary::{Band, BinSummary};
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

/// Writes the drill's files: `summary.json`, `timeseries.csv`, a folder of
/// charts per scenario, then `report.html` and `report.md` built from
/// them. Returns the paths written.
pub fn write_results(
    out: &OutputDir,
    info: &RunInfo,
    diagram: &Diagram,
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
    let mut written = vec![out.write("timeseries.csv", timeseries_csv(scenarios))?];
    let mut charts = BTreeMap::new();
    for s in scenarios {
        let folder = scenario_folder(&s.name);
        let dir = OutputDir::open(&out.path(&folder))?;
        let (files, index) = write_charts(&dir, &folder, s)?;
        written.extend(files);
        charts.insert(s.name.clone(), index);
    }
    let info = info
        .clone()
        .with_scenarios(scenarios.iter().map(|s| s.name.as_str()));
    let json = augment(
        serde_json::to_value(&summary).expect("serialises"),
        &info,
        diagram,
        &charts,
    );
    written.extend(super::page::write_summary_and_report(out, &json)?);
    Ok(written)
}

/// One row per scenario and bin: outcomes, latency and component gauges.
/// Names from the model are CSV cells that cannot turn into formulas.
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
        for g in ["busy", "queued", "utilisation", "up"] {
            let _ = write!(s, ",{}", csv_cell(&format!("{c}_{g}")));
        }
    }
    for r in &first.readings {
        let _ = write!(s, ",{}", csv_cell(&r.def.name));
    }
    // Added after the readings so that earlier columns keep their places.
    for c in &first.components {
        for g in ["all_busy", "mean_wait_ms", "wait_probability", "lost"] {
            let _ = write!(s, ",{}", csv_cell(&format!("{c}_{g}")));
        }
    }
    s.push('\n');
    for sc in scenarios {
        let name = csv_cell(&sc.name);
        for (i, b) in sc.bins.iter().enumerate() {
            let _ = write!(
                s,
                "{},{},{},{},{},{},{},{},{},{},{},{}",
                name,
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
            for q in &b.queues {
                let _ = write!(s, ",{},{},{},{}", q[0], q[1], q[2], q[3]);
            }
            s.push('\n');
        }
    }
    s
}

/// The scenario's faults and actions as chart markers (x in minutes).
pub fn markers(s: &ScenarioSummary) -> Vec<Marker> {
    s.timeline
        .iter()
        .map(|e| {
            let kind = if e.kind.starts_with("fault") {
                MarkerKind::Fault
            } else if e.kind == "alert" {
                MarkerKind::Note
            } else {
                MarkerKind::Action
            };
            Marker::new(e.at_s / 60.0, e.label.clone(), kind)
        })
        .collect()
}

/// The range a reading can physically take: never below zero; shares,
/// utilisations and breaker states never above one.
fn bounds(def: &ReadingDef) -> (f64, f64) {
    let unit = def.unit.as_str();
    let share = unit == "ratio" || unit.contains("utilisation") || unit.contains("1 open");
    (0.0, if share { 1.0 } else { f64::INFINITY })
}

/// A reading whose peak matters more than its mean (a maximum, a
/// utilisation): its chart adds the largest value across trials.
fn peak_matters(def: &ReadingDef) -> bool {
    def.name.ends_with("_max") || def.unit.contains("utilisation") || def.name.ends_with("_lag")
}

/// A target or a limit the other series are read against: drawn dashed so
/// a series equal to it stays visible.
fn is_reference(def: &ReadingDef) -> bool {
    let n = def.name.as_str();
    n.ends_with("_desired") || n.ends_with("_limit") || n.contains("maxmemory")
}

/// `(low, high)` clipped to `[lo, hi]`.
fn clip(band: (f64, f64), (lo, hi): (f64, f64)) -> (f64, f64) {
    (band.0.clamp(lo, hi), band.1.clamp(lo, hi))
}

fn write_charts(
    dir: &OutputDir,
    folder: &str,
    s: &ScenarioSummary,
) -> Result<(Vec<PathBuf>, ChartIndex), PlotError> {
    let mut files = Vec::new();
    let mut index = ChartIndex::default();
    let starts: Vec<f64> = s.bins.iter().map(|b| b.t_s / 60.0).collect();
    let w = s.bin_s / 60.0;
    let x_label = "time since the warm-up [min]".to_string();
    let band = |b: &Band, bounds: (f64, f64)| clip((b.low, b.high), bounds);
    let emit = |chart: LineChart,
                stem: &str,
                key: bool,
                index: &mut ChartIndex,
                files: &mut Vec<PathBuf>|
     -> Result<(), PlotError> {
        if index.file(&chart, &format!("{folder}/{stem}"), key) {
            let f = line_chart(dir, stem, &chart)?;
            files.extend([f.png, f.svg]);
        }
        Ok(())
    };
    let success = LineChart {
        title: format!(
            "{}: success ratio ({} trials, mean and 95% interval)",
            s.name, s.trials
        ),
        x_label: x_label.clone(),
        y_label: "requests succeeded / offered".into(),
        series: vec![
            Series::steps(
                "success ratio",
                &starts,
                w,
                &s.bins.iter().map(|b| b.success.mean).collect::<Vec<_>>(),
            )
            .with_step_band(
                &starts,
                w,
                &s.bins
                    .iter()
                    .map(|b| band(&b.success, (0.0, 1.0)))
                    .collect::<Vec<_>>(),
            ),
        ],
        markers: markers(s),
        ..Default::default()
    };
    emit(success, "success", true, &mut index, &mut files)?;

    let quantile = |label: &str, f: fn(&BinSummary) -> Band| {
        Series::steps(
            label,
            &starts,
            w,
            &s.bins.iter().map(|b| f(b).mean).collect::<Vec<_>>(),
        )
        .with_step_band(
            &starts,
            w,
            &s.bins
                .iter()
                .map(|b| band(&f(b), (0.0, f64::INFINITY)))
                .collect::<Vec<_>>(),
        )
    };
    let latency = LineChart {
        title: format!("{}: latency of successful requests", s.name),
        x_label: x_label.clone(),
        y_label: "latency [ms]".into(),
        series: vec![quantile("p50", |b| b.p50_ms), quantile("p99", |b| b.p99_ms)],
        markers: markers(s),
        log_y: true,
        ..Default::default()
    };
    emit(latency, "latency", true, &mut index, &mut files)?;

    let errors = StackedAreaChart {
        title: format!("{}: failed requests by cause (mean per trial)", s.name),
        y_label: "failures per second".into(),
        x_label: x_label.clone(),
        // Steps: each bin's rate held over the bin, as in the line charts.
        x: starts.iter().flat_map(|&x| [x, x + w]).collect(),
        layers: (0..CAUSES)
            .filter(|&c| s.bins.iter().any(|b| b.failed[c] > 0.0))
            .map(|c| Layer {
                label: Cause::ALL[c].name().replace('_', " "),
                values: s
                    .bins
                    .iter()
                    .flat_map(|b| [b.failed[c] / s.bin_s; 2])
                    .collect(),
            })
            .collect(),
        markers: markers(s),
    };
    if errors.layers.is_empty() {
        index.flat.push("failed requests by cause: none".into());
    } else {
        let f = stacked_area_chart(dir, "errors", &errors)?;
        files.extend([f.png, f.svg]);
        index.key.push(ChartRef {
            file: format!("{folder}/errors"),
            title: errors.title.clone(),
        });
    }

    let goodput = LineChart {
        title: format!(
            "{}: offered load and goodput (mean per trial, by arrival time)",
            s.name
        ),
        x_label: x_label.clone(),
        y_label: "requests per second".into(),
        series: vec![
            Series::steps(
                "offered",
                &starts,
                w,
                &s.bins
                    .iter()
                    .map(|b| b.offered / s.bin_s)
                    .collect::<Vec<_>>(),
            )
            .dashed(),
            Series::steps(
                "succeeded (goodput)",
                &starts,
                w,
                &s.bins
                    .iter()
                    .map(|b| b.succeeded / s.bin_s)
                    .collect::<Vec<_>>(),
            ),
        ],
        markers: markers(s),
        ..Default::default()
    };
    emit(goodput, "goodput", false, &mut index, &mut files)?;

    let utilisation = LineChart {
        title: format!(
            "{}: worker utilisation by component (mean over {} trials)",
            s.name, s.trials
        ),
        x_label: x_label.clone(),
        y_label: "busy workers / workers up".into(),
        series: utilisation_series(s, &starts, w),
        markers: markers(s),
        y_range: Some((0.0, 1.05)),
        ..Default::default()
    };
    emit(utilisation, "utilisation", false, &mut index, &mut files)?;

    // One chart per group of readings (e.g. `app-pods`), in definition
    // order; key when the timeline names its component.
    let mut groups: Vec<&str> = Vec::new();
    for r in &s.readings {
        if !groups.contains(&r.def.chart.as_str()) {
            groups.push(&r.def.chart);
        }
    }
    for chart in groups {
        let members: Vec<_> = s.readings.iter().filter(|r| r.def.chart == chart).collect();
        let mut units: Vec<&str> = members.iter().map(|r| r.def.unit.as_str()).collect();
        units.dedup();
        let mut series = Vec::new();
        let mut with_max = false;
        for r in &members {
            let means: Vec<f64> = r.bins.iter().map(|v| v.mean).collect();
            let bands: Vec<(f64, f64)> = r
                .bins
                .iter()
                .map(|v| clip((v.low, v.high), bounds(&r.def)))
                .collect();
            let mut line = Series::steps(&r.def.label, &starts, w, &means);
            if is_reference(&r.def) {
                line = line.dashed();
            } else {
                line = line.with_step_band(&starts, w, &bands);
            }
            series.push(line);
            if peak_matters(&r.def) && r.max.iter().zip(&means).any(|(m, x)| m > x) {
                with_max = true;
                series.push(
                    Series::steps(
                        format!("{}, max over trials", r.def.label),
                        &starts,
                        w,
                        &r.max,
                    )
                    .dashed(),
                );
            }
        }
        let component = members[0].def.name.split('.').next().unwrap_or("");
        let what = chart
            .strip_prefix(component)
            .and_then(|c| c.strip_prefix('-'))
            .map_or_else(|| chart.to_string(), |w| format!("{component} {w}"));
        let title = format!(
            "{}: {what} (mean over {} trials, 95% interval{})",
            s.name,
            s.trials,
            if with_max { ", max" } else { "" }
        );
        let key = s.timeline.iter().any(|e| names(&e.label, component));
        let c = LineChart {
            title,
            x_label: x_label.clone(),
            y_label: units.join(", "),
            series,
            markers: markers(s),
            ..Default::default()
        };
        let stem = scenario_folder(chart);
        emit(c, &stem, key, &mut index, &mut files)?;
    }
    if !s.snapshots.is_empty() {
        let text: String = s.snapshots.iter().map(|x| x.text.clone() + "\n").collect();
        files.push(dir.write("snapshots.txt", text)?);
    }
    Ok((files, index))
}

/// Each component's mean utilisation; beside it, dashed, its busiest
/// instance's (the largest across trials) where that tells another story:
/// a replica saturated while the component's mean reads half.
fn utilisation_series(s: &ScenarioSummary, starts: &[f64], w: f64) -> Vec<Series> {
    let mut out = Vec::new();
    for (c, id) in s.components.iter().enumerate() {
        let mean: Vec<f64> = s.bins.iter().map(|b| b.gauges[c][2]).collect();
        out.push(Series::steps(id.as_str(), starts, w, &mean));
        let peak: Vec<f64> = s
            .bins
            .iter()
            .map(|b| b.peak_max.get(c).copied().unwrap_or(f64::NAN))
            .collect();
        let several = s.bins.iter().any(|b| b.gauges[c][3] > 1.5);
        let apart = peak.iter().zip(&mean).any(|(p, m)| p - m > 0.15);
        if several && apart {
            out.push(
                Series::steps(
                    format!("{id}, busiest instance (max over trials)"),
                    starts,
                    w,
                    &peak,
                )
                .dashed(),
            );
        }
    }
    out
}

/// Whether `label` names `component` as a word (`scale web-app to 0`).
fn names(label: &str, component: &str) -> bool {
    !component.is_empty()
        && label
            .split(|c: char| c.is_whitespace() || c == ',' || c == ':')
            .any(|w| w == component)
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
            "  latency       {} (each within {:.1}%: interpolated in its histogram bucket)",
            l.percentiles.text("ms"),
            l.relative_error * 100.0
        );
    }
    for q in s.queues.iter().filter(|q| q.arrived_per_trial > 0.0) {
        let lost = if q.lost_per_trial.is_empty() {
            "none".to_string()
        } else {
            q.lost_per_trial
                .0
                .iter()
                .map(|(k, v)| format!("{k} {v:.1}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            t,
            "  queue {:<8}{:.0} calls/trial, utilisation {:.1}%, all workers busy {:.2}%, P(wait > 0) {:.2}%, mean wait {:.3} ms, wait p99 {:.3} ms, lost/trial: {lost}",
            format!("{}:", q.component),
            q.arrived_per_trial,
            q.utilisation * 100.0,
            q.all_busy.mean * 100.0,
            q.wait_probability.mean * 100.0,
            q.mean_wait_ms.mean,
            q.wait_p99_ms,
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
    if !s.restores.is_empty() {
        let n = s.restores.len() as f64;
        let mean = |f: fn(&crate::drill::RestoreRecord) -> f64| {
            s.restores.iter().map(|r| f(&r.restore)).sum::<f64>() / n
        };
        let _ = writeln!(
            t,
            "  restores      {n} (per trial in summary.json): RPO mean {:.0} s ({:.0} writes lost), RTO mean {:.0} s (restore {:.0} s)",
            mean(|r| r.rpo_s),
            mean(|r| r.lost_writes as f64),
            mean(|r| r.rto_s),
            mean(|r| r.restore_s)
        );
    }
    if !s.failovers.is_empty() {
        let n = s.failovers.len() as f64;
        let mean = |f: fn(&crate::drill::FailoverRecord) -> f64| {
            s.failovers.iter().map(|x| f(&x.failover)).sum::<f64>() / n
        };
        let _ = writeln!(
            t,
            "  failovers     {n} (per trial in summary.json): replica promoted {:.1} s after the primary's loss (mean), {:.1} writes lost (mean)",
            mean(|f| f.promotion_s),
            mean(|f| f.lost_writes as f64)
        );
    }
    t.push_str(&crate::alerts::summary::render_text(
        &s.alerts,
        s.response.as_ref(),
    ));
    for e in &s.timeline {
        let _ = writeln!(t, "  {:>7.0} s  {:10}  {}", e.at_s, e.kind, e.label);
    }
    t
}
