//! Availability from theory, for `resim check`: a closed form where the
//! structure allows, and the exact Markov figure ([`markov`]) when every time
//! is exponential and the chain is small.
//!
//! The closed form, per component:
//! - instance availability a = MTTF/(MTTF+MTTR) from the distribution means:
//!   the long-run fraction of time up of an alternating renewal process, valid
//!   for any distributions; times the availability of each group it sits in
//!   (as if groups failed independently of everything else);
//! - k of n by the binomial sum (Poisson-binomial when instances differ);
//! - a database, approximately, as 1 - [Π(1-a_i) + f·E\[failover\]·(1-(1-a)^(n-1))]
//!   where f = a/MTTF is the rate of primary failures and the last factor is
//!   the chance a replica is there to promote.
//!
//! The service is the product over the required components (reachable from
//! the entries through hard dependencies). That assumes components fail
//! independently: a common-cause group holding several required instances,
//! or a crew too small for what it repairs, makes it only the independent
//! approximation, and the report says so.

pub mod load;
pub mod markov;
mod render;
pub mod structure;

use crate::availability::summary::{MINUTES_PER_YEAR, nines};
use crate::model::{Dist, Model, Reliability};
use crate::topology::Topology;

pub use markov::{MarkovAvailability, NotMarkov};

/// An availability with its nines and yearly downtime.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Figure {
    /// Long-run availability, in [0, 1].
    pub availability: f64,
    /// -log10(1 - availability); infinite at 1.
    pub nines: f64,
    /// (1 - availability) over a year of 8760 h [min/year].
    pub downtime_minutes_per_year: f64,
}

impl Figure {
    /// The figure of availability `a`.
    pub fn of(a: f64) -> Figure {
        let a = a.clamp(0.0, 1.0);
        Figure {
            availability: a,
            nines: nines(a),
            downtime_minutes_per_year: (1.0 - a) * MINUTES_PER_YEAR,
        }
    }
}

/// How a component's figure was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// No instance or group of it ever fails.
    NeverFails,
    /// k of n up, by the binomial sum (exact for independent instances).
    KOfN,
    /// Primary/replica failover: approximate.
    DatabaseApprox,
}

/// One component's closed-form figure (its own instances only, not its
/// dependencies).
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentAnalysis {
    /// Its id.
    pub id: String,
    /// Whether the service needs it (reachable from an entry by hard deps).
    pub required: bool,
    /// What must hold, e.g. `2 of 3` or `primary + 1 replica`.
    pub rule: String,
    /// Per instance: a = MTTF/(MTTF+MTTR) times its groups' availabilities.
    pub instance_availability: Vec<f64>,
    /// How the figure was obtained.
    pub method: Method,
    /// The component's own availability.
    pub figure: Figure,
}

/// The closed-form analysis of a model, with the exact Markov figure where possible.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    /// Per component, in model order.
    pub components: Vec<ComponentAnalysis>,
    /// The product over required components (the independent approximation),
    /// or with a structure the probability that it holds with independent
    /// components ([`structure`]).
    pub service: Figure,
    /// The service's up-condition in words, when not every required
    /// component is needed (`[service]` or a `depends_on` expression).
    pub structure: Option<String>,
    /// With a structure: its minimal cut sets of up to 3 components.
    pub cut_sets: Vec<Vec<String>>,
    /// True when the product is exact in the long run: no replicated
    /// database, no group holding two required instances, no crew that can be
    /// short, no instances kept in step by fixed times.
    pub product_is_exact: bool,
    /// Why the product is only approximate, one line each.
    pub caveats: Vec<String>,
    /// The exact figures from the Markov chain, or why there are none.
    pub exact: Result<MarkovAvailability, NotMarkov>,
}

fn availability_of(rel: Option<&Reliability>) -> f64 {
    rel.map_or(1.0, |r| {
        let (f, m) = (r.failure.mean_secs(), r.repair.mean_secs());
        if f + m > 0.0 { f / (f + m) } else { 1.0 }
    })
}

/// Probability that at least `k` of independent events with probabilities `p` occur.
///
/// Small counts use the exact quadratic recursion; large ones group equal
/// probabilities into binomials and convolve only the terms a double can
/// hold, so a million instances cost about as much as their count.
pub fn at_least(k: usize, p: &[f64]) -> f64 {
    if p.len() > 256 {
        return at_least_grouped(k, p);
    }
    // dist[j] = P(exactly j up among those seen so far).
    let mut dist = vec![0.0; p.len() + 1];
    dist[0] = 1.0;
    for (seen, &a) in p.iter().enumerate() {
        for j in (0..=seen + 1).rev() {
            let up = if j > 0 { dist[j - 1] * a } else { 0.0 };
            dist[j] = dist[j] * (1.0 - a) + up;
        }
    }
    dist[k.min(p.len())..].iter().sum::<f64>().clamp(0.0, 1.0)
}

