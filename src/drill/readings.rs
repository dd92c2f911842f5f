//! Readings: the named per-bin series a mechanism exposes to the on-call
//! (pods by state, restarts, memory against the limit, cache hit ratio,
//! evictions per second, pool waits, DNS failures...), and the text
//! snapshots (`kubectl get pods`, `redis-cli info`, `dig`) that `resim run
//! --at 12m` prints for one trial.
//!
//! A mechanism takes part in two places, kept side by side below so their
//! order cannot drift apart: [`reading_defs`] lists its series once per
//! model, and `DrillTrial::sample_readings` appends one value per series at
//! the end of every bin, in the same order. A mechanism decides what a value
//! is (a level at the bin's end, or a count over the bin divided by its
//! width); its [`ReadingDef::unit`] says which.

use std::fmt::Write as _;

use serde::Serialize;

use super::sim::DrillTrial;
use crate::engine::SimTime;
use crate::model::Model;

/// One named series of readings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReadingDef {
    /// Unique name, `component.what` (a CSV column and a JSON key).
    pub name: String,
    /// The chart it is drawn on: series with the same chart share axes
    /// (one chart per scenario and chart name, e.g. `app-pods`).
    pub chart: String,
    /// The legend label inside its chart.
    pub label: String,
    /// The unit of its values, for the chart's y axis.
    pub unit: String,
}

impl ReadingDef {
    /// A series named `component.what`, drawn on chart `component-chart`.
    pub fn new(component: &str, what: &str, chart: &str, label: &str, unit: &str) -> ReadingDef {
        ReadingDef {
            name: format!("{component}.{what}"),
            chart: format!("{component}-{chart}"),
            label: label.to_string(),
            unit: unit.to_string(),
        }
    }
}

/// The readings every trial of `model` records, in sampling order.
pub fn reading_defs(model: &Model) -> Vec<ReadingDef> {
    let mut defs = Vec::new();
    // Each mechanism appends its definitions here, in the same order as
    // `sample_readings` appends values.
    super::balancer::reading_defs(model, &mut defs);
    super::edges::reading_defs(model, &mut defs);
    super::pods::pod_reading_defs(model, &mut defs);
    super::pods::cpu_reading_defs(model, &mut defs);
    super::pods::canary_reading_defs(model, &mut defs);
    super::cache::cache_reading_defs(model, &mut defs);
    super::stampede::reading_defs(model, &mut defs);
    super::persistence::reading_defs(model, &mut defs);
    super::slow_commands::reading_defs(model, &mut defs);
    super::dns::reading_defs(model, &mut defs);
    super::db::reading_defs(model, &mut defs);
    defs
}

/// A text snapshot of one trial's state at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// Time since the warm-up ended \[s\].
    pub at_s: f64,
    /// What the on-call's tools would print then.
    pub text: String,
}

impl DrillTrial<'_> {
    /// Appends this bin's value of every reading, in [`reading_defs`] order.
    pub(super) fn sample_readings(&mut self, now: SimTime, out: &mut Vec<f64>) {
        self.balancer_readings(now, out);
        let bin = self.readings.len();
        let width = now - (self.start + SimTime(self.bin.0 * bin as u64));
        self.edge_readings(now, bin, width, out);
        self.sample_pod_readings(now, out);
        self.sample_cpu_readings(now, out);
        self.sample_canary_readings(out);
        self.sample_cache_readings(now, out);
        self.sample_stampede(now, out);
        self.sample_persistence(now, out);
        self.sample_busy(out);
        self.sample_dns(now, out);
        self.sample_db(now, out);
    }

    /// What the on-call's tools would print at `now`.
    pub(super) fn snapshot_text(&self, now: SimTime) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "--- at {} after the warm-up ---",
            crate::engine::SimTime(now.0.saturating_sub(self.start.0))
        );
        let _ = writeln!(
            s,
            "{:<16} {:>9} {:>6} {:>7}",
            "COMPONENT", "UP", "BUSY", "QUEUED"
        );
        for (c, comp) in self.model.components.iter().zip(&self.comps) {
            let _ = writeln!(
                s,
                "{:<16} {:>9} {:>6} {:>7}",
                c.id,
                format!("{}/{}", comp.up, comp.active),
                comp.busy_total,
                comp.queued_total
            );
        }
        let nodes = self
            .model
            .cluster
            .is_some()
            .then_some(self.cluster.names.as_slice());
        for (c, comp) in self.model.components.iter().zip(&self.comps) {
            super::pods::pod_snapshot(&c.id, comp, nodes, now, &mut s);
        }
        self.describe_pods(now, &mut s);
        self.cache_snapshot(&mut s);
        self.persistence_snapshot(now, &mut s);
        self.busy_snapshot(now, &mut s);
        self.dns_snapshot(now, &mut s);
        self.db_snapshot(now, &mut s);
        self.alert_snapshot(now, &mut s);
        s
    }
}
