//! Stacked area charts, e.g. "errors by cause over time": each layer sits
//! on the ones before it, so the top edge is the total.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::Axis;
use super::frame::{LegendEntry, Swatch, XyChart, XyFrame, x_axis};
use super::line::linear_range;
use super::style::series_color;
use super::{ChartFiles, Figure, Marker, PlotError, draw_err, render};
use crate::report::output::OutputDir;

/// A stacked area chart over a shared x grid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StackedAreaChart {
    /// The title, e.g. `"Errors by cause"`.
    pub title: String,
    /// The x axis label with its unit, e.g. `"time [min]"`.
    pub x_label: String,
    /// The y axis label with its unit, e.g. `"errors [req/s]"`.
    pub y_label: String,
    /// The x positions shared by every layer, increasing.
    pub x: Vec<f64>,
    /// The layers, first at the bottom; each has one value per `x`.
    pub layers: Vec<Layer>,
    /// Vertical markers (faults, containment actions).
    pub markers: Vec<Marker>,
}

/// One layer of a [`StackedAreaChart`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layer {
    /// The legend label, e.g. `"timeout"`.
    pub label: String,
    /// One value `>= 0` per x position; a non-finite value counts as 0.
    pub values: Vec<f64>,
}

impl Layer {
    /// A layer with its values.
    pub fn new(label: impl Into<String>, values: Vec<f64>) -> Self {
        Layer {
            label: label.into(),
            values,
        }
    }
}

/// Draw `chart` into `out` as `<stem>.png` and `<stem>.svg`.
///
/// With no x positions or no layers the chart shows its frame and a
/// "no data" note. Errors: a layer whose length differs from `x`, a
/// non-finite x, or a negative value.
pub fn stacked_area_chart(
    out: &OutputDir,
    stem: &str,
    chart: &StackedAreaChart,
) -> Result<ChartFiles, PlotError> {
    render(out, stem, chart)
}

impl StackedAreaChart {
    /// Cumulative tops: `tops[k][j]` is the sum of layers `0..=k` at `x[j]`.
    fn tops(&self) -> Vec<Vec<f64>> {
        let mut acc = vec![0.0; self.x.len()];
        self.layers
            .iter()
            .map(|layer| {
                for (a, v) in acc.iter_mut().zip(&layer.values) {
                    *a += if v.is_finite() { *v } else { 0.0 };
                }
                acc.clone()
            })
            .collect()
    }
}

impl Figure for StackedAreaChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self) -> Result<(), PlotError> {
        if self.x.iter().any(|x| !x.is_finite()) {
            return Err(PlotError::invalid(
                &self.title,
                "x holds a non-finite value",
            ));
        }
        for layer in &self.layers {
            if layer.values.len() != self.x.len() {
                return Err(PlotError::invalid(
                    &self.title,
                    format!(
                        "layer '{}' has {} values for {} x positions",
                        layer.label,
                        layer.values.len(),
                        self.x.len()
                    ),
                ));
            }
            if let Some(v) = layer.values.iter().find(|v| **v < 0.0) {
                return Err(PlotError::invalid(
                    &self.title,
                    format!("layer '{}' has a negative value {v}", layer.label),
                ));
            }
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let tops = self.tops();
        let total_max = tops
            .last()
            .map(|t| t.iter().copied().fold(0.0, f64::max))
            .unwrap_or(0.0);
        let (_, hi) = linear_range(0.0, if total_max > 0.0 { total_max } else { 1.0 });
        let xs = self.x.iter().chain(self.markers.iter().map(|m| &m.x));
        let (xlo, xhi) = xs
            .filter(|x| x.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        let legend = if self.layers.len() > 1 {
            self.layers
                .iter()
                .enumerate()
                .map(|(i, l)| LegendEntry {
                    label: l.label.clone(),
                    swatch: Swatch::Fill(series_color(i)),
                })
                .collect()
        } else {
            Vec::new()
        };
        let frame = XyFrame {
            title: &self.title,
            note: None,
            legend,
            x_label: &self.x_label,
            y_label: &self.y_label,
            x: x_axis(xlo, xhi),
            y: Axis::linear(0.0, hi, 8),
            markers: self.markers.clone(),
            empty: self.x.is_empty() || self.layers.is_empty(),
        };
        frame.draw(root, |chart| self.draw_layers(chart, &tops))
    }
}

impl StackedAreaChart {
    fn draw_layers<DB: DrawingBackend>(
        &self,
        chart: &mut XyChart<'_, DB>,
        tops: &[Vec<f64>],
    ) -> Result<(), PlotError> {
        let zeros = vec![0.0; self.x.len()];
        for (k, top) in tops.iter().enumerate() {
            let base = if k == 0 { &zeros } else { &tops[k - 1] };
            let color = series_color(k);
            let upper = self.x.iter().zip(top).map(|(&x, &y)| (x, y));
            let lower = self.x.iter().zip(base).rev().map(|(&x, &y)| (x, y));
            let outline: Vec<(f64, f64)> = upper.clone().chain(lower).collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    color.mix(0.85).filled(),
                )))
                .map_err(draw_err)?;
            chart
                .draw_series(LineSeries::new(upper, color.stroke_width(1)))
                .map_err(draw_err)?;
        }
        Ok(())
    }
}
