//! The stampede guards of a cache in the drill (`redis::stampede` holds the
//! rules): single-flight coalesces the database reads of concurrent misses
//! of one key, XFetch turns some hits shortly before expiry into early
//! recomputes, and jitter spreads the TTLs of fills.
//!
//! Single-flight works at the caller's database-read step after a miss: the
//! first caller of a key (per caller instance, or across all of them) leads
//! and reads; later callers of that key wait, without a worker of the
//! database, a connection or a timer of their own, and when the leader's
//! read ends (after its retries) each waiter takes its result as its own
//! (and skips the cache fill, which the leader does). A waiter may still
//! retry a shared error under its own policy, which joins the next flight.
//! A leader that vanished (its instance crashed) is replaced by the next
//! caller of the key, which then also answers the earlier waiters.

use std::collections::BTreeMap;

use rand::RngExt;

use super::plan::StepKind;
use super::readings::ReadingDef;
use super::sim::{DrillTrial, NONE, Phase};
use crate::cause::Cause;
use crate::engine::SimTime;
use crate::engine::rng::{Purpose, SimRng, named_key, stream};
use crate::model::{Component, Model};
use crate::redis::stampede::{
    RecomputeTime, SingleFlight, StampedeGuard, jittered_ttl, xfetch_recompute,
};

/// A call waiting at (or leading) a read: its arena id, tag and plan step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Caller {
    id: u32,
    tag: u32,
    step: u8,
}

/// One key's database read in flight and the callers waiting for it.
#[derive(Clone, Debug)]
struct Flight {
    leader: Caller,
    waiters: Vec<Caller>,
}

/// Counters of one guard since the trial started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    /// Reads that led a flight.
    flights: u64,
    /// Misses that waited for a flight instead of reading.
    coalesced: u64,
    /// Hits that XFetch turned into early recomputes.
    early: u64,
}

/// A trial's state of the guards of one cache.
pub(super) struct GuardState {
    cfg: StampedeGuard,
    rng: SimRng,
    recompute: RecomputeTime,
    /// Flights by (caller component, caller instance or 0, key).
    flights: BTreeMap<(u16, u16, u32), Flight>,
    counts: Counts,
    last: Counts,
    last_at: SimTime,
}

impl GuardState {
    /// The guards of cache `c`, if any is on.
    pub(super) fn new(c: &Component, seed: u64) -> Option<Box<GuardState>> {
        let cfg = c.serving.keyspace.as_ref()?.stampede;
        cfg.is_on().then(|| {
            Box::new(GuardState {
                cfg,
                rng: stream(
                    seed,
                    named_key(&format!("{}.stampede", c.id), 0),
                    Purpose::Keys,
                ),
                recompute: RecomputeTime::default(),
                flights: BTreeMap::new(),
                counts: Counts::default(),
                last: Counts::default(),
                last_at: SimTime::ZERO,
            })
        })
    }

    /// XFetch on a hit with `ttl_left` to go: whether to recompute now.
    /// Counted in the readings when `measured`.
    pub(super) fn recompute_early(&mut self, ttl_left: Option<SimTime>, measured: bool) -> bool {
        let (Some(beta), Some(left)) = (self.cfg.xfetch_beta, ttl_left) else {
            return false;
        };
        let u = 1.0 - self.rng.random::<f64>(); // (0, 1]
        let early = xfetch_recompute(self.recompute.delta(), beta, left, u);
        self.counts.early += u64::from(early && measured);
        early
    }

    /// The TTL of a fill, jittered when asked.
    pub(super) fn fill_ttl(&mut self, ttl: Option<SimTime>) -> Option<SimTime> {
        let t = ttl?;
        if self.cfg.ttl_jitter <= 0.0 {
            return Some(t);
        }
        Some(jittered_ttl(
            t,
            self.cfg.ttl_jitter,
            self.rng.random::<f64>(),
        ))
    }
}

