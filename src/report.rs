//! Output: result folders that never overwrite earlier runs, and charts.
//!
//! [`output::OutputDir`] owns a run's folder and writes every file
//! atomically; [`plot`] draws charts from plain numbers into it, each as a
//! PNG and an SVG.

pub mod output;
pub mod plot;

pub use output::{OutputDir, OutputError};
pub mod availability;
pub use plot::{ChartFiles, Marker, MarkerKind, PlotError};
pub mod compare;
pub mod drill;
pub mod request_availability;
