//! Integration tests: one binary, one module per behaviour.

mod availability_run;
mod availability_theory;
mod cli_errors;
mod compare;
mod determinism;
mod drill_cache;
mod drill_db;
mod drill_dns;
mod drill_faults;
mod drill_k8s;
mod drill_lb;
mod drill_partition;
mod drill_resilience;
mod drill_theory;
mod drill_traffic;
mod fuzz;
mod hardening;
mod interval_coverage;
mod random_failures;
mod redis_che;
mod report;
mod request_availability;
mod resilient_system;
mod slo;
mod sweep;
mod util;
