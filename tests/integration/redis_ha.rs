//! Redis replicas, Sentinel and Cluster in the drill: Sentinel's failover
//! timeline on a scripted primary loss, the writes lost with the
//! replication lag, a cluster that stops while a shard has no primary
//! (`cluster-require-full-coverage`), and bad settings reported with their
//! place.
//!
//! Model: app pods (1000 requests/s, 90% reads) call a database and, soft,
//! a Redis cache of 20,000 uniform keys that all fit; no network latency.
//! Writes invalidate (DEL), misses fill (SET).

use resim::drill::TrialResult;
use resim::engine::SimTime;
use resim::model::Model;

use super::util;

fn model(redis: &str, events: &str) -> String {
    format!(
        r#"
[components.app]
kind = "pods"
instances = 4
workers = 64
depends_on = ["db"]
soft_depends_on = ["redis"]
latency = {{ dist = "constant", value = "0s" }}

[components.redis]
kind = "cache"
latency = {{ dist = "constant", value = "0s" }}
maxmemory = "64Mi"
maxmemory_policy = "allkeys-lru"
keys = {{ count = 20_000, uniform = true, size = "100B" }}
{redis}

[components.db]
kind = "database"
replicas = 2
workers = 64
latency = {{ dist = "constant", value = "0s" }}

[traffic]
rate = "1000/s"
read_ratio = 0.9
timeout = "30s"

[[scenarios]]
name = "loss"
duration = "150s"
warmup = "60s"

{events}
"#
    )
}

/// Runs 2 trials (10-s bins) with a snapshot of trial 0 at `at_s`.
fn run(text: &str, at_s: f64) -> (Model, Vec<TrialResult>) {
    let m = Model::parse(text, "ha.toml").unwrap_or_else(|e| panic!("{e}"));
    let mut req = util::request(2, 11);
    req.snapshots = vec![SimTime::from_secs_f64(at_s)];
    let r = resim::drill::run_scenario(&m, &m.scenarios[0], &req, &|_| {}).expect("runs");
    (m, r)
}

fn crash(instance: u32, at_s: u32, for_s: u32) -> String {
    format!(
        "[[scenarios.events]]\nat = \"{at_s}s\"\nfault = \"crash\"\ntarget = \"redis\"\n\
         instance = {instance}\nduration = \"{for_s}s\""
    )
}

/// The number right after `label` (e.g. `stale_keys:`).
fn field(text: &str, label: &str) -> f64 {
    let start = text
        .find(label)
        .unwrap_or_else(|| panic!("«{label}» in {text}"))
        + label.len();
    let digits: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.parse().expect("a number")
}

