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
    run_scenario(
        model,
        &model.scenarios[0],
        &super::util::request(n, 3),
        &|_| {},
    )
    .expect("runs")
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

/// A model from its full text.
fn parse(text: &str) -> Model {
    Model::parse(text, "t.toml").expect("valid model")
}

/// `app` with a pod spec behind `lb`, `extra` appended to its table, and
/// `rest` (cluster, groups, scenario events) after the components.
fn app_model(instances: u32, extra: &str, rest: &str) -> Model {
    parse(&format!(
        r#"
[components.lb]
kind = "load_balancer"
depends_on = ["app"]

[components.app]
kind = "pods"
instances = {instances}
workers = 16
service = {{ dist = "constant", value = "50ms" }}
timeout = "2s"
{extra}

[traffic]
rate = "100/s"
read_ratio = 1.0
timeout = "5s"

{rest}
"#
    ))
}

/// The reading `name` of one trial, per bin.
fn series(model: &Model, r: &TrialResult, name: &str) -> Vec<f64> {
    let defs = resim::drill::readings::reading_defs(model);
    let i = defs
        .iter()
        .position(|d| d.name == name)
        .unwrap_or_else(|| panic!("no reading {name}"));
    r.readings.iter().map(|row| row[i]).collect()
}

/// The HPA on requests in flight (target 1 per pod): 100 req/s × 50 ms on 2
/// pods is 2.5 per pod, so its first sync (15 s after the start, 5 s into
/// bin 0) asks for more pods. They start for 30 s: the Ready count stays at
/// 2 until then, and only then do the new pods join.
#[test]
fn hpa_scale_up_pods_serve_only_after_start_up() {
    let model = app_model(
        2,
        r#"pod = { start_time = { dist = "constant", value = "30s" } }
hpa = { min_replicas = 2, max_replicas = 5, metric = "in_flight", target = 1 }"#,
        r#"[[scenarios]]
name = "s"
duration = "2m"
warmup = "10s""#,
    );
    let r = trials(&model, 1);
    let desired = series(&model, &r[0], "app.pods_desired");
    let ready = series(&model, &r[0], "app.pods_ready");
    let starting = series(&model, &r[0], "app.pods_pending");
    // Sync at 15 s: 2.5 per pod against 1 asks for ceil(2 × 2.5) = 5, within
    // the default policy's max(4 pods, 100 %) per 15 s and max_replicas.
    assert_eq!(desired[0], 5.0);
    // Bins end at 20, 30, 40 s: the new pods are still starting (until 45 s).
    for b in 0..3 {
        assert_eq!((ready[b], starting[b]), (2.0, 3.0), "bin {b}");
    }
    // By 50 s they are Ready.
    assert_eq!(ready[3], 5.0, "ready {:?}", &ready[..5]);
}

/// `rollout restart` with maxSurge 1, maxUnavailable 0: one new pod at a
/// time, an old pod deleted only once a new one is Ready; the deleted pods
/// leave the endpoints and drain, so no request fails and three pods are
/// always Ready.
#[test]
fn rolling_restart_keeps_capacity_and_drains() {
    let model = app_model(
        3,
        r#"pod = { start_time = { dist = "constant", value = "20s" } }
rollout = { max_surge = 1, max_unavailable = 0 }"#,
        r#"[[scenarios]]
name = "s"
duration = "4m"
warmup = "10s"
[[scenarios.events]]
at = "30s"
action = "rollout_restart"
target = "app""#,
    );
    let r = trials(&model, 2);
    assert_eq!(failures_in(&r, 0..24), 0);
    for t in &r {
        let ready = series(&model, t, "app.pods_ready");
        let terminating = series(&model, t, "app.pods_terminating");
        let starting = series(&model, t, "app.pods_pending");
        assert!(ready.iter().all(|&x| x >= 3.0), "ready {ready:?}");
        // New pods were started (one at a time: the surge is 1).
        assert!(starting.contains(&1.0));
        assert!(starting.iter().all(|&x| x <= 1.0), "{starting:?}");
        // The rollout is over: 3 ready, none left terminating, by 3 min.
        assert_eq!((ready[18], terminating[18]), (3.0, 0.0));
    }
}

