//! Integration tests: one binary, one module per behaviour.

mod availability_theory;
mod cli_errors;
mod determinism;
mod drill_theory;
mod util;
