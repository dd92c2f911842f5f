//! The M/M/c example against queueing theory, and its determinism.

use super::*;
use crate::stats::ci::Summary;

/// Runs `params` and returns `batches` batch means of the response time [s],
/// each over `batch` consecutive departures, after discarding `warmup`
/// departures (the system starts empty, which biases early response times
/// low).
fn batch_means(params: MmcParams, seed: u64, warmup: u64, batches: usize, batch: u64) -> Vec<f64> {
    let mut mmc = Mmc::new(params, seed).expect("valid parameters");
    let mut seen = 0u64;
    let mut sum = 0.0;
    let mut means = Vec::with_capacity(batches);
    while means.len() < batches {
        mmc.run(10_000, |_, response| {
            seen += 1;
            if seen <= warmup || means.len() == batches {
                return;
            }
            sum += response.as_secs_f64();
            if (seen - warmup).is_multiple_of(batch) {
                means.push(sum / batch as f64);
                sum = 0.0;
            }
        });
    }
    means
}

/// Checks the mean response time against `theory` by the method of batch
/// means.
///
/// Successive response times are positively correlated (a customer who
/// waited long is followed by one who waits long), so their plain standard
/// error is far too small. Instead the departures are cut into `B` batches
/// of `m` customers. The correlation of response times decays geometrically
/// with the relaxation time of the queue, of order
/// `1 / (cμ (1 − √ρ)²)`: about 12 s (6 customers) for the M/M/1 case below
/// and 22 s (72 customers) for the M/M/4 one. With `m = 20 000` customers per
/// batch, adjacent batch means are therefore nearly uncorrelated and, by the
/// CLT, nearly normal. Then `T = (x̄ − θ) / (s / √B)`, with `x̄`, `s` the mean
/// and standard deviation of the `B` batch means, follows Student's t with
/// `B − 1` degrees of freedom. We accept when `|T| ≤ 4`; for `B = 50`,
/// `P(|T₄₉| > 4) ≈ 2.1e-4`, so a correct engine fails this with any seed
/// about once in 5 000 seeds, while a bias of more than `4 s/√B` (checked
/// below to be under 5% of θ) fails it.
///
/// As a check of the independence assumption, the lag-1 autocorrelation of
/// the batch means, about `N(0, 1/B)` when they are independent, must be
/// within `4/√B` of zero.
fn assert_mean_response(params: MmcParams, seed: u64) {
    const B: usize = 50;
    const M: u64 = 20_000;
    let theory = params.mean_response_time().expect("stable parameters");
    let means = batch_means(params, seed, 10_000, B, M);
    let mut s = Summary::new();
    for &x in &means {
        s.push(x);
    }
    let mean = s.mean().expect("B > 0");
    let se = s.std_err().expect("B > 1");
    let tol = 4.0 * se;
    assert!(
        tol < 0.05 * theory,
        "test too weak: tolerance {tol} vs theory {theory}"
    );
    assert!(
        (mean - theory).abs() <= tol,
        "mean response {mean} vs theory {theory}, tolerance {tol} (seed {seed})"
    );
    let var: f64 = means.iter().map(|x| (x - mean).powi(2)).sum();
    let lag1: f64 = means
        .windows(2)
        .map(|w| (w[0] - mean) * (w[1] - mean))
        .sum::<f64>()
        / var;
    let bound = 4.0 / (B as f64).sqrt();
    assert!(lag1.abs() <= bound, "batch means correlated: r1 = {lag1}");
}

#[test]
fn mm1_mean_response_matches_theory() {
    let params = MmcParams {
        arrival_rate: 0.5,
        service_rate: 1.0,
        servers: 1,
    };
    // M/M/1: 1 / (μ − λ) = 2 s.
    let theory = params.mean_response_time().expect("stable");
    assert!((theory - 2.0).abs() < 1e-12);
    assert_mean_response(params, 1);
}

