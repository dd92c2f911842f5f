//! Redis persistence as it costs a node (domain reference §23): RDB
//! snapshots by `BGSAVE` after the `save` points, the fork that stalls the
//! single thread, the copy-on-write memory of the dump, the append-only
//! file, and the reload at restart. Pure rules; the drill applies them in
//! `drill/persistence.rs`.
//!
//! Figures, and where they come from:
//! - The fork runs in the main thread and copies the page tables, so it
//!   stalls every client for a time in proportion to the RSS. Redis's
//!   latency page ("Redis latency problems troubleshooting", section "Fork
//!   time in different systems", redis-doc `topics/latency.md`) measured
//!   12.8 ms per GB on a VMware VM, 13.1 and 9 ms/GB on physical machines,
//!   23.3 ms/GB on KVM, 10 ms/GB on newer EC2 (HVM) instances, 239 ms/GB on
//!   old EC2 Xen and 424 ms/GB on Linode Xen; the default here is 10 ms/GB
//!   (a current cloud VM, transparent huge pages off).
//! - Copy-on-write: a page the parent writes during the dump is copied, 4
//!   KiB at a time, or 2 MiB with transparent huge pages (redis-doc
//!   `latency.md`, "Latency induced by transparent huge pages").
//! - A restart loads the data before it answers (`-LOADING` meanwhile):
//!   about 10-20 s per GB for an RDB file (antirez, "Redis persistence
//!   demystified", 2012; unverified for current versions); the default is
//!   15 s per GiB. An AOF with the RDB preamble (`aof-use-rdb-preamble yes`,
//!   the default since Redis 5) loads at the same speed.
//! - `appendfsync everysec` loses up to about 1 s of writes at a crash (2 s
//!   when the disk stalls; src/aof.c); `always` none; `no` up to the
//!   kernel's 30 s.

use crate::engine::SimTime;

/// One `save <seconds> <changes>` point: `BGSAVE` once `changes` writes
/// happened and `after` has passed since the last save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavePoint {
    /// The time since the last successful save.
    pub after: SimTime,
    /// Writes since then.
    pub changes: u64,
}

/// `appendfsync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendFsync {
    /// fsync after every write.
    Always,
    /// fsync once a second in a background thread (the default).
    EverySec,
    /// Leave it to the kernel.
    No,
}

impl AppendFsync {
    /// Names accepted in model files (redis.conf's).
    pub const NAMES: &'static [&'static str] = &["always", "everysec", "no"];

    /// Parses a name.
    pub fn from_name(name: &str) -> Option<AppendFsync> {
        match name {
            "always" => Some(AppendFsync::Always),
            "everysec" => Some(AppendFsync::EverySec),
            "no" => Some(AppendFsync::No),
            _ => None,
        }
    }

    /// The acknowledged writes a crash may lose, at most.
    pub fn loss_window(self) -> SimTime {
        match self {
            AppendFsync::Always => SimTime::ZERO,
            AppendFsync::EverySec => SimTime(2 * SimTime::SECOND.0),
            AppendFsync::No => SimTime(30 * SimTime::SECOND.0),
        }
    }
}

/// Bytes in the "GB" of the fork and load figures.
pub const GB: f64 = (1u64 << 30) as f64;

/// A cache node's persistence (`persistence = { ... }` on the cache).
#[derive(Clone, Debug, PartialEq)]
pub struct Persistence {
    /// RDB save points (`save ""`: none, RDB off).
    pub save: Vec<SavePoint>,
    /// `appendonly yes` with its `appendfsync`, or `None` (`appendonly no`).
    pub aof: Option<AppendFsync>,
    /// Fork time per GB of RSS \[ms\].
    pub fork_ms_per_gb: f64,
    /// How fast the child writes the dump \[bytes/s\].
    pub dump_rate: f64,
    /// How fast a restart loads the data \[bytes/s\].
    pub load_rate: f64,
    /// Transparent huge pages on: copy-on-write copies 2 MiB per page written.
    pub huge_pages: bool,
    /// The node's memory limit (the VM's RAM or the container's limit)
    /// \[bytes\]: RSS above it gets the process killed (the OOM killer).
    pub memory_limit: Option<u64>,
}

