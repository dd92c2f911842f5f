//! When a lost primary is replaced: Redis Sentinel's and Redis Cluster's
//! failover timelines, from their settings (domain.md §7).
//!
//! **Sentinel** (src/sentinel.c): every sentinel PINGs the primary each
//! second and marks it subjectively down (SDOWN) once it has not answered
//! for `down-after-milliseconds` (30 s); it then asks the other sentinels
//! every second (SENTINEL_ASK_PERIOD) and the primary is objectively down
//! (ODOWN) when `quorum` of them agree; the failover starts after a random
//! desync of up to 1 s (SENTINEL_MAX_DESYNC), the sentinels elect a leader
//! (a majority of all sentinels must vote: one more ask round), the leader
//! sends `REPLICAOF NO ONE` to the best replica and sees it promoted at its
//! next INFO (every second during a failover); clients, told by
//! `+switch-master`, reconnect to it. A failover that cannot finish within
//! `failover-timeout` (3 min) is aborted, so a timeout shorter than the
//! election and promotion (2 s) never promotes.
//!
//! **Cluster** (src/cluster_legacy.c): a node that has not answered a PING
//! for `cluster-node-timeout` (15 s) is PFAIL; it becomes FAIL when a
//! majority of the masters report it (gossip, within about a second:
//! assumed); its replica then waits 500 ms + random(0..500 ms) + rank x
//! 1 s and wins the election with a majority of the masters' votes. Without
//! a majority of masters alive (fewer than three shards) nothing is
//! promoted. While a shard has no primary its keys fail; with
//! `cluster-require-full-coverage yes` every node answers `-CLUSTERDOWN`
//! from the moment the primary is marked FAIL until its slots are served
//! again.
//!
//! Sentinels and cluster buses are assumed reachable (their own failures
//! and partitions are not modelled).

use rand::{Rng, RngExt};

use crate::engine::SimTime;

/// SENTINEL_ASK_PERIOD and the INFO period during a failover.
const SENTINEL_ROUND: SimTime = SimTime::SECOND;
/// SENTINEL_MAX_DESYNC.
const SENTINEL_MAX_DESYNC_S: f64 = 1.0;
/// FAIL reports gathered from a majority by gossip (assumed).
const CLUSTER_GOSSIP_S: f64 = 1.0;
/// A cluster replica's fixed election delay (500 ms) and its random part.
const CLUSTER_ELECTION_FIXED_S: f64 = 0.5;
const CLUSTER_ELECTION_RANDOM_S: f64 = 0.5;

/// Redis Sentinel watching a primary with replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentinelSpec {
    /// Sentinel processes (3 in the documentation's basic setup).
    pub sentinels: u32,
    /// Sentinels that must agree the primary is down (`quorum`).
    pub quorum: u32,
    /// `down-after-milliseconds`.
    pub down_after: SimTime,
    /// `failover-timeout`.
    pub failover_timeout: SimTime,
}

impl Default for SentinelSpec {
    fn default() -> Self {
        SentinelSpec {
            sentinels: 3,
            quorum: 2,
            down_after: SimTime::from_secs_f64(30.0),
            failover_timeout: SimTime::from_secs_f64(180.0),
        }
    }
}

/// Redis Cluster's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterSpec {
    /// Masters, each owning a range of the 16384 slots.
    pub shards: u16,
    /// `cluster-node-timeout`.
    pub node_timeout: SimTime,
    /// `cluster-require-full-coverage`.
    pub require_full_coverage: bool,
}

impl ClusterSpec {
    /// A cluster of `shards` masters with Redis's defaults (15 s, yes).
    pub fn with_shards(shards: u16) -> ClusterSpec {
        ClusterSpec {
            shards,
            node_timeout: SimTime::from_secs_f64(15.0),
            require_full_coverage: true,
        }
    }
}

/// A failover's milestones after the primary was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// SDOWN (Sentinel) or PFAIL (Cluster).
    pub suspected: SimTime,
    /// ODOWN (Sentinel) or FAIL (Cluster): from here a cluster requiring
    /// full coverage is down.
    pub agreed: SimTime,
    /// A replica is primary and clients reach it; `None` when no failover
    /// can happen.
    pub promoted: Option<SimTime>,
}

