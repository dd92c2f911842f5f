//! The Kubernetes events of the drill's pods, as their emitters word them
//! (kept only when the trial takes `--at` snapshots; see
//! [`crate::k8s::events`] for dedup, spam filter and TTL):
//!
//! | reason | type | from | when |
//! |---|---|---|---|
//! | SuccessfulCreate, SuccessfulDelete | Normal | replicaset-controller | a pod is created / deleted |
//! | Scheduled | Normal | default-scheduler | a pod is bound to a node |
//! | Pulled, Created, Started | Normal | kubelet | a container starts (image present) |
//! | Unhealthy | Warning | kubelet | a probe run fails |
//! | Killing | Normal | kubelet | liveness failure, pod deletion |
//! | BackOff | Warning | kubelet | each pod sync inside a CrashLoopBackOff wait |
//! | OOMKilling | Warning | kernel-monitor (node-problem-detector) | the kernel OOM-kills a container, on the node |
//!
//! The kubelet emits no event of its own for a container's OOM kill: the
//! reason OOMKilled and exit code 137 are in the container's status
//! (`kubectl describe pod`'s Last State), and node-problem-detector
//! reports the kernel's log line as an `OOMKilling` event on the node.
//!
//! A CrashLoopBackOff wait is not simulated sync by sync: its `BackOff`
//! events (one per pod sync while the wait lasts, [`BACKOFF_SYNC`] apart
//! from the exit) are recorded when the wait ends, and a view in the
//! middle of one adds those so far ([`with_backoff_so_far`]).

use super::{PodPhase, view::pod_name};
use crate::drill::sim::DrillTrial;
use crate::engine::SimTime;
use crate::k8s::events::{EventLog, EventType, Occurrence, Stamp};
use crate::model::k8s_spec::ProbeKind;

/// How often the kubelet syncs a pod whose container is in back-off: a sync
/// that hits the back-off fails and the pod worker requeues the pod after
/// `backOffPeriod` (k8s: pkg/kubelet/pod_workers.go `completeWork`, 10 s;
/// its 0-50% jitter left out). The same sync records CrashLoopBackOff in
/// the kubelet's reason cache, which the pod's status shows from the next
/// sync on: until then STATUS is the termination reason (OOMKilled,
/// Error; pkg/kubelet/kubelet_pods.go `convertToAPIContainerStatuses`).
/// This is the kubelet through 1.34 (kubernetes/kubernetes#123602: "the
/// error retry period is 10s, which adds up to 10s to the backoff time");
/// 1.35 requeues the pod at the back-off's expiry instead (#133066), so
/// fewer BackOff events and a longer termination-reason STATUS there.
pub(in crate::drill) const BACKOFF_SYNC: SimTime = SimTime(10 * SimTime::SECOND.0);
/// The image the containers run (the model has no image names).
const IMAGE_TAG: &str = "1.0";

/// A [`SimTime`] as a [`Stamp`].
pub(super) fn stamp(t: SimTime) -> Stamp {
    t.0 as Stamp
}

/// The pod syncs inside a back-off wait from `exit` to `restart`, up to
/// `upto` (inclusive): `exit`, `exit + 10 s`, ... before `restart`.
fn backoff_syncs(exit: SimTime, restart: SimTime, upto: SimTime) -> impl Iterator<Item = SimTime> {
    (0u64..)
        .map(move |k| exit + SimTime(k * BACKOFF_SYNC.0))
        .take_while(move |&t| t < restart && t <= upto)
}

/// The Back-off message of the kubelet (pkg/kubelet/kuberuntime
/// `doBackOff`): `format.Pod` names the pod `name_namespace(uid)`.
pub(super) fn backoff_message(container: &str, pod: &str) -> String {
    format!(
        "Back-off restarting failed container {container} in pod {pod}_default({})",
        uid(pod)
    )
}

/// A deterministic UID for a pod name, in the UUID layout.
pub(super) fn uid(pod: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in pod.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let g = crate::engine::rng::mix64(h);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        0x8000 | (g >> 48) & 0x3fff,
        g & 0xffff_ffff_ffff
    )
}

/// A copy of `log` with the `BackOff` events of the waits still running at
/// `now`: `waits` gives (host, pod, container, exit, restart) per pod.
pub(super) fn with_backoff_so_far(
    log: &EventLog,
    waits: &[(String, String, String, SimTime, SimTime)],
    now: SimTime,
) -> EventLog {
    let mut log = log.clone();
    for (host, pod, container, exit, restart) in waits {
        record_backoff_syncs(&mut log, host, pod, container, *exit, *restart, now);
    }
    log
}

fn record_backoff_syncs(
    log: &mut EventLog,
    host: &str,
    pod: &str,
    container: &str,
    exit: SimTime,
    restart: SimTime,
    upto: SimTime,
) {
    let object = format!("pod/{pod}");
    let message = backoff_message(container, pod);
    for t in backoff_syncs(exit, restart, upto) {
        log.record(Occurrence {
            at: stamp(t),
            kind: EventType::Warning,
            reason: "BackOff",
            source: "kubelet",
            host,
            object: &object,
            message: &message,
        });
    }
}

