//! Reading the parts of a model that only drills use: `[traffic]`, each
//! component's serving parameters, and `[[scenarios]]` with their timelines.

use toml::Spanned;
use toml::de::DeValue;

use super::error::{Diagnostics, suggest};
use super::read::{Names, read_dist, read_kind, resolve};
use super::reader::{Located, TableReader};
use super::{Component, ComponentKind, Group, LbAlgorithm, LoadProfile, Serving, Traffic};
use crate::engine::SimTime;
use crate::redis::CacheSetting;
use crate::scenario::{
    ACTION_NAMES, Action, BadRelease, DEFAULT_BOUNCE, EventKind, FAULT_NAMES, Fault, FaultSpec,
    Param, PodChange, Scenario, TimedEvent,
};

const TRAFFIC_KEYS: &[&str] = &[
    "rate",
    "read_ratio",
    "timeout",
    "profile",
    "profile_csv",
    "daily",
];
const STEP_KEYS: &[&str] = &["at", "rate", "ramp"];
const DAILY_KEYS: &[&str] = &["trough", "peak", "peak_at"];
const SCENARIO_KEYS: &[&str] = &[
    "name",
    "description",
    "duration",
    "warmup",
    "events",
    "random_failures",
    "traffic",
    "onset",
];
const EVENT_KEYS: &[&str] = &[
    "at",
    "fault",
    "action",
    "target",
    "instance",
    "duration",
    "factor",
    "peer",
    "replicas",
    "memory_request",
    "memory_limit",
    "leak",
    "bad_release",
    "hpa",
    "param",
    "value",
    "nameserver",
    "free",
    "mode",
    "on_alert",
    "after",
    "takes",
];

/// The largest `slow` factor: a million times the service time is already
/// no answer at all (5 ms becomes 83 minutes); `hold` says that directly.
const MAX_SLOW_FACTOR: f64 = 1e6;

/// The highest arrival rate a drill can represent \[req/s\]: one request per
/// nanosecond of simulated time.
const MAX_RATE: f64 = 1e9;

/// Reads a probability in [0, 1], reporting values outside it.
fn probability(tr: &mut TableReader, key: &str, diags: &mut Diagnostics) -> Option<Located<f64>> {
    let p = tr.f64(key, diags)?;
    if !(0.0..=1.0).contains(&p.value) {
        diags.error_hint(
            p.span,
            format!(
                "'{}.{key}' is a probability and must be between 0 and 1, found {}",
                tr.path, p.value
            ),
            Some(format!("write e.g. {key} = 0.9 for 90%")),
        );
        return None;
    }
    Some(p)
}

