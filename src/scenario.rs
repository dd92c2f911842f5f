//! Failure scenarios: a name, a measured duration after a warm-up, and a
//! timeline of faults (what breaks) and containment actions (what the
//! runbook does), so that a runbook's steps become simulated events.
//!
//! The fault verbs follow turmoil's vocabulary: `crash`, `bounce`, `slow`,
//! `partition`, `hold`, and `errors` (a share of calls answered 500); the actions are `scale`, `set`, `repair`, `release`,
//! for pods `apply`, `rollout_restart` and `autoscale`, for Redis `flush`
//! and `config_set`, for DNS `restart_resolver`,
//! `switch_resolver`, `hosts_override`, and for databases `fill_disk` and
//! `cleanup_disk`.

use crate::engine::SimTime;

/// A named failure scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Its name (`--scenario NAME`).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Measured time after the warm-up.
    pub duration: SimTime,
    /// Simulated but unmeasured time before it, so queues reach steady state.
    pub warmup: SimTime,
    /// Faults and actions, sorted by time.
    pub events: Vec<TimedEvent>,
    /// Every instance and group also fails and is repaired by its model
    /// distributions during the drill (`random_failures = true`).
    pub random_failures: bool,
    /// The scenario's own traffic, when it overrides the model's `[traffic]`.
    pub traffic: Option<crate::model::Traffic>,
    /// When the trouble starts, for the time to detect, mitigate and
    /// recover (`onset = "75s"`); the first fault when `None`.
    pub onset: Option<SimTime>,
}

impl Scenario {
    /// When the trouble starts: `onset`, else the first fault (`None`
    /// when the scenario has neither: any alert in it is a false alarm).
    pub fn onset(&self) -> Option<SimTime> {
        self.onset.or_else(|| {
            self.events
                .iter()
                .filter(|e| matches!(e.what, EventKind::Fault(_)) && e.on_alert.is_none())
                .map(|e| e.at)
                .min()
        })
    }
}

/// One entry of a scenario's timeline.
#[derive(Clone, Debug)]
pub struct TimedEvent {
    /// Time from the end of the warm-up.
    pub at: SimTime,
    /// What happens.
    pub what: EventKind,
    /// A short label for charts and reports, e.g. `crash app[0]`.
    pub label: String,
    /// The action waits for an alert instead of the clock (`at` unused).
    pub on_alert: Option<OnAlert>,
    /// How long the action takes from its start until its effect (a
    /// restart waiting for the process to come back); at once when `None`.
    pub takes: Option<crate::model::Dist>,
}

/// `on_alert = "RedisMemoryHigh"`, `after = {...}`: the on-call starts the
/// action this long after the alert first fires (page, acknowledge, diagnose).
#[derive(Clone, Debug)]
pub struct OnAlert {
    /// The rule's index in the model's alerting.
    pub rule: usize,
    /// The rule's name.
    pub name: String,
    /// The human delay; none when `None`.
    pub after: Option<crate::model::Dist>,
}

/// A fault or a containment action.
#[derive(Clone, Debug)]
pub enum EventKind {
    /// Something breaks: one component (or one of its instances), or, for a
    /// common-cause group such as a node, every instance placed on it.
    Fault(Vec<FaultSpec>),
    /// The runbook does something.
    Action(Action),
}

/// A fault on a component, or on one of its instances.
#[derive(Clone, Debug)]
pub struct FaultSpec {
    /// What kind of fault.
    pub fault: Fault,
    /// The component index.
    pub target: usize,
    /// One instance, or every instance when `None`.
    pub instance: Option<u32>,
    /// How long it lasts; `None` until a `repair`/`release` action or the end.
    pub duration: Option<SimTime>,
    /// The common-cause group the fault hit, when it came from a group
    /// target (a node crash reaches pods with a `pod` spec through it).
    pub group: Option<usize>,
}

/// What a fault does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    /// The process dies: in-flight and queued requests fail, new connections
    /// are refused until it is back.
    Crash,
    /// A restart: like a crash that lasts `duration` (default 10 s).
    Bounce,
    /// Service times multiplied by a factor.
    Slow(f64),
    /// A share in \[0, 1\] of the target's calls fail with a server error
    /// once served (a bad release answering 500s).
    Errors(f64),
    /// Calls between the target and `peer` (one instance of it, or all) are
    /// dropped (callers time out) or, with `refuse`, refused at once.
    Partition {
        /// The peer component.
        peer: usize,
        /// One instance of the peer, or all when `None`.
        peer_instance: Option<u32>,
        /// Refused rather than dropped.
        refuse: bool,
    },
    /// The process hangs: it accepts and queues requests but serves none.
    Hold,
}

