//! Design comparison on common random numbers.

use resim::compare::{apply_sets, compare_scenario};
use resim::drill::DrillRequest;
use resim::engine::SimTime;
use resim::model::Model;

/// Three pods near capacity: losing one overloads the other two.
const DESIGN: &str = r#"
[components.lb]
kind = "load_balancer"
depends_on = ["app"]
algorithm = "round_robin"

[components.app]
kind = "pods"
instances = 3
workers = 4
queue = 20
service = { dist = "exponential", mean = "10ms" }
timeout = "1s"
depends_on = ["db"]

[components.db]
kind = "database"
replicas = 1
workers = 64
service = { dist = "exponential", mean = "2ms" }
timeout = "500ms"

[traffic]
rate = "900/s"
timeout = "2s"

[[scenarios]]
name = "pod-loss"
duration = "2m"
warmup = "20s"
[[scenarios.events]]
at = "30s"
fault = "crash"
target = "app"
instance = 0
duration = "60s"
"#;

fn req() -> DrillRequest {
    DrillRequest {
        trials: 12,
        seed: 21,
        threads: 2,
        bin: SimTime(10 * SimTime::SECOND.0),
        snapshots: Vec::new(),
    }
}

#[test]
fn a_design_against_a_near_copy_differs_by_nothing_significant() {
    let a = Model::parse(DESIGN, "a.toml").expect("valid");
    // A change that cannot matter here: the db's timeout is never reached.
    let b = apply_sets(DESIGN, "a.toml", &["db.timeout=\"501ms\"".into()]).expect("valid edit");
    let c = compare_scenario(&a, &b, "pod-loss", &req(), &|_| {}).expect("runs");
    let avail = &c.metrics[0];
    assert!(
        avail.diff_ci95[0] <= 0.0 && 0.0 <= avail.diff_ci95[1],
        "{avail:?}"
    );
    assert_eq!(avail.winner, "none");
    // Common random numbers: the paired interval is far narrower than either design's own.
    let own = |s: &resim::drill::ScenarioSummary| s.availability.ci95[1] - s.availability.ci95[0];
    let paired = avail.diff_ci95[1] - avail.diff_ci95[0];
    assert!(own(&c.a) > 0.0, "the designs vary between trials");
    assert!(
        paired < 0.1 * own(&c.a).min(own(&c.b)),
        "paired {paired} vs own {} and {}",
        own(&c.a),
        own(&c.b)
    );
}

#[test]
fn five_replicas_survive_the_loss_that_three_do_not() {
    let a = Model::parse(DESIGN, "a.toml").expect("valid");
    let b = apply_sets(DESIGN, "a.toml", &["app.replicas=5".into()]).expect("valid edit");
    assert_eq!(b.components[1].instances, 5);
    let c = compare_scenario(&a, &b, "pod-loss", &req(), &|_| {}).expect("runs");
    let avail = &c.metrics[0];
    assert_eq!(avail.winner, "B", "{avail:?}");
    assert!(avail.diff_ci95[0] > 0.01, "{avail:?}");
    let failed = &c.metrics[3];
    assert_eq!(failed.winner, "B", "{failed:?}");
}

#[test]
fn bad_edits_are_input_errors() {
    let e = apply_sets(DESIGN, "a.toml", &["app.replicas".into()]).expect_err("no value");
    assert!(e.to_string().contains("expected PATH=VALUE"), "{e}");
    let e = apply_sets(DESIGN, "a.toml", &["app.wokers=5".into()]).expect_err("typo");
    assert!(e.to_string().contains("did you mean 'workers'"), "{e}");
}
