//! Kubernetes pods in the drill: the lifecycle of each pod of a `pods`
//! component that has a `pod` spec, driven by the pure state machines of
//! [`crate::k8s`].
//!
//! Each pod is a slot of its component's `insts` (the same index), with its
//! [`Pod`] state kept alongside in [`PodSet`]:
//!
//! ```text
//! Pending (no node fits) ─▶ Starting (start_time) ─▶ Running, not Ready ─▶ Ready
//!        ▲                        ▲                       │ readiness probe
//!        │ node lost              │ CrashLoopBackOff       ▼
//!        └─ replacement           └──── BackOff ◀── container exits (OOM 137, liveness, crash)
//! Terminating (scale-down, rollout, eviction): out of endpoints, drains, cut at the grace end
//! ```
//!
//! Traffic reaches a pod only while it is in the Service's endpoints
//! ([`super::sim::Inst::in_endpoints`]), which follow readiness after
//! [`crate::model::workload::Cluster::endpoint_delay`]. Memory is checked on a
//! one-second timer (and when a container starts), not per request: in-flight
//! counts move at millisecond scale, but a container's resident memory does
//! not fall back as fast (allocators keep freed pages), so a per-second
//! sample of `baseline + per_request × in flight + leak × uptime` stands for
//! the cgroup's usage; components without a `pod` spec pay nothing.
//!
//! The Deployment controller (scale, rollout) is in `pods/deploy.rs`, the
//! nodes and the cluster autoscaler in `pods/nodes.rs`, the readings and the
//! `kubectl get pods` table in `pods/view.rs`, the events the kubelet and
//! the controllers emit in `pods/events.rs`, and `kubectl describe pod` and
//! `kubectl get events` in `pods/describe.rs`.

mod canary;
mod cpu;
mod deploy;
mod describe;
mod endpoints;
mod events;
mod faults;
mod nodes;
#[cfg(test)]
mod tests;
mod view;

pub(super) use canary::canary_reading_defs;
pub(super) use cpu::cpu_reading_defs;
pub(super) use nodes::ClusterState;
pub(super) use view::{pod_reading_defs, pod_snapshot};

use rand::RngExt;

use super::sim::{DrillTrial, Ev, Inst};
use crate::engine::SimTime;
use crate::engine::rng::{Purpose, SimRng, named_key, stream};
use crate::k8s::events::Stamp;
use crate::k8s::{CrashLoop, Hpa, Probe};
use crate::model::Component;
use crate::model::k8s_spec::{MemorySpec, ProbeKind, Resources};
use crate::model::workload::Workload;
use crate::scenario::BadRelease;

/// How often the pods' timer checks memory, drains and HPA samples.
const POD_TICK: SimTime = SimTime(SimTime::SECOND.0);
/// The pods that exist when a trial starts have run for a uniform random
/// time below this, and below the uptime at which their leak alone would
/// OOM-kill them (their ages and memory differ, as in a live Deployment).
const HEAD_START: SimTime = SimTime(600 * SimTime::SECOND.0);
/// No node.
const NO_NODE: u16 = u16::MAX;

/// A pod event; `life` names the container (or pod) it was meant for, so a
/// stale event is recognised and dropped.
#[derive(Clone, Copy, Debug)]
pub(super) enum PodEv {
    /// The container's start-up (create, app boot) is over.
    Started { comp: u16, slot: u16, life: u32 },
    /// A startup, readiness or liveness probe is due.
    Probe {
        comp: u16,
        slot: u16,
        life: u32,
        kind: ProbeKind,
    },
    /// The Service's endpoints catch up with the pod's readiness.
    Endpoint { comp: u16, slot: u16 },
    /// The CrashLoopBackOff wait is over: the kubelet starts the container.
    Restart { comp: u16, slot: u16, life: u32 },
    /// SIGKILL after a liveness failure's grace period.
    Kill { comp: u16, slot: u16, life: u32 },
    /// A terminating pod's grace period is over (`life` is the pod's serial).
    GraceEnd { comp: u16, slot: u16, life: u32 },
    /// The component's one-second timer.
    Tick { comp: u16 },
    /// An HPA reconciliation.
    HpaSync { comp: u16 },
    /// A container's CPU: a call's work is done, its quota is spent or its
    /// CFS period ends.
    Cpu { comp: u16, slot: u16, life: u32 },
    /// The measured window starts: the CPU readings count from here.
    CpuWindow,
    /// The canary controller's one-second timer.
    CanaryTick { comp: u16 },
    /// A node-pool event (loss detection, eviction, new node, autoscaler scan).
    Node(nodes::NodeEv),
}

