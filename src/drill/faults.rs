//! Applying a scenario's timeline to a running trial: faults start (and end
//! after their duration) and containment actions change the system.

use super::sim::DrillTrial;
use crate::engine::SimTime;
use crate::scenario::{Action, EventKind, Fault, FaultSpec, Param};

impl DrillTrial<'_> {
    /// The instances a fault hits.
    fn targets(&self, f: &FaultSpec) -> Vec<usize> {
        let active = self.comps[f.target].active as usize;
        match f.instance {
            Some(i) => vec![i as usize],
            None => (0..active).collect(),
        }
    }

    pub(super) fn apply_event(&mut self, i: usize, now: SimTime) {
        let ev = &self.scenario.events[i];
        match &ev.what {
            EventKind::Fault(specs) => {
                for f in specs {
                    self.start_fault(f, now);
                }
                if let Some(d) = specs.first().and_then(|f| f.duration) {
                    self.queue.schedule(now + d, super::sim::fault_end(i));
                }
            }
            EventKind::Action(a) => {
                if !self.start_action(i, now) {
                    self.apply_action(a, now);
                }
            }
        }
    }

    /// Action `i`, started earlier, takes effect now.
    pub(super) fn finish_action(&mut self, i: usize, now: SimTime) {
        if let EventKind::Action(a) = &self.scenario.events[i].what {
            self.action_done(i, now);
            self.apply_action(a, now);
        }
    }

    fn start_fault(&mut self, f: &FaultSpec, now: SimTime) {
        self.touch_all(now);
        if self.pod_fault(f, true, now) {
            return;
        }
        match f.fault {
            Fault::Crash | Fault::Bounce => {
                for inst in self.targets(f) {
                    if inst < self.comps[f.target].insts.len()
                        && self.comps[f.target].insts[inst].up
                    {
                        self.fail_instance_calls(f.target, inst, now);
                        self.comps[f.target].insts[inst].up = false;
                        self.comps[f.target].recount_up();
                        self.cache_lose_keys(f.target, Some(inst), now);
                        self.on_db_instance_down(f.target, inst, now);
                    }
                }
            }
            Fault::Slow(factor) => match f.instance {
                Some(i) => self.comps[f.target].insts[i as usize].slow = factor,
                None => self.comps[f.target].slow = factor,
            },
            Fault::Errors(share) => self.set_errors(f, share),
            Fault::Partition { .. } => self.partitions.extend(super::partition::Cut::of(f)),
            Fault::Hold => {
                for inst in self.targets(f) {
                    self.comps[f.target].insts[inst].held = true;
                }
            }
        }
    }

    pub(super) fn end_fault(&mut self, i: usize, now: SimTime) {
        let EventKind::Fault(specs) = &self.scenario.events[i].what else {
            return;
        };
        for f in specs {
            self.end_one(f, now);
        }
    }

    fn end_one(&mut self, f: &FaultSpec, now: SimTime) {
        self.touch_all(now);
        if self.pod_fault(f, false, now) {
            return;
        }
        match f.fault {
            Fault::Crash | Fault::Bounce => {
                for inst in self.targets(f) {
                    if let Some(x) = self.comps[f.target].insts.get_mut(inst) {
                        x.up = true;
                        self.persist_restarted(f.target, inst, now);
                    }
                    self.cache_primary_back(f.target, inst, now);
                }
                self.comps[f.target].recount_up();
            }
            Fault::Slow(_) => match f.instance {
                Some(i) => self.comps[f.target].insts[i as usize].slow = 1.0,
                None => self.comps[f.target].slow = 1.0,
            },
            Fault::Errors(_) => self.set_errors(f, 0.0),
            Fault::Partition { .. } => {
                let cut = super::partition::Cut::of(f);
                if let Some(pos) = self.partitions.iter().position(|&p| Some(p) == cut) {
                    self.partitions.remove(pos);
                }
            }
            Fault::Hold => {
                for inst in self.targets(f) {
                    self.release_instance(f.target, inst, now);
                }
            }
        }
    }

    /// Sets the share of served calls that fail on the fault's target.
    fn set_errors(&mut self, f: &FaultSpec, share: f64) {
        let c = &mut self.comps[f.target];
        match f.instance {
            Some(i) => {
                if let Some(x) = c.insts.get_mut(i as usize) {
                    x.errors = share;
                }
            }
            None => c.errors = share,
        }
    }

    fn release_instance(&mut self, comp: usize, inst: usize, now: SimTime) {
        if let Some(x) = self.comps[comp].insts.get_mut(inst) {
            x.held = false;
            self.start_queued(comp, inst, now);
        }
    }

    fn apply_action(&mut self, a: &Action, now: SimTime) {
        self.touch_all(now);
        match *a {
            Action::Scale { target, replicas } if self.comps[target].pods.is_some() => {
                self.scale_pods(target, replicas, now)
            }
            Action::Apply { target, change } => self.apply_pods(target, change, now),
            Action::Autoscale { target, ref hpa } => self.autoscale_pods(target, hpa, now),
            Action::RolloutRestart { target } => self.apply_pods(target, Default::default(), now),
            Action::Scale { target, replicas } => {
                let c = &mut self.comps[target];
                let old = c.active as usize;
                let new = replicas as usize;
                if new > old {
                    while c.insts.len() < new {
                        c.insts.push(super::sim::Inst::fresh());
                    }
                    for x in &mut c.insts[old..new] {
                        *x = super::sim::Inst::fresh();
                    }
                    c.active = replicas;
                    c.recount_up();
                } else {
                    for inst in new..old {
                        if self.comps[target].insts[inst].up {
                            self.fail_instance_calls(target, inst, now);
                        }
                    }
                    self.comps[target].active = replicas;
                    self.comps[target].recount_up();
                }
                self.cache_resized(target);
            }
            Action::Set {
                target,
                param,
                value,
            } => {
                let c = &mut self.comps[target];
                match param {
                    Param::Workers => c.workers = (value.round() as u32).max(1),
                    Param::Queue => c.queue_cap = value.round() as u32,
                    Param::HitRatio => c.hit_ratio = value,
                    Param::TimeoutMs => c.timeout = SimTime::from_secs_f64(value / 1e3),
                    Param::ServiceFactor => c.slow = value,
                }
                // The worker count decides which instances are full.
                c.recount_up();
                if param == Param::Workers {
                    for inst in 0..self.comps[target].active as usize {
                        self.start_queued(target, inst, now);
                    }
                }
            }
            Action::Repair { target } if self.comps[target].pods.is_some() => {
                self.partitions.retain(|c| !c.touches(target));
                self.repair_pods(target);
            }
            Action::Repair { target } => {
                self.partitions.retain(|c| !c.touches(target));
                let c = &mut self.comps[target];
                c.slow = 1.0;
                c.errors = 0.0;
                for x in &mut c.insts {
                    x.up = true;
                    x.slow = 1.0;
                    x.errors = 0.0;
                }
                c.recount_up();
            }
            Action::Flush { target } => self.cache_lose_keys(target, None, now),
            Action::ConfigSet { target, setting } => self.cache_config_set(target, setting, now),
            Action::Release { target } => {
                for inst in 0..self.comps[target].insts.len() {
                    self.release_instance(target, inst, now);
                }
            }
            Action::RestartResolver { target } => self.restart_resolver(target, now),
            Action::SwitchResolver { target, to } => self.switch_resolver(target, to),
            Action::HostsOverride { target } => self.hosts_override(target),
            Action::CleanupDisk { target, free } => self.cleanup_disk(target, free, now),
            Action::FillDisk { target, free } => self.cleanup_disk(target, Some(free), now),
            Action::Command { target, command } => self.run_command(target, command, now),
            Action::LoseData {
                target,
                cause,
                restore_after,
            } => self.lose_data(target, cause, restore_after, now),
        }
    }
}
