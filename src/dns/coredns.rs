//! CoreDNS's answer cache for one name on one resolver instance (domain
//! reference §9, coredns plugin/cache/README.md): an answer is kept for its
//! TTL clamped between the minimum TTL (5 s) and the `cache` cap (`cache 30`
//! in the kubeadm Corefile), and served with the TTL it has left, counted
//! down in whole seconds, so clients expire it when CoreDNS does. A restart
//! empties it.

use crate::engine::SimTime;

/// CoreDNS cache `MINTTL`: 5 s (§9).
pub const MIN_TTL: SimTime = SimTime(5 * SimTime::SECOND.0);
/// `cache 30` in the kubeadm Corefile (§9).
pub const DEFAULT_CAP: SimTime = SimTime(30 * SimTime::SECOND.0);

/// One instance's cached answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoreDnsCache {
    until: SimTime,
}

impl CoreDnsCache {
    /// The TTL a client gets at `now` for a record whose TTL is `ttl`,
    /// filling the cache on a miss (whole seconds, as DNS carries them).
    pub fn answer_ttl(&mut self, now: SimTime, ttl: SimTime, cap: SimTime) -> SimTime {
        if self.until < now + SimTime::SECOND {
            let kept = ttl.min(cap).max(MIN_TTL.min(cap));
            self.until = now + whole_secs(kept);
        }
        self.ttl_left(now)
    }

    /// The TTL a cached answer has left at `now` (zero if none).
    pub fn ttl_left(&self, now: SimTime) -> SimTime {
        whole_secs(self.until.saturating_sub(now))
    }

    /// Empties the cache (a restart).
    pub fn flush(&mut self) {
        self.until = SimTime::ZERO;
    }
}

fn whole_secs(t: SimTime) -> SimTime {
    SimTime(t.0 / SimTime::SECOND.0 * SimTime::SECOND.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * SimTime::SECOND.0)
    }

    #[test]
    fn clients_get_the_ttl_left_in_the_cache() {
        let mut c = CoreDnsCache::default();
        assert_eq!(c.answer_ttl(s(0), s(300), DEFAULT_CAP), s(30));
        assert_eq!(c.answer_ttl(s(12), s(300), DEFAULT_CAP), s(18));
        // Less than a second left: refilled.
        assert_eq!(c.answer_ttl(s(30) - SimTime(1), s(300), DEFAULT_CAP), s(30));
        c.flush();
        assert_eq!(c.ttl_left(s(31)), SimTime::ZERO);
        // Short records are kept for the minimum TTL.
        assert_eq!(c.answer_ttl(s(40), s(1), DEFAULT_CAP), s(5));
    }
}
