//! Offered load follows the traffic profile: steps, ramps and CSV replays
//! become non-homogeneous Poisson arrivals (thinning), checked per bin.

use resim::drill::{DrillRequest, run_scenario};
use resim::engine::SimTime;
use resim::model::Model;

fn model(traffic: &str) -> String {
    format!(
        r#"
[components.web]
workers = 1000
latency = {{ dist = "constant", value = "0s" }}
service = {{ dist = "constant", value = "1ms" }}

[traffic]
{traffic}

[[scenarios]]
name = "load"
duration = "120s"
warmup = "10s"
"#
    )
}

/// Mean offered requests per 10-s bin over `trials` trials.
fn offered_per_bin(text: &str, trials: u64) -> Vec<f64> {
    let (_, results) = super::util::drill(text, trials, 11);
    let bins = results[0].bins.len();
    (0..bins)
        .map(|b| {
            results
                .iter()
                .map(|r| r.bins[b].offered as f64)
                .sum::<f64>()
                / trials as f64
        })
        .collect()
}

/// |observed − expected| within 4 standard errors of a Poisson count's mean over `n` trials.
fn assert_poisson(observed: f64, expected: f64, n: u64, what: &str) {
    let tol = 4.0 * (expected / n as f64).sqrt();
    assert!(
        (observed - expected).abs() < tol,
        "{what}: observed {observed}, expected {expected} ± {tol}"
    );
}

#[test]
fn a_step_and_a_ramp_shape_the_arrivals() {
    // 100/s, a step to 300/s at 60 s, then a ramp down to 100/s over 20 s from 90 s.
    let text = model(
        r#"rate = "100/s"
profile = [{ at = "60s", rate = "300/s" }, { at = "90s", rate = "100/s", ramp = "20s" }]"#,
    );
    let n = 20;
    let bins = offered_per_bin(&text, n);
    assert_eq!(bins.len(), 12);
    for (b, &offered) in bins.iter().enumerate().take(6) {
        assert_poisson(offered, 1000.0, n, &format!("bin {b} before the step"));
    }
    for (b, &offered) in bins.iter().enumerate().take(9).skip(6) {
        assert_poisson(offered, 3000.0, n, &format!("bin {b} after the step"));
    }
    // The ramp from 300/s to 100/s over [90 s, 110 s): bins average 250/s and 150/s.
    assert_poisson(bins[9], 2500.0, n, "first ramp bin");
    assert_poisson(bins[10], 1500.0, n, "second ramp bin");
    assert_poisson(bins[11], 1000.0, n, "after the ramp");
}

#[test]
fn a_csv_of_real_rates_is_replayed() {
    let dir = super::util::scratch("drill-traffic-csv");
    std::fs::write(
        dir.join("rates.csv"),
        "time,rate\n1700000000,50\n1700000060,50\n1700000060,200\n1700000200,200\n",
    )
    .expect("write csv");
    let text = model(
        r#"rate = "1/s"
profile_csv = "rates.csv""#,
    );
    let path = dir.join("m.toml");
    std::fs::write(&path, &text).expect("write model");
    let model = Model::load(&path).expect("valid model with a csv profile");
    let req = DrillRequest {
        trials: 10,
        seed: 5,
        threads: 2,
        bin: SimTime(10 * SimTime::SECOND.0),
        snapshots: Vec::new(),
    };
    let results = run_scenario(&model, &model.scenarios[0], &req, &|_| {}).expect("runs");
    let mean = |b: usize| {
        results
            .iter()
            .map(|r| r.bins[b].offered as f64)
            .sum::<f64>()
            / 10.0
    };
    assert_poisson(mean(2), 500.0, 10, "before the step in the csv");
    assert_poisson(mean(8), 2000.0, 10, "after the step in the csv");
}

#[test]
fn a_bad_csv_names_the_file_and_row() {
    let dir = super::util::scratch("drill-traffic-bad-csv");
    std::fs::write(dir.join("rates.csv"), "time,rate\n0,50\n60,lots\n").expect("write csv");
    let path = dir.join("m.toml");
    std::fs::write(&path, model("rate = \"1/s\"\nprofile_csv = \"rates.csv\""))
        .expect("write model");
    let err = Model::load(&path).expect_err("the csv is bad").to_string();
    assert!(
        err.contains("rates.csv:3:") && err.contains("'60,lots'"),
        "{err}"
    );
}
