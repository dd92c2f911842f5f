//! `kubectl describe pod` and `kubectl get events` at `resim run --at`
//! times, in kubectl's layout (k8s: staging/src/k8s.io/kubectl/pkg/describe
//! `describePod`, `DescribeEvents`; pkg/printers/internalversion
//! `printEvent`).
//!
//! Only the pods that matter are described: those not Running and Ready or
//! with restarts, the worst first, at most [`MAX_DESCRIBED`] per component.
//! A container's state follows the kubelet (pkg/kubelet/kubelet_pods.go
//! `convertToAPIContainerStatuses`): after an exit it is Terminated
//! (OOMKilled or Error, with its exit code) until the kubelet's next sync
//! shows the back-off it recorded, then Waiting: CrashLoopBackOff with the
//! exit as Last State; once restarted, Running with the exit as Last State.
//!
//! Clock times (Start Time, Started, Finished) put the end of the warm-up
//! at [`EPOCH`]; IP addresses are made up (the model has no network), and
//! so is the probes' handler (`http-get :8080/healthz`): the model knows
//! their timings, not their endpoints.

use std::fmt::Write as _;

use super::events::{BACKOFF_SYNC, pod_ip, stamp, with_backoff_so_far};
use super::view::{age, pod_name, shows_ready};
use super::{Pod, PodPhase, Termination};
use crate::drill::sim::DrillTrial;
use crate::engine::SimTime;
use crate::k8s::events::{Event, EventLog, Stamp};
use crate::model::k8s_spec::{ProbeSpec, Resources};

/// Pods described per component at one `--at` time.
pub(in crate::drill) const MAX_DESCRIBED: usize = 2;
/// Rows of `kubectl get events` shown (the latest).
const MAX_EVENT_ROWS: usize = 40;
/// The wall clock at the end of the warm-up: Mon, 07 Dec 2026 09:00:00 UTC
/// [Unix seconds].
pub(in crate::drill) const EPOCH: i64 = 1_796_634_000;

/// One line of a describe section: a `label:\tvalue` pair aligned with its
/// neighbours (Go's tabwriter, padding 2), a line on its own that ends the
/// alignment block, or a bare block end.
enum Line {
    Kv(String, String),
    Text(String),
    Break,
}

fn kv(label: &str, value: impl Into<String>) -> Line {
    Line::Kv(label.to_string(), value.into())
}

fn text(t: &str) -> Line {
    Line::Text(t.to_string())
}

