//! The call flow of a drill trial: a request arrives, each call travels to
//! an instance, queues for a worker, is served, calls its dependencies in
//! plan order, and replies; timeouts turn slow callees into orphans, and a
//! crash fails every call an instance holds.

use rand::RngExt;

use super::cache::CacheKey;
use super::db::NO_POOL;
use super::edges::TryTicket;
use super::metrics::Cause;
use super::plan::{NO_CHOICE, NO_EDGE, Step, StepKind};
use super::sim::{CLIENT, Call, DrillTrial, Ev, NONE, Phase, schedule_via};
use crate::behaviours::AdaptiveConcurrency;
use crate::engine::SimTime;
use crate::engine::rng::SimRng;
use crate::model::{ComponentKind, LbAlgorithm, Pick};

impl<'m> DrillTrial<'m> {
    pub(super) fn on_arrival(&mut self, now: SimTime) {
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
            tries: 0,
            step_start: now,
            prev_delay: SimTime::ZERO,
            ticket: None,
            hedge: NONE,
            limited: false,
            key: CacheKey::NONE,
            pool: NO_POOL,
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

    pub(super) fn plan_of(&self, c: &Call) -> &'m [Step] {
        let plan = if c.comp == CLIENT {
            self.client
        } else {
            &self.plans[c.comp as usize]
        };
        plan.steps(c.is_read)
    }

    /// Takes the call's next plan step, or completes it when none is left.
    pub(super) fn advance(&mut self, id: u32, now: SimTime) {
        let c = self.calls.get(id).expect("advancing a live call");
        let steps = self.plan_of(c);
        let mut step = c.step as usize;
        while let Some(s) = steps.get(step) {
            let skip = match s.kind {
                StepKind::DbRead | StepKind::CacheFill => c.cache_hit,
                StepKind::Dns => self.resolver_of(s.dep).is_none() && now < self.dns_valid_until,
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
                if s.kind == StepKind::Dns
                    && let Some(r) = self.resolver_of(s.dep)
                {
                    return self.resolve_name(id, r, now);
                }
                self.issue(id, s, now);
            }
            None => self.complete(id, None, now),
        }
    }

    /// Picks the instance a call from `caller` (instance `caller_inst`) to
    /// `s.dep` goes to, or the failure when none can take it. Pods with a
    /// `pod` spec take calls only while in the Service's endpoints (through
    /// kube-proxy, round robin); a load balancer also skips the backends its
    /// health checks see DOWN or its outlier detector has ejected, and picks
    /// by its algorithm. Other callers go round robin over all instances.
    /// A hedge `avoid`s the instance its first try went to, when another
    /// one can take it.
    pub(super) fn route(
        &mut self,
        caller: u16,
        caller_inst: u16,
        s: Step,
        avoid: Option<u16>,
        now: SimTime,
    ) -> Result<u16, Cause> {
        let by_lb = caller != CLIENT
            && self.model.components[caller as usize].kind == ComponentKind::LoadBalancer;
        let none_left = if by_lb {
            Cause::NoBackend
        } else {
            Cause::Refused
        };
        let n = self.comps[s.dep as usize].active;
        if n == 0 {
            return Err(none_left);
        }
        let endpoints_only = self.comps[s.dep as usize].pods.is_some();
        // Database calls go to the primary (writes) or the replicas in turn
        // (reads, so a hedge meets the next replica).
        let db_step = matches!(s.kind, StepKind::DbWrite | StepKind::DbRead);
        if !by_lb && !endpoints_only && (avoid.is_none() || db_step) {
            let comp = &mut self.comps[s.dep as usize];
            let pick = match s.kind {
                StepKind::DbWrite => comp.primary.min(n - 1),
                StepKind::DbRead if n > 1 => {
                    // Replicas are the instances other than the primary (1..n
                    // until a failover); round robin over those up, as a reader
                    // endpoint with health checks does.
                    comp.rr = comp.rr.wrapping_add(1);
                    let primary = comp.primary;
                    let replica = |k: u32| if k >= primary { k + 1 } else { k };
                    let first = comp.rr % (n - 1);
                    (0..n - 1)
                        .map(|j| replica((first + j) % (n - 1)))
                        .find(|&i| comp.insts[i as usize].up)
                        .unwrap_or(replica(first))
                }
                _ => {
                    comp.rr = comp.rr.wrapping_add(1);
                    comp.rr % n
                }
            };
            return Ok(pick as u16);
        }
        let algorithm = if by_lb {
            self.model.components[caller as usize].serving.algorithm
        } else {
            LbAlgorithm::RoundRobin
        };
        // The balancer's detector is taken out while the backend is borrowed.
        let mut balancer = by_lb
            .then(|| self.comps[caller as usize].balancer.take())
            .flatten();
        let detector = balancer
            .as_mut()
            .and_then(|b| b.detector(caller_inst as usize, s.dep, n as usize, now));
        let comp = &mut self.comps[s.dep as usize];
        let health = if by_lb {
            comp.lb_health.as_deref()
        } else {
            None
        };
        let insts = &comp.insts;
        let avoid = avoid.map(u32::from);
        let usable = |i: u32| {
            (!endpoints_only || insts[i as usize].in_endpoints)
                && health.is_none_or(|h| h.get(i as usize).is_none_or(|h| h.is_up()))
                && detector
                    .as_ref()
                    .is_none_or(|d| !d.is_ejected_as_of_last_advance(i as usize))
        };
        let others = avoid.is_some_and(|a| (0..n).any(|i| i != a && usable(i)));
        let eligible = |i: u32| usable(i) && !(others && Some(i) == avoid);
        let pick = match avoid {
            // A round-robin hedge takes the next usable instance after the
            // first try's, leaving the turn of first tries as it was.
            Some(a) if algorithm == LbAlgorithm::RoundRobin => {
                (1..=n).map(|k| (a + k) % n).find(|&i| eligible(i))
            }
            _ => pick_backend(
                algorithm,
                n,
                eligible,
                &mut comp.rr,
                &mut comp.rng_route,
                |i| {
                    let x = &insts[i as usize];
                    x.busy as usize + x.queue.len()
                },
            ),
        };
        if by_lb {
            self.comps[caller as usize].balancer = balancer;
        }
        pick.map(|i| i as u16).ok_or(none_left)
    }