/// A containment action.
#[derive(Clone, Debug)]
pub enum Action {
    /// Run this many instances (`kubectl scale`); new ones start after `startup`.
    Scale {
        /// The component index.
        target: usize,
        /// New instance count.
        replicas: u32,
    },
    /// Change a serving parameter.
    Set {
        /// The component index.
        target: usize,
        /// Which parameter.
        param: Param,
        /// Its new value (milliseconds for times).
        value: f64,
    },
    /// End every crash, slowdown and partition on the target.
    Repair {
        /// The component index.
        target: usize,
    },
    /// End a hold on the target: queued requests are served again.
    Release {
        /// The component index.
        target: usize,
    },
    /// `kubectl apply` of a changed pod template: a new revision rolled out
    /// by a rolling update (pods with a `pod` spec only).
    Apply {
        /// The component index.
        target: usize,
        /// What changes in the template.
        change: PodChange,
    },
    /// `kubectl autoscale`: a Horizontal Pod Autoscaler takes over the replica count.
    Autoscale {
        /// The component index.
        target: usize,
        /// The HPA.
        hpa: Box<crate::model::k8s_spec::HpaSpec>,
    },
    /// `kubectl rollout restart`: a new revision with the same template.
    RolloutRestart {
        /// The component index.
        target: usize,
    },
    /// `redis-cli flushall`: a cache with a key space loses every key.
    Flush {
        /// The component index.
        target: usize,
    },
    /// `redis-cli config set maxmemory 2gb` (or `maxmemory-policy`).
    ConfigSet {
        /// The component index.
        target: usize,
        /// What changes.
        setting: crate::redis::CacheSetting,
    },
    /// Restart a `dns` component's resolvers (`kubectl rollout restart
    /// deployment coredns`): all up again, their caches empty.
    RestartResolver {
        /// The component index.
        target: usize,
    },
    /// The clients' resolv.conf lists another resolver first (added if it
    /// was not listed).
    SwitchResolver {
        /// The component index.
        target: usize,
        /// The resolver instance to put first; the second listed when `None`.
        to: Option<u32>,
    },
    /// The clients' /etc/hosts maps the name: lookups skip DNS.
    HostsOverride {
        /// The component index.
        target: usize,
    },
    /// Free a database's disk: writes are accepted again.
    CleanupDisk {
        /// The component index.
        target: usize,
        /// Free space after the cleanup \[bytes\]; the starting free space when `None`.
        free: Option<u64>,
    },
    /// Something else eats a database's disk (a runaway log, WAL kept for a
    /// stuck replication slot): only `free` bytes are left from now on, and
    /// the disk goes on filling at its rate.
    FillDisk {
        /// The component index.
        target: usize,
        /// Free space left \[bytes\].
        free: u64,
    },
    /// A command run on a cache (`redis-cli keys '*'`, a big key's `DEL`).
    Command {
        /// The component index.
        target: usize,
        /// The command.
        command: crate::redis::slow_command::SlowCommand,
    },
    /// A database loses its data (its disk with the replicas', or a bad
    /// write replicated everywhere) and is restored from its backups after
    /// `restore_after`.
    LoseData {
        /// The component index.
        target: usize,
        /// What destroyed the data.
        cause: crate::model::backup_spec::DataLoss,
        /// The time until the restore starts.
        restore_after: SimTime,
    },
}

/// The parts of a pod template an `apply` action may change (`None`: unchanged).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PodChange {
    /// New memory request \[bytes\].
    pub memory_request: Option<u64>,
    /// New memory limit \[bytes\].
    pub memory_limit: Option<u64>,
    /// New memory leak (a new image) [bytes/s].
    pub leak_per_sec: Option<f64>,
    /// The new version is a bad release (`None`: it works).
    pub bad: Option<BadRelease>,
}

/// What is wrong with a bad release's pods (`bad_release = { ... }` on an
/// `apply`): an error rate, a slowdown, or a crash at every start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BadRelease {
    /// Share of the calls its pods serve that fail with a server error [0, 1].
    pub errors: f64,
    /// Multiplier on its pods' service times (1: none).
    pub slowdown: f64,
    /// Its containers crash at every start (CrashLoopBackOff, never Ready).
    pub crash: bool,
}

impl Default for BadRelease {
    fn default() -> Self {
        BadRelease {
            errors: 0.0,
            slowdown: 1.0,
            crash: false,
        }
    }
}

/// A serving parameter a `set` action may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// Workers per instance.
    Workers,
    /// Queue length per instance.
    Queue,
    /// Cache hit ratio.
    HitRatio,
    /// Callers' timeout \[ms\].
    TimeoutMs,
    /// Multiplier on service times.
    ServiceFactor,
}

impl Param {
    /// Names accepted in model files.
    pub const NAMES: &'static [&'static str] =
        &["workers", "queue", "hit_ratio", "timeout", "service_factor"];

    /// Parses a name.
    pub fn from_name(name: &str) -> Option<Param> {
        Some(match name {
            "workers" => Param::Workers,
            "queue" => Param::Queue,
            "hit_ratio" => Param::HitRatio,
            "timeout" => Param::TimeoutMs,
            "service_factor" => Param::ServiceFactor,
            _ => return None,
        })
    }
}

/// The fault names accepted in model files.
pub const FAULT_NAMES: &[&str] = &["crash", "bounce", "slow", "errors", "partition", "hold"];
/// The action names accepted in model files.
pub const ACTION_NAMES: &[&str] = &[
    "scale",
    "set",
    "repair",
    "release",
    "apply",
    "rollout_restart",
    "autoscale",
    "flush",
    "config_set",
    "restart_resolver",
    "switch_resolver",
    "hosts_override",
    "cleanup_disk",
    "fill_disk",
    "lose_data",
    "command",
];
/// How long a bounce keeps the target down when no duration is given.
pub const DEFAULT_BOUNCE: SimTime = SimTime(10 * SimTime::SECOND.0);
