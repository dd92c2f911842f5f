//! Retry budgets: a cap on retries shared by every call on an edge, so that a
//! failing dependency is not hit by a multiple of its normal load.
//!
//! Two kinds, as the proxies and RPC libraries do it (domain reference §12, §14):
//! - **concurrency** (Envoy's `retry_budget`): a retry may start while the
//!   retries in flight are fewer than
//!   `max(min_concurrency, floor(percent × tries in flight))`, where tries
//!   in flight count first tries and retries alike (Envoy's active and
//!   pending requests). Default 20% and 3.
//! - **tokens** (gRPC's `retryThrottling`): a bucket starts full at
//!   `max_tokens`; each failed try takes one token, each successful try puts
//!   back `token_ratio`; retries are allowed only while the count is above
//!   `max_tokens / 2`. Retries switch off during an outage and come back as
//!   successes refill the bucket.
//!
//! The caller reports every try to the budget: [`RetryBudget::on_try_start`]
//! when it is sent, [`RetryBudget::on_try_end`] when it ends, and asks
//! [`RetryBudget::allow_retry`] before sending a retry.

/// Envoy's default budget share: 20% of the tries in flight.
pub const ENVOY_PERCENT: f64 = 0.2;
/// Envoy's default `min_retry_concurrency`: 3.
pub const ENVOY_MIN_CONCURRENCY: u32 = 3;

/// How a retry budget is configured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BudgetConfig {
    /// Envoy's retry budget.
    Concurrency {
        /// Share of the tries in flight that may be retries, in \[0, 1\].
        percent: f64,
        /// Retries always allowed in flight, whatever the share.
        min_concurrency: u32,
    },
    /// gRPC's retry throttling.
    Tokens {
        /// Bucket size (gRPC allows (0, 1000]).
        max_tokens: f64,
        /// Tokens a successful try puts back (> 0).
        token_ratio: f64,
    },
}

impl Default for BudgetConfig {
    /// Envoy's defaults: 20% of the tries in flight, at least 3.
    fn default() -> BudgetConfig {
        BudgetConfig::Concurrency {
            percent: ENVOY_PERCENT,
            min_concurrency: ENVOY_MIN_CONCURRENCY,
        }
    }
}

/// The live state of a retry budget on one edge.
#[derive(Clone, Debug, PartialEq)]
pub enum RetryBudget {
    /// Counts tries and retries in flight.
    Concurrency {
        /// Share of the tries in flight that may be retries, in \[0, 1\].
        percent: f64,
        /// Retries always allowed in flight.
        min_concurrency: u32,
        /// Tries in flight (first tries and retries).
        active: u32,
        /// Retries in flight.
        active_retries: u32,
    },
    /// A token bucket.
    Tokens {
        /// Bucket size.
        max_tokens: f64,
        /// Tokens a successful try puts back.
        token_ratio: f64,
        /// Tokens now, in \[0, max_tokens\].
        tokens: f64,
    },
}

impl RetryBudget {
    /// A fresh budget: nothing in flight, or a full bucket.
    pub fn new(config: &BudgetConfig) -> RetryBudget {
        match *config {
            BudgetConfig::Concurrency {
                percent,
                min_concurrency,
            } => RetryBudget::Concurrency {
                percent,
                min_concurrency,
                active: 0,
                active_retries: 0,
            },
            BudgetConfig::Tokens {
                max_tokens,
                token_ratio,
            } => RetryBudget::Tokens {
                max_tokens,
                token_ratio,
                tokens: max_tokens,
            },
        }
    }

    /// True when a retry may be sent now.
    pub fn allow_retry(&self) -> bool {
        match *self {
            RetryBudget::Concurrency {
                percent,
                min_concurrency,
                active,
                active_retries,
            } => {
                // Envoy truncates the share to a whole number of retries.
                let share = (f64::from(active) * percent) as u32;
                active_retries < share.max(min_concurrency)
            }
            RetryBudget::Tokens {
                max_tokens, tokens, ..
            } => tokens > max_tokens / 2.0,
        }
    }

    /// A try is sent (`retry`: it is a retry, not a first try).
    pub fn on_try_start(&mut self, retry: bool) {
        if let RetryBudget::Concurrency {
            active,
            active_retries,
            ..
        } = self
        {
            *active += 1;
            *active_retries += u32::from(retry);
        }
    }

