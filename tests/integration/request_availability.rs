//! Request availability (issue 10): the share of a year's requests that
//! succeed, by the window method, against theory, against the state
//! availability it departs from, and against a brute-force drill of the
//! whole horizon.

use resim::availability::request_summary::RequestAvailability;
use resim::availability::requests::WindowSettings;
use resim::availability::{AvailabilityRequest, run};
use resim::engine::SimTime;
use resim::model::Model;

fn secs(s: u64) -> SimTime {
    SimTime(s * SimTime::SECOND.0)
}

/// Request availability of `text` over `trials` trials of `hours`.
fn request_level(
    text: &str,
    trials: u64,
    hours: u64,
    windows: WindowSettings,
) -> RequestAvailability {
    let model = Model::parse(text, "t.toml").expect("valid model");
    let req = AvailabilityRequest {
        trials,
        horizon: SimTime(hours * SimTime::HOUR.0),
        seed: 17,
        threads: 2,
        request_trials: trials,
        windows,
        ..Default::default()
    };
    let r = run(&model, &req, |_, _| {}).expect("runs");
    r.summary.request_availability.expect("request level ran")
}

/// Request availability of `text` and each trial's share (defaults).
fn request_level_trials(text: &str, trials: u64, hours: u64) -> (RequestAvailability, Vec<f64>) {
    let model = Model::parse(text, "t.toml").expect("valid model");
    let req = AvailabilityRequest {
        trials,
        horizon: SimTime(hours * SimTime::HOUR.0),
        seed: 17,
        threads: 2,
        request_trials: trials,
        ..Default::default()
    };
    let r = run(&model, &req, |_, _| {}).expect("runs");
    let shares = r
        .request_trials
        .iter()
        .map(|t| t.counts.success_ratio())
        .collect();
    (
        r.summary.request_availability.expect("request level ran"),
        shares,
    )
}

/// Requests that take no time against one component failing after exp(10
/// min) and repaired after exp(1 min), optionally through a caller that
/// retries after a fixed delay.
fn zero_time(retry: &str) -> String {
    format!(
        r#"
[components.front]
depends_on = ["svc"]
service = {{ dist = "constant", value = "0s" }}
latency = {{ dist = "constant", value = "0s" }}
timeout = "10m"
workers = 1000
{retry}

[components.svc]
service = {{ dist = "constant", value = "0s" }}
latency = {{ dist = "constant", value = "0s" }}
workers = 1000
failure = {{ dist = "exponential", mean = "10m" }}
repair = {{ dist = "exponential", mean = "1m" }}

[traffic]
rate = "20/s"
timeout = "10m"
"#
    )
}

/// λ + μ of the component above [1/s], and its availability.
const RATE_SUM: f64 = 1.0 / 600.0 + 1.0 / 60.0;
const A: f64 = 600.0 / 660.0;

/// The standard deviation of one trial's time-average availability over
/// `t` seconds: 2 A (1 - A) / ((λ + μ) t) for a two-state Markov chain.
fn sd_of_time_average(t: f64) -> f64 {
    (2.0 * A * (1.0 - A) / RATE_SUM / t).sqrt()
}

#[test]
fn zero_time_requests_succeed_in_the_share_of_time_the_component_is_up() {
    let (trials, hours) = (8, 48);
    let r = request_level(&zero_time(""), trials, hours, WindowSettings::default());
    let sd = sd_of_time_average(hours as f64 * 3600.0) / (trials as f64).sqrt();
    assert!(
        (r.mean - A).abs() < 4.0 * sd,
        "request availability {:.5}, theory {A:.5} +- {:.5}",
        r.mean,
        4.0 * sd
    );
    // The reported interval has the width the variance gives.
    let half = (r.ci95[1] - r.ci95[0]) / 2.0;
    assert!(
        half > 0.8 * sd && half < 2.0 * 2.4 * sd,
        "half-width {half}, sd {sd}"
    );
    // Every failed request was refused while the component was down.
    assert_eq!(r.failed_by_cause.len(), 1, "{:?}", r.failed_by_cause);
    assert_eq!(r.failed_by_cause[0].cause, "refused");
}

#[test]
fn retries_after_a_fixed_delay_fail_only_if_every_try_finds_it_down() {
    let (r_max, d) = (2, 30.0);
    let retry = format!(
        "[components.front.calls.svc]\ntimeout = \"10m\"\nretry = {{ max = {r_max}, base = \"{d}s\", cap = \"{d}s\", jitter = \"none\" }}\n"
    );
    // The margins cover every retry, so a disturbance keeps its requests.
    let windows = WindowSettings {
        after: secs(60),
        ..Default::default()
    };
    let (trials, hours) = (8, 48);
    let r = request_level(&zero_time(&retry), trials, hours, windows);
    let p_still_down = (1.0 - A) + A * (-RATE_SUM * d).exp();
    let theory = 1.0 - (1.0 - A) * p_still_down.powi(r_max);
    // The run's own interval (from the trials' variance), doubled: ~4 sigma.
    let half = (r.ci95[1] - r.ci95[0]) / 2.0;
    assert!(
        (r.mean - theory).abs() < 2.0 * half,
        "request availability {:.5}, theory {theory:.5}, 95% half-width {half:.5}",
        r.mean
    );
    assert!(r.mean > A + 0.03, "retries help: {} vs {A}", r.mean);
}

