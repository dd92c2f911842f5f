//! Reading a cache's persistence: `persistence = { save = "3600 1 300 100
//! 60 10000", appendonly = true, appendfsync = "everysec", fork_ms_per_gb =
//! 10, dump_rate = "200MB/s", load_rate = "68MB/s", transparent_huge_pages
//! = false, memory_limit = "2gb" }`, the redis.conf names where Redis has
//! them (domain reference §23). Any other key is refused with a hint.

use super::error::Diagnostics;
use super::read::read_kind;
use super::reader::{Located, TableReader};
use crate::engine::SimTime;
use crate::redis::persistence::{AppendFsync, GB, Persistence, SavePoint};

const PERSISTENCE_KEYS: &[&str] = &[
    "save",
    "appendonly",
    "appendfsync",
    "fork_ms_per_gb",
    "dump_rate",
    "load_rate",
    "transparent_huge_pages",
    "memory_limit",
];

/// The `persistence` table of a cache with a key space.
pub(super) fn read_persistence(
    mut pt: TableReader,
    name: &str,
    defaults: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Option<Persistence> {
    let before = diags.len();
    let mut unset = Vec::new();
    let save = match pt.str("save", diags) {
        Some(s) => parse_save(&s, &pt.path, diags).unwrap_or_default(),
        None => {
            if !pt.has("save") {
                unset.push("save = \"3600 1 300 100 60 10000\" (redis.conf)");
            }
            Persistence::default_save()
        }
    };
    let appendonly = pt.bool("appendonly", diags).is_some_and(|b| b.value);
    let fsync = read_kind(
        &mut pt,
        "appendfsync",
        AppendFsync::NAMES,
        AppendFsync::from_name,
        diags,
    );
    if fsync.is_some() && !appendonly {
        diags.error_hint(
            pt.span_of("appendfsync"),
            format!("'{}.appendfsync' needs appendonly = true", pt.path),
            Some("redis.conf: appendonly no ignores appendfsync".into()),
        );
    }
    let fork_ms_per_gb = match pt.f64("fork_ms_per_gb", diags) {
        Some(f) if f.value.is_finite() && f.value >= 0.0 && f.value <= 10_000.0 => f.value,
        Some(f) => {
            diags.error(
                f.span,
                format!("'{}.fork_ms_per_gb' must be between 0 and 10000", pt.path),
            );
            10.0
        }
        None => {
            unset.push("fork_ms_per_gb = 10 (Redis latency docs: newer EC2 VMs)");
            10.0
        }
    };
    let dump_rate = byte_rate(&mut pt, "dump_rate", diags).unwrap_or(200.0 * (1 << 20) as f64);
    let load_rate = byte_rate(&mut pt, "load_rate", diags).unwrap_or_else(|| {
        unset.push("load_rate = 15 s per GB (RDB, Redis persistence docs)");
        GB / 15.0
    });
    let huge_pages = pt
        .bool("transparent_huge_pages", diags)
        .is_some_and(|b| b.value);
    let memory_limit = pt.bytes("memory_limit", diags).map(|b| b.value);
    pt.finish(PERSISTENCE_KEYS, diags);
    if !unset.is_empty() {
        defaults.push(format!(
            "component '{name}' persistence (redis defaults): {}",
            unset.join(", ")
        ));
    }
    (diags.len() == before).then_some(Persistence {
        save,
        aof: appendonly.then(|| fsync.unwrap_or(AppendFsync::EverySec)),
        fork_ms_per_gb,
        dump_rate,
        load_rate,
        huge_pages,
        memory_limit,
    })
}

/// A positive byte rate such as `"200MB/s"`.
fn byte_rate(pt: &mut TableReader, key: &str, diags: &mut Diagnostics) -> Option<f64> {
    let s = pt.str(key, diags)?;
    match crate::model::k8s_spec::parse_leak(&s.value) {
        Ok(r) if r > 0.0 && r.is_finite() => Some(r),
        Ok(_) => {
            diags.error(s.span, format!("'{}.{key}' must be above zero", pt.path));
            None
        }
        Err(e) => {
            diags.error(s.span, format!("'{}.{key}': {e}", pt.path));
            None
        }
    }
}

/// redis.conf's `save` line: pairs of seconds and changes, or `""` (off).
fn parse_save(s: &Located<String>, path: &str, diags: &mut Diagnostics) -> Option<Vec<SavePoint>> {
    let nums: Result<Vec<u64>, _> = s.value.split_whitespace().map(str::parse::<u64>).collect();
    match nums {
        Ok(n) if n.len() % 2 == 0 && n.chunks(2).all(|p| p[0] > 0) => Some(
            n.chunks(2)
                .map(|p| SavePoint {
                    after: SimTime(p[0].min(u64::MAX / SimTime::SECOND.0) * SimTime::SECOND.0),
                    changes: p[1],
                })
                .collect(),
        ),
        _ => {
            diags.error_hint(
                s.span.clone(),
                format!(
                    "'{path}.save' is '<seconds> <changes>' pairs, found '{}'",
                    s.value
                ),
                Some("as redis.conf: \"3600 1 300 100 60 10000\", or \"\" for no RDB".into()),
            );
            None
        }
    }
}
