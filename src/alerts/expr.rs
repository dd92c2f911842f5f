//! Alert expressions: a small PromQL subset over the drill's named readings,
//! parsed into an [`Expr`] tree that remembers where each reading name
//! stands in the text (for `file:line:col` errors).
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := cmp (("and" | "unless") cmp)*
//! cmp     := sum ((">" | "<" | ">=" | "<=" | "==" | "!=") sum)*
//! sum     := product (("+" | "-") product)*
//! product := unary (("*" | "/") unary)*
//! unary   := "-" unary | number | "(" expr ")" | name
//!          | FUNC "(" name "[" duration "]" ")"
//! FUNC    := rate | increase | avg_over_time | min_over_time | max_over_time
//! ```
//!
//! Precedence is PromQL's: `or` lowest, then `and`/`unless`, comparisons,
//! `+ -`, `* /`. A reading name is `component.what` (`redis.used_memory_mb`)
//! or a built-in (`requests_total`); a `-` followed by a letter continues
//! the component part of a name (`web-app.pods`), so write subtraction with
//! spaces around it.

use crate::engine::SimTime;
use crate::model::units;

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `and`: the left value where both sides have one.
    And,
    /// `or`: the left value, else the right.
    Or,
    /// `unless`: the left value where the right has none.
    Unless,
}

impl BinOp {
    /// True for the six comparisons (which filter rather than compute).
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Gt | BinOp::Lt | BinOp::Ge | BinOp::Le | BinOp::Eq | BinOp::Ne
        )
    }
}

/// A function over a range of samples of one series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeFn {
    /// Per-second increase of a counter, resets handled, extrapolated to
    /// the window's edges as Prometheus does.
    Rate,
    /// `rate` times the window \[s\].
    Increase,
    /// The plain mean of the samples in the window.
    AvgOverTime,
    /// The smallest sample in the window.
    MinOverTime,
    /// The largest sample in the window.
    MaxOverTime,
}

impl RangeFn {
    const NAMES: &'static [(&'static str, RangeFn)] = &[
        ("rate", RangeFn::Rate),
        ("increase", RangeFn::Increase),
        ("avg_over_time", RangeFn::AvgOverTime),
        ("min_over_time", RangeFn::MinOverTime),
        ("max_over_time", RangeFn::MaxOverTime),
    ];

    fn from_name(s: &str) -> Option<RangeFn> {
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|&(_, f)| f)
    }
}

/// A reading name as written, with its byte offset in the expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    /// The name, e.g. `redis.used_memory_mb`.
    pub name: String,
    /// Byte offset of its first character in the expression.
    pub offset: usize,
}

/// A parsed expression; series are still names (see `eval::Compiled`).
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number literal.
    Number(f64),
    /// The latest sample of a series.
    Series(Name),
    /// A function over the samples of the last `window` of a series.
    Range {
        /// Which function.
        func: RangeFn,
        /// The series.
        series: Name,
        /// The window.
        window: SimTime,
    },
    /// `-x`.
    Neg(Box<Expr>),
    /// A binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// Every series name the expression reads, in text order.
    pub fn names(&self) -> Vec<&Name> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Name>) {
        match self {
            Expr::Number(_) => {}
            Expr::Series(n) | Expr::Range { series: n, .. } => out.push(n),
            Expr::Neg(e) => e.collect(out),
            Expr::Binary(_, a, b) => {
                a.collect(out);
                b.collect(out);
            }
        }
    }

    /// The longest range window the expression looks back over.
    pub fn lookback(&self) -> SimTime {
        match self {
            Expr::Range { window, .. } => *window,
            Expr::Neg(e) => e.lookback(),
            Expr::Binary(_, a, b) => a.lookback().max(b.lookback()),
            _ => SimTime::ZERO,
        }
    }
}

/// A syntax error at a byte offset of the expression.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// Byte offset in the expression.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses an alert expression.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser { s: text, pos: 0 };
    let e = p.or()?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error(format!("unexpected '{}'", p.rest_token())));
    }
    Ok(e)
}

