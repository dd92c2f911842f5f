//! Text for the bitmap backend, drawn with ab_glyph directly.
//!
//! plotters 0.3.7 draws ab_glyph text without each glyph's left side
//! bearing and rounds the pen to whole pixels per glyph, so letters are
//! unevenly spaced ("error s"). [`GlyphText`] wraps a backend, passes every
//! shape through unchanged, and lays out and rasterises text itself: pen
//! positions in floating point with kerning, glyphs placed by their bounds.
//! Sizes and anchors follow plotters' SVG backend (em = size / 1.24, top
//! anchor puts the baseline 0.76 em down), so PNG and SVG match.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

use super::style::FONT;

/// plotters' ratio of a text style's size to its em size [px].
const SIZE_PER_EM: f32 = 1.24;
/// Where the baseline sits below the top of the text box [em] (as SVG's
/// `dy="0.76em"` for top-anchored text).
const BASELINE_TOP: f32 = 0.76;
/// Baseline below a centre anchor [em]: capitals centred on the anchor.
const BASELINE_CENTRE: f32 = 0.36;
/// Baseline above a bottom anchor [em].
const BASELINE_BOTTOM: f32 = 0.24;

/// A backend whose text is rasterised here; everything else is delegated.
pub(super) struct GlyphText<B> {
    inner: B,
    font: FontRef<'static>,
}

impl<B: DrawingBackend> GlyphText<B> {
    /// Wrap `inner`; `None` if the embedded font cannot be parsed.
    pub fn new(inner: B) -> Option<Self> {
        let font = FontRef::try_from_slice(FONT).ok()?;
        Some(GlyphText { inner, font })
    }

    /// The scale for `size`, and the advance width of `text` [px].
    fn measure(&self, text: &str, size: f64) -> (PxScale, f32) {
        measure(&self.font, text, size)
    }
}

/// The advance width of `text` at `size` [px], the same on every backend
/// (plotters' SVG estimate differs), for layout decisions both files share.
pub(super) fn text_width(text: &str, size: f64) -> f32 {
    FontRef::try_from_slice(FONT).map_or(0.0, |font| measure(&font, text, size).1)
}

fn measure(font: &FontRef<'static>, text: &str, size: f64) -> (PxScale, f32) {
    let em = size as f32 / SIZE_PER_EM;
    let units = font.units_per_em().unwrap_or(2048.0);
    let scale = PxScale::from(em * font.height_unscaled() / units);
    let scaled = font.as_scaled(scale);
    let mut width = 0.0;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        prev = Some(id);
    }
    (scale, width)
}

impl<B: DrawingBackend> DrawingBackend for GlyphText<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let (_, width) = self.measure(text, style.size());
        let em = style.size() as f32 / SIZE_PER_EM;
        Ok((width.ceil() as u32, em.ceil() as u32))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let (scale, width) = self.measure(text, style.size());
        let em = style.size() as f32 / SIZE_PER_EM;
        let mut pen = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        let baseline = match style.anchor().v_pos {
            VPos::Top => BASELINE_TOP * em,
            VPos::Center => BASELINE_CENTRE * em,
            VPos::Bottom => -BASELINE_BOTTOM * em,
        };
        let transform = style.transform();
        let font = self.font.clone();
        let scaled = font.as_scaled(scale);
        let mut prev: Option<GlyphId> = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(scale, point(pen, baseline));
            pen += scaled.h_advance(id);
            prev = Some(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue; // a space
            };
            let bounds = outline.px_bounds();
            let mut result = Ok(());
            outline.draw(|gx, gy, coverage| {
                if coverage <= 0.0 || result.is_err() {
                    return;
                }
                // Offsets from the anchor, rotated with the text.
                let (dx, dy) = transform.transform(
                    bounds.min.x as i32 + gx as i32,
                    bounds.min.y as i32 + gy as i32,
                );
                let pixel = BackendColor {
                    alpha: color.alpha * f64::from(coverage.min(1.0)),
                    rgb: color.rgb,
                };
                result = self.inner.draw_pixel((pos.0 + dx, pos.1 + dy), pixel);
            });
            result?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use plotters::prelude::*;
    use plotters::style::FontTransform;

    use super::*;
    use crate::report::plot::style;

    /// Draw `text` on a white 200×200 bitmap and return the box
    /// `(x0, y0, x1, y1)` of the pixels it darkened.
    fn ink_box(text: &str, transform: FontTransform) -> Option<(usize, usize, usize, usize)> {
        style::register_font().unwrap();
        let mut buf = vec![255u8; 200 * 200 * 3];
        {
            let backend = GlyphText::new(BitMapBackend::with_buffer(&mut buf, (200, 200))).unwrap();
            let root = backend.into_drawing_area();
            let font = style::text(24.0, style::INK).transform(transform);
            root.draw_text(text, &font, (100, 100)).unwrap();
            root.present().unwrap();
        }
        let mut found: Option<(usize, usize, usize, usize)> = None;
        for (i, px) in buf.chunks(3).enumerate() {
            if px[0] < 128 {
                let (x, y) = (i % 200, i / 200);
                let b = found.get_or_insert((x, y, x, y));
                *b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
            }
        }
        found
    }

    #[test]
    fn text_renders_right_of_and_below_a_top_left_anchor() {
        let (x0, y0, x1, y1) = ink_box("Hg", FontTransform::None).expect("no ink");
        // Starts at the anchor (within a bearing), about two glyphs wide.
        assert!((100..=103).contains(&x0), "x0 {x0}");
        assert!((120..=140).contains(&x1), "x1 {x1}");
        // Capitals start just below the anchor; the descender of g goes
        // below the em box (24 / 1.24 ≈ 19 px).
        assert!((100..=104).contains(&y0), "y0 {y0}");
        assert!((116..=124).contains(&y1), "y1 {y1}");
    }

    #[test]
    fn rotated_text_runs_upwards() {
        let (x0, y0, x1, y1) = ink_box("Hello", FontTransform::Rotate270).expect("no ink");
        assert!(y1 <= 101 && y0 < 60, "({x0}, {y0}) ({x1}, {y1})");
        assert!(x0 >= 99 && x1 < 125, "({x0}, {y0}) ({x1}, {y1})");
    }

    #[test]
    fn size_estimate_matches_the_drawing() {
        let mut buf = [0u8; 3];
        let backend = GlyphText::new(BitMapBackend::with_buffer(&mut buf, (1, 1))).unwrap();
        let (w, h) = backend
            .estimate_text_size("Hg", &style::text(24.0, style::INK))
            .unwrap();
        let (x0, _, x1, _) = ink_box("Hg", FontTransform::None).unwrap();
        // The estimate is the advance width: the ink plus the side bearings.
        let ink = x1 - x0;
        assert!(ink <= w as usize && ink + 8 >= w as usize, "{w} vs {ink}");
        assert_eq!(h, 20);
    }
}