/// A node crash: its pod's container dies at once but the endpoint stays
/// until the node is NotReady (last heartbeat + 50 s, on the 5 s monitor
/// grid: 55 s after the crash), so requests sent to it are refused until
/// then (plus the 1 s endpoint delay); the pod is evicted 300 s later and
/// its replacement starts on another node (domain.md §3).
#[test]
fn node_crash_refuses_until_not_ready_and_replaces_after_eviction() {
    let model = app_model(
        3,
        r#"pod = {}
placement = ["node-1", "node-2", "node-3"]"#,
        r#"[cluster]
nodes = { count = 3, cpu = 4, memory = "4Gi" }
[groups.node-1]
kind = "node"
[groups.node-2]
kind = "node"
[groups.node-3]
kind = "node"
[[scenarios]]
name = "s"
duration = "8m"
warmup = "10s"
[[scenarios.events]]
at = "60s"
fault = "crash"
target = "node-1"
duration = "20m""#,
    );
    let r = trials(&model, 2);
    // Crash at 70 s of the trial (heartbeat at 70 s): NotReady at 125 s,
    // i.e. 115 s after the warm-up; evicted at 415 s.
    assert!(failures_in(&r, 6..12) > 0);
    assert_eq!(failures_in(&r, 12..48), 0);
    for t in &r {
        let ready = series(&model, t, "app.pods_ready");
        assert_eq!(ready[5], 3.0);
        assert_eq!(ready[20], 2.0, "after NotReady, before eviction");
        assert_eq!(ready[40], 2.0, "still before eviction at 410 s");
        assert_eq!(ready[42], 3.0, "replaced after eviction at 415 s");
    }
}

/// A pod whose memory request fits no node stays Pending; the cluster
/// autoscaler sees it at its first scan (10 s) and adds a node 60 s later.
#[test]
fn pending_pod_waits_for_the_cluster_autoscaler() {
    let model = app_model(
        3,
        r#"pod = { resources = { requests = { memory = "400Mi" } } }"#,
        r#"[cluster]
nodes = { count = 1, cpu = 4, memory = "1Gi" }
autoscaler = { max_nodes = 2, provisioning = "60s" }
[[scenarios]]
name = "s"
duration = "2m"
warmup = "10s""#,
    );
    let r = trials(&model, 1);
    let pending = series(&model, &r[0], "app.pods_pending");
    let ready = series(&model, &r[0], "app.pods_ready");
    // 1Gi less the 100Mi eviction threshold holds two 400Mi requests.
    for b in 0..5 {
        assert_eq!((ready[b], pending[b]), (2.0, 1.0), "bin {b}");
    }
    // The node is Ready at 70 s of the trial (bin 6 ends at 80 s).
    assert_eq!((ready[6], pending[6]), (3.0, 0.0));
}

/// A hung container (`hold` at 60 s after the 10 s warm-up, 70 s of the
/// trial) fails its liveness probe three times (period 5 s: at 70, 75,
/// 80 s), ignores SIGTERM and is killed at the 30 s grace end (110 s); the
/// kubelet restarts it at once (first restart), the new container is not
/// hung, and the pod is Ready again. Readings are taken at bin ends, 20 s +
/// 10 s × bin of the trial, before events at the same instant.
#[test]
fn liveness_restarts_a_hung_container() {
    let model = app_model(
        2,
        r#"pod = { liveness_probe = { period = "5s" }, readiness_probe = { period = "5s" } }"#,
        r#"[[scenarios]]
name = "s"
duration = "3m"
warmup = "10s"
[[scenarios.events]]
at = "60s"
fault = "hold"
target = "app"
instance = 0"#,
    );
    let r = trials(&model, 1);
    let restarts = series(&model, &r[0], "app.restarts");
    let ready = series(&model, &r[0], "app.pods_ready");
    // Killed at 110 s of the trial: bin 9 ends then, bin 10 after.
    assert_eq!(restarts[9], 0.0);
    assert_eq!(restarts[10], 1.0);
    assert_eq!(ready[8], 1.0, "not Ready while hung");
    assert_eq!(ready[12], 2.0, "Ready again after the restart");
    assert_eq!(restarts[17], 1.0);
}

