//! Asynchronous replication: a primary acknowledges a write before its
//! replicas have it (`min-replicas-to-write` 0 by default, domain.md §7), so
//! a replica runs `lag` behind; when the primary is lost, the writes it
//! acknowledged in the last `lag` never reach the replica that is promoted.
//!
//! [`ReplicationLog`] keeps the writes of the last `lag` (the primary's
//! replication backlog the replica has not applied yet) and, at the loss,
//! hands over exactly those: the writes the promoted replica lacks.

use std::collections::VecDeque;

use crate::engine::SimTime;

/// A cache's replicas: how many per primary and how far behind they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicationSpec {
    /// Replicas per primary (per shard in a cluster), at least 1.
    pub replicas: u32,
    /// How long after the primary acknowledges a write its replicas apply it.
    pub lag: SimTime,
}

/// A write the primary acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    /// `SET key` (a fill or an update).
    Set(u32),
    /// `DEL key` (an invalidation).
    Del(u32),
}

/// The writes a replica has not applied yet.
#[derive(Clone, Debug)]
pub struct ReplicationLog {
    lag: SimTime,
    pending: VecDeque<(SimTime, Write)>,
}

impl ReplicationLog {
    /// An empty log for replicas `lag` behind.
    pub fn new(lag: SimTime) -> ReplicationLog {
        ReplicationLog {
            lag,
            pending: VecDeque::new(),
        }
    }

    /// The primary acknowledged `w` at `now`; writes the replica has applied
    /// by then (acknowledged at or before `now - lag`) leave the log.
    pub fn record(&mut self, now: SimTime, w: Write) {
        self.applied_by(now);
        self.pending.push_back((now, w));
    }

    fn applied_by(&mut self, now: SimTime) {
        while self
            .pending
            .front()
            .is_some_and(|&(t, _)| t + self.lag <= now)
        {
            self.pending.pop_front();
        }
    }

    /// The primary is lost at `at`: the writes acknowledged after `at - lag`,
    /// which the replica never receives, oldest first. The log is emptied
    /// (the promoted replica starts a new one).
    pub fn lose_primary(&mut self, at: SimTime) -> Vec<Write> {
        self.applied_by(at);
        self.pending.drain(..).map(|(_, w)| w).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writes_inside_the_lag_window_are_the_ones_lost() {
        let lag = SimTime::from_secs_f64(0.25);
        let mut log = ReplicationLog::new(lag);
        // A write every 10 ms from 0 to 10 s.
        for i in 0..=1000u32 {
            log.record(SimTime::from_secs_f64(i as f64 * 0.01), Write::Set(i));
        }
        // Lost at 10 s: the writes acknowledged in (9.75 s, 10 s], 25 of them.
        let lost = log.lose_primary(SimTime::from_secs_f64(10.0));
        assert_eq!(lost.len(), 25);
        assert_eq!(lost[0], Write::Set(976));
        assert_eq!(*lost.last().unwrap(), Write::Set(1000));
        assert!(log.lose_primary(SimTime::from_secs_f64(10.0)).is_empty());
    }

    #[test]
    fn a_loss_after_a_quiet_spell_loses_nothing() {
        let mut log = ReplicationLog::new(SimTime::from_secs_f64(0.1));
        log.record(SimTime::from_secs_f64(1.0), Write::Del(3));
        assert!(log.lose_primary(SimTime::from_secs_f64(1.1)).is_empty());
        log.record(SimTime::from_secs_f64(2.0), Write::Del(4));
        assert_eq!(
            log.lose_primary(SimTime::from_secs_f64(2.05)),
            vec![Write::Del(4)]
        );
    }
}