/// [`at_least`] for many events: equal probabilities form binomials, whose
/// pmfs (trimmed to the non-negligible range) are convolved.
fn at_least_grouped(k: usize, p: &[f64]) -> f64 {
    let mut sorted = p.to_vec();
    sorted.sort_by(f64::total_cmp);
    // (offset, pmf): P(exactly offset + j occur) = pmf[j].
    let mut acc: (usize, Vec<f64>) = (0, vec![1.0]);
    let mut start = 0;
    while start < sorted.len() {
        let a = sorted[start].clamp(0.0, 1.0);
        let end =
            (start + sorted[start..].partition_point(|&x| x.clamp(0.0, 1.0) <= a)).max(start + 1);
        let b = binomial_pmf(end - start, a);
        let mut out = vec![0.0; acc.1.len() + b.1.len() - 1];
        for (i, &x) in acc.1.iter().enumerate() {
            for (j, &y) in b.1.iter().enumerate() {
                out[i + j] += x * y;
            }
        }
        acc = trim((acc.0 + b.0, out));
        start = end;
    }
    let (offset, pmf) = acc;
    let from = k.saturating_sub(offset).min(pmf.len());
    pmf[from..].iter().sum::<f64>().clamp(0.0, 1.0)
}

/// The pmf of Binomial(n, a) as (offset, terms), without the terms below
/// what a double holds next to the mode.
fn binomial_pmf(n: usize, a: f64) -> (usize, Vec<f64>) {
    if a <= 0.0 {
        return (0, vec![1.0]);
    }
    if a >= 1.0 {
        return (n, vec![1.0]);
    }
    let mode = (((n + 1) as f64 * a).floor() as usize).min(n);
    // ln C(n, mode) + mode ln a + (n - mode) ln(1 - a), summed term by term.
    let ln_choose: f64 = (1..=mode)
        .map(|i| ((n - mode + i) as f64 / i as f64).ln())
        .sum();
    let ln_mode = ln_choose + mode as f64 * a.ln() + (n - mode) as f64 * (1.0 - a).ln();
    let mut pmf = vec![0.0; n + 1];
    pmf[mode] = ln_mode.exp();
    let odds = a / (1.0 - a);
    for j in mode..n {
        pmf[j + 1] = pmf[j] * (n - j) as f64 / (j + 1) as f64 * odds;
        if pmf[j + 1] == 0.0 {
            break;
        }
    }
    for j in (1..=mode).rev() {
        pmf[j - 1] = pmf[j] * j as f64 / (n - j + 1) as f64 / odds;
        if pmf[j - 1] == 0.0 {
            break;
        }
    }
    trim((0, pmf))
}

/// Drops the zero terms at both ends of an (offset, pmf).
fn trim((offset, pmf): (usize, Vec<f64>)) -> (usize, Vec<f64>) {
    let lo = pmf.iter().position(|&x| x > 0.0).unwrap_or(0);
    let hi = pmf.iter().rposition(|&x| x > 0.0).map_or(lo + 1, |i| i + 1);
    (offset + lo, pmf[lo..hi].to_vec())
}

