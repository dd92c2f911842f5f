//! Nodes: what happens when one is lost, where pods fit, and when a
//! container's memory outgrows its limit (domain.md §3).
//!
//! Node loss: the kubelet renews its lease every `heartbeat`; the node
//! lifecycle controller checks every `monitor_period` and marks the node
//! NotReady once no heartbeat came for longer than `monitor_grace`
//! (k8s: pkg/controller/nodelifecycle/node_lifecycle_controller.go). Its pods
//! then turn not Ready (they leave Service endpoints) and the node gets the
//! NoExecute taint; each pod tolerates it for `toleration` (300 s) before it
//! is evicted and its ReplicaSet creates a replacement.
//!
//! Memory: a container uses `baseline + per_in_flight × in flight + leak ×
//! uptime`; above its limit the kernel OOM-kills it (exit 137, reason
//! OOMKilled). Load changes the answer, so the caller asks again whenever the
//! number in flight changes.

use crate::engine::SimTime;
use crate::model::k8s_spec::{MemorySpec, NodePoolSpec, NodeTimings, Resources};

/// Exit code of a container killed by SIGKILL (OOM kill, grace period over): 128 + 9.
pub const EXIT_SIGKILL: i32 = 137;
/// Exit code of a container that exited on SIGTERM: 128 + 15.
pub const EXIT_SIGTERM: i32 = 143;

/// The timeline of one node loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeLoss {
    /// When the node died.
    pub lost_at: SimTime,
    /// Its last heartbeat.
    pub last_heartbeat: SimTime,
    /// When the controller marks it NotReady and its pods not Ready.
    pub not_ready_at: SimTime,
    /// When its pods are evicted and replacements are created.
    pub evicted_at: SimTime,
}

impl NodeLoss {
    /// The timeline for a node lost at `lost_at` whose last heartbeat was at
    /// `last_heartbeat`; monitor checks fall on multiples of `monitor_period`.
    pub fn new(lost_at: SimTime, last_heartbeat: SimTime, t: &NodeTimings) -> Self {
        let silent_until = last_heartbeat + t.monitor_grace;
        // The first check strictly after the grace period ends.
        let p = t.monitor_period.0.max(1);
        let not_ready_at = SimTime((silent_until.0 / p + 1).saturating_mul(p)).max(lost_at);
        NodeLoss {
            lost_at,
            last_heartbeat,
            not_ready_at,
            evicted_at: not_ready_at + t.toleration,
        }
    }

    /// The timeline when heartbeats fall on multiples of `heartbeat` (the
    /// last one at or before the loss).
    pub fn on_grid(lost_at: SimTime, t: &NodeTimings) -> Self {
        let h = t.heartbeat.0.max(1);
        NodeLoss::new(lost_at, SimTime(lost_at.0 / h * h), t)
    }
}

/// One node's allocatable capacity and what its pods have requested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    /// CPU pods may request \[millicores\].
    pub cpu: u64,
    /// Memory pods may request \[bytes\].
    pub memory: u64,
    /// CPU requested by its pods \[millicores\].
    pub cpu_requested: u64,
    /// Memory requested by its pods \[bytes\].
    pub memory_requested: u64,
}

impl Node {
    /// An empty node of the pool; memory is capacity less the hard eviction threshold.
    pub fn from_pool(pool: &NodePoolSpec) -> Self {
        Node {
            cpu: pool.cpu,
            memory: pool.allocatable_memory(),
            cpu_requested: 0,
            memory_requested: 0,
        }
    }

    /// True when a pod with these requests fits (the scheduler's NodeResourcesFit filter).
    pub fn fits(&self, r: &Resources) -> bool {
        self.cpu_requested + r.cpu_request.unwrap_or(0) <= self.cpu
            && self.memory_requested + r.memory_request.unwrap_or(0) <= self.memory
    }

    /// Books a pod's requests on the node.
    pub fn bind(&mut self, r: &Resources) {
        self.cpu_requested += r.cpu_request.unwrap_or(0);
        self.memory_requested += r.memory_request.unwrap_or(0);
    }

