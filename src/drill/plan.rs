//! What a component does with a request once its own work is done: the
//! calls to its dependencies, in order, for reads and for writes. Compiled
//! once per model from the dependency graph and the components' kinds.
//!
//! Reads: a cache is asked first; on a hit the database read is skipped
//! (cache-aside), and a cache with a key space is filled after a miss. Writes: the database primary first, then the cache entry is
//! invalidated. Any other dependency is called in the order listed.
//!
//! An `any` of components in a dependency expression (`depends_on = { any =
//! ["east", "west"] }`, alone or as a member of an `all`) is one step, a
//! [`Choice`]: each try goes to one member, picked when it is sent by the
//! caller's `pick` among the members its health checks see working
//! (`calls.rs::choose`). Other expressions (`k_of`, nesting) call every
//! component they name, as a plain list does.

use crate::model::resilience::CallPolicy;
use crate::model::{ComponentKind, Model, Pick, Structure};

/// The `any` lists of components in a dependency expression: the whole
/// expression, or members of a top-level `all`.
fn choices_of(requires: Option<&Structure>) -> Vec<Choice> {
    let any = |s: &Structure| match s {
        Structure::Any(m, pick) => m
            .iter()
            .map(|x| match x {
                Structure::Component(c) => Some(*c as u16),
                _ => None,
            })
            .collect::<Option<Vec<u16>>>()
            .map(|members| Choice {
                members,
                pick: *pick,
            }),
        _ => None,
    };
    match requires {
        Some(Structure::All(m)) => m.iter().filter_map(any).collect(),
        Some(s) => any(s).into_iter().collect(),
        None => Vec::new(),
    }
}

/// What one step of a plan does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// An ordinary call.
    Call,
    /// A cache lookup; a hit skips the following database reads.
    CacheRead,
    /// A read, served by a replica (or the primary when there is none).
    DbRead,
    /// A write, served by the primary.
    DbWrite,
    /// A cache invalidation (or update) after a write.
    CacheInvalidate,
    /// A cache fill (`SET`) after a miss; only for caches with a key space.
    CacheFill,
    /// A name lookup, skipped while the client's cached answer is fresh.
    Dns,
}

/// One call a component makes while serving a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The component called.
    pub dep: u16,
    /// A soft dependency: its failure degrades, it does not fail the request.
    pub soft: bool,
    /// What the call is.
    pub kind: StepKind,
    /// The caller's policy on this edge: an index into [`edge_policies`],
    /// or [`NO_EDGE`]. For a choice, its policy on the first member.
    pub edge: u16,
    /// A failover choice: an index into [`Plan::choices`] (`dep` is then its
    /// first member), or [`NO_CHOICE`].
    pub choice: u16,
}

/// A step with no caller-side policy.
pub const NO_EDGE: u16 = u16::MAX;
/// A step to one component, not a choice.
pub const NO_CHOICE: u16 = u16::MAX;

/// The members of an `any` dependency and how the caller picks among them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The components, in the order listed.
    pub members: Vec<u16>,
    /// Primary first, or spread.
    pub pick: Pick,
}

/// Every edge policy of the model, flattened in component order; a step's
/// `edge` indexes this list.
pub fn edge_policies(model: &Model) -> Vec<&CallPolicy> {
    model
        .components
        .iter()
        .flat_map(|c| c.calls.iter().map(|(_, p)| p))
        .collect()
}

/// The index in [`edge_policies`] of the policy of `caller` on `dep`.
fn edge_index(model: &Model, caller: usize, dep: usize) -> u16 {
    let before: usize = model.components[..caller]
        .iter()
        .map(|c| c.calls.len())
        .sum();
    model.components[caller]
        .calls
        .iter()
        .position(|(d, _)| *d == dep)
        .map_or(NO_EDGE, |i| (before + i) as u16)
}

