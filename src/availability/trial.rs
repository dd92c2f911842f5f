//! One state-only trial: components and common-cause groups fail and are
//! repaired by their distributions over a long horizon; the service is up
//! while the structure function ([`crate::topology`]) says so.
//!
//! Assumptions, stated in the report too:
//! - every instance and group starts new and up at time zero;
//! - an instance's own failure/repair cycle runs regardless of its group; it
//!   is *effectively* up when it is up itself and every group it sits in is up;
//! - a repair starts when a crew member is free, at once without crews; a
//!   crew takes waiting repairs first come first served, by priority or at
//!   random (its `policy`), and with a call-out threshold starts only once
//!   that many of its entities are down, then stays until none is left;
//! - a database serves while a primary is up; when the primary goes down and a
//!   replica is up, a replica is promoted after the failover time; when no
//!   replica is up, the first instance back becomes primary at once;
//! - a database with `backup.data_loss_every` loses its data at random
//!   (exponential times): every instance is down until the restore is done,
//!   `restore_after` plus the restore of `model::backup_spec` (base backup
//!   download + WAL replay since the last base backup, taken at time zero
//!   and every `base_every`); the writes not yet archived are lost (RPO);
//! - downtime during an outage is split equally among its current causes:
//!   each required component with failed instances of its own, and each
//!   failed group holding a down instance of a component that is not working.

use crate::engine::SimTime;
use crate::engine::queue::EventQueue;
use crate::engine::rng::{Purpose, SimRng, named_key, stream};
use crate::model::backup_spec::BackupSpec;
use crate::model::{Model, Reliability, RepairPolicy};
use crate::topology::Topology;
use rand::RngExt;

/// How one availability trial is run.
#[derive(Clone, Debug)]
pub struct AvailabilityConfig {
    /// Simulated time per trial.
    pub horizon: SimTime,
    /// Number of points at which point availability A(t) is sampled.
    pub grid_points: usize,
}

/// What one trial observed; its size depends on the model, never on events.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(into = "OutcomeRecord", from = "OutcomeRecord")]
pub struct TrialOutcome {
    /// The trial's index.
    pub trial: u64,
    /// The trial's seed.
    pub seed: u64,
    /// Service downtime over the horizon \[s\].
    pub downtime_secs: f64,
    /// Number of times the service went down.
    pub outages: u32,
    /// When the service first went down \[s\], if it did within the horizon.
    pub first_outage_secs: Option<f64>,
    /// Downtime blamed on each cause \[s\]: components, then groups.
    pub blame_secs: Vec<f64>,
    /// Restores of databases whose data was lost (`backup.data_loss_every`).
    pub restores: u32,
    /// Data lost in them, summed: the unarchived spans of writes \[s\].
    pub data_lost_secs: f64,
    /// Their recovery times (loss to service), summed \[s\].
    pub restore_secs: f64,
    /// Whether the service was up at each grid point (for point availability A(t)).
    pub up_at_grid: Vec<bool>,
    /// Downtime inside each grid cell \[s\] (for interval availability over time).
    pub down_in_cell: Vec<f64>,
}

/// A [`TrialOutcome`] as the trial journal stores it: the grid sparse, since
/// most trials are up at almost every point.
#[derive(serde::Serialize, serde::Deserialize)]
struct OutcomeRecord {
    trial: u64,
    seed: u64,
    downtime_secs: f64,
    outages: u32,
    first_outage_secs: Option<f64>,
    blame_secs: Vec<f64>,
    #[serde(default)]
    restores: u32,
    #[serde(default)]
    data_lost_secs: f64,
    #[serde(default)]
    restore_secs: f64,
    grid: u32,
    down_at: Vec<u32>,
    cells: Vec<(u32, f64)>,
}