/// Reads `[traffic]`, or a scenario's own `traffic` over the model's
/// (`base`): a key it leaves out keeps the base's value, and the base's
/// profile is kept unless the scenario gives a rate or a profile of its own.
pub(super) fn read_traffic(
    mut tr: TableReader,
    origin: &str,
    base: Option<&Traffic>,
    defaults: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Option<Traffic> {
    let tr_span = tr.span_of("rate");
    let rate = match (tr.rate("rate", diags), base) {
        (Some(r), _) => Some(r.value),
        (None, Some(b)) if !tr.has("rate") => Some(b.rate),
        (None, _) => {
            if !tr.has("rate") {
                tr.missing("rate", diags, "\"200/s\"");
            }
            None
        }
    };
    let read_ratio = match base {
        _ if tr.has("read_ratio") => probability(&mut tr, "read_ratio", diags).map(|p| p.value),
        Some(b) => Some(b.read_ratio),
        None => {
            defaults.push("traffic: read_ratio = 0.9 (90% reads)".into());
            Some(0.9)
        }
    };
    let timeout = match (tr.duration("timeout", diags), base) {
        (Some(t), _) => Some(t.value),
        (None, _) if tr.has("timeout") => None,
        (None, Some(b)) => Some(b.timeout),
        (None, None) => {
            defaults.push("traffic: timeout = 30s (the client's limit on a whole request)".into());
            Some(SimTime(30 * SimTime::SECOND.0))
        }
    };
    let base_rate = rate.unwrap_or(0.0);
    let own_shape = ["rate", "profile", "profile_csv", "daily"]
        .iter()
        .any(|k| tr.has(k));
    let mut profile = if own_shape {
        None
    } else {
        base.and_then(|b| b.profile.clone())
    };
    if let Some(steps) = tr.array("profile", diags) {
        profile = read_steps(&steps, base_rate, diags);
    }
    if let Some(path) = tr.str("profile_csv", diags) {
        profile = read_profile_csv(&path, origin, diags);
    }
    if let Some(mut d) = tr.table("daily", diags) {
        let trough = d.rate("trough", diags);
        let peak = d.rate("peak", diags);
        let peak_at = d.duration("peak_at", diags);
        for (k, v) in [("trough", trough.is_some()), ("peak", peak.is_some())] {
            if !v && !d.has(k) {
                d.missing(k, diags, "\"100/s\"");
            }
        }
        d.finish(DAILY_KEYS, diags);
        if let (Some(t), Some(p)) = (trough, peak) {
            profile = Some(LoadProfile::Daily {
                trough: t.value,
                peak: p.value,
                peak_at: peak_at.map_or(14.0 * 3600.0, |x| x.value.as_secs_f64()),
            });
        }
    }
    let n_profiles = ["profile", "profile_csv", "daily"]
        .iter()
        .filter(|k| tr.has(k))
        .count();
    if n_profiles > 1 {
        diags.error(
            tr.span.start..tr.span.start + 1,
            "[traffic] takes one of 'profile', 'profile_csv' or 'daily'",
        );
    }
    let path = tr.path.clone();
    tr.finish(TRAFFIC_KEYS, diags);
    let traffic = Traffic {
        rate: rate?,
        read_ratio: read_ratio?,
        timeout: timeout?,
        profile,
    };
    if traffic.peak_rate() == 0.0 {
        diags.error_hint(
            tr_span,
            format!("'{path}' sends no requests: its rate is zero and no profile raises it"),
            Some("give a rate such as \"200/s\", or a profile".into()),
        );
        return None;
    }
    if traffic.peak_rate() > MAX_RATE {
        diags.error_hint(
            tr_span,
            format!(
                "[traffic] reaches {:e} requests per second; above {MAX_RATE:e} (one a \
                 nanosecond, the clock's resolution) arrivals cannot be told apart",
                traffic.peak_rate()
            ),
            Some("scale the system down: model a share of the traffic on fewer instances".into()),
        );
        return None;
    }
    Some(traffic)
}

/// `profile = [{ at = "5m", rate = "400/s", ramp = "1m" }, ...]`: steps, or
/// ramps from the previous rate.
fn read_steps(
    steps: &[&Spanned<DeValue>],
    base: f64,
    diags: &mut Diagnostics,
) -> Option<LoadProfile> {
    let mut points = vec![(0.0, base)];
    let mut ok = true;
    for (i, v) in steps.iter().enumerate() {
        let Some(mut st) = TableReader::new(v, &format!("traffic.profile[{i}]"), diags) else {
            ok = false;
            continue;
        };
        let at = st.duration("at", diags);
        let rate = st.rate("rate", diags);
        let ramp = st.duration("ramp", diags);
        for (k, present) in [("at", at.is_some()), ("rate", rate.is_some())] {
            if !present && !st.has(k) {
                st.missing(k, diags, if k == "at" { "\"5m\"" } else { "\"400/s\"" });
            }
        }
        st.finish(STEP_KEYS, diags);
        let (Some(at), Some(rate)) = (at, rate) else {
            ok = false;
            continue;
        };
        let t = at.value.as_secs_f64();
        let last = *points.last().expect("starts with the base rate");
        if t < last.0 {
            diags.error(
                at.span,
                format!(
                    "traffic.profile[{i}] at {} comes before the previous step",
                    at.value
                ),
            );
            ok = false;
            continue;
        }
        points.push((t, last.1));
        let end = t + ramp.map_or(0.0, |r| r.value.as_secs_f64());
        points.push((end, rate.value));
    }
    ok.then_some(LoadProfile::Points(points))
}

/// A CSV of `time,rate` rows as exported from a metrics system; times in
/// seconds (or durations with units) are taken relative to the first row.
fn read_profile_csv(
    path: &Located<String>,
    origin: &str,
    diags: &mut Diagnostics,
) -> Option<LoadProfile> {
    let base = std::path::Path::new(origin)
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let full = base.join(&path.value);
    let text = match super::read_text(&full) {
        Ok(t) => t,
        Err(e) => {
            diags.error(
                path.span.clone(),
                format!("cannot read the profile '{}': {e}", full.display()),
            );
            return None;
        }
    };
    let mut points: Vec<(f64, f64)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cols = line.split(',').map(str::trim);
        let (Some(t), Some(r)) = (cols.next(), cols.next()) else {
            diags.error(
                path.span.clone(),
                format!("{}:{}: expected 'time,rate'", full.display(), n + 1),
            );
            return None;
        };
        let time = t.parse::<f64>().ok().or_else(|| {
            super::units::parse_duration(t)
                .ok()
                .map(|d| d.as_secs_f64())
        });
        let rate = r.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0);
        match (time, rate) {
            (Some(time), Some(rate)) => points.push((time, rate)),
            _ if points.is_empty() && n == 0 => {} // a header row
            _ => {
                diags.error(
                    path.span.clone(),
                    format!(
                        "{}:{}: '{line}' is not 'seconds,requests per second'",
                        full.display(),
                        n + 1
                    ),
                );
                return None;
            }
        }
    }
    if points.is_empty() {
        diags.error(
            path.span.clone(),
            format!("the profile '{}' has no rows", full.display()),
        );
        return None;
    }
    let t0 = points[0].0;
    for p in &mut points {
        p.0 -= t0;
    }
    if points.windows(2).any(|w| w[1].0 < w[0].0) {
        diags.error(
            path.span.clone(),
            format!("the profile '{}' is not sorted by time", full.display()),
        );
        return None;
    }
    Some(LoadProfile::Points(points))
}

