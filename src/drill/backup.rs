//! Database backups in the drill (`model::backup_spec` holds the rules): a
//! `lose_data` action destroys a database's data, the database is restored
//! from its last base backup plus the archived WAL, and each restore's RPO
//! (data lost) and RTO (time to service) go into the trial's result.
//!
//! The schedule runs in steady state: each trial draws how old the last
//! base backup is (uniform over `base_every`) and how far the archive
//! trails (uniform over one archiving period), from the database's own
//! stream. A lost disk takes every instance down at once and loses the
//! writes since the last archived segment; a bad write is restored to just
//! before it, so every write acknowledged after it is lost, and the
//! database serves (bad data) until the restore starts. The restore
//! downloads the base backup and replays the WAL since it; the database is
//! down meanwhile, which the success ratio counts.

use std::collections::VecDeque;

use rand::RngExt;
use serde::Serialize;

use super::sim::{DrillTrial, Ev};
use crate::engine::SimTime;
use crate::engine::rng::{Purpose, SimRng, named_key, stream};
use crate::model::Model;
use crate::model::backup_spec::{BackupSpec, DataLoss};

/// One restore of one trial.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct RestoreRecord {
    /// The database.
    pub component: String,
    /// `disk` or `bad_write`.
    pub cause: String,
    /// When the data was lost, after the warm-up \[s\].
    pub at_s: f64,
    /// Recovery point: the span of acknowledged writes lost \[s\].
    pub rpo_s: f64,
    /// Acknowledged writes lost.
    pub lost_writes: u64,
    /// The restore itself: base backup download plus WAL replay \[s\].
    pub restore_s: f64,
    /// Recovery time: from the loss until the database serves again \[s\].
    pub rto_s: f64,
}

/// One database with backups.
struct BackupState {
    comp: usize,
    spec: BackupSpec,
    rng: SimRng,
    /// Acknowledged writes over the last archiving period (and since a bad write).
    writes: VecDeque<SimTime>,
    /// A bad write waiting for its restore: (when, writes acknowledged since).
    bad: Option<(SimTime, u64)>,
    /// The restore under way: (loss time, RPO, lost writes, restore time).
    pending: Option<(SimTime, SimTime, u64, SimTime, DataLoss)>,
}

/// The backup state of a trial.
pub(super) struct Backups {
    states: Vec<BackupState>,
    pub(super) records: Vec<RestoreRecord>,
}

/// The databases of `model` with backups.
pub(super) fn backups(model: &Model, seed: u64) -> Backups {
    Backups {
        states: model
            .components
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let spec = c.serving.db.as_ref()?.backup?;
                Some(BackupState {
                    comp: i,
                    spec,
                    rng: stream(
                        seed,
                        named_key(&format!("{}.backup", c.id), 0),
                        Purpose::Misc,
                    ),
                    writes: VecDeque::new(),
                    bad: None,
                    pending: None,
                })
            })
            .collect(),
        records: Vec::new(),
    }
}

impl DrillTrial<'_> {
    fn backup_of(&mut self, comp: usize) -> Option<&mut BackupState> {
        self.backups.states.iter_mut().find(|b| b.comp == comp)
    }

    /// Database `comp` acknowledged a write at `now`.
    pub(super) fn backup_write(&mut self, comp: usize, now: SimTime) {
        let Some(b) = self.backup_of(comp) else {
            return;
        };
        let keep = b.spec.archive_every();
        b.writes.push_back(now);
        while b.writes.front().is_some_and(|&t| t + keep < now) {
            b.writes.pop_front();
        }
        if let Some((_, n)) = b.bad.as_mut() {
            *n += 1;
        }
    }

    /// `lose_data` on `comp`: the loss now, the restore after `restore_after`.
    pub(super) fn lose_data(
        &mut self,
        comp: usize,
        cause: DataLoss,
        restore_after: SimTime,
        now: SimTime,
    ) {
        let Some(b) = self.backup_of(comp) else {
            return;
        };
        let base_age_u: f64 = b.rng.random();
        let lag_u: f64 = b.rng.random();
        let base_age = SimTime::from_secs_f64(b.spec.base_every.as_secs_f64() * base_age_u);
        match cause {
            DataLoss::Disk => {
                let rpo = b.spec.disk_rpo(lag_u);
                let lost = b.writes.iter().filter(|&&t| t + rpo >= now).count() as u64;
                let restore = b.spec.restore_time(base_age);
                b.pending = Some((now, rpo, lost, restore, cause));
                self.take_down(comp, now);
            }
            DataLoss::BadWrite => {
                // Restored to just before the bad write: the base backup is
                // older than it by `base_age`.
                let restore = b.spec.restore_time(base_age);
                b.bad = Some((now, 0));
                b.pending = Some((now, SimTime::ZERO, 0, restore, cause));
            }
        }
        self.queue.schedule(
            now + restore_after,
            Ev::Restore {
                comp: comp as u16,
                done: false,
            },
        );
    }

    fn take_down(&mut self, comp: usize, now: SimTime) {
        for inst in 0..self.comps[comp].active as usize {
            if self.comps[comp].insts[inst].up {
                self.fail_instance_calls(comp, inst, now);
                self.comps[comp].insts[inst].up = false;
            }
        }
        self.comps[comp].recount_up();
    }

    /// The restore of `comp` starts (`done` false) or ends.
    pub(super) fn on_restore(&mut self, comp: usize, done: bool, now: SimTime) {
        if !done {
            let Some(b) = self.backup_of(comp) else {
                return;
            };
            let Some(p) = b.pending.as_mut() else { return };
            if let Some((at, n)) = b.bad.take() {
                p.1 = now - at;
                p.2 = n;
            }
            let restore = p.3;
            self.take_down(comp, now);
            self.queue.schedule(
                now + restore,
                Ev::Restore {
                    comp: comp as u16,
                    done: true,
                },
            );
            return;
        }
        let start = self.start;
        let id = self.model.components[comp].id.clone();
        let Some(b) = self.backup_of(comp) else {
            return;
        };
        let Some((at, rpo, lost, restore, cause)) = b.pending.take() else {
            return;
        };
        b.writes.clear();
        self.backups.records.push(RestoreRecord {
            component: id,
            cause: cause.name().to_string(),
            at_s: at.as_secs_f64() - start.as_secs_f64(),
            rpo_s: rpo.as_secs_f64(),
            lost_writes: lost,
            restore_s: restore.as_secs_f64(),
            rto_s: (now - at).as_secs_f64(),
        });
        self.touch(comp, now);
        let c = &mut self.comps[comp];
        for x in &mut c.insts {
            x.up = true;
        }
        c.recount_up();
    }
}
