//! Structure expressions: which components must work for a whole to work.
//!
//! `[service]` gives the service's up-condition and `depends_on = { any =
//! [...] }` a component's own where "all of them" is not the truth. An
//! expression is a component name or a table with one of `all = [...]`,
//! `any = [...]` or `k_of = K, of = [...]`, nested freely:
//!
//! ```toml
//! [service]
//! any = ["region-east", { k_of = 2, of = ["a", "b", "c"] }]
//! ```
//!
//! An `any` dependency is also a failover choice for the drill: `pick =
//! "primary"` (the default) calls the first member that works, `"spread"`
//! spreads calls over the members that work.

use std::ops::Range;

use toml::Spanned;
use toml::de::DeValue;

use super::error::Diagnostics;
use super::read::resolve;
use super::reader::{Located, TableReader};

/// How a caller picks among the members of an `any` dependency in a drill.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pick {
    /// The first member (in the order listed) the caller sees working.
    #[default]
    Primary,
    /// Round robin over the members the caller sees working.
    Spread,
}

impl Pick {
    /// The names accepted in model files.
    pub const NAMES: &'static [&'static str] = &["primary", "spread"];
}

/// A boolean structure over components.
#[derive(Clone, Debug, PartialEq)]
pub enum Structure {
    /// The component (an index into `Model::components`) works.
    Component(usize),
    /// Every member works.
    All(Vec<Structure>),
    /// At least one member works; the drill picks among them by `Pick`.
    Any(Vec<Structure>, Pick),
    /// At least `k` members work.
    KOf(usize, Vec<Structure>),
}

impl Structure {
    /// Whether the structure holds when `works(c)` says which components work.
    pub fn eval(&self, works: &impl Fn(usize) -> bool) -> bool {
        match self {
            Structure::Component(c) => works(*c),
            Structure::All(m) => m.iter().all(|s| s.eval(works)),
            Structure::Any(m, _) => m.iter().any(|s| s.eval(works)),
            Structure::KOf(k, m) => m.iter().filter(|s| s.eval(works)).count() >= *k,
        }
    }

    /// Every component named, in order of first mention.
    pub fn components(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut Vec<usize>) {
        match self {
            Structure::Component(c) => {
                if !out.contains(c) {
                    out.push(*c);
                }
            }
            Structure::All(m) | Structure::Any(m, _) | Structure::KOf(_, m) => {
                m.iter().for_each(|s| s.collect(out))
            }
        }
    }

    /// The expression in words, e.g. `any(east, west)`, `2 of (a, b, c)`.
    pub fn describe(&self, names: &impl Fn(usize) -> String) -> String {
        let list = |m: &[Structure]| {
            m.iter()
                .map(|s| s.describe(names))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Structure::Component(c) => names(*c),
            Structure::All(m) => format!("all({})", list(m)),
            Structure::Any(m, Pick::Primary) => format!("any({})", list(m)),
            Structure::Any(m, Pick::Spread) => format!("any({}; spread)", list(m)),
            Structure::KOf(k, m) => format!("{k} of ({})", list(m)),
        }
    }
}

/// Deeper nesting than this is refused (it would only be a damaged file).
const MAX_DEPTH: usize = 32;

/// Reads structure expressions, resolving names against `components`.
pub(super) struct StructureReader<'n> {
    /// Component ids in file order.
    pub components: &'n [String],
    /// A component that may not be named (the one whose dependencies these are).
    pub itself: Option<&'n str>,
    /// Each component named, with the span of its name (for cycle errors).
    pub spans: Vec<(usize, Range<usize>)>,
}