    /// Releases a pod's requests.
    pub fn unbind(&mut self, r: &Resources) {
        self.cpu_requested = self
            .cpu_requested
            .saturating_sub(r.cpu_request.unwrap_or(0));
        self.memory_requested = self
            .memory_requested
            .saturating_sub(r.memory_request.unwrap_or(0));
    }

    /// The share of the node left free after placing `r`, the mean of CPU
    /// and memory in [0, 1] (the default LeastAllocated score).
    fn free_share_after(&self, r: &Resources) -> f64 {
        let share = |free: u64, total: u64| {
            if total == 0 {
                0.0
            } else {
                free as f64 / total as f64
            }
        };
        let cpu = self.cpu - self.cpu_requested - r.cpu_request.unwrap_or(0);
        let mem = self.memory - self.memory_requested - r.memory_request.unwrap_or(0);
        (share(cpu, self.cpu) + share(mem, self.memory)) / 2.0
    }
}

/// Where the scheduler puts a pod: among the `up` nodes it fits on, the one
/// left with the most free room (ties: the lowest index); `None` leaves the
/// pod Pending.
pub fn place(nodes: &[Node], up: &[bool], r: &Resources) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, n) in nodes.iter().enumerate() {
        if !up.get(i).copied().unwrap_or(true) || !n.fits(r) {
            continue;
        }
        let score = n.free_share_after(r);
        if best.is_none_or(|(_, b)| score > b) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

/// A container's memory after `uptime` with `in_flight` requests \[bytes\].
pub fn memory_at(m: &MemorySpec, uptime: SimTime, in_flight: u32) -> u64 {
    let leak = (m.leak_per_sec * uptime.as_secs_f64()).floor();
    m.baseline
        .saturating_add(m.per_in_flight.saturating_mul(u64::from(in_flight)))
        .saturating_add(leak.min(u64::MAX as f64) as u64)
}

/// When a container started at `started_at` first uses more than `limit`
/// bytes if `in_flight` stays as it is from `now` on: `now` if it already
/// does, `None` if it never will.
pub fn oom_at(
    m: &MemorySpec,
    started_at: SimTime,
    now: SimTime,
    in_flight: u32,
    limit: u64,
) -> Option<SimTime> {
    let uptime = now.saturating_sub(started_at);
    if memory_at(m, uptime, in_flight) > limit {
        return Some(now);
    }
    if m.leak_per_sec <= 0.0 {
        return None;
    }
    // Memory exceeds the limit once the leak reaches `need` bytes. The float
    // estimate may be a little off, so bracket it and settle by bisection on
    // the first nanosecond of uptime `memory_at` agrees exceeds the limit.
    let fixed = memory_at(m, SimTime::ZERO, in_flight);
    let need = (limit - fixed + 1) as f64;
    let est = SimTime::from_secs_f64(need / m.leak_per_sec).0;
    let slack = est / 1_000_000 + 1_000;
    let over = |t: u64| memory_at(m, SimTime(t), in_flight) > limit;
    let mut hi = est.saturating_add(slack);
    while !over(hi) {
        if hi == u64::MAX {
            return None;
        }
        hi = hi.saturating_mul(2);
    }
    let mut lo = est.saturating_sub(slack).max(uptime.0);
    while lo > uptime.0 && over(lo) {
        lo = uptime.0 + (lo - uptime.0) / 2;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if over(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let t = SimTime(hi);
    Some((started_at + t).max(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MI: u64 = 1 << 20;

    fn s(x: u64) -> SimTime {
        SimTime(x * SimTime::SECOND.0)
    }

    #[test]
    fn node_loss_takes_about_six_minutes_to_replace_pods() {
        let t = NodeTimings::default();
        let loss = NodeLoss::on_grid(s(1003), &t);
        assert_eq!(loss.last_heartbeat, s(1000));
        // 50 s grace ends at 1050 s; the first check after it is at 1055 s.
        assert_eq!(loss.not_ready_at, s(1055));
        assert_eq!(loss.evicted_at, s(1355));
        // Before Kubernetes 1.32 the grace period was 40 s.
        let old = NodeTimings {
            monitor_grace: s(40),
            ..t
        };
        let loss = NodeLoss::on_grid(s(1003), &old);
        assert_eq!((loss.not_ready_at, loss.evicted_at), (s(1045), s(1345)));
        // A heartbeat right before the loss: the full grace period runs from it.
        let loss = NodeLoss::new(s(1009), s(1009), &t);
        assert_eq!(loss.not_ready_at, s(1060));
    }

    #[test]
    fn memory_grows_with_load_and_uptime() {
        let m = MemorySpec {
            baseline: 300 * MI,
            per_in_flight: 2 * MI,
            leak_per_sec: MI as f64,
        };
        assert_eq!(memory_at(&m, s(10), 5), 320 * MI);
        assert_eq!(memory_at(&m, SimTime::ZERO, 0), 300 * MI);
    }

    #[test]
    fn oom_time_is_the_first_nanosecond_over_the_limit() {
        let m = MemorySpec {
            baseline: 300 * MI,
            per_in_flight: 2 * MI,
            leak_per_sec: MI as f64,
        };
        let limit = 512 * MI;
        let start = s(50);
        // 310 Mi at 5 in flight; the leak needs 202 Mi and one byte: ~202 s.
        let t = oom_at(&m, start, start, 5, limit).unwrap();
        let up = t - start;
        assert!(memory_at(&m, up, 5) > limit);
        assert!(memory_at(&m, up - SimTime(1), 5) <= limit);
        assert!((up.as_secs_f64() - 202.0).abs() < 1e-3, "{up}");
        // Asking again later gives the same instant; more load brings it closer.
        assert_eq!(oom_at(&m, start, start + s(100), 5, limit), Some(t));
        assert!(oom_at(&m, start, start, 50, limit).unwrap() < t);
        // Already over: now. No leak and under the limit: never.
        assert_eq!(oom_at(&m, start, s(60), 200, limit), Some(s(60)));
        let steady = MemorySpec {
            leak_per_sec: 0.0,
            ..m
        };
        assert_eq!(oom_at(&steady, start, s(60), 5, limit), None);
        // A very slow leak still lands on an exact nanosecond.
        let slow = MemorySpec {
            leak_per_sec: 1.0 / 3600.0,
            ..m
        };
        let t = oom_at(&slow, SimTime::ZERO, SimTime::ZERO, 0, 300 * MI + 10).unwrap();
        assert!(memory_at(&slow, t, 0) > 300 * MI + 10);
        assert!(memory_at(&slow, t - SimTime(1), 0) <= 300 * MI + 10);
        assert!((t.as_secs_f64() - 11.0 * 3600.0).abs() < 1e-3);
    }

    #[test]
    fn pods_go_to_the_emptiest_node_or_stay_pending() {
        let pool = NodePoolSpec {
            count: 2,
            cpu: 4000,
            memory: 16 << 30,
            eviction_hard_memory: 100 * MI,
            timings: NodeTimings::default(),
        };
        let mut nodes = vec![Node::from_pool(&pool); 2];
        let pod = Resources {
            cpu_request: Some(500),
            memory_request: Some(1 << 30),
            ..Resources::default()
        };
        let up = [true, true];
        assert_eq!(place(&nodes, &up, &pod), Some(0));
        nodes[0].bind(&pod);
        assert_eq!(place(&nodes, &up, &pod), Some(1));
        assert_eq!(place(&nodes, &[false, true], &pod), Some(1));
        let big = Resources {
            memory_request: Some(16 << 30),
            ..Resources::default()
        };
        assert_eq!(place(&nodes, &up, &big), None);
        nodes[0].unbind(&pod);
        assert_eq!(nodes[0].memory_requested, 0);
    }
}
