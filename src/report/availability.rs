//! The files of an availability run: `summary.json`, `trials.csv`, the
//! charts in `charts/`, `report.html` and `report.md`, plus the text
//! summary printed on the terminal.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::diagram::Diagram;
use super::index::{ChartIndex, ChartRef, RunInfo, augment};
use super::plot::{
    Bar, BarChart, HistogramChart, LineChart, Series, bar_chart, histogram_chart, line_chart,
};
use super::{OutputDir, PlotError};
use std::io::Write as _;

use crate::availability::summary::MINUTES_PER_YEAR;
use crate::availability::{AvailabilityRun, TrialOutcome};

/// Writes `summary.json`, the charts and `report.html` into `out`, and
/// puts `trials` (written as the run went) in place; returns the paths
/// written.
pub fn write_results(
    out: &OutputDir,
    info: &RunInfo,
    diagram: &Diagram,
    run: &AvailabilityRun,
    trials: TrialsCsv,
) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = vec![trials.finish(&run.causes)?];
    let dir = OutputDir::open(&out.path(CHARTS))?;
    let (files, index) = write_charts(&dir, run)?;
    written.extend(files);
    let charts = BTreeMap::from([(String::new(), index)]);
    let json = augment(
        serde_json::to_value(&run.summary).expect("summary serialises"),
        info,
        diagram,
        &charts,
    );
    written.extend(super::page::write_summary_and_report(out, &json)?);
    Ok(written)
}

/// The folder of an availability run's charts.
const CHARTS: &str = "charts";

fn write_charts(
    out: &OutputDir,
    run: &AvailabilityRun,
) -> Result<(Vec<PathBuf>, ChartIndex), PlotError> {
    let s = &run.summary;
    let years = s.horizon_hours / 8760.0;
    let mut files = Vec::new();
    let mut index = ChartIndex::default();
    let mut add = |stem: &str, title: &str, key: bool| {
        let r = ChartRef {
            file: format!("{CHARTS}/{stem}"),
            title: title.to_string(),
        };
        if key {
            index.key.push(r)
        } else {
            index.secondary.push(r)
        }
    };
    // Trials without downtime would pile up in one bar at zero and squeeze
    // the rest into a few: the histogram shows the others, the title says
    // how many there were.
    let downtime: Vec<f64> = run
        .outcomes
        .iter()
        .map(|o| o.downtime_secs / 60.0 / years)
        .filter(|&d| d > 0.0)
        .collect();
    let hist = HistogramChart {
        title: format!(
            "{}: downtime per year, the {} of {} trials with any",
            s.model,
            downtime.len(),
            s.trials
        ),
        x_label: "downtime [min/year]".into(),
        y_label: "trials".into(),
        samples: downtime,
        show_mean: true,
        quantiles: vec![0.5, 0.9, 0.99],
        ..Default::default()
    };
    let f = histogram_chart(out, "downtime-distribution", &hist)?;
    files.extend([f.png, f.svg]);
    add("downtime-distribution", &hist.title, true);

    let bars = BarChart {
        title: format!("{}: downtime by cause", s.model),
        x_label: "downtime [min/year]".into(),
        y_label: String::new(),
        bars: s
            .attribution
            .iter()
            .map(|a| {
                Bar::new(
                    format!("{} ({})", a.id, a.kind),
                    a.downtime_minutes_per_year,
                )
            })
            .collect(),
        note: Some("overlapping outages are split equally among their causes".into()),
    };
    let f = bar_chart(out, "downtime-by-cause", &bars)?;
    files.extend([f.png, f.svg]);
    add("downtime-by-cause", &bars.title, true);
    if let Some(r) = &s.request_availability {
        let (f, title) = super::request_availability::write_chart(out, &s.model, r)?;
        files.extend(f);
        add(super::request_availability::CHART, &title, true);
    }

    // In percent with a range of whole ticks: the cells' noise is not
    // printed to seven decimals.
    let pct: Vec<f64> = s
        .point_availability
        .iter()
        .map(|p| p.cell_availability * 100.0)
        .collect();
    let lo = pct
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(s.availability.mean * 100.0, f64::min);
    let curve = LineChart {
        title: format!("{}: availability over the horizon, A(t)", s.model),
        x_label: "time since all components were new [days]".into(),
        y_label: "availability [%]".into(),
        series: vec![
            Series::new(
                format!(
                    "mean over each {:.1}-day cell",
                    s.horizon_hours / 24.0 / s.point_availability.len().max(1) as f64
                ),
                s.point_availability
                    .iter()
                    .zip(&pct)
                    .map(|(p, &v)| (p.t_hours / 24.0, v))
                    .collect(),
            ),
            Series::new(
                "long-run mean",
                s.point_availability
                    .iter()
                    .map(|p| (p.t_hours / 24.0, s.availability.mean * 100.0))
                    .collect(),
            )
            .dashed(),
        ],
        y_range: Some(percent_range(lo)),
        ..Default::default()
    };
    let f = line_chart(out, "point-availability", &curve)?;
    files.extend([f.png, f.svg]);
    add("point-availability", &curve.title, false);
    Ok((files, index))
}

