//! The load balancer's own mechanisms in a drill: its rate limit (a token
//! bucket per instance, 429 beyond it) and passive outlier ejection (each
//! instance keeps its own detector per backend cluster, as every Envoy
//! does; domain.md §12). Which backends a balancer may pick combines the
//! active health checks (`sim.rs`), the ejections here and the algorithm
//! (`calls.rs::route`).

use super::readings::ReadingDef;
use super::sim::DrillTrial;
use crate::behaviours::TokenBucket;
use crate::engine::SimTime;
use crate::lb::outlier::OutlierDetector;
use crate::lb::rate_limit;
use crate::model::{Component, Model};

/// A load balancer's rate limits and outlier detectors.
#[derive(Clone, Debug)]
pub(super) struct Balancer {
    /// Per balancer instance, when a rate limit is set.
    buckets: Vec<TokenBucket>,
    /// Per backend cluster (component index): per balancer instance, a detector.
    outliers: Vec<(u16, Vec<OutlierDetector>)>,
}

impl Balancer {
    /// The state of component `c`, when it is a balancer with a rate limit
    /// or outlier ejection.
    pub(super) fn of(model: &Model, c: &Component) -> Option<Box<Balancer>> {
        let s = &c.serving;
        if s.rate_limit.is_none() && s.outlier.is_none() {
            return None;
        }
        let n = c.instances as usize;
        let buckets = s
            .rate_limit
            .as_ref()
            .map_or_else(Vec::new, |r| vec![rate_limit::bucket(r, SimTime::ZERO); n]);
        let outliers = s.outlier.as_ref().map_or_else(Vec::new, |o| {
            c.depends_on
                .iter()
                .chain(&c.soft_depends_on)
                .map(|&b| {
                    let backends = model.components[b].instances as usize;
                    let d = OutlierDetector::new(*o, backends, SimTime::ZERO);
                    (b as u16, vec![d; n])
                })
                .collect()
        });
        Some(Box::new(Balancer { buckets, outliers }))
    }

    /// Takes a token for a request reaching instance `inst` at `now`; false
    /// means the request is answered 429.
    pub(super) fn admit(&mut self, inst: usize, now: SimTime) -> bool {
        self.buckets.get_mut(inst).is_none_or(|b| b.try_take(now))
    }

    /// Instance `inst`'s detector for backend cluster `dep`, brought up to
    /// `now` and to `backends` hosts.
    pub(super) fn detector(
        &mut self,
        inst: usize,
        dep: u16,
        backends: usize,
        now: SimTime,
    ) -> Option<&mut OutlierDetector> {
        let (_, per_inst) = self.outliers.iter_mut().find(|(d, _)| *d == dep)?;
        let d = per_inst.get_mut(inst)?;
        d.resize(backends);
        d.advance(now);
        Some(d)
    }

    /// Records a backend's answer (`ok`: not a 5xx, reset or timeout) seen
    /// by instance `inst`.
    pub(super) fn observe(
        &mut self,
        inst: usize,
        dep: u16,
        backend: usize,
        backends: usize,
        ok: bool,
        now: SimTime,
    ) {
        if let Some(d) = self.detector(inst, dep, backends, now)
            && backend < backends
        {
            d.record(now, backend, ok);
        }
    }

    /// Backends of cluster `dep` ejected at `now`, averaged over balancer
    /// instances (each keeps its own view).
    pub(super) fn ejected(&mut self, dep: u16, now: SimTime) -> f64 {
        let Some((_, per_inst)) = self.outliers.iter_mut().find(|(d, _)| *d == dep) else {
            return f64::NAN;
        };
        let n = per_inst.len().max(1) as f64;
        per_inst
            .iter_mut()
            .map(|d| {
                d.advance(now);
                d.ejected_count() as f64
            })
            .sum::<f64>()
            / n
    }
}

/// The backends each balancer with health checks or outlier ejection keeps
/// in rotation (chart `<backend>-endpoints`).
pub(super) fn reading_defs(model: &Model, defs: &mut Vec<ReadingDef>) {
    for c in &model.components {
        let s = &c.serving;
        for &b in c.depends_on.iter().chain(&c.soft_depends_on) {
            let backend = &model.components[b].id;
            if s.health_check.is_some() {
                let label = format!("UP at {}'s health checks", c.id);
                defs.push(ReadingDef::new(
                    backend,
                    "lb_up",
                    "endpoints",
                    &label,
                    "instances",
                ));
            }
            if s.outlier.is_some() {
                let label = format!("ejected by {}'s outlier detection", c.id);
                defs.push(ReadingDef::new(
                    backend,
                    "ejected",
                    "endpoints",
                    &label,
                    "instances",
                ));
            }
        }
    }
}

impl DrillTrial<'_> {
    /// The values of [`reading_defs`], in its order.
    pub(super) fn balancer_readings(&mut self, now: SimTime, out: &mut Vec<f64>) {
        let model = self.model;
        for (ci, c) in model.components.iter().enumerate() {
            for &b in c.depends_on.iter().chain(&c.soft_depends_on) {
                if c.serving.health_check.is_some() {
                    let comp = &self.comps[b];
                    out.push(comp.lb_health.as_ref().map_or(f64::NAN, |h| {
                        let active = &h[..(comp.active as usize).min(h.len())];
                        active.iter().filter(|h| h.is_up()).count() as f64
                    }));
                }
                if c.serving.outlier.is_some() {
                    let bal = self.comps[ci].balancer.as_mut();
                    out.push(bal.map_or(f64::NAN, |x| x.ejected(b as u16, now)));
                }
            }
        }
    }
}
