//! The drill against queueing theory: `resim::drill::run_scenario` on small
//! models whose stationary figures are known in closed form (M/M/1, Erlang C,
//! Erlang B), and a pod crash behind a round-robin load balancer, whose
//! failures are a thinned Poisson count.
//!
//! Models. One component called straight by the client (no DNS), with no
//! network latency (`latency = 0s`), so a request's response time is the
//! component's sojourn time: a pure queue. Service times are exponential
//! with mean 10 ms (μ = 100/s) unless stated; timeouts (60 s) are hundreds
//! of mean response times, so no request times out (checked).
//!
//! Tolerance. Trials are independent replications (each has its own seed).
//! A figure x is measured once per trial; with n trials, mean x̄ and sample
//! standard deviation s, a test passes when
//! |x̄ − theory| < Z·s/√n + b, with Z = 4 (a false failure about 1 in 16 000
//! per comparison under normality; the seeds are fixed, so a pass stays a
//! pass) and b a bound on a known bias (the histogram's quantile error),
//! 0 unless stated. Every comparison also asserts that its tolerance is
//! under 5% of the theoretical value, so that it can fail.
//!
//! Warm-up. Every trial starts empty and idle; the distance to the
//! stationary law then decays like e^(−t/τ). For M/M/1 the relaxation time
//! is τ = 1/(√μ − √λ)² (Morse 1955), and for M/M/c about 1/(√(cμ) − √λ)²
//! (the same queue in heavy traffic; the per-server term 1/μ = 10 ms is
//! shorter here); for the loss system it is of the order of 1/μ. Each
//! warm-up is at least 50 τ, which leaves a relative bias of order
//! e^(−50) ≈ 2e-22: negligible, so b does not include it. Requests that
//! arrive in the measured window are followed to completion after it ends,
//! so there is no truncation bias at the end either.
//!
//! Cost. About 55 M requests, 10 s in release on 2 cores (the M/M/1 at
//! ρ = 0.9 is most of it: its p99 needs ~35 M requests to get within 5%);
//! the queueing tests are ignored in debug builds, where they take minutes:
//! run them with `cargo test --release`.

use resim::drill::{Cause, DrillRequest, TrialResult, run_scenario};
use resim::engine::SimTime;
use resim::engine::mmc::MmcParams;
use resim::model::Model;
use resim::stats::histogram::MAX_RELATIVE_ERROR;

/// Standard errors allowed between the simulation and the theory.
const Z: f64 = 4.0;

/// Service rate μ [1/s] of every queue here (exponential, mean 10 ms).
const MU: f64 = 100.0;

fn run(text: &str, trials: u64, seed: u64) -> Vec<TrialResult> {
    let m = Model::parse(text, "theory.toml").unwrap_or_else(|e| panic!("{e}"));
    let req = DrillRequest {
        trials,
        seed,
        threads: 2,
        bin: SimTime(100 * SimTime::SECOND.0),
        snapshots: Vec::new(),
    };
    run_scenario(&m, &m.scenarios[0], &req, &|_| {}).expect("run")
}

/// One server component with `workers` workers, a queue of `queue`, the
/// given service distribution and Poisson arrivals at `rate`.
fn queue_model(
    workers: u32,
    queue: u32,
    service: &str,
    rate: f64,
    warmup_s: u32,
    duration_s: u32,
) -> String {
    format!(
        r#"
[components.server]
kind = "pods"
workers = {workers}
queue = {queue}
service = {service}
latency = {{ dist = "constant", value = "0s" }}
timeout = "60s"

[traffic]
rate = {rate:?}
read_ratio = 1.0
timeout = "60s"

[[scenarios]]
name = "steady"
duration = "{duration_s}s"
warmup = "{warmup_s}s"
"#
    )
}

const EXP_SERVICE: &str = r#"{ dist = "exponential", mean = "10ms" }"#;

/// A figure measured once per trial, across trials.
struct Across {
    mean: f64,
    /// Sample standard deviation across trials.
    sd: f64,
    n: usize,
}

impl Across {
    fn of(xs: impl Iterator<Item = f64>) -> Across {
        let v: Vec<f64> = xs.collect();
        assert!(v.iter().all(|x| x.is_finite()), "a trial has no value");
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        Across {
            mean,
            sd: var.sqrt(),
            n: v.len(),
        }
    }

    fn se(&self) -> f64 {
        self.sd / (self.n as f64).sqrt()
    }
}

