//! Argument parsing and dispatch for the `resim` binary.

/// `print!` through [`stdout::write`]: never panics on a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::stdout::write(format_args!($($arg)*)) };
}

/// `println!` through [`stdout::write`]: never panics on a closed pipe.
macro_rules! outln {
    () => { $crate::cli::stdout::write(format_args!("\n")) };
    ($($arg:tt)*) => {{
        $crate::cli::stdout::write(format_args!($($arg)*));
        $crate::cli::stdout::write(format_args!("\n"));
    }};
}

/// `errln!` that never panics: a closed or full standard error loses
/// the line, not the run (nor the results it is about to write).
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `err!` that never panics (see `errln!`).
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod availability;
mod check;
mod compare;
mod partial;
mod report;
mod run;
mod stdout;
mod sweep;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use resim::engine::SimTime;

/// resim: a discrete-event resilience simulator for multi-tier web systems.
#[derive(Parser)]
#[command(name = "resim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a model and show it as resim understood it, with the
    /// availability theory gives where the structure allows.
    Check {
        /// The model file (TOML).
        model: PathBuf,
        /// `text` (the default), or the dependency graph alone as Graphviz
        /// `dot` or a `mermaid` flowchart.
        #[arg(long, default_value = "text", value_parser = ["text", "dot", "mermaid"])]
        format: String,
        /// Edit the model before checking it, e.g. `--set app.replicas=5`
        /// (repeatable; as in `availability`), to see the exact figures of
        /// the variant a run used.
        #[arg(long = "set")]
        sets: Vec<String>,
    },
    /// Estimate long-run availability (nines, downtime per year) by Monte Carlo.
    Availability(availability::Args),
    /// Drill failure scenarios request by request: availability and latency
    /// over time, with the runbook's faults and actions on the timeline.
    Run(run::Args),
    /// Compare two designs on the same scenarios with common random numbers:
    /// per metric, A, B and the paired difference with its 95% interval.
    Compare(compare::Args),
    /// Rebuild report.html and report.md of a finished output folder from
    /// its summary.json and charts.
    Report {
        /// The output folder of a `run`, `compare` or `availability`.
        dir: PathBuf,
    },
    /// Run a design over a grid of values (load, replicas, ...) on common
    /// random numbers: latency, success, goodput and utilisation against
    /// each, the SLO verdict, the cost; `--find` the knee by bisection.
    Sweep(sweep::Args),
    /// Merge the folders of a run's shards (`--shard I/N`) into exactly what
    /// one run of all trials writes; refuses shards of different models,
    /// seeds, arguments or versions, and overlapping or missing shards.
    Merge {
        /// The shards' output folders, in any order.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder (default: a new numbered folder under results/).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// The options every drill-based command shares (`run`, `compare`).
#[derive(clap::Args)]
pub struct DrillArgs {
    /// Scenarios to run (repeatable; default: all).
    #[arg(long = "scenario")]
    pub scenarios: Vec<String>,
    /// Trials per scenario.
    #[arg(long, default_value_t = 20)]
    pub trials: u64,
    /// Master seed; the same seed gives the same results.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (0 = one per core); results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Width of a time bin.
    #[arg(long, default_value = "10s", value_parser = parse_duration_arg)]
    pub bin: SimTime,
    /// Output folder (default: a new numbered folder under results/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub control: partial::Control,
    /// Refuse a scenario that would simulate more requests than this, all
    /// trials together (estimated from the peak rate before the run starts).
    #[arg(long, default_value_t = resim::budget::DEFAULT_MAX_REQUESTS)]
    pub max_requests: u64,
    /// Refuse a scenario that would keep more time bins than this in
    /// memory, all trials together (trials x duration / --bin).
    #[arg(long, default_value_t = resim::budget::DEFAULT_MAX_BINS)]
    pub max_bins: u64,
    /// Latency percentiles to report: percents strictly between 0 and 100,
    /// comma-separated, e.g. `50,90,95,99,99.9` (default: 50,90,99,99.9).
    #[arg(long, value_name = "LIST", value_parser = parse_percentiles_arg)]
    pub percentiles: Option<resim::stats::Percentiles>,
}

impl DrillArgs {
    /// Checks each scenario of `model` named in `names` against the budget
    /// before anything runs.
    pub fn check_budget<'a>(
        &self,
        model: &resim::model::Model,
        scenarios: impl IntoIterator<Item = &'a resim::scenario::Scenario>,
    ) -> Result<(), Failure> {
        let budget = resim::budget::Budget {
            max_requests: self.max_requests,
            max_bins: self.max_bins,
            ..resim::budget::Budget::default()
        };
        for sc in scenarios {
            // A scenario's own traffic replaces the model's.
            let Some(traffic) = sc.traffic.as_ref().or(model.traffic.as_ref()) else {
                continue;
            };
            resim::budget::check_drill(model, traffic, sc, self.trials, self.bin, &budget)
                .map_err(|e| Failure::Input(format!("{}: {e}", model.origin)))?;
        }
        Ok(())
    }

    /// The library's request, after checking the values.
    pub fn request(&self, min_trials: u64) -> Result<resim::drill::DrillRequest, Failure> {
        if self.trials < min_trials {
            return Err(Failure::Input(format!(
                "--trials must be at least {min_trials}"
            )));
        }
        if self.bin == SimTime::ZERO {
            return Err(Failure::Input("--bin must be longer than zero".into()));
        }
        Ok(resim::drill::DrillRequest {
            trials: self.trials,
            seed: self.seed,
            threads: self.threads,
            bin: self.bin,
            snapshots: Vec::new(),
        })
    }

    /// The output folder of `command` for a run named `stem` (see
    /// [`partial::prepare_output`]).
    /// The percentiles asked for, or the default set.
    pub fn percentiles(&self) -> resim::stats::Percentiles {
        self.percentiles.clone().unwrap_or_default()
    }

    pub fn output(&self, command: &str, stem: &str) -> Result<resim::report::OutputDir, Failure> {
        partial::prepare_output(command, self.out.as_deref(), stem, self.seed, &self.control)
    }
}

