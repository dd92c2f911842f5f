//! `resim run MODEL`: the drill.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use resim::drill::{self, ScenarioSummary};
use resim::report::diagram::Diagram;
use resim::report::index::RunInfo;

use super::{DrillArgs, Failure, load_model_with};

#[derive(clap::Args)]
pub struct Args {
    /// The model file (TOML).
    model: PathBuf,
    /// Edit the model before running it, e.g. `--set app.replicas=5`
    /// (repeatable; PATH=VALUE as in `compare`).
    #[arg(long = "set")]
    sets: Vec<String>,
    #[command(flatten)]
    drill: DrillArgs,
    /// Print what the on-call's tools show (`kubectl get pods`, `redis-cli
    /// info`, `dig`) at this time after the warm-up, in trial 0 (repeatable,
    /// or comma-separated: `--at 5m,12m`).
    #[arg(long = "at", value_delimiter = ',', value_parser = super::parse_duration_arg)]
    at: Vec<resim::engine::SimTime>,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let model = load_model_with(&args.model, &args.sets)?;
    let mut req = args.drill.request(1)?;
    req.snapshots = args.at.clone();
    let mut selected = Vec::new();
    for name in &args.drill.scenarios {
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
    if model.traffic.is_none() && selected.iter().any(|s| s.traffic.is_none()) {
        return Err(Failure::Input(
            drill::DrillError::NoTraffic(model.origin.clone()).to_string(),
        ));
    }
    args.drill.check_budget(&model, selected.iter().copied())?;
    for sc in &selected {
        for w in resim::model::Model::scenario_warnings(sc) {
            errln!("resim run: warning: {w}");
        }
    }
    let out = args.drill.output("run", &format!("run-{}", model.name))?;
    errln!(
        "resim run: {} ({}), seed {}, {} trials per scenario, {} bins",
        model.name,
        args.model.display(),
        args.drill.seed,
        args.drill.trials,
        args.drill.bin
    );
    let tty = std::io::stderr().is_terminal();
    let mut summaries: Vec<ScenarioSummary> = Vec::new();
    let asked = selected.len() as u64 * args.drill.trials;
    let mut parts = Vec::new();
    for sc in selected {
        let done = AtomicU64::new(0);
        let progress = |_: u64| {
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if tty {
                err!("\r  {}: {n} / {} trials", sc.name, args.drill.trials);
            }
        };
        let trials = drill::run_scenario(&model, sc, &req, &progress)
            .map_err(|e| Failure::Run(e.to_string()))?;
        if tty {
            errln!();
        }
        if super::partial::is_shard() {
            continue;
        }
        parts.push(format!(
            "'{}' {} of {}",
            sc.name,
            trials.len(),
            args.drill.trials
        ));
        if trials.is_empty() {
            // Interrupted before this scenario's first trial.
            continue;
        }
        let s = ScenarioSummary::from_trials_with(
            &model,
            sc,
            args.drill.bin.as_secs_f64(),
            &trials,
            &args.drill.percentiles(),
        );
        out!("{}", resim::report::drill::render_text(&s));
        if !s.slo.is_empty() {
            out!("{}", resim::slo::render_text(&s.slo));
        }
        outln!();
        if let Some(late) = args.at.iter().find(|&&t| t > sc.duration) {
            errln!(
                "resim run: note: --at {late} is after the end of scenario '{}' ({}); its snapshot shows the drained system",
                sc.name,
                sc.duration
            );
        }
        for snap in &s.snapshots {
            outln!("{}", snap.text);
        }
        summaries.push(s);
    }
    if super::partial::finish_shard()? {
        return Ok(());
    }
    if super::partial::interrupted() {
        if summaries.is_empty() {
            return Err(Failure::Run("interrupted".into()));
        }
        let done: u64 = summaries.iter().map(|s| s.trials).sum();
        let each = if parts.len() > 1 {
            format!(" ({})", parts.join(", "))
        } else {
            String::new()
        };
        super::partial::mark_incomplete(
            &format!("figures from {done} of {asked} trials{each}"),
            done,
            asked,
        );
    }
    let info = RunInfo::current("run", &args.model.display().to_string());
    let written = resim::report::drill::write_results(
        &out,
        &info,
        &Diagram::of(&model),
        &model.name,
        args.drill.seed,
        args.drill.trials,
        &summaries,
    )
    .map_err(|e| Failure::Run(e.to_string()))?;
    outln!(
        "wrote {} ({} files: summary.json, timeseries.csv, a folder of charts per scenario)",
        out.root().display(),
        written.len()
    );
    super::print_report_path(&out);
    Ok(())
}
