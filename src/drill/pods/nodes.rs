//! The node pool in the drill (`[cluster]`): pods are placed by the
//! scheduler's fit and score ([`crate::k8s::node::place`]); a node crash
//! (a scenario fault on a node group) takes its pods' containers at once,
//! the node is marked NotReady and its pods leave the endpoints after the
//! node controller's grace, and they are evicted and replaced after the
//! toleration ([`NodeLoss`], domain.md §3); a cluster autoscaler adds a node
//! after its provisioning delay while pods stay Pending.
//!
//! Node `i` stands for the `i`-th group of kind `node` in the model (so the
//! scenario's `fault = "crash", target = "node-1"` reaches it); nodes beyond
//! those, and those the autoscaler adds, are named `node-<n>`. A model
//! without `[cluster]` gets one node that fits every pod and stands for no
//! group.

use super::{NO_NODE, PodEv, PodPhase, ev};
use crate::drill::sim::DrillTrial;
use crate::engine::SimTime;
use crate::k8s::node::{Node, NodeLoss, place};
use crate::model::workload::{Cluster, ClusterAutoscaler};
use crate::model::{GroupKind, Model};

/// A node-pool event; `life` names the node's life it was meant for.
#[derive(Clone, Copy, Debug)]
pub(in crate::drill) enum NodeEv {
    /// The node controller marks a lost node NotReady.
    NotReady { node: u16, life: u32 },
    /// The pods of a lost node are evicted.
    Evict { node: u16, life: u32 },
    /// A node the autoscaler asked for is Ready.
    Added,
    /// The cluster autoscaler looks for Pending pods.
    Scan,
}

/// The nodes of the trial.
pub(in crate::drill) struct ClusterState {
    pub(super) nodes: Vec<Node>,
    pub(super) up: Vec<bool>,
    pub(super) life: Vec<u32>,
    /// The model group each node stands for, if any.
    pub(super) group: Vec<Option<usize>>,
    pub(in crate::drill) names: Vec<String>,
    /// Nodes asked of the autoscaler, not yet Ready.
    pub(super) provisioning: u32,
    pub(super) spec: Cluster,
    /// Per node, whether its pods want more CPU than it has (grown on use).
    pub(super) cpu_short: Vec<bool>,
}

impl ClusterState {
    /// The nodes of `model`, or one node that fits everything when it has
    /// no `[cluster]`.
    pub(in crate::drill) fn new(model: &Model) -> Box<ClusterState> {
        let spec = model.cluster.clone().unwrap_or_else(Cluster::unbounded);
        // Without `[cluster]` the one node stands for no group: a node
        // group's crash then reaches the pods placed on it one by one.
        let node_groups: Vec<usize> = (0..model.groups.len())
            .filter(|&g| model.cluster.is_some() && model.groups[g].kind == GroupKind::Node)
            .collect();
        let n = spec.nodes.count as usize;
        Box::new(ClusterState {
            nodes: vec![Node::from_pool(&spec.nodes); n],
            up: vec![true; n],
            life: vec![0; n],
            group: (0..n).map(|i| node_groups.get(i).copied()).collect(),
            names: (0..n)
                .map(|i| match node_groups.get(i) {
                    Some(&g) => model.groups[g].id.clone(),
                    None => format!("node-{}", i + 1),
                })
                .collect(),
            provisioning: 0,
            spec,
            cpu_short: Vec::new(),
        })
    }

    /// The node standing for model group `g`.
    pub(in crate::drill) fn node_of_group(&self, g: usize) -> Option<usize> {
        self.group.iter().position(|&x| x == Some(g))
    }

    fn autoscaler(&self) -> Option<ClusterAutoscaler> {
        self.spec.autoscaler
    }
}

