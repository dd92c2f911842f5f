//! What a component does with a request once its own work is done: the
//! calls to its dependencies, in order, for reads and for writes. Compiled
//! once per model from the dependency graph and the components' kinds.
//!
//! Reads: a cache is asked first; on a hit the database read is skipped
//! (cache-aside), and a cache with a key space is filled after a miss. Writes: the database primary first, then the cache entry is
//! invalidated. Any other dependency is called in the order listed.

use crate::model::resilience::CallPolicy;
use crate::model::{ComponentKind, Model};

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
    /// or [`NO_EDGE`].
    pub edge: u16,
}

/// A step with no caller-side policy.
pub const NO_EDGE: u16 = u16::MAX;

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
            let deps: Vec<(usize, bool)> = c
                .depends_on
                .iter()
                .map(|&d| (d, false))
                .chain(c.soft_depends_on.iter().map(|&d| (d, true)))
                .collect();
            let kind_of = |d: usize| model.components[d].kind;
            let step = |d: usize, soft: bool, kind: StepKind| Step {
                dep: d as u16,
                soft,
                kind,
                edge: edge_index(model, ci, d),
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
            Plan { read, write }
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
            });
        }
    }
    Plan {
        read: steps.clone(),
        write: steps,
    }
}
