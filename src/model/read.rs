//! Reading a model file: TOML syntax, then every table through a
//! [`TableReader`], then the checks that need the whole model (references,
//! k of n, dependency cycles). Every problem is collected before returning.

use toml::de::DeTable;

use super::error::{Diagnostics, ModelError, suggest};
use super::read_drill;
use super::reader::{Located, TableReader};
use super::structure::{Structure, StructureReader};
use super::{
    Component, ComponentKind, DEFAULT_FAILOVER, Dist, Failover, Group, GroupKind, Model,
    Reliability,
};

/// The model file's top-level sections.
pub(crate) const TOP_KEYS: &[&str] = &[
    "system",
    "components",
    "groups",
    "crews",
    "traffic",
    "scenarios",
    "cluster",
    "slo",
    "cost",
    "service",
    "alerts",
    "alerting",
];
const SYSTEM_KEYS: &[&str] = &["name", "description"];
const COMPONENT_KEYS: &[&str] = &[
    "kind",
    "instances",
    "min_up",
    "replicas",
    "depends_on",
    "soft_depends_on",
    "failure",
    "repair",
    "failover",
    "placement",
    "crew",
    "description",
    "workers",
    "queue",
    "service",
    "latency",
    "timeout",
    "hit_ratio",
    "ttl",
    "algorithm",
    "calls",
    "queue_timeout",
    "adaptive_concurrency",
    "health_check",
    "outlier",
    "rate_limit",
    "pod",
    "hpa",
    "rollout",
    "maxmemory",
    "maxmemory_policy",
    "maxmemory_samples",
    "keys",
    "on_write",
];
const GROUP_KEYS: &[&str] = &["kind", "within", "failure", "repair", "crew", "description"];

/// Names defined in the file, for resolving references.
pub(super) struct Names {
    pub components: Vec<String>,
    pub groups: Vec<String>,
    pub crews: Vec<String>,
}

/// Looks `name` up in `ids`, reporting an unknown name with a near miss.
pub(super) fn resolve(
    name: &Located<String>,
    ids: &[String],
    what: &str,
    diags: &mut Diagnostics,
) -> Option<usize> {
    let found = ids.iter().position(|id| *id == name.value);
    if found.is_none() {
        let hint = suggest(&name.value, ids.iter().map(String::as_str)).or_else(|| {
            Some(if ids.is_empty() {
                format!("no {what} is defined")
            } else {
                format!("defined: {}", ids.join(", "))
            })
        });
        diags.error_hint(
            name.span.clone(),
            format!("{what} '{}' is not defined", name.value),
            hint,
        );
    }
    found
}