impl From<TrialOutcome> for OutcomeRecord {
    fn from(o: TrialOutcome) -> Self {
        let down_at = (0..o.up_at_grid.len() as u32)
            .filter(|&g| !o.up_at_grid[g as usize])
            .collect();
        let cells = (0..o.down_in_cell.len() as u32)
            .map(|g| (g, o.down_in_cell[g as usize]))
            .filter(|&(_, d)| d.to_bits() != 0)
            .collect();
        OutcomeRecord {
            trial: o.trial,
            seed: o.seed,
            downtime_secs: o.downtime_secs,
            outages: o.outages,
            first_outage_secs: o.first_outage_secs,
            blame_secs: o.blame_secs,
            restores: o.restores,
            data_lost_secs: o.data_lost_secs,
            restore_secs: o.restore_secs,
            grid: o.up_at_grid.len() as u32,
            down_at,
            cells,
        }
    }
}

impl From<OutcomeRecord> for TrialOutcome {
    fn from(r: OutcomeRecord) -> Self {
        let n = r.grid as usize;
        let mut up_at_grid = vec![true; n];
        let mut down_in_cell = vec![0.0; n];
        for g in r.down_at {
            if let Some(u) = up_at_grid.get_mut(g as usize) {
                *u = false;
            }
        }
        for (g, d) in r.cells {
            if let Some(c) = down_in_cell.get_mut(g as usize) {
                *c = d;
            }
        }
        TrialOutcome {
            trial: r.trial,
            seed: r.seed,
            downtime_secs: r.downtime_secs,
            outages: r.outages,
            first_outage_secs: r.first_outage_secs,
            blame_secs: r.blame_secs,
            restores: r.restores,
            data_lost_secs: r.data_lost_secs,
            restore_secs: r.restore_secs,
            up_at_grid,
            down_in_cell,
        }
    }
}

/// Something that fails and is repaired: a flat instance (components'
/// instances in file order) or a common-cause group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    /// The flat index of a component's instance.
    Instance(u32),
    /// A group's index.
    Group(u32),
    /// A source of bad changes (`[changes]`), by index: "down" while a bad
    /// change is in effect on its target.
    Change(u32),
    /// A database's data lost (`backup.data_loss_every`), by index into
    /// [`AvailabilitySim::data_losses`]: its instances are down until the
    /// restore is done.
    DataLoss(u32),
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Fail(Entity),
    RepairDone(Entity),
    FailoverDone(u32),
}

/// The model compiled for fast state-only trials.
pub struct AvailabilitySim<'m> {
    model: &'m Model,
    topo: Topology,
    /// (component, instance index within it) per flat instance.
    instances: Vec<(usize, u32)>,
    /// First flat instance of each component.
    first_instance: Vec<usize>,
    /// Flat instances each group holds, directly or through groups within it.
    group_instances: Vec<Vec<usize>>,
    /// Distinct groups each component's instances depend on, in instance order.
    component_groups: Vec<Vec<usize>>,
    /// The change sources whose bad changes crash each component.
    component_changes: Vec<Vec<usize>>,
    /// Databases that lose their data at random, with their backups.
    data_losses: Vec<(usize, BackupSpec)>,
    /// Per component: its index in `data_losses`, if any.
    component_loss: Vec<Option<usize>>,
    /// Components the service needs (reachable from entries by hard deps).
    required: Vec<bool>,
    config: AvailabilityConfig,
}

struct CrewState {
    busy: u32,
    waiting: std::collections::VecDeque<Entity>,
    /// Its entities down (waiting or under repair).
    down: u32,
    /// Called out: it takes waiting repairs.
    on_site: bool,
    /// For `policy = "random"`.
    rng: SimRng,
}

