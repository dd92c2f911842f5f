//! Simulated time: an integer count of nanoseconds.
//!
//! Integer time keeps event ordering exact and platform-independent; floats
//! appear only at the edges (model files, reports).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant or a span of simulated time \[ns\].
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(pub u64);

impl SimTime {
    /// Time zero.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable time, used as "never".
    pub const NEVER: SimTime = SimTime(u64::MAX);
    /// One nanosecond.
    pub const NANOSECOND: SimTime = SimTime(1);
    /// One microsecond.
    pub const MICROSECOND: SimTime = SimTime(1_000);
    /// One millisecond.
    pub const MILLISECOND: SimTime = SimTime(1_000_000);
    /// One second.
    pub const SECOND: SimTime = SimTime(1_000_000_000);
    /// One minute.
    pub const MINUTE: SimTime = SimTime(60 * 1_000_000_000);
    /// One hour.
    pub const HOUR: SimTime = SimTime(3_600 * 1_000_000_000);
    /// One day (24 h).
    pub const DAY: SimTime = SimTime(86_400 * 1_000_000_000);
    /// One year as resim counts it: 365 days = 8760 h.
    pub const YEAR: SimTime = SimTime(365 * 86_400 * 1_000_000_000);

    /// From seconds; negative or NaN inputs clamp to zero, huge ones to [`SimTime::NEVER`].
    pub fn from_secs_f64(secs: f64) -> SimTime {
        let ns = secs * 1e9;
        if ns.is_nan() || ns <= 0.0 {
            SimTime::ZERO
        } else if ns >= u64::MAX as f64 {
            SimTime::NEVER
        } else if ns < TWO_POW_52 {
            // Below 2^52, `ns + 0.5` is exact, so truncating it rounds half
            // up as `round()` does for positive values, without the call to
            // a software `round` that baseline x86-64 makes (about 10% of
            // the M/M/c benchmark: every sampled delay comes through here).
            SimTime((ns + 0.5) as u64)
        } else {
            // From 2^52 on, every f64 is an integer.
            SimTime(ns as u64)
        }
    }

    /// This time in seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// This time in milliseconds.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// Adds, saturating at [`SimTime::NEVER`].
    pub fn saturating_add(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }

    /// Subtracts, saturating at zero.
    pub fn saturating_sub(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(rhs.0))
    }
}

impl Add for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimTime) -> SimTime {
        self.saturating_add(rhs)
    }
}

impl AddAssign for SimTime {
    fn add_assign(&mut self, rhs: SimTime) {
        *self = *self + rhs;
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    fn sub(self, rhs: SimTime) -> SimTime {
        self.saturating_sub(rhs)
    }
}

impl fmt::Display for SimTime {
    /// Human form with the largest unit that keeps it short: `250ms`, `5m`, `1.5h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == SimTime::NEVER {
            return write!(f, "never");
        }
        let units: [(u64, &str); 7] = [
            (SimTime::YEAR.0, "y"),
            (SimTime::DAY.0, "d"),
            (SimTime::HOUR.0, "h"),
            (SimTime::MINUTE.0, "m"),
            (SimTime::SECOND.0, "s"),
            (SimTime::MILLISECOND.0, "ms"),
            (SimTime::MICROSECOND.0, "us"),
        ];
        for (scale, name) in units {
            if self.0 >= scale {
                let v = self.0 as f64 / scale as f64;
                return if (v - v.round()).abs() < 1e-9 {
                    write!(f, "{}{name}", v.round() as u64)
                } else {
                    write!(f, "{}{name}", trim_float(v))
                };
            }
        }
        write!(f, "{}ns", self.0)
    }
}

/// 2^52: from here on every `f64` is an integer.
const TWO_POW_52: f64 = 4_503_599_627_370_496.0;

/// Formats with up to 3 decimals and no trailing zeros.
fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_picks_short_units() {
        assert_eq!(SimTime::MILLISECOND.to_string(), "1ms");
        assert_eq!(SimTime(250 * SimTime::MILLISECOND.0).to_string(), "250ms");
        assert_eq!(SimTime(90 * SimTime::MINUTE.0).to_string(), "1.5h");
        assert_eq!(SimTime::YEAR.to_string(), "1y");
        assert_eq!(SimTime(17).to_string(), "17ns");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime::NEVER + SimTime::SECOND, SimTime::NEVER);
        assert_eq!(SimTime::ZERO - SimTime::SECOND, SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(-1.0), SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(1.5), SimTime(1_500_000_000));
        // Rounds to the nearest nanosecond, halves up, at any magnitude.
        assert_eq!(SimTime::from_secs_f64(2.5e-9), SimTime(3));
        assert_eq!(SimTime::from_secs_f64(2.4999e-9), SimTime(2));
        assert_eq!(SimTime::from_secs_f64(1e7), SimTime(10_000_000_000_000_000));
        assert_eq!(SimTime::from_secs_f64(1e300), SimTime::NEVER);
        // Same as `round()` on either side of 2^52.
        for secs in [
            4e-10f64,
            5e-10,
            1.5e-9,
            1.234_565e-4,
            4.5e6,
            4.503_599_627_370_495e6,
            9e6,
        ] {
            let expected = (secs * 1e9).round() as u64;
            assert_eq!(SimTime::from_secs_f64(secs).0, expected, "{secs}");
        }
    }
}
