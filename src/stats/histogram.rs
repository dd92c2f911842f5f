//! A fixed-memory latency histogram with log-linear (HDR-style) buckets.
//!
//! # Buckets
//! Values are `u64` nanoseconds. Values below 64 each have their own
//! bucket. Above, every power-of-two range `[2^k, 2^(k+1))` with `k ≥ 6` is
//! split into 32 equal sub-buckets of width `2^(k−5)`. So a bucket's width
//! is at most 1/32 of its lower bound, and a value reported as its bucket's
//! midpoint is within **1/64 ≈ 1.6 %** of any value in that bucket.
//!
//! The index of `v` is `s · 32 + (v >> s)` with `s = max(0, ⌊log₂ v⌋ − 5)`:
//! branch-free and exact in integers.
//!
//! # Memory
//! Fixed at construction: one `u64` per bucket up to the largest trackable
//! value. The default ([`LatencyHistogram::new`]) tracks up to 2^45 ns
//! (≈ 9.8 h) in 1 312 buckets (10.25 KiB); [`LatencyHistogram::with_max`]
//! picks another bound. Larger values are counted in the top bucket and in
//! [`LatencyHistogram::saturated`]; the exact minimum, maximum and sum are
//! kept whatever the range, so [`LatencyHistogram::mean`] is exact.
//!
//! # Merging
//! Counts are integers, so merging is exact and order-independent: merging
//! per-trial histograms in any order gives the same bytes.

/// Sub-buckets per power of two, as a bit count.
const SUB_BITS: u32 = 5;
/// Sub-buckets per power of two.
const SUB: u64 = 1 << SUB_BITS;

/// The default largest trackable value: 2^45 − 1 ns ≈ 9.8 hours.
pub const DEFAULT_MAX: u64 = (1 << 45) - 1;

/// The largest relative error of a reported quantile: 1/64.
pub const MAX_RELATIVE_ERROR: f64 = 1.0 / 64.0;

/// The bucket index of `v`.
#[inline(always)]
fn index_of(v: u64) -> usize {
    let log2 = 63 - (v | 1).leading_zeros();
    let shift = log2.saturating_sub(SUB_BITS);
    (u64::from(shift) * SUB + (v >> shift)) as usize
}

/// The inclusive value range `[low, high]` of bucket `i`.
fn bounds_of(i: usize) -> (u64, u64) {
    let i = i as u64;
    let shift = (i / SUB).saturating_sub(1);
    let m = i - shift * SUB;
    let low = m << shift;
    (low, low + ((1u64 << shift) - 1))
}

/// The width of the bucket holding `v` over its smallest value: how far a
/// value reported from that bucket can be from any value in it, relative
/// (0 below 64 ns, where every value has its own bucket; at most 1/32).
pub fn relative_width(v: u64) -> f64 {
    let (low, high) = bounds_of(index_of(v));
    if high == low {
        0.0
    } else {
        (high + 1 - low) as f64 / low as f64
    }
}

/// The largest [`relative_width`] of any bucket: 1/32.
pub const MAX_BUCKET_WIDTH: f64 = 1.0 / 32.0;

/// One non-empty bucket, as returned by [`LatencyHistogram::iter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// Smallest value the bucket holds \[ns\].
    pub low: u64,
    /// Largest value the bucket holds \[ns\], inclusive.
    pub high: u64,
    /// Number of recorded values in the bucket.
    pub count: u64,
}

