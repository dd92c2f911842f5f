//! Canary releases (issue 13, item 5): the bundled `models/canary.toml`
//! rolls a bad release out by a rolling update, and the same design with an
//! Argo Rollouts canary and analysis, on the same trial seeds.

use crate::util::{drill, reading, repo, request};

/// The canary strategy of the model's header.
const CANARY: &str = r#"
[components.web.canary]
steps = [{ set_weight = 25 }, { pause = "5m" }, { set_weight = 50 }, { pause = "5m" }]
analysis = { interval = "30s", success_rate = 0.95 }
"#;

fn model_text() -> String {
    std::fs::read_to_string(repo().join("models/canary.toml")).expect("bundled model")
}

/// Failed requests per trial.
fn failed(r: &[resim::drill::TrialResult]) -> Vec<u64> {
    r.iter().map(|t| t.offered() - t.succeeded()).collect()
}

/// A release whose pods fail 30 % of their calls: the rolling update makes
/// every pod bad (about 0.3 × 400 req/s for 13 minutes); the canary's first
/// measurement 30 s after its pods serve (2 of 8 pods, a quarter of the
/// calls, success about 70 % < 95 %) aborts it, so its weight never passes
/// 25 % and it fails a small fraction of the rolling update's requests, in
/// every trial of the same seeds.
#[test]
fn a_canary_with_analysis_stops_a_bad_release_early() {
    let text = model_text();
    let (_, rolling) = drill(&text, 2, 11);
    let (model, canary) = drill(&format!("{text}{CANARY}"), 2, 11);
    for w in reading(&model, &canary, "web.canary_weight") {
        let max = w.iter().copied().fold(0.0, f64::max);
        assert_eq!(max, 25.0, "the canary never passed its first step: {w:?}");
        assert_eq!(*w.last().expect("bins"), 0.0, "aborted: {w:?}");
    }
    let (a, b) = (failed(&rolling), failed(&canary));
    for (x, y) in a.iter().zip(&b) {
        // Rolling: about 90 000 failed; canary: a few thousand at most.
        assert!(*x > 50_000, "rolling update {x}");
        assert!(y * 10 < *x, "canary {y} against rolling {x}");
    }
}

/// A release that crashes at every start: the canary's pods never serve, so
/// its analysis has no data; the fifth error in a row (> 4) aborts it,
/// about 2.5 minutes after the apply.
#[test]
fn a_canary_that_never_serves_is_aborted_after_five_errors() {
    let model = resim::model::Model::parse(&format!("{}{CANARY}", model_text()), "t.toml")
        .expect("valid model");
    let sc = model
        .scenarios
        .iter()
        .find(|s| s.name == "crash-at-start")
        .expect("scenario");
    let r = resim::drill::run_scenario(&model, sc, &request(1, 3), &|_| {}).expect("runs");
    let w = &reading(&model, &r, "web.canary_weight")[0];
    // Bins of 10 s from the end of the warm-up; the apply is at 2 min
    // (bin 12). Measurements at 2:30, 3:00, ..., 4:30: aborted by 4:40.
    assert_eq!(w[13], 25.0, "{w:?}");
    assert_eq!(w[28], 0.0, "{w:?}");
    assert!(w[20..25].iter().all(|&x| x == 25.0), "{w:?}");
}
