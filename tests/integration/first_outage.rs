//! Time to first outage (issue 17 item 4): a 1-of-2 parallel pair with one
//! repair crew, against its closed form, in `resim check`'s exact chain and
//! in `resim availability`.
//!
//! From both up (state 2) the pair goes to one up (1) at rate 2λ, back at
//! μ, and down (absorbing) at λ. The mean time to first outage m₂ solves
//! m₂ = 1/(2λ) + m₁, m₁ = 1/(λ+μ) + μ/(λ+μ)·m₂, so m₂ = (3λ+μ)/(2λ²). Only
//! one unit is ever down before the outage, so the crew size does not
//! matter. The survival function is S(t) = (r₂e^{r₁t} − r₁e^{r₂t})/(r₂ − r₁)
//! with r₁,₂ the roots of r² + (3λ+μ)r + 2λ² = 0 (S(0) = 1, S'(0) = 0).

use resim::analytic::markov;
use resim::availability::{self, AvailabilityRequest};
use resim::engine::SimTime;
use resim::model::Model;

fn pair(mttf_h: f64, mttr_h: f64) -> Model {
    let text = format!(
        "[crews.ops]\nsize = 1\n[components.a]\ninstances = 2\ncrew = \"ops\"\n\
         failure = {{ dist = \"exponential\", mean = \"{mttf_h}h\" }}\n\
         repair = {{ dist = \"exponential\", mean = \"{mttr_h}h\" }}\n"
    );
    Model::parse(&text, "pair.toml").unwrap()
}

fn run(m: &Model, trials: u64, hours: u64) -> availability::AvailabilitySummary {
    let req = AvailabilityRequest {
        trials,
        horizon: SimTime(hours * SimTime::HOUR.0),
        seed: 11,
        threads: 2,
        ..Default::default()
    };
    availability::run(m, &req, |_, _| {}).expect("run").summary
}

#[test]
fn pair_mean_time_to_first_outage_matches_closed_form() {
    let (l, mu) = (0.1, 1.0); // per hour
    let want = (3.0 * l + mu) / (2.0 * l * l); // 65 h
    let m = pair(1.0 / l, 1.0 / mu);
    let exact = markov::solve(&m).unwrap();
    let got = exact.mean_time_to_first_outage_hours.unwrap();
    assert!((got / want - 1.0).abs() < 1e-9, "{got} vs {want}");
    // 2000 trials of 2000 h: every trial sees its first outage (P(none) ≈ e^-30),
    // so the mean is the sample mean with its Student-t interval (sd ≈ 65 h,
    // half-width ≈ 2.9 h: the check can fail by a 5% error).
    let s = run(&m, 2000, 2000);
    let f = &s.time_to_first_outage;
    assert_eq!(f.trials_with_outage, 2000);
    let [lo, hi] = f.mean_ci95.unwrap();
    assert!(lo <= want && want <= hi, "{want} outside {lo} .. {hi}");
    assert!(hi - lo < 0.1 * want, "{lo} .. {hi}");
    // The median of a near-exponential first-passage time: about ln 2 of the mean.
    let med = f.median_hours.unwrap();
    assert!((med / (want * 2f64.ln()) - 1.0).abs() < 0.1, "{med}");
}

#[test]
fn pair_probability_of_a_year_without_outage_matches_closed_form() {
    let (l, mu): (f64, f64) = (1.0 / 1000.0, 1.0 / 10.0); // MTTFF 51 500 h, about 5.9 years
    let (b, c) = (3.0 * l + mu, 2.0 * l * l);
    let disc = (b * b - 4.0 * c).sqrt();
    let (r1, r2) = ((-b + disc) / 2.0, (-b - disc) / 2.0);
    let t: f64 = 8760.0;
    let want = (r2 * (r1 * t).exp() - r1 * (r2 * t).exp()) / (r2 - r1);
    let m = pair(1000.0, 10.0);
    let exact = markov::solve(&m).unwrap();
    let got = exact.p_no_outage_in_a_year.unwrap();
    assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    // 4000 one-year trials: Wilson half-width ≈ 1.1 points around 0.84.
    let s = run(&m, 4000, 8760);
    let f = &s.time_to_first_outage;
    let [lo, hi] = f.p_no_outage_ci95;
    assert!(lo <= want && want <= hi, "{want} outside {lo} .. {hi}");
    assert!(hi - lo < 0.03, "{lo} .. {hi}");
    // Some trials saw none: the mean is time at risk over outages, near the truth.
    let mean = f.mean_hours.unwrap();
    let exact_mean = exact.mean_time_to_first_outage_hours.unwrap();
    assert!(
        (mean / exact_mean - 1.0).abs() < 0.15,
        "{mean} vs {exact_mean}"
    );
}
