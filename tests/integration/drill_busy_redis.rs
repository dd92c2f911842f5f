//! A busy Redis (issue 14 item 4): a big key's DEL blocks the single
//! thread, the cache's commands queue behind it (the latency spike), and
//! `SLOWLOG GET` lists it at an `--at` time; UNLINK frees it in the
//! background without a spike.

use resim::drill::{DrillRequest, run_scenario};
use resim::engine::SimTime;
use resim::model::Model;

fn model(command: &str) -> String {
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
timeout = "5s"
maxmemory_policy = "allkeys-lru"
keys = {{ count = 10_000, uniform = true, size = "1KiB" }}

[components.db]
kind = "database"
workers = 200

[traffic]
rate = "500/s"
read_ratio = 1.0

[[scenarios]]
name = "busy"
duration = "60s"
warmup = "10s"

[[scenarios.events]]
at = "30s"
action = "command"
target = "redis"
{command}
"#
    )
}

/// The largest cache command latency per 10-s bin \[ms\], and the `--at 35s` text.
fn run(text: &str) -> (Vec<f64>, String) {
    let m = Model::parse(text, "b.toml").unwrap_or_else(|e| panic!("{e}"));
    let req = DrillRequest {
        trials: 1,
        seed: 2,
        threads: 1,
        bin: SimTime(10 * SimTime::SECOND.0),
        snapshots: vec![SimTime(35 * SimTime::SECOND.0)],
    };
    let r = run_scenario(&m, &m.scenarios[0], &req, &|_| {}).expect("runs");
    let k = resim::drill::readings::reading_defs(&m)
        .iter()
        .position(|d| d.name == "redis.latency_max_ms")
        .expect("defined");
    let t = &r[0];
    (
        t.readings.iter().map(|row| row[k]).collect(),
        t.snapshots
            .first()
            .map(|s| s.text.clone())
            .unwrap_or_default(),
    )
}

#[test]
fn a_big_keys_del_blocks_redis_and_shows_in_the_slowlog() {
    // 2,000,000 elements at 1 us each: a 2-s block.
    let (lat, text) = run(&model("command = \"DEL\"\nelements = 2_000_000"));
    assert!(lat[3] >= 1900.0 && lat[3] <= 2100.0, "{lat:?}");
    assert!(lat[1] < 10.0 && lat[5] < 10.0, "{lat:?}");
    assert!(text.contains("slowlog get"), "{text}");
    assert!(text.contains("2000000 us: DEL bigkey"), "{text}");
    let (lat, text) = run(&model("command = \"UNLINK\"\nelements = 2_000_000"));
    assert!(lat.iter().all(|&x| x < 10.0), "{lat:?}");
    assert!(!text.contains("UNLINK bigkey"), "{text}");
}
