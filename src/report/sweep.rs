//! The files of a sweep: `sweep.csv` (a row per point and scenario),
//! `summary.json`, and per scenario the capacity charts: latency p50/p99
//! against the varied value with bands and the SLO line, the success ratio
//! against it, goodput against offered load, and each component's
//! utilisation against it (the bottleneck is the line that reaches 1 first).
//! With two varied paths each chart has a line per value of the second, and
//! `slo_margin.csv` holds the SLO margin as a table (rows: the first path,
//! columns: the second), drawn per scenario as a heat map when the model
//! has an `[slo]`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::diagram::Diagram;
use super::index::{ChartIndex, ChartRef, RunInfo, augment};
use super::plot::{HeatCell, HeatmapChart, LineChart, Series, Tone, heatmap_chart, line_chart};
use super::{Marker, MarkerKind, OutputDir, PlotError};
use crate::drill::summary::Band;
use crate::slo::{Judgement, Verdict};
use crate::sweep::find::Finding;
use crate::sweep::{Cell, Point, QUANTILES, Stage, Vary};

/// Everything a sweep produced, as `summary.json` holds it.
#[derive(Serialize)]
pub struct SweepSummary<'a> {
    /// The model's name.
    pub model: &'a str,
    /// Master seed.
    pub seed: u64,
    /// Trials per point and scenario.
    pub trials: u64,
    /// The `--set` edits applied to every point.
    pub sets: Vec<String>,
    /// The varied paths.
    pub vary: Vec<VaryEntry<'a>>,
    /// Component ids, in the order of each cell's utilisation.
    pub components: Vec<String>,
    /// Every point run, grid first, then bisection.
    pub points: Vec<PointEntry<'a>>,
    /// The `--find` answers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub find: Vec<Finding>,
}

/// One varied path in `summary.json`.
#[derive(Serialize)]
pub struct VaryEntry<'a> {
    /// The path.
    pub path: &'a str,
    /// The unit of its values.
    pub unit: &'a str,
    /// The grid values.
    pub values: &'a [f64],
}

/// One point in `summary.json`.
#[derive(Serialize)]
pub struct PointEntry<'a> {
    /// Values in `vary` order.
    pub values: &'a [f64],
    /// `grid` or `bisection`.
    pub stage: Stage,
    /// Cost per hour, when the model prices it.
    pub cost_per_hour: Option<f64>,
    /// Whether every scenario meets the SLO on the measured values.
    pub slo_holds: Option<bool>,
    /// One entry per scenario.
    pub scenarios: Vec<CellEntry<'a>>,
}

/// One scenario at one point in `summary.json`.
#[derive(Serialize)]
pub struct CellEntry<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// Offered load [req/s].
    pub offered_per_s: f64,
    /// Success ratio with its 95% interval.
    pub success: Band,
    /// p50 latency \[s\].
    pub p50_s: Band,
    /// p99 latency \[s\].
    pub p99_s: Band,
    /// p99.9 latency \[s\].
    pub p999_s: Band,
    /// Goodput [req/s].
    pub goodput_per_s: Band,
    /// Utilisation per component, in `components` order.
    pub utilisation: &'a [Band],
    /// SLO verdicts.
    #[serde(skip_serializing_if = "<[Judgement]>::is_empty")]
    pub slo: &'a [Judgement],
    /// Latency \[s\] at the percentiles asked for (`--percentiles`).
    #[serde(skip_serializing_if = "<[(String, Band)]>::is_empty")]
    pub percentiles_s: &'a [(String, Band)],
}

impl<'a> PointEntry<'a> {
    fn of(p: &'a Point) -> Self {
        PointEntry {
            values: &p.values,
            stage: p.stage,
            cost_per_hour: p.cost_per_hour,
            slo_holds: p.holds(),
            scenarios: p
                .cells
                .iter()
                .map(|c| CellEntry {
                    scenario: &c.scenario,
                    offered_per_s: c.offered_per_s,
                    success: c.success,
                    p50_s: c.latency_s[0],
                    p99_s: c.latency_s[1],
                    p999_s: c.latency_s[2],
                    goodput_per_s: c.goodput_per_s,
                    utilisation: &c.utilisation,
                    slo: &c.slo,
                    percentiles_s: &c.percentiles,
                })
                .collect(),
        }
    }
}

