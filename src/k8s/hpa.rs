//! The Horizontal Pod Autoscaler's controller (autoscaling/v2, domain.md §5).
//!
//! One call to [`Hpa::decide`] is one reconciliation, made every
//! `sync_period` (15 s). It follows k8s: pkg/controller/podautoscaler:
//!
//! 1. `reconcileAutoscaler` (horizontal.go): a target scaled to 0 disables
//!    the HPA; outside `[min, max]` it is brought back to the bound.
//! 2. The replica calculator (replica_calculator.go): ratio = mean metric /
//!    target; within the tolerance nothing changes; else
//!    desired = ceil(ratio × pods counted). Pods being deleted are ignored;
//!    pods without a sample count at the target on a scale-down and at 0 on
//!    a scale-up; for CPU, not-ready pods count at 0 on a scale-up; if these
//!    corrections flip the direction or land within the tolerance, nothing
//!    changes.
//! 3. `stabilizeRecommendationWithBehaviors`: the result is kept between the
//!    lowest recommendation of the scale-up window and the highest of the
//!    scale-down window (300 s), starting from the current count.
//! 4. `convertDesiredReplicasWithBehaviorRate`: the policies cap the change
//!    per period, counting the scale events still inside each period; then
//!    `[min, max]`.

use crate::engine::SimTime;
use crate::model::k8s_spec::{HpaSpec, PolicyKind, ScalingRules, SelectPolicy};

/// What the HPA knows of one pod at a sync.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PodSample {
    /// The pod's metric (CPU [% of request] or requests in flight); `None`: no sample.
    pub value: Option<f64>,
    /// The pod's state.
    pub state: SampleState,
}

/// A pod's state as the replica calculator groups it (`groupPods`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleState {
    /// Running, and for CPU its sample is trusted.
    Ready,
    /// For CPU: not ready, or its sample predates readiness (set aside;
    /// other metrics treat it as Ready). The caller applies the time rules
    /// of `initial_readiness_delay` and `cpu_initialization_period`.
    Unready,
    /// Not yet running (set aside for every metric).
    Pending,
    /// Being deleted, or failed (ignored).
    Ignored,
}

/// A timestamped replica count (a recommendation or a scale event).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamped {
    at: SimTime,
    replicas: u32,
}

/// One HPA and the history its decisions depend on.
#[derive(Clone, Debug)]
pub struct Hpa {
    spec: HpaSpec,
    recommendations: Vec<Stamped>,
    /// Pods added by each scale-up.
    up_events: Vec<Stamped>,
    /// Pods removed by each scale-down.
    down_events: Vec<Stamped>,
    started: bool,
}

/// True when `at` lies within the `window` before `now` (Go's `At.After(now - window)`).
fn within(at: SimTime, window: SimTime, now: SimTime) -> bool {
    at.saturating_add(window) > now
}

impl Hpa {
    /// An HPA that has not synced yet.
    pub fn new(spec: HpaSpec) -> Self {
        Hpa {
            spec,
            recommendations: Vec::new(),
            up_events: Vec::new(),
            down_events: Vec::new(),
            started: false,
        }
    }

    /// Its settings.
    pub fn spec(&self) -> &HpaSpec {
        &self.spec
    }

    /// When to reconcile next after a sync at `now`.
    pub fn next_sync_at(&self, now: SimTime) -> SimTime {
        now + self.spec.sync_period
    }

    /// One reconciliation at `now` with every pod Ready and sampled: returns
    /// the replica count to set (`current_replicas` for no change).
    ///
    /// ```
    /// use resim::engine::SimTime;
    /// use resim::k8s::Hpa;
    /// use resim::model::k8s_spec::HpaSpec;
    /// // CPU at 160 % of request against the default 80 % target: double,
    /// // within the default policies (4 pods or 100 % per 15 s).
    /// let mut hpa = Hpa::new(HpaSpec::with_max(10));
    /// assert_eq!(hpa.decide(SimTime::ZERO, 3, &[160.0; 3]), 6);
    /// ```
    pub fn decide(&mut self, now: SimTime, current_replicas: u32, metric_per_pod: &[f64]) -> u32 {
        let pods: Vec<PodSample> = metric_per_pod
            .iter()
            .map(|&v| PodSample {
                value: Some(v),
                state: SampleState::Ready,
            })
            .collect();
        self.decide_pods(now, current_replicas, &pods)
    }

