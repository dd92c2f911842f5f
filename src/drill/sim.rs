//! One drill trial: every request, call, timeout and fault of a scenario as
//! discrete events. This file holds the trial's state and its event loop;
//! the call flow is in `calls.rs` and the scenario timeline in `faults.rs`.
//!
//! A request is a tree of calls. The client (the root call) resolves the
//! name, then calls the front door; each component queues the call for a
//! worker, does its own work, then calls its dependencies in the order of
//! its [`Plan`], holding the worker meanwhile (thread-per-request servers),
//! and replies. Every call has a caller-side timeout; a caller that gives up
//! leaves the callee working on an orphan (wasted work, as in real systems).
//! Failures carry their first cause up to the client.

use std::collections::VecDeque;

use rand::RngExt;

use super::balancer::Balancer;
use super::cache::{CacheKey, CacheState};
use super::edges::{EdgeState, TryTicket};
use super::lanes::{self, Lanes};
use super::metrics::{CallTotals, Cause, GaugeArea, GaugeBin, Levels, Recorder, TrialResult};
use super::plan::{Plan, client_plan, compile, edge_policies};
use super::pods::{ClusterState, PodSet};
use super::readings::{ReadingDef, Snapshot, reading_defs};
use crate::behaviours::AdaptiveConcurrency;
use crate::engine::SimTime;
use crate::engine::arena::Arena;
use crate::engine::queue::{EventKey, EventQueue};
use crate::engine::rng::{Purpose, SimRng, named_key, stream};
use crate::lb::health::{HealthCheck, first_check_at};
use crate::model::resilience::CallPolicy;
use crate::model::{Model, Traffic};
use crate::scenario::Scenario;
use crate::stats::LatencyHistogram;

/// No call / no bin.
pub(super) const NONE: u32 = u32::MAX;
/// The component index of the client (root calls).
pub(super) const CLIENT: u16 = u16::MAX;

/// The event that ends fault `i` of the scenario.
pub(super) fn fault_end(i: usize) -> Ev {
    Ev::FaultEnd(i as u16)
}

/// An event of the drill; names calls by arena index plus a generation so a
/// stale event (its call already gone) is recognised and dropped.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ev {
    Arrival,
    Arrive {
        call: u32,
        tag: u32,
    },
    Served {
        call: u32,
        tag: u32,
    },
    Reply {
        call: u32,
        tag: u32,
    },
    Timeout {
        call: u32,
        tag: u32,
    },
    Scenario(u16),
    FaultEnd(u16),
    Tick,
    /// A caller retries its current step after a backoff delay.
    Retry {
        call: u32,
        tag: u32,
    },
    /// A load balancer's active health check of a backend instance.
    Check {
        comp: u16,
        inst: u16,
    },
    /// Take text snapshot `k` (`resim run --at`).
    Snapshot(u16),
    /// The hedging delay of first try `call` ended.
    Hedge {
        call: u32,
        tag: u32,
    },
    /// A pod lifecycle event (pods with a `pod` spec).
    Pod(super::pods::PodEv),
    /// A call's wait for a pooled database connection ends (`drill/db.rs`).
    PoolTimeout {
        call: u32,
        tag: u32,
    },
    /// A database's failover time has passed: promote a replica.
    Promote {
        comp: u16,
    },
    /// A database's restore starts or ends (`drill/backup.rs`).
    Restore {
        comp: u16,
        done: bool,
    },
    /// A cache shard's fork or slow command ends (`drill/persistence.rs`).
    Unblock {
        comp: u16,
        inst: u16,
    },
    /// A client's name lookup (`drill/dns.rs`) returns.
    DnsDone {
        dns: u32,
        slot: u32,
    },
    /// A cache shard's failover promotes its replica.
    CacheFailover {
        comp: u16,
        shard: u16,
    },
    /// An alert evaluation tick (`drill/alerting.rs`).
    AlertEval,
    /// Scenario action `.0`, started earlier, takes effect.
    ActionDone(u16),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Travelling to the callee.
    ToCallee,
    /// Dropped by a partition: only its timeout will end it.
    Dropped,
    /// Waiting for a worker.
    Queued,
    /// A worker is doing the local work.
    Serving,
    /// Waiting for a dependency.
    Calling,
    /// The reply is travelling back.
    Returning,
}

