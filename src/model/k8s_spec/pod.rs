//! A pod template: restart policy, grace period, probes, resources and how
//! the container's memory grows.

use super::{ANY_TIME, MemorySpec, Resources, read_count, read_duration, secs};
use crate::engine::SimTime;
use crate::model::Dist;
use crate::model::error::Diagnostics;
use crate::model::reader::TableReader;

/// What the kubelet does when a container exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RestartPolicy {
    /// Restart after any exit (the default: domain.md §1;
    /// k8s: pkg/apis/core/v1/defaults.go `SetDefaults_PodSpec`).
    #[default]
    Always,
    /// Restart only after a non-zero exit code.
    OnFailure,
    /// Never restart.
    Never,
}

impl RestartPolicy {
    /// Names accepted in model files (Kubernetes' spelling also works).
    pub const NAMES: &'static [&'static str] = &["always", "on_failure", "never"];

    /// Parses `always`/`Always`, `on_failure`/`OnFailure`, `never`/`Never`.
    pub fn from_name(name: &str) -> Option<RestartPolicy> {
        match name.replace('_', "").to_ascii_lowercase().as_str() {
            "always" => Some(RestartPolicy::Always),
            "onfailure" => Some(RestartPolicy::OnFailure),
            "never" => Some(RestartPolicy::Never),
            _ => None,
        }
    }

    /// True when a container that exited with `exit_code` is restarted.
    pub fn restarts(self, exit_code: i32) -> bool {
        match self {
            RestartPolicy::Always => true,
            RestartPolicy::OnFailure => exit_code != 0,
            RestartPolicy::Never => false,
        }
    }
}

/// Which of the three container probes a [`ProbeSpec`] configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    /// Holds off the other probes until the app has started; failing kills it.
    Startup,
    /// Failing kills and restarts the container.
    Liveness,
    /// Failing takes the pod out of Service endpoints.
    Readiness,
}

/// One probe's timing and thresholds. Defaults: domain.md §2,
/// k8s: pkg/apis/core/v1/defaults.go (`SetDefaults_Probe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeSpec {
    /// Wait after the container starts before the first probe (default 0 s).
    pub initial_delay: SimTime,
    /// Time between probes (default 10 s, at least 1 s).
    pub period: SimTime,
    /// A probe not answered within this counts as failed (default 1 s, at least 1 s).
    pub timeout: SimTime,
    /// Consecutive successes to pass (default 1; must be 1 for liveness and startup).
    pub success_threshold: u32,
    /// Consecutive failures to fail (default 3).
    pub failure_threshold: u32,
}

impl Default for ProbeSpec {
    fn default() -> Self {
        ProbeSpec {
            initial_delay: SimTime::ZERO,
            period: secs(10),
            timeout: secs(1),
            success_threshold: 1,
            failure_threshold: 3,
        }
    }
}

impl ProbeSpec {
    /// Keys a probe table may hold.
    pub const KNOWN_KEYS: &'static [&'static str] = &[
        "initial_delay",
        "period",
        "timeout",
        "success_threshold",
        "failure_threshold",
    ];

    /// Reads a probe table such as `{ period = "5s", failure_threshold = 2 }`.
    pub fn read(mut tr: TableReader, kind: ProbeKind, diags: &mut Diagnostics) -> Option<Self> {
        let before = diags.len();
        let mut p = ProbeSpec::default();
        // Kubernetes counts probe times in whole seconds, minimum 1.
        let at_least_1s = (SimTime::SECOND, SimTime::NEVER);
        read_duration(
            &mut tr,
            "initial_delay",
            ANY_TIME,
            &mut p.initial_delay,
            diags,
        );
        read_duration(&mut tr, "period", at_least_1s, &mut p.period, diags);
        read_duration(&mut tr, "timeout", at_least_1s, &mut p.timeout, diags);
        let success_max = if kind == ProbeKind::Readiness {
            u32::MAX
        } else {
            1
        };
        read_count(
            &mut tr,
            "success_threshold",
            (1, success_max),
            &mut p.success_threshold,
            diags,
        );
        read_count(
            &mut tr,
            "failure_threshold",
            (1, u32::MAX),
            &mut p.failure_threshold,
            diags,
        );
        tr.finish(Self::KNOWN_KEYS, diags);
        (diags.len() == before).then_some(p)
    }
}

