//! resim: a discrete-event resilience simulator for multi-tier web systems.
//!
//! The pipeline:
//! 1. [`model::Model::parse`] reads a TOML model file into a validated,
//!    typed [`model::Model`]; every problem is reported with `file:line:col`.
//! 2. [`topology`] builds the dependency graph and the structure function
//!    (is the service up, given which instances are up?).
//! 3. [`availability`] simulates component up/down states over a long horizon;
//!    [`analytic`] gives the exact figures theory allows. [`drill`] replays a
//!    [`scenario`] request by request on the [`engine`]; [`compare`] runs two
//!    designs on common random numbers. [`behaviours`], [`k8s`], [`lb`] and
//!    [`dns`] hold the mechanisms components use (retries, breakers, probes,
//!    HPA, health checks, stub resolvers) as small state machines; [`redis`]
//!    is a Redis node's key space (maxmemory, eviction, expiry) that the
//!    drill's caches use.
//! 4. [`montecarlo`] runs trials over rayon, seeded by (master seed, trial
//!    index), and merges them in trial order so results do not depend on the
//!    thread count.
//! 5. [`report`] writes JSON, CSV and charts (PNG and SVG).
#![warn(missing_docs)]

pub mod alerts;
pub mod analytic;
pub mod availability;
pub mod behaviours;
pub mod budget;
pub mod cause;
pub mod compare;
pub mod cost;
pub mod dns;
pub mod drill;
pub mod engine;
pub mod k8s;
pub mod lb;
pub mod model;
pub mod montecarlo;
pub mod overrides;
pub mod rare_event;
pub mod redis;
pub mod report;
pub mod scenario;
pub mod slo;
pub mod stats;
pub mod sweep;
pub mod topology;
