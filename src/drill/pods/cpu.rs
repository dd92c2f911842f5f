//! CPU for pods whose template gives `resources.requests.cpu` or
//! `limits.cpu`: a call's service time is CPU time, run by the container's
//! [`Cpu`] (processor sharing, CFS quota), and the pods placed on one node
//! share its cores by their requests when together they want more than it
//! has ([`share_node`]). Pods without a CPU spec keep the plain worker
//! model and pay nothing here.
//!
//! Each container with a CPU has at most one pending [`PodEv::Cpu`] event,
//! at its [`Cpu::next_event`]; every change of its threads or its node
//! share re-schedules it. The HPA's CPU utilisation and `kubectl top pods`
//! read the containers' cumulative usage: usage over the request, as the
//! controller computes it from metrics-server (domain.md §5, §21).

use super::{NO_NODE, PodEv, ev};
use crate::drill::readings::ReadingDef;
use crate::drill::sim::DrillTrial;
use crate::engine::SimTime;
use crate::k8s::cpu::{Cpu, share_node, shares_of};
use crate::model::Model;

/// metrics-server's resolution in its shipped manifest (15 s, domain.md
/// §21): `kubectl top` shows the usage between its last two scrapes.
pub(super) const SCRAPE: SimTime = SimTime(15 * SimTime::SECOND.0);

/// A node with this many cores or more is never short (the one node of a
/// model without `[cluster]` has `u64::MAX / 4` millicores).
const UNBOUNDED_CORES: f64 = 1e12;

/// A container's CPU with its pending event and what the metrics saw.
#[derive(Clone, Debug)]
pub(in crate::drill) struct PodCpu {
    pub(super) cpu: Cpu,
    key: Option<crate::engine::queue::EventKey>,
    /// Usage at the last pod tick [s] (for the HPA's per-second samples).
    pub(super) at_tick: f64,
    /// The last scrape: its time and the usage then [s]; and the rate
    /// between the last two scrapes [cores] (`kubectl top`).
    pub(super) scraped: (SimTime, f64),
    pub(super) top: Option<f64>,
    /// Usage [s], periods and throttled periods at the last bin's end.
    at_bin: (f64, u64, u64),
}

impl PodCpu {
    fn new(now: SimTime, limit: Option<u64>) -> PodCpu {
        PodCpu {
            cpu: Cpu::new(now, limit),
            key: None,
            at_tick: 0.0,
            scraped: (now, 0.0),
            top: None,
            at_bin: (0.0, 0, 0),
        }
    }
}

