//! Statistics shared by every mode: fixed-memory histograms, confidence
//! intervals and quantiles.

pub mod ci;
