//! The service's availability from its structure when that is not a plain
//! series of required components (`[service]`, `depends_on = { any = ... }`),
//! and its minimal cut sets.
//!
//! Each required component is a block that works with its own closed-form
//! availability p_c (k of n, database), independently of the others. The
//! structure is expanded into a tree from the service down (a component is
//! `all(itself, its dependency expression)`); where a component appears more
//! than once in the tree (a database both regions need) the tree is
//! conditioned on it, P = p·P(φ | up) + (1-p)·P(φ | down) (pivotal
//! decomposition), so that every remaining leaf appears once and the tree's
//! probability follows bottom-up: a product for `all`, 1 - Π(1-p) for `any`,
//! the Poisson-binomial tail for `k_of`. Exact under independence, without
//! binary decision diagrams, for any structure with up to 20 shared blocks.

use crate::model::{Model, Structure};
use crate::topology::Topology;

/// The expanded structure: leaves are components' own blocks.
enum Node {
    Var(usize),
    All(Vec<Node>),
    Any(Vec<Node>),
    KOf(usize, Vec<Node>),
}

/// Expansion stops beyond this many tree nodes (a deep shared graph).
const MAX_NODES: usize = 200_000;
/// At most this many shared blocks are conditioned on (2^n trees).
const MAX_SHARED: usize = 20;

fn expand_component(model: &Model, c: usize, budget: &mut usize) -> Option<Node> {
    *budget = budget.checked_sub(1)?;
    let comp = &model.components[c];
    let deps = match &comp.requires {
        Some(s) => expand(model, s, budget)?,
        None => Node::All(
            comp.depends_on
                .iter()
                .map(|&d| expand_component(model, d, budget))
                .collect::<Option<_>>()?,
        ),
    };
    Some(Node::All(vec![Node::Var(c), deps]))
}

fn expand(model: &Model, s: &Structure, budget: &mut usize) -> Option<Node> {
    *budget = budget.checked_sub(1)?;
    let list = |m: &[Structure], budget: &mut usize| {
        m.iter()
            .map(|x| expand(model, x, budget))
            .collect::<Option<Vec<_>>>()
    };
    Some(match s {
        Structure::Component(c) => expand_component(model, *c, budget)?,
        Structure::All(m) => Node::All(list(m, budget)?),
        Structure::Any(m, _) => Node::Any(list(m, budget)?),
        Structure::KOf(k, m) => Node::KOf(*k, list(m, budget)?),
    })
}

fn count(node: &Node, counts: &mut [usize]) {
    match node {
        Node::Var(c) => counts[*c] += 1,
        Node::All(m) | Node::Any(m) | Node::KOf(_, m) => m.iter().for_each(|x| count(x, counts)),
    }
}

fn prob(node: &Node, p: &[f64]) -> f64 {
    match node {
        Node::Var(c) => p[*c],
        Node::All(m) => m.iter().map(|x| prob(x, p)).product(),
        Node::Any(m) => 1.0 - m.iter().map(|x| 1.0 - prob(x, p)).product::<f64>(),
        Node::KOf(k, m) => {
            let ps: Vec<f64> = m.iter().map(|x| prob(x, p)).collect();
            super::at_least(*k, &ps)
        }
    }
}

/// P(service up) when each component's own block works independently with
/// probability `own[c]`; `None` when the structure is too large to expand.
pub fn service_probability(model: &Model, own: &[f64]) -> Option<f64> {
    let mut budget = MAX_NODES;
    let root = match &model.service {
        Some(s) => expand(model, s, &mut budget)?,
        None => Node::All(
            model
                .entry_components()
                .into_iter()
                .map(|e| expand_component(model, e, &mut budget))
                .collect::<Option<_>>()?,
        ),
    };
    let mut counts = vec![0; model.components.len()];
    count(&root, &mut counts);
    let shared: Vec<usize> = (0..counts.len())
        .filter(|&c| counts[c] > 1 && own[c] > 0.0 && own[c] < 1.0)
        .collect();
    if shared.len() > MAX_SHARED {
        return None;
    }
    let mut p = own.to_vec();
    let mut total = 0.0;
    for mask in 0u64..1 << shared.len() {
        let mut weight = 1.0;
        for (bit, &c) in shared.iter().enumerate() {
            let up = mask >> bit & 1 == 1;
            p[c] = if up { 1.0 } else { 0.0 };
            weight *= if up { own[c] } else { 1.0 - own[c] };
        }
        if weight > 0.0 {
            total += weight * prob(&root, &p);
        }
    }
    Some(total.clamp(0.0, 1.0))
}

