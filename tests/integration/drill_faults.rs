//! Each fault and containment action of the scenario vocabulary has the
//! effect a runbook reader expects, seen in the per-bin outcomes.

use resim::drill::{Cause, TrialResult, run_scenario};
use resim::model::Model;

/// lb -> app (3 pods) -> db, 200 req/s, 10-s bins over 3 minutes.
fn system(events: &str) -> String {
    format!(
        r#"
[components.lb]
kind = "load_balancer"
depends_on = ["app"]

[components.app]
kind = "pods"
instances = 3
workers = 16
depends_on = ["db"]
service = {{ dist = "constant", value = "2ms" }}
timeout = "2s"

[components.db]
kind = "database"
replicas = 1
service = {{ dist = "constant", value = "1ms" }}
timeout = "500ms"

[traffic]
rate = "200/s"
read_ratio = 0.5
timeout = "5s"

[[scenarios]]
name = "s"
duration = "3m"
warmup = "20s"
{events}
"#
    )
}

fn run(events: &str) -> Vec<TrialResult> {
    super::util::drill(&system(events), 4, 9).1
}

/// Success ratio in bin `b`, over all trials.
fn success(r: &[TrialResult], b: usize) -> f64 {
    let (ok, off) = r.iter().fold((0, 0), |(o, f), t| {
        (o + t.bins[b].succeeded, f + t.bins[b].offered)
    });
    ok as f64 / off as f64
}

fn failed(r: &[TrialResult], b: usize, cause: Cause) -> u64 {
    r.iter().map(|t| t.bins[b].failed[cause as usize]).sum()
}

#[test]
fn no_fault_means_no_failure() {
    let r = run("");
    for b in 0..18 {
        assert_eq!(success(&r, b), 1.0, "bin {b}");
    }
}