/// Asserts |x̄ − theory| < Z·s/√n + `bias` and that this tolerance is under
/// 5% of `theory`.
fn assert_matches(case: &str, seed: u64, sim: &Across, theory: f64, bias: f64) {
    let tol = Z * sim.se() + bias;
    let err = sim.mean - theory;
    eprintln!(
        "{case}: simulated {:.6}, theory {theory:.6}, error {:+.2}%, tolerance {:.2}%",
        sim.mean,
        100.0 * err / theory,
        100.0 * tol / theory
    );
    assert!(
        err.abs() < tol,
        "{case}: simulated {:.6} vs theory {theory:.6} (error {err:.3e}, tolerance {tol:.3e} = \
         {Z}·{:.3e} + bias {bias:.3e}, {} trials); rerun with seed {seed}",
        sim.mean,
        sim.se(),
        sim.n
    );
    assert!(
        tol < 0.05 * theory,
        "{case}: tolerance {tol:.3e} is not under 5% of {theory:.6}"
    );
}

/// Every request of every trial succeeded (no timeout, no rejection), and
/// the arrivals are Poisson at `rate` over `duration_s`: the total over all
/// trials is Poisson with mean m = rate·duration·n, within Z·√m of it.
fn assert_all_succeed(case: &str, trials: &[TrialResult], rate: f64, duration_s: u32) {
    let m = rate * f64::from(duration_s) * trials.len() as f64;
    let offered: u64 = trials.iter().map(TrialResult::offered).sum();
    assert!(
        (offered as f64 - m).abs() < Z * m.sqrt(),
        "{case}: {offered} arrivals, expected {m} ± {Z}·{:.0}",
        m.sqrt()
    );
    for t in trials {
        assert_eq!(
            t.succeeded(),
            t.offered(),
            "{case}: trial {} failed requests {:?}",
            t.trial,
            t.failed()
        );
    }
}

/// Per trial, a gauge of component 0 averaged over the measured window
/// (every bin is as wide: the durations are whole multiples of the bin).
fn gauge(trials: &[TrialResult], f: impl Fn(&resim::drill::GaugeBin) -> f64) -> Across {
    Across::of(trials.iter().map(|t| {
        let g = &t.gauges[0];
        g.iter().map(&f).sum::<f64>() / g.len() as f64
    }))
}

/// Erlang B by the stable recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)).
fn erlang_b(servers: u32, a: f64) -> f64 {
    (1..=servers).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Erlang C from Erlang B: C = B / (1 − ρ(1 − B)).
fn erlang_c(servers: u32, a: f64) -> f64 {
    let b = erlang_b(servers, a);
    let rho = a / f64::from(servers);
    b / (1.0 - rho * (1.0 - b))
}

#[test]
fn formulas_match_known_values() {
    // Erlang B: B(1, a) = a/(1+a); B(2, 1) = 1/5; table value B(10, 5) = 0.018385.
    assert!((erlang_b(1, 0.5) - 1.0 / 3.0).abs() < 1e-15);
    assert!((erlang_b(2, 1.0) - 0.2).abs() < 1e-15);
    assert!((erlang_b(10, 5.0) - 0.018_384_7).abs() < 1e-6);
    // Erlang C: C(1, a) = ρ; C(4, 3) = 13.5/26.5 by hand; and the engine's formula.
    assert!((erlang_c(1, 0.9) - 0.9).abs() < 1e-15);
    assert!((erlang_c(4, 3.0) - 13.5 / 26.5).abs() < 1e-15);
    for (c, a) in [(4, 3.0), (16, 13.6), (16, 14.0)] {
        let p = MmcParams {
            arrival_rate: a * MU,
            service_rate: MU,
            servers: c,
        };
        let engine = p.wait_probability().expect("stable");
        assert!((engine - erlang_c(c, a)).abs() < 1e-12, "c {c} a {a}");
    }
}

/// M/M/1 FCFS: the response time is exponential with rate μ − λ, so its mean
/// is 1/(μ − λ) and its p99 is ln(100)/(μ − λ).
fn mm1(rho: f64, trials: u64, warmup_s: u32, duration_s: u32, seed: u64) {
    let lambda = rho * MU;
    let tau = 1.0 / (MU.sqrt() - lambda.sqrt()).powi(2);
    assert!(f64::from(warmup_s) >= 50.0 * tau, "warm-up too short");
    let text = queue_model(1, 100_000, EXP_SERVICE, lambda, warmup_s, duration_s);
    let trials = run(&text, trials, seed);
    let case = format!("M/M/1 at ρ = {rho}");
    assert_all_succeed(&case, &trials, lambda, duration_s);

    let mean = Across::of(
        trials
            .iter()
            .map(|t| t.latency.mean().expect("successes") / 1e9),
    );
    assert_matches(
        &format!("{case}, mean [s]"),
        seed,
        &mean,
        1.0 / (MU - lambda),
        0.0,
    );

    // The histogram reports a quantile within 1/64 of the sample's (relative):
    // |r − v| ≤ v/64 for each trial, so the mean of the reported values is
    // within v̄/64 ≤ r̄/63 of the mean of the true sample quantiles.
    let p99 = Across::of(
        trials
            .iter()
            .map(|t| t.latency.quantile(0.99).expect("successes") as f64 / 1e9),
    );
    let bias = p99.mean * MAX_RELATIVE_ERROR / (1.0 - MAX_RELATIVE_ERROR);
    let theory = 100f64.ln() / (MU - lambda);
    assert_matches(&format!("{case}, p99 [s]"), seed, &p99, theory, bias);

    // Time-weighted gauges: the server is busy a share ρ of the time, and
    // ρ²/(1 − ρ) requests wait on average.
    let busy = gauge(&trials, |g| g.busy);
    assert_matches(&format!("{case}, mean busy"), seed, &busy, rho, 0.0);
    let queued = gauge(&trials, |g| g.queued);
    let lq = rho * rho / (1.0 - rho);
    assert_matches(&format!("{case}, mean queued"), seed, &queued, lq, 0.0);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "statistical: run with cargo test --release"
)]
fn mm1_at_half_load() {
    // τ = 0.117 s; 10 s warm-up. 24 trials of ~50 000 requests.
    mm1(0.5, 24, 10, 1_000, 101);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "statistical: run with cargo test --release"
)]
fn mm1_at_90_percent_load() {
    // τ = 3.8 s; 200 s warm-up. At ρ = 0.9 response times are correlated over
    // thousands of requests, so the p99 needs ~35 M requests to get within 5%.
    mm1(0.9, 32, 200, 12_000, 102);
}

