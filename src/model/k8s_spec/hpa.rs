//! The Horizontal Pod Autoscaler (autoscaling/v2): target metric, replica
//! bounds, tolerance, sync period, and the scale-up and scale-down behaviour.

use super::{ANY_TIME, POSITIVE_TIME, read_count, read_duration, secs};
use crate::engine::SimTime;
use crate::model::error::{Diagnostics, suggest};
use crate::model::reader::TableReader;

/// The metric the HPA scales on, averaged over pods.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HpaMetric {
    /// CPU usage as a share of the CPU request [%]; default target 80 %
    /// (domain.md §5; k8s: pkg/apis/autoscaling/v2/defaults.go `DefaultCPUUtilization`).
    CpuUtilization {
        /// Target average utilisation [% of request].
        target_percent: f64,
    },
    /// Requests in flight per pod (a Pods metric with an AverageValue target).
    InFlight {
        /// Target average requests in flight per pod.
        target: f64,
    },
}

impl HpaMetric {
    /// The target value, in the metric's unit.
    pub fn target(self) -> f64 {
        match self {
            HpaMetric::CpuUtilization { target_percent } => target_percent,
            HpaMetric::InFlight { target } => target,
        }
    }

    /// True for CPU, where not-yet-ready pods are set aside (domain.md §5).
    pub fn is_cpu(self) -> bool {
        matches!(self, HpaMetric::CpuUtilization { .. })
    }
}

/// How a scaling policy limits change per period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// At most `value` pods per period.
    Pods,
    /// At most `value` percent of the replicas at the period's start.
    Percent,
}

/// One HPA scaling policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScalingPolicy {
    /// Pods or percent.
    pub kind: PolicyKind,
    /// The amount (pods, or percent).
    pub value: u32,
    /// The window the amount applies to (1 s to 30 min).
    pub period: SimTime,
}

/// Which policy wins when several apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectPolicy {
    /// The policy allowing the largest change (the default).
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// Scaling rules for one direction.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingRules {
    /// Past recommendations this far back are considered.
    pub stabilization: SimTime,
    /// How the policies combine.
    pub select: SelectPolicy,
    /// The rate limits.
    pub policies: Vec<ScalingPolicy>,
}

impl ScalingRules {
    /// Scale-up defaults: no stabilisation; 4 pods or 100 % per 15 s,
    /// whichever is more (domain.md §5; k8s: pkg/apis/autoscaling/v2/defaults.go
    /// `GenerateHPAScaleUpRules`).
    pub fn default_up() -> Self {
        ScalingRules {
            stabilization: SimTime::ZERO,
            select: SelectPolicy::Max,
            policies: vec![
                ScalingPolicy {
                    kind: PolicyKind::Pods,
                    value: 4,
                    period: secs(15),
                },
                ScalingPolicy {
                    kind: PolicyKind::Percent,
                    value: 100,
                    period: secs(15),
                },
            ],
        }
    }

    /// Scale-down defaults: a 300 s window (the highest recommendation of the
    /// last 5 min wins); 100 % per 15 s (domain.md §5; k8s:
    /// pkg/apis/autoscaling/v2/defaults.go `GenerateHPAScaleDownRules`,
    /// pkg/controller/podautoscaler/config/v1alpha1/defaults.go).
    pub fn default_down() -> Self {
        ScalingRules {
            stabilization: secs(300),
            select: SelectPolicy::Max,
            policies: vec![ScalingPolicy {
                kind: PolicyKind::Percent,
                value: 100,
                period: secs(15),
            }],
        }
    }

    /// The longest policy period (how long scale events matter).
    pub fn longest_period(&self) -> SimTime {
        self.policies
            .iter()
            .map(|p| p.period)
            .max()
            .unwrap_or(SimTime::ZERO)
    }

    /// Reads `{ stabilization = "60s", select = "max", policies = [{ type = "pods", value = 4, period = "15s" }] }`,
    /// starting from `self`.
    fn read(mut self, mut tr: TableReader, diags: &mut Diagnostics) -> Self {
        // Validation limits: k8s pkg/apis/autoscaling/validation/validation.go
        // (window 0..=3600 s, period 1..=1800 s, value > 0, at least one policy).
        read_duration(
            &mut tr,
            "stabilization",
            (SimTime::ZERO, secs(3600)),
            &mut self.stabilization,
            diags,
        );
        if let Some(s) = tr.str("select", diags) {
            match s.value.as_str() {
                "max" => self.select = SelectPolicy::Max,
                "min" => self.select = SelectPolicy::Min,
                "disabled" => self.select = SelectPolicy::Disabled,
                other => diags.error_hint(
                    s.span,
                    format!("unknown select policy '{other}'"),
                    suggest(other, ["max", "min", "disabled"])
                        .or(Some("use max, min or disabled".into())),
                ),
            }
        }
        if let Some(items) = tr.array("policies", diags) {
            let path = format!("{}.policies", tr.path);
            if items.is_empty() {
                diags.error(
                    tr.span_of("policies"),
                    format!("'{path}' needs at least one policy"),
                );
            }
            self.policies = items
                .into_iter()
                .filter_map(|v| read_policy(TableReader::new(v, &path, diags)?, diags))
                .collect();
        }
        tr.finish(&["stabilization", "select", "policies"], diags);
        self
    }
}