    /// For a failover choice, the step to the member `caller` picks now:
    /// by its `pick` among the members its health checks see with an
    /// instance UP (all of them when it has no health checks); the first
    /// member when none is.
    fn choose(&mut self, caller: u16, s: Step) -> Step {
        if s.choice == NO_CHOICE || caller == CLIENT {
            return s;
        }
        let plans = self.plans;
        let choice = &plans[caller as usize].choices[s.choice as usize];
        let checks = self.model.components[caller as usize]
            .serving
            .health_check
            .is_some();
        let comps = &self.comps;
        let healthy = |m: u16| {
            let comp = &comps[m as usize];
            !checks
                || comp.lb_health.as_ref().is_none_or(|h| {
                    h[..(comp.active as usize).min(h.len())]
                        .iter()
                        .any(|x| x.is_up())
                })
        };
        let first = choice.members[0];
        let dep = match choice.pick {
            Pick::Primary => choice.members.iter().copied().find(|&m| healthy(m)),
            Pick::Spread => {
                let up: Vec<u16> = choice
                    .members
                    .iter()
                    .copied()
                    .filter(|&m| healthy(m))
                    .collect();
                (!up.is_empty()).then(|| {
                    let turn = &mut self.comps[caller as usize].choice_rr;
                    *turn = turn.wrapping_add(1);
                    up[*turn as usize % up.len()]
                })
            }
        };
        Step {
            dep: dep.unwrap_or(first),
            ..s
        }
    }

    pub(super) fn issue(&mut self, parent: u32, s: Step, now: SimTime) {
        // A miss of a key whose read is in flight waits for it (single-flight).
        if s.kind == StepKind::DbRead && self.join_flight(parent, now) {
            return;
        }
        self.issue_try(parent, s, false, now);
    }

