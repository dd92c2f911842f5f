//! `random_failures = true` (issue 10): a drill draws each instance's
//! failures and repairs from the model's own distributions. The SimPy-style
//! web tier (round robin over pods that fail after an exponential time and
//! restart after a fixed delay) is a plain model: without health checks
//! every pod gets its share while down, so the failed share of requests is
//! one pod's unavailability.

use resim::model::Model;

/// lb (round robin, no health checks) -> 3 pods failing after exp(2 min)
/// and back after 20 s; 50 req/s for an hour.
const WEB_TIER: &str = r#"
[components.lb]
kind = "load_balancer"
algorithm = "round_robin"
depends_on = ["app"]

[components.app]
kind = "pods"
instances = 3
workers = 8
service = { dist = "constant", value = "5ms" }
failure = { dist = "exponential", mean = "2m" }
repair = { dist = "constant", value = "20s" }

[traffic]
rate = "50/s"
timeout = "10s"

[[scenarios]]
name = "web-tier"
duration = "1h"
warmup = "10s"
random_failures = true
"#;

#[test]
fn round_robin_pods_fail_one_pods_unavailability_of_requests() {
    let trials = 4;
    let (_, r) = super::util::drill(WEB_TIER, trials, 5);
    let (u, d) = (120.0_f64, 20.0_f64);
    let expected = d / (u + d);
    let failed: u64 = r.iter().map(|t| t.offered() - t.succeeded()).sum();
    let offered: u64 = r.iter().map(|t| t.offered()).sum();
    let share = failed as f64 / offered as f64;
    // The down fraction of one alternating renewal process over T has
    // variance ~ (u^2 var D + d^2 var U) / (u + d)^3 / T, here with
    // var D = 0 and var U = u^2; three pods and `trials` trials average it.
    let t = 3600.0;
    let sd = (d * d * u * u / (u + d).powi(3) / t / 3.0 / trials as f64).sqrt();
    assert!(
        (share - expected).abs() < 4.0 * sd,
        "failed share {share:.4}, theory {expected:.4} +- {:.4}",
        4.0 * sd
    );
    // Failures really were drawn: every trial lost requests, differently.
    assert!(r.iter().all(|t| t.offered() > t.succeeded()));
    assert_ne!(r[0].succeeded(), r[1].succeeded());
}

#[test]
fn random_failures_without_failure_distributions_is_an_error_at_the_key() {
    let text = WEB_TIER
        .replace("failure = { dist = \"exponential\", mean = \"2m\" }\n", "")
        .replace("repair = { dist = \"constant\", value = \"20s\" }\n", "");
    let err = Model::parse(&text, "t.toml").expect_err("no failure distributions");
    let line = text
        .lines()
        .position(|l| l.starts_with("random_failures"))
        .expect("key present")
        + 1;
    assert!(
        err.to_string()
            .contains(&format!("t.toml:{line}:19: 'random_failures' needs")),
        "{err}"
    );
}
