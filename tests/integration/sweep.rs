//! `resim sweep` and `--find` (issue 11, items 4-5): the capacity found by
//! bisection against Erlang C, the operational laws across a sweep, bad
//! input, and the same bytes at any thread count.
//!
//! Tolerances. The Erlang C test asks for 3% (the issue's bound): the
//! bisection stops within 2% of the boundary of the *measured* p99, and the
//! measured p99 at the boundary load carries its own noise, about 1% in
//! load terms with 16 trials of 120 s (the p99 interval at the answer, read
//! through the slope of p99 against load, printed by the test). The
//! operational laws are checked within each point's 95% intervals plus 1%
//! of the value (time-weighted gauges over bins against counts).

use resim::drill::DrillRequest;
use resim::engine::SimTime;
use resim::overrides::Override;
use resim::sweep::find::{Goal, find};
use resim::sweep::{Design, Stage, SweepRequest, Vary, grid, run_points};

use super::util::{resim, scratch};

fn request(trials: u64, seed: u64) -> SweepRequest {
    SweepRequest {
        drill: DrillRequest {
            trials,
            seed,
            threads: 2,
            bin: SimTime(10 * SimTime::SECOND.0),
            snapshots: Vec::new(),
        },
        scenarios: Vec::new(),
        percentiles: None,
    }
}

fn design(text: &str, sets: &[&str]) -> Design {
    Design {
        text: text.to_string(),
        origin: "t.toml".into(),
        sets: sets
            .iter()
            .map(|s| Override::parse(s).expect("valid"))
            .collect(),
    }
}

/// M/M/4: one pod of four workers, exponential service at μ = 100/s, no
/// network time, an unbounded queue, and the SLO p99 ≤ 100 ms.
const MMC: &str = r#"
[components.server]
kind = "pods"
workers = 4
queue = 1000000
service = { dist = "exponential", mean = "10ms" }
latency = { dist = "constant", value = "0s" }
timeout = "600s"

[traffic]
rate = "100/s"
read_ratio = 1.0
timeout = "600s"

[slo]
p99 = "100ms"

[[scenarios]]
name = "steady"
duration = "120s"
warmup = "20s"
"#;

/// P(T > t) for the M/M/c response time (FCFS): with a = cμ − λ,
/// (1 − C)e^(−μt) + C(a·e^(−μt) − μ·e^(−at))/(a − μ), C Erlang C.
fn mmc_tail(c: u32, mu: f64, lambda: f64, t: f64) -> f64 {
    let a_load = lambda / mu;
    let rho = a_load / f64::from(c);
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a_load / f64::from(k);
        }
        sum += term;
    }
    let last = term * a_load / f64::from(c) / (1.0 - rho);
    let erlang_c = last / (sum + last);
    let a = f64::from(c) * mu - lambda;
    (1.0 - erlang_c) * (-mu * t).exp()
        + erlang_c * (a * (-mu * t).exp() - mu * (-a * t).exp()) / (a - mu)
}

/// The rate at which the M/M/c p99 equals `t`, by bisection on the closed form.
fn mmc_rate_for_p99(c: u32, mu: f64, t: f64) -> f64 {
    let (mut lo, mut hi) = (1.0, f64::from(c) * mu * 0.9999);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if mmc_tail(c, mu, mid, t) > 0.01 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    lo
}

#[test]
fn erlang_c_closed_form_sanity() {
    // At λ → 0 the response time is one exponential service time.
    assert!((mmc_tail(4, 100.0, 1e-9, 0.01) - (-1.0f64).exp()).abs() < 1e-6);
    // The boundary of p99 ≤ 100 ms for M/M/4 at μ = 100/s.
    let r = mmc_rate_for_p99(4, 100.0, 0.1);
    assert!(r > 300.0 && r < 400.0, "{r}");
    assert!((mmc_tail(4, 100.0, r, 0.1) - 0.01).abs() < 1e-9);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "statistical: run with cargo test --release"
)]
fn find_max_rate_lands_on_erlang_c() {
    let theory = mmc_rate_for_p99(4, 100.0, 0.1);
    let d = design(MMC, &[]);
    let vary = vec![Vary::parse("traffic.rate=200/s..390/s:6").expect("valid")];
    let req = request(16, 11);
    let mut points = run_points(&d, &vary, &grid(&vary), Stage::Grid, &req, &|_| {}).expect("runs");
    let goal = Goal::parse(&["max".into(), "traffic.rate".into()], &vary).expect("valid goal");
    let found = find(&goal, &d, &vary, &mut points, &req, 0.02).expect("finds");
    let f = &found[0];
    let value = f.value.expect("a rate holds");
    eprintln!("find max traffic.rate: {f:?}; Erlang C gives {theory:.1}/s");
    assert!(
        (value - theory).abs() < 0.03 * theory,
        "found {value:.1}/s, Erlang C {theory:.1}/s"
    );
    assert!(f.evaluations <= 8, "{} bisection runs", f.evaluations);
    assert_eq!(points.len(), 6 + f.evaluations);
    // The holding point was measured on the good side, the bracket's other
    // end on the bad side.
    let ci = f.ci95.expect("an interval");
    assert!(ci[0] < ci[1], "{ci:?}");
}

