//! Which instances and groups the service's failure process depends on:
//! the failing instances of required components, the failing groups they
//! sit in, and whatever shares a repair crew with those (it delays their
//! repairs). The exact chain and the importance sampler both build their
//! state from this set.

use crate::model::Model;

/// The model's instances numbered flat, and which of them and of the groups
/// matter to the service.
pub struct Relevant {
    /// Every instance as (component, instance), component by component.
    pub flat: Vec<(usize, usize)>,
    /// Index in `flat` of each component's first instance, then the total.
    pub first_instance: Vec<usize>,
    /// Per flat instance: it fails (has a reliability) and matters.
    pub instance: Vec<bool>,
    /// Per group: it fails and matters.
    pub group: Vec<bool>,
}

impl Relevant {
    /// The relevant set of `model` given its `required` components
    /// ([`super::Topology::required`]).
    pub fn of(model: &Model, required: &[bool]) -> Relevant {
        let mut first_instance = Vec::new();
        let mut flat = Vec::new();
        for (c, comp) in model.components.iter().enumerate() {
            first_instance.push(flat.len());
            flat.extend((0..comp.instances).map(|i| (c, i as usize)));
        }
        first_instance.push(flat.len());
        let mut instance = vec![false; flat.len()];
        let mut group = vec![false; model.groups.len()];
        for (f, &(c, i)) in flat.iter().enumerate() {
            if required[c] {
                instance[f] = model.components[c].reliability.is_some();
                for g in group_chain(model, c, i) {
                    group[g] |= model.groups[g].reliability.is_some();
                }
            }
        }
        let mut crew = vec![false; model.crews.len()];
        for (f, &(c, _)) in flat.iter().enumerate() {
            if let (true, Some(k)) = (instance[f], model.components[c].crew) {
                crew[k] = true;
            }
        }
        for (g, grp) in model.groups.iter().enumerate() {
            if let (true, Some(k)) = (group[g], grp.crew) {
                crew[k] = true;
            }
        }
        for (f, &(c, _)) in flat.iter().enumerate() {
            let comp = &model.components[c];
            instance[f] |= comp.reliability.is_some() && comp.crew.is_some_and(|k| crew[k]);
        }
        for (g, grp) in model.groups.iter().enumerate() {
            group[g] |= grp.reliability.is_some() && grp.crew.is_some_and(|k| crew[k]);
        }
        Relevant {
            flat,
            first_instance,
            instance,
            group,
        }
    }
}

/// The groups instance `i` of component `c` sits in, innermost first
/// (its group, then the groups that group is `within`).
pub fn group_chain(model: &Model, c: usize, i: usize) -> Vec<usize> {
    let mut gs = Vec::new();
    let mut g = model.components[c].group_of(i);
    while let Some(x) = g {
        gs.push(x);
        g = model.groups[x].within;
    }
    gs
}