impl DrillTrial<'_> {
    /// The node name of pod `s` of `c` (`<none>` while unscheduled).
    pub(super) fn node_name(&self, c: usize, s: usize) -> String {
        let n = self.pods_ref(c).pods[s].node as usize;
        self.cluster
            .names
            .get(n)
            .cloned()
            .unwrap_or_else(|| "<none>".to_string())
    }

    /// The name of pod `s` of `c`.
    fn name_of(&self, c: usize, s: usize) -> String {
        pod_name(&self.model.components[c].id, &self.pods_ref(c).pods[s])
    }

    /// Records an event in `c`'s log, if it keeps one.
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        c: usize,
        at: Stamp,
        kind: EventType,
        reason: &'static str,
        source: &'static str,
        host: &str,
        object: &str,
        message: &str,
    ) {
        if let Some(log) = self.pod_set(c).events.as_deref_mut() {
            log.record(Occurrence {
                at,
                kind,
                reason,
                source,
                host,
                object,
                message,
            });
        }
    }

    /// A kubelet event about pod `s` of `c`.
    fn kubelet_event(
        &mut self,
        c: usize,
        s: usize,
        at: Stamp,
        kind: EventType,
        reason: &'static str,
        message: &str,
    ) {
        let (host, object) = (self.node_name(c, s), format!("pod/{}", self.name_of(c, s)));
        self.emit(c, at, kind, reason, "kubelet", &host, &object, message);
    }

    fn keeps_events(&self, c: usize) -> bool {
        self.pods_ref(c).events.is_some()
    }

    /// The ReplicaSet controller created pod `s` of `c`.
    pub(super) fn record_created(&mut self, c: usize, s: usize, now: SimTime) {
        self.replicaset_event(c, s, stamp(now), "SuccessfulCreate", "Created");
    }

    /// Pod `s` of `c` is deleted: the ReplicaSet controller says so, and the
    /// kubelet stops its container.
    pub(super) fn record_deleted(&mut self, c: usize, s: usize, now: SimTime) {
        if !self.keeps_events(c) {
            return;
        }
        self.replicaset_event(c, s, stamp(now), "SuccessfulDelete", "Deleted");
        if self.pods_ref(c).pods[s].phase == PodPhase::Running {
            let msg = format!("Stopping container {}", self.model.components[c].id);
            self.kubelet_event(c, s, stamp(now), EventType::Normal, "Killing", &msg);
        }
    }

    fn replicaset_event(
        &mut self,
        c: usize,
        s: usize,
        at: Stamp,
        reason: &'static str,
        verb: &str,
    ) {
        if !self.keeps_events(c) {
            return;
        }
        let name = self.name_of(c, s);
        // `<deployment>-<template hash>` is the pod name less its suffix.
        let rs = name.rsplit_once('-').map_or(name.as_str(), |(a, _)| a);
        let (object, msg) = (format!("replicaset/{rs}"), format!("{verb} pod: {name}"));
        let host = String::new();
        self.emit(
            c,
            at,
            EventType::Normal,
            reason,
            "replicaset-controller",
            &host,
            &object,
            &msg,
        );
    }

    /// The kubelet starts a container of pod `s` of `c` (`first`: the pod's
    /// first, just scheduled).
    pub(super) fn record_launch(&mut self, c: usize, s: usize, first: bool, now: SimTime) {
        if !self.keeps_events(c) {
            return;
        }
        self.launch_events(c, s, first, stamp(now));
    }

    fn launch_events(&mut self, c: usize, s: usize, first: bool, at: Stamp) {
        let id = self.model.components[c].id.clone();
        if first {
            let (name, node) = (self.name_of(c, s), self.node_name(c, s));
            let msg = format!("Successfully assigned default/{name} to {node}");
            let object = format!("pod/{name}");
            let host = String::new();
            self.emit(
                c,
                at,
                EventType::Normal,
                "Scheduled",
                "default-scheduler",
                &host,
                &object,
                &msg,
            );
        }
        let n = EventType::Normal;
        let pulled = format!("Container image \"{id}:{IMAGE_TAG}\" already present on machine");
        self.kubelet_event(c, s, at, n, "Pulled", &pulled);
        self.kubelet_event(c, s, at, n, "Created", &format!("Created container: {id}"));
        self.kubelet_event(c, s, at, n, "Started", &format!("Started container {id}"));
    }

    /// A pod that existed before the trial: its creation and first start.
    pub(super) fn record_initial_pod(&mut self, c: usize, s: usize) {
        if !self.keeps_events(c) {
            return;
        }
        let at = self.pods_ref(c).pods[s].launched.unwrap_or(0);
        self.replicaset_event(c, s, at, "SuccessfulCreate", "Created");
        self.launch_events(c, s, true, at);
    }

    /// A probe run of pod `s` failed (`killed`: and the container is to be
    /// restarted for it).
    pub(super) fn record_probe_failure(
        &mut self,
        c: usize,
        s: usize,
        kind: ProbeKind,
        killed: bool,
        now: SimTime,
    ) {
        if !self.keeps_events(c) {
            return;
        }
        let (what, lower) = match kind {
            ProbeKind::Startup => ("Startup", "startup"),
            ProbeKind::Readiness => ("Readiness", "readiness"),
            ProbeKind::Liveness => ("Liveness", "liveness"),
        };
        let p = &self.pods_ref(c).pods[s];
        let ip = pod_ip(p.node, p.serial);
        let msg = format!(
            "{what} probe failed: Get \"http://{ip}:8080/healthz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        );
        let at = stamp(now);
        self.kubelet_event(c, s, at, EventType::Warning, "Unhealthy", &msg);
        if killed {
            let id = &self.model.components[c].id;
            let msg = format!("Container {id} failed {lower} probe, will be restarted");
            self.kubelet_event(c, s, at, EventType::Normal, "Killing", &msg);
        }
    }

    /// The kernel OOM-killed pod `s`'s container holding `rss` bytes:
    /// node-problem-detector's kernel monitor reports it on the node.
    pub(super) fn record_oom_kill(&mut self, c: usize, s: usize, rss: u64, now: SimTime) {
        if !self.keeps_events(c) {
            return;
        }
        let node = self.node_name(c, s);
        let p = &self.pods_ref(c).pods[s];
        let kb = rss / 1024;
        // The kubelet's oom_score_adj for a Burstable container
        // (pkg/kubelet/qos/policy.go): 1000 - 1000 x request / node memory.
        let adj = match (
            p.template.resources.memory_request,
            self.cluster.nodes.get(p.node as usize),
        ) {
            (Some(req), Some(n)) if n.memory > 0 => {
                let a = 1000 - (1000u128 * u128::from(req) / u128::from(n.memory)) as i64;
                a.clamp(2, 999)
            }
            _ => 1000,
        };
        let pid = 1000
            + (crate::engine::rng::mix64(u64::from(p.serial) << 32 | u64::from(p.life)) % 30_000);
        let id = &self.model.components[c].id;
        let msg = format!(
            "Memory cgroup out of memory: Killed process {pid} ({id}) total-vm:{kb}kB, anon-rss:{kb}kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:{}kB oom_score_adj:{adj}",
            kb / 512
        );
        let object = format!("node/{node}");
        self.emit(
            c,
            stamp(now),
            EventType::Warning,
            "OOMKilling",
            "kernel-monitor",
            &node,
            &object,
            &msg,
        );
    }

    /// Pod `s`'s back-off wait ends (restart or deletion) at `now`: the
    /// kubelet's BackOff events of the wait.
    pub(super) fn record_backoff(&mut self, c: usize, s: usize, now: SimTime) {
        let Some(w) = self.backoff_wait(c, s) else {
            return;
        };
        if let Some(mut log) = self.pod_set(c).events.take() {
            record_backoff_syncs(&mut log, &w.0, &w.1, &w.2, w.3, w.4, now);
            self.pod_set(c).events = Some(log);
        }
    }

    /// The back-off wait pod `s` of `c` is in, if any: (host, pod,
    /// container, exit, restart).
    pub(super) fn backoff_wait(
        &self,
        c: usize,
        s: usize,
    ) -> Option<(String, String, String, SimTime, SimTime)> {
        let p = &self.pods_ref(c).pods[s];
        if p.phase != PodPhase::BackOff || !self.keeps_events(c) {
            return None;
        }
        let (exit, _) = p.last_exit?;
        Some((
            self.node_name(c, s),
            self.name_of(c, s),
            self.model.components[c].id.clone(),
            exit,
            p.crash.restart_at(),
        ))
    }
}

/// A made-up pod IP (the model has no network): `10.244.<node>.<n>`.
pub(super) fn pod_ip(node: u16, serial: u32) -> String {
    format!(
        "10.244.{}.{}",
        u32::from(node.wrapping_add(1)) % 256,
        2 + serial % 250
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_syncs_run_every_ten_seconds_inside_the_wait() {
        let s = |x: u64| SimTime(x * SimTime::SECOND.0);
        let all: Vec<u64> = backoff_syncs(s(100), s(140), s(1000))
            .map(|t| t.0 / SimTime::SECOND.0)
            .collect();
        assert_eq!(all, vec![100, 110, 120, 130]);
        assert_eq!(backoff_syncs(s(100), s(140), s(115)).count(), 2);
        // An immediate restart has no wait and no BackOff.
        assert_eq!(backoff_syncs(s(100), s(100), s(1000)).count(), 0);
    }

    #[test]
    fn the_backoff_message_names_container_and_pod() {
        let m = backoff_message("web-app", "web-app-abc-xyz");
        assert!(m.starts_with(
            "Back-off restarting failed container web-app in pod web-app-abc-xyz_default("
        ));
        assert_eq!(uid("web-app-abc-xyz").len(), 36);
    }
}
