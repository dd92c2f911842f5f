//! Importance sampling (`availability --method is`, issue 16) against the
//! exact Markov chain that `resim check` solves.

use resim::analytic::markov;
use resim::model::Model;
use resim::rare_event::{self, IsRequest};

fn exp(mttf: &str, mttr: &str) -> String {
    format!(
        "failure = {{ dist = \"exponential\", mean = \"{mttf}\" }}\n\
         repair = {{ dist = \"exponential\", mean = \"{mttr}\" }}\n"
    )
}

fn model(text: &str) -> Model {
    Model::parse(text, "t.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn exact_u(m: &Model) -> f64 {
    1.0 - markov::solve(m).expect("exponential").availability
}

/// Models from 1e-6 to 1e-9 (exact values in the comments): k-of-n with
/// independent repair (7.5e-7, 3.1e-8, 1.3e-9) and with one shared crew
/// (2.4e-7, 2.0e-8, 3.0e-9), a quorum on failing nodes, a database failover.
fn cases() -> Vec<(&'static str, String)> {
    vec![
        (
            "2-of-3, independent repair",
            format!(
                "[components.db]\ninstances = 3\nmin_up = 2\n{}",
                exp("2000h", "1h")
            ),
        ),
        (
            "2-of-3, one crew",
            format!(
                "[crews.ops]\nsize = 1\n[components.db]\ninstances = 3\nmin_up = 2\ncrew = \"ops\"\n{}",
                exp("5000h", "1h")
            ),
        ),
        (
            "1-of-3, independent repair",
            format!(
                "[components.db]\ninstances = 3\nmin_up = 1\n{}",
                exp("900h", "1h")
            ),
        ),
        (
            "2-of-4, one crew",
            format!(
                "[crews.ops]\nsize = 1\n[components.db]\ninstances = 4\nmin_up = 2\ncrew = \"ops\"\n{}",
                exp("1000h", "30m")
            ),
        ),
        (
            "2-of-3 on three nodes",
            format!(
                "[groups.n1]\n{g}[groups.n2]\n{g}[groups.n3]\n{g}\
                 [components.db]\ninstances = 3\nmin_up = 2\nplacement = [\"n1\", \"n2\", \"n3\"]\n{}",
                exp("4000h", "1h"),
                g = exp("20000h", "2h")
            ),
        ),
        (
            "database failover",
            format!(
                "[components.db]\nkind = \"database\"\nreplicas = 2\n\
                 failover = {{ dist = \"exponential\", mean = \"30s\" }}\n{}",
                exp("20000h", "1h")
            ),
        ),
        (
            "2-of-4, independent repair",
            format!(
                "[components.db]\ninstances = 4\nmin_up = 2\n{}",
                exp("500h", "1h")
            ),
        ),
        (
            "1-of-2, one crew",
            format!(
                "[crews.ops]\nsize = 1\n[components.db]\ninstances = 2\nmin_up = 1\ncrew = \"ops\"\n{}",
                exp("20000h", "2h")
            ),
        ),
    ]
}

fn run(m: &Model, cycles: u64, seed: u64, threads: usize) -> rare_event::IsEstimate {
    let req = IsRequest {
        cycles,
        seed,
        threads,
        ..Default::default()
    };
    rare_event::run(m, &req, |_, _| {}).expect("applies")
}

/// On every case the estimate's 95% interval holds the exact value, and
/// 20 000 biased cycles (a fraction of a second) give ±7% or better where
/// plain Monte Carlo would need hundreds of times the events.
#[test]
fn estimates_hold_the_exact_value_from_1e6_to_1e9() {
    for (name, text) in cases() {
        let m = model(&text);
        let exact = exact_u(&m);
        assert!((1e-9..=1e-6).contains(&exact), "{name}: exact {exact:e}");
        let est = run(&m, 20_000, 1, 2);
        let (lo, hi) = est.ci95;
        assert!(
            lo <= exact && exact <= hi,
            "{name}: exact {exact:e} outside {lo:e}..{hi:e} ({est:?})"
        );
        assert!(est.relative_half_width < 0.08, "{name}: {est:?}");
        assert!(est.warnings.is_empty(), "{name}: {:?}", est.warnings);
        if !name.contains("failover") {
            // Failover-dominated downtime is not rare: no gain expected there.
            assert!(est.speedup > 100.0, "{name}: {est:?}");
        }
    }
}

/// 200 seeded repetitions of 2000 biased cycles on the 2-of-3 with one crew
/// (U = 2.4e-7): the intervals cover the exact value in 95 ± 3% of them
/// (binomial sd of the share 1.5%, so ±3% is 2 sd).
#[test]
fn intervals_cover_the_exact_value_in_95_percent_of_repetitions() {
    let (_, text) = &cases()[1];
    let m = model(text);
    let exact = exact_u(&m);
    let reps = 200;
    let covered = (0..reps)
        .filter(|&r| {
            let (lo, hi) = run(&m, 2000, 1000 + r, 2).ci95;
            lo <= exact && exact <= hi
        })
        .count();
    let share = covered as f64 / reps as f64;
    assert!((0.92..=0.98).contains(&share), "coverage {share}");
}

/// The same seed gives the same figures whatever the thread count.
#[test]
fn results_do_not_depend_on_threads() {
    let m = model(&cases()[3].1);
    assert_eq!(run(&m, 3000, 7, 1), run(&m, 3000, 7, 4));
    let req = |threads| IsRequest {
        seed: 7,
        threads,
        ..Default::default()
    };
    let year = resim::engine::SimTime::YEAR.as_secs_f64();
    assert_eq!(
        rare_event::outage_within(&m, &req(1), year, 300).unwrap(),
        rare_event::outage_within(&m, &req(4), year, 300).unwrap()
    );
}

/// General repairs, where no exact chain exists: a 2-of-3 with gamma
/// repairs and a database with the default constant failover, at
/// unavailabilities plain Monte Carlo resolves (about 1e-4), agree with it
/// within 3 standard errors of their difference.
#[test]
fn general_repairs_agree_with_plain_monte_carlo() {
    use resim::availability::{self, AvailabilityRequest};
    use resim::engine::SimTime;
    let texts = [
        "[crews.ops]\nsize = 1\n[components.db]\ninstances = 3\nmin_up = 2\ncrew = \"ops\"\n\
         failure = { dist = \"exponential\", mean = \"200h\" }\n\
         repair = { dist = \"gamma\", shape = 3.0, mean = \"2h\" }\n",
        "[components.db]\nkind = \"database\"\nreplicas = 1\n\
         failure = { dist = \"exponential\", mean = \"100h\" }\n\
         repair = { dist = \"uniform\", min = \"1h\", max = \"3h\" }\n",
    ];
    for text in texts {
        let m = model(text);
        let is = run(&m, 20_000, 3, 2);
        let req = AvailabilityRequest {
            trials: 400,
            horizon: SimTime(2 * SimTime::YEAR.0),
            seed: 5,
            threads: 2,
            grid_points: 1,
            ..Default::default()
        };
        let mc = availability::run(&m, &req, |_, _| {}).expect("runs");
        let u = &mc.summary.unavailability;
        let se_mc = (u.ci95[1] - u.ci95[0]) / (2.0 * 1.96);
        let se_is = is.unavailability * is.relative_error;
        let z = (is.unavailability - u.mean) / (se_mc * se_mc + se_is * se_is).sqrt();
        assert!(z.abs() < 3.0, "IS {is:?} against MC {u:?}: z = {z}");
    }
}

#[test]
fn refuses_models_outside_the_method_naming_the_part() {
    let cases = [
        (
            "[components.web]\ninstances = 2\n\
             failure = { dist = \"weibull\", shape = 2.0, mean = \"100h\" }\n\
             repair = { dist = \"exponential\", mean = \"1h\" }\n",
            "component 'web'",
            "exponential failure times",
        ),
        (
            "[components.db]\ninstances = 3\nmin_up = 2\n\
             failure = { dist = \"exponential\", mean = \"100h\" }\n\
             repair = { dist = \"lognormal\", median = \"1h\", p95 = \"4h\" }\n",
            "component 'db'",
            "heavy-tailed",
        ),
        (
            "[groups.n1]\nfailure = { dist = \"exponential\", mean = \"100h\" }\n\
             repair = { dist = \"weibull\", shape = 0.5, mean = \"1h\" }\n\
             [components.db]\ninstances = 2\nplacement = [\"n1\"]\n",
            "group 'n1'",
            "heavy-tailed",
        ),
        (
            "[components.app]\ninstances = 3\nmin_up = 2\n\
             failure = { dist = \"exponential\", mean = \"100h\" }\n\
             repair = { dist = \"exponential\", mean = \"1h\" }\n\
             [changes]\nrate = \"1/d\"\nbad = 0.05\neffect = \"crash\"\ntargets = [\"app\"]\n\
             detect = { dist = \"exponential\", mean = \"10m\" }\n\
             rollback = { dist = \"exponential\", mean = \"5m\" }\n",
            "the [changes] of component 'app'",
            "crash",
        ),
    ];
    for (text, what, why) in cases {
        let e = rare_event::System::new(&model(text))
            .err()
            .expect("refused");
        let msg = e.to_string();
        assert!(msg.contains(what) && msg.contains(why), "{msg}");
    }
}

/// `--method is` on a model it cannot cover: exit 2, naming the component
/// and the reason.
#[test]
fn cli_refuses_is_naming_the_component_and_reason() {
    let dir = crate::util::scratch("rare_event_refuse");
    std::fs::write(
        dir.join("m.toml"),
        "[components.db]\ninstances = 3\nmin_up = 2\n\
         failure = { dist = \"exponential\", mean = \"100h\" }\n\
         repair = { dist = \"lognormal\", median = \"1h\", p95 = \"4h\" }\n",
    )
    .unwrap();
    let out = crate::util::resim(&dir, &["availability", "m.toml", "--method", "is"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("m.toml: --method is")
            && err.contains("component 'db'")
            && err.contains("heavy-tailed"),
        "{err}"
    );
    assert!(
        !dir.join("results").exists(),
        "nothing written on bad input"
    );
}

/// Plain Monte Carlo is the default and `--method mc` changes nothing: the
/// same trials, byte for byte.
#[test]
fn cli_plain_monte_carlo_stays_the_default() {
    let dir = crate::util::scratch("rare_event_default");
    std::fs::write(dir.join("m.toml"), cases()[0].1.clone()).unwrap();
    let base = ["availability", "m.toml", "--trials", "50", "--seed", "3"];
    let a = crate::util::resim(&dir, &[&base[..], &["--out", "a"]].concat());
    let b = crate::util::resim(
        &dir,
        &[&base[..], &["--out", "b", "--method", "mc"]].concat(),
    );
    assert!(a.status.success() && b.status.success());
    let csv = |d: &str| std::fs::read(dir.join(d).join("trials.csv")).unwrap();
    assert_eq!(csv("a"), csv("b"));
    let head = |o: &std::process::Output| {
        let s = String::from_utf8_lossy(&o.stdout).to_string();
        s[..s.find("wrote").unwrap()].to_string()
    };
    assert_eq!(head(&a), head(&b));
}

/// The bundled quorum at 7+ nines: `--method is --precision 5%` holds the
/// exact value 3q²(1 − q) + q³ (independent members, insensitive to the
/// repair distribution) and reports a speed-up over plain Monte Carlo.
#[test]
fn cli_quorum_db_by_importance_sampling() {
    let dir = crate::util::scratch("rare_event_quorum");
    let model = crate::util::repo().join("models/quorum-db.toml");
    let out = crate::util::resim(
        &dir,
        &[
            "availability",
            model.to_str().unwrap(),
            "--method",
            "is",
            "--precision",
            "5%",
            "--out",
            "o",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("o/summary.json")).unwrap()).unwrap();
    let is = &json["importance_sampling"];
    let f = |k: &str| is[k].as_f64().unwrap();
    let q = 7.0 / (30.0 * 24.0 * 60.0 + 7.0);
    let exact = 3.0 * q * q * (1.0 - q) + q * q * q;
    let (lo, hi) = (
        is["ci95"][0].as_f64().unwrap(),
        is["ci95"][1].as_f64().unwrap(),
    );
    assert!(lo <= exact && exact <= hi, "{exact:e} outside {is}");
    assert!(f("relative_half_width") <= 0.05, "{is}");
    assert!(-f("unavailability").log10() > 7.0, "{is}");
    assert!(f("speedup") > 100.0, "{is}");
    // P(outage within the horizon, a year) beside it, with its interval.
    let ow = &json["outage_within_horizon"];
    let p = ow["probability"].as_f64().unwrap();
    let (plo, phi) = (
        ow["ci95"][0].as_f64().unwrap(),
        ow["ci95"][1].as_f64().unwrap(),
    );
    assert_eq!(ow["horizon_hours"].as_f64(), Some(8760.0), "{ow}");
    assert!(plo < p && p < phi && phi - plo < 0.2 * p, "{ow}");
    // The availability a Monte Carlo summary would hold, from the estimate.
    let a = json["availability"]["mean"].as_f64().unwrap();
    assert!((1.0 - a - f("unavailability")).abs() < 1e-15, "{json}");
    // The report page shows the figures a design review reads, and none
    // of a Monte Carlo page's that would mislead here.
    let md = std::fs::read_to_string(dir.join("o/report.md")).unwrap();
    for want in [
        "unavailability (long run)",
        "P(outage within 8760 h)",
        "relative error",
        "effective sample size",
        "speed-up",
        "importance sampling",
    ] {
        assert!(md.contains(want), "report.md lacks '{want}':\n{md}");
    }
    for wrong in ["n/a", "no outage observed", "Monte Carlo over component"] {
        assert!(!md.contains(wrong), "report.md shows '{wrong}':\n{md}");
    }
    assert!(dir.join("o/report.html").exists());
}

/// A run too short to trust: the warning reaches the report page, saying
/// which estimate it is about.
#[test]
fn cli_warnings_reach_the_report() {
    let dir = crate::util::scratch("rare_event_warn");
    std::fs::write(dir.join("m.toml"), cases()[1].1.clone()).unwrap();
    let out = crate::util::resim(
        &dir,
        &[
            "availability",
            "m.toml",
            "--method",
            "is",
            "--cycles",
            "40",
            "--out",
            "o",
        ],
    );
    assert!(out.status.success());
    let md = std::fs::read_to_string(dir.join("o/report.md")).unwrap();
    assert!(
        md.contains("> warning: steady-state unavailability: only"),
        "{md}"
    );
}

/// P(outage within a year) from all new and up, by importance sampling over
/// regeneration cycles, holds the exact value of the chain's first passage
/// (`resim check`'s P(no outage within a year), by uniformization).
#[test]
fn outage_within_a_year_holds_the_exact_value() {
    let year = resim::engine::SimTime::YEAR.as_secs_f64();
    for (name, text) in cases() {
        let m = model(&text);
        let exact = 1.0
            - markov::solve(&m)
                .unwrap()
                .p_no_outage_in_a_year
                .expect("uniformization");
        let req = IsRequest {
            seed: 2,
            threads: 2,
            ..Default::default()
        };
        let est = rare_event::outage_within(&m, &req, year, 2000).expect("applies");
        let (lo, hi) = est.ci95;
        assert!(
            lo <= exact && exact <= hi,
            "{name}: exact {exact:e} outside {lo:e}..{hi:e} ({est:?})"
        );
    }
}

/// The workstation cluster of Haverkort, Hermanns and Katoen with N = 2
/// (`models/workstation-cluster.toml`: one repair unit, random order,
/// switches and backbone). Importance sampling applies to it as bundled,
/// but its unavailability, 3.7e-5, is above the 1e-6 .. 1e-9 range the
/// method is for (`--method auto` keeps plain Monte Carlo there); with every
/// repair ten times faster (`--set`, as a user would) it is 3.7e-7. On both
/// the estimate's 95% interval holds the exact chain's value, and so does
/// the interval of P(outage within a year).
#[test]
fn workstation_cluster_holds_the_exact_value() {
    let path = crate::util::repo().join("models/workstation-cluster.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut sets: Vec<String> = ["ws-left-1", "ws-left-2", "ws-right-1", "ws-right-2"]
        .iter()
        .map(|c| format!("{c}.repair={{ dist = \"exponential\", mean = \"3m\" }}"))
        .collect();
    sets.push("switch-left.repair={ dist = \"exponential\", mean = \"24m\" }".into());
    sets.push("switch-right.repair={ dist = \"exponential\", mean = \"24m\" }".into());
    sets.push("backbone.repair={ dist = \"exponential\", mean = \"48m\" }".into());
    let bundled = model(&text);
    let fast = resim::overrides::apply_sets(&text, "workstation-cluster.toml", &sets)
        .unwrap_or_else(|e| panic!("{e}"));
    let year = resim::engine::SimTime::YEAR.as_secs_f64();
    for (name, m, range) in [
        ("as bundled", &bundled, 1e-5..1e-4),
        ("repairs ten times faster", &fast, 1e-9..1e-6),
    ] {
        let exact = markov::solve(m).unwrap();
        let u = 1.0 - exact.availability;
        assert!(range.contains(&u), "{name}: exact {u:e}");
        let est = run(m, 20_000, 1, 2);
        let (lo, hi) = est.ci95;
        assert!(
            lo <= u && u <= hi,
            "{name}: exact {u:e} outside {lo:e}..{hi:e} ({est:?})"
        );
        assert!(est.relative_half_width < 0.25, "{name}: {est:?}");
        let p = 1.0 - exact.p_no_outage_in_a_year.expect("uniformization");
        let req = IsRequest {
            seed: 4,
            threads: 2,
            ..Default::default()
        };
        let o = rare_event::outage_within(m, &req, year, 1000).expect("applies");
        assert!(
            o.ci95.0 <= p && p <= o.ci95.1,
            "{name}: exact P(outage within a year) {p:e} outside {o:?}"
        );
    }
}

/// The interval of P(outage within a year) covers the exact value in
/// 95 ± 3% of 200 seeded repetitions of 500 paths on the 2-of-3 with one
/// crew (P = 2.1e-3).
#[test]
fn outage_within_intervals_cover_in_95_percent_of_repetitions() {
    let m = model(&cases()[1].1);
    let exact = 1.0 - markov::solve(&m).unwrap().p_no_outage_in_a_year.unwrap();
    let year = resim::engine::SimTime::YEAR.as_secs_f64();
    let reps = 200;
    let covered = (0..reps)
        .filter(|&r| {
            let req = IsRequest {
                seed: 5000 + r,
                threads: 2,
                ..Default::default()
            };
            let o = rare_event::outage_within(&m, &req, year, 500).unwrap();
            o.ci95.0 <= exact && exact <= o.ci95.1
        })
        .count();
    let share = covered as f64 / reps as f64;
    assert!((0.92..=0.98).contains(&share), "coverage {share}");
}

/// `resim check --set` gives the exact figures of the variant a run used:
/// the workstation cluster with its repairs ten times faster.
#[test]
fn cli_check_takes_set_for_the_exact_variant() {
    let dir = crate::util::scratch("rare_event_check_set");
    let model = crate::util::repo().join("models/workstation-cluster.toml");
    let mut args = vec!["check".to_string(), model.display().to_string()];
    for (c, mean) in [
        ("ws-left-1", "3m"),
        ("ws-left-2", "3m"),
        ("ws-right-1", "3m"),
        ("ws-right-2", "3m"),
        ("switch-left", "24m"),
        ("switch-right", "24m"),
        ("backbone", "48m"),
    ] {
        args.push("--set".into());
        args.push(format!(
            "{c}.repair={{ dist = \"exponential\", mean = \"{mean}\" }}"
        ));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = crate::util::resim(&dir, &args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("exact (Markov chain, 449 states): 0.99999965"),
        "{text}"
    );
}
