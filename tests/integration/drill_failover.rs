//! An `any` dependency in the drill (issue 17): a global balancer in front
//! of two regions fails over when its health checks see the primary region
//! DOWN, and the requests lost are those sent during the detection time.
//!
//! Detection. Checks of the single east instance run at 0, 2, 4, ... s
//! (interval 2 s, the first at the start); east crashes at 61 s, so the
//! first failed check is at 62 s and the third (fall = 3) at 66 s: the
//! balancer sees east DOWN D = 5 s after the crash. Everything sent to east
//! in between is refused: rate·D for `primary` (every request goes there),
//! rate·D/2 for `spread` (every other one). The count is Poisson given D,
//! so over the trials its standard deviation is √(mean); the tolerance is
//! four of those plus the few calls in flight at the crash.

use resim::drill::{Cause, TrialResult};

use crate::util::drill;

const RATE: f64 = 200.0;
const DETECTION_S: f64 = 5.0;

fn system(pick: &str) -> String {
    format!(
        r#"
[components.global]
kind = "load_balancer"
depends_on = {{ any = ["east", "west"], pick = "{pick}" }}
health_check = {{ interval = "2s", rise = 2, fall = 3 }}

[components.east]
workers = 64
service = {{ dist = "constant", value = "5ms" }}

[components.west]
workers = 64
service = {{ dist = "constant", value = "5ms" }}

[traffic]
rate = "{RATE}/s"
timeout = "10s"

[[scenarios]]
name = "east-down"
duration = "3m"
warmup = "20s"
[[scenarios.events]]
at = "41s"
fault = "crash"
target = "east"
instance = 0
duration = "10m"
"#
    )
}

fn failed(r: &[TrialResult], cause: Cause) -> f64 {
    r.iter().map(|t| t.failed()[cause as usize]).sum::<u64>() as f64 / r.len() as f64
}

fn assert_lost(pick: &str, want: f64) {
    let trials = 6;
    let (_, r) = drill(&system(pick), trials, 5);
    let refused = failed(&r, Cause::Refused);
    let all: f64 = r
        .iter()
        .map(|t| t.failed().iter().sum::<u64>())
        .sum::<u64>() as f64
        / trials as f64;
    let tol = 4.0 * (want / trials as f64).sqrt() + 5.0;
    eprintln!("{pick}: refused {refused:.1} per trial, want {want:.0} +- {tol:.1}");
    assert!(
        (refused - want).abs() < tol,
        "{pick}: refused {refused} per trial, the detection time gives {want} +- {tol}"
    );
    // Nothing else failed but the one or two calls in service at the crash
    // (200/s x 5 ms): after detection every request goes to west.
    assert!(all - refused < 5.0, "{pick}: {all} failed in all");
    let succeeded = r.iter().map(|t| t.succeeded()).sum::<u64>() as f64 / trials as f64;
    // 3 minutes at 200/s: everything but the detection window succeeded.
    assert!(succeeded > (180.0 * RATE - want) * 0.98, "{succeeded}");
}

#[test]
fn primary_fails_over_after_the_health_checks_detect_the_outage() {
    assert_lost("primary", RATE * DETECTION_S);
}

#[test]
fn spread_loses_half_as_many_during_detection() {
    assert_lost("spread", RATE * DETECTION_S / 2.0);
}