#[test]
fn scale_to_zero_gives_no_backend_until_scaled_back() {
    let r = run(r#"
[[scenarios.events]]
at = "60s"
action = "scale"
target = "app"
replicas = 0
[[scenarios.events]]
at = "120s"
action = "scale"
target = "app"
replicas = 3
"#);
    assert_eq!(success(&r, 3), 1.0);
    assert_eq!(success(&r, 8), 0.0);
    assert!(failed(&r, 8, Cause::NoBackend) > 0);
    assert_eq!(success(&r, 14), 1.0);
}

#[test]
fn a_partition_times_out_the_calls_across_it() {
    let r = run(r#"
[[scenarios.events]]
at = "60s"
fault = "partition"
target = "app"
peer = "db"
duration = "60s"
"#);
    assert_eq!(success(&r, 3), 1.0);
    assert_eq!(success(&r, 8), 0.0);
    assert!(failed(&r, 8, Cause::Timeout) > 0);
    assert_eq!(success(&r, 14), 1.0);
}

#[test]
fn a_slowdown_raises_latency_by_its_factor() {
    let r = run(r#"
[[scenarios.events]]
at = "60s"
fault = "slow"
target = "db"
factor = 50.0
duration = "60s"
"#);
    let p50 = |b: usize| r.iter().map(|t| t.bins[b].p50_ms).sum::<f64>() / r.len() as f64;
    // Before: 2 ms app + 1 ms db + 6 hops of 0.25 ms = 4.5 ms; during: db 50 ms.
    assert!((p50(3) - 4.5).abs() < 0.3, "{}", p50(3));
    assert!((p50(8) - 53.5).abs() < 2.0, "{}", p50(8));
    assert_eq!(success(&r, 8), 1.0);
}

#[test]
fn an_errors_fault_fails_its_share_of_calls_with_server_errors() {
    let r = run(r#"
[[scenarios.events]]
at = "60s"
fault = "errors"
target = "app"
share = 0.3
duration = "60s"
"#);
    assert_eq!(success(&r, 3), 1.0);
    // Bins 7..11 lie inside the fault: 4 trials x 5 bins x 2000 requests;
    // the failed share's sd is sqrt(0.21 / 40000) = 0.0023, so 0.015 is 6 sd.
    let (ok, off) = (7..12).fold((0, 0), |(o, f), b| {
        let n: u64 = r.iter().map(|t| t.bins[b].offered).sum();
        (o + (success(&r, b) * n as f64).round() as u64, f + n)
    });
    let share = 1.0 - ok as f64 / off as f64;
    assert!((share - 0.3).abs() < 0.015, "{share}");
    assert_eq!(
        (7..12)
            .map(|b| failed(&r, b, Cause::ServerError))
            .sum::<u64>(),
        off - ok
    );
    assert_eq!(success(&r, 13), 1.0);
}

#[test]
fn an_errors_share_outside_zero_to_one_is_refused_where_it_stands() {
    for bad in ["1.5", "-0.1", "nan"] {
        let text = system(&format!(
            "[[scenarios.events]]\nat = \"60s\"\nfault = \"errors\"\ntarget = \"app\"\nshare = {bad}\n"
        ));
        let err = Model::parse(&text, "m.toml").expect_err(bad).to_string();
        let line = text
            .lines()
            .position(|l| l.starts_with("share"))
            .expect("share")
            + 1;
        assert!(
            err.contains(&format!("m.toml:{line}:")) && err.contains("[0, 1]"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn a_hold_queues_then_times_out_and_release_drains() {
    let r = run(r#"
[[scenarios.events]]
at = "60s"
fault = "hold"
target = "db"
[[scenarios.events]]
at = "90s"
action = "release"
target = "db"
"#);
    assert_eq!(success(&r, 3), 1.0);
    assert!(success(&r, 7) < 0.05, "{}", success(&r, 7));
    assert!(failed(&r, 7, Cause::Timeout) + failed(&r, 7, Cause::QueueFull) > 0);
    assert_eq!(success(&r, 12), 1.0);
}

#[test]
fn a_crash_refuses_then_repair_restores() {
    let r = run(r#"
[[scenarios.events]]
at = "60s"
fault = "crash"
target = "app"
[[scenarios.events]]
at = "100s"
action = "repair"
target = "app"
"#);
    assert_eq!(success(&r, 8), 0.0);
    assert!(failed(&r, 8, Cause::Refused) > 0);
    assert_eq!(success(&r, 12), 1.0);
}

#[test]
fn set_workers_changes_capacity() {
    // One worker per pod at 2 ms + 1.5 ms of db round trip: 3 pods serve about
    // 850 req/s, so 200/s passes; a set to 0 is refused by validation, so we
    // check the queue instead: queue 0 with 1 worker rejects at this load.
    let r = run(r#"
[[scenarios.events]]
at = "60s"
action = "set"
target = "app"
param = "workers"
value = 1
[[scenarios.events]]
at = "60s"
action = "set"
target = "app"
param = "queue"
value = 0
"#);
    assert_eq!(success(&r, 3), 1.0);
    assert!(failed(&r, 8, Cause::QueueFull) > 0);
}

#[test]
fn a_node_crash_takes_every_instance_placed_on_it() {
    let text = r#"
[groups.node-a]
kind = "node"
[groups.node-b]
kind = "node"

[components.lb]
kind = "load_balancer"
depends_on = ["app"]

[components.app]
kind = "pods"
instances = 4
placement = ["node-a", "node-b"]
service = { dist = "constant", value = "2ms" }

[traffic]
rate = "200/s"
timeout = "5s"

[[scenarios]]
name = "s"
duration = "3m"
warmup = "20s"
[[scenarios.events]]
at = "60s"
fault = "crash"
target = "node-a"
duration = "60s"
"#;
    let model = Model::parse(text, "t.toml").expect("valid model");
    let resim::scenario::EventKind::Fault(specs) = &model.scenarios[0].events[0].what else {
        panic!("a fault")
    };
    // Instances 0 and 2 sit on node-a.
    let hit: Vec<(usize, Option<u32>)> = specs.iter().map(|f| (f.target, f.instance)).collect();
    assert_eq!(hit, vec![(1, Some(0)), (1, Some(2))]);
    assert_eq!(model.scenarios[0].events[0].label, "crash node-a");
    let req = super::util::request(4, 9);
    let r = run_scenario(&model, &model.scenarios[0], &req, &|_| {}).expect("runs");
    // Round robin over four pods, two of them down: half the requests are refused.
    let during = success(&r, 8);
    assert!((during - 0.5).abs() < 0.01, "{during}");
    assert_eq!(success(&r, 14), 1.0);
}

#[test]
fn health_checks_take_a_crashed_backend_out_of_rotation() {
    let with_checks = |checks: &str| {
        let text = system(
            r#"
[[scenarios.events]]
at = "60s"
fault = "crash"
target = "app"
instance = 0
duration = "60s"
"#,
        )
        .replace(
            "kind = \"load_balancer\"\n",
            &format!("kind = \"load_balancer\"\n{checks}\n"),
        );
        let model = Model::parse(&text, "t.toml").expect("valid model");
        let req = super::util::request(4, 9);
        run_scenario(&model, &model.scenarios[0], &req, &|_| {}).expect("runs")
    };
    let refused = |r: &[TrialResult]| {
        (0..r[0].bins.len())
            .map(|b| failed(r, b, Cause::Refused))
            .sum::<u64>()
            / 4
    };
    let blind = with_checks("");
    let checked = with_checks("health_check = { interval = \"2s\", rise = 2, fall = 3 }");
    // Blind: a third of 60 s at 200/s is refused.
    assert!(
        (refused(&blind) as f64 - 4000.0).abs() < 300.0,
        "{}",
        refused(&blind)
    );
    // Checked: only until 3 failed checks 2 s apart mark it DOWN (at most ~6 s).
    let r = refused(&checked);
    assert!(r > 0 && r < 500, "{r}");
    assert_eq!(success(&checked, 8), 1.0);
    assert_eq!(success(&checked, 14), 1.0);
}
