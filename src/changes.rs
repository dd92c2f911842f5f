//! Changes as a failure source: the model's optional `[changes]` section.
//!
//! ```toml
//! [changes]                        # deploys, each one a possible bad release
//! rate = "1/d"                     # deploys per target
//! bad = 0.05                       # share of them that are bad
//! detect = { dist = "lognormal", median = "10m", p95 = "1h" }   # until someone notices
//! rollback = { dist = "lognormal", median = "5m", p95 = "15m" } # until the old version serves
//! effect = "errors"                # errors (share) | slow (factor) | crash
//! share = 0.5                      # errors: the share of the target's calls that fail
//! targets = ["app", { target = "db", rate = "1/w", effect = "crash" }]   # a table overrides keys
//! ```
//!
//! Deploys come as a Poisson stream per target; a bad one takes effect on
//! every instance of its target at once and lasts its detection delay plus
//! its rollback time, and deploys wait while one is being rolled back, so
//! the bad changes of a target alternate with good times: time to the next
//! bad change exponential with rate `rate × bad`, then `detect + rollback`.
//! The state trial ([`crate::availability::trial`]) counts a `crash` as its
//! target down (downtime blamed on the change), the other effects as
//! degraded time; request availability replays each bad change as the
//! drill fault of its effect ([`crate::scenario::Fault`]), blamed on the change.

use crate::model::error::{Diagnostics, suggest};
use crate::model::reader::{Located, TableReader};
use crate::model::{Dist, Model};
use crate::scenario::Fault;
use toml::de::DeValue;

const CHANGE_KEYS: &[&str] = &[
    "rate", "bad", "detect", "rollback", "effect", "share", "factor", "targets",
];
const TARGET_KEYS: &[&str] = &[
    "target", "rate", "bad", "detect", "rollback", "effect", "share", "factor",
];
/// The effects a bad change may have.
pub const EFFECT_NAMES: &[&str] = &["errors", "slow", "crash"];

/// The changes deployed to one component.
#[derive(Clone, Debug)]
pub struct ChangeSource {
    /// The component index.
    pub target: usize,
    /// Deploys per second.
    pub rate: f64,
    /// Share of deploys that are bad, in \[0, 1\].
    pub bad: f64,
    /// Time until a bad change is noticed.
    pub detect: Dist,
    /// Time from then until the previous version serves again.
    pub rollback: Dist,
    /// What a bad change does to its target: `Crash`, `Errors(share)` or `Slow(factor)`.
    pub effect: Fault,
}

impl ChangeSource {
    /// Bad changes per second.
    pub fn bad_rate(&self) -> f64 {
        self.rate * self.bad
    }

    /// The mean time a bad change is in effect \[s\].
    pub fn mean_effect_secs(&self) -> f64 {
        self.detect.mean_secs() + self.rollback.mean_secs()
    }

    /// The share of the time a bad change of this source is in effect
    /// (alternating renewal: bad time over bad plus good time).
    pub fn bad_time_share(&self) -> f64 {
        let on = self.mean_effect_secs() * self.bad_rate();
        on / (1.0 + on)
    }

    /// Words for `resim check` and reports.
    pub fn describe(&self, model: &Model) -> String {
        let effect = match self.effect {
            Fault::Errors(s) => format!("{}% of its calls fail", s * 100.0),
            Fault::Slow(f) => format!("service {f}x slower"),
            _ => "it crashes".to_string(),
        };
        format!(
            "changes to {}: {:.3} deploys/day, {}% bad ({effect}), each in effect {:.1} min on average (detect {:.1} + rollback {:.1}): {:.4}% of the time",
            model.components[self.target].id,
            self.rate * 86_400.0,
            self.bad * 100.0,
            self.mean_effect_secs() / 60.0,
            self.detect.mean_secs() / 60.0,
            self.rollback.mean_secs() / 60.0,
            self.bad_time_share() * 100.0
        )
    }
}

/// One table's settings, each optional (a target's override the section's).
#[derive(Default)]
struct Partial {
    rate: Option<Located<f64>>,
    bad: Option<Located<f64>>,
    detect: Option<Dist>,
    rollback: Option<Dist>,
    effect: Option<Located<String>>,
    share: Option<Located<f64>>,
    factor: Option<Located<f64>>,
}

impl Partial {
    fn read(tr: &mut TableReader, diags: &mut Diagnostics) -> Partial {
        let path = tr.path.clone();
        let fraction = |x: Option<Located<f64>>, key: &str, what: &str, d: &mut Diagnostics| {
            x.filter(|v| {
                let ok = (0.0..=1.0).contains(&v.value);
                if !ok {
                    d.error(
                        v.span.clone(),
                        format!(
                            "'{path}.{key}' must be a fraction in [0, 1] ({what}), found {:?}",
                            v.value
                        ),
                    );
                }
                ok
            })
        };
        let rate = tr.rate("rate", diags).filter(|r| {
            if r.value <= 0.0 {
                diags.error_hint(
                    r.span.clone(),
                    format!("'{path}.rate' must be above zero, found {}", r.value),
                    Some("give e.g. rate = \"1/d\", or remove the target".into()),
                );
            }
            r.value > 0.0
        });
        let bad = tr.f64("bad", diags);
        let bad = fraction(bad, "bad", "the share of deploys that are bad", diags);
        let share = tr.f64("share", diags);
        let share = fraction(share, "share", "the share of calls that fail", diags);
        let factor = tr.f64("factor", diags).filter(|f| {
            let ok = f.value > 0.0 && f.value <= 1e6;
            if !ok {
                diags.error(
                    f.span.clone(),
                    format!(
                        "'{path}.factor' must be a positive number up to 1e6, found {:?}",
                        f.value
                    ),
                );
            }
            ok
        });
        let effect = tr.str("effect", diags).filter(|e| {
            let ok = EFFECT_NAMES.contains(&e.value.as_str());
            if !ok {
                let hint = suggest(&e.value, EFFECT_NAMES.iter().copied())
                    .or_else(|| Some(format!("effects: {}", EFFECT_NAMES.join(", "))));
                diags.error_hint(
                    e.span.clone(),
                    format!("unknown change effect '{}'", e.value),
                    hint,
                );
            }
            ok
        });
        let dist = |tr: &mut TableReader, key: &str, d: &mut Diagnostics| {
            tr.table(key, d).and_then(|sub| Dist::read(sub, d))
        };
        Partial {
            rate,
            bad,
            detect: dist(tr, "detect", diags),
            rollback: dist(tr, "rollback", diags),
            effect,
            share,
            factor,
        }
    }

