//! `resim availability MODEL`.

use std::io::IsTerminal;
use std::path::PathBuf;

use resim::availability::{self, AvailabilityRequest};
use resim::engine::SimTime;
use resim::report::OutputDir;
use resim::report::diagram::Diagram;
use resim::report::index::RunInfo;

use super::{Failure, load_model, parse_duration_arg};

#[derive(clap::Args)]
pub struct Args {
    /// The model file (TOML).
    model: PathBuf,
    /// Number of trials (the minimum with --precision).
    #[arg(long, default_value_t = 1000)]
    trials: u64,
    /// Simulated time per trial, e.g. 1y, 90d.
    #[arg(long, default_value = "1y", value_parser = parse_duration_arg)]
    horizon: SimTime,
    /// Master seed; the same seed gives the same results.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (0 = one per core); results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Output folder (default: a new numbered folder under results/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run trials in batches until the 95% interval on unavailability is
    /// within this relative half-width, e.g. 5%.
    #[arg(long, value_parser = parse_percent)]
    precision: Option<f64>,
    /// Trial limit with --precision.
    #[arg(long, default_value_t = 1_000_000)]
    max_trials: u64,
    /// Trial-years (the first ones) also replayed at request level for the
    /// share of requests that succeed (models with [traffic]); 0 = none.
    #[arg(long, default_value_t = 100)]
    request_trials: u64,
    /// Request level: measured margin before a disturbance's first failure.
    #[arg(long, default_value = "5s", value_parser = parse_duration_arg)]
    window_before: SimTime,
    /// Request level: margin after its last repair, doubled until the
    /// success ratio is back.
    #[arg(long, default_value = "15s", value_parser = parse_duration_arg)]
    window_after: SimTime,
    /// Request level: a degraded state held longer than this plus the
    /// client's timeout is simulated that long, the rest charged at its rates.
    #[arg(long, default_value = "20s", value_parser = parse_duration_arg)]
    window_settle: SimTime,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    let (num, scale) = match s.strip_suffix('%') {
        Some(n) => (n, 0.01),
        None => (s, 1.0),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a percentage such as 5%"))?;
    let v = v * scale;
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(format!("'{s}' must be between 0% and 100%"))
    }
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let model = load_model(&args.model)?;
    if args.horizon == SimTime::ZERO {
        return Err(Failure::Input("--horizon must be longer than zero".into()));
    }
    if args.trials == 0 {
        return Err(Failure::Input("--trials must be at least 1".into()));
    }
    let stem = format!("availability-{}", model.name);
    let out = OutputDir::prepare(args.out.as_deref(), std::path::Path::new("results"), &stem)
        .map_err(|e| Failure::Run(e.to_string()))?;
    let req = AvailabilityRequest {
        trials: args.trials,
        horizon: args.horizon,
        seed: args.seed,
        threads: args.threads,
        precision: args.precision,
        max_trials: args.max_trials.max(args.trials),
        request_trials: if model.traffic.is_some() {
            args.request_trials
        } else {
            0
        },
        windows: availability::requests::WindowSettings {
            before: args.window_before,
            after: args.window_after.max(SimTime(10 * SimTime::SECOND.0)),
            settle: args.window_settle,
            ..Default::default()
        },
        ..AvailabilityRequest::default()
    };
    eprintln!(
        "resim availability: {} ({}), seed {}, {} trials of {}{}{}",
        model.name,
        args.model.display(),
        args.seed,
        args.trials,
        args.horizon,
        args.precision
            .map(|p| format!(", until ±{:.1}% on unavailability", p * 100.0))
            .unwrap_or_default(),
        match req.request_trials.min(args.trials) {
            0 => String::new(),
            n => format!(", the first {n} also at request level"),
        }
    );
    let tty = std::io::stderr().is_terminal();
    let run = availability::run(&model, &req, |done, total| {
        if tty {
            eprint!("\r  {done} / {total} trials");
        }
    })
    .map_err(|e| Failure::Run(e.to_string()))?;
    if tty {
        eprintln!();
    }
    print!("{}", resim::report::availability::render_text(&run));
    let info = RunInfo::current("availability", &args.model.display().to_string());
    let written =
        resim::report::availability::write_results(&out, &info, &Diagram::of(&model), &run)
            .map_err(|e| Failure::Run(e.to_string()))?;
    println!("\nwrote {}", out.root().display());
    for w in written {
        println!("  {}", w.strip_prefix(out.root()).unwrap_or(&w).display());
    }
    super::print_report_path(&out);
    Ok(())
}
