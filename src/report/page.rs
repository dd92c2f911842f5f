//! The design-review report: `report.html` (one self-contained page, charts
//! inline as SVG, CSS inline, no script) and `report.md` (GitHub-flavoured,
//! the PNGs linked), both views of one [`Page`] built from a finished
//! output folder: `summary.json` and the chart files it lists. Nothing is
//! computed twice: the figures are those `summary.json` holds, and keys a
//! mode or version did not write are left out, not guessed.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::diagram::Diagram;
use super::index::{ChartIndex, RunInfo, short};
use super::output::{OutputDir, OutputError};

mod html;
mod markdown;
mod response;

/// An error reading a finished output folder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// `summary.json` is missing or unreadable.
    #[error("cannot read '{}': {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `summary.json` is not a resim summary.
    #[error("'{}' is not a resim summary: {reason}", path.display())]
    Summary {
        /// The file.
        path: PathBuf,
        /// What is wrong, lowercase.
        reason: String,
    },
    /// Writing the report failed.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// A table: a header row and rows of cells.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Table {
    /// Column headings.
    pub head: Vec<String>,
    /// Rows; each as long as `head`.
    pub rows: Vec<Vec<Cell>>,
}

/// One table cell: its text, and a verdict class for colouring.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Cell {
    /// The text.
    pub text: String,
    /// `good`, `bad`, `unsure` or empty.
    pub tone: &'static str,
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell { text, tone: "" }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::from(text.to_string())
    }
}

/// A chart of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Path of the files without extension, relative to the folder.
    pub file: String,
    /// Title.
    pub title: String,
    /// The SVG text, when the file is there and safe to inline.
    pub svg: Option<String>,
}

/// One scenario's part of the report.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Section {
    /// Heading.
    pub name: String,
    /// The scenario's description.
    pub description: String,
    /// Faults and actions: time, kind, label.
    pub timeline: Vec<(String, String, String)>,
    /// Shown open.
    pub key: Vec<Chart>,
    /// Folded away.
    pub secondary: Vec<Chart>,
    /// Flat series left out, one line each.
    pub flat: Vec<String>,
    /// Extra tables (availability's causes), with a caption.
    pub tables: Vec<(String, Table)>,
}

/// Everything the report shows, top down.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Page {
    /// The page title.
    pub title: String,
    /// What was run: label, value.
    pub facts: Vec<(String, String)>,
    /// The executive summary.
    pub summary: Table,
    /// A line under the summary (how to read it).
    pub summary_note: String,
    /// The system, when the summary holds it.
    pub topology: Option<Diagram>,
    /// Per scenario.
    pub sections: Vec<Section>,
    /// Warnings the run recorded.
    pub warnings: Vec<String>,
    /// An interrupted run's note (`"complete": false` in the summary): the
    /// trials its figures hold and how to resume it.
    pub incomplete: Option<String>,
}

/// Writes `report.html` and `report.md` into `out` from its `summary.json`
/// and chart files; returns their paths.
pub fn write_report(out: &OutputDir) -> Result<Vec<PathBuf>, ReportError> {
    let page = Page::read(out.root())?;
    write_page(out, &page)
}

fn write_page(out: &OutputDir, page: &Page) -> Result<Vec<PathBuf>, ReportError> {
    Ok(vec![
        out.write("report.html", html::render(page))?,
        out.write("report.md", markdown::render(page))?,
    ])
}

/// Writes a run's last files: `report.html` and `report.md` built from
/// `summary` and the chart files already in `out`, then `summary.json`
/// itself, last, so a folder holding a `summary.json` holds the whole set
/// (a run killed while writing leaves none). Returns the paths in the
/// order `summary.json`, `report.html`, `report.md`.
pub fn write_summary_and_report(
    out: &OutputDir,
    summary: &Value,
) -> Result<Vec<PathBuf>, ReportError> {
    let page = Page::of(out.root(), summary, &out.path("summary.json"))?;
    let reports = write_page(out, &page)?;
    let text = serde_json::to_string_pretty(summary).expect("serialises") + "\n";
    let mut written = vec![out.write("summary.json", text)?];
    written.extend(reports);
    Ok(written)
}

