//! The OOM runbook's views at `--at` times (issue 13, item 4): `kubectl
//! describe pod` (State, Last State: Terminated, Reason: OOMKilled, Exit
//! Code: 137, Restart Count, the back-off events) and `kubectl get events`,
//! and STATUS between restarts as the kubelet reports it: the termination
//! reason until its next sync (10 s later), then CrashLoopBackOff.

use resim::drill::{DrillSetup, TrialResult};
use resim::engine::SimTime;
use resim::k8s::CrashLoop;
use resim::model::Model;

fn secs(s: u64) -> SimTime {
    SimTime(s * SimTime::SECOND.0)
}

/// lb -> app: one pod that starts in 2 s; `memory` is its memory table,
/// `events` the scenario's timeline (no warm-up).
fn system(memory: &str, events: &str) -> Model {
    let text = format!(
        r#"
[components.lb]
kind = "load_balancer"
depends_on = ["app"]

[components.app]
kind = "pods"
instances = 1
workers = 4
service = {{ dist = "constant", value = "2ms" }}
timeout = "2s"

[components.app.pod]
start_time = {{ dist = "constant", value = "2s" }}
resources = {{ requests = {{ memory = "256Mi" }}, limits = {{ memory = "512Mi" }} }}
memory = {memory}

[traffic]
rate = "10/s"
read_ratio = 1.0
timeout = "5s"

[[scenarios]]
name = "s"
duration = "700s"
warmup = "0s"
{events}
"#
    );
    Model::parse(&text, "t.toml").expect("valid model")
}

fn snapshots(model: &Model, at: &[u64]) -> TrialResult {
    let setup = DrillSetup::new(
        model,
        &model.scenarios[0],
        model.traffic.as_ref().unwrap(),
        secs(10),
    )
    .with_snapshots(at.iter().map(|&s| secs(s)).collect(), 0);
    setup.run(0, 7)
}

/// The `kubectl get pods` row of the first `app` pod: (STATUS, RESTARTS).
fn pod_row(text: &str) -> (String, u32) {
    let row = text
        .lines()
        .find(|l| l.starts_with("app-"))
        .unwrap_or_else(|| panic!("no pod row in:\n{text}"));
    let f: Vec<&str> = row.split_whitespace().collect();
    (f[2].to_string(), f[3].parse().expect("a count"))
}

/// The describe section of a snapshot (up to `kubectl get events`).
fn describe(text: &str) -> &str {
    let start = text
        .find("$ kubectl describe pod")
        .unwrap_or_else(|| panic!("no describe in:\n{text}"));
    let end = text[start..]
        .find("$ kubectl get events")
        .map_or(text.len(), |e| start + e);
    &text[start..end]
}

/// The value of the first line of `section` that starts (trimmed) with `label`.
fn field<'a>(section: &'a str, label: &str) -> &'a str {
    section
        .lines()
        .map(str::trim_start)
        .find(|l| l.starts_with(label))
        .map(|l| l[label.len()..].trim())
        .unwrap_or_else(|| panic!("no {label} in:\n{section}"))
}

/// The lines of the Last State block of a describe.
fn last_state(section: &str) -> Vec<&str> {
    section
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("Last State:"))
        .take(5)
        .map(str::trim)
        .collect()
}

