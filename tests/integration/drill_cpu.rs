//! CPU as Kubernetes sees it (issue 13, item 3): service time is CPU time,
//! the HPA scales on usage over the request, a CPU limit throttles by the
//! CFS quota in 100 ms periods.

use crate::util::{drill, reading};

/// One `app` of pods called straight by the clients (no network latency),
/// `pod` and `extra` in its table, `traffic` and the scenario after it.
fn app(pod: &str, extra: &str, traffic: &str, scenario: &str) -> String {
    format!(
        r#"
[components.app]
kind = "pods"
instances = 2
workers = 16
latency = {{ dist = "constant", value = "0s" }}
timeout = "10s"
pod = {pod}
{extra}

[traffic]
read_ratio = 1.0
timeout = "20s"
{traffic}

[[scenarios]]
name = "s"
{scenario}
"#
    )
}

/// The HPA on CPU (target 50 % of a 500m request) under a traffic step.
/// Each request takes 2 ms of CPU; at 250 req/s two pods use 0.25 core
/// each, 50 % of the request: inside the 10 % tolerance, no change. At
/// 60 s of the trial (a sync instant) traffic steps to 687.5 req/s: usage
/// 0.6875 core per pod, 137.5 %, so the sync at 75 s, the first whose
/// samples all follow the step, sets ceil(2 × 137.5 / 50) = ceil(5.5) = 6
/// (the default policy allows max(4, 100 %) more per 15 s: 6).
///
/// Noise: a pod's usage over the 15-s window is Poisson(5156) requests ×
/// 2 ms, relative sd 1.4 %, so 5.5 ± 0.08 (6 sd from 5 or 6); before the
/// step the mean over two pods of Poisson(1875) is 1.6 % from 50 %, 6 sd
/// inside the tolerance. The old metric (busy workers over 16) read 4 %.
#[test]
fn hpa_on_cpu_reaches_the_controllers_count_at_the_sync() {
    let text = app(
        r#"{ resources = { requests = { cpu = "500m" } } }"#,
        r#"service = { dist = "constant", value = "2ms" }
hpa = { min_replicas = 2, max_replicas = 20, metric = "cpu", target = 50 }"#,
        r#"rate = "250/s"
profile = [{ at = "30s", rate = "687.5/s", ramp = "0s" }]"#,
        r#"duration = "60s"
warmup = "30s""#,
    );
    let (model, r) = drill(&text, 2, 7);
    for d in reading(&model, &r, "app.pods_desired") {
        // Bins end at 40, 50, 60, 70, 80 s of the trial: 2 until the sync
        // at 75 s, then 6.
        assert_eq!(&d[..4], &[2.0; 4], "{d:?}");
        assert_eq!(d[4], 6.0, "{d:?}");
    }
    // The usage reading agrees: about 0.6875 core per pod after the step.
    for u in reading(&model, &r, "app.cpu_utilisation") {
        assert!((u[1] - 50.0).abs() < 5.0, "before the step: {u:?}");
        assert!((u[3] - 137.5).abs() < 8.0, "after: {u:?}");
    }
}

/// A CPU-limited container (500m: 50 ms of CPU per 100 ms period) serving
/// requests of 120 ms of CPU, one at a time (0.02 req/s). A request that
/// arrives at phase φ of its container's period (uniform, φ in ms) takes:
/// φ < 50: runs 50, waits for the period end, runs 50, waits 50, runs 20:
/// 220 − φ; 50 ≤ φ < 80: runs 100 − φ unthrottled, 50, waits 50, runs
/// φ − 30: 170; φ ≥ 80: one more period: 220. Mean: (∫₀⁵⁰(220−φ)dφ + 30 ×
/// 170 + 20 × 220) / 100 = 192.5 ms, against 240 ms for a fluid half core
/// and 120 ms without a limit.
///
/// Tolerance: latencies lie in [170, 220] (sd about 20 ms); 10 h at
/// 0.02/s is about 720 requests, so the mean's sd is about 0.8 ms; two
/// requests overlap (and share a quota) with probability about 0.02 ×
/// 0.22 × 2 ≈ 1 %, adding well under 1 ms. ±4 ms is 5 sd.
#[test]
fn a_cpu_limit_throttles_a_constant_request_by_the_hand_computation() {
    let text = app(
        r#"{ resources = { limits = { cpu = "500m" } } }"#,
        r#"service = { dist = "constant", value = "120ms" }"#,
        r#"rate = "0.02/s""#,
        r#"duration = "10h"
warmup = "0s""#,
    );
    let (model, r) = drill(&text, 2, 3);
    for t in &r {
        let mean = t.latency.mean().expect("requests") / 1e6;
        assert!((mean - 192.5).abs() < 4.0, "mean latency {mean} ms");
        assert!(t.latency.count() > 500);
    }
    // Throttled in two of every three periods the request runs.
    let thr = reading(&model, &r, "app.cpu_throttled");
    assert!(thr[0].iter().any(|&x| x > 0.0), "{:?}", &thr[0][..10]);
}

/// Without CPU resources the pods keep the worker model: service takes its
/// time whatever the load, and no CPU reading appears.
#[test]
fn pods_without_cpu_resources_keep_the_worker_model() {
    let text = app(
        "{}",
        r#"service = { dist = "constant", value = "120ms" }"#,
        r#"rate = "1/s""#,
        r#"duration = "1m"
warmup = "0s""#,
    );
    let (model, r) = drill(&text, 1, 3);
    let mean = r[0].latency.mean().expect("requests") / 1e6;
    assert!((mean - 120.0).abs() < 1e-3, "{mean}");
    assert!(
        resim::drill::readings::reading_defs(&model)
            .iter()
            .all(|d| !d.name.contains("cpu"))
    );
}

/// Two pods on a 1-core node, each with a 500m request and no limit, each
/// given more work than a core: they share the node's core by their
/// requests, half each, so a 100 ms request in a busy pod takes longer
/// than 100 ms; alone on the node it takes 100 ms.
#[test]
fn pods_on_a_full_node_share_its_cores() {
    let cluster = r#"
[cluster]
nodes = { count = 1, cpu = 1, memory = "16Gi" }
"#;
    let base = app(
        r#"{ resources = { requests = { cpu = "500m" } } }"#,
        r#"service = { dist = "constant", value = "100ms" }"#,
        r#"rate = "RATE""#,
        r#"duration = "2m"
warmup = "10s""#,
    );
    let light = format!("{}{cluster}", base.replace("RATE", "0.5/s"));
    let heavy = format!("{}{cluster}", base.replace("RATE", "9/s"));
    let (_, r) = drill(&light, 1, 5);
    let alone = r[0].latency.mean().expect("requests") / 1e6;
    let (_, r) = drill(&heavy, 1, 5);
    let shared = r[0].latency.mean().expect("requests") / 1e6;
    // 9 req/s × 0.1 s = 0.9 core on one core: a busy node, requests wait
    // for their share (M/G/1-PS at load 0.9: 100 / (1 − 0.9) = 1 s mean).
    assert!(alone < 115.0, "alone {alone}");
    assert!(shared > 300.0, "shared {shared}");
}
