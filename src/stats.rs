//! Statistics shared by every mode: fixed-memory histograms, confidence
//! intervals (Student-t, Wilson, and for rare events the compound Poisson
//! interval of `rare`) and quantiles. A leaf: it depends on nothing else in resim.

pub mod ci;
pub mod histogram;
pub mod percentiles;
pub mod rare;
pub mod special;

pub use ci::{Summary, mean_ci95, proportion_ci95, quantile_sorted, t_critical_95};
pub use histogram::LatencyHistogram;
pub use percentiles::{Percentiles, Quantiles};
pub use rare::{EventSizes, RareInterval, RareMethod, rare_mean_ci95};
