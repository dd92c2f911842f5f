//! The drill's queue outputs (issue 17, item 3) against queueing theory, the
//! load figures of `resim check` (item 5) against the formulas, and the
//! `--percentiles` flag.
//!
//! Models. One pod component called straight by the client with no network
//! latency, exponential service of mean 10 ms (μ = 100/s) and timeouts of
//! 60 s, so every call is a pure M/M/c (or M/M/c/c) customer; as in
//! `drill_theory.rs`.
//!
//! Tolerance. A figure is measured once per trial; across n independent
//! trials with mean x̄ and standard deviation s a test passes when
//! |x̄ − theory| < Z·s/√n + b, Z = 4, b a known bias bound (0 unless stated),
//! and it asserts that the tolerance is under 10% of the value so that it
//! can fail. Warm-ups are at least 50 relaxation times (see
//! `drill_theory.rs`): the start-up bias is negligible.
//!
//! Cost: about 1 M requests, a couple of seconds in release; ignored in
//! debug builds.

use resim::drill::{Cause, DrillRequest, ScenarioSummary, TrialResult, run_scenario};
use resim::engine::SimTime;
use resim::engine::mmc::MmcParams;
use resim::model::Model;

use crate::util::{resim, scratch};

const Z: f64 = 4.0;
const MU: f64 = 100.0;

fn queue_model(workers: u32, queue: u32, rate: f64, warmup_s: u32, duration_s: u32) -> String {
    format!(
        r#"
[components.server]
kind = "pods"
workers = {workers}
queue = {queue}
service = {{ dist = "exponential", mean = "10ms" }}
latency = {{ dist = "constant", value = "0s" }}
timeout = "60s"

[traffic]
rate = {rate:?}
read_ratio = 1.0
timeout = "60s"

[[scenarios]]
name = "steady"
duration = "{duration_s}s"
warmup = "{warmup_s}s"
"#
    )
}

fn run(text: &str, trials: u64, seed: u64) -> (Model, Vec<TrialResult>) {
    let m = Model::parse(text, "queue.toml").unwrap_or_else(|e| panic!("{e}"));
    let req = DrillRequest {
        trials,
        seed,
        threads: 2,
        bin: SimTime(10 * SimTime::SECOND.0),
        snapshots: Vec::new(),
    };
    let r = run_scenario(&m, &m.scenarios[0], &req, &|_| {}).expect("run");
    (m, r)
}

