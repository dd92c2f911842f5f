//! A cache with a Redis key space in the drill: database load follows the
//! miss ratio, `noeviction` rejects writes when full, and a flush drops the
//! hit ratio before the cache warms up again.
//!
//! Models: app pods call a database and a Redis cache (cache-aside) with no
//! network latency; the cache is the only component with readings, so a
//! trial's readings per bin are, in order: hit ratio, used memory \[MB\],
//! maxmemory \[MB\], evicted keys/s, expired keys/s.

use resim::drill::{Cause, DrillRequest, TrialResult, run_scenario};
use resim::engine::SimTime;
use resim::model::Model;

const HIT_RATIO: usize = 0;
const USED_MB: usize = 1;
const MAX_MB: usize = 2;
const EVICTED: usize = 3;

fn run(text: &str, trials: u64, bin_s: u64) -> Vec<TrialResult> {
    let m = Model::parse(text, "cache.toml").unwrap_or_else(|e| panic!("{e}"));
    let req = DrillRequest {
        trials,
        seed: 5,
        threads: 2,
        bin: SimTime(bin_s * SimTime::SECOND.0),
        snapshots: Vec::new(),
    };
    run_scenario(&m, &m.scenarios[0], &req, &|_| {}).expect("run")
}

/// App → db, app → redis (soft unless `hard`); `redis` holds the cache keys.
fn model(redis: &str, hard: bool, rate: u32, read_ratio: f64, scenario: &str) -> String {
    let deps = if hard {
        r#"depends_on = ["db", "redis"]"#
    } else {
        "depends_on = [\"db\"]\nsoft_depends_on = [\"redis\"]"
    };
    format!(
        r#"
[components.app]
kind = "pods"
instances = 4
workers = 64
{deps}
latency = {{ dist = "constant", value = "0s" }}

[components.redis]
kind = "cache"
latency = {{ dist = "constant", value = "0s" }}
{redis}

[components.db]
kind = "database"
replicas = 2
workers = 64
latency = {{ dist = "constant", value = "0s" }}

[traffic]
rate = "{rate}/s"
read_ratio = {read_ratio}
timeout = "30s"

{scenario}
"#
    )
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn database_load_is_the_request_rate_times_the_miss_ratio() {
    // Reads only, so every database call is a miss. 5,000 keys of 100 B
    // fit (176 B each and an 8,192-bucket table, `memory::used_by`) out of
    // 100,000 under Zipf(0.8).
    let redis = r#"maxmemory = 945536
maxmemory_policy = "allkeys-lru"
keys = { count = 100_000, zipf = 0.8, size = "100B" }"#;
    let scenario = "[[scenarios]]\nname = \"steady\"\nduration = \"100s\"\nwarmup = \"60s\"";
    let (rate, secs) = (2000.0, 100.0);
    let trials = run(&model(redis, false, 2000, 1.0, scenario), 4, 10);
    for t in &trials {
        let bins = &t.readings;
        let miss = 1.0 - bins.iter().map(|b| b[HIT_RATIO]).sum::<f64>() / bins.len() as f64;
        let db = t.calls[2].arrived as f64;
        let expected = rate * secs * miss;
        // Against the trial's own miss ratio only the Poisson count of
        // reads varies: sd = miss·√(λT); 4 sd, plus 1% for weighting bins
        // equally when averaging their hit ratios (bins differ in size by
        // ~1/√20000) and the few calls straddling the window's edges.
        let tol = 4.0 * miss * (rate * secs).sqrt() + 0.01 * expected;
        assert!(
            (db - expected).abs() < tol,
            "db calls {db}, expected {expected:.0} ± {tol:.0} (miss ratio {miss:.3})"
        );
        assert!(tol < 0.05 * expected);
        // A cache at maxmemory with allkeys-lru: evicting, memory pinned.
        let last = bins.last().expect("bins");
        assert!(last[EVICTED] > 0.0);
        assert!((last[USED_MB] - last[MAX_MB]).abs() < 0.01 * last[MAX_MB]);
        assert!((0.5..0.75).contains(&miss), "miss ratio {miss}");
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn noeviction_rejects_writes_once_full_and_reads_keep_hitting() {
    // Writes update the entry (SET); room for ~1000 keys of 10,000.
    let redis = r#"maxmemory = 184192
maxmemory_policy = "noeviction"
on_write = "update"
keys = { count = 10_000, zipf = 0.8, size = "100B" }"#;
    let scenario = "[[scenarios]]\nname = \"full\"\nduration = \"60s\"\nwarmup = \"30s\"";
    let trials = run(&model(redis, true, 500, 0.5, scenario), 2, 10);
    for t in &trials {
        let rejected: u64 = t
            .bins
            .iter()
            .map(|b| b.failed[Cause::WriteRejected as usize])
            .sum();
        let offered = t.offered() as f64;
        // Every write's SET is refused once full (after the warm-up): about
        // half the requests; reads are served (hits and DB reads) and a
        // failed fill never fails a read.
        assert!(
            (rejected as f64 - 0.5 * offered).abs() < 4.0 * (0.25 * offered).sqrt(),
            "{rejected} of {offered} rejected"
        );
        assert_eq!(t.succeeded() + rejected, t.offered());
        let hit = t.readings.iter().map(|b| b[HIT_RATIO]).sum::<f64>() / t.readings.len() as f64;
        assert!(hit > 0.2, "hit ratio {hit}");
        assert!(t.readings.iter().all(|b| b[EVICTED] == 0.0));
    }
}

/// Runs a cache of 20,000 uniform keys that all fit, read at 1000/s, with
/// `event` at 60 s after the warm-up, and checks the hit ratio against the
/// warm-up curve: before it, in the 5 s bin `cold_bin` (the first after the
/// cache came back empty), and 40-60 s after `cold_bin` began.
fn check_cold_start(event: &str, cold_bin: usize) {
    let redis = r#"maxmemory = "64Mi"
maxmemory_policy = "allkeys-lru"
keys = { count = 20_000, uniform = true, size = "100B" }"#;
    let scenario = format!(
        "[[scenarios]]\nname = \"cold\"\nduration = \"150s\"\nwarmup = \"60s\"\n\n\
         [[scenarios.events]]\nat = \"60s\"\ntarget = \"redis\"\n{event}"
    );
    let trials = run(&model(redis, false, 1000, 1.0, &scenario), 2, 5);
    // Everything fits (20,000 keys of 100 B take 3.7 MB), so the cache holds
    // every key read since it started: at λ = 1000 reads/s over n = 20,000
    // uniform keys, a key is cached t s after a (re)start with probability
    // 1 − e^(−λt/n), and the hit ratio averaged over [a, b] is
    // 1 − n/(λ(b − a))·(e^(−λa/n) − e^(−λb/n)).
    let (lambda, n) = (1000.0, 20_000.0);
    let warm = |a: f64, b: f64| {
        1.0 - n / (lambda * (b - a)) * ((-lambda * a / n).exp() - (-lambda * b / n).exp())
    };
    for t in &trials {
        let h: Vec<f64> = t.readings.iter().map(|b| b[HIT_RATIO]).collect();
        let mean =
            |r: std::ops::Range<usize>| r.clone().map(|i| h[i]).sum::<f64>() / r.len() as f64;
        // Tolerance 0.02: a bin's hit ratio over ≥ 5,000 reads has binomial
        // sd ≤ 0.007; 3 sd.
        for (what, got, theory) in [
            // The readings start at the warm-up's end (60 s): the first
            // bin counts 60-65 s (0.956), not 0-65 s (0.704).
            ("first bin", h[0], warm(60.0, 65.0)),
            ("before", mean(8..12), warm(100.0, 120.0)),
            ("first bin after", h[cold_bin], warm(0.0, 5.0)),
            (
                "warming up again",
                mean(cold_bin + 8..cold_bin + 12),
                warm(40.0, 60.0),
            ),
        ] {
            assert!(
                (got - theory).abs() < 0.02,
                "{event}: {what}: hit ratio {got:.3}, expected {theory:.3}"
            );
        }
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn a_flush_drops_the_hit_ratio_and_the_cache_warms_up_again() {
    check_cold_start("action = \"flush\"", 12);
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn a_restart_comes_back_empty_and_warms_up_again() {
    // Down 60-70 s (reads fall through to the database, no GET reaches
    // it), back empty at 70 s: the bin 70-75 s is cold.
    check_cold_start("fault = \"bounce\"\nduration = \"10s\"", 14);
}

#[test]
fn bad_cache_settings_are_reported_with_their_place() {
    let text = r#"
[components.app]
kind = "pods"
depends_on = ["db"]
soft_depends_on = ["redis"]

[components.redis]
kind = "cache"
hit_ratio = 0.5
maxmemory_policy = "allkeys-lur"
keys = { count = 1000, zipf = 0.9, size = "1KiB", tll = "1h" }

[components.db]
kind = "database"
maxmemory = "1gb"
"#;
    let err = Model::parse(text, "bad.toml").expect_err("bad").to_string();
    for want in [
        "bad.toml:9:13: 'redis' has both 'hit_ratio' and 'keys'",
        "bad.toml:10:20: unknown maxmemory_policy 'allkeys-lur' in [components.redis]; did you mean 'allkeys-lru'?",
        "bad.toml:11:51: unknown key 'tll' in [components.redis.keys]; did you mean 'ttl'?",
        "bad.toml:15:13: 'maxmemory' applies to caches; 'db' is database",
    ] {
        assert!(err.contains(want), "missing «{want}» in:\n{err}");
    }
    assert_eq!(
        err.lines().filter(|l| l.contains("bad.toml:")).count(),
        4,
        "{err}"
    );
}
