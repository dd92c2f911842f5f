//! The model compiled for regenerative excursions: from the first failure
//! out of all-up until everything is up again, simulated under the model's
//! own law or with balanced failure biasing, tracking the likelihood ratio.
//!
//! Semantics are the state trial's ([`crate::availability::trial`]): FIFO
//! crews, common-cause groups, database failover, the structure function.
//! Failures are exponential (memoryless), so the next failure is drawn from
//! the total rate of the entities up at each step; repairs and failovers may
//! follow any distribution and are never biased.

use std::collections::VecDeque;

use rand::RngExt;

use super::NotApplicable;
use crate::engine::rng::SimRng;
use crate::model::{Dist, Model, RepairPolicy};
use crate::topology::Topology;

/// An entity that fails: an instance or a group.
struct Entity {
    /// Failure rate \[1/s\].
    fail_rate: f64,
    repair: Dist,
    /// The rate that scales the biased failure rate while its repair runs
    /// \[1/s\] (1/mean, or the tail's decay rate when slower).
    bias_rate: f64,
    crew: Option<usize>,
    /// Its place in a priority crew's order (lower first).
    rank: (u32, u32),
}

/// A required database with failover.
struct Database {
    component: usize,
    failover: Dist,
}

/// Something scheduled that is not a failure.
#[derive(Clone, Copy)]
enum Pending {
    Repair(usize),
    Failover(usize),
}

/// What one excursion from all-up gave.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Excursion {
    /// Service downtime during it \[s\].
    pub downtime: f64,
    /// Its length, from the first failure to all-up again \[s\].
    pub length: f64,
    /// The likelihood ratio of its path (1 without biasing).
    pub weight: f64,
    /// Failures, repairs and failovers simulated.
    pub events: u64,
}

/// What an excursion followed until its first outage gave
/// ([`System::passage`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Passage {
    /// When the service first went down, from the excursion's first
    /// failure \[s\]; `None` if it did not before everything was up again
    /// or the limit.
    pub outage_at: Option<f64>,
    /// How long it was followed \[s\]: to the outage, to all-up, or to the limit.
    pub length: f64,
    /// The likelihood ratio of the path followed (1 without biasing).
    pub weight: f64,
    /// Failures, repairs and failovers simulated.
    pub events: u64,
}

/// An excursion as walked, before it is reported as either kind.
struct Walk {
    downtime: f64,
    length: f64,
    weight: f64,
    events: u64,
    outage_at: Option<f64>,
}

/// The model compiled for excursions.
pub struct System<'m> {
    model: &'m Model,
    topo: Topology,
    required: Vec<bool>,
    entities: Vec<Entity>,
    /// Per flat instance: its entity, if it fails.
    inst_entity: Vec<Option<usize>>,
    /// Per flat instance: entities of the failing groups it sits in.
    inst_groups: Vec<Vec<usize>>,
    first_instance: Vec<usize>,
    databases: Vec<Database>,
    /// Sum of all failure rates: the rate of leaving all-up \[1/s\].
    total_fail_rate: f64,
}

/// The rate at which a repair distribution's tail decays, capped at 1/mean
/// \[1/s\]; `None` for a heavy tail (lognormal, Weibull with shape below 1),
/// whose moment generating function diverges.
fn bias_rate(d: &Dist) -> Option<f64> {
    let mean = d.mean_secs();
    if mean <= 0.0 {
        return Some(f64::INFINITY);
    }
    match d {
        Dist::LogNormal { .. } => None,
        Dist::Weibull { shape, .. } if *shape < 1.0 => None,
        Dist::Gamma { shape, .. } if *shape < 1.0 => Some(shape / mean),
        _ => Some(1.0 / mean),
    }
}