/// Where a pod is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PodPhase {
    /// Free slot (no pod).
    Gone,
    /// Not scheduled: no node fits its memory request.
    Pending,
    /// Its container is starting (create, app boot).
    Starting,
    /// Its container runs.
    Running,
    /// Its container exited and waits out CrashLoopBackOff.
    BackOff,
}

/// Why the last container exited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ExitReason {
    /// Over its memory limit: exit 137, reason OOMKilled.
    OomKilled,
    /// Reason Error with this exit code: 137 when SIGKILLed after failing
    /// its liveness probe, 1 when the app crashed.
    Error(i32),
}

impl ExitReason {
    /// The container's exit code.
    pub(super) fn exit_code(self) -> i32 {
        match self {
            ExitReason::OomKilled => crate::k8s::node::EXIT_SIGKILL,
            ExitReason::Error(code) => code,
        }
    }

    /// The `reason` of its Terminated state.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            ExitReason::OomKilled => "OOMKilled",
            ExitReason::Error(_) => "Error",
        }
    }
}

/// An app crash's exit code.
pub(super) const EXIT_CRASH: i32 = 1;

/// A container that ran and exited (`kubectl describe`'s Terminated state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Termination {
    pub(super) started: Stamp,
    pub(super) finished: Stamp,
    pub(super) reason: ExitReason,
}

/// The pod template parts the drill uses (one per revision).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Template {
    pub(super) resources: Resources,
    pub(super) memory: Option<MemorySpec>,
    /// What is wrong with this version, if it is a bad release.
    pub(super) bad: BadRelease,
}

/// One pod.
#[derive(Clone, Debug)]
pub(super) struct Pod {
    pub(super) phase: PodPhase,
    /// Deleted: leaving endpoints, draining, killed at the grace end.
    pub(super) terminating: bool,
    /// Its container (bumped at every start and exit).
    pub(super) life: u32,
    /// Which pod this is (names it, and its pod-level timers).
    pub(super) serial: u32,
    pub(super) revision: u32,
    pub(super) template: Template,
    pub(super) created: SimTime,
    /// For the pods that existed before the trial: how long before it they
    /// (and their first container) started.
    pub(super) head_start: SimTime,
    /// Age before the trial (for AGE; kept across restarts).
    pub(super) age_before: SimTime,
    pub(super) started_at: SimTime,
    pub(super) node: u16,
    pub(super) restarts: u32,
    pub(super) last_exit: Option<(SimTime, ExitReason)>,
    /// When the kubelet started its current (or last) container.
    pub(super) launched: Option<Stamp>,
    /// Its last two terminated containers, the latest first.
    pub(super) terms: [Option<Termination>; 2],
    pub(super) crash: CrashLoop,
    pub(super) readiness: Option<Probe>,
    pub(super) liveness: Option<Probe>,
    /// The startup probe, until it passes (the other two wait for it).
    pub(super) startup: Option<Probe>,
    /// The pod's Ready condition (what the endpoints will follow).
    pub(super) ready: bool,
    /// A scenario crash is active: the container crashes at every start.
    pub(super) crashing: bool,
    /// HPA samples since the last sync: sum and count.
    pub(super) metric: (f64, u32),
    /// Its container's CPU, when the template gives one (`pods/cpu.rs`).
    pub(super) cpu: Option<Box<cpu::PodCpu>>,
    /// Calls it answered, ok and failed, since the canary's last measurement.
    pub(super) calls: (u64, u64),
}

