//! A capacity sweep of `models/web-app.toml`: the `peak` scenario at 12
//! loads from 500/s to 8000/s (log-spaced), 20 trials per point, on every
//! core, then `--find max traffic.rate` refining the knee by bisection to 2%.
//! The same work as
//! `resim sweep models/web-app.toml --scenario peak --vary traffic.rate=500/s..8000/s:12:log --trials 20 --find max traffic.rate`.
//!
//! Run with `cargo bench --bench sweep`; the bisection's extra points are
//! printed once.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use resim::drill::DrillRequest;
use resim::engine::SimTime;
use resim::sweep::find::{Goal, find};
use resim::sweep::{Design, Stage, SweepRequest, Vary, grid, run_points};

fn sweep(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/web-app.toml");
    let design = Design {
        text: std::fs::read_to_string(&path).expect("models/web-app.toml"),
        origin: "models/web-app.toml".into(),
        sets: Vec::new(),
    };
    let varies = vec![Vary::parse("traffic.rate=500/s..8000/s:12:log").expect("valid")];
    let req = SweepRequest {
        drill: DrillRequest {
            trials: 20,
            seed: 1,
            threads: 0,
            bin: SimTime(10 * SimTime::SECOND.0),
            snapshots: Vec::new(),
        },
        scenarios: vec!["peak".into()],
        percentiles: None,
    };
    let goal = Goal::parse(&["max".into(), "traffic.rate".into()], &varies).expect("valid");
    let run = || {
        let mut points =
            run_points(&design, &varies, &grid(&varies), Stage::Grid, &req, &|_| {}).expect("runs");
        let found = find(&goal, &design, &varies, &mut points, &req, 0.02).expect("finds");
        (points.len(), found)
    };
    let (n, found) = run();
    eprintln!(
        "12-point sweep: {n} points run, knee at {:?}/s, {} bisection runs beyond the grid",
        found[0].value, found[0].evaluations
    );
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(1));
    g.measurement_time(Duration::from_secs(1));
    g.bench_function("web-app/peak 12 points x 20 trials + find max", |b| {
        b.iter(|| black_box(run().0));
    });
    g.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
