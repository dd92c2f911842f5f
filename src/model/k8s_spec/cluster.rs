//! Cluster-level settings: the Deployment's rolling-update strategy and the
//! node pool (capacity and node-loss timings).

use toml::de::DeValue;

use super::{POSITIVE_TIME, read_count, read_duration, secs};
use crate::engine::SimTime;
use crate::model::error::Diagnostics;
use crate::model::reader::{Located, TableReader};

/// A count or a percentage of the desired replicas (Kubernetes' IntOrString).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    /// A number of pods.
    Count(u32),
    /// A percentage of the desired replicas.
    Percent(u32),
}

impl IntOrPercent {
    /// True when it is zero pods or 0 %.
    pub fn is_zero(self) -> bool {
        matches!(self, IntOrPercent::Count(0) | IntOrPercent::Percent(0))
    }

    /// Resolves against `total` pods; percentages round up or down
    /// (k8s: staging/src/k8s.io/apimachinery/pkg/util/intstr `GetScaledValueFromIntOrPercent`).
    pub fn scaled(self, total: u32, round_up: bool) -> u32 {
        match self {
            IntOrPercent::Count(n) => n,
            IntOrPercent::Percent(p) => {
                let x = u64::from(p) * u64::from(total);
                let v = if round_up { x.div_ceil(100) } else { x / 100 };
                u32::try_from(v).unwrap_or(u32::MAX)
            }
        }
    }
}

/// Reads `key` as a whole number or a `"25%"` string.
fn read_int_or_percent(
    tr: &mut TableReader,
    key: &str,
    diags: &mut Diagnostics,
) -> Option<Located<IntOrPercent>> {
    if let DeValue::String(_) = tr.get(key)?.get_ref() {
        let s = tr.str(key, diags)?;
        let parsed = s
            .value
            .trim()
            .strip_suffix('%')
            .and_then(|n| n.trim().parse::<u32>().ok());
        match parsed {
            Some(p) => Some(Located {
                value: IntOrPercent::Percent(p),
                span: s.span,
            }),
            None => {
                diags.error(
                    s.span,
                    format!(
                        "'{}.{key}' must be a whole number of pods or a percentage such as \"25%\", found '{}'",
                        tr.path, s.value
                    ),
                );
                None
            }
        }
    } else {
        let n = tr.u32(key, diags)?;
        Some(Located {
            value: IntOrPercent::Count(n.value),
            span: n.span,
        })
    }
}

/// A Deployment's RollingUpdate strategy. Defaults: domain.md §4,
/// k8s: pkg/apis/apps/v1/defaults.go (`SetDefaults_Deployment`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RolloutSpec {
    /// Pods above the desired count during a rollout (default 25 %, rounded up).
    pub max_surge: IntOrPercent,
    /// Pods below the desired count that may be unavailable (default 25 %, rounded down).
    pub max_unavailable: IntOrPercent,
    /// A new pod counts as available after being Ready this long (default 0 s).
    pub min_ready: SimTime,
    /// No progress for this long marks the rollout ProgressDeadlineExceeded (default 600 s).
    pub progress_deadline: SimTime,
}

impl Default for RolloutSpec {
    fn default() -> Self {
        RolloutSpec {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Percent(25),
            min_ready: SimTime::ZERO,
            progress_deadline: secs(600),
        }
    }
}