/// What the sweep's files are made from.
pub struct SweepOutput<'a> {
    /// The model's name.
    pub model: &'a str,
    /// The model as given (with the `--set` edits), for the report's
    /// system diagram.
    pub base: &'a crate::model::Model,
    /// The model file, for the report.
    pub model_file: &'a str,
    /// Master seed.
    pub seed: u64,
    /// Trials per point and scenario.
    pub trials: u64,
    /// The `--set` edits.
    pub sets: &'a [String],
    /// The varied paths.
    pub varies: &'a [Vary],
    /// Component ids.
    pub components: &'a [String],
    /// Every point, grid first.
    pub points: &'a [Point],
    /// The `--find` answers.
    pub findings: &'a [Finding],
}

/// Writes `sweep.csv`, `summary.json` and the charts; returns the paths.
pub fn write_results(out: &OutputDir, s: &SweepOutput) -> Result<Vec<PathBuf>, PlotError> {
    let summary = SweepSummary {
        model: s.model,
        seed: s.seed,
        trials: s.trials,
        sets: s.sets.to_vec(),
        vary: s
            .varies
            .iter()
            .map(|v| VaryEntry {
                path: &v.path,
                unit: &v.unit,
                values: &v.values,
            })
            .collect(),
        components: s.components.to_vec(),
        points: s.points.iter().map(PointEntry::of).collect(),
        find: s.findings.to_vec(),
    };
    let mut written = vec![out.write("sweep.csv", csv(s))?];
    if s.varies.len() == 2 {
        written.push(out.write("slo_margin.csv", margin_table(s))?);
    }
    let mut index = BTreeMap::new();
    if !s.varies.is_empty() && s.varies.len() <= 2 {
        written.extend(charts(out, s, &mut index)?);
    }
    let names = s.points.first().map_or_else(Vec::new, |p| {
        p.cells.iter().map(|c| c.scenario.as_str()).collect()
    });
    let info = RunInfo::current("sweep", s.model_file).with_scenarios(names);
    let json = augment(
        serde_json::to_value(&summary).expect("serialises"),
        &info,
        &Diagram::of(s.base),
        &index,
    );
    written.extend(super::page::write_summary_and_report(out, &json)?);
    Ok(written)
}

