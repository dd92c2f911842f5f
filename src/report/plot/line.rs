//! Line charts: several series over x, each with an optional confidence
//! band, vertical markers for faults and actions, linear or log y.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::{Axis, nice_step};
use super::frame::{LegendEntry, Swatch, XyChart, XyFrame, x_axis};
use super::style::{self, series_color};
use super::{ChartFiles, Figure, Marker, PlotError, draw_err, render};
use crate::report::output::OutputDir;

/// A line chart, e.g. "success ratio over time with its 95% band".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineChart {
    /// The title, e.g. `"Success ratio during db-failover"`.
    pub title: String,
    /// The x axis label with its unit, e.g. `"time [min]"`.
    pub x_label: String,
    /// The y axis label with its unit, e.g. `"success ratio [0, 1]"`.
    pub y_label: String,
    /// The series, drawn in palette order; the legend lists them when there
    /// are two or more, or when one has a band.
    pub series: Vec<Series>,
    /// Vertical markers (faults, containment actions).
    pub markers: Vec<Marker>,
    /// A logarithmic y axis. Values `<= 0` are then gaps.
    pub log_y: bool,
    /// A logarithmic x axis (a load that spans decades). Points at `x <= 0`
    /// are then gaps.
    pub log_x: bool,
    /// A fixed y range `(low, high)`; automatic when `None`.
    pub y_range: Option<(f64, f64)>,
}

/// One line of a [`LineChart`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// The legend label, e.g. `"p99"`.
    pub label: String,
    /// The `(x, y)` points in x order. A non-finite `y` breaks the line.
    pub points: Vec<(f64, f64)>,
    /// A band `(low, high)` per point, drawn translucent behind the line;
    /// must have as many entries as `points`.
    pub band: Option<Vec<(f64, f64)>>,
    /// Draw the line dashed (e.g. the second design of a comparison, or a
    /// maximum beside a mean).
    pub dashed: bool,
    /// Line width [px]; 0 means the default, 2.
    pub width: u32,
}

impl Series {
    /// A series without a band.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            label: label.into(),
            points,
            ..Series::default()
        }
    }

    /// A series of binned values drawn as steps: bin `i` covers
    /// `[starts[i], starts[i] + width)` at height `values[i]`, so a change
    /// shows from the start of the bin it happened in, never before.
    pub fn steps(label: impl Into<String>, starts: &[f64], width: f64, values: &[f64]) -> Self {
        Series::new(label, steps(starts, width, values))
    }

    /// The same series with a band of binned `(low, high)` pairs, drawn as
    /// steps like [`Series::steps`].
    pub fn with_step_band(self, starts: &[f64], width: f64, band: &[(f64, f64)]) -> Self {
        let lows: Vec<f64> = band.iter().map(|b| b.0).collect();
        let highs: Vec<f64> = band.iter().map(|b| b.1).collect();
        let lo = steps(starts, width, &lows);
        let hi = steps(starts, width, &highs);
        self.with_band(lo.iter().zip(&hi).map(|(l, h)| (l.1, h.1)).collect())
    }

    /// The same series with a band, `(low, high)` per point.
    pub fn with_band(mut self, band: Vec<(f64, f64)>) -> Self {
        self.band = Some(band);
        self
    }

    /// The same series drawn dashed.
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }

    /// The same series with a line `width` [px] wide.
    pub fn width(mut self, width: u32) -> Self {
        self.width = width;
        self
    }
}

/// The corners of a step line: `(start, v)` and `(start + width, v)` per bin.
fn steps(starts: &[f64], width: f64, values: &[f64]) -> Vec<(f64, f64)> {
    starts
        .iter()
        .zip(values)
        .flat_map(|(&x, &v)| [(x, v), (x + width, v)])
        .collect()
}

/// Draw `chart` into `out` as `<stem>.png` and `<stem>.svg`.
///
/// With no drawable point the chart shows its frame and a "no data" note.
/// Errors: a band whose length differs from its series, or a `y_range`
/// that is reversed, not finite, or not positive on a log axis.
pub fn line_chart(out: &OutputDir, stem: &str, chart: &LineChart) -> Result<ChartFiles, PlotError> {
    render(out, stem, chart)
}

