//! A Deployment's rolling update (domain.md §4): the maxSurge and
//! maxUnavailable arithmetic and one step of the deployment controller.
//!
//! Upstream: `ResolveFenceposts`, `MaxUnavailable` and `NewRSNewReplicas` in
//! k8s: pkg/controller/deployment/util/deployment_util.go, and
//! `reconcileNewReplicaSet`, `reconcileOldReplicaSets`,
//! `cleanupUnhealthyReplicas`, `scaleDownOldReplicaSetsForRollingUpdate` in
//! pkg/controller/deployment/rolling.go. Each sync either scales the new
//! ReplicaSet up (within the surge) or the old ones down (keeping enough
//! pods available), never both; the controller syncs again whenever a pod
//! changes, so the caller calls [`step`] after each change until it waits.

use crate::engine::SimTime;
use crate::model::k8s_spec::RolloutSpec;

/// The surge and unavailability a rollout of `desired` replicas may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fenceposts {
    /// Pods allowed above `desired`.
    pub max_surge: u32,
    /// Pods of `desired` allowed to be unavailable.
    pub max_unavailable: u32,
}

/// Resolves the strategy for `desired` replicas: surge rounds up,
/// unavailability down; if both come to zero, unavailability becomes 1
/// (`ResolveFenceposts`, "surge might not work due to quota").
pub fn resolve_fenceposts(spec: &RolloutSpec, desired: u32) -> Fenceposts {
    let max_surge = spec.max_surge.scaled(desired, true);
    let mut max_unavailable = spec.max_unavailable.scaled(desired, false);
    if max_surge == 0 && max_unavailable == 0 {
        max_unavailable = 1;
    }
    Fenceposts {
        max_surge,
        max_unavailable,
    }
}

/// `MaxUnavailable`: 0 for 0 replicas, and never more than `desired`.
pub fn max_unavailable(spec: &RolloutSpec, desired: u32) -> u32 {
    if desired == 0 {
        return 0;
    }
    resolve_fenceposts(spec, desired)
        .max_unavailable
        .min(desired)
}

/// A ReplicaSet as the controller sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplicaSetStatus {
    /// Its spec.replicas (pods it wants).
    pub replicas: u32,
    /// Its pods that are available (Ready for `min_ready`).
    pub available: u32,
}

/// What one sync of the deployment controller does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RolloutStep {
    /// Set the new ReplicaSet's replicas to this (create or delete pods).
    ScaleNew(u32),
    /// Set each old ReplicaSet's replicas (same order as given) to these;
    /// the ReplicaSet controller deletes not-ready pods first.
    ScaleOld(Vec<u32>),
    /// Nothing to do until a pod becomes available or goes away.
    Wait,
    /// Every replica is new and available, and no old pod is wanted.
    Complete,
}

/// One sync for a Deployment of `desired` replicas. `old` lists the old
/// ReplicaSets oldest first, as the controller sorts them.
pub fn step(
    spec: &RolloutSpec,
    desired: u32,
    new: ReplicaSetStatus,
    old: &[ReplicaSetStatus],
) -> RolloutStep {
    let old_pods: u32 = old.iter().map(|r| r.replicas).sum();
    // reconcileNewReplicaSet
    if new.replicas > desired {
        return RolloutStep::ScaleNew(desired);
    }
    if new.replicas < desired {
        let max_total = desired + spec.max_surge.scaled(desired, true);
        let current = new.replicas + old_pods;
        if current < max_total {
            let up = (max_total - current).min(desired - new.replicas);
            return RolloutStep::ScaleNew(new.replicas + up);
        }
    }
    // reconcileOldReplicaSets
    if old_pods > 0 {
        let min_available = i64::from(desired) - i64::from(max_unavailable(spec, desired));
        let all = i64::from(new.replicas + old_pods);
        let new_unavailable = i64::from(new.replicas.saturating_sub(new.available));
        let max_scaled_down = all - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return RolloutStep::Wait;
        }
        let mut targets: Vec<u32> = old.iter().map(|r| r.replicas).collect();
        // Unhealthy old pods go first, so they cannot block the rollout.
        let mut cleaned = 0i64;
        for (t, r) in targets.iter_mut().zip(old) {
            if cleaned >= max_scaled_down {
                break;
            }
            let unhealthy = i64::from(r.replicas.saturating_sub(r.available));
            let n = (max_scaled_down - cleaned).min(unhealthy);
            *t -= n as u32;
            cleaned += n;
        }
        // Then healthy ones, as long as enough pods stay available.
        let available =
            i64::from(new.available) + old.iter().map(|r| i64::from(r.available)).sum::<i64>();
        let mut room = available - min_available;
        for t in targets.iter_mut() {
            if room <= 0 {
                break;
            }
            let n = room.min(i64::from(*t));
            *t -= n as u32;
            room -= n;
        }
        if targets.iter().zip(old).any(|(t, r)| *t != r.replicas) {
            return RolloutStep::ScaleOld(targets);
        }
        return RolloutStep::Wait;
    }
    if new.replicas == desired && new.available >= desired {
        RolloutStep::Complete
    } else {
        RolloutStep::Wait
    }
}

/// The rollout's progress deadline (`progressDeadlineSeconds`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    deadline: SimTime,
    last_progress: SimTime,
}

impl Progress {
    /// A rollout that started at `now`.
    pub fn new(spec: &RolloutSpec, now: SimTime) -> Self {
        Progress {
            deadline: spec.progress_deadline,
            last_progress: now,
        }
    }