#[derive(Clone, Debug)]
pub(super) struct Call {
    pub(super) tag: u32,
    pub(super) parent: u32,
    pub(super) parent_tag: u32,
    pub(super) child: u32,
    pub(super) comp: u16,
    pub(super) inst: u16,
    pub(super) step: u8,
    pub(super) is_read: bool,
    pub(super) cache_hit: bool,
    pub(super) hit: bool,
    pub(super) has_worker: bool,
    pub(super) phase: Phase,
    pub(super) error: Option<Cause>,
    pub(super) timer: Option<EventKey>,
    pub(super) start: SimTime,
    pub(super) bin: u32,
    /// As a caller: retries done in the current step.
    pub(super) tries: u8,
    /// As a caller: when the current step began (for its overall deadline).
    pub(super) step_start: SimTime,
    /// As a caller: the last retry delay (for decorrelated jitter).
    pub(super) prev_delay: SimTime,
    /// As a callee on an edge with a policy: its try's ticket.
    pub(super) ticket: Option<TryTicket>,
    /// As a caller: a hedged second try of the current step racing `child`.
    pub(super) hedge: u32,
    /// As a callee: it holds a place under its instance's adaptive limit.
    pub(super) limited: bool,
    /// The request's cache key (set at its first cache step), and as a
    /// callee of a cache with a key space, what to do with it.
    pub(super) key: CacheKey,
    /// As a database call: the caller's pooled connection it holds
    /// (`db::NO_POOL` when none).
    pub(super) pool: u32,
}

#[derive(Clone, Debug)]
pub(super) struct Inst {
    pub(super) up: bool,
    pub(super) held: bool,
    pub(super) slow: f64,
    /// Share of served calls failed with a server error (`Fault::Errors`).
    pub(super) errors: f64,
    pub(super) busy: u32,
    pub(super) queue: VecDeque<u32>,
    /// In the Service's endpoints (always, for components without a `pod` spec).
    pub(super) in_endpoints: bool,
    /// Busy workers × ns since the current bin started, up to `busy_since`
    /// (for the busiest instance's utilisation; see [`Inst::set_busy`]).
    pub(super) busy_area: f64,
    pub(super) busy_since: SimTime,
    /// Up, active and every worker busy (counted in [`Comp::full_total`]).
    pub(super) full: bool,
}

impl Inst {
    pub(super) fn fresh() -> Inst {
        Inst {
            up: true,
            held: false,
            slow: 1.0,
            errors: 0.0,
            busy: 0,
            queue: VecDeque::new(),
            in_endpoints: true,
            busy_area: 0.0,
            busy_since: SimTime::ZERO,
            full: false,
        }
    }

    /// Sets the busy workers to `busy` at `now`, adding the old level's
    /// time since the last change (not before `start`, the measured
    /// window's start) to the bin's area.
    #[inline]
    pub(super) fn set_busy(&mut self, busy: u32, now: SimTime, start: SimTime) {
        let from = self.busy_since.max(start);
        if now > from {
            self.busy_area += f64::from(self.busy) * (now - from).0 as f64;
        }
        self.busy_since = now;
        self.busy = busy;
    }

    /// The mean busy workers over the bin of `len` ending `now`, divided
    /// by `workers`; starts the next bin.
    fn take_utilisation(
        &mut self,
        now: SimTime,
        start: SimTime,
        len: SimTime,
        workers: u32,
    ) -> f64 {
        self.set_busy(self.busy, now, start);
        let u = self.busy_area / (len.0.max(1) as f64 * f64::from(workers.max(1)));
        self.busy_area = 0.0;
        u
    }
}

