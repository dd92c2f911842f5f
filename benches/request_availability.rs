//! Request availability of `models/web-app.toml` (issue 10): trial-years
//! replayed at request level by the window method, against a brute-force
//! drill of the same model with random failures, per simulated hour.
//!
//! Run with `cargo bench --bench request_availability`. `window_year`
//! reports trial-years/s ("elem/s") on 2 threads; `brute_force_hour`
//! reports simulated hours/s of a drill with `random_failures = true` on
//! 1 thread. A brute-force trial-year costs 8760 such hours, and both
//! methods estimate the same per-trial-year figure, so at equal interval
//! width the speed-up is 8760 x (window years/s) / (2 x brute hours/s)
//! per core.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use resim::availability::requests::{RequestSim, WindowSettings, window_scenario};
use resim::availability::{AvailabilityConfig, AvailabilitySim};
use resim::drill::DrillSetup;
use resim::engine::SimTime;
use resim::engine::rng::trial_seed;
use resim::model::Model;

/// Trial-years per measured iteration (one per thread).
const YEARS: u64 = 2;

fn model() -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/web-app.toml");
    Model::load(&path).expect("models/web-app.toml parses")
}

fn window_year(c: &mut Criterion) {
    let model = model();
    let state = AvailabilitySim::new(
        &model,
        AvailabilityConfig {
            horizon: SimTime::YEAR,
            grid_points: 1,
        },
    );
    let base = window_scenario();
    let sim = RequestSim::new(&state, &base, WindowSettings::default(), 1, 2).expect("baseline");
    let mut g = c.benchmark_group("window_year");
    g.throughput(Throughput::Elements(YEARS));
    let mut next = 0u64;
    g.bench_function("2_threads", |b| {
        b.iter(|| {
            // Fresh years each iteration: a year's cost depends on its failures.
            let from = next;
            next += YEARS;
            let r =
                resim::montecarlo::run_trials(1, from..from + YEARS, 2, |i, s| sim.run_trial(i, s))
                    .expect("trials run");
            black_box(r.len())
        });
    });
    g.finish();
}

fn brute_force_hour(c: &mut Criterion) {
    let model = model();
    let mut sc = window_scenario();
    sc.duration = SimTime::HOUR;
    sc.warmup = SimTime(10 * SimTime::SECOND.0);
    sc.random_failures = true;
    let traffic = model.traffic.as_ref().expect("web-app has traffic");
    let setup = DrillSetup::new(&model, &sc, traffic, SimTime(10 * SimTime::SECOND.0));
    let mut g = c.benchmark_group("brute_force_hour");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("1_thread", |b| {
        b.iter(|| {
            i += 1;
            black_box(setup.run(i, trial_seed(1, i)).requests)
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    targets = window_year, brute_force_hour
}
criterion_main!(benches);