/// Mean and standard error across trials.
fn across(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = xs.collect();
    assert!(v.iter().all(|x| x.is_finite()), "a trial has no value");
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

fn assert_close(case: &str, (mean, se): (f64, f64), theory: f64, bias: f64) {
    assert_close_within(case, (mean, se), theory, bias, 0.1);
}

/// [`assert_close`] with the largest tolerance allowed, relative.
fn assert_close_within(case: &str, (mean, se): (f64, f64), theory: f64, bias: f64, widest: f64) {
    let tol = Z * se + bias;
    eprintln!(
        "{case}: simulated {mean:.6}, theory {theory:.6}, error {:+.2}%, tolerance {:.2}%",
        100.0 * (mean - theory) / theory,
        100.0 * tol / theory
    );
    assert!(
        (mean - theory).abs() < tol,
        "{case}: simulated {mean:.6} vs theory {theory:.6} (tolerance {tol:.3e})"
    );
    assert!(
        tol < widest * theory,
        "{case}: tolerance {tol:.3e} too wide"
    );
}

/// The share of a histogram's values at or above `t`, for `t` the low end
/// of a bucket (exact: no bucket straddles it).
fn share_at_least(h: &resim::stats::LatencyHistogram, t: u64) -> f64 {
    let above: u64 = h.iter().filter(|b| b.low >= t).map(|b| b.count).sum();
    assert!(
        h.iter().all(|b| b.low >= t || b.high < t),
        "{t} is not a bucket edge"
    );
    above as f64 / h.count() as f64
}

/// M/M/4 at ρ = 0.75: the wait is 0 with probability 1 − C and otherwise
/// exponential with rate cμ − λ, so P(W > t) = C·e^(−(cμ−λ)t); P(wait > 0)
/// = C; the time all four workers are busy is also C (PASTA); the wait's
/// p99 solves C·e^(−(cμ−λ)t) = 0.01.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "statistical: run with cargo test --release"
)]
fn mmc_waiting_time_law_is_erlang_c() {
    let (c, lambda) = (4u32, 300.0);
    // τ ≈ 1/(√(cμ) − √λ)² = 0.14 s; 10 s warm-up.
    let (model, trials) = run(&queue_model(c, 100_000, lambda, 10, 150), 16, 1701);
    let p = MmcParams {
        arrival_rate: lambda,
        service_rate: MU,
        servers: c,
    };
    let erlang_c = p.wait_probability().expect("stable");
    let decay = f64::from(c) * MU - lambda;
    for t in &trials {
        assert_eq!(t.calls[0].arrived, t.calls[0].served, "a call was lost");
        assert_eq!(t.waits[0].count(), t.calls[0].served);
        assert_eq!(t.calls[0].lost, [0; resim::drill::CAUSES]);
    }
    // P(W ≥ t) at bucket edges 2^21, 2^22, 2^23, 2^24 ns (2.1 .. 16.8 ms).
    for k in 21..=24u32 {
        let edge = 1u64 << k;
        let secs = edge as f64 / 1e9;
        let theory = p.wait_exceeds(secs).expect("stable");
        assert!((theory - erlang_c * (-decay * secs).exp()).abs() < 1e-12);
        let sim = across(trials.iter().map(|t| share_at_least(&t.waits[0], edge)));
        assert_close(&format!("P(W > {:.1} ms)", secs * 1e3), sim, theory, 0.0);
    }
    let summary = ScenarioSummary::from_trials(&model, &model.scenarios[0], 10.0, &trials);
    let q = &summary.queues[0];
    assert_eq!(q.component, "server");
    let pw = across(trials.iter().map(|t| t.calls[0].wait_probability()));
    assert!((q.wait_probability.mean - pw.0).abs() < 1e-12);
    assert_close("P(wait > 0)", pw, erlang_c, 0.0);
    let wq = across(trials.iter().map(|t| t.calls[0].mean_wait_secs()));
    assert!((q.mean_wait_ms.mean - wq.0 * 1e3).abs() < 1e-9);
    assert_close("mean wait [s]", wq, p.mean_wait().expect("stable"), 0.0);
    let busy = across(trials.iter().map(|t| {
        let up: f64 = t.gauges[0].iter().map(|g| g.up).sum();
        t.gauges[0].iter().map(|g| g.full).sum::<f64>() / up
    }));
    assert!((q.all_busy.mean - busy.0).abs() < 1e-12);
    assert_close("time all workers busy", busy, erlang_c, 0.0);
    // The p99 of the wait, interpolated within its bucket: within the
    // bucket's width (1/32) of the sample's.
    let p99 = across(
        trials
            .iter()
            .map(|t| t.waits[0].quantile_interpolated(0.99).expect("waits") / 1e9),
    );
    let theory = (100.0 * erlang_c).ln() / decay;
    // The bucket's 3% makes most of the tolerance here.
    assert_close_within("wait p99 [s]", p99, theory, p99.0 / 32.0, 0.15);
    assert!(
        (q.wait_p99_ms / 1e3 - theory).abs() < 0.05 * theory,
        "{q:?}"
    );
    assert!(q.lost_per_trial.is_empty());
    // Per bin, the pooled P(wait > 0) stays near C.
    for b in &summary.bins {
        assert!((b.queues[0][2] - erlang_c).abs() < 0.1, "{:?}", b.queues[0]);
    }
}

