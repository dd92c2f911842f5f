//! Cache stampedes (issue 14 item 5): a hot key that expires while many
//! callers miss it. Without a guard every concurrent miss reads the
//! database (about rate x recompute time reads per expiry); with
//! single-flight, exactly one read per key per expiry.

use crate::util::{drill, reading};

/// One app pod, four equally hot keys with a 5-s TTL, a database read of
/// 200 ms, 400 reads/s (100/s per key); `guard` is the cache's `stampede`.
fn model(guard: &str, app_instances: u32) -> String {
    format!(
        r#"
[components.app]
kind = "pods"
instances = {app_instances}
workers = 1000
queue = 1000
depends_on = ["db"]
soft_depends_on = ["redis"]
service = {{ dist = "constant", value = "1ms" }}
latency = {{ dist = "constant", value = "0s" }}
timeout = "20s"

[components.redis]
kind = "cache"
maxmemory = "1gb"
maxmemory_policy = "allkeys-lru"
keys = {{ count = 4, uniform = true, size = "1KiB", ttl = "5s" }}
latency = {{ dist = "constant", value = "0s" }}
{guard}

[components.db]
kind = "database"
workers = 1000
queue = 10000
service = {{ dist = "constant", value = "200ms" }}
latency = {{ dist = "constant", value = "0s" }}
timeout = "10s"

[traffic]
rate = "400/s"
read_ratio = 1.0
timeout = "30s"

[[scenarios]]
name = "hot"
duration = "60s"
warmup = "0s"
"#
    )
}

/// (database reads, key expiries) over the trial (bins of 10 s).
fn reads_and_expiries(text: &str) -> (u64, u64) {
    let (m, r) = drill(text, 1, 11);
    let db = m.components.iter().position(|c| c.id == "db").expect("db");
    let expired: f64 = reading(&m, &r, "redis.expired_per_s")[0]
        .iter()
        .map(|x| x * 10.0)
        .sum();
    (r[0].calls[db].arrived, expired.round() as u64)
}

#[test]
fn single_flight_reads_once_per_key_per_expiry() {
    // With single-flight: one read per expiry, plus the four cold misses
    // at the start (warm-up 0).
    let (with, e1) = reads_and_expiries(&model(r#"stampede = { single_flight = "process" }"#, 1));
    // Each cycle lasts a TTL plus a read: 60 s / 5.2 s ≈ 11 per key.
    assert!((40..=48).contains(&e1), "expiries {e1}");
    assert_eq!(with, e1 + 4, "reads {with} for {e1} expiries");
    // Without: every miss while the read is in flight reads too, about
    // 1 + 100/s x 0.2 s = 21 per expiry. Over ~45 expiries, Poisson misses
    // (sd √20 each) give a relative sd of 4.5/(21·√45) ≈ 3%; ±15% is 5σ.
    let (without, e0) = reads_and_expiries(&model("", 1));
    let per = (without - 4) as f64 / e0 as f64;
    assert!((per - 21.0).abs() < 0.15 * 21.0, "{per} reads per expiry");
    // Per-process scope: each of three pods leads its own read per expiry.
    let (pods, e3) = reads_and_expiries(&model(r#"stampede = { single_flight = "process" }"#, 3));
    assert!(pods > e3 + 4 && pods <= 3 * (e3 + 4), "{pods} for {e3}");
    let (global, eg) = reads_and_expiries(&model(r#"stampede = { single_flight = "global" }"#, 3));
    assert_eq!(global, eg + 4, "global single-flight: {global} for {eg}");
}

#[test]
fn stampede_settings_are_checked() {
    let bad = model(
        r#"stampede = { single_flight = "procss", ttl_jitter = 1.5, xfetch = 1 }"#,
        1,
    );
    let e = resim::model::Model::parse(&bad, "s.toml")
        .expect_err("bad")
        .to_string();
    assert!(e.contains("s.toml:") && e.contains("'procss'"), "{e}");
    assert!(e.contains("did you mean 'process'"), "{e}");
    assert!(e.contains("ttl_jitter"), "{e}");
    assert!(e.contains("'xfetch'"), "{e}");
}