pub(super) fn read_serving(
    tr: &mut TableReader,
    kind: ComponentKind,
    name: &str,
    defaults: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Serving {
    let mut s = Serving::defaults(kind);
    let mut unset: Vec<&str> = Vec::new();
    let mut note = |present: bool, key: &'static str| {
        if !present {
            unset.push(key)
        }
    };
    match tr.u32("workers", diags) {
        Some(w) if w.value == 0 => {
            diags.error(w.span, format!("'{name}.workers' must be at least 1"))
        }
        Some(w) => s.workers = w.value,
        None => note(tr.has("workers"), "workers"),
    }
    if let Some(t) = tr.duration("queue_timeout", diags) {
        if t.value == SimTime::ZERO {
            diags.error(
                t.span,
                format!("'{name}.queue_timeout' must be longer than zero"),
            );
        } else {
            s.queue_timeout = Some(t.value);
        }
    }
    if let Some(t) = tr.table("adaptive_concurrency", diags) {
        s.adaptive_concurrency = super::resilience::read_adaptive_concurrency(t, diags);
    }
    match tr.u32("queue", diags) {
        Some(q) => s.queue = q.value,
        None => note(tr.has("queue"), "queue"),
    }
    for (key, slot) in [("service", &mut s.service), ("latency", &mut s.latency)] {
        match read_dist(tr, key, diags) {
            Some(d) => *slot = d,
            None => note(tr.has(key), key),
        }
    }
    match tr.duration("timeout", diags) {
        Some(t) if t.value == SimTime::ZERO => {
            diags.error(t.span, format!("'{name}.timeout' must be longer than zero"))
        }
        Some(t) => s.timeout = t.value,
        None => note(tr.has("timeout"), "timeout"),
    }
    if let Some(p) = probability(tr, "hit_ratio", diags) {
        if kind != ComponentKind::Cache {
            diags.error(
                p.span.clone(),
                format!("'hit_ratio' applies to caches; '{name}' is {}", kind.name()),
            );
        }
        s.hit_ratio = p.value;
    }
    if let Some(t) = tr.duration("ttl", diags) {
        if kind != ComponentKind::Dns {
            diags.error(
                t.span.clone(),
                format!("'ttl' applies to dns; '{name}' is {}", kind.name()),
            );
        }
        s.ttl = t.value;
    }
    if let Some(a) = read_kind(
        tr,
        "algorithm",
        LbAlgorithm::NAMES,
        LbAlgorithm::from_name,
        diags,
    ) {
        if kind != ComponentKind::LoadBalancer {
            diags.error(
                tr.span_of("algorithm"),
                format!(
                    "'algorithm' applies to load balancers; '{name}' is {}",
                    kind.name()
                ),
            );
        }
        s.algorithm = a;
    }
    use crate::model::k8s_spec::{HealthCheckSpec, OutlierSpec};
    if let Some(t) = lb_table(tr, "health_check", kind, name, diags) {
        s.health_check = HealthCheckSpec::read(t, diags);
    }
    if let Some(t) = lb_table(tr, "outlier", kind, name, diags) {
        s.outlier = OutlierSpec::read(t, diags);
    }
    if let Some(t) = lb_table(tr, "rate_limit", kind, name, diags) {
        s.rate_limit = super::resilience::read_rate_limit(t, diags);
    }
    s.keyspace = super::read_cache::read_cache(tr, kind, name, defaults, diags);
    match kind {
        ComponentKind::Cache if !tr.has("hit_ratio") && s.keyspace.is_none() => {
            unset.push("hit_ratio")
        }
        ComponentKind::Dns if !tr.has("ttl") => unset.push("ttl"),
        ComponentKind::LoadBalancer if !tr.has("algorithm") => unset.push("algorithm"),
        _ => {}
    }
    if !unset.is_empty() {
        let described: Vec<String> = unset
            .iter()
            .map(|k| format!("{k} = {}", s.describe(k)))
            .collect();
        defaults.push(format!(
            "component '{name}' ({} defaults): {}",
            kind.name(),
            described.join(", ")
        ));
    }
    s
}

