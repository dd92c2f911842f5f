//! Why a request or a call failed: the causes every mode reports, shared by
//! the drill and the resilience behaviours that react to them.

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Cause {
    /// A caller (or the client) gave up waiting.
    Timeout = 0,
    /// A component failed the request (5xx, reset by a crash).
    ServerError = 1,
    /// The connection was refused (instance down).
    Refused = 2,
    /// The instance's queue was full (503).
    QueueFull = 3,
    /// The name could not be resolved.
    DnsFailure = 4,
    /// The load balancer had no backend to send to (503).
    NoBackend = 5,
    /// The caller's circuit breaker was open and failed the call at once.
    CircuitOpen = 6,
    /// The caller's bulkhead (concurrency limit on the edge) was full.
    BulkheadFull = 7,
    /// A rate limit (the load balancer's token bucket) turned it away (429).
    RateLimited = 8,
    /// No connection came free in the caller's pool before its wait timeout.
    PoolExhausted = 9,
    /// A store refused a write: a full disk, a read-only database, or Redis
    /// at `maxmemory` with `noeviction` (`-OOM command not allowed`).
    WriteRejected = 10,
    /// The caller's adaptive throttling rejected it locally, before sending.
    Throttled = 11,
}

/// Number of failure causes.
pub const CAUSES: usize = 12;

impl Cause {
    /// Every cause, in index order.
    pub const ALL: [Cause; CAUSES] = [
        Cause::Timeout,
        Cause::ServerError,
        Cause::Refused,
        Cause::QueueFull,
        Cause::DnsFailure,
        Cause::NoBackend,
        Cause::CircuitOpen,
        Cause::BulkheadFull,
        Cause::RateLimited,
        Cause::PoolExhausted,
        Cause::WriteRejected,
        Cause::Throttled,
    ];

    /// The name used in reports and CSV columns.
    pub fn name(self) -> &'static str {
        match self {
            Cause::Timeout => "timeout",
            Cause::ServerError => "server_error",
            Cause::Refused => "refused",
            Cause::QueueFull => "queue_full",
            Cause::DnsFailure => "dns_failure",
            Cause::NoBackend => "no_backend",
            Cause::CircuitOpen => "circuit_open",
            Cause::BulkheadFull => "bulkhead_full",
            Cause::RateLimited => "rate_limited",
            Cause::PoolExhausted => "pool_exhausted",
            Cause::WriteRejected => "write_rejected",
            Cause::Throttled => "throttled",
        }
    }
}
