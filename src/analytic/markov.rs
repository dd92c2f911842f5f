//! The exact long-run availability of a model whose every failure, repair
//! and failover time is exponential: a continuous-time Markov chain with the
//! same semantics as the simulation ([`crate::availability::trial`]).
//!
//! A state holds, for each entity that can fail (an instance of a required
//! component, a group holding one, or anything sharing a repair crew with
//! them), whether it is up; for each crew, its FIFO queue of waiting repairs
//! (the busy count is the number of its failed entities not in the queue);
//! for each required database, its primary (an instance, or none) and whether
//! a failover is running. Transitions:
//! - an entity fails at rate 1/MTTF; it queues if its crew is fully busy;
//! - an entity under repair is repaired at rate 1/MTTR; its crew then takes
//!   the head of the queue;
//! - a running failover completes at rate 1/E\[failover\] and promotes the
//!   lowest-index effectively-up instance (or none);
//! - after each of these, as in the trial: a primary that is no longer
//!   effectively up is dropped, and a failover starts if another instance is
//!   effectively up; a database with no primary and no failover running takes
//!   its lowest-index effectively-up instance at once.
//!
//! Entities nothing required depends on are left out: without a shared crew
//! they cannot influence the service, so the result stays exact.
//!
//! The reachable states are found by breadth-first search from all-up, the
//! generator is solved for πQ = 0, Σπ = 1 with the GTH algorithm (Gaussian
//! elimination without subtractions, so tiny probabilities keep their
//! relative accuracy), and π is summed over the states where the structure
//! function says the service is up. Everything is indexed by BFS order, so
//! the result does not depend on hashing.

mod chain;
mod first_passage;
mod gth;

use std::fmt;

use crate::model::Model;
use chain::Chain;

/// The default limit on reachable states (the solve is cubic in it).
pub const MAX_STATES: usize = 2000;

/// The exact long-run figures of a Markov model.
#[derive(Clone, Debug, PartialEq)]
pub struct MarkovAvailability {
    /// Long-run service availability, in [0, 1].
    pub availability: f64,
    /// Per component (model order): long-run probability that its own
    /// instances suffice (k of n up, or a primary serving); `None` for
    /// components the service does not require (not modelled).
    pub components: Vec<Option<f64>>,
    /// Reachable states of the chain.
    pub states: usize,
    /// Mean time to the service's first outage from all-up \[h\] (the
    /// chain with its down states absorbing); `None` when it never goes down.
    pub mean_time_to_first_outage_hours: Option<f64>,
    /// P(no outage within a year of 8760 h) from all-up; `None` when
    /// uniformization would take too long.
    pub p_no_outage_in_a_year: Option<f64>,
}

/// Why the exact chain was not solved.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum NotMarkov {
    /// A time that matters is not exponential (`what` names it).
    NotExponential {
        /// E.g. `repair of component 'web'`.
        what: String,
        /// The distribution, described.
        dist: String,
    },
    /// More reachable states than the limit.
    TooManyStates {
        /// The limit.
        limit: usize,
    },
    /// The chain does not return to all-up from some state (not expected for
    /// valid models; reported rather than solved wrongly).
    NotIrreducible,
}

impl fmt::Display for NotMarkov {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotMarkov::NotExponential { what, dist } => write!(
                f,
                "the {what} is {dist}; the exact Markov chain needs exponential times"
            ),
            NotMarkov::TooManyStates { limit } => write!(
                f,
                "the Markov chain has more than {limit} reachable states; too large to solve exactly"
            ),
            NotMarkov::NotIrreducible => {
                write!(
                    f,
                    "the Markov chain does not return to all-up from every state"
                )
            }
        }
    }
}

impl std::error::Error for NotMarkov {}

/// Solves the model's chain with the default state limit [`MAX_STATES`].
pub fn solve(model: &Model) -> Result<MarkovAvailability, NotMarkov> {
    solve_with_limit(model, MAX_STATES)
}

