//! Horizontal bar charts with value labels, e.g. "downtime minutes per year
//! by component", optionally with an interval whisker per bar.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{Axis, CategoryAxis};
use super::frame::{MARGIN_LEFT, MARGIN_RIGHT, X_LABEL_AREA, draw_mesh, header, no_data};
use super::style::{self, format_significant, series_color, text};
use super::{ChartFiles, Figure, PlotError, draw_err, render};
use crate::report::output::OutputDir;

/// A horizontal bar chart; bars are drawn top to bottom in the given order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarChart {
    /// The title, e.g. `"Downtime by component"`.
    pub title: String,
    /// The value axis label with its unit, e.g. `"downtime [min/year]"`.
    pub x_label: String,
    /// The category axis label; empty for none.
    pub y_label: String,
    /// The bars; sort them before passing if order matters.
    pub bars: Vec<Bar>,
    /// A short note at the top right, e.g. `"whiskers: 95% interval"`.
    pub note: Option<String>,
}

/// One bar of a [`BarChart`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bar {
    /// The category, e.g. `"db-primary"`.
    pub label: String,
    /// The bar length, finite and `>= 0`.
    pub value: f64,
    /// An interval `(low, high)` drawn as a whisker, e.g. a 95% interval.
    pub interval: Option<(f64, f64)>,
}

impl Bar {
    /// A bar without an interval.
    pub fn new(label: impl Into<String>, value: f64) -> Self {
        Bar {
            label: label.into(),
            value,
            interval: None,
        }
    }

    /// The same bar with an interval whisker.
    pub fn with_interval(mut self, low: f64, high: f64) -> Self {
        self.interval = Some((low, high));
        self
    }
}

/// Draw `chart` into `out` as `<stem>.png` and `<stem>.svg`.
///
/// The canvas grows taller than 600 px beyond about 14 bars. With no bars
/// the chart shows its frame and a "no data" note. Errors: a value or
/// interval bound that is negative or not finite.
pub fn bar_chart(out: &OutputDir, stem: &str, chart: &BarChart) -> Result<ChartFiles, PlotError> {
    render(out, stem, chart)
}

/// Height of one bar row [px] when the canvas has to grow.
const ROW: u32 = 34;

impl Figure for BarChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn size(&self) -> (u32, u32) {
        let rows = u32::try_from(self.bars.len()).unwrap_or(u32::MAX);
        (
            style::WIDTH,
            style::HEIGHT.max(rows.saturating_mul(ROW).saturating_add(140)),
        )
    }

    fn validate(&self) -> Result<(), PlotError> {
        for bar in &self.bars {
            let (lo, hi) = bar.interval.unwrap_or((bar.value, bar.value));
            if [bar.value, lo, hi]
                .iter()
                .any(|v| !(v.is_finite() && *v >= 0.0))
            {
                return Err(PlotError::invalid(
                    &self.title,
                    format!("bar '{}' needs finite values >= 0", bar.label),
                ));
            }
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let top = header(root, &self.title, self.note.as_deref(), &[])?;
        let tick_style = text(style::TICK_SIZE, style::INK);
        let value_style = text(style::SMALL_SIZE, style::INK);
        let mut widest_category = 0;
        let mut widest_value = 0;
        for bar in &self.bars {
            let (w, _) = root
                .estimate_text_size(&bar.label, &tick_style)
                .map_err(draw_err)?;
            widest_category = widest_category.max(w as i32);
            let (w, _) = root
                .estimate_text_size(&format_significant(bar.value), &value_style)
                .map_err(draw_err)?;
            widest_value = widest_value.max(w as i32);
        }
        let desc = if self.y_label.is_empty() {
            0
        } else {
            style::LABEL_SIZE as i32 + 16
        };
        let y_area = widest_category + 16 + desc;

        // Leave room right of the longest bar for its value label.
        let (width, _) = root.dim_in_pixel();
        let plot_w = f64::from(width as i32 - MARGIN_LEFT - MARGIN_RIGHT - y_area);
        let data_max = self
            .bars
            .iter()
            .map(|b| b.interval.map_or(b.value, |(l, h)| b.value.max(l).max(h)))
            .fold(0.0, f64::max);
        let room = (plot_w / (plot_w - f64::from(widest_value) - 14.0).max(plot_w * 0.5)).max(1.05);
        let hi = if data_max > 0.0 { data_max * room } else { 1.0 };

        let area = root.margin(top, 0, 0, 0);
        let categories = CategoryAxis {
            labels: self.bars.iter().map(|b| b.label.clone()).collect(),
        };
        let mut chart = ChartBuilder::on(&area)
            .margin_left(MARGIN_LEFT)
            .margin_right(MARGIN_RIGHT)
            .margin_top(4)
            .margin_bottom(6)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(y_area)
            .build_cartesian_2d(Axis::linear(0.0, hi, 8), categories)
            .map_err(draw_err)?;
        draw_mesh(&mut chart, &self.x_label, &self.y_label, (true, false))?;

        let fill = series_color(0);
        let whisker = style::INK.stroke_width(2);
        let label_style = value_style.pos(Pos::new(HPos::Left, VPos::Center));
        for (i, bar) in self.bars.iter().enumerate() {
            let y = i as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - 0.32), (bar.value, y + 0.32)],
                    fill.filled(),
                )))
                .map_err(draw_err)?;
            let mut end = bar.value;
            if let Some((lo, hi)) = bar.interval {
                let (lo, hi) = (lo.min(hi), lo.max(hi));
                let lines = [
                    vec![(lo, y), (hi, y)],
                    vec![(lo, y - 0.14), (lo, y + 0.14)],
                    vec![(hi, y - 0.14), (hi, y + 0.14)],
                ];
                chart
                    .draw_series(lines.into_iter().map(|l| PathElement::new(l, whisker)))
                    .map_err(draw_err)?;
                end = end.max(hi);
            }
            let label = EmptyElement::at((end, y))
                + Text::new(format_significant(bar.value), (6, 0), label_style.clone());
            chart
                .draw_series(std::iter::once(label))
                .map_err(draw_err)?;
        }
        if self.bars.is_empty() {
            no_data(root, chart.plotting_area().get_pixel_range())?;
        }
        Ok(())
    }
}
