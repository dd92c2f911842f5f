//! `resim compare MODEL_A [MODEL_B] [--set PATH=VALUE ...]`.

use std::path::PathBuf;

use resim::compare::{apply_sets, compare_scenario_with};
use resim::model::Model;
use resim::report::diagram::Diagram;
use resim::report::index::RunInfo;

use super::{DrillArgs, Failure, load_model};

#[derive(clap::Args)]
pub struct Args {
    /// Design A (TOML).
    model_a: PathBuf,
    /// Design B (TOML); or give --set edits to make B from A.
    model_b: Option<PathBuf>,
    /// Edit design A into B, e.g. `--set app.replicas=5` (repeatable).
    #[arg(long = "set")]
    sets: Vec<String>,
    #[command(flatten)]
    drill: DrillArgs,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let a = load_model(&args.model_a)?;
    let b: Model = match (&args.model_b, args.sets.is_empty()) {
        (Some(path), true) => load_model(path)?,
        (None, false) => {
            let origin = args.model_a.display().to_string();
            let text = super::read_model_text(&args.model_a)?;
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
    // A paired interval needs at least two pairs.
    let req = args.drill.request(2)?;
    let names: Vec<String> = if args.drill.scenarios.is_empty() {
        a.scenarios
            .iter()
            .filter(|s| b.scenarios.iter().any(|t| t.name == s.name))
            .map(|s| s.name.clone())
            .collect()
    } else {
        args.drill.scenarios.clone()
    };
    if names.is_empty() {
        return Err(Failure::Input(
            "the two designs share no scenario name".into(),
        ));
    }
    for design in [&a, &b] {
        let chosen = design.scenarios.iter().filter(|s| names.contains(&s.name));
        args.drill.check_budget(design, chosen)?;
    }
    let out = args
        .drill
        .output("compare", &format!("compare-{}", a.name))?;
    let mut comparisons = Vec::new();
    let mut parts = Vec::new();
    for name in &names {
        errln!(
            "comparing scenario {name}: {} paired trials",
            args.drill.trials
        );
        let c = compare_scenario_with(&a, &b, name, &req, &|_| {}, args.drill.percentiles.as_ref())
            .map_err(|e| Failure::Input(e.to_string()))?;
        parts.push(format!("'{name}' {} of {}", c.a.trials, args.drill.trials));
        // An interrupted run keeps the scenarios with an interval (two pairs).
        if c.a.trials >= 2 {
            comparisons.push(c);
        }
    }
    if super::partial::finish_shard()? {
        return Ok(());
    }
    if super::partial::interrupted() {
        if comparisons.is_empty() {
            return Err(Failure::Run("interrupted".into()));
        }
        let done: u64 = comparisons.iter().map(|c| c.a.trials).sum();
        let asked = names.len() as u64 * args.drill.trials;
        let each = if parts.len() > 1 {
            format!(" ({})", parts.join(", "))
        } else {
            String::new()
        };
        super::partial::mark_incomplete(
            &format!("figures from {done} of {asked} paired trials{each}"),
            done,
            asked,
        );
    }
    let labels = (a.origin.clone(), b.origin.clone());
    out!(
        "{}",
        resim::compare::markdown(
            &labels.0,
            &labels.1,
            &comparisons,
            args.drill.trials,
            args.drill.seed
        )
    );
    for c in &comparisons {
        for (design, slo) in [(&labels.0, &c.slo_a), (&labels.1, &c.slo_b)] {
            if !slo.is_empty() {
                out!(
                    "\nscenario {}, design {design}:\n{}",
                    c.scenario,
                    resim::slo::render_text(slo)
                );
            }
        }
    }
    let info = RunInfo::current("compare", &format!("{} / {}", labels.0, labels.1));
    let written = resim::report::compare::write_results(
        &out,
        &info,
        &Diagram::of(&a),
        (&labels.0, &labels.1),
        args.drill.seed,
        args.drill.trials,
        &comparisons,
    )
    .map_err(|e| Failure::Run(e.to_string()))?;
    outln!(
        "\nwrote {} ({} files: summary.json, comparison.md, a folder of charts per scenario)",
        out.root().display(),
        written.len()
    );
    super::print_report_path(&out);
    Ok(())
}
