//! Charts over plain data, each written as both `<stem>.png` and
//! `<stem>.svg` into an [`OutputDir`].
//!
//! The chart structs ([`LineChart`], [`StackedAreaChart`], [`BarChart`],
//! [`HistogramChart`], [`HeatmapChart`]) hold numbers and labels only, no
//! simulator types, so every mode can feed them. One drawing routine per
//! chart is generic over plotters' `DrawingBackend` and runs once for the
//! bitmap backend and once for the SVG backend, so both files show the
//! same drawing. Text renders with the embedded DejaVu Sans through
//! ab_glyph: no system fonts needed.
//!
//! Conventions shared by all charts:
//! - canvas 1000×600 px (bar charts grow taller with many bars), white
//!   background, title at the top left, a legend row under it when there
//!   are several series, one palette (Tableau 10) in series order;
//! - axis labels are drawn as given: put the unit in them, `"time [min]"`;
//! - **empty data is not an error**: a chart with no points draws its frame
//!   and a "no data" note. Malformed data (a band whose length differs from
//!   its series, a reversed range, bin edges out of order, …) is a
//!   [`PlotError::InvalidData`]. Non-finite values are gaps in lines and are
//!   skipped in histograms;
//! - files are written atomically through [`OutputDir::write_with`].

mod axis;
mod bar;
mod frame;
mod glyph;
mod heatmap;
mod histogram;
mod line;
mod stacked;
mod style;

use std::path::PathBuf;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::output::{OutputDir, OutputError};

pub use bar::{Bar, BarChart, bar_chart};
pub use heatmap::{HeatCell, HeatmapChart, Tone, heatmap_chart};
pub use histogram::{Bins, HistogramChart, histogram_chart};
pub use line::{LineChart, Series, line_chart};
pub use stacked::{Layer, StackedAreaChart, stacked_area_chart};
pub(crate) use style::format_significant;

/// An error drawing or writing a chart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The data cannot be drawn as given (e.g. mismatched lengths).
    #[error("chart '{chart}': {reason}")]
    InvalidData {
        /// The chart's title.
        chart: String,
        /// What is wrong, lowercase.
        reason: String,
    },
    /// plotters failed while drawing.
    #[error("cannot draw chart '{chart}': {message}")]
    Draw {
        /// The chart's title.
        chart: String,
        /// plotters' message.
        message: String,
    },
    /// The embedded font could not be registered (a build problem).
    #[error("cannot load the embedded chart font")]
    Font,
    /// Writing a chart file failed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Building the report from the written files failed.
    #[error(transparent)]
    Report(#[from] crate::report::page::ReportError),
}

impl PlotError {
    fn invalid(chart: &str, reason: impl Into<String>) -> Self {
        PlotError::InvalidData {
            chart: chart.to_string(),
            reason: reason.into(),
        }
    }
}

/// Turn a plotters drawing error into a [`PlotError`].
/// The chart title is filled in by [`render`].
fn draw_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> PlotError {
    PlotError::Draw {
        chart: String::new(),
        message: e.to_string(),
    }
}

/// The two files one chart produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFiles {
    /// The bitmap, `<stem>.png`.
    pub png: PathBuf,
    /// The vector drawing, `<stem>.svg`.
    pub svg: PathBuf,
}

/// What a vertical marker stands for; it picks the marker's colour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MarkerKind {
    /// A fault injected by the scenario (red).
    Fault,
    /// A containment action from the runbook (green).
    Action,
    /// Anything else: a statistic, a deploy, a note (dark grey).
    #[default]
    Note,
}

/// A vertical line at `x` with a short label above the plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Position on the x axis, in the chart's x unit.
    pub x: f64,
    /// A short label, e.g. `"db primary down"`; keep it under ~25 characters.
    pub label: String,
    /// What the marker stands for.
    pub kind: MarkerKind,
}

impl Marker {
    /// A marker of the given kind.
    pub fn new(x: f64, label: impl Into<String>, kind: MarkerKind) -> Self {
        Marker {
            x,
            label: label.into(),
            kind,
        }
    }
}

/// A chart that can draw itself on any plotters backend.
trait Figure {
    /// The chart's title (for error messages).
    fn title(&self) -> &str;

    /// Canvas size [px].
    fn size(&self) -> (u32, u32) {
        (style::WIDTH, style::HEIGHT)
    }

    /// Reject data that cannot be drawn, before any file is written.
    fn validate(&self) -> Result<(), PlotError>;

    /// Draw the whole chart on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>;
}

/// Draw `figure` once as PNG and once as SVG, and write both into `out`.
fn render(out: &OutputDir, stem: &str, figure: &impl Figure) -> Result<ChartFiles, PlotError> {
    render_files(out, stem, figure).map_err(|e| match e {
        PlotError::Draw { message, .. } => PlotError::Draw {
            chart: figure.title().to_string(),
            message,
        },
        other => other,
    })
}

fn render_files(
    out: &OutputDir,
    stem: &str,
    figure: &impl Figure,
) -> Result<ChartFiles, PlotError> {
    style::register_font()?;
    figure.validate()?;
    let size = figure.size();
    let png = out.write_with(&format!("{stem}.png"), |tmp| {
        let backend =
            glyph::GlyphText::new(BitMapBackend::new(tmp, size)).ok_or(PlotError::Font)?;
        let root = backend.into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(draw_err)
    })?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    let svg = out.write(&format!("{stem}.svg"), svg)?;
    Ok(ChartFiles { png, svg })
}

#[cfg(test)]
mod tests;
