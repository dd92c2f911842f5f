//! Output: result folders that never overwrite earlier runs, and charts.
//!
//! [`output::OutputDir`] owns a run's folder and writes every file
//! atomically.

pub mod output;

pub use output::{OutputDir, OutputError};
pub mod availability;
