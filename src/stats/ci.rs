//! Placeholder (replaced by the engine branch).

/// Mean and 95% interval (normal approximation placeholder).
pub fn mean_ci95(samples: &[f64]) -> (f64, f64, f64) {
    let n = samples.len() as f64;
    if samples.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let m = samples.iter().sum::<f64>() / n;
    if samples.len() < 2 {
        return (m, m, m);
    }
    let v = samples.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    let h = 1.96 * (v / n).sqrt();
    (m, m - h, m + h)
}

/// Quantile of sorted data with linear interpolation.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}