    /// Sends a try of step `s` for `parent`: its first try or a retry, or
    /// (`hedge`) a second try racing the one in flight. A hedge that cannot
    /// start (no other instance, an open breaker) is simply not sent.
    fn issue_try(&mut self, parent: u32, s: Step, hedge: bool, now: SimTime) {
        let caller = self.calls.get(parent).expect("live parent").comp;
        let s = self.choose(caller, s);
        // A try to a database takes a pooled connection first; a first try
        // or retry waits for one, a hedge goes only if one is free.
        let Ok(pool) = self.acquire_connection(parent, s, !hedge, now) else {
            return;
        };
        let p = self.calls.get(parent).expect("live parent");
        let (caller, caller_inst, parent_tag) = (p.comp, p.inst, p.tag);
        let is_read = match s.kind {
            StepKind::DbWrite | StepKind::CacheInvalidate | StepKind::CacheFill => false,
            StepKind::CacheRead | StepKind::DbRead | StepKind::Dns => true,
            StepKind::Call => p.is_read,
        };
        let (tries, step_start, p_child) = (p.tries, p.step_start, p.child);
        let retry = tries > 0 || hedge;
        let ticket = if s.edge == NO_EDGE {
            None
        } else {
            match self.edges[s.edge as usize].start_try(s.edge, now, retry) {
                Ok(t) => {
                    if self.measured(now) {
                        self.edges[s.edge as usize].count_try(retry);
                    }
                    Some(t)
                }
                Err(cause) => {
                    if pool != NO_POOL {
                        self.release_connection(pool, now);
                    }
                    if hedge {
                        return;
                    }
                    return self.child_result(parent, Err(cause), false, now);
                }
            }
        };
        // A hedge goes to another instance than the try it races.
        let avoid = if hedge {
            self.calls.get(p_child).map(|c| c.inst)
        } else {
            None
        };
        let inst = match self.route(caller, caller_inst, s, avoid, now) {
            Ok(i) => i,
            Err(cause) => {
                self.end_try(ticket, false, now);
                if pool != NO_POOL {
                    self.release_connection(pool, now);
                }
                if hedge {
                    return;
                }
                return self.child_result(parent, Err(cause), false, now);
            }
        };
        let key = match s.kind {
            StepKind::CacheRead | StepKind::CacheInvalidate | StepKind::CacheFill => {
                self.cache_key(parent, s)
            }
            _ => CacheKey::NONE,
        };
        // A cluster client sends the key to the shard owning its slot.
        let inst = self.cache_shard(s.dep, key).unwrap_or(inst);
        let cut = if caller == CLIENT {
            None
        } else {
            self.cut_between((caller, caller_inst), (s.dep, inst))
        };
        if cut == Some(true) {
            // A partition that refuses: the connection fails at once.
            self.end_try(ticket, false, now);
            if pool != NO_POOL {
                self.release_connection(pool, now);
            }
            return self.child_result(parent, Err(Cause::Refused), false, now);
        }
        let dropped = cut == Some(false);
        let tag = self.next_tag();
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
            tries: 0,
            step_start: now,
            prev_delay: SimTime::ZERO,
            ticket,
            hedge: NONE,
            limited: false,
            key,
            pool,
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
        let edge_deadline = (s.edge != NO_EDGE)
            .then(|| self.edges[s.edge as usize].try_deadline(step_start, now))
            .flatten();
        let key = match edge_deadline {
            // An edge's own deadline varies with the step's start: the heap.
            Some(at) => self
                .queue
                .schedule(at.max(now), Ev::Timeout { call: id, tag }),
            None => self.queue.schedule_in_lane(
                self.lanes.timeout[s.dep as usize],
                now + comp.timeout,
                Ev::Timeout { call: id, tag },
            ),
        };
        self.calls.get_mut(id).expect("live").timer = Some(key);
        let p = self.calls.get_mut(parent).expect("live");
        if hedge {
            p.hedge = id;
        } else {
            p.child = id;
            if tries == 0
                && s.edge != NO_EDGE
                && let Some(delay) = self.edges[s.edge as usize].policy.hedge
            {
                // The timer names the first try: if it has answered by then,
                // the event finds it gone and no hedge is sent.
                self.queue
                    .schedule(now + delay, Ev::Hedge { call: id, tag });
            }
        }
    }

    /// A hedging delay ended for the first try `first`: if its caller still
    /// waits on it alone, send a second try.
    pub(super) fn on_hedge(&mut self, first: u32, now: SimTime) {
        let Some(parent) = self.waiting_parent(first) else {
            return;
        };
        let p = self.calls.get(parent).expect("live");
        if p.phase != Phase::Calling || p.tries > 0 || p.child != first || p.hedge != NONE {
            return;
        }
        let s = self.plan_of(p)[p.step as usize];
        self.issue_try(parent, s, true, now);
    }

