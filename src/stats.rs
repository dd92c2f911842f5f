//! Statistics shared by every mode: fixed-memory histograms, confidence
//! intervals and quantiles. A leaf: it depends on nothing else in resim.

pub mod ci;
pub mod histogram;

pub use ci::{Summary, mean_ci95, proportion_ci95, quantile_sorted, t_critical_95};
pub use histogram::LatencyHistogram;
