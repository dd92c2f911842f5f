//! `resim run MODEL`: the drill.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use resim::drill::{self, DrillRequest, ScenarioSummary};
use resim::engine::SimTime;
use resim::report::OutputDir;

use super::{Failure, load_model, parse_duration_arg};

#[derive(clap::Args)]
pub struct Args {
    /// The model file (TOML).
    model: PathBuf,
    /// Scenarios to run (repeatable; default: all).
    #[arg(long = "scenario")]
    scenarios: Vec<String>,
    /// Trials per scenario.
    #[arg(long, default_value_t = 20)]
    trials: u64,
    /// Master seed; the same seed gives the same results.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (0 = one per core); results do not depend on it.
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
    let model = load_model(&args.model)?;
    if args.trials == 0 {
        return Err(Failure::Input("--trials must be at least 1".into()));
    }
    if args.bin == SimTime::ZERO {
        return Err(Failure::Input("--bin must be longer than zero".into()));
    }
    if model.traffic.is_none() {
        return Err(Failure::Input(
            drill::DrillError::NoTraffic(model.origin.clone()).to_string(),
        ));
    }
    let mut selected = Vec::new();
    for name in &args.scenarios {
        match model.scenarios.iter().find(|s| &s.name == name) {
            Some(s) => selected.push(s),
            None => {
                let names: Vec<&str> = model.scenarios.iter().map(|s| s.name.as_str()).collect();
                let hint = resim::model::error::suggest(name, names.iter().copied())
                    .map(|h| format!("; {h}"))
                    .unwrap_or_else(|| format!("; scenarios: {}", names.join(", ")));
                return Err(Failure::Input(format!(
                    "{}: no scenario named '{name}'{hint}",
                    model.origin
                )));
            }
        }
    }
    if selected.is_empty() {
        selected = model.scenarios.iter().collect();
    }
    if selected.is_empty() {
        return Err(Failure::Input(format!(
            "{}: the model has no [[scenarios]]; add one with a name and a duration",
            model.origin
        )));
    }
    let out = OutputDir::prepare(
        args.out.as_deref(),
        std::path::Path::new("results"),
        &format!("run-{}", model.name),
    )
    .map_err(|e| Failure::Run(e.to_string()))?;
    let req = DrillRequest {
        trials: args.trials,
        seed: args.seed,
        threads: args.threads,
        bin: args.bin,
    };
    eprintln!(
        "resim run: {} ({}), seed {}, {} trials per scenario, {} bins",
        model.name,
        args.model.display(),
        args.seed,
        args.trials,
        args.bin
    );
    let tty = std::io::stderr().is_terminal();
    let mut summaries: Vec<ScenarioSummary> = Vec::new();
    for sc in selected {
        let done = AtomicU64::new(0);
        let progress = |_: u64| {
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if tty {
                eprint!("\r  {}: {n} / {} trials", sc.name, args.trials);
            }
        };
        let trials = drill::run_scenario(&model, sc, &req, &progress)
            .map_err(|e| Failure::Run(e.to_string()))?;
        if tty {
            eprintln!();
        }
        let s = ScenarioSummary::from_trials(&model, sc, args.bin.as_secs_f64(), &trials);
        print!("{}", resim::report::drill::render_text(&s));
        println!();
        summaries.push(s);
    }
    let written =
        resim::report::drill::write_results(&out, &model.name, args.seed, args.trials, &summaries)
            .map_err(|e| Failure::Run(e.to_string()))?;
    println!(
        "wrote {} ({} files: summary.json, timeseries.csv, charts)",
        out.root().display(),
        written.len()
    );
    Ok(())
}
