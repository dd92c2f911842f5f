//! Typed settings for Kubernetes workloads and the load balancer in front of
//! them: probes, resources, memory growth, restart policy, the Horizontal Pod
//! Autoscaler, the rolling-update strategy, node pools, and the load
//! balancer's health checks, outlier ejection and rate limit.
//!
//! Every default is the real system's, with its source beside it (sections
//! of `shared/reference/domain.md` and the upstream file). Each reader takes
//! a [`TableReader`] for one table and a [`Diagnostics`], reports every
//! problem with its span, flags unknown keys, and returns `None` when the
//! table had errors, as [`crate::model::Dist::read`] does. The state
//! machines that use these settings live in [`crate::k8s`] and [`crate::lb`].

mod canary;
mod cluster;
mod hpa;
mod lb;
mod pod;
mod resources;

pub use canary::{AnalysisSpec, CanarySpec, CanaryStep};
pub use cluster::{IntOrPercent, NodePoolSpec, NodeTimings, RolloutSpec};
pub use hpa::{HpaMetric, HpaSpec, PolicyKind, ScalingPolicy, ScalingRules, SelectPolicy};
pub use lb::{HealthCheckSpec, LbSpec, OutlierSpec, RateLimitSpec};
pub use pod::{PodSpec, ProbeKind, ProbeSpec, RestartPolicy};
pub(crate) use resources::parse_leak;
pub use resources::{MemorySpec, Resources};

use super::error::Diagnostics;
use super::reader::{Located, TableReader};
use crate::engine::SimTime;

/// Seconds as a [`SimTime`], for the defaults below.
pub(crate) const fn secs(s: u64) -> SimTime {
    SimTime(s * SimTime::SECOND.0)
}

/// Reads `key` with `get` into `out` when present, checking `min..=max`
/// (`unbounded` as `max` means no upper limit).
fn read_in_range<'a, 'i, T: PartialOrd + Copy + std::fmt::Display>(
    tr: &mut TableReader<'a, 'i>,
    key: &str,
    (min, max): (T, T),
    unbounded: T,
    out: &mut T,
    diags: &mut Diagnostics,
    get: impl FnOnce(&mut TableReader<'a, 'i>, &str, &mut Diagnostics) -> Option<Located<T>>,
) {
    let Some(v) = get(tr, key, diags) else {
        return;
    };
    if v.value < min || v.value > max {
        let range = if max == unbounded {
            format!("at least {min}")
        } else {
            format!("from {min} to {max}")
        };
        diags.error(
            v.span,
            format!("'{}.{key}' must be {range}, found {}", tr.path, v.value),
        );
    } else {
        *out = v.value;
    }
}

/// Reads the duration `key` into `out` when present, checking `min..=max`.
pub(super) fn read_duration(
    tr: &mut TableReader,
    key: &str,
    range: (SimTime, SimTime),
    out: &mut SimTime,
    diags: &mut Diagnostics,
) {
    read_in_range(tr, key, range, SimTime::NEVER, out, diags, |t, k, d| {
        t.duration(k, d)
    });
}

/// Reads the whole number `key` into `out` when present, checking `min..=max`.
pub(super) fn read_count(
    tr: &mut TableReader,
    key: &str,
    range: (u32, u32),
    out: &mut u32,
    diags: &mut Diagnostics,
) {
    read_in_range(tr, key, range, u32::MAX, out, diags, |t, k, d| t.u32(k, d));
}

/// Any duration from zero up.
const ANY_TIME: (SimTime, SimTime) = (SimTime::ZERO, SimTime::NEVER);
/// Any positive duration.
pub(super) const POSITIVE_TIME: (SimTime, SimTime) = (SimTime(1), SimTime::NEVER);

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// Parses `d = { ... }` and hands the inner table to `read`.
    pub fn parse_with<T>(
        src: &str,
        read: impl FnOnce(TableReader, &mut Diagnostics) -> Option<T>,
    ) -> (Option<T>, String) {
        let doc = toml::de::DeTable::parse(src).expect("valid toml");
        let mut diags = Diagnostics::default();
        let v = &doc.get_ref().iter().next().expect("one key").1;
        let tr = TableReader::new(v, "d", &mut diags).expect("table");
        let out = read(tr, &mut diags);
        let errors = if diags.is_empty() {
            String::new()
        } else {
            diags.into_error("t.toml", src).to_string()
        };
        (out, errors)
    }
}