/// Solves the model's chain, giving up beyond `max_states` reachable states.
pub fn solve_with_limit(model: &Model, max_states: usize) -> Result<MarkovAvailability, NotMarkov> {
    let chain = Chain::new(model)?;
    // Every up/down combination of the entities is reachable from all-up
    // (failures can happen in any order), so 2^entities bounds the count below.
    let entities = chain.entity_count();
    if entities >= usize::BITS as usize - 1 || 1usize << entities > max_states {
        return Err(NotMarkov::TooManyStates { limit: max_states });
    }
    let (states, rates) = chain.explore(max_states)?;
    let pi = gth::gth(states.len(), &rates)?;
    let mut own = vec![false; model.components.len()];
    let mut functional = vec![false; model.components.len()];
    let mut availability = 0.0;
    let mut components: Vec<Option<f64>> =
        chain.required().iter().map(|&r| r.then_some(0.0)).collect();
    let mut up = vec![false; states.len()];
    for ((s, p), up) in states.iter().zip(&pi).zip(&mut up) {
        if chain.service_up(s, &mut own, &mut functional) {
            availability += p;
            *up = true;
        }
        for (c, acc) in components.iter_mut().enumerate() {
            if let Some(a) = acc
                && own[c]
            {
                *a += p;
            }
        }
    }
    let first = first_passage::UpChain::new(&up, &rates);
    let year = crate::engine::SimTime::YEAR.as_secs_f64();
    Ok(MarkovAvailability {
        availability: availability.clamp(0.0, 1.0),
        components,
        states: states.len(),
        mean_time_to_first_outage_hours: match &first {
            Some(f) => f.mean_time().map(|s| s / 3600.0),
            None => Some(0.0),
        },
        p_no_outage_in_a_year: match &first {
            Some(f) => f.survival(year),
            None => Some(0.0),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> Model {
        Model::parse(text, "t.toml").expect("valid model")
    }

    // Rates per hour: failure λ = 1/10, repair μ = 1 (ρ = 0.1).
    const EXP: &str = "failure = { dist = \"exponential\", mean = \"10h\" }\n\
                       repair = { dist = \"exponential\", mean = \"1h\" }\n";

    fn close(x: f64, y: f64) -> bool {
        (x - y).abs() < 1e-12
    }

    #[test]
    fn single_component_is_mu_over_lambda_plus_mu() {
        let m = model(&format!("[components.a]\n{EXP}"));
        let r = solve(&m).unwrap();
        assert_eq!(r.states, 2);
        assert!(close(r.availability, 1.0 / 1.1), "{}", r.availability);
        assert_eq!(r.components, vec![Some(r.availability)]);
    }

    #[test]
    fn one_of_two_with_two_crews_is_independent() {
        let q: f64 = 0.1 / 1.1;
        for crew in ["", "[crews.ops]\nsize = 2\n"] {
            let pick = if crew.is_empty() {
                ""
            } else {
                "crew = \"ops\"\n"
            };
            let m = model(&format!(
                "{crew}[components.a]\ninstances = 2\nmin_up = 1\n{pick}{EXP}"
            ));
            let r = solve(&m).unwrap();
            assert!(close(r.availability, 1.0 - q * q), "{}", r.availability);
        }
    }

    #[test]
    fn one_of_two_with_one_crew_waits_for_repairs() {
        let m = model(&format!(
            "[crews.ops]\nsize = 1\n[components.a]\ninstances = 2\ncrew = \"ops\"\n{EXP}"
        ));
        let r = solve(&m).unwrap();
        let rho: f64 = 0.1;
        let u = 2.0 * rho * rho / (1.0 + 2.0 * rho + 2.0 * rho * rho);
        assert!(close(1.0 - r.availability, u), "{}", 1.0 - r.availability);
        // Both up, either down, both down with either one under repair.
        assert_eq!(r.states, 5);
    }

    #[test]
    fn a_node_takes_both_pods_down() {
        let m = model(&format!(
            "[groups.n]\nkind = \"node\"\nfailure = {{ dist = \"exponential\", mean = \"20h\" }}\n\
             repair = {{ dist = \"exponential\", mean = \"1h\" }}\n\
             [components.web]\ninstances = 2\nplacement = [\"n\"]\n{EXP}"
        ));
        let r = solve(&m).unwrap();
        let (a, an) = (1.0 / 1.1, 20.0 / 21.0);
        assert!(close(r.availability, an * (1.0 - (1.0 - a) * (1.0 - a))));
    }

    #[test]
    fn series_is_a_product_and_soft_dependencies_are_left_out() {
        let m = model(&format!(
            "[components.lb]\ndepends_on = [\"app\"]\nsoft_depends_on = [\"cache\"]\n{EXP}\
             [components.app]\ninstances = 3\nmin_up = 2\n{EXP}\
             [components.cache]\ninstances = 5\n{EXP}"
        ));
        let r = solve(&m).unwrap();
        let a: f64 = 1.0 / 1.1;
        let two_of_three = a.powi(3) + 3.0 * a * a * (1.0 - a);
        assert!(close(r.availability, a * two_of_three));
        assert_eq!(r.states, 16, "the cache is not in the chain");
        assert_eq!(r.components[2], None);
    }

    #[test]
    fn database_failover_sits_between_its_limits() {
        let db = |failover: &str| {
            model(&format!(
                "[components.db]\nkind = \"database\"\nreplicas = 1\n\
                 failover = {{ dist = \"exponential\", mean = \"{failover}\" }}\n{EXP}"
            ))
        };
        let a: f64 = 1.0 / 1.1;
        // An instant failover is 1 of 2; any failover costs the time it runs.
        let fast = solve(&db("1ms")).unwrap().availability;
        assert!(
            (fast - (1.0 - (1.0 - a) * (1.0 - a))).abs() < 1e-6,
            "{fast}"
        );
        let slow = solve(&db("6m")).unwrap();
        assert!(slow.availability < fast - 1e-3);
        // Primary failures come at a/MTTF per hour, each costing about 0.1 h.
        let approx = 1.0 - ((1.0 - a).powi(2) + a / 10.0 * 0.1 * a);
        assert!(
            (slow.availability - approx).abs() < 2e-3,
            "{slow:?} vs {approx}"
        );
        assert!(slow.states > 4);
    }

    #[test]
    fn refuses_what_it_cannot_solve_exactly() {
        let m = model(
            "[components.a]\nfailure = { dist = \"weibull\", shape = 2.0, mean = \"10h\" }\n\
             repair = { dist = \"exponential\", mean = \"1h\" }\n",
        );
        let e = solve(&m).unwrap_err();
        assert!(matches!(e, NotMarkov::NotExponential { .. }));
        assert!(
            e.to_string().contains("failure time of component 'a'"),
            "{e}"
        );

        // The default failover is a constant 30 s.
        let m = model(&format!(
            "[components.db]\nkind = \"database\"\nreplicas = 1\n{EXP}"
        ));
        let e = solve(&m).unwrap_err();
        assert!(
            e.to_string().contains("failover time of database 'db'"),
            "{e}"
        );

        let m = model(&format!("[components.a]\ninstances = 12\n{EXP}"));
        assert_eq!(
            solve_with_limit(&m, 100).unwrap_err(),
            NotMarkov::TooManyStates { limit: 100 }
        );
    }

    #[test]
    fn never_failing_model_is_always_up() {
        let m = model("[components.a]\ninstances = 2\n");
        let r = solve(&m).unwrap();
        assert_eq!((r.availability, r.states), (1.0, 1));
    }
}