/// A CSV cell: quoted when needed, and a leading `=`, `+`, `-` or `@`
/// defused so a spreadsheet does not read text as a formula.
fn cell(text: &str) -> String {
    let t = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if t.contains([',', '"', '\n']) {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t
    }
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// A row per point and scenario.
pub fn csv(s: &SweepOutput) -> String {
    let mut t = String::new();
    let mut head: Vec<String> = vec!["stage".into()];
    head.extend(s.varies.iter().map(|v| cell(&v.axis_label())));
    head.extend(
        [
            "scenario",
            "offered_per_s",
            "success",
            "success_lo",
            "success_hi",
        ]
        .map(String::from),
    );
    for (q, _) in QUANTILES {
        let q = q.replace('.', "");
        head.extend([
            format!("{q}_ms"),
            format!("{q}_ms_lo"),
            format!("{q}_ms_hi"),
        ]);
    }
    head.extend(["goodput_per_s", "goodput_lo", "goodput_hi"].map(String::from));
    head.extend(s.components.iter().map(|c| cell(&format!("util_{c}"))));
    head.extend(["slo_verdict", "slo_worst_margin", "cost_per_hour"].map(String::from));
    // `--percentiles`: after the fixed columns, so that they keep their places.
    let chosen: Vec<String> = (s.points.first().and_then(|p| p.cells.first()))
        .map_or_else(Vec::new, |c| {
            c.percentiles.iter().map(|(l, _)| l.clone()).collect()
        });
    for l in &chosen {
        head.extend([
            format!("{l}_ms"),
            format!("{l}_ms_lo"),
            format!("{l}_ms_hi"),
        ]);
    }
    let _ = writeln!(t, "{}", head.join(","));
    for p in s.points {
        for c in &p.cells {
            let mut row: Vec<String> = vec![format!("{:?}", p.stage).to_lowercase()];
            row.extend(p.values.iter().map(|&x| num(x)));
            row.push(cell(&c.scenario));
            row.push(num(c.offered_per_s));
            row.extend([c.success.mean, c.success.low, c.success.high].map(num));
            for b in &c.latency_s {
                row.extend([b.mean, b.low, b.high].map(|x| num(x * 1e3)));
            }
            let g = c.goodput_per_s;
            row.extend([g.mean, g.low, g.high].map(num));
            row.extend(c.utilisation.iter().map(|u| num(u.mean)));
            row.push(if c.slo.is_empty() {
                String::new()
            } else {
                crate::slo::overall(&c.slo).name().to_string()
            });
            row.push(c.worst_margin().map_or(String::new(), |m| num(m.0)));
            row.push(p.cost_per_hour.map_or(String::new(), num));
            for (_, b) in &c.percentiles {
                row.extend([b.mean, b.low, b.high].map(|x| num(x * 1e3)));
            }
            let _ = writeln!(t, "{}", row.join(","));
        }
    }
    t
}

/// The worst relative SLO margin over the scenarios, as a table: a row per
/// value of the first path, a column per value of the second.
fn margin_table(s: &SweepOutput) -> String {
    let (a, b) = (&s.varies[0], &s.varies[1]);
    let mut t = format!("{} \\ {}", cell(&a.axis_label()), cell(&b.axis_label()));
    for &y in &b.values {
        let _ = write!(t, ",{}", num(y));
    }
    t.push('\n');
    for &x in &a.values {
        t.push_str(&num(x));
        for &y in &b.values {
            let m = (s.points.iter())
                .find(|p| p.stage == Stage::Grid && p.values == [x, y])
                .and_then(Point::worst_margin);
            let _ = write!(t, ",{}", m.map_or(String::new(), |m| num(m.0)));
        }
        t.push('\n');
    }
    t
}

/// The lines to draw: one per value of the second path (one line with a
/// single path), each with its points, bisection ones included (they show
/// the knee the grid only brackets), in order of the first path.
fn lines<'p>(s: &SweepOutput<'p>) -> Vec<(String, Vec<&'p Point>)> {
    let mut all: Vec<&Point> = s.points.iter().collect();
    all.sort_by(|a, b| a.values[0].total_cmp(&b.values[0]));
    if s.varies.len() == 1 {
        return vec![(String::new(), all)];
    }
    let second = &s.varies[1];
    second
        .values
        .iter()
        .map(|&y| {
            let pts = all.iter().copied().filter(|p| p.values[1] == y).collect();
            (format!("{}={}", second.path, second.label(y)), pts)
        })
        .collect()
}

fn band_series(
    label: String,
    pts: &[&Point],
    sc: usize,
    f: impl Fn(&Cell) -> Band,
    scale: f64,
) -> Series {
    let xs = pts.iter().map(|p| p.values[0]);
    let bands: Vec<Band> = pts.iter().map(|p| f(&p.cells[sc])).collect();
    Series::new(
        label,
        xs.clone()
            .zip(bands.iter().map(|b| b.mean * scale))
            .collect(),
    )
    .with_band(
        bands
            .iter()
            .map(|b| (b.low * scale, b.high * scale))
            .collect(),
    )
}

/// A labelled horizontal line across the x range: an SLO target.
fn target_line(label: String, x: (f64, f64), y: f64) -> Series {
    Series {
        dashed: true,
        ..Series::new(label, vec![(x.0, y), (x.1, y)])
    }
}

