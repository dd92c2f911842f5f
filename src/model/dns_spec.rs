//! The resolver settings of a `dns` component, read with spans: the
//! resolvers' addresses (`resolvers`, one per instance), the clients'
//! resolv.conf (`resolv = { nameservers, timeout, attempts, rotate, ndots,
//! search }`), the name they resolve, their caches (`negative_ttl`; the
//! answer TTL is the component's `ttl`), a static hosts entry, and CoreDNS's
//! cache cap. Any of these keys turns on the resolver mechanics of
//! [`crate::dns`] in drills; without them a `dns` component keeps the simple
//! behaviour (one shared answer cached for `ttl`).

use super::ComponentKind;
use super::error::{Diagnostics, suggest};
use super::k8s_spec::{POSITIVE_TIME, read_count, read_duration};
use super::reader::{Located, TableReader};
use crate::dns::ResolvConf;
use crate::dns::coredns::DEFAULT_CAP;
use crate::dns::resolv::{MAX_ATTEMPTS, MAX_NAMESERVERS, MAX_NDOTS, MAX_SEARCH, MAX_TIMEOUT};
use crate::engine::SimTime;
use crate::scenario::Action;

/// The keys of a component table this reader owns.
pub const DNS_KEYS: &[&str] = &[
    "resolvers",
    "resolv",
    "name",
    "negative_ttl",
    "hosts_override",
    "clients",
    "cache",
];
const RESOLV_KEYS: &[&str] = &[
    "nameservers",
    "timeout",
    "attempts",
    "rotate",
    "ndots",
    "search",
];

/// The name looked up when the model gives none: the runbook's (seed, DNS outage).
pub const DEFAULT_NAME: &str = "backend.service.local";
/// Client-side negative TTL: the JVM's `networkaddress.cache.negative.ttl`,
/// 10 s in the shipped java.security (domain reference §8).
pub const DEFAULT_NEGATIVE_TTL: SimTime = SimTime(10 * SimTime::SECOND.0);
/// Client hosts when the model gives none. A modelling choice, not a real
/// default: enough hosts that their caches expire at scattered times (so an
/// outage bites gradually, as it does in a fleet), few enough that the
/// per-host state costs nothing.
pub const DEFAULT_CLIENTS: u32 = 10;

/// How the clients of a `dns` component resolve its name.
#[derive(Clone, Debug, PartialEq)]
pub struct DnsSpec {
    /// The address of each instance, in instance order.
    pub resolvers: Vec<String>,
    /// The clients' resolv.conf; its nameservers are among `resolvers`.
    pub resolv: ResolvConf,
    /// The name the clients resolve.
    pub name: String,
    /// How long a client keeps a failed lookup.
    pub negative_ttl: SimTime,
    /// Whether the clients' /etc/hosts maps the name (no DNS at all).
    pub hosts_override: bool,
    /// Client hosts, each with its own stub resolver and cache.
    pub clients: u32,
    /// CoreDNS's cache cap on the resolvers.
    pub cache: SimTime,
}

