//! Simulated events to reach the same relative interval width at an
//! unavailability of 1e-7: plain Monte Carlo (`availability --precision`)
//! against importance sampling (`availability --method is --precision`).
//!
//! Run with `cargo bench --bench rare_event`. The model is a 2-of-3 quorum,
//! members failing every 30 days, repaired in gamma(shape 3, mean 8 min);
//! its exact unavailability is 3q²(1 − q) + q³ = 1.03e-7. Both methods run
//! to ±10% (95% interval); plain Monte Carlo's events are counted by
//! replaying its trials with their trace (every failure and repair), the
//! importance sampler counts its own. The ratio is taken at equal width
//! (events scale as 1/width²), and printed with the wall times.

use std::time::Instant;

use resim::availability::{self, AvailabilityRequest, AvailabilitySim};
use resim::engine::SimTime;
use resim::model::Model;
use resim::montecarlo::run_trials_local;
use resim::rare_event::{self, IsRequest};

const MODEL: &str = r#"
[system]
name = "quorum-1e-7"
[components.quorum]
instances = 3
min_up = 2
failure = { dist = "exponential", mean = "30d" }
repair = { dist = "gamma", shape = 3.0, mean = "8m" }
"#;

const PRECISION: f64 = 0.10;

fn main() {
    let model = Model::parse(MODEL, "quorum-1e-7.toml").expect("valid model");
    let q = 8.0 / (30.0 * 24.0 * 60.0 + 8.0);
    let exact = 3.0 * q * q * (1.0 - q) + q * q * q;

    let t = Instant::now();
    let req = AvailabilityRequest {
        trials: 1000,
        horizon: SimTime::YEAR,
        seed: 1,
        precision: Some(PRECISION),
        batch: 1000,
        max_trials: 2_000_000,
        grid_points: 1,
        ..AvailabilityRequest::default()
    };
    let mc = availability::run(&model, &req, |_, _| {}).expect("plain Monte Carlo runs");
    let mc_secs = t.elapsed().as_secs_f64();
    let trials = mc.outcomes.len() as u64;
    let sim = AvailabilitySim::new(
        &model,
        availability::AvailabilityConfig {
            horizon: req.horizon,
            grid_points: 1,
        },
    );
    let mc_events: u64 = run_trials_local(req.seed, 0..trials, 0, |i, s| {
        sim.run_trial_traced(i, s).1.len() as u64
    })
    .expect("replays")
    .iter()
    .sum();
    let mc_u = mc.summary.unavailability.mean;
    let mc_hw = mc.summary.relative_half_width();

    let t = Instant::now();
    let is = rare_event::run(
        &model,
        &IsRequest {
            cycles: 1000,
            precision: Some(PRECISION),
            ..IsRequest::default()
        },
        |_, _| {},
    )
    .expect("importance sampling applies");
    let is_secs = t.elapsed().as_secs_f64();

    let at_width = |events: u64, hw: f64| events as f64 * (hw / PRECISION).powi(2);
    let ratio = at_width(mc_events, mc_hw) / at_width(is.events, is.relative_half_width);
    println!("exact unavailability {exact:.4e}");
    println!(
        "plain Monte Carlo     {mc_u:.4e} ±{:.1}%: {trials} trial-years, {mc_events} events, {mc_secs:.2} s",
        100.0 * mc_hw
    );
    println!(
        "importance sampling   {:.4e} ±{:.1}%: {} biased + {} unbiased cycles, {} events, {is_secs:.3} s",
        is.unavailability,
        100.0 * is.relative_half_width,
        is.biased_cycles,
        is.unbiased_cycles,
        is.events
    );
    println!(
        "events at ±{:.0}%: plain {:.3e}, importance sampling {:.3e}: {ratio:.0}x fewer (the sampler's own estimate: {:.0}x)",
        100.0 * PRECISION,
        at_width(mc_events, mc_hw),
        at_width(is.events, is.relative_half_width),
        is.speedup
    );
}
