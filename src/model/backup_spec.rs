//! A database's backups (domain reference §26): base backups every
//! `base_every` plus continuous WAL archiving (a segment is archived when
//! full, 16 MB, or after `archive_timeout`), and a restore that downloads
//! the base backup and replays the WAL since it:
//! `backup = { base_every = "24h", size = "50GB", wal_rate = "5MB/min",
//! archive_timeout = "60s", download = "200MB/s", replay = "60MB/s" }`.
//! Also the `lose_data` action that calls for a restore, and for `resim
//! availability` random losses: `data_loss_every = "5y"` (the mean time
//! between losses of the data, exponential) and `restore_after = "30m"`
//! (the time to notice and start the restore).

use super::error::Diagnostics;
use super::reader::TableReader;
use crate::engine::SimTime;

const BACKUP_KEYS: &[&str] = &[
    "base_every",
    "size",
    "wal_rate",
    "archive_timeout",
    "download",
    "replay",
    "data_loss_every",
    "restore_after",
];

/// PostgreSQL's WAL segment size \[bytes\].
pub const WAL_SEGMENT: u64 = 16 << 20;

/// A backup schedule and the speeds of a restore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupSpec {
    /// A base backup every this long.
    pub base_every: SimTime,
    /// The database's size (a base backup's) \[bytes\].
    pub size: u64,
    /// WAL written \[bytes/s\].
    pub wal_rate: u64,
    /// `archive_timeout` (`None`: 0, off).
    pub archive_timeout: Option<SimTime>,
    /// Download speed of the base backup \[bytes/s\].
    pub download: u64,
    /// WAL replay speed \[bytes/s\] (single-threaded startup process).
    pub replay: u64,
    /// `resim availability`: the mean time between random losses of the
    /// data (the primary's disk with its replicas'), if modelled.
    pub data_loss_every: Option<SimTime>,
    /// `resim availability`: from a loss to the start of its restore.
    pub restore_after: SimTime,
    /// Byte offset of `base_every` in the model file (for errors found
    /// after reading, such as a schedule longer than the horizon).
    pub base_every_at: usize,
}

impl BackupSpec {
    /// How often a WAL segment is archived: when full, or at `archive_timeout`.
    pub fn archive_every(&self) -> SimTime {
        let fill = SimTime::from_secs_f64(WAL_SEGMENT as f64 / self.wal_rate.max(1) as f64);
        self.archive_timeout.map_or(fill, |t| t.min(fill))
    }

    /// The age of the last base backup at `now` on a schedule that takes
    /// one at time zero and every `base_every` after.
    pub fn base_age_at(&self, now: SimTime) -> SimTime {
        SimTime(now.0 % self.base_every.0.max(1))
    }

    /// The data lost when the disk goes at a point `lag_u` (uniform in
    /// [0, 1)) into an archiving period: the writes not yet archived.
    pub fn disk_rpo(&self, lag_u: f64) -> SimTime {
        SimTime::from_secs_f64(self.archive_every().as_secs_f64() * lag_u)
    }

    /// The restore's time: the base backup's download plus the replay of
    /// the WAL written in `base_age` (the time from that base backup to the
    /// recovery target).
    pub fn restore_time(&self, base_age: SimTime) -> SimTime {
        let wal = self.wal_rate as f64 * base_age.as_secs_f64();
        SimTime::from_secs_f64(
            self.size as f64 / self.download.max(1) as f64 + wal / self.replay.max(1) as f64,
        )
    }
}

/// What destroyed the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataLoss {
    /// The primary's disk, and its replicas with it: everything since the
    /// last archived WAL segment is gone.
    Disk,
    /// A bad write replicated everywhere: restored to just before it, so
    /// every write after it is lost.
    BadWrite,
}

impl DataLoss {
    /// Names accepted in model files.
    pub const NAMES: &'static [&'static str] = &["disk", "bad_write"];

    /// Its name in model files.
    pub fn name(self) -> &'static str {
        match self {
            DataLoss::Disk => "disk",
            DataLoss::BadWrite => "bad_write",
        }
    }

    /// Parses a name.
    pub fn from_name(name: &str) -> Option<DataLoss> {
        match name {
            "disk" => Some(DataLoss::Disk),
            "bad_write" => Some(DataLoss::BadWrite),
            _ => None,
        }
    }
}

/// A positive byte rate such as `"200MB/s"`, as whole bytes per second.
fn byte_rate(t: &mut TableReader, key: &str, diags: &mut Diagnostics) -> Option<u64> {
    let s = t.str(key, diags)?;
    match crate::model::k8s_spec::parse_leak(&s.value) {
        Ok(r) if (1.0..1e15).contains(&r) => Some(r as u64),
        Ok(_) => {
            diags.error(s.span, format!("'{}.{key}' must be at least 1 B/s", t.path));
            None
        }
        Err(e) => {
            diags.error(s.span, format!("'{}.{key}': {e}", t.path));
            None
        }
    }
}

