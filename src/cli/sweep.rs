//! `resim sweep MODEL --vary PATH=VALUES [--find max|min PATH | cheapest]`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use resim::overrides::Override;
use resim::report::sweep::{SweepOutput, render_text, write_results};
use resim::sweep::find::{Goal, find};
use resim::sweep::{Design, Stage, SweepRequest, Vary, grid, run_points};

use super::{DrillArgs, Failure, read_model_text};

#[derive(clap::Args)]
pub struct Args {
    /// The model file (TOML).
    model: PathBuf,
    /// A path and its values: a list (`app.replicas=2,3,4,6`) or a range
    /// with a number of points (`traffic.rate=500/s..8000/s:12`, add `:log`
    /// for log spacing). Repeatable: the grid is every combination.
    #[arg(long = "vary", required = true)]
    varies: Vec<String>,
    /// Edit the model before sweeping, e.g. `--set slo.p99=250ms` (repeatable).
    #[arg(long = "set")]
    sets: Vec<String>,
    /// Search for the boundary of the SLO: `max PATH`, `min PATH` (a
    /// varied path, refined by bisection) or `cheapest` (grid point).
    #[arg(long, num_args = 1..=2, value_names = ["GOAL", "PATH"])]
    find: Vec<String>,
    /// Relative tolerance of the --find bisection, e.g. 2%.
    #[arg(long, default_value = "2%", value_parser = parse_tolerance)]
    tolerance: f64,
    #[command(flatten)]
    drill: DrillArgs,
}

fn parse_tolerance(s: &str) -> Result<f64, String> {
    let (num, scale) = match s.trim().strip_suffix('%') {
        Some(n) => (n, 0.01),
        None => (s.trim(), 1.0),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v * scale > 0.0 && v * scale < 1.0 => Ok(v * scale),
        _ => Err(format!(
            "'{s}' is not a tolerance between 0% and 100%, e.g. 2%"
        )),
    }
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let input = |e: &dyn std::fmt::Display| Failure::Input(e.to_string());
    let text = read_model_text(&args.model)?;
    let origin = args.model.display().to_string();
    let sets = (args.sets.iter())
        .map(|s| Override::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| input(&e))?;
    let design = Design { text, origin, sets };
    let base = design.model_at(&[], &[]).map_err(|e| input(&e))?;
    let varies = (args.varies.iter())
        .map(|v| Vary::parse(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| input(&e))?;
    if !args.find.is_empty() {
        super::partial::refuse_with_shard(
            &args.drill.control,
            "--find",
            "its bisection runs points chosen from all trials' results; shard the grid without --find",
        )?;
    }
    let goal = if args.find.is_empty() {
        None
    } else {
        Some(Goal::parse(&args.find, &varies).map_err(|e| input(&e))?)
    };
    let req = SweepRequest {
        drill: args.drill.request(2)?,
        scenarios: args.drill.scenarios.clone(),
        percentiles: args.drill.percentiles.clone(),
    };
    resim::sweep::scenarios_of(&base, &req.scenarios).map_err(|e| input(&e))?;
    if goal.is_some() && base.slo.is_none() {
        return Err(Failure::Input(format!(
            "--find needs an [slo] in {} (or e.g. --set slo.p99=250ms)",
            base.origin
        )));
    }
    let points = grid(&varies);
    // Check every point's model before running any.
    for p in &points {
        let m = design.model_at(&varies, p).map_err(|e| input(&e))?;
        let chosen = (m.scenarios.iter())
            .filter(|s| req.scenarios.is_empty() || req.scenarios.contains(&s.name));
        args.drill.check_budget(&m, chosen)?;
    }
    let out = args
        .drill
        .output("sweep", &format!("sweep-{}", base.name))?;
    let n_scen = if req.scenarios.is_empty() {
        base.scenarios.len()
    } else {
        req.scenarios.len()
    };
    let total = points.len() as u64 * n_scen as u64 * args.drill.trials;
    errln!(
        "resim sweep: {} ({}), seed {}, {} points x {} scenarios x {} trials",
        base.name,
        args.model.display(),
        args.drill.seed,
        points.len(),
        n_scen,
        args.drill.trials
    );
    let tty = std::io::stderr().is_terminal();
    let done = AtomicU64::new(0);
    let progress = |_: u64| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if tty {
            err!("\r  {n} / {total} trials");
        }
    };
    let mut results = run_points(&design, &varies, &points, Stage::Grid, &req, &progress)
        .map_err(|e| Failure::Run(e.to_string()))?;
    if tty {
        errln!();
    }
    if super::partial::finish_shard()? {
        return Ok(());
    }
    let interrupted = super::partial::interrupted();
    if interrupted {
        if results.is_empty() {
            return Err(Failure::Run("interrupted".into()));
        }
        let done = results.len() as u64 * n_scen as u64 * args.drill.trials;
        let skipped = if goal.is_some() {
            "; --find not run"
        } else {
            ""
        };
        super::partial::mark_incomplete(
            &format!(
                "figures from {} of {} points ({done} of {total} trials){skipped}",
                results.len(),
                points.len()
            ),
            done,
            total,
        );
    }
    let findings = match &goal {
        Some(g) if !interrupted => find(g, &design, &varies, &mut results, &req, args.tolerance)
            .map_err(|e| Failure::Run(e.to_string()))?,
        _ => Vec::new(),
    };
    if !interrupted && super::partial::interrupted() {
        super::partial::mark_incomplete(
            &format!(
                "figures from all {} points; the --find bisection was cut short",
                points.len()
            ),
            total,
            total,
        );
    }
    let components: Vec<String> = base.components.iter().map(|c| c.id.clone()).collect();
    let model_file = args.model.display().to_string();
    let output = SweepOutput {
        model: &base.name,
        base: &base,
        model_file: &model_file,
        seed: args.drill.seed,
        trials: args.drill.trials,
        sets: &args.sets,
        varies: &varies,
        components: &components,
        points: &results,
        findings: &findings,
    };
    out!("{}", render_text(&output));
    let written = write_results(&out, &output).map_err(|e| Failure::Run(e.to_string()))?;
    outln!(
        "\nwrote {} ({} files: report.html, summary.json, sweep.csv, charts)",
        out.root().display(),
        written.len()
    );
    Ok(())
}
