//! The database settings a drill uses beyond serving: the callers'
//! connection pools (`pool = { size, wait_timeout }`), replication lag
//! (`replication_lag`), and a disk filling up (`disk = { free,
//! fill_per_second }`). Read with spans; any of these keys turns the
//! mechanics of `drill/db.rs` on for the component. Failover (promotion of a
//! replica after the `failover` time) applies to every database.

use super::ComponentKind;
use super::error::Diagnostics;
use super::k8s_spec::{POSITIVE_TIME, read_count, read_duration};
use super::reader::TableReader;
use crate::engine::SimTime;

/// The keys of a component table this reader owns.
pub const DB_KEYS: &[&str] = &["pool", "replication_lag", "disk", "backup"];
const POOL_KEYS: &[&str] = &["size", "wait_timeout"];
const DISK_KEYS: &[&str] = &["free", "fill_per_second"];

/// HikariCP `maximumPoolSize`: 10 (domain reference §17, HikariConfig.java).
pub const DEFAULT_POOL_SIZE: u32 = 10;
/// HikariCP `connectionTimeout`: 30 s wait for a connection (§17).
pub const DEFAULT_POOL_WAIT: SimTime = SimTime(30 * SimTime::SECOND.0);

/// A connection pool in each instance of every caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSpec {
    /// Connections per caller instance.
    pub size: u32,
    /// How long a call waits for a free connection before failing with
    /// `pool_exhausted`.
    pub wait_timeout: SimTime,
}

/// A disk filling at a constant rate until writes are rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskSpec {
    /// Free space at the start of the trial \[bytes\].
    pub free: u64,
    /// How fast it fills \[bytes/s\].
    pub fill_per_second: u64,
}

/// A database's drill mechanics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DbSpec {
    /// The callers' connection pools, if modelled.
    pub pool: Option<PoolSpec>,
    /// How far the replicas trail the primary, if modelled.
    pub replication_lag: Option<SimTime>,
    /// A filling disk, if modelled.
    pub disk: Option<DiskSpec>,
    /// Base backups and WAL archiving, if modelled.
    pub backup: Option<super::backup_spec::BackupSpec>,
}

/// Reads the database keys of component `name`; `None` when it has none.
pub(super) fn read(
    tr: &mut TableReader,
    kind: ComponentKind,
    name: &str,
    defaults: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Option<DbSpec> {
    let present: Vec<&str> = DB_KEYS.iter().copied().filter(|k| tr.has(k)).collect();
    if present.is_empty() {
        return None;
    }
    if kind != ComponentKind::Database {
        for k in present {
            diags.error(
                tr.span_of(k),
                format!("'{k}' applies to databases; '{name}' is {}", kind.name()),
            );
            let _ = tr.get(k);
        }
        return None;
    }
    let mut spec = DbSpec::default();
    if let Some(mut p) = tr.table("pool", diags) {
        let mut pool = PoolSpec {
            size: DEFAULT_POOL_SIZE,
            wait_timeout: DEFAULT_POOL_WAIT,
        };
        let mut unset = Vec::new();
        if !p.has("size") {
            unset.push("size = 10 (HikariCP maximumPoolSize)");
        }
        if !p.has("wait_timeout") {
            unset.push("wait_timeout = 30s (HikariCP connectionTimeout)");
        }
        read_count(&mut p, "size", (1, 100_000), &mut pool.size, diags);
        read_duration(
            &mut p,
            "wait_timeout",
            POSITIVE_TIME,
            &mut pool.wait_timeout,
            diags,
        );
        p.finish(POOL_KEYS, diags);
        if !unset.is_empty() {
            defaults.push(format!("database '{name}' pool: {}", unset.join(", ")));
        }
        spec.pool = Some(pool);
    }
    if tr.has("replication_lag") {
        let mut lag = SimTime::ZERO;
        read_duration(
            tr,
            "replication_lag",
            (SimTime::ZERO, SimTime::NEVER),
            &mut lag,
            diags,
        );
        spec.replication_lag = Some(lag);
    }
    if let Some(mut d) = tr.table("disk", diags) {
        let free = d.bytes("free", diags);
        let fill = d.bytes("fill_per_second", diags);
        for (k, v, example) in [
            ("free", free.is_some(), "\"10GB\""),
            ("fill_per_second", fill.is_some(), "\"50MB\""),
        ] {
            if !v && !d.has(k) {
                d.missing(k, diags, example);
            }
        }
        d.finish(DISK_KEYS, diags);
        if let (Some(free), Some(fill)) = (free, fill) {
            spec.disk = Some(DiskSpec {
                free: free.value,
                fill_per_second: fill.value,
            });
        }
    }
    if let Some(b) = tr.table("backup", diags) {
        spec.backup = super::backup_spec::read_backup(b, diags);
    }
    Some(spec)
}

/// Reads `cleanup_disk` on `target` (a database with a `disk`), with the
/// free space after it (`free`, default: the starting free space).
pub(super) fn read_cleanup(
    et: &mut TableReader,
    name: &super::reader::Located<String>,
    target: Option<usize>,
    components: &[super::Component],
    diags: &mut Diagnostics,
) -> Option<crate::scenario::Action> {
    let free = et.bytes("free", diags).map(|b| b.value);
    let t = disk_target(name, target, components, diags)?;
    Some(crate::scenario::Action::CleanupDisk { target: t, free })
}

/// Reads `fill_disk` on `target` (a database with a `disk`), with the free
/// space left (`free`, required).
pub(super) fn read_fill(
    et: &mut TableReader,
    name: &super::reader::Located<String>,
    target: Option<usize>,
    components: &[super::Component],
    diags: &mut Diagnostics,
) -> Option<crate::scenario::Action> {
    let free = et.bytes("free", diags).map(|b| b.value);
    if !et.has("free") {
        et.missing("free", diags, "\"1GB\"");
    }
    let t = disk_target(name, target, components, diags)?;
    Some(crate::scenario::Action::FillDisk {
        target: t,
        free: free?,
    })
}

/// `target` if it is a database with a `disk`; reports it otherwise.
fn disk_target(
    name: &super::reader::Located<String>,
    target: Option<usize>,
    components: &[super::Component],
    diags: &mut Diagnostics,
) -> Option<usize> {
    let t = target?;
    if components[t].serving.db.and_then(|d| d.disk).is_none() {
        diags.error_hint(
            name.span.clone(),
            format!(
                "'{}' applies to a database with a 'disk'; '{}' has none",
                name.value, components[t].id
            ),
            Some("give it e.g. disk = { free = \"10GB\", fill_per_second = \"50MB\" }".into()),
        );
        return None;
    }
    Some(t)
}
