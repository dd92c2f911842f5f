//! The parts every chart shares: background, title, legend row, the strip
//! of marker labels above the plot, the axes and grid, the "no data" note.
//!
//! Layout, top to bottom: title row, legend rows, marker-label rows, then
//! the plot with its axes. Legend and marker labels sit outside the plot so
//! they never hide data.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Axis;
use super::style::{self, text};
use super::{Marker, MarkerKind, PlotError, draw_err};

pub(super) const MARGIN_LEFT: i32 = 16;
pub(super) const MARGIN_RIGHT: i32 = 32;
const TOP: i32 = 14;
const TITLE_ROW: i32 = 40;
const LEGEND_ROW: i32 = 24;
const MARKER_ROW: i32 = 20;
/// Most rows of marker labels; further labels share the least busy row.
const MAX_MARKER_ROWS: usize = 6;
pub(super) const X_LABEL_AREA: i32 = 50;
const SWATCH_W: i32 = 26;

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy)]
pub(super) enum Swatch {
    /// A line of the colour.
    Line(RGBColor),
    /// A dashed line of the colour.
    Dashed(RGBColor),
    /// A line over a translucent band.
    LineWithBand(RGBColor),
    /// A filled box.
    Fill(RGBColor),
}

/// One entry of the legend row.
#[derive(Debug, Clone)]
pub(super) struct LegendEntry {
    pub label: String,
    pub swatch: Swatch,
}

/// Everything around the data of an x/y chart.
pub(super) struct XyFrame<'a> {
    pub title: &'a str,
    /// Muted text at the right of the title row, e.g. `n = 1000`.
    pub note: Option<String>,
    pub legend: Vec<LegendEntry>,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub x: Axis,
    pub y: Axis,
    pub markers: Vec<Marker>,
    /// Draw a "no data" note in the middle of the plot.
    pub empty: bool,
}

/// The plotters chart type every x/y chart uses.
pub(super) type XyChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

impl XyFrame<'_> {
    /// Draw the frame, let `body` draw the data, then the markers on top.
    pub fn draw<DB, F>(&self, root: &DrawingArea<DB, Shift>, body: F) -> Result<(), PlotError>
    where
        DB: DrawingBackend,
        F: FnOnce(&mut XyChart<'_, DB>) -> Result<(), PlotError>,
    {
        let y_area = y_label_area(root, &self.y.tick_labels(), self.y_label)?;
        let (width, _) = root.dim_in_pixel();
        let plot_px = (MARGIN_LEFT + y_area, width as i32 - MARGIN_RIGHT);
        // Markers outside the x range take no label row.
        let (xlo, xhi) = (self.x.lo.min(self.x.hi), self.x.lo.max(self.x.hi));
        let markers: Vec<Marker> = (self.markers.iter())
            .filter(|m| m.x >= xlo && m.x <= xhi)
            .cloned()
            .collect();
        let slots = place_labels(root, &markers, &self.x, plot_px)?;
        let row_count = slots.iter().map(|s| s.row + 1).max().unwrap_or(0) as i32;

        // The marker-label strip starts where the header ends.
        let strip_top = header(root, self.title, self.note.as_deref(), &self.legend)?;
        let area = root.margin(strip_top + row_count * MARKER_ROW, 0, 0, 0);
        let mut chart = ChartBuilder::on(&area)
            .margin_left(MARGIN_LEFT)
            .margin_right(MARGIN_RIGHT)
            .margin_top(4)
            .margin_bottom(6)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(y_area)
            .build_cartesian_2d(self.x, self.y)
            .map_err(draw_err)?;
        draw_mesh(&mut chart, self.x_label, self.y_label, (false, true))?;
        body(&mut chart)?;
        // Thin dashed marker lines on top, so filled areas cannot hide them.
        draw_markers(root, &mut chart, &markers, &slots, strip_top)?;
        if self.empty {
            no_data(root, chart.plotting_area().get_pixel_range())?;
        }
        Ok(())
    }
}