pub(super) struct Comp {
    pub(super) insts: Vec<Inst>,
    /// Its turn among the members of its `any` dependencies (`pick = "spread"`).
    pub(super) choice_rr: u32,
    pub(super) active: u32,
    /// Active instances that are up; kept by [`Comp::recount_up`] after
    /// every change of `active` or of an instance's `up`.
    pub(super) up: u32,
    pub(super) workers: u32,
    pub(super) queue_cap: u32,
    pub(super) timeout: SimTime,
    pub(super) hit_ratio: f64,
    pub(super) slow: f64,
    /// Share of served calls failed with a server error on every instance.
    pub(super) errors: f64,
    pub(super) rr: u32,
    pub(super) primary: u32,
    pub(super) busy_total: u32,
    pub(super) queued_total: u32,
    /// Active instances that are up with every worker busy; kept by
    /// [`Comp::refresh_full`].
    pub(super) full_total: u32,
    pub(super) gauge: GaugeArea,
    pub(super) totals: CallTotals,
    /// Queueing delays of the calls served in the measured window.
    pub(super) waits: LatencyHistogram,
    /// Health of each instance as its load balancer's active checks see it
    /// (`None` when no load balancer in front of it checks health).
    pub(super) lb_health: Option<Vec<HealthCheck>>,
    /// A load balancer's rate limits and outlier detectors, if it has any.
    pub(super) balancer: Option<Box<Balancer>>,
    /// Per instance, its adaptive concurrency limit (empty when off).
    pub(super) limiters: Vec<AdaptiveConcurrency>,
    pub(super) rng_service: SimRng,
    pub(super) rng_latency: SimRng,
    pub(super) rng_route: SimRng,
    /// Draws which served calls an `errors` fault fails (its own stream, so
    /// a fault leaves the other draws unchanged).
    pub(super) rng_errors: SimRng,
    /// Pod lifecycle state, for pods with a `pod` spec.
    pub(super) pods: Option<Box<PodSet>>,
    /// A cache's Redis key space (`None`: the fixed `hit_ratio` applies).
    pub(super) cache: Option<Box<CacheState>>,
    /// Databases: writes are rejected from this time on (a full disk).
    pub(super) writes_fail_at: SimTime,
}

impl Comp {
    fn count_up(&self) -> u32 {
        self.insts[..self.active as usize]
            .iter()
            .filter(|i| i.up)
            .count() as u32
    }

    /// Updates the count of instances up; call after changing `active` or
    /// an instance's `up` (faults and actions, which are rare).
    pub(super) fn recount_up(&mut self) {
        self.up = self.count_up();
        for i in 0..self.insts.len() {
            self.refresh_full(i);
        }
    }

    /// Updates instance `i`'s share of [`Comp::full_total`]; call after its
    /// busy workers change (and, through [`Comp::recount_up`], after its
    /// state or the worker count does).
    #[inline]
    pub(super) fn refresh_full(&mut self, i: usize) {
        let x = &mut self.insts[i];
        let full = i < self.active as usize && x.up && x.busy >= self.workers;
        if full != x.full {
            x.full = full;
            if full {
                self.full_total += 1;
            } else {
                self.full_total -= 1;
            }
        }
    }
}