/// The pod template of a Kubernetes workload.
#[derive(Clone, Debug, Default)]
pub struct PodSpec {
    /// When exited containers restart.
    pub restart_policy: RestartPolicy,
    /// SIGTERM to SIGKILL (default 30 s: domain.md §3,
    /// k8s: pkg/apis/core/v1/defaults.go `DefaultTerminationGracePeriodSeconds`).
    pub termination_grace: SimTime,
    /// Container create plus app boot, before the process can answer; `None`: instant.
    pub start_time: Option<Dist>,
    /// Requests and limits.
    pub resources: Resources,
    /// Memory growth; `None`: memory is not modelled and never OOM-kills.
    pub memory: Option<MemorySpec>,
    /// The startup probe, if any.
    pub startup_probe: Option<ProbeSpec>,
    /// The liveness probe, if any.
    pub liveness_probe: Option<ProbeSpec>,
    /// The readiness probe, if any (none: Ready as soon as it runs).
    pub readiness_probe: Option<ProbeSpec>,
}

impl PodSpec {
    /// Keys of a pod table.
    pub const KNOWN_KEYS: &'static [&'static str] = &[
        "restart_policy",
        "termination_grace",
        "start_time",
        "resources",
        "memory",
        "startup_probe",
        "liveness_probe",
        "readiness_probe",
    ];

    /// The defaults: restart Always, 30 s grace, no probes, no resources.
    pub fn new() -> Self {
        PodSpec {
            termination_grace: secs(30),
            ..PodSpec::default()
        }
    }

    /// Reads a pod table.
    pub fn read(mut tr: TableReader, diags: &mut Diagnostics) -> Option<Self> {
        let before = diags.len();
        let mut p = PodSpec::new();
        if let Some(s) = tr.str("restart_policy", diags) {
            match RestartPolicy::from_name(&s.value) {
                Some(r) => p.restart_policy = r,
                None => diags.error_hint(
                    s.span,
                    format!("unknown restart policy '{}'", s.value),
                    crate::model::error::suggest(&s.value, RestartPolicy::NAMES.iter().copied())
                        .or(Some(format!(
                            "use one of {}",
                            RestartPolicy::NAMES.join(", ")
                        ))),
                ),
            }
        }
        read_duration(
            &mut tr,
            "termination_grace",
            ANY_TIME,
            &mut p.termination_grace,
            diags,
        );
        p.start_time = tr
            .table("start_time", diags)
            .and_then(|t| Dist::read(t, diags));
        if let Some(t) = tr.table("resources", diags) {
            p.resources = Resources::read(t, diags).unwrap_or_default();
        }
        p.memory = tr
            .table("memory", diags)
            .and_then(|t| MemorySpec::read(t, diags));
        for (key, kind) in [
            ("startup_probe", ProbeKind::Startup),
            ("liveness_probe", ProbeKind::Liveness),
            ("readiness_probe", ProbeKind::Readiness),
        ] {
            let probe = tr
                .table(key, diags)
                .and_then(|t| ProbeSpec::read(t, kind, diags));
            match kind {
                ProbeKind::Startup => p.startup_probe = probe,
                ProbeKind::Liveness => p.liveness_probe = probe,
                ProbeKind::Readiness => p.readiness_probe = probe,
            }
        }
        tr.finish(Self::KNOWN_KEYS, diags);
        (diags.len() == before).then_some(p)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::parse_with;
    use super::*;

    const MI: u64 = 1 << 20;

    #[test]
    fn probe_defaults_are_kubernetes_defaults() {
        let (p, e) = parse_with("d = {}", |t, d| ProbeSpec::read(t, ProbeKind::Readiness, d));
        assert_eq!(e, "");
        let p = p.unwrap();
        assert_eq!(
            (p.initial_delay, p.period, p.timeout),
            (SimTime::ZERO, secs(10), secs(1))
        );
        assert_eq!((p.success_threshold, p.failure_threshold), (1, 3));
    }

    #[test]
    fn probe_limits_are_enforced() {
        let (p, e) = parse_with(
            "d = { period = \"500ms\", success_threshold = 2, failure_threshold = 0, perod = 1 }",
            |t, d| ProbeSpec::read(t, ProbeKind::Liveness, d),
        );
        assert!(p.is_none());
        assert!(
            e.contains("'d.period' must be at least 1s, found 500ms"),
            "{e}"
        );
        assert!(
            e.contains("'d.success_threshold' must be from 1 to 1"),
            "{e}"
        );
        assert!(
            e.contains("'d.failure_threshold' must be at least 1"),
            "{e}"
        );
        assert!(e.contains("did you mean 'period'"), "{e}");
        // A readiness probe may ask for several successes.
        let (p, e) = parse_with("d = { success_threshold = 2 }", |t, d| {
            ProbeSpec::read(t, ProbeKind::Readiness, d)
        });
        assert_eq!((p.map(|p| p.success_threshold), e.as_str()), (Some(2), ""));
    }

    #[test]
    fn pod_reads_everything_and_defaults_the_rest() {
        let src = r#"d = { restart_policy = "OnFailure",
            resources = { requests = { cpu = "250m", memory = "512Mi" }, limits = { cpu = 1, memory = "1Gi" } },
            memory = { baseline = "300Mi", per_request = "2Mi", leak = "60Mi/min" },
            readiness_probe = { period = "5s" },
            start_time = { dist = "constant", value = "8s" } }"#;
        let (p, e) = parse_with(src, PodSpec::read);
        assert_eq!(e, "");
        let p = p.unwrap();
        assert_eq!(p.restart_policy, RestartPolicy::OnFailure);
        assert_eq!(p.termination_grace, secs(30));
        assert_eq!(p.resources.cpu_request, Some(250));
        assert_eq!(p.resources.cpu_limit, Some(1000));
        assert_eq!(p.resources.memory_request, Some(512 * MI));
        assert_eq!(p.resources.memory_limit, Some(1024 * MI));
        let m = p.memory.unwrap();
        assert_eq!((m.baseline, m.per_in_flight), (300 * MI, 2 * MI));
        assert!((m.leak_per_sec - MI as f64).abs() < 1e-6);
        assert_eq!(p.readiness_probe.unwrap().period, secs(5));
        assert!(p.liveness_probe.is_none() && p.startup_probe.is_none());
        assert!((p.start_time.unwrap().mean_secs() - 8.0).abs() < 1e-12);
    }

    #[test]
    fn bad_pod_settings_are_each_reported() {
        let src = r#"d = { restart_policy = "alway",
            resources = { requests = { memory = "2Gi", cpu = "lots" }, limits = { memory = "1Gi" } },
            memory = { leak = "10Mi" } }"#;
        let (p, e) = parse_with(src, PodSpec::read);
        assert!(p.is_none());
        assert!(e.contains("unknown restart policy 'alway'"), "{e}");
        assert!(e.contains("did you mean 'always'"), "{e}");
        assert!(
            e.contains("the memory request must not exceed its limit"),
            "{e}"
        );
        assert!(e.contains("'lots' is not a CPU amount"), "{e}");
        assert!(e.contains("not a growth rate"), "{e}");
    }

    #[test]
    fn restart_policy_decides_on_the_exit_code() {
        assert!(RestartPolicy::Always.restarts(0));
        assert!(!RestartPolicy::OnFailure.restarts(0));
        assert!(RestartPolicy::OnFailure.restarts(137));
        assert!(!RestartPolicy::Never.restarts(137));
    }
}