/// The table `key` of component `name`, reporting it when `kind` is not a
/// load balancer (the table is still read, so its own errors show too).
fn lb_table<'a, 'i>(
    tr: &mut TableReader<'a, 'i>,
    key: &str,
    kind: ComponentKind,
    name: &str,
    diags: &mut Diagnostics,
) -> Option<TableReader<'a, 'i>> {
    let t = tr.table(key, diags)?;
    if kind != ComponentKind::LoadBalancer {
        diags.error(
            t.span.clone(),
            format!(
                "'{key}' applies to load balancers; '{name}' is {}",
                kind.name()
            ),
        );
    }
    Some(t)
}

pub(super) fn read_scenarios(
    value: &Spanned<DeValue>,
    names: &Names,
    alerts: &[String],
    model: &super::Model,
    diags: &mut Diagnostics,
) -> Vec<Scenario> {
    let (components, groups) = (&model.components[..], &model.groups[..]);
    let items: Vec<&Spanned<DeValue>> = match value.get_ref() {
        DeValue::Array(a) => a.iter().collect(),
        other => {
            diags.error_hint(
                value.span(),
                format!(
                    "'scenarios' must be an array of tables, found {}",
                    other.type_str()
                ),
                Some("write each scenario as [[scenarios]]".into()),
            );
            return Vec::new();
        }
    };
    let mut out: Vec<Scenario> = Vec::new();
    for (i, v) in items.into_iter().enumerate() {
        let Some(mut tr) = TableReader::new(v, &format!("scenarios[{i}]"), diags) else {
            continue;
        };
        let name = tr.str("name", diags);
        if let Some(n) = &name {
            tr.path = format!("scenarios.{}", n.value);
            if out.iter().any(|s| s.name == n.value) {
                diags.error(
                    n.span.clone(),
                    format!("scenario '{}' is defined twice", n.value),
                );
            }
        } else if !tr.has("name") {
            tr.missing("name", diags, "\"pod-crash\"");
        }
        let description = tr
            .str("description", diags)
            .map(|d| d.value)
            .unwrap_or_default();
        let duration = tr.duration("duration", diags);
        if duration.is_none() && !tr.has("duration") {
            tr.missing("duration", diags, "\"15m\"");
        }
        if let Some(d) = &duration
            && d.value == SimTime::ZERO
        {
            diags.error(
                d.span.clone(),
                "a scenario's duration must be longer than zero",
            );
        }
        let warmup = tr
            .duration("warmup", diags)
            .map_or(SimTime::MINUTE, |w| w.value);
        let random_failures = read_random_failures(&mut tr, components, groups, diags);
        let onset = tr.duration("onset", diags).map(|o| o.value);
        // The scenario's own traffic (a spike, a daily peak) over the model's.
        let traffic = tr.table("traffic", diags).and_then(|mut t| {
            t.path = format!("{}.traffic", tr.path);
            let mut ignored = Vec::new();
            read_traffic(
                t,
                &model.origin,
                model.traffic.as_ref(),
                &mut ignored,
                diags,
            )
        });
        let mut events = Vec::new();
        if let Some(list) = tr.array("events", diags) {
            for (j, ev) in list.into_iter().enumerate() {
                let path = format!("{}.events[{j}]", tr.path);
                let Some(mut et) = TableReader::new(ev, &path, diags) else {
                    continue;
                };
                if let Some(e) = read_event(
                    &mut et,
                    names,
                    alerts,
                    components,
                    groups,
                    duration.as_ref().map(|d| d.value),
                    diags,
                ) {
                    events.push(e);
                }
                et.finish(EVENT_KEYS, diags);
            }
        }
        events.sort_by_key(|e: &TimedEvent| e.at);
        tr.finish(SCENARIO_KEYS, diags);
        if let (Some(name), Some(duration)) = (name, duration) {
            out.push(Scenario {
                name: name.value,
                description,
                duration: duration.value,
                warmup,
                events,
                random_failures,
                traffic,
                onset,
            });
        }
    }
    out
}