struct State {
    inst_up: Vec<bool>,
    group_up: Vec<bool>,
    inst_rng: Vec<(SimRng, SimRng)>,
    group_rng: Vec<(SimRng, SimRng)>,
    change_rng: Vec<(SimRng, SimRng)>,
    /// Per change source: no bad change in effect.
    change_up: Vec<bool>,
    loss_rng: Vec<(SimRng, SimRng)>,
    /// Per data-loss source: the data is there (not being restored).
    loss_up: Vec<bool>,
    /// Restores, data lost and recovery times so far (for the outcome).
    restores: u32,
    data_lost_secs: f64,
    restore_secs: f64,
    failover_rng: Vec<SimRng>,
    primary: Vec<Option<u32>>,
    failing_over: Vec<bool>,
    crews: Vec<CrewState>,
    own_ok: Vec<bool>,
    functional: Vec<bool>,
    blame: Vec<usize>,
    /// Per instance: 1 if it is down itself, plus 1 per failed group it is in
    /// (0 = effectively up). Kept with the counts below so an event costs
    /// what it touches, not the size of the model.
    down_reasons: Vec<u32>,
    /// Per component: instances effectively up.
    effectively_up: Vec<usize>,
    /// Per component: instances down themselves.
    own_down: Vec<usize>,
    /// Every failure and repair, when the caller wants the timeline.
    trace: Option<Vec<Transition>>,
    /// With the timeline: each change of a database's primary.
    primaries: Vec<PrimaryChange>,
}

/// A database's primary role moved (`None`: no instance serves as primary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrimaryChange {
    /// When.
    pub at: SimTime,
    /// The component index.
    pub comp: usize,
    /// The instance serving as primary from then on.
    pub primary: Option<u32>,
}

/// A traced trial: its outcome, failures and repairs, and primary changes.
pub type Traced = (TrialOutcome, Vec<Transition>, Vec<PrimaryChange>);

/// One failure (`up == false`) or repair of an entity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transition {
    /// When.
    pub at: SimTime,
    /// What failed or came back.
    pub entity: Entity,
    /// Whether it came back up.
    pub up: bool,
}

impl<'m> AvailabilitySim<'m> {
    /// Compiles `model` for trials of `config`.
    pub fn new(model: &'m Model, config: AvailabilityConfig) -> Self {
        let topo = Topology::new(model);
        let mut instances = Vec::new();
        let mut first_instance = Vec::new();
        let mut instance_groups = Vec::new();
        for (c, comp) in model.components.iter().enumerate() {
            first_instance.push(instances.len());
            for i in 0..comp.instances {
                instances.push((c, i));
                let mut gs = Vec::new();
                let mut g = comp.group_of(i as usize);
                while let Some(x) = g {
                    gs.push(x);
                    g = model.groups[x].within;
                }
                instance_groups.push(gs);
            }
        }
        first_instance.push(instances.len());
        let mut group_instances = vec![Vec::new(); model.groups.len()];
        let mut component_groups = vec![Vec::new(); model.components.len()];
        // Per group, the last component (+1) that listed it: instances come
        // in component order, so this dedups without a search.
        let mut listed_by = vec![0; model.groups.len()];
        for (i, gs) in instance_groups.iter().enumerate() {
            let c = instances[i].0;
            for &g in gs {
                group_instances[g].push(i);
                if listed_by[g] != c + 1 {
                    listed_by[g] = c + 1;
                    component_groups[c].push(g);
                }
            }
        }
        let required = topo.required();
        let mut component_changes = vec![Vec::new(); model.components.len()];
        for (k, ch) in model.changes.iter().enumerate() {
            if ch.effect == crate::scenario::Fault::Crash {
                component_changes[ch.target].push(k);
            }
        }
        let data_losses: Vec<(usize, BackupSpec)> = (model.components.iter().enumerate())
            .filter_map(|(c, comp)| {
                let b = comp.serving.db.as_ref()?.backup?;
                b.data_loss_every.map(|_| (c, b))
            })
            .collect();
        let mut component_loss = vec![None; model.components.len()];
        for (k, &(c, _)) in data_losses.iter().enumerate() {
            component_loss[c] = Some(k);
        }
        AvailabilitySim {
            model,
            topo,
            instances,
            first_instance,
            group_instances,
            component_groups,
            component_changes,
            data_losses,
            component_loss,
            required,
            config,
        }
    }