/// Reads the resolver keys of component `name` (a `dns` with `instances`
/// resolvers); `None` when it has none of them (or is not a `dns`).
pub(super) fn read(
    tr: &mut TableReader,
    kind: ComponentKind,
    name: &str,
    instances: u32,
    defaults: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Option<DnsSpec> {
    let present: Vec<&str> = DNS_KEYS.iter().copied().filter(|k| tr.has(k)).collect();
    if present.is_empty() {
        return None;
    }
    if kind != ComponentKind::Dns {
        for k in present {
            diags.error(
                tr.span_of(k),
                format!("'{k}' applies to dns; '{name}' is {}", kind.name()),
            );
            let _ = tr.get(k);
        }
        return None;
    }
    let mut unset: Vec<String> = Vec::new();
    let resolvers = read_resolvers(tr, name, instances, &mut unset, diags);
    let mut resolv = ResolvConf::glibc_default(resolvers.clone());
    match tr.table("resolv", diags) {
        Some(r) => read_resolv(r, name, &resolvers, &mut resolv, diags),
        None if !tr.has("resolv") => unset.push(
            "resolv = glibc defaults (every resolver, timeout 5s, attempts 2, ndots 1, no search)"
                .into(),
        ),
        None => {}
    }
    if resolv.nameservers.len() > MAX_NAMESERVERS {
        diags.error_hint(
            tr.span_of("resolv"),
            format!(
                "'{name}' lists {} nameservers but a resolv.conf uses at most {MAX_NAMESERVERS} (glibc MAXNS)",
                resolv.nameservers.len()
            ),
            Some("list at most 3 in resolv.nameservers".into()),
        );
    }
    let host = match tr.str("name", diags) {
        Some(n) if n.value.trim().is_empty() || n.value.contains(char::is_whitespace) => {
            diags.error(n.span, format!("'{name}.name' must be a host name"));
            String::new()
        }
        Some(n) => n.value,
        None => {
            unset.push(format!("name = \"{DEFAULT_NAME}\""));
            DEFAULT_NAME.to_string()
        }
    };
    let mut negative_ttl = DEFAULT_NEGATIVE_TTL;
    if !tr.has("negative_ttl") {
        unset.push("negative_ttl = 10s (JVM networkaddress.cache.negative.ttl)".into());
    }
    let any_time = (SimTime::ZERO, SimTime::NEVER);
    read_duration(tr, "negative_ttl", any_time, &mut negative_ttl, diags);
    let hosts_override = tr.bool("hosts_override", diags).is_some_and(|b| b.value);
    let mut clients = DEFAULT_CLIENTS;
    if !tr.has("clients") {
        unset.push(format!(
            "clients = {DEFAULT_CLIENTS} (client hosts, each with its own cache)"
        ));
    }
    read_count(tr, "clients", (1, u16::MAX as u32), &mut clients, diags);
    let mut cache = DEFAULT_CAP;
    if !tr.has("cache") {
        unset.push("cache = 30s (CoreDNS `cache 30`, kubeadm Corefile)".into());
    }
    read_duration(tr, "cache", POSITIVE_TIME, &mut cache, diags);
    if !unset.is_empty() {
        defaults.push(format!(
            "component '{name}' (resolver defaults): {}",
            unset.join(", ")
        ));
    }
    // Kept even with errors (the model is rejected anyway), so that actions
    // on this component are not reported as lacking resolver settings.
    Some(DnsSpec {
        resolvers,
        resolv,
        name: host,
        negative_ttl,
        hosts_override,
        clients,
        cache,
    })
}

/// `resolvers = ["10.0.0.2", ...]`: one address per instance (default
/// 10.0.0.2, 10.0.0.3, ...).
fn read_resolvers(
    tr: &mut TableReader,
    name: &str,
    instances: u32,
    unset: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Vec<String> {
    if !tr.has("resolvers") {
        let list: Vec<String> = (0..instances)
            .map(|i| format!("10.0.0.{}", 2 + i))
            .collect();
        unset.push(format!("resolvers = {}", list.join(" ")));
        return list;
    }
    let span = tr.span_of("resolvers");
    let list: Vec<String> = tr
        .str_list("resolvers", diags)
        .into_iter()
        .map(|n| n.value)
        .collect();
    if list.len() != instances as usize {
        diags.error_hint(
            span,
            format!(
                "'{name}.resolvers' lists {} addresses but '{name}' has {instances} instances",
                list.len()
            ),
            Some("list one address per instance, in instance order".into()),
        );
    }
    list
}

fn read_resolv(
    mut r: TableReader,
    name: &str,
    resolvers: &[String],
    out: &mut ResolvConf,
    diags: &mut Diagnostics,
) {
    if r.has("nameservers") {
        let list = r.str_list("nameservers", diags);
        out.nameservers.clear();
        for ns in list {
            if let Some(i) = resolver_index(&ns, name, resolvers, diags) {
                if out.nameservers.contains(&resolvers[i]) {
                    diags.error(
                        ns.span,
                        format!("nameserver '{}' is listed twice", ns.value),
                    );
                } else {
                    out.nameservers.push(ns.value);
                }
            }
        }
        if out.nameservers.is_empty() {
            diags.error(
                r.span.clone(),
                format!("'{name}.resolv.nameservers' lists no resolver"),
            );
        }
    }
    read_duration(
        &mut r,
        "timeout",
        (SimTime::SECOND, MAX_TIMEOUT),
        &mut out.timeout,
        diags,
    );
    if !out.timeout.0.is_multiple_of(SimTime::SECOND.0) {
        diags.error(
            r.span_of("timeout"),
            format!("'{name}.resolv.timeout' is whole seconds in a resolv.conf"),
        );
    }
    read_count(
        &mut r,
        "attempts",
        (1, MAX_ATTEMPTS),
        &mut out.attempts,
        diags,
    );
    read_count(&mut r, "ndots", (0, MAX_NDOTS), &mut out.ndots, diags);
    if let Some(b) = r.bool("rotate", diags) {
        out.rotate = b.value;
    }
    if r.has("search") {
        let span = r.span_of("search");
        out.search = r
            .str_list("search", diags)
            .into_iter()
            .map(|s| s.value)
            .collect();
        if out.search.len() > MAX_SEARCH {
            diags.error(
                span,
                format!(
                    "'{name}.resolv.search' has {} domains; at most {MAX_SEARCH}",
                    out.search.len()
                ),
            );
        }
    }
    r.finish(RESOLV_KEYS, diags);
}

/// The instance with address `ns`, reporting an unknown address.
fn resolver_index(
    ns: &Located<String>,
    name: &str,
    resolvers: &[String],
    diags: &mut Diagnostics,
) -> Option<usize> {
    let i = resolvers.iter().position(|r| *r == ns.value);
    if i.is_none() {
        let hint = suggest(&ns.value, resolvers.iter().map(String::as_str))
            .or_else(|| Some(format!("resolvers: {}", resolvers.join(", "))));
        diags.error_hint(
            ns.span.clone(),
            format!("nameserver '{}' is not one of '{name}.resolvers'", ns.value),
            hint,
        );
    }
    i
}

/// Reads a DNS containment action (`restart_resolver`, `switch_resolver`
/// with an optional `nameserver` to list first, `hosts_override`) on
/// `target`, which must be a `dns` component (with resolver settings, except
/// for a restart).
pub(super) fn read_dns_action(
    et: &mut TableReader,
    name: &Located<String>,
    target: Option<usize>,
    components: &[super::Component],
    diags: &mut Diagnostics,
) -> Option<Action> {
    let to = if name.value == "switch_resolver" {
        et.str("nameserver", diags)
    } else {
        None
    };
    let c = &components[target?];
    let needs_spec = name.value != "restart_resolver";
    if c.kind != ComponentKind::Dns || (needs_spec && c.serving.dns.is_none()) {
        let what = if needs_spec {
            "a dns component with resolver settings"
        } else {
            "a dns component"
        };
        diags.error_hint(
            name.span.clone(),
            format!("'{}' applies to {what}; '{}' is not one", name.value, c.id),
            needs_spec.then(|| format!("give '{}' e.g. resolv = {{ timeout = \"5s\" }}", c.id)),
        );
        return None;
    }
    let to = match (&to, &c.serving.dns) {
        (Some(ns), Some(spec)) => Some(resolver_index(ns, &c.id, &spec.resolvers, diags)? as u32),
        _ => None,
    };
    let target = target?;
    Some(match name.value.as_str() {
        "restart_resolver" => Action::RestartResolver { target },
        "switch_resolver" => Action::SwitchResolver { target, to },
        "hosts_override" => Action::HostsOverride { target },
        other => {
            let hint = suggest(other, crate::scenario::ACTION_NAMES.iter().copied());
            diags.error_hint(name.span.clone(), format!("unknown action '{other}'"), hint);
            return None;
        }
    })
}
