//! A state trial's failures and repairs as outages of single instances: an
//! instance is out while it is down itself, any group it sits in is down or
//! a bad change that crashes it is in effect (as the state trial counts it);
//! a bad change with another effect (an error rate, a slowdown) is an
//! outage of each of its target's instances with that fault. Each outage names the entity that set it
//! off, so request-level replays ([`crate::drill::random_failures`],
//! [`super::requests`]) can crash exactly these instances for exactly these
//! spans and blame what they lose on the right component or group.

use super::trial::{AvailabilitySim, Entity, Transition};
use crate::engine::SimTime;
use crate::scenario::Fault;

/// One instance out of service (or degraded, by `fault`) for a span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outage {
    /// The component index.
    pub comp: usize,
    /// The instance within the component.
    pub inst: u32,
    /// When it went out.
    pub from: SimTime,
    /// When it came back (the horizon if it did not).
    pub to: SimTime,
    /// What set it off, in [`AvailabilitySim::causes`] order (components,
    /// then groups, then change sources).
    pub origin: usize,
    /// What the instance suffers: `Crash` (out), or a bad change's
    /// `Errors` or `Slow`.
    pub fault: Fault,
}

/// The outages of `trace` (one trial's transitions, in time order) up to
/// `horizon`, sorted by start, then component and instance.
pub fn outages(sim: &AvailabilitySim, trace: &[Transition], horizon: SimTime) -> Vec<Outage> {
    let n_comp = sim.model().components.len();
    let n_groups = sim.model().groups.len();
    let inst = sim.instances();
    let members = sim.group_instances();
    let mut in_groups: Vec<Vec<usize>> = vec![Vec::new(); inst.len()];
    for (g, held) in members.iter().enumerate() {
        for &i in held {
            in_groups[i].push(g);
        }
    }
    // Bad changes that crash their target act like a group over its instances.
    let changes = &sim.model().changes;
    let change_members: Vec<Vec<usize>> = (changes.iter())
        .map(|ch| sim.instances_of(ch.target).collect())
        .collect();
    let mut in_changes: Vec<Vec<usize>> = vec![Vec::new(); inst.len()];
    for (k, ch) in changes.iter().enumerate() {
        if ch.effect == Fault::Crash {
            for &i in &change_members[k] {
                in_changes[i].push(k);
            }
        }
    }
    // So do databases whose data is lost, until their restore is done.
    let losses: Vec<Vec<usize>> = (sim.data_losses().iter())
        .map(|&(c, _)| sim.instances_of(c).collect())
        .collect();
    let mut in_losses: Vec<Vec<usize>> = vec![Vec::new(); inst.len()];
    for (k, held) in losses.iter().enumerate() {
        for &i in held {
            in_losses[i].push(k);
        }
    }
    let mut loss_down = vec![false; losses.len()];
    let mut change_down = vec![false; changes.len()];
    let mut change_from = vec![SimTime::ZERO; changes.len()];
    let mut own_down = vec![false; inst.len()];
    let mut group_down = vec![false; n_groups];
    let mut open: Vec<Option<(SimTime, usize)>> = vec![None; inst.len()];
    let mut out = Vec::new();
    let close_with = |i: usize, from, origin, to, fault, out: &mut Vec<Outage>| {
        if to > from {
            out.push(Outage {
                comp: inst[i].0,
                inst: inst[i].1,
                from,
                to,
                origin,
                fault,
            });
        }
    };
    let close = |i: usize, from: SimTime, origin: usize, to: SimTime, out: &mut Vec<Outage>| {
        close_with(i, from, origin, to, Fault::Crash, out)
    };
    let change_origin = n_comp + n_groups;
    let loss_origin = change_origin + changes.len();
    let mut one = [0usize];
    for tr in trace.iter().filter(|t| t.at < horizon) {
        let (touched, origin): (&[usize], usize) = match tr.entity {
            Entity::Instance(i) => {
                own_down[i as usize] = !tr.up;
                one[0] = i as usize;
                (&one, inst[i as usize].0)
            }
            Entity::Group(g) => {
                group_down[g as usize] = !tr.up;
                (&members[g as usize], n_comp + g as usize)
            }
            Entity::Change(k) => {
                let k = k as usize;
                change_down[k] = !tr.up;
                let effect = changes[k].effect;
                if effect == Fault::Crash {
                    (&change_members[k], change_origin + k)
                } else {
                    if tr.up {
                        for &i in &change_members[k] {
                            close_with(
                                i,
                                change_from[k],
                                change_origin + k,
                                tr.at,
                                effect,
                                &mut out,
                            );
                        }
                    } else {
                        change_from[k] = tr.at;
                    }
                    (&[], 0)
                }
            }
            Entity::DataLoss(k) => {
                loss_down[k as usize] = !tr.up;
                (&losses[k as usize], loss_origin + k as usize)
            }
        };
        for &i in touched {
            let down = own_down[i]
                || in_groups[i].iter().any(|&g| group_down[g])
                || in_changes[i].iter().any(|&k| change_down[k])
                || in_losses[i].iter().any(|&k| loss_down[k]);
            match (down, open[i]) {
                (true, None) => open[i] = Some((tr.at, origin)),
                (false, Some((from, o))) => {
                    close(i, from, o, tr.at, &mut out);
                    open[i] = None;
                }
                _ => {}
            }
        }
    }
    for (i, o) in open.iter().enumerate() {
        if let Some((from, origin)) = *o {
            close(i, from, origin, horizon, &mut out);
        }
    }
    for (k, ch) in changes.iter().enumerate() {
        if change_down[k] && ch.effect != Fault::Crash {
            for &i in &change_members[k] {
                close_with(
                    i,
                    change_from[k],
                    change_origin + k,
                    horizon,
                    ch.effect,
                    &mut out,
                );
            }
        }
    }
    out.sort_by_key(|o| (o.from, o.comp, o.inst));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::availability::AvailabilityConfig;
    use crate::model::Model;

    /// A group failure overlapping an instance's own failure gives one
    /// outage, from the first to the last, blamed on what came first.
    #[test]
    fn overlapping_group_and_own_failures_merge() {
        let text = r#"
[groups.n]
failure = { dist = "exponential", mean = "10h" }
repair = { dist = "exponential", mean = "1h" }
[components.app]
instances = 2
placement = ["n"]
failure = { dist = "exponential", mean = "10h" }
repair = { dist = "exponential", mean = "1h" }
"#;
        let model = Model::parse(text, "t.toml").expect("valid model");
        let sim = AvailabilitySim::new(
            &model,
            AvailabilityConfig {
                horizon: SimTime(100 * SimTime::HOUR.0),
                grid_points: 1,
            },
        );
        let h = SimTime::HOUR;
        let tr = |t: u64, entity, up| Transition {
            at: SimTime(t * h.0),
            entity,
            up,
        };
        let trace = [
            tr(1, Entity::Instance(0), false),
            tr(2, Entity::Group(0), false),
            tr(3, Entity::Instance(0), true),
            tr(4, Entity::Group(0), true),
        ];
        let o = outages(&sim, &trace, SimTime(10 * h.0));
        assert_eq!(o.len(), 2, "{o:?}");
        assert_eq!(
            (o[0].inst, o[0].from, o[0].to, o[0].origin),
            (0, SimTime(h.0), SimTime(4 * h.0), 0)
        );
        assert_eq!(
            (o[1].inst, o[1].from, o[1].to, o[1].origin),
            (1, SimTime(2 * h.0), SimTime(4 * h.0), 1)
        );
    }
}