/// `random_failures = true`: the drill draws failures from the model's own
/// failure and repair distributions, so some component or group must have them.
fn read_random_failures(
    tr: &mut TableReader,
    components: &[Component],
    groups: &[Group],
    diags: &mut Diagnostics,
) -> bool {
    let Some(flag) = tr.bool("random_failures", diags) else {
        return false;
    };
    let any = components.iter().any(|c| c.reliability.is_some())
        || groups.iter().any(|g| g.reliability.is_some());
    if flag.value && !any {
        diags.error_hint(
            flag.span,
            "'random_failures' needs failure distributions, but no component or group has one",
            Some("give a component failure = {...} and repair = {...}".into()),
        );
    }
    flag.value
}

fn read_event(
    et: &mut TableReader,
    names: &Names,
    alerts: &[String],
    components: &[Component],
    groups: &[Group],
    scenario_duration: Option<SimTime>,
    diags: &mut Diagnostics,
) -> Option<TimedEvent> {
    let (on_alert, takes) =
        super::response_spec::read_response(et, alerts, et.has("action"), diags);
    let at = et.duration("at", diags);
    if at.is_none() && !et.has("at") && !et.has("on_alert") {
        et.missing("at", diags, "\"5m\" (or on_alert = \"AlertName\")");
    }
    if at.is_some() && et.has("on_alert") {
        diags.error_hint(
            et.span_of("at"),
            format!("'{}': 'at' and 'on_alert' are mutually exclusive", et.path),
            Some("an action waiting for an alert starts 'after' it fires".into()),
        );
    }
    if let (Some(a), Some(d)) = (&at, scenario_duration)
        && a.value > d
    {
        diags.error(
            a.span.clone(),
            format!(
                "'{}.at' ({}) is after the scenario ends ({d})",
                et.path, a.value
            ),
        );
    }
    let target = et.str("target", diags);
    if target.is_none() && !et.has("target") {
        et.missing("target", diags, "\"app\"");
    }
    let fault = et.str("fault", diags);
    let action = et.str("action", diags);
    // A fault may hit a common-cause group (a node, a zone): every instance
    // placed on it or on a group within it.
    let group_idx = match (&target, &fault) {
        (Some(t), Some(_)) if !names.components.contains(&t.value) => {
            names.groups.iter().position(|g| *g == t.value)
        }
        _ => None,
    };
    let target_idx = match group_idx {
        Some(_) => None,
        None => target.as_ref().and_then(|t| {
            let mut known = names.components.clone();
            if fault.is_some() {
                known.extend(names.groups.iter().cloned());
            }
            resolve(t, &known, "component or group", diags).filter(|&i| i < names.components.len())
        }),
    };
    let t = target.as_ref().map(|t| t.value.clone()).unwrap_or_default();
    let what = match (fault, action) {
        (Some(f), None) if f.value == "partition" => {
            super::partition_spec::read(et, target.as_ref(), names, components, groups, diags)
                .map(EventKind::Fault)
        }
        (Some(f), None) => match group_idx {
            Some(g) => read_group_fault(et, &f, g, groups, components, diags).map(EventKind::Fault),
            // Without a target, the fault's own keys are still checked.
            None => read_fault(et, &f, target_idx, components, diags)
                .filter(|_| target_idx.is_some())
                .map(|x| EventKind::Fault(vec![x])),
        },
        (None, Some(a)) => {
            read_action(et, &a, target_idx, components, diags).map(EventKind::Action)
        }
        (Some(f), Some(_)) => {
            diags.error(
                f.span,
                format!(
                    "'{}': 'fault' and 'action' are mutually exclusive; give one",
                    et.path
                ),
            );
            None
        }
        (None, None) => {
            if !et.has("fault") && !et.has("action") {
                et.missing("fault", diags, "\"crash\" (or action = \"scale\")");
            }
            None
        }
    }?;
    let label = match &what {
        EventKind::Fault(specs) => {
            let f = &specs[0];
            let inst = match (group_idx, f.instance) {
                (None, Some(i)) => format!("[{i}]"),
                _ => String::new(),
            };
            let name = match f.fault {
                Fault::Crash => "crash".to_string(),
                Fault::Bounce => "bounce".to_string(),
                Fault::Slow(x) => format!("slow x{x}"),
                Fault::Errors(x) => format!("errors {}%", x * 100.0),
                Fault::Partition { peer, .. } => {
                    let named = et.str("peer", diags).map(|p| p.value);
                    format!(
                        "partition {} |",
                        named.unwrap_or_else(|| components[peer].id.clone())
                    )
                }
                Fault::Hold => "hold".to_string(),
            };
            format!("{name} {t}{inst}")
        }
        EventKind::Action(Action::Scale { replicas, .. }) => format!("scale {t} to {replicas}"),
        EventKind::Action(Action::Set { param, value, .. }) => format!("set {t} {param:?}={value}"),
        EventKind::Action(Action::Repair { .. }) => format!("repair {t}"),
        EventKind::Action(Action::Release { .. }) => format!("release {t}"),
        EventKind::Action(Action::Apply { .. }) => format!("apply {t}"),
        EventKind::Action(Action::Autoscale { .. }) => format!("autoscale {t}"),
        EventKind::Action(Action::RolloutRestart { .. }) => format!("rollout restart {t}"),
        EventKind::Action(Action::Flush { .. }) => format!("flushall {t}"),
        EventKind::Action(Action::ConfigSet { setting, .. }) => match setting {
            CacheSetting::MaxMemory(b) => format!("config set {t} maxmemory {b}"),
            CacheSetting::Policy(p) => format!("config set {t} maxmemory-policy {}", p.name()),
        },
        EventKind::Action(Action::RestartResolver { .. }) => format!("restart resolver {t}"),
        EventKind::Action(Action::SwitchResolver { .. }) => format!("switch resolver {t}"),
        EventKind::Action(Action::HostsOverride { .. }) => format!("hosts override {t}"),
        EventKind::Action(Action::CleanupDisk { .. }) => format!("cleanup disk {t}"),
        EventKind::Action(Action::FillDisk { .. }) => format!("disk fills {t}"),
        EventKind::Action(Action::Command { command, .. }) => {
            format!("{} on {t}", command.text())
        }
        EventKind::Action(Action::LoseData { cause, .. }) => {
            format!("{t} loses data ({})", cause.name())
        }
    };
    let at = match &on_alert {
        Some(_) => SimTime::ZERO,
        None => at?.value,
    };
    let label = match &on_alert {
        Some(o) => format!("{label} (on {})", o.name),
        None => label,
    };
    Some(TimedEvent {
        at,
        what,
        label,
        on_alert,
        takes,
    })
}