    /// One reconciliation at `now` from per-pod samples.
    pub fn decide_pods(&mut self, now: SimTime, current: u32, pods: &[PodSample]) -> u32 {
        if !self.started {
            // recordInitialRecommendation: the first sync remembers the current count.
            self.started = true;
            self.recommendations.push(Stamped {
                at: now,
                replicas: current,
            });
        }
        let (min, max) = (self.spec.min_replicas, self.spec.max_replicas);
        let desired = if current == 0 && min != 0 {
            return 0; // scaling is disabled while the target is scaled to zero
        } else if current > max {
            max
        } else if current < min {
            min
        } else {
            let Some(raw) = self.recommend(current, pods) else {
                return current; // no usable metrics: the HPA does nothing
            };
            let stabilized = self.stabilize(now, current, raw);
            self.limit_rate(now, current, stabilized)
        };
        if desired != current {
            self.store_event(now, current, desired);
        }
        desired
    }

    /// The replica calculator alone: the count the metric asks for (before
    /// stabilisation and policies), `None` when no pod has a usable sample.
    pub fn recommend(&self, current: u32, pods: &[PodSample]) -> Option<u32> {
        let target = self.spec.metric.target();
        let cpu = self.spec.metric.is_cpu();
        let (mut ready, mut sum, mut unready, mut missing) = (0u32, 0.0, 0u32, 0u32);
        for p in pods {
            match (p.state, p.value) {
                (SampleState::Ignored, _) => {}
                (SampleState::Pending, _) => unready += 1,
                (_, None) => missing += 1,
                (SampleState::Unready, Some(_)) if cpu => unready += 1,
                (_, Some(v)) => {
                    ready += 1;
                    sum += v;
                }
            }
        }
        if ready == 0 {
            return None;
        }
        let ratio = sum / f64::from(ready) / target;
        let tolerance = self.spec.tolerance;
        let scale_up_with_unready = unready > 0 && ratio > 1.0;
        if !scale_up_with_unready && missing == 0 {
            if (1.0 - ratio).abs() <= tolerance {
                return Some(current);
            }
            return Some(ceil_u32(ratio * f64::from(ready)));
        }
        let mut counted = ready + missing;
        if ratio < 1.0 {
            sum += target * f64::from(missing);
        }
        if scale_up_with_unready {
            counted += unready;
        }
        let new_ratio = sum / f64::from(counted) / target;
        if (1.0 - new_ratio).abs() <= tolerance
            || (ratio < 1.0 && new_ratio > 1.0)
            || (ratio > 1.0 && new_ratio < 1.0)
        {
            return Some(current);
        }
        let new = ceil_u32(new_ratio * f64::from(counted));
        if (new_ratio < 1.0 && new > current) || (new_ratio > 1.0 && new < current) {
            return Some(current);
        }
        Some(new)
    }

    /// Keeps the recommendation between the scale-up window's lowest and the
    /// scale-down window's highest, then records `desired`.
    fn stabilize(&mut self, now: SimTime, current: u32, desired: u32) -> u32 {
        let up = self.spec.scale_up.stabilization;
        let down = self.spec.scale_down.stabilization;
        let (mut up_rec, mut down_rec) = (desired, desired);
        for r in &self.recommendations {
            if within(r.at, up, now) {
                up_rec = up_rec.min(r.replicas);
            }
            if within(r.at, down, now) {
                down_rec = down_rec.max(r.replicas);
            }
        }
        let stabilized = current.max(up_rec).min(down_rec);
        // Entries outside both windows are never read again.
        let keep = up.max(down);
        self.recommendations.retain(|r| within(r.at, keep, now));
        self.recommendations.push(Stamped {
            at: now,
            replicas: desired,
        });
        stabilized
    }

    /// Applies the scaling policies and `[min, max]`.
    fn limit_rate(&self, now: SimTime, current: u32, desired: u32) -> u32 {
        if desired > current {
            let limit = self
                .limit(now, current, &self.spec.scale_up, true)
                .max(i64::from(current));
            let allowed = i64::from(self.spec.max_replicas).min(limit);
            (i64::from(desired).min(allowed)) as u32
        } else if desired < current {
            let limit = self
                .limit(now, current, &self.spec.scale_down, false)
                .min(i64::from(current));
            let allowed = i64::from(self.spec.min_replicas).max(limit);
            (i64::from(desired).max(allowed)) as u32
        } else {
            desired
        }
    }

