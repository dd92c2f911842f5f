//! Readiness and liveness probes, and the Service's endpoints that follow
//! readiness after the propagation delay; [`Comp::pick_endpoint`] is the
//! kube-proxy side (which pod a call goes to).

use super::{PodEv, PodPhase, ev};
use crate::drill::sim::DrillTrial;
use crate::engine::SimTime;
use crate::k8s::Transition;
use crate::model::k8s_spec::ProbeKind;

impl DrillTrial<'_> {
    /// How long pod `s` of component `c` takes to answer a probe now, or
    /// `None` when it cannot (down or hung): at once with a worker free,
    /// otherwise after the queue ahead of it drains at the mean service
    /// time (an estimate: the probe itself does no work worth counting).
    fn probe_response(&self, c: usize, s: usize) -> Option<SimTime> {
        let comp = &self.comps[c];
        let x = &comp.insts[s];
        if !x.up || x.held {
            return None;
        }
        if x.busy < comp.workers {
            return Some(SimTime::ZERO);
        }
        let service = self.model.components[c].serving.service.mean_secs();
        let ahead = x.queue.len() as f64 + 1.0;
        let wait = ahead * service * comp.slow * x.slow / f64::from(comp.workers.max(1));
        Some(SimTime::from_secs_f64(wait))
    }

    /// A probe runs: it passes while the container answers (up, not hung)
    /// within the probe's timeout. The probe's HTTP request waits for a
    /// worker like any other, so an overloaded pod fails its probes too:
    /// readiness takes it out of the endpoints, liveness restarts it (the
    /// classic probe-driven cascade).
    pub(super) fn on_probe(&mut self, c: usize, s: usize, kind: ProbeKind, now: SimTime) {
        let response = self.probe_response(c, s);
        let p = &mut self.pod_set(c).pods[s];
        let life = p.life;
        let Some(probe) = (match kind {
            ProbeKind::Startup => p.startup.as_mut(),
            ProbeKind::Liveness => p.liveness.as_mut(),
            ProbeKind::Readiness => p.readiness.as_mut(),
        }) else {
            return;
        };
        let ok = probe.passes(response);
        let t = probe.on_result(now, ok);
        let next = probe.next_probe_at(now);
        if kind == ProbeKind::Readiness && t != Transition::Unchanged {
            p.ready = t == Transition::Passed;
        }
        if next != SimTime::NEVER {
            self.queue.schedule(
                next,
                ev(PodEv::Probe {
                    comp: c as u16,
                    slot: s as u16,
                    life,
                    kind,
                }),
            );
        }
        if !ok {
            let killed = t == Transition::Failed && kind != ProbeKind::Readiness;
            self.record_probe_failure(c, s, kind, killed, now);
        }
        match (t, kind) {
            (Transition::Unchanged, _) => {}
            (_, ProbeKind::Readiness) => {
                // The controllers see the pod's availability change.
                self.schedule_endpoint(c, s, now);
                self.reconcile(c, now);
            }
            (Transition::Passed, ProbeKind::Startup) => {
                // The app has started: readiness and liveness take over; a
                // pod without a readiness probe is Ready now.
                let kinds = [ProbeKind::Readiness, ProbeKind::Liveness];
                self.schedule_first_probes(c, s, life, &kinds, now);
                if self.pods_ref(c).pods[s].readiness.is_none() {
                    self.pod_set(c).pods[s].ready = true;
                    self.schedule_endpoint(c, s, now);
                    self.reconcile(c, now);
                }
            }
            (Transition::Failed, _) => {
                // A failed liveness or startup probe: SIGTERM; a hung
                // process ignores it and dies at the grace end.
                let grace = self.workload(c).pod.termination_grace;
                self.queue.schedule(
                    now + grace,
                    ev(PodEv::Kill {
                        comp: c as u16,
                        slot: s as u16,
                        life,
                    }),
                );
            }
            (Transition::Passed, ProbeKind::Liveness) => {}
        }
    }

    /// The endpoints will follow the pod's state after the propagation delay.
    pub(super) fn schedule_endpoint(&mut self, c: usize, s: usize, now: SimTime) {
        let delay = self.endpoint_delay();
        self.queue.schedule(
            now + delay,
            ev(PodEv::Endpoint {
                comp: c as u16,
                slot: s as u16,
            }),
        );
    }

    pub(super) fn on_endpoint(&mut self, c: usize, s: usize, now: SimTime) {
        let p = &self.pod_set(c).pods[s];
        let want = p.ready && !p.terminating && p.phase == PodPhase::Running;
        let draining = p.terminating && p.phase == PodPhase::Running;
        self.set_endpoint(c, s, want);
        if draining && self.in_flight(c, s) == 0 {
            self.remove_pod(c, s, now);
        }
    }

    pub(super) fn set_endpoint(&mut self, c: usize, s: usize, on: bool) {
        let x = &mut self.comps[c].insts[s];
        if x.in_endpoints == on {
            return;
        }
        x.in_endpoints = on;
        let ps = self.pod_set(c);
        if on {
            ps.endpoints += 1;
        } else {
            ps.endpoints -= 1;
        }
    }
}
