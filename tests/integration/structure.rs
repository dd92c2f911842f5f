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
            "[crews.ops]\npolicy = \"priority\"\norder = [\"dbb\"]\n[components.db]\ncrew = \"ops\"\n",
            "t.toml:3:10: 'crews.ops.order' names 'dbb', which is neither a component nor a group",
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