/// lb (round robin) -> 3 pods, each failing after exp(10 min) and back after
/// a fixed minute; 30 req/s.
fn pods(health_check: &str) -> String {
    format!(
        r#"
[components.lb]
kind = "load_balancer"
algorithm = "round_robin"
depends_on = ["app"]
{health_check}

[components.app]
kind = "pods"
instances = 3
service = {{ dist = "constant", value = "1ms" }}
latency = {{ dist = "constant", value = "0s" }}
failure = {{ dist = "exponential", mean = "10m" }}
repair = {{ dist = "constant", value = "1m" }}

[traffic]
rate = "30/s"
timeout = "10s"
"#
    )
}

#[test]
fn pods_behind_a_balancer_without_health_checks_lose_one_pods_share() {
    let (trials, hours) = (4, 24);
    let r = request_level(&pods(""), trials, hours, WindowSettings::default());
    // Each pod is an alternating renewal process: exp(u) up, d down, with
    // time-average variance u^2 d^2 / (u + d)^3 / t; three pods average.
    let (u, d) = (600.0_f64, 60.0_f64);
    let pod = u / (u + d);
    let sd =
        (u * u * d * d / (u + d).powi(3) / (hours as f64 * 3600.0) / 3.0 / trials as f64).sqrt();
    assert!(
        (r.mean - pod).abs() < 4.0 * sd,
        "request availability {:.5}, one pod's {pod:.5} +- {:.5}",
        r.mean,
        4.0 * sd
    );
    // The state trial counts the service up while any pod is: far higher.
    assert!(r.state_availability > 0.998, "{}", r.state_availability);
    assert!(r.state_availability - r.mean > 0.08);
}

#[test]
fn with_health_checks_a_pod_failure_costs_its_detection_time() {
    let (trials, hours) = (4, 24);
    let hc = r#"health_check = { interval = "2s", rise = 2, fall = 3 }"#;
    let r = request_level(&pods(hc), trials, hours, WindowSettings::default());
    // A dead pod's first failed check comes U(0, interval) after the crash,
    // then fall - 1 more: D = 5 s on average, during which the balancer
    // still gives it its share: 1/(3 - K) of 30 req/s, with K ~ Bin(2, q)
    // the other pods out (q = 60/660 each).
    let detection = 1.0 + 2.0 * 2.0;
    let q: f64 = 60.0 / 660.0;
    let share = (1.0 - q).powi(2) / 3.0 + 2.0 * q * (1.0 - q) / 2.0 + q * q;
    let per_failure = 30.0 * share * detection;
    let failures_per_year = 3.0 * 8760.0 * 3600.0 / 660.0;
    let expected = failures_per_year * per_failure;
    // The count of failures is ~Poisson; each loses Poisson(r D) requests
    // with D ~ U(4, 6) (variance r D + r^2 Var D, r = 30 share).
    let failures = failures_per_year * (hours * trials) as f64 / 8760.0;
    let r_share = 30.0 * share;
    let per_failure_var = r_share * detection + r_share * r_share * 4.0 / 12.0;
    let rel_sd = (1.0 / failures + per_failure_var / per_failure.powi(2) / failures).sqrt();
    let sd = expected * rel_sd;
    let got = r.failed_per_year.mean;
    assert!(
        (got - expected).abs() < 4.0 * sd,
        "failed per year {got:.0}, detection share {expected:.0} +- {:.0}",
        4.0 * sd
    );
    // Far below the share one unchecked pod loses (1/11).
    assert!(1.0 - r.mean < 0.2 / 11.0, "{}", r.mean);
}

/// Failures every few minutes: three pods behind a checked balancer and a
/// database with a replica, at 20 req/s.
const BUSY: &str = r#"
[components.lb]
kind = "load_balancer"
depends_on = ["app"]
health_check = { interval = "2s", rise = 2, fall = 2 }

[components.app]
kind = "pods"
instances = 3
depends_on = ["db"]
workers = 4
service = { dist = "lognormal", median = "5ms", p95 = "20ms" }
timeout = "2s"
failure = { dist = "exponential", mean = "15m" }
repair = { dist = "lognormal", median = "30s", p95 = "3m" }