/// A drill trial's whole state.
pub struct DrillTrial<'m> {
    pub(super) model: &'m Model,
    pub(super) scenario: &'m Scenario,
    pub(super) traffic: &'m Traffic,
    pub(super) plans: &'m [Plan],
    pub(super) client: &'m Plan,
    pub(super) lanes: &'m Lanes,
    /// Caller-side state of every edge with a policy.
    pub(super) edges: Vec<EdgeState<'m>>,
    pub(super) bin: SimTime,
    pub(super) queue: EventQueue<Ev>,
    pub(super) calls: Arena<Call>,
    pub(super) comps: Vec<Comp>,
    /// Active partitions (cuts between components or their instances).
    pub(super) partitions: Vec<super::partition::Cut>,
    pub(super) dns_valid_until: SimTime,
    /// Resolvers and client caches of `dns` components with resolver settings.
    pub(super) dns: Vec<super::dns::Resolvers<'m>>,
    /// Connection pools, failover and disks of databases.
    pub(super) dbs: super::db::Databases,
    pub(super) next_tag: u32,
    pub(super) open_roots: u64,
    pub(super) start: SimTime,
    pub(super) end: SimTime,
    pub(super) rng_arrivals: SimRng,
    pub(super) rng_mix: SimRng,
    pub(super) recorder: Recorder,
    pub(super) gauges: Vec<Vec<GaugeBin>>,
    pub(super) ticks: usize,
    pub(super) events: u64,
    pub(super) requests: u64,
    /// Per bin, the value of every reading (in [`DrillSetup::readings`] order).
    pub(super) readings: Vec<Vec<f64>>,
    /// The traffic profile's time at the end of the warm-up \[s\] (a
    /// request-availability window replays the time of year it sits at).
    pub(super) profile_offset: f64,
    /// Times of the text snapshots to take (this trial only).
    pub(super) snapshot_at: &'m [SimTime],
    pub(super) snapshots: Vec<Snapshot>,
    /// The nodes pods are scheduled on.
    pub(super) cluster: Box<ClusterState>,
    /// Databases with backups, and the trial's restores.
    pub(super) backups: super::backup::Backups,
    /// The trial's seed (for streams drawn on demand).
    pub(super) seed: u64,
    /// Requests finished and failed since the trial began (alert counters).
    pub(super) done: [u64; 2],
    /// The model's compiled alert rules, if it has any.
    pub(super) alert_rules: Option<&'m crate::alerts::CompiledRules>,
    /// The alert state (`None` without rules: no cost).
    pub(super) alerts: Option<Box<super::alerting::AlertTrial<'m>>>,
    /// Scenario events already set off by an alert.
    pub(super) responded: Vec<u16>,
    /// Containment actions as they ran.
    pub(super) actions: Vec<super::metrics::ActionRecord>,
}

/// The parts of a drill that do not change between trials.
pub struct DrillSetup<'m> {
    /// The model.
    pub model: &'m Model,
    /// The scenario.
    pub scenario: &'m Scenario,
    /// The traffic.
    pub traffic: &'m Traffic,
    /// Width of a time bin.
    pub bin: SimTime,
    plans: Vec<Plan>,
    client: Plan,
    lanes: Lanes,
    edges: Vec<&'m CallPolicy>,
    /// The readings every trial records per bin.
    pub readings: Vec<ReadingDef>,
    /// Times (after the warm-up) of the text snapshots, and the trial that takes them.
    snapshots: (Vec<SimTime>, u64),
    /// The scenario's random failures (`random_failures = true`).
    random: Option<super::random_failures::RandomFailures<'m>>,
    /// The model's alert rules compiled against the drill's series.
    alerts: Option<crate::alerts::CompiledRules>,
}

impl<'m> DrillSetup<'m> {
    /// Compiles the call plans for `model`.
    pub fn new(
        model: &'m Model,
        scenario: &'m Scenario,
        traffic: &'m Traffic,
        bin: SimTime,
    ) -> Self {
        DrillSetup {
            model,
            scenario,
            traffic,
            bin,
            plans: compile(model),
            client: client_plan(model),
            lanes: Lanes::new(model, traffic.timeout),
            edges: edge_policies(model),
            readings: reading_defs(model),
            snapshots: (Vec::new(), 0),
            random: scenario
                .random_failures
                .then(|| super::random_failures::RandomFailures::new(model, scenario.duration)),
            alerts: model.alerting.as_ref().map(|a| {
                crate::alerts::CompiledRules::new(a, &super::alerting::series_names(model))
            }),
        }
    }