/// M/M/c: the probability of waiting is Erlang C, the mean wait C/(cμ − λ).
fn mmc(c: u32, rho: f64, trials: u64, warmup_s: u32, duration_s: u32, seed: u64) {
    let lambda = rho * f64::from(c) * MU;
    let tau = 1.0 / ((f64::from(c) * MU).sqrt() - lambda.sqrt()).powi(2);
    assert!(f64::from(warmup_s) >= 50.0 * tau, "warm-up too short");
    let text = queue_model(c, 100_000, EXP_SERVICE, lambda, warmup_s, duration_s);
    let trials = run(&text, trials, seed);
    let case = format!("M/M/{c} at ρ = {rho}");
    assert_all_succeed(&case, &trials, lambda, duration_s);

    let params = MmcParams {
        arrival_rate: lambda,
        service_rate: MU,
        servers: c,
    };
    let pw_theory = params.wait_probability().expect("stable");
    let wait_theory = pw_theory / (f64::from(c) * MU - lambda);
    let pw = Across::of(trials.iter().map(|t| t.calls[0].wait_probability()));
    let wait = Across::of(trials.iter().map(|t| t.calls[0].mean_wait_secs()));
    assert_matches(&format!("{case}, P(wait)"), seed, &pw, pw_theory, 0.0);
    assert_matches(
        &format!("{case}, mean wait [s]"),
        seed,
        &wait,
        wait_theory,
        0.0,
    );

    // Time-weighted gauges: a = λ/μ workers busy on average, and by Little's
    // law λ·W_q requests queued.
    let busy = gauge(&trials, |g| g.busy);
    assert_matches(&format!("{case}, mean busy"), seed, &busy, lambda / MU, 0.0);
    let queued = gauge(&trials, |g| g.queued);
    let lq = lambda * wait_theory;
    assert_matches(&format!("{case}, mean queued"), seed, &queued, lq, 0.0);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "statistical: run with cargo test --release"
)]
fn mmc_with_4_workers_is_erlang_c() {
    // a = 3, C = 0.5094; τ = 0.14 s, 20 s warm-up.
    mmc(4, 0.75, 24, 20, 400, 201);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "statistical: run with cargo test --release"
)]
fn mmc_with_16_workers_is_erlang_c() {
    // a = 13.6, τ = 0.11 s, 20 s warm-up.
    mmc(16, 0.85, 32, 20, 250, 202);
}

/// M/M/c/c (no queue): an arrival that finds every worker busy is turned
/// away with probability Erlang B, whatever the service distribution
/// (insensitivity), so a lognormal service time with the same mean gives the
/// same figure.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "statistical: run with cargo test --release"
)]
fn a_pod_with_no_queue_blocks_as_erlang_b() {
    let (c, a) = (8, 6.0);
    let theory = erlang_b(c, a); // 0.1217
    let lognormal = r#"{ dist = "lognormal", mean = "10ms", cv = 2.0 }"#;
    for (service, seed) in [(EXP_SERVICE, 301), (lognormal, 302)] {
        // Relaxation about 1/μ = 10 ms (longer for the lognormal's tail);
        // 20 s warm-up.
        let text = queue_model(c, 0, service, a * MU, 20, 100);
        let trials = run(&text, 24, seed);
        let case = format!("M/G/{c}/{c} at a = {a}, service {service}");
        for t in &trials {
            let calls = t.calls[0];
            assert_eq!(calls.arrived, calls.served + calls.rejected, "{case}");
            assert_eq!(calls.waited, 0, "{case}: a call waited with no queue");
            assert_eq!(t.failed()[Cause::QueueFull as usize], calls.rejected);
        }
        let b = Across::of(trials.iter().map(|t| t.calls[0].blocking_probability()));
        assert_matches(&format!("{case}, blocking"), seed, &b, theory, 0.0);
        // The carried load: a(1 − B) workers busy on average.
        let busy = gauge(&trials, |g| g.busy);
        assert_matches(
            &format!("{case}, mean busy"),
            seed,
            &busy,
            a * (1.0 - theory),
            0.0,
        );
    }
}