/// Two tiers: `web` (2 pods of 4 workers, 8 ms) holds its worker while it
/// calls `api` (64 workers, 2 ms, never queueing), so a request occupies a
/// web worker for 10 ms and an api worker for 2 ms. Web's bounded queue turns
/// away what it cannot serve, so goodput flattens at its capacity.
const TIERS: &str = r#"
[components.web]
kind = "pods"
instances = 2
workers = 4
queue = 10
service = { dist = "exponential", mean = "8ms" }
latency = { dist = "constant", value = "0s" }
timeout = "60s"
depends_on = ["api"]

[components.api]
kind = "pods"
workers = 64
queue = 1000
service = { dist = "exponential", mean = "2ms" }
latency = { dist = "constant", value = "0s" }
timeout = "60s"

[traffic]
rate = "100/s"
read_ratio = 1.0
timeout = "60s"

[[scenarios]]
name = "steady"
duration = "30s"
warmup = "5s"
"#;

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "statistical: run with cargo test --release"
)]
fn a_sweep_obeys_the_operational_laws() {
    // Service demand per request and worker [s]: web 10 ms over 8 workers,
    // api 2 ms over 64.
    let demand = [0.010 / 8.0, 0.002 / 64.0];
    let capacity = demand.iter().map(|d| 1.0 / d).fold(f64::INFINITY, f64::min);
    assert_eq!(capacity, 800.0);
    let d = design(TIERS, &[]);
    let vary = vec![Vary::parse("traffic.rate=200/s,400/s,600/s,1200/s,1600/s").expect("valid")];
    let points = run_points(
        &d,
        &vary,
        &grid(&vary),
        Stage::Grid,
        &request(8, 5),
        &|_| {},
    )
    .expect("runs");
    for p in &points {
        let c = &p.cells[0];
        let x = c.goodput_per_s;
        for (k, u) in c.utilisation.iter().enumerate() {
            // Utilisation law U = X·D, within both intervals and 1%.
            let expected = x.mean * demand[k];
            let tol = (u.high - u.low) / 2.0 + (x.high - x.low) / 2.0 * demand[k] + 0.01 * expected;
            assert!(
                (u.mean - expected).abs() <= tol,
                "at {}/s component {k}: U = {u:?}, X·D = {expected} ± {tol}",
                p.values[0]
            );
        }
        let offered = p.values[0];
        if offered < 0.6 * capacity {
            // Far below capacity, everything offered is served.
            assert!(
                (x.mean - c.offered_per_s).abs() < 0.01 * offered,
                "{x:?} at {offered}"
            );
        }
        if offered > 1.4 * capacity {
            // Beyond it, goodput flattens at the bottleneck's capacity.
            assert!(
                (x.mean - capacity).abs() < 0.03 * capacity,
                "{x:?} at {offered}"
            );
        }
    }
    // The bottleneck shows: web saturates, api stays nearly idle.
    let last = &points[points.len() - 1].cells[0];
    assert!(last.utilisation[0].mean > 0.97, "{:?}", last.utilisation);
    assert!(last.utilisation[1].mean < 0.05, "{:?}", last.utilisation);
}

/// Pods of two workers (10 ms) behind a balancer that checks them every
/// second, so a lost pod leaves the rotation and the others carry its load.
const SMALL: &str = r#"
[components.lb]
kind = "load_balancer"
depends_on = ["app"]
health_check = { interval = "1s", rise = 1, fall = 1 }

[components.app]
kind = "pods"
instances = 2
workers = 2
queue = 100
service = { dist = "exponential", mean = "10ms" }
latency = { dist = "constant", value = "0s" }
timeout = "10s"

[traffic]
rate = "100/s"
read_ratio = 1.0
timeout = "10s"

[slo]
availability = "90%"
p99 = "80ms"

[cost]
instance = { app = 0.25, lb = 0.1 }

[[scenarios]]
name = "steady"
duration = "20s"
warmup = "5s"

[[scenarios]]
name = "pod-loss"
duration = "20s"
warmup = "5s"
[[scenarios.events]]
at = "0s"
fault = "crash"
target = "app"
instance = 0
"#;

