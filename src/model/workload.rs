//! A `pods` component as a Kubernetes Deployment (its pod template, HPA and
//! rolling-update strategy) and the model-level node pool the pods are
//! scheduled on (`[cluster]`), read from the model file.
//!
//! A `pods` component without a `pod` table stays a plain c-server queue in
//! the drill; with one, `drill::pods` runs the pod lifecycle.

use super::error::Diagnostics;
use super::k8s_spec::{CanarySpec, HpaSpec, NodePoolSpec, PodSpec, RolloutSpec};
use super::reader::TableReader;
use crate::engine::SimTime;

/// Keys of a component table that configure a Deployment.
pub const WORKLOAD_KEYS: &[&str] = &["pod", "hpa", "rollout", "canary"];
/// Keys of the `[cluster]` table.
pub const CLUSTER_KEYS: &[&str] = &["nodes", "autoscaler", "endpoint_delay"];
const AUTOSCALER_KEYS: &[&str] = &["max_nodes", "provisioning", "scan_interval"];

/// Readiness changes reach kube-proxy this long after the probe result:
/// probe -> pod status -> EndpointSlice controller -> kube-proxy, whose
/// iptables syncs are at least `minSyncPeriod` = 1 s apart (domain.md §2;
/// k8s: pkg/proxy/apis/config/v1alpha1/defaults.go). We take 1 s.
pub const DEFAULT_ENDPOINT_DELAY: SimTime = SimTime(SimTime::SECOND.0);

/// A `pods` component run as a Deployment.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The pod template.
    pub pod: PodSpec,
    /// The Horizontal Pod Autoscaler, if any.
    pub hpa: Option<HpaSpec>,
    /// The rolling-update strategy (Kubernetes defaults when not given).
    pub rollout: RolloutSpec,
    /// A canary strategy (Argo Rollouts): `apply` follows its steps instead
    /// of a rolling update.
    pub canary: Option<CanarySpec>,
}

/// The cluster autoscaler: adds a node when pods stay Pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterAutoscaler {
    /// The pool never grows beyond this many nodes.
    pub max_nodes: u32,
    /// From the decision to add a node until it is Ready (required: it is
    /// the cloud's VM boot time, which the model must state).
    pub provisioning: SimTime,
    /// How often it looks for unschedulable pods (default 10 s,
    /// cluster-autoscaler `--scan-interval`, kubernetes/autoscaler FAQ.md).
    pub scan_interval: SimTime,
}

/// The nodes pods are scheduled on (`[cluster]`).
#[derive(Clone, Debug)]
pub struct Cluster {
    /// The node pool.
    pub nodes: NodePoolSpec,
    /// The cluster autoscaler, if any.
    pub autoscaler: Option<ClusterAutoscaler>,
    /// How long a readiness change takes to reach the Service's endpoints.
    pub endpoint_delay: SimTime,
}

impl Cluster {
    /// The cluster a model without `[cluster]` gets: pods always fit.
    pub fn unbounded() -> Self {
        Cluster {
            nodes: NodePoolSpec {
                count: 1,
                cpu: u64::MAX / 4,
                memory: u64::MAX / 4,
                eviction_hard_memory: 0,
                timings: Default::default(),
            },
            autoscaler: None,
            endpoint_delay: DEFAULT_ENDPOINT_DELAY,
        }
    }
}

