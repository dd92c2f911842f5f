//! Databases in the drill: a failover makes writes fail for the failover
//! time while reads keep working, an exhausted connection pool fails calls
//! with its own cause, a full disk rejects writes until a cleanup, and
//! replica reads within the replication lag are counted.

use resim::drill::{Cause, TrialResult};
use resim::model::Model;

use super::util::reading;

/// lb -> app (`app` extra keys) -> db (`db` extra keys), 100 req/s with
/// `read_ratio`, 10-s bins over 3 minutes after a 20-s warm-up.
fn system(read_ratio: f64, app: &str, db: &str, events: &str) -> String {
    format!(
        r#"
[components.lb]
kind = "load_balancer"
depends_on = ["app"]

[components.app]
kind = "pods"
instances = 1
workers = 64
depends_on = ["db"]
service = {{ dist = "constant", value = "1ms" }}
{app}

[components.db]
kind = "database"
replicas = 2
failover = {{ dist = "constant", value = "30s" }}
service = {{ dist = "constant", value = "2ms" }}
{db}

[traffic]
rate = "100/s"
read_ratio = {read_ratio}
timeout = "30s"

[[scenarios]]
name = "s"
duration = "3m"
warmup = "20s"
{events}
"#
    )
}

fn run(text: &str) -> (Model, Vec<TrialResult>) {
    super::util::drill(text, 3, 11)
}

/// (offered, succeeded, failed with `cause`) over `bins`, all trials.
fn totals(r: &[TrialResult], bins: std::ops::Range<usize>, cause: Cause) -> (u64, u64, u64) {
    let mut out = (0, 0, 0);
    for t in r {
        for b in &t.bins[bins.clone()] {
            out.0 += b.offered;
            out.1 += b.succeeded;
            out.2 += b.failed[cause as usize];
        }
    }
    out
}

const PRIMARY_DIES: &str = r#"
[[scenarios.events]]
at = "60s"
fault = "crash"
target = "db"
instance = 0
"#;

#[test]
fn a_failover_fails_writes_for_the_failover_time() {
    let (_, r) = run(&system(0.0, "", "", PRIMARY_DIES));
    // Writes in flight at the crash (bin 5) fail with a server error.
    let (offered, ok, _) = totals(&r, 0..5, Cause::Refused);
    assert_eq!(ok, offered, "writes succeed before the crash");
    // The primary dies at 60 s and a replica is promoted at 90 s: every
    // write arriving in [60 s, 80 s) fails, and all but those arriving in
    // the last few ms before 90 s (they reach the db after it) in
    // [80 s, 90 s); every write from 90 s succeeds.
    let (offered, ok, refused) = totals(&r, 6..8, Cause::Refused);
    assert_eq!(ok, 0);
    assert_eq!(refused, offered);
    let (offered, _, refused) = totals(&r, 8..9, Cause::Refused);
    assert!(refused as f64 > 0.99 * offered as f64);
    let (offered, ok, _) = totals(&r, 9..18, Cause::Refused);
    assert_eq!(ok, offered, "writes go to the promoted replica");
}

#[test]
fn reads_keep_working_through_a_failover() {
    let (_, r) = run(&system(1.0, "", "", PRIMARY_DIES));
    // Reads go to the replicas, and after the promotion to the one left.
    let (offered, ok, _) = totals(&r, 0..18, Cause::Refused);
    assert_eq!(ok, offered);
}

#[test]
fn an_exhausted_pool_fails_calls_with_its_own_cause() {
    // 100 reads/s holding a connection 2 ms at the db plus 0.5 ms of network
    // need ~0.25 connections on average: a pool of 2 is ample while the db
    // is fast. Slowed 100x (200 ms), they need ~20 connections: the pool of
    // 2 serves ~10 calls/s and the rest wait 200 ms and fail.
    let slow = r#"
[[scenarios.events]]
at = "60s"
fault = "slow"
target = "db"
factor = 100.0
duration = "60s"
"#;
    let (model, r) = run(&system(
        1.0,
        "",
        "pool = { size = 2, wait_timeout = \"200ms\" }",
        slow,
    ));
    let (offered, ok, _) = totals(&r, 0..6, Cause::PoolExhausted);
    assert_eq!(ok, offered, "a fast db never exhausts the pool");
    let (offered, ok, exhausted) = totals(&r, 7..12, Cause::PoolExhausted);
    assert!(
        exhausted > offered / 2,
        "{exhausted} of {offered} failed with pool_exhausted"
    );
    assert_eq!(ok + exhausted, offered, "no other cause");
    let (offered, ok, _) = totals(&r, 13..18, Cause::PoolExhausted);
    assert_eq!(ok, offered, "recovered once the db is fast again");
    // The waits show as a reading. Fast, a connection is held 2.5 ms
    // (0.25 Erlang on 2 connections): Erlang C gives P(wait) = 2.8%, about
    // 2.8 waits/s (a 10-s bin counts ~28, sd ~5.3, so under 5/s is 4 sd
    // out); slowed, nearly all 100 calls/s wait.
    let x = reading(&model, &r, "db.pool_waits");
    for t in &x {
        assert!(t[2] < 5.0, "{} waits/s", t[2]);
        assert!(t[8] > 30.0, "{} waits/s", t[8]);
    }
}

#[test]
fn a_full_disk_rejects_writes_until_a_cleanup() {
    // 1 GB free filling at 100 MB/s: full 10 s into the warm-up.
    let cleanup = r#"
[[scenarios.events]]
at = "60s"
action = "cleanup_disk"
target = "db"
free = "100GB"
"#;
    let (model, r) = run(&system(
        0.5,
        "",
        "disk = { free = \"1GB\", fill_per_second = \"100MB\" }",
        cleanup,
    ));
    let (offered, ok, rejected) = totals(&r, 0..6, Cause::WriteRejected);
    assert_eq!(ok + rejected, offered);
    // Half the requests are writes; binomial sd of the write count over
    // 3 x 6000 requests is sqrt(18000 / 4) = 67, so 5 sd is under 2%.
    let share = rejected as f64 / offered as f64;
    assert!((share - 0.5).abs() < 0.02, "rejected share {share}");
    let (offered, ok, _) = totals(&r, 6..18, Cause::WriteRejected);
    assert_eq!(ok, offered);
    let x = reading(&model, &r, "db.disk_free");
    // Full before the cleanup; 100 GB minus 100 MB/s after it.
    assert!(x.iter().all(|t| t[3] == 0.0 && t[10] > 90.0));
}

#[test]
fn replica_reads_within_the_lag_of_a_write_are_counted() {
    let (model, r) = run(&system(0.5, "", "replication_lag = \"1s\"", ""));
    let x = reading(&model, &r, "db.stale_reads");
    // 50 writes/s: a write less than 1 s before almost every read, so nearly
    // all 50 reads/s are counted.
    for t in &x {
        assert!(t[5] > 40.0, "{}", t[5]);
    }
    let (model, r) = run(&system(0.5, "", "replication_lag = \"0s\"", ""));
    let x = reading(&model, &r, "db.stale_reads");
    assert!(x.iter().all(|t| t[5] == 0.0));
}
