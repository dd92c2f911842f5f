//! The dependency graph (petgraph) and the structure function: given which
//! components work on their own, which does the whole service?
//!
//! A component *functions* when enough of its own instances are up (k of n,
//! or a served primary for a database) and its hard dependencies function:
//! every one, or what its dependency expression asks (`depends_on = { any =
//! [...] }`, [`crate::model::structure`]). The service is up when the
//! `[service]` expression holds, or without one when every entry component
//! (one nothing depends on) functions. Soft dependencies degrade a component
//! but do not take it down.

pub mod relevant;

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::model::{Component, Model, Structure};

/// The dependency graph of a valid (acyclic) model.
#[derive(Clone, Debug)]
pub struct Topology {
    /// Component indices with every dependency before its dependents.
    order: Vec<usize>,
    /// Hard dependencies per component.
    deps: Vec<Vec<usize>>,
    /// Per component, what of its dependencies it needs (`None`: all).
    requires: Vec<Option<Structure>>,
    /// The components that make up the service.
    entries: Vec<usize>,
    /// The service's up-condition, when the model gives one.
    service: Option<Structure>,
}

fn graph(components: &[Component]) -> DiGraph<usize, ()> {
    let mut g = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..components.len()).map(|i| g.add_node(i)).collect();
    for (i, c) in components.iter().enumerate() {
        for &d in &c.depends_on {
            g.add_edge(nodes[i], nodes[d], ());
        }
    }
    g
}

/// Every dependency cycle, each as the list of components along it, in
/// file order of its first member.
pub fn dependency_cycles(components: &[Component]) -> Vec<Vec<usize>> {
    let g = graph(components);
    let mut cycles: Vec<Vec<usize>> = tarjan_scc(&g)
        .into_iter()
        .filter(|scc| scc.len() > 1)
        .map(|scc| {
            let members: Vec<usize> = scc.iter().map(|n| g[*n]).collect();
            cycle_through(components, &members)
        })
        .collect();
    cycles.sort();
    cycles
}

/// A cycle inside a strongly connected set, starting at its lowest index.
fn cycle_through(components: &[Component], members: &[usize]) -> Vec<usize> {
    let start = *members.iter().min().expect("non-empty scc");
    let mut path = vec![start];
    let mut cur = start;
    loop {
        let next = components[cur]
            .depends_on
            .iter()
            .copied()
            .filter(|d| members.contains(d))
            .min()
            .expect("every scc member has an edge inside the scc");
        if let Some(pos) = path.iter().position(|&p| p == next) {
            return path.split_off(pos);
        }
        path.push(next);
        cur = next;
    }
}

impl Topology {
    /// Builds the topology of a validated model.
    pub fn new(model: &Model) -> Topology {
        let g = graph(&model.components);
        let mut order: Vec<usize> = toposort(&g, None)
            .expect("validated models are acyclic")
            .into_iter()
            .map(|n| g[n])
            .collect();
        // toposort puts dependents first; we evaluate dependencies first.
        order.reverse();
        Topology {
            order,
            deps: model
                .components
                .iter()
                .map(|c| c.depends_on.clone())
                .collect(),
            requires: model
                .components
                .iter()
                .map(|c| c.requires.clone())
                .collect(),
            entries: match &model.service {
                Some(s) => s.components(),
                None => model.entry_components(),
            },
            service: model.service.clone(),
        }
    }

    /// True when some expression says other than "all of them": the
    /// service is then not a plain product over its required components.
    pub fn has_structure(&self) -> bool {
        self.service.is_some() || self.requires.iter().any(Option::is_some)
    }

    /// The components that make up the service: those its `[service]`
    /// expression names, or those nothing depends on.
    pub fn entries(&self) -> &[usize] {
        &self.entries
    }

    /// Components ordered so that every dependency comes first.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// Which components the service needs: those reachable from the entries
    /// through hard dependencies.
    pub fn required(&self) -> Vec<bool> {
        let mut required = vec![false; self.deps.len()];
        let mut stack: Vec<usize> = self.entries.clone();
        while let Some(c) = stack.pop() {
            if !required[c] {
                required[c] = true;
                stack.extend(self.deps[c].iter().copied());
            }
        }
        required
    }

    /// Fills `functional[c]` from `own_ok[c]` (enough own instances up).
    pub fn evaluate(&self, own_ok: &[bool], functional: &mut [bool]) {
        for &c in &self.order {
            functional[c] = own_ok[c]
                && match &self.requires[c] {
                    None => self.deps[c].iter().all(|&d| functional[d]),
                    Some(s) => s.eval(&|d| functional[d]),
                };
        }
    }

    /// True when the service's expression holds (without one: every entry
    /// component functions).
    pub fn service_up(&self, functional: &[bool]) -> bool {
        match &self.service {
            Some(s) => s.eval(&|c| functional[c]),
            None => self.entries.iter().all(|&e| functional[e]),
        }
    }

    /// The service's up-condition in words, when the model gives one.
    pub fn describe_service(&self, model: &Model) -> Option<String> {
        let name = |c: usize| model.components[c].id.clone();
        self.service.as_ref().map(|s| s.describe(&name))
    }

    /// The dependency tree as indented text, one line per edge walk from
    /// each entry, for `resim check`.
    pub fn render(&self, model: &Model) -> String {
        let mut out = String::new();
        if let Some(s) = self.describe_service(model) {
            out.push_str(&format!("service: up while {s}\n"));
        }
        for &e in &self.entries {
            render_node(model, e, 0, &mut out);
        }
        out
    }
}

fn render_node(model: &Model, c: usize, depth: usize, out: &mut String) {
    let comp = &model.components[c];
    let kofn = if comp.failover.is_some() {
        format!("primary + {} replicas", comp.instances - 1)
    } else {
        format!("{} of {}", comp.min_up, comp.instances)
    };
    out.push_str(&format!(
        "{}{} [{}, {}]\n",
        "  ".repeat(depth),
        comp.id,
        comp.kind.name(),
        kofn
    ));
    if let Some(r) = &comp.requires {
        let name = |c: usize| model.components[c].id.clone();
        out.push_str(&format!(
            "{}needs {}\n",
            "  ".repeat(depth + 1),
            r.describe(&name)
        ));
    }
    for &d in &comp.depends_on {
        render_node(model, d, depth + 1, out);
    }
    for &d in &comp.soft_depends_on {
        out.push_str(&format!(
            "{}(soft) {}\n",
            "  ".repeat(depth + 1),
            model.components[d].id
        ));
    }
}