/// Every misuse of the pod vocabulary is reported with its place, all at once.
#[test]
fn bad_pod_settings_are_reported_with_locations() {
    let text = r#"
[cluster]
nodes = { count = 2 }
autoscaler = { max_nodes = 1, provisioning = "1m" }

[components.db]
kind = "database"
pod = {}

[components.app]
kind = "pods"
hpa = { max_replicas = 4 }

[components.web]
kind = "pods"
pod = { start_tme = "5s" }

[traffic]
rate = "10/s"

[[scenarios]]
name = "s"
duration = "1m"
[[scenarios.events]]
at = "10s"
action = "apply"
target = "app"
memory_limit = "1Gi"
[[scenarios.events]]
at = "20s"
action = "apply"
target = "web"
memory_request = "2Gi"
memory_limit = "1Gi"
"#;
    let err = Model::parse(text, "bad.toml")
        .expect_err("invalid")
        .to_string();
    for want in [
        "bad.toml:3:9: 'cluster.nodes' needs 'cpu'",
        "'pod' applies to pods; 'db' is not pods",
        "'app.hpa' needs a pod template",
        "unknown key 'start_tme' in [components.web.pod]",
        "'apply' needs pods with a pod spec; 'app' has none",
        "the memory request must not exceed its limit",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
}

/// Scale 2 -> 1: the deleted pod leaves the endpoints and drains; requests
/// shorter than the 30 s grace period finish, longer ones are cut at its end
/// (server errors), as a process that runs until SIGKILL would.
#[test]
fn scale_down_drains_within_the_grace_period_and_cuts_the_rest() {
    let run = |service: &str| {
        let model = parse(&format!(
            r#"
[components.app]
kind = "pods"
instances = 2
workers = 64
service = {{ dist = "constant", value = "{service}" }}
timeout = "2m"
pod = {{}}

[traffic]
rate = "2/s"
read_ratio = 1.0
timeout = "3m"

[[scenarios]]
name = "s"
duration = "3m"
warmup = "1m"
[[scenarios.events]]
at = "30s"
action = "scale"
target = "app"
replicas = 1
"#
        ));
        let r = trials(&model, 2);
        r.iter()
            .map(|t| t.failed()[resim::drill::Cause::ServerError as usize])
            .sum::<u64>()
    };
    assert_eq!(run("10s"), 0, "10 s requests drain within 30 s");
    // About 1 req/s goes to the deleted pod; those started in the 15 s
    // before the scale-down are still running at the grace end.
    assert!(run("45s") > 5, "45 s requests are cut at 30 s");
}

/// The pod lifecycle draws only from its own keyed streams: the bundled
/// incident gives the same bins and readings on 1 and 2 threads.
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn the_oom_model_is_deterministic_across_threads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/k8s-oom-crashloop.toml");
    let model = Model::load(std::path::Path::new(path)).expect("bundled model");
    let run = |threads| {
        let req = DrillRequest {
            trials: 3,
            seed: 11,
            threads,
            bin: secs(10),
            snapshots: Vec::new(),
        };
        run_scenario(&model, &model.scenarios[1], &req, &|_| {}).expect("runs")
    };
    let (a, b) = (run(1), run(2));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.bins, y.bins);
        assert_eq!(format!("{:?}", x.readings), format!("{:?}", y.readings));
    }
}

/// The HPA's scale-down stabilisation (300 s, domain.md §5) in the drill:
/// at 100 req/s × 50 ms the 2 pods hold 5 requests in flight against a
/// target of 1 per pod, so the first sync asks for 5; when the load drops to
/// 20 req/s at 2 min the metric asks for the minimum, but the HPA keeps the
/// highest recommendation of the last 5 minutes: 5 pods until about 7 min,
/// then 2.
#[test]
fn hpa_holds_its_scale_down_for_the_stabilisation_window() {
    let text = r#"
[components.app]
kind = "pods"
instances = 2
workers = 16
service = { dist = "constant", value = "50ms" }
timeout = "2s"
pod = {}
hpa = { min_replicas = 2, max_replicas = 10, metric = "in_flight", target = 1 }

[traffic]
rate = "100/s"
read_ratio = 1.0
timeout = "5s"
profile = [{ at = "2m", rate = "20/s", ramp = "0s" }]

[[scenarios]]
name = "s"
duration = "9m"
warmup = "10s"
"#;
    let model = parse(text);
    let r = trials(&model, 1);
    let desired = series(&model, &r[0], "app.pods_desired");
    assert_eq!(desired[0], 5.0);
    // Bins end at 20 s + 10 s × bin of the trial; the drop is at 130 s, the
    // window ends at 430 s (bin 41). Under load the count may grow by one
    // when in-flight noise lifts the ratio past the 10 % tolerance.
    for (b, &d) in desired.iter().enumerate().take(41).skip(1) {
        assert!(d >= 5.0, "bin {b}: {d} inside the window");
    }
    assert_eq!(desired[52], 2.0, "8.5 min: the window has passed");
}

/// Without `[cluster]`, a node group's crash reaches only the pod placed on
/// it (its container crash-loops while the node is down), not every pod.
#[test]
fn node_crash_without_a_cluster_hits_only_the_pod_placed_on_it() {
    let model = app_model(
        3,
        r#"pod = {}
placement = ["node-1", "node-2", "node-3"]"#,
        r#"[groups.node-1]
kind = "node"
[groups.node-2]
kind = "node"
[groups.node-3]
kind = "node"
[[scenarios]]
name = "s"
duration = "3m"
warmup = "10s"
[[scenarios.events]]
at = "60s"
fault = "crash"
target = "node-1"
duration = "1m""#,
    );
    let r = trials(&model, 1);
    let ready = series(&model, &r[0], "app.pods_ready");
    assert_eq!(ready[8], 2.0, "one pod down during the crash");
    assert_eq!(ready[17], 3.0, "back after it");
}