/// Fill the background and draw the title row and the legend rows; return
/// the y where the next part starts.
pub(super) fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    note: Option<&str>,
    legend: &[LegendEntry],
) -> Result<i32, PlotError> {
    root.fill(&WHITE).map_err(draw_err)?;
    let (width, _) = root.dim_in_pixel();
    let right = width as i32 - MARGIN_RIGHT;
    root.draw_text(
        title,
        &text(style::TITLE_SIZE, style::INK),
        (MARGIN_LEFT, TOP),
    )
    .map_err(draw_err)?;
    if let Some(note) = note {
        let style = text(style::SMALL_SIZE, style::MUTED).pos(Pos::new(HPos::Right, VPos::Top));
        root.draw_text(note, &style, (right, TOP + 8))
            .map_err(draw_err)?;
    }
    let mut y = TOP + TITLE_ROW;
    if legend.is_empty() {
        return Ok(y + 4);
    }
    let label_style = text(style::TICK_SIZE, style::INK);
    let mut x = MARGIN_LEFT;
    for entry in legend {
        let (w, _) = root
            .estimate_text_size(&entry.label, &label_style)
            .map_err(draw_err)?;
        let entry_w = SWATCH_W + 8 + w as i32 + 24;
        if x > MARGIN_LEFT && x + entry_w > right {
            x = MARGIN_LEFT;
            y += LEGEND_ROW;
        }
        draw_swatch(root, entry.swatch, (x, y + 2))?;
        root.draw_text(&entry.label, &label_style, (x + SWATCH_W + 8, y))
            .map_err(draw_err)?;
        x += entry_w;
    }
    Ok(y + LEGEND_ROW + 6)
}

fn draw_swatch<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    (x, y): (i32, i32),
) -> Result<(), PlotError> {
    let (top, bottom, mid) = (y, y + 12, y + 6);
    let line = |color: RGBColor| {
        PathElement::new(vec![(x, mid), (x + SWATCH_W, mid)], color.stroke_width(3))
    };
    match swatch {
        Swatch::Line(c) => root.draw(&line(c)),
        Swatch::Dashed(c) => {
            [(0, 7), (10, 17), (20, SWATCH_W)]
                .into_iter()
                .try_for_each(|(a, b)| {
                    root.draw(&PathElement::new(
                        vec![(x + a, mid), (x + b, mid)],
                        c.stroke_width(3),
                    ))
                })
        }
        Swatch::LineWithBand(c) => root
            .draw(&Rectangle::new(
                [(x, top), (x + SWATCH_W, bottom)],
                c.mix(style::BAND_ALPHA).filled(),
            ))
            .and_then(|()| root.draw(&line(c))),
        Swatch::Fill(c) => root.draw(&Rectangle::new(
            [(x + 4, top), (x + SWATCH_W - 4, bottom)],
            c.filled(),
        )),
    }
    .map_err(draw_err)
}

/// The width of the y label area [px]: the widest tick label plus room for
/// the rotated axis label.
pub(super) fn y_label_area<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tick_labels: &[String],
    y_label: &str,
) -> Result<i32, PlotError> {
    let style = text(style::TICK_SIZE, style::MUTED);
    let mut widest = 0;
    for label in tick_labels {
        let (w, _) = root.estimate_text_size(label, &style).map_err(draw_err)?;
        widest = widest.max(w as i32);
    }
    let desc = if y_label.is_empty() {
        0
    } else {
        style::LABEL_SIZE as i32 + 16
    };
    Ok(widest + 16 + desc)
}

/// Grid, axes, tick labels and axis labels in the house style; the flags
/// turn on grid lines at the x ticks (vertical) and the y ticks
/// (horizontal).
pub(super) fn draw_mesh<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x_label: &str,
    y_label: &str,
    (x_grid, y_grid): (bool, bool),
) -> Result<(), PlotError>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(style::AXIS.stroke_width(1))
        .set_all_tick_mark_size(4)
        .label_style(text(style::TICK_SIZE, style::MUTED))
        .axis_desc_style(text(style::LABEL_SIZE, style::INK))
        .x_labels(10)
        .y_labels(8)
        .x_desc(x_label)
        .y_desc(y_label);
    if !x_grid {
        mesh.disable_x_mesh();
    }
    if !y_grid {
        mesh.disable_y_mesh();
    }
    mesh.draw().map_err(draw_err)
}

fn marker_color(kind: MarkerKind) -> RGBColor {
    match kind {
        MarkerKind::Fault => style::FAULT,
        MarkerKind::Action => style::ACTION,
        MarkerKind::Note => style::NOTE,
    }
}

/// Where a marker's label goes: its left edge and width [px], flipped to
/// the left of the line when it would run past the plot.
fn label_span(px: i32, w: i32, plot_right: i32) -> (i32, i32) {
    if px + 4 + w > plot_right + MARGIN_RIGHT - 4 {
        (px - 4 - w, w)
    } else {
        (px + 4, w)
    }
}

