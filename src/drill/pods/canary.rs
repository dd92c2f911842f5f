//! Canary releases of pods in the drill: an `apply` on a component with a
//! `canary` strategy runs Argo Rollouts' basic canary ([`Canary`]) instead
//! of a rolling update. Without traffic routing the weight is a replica
//! split: the canary revision gets ceil(replicas × weight / 100) pods and
//! the stable revision is scaled down only as canary pods become Ready;
//! the Service spreads calls over all Ready pods. A one-second timer walks
//! the steps and, every analysis interval, measures the canary pods'
//! success rate (the calls they answered). An abort scales the canary to 0
//! and the stable revision back to the full count (its pods must start
//! again); after the last step the canary takes every replica and becomes
//! the stable revision.

use super::{PodEv, Template, ev};
use crate::drill::readings::ReadingDef;
use crate::drill::sim::DrillTrial;
use crate::engine::SimTime;
use crate::k8s::{Canary, CanaryPhase};
use crate::model::Model;

/// How often the canary controller looks at its rollout.
const CANARY_TICK: SimTime = SimTime(SimTime::SECOND.0);

/// A canary rollout of one component.
#[derive(Clone, Debug)]
pub(in crate::drill) struct CanaryRun {
    pub(super) canary: Canary,
    /// The stable revision and its template.
    pub(super) stable_rev: u32,
    pub(super) stable: Template,
}

impl DrillTrial<'_> {
    /// `apply` on a component with a canary strategy: the new revision
    /// (already the template) is rolled out by the canary's steps.
    pub(super) fn start_canary(
        &mut self,
        c: usize,
        stable_rev: u32,
        stable: Template,
        now: SimTime,
    ) {
        let Some(spec) = self.workload(c).canary.clone() else {
            return;
        };
        let ps = self.pod_set(c);
        // A new apply during a canary starts over from the stable version.
        let (stable_rev, stable) = match ps.canary.as_deref() {
            Some(run) if run.canary.phase() != CanaryPhase::Promoted => {
                (run.stable_rev, run.stable)
            }
            _ => (stable_rev, stable),
        };
        let first = ps.canary.is_none();
        ps.canary = Some(Box::new(CanaryRun {
            canary: Canary::new(spec, now),
            stable_rev,
            stable,
        }));
        for p in &mut ps.pods {
            p.calls = (0, 0);
        }
        if first {
            self.queue
                .schedule(now, ev(PodEv::CanaryTick { comp: c as u16 }));
        }
    }

    /// Counts a call answered by pod `(c, s)` while a canary runs.
    #[inline]
    pub(in crate::drill) fn canary_count(&mut self, c: usize, s: usize, ok: bool) {
        if let Some(ps) = self.comps[c].pods.as_deref_mut()
            && ps.canary.is_some()
            && let Some(p) = ps.pods.get_mut(s)
        {
            if ok {
                p.calls.0 += 1;
            } else {
                p.calls.1 += 1;
            }
        }
    }

    /// Pods of the canary revision wanted at its weight, and those Ready.
    fn canary_pods(&self, c: usize) -> (u32, u32) {
        let ps = self.pods_ref(c);
        let w = ps.canary.as_deref().map_or(0, |r| r.canary.weight());
        let want = (u64::from(ps.desired) * u64::from(w)).div_ceil(100) as u32;
        let ready = ps
            .pods
            .iter()
            .filter(|p| p.counts() && p.revision == ps.revision && p.ready)
            .count() as u32;
        (want, ready)
    }

    /// The canary controller's second: steps, analysis, then a sync.
    pub(super) fn on_canary_tick(&mut self, c: usize, now: SimTime) {
        let (want, ready) = self.canary_pods(c);
        let ps = self.pod_set(c);
        let rev = ps.revision;
        let Some(run) = ps.canary.as_deref_mut() else {
            return;
        };
        run.canary.step(now, ready >= want);
        if now >= run.canary.next_measure() {
            let (mut ok, mut failed) = (0, 0);
            for p in &mut ps.pods {
                let (o, f) = std::mem::take(&mut p.calls);
                if p.revision == rev {
                    ok += o;
                    failed += f;
                }
            }
            let run = ps.canary.as_deref_mut().expect("checked");
            run.canary.measure(now, ok, failed);
        }
        let phase = ps.canary.as_deref().map(|r| r.canary.phase());
        if phase == Some(CanaryPhase::Progressing) || phase == Some(CanaryPhase::Promoted) {
            self.queue
                .schedule(now + CANARY_TICK, ev(PodEv::CanaryTick { comp: c as u16 }));
        }
        self.reconcile(c, now);
    }

    /// The Deployment sync while a canary runs (or after it aborted): the
    /// canary revision at its weight's pods, the stable one at the rest.
    pub(super) fn sync_canary(&mut self, c: usize, now: SimTime) {
        let ps = self.pods_ref(c);
        let run = ps.canary.as_deref().expect("a canary");
        let (rev, stable_rev, stable) = (ps.revision, run.stable_rev, run.stable);
        let phase = run.canary.phase();
        let (want_new, ready_new) = self.canary_pods(c);
        let ps = self.pods_ref(c);
        let n = ps.desired;
        let (mut new, mut old) = (0u32, 0u32);
        let mut others = Vec::new();
        for (s, p) in ps.pods.iter().enumerate().filter(|(_, p)| p.counts()) {
            if p.revision == rev {
                new += 1;
            } else if p.revision == stable_rev {
                old += 1;
            } else {
                others.push(s);
            }
        }
        let want_old = if phase == CanaryPhase::Aborted {
            n
        } else {
            n - want_new.min(ready_new).min(n)
        };
        for s in others {
            self.delete_pod(c, s, now);
        }
        if new < want_new {
            let t = self.pods_ref(c).template;
            for _ in new..want_new {
                self.new_pod_of(c, now, rev, t);
            }
        } else if new > want_new {
            self.scale_down(c, rev, true, new - want_new, now);
        }
        if old < want_old {
            for _ in old..want_old {
                self.new_pod_of(c, now, stable_rev, stable);
            }
        } else if old > want_old {
            self.scale_down(c, rev, false, old - want_old, now);
        }
        if phase == CanaryPhase::Promoted && want_old == 0 && old == 0 {
            // Fully promoted: the canary is the stable version now.
            self.pod_set(c).canary = None;
        }
    }
}

/// The canary reading of components with a canary strategy: its weight.
pub(in crate::drill) fn canary_reading_defs(model: &Model, defs: &mut Vec<ReadingDef>) {
    for c in &model.components {
        if c.workload.as_deref().is_some_and(|w| w.canary.is_some()) {
            defs.push(ReadingDef::new(
                &c.id,
                "canary_weight",
                "canary",
                "canary weight",
                "%",
            ));
        }
    }
}

impl DrillTrial<'_> {
    /// Appends this bin's canary readings, in [`canary_reading_defs`] order:
    /// the weight (0 before a rollout, after an abort and once promoted).
    pub(in crate::drill) fn sample_canary_readings(&mut self, out: &mut Vec<f64>) {
        for (c, comp) in self.comps.iter().enumerate() {
            let has = self.model.components[c]
                .workload
                .as_deref()
                .is_some_and(|w| w.canary.is_some());
            if has {
                let ps = comp.pods.as_deref();
                let w = ps
                    .and_then(|p| p.canary.as_deref())
                    .map_or(0, |r| r.canary.weight());
                out.push(f64::from(w));
            }
        }
    }
}
