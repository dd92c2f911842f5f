//! Drill throughput on `models/web-app.toml`'s `pod-crash` scenario: one
//! trial on one core (simulated requests/s, warm-up included), and a batch
//! of trials on 1 and 2 threads (trials/s; the ratio is the scaling).
//!
//! Run with `cargo bench --bench drill`; criterion reports requests/s and
//! trials/s as "elem/s".

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use resim::drill::{DrillRequest, DrillSetup, run_scenario};
use resim::engine::SimTime;
use resim::model::Model;

/// Trials per measured iteration of the thread benchmark: enough to keep
/// both cores busy to the end.
const TRIALS: u64 = 8;

/// The drill's default bin width.
const BIN: SimTime = SimTime(10 * SimTime::SECOND.0);

fn web_app() -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/web-app.toml");
    Model::load(&path).expect("models/web-app.toml parses")
}

fn one_trial(c: &mut Criterion) {
    let model = web_app();
    let sc = model
        .scenarios
        .iter()
        .find(|s| s.name == "pod-crash")
        .expect("pod-crash scenario");
    let traffic = model.traffic.as_ref().expect("[traffic]");
    let setup = DrillSetup::new(&model, sc, traffic, BIN);
    // The same seed every iteration: the same work, so the count is exact.
    let requests = setup.run(0, 1).requests;
    let mut g = c.benchmark_group("drill_trial");
    g.throughput(Throughput::Elements(requests));
    g.bench_function("web-app/pod-crash", |b| {
        b.iter(|| black_box(setup.run(0, 1).events));
    });
    g.finish();
}

fn threads(c: &mut Criterion) {
    let model = web_app();
    let sc = model
        .scenarios
        .iter()
        .find(|s| s.name == "pod-crash")
        .expect("pod-crash scenario");
    let mut g = c.benchmark_group("drill_threads");
    g.throughput(Throughput::Elements(TRIALS));
    for threads in [1usize, 2] {
        g.bench_with_input(
            BenchmarkId::from_parameter(threads),
            &threads,
            |b, &threads| {
                let req = DrillRequest {
                    trials: TRIALS,
                    seed: 1,
                    threads,
                    bin: BIN,
                    snapshots: Vec::new(),
                };
                b.iter(|| {
                    let r = run_scenario(&model, sc, &req, &|_| {}).expect("drill runs");
                    black_box(r.len())
                });
            },
        );
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    targets = one_trial, threads
}
criterion_main!(benches);