    /// Takes text snapshots at `at` (after the warm-up) in trial `trial`.
    pub fn with_snapshots(mut self, at: Vec<SimTime>, trial: u64) -> Self {
        self.snapshots = (at, trial);
        self
    }

    /// Number of time bins in the measured window.
    pub fn bins(&self) -> usize {
        bins_of(self.scenario, self.bin)
    }

    /// Runs trial `trial` with `seed`.
    pub fn run(&self, trial: u64, seed: u64) -> TrialResult {
        let drawn;
        let sc = match &self.random {
            Some(r) => {
                drawn = r.scenario(self.scenario, seed);
                &drawn
            }
            None => self.scenario,
        };
        let mut t = DrillTrial::new(self, sc, seed);
        if trial == self.snapshots.1 {
            t.snapshot_at = &self.snapshots.0;
        }
        t.run();
        t.finish(trial, seed)
    }

    /// Runs trial `trial` with `seed` of another scenario `sc` on the same
    /// model and traffic (no snapshots, no random failures of its own),
    /// with the databases in `primaries` (component, instance) starting
    /// with that instance as primary, and the traffic profile from its time
    /// `profile_at` on (at the end of the warm-up).
    pub fn run_with(
        &self,
        sc: &Scenario,
        primaries: &[(usize, u32)],
        profile_at: SimTime,
        trial: u64,
        seed: u64,
    ) -> TrialResult {
        let mut t = DrillTrial::new(self, sc, seed);
        t.profile_offset = profile_at.as_secs_f64();
        for &(c, p) in primaries {
            if let Some(comp) = t.comps.get_mut(c).filter(|x| p < x.active) {
                comp.primary = p;
            }
        }
        t.run();
        t.finish(trial, seed)
    }
}

/// Number of time bins of width `bin` in `sc`'s measured window.
fn bins_of(sc: &Scenario, bin: SimTime) -> usize {
    sc.duration.0.div_ceil(bin.0.max(1)) as usize
}