/// The number before `suffix` at the end of the word ending with it.
fn number_before(text: &str, suffix: &str) -> f64 {
    let end = text
        .find(suffix)
        .unwrap_or_else(|| panic!("«{suffix}» in {text}"));
    let start = text[..end].rfind([' ', '(', ':']).map_or(0, |i| i + 1);
    text[start..end].trim().parse().expect("a number")
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn sentinel_promotes_the_replica_on_its_timeline_and_loses_the_lag_window() {
    let redis = "replication = { replicas = 1, lag = \"1s\" }\n\
                 sentinel = { sentinels = 3, quorum = 2, down_after = \"10s\", failover_timeout = \"3m\" }";
    let (m, r) = run(&model(redis, &crash(0, 30, 120)), 60.0);
    let text = &r[0].snapshots[0].text;
    // Lost at 30 s; SDOWN at 40 s, ODOWN at 41 s, the failover starts
    // within the 1-s desync, election and promotion take 2 s.
    assert!(text.contains("primary lost at 30.0 s"), "{text}");
    let took = number_before(text, " s later)");
    assert!((13.0..14.0).contains(&took), "{took}: {text}");
    // The replica was 1 s behind: the DELs of that second (100/s, Poisson:
    // 4 sd = 40) are stale on it; the lost writes add the fills.
    let stale = field(text, "stale_keys:");
    let lost = number_before(text, " writes lost");
    assert!((60.0..=140.0).contains(&stale), "stale {stale}: {text}");
    assert!(lost > stale, "{lost} {stale}");
    // Every trial's result carries its failover, as the snapshot tells it.
    for t in &r {
        let f = &t.failovers[..];
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].component.as_str(), f[0].shard), ("redis", 0));
        assert!((f[0].lost_s - 30.0).abs() < 1e-9, "{f:?}");
        assert!((13.0..14.0).contains(&f[0].promotion_s), "{f:?}");
    }
    assert_eq!(r[0].failovers[0].lost_writes as f64, lost);
    let hit = util::reading(&m, &r, "redis.hit_ratio");
    for h in &hit {
        // 30-40 s: every GET refused (none counted); from 50 s the
        // promoted replica is warm (steady hit ratio 0.9: a key DELeted at
        // 0.005/s is refilled at its next read, 0.045/s), where a node
        // restarted empty would be near 0.2.
        assert!(h[3].is_nan(), "{h:?}");
        assert!(h[5..14].iter().all(|&x| x > 0.85), "{h:?}");
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn without_sentinel_the_node_stays_down_then_restarts_empty() {
    let redis = "replication = { replicas = 1, lag = \"1s\" }";
    let (m, r) = run(&model(redis, &crash(0, 30, 30)), 55.0);
    assert!(!r[0].snapshots[0].text.contains("failover"));
    for h in util::reading(&m, &r, "redis.hit_ratio") {
        assert!(h[3..6].iter().all(|x| x.is_nan()), "{h:?}");
        // Back empty at 60 s: 9,000 reads over 20,000 keys in 10 s hit
        // about 20% on average.
        assert!(h[6] < 0.3, "{h:?}");
    }
}

/// A three-shard cluster without replicas loses shard 1 at 30 s for 60 s.
fn cluster_run(full_coverage: bool) -> (Model, Vec<TrialResult>) {
    let redis = format!(
        "instances = 3\ncluster = {{ shards = 3, node_timeout = \"15s\", \
         require_full_coverage = {full_coverage} }}"
    );
    run(&model(&redis, &crash(1, 30, 60)), 20.0)
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn a_cluster_requiring_full_coverage_stops_while_a_shard_has_no_primary() {
    let (m, r) = cluster_run(true);
    let text = &r[0].snapshots[0].text;
    // Slots 0-5460, 5461-10922, 10923-16383: about a third of the keys each.
    for shard in 0..3 {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("shard {shard}:")))
            .unwrap_or_else(|| panic!("{text}"));
        let keys = field(line, "keys:");
        assert!((5_500.0..7_800.0).contains(&keys), "{line}");
    }
    for h in util::reading(&m, &r, "redis.hit_ratio") {
        // Shard 1 is marked FAIL 15-16 s after the loss: from then until it
        // is back at 90 s every node answers -CLUSTERDOWN (no GET counts).
        assert!(h[3] > 0.8, "{h:?}");
        assert!(h[5..9].iter().all(|x| x.is_nan()), "{h:?}");
        assert!(h[10] > 0.5, "{h:?}");
    }
    let (m, r) = cluster_run(false);
    for h in util::reading(&m, &r, "redis.hit_ratio") {
        // Coverage not required: the other two shards keep serving theirs.
        assert!(h[5..9].iter().all(|&x| x > 0.8), "{h:?}");
    }
}

#[test]
fn bad_replication_sentinel_and_cluster_settings_are_reported_with_their_place() {
    let text = r#"
[components.app]
kind = "pods"
depends_on = ["db"]
soft_depends_on = ["redis", "cache2", "cache3"]

[components.redis]
kind = "cache"
instances = 2
maxmemory = "1gb"
keys = { count = 1000, zipf = 0.9, size = "1KiB", hash_tag_share = 1.5 }
replication = { replicas = 1, lag = "10ms" }
cluster = { node_timeout = "15s" }

[components.cache2]
kind = "cache"
maxmemory = "1gb"
keys = { count = 1000, zipf = 0.9, size = "1KiB" }
sentinel = { quorum = 4 }

[components.cache3]
kind = "cache"
maxmemory = "1gb"
keys = { count = 1000, zipf = 0.9, size = "1KiB" }
replication = { replicas = 0, lag = "10ms" }
cluster = { shards = 3 }

[components.db]
kind = "database"
"#;
    let err = Model::parse(text, "bad.toml").expect_err("bad").to_string();
    for want in [
        "bad.toml:11:68: 'components.redis.keys.hash_tag_share' is a share and must be between 0 and 1",
        "bad.toml:13:11: 'components.redis.cluster' needs 'shards'",
        "bad.toml:19:23: 'cache2.sentinel.quorum' is 4 with 3 sentinels",
        "bad.toml:19:12: 'cache2.sentinel' has no replica to promote",
        "bad.toml:25:28: 'cache3.replication.replicas' is 0",
        "bad.toml:26:22: 'cache3.cluster.shards' is 3 but 'cache3' has 1 instances",
    ] {
        assert!(err.contains(want), "missing «{want}» in:\n{err}");
    }
    assert_eq!(
        err.lines().filter(|l| l.contains("bad.toml:")).count(),
        6,
        "{err}"
    );
}