/// A y range `[lo', 100]` in percent whose span is a 1-2-5 step at least
/// the data's (100 − lo), so the ticks need few decimals.
fn percent_range(lo: f64) -> (f64, f64) {
    let gap = (100.0 - lo).max(1e-4) * 1.1;
    let mag = 10f64.powf(gap.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|&s| s >= gap)
        .unwrap_or(10.0 * mag);
    ((100.0 - step).max(0.0), 100.0)
}

/// `trials.csv`, one row per trial, written as trials finish (see
/// [`crate::availability::run_with`]): its seed, availability, downtime,
/// outages and the downtime blamed on each cause.
pub struct TrialsCsv {
    file: super::output::Streamed,
    horizon_secs: f64,
    header: bool,
    error: Option<std::io::Error>,
}

impl TrialsCsv {
    /// Starts `trials.csv` in `out` for trials of `horizon`.
    pub fn create(
        out: &OutputDir,
        horizon: crate::engine::SimTime,
    ) -> Result<TrialsCsv, super::OutputError> {
        Ok(TrialsCsv {
            file: out.stream("trials.csv")?,
            horizon_secs: horizon.as_secs_f64(),
            header: false,
            error: None,
        })
    }

    fn header(&mut self, causes: &[(String, &'static str)]) -> String {
        self.header = true;
        let mut s = String::from("trial,seed,availability,downtime_minutes,outages");
        for (id, kind) in causes {
            let _ = write!(s, ",{kind}_{id}_minutes");
        }
        s.push('\n');
        s
    }

    /// Appends trial `o` (trials come in trial order); a write error is
    /// kept for [`TrialsCsv::finish`].
    pub fn row(&mut self, causes: &[(String, &'static str)], o: &TrialOutcome) {
        let mut s = if self.header {
            String::new()
        } else {
            self.header(causes)
        };
        let _ = write!(
            s,
            "{},{},{},{},{}",
            o.trial,
            o.seed,
            1.0 - o.downtime_secs / self.horizon_secs,
            o.downtime_secs / 60.0,
            o.outages
        );
        for b in &o.blame_secs {
            let _ = write!(s, ",{}", b / 60.0);
        }
        s.push('\n');
        if self.error.is_none()
            && let Err(e) = self.file.write_all(s.as_bytes())
        {
            self.error = Some(e);
        }
    }

    /// Puts the file in place.
    pub fn finish(
        mut self,
        causes: &[(String, &'static str)],
    ) -> Result<PathBuf, super::OutputError> {
        if !self.header {
            let h = self.header(causes);
            if let Err(e) = self.file.write_all(h.as_bytes()) {
                self.error.get_or_insert(e);
            }
        }
        if let Some(e) = self.error.take() {
            return Err(super::OutputError::Io {
                action: "write",
                path: PathBuf::from("trials.csv"),
                source: e,
            });
        }
        self.file.finish()
    }
}

/// The terminal summary of a run.
pub fn render_text(run: &AvailabilityRun) -> String {
    let s = &run.summary;
    let mut t = String::new();
    let pct = |x: f64| format!("{:.5}%", x * 100.0);
    let d = &s.downtime_minutes_per_year;
    // A one-sided interval states only the bound that holds (see ci_note).
    let (a_ci, d_ci) = if s.ci_one_sided {
        (
            format!("95% bound: above {}", pct(s.availability.ci95[0])),
            format!("95% bound: below {:.1}", d.ci95[1]),
        )
    } else {
        (
            format!(
                "95% CI {} .. {}",
                pct(s.availability.ci95[0]),
                pct(s.availability.ci95[1])
            ),
            format!("95% CI {:.1} .. {:.1}", d.ci95[0], d.ci95[1]),
        )
    };
    let _ = writeln!(
        t,
        "availability   {}  ({a_ci})  {:.2} nines",
        pct(s.availability.mean),
        s.availability.nines
    );
    if let Some(r) = &s.request_availability {
        t.push_str(&super::request_availability::render_text(r));
    }
    let _ = writeln!(
        t,
        "downtime       {:.1} min/year ({d_ci}); across trials p50 {:.1}, p90 {:.1}, p99 {:.1}",
        d.mean, d.p50, d.p90, d.p99
    );
    let _ = writeln!(
        t,
        "outages        {:.2} per year (95% CI {:.2} .. {:.2}); {} observed in {} trials",
        s.outages_per_year.mean,
        s.outages_per_year.ci95[0],
        s.outages_per_year.ci95[1],
        s.outages_observed,
        s.trials
    );
    let _ = writeln!(t, "interval       {} [{}]", s.ci_note, s.ci_method);
    match (s.service_mtbf_hours, s.service_mttr_minutes) {
        (Some(mtbf), Some(mttr)) => {
            let _ = writeln!(t, "service MTBF   {mtbf:.0} h; MTTR {mttr:.1} min");
        }
        _ => {
            let _ = writeln!(t, "service MTBF   no outage observed");
        }
    }
    if let Some(r) = &s.restores {
        let _ = match (r.mean_rpo_secs, r.mean_rto_minutes) {
            (Some(rpo), Some(rto)) => writeln!(
                t,
                "restores       {:.3} per year ({} observed); data lost (RPO) {:.1} s of writes per year, {rpo:.1} s per restore; RTO {rto:.1} min per restore",
                r.per_year, r.observed, r.data_lost_secs_per_year
            ),
            _ => writeln!(t, "restores       none observed (no data lost)"),
        };
    }
    let _ = writeln!(t, "first outage   {}", s.time_to_first_outage.describe());
    let _ = writeln!(
        t,
        "year           8760 h ({MINUTES_PER_YEAR:.0} min); horizon {} h per trial",
        s.horizon_hours
    );
    if !s.attribution.is_empty() {
        let _ = writeln!(
            t,
            "\ndowntime by cause (split equally among causes active at the same time):"
        );
        let width = s.attribution.iter().map(|a| a.id.len()).max().unwrap_or(0);
        for a in &s.attribution {
            let _ = writeln!(
                t,
                "  {:width$}  {:9}  {:8.2} min/year  {:5.1}%",
                a.id,
                a.kind,
                a.downtime_minutes_per_year,
                a.share * 100.0
            );
        }
    }
    if let Some(p) = &s.precision {
        let _ = writeln!(
            t,
            "\nprecision      target ±{:.1}% on unavailability, achieved ±{:.1}% after {} trials",
            p.target * 100.0,
            p.achieved * 100.0,
            s.trials
        );
    }
    for w in &s.warnings {
        let _ = writeln!(t, "\nwarning: {w}");
    }
    t
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_ranges_are_round() {
        assert_eq!(super::percent_range(99.95), (99.9, 100.0));
        assert_eq!(super::percent_range(99.2), (99.0, 100.0));
        let (lo, _) = super::percent_range(99.99993);
        assert!((lo - 99.9998).abs() < 1e-9, "{lo}");
    }
}
