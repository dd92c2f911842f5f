//! `resim availability --precision` and the interval keys of summary.json
//! (issue 18; the parsing cases from issue 15).

use super::util::{resim, scratch};

/// A 1-of-2 pair whose outages are rare: MTTF 30 d, MTTR 2 h, exact
/// unavailability 7.67e-6, about 0.07 outages a year.
const PAIR: &str = "[components.app]\ninstances = 2\nmin_up = 1\n\
                    failure = { dist = \"exponential\", mean = \"30d\" }\n\
                    repair = { dist = \"exponential\", mean = \"2h\" }\n";

fn run(case: &str, args: &[&str]) -> (i32, String, String, std::path::PathBuf) {
    let dir = scratch(&format!("precision-{case}"));
    std::fs::write(dir.join("pair.toml"), PAIR).expect("write model");
    let mut all = vec!["availability", "pair.toml", "--out", "out", "--threads", "2"];
    all.extend_from_slice(args);
    let out = resim(&dir, &all);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{case}: {stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        dir.join("out"),
    )
}

#[test]
fn precision_takes_a_percentage_or_a_fraction_and_refuses_a_bare_number() {
    let (code, _, err, _) = run("bare", &["--precision", "5"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("'5' is ambiguous: write 5% (or the fraction 0.05)"), "{err}");
    for bad in ["0", "100%", "abc", "-5%", "150"] {
        let arg = format!("--precision={bad}");
        let (code, _, err, _) = run("bad", &[arg.as_str()]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("--precision"), "{bad}: {err}");
    }
    let (code, _, err, _) = run("max0", &["--max-trials", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--max-trials must be at least 1"), "{err}");
}

/// The target cannot be met: the outages of the first 200 trials show that
/// ±5% needs tens of thousands of trials, beyond --max-trials 20000, so the
/// run stops there (not after 20000 trials) with the best interval reached.
/// `5%` and `0.05` give the same bytes.
#[test]
fn precision_out_of_reach_stops_early_with_the_best_interval() {
    let args = ["--trials", "200", "--max-trials", "20000"];
    let (code, out, err, dir) = run("rare", &[&args[..], &["--precision", "5%"]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("the precision target ±5.0% was not met"), "{out}");
    assert!(out.contains("stopped early"), "{out}");
    let json = std::fs::read_to_string(dir.join("summary.json")).expect("summary");
    let s: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert!(s["trials"].as_u64().expect("trials") < 20_000, "{json}");
    assert_eq!(s["precision"]["met"], false);
    assert!(s["precision"]["trials_needed"].as_u64().expect("needed") > 20_000);
    // The interval keys a report or an SLO reads.
    let ci = &s["availability"]["ci95"];
    let (lo, hi) = (ci[0].as_f64().expect("lo"), ci[1].as_f64().expect("hi"));
    assert!(0.0 <= lo && lo <= hi && hi <= 1.0, "{ci}");
    assert!(s["ci_method"].as_str().expect("method").starts_with("compound_poisson") || s["ci_method"] == "no_event_bound");
    assert!(s["ci_one_sided"].is_boolean() && s["effective_outages"].is_number());
    assert!(s["warnings"].as_array().expect("warnings").iter().any(|w| {
        let w = w.as_str().unwrap_or("");
        w.contains("outage") && w.contains("trials")
    }));
    let (_, out2, _, dir2) = run("rare-fraction", &[&args[..], &["--precision", "0.05"]].concat());
    assert_eq!(out, out2.replace(dir2.to_str().unwrap_or(""), dir.to_str().unwrap_or("")));
}