    /// The rollout progressed at `now` (a new pod became available, an old one left).
    pub fn on_progress(&mut self, now: SimTime) {
        self.last_progress = self.last_progress.max(now);
    }

    /// When `ProgressDeadlineExceeded` is reported if nothing progresses.
    pub fn deadline_at(&self) -> SimTime {
        self.last_progress + self.deadline
    }

    /// True once the deadline has passed without progress (the rollout is
    /// not rolled back; it just reports it).
    pub fn exceeded(&self, now: SimTime) -> bool {
        now > self.deadline_at()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s_spec::IntOrPercent;

    fn rs(replicas: u32, available: u32) -> ReplicaSetStatus {
        ReplicaSetStatus {
            replicas,
            available,
        }
    }

    #[test]
    fn fenceposts_follow_the_documented_examples() {
        let d = RolloutSpec::default();
        assert_eq!(
            resolve_fenceposts(&d, 4),
            Fenceposts {
                max_surge: 1,
                max_unavailable: 1
            }
        );
        assert_eq!(
            resolve_fenceposts(&d, 3),
            Fenceposts {
                max_surge: 1,
                max_unavailable: 0
            }
        );
        assert_eq!(
            resolve_fenceposts(&d, 10),
            Fenceposts {
                max_surge: 3,
                max_unavailable: 2
            }
        );
        // Both rounding to zero: one pod may be unavailable.
        let spec = RolloutSpec {
            max_surge: IntOrPercent::Percent(0),
            ..d
        };
        assert_eq!(resolve_fenceposts(&spec, 3).max_unavailable, 1);
        assert_eq!(max_unavailable(&spec, 0), 0);
        let spec = RolloutSpec {
            max_unavailable: IntOrPercent::Count(9),
            ..d
        };
        assert_eq!(max_unavailable(&spec, 4), 4);
    }

    /// Runs a rollout where new pods become available one sync after they are
    /// created (if `healthy`) and old pods leave at once. Returns the final
    /// state, the most pods seen and the fewest available.
    fn roll(
        spec: &RolloutSpec,
        n: u32,
        healthy: bool,
    ) -> (RolloutStep, ReplicaSetStatus, ReplicaSetStatus, u32, u32) {
        let (mut new, mut old) = (rs(0, 0), rs(n, n));
        let (mut most, mut fewest) = (n, n);
        for _ in 0..100 {
            let step = step(spec, n, new, &[old]);
            match &step {
                RolloutStep::ScaleNew(k) => {
                    new.replicas = *k;
                    new.available = new.available.min(*k);
                }
                RolloutStep::ScaleOld(v) => {
                    old = rs(v[0], old.available.min(v[0]));
                }
                RolloutStep::Wait if healthy && new.available < new.replicas => {
                    new.available = new.replicas
                }
                RolloutStep::Wait | RolloutStep::Complete => return (step, new, old, most, fewest),
            }
            most = most.max(new.replicas + old.replicas);
            fewest = fewest.min(new.available + old.available);
        }
        panic!("rollout did not settle");
    }

    #[test]
    fn four_replicas_keep_at_most_five_pods_and_three_available() {
        let (end, new, old, most, fewest) = roll(&RolloutSpec::default(), 4, true);
        assert_eq!(end, RolloutStep::Complete);
        assert_eq!((new, old), (rs(4, 4), rs(0, 0)));
        assert_eq!((most, fewest), (5, 3));
    }

    #[test]
    fn three_replicas_never_drop_below_three_available() {
        let (end, new, _, most, fewest) = roll(&RolloutSpec::default(), 3, true);
        assert_eq!((end, new), (RolloutStep::Complete, rs(3, 3)));
        assert_eq!((most, fewest), (4, 3));
    }

    #[test]
    fn a_version_that_never_gets_ready_stalls_the_rollout() {
        // N = 4: one old pod goes (maxUnavailable 1), two new ones hang.
        let (end, new, old, most, fewest) = roll(&RolloutSpec::default(), 4, false);
        assert_eq!(end, RolloutStep::Wait);
        assert_eq!((new, old), (rs(2, 0), rs(3, 3)));
        assert_eq!((most, fewest), (5, 3));
    }

    #[test]
    fn unhealthy_old_pods_are_removed_first() {
        let spec = RolloutSpec {
            max_surge: IntOrPercent::Count(0),
            max_unavailable: IntOrPercent::Count(1),
            ..RolloutSpec::default()
        };
        // Only two of four old pods are available: below the minimum of 3,
        // yet one unhealthy pod may still go.
        assert_eq!(
            step(&spec, 4, rs(0, 0), &[rs(4, 2)]),
            RolloutStep::ScaleOld(vec![3])
        );
        // Oldest ReplicaSet first.
        assert_eq!(
            step(&spec, 4, rs(0, 0), &[rs(2, 2), rs(2, 2)]),
            RolloutStep::ScaleOld(vec![1, 2])
        );
        // A scale-down of the Deployment scales the new set down.
        assert_eq!(step(&spec, 2, rs(4, 4), &[]), RolloutStep::ScaleNew(2));
    }

    #[test]
    fn the_progress_deadline_counts_from_the_last_progress() {
        let s = |x: u64| SimTime(x * SimTime::SECOND.0);
        let mut p = Progress::new(&RolloutSpec::default(), s(100));
        assert!(!p.exceeded(s(700)));
        assert!(p.exceeded(s(701)));
        p.on_progress(s(400));
        assert_eq!(p.deadline_at(), s(1000));
        assert!(!p.exceeded(s(701)));
    }
}