/// Where a marker's label goes: a row of the strip, and its left edge
/// relative to the marker line [px].
#[derive(Debug, Clone, Copy)]
struct Slot {
    row: usize,
    offset: i32,
}

/// Place each marker's label so labels in one row do not overlap. When
/// every row is taken, the label goes into the row that frees up first,
/// pushed right of its neighbour.
fn place_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    markers: &[Marker],
    x: &Axis,
    (left, right): (i32, i32),
) -> Result<Vec<Slot>, PlotError> {
    let style = text(style::SMALL_SIZE, style::INK);
    let mut order: Vec<usize> = (0..markers.len()).collect();
    order.sort_by(|&a, &b| markers[a].x.total_cmp(&markers[b].x));
    // Right edge of the last label in each row.
    let mut ends: Vec<i32> = Vec::new();
    let mut slots = vec![Slot { row: 0, offset: 4 }; markers.len()];
    for i in order {
        let (w, _) = root
            .estimate_text_size(&markers[i].label, &style)
            .map_err(draw_err)?;
        let px = x.map(&markers[i].x, (left, right));
        let (mut start, w) = label_span(px, w as i32, right);
        let row = match ends.iter().position(|&end| end + 8 <= start) {
            Some(r) => r,
            None if ends.len() < MAX_MARKER_ROWS => {
                ends.push(i32::MIN);
                ends.len() - 1
            }
            None => {
                let r = (0..ends.len()).min_by_key(|&r| ends[r]).unwrap_or(0);
                start = start.max(ends[r] + 8);
                r
            }
        };
        ends[row] = start + w;
        slots[i] = Slot {
            row,
            offset: start - px,
        };
    }
    Ok(slots)
}

/// Dashed vertical lines through the plot, labels in the strip above it.
fn draw_markers<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut XyChart<'_, DB>,
    markers: &[Marker],
    slots: &[Slot],
    strip_top: i32,
) -> Result<(), PlotError> {
    let (_, y_px) = chart.plotting_area().get_pixel_range();
    let (ylo, yhi) = (chart.y_range().start, chart.y_range().end);
    let mut labels = Vec::new();
    for (marker, slot) in markers.iter().zip(slots) {
        let color = marker_color(marker.kind);
        chart
            .draw_series(DashedLineSeries::new(
                [(marker.x, ylo), (marker.x, yhi)],
                5,
                4,
                color.mix(0.9).stroke_width(1),
            ))
            .map_err(draw_err)?;
        let px = chart.backend_coord(&(marker.x, ylo)).0;
        let label_y = strip_top + slot.row as i32 * MARKER_ROW;
        // A thin stem from the label row down to the plot.
        root.draw(&PathElement::new(
            vec![(px, label_y + 2), (px, y_px.start)],
            color.mix(0.6).stroke_width(1),
        ))
        .map_err(draw_err)?;
        labels.push((marker, color, (px + slot.offset, label_y)));
    }
    // Labels last, on a white box, so other markers' stems pass behind them.
    for (marker, color, (x, y)) in labels {
        let style = text(style::SMALL_SIZE, color);
        let (w, h) = root
            .estimate_text_size(&marker.label, &style)
            .map_err(draw_err)?;
        root.draw(&Rectangle::new(
            [(x - 2, y), (x + w as i32 + 2, y + h as i32 + 3)],
            WHITE.filled(),
        ))
        .map_err(draw_err)?;
        root.draw_text(&marker.label, &style, (x, y))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// A centred "no data" note over the plot.
pub(super) fn no_data<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (std::ops::Range<i32>, std::ops::Range<i32>),
) -> Result<(), PlotError> {
    let style = text(style::LABEL_SIZE, style::MUTED).pos(Pos::new(HPos::Center, VPos::Center));
    root.draw_text(
        "no data",
        &style,
        ((x.start + x.end) / 2, (y.start + y.end) / 2),
    )
    .map_err(draw_err)
}

/// A linear x axis over the data, or `[0, 1]` without data.
pub(super) fn x_axis(lo: f64, hi: f64) -> Axis {
    let (lo, hi) = match (lo.is_finite(), hi.is_finite()) {
        (true, true) if hi > lo => (lo, hi),
        (true, true) => (lo - 0.5, lo + 0.5),
        _ => (0.0, 1.0),
    };
    Axis::linear(lo, hi, 10)
}