impl StructureReader<'_> {
    /// Reads the expression `value`, called `path` in messages.
    pub fn read(
        &mut self,
        value: &Spanned<DeValue>,
        path: &str,
        diags: &mut Diagnostics,
    ) -> Option<Structure> {
        self.read_at(value, path, 0, diags)
    }

    /// Reads a table that is itself an expression (`[service]`).
    pub fn read_table(
        &mut self,
        mut tr: TableReader,
        diags: &mut Diagnostics,
    ) -> Option<Structure> {
        let s = self.read_operator(&mut tr, 0, diags);
        tr.finish(&["all", "any", "k_of", "of", "pick"], diags);
        s
    }

    fn read_at(
        &mut self,
        value: &Spanned<DeValue>,
        path: &str,
        depth: usize,
        diags: &mut Diagnostics,
    ) -> Option<Structure> {
        if depth > MAX_DEPTH {
            diags.error(
                value.span(),
                format!("'{path}' nests deeper than {MAX_DEPTH} levels"),
            );
            return None;
        }
        match value.get_ref() {
            DeValue::String(s) => {
                let name = Located {
                    value: s.to_string(),
                    span: value.span(),
                };
                if self.itself == Some(s.as_ref()) {
                    diags.error(name.span, format!("component '{s}' depends on itself"));
                    return None;
                }
                let c = resolve(&name, self.components, "component", diags)?;
                self.spans.push((c, name.span));
                Some(Structure::Component(c))
            }
            DeValue::Table(_) => {
                let mut tr = TableReader::new(value, path, diags)?;
                let s = self.read_operator(&mut tr, depth, diags);
                tr.finish(&["all", "any", "k_of", "of", "pick"], diags);
                s
            }
            other => {
                diags.error_hint(
                    value.span(),
                    format!(
                        "'{path}' must be a component name or a table, found {}",
                        other.type_str()
                    ),
                    Some("write \"db\", { all = [...] }, { any = [...] } or { k_of = 2, of = [...] }".into()),
                );
                None
            }
        }
    }

    /// The operator of a table: exactly one of `all`, `any`, `k_of`.
    fn read_operator(
        &mut self,
        tr: &mut TableReader,
        depth: usize,
        diags: &mut Diagnostics,
    ) -> Option<Structure> {
        if !tr.exclusive(&["all", "any", "k_of"], diags) {
            return None;
        }
        let path = tr.path.clone();
        if tr.has("pick") && !tr.has("any") {
            diags.error(
                tr.span_of("pick"),
                format!("'{path}.pick' applies to an 'any' only"),
            );
        }
        if tr.has("of") && !tr.has("k_of") {
            diags.error(
                tr.span_of("of"),
                format!("'{path}.of' goes with 'k_of' (k_of = 2, of = [...])"),
            );
        }
        if tr.has("all") {
            let m = self.members(tr, "all", depth, diags)?;
            Some(Structure::All(m))
        } else if tr.has("any") {
            let pick = tr.str("pick", diags).and_then(|p| match p.value.as_str() {
                "primary" => Some(Pick::Primary),
                "spread" => Some(Pick::Spread),
                other => {
                    diags.error_hint(
                        p.span,
                        format!("unknown pick '{other}' in '{path}'"),
                        Some("pick = \"primary\" or \"spread\"".into()),
                    );
                    None
                }
            });
            let m = self.members(tr, "any", depth, diags)?;
            Some(Structure::Any(m, pick.unwrap_or_default()))
        } else if tr.has("k_of") {
            let k = tr.u32("k_of", diags);
            if !tr.has("of") {
                tr.missing("of", diags, "[\"a\", \"b\", \"c\"]");
                return None;
            }
            let m = self.members(tr, "of", depth, diags)?;
            let k = k?;
            if k.value == 0 {
                diags.error(
                    k.span,
                    format!("'{path}.k_of' is 0: at least 1 member must work"),
                );
                return None;
            }
            if k.value as usize > m.len() {
                diags.error_hint(
                    k.span,
                    format!(
                        "'{path}.k_of' is {} but 'of' lists only {} (k greater than n)",
                        k.value,
                        m.len()
                    ),
                    Some(format!("k_of must be between 1 and {}", m.len())),
                );
                return None;
            }
            Some(Structure::KOf(k.value as usize, m))
        } else {
            diags.error_hint(
                tr.span.start..tr.span.start + 1,
                format!("'{path}' needs one of 'all', 'any' or 'k_of'"),
                Some("e.g. any = [\"east\", \"west\"]".into()),
            );
            None
        }
    }

    /// The members listed under `key`: a non-empty array of expressions.
    fn members(
        &mut self,
        tr: &mut TableReader,
        key: &str,
        depth: usize,
        diags: &mut Diagnostics,
    ) -> Option<Vec<Structure>> {
        let path = format!("{}.{key}", tr.path);
        let span = tr.span_of(key);
        let items = tr.array(key, diags)?;
        if items.is_empty() {
            diags.error_hint(
                span,
                format!("'{path}' is empty: it needs at least one member"),
                Some("list components or expressions, e.g. [\"east\", \"west\"]".into()),
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (i, v) in items.into_iter().enumerate() {
            match self.read_at(v, &format!("{path}[{i}]"), depth + 1, diags) {
                Some(s) => {
                    if matches!(s, Structure::Component(_)) && out.contains(&s) {
                        diags.error(v.span(), format!("'{path}' lists a component twice"));
                        ok = false;
                    }
                    out.push(s)
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}
