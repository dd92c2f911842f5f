//! Integration tests: one binary, one module per behaviour.

mod availability_theory;