impl<'m> DrillTrial<'m> {
    fn new(setup: &'m DrillSetup<'m>, sc: &'m Scenario, seed: u64) -> Self {
        let model = setup.model;
        let comps = model
            .components
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                let key = named_key(&c.id, 0);
                Comp {
                    insts: (0..c.instances).map(|_| Inst::fresh()).collect(),
                    active: c.instances,
                    up: c.instances,
                    workers: c.serving.workers,
                    queue_cap: c.serving.queue,
                    timeout: c.serving.timeout,
                    hit_ratio: c.serving.hit_ratio,
                    slow: 1.0,
                    errors: 0.0,
                    rr: 0,
                    choice_rr: 0,
                    primary: 0,
                    busy_total: 0,
                    queued_total: 0,
                    full_total: 0,
                    gauge: GaugeArea::default(),
                    totals: CallTotals::default(),
                    waits: LatencyHistogram::new(),
                    lb_health: model
                        .health_check_of(ci)
                        .map(|spec| vec![HealthCheck::new(spec); c.instances as usize]),
                    balancer: Balancer::of(model, c),
                    limiters: c.serving.adaptive_concurrency.map_or_else(Vec::new, |a| {
                        vec![AdaptiveConcurrency::new(a); c.instances as usize]
                    }),
                    rng_service: stream(seed, key, Purpose::Service),
                    rng_latency: stream(seed, key, Purpose::Network),
                    rng_route: stream(seed, key, Purpose::Routing),
                    rng_errors: stream(seed, key, Purpose::Misc),
                    pods: PodSet::new(c, seed),
                    cache: CacheState::new(c, seed),
                    writes_fail_at: super::db::writes_fail_at(model, ci),
                }
            })
            .collect();
        let start = sc.warmup;
        let end = sc.warmup + sc.duration;
        let bins = bins_of(sc, setup.bin);
        let traffic_key = named_key("traffic", 0);
        DrillTrial {
            model,
            scenario: sc,
            traffic: setup.traffic,
            plans: &setup.plans,
            client: &setup.client,
            lanes: &setup.lanes,
            edges: setup
                .edges
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    EdgeState::new(p, stream(seed, named_key("edge", i as u32), Purpose::Misc))
                })
                .collect(),
            bin: setup.bin,
            queue: EventQueue::with_capacity(1024),
            calls: Arena::with_capacity(1024),
            comps,
            partitions: Vec::new(),
            dns_valid_until: SimTime::ZERO,
            dns: super::dns::resolvers(model, seed, start),
            dbs: super::db::databases(model, seed, start),
            next_tag: 0,
            open_roots: 0,
            start,
            end,
            rng_arrivals: stream(seed, traffic_key, Purpose::Arrivals),
            rng_mix: stream(seed, traffic_key, Purpose::Routing),
            recorder: Recorder::new(start, setup.bin, bins, setup.traffic.timeout),
            gauges: vec![Vec::with_capacity(bins); model.components.len()],
            ticks: bins,
            events: 0,
            requests: 0,
            readings: Vec::with_capacity(bins),
            profile_offset: 0.0,
            snapshot_at: &[],
            snapshots: Vec::new(),
            cluster: ClusterState::new(model),
            backups: super::backup::backups(model, seed),
            seed,
            done: [0; 2],
            alert_rules: setup.alerts.as_ref(),
            alerts: setup
                .alerts
                .as_ref()
                .map(|r| Box::new(super::alerting::AlertTrial::new(r))),
            responded: Vec::new(),
            actions: Vec::new(),
        }
    }

    fn run(&mut self) {
        // Ticks first: at equal times the queue is FIFO, so a bin's tick
        // closes it before anything else that happens at its end (a fault
        // at 60 s belongs to the bin that starts at 60 s, not to the one
        // that ends there).
        for k in 1..=self.ticks {
            let t = (self.start + SimTime(self.bin.0 * k as u64)).min(self.end);
            self.queue.schedule_in_lane(lanes::TICKS, t, Ev::Tick);
        }
        self.schedule_next_arrival(SimTime::ZERO);
        for (i, ev) in self.scenario.events.iter().enumerate() {
            if ev.on_alert.is_none() {
                self.queue
                    .schedule(self.start + ev.at, Ev::Scenario(i as u16));
            }
        }
        self.start_alerts();
        for c in 0..self.comps.len() {
            self.schedule_first_checks(c, 0, SimTime::ZERO);
        }
        self.start_pods();
        for (k, &at) in self.snapshot_at.iter().enumerate() {
            self.queue.schedule(self.start + at, Ev::Snapshot(k as u16));
        }
        while let Some((now, ev)) = self.queue.pop() {
            self.events += 1;
            match ev {
                Ev::Arrival => self.on_arrival(now),
                Ev::Arrive { call, tag } => {
                    if self.live(call, tag) {
                        self.on_arrive(call, now);
                    }
                }
                Ev::Served { call, tag } => self.served_if_serving(call, tag, now),
                Ev::Reply { call, tag } => {
                    if self.live(call, tag) {
                        self.on_reply(call, now);
                    }
                }
                Ev::Timeout { call, tag } => {
                    if self.live(call, tag) {
                        self.on_timeout(call, now);
                    }
                }
                Ev::Scenario(i) => self.apply_event(i as usize, now),
                Ev::FaultEnd(i) => self.end_fault(i as usize, now),
                Ev::Tick => self.on_tick(now),
                Ev::Check { comp, inst } => self.on_check(comp as usize, inst as usize, now),
                Ev::Retry { call, tag } => {
                    if self.live(call, tag) {
                        self.on_retry(call, now);
                    }
                }
                Ev::Hedge { call, tag } => {
                    if self.live(call, tag) {
                        self.on_hedge(call, now);
                    }
                }
                Ev::Pod(e) => self.on_pod_event(e, now),
                Ev::PoolTimeout { call, tag } => self.on_pool_timeout(call, tag, now),
                Ev::Promote { comp } => self.on_promote(comp as usize, now),
                Ev::DnsDone { dns, slot } => self.on_dns_done(dns as usize, slot, now),
                Ev::CacheFailover { comp, shard } => {
                    self.on_cache_failover(comp as usize, shard as usize, now)
                }
                Ev::Restore { comp, done } => self.on_restore(comp as usize, done, now),
                Ev::Unblock { comp, inst } => self.unblock(comp as usize, inst as usize, now),
                Ev::AlertEval => self.on_alert_eval(now),
                Ev::ActionDone(i) => self.finish_action(i as usize, now),
                Ev::Snapshot(k) => {
                    let text = self.snapshot_text(now);
                    self.snapshots.push(Snapshot {
                        at_s: self.snapshot_at[k as usize].as_secs_f64(),
                        text,
                    });
                }
            }
            if now >= self.end && self.open_roots == 0 && self.snapshots_done() {
                break;
            }
        }
    }

    fn finish(mut self, trial: u64, seed: u64) -> TrialResult {
        // Bins not yet ticked (a run that ended early) get empty gauges.
        for g in &mut self.gauges {
            g.resize(self.ticks, GaugeBin::default());
        }
        let (bins, latency) = self.recorder.finish();
        let width = self.readings.first().map_or(0, Vec::len);
        self.readings.resize(self.ticks, vec![f64::NAN; width]);
        TrialResult {
            trial,
            seed,
            bins,
            gauges: self.gauges,
            latency,
            calls: self.comps.iter().map(|c| c.totals).collect(),
            waits: self
                .comps
                .iter_mut()
                .map(|c| std::mem::take(&mut c.waits))
                .collect(),
            events: self.events,
            requests: self.requests,
            readings: self.readings,
            snapshots: self.snapshots,
            restores: self.backups.records,
            failovers: (self.comps.iter().enumerate())
                .filter_map(|(i, c)| Some((i, &c.cache.as_ref()?.ks)))
                .flat_map(|(i, ks)| {
                    super::cache_ha::records(&self.model.components[i].id, ks, self.start)
                })
                .collect(),
            alerts: self.alerts.map(|a| a.log).unwrap_or_default(),
            actions: self.actions,
        }
    }

    fn snapshots_done(&self) -> bool {
        self.snapshots.len() == self.snapshot_at.len()
    }

    /// The work of `call` is done, if it is still that call and serving.
    #[inline]
    pub(super) fn served_if_serving(&mut self, call: u32, tag: u32, now: SimTime) {
        if self.live(call, tag)
            && self
                .calls
                .get(call)
                .is_some_and(|c| c.phase == Phase::Serving)
        {
            self.on_served(call, now);
        }
    }

    #[inline]
    pub(super) fn live(&self, call: u32, tag: u32) -> bool {
        self.calls.get(call).is_some_and(|c| c.tag == tag)
    }

    pub(super) fn rate_at(&self, t: SimTime) -> f64 {
        match &self.traffic.profile {
            Some(p) => p.rate_at(t.as_secs_f64() - self.start.as_secs_f64() + self.profile_offset),
            None => self.traffic.rate,
        }
    }

    /// Poisson arrivals, thinned from the profile's peak rate when it varies.
    pub(super) fn schedule_next_arrival(&mut self, now: SimTime) {
        let peak = self
            .traffic
            .profile
            .as_ref()
            .map_or(self.traffic.rate, |p| p.max_rate());
        if peak <= 0.0 {
            return;
        }
        let mut t = now;
        loop {
            let u: f64 = self.rng_arrivals.random();
            t += SimTime::from_secs_f64(-(1.0 - u).ln() / peak);
            if t >= self.end {
                return;
            }
            if self.traffic.profile.is_none()
                || self.rng_arrivals.random::<f64>() * peak < self.rate_at(t)
            {
                break;
            }
        }
        self.queue.schedule_in_lane(lanes::ARRIVALS, t, Ev::Arrival);
    }

    pub(super) fn new_call(&mut self, call: Call) -> u32 {
        self.calls.insert(call)
    }

    pub(super) fn next_tag(&mut self) -> u32 {
        self.next_tag = self.next_tag.wrapping_add(1);
        self.next_tag
    }

    pub(super) fn touch(&mut self, comp: usize, now: SimTime) {
        let c = &mut self.comps[comp];
        let up = c.up;
        debug_assert_eq!(up, c.count_up(), "Comp::up is stale");
        let levels = Levels {
            busy: c.busy_total,
            queued: c.queued_total,
            capacity: up * c.workers,
            up,
            full: c.full_total,
        };
        c.gauge.advance(now, self.start, levels);
    }

    /// Whether `now` falls in the measured window.
    #[inline]
    pub(super) fn measured(&self, now: SimTime) -> bool {
        now >= self.start && now < self.end
    }

    /// Records gauges for the bin ending now.
    pub(super) fn touch_all(&mut self, now: SimTime) {
        for c in 0..self.comps.len() {
            self.touch(c, now);
        }
    }

    fn on_tick(&mut self, now: SimTime) {
        self.touch_all(now);
        let k = self.gauges.first().map_or(0, Vec::len);
        let bin_start = self.start + SimTime(self.bin.0 * k as u64);
        let len = now - bin_start;
        let start = self.start;
        for (c, g) in self.gauges.iter_mut().enumerate() {
            let comp = &mut self.comps[c];
            let mut bin = comp.gauge.take(len);
            let workers = comp.workers;
            let active = (comp.active as usize).min(comp.insts.len());
            bin.peak = comp.insts[..active]
                .iter_mut()
                .map(|i| i.take_utilisation(now, start, len, workers))
                .fold(0.0, f64::max);
            g.push(bin);
        }
        let mut row = Vec::with_capacity(self.readings.first().map_or(0, Vec::len));
        self.sample_readings(now, &mut row);
        self.readings.push(row);
        self.scrape_alerts(now);
        self.recorder.close_until(now);
    }
}

