//! What a run wrote, as `summary.json` records it for the report: the run's
//! facts ([`RunInfo`]) and, per scenario, its charts sorted into key ones,
//! secondary ones and flat series left out ([`ChartIndex`]).
//!
//! Each mode serialises its own summary; [`augment`] adds these keys beside
//! it, so the existing keys stay as they were and `resim report DIR` needs
//! nothing but the folder.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::diagram::Diagram;
use super::plot::{LineChart, Series};

/// What was run, for the report's first lines.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RunInfo {
    /// `run`, `compare` or `availability`.
    pub mode: String,
    /// The command line as typed (arguments joined by spaces).
    pub command: String,
    /// The model file(s).
    pub model_file: String,
    /// resim's version.
    pub resim_version: String,
    /// The scenarios in the model's order (the summary's maps sort them).
    #[serde(default)]
    pub scenarios: Vec<String>,
}

impl RunInfo {
    /// The info of this process's run in `mode` on `model_file`. The
    /// command line leaves out `--threads` and `--out`, which change
    /// neither the results nor their bytes.
    pub fn current(mode: &str, model_file: &str) -> RunInfo {
        let args: Vec<String> = COMMAND_ARGS
            .get()
            .cloned()
            .unwrap_or_else(|| std::env::args().skip(1).collect());
        RunInfo {
            mode: mode.to_string(),
            command: command_line(&args),
            model_file: model_file.to_string(),
            resim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenarios: Vec::new(),
        }
    }

    /// The same info listing `names` as the scenarios in order.
    pub fn with_scenarios<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> RunInfo {
        self.scenarios = names.into_iter().map(str::to_string).collect();
        self
    }
}

/// The arguments [`RunInfo::current`] records instead of this process's
/// own: `resim merge` sets the shards' command line, so a merge writes what
/// one run of it would.
static COMMAND_ARGS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// Records `args` (without the program name) as this process's command line
/// in results; the first call wins.
pub fn set_command_args(args: Vec<String>) {
    let _ = COMMAND_ARGS.set(args);
}

/// Options that change neither results nor their bytes, with a value.
pub const UNRECORDED_OPTIONS: [&str; 4] = ["--threads", "--out", "--shard", "--resume"];

/// `resim ARGS` as a shell would take it, without `--threads`, `--out`,
/// `--shard` and `--resume`.
fn command_line(args: &[String]) -> String {
    let mut words = vec!["resim".to_string()];
    let mut skip = false;
    for a in args {
        if std::mem::take(&mut skip) {
            continue;
        }
        if UNRECORDED_OPTIONS.contains(&a.as_str()) {
            skip = true;
            continue;
        }
        if UNRECORDED_OPTIONS
            .iter()
            .any(|o| a.strip_prefix(o).is_some_and(|r| r.starts_with('=')))
        {
            continue;
        }
        words.push(shell_word(a));
    }
    words.join(" ")
}

/// `a` quoted for a POSIX shell when it holds anything but plain characters.
fn shell_word(a: &str) -> String {
    let plain = !a.is_empty()
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=,:%+@".contains(&b));
    if plain {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

/// One chart: its files' path without the extension, relative to the run's
/// folder (`pod-crash/success` for `.png` and `.svg`), and its title.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ChartRef {
    /// Relative path of the chart files, without `.png`/`.svg`.
    pub file: String,
    /// The chart's title.
    pub title: String,
}

/// One scenario's charts, sorted for the report.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ChartIndex {
    /// Shown open: the charts a reviewer decides from.
    pub key: Vec<ChartRef>,
    /// Folded away under `<details>`.
    pub secondary: Vec<ChartRef>,
    /// Series that never changed, left out as charts: `name: value unit`.
    pub flat: Vec<String>,
}

impl ChartIndex {
    /// Files `chart` as key or secondary, or, when every series is flat,
    /// lists it in [`ChartIndex::flat`] and returns `false` (not to be drawn).
    pub fn file(&mut self, chart: &LineChart, file: &str, key: bool) -> bool {
        if let Some(flat) = flat_text(chart) {
            self.flat.push(flat);
            return false;
        }
        let r = ChartRef {
            file: file.to_string(),
            title: chart.title.clone(),
        };
        if key {
            self.key.push(r);
        } else {
            self.secondary.push(r);
        }
        true
    }
}

/// `name: value unit` when every series of `chart` holds one value (or
/// none), else `None`. The name is the title after the scenario's `: `.
fn flat_text(chart: &LineChart) -> Option<String> {
    let mut values = Vec::new();
    for s in &chart.series {
        values.push((s.label.as_str(), constant(s)?));
    }
    let name = chart
        .title
        .split_once(": ")
        .map_or(chart.title.as_str(), |t| t.1);
    let name = name.split(" (").next().unwrap_or(name);
    let unit = chart.y_label.as_str();
    let one = values.len() == 1;
    let shown: Vec<String> = values
        .iter()
        .map(|(label, v)| {
            let v = v.map_or_else(|| "no data".to_string(), short);
            if one { v } else { format!("{label} {v}") }
        })
        .collect();
    // A short unit follows the values; a long one (a legend) is left out.
    let unit = if unit.is_empty() || unit.len() > 12 {
        String::new()
    } else {
        format!(" {unit}")
    };
    Some(format!("{name}: {}{unit}", shown.join(", ")))
}