/// M/M/c/c (no queue): the share of time every worker is busy (the time
/// congestion) is Erlang B, as is the share of calls turned away (PASTA),
/// and every lost call is counted as `queue_full`.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "statistical: run with cargo test --release"
)]
fn mmcc_time_congestion_is_erlang_b() {
    let (c, a) = (8u32, 6.0);
    let (model, trials) = run(&queue_model(c, 0, a * MU, 5, 60), 16, 1702);
    let b = MmcParams {
        arrival_rate: a * MU,
        service_rate: MU,
        servers: c,
    }
    .blocking_probability();
    assert!((b - 0.1219).abs() < 1e-4, "{b}");
    for t in &trials {
        let calls = t.calls[0];
        assert_eq!(calls.lost[Cause::QueueFull as usize], calls.rejected);
        assert_eq!(calls.lost.iter().sum::<u64>(), calls.rejected);
        assert_eq!(calls.waited, 0);
        let lost_in_bins: f64 = t.gauges[0].iter().map(|g| g.lost).sum();
        assert_eq!(lost_in_bins, calls.rejected as f64);
    }
    let congestion = across(trials.iter().map(|t| {
        let up: f64 = t.gauges[0].iter().map(|g| g.up).sum();
        t.gauges[0].iter().map(|g| g.full).sum::<f64>() / up
    }));
    assert_close("time congestion", congestion, b, 0.0);
    let summary = ScenarioSummary::from_trials(&model, &model.scenarios[0], 10.0, &trials);
    let q = &summary.queues[0];
    assert!((q.all_busy.mean - congestion.0).abs() < 1e-12);
    let lost = q
        .lost_per_trial
        .0
        .iter()
        .find(|(k, _)| k == "queue_full")
        .expect("losses")
        .1;
    let rejected = trials
        .iter()
        .map(|t| t.calls[0].rejected as f64)
        .sum::<f64>()
        / 16.0;
    assert!((lost - rejected).abs() < 1e-9);
    assert_eq!(q.wait_probability.mean, 0.0);
}

