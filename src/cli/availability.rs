//! `resim availability MODEL`.

use std::io::IsTerminal;
use std::path::PathBuf;

use resim::availability::requests::WindowSettings;
use resim::availability::{self, AvailabilityRequest};
use resim::engine::SimTime;
use resim::report::diagram::Diagram;
use resim::report::index::RunInfo;

use super::{Failure, load_model_with, parse_duration_arg};

#[derive(clap::Args, Clone)]
pub struct Args {
    /// The model file (TOML).
    model: PathBuf,
    /// Edit the model before running it, e.g. `--set app.replicas=5`
    /// (repeatable; PATH=VALUE as in `compare`).
    #[arg(long = "set")]
    sets: Vec<String>,
    /// Number of trials (the minimum with --precision).
    #[arg(long, default_value_t = 1000)]
    trials: u64,
    /// Simulated time per trial, e.g. 1y, 90d (with --method is: the
    /// horizon of P(outage within it) from all new and up).
    #[arg(long, default_value = "1y", value_parser = parse_duration_arg)]
    horizon: SimTime,
    /// Master seed; the same seed gives the same results.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Latency percentiles of the request-level year to add (models with
    /// `[traffic]`): percents strictly between 0 and 100, comma-separated.
    #[arg(long, value_name = "LIST", value_parser = super::parse_percentiles_arg)]
    percentiles: Option<resim::stats::Percentiles>,
    /// Worker threads (0 = one per core); results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Output folder (default: a new numbered folder under results/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run trials in batches until the 95% interval on unavailability is
    /// within this relative half-width: 5% or the fraction 0.05. Stops early,
    /// with the best interval reached, when the outages seen show the target
    /// cannot be met within --max-trials.
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
    #[arg(long, default_value_t = WindowSettings::default().before, value_parser = parse_duration_arg)]
    window_before: SimTime,
    /// Request level: margin after its last repair, doubled until the
    /// success ratio is back.
    #[arg(long, default_value_t = WindowSettings::default().after, value_parser = parse_duration_arg)]
    window_after: SimTime,
    /// Request level: a degraded state held longer than this plus the
    /// client's timeout is simulated that long, the rest charged at its rates.
    #[arg(long, default_value_t = WindowSettings::default().settle, value_parser = parse_duration_arg)]
    window_settle: SimTime,
    /// Refuse a run that would process more failure and repair events than
    /// this, all trials together (estimated from the mean times before the
    /// run starts).
    #[arg(long, default_value_t = resim::budget::DEFAULT_MAX_EVENTS)]
    max_events: u64,
    /// mc: plain Monte Carlo over trial-years (the default); is: importance
    /// sampling with balanced failure biasing over regenerative cycles, for
    /// steady-state unavailability when it is rare, and P(outage within
    /// --horizon) beside it; auto: is when the
    /// analytic estimate of unavailability is below 1e-5 and the model
    /// allows it, mc otherwise.
    #[arg(long, value_enum, default_value_t = Method::Mc)]
    method: Method,
    /// With --method is: biased cycles (the minimum with --precision).
    #[arg(long, default_value_t = 20_000)]
    cycles: u64,
    /// With --method is and --precision: the limit on biased cycles.
    #[arg(long, default_value_t = 10_000_000)]
    max_cycles: u64,
    /// With --method is: the bias beta in (0, 1); failures are made about
    /// beta times as fast as the repairs in progress.
    #[arg(long, default_value_t = resim::rare_event::DEFAULT_BIAS)]
    bias: f64,
    #[command(flatten)]
    control: super::partial::Control,
}

/// How unavailability is estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Plain Monte Carlo.
    Mc,
    /// Importance sampling.
    Is,
    /// Importance sampling where unavailability is rare and the model allows it.
    Auto,
}

