//! Simulation against theory: `resim::availability::run` on small models
//! whose long-run availability is known in closed form or from the exact
//! Markov chain.
//!
//! Tolerance. Each trial gives one availability (uptime / horizon); with n
//! trials, sample standard deviation s and standard error s/√n, a test passes
//! when |mean - theory| < 4·s/√n + bias. Four standard errors make a false
//! failure about 1 in 16 000 per comparison; the seeds are fixed, so a pass
//! stays a pass.
//!
//! Start-up bias. Every entity starts new and up, so A(t) starts at 1 and
//! settles to its long-run value A within a few failure/repair cycles; the
//! time average over a finite horizon T is therefore slightly above A. The
//! excess is at most U·τ/T (U = 1 - A) for a relaxation time τ; we take
//! τ = the longest MTTF + MTTR in the model (generous: for one exponential
//! component the excess is exactly U/((λ+μ)T) with 1/(λ+μ) < MTTR). Horizons
//! are ≥ 1000 such cycles, so the bias is ≤ 0.1% of U, small against the
//! statistical term (about 1% of U here); it is still added to the tolerance.
//!
//! Rates: MTTF 10 h and MTTR 1 h unless stated (a = 10/11 per instance),
//! which gives thousands of cycles per trial in a few milliseconds.

use resim::analytic::{self, markov};
use resim::availability::{self, AvailabilityRequest};
use resim::engine::SimTime;
use resim::model::Model;

/// Per-instance availability MTTF/(MTTF+MTTR) with MTTF 10 h, MTTR 1 h.
const A: f64 = 10.0 / 11.0;

const EXP: &str = "failure = { dist = \"exponential\", mean = \"10h\" }\n\
                   repair = { dist = \"exponential\", mean = \"1h\" }\n";

/// What the simulation measured.
struct Measured {
    mean: f64,
    /// Sample standard deviation across trials.
    sd: f64,
    trials: usize,
    seed: u64,
    horizon_hours: f64,
}

impl Measured {
    fn se(&self) -> f64 {
        self.sd / (self.trials as f64).sqrt()
    }
}