/// `resim check` prints each component's utilisation and, for exponential
/// service, Erlang C's P(wait > 0) and mean wait (Erlang B without a queue)
/// as the formulas give them, and warns where utilisation reaches 1.
#[test]
fn check_prints_the_erlang_figures() {
    let dir = scratch("queue_outputs_check");
    let text = r#"
[components.front]
kind = "pods"
instances = 2
workers = 4
queue = 100
service = { dist = "exponential", mean = "10ms" }
depends_on = ["store"]

[components.store]
kind = "pods"
workers = 8
queue = 0
latency = { dist = "constant", value = "0s" }
service = { dist = "exponential", mean = "10ms" }

[traffic]
rate = "600/s"
"#;
    std::fs::write(dir.join("m.toml"), text).expect("write");
    let out = resim(&dir, &["check", "m.toml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let load = stdout
        .split("\nload at the peak traffic rate")
        .nth(1)
        .expect("a load section");
    // The store: M/M/8/8 at a = 6: Erlang B.
    let b = MmcParams {
        arrival_rate: 600.0,
        service_rate: MU,
        servers: 8,
    }
    .blocking_probability();
    let line = format!(
        "Erlang B (M/M/8/8, no queue): {:.3}% of calls turned away",
        b * 100.0
    );
    assert!(load.contains(&line), "{line} not in\n{load}");
    assert!(load.contains("store: 600/s offered (600/s per instance), 8 workers per instance, mean service 10.000 ms, utilisation 75.0%"), "{load}");
    // The front holds a worker through its call to the store, so no Erlang
    // figure; its utilisation counts the store's 10 ms.
    assert!(load.contains("front: 600/s offered (300/s per instance), 4 workers per instance, mean service 10.000 ms, a worker held 20.000 ms with its calls, utilisation 150.0%"), "{load}");
    assert!(load.contains("warning: front: utilisation 150%"), "{load}");
    assert!(load.contains("bottleneck: front"), "{load}");

    // A leaf with a queue: Erlang C.
    let leaf = text.replace("depends_on = [\"store\"]", "");
    let leaf = leaf.replace("rate = \"600/s\"", "rate = \"600/s\"\n");
    std::fs::write(dir.join("leaf.toml"), leaf).expect("write");
    let out = resim(&dir, &["check", "leaf.toml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let p = MmcParams {
        arrival_rate: 300.0,
        service_rate: MU,
        servers: 4,
    };
    let line = format!(
        "Erlang C (M/M/4 per instance): P(wait > 0) = {:.3}%, mean wait {:.3} ms",
        p.wait_probability().expect("stable") * 100.0,
        p.mean_wait().expect("stable") * 1e3
    );
    assert!(stdout.contains(&line), "{line} not in\n{stdout}");
    assert!(stdout.contains("utilisation 75.0%"), "{stdout}");
    assert!(!stdout.contains("warning: front"), "{stdout}");
}

/// `--percentiles`: the chosen set is reported (summary.json keeps its
/// fixed keys and adds the map, the relative error and the queues;
/// timeseries.csv adds columns at the end); a bad value is exit 2 with a
/// message naming it.
#[test]
fn percentiles_flag_reports_and_refuses() {
    let dir = scratch("queue_outputs_percentiles");
    std::fs::write(dir.join("m.toml"), queue_model(2, 50, 100.0, 1, 20)).expect("write");
    let out = resim(
        &dir,
        &[
            "run",
            "m.toml",
            "--percentiles",
            "50,95,99.9",
            "--trials",
            "2",
            "--out",
            "o",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("latency       p50 "), "{stdout}");
    assert!(
        stdout.contains(", p95 ") && stdout.contains(", p99.9 "),
        "{stdout}"
    );
    assert!(stdout.contains("queue server:"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("o/summary.json")).expect("read"))
            .expect("json");
    let sc = &json["scenarios"]["steady"];
    let lat = &sc["latency_ms"];
    for key in ["mean", "p50", "p90", "p99", "p999", "relative_error"] {
        assert!(lat[key].is_number(), "latency_ms.{key}: {lat}");
    }
    let keys: Vec<&String> = lat["percentiles"]
        .as_object()
        .expect("map")
        .keys()
        .collect();
    assert_eq!(keys, ["p50", "p95", "p99.9"]);
    let err = lat["relative_error"].as_f64().expect("number");
    assert!(err > 0.0 && err <= 1.0 / 32.0, "{err}");
    let q = &sc["queues"][0];
    assert_eq!(q["component"], "server");
    for key in ["wait_probability", "mean_wait_ms", "all_busy"] {
        assert!(q[key]["mean"].is_number(), "queues[0].{key}: {q}");
    }
    assert!(q["wait_p99_ms"].is_number() && q["wait_percentiles_ms"]["p95"].is_number());
    let csv = std::fs::read_to_string(dir.join("o/timeseries.csv")).expect("read");
    let header = csv.lines().next().expect("header");
    assert!(
        header.ends_with("server_all_busy,server_mean_wait_ms,server_wait_probability,server_lost"),
        "{header}"
    );
    assert!(header.starts_with("scenario,t_start_s,offered,success_mean"));

    for bad in ["0", "100", "101", "abc", "50,,90"] {
        for cmd in ["run", "compare", "sweep"] {
            let mut args = vec![cmd, "m.toml", "--percentiles", bad];
            if cmd == "sweep" {
                args.extend(["--vary", "traffic.rate=50/s,100/s"]);
            }
            let out = resim(&dir, &args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{cmd} {bad}: {stderr}");
            assert!(stderr.contains("--percentiles"), "{cmd} {bad}: {stderr}");
            let why = if bad == "abc" {
                "'abc' is not a number"
            } else if bad.contains(",,") {
                "empty entry"
            } else {
                "strictly between 0 and 100"
            };
            assert!(stderr.contains(why), "{cmd} {bad}: {stderr}");
        }
    }
}