#[test]
fn mm4_mean_response_matches_erlang_c() {
    let params = MmcParams {
        arrival_rate: 3.2,
        service_rate: 1.0,
        servers: 4,
    };
    // Hand-computed: a = 3.2, ρ = 0.8, C(4, 3.2) = 0.596432…,
    // W = C / (4 − 3.2) + 1 = 1.745540…
    let c = params.wait_probability().expect("stable");
    assert!((c - 0.596_432_471_787).abs() < 1e-9, "C = {c}");
    let w = params.mean_response_time().expect("stable");
    assert!((w - 1.745_540_589_734).abs() < 1e-9, "W = {w}");
    assert_mean_response(params, 2);
}

fn trace(params: MmcParams, seed: u64, events: u64) -> Vec<(SimTime, SimTime)> {
    let mut mmc = Mmc::new(params, seed).expect("valid parameters");
    let mut out = Vec::new();
    let n = mmc.run(events, |a, r| out.push((a, r)));
    assert_eq!(n, events);
    assert_eq!(mmc.events(), events);
    out
}

const P4: MmcParams = MmcParams {
    arrival_rate: 3.2,
    service_rate: 1.0,
    servers: 4,
};

#[test]
fn same_seed_same_trace() {
    let a = trace(P4, 9, 20_000);
    assert_eq!(a, trace(P4, 9, 20_000));
    assert_ne!(a, trace(P4, 10, 20_000));
}

#[test]
fn server_count_does_not_shift_arrivals() {
    let first_arrivals = |servers| {
        let p = MmcParams { servers, ..P4 };
        let mut arrived: Vec<SimTime> = trace(p, 3, 50_000).into_iter().map(|(a, _)| a).collect();
        arrived.sort();
        arrived.truncate(1_000);
        arrived
    };
    assert_eq!(first_arrivals(4), first_arrivals(6));
}

#[test]
fn in_system_counts_waiting_and_busy() {
    let mut mmc = Mmc::new(P4, 5).expect("valid");
    let mut departed = 0u64;
    mmc.run(10_001, |_, _| departed += 1);
    // Every arrival processed so far either departed or is in the system.
    let arrivals = 10_001 - departed;
    assert_eq!(mmc.in_system() as u64, arrivals - departed);
}

#[test]
fn rejects_bad_parameters() {
    let bad = |arrival_rate, service_rate, servers| {
        Mmc::new(
            MmcParams {
                arrival_rate,
                service_rate,
                servers,
            },
            0,
        )
        .err()
    };
    assert_eq!(bad(-1.0, 1.0, 1), Some(MmcError::ArrivalRate(-1.0)));
    assert_eq!(
        bad(1.0, f64::INFINITY, 1),
        Some(MmcError::ServiceRate(f64::INFINITY))
    );
    assert_eq!(bad(1.0, 1.0, 0), Some(MmcError::NoServers));
    assert!(bad(1.0, 1.0, 1).is_none());
    let unstable = MmcParams {
        arrival_rate: 2.0,
        service_rate: 1.0,
        servers: 1,
    };
    assert_eq!(unstable.mean_response_time(), None);
}

#[test]
fn erlang_b_mean_wait_and_wait_tail_match_hand_values() {
    // Erlang B: B(1, a) = a/(1+a); B(2, 1) = 1/5; table value B(10, 5) = 0.018385.
    let p = |a: f64, c: u32| MmcParams {
        arrival_rate: a,
        service_rate: 1.0,
        servers: c,
    };
    assert!((p(0.5, 1).blocking_probability() - 1.0 / 3.0).abs() < 1e-15);
    assert!((p(1.0, 2).blocking_probability() - 0.2).abs() < 1e-15);
    assert!((p(5.0, 10).blocking_probability() - 0.018_384_7).abs() < 1e-6);
    // C = B / (1 − ρ(1 − B)).
    let q = p(3.2, 4);
    let b = q.blocking_probability();
    let c = q.wait_probability().expect("stable");
    assert!((c - b / (1.0 - 0.8 * (1.0 - b))).abs() < 1e-12);
    // Wq = C / (cμ − λ); P(W > 0) = C; P(W > 1) = C e^(−0.8).
    assert!((q.mean_wait().expect("stable") - c / 0.8).abs() < 1e-12);
    assert_eq!(q.wait_exceeds(0.0), Some(c));
    assert!((q.wait_exceeds(1.0).expect("stable") - c * (-0.8f64).exp()).abs() < 1e-12);
    assert_eq!(p(4.0, 4).mean_wait(), None);
}