/// The `backup` table of a database.
pub(super) fn read_backup(mut t: TableReader, diags: &mut Diagnostics) -> Option<BackupSpec> {
    let before = diags.len();
    let base_every = t.duration("base_every", diags).map(|d| d.value);
    let size = t.bytes("size", diags).map(|b| b.value);
    let wal_rate = byte_rate(&mut t, "wal_rate", diags);
    let archive_timeout = t
        .duration("archive_timeout", diags)
        .map(|d| d.value)
        .filter(|&d| d > SimTime::ZERO);
    let download = byte_rate(&mut t, "download", diags);
    let replay = byte_rate(&mut t, "replay", diags);
    let data_loss_every = t.duration("data_loss_every", diags).map(|d| d.value);
    if data_loss_every == Some(SimTime::ZERO) {
        diags.error(
            t.span_of("data_loss_every"),
            format!("'{}.data_loss_every' must be longer than zero", t.path),
        );
    }
    let restore_after = t
        .duration("restore_after", diags)
        .map_or(SimTime::ZERO, |d| d.value);
    let base_every_at = t.span_of("base_every").start;
    for (k, got, ex) in [
        ("base_every", base_every.is_some(), "\"24h\""),
        ("size", size.is_some(), "\"50GB\""),
        ("wal_rate", wal_rate.is_some(), "\"5MB/min\""),
        ("download", download.is_some(), "\"200MB/s\""),
        (
            "replay",
            replay.is_some(),
            "\"60MB/s\" (single-threaded replay)",
        ),
    ] {
        if !got && !t.has(k) {
            t.missing(k, diags, ex);
        }
    }
    if base_every == Some(SimTime::ZERO) {
        diags.error(
            t.span_of("base_every"),
            format!("'{}.base_every' must be longer than zero", t.path),
        );
    }
    t.finish(BACKUP_KEYS, diags);
    if diags.len() != before {
        return None;
    }
    Some(BackupSpec {
        base_every: base_every?,
        size: size?,
        wal_rate: wal_rate?,
        archive_timeout,
        download: download?,
        replay: replay?,
        data_loss_every,
        restore_after,
        base_every_at,
    })
}

/// A database whose backup schedule is longer than `horizon`: on a
/// schedule played from time zero (as `resim availability` plays it) only
/// the first base backup would be taken, so every restore would replay the
/// WAL since the trial began. Returns the component and its spec.
pub fn schedule_beyond(
    model: &super::Model,
    horizon: SimTime,
) -> Option<(&super::Component, BackupSpec)> {
    model.components.iter().find_map(|c| {
        let b = c.serving.db.as_ref()?.backup?;
        (b.data_loss_every.is_some() && b.base_every > horizon).then_some((c, b))
    })
}

/// Reads `lose_data` on `target` (a database with a `backup`): `cause =
/// "disk" | "bad_write"`, and `restore_after` (the time to notice and start
/// the restore, 0 by default).
pub(super) fn read_lose_data(
    et: &mut TableReader,
    name: &super::reader::Located<String>,
    target: Option<usize>,
    components: &[super::Component],
    diags: &mut Diagnostics,
) -> Option<crate::scenario::Action> {
    let cause = super::read::read_kind(et, "cause", DataLoss::NAMES, DataLoss::from_name, diags);
    if cause.is_none() && !et.has("cause") {
        et.missing("cause", diags, "\"disk\" (or \"bad_write\")");
    }
    let restore_after = et
        .duration("restore_after", diags)
        .map_or(SimTime::ZERO, |d| d.value);
    let t = target?;
    let has_backup = components[t]
        .serving
        .db
        .as_ref()
        .is_some_and(|d| d.backup.is_some());
    if !has_backup {
        diags.error_hint(
            name.span.clone(),
            format!(
                "'lose_data' needs a database with a backup; '{}' has none",
                components[t].id
            ),
            Some("add backup = { base_every = \"24h\", size = \"50GB\", wal_rate = \"5MB/min\", download = \"200MB/s\", replay = \"60MB/s\" }".into()),
        );
        return None;
    }
    Some(crate::scenario::Action::LoseData {
        target: t,
        cause: cause?,
        restore_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_is_download_plus_replay_and_archiving_bounds_the_loss() {
        let mb = 1u64 << 20;
        let b = BackupSpec {
            base_every: SimTime(24 * 3600 * SimTime::SECOND.0),
            size: 100 * 1024 * mb,
            wal_rate: mb,
            archive_timeout: Some(SimTime(60 * SimTime::SECOND.0)),
            download: 200 * mb,
            replay: 60 * mb,
            data_loss_every: None,
            restore_after: SimTime::ZERO,
            base_every_at: 0,
        };
        // 100 GB at 200 MB/s = 512 s; 6 h of WAL at 1 MB/s = 21,600 MB at
        // 60 MB/s = 360 s.
        let six_h = SimTime(6 * 3600 * SimTime::SECOND.0);
        assert_eq!(b.restore_time(six_h), SimTime(872 * SimTime::SECOND.0));
        // A segment fills in 16 s at 1 MB/s: sooner than the timeout.
        assert_eq!(b.archive_every(), SimTime(16 * SimTime::SECOND.0));
        let quiet = BackupSpec {
            wal_rate: 1024,
            ..b
        };
        assert_eq!(quiet.archive_every(), SimTime(60 * SimTime::SECOND.0));
        let off = BackupSpec {
            archive_timeout: None,
            ..quiet
        };
        assert_eq!(off.archive_every(), SimTime(16384 * SimTime::SECOND.0));
    }
}