impl Pod {
    fn gone() -> Pod {
        Pod {
            phase: PodPhase::Gone,
            terminating: false,
            life: 0,
            serial: 0,
            revision: 0,
            template: Template {
                resources: Resources::default(),
                memory: None,
                bad: BadRelease::default(),
            },
            created: SimTime::ZERO,
            head_start: SimTime::ZERO,
            age_before: SimTime::ZERO,
            started_at: SimTime::ZERO,
            node: NO_NODE,
            restarts: 0,
            last_exit: None,
            launched: None,
            terms: [None, None],
            crash: CrashLoop::new(),
            readiness: None,
            liveness: None,
            startup: None,
            ready: false,
            crashing: false,
            metric: (0.0, 0),
            cpu: None,
            calls: (0, 0),
        }
    }

    /// True while the pod exists and is not being deleted.
    pub(super) fn counts(&self) -> bool {
        self.phase != PodPhase::Gone && !self.terminating
    }

    /// Its memory now, if modelled \[bytes\].
    pub(super) fn memory(&self, x: &Inst, now: SimTime) -> Option<u64> {
        let m = self.template.memory.as_ref()?;
        (self.phase == PodPhase::Running).then(|| {
            crate::k8s::memory_at(
                m,
                now.saturating_sub(self.started_at) + self.head_start,
                x.busy + x.queue.len() as u32,
            )
        })
    }
}

/// The pods of one component and its Deployment's state.
pub(super) struct PodSet {
    pub(super) pods: Vec<Pod>,
    /// Replicas the Deployment wants (scale, HPA).
    pub(super) desired: u32,
    /// The current template revision and its template.
    pub(super) revision: u32,
    pub(super) template: Template,
    pub(super) hpa: Option<Hpa>,
    /// Pods created so far (for names).
    pub(super) serial: u32,
    pub(super) next_life: u32,
    /// Slots in the Service's endpoints.
    pub(super) endpoints: u32,
    /// Container restarts so far.
    pub(super) restarts: u64,
    pub(super) rng: SimRng,
    /// A Deployment sync is running (see `reconcile`).
    pub(super) reconciling: bool,
    /// The memory of the containers OOM-killed since the last bin ended,
    /// the highest [bytes] (0 when none): the peak a reading at the bin's
    /// end would miss.
    pub(super) oom_peak: u64,
    /// A canary rollout, running or aborted (`pods/canary.rs`).
    pub(super) canary: Option<Box<canary::CanaryRun>>,
    /// The events of its pods, kept when the trial takes `--at` snapshots.
    pub(super) events: Option<Box<crate::k8s::events::EventLog>>,
}

impl PodSet {
    /// The pod state of `c`, if it has a `pod` spec.
    pub(super) fn new(c: &Component, seed: u64) -> Option<Box<PodSet>> {
        let w = c.workload.as_deref()?;
        Some(Box::new(PodSet {
            pods: Vec::new(),
            desired: c.instances,
            revision: 0,
            template: Template {
                resources: w.pod.resources,
                memory: w.pod.memory,
                bad: BadRelease::default(),
            },
            hpa: w.hpa.clone().map(Hpa::new),
            serial: 0,
            next_life: 0,
            endpoints: 0,
            restarts: 0,
            rng: stream(seed, named_key(&format!("{}.pods", c.id), 0), Purpose::Misc),
            reconciling: false,
            oom_peak: 0,
            canary: None,
            events: None,
        }))
    }

    fn next_life(&mut self) -> u32 {
        self.next_life = self.next_life.wrapping_add(1);
        self.next_life
    }
}

fn ev(p: PodEv) -> Ev {
    Ev::Pod(p)
}