impl DrillTrial<'_> {
    /// Gives a starting container its CPU when its template asks for one.
    pub(super) fn cpu_container_up(&mut self, c: usize, s: usize, now: SimTime) {
        let p = &mut self.pod_set(c).pods[s];
        let r = p.template.resources;
        p.cpu = (r.cpu_request.is_some() || r.cpu_limit.is_some())
            .then(|| Box::new(PodCpu::new(now, r.cpu_limit)));
    }

    /// The container is gone: its threads go with it.
    pub(super) fn cpu_container_down(&mut self, c: usize, s: usize, now: SimTime) {
        self.cpu_clear_calls(c, s, now);
        self.pod_set(c).pods[s].cpu = None;
    }

    /// Every call in service on instance `(c, s)` failed: if it is a pod
    /// with a CPU, its threads stop.
    pub(in crate::drill) fn cpu_clear_calls(&mut self, c: usize, s: usize, now: SimTime) {
        let Some(pc) = self.comps[c]
            .pods
            .as_deref_mut()
            .and_then(|ps| ps.pods.get_mut(s))
            .and_then(|p| p.cpu.as_deref_mut())
        else {
            return;
        };
        if let Some(k) = pc.key.take() {
            self.queue.cancel(k);
        }
        pc.cpu.clear(now);
        self.cpu_node_changed(c, s, now);
    }

    /// Call `id` (with `tag`) needs `secs` of CPU on pod `(c, s)`: true when
    /// the pod runs a CPU (it will be served from [`Self::on_cpu`]), false
    /// when the caller schedules its service time itself.
    #[inline]
    pub(in crate::drill) fn cpu_serve(
        &mut self,
        c: usize,
        s: usize,
        (id, tag): (u32, u32),
        secs: f64,
        now: SimTime,
    ) -> bool {
        let Some(pc) = self.comps[c]
            .pods
            .as_deref_mut()
            .and_then(|ps| ps.pods.get_mut(s))
            .and_then(|p| p.cpu.as_deref_mut())
        else {
            return false;
        };
        pc.cpu.add(now, secs * 1e9, (id, tag));
        self.cpu_node_changed(c, s, now);
        self.cpu_reschedule(c, s, now);
        true
    }

    /// Schedules the container's next CPU event (cancelling the last one).
    fn cpu_reschedule(&mut self, c: usize, s: usize, now: SimTime) {
        let Some(ps) = self.comps[c].pods.as_deref_mut() else {
            return;
        };
        let p = &mut ps.pods[s];
        let life = p.life;
        let Some(pc) = p.cpu.as_deref_mut() else {
            return;
        };
        if let Some(k) = pc.key.take() {
            self.queue.cancel(k);
        }
        if let Some(at) = pc.cpu.next_event() {
            let k = self.queue.schedule(
                at.max(now),
                ev(PodEv::Cpu {
                    comp: c as u16,
                    slot: s as u16,
                    life,
                }),
            );
            self.pod_set(c).pods[s]
                .cpu
                .as_deref_mut()
                .expect("checked")
                .key = Some(k);
        }
    }

    /// The container's CPU event: the calls whose work is done are served.
    pub(super) fn on_cpu(&mut self, c: usize, s: usize, life: u32, now: SimTime) {
        let p = &mut self.pod_set(c).pods[s];
        if p.life != life {
            return;
        }
        let Some(pc) = p.cpu.as_deref_mut() else {
            return;
        };
        pc.key = None;
        let mut done = Vec::new();
        while let Some(x) = pc.cpu.pop_done(now) {
            done.push(x);
        }
        if !done.is_empty() {
            self.cpu_node_changed(c, s, now);
        }
        self.cpu_reschedule(c, s, now);
        for (id, tag) in done {
            self.served_if_serving(id, tag, now);
        }
    }

    /// Recomputes the CPU shares of the pods on `(c, s)`'s node when the
    /// node is, or just was, short of cores.
    fn cpu_node_changed(&mut self, c: usize, s: usize, now: SimTime) {
        let node = self.pods_ref(c).pods[s].node;
        if node == NO_NODE {
            return;
        }
        let n = node as usize;
        let cores = self.cluster.nodes[n].cpu as f64 / 1000.0;
        if cores >= UNBOUNDED_CORES {
            return; // never short (a model without `[cluster]`)
        }
        let mut members = Vec::new();
        for (ci, comp) in self.comps.iter().enumerate() {
            let Some(ps) = comp.pods.as_deref() else {
                continue;
            };
            for (si, p) in ps.pods.iter().enumerate() {
                if p.node == node
                    && let Some(pc) = p.cpu.as_deref()
                {
                    let w = shares_of(p.template.resources.cpu_request) as f64;
                    members.push((ci, si, pc.cpu.demand(), w));
                }
            }
        }
        let wants: Vec<(f64, f64)> = members.iter().map(|m| (m.2, m.3)).collect();
        let short = wants.iter().map(|w| w.0).sum::<f64>() > cores;
        let cl = &mut self.cluster;
        if cl.cpu_short.len() <= n {
            cl.cpu_short.resize(n + 1, false);
        }
        if !short && !cl.cpu_short[n] {
            return;
        }
        cl.cpu_short[n] = short;
        let caps = share_node(cores, &wants);
        for (&(ci, si, _, _), cap) in members.iter().zip(caps) {
            if let Some(pc) = self.pod_set(ci).pods[si].cpu.as_deref_mut() {
                pc.cpu.set_cap(now, cap);
            }
            if (ci, si) != (c, s) {
                self.cpu_reschedule(ci, si, now);
            }
        }
    }

    /// The HPA's CPU sample of pod `(c, s)` for the second ending `now`:
    /// usage over the request [%]; `None` when it runs no CPU or has no
    /// request. Also takes the metrics-server scrape every [`SCRAPE`].
    pub(super) fn cpu_tick(&mut self, c: usize, s: usize, now: SimTime) -> Option<f64> {
        let p = &mut self.pod_set(c).pods[s];
        let request = p.template.resources.cpu_request;
        let pc = p.cpu.as_deref_mut()?;
        pc.cpu.advance(now);
        let used = pc.cpu.usage_secs();
        let (at, then) = pc.scraped;
        if now >= at + SCRAPE {
            pc.top = Some((used - then) / (now - at).as_secs_f64());
            pc.scraped = (now, used);
        }
        let delta = used - std::mem::replace(&mut pc.at_tick, used);
        let request = request? as f64 / 1000.0;
        Some(100.0 * delta / super::POD_TICK.as_secs_f64() / request)
    }
}