pub(super) fn read_model(text: &str, origin: &str) -> Result<Model, ModelError> {
    let (doc, syntax) = DeTable::parse_recoverable(text);
    let mut diags = Diagnostics::default();
    if !syntax.is_empty() {
        for e in syntax {
            let span = e.span().unwrap_or(0..1);
            diags.error(
                span,
                format!("invalid TOML: {}", e.message().trim_end_matches('.').trim()),
            );
        }
        return Err(diags.into_error(origin, text));
    }
    let mut top = TableReader::from_table(doc.get_ref(), doc.span(), "");
    let mut model = Model {
        origin: origin.to_string(),
        name: String::new(),
        description: String::new(),
        components: Vec::new(),
        groups: Vec::new(),
        crews: Vec::new(),
        service: None,
        traffic: None,
        scenarios: Vec::new(),
        cluster: None,
        slo: None,
        cost: None,
        alerting: None,
        defaults_applied: Vec::new(),
    };

    if let Some(mut sys) = top.table("system", &mut diags) {
        sys.path = "system".into();
        if let Some(n) = sys.str("name", &mut diags) {
            model.name = n.value;
        }
        if let Some(d) = sys.str("description", &mut diags) {
            model.description = d.value;
        }
        sys.finish(SYSTEM_KEYS, &mut diags);
    }
    if model.name.is_empty() {
        model.name = std::path::Path::new(origin)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
    }

    if let Some(mut tr) = top.table("traffic", &mut diags) {
        tr.path = "traffic".into();
        model.traffic =
            read_drill::read_traffic(tr, origin, None, &mut model.defaults_applied, &mut diags);
    }
    if let Some(mut tr) = top.table("cluster", &mut diags) {
        tr.path = "cluster".into();
        model.cluster = super::workload::read_cluster(tr, &mut model.defaults_applied, &mut diags);
    }
    let top_scenarios = top.get("scenarios");
    let top_slo = top.table("slo", &mut diags);
    let top_cost = top.table("cost", &mut diags);
    let top_service = top.table("service", &mut diags);
    let top_alerts = top.get("alerts");
    let top_alerting = top.table("alerting", &mut diags);
    let crews = named_tables(&mut top, "crews", &mut diags);
    let groups = named_tables(&mut top, "groups", &mut diags);
    let components = named_tables(&mut top, "components", &mut diags);
    top.finish(TOP_KEYS, &mut diags);
    if components.is_empty() && !top_has_components(doc.get_ref()) {
        diags.error_hint(
            0..1,
            "the model defines no components",
            Some("add a table such as [components.web]".into()),
        );
    }
    let names = Names {
        components: components.iter().map(|(k, _)| k.value.clone()).collect(),
        groups: groups.iter().map(|(k, _)| k.value.clone()).collect(),
        crews: crews.iter().map(|(k, _)| k.value.clone()).collect(),
    };

    let mut call_out_spans = Vec::new();
    for (id, tr) in crews {
        let (crew, span) = super::crew_spec::read_crew(id, tr, &names, &mut diags);
        model.crews.push(crew);
        call_out_spans.push(span);
    }

    let mut within_spans = Vec::new();
    for (id, mut tr) in groups {
        let kind = read_kind(
            &mut tr,
            "kind",
            GroupKind::NAMES,
            GroupKind::from_name,
            &mut diags,
        );
        if kind.is_none() && !tr.has("kind") {
            model
                .defaults_applied
                .push(format!("group '{}': kind = \"generic\"", id.value));
        }
        let within = tr.str("within", &mut diags);
        let within_idx = within
            .as_ref()
            .and_then(|w| resolve(w, &names.groups, "group", &mut diags));
        within_spans.push(within.map(|w| w.span));
        let reliability = read_reliability(&mut tr, &mut diags);
        let crew = tr
            .str("crew", &mut diags)
            .and_then(|c| resolve(&c, &names.crews, "crew", &mut diags));
        let _ = tr.str("description", &mut diags);
        tr.finish(GROUP_KEYS, &mut diags);
        model.groups.push(Group {
            id: id.value,
            kind: kind.unwrap_or(GroupKind::Generic),
            within: within_idx,
            reliability,
            crew,
        });
    }
    check_group_nesting(&model.groups, &within_spans, &mut diags);

    let mut dep_spans = Vec::new();
    for (id, mut tr) in components {
        let (component, spans) = read_component(
            &id,
            &mut tr,
            &names,
            &mut model.defaults_applied,
            &mut diags,
        );
        // Resolver and database settings are listed by their own readers.
        let known = [
            COMPONENT_KEYS,
            super::dns_spec::DNS_KEYS,
            super::db_spec::DB_KEYS,
        ]
        .concat();
        tr.finish(&known, &mut diags);
        model.components.push(component);
        dep_spans.push(spans);
    }
    if let Some(mut tr) = top_service {
        tr.path = "service".into();
        let mut reader = StructureReader {
            components: &names.components,
            itself: None,
            spans: Vec::new(),
        };
        model.service = reader.read_table(tr, &mut diags);
    }
    check_cycles(&model.components, &dep_spans, &mut diags);
    super::crew_spec::check_call_out(&model, &call_out_spans, &mut diags);
    // Alerts before scenarios, whose actions may wait for them by name.
    let interval = top_alerting.map_or(crate::alerts::DEFAULT_INTERVAL, |mut tr| {
        tr.path = "alerting".into();
        crate::alerts::spec::read_alerting(tr, &mut diags)
    });
    let rules = top_alerts.map_or_else(Vec::new, |v| {
        let catalogue = crate::drill::alerting::series_names(&model);
        crate::alerts::spec::read_alerts(v, text, &catalogue, &mut diags)
    });
    let mut alert_names: Vec<String> = rules.iter().map(|r| r.name.clone()).collect();
    if top_slo.as_ref().is_some_and(|t| t.has("alerts")) {
        alert_names.extend(
            crate::alerts::burn_rate::NAMES
                .iter()
                .map(|n| n.to_string()),
        );
    }
    if let Some(v) = top_scenarios {
        model.scenarios = read_drill::read_scenarios(v, &names, &alert_names, &model, &mut diags);
    }
    let has_traffic =
        model.traffic.is_some() || model.scenarios.iter().any(|s| s.traffic.is_some());
    model.slo = top_slo.and_then(|tr| crate::slo::read_slo(tr, has_traffic, &mut diags));
    let generated = model
        .slo
        .as_ref()
        .and_then(|s| s.burn_rate_target())
        .map_or_else(Vec::new, crate::alerts::burn_rate::rules);
    model.alerting = crate::alerts::spec::alerting(interval, rules, generated);
    let cost = top_cost.and_then(|tr| crate::cost::read_cost(tr, &model, &mut diags));
    model.cost = cost;

    if diags.is_empty() {
        Ok(model)
    } else {
        Err(diags.into_error(origin, text))
    }
}