/// The minimal cut sets of up to `max_order` components: sets of required
/// components that can fail (`can_fail[c]`) whose own blocks down, all else
/// up, take the service down, with no smaller such set inside them. In
/// order of size, then of component index.
pub fn minimal_cut_sets(
    model: &Model,
    topo: &Topology,
    can_fail: &[bool],
    max_order: usize,
) -> Vec<Vec<usize>> {
    let n = model.components.len();
    let vars: Vec<usize> = (0..n).filter(|&c| can_fail[c]).collect();
    let mut own = vec![true; n];
    let mut functional = vec![true; n];
    let mut cuts: Vec<Vec<usize>> = Vec::new();
    let mut set: Vec<usize> = Vec::new();
    for order in 1..=max_order.min(vars.len()) {
        let mut idx: Vec<usize> = (0..order).collect();
        loop {
            set.clear();
            set.extend(idx.iter().map(|&i| vars[i]));
            let contains_cut = cuts.iter().any(|cut| cut.iter().all(|c| set.contains(c)));
            if !contains_cut {
                set.iter().for_each(|&c| own[c] = false);
                topo.evaluate(&own, &mut functional);
                if !topo.service_up(&functional) {
                    cuts.push(set.clone());
                }
                set.iter().for_each(|&c| own[c] = true);
            }
            // Next combination of `order` out of vars.len().
            let Some(i) = (0..order).rev().find(|&i| idx[i] < vars.len() - order + i) else {
                break;
            };
            idx[i] += 1;
            for j in i + 1..order {
                idx[j] = idx[j - 1] + 1;
            }
        }
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXP: &str = "failure = { dist = \"exponential\", mean = \"10h\" }\n\
                       repair = { dist = \"exponential\", mean = \"1h\" }\n";

    fn model(text: &str) -> Model {
        Model::parse(text, "t.toml").expect("valid model")
    }

    #[test]
    fn bridge_is_solved_by_conditioning() {
        // Two regions, each needs its own app and either database: the
        // databases are shared leaves (a bridge-like structure).
        let m = model(&format!(
            "[service]\nany = [\"east\", \"west\"]\n\
             [components.east]\ndepends_on = {{ any = [\"db1\", \"db2\"] }}\n{EXP}\
             [components.west]\ndepends_on = {{ any = [\"db2\", \"db1\"] }}\n{EXP}\
             [components.db1]\n{EXP}[components.db2]\n{EXP}"
        ));
        let a: f64 = 10.0 / 11.0;
        let own = vec![a; 4];
        let got = service_probability(&m, &own).unwrap();
        // (1 - (1-a)^2) for the regions times (1 - (1-a)^2) for the databases.
        let want = (1.0 - (1.0 - a).powi(2)) * (1.0 - (1.0 - a).powi(2));
        assert!((got - want).abs() < 1e-14, "{got} vs {want}");
        let topo = Topology::new(&m);
        let cuts = minimal_cut_sets(&m, &topo, &[true; 4], 3);
        assert_eq!(cuts, vec![vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn k_of_components_is_the_binomial_tail() {
        let m = model(&format!(
            "[service]\nk_of = 2\nof = [\"a\", \"b\", \"c\"]\n\
             [components.a]\n{EXP}[components.b]\n{EXP}[components.c]\n{EXP}"
        ));
        let (pa, pb, pc) = (0.9, 0.8, 0.7);
        let got = service_probability(&m, &[pa, pb, pc]).unwrap();
        let want = pa * pb + pa * pc + pb * pc - 2.0 * pa * pb * pc;
        assert!((got - want).abs() < 1e-14);
    }
}
