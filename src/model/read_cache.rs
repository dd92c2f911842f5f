//! Reading a cache component's key space (`maxmemory`, `maxmemory_policy`,
//! `keys = { count, zipf | uniform, size, ttl, ttl_share }`, `on_write`) and the
//! `config_set` scenario action. Defaults are Redis's (domain.md §6).

use toml::de::DeValue;

use super::ComponentKind;
use super::error::{Diagnostics, suggest};
use super::read::read_kind;
use super::reader::{Located, TableReader};
use crate::redis::keyspace::MAX_KEYS;
use crate::redis::{
    CacheSetting, CacheSpec, EvictionPolicy, KeyPopularity, OnWrite, RedisConfig, SizeDist,
};

/// The component keys this file reads.
pub(super) const CACHE_KEYS: &[&str] = &[
    "maxmemory",
    "maxmemory_policy",
    "maxmemory_samples",
    "keys",
    "on_write",
    "stampede",
    "persistence",
    "replication",
    "sentinel",
    "cluster",
];
const KEYS_KEYS: &[&str] = &[
    "count",
    "zipf",
    "uniform",
    "size",
    "ttl",
    "ttl_share",
    "hash_tag_share",
];
const SIZE_KEYS: &[&str] = &["dist", "median", "p95", "min", "max"];

