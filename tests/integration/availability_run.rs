//! Run-level behaviour of `resim availability`: the precision stopping rule
//! and the warning on too few outages.

use resim::availability::{AvailabilityRequest, run};
use resim::engine::SimTime;
use resim::model::Model;

const TWO_OF_THREE: &str = r#"
[components.app]
instances = 3
min_up = 2
failure = { dist = "exponential", mean = "10d" }
repair = { dist = "exponential", mean = "4h" }
"#;

#[test]
fn precision_runs_whole_batches_until_the_interval_is_tight_enough() {
    let model = Model::parse(TWO_OF_THREE, "t.toml").expect("valid");
    let req = |threads| AvailabilityRequest {
        trials: 200,
        batch: 200,
        precision: Some(0.05),
        max_trials: 100_000,
        horizon: SimTime(30 * SimTime::DAY.0),
        seed: 3,
        threads,
        ..Default::default()
    };
    let a = run(&model, &req(1), |_, _| {}).expect("runs");
    let s = &a.summary;
    let p = s.precision.as_ref().expect("precision reported");
    assert!(p.met && p.achieved <= 0.05, "{p:?}");
    assert_eq!(s.trials % 200, 0, "whole batches only: {}", s.trials);
    assert!(
        s.trials > 200,
        "one batch cannot reach 5% here: {}",
        s.trials
    );
    // One batch fewer would not have met the target: the rule stopped at the first batch that did.
    let fewer = AvailabilityRequest {
        precision: None,
        trials: s.trials - 200,
        ..req(2)
    };
    let b = run(&model, &fewer, |_, _| {}).expect("runs");
    assert!(
        b.summary.relative_half_width() > 0.05,
        "{}",
        b.summary.relative_half_width()
    );
    // The same result at another thread count.
    let c = run(&model, &req(2), |_, _| {}).expect("runs");
    assert_eq!(a.summary, c.summary);
}

#[test]
fn few_outages_give_a_warning() {
    let text = TWO_OF_THREE.replace("mean = \"10d\"", "mean = \"10y\"");
    let model = Model::parse(&text, "t.toml").expect("valid");
    let req = AvailabilityRequest {
        trials: 100,
        seed: 1,
        threads: 1,
        ..Default::default()
    };
    let r = run(&model, &req, |_, _| {}).expect("runs");
    assert!(r.summary.trials_with_downtime < 30);
    assert!(
        r.summary
            .warnings
            .iter()
            .any(|w| w.contains("few outages") || w.contains("no outage")),
        "{:?}",
        r.summary.warnings
    );
}