fn charts(
    out: &OutputDir,
    s: &SweepOutput,
    index: &mut BTreeMap<String, ChartIndex>,
) -> Result<Vec<PathBuf>, PlotError> {
    let x = &s.varies[0];
    let lines = lines(s);
    let xs: Vec<f64> = x.values.clone();
    let (xlo, xhi) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    // A load that spans a decade or more reads better on a log axis.
    let log_x = xlo > 0.0 && xhi / xlo >= 10.0;
    let markers: Vec<Marker> = s
        .findings
        .iter()
        .filter(|f| f.goal.ends_with(&x.path) && f.given.len() <= 1)
        .filter_map(|f| {
            let v = f.value?;
            let what = f.goal.split(' ').next().unwrap_or("");
            Some(Marker::new(
                v,
                format!("{what} {}", x.label(v)),
                MarkerKind::Note,
            ))
        })
        .collect();
    let Some(first) = s.points.first() else {
        return Ok(Vec::new());
    };
    let mut written = Vec::new();
    for (sc, cell0) in first.cells.iter().enumerate() {
        let name = &cell0.scenario;
        let idx = index.entry(name.clone()).or_default();
        // Files a chart for the report and draws it, unless it is flat.
        let mut draw =
            |stem: String, chart: &LineChart, key: bool| -> Result<Vec<PathBuf>, PlotError> {
                if idx.file(chart, &stem, key) {
                    Ok(files(line_chart(out, &stem, chart)?).to_vec())
                } else {
                    Ok(Vec::new())
                }
            };
        let stem = |what: &str| format!("sweep_{}_{what}", file_stem(name));
        let multi = |base: &str, line: &str| {
            if line.is_empty() {
                base.to_string()
            } else {
                format!("{base}, {line}")
            }
        };
        // Latency: p50 and p99 with bands, and every latency target.
        let mut series = Vec::new();
        for (label, pts) in &lines {
            series.push(band_series(
                multi("p50", label),
                pts,
                sc,
                |c| c.latency_s[0],
                1e3,
            ));
            series.push(band_series(
                multi("p99", label),
                pts,
                sc,
                |c| c.latency_s[1],
                1e3,
            ));
        }
        for j in &cell0.slo {
            if j.objective != "availability" {
                series.push(target_line(
                    format!(
                        "SLO {} ≤ {}",
                        j.objective,
                        crate::slo::seconds_text(j.target)
                    ),
                    (xlo, xhi),
                    j.target * 1e3,
                ));
            }
        }
        let latency = LineChart {
            title: format!(
                "{}: latency against {} ({} trials per point)",
                name, x.path, s.trials
            ),
            x_label: x.axis_label(),
            y_label: "latency of successful requests [ms] (log)".into(),
            series,
            markers: markers.clone(),
            log_y: true,
            log_x,
            ..Default::default()
        };
        written.extend(draw(stem("latency"), &latency, true)?);

        let mut series: Vec<Series> = lines
            .iter()
            .map(|(label, pts)| {
                band_series(multi("success ratio", label), pts, sc, |c| c.success, 1.0)
            })
            .collect();
        for j in cell0.slo.iter().filter(|j| j.objective == "availability") {
            series.push(target_line(
                format!("SLO availability ≥ {}%", j.target * 100.0),
                (xlo, xhi),
                j.target,
            ));
        }
        let success = LineChart {
            title: format!("{}: success ratio against {}", name, x.path),
            x_label: x.axis_label(),
            y_label: "success ratio [0, 1]".into(),
            series,
            markers: markers.clone(),
            log_x,
            ..Default::default()
        };
        written.extend(draw(stem("success"), &success, true)?);

        // Goodput against the offered load measured at each point, on linear
        // axes: the reference line goodput = offered is then straight.
        let mut series = Vec::new();
        let mut offered_max: f64 = 0.0;
        for (label, pts) in &lines {
            let offered: Vec<f64> = pts.iter().map(|p| p.cells[sc].offered_per_s).collect();
            offered_max = offered.iter().copied().fold(offered_max, f64::max);
            let g: Vec<Band> = pts.iter().map(|p| p.cells[sc].goodput_per_s).collect();
            series.push(
                Series::new(
                    multi("goodput", label),
                    offered
                        .iter()
                        .copied()
                        .zip(g.iter().map(|b| b.mean))
                        .collect(),
                )
                .with_band(g.iter().map(|b| (b.low, b.high)).collect()),
            );
        }
        let offered_min = (lines.iter().flat_map(|(_, pts)| pts.iter()))
            .map(|p| p.cells[sc].offered_per_s)
            .fold(f64::INFINITY, f64::min);
        series.push(Series::new(
            "goodput = offered",
            vec![(offered_min, offered_min), (offered_max, offered_max)],
        ));
        let goodput = LineChart {
            title: format!("{}: goodput against offered load", name),
            x_label: "offered load [requests/s]".into(),
            y_label: "goodput [successful requests/s]".into(),
            series,
            ..Default::default()
        };
        written.extend(draw(stem("goodput"), &goodput, true)?);

        // Utilisation of every component (first line only with two paths).
        let (label, pts) = &lines[0];
        let series = s
            .components
            .iter()
            .enumerate()
            .map(|(c, id)| band_series(id.clone(), pts, sc, |cell| cell.utilisation[c], 1.0))
            .collect();
        let title = if label.is_empty() {
            format!("{}: utilisation by component against {}", name, x.path)
        } else {
            format!(
                "{}: utilisation by component against {} ({label})",
                name, x.path
            )
        };
        let util = LineChart {
            title,
            x_label: x.axis_label(),
            y_label: "busy workers / workers up [0, 1]".into(),
            series,
            markers: markers.clone(),
            log_x,
            y_range: Some((0.0, 1.05)),
            ..Default::default()
        };
        written.extend(draw(stem("utilisation"), &util, false)?);

        // The SLO margin over both paths, first among the key charts.
        if let Some(chart) = margin_heatmap(s, sc) {
            let stem = stem("slo_margin");
            written.extend(files(heatmap_chart(out, &stem, &chart)?));
            idx.key.insert(
                0,
                ChartRef {
                    file: stem,
                    title: chart.title,
                },
            );
        }
    }
    Ok(written)
}