/// True when `c`'s pod template gives CPU resources.
pub(super) fn has_cpu(c: &crate::model::Component) -> bool {
    c.workload
        .as_deref()
        .is_some_and(|w| w.pod.resources.cpu_request.is_some())
}

/// The CPU readings of `model`'s pods with CPU resources: usage over the
/// request (what the HPA and `kubectl top` show), cores used, and the share
/// of CFS periods that ended throttled (`nr_throttled / nr_periods`, which
/// the averages hide; domain.md §21).
pub(in crate::drill) fn cpu_reading_defs(model: &Model, defs: &mut Vec<ReadingDef>) {
    for c in model.components.iter().filter(|c| has_cpu(c)) {
        defs.push(ReadingDef::new(
            &c.id,
            "cpu_utilisation",
            "cpu",
            "CPU usage / request",
            "%",
        ));
        defs.push(ReadingDef::new(
            &c.id,
            "cpu_throttled",
            "cpu",
            "CFS periods throttled",
            "%",
        ));
        defs.push(ReadingDef::new(
            &c.id,
            "cpu_used",
            "cpu-cores",
            "CPU used",
            "cores",
        ));
    }
}

impl DrillTrial<'_> {
    /// The measured window starts: the first bin's CPU counts from `now`.
    pub(super) fn cpu_window_starts(&mut self, now: SimTime) {
        for comp in &mut self.comps {
            let Some(ps) = comp.pods.as_deref_mut() else {
                continue;
            };
            for pc in ps.pods.iter_mut().filter_map(|p| p.cpu.as_deref_mut()) {
                pc.cpu.advance(now);
                let (n, t) = pc.cpu.throttling();
                pc.at_bin = (pc.cpu.usage_secs(), n, t);
            }
        }
    }

    /// Appends this bin's CPU readings, in [`cpu_reading_defs`] order.
    pub(in crate::drill) fn sample_cpu_readings(&mut self, now: SimTime, out: &mut Vec<f64>) {
        let bin = self.readings.len();
        let width = (now - (self.start + SimTime(self.bin.0 * bin as u64))).as_secs_f64();
        for c in 0..self.comps.len() {
            if !has_cpu(&self.model.components[c]) {
                continue;
            }
            let (mut used, mut requested, mut periods, mut throttled) = (0.0, 0.0, 0, 0);
            for p in &mut self.pod_set(c).pods {
                let request = p.template.resources.cpu_request;
                let Some(pc) = p.cpu.as_deref_mut() else {
                    continue;
                };
                pc.cpu.advance(now);
                let u = pc.cpu.usage_secs();
                let (n, t) = pc.cpu.throttling();
                let (u0, n0, t0) = std::mem::replace(&mut pc.at_bin, (u, n, t));
                used += u - u0;
                periods += n - n0;
                throttled += t - t0;
                requested += request.unwrap_or(0) as f64 / 1000.0;
            }
            let per_sec = |x: f64| if width > 0.0 { x / width } else { f64::NAN };
            out.push(100.0 * per_sec(used) / requested);
            out.push(if periods == 0 {
                0.0
            } else {
                100.0 * throttled as f64 / periods as f64
            });
            out.push(per_sec(used));
        }
    }
}
