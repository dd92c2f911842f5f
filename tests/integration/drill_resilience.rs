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