/// Analyses `model` (closed form, then the exact chain when it applies).
///
/// ```
/// let text = r#"
/// [components.web]
/// instances = 2
/// failure = { dist = "exponential", mean = "10h" }
/// repair = { dist = "exponential", mean = "1h" }
/// "#;
/// let model = resim::model::Model::parse(text, "example.toml").unwrap();
/// let a = resim::analytic::analyze(&model);
/// assert!((a.service.availability - 120.0 / 121.0).abs() < 1e-12);
/// assert!(a.render().contains("exact (Markov chain, 4 states)"));
/// ```
pub fn analyze(model: &Model) -> Analysis {
    let topo = Topology::new(model);
    let required = topo.required();
    let group_chain = |c: usize, i: usize| {
        let mut gs = Vec::new();
        let mut g = model.components[c].group_of(i);
        while let Some(x) = g {
            gs.push(x);
            g = model.groups[x].within;
        }
        gs
    };
    let group_a: Vec<f64> = model
        .groups
        .iter()
        .map(|g| availability_of(g.reliability.as_ref()))
        .collect();

    let mut caveats = Vec::new();
    let mut components = Vec::new();
    for (c, comp) in model.components.iter().enumerate() {
        let n = comp.instances as usize;
        let own = availability_of(comp.reliability.as_ref());
        let inst: Vec<f64> = (0..n)
            .map(|i| {
                own * group_chain(c, i)
                    .iter()
                    .map(|&g| group_a[g])
                    .product::<f64>()
            })
            .collect();
        let (method, a, rule) = if inst.iter().all(|&a| a >= 1.0) {
            (Method::NeverFails, 1.0, kofn_rule(comp))
        } else if let Some(f) = &comp.failover {
            let a = database_approx(model, c, &inst, f.time.mean_secs(), &group_chain);
            if required[c] && n > 1 {
                caveats.push(format!(
                    "database '{}': approximate (failover time counted once per primary failure)",
                    comp.id
                ));
            }
            (Method::DatabaseApprox, a, kofn_rule(comp))
        } else {
            let a = at_least(comp.min_up as usize, &inst);
            (Method::KOfN, a, kofn_rule(comp))
        };
        components.push(ComponentAnalysis {
            id: comp.id.clone(),
            required: required[c],
            rule,
            instance_availability: inst,
            method,
            figure: Figure::of(a),
        });
    }
    let product: f64 = components
        .iter()
        .filter(|c| c.required)
        .map(|c| c.figure.availability)
        .product();
    let (mut structure, mut cut_sets) = (None, Vec::new());
    let service = if topo.has_structure() {
        let own: Vec<f64> = components.iter().map(|c| c.figure.availability).collect();
        let can_fail: Vec<bool> = (0..own.len())
            .map(|c| required[c] && own[c] < 1.0)
            .collect();
        cut_sets = structure::minimal_cut_sets(model, &topo, &can_fail, 3)
            .into_iter()
            .map(|cut| {
                cut.iter()
                    .map(|&c| model.components[c].id.clone())
                    .collect()
            })
            .collect();
        let name = |c: usize| model.components[c].id.clone();
        structure = Some(match &model.service {
            Some(s) => s.describe(&name),
            None => "every entry component works".to_string(),
        });
        Figure::of(
            structure::service_probability(model, &own).unwrap_or_else(|| {
                caveats.push(
                    "the structure is too large to expand; the figure is the product over \
                 required components, a lower bound"
                        .into(),
                );
                product
            }),
        )
    } else {
        Figure::of(product)
    };

    common_cause_caveats(model, &required, &group_chain, &mut caveats);
    let product_is_exact = caveats.is_empty();
    Analysis {
        components,
        service,
        structure,
        cut_sets,
        product_is_exact,
        caveats,
        exact: markov::solve(model),
    }
}

/// The first `keep` items joined by commas, then how many more there are,
/// so a group holding a million instances gives a line, not a megabyte.
pub fn abbreviate(items: &[String], keep: usize) -> String {
    if items.len() <= keep {
        return items.join(", ");
    }
    format!(
        "{}, ... and {} more",
        items[..keep].join(", "),
        items.len() - keep
    )
}

/// Constant and empirical times take values on a grid, so cycles can stay in phase.
fn is_lattice(d: &Dist) -> bool {
    matches!(d, Dist::Constant(_) | Dist::Empirical(_))
}

fn kofn_rule(comp: &crate::model::Component) -> String {
    if comp.failover.is_some() {
        let r = comp.instances - 1;
        format!("primary + {r} replica{}", if r == 1 { "" } else { "s" })
    } else {
        format!("{} of {}", comp.min_up, comp.instances)
    }
}

/// 1 - [Π(1-a_i) + f·E[F]·(1-(1-ā)^(n-1))], f = ā·(1/MTTF + Σ 1/MTTF_group).
fn database_approx(
    model: &Model,
    c: usize,
    inst: &[f64],
    failover_secs: f64,
    group_chain: &impl Fn(usize, usize) -> Vec<usize>,
) -> f64 {
    let comp = &model.components[c];
    let n = inst.len();
    let all_down: f64 = inst.iter().map(|a| 1.0 - a).product();
    if n < 2 {
        return 1.0 - all_down;
    }
    let rate = |rel: Option<&Reliability>| rel.map_or(0.0, |r| 1.0 / r.failure.mean_secs());
    let mean_a = inst.iter().sum::<f64>() / n as f64;
    let loss_rate = (0..n)
        .map(|i| {
            let groups: f64 = group_chain(c, i)
                .iter()
                .map(|&g| rate(model.groups[g].reliability.as_ref()))
                .sum();
            inst[i] * (rate(comp.reliability.as_ref()) + groups)
        })
        .sum::<f64>()
        / n as f64;
    let replica_there = 1.0 - (1.0 - mean_a).powi(n as i32 - 1);
    1.0 - (all_down + loss_rate * failover_secs * replica_there)
}

