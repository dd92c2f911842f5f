//! The model: a validated, typed description of a system read from a TOML
//! file. Components with instance counts (k of n), dependencies, failure and
//! repair distributions, common-cause groups (nodes, zones) and repair crews.
//!
//! ```
//! let text = r#"
//! [components.web]
//! instances = 2
//! failure = { dist = "exponential", mean = "30d" }
//! repair = { dist = "exponential", mean = "1h" }
//! "#;
//! let model = resim::model::Model::parse(text, "example.toml").unwrap();
//! assert_eq!(model.components[0].instances, 2);
//! ```

pub mod backup_spec;
mod crew_spec;
pub mod db_spec;
pub mod dist;
pub mod dns_spec;
pub mod error;
pub mod k8s_spec;
mod lint;
mod partition_spec;
mod read;
pub(crate) use read::TOP_KEYS;
mod read_cache;
mod read_drill;
mod read_persistence;
mod read_redis_ha;
mod read_stampede;
pub mod reader;
mod request_lint;
pub mod resilience;
mod response_spec;
pub mod serving;
pub mod structure;
pub mod units;
pub mod workload;

use std::path::Path;

pub use dist::Dist;
pub use error::ModelError;
pub use serving::{LbAlgorithm, Serving};
pub use structure::{Pick, Structure};

use crate::engine::SimTime;

/// What a component is. Kinds carry their own mechanics in the drill; for
/// availability they differ only where noted (a database fails over).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComponentKind {
    /// Name resolution (resolvers).
    Dns,
    /// A load balancer (one or more instances).
    LoadBalancer,
    /// Stateless application pods on Kubernetes.
    Pods,
    /// A cache such as Redis.
    Cache,
    /// A database: a primary and read replicas, with failover.
    Database,
    /// Anything else.
    Generic,
}

impl ComponentKind {
    /// The names accepted in model files.
    pub const NAMES: &'static [&'static str] = &[
        "dns",
        "load_balancer",
        "pods",
        "cache",
        "database",
        "generic",
    ];

    /// Parses a kind name.
    pub fn from_name(name: &str) -> Option<ComponentKind> {
        Some(match name {
            "dns" => ComponentKind::Dns,
            "load_balancer" => ComponentKind::LoadBalancer,
            "pods" => ComponentKind::Pods,
            "cache" => ComponentKind::Cache,
            "database" => ComponentKind::Database,
            "generic" => ComponentKind::Generic,
            _ => return None,
        })
    }

    /// The name as written in model files.
    pub fn name(self) -> &'static str {
        match self {
            ComponentKind::Dns => "dns",
            ComponentKind::LoadBalancer => "load_balancer",
            ComponentKind::Pods => "pods",
            ComponentKind::Cache => "cache",
            ComponentKind::Database => "database",
            ComponentKind::Generic => "generic",
        }
    }
}

/// How a component's instances fail and come back.
#[derive(Clone, Debug)]
pub struct Reliability {
    /// Time to failure of one instance.
    pub failure: Dist,
    /// Time to repair one instance (once a crew is on it).
    pub repair: Dist,
}

/// A database's primary/replica arrangement.
#[derive(Clone, Debug)]
pub struct Failover {
    /// Time from the primary's failure to a replica serving as primary.
    pub time: Dist,
}

/// One component of the system.
#[derive(Clone, Debug)]
pub struct Component {
    /// Its id in the model file (`[components.<id>]`).
    pub id: String,
    /// Its kind.
    pub kind: ComponentKind,
    /// Number of instances n (for a database: the primary plus its replicas).
    pub instances: u32,
    /// How many instances must be up for the component to work (k of n).
    /// For a database: the primary role must be served; see [`Component::failover`].
    pub min_up: u32,
    /// Components this one cannot work without (indices into [`Model::components`]):
    /// every component its dependency expression names.
    pub depends_on: Vec<usize>,
    /// What of `depends_on` it needs when that is not all of them
    /// (`depends_on = { any = [...] }`); `None`: every one.
    pub requires: Option<Structure>,
    /// Components this one calls but survives without (degraded), e.g. a cache.
    pub soft_depends_on: Vec<usize>,
    /// Failure and repair; `None` means it never fails.
    pub reliability: Option<Reliability>,
    /// The group each instance is placed on (instance i on `placement[i % len]`), if any.
    pub placement: Vec<usize>,
    /// The repair crew its instances wait for, if crews are limited.
    pub crew: Option<usize>,
    /// Primary/replica failover, for databases.
    pub failover: Option<Failover>,
    /// How it serves requests in a drill.
    pub serving: Serving,
    /// Caller-side policies (timeout, retries, budget, breaker, bulkhead)
    /// on its calls to a dependency, by dependency index.
    pub calls: Vec<(usize, resilience::CallPolicy)>,
    /// Pods run as a Deployment (pod template, HPA, rollout), if a `pod` table is given.
    pub workload: Option<Box<workload::Workload>>,
}

