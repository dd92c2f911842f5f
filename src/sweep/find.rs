//! `--find`: the point where the SLO stops holding, refined by bisection on
//! common random numbers.
//!
//! - `max PATH`: the largest value of a varied path at which every chosen
//!   scenario still meets the SLO (the SLO is assumed to hold below some
//!   value and fail above it, as with load).
//! - `min PATH`: the smallest value that meets it (as with replicas).
//! - `cheapest`: the grid point of lowest cost that meets it.
//!
//! "Meets" is judged on the measured values (every objective's margin ≥ 0)
//! so the answer converges on the true boundary as trials grow; each point's
//! verdict (met, or undecided when its interval straddles the target) is
//! reported beside it. The grid brackets the boundary; bisection then halves
//! the bracket (geometrically on a log grid, on whole numbers for counts)
//! until it is within the tolerance of its value. With more than one varied
//! path the search runs once per combination of the others' values.
//!
//! The interval of the boundary comes from the two points that bracket it:
//! the margin is interpolated linearly to its zero, and the margin's 95%
//! half-width is turned into a value half-width through the same slope.

use serde::Serialize;

use super::{Design, Point, Stage, SweepError, SweepRequest, Vary, run_points};

/// What `--find` looks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Goal {
    /// The largest value of the varied path (by index) that meets the SLO.
    Max(usize),
    /// The smallest value that meets it.
    Min(usize),
    /// The cheapest grid point that meets it.
    Cheapest,
}

impl Goal {
    /// Parses `--find max PATH`, `--find min PATH` or `--find cheapest`.
    pub fn parse(words: &[String], varies: &[Vary]) -> Result<Goal, SweepError> {
        let bad = |m: String| SweepError::Request(format!("--find '{}': {m}", words.join(" ")));
        let path_index = |path: Option<&String>| -> Result<usize, SweepError> {
            let path = path.ok_or_else(|| {
                bad("give the path to search, e.g. --find max traffic.rate".into())
            })?;
            varies.iter().position(|v| &v.path == path).ok_or_else(|| {
                bad(format!(
                    "'{path}' is not varied; add a grid to start from, e.g. --vary {path}=VALUES"
                ))
            })
        };
        match words.first().map(String::as_str) {
            Some("max") => Ok(Goal::Max(path_index(words.get(1))?)),
            Some("min") => Ok(Goal::Min(path_index(words.get(1))?)),
            Some("cheapest") if words.len() == 1 => Ok(Goal::Cheapest),
            Some("cheapest") => Err(bad("cheapest takes no path".into())),
            _ => Err(bad("expected max PATH, min PATH or cheapest".into())),
        }
    }
}

/// The answer of one search.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// `max traffic.rate`, `min app.replicas` or `cheapest`.
    pub goal: String,
    /// The other varied paths' values this search held fixed.
    pub given: Vec<(String, f64)>,
    /// The best value that meets the SLO among the points run (for
    /// `cheapest`, the index of the grid point); `None` when none does.
    pub value: Option<f64>,
    /// The boundary interpolated between the bracketing points.
    pub estimate: Option<f64>,
    /// Its approximate 95% interval.
    pub ci95: Option<[f64; 2]>,
    /// The cost per hour at the answer, when the model prices it.
    pub cost_per_hour: Option<f64>,
    /// Points run beyond the grid.
    pub evaluations: usize,
    /// What to make of it, in words.
    pub note: String,
}

/// Runs the search; bisection points are appended to `points`.
pub fn find(
    goal: &Goal,
    design: &Design,
    varies: &[Vary],
    points: &mut Vec<Point>,
    req: &SweepRequest,
    tolerance: f64,
) -> Result<Vec<Finding>, SweepError> {
    if points.iter().any(|p| p.holds().is_none()) {
        return Err(SweepError::Request(
            "--find needs an [slo] in the model (or e.g. --set slo.p99=250ms)".into(),
        ));
    }
    match *goal {
        Goal::Cheapest => Ok(vec![cheapest(points)?]),
        Goal::Max(v) | Goal::Min(v) => {
            let max = matches!(goal, Goal::Max(_));
            // One search per combination of the other paths' values.
            let mut groups: Vec<Vec<f64>> = Vec::new();
            for p in points.iter() {
                let key = others(&p.values, v);
                if !groups.contains(&key) {
                    groups.push(key);
                }
            }
            let mut out = Vec::new();
            for key in groups {
                out.push(bisect(
                    max, v, &key, design, varies, points, req, tolerance,
                )?);
            }
            Ok(out)
        }
    }
}

fn others(values: &[f64], v: usize) -> Vec<f64> {
    values
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != v)
        .map(|(_, &x)| x)
        .collect()
}

fn cheapest(points: &[Point]) -> Result<Finding, SweepError> {
    if points.iter().any(|p| p.cost_per_hour.is_none()) {
        return Err(SweepError::Request(
            "--find cheapest needs a [cost] in the model, e.g. [cost] instance = { app = 0.1 }"
                .into(),
        ));
    }
    let best = (points.iter().enumerate())
        .filter(|(_, p)| p.holds() == Some(true))
        .min_by(|a, b| {
            a.1.cost_per_hour
                .unwrap_or(0.0)
                .total_cmp(&b.1.cost_per_hour.unwrap_or(0.0))
        });
    Ok(match best {
        Some((i, p)) => Finding {
            goal: "cheapest".into(),
            given: Vec::new(),
            value: Some(i as f64),
            estimate: None,
            ci95: None,
            cost_per_hour: p.cost_per_hour,
            evaluations: 0,
            note: format!("grid point {i} is the cheapest that meets the SLO in every scenario"),
        },
        None => Finding {
            goal: "cheapest".into(),
            given: Vec::new(),
            value: None,
            estimate: None,
            ci95: None,
            cost_per_hour: None,
            evaluations: 0,
            note: "no point of the grid meets the SLO in every scenario".into(),
        },
    })
}