/// Three pods behind a round-robin load balancer (no health checks: it keeps
/// sending the dead pod its share); pod 0 crashes for a window W.
///
/// Theory. Arrivals at the pods in the window are Poisson, N ~ Poisson(λW)
/// (the client's Poisson stream shifted by constant latencies). Round robin
/// sends every third call to pod 0, so it refuses K = N/3 + e of them with
/// |e| ≤ 2/3 (the phase of the rotation). The crash also fails the calls it
/// holds: I, with mean (λ/3)·E[S] = 0.5 (each pod is 3% busy, so nobody
/// waits: the number in service is that of M/G/∞, Poisson). So
/// E[failed] = λW/3 + λE[S]/3 within 2/3, and
/// sd(failed) ≤ √(λW)/3 + 2/3 + √(λE[S]/3) (Minkowski).
///
/// Tolerance: Z·sd/√n + 2/3 with that sd, derived from the Poisson variance
/// rather than measured. Round robin makes it √3 smaller than a random split
/// (variance λW/9 rather than λW/3), which the sample variance must also show.
#[test]
fn a_crashed_pod_fails_its_third_of_the_requests() {
    let (rate, window_s, service_s): (f64, f64, f64) = (300.0, 60.0, 0.005);
    let text = r#"
[components.lb]
kind = "load_balancer"
depends_on = ["app"]
latency = { dist = "constant", value = "1ms" }

[components.app]
kind = "pods"
instances = 3
workers = 16
queue = 128
service = { dist = "exponential", mean = "5ms" }
latency = { dist = "constant", value = "1ms" }
timeout = "10s"

[traffic]
rate = "300/s"
timeout = "10s"

# Pods relax in milliseconds (3% busy); a 10 s warm-up is plenty.
[[scenarios]]
name = "pod-crash"
duration = "120s"
warmup = "10s"

[[scenarios.events]]
at = "30s"
fault = "crash"
target = "app"
instance = 0
duration = "60s"
"#;
    let (n, seed) = (40, 401);
    let trials = run(text, n, seed);
    let in_flight = rate / 3.0 * service_s;
    let theory = rate * window_s / 3.0 + in_flight; // 6000.5
    let sd = (rate * window_s).sqrt() / 3.0 + 2.0 / 3.0 + in_flight.sqrt();
    for t in &trials {
        let f = t.failed();
        let only = [Cause::Refused, Cause::ServerError];
        for c in Cause::ALL.iter().filter(|c| !only.contains(c)) {
            assert_eq!(
                f[*c as usize],
                0,
                "trial {}: {} failures",
                t.trial,
                c.name()
            );
        }
        // The calls the crash held, a handful at most.
        assert!(
            f[Cause::ServerError as usize] <= 5,
            "trial {}: {f:?}",
            t.trial
        );
    }
    let failed = Across::of(trials.iter().map(|t| t.failed().iter().sum::<u64>() as f64));
    let tol = Z * sd / (n as f64).sqrt() + 2.0 / 3.0;
    let err = failed.mean - theory;
    eprintln!(
        "pod crash: failed {:.2} per trial, theory {theory:.2}, error {err:+.2}, tolerance {tol:.2}; \
         sd {:.2} (Poisson bound {sd:.2})",
        failed.mean, failed.sd
    );
    assert!(
        err.abs() < tol,
        "pod crash: {:.2} failed per trial vs theory {theory:.2} (tolerance {tol:.2}); \
         rerun with seed {seed}",
        failed.mean
    );
    assert!(tol < 0.05 * theory);
    // The sample variance against the round-robin one: s²/σ² is χ²(n−1)/(n−1);
    // its 4-sigma bounds for 39 degrees of freedom (Wilson–Hilferty,
    // (1 − 2/(9ν) ± 4√(2/(9ν)))³) are 0.33 and 2.18. A random split (ratio 3)
    // would fail.
    let ratio = failed.sd.powi(2) / (rate * window_s / 9.0);
    assert!(
        (0.33..2.18).contains(&ratio),
        "pod crash: s²/(λW/9) = {ratio:.2}; rerun with seed {seed}"
    );
}