impl Component {
    /// The group instance `i` is placed on.
    pub fn group_of(&self, i: usize) -> Option<usize> {
        (!self.placement.is_empty()).then(|| self.placement[i % self.placement.len()])
    }
}

/// What a common-cause group stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// A machine (Kubernetes node, VM, host).
    Node,
    /// A rack, PDU or switch domain.
    Rack,
    /// An availability zone or data centre.
    Zone,
    /// Anything else that fails as one.
    Generic,
}

impl GroupKind {
    /// The names accepted in model files.
    pub const NAMES: &'static [&'static str] = &["node", "rack", "zone", "generic"];

    /// Parses a kind name.
    pub fn from_name(name: &str) -> Option<GroupKind> {
        Some(match name {
            "node" => GroupKind::Node,
            "rack" => GroupKind::Rack,
            "zone" => GroupKind::Zone,
            "generic" => GroupKind::Generic,
            _ => return None,
        })
    }

    /// The name as written in model files.
    pub fn name(self) -> &'static str {
        match self {
            GroupKind::Node => "node",
            GroupKind::Rack => "rack",
            GroupKind::Zone => "zone",
            GroupKind::Generic => "generic",
        }
    }
}

/// A common-cause failure domain: when it fails, every instance placed on it
/// (and every group within it) is down until it is repaired.
#[derive(Clone, Debug)]
pub struct Group {
    /// Its id (`[groups.<id>]`).
    pub id: String,
    /// What it stands for.
    pub kind: GroupKind,
    /// The group it sits in (a node within a zone), if any.
    pub within: Option<usize>,
    /// Failure and repair; `None` means it never fails on its own.
    pub reliability: Option<Reliability>,
    /// The repair crew it waits for, if crews are limited.
    pub crew: Option<usize>,
}

/// A limited pool of people who repair failures one at a time each.
#[derive(Clone, Debug)]
pub struct Crew {
    /// Its id (`[crews.<id>]`).
    pub id: String,
    /// How many repairs can run at once.
    pub size: u32,
    /// Which waiting repair a free member takes next.
    pub policy: RepairPolicy,
    /// The crew starts work once this many of its entities are down (1:
    /// at once), and then stays until none is left.
    pub call_out: u32,
}

/// The order in which a crew takes waiting repairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepairPolicy {
    /// First come, first served.
    Fifo,
    /// By rank, lowest first: the rank of each component, then of each
    /// group (listed ones in their order, the rest after them in file
    /// order); instances of one component by instance index. Repairs under
    /// way are not interrupted.
    Priority {
        /// Per component, its rank.
        components: Vec<u32>,
        /// Per group, its rank.
        groups: Vec<u32>,
    },
    /// Uniformly at random among those waiting.
    Random,
}

impl RepairPolicy {
    /// The names accepted in model files.
    pub const NAMES: &'static [&'static str] = &["fifo", "priority", "random"];

    /// The policy's name.
    pub fn name(&self) -> &'static str {
        match self {
            RepairPolicy::Fifo => "fifo",
            RepairPolicy::Priority { .. } => "priority",
            RepairPolicy::Random => "random",
        }
    }
}

/// A validated model.
#[derive(Clone, Debug)]
pub struct Model {
    /// The file name it came from.
    pub origin: String,
    /// The system's name.
    pub name: String,
    /// A free-text description.
    pub description: String,
    /// Components in file order.
    pub components: Vec<Component>,
    /// Common-cause groups in file order.
    pub groups: Vec<Group>,
    /// Repair crews in file order.
    pub crews: Vec<Crew>,
    /// The service's up-condition (`[service]`); `None`: every entry component works.
    pub service: Option<Structure>,
    /// Request traffic for drills, if the model gives any.
    pub traffic: Option<Traffic>,
    /// Failure scenarios for drills, in file order.
    pub scenarios: Vec<crate::scenario::Scenario>,
    /// The nodes pods are scheduled on (`[cluster]`), if given.
    pub cluster: Option<workload::Cluster>,
    /// Service-level objectives (`[slo]`), if given.
    pub slo: Option<crate::slo::Slo>,
    /// Hourly costs (`[cost]`), if given.
    pub cost: Option<crate::cost::Cost>,
    /// Alerting rules (`[[alerts]]`, `[slo] alerts`), if any.
    pub alerting: Option<crate::alerts::Alerting>,
    /// Deploys that may be bad (`[changes]`), one source per target.
    pub changes: Vec<crate::changes::ChangeSource>,
    /// Defaults resim filled in, in words, for `resim check`.
    pub defaults_applied: Vec<String>,
}