/// The key space of cache `name`, if it has one (`keys` given).
pub(super) fn read_cache(
    tr: &mut TableReader,
    kind: ComponentKind,
    name: &str,
    defaults: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Option<CacheSpec> {
    let present: Vec<&str> = CACHE_KEYS.iter().copied().filter(|k| tr.has(k)).collect();
    if present.is_empty() {
        return None;
    }
    if kind != ComponentKind::Cache {
        for k in &present {
            let _ = tr.get(k);
        }
        diags.error(
            tr.span_of(present[0]),
            format!(
                "'{}' applies to caches; '{name}' is {}",
                present[0],
                kind.name()
            ),
        );
        return None;
    }
    if !tr.has("keys") {
        tr.missing(
            "keys",
            diags,
            "{ count = 1_000_000, zipf = 0.9, size = \"1KiB\" } (the hit ratio emerges from them)",
        );
        return None;
    }
    if tr.has("hit_ratio") {
        diags.error_hint(
            tr.span_of("hit_ratio"),
            format!("'{name}' has both 'hit_ratio' and 'keys'"),
            Some(
                "with 'keys' the hit ratio emerges from memory and popularity; drop 'hit_ratio'"
                    .into(),
            ),
        );
    }
    let mut config = RedisConfig::default();
    let mut unset = Vec::new();
    match tr.bytes("maxmemory", diags) {
        Some(b) => config.maxmemory = b.value,
        None if !tr.has("maxmemory") => unset.push("maxmemory = 0 (no limit; redis.conf)"),
        None => {}
    }
    match read_kind(
        tr,
        "maxmemory_policy",
        EvictionPolicy::NAMES,
        EvictionPolicy::from_name,
        diags,
    ) {
        Some(p) => config.policy = p,
        None if !tr.has("maxmemory_policy") => unset.push(
            "maxmemory_policy = noeviction (redis.conf; a full cache refuses writes with OOM)",
        ),
        None => {}
    }
    if let Some(s) = tr.u32("maxmemory_samples", diags) {
        // redis.conf accepts 1..=64 (src/config.c bounds).
        if !(1..=64).contains(&s.value) {
            diags.error(
                s.span,
                format!("'{name}.maxmemory_samples' must be between 1 and 64"),
            );
        } else {
            config.samples = s.value;
        }
    } else if !tr.has("maxmemory_samples") {
        unset.push("maxmemory_samples = 5 (redis.conf; eviction pool of 16, evict.c)");
    }
    let on_write = match read_kind(tr, "on_write", OnWrite::NAMES, OnWrite::from_name, diags) {
        Some(w) => w,
        None => {
            if !tr.has("on_write") {
                unset.push("on_write = invalidate (DEL the entry after a database write)");
            }
            OnWrite::Invalidate
        }
    };
    let mut kt = tr.table("keys", diags)?;
    let keys = read_popularity(&mut kt, diags);
    let size = read_size(&mut kt, diags);
    let ttl = kt.duration("ttl", diags).map(|t| t.value);
    if ttl.is_none() && !kt.has("ttl") {
        unset.push("keys.ttl = none (values never expire)");
    }
    let ttl_share = match kt.f64("ttl_share", diags) {
        Some(p) if !(0.0..=1.0).contains(&p.value) => {
            diags.error(
                p.span,
                format!(
                    "'{}.ttl_share' is a share and must be between 0 and 1",
                    kt.path
                ),
            );
            1.0
        }
        Some(p) if ttl.is_none() => {
            diags.error_hint(
                p.span,
                format!("'{}.ttl_share' needs 'ttl'", kt.path),
                Some("add e.g. ttl = \"1h\"".into()),
            );
            1.0
        }
        Some(p) => p.value,
        None => 1.0,
    };
    let hash_tag_share = super::read_redis_ha::read_hash_tag_share(&mut kt, diags);
    kt.finish(KEYS_KEYS, diags);
    let ha = crate::redis::HaSpec {
        hash_tag_share,
        ..super::read_redis_ha::read_ha(tr, name, defaults, diags)
    };
    let stampede = tr
        .table("stampede", diags)
        .map(|st| super::read_stampede::read_stampede(st, ttl.is_some(), diags))
        .unwrap_or_default();
    let persistence = tr
        .table("persistence", diags)
        .and_then(|pt| super::read_persistence::read_persistence(pt, name, defaults, diags));
    if !unset.is_empty() {
        defaults.push(format!(
            "component '{name}' (redis defaults): {}",
            unset.join(", ")
        ));
    }
    Some(CacheSpec {
        config,
        keys: keys?,
        size: size?,
        ttl,
        ttl_share,
        on_write,
        stampede,
        persistence,
        ha,
    })
}

fn read_popularity(kt: &mut TableReader, diags: &mut Diagnostics) -> Option<KeyPopularity> {
    let count = kt.u32("count", diags);
    if count.is_none() && !kt.has("count") {
        kt.missing("count", diags, "1_000_000");
    }
    let count = count.and_then(|c| {
        if c.value == 0 || c.value > MAX_KEYS {
            diags.error_hint(
                c.span,
                format!("'{}.count' must be between 1 and {MAX_KEYS}", kt.path),
                Some("each key costs 16 B of simulator memory; model the hot part of larger key spaces".into()),
            );
            None
        } else {
            Some(c.value)
        }
    });
    let zipf = kt.f64("zipf", diags);
    let uniform = kt.bool("uniform", diags);
    match (zipf, uniform) {
        (Some(z), None) => {
            if !(z.value.is_finite() && z.value >= 0.0) {
                diags.error(
                    z.span,
                    format!("'{}.zipf' is a skew and must be 0 or more", kt.path),
                );
                return None;
            }
            KeyPopularity::zipf(count?, z.value)
        }
        (None, Some(Located { value: true, .. })) => Some(KeyPopularity::Uniform { n: count? }),
        (Some(z), Some(_)) => {
            diags.error(
                z.span,
                format!("'{}' takes one of 'zipf' or 'uniform'", kt.path),
            );
            None
        }
        (None, Some(u)) => {
            diags.error(
                u.span,
                format!(
                    "'{}.uniform = false' leaves no popularity; give zipf = 0.9",
                    kt.path
                ),
            );
            None
        }
        (None, None) => {
            if !kt.has("zipf") && !kt.has("uniform") {
                kt.missing("zipf", diags, "0.9 (or uniform = true)");
            }
            None
        }
    }
}

/// `size = "2KiB"` or `{ dist = "lognormal", median = "1KiB", p95 = "16KiB" }`
/// or `{ dist = "uniform", min = "100B", max = "4KiB" }`.
fn read_size(kt: &mut TableReader, diags: &mut Diagnostics) -> Option<SizeDist> {
    let Some(v) = kt.get("size") else {
        kt.missing("size", diags, "\"1KiB\"");
        return None;
    };
    let small = |b: Located<u64>, diags: &mut Diagnostics| -> Option<u32> {
        match u32::try_from(b.value) {
            Ok(x) if x > 0 => Some(x),
            _ => {
                diags.error(b.span, "a value size must be between 1 B and 4 GiB");
                None
            }
        }
    };
    if !matches!(v.get_ref(), DeValue::Table(_)) {
        let b = kt.bytes("size", diags)?;
        return small(b, diags).map(SizeDist::Constant);
    }
    let mut st = TableReader::new(v, &format!("{}.size", kt.path), diags)?;
    let dist = st.str("dist", diags);
    let out = match dist.as_ref().map(|d| d.value.as_str()) {
        Some("lognormal") => {
            let (m, p) = (st.bytes("median", diags), st.bytes("p95", diags));
            for (k, got) in [("median", m.is_some()), ("p95", p.is_some())] {
                if !got && !st.has(k) {
                    st.missing(k, diags, "\"1KiB\"");
                }
            }
            let (m, p) = (m?, p?);
            let span = p.span.clone();
            let d = SizeDist::lognormal(m.value as f64, p.value as f64);
            if d.is_none() {
                diags.error(
                    span,
                    format!("'{}.p95' must be at least the median", st.path),
                );
            }
            d
        }
        Some("uniform") => {
            let (lo, hi) = (st.bytes("min", diags), st.bytes("max", diags));
            for (k, got) in [("min", lo.is_some()), ("max", hi.is_some())] {
                if !got && !st.has(k) {
                    st.missing(k, diags, "\"1KiB\"");
                }
            }
            let (lo, hi) = (small(lo?, diags)?, hi?);
            let span = hi.span.clone();
            let hi = small(hi, diags)?;
            if hi < lo {
                diags.error(span, format!("'{}.max' must be at least 'min'", st.path));
                return None;
            }
            Some(SizeDist::Uniform { min: lo, max: hi })
        }
        Some("constant") => st
            .bytes("value", diags)
            .and_then(|b| small(b, diags))
            .map(SizeDist::Constant),
        Some(other) => {
            let names = ["constant", "uniform", "lognormal"];
            let hint =
                suggest(other, names).or_else(|| Some(format!("sizes: {}", names.join(", "))));
            diags.error_hint(
                dist.as_ref().expect("some").span.clone(),
                format!("unknown size distribution '{other}'"),
                hint,
            );
            None
        }
        None => {
            if !st.has("dist") {
                st.missing("dist", diags, "\"lognormal\"");
            }
            None
        }
    };
    let mut known = SIZE_KEYS.to_vec();
    known.push("value");
    st.finish(&known, diags);
    out
}

/// `action = "config_set", param = "maxmemory" | "maxmemory-policy", value
/// = "2gb" | "allkeys-lru"` on a cache with a key space.
pub(super) fn read_config_set(
    et: &mut TableReader,
    target: Option<(usize, &super::Component)>,
    diags: &mut Diagnostics,
) -> Option<CacheSetting> {
    if let Some((_, c)) = target
        && c.serving.keyspace.is_none()
    {
        diags.error_hint(
            et.span_of("target"),
            format!(
                "'config_set' needs a cache with a valid key space; '{}' has none",
                c.id
            ),
            Some("give the cache maxmemory and keys = { count, zipf, size }".into()),
        );
    }
    let param = et.str("param", diags);
    if param.is_none() && !et.has("param") {
        et.missing("param", diags, "\"maxmemory\"");
    }
    let setting = match param.as_ref().map(|p| p.value.as_str()) {
        Some("maxmemory") => et
            .bytes("value", diags)
            .map(|b| CacheSetting::MaxMemory(b.value)),
        Some("maxmemory-policy") => read_kind(
            et,
            "value",
            EvictionPolicy::NAMES,
            EvictionPolicy::from_name,
            diags,
        )
        .map(CacheSetting::Policy),
        Some(other) => {
            let hint = suggest(other, CacheSetting::NAMES.iter().copied())
                .or_else(|| Some(format!("parameters: {}", CacheSetting::NAMES.join(", "))));
            diags.error_hint(
                param.as_ref().expect("some").span.clone(),
                format!("unknown config parameter '{other}'"),
                hint,
            );
            None
        }
        None => None,
    };
    if !et.has("value") {
        et.missing("value", diags, "\"2gb\"");
    }
    let _ = et.get("value"); // read above when the parameter was known
    target.filter(|(_, c)| c.serving.keyspace.is_some())?;
    setting
}

/// `action = "command", command = "KEYS *" | "DEL" | "UNLINK", elements =
/// 5_000_000` (the collection's size for DEL and UNLINK) on a cache with a
/// key space.
pub(super) fn read_command(
    et: &mut TableReader,
    target: Option<(usize, &super::Component)>,
    diags: &mut Diagnostics,
) -> Option<crate::redis::slow_command::SlowCommand> {
    use crate::redis::slow_command::SlowCommand;
    if let Some((_, c)) = target
        && c.serving.keyspace.is_none()
    {
        diags.error_hint(
            et.span_of("target"),
            format!(
                "'command' needs a cache with a key space; '{}' has none",
                c.id
            ),
            Some("give the cache maxmemory and keys = { count, zipf, size }".into()),
        );
    }
    let cmd = et.str("command", diags);
    if cmd.is_none() && !et.has("command") {
        et.missing(
            "command",
            diags,
            "\"KEYS *\" (or \"DEL\", \"UNLINK\" with elements)",
        );
    }
    let elements = et.u32("elements", diags).map(|e| u64::from(e.value));
    let out = match cmd.as_ref().map(|c| c.value.to_ascii_uppercase()) {
        Some(c) if c == "KEYS *" || c == "KEYS" => Some(SlowCommand::Keys),
        Some(c) if c == "DEL" || c == "UNLINK" => {
            if elements.is_none() && !et.has("elements") {
                et.missing("elements", diags, "5_000_000 (the big key's elements)");
            }
            let elements = elements?;
            Some(if c == "DEL" {
                SlowCommand::Del { elements }
            } else {
                SlowCommand::Unlink { elements }
            })
        }
        Some(_) => {
            let c = cmd.as_ref().expect("some");
            diags.error_hint(
                c.span.clone(),
                format!("unknown slow command '{}'", c.value),
                Some(format!("commands: {}", SlowCommand::NAMES.join(", "))),
            );
            None
        }
        None => None,
    };
    target.filter(|(_, c)| c.serving.keyspace.is_some())?;
    out
}