impl RolloutSpec {
    /// Keys of a rollout table.
    pub const KNOWN_KEYS: &'static [&'static str] = &[
        "max_surge",
        "max_unavailable",
        "min_ready",
        "progress_deadline",
    ];

    /// Reads `{ max_surge = 1, max_unavailable = "0%" }`.
    ///
    /// Checks as the API server does (k8s: pkg/apis/apps/validation/validation.go):
    /// not both zero, maxUnavailable at most 100 %, deadline above minReady.
    pub fn read(mut tr: TableReader, diags: &mut Diagnostics) -> Option<Self> {
        let before = diags.len();
        let mut r = RolloutSpec::default();
        let surge = read_int_or_percent(&mut tr, "max_surge", diags);
        let unavailable = read_int_or_percent(&mut tr, "max_unavailable", diags);
        if let Some(s) = &surge {
            r.max_surge = s.value;
        }
        if let Some(u) = &unavailable {
            if let IntOrPercent::Percent(p) = u.value
                && p > 100
            {
                diags.error(
                    u.span.clone(),
                    format!("'{}.max_unavailable' must not be above 100%", tr.path),
                );
            }
            r.max_unavailable = u.value;
        }
        if r.max_surge.is_zero() && r.max_unavailable.is_zero() {
            let span = unavailable
                .or(surge)
                .map(|l| l.span)
                .unwrap_or(tr.span.clone());
            diags.error_hint(
                span,
                format!(
                    "'{}': max_surge and max_unavailable cannot both be zero",
                    tr.path
                ),
                Some("a rollout needs room to add or remove a pod".into()),
            );
        }
        read_duration(
            &mut tr,
            "min_ready",
            (SimTime::ZERO, SimTime::NEVER),
            &mut r.min_ready,
            diags,
        );
        read_duration(
            &mut tr,
            "progress_deadline",
            POSITIVE_TIME,
            &mut r.progress_deadline,
            diags,
        );
        if r.progress_deadline <= r.min_ready {
            diags.error(
                tr.span_of("progress_deadline"),
                format!(
                    "'{}.progress_deadline' must be longer than min_ready",
                    tr.path
                ),
            );
        }
        tr.finish(Self::KNOWN_KEYS, diags);
        (diags.len() == before).then_some(r)
    }
}

/// When a lost node is noticed and its pods are evicted (domain.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeTimings {
    /// The kubelet renews its node lease this often (10 s; kubelet `nodeLeaseDurationSeconds` 40 × 0.25).
    pub heartbeat: SimTime,
    /// The node lifecycle controller checks nodes this often
    /// (5 s, kube-controller-manager `--node-monitor-period`).
    pub monitor_period: SimTime,
    /// Silence before a node is NotReady: 50 s since Kubernetes 1.32, 40 s before
    /// (`--node-monitor-grace-period`, kubernetes/kubernetes PR #126287).
    pub monitor_grace: SimTime,
    /// Pods tolerate a NotReady/unreachable node this long before eviction
    /// (300 s, kube-apiserver `--default-not-ready-toleration-seconds`).
    pub toleration: SimTime,
}

impl Default for NodeTimings {
    fn default() -> Self {
        NodeTimings {
            heartbeat: secs(10),
            monitor_period: secs(5),
            monitor_grace: secs(50),
            toleration: secs(300),
        }
    }
}

/// A pool of identical nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodePoolSpec {
    /// Number of nodes (default 1).
    pub count: u32,
    /// CPU capacity of one node \[millicores\] (required).
    pub cpu: u64,
    /// Memory capacity of one node \[bytes\] (required).
    pub memory: u64,
    /// Held back from pods: the kubelet's hard eviction threshold
    /// `memory.available<100Mi` (domain.md §3; k8s: pkg/kubelet/eviction/defaults_linux.go) \[bytes\].
    pub eviction_hard_memory: u64,
    /// Node-loss timings.
    pub timings: NodeTimings,
}