/// A relative precision: `5%` or the fraction `0.05`, both meaning ±5%. A
/// bare number of 1 or more is refused as ambiguous (`5` could be 5% or 500%).
fn parse_percent(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, percent) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (t, false),
    };
    let v: f64 = num
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("'{s}' is not a precision such as 5% or 0.05"))?;
    if percent {
        if v > 0.0 && v < 100.0 {
            return Ok(v / 100.0);
        }
        return Err(format!("'{s}' must be between 0% and 100%, e.g. 5%"));
    }
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else if (1.0..100.0).contains(&v) {
        Err(format!(
            "'{s}' is ambiguous: write {v}% (or the fraction {}) for ±{v}%",
            v / 100.0
        ))
    } else {
        Err(format!(
            "'{s}' must be a percentage between 0% and 100% (e.g. 5%) or a fraction between 0 and 1 (e.g. 0.05)"
        ))
    }
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let model = load_model_with(&args.model, &args.sets)?;
    if args.horizon == SimTime::ZERO {
        return Err(Failure::Input("--horizon must be longer than zero".into()));
    }
    if args.trials == 0 {
        return Err(Failure::Input("--trials must be at least 1".into()));
    }
    check_backup_horizon(&model, args)?;
    if args.max_trials == 0 {
        return Err(Failure::Input("--max-trials must be at least 1".into()));
    }
    if args.precision.is_some() && args.max_trials < args.trials {
        return Err(Failure::Input(format!(
            "--max-trials {} is below --trials {}: with --precision, --trials is the first batch and --max-trials the limit",
            args.max_trials, args.trials
        )));
    }
    if choose_is(&model, args)? {
        return run_is(&model, args);
    }
    let budget = resim::budget::Budget {
        max_events: args.max_events,
        ..resim::budget::Budget::default()
    };
    resim::budget::check_availability(&model, args.trials, args.horizon, &budget)
        .map_err(|e| Failure::Input(format!("{}: {e}", model.origin)))?;
    let stem = format!("availability-{}", model.name);
    if args.precision.is_some() {
        super::partial::refuse_with_shard(
            &args.control,
            "--precision",
            "when to stop depends on all trials; give each shard a fixed --trials",
        )?;
    }
    let out = super::partial::prepare_output(
        "availability",
        args.out.as_deref(),
        &stem,
        args.seed,
        &args.control,
    )?;
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
        windows: WindowSettings {
            before: args.window_before,
            after: args.window_after.max(SimTime(10 * SimTime::SECOND.0)),
            settle: args.window_settle,
            ..Default::default()
        },
        ..AvailabilityRequest::default()
    };
    errln!(
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
    // A shard keeps its trials in its journal only.
    let mut trials = if super::partial::is_shard() {
        None
    } else {
        Some(
            resim::report::availability::TrialsCsv::create(&out, args.horizon)
                .map_err(|e| Failure::Run(e.to_string()))?,
        )
    };
    let progress = |done, total| {
        if tty {
            err!("\r  {done} / {total} trials");
        }
    };
    let mut run = availability::run_with(&model, &req, progress, |causes, o| {
        if let Some(t) = trials.as_mut() {
            t.row(causes, o);
        }
    })
    .map_err(|e| Failure::Run(e.to_string()))?;
    if tty {
        errln!();
    }
    let Some(trials) = trials else {
        super::partial::finish_shard()?;
        return Ok(());
    };
    if let (Some(p), Some(r)) = (&args.percentiles, run.summary.request_availability.as_mut()) {
        r.latency_ms.percentiles = p.of(&r.latency_histogram, 1e-6);
    }
    if super::partial::interrupted() {
        let done = run.outcomes.len() as u64;
        let asked = if args.precision.is_some() {
            format!("at least {}", args.trials)
        } else {
            args.trials.to_string()
        };
        let requests = match req.request_trials.min(args.trials) {
            0 => String::new(),
            n => format!(
                ", {} of {n} also at request level",
                run.request_trials.len()
            ),
        };
        super::partial::mark_incomplete(
            &format!("figures from {done} of {asked} trials{requests}"),
            done,
            args.trials,
        );
    }
    out!("{}", resim::report::availability::render_text(&run));
    let info = RunInfo::current("availability", &args.model.display().to_string());
    let written =
        resim::report::availability::write_results(&out, &info, &Diagram::of(&model), &run, trials)
            .map_err(|e| Failure::Run(e.to_string()))?;
    outln!("\nwrote {}", out.root().display());
    for w in written {
        outln!("  {}", w.strip_prefix(out.root()).unwrap_or(&w).display());
    }
    super::print_report_path(&out);
    Ok(())
}

/// Refuses a backup schedule longer than `--horizon` where a trial plays
/// it (a database with `data_loss_every`), at `base_every` in the file.
/// With `--set`, the place is the one in the file as written.
fn check_backup_horizon(model: &resim::model::Model, args: &Args) -> Result<(), Failure> {
    use resim::model::backup_spec::schedule_beyond;
    let Some((comp, spec)) = schedule_beyond(model, args.horizon) else {
        return Ok(());
    };
    let text = super::read_model_text(&args.model)?;
    let at = if args.sets.is_empty() {
        spec.base_every_at
    } else {
        resim::model::Model::parse(&text, &model.origin)
            .ok()
            .and_then(|m| {
                let c = m.component_index(&comp.id)?;
                Some(m.components[c].serving.db.as_ref()?.backup?.base_every_at)
            })
            .unwrap_or(0)
    };
    let (line, col) = resim::model::error::line_col(&text, at);
    Err(Failure::Input(format!(
        "{}:{line}:{col}: '{}.backup.base_every' ({}) is longer than the horizon ({}): a trial takes its first base backup at time zero and no other, so every restore would replay the WAL since the trial began; use a longer --horizon (or a shorter base_every)",
        args.model.display(),
        comp.id,
        spec.base_every,
        args.horizon
    )))
}

