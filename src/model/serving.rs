//! How a component serves requests in a drill: workers, a bounded queue,
//! service and network-latency distributions, the callers' timeout, and the
//! few kind-specific knobs the simple components have (cache hit ratio, DNS
//! answer TTL, load-balancing algorithm). Defaults depend on the kind.

use super::{ComponentKind, Dist};
use crate::engine::SimTime;

/// How a load balancer picks a backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum LbAlgorithm {
    /// Each backend in turn.
    RoundRobin,
    /// The backend with the fewest requests in flight (ties: lowest index).
    LeastRequest,
    /// Two random backends, the one with fewer in flight (Envoy's default).
    PowerOfTwo,
}

impl LbAlgorithm {
    /// Names accepted in model files.
    pub const NAMES: &'static [&'static str] = &["round_robin", "least_request", "p2c"];

    /// Parses a name.
    pub fn from_name(name: &str) -> Option<LbAlgorithm> {
        Some(match name {
            "round_robin" => LbAlgorithm::RoundRobin,
            "least_request" => LbAlgorithm::LeastRequest,
            "p2c" | "power_of_two" => LbAlgorithm::PowerOfTwo,
            _ => return None,
        })
    }
}

/// A component's request-serving parameters.
#[derive(Clone, Debug)]
pub struct Serving {
    /// Requests one instance serves at once (its worker pool).
    pub workers: u32,
    /// Requests one instance holds waiting for a worker; beyond, "queue full".
    pub queue: u32,
    /// Load shedding: a request that waited longer than this for a worker is
    /// answered 503 instead of served (CoDel-style queue time limit).
    pub queue_timeout: Option<SimTime>,
    /// Load shedding by an adaptive limit on requests in flight per
    /// instance (Envoy's gradient controller), if set.
    pub adaptive_concurrency: Option<crate::behaviours::AdaptiveConcurrencyConfig>,
    /// Local work per request (not counting calls to dependencies).
    pub service: Dist,
    /// One-way network latency from a caller to this component.
    pub latency: Dist,
    /// How long a caller waits for this component before giving up.
    pub timeout: SimTime,
    /// Caches: share of reads answered from the cache, in [0, 1].
    pub hit_ratio: f64,
    /// DNS: how long clients keep an answer.
    pub ttl: SimTime,
    /// DNS: the resolver mechanics (resolv.conf, client caches, CoreDNS),
    /// when the model sets any of their keys.
    pub dns: Option<super::dns_spec::DnsSpec>,
    /// Databases: connection pools, replication lag, a filling disk, when
    /// the model sets any of them.
    pub db: Option<super::db_spec::DbSpec>,
    /// Load balancers: how a backend is chosen.
    pub algorithm: LbAlgorithm,
    /// Load balancers: active health checks of the backends, if any.
    pub health_check: Option<super::k8s_spec::HealthCheckSpec>,
    /// Load balancers: passive outlier ejection of failing backends, if any.
    pub outlier: Option<super::k8s_spec::OutlierSpec>,
    /// Load balancers: a token-bucket rate limit per instance (429s), if any.
    pub rate_limit: Option<super::k8s_spec::RateLimitSpec>,
    /// Caches: a Redis key space (memory, eviction, popularity), from which
    /// the hit ratio emerges; `None` keeps the fixed `hit_ratio`.
    pub keyspace: Option<crate::redis::CacheSpec>,
}

fn ms(x: u64) -> SimTime {
    SimTime(x * SimTime::MILLISECOND.0)
}

impl Serving {
    /// One parameter's value in words, for `resim check`.
    pub fn describe(&self, key: &str) -> String {
        match key {
            "workers" => self.workers.to_string(),
            "queue" => self.queue.to_string(),
            "queue_timeout" => self.queue_timeout.map_or("none".into(), |t| t.to_string()),
            "service" => self.service.describe(),
            "latency" => self.latency.describe(),
            "timeout" => self.timeout.to_string(),
            "hit_ratio" => self.hit_ratio.to_string(),
            "ttl" => self.ttl.to_string(),
            "algorithm" => LbAlgorithm::NAMES[self.algorithm as usize].to_string(),
            _ => String::new(),
        }
    }

    /// The defaults for a kind (workers, queue, service time and timeout
    /// follow the kind's typical deployment: a single-threaded Redis, a
    /// 16-connection database, a 5 s glibc resolver timeout).
    pub fn defaults(kind: ComponentKind) -> Serving {
        let lognormal = |median_us: f64, p95_us: f64| {
            let mu = (median_us * 1e-6).ln();
            let sigma = ((p95_us * 1e-6).ln() - mu) / 1.644_853_626_951_472_2;
            Dist::LogNormal {
                mu,
                sigma,
                sampler: rand_distr::LogNormal::new(mu, sigma).expect("valid"),
            }
        };
        let base = Serving {
            workers: 8,
            queue: 128,
            queue_timeout: None,
            adaptive_concurrency: None,
            service: lognormal(5_000.0, 20_000.0),
            latency: Dist::constant(SimTime(250 * SimTime::MICROSECOND.0)),
            timeout: ms(5_000),
            hit_ratio: 0.9,
            ttl: SimTime(30 * SimTime::SECOND.0),
            dns: None,
            db: None,
            algorithm: LbAlgorithm::RoundRobin,
            health_check: None,
            outlier: None,
            rate_limit: None,
            keyspace: None,
        };
        match kind {
            ComponentKind::Dns => Serving {
                workers: 1_000,
                queue: 1_000,
                service: lognormal(500.0, 2_000.0),
                timeout: ms(5_000),
                ..base
            },
            ComponentKind::LoadBalancer => Serving {
                workers: 10_000,
                queue: 0,
                service: Dist::constant(SimTime(100 * SimTime::MICROSECOND.0)),
                timeout: ms(30_000),
                ..base
            },
            ComponentKind::Pods => base,
            ComponentKind::Cache => Serving {
                workers: 1,
                queue: 10_000,
                service: Dist::exponential(SimTime(50 * SimTime::MICROSECOND.0)),
                timeout: ms(100),
                ..base
            },
            ComponentKind::Database => Serving {
                workers: 16,
                queue: 256,
                service: lognormal(2_000.0, 10_000.0),
                timeout: ms(1_000),
                ..base
            },
            ComponentKind::Generic => base,
        }
    }
}
