//! The Deployment side of pods in the drill: the ReplicaSet and Deployment
//! controllers (keep the desired count, roll a new revision out within
//! maxSurge/maxUnavailable via [`crate::k8s::rollout::step`]), the `scale`,
//! `apply` and `rollout restart` actions, and the HPA's reconciliations.

use super::{PodEv, PodPhase, ev};
use crate::drill::sim::DrillTrial;
use crate::engine::SimTime;
use crate::k8s::rollout::{ReplicaSetStatus, RolloutStep, step};
use crate::k8s::{Hpa, PodSample, SampleState};
use crate::model::k8s_spec::HpaSpec;
use crate::scenario::PodChange;

/// Most controller syncs in one reconciliation; each creates or deletes
/// pods until the controllers wait (a bound against a livelock, far above
/// the few syncs a change needs).
const MAX_SYNCS: usize = 64;

impl DrillTrial<'_> {
    /// The ReplicaSet and Deployment controllers after any change: pods of
    /// the current revision are created or deleted towards `desired`, old
    /// revisions scaled down as the new pods become available.
    pub(in crate::drill) fn reconcile(&mut self, c: usize, now: SimTime) {
        // A pod removed during a sync asks for another: the running loop
        // does it (a nested sync could reuse a slot this one still targets).
        if std::mem::replace(&mut self.pod_set(c).reconciling, true) {
            return;
        }
        self.sync_deployment(c, now);
        self.pod_set(c).reconciling = false;
    }

    fn sync_deployment(&mut self, c: usize, now: SimTime) {
        if self.pods_ref(c).canary.is_some() {
            return self.sync_canary(c, now);
        }
        let spec = self.workload(c).rollout;
        for _ in 0..MAX_SYNCS {
            let ps = self.pods_ref(c);
            let (desired, rev) = (ps.desired, ps.revision);
            let mut new = ReplicaSetStatus::default();
            let mut old = ReplicaSetStatus::default();
            for p in ps.pods.iter().filter(|p| p.counts()) {
                let rs = if p.revision == rev {
                    &mut new
                } else {
                    &mut old
                };
                rs.replicas += 1;
                rs.available += u32::from(p.ready);
            }
            let olds: &[ReplicaSetStatus] = if old.replicas > 0 { &[old] } else { &[] };
            match step(&spec, desired, new, olds) {
                RolloutStep::ScaleNew(n) if n > new.replicas => {
                    for _ in new.replicas..n {
                        self.new_pod(c, now, false);
                    }
                }
                RolloutStep::ScaleNew(n) => self.scale_down(c, rev, true, new.replicas - n, now),
                RolloutStep::ScaleOld(t) => {
                    let keep = t.first().copied().unwrap_or(0);
                    self.scale_down(c, rev, false, old.replicas - keep, now);
                }
                RolloutStep::Wait | RolloutStep::Complete => return,
            }
        }
    }

    /// Deletes `n` pods of the current revision (`current`) or of older
    /// ones, in the ReplicaSet controller's order: unscheduled first, then
    /// not running, then not ready, then the newest.
    pub(super) fn scale_down(&mut self, c: usize, rev: u32, current: bool, n: u32, now: SimTime) {
        let ps = self.pods_ref(c);
        let mut victims: Vec<(u8, std::cmp::Reverse<SimTime>, usize)> = ps
            .pods
            .iter()
            .enumerate()
            .filter(|(_, p)| p.counts() && (p.revision == rev) == current)
            .map(|(s, p)| {
                let rank = match (p.phase, p.ready) {
                    (PodPhase::Pending, _) => 0,
                    (PodPhase::Starting | PodPhase::BackOff, _) => 1,
                    (_, false) => 2,
                    (_, true) => 3,
                };
                (rank, std::cmp::Reverse(p.created), s)
            })
            .collect();
        victims.sort();
        for &(_, _, s) in victims.iter().take(n as usize) {
            self.delete_pod(c, s, now);
        }
    }

    /// `kubectl scale`: the Deployment wants `replicas` pods.
    pub(in crate::drill) fn scale_pods(&mut self, c: usize, replicas: u32, now: SimTime) {
        self.pod_set(c).desired = replicas;
        self.reconcile(c, now);
    }

    /// `kubectl apply` / `kubectl rollout restart`: a new revision, rolled out.
    pub(in crate::drill) fn apply_pods(&mut self, c: usize, change: PodChange, now: SimTime) {
        let ps = self.pod_set(c);
        let (stable_rev, stable) = (ps.revision, ps.template);
        let t = &mut ps.template;
        t.bad = change.bad.unwrap_or_default();
        if let Some(r) = change.memory_request {
            t.resources.memory_request = Some(r);
        }
        if let Some(l) = change.memory_limit {
            t.resources.memory_limit = Some(l);
        }
        if let Some(leak) = change.leak_per_sec {
            t.memory.get_or_insert_with(Default::default).leak_per_sec = leak;
        }
        ps.revision += 1;
        self.start_canary(c, stable_rev, stable, now);
        self.reconcile(c, now);
    }

    /// `kubectl autoscale`: the HPA syncs from now on, every sync period.
    pub(in crate::drill) fn autoscale_pods(&mut self, c: usize, spec: &HpaSpec, now: SimTime) {
        let ps = self.pod_set(c);
        let first = ps.hpa.is_none();
        ps.hpa = Some(Hpa::new(spec.clone()));
        if first {
            self.queue.schedule(
                now + spec.sync_period,
                ev(PodEv::HpaSync { comp: c as u16 }),
            );
        }
    }

    /// One HPA reconciliation: the pods' mean metric since the last sync
    /// against the target; the answer becomes the desired count.
    pub(super) fn on_hpa_sync(&mut self, c: usize, now: SimTime) {
        let Some(period) = self.pods_ref(c).hpa.as_ref().map(|h| h.spec().sync_period) else {
            return;
        };
        self.queue
            .schedule(now + period, ev(PodEv::HpaSync { comp: c as u16 }));
        let ps = self.pod_set(c);
        let samples: Vec<PodSample> = ps
            .pods
            .iter_mut()
            .filter(|p| p.phase != PodPhase::Gone)
            .map(|p| {
                let (sum, n) = std::mem::take(&mut p.metric);
                let state = match (p.terminating, p.phase, p.ready) {
                    (true, _, _) => SampleState::Ignored,
                    (_, PodPhase::Pending | PodPhase::Starting, _) => SampleState::Pending,
                    (_, PodPhase::Running, true) => SampleState::Ready,
                    _ => SampleState::Unready,
                };
                PodSample {
                    value: (n > 0).then(|| sum / f64::from(n)),
                    state,
                }
            })
            .collect();
        let current = ps.desired;
        let hpa = ps.hpa.as_mut().expect("checked above");
        let want = hpa.decide_pods(now, current, &samples);
        if want != current {
            self.scale_pods(c, want, now);
        }
    }
}
