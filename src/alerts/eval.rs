//! Evaluating an alert expression at one instant over stored samples, with
//! PromQL's meanings: an instant selector takes the newest sample at most
//! 5 minutes old, a comparison keeps the value where it holds and drops it
//! otherwise, `and`/`or`/`unless` combine presence, and `rate` is
//! Prometheus's `extrapolatedRate` (counter resets added back, the result
//! extrapolated to the window's edges, never below zero).

use super::expr::{BinOp, Expr, RangeFn};
use crate::engine::SimTime;

/// How old the newest sample of an instant selector may be
/// (`--query.lookback-delta`, 5m).
pub const LOOKBACK: SimTime = SimTime(5 * SimTime::MINUTE.0);

/// Samples of the series an evaluator keeps: one row of times, one column
/// of values per series (NaN: no value in that sample).
#[derive(Clone, Debug, Default)]
pub struct Samples {
    /// Sample times, increasing.
    pub times: Vec<SimTime>,
    /// Per series, one value per time.
    pub values: Vec<Vec<f64>>,
}

impl Samples {
    /// An empty store of `series` columns.
    pub fn new(series: usize) -> Samples {
        Samples {
            times: Vec::new(),
            values: vec![Vec::new(); series],
        }
    }

    /// Appends one sample of every series at `t` (after the previous one).
    pub fn push(&mut self, t: SimTime, value: impl Fn(usize) -> f64) {
        self.times.push(t);
        for (i, col) in self.values.iter_mut().enumerate() {
            col.push(value(i));
        }
    }

    /// Indices of the samples in `(from, to]`.
    fn window(&self, from: SimTime, to: SimTime) -> std::ops::Range<usize> {
        let lo = self.times.partition_point(|&t| t <= from);
        let hi = self.times.partition_point(|&t| t <= to);
        lo..hi
    }
}

/// An expression whose series names are resolved to columns of [`Samples`].
#[derive(Clone, Debug, PartialEq)]
pub enum Compiled {
    /// A number.
    Number(f64),
    /// The newest sample of column `.0`.
    Series(usize),
    /// A function over a window of column `series`.
    Range {
        /// Which function.
        func: RangeFn,
        /// The column.
        series: usize,
        /// The window.
        window: SimTime,
    },
    /// `-x`.
    Neg(Box<Compiled>),
    /// A binary operation.
    Binary(BinOp, Box<Compiled>, Box<Compiled>),
}

impl Compiled {
    /// Resolves `expr`'s names with `column` (which must know every name).
    pub fn new(expr: &Expr, column: &mut impl FnMut(&str) -> usize) -> Compiled {
        match expr {
            Expr::Number(v) => Compiled::Number(*v),
            Expr::Series(n) => Compiled::Series(column(&n.name)),
            Expr::Range {
                func,
                series,
                window,
            } => Compiled::Range {
                func: *func,
                series: column(&series.name),
                window: *window,
            },
            Expr::Neg(e) => Compiled::Neg(Box::new(Compiled::new(e, column))),
            Expr::Binary(op, a, b) => Compiled::Binary(
                *op,
                Box::new(Compiled::new(a, column)),
                Box::new(Compiled::new(b, column)),
            ),
        }
    }

    /// The expression's value at `now`: `None` when it returns no series
    /// (a comparison that does not hold, no data); an alert is active
    /// while it has a value.
    pub fn eval(&self, s: &Samples, now: SimTime) -> Option<f64> {
        self.value(s, now).v
    }

    fn value(&self, s: &Samples, now: SimTime) -> Val {
        match self {
            Compiled::Number(v) => Val {
                v: Some(*v),
                vector: false,
            },
            Compiled::Series(c) => {
                let r = s.window(now.saturating_sub(LOOKBACK), now);
                let v = r.clone().next_back().map(|i| s.values[*c][i]);
                Val {
                    v: v.filter(|x| !x.is_nan()),
                    vector: true,
                }
            }
            Compiled::Range {
                func,
                series,
                window,
            } => {
                let r = s.window(now.saturating_sub(*window), now);
                let pts: Vec<(SimTime, f64)> = r
                    .map(|i| (s.times[i], s.values[*series][i]))
                    .filter(|p| !p.1.is_nan())
                    .collect();
                Val {
                    v: range_fn(*func, &pts, now, *window),
                    vector: true,
                }
            }
            Compiled::Neg(e) => {
                let x = e.value(s, now);
                Val {
                    v: x.v.map(|v| -v),
                    ..x
                }
            }
            Compiled::Binary(op, a, b) => binary(*op, a.value(s, now), b.value(s, now)),
        }
    }
}

