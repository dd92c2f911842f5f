//! `[slo]` verdicts, a scenario's own traffic, and `--set` on every command
//! (issue 11, items 1-3).

use resim::drill::{ScenarioSummary, run_scenario};
use resim::model::Model;
use resim::slo::Verdict;

use super::util::{request, resim, scratch};

/// One pod of 4 workers (exponential 10 ms, μ = 100/s each) called
/// straight by the client.
const QUEUE: &str = r#"
[components.app]
kind = "pods"
workers = 4
queue = 1000
service = { dist = "exponential", mean = "10ms" }
latency = { dist = "constant", value = "0s" }
timeout = "60s"

[traffic]
rate = "100/s"
read_ratio = 0.9
timeout = "60s"
"#;

const SCENARIOS: &str = r#"
[[scenarios]]
name = "steady"
duration = "30s"
warmup = "5s"

[[scenarios]]
name = "spike"
duration = "30s"
warmup = "5s"
traffic = { rate = "250/s" }

[[scenarios]]
name = "reads"
duration = "30s"
warmup = "5s"
[scenarios.traffic]
read_ratio = 1.0
"#;

#[test]
fn a_scenario_brings_its_own_traffic_and_keeps_what_it_does_not_set() {
    let m = Model::parse(&format!("{QUEUE}{SCENARIOS}"), "t.toml").expect("valid");
    let spike = m.scenarios[1].traffic.as_ref().expect("own traffic");
    assert_eq!((spike.rate, spike.read_ratio), (250.0, 0.9));
    let reads = m.scenarios[2].traffic.as_ref().expect("own traffic");
    assert_eq!((reads.rate, reads.read_ratio), (100.0, 1.0));
    assert!(m.scenarios[0].traffic.is_none());
    // Offered requests follow each scenario's rate: Poisson counts over
    // 3 trials x 30 s, within 4 standard deviations (sqrt of the mean).
    for (sc, rate) in [(0, 100.0), (1, 250.0)] {
        let r = run_scenario(&m, &m.scenarios[sc], &request(3, 5), &|_| {}).expect("runs");
        let offered: u64 = r.iter().map(|t| t.offered()).sum();
        let expected = rate * 30.0 * 3.0;
        let tol = 4.0 * f64::sqrt(expected);
        assert!(
            (offered as f64 - expected).abs() < tol,
            "{}: {offered} offered, expected {expected} ± {tol}",
            m.scenarios[sc].name
        );
    }
}

#[test]
fn verdicts_with_margin_and_interval_land_in_the_summary() {
    // At 100/s on 4 workers (ρ = 0.25) the p99 response time is about
    // 10 ms x ln(100) = 46 ms: far under 1 s, far over 5 ms.
    let text = format!(
        "{QUEUE}{SCENARIOS}\n[slo]\navailability = \"99.9%\"\np99 = \"1s\"\n\"p99.9\" = \"5ms\"\n"
    );
    let m = Model::parse(&text, "t.toml").expect("valid");
    let names: Vec<&str> = (m.slo.as_ref().expect("slo").objectives.iter())
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(names, ["availability", "p99", "p99.9"]);
    let sc = &m.scenarios[0];
    let trials = run_scenario(&m, sc, &request(4, 3), &|_| {}).expect("runs");
    let s = ScenarioSummary::from_trials(&m, sc, 10.0, &trials);
    let verdicts: Vec<Verdict> = s.slo.iter().map(|j| j.verdict).collect();
    assert_eq!(
        verdicts,
        [Verdict::Met, Verdict::Met, Verdict::Missed],
        "{:?} {:?}",
        s.slo,
        s.availability
    );
    let p99 = &s.slo[1];
    assert!(p99.ci95[0] <= p99.measured && p99.measured <= p99.ci95[1]);
    assert!((p99.margin - (1.0 - p99.measured)).abs() < 1e-12);
    assert!(p99.measured > 0.02 && p99.measured < 0.1, "{p99:?}");
    // The keys other reports read.
    let json = serde_json::to_value(&s).expect("serialises");
    let entry = &json["slo"][2];
    for key in [
        "objective",
        "target",
        "measured",
        "ci95",
        "margin",
        "verdict",
    ] {
        assert!(entry.get(key).is_some(), "missing {key}: {entry}");
    }
    assert_eq!(entry["objective"], "p99.9");
    assert_eq!(entry["verdict"], "missed");
    assert_eq!(entry["target"], 0.005);
}

#[test]
fn an_slo_that_cannot_be_measured_is_located() {
    let cases = [
        ("[slo]\np100 = \"1s\"\n", "unknown objective 'p100'"),
        ("[slo]\navailability = \"150%\"\n", "between 0% and 100%"),
        ("[slo]\np99 = \"fast\"\n", "slo.p99"),
        ("[slo]\n", "sets no objective"),
    ];
    for (slo, want) in cases {
        let text = format!("{QUEUE}{SCENARIOS}{slo}");
        let e = Model::parse(&text, "t.toml").expect_err(slo).to_string();
        assert!(e.contains(want), "{slo}: {e}");
        assert!(e.starts_with("t.toml:"), "{e}");
    }
    // Without any traffic there is no request to measure.
    let no_traffic = "[components.app]\nkind = \"pods\"\n\n[slo]\np99 = \"1s\"\n";
    let e = Model::parse(no_traffic, "n.toml")
        .expect_err("no traffic")
        .to_string();
    assert!(e.contains("n.toml:4:1: [slo] cannot be measured"), "{e}");
}

#[test]
fn every_command_takes_set_and_names_the_bad_argument() {
    let dir = scratch("slo_set_cli");
    std::fs::write(dir.join("m.toml"), format!("{QUEUE}{SCENARIOS}")).expect("write");
    for cmd in ["run", "availability", "sweep"] {
        let mut args = vec![cmd, "m.toml", "--set", "nope.workers=5:75:2"];
        if cmd == "sweep" {
            args.extend(["--vary", "traffic.rate=10,20"]);
        }
        let out = resim(&dir, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
        assert!(
            err.starts_with("--set 'nope.workers=5:75:2': unknown path"),
            "{cmd}: {err}"
        );
    }
    // A run with an edit and an SLO prints its verdicts.
    let out = resim(
        &dir,
        &[
            "run",
            "m.toml",
            "--scenario",
            "steady",
            "--trials",
            "2",
            "--set",
            "traffic.rate=50/s",
            "--set",
            "slo.p99=2s",
            "--out",
            "o",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("SLO: met"), "{text}");
    let json = std::fs::read_to_string(dir.join("o/summary.json")).expect("summary");
    assert!(json.contains("\"verdict\": \"met\""), "{json}");
}