fn read_policy(mut tr: TableReader, diags: &mut Diagnostics) -> Option<ScalingPolicy> {
    let before = diags.len();
    let kind = match tr.str("type", diags) {
        Some(s) if s.value == "pods" => Some(PolicyKind::Pods),
        Some(s) if s.value == "percent" => Some(PolicyKind::Percent),
        Some(s) => {
            diags.error_hint(
                s.span,
                format!("unknown policy type '{}'", s.value),
                suggest(&s.value, ["pods", "percent"]).or(Some("use pods or percent".into())),
            );
            None
        }
        None => {
            if !tr.has("type") {
                tr.missing("type", diags, "\"pods\"");
            }
            None
        }
    };
    let mut value = 0;
    if !tr.has("value") {
        tr.missing("value", diags, "4");
    }
    read_count(&mut tr, "value", (1, u32::MAX), &mut value, diags);
    let mut period = SimTime::ZERO;
    if !tr.has("period") {
        tr.missing("period", diags, "\"15s\"");
    }
    read_duration(
        &mut tr,
        "period",
        (SimTime::SECOND, secs(1800)),
        &mut period,
        diags,
    );
    tr.finish(&["type", "value", "period"], diags);
    (diags.len() == before).then_some(ScalingPolicy {
        kind: kind?,
        value,
        period,
    })
}

/// A Horizontal Pod Autoscaler.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSpec {
    /// Lower bound (default 1: domain.md §5, pkg/apis/autoscaling/v2/defaults.go).
    pub min_replicas: u32,
    /// Upper bound (required).
    pub max_replicas: u32,
    /// The metric and its target.
    pub metric: HpaMetric,
    /// No change while |ratio − 1| ≤ this (default 0.1: domain.md §5,
    /// pkg/controller/podautoscaler/config/v1alpha1/defaults.go).
    pub tolerance: f64,
    /// Time between reconciliations (default 15 s, same source).
    pub sync_period: SimTime,
    /// Scale-up behaviour.
    pub scale_up: ScalingRules,
    /// Scale-down behaviour.
    pub scale_down: ScalingRules,
    /// A pod's readiness flip within this of its start is not trusted for CPU
    /// (default 30 s, same source).
    pub initial_readiness_delay: SimTime,
    /// CPU samples of pods younger than this are checked against readiness
    /// (default 5 min, same source).
    pub cpu_initialization_period: SimTime,
}