/// A value and whether it comes from a series (comparisons keep the
/// series side's value).
#[derive(Clone, Copy, Debug)]
struct Val {
    v: Option<f64>,
    vector: bool,
}

fn binary(op: BinOp, l: Val, r: Val) -> Val {
    let vector = l.vector || r.vector;
    let v = match op {
        BinOp::And => l.v.and(r.v).and(l.v),
        BinOp::Or => l.v.or(r.v),
        BinOp::Unless => l.v.filter(|_| r.v.is_none()),
        _ => match (l.v, r.v) {
            (Some(x), Some(y)) if op.is_comparison() => {
                let holds = match op {
                    BinOp::Gt => x > y,
                    BinOp::Lt => x < y,
                    BinOp::Ge => x >= y,
                    BinOp::Le => x <= y,
                    BinOp::Eq => x == y,
                    _ => x != y,
                };
                // `3 < x` keeps x, as PromQL keeps the vector side.
                holds.then_some(if !l.vector && r.vector { y } else { x })
            }
            (Some(x), Some(y)) => Some(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                _ => x / y,
            }),
            _ => None,
        },
    };
    Val { v, vector }
}

fn range_fn(func: RangeFn, pts: &[(SimTime, f64)], now: SimTime, window: SimTime) -> Option<f64> {
    let vals = || pts.iter().map(|p| p.1);
    match func {
        RangeFn::Rate => extrapolated_rate(pts, now, window, true),
        RangeFn::Increase => extrapolated_rate(pts, now, window, false),
        RangeFn::AvgOverTime => (!pts.is_empty()).then(|| vals().sum::<f64>() / pts.len() as f64),
        RangeFn::MinOverTime => vals().reduce(f64::min),
        RangeFn::MaxOverTime => vals().reduce(f64::max),
    }
}

