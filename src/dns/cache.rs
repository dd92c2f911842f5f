//! A client-side cache of one name's answer: a positive answer is kept for
//! its TTL, a failure for the negative TTL (the JVM's
//! `networkaddress.cache.negative.ttl`, 10 s in the shipped java.security,
//! domain reference §8), so a failure is sticky for that long.

use crate::engine::SimTime;

/// What the cache holds at a given moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheLookup {
    /// A fresh answer: no query needed.
    Fresh,
    /// A cached failure: the lookup fails at once.
    Negative,
    /// Nothing usable: the stub must query.
    Miss,
}

/// One client host's cache of the name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AnswerCache {
    answer_until: SimTime,
    failure_until: SimTime,
}

impl AnswerCache {
    /// What a lookup at `now` finds.
    #[inline]
    pub fn lookup(&self, now: SimTime) -> CacheLookup {
        if now < self.answer_until {
            CacheLookup::Fresh
        } else if now < self.failure_until {
            CacheLookup::Negative
        } else {
            CacheLookup::Miss
        }
    }

    /// Keeps an answer with `ttl` left from `now`.
    pub fn store_answer(&mut self, now: SimTime, ttl: SimTime) {
        self.answer_until = self.answer_until.max(now + ttl);
        self.failure_until = SimTime::ZERO;
    }

    /// Keeps a failure for `negative_ttl` from `now`.
    pub fn store_failure(&mut self, now: SimTime, negative_ttl: SimTime) {
        if now >= self.answer_until {
            self.failure_until = now + negative_ttl;
        }
    }

    /// When the cached answer expires (`ZERO` if none was ever cached).
    pub fn answer_until(&self) -> SimTime {
        self.answer_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * SimTime::SECOND.0)
    }

    #[test]
    fn answers_last_their_ttl_and_failures_the_negative_ttl() {
        let mut c = AnswerCache::default();
        assert_eq!(c.lookup(s(0)), CacheLookup::Miss);
        c.store_answer(s(0), s(30));
        assert_eq!(c.lookup(s(29)), CacheLookup::Fresh);
        assert_eq!(c.lookup(s(30)), CacheLookup::Miss);
        c.store_failure(s(30), s(10));
        assert_eq!(c.lookup(s(39)), CacheLookup::Negative);
        assert_eq!(c.lookup(s(40)), CacheLookup::Miss);
        c.store_answer(s(40), s(5));
        assert_eq!(c.lookup(s(41)), CacheLookup::Fresh);
    }

    #[test]
    fn a_late_failure_does_not_hide_a_fresh_answer() {
        let mut c = AnswerCache::default();
        c.store_answer(s(10), s(30));
        c.store_failure(s(12), s(10));
        assert_eq!(c.lookup(s(13)), CacheLookup::Fresh);
    }
}
