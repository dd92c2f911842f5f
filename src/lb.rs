//! The load balancer's protections as small deterministic state machines:
//! active health checks (HAProxy), passive outlier ejection (Envoy) and a
//! token-bucket rate limit.
//!
//! Like [`crate::k8s`], none of them knows the engine: each is driven by
//! explicit `now: SimTime` arguments and says what happens next, so the
//! drill's load balancer can call them per request or per check. Settings
//! come from [`crate::model::k8s_spec`] (domain.md §10-§12).

pub mod health;
pub mod outlier;
pub mod rate_limit;

pub use health::{HealthCheck, HealthTransition};
pub use outlier::OutlierDetector;