impl<'m> System<'m> {
    /// Compiles `model`, or says which component or group rules the method out.
    pub fn new(model: &'m Model) -> Result<System<'m>, NotApplicable> {
        let topo = Topology::new(model);
        let required = topo.required();
        // The entities that matter, as in the exact chain: required
        // instances, their groups, and whatever shares a crew with them.
        let crate::topology::relevant::Relevant {
            flat,
            first_instance,
            instance: inst_rel,
            group: group_rel,
        } = crate::topology::relevant::Relevant::of(model, &required);
        let chain_of = |c: usize, i: usize| crate::topology::relevant::group_chain(model, c, i);
        let mut entities = Vec::new();
        let mut inst_entity = vec![None; flat.len()];
        for (f, &(c, _)) in flat.iter().enumerate() {
            let comp = &model.components[c];
            if let (true, Some(rel)) = (inst_rel[f], &comp.reliability) {
                let what = format!("component '{}'", comp.id);
                inst_entity[f] = Some(entities.len());
                let rank = (rank_of(model, comp.crew, Some(c), None), f as u32);
                entities.push(entity(&what, rel, comp.crew, rank)?);
            }
        }
        let mut group_entity = vec![None; model.groups.len()];
        for (g, group) in model.groups.iter().enumerate() {
            if let (true, Some(rel)) = (group_rel[g], &group.reliability) {
                let what = format!("group '{}'", group.id);
                group_entity[g] = Some(entities.len());
                let rank = (rank_of(model, group.crew, None, Some(g)), g as u32);
                entities.push(entity(&what, rel, group.crew, rank)?);
            }
        }
        let inst_groups = flat
            .iter()
            .map(|&(c, i)| {
                chain_of(c, i)
                    .into_iter()
                    .filter_map(|g| group_entity[g])
                    .collect()
            })
            .collect();
        // Bad changes that crash a required component are downtime in the
        // state trial that no entity here carries.
        if let Some(ch) = model
            .changes
            .iter()
            .find(|ch| required[ch.target] && ch.effect == crate::scenario::Fault::Crash)
        {
            return Err(NotApplicable {
                what: format!(
                    "the [changes] of component '{}'",
                    model.components[ch.target].id
                ),
                reason: "its bad changes crash it, downtime the importance sampler's \
                         excursions do not model"
                    .into(),
            });
        }
        if let Some(c) = (model.components.iter()).find(|c| {
            (c.serving.db.as_ref())
                .is_some_and(|d| d.backup.is_some_and(|b| b.data_loss_every.is_some()))
        }) {
            return Err(NotApplicable {
                what: format!("database '{}'", c.id),
                reason: "it loses its data at random (backup.data_loss_every) and its restore \
                         replays the WAL since the last base backup, which depends on the time \
                         since the trial began: there are no regeneration points"
                    .into(),
            });
        }
        let mut databases = Vec::new();
        for (c, comp) in model.components.iter().enumerate() {
            let (true, Some(f)) = (required[c], &comp.failover) else {
                continue;
            };
            if !comp.placement.is_empty() {
                return Err(NotApplicable {
                    what: format!("database '{}'", comp.id),
                    reason: "its instances sit on placement groups, so which one is primary \
                             when all are up matters and all-up is not a regeneration point"
                        .into(),
                });
            }
            databases.push(Database {
                component: c,
                failover: f.time.clone(),
            });
        }
        let total_fail_rate = entities.iter().map(|e| e.fail_rate).sum();
        Ok(System {
            model,
            topo,
            required,
            entities,
            inst_entity,
            inst_groups,
            first_instance,
            databases,
            total_fail_rate,
        })
    }

    /// The rate of leaving all-up \[1/s\]; its inverse is the mean all-up sojourn.
    pub fn total_fail_rate(&self) -> f64 {
        self.total_fail_rate
    }

    /// Entities that fail, in the excursions.
    pub fn entity_count(&self) -> usize {
        self.entities.len()
    }

    /// One excursion from all-up. With `bias = Some(beta)`, balanced failure
    /// biasing: the first failure is picked uniformly among the entities;
    /// afterwards, while repairs run and the service has not gone down, each
    /// up entity fails at `max(own rate, beta * R / m)`, `R` the sum of the
    /// bias rates of the repairs in progress and `m` the entities up. Once
    /// the service is down the rest of the excursion follows the model's law.
    pub fn excursion(&self, rng: &mut SimRng, bias: Option<f64>) -> Excursion {
        let w = self.walk(rng, bias, None);
        Excursion {
            downtime: w.downtime,
            length: w.length,
            weight: w.weight,
            events: w.events,
        }
    }

    /// An excursion from all-up (biased as [`System::excursion`] with
    /// `bias`) followed only until the service first goes down, everything
    /// is up again, or `limit` seconds have passed since its first failure,
    /// whichever comes first.
    pub fn passage(&self, rng: &mut SimRng, bias: Option<f64>, limit: f64) -> Passage {
        let w = self.walk(rng, bias, Some(limit));
        Passage {
            outage_at: w.outage_at,
            length: w.length,
            weight: w.weight,
            events: w.events,
        }
    }

    /// The excursion; with `stop = Some(limit)` it ends at the first outage
    /// or at `limit`.
    fn walk(&self, rng: &mut SimRng, bias: Option<f64>, stop: Option<f64>) -> Walk {
        let mut st = State::new(self);
        let n = self.entities.len();
        let mut log_w = 0.0;
        let first = if bias.is_some() {
            let e = rng.random_range(0..n);
            log_w += (self.entities[e].fail_rate / self.total_fail_rate * n as f64).ln();
            e
        } else {
            self.pick(rng, self.total_fail_rate, |e| self.entities[e].fail_rate)
        };
        let mut now = 0.0;
        let mut events = 1;
        self.fail(&mut st, first, now, rng);
        self.update_databases(&mut st, now, rng);
        let mut down = !self.service_up(&st);
        let mut was_down = down;
        let mut downtime = 0.0;
        let mut rates = vec![0.0; n];
        let mut outage_at = None;
        let limit = stop.unwrap_or(f64::INFINITY);
        while !st.all_up() {
            if stop.is_some() && down {
                outage_at = Some(now);
                break;
            }
            let biased = bias.filter(|_| !was_down);
            let (own, total) = self.failure_rates(&st, biased, &mut rates);
            let (next_at, slot) = st.next_pending();
            let to_fail = if total > 0.0 {
                -(1.0 - rng.random::<f64>()).ln() / total
            } else {
                f64::INFINITY
            };
            let fails = to_fail < next_at - now;
            let step = to_fail.min(next_at - now);
            if !step.is_finite() {
                break; // nothing can happen: not expected, but never loop
            }
            if now + step > limit {
                now = limit;
                break;
            }
            if down {
                downtime += step;
            }
            log_w -= (own - total) * step;
            now += step;
            events += 1;
            if fails {
                let e = self.pick(rng, total, |e| rates[e]);
                if biased.is_some() {
                    log_w += (self.entities[e].fail_rate / rates[e]).ln();
                }
                self.fail(&mut st, e, now, rng);
            } else {
                let (_, p) = st.pending.swap_remove(slot);
                match p {
                    Pending::Repair(e) => self.repaired(&mut st, e, now, rng),
                    Pending::Failover(d) => {
                        st.failing_over[d] = false;
                        st.primary[d] = self.first_up(&st, self.databases[d].component);
                    }
                }
            }
            self.update_databases(&mut st, now, rng);
            down = !self.service_up(&st);
            was_down |= down;
        }
        Walk {
            downtime,
            length: now,
            weight: log_w.exp(),
            events,
            outage_at,
        }
    }

    /// Each up entity's failure rate, biased or not, into `rates`; returns
    /// (the model's total rate, the total rate used).
    fn failure_rates(&self, st: &State, bias: Option<f64>, rates: &mut [f64]) -> (f64, f64) {
        let floor = bias.map_or(0.0, |beta| {
            let repairing: f64 = st
                .pending
                .iter()
                .filter_map(|&(_, p)| match p {
                    Pending::Repair(e) => Some(self.entities[e].bias_rate),
                    Pending::Failover(_) => None,
                })
                .sum();
            let up = st.up.iter().filter(|&&u| u).count().max(1);
            beta * repairing / up as f64
        });
        let (mut own, mut total) = (0.0, 0.0);
        for (e, ent) in self.entities.iter().enumerate() {
            rates[e] = if st.up[e] {
                own += ent.fail_rate;
                ent.fail_rate.max(floor)
            } else {
                0.0
            };
            total += rates[e];
        }
        (own, total)
    }

    /// An index drawn with probability `weight(i) / total`.
    fn pick(&self, rng: &mut SimRng, total: f64, weight: impl Fn(usize) -> f64) -> usize {
        let mut u = rng.random::<f64>() * total;
        let n = self.entities.len();
        for e in 0..n {
            let w = weight(e);
            if u < w {
                return e;
            }
            u -= w;
        }
        // Rounding: the last entity with any weight.
        (0..n).rev().find(|&e| weight(e) > 0.0).unwrap_or(0)
    }

    fn fail(&self, st: &mut State, e: usize, now: f64, rng: &mut SimRng) {
        st.up[e] = false;
        st.down += 1;
        match self.entities[e].crew {
            Some(k) => {
                let crew = &mut st.crews[k];
                crew.down += 1;
                crew.waiting.push_back(e);
                if crew.down >= self.model.crews[k].call_out {
                    crew.on_site = true;
                }
                self.dispatch(st, k, now, rng);
            }
            None => self.start_repair(st, e, now, rng),
        }
    }

    fn start_repair(&self, st: &mut State, e: usize, now: f64, rng: &mut SimRng) {
        let t = self.entities[e].repair.sample_secs(rng);
        st.pending.push((now + t, Pending::Repair(e)));
    }

    fn repaired(&self, st: &mut State, e: usize, now: f64, rng: &mut SimRng) {
        st.up[e] = true;
        st.down -= 1;
        if let Some(k) = self.entities[e].crew {
            let crew = &mut st.crews[k];
            crew.down -= 1;
            crew.busy -= 1;
            if crew.busy == 0 && crew.waiting.is_empty() {
                crew.on_site = false;
            }
            self.dispatch(st, k, now, rng);
        }
    }

    /// The trial's crew rule: on site, take waiting repairs (FIFO, by
    /// priority rank, or at random) while a member is free.
    fn dispatch(&self, st: &mut State, k: usize, now: f64, rng: &mut SimRng) {
        let size = self.model.crews[k].size;
        loop {
            let crew = &mut st.crews[k];
            if !crew.on_site || crew.busy >= size || crew.waiting.is_empty() {
                return;
            }
            let pick = match &self.model.crews[k].policy {
                RepairPolicy::Fifo => 0,
                RepairPolicy::Random => rng.random_range(0..crew.waiting.len()),
                RepairPolicy::Priority { .. } => (0..crew.waiting.len())
                    .min_by_key(|&i| self.entities[crew.waiting[i]].rank)
                    .expect("non-empty"),
            };
            let e = crew.waiting.remove(pick).expect("in range");
            crew.busy += 1;
            self.start_repair(st, e, now, rng);
        }
    }

    fn effectively_up(&self, st: &State, flat: usize) -> bool {
        self.inst_entity[flat].is_none_or(|e| st.up[e])
            && self.inst_groups[flat].iter().all(|&g| st.up[g])
    }

    fn first_up(&self, st: &State, c: usize) -> Option<u32> {
        (self.first_instance[c]..self.first_instance[c + 1])
            .find(|&f| self.effectively_up(st, f))
            .map(|f| (f - self.first_instance[c]) as u32)
    }

    /// The trial's database rule after every event: a primary no longer up
    /// is dropped and a failover starts if another instance is up; with no
    /// primary and no failover running, the first instance up takes over.
    fn update_databases(&self, st: &mut State, now: f64, rng: &mut SimRng) {
        for (d, db) in self.databases.iter().enumerate() {
            let c = db.component;
            if let Some(p) = st.primary[d] {
                if !self.effectively_up(st, self.first_instance[c] + p as usize) {
                    st.primary[d] = None;
                    if self.first_up(st, c).is_some() {
                        st.failing_over[d] = true;
                        let t = db.failover.sample_secs(rng);
                        st.pending.push((now + t, Pending::Failover(d)));
                    }
                }
            } else if !st.failing_over[d] {
                st.primary[d] = self.first_up(st, c);
            }
        }
    }

    fn service_up(&self, st: &State) -> bool {
        let mut own = vec![true; self.model.components.len()];
        for (c, comp) in self.model.components.iter().enumerate() {
            if !self.required[c] {
                continue;
            }
            own[c] = if comp.failover.is_some() {
                let d = self.databases.iter().position(|d| d.component == c);
                d.is_some_and(|d| st.primary[d].is_some())
            } else {
                let up = (self.first_instance[c]..self.first_instance[c + 1])
                    .filter(|&f| self.effectively_up(st, f))
                    .count();
                up >= comp.min_up as usize
            };
        }
        let mut functional = vec![false; own.len()];
        self.topo.evaluate(&own, &mut functional);
        self.topo.service_up(&functional)
    }
}

/// The rank of a component or group in its crew's priority order (0 without one).
fn rank_of(model: &Model, crew: Option<usize>, c: Option<usize>, g: Option<usize>) -> u32 {
    match crew.map(|k| &model.crews[k].policy) {
        Some(RepairPolicy::Priority { components, groups }) => c
            .map(|c| components[c])
            .or(g.map(|g| groups[g]))
            .unwrap_or(0),
        _ => 0,
    }
}

fn entity(
    what: &str,
    rel: &crate::model::Reliability,
    crew: Option<usize>,
    rank: (u32, u32),
) -> Result<Entity, NotApplicable> {
    if !rel.failure.is_exponential() {
        return Err(NotApplicable {
            what: what.to_string(),
            reason: format!(
                "its failure time is {}; failure biasing here needs exponential failure times",
                rel.failure.describe()
            ),
        });
    }
    let Some(bias_rate) = bias_rate(&rel.repair) else {
        return Err(NotApplicable {
            what: what.to_string(),
            reason: format!(
                "its repair time is {}, heavy-tailed: the likelihood ratio grows like exp(rate x repair time), \
                 whose mean diverges for a tail heavier than exponential, so its variance is infinite",
                rel.repair.describe()
            ),
        });
    };
    Ok(Entity {
        fail_rate: 1.0 / rel.failure.mean_secs(),
        repair: rel.repair.clone(),
        bias_rate,
        crew,
        rank,
    })
}

/// A crew during an excursion.
#[derive(Default)]
struct Crew {
    /// Its entities down.
    down: u32,
    /// Members at work.
    busy: u32,
    /// Failed entities waiting, in arrival order.
    waiting: VecDeque<usize>,
    /// Called out (see the model's `call_out`), until nothing is left.
    on_site: bool,
}

/// The state during an excursion.
struct State {
    up: Vec<bool>,
    /// Entities down.
    down: usize,
    crews: Vec<Crew>,
    primary: Vec<Option<u32>>,
    failing_over: Vec<bool>,
    /// Repairs and failovers running, with their end times \[s\].
    pending: Vec<(f64, Pending)>,
}

impl State {
    fn new(sys: &System) -> State {
        State {
            up: vec![true; sys.entities.len()],
            down: 0,
            crews: (0..sys.model.crews.len())
                .map(|_| Crew::default())
                .collect(),
            primary: vec![Some(0); sys.databases.len()],
            failing_over: vec![false; sys.databases.len()],
            pending: Vec::new(),
        }
    }

    fn all_up(&self) -> bool {
        self.down == 0 && !self.failing_over.iter().any(|&f| f)
    }

    /// The earliest pending event's time and slot (ties: the first scheduled).
    fn next_pending(&self) -> (f64, usize) {
        let mut best = (f64::INFINITY, 0);
        for (i, &(t, _)) in self.pending.iter().enumerate() {
            if t < best.0 {
                best = (t, i);
            }
        }
        best
    }
}