impl HpaSpec {
    /// Keys of an HPA table.
    pub const KNOWN_KEYS: &'static [&'static str] = &[
        "min_replicas",
        "max_replicas",
        "metric",
        "target",
        "tolerance",
        "sync_period",
        "scale_up",
        "scale_down",
        "initial_readiness_delay",
        "cpu_initialization_period",
    ];

    /// The defaults with the given maximum.
    pub fn with_max(max_replicas: u32) -> Self {
        HpaSpec {
            min_replicas: 1,
            max_replicas,
            metric: HpaMetric::CpuUtilization {
                target_percent: 80.0,
            },
            tolerance: 0.1,
            sync_period: secs(15),
            scale_up: ScalingRules::default_up(),
            scale_down: ScalingRules::default_down(),
            initial_readiness_delay: secs(30),
            cpu_initialization_period: secs(300),
        }
    }

    /// Reads `{ max_replicas = 10, metric = "cpu", target = 70 }`.
    pub fn read(mut tr: TableReader, diags: &mut Diagnostics) -> Option<Self> {
        let before = diags.len();
        let mut h = HpaSpec::with_max(1);
        if !tr.has("max_replicas") {
            tr.missing("max_replicas", diags, "10");
        }
        read_count(
            &mut tr,
            "max_replicas",
            (1, u32::MAX),
            &mut h.max_replicas,
            diags,
        );
        // minReplicas 0 needs the alpha HPAScaleToZero gate; not modelled.
        read_count(
            &mut tr,
            "min_replicas",
            (1, u32::MAX),
            &mut h.min_replicas,
            diags,
        );
        // Compare only when max_replicas itself was read without a problem.
        if diags.len() == before && h.min_replicas > h.max_replicas {
            diags.error(
                tr.span_of("min_replicas"),
                format!(
                    "'{}.min_replicas' ({}) must not exceed max_replicas ({})",
                    tr.path, h.min_replicas, h.max_replicas
                ),
            );
        }
        let metric = tr.str("metric", diags);
        let target = tr.f64("target", diags);
        if let Some(t) = &target
            && !(t.value > 0.0 && t.value.is_finite())
        {
            diags.error(
                t.span.clone(),
                format!("'{}.target' must be positive", tr.path),
            );
        }
        let target = target.map(|t| t.value);
        match metric.as_ref().map(|m| m.value.as_str()) {
            None | Some("cpu") => {
                h.metric = HpaMetric::CpuUtilization {
                    target_percent: target.unwrap_or(80.0),
                }
            }
            Some("in_flight") => match target {
                Some(target) => h.metric = HpaMetric::InFlight { target },
                None if !tr.has("target") => tr.missing("target", diags, "20"),
                None => {}
            },
            Some(other) => diags.error_hint(
                metric
                    .as_ref()
                    .map(|m| m.span.clone())
                    .unwrap_or(tr.span.clone()),
                format!("unknown HPA metric '{other}'"),
                suggest(other, ["cpu", "in_flight"]).or(Some("use cpu or in_flight".into())),
            ),
        }
        if let Some(t) = tr.f64("tolerance", diags) {
            if t.value >= 0.0 && t.value.is_finite() {
                h.tolerance = t.value;
            } else {
                diags.error(
                    t.span,
                    format!("'{}.tolerance' must not be negative", tr.path),
                );
            }
        }
        read_duration(
            &mut tr,
            "sync_period",
            POSITIVE_TIME,
            &mut h.sync_period,
            diags,
        );
        read_duration(
            &mut tr,
            "initial_readiness_delay",
            ANY_TIME,
            &mut h.initial_readiness_delay,
            diags,
        );
        read_duration(
            &mut tr,
            "cpu_initialization_period",
            ANY_TIME,
            &mut h.cpu_initialization_period,
            diags,
        );
        if let Some(t) = tr.table("scale_up", diags) {
            h.scale_up = ScalingRules::default_up().read(t, diags);
        }
        if let Some(t) = tr.table("scale_down", diags) {
            h.scale_down = ScalingRules::default_down().read(t, diags);
        }
        tr.finish(Self::KNOWN_KEYS, diags);
        (diags.len() == before).then_some(h)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::parse_with;
    use super::*;

    #[test]
    fn defaults_follow_autoscaling_v2() {
        let (h, e) = parse_with("d = { max_replicas = 10 }", HpaSpec::read);
        assert_eq!(e, "");
        let h = h.unwrap();
        assert_eq!(h, HpaSpec::with_max(10));
        assert_eq!(h.metric.target(), 80.0);
        assert_eq!(h.scale_down.stabilization, secs(300));
        assert_eq!(h.scale_up.policies.len(), 2);
    }

    #[test]
    fn behaviour_and_metric_are_read() {
        let src = r#"d = { min_replicas = 2, max_replicas = 20, metric = "in_flight", target = 8,
            scale_up = { stabilization = "60s", select = "min", policies = [{ type = "pods", value = 2, period = "1m" }] },
            scale_down = { select = "disabled" } }"#;
        let (h, e) = parse_with(src, HpaSpec::read);
        assert_eq!(e, "");
        let h = h.unwrap();
        assert_eq!(h.metric, HpaMetric::InFlight { target: 8.0 });
        assert_eq!(h.scale_up.stabilization, secs(60));
        assert_eq!(h.scale_up.select, SelectPolicy::Min);
        assert_eq!(
            h.scale_up.policies,
            vec![ScalingPolicy {
                kind: PolicyKind::Pods,
                value: 2,
                period: secs(60)
            }]
        );
        assert_eq!(h.scale_down.select, SelectPolicy::Disabled);
        assert_eq!(h.scale_down.stabilization, secs(300));
    }

    #[test]
    fn bad_hpa_settings_are_each_reported() {
        let src = r#"d = { min_replicas = 5, max_replicas = 3, metric = "in_flight", tolerance = -1,
            scale_up = { policies = [{ type = "pod", value = 0, period = "1h" }] } }"#;
        let (h, e) = parse_with(src, HpaSpec::read);
        assert!(h.is_none());
        for want in [
            "'d.min_replicas' (5) must not exceed max_replicas (3)",
            "'d' needs 'target'",
            "'d.tolerance' must not be negative",
            "unknown policy type 'pod'",
            "did you mean 'pods'",
            "'d.scale_up.policies.value' must be at least 1",
            "'d.scale_up.policies.period' must be from 1s to 30m, found 1h",
        ] {
            assert!(e.contains(want), "missing {want:?} in {e}");
        }
        let (h, e) = parse_with("d = { min_replicas = 1 }", HpaSpec::read);
        assert!(h.is_none() && e.contains("needs 'max_replicas'"), "{e}");
    }
}