    /// Names of the blame causes, in [`TrialOutcome::blame_secs`] order,
    /// with their kind: `component`, `group`, `change` (the bad changes
    /// deployed to the named component) or `restore` (the named database's
    /// data lost and being restored).
    pub fn causes(&self) -> Vec<(String, &'static str)> {
        let m = self.model;
        let comps = m.components.iter().map(|c| (c.id.clone(), "component"));
        let groups = m.groups.iter().map(|g| (g.id.clone(), "group"));
        let changes = (m.changes.iter()).map(|ch| (m.components[ch.target].id.clone(), "change"));
        let losses =
            (self.data_losses.iter()).map(|&(c, _)| (m.components[c].id.clone(), "restore"));
        comps.chain(groups).chain(changes).chain(losses).collect()
    }

    /// The databases that lose their data at random (component index and
    /// backup), in [`Entity::DataLoss`] order.
    pub fn data_losses(&self) -> &[(usize, BackupSpec)] {
        &self.data_losses
    }

    fn reliability(&self, e: Entity) -> Option<&'m Reliability> {
        match e {
            Entity::Instance(i) => self.model.components[self.instances[i as usize].0]
                .reliability
                .as_ref(),
            Entity::Group(g) => self.model.groups[g as usize].reliability.as_ref(),
            Entity::Change(_) | Entity::DataLoss(_) => None,
        }
    }

    /// Draws the time until `e` fails next (`None`: it never fails).
    fn time_to_failure(&self, st: &mut State, e: Entity) -> Option<SimTime> {
        if let Entity::Change(k) = e {
            let rate = self.model.changes[k as usize].bad_rate();
            let u: f64 = rand::RngExt::random(&mut st.change_rng[k as usize].0);
            return (rate > 0.0).then(|| SimTime::from_secs_f64(-(1.0 - u).ln() / rate));
        }
        if let Entity::DataLoss(k) = e {
            let mean = self.data_losses[k as usize].1.data_loss_every?;
            let u: f64 = rand::RngExt::random(&mut st.loss_rng[k as usize].0);
            return Some(SimTime::from_secs_f64(-(1.0 - u).ln() * mean.as_secs_f64()));
        }
        let rel = self.reliability(e)?;
        Some(rel.failure.sample(&mut self.rngs(st, e).0))
    }

    /// Draws how long `e` stays down once its repair starts at `now`.
    fn repair_time(&self, st: &mut State, e: Entity, now: SimTime) -> SimTime {
        if let Entity::DataLoss(k) = e {
            // Lost at `now` (restores need no crew): the unarchived writes
            // are gone; the restore replays the WAL since the last base backup.
            let b = &self.data_losses[k as usize].1;
            let lag_u: f64 = rand::RngExt::random(&mut st.loss_rng[k as usize].1);
            let rto = b.restore_after + b.restore_time(b.base_age_at(now));
            st.restores += 1;
            st.data_lost_secs += b.disk_rpo(lag_u).as_secs_f64();
            st.restore_secs += rto.as_secs_f64();
            return rto;
        }
        if let Entity::Change(k) = e {
            let ch = &self.model.changes[k as usize];
            let rng = &mut st.change_rng[k as usize].1;
            return ch.detect.sample(rng) + ch.rollback.sample(rng);
        }
        let rel = self
            .reliability(e)
            .expect("only failing entities are repaired");
        rel.repair.sample(&mut self.rngs(st, e).1)
    }

    fn crew(&self, e: Entity) -> Option<usize> {
        match e {
            Entity::Instance(i) => self.model.components[self.instances[i as usize].0].crew,
            Entity::Group(g) => self.model.groups[g as usize].crew,
            Entity::Change(_) | Entity::DataLoss(_) => None,
        }
    }

    fn rngs<'s>(&self, st: &'s mut State, e: Entity) -> &'s mut (SimRng, SimRng) {
        match e {
            Entity::Instance(i) => &mut st.inst_rng[i as usize],
            Entity::Group(g) => &mut st.group_rng[g as usize],
            Entity::Change(k) => &mut st.change_rng[k as usize],
            Entity::DataLoss(k) => &mut st.loss_rng[k as usize],
        }
    }

    /// The flat instances of component `c`.
    pub fn instances_of(&self, c: usize) -> std::ops::Range<usize> {
        self.first_instance[c]..self.first_instance[c + 1]
    }

    fn effectively_up(&self, st: &State, i: usize) -> bool {
        st.down_reasons[i] == 0
    }

    /// Adds (`down`) or removes one reason for instance `i` to be down.
    fn mark(&self, st: &mut State, i: usize, down: bool) {
        let c = self.instances[i].0;
        if down {
            if st.down_reasons[i] == 0 {
                st.effectively_up[c] -= 1;
            }
            st.down_reasons[i] += 1;
        } else {
            st.down_reasons[i] -= 1;
            if st.down_reasons[i] == 0 {
                st.effectively_up[c] += 1;
            }
        }
    }

    /// Sets entity `e` up or down, keeping the counts in step.
    fn set_up(&self, st: &mut State, e: Entity, up: bool) {
        match e {
            Entity::Instance(i) => {
                let i = i as usize;
                if st.inst_up[i] != up {
                    st.inst_up[i] = up;
                    let c = self.instances[i].0;
                    if up {
                        st.own_down[c] -= 1;
                    } else {
                        st.own_down[c] += 1;
                    }
                    self.mark(st, i, !up);
                }
            }
            Entity::Group(g) => {
                let g = g as usize;
                if st.group_up[g] != up {
                    st.group_up[g] = up;
                    for &i in &self.group_instances[g] {
                        self.mark(st, i, !up);
                    }
                }
            }
            Entity::Change(k) => {
                let k = k as usize;
                let ch = &self.model.changes[k];
                if st.change_up[k] != up {
                    st.change_up[k] = up;
                    // Only a crash takes the target's instances down; an
                    // error rate or a slowdown leaves them up (degraded).
                    if ch.effect == crate::scenario::Fault::Crash {
                        for i in self.instances_of(ch.target) {
                            self.mark(st, i, !up);
                        }
                    }
                }
            }
            Entity::DataLoss(k) => {
                let k = k as usize;
                if st.loss_up[k] != up {
                    st.loss_up[k] = up;
                    for i in self.instances_of(self.data_losses[k].0) {
                        self.mark(st, i, !up);
                    }
                }
            }
        }
    }

    /// Runs one trial with the given seed.
    pub fn run_trial(&self, trial: u64, seed: u64) -> TrialOutcome {
        self.run(trial, seed, false).0
    }

    /// Runs one trial and also returns its failures and repairs, and the
    /// changes of databases' primaries, in time order.
    pub fn run_trial_traced(&self, trial: u64, seed: u64) -> Traced {
        let (out, st) = self.run(trial, seed, true);
        (out, st.trace.unwrap_or_default(), st.primaries)
    }

    /// The simulated time of each trial.
    pub fn horizon(&self) -> SimTime {
        self.config.horizon
    }

    /// The model.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// The component of each flat instance, and its index within it.
    pub fn instances(&self) -> &[(usize, u32)] {
        &self.instances
    }

    /// The flat instances each group holds, directly or through groups within it.
    pub fn group_instances(&self) -> &[Vec<usize>] {
        &self.group_instances
    }

    fn run(&self, trial: u64, seed: u64, traced: bool) -> (TrialOutcome, State) {
        let m = self.model;
        let n_causes =
            m.components.len() + m.groups.len() + m.changes.len() + self.data_losses.len();
        let mut st = State {
            inst_up: vec![true; self.instances.len()],
            group_up: vec![true; m.groups.len()],
            inst_rng: self
                .instances
                .iter()
                .map(|&(c, i)| {
                    let key = named_key(&m.components[c].id, i);
                    (
                        stream(seed, key, Purpose::Failure),
                        stream(seed, key, Purpose::Repair),
                    )
                })
                .collect(),
            group_rng: m
                .groups
                .iter()
                .map(|g| {
                    let key = named_key(&format!("group:{}", g.id), 0);
                    (
                        stream(seed, key, Purpose::Failure),
                        stream(seed, key, Purpose::Repair),
                    )
                })
                .collect(),
            change_rng: (m.changes.iter())
                .map(|ch| {
                    let key = named_key(&format!("change:{}", m.components[ch.target].id), 0);
                    (
                        stream(seed, key, Purpose::Failure),
                        stream(seed, key, Purpose::Repair),
                    )
                })
                .collect(),
            change_up: vec![true; m.changes.len()],
            loss_rng: (self.data_losses.iter())
                .map(|&(c, _)| {
                    let key = named_key(&format!("data_loss:{}", m.components[c].id), 0);
                    (
                        stream(seed, key, Purpose::Failure),
                        stream(seed, key, Purpose::Repair),
                    )
                })
                .collect(),
            loss_up: vec![true; self.data_losses.len()],
            restores: 0,
            data_lost_secs: 0.0,
            restore_secs: 0.0,
            failover_rng: m
                .components
                .iter()
                .map(|c| stream(seed, named_key(&c.id, 0), Purpose::Failover))
                .collect(),
            primary: m
                .components
                .iter()
                .map(|c| c.failover.as_ref().map(|_| 0))
                .collect(),
            failing_over: vec![false; m.components.len()],
            crews: m
                .crews
                .iter()
                .map(|k| CrewState {
                    busy: 0,
                    waiting: Default::default(),
                    down: 0,
                    on_site: false,
                    rng: stream(seed, named_key(&format!("crew:{}", k.id), 0), Purpose::Misc),
                })
                .collect(),
            own_ok: vec![true; m.components.len()],
            functional: vec![true; m.components.len()],
            blame: Vec::with_capacity(n_causes),
            down_reasons: vec![0; self.instances.len()],
            effectively_up: m.components.iter().map(|c| c.instances as usize).collect(),
            own_down: vec![0; m.components.len()],
            trace: traced.then(Vec::new),
            primaries: Vec::new(),
        };
        let mut queue = EventQueue::new();
        let horizon = self.config.horizon;
        let entities = (0..self.instances.len() as u32)
            .map(Entity::Instance)
            .chain((0..m.groups.len() as u32).map(Entity::Group))
            .chain((0..m.changes.len() as u32).map(Entity::Change))
            .chain((0..self.data_losses.len() as u32).map(Entity::DataLoss));
        for e in entities {
            if let Some(t) = self.time_to_failure(&mut st, e)
                && t < horizon
            {
                queue.schedule(t, Event::Fail(e));
            }
        }

        let mut out = TrialOutcome {
            trial,
            seed,
            downtime_secs: 0.0,
            outages: 0,
            first_outage_secs: None,
            blame_secs: vec![0.0; n_causes],
            restores: 0,
            data_lost_secs: 0.0,
            restore_secs: 0.0,
            up_at_grid: Vec::with_capacity(self.config.grid_points),
            down_in_cell: vec![0.0; self.config.grid_points],
        };
        let grid_step = horizon.0 / self.config.grid_points.max(1) as u64;
        let mut next_grid = 0usize;
        let mut up = true;
        let mut last = SimTime::ZERO;
        loop {
            let (now, ev) = match queue.pop() {
                Some((t, ev)) if t < horizon => (t, Some(ev)),
                _ => (horizon, None),
            };
            // Account for [last, now) in the current state.
            while next_grid < self.config.grid_points && SimTime(next_grid as u64 * grid_step) < now
            {
                out.up_at_grid.push(up);
                next_grid += 1;
            }
            if !up {
                let span = (now - last).as_secs_f64();
                add_to_cells(&mut out.down_in_cell, grid_step, last, now);
                out.downtime_secs += span;
                let share = span / st.blame.len().max(1) as f64;
                for &b in &st.blame {
                    out.blame_secs[b] += share;
                }
            }
            last = now;
            let Some(ev) = ev else {
                out.restores = st.restores;
                out.data_lost_secs = st.data_lost_secs;
                out.restore_secs = st.restore_secs;
                break;
            };
            let before = st.trace.is_some().then(|| st.primary.clone());
            self.handle(&mut st, &mut queue, now, ev);
            self.update_databases(&mut st, &mut queue, now);
            if let Some(before) = before {
                for (c, (&b, &a)) in before.iter().zip(&st.primary).enumerate() {
                    if a != b {
                        st.primaries.push(PrimaryChange {
                            at: now,
                            comp: c,
                            primary: a,
                        });
                    }
                }
            }
            let was_up = up;
            up = self.evaluate(&mut st);
            if was_up && !up {
                out.outages += 1;
                out.first_outage_secs.get_or_insert(now.as_secs_f64());
            }
        }
        (out, st)
    }

    fn handle(&self, st: &mut State, queue: &mut EventQueue<Event>, now: SimTime, ev: Event) {
        match ev {
            Event::Fail(e) => {
                if let Some(t) = &mut st.trace {
                    t.push(Transition {
                        at: now,
                        entity: e,
                        up: false,
                    });
                }
                self.set_up(st, e, false);
                match self.crew(e) {
                    Some(c) => {
                        let crew = &mut st.crews[c];
                        crew.down += 1;
                        crew.waiting.push_back(e);
                        if crew.down >= self.model.crews[c].call_out {
                            crew.on_site = true;
                        }
                        self.dispatch(st, queue, now, c);
                    }
                    None => self.start_repair(st, queue, now, e),
                }
            }
            Event::RepairDone(e) => {
                if let Some(t) = &mut st.trace {
                    t.push(Transition {
                        at: now,
                        entity: e,
                        up: true,
                    });
                }
                self.set_up(st, e, true);
                if let Some(t) = self.time_to_failure(st, e) {
                    queue.schedule(now + t, Event::Fail(e));
                }
                if let Some(c) = self.crew(e) {
                    let crew = &mut st.crews[c];
                    crew.down -= 1;
                    crew.busy -= 1;
                    if crew.busy == 0 && crew.waiting.is_empty() {
                        crew.on_site = false;
                    }
                    self.dispatch(st, queue, now, c);
                }
            }
            Event::FailoverDone(c) => {
                let c = c as usize;
                st.failing_over[c] = false;
                st.primary[c] = self.first_up_instance(st, c);
            }
        }
    }

    /// Crew `c`, when on site, takes waiting repairs while a member is free.
    fn dispatch(&self, st: &mut State, queue: &mut EventQueue<Event>, now: SimTime, c: usize) {
        let size = self.model.crews[c].size;
        loop {
            let crew = &mut st.crews[c];
            if !crew.on_site || crew.busy >= size || crew.waiting.is_empty() {
                return;
            }
            let pick = match &self.model.crews[c].policy {
                RepairPolicy::Fifo => 0,
                RepairPolicy::Random => crew.rng.random_range(0..crew.waiting.len()),
                RepairPolicy::Priority { components, groups } => {
                    let rank = |e: &Entity| match *e {
                        Entity::Instance(i) => (components[self.instances[i as usize].0], i),
                        Entity::Group(g) => (groups[g as usize], g),
                        // Changes are rolled back and data restored, never
                        // queued for a crew.
                        Entity::Change(k) | Entity::DataLoss(k) => (u32::MAX, k),
                    };
                    (0..crew.waiting.len())
                        .min_by_key(|&i| rank(&crew.waiting[i]))
                        .expect("non-empty")
                }
            };
            let e = crew.waiting.remove(pick).expect("in range");
            crew.busy += 1;
            self.start_repair(st, queue, now, e);
        }
    }

    fn start_repair(&self, st: &mut State, queue: &mut EventQueue<Event>, now: SimTime, e: Entity) {
        let t = self.repair_time(st, e, now);
        queue.schedule(now + t, Event::RepairDone(e));
    }

    fn first_up_instance(&self, st: &State, c: usize) -> Option<u32> {
        (self.first_instance[c]..self.first_instance[c + 1])
            .find(|&i| self.effectively_up(st, i))
            .map(|i| (i - self.first_instance[c]) as u32)
    }

    fn update_databases(&self, st: &mut State, queue: &mut EventQueue<Event>, now: SimTime) {
        for (c, comp) in self.model.components.iter().enumerate() {
            let Some(failover) = &comp.failover else {
                continue;
            };
            if let Some(p) = st.primary[c] {
                if !self.effectively_up(st, self.first_instance[c] + p as usize) {
                    st.primary[c] = None;
                    if self.first_up_instance(st, c).is_some() {
                        st.failing_over[c] = true;
                        let t = failover.time.sample(&mut st.failover_rng[c]);
                        queue.schedule(now + t, Event::FailoverDone(c as u32));
                    }
                }
            } else if !st.failing_over[c] {
                st.primary[c] = self.first_up_instance(st, c);
            }
        }
    }

    /// Recomputes component and service state; returns whether the service is up.
    fn evaluate(&self, st: &mut State) -> bool {
        for (c, comp) in self.model.components.iter().enumerate() {
            st.own_ok[c] = if comp.failover.is_some() {
                st.primary[c].is_some()
            } else {
                st.effectively_up[c] >= comp.min_up as usize
            };
        }
        self.topo.evaluate(&st.own_ok, &mut st.functional);
        let up = self.topo.service_up(&st.functional);
        st.blame.clear();
        if !up {
            let n_comp = self.model.components.len();
            for c in 0..n_comp {
                if !self.required[c] || st.own_ok[c] {
                    continue;
                }
                let own_failure = st.own_down[c] > 0;
                let mut group_failure = false;
                for &g in &self.component_groups[c] {
                    if !st.group_up[g] {
                        // A group already blamed through another component
                        // still explains this one: count it, push it once.
                        group_failure = true;
                        if !st.blame.contains(&(n_comp + g)) {
                            st.blame.push(n_comp + g);
                        }
                    }
                }
                for &k in &self.component_changes[c] {
                    if !st.change_up[k] {
                        group_failure = true;
                        st.blame.push(n_comp + self.model.groups.len() + k);
                    }
                }
                if let Some(k) = self.component_loss[c]
                    && !st.loss_up[k]
                {
                    group_failure = true;
                    let first = n_comp + self.model.groups.len() + self.model.changes.len();
                    st.blame.push(first + k);
                }
                if own_failure || !group_failure {
                    st.blame.push(c);
                }
            }
        }
        up
    }
}