fn top_has_components(doc: &DeTable) -> bool {
    doc.iter().any(|(k, _)| k.get_ref() == "components")
}

/// The entries of a table of named tables (`[components.<id>]`), each as a reader.
fn named_tables<'a, 'i>(
    top: &mut TableReader<'a, 'i>,
    key: &str,
    diags: &mut Diagnostics,
) -> Vec<(Located<String>, TableReader<'a, 'i>)> {
    let Some(mut section) = top.table(key, diags) else {
        return Vec::new();
    };
    section.path = key.to_string();
    section
        .entries()
        .into_iter()
        .filter_map(|(name, v)| {
            let path = format!("{key}.{}", name.value);
            if name.value.trim().is_empty() {
                diags.error(name.span.clone(), format!("a name in [{key}] is empty"));
                return None;
            }
            TableReader::new(v, &path, diags).map(|tr| (name, tr))
        })
        .collect()
}

pub(super) fn read_kind<K>(
    tr: &mut TableReader,
    key: &str,
    names: &[&str],
    from_name: fn(&str) -> Option<K>,
    diags: &mut Diagnostics,
) -> Option<K> {
    let k = tr.str(key, diags)?;
    let kind = from_name(&k.value);
    if kind.is_none() {
        let hint = suggest(&k.value, names.iter().copied())
            .or_else(|| Some(format!("kinds: {}", names.join(", "))));
        diags.error_hint(
            k.span,
            format!("unknown {key} '{}' in [{}]", k.value, tr.path),
            hint,
        );
    }
    kind
}

pub(super) fn read_dist(tr: &mut TableReader, key: &str, diags: &mut Diagnostics) -> Option<Dist> {
    let sub = tr.table(key, diags)?;
    Dist::read(sub, diags)
}

/// `failure` and `repair` together: both or neither.
fn read_reliability(tr: &mut TableReader, diags: &mut Diagnostics) -> Option<Reliability> {
    let failure = read_dist(tr, "failure", diags).filter(|d| {
        // A time to failure of zero would fail the component again the
        // instant it is repaired, forever: down all the time, and no end.
        let never_zero = d.mean_secs() > 0.0;
        if !never_zero {
            diags.error_hint(
                tr.span_of("failure"),
                format!(
                    "'{}.failure' is {}: a time to failure must be longer than zero",
                    tr.path,
                    d.describe()
                ),
                Some("give the mean time between failures, e.g. mean = \"90d\"".into()),
            );
        }
        never_zero
    });
    let repair = read_dist(tr, "repair", diags);
    match (tr.has("failure"), tr.has("repair")) {
        (true, false) => {
            tr.missing(
                "repair",
                diags,
                "{ dist = \"lognormal\", median = \"30m\", p95 = \"4h\" }",
            );
            None
        }
        (false, true) => {
            tr.missing(
                "failure",
                diags,
                "{ dist = \"exponential\", mean = \"90d\" }",
            );
            None
        }
        _ => Some(Reliability {
            failure: failure?,
            repair: repair?,
        }),
    }
}

