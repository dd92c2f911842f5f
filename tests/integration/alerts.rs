//! Alerts in the drill (issue 13): rules evaluated on the drill's series
//! with Prometheus's `for`, actions waiting for an alert and then for the
//! on-call's delay and their own duration, the SRE workbook's burn-rate
//! pair from `[slo]`, and clear errors for bad rules.

use resim::drill::ScenarioSummary;
use resim::engine::SimTime;

use super::util::{drill, resim, scratch};

/// Two app pods behind a balancer at 200 req/s; every pod crashes at 60 s
/// (every request fails); the page is the error ratio over 30 s above 60%
/// held 30 s, evaluated every 30 s; the on-call repairs the app 30 s after
/// the page and the repair takes 20 s.
const OUTAGE: &str = r#"
[components.lb]
kind = "load_balancer"
depends_on = ["app"]

[components.app]
kind = "pods"
instances = 2
service = { dist = "constant", value = "1ms" }

[traffic]
rate = "200/s"
read_ratio = 1.0

[alerting]
evaluation_interval = "30s"

[[alerts]]
name = "RequestsFailing"
expr = "rate(requests_failed_total[30s]) / rate(requests_total[30s]) > 0.6"
for = "30s"
summary = "most requests fail"

[[alerts]]
name = "AppDown"
expr = "app.up < 1"
severity = "ticket"

[[scenarios]]
name = "s"
duration = "5m"
warmup = "20s"

[[scenarios.events]]
at = "60s"
fault = "crash"
target = "app"

[[scenarios.events]]
on_alert = "RequestsFailing"
after = "30s"
action = "repair"
target = "app"
takes = "20s"
"#;

fn secs(s: f64) -> SimTime {
    SimTime::from_secs_f64(s)
}

#[test]
fn an_action_waits_for_its_alert_then_for_the_on_call_and_its_own_time() {
    let (model, trials) = drill(OUTAGE, 2, 5);
    for t in &trials {
        // Samples every 10 s, evaluations every 30 s. The crash at 60 s
        // shows in the sample at 70 s; the evaluation at 90 s sees a ratio
        // near 1 over (60, 90]: pending; at 120 s it has held 30 s: firing.
        // The repair starts 30 s later (150 s) and lands at 170 s; the
        // window (150, 180] then holds 10 s of failures in 20 s (ratio 0.5,
        // under 0.6): resolved at 180 s. AppDown (no `for`) fires at the
        // first evaluation after the crash (90 s) and resolves at 180 s.
        let fired: Vec<(u16, SimTime, bool)> =
            t.alerts.iter().map(|a| (a.rule, a.at, a.firing)).collect();
        assert_eq!(
            fired,
            [
                (1, secs(90.0), true),
                (0, secs(120.0), true),
                (0, secs(180.0), false),
                (1, secs(180.0), false),
            ],
            "trial {}",
            t.trial
        );
        let events = &model.scenarios[0].events;
        let repair = (t.actions.iter())
            .find(|a| events[a.event as usize].on_alert.is_some())
            .expect("repair ran");
        assert_eq!(
            (repair.started, repair.done),
            (secs(150.0), Some(secs(170.0)))
        );
    }
    let s = ScenarioSummary::from_trials(&model, &model.scenarios[0], 10.0, &trials);
    let r = s.response.as_ref().expect("a response with an onset");
    assert_eq!(r.onset_s, 60.0);
    assert_eq!(
        r.detect_s.as_ref().map(|d| d.mean),
        Some(30.0),
        "AppDown at 90 s"
    );
    assert_eq!(r.mitigate_s.as_ref().map(|d| d.mean), Some(110.0));
    let page = &s.alerts[0];
    assert_eq!(page.time_to_detect_s.as_ref().map(|d| d.p50), Some(60.0));
    assert_eq!(page.false_alarms, 0);
    assert_eq!(page.episodes[0][0].resolved_s, Some(180.0));
    // The page and the repair are on the timeline (chart markers).
    assert!(
        s.timeline
            .iter()
            .any(|e| e.kind == "alert" && e.at_s == 120.0)
    );
    assert!(
        s.timeline
            .iter()
            .any(|e| e.kind == "action done" && e.at_s == 170.0)
    );
}

/// The same system without a fault: nothing fires, and an alert that does
/// (a threshold the healthy system crosses) counts as a false alarm.
#[test]
fn alerts_in_a_scenario_without_faults_are_false_alarms() {
    let quiet = OUTAGE
        .split("[[scenarios.events]]")
        .next()
        .unwrap()
        .replace("app.up < 1", "app.up > 1");
    let (model, trials) = drill(&quiet, 2, 5);
    let s = ScenarioSummary::from_trials(&model, &model.scenarios[0], 10.0, &trials);
    assert_eq!(s.alerts[0].trials_fired, 0);
    assert_eq!(
        s.alerts[1].false_alarms, 2,
        "AppDown inverted fires once per trial"
    );
    assert!(s.response.is_none(), "no onset, no response figures");
}

