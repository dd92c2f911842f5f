//! Integration tests: one binary, one module per behaviour.

mod cli_errors;
mod determinism;
mod util;
