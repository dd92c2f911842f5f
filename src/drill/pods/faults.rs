//! Scenario faults on pods with a `pod` spec: a node group's crash, and
//! containers that crash at every start while a `crash` lasts.

use super::{EXIT_CRASH, ExitReason, PodPhase};
use crate::drill::sim::DrillTrial;
use crate::engine::SimTime;
use crate::scenario::{Fault, FaultSpec};

impl DrillTrial<'_> {
    /// A scenario fault on pods with a `pod` spec, started (`start`) or
    /// ended; false when the fault is not theirs to handle. A node group's
    /// crash takes the node down; a crash or bounce of pods makes their
    /// containers crash at every start while it lasts (CrashLoopBackOff).
    pub(in crate::drill) fn pod_fault(&mut self, f: &FaultSpec, start: bool, now: SimTime) -> bool {
        if self.comps[f.target].pods.is_none() || !matches!(f.fault, Fault::Crash | Fault::Bounce) {
            return false;
        }
        if let Some(n) = f.group.and_then(|g| self.cluster.node_of_group(g)) {
            if start {
                self.node_down(n, now);
            } else {
                self.node_up(n, now);
            }
            return true;
        }
        let c = f.target;
        let slots = match f.instance {
            Some(i) => vec![i as usize],
            None => (0..self.pods_ref(c).pods.len()).collect(),
        };
        for s in slots {
            let Some(p) = self.pod_set(c).pods.get_mut(s) else {
                continue;
            };
            p.crashing = start;
            if start && p.phase == PodPhase::Running {
                self.container_exit(c, s, ExitReason::Error(EXIT_CRASH), now);
            }
        }
        true
    }

    /// `repair` on pods: scenario crashes end (the kubelet does the rest).
    pub(in crate::drill) fn repair_pods(&mut self, c: usize) {
        for p in &mut self.pod_set(c).pods {
            p.crashing = false;
        }
    }
}
