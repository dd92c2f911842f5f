//! One drill trial: every request, call, timeout and fault of a scenario as
//! discrete events.
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

use super::lanes::{self, Lanes};
use super::metrics::{CallTotals, Cause, GaugeArea, GaugeBin, Recorder, TrialResult};
use super::plan::{Plan, Step, StepKind, client_plan, compile};
use crate::engine::SimTime;
use crate::engine::arena::Arena;
use crate::engine::queue::{EventKey, EventQueue};
use crate::engine::rng::{Purpose, SimRng, named_key, stream};
use crate::model::{ComponentKind, LbAlgorithm, Model, Traffic};
use crate::scenario::Scenario;

/// No call / no bin.
const NONE: u32 = u32::MAX;
/// The component index of the client (root calls).
const CLIENT: u16 = u16::MAX;

/// The event that ends fault `i` of the scenario.
pub(super) fn fault_end(i: usize) -> Ev {
    Ev::FaultEnd(i as u16)
}

/// An event of the drill; names calls by arena index plus a generation so a
/// stale event (its call already gone) is recognised and dropped.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ev {
    Arrival,
    Arrive { call: u32, tag: u32 },
    Served { call: u32, tag: u32 },
    Reply { call: u32, tag: u32 },
    Timeout { call: u32, tag: u32 },
    Scenario(u16),
    FaultEnd(u16),
    Tick,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
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
struct Call {
    tag: u32,
    parent: u32,
    parent_tag: u32,
    child: u32,
    comp: u16,
    inst: u16,
    step: u8,
    is_read: bool,
    cache_hit: bool,
    hit: bool,
    has_worker: bool,
    phase: Phase,
    error: Option<Cause>,
    timer: Option<EventKey>,
    start: SimTime,
    bin: u32,
}

#[derive(Clone, Debug)]
pub(super) struct Inst {
    pub(super) up: bool,
    pub(super) held: bool,
    pub(super) slow: f64,
    pub(super) busy: u32,
    pub(super) queue: VecDeque<u32>,
}

impl Inst {
    pub(super) fn fresh() -> Inst {
        Inst {
            up: true,
            held: false,
            slow: 1.0,
            busy: 0,
            queue: VecDeque::new(),
        }
    }
}

pub(super) struct Comp {
    pub(super) insts: Vec<Inst>,
    pub(super) active: u32,
    /// Active instances that are up; kept by [`Comp::recount_up`] after
    /// every change of `active` or of an instance's `up`.
    up: u32,
    pub(super) workers: u32,
    pub(super) queue_cap: u32,
    pub(super) timeout: SimTime,
    pub(super) hit_ratio: f64,
    pub(super) slow: f64,
    rr: u32,
    primary: u32,
    busy_total: u32,
    queued_total: u32,
    gauge: GaugeArea,
    totals: CallTotals,
    rng_service: SimRng,
    rng_latency: SimRng,
    rng_route: SimRng,
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
    }
}

/// A drill trial's whole state.
pub struct DrillTrial<'m> {
    model: &'m Model,
    pub(super) scenario: &'m Scenario,
    traffic: &'m Traffic,
    plans: &'m [Plan],
    client: &'m Plan,
    lanes: &'m Lanes,
    bin: SimTime,
    pub(super) queue: EventQueue<Ev>,
    calls: Arena<Call>,
    pub(super) comps: Vec<Comp>,
    /// Active partitions between pairs of components.
    pub(super) partitions: Vec<(u16, u16)>,
    dns_valid_until: SimTime,
    next_tag: u32,
    open_roots: u64,
    start: SimTime,
    end: SimTime,
    rng_arrivals: SimRng,
    rng_mix: SimRng,
    recorder: Recorder,
    gauges: Vec<Vec<GaugeBin>>,
    ticks: usize,
    events: u64,
    requests: u64,
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
        }
    }

    /// Number of time bins in the measured window.
    pub fn bins(&self) -> usize {
        self.scenario.duration.0.div_ceil(self.bin.0.max(1)) as usize
    }

    /// Runs trial `trial` with `seed`.
    pub fn run(&self, trial: u64, seed: u64) -> TrialResult {
        let mut t = DrillTrial::new(self, seed);
        t.run();
        t.finish(trial, seed)
    }
}

