//! Histograms of a sample, e.g. "downtime minutes per year across trials",
//! with optional lines at the mean and at chosen quantiles.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::{Axis, nice_step};
use super::frame::{XyChart, XyFrame, x_axis};
use super::style::{format_significant, series_color};
use super::{ChartFiles, Figure, Marker, MarkerKind, PlotError, draw_err, render};
use crate::report::output::OutputDir;

/// A histogram of one sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistogramChart {
    /// The title, e.g. `"Downtime per year across 1000 trials"`.
    pub title: String,
    /// The x axis label with its unit, e.g. `"downtime [min/year]"`.
    pub x_label: String,
    /// The y axis label, e.g. `"trials"`.
    pub y_label: String,
    /// The sample; non-finite values are skipped.
    pub samples: Vec<f64>,
    /// How to bin the sample.
    pub bins: Bins,
    /// Draw a line at the sample mean.
    pub show_mean: bool,
    /// Draw a line at each of these quantiles, in `[0, 1]`
    /// (`0.5` and `0.99` are labelled `p50` and `p99`).
    pub quantiles: Vec<f64>,
}

/// How a [`HistogramChart`] bins its sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Bins {
    /// Freedman–Diaconis width (Sturges when the quartiles coincide),
    /// rounded to a 1-2-5 step, about 60 bins at most.
    #[default]
    Auto,
    /// This many equal-width bins from the sample minimum to its maximum.
    Count(usize),
    /// These bin edges, strictly increasing; samples outside are left out
    /// and counted in the note at the top right.
    Edges(Vec<f64>),
}

/// Draw `chart` into `out` as `<stem>.png` and `<stem>.svg`.
///
/// With no finite sample the chart shows its frame and a "no data" note.
/// Errors: `Bins::Count(0)`, fewer than two edges or edges not strictly
/// increasing, a quantile outside `[0, 1]`.
pub fn histogram_chart(
    out: &OutputDir,
    stem: &str,
    chart: &HistogramChart,
) -> Result<ChartFiles, PlotError> {
    render(out, stem, chart)
}

/// Most bins `Bins::Auto` makes.
const MAX_AUTO_BINS: usize = 60;

/// The bin edges and counts of `sorted` (finite, ascending, non-empty),
/// and how many samples fell outside the edges.
fn bin(sorted: &[f64], bins: &Bins) -> (Vec<f64>, Vec<u64>, usize) {
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let edges = match bins {
        Bins::Edges(edges) => edges.clone(),
        _ if min == max => vec![min - 0.5, max + 0.5],
        Bins::Count(n) => {
            let w = (max - min) / *n as f64;
            let mut edges: Vec<f64> = (0..=*n).map(|i| min + i as f64 * w).collect();
            // Rounding must not leave the maximum outside.
            edges[*n] = max;
            edges
        }
        Bins::Auto => {
            let n = sorted.len() as f64;
            let iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
            let count = if iqr > 0.0 {
                ((max - min) / (2.0 * iqr / n.cbrt())).ceil()
            } else {
                n.log2().ceil() + 1.0
            };
            let width = nice_step((max - min) / count.clamp(1.0, MAX_AUTO_BINS as f64));
            let start = (min / width).floor() * width;
            // One more edge than bins; the maximum lands inside the last bin.
            let bins = ((max - start) / width).floor() as usize + 1;
            (0..=bins).map(|i| start + i as f64 * width).collect()
        }
    };
    let bins = edges.len() - 1;
    let mut counts = vec![0u64; bins];
    let mut outside = 0;
    let last = edges[edges.len() - 1];
    for &v in sorted {
        if v < edges[0] || v > last {
            outside += 1;
            continue;
        }
        // The bin whose left edge is the last one <= v; the top edge
        // belongs to the last bin.
        let i = edges.partition_point(|&e| e <= v).saturating_sub(1);
        counts[i.min(bins - 1)] += 1;
    }
    (edges, counts, outside)
}

/// The `q` quantile of `sorted` (ascending, non-empty), interpolating
/// linearly between order statistics (Hyndman–Fan type 7).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// `0.99` → `p99`, `0.999` → `p99.9`.
fn quantile_name(q: f64) -> String {
    let pct = format_significant(q * 100.0);
    format!("p{pct}")
}