/// Why the command failed; decides the exit code.
pub enum Failure {
    /// The input was wrong (model file, arguments): exit 2.
    Input(String),
    /// The run could not complete (output folder, threads): exit 1.
    Run(String),
}

/// Parses a duration argument such as `1y` or `90d`.
/// `--percentiles`: the flag's value, checked (an error exits 2).
pub fn parse_percentiles_arg(s: &str) -> Result<resim::stats::Percentiles, String> {
    resim::stats::Percentiles::parse(s)
}

pub fn parse_duration_arg(s: &str) -> Result<SimTime, String> {
    resim::model::units::parse_duration(s)
}

/// Runs the command line and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = dispatch(cli.command);
    if let Some(note) = partial::finish(result.is_ok()) {
        stdout::finish();
        errln!("\nresim: {note}");
        return ExitCode::from(130);
    }
    let written = stdout::finish();
    match result {
        Ok(()) => match written {
            Some(e) => {
                errln!("error: cannot write to standard output: {e}");
                ExitCode::from(1)
            }
            None => ExitCode::SUCCESS,
        },
        Err(Failure::Input(msg)) => {
            errln!("{msg}");
            errln!("error: the model was not run; fix the problems above");
            ExitCode::from(2)
        }
        Err(Failure::Run(msg)) => {
            errln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}

fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Check {
            model,
            format,
            sets,
        } => check::run(&model, &format, &sets),
        Command::Availability(args) => availability::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Report { dir } => report::run(&dir),
        Command::Sweep(args) => sweep::run(&args),
        Command::Merge { dirs, out } => {
            let argv = partial::merge(&dirs, out.as_deref())?;
            match Cli::try_parse_from(&argv) {
                Ok(Cli {
                    command: Command::Merge { .. },
                }) => Err(Failure::Input("a merge cannot merge merges".into())),
                Ok(cli) => dispatch(cli.command),
                Err(e) => Err(Failure::Input(format!(
                    "the shards' command line does not parse: {e}"
                ))),
            }
        }
    }
}

/// Loads a model, turning its problems into an input failure.
pub fn load_model(path: &std::path::Path) -> Result<resim::model::Model, Failure> {
    match partial::model_text(path) {
        Ok(text) => resim::model::Model::parse(&text, &path.display().to_string()),
        Err(_) => resim::model::Model::load(path),
    }
    .map_err(|e| Failure::Input(e.to_string()))
}

/// The last line of a run: where its report is.
pub fn print_report_path(out: &resim::report::OutputDir) {
    outln!("report: {}", out.path("report.html").display());
}

/// Reads a model file's text, or says why it cannot.
pub fn read_model_text(path: &std::path::Path) -> Result<String, Failure> {
    partial::model_text(path).map_err(|e| {
        Failure::Input(format!(
            "{}: cannot read the model file: {e}",
            path.display()
        ))
    })
}

/// Loads a model with `--set PATH=VALUE` edits applied in order.
pub fn load_model_with(
    path: &std::path::Path,
    sets: &[String],
) -> Result<resim::model::Model, Failure> {
    if sets.is_empty() {
        return load_model(path);
    }
    let text = read_model_text(path)?;
    resim::overrides::apply_sets(&text, &path.display().to_string(), sets)
        .map_err(|e| Failure::Input(e.to_string()))
}