/// Writes `lines`, each run of pairs aligned as kubectl's tabwriter does.
fn write_lines(lines: &[Line], out: &mut String) {
    let mut i = 0;
    while i < lines.len() {
        let run = lines[i..]
            .iter()
            .take_while(|l| matches!(l, Line::Kv(..)))
            .count();
        if run == 0 {
            if let Line::Text(t) = &lines[i] {
                let _ = writeln!(out, "{t}");
            }
            i += 1;
            continue;
        }
        let width = lines[i..i + run]
            .iter()
            .map(|l| match l {
                Line::Kv(k, _) => k.len(),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
            + 2;
        for l in &lines[i..i + run] {
            if let Line::Kv(k, v) = l {
                let _ = writeln!(out, "{}", format!("{k:<width$}{v}").trim_end());
            }
        }
        i += run;
    }
}

/// A table as kubectl's tabwriter lays it out: each column but the last
/// padded to its widest cell plus `pad` (at least `min` wide).
fn write_table(rows: &[Vec<String>], indent: &str, pad: usize, min: usize, out: &mut String) {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0) + pad)
        .map(|w| w.max(min))
        .collect();
    for r in rows {
        let mut line = indent.to_string();
        for (k, cell) in r.iter().enumerate() {
            if k + 1 == cols {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}", w = widths[k]);
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// Days since 1970-01-01 to a civil date (H. Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Unix seconds in Go's `time.RFC1123Z` as kubectl prints it.
fn rfc1123z(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} +0000",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[m as usize - 1],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Go's `time.Duration` string for whole seconds: `0s`, `10s`, `1m30s`.
fn go_duration(t: SimTime) -> String {
    let s = t.0 / SimTime::SECOND.0;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{}s", s / 60, s % 60),
        _ => format!("{}h{}m{}s", s / 3600, s % 3600 / 60, s % 60),
    }
}

/// A memory quantity as a manifest would give it: `512Mi`, `1Gi`.
fn memory_quantity(b: u64) -> String {
    const MI: u64 = 1 << 20;
    match b {
        _ if b >= 1 << 30 && b.is_multiple_of(1 << 30) => format!("{}Gi", b >> 30),
        _ if b.is_multiple_of(MI) => format!("{}Mi", b / MI),
        _ => b.to_string(),
    }
}

/// A CPU quantity: `250m`, `2`.
fn cpu_quantity(m: u64) -> String {
    if m.is_multiple_of(1000) {
        (m / 1000).to_string()
    } else {
        format!("{m}m")
    }
}

/// The pod's QoS class (pkg/apis/core/helper/qos `GetPodQOS`).
fn qos_class(r: &Resources) -> &'static str {
    let none = r.cpu_request.is_none()
        && r.cpu_limit.is_none()
        && r.memory_request.is_none()
        && r.memory_limit.is_none();
    // Requests default to the limits when only these are given.
    let cpu = r.cpu_limit.is_some() && r.cpu_request.is_none_or(|q| Some(q) == r.cpu_limit);
    let mem =
        r.memory_limit.is_some() && r.memory_request.is_none_or(|q| Some(q) == r.memory_limit);
    match (none, cpu && mem) {
        (true, _) => "BestEffort",
        (_, true) => "Guaranteed",
        _ => "Burstable",
    }
}

fn probe_line(p: &ProbeSpec) -> String {
    format!(
        "http-get http://:8080/healthz delay={} timeout={} period={} #success={} #failure={}",
        go_duration(p.initial_delay),
        go_duration(p.timeout),
        go_duration(p.period),
        p.success_threshold,
        p.failure_threshold
    )
}

/// The container's state now: (State lines, the termination for Last State).
fn container_state(
    p: &Pod,
    now: SimTime,
    clock: &dyn Fn(Stamp) -> String,
) -> (Vec<Line>, Option<Termination>) {
    let terminated = |t: &Termination, state: &str| {
        vec![
            kv(&format!("    {state}:"), "Terminated"),
            kv("      Reason:", t.reason.as_str()),
            kv("      Exit Code:", t.reason.exit_code().to_string()),
            kv("      Started:", clock(t.started)),
            kv("      Finished:", clock(t.finished)),
        ]
    };
    let waiting = |reason: &str| {
        vec![
            kv("    State:", "Waiting"),
            kv("      Reason:", reason.to_string()),
        ]
    };
    let first_start = p.restarts == 0 && p.last_exit.is_none();
    let (mut lines, last) = match p.phase {
        PodPhase::Gone | PodPhase::Pending => (Vec::new(), p.terms[0]),
        PodPhase::Starting if first_start => (waiting("ContainerCreating"), None),
        PodPhase::Starting | PodPhase::Running => (
            vec![
                kv("    State:", "Running"),
                kv("      Started:", clock(p.launched.unwrap_or(0))),
            ],
            p.terms[0],
        ),
        PodPhase::BackOff => match (p.terms[0], p.last_exit) {
            (Some(t), Some((exit, _))) if now < exit + BACKOFF_SYNC => {
                (terminated(&t, "State"), p.terms[1])
            }
            _ => (waiting("CrashLoopBackOff"), p.terms[0]),
        },
    };
    if let Some(t) = &last {
        lines.extend(terminated(t, "Last State"));
    }
    (lines, last)
}

/// A describe's or `kubectl events`' age column for `e` at `now`.
fn event_age(e: &Event, now: Stamp) -> String {
    let since = |t: Stamp| age(SimTime((now - t).max(0) as u64));
    if e.count > 1 {
        format!("{} (x{} over {})", since(e.last), e.count, since(e.first))
    } else {
        since(e.first)
    }
}

impl DrillTrial<'_> {
    /// Wall-clock text of a stamp.
    fn wall_clock(&self, t: Stamp) -> String {
        let secs = (t - stamp(self.start)).div_euclid(SimTime::SECOND.0 as i64);
        rfc1123z(EPOCH + secs)
    }

    /// Every component's events at `now`, the back-off waits still running
    /// counted so far.
    fn all_events(&self, now: SimTime) -> Vec<Event> {
        let mut out = Vec::new();
        for c in 0..self.comps.len() {
            let Some(log) = self.comps[c]
                .pods
                .as_deref()
                .and_then(|p| p.events.as_deref())
            else {
                continue;
            };
            let waits: Vec<_> = (0..self.pods_ref(c).pods.len())
                .filter_map(|s| self.backoff_wait(c, s))
                .collect();
            let log: EventLog = with_backoff_so_far(log, &waits, now);
            out.extend(log.events(stamp(now)).cloned());
        }
        // The kernel's kill comes before the kubelet's sync that sees it.
        out.sort_by_key(|e| (e.last, e.source != "kernel-monitor", e.first));
        out
    }

    /// `kubectl describe pod` for the pods that matter and `kubectl get
    /// events`, for the components with a `pod` spec (nothing otherwise).
    pub(in crate::drill) fn describe_pods(&self, now: SimTime, out: &mut String) {
        let events = self.all_events(now);
        for c in 0..self.comps.len() {
            let Some(ps) = self.comps[c].pods.as_deref() else {
                continue;
            };
            let mut matter: Vec<(bool, u32, String, usize)> = ps
                .pods
                .iter()
                .enumerate()
                .filter(|(_, p)| p.phase != PodPhase::Gone)
                .filter(|(_, p)| !shows_ready(p) || p.restarts > 0 || p.last_exit.is_some())
                .map(|(s, p)| {
                    let id = &self.model.components[c].id;
                    (shows_ready(p), u32::MAX - p.restarts, pod_name(id, p), s)
                })
                .collect();
            matter.sort();
            for (_, _, _, s) in matter.iter().take(MAX_DESCRIBED) {
                self.describe_pod(c, *s, &events, now, out);
            }
            if matter.len() > MAX_DESCRIBED {
                let rest: Vec<&str> = matter[MAX_DESCRIBED..]
                    .iter()
                    .map(|m| m.2.as_str())
                    .collect();
                let _ = writeln!(out, "(not described: {})", rest.join(" "));
            }
        }
        get_events(&events, now, out);
    }

    fn describe_pod(&self, c: usize, s: usize, events: &[Event], now: SimTime, out: &mut String) {
        let comp = &self.model.components[c];
        let id = &comp.id;
        let p = &self.pods_ref(c).pods[s];
        let name = pod_name(id, p);
        let _ = writeln!(out, "$ kubectl describe pod {name}");
        let hash = name
            .rsplit_once('-')
            .and_then(|(rs, _)| rs.rsplit_once('-'))
            .map_or("", |(_, h)| h);
        let rs = format!("{id}-{hash}");
        let scheduled = p.phase != PodPhase::Pending;
        let ip = pod_ip(p.node, p.serial);
        let clock = |t: Stamp| self.wall_clock(t);
        let mut l = vec![
            kv("Name:", name.clone()),
            kv("Namespace:", "default"),
            kv("Priority:", "0"),
            kv("Service Account:", "default"),
        ];
        if scheduled {
            let node = self.node_name(c, s);
            let node_ip = format!("10.0.0.{}", 11 + u32::from(p.node) % 240);
            l.push(kv("Node:", format!("{node}/{node_ip}")));
            let created = stamp(p.created) - stamp(p.age_before);
            l.push(kv("Start Time:", clock(created)));
        } else {
            l.push(kv("Node:", "<none>"));
        }
        l.push(kv("Labels:", format!("app={id}")));
        l.push(kv("", format!("pod-template-hash={hash}")));
        l.push(kv("Annotations:", "<none>"));
        let first_start = p.restarts == 0 && p.last_exit.is_none();
        let phase = match p.phase {
            PodPhase::Pending => "Pending",
            PodPhase::Starting if first_start => "Pending",
            _ => "Running",
        };
        l.push(kv("Status:", phase));
        if scheduled {
            l.push(kv("IP:", ip.clone()));
            l.push(text("IPs:"));
            l.push(kv("  IP:", ip));
        }
        l.push(kv("Controlled By:", format!("ReplicaSet/{rs}")));
        l.push(text("Containers:"));
        l.push(text(&format!("  {id}:")));
        l.push(kv("    Image:", format!("{id}:1.0")));
        l.push(kv("    Port:", "8080/TCP"));
        l.push(kv("    Host Port:", "0/TCP"));
        let (state, _) = container_state(p, now, &clock);
        l.extend(state);
        let ready = if shows_ready(p) { "True" } else { "False" };
        l.push(kv("    Ready:", ready));
        l.push(kv("    Restart Count:", p.restarts.to_string()));
        let r = p.template.resources;
        // Requests default to the limits when only these are given.
        let req_cpu = r.cpu_request.or(r.cpu_limit);
        let req_mem = r.memory_request.or(r.memory_limit);
        if r.cpu_limit.is_some() || r.memory_limit.is_some() {
            l.push(text("    Limits:"));
            if let Some(x) = r.cpu_limit {
                l.push(kv("      cpu:", cpu_quantity(x)));
            }
            if let Some(x) = r.memory_limit {
                l.push(kv("      memory:", memory_quantity(x)));
            }
        }
        if req_cpu.is_some() || req_mem.is_some() {
            l.push(text("    Requests:"));
            if let Some(x) = req_cpu {
                l.push(kv("      cpu:", cpu_quantity(x)));
            }
            if let Some(x) = req_mem {
                l.push(kv("      memory:", memory_quantity(x)));
            }
        }
        if let Some(w) = comp.workload.as_deref() {
            let probes = [
                ("    Liveness:", w.pod.liveness_probe),
                ("    Readiness:", w.pod.readiness_probe),
                ("    Startup:", w.pod.startup_probe),
            ];
            for (label, spec) in probes {
                if let Some(spec) = spec {
                    l.push(kv(label, probe_line(&spec)));
                }
            }
        }
        l.push(kv("    Environment:", "<none>"));
        l.push(kv("    Mounts:", "<none>"));
        l.push(text("Conditions:"));
        let b = |x: bool| if x { "True" } else { "False" };
        let started = scheduled && !(p.phase == PodPhase::Starting && first_start);
        l.push(kv("  Type", "Status"));
        if scheduled {
            l.push(kv("  PodReadyToStartContainers", b(started)));
            l.push(kv("  Initialized", "True"));
            l.push(kv("  Ready", ready));
            l.push(kv("  ContainersReady", ready));
        }
        l.push(kv("  PodScheduled", b(scheduled)));
        l.push(Line::Break);
        l.push(kv("QoS Class:", qos_class(&r)));
        l.push(kv("Node-Selectors:", "<none>"));
        l.push(kv(
            "Tolerations:",
            "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
        ));
        l.push(kv(
            "",
            "node.kubernetes.io/unreachable:NoExecute op=Exists for 300s",
        ));
        write_lines(&l, out);
        let object = format!("pod/{name}");
        let mine: Vec<&Event> = events.iter().filter(|e| e.object == object).collect();
        if mine.is_empty() {
            let _ = writeln!(out, "Events:  <none>");
            return;
        }
        let _ = writeln!(out, "Events:");
        let mut rows = vec![
            ["Type", "Reason", "Age", "From", "Message"]
                .map(String::from)
                .to_vec(),
            ["----", "------", "----", "----", "-------"]
                .map(String::from)
                .to_vec(),
        ];
        for e in mine {
            rows.push(vec![
                e.kind.as_str().to_string(),
                e.reason.to_string(),
                event_age(e, stamp(now)),
                e.source.to_string(),
                e.message.clone(),
            ]);
        }
        write_table(&rows, "  ", 2, 0, out);
    }
}