impl Figure for HistogramChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self) -> Result<(), PlotError> {
        match &self.bins {
            Bins::Count(0) => return Err(PlotError::invalid(&self.title, "zero bins")),
            Bins::Edges(e)
                if e.len() < 2
                    || e.iter().any(|v| !v.is_finite())
                    || e.windows(2).any(|w| w[0] >= w[1]) =>
            {
                return Err(PlotError::invalid(
                    &self.title,
                    "bin edges must be two or more finite values, strictly increasing",
                ));
            }
            _ => {}
        }
        if let Some(q) = self.quantiles.iter().find(|q| !(0.0..=1.0).contains(*q)) {
            return Err(PlotError::invalid(
                &self.title,
                format!("quantile {q} is outside [0, 1]"),
            ));
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let mut sorted: Vec<f64> = self
            .samples
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        sorted.sort_by(f64::total_cmp);
        let (edges, counts, outside) = if sorted.is_empty() {
            (Vec::new(), Vec::new(), 0)
        } else {
            bin(&sorted, &self.bins)
        };

        let mut markers = Vec::new();
        if !sorted.is_empty() {
            if self.show_mean {
                let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
                markers.push(Marker::new(
                    mean,
                    format!("mean {}", format_significant(mean)),
                    MarkerKind::Note,
                ));
            }
            for &q in &self.quantiles {
                let v = quantile(&sorted, q);
                let label = format!("{} {}", quantile_name(q), format_significant(v));
                markers.push(Marker::new(v, label, MarkerKind::Note));
            }
        }

        let mut note = format!("n = {}", sorted.len());
        if outside > 0 {
            note.push_str(&format!(", {outside} outside the bins"));
        }
        let x = match (edges.first(), edges.last()) {
            (Some(&lo), Some(&hi)) => x_axis(lo, hi),
            _ => x_axis(f64::NAN, f64::NAN),
        };
        let max_count = counts.iter().copied().max().unwrap_or(0) as f64;
        let y_hi = if max_count > 0.0 {
            max_count * 1.08
        } else {
            1.0
        };
        // Counts are whole numbers: never ask for ticks finer than 1.
        let y = Axis::linear(0.0, y_hi, (y_hi.ceil() as usize).clamp(2, 8));
        let frame = XyFrame {
            title: &self.title,
            note: Some(note),
            legend: Vec::new(),
            x_label: &self.x_label,
            y_label: &self.y_label,
            x,
            y,
            markers,
            empty: sorted.is_empty(),
        };
        frame.draw(root, |chart| draw_bins(chart, &edges, &counts))
    }
}

fn draw_bins<DB: DrawingBackend>(
    chart: &mut XyChart<'_, DB>,
    edges: &[f64],
    counts: &[u64],
) -> Result<(), PlotError> {
    let fill = series_color(0);
    let bars = edges.windows(2).zip(counts).filter(|(_, c)| **c > 0);
    for (w, &c) in bars {
        let corners = [(w[0], 0.0), (w[1], c as f64)];
        chart
            .draw_series([
                Rectangle::new(corners, fill.filled()),
                Rectangle::new(corners, WHITE.stroke_width(1)),
            ])
            .map_err(draw_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&s, 0.0), 1.0);
        assert_eq!(quantile(&s, 0.5), 2.5);
        assert_eq!(quantile(&s, 1.0), 4.0);
        assert_eq!(quantile_name(0.5), "p50");
        assert_eq!(quantile_name(0.999), "p99.9");
    }

    #[test]
    fn auto_bins_hold_every_sample() {
        let s: Vec<f64> = (0..1000).map(|i| f64::from(i) * 0.37).collect();
        let (edges, counts, outside) = bin(&s, &Bins::Auto);
        assert_eq!(outside, 0);
        assert_eq!(counts.iter().sum::<u64>(), 1000);
        assert!(counts.len() <= MAX_AUTO_BINS + 1);
        assert!(edges[0] <= s[0] && *edges.last().unwrap() >= s[999]);
    }

    #[test]
    fn constant_sample_gets_one_bin() {
        let (edges, counts, _) = bin(&[0.0, 0.0, 0.0], &Bins::Auto);
        assert_eq!(edges, vec![-0.5, 0.5]);
        assert_eq!(counts, vec![3]);
    }

    #[test]
    fn explicit_edges_count_outsiders() {
        let s = [-1.0, 0.0, 0.5, 1.0, 2.0, 9.0];
        let (_, counts, outside) = bin(&s, &Bins::Edges(vec![0.0, 1.0, 2.0]));
        assert_eq!(counts, vec![2, 2]);
        assert_eq!(outside, 2);
        let (_, counts, _) = bin(&s[1..5], &Bins::Count(2));
        assert_eq!(counts, vec![2, 2]);
    }
}