fn read_component(
    id: &Located<String>,
    tr: &mut TableReader,
    names: &Names,
    defaults: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> (Component, Vec<(usize, std::ops::Range<usize>)>) {
    let name = &id.value;
    let kind = read_kind(
        tr,
        "kind",
        ComponentKind::NAMES,
        ComponentKind::from_name,
        diags,
    );
    if !tr.has("kind") {
        defaults.push(format!("component '{name}': kind = \"generic\""));
    }
    let kind = kind.unwrap_or(ComponentKind::Generic);

    let replicas = tr.u32("replicas", diags);
    let instances = tr.u32("instances", diags);
    let n = if kind == ComponentKind::Database {
        if let Some(i) = &instances {
            diags.error_hint(
                i.span.clone(),
                format!("database '{name}' counts 'replicas', not 'instances'"),
                Some("write replicas = N (the primary is added)".into()),
            );
        }
        1 + replicas.as_ref().map_or(0, |r| r.value)
    } else {
        if let Some(r) = &replicas {
            diags.error_hint(
                r.span.clone(),
                format!(
                    "'replicas' applies to databases; '{name}' is {}",
                    kind.name()
                ),
                Some("write instances = N".into()),
            );
        }
        match &instances {
            Some(i) if i.value == 0 => {
                diags.error(
                    i.span.clone(),
                    format!("component '{name}' has 0 instances; it needs at least 1"),
                );
                1
            }
            Some(i) => i.value,
            None => {
                defaults.push(format!("component '{name}': instances = 1"));
                1
            }
        }
    };

    let n_known = match &instances {
        Some(i) => i.value > 0,
        None => !tr.has("instances"),
    };
    let min_up = tr.u32("min_up", diags);
    let k = match &min_up {
        Some(m) if kind == ComponentKind::Database => {
            diags.error_hint(
                m.span.clone(),
                format!("database '{name}' works while its primary role is served; 'min_up' does not apply"),
                Some("remove min_up; failover promotes a replica".into()),
            );
            1
        }
        Some(m) if m.value == 0 => {
            diags.error(
                m.span.clone(),
                format!("min_up of '{name}' is 0; at least 1 instance must be up"),
            );
            1
        }
        // With a bad instance count, n is a stand-in: comparing with it
        // would only add a second, misleading problem.
        Some(m) if m.value > n && n_known => {
            diags.error_hint(
                m.span.clone(),
                format!(
                    "min_up of '{name}' is {} but it has only {n} instances (k greater than n)",
                    m.value
                ),
                Some(format!("min_up must be between 1 and {n}")),
            );
            n
        }
        Some(m) => m.value,
        None => {
            if n > 1 && kind != ComponentKind::Database {
                defaults.push(format!(
                    "component '{name}': min_up = 1 (works while any of its {n} instances is up)"
                ));
            }
            1
        }
    };

    let mut dep_spans = Vec::new();
    let mut resolve_list =
        |key: &str, tr: &mut TableReader, diags: &mut Diagnostics| -> Vec<usize> {
            let mut out = Vec::new();
            for d in tr.str_list(key, diags) {
                if d.value == *name {
                    diags.error(
                        d.span.clone(),
                        format!("component '{name}' depends on itself"),
                    );
                    continue;
                }
                if let Some(i) = resolve(&d, &names.components, "component", diags) {
                    if out.contains(&i) {
                        diags.error(
                            d.span.clone(),
                            format!("'{}' is listed twice in '{name}.{key}'", d.value),
                        );
                    } else {
                        out.push(i);
                        if key == "depends_on" {
                            dep_spans.push((i, d.span.clone()));
                        }
                    }
                }
            }
            out
        };
    let mut structure_spans = Vec::new();
    let (depends_on, requires) = if tr.get("depends_on").is_some_and(|v| v.get_ref().is_table()) {
        let v = tr.get("depends_on").expect("present");
        let mut reader = StructureReader {
            components: &names.components,
            itself: Some(name),
            spans: Vec::new(),
        };
        let s = reader.read(v, &format!("components.{name}.depends_on"), diags);
        structure_spans = reader.spans;
        let flat = s.as_ref().map(Structure::components).unwrap_or_default();
        (flat, s)
    } else {
        (resolve_list("depends_on", tr, diags), None)
    };
    let soft_depends_on = resolve_list("soft_depends_on", tr, diags);
    dep_spans.extend(structure_spans);
    for &s in &soft_depends_on {
        if depends_on.contains(&s) {
            diags.error(
                tr.span_of("soft_depends_on"),
                format!(
                    "'{}' is both a hard and a soft dependency of '{name}'",
                    names.components[s]
                ),
            );
        }
    }

    let reliability = read_reliability(tr, diags);
    if reliability.is_none() && !tr.has("failure") && !tr.has("repair") {
        defaults.push(format!(
            "component '{name}': never fails on its own (no failure/repair given)"
        ));
    }

    let failover_dist = read_dist(tr, "failover", diags);
    let failover = if kind == ComponentKind::Database {
        Some(Failover {
            time: failover_dist.unwrap_or_else(|| {
                if !tr.has("failover") {
                    defaults.push(format!(
                        "database '{name}': failover = constant {DEFAULT_FAILOVER} (Patroni leader TTL)"
                    ));
                }
                Dist::constant(DEFAULT_FAILOVER)
            }),
        })
    } else {
        if tr.has("failover") {
            diags.error(
                tr.span_of("failover"),
                format!(
                    "'failover' applies to databases; '{name}' is {}",
                    kind.name()
                ),
            );
        }
        None
    };

    let placement: Vec<usize> = tr
        .str_list("placement", diags)
        .iter()
        .filter_map(|g| resolve(g, &names.groups, "group", diags))
        .collect();
    if !placement.is_empty() && placement.len() > n as usize {
        diags.error(
            tr.span_of("placement"),
            format!(
                "'{name}.placement' lists {} groups for {n} instances",
                placement.len()
            ),
        );
    }
    let crew = tr
        .str("crew", diags)
        .and_then(|c| resolve(&c, &names.crews, "crew", diags));
    let _ = tr.str("description", diags);
    let mut serving = read_drill::read_serving(tr, kind, name, defaults, diags);
    serving.dns = super::dns_spec::read(tr, kind, name, n, defaults, diags);
    serving.db = super::db_spec::read(tr, kind, name, defaults, diags);
    let calls = read_calls(tr, name, &depends_on, &soft_depends_on, names, diags);
    let workload =
        super::workload::read_workload(tr, name, kind == ComponentKind::Pods, defaults, diags);

    let component = Component {
        id: name.clone(),
        kind,
        instances: n,
        min_up: k,
        depends_on,
        requires,
        soft_depends_on,
        reliability,
        placement,
        crew,
        failover,
        serving,
        calls,
        workload,
    };
    (component, dep_spans)
}

/// Reports each dependency cycle once, at the edge that closes it.
fn check_cycles(
    components: &[Component],
    dep_spans: &[Vec<(usize, std::ops::Range<usize>)>],
    diags: &mut Diagnostics,
) {
    for cycle in crate::topology::dependency_cycles(components) {
        let names: Vec<&str> = cycle.iter().map(|&i| components[i].id.as_str()).collect();
        let (from, to) = (cycle[cycle.len() - 1], cycle[0]);
        let span = dep_spans[from]
            .iter()
            .find(|(t, _)| *t == to)
            .map(|(_, s)| s.clone())
            .unwrap_or(0..1);
        diags.error_hint(
            span,
            format!("dependency cycle: {} -> {}", names.join(" -> "), names[0]),
            Some("a component cannot depend on itself, directly or through others".into()),
        );
    }
}

fn check_group_nesting(
    groups: &[Group],
    within_spans: &[Option<std::ops::Range<usize>>],
    diags: &mut Diagnostics,
) {
    for (start, g) in groups.iter().enumerate() {
        let mut seen = vec![false; groups.len()];
        let mut cur = g.within;
        while let Some(p) = cur {
            if p == start {
                diags.error(
                    within_spans[start].clone().unwrap_or(0..1),
                    format!("group '{}' is within itself (through 'within')", g.id),
                );
                break;
            }
            if seen[p] {
                break;
            }
            seen[p] = true;
            cur = groups[p].within;
        }
    }
}

/// `[components.<id>.calls.<dep>]`: the caller's policy on each of its edges.
fn read_calls(
    tr: &mut TableReader,
    name: &str,
    hard: &[usize],
    soft: &[usize],
    names: &Names,
    diags: &mut Diagnostics,
) -> Vec<(usize, super::resilience::CallPolicy)> {
    let Some(mut calls) = tr.table("calls", diags) else {
        return Vec::new();
    };
    calls.path = format!("components.{name}.calls");
    let mut out = Vec::new();
    for (dep, v) in calls.entries() {
        let Some(d) = resolve(&dep, &names.components, "component", diags) else {
            continue;
        };
        if !hard.contains(&d) && !soft.contains(&d) {
            diags.error_hint(
                dep.span.clone(),
                format!(
                    "'{name}' has a call policy for '{}', which is not one of its dependencies",
                    dep.value
                ),
                Some(format!(
                    "add '{}' to depends_on or soft_depends_on",
                    dep.value
                )),
            );
            continue;
        }
        let path = format!("components.{name}.calls.{}", dep.value);
        if let Some(policy) = TableReader::new(v, &path, diags)
            .and_then(|t| super::resilience::read_call_policy(t, diags))
        {
            out.push((d, policy));
        }
    }
    out
}
