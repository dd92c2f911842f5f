//! A canary strategy in Argo Rollouts' terms: steps of `setWeight` and
//! `pause`, and a background analysis of the canary's success rate that
//! aborts the rollout (domain.md §22).

use super::{POSITIVE_TIME, read_count, read_duration, secs};
use crate::engine::SimTime;
use crate::model::error::Diagnostics;
use crate::model::reader::TableReader;

/// One step of a canary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CanaryStep {
    /// Send this share of the traffic to the canary [%]; without traffic
    /// routing, as the nearest replica split (Argo's basic canary).
    SetWeight(u32),
    /// Wait this long before the next step.
    Pause(SimTime),
}

/// The analysis run beside the steps: one measurement every `interval`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnalysisSpec {
    /// Time between measurements (Flagger's default 1 m).
    pub interval: SimTime,
    /// Success condition: the canary's share of successful calls over the
    /// interval is at least this.
    pub success_rate: f64,
    /// The run fails when failed measurements exceed this (Argo
    /// `failureLimit`, default 0).
    pub failure_limit: u32,
    /// ... or when consecutive errors (no data) exceed this (Argo
    /// `consecutiveErrorLimit`, default 4).
    pub consecutive_error_limit: u32,
}

/// A `canary` table on a `pods` component: `apply` rolls the new revision
/// out by these steps instead of a rolling update.
#[derive(Clone, Debug, PartialEq)]
pub struct CanarySpec {
    /// The steps, in order; after the last the canary is promoted.
    pub steps: Vec<CanaryStep>,
    /// The analysis, if any.
    pub analysis: Option<AnalysisSpec>,
}

impl CanarySpec {
    /// Keys of a canary table.
    pub const KNOWN_KEYS: &'static [&'static str] = &["steps", "analysis"];
    const ANALYSIS_KEYS: &'static [&'static str] = &[
        "interval",
        "success_rate",
        "failure_limit",
        "consecutive_error_limit",
    ];

    /// Reads `{ steps = [{ set_weight = 20 }, { pause = "2m" }], analysis =
    /// { interval = "30s", success_rate = 0.99 } }`.
    pub fn read(mut tr: TableReader, diags: &mut Diagnostics) -> Option<Self> {
        let before = diags.len();
        let mut steps = Vec::new();
        match tr.array("steps", diags) {
            Some(items) => {
                let path = format!("{}.steps", tr.path);
                for v in items {
                    let Some(mut st) = TableReader::new(v, &path, diags) else {
                        continue;
                    };
                    if st.has("set_weight") {
                        if let Some(w) = st.u32("set_weight", diags) {
                            if w.value > 100 {
                                diags.error(
                                    w.span,
                                    format!("'{path}.set_weight' must be from 0 to 100"),
                                );
                            }
                            steps.push(CanaryStep::SetWeight(w.value.min(100)));
                        }
                    } else if st.has("pause") {
                        let mut d = SimTime::ZERO;
                        read_duration(&mut st, "pause", POSITIVE_TIME, &mut d, diags);
                        steps.push(CanaryStep::Pause(d));
                    } else {
                        diags.error_hint(
                            v.span(),
                            format!("a step of '{path}' needs set_weight or pause"),
                            Some("write { set_weight = 20 } or { pause = \"2m\" }".into()),
                        );
                    }
                    st.finish(&["set_weight", "pause"], diags);
                }
            }
            None if !tr.has("steps") => {
                tr.missing("steps", diags, "[{ set_weight = 20 }, { pause = \"2m\" }]")
            }
            None => {}
        }
        let analysis = tr.table("analysis", diags).and_then(|mut a| {
            let b = diags.len();
            let mut s = AnalysisSpec {
                interval: secs(60),
                success_rate: 0.0,
                failure_limit: 0,
                consecutive_error_limit: 4,
            };
            read_duration(&mut a, "interval", POSITIVE_TIME, &mut s.interval, diags);
            match a.f64("success_rate", diags) {
                Some(r) if (0.0..=1.0).contains(&r.value) => s.success_rate = r.value,
                Some(r) => diags.error(
                    r.span,
                    format!("'{}.success_rate' must be from 0 to 1", a.path),
                ),
                None if !a.has("success_rate") => a.missing("success_rate", diags, "0.99"),
                None => {}
            }
            read_count(
                &mut a,
                "failure_limit",
                (0, 1000),
                &mut s.failure_limit,
                diags,
            );
            read_count(
                &mut a,
                "consecutive_error_limit",
                (0, 1000),
                &mut s.consecutive_error_limit,
                diags,
            );
            a.finish(Self::ANALYSIS_KEYS, diags);
            (diags.len() == b).then_some(s)
        });
        tr.finish(Self::KNOWN_KEYS, diags);
        (diags.len() == before).then_some(CanarySpec { steps, analysis })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::parse_with;
    use super::*;

    #[test]
    fn steps_and_analysis_read_with_argo_defaults() {
        let (c, e) = parse_with(
            r#"d = { steps = [{ set_weight = 25 }, { pause = "1m" }], analysis = { success_rate = 0.99 } }"#,
            CanarySpec::read,
        );
        assert_eq!(e, "");
        let c = c.unwrap();
        assert_eq!(
            c.steps,
            [CanaryStep::SetWeight(25), CanaryStep::Pause(secs(60))]
        );
        let a = c.analysis.unwrap();
        assert_eq!((a.failure_limit, a.consecutive_error_limit), (0, 4));
        let (_, e) = parse_with(
            r#"d = { steps = [{ set_weight = 120 }, { wait = "1m" }] }"#,
            CanarySpec::read,
        );
        assert!(e.contains("must be from 0 to 100"), "{e}");
        assert!(e.contains("needs set_weight or pause"), "{e}");
    }
}
