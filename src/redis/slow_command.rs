//! Slow commands that block Redis's single thread (domain reference §23):
//! `KEYS *` walks every key, `DEL` of a big collection frees every element
//! before it replies, `UNLINK` frees it in a background thread. Pure rules;
//! the drill blocks the shard for the time in `drill/slow_commands.rs` and
//! lists it in `SLOWLOG`.
//!
//! Figures: the KEYS page of the Redis docs says an entry-level laptop
//! scans a 1-million-key database in 40 ms (40 ns per key). redis.conf's
//! LAZY FREEING section says a DEL of an aggregate of millions of elements
//! can block "even seconds"; we take 1 us per element (assumed, in line
//! with that). UNLINK is O(1) in the main thread for values of more than
//! 64 allocations (LAZYFREE_THRESHOLD, src/lazyfree.c).

use crate::engine::SimTime;

/// `slowlog-log-slower-than` (redis.conf): 10,000 us.
pub const SLOWLOG_SLOWER_THAN: SimTime = SimTime(10 * SimTime::MILLISECOND.0);
/// `slowlog-max-len` (redis.conf).
pub const SLOWLOG_MAX_LEN: usize = 128;

/// A command a scenario runs on a cache (`action = "command"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlowCommand {
    /// `KEYS *`: walks every key of the shard.
    Keys,
    /// `DEL key` of a collection of `elements`: frees them all, blocking.
    Del {
        /// Elements of the collection.
        elements: u64,
    },
    /// `UNLINK key`: the same collection freed in the background.
    Unlink {
        /// Elements of the collection.
        elements: u64,
    },
}

impl SlowCommand {
    /// The command names accepted in model files.
    pub const NAMES: &'static [&'static str] = &["KEYS *", "DEL", "UNLINK"];

    /// How long it blocks a shard holding `keys` keys.
    pub fn block(self, keys: u64) -> SimTime {
        match self {
            SlowCommand::Keys => SimTime(keys.saturating_mul(40)),
            SlowCommand::Del { elements } => {
                SimTime(elements.saturating_mul(SimTime::MICROSECOND.0))
            }
            SlowCommand::Unlink { .. } => SimTime::ZERO,
        }
    }

    /// The command as `SLOWLOG GET` prints it.
    pub fn text(self) -> &'static str {
        match self {
            SlowCommand::Keys => "KEYS *",
            SlowCommand::Del { .. } => "DEL bigkey",
            SlowCommand::Unlink { .. } => "UNLINK bigkey",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_times_follow_the_documented_rates() {
        assert_eq!(
            SlowCommand::Keys.block(1_000_000),
            SimTime(40 * SimTime::MILLISECOND.0)
        );
        let del = SlowCommand::Del {
            elements: 3_000_000,
        };
        assert_eq!(del.block(0), SimTime(3 * SimTime::SECOND.0));
        let unlink = SlowCommand::Unlink {
            elements: 3_000_000,
        };
        assert_eq!(unlink.block(0), SimTime::ZERO);
    }
}