[components.db]
kind = "database"
replicas = 1
workers = 8
service = { dist = "constant", value = "2ms" }
failure = { dist = "exponential", mean = "3h" }
repair = { dist = "exponential", mean = "5m" }
failover = { dist = "uniform", min = "10s", max = "20s" }

[traffic]
rate = "20/s"
timeout = "10s"

[[scenarios]]
name = "day"
duration = "1d"
warmup = "10s"
random_failures = true
"#;

#[test]
fn the_window_method_agrees_with_a_brute_force_drill_of_the_whole_day() {
    let trials = 4;
    let (windows, windows_trials) = request_level_trials(BUSY, trials, 24);
    // The same trial seeds give the same failure timelines in both.
    let model = Model::parse(BUSY, "t.toml").expect("valid model");
    let req = resim::drill::DrillRequest {
        seed: 17,
        bin: SimTime(60 * SimTime::SECOND.0),
        ..super::util::request(trials, 17)
    };
    let r = resim::drill::run_scenario(&model, &model.scenarios[0], &req, &|_| {}).expect("runs");
    let shares: Vec<f64> = r
        .iter()
        .map(|t| t.succeeded() as f64 / t.offered() as f64)
        .collect();
    let (brute, lo, hi) = resim::stats::ci::mean_ci95(&shares).expect("trials");
    let paired: Vec<f64> = windows_trials
        .iter()
        .zip(&shares)
        .map(|(w, b)| w - b)
        .collect();
    eprintln!(
        "paired differences {:?}",
        resim::stats::ci::mean_ci95(&paired)
    );
    let h_brute = (hi - lo) / 2.0;
    let h_win = (windows.ci95[1] - windows.ci95[0]) / 2.0;
    let tol = h_brute.hypot(h_win);
    eprintln!(
        "brute force {brute:.6} +- {h_brute:.6}, windows {:.6} +- {h_win:.6}",
        windows.mean
    );
    assert!(brute < 0.9995, "failures cost requests: {brute}");
    assert!(
        (windows.mean - brute).abs() < tol,
        "windows {:.6}, brute force {brute:.6}, 95% of the difference {tol:.6}",
        windows.mean
    );
}

#[test]
fn the_cli_prints_both_availabilities_and_writes_them_to_summary_json() {
    let dir = super::util::scratch("request-availability-cli");
    std::fs::write(dir.join("m.toml"), zero_time("")).expect("write model");
    let o = super::util::resim(
        &dir,
        &[
            "availability",
            "m.toml",
            "--trials",
            "4",
            "--horizon",
            "6h",
            "--request-trials",
            "2",
            "--out",
            "out",
        ],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let starts = |p: &str| stdout.lines().any(|l| l.starts_with(p));
    assert!(
        starts("availability ") && starts("requests ok "),
        "{stdout}"
    );
    assert!(
        stdout.contains("failed requests per year by cause:\n  refused"),
        "{stdout}"
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("out/summary.json")).expect("summary.json"),
    )
    .expect("json");
    let r = &json["request_availability"];
    let mean = r["mean"].as_f64().expect("mean");
    let ci = r["ci95"].as_array().expect("ci95");
    assert!(
        ci[0].as_f64().unwrap() <= mean && mean <= ci[1].as_f64().unwrap(),
        "{r}"
    );
    assert_eq!(r["trials"], 2);
    assert!(json["availability"]["mean"].as_f64().is_some());
}

/// Issue 10 leftover: the windows and the baseline replay a daily traffic
/// profile at their time of day, not from the profile's start (which, with
/// the peak at noon, sits at the trough and would halve the year's traffic).
#[test]
fn a_daily_profile_is_replayed_at_each_windows_time_of_day() {
    let text = zero_time("").replace(
        "rate = \"20/s\"",
        "rate = \"20/s\"\ndaily = { trough = \"10/s\", peak = \"30/s\", peak_at = \"12h\" }",
    );
    let (trials, hours) = (8, 48);
    let r = request_level(&text, trials, hours, WindowSettings::default());
    let year = SimTime::YEAR.as_secs_f64();
    // Offered: the profile's mean, 20/s; the baseline's samples of the
    // sinusoid average to it exactly, the Poisson noise is ~1e-3.
    let offered = r.requests_per_year / year;
    assert!((offered - 20.0).abs() < 0.5, "offered {offered}/s");
    // Failed: failures fall uniformly over the day, so (1 - A) x 20/s; the
    // share's sd over the trials is sd_of_time_average / sqrt(trials), and
    // the rate's swing adds at most as much again: 5 sd of the share.
    let failed = r.failed_per_year.mean / year;
    let sd = sd_of_time_average(hours as f64 * 3600.0) / (trials as f64).sqrt();
    let theory = (1.0 - A) * 20.0;
    assert!(
        (failed - theory).abs() < 5.0 * sd * 20.0,
        "failed {failed}/s, theory {theory} +- {}",
        5.0 * sd * 20.0
    );
}
