//! Database backups and restore in the drill (issue 14 item 6): a lost
//! disk or a bad write is recovered by downloading the base backup and
//! replaying the WAL since it; each restore's RPO and RTO are reported per
//! trial, and the restore's downtime fails requests.

use crate::util::drill;
use resim::engine::SimTime;

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

/// `model` with random losses of the data for `resim availability`.
fn with_losses(every: &str) -> String {
    model(r#"cause = "disk""#).replace(
        r#"replay = "10MiB/s" }"#,
        &format!(r#"replay = "10MiB/s", data_loss_every = "{every}", restore_after = "30m" }}"#),
    )
}

#[test]
fn a_backup_schedule_longer_than_the_horizon_is_an_error_at_base_every() {
    let dir = crate::util::scratch("backup-horizon");
    std::fs::write(dir.join("m.toml"), with_losses("1y")).expect("write");
    let out = crate::util::resim(
        &dir,
        &[
            "availability",
            "m.toml",
            "--trials",
            "2",
            "--horizon",
            "30m",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    // `base_every = "1h"` sits on line 12 of the model, its value at column 25.
    assert!(
        err.contains("m.toml:12:25: 'db.backup.base_every' (1h) is longer than the horizon (30m)"),
        "{err}"
    );
    // A horizon that holds the schedule runs; so does a drill of any
    // length (it takes the schedule in steady state), and a backup without
    // random losses plays no part in a trial.
    let ok = crate::util::resim(
        &dir,
        &[
            "availability",
            "m.toml",
            "--trials",
            "2",
            "--horizon",
            "2h",
            "--request-trials",
            "0",
            "--out",
            "o",
        ],
    );
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    std::fs::write(dir.join("n.toml"), model(r#"cause = "disk""#)).expect("write");
    let plain = crate::util::resim(
        &dir,
        &[
            "availability",
            "n.toml",
            "--trials",
            "2",
            "--horizon",
            "30m",
            "--request-trials",
            "0",
            "--out",
            "p",
        ],
    );
    assert_eq!(
        plain.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
}

/// In `resim availability` a lost database is down for the restore's RTO:
/// `restore_after` + download + replay of the WAL since the last base
/// backup (taken hourly from time zero, so its age is uniform over the
/// hour), and the unarchived writes (uniform over the 16-s archiving
/// period) are the RPO.
#[test]
fn availability_counts_the_restore_and_its_lost_data() {
    use resim::availability::{AvailabilityRequest, run};
    let m = resim::model::Model::parse(&with_losses("30d"), "m.toml").expect("valid");
    let req = AvailabilityRequest {
        trials: 200,
        horizon: SimTime::YEAR,
        seed: 3,
        threads: 1,
        request_trials: 0,
        ..AvailabilityRequest::default()
    };
    let s = run(&m, &req, |_, _| {}).expect("runs").summary;
    let r = s.restores.as_ref().expect("restores reported");
    // 365/30 = 12.17 losses a year; 200 trial-years: 2433 ± 4.5·√2433.
    let n = r.observed as f64;
    assert!((n - 2433.3).abs() < 4.5 * 2433.3f64.sqrt(), "{r:?}");
    // RTO: 30 min + 102.4 s + (0..3600 MiB)/10 MiB/s: mean 1800 + 102.4 +
    // 180 s = 34.71 min, each spread uniformly over 6 min (sd 1.73 min):
    // the mean of n within 4.5 sd/√n.
    let rto = r.mean_rto_minutes.expect("some");
    assert!(
        (rto - 34.707).abs() < 4.5 * 1.732 / n.sqrt() + 0.01,
        "{r:?}"
    );
    // RPO: uniform over 16 s, mean 8 s, sd 4.62 s.
    let rpo = r.mean_rpo_secs.expect("some");
    assert!((rpo - 8.0).abs() < 4.5 * 4.62 / n.sqrt(), "{r:?}");
    assert!(
        (r.data_lost_secs_per_year - rpo * r.per_year).abs() < 1e-6,
        "{r:?}"
    );
    // The database is required: its restores are downtime, blamed on them.
    let restore = s
        .attribution
        .iter()
        .find(|a| a.kind == "restore")
        .expect("blamed");
    let per_year = restore.downtime_minutes_per_year;
    let want = r.per_year * rto;
    assert!(
        (per_year - want).abs() < 0.02 * want,
        "{per_year} vs {want}"
    );
}
