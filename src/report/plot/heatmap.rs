//! Heat maps over a grid of two categorical axes, e.g. "SLO margin by
//! request rate and replicas": a coloured, labelled box per cell.
//!
//! Colours diverge: one hue for good cells, another for bad ones, a neutral
//! grey for undecided ones, deeper the larger the cell's strength. Every
//! cell also carries a text label, so colour is never the only cue.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::CategoryAxis;
use super::frame::{
    LegendEntry, MARGIN_LEFT, MARGIN_RIGHT, Swatch, X_LABEL_AREA, draw_mesh, header, no_data,
    y_label_area,
};
use super::glyph::text_width;
use super::style::{self, text};
use super::{ChartFiles, Figure, PlotError, draw_err, render};
use crate::report::output::OutputDir;

/// A heat map: `x_labels` left to right, `y_labels` bottom to top.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeatmapChart {
    /// The title, e.g. `"peak: SLO margin (worst objective: p99)"`.
    pub title: String,
    /// The x axis label with its unit.
    pub x_label: String,
    /// The y axis label with its unit.
    pub y_label: String,
    /// The column labels, left to right.
    pub x_labels: Vec<String>,
    /// The row labels, bottom to top.
    pub y_labels: Vec<String>,
    /// The cells, row by row from the bottom: cell `(i, j)` (column `i`,
    /// row `j`) is `cells[j * x_labels.len() + i]`.
    pub cells: Vec<HeatCell>,
    /// What each tone means, shown as the legend row; empty for none.
    pub legend: Vec<(Tone, String)>,
    /// A short note at the top right.
    pub note: Option<String>,
}

/// Which side of a threshold a cell is on; it picks the cell's hue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tone {
    /// On the good side (blue).
    Good,
    /// On the bad side (orange-red).
    Bad,
    /// Neither, or not known with confidence (grey).
    Neutral,
    /// No value (white with a grey outline).
    #[default]
    Empty,
}

/// One cell of a [`HeatmapChart`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeatCell {
    /// The hue.
    pub tone: Tone,
    /// How deep the colour is, in `[0, 1]` (clamped; NaN counts as 0).
    pub strength: f64,
    /// The text in the cell; `\n` starts a new line.
    pub label: String,
}

/// Draw `chart` into `out` as `<stem>.png` and `<stem>.svg`.
///
/// Errors: a cell count other than columns × rows.
pub fn heatmap_chart(
    out: &OutputDir,
    stem: &str,
    chart: &HeatmapChart,
) -> Result<ChartFiles, PlotError> {
    render(out, stem, chart)
}

/// The full-strength colours; blue and orange stay apart for the common
/// colour-vision deficiencies.
const GOOD: RGBColor = RGBColor(0x2B, 0x6C, 0xB0);
const BAD: RGBColor = RGBColor(0xD9, 0x5F, 0x0E);
const NEUTRAL: RGBColor = RGBColor(0x9A, 0x9A, 0x9A);

/// The fill of a cell: white mixed with its tone's hue, from 25% (strength
/// 0) to 100% (strength 1), so even a tiny margin shows its side.
pub(super) fn cell_color(tone: Tone, strength: f64) -> RGBColor {
    let hue = match tone {
        Tone::Good => GOOD,
        Tone::Bad => BAD,
        Tone::Neutral => NEUTRAL,
        Tone::Empty => return WHITE,
    };
    let s = if strength.is_nan() {
        0.0
    } else {
        strength.clamp(0.0, 1.0)
    };
    let w = 0.25 + 0.75 * s;
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * w).round() as u8;
    RGBColor(mix(hue.0), mix(hue.1), mix(hue.2))
}

/// Dark text on light fills, white text on deep ones.
fn ink_on(fill: RGBColor) -> RGBColor {
    let luma = 0.299 * f64::from(fill.0) + 0.587 * f64::from(fill.1) + 0.114 * f64::from(fill.2);
    if luma < 140.0 { WHITE } else { style::INK }
}

/// The text size and line height [px] of the cell labels: the larger one
/// at which every line fits a cell (labels of at most `rows` lines), else
/// the smaller, else `None` (labels left out). Measured with the
/// embedded font, so the PNG and the SVG agree.
fn label_size(lines: &[&str], rows: usize, (cell_w, cell_h): (i32, i32)) -> Option<(f64, i32)> {
    [(style::LABEL_SIZE, 24), (style::SMALL_SIZE, 20)]
        .into_iter()
        .find(|&(size, line_h)| {
            rows as i32 * line_h <= cell_h - 4
                && (lines.iter()).all(|l| text_width(l, size) <= (cell_w - 8) as f32)
        })
}