/// Reads `pod`, `hpa` and `rollout` of component `name`; `None` without `pod`.
pub(super) fn read_workload(
    tr: &mut TableReader,
    name: &str,
    is_pods: bool,
    defaults: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Option<Box<Workload>> {
    let present: Vec<&str> = WORKLOAD_KEYS
        .iter()
        .copied()
        .filter(|k| tr.has(k))
        .collect();
    if present.is_empty() {
        return None;
    }
    if !is_pods {
        diags.error(
            tr.span_of(present[0]),
            format!("'{}' applies to pods; '{name}' is not pods", present[0]),
        );
        return None;
    }
    if !tr.has("pod") {
        diags.error_hint(
            tr.span_of(present[0]),
            format!("'{name}.{}' needs a pod template", present[0]),
            Some("add pod = { } (Kubernetes defaults) or describe the pod".into()),
        );
        return None;
    }
    let pod = tr.table("pod", diags).and_then(|t| PodSpec::read(t, diags));
    let hpa = tr.table("hpa", diags).and_then(|t| HpaSpec::read(t, diags));
    let canary = tr
        .table("canary", diags)
        .and_then(|t| CanarySpec::read(t, diags));
    let rollout = match tr.table("rollout", diags) {
        Some(t) => RolloutSpec::read(t, diags),
        None => {
            defaults.push(format!(
                "pods '{name}': rollout max_surge = 25%, max_unavailable = 25% (Kubernetes defaults)"
            ));
            Some(RolloutSpec::default())
        }
    };
    let pod = pod?;
    let mut notes = Vec::new();
    if pod.start_time.is_none() {
        notes.push("start_time = 0s".to_string());
    }
    if pod.readiness_probe.is_none() {
        notes.push("no readiness probe (Ready once started)".to_string());
    }
    if pod.memory.is_none() {
        notes.push("memory not modelled (never OOM-killed)".to_string());
    }
    notes.push(format!(
        "restart_policy = {:?}, termination_grace = {}",
        pod.restart_policy, pod.termination_grace
    ));
    defaults.push(format!("pods '{name}': {}", notes.join(", ")));
    Some(Box::new(Workload {
        pod,
        hpa,
        rollout: rollout?,
        canary,
    }))
}

/// Reads `[cluster]`.
pub(super) fn read_cluster(
    mut tr: TableReader,
    defaults: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Option<Cluster> {
    let before = diags.len();
    let nodes = match tr.table("nodes", diags) {
        Some(t) => NodePoolSpec::read(t, diags),
        None => {
            tr.missing("nodes", diags, "{ count = 3, cpu = 4, memory = \"16Gi\" }");
            None
        }
    };
    let autoscaler = tr.table("autoscaler", diags).and_then(|mut t| {
        let b = diags.len();
        let max = t.u32("max_nodes", diags);
        if max.is_none() && !t.has("max_nodes") {
            t.missing("max_nodes", diags, "6");
        }
        let prov = t.duration("provisioning", diags);
        if prov.is_none() && !t.has("provisioning") {
            t.missing("provisioning", diags, "\"90s\"");
        }
        let mut scan = SimTime(10 * SimTime::SECOND.0);
        if let Some(s) = t.duration("scan_interval", diags) {
            if s.value == SimTime::ZERO {
                diags.error(
                    s.span,
                    "'cluster.autoscaler.scan_interval' must be positive",
                );
            }
            scan = s.value;
        } else {
            defaults.push("cluster autoscaler: scan_interval = 10s".into());
        }
        t.finish(AUTOSCALER_KEYS, diags);
        (diags.len() == b).then(|| ClusterAutoscaler {
            max_nodes: max.map_or(1, |m| m.value),
            provisioning: prov.map_or(SimTime::ZERO, |p| p.value),
            scan_interval: scan,
        })
    });
    let mut endpoint_delay = DEFAULT_ENDPOINT_DELAY;
    match tr.duration("endpoint_delay", diags) {
        Some(d) => endpoint_delay = d.value,
        None => defaults.push(format!(
            "cluster: endpoint_delay = {DEFAULT_ENDPOINT_DELAY} (kube-proxy minSyncPeriod)"
        )),
    }
    let span = tr.span.clone();
    tr.finish(CLUSTER_KEYS, diags);
    if let (Some(n), Some(a)) = (&nodes, &autoscaler)
        && a.max_nodes < n.count
    {
        diags.error(
            span,
            format!(
                "'cluster.autoscaler.max_nodes' ({}) is below the node count ({})",
                a.max_nodes, n.count
            ),
        );
    }
    (diags.len() == before).then(|| Cluster {
        nodes: nodes.expect("read without errors"),
        autoscaler,
        endpoint_delay,
    })
}