impl NodePoolSpec {
    /// Keys of a node pool table.
    pub const KNOWN_KEYS: &'static [&'static str] = &[
        "count",
        "cpu",
        "memory",
        "eviction_hard_memory",
        "heartbeat",
        "monitor_period",
        "monitor_grace",
        "toleration",
    ];

    /// Memory the scheduler may hand to pods: capacity minus the eviction threshold \[bytes\].
    pub fn allocatable_memory(&self) -> u64 {
        self.memory.saturating_sub(self.eviction_hard_memory)
    }

    /// Reads `{ count = 3, cpu = 4, memory = "16Gi" }`.
    pub fn read(mut tr: TableReader, diags: &mut Diagnostics) -> Option<Self> {
        let before = diags.len();
        let mut n = NodePoolSpec {
            count: 1,
            cpu: 0,
            memory: 0,
            eviction_hard_memory: 100 << 20,
            timings: NodeTimings::default(),
        };
        read_count(&mut tr, "count", (1, u32::MAX), &mut n.count, diags);
        match tr.f64("cpu", diags) {
            Some(c) if c.value > 0.0 && c.value.is_finite() => {
                n.cpu = (c.value * 1000.0).round() as u64
            }
            Some(c) => diags.error(
                c.span,
                format!("'{}.cpu' must be a positive number of cores", tr.path),
            ),
            None if !tr.has("cpu") => tr.missing("cpu", diags, "4"),
            None => {}
        }
        match tr.bytes("memory", diags) {
            Some(m) if m.value > 0 => n.memory = m.value,
            Some(m) => diags.error(m.span, format!("'{}.memory' must be positive", tr.path)),
            None if !tr.has("memory") => tr.missing("memory", diags, "\"16Gi\""),
            None => {}
        }
        if let Some(b) = tr.bytes("eviction_hard_memory", diags) {
            n.eviction_hard_memory = b.value;
        }
        let t = &mut n.timings;
        read_duration(&mut tr, "heartbeat", POSITIVE_TIME, &mut t.heartbeat, diags);
        read_duration(
            &mut tr,
            "monitor_period",
            POSITIVE_TIME,
            &mut t.monitor_period,
            diags,
        );
        read_duration(
            &mut tr,
            "monitor_grace",
            POSITIVE_TIME,
            &mut t.monitor_grace,
            diags,
        );
        read_duration(
            &mut tr,
            "toleration",
            (SimTime::ZERO, SimTime::NEVER),
            &mut t.toleration,
            diags,
        );
        tr.finish(Self::KNOWN_KEYS, diags);
        (diags.len() == before).then_some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::parse_with;
    use super::*;

    #[test]
    fn rollout_defaults_and_values() {
        let (r, e) = parse_with("d = {}", RolloutSpec::read);
        assert_eq!((r, e.as_str()), (Some(RolloutSpec::default()), ""));
        let (r, e) = parse_with(
            "d = { max_surge = 2, max_unavailable = \"0%\" }",
            RolloutSpec::read,
        );
        assert_eq!(e, "");
        let r = r.unwrap();
        assert_eq!(r.max_surge, IntOrPercent::Count(2));
        assert_eq!(r.max_unavailable, IntOrPercent::Percent(0));
    }

    #[test]
    fn rollout_rejects_both_zero_and_bad_values() {
        let (r, e) = parse_with(
            "d = { max_surge = 0, max_unavailable = \"0%\" }",
            RolloutSpec::read,
        );
        assert!(r.is_none() && e.contains("cannot both be zero"), "{e}");
        let (r, e) = parse_with(
            "d = { max_surge = \"a lot\", max_unavailable = \"150%\", progress_deadline = \"0s\" }",
            RolloutSpec::read,
        );
        assert!(r.is_none());
        assert!(
            e.contains("percentage such as \"25%\", found 'a lot'"),
            "{e}"
        );
        assert!(e.contains("must not be above 100%"), "{e}");
        assert!(
            e.contains("'d.progress_deadline' must be at least 1ns"),
            "{e}"
        );
    }

    #[test]
    fn percentages_round_as_kubernetes_does() {
        let p = IntOrPercent::Percent(25);
        assert_eq!((p.scaled(4, true), p.scaled(4, false)), (1, 1));
        assert_eq!((p.scaled(3, true), p.scaled(3, false)), (1, 0));
        assert_eq!((p.scaled(10, true), p.scaled(10, false)), (3, 2));
        assert_eq!(IntOrPercent::Count(2).scaled(100, true), 2);
    }

    #[test]
    fn node_pool_reads_capacity_and_timings() {
        let (n, e) = parse_with(
            "d = { count = 3, cpu = 4, memory = \"16Gi\", monitor_grace = \"40s\" }",
            NodePoolSpec::read,
        );
        assert_eq!(e, "");
        let n = n.unwrap();
        assert_eq!((n.count, n.cpu, n.memory), (3, 4000, 16 << 30));
        assert_eq!(n.allocatable_memory(), (16 << 30) - (100 << 20));
        assert_eq!(n.timings.monitor_grace, secs(40));
        assert_eq!(n.timings.toleration, secs(300));
        let (n, e) = parse_with("d = { cpu = 0, size = 1 }", NodePoolSpec::read);
        assert!(n.is_none());
        assert!(
            e.contains("'d.cpu' must be a positive number of cores"),
            "{e}"
        );
        assert!(e.contains("'d' needs 'memory'"), "{e}");
        assert!(e.contains("unknown key 'size'"), "{e}");
    }
}
