//! A typed walk over a parsed TOML document that keeps every span and
//! collects every problem instead of stopping at the first.
//!
//! Each table is read through a [`TableReader`], which marks the keys it was
//! asked for; [`TableReader::finish`] then reports every key nobody asked for
//! as unknown, with a near-miss hint.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{Diagnostics, suggest};
use super::units;
use crate::engine::SimTime;

/// A value with the byte span it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Its byte span in the model file.
    pub span: Range<usize>,
}

/// Reads one TOML table, remembering which keys were used.
pub struct TableReader<'a, 'i> {
    table: &'a DeTable<'i>,
    /// The table's span (for errors about missing keys).
    pub span: Range<usize>,
    /// The table's dotted name, e.g. `components.app`.
    pub path: String,
    used: Vec<bool>,
}

impl<'a, 'i> TableReader<'a, 'i> {
    /// Wraps a table value; records an error and returns `None` for any other type.
    pub fn new(
        value: &'a Spanned<DeValue<'i>>,
        path: &str,
        diags: &mut Diagnostics,
    ) -> Option<Self> {
        match value.get_ref() {
            DeValue::Table(t) => Some(Self::from_table(t, value.span(), path)),
            other => {
                diags.error(
                    value.span(),
                    format!("'{path}' must be a table, found {}", other.type_str()),
                );
                None
            }
        }
    }

    /// Wraps a table directly.
    pub fn from_table(table: &'a DeTable<'i>, span: Range<usize>, path: &str) -> Self {
        TableReader {
            table,
            span,
            path: path.to_string(),
            used: vec![false; table.len()],
        }
    }

    /// The raw value of `key`, marking it used.
    pub fn get(&mut self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        let (i, (_, v)) = self
            .table
            .iter()
            .enumerate()
            .find(|(_, (k, _))| k.get_ref() == key)?;
        self.used[i] = true;
        Some(v)
    }

    /// True when `key` is present (does not mark it used).
    pub fn has(&self, key: &str) -> bool {
        self.table.iter().any(|(k, _)| k.get_ref() == key)
    }

