//! Active health checks of one server, as HAProxy runs them (domain.md §10;
//! haproxy: src/check.c `set_server_check_status`, src/server.c).
//!
//! A health counter runs from 0 to `rise + fall − 1`; the server is UP while
//! it is at least `rise`. A failure steps it down, and landing below `rise`
//! snaps it to 0 (DOWN); a success steps it up, and reaching `rise` snaps it
//! to the top (UP). A server starts with health = `rise`: UP, but one failed
//! check marks it DOWN. From full health `fall` failures mark it DOWN; from
//! DOWN `rise` successes bring it back.

use crate::engine::SimTime;
use crate::model::k8s_spec::HealthCheckSpec;

/// What a check result changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthTransition {
    /// The server stays as it was.
    Unchanged,
    /// The server is now UP.
    WentUp,
    /// The server is now DOWN.
    WentDown,
}

/// The active health check of one server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthCheck {
    spec: HealthCheckSpec,
    health: u32,
}

impl HealthCheck {
    /// A server at start: health = `rise` (UP, one failure from DOWN).
    pub fn new(spec: HealthCheckSpec) -> Self {
        HealthCheck {
            health: spec.rise,
            spec,
        }
    }

    /// The top of the health counter, `rise + fall − 1`.
    fn full(&self) -> u32 {
        self.spec.rise + self.spec.fall - 1
    }

    /// Records one check result.
    pub fn on_result(&mut self, ok: bool) -> HealthTransition {
        let was_up = self.is_up();
        if ok {
            if self.health < self.full() {
                self.health += 1;
                if self.health >= self.spec.rise {
                    self.health = self.full();
                }
            }
        } else if self.health > 0 {
            self.health -= 1;
            if self.health < self.spec.rise {
                self.health = 0;
            }
        }
        match (was_up, self.is_up()) {
            (false, true) => HealthTransition::WentUp,
            (true, false) => HealthTransition::WentDown,
            _ => HealthTransition::Unchanged,
        }
    }

    /// True while the server takes traffic.
    pub fn is_up(&self) -> bool {
        self.health >= self.spec.rise
    }

    /// The health counter, in `0..=rise + fall − 1`.
    pub fn health(&self) -> u32 {
        self.health
    }

    /// The time to the next check (`srv_getinter`): `interval` at full
    /// health, `down_interval` when DOWN, `fast_interval` in between; each
    /// falls back to `interval`.
    pub fn interval(&self) -> SimTime {
        let s = &self.spec;
        if self.health == self.full() {
            s.interval
        } else if self.health == 0 {
            s.down_interval.unwrap_or(s.interval)
        } else {
            s.fast_interval.unwrap_or(s.interval)
        }
    }

    /// When to check next after a check at `now`.
    pub fn next_check_at(&self, now: SimTime) -> SimTime {
        now + self.interval()
    }

    /// How long a check may take before it fails (`timeout check`, else `inter`).
    pub fn timeout(&self) -> SimTime {
        self.spec.timeout.unwrap_or(self.spec.interval)
    }

    /// Whether a check answered after `response` (`None`: no answer) passes.
    pub fn passes(&self, response: Option<SimTime>) -> bool {
        response.is_some_and(|t| t <= self.timeout())
    }
}

/// The first check of server `index` of `count`: HAProxy spreads them over
/// one interval from `start`, so checks do not all fire at once.
pub fn first_check_at(start: SimTime, index: usize, count: usize, interval: SimTime) -> SimTime {
    let count = count.max(1) as u128;
    start + SimTime((u128::from(interval.0) * index as u128 / count) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use HealthTransition::{Unchanged, WentDown, WentUp};

    fn results(h: &mut HealthCheck, oks: &[bool]) -> Vec<HealthTransition> {
        oks.iter().map(|&ok| h.on_result(ok)).collect()
    }

    #[test]
    fn a_new_server_is_up_but_one_failure_marks_it_down() {
        let mut h = HealthCheck::new(HealthCheckSpec::default());
        assert!(h.is_up());
        assert_eq!(h.health(), 2);
        assert_eq!(results(&mut h, &[false]), vec![WentDown]);
        assert_eq!(h.health(), 0);
    }

    #[test]
    fn rise_successes_bring_it_up_and_fall_failures_take_it_down() {
        let mut h = HealthCheck::new(HealthCheckSpec::default());
        h.on_result(false);
        // Down: two successes (rise 2) to come back, at full health 4.
        assert_eq!(results(&mut h, &[true, true]), vec![Unchanged, WentUp]);
        assert_eq!(h.health(), 4);
        // From full health: three failures (fall 3) to go down.
        assert_eq!(
            results(&mut h, &[false, false, false]),
            vec![Unchanged, Unchanged, WentDown]
        );
        // A success in between restores full health.
        let mut h = HealthCheck::new(HealthCheckSpec::default());
        results(&mut h, &[true, false, false, true, false, false]);
        assert!(h.is_up());
        assert_eq!(results(&mut h, &[false]), vec![WentDown]);
        // A failure while down, or a single success, changes nothing.
        assert_eq!(results(&mut h, &[false, true]), vec![Unchanged, Unchanged]);
    }

    #[test]
    fn intervals_follow_the_server_state() {
        let s = |x| SimTime(x * SimTime::SECOND.0);
        let spec = HealthCheckSpec {
            fast_interval: Some(s(1)),
            down_interval: Some(s(10)),
            ..HealthCheckSpec::default()
        };
        let mut h = HealthCheck::new(spec);
        assert_eq!(h.interval(), s(1)); // health 2 of 4: transitional
        h.on_result(true);
        assert_eq!(h.next_check_at(s(100)), s(102)); // full health: inter
        h.on_result(false);
        assert_eq!(h.interval(), s(1));
        h.on_result(false);
        h.on_result(false);
        assert_eq!(h.interval(), s(10)); // down: downinter
        assert_eq!(
            HealthCheck::new(HealthCheckSpec::default()).interval(),
            s(2)
        );
        // The check timeout defaults to inter.
        assert!(h.passes(Some(s(2))) && !h.passes(Some(s(3))) && !h.passes(None));
        assert_eq!(first_check_at(s(0), 3, 4, s(2)), SimTime(1_500_000_000));
    }
}
