//! `resim compare MODEL_A [MODEL_B] [--set PATH=VALUE ...]`.

use std::path::PathBuf;

use resim::compare::{apply_sets, compare_scenario};
use resim::drill::DrillRequest;
use resim::engine::SimTime;
use resim::model::Model;
use resim::report::OutputDir;

use super::{Failure, load_model, parse_duration_arg};

#[derive(clap::Args)]
pub struct Args {
    /// Design A (TOML).
    model_a: PathBuf,
    /// Design B (TOML); or give --set edits to make B from A.
    model_b: Option<PathBuf>,
    /// Edit design A into B, e.g. `--set app.replicas=5` (repeatable).
    #[arg(long = "set")]
    sets: Vec<String>,
    /// Scenarios to compare (repeatable; default: every scenario both designs have).
    #[arg(long = "scenario")]
    scenarios: Vec<String>,
    /// Paired trials per scenario.
    #[arg(long, default_value_t = 20)]
    trials: u64,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Width of a time bin.
    #[arg(long, default_value = "10s", value_parser = parse_duration_arg)]
    bin: SimTime,
    /// Output folder (default: a new numbered folder under results/).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let a = load_model(&args.model_a)?;
    let b: Model = match (&args.model_b, args.sets.is_empty()) {
        (Some(path), true) => load_model(path)?,
        (None, false) => {
            let origin = args.model_a.display().to_string();
            let text = std::fs::read_to_string(&args.model_a).map_err(|e| {
                Failure::Input(format!("{origin}: cannot read the model file: {e}"))
            })?;
            apply_sets(&text, &origin, &args.sets).map_err(|e| Failure::Input(e.to_string()))?
        }
        (Some(_), false) => {
            return Err(Failure::Input(
                "give either MODEL_B or --set edits, not both".into(),
            ));
        }
        (None, true) => {
            return Err(Failure::Input(
                "give MODEL_B or at least one --set PATH=VALUE to make design B".into(),
            ));
        }
    };
    if args.trials < 2 {
        return Err(Failure::Input(
            "--trials must be at least 2 for a paired interval".into(),
        ));
    }
    let names: Vec<String> = if args.scenarios.is_empty() {
        a.scenarios
            .iter()
            .filter(|s| b.scenarios.iter().any(|t| t.name == s.name))
            .map(|s| s.name.clone())
            .collect()
    } else {
        args.scenarios.clone()
    };
    if names.is_empty() {
        return Err(Failure::Input(
            "the two designs share no scenario name".into(),
        ));
    }
    let out = OutputDir::prepare(
        args.out.as_deref(),
        std::path::Path::new("results"),
        &format!("compare-{}", a.name),
    )
    .map_err(|e| Failure::Run(e.to_string()))?;
    let req = DrillRequest {
        trials: args.trials,
        seed: args.seed,
        threads: args.threads,
        bin: args.bin,
    };
    let mut comparisons = Vec::new();
    for name in &names {
        eprintln!("comparing scenario {name}: {} paired trials", args.trials);
        let c = compare_scenario(&a, &b, name, &req, &|_| {})
            .map_err(|e| Failure::Input(e.to_string()))?;
        comparisons.push(c);
    }
    let labels = (a.origin.clone(), b.origin.clone());
    print!(
        "{}",
        resim::compare::markdown(&labels.0, &labels.1, &comparisons, args.trials, args.seed)
    );
    let written = resim::report::compare::write_results(
        &out,
        (&labels.0, &labels.1),
        args.seed,
        args.trials,
        &comparisons,
    )
    .map_err(|e| Failure::Run(e.to_string()))?;
    println!(
        "\nwrote {} ({} files: summary.json, comparison.md, charts)",
        out.root().display(),
        written.len()
    );
    Ok(())
}