/// Reads a fault on component `target`; `None` for a group's template,
/// whose target and instance are filled in per instance.
fn read_fault(
    et: &mut TableReader,
    name: &Located<String>,
    target: Option<usize>,
    components: &[Component],
    diags: &mut Diagnostics,
) -> Option<FaultSpec> {
    let template = target.is_none();
    let duration = et.duration("duration", diags).map(|d| d.value);
    let instance = if template {
        None
    } else {
        et.u32("instance", diags)
    };
    if let (Some(i), Some(t)) = (&instance, target)
        && i.value >= components[t].instances
    {
        diags.error(
            i.span.clone(),
            format!(
                "'{}' has {} instances (0..{}); instance {} does not exist",
                components[t].id,
                components[t].instances,
                components[t].instances - 1,
                i.value
            ),
        );
    }
    let fault = match name.value.as_str() {
        "crash" => Fault::Crash,
        "bounce" => Fault::Bounce,
        "hold" => Fault::Hold,
        "slow" => {
            let f = et.f64("factor", diags);
            match f {
                Some(f) if f.value > 0.0 && f.value <= MAX_SLOW_FACTOR => Fault::Slow(f.value),
                Some(f) => {
                    diags.error_hint(
                        f.span,
                        format!(
                            "'{}.factor' must be a positive number up to {MAX_SLOW_FACTOR}, found {:?}",
                            et.path, f.value
                        ),
                        Some("for an instance that stops answering, use fault = \"hold\"".into()),
                    );
                    return None;
                }
                None => {
                    if !et.has("factor") {
                        et.missing("factor", diags, "5.0 (service times five times longer)");
                    }
                    return None;
                }
            }
        }
        "errors" => match et.f64("share", diags) {
            Some(f) if (0.0..=1.0).contains(&f.value) => Fault::Errors(f.value),
            Some(f) => {
                diags.error(
                    f.span,
                    format!(
                        "'{}.share' must be a fraction in [0, 1] of the calls that fail, found {:?}",
                        et.path, f.value
                    ),
                );
                return None;
            }
            None => {
                if !et.has("share") {
                    et.missing("share", diags, "0.3 (30% of the target's calls fail)");
                }
                return None;
            }
        },
        other => {
            let hint = suggest(other, FAULT_NAMES.iter().copied())
                .or_else(|| Some(format!("faults: {}", FAULT_NAMES.join(", "))));
            diags.error_hint(name.span.clone(), format!("unknown fault '{other}'"), hint);
            return None;
        }
    };
    let duration = if fault == Fault::Bounce {
        Some(duration.unwrap_or(DEFAULT_BOUNCE))
    } else {
        duration
    };
    Some(FaultSpec {
        fault,
        target: target.unwrap_or(0),
        instance: instance.map(|i| i.value),
        duration,
        group: None,
    })
}

