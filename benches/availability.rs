//! Availability trials per second on `models/web-app.toml` over a one-year
//! horizon, on 1 and 2 threads.
//!
//! Run with `cargo bench --bench availability`; criterion reports trials/s
//! as "elem/s".

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use resim::availability::{AvailabilityRequest, run};
use resim::engine::SimTime;
use resim::model::Model;

/// Trials per measured iteration.
const TRIALS: u64 = 2_000;

fn year(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/web-app.toml");
    let model = Model::load(&path).expect("models/web-app.toml parses");
    let mut g = c.benchmark_group("availability_year");
    g.throughput(Throughput::Elements(TRIALS));
    for threads in [1usize, 2] {
        g.bench_with_input(
            BenchmarkId::from_parameter(threads),
            &threads,
            |b, &threads| {
                let req = AvailabilityRequest {
                    trials: TRIALS,
                    horizon: SimTime::YEAR,
                    threads,
                    batch: TRIALS,
                    ..AvailabilityRequest::default()
                };
                b.iter(|| {
                    let r = run(&model, &req, |_, _| {}).expect("trials run");
                    black_box(r.summary.relative_half_width())
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
        .measurement_time(Duration::from_secs(5));
    targets = year
}
criterion_main!(benches);