    pub(super) fn on_arrive(&mut self, id: u32, now: SimTime) {
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
            self.lose(comp, Cause::Refused, now);
            return self.reply(id, Some(Cause::Refused), now);
        }
        if let Some(b) = cs.balancer.as_mut()
            && !b.admit(inst, now)
        {
            if measured {
                cs.totals.rejected += 1;
            }
            self.lose(comp, Cause::RateLimited, now);
            return self.reply(id, Some(Cause::RateLimited), now);
        }
        if !cs.limiters.is_empty() {
            // Instances added by a scale-up get a fresh controller.
            if cs.limiters.len() <= inst {
                let cfg = self.model.components[comp].serving.adaptive_concurrency;
                let fresh = AdaptiveConcurrency::new(cfg.expect("limiters come from it"));
                cs.limiters.resize(inst + 1, fresh);
            }
            if !cs.limiters[inst].try_acquire(now) {
                if measured {
                    cs.totals.rejected += 1;
                }
                self.lose(comp, Cause::QueueFull, now);
                return self.reply(id, Some(Cause::QueueFull), now);
            }
            self.calls.get_mut(id).expect("live").limited = true;
        }
        let cs = &mut self.comps[comp];
        let is_read = self.calls.get(id).expect("live").is_read;
        if !is_read && now >= cs.writes_fail_at {
            // A full disk: the database rejects the write.
            self.lose(comp, Cause::WriteRejected, now);
            return self.reply(id, Some(Cause::WriteRejected), now);
        }
        let x = &cs.insts[inst];
        if x.held || x.busy >= cs.workers {
            if x.queue.len() >= cs.queue_cap as usize {
                if measured {
                    cs.totals.rejected += 1;
                }
                self.lose(comp, Cause::QueueFull, now);
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

    pub(super) fn start_service(&mut self, id: u32, comp: usize, inst: usize, now: SimTime) {
        self.touch(comp, now);
        let arrived = self.calls.get(id).expect("live").start;
        let measured = self.measured(arrived);
        let cs = &mut self.comps[comp];
        if measured {
            cs.totals.served += 1;
            cs.waits.record((now - arrived).0);
            cs.gauge.served((now - arrived).0);
            if now > arrived {
                cs.totals.waited += 1;
                cs.totals.wait_ns += (now - arrived).0 as u128;
            }
        }
        let b = cs.insts[inst].busy + 1;
        cs.insts[inst].set_busy(b, now, self.start);
        cs.busy_total += 1;
        cs.refresh_full(inst);
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
        if self.cpu_serve(comp, inst, (id, tag), base * factor, now) {
            return;
        }
        self.queue.schedule(
            now + SimTime::from_secs_f64(base * factor),
            Ev::Served { call: id, tag },
        );
    }

    pub(super) fn on_served(&mut self, id: u32, now: SimTime) {
        let comp = self.calls.get(id).expect("live").comp as usize;
        if self.fails_served(id, comp) {
            self.lose(comp, Cause::ServerError, now);
            return self.complete(id, Some(Cause::ServerError), now);
        }
        match self.model.components[comp].kind {
            ComponentKind::Cache if self.comps[comp].cache.is_some() => {
                if let Some(cause) = self.cache_serve(id, comp, now) {
                    return self.complete(id, Some(cause), now);
                }
            }
            ComponentKind::Cache => {
                let cs = &mut self.comps[comp];
                let hit = cs.rng_route.random::<f64>() < cs.hit_ratio;
                self.calls.get_mut(id).expect("live").hit = hit;
            }
            ComponentKind::Database => {
                let c = self.calls.get(id).expect("live");
                let is_read = c.is_read;
                self.db_served(comp, c.inst as usize, is_read, now);
                if !is_read {
                    self.backup_write(comp, now);
                }
            }
            _ => {}
        }
        self.calls.get_mut(id).expect("live").step_start = now;
        self.advance(id, now);
    }

    /// Whether an `errors` fault on the call's instance fails it now.
    fn fails_served(&mut self, id: u32, comp: usize) -> bool {
        let cs = &mut self.comps[comp];
        let inst = self.calls.get(id).expect("live").inst as usize;
        let share = cs.errors.max(cs.insts.get(inst).map_or(0.0, |x| x.errors));
        share > 0.0 && cs.rng_errors.random::<f64>() < share
    }

    /// The call's work is done (`error` None) or failed: release its worker
    /// and send the reply, or finish the request at the client.
    pub(super) fn complete(&mut self, id: u32, error: Option<Cause>, now: SimTime) {
        if self.calls.get(id).expect("live").comp == CLIENT {
            return self.finish_root(id, error, now);
        }
        self.release_worker(id, now);
        self.reply(id, error, now);
    }

    pub(super) fn release_worker(&mut self, id: u32, now: SimTime) {
        let c = self.calls.get_mut(id).expect("live");
        if !c.has_worker {
            return;
        }
        c.has_worker = false;
        let (comp, inst) = (c.comp as usize, c.inst as usize);
        self.touch(comp, now);
        let cs = &mut self.comps[comp];
        let b = cs.insts[inst].busy - 1;
        cs.insts[inst].set_busy(b, now, self.start);
        cs.busy_total -= 1;
        cs.refresh_full(inst);
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
            // Load shedding: a call that waited past the queue's time limit
            // is answered 503 instead of served (its caller has likely given
            // up, and serving it would only delay the calls behind it).
            if let Some(limit) = self.model.components[comp].serving.queue_timeout
                && now - self.calls.get(next).expect("live").start > limit
            {
                if self.measured(now) {
                    self.comps[comp].totals.rejected += 1;
                }
                self.lose(comp, Cause::QueueFull, now);
                self.reply(next, Some(Cause::QueueFull), now);
                continue;
            }
            self.start_service(next, comp, inst, now);
        }
    }

    pub(super) fn reply(&mut self, id: u32, error: Option<Cause>, now: SimTime) {
        let (comp, inst) = {
            let c = self.calls.get(id).expect("live");
            (c.comp as usize, c.inst as usize)
        };
        self.canary_count(comp, inst, error.is_none());
        let cs = &mut self.comps[comp];
        let lat = self.model.components[comp]
            .serving
            .latency
            .sample(&mut cs.rng_latency);
        let c = self.calls.get_mut(id).expect("live");
        c.phase = Phase::Returning;
        c.error = error;
        if std::mem::take(&mut c.limited) {
            let (inst, latency) = (c.inst as usize, now - c.start);
            if let Some(l) = cs.limiters.get_mut(inst) {
                l.release(now, latency);
            }
        }
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
    pub(super) fn waiting_parent(&self, id: u32) -> Option<u32> {
        let c = self.calls.get(id)?;
        let p = self.calls.get(c.parent)?;
        (p.tag == c.parent_tag && (p.child == id || p.hedge == id)).then_some(c.parent)
    }

    pub(super) fn on_reply(&mut self, id: u32, now: SimTime) {
        let parent = self.waiting_parent(id);
        let c = self.calls.remove(id).expect("live");
        // An orphan's caller-side timer may still be pending: drop it too.
        if let Some(k) = c.timer {
            self.queue.cancel(k);
        }
        self.end_try(c.ticket, c.error.is_none(), now);
        self.observe_backend(
            c.parent,
            c.parent_tag,
            (c.comp, c.inst),
            c.error.is_none(),
            now,
        );
        if c.pool != NO_POOL {
            self.release_connection(c.pool, now);
        }
        let Some(parent) = parent else { return };
        if self.settle_race(parent, id, c.error.is_none()) {
            return;
        }
        self.child_result(parent, c.error.map_or(Ok(()), Err), c.hit, now);
    }

    pub(super) fn on_timeout(&mut self, id: u32, now: SimTime) {
        let c = self.calls.get(id).expect("live");
        if c.comp == CLIENT {
            return self.finish_root(id, Some(Cause::Timeout), now);
        }
        let parent = self.waiting_parent(id);
        let c = self.calls.get(id).expect("live");
        let (p, p_tag, backend) = (c.parent, c.parent_tag, (c.comp, c.inst));
        self.lose(backend.0 as usize, Cause::Timeout, now);
        self.observe_backend(p, p_tag, backend, false, now);
        let c = self.calls.get_mut(id).expect("live");
        c.parent = NONE;
        c.timer = None;
        let ticket = c.ticket.take();
        self.end_try(ticket, false, now);
        let c = self.calls.get(id).expect("live");
        if c.phase == Phase::Dropped
            && let Some(c) = self.calls.remove(id)
            && c.pool != NO_POOL
        {
            self.release_connection(c.pool, now);
        }
        if let Some(p) = parent {
            if self.settle_race(p, id, false) {
                return;
            }
            self.child_result(p, Err(Cause::Timeout), false, now);
        }
    }

    /// Detaches `child`'s answer from `parent`. With a hedge racing, a
    /// success wins (the other try becomes an orphan) and a failure waits
    /// for the other try: returns true when the parent must keep waiting.
    fn settle_race(&mut self, parent: u32, child: u32, ok: bool) -> bool {
        let p = self.calls.get_mut(parent).expect("live");
        let other = if p.child == child { p.hedge } else { p.child };
        p.child = NONE;
        p.hedge = NONE;
        if other == NONE {
            return false;
        }
        if !ok {
            p.child = other;
            return true;
        }
        if let Some(o) = self.calls.get_mut(other) {
            o.parent = NONE;
        }
        false
    }

    /// A dependency answered (or failed) the current step of `parent`.
    pub(super) fn child_result(
        &mut self,
        parent: u32,
        result: Result<(), Cause>,
        hit: bool,
        now: SimTime,
    ) {
        let p = self.calls.get(parent).expect("live parent");
        let s = self.plan_of(p)[p.step as usize];
        if let Err(cause) = result
            && s.edge != NO_EDGE
            && let Some(delay) = self.retry_delay(parent, s.edge, cause, now)
        {
            let tag = self.calls.get(parent).expect("live").tag;
            self.queue
                .schedule(now + delay, Ev::Retry { call: parent, tag });
            return;
        }
        if s.kind == StepKind::DbRead {
            self.land_flight(parent, result, now);
        }
        let p = self.calls.get_mut(parent).expect("live parent");
        p.tries = 0;
        p.prev_delay = SimTime::ZERO;
        p.step_start = now;
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
            // A failed cache fill is logged by the app, not fatal.
            Err(_) if s.soft || s.kind == StepKind::CacheFill => {
                self.calls.get_mut(parent).expect("live").step += 1;
                self.advance(parent, now);
            }
            // A database write has no stale copy or default to stand in
            // for it: acknowledging it would lose the write.
            Err(_)
                if s.edge != NO_EDGE
                    && s.kind != StepKind::DbWrite
                    && self.edges[s.edge as usize].policy.fallback.is_some() =>
            {
                // The caller serves its fallback and goes on, degraded.
                if self.measured(now) {
                    self.edges[s.edge as usize].count_fallback();
                }
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

    pub(super) fn finish_root(&mut self, id: u32, error: Option<Cause>, now: SimTime) {
        let c = self.calls.remove(id).expect("live root");
        if let Some(k) = c.timer {
            self.queue.cancel(k);
        }
        for child in [c.child, c.hedge] {
            if let Some(ch) = self.calls.get_mut(child) {
                ch.parent = NONE;
            }
        }
        self.open_roots -= 1;
        self.count_done(error.is_some());
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
        self.cpu_clear_calls(comp, inst, now);
        let cs = &mut self.comps[comp];
        let x = &mut cs.insts[inst];
        cs.busy_total -= x.busy;
        cs.queued_total -= x.queue.len() as u32;
        x.set_busy(0, now, self.start);
        x.queue.clear();
        cs.refresh_full(inst);
        for id in victims {
            let c = self.calls.get_mut(id).expect("live");
            c.has_worker = false;
            let children = [
                std::mem::replace(&mut c.child, NONE),
                std::mem::replace(&mut c.hedge, NONE),
            ];
            for child in children {
                if let Some(ch) = self.calls.get_mut(child) {
                    ch.parent = NONE;
                }
            }
            self.lose(comp, Cause::ServerError, now);
            self.reply(id, Some(Cause::ServerError), now);
        }
    }

    /// Counts a call that component `comp` lost itself, by cause, when
    /// `now` is in the measured window.
    #[inline]
    pub(super) fn lose(&mut self, comp: usize, cause: Cause, now: SimTime) {
        if self.measured(now) {
            let cs = &mut self.comps[comp];
            cs.totals.lost[cause as usize] += 1;
            cs.gauge.lost();
        }
    }

    /// Tells the outlier detector of the balancer that sent a call (its
    /// caller `parent`, if still the same call) how backend `(comp, inst)`
    /// answered.
    fn observe_backend(
        &mut self,
        parent: u32,
        parent_tag: u32,
        (comp, inst): (u16, u16),
        ok: bool,
        now: SimTime,
    ) {
        let Some(p) = self.calls.get(parent) else {
            return;
        };
        let (lb, lb_inst) = (p.comp, p.inst);
        if p.tag != parent_tag || lb == CLIENT {
            return;
        }
        let backends = self.comps[comp as usize].active as usize;
        if let Some(b) = self.comps[lb as usize].balancer.as_mut() {
            b.observe(lb_inst as usize, comp, inst as usize, backends, ok, now);
        }
    }

    /// Ends a try on its edge (a no-op for calls on edges without a policy).
    fn end_try(&mut self, ticket: Option<TryTicket>, ok: bool, now: SimTime) {
        if let Some(t) = ticket {
            self.edges[t.edge as usize].end_try(now, t, ok);
        }
    }

    /// The backoff before retrying `parent`'s current step after `cause`, if
    /// its edge's policy, budget and deadline allow another try.
    fn retry_delay(
        &mut self,
        parent: u32,
        edge: u16,
        cause: Cause,
        now: SimTime,
    ) -> Option<SimTime> {
        let p = self.calls.get(parent).expect("live parent");
        let (tries, prev, step_start) = (p.tries, p.prev_delay, p.step_start);
        let e = &mut self.edges[edge as usize];
        let r = e.policy.retry.as_ref()?;
        if !r.should_retry(cause, tries as u32) || !e.budget_allows_retry() {
            return None;
        }
        let delay = r.delay(tries as u32, prev, &mut e.rng);
        if now + delay >= r.call_deadline(step_start) {
            return None;
        }
        let p = self.calls.get_mut(parent).expect("live parent");
        p.tries = p.tries.saturating_add(1);
        p.prev_delay = delay;
        Some(delay)
    }

    /// A backoff ended: try the step again if the caller still waits for it.
    pub(super) fn on_retry(&mut self, id: u32, now: SimTime) {
        let c = self.calls.get(id).expect("live");
        if c.phase != Phase::Calling || c.child != NONE {
            return;
        }
        let s = self.plan_of(c)[c.step as usize];
        self.issue(id, s, now);
    }
}

/// A load balancer's choice among the `n` backends for which `eligible`
/// holds, by `algorithm`; `load` is a backend's requests in flight. `None`
/// when no backend is eligible.
fn pick_backend(
    algorithm: LbAlgorithm,
    n: u32,
    eligible: impl Fn(u32) -> bool,
    rr: &mut u32,
    rng: &mut SimRng,
    load: impl Fn(u32) -> usize,
) -> Option<u32> {
    let count = (0..n).filter(|&i| eligible(i)).count() as u32;
    if count == 0 {
        return None;
    }
    // The k-th eligible backend (the identity when all are eligible).
    let nth = |k: u32| {
        if count == n {
            k
        } else {
            (0..n)
                .filter(|&i| eligible(i))
                .nth(k as usize)
                .expect("k < count")
        }
    };
    Some(match algorithm {
        LbAlgorithm::RoundRobin => loop {
            *rr = rr.wrapping_add(1);
            if eligible(*rr % n) {
                break *rr % n;
            }
        },
        // Ties go round in turn (HAProxy's leastconn, Envoy's least request
        // with equal weights), not always to the lowest index.
        LbAlgorithm::LeastRequest => {
            *rr = rr.wrapping_add(1);
            let first = *rr % n;
            (0..n)
                .map(|k| (first + k) % n)
                .filter(|&i| eligible(i))
                .min_by_key(|&i| load(i))
                .expect("count > 0")
        }
        LbAlgorithm::PowerOfTwo => {
            let a = nth(rng.random_range(0..count));
            let b = nth(rng.random_range(0..count));
            if load(b) < load(a) { b } else { a }
        }
    })
}