impl LineChart {
    /// Can `y` be drawn on this chart's y axis?
    fn drawable(&self, y: f64) -> bool {
        y.is_finite() && (!self.log_y || y > 0.0)
    }

    fn y_axis(&self) -> Axis {
        if let Some((lo, hi)) = self.y_range {
            return Axis {
                lo,
                hi,
                log: self.log_y,
                ticks: 8,
            };
        }
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for s in &self.series {
            let bands = s.band.iter().flatten().flat_map(|&(l, h)| [l, h]);
            for y in s.points.iter().map(|p| p.1).chain(bands) {
                if self.drawable(y) {
                    lo = lo.min(y);
                    hi = hi.max(y);
                }
            }
        }
        let (lo, hi) = if self.log_y {
            log_range(lo, hi)
        } else {
            linear_range(lo, hi)
        };
        Axis {
            lo,
            hi,
            log: self.log_y,
            ticks: 8,
        }
    }

    fn x_axis(&self) -> Axis {
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .chain(self.markers.iter().map(|m| m.x))
            .filter(|&x| self.drawable_x(x));
        let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        if self.log_x {
            let (lo, hi) = log_range(lo, hi);
            return Axis {
                lo,
                hi,
                log: true,
                ticks: 10,
            };
        }
        x_axis(lo, hi)
    }

    /// Can `x` be drawn on this chart's x axis?
    fn drawable_x(&self, x: f64) -> bool {
        x.is_finite() && (!self.log_x || x > 0.0)
    }
}

/// A padded linear range around `[lo, hi]`; it starts at zero when the
/// data is non-negative and zero is near.
pub(super) fn linear_range(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    if hi <= lo {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - pad, hi + pad);
    }
    let pad = 0.05 * (hi - lo);
    let lo = if lo >= 0.0 && lo <= 0.25 * hi {
        0.0
    } else {
        lo - pad
    };
    (lo, hi + pad)
}

/// A log range around `[lo, hi]` snapped out to 1-2-5 values.
fn log_range(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite() && lo > 0.0) {
        return (1.0, 10.0);
    }
    // The largest 1-2-5 value not above `v`.
    let down = |v: f64| {
        let magnitude = 10f64.powf(v.log10().floor());
        [5.0, 2.0, 1.0]
            .into_iter()
            .map(|m| m * magnitude)
            .find(|&c| c <= v)
            .unwrap_or(magnitude)
    };
    let (lo, hi) = (down(lo * 0.999), nice_step(hi * 1.001));
    if hi > lo { (lo, hi) } else { (lo, lo * 10.0) }
}

impl Figure for LineChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self) -> Result<(), PlotError> {
        for s in &self.series {
            if let Some(band) = &s.band
                && band.len() != s.points.len()
            {
                return Err(PlotError::invalid(
                    &self.title,
                    format!(
                        "series '{}' has {} points but {} band entries",
                        s.label,
                        s.points.len(),
                        band.len()
                    ),
                ));
            }
        }
        if let Some((lo, hi)) = self.y_range {
            let ok = lo.is_finite() && hi.is_finite() && lo < hi && (!self.log_y || lo > 0.0);
            if !ok {
                return Err(PlotError::invalid(
                    &self.title,
                    format!("y range ({lo}, {hi}) is not an increasing range on this axis"),
                ));
            }
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let with_legend = self.series.len() > 1 || self.series.iter().any(|s| s.band.is_some());
        let legend = if with_legend {
            self.series
                .iter()
                .enumerate()
                .map(|(i, s)| LegendEntry {
                    label: s.label.clone(),
                    swatch: match (s.band.is_some(), s.dashed) {
                        (true, _) => Swatch::LineWithBand(series_color(i)),
                        (false, true) => Swatch::Dashed(series_color(i)),
                        (false, false) => Swatch::Line(series_color(i)),
                    },
                })
                .collect()
        } else {
            Vec::new()
        };
        let empty = !self
            .series
            .iter()
            .flat_map(|s| &s.points)
            .any(|p| self.drawable_x(p.0) && self.drawable(p.1));
        let frame = XyFrame {
            title: &self.title,
            note: None,
            legend,
            x_label: &self.x_label,
            y_label: &self.y_label,
            x: self.x_axis(),
            y: self.y_axis(),
            markers: self.markers.clone(),
            empty,
        };
        frame.draw(root, |chart| self.draw_series(chart))
    }
}