/// The read and write plans of one component.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Steps for a read request.
    pub read: Vec<Step>,
    /// Steps for a write request.
    pub write: Vec<Step>,
    /// The failover choices its steps refer to.
    pub choices: Vec<Choice>,
}

impl Plan {
    /// The steps for a request of this type.
    #[inline]
    pub fn steps(&self, is_read: bool) -> &[Step] {
        if is_read { &self.read } else { &self.write }
    }
}

/// Compiles the plan of every component.
pub fn compile(model: &Model) -> Vec<Plan> {
    model
        .components
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let choices = choices_of(c.requires.as_ref());
            // A choice stands in its first member's place; the others are
            // reached only through it.
            let in_choice = |d: usize| {
                choices
                    .iter()
                    .position(|ch| ch.members.contains(&(d as u16)))
            };
            let deps: Vec<(usize, bool)> = c
                .depends_on
                .iter()
                .filter(|&&d| in_choice(d).is_none_or(|k| choices[k].members[0] as usize == d))
                .map(|&d| (d, false))
                .chain(c.soft_depends_on.iter().map(|&d| (d, true)))
                .collect();
            let kind_of = |d: usize| model.components[d].kind;
            let step = |d: usize, soft: bool, kind: StepKind| Step {
                dep: d as u16,
                soft,
                kind,
                edge: edge_index(model, ci, d),
                choice: if soft {
                    NO_CHOICE
                } else {
                    in_choice(d).map_or(NO_CHOICE, |k| k as u16)
                },
            };
            let mut read: Vec<Step> = Vec::new();
            // Caches first so that a hit can skip the database.
            for &(d, soft) in deps
                .iter()
                .filter(|(d, _)| kind_of(*d) == ComponentKind::Cache)
            {
                read.push(step(d, soft, StepKind::CacheRead));
            }
            for &(d, soft) in deps
                .iter()
                .filter(|(d, _)| kind_of(*d) != ComponentKind::Cache)
            {
                let kind = if kind_of(d) == ComponentKind::Database {
                    StepKind::DbRead
                } else {
                    StepKind::Call
                };
                read.push(step(d, soft, kind));
            }
            // Cache-aside: a miss fills the entry once the reads are done.
            for &(d, soft) in deps.iter().filter(|(d, _)| {
                kind_of(*d) == ComponentKind::Cache
                    && model.components[*d].serving.keyspace.is_some()
            }) {
                read.push(step(d, soft, StepKind::CacheFill));
            }
            let mut write: Vec<Step> = Vec::new();
            for &(d, soft) in deps
                .iter()
                .filter(|(d, _)| kind_of(*d) != ComponentKind::Cache)
            {
                let kind = if kind_of(d) == ComponentKind::Database {
                    StepKind::DbWrite
                } else {
                    StepKind::Call
                };
                write.push(step(d, soft, kind));
            }
            for &(d, soft) in deps
                .iter()
                .filter(|(d, _)| kind_of(*d) == ComponentKind::Cache)
            {
                write.push(step(d, soft, StepKind::CacheInvalidate));
            }
            Plan {
                read,
                write,
                choices,
            }
        })
        .collect()
}

/// The client's plan: resolve the name (if the model has DNS), then call
/// each front-door component (entries that are not DNS).
pub fn client_plan(model: &Model) -> Plan {
    let mut steps = Vec::new();
    let entries = model.entry_components();
    for &e in &entries {
        if model.components[e].kind == ComponentKind::Dns {
            steps.push(Step {
                dep: e as u16,
                soft: false,
                kind: StepKind::Dns,
                edge: NO_EDGE,
                choice: NO_CHOICE,
            });
        }
    }
    for &e in &entries {
        if model.components[e].kind != ComponentKind::Dns {
            steps.push(Step {
                dep: e as u16,
                soft: false,
                kind: StepKind::Call,
                edge: NO_EDGE,
                choice: NO_CHOICE,
            });
        }
    }
    Plan {
        read: steps.clone(),
        write: steps,
        choices: Vec::new(),
    }
}
