//! Kubernetes pods in the drill (issue 4): CrashLoopBackOff timing measured
//! from a running trial, readiness gating of the Service's endpoints, and
//! the bundled OOM crash-loop model with its containment.

use resim::drill::{DrillRequest, DrillSetup, TrialResult, run_scenario};
use resim::engine::SimTime;
use resim::model::Model;

fn secs(s: u64) -> SimTime {
    SimTime(s * SimTime::SECOND.0)
}

/// lb -> app (pods with a pod spec) -> db; `pod` is the pod table, `events`
/// the scenario's timeline.
fn system(instances: u32, pod: &str, duration: &str, events: &str) -> Model {
    let text = format!(
        r#"
[components.lb]
kind = "load_balancer"
depends_on = ["app"]

[components.app]
kind = "pods"
instances = {instances}
workers = 16
depends_on = ["db"]
service = {{ dist = "constant", value = "2ms" }}
timeout = "2s"
pod = {pod}

[components.db]
kind = "database"
replicas = 0
service = {{ dist = "constant", value = "1ms" }}
timeout = "500ms"

[traffic]
rate = "50/s"
read_ratio = 0.5
timeout = "5s"

[[scenarios]]
name = "s"
duration = "{duration}"
warmup = "10s"
{events}
"#
    );
    Model::parse(&text, "t.toml").expect("valid model")
}

/// The RESTARTS column of the first pod row of a snapshot.
fn restarts(text: &str) -> u32 {
    let row = text
        .lines()
        .find(|l| l.starts_with("app-"))
        .unwrap_or_else(|| panic!("no pod row in:\n{text}"));
    row.split_whitespace()
        .nth(3)
        .expect("RESTARTS")
        .parse()
        .expect("a count")
}

/// A container that crashes at every start restarts after the kubelet's
/// waits 0, 10, 20, 40, 80, 160, 300 (cap), 300 s, and after a clean run of
/// more than 10 minutes the sequence starts over at 0, 10, 20 s (domain.md
/// §1). Read from the drill's `kubectl get pods` snapshots, one per second:
/// the restart count first seen at `t` counts a restart made before `t`
/// (snapshots are queued before the restarts that tie with them), so a
/// restart at `t - 1 s` is exact to the second, and the crash times here
/// fall on whole seconds (no start-up time, the fault at whole seconds).
#[test]
fn crash_loop_restarts_follow_the_kubelet_backoff_and_reset() {
    let events = r#"
[[scenarios.events]]
at = "60s"
fault = "crash"
target = "app"
instance = 0
duration = "900s"
[[scenarios.events]]
at = "1670s"
fault = "crash"
target = "app"
instance = 0
duration = "25s"
"#;
    let model = system(1, "{}", "1800s", events);
    let at: Vec<SimTime> = (1..1800).map(secs).collect();
    let setup = DrillSetup::new(
        &model,
        &model.scenarios[0],
        model.traffic.as_ref().unwrap(),
        secs(10),
    )
    .with_snapshots(at, 0);
    let r = setup.run(0, 7);
    let mut seen = 0;
    let mut times = Vec::new();
    for s in &r.snapshots {
        let n = restarts(&s.text);
        while seen < n {
            seen += 1;
            times.push(s.at_s.round() as u64 - 1);
        }
    }
    // Crash at 60 s: restart at once, then waits of 10, 20, 40, 80, 160,
    // 300 and 300 s; the fault ends at 960 s and the container started at
    // 970 s runs clean. Crash at 1670 s, 700 s (> 600 s) after the last
    // restart decision: the backoff has expired, so 0, 10, 20 s again.
    assert_eq!(
        times,
        vec![60, 70, 90, 130, 210, 370, 670, 970, 1670, 1680, 1700]
    );
}

fn trials(model: &Model, n: u64) -> Vec<TrialResult> {
    let req = DrillRequest {
        trials: n,
        seed: 3,
        threads: 2,
        bin: secs(10),
        snapshots: Vec::new(),
    };
    run_scenario(model, &model.scenarios[0], &req, &|_| {}).expect("runs")
}

fn failures_in(r: &[TrialResult], bins: std::ops::Range<usize>) -> u64 {
    r.iter()
        .flat_map(|t| &t.bins[bins.clone()])
        .map(|b| b.offered - b.succeeded)
        .sum()
}

/// A hung pod (held: it accepts requests but serves none) fails its
/// readiness probe three times (period 5 s) and leaves the endpoints 1 s
/// later; from then on it gets no requests, so no request fails any more,
/// although the hang lasts. Requests sent to it before that time out (the
/// app's 2 s, the client's 5 s), so the failures lie in the first bins.
#[test]
fn a_pod_that_fails_readiness_gets_no_requests_after_the_endpoint_delay() {
    let events = r#"
[[scenarios.events]]
at = "60s"
fault = "hold"
target = "app"
instance = 0
"#;
    let gated = system(2, "{ readiness_probe = { period = \"5s\" } }", "4m", events);
    let r = trials(&gated, 4);
    // Bins 6 and 7 (60-80 s): probes at 60, 65, 70 s fail, out at ~71 s.
    assert!(
        failures_in(&r, 6..8) > 0,
        "the hang must cost requests first"
    );
    // From 90 s on (2 s app timeout after ~71 s, with margin) nothing fails.
    assert_eq!(failures_in(&r, 9..24), 0);
    // Without a readiness probe the pod stays in the endpoints: failures go on.
    let ungated = system(2, "{}", "4m", events);
    let r = trials(&ungated, 4);
    assert!(failures_in(&r, 9..24) > 0);
}

fn reading(model: &Model, r: &TrialResult, name: &str, bin: usize) -> f64 {
    let defs = resim::drill::readings::reading_defs(model);
    let i = defs
        .iter()
        .position(|d| d.name == name)
        .unwrap_or_else(|| panic!("no reading {name}"));
    r.readings[bin][i]
}

/// The bundled incident: restarts climb and requests fail before the
/// containment (12-13 min); afterwards the new pods (1024Mi) serve every
/// request and never restart until the end (25 min).
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn the_oom_model_crash_loops_and_the_containment_recovers_it() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/k8s-oom-crashloop.toml");
    let model = Model::load(std::path::Path::new(path)).expect("bundled model");
    let r = trials(&model, 4);
    for t in &r {
        let before = reading(&model, t, "web-app.restarts", 70);
        assert!(before >= 6.0, "restarts by 11m40s: {before}");
        let after = reading(&model, t, "web-app.restarts", 84);
        let end = reading(&model, t, "web-app.restarts", 149);
        assert_eq!(after, end, "no restart after the containment");
        assert_eq!(reading(&model, t, "web-app.pods_ready", 149), 3.0);
        assert_eq!(reading(&model, t, "web-app.memory_limit", 149), 1024.0);
    }
    assert!(failures_in(&r, 0..72) > 0, "the crash loop costs requests");
    // From 15 min (bin 90) to the end every request succeeds.
    assert_eq!(failures_in(&r, 90..150), 0);
}
