//! Caller-side resilience patterns as pure building blocks: retries with
//! backoff and jitter, retry budgets, circuit breakers, bulkheads and token
//! bucket rate limiters.
//!
//! Each type holds only its own state and takes the current [`SimTime`] and,
//! where it draws, an RNG stream from its caller; none schedules events or
//! knows about components. A component (or the drill) owns one per dependency
//! edge and asks it, at each try, whether to send, wait or give up:
//!
//! ```text
//! call ──► rate limiter ──► breaker.allow ──► bulkhead ──► try ──► outcome
//!            (token_bucket)  (circuit_breaker)              │
//!                                 ▲   record ◄──────────────┤
//!                                 └── retry.delay ◄── budget ┘ (if retryable)
//! ```
//!
//! Steady-state calls allocate nothing: sliding windows are fixed-size rings
//! allocated once, when the pattern is built from its configuration.
//!
//! [`SimTime`]: crate::engine::SimTime

pub mod adaptive_concurrency;
pub mod budget;
pub mod bulkhead;
pub mod circuit_breaker;
pub mod retry;
pub mod throttle;
pub mod token_bucket;

pub use adaptive_concurrency::{AdaptiveConcurrency, AdaptiveConcurrencyConfig};
pub use budget::{BudgetConfig, RetryBudget};
pub use bulkhead::Bulkhead;
pub use circuit_breaker::{BreakerConfig, BreakerState, CircuitBreaker, Outcome, Window};
pub use retry::{CauseSet, Jitter, RetryPolicy};
pub use throttle::{Throttle, ThrottleConfig};
pub use token_bucket::{TokenBucket, TokenBucketConfig};
