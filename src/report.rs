//! Output: result folders that never overwrite earlier runs, charts, and
//! the design-review report.
//!
//! [`output::OutputDir`] owns a run's folder and writes every file
//! atomically; [`plot`] draws charts from plain numbers into it, each as a
//! PNG and an SVG; `drill`, `compare` and `availability` write each mode's
//! files (a folder of charts per scenario, `summary.json` at the top, with
//! the chart [`index`] and the system's [`diagram`]); [`page`] renders
//! `report.html` and `report.md` from that folder alone.

pub mod output;
pub mod plot;

pub use output::{OutputDir, OutputError};
pub mod availability;
pub use plot::{ChartFiles, Marker, MarkerKind, PlotError};
pub mod compare;
pub mod diagram;
pub mod drill;
pub mod importance;
pub mod index;
pub mod page;
pub mod request_availability;
pub mod sweep;
