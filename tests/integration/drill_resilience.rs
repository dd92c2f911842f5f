//! Caller-side policies on an edge act in the drill: retries recover
//! failures that another try would not meet, and a circuit breaker fails
//! calls fast once its failure threshold is reached.

use resim::drill::{Cause, DrillRequest, TrialResult, run_scenario};
use resim::engine::SimTime;
use resim::model::Model;

/// `front` calls `svc` (two instances, round robin); svc[0] is down for the
/// whole measured window.
fn model(policy: &str) -> String {
    format!(
        r#"
[components.front]
depends_on = ["svc"]
service = {{ dist = "constant", value = "1ms" }}
workers = 100
{policy}

[components.svc]
instances = 2
service = {{ dist = "constant", value = "1ms" }}
workers = 100

[traffic]
rate = "100/s"
timeout = "5s"

[[scenarios]]
name = "s"
duration = "2m"
warmup = "10s"
[[scenarios.events]]
at = "0s"
fault = "crash"
target = "svc"
instance = 0
"#
    )
}

fn run(text: &str) -> Vec<TrialResult> {
    let model = Model::parse(text, "t.toml").expect("valid model");
    let req = DrillRequest {
        trials: 4,
        seed: 3,
        threads: 2,
        bin: SimTime(10 * SimTime::SECOND.0),
        snapshots: Vec::new(),
    };
    run_scenario(&model, &model.scenarios[0], &req, &|_| {}).expect("runs")
}

fn totals(r: &[TrialResult]) -> (u64, u64, [u64; resim::drill::CAUSES]) {
    let mut failed = [0; resim::drill::CAUSES];
    for t in r {
        for (f, x) in failed.iter_mut().zip(t.failed()) {
            *f += x;
        }
    }
    (
        r.iter().map(|t| t.offered()).sum(),
        r.iter().map(|t| t.succeeded()).sum(),
        failed,
    )
}

#[test]
fn without_retries_half_the_calls_meet_the_dead_instance() {
    let (offered, ok, failed) = totals(&run(&model("")));
    let share = ok as f64 / offered as f64;
    // Round robin alternates between the instances: exactly every other call fails.
    assert!((share - 0.5).abs() < 0.01, "{share}");
    assert_eq!(failed[Cause::Refused as usize], offered - ok);
}

#[test]
fn retries_reach_the_live_instance() {
    // Round robin is shared by all callers, so a retry lands on either
    // instance about equally often: with r retries about 1 - 2^-(r+1) of the
    // requests succeed (the exact retry arithmetic is tested in
    // behaviours::retry; here we check the wiring moves the figure).
    let share = |max: u32| {
        let policy = format!(
            "[components.front.calls.svc]\nretry = {{ max = {max}, base = \"10ms\", cap = \"100ms\", jitter = \"full\" }}"
        );
        let r = run(&model(&policy));
        let (offered, ok, failed) = totals(&r);
        assert_eq!(
            failed[Cause::Refused as usize],
            offered - ok,
            "only refusals remain"
        );
        ok as f64 / offered as f64
    };
    let one = share(1);
    let three = share(3);
    assert!(one > 0.7 && one < 0.85, "{one}");
    assert!(three > 0.9 && three > one, "{three}");
}

#[test]
fn an_open_breaker_fails_fast() {
    let policy = r#"[components.front.calls.svc]
breaker = { window = 20, min_calls = 20, failure_rate = 40, open = "30s", half_open_calls = 2 }"#;
    let (offered, ok, failed) = totals(&run(&model(policy)));
    assert!(failed[Cause::CircuitOpen as usize] > 0, "{failed:?}");
    // Fail-fast replaces most refusals: far fewer calls reach the dead instance.
    assert!(
        failed[Cause::Refused as usize] < (offered - ok) / 4,
        "{failed:?}"
    );
}

/// One pod with 4 workers at 10 ms (capacity 400/s) offered 800/s.
fn overload(queue_timeout: &str) -> Vec<TrialResult> {
    let text = format!(
        r#"
[components.svc]
workers = 4
queue = 2000
{queue_timeout}
service = {{ dist = "exponential", mean = "10ms" }}
latency = {{ dist = "constant", value = "0s" }}
timeout = "30s"

[traffic]
rate = "800/s"
timeout = "30s"

[[scenarios]]
name = "s"
duration = "60s"
warmup = "10s"
"#
    );
    run(&text)
}