/// A latency histogram over `u64` nanoseconds with fixed memory and a
/// relative error of at most [`MAX_RELATIVE_ERROR`] on quantiles.
///
/// ```
/// use resim::stats::histogram::LatencyHistogram;
///
/// let mut h = LatencyHistogram::new();
/// for ms in 1..=100u64 {
///     h.record(ms * 1_000_000);
/// }
/// let p99 = h.quantile(0.99).expect("not empty");
/// assert!((p99 as f64 / 99e6 - 1.0).abs() <= 1.0 / 64.0);
/// assert_eq!(h.mean(), Some(50.5e6));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
    saturated: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram tracking values up to [`DEFAULT_MAX`].
    pub fn new() -> Self {
        Self::with_max(DEFAULT_MAX)
    }

    /// An empty histogram whose buckets reach at least `max` \[ns\]
    /// (any `u64`; `u64::MAX` takes 1 920 buckets, 15 KiB).
    pub fn with_max(max: u64) -> Self {
        LatencyHistogram {
            counts: vec![0; index_of(max) + 1],
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
            saturated: 0,
        }
    }

    /// The largest value with a bucket of its own \[ns\].
    pub fn max_trackable(&self) -> u64 {
        bounds_of(self.counts.len() - 1).1
    }

    /// Records one value \[ns\].
    #[inline]
    pub fn record(&mut self, v: u64) {
        self.record_n(v, 1);
    }

    /// Records `n` occurrences of the value `v` \[ns\].
    #[inline]
    pub fn record_n(&mut self, v: u64, n: u64) {
        if n == 0 {
            return;
        }
        let top = self.counts.len() - 1;
        let i = index_of(v);
        if i > top {
            self.saturated += n;
        }
        self.counts[i.min(top)] += n;
        self.count += n;
        self.sum += u128::from(v) * u128::from(n);
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Adds `other`'s records to this one. Exact (equal to recording both
    /// sets of values here) when both track the same range; values beyond
    /// this histogram's range go to its top bucket.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        let top = self.counts.len() - 1;
        for (i, &c) in other.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            if i > top {
                self.saturated += c;
            }
            self.counts[i.min(top)] += c;
        }
        self.saturated += other.saturated;
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Forgets every record; keeps the buckets' memory.
    pub fn clear(&mut self) {
        self.counts.fill(0);
        self.count = 0;
        self.sum = 0;
        self.min = u64::MAX;
        self.max = 0;
        self.saturated = 0;
    }

    /// The number of recorded values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The exact sum of the recorded values \[ns\].
    pub fn sum(&self) -> u128 {
        self.sum
    }

    /// The exact mean \[ns\], or `None` if empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// The exact smallest recorded value \[ns\], or `None` if empty.
    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min)
    }

    /// The exact largest recorded value \[ns\], or `None` if empty.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// How many recorded values exceeded [`max_trackable`](Self::max_trackable)
    /// (their quantiles are only known to be at least that).
    pub fn saturated(&self) -> u64 {
        self.saturated
    }

    /// The `q`-quantile \[ns\], `q` in `[0, 1]` (clamped), or `None` if empty
    /// or `q` is NaN.
    ///
    /// Definition (nearest rank): the `r`-th smallest recorded value with
    /// `r = max(1, ⌈q · n⌉)`, reported as the midpoint of its bucket
    /// intersected with the exact `[min, max]`. Ranks 1 and `n` (so `q = 0`
    /// and `q = 1`) give the exact minimum and maximum; any other result is
    /// within
    /// [`MAX_RELATIVE_ERROR`] of the true nearest-rank value (for values up
    /// to [`max_trackable`](Self::max_trackable)).
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 || q.is_nan() {
            return None;
        }
        let q = q.clamp(0.0, 1.0);
        // ⌈q·n⌉ in f64 is exact enough: n < 2^53 in any realistic run.
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        if rank == 1 {
            return Some(self.min);
        }
        if rank == self.count {
            return Some(self.max);
        }
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                // The value lies in the bucket and in [min, max]: report the
                // midpoint of their intersection.
                let (low, high) = bounds_of(i);
                let (low, high) = (low.max(self.min), high.min(self.max).max(low));
                return Some(low + (high - low).div_ceil(2));
            }
        }
        Some(self.max)
    }

    /// The `q`-quantile \[ns\] interpolated within its bucket, `q` in
    /// `[0, 1]` (clamped), or `None` if empty or `q` is NaN.
    ///
    /// The position `q · n` among the `n` recorded values falls in one
    /// bucket; the values in it are taken as spread evenly over its width
    /// (intersected with the exact `[min, max]`), so the result moves
    /// smoothly with `q` instead of jumping from midpoint to midpoint. It
    /// lies in the bucket that holds the true value, so its relative error
    /// is at most that bucket's [`relative_width`] (1/32 at most).
    pub fn quantile_interpolated(&self, q: f64) -> Option<f64> {
        if self.count == 0 || q.is_nan() {
            return None;
        }
        let q = q.clamp(0.0, 1.0);
        let (min, max) = (self.min as f64, self.max as f64);
        let target = q * self.count as f64;
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            if (seen + c) as f64 >= target {
                let (low, high) = bounds_of(i);
                // A bucket of one value (below 64 ns) holds exactly it.
                let top = if high == low { low } else { high + 1 };
                let low = (low as f64).max(min);
                let high = (top as f64).min(max).max(low);
                let frac = ((target - seen as f64) / c as f64).clamp(0.0, 1.0);
                return Some((low + frac * (high - low)).clamp(min, max));
            }
            seen += c;
        }
        Some(max)
    }

    /// The non-empty buckets in increasing order of value.
    pub fn iter(&self) -> impl Iterator<Item = Bucket> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c > 0)
            .map(|(i, &count)| {
                let (low, high) = bounds_of(i);
                Bucket { low, high, count }
            })
    }
}

#[cfg(test)]
mod tests;
