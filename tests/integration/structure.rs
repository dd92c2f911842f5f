//! Structures (issue 17): `[service]` and `depends_on` expressions (`all`,
//! `any`, `k_of`), checked by the exact chain, the closed form and the state
//! simulation against each other and against hand-solved values; the bundled
//! workstation cluster; errors in expressions and crews.
//!
//! "Agree within the interval": the exact chain's availability lies inside
//! the simulation's 95% interval (compound Poisson, `stats::rare`), with the
//! seed fixed, and the interval is tight enough to tell (within ±15% of the
//! unavailability).

use resim::analytic::{self, markov};
use resim::availability::{self, AvailabilityRequest};
use resim::engine::SimTime;
use resim::model::Model;

use crate::util::{repo, resim, scratch};

const EXP: &str = "failure = { dist = \"exponential\", mean = \"10h\" }\n\
                   repair = { dist = \"exponential\", mean = \"1h\" }\n";

fn model(text: &str) -> Model {
    Model::parse(text, "t.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `trials` trials of `years` and asserts the exact figure lies in
/// the 95% interval, which must be within ±15% of the unavailability.
fn assert_sim_agrees(case: &str, m: &Model, trials: u64, hours: u64, seed: u64) {
    let exact = markov::solve(m).unwrap_or_else(|e| panic!("{e}"));
    let req = AvailabilityRequest {
        trials,
        horizon: SimTime(hours * SimTime::HOUR.0),
        seed,
        threads: 2,
        ..Default::default()
    };
    let run = availability::run(m, &req, |_, _| {}).expect("run");
    let a = &run.summary.availability;
    let u = 1.0 - exact.availability;
    eprintln!(
        "{case}: exact {:.8}, simulated {:.8} ({:.8} .. {:.8})",
        exact.availability, a.mean, a.ci95[0], a.ci95[1]
    );
    assert!(
        a.ci95[0] <= exact.availability && exact.availability <= a.ci95[1],
        "{case}: exact {:.8} outside the simulation's interval {:?} (seed {seed})",
        exact.availability,
        a.ci95
    );
    assert!(
        a.ci95[1] - a.ci95[0] < 0.3 * u,
        "{case}: interval {:?} too wide to tell against U = {u:.2e}",
        a.ci95
    );
}

/// Active-passive on the state side: a front needs either region, each
/// region its own app and either of two databases. By hand with independent
/// blocks (one crew per entity): P = (1-(1-a)²)·a_front·(1-(1-a)²).
#[test]
fn any_dependency_matches_closed_form_chain_and_simulation() {
    let text = format!(
        "[components.front]\ndepends_on = {{ any = [\"east\", \"west\"] }}\n{EXP}\
         [components.east]\ndepends_on = {{ any = [\"db-east\", \"db-west\"] }}\n{EXP}\
         [components.west]\ndepends_on = {{ any = [\"db-west\", \"db-east\"] }}\n{EXP}\
         [components.db-east]\n{EXP}[components.db-west]\n{EXP}"
    );
    let m = model(&text);
    let a: f64 = 10.0 / 11.0;
    let pair = 1.0 - (1.0 - a) * (1.0 - a);
    let want = a * pair * pair;
    let r = analytic::analyze(&m);
    assert!((r.service.availability - want).abs() < 1e-12, "{r:?}");
    let exact = r.exact.as_ref().unwrap().availability;
    assert!((exact - want).abs() < 1e-12, "{exact} vs {want}");
    let text = r.render();
    assert!(
        text.contains("single points of failure (1): front"),
        "{text}"
    );
    assert!(text.contains("east + west"), "{text}");
    assert_sim_agrees("any dependency", &m, 200, 2000, 17);
}

/// The bundled workstation cluster (N = 2): the exact chain against the
/// published reference, and the simulation against the exact chain.
#[test]
fn workstation_cluster_check_and_availability_agree() {
    let m = Model::load(&repo().join("models/workstation-cluster.toml")).unwrap();
    let exact = markov::solve(&m).unwrap();
    // The published CTMC (inspection phase, module race) gives 0.99996153;
    // resim's simplification must stay within 5% of its unavailability.
    let u_ref = 1.0 - 0.99996153;
    let u = 1.0 - exact.availability;
    assert!((u / u_ref - 1.0).abs() < 0.05, "U {u:.4e} vs {u_ref:.4e}");
    // About 0.09 outages a year: 3000 trials of 10 years see ~2700.
    assert_sim_agrees("workstation cluster", &m, 3000, 87_600, 1);
    // `resim check` prints the same exact figure.
    let out = resim(&scratch("ws-check"), &["check", m.origin.as_str()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("exact (Markov chain, {} states)", exact.states)),
        "{text}"
    );
    assert!(
        text.contains("repair-unit: 1 at a time, random order"),
        "{text}"
    );
}

/// Each bad expression or crew gives its own file:line:col error, exit 2.
#[test]
fn bad_structures_and_policies_are_located() {
    let dir = scratch("structure-errors");
    let cases = [
        (
            "[service]\nany = [\"web\", \"wbe\"]\n[components.web]\n",
            "t.toml:2:15: component 'wbe' is not defined; defined: web",
        ),
        (
            "[components.web]\ndepends_on = { any = [] }\n[components.db]\n",
            "t.toml:2:22: 'components.web.depends_on.any' is empty",
        ),
        (
            "[service]\nk_of = 3\nof = [\"a\", \"b\"]\n[components.a]\n[components.b]\n",
            "t.toml:2:8: 'service.k_of' is 3 but 'of' lists only 2 (k greater than n)",
        ),
        (
            "[crews.ops]\nsize = 1\npolicy = \"lifo\"\n[components.a]\ncrew = \"ops\"\n",
            "t.toml:3:10: unknown repair policy 'lifo' in [crews.ops]",
        ),
        (
            "[components.a]\ndepends_on = { any = [\"b\"], all = [\"b\"] }\n[components.b]\n",
            "are mutually exclusive",
        ),
        (
            "[crews.ops]\nsize = 1\npolicy = \"priority\"\norder = [\"dbb\"]\n[components.db]\ncrew = \"ops\"\n",
            "t.toml:4:10: 'crews.ops.order' names 'dbb', which is neither a component nor a group",
        ),
        (
            "[crews.ops]\ncall_out = 3\n[components.a]\ninstances = 2\ncrew = \"ops\"\n",
            "t.toml:2:12: crew 'ops' is called out when 3 are down but repairs only 2",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(dir.join("t.toml"), text).unwrap();
        let out = resim(&dir, &["check", "t.toml"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text}\n{err}");
        assert!(err.contains(want), "{text}\nwant {want}\ngot {err}");
    }
}

/// Solves πQ = 0, Σπ = 1 for a small generator given as (from, to, rate).
fn stationary(n: usize, edges: &[(usize, usize, f64)]) -> Vec<f64> {
    // Rows of Qᵀ, the last replaced by the normalisation.
    let mut a = vec![vec![0.0f64; n + 1]; n];
    for &(i, j, r) in edges {
        a[j][i] += r;
        a[i][i] -= r;
    }
    a[n - 1] = vec![1.0; n + 1];
    for k in 0..n {
        let p = (k..n)
            .max_by(|&x, &y| a[x][k].abs().total_cmp(&a[y][k].abs()))
            .unwrap();
        a.swap(k, p);
        for i in 0..n {
            if i != k {
                let f = a[i][k] / a[k][k];
                let row_k = a[k].clone();
                for (x, y) in a[i].iter_mut().zip(&row_k) {
                    *x -= f * y;
                }
            }
        }
    }
    (0..n).map(|i| a[i][n] / a[i][i]).collect()
}

/// A 2-of-3 (three different components) with one crew taking repairs by
/// priority a, b, c, non-preemptive, against the chain written out by hand:
/// states are the set down and the one under repair.
#[test]
fn two_of_three_with_a_priority_crew_matches_the_hand_solved_chain() {
    let (la, ma, lb, mb, lc, mc) = (0.1, 1.0, 0.05, 0.25, 0.2, 2.0); // per hour
    let text = |order: &str| {
        format!(
            "[crews.ops]\nsize = 1\npolicy = \"priority\"\norder = [{order}]\n\
             [service]\nk_of = 2\nof = [\"a\", \"b\", \"c\"]\n\
             [components.a]\ncrew = \"ops\"\nfailure = {{ dist = \"exponential\", mean = \"10h\" }}\n\
             repair = {{ dist = \"exponential\", mean = \"1h\" }}\n\
             [components.b]\ncrew = \"ops\"\nfailure = {{ dist = \"exponential\", mean = \"20h\" }}\n\
             repair = {{ dist = \"exponential\", mean = \"4h\" }}\n\
             [components.c]\ncrew = \"ops\"\nfailure = {{ dist = \"exponential\", mean = \"5h\" }}\n\
             repair = {{ dist = \"exponential\", mean = \"30m\" }}\n"
        )
    };
    // 0 all up; 1-3 {a},{b},{c}; 4 ab/a, 5 ab/b, 6 ac/a, 7 ac/c, 8 bc/b,
    // 9 bc/c; 10 abc/a, 11 abc/b, 12 abc/c (state/under repair).
    let e = [
        (0, 1, la),
        (0, 2, lb),
        (0, 3, lc),
        (1, 0, ma),
        (1, 4, lb),
        (1, 6, lc),
        (2, 0, mb),
        (2, 5, la),
        (2, 8, lc),
        (3, 0, mc),
        (3, 7, la),
        (3, 9, lb),
        (4, 2, ma),
        (4, 10, lc),
        (5, 1, mb),
        (5, 11, lc),
        (6, 3, ma),
        (6, 10, lb),
        (7, 1, mc),
        (7, 12, lb),
        (8, 3, mb),
        (8, 11, la),
        (9, 2, mc),
        (9, 12, la),
        // All three down: the next repair is the highest-priority one waiting.
        (10, 8, ma), // a done: b before c
        (11, 6, mb), // b done: a before c
        (12, 4, mc), // c done: a before b
    ];
    let pi = stationary(13, &e);
    let want: f64 = pi[..4].iter().sum();
    let m = model(&text("\"a\", \"b\", \"c\""));
    let exact = markov::solve(&m).unwrap();
    assert_eq!(exact.states, 13);
    assert!(
        (exact.availability - want).abs() < 1e-12,
        "{} vs {want}",
        exact.availability
    );
    // The order matters: c first (fast repairs) gives another figure.
    let other = markov::solve(&model(&text("\"c\", \"b\", \"a\""))).unwrap();
    assert!((other.availability - want).abs() > 1e-4, "{other:?}");
    // And the simulation follows the policy.
    assert_sim_agrees("2 of 3, priority crew", &m, 100, 20_000, 5);
}

/// A crew called out only when two are down: the chain and the simulation agree.
#[test]
fn call_out_threshold_matches_between_chain_and_simulation() {
    let text = format!(
        "[crews.tech]\nsize = 1\ncall_out = 2\n[components.a]\ninstances = 3\nmin_up = 2\ncrew = \"tech\"\n{EXP}"
    );
    let m = model(&text);
    let exact = markov::solve(&m).unwrap();
    let eager = markov::solve(&model(&text.replace("call_out = 2", "call_out = 1"))).unwrap();
    // Waiting for the second failure costs availability.
    assert!(exact.availability < eager.availability - 0.01);
    assert_sim_agrees("call-out at 2", &m, 100, 20_000, 9);
}

/// A random crew: the chain branches over the waiting repairs.
#[test]
fn random_crew_matches_between_chain_and_simulation() {
    let text = format!(
        "[crews.ops]\nsize = 1\npolicy = \"random\"\n[service]\nk_of = 2\nof = [\"a\", \"b\", \"c\"]\n\
         [components.a]\ncrew = \"ops\"\n{EXP}[components.b]\ncrew = \"ops\"\n\
         failure = {{ dist = \"exponential\", mean = \"20h\" }}\n\
         repair = {{ dist = \"exponential\", mean = \"4h\" }}\n\
         [components.c]\ncrew = \"ops\"\n{EXP}"
    );
    assert_sim_agrees("random crew", &model(&text), 100, 20_000, 1);
}
