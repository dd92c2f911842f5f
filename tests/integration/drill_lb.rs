//! The load balancer's own mechanisms in a drill: passive outlier ejection
//! takes a failing backend out and returns it after its ejection time, the
//! rate limit answers 429 beyond its tokens, and least request beats round
//! robin on p99 when one backend is slow.

use resim::drill::{Cause, ScenarioSummary, TrialResult};
use resim::model::Model;

/// lb (2 instances) -> app (3 pods), `rate` per second, 10-s bins over 3
/// minutes after a 20-s warm-up; `lb` and `events` are spliced in.
fn system(lb: &str, app: &str, rate: u32, events: &str) -> String {
    format!(
        r#"
[components.lb]
kind = "load_balancer"
instances = 2
depends_on = ["app"]
{lb}

[components.app]
kind = "pods"
instances = 3
workers = 4
queue = 1000
service = {{ dist = "constant", value = "10ms" }}
timeout = "30s"
{app}

[traffic]
rate = "{rate}/s"
timeout = "30s"

[[scenarios]]
name = "s"
duration = "3m"
warmup = "20s"
{events}
"#
    )
}

fn run(text: &str, trials: u64) -> (Model, Vec<TrialResult>) {
    super::util::drill(text, trials, 11)
}

fn total(r: &[TrialResult], cause: Cause) -> u64 {
    r.iter().map(|t| t.failed()[cause as usize]).sum()
}

const CRASH_APP0_FOR_20S: &str = r#"
[[scenarios.events]]
at = "60s"
fault = "crash"
target = "app"
instance = 0
duration = "20s"
"#;

#[test]
fn outlier_ejection_removes_a_failing_backend_and_returns_it_after_the_ejection_time() {
    // 50% allows one of the three pods out (Envoy's default 10% would not:
    // `resim check` warns about it).
    let outlier = r#"outlier = { consecutive_5xx = 5, max_ejection_percent = 50 }"#;
    let (model, ejecting) = run(&system(outlier, "", 200, CRASH_APP0_FOR_20S), 4);
    let (_, blind) = run(&system("", "", 200, CRASH_APP0_FOR_20S), 4);

    // Blind: a third of 20 s at 200/s is refused (~1333 per trial).
    let refused_blind = total(&blind, Cause::Refused) as f64 / 4.0;
    assert!((refused_blind - 1333.0).abs() < 150.0, "{refused_blind}");
    // Ejecting: each balancer instance sends pod 0 five failures, then no more.
    let refused = total(&ejecting, Cause::Refused) as f64 / 4.0;
    assert!(refused <= 12.0, "{refused}");

    // The crash is at 80 s (absolute); the detector sweeps every 10 s from 0,
    // so the 30-s ejection ends at the sweep of 120 s. Readings are taken at
    // each bin's end (20 s + 10 s × (k + 1)).
    let defs = resim::drill::readings::reading_defs(&model);
    let r = defs
        .iter()
        .position(|d| d.name == "app.ejected")
        .expect("reading");
    for t in &ejecting {
        let ejected: Vec<f64> = t.readings.iter().map(|row| row[r]).collect();
        assert_eq!(&ejected[..6], &[0.0; 6], "before the crash");
        assert_eq!(&ejected[6..9], &[1.0; 3], "ejected at 90, 100, 110 s");
        assert!(
            ejected[9..].iter().all(|&x| x == 0.0),
            "back by 120 s: {ejected:?}"
        );
    }
}

#[test]
fn the_rate_limit_answers_429_beyond_its_tokens() {
    // 60/s per balancer instance, two instances: 120/s of the 200/s offered.
    let limit = r#"rate_limit = { rate = 60, burst = 10 }"#;
    let (_, r) = run(&system(limit, "", 200, ""), 4);
    for t in &r {
        let ok = t.succeeded() as f64;
        // Each instance receives ~100/s, well above its 60/s, so its bucket
        // is almost never full and admits 60/s: 120/s × 180 s = 21600.
        assert!((ok - 21_600.0).abs() < 0.02 * 21_600.0, "{ok}");
        let limited = t.failed()[Cause::RateLimited as usize];
        assert_eq!(limited + t.succeeded(), t.offered(), "only 429s fail");
    }
}

#[test]
fn least_request_beats_round_robin_on_p99_when_one_pod_is_slow() {
    // Pod 2 is 10x slower for the whole run: 4 workers at 100 ms serve 40/s.
    // Round robin sends it 50/s (a third of 150/s): its queue grows without
    // bound. Least request sends it work only when it has the fewest in flight.
    let slow = r#"
[[scenarios.events]]
at = "0s"
fault = "slow"
target = "app"
instance = 2
factor = 10
"#;
    let p99 = |algorithm: &str| {
        let (model, r) = run(
            &system(&format!("algorithm = \"{algorithm}\""), "", 150, slow),
            2,
        );
        let s = ScenarioSummary::from_trials(&model, &model.scenarios[0], 10.0, &r);
        (s.latency_ms.p99, s.latency_ms.p50)
    };
    let (rr, _) = p99("round_robin");
    let (lr, lr50) = p99("least_request");
    let (p2c, _) = p99("p2c");
    eprintln!("p99 [ms]: round robin {rr:.0}, least request {lr:.0}, p2c {p2c:.0}");
    // Round robin: the slow pod's backlog grows by 10/s over 200 s, so its
    // requests wait tens of seconds and p99 is far beyond a second.
    assert!(rr > 5_000.0, "round robin p99 {rr}");
    // Least request: the slow pod's requests take one 100-ms service, and
    // the rest are served in 10 ms.
    assert!(lr < 250.0, "least request p99 {lr}");
    assert!(lr50 < 15.0, "least request p50 {lr50}");
    assert!(p2c < rr / 10.0, "p2c p99 {p2c}");
}