impl DrillTrial<'_> {
    pub(super) fn endpoint_delay(&self) -> SimTime {
        self.cluster.spec.endpoint_delay
    }

    pub(super) fn start_nodes(&mut self) {
        if let Some(a) = self.cluster.autoscaler() {
            self.queue
                .schedule(a.scan_interval, ev(PodEv::Node(NodeEv::Scan)));
        }
    }

    /// Schedules pod `s` of `c` on a node; false leaves it Pending.
    ///
    /// Among the nodes it fits on, those with the fewest pods of the same
    /// Deployment come first (the scheduler's default topology spread over
    /// `kubernetes.io/hostname`, k8s: pkg/scheduler/framework/plugins/
    /// podtopologyspread, `systemDefaultConstraints`), then the
    /// LeastAllocated score of [`place`] decides.
    pub(super) fn bind_pod(&mut self, c: usize, s: usize) -> bool {
        let r = self.pods_ref(c).pods[s].template.resources;
        let ps = self.pods_ref(c);
        let cl = &self.cluster;
        let count = |n: usize| {
            ps.pods
                .iter()
                .filter(|p| p.phase != PodPhase::Gone && p.node == n as u16)
                .count()
        };
        let fits: Vec<usize> = (0..cl.nodes.len())
            .filter(|&n| cl.up[n] && cl.nodes[n].fits(&r))
            .collect();
        let Some(fewest) = fits.iter().map(|&n| count(n)).min() else {
            return false;
        };
        let mut eligible = vec![false; cl.nodes.len()];
        for &n in fits.iter().filter(|&&n| count(n) == fewest) {
            eligible[n] = true;
        }
        let cl = &mut self.cluster;
        let Some(n) = place(&cl.nodes, &eligible, &r) else {
            return false;
        };
        cl.nodes[n].bind(&r);
        let p = &mut self.pod_set(c).pods[s];
        p.node = n as u16;
        p.phase = PodPhase::Starting;
        true
    }

    pub(super) fn unbind_pod(&mut self, c: usize, s: usize) {
        let p = &mut self.pod_set(c).pods[s];
        let (node, r) = (
            std::mem::replace(&mut p.node, NO_NODE),
            p.template.resources,
        );
        if node != NO_NODE {
            self.cluster.nodes[node as usize].unbind(&r);
        }
    }

    /// Places Pending pods (oldest first) where they now fit.
    pub(super) fn schedule_pending(&mut self, now: SimTime) {
        for c in 0..self.comps.len() {
            let Some(ps) = self.comps[c].pods.as_deref() else {
                continue;
            };
            let mut pending: Vec<(u32, usize)> = ps
                .pods
                .iter()
                .enumerate()
                .filter(|(_, p)| p.counts() && p.phase == PodPhase::Pending)
                .map(|(s, p)| (p.serial, s))
                .collect();
            pending.sort_unstable();
            for (_, s) in pending {
                if self.bind_pod(c, s) {
                    self.start_container(c, s, now);
                }
            }
        }
    }

    /// A node group crashed: node `n` dies with its pods' containers.
    pub(in crate::drill) fn node_down(&mut self, n: usize, now: SimTime) {
        if !self.cluster.up[n] {
            return;
        }
        self.cluster.up[n] = false;
        self.cluster.life[n] += 1;
        let life = self.cluster.life[n];
        for c in 0..self.comps.len() {
            for s in self.pods_on(c, n) {
                if self.comps[c].insts[s].up {
                    self.fail_instance_calls(c, s, now);
                }
                let comp = &mut self.comps[c];
                comp.insts[s].up = false;
                comp.recount_up();
                // The kubelet is gone: no probes, no status until NotReady.
                let ps = self.pod_set(c);
                let g = ps.next_life();
                ps.pods[s].life = g;
            }
        }
        let loss = NodeLoss::on_grid(now, &self.cluster.spec.nodes.timings);
        let node = n as u16;
        self.queue.schedule(
            loss.not_ready_at,
            ev(PodEv::Node(NodeEv::NotReady { node, life })),
        );
        self.queue.schedule(
            loss.evicted_at,
            ev(PodEv::Node(NodeEv::Evict { node, life })),
        );
    }

    /// A crashed node is back: the kubelet restarts the pods still bound to it.
    pub(in crate::drill) fn node_up(&mut self, n: usize, now: SimTime) {
        if self.cluster.up[n] {
            return;
        }
        self.cluster.up[n] = true;
        self.cluster.life[n] += 1;
        for c in 0..self.comps.len() {
            for s in self.pods_on(c, n) {
                self.start_container(c, s, now);
            }
        }
        self.schedule_pending(now);
    }

    fn pods_on(&self, c: usize, n: usize) -> Vec<usize> {
        self.comps[c].pods.as_deref().map_or(Vec::new(), |ps| {
            (0..ps.pods.len())
                .filter(|&s| ps.pods[s].phase != PodPhase::Gone && ps.pods[s].node == n as u16)
                .collect()
        })
    }

    pub(super) fn on_node_event(&mut self, e: NodeEv, now: SimTime) {
        match e {
            NodeEv::NotReady { node, life } if self.cluster.life[node as usize] == life => {
                for c in 0..self.comps.len() {
                    for s in self.pods_on(c, node as usize) {
                        self.pod_set(c).pods[s].ready = false;
                        self.schedule_endpoint(c, s, now);
                    }
                }
            }
            NodeEv::Evict { node, life } if self.cluster.life[node as usize] == life => {
                for c in 0..self.comps.len() {
                    for s in self.pods_on(c, node as usize) {
                        self.remove_pod(c, s, now);
                    }
                }
            }
            NodeEv::Added => {
                let cl = &mut self.cluster;
                cl.provisioning -= 1;
                cl.nodes.push(Node::from_pool(&cl.spec.nodes));
                cl.up.push(true);
                cl.life.push(0);
                cl.group.push(None);
                cl.names.push(format!("node-{}", cl.nodes.len()));
                self.schedule_pending(now);
            }
            NodeEv::Scan => {
                let Some(a) = self.cluster.autoscaler() else {
                    return;
                };
                self.queue
                    .schedule(now + a.scan_interval, ev(PodEv::Node(NodeEv::Scan)));
                let pending = self.comps.iter().any(|comp| {
                    comp.pods.as_deref().is_some_and(|ps| {
                        ps.pods
                            .iter()
                            .any(|p| p.counts() && p.phase == PodPhase::Pending)
                    })
                });
                let cl = &mut self.cluster;
                // One node at a time: wait for the last one before asking again.
                if pending && cl.provisioning == 0 && (cl.nodes.len() as u32) < a.max_nodes {
                    cl.provisioning += 1;
                    self.queue
                        .schedule(now + a.provisioning, ev(PodEv::Node(NodeEv::Added)));
                }
            }
            NodeEv::NotReady { .. } | NodeEv::Evict { .. } => {}
        }
    }
}