    /// The span of `key`'s value, or of the table when absent.
    pub fn span_of(&self, key: &str) -> Range<usize> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v.span())
            .unwrap_or(self.span.clone())
    }

    /// Every entry not yet used, in file order: for tables of named items.
    pub fn entries(&mut self) -> Vec<(Located<String>, &'a Spanned<DeValue<'i>>)> {
        let mut out = Vec::new();
        for (i, (k, v)) in self.table.iter().enumerate() {
            if !self.used[i] {
                self.used[i] = true;
                out.push((
                    Located {
                        value: k.get_ref().to_string(),
                        span: k.span(),
                    },
                    v,
                ));
            }
        }
        out
    }

    fn type_error(&self, diags: &mut Diagnostics, key: &str, v: &Spanned<DeValue>, want: &str) {
        diags.error(
            v.span(),
            format!(
                "'{}.{key}' must be {want}, found {}",
                self.path,
                v.get_ref().type_str()
            ),
        );
    }

    /// A string value.
    pub fn str(&mut self, key: &str, diags: &mut Diagnostics) -> Option<Located<String>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(Located {
                value: s.to_string(),
                span: v.span(),
            }),
            _ => {
                self.type_error(diags, key, v, "a string");
                None
            }
        }
    }

    /// A number (integer or float).
    pub fn f64(&mut self, key: &str, diags: &mut Diagnostics) -> Option<Located<f64>> {
        let v = self.get(key)?;
        let parsed = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
                .ok()
                .map(|x| x as f64),
            DeValue::Float(x) => parse_toml_float(x.as_str()),
            _ => None,
        };
        match parsed {
            Some(value) => Some(Located {
                value,
                span: v.span(),
            }),
            None => {
                self.type_error(diags, key, v, "a number");
                None
            }
        }
    }

    /// A non-negative integer that fits in `u32`.
    pub fn u32(&mut self, key: &str, diags: &mut Diagnostics) -> Option<Located<u32>> {
        let v = self.get(key)?;
        if let DeValue::Integer(i) = v.get_ref() {
            match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
                Ok(n) if (0..=u32::MAX as i64).contains(&n) => {
                    return Some(Located {
                        value: n as u32,
                        span: v.span(),
                    });
                }
                Ok(n) => {
                    diags.error(
                        v.span(),
                        format!(
                            "'{}.{key}' must be a whole number from 0 up, found {n}",
                            self.path
                        ),
                    );
                    return None;
                }
                Err(_) => {}
            }
        }
        self.type_error(diags, key, v, "a whole number");
        None
    }

    /// A boolean.
    pub fn bool(&mut self, key: &str, diags: &mut Diagnostics) -> Option<Located<bool>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(Located {
                value: *b,
                span: v.span(),
            }),
            _ => {
                self.type_error(diags, key, v, "true or false");
                None
            }
        }
    }

    /// A duration string with a unit (`"250ms"`, `"5m"`).
    pub fn duration(&mut self, key: &str, diags: &mut Diagnostics) -> Option<Located<SimTime>> {
        let s = self.str(key, diags)?;
        match units::parse_duration(&s.value) {
            Ok(t) => Some(Located {
                value: t,
                span: s.span,
            }),
            Err(e) => {
                diags.error(s.span, format!("'{}.{key}': {e}", self.path));
                None
            }
        }
    }

    /// A byte size (`"512Mi"`, `"2gb"`, or an integer number of bytes).
    pub fn bytes(&mut self, key: &str, diags: &mut Diagnostics) -> Option<Located<u64>> {
        let v = self.get(key)?;
        let text = match v.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(i) => i.as_str().to_string(),
            _ => {
                self.type_error(diags, key, v, "a size such as \"512Mi\"");
                return None;
            }
        };
        match units::parse_bytes(&text) {
            Ok(b) => Some(Located {
                value: b,
                span: v.span(),
            }),
            Err(e) => {
                diags.error(v.span(), format!("'{}.{key}': {e}", self.path));
                None
            }
        }
    }

    /// A rate (`"200/s"`) or a plain number of events per second.
    pub fn rate(&mut self, key: &str, diags: &mut Diagnostics) -> Option<Located<f64>> {
        let v = self.get(key)?;
        let parsed = match v.get_ref() {
            DeValue::String(s) => units::parse_rate(s),
            DeValue::Integer(i) => i
                .as_str()
                .replace('_', "")
                .parse::<f64>()
                .map_err(|e| e.to_string()),
            DeValue::Float(x) => {
                parse_toml_float(x.as_str()).ok_or_else(|| "not a number".to_string())
            }
            _ => Err(format!(
                "must be a rate such as \"200/s\", found {}",
                v.get_ref().type_str()
            )),
        };
        match parsed {
            Ok(r) if r.is_finite() && r >= 0.0 => Some(Located {
                value: r,
                span: v.span(),
            }),
            Ok(r) => {
                let what = if r.is_finite() {
                    "must not be negative"
                } else {
                    "must be a finite number"
                };
                diags.error(v.span(), format!("'{}.{key}' {what}, found {r}", self.path));
                None
            }
            Err(e) => {
                diags.error(v.span(), format!("'{}.{key}': {e}", self.path));
                None
            }
        }
    }

    /// An array of values (each with its span).
    pub fn array(
        &mut self,
        key: &str,
        diags: &mut Diagnostics,
    ) -> Option<Vec<&'a Spanned<DeValue<'i>>>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Array(a) => Some(a.iter().collect()),
            _ => {
                self.type_error(diags, key, v, "an array");
                None
            }
        }
    }

    /// An array of strings; non-strings are reported and skipped.
    pub fn str_list(&mut self, key: &str, diags: &mut Diagnostics) -> Vec<Located<String>> {
        let path = format!("{}.{key}", self.path);
        let Some(items) = self.array(key, diags) else {
            return Vec::new();
        };
        items
            .into_iter()
            .filter_map(|v| match v.get_ref() {
                DeValue::String(s) => Some(Located {
                    value: s.to_string(),
                    span: v.span(),
                }),
                other => {
                    diags.error(
                        v.span(),
                        format!("'{path}' must list strings, found {}", other.type_str()),
                    );
                    None
                }
            })
            .collect()
    }

    /// A sub-table.
    pub fn table(&mut self, key: &str, diags: &mut Diagnostics) -> Option<TableReader<'a, 'i>> {
        let path = format!("{}.{key}", self.path);
        let v = self.get(key)?;
        TableReader::new(v, &path, diags)
    }

    /// Reports a required key that is missing.
    pub fn missing(&self, key: &str, diags: &mut Diagnostics, example: &str) {
        diags.error_hint(
            self.span.start..self.span.start + 1,
            format!("'{}' needs '{key}'", self.path),
            Some(format!("add e.g. {key} = {example}")),
        );
    }

    /// Reports a group of keys of which at most one may be given, at the
    /// second one present; returns false when several are.
    pub fn exclusive(&mut self, keys: &[&str], diags: &mut Diagnostics) -> bool {
        let present: Vec<&str> = keys.iter().copied().filter(|k| self.has(k)).collect();
        if present.len() < 2 {
            return true;
        }
        let quoted = |ks: &[&str]| ks.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>();
        let others = if keys.len() > present.len() {
            format!(" (give one of {})", quoted(keys).join(", "))
        } else {
            "; give one".to_string()
        };
        diags.error(
            self.span_of(present[1]),
            format!(
                "'{}': {} are mutually exclusive{others}",
                self.path,
                quoted(&present).join(" and ")
            ),
        );
        false
    }

    /// Reports every key that was never asked for, with a hint from `known`.
    ///
    /// A known key left unread was skipped because of another problem in
    /// the file (already reported) or because the keys around it make it
    /// meaningless; only the latter is reported, and never as unknown.
    pub fn finish(self, known: &[&str], diags: &mut Diagnostics) {
        let place = if self.path.is_empty() {
            "at the top level".to_string()
        } else {
            format!("in [{}]", self.path)
        };
        let had_errors = !diags.is_empty();
        for (i, (k, _)) in self.table.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            if known.contains(&k.get_ref().as_ref()) {
                if !had_errors {
                    diags.error(
                        k.span(),
                        format!(
                            "'{}' {place} does not apply with the other keys given",
                            k.get_ref()
                        ),
                    );
                }
                continue;
            }
            let hint = suggest(k.get_ref(), known.iter().copied())
                .or_else(|| Some(format!("known keys here: {}", known.join(", "))));
            diags.error_hint(
                k.span(),
                format!("unknown key '{}' {place}", k.get_ref()),
                hint,
            );
        }
    }
}

fn parse_toml_float(s: &str) -> Option<f64> {
    match s {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        _ => s.replace('_', "").parse().ok(),
    }
}