impl Figure for HeatmapChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self) -> Result<(), PlotError> {
        let want = self.x_labels.len() * self.y_labels.len();
        if self.cells.len() != want {
            return Err(PlotError::invalid(
                &self.title,
                format!(
                    "{} cells for {} columns × {} rows",
                    self.cells.len(),
                    self.x_labels.len(),
                    self.y_labels.len()
                ),
            ));
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let legend: Vec<LegendEntry> = (self.legend.iter())
            .map(|(tone, label)| LegendEntry {
                label: label.clone(),
                swatch: Swatch::Fill(cell_color(*tone, 0.6)),
            })
            .collect();
        let top = header(root, &self.title, self.note.as_deref(), &legend)?;
        // CategoryAxis puts category 0 at the far end of its pixel range
        // (top for y, right for x): reversed labels put the first value at
        // the bottom left.
        let reversed = |labels: &[String]| CategoryAxis {
            labels: labels.iter().rev().cloned().collect(),
        };
        let (xs, ys) = (reversed(&self.x_labels), reversed(&self.y_labels));
        let y_area = y_label_area(root, &ys.labels, &self.y_label)?;
        let area = root.margin(top, 0, 0, 0);
        let mut chart = ChartBuilder::on(&area)
            .margin_left(MARGIN_LEFT)
            .margin_right(MARGIN_RIGHT)
            .margin_top(4)
            .margin_bottom(6)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(y_area)
            .build_cartesian_2d(xs, ys)
            .map_err(draw_err)?;
        draw_mesh(&mut chart, &self.x_label, &self.y_label, (false, false))?;

        let (nx, ny) = (self.x_labels.len(), self.y_labels.len());
        let (px, py) = chart.plotting_area().get_pixel_range();
        let cell_w = (px.end - px.start) / nx.max(1) as i32;
        let cell_h = (py.end - py.start) / ny.max(1) as i32;
        // One text size for every cell: the larger one if all labels fit.
        let lines: Vec<&str> = self.cells.iter().flat_map(|c| c.label.lines()).collect();
        let rows = (self.cells.iter().map(|c| c.label.lines().count()))
            .max()
            .unwrap_or(0);
        let size = label_size(&lines, rows, (cell_w, cell_h));
        for (k, cell) in self.cells.iter().enumerate() {
            // Category index of column i is nx-1-i after the reversal.
            let x = (nx - 1 - k % nx) as f64;
            let y = (ny - 1 - k / nx) as f64;
            let fill = cell_color(cell.tone, cell.strength);
            let outline = if cell.tone == Tone::Empty {
                style::GRID
            } else {
                WHITE
            };
            chart
                .draw_series([
                    Rectangle::new([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)], fill.filled()),
                    Rectangle::new(
                        [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                        outline.stroke_width(2),
                    ),
                ])
                .map_err(draw_err)?;
            let lines: Vec<&str> = cell.label.lines().collect();
            let Some((size, line_h)) = size else {
                continue;
            };
            let style = text(size, ink_on(fill)).pos(Pos::new(HPos::Center, VPos::Center));
            let first = -(lines.len() as i32 - 1) * line_h / 2;
            let texts = (lines.iter().enumerate()).map(|(n, line)| {
                EmptyElement::at((x, y))
                    + Text::new(
                        line.to_string(),
                        (0, first + n as i32 * line_h),
                        style.clone(),
                    )
            });
            chart.draw_series(texts).map_err(draw_err)?;
        }
        if self.cells.is_empty() {
            no_data(root, chart.plotting_area().get_pixel_range())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tones_diverge_and_deepen_with_strength() {
        let (good, bad) = (cell_color(Tone::Good, 1.0), cell_color(Tone::Bad, 1.0));
        // Good leans blue, bad leans red.
        assert!(good.2 > good.0 && bad.0 > bad.2, "{good:?} {bad:?}");
        let grey = cell_color(Tone::Neutral, 0.5);
        assert!(grey.0 == grey.1 && grey.1 == grey.2, "{grey:?}");
        assert_eq!(cell_color(Tone::Empty, 1.0), WHITE);
        // Deeper is darker; out-of-range strengths are clamped.
        let pale = cell_color(Tone::Good, 0.0);
        assert!(pale.0 > good.0 && pale.0 < 255, "{pale:?}");
        assert_eq!(cell_color(Tone::Bad, 7.0), bad);
        assert_eq!(cell_color(Tone::Bad, f64::NAN), cell_color(Tone::Bad, 0.0));
        assert_eq!(ink_on(good), WHITE);
        assert_eq!(ink_on(pale), style::INK);
    }
}