#[test]
fn sweep_bad_input_names_the_argument() {
    let dir = scratch("sweep_bad_input");
    std::fs::write(dir.join("m.toml"), SMALL).expect("write");
    let cases: [(&[&str], &str); 8] = [
        (
            &["--vary", "traffic.rate=500/s..8000/s"],
            "--vary 'traffic.rate=500/s..8000/s': a range needs a number of points",
        ),
        (
            &["--vary", "nope.workers=1,2"],
            "--vary 'nope.workers=1,2': unknown path: 'nope'",
        ),
        (
            &["--vary", "app.replicas=5ms,6ms"],
            "--vary 'app.replicas=5ms,6ms': at 5ms: 'components.app.instances' must be a whole number",
        ),
        (
            &["--vary", "app.replicas=2,3", "--find", "max", "app.workers"],
            "--find 'max app.workers': 'app.workers' is not varied",
        ),
        (
            &["--vary", "app.replicas=2,3", "--find", "most"],
            "--find 'most': expected max PATH",
        ),
        (
            &["--vary", "app.replicas=2,3", "--scenario", "stedy"],
            "--scenario 'stedy'",
        ),
        (
            &["--vary", "app.replicas=2,3", "--set", "slo.p99=soon"],
            "--set 'slo.p99=soon': slo.p99",
        ),
        (
            &["--vary", "traffic.rate=1/s..10/s:3:cubic"],
            "not a spacing",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["sweep", "m.toml"];
        all.extend_from_slice(args);
        let out = resim(&dir, &all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn a_sweep_finds_the_smallest_design_and_gives_the_same_bytes_at_any_thread_count() {
    let dir = scratch("sweep_cli");
    std::fs::write(dir.join("m.toml"), SMALL).expect("write");
    let run = |threads: &str, out: &str, find: &[&str]| {
        let mut args = vec![
            "sweep",
            "m.toml",
            "--vary",
            "app.replicas=2,3,4,5,6",
            "--vary",
            "traffic.rate=150/s,300/s",
            "--scenario",
            "pod-loss",
            "--trials",
            "3",
            "--threads",
            threads,
            "--out",
            out,
        ];
        args.extend_from_slice(find);
        let o = resim(&dir, &args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let text = run("1", "a", &["--find", "min", "app.replicas"]);
    run("2", "b", &["--find", "min", "app.replicas"]);
    for f in ["summary.json", "sweep.csv", "slo_margin.csv"] {
        let a = std::fs::read(dir.join("a").join(f)).expect("written");
        let b = std::fs::read(dir.join("b").join(f)).expect("written");
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
    // With one pod lost the others carry its load: 300/s needs more pods
    // than 150/s to keep the p99 under 80 ms.
    assert!(
        text.contains("find min app.replicas with traffic.rate=150/s"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("a/summary.json")).expect("summary"))
            .expect("json");
    let finds = json["find"].as_array().expect("findings");
    let at = |i: usize| finds[i]["value"].as_f64().expect("found");
    assert!(at(0) <= at(1), "{finds:?}");
    let first = &json["points"][0]["scenarios"][0];
    for key in [
        "success",
        "p50_s",
        "p99_s",
        "p999_s",
        "goodput_per_s",
        "utilisation",
        "slo",
    ] {
        assert!(first.get(key).is_some(), "{key} missing: {first}");
    }
    assert_eq!(json["points"][0]["cost_per_hour"], 0.6);
    let csv = std::fs::read_to_string(dir.join("a/sweep.csv")).expect("csv");
    assert!(
        csv.starts_with("stage,app.replicas,traffic.rate [/s],scenario,"),
        "{csv}"
    );
    // The design-review page, with the verdicts and the answers.
    let html = std::fs::read_to_string(dir.join("a/report.html")).expect("report.html");
    assert!(
        html.contains("find min app.replicas"),
        "no finding in report.html"
    );
    assert!(html.matches("<svg").count() >= 4, "charts inline");
    // The SLO margin heat map: a cell per grid point (5 replicas × 2
    // rates), each labelled with its verdict, and listed in the report.
    let svg =
        std::fs::read_to_string(dir.join("a/sweep_pod-loss_slo_margin.svg")).expect("heat map");
    let verdicts = (svg.lines())
        .filter(|l| ["met", "missed", "undecided"].contains(&l.trim()))
        .count();
    assert_eq!(verdicts, 10, "{svg}");
    assert!(dir.join("a/sweep_pod-loss_slo_margin.png").exists());
    assert!(
        html.contains("pod-loss: SLO margin (worst objective: "),
        "heat map not in report.html"
    );
    // Cheapest: the cost grows with replicas, so it is the smallest holding one.
    let cheap = run("2", "c", &["--find", "cheapest"]);
    assert!(cheap.contains("find cheapest: app.replicas="), "{cheap}");
}