impl LineChart {
    fn draw_series<DB: DrawingBackend>(
        &self,
        chart: &mut XyChart<'_, DB>,
    ) -> Result<(), PlotError> {
        // Bands first, so no band hides another series' line.
        for (i, s) in self.series.iter().enumerate() {
            let Some(band) = &s.band else { continue };
            let color = series_color(i).mix(style::BAND_ALPHA).filled();
            let ok = |j: usize| {
                let (x, (l, h)) = (s.points[j].0, band[j]);
                self.drawable_x(x) && self.drawable(l) && self.drawable(h)
            };
            for run in runs(s.points.len(), ok) {
                let upper = run
                    .clone()
                    .map(|j| (s.points[j].0, band[j].0.max(band[j].1)));
                let lower = run.rev().map(|j| (s.points[j].0, band[j].0.min(band[j].1)));
                let outline: Vec<(f64, f64)> = upper.chain(lower).collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(outline, color)))
                    .map_err(draw_err)?;
            }
        }
        for (i, s) in self.series.iter().enumerate() {
            let color = series_color(i);
            let width = if s.width == 0 { 2 } else { s.width };
            let ok = |j: usize| self.drawable_x(s.points[j].0) && self.drawable(s.points[j].1);
            for run in runs(s.points.len(), ok) {
                if run.len() == 1 {
                    let p = s.points[run.start];
                    chart
                        .draw_series(std::iter::once(Circle::new(p, 3, color.filled())))
                        .map_err(draw_err)?;
                    continue;
                }
                let line = run.map(|j| s.points[j]);
                let stroke = color.stroke_width(width);
                if s.dashed {
                    let dash = 4 * width;
                    chart
                        .draw_series(DashedLineSeries::new(line, dash, dash, stroke))
                        .map_err(draw_err)?;
                } else {
                    chart
                        .draw_series(LineSeries::new(line, stroke))
                        .map_err(draw_err)?;
                }
            }
        }
        Ok(())
    }
}

/// The maximal runs of consecutive indices in `0..n` where `ok` holds.
fn runs(n: usize, ok: impl Fn(usize) -> bool) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for j in 0..=n {
        match (start, j < n && ok(j)) {
            (None, true) => start = Some(j),
            (Some(s), false) => {
                out.push(s..j);
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_hold_each_value_over_its_bin() {
        let s = Series::steps("x", &[0.0, 10.0], 10.0, &[1.0, 2.0]);
        assert_eq!(
            s.points,
            vec![(0.0, 1.0), (10.0, 1.0), (10.0, 2.0), (20.0, 2.0)]
        );
        let s = s.with_step_band(&[0.0, 10.0], 10.0, &[(0.5, 1.5), (1.0, 3.0)]);
        assert_eq!(
            s.band.unwrap(),
            vec![(0.5, 1.5), (0.5, 1.5), (1.0, 3.0), (1.0, 3.0)]
        );
    }

    #[test]
    fn runs_split_at_gaps() {
        let v = [1.0, f64::NAN, 2.0, 3.0, f64::NAN];
        assert_eq!(runs(v.len(), |j| v[j].is_finite()), vec![0..1, 2..4]);
        assert!(runs(0, |_| true).is_empty());
    }

    #[test]
    fn ranges_are_padded_and_start_at_zero_when_near() {
        assert_eq!(linear_range(1.0, 10.0), (0.0, 10.45));
        let (lo, hi) = linear_range(0.9, 1.0);
        assert!(lo < 0.9 && lo > 0.89 && hi > 1.0);
        assert_eq!(linear_range(f64::INFINITY, f64::NEG_INFINITY), (0.0, 1.0));
        assert_eq!(log_range(3.0, 700.0), (2.0, 1000.0));
        assert_eq!(log_range(10.0, 10.0), (5.0, 20.0));
    }
}
