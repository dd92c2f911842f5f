//! Kubernetes mechanics as small deterministic state machines: the kubelet's
//! CrashLoopBackOff, container probes, the Horizontal Pod Autoscaler, the
//! Deployment's rolling update, node loss, memory growth and OOM kills.
//!
//! None of them knows the engine. Each is driven by explicit `now: SimTime`
//! arguments and answers with what happens next (a restart time, a
//! transition, a replica count), so the drill can call them from its event
//! handlers and schedule the answer. Their settings come from
//! [`crate::model::k8s_spec`]; the behaviour follows the upstream code cited
//! in each module (see `shared/reference/domain.md` §1-§5).

pub mod backoff;
pub mod canary;
pub mod cpu;
pub mod events;
pub mod hpa;
pub mod node;
pub mod probe;
pub mod rollout;

pub use backoff::CrashLoop;
pub use canary::{Canary, CanaryPhase, Measurement};
pub use cpu::Cpu;
pub use hpa::{Hpa, PodSample, SampleState};
pub use node::{Node, NodeLoss, memory_at, oom_at};
pub use probe::{Probe, Transition};
pub use rollout::{Fenceposts, ReplicaSetStatus, RolloutStep};