/// Adds the interval `[from, to)` to the cells of width `step` it overlaps [s].
fn add_to_cells(cells: &mut [f64], step: u64, from: SimTime, to: SimTime) {
    if step == 0 {
        return;
    }
    let mut t = from.0;
    while t < to.0 {
        let cell = (t / step) as usize;
        let end = ((cell as u64 + 1) * step).min(to.0);
        if let Some(c) = cells.get_mut(cell) {
            *c += (end - t) as f64 / 1e9;
        }
        t = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two components that never fail on their own share a node: every
    /// outage is the node's, so the node carries all the downtime. The second
    /// component used to be blamed for half of it, because the node had
    /// already been blamed through the first.
    #[test]
    fn shared_group_outage_is_blamed_on_the_group_alone() {
        let text = r#"
[groups.n]
failure = { dist = "exponential", mean = "10h" }
repair = { dist = "exponential", mean = "1h" }
[components.web]
depends_on = ["api"]
placement = ["n"]
[components.api]
placement = ["n"]
"#;
        let model = Model::parse(text, "t.toml").expect("valid model");
        let sim = AvailabilitySim::new(
            &model,
            AvailabilityConfig {
                horizon: SimTime(1000 * SimTime::HOUR.0),
                grid_points: 10,
            },
        );
        let out = sim.run_trial(0, 7);
        assert!(out.downtime_secs > 0.0);
        // Causes: web, api, then the group n.
        assert_eq!(out.blame_secs[..2], [0.0, 0.0], "{:?}", out.blame_secs);
        assert!((out.blame_secs[2] - out.downtime_secs).abs() < 1e-6);
    }
}