/// The colour side of an SLO verdict.
fn tone(v: Verdict) -> Tone {
    match v {
        Verdict::Met => Tone::Good,
        Verdict::Missed => Tone::Bad,
        Verdict::Undecided => Tone::Neutral,
    }
}

/// The judgement with the smallest relative margin (an unknown margin
/// counts as the worst).
fn worst(slo: &[Judgement]) -> Option<&Judgement> {
    let rel = |j: &Judgement| {
        let m = j.relative_margin();
        if m.is_finite() { m } else { f64::NEG_INFINITY }
    };
    slo.iter().min_by(|a, b| rel(a).total_cmp(&rel(b)))
}

/// Scenario `sc`'s SLO margin over the grid of two varied paths: a cell
/// per grid point, coloured by its overall verdict, deeper the larger its
/// worst relative margin, labelled with the verdict and the worst
/// objective's margin in its unit. `None` without two paths or an SLO.
fn margin_heatmap(s: &SweepOutput, sc: usize) -> Option<HeatmapChart> {
    let [a, b] = s.varies else { return None };
    let name = &s.points.first()?.cells.get(sc)?.scenario;
    let mut cells = Vec::new();
    let mut worst_overall: Option<&Judgement> = None;
    let mut any_slo = false;
    for &y in &b.values {
        for &x in &a.values {
            let c = (s.points.iter())
                .find(|p| p.stage == Stage::Grid && p.values == [x, y])
                .and_then(|p| p.cells.get(sc));
            let Some((c, j)) = c.and_then(|c| Some((c, worst(&c.slo)?))) else {
                cells.push(HeatCell {
                    label: "n/a".into(),
                    ..HeatCell::default()
                });
                continue;
            };
            any_slo = true;
            if worst_overall.is_none_or(|w| j.relative_margin() < w.relative_margin()) {
                worst_overall = Some(j);
            }
            let verdict = crate::slo::overall(&c.slo);
            cells.push(HeatCell {
                tone: tone(verdict),
                strength: j.relative_margin().abs(),
                label: format!("{}\n{} {}", verdict.name(), j.objective, j.margin_text()),
            });
        }
    }
    if !any_slo {
        return None;
    }
    let objective = worst_overall.map_or("n/a", |j| j.objective.as_str());
    Some(HeatmapChart {
        title: format!("{name}: SLO margin (worst objective: {objective})"),
        x_label: a.axis_label(),
        y_label: b.axis_label(),
        x_labels: a.values.iter().map(|&x| a.label(x)).collect(),
        y_labels: b.values.iter().map(|&y| b.label(y)).collect(),
        cells,
        legend: vec![
            (Tone::Good, "SLO met".into()),
            (
                Tone::Neutral,
                "SLO undecided (95% CI straddles the target)".into(),
            ),
            (Tone::Bad, "SLO missed".into()),
        ],
        note: Some(format!(
            "{} trials per point; worst objective per cell",
            s.trials
        )),
    })
}