    /// `calculateScaleUpLimitWithScalingRules` / `calculateScaleDownLimitWithBehaviors`.
    fn limit(&self, now: SimTime, current: u32, rules: &ScalingRules, up: bool) -> i64 {
        let changed = |events: &[Stamped], period| -> i64 {
            events
                .iter()
                .filter(|e| within(e.at, period, now))
                .map(|e| i64::from(e.replicas))
                .sum()
        };
        // For scaling up "max" picks the largest count; for scaling down the smallest.
        let largest_change = match rules.select {
            SelectPolicy::Disabled => return i64::from(current),
            SelectPolicy::Max => true,
            SelectPolicy::Min => false,
        };
        let pick_max = largest_change == up;
        let mut result = if pick_max { i64::MIN } else { i64::MAX };
        for p in &rules.policies {
            let start = i64::from(current) - changed(&self.up_events, p.period)
                + changed(&self.down_events, p.period);
            let value = i64::from(p.value);
            let proposed = match (p.kind, up) {
                (PolicyKind::Pods, true) => start + value,
                (PolicyKind::Pods, false) => start - value,
                (PolicyKind::Percent, true) => {
                    (start as f64 * (1.0 + value as f64 / 100.0)).ceil() as i64
                }
                (PolicyKind::Percent, false) => {
                    (start as f64 * (1.0 - value as f64 / 100.0)) as i64
                }
            };
            result = if pick_max {
                result.max(proposed)
            } else {
                result.min(proposed)
            };
        }
        result
    }

    /// `storeScaleEvent`: remembers the change while a policy period can see it.
    fn store_event(&mut self, now: SimTime, from: u32, to: u32) {
        let (events, rules) = if to > from {
            (&mut self.up_events, &self.spec.scale_up)
        } else {
            (&mut self.down_events, &self.spec.scale_down)
        };
        let keep = rules.longest_period();
        events.retain(|e| within(e.at, keep, now));
        events.push(Stamped {
            at: now,
            replicas: from.abs_diff(to),
        });
    }
}

