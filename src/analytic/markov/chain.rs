//! The chain's states and transitions, mirroring the trial's event handling,
//! and the breadth-first search over reachable states.

use std::collections::HashMap;

use super::NotMarkov;
use crate::model::{Dist, Model, Reliability, RepairPolicy};
use crate::topology::Topology;

/// An entity that fails: an instance or a group.
struct Entity {
    fail_rate: f64,
    repair_rate: f64,
    crew: Option<usize>,
    /// Its place in a priority crew's order (lower first).
    rank: (u32, u32),
}

/// A required database.
struct Database {
    component: usize,
    failover: Dist,
}

/// Off-diagonal transition rates out of each state: (target state, rate [1/s]).
pub(super) type Rates = Vec<Vec<(usize, f64)>>;

/// One state of the chain (see the module docs of [`super`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct State {
    up: Vec<bool>,
    /// Per crew, the entities waiting: in arrival order for FIFO, sorted
    /// by index otherwise (the order does not matter then).
    queues: Vec<Vec<u16>>,
    /// Per crew, whether it has been called out.
    on_site: Vec<bool>,
    primary: Vec<Option<u32>>,
    failing_over: Vec<bool>,
}

/// The model compiled into entities, crews and databases.
pub(super) struct Chain<'m> {
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
}