/// A scenario name as a file-name part: anything but letters, digits,
/// `-` and `_` becomes `_`.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn files(f: super::ChartFiles) -> [PathBuf; 2] {
    [f.png, f.svg]
}

/// The terminal table: a line per point and scenario, then the findings.
pub fn render_text(s: &SweepOutput) -> String {
    let mut t = String::new();
    let paths: Vec<String> = s.varies.iter().map(|v| v.path.clone()).collect();
    let _ = writeln!(
        t,
        "{:<28} {:<14} {:>9} {:>22} {:>12} {:>10}  SLO",
        paths.join(", "),
        "scenario",
        "success",
        "p99 (95% CI)",
        "goodput/s",
        "cost/h",
    );
    for p in s.points {
        let label: Vec<String> = s
            .varies
            .iter()
            .zip(&p.values)
            .map(|(v, &x)| v.label(x))
            .collect();
        let mut label = label.join(", ");
        if p.stage == Stage::Bisection {
            label.push_str(" (bisection)");
        }
        for c in &p.cells {
            let p99 = c.latency_s[1];
            let verdict = if c.slo.is_empty() {
                "-".to_string()
            } else {
                let overall = crate::slo::overall(&c.slo);
                let worst = c
                    .slo
                    .iter()
                    .filter(|j| j.verdict == overall && overall != Verdict::Met)
                    .map(|j| j.objective.as_str())
                    .collect::<Vec<_>>();
                if worst.is_empty() {
                    overall.name().to_string()
                } else {
                    format!("{} ({})", overall.name(), worst.join(", "))
                }
            };
            let _ = writeln!(
                t,
                "{:<28} {:<14} {:>8.3}% {:>22} {:>12.1} {:>10}  {}",
                label,
                c.scenario,
                c.success.mean * 100.0,
                format!(
                    "{} ({}..{})",
                    crate::slo::seconds_text(p99.mean),
                    crate::slo::seconds_text(p99.low),
                    crate::slo::seconds_text(p99.high)
                ),
                c.goodput_per_s.mean,
                p.cost_per_hour.map_or("-".into(), |c| format!("{c:.3}")),
                verdict
            );
        }
    }
    for f in s.findings {
        t.push('\n');
        t.push_str(&finding_text(f, s));
    }
    t
}

fn finding_text(f: &Finding, s: &SweepOutput) -> String {
    let given = if f.given.is_empty() {
        String::new()
    } else {
        let parts: Vec<String> = f
            .given
            .iter()
            .map(|(p, x)| match s.varies.iter().find(|v| &v.path == p) {
                Some(v) => format!("{p}={}", v.label(*x)),
                None => format!("{p}={x}"),
            })
            .collect();
        format!(" with {}", parts.join(", "))
    };
    let vary = s.varies.iter().find(|v| f.goal.ends_with(&v.path));
    let show = |x: f64| vary.map_or(crate::sweep::values::number_text(x), |v| v.label(x));
    let mut t = match (f.goal.as_str(), f.value) {
        ("cheapest", Some(i)) => {
            let p = &s.points[i as usize];
            let at: Vec<String> = s
                .varies
                .iter()
                .zip(&p.values)
                .map(|(v, &x)| format!("{}={}", v.path, v.label(x)))
                .collect();
            format!(
                "find cheapest: {} at {:.3}/h",
                at.join(", "),
                p.cost_per_hour.unwrap_or(f64::NAN)
            )
        }
        (goal, Some(v)) => {
            let mut line = format!("find {goal}{given}: {}", show(v));
            if let (Some(e), Some(ci)) = (f.estimate, f.ci95) {
                let _ = write!(
                    line,
                    " (boundary ≈ {}, 95% CI {} .. {})",
                    show(e),
                    show(ci[0]),
                    show(ci[1])
                );
            }
            if let Some(c) = f.cost_per_hour {
                let _ = write!(line, ", {c:.3}/h");
            }
            let _ = write!(line, "; {} bisection runs beyond the grid", f.evaluations);
            line
        }
        (goal, None) => format!("find {goal}{given}: none"),
    };
    let _ = writeln!(t, "\n  {}", f.note);
    t
}

