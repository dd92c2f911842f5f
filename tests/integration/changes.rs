//! Changes as a failure source (issue 10, item 3): bad deploys in the state
//! and request availabilities against a hand computation, and bad input.

use resim::availability::{AvailabilityRequest, run};
use resim::engine::SimTime;
use resim::model::Model;

/// Requests that take no time through `front` to `svc`, which never fails
/// by itself but gets 2 deploys an hour, half of them bad, each in effect
/// for 2 + 1 minutes with `effect`.
fn model(effect: &str) -> String {
    format!(
        r#"
[components.front]
depends_on = ["svc"]
service = {{ dist = "constant", value = "0s" }}
latency = {{ dist = "constant", value = "0s" }}
timeout = "10m"
workers = 1000

[components.svc]
service = {{ dist = "constant", value = "0s" }}
latency = {{ dist = "constant", value = "0s" }}
workers = 1000

[traffic]
rate = "20/s"
timeout = "10m"

[changes]
rate = "2/h"
bad = 0.5
detect = {{ dist = "constant", value = "2m" }}
rollback = {{ dist = "constant", value = "1m" }}
{effect}
targets = ["svc"]
"#
    )
}

/// Mean time between bad changes and their length [s]: bad changes come at
/// 2/h x 0.5 = 1/h, each lasting 180 s, then the next one is 1 h away.
const OFF: f64 = 3600.0;
const ON: f64 = 180.0;

/// The share of time a bad change is in effect (alternating renewal).
fn bad_share() -> f64 {
    ON / (ON + OFF)
}

/// The sd of one trial's time-average of that share over `t` seconds:
/// renewal-reward with exponential good times (sd = mean) and constant bad
/// ones, Var = (σ_off² μ_on²) / (μ_on + μ_off)³ / t.
fn sd_of_bad_share(t: f64) -> f64 {
    (OFF * OFF * ON * ON / (ON + OFF).powi(3) / t).sqrt()
}

fn run_model(
    text: &str,
    trials: u64,
    request_trials: u64,
    hours: u64,
) -> resim::availability::AvailabilityRun {
    let model = Model::parse(text, "t.toml").unwrap_or_else(|e| panic!("{e}"));
    let req = AvailabilityRequest {
        trials,
        horizon: SimTime(hours * SimTime::HOUR.0),
        seed: 23,
        threads: 2,
        request_trials,
        ..Default::default()
    };
    run(&model, &req, |_, _| {}).expect("runs")
}

#[test]
fn bad_changes_with_an_error_rate_lose_their_share_of_requests() {
    let (trials, hours) = (8, 48);
    let share = 0.4;
    let r = run_model(
        &model(&format!("effect = \"errors\"\nshare = {share}")),
        trials,
        trials,
        hours,
    );
    // An error rate leaves the state availability alone.
    assert_eq!(r.summary.availability.mean, 1.0);
    let ra = r.summary.request_availability.expect("request level ran");
    // By hand: lost share = share x (rate x bad x E[detect + rollback]) / (1 + the same).
    let theory = share * bad_share();
    let sd = share * sd_of_bad_share(hours as f64 * 3600.0) / (trials as f64).sqrt();
    let lost = 1.0 - ra.mean;
    assert!(
        (lost - theory).abs() < 4.0 * sd,
        "lost {lost:.5}, by hand {theory:.5} +- {:.5}",
        4.0 * sd
    );
    assert!(ra.ci95[0] <= 1.0 - theory + 4.0 * sd && 1.0 - theory - 4.0 * sd <= ra.ci95[1]);
    // Every failed request was a server error, set off by the changes to svc.
    assert_eq!(ra.failed_by_cause.len(), 1, "{:?}", ra.failed_by_cause);
    assert_eq!(ra.failed_by_cause[0].cause, "server_error");
    let o = &ra.failed_by_origin[0];
    assert_eq!(
        (o.id.as_str(), o.kind),
        ("svc", "change"),
        "{:?}",
        ra.failed_by_origin
    );
    assert!(o.share > 0.999, "{:?}", ra.failed_by_origin);
}