/// A container over its memory limit from the start (600Mi against 512Mi)
/// is OOM-killed at every start. With no warm-up the pod's first container
/// dies at the first memory check (1 s) and restarts at once; every later
/// one dies when its 2 s start-up ends, and the kubelet waits 10, 20, 40,
/// 80 s (domain.md §1): exits at 1, 3, 15, 37, 79 s, restarts at 1, 13,
/// 35, 77, 159 s. The views at 20, 30 and 100 s follow.
#[test]
fn describe_shows_the_oom_kill_the_restart_count_and_the_backoff() {
    // The expected timeline, from the kubelet's backoff itself.
    let mut crash = CrashLoop::new();
    let (mut exits, mut restarts) = (vec![1u64], Vec::new());
    for _ in 0..7 {
        let exit = *exits.last().unwrap();
        let r = crash.on_exit(secs(exit)).0 / SimTime::SECOND.0;
        restarts.push(r);
        exits.push(r + 2);
    }
    assert_eq!(exits[..5], [1, 3, 15, 37, 79]);
    assert_eq!(restarts[..5], [1, 13, 35, 77, 159]);
    // Then 160 s and the 300 s cap: exits at 161 and 323 s, restarts at 321
    // and 623 s.
    assert_eq!((exits[5], exits[6]), (161, 323));
    assert_eq!((restarts[5], restarts[6]), (321, 623));
    let restarted_by = |t: u64| restarts.iter().filter(|&&r| r < t).count() as u32;

    let model = system(r#"{ baseline = "600Mi" }"#, "");
    let r = snapshots(&model, &[20, 30, 100, 600]);
    let [s20, s30, s100, s600] = [0, 1, 2, 3].map(|k| &r.snapshots[k].text);

    // 20 s: 5 s after the exit at 15 s, before the kubelet's next sync
    // (25 s): Terminated, OOMKilled, 137; the exit at 3 s is Last State.
    assert_eq!(pod_row(s20), ("OOMKilled".to_string(), restarted_by(20)));
    let d = describe(s20);
    assert_eq!(field(d, "State:"), "Terminated");
    assert_eq!(field(d, "Reason:"), "OOMKilled");
    assert_eq!(field(d, "Exit Code:"), "137");
    assert_eq!(field(d, "Finished:"), "Mon, 07 Dec 2026 09:00:15 +0000");
    assert_eq!(field(d, "Restart Count:"), "2");
    assert_eq!(
        last_state(d),
        [
            "Last State:     Terminated",
            "Reason:       OOMKilled",
            "Exit Code:    137",
            "Started:      Mon, 07 Dec 2026 09:00:01 +0000",
            "Finished:     Mon, 07 Dec 2026 09:00:03 +0000",
        ]
    );

    // 30 s: the sync at 25 s showed the back-off: Waiting, CrashLoopBackOff,
    // the exit at 15 s as Last State; two restarts (1 s, 13 s).
    assert_eq!(
        pod_row(s30),
        ("CrashLoopBackOff".to_string(), restarted_by(30))
    );
    let d = describe(s30);
    assert_eq!(field(d, "State:"), "Waiting");
    assert_eq!(field(d, "Reason:"), "CrashLoopBackOff");
    assert_eq!(field(d, "Ready:"), "False");
    assert_eq!(field(d, "Restart Count:"), "2");
    assert_eq!(
        last_state(d),
        [
            "Last State:     Terminated",
            "Reason:       OOMKilled",
            "Exit Code:    137",
            "Started:      Mon, 07 Dec 2026 09:00:13 +0000",
            "Finished:     Mon, 07 Dec 2026 09:00:15 +0000",
        ]
    );
    assert_eq!(field(d, "Limits:"), "");
    assert_eq!(field(d, "memory:"), "512Mi");
    // BackOff at every sync inside a wait: 3 s (wait to 13 s), 15 and 25 s
    // (wait to 35 s): three, the first 27 s ago.
    let backoff = d
        .lines()
        .find(|l| l.trim_start().starts_with("Warning  BackOff"))
        .unwrap_or_else(|| panic!("no BackOff event in:\n{d}"));
    assert!(backoff.contains("5s (x3 over 27s)"), "{backoff}");
    assert!(
        backoff.contains("kubelet            Back-off restarting failed container app in pod app-"),
        "{backoff}"
    );
    assert!(d.contains("Started container app"), "{d}");

    // 100 s: inside the 80 s wait after the exit at 79 s: four restarts,
    // BackOff x10 (1 + 2 + 4 + the syncs at 79, 89, 99 s).
    assert_eq!(
        pod_row(s100),
        ("CrashLoopBackOff".to_string(), restarted_by(100))
    );
    assert_eq!(restarted_by(100), 4);
    let d = describe(s100);
    assert_eq!(field(d, "Restart Count:"), "4");
    assert_eq!(field(d, "Finished:"), "Mon, 07 Dec 2026 09:01:19 +0000");
    assert!(d.contains("1s (x10 over 97s)"), "{d}");

    // 600 s: inside the capped 300 s wait after the exit at 323 s: six
    // restarts. The kubelet's events for the pod have passed client-go's
    // spam filter's 25 (one more per 5 minutes) long before: the BackOff
    // count lags the 59 syncs so far and its last-seen time with it.
    assert_eq!(
        pod_row(s600),
        ("CrashLoopBackOff".to_string(), restarted_by(600))
    );
    assert_eq!(restarted_by(600), 6);
    let d = describe(s600);
    assert_eq!(field(d, "Restart Count:"), "6");
    assert_eq!(field(d, "Finished:"), "Mon, 07 Dec 2026 09:05:23 +0000");
    let backoff = d
        .lines()
        .find(|l| l.trim_start().starts_with("Warning  BackOff"))
        .unwrap_or_else(|| panic!("no BackOff event in:\n{d}"));
    let count: u32 = backoff
        .split("(x")
        .nth(1)
        .and_then(|x| x.split_whitespace().next())
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("no count in {backoff}"));
    assert!((15..59).contains(&count), "{backoff}");

    // `kubectl get events`: the node's OOM kills (node-problem-detector)
    // and the pod's back-off, newest last.
    let events = &s100[s100.find("$ kubectl get events").expect("get events")..];
    let header = events.lines().nth(1).unwrap();
    assert!(
        header.starts_with("LAST SEEN   TYPE      REASON")
            && header.contains("OBJECT")
            && header.ends_with("MESSAGE"),
        "{header}"
    );
    let ooms = events.lines().filter(|l| l.contains("OOMKilling")).count();
    assert_eq!(ooms, 5, "{events}");
    assert!(events.contains("node/node-1"), "{events}");
    assert!(
        events.contains("Memory cgroup out of memory: Killed process"),
        "{events}"
    );
    assert!(events.contains("BackOff"), "{events}");
}