    /// A try has ended, well or not. For the token kind, count as failures
    /// only the failures that would be retried (gRPC counts retryable statuses).
    pub fn on_try_end(&mut self, retry: bool, success: bool) {
        match self {
            RetryBudget::Concurrency {
                active,
                active_retries,
                ..
            } => {
                debug_assert!(*active > 0 && (!retry || *active_retries > 0));
                *active = active.saturating_sub(1);
                if retry {
                    *active_retries = active_retries.saturating_sub(1);
                }
            }
            RetryBudget::Tokens {
                max_tokens,
                token_ratio,
                tokens,
            } => {
                *tokens = if success {
                    (*tokens + *token_ratio).min(*max_tokens)
                } else {
                    (*tokens - 1.0).max(0.0)
                };
            }
        }
    }

    /// Asks for a retry and, if allowed, starts it: [`Self::allow_retry`]
    /// then [`Self::on_try_start`]`(true)`.
    pub fn try_start_retry(&mut self) -> bool {
        let ok = self.allow_retry();
        if ok {
            self.on_try_start(true);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A fixed-latency edge where every try fails: each step, `arrivals` new
    /// calls send a first try; every try lasts `latency` steps and then fails;
    /// a failed call retries (up to 3 retries) if the budget allows.
    /// Returns (retries sent, tries sent, worst retry share in flight).
    fn sustained_failure(budget: &mut RetryBudget, steps: usize, arrivals: u32) -> (u64, u64, f64) {
        let latency = 5;
        // In flight: (step it ends, is a retry, retries made so far).
        let mut flight: VecDeque<(usize, bool, u32)> = VecDeque::new();
        let (mut retries, mut tries, mut worst) = (0u64, 0u64, 0.0f64);
        for step in 0..steps {
            while flight.front().is_some_and(|f| f.0 == step) {
                let (_, retry, made) = flight.pop_front().expect("front");
                budget.on_try_end(retry, false);
                if made < 3 && budget.try_start_retry() {
                    flight.push_back((step + latency, true, made + 1));
                    retries += 1;
                    tries += 1;
                }
            }
            for _ in 0..arrivals {
                budget.on_try_start(false);
                flight.push_back((step + latency, false, 0));
                tries += 1;
            }
            if let RetryBudget::Concurrency {
                active,
                active_retries,
                ..
            } = *budget
            {
                assert_eq!(active as usize, flight.len());
                worst = worst.max(f64::from(active_retries) / f64::from(active));
            }
        }
        (retries, tries, worst)
    }

    #[test]
    fn concurrency_budget_caps_the_retry_share_under_sustained_failure() {
        // Without a budget every call would make 3 retries: 75% of tries.
        // With 20% and 100 first tries in flight per step, retries in flight
        // r satisfy r < floor(0.2 × (500 + r)), so r ≤ 124 and the share of
        // tries in flight that are retries stays at or below 20%.
        let mut b = RetryBudget::new(&BudgetConfig::default());
        let (retries, tries, worst) = sustained_failure(&mut b, 1_000, 100);
        assert!(worst <= 0.2 + 1e-12, "worst share {worst}");
        let share = retries as f64 / tries as f64;
        // The budget is used, not just respected: the share reaches the cap
        // once the first retries are in flight.
        assert!(share > 0.19 && share <= 0.2, "retry share {share}");
    }

    #[test]
    fn concurrency_budget_always_allows_the_minimum() {
        // One call at a time: 20% of 1 is 0, but 3 retries may be in flight.
        let mut b = RetryBudget::new(&BudgetConfig::Concurrency {
            percent: 0.2,
            min_concurrency: 3,
        });
        b.on_try_start(false);
        assert!(b.try_start_retry() && b.try_start_retry() && b.try_start_retry());
        assert!(!b.allow_retry());
        b.on_try_end(true, false);
        assert!(b.allow_retry());
    }

    #[test]
    fn token_budget_switches_retries_off_under_sustained_failure() {
        // gRPC: max 10, ratio 0.1. Each failure takes a token; retries stop
        // once the count is at or below 5, so at most 5 retries happen in
        // the whole outage, however long.
        let cfg = BudgetConfig::Tokens {
            max_tokens: 10.0,
            token_ratio: 0.1,
        };
        let mut b = RetryBudget::new(&cfg);
        let (retries, tries, _) = sustained_failure(&mut b, 1_000, 100);
        assert!(retries <= 5, "{retries} retries");
        assert!(retries as f64 / tries as f64 <= 5.0 / 100_000.0);
        // Recovery: successes refill 0.1 each; retries come back once the
        // bucket is above 5, i.e. after 51 successes from empty.
        let mut n = 0;
        while !b.allow_retry() {
            b.on_try_end(false, true);
            n += 1;
        }
        assert_eq!(n, 51);
    }
}
