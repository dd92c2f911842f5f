//! Model errors: every problem in a file, each with `file:line:col`, what is
//! wrong and, where one exists, a hint such as a near-miss name.

use std::fmt;
use std::ops::Range;

/// One problem found in a model file, located by a byte span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Byte range in the source text.
    pub span: Range<usize>,
    /// What is wrong (lowercase, no trailing period).
    pub message: String,
    /// How to fix it, if resim can tell.
    pub hint: Option<String>,
}

/// Collects diagnostics while a file is read, so every problem is reported
/// at once rather than only the first.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records a problem at `span`.
    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.items.push(Diagnostic {
            span,
            message: message.into(),
            hint: None,
        });
    }

    /// Records a problem at `span` with a hint.
    pub fn error_hint(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.items.push(Diagnostic {
            span,
            message: message.into(),
            hint,
        });
    }

    /// How many problems were recorded.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Turns the collected diagnostics into an error for `origin` (a file name).
    pub fn into_error(mut self, origin: &str, text: &str) -> ModelError {
        self.items.sort_by_key(|d| (d.span.start, d.span.end));
        self.items.dedup();
        let problems = self
            .items
            .into_iter()
            .map(|d| {
                let (line, col) = line_col(text, d.span.start);
                Problem {
                    line,
                    col,
                    message: d.message,
                    hint: d.hint,
                }
            })
            .collect();
        ModelError {
            origin: origin.to_string(),
            problems,
        }
    }
}

/// A located problem, ready to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

/// A model file that could not be used, with every problem found in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelError {
    /// The file name (or other origin) the text came from.
    pub origin: String,
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl ModelError {
    /// An error that is not tied to a place in the text (e.g. unreadable file).
    pub fn whole_file(origin: &str, message: impl Into<String>) -> ModelError {
        ModelError {
            origin: origin.to_string(),
            problems: vec![Problem {
                line: 1,
                col: 1,
                message: message.into(),
                hint: None,
            }],
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}:{}: {}", self.origin, p.line, p.col, p.message)?;
            if let Some(h) = &p.hint {
                write!(f, "; {h}")?;
            }
        }
        if self.problems.len() > 1 {
            write!(f, "\n{} problems in {}", self.problems.len(), self.origin)?;
        }
        Ok(())
    }
}

impl std::error::Error for ModelError {}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The candidate closest to `word` by edit distance, if close enough to be
/// a plausible typo, phrased as a hint.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&word.to_lowercase(), &c.to_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let limit = (word.chars().count().max(c.chars().count()) / 3).max(1);
    (d <= limit).then(|| format!("did you mean '{c}'?"))
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let names = ["redis-main", "db", "app"];
        assert_eq!(
            suggest("redis-mian", names),
            Some("did you mean 'redis-main'?".into())
        );
        assert_eq!(suggest("frontend", names), None);
    }

    #[test]
    fn line_and_column() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 8), (2, 3));
    }

    #[test]
    fn display_lists_every_problem() {
        let mut d = Diagnostics::default();
        d.error(6..7, "second");
        d.error_hint(0..1, "first", Some("try this".into()));
        let e = d.into_error("m.toml", "a = 1\nb = 2\n");
        assert_eq!(
            e.to_string(),
            "m.toml:1:1: first; try this\nm.toml:2:1: second\n2 problems in m.toml"
        );
    }
}
