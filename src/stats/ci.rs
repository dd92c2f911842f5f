//! Running summaries, confidence intervals and sample quantiles.
//!
//! - [`Summary`]: count, mean and variance by Welford's update, mergeable
//!   (Chan et al.). Float merging is not associative to the last bit, so
//!   merge per-trial summaries in trial order to get the same bytes at any
//!   thread count.
//! - [`mean_ci95`]: the two-sided 95% Student-t interval for a mean, from
//!   independent samples (one value per trial, or batch means).
//! - [`t_critical_95`]: `t₀.₉₇₅` with `df` degrees of freedom: a table for
//!   `df ≤ 30`, Hill's (1970) Cornish–Fisher expansion beyond (error
//!   < 5e-8 there).
//! - [`quantile_sorted`]: linear-interpolation quantile of a sorted slice.
//! - [`proportion_ci95`]: the Wilson score interval for a proportion, e.g.
//!   availability as successes over requests.

/// The standard normal's 0.975 quantile.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// `t₀.₉₇₅` for 1..=30 degrees of freedom (index `df − 1`), checked in the
/// tests against the exact t distribution function.
const T_975: [f64; 30] = [
    12.706_204_736,
    4.302_652_730,
    3.182_446_305,
    2.776_445_105,
    2.570_581_836,
    2.446_911_851,
    2.364_624_252,
    2.306_004_135,
    2.262_157_163,
    2.228_138_852,
    2.200_985_160,
    2.178_812_830,
    2.160_368_656,
    2.144_786_688,
    2.131_449_546,
    2.119_905_299,
    2.109_815_578,
    2.100_922_040,
    2.093_024_054,
    2.085_963_447,
    2.079_613_845,
    2.073_873_068,
    2.068_657_610,
    2.063_898_562,
    2.059_538_553,
    2.055_529_439,
    2.051_830_516,
    2.048_407_142,
    2.045_229_642,
    2.042_272_456,
];

/// The two-sided 95% critical value of Student's t with `df` degrees of
/// freedom (`t₀.₉₇₅`); infinite for `df = 0`.
pub fn t_critical_95(df: u64) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => T_975[df as usize - 1],
        _ => {
            // Cornish–Fisher expansion of the t quantile around the normal
            // one (Hill 1970; Abramowitz & Stegun 26.7.5), four terms.
            let z = Z_975;
            let v = df as f64;
            let (z2, z3) = (z * z, z * z * z);
            let (z5, z7, z9) = (z3 * z2, z3 * z2 * z2, z3 * z3 * z3);
            z + (z3 + z) / (4.0 * v)
                + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
                + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
                + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z)
                    / (92_160.0 * v * v * v * v)
        }
    }
}

/// Count, mean, variance, min and max of a stream of values, in one pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    n: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Default for Summary {
    fn default() -> Self {
        Self::new()
    }
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Summary {
            n: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// A summary of `samples`.
    pub fn of(samples: &[f64]) -> Self {
        let mut s = Self::new();
        for &x in samples {
            s.push(x);
        }
        s
    }

    /// Adds one value (Welford's update).
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    /// Adds every value summarised by `other` (Chan et al.'s pairwise
    /// update). Merge in a fixed order for bit-identical results.
    pub fn merge(&mut self, other: &Summary) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        let delta = other.mean - self.mean;
        self.mean += delta * nb / n;
        self.m2 += other.m2 + delta * delta * na * nb / n;
        self.n += other.n;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The number of values.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The mean, or `None` if empty.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// The sample variance (divisor `n − 1`), or `None` if `n < 2`.
    pub fn variance(&self) -> Option<f64> {
        (self.n > 1).then(|| self.m2 / (self.n - 1) as f64)
    }

    /// The sample standard deviation, or `None` if `n < 2`.
    pub fn std_dev(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    /// The standard error of the mean `s / √n`, or `None` if `n < 2`.
    pub fn std_err(&self) -> Option<f64> {
        self.std_dev().map(|s| s / (self.n as f64).sqrt())
    }

    /// The smallest value, or `None` if empty.
    pub fn min(&self) -> Option<f64> {
        (self.n > 0).then_some(self.min)
    }

    /// The largest value, or `None` if empty.
    pub fn max(&self) -> Option<f64> {
        (self.n > 0).then_some(self.max)
    }

    /// `(mean, low, high)`: the two-sided 95% Student-t interval for the
    /// mean, `mean ± t₀.₉₇₅(n − 1) · s / √n`, or `None` if `n < 2`.
    /// Assumes independent, roughly normal values (per-trial results or
    /// batch means, not raw correlated observations).
    pub fn ci95(&self) -> Option<(f64, f64, f64)> {
        let se = self.std_err()?;
        let half = t_critical_95(self.n - 1) * se;
        Some((self.mean, self.mean - half, self.mean + half))
    }
}

/// `(mean, low, high)` of the two-sided 95% Student-t interval for the mean
/// of independent `samples`, or `None` with fewer than two samples.
pub fn mean_ci95(samples: &[f64]) -> Option<(f64, f64, f64)> {
    Summary::of(samples).ci95()
}

/// The `q`-quantile of an ascending `sorted` slice, `q` in `[0, 1]`
/// (clamped), or `None` if the slice is empty or `q` is NaN.
///
/// Definition: linear interpolation between order statistics, Hyndman and
/// Fan's type 7 (the default of R and NumPy): with `h = (n − 1) q`, the
/// result is `x[⌊h⌋] + (h − ⌊h⌋) (x[⌊h⌋ + 1] − x[⌊h⌋])` (0-based). So
/// `q = 0` is the minimum, `q = 1` the maximum, and the median of an even
/// count is the mean of the middle two.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || q.is_nan() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let frac = h - lo as f64;
    let x = sorted[lo];
    Some(match sorted.get(lo + 1) {
        Some(&next) if frac > 0.0 => x + frac * (next - x),
        _ => x,
    })
}

/// `(p, low, high)`: the proportion `successes / trials` with its 95% Wilson
/// score interval, or `None` if `trials = 0` or `successes > trials`.
///
/// Wilson's interval stays inside `[0, 1]` and keeps its coverage near 0
/// and 1, where the normal approximation `p ± z √(p(1−p)/n)` collapses
/// (an availability of 100% would get a zero-width interval).
pub fn proportion_ci95(successes: u64, trials: u64) -> Option<(f64, f64, f64)> {
    if trials == 0 || successes > trials {
        return None;
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z_975 * Z_975;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z_975 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some((p, (centre - half).max(0.0), (centre + half).min(1.0)))
}

#[cfg(test)]
mod tests;