#[test]
fn load_shedding_bounds_the_latency_of_accepted_requests() {
    let p99_ms = |r: &[TrialResult]| {
        let mut all = resim::stats::LatencyHistogram::new();
        for t in r {
            all.merge(&t.latency);
        }
        all.quantile(0.99).expect("some successes") as f64 / 1e6
    };
    let shed = overload("queue_timeout = \"50ms\"");
    let unshed = overload("");
    // Accepted requests wait at most 50 ms, then take at most the service
    // time's p99 (10 ms * ln 100 = 46 ms): p99 below ~96 ms plus the
    // histogram's 1/64 error.
    assert!(p99_ms(&shed) < 100.0, "shed p99 {}", p99_ms(&shed));
    // Without shedding the queue fills: 2000 queued / 400 per s = 5 s of wait.
    assert!(p99_ms(&unshed) > 1000.0, "unshed p99 {}", p99_ms(&unshed));
    // Shedding still serves at capacity: about half of the offered load.
    let (offered, ok, failed) = totals(&shed);
    let share = ok as f64 / offered as f64;
    assert!((share - 0.5).abs() < 0.03, "{share}");
    assert_eq!(failed[Cause::QueueFull as usize], offered - ok);
}

#[test]
fn adaptive_concurrency_sheds_the_excess_without_a_queue_time_setting() {
    let r = overload("adaptive_concurrency = {}");
    let mut all = resim::stats::LatencyHistogram::new();
    for t in &r {
        all.merge(&t.latency);
    }
    // The limit settles where latency stays within minRTT + 25%: a few
    // requests beyond the 4 workers. The p99 of accepted requests is then a
    // few service times, far from the unshed queue's seconds.
    let p99 = all.quantile(0.99).expect("successes") as f64 / 1e6;
    assert!(p99 < 100.0, "p99 {p99} ms");
    // It still serves close to capacity (400/s of 800/s offered).
    let (offered, ok, failed) = totals(&r);
    let share = ok as f64 / offered as f64;
    eprintln!("adaptive concurrency: p99 {p99:.1} ms, served {share:.3} of offered");
    assert!(share > 0.45 && share <= 0.51, "{share}");
    assert_eq!(failed[Cause::QueueFull as usize], offered - ok);
}

/// The bundled retry-storm model: the overload outlives its 15-s trigger
/// without a budget, and a budget, jitter and a breaker let it recover.
#[test]
fn a_retry_storm_outlives_its_trigger_and_a_budget_cures_it() {
    let path = super::util::repo().join("models/retry-storm.toml");
    let text = std::fs::read_to_string(&path).expect("bundled model");
    let a = Model::parse(&text, "retry-storm.toml").expect("valid");
    let b = resim::compare::apply_sets(
        &text,
        "retry-storm.toml",
        &[
            "app.calls.db.budget={ percent = 20, min_concurrency = 3 }".into(),
            "app.calls.db.retry={ max = 3, base = \"25ms\", cap = \"250ms\", jitter = \"full\", per_try_timeout = \"100ms\" }".into(),
            "app.calls.db.breaker={ window = 100, min_calls = 50, failure_rate = 50, open = \"5s\", half_open_calls = 10 }".into(),
        ],
    )
    .expect("valid edits");
    let req = DrillRequest {
        trials: 2,
        seed: 5,
        threads: 2,
        bin: SimTime(10 * SimTime::SECOND.0),
        snapshots: Vec::new(),
    };
    let c = resim::compare::compare_scenario(&a, &b, "db-slowdown", &req, &|_| {}).expect("runs");
    let last = |s: &resim::drill::ScenarioSummary| s.bins.last().expect("bins").success.mean;
    // The slowdown ended at 45 s; three minutes later A is still down, B is well.
    assert!(last(&c.a) < 0.05, "storm: {}", last(&c.a));
    assert!(last(&c.b) > 0.99, "cured: {}", last(&c.b));
    assert_eq!(c.metrics[0].winner, "B");

    // The readings show why: A keeps retrying every call three times (the
    // maximum), while B's breaker opens during the slowdown and B barely
    // retries (its budget caps retries at 20% of tries).
    let reading = |s: &resim::drill::ScenarioSummary, name: &str| -> Vec<f64> {
        let r = s.readings.iter().find(|r| r.def.name == name).expect(name);
        r.bins.iter().map(|b| b.mean).collect()
    };
    let per_request_a = reading(&c.a, "app.retries_per_request_to_db");
    assert_eq!(per_request_a[0], 0.0, "no retries before the slowdown");
    assert!(
        (per_request_a.last().expect("bins") - 3.0).abs() < 0.05,
        "{per_request_a:?}"
    );
    let per_request_b = reading(&c.b, "app.retries_per_request_to_db");
    assert!(per_request_b.iter().all(|&x| x < 0.2), "{per_request_b:?}");
    let breaker_b = reading(&c.b, "app.breaker_to_db");
    assert_eq!(breaker_b[0], 0.0, "closed before the slowdown");
    assert!(
        breaker_b.contains(&1.0),
        "open in the slowdown: {breaker_b:?}"
    );
    assert_eq!(*breaker_b.last().expect("bins"), 0.0, "closed again");
    assert!(
        c.a.readings
            .iter()
            .all(|r| r.def.name != "app.breaker_to_db")
    );
}

/// [`model`] with svc[0] slow (x100: 100 ms a call) instead of down.
fn slow_model(policy: &str) -> String {
    model(policy).replace("fault = \"crash\"", "fault = \"slow\"\nfactor = 100")
}