impl DrillTrial<'_> {
    /// The cache with guards that call `id` read before its database read
    /// (its plan's first such cache step), and the key it carries.
    fn guarded(&self, id: u32) -> Option<(usize, u32)> {
        let c = self.calls.get(id)?;
        if c.key.id == NONE || c.cache_hit {
            return None;
        }
        self.plan_of(c)
            .iter()
            .filter(|s| s.kind == StepKind::CacheRead)
            .map(|s| s.dep as usize)
            .find(|&d| {
                self.comps[d]
                    .cache
                    .as_ref()
                    .is_some_and(|st| st.guard.is_some())
            })
            .map(|d| (d, c.key.id))
    }

    /// The flight key of call `id` on cache `cache` for `key`, if the cache coalesces.
    fn flight_key(&self, id: u32, cache: usize, key: u32) -> Option<(u16, u16, u32)> {
        let c = self.calls.get(id)?;
        let guard = self.comps[cache].cache.as_ref()?.guard.as_ref()?;
        match guard.cfg.single_flight? {
            SingleFlight::Process => Some((c.comp, c.inst, key)),
            SingleFlight::Global => Some((c.comp, 0, key)),
        }
    }

    /// Whether `c` still waits at `step` with nothing in flight.
    fn still_at(&self, c: Caller) -> bool {
        self.calls.get(c.id).is_some_and(|x| {
            x.tag == c.tag && x.step == c.step && x.phase == Phase::Calling && x.child == NONE
        })
    }

    /// Before `parent` reads the database after a miss: joins the key's
    /// flight if one is in the air (true: wait), or leads a new one.
    pub(super) fn join_flight(&mut self, parent: u32, now: SimTime) -> bool {
        let Some((cache, key)) = self.guarded(parent) else {
            return false;
        };
        let Some(fk) = self.flight_key(parent, cache, key) else {
            return false;
        };
        let p = self.calls.get(parent).expect("live");
        let me = Caller {
            id: parent,
            tag: p.tag,
            step: p.step,
        };
        let measured = u64::from(self.measured(now));
        let leader = self
            .comps
            .get(cache)
            .and_then(|c| c.cache.as_ref())
            .and_then(|st| st.guard.as_ref())
            .and_then(|g| g.flights.get(&fk))
            .map(|f| f.leader);
        // The leader itself retrying, or a leader gone: `me` (re)leads.
        let leader_busy = leader.is_some_and(|l| {
            l != me
                && self.calls.get(l.id).is_some_and(|x| {
                    x.tag == l.tag && x.step == l.step && x.phase == Phase::Calling
                })
        });
        let g = self.comps[cache]
            .cache
            .as_mut()
            .and_then(|st| st.guard.as_mut())
            .expect("guarded");
        if leader_busy {
            g.flights.get_mut(&fk).expect("in the air").waiters.push(me);
            g.counts.coalesced += measured;
            return true;
        }
        match g.flights.get_mut(&fk) {
            Some(f) => f.leader = me,
            None => {
                g.flights.insert(
                    fk,
                    Flight {
                        leader: me,
                        waiters: Vec::new(),
                    },
                );
            }
        }
        if leader != Some(me) {
            g.counts.flights += measured;
        }
        false
    }

    /// `parent`'s database read after a miss ended with `result` (its last
    /// try): records the recompute time, and if it led a flight, hands the
    /// result to the waiters, who go on as if they had read it themselves.
    pub(super) fn land_flight(&mut self, parent: u32, result: Result<(), Cause>, now: SimTime) {
        let Some((cache, key)) = self.guarded(parent) else {
            return;
        };
        let p = self.calls.get(parent).expect("live");
        let (me, took) = (
            Caller {
                id: parent,
                tag: p.tag,
                step: p.step,
            },
            now - p.step_start,
        );
        let fk = self.flight_key(parent, cache, key);
        let g = self.comps[cache]
            .cache
            .as_mut()
            .and_then(|st| st.guard.as_mut())
            .expect("guarded");
        if result.is_ok() {
            g.recompute.observe(took);
        }
        let Some(fk) = fk else { return };
        if g.flights.get(&fk).is_none_or(|f| f.leader != me) {
            return;
        }
        let waiters = g.flights.remove(&fk).expect("present").waiters;
        for w in waiters {
            if !self.still_at(w) {
                continue;
            }
            // The leader fills the cache; the waiters only take the value.
            self.calls.get_mut(w.id).expect("live").cache_hit = true;
            self.child_result(w.id, result, false, now);
        }
    }

    /// Appends the guards' readings (the order of [`reading_defs`]):
    /// database reads led, misses coalesced, early recomputes \[/s\].
    pub(super) fn sample_stampede(&mut self, now: SimTime, out: &mut Vec<f64>) {
        for comp in &mut self.comps {
            let Some(g) = comp.cache.as_mut().and_then(|c| c.guard.as_mut()) else {
                continue;
            };
            let from = g.last_at.max(self.start);
            let secs = (now - from).as_secs_f64().max(1e-9);
            let (c, l) = (g.counts, g.last);
            out.push((c.flights - l.flights) as f64 / secs);
            out.push((c.coalesced - l.coalesced) as f64 / secs);
            out.push((c.early - l.early) as f64 / secs);
            g.last = c;
            g.last_at = now;
        }
    }
}

/// The readings of every cache with stampede guards, in sampling order.
pub(super) fn reading_defs(model: &Model, defs: &mut Vec<ReadingDef>) {
    for c in &model.components {
        if !c
            .serving
            .keyspace
            .as_ref()
            .is_some_and(|k| k.stampede.is_on())
        {
            continue;
        }
        let id = &c.id;
        for (what, label) in [
            (
                "flights_per_s",
                "database reads led (one per key in flight)",
            ),
            ("coalesced_per_s", "misses that waited for a read in flight"),
            ("early_refresh_per_s", "XFetch early recomputes"),
        ] {
            defs.push(ReadingDef::new(id, what, "stampede", label, "/s"));
        }
    }
}