struct Parser<'s> {
    s: &'s str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: String) -> ParseError {
        ParseError {
            offset: self.pos,
            message,
        }
    }

    fn rest_token(&self) -> &str {
        let rest = &self.s[self.pos..];
        let end = rest
            .char_indices()
            .find(|&(i, c)| i > 0 && (c.is_whitespace() || "()[]".contains(c)))
            .map_or(rest.len(), |(i, _)| i);
        &rest[..end]
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.s[self.pos..].chars().next() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.s[self.pos..].chars().next()
    }

    /// Consumes `tok` if the text continues with it (a word must end there).
    fn eat(&mut self, tok: &str) -> bool {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        if !rest.starts_with(tok) {
            return false;
        }
        let word = tok.chars().all(|c| c.is_ascii_alphabetic());
        let next = rest[tok.len()..].chars().next();
        if word && next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            return false;
        }
        self.pos += tok.len();
        true
    }

    fn expect(&mut self, tok: &str, what: &str) -> Result<(), ParseError> {
        if self.eat(tok) {
            Ok(())
        } else if self.peek().is_none() {
            Err(self.error(format!("expected '{tok}' {what}, found the end")))
        } else {
            Err(self.error(format!(
                "expected '{tok}' {what}, found '{}'",
                self.rest_token()
            )))
        }
    }

    fn binary(
        &mut self,
        ops: &[(&str, BinOp)],
        next: fn(&mut Self) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        let mut left = next(self)?;
        'outer: loop {
            for &(tok, op) in ops {
                if self.eat(tok) {
                    let right = next(self)?;
                    left = Expr::Binary(op, Box::new(left), Box::new(right));
                    continue 'outer;
                }
            }
            return Ok(left);
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[("or", BinOp::Or)], Self::and)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[("and", BinOp::And), ("unless", BinOp::Unless)], Self::cmp)
    }

    fn cmp(&mut self) -> Result<Expr, ParseError> {
        // Two-character operators first.
        self.binary(
            &[
                (">=", BinOp::Ge),
                ("<=", BinOp::Le),
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
                (">", BinOp::Gt),
                ("<", BinOp::Lt),
            ],
            Self::sum,
        )
    }

    fn sum(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[("+", BinOp::Add), ("-", BinOp::Sub)], Self::product)
    }

    fn product(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[("*", BinOp::Mul), ("/", BinOp::Div)], Self::unary)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            None => Err(self.error("expected a reading, a number or '(', found the end".into())),
            Some('-') => {
                self.pos += 1;
                Ok(Expr::Neg(Box::new(self.unary()?)))
            }
            Some('(') => {
                self.pos += 1;
                let e = self.or()?;
                self.expect(")", "to close '('")?;
                Ok(e)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let name = self.name();
                if let Some(func) = RangeFn::from_name(&name.name)
                    && self.peek() == Some('(')
                {
                    return self.range(func, &name.name);
                }
                if self.peek() == Some('(') {
                    let known: Vec<&str> = RangeFn::NAMES.iter().map(|(n, _)| *n).collect();
                    return Err(ParseError {
                        offset: name.offset,
                        message: format!(
                            "unknown function '{}'; known: {}",
                            name.name,
                            known.join(", ")
                        ),
                    });
                }
                if self.peek() == Some('[') {
                    return Err(self.error(format!(
                        "a range '{}[...]' needs a function around it, e.g. rate({}[5m])",
                        name.name, name.name
                    )));
                }
                Ok(Expr::Series(name))
            }
            Some(_) => Err(self.error(format!(
                "expected a reading, a number or '(', found '{}'",
                self.rest_token()
            ))),
        }
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        let rest = &self.s[start..];
        let mut end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E'))
            .unwrap_or(rest.len());
        // An exponent sign: 1e-3.
        if end < rest.len()
            && rest[..end].ends_with(['e', 'E'])
            && rest[end..].starts_with(['-', '+'])
        {
            end += 1 + rest[end + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - end - 1);
        }
        match rest[..end].parse::<f64>() {
            Ok(v) => {
                self.pos += end;
                Ok(Expr::Number(v))
            }
            Err(_) => Err(self.error(format!("'{}' is not a number", &rest[..end]))),
        }
    }

    fn name(&mut self) -> Name {
        let start = self.pos;
        let bytes = self.s.as_bytes();
        let mut i = start;
        let mut dotted = false;
        while i < bytes.len() {
            let c = bytes[i];
            let cont = c.is_ascii_alphanumeric() || c == b'_';
            let dot = c == b'.' && i + 1 < bytes.len() && bytes[i + 1].is_ascii_alphabetic();
            let dash = c == b'-'
                && !dotted
                && i + 1 < bytes.len()
                && bytes[i + 1].is_ascii_alphabetic()
                && i > start;
            if !(cont || dot || dash) {
                break;
            }
            dotted |= dot;
            i += 1;
        }
        self.pos = i;
        Name {
            name: self.s[start..i].to_string(),
            offset: start,
        }
    }

    fn range(&mut self, func: RangeFn, fname: &str) -> Result<Expr, ParseError> {
        self.expect("(", "")?;
        if !self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return Err(self.error(format!(
                "{fname}() takes a reading with a range, e.g. {fname}(requests_total[5m])"
            )));
        }
        let series = self.name();
        self.expect(
            "[",
            &format!("after '{}' (a range such as [5m])", series.name),
        )?;
        self.skip_ws();
        let start = self.pos;
        let end = self.s[start..]
            .find(']')
            .map(|i| start + i)
            .ok_or_else(|| self.error("expected ']' to close the range".into()))?;
        let text = self.s[start..end].trim();
        let window = units::parse_duration(text).map_err(|e| ParseError {
            offset: start,
            message: format!("bad range '{text}': {e}"),
        })?;
        if window == SimTime::ZERO {
            return Err(ParseError {
                offset: start,
                message: "a range must be longer than zero".into(),
            });
        }
        self.pos = end + 1;
        self.expect(")", &format!("to close {fname}("))?;
        Ok(Expr::Range {
            func,
            series,
            window,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(n: &str, offset: usize) -> Expr {
        Expr::Series(Name {
            name: n.into(),
            offset,
        })
    }

    #[test]
    fn precedence_follows_promql() {
        let e = parse("a > 1 + 2 * 3 and b or c").unwrap();
        let Expr::Binary(BinOp::Or, l, r) = e else {
            panic!("or at the top: {e:?}")
        };
        assert_eq!(*r, series("c", 23));
        let Expr::Binary(BinOp::And, cmp, b) = *l else {
            panic!("and under or")
        };
        assert_eq!(*b, series("b", 18));
        let Expr::Binary(BinOp::Gt, a, sum) = *cmp else {
            panic!("comparison under and")
        };
        assert_eq!(*a, series("a", 0));
        assert!(matches!(*sum, Expr::Binary(BinOp::Add, _, _)));
    }

    #[test]
    fn names_with_components_and_ranges() {
        let e = parse("rate(requests_failed_total[5m]) / rate(requests_total[5m]) > 0.05").unwrap();
        assert_eq!(e.lookback(), SimTime::from_secs_f64(300.0));
        let names: Vec<_> = e.names().iter().map(|n| n.name.clone()).collect();
        assert_eq!(names, ["requests_failed_total", "requests_total"]);
        let e = parse("web-app.pods - 1").unwrap();
        assert!(matches!(e, Expr::Binary(BinOp::Sub, _, _)));
        assert_eq!(e.names()[0].name, "web-app.pods");
        assert_eq!(
            parse("avg_over_time(redis.hit_ratio[2m]) < 0.4")
                .unwrap()
                .names()[0]
                .offset,
            14
        );
        assert_eq!(
            parse("x > 1e-3").unwrap(),
            Expr::Binary(
                BinOp::Gt,
                Box::new(series("x", 0)),
                Box::new(Expr::Number(1e-3))
            )
        );
    }

    #[test]
    fn errors_point_into_the_text() {
        let e = parse("redis.used_memory_mb > ").unwrap_err();
        assert_eq!(e.offset, 23);
        assert!(e.message.contains("found the end"), "{}", e.message);
        let e = parse("rate(x[5q])").unwrap_err();
        assert_eq!(e.offset, 7);
        assert!(e.message.contains("bad range"), "{}", e.message);
        let e = parse("rat(x[5m])").unwrap_err();
        assert_eq!(e.offset, 0);
        assert!(
            e.message.contains("unknown function 'rat'"),
            "{}",
            e.message
        );
        let e = parse("(a > 1").unwrap_err();
        assert_eq!(e.offset, 6);
        let e = parse("a > 1 )").unwrap_err();
        assert_eq!(e.offset, 6);
        let e = parse("x[5m] > 1").unwrap_err();
        assert!(e.message.contains("needs a function"), "{}", e.message);
    }
}