/// Schedules `ev` at `at` through `lane`, or the heap when there is none.
#[inline]
pub(super) fn schedule_via(
    q: &mut EventQueue<Ev>,
    lane: Option<usize>,
    at: SimTime,
    ev: Ev,
) -> EventKey {
    match lane {
        Some(l) => q.schedule_in_lane(l, at, ev),
        None => q.schedule(at, ev),
    }
}

impl DrillTrial<'_> {
    /// Schedules the first check of instances `from..` of component `c`,
    /// spread over one interval, starting at `now`.
    pub(super) fn schedule_first_checks(&mut self, c: usize, from: usize, now: SimTime) {
        let Some(h) = &self.comps[c].lb_health else {
            return;
        };
        let n = h.len();
        let interval = h.first().map_or(SimTime::SECOND, HealthCheck::interval);
        for i in from..n {
            let at = first_check_at(now, i, n, interval);
            self.queue.schedule(
                at,
                Ev::Check {
                    comp: c as u16,
                    inst: i as u16,
                },
            );
        }
    }

    /// One active check: a backend passes while it is up, in service and not hung.
    fn on_check(&mut self, c: usize, inst: usize, now: SimTime) {
        let comp = &mut self.comps[c];
        let ok =
            inst < comp.active as usize && comp.insts.get(inst).is_some_and(|x| x.up && !x.held);
        let Some(h) = comp.lb_health.as_mut().and_then(|h| h.get_mut(inst)) else {
            return;
        };
        h.on_result(ok);
        let next = h.next_check_at(now);
        self.queue.schedule(
            next,
            Ev::Check {
                comp: c as u16,
                inst: inst as u16,
            },
        );
    }
}