#[test]
fn bad_changes_that_crash_their_target_are_downtime_blamed_on_the_change() {
    let (trials, hours) = (100, 48);
    let r = run_model(&model("effect = \"crash\""), trials, 0, hours);
    let down = 1.0 - r.summary.availability.mean;
    let sd = sd_of_bad_share(hours as f64 * 3600.0) / (trials as f64).sqrt();
    assert!(
        (down - bad_share()).abs() < 4.0 * sd,
        "unavailability {down:.5}, by hand {:.5} +- {:.5}",
        bad_share(),
        4.0 * sd
    );
    let a = &r.summary.attribution;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!((a[0].id.as_str(), a[0].kind), ("svc", "change"));
}

/// Parses `model` with `[changes]` given by `section` and returns the error text.
fn refused(section: &str) -> (String, String) {
    let text = model("").replace(
        &model("")[model("").find("[changes]").expect("section")..],
        section,
    );
    let err = Model::parse(&text, "m.toml")
        .expect_err(section)
        .to_string();
    (text, err)
}

/// The 1-based line of the first line of `text` from `[changes]` on
/// that starts with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    let from = text
        .lines()
        .position(|l| l == "[changes]")
        .expect("section");
    let mut lines = text.lines().skip(from);
    from + lines.position(|l| l.starts_with(prefix)).expect(prefix) + 1
}

#[test]
fn bad_rates_and_shares_are_refused_where_they_stand() {
    let rest = "detect = { dist = \"constant\", value = \"2m\" }\nrollback = { dist = \"constant\", value = \"1m\" }\nshare = 0.5\ntargets = [\"svc\"]\n";
    for (key, value, needle) in [
        ("rate", "\"0/d\"", "above zero"),
        ("rate", "\"-1/d\"", "negative"),
        ("bad", "1.5", "[0, 1]"),
        ("bad", "-0.1", "[0, 1]"),
        ("bad", "nan", "[0, 1]"),
        ("share", "2.0", "[0, 1]"),
    ] {
        let mut section = format!("[changes]\nrate = \"1/d\"\nbad = 0.05\n{rest}");
        let old = section
            .lines()
            .find(|l| l.starts_with(&format!("{key} =")))
            .expect("key")
            .to_string();
        section = section.replace(&old, &format!("{key} = {value}"));
        let (text, err) = refused(&section);
        let at = format!("m.toml:{}:", line_of(&text, &format!("{key} =")));
        assert!(
            err.contains(&at) && err.contains(needle),
            "{key} = {value}: {err}"
        );
    }
    // A share of bad changes without a deploy rate.
    let (text, err) = refused(&format!("[changes]\nbad = 0.05\n{rest}"));
    let at = format!("m.toml:{}:", line_of(&text, "[changes]"));
    assert!(err.contains(&at) && err.contains("'rate'"), "{err}");
    // A target that is not a component.
    let (text, err) = refused(&format!(
        "[changes]\nrate = \"1/d\"\nbad = 0.05\n{}",
        rest.replace("[\"svc\"]", "[\"svx\"]")
    ));
    let at = format!("m.toml:{}:", line_of(&text, "targets"));
    assert!(
        err.contains(&at) && err.contains("'svx'") && err.contains("svc"),
        "{err}"
    );
}

#[test]
fn a_target_table_overrides_the_sections_settings() {
    let text = model("share = 0.4").replace(
        "targets = [\"svc\"]",
        "targets = [\"front\", { target = \"svc\", rate = \"1/w\", effect = \"crash\" }]",
    );
    let m = Model::parse(&text, "t.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.changes.len(), 2);
    assert_eq!(m.changes[0].effect, resim::scenario::Fault::Errors(0.4));
    assert!((m.changes[0].rate - 2.0 / 3600.0).abs() < 1e-12);
    assert_eq!(m.changes[1].effect, resim::scenario::Fault::Crash);
    assert!((m.changes[1].rate - 1.0 / (7.0 * 86_400.0)).abs() < 1e-15);
    assert_eq!(m.changes[1].bad, 0.5);
}