/// `[slo] alerts = "burn-rate"` generates the workbook's page pair; a total
/// outage trips the fast one (14.4x over 1 h and 5 m) at the first
/// evaluation after the errors show (domain.md §20: ~52 s into a total
/// outage at 99.9% with a full hour of history; here the history is the
/// 60 s before the crash, so the 1 h ratio crosses 1.44% within a sample).
#[test]
fn burn_rate_alerts_come_from_the_slo() {
    let text = OUTAGE
        .replace(
            "[alerting]",
            "[slo]\navailability = \"99.9%\"\nalerts = \"burn-rate\"\n\n[alerting]",
        )
        .replace(
            "on_alert = \"RequestsFailing\"",
            "on_alert = \"SLOBurnRateFast\"",
        );
    let (model, trials) = drill(&text, 1, 5);
    let names: Vec<&str> = (model.alerting.as_ref().unwrap().rules.iter())
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "RequestsFailing",
            "AppDown",
            "SLOBurnRateFast",
            "SLOBurnRateSlow"
        ]
    );
    let fast = trials[0].alerts.iter().find(|a| a.rule == 2 && a.firing);
    assert_eq!(fast.map(|a| a.at), Some(secs(90.0)));
    // The slow pair (6x over 6 h and 30 m) fires too: 100% errors is far
    // above 0.6%.
    assert!(trials[0].alerts.iter().any(|a| a.rule == 3 && a.firing));
}

/// `resim run` prints the alerts and the response, and `--at` shows
/// `amtool alert query`.
#[test]
fn run_prints_alerts_and_the_amtool_view() {
    let dir = scratch("alerts-run");
    std::fs::write(dir.join("m.toml"), OUTAGE).unwrap();
    let out = resim(
        &dir,
        &[
            "run", "m.toml", "--trials", "2", "--at", "150s", "--out", "o",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("alert         RequestsFailing (page): fired in 2 of 2 trials"),
        "{stdout}"
    );
    assert!(stdout.contains("to mitigate   1m50s"), "{stdout}");
    let summary = std::fs::read_to_string(dir.join("o/summary.json")).unwrap();
    assert!(summary.contains("\"time_to_detect_s\""), "{summary}");
    assert!(summary.contains("\"mitigate_s\""), "{summary}");
    let snap = std::fs::read_dir(dir.join("o/s"))
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name() == "snapshots.txt")
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .unwrap_or_default();
    assert!(
        snap.contains("$ amtool alert query") && snap.contains("RequestsFailing"),
        "{snap}"
    );
}

/// Runs `resim check` on `text` and returns (exit code, stderr).
fn check(case: &str, text: &str) -> (i32, String) {
    let dir = scratch(&format!("alerts-bad-{case}"));
    std::fs::write(dir.join("model.toml"), text).unwrap();
    let out = resim(&dir, &["check", "model.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{case}: {stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

/// The line and column (1-based) of the first `needle` in `text`, plus `skip` bytes.
fn position(text: &str, needle: &str, skip: usize) -> String {
    let at = text.find(needle).expect("needle in text") + skip;
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("model.toml:{line}:{col}:")
}

#[test]
fn bad_rules_are_reported_inside_the_expression() {
    // An unknown reading: the column is the name's first letter.
    let text = OUTAGE.replace("app.up < 1", "app.upp < 1");
    let (code, err) = check("unknown", &text);
    assert_eq!(code, 2, "{err}");
    let at = position(&text, "app.upp", 0);
    assert!(
        err.lines()
            .any(|l| l.starts_with(&at) && l.contains("no reading named 'app.upp'")),
        "want {at}: {err}"
    );
    assert!(err.contains("did you mean 'app.up'"), "{err}");
    // A syntax error: the column of the stray token.
    let text = OUTAGE.replace("app.up < 1", "app.up < < 1");
    let (code, err) = check("syntax", &text);
    assert_eq!(code, 2, "{err}");
    let at = position(&text, "< < 1", 2);
    assert!(
        err.lines()
            .any(|l| l.starts_with(&at) && l.contains("expected a reading")),
        "want {at}: {err}"
    );
    // An action waiting for an alert no rule defines.
    let text = OUTAGE.replace(
        "on_alert = \"RequestsFailing\"",
        "on_alert = \"RequestFailing\"",
    );
    let (code, err) = check("on-alert", &text);
    assert_eq!(code, 2, "{err}");
    let at = position(&text, "\"RequestFailing\"", 0);
    assert!(
        err.lines()
            .any(|l| l.starts_with(&at) && l.contains("no alert rule named 'RequestFailing'")),
        "want {at}: {err}"
    );
    assert!(err.contains("did you mean 'RequestsFailing'"), "{err}");
    // `after` without `on_alert`, and both `at` and `on_alert`.
    let text = OUTAGE.replace("on_alert = \"RequestsFailing\"\n", "at = \"2m\"\n");
    let (code, err) = check("after", &text);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("'after' needs on_alert") || err.contains(".after' needs on_alert"),
        "{err}"
    );
}
