//! Which key a cache request asks for, and how large its value is.
//!
//! Popularity is Zipf with skew `s` over `n` keys (key 0 the most popular)
//! or uniform. The Zipf sampler is rand_distr's rejection-inversion
//! (Hörmann & Derflinger 1996): O(1) per draw whatever `n`, no table, so a
//! key space of 10^7 keys costs nothing to set up (measured in
//! `benches/cache.rs`).

use rand::{Rng, RngExt};
use rand_distr::{Distribution, LogNormal, Zipf};

/// Standard normal quantile at 0.95 (for lognormal sizes given a p95).
const Z95: f64 = 1.644_853_626_951_472_2;

/// How requests spread over the keys.
#[derive(Clone, Debug)]
pub enum KeyPopularity {
    /// Key of rank k (0-based) asked with probability ∝ 1/(k+1)^s.
    Zipf {
        /// Number of keys.
        n: u32,
        /// Skew s ≥ 0.
        s: f64,
        /// The sampler (ranks 1..=n).
        sampler: Zipf<f64>,
    },
    /// Every key equally likely.
    Uniform {
        /// Number of keys.
        n: u32,
    },
}

impl KeyPopularity {
    /// Zipf(s) over `n` keys; `None` if `n` is 0 or `s` is negative or not finite.
    pub fn zipf(n: u32, s: f64) -> Option<KeyPopularity> {
        if n == 0 || !s.is_finite() || s < 0.0 {
            return None;
        }
        let sampler = Zipf::new(n as f64, s).ok()?;
        Some(KeyPopularity::Zipf { n, s, sampler })
    }

    /// Number of keys.
    pub fn count(&self) -> u32 {
        match self {
            KeyPopularity::Zipf { n, .. } | KeyPopularity::Uniform { n } => *n,
        }
    }

    /// Draws a key id in `0..count()`.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        match self {
            KeyPopularity::Zipf { n, sampler, .. } => (sampler.sample(rng) as u32).clamp(1, *n) - 1,
            KeyPopularity::Uniform { n } => rng.random_range(0..*n),
        }
    }

    /// The probability of every key, most popular first (for [`super::che`]).
    pub fn probabilities(&self) -> Vec<f64> {
        match self {
            KeyPopularity::Zipf { n, s, .. } => {
                let w: Vec<f64> = (1..=*n).map(|k| (k as f64).powf(-s)).collect();
                let total: f64 = w.iter().sum();
                w.into_iter().map(|x| x / total).collect()
            }
            KeyPopularity::Uniform { n } => vec![1.0 / *n as f64; *n as usize],
        }
    }

    /// A short description for `resim check`.
    pub fn describe(&self) -> String {
        match self {
            KeyPopularity::Zipf { n, s, .. } => format!("{n} keys, zipf {s}"),
            KeyPopularity::Uniform { n } => format!("{n} keys, uniform"),
        }
    }
}

/// The size of a key's value \[bytes\].
#[derive(Clone, Debug)]
pub enum SizeDist {
    /// Always this many bytes.
    Constant(u32),
    /// Uniform on \[min, max\].
    Uniform {
        /// Smallest \[bytes\].
        min: u32,
        /// Largest \[bytes\].
        max: u32,
    },
    /// Lognormal from a median and a p95.
    LogNormal {
        /// Median \[bytes\].
        median: f64,
        /// 95th percentile \[bytes\].
        p95: f64,
        /// The sampler.
        sampler: LogNormal<f64>,
    },
}

impl SizeDist {
    /// Lognormal with the given median and p95 (`None` unless 0 < median ≤ p95).
    pub fn lognormal(median: f64, p95: f64) -> Option<SizeDist> {
        if !(median > 0.0 && p95 >= median && p95.is_finite()) {
            return None;
        }
        let mu = median.ln();
        let sigma = (p95.ln() - mu) / Z95;
        let sampler = LogNormal::new(mu, sigma).ok()?;
        Some(SizeDist::LogNormal {
            median,
            p95,
            sampler,
        })
    }

    /// Draws a size \[bytes\], at least 1.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        match self {
            SizeDist::Constant(b) => *b,
            SizeDist::Uniform { min, max } => rng.random_range(*min..=*max),
            SizeDist::LogNormal { sampler, .. } => {
                sampler.sample(rng).clamp(1.0, u32::MAX as f64) as u32
            }
        }
    }

    /// The mean \[bytes\].
    pub fn mean(&self) -> f64 {
        match self {
            SizeDist::Constant(b) => *b as f64,
            SizeDist::Uniform { min, max } => (*min as f64 + *max as f64) / 2.0,
            SizeDist::LogNormal { median, p95, .. } => {
                let sigma = (p95.ln() - median.ln()) / Z95;
                median * (sigma * sigma / 2.0).exp()
            }
        }
    }

    /// A short description for `resim check`.
    pub fn describe(&self) -> String {
        match self {
            SizeDist::Constant(b) => format!("{b} B"),
            SizeDist::Uniform { min, max } => format!("uniform({min}..{max} B)"),
            SizeDist::LogNormal { median, p95, .. } => {
                format!("lognormal(median {median:.0} B, p95 {p95:.0} B)")
            }
        }
    }
}
