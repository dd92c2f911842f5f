//! Database backups and restore in the drill (issue 14 item 6): a lost
//! disk or a bad write is recovered by downloading the base backup and
//! replaying the WAL since it; each restore's RPO and RTO are reported per
//! trial, and the restore's downtime fails requests.

use crate::util::drill;

/// App → db with backups: 100 writes/s; a 10-GiB base backup taken every
/// hour, 1 MiB/s of WAL archived at least each minute, restored at
/// 100 MiB/s and replayed at 10 MiB/s; `event` is the scenario's action.
fn model(event: &str) -> String {
    format!(
        r#"
[components.app]
kind = "pods"
instances = 2
workers = 100
depends_on = ["db"]

[components.db]
kind = "database"
replicas = 1
workers = 50
backup = {{ base_every = "1h", size = "10GiB", wal_rate = "1MiB/s", archive_timeout = "60s", download = "100MiB/s", replay = "10MiB/s" }}

[traffic]
rate = "100/s"
read_ratio = 0.0
timeout = "5s"

[[scenarios]]
name = "loss"
duration = "30m"
warmup = "1m"

[[scenarios.events]]
at = "2m"
action = "lose_data"
target = "db"
{event}
"#
    )
}

#[test]
fn a_lost_disk_is_restored_with_its_rpo_and_rto() {
    let (_, r) = drill(&model(r#"cause = "disk""#), 8, 4);
    for t in &r {
        let x = &t.restores[0];
        // A segment (16 MiB) fills in 16 s at 1 MiB/s, before the 60-s
        // timeout: at most 16 s of writes are unarchived.
        assert!(x.rpo_s >= 0.0 && x.rpo_s <= 16.0, "{x:?}");
        // 100 writes/s (Poisson): within 4.5σ of 100 x RPO.
        let expect = 100.0 * x.rpo_s;
        assert!(
            (x.lost_writes as f64 - expect).abs() <= 4.5 * expect.sqrt() + 2.0,
            "{x:?}"
        );
        // Download 10 GiB at 100 MiB/s = 102.4 s, plus up to an hour of
        // WAL (3600 MiB) at 10 MiB/s = 360 s.
        assert!(x.restore_s >= 102.4 && x.restore_s <= 462.5, "{x:?}");
        assert!((x.rto_s - x.restore_s).abs() < 1e-6, "{x:?}");
        // Every request fails while the database is restored: about 100/s
        // x RTO of them (writes have no fallback).
        let failed = t.offered() - t.succeeded();
        let want = 100.0 * x.rto_s;
        assert!(
            (failed as f64 - want).abs() < 4.5 * want.sqrt() + 600.0,
            "failed {failed} for RTO {}",
            x.rto_s
        );
    }
    // The base backup's age is uniform over the hour: the restores differ.
    let spread = r
        .iter()
        .map(|t| t.restores[0].restore_s)
        .fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
    assert!(spread.1 - spread.0 > 30.0, "{spread:?}");
}

#[test]
fn a_bad_write_loses_everything_until_the_restore_starts() {
    let (_, r) = drill(
        &model("cause = \"bad_write\"\nrestore_after = \"5m\""),
        4,
        9,
    );
    for t in &r {
        let x = &t.restores[0];
        assert_eq!(x.rpo_s, 300.0, "{x:?}");
        // 100 writes/s for 300 s: 30,000 ± 4.5·√30,000.
        assert!((x.lost_writes as f64 - 30_000.0).abs() < 800.0, "{x:?}");
        assert!((x.rto_s - (300.0 + x.restore_s)).abs() < 1e-6, "{x:?}");
    }
}

#[test]
fn lose_data_needs_a_backup() {
    let text = model(r#"cause = "disk""#).replace("backup = {", "# backup = {");
    let e = resim::model::Model::parse(&text, "b.toml")
        .expect_err("bad")
        .to_string();
    assert!(
        e.contains("b.toml:") && e.contains("needs a database with a backup"),
        "{e}"
    );
}