/// The report page of a sweep (`report.html`, `report.md`), read back from
/// its `summary.json`: a row per point and scenario with the SLO verdict,
/// the `--find` answers under it, and a section per scenario with its charts.
pub(super) fn page(v: &serde_json::Value, page: &mut super::page::Page) {
    use super::index::short;
    use super::page::{Cell as PageCell, Section, slo_cell};
    use serde_json::Value;
    let list = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    let f = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_f64);
    let varies = list(v.get("vary"));
    let mut head: Vec<String> = (varies.iter())
        .map(|x| {
            x.get("path")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        })
        .collect();
    head.extend(
        [
            "scenario",
            "success (95% CI)",
            "p99 (95% CI)",
            "goodput/s",
            "cost/h",
            "SLO",
        ]
        .map(String::from),
    );
    page.summary.head = head;
    let ms = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{} ms", short(x * 1e3)));
    let pc = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{:.3}%", x * 100.0));
    for p in list(v.get("points")) {
        let stage = p.get("stage").and_then(Value::as_str).unwrap_or("");
        for c in list(p.get("scenarios")) {
            let mut row: Vec<PageCell> = list(p.get("values"))
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let unit = varies
                        .get(i)
                        .and_then(|x| x.get("unit"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let mut t = format!("{}{unit}", x.as_f64().map_or(String::new(), short));
                    if stage == "bisection" {
                        t.push_str(" (bisection)");
                    }
                    PageCell::from(t)
                })
                .collect();
            row.push(
                c.get("scenario")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .into(),
            );
            row.push(
                format!(
                    "{} ({} … {})",
                    pc(f(&c, "/success/mean")),
                    pc(f(&c, "/success/low")),
                    pc(f(&c, "/success/high"))
                )
                .into(),
            );
            row.push(
                format!(
                    "{} ({} … {})",
                    ms(f(&c, "/p99_s/mean")),
                    ms(f(&c, "/p99_s/low")),
                    ms(f(&c, "/p99_s/high"))
                )
                .into(),
            );
            row.push(
                f(&c, "/goodput_per_s/mean")
                    .map_or("n/a".into(), short)
                    .into(),
            );
            row.push(
                f(&p, "/cost_per_hour")
                    .map_or(String::new(), |x| format!("{x:.3}"))
                    .into(),
            );
            row.push(slo_cell(&c));
            page.summary.rows.push(row);
        }
    }
    let mut note = Vec::new();
    for fd in list(v.get("find")) {
        let goal = fd.get("goal").and_then(Value::as_str).unwrap_or("");
        let given: Vec<String> = list(fd.get("given"))
            .iter()
            .filter_map(|g| {
                Some(format!(
                    "{}={}",
                    g.get(0)?.as_str()?,
                    short(g.get(1)?.as_f64()?)
                ))
            })
            .collect();
        let value = match fd.get("value").and_then(Value::as_f64) {
            Some(x) if goal == "cheapest" => format!("grid point {}", x as usize),
            Some(x) => short(x),
            None => "none".into(),
        };
        let ci = match (f(&fd, "/ci95/0"), f(&fd, "/ci95/1")) {
            (Some(lo), Some(hi)) => format!(" (boundary 95% CI {} … {})", short(lo), short(hi)),
            _ => String::new(),
        };
        let given = if given.is_empty() {
            String::new()
        } else {
            format!(" with {}", given.join(", "))
        };
        note.push(format!(
            "find {goal}{given}: {value}{ci}; {}",
            fd.get("note").and_then(Value::as_str).unwrap_or("")
        ));
    }
    note.push(
        "Every point runs the same trial seeds; success = requests succeeded / offered, \
         p99 = mean over trials of each trial's p99, both with their 95% intervals; SLO met or \
         missed when the interval is on one side of the target, undecided when it straddles it"
            .into(),
    );
    page.summary_note = note.join(". ");
    let info = v.get("run");
    let names = list(info.and_then(|r| r.get("scenarios")));
    for n in names.iter().filter_map(Value::as_str) {
        page.sections.push(Section {
            name: n.to_string(),
            ..Section::default()
        });
    }
}