impl Persistence {
    /// redis.conf's save points when `save` is not set: `3600 1 300 100 60 10000`.
    pub fn default_save() -> Vec<SavePoint> {
        [(3600, 1), (300, 100), (60, 10_000)]
            .into_iter()
            .map(|(s, c)| SavePoint {
                after: SimTime(s * SimTime::SECOND.0),
                changes: c,
            })
            .collect()
    }

    /// Whether a restart finds data to load.
    pub fn keeps_data(&self) -> bool {
        !self.save.is_empty() || self.aof.is_some()
    }

    /// The main thread's stall while forking a process of `rss` bytes.
    pub fn fork_stall(&self, rss: u64) -> SimTime {
        SimTime::from_secs_f64(self.fork_ms_per_gb * 1e-3 * rss as f64 / GB)
    }

    /// How long the child takes to write a dump of `bytes`.
    pub fn dump_time(&self, bytes: u64) -> SimTime {
        SimTime::from_secs_f64(bytes as f64 / self.dump_rate)
    }

    /// How long a restart loads `bytes` of data before it answers.
    pub fn load_time(&self, bytes: u64) -> SimTime {
        SimTime::from_secs_f64(bytes as f64 / self.load_rate)
    }

    /// The bytes copied on write after `writes` writes during a dump of a
    /// dataset of `used` bytes (each write touches a fresh page, at most
    /// every page once).
    pub fn cow_bytes(&self, writes: u64, used: u64) -> u64 {
        let page: u64 = if self.huge_pages { 2 << 20 } else { 4 << 10 };
        writes.saturating_mul(page).min(used)
    }

    /// Whether a save point is reached `since` the last save with `changes` writes.
    pub fn save_due(&self, since: SimTime, changes: u64) -> bool {
        self.save
            .iter()
            .any(|p| since >= p.after && changes >= p.changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> Persistence {
        Persistence {
            save: Persistence::default_save(),
            aof: None,
            fork_ms_per_gb: 10.0,
            dump_rate: 200.0 * (1 << 20) as f64,
            load_rate: GB / 15.0,
            huge_pages: false,
            memory_limit: None,
        }
    }

    #[test]
    fn fork_and_load_scale_with_the_dataset() {
        let gb = 1u64 << 30;
        let p = p();
        assert_eq!(p.fork_stall(gb), SimTime(10 * SimTime::MILLISECOND.0));
        assert_eq!(p.fork_stall(4 * gb), SimTime(40 * SimTime::MILLISECOND.0));
        assert_eq!(p.load_time(gb), SimTime(15 * SimTime::SECOND.0));
        assert_eq!(p.load_time(2 * gb), SimTime(30 * SimTime::SECOND.0));
        let xen = Persistence {
            fork_ms_per_gb: 239.3,
            ..p.clone()
        };
        assert!((xen.fork_stall(6 * gb).as_secs_f64() - 1.436).abs() < 1e-6);
    }

    #[test]
    fn save_points_and_copy_on_write() {
        let p = p();
        let s = |x: u64| SimTime(x * SimTime::SECOND.0);
        assert!(!p.save_due(s(59), 1_000_000));
        assert!(p.save_due(s(60), 10_000));
        assert!(!p.save_due(s(299), 9_999));
        assert!(p.save_due(s(300), 100));
        assert!(p.save_due(s(3600), 1));
        assert!(!p.save_due(s(7200), 0));
        assert_eq!(p.cow_bytes(10, 1 << 30), 40 << 10);
        let thp = Persistence {
            huge_pages: true,
            ..p
        };
        assert_eq!(thp.cow_bytes(10, 1 << 30), 20 << 20);
        assert_eq!(thp.cow_bytes(1000, 1 << 30), 1 << 30);
    }
}
