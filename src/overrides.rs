//! `--set PATH=VALUE`: edits to a model file given on the command line, as
//! every command takes them (`run`, `availability`, `compare`, `sweep`).
//!
//! `PATH` is a dotted key in the model file (`components.app.instances`,
//! `traffic.rate`, `slo.p99`). A path that starts with a component id is
//! taken inside `components` (`app.workers`), and `replicas` on a component
//! that is not a database means its instance count. An array of named
//! tables is entered by name: `scenarios.spike.traffic.rate`. `VALUE` is a
//! TOML value (`5`, `0.8`, `"500ms"`, `true`, `{ max = 2 }`); anything else
//! is taken as a string, so `500ms` and `800/s` need no quotes.
//!
//! The edits are applied one at a time to the parsed document and the model
//! is read again after each, so a problem is reported against the `--set`
//! argument that caused it, never against a line of a regenerated document.

use std::fmt;

use crate::model::error::suggest;
use crate::model::{ComponentKind, Model, ModelError};

// The model's top-level sections, for checking the first key of a path.
use crate::model::TOP_KEYS as SECTIONS;

/// A model with `--set` edits that could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum SetError {
    /// The model file itself has problems (before any edit).
    Model(ModelError),
    /// One `--set` (or `--vary`, `--find`) argument is wrong.
    Arg {
        /// The option, `--set`.
        flag: &'static str,
        /// The argument as given, `PATH=VALUE`.
        arg: String,
        /// What is wrong with it (lowercase, no trailing period).
        message: String,
    },
}

impl fmt::Display for SetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::Model(e) => write!(f, "{e}"),
            SetError::Arg { flag, arg, message } => write!(f, "{flag} '{arg}': {message}"),
        }
    }
}

impl std::error::Error for SetError {}

/// One parsed `--set` argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The argument as given.
    pub arg: String,
    /// The dotted path, as written.
    pub path: Vec<String>,
    /// The value.
    pub value: toml::Value,
}

impl Override {
    /// Parses `PATH=VALUE`.
    pub fn parse(arg: &str) -> Result<Override, SetError> {
        let bad = |message: &str| SetError::Arg {
            flag: "--set",
            arg: arg.to_string(),
            message: message.to_string(),
        };
        let (path, value) = arg
            .split_once('=')
            .ok_or_else(|| bad("expected PATH=VALUE, e.g. app.replicas=5"))?;
        let path = split_path(path);
        if path.iter().any(String::is_empty) {
            return Err(bad("the path has an empty key"));
        }
        if value.trim().is_empty() {
            return Err(bad("the value is empty"));
        }
        Ok(Override {
            arg: arg.to_string(),
            path,
            value: parse_value(value.trim()),
        })
    }

    /// The same path with another value (a sweep's point).
    pub fn with_value(&self, value: toml::Value) -> Override {
        let shown = match &value {
            toml::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        Override {
            arg: format!("{}={shown}", self.path.join(".")),
            path: self.path.clone(),
            value,
        }
    }
}

/// Splits a dotted path at dots outside double quotes: `slo."p99.9"` is
/// `slo` and `p99.9`.
fn split_path(path: &str) -> Vec<String> {
    let mut keys = vec![String::new()];
    let mut quoted = false;
    for ch in path.trim().chars() {
        match ch {
            '"' => quoted = !quoted,
            '.' if !quoted => keys.push(String::new()),
            _ => keys.last_mut().expect("one key").push(ch),
        }
    }
    keys.iter().map(|k| k.trim().to_string()).collect()
}

/// A TOML value, or the text as a string when it is not one.
pub fn parse_value(v: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {v}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(v.to_string()))
}