fn model(text: &str) -> Model {
    Model::parse(text, "theory.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn simulate(text: &str, trials: u64, horizon_hours: u64, seed: u64) -> Measured {
    let m = model(text);
    let req = AvailabilityRequest {
        trials,
        horizon: SimTime(horizon_hours * SimTime::HOUR.0),
        seed,
        threads: 2,
        ..Default::default()
    };
    let run = availability::run(&m, &req, |_, _| {}).expect("run");
    let h = req.horizon.as_secs_f64();
    let a: Vec<f64> = run
        .outcomes
        .iter()
        .map(|o| 1.0 - o.downtime_secs / h)
        .collect();
    let n = a.len() as f64;
    let mean = a.iter().sum::<f64>() / n;
    let var = a.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    assert!((mean - run.summary.availability.mean).abs() < 1e-12);
    Measured {
        mean,
        sd: var.sqrt(),
        trials: a.len(),
        seed,
        horizon_hours: horizon_hours as f64,
    }
}

/// Asserts |mean - theory| < 4·s/√n + U·τ/T (see the module docs), with
/// τ = `cycle_hours`, the longest MTTF + MTTR in the model.
fn assert_matches(case: &str, sim: &Measured, theory: f64, cycle_hours: f64) {
    let bias = (1.0 - theory) * cycle_hours / sim.horizon_hours;
    let tol = 4.0 * sim.se() + bias;
    let err = sim.mean - theory;
    eprintln!(
        "{case}: simulated {:.6}, theory {theory:.6}, error {err:+.2e}, tolerance {tol:.2e}",
        sim.mean
    );
    assert!(
        err.abs() < tol,
        "{case}: simulated {:.6} vs theory {theory:.6} (error {err:.2e}, tolerance {tol:.2e} = \
         4·{:.2e} + bias {bias:.1e}); rerun with seed {}",
        sim.mean,
        sim.se(),
        sim.seed
    );
    // The test must be able to fail: the interval is tight against U.
    assert!(
        tol < 0.05 * (1.0 - theory),
        "{case}: tolerance {tol:.2e} too loose"
    );
}

fn exact(text: &str) -> f64 {
    markov::solve(&model(text))
        .unwrap_or_else(|e| panic!("{e}"))
        .availability
}

#[test]
fn one_exponential_component_is_mttf_over_mttf_plus_mttr() {
    let text = format!("[components.web]\n{EXP}");
    let theory = A;
    // The closed form and the chain agree with the textbook value.
    assert!((analytic::analyze(&model(&text)).service.availability - theory).abs() < 1e-12);
    assert!((exact(&text) - theory).abs() < 1e-12);
    let sim = simulate(&text, 400, 11_000, 11);
    assert_matches("one exponential component", &sim, theory, 11.0);
}

#[test]
fn weibull_failures_keep_mttf_over_mttf_plus_mttr() {
    // Alternating renewal: the long-run availability depends on the means only,
    // for wear-out (shape 2.5) and infant mortality (shape 0.7) alike.
    for (shape, seed) in [(2.5, 21), (0.7, 22)] {
        let text = format!(
            "[components.web]\nfailure = {{ dist = \"weibull\", shape = {shape}, mean = \"10h\" }}\n\
             repair = {{ dist = \"exponential\", mean = \"1h\" }}\n"
        );
        let sim = simulate(&text, 400, 11_000, seed);
        assert_matches(&format!("weibull shape {shape}"), &sim, A, 11.0);
    }
}

#[test]
fn k_of_n_with_independent_repair_is_binomial() {
    let two_of_three = A.powi(3) + 3.0 * A * A * (1.0 - A); // 0.977460...
    let one_of_two = 1.0 - (1.0 - A).powi(2); // 120/121
    for (k, n, theory, seed) in [(2, 3, two_of_three, 31), (1, 2, one_of_two, 32)] {
        let text = format!("[components.app]\ninstances = {n}\nmin_up = {k}\n{EXP}");
        let closed = analytic::analyze(&model(&text)).service.availability;
        assert!((closed - theory).abs() < 1e-12);
        let sim = simulate(&text, 400, 11_000, seed);
        assert_matches(&format!("{k} of {n}"), &sim, theory, 11.0);
    }
}

#[test]
fn a_series_of_blocks_is_the_product() {
    // edge -> app (2 of 3, Weibull) -> store (lognormal repair); the cache is a
    // soft dependency and must not count (it is down 1/6 of the time).
    let text = r#"
[components.edge]
depends_on = ["app"]
soft_depends_on = ["cache"]
failure = { dist = "exponential", mean = "40h" }
repair = { dist = "exponential", mean = "2h" }
[components.app]
instances = 3
min_up = 2
depends_on = ["store"]
failure = { dist = "weibull", shape = 1.5, mean = "10h" }
repair = { dist = "exponential", mean = "1h" }
[components.store]
failure = { dist = "exponential", mean = "20h" }
repair = { dist = "lognormal", mean = "1h", cv = 1.0 }
[components.cache]
failure = { dist = "exponential", mean = "5h" }
repair = { dist = "exponential", mean = "1h" }
"#;
    let edge = 40.0 / 42.0;
    let app = A.powi(3) + 3.0 * A * A * (1.0 - A);
    let store = 20.0 / 21.0;
    let theory = edge * app * store; // 0.885904...
    let closed = analytic::analyze(&model(text));
    assert!((closed.service.availability - theory).abs() < 1e-12);
    assert!(closed.product_is_exact);
    let sim = simulate(text, 300, 42_000, 41);
    assert_matches("series", &sim, theory, 42.0);
}

#[test]
fn a_shared_node_is_worse_than_independence() {
    // Two pods (1 of 2) on one node: the node takes both down together.
    let text = format!(
        "[groups.node]\nkind = \"node\"\n\
         failure = {{ dist = \"exponential\", mean = \"20h\" }}\n\
         repair = {{ dist = \"exponential\", mean = \"1h\" }}\n\
         [components.web]\ninstances = 2\nplacement = [\"node\"]\n{EXP}"
    );
    let node = 20.0 / 21.0;
    // Independence would treat each pod as up with probability a·a_node.
    let independent = 1.0 - (1.0 - A * node).powi(2); // 0.98199...
    let closed = analytic::analyze(&model(&text));
    assert!((closed.service.availability - independent).abs() < 1e-12);
    assert!(!closed.product_is_exact);
    // Exact: the node is up and one pod is (the pods' own cycles are independent).
    let exact_value = node * (1.0 - (1.0 - A).powi(2)); // 0.94451...
    assert!((exact(&text) - exact_value).abs() < 1e-12);

    let sim = simulate(&text, 400, 21_000, 51);
    assert_matches("pods on a shared node", &sim, exact_value, 21.0);
    assert!(
        sim.mean < independent - 4.0 * sim.se(),
        "shared node: simulated {:.6} is not below the independent {independent:.6}",
        sim.mean
    );
}

#[test]
fn one_repair_crew_is_worse_than_two() {
    // Two machines, 1 of 2, ρ = λ/μ = 0.1.
    // Two crews: U = (ρ/(1+ρ))² = 1/121; one crew: U = 2ρ²/(1+2ρ+2ρ²) = 0.02/1.22.
    let u_two = 0.008_264_462_809_917_356;
    let u_one = 0.016_393_442_622_950_82;
    let text = |size: u32| {
        format!(
            "[crews.ops]\nsize = {size}\n\
             [components.machine]\ninstances = 2\nmin_up = 1\ncrew = \"ops\"\n{EXP}"
        )
    };
    assert!((exact(&text(2)) - (1.0 - u_two)).abs() < 1e-12);
    assert!((exact(&text(1)) - (1.0 - u_one)).abs() < 1e-12);

    let two = simulate(&text(2), 400, 11_000, 61);
    let one = simulate(&text(1), 400, 11_000, 62);
    assert_matches("two crews", &two, 1.0 - u_two, 11.0);
    assert_matches("one crew", &one, 1.0 - u_one, 11.0);
    let gap = two.mean - one.mean;
    let tol = 4.0 * (two.se().powi(2) + one.se().powi(2)).sqrt();
    assert!(
        gap > tol,
        "one crew is not worse: gap {gap:.2e}, interval {tol:.2e}"
    );
}

#[test]
fn database_failover_matches_the_markov_chain() {
    // A primary and one replica; failover exponential with mean 15 min.
    let simple = format!(
        "[components.db]\nkind = \"database\"\nreplicas = 1\n\
         failover = {{ dist = \"exponential\", mean = \"15m\" }}\n{EXP}"
    );
    let theory = exact(&simple);
    // Failover costs about a/MTTF · E[failover] · a ≈ 2% on top of (1-a)².
    assert!(theory < 1.0 - (1.0 - A).powi(2) - 0.015, "{theory}");
    let sim = simulate(&simple, 400, 11_000, 71);
    assert_matches("primary + 1 replica", &sim, theory, 11.0);

    // Every rule at once: two replicas, one repair crew, instances on two
    // nodes (instance 2 shares node a with the primary), so promotions,
    // "first back becomes primary" and queued repairs all happen.
    let busy = format!(
        "[crews.ops]\nsize = 1\n\
         [groups.a]\nfailure = {{ dist = \"exponential\", mean = \"30h\" }}\n\
         repair = {{ dist = \"exponential\", mean = \"2h\" }}\n\
         [groups.b]\nfailure = {{ dist = \"exponential\", mean = \"30h\" }}\n\
         repair = {{ dist = \"exponential\", mean = \"2h\" }}\n\
         [components.db]\nkind = \"database\"\nreplicas = 2\ncrew = \"ops\"\n\
         placement = [\"a\", \"b\"]\n\
         failover = {{ dist = \"exponential\", mean = \"15m\" }}\n{EXP}"
    );
    let chain = markov::solve(&model(&busy)).unwrap_or_else(|e| panic!("{e}"));
    assert!(chain.states > 50, "{} states", chain.states);
    let sim = simulate(&busy, 300, 32_000, 72);
    assert_matches(
        "database on two nodes, one crew",
        &sim,
        chain.availability,
        32.0,
    );
}