/// [`model`] without the fault.
fn healthy_model(policy: &str) -> String {
    let m = model(policy);
    m[..m.find("[[scenarios.events]]").expect("events")].to_string()
}

fn summary(text: &str) -> resim::drill::ScenarioSummary {
    let m = Model::parse(text, "t.toml").expect("valid model");
    resim::drill::ScenarioSummary::from_trials(&m, &m.scenarios[0], 10.0, &run(text))
}

#[test]
fn a_hedge_to_the_other_instance_cuts_the_tail_of_a_slow_one() {
    let plain = summary(&slow_model(""));
    let hedged = summary(&slow_model(
        "[components.front.calls.svc]\nhedge = { delay = \"10ms\" }",
    ));
    eprintln!(
        "p99 without hedging {:.1} ms, with a 10-ms hedge {:.1} ms",
        plain.latency_ms.p99, hedged.latency_ms.p99
    );
    // Without hedging, half the calls wait 100 ms for svc[0].
    assert!(plain.latency_ms.p99 > 90.0, "{:?}", plain.latency_ms);
    // With a 10-ms hedge to svc[1], they take about 10 ms + 1.5 ms.
    assert!(hedged.latency_ms.p99 < 15.0, "{:?}", hedged.latency_ms);
    assert_eq!(hedged.availability.mean, 1.0);
    // The price: a hedge for every call that met svc[0], half of them.
    let hedges = hedged
        .readings
        .iter()
        .find(|r| r.def.name == "front.retries_per_request_to_svc")
        .expect("reading");
    for b in &hedges.bins {
        assert!((b.mean - 0.5).abs() < 0.05, "{}", b.mean);
    }
}

#[test]
fn a_fallback_answers_instead_of_failing() {
    let s = summary(&model(
        "[components.front.calls.svc]\nfallback = \"default\"",
    ));
    assert_eq!(s.availability.mean, 1.0);
    // Every call that met the dead svc[0] (half of 100/s) got the fallback.
    let f = s
        .readings
        .iter()
        .find(|r| r.def.name == "front.fallbacks_to_svc")
        .expect("reading");
    for b in &f.bins {
        assert!((b.mean - 50.0).abs() < 3.0, "{}", b.mean);
    }
}

#[test]
fn a_client_side_rate_limit_caps_the_calls() {
    let r = run(&healthy_model(
        "[components.front.calls.svc]\nrate_limit = { rate = \"50/s\", burst = 5 }",
    ));
    for t in &r {
        // 100/s offered against 50/s for 120 s: the bucket is nearly always
        // empty, so it admits 50/s (plus at most its burst).
        let ok = t.succeeded() as f64;
        assert!((ok - 6000.0).abs() < 0.02 * 6000.0, "{ok}");
        assert_eq!(
            t.failed()[Cause::RateLimited as usize] + t.succeeded(),
            t.offered()
        );
    }
}

#[test]
fn adaptive_throttling_rejects_locally_while_the_backend_fails() {
    // Both svc instances down for the first 30 s of the window.
    let outage = |policy: &str| model(policy).replace("instance = 0", "duration = \"30s\"");
    let svc_calls = |r: &[TrialResult]| r.iter().map(|t| t.calls[1].arrived).sum::<u64>();
    let plain = run(&outage(""));
    let throttled = run(&outage(
        "[components.front.calls.svc]\nthrottle = { k = 2, window = \"10s\" }",
    ));
    let (offered, ok_plain, _) = totals(&plain);
    let (_, ok_throttled, failed) = totals(&throttled);
    // The same requests fail (the backend is down either way)...
    assert!(ok_throttled <= ok_plain, "{ok_throttled} vs {ok_plain}");
    assert!(failed[Cause::Throttled as usize] > 0);
    // ...but most of them never reach it: with accepts at 0, each try is
    // sent with probability 1/(requests + 1) over the 10-s window.
    let (during_plain, during_throttled) = (svc_calls(&plain), svc_calls(&throttled));
    assert!(
        (during_plain - during_throttled) as f64 > 0.1 * offered as f64,
        "{during_plain} vs {during_throttled}"
    );
    // Once the backend is back, every admitted try succeeds, so each window
    // about doubles the admitted share (p' = 1 − K (1 − p) with K = 2): the
    // recovery is gradual, then complete.
    let share = |b: usize| {
        let (ok, off) = throttled.iter().fold((0, 0), |(o, f), t| {
            (o + t.bins[b].succeeded, f + t.bins[b].offered)
        });
        ok as f64 / off as f64
    };
    let shares: Vec<f64> = (0..12).map(share).collect();
    eprintln!("success by bin: {shares:.3?}");
    assert!(shares[3] < 0.2, "{shares:?}");
    for b in 4..11 {
        assert!(shares[b + 1] >= shares[b] - 0.02, "{shares:?}");
    }
    assert_eq!(shares[11], 1.0, "{shares:?}");
}
