//! Output: result folders that never overwrite earlier runs, and charts.