/// The offered load of a drill.
#[derive(Clone, Debug)]
pub struct Traffic {
    /// Mean arrival rate of an open Poisson stream [req/s] (before a profile).
    pub rate: f64,
    /// Share of requests that only read, in [0, 1].
    pub read_ratio: f64,
    /// How long a client waits for a whole request.
    pub timeout: SimTime,
    /// How the rate varies over time, if it does.
    pub profile: Option<LoadProfile>,
}

impl Traffic {
    /// The highest arrival rate the traffic reaches \[req/s\].
    pub fn peak_rate(&self) -> f64 {
        let profile = match &self.profile {
            Some(LoadProfile::Points(p)) => p.iter().map(|&(_, r)| r).fold(0.0, f64::max),
            Some(LoadProfile::Daily { trough, peak, .. }) => trough.max(*peak),
            None => 0.0,
        };
        self.rate.max(profile)
    }
}

/// An arrival rate that varies over time: piecewise linear through points,
/// or a daily curve. Times count from the end of the warm-up.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadProfile {
    /// Linear between (time \[s\], rate \[req/s\]) points, sorted by time; flat
    /// before the first and after the last. Two points at one time make a step.
    Points(Vec<(f64, f64)>),
    /// A 24-hour sinusoid between a trough and a peak.
    Daily {
        /// Lowest rate [req/s].
        trough: f64,
        /// Highest rate [req/s].
        peak: f64,
        /// Time of day of the peak [s since the start].
        peak_at: f64,
    },
}

impl LoadProfile {
    /// The rate at `t` seconds after the end of the warm-up (negative: during it).
    pub fn rate_at(&self, t: f64) -> f64 {
        match self {
            LoadProfile::Points(p) => {
                let i = p.partition_point(|&(pt, _)| pt <= t);
                if i == 0 {
                    return p[0].1;
                }
                if i == p.len() {
                    return p[p.len() - 1].1;
                }
                let (t0, r0) = p[i - 1];
                let (t1, r1) = p[i];
                if t1 <= t0 {
                    r1
                } else {
                    r0 + (r1 - r0) * (t - t0) / (t1 - t0)
                }
            }
            LoadProfile::Daily {
                trough,
                peak,
                peak_at,
            } => {
                let phase = 2.0 * std::f64::consts::PI * (t - peak_at) / 86_400.0;
                trough + (peak - trough) * (1.0 + phase.cos()) / 2.0
            }
        }
    }

    /// The highest rate the profile reaches [req/s].
    pub fn max_rate(&self) -> f64 {
        match self {
            LoadProfile::Points(p) => p.iter().map(|x| x.1).fold(0.0, f64::max),
            LoadProfile::Daily { peak, trough, .. } => peak.max(*trough),
        }
    }
}

/// The largest model file (or file a model names) resim reads \[bytes\].
pub const MAX_MODEL_BYTES: u64 = 16 << 20;

/// Reads a UTF-8 text file of at most [`MAX_MODEL_BYTES`], so a device or a
/// huge file (`/dev/zero`) gives an error instead of filling the memory.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_MODEL_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_MODEL_BYTES {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "larger than {} MiB; resim reads model files up to that size",
                MAX_MODEL_BYTES >> 20
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidData,
            format!("not UTF-8 text ({})", e.utf8_error()),
        )
    })
}

impl Model {
    /// Parses and validates model text; `origin` names it in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Model, ModelError> {
        read::read_model(text, origin)
    }

    /// Reads and parses a model file.
    ///
    /// At most [`MAX_MODEL_BYTES`] are read (see [`read_text`]).
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let origin = path.display().to_string();
        let text = read_text(path).map_err(|e| {
            ModelError::whole_file(&origin, format!("cannot read the model file: {e}"))
        })?;
        Model::parse(&text, &origin)
    }

    /// The health check of the load balancer in front of component `c`,
    /// if one checks it (the first such load balancer in file order).
    pub fn health_check_of(&self, c: usize) -> Option<k8s_spec::HealthCheckSpec> {
        self.components.iter().find_map(|lb| {
            lb.serving
                .health_check
                .filter(|_| lb.depends_on.contains(&c) || lb.soft_depends_on.contains(&c))
        })
    }

    /// The index of the component with this id.
    pub fn component_index(&self, id: &str) -> Option<usize> {
        self.components.iter().position(|c| c.id == id)
    }

    /// The components nothing else depends on: the service's entry points.
    pub fn entry_components(&self) -> Vec<usize> {
        (0..self.components.len())
            .filter(|&i| {
                !self
                    .components
                    .iter()
                    .any(|c| c.depends_on.contains(&i) || c.soft_depends_on.contains(&i))
            })
            .collect()
    }

    /// Total number of component instances.
    pub fn instance_count(&self) -> usize {
        self.components.iter().map(|c| c.instances as usize).sum()
    }
}

/// The default failover time when a database gives none: 30 s, the Patroni
/// leader-lock TTL (domain reference §16: 20-40 s of no writes).
pub const DEFAULT_FAILOVER: SimTime = SimTime(30 * SimTime::SECOND.0);