/// A crash (exit code 1) shows as `Error`, then `CrashLoopBackOff`: the
/// crash fault at 60 s kills the running container (restart at once), the
/// next start crashes at 62 s (wait 10 s), then at 74 s (wait 20 s).
#[test]
fn a_crash_shows_error_with_exit_code_1() {
    let events = r#"
[[scenarios.events]]
at = "60s"
fault = "crash"
target = "app"
duration = "120s"
"#;
    let model = system(r#"{ baseline = "100Mi" }"#, events);
    let r = snapshots(&model, &[50, 80, 90]);
    assert_eq!(pod_row(&r.snapshots[0].text), ("Running".to_string(), 0));
    // Healthy and never restarted: nothing to describe.
    assert!(!r.snapshots[0].text.contains("kubectl describe pod"));
    let s80 = &r.snapshots[1].text;
    assert_eq!(pod_row(s80), ("Error".to_string(), 2));
    let d = describe(s80);
    assert_eq!(field(d, "State:"), "Terminated");
    assert_eq!(field(d, "Reason:"), "Error");
    assert_eq!(field(d, "Exit Code:"), "1");
    assert_eq!(
        pod_row(&r.snapshots[2].text),
        ("CrashLoopBackOff".to_string(), 2)
    );
}

/// A hung container fails its liveness probe (period 10 s, 3 failures: at
/// 30, 40, 50 s), the kubelet kills it (SIGTERM ignored, SIGKILL at the
/// 30 s grace end: exit 137, reason Error, at 80 s) and restarts it at
/// once. At 95 s: Last State Error 137, one restart, the probe failures
/// folded into one Unhealthy event with its count, and the Killing event.
#[test]
fn a_liveness_kill_is_error_137_with_unhealthy_and_killing_events() {
    let events = r#"
[[scenarios.events]]
at = "30s"
fault = "hold"
target = "app"
"#;
    let model = system("{ baseline = \"100Mi\" }\nliveness_probe = {}", events);
    let r = snapshots(&model, &[95]);
    let s = &r.snapshots[0].text;
    assert_eq!(pod_row(s), ("Running".to_string(), 1));
    let d = describe(s);
    assert_eq!(field(d, "State:"), "Running");
    let last = last_state(d);
    assert_eq!(last[1], "Reason:       Error", "{d}");
    assert_eq!(last[2], "Exit Code:    137", "{d}");
    assert_eq!(
        last[4], "Finished:     Mon, 07 Dec 2026 09:01:20 +0000",
        "{d}"
    );
    let unhealthy = d
        .lines()
        .find(|l| l.contains("Unhealthy"))
        .unwrap_or_else(|| panic!("no Unhealthy in:\n{d}"));
    assert!(unhealthy.contains("45s (x3 over 65s)"), "{unhealthy}");
    assert!(unhealthy.contains("Liveness probe failed: "), "{unhealthy}");
    assert!(
        d.contains("Container app failed liveness probe, will be restarted"),
        "{d}"
    );
}

fn bundled() -> Model {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/k8s-oom-crashloop.toml");
    Model::load(std::path::Path::new(path)).expect("bundled model")
}

/// The runbook's model, every 5 s from 2 to 12 min: each pod row's STATUS
/// is OOMKilled within 10 s of its last exit (RESTARTS' `(… ago)`) when it
/// waits to restart and CrashLoopBackOff after that; both are seen. Each
/// described pod has Last State Terminated, OOMKilled, 137 and the Restart
/// Count of its row, and its events the kubelet's back-off message.
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn the_oom_runbook_views_agree_with_the_pod_table() {
    let model = bundled();
    let at: Vec<u64> = (24..144).map(|k| k * 5).collect();
    let setup = DrillSetup::new(
        &model,
        &model.scenarios[0],
        model.traffic.as_ref().unwrap(),
        secs(10),
    )
    .with_snapshots(at.iter().map(|&s| secs(s)).collect(), 0);
    let r = setup.run(0, 1);
    let (mut oom, mut clb, mut described) = (0, 0, 0);
    for s in &r.snapshots {
        let rows: Vec<Vec<&str>> = s
            .text
            .lines()
            .filter(|l| l.starts_with("web-app-"))
            .map(|l| l.split_whitespace().collect())
            .collect();
        for f in &rows {
            let ago = f.iter().find(|x| x.starts_with('(')).map(|x| {
                let x = x.trim_start_matches('(');
                kubectl_secs(x)
            });
            match f[2] {
                "OOMKilled" => {
                    oom += 1;
                    assert!(ago.is_some_and(|a| a < 10), "{f:?} at {}", s.at_s);
                }
                "CrashLoopBackOff" => {
                    clb += 1;
                    assert!(ago.is_some_and(|a| a >= 10), "{f:?} at {}", s.at_s);
                }
                _ => {}
            }
        }
        for d in s.text.split("$ kubectl describe pod ").skip(1) {
            let d = &d[..d.find("$ kubectl get events").unwrap_or(d.len())];
            let name = d.lines().next().unwrap().trim();
            let row = rows
                .iter()
                .find(|f| f[0] == name)
                .unwrap_or_else(|| panic!("{name} described, not listed"));
            assert_eq!(field(d, "Restart Count:"), row[3], "{name} at {}", s.at_s);
            if row[3] != "0" {
                described += 1;
                // The first exit restarts at once: no back-off yet.
                let last = last_state(d);
                assert_eq!(last[0], "Last State:     Terminated", "{d}");
                assert_eq!(last[1], "Reason:       OOMKilled", "{d}");
                assert_eq!(last[2], "Exit Code:    137", "{d}");
                assert!(
                    row[3] == "1"
                        || d.contains(&format!(
                            "Back-off restarting failed container web-app in pod {name}_default("
                        )),
                    "{d}"
                );
            }
        }
    }
    assert!(
        oom > 0 && clb > 0,
        "OOMKilled {oom}, CrashLoopBackOff {clb}"
    );
    assert!(described > 50, "{described}");
}

/// Seconds of a kubectl age (`45s`, `3m12s`, `12m`).
fn kubectl_secs(s: &str) -> u64 {
    let s = s.trim_end_matches(')');
    let (m, rest) = s.split_once('m').unwrap_or(("0", s));
    let sec = rest.trim_end_matches('s');
    m.parse::<u64>().unwrap_or(0) * 60 + sec.parse::<u64>().unwrap_or(0)
}