impl<'m> DrillTrial<'m> {
    fn new(setup: &'m DrillSetup<'m>, seed: u64) -> Self {
        let model = setup.model;
        let sc = setup.scenario;
        let comps = model
            .components
            .iter()
            .map(|c| {
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
                    rr: 0,
                    primary: 0,
                    busy_total: 0,
                    queued_total: 0,
                    gauge: GaugeArea::default(),
                    totals: CallTotals::default(),
                    rng_service: stream(seed, key, Purpose::Service),
                    rng_latency: stream(seed, key, Purpose::Network),
                    rng_route: stream(seed, key, Purpose::Routing),
                }
            })
            .collect();
        let start = sc.warmup;
        let end = sc.warmup + sc.duration;
        let bins = setup.bins();
        let traffic_key = named_key("traffic", 0);
        DrillTrial {
            model,
            scenario: sc,
            traffic: setup.traffic,
            plans: &setup.plans,
            client: &setup.client,
            lanes: &setup.lanes,
            bin: setup.bin,
            queue: EventQueue::with_capacity(1024),
            calls: Arena::with_capacity(1024),
            comps,
            partitions: Vec::new(),
            dns_valid_until: SimTime::ZERO,
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
        }
    }

    fn run(&mut self) {
        self.schedule_next_arrival(SimTime::ZERO);
        for (i, ev) in self.scenario.events.iter().enumerate() {
            self.queue
                .schedule(self.start + ev.at, Ev::Scenario(i as u16));
        }
        for k in 1..=self.ticks {
            let t = (self.start + SimTime(self.bin.0 * k as u64)).min(self.end);
            self.queue.schedule_in_lane(lanes::TICKS, t, Ev::Tick);
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
                Ev::Served { call, tag } => {
                    if self.live(call, tag)
                        && self
                            .calls
                            .get(call)
                            .is_some_and(|c| c.phase == Phase::Serving)
                    {
                        self.on_served(call, now);
                    }
                }
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
            }
            if now >= self.end && self.open_roots == 0 {
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
        TrialResult {
            trial,
            seed,
            bins,
            gauges: self.gauges,
            latency,
            calls: self.comps.iter().map(|c| c.totals).collect(),
            events: self.events,
            requests: self.requests,
        }
    }

    #[inline]
    fn live(&self, call: u32, tag: u32) -> bool {
        self.calls.get(call).is_some_and(|c| c.tag == tag)
    }

    fn rate_at(&self, t: SimTime) -> f64 {
        match &self.traffic.profile {
            Some(p) => p.rate_at(t.as_secs_f64() - self.start.as_secs_f64()),
            None => self.traffic.rate,
        }
    }

    /// Poisson arrivals, thinned from the profile's peak rate when it varies.
    fn schedule_next_arrival(&mut self, now: SimTime) {
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

    fn new_call(&mut self, call: Call) -> u32 {
        self.calls.insert(call)
    }

    fn next_tag(&mut self) -> u32 {
        self.next_tag = self.next_tag.wrapping_add(1);
        self.next_tag
    }

    fn on_arrival(&mut self, now: SimTime) {
        self.schedule_next_arrival(now);
        let is_read = self.rng_mix.random::<f64>() < self.traffic.read_ratio;
        let bin = self.recorder.bin_of(now).unwrap_or(NONE);
        if bin != NONE {
            self.recorder.offered(bin);
        }
        let tag = self.next_tag();
        let id = self.new_call(Call {
            tag,
            parent: NONE,
            parent_tag: 0,
            child: NONE,
            comp: CLIENT,
            inst: 0,
            step: 0,
            is_read,
            cache_hit: false,
            hit: false,
            has_worker: false,
            phase: Phase::Calling,
            error: None,
            timer: None,
            start: now,
            bin,
        });
        let key = self.queue.schedule_in_lane(
            self.lanes.client_timeout,
            now + self.traffic.timeout,
            Ev::Timeout { call: id, tag },
        );
        self.calls.get_mut(id).expect("just inserted").timer = Some(key);
        self.open_roots += 1;
        self.requests += 1;
        self.advance(id, now);
    }

    fn plan_of(&self, c: &Call) -> &'m [Step] {
        let plan = if c.comp == CLIENT {
            self.client
        } else {
            &self.plans[c.comp as usize]
        };
        plan.steps(c.is_read)
    }

    /// Takes the call's next plan step, or completes it when none is left.
    fn advance(&mut self, id: u32, now: SimTime) {
        let c = self.calls.get(id).expect("advancing a live call");
        let steps = self.plan_of(c);
        let mut step = c.step as usize;
        while let Some(s) = steps.get(step) {
            let skip = match s.kind {
                StepKind::DbRead => c.cache_hit,
                StepKind::Dns => now < self.dns_valid_until,
                _ => false,
            };
            if !skip {
                break;
            }
            step += 1;
        }
        let c = self.calls.get_mut(id).expect("live");
        c.step = step as u8;
        match steps.get(step) {
            Some(&s) => {
                c.phase = Phase::Calling;
                self.issue(id, s, now);
            }
            None => self.complete(id, None, now),
        }
    }

    /// Picks the instance a call to `dep` goes to, or the failure when none can take it.
    fn route(&mut self, caller: u16, s: Step) -> Result<u16, Cause> {
        let by_lb = caller != CLIENT
            && self.model.components[caller as usize].kind == ComponentKind::LoadBalancer;
        let algorithm = if by_lb {
            self.model.components[caller as usize].serving.algorithm
        } else {
            LbAlgorithm::RoundRobin
        };
        let comp = &mut self.comps[s.dep as usize];
        let n = comp.active;
        if n == 0 {
            return Err(if by_lb {
                Cause::NoBackend
            } else {
                Cause::Refused
            });
        }
        let pick = match s.kind {
            StepKind::DbWrite => comp.primary.min(n - 1),
            StepKind::DbRead if n > 1 => {
                // Replicas are instances 1..n; round robin over them.
                comp.rr = comp.rr.wrapping_add(1);
                1 + comp.rr % (n - 1)
            }
            _ => match algorithm {
                LbAlgorithm::RoundRobin => {
                    comp.rr = comp.rr.wrapping_add(1);
                    comp.rr % n
                }
                LbAlgorithm::LeastRequest => (0..n)
                    .min_by_key(|&i| {
                        let x = &comp.insts[i as usize];
                        x.busy as usize + x.queue.len()
                    })
                    .expect("n > 0"),
                LbAlgorithm::PowerOfTwo => {
                    let a = comp.rng_route.random_range(0..n);
                    let b = comp.rng_route.random_range(0..n);
                    let load = |i: u32| {
                        comp.insts[i as usize].busy as usize + comp.insts[i as usize].queue.len()
                    };
                    if load(b) < load(a) { b } else { a }
                }
            },
        };
        Ok(pick as u16)
    }

    fn issue(&mut self, parent: u32, s: Step, now: SimTime) {
        let p = self.calls.get(parent).expect("live parent");
        let (caller, parent_tag) = (p.comp, p.tag);
        let is_read = match s.kind {
            StepKind::DbWrite | StepKind::CacheInvalidate => false,
            StepKind::CacheRead | StepKind::DbRead | StepKind::Dns => true,
            StepKind::Call => p.is_read,
        };
        let inst = match self.route(caller, s) {
            Ok(i) => i,
            Err(cause) => return self.child_result(parent, Err(cause), false, now),
        };
        let tag = self.next_tag();
        let dropped = caller != CLIENT
            && self
                .partitions
                .iter()
                .any(|&(a, b)| (a, b) == (caller, s.dep) || (b, a) == (caller, s.dep));
        let id = self.new_call(Call {
            tag,
            parent,
            parent_tag,
            child: NONE,
            comp: s.dep,
            inst,
            step: 0,
            is_read,
            cache_hit: false,
            hit: false,
            has_worker: false,
            phase: if dropped {
                Phase::Dropped
            } else {
                Phase::ToCallee
            },
            error: None,
            timer: None,
            start: now,
            bin: NONE,
        });
        let comp = &mut self.comps[s.dep as usize];
        if !dropped {
            let lat = self.model.components[s.dep as usize]
                .serving
                .latency
                .sample(&mut comp.rng_latency);
            let lane = self.lanes.latency[s.dep as usize];
            schedule_via(
                &mut self.queue,
                lane,
                now + lat,
                Ev::Arrive { call: id, tag },
            );
        }
        let key = self.queue.schedule_in_lane(
            self.lanes.timeout[s.dep as usize],
            now + comp.timeout,
            Ev::Timeout { call: id, tag },
        );
        self.calls.get_mut(id).expect("live").timer = Some(key);
        self.calls.get_mut(parent).expect("live").child = id;
    }

    fn touch(&mut self, comp: usize, now: SimTime) {
        let c = &mut self.comps[comp];
        let up = c.up;
        debug_assert_eq!(up, c.count_up(), "Comp::up is stale");
        c.gauge.advance(
            now,
            self.start,
            c.busy_total,
            c.queued_total,
            up * c.workers,
            up,
        );
    }

    /// Whether `now` falls in the measured window.
    #[inline]
    fn measured(&self, now: SimTime) -> bool {
        now >= self.start && now < self.end
    }

    fn on_arrive(&mut self, id: u32, now: SimTime) {
        let (comp, inst) = {
            let c = self.calls.get_mut(id).expect("live");
            c.start = now;
            (c.comp as usize, c.inst as usize)
        };
        let measured = self.measured(now);
        let cs = &mut self.comps[comp];
        if measured {
            cs.totals.arrived += 1;
        }
        let x = &cs.insts[inst];
        if inst >= cs.active as usize || !x.up {
            if measured {
                cs.totals.refused += 1;
            }
            return self.reply(id, Some(Cause::Refused), now);
        }
        if x.held || x.busy >= cs.workers {
            if x.queue.len() >= cs.queue_cap as usize {
                if measured {
                    cs.totals.rejected += 1;
                }
                return self.reply(id, Some(Cause::QueueFull), now);
            }
            self.touch(comp, now);
            let cs = &mut self.comps[comp];
            cs.insts[inst].queue.push_back(id);
            cs.queued_total += 1;
            self.calls.get_mut(id).expect("live").phase = Phase::Queued;
            return;
        }
        self.start_service(id, comp, inst, now);
    }

    fn start_service(&mut self, id: u32, comp: usize, inst: usize, now: SimTime) {
        self.touch(comp, now);
        let arrived = self.calls.get(id).expect("live").start;
        let measured = self.measured(arrived);
        let cs = &mut self.comps[comp];
        if measured {
            cs.totals.served += 1;
            if now > arrived {
                cs.totals.waited += 1;
                cs.totals.wait_ns += (now - arrived).0 as u128;
            }
        }
        cs.insts[inst].busy += 1;
        cs.busy_total += 1;
        let factor = cs.slow * cs.insts[inst].slow;
        let base = self.model.components[comp]
            .serving
            .service
            .sample_secs(&mut cs.rng_service);
        let tag = {
            let c = self.calls.get_mut(id).expect("live");
            c.has_worker = true;
            c.phase = Phase::Serving;
            c.tag
        };
        self.queue.schedule(
            now + SimTime::from_secs_f64(base * factor),
            Ev::Served { call: id, tag },
        );
    }

    fn on_served(&mut self, id: u32, now: SimTime) {
        let comp = self.calls.get(id).expect("live").comp as usize;
        if self.model.components[comp].kind == ComponentKind::Cache {
            let cs = &mut self.comps[comp];
            let hit = cs.rng_route.random::<f64>() < cs.hit_ratio;
            self.calls.get_mut(id).expect("live").hit = hit;
        }
        self.advance(id, now);
    }

    /// The call's work is done (`error` None) or failed: release its worker
    /// and send the reply, or finish the request at the client.
    fn complete(&mut self, id: u32, error: Option<Cause>, now: SimTime) {
        if self.calls.get(id).expect("live").comp == CLIENT {
            return self.finish_root(id, error, now);
        }
        self.release_worker(id, now);
        self.reply(id, error, now);
    }

    fn release_worker(&mut self, id: u32, now: SimTime) {
        let c = self.calls.get_mut(id).expect("live");
        if !c.has_worker {
            return;
        }
        c.has_worker = false;
        let (comp, inst) = (c.comp as usize, c.inst as usize);
        self.touch(comp, now);
        let cs = &mut self.comps[comp];
        cs.insts[inst].busy -= 1;
        cs.busy_total -= 1;
        self.start_queued(comp, inst, now);
    }

    /// Starts queued calls while the instance has free workers.
    pub(super) fn start_queued(&mut self, comp: usize, inst: usize, now: SimTime) {
        loop {
            let cs = &self.comps[comp];
            let x = &cs.insts[inst];
            if x.held || !x.up || x.busy >= cs.workers || x.queue.is_empty() {
                return;
            }
            self.touch(comp, now);
            let cs = &mut self.comps[comp];
            let next = cs.insts[inst].queue.pop_front().expect("non-empty");
            cs.queued_total -= 1;
            self.start_service(next, comp, inst, now);
        }
    }

    fn reply(&mut self, id: u32, error: Option<Cause>, now: SimTime) {
        let comp = self.calls.get(id).expect("live").comp as usize;
        let cs = &mut self.comps[comp];
        let lat = self.model.components[comp]
            .serving
            .latency
            .sample(&mut cs.rng_latency);
        let c = self.calls.get_mut(id).expect("live");
        c.phase = Phase::Returning;
        c.error = error;
        let tag = c.tag;
        let lane = self.lanes.latency[comp];
        schedule_via(
            &mut self.queue,
            lane,
            now + lat,
            Ev::Reply { call: id, tag },
        );
    }

    /// The parent of `id`, if it still waits for it.
    fn waiting_parent(&self, id: u32) -> Option<u32> {
        let c = self.calls.get(id)?;
        let p = self.calls.get(c.parent)?;
        (p.tag == c.parent_tag && p.child == id).then_some(c.parent)
    }

    fn on_reply(&mut self, id: u32, now: SimTime) {
        let parent = self.waiting_parent(id);
        let c = self.calls.remove(id).expect("live");
        // An orphan's caller-side timer may still be pending: drop it too.
        if let Some(k) = c.timer {
            self.queue.cancel(k);
        }
        let Some(parent) = parent else { return };
        self.calls.get_mut(parent).expect("live").child = NONE;
        self.child_result(parent, c.error.map_or(Ok(()), Err), c.hit, now);
    }

    fn on_timeout(&mut self, id: u32, now: SimTime) {
        let c = self.calls.get(id).expect("live");
        if c.comp == CLIENT {
            return self.finish_root(id, Some(Cause::Timeout), now);
        }
        let parent = self.waiting_parent(id);
        let c = self.calls.get_mut(id).expect("live");
        c.parent = NONE;
        c.timer = None;
        if c.phase == Phase::Dropped {
            self.calls.remove(id);
        }
        if let Some(p) = parent {
            self.calls.get_mut(p).expect("live").child = NONE;
            self.child_result(p, Err(Cause::Timeout), false, now);
        }
    }

    /// A dependency answered (or failed) the current step of `parent`.
    fn child_result(&mut self, parent: u32, result: Result<(), Cause>, hit: bool, now: SimTime) {
        let p = self.calls.get(parent).expect("live parent");
        let s = self.plan_of(p)[p.step as usize];
        match result {
            Ok(()) => {
                if s.kind == StepKind::Dns {
                    self.dns_valid_until = now + self.model.components[s.dep as usize].serving.ttl;
                }
                let p = self.calls.get_mut(parent).expect("live");
                if s.kind == StepKind::CacheRead && hit {
                    p.cache_hit = true;
                }
                p.step += 1;
                self.advance(parent, now);
            }
            Err(_) if s.soft => {
                self.calls.get_mut(parent).expect("live").step += 1;
                self.advance(parent, now);
            }
            Err(cause) => {
                let cause = if s.kind == StepKind::Dns {
                    Cause::DnsFailure
                } else {
                    cause
                };
                self.complete(parent, Some(cause), now);
            }
        }
    }

    fn finish_root(&mut self, id: u32, error: Option<Cause>, now: SimTime) {
        let c = self.calls.remove(id).expect("live root");
        if let Some(k) = c.timer {
            self.queue.cancel(k);
        }
        if let Some(child) = self.calls.get_mut(c.child) {
            child.parent = NONE;
        }
        self.open_roots -= 1;
        if c.bin != NONE {
            match error {
                None => self.recorder.success(c.bin, now - c.start),
                Some(cause) => self.recorder.failure(c.bin, cause),
            }
        }
    }

    /// Fails every call an instance holds (queued, serving or waiting on a
    /// dependency) with a server error, as a crash or a forced stop does.
    pub(super) fn fail_instance_calls(&mut self, comp: usize, inst: usize, now: SimTime) {
        self.touch(comp, now);
        let victims: Vec<u32> = self
            .calls
            .iter()
            .filter(|(_, c)| {
                c.comp as usize == comp
                    && c.inst as usize == inst
                    && matches!(c.phase, Phase::Queued | Phase::Serving | Phase::Calling)
            })
            .map(|(id, _)| id)
            .collect();
        let cs = &mut self.comps[comp];
        let x = &mut cs.insts[inst];
        cs.busy_total -= x.busy;
        cs.queued_total -= x.queue.len() as u32;
        x.busy = 0;
        x.queue.clear();
        for id in victims {
            let c = self.calls.get_mut(id).expect("live");
            c.has_worker = false;
            let child = std::mem::replace(&mut c.child, NONE);
            if let Some(ch) = self.calls.get_mut(child) {
                ch.parent = NONE;
            }
            self.reply(id, Some(Cause::ServerError), now);
        }
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
        for (c, g) in self.gauges.iter_mut().enumerate() {
            g.push(self.comps[c].gauge.take(len));
        }
        self.recorder.close_until(now);
    }
}

/// Schedules `ev` at `at` through `lane`, or the heap when there is none.
#[inline]
fn schedule_via(q: &mut EventQueue<Ev>, lane: Option<usize>, at: SimTime, ev: Ev) -> EventKey {
    match lane {
        Some(l) => q.schedule_in_lane(l, at, ev),
        None => q.schedule(at, ev),
    }
}
