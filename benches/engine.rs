//! Engine throughput: the M/M/c example model end to end, and the raw event
//! queue against a plain `BinaryHeap` baseline.
//!
//! Run with `cargo bench --bench engine`; criterion reports events/s
//! ("elem/s") for every benchmark.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use resim::engine::mmc::{Mmc, MmcParams};
use resim::engine::{EventQueue, SimTime};
use resim::stats::LatencyHistogram;

/// Events per measured iteration of the M/M/c model.
const MMC_EVENTS: u64 = 1_000_000;

/// Queue operations (one pop plus one schedule) per measured iteration.
const QUEUE_OPS: u64 = 100_000;

/// M/M/4 at utilisation 0.8 with a 1 ms mean service time.
const MMC4: MmcParams = MmcParams {
    arrival_rate: 3_200.0,
    service_rate: 1_000.0,
    servers: 4,
};

fn mmc(c: &mut Criterion) {
    let mut g = c.benchmark_group("mmc");
    g.throughput(Throughput::Elements(MMC_EVENTS));
    // The model keeps running across iterations: steady state, no setup.
    g.bench_function("c4_rho0.8", |b| {
        let mut model = Mmc::new(MMC4, 1).expect("valid parameters");
        let mut sum = 0u64;
        b.iter(|| model.run(MMC_EVENTS, |_, r| sum = sum.wrapping_add(r.0)));
        black_box(sum);
    });
    g.bench_function("c4_rho0.8_histogram", |b| {
        let mut model = Mmc::new(MMC4, 1).expect("valid parameters");
        let mut h = LatencyHistogram::new();
        b.iter(|| model.run(MMC_EVENTS, |_, r| h.record(r.0)));
        black_box(h.count());
    });
    g.finish();
}

/// A cheap deterministic increment generator (xorshift64), so the queue
/// benchmarks measure the queue and not the RNG.
struct Incr(u64);

impl Incr {
    #[inline(always)]
    fn next(&mut self, mean: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % (2 * mean)
    }
}

/// The hold model: `n` pending events; each operation pops the earliest and
/// schedules a replacement a random increment later.
fn queue_hold(c: &mut Criterion) {
    const MEAN: u64 = 1_000;
    let mut g = c.benchmark_group("queue_hold");
    g.throughput(Throughput::Elements(QUEUE_OPS));
    for n in [16u64, 1_024, 65_536] {
        g.bench_with_input(BenchmarkId::new("event_queue", n), &n, |b, &n| {
            let mut q = EventQueue::with_capacity(n as usize);
            let mut inc = Incr(0x9E37_79B9_7F4A_7C15);
            for i in 0..n {
                q.schedule(SimTime(inc.next(MEAN * n)), i);
            }
            b.iter(|| {
                for _ in 0..QUEUE_OPS {
                    let (t, e) = q.pop().expect("n > 0 events pending");
                    q.schedule(SimTime(t.0 + inc.next(MEAN)), e);
                }
            });
        });
        g.bench_with_input(BenchmarkId::new("std_binary_heap", n), &n, |b, &n| {
            // Baseline: no cancellation, no lane; (time, seq, payload).
            let mut q = BinaryHeap::with_capacity(n as usize);
            let mut inc = Incr(0x9E37_79B9_7F4A_7C15);
            let mut seq = 0u64;
            for i in 0..n {
                q.push(Reverse((inc.next(MEAN * n), seq, i)));
                seq += 1;
            }
            b.iter(|| {
                for _ in 0..QUEUE_OPS {
                    let Reverse((t, _, e)) = q.pop().expect("n > 0 events pending");
                    q.push(Reverse((t + inc.next(MEAN), seq, e)));
                    seq += 1;
                }
            });
        });
    }
    g.finish();
}

/// Requests with timeouts: `n` requests in flight, each with a response
/// and a timeout pending; when a response is popped its timeout is
/// cancelled and a new request is issued. Half the pending keys are dead
/// timeouts, so this exercises cancellation and compaction.
fn queue_timeouts(c: &mut Criterion) {
    const MEAN: u64 = 1_000;
    const TIMEOUT: u64 = 1_000_000;
    let mut g = c.benchmark_group("queue_timeouts");
    g.throughput(Throughput::Elements(QUEUE_OPS));
    for n in [16u64, 1_024] {
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            #[derive(Clone, Copy)]
            enum Ev {
                Response(u32),
                Timeout,
            }
            let mut q = EventQueue::with_capacity(4 * n as usize);
            let mut timeouts = vec![None; n as usize];
            let mut inc = Incr(0x2545_F491_4F6C_DD1D);
            for i in 0..n as u32 {
                q.schedule(SimTime(inc.next(MEAN)), Ev::Response(i));
                timeouts[i as usize] = Some(q.schedule(SimTime(TIMEOUT), Ev::Timeout));
            }
            b.iter(|| {
                for _ in 0..QUEUE_OPS {
                    let (t, ev) = q.pop().expect("responses pending");
                    if let Ev::Response(i) = ev {
                        if let Some(k) = timeouts[i as usize].take() {
                            q.cancel(k);
                        }
                        q.schedule(SimTime(t.0 + inc.next(MEAN)), Ev::Response(i));
                        timeouts[i as usize] =
                            Some(q.schedule(SimTime(t.0 + TIMEOUT), Ev::Timeout));
                    }
                }
            });
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = mmc, queue_hold, queue_timeouts
}
criterion_main!(benches);