impl<'m> DrillTrial<'m> {
    fn workload(&self, c: usize) -> &'m Workload {
        self.model.components[c]
            .workload
            .as_deref()
            .expect("pods with a pod spec")
    }

    fn pods_ref(&self, c: usize) -> &PodSet {
        self.comps[c].pods.as_deref().expect("pods with a pod spec")
    }

    fn pod_set(&mut self, c: usize) -> &mut PodSet {
        self.comps[c]
            .pods
            .as_deref_mut()
            .expect("pods with a pod spec")
    }

    /// Creates the initial pods, Running and Ready from the start (the
    /// Deployment existed before the trial), and starts the timers.
    pub(super) fn start_pods(&mut self) {
        for c in 0..self.comps.len() {
            if self.comps[c].pods.is_none() {
                continue;
            }
            let n = self.comps[c].pods.as_ref().map_or(0, |p| p.desired);
            if !self.snapshot_at.is_empty() {
                self.pod_set(c).events = Some(Box::default());
            }
            // Slots are pods from here on, created one by one.
            let comp = &mut self.comps[c];
            comp.insts.clear();
            comp.active = 0;
            comp.recount_up();
            for _ in 0..n {
                let slot = self.new_pod(c, SimTime::ZERO, true);
                if self.pod_set(c).pods[slot].phase == PodPhase::Pending {
                    continue;
                }
                self.container_up(c, slot, SimTime::ZERO);
                let ps = self.pod_set(c);
                // The Deployment ran before the trial: pods of uneven ages.
                let p = &ps.pods[slot];
                let life = match (p.template.memory, p.template.resources.memory_limit) {
                    (Some(m), Some(limit)) => {
                        crate::k8s::oom_at(&m, SimTime::ZERO, SimTime::ZERO, 0, limit)
                            .unwrap_or(HEAD_START)
                            .min(HEAD_START)
                    }
                    _ => HEAD_START,
                };
                let head_start = SimTime(ps.rng.random_range(0..life.0.max(1)));
                let p = &mut ps.pods[slot];
                p.head_start = head_start;
                p.age_before = head_start;
                p.ready = true;
                p.launched = Some(-(head_start.0 as Stamp));
                if let Some(r) = p.readiness.as_mut() {
                    // Seed the probe with a pass so it starts Ready.
                    let at = r.first_probe_at();
                    r.on_result(at, true);
                }
                self.set_endpoint(c, slot, true);
                self.record_initial_pod(c, slot);
            }
            self.queue
                .schedule(POD_TICK, ev(PodEv::Tick { comp: c as u16 }));
            if let Some(h) = &self.comps[c].pods.as_ref().and_then(|p| p.hpa.as_ref()) {
                let at = h.spec().sync_period;
                self.queue
                    .schedule(at, ev(PodEv::HpaSync { comp: c as u16 }));
            }
        }
        self.start_nodes();
        if self.model.components.iter().any(cpu::has_cpu) {
            self.queue.schedule(self.start, ev(PodEv::CpuWindow));
        }
    }

    /// Handles a pod event.
    pub(super) fn on_pod_event(&mut self, e: PodEv, now: SimTime) {
        match e {
            PodEv::Started { comp, slot, life } => {
                let (c, s) = (comp as usize, slot as usize);
                if self.current(c, s, life) && self.pod_set(c).pods[s].phase == PodPhase::Starting {
                    self.container_started(c, s, now);
                }
            }
            PodEv::Probe {
                comp,
                slot,
                life,
                kind,
            } => {
                let (c, s) = (comp as usize, slot as usize);
                if self.current(c, s, life) {
                    self.on_probe(c, s, kind, now);
                }
            }
            PodEv::Endpoint { comp, slot } => self.on_endpoint(comp as usize, slot as usize, now),
            PodEv::Restart { comp, slot, life } => {
                let (c, s) = (comp as usize, slot as usize);
                if self.current(c, s, life) && self.pod_set(c).pods[s].phase == PodPhase::BackOff {
                    self.record_backoff(c, s, now);
                    let ps = self.pod_set(c);
                    ps.pods[s].restarts += 1;
                    ps.restarts += 1;
                    self.start_container(c, s, now);
                }
            }
            PodEv::Kill { comp, slot, life } => {
                let (c, s) = (comp as usize, slot as usize);
                if self.current(c, s, life) && self.pod_set(c).pods[s].phase == PodPhase::Running {
                    let code = crate::k8s::node::EXIT_SIGKILL;
                    self.container_exit(c, s, ExitReason::Error(code), now);
                }
            }
            PodEv::GraceEnd { comp, slot, life } => {
                let (c, s) = (comp as usize, slot as usize);
                let p = &self.pod_set(c).pods[s];
                if p.serial == life && p.terminating && p.phase != PodPhase::Gone {
                    self.remove_pod(c, s, now);
                }
            }
            PodEv::Tick { comp } => self.on_pod_tick(comp as usize, now),
            PodEv::HpaSync { comp } => self.on_hpa_sync(comp as usize, now),
            PodEv::Cpu { comp, slot, life } => {
                self.on_cpu(comp as usize, slot as usize, life, now);
            }
            PodEv::CpuWindow => self.cpu_window_starts(now),
            PodEv::CanaryTick { comp } => self.on_canary_tick(comp as usize, now),
            PodEv::Node(n) => self.on_node_event(n, now),
        }
    }

    fn current(&mut self, c: usize, s: usize, life: u32) -> bool {
        self.pod_set(c).pods.get(s).is_some_and(|p| p.life == life)
    }

    /// A new pod of the current revision in a free slot (or a new one):
    /// scheduled on a node and starting, or Pending.
    pub(super) fn new_pod(&mut self, c: usize, now: SimTime, initial: bool) -> usize {
        let ps = self.pods_ref(c);
        let (rev, template) = (ps.revision, ps.template);
        self.create_pod(c, now, initial, rev, template)
    }

    /// A new pod of revision `rev` with `template`, starting or Pending.
    pub(super) fn new_pod_of(&mut self, c: usize, now: SimTime, rev: u32, template: Template) {
        self.create_pod(c, now, false, rev, template);
    }

    fn create_pod(
        &mut self,
        c: usize,
        now: SimTime,
        initial: bool,
        rev: u32,
        template: Template,
    ) -> usize {
        let ps = self.pod_set(c);
        ps.serial += 1;
        let mut pod = Pod::gone();
        pod.serial = ps.serial;
        pod.revision = rev;
        pod.template = template;
        pod.crashing = template.bad.crash;
        pod.created = now;
        pod.phase = PodPhase::Pending;
        let slot = match ps.pods.iter().position(|p| p.phase == PodPhase::Gone) {
            Some(s) => {
                ps.pods[s] = pod;
                s
            }
            None => {
                ps.pods.push(pod);
                let comp = &mut self.comps[c];
                comp.insts.push(Inst::fresh());
                comp.active = comp.insts.len() as u32;
                let x = comp.insts.last_mut().expect("pushed");
                x.up = false;
                x.in_endpoints = false;
                comp.recount_up();
                comp.insts.len() - 1
            }
        };
        // A bad release's pods fail or slow their calls.
        let x = &mut self.comps[c].insts[slot];
        x.errors = template.bad.errors;
        x.slow = template.bad.slowdown;
        let n = self.comps[c].insts.len();
        if let Some(h) = &mut self.comps[c].lb_health
            && let Some(first) = h.first().cloned()
        {
            h.resize(n, first);
        }
        if !initial {
            self.record_created(c, slot, now);
        }
        if self.bind_pod(c, slot) && !initial {
            self.start_container(c, slot, now);
        }
        slot
    }

    /// The kubelet starts the container: it runs after the start-up time.
    pub(super) fn start_container(&mut self, c: usize, s: usize, now: SimTime) {
        let start = self.workload(c).pod.start_time.clone();
        let ps = self.pod_set(c);
        let life = ps.next_life();
        let took = start.map_or(SimTime::ZERO, |d| d.sample(&mut ps.rng));
        let p = &mut ps.pods[s];
        p.life = life;
        p.phase = PodPhase::Starting;
        let first = p.launched.is_none();
        p.launched = Some(now.0 as Stamp);
        self.record_launch(c, s, first, now);
        self.queue.schedule(
            now + took,
            ev(PodEv::Started {
                comp: c as u16,
                slot: s as u16,
                life,
            }),
        );
    }

    /// Start-up is over: the app answers (unless it crashes at once).
    fn container_started(&mut self, c: usize, s: usize, now: SimTime) {
        if self.pod_set(c).pods[s].crashing {
            self.pod_set(c).pods[s].phase = PodPhase::Running;
            return self.container_exit(c, s, ExitReason::Error(EXIT_CRASH), now);
        }
        self.container_up(c, s, now);
        if let Some(limit) = self.pod_set(c).pods[s].template.resources.memory_limit {
            let p = &self.pods_ref(c).pods[s];
            if p.memory(&self.comps[c].insts[s], now)
                .is_some_and(|m| m > limit)
            {
                return self.container_exit(c, s, ExitReason::OomKilled, now);
            }
        }
        let p = &self.pod_set(c).pods[s];
        if p.readiness.is_none() && p.startup.is_none() {
            self.pod_set(c).pods[s].ready = true;
            self.schedule_endpoint(c, s, now);
            self.reconcile(c, now);
        }
    }

    /// The container runs from `now`: it takes connections, its probes start.
    fn container_up(&mut self, c: usize, s: usize, now: SimTime) {
        let pod_spec = &self.workload(c).pod;
        let (rs, ls, ss) = (
            pod_spec.readiness_probe,
            pod_spec.liveness_probe,
            pod_spec.startup_probe,
        );
        self.touch(c, now);
        let comp = &mut self.comps[c];
        let x = &mut comp.insts[s];
        x.up = true;
        x.held = false;
        comp.recount_up();
        self.cpu_container_up(c, s, now);
        let ps = self.pod_set(c);
        let life = ps.pods[s].life;
        let p = &mut ps.pods[s];
        p.phase = PodPhase::Running;
        p.started_at = now;
        p.head_start = SimTime::ZERO;
        p.ready = false;
        p.readiness = rs.map(|r| Probe::new(ProbeKind::Readiness, r, now));
        p.liveness = ls.map(|l| Probe::new(ProbeKind::Liveness, l, now));
        p.startup = ss.map(|x| Probe::new(ProbeKind::Startup, x, now));
        // A startup probe holds off the other two until it passes (§2).
        let kinds: &[ProbeKind] = if p.startup.is_some() {
            &[ProbeKind::Startup]
        } else {
            &[ProbeKind::Readiness, ProbeKind::Liveness]
        };
        self.schedule_first_probes(c, s, life, kinds, now);
    }

    /// Schedules the first run of each of `kinds` the pod has, at its
    /// initial delay after the container started or at `now`, if later.
    pub(super) fn schedule_first_probes(
        &mut self,
        c: usize,
        s: usize,
        life: u32,
        kinds: &[ProbeKind],
        now: SimTime,
    ) {
        for &kind in kinds {
            let p = &self.pods_ref(c).pods[s];
            let probe = match kind {
                ProbeKind::Startup => &p.startup,
                ProbeKind::Readiness => &p.readiness,
                ProbeKind::Liveness => &p.liveness,
            };
            if let Some(at) = probe.as_ref().map(|x| x.first_probe_at().max(now)) {
                self.queue.schedule(
                    at,
                    ev(PodEv::Probe {
                        comp: c as u16,
                        slot: s as u16,
                        life,
                        kind,
                    }),
                );
            }
        }
    }

    fn in_flight(&self, c: usize, s: usize) -> u32 {
        let x = &self.comps[c].insts[s];
        x.busy + x.queue.len() as u32
    }

    /// The container exits: its calls fail, and the kubelet restarts it
    /// after the CrashLoopBackOff wait (or the pod ends if it was deleted).
    pub(super) fn container_exit(&mut self, c: usize, s: usize, why: ExitReason, now: SimTime) {
        if why == ExitReason::OomKilled {
            let m = self.pods_ref(c).pods[s].memory(&self.comps[c].insts[s], now);
            let ps = self.pod_set(c);
            ps.oom_peak = ps.oom_peak.max(m.unwrap_or(0));
            self.record_oom_kill(c, s, m.unwrap_or(0), now);
        }
        if self.comps[c].insts[s].up {
            self.fail_instance_calls(c, s, now);
        }
        self.cpu_container_down(c, s, now);
        let comp = &mut self.comps[c];
        comp.insts[s].up = false;
        comp.insts[s].held = false;
        comp.recount_up();
        let policy = self.workload(c).pod.restart_policy;
        let ps = self.pod_set(c);
        let life = ps.next_life();
        let p = &mut ps.pods[s];
        p.life = life;
        p.ready = false;
        p.last_exit = Some((now, why));
        p.terms = [
            Some(Termination {
                started: p.launched.unwrap_or(0),
                finished: now.0 as Stamp,
                reason: why,
            }),
            p.terms[0],
        ];
        let terminating = p.terminating;
        if terminating || !policy.restarts(why.exit_code()) {
            return self.remove_pod(c, s, now);
        }
        p.phase = PodPhase::BackOff;
        let at = p.crash.on_exit(now);
        self.schedule_endpoint(c, s, now);
        self.queue.schedule(
            at,
            ev(PodEv::Restart {
                comp: c as u16,
                slot: s as u16,
                life,
            }),
        );
    }

    /// Deletes a pod: it leaves the endpoints and drains, and is cut at the
    /// grace end; a pod without a running container goes at once.
    pub(super) fn delete_pod(&mut self, c: usize, s: usize, now: SimTime) {
        let grace = self.workload(c).pod.termination_grace;
        let p = &mut self.pod_set(c).pods[s];
        if !p.counts() {
            return;
        }
        p.terminating = true;
        self.record_deleted(c, s, now);
        if self.pods_ref(c).pods[s].phase != PodPhase::Running {
            return self.remove_pod(c, s, now);
        }
        let p = &self.pods_ref(c).pods[s];
        let serial = p.serial;
        self.schedule_endpoint(c, s, now);
        self.queue.schedule(
            now + grace,
            ev(PodEv::GraceEnd {
                comp: c as u16,
                slot: s as u16,
                life: serial,
            }),
        );
    }

    /// The pod is gone: calls still running are cut, its node is freed.
    pub(super) fn remove_pod(&mut self, c: usize, s: usize, now: SimTime) {
        if self.pods_ref(c).pods[s].phase == PodPhase::BackOff {
            self.record_backoff(c, s, now);
        }
        if self.comps[c].insts[s].up {
            self.fail_instance_calls(c, s, now);
        }
        self.set_endpoint(c, s, false);
        self.cpu_container_down(c, s, now);
        let comp = &mut self.comps[c];
        comp.insts[s].up = false;
        comp.insts[s].held = false;
        comp.recount_up();
        self.unbind_pod(c, s);
        let ps = self.pod_set(c);
        let life = ps.next_life();
        ps.pods[s].life = life;
        ps.pods[s].phase = PodPhase::Gone;
        self.reconcile(c, now);
        self.schedule_pending(now);
    }

    /// Every second: memory (OOM kills), drained pods, HPA samples.
    fn on_pod_tick(&mut self, c: usize, now: SimTime) {
        self.queue
            .schedule(now + POD_TICK, ev(PodEv::Tick { comp: c as u16 }));
        let workers = self.comps[c].workers.max(1) as f64;
        let cpu = self
            .workload(c)
            .hpa
            .as_ref()
            .is_some_and(|h| h.metric.is_cpu());
        for s in 0..self.pod_set(c).pods.len() {
            let x = &self.comps[c].insts[s];
            let (busy, in_flight) = (x.busy, x.busy + x.queue.len() as u32);
            let in_endpoints = x.in_endpoints;
            let p = &self.pods_ref(c).pods[s];
            if p.phase != PodPhase::Running {
                continue;
            }
            let over = p.template.resources.memory_limit.is_some_and(|limit| {
                p.memory(&self.comps[c].insts[s], now)
                    .is_some_and(|m| m > limit)
            });
            if over {
                self.container_exit(c, s, ExitReason::OomKilled, now);
                continue;
            }
            if p.terminating && in_flight == 0 && !in_endpoints {
                self.remove_pod(c, s, now);
                continue;
            }
            let used = self.cpu_tick(c, s, now);
            let p = &mut self.pod_set(c).pods[s];
            let v = match (cpu, used) {
                // CPU utilisation: usage over the request (pods with a CPU).
                (true, Some(u)) => u,
                (true, None) => 100.0 * busy as f64 / workers,
                (false, _) => in_flight as f64,
            };
            p.metric.0 += v;
            p.metric.1 += 1;
        }
    }
}