/// The bisection for one group: `max` looks for the last holding value of
/// an ascending run that fails above it, `min` for the first holding value.
#[allow(clippy::too_many_arguments)]
fn bisect(
    max: bool,
    v: usize,
    key: &[f64],
    design: &Design,
    varies: &[Vary],
    points: &mut Vec<Point>,
    req: &SweepRequest,
    tolerance: f64,
) -> Result<Finding, SweepError> {
    let vary = &varies[v];
    let goal = format!("{} {}", if max { "max" } else { "min" }, vary.path);
    let given: Vec<(String, f64)> = (varies.iter().enumerate())
        .filter(|&(i, _)| i != v)
        .map(|(_, o)| o.path.clone())
        .zip(key.iter().copied())
        .collect();
    let mut line: Vec<&Point> = points
        .iter()
        .filter(|p| others(&p.values, v) == key)
        .collect();
    line.sort_by(|a, b| a.values[v].total_cmp(&b.values[v]));
    let holds: Vec<bool> = line.iter().map(|p| p.holds() == Some(true)).collect();
    let n = holds.len();
    let finding = |value: Option<f64>, note: String| Finding {
        goal: goal.clone(),
        given: given.clone(),
        value,
        estimate: None,
        ci95: None,
        cost_per_hour: None,
        evaluations: 0,
        note,
    };
    // The bracket: (holding point, failing point).
    let (mut good, mut bad) = if max {
        match holds.iter().position(|h| !h) {
            Some(0) => {
                return Ok(finding(
                    None,
                    format!(
                        "even {} misses the SLO; extend the range down",
                        vary.label(line[0].values[v])
                    ),
                ));
            }
            Some(j) => (line[j - 1].clone(), line[j].clone()),
            None => {
                let top = line[n - 1];
                let mut f = finding(
                    Some(top.values[v]),
                    format!(
                        "the SLO holds across the whole grid; extend the range above {}",
                        vary.label(top.values[v])
                    ),
                );
                f.cost_per_hour = top.cost_per_hour;
                return Ok(f);
            }
        }
    } else {
        match holds.iter().rposition(|h| !h) {
            None => {
                let low = line[0];
                let mut f = finding(
                    Some(low.values[v]),
                    format!(
                        "the SLO holds already at {}; extend the range down",
                        vary.label(low.values[v])
                    ),
                );
                f.cost_per_hour = low.cost_per_hour;
                return Ok(f);
            }
            Some(j) if j == n - 1 => {
                return Ok(finding(
                    None,
                    format!(
                        "even {} misses the SLO; extend the range up",
                        vary.label(line[n - 1].values[v])
                    ),
                ));
            }
            Some(j) => (line[j + 1].clone(), line[j].clone()),
        }
    };
    let mut evaluations = 0;
    loop {
        let (a, b) = (good.values[v], bad.values[v]);
        let (lo, hi) = (a.min(b), a.max(b));
        let done = if vary.integer {
            hi - lo <= 1.0
        } else {
            (hi - lo) <= tolerance * lo.abs().max(f64::MIN_POSITIVE)
        };
        if done || evaluations >= 30 {
            break;
        }
        let mid = if vary.integer {
            ((lo + hi) / 2.0).floor()
        } else if vary.log && lo > 0.0 {
            (lo * hi).sqrt()
        } else {
            (lo + hi) / 2.0
        };
        let mut values = good.values.clone();
        values[v] = mid;
        let Some(p) = run_points(design, varies, &[values], Stage::Bisection, req, &|_| {})?.pop()
        else {
            // Interrupted: the bracket found so far is the answer.
            break;
        };
        evaluations += 1;
        if p.holds() == Some(true) {
            good = p.clone();
        } else {
            bad = p.clone();
        }
        points.push(p);
    }
    let (estimate, ci95) = crossing(&good, &bad, v, vary.integer);
    let note = match good
        .cells
        .iter()
        .flat_map(|c| &c.slo)
        .find(|j| j.verdict != crate::slo::Verdict::Met)
    {
        Some(j) => format!(
            "at {} the SLO holds on the measured values, but {} is {} at the 95% level; more trials would tell",
            vary.label(good.values[v]),
            j.objective,
            j.verdict.name()
        ),
        None => format!(
            "at {} every objective is met at the 95% level; {} misses",
            vary.label(good.values[v]),
            vary.label(bad.values[v])
        ),
    };
    Ok(Finding {
        goal,
        given,
        value: Some(good.values[v]),
        estimate,
        ci95,
        cost_per_hour: good.cost_per_hour,
        evaluations,
        note,
    })
}

/// Where the worst margin crosses zero between the holding point `good`
/// and the failing point `bad`, and an approximate 95% interval.
fn crossing(good: &Point, bad: &Point, v: usize, integer: bool) -> (Option<f64>, Option<[f64; 2]>) {
    let (Some((mg, cg)), Some((mb, cb))) = (good.worst_margin(), bad.worst_margin()) else {
        return (None, None);
    };
    let (xg, xb) = (good.values[v], bad.values[v]);
    if integer || !(mg.is_finite() && mb.is_finite()) || mg <= mb {
        return (None, None);
    }
    let slope = (mg - mb) / (xb - xg).abs();
    let x = xg + (xb - xg) * mg / (mg - mb);
    let half = ((cg[1] - cg[0]) + (cb[1] - cb[0])) / 4.0;
    let dx = half / slope;
    (Some(x), Some([x - dx, x + dx]))
}
