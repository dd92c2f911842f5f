//! Reading a network partition: `fault = "partition"` between a target and
//! a `peer`, each a component (optionally one `instance` of the target) or
//! a common-cause group (every instance placed on it or on a group within
//! it), with `mode = "drop"` (packets vanish: callers time out, the
//! default) or `mode = "refuse"` (connections are refused at once).

use super::error::{Diagnostics, suggest};
use super::read::{Names, resolve};
use super::reader::{Located, TableReader};
use super::{Component, Group};
use crate::scenario::{Fault, FaultSpec};

/// The partition modes accepted in model files.
pub const MODES: &[&str] = &["drop", "refuse"];

/// Every instance placed on `group` or on a group within it, as
/// (component, instance).
pub(super) fn instances_on(
    group: usize,
    components: &[Component],
    groups: &[Group],
) -> Vec<(usize, u32)> {
    // At most one step per group: a cycle of 'within' (reported elsewhere)
    // must not loop here.
    let within = |mut g: Option<usize>| {
        for _ in 0..=groups.len() {
            let Some(x) = g else { break };
            if x == group {
                return true;
            }
            g = groups[x].within;
        }
        false
    };
    components
        .iter()
        .enumerate()
        .flat_map(|(c, comp)| {
            (0..comp.instances)
                .filter(move |&i| within(comp.group_of(i as usize)))
                .map(move |i| (c, i))
        })
        .collect()
}

/// One side of a partition: (component, one instance or all).
type Side = (usize, Option<u32>);

/// The sides a name stands for: a component (all instances, or `instance`)
/// or a group's instances; reports a group with nothing placed on it.
fn sides(
    name: &Located<String>,
    instance: Option<u32>,
    names: &Names,
    components: &[Component],
    groups: &[Group],
    path: &str,
    diags: &mut Diagnostics,
) -> Option<Vec<Side>> {
    if let Some(c) = names.components.iter().position(|n| *n == name.value) {
        return Some(vec![(c, instance)]);
    }
    if let Some(g) = names.groups.iter().position(|n| *n == name.value) {
        let list: Vec<Side> = instances_on(g, components, groups)
            .into_iter()
            .map(|(c, i)| (c, Some(i)))
            .collect();
        if list.is_empty() {
            diags.error(
                name.span.clone(),
                format!("'{path}': no instance is placed on group '{}'", name.value),
            );
            return None;
        }
        return Some(list);
    }
    let mut known = names.components.clone();
    known.extend(names.groups.iter().cloned());
    resolve(name, &known, "component or group", diags);
    None
}

/// Reads a partition event; `target` is the event's target name.
pub(super) fn read(
    et: &mut TableReader,
    target: Option<&Located<String>>,
    names: &Names,
    components: &[Component],
    groups: &[Group],
    diags: &mut Diagnostics,
) -> Option<Vec<FaultSpec>> {
    let duration = et.duration("duration", diags).map(|d| d.value);
    let instance = et.u32("instance", diags);
    let peer = et.str("peer", diags);
    if peer.is_none() && !et.has("peer") {
        et.missing("peer", diags, "\"db\" (a component or a group)");
    }
    let refuse = match et.str("mode", diags) {
        None => false,
        Some(m) if m.value == "drop" => false,
        Some(m) if m.value == "refuse" => true,
        Some(m) => {
            let hint = suggest(&m.value, MODES.iter().copied())
                .or_else(|| Some(format!("modes: {}", MODES.join(", "))));
            diags.error_hint(
                m.span,
                format!("unknown partition mode '{}'", m.value),
                hint,
            );
            return None;
        }
    };
    let path = et.path.clone();
    let target = target?;
    if let Some(i) = &instance {
        match names.components.iter().position(|n| *n == target.value) {
            Some(c) if i.value >= components[c].instances => {
                diags.error(
                    i.span.clone(),
                    format!(
                        "'{}' has {} instances; instance {} does not exist",
                        components[c].id, components[c].instances, i.value
                    ),
                );
                return None;
            }
            Some(_) => {}
            None => {
                diags.error(
                    i.span.clone(),
                    format!("'{path}': 'instance' applies to a component target"),
                );
                return None;
            }
        }
    }
    let a = sides(
        target,
        instance.map(|i| i.value),
        names,
        components,
        groups,
        &path,
        diags,
    );
    let b = sides(&peer?, None, names, components, groups, &path, diags)?;
    let a = a?;
    let mut specs = Vec::with_capacity(a.len() * b.len());
    for &(tc, ti) in &a {
        // Instances of one component never call each other: no cut there.
        for &(pc, pi) in b.iter().filter(|(pc, _)| *pc != tc) {
            specs.push(FaultSpec {
                fault: Fault::Partition {
                    peer: pc,
                    peer_instance: pi,
                    refuse,
                },
                target: tc,
                instance: ti,
                duration,
                group: None,
            });
        }
    }
    if specs.is_empty() {
        diags.error_hint(
            et.span_of("peer"),
            format!(
                "'{path}' partitions '{}' from itself: instances of one component never call \
                 each other, so nothing would be cut",
                target.value
            ),
            Some("give as peer a component (or group) the target calls or is called by".into()),
        );
        return None;
    }
    Some(specs)
}
