//! Redis persistence in the drill (issue 14 item 3): the fork of a BGSAVE
//! stalls the node and a restart reloads the data, each in proportion to
//! the dataset; a node with persistence comes back warm, one without
//! comes back empty.

use resim::drill::{DrillRequest, TrialResult, run_scenario};
use resim::engine::SimTime;
use resim::model::Model;

/// App → redis (soft) and db; `keys` values of 1 KiB read uniformly at
/// 1,000/s; the cache restarts (bounce, 5 s) at 30 s.
fn model(keys: u32, persistence: &str) -> String {
    format!(
        r#"
[components.app]
kind = "pods"
instances = 2
workers = 200
depends_on = ["db"]
soft_depends_on = ["redis"]

[components.redis]
kind = "cache"
maxmemory_policy = "allkeys-lru"
keys = {{ count = {keys}, uniform = true, size = "1KiB" }}
{persistence}

[components.db]
kind = "database"
workers = 200

[traffic]
rate = "1000/s"
read_ratio = 1.0

[[scenarios]]
name = "restart"
duration = "150s"
warmup = "60s"

[[scenarios.events]]
at = "30s"
fault = "bounce"
target = "redis"
duration = "5s"
"#
    )
}

const PERSIST: &str =
    r#"persistence = { save = "10 1", fork_ms_per_gb = 1000, load_rate = "1MB/s" }"#;

/// One trial in 1-s bins, and the index of reading `name`.
fn run(text: &str) -> (TrialResult, impl Fn(&str) -> usize + use<>) {
    let m = Model::parse(text, "p.toml").unwrap_or_else(|e| panic!("{e}"));
    let req = DrillRequest {
        trials: 1,
        seed: 3,
        threads: 1,
        bin: SimTime::SECOND,
        snapshots: Vec::new(),
    };
    let r = run_scenario(&m, &m.scenarios[0], &req, &|_| {}).expect("runs");
    let defs = resim::drill::readings::reading_defs(&m);
    let idx = move |n: &str| defs.iter().position(|d| d.name == n).expect(n);
    (r.into_iter().next().expect("a trial"), idx)
}

#[test]
fn fork_stall_and_reload_scale_with_the_dataset() {
    let mut seen = Vec::new();
    for keys in [20_000, 40_000] {
        let (t, k) = run(&model(keys, PERSIST));
        let row = |b: usize| &t.readings[b];
        // Before the restart: the last fork's stall is 1000 ms per GB of
        // the dataset as it was (within the growth of one save interval).
        let used_mb = row(29)[k("redis.used_memory_mb")];
        let fork_ms = row(29)[k("redis.latest_fork_ms")];
        let expect = 1000.0 * used_mb / 1024.0;
        assert!(
            (fork_ms / expect - 1.0).abs() < 0.05,
            "{keys} keys: fork {fork_ms} ms for {used_mb} MB"
        );
        // The restart loads the dataset at 1 MB/s: one loading second per MB.
        let loading = (0..t.readings.len())
            .filter(|&b| row(b)[k("redis.loading")] > 0.0)
            .count() as f64;
        assert!(
            (loading - used_mb).abs() <= 2.0,
            "{keys} keys: loaded {loading} s for {used_mb} MB"
        );
        seen.push((fork_ms, loading, used_mb));
    }
    // Twice the keys (of which 89% rather than 99% were read by then):
    // the stall and the reload grow with the dataset, not with the keys.
    let r_used = seen[1].2 / seen[0].2;
    assert!(r_used > 1.6, "dataset ratio {r_used}");
    let r_fork = seen[1].0 / seen[0].0;
    let r_load = seen[1].1 / seen[0].1;
    assert!(
        (r_fork / r_used - 1.0).abs() < 0.05,
        "fork ratio {r_fork}, data {r_used}"
    );
    assert!(
        (r_load / r_used - 1.0).abs() < 0.1,
        "load ratio {r_load}, data {r_used}"
    );
}

#[test]
fn a_restart_with_persistence_comes_back_warm() {
    let hit_after = |text: &str, from: usize| {
        let (t, k) = run(text);
        let h: Vec<f64> = (from..from + 20)
            .map(|b| t.readings[b][k("redis.hit_ratio")])
            .collect();
        h.iter().sum::<f64>() / h.len() as f64
    };
    // 20,000 keys of ~1.2 MB each 1,000: about 23 s of loading from 35 s.
    let warm = hit_after(&model(20_000, PERSIST), 60);
    let cold = hit_after(&model(20_000, ""), 35);
    assert!(warm > 0.85, "warm {warm}");
    assert!(cold < 0.5, "cold {cold}");
}

/// A replicated cache under Sentinel (30 s to mark the primary down) whose
/// primary is back after 5 s: no failover happens, the old primary stays
/// primary, and persistence decides whether it comes back warm.
#[test]
fn a_bounce_shorter_than_sentinel_detection_reloads_with_persistence() {
    const HA: &str = r#"replication = { replicas = 1, lag = "20ms" }
sentinel = { sentinels = 3, quorum = 2, down_after = "30s" }"#;
    let hit_after = |text: &str, from: usize| {
        let (t, k) = run(text);
        let h: Vec<f64> = (from..from + 20)
            .map(|b| t.readings[b][k("redis.hit_ratio")])
            .collect();
        h.iter().sum::<f64>() / h.len() as f64
    };
    let warm = hit_after(&model(20_000, &format!("{HA}\n{PERSIST}")), 60);
    let cold = hit_after(&model(20_000, HA), 35);
    assert!(warm > 0.85, "warm {warm}");
    assert!(cold < 0.5, "cold {cold}");
}

#[test]
fn persistence_settings_redis_lacks_are_refused() {
    let bad = model(
        1000,
        r#"persistence = { save = "60", appendonly = true, appendfsync = "sometimes", rdbcompression = true }"#,
    );
    let e = Model::parse(&bad, "p.toml").expect_err("bad").to_string();
    assert!(e.contains("p.toml:"), "{e}");
    assert!(e.contains("'<seconds> <changes>' pairs"), "{e}");
    assert!(e.contains("'sometimes'") && e.contains("everysec"), "{e}");
    assert!(e.contains("rdbcompression"), "{e}");
}