/// Reads model `text` (from `origin`) with the `--set` arguments `sets`
/// applied in order.
pub fn apply_sets(text: &str, origin: &str, sets: &[String]) -> Result<Model, SetError> {
    let parsed = sets
        .iter()
        .map(|s| Override::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    apply(text, origin, &parsed)
}

/// Reads model `text` with `edits` applied in order; with no edits this is
/// [`Model::parse`].
pub fn apply(text: &str, origin: &str, edits: &[Override]) -> Result<Model, SetError> {
    let mut model = Model::parse(text, origin).map_err(SetError::Model)?;
    if edits.is_empty() {
        return Ok(model);
    }
    let mut doc: toml::Table = toml::from_str(text)
        .map_err(|e| SetError::Model(ModelError::whole_file(origin, e.to_string())))?;
    for (i, edit) in edits.iter().enumerate() {
        let bad = |message: String| SetError::Arg {
            flag: "--set",
            arg: edit.arg.clone(),
            message,
        };
        let keys = resolve_path(&model, &edit.path).map_err(bad)?;
        set_value(&mut doc, &keys, edit.value.clone()).map_err(bad)?;
        let label = format!(
            "{origin} with --set {}",
            edits[..=i]
                .iter()
                .map(|e| e.arg.as_str())
                .collect::<Vec<_>>()
                .join(" --set ")
        );
        let edited = toml::to_string(&doc).map_err(|e| bad(e.to_string()))?;
        model = Model::parse(&edited, &label).map_err(|e| bad(problems(&e, &keys)))?;
    }
    Ok(model)
}

/// A model error's problems without their places in the regenerated text;
/// the ones about the edited key when there are such (a bad instance count
/// also upsets `min_up` and the placement, which would only distract).
fn problems(e: &ModelError, keys: &[String]) -> String {
    let full = keys.join(".");
    let last = format!("'{}'", keys[keys.len() - 1]);
    let about: Vec<_> = (e.problems.iter())
        .filter(|p| p.message.contains(&full) || p.message.contains(&last))
        .collect();
    let shown = if about.is_empty() {
        e.problems.iter().collect()
    } else {
        about
    };
    shown
        .into_iter()
        .map(|p| match &p.hint {
            Some(h) => format!("{}; {h}", p.message),
            None => p.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The path as keys of the file: a leading component id goes under
/// `components`, and `replicas` of a non-database means `instances`.
fn resolve_path(model: &Model, path: &[String]) -> Result<Vec<String>, String> {
    let mut keys = path.to_vec();
    if let Some(c) = model.components.iter().find(|c| c.id == keys[0]) {
        if keys.len() == 2 && keys[1] == "replicas" && c.kind != ComponentKind::Database {
            keys[1] = "instances".into();
        }
        keys.insert(0, "components".into());
    } else if !SECTIONS.contains(&keys[0].as_str()) {
        let ids = model.components.iter().map(|c| c.id.as_str());
        let hint = suggest(&keys[0], ids.chain(SECTIONS.iter().copied()))
            .map(|h| format!("; {h}"))
            .unwrap_or_else(|| {
                let ids: Vec<&str> = model.components.iter().map(|c| c.id.as_str()).collect();
                format!("; components: {}", ids.join(", "))
            });
        return Err(format!(
            "unknown path: '{}' is neither a component nor a section of the model{hint}",
            keys[0]
        ));
    }
    if keys.len() < 2 {
        return Err(format!(
            "'{}' is a whole section; give a key inside it, e.g. {}.KEY=VALUE",
            keys[0], path[0]
        ));
    }
    if keys[0] == "components" && model.component_index(&keys[1]).is_none() {
        let hint = suggest(&keys[1], model.components.iter().map(|c| c.id.as_str()))
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        return Err(format!("unknown path: no component '{}'{hint}", keys[1]));
    }
    Ok(keys)
}

/// Sets `keys` in `doc` to `value`, creating tables on the way and entering
/// arrays of tables by their `name`.
fn set_value(doc: &mut toml::Table, keys: &[String], value: toml::Value) -> Result<(), String> {
    let (last, parents) = keys.split_last().expect("a path has a key");
    let mut cur = doc;
    let mut walked = Vec::new();
    for k in parents {
        walked.push(k.as_str());
        let entry = cur
            .entry(k.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = match entry {
            toml::Value::Table(t) => t,
            toml::Value::Array(items) => {
                // The next key names an element: `scenarios.spike`.
                return set_in_named(items, &walked, &keys[walked.len()..], value);
            }
            _ => return Err(format!("'{}' is not a table", walked.join("."))),
        };
    }
    cur.insert(last.clone(), value);
    Ok(())
}

fn set_in_named(
    items: &mut [toml::Value],
    walked: &[&str],
    rest: &[String],
    value: toml::Value,
) -> Result<(), String> {
    let names: Vec<String> = items
        .iter()
        .filter_map(|v| v.get("name").and_then(|n| n.as_str()).map(String::from))
        .collect();
    let table = items
        .iter_mut()
        .filter_map(|v| v.as_table_mut())
        .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(rest[0].as_str()));
    let Some(table) = table else {
        let hint = suggest(&rest[0], names.iter().map(String::as_str))
            .unwrap_or_else(|| format!("defined: {}", names.join(", ")));
        return Err(format!(
            "unknown path: no '{}' named '{}'; {hint}",
            walked.join("."),
            rest[0]
        ));
    };
    if rest.len() < 2 {
        return Err(format!(
            "give a key inside '{}.{}'",
            walked.join("."),
            rest[0]
        ));
    }
    set_value(table, &rest[1..], value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"
[components.app]
kind = "pods"
instances = 2
workers = 4
service = { dist = "exponential", mean = "10ms" }

[traffic]
rate = "100/s"

[[scenarios]]
name = "steady"
duration = "1m"

[[scenarios]]
name = "spike"
duration = "1m"
"#;

    fn err(sets: &[&str]) -> String {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        apply_sets(MODEL, "m.toml", &sets)
            .expect_err("a bad edit")
            .to_string()
    }

    #[test]
    fn edits_reach_components_sections_and_named_scenarios() {
        let sets = [
            "app.replicas=5".to_string(),
            "traffic.rate=250/s".to_string(),
            "scenarios.spike.duration=2m".to_string(),
        ];
        let m = apply_sets(MODEL, "m.toml", &sets).expect("valid edits");
        assert_eq!(m.components[0].instances, 5);
        assert_eq!(m.traffic.as_ref().map(|t| t.rate), Some(250.0));
        assert_eq!(m.scenarios[1].duration.as_secs_f64(), 120.0);
        assert_eq!(m.scenarios[0].duration.as_secs_f64(), 60.0);
        assert!(m.origin.contains("--set app.replicas=5"), "{}", m.origin);
    }

    #[test]
    fn errors_name_the_argument_not_a_regenerated_line() {
        let e = err(&["nope.workers=5"]);
        assert!(e.starts_with("--set 'nope.workers=5': unknown path"), "{e}");
        let e = err(&["app.wokers=5"]);
        assert!(
            e.starts_with("--set 'app.wokers=5': unknown key 'wokers'"),
            "{e}"
        );
        assert!(e.contains("did you mean 'workers'"), "{e}");
        let e = err(&["app.replicas=5ms"]);
        assert!(e.starts_with("--set 'app.replicas=5ms': "), "{e}");
        assert!(e.contains("must be a whole number"), "{e}");
        assert!(!e.contains("min_up"), "only the edited key's problem: {e}");
        assert!(!e.contains("m.toml"), "{e}");
        let e = err(&["scenarios.spkie.duration=1m"]);
        assert!(
            e.contains("no 'scenarios' named 'spkie'; defined: steady, spike"),
            "{e}"
        );
        assert!(err(&["app.replicas"]).contains("expected PATH=VALUE"));
        assert!(err(&["app..x=1"]).contains("empty key"));
        assert!(err(&["traffic=1"]).contains("whole section"));
        // The second edit is the bad one, and it is the one named.
        let e = err(&["app.replicas=3", "traffic.rate=fast"]);
        assert!(e.starts_with("--set 'traffic.rate=fast'"), "{e}");
    }

    #[test]
    fn values_are_toml_or_text() {
        assert_eq!(split_path("slo.\"p99.9\""), vec!["slo", "p99.9"]);
        assert_eq!(parse_value("5"), toml::Value::Integer(5));
        assert_eq!(parse_value("500ms"), toml::Value::String("500ms".into()));
        assert_eq!(parse_value("\"a b\""), toml::Value::String("a b".into()));
        let o = Override::parse("traffic.rate=1/s").expect("valid");
        assert_eq!(
            o.with_value(toml::Value::Float(2.5)).arg,
            "traffic.rate=2.5"
        );
    }
}