    /// `self` with the keys it lacks taken from `base`.
    fn over(self, base: &Partial) -> Partial {
        Partial {
            rate: self.rate.or_else(|| base.rate.clone()),
            bad: self.bad.or_else(|| base.bad.clone()),
            detect: self.detect.or_else(|| base.detect.clone()),
            rollback: self.rollback.or_else(|| base.rollback.clone()),
            effect: self.effect.or_else(|| base.effect.clone()),
            share: self.share.or_else(|| base.share.clone()),
            factor: self.factor.or_else(|| base.factor.clone()),
        }
    }

    /// The source for `target`; a missing key is reported at `tr` (the
    /// table that names the target) unless `has` says it was given (and
    /// is wrong, already reported).
    fn complete(
        self,
        target: usize,
        tr: &TableReader,
        has: &dyn Fn(&str) -> bool,
        diags: &mut Diagnostics,
    ) -> Option<ChangeSource> {
        let missing = |key: &str, example: &str, d: &mut Diagnostics| {
            if !has(key) {
                tr.missing(key, d, example);
            }
        };
        if self.rate.is_none() && self.bad.is_some() {
            missing(
                "rate",
                "\"1/d\" (a share of bad changes needs a deploy rate)",
                diags,
            );
        } else if self.rate.is_none() {
            missing("rate", "\"1/d\"", diags);
        }
        if self.bad.is_none() {
            missing("bad", "0.05 (5% of deploys are bad)", diags);
        }
        if self.detect.is_none() {
            missing(
                "detect",
                "{ dist = \"lognormal\", median = \"10m\", p95 = \"1h\" }",
                diags,
            );
        }
        if self.rollback.is_none() {
            missing("rollback", "{ dist = \"constant\", value = \"5m\" }", diags);
        }
        let effect = match self.effect.as_ref().map_or("errors", |e| e.value.as_str()) {
            "crash" => Some(Fault::Crash),
            "slow" => {
                if self.factor.is_none() {
                    missing("factor", "5.0 (service five times slower)", diags);
                }
                self.factor.map(|f| Fault::Slow(f.value))
            }
            _ => {
                if self.share.is_none() {
                    missing("share", "0.5 (half the target's calls fail)", diags);
                }
                self.share.map(|s| Fault::Errors(s.value))
            }
        };
        Some(ChangeSource {
            target,
            rate: self.rate?.value,
            bad: self.bad?.value,
            detect: self.detect?,
            rollback: self.rollback?,
            effect: effect?,
        })
    }
}

/// Reads `[changes]`; targets must name components of `model`.
pub(crate) fn read_changes(
    mut tr: TableReader,
    model: &Model,
    diags: &mut Diagnostics,
) -> Vec<ChangeSource> {
    tr.path = "changes".into();
    let section = Partial::read(&mut tr, diags);
    let mut out = Vec::new();
    let resolve = |id: &Located<String>, d: &mut Diagnostics| {
        let c = model.component_index(&id.value);
        if c.is_none() {
            let hint = suggest(&id.value, model.components.iter().map(|c| c.id.as_str()));
            d.error_hint(
                id.span.clone(),
                format!("[changes] targets '{}', which is not a component", id.value),
                hint,
            );
        }
        c
    };
    let present: Vec<&str> = CHANGE_KEYS.iter().copied().filter(|k| tr.has(k)).collect();
    let section_has = |k: &str| present.contains(&k);
    // A key missing from the section is reported once, not per target.
    let mut reported = false;
    let items = tr.array("targets", diags);
    if items.is_none() && !tr.has("targets") {
        tr.missing("targets", diags, "[\"app\"] (the components deployed to)");
    }
    for v in items.unwrap_or_default() {
        match v.get_ref() {
            DeValue::String(s) => {
                let id = Located {
                    value: s.to_string(),
                    span: v.span(),
                };
                if let Some(c) = resolve(&id, diags) {
                    let own = Partial::default().over(&section);
                    let has = |k: &str| reported || section_has(k);
                    out.extend(own.complete(c, &tr, &has, diags));
                    reported = true;
                }
            }
            DeValue::Table(_) => {
                let Some(mut t) = TableReader::new(v, "changes.targets", diags) else {
                    continue;
                };
                let own = Partial::read(&mut t, diags).over(&section);
                let target = t.str("target", diags);
                if target.is_none() && !t.has("target") {
                    t.missing("target", diags, "\"app\"");
                }
                let given = |k: &str| t.has(k) || section_has(k);
                if let Some(c) = target.and_then(|id| resolve(&id, diags)) {
                    out.extend(own.complete(c, &t, &given, diags));
                }
                t.finish(TARGET_KEYS, diags);
            }
            other => diags.error(
                v.span(),
                format!(
                    "'changes.targets' lists component ids or tables, found {}",
                    other.type_str()
                ),
            ),
        }
    }
    tr.finish(CHANGE_KEYS, diags);
    out
}