fn read_action(
    et: &mut TableReader,
    name: &Located<String>,
    target: Option<usize>,
    components: &[Component],
    diags: &mut Diagnostics,
) -> Option<Action> {
    let needs_pod_spec = |diags: &mut Diagnostics| {
        let t = target?;
        if components[t].workload.is_none() {
            diags.error_hint(
                name.span.clone(),
                format!(
                    "'{}' needs pods with a pod spec; '{}' has none",
                    name.value, components[t].id
                ),
                Some("add pod = { ... } to the component".into()),
            );
            return None;
        }
        Some(t)
    };
    if name.value.ends_with("_resolver") || name.value == "hosts_override" {
        return super::dns_spec::read_dns_action(et, name, target, components, diags);
    }
    match name.value.as_str() {
        "apply" => {
            let t = needs_pod_spec(diags);
            let change = read_pod_change(et, diags)?;
            Some(Action::Apply { target: t?, change })
        }
        "autoscale" => {
            let t = needs_pod_spec(diags);
            let hpa = match et.table("hpa", diags) {
                Some(h) => crate::model::k8s_spec::HpaSpec::read(h, diags),
                None => {
                    et.missing("hpa", diags, "{ max_replicas = 10, target = 70 }");
                    None
                }
            };
            Some(Action::Autoscale {
                target: t?,
                hpa: Box::new(hpa?),
            })
        }
        "rollout_restart" => Some(Action::RolloutRestart {
            target: needs_pod_spec(diags)?,
        }),
        "scale" => {
            let r = et.u32("replicas", diags);
            if r.is_none() && !et.has("replicas") {
                et.missing("replicas", diags, "3");
            }
            Some(Action::Scale {
                target: target?,
                replicas: r?.value,
            })
        }
        "set" => {
            let p = et.str("param", diags);
            let param = p.as_ref().and_then(|p| {
                let found = Param::from_name(&p.value);
                if found.is_none() {
                    let hint = suggest(&p.value, Param::NAMES.iter().copied())
                        .or_else(|| Some(format!("parameters: {}", Param::NAMES.join(", "))));
                    diags.error_hint(
                        p.span.clone(),
                        format!("unknown parameter '{}'", p.value),
                        hint,
                    );
                }
                found
            });
            if p.is_none() && !et.has("param") {
                et.missing("param", diags, "\"workers\"");
            }
            let value = if param == Some(Param::TimeoutMs) {
                et.duration("value", diags).map(|d| d.value.as_millis_f64())
            } else {
                let v = et.f64("value", diags);
                match (&v, param) {
                    (Some(v), Some(Param::HitRatio)) if !(0.0..=1.0).contains(&v.value) => {
                        diags.error(
                            v.span.clone(),
                            format!(
                                "'{}.value' is a probability and must be between 0 and 1",
                                et.path
                            ),
                        );
                        None
                    }
                    (Some(v), _) if v.value < 0.0 || !v.value.is_finite() => {
                        diags.error(
                            v.span.clone(),
                            format!("'{}.value' must not be negative", et.path),
                        );
                        None
                    }
                    _ => v.map(|v| v.value),
                }
            };
            if !et.has("value") {
                et.missing("value", diags, "16");
            }
            Some(Action::Set {
                target: target?,
                param: param?,
                value: value?,
            })
        }
        "repair" => Some(Action::Repair { target: target? }),
        "cleanup_disk" => super::db_spec::read_cleanup(et, name, target, components, diags),
        "fill_disk" => super::db_spec::read_fill(et, name, target, components, diags),
        "command" => {
            let t = target.map(|i| (i, &components[i]));
            let command = super::read_cache::read_command(et, t, diags)?;
            Some(Action::Command {
                target: target?,
                command,
            })
        }
        "lose_data" => super::backup_spec::read_lose_data(et, name, target, components, diags),
        "release" => Some(Action::Release { target: target? }),
        "flush" => Some(Action::Flush { target: target? }),
        "config_set" => {
            let t = target.map(|i| (i, &components[i]));
            let setting = super::read_cache::read_config_set(et, t, diags)?;
            Some(Action::ConfigSet {
                target: target?,
                setting,
            })
        }
        other => {
            let hint = suggest(other, ACTION_NAMES.iter().copied())
                .or_else(|| Some(format!("actions: {}", ACTION_NAMES.join(", "))));
            diags.error_hint(name.span.clone(), format!("unknown action '{other}'"), hint);
            None
        }
    }
}