fn rates(rel: &Reliability, what: &str) -> Result<(f64, f64), NotMarkov> {
    for (dist, part) in [(&rel.failure, "failure"), (&rel.repair, "repair")] {
        if !dist.is_exponential() {
            return Err(NotMarkov::NotExponential {
                what: format!("{part} time of {what}"),
                dist: dist.describe(),
            });
        }
    }
    Ok((1.0 / rel.failure.mean_secs(), 1.0 / rel.repair.mean_secs()))
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

impl<'m> Chain<'m> {
    pub(super) fn new(model: &'m Model) -> Result<Chain<'m>, NotMarkov> {
        let topo = Topology::new(model);
        let required = topo.required();
        let crate::topology::relevant::Relevant {
            flat,
            first_instance,
            instance: inst_rel,
            group: group_rel,
        } = crate::topology::relevant::Relevant::of(model, &required);
        let chain_of = |c: usize, i: usize| crate::topology::relevant::group_chain(model, c, i);

        let mut entities = Vec::new();
        let mut inst_entity = vec![None; flat.len()];
        for (f, &(c, i)) in flat.iter().enumerate() {
            let comp = &model.components[c];
            if let (true, Some(rel)) = (inst_rel[f], &comp.reliability) {
                let (fail_rate, repair_rate) =
                    rates(rel, &format!("component '{}' (instance {i})", comp.id))?;
                inst_entity[f] = Some(entities.len());
                entities.push(Entity {
                    fail_rate,
                    repair_rate,
                    crew: comp.crew,
                    rank: (rank_of(model, comp.crew, Some(c), None), i as u32),
                });
            }
        }
        let mut group_entity = vec![None; model.groups.len()];
        for (g, group) in model.groups.iter().enumerate() {
            if let (true, Some(rel)) = (group_rel[g], &group.reliability) {
                let (fail_rate, repair_rate) = rates(rel, &format!("group '{}'", group.id))?;
                group_entity[g] = Some(entities.len());
                entities.push(Entity {
                    fail_rate,
                    repair_rate,
                    crew: group.crew,
                    rank: (rank_of(model, group.crew, None, Some(g)), g as u32),
                });
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
        let databases = model
            .components
            .iter()
            .enumerate()
            .filter(|(c, _)| required[*c])
            .filter_map(|(c, comp)| {
                comp.failover.as_ref().map(|f| Database {
                    component: c,
                    failover: f.time.clone(),
                })
            })
            .collect();
        Ok(Chain {
            model,
            topo,
            required,
            entities,
            inst_entity,
            inst_groups,
            first_instance,
            databases,
        })
    }

    /// Entities that fail (instances and groups) in the chain.
    pub(super) fn entity_count(&self) -> usize {
        self.entities.len()
    }

    /// Components the service requires.
    pub(super) fn required(&self) -> &[bool] {
        &self.required
    }

    /// Whether the service is up in `s`; fills `own` (own instances suffice)
    /// and `functional` (own and hard dependencies) per component.
    pub(super) fn service_up(&self, s: &State, own: &mut [bool], functional: &mut [bool]) -> bool {
        self.own_ok(s, own);
        self.topo.evaluate(own, functional);
        self.topo.service_up(functional)
    }

    fn initial(&self) -> State {
        State {
            up: vec![true; self.entities.len()],
            queues: vec![Vec::new(); self.model.crews.len()],
            on_site: vec![false; self.model.crews.len()],
            primary: vec![Some(0); self.databases.len()],
            failing_over: vec![false; self.databases.len()],
        }
    }

    fn effectively_up(&self, s: &State, flat: usize) -> bool {
        self.inst_entity[flat].is_none_or(|e| s.up[e])
            && self.inst_groups[flat].iter().all(|&g| s.up[g])
    }

    fn first_up(&self, s: &State, c: usize) -> Option<u32> {
        (self.first_instance[c]..self.first_instance[c + 1])
            .find(|&f| self.effectively_up(s, f))
            .map(|f| (f - self.first_instance[c]) as u32)
    }

    /// Whether each component's own instances suffice (true where not modelled).
    fn own_ok(&self, s: &State, own: &mut [bool]) {
        for (c, comp) in self.model.components.iter().enumerate() {
            own[c] = if !self.required[c] {
                true
            } else if comp.failover.is_some() {
                let d = self.databases.iter().position(|d| d.component == c);
                d.is_some_and(|d| s.primary[d].is_some())
            } else {
                let up = (self.first_instance[c]..self.first_instance[c + 1])
                    .filter(|&f| self.effectively_up(s, f))
                    .count();
                up >= comp.min_up as usize
            };
        }
    }

    fn under_repair(&self, s: &State, e: usize) -> bool {
        !s.up[e]
            && self.entities[e]
                .crew
                .is_none_or(|k| !s.queues[k].contains(&(e as u16)))
    }

    /// Entity `e` fails; its crew may start on a waiting repair. Each
    /// outcome with its probability (several only for a random crew).
    fn fail(&self, s: &State, e: usize, out: &mut Vec<(State, f64)>) {
        let mut t = s.clone();
        t.up[e] = false;
        let Some(k) = self.entities[e].crew else {
            out.push((t, 1.0));
            return;
        };
        let crew = &self.model.crews[k];
        let queue = &mut t.queues[k];
        queue.push(e as u16);
        if crew.policy != RepairPolicy::Fifo {
            queue.sort_unstable();
        }
        if self.crew_down(&t, k) >= crew.call_out as usize {
            t.on_site[k] = true;
        }
        self.dispatch(t, k, 1.0, out);
    }

    /// Entity `e` is repaired; its crew takes the next waiting repair.
    fn repaired(&self, s: &State, e: usize, out: &mut Vec<(State, f64)>) {
        let mut t = s.clone();
        t.up[e] = true;
        let Some(k) = self.entities[e].crew else {
            out.push((t, 1.0));
            return;
        };
        if self.crew_down(&t, k) == 0 {
            t.on_site[k] = false;
        }
        self.dispatch(t, k, 1.0, out);
    }

    /// Entities of crew `k` that are down.
    fn crew_down(&self, s: &State, k: usize) -> usize {
        (0..self.entities.len())
            .filter(|&x| self.entities[x].crew == Some(k) && !s.up[x])
            .count()
    }

    /// An on-site crew with a free member takes waiting repairs by its
    /// policy; a random pick branches with equal probabilities.
    fn dispatch(&self, s: State, k: usize, p: f64, out: &mut Vec<(State, f64)>) {
        let crew = &self.model.crews[k];
        let busy = self.crew_down(&s, k) - s.queues[k].len();
        if !s.on_site[k] || busy >= crew.size as usize || s.queues[k].is_empty() {
            out.push((s, p));
            return;
        }
        let q = &s.queues[k];
        let picks: Vec<usize> = match crew.policy {
            RepairPolicy::Fifo => vec![0],
            RepairPolicy::Random => (0..q.len()).collect(),
            RepairPolicy::Priority { .. } => {
                let best = (0..q.len())
                    .min_by_key(|&i| self.entities[q[i] as usize].rank)
                    .expect("non-empty");
                vec![best]
            }
        };
        let share = p / picks.len() as f64;
        for i in picks {
            let mut t = s.clone();
            t.queues[k].remove(i);
            self.dispatch(t, k, share, out);
        }
    }

    /// The trial's `update_databases`, after every transition.
    fn update_databases(&self, s: &mut State) {
        for (d, db) in self.databases.iter().enumerate() {
            let c = db.component;
            if let Some(p) = s.primary[d] {
                if !self.effectively_up(s, self.first_instance[c] + p as usize) {
                    s.primary[d] = None;
                    if self.first_up(s, c).is_some() {
                        s.failing_over[d] = true;
                    }
                }
            } else if !s.failing_over[d] {
                s.primary[d] = self.first_up(s, c);
            }
        }
    }

    /// Every transition out of `s` as (next state, rate).
    fn transitions(&self, s: &State, out: &mut Vec<(State, f64)>) -> Result<(), NotMarkov> {
        out.clear();
        let mut outcomes = Vec::new();
        for (e, ent) in self.entities.iter().enumerate() {
            outcomes.clear();
            let rate = if s.up[e] {
                self.fail(s, e, &mut outcomes);
                ent.fail_rate
            } else if self.under_repair(s, e) {
                self.repaired(s, e, &mut outcomes);
                ent.repair_rate
            } else {
                continue;
            };
            for (mut t, p) in outcomes.drain(..) {
                self.update_databases(&mut t);
                out.push((t, rate * p));
            }
        }
        for (d, db) in self.databases.iter().enumerate() {
            if !s.failing_over[d] {
                continue;
            }
            if !db.failover.is_exponential() {
                return Err(NotMarkov::NotExponential {
                    what: format!(
                        "failover time of database '{}'",
                        self.model.components[db.component].id
                    ),
                    dist: db.failover.describe(),
                });
            }
            let mut t = s.clone();
            t.failing_over[d] = false;
            t.primary[d] = self.first_up(&t, db.component);
            self.update_databases(&mut t);
            out.push((t, 1.0 / db.failover.mean_secs()));
        }
        Ok(())
    }

    /// Breadth-first search from all-up: the states in BFS order and the
    /// rates out of each, as (target index, rate) in discovery order.
    pub(super) fn explore(&self, max_states: usize) -> Result<(Vec<State>, Rates), NotMarkov> {
        let mut states = vec![self.initial()];
        // Lookup only: never iterated, so hashing cannot affect the result.
        let mut index: HashMap<State, usize> = HashMap::new();
        index.insert(states[0].clone(), 0);
        let mut rates = Vec::new();
        let mut next = Vec::new();
        let mut i = 0;
        while i < states.len() {
            self.transitions(&states[i], &mut next)?;
            let mut row: Vec<(usize, f64)> = Vec::with_capacity(next.len());
            for (t, rate) in next.drain(..) {
                let j = match index.get(&t) {
                    Some(&j) => j,
                    None => {
                        if states.len() >= max_states {
                            return Err(NotMarkov::TooManyStates { limit: max_states });
                        }
                        index.insert(t.clone(), states.len());
                        states.push(t);
                        states.len() - 1
                    }
                };
                if j != i {
                    row.push((j, rate));
                }
            }
            rates.push(row);
            i += 1;
        }
        Ok((states, rates))
    }
}