/// `resim report DIR`: rebuilds the report of a finished output folder.
pub fn rebuild(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let out = OutputDir::open(dir)?;
    write_report(&out)
}

fn num(v: &Value, path: &[&str]) -> Option<f64> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    cur.as_f64()
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// `99.9123%` with `decimals` digits.
pub(super) fn pct(x: Option<f64>, decimals: usize) -> String {
    x.filter(|x| x.is_finite())
        .map_or_else(|| "n/a".into(), |x| format!("{:.decimals$}%", x * 100.0))
}

/// An availability in percent with enough decimals to show two
/// significant digits of its unavailability (`99.99983%`).
pub(super) fn pct_avail(x: Option<f64>) -> String {
    let decimals = x.filter(|x| x.is_finite() && *x < 1.0).map_or(3, |x| {
        (-((1.0 - x) * 100.0).log10()).ceil().max(0.0) as usize + 1
    });
    pct(x, decimals.clamp(2, 8))
}

/// Seconds as `m:ss` (or `h:mm:ss`).
fn clock(s: f64) -> String {
    let t = s.round().max(0.0) as u64;
    if t >= 3600 {
        format!("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
    } else {
        format!("{}:{:02}", t / 60, t % 60)
    }
}

impl Page {
    /// Builds the page of the output folder `dir`.
    pub fn read(dir: &Path) -> Result<Page, ReportError> {
        let path = dir.join("summary.json");
        let json = fs::read_to_string(&path).map_err(|source| ReportError::Read {
            path: path.clone(),
            source,
        })?;
        let v: Value = serde_json::from_str(&json).map_err(|e| ReportError::Summary {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Page::of(dir, &v, &path)
    }

    /// Builds the page of the folder `dir` from its summary `v` (read from
    /// `path`, or about to be written there).
    fn of(dir: &Path, v: &Value, path: &Path) -> Result<Page, ReportError> {
        let path = path.to_path_buf();
        if !v.is_object() {
            return Err(ReportError::Summary {
                path,
                reason: "expected a JSON object".into(),
            });
        }
        let info: RunInfo = v
            .get("run")
            .and_then(|r| serde_json::from_value(r.clone()).ok())
            .unwrap_or_default();
        let charts: std::collections::BTreeMap<String, ChartIndex> = v
            .get("charts")
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default();
        let topology = v
            .get("topology")
            .and_then(|t| serde_json::from_value(t.clone()).ok());
        let mode = if !info.mode.is_empty() {
            info.mode.clone()
        } else if v.get("a").is_some() {
            "compare".into()
        } else if v.get("horizon_hours").is_some() {
            "availability".into()
        } else {
            "run".into()
        };
        let mut page = Page {
            topology,
            ..Page::default()
        };
        page.facts = facts(v, &info, &mode);
        match mode.as_str() {
            "compare" => compare_page(v, &mut page),
            "availability" if v.get("importance_sampling").is_some() => {
                super::importance::page(v, &mut page)
            }
            "availability" => availability_page(v, &mut page),
            "sweep" => super::sweep::page(v, &mut page),
            _ => run_page(v, &mut page),
        }
        order(&mut page, &info.scenarios);
        page.title = if mode == "compare" {
            let (la, lb) = super::compare::design_labels(&text(v, "a"), &text(v, "b"), 40);
            format!("resim compare: {la} vs {lb}")
        } else {
            format!("resim {mode}: {}", text(v, "model"))
        };
        for s in &mut page.sections {
            let idx = charts
                .get(&s.name)
                .or_else(|| charts.get(""))
                .cloned()
                .unwrap_or_default();
            s.key = idx.key.iter().map(|c| load_chart(dir, c)).collect();
            s.secondary = idx.secondary.iter().map(|c| load_chart(dir, c)).collect();
            s.flat = idx.flat;
        }
        page.warnings = strings(v.get("warnings"));
        if v.get("complete") == Some(&Value::Bool(false)) {
            page.incomplete = Some(text(v, "note"));
        }
        Ok(page)
    }
}

/// Puts the summary rows and sections of a run in the model's scenario
/// order (`summary.json` maps sort them by name).
fn order(page: &mut Page, names: &[String]) {
    let rank = |n: &str| names.iter().position(|x| x == n).unwrap_or(usize::MAX);
    if names.is_empty() || page.summary.rows.len() != page.sections.len() {
        return;
    }
    let mut pairs: Vec<(Vec<Cell>, Section)> = std::mem::take(&mut page.summary.rows)
        .into_iter()
        .zip(std::mem::take(&mut page.sections))
        .collect();
    pairs.sort_by_key(|(_, s)| rank(&s.name));
    for (row, s) in pairs {
        page.summary.rows.push(row);
        page.sections.push(s);
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn load_chart(dir: &Path, c: &super::index::ChartRef) -> Chart {
    let svg = fs::read_to_string(dir.join(format!("{}.svg", c.file)))
        .ok()
        .and_then(|s| inline_svg(&s, &c.title));
    Chart {
        file: c.file.clone(),
        title: c.title.clone(),
        svg,
    }
}

/// A chart file's SVG ready to inline: the fixed size replaced by a
/// `viewBox` that scales, the namespace dropped (HTML knows SVG), the
/// default opacity left out. `None` for anything that is not a plain
/// drawing (a script, a link, foreign content).
fn inline_svg(s: &str, title: &str) -> Option<String> {
    let s = s.trim_start();
    let lower = s.to_ascii_lowercase();
    let handler = lower.match_indices(" on").any(|(i, _)| {
        let rest = &lower[i + 3..];
        let name = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        name > 0 && rest[name..].starts_with('=')
    });
    let unsafe_ = handler
        || ["<script", "href", "<foreignobject", "javascript:"]
            .iter()
            .any(|k| lower.contains(k));
    if !s.starts_with("<svg") || unsafe_ {
        return None;
    }
    let end = s.find('>')?;
    let open = &s[..end];
    let attr = |name: &str| {
        let i = open.find(&format!(" {name}=\""))? + name.len() + 3;
        let j = open[i..].find('"')? + i;
        open[i..j].parse::<u32>().ok()
    };
    let (w, h) = (attr("width")?, attr("height")?);
    let label = title
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = s[end + 1..].replace(" opacity=\"1\"", "");
    Some(format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{label}\">{body}"
    ))
}

fn facts(v: &Value, info: &RunInfo, mode: &str) -> Vec<(String, String)> {
    let mut f = Vec::new();
    if mode == "compare" {
        f.push(("design A".to_string(), text(v, "a")));
        f.push(("design B".to_string(), text(v, "b")));
    } else {
        f.push(("model".to_string(), text(v, "model")));
    }
    if !info.model_file.is_empty() && mode != "compare" {
        f.push(("model file".into(), info.model_file.clone()));
    }
    if !info.command.is_empty() {
        f.push(("command".into(), info.command.clone()));
    }
    f.push(("seed".into(), text(v, "seed")));
    let trials = text(v, "trials");
    // Importance sampling runs cycles, not trials (its page says so).
    if v.get("importance_sampling").is_none() {
        f.push((
            "trials".into(),
            if mode == "compare" {
                format!("{trials} paired trials per scenario and design")
            } else {
                trials
            },
        ));
    }
    if let Some(h) = num(v, &["horizon_hours"]) {
        f.push(("horizon".into(), format!("{} h per trial", short(h))));
    }
    if !info.resim_version.is_empty() {
        f.push(("resim version".into(), info.resim_version.clone()));
    }
    f
}

fn timeline(s: &Value) -> Vec<(String, String, String)> {
    s.get("timeline")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        clock(num(e, &["at_s"]).unwrap_or(0.0)),
                        text(e, "kind"),
                        text(e, "label"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The SLO verdicts of a scenario (`slo`: objective, target, measured,
/// verdict), one line each, with the worst verdict's tone.
pub(super) fn slo_cell(s: &Value) -> Cell {
    let Some(slos) = s.get("slo").and_then(Value::as_array) else {
        return Cell::from("");
    };
    let mut lines = Vec::new();
    let mut tone = "good";
    for o in slos {
        let verdict = text(o, "verdict");
        match verdict.as_str() {
            "missed" => tone = "bad",
            "undecided" if tone != "bad" => tone = "unsure",
            _ => {}
        }
        let objective = text(o, "objective");
        // Availability is a fraction, latencies are seconds.
        let show = |key: &str| match o.get(key).and_then(Value::as_f64) {
            Some(x) if objective == "availability" => pct_avail(Some(x)),
            Some(x) => format!("{} ms", short(x * 1000.0)),
            None => o.get(key).map(value_text).unwrap_or_default(),
        };
        lines.push(format!(
            "{objective} {verdict}: {} vs {}",
            show("measured"),
            show("target")
        ));
    }
    Cell {
        text: lines.join("; "),
        tone: if lines.is_empty() { "" } else { tone },
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), short),
        Value::String(s) => s.clone(),
        Value::Null => "n/a".into(),
        other => other.to_string(),
    }
}

fn run_page(v: &Value, page: &mut Page) {
    let scenarios = v.get("scenarios").and_then(Value::as_object);
    let has_slo = scenarios.is_some_and(|m| m.values().any(|s| s.get("slo").is_some()));
    let mut head: Vec<String> = ["scenario", "availability (95% CI)"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if has_slo {
        head.push("SLO".into());
    }
    for h in ["p99 latency", "worst bin", "recovery", "failed per trial"] {
        head.push(h.into());
    }
    page.summary.head = head;
    for (name, s) in scenarios.into_iter().flatten() {
        let mut row: Vec<Cell> = vec![
            name.as_str().into(),
            format!(
                "{} ({} … {})",
                pct(num(s, &["availability", "mean"]), 3),
                pct(s.pointer("/availability/ci95/0").and_then(Value::as_f64), 3),
                pct(s.pointer("/availability/ci95/1").and_then(Value::as_f64), 3)
            )
            .into(),
        ];
        if has_slo {
            row.push(slo_cell(s));
        }
        let bin = num(s, &["bin_s"]).map_or_else(String::new, |b| format!(" ({} s)", short(b)));
        row.push(
            num(s, &["latency_ms", "p99"])
                .map_or_else(|| "n/a".into(), |x| format!("{} ms", short(x)))
                .into(),
        );
        let worst = num(s, &["worst_success"]);
        row.push(Cell {
            text: format!("{}{bin}", pct(worst, 1)),
            tone: match worst {
                Some(w) if w < 0.9 => "bad",
                _ => "",
            },
        });
        row.push(
            match s.get("recovery_s") {
                Some(Value::Number(n)) => format!("{} s", short(n.as_f64().unwrap_or(0.0))),
                Some(Value::Null) => "no lasting dip".into(),
                _ => "n/a".into(),
            }
            .into(),
        );
        let failed: Vec<String> = s
            .get("failed_per_trial")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|p| {
                        let name = p.get(0)?.as_str()?.replace('_', " ");
                        let n = p.get(1)?.as_f64()?;
                        (n > 0.0).then(|| format!("{name} {}", short(n)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        row.push(
            if failed.is_empty() {
                "none".to_string()
            } else {
                failed.join(", ")
            }
            .into(),
        );
        page.summary.rows.push(row);
        page.sections.push(Section {
            name: name.clone(),
            description: text(s, "description"),
            timeline: timeline(s),
            tables: response::tables(s),
            ..Section::default()
        });
        page.warnings.extend(strings(s.get("warnings")));
    }
    page.summary_note = "availability = requests succeeded / offered over the measured window, \
        mean over trials with its 95% interval; worst bin = the lowest mean success ratio of one \
        time bin; recovery = from the first fault until the success ratio stays within 0.5 \
        points of its level before it"
        .into();
}

fn compare_page(v: &Value, page: &mut Page) {
    let (la, lb) = super::compare::design_labels(&text(v, "a"), &text(v, "b"), 40);
    page.summary.head = [
        "scenario",
        "metric",
        &format!("A: {la}"),
        &format!("B: {lb}"),
        "B − A (95% CI)",
        "better",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for s in v
        .get("scenarios")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = text(s, "scenario");
        for m in s
            .get("metrics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let metric = text(m, "metric");
            let f = |x: Option<f64>| {
                x.filter(|x| x.is_finite()).map_or_else(
                    || "n/a".to_string(),
                    |x| {
                        if metric == "availability" {
                            format!("{:.4}%", x * 100.0)
                        } else {
                            short(x)
                        }
                    },
                )
            };
            let winner = text(m, "winner");
            let better = match winner.as_str() {
                "A" => Cell {
                    text: format!("A: {la}"),
                    tone: "good",
                },
                "B" => Cell {
                    text: format!("B: {lb}"),
                    tone: "good",
                },
                _ => Cell {
                    text: "no clear winner".into(),
                    tone: "unsure",
                },
            };
            page.summary.rows.push(vec![
                name.as_str().into(),
                metric.replace('_', " ").into(),
                f(num(m, &["a"])).into(),
                f(num(m, &["b"])).into(),
                format!(
                    "{} ({} … {})",
                    f(num(m, &["diff"])),
                    f(m.pointer("/diff_ci95/0").and_then(Value::as_f64)),
                    f(m.pointer("/diff_ci95/1").and_then(Value::as_f64))
                )
                .into(),
                better,
            ]);
        }
        page.sections.push(Section {
            name,
            ..Section::default()
        });
    }
    page.summary_note = "A and B as in the list above; the same trial seeds for both \
        (common random numbers); a winner is named only where the paired 95% interval of \
        B − A excludes zero"
        .into();
}

fn availability_page(v: &Value, page: &mut Page) {
    page.summary.head = vec!["figure".into(), "value".into()];
    let mut row = |k: &str, val: String| page.summary.rows.push(vec![k.into(), val.into()]);
    // A one-sided interval states only the bound that holds.
    let one_sided = v.get("ci_one_sided").and_then(Value::as_bool) == Some(true);
    let lo = v.pointer("/availability/ci95/0").and_then(Value::as_f64);
    let hi = v.pointer("/availability/ci95/1").and_then(Value::as_f64);
    let mean = pct_avail(num(v, &["availability", "mean"]));
    if one_sided {
        row(
            "availability (95% bound)",
            format!("{mean} (above {})", pct_avail(lo)),
        );
    } else {
        row(
            "availability (95% CI)",
            format!("{mean} ({} … {})", pct_avail(lo), pct_avail(hi)),
        );
    }
    if let Some(n) = num(v, &["availability", "nines"]) {
        row("nines", format!("{n:.2}"));
    }
    if let Some(r) = v.get("request_availability") {
        let mean = num(r, &["mean"]).or_else(|| r.as_f64());
        let ci = interval(r.get("ci95"), |x| pct_avail(Some(x)));
        row("request availability", format!("{}{ci}", pct_avail(mean)));
        if let Some(f) = num(r, &["failed_per_year", "mean"]) {
            let ci = interval(r.pointer("/failed_per_year/ci95"), short);
            row("failed requests per year", format!("{}{ci}", short(f)));
        }
        if let (Some(p50), Some(p99)) = (
            num(r, &["latency_ms", "p50"]),
            num(r, &["latency_ms", "p99"]),
        ) {
            row(
                "request latency p50 / p99",
                format!("{} ms / {} ms", short(p50), short(p99)),
            );
        }
        if let Some(d) = num(r, &["degraded_minutes_per_year", "mean"]) {
            row(
                "degraded (up, some instance out)",
                format!("{} min/year", short(d)),
            );
        }
    }
    if let Some(d) = num(v, &["downtime_minutes_per_year", "mean"]) {
        let lo = v
            .pointer("/downtime_minutes_per_year/ci95/0")
            .and_then(Value::as_f64);
        let hi = v
            .pointer("/downtime_minutes_per_year/ci95/1")
            .and_then(Value::as_f64);
        let ci = match (lo, hi) {
            (_, Some(h)) if one_sided => format!(" (below {})", short(h)),
            (Some(l), Some(h)) => format!(" ({} … {})", short(l), short(h)),
            _ => String::new(),
        };
        row("downtime per year", format!("{} min{ci}", short(d)));
    }
    if let Some(o) = num(v, &["outages_per_year", "mean"]) {
        row("outages per year", short(o));
    }
    match (
        num(v, &["service_mtbf_hours"]),
        num(v, &["service_mttr_minutes"]),
    ) {
        (Some(b), Some(r)) => row(
            "service MTBF / MTTR",
            format!("{} h / {} min", short(b), short(r)),
        ),
        _ => row("service MTBF / MTTR", "no outage observed".into()),
    }
    let mut causes = Table {
        head: vec![
            "component or group".into(),
            "kind".into(),
            "downtime [min/year]".into(),
            "share".into(),
        ],
        rows: Vec::new(),
    };
    for a in v
        .get("attribution")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        causes.rows.push(vec![
            text(a, "id").into(),
            text(a, "kind").into(),
            num(a, &["downtime_minutes_per_year"])
                .map_or_else(|| "n/a".into(), short)
                .into(),
            pct(num(a, &["share"]), 1).into(),
        ]);
    }
    let mut section = Section {
        name: "long-run availability".into(),
        description: text(v, "attribution_rule"),
        ..Section::default()
    };
    if !causes.rows.is_empty() {
        section
            .tables
            .push(("downtime by cause".to_string(), causes));
    }
    if let Some(r) = v.get("request_availability") {
        request_tables(r, &mut section);
    }
    page.sections.push(section);
    page.summary_note = "Monte Carlo over component up/down states; availability is the \
        share of time the service was up, with its 95% interval"
        .into();
    let note = text(v, "ci_note");
    if !note.is_empty() {
        let method = text(v, "ci_method");
        page.summary_note = format!("{}; interval: {note} [{method}]", page.summary_note);
    }
}

/// ` (lo … hi)` of a `[lo, hi]` interval, each end formatted by `f`;
/// empty when the interval is missing.
fn interval(ci: Option<&Value>, f: impl Fn(f64) -> String) -> String {
    let end = |i: usize| ci.and_then(|c| c.get(i)).and_then(Value::as_f64);
    match (end(0), end(1)) {
        (Some(lo), Some(hi)) => format!(" ({} … {})", f(lo), f(hi)),
        _ => String::new(),
    }
}

/// The request-level tables of an availability run: failed requests per
/// year by cause and by what set them off, under a note on the method.
fn request_tables(r: &Value, section: &mut Section) {
    let rows = |key: &str, cells: &dyn Fn(&Value) -> Vec<String>| -> Vec<Vec<Cell>> {
        r.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|x| cells(x).into_iter().map(Cell::from).collect())
            .collect()
    };
    let per_year = |x: &Value| num(x, &["per_year"]).map_or_else(|| "n/a".into(), short);
    let by_cause = Table {
        head: vec!["cause".into(), "failed requests [1/year]".into()],
        rows: rows("failed_by_cause", &|c| vec![text(c, "cause"), per_year(c)]),
    };
    let by_origin = Table {
        head: vec![
            "set off by".into(),
            "kind".into(),
            "failed requests [1/year]".into(),
            "share".into(),
        ],
        rows: rows("failed_by_origin", &|o| {
            vec![
                text(o, "id"),
                text(o, "kind"),
                per_year(o),
                pct(num(o, &["share"]), 1),
            ]
        }),
    };
    let trials = num(r, &["trials"]).unwrap_or(0.0);
    let windows = num(r, &["windows_per_year"]).unwrap_or(0.0);
    let hours = num(r, &["simulated_hours_per_year"]).unwrap_or(0.0);
    let note = format!(
        "request availability over the first {trials:.0} trial-years, replayed at request level \
         ({windows:.1} disturbances and {hours:.2} simulated hours per year): {}",
        text(r, "method")
    );
    section.description = if section.description.is_empty() {
        note
    } else {
        format!("{}. {note}", section.description)
    };
    for (caption, t) in [
        ("failed requests by cause", by_cause),
        ("failed requests by what set them off", by_origin),
    ] {
        if !t.rows.is_empty() {
            section.tables.push((caption.to_string(), t));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_inlined_scalable_or_not_at_all() {
        let s = "<svg width=\"1000\" height=\"600\" viewBox=\"0 0 1000 600\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect opacity=\"1\" x=\"0\"/></svg>";
        let out = inline_svg(s, "a <b>").unwrap();
        assert!(out.starts_with("<svg class=\"chart\" viewBox=\"0 0 1000 600\""));
        assert!(out.contains("aria-label=\"a &lt;b&gt;\""));
        assert!(!out.contains("http"));
        assert!(!out.contains("opacity"));
        let evil = "<svg width=\"1\" height=\"1\"><script>alert(1)</script></svg>";
        assert_eq!(inline_svg(evil, "x"), None);
        let handler = "<svg width=\"1\" height=\"1\"><rect onload=\"x()\"/></svg>";
        assert_eq!(inline_svg(handler, "x"), None);
        let words = "<svg width=\"1\" height=\"1\"><text>pods on node-1</text></svg>";
        assert!(inline_svg(words, "x").is_some());
    }

    #[test]
    fn availability_shows_two_digits_of_its_unavailability() {
        assert_eq!(pct_avail(Some(0.999998)), "99.99980%");
        assert_eq!(pct_avail(Some(0.95)), "95.00%");
        assert_eq!(pct_avail(Some(1.0)), "100.000%");
        assert_eq!(pct_avail(None), "n/a");
    }

    /// An availability run with request availability shows its failed
    /// requests, latency and degraded time in the summary, and the failed
    /// requests by cause and by what set them off as tables.
    #[test]
    fn request_availability_shows_its_breakdown() {
        let v = serde_json::json!({"model": "m", "horizon_hours": 8760.0,
            "availability": {"mean": 0.99999, "ci95": [0.99998, 0.99999]},
            "request_availability": {"mean": 0.9995, "ci95": [0.9994, 0.9996],
              "failed_per_year": {"mean": 4000.0, "ci95": [3000.0, 5000.0]},
              "latency_ms": {"p50": 7.25, "p99": 39.0},
              "degraded_minutes_per_year": {"mean": 120.0, "ci95": [100.0, 140.0]},
              "trials": 10, "windows_per_year": 3.5, "simulated_hours_per_year": 0.5,
              "method": "windows",
              "failed_by_cause": [{"cause": "refused", "per_year": 4000.0}],
              "failed_by_origin": [{"id": "app", "kind": "change", "per_year": 3000.0,
                "share": 0.75}, {"id": "lb", "kind": "component", "per_year": 1000.0,
                "share": 0.25}]}});
        let mut page = Page::default();
        availability_page(&v, &mut page);
        let value = |k: &str| {
            page.summary
                .rows
                .iter()
                .find(|r| r[0].text == k)
                .map(|r| r[1].text.clone())
        };
        assert_eq!(
            value("failed requests per year").unwrap(),
            "4000 (3000 … 5000)"
        );
        assert_eq!(
            value("request latency p50 / p99").unwrap(),
            "7.25 ms / 39 ms"
        );
        assert_eq!(
            value("degraded (up, some instance out)").unwrap(),
            "120 min/year"
        );
        let tables = &page.sections[0].tables;
        let (caption, origin) = tables.last().unwrap();
        assert_eq!(caption, "failed requests by what set them off");
        let first: Vec<&str> = origin.rows[0].iter().map(|c| c.text.as_str()).collect();
        assert_eq!(first, ["app", "change", "3000", "75.0%"]);
        assert!(
            tables
                .iter()
                .any(|(c, t)| c == "failed requests by cause" && t.rows.len() == 1)
        );
        assert!(page.sections[0].description.contains("10 trial-years"));
        let mut without = Page::default();
        availability_page(
            &serde_json::json!({"availability": {"mean": 0.9}}),
            &mut without,
        );
        assert!(without.sections[0].tables.is_empty());
    }

    /// `[slo]` verdicts (written by the drill's summary) show in the summary
    /// table, coloured by the worst; a summary without them has no column.
    #[test]
    fn slo_verdicts_show_in_the_summary() {
        let dir = std::env::temp_dir().join(format!("resim-page-slo-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let summary = r#"{"model": "m", "seed": 1, "trials": 2, "scenarios": {"s": {
            "availability": {"mean": 0.9991, "ci95": [0.999, 0.9992]},
            "latency_ms": {"p99": 40.0}, "worst_success": 0.5, "bin_s": 10,
            "slo": [
              {"objective": "availability", "target": 0.999, "measured": 0.9991,
               "ci95": [0.999, 0.9992], "margin": 0.0001, "verdict": "met"},
              {"objective": "p99", "target": 0.03, "measured": 0.04,
               "ci95": [0.039, 0.041], "margin": -0.01, "verdict": "missed"}]}}}"#;
        fs::write(dir.join("summary.json"), summary).unwrap();
        let page = Page::read(&dir).unwrap();
        assert!(page.summary.head.iter().any(|h| h == "SLO"));
        let slo = &page.summary.rows[0][2];
        assert_eq!(
            slo.text,
            "availability met: 99.910% vs 99.90%; p99 missed: 40 ms vs 30 ms"
        );
        assert_eq!(slo.tone, "bad");
        let without = summary.replace("\"slo\"", "\"not_slo\"");
        fs::write(dir.join("summary.json"), without).unwrap();
        let page = Page::read(&dir).unwrap();
        assert!(!page.summary.head.iter().any(|h| h == "SLO"));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// An interrupted run's summary gives both reports a banner with its
    /// note; `summary.json` is written after them, holding the same keys.
    #[test]
    fn an_incomplete_run_says_so_at_the_top() {
        let dir = std::env::temp_dir().join(format!("resim-page-partial-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let out = OutputDir::open(&dir).unwrap();
        let note = "figures from 7 of 20 trials; resume with: resim run m.toml --resume x";
        let summary = serde_json::json!({"model": "m", "seed": 1, "trials": 20, "scenarios": {},
            "complete": false, "note": note});
        let written = write_summary_and_report(&out, &summary).unwrap();
        assert!(written[0].ends_with("summary.json"));
        let md = fs::read_to_string(dir.join("report.md")).unwrap();
        assert!(
            md.contains(&format!("> **Incomplete run**: {note}")),
            "{md}"
        );
        let html = fs::read_to_string(dir.join("report.html")).unwrap();
        assert!(html.contains(
            "<p class=\"incomplete\"><strong>Incomplete run: </strong>figures from 7 of 20"
        ));
        let back: Value =
            serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
        assert_eq!(back, summary);
        let whole = serde_json::json!({"model": "m", "seed": 1, "trials": 20, "scenarios": {}});
        write_summary_and_report(&out, &whole).unwrap();
        assert!(
            !fs::read_to_string(dir.join("report.md"))
                .unwrap()
                .contains("Incomplete")
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn clock_reads_minutes() {
        assert_eq!(clock(65.0), "1:05");
        assert_eq!(clock(3725.0), "1:02:05");
    }
}
