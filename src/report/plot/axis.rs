//! Axes with tick positions and labels we control: "nice" 1-2-5 ticks on a
//! linear scale, decades (or 1-2-5 within a decade) on a log scale, and
//! named categories for bar charts. plotters' own log axis puts no tick at
//! all on a range inside one decade, hence these.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use super::style::format_number;

/// A numeric axis over `[lo, hi]`, linear or logarithmic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    /// How many labelled ticks to aim for.
    pub ticks: usize,
}

impl Axis {
    pub fn linear(lo: f64, hi: f64, ticks: usize) -> Self {
        Axis {
            lo,
            hi,
            log: false,
            ticks,
        }
    }

    /// The labelled tick positions.
    pub fn tick_values(&self) -> Vec<f64> {
        if self.log {
            log_ticks(self.lo, self.hi, self.ticks)
        } else {
            linear_ticks(self.lo, self.hi, self.ticks).0
        }
    }

    /// The labels of [`Axis::tick_values`].
    pub fn tick_labels(&self) -> Vec<String> {
        self.tick_values()
            .iter()
            .map(|v| self.format_ext(v))
            .collect()
    }

    fn fraction(&self, v: f64) -> f64 {
        if self.log {
            let v = v.max(self.lo.min(self.hi));
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = self.fraction(*value);
        let px = f64::from(limit.0) + f * f64::from(limit.1 - limit.0);
        // Keep far-off values finite; plotters clips to the plotting area.
        px.round().clamp(-1e6, 1e6) as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // Light (unlabelled) grid lines are disabled, so every key point is
        // a labelled tick.
        if hint.max_num_points() == 0 {
            return Vec::new();
        }
        self.tick_values()
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Axis {
    fn format_ext(&self, value: &f64) -> String {
        if self.log {
            let decimals = (-value.abs().log10().floor()).max(0.0) as usize;
            format_number(*value, decimals)
        } else {
            format_number(*value, linear_ticks(self.lo, self.hi, self.ticks).1)
        }
    }
}

/// A step of 1, 2 or 5 times a power of ten, near `raw`.
pub(super) fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// Ticks on a 1-2-5 step with at most about `target` of them, and the
/// number of decimals their labels need.
fn linear_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, usize) {
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 {
        return (vec![lo], 0);
    }
    let step = nice_step(span / target.max(2) as f64);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    // Multiply rather than accumulate, so 0.1 + 0.2 never shows up.
    let ticks = (first..=last).map(|k| k as f64 * step).collect();
    let decimals = (-(step.log10() + 1e-9).floor()).max(0.0) as usize;
    (ticks, decimals)
}

/// Ticks for a log axis: decades if the range holds three or more, else
/// 1-2-5 multiples, else linear ticks.
fn log_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (lo_exp, hi_exp) = (lo.log10().ceil() as i32, hi.log10().floor() as i32);
    let decades: Vec<f64> = (lo_exp..=hi_exp).map(|e| 10f64.powi(e)).collect();
    if decades.len() >= 3 {
        let stride = decades.len().div_ceil(target.max(2));
        return decades.into_iter().step_by(stride).collect();
    }
    let mut ticks = Vec::new();
    for e in (lo_exp - 1)..=(hi_exp + 1) {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(e);
            if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                ticks.push(v);
            }
        }
    }
    if ticks.len() >= 3 {
        ticks
    } else {
        linear_ticks(lo, hi, target.min(5)).0
    }
}

/// Named categories at 0, 1, 2, … from top to bottom (for horizontal bars).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CategoryAxis {
    pub labels: Vec<String>,
}

impl Ranged for CategoryAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        // Category 0 sits at the top: `limit` runs from bottom to top, so
        // measure from its far end.
        let n = self.labels.len().max(1) as f64;
        let f = (value + 0.5) / n;
        (f64::from(limit.1) - f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            return Vec::new();
        }
        (0..self.labels.len()).map(|i| i as f64).collect()
    }

    fn range(&self) -> Range<f64> {
        -0.5..self.labels.len() as f64 - 0.5
    }
}

impl ValueFormatter<f64> for CategoryAxis {
    fn format_ext(&self, value: &f64) -> String {
        let i = value.round();
        if i >= 0.0 {
            self.labels.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_nice() {
        assert_eq!(
            linear_ticks(0.0, 1.0, 6),
            (vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0], 1)
        );
        let (t, d) = linear_ticks(0.95, 1.0, 6);
        assert_eq!(d, 2);
        assert_eq!(t.len(), 6);
        let (t, d) = linear_ticks(0.0, 523.0, 6);
        assert_eq!(t, vec![0.0, 100.0, 200.0, 300.0, 400.0, 500.0]);
        assert_eq!(d, 0);
    }

    #[test]
    fn log_ticks_cover_short_and_long_ranges() {
        assert_eq!(log_ticks(1.0, 1000.0, 6), vec![1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(log_ticks(15.0, 90.0, 6), vec![20.0, 40.0, 60.0, 80.0]);
        assert_eq!(
            log_ticks(5.0, 200.0, 6),
            vec![5.0, 10.0, 20.0, 50.0, 100.0, 200.0]
        );
        assert_eq!(log_ticks(1.0, 1e12, 6), vec![1.0, 1e3, 1e6, 1e9, 1e12]);
        assert!(!log_ticks(31.0, 39.0, 6).is_empty());
    }

    #[test]
    fn log_labels_keep_small_values() {
        let axis = Axis {
            lo: 0.001,
            hi: 10.0,
            log: true,
            ticks: 6,
        };
        assert_eq!(axis.tick_labels(), vec!["0.001", "0.01", "0.1", "1", "10"]);
    }

    #[test]
    fn categories_run_top_to_bottom() {
        let axis = CategoryAxis {
            labels: vec!["a".into(), "b".into()],
        };
        // Pixel range as plotters passes it for a y axis: bottom to top.
        let (bottom, top) = (400, 0);
        assert_eq!(axis.map(&0.0, (bottom, top)), 100);
        assert_eq!(axis.map(&1.0, (bottom, top)), 300);
    }
}