/// Prometheus's `extrapolatedRate` for a counter (promql/functions.go):
/// the increase between the first and last sample of the window, every
/// decrease taken as a reset (the value before it added back), extrapolated
/// to the window's edges when the gap is under 1.1 average spacings (else
/// by half a spacing) and never back past the counter's zero; per second
/// for `rate`.
pub fn extrapolated_rate(
    pts: &[(SimTime, f64)],
    now: SimTime,
    window: SimTime,
    per_second: bool,
) -> Option<f64> {
    if pts.len() < 2 {
        return None;
    }
    let (first, last) = (pts[0], pts[pts.len() - 1]);
    let mut result = last.1 - first.1;
    for w in pts.windows(2) {
        if w[1].1 < w[0].1 {
            result += w[0].1;
        }
    }
    let secs = |t: SimTime| t.as_secs_f64();
    let range_start = secs(now) - secs(window);
    let mut to_start = secs(first.0) - range_start;
    let to_end = secs(now) - secs(last.0);
    let sampled = secs(last.0) - secs(first.0);
    if sampled <= 0.0 {
        return None;
    }
    let spacing = sampled / (pts.len() - 1) as f64;
    if result > 0.0 && first.1 >= 0.0 {
        let to_zero = sampled * (first.1 / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = spacing * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        spacing / 2.0
    };
    interval += if to_end < threshold {
        to_end
    } else {
        spacing / 2.0
    };
    let mut factor = interval / sampled;
    if per_second {
        factor /= secs(window);
    }
    Some(result * factor)
}

#[cfg(test)]
mod tests {
    use super::super::expr::parse;
    use super::*;

    fn s(x: f64) -> SimTime {
        SimTime::from_secs_f64(x)
    }

    /// One series sampled every 10 s with `values`, starting at 10 s.
    fn store(values: &[f64]) -> Samples {
        let mut st = Samples::new(1);
        for (i, v) in values.iter().enumerate() {
            st.push(s(10.0 * (i + 1) as f64), |_| *v);
        }
        st
    }

    fn eval(text: &str, st: &Samples, now: f64) -> Option<f64> {
        let e = parse(text).unwrap();
        Compiled::new(&e, &mut |_| 0).eval(st, s(now))
    }

    #[test]
    fn rate_of_a_steady_counter_is_its_slope() {
        // +5 per 10 s sample = 0.5/s; a window of 60 s at t = 120 s holds the
        // samples at 70..120 s; first and last are within 1.1 spacings of the
        // edges, so the 50 s sampled interval extrapolates to the full 60 s.
        let st = store(&(0..12).map(|i| 100.0 + 5.0 * i as f64).collect::<Vec<_>>());
        let r = eval("rate(x[1m])", &st, 120.0).unwrap();
        assert!((r - 0.5).abs() < 1e-12, "{r}");
        let inc = eval("increase(x[1m])", &st, 120.0).unwrap();
        assert!((inc - 30.0).abs() < 1e-9, "{inc}");
    }

    #[test]
    fn rate_adds_back_counter_resets() {
        // 100, 105, 110, then the process restarts: 3, 8, 13 (+5 each step,
        // the reset step counting its 3 from zero). Increase over the five
        // steps: (110 - 100) + 110 (added back) + (13 - 110) = 10 + 13 = 23,
        // the 5 steps' true increase (5+5+3+5+5). The window (60 s at 60 s)
        // holds samples 10..60 s; the start edge is 10 s from the first
        // sample (< 1.1 x 10 s), the end 0: 50 s extrapolated to 60 s.
        let st = store(&[100.0, 105.0, 110.0, 3.0, 8.0, 13.0]);
        let r = eval("rate(x[1m])", &st, 60.0).unwrap();
        let want = 23.0 * 60.0 / 50.0 / 60.0;
        assert!((r - want).abs() < 1e-12, "{r} vs {want}");
    }

    #[test]
    fn rate_never_extrapolates_below_zero() {
        // A counter born at 0 s reads 2, 4, 6 at 10, 20, 30 s: the start edge
        // of a 60 s window (at -30 s) is before the counter existed; the zero
        // point is 20 s x 2 / 4 = 10 s before the first sample, so the
        // interval is 20 + 10 + 0 = 30 s: increase 6 over the window.
        let st = store(&[2.0, 4.0, 6.0]);
        let inc = eval("increase(x[1m])", &st, 30.0).unwrap();
        assert!((inc - 6.0).abs() < 1e-9, "{inc}");
        // One sample is no rate.
        assert_eq!(eval("rate(x[1m])", &store(&[5.0]), 10.0), None);
    }

    #[test]
    fn comparisons_filter_and_sets_combine() {
        let st = store(&[1.0, 2.0, 3.0]);
        assert_eq!(eval("x > 2", &st, 30.0), Some(3.0));
        assert_eq!(eval("x > 3", &st, 30.0), None);
        assert_eq!(eval("2 < x", &st, 30.0), Some(3.0));
        assert_eq!(eval("x * 2 - 1", &st, 30.0), Some(5.0));
        assert_eq!(eval("x > 5 or x < 4", &st, 30.0), Some(3.0));
        assert_eq!(eval("x > 1 and x > 5", &st, 30.0), None);
        assert_eq!(eval("x unless x > 1", &st, 30.0), None);
        assert_eq!(eval("avg_over_time(x[30s])", &st, 30.0), Some(2.0));
        assert_eq!(eval("max_over_time(x[15s])", &st, 30.0), Some(3.0));
        // Stale after the lookback: nothing newer than 5 minutes.
        assert_eq!(eval("x", &st, 30.0 + 301.0), None);
        assert_eq!(eval("x", &st, 5.0), None);
    }
}