fn secs(x: f64) -> SimTime {
    SimTime::from_secs_f64(x)
}

impl SentinelSpec {
    /// The failover of a primary lost at `lost`; `rng` draws the desync.
    pub fn failover<R: Rng + ?Sized>(&self, lost: SimTime, rng: &mut R) -> Timeline {
        let suspected = lost + self.down_after;
        let agreed = suspected + SENTINEL_ROUND;
        let start = agreed + secs(rng.random::<f64>() * SENTINEL_MAX_DESYNC_S);
        // Election (one ask round) and promotion (the next INFO).
        let needed = SENTINEL_ROUND + SENTINEL_ROUND;
        let possible =
            self.quorum >= 1 && self.quorum <= self.sentinels && self.failover_timeout >= needed;
        Timeline {
            suspected,
            agreed,
            promoted: possible.then_some(start + needed),
        }
    }
}

impl ClusterSpec {
    /// The failover of shard primary lost at `lost`, with `replicas` replicas
    /// (the best one, rank 0, is promoted); `rng` draws gossip and delay.
    pub fn failover<R: Rng + ?Sized>(&self, lost: SimTime, replicas: u32, rng: &mut R) -> Timeline {
        let suspected = lost + self.node_timeout;
        let agreed = suspected + secs(rng.random::<f64>() * CLUSTER_GOSSIP_S);
        let delay = CLUSTER_ELECTION_FIXED_S + rng.random::<f64>() * CLUSTER_ELECTION_RANDOM_S;
        // A majority of the masters must flag FAIL and vote: the others,
        // n - 1 of them, must be more than n / 2.
        let majority = (self.shards as u32 - 1) * 2 > self.shards as u32;
        Timeline {
            suspected,
            agreed,
            promoted: (replicas > 0 && majority).then_some(agreed + secs(delay)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::SimRng;
    use rand::SeedableRng;

    #[test]
    fn sentinel_detects_after_down_after_and_promotes_within_four_seconds() {
        let spec = SentinelSpec::default();
        let lost = secs(600.0);
        let mut rng = SimRng::seed_from_u64(3);
        for _ in 0..100 {
            let t = spec.failover(lost, &mut rng);
            assert_eq!(t.suspected, secs(630.0));
            assert_eq!(t.agreed, secs(631.0));
            let p = t.promoted.expect("3 sentinels, quorum 2").as_secs_f64();
            // ODOWN + desync [0, 1 s) + election 1 s + INFO 1 s.
            assert!((633.0..634.0).contains(&p), "{p}");
        }
        let quick = SentinelSpec {
            down_after: secs(5.0),
            ..spec
        };
        let p = quick
            .failover(lost, &mut rng)
            .promoted
            .unwrap()
            .as_secs_f64();
        assert!((608.0..609.0).contains(&p), "{p}");
    }

    #[test]
    fn sentinel_without_a_quorum_or_time_never_promotes() {
        let mut rng = SimRng::seed_from_u64(1);
        let lost = secs(10.0);
        let no_quorum = SentinelSpec {
            quorum: 4,
            ..SentinelSpec::default()
        };
        assert_eq!(no_quorum.failover(lost, &mut rng).promoted, None);
        let hasty = SentinelSpec {
            failover_timeout: secs(1.0),
            ..SentinelSpec::default()
        };
        assert_eq!(hasty.failover(lost, &mut rng).promoted, None);
    }

    #[test]
    fn a_cluster_replica_takes_over_after_the_node_timeout() {
        let spec = ClusterSpec::with_shards(3);
        let mut rng = SimRng::seed_from_u64(5);
        for _ in 0..100 {
            let t = spec.failover(secs(100.0), 1, &mut rng);
            assert_eq!(t.suspected, secs(115.0));
            let (a, p) = (t.agreed.as_secs_f64(), t.promoted.unwrap().as_secs_f64());
            assert!((115.0..116.0).contains(&a), "{a}");
            assert!((a + 0.5..a + 1.0).contains(&p), "{a} {p}");
        }
        // No replica, or no majority of masters left: nobody is promoted.
        assert_eq!(spec.failover(secs(1.0), 0, &mut rng).promoted, None);
        let two = ClusterSpec::with_shards(2);
        assert_eq!(two.failover(secs(1.0), 1, &mut rng).promoted, None);
    }
}
