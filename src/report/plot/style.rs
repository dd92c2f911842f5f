//! The look shared by every chart: the embedded font, the palette, text
//! sizes and number formatting.

use std::sync::OnceLock;

use plotters::style::{FontStyle, IntoFont, RGBColor, TextStyle};

use super::PlotError;

/// DejaVu Sans, embedded so text renders through ab_glyph on machines
/// without fontconfig or system fonts.
pub(super) static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// The family every chart uses. Registering the embedded font under this
/// name also covers plotters' own defaults, and SVG viewers fall back to
/// their own sans-serif font.
pub(super) const FAMILY: &str = "sans-serif";

/// Register the embedded font with plotters, once per process.
pub(super) fn register_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

/// Default canvas size [px].
pub(super) const WIDTH: u32 = 1000;
/// Default canvas height [px].
pub(super) const HEIGHT: u32 = 600;

/// Series colours (Tableau 10): distinct, print well, and tolerable for the
/// common colour-vision deficiencies. Series `i` takes `PALETTE[i % 10]`.
pub(super) const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7), // blue
    RGBColor(0xF2, 0x8E, 0x2B), // orange
    RGBColor(0xE1, 0x57, 0x59), // red
    RGBColor(0x76, 0xB7, 0xB2), // teal
    RGBColor(0x59, 0xA1, 0x4F), // green
    RGBColor(0xED, 0xC9, 0x48), // yellow
    RGBColor(0xB0, 0x7A, 0xA1), // purple
    RGBColor(0xFF, 0x9D, 0xA7), // pink
    RGBColor(0x9C, 0x75, 0x5F), // brown
    RGBColor(0xBA, 0xB0, 0xAC), // grey
];

/// The colour of series `i`.
pub(super) fn series_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Title and label text.
pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Tick labels and notes.
pub(super) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Axis lines.
pub(super) const AXIS: RGBColor = RGBColor(0x88, 0x88, 0x88);
/// Grid lines.
pub(super) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
/// Fault markers.
pub(super) const FAULT: RGBColor = RGBColor(0xB2, 0x22, 0x22);
/// Containment-action markers.
pub(super) const ACTION: RGBColor = RGBColor(0x1B, 0x7F, 0x3B);
/// Neutral markers (statistics, notes).
pub(super) const NOTE: RGBColor = RGBColor(0x44, 0x44, 0x44);

/// Opacity of confidence bands.
pub(super) const BAND_ALPHA: f64 = 0.20;

// Text sizes in plotters' unit: the em is size / 1.24 [px].
pub(super) const TITLE_SIZE: f64 = 27.0;
pub(super) const LABEL_SIZE: f64 = 19.0;
pub(super) const TICK_SIZE: f64 = 17.0;
pub(super) const SMALL_SIZE: f64 = 16.0;

/// A text style of the chart font.
pub(super) fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&color)
}

/// Format `v` with `decimals` digits after the point; large round numbers
/// get a `k`/`M`/`G` suffix (`25000` → `25k`).
pub(super) fn format_number(v: f64, decimals: usize) -> String {
    // No "-0.0".
    let v = if v == 0.0 { 0.0 } else { v };
    let abs = v.abs();
    if decimals == 0 && abs >= 1e4 {
        for (scale, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] {
            if abs >= scale {
                return format!("{}{suffix}", trim_zeros(&format!("{:.2}", v / scale)));
            }
        }
    }
    format!("{v:.decimals$}")
}

/// Format `v` with about three significant digits (`0.0123`, `4.56`,
/// `789`, `12.3k`), for value labels.
pub(crate) fn format_significant(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (2 - magnitude).max(0) as usize;
    // Round to three digits first, so 999,500 becomes 1M, not 1000k.
    let unit = 10f64.powi(magnitude - 2);
    let rounded = (v / unit).round() * unit;
    let magnitude = rounded.abs().log10().floor() as i32;
    if magnitude >= 4 {
        // 12.3k, 627k, 4.02M: three digits of the scaled value.
        let (scale, suffix) = match magnitude {
            4..=5 => (1e3, "k"),
            6..=8 => (1e6, "M"),
            _ => (1e9, "G"),
        };
        let scaled = rounded / scale;
        let decimals = (2 - scaled.abs().log10().floor() as i32).max(0) as usize;
        format!("{}{suffix}", trim_zeros(&format!("{scaled:.decimals$}")))
    } else if decimals == 0 {
        format_number(v.round(), 0)
    } else {
        trim_zeros(&format!("{v:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(format_number(-0.0, 1), "0.0");
        assert_eq!(format_number(0.25, 2), "0.25");
        assert_eq!(format_number(25000.0, 0), "25k");
        assert_eq!(format_number(1_500_000.0, 0), "1.5M");
        assert_eq!(format_number(2000.0, 0), "2000");
        assert_eq!(format_significant(0.012345), "0.0123");
        assert_eq!(format_significant(4.5), "4.5");
        assert_eq!(format_significant(789.4), "789");
        assert_eq!(format_significant(12345.0), "12.3k");
        assert_eq!(format_significant(626_931.8), "627k");
        assert_eq!(format_significant(999_600.0), "1M");
        assert_eq!(format_significant(99_960.0), "100k");
    }
}