/// The template changes of an `apply` action: `memory_request`,
/// `memory_limit` (sizes) and `leak` (a rate such as "10Mi/min").
fn read_pod_change(et: &mut TableReader, diags: &mut Diagnostics) -> Option<PodChange> {
    let before = diags.len();
    let mut c = PodChange {
        memory_request: et.bytes("memory_request", diags).map(|b| b.value),
        memory_limit: et.bytes("memory_limit", diags).map(|b| b.value),
        leak_per_sec: None,
        bad: et
            .table("bad_release", diags)
            .and_then(|t| read_bad_release(t, diags)),
    };
    if let Some(l) = et.str("leak", diags) {
        match crate::model::k8s_spec::parse_leak(&l.value) {
            Ok(r) => c.leak_per_sec = Some(r),
            Err(e) => diags.error(l.span, format!("'{}.leak': {e}", et.path)),
        }
    }
    if let (Some(r), Some(l)) = (c.memory_request, c.memory_limit)
        && r > l
    {
        diags.error(
            et.span_of("memory_request"),
            format!(
                "'{}': the memory request must not exceed its limit",
                et.path
            ),
        );
    }
    if c == PodChange::default() && diags.len() == before {
        et.missing(
            "memory_limit",
            diags,
            "\"1024Mi\" (or memory_request, leak, bad_release)",
        );
    }
    (diags.len() == before).then_some(c)
}

/// Reads `bad_release = { errors = 0.2, slowdown = 3, crash = true }`.
fn read_bad_release(mut t: TableReader, diags: &mut Diagnostics) -> Option<BadRelease> {
    let before = diags.len();
    let mut b = BadRelease::default();
    if let Some(e) = t.f64("errors", diags) {
        if (0.0..=1.0).contains(&e.value) {
            b.errors = e.value;
        } else {
            diags.error(e.span, format!("'{}.errors' must be from 0 to 1", t.path));
        }
    }
    if let Some(f) = t.f64("slowdown", diags) {
        if f.value >= 1.0 && f.value <= MAX_SLOW_FACTOR {
            b.slowdown = f.value;
        } else {
            diags.error(
                f.span,
                format!("'{}.slowdown' must be from 1 to {MAX_SLOW_FACTOR}", t.path),
            );
        }
    }
    if let Some(c) = t.bool("crash", diags) {
        b.crash = c.value;
    }
    if b == BadRelease::default() && diags.len() == before {
        t.missing("errors", diags, "0.2 (or slowdown = 3, crash = true)");
    }
    t.finish(&["errors", "slowdown", "crash"], diags);
    (diags.len() == before).then_some(b)
}

/// A fault on a group: the same fault on every instance placed on the group
/// or on a group within it (crash, bounce, slow, hold; partitions are read
/// by `partition_spec`).
fn read_group_fault(
    et: &mut TableReader,
    name: &Located<String>,
    group: usize,
    groups: &[Group],
    components: &[Component],
    diags: &mut Diagnostics,
) -> Option<Vec<FaultSpec>> {
    if et.has("instance") {
        diags.error(
            et.span_of("instance"),
            format!("'{}': 'instance' applies to a component target", et.path),
        );
    }
    // The fault's kind and duration, read once; the target is filled per instance.
    let template = read_fault(et, name, None, components, diags)?;
    let specs: Vec<FaultSpec> = super::partition_spec::instances_on(group, components, groups)
        .into_iter()
        .map(|(c, i)| FaultSpec {
            target: c,
            instance: Some(i),
            group: Some(group),
            ..template.clone()
        })
        .collect();
    if specs.is_empty() {
        diags.error(
            name.span.clone(),
            format!(
                "'{}': no instance is placed on group '{}'",
                et.path, groups[group].id
            ),
        );
        return None;
    }
    Some(specs)
}