/// With a `[cluster]`, `--at` prints `kubectl get pods -o wide`: each pod's
/// NODE, spread over the three nodes by the scheduler.
#[test]
fn the_pod_table_names_each_pods_node() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/k8s-oom-crashloop.toml");
    let model = Model::load(std::path::Path::new(path)).expect("bundled model");
    let setup = DrillSetup::new(
        &model,
        &model.scenarios[0],
        model.traffic.as_ref().unwrap(),
        secs(10),
    )
    .with_snapshots(vec![secs(16 * 60)], 0);
    let r = setup.run(0, 7);
    let text = &r.snapshots[0].text;
    assert!(text.contains("-o wide"), "{text}");
    let header = text
        .lines()
        .find(|l| l.starts_with("NAME"))
        .expect("header");
    assert!(header.ends_with("NODE"), "{header}");
    let mut nodes: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("$ kubectl top"))
        .filter(|l| l.starts_with("web-app-"))
        .map(|l| l.split_whitespace().last().expect("NODE"))
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["node-1", "node-2", "node-3"], "{text}");
}

/// An overloaded pod fails its probes too: the probe's request waits for a
/// worker behind the queue. Pod 0 slowed 100x (5 s a request, 16 workers:
/// 3.2/s against the ~33/s round robin sends it) fills its queue within
/// seconds, misses three 1-s readiness probes (period 5 s) and leaves the
/// endpoints, so the other two pods take its share (it rejoins and leaves
/// again as its queue drains and refills); without a readiness probe it
/// stays in rotation and its requests time out all along.
#[test]
fn an_overloaded_pod_fails_readiness_and_leaves_the_endpoints() {
    let run = |pod: &str| {
        let model = app_model(
            3,
            pod,
            r#"[[scenarios]]
name = "s"
duration = "5m"
warmup = "10s"
[[scenarios.events]]
at = "60s"
fault = "slow"
target = "app"
instance = 0
factor = 100
duration = "2m""#,
        );
        let r = trials(&model, 2);
        (
            series(&model, &r[0], "app.pods_ready"),
            failures_in(&r, 9..18),
        )
    };
    let (ready, gated) = run(r#"pod = { readiness_probe = { period = "5s", timeout = "1s" } }"#);
    let (ready_blind, blind) = run("pod = {}");
    assert_eq!(&ready[..6], &[3.0; 6], "{ready:?}");
    // Out of rotation for most of the slowdown: once out, its queue (128)
    // drains in ~40 s, a probe passes and it rejoins until its queue fills
    // again (the flapping a real overloaded pod shows).
    let out = ready[7..18].iter().filter(|&&n| n == 2.0).count();
    assert!(out >= 7, "{ready:?}");
    eprintln!(
        "ready pods per bin {ready:?}; failures in the slowdown: {gated} with the probe, {blind} without"
    );
    assert_eq!(
        *ready.last().expect("bins"),
        3.0,
        "back once it drains: {ready:?}"
    );
    assert!(ready_blind.iter().all(|&n| n == 3.0), "{ready_blind:?}");
    // A third of 100/s for 90 s fails without the probe; with it, the
    // requests sent before it left the endpoints and in each rejoin.
    assert!(blind > 4_000, "{blind}");
    assert!(gated * 3 < blind, "{gated} vs {blind}");
}

/// A startup probe holds off readiness until it passes (§2): a pod added
/// at 60 s starts in 5 s; with readiness alone (period 1 s) it is Ready by
/// the end of that bin, with a startup probe whose first run is 20 s after
/// the container starts it is Ready only two bins later.
#[test]
fn a_startup_probe_holds_off_readiness() {
    let ready_after_scale_up = |probes: &str| {
        let model = app_model(
            2,
            &format!(
                r#"pod = {{ start_time = {{ dist = "constant", value = "5s" }}, readiness_probe = {{ period = "1s" }}{probes} }}"#
            ),
            r#"[[scenarios]]
name = "s"
duration = "2m"
warmup = "10s"
[[scenarios.events]]
at = "60s"
action = "scale"
target = "app"
replicas = 3"#,
        );
        let r = trials(&model, 1);
        series(&model, &r[0], "app.pods_ready")
    };
    let plain = ready_after_scale_up("");
    let held = ready_after_scale_up(
        r#", startup_probe = { initial_delay = "20s", period = "5s", failure_threshold = 3 }"#,
    );
    assert_eq!(&plain[5..8], &[2.0, 3.0, 3.0], "{plain:?}");
    assert_eq!(&held[5..10], &[2.0, 2.0, 2.0, 3.0, 3.0], "{held:?}");
}