/// `kubectl get events --sort-by=.lastTimestamp`: the latest
/// [`MAX_EVENT_ROWS`] (`events` is in that order).
pub(in crate::drill) fn get_events(events: &[Event], now: SimTime, out: &mut String) {
    if events.is_empty() {
        return;
    }
    let _ = writeln!(out, "$ kubectl get events --sort-by=.lastTimestamp");
    let skip = events.len().saturating_sub(MAX_EVENT_ROWS);
    let mut rows = vec![
        ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
            .map(String::from)
            .to_vec(),
    ];
    for e in &events[skip..] {
        rows.push(vec![
            age(SimTime((stamp(now) - e.last).max(0) as u64)),
            e.kind.as_str().to_string(),
            e.reason.to_string(),
            e.object.clone(),
            e.message.clone(),
        ]);
    }
    // kubectl's table printer: padding 3, columns at least 6 wide.
    write_table(&rows, "", 3, 6, out);
    if skip > 0 {
        let _ = writeln!(out, "({skip} older events not shown)");
    }
}

#[cfg(test)]
mod tests {
    use super::super::ExitReason;
    use super::*;

    #[test]
    fn clock_times_read_like_go_rfc1123z() {
        assert_eq!(rfc1123z(EPOCH), "Mon, 07 Dec 2026 09:00:00 +0000");
        assert_eq!(rfc1123z(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc1123z(EPOCH - 9 * 3600 - 1),
            "Sun, 06 Dec 2026 23:59:59 +0000"
        );
        assert_eq!(rfc1123z(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn quantities_and_durations_read_like_kubectl() {
        assert_eq!(memory_quantity(512 << 20), "512Mi");
        assert_eq!(memory_quantity(1 << 30), "1Gi");
        assert_eq!(memory_quantity(1536 << 20), "1536Mi");
        assert_eq!(cpu_quantity(250), "250m");
        assert_eq!(cpu_quantity(2000), "2");
        let s = |x: u64| SimTime(x * SimTime::SECOND.0);
        assert_eq!(go_duration(s(0)), "0s");
        assert_eq!(go_duration(s(90)), "1m30s");
    }

    #[test]
    fn pairs_align_per_block_as_tabwriter_does() {
        let mut out = String::new();
        let lines = [
            kv("Name:", "a"),
            kv("Service Account:", "default"),
            text("IPs:"),
            kv("  IP:", "10.0.0.1"),
            kv("Controlled By:", "ReplicaSet/x"),
        ];
        write_lines(&lines, &mut out);
        assert_eq!(
            out,
            "Name:             a\nService Account:  default\nIPs:\n  IP:           10.0.0.1\nControlled By:  ReplicaSet/x\n"
        );
    }

    #[test]
    fn qos_classes() {
        let mut r = Resources::default();
        assert_eq!(qos_class(&r), "BestEffort");
        r.memory_request = Some(256 << 20);
        r.memory_limit = Some(512 << 20);
        assert_eq!(qos_class(&r), "Burstable");
        r.memory_request = None;
        r.cpu_limit = Some(500);
        assert_eq!(qos_class(&r), "Guaranteed");
    }

    #[test]
    fn exit_reasons_carry_their_codes() {
        assert_eq!(ExitReason::OomKilled.exit_code(), 137);
        assert_eq!(ExitReason::Error(1).as_str(), "Error");
    }
}