/// Groups that hold several required instances, and crews that can be short.
fn common_cause_caveats(
    model: &Model,
    required: &[bool],
    group_chain: &impl Fn(usize, usize) -> Vec<usize>,
    caveats: &mut Vec<String>,
) {
    let mut held: Vec<Vec<String>> = vec![Vec::new(); model.groups.len()];
    for (c, comp) in model.components.iter().enumerate() {
        if !required[c] {
            continue;
        }
        for i in 0..comp.instances as usize {
            for g in group_chain(c, i) {
                held[g].push(format!("{}#{i}", comp.id));
            }
        }
    }
    for (g, group) in model.groups.iter().enumerate() {
        if group.reliability.is_some() && held[g].len() > 1 {
            caveats.push(format!(
                "group '{}' holds {} required instances ({}): one failure takes them down \
                 together, so the product (independent approximation) overstates availability",
                group.id,
                held[g].len(),
                abbreviate(&held[g], 8)
            ));
        }
    }
    // Fixed (lattice) cycle times never decorrelate: entities that start
    // together at t = 0 keep failing together, whatever the renewal limit says.
    let lattice = |r: &Option<Reliability>| {
        r.as_ref()
            .is_some_and(|r| is_lattice(&r.failure) && is_lattice(&r.repair))
    };
    // (name, entities) of everything on fixed times that the service needs.
    let mut in_step: Vec<(String, usize)> = model
        .components
        .iter()
        .enumerate()
        .filter(|&(c, comp)| required[c] && lattice(&comp.reliability))
        .map(|(_, comp)| (comp.id.clone(), comp.instances as usize))
        .collect();
    in_step.extend(
        model
            .groups
            .iter()
            .enumerate()
            .filter(|&(g, group)| !held[g].is_empty() && lattice(&group.reliability))
            .map(|(_, group)| (group.id.clone(), 1)),
    );
    let entities: usize = in_step.iter().map(|(_, n)| n).sum();
    if entities > 1 {
        caveats.push(format!(
            "fixed failure and repair times ({}): instances that start together stay in step, \
             so they do not fail independently and neither the binomial sum nor the product holds",
            in_step
                .iter()
                .map(|(id, _)| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for (k, crew) in model.crews.iter().enumerate() {
        let served = model
            .components
            .iter()
            .filter(|c| c.crew == Some(k) && c.reliability.is_some())
            .map(|c| c.instances as usize)
            .sum::<usize>()
            + model
                .groups
                .iter()
                .filter(|g| g.crew == Some(k) && g.reliability.is_some())
                .count();
        if served > crew.size as usize {
            caveats.push(format!(
                "crew '{}' (size {}) repairs {served} instances and groups: repairs can queue, \
                 which the product ignores (independent approximation)",
                crew.id, crew.size
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXP: &str = "failure = { dist = \"exponential\", mean = \"10h\" }\n\
                       repair = { dist = \"exponential\", mean = \"1h\" }\n";

    fn analyze_text(text: &str) -> Analysis {
        analyze(&Model::parse(text, "t.toml").expect("valid model"))
    }

    #[test]
    fn at_least_for_many_instances_matches_the_exact_recursion() {
        // 300 instances in three availability classes: the grouped path
        // against the quadratic one, term by term.
        let p: Vec<f64> = (0..300).map(|i| [0.999, 0.99, 0.9][i % 3]).collect();
        for k in [1, 150, 270, 290, 300] {
            let mut dist = vec![0.0; p.len() + 1];
            dist[0] = 1.0;
            for (seen, &a) in p.iter().enumerate() {
                for j in (0..=seen + 1).rev() {
                    let up = if j > 0 { dist[j - 1] * a } else { 0.0 };
                    dist[j] = dist[j] * (1.0 - a) + up;
                }
            }
            let exact: f64 = dist[k..].iter().sum();
            let fast = at_least(k, &p);
            assert!((fast - exact).abs() < 1e-12, "k {k}: {fast} vs {exact}");
        }
        // A million equal instances in well under a second (issue 15).
        let a = vec![0.999; 1_000_000];
        let tail = at_least(999_000, &a);
        assert!((tail - 0.5).abs() < 0.05, "{tail}");
    }

    #[test]
    fn at_least_is_the_binomial_tail() {
        let a = 0.9;
        let p = [a; 3];
        assert!((at_least(2, &p) - (a * a * a + 3.0 * a * a * (1.0 - a))).abs() < 1e-15);
        assert!((at_least(1, &p) - (1.0 - 0.1f64.powi(3))).abs() < 1e-15);
        assert_eq!(at_least(0, &p), 1.0);
        // Different instances: P(at least 1 of {0.5, 0.8}) = 1 - 0.5·0.2.
        assert!((at_least(1, &[0.5, 0.8]) - 0.9).abs() < 1e-15);
    }

    #[test]
    fn series_of_independent_blocks_is_exact() {
        let r = analyze_text(&format!(
            "[components.lb]\ndepends_on = [\"app\"]\nsoft_depends_on = [\"cache\"]\n{EXP}\
             [components.app]\ninstances = 3\nmin_up = 2\n\
             failure = {{ dist = \"weibull\", shape = 2.0, mean = \"10h\" }}\n\
             repair = {{ dist = \"lognormal\", mean = \"1h\", cv = 1.5 }}\n\
             [components.cache]\n{EXP}"
        ));
        let a: f64 = 10.0 / 11.0;
        let app = a.powi(3) + 3.0 * a * a * (1.0 - a);
        assert!((r.components[1].figure.availability - app).abs() < 1e-12);
        assert!((r.service.availability - a * app).abs() < 1e-12);
        assert!(!r.components[2].required);
        assert!(r.product_is_exact, "{:?}", r.caveats);
        // Weibull failures: no exact chain, and the report says why.
        assert!(matches!(r.exact, Err(NotMarkov::NotExponential { .. })));
        let text = r.render();
        assert!(text.contains("not required"), "{text}");
        assert!(
            text.contains("no exact figure: the failure time of component 'app'"),
            "{text}"
        );
        let down = (1.0 - a * app) * 525_600.0;
        assert!(text.contains(&format!("{down:.2}")), "{text}");
    }

    #[test]
    fn shared_node_and_short_crew_are_flagged() {
        let r = analyze_text(&format!(
            "[crews.ops]\nsize = 1\n\
             [groups.n]\nfailure = {{ dist = \"exponential\", mean = \"20h\" }}\n\
             repair = {{ dist = \"exponential\", mean = \"1h\" }}\n\
             [components.web]\ninstances = 2\nplacement = [\"n\"]\ncrew = \"ops\"\n{EXP}"
        ));
        assert!(!r.product_is_exact);
        assert_eq!(r.caveats.len(), 2, "{:?}", r.caveats);
        assert!(r.caveats[0].contains("group 'n' holds 2 required instances (web#0, web#1)"));
        assert!(r.caveats[1].contains("crew 'ops' (size 1) repairs 2"));
        // The independent approximation overstates; the chain gives the truth.
        let exact = r.exact.as_ref().unwrap().availability;
        assert!(exact < r.service.availability - 0.01);
        assert!(r.render().contains("independent approximation"));
    }

    #[test]
    fn database_is_approximate_and_close_to_the_chain() {
        let r = analyze_text(&format!(
            "[components.db]\nkind = \"database\"\nreplicas = 2\n\
             failover = {{ dist = \"exponential\", mean = \"3m\" }}\n{EXP}"
        ));
        assert_eq!(r.components[0].method, Method::DatabaseApprox);
        assert_eq!(r.components[0].rule, "primary + 2 replicas");
        let exact = r.exact.as_ref().unwrap().availability;
        let approx = r.service.availability;
        assert!(
            ((1.0 - approx) / (1.0 - exact) - 1.0).abs() < 0.1,
            "{approx} vs {exact}"
        );
        assert!(r.render().contains("(approximate)"));
    }

    #[test]
    fn fixed_times_are_flagged() {
        let fixed = "failure = { dist = \"constant\", value = \"10h\" }\n\
                     repair = { dist = \"constant\", value = \"1h\" }\n";
        let r = analyze_text(&format!("[components.web]\n{fixed}"));
        assert!(
            r.product_is_exact,
            "one entity alone is fine: {:?}",
            r.caveats
        );
        let r = analyze_text(&format!("[components.web]\ninstances = 2\n{fixed}"));
        assert!(!r.product_is_exact);
        assert!(r.caveats[0].contains("fixed failure and repair times ('web')"));
    }

    #[test]
    fn lone_database_is_its_instance() {
        let r = analyze_text(&format!("[components.db]\nkind = \"database\"\n{EXP}"));
        assert!((r.service.availability - 10.0 / 11.0).abs() < 1e-12);
    }
}