/// Whether to run importance sampling: `is` always (refusing a model it
/// cannot cover, naming the part and why), `auto` when the analytic
/// unavailability is below the threshold and the model allows it.
fn choose_is(model: &resim::model::Model, args: &Args) -> Result<bool, Failure> {
    use resim::rare_event::{AUTO_THRESHOLD, System};
    match args.method {
        Method::Mc => Ok(false),
        Method::Is => {
            if !(args.bias > 0.0 && args.bias < 1.0) {
                return Err(Failure::Input(format!(
                    "--bias {} must be between 0 and 1 (exclusive)",
                    args.bias
                )));
            }
            if args.cycles < 2 {
                return Err(Failure::Input("--cycles must be at least 2".into()));
            }
            System::new(model).map(|_| true).map_err(|e| {
                Failure::Input(format!(
                    "{}: --method is: {e}; use --method mc",
                    model.origin
                ))
            })
        }
        Method::Auto => {
            let analysis = resim::analytic::analyze(model);
            let a = match &analysis.exact {
                Ok(x) => x.availability,
                Err(_) => analysis.service.availability,
            };
            let u = 1.0 - a;
            let why = if u >= AUTO_THRESHOLD {
                Some(format!(
                    "the analytic unavailability {u:.2e} is not below {AUTO_THRESHOLD:.0e}"
                ))
            } else {
                System::new(model).err().map(|e| e.to_string())
            };
            match why {
                Some(why) => {
                    errln!("--method auto: plain Monte Carlo ({why})");
                    Ok(false)
                }
                None => {
                    errln!(
                        "--method auto: importance sampling (analytic unavailability {u:.2e} is below {AUTO_THRESHOLD:.0e})"
                    );
                    choose_is(
                        model,
                        &Args {
                            method: Method::Is,
                            ..args.clone()
                        },
                    )
                }
            }
        }
    }
}

/// `--method is`: importance sampling of steady-state unavailability.
fn run_is(model: &resim::model::Model, args: &Args) -> Result<(), Failure> {
    let why = "importance sampling's cycles are not journaled yet; run it whole on one machine";
    super::partial::refuse_with_shard(&args.control, "--method is", why)?;
    if args.control.resume.is_some() {
        return Err(Failure::Input(format!(
            "--method is cannot be used with --resume: {why}"
        )));
    }
    let req = resim::rare_event::IsRequest {
        cycles: args.cycles,
        seed: args.seed,
        threads: args.threads,
        precision: args.precision,
        max_cycles: args.max_cycles.max(args.cycles),
        bias: args.bias,
    };
    errln!(
        "resim availability: {} ({}), seed {}, importance sampling, {} biased cycles{}",
        model.name,
        args.model.display(),
        args.seed,
        args.cycles,
        args.precision
            .map(|p| format!(", until ±{:.1}% on unavailability", p * 100.0))
            .unwrap_or_default(),
    );
    let est = resim::rare_event::run(model, &req, |_, _| {}).map_err(|e| match e {
        resim::rare_event::IsError::NotApplicable(e) => Failure::Input(format!(
            "{}: --method is: {e}; use --method mc",
            model.origin
        )),
        e => Failure::Run(e.to_string()),
    })?;
    // The interval quantity: P(outage within the horizon), with about as
    // many biased excursions as the steady state used.
    let horizon = args.horizon.as_secs_f64();
    let paths = resim::rare_event::default_paths(&est, horizon);
    let outage = resim::rare_event::outage_within(model, &req, horizon, paths)
        .map_err(|e| Failure::Run(e.to_string()))?;
    let stem = format!("availability-{}", model.name);
    let out = resim::report::output::OutputDir::prepare(
        args.out.as_deref(),
        std::path::Path::new("results"),
        &stem,
    )
    .map_err(|e| Failure::Run(e.to_string()))?;
    out!(
        "{}",
        resim::report::importance::render_text(&model.name, &est, Some(&outage))
    );
    if let Some(p) = args.precision
        && est.relative_half_width > p
    {
        outln!(
            "  precision ±{:.1}% not reached within --max-cycles {}",
            p * 100.0,
            args.max_cycles
        );
    }
    let info = RunInfo::current("availability", &args.model.display().to_string());
    let written = resim::report::importance::write_results(
        &out,
        &info,
        &Diagram::of(model),
        &model.name,
        args.seed,
        &est,
        Some(&outage),
    )
    .map_err(|e| Failure::Run(e.to_string()))?;
    outln!("\nwrote {}", out.root().display());
    for w in written {
        outln!("  {}", w.strip_prefix(out.root()).unwrap_or(&w).display());
    }
    super::print_report_path(&out);
    Ok(())
}