/// `Some(value)` when every finite y of `s` is the same (`Some(None)` when
/// there is none), `None` when it changes.
fn constant(s: &Series) -> Option<Option<f64>> {
    let mut first: Option<f64> = None;
    for &(_, y) in &s.points {
        if !y.is_finite() {
            continue;
        }
        match first {
            None => first = Some(y),
            Some(f) if (y - f).abs() <= 1e-9 * f.abs().max(1.0) => {}
            Some(_) => return None,
        }
    }
    Some(first)
}

/// A value with about three significant digits, large ones with a
/// `k`/`M`/`G` suffix (`0.0123`, `789`, `4.02M`), as the charts label them.
pub fn short(v: f64) -> String {
    super::plot::format_significant(v)
}

/// The folder of a scenario's files: its name with anything but letters,
/// digits, `-`, `_` and `.` replaced by `_` (never `.` or `..`).
pub fn scenario_folder(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.chars().all(|c| c == '.') {
        format!("_{s}")
    } else {
        s
    }
}

/// The keys an interrupted run adds to its `summary.json` (see
/// [`set_incomplete`]).
static INCOMPLETE: std::sync::Mutex<Option<serde_json::Map<String, serde_json::Value>>> =
    std::sync::Mutex::new(None);

/// Marks the results this process writes from now on as those of an
/// interrupted run: [`augment`] adds `keys` (`complete: false`, the trials
/// in the figures, the `--resume` command, the note the report shows) to
/// the summary.
pub fn set_incomplete(keys: serde_json::Map<String, serde_json::Value>) {
    *INCOMPLETE.lock().unwrap_or_else(|e| e.into_inner()) = Some(keys);
}

/// `summary` (a mode's summary as a JSON object) with the report's keys
/// added: `run`, `topology` and `charts` (per scenario, or under `""` for a
/// mode without scenarios), and an interrupted run's keys (see
/// [`set_incomplete`]).
pub fn augment(
    summary: serde_json::Value,
    info: &RunInfo,
    topology: &Diagram,
    charts: &BTreeMap<String, ChartIndex>,
) -> serde_json::Value {
    let mut v = summary;
    if let Some(map) = v.as_object_mut() {
        map.insert(
            "run".into(),
            serde_json::to_value(info).expect("serialises"),
        );
        map.insert(
            "topology".into(),
            serde_json::to_value(topology).expect("serialises"),
        );
        map.insert(
            "charts".into(),
            serde_json::to_value(charts).expect("serialises"),
        );
        if let Some(keys) = INCOMPLETE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            map.extend(keys.clone());
        }
    }
    v
}

/// A CSV cell: quoted when it holds a comma, quote or line break, and
/// prefixed with `'` when a spreadsheet would read it as a formula.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Report figures keep about three significant digits: a count of
    /// millions is not printed to the last request.
    #[test]
    fn short_keeps_three_significant_digits() {
        assert_eq!(short(0.012345), "0.0123");
        assert_eq!(short(4481.2), "4481");
        assert_eq!(short(4_024_226.4), "4.02M");
        assert_eq!(short(-25_000.0), "-25k");
        assert_eq!(short(626_931.8), "627k");
        assert_eq!(short(12_345.0), "12.3k");
        assert_eq!(short(0.0), "0");
    }

    #[test]
    fn flat_charts_are_listed_not_drawn() {
        let mut idx = ChartIndex::default();
        let chart = LineChart {
            title: "s: app restarts (mean over 3 trials)".into(),
            y_label: "restarts".into(),
            series: vec![Series::new("restarts", vec![(0.0, 0.0), (1.0, 0.0)])],
            ..Default::default()
        };
        assert!(!idx.file(&chart, "s/app-restarts", false));
        assert_eq!(idx.flat, vec!["app restarts: 0 restarts"]);
        let moving = LineChart {
            series: vec![Series::new("x", vec![(0.0, 0.0), (1.0, 2.0)])],
            ..chart
        };
        assert!(idx.file(&moving, "s/x", true));
        assert_eq!(idx.key.len(), 1);
    }

    #[test]
    fn command_lines_leave_out_threads_and_output() {
        let args: Vec<String> = ["run", "m.toml", "--threads", "2", "--out=x", "--set", "a b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(command_line(&args), "resim run m.toml --set 'a b'");
    }

    #[test]
    fn csv_cells_cannot_be_formulas() {
        assert_eq!(csv_cell("=cmd()"), "'=cmd()");
        assert_eq!(csv_cell("@x"), "'@x");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("pod-crash"), "pod-crash");
    }

    #[test]
    fn scenario_folders_are_plain_names() {
        assert_eq!(scenario_folder("pod-crash"), "pod-crash");
        assert_eq!(scenario_folder("a/b <x>"), "a_b__x_");
        assert_eq!(scenario_folder(".."), "_..");
        assert_eq!(scenario_folder(""), "_");
    }
}