fn ceil_u32(x: f64) -> u32 {
    x.ceil().clamp(0.0, f64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s_spec::{HpaMetric, ScalingPolicy};

    fn s(x: u64) -> SimTime {
        SimTime(x * SimTime::SECOND.0)
    }

    /// An HPA on requests in flight with a target of 10 per pod.
    fn in_flight(min: u32, max: u32) -> Hpa {
        let mut spec = HpaSpec::with_max(max);
        spec.min_replicas = min;
        spec.metric = HpaMetric::InFlight { target: 10.0 };
        Hpa::new(spec)
    }

    fn load(per_pod: f64, pods: u32) -> Vec<f64> {
        vec![per_pod; pods as usize]
    }

    #[test]
    fn scale_up_stays_within_the_policies() {
        let mut h = in_flight(1, 20);
        // Five times the target: the formula asks for 10, the policies allow
        // max(2 + 4 pods, 2 × 200 %) = 6.
        assert_eq!(
            h.recommend(
                2,
                &[PodSample {
                    value: Some(50.0),
                    state: SampleState::Ready
                }; 2]
            ),
            Some(10)
        );
        assert_eq!(h.decide(s(0), 2, &load(50.0, 2)), 6);
        // 5 s later the +4 of t = 0 is inside the 15 s periods: no more room.
        assert_eq!(h.decide(s(5), 6, &load(50.0, 6)), 6);
        // At 15 s it has left them: max(6 + 4, 2 × 6) = 12.
        assert_eq!(h.decide(s(15), 6, &load(50.0, 6)), 12);
        // Then 24 is allowed but max_replicas is 20.
        assert_eq!(h.decide(s(30), 12, &load(50.0, 12)), 20);
        assert_eq!(h.decide(s(45), 20, &load(50.0, 20)), 20);
    }

    #[test]
    fn no_scale_down_inside_the_stabilization_window() {
        let mut h = in_flight(1, 20);
        assert_eq!(h.decide(s(0), 10, &load(10.0, 10)), 10);
        // Load drops to a fifth: the formula says 2, but the window still
        // holds the recommendations of 10 made at t = 0.
        for t in (15..300).step_by(15) {
            assert_eq!(h.decide(s(t), 10, &load(2.0, 10)), 10, "at {t}s");
        }
        // At 300 s they have left the window; 100 % per 15 s allows the drop.
        assert_eq!(h.decide(s(300), 10, &load(2.0, 10)), 2);
    }

    #[test]
    fn no_change_within_the_tolerance() {
        let h = in_flight(1, 20);
        let pods = |v: f64| {
            [PodSample {
                value: Some(v),
                state: SampleState::Ready,
            }; 4]
        };
        assert_eq!(h.recommend(4, &pods(10.5)), Some(4));
        assert_eq!(h.recommend(4, &pods(9.5)), Some(4));
        assert_eq!(h.recommend(4, &pods(10.99)), Some(4));
        assert_eq!(h.recommend(4, &pods(11.5)), Some(5));
        let mut h = in_flight(1, 20);
        assert_eq!(h.decide(s(0), 4, &load(10.9, 4)), 4);
        assert_eq!(h.decide(s(15), 4, &load(11.5, 4)), 5);
    }

    #[test]
    fn replicas_are_clamped_to_min_and_max() {
        let mut h = in_flight(2, 5);
        assert_eq!(h.decide(s(0), 7, &load(10.0, 7)), 5);
        assert_eq!(h.decide(s(15), 1, &load(10.0, 1)), 2);
        assert_eq!(h.decide(s(30), 4, &load(100.0, 4)), 5);
        let mut h = in_flight(2, 5);
        assert_eq!(h.decide(s(0), 4, &load(0.0, 4)), 4);
        assert_eq!(h.decide(s(300), 4, &load(0.0, 4)), 2);
        // A target scaled to zero switches the HPA off.
        assert_eq!(h.decide(s(315), 0, &[]), 0);
        // No samples: nothing to go on, no change.
        assert_eq!(h.decide(s(330), 3, &[]), 3);
    }

    #[test]
    fn unready_missing_and_pending_pods_follow_the_cpu_rules() {
        let h = Hpa::new(HpaSpec::with_max(20)); // CPU, target 80 %
        let p = |value: Option<f64>, state| PodSample { value, state };
        let ready = p(Some(120.0), SampleState::Ready);
        // Ratio 1.5 on the two ready pods: 3.
        assert_eq!(h.recommend(4, &[ready, ready]), Some(3));
        // Two unready pods at 0 % turn it into 0.75, a change of direction: no change.
        let unready = p(Some(500.0), SampleState::Unready);
        assert_eq!(h.recommend(4, &[ready, ready, unready, unready]), Some(4));
        // For a non-CPU metric an unready pod's sample counts as it is.
        let mut spec = HpaSpec::with_max(20);
        spec.metric = HpaMetric::InFlight { target: 80.0 };
        assert_eq!(
            Hpa::new(spec).recommend(4, &[ready, ready, unready, unready]),
            Some(16)
        );
        // Scale-down with two pods lacking samples: they count at the target.
        let low = p(Some(40.0), SampleState::Ready);
        let missing = p(None, SampleState::Ready);
        assert_eq!(h.recommend(4, &[low, low]), Some(1));
        assert_eq!(h.recommend(4, &[low, low, missing, missing]), Some(3));
        // Pending pods are set aside; deleted ones ignored.
        let pending = p(None, SampleState::Pending);
        let gone = p(Some(0.0), SampleState::Ignored);
        assert_eq!(h.recommend(4, &[low, low, pending, gone]), Some(1));
        assert_eq!(h.recommend(4, &[pending, gone]), None);
    }

    #[test]
    fn scale_down_pods_policy_counts_recent_events() {
        let mut h = in_flight(1, 20);
        h.spec.scale_down = ScalingRules {
            stabilization: SimTime::ZERO,
            select: SelectPolicy::Max,
            policies: vec![ScalingPolicy {
                kind: PolicyKind::Pods,
                value: 1,
                period: s(60),
            }],
        };
        assert_eq!(h.decide(s(0), 5, &load(0.0, 5)), 4);
        assert_eq!(h.decide(s(15), 4, &load(0.0, 4)), 4);
        assert_eq!(h.decide(s(45), 4, &load(0.0, 4)), 4);
        assert_eq!(h.decide(s(60), 4, &load(0.0, 4)), 3);
        h.spec.scale_down.select = SelectPolicy::Disabled;
        assert_eq!(h.decide(s(120), 3, &load(0.0, 3)), 3);
    }
}
