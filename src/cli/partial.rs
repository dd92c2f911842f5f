//! Partial result folders: a shard's trials (`--shard I/N`), an interrupted
//! run (`--resume DIR`), and `resim merge DIR...` of shards.
//!
//! While a run works, its output folder holds `partial.json` (the command
//! line, the model texts and their hash, the seed, the shard, whether it
//! finished) and `trials.journal` (every completed trial, see
//! `resim::montecarlo::journal`), and `.resim.lock`, held by the process so
//! a second one given the same folder is refused. A finished run removes
//! the three; a shard and an interrupted run keep them.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use resim::montecarlo::journal::{self, Records, Session};
use resim::montecarlo::shard::Shard;
use resim::report::OutputDir;
use serde::{Deserialize, Serialize};

use super::Failure;

/// `--shard` and `--resume`, on every command that runs trials.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Control {
    /// Run only shard I of N (trial i belongs to shard i mod N) and write a
    /// partial result for `resim merge`. `auto/N` or `auto` take I (and N)
    /// from the batch system: $JOB_COMPLETION_INDEX (Kubernetes Indexed
    /// Job), $SLURM_ARRAY_TASK_ID with $SLURM_ARRAY_TASK_COUNT,
    /// $AWS_BATCH_JOB_ARRAY_INDEX with $AWS_BATCH_JOB_ARRAY_SIZE,
    /// $CLOUD_RUN_TASK_INDEX with $CLOUD_RUN_TASK_COUNT.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Continue the interrupted run (or shard) in DIR to the result an
    /// uninterrupted run gives; give the same arguments as the first time.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub resume: Option<PathBuf>,
}

/// The manifest of a partial folder.
const MANIFEST: &str = "partial.json";
/// The trial journal.
const JOURNAL: &str = "trials.journal";
/// The lock file.
const LOCK: &str = ".resim.lock";

/// What `partial.json` records.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Manifest {
    /// Whether the run (or shard) ran all its trials.
    complete: bool,
    /// Trials in the journal.
    trials_done: u64,
    /// `run`, `availability`, `compare` or `sweep`.
    command: String,
    resim_version: String,
    seed: u64,
    /// FNV-1a of the model texts and the `--set` edits, in hex.
    model_hash: String,
    shard: Option<Shard>,
    /// The arguments, without `--out`, `--shard`, `--resume`, `--threads`.
    args: Vec<String>,
    /// Each model file as typed on the command line, and its text.
    models: Vec<(String, String)>,
}

/// The state of this process's run.
#[derive(Default)]
struct State {
    /// Model texts read, in order (path as typed, text).
    models: Vec<(String, String)>,
    /// Texts to use instead of reading the files (`resim merge`).
    replacements: BTreeMap<String, String>,
    /// Shards' records to replay (`resim merge`).
    merging: Option<Records>,
    /// The output folder, its lock and manifest, once prepared.
    folder: Option<(PathBuf, fs::File, Manifest)>,
    /// Trials replayed from an interrupted run.
    resumed: u64,
    /// The note of an interrupted run's results (see [`mark_incomplete`]).
    note: Option<String>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

fn state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    let mut g = STATE.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(State::default))
}

/// The text of a model file: the shards' copy when merging, else the file.
pub fn model_text(path: &Path) -> std::io::Result<String> {
    let key = path.display().to_string();
    if let Some(t) = state(|s| s.replacements.get(&key).cloned()) {
        return Ok(t);
    }
    let read = resim::model::read_text(path);
    if let Ok(t) = &read {
        state(|s| s.models.push((key, t.clone())));
    }
    read
}

/// This process's arguments without the options that change nothing.
fn recorded_args() -> Vec<String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = Vec::new();
    let mut skip = false;
    let unrecorded = resim::report::index::UNRECORDED_OPTIONS;
    for a in args {
        if std::mem::take(&mut skip) {
            continue;
        }
        if unrecorded.contains(&a.as_str()) {
            skip = true;
        } else if !unrecorded
            .iter()
            .any(|o| a.strip_prefix(o).is_some_and(|r| r.starts_with('=')))
        {
            out.push(a);
        }
    }
    out
}

fn fnv(models: &[(String, String)], args: &[String]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let sets = args.windows(2).filter(|w| w[0] == "--set").map(|w| &w[1]);
    let texts = models.iter().map(|(_, t)| t);
    for part in texts.chain(sets) {
        for b in part.bytes().chain([0xff]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn run_err(e: impl std::fmt::Display) -> Failure {
    Failure::Run(e.to_string())
}

fn read_manifest(dir: &Path) -> Result<Manifest, Failure> {
    let path = dir.join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| {
        Failure::Input(format!(
            "'{}' holds no partial result ({}: {e})",
            dir.display(),
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::Input(format!(
            "{}: not a resim partial result: {e}",
            path.display()
        ))
    })
}

fn write_manifest(dir: &Path, m: &Manifest) -> Result<(), Failure> {
    let out = OutputDir::open(dir).map_err(run_err)?;
    let json = serde_json::to_string_pretty(m).expect("manifest serialises") + "\n";
    out.write(MANIFEST, json).map_err(run_err)?;
    Ok(())
}

/// Takes the folder's lock, or says another process holds it.
fn lock(dir: &Path) -> Result<fs::File, Failure> {
    let path = dir.join(LOCK);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Failure::Run(format!("cannot create '{}': {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(Failure::Run(format!(
            "output folder '{}' is in use by another resim process; wait for it or pass another --out",
            dir.display()
        ))),
        Err(fs::TryLockError::Error(e)) => Err(Failure::Run(format!(
            "cannot lock '{}': {e}",
            path.display()
        ))),
    }
}

/// Prepares the output folder of `command` (a new one, the `--resume`
/// folder, or the merge's) and installs the trial journal's session.
pub fn prepare_output(
    command: &str,
    explicit: Option<&Path>,
    stem: &str,
    seed: u64,
    control: &Control,
) -> Result<OutputDir, Failure> {
    let env = |k: &str| std::env::var(k).ok();
    let shard = (control.shard.as_deref())
        .map(|s| Shard::parse(s, &env))
        .transpose()
        .map_err(Failure::Input)?;
    let args = recorded_args();
    let (models, merging) = state(|s| (s.models.clone(), s.merging.take()));
    let mut manifest = Manifest {
        complete: false,
        trials_done: 0,
        command: command.to_string(),
        resim_version: env!("CARGO_PKG_VERSION").to_string(),
        seed,
        model_hash: fnv(&models, &args),
        shard,
        args,
        models,
    };
    if let Some(records) = merging {
        let out = OutputDir::prepare(explicit, Path::new("results"), stem).map_err(run_err)?;
        let lock = lock(out.root())?;
        let mut session = Session::new(None, records, None);
        session.replay_only = true;
        journal::install(session);
        state(|s| s.folder = Some((out.root().to_path_buf(), lock, manifest)));
        return Ok(out);
    }
    let (out, replay) = match &control.resume {
        Some(dir) => {
            let old = read_manifest(dir)?;
            let lock = lock(dir)?;
            check_resume(dir, &old, &manifest)?;
            manifest.shard = old.shard;
            let mut records = Records::new();
            let path = dir.join(JOURNAL);
            let file = fs::File::open(&path)
                .map_err(|e| Failure::Run(format!("cannot read '{}': {e}", path.display())))?;
            let (good, _) = journal::read_records(file, &mut records)
                .map_err(|e| Failure::Run(format!("cannot read '{}': {e}", path.display())))?;
            // Drop a record torn by a crash, so appends follow whole ones.
            fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_len(good))
                .map_err(|e| Failure::Run(format!("cannot repair '{}': {e}", path.display())))?;
            state(|s| s.resumed = records.len() as u64);
            clear_results(dir)?;
            errln!(
                "resuming {} ({} trial results journaled)",
                dir.display(),
                records.len()
            );
            let out = OutputDir::open(dir).map_err(run_err)?;
            (out, (records, lock))
        }
        None => {
            if let Some(dir) = explicit.filter(|d| d.join(LOCK).exists()) {
                // A clear word when another process is working there.
                drop(lock(dir)?);
            }
            let out = OutputDir::prepare(explicit, Path::new("results"), stem).map_err(run_err)?;
            let lock = lock(out.root())?;
            (out, (Records::new(), lock))
        }
    };
    let (records, lock) = replay;
    write_manifest(out.root(), &manifest)?;
    let path = out.path(JOURNAL);
    let sink = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Failure::Run(format!("cannot create '{}': {e}", path.display())))?;
    let session = Session::new(
        manifest.shard,
        records,
        Some(Box::new(std::io::BufWriter::new(sink))),
    );
    for sig in signal_hook::consts::TERM_SIGNALS {
        // A second signal ends the process at once.
        let _ = signal_hook::flag::register_conditional_shutdown(*sig, 130, session.stop.clone());
        let _ = signal_hook::flag::register(*sig, session.stop.clone());
    }
    journal::install(session);
    state(|s| s.folder = Some((out.root().to_path_buf(), lock, manifest)));
    Ok(out)
}

/// Removes what an interrupted run wrote in `dir` but its journal,
/// manifest and lock (its figures from part of the trials, temporary files
/// of a write cut short), so the resumed run's files are the whole set an
/// uninterrupted run writes and nothing else.
fn clear_results(dir: &Path) -> Result<(), Failure> {
    let entries = fs::read_dir(dir)
        .map_err(|e| Failure::Run(format!("cannot read '{}': {e}", dir.display())))?;
    for e in entries.flatten() {
        let name = e.file_name();
        if [MANIFEST, JOURNAL, LOCK].iter().any(|k| name == *k) {
            continue;
        }
        let path = e.path();
        let removed = if e.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(|e| Failure::Run(format!("cannot remove '{}': {e}", path.display())))?;
    }
    Ok(())
}

fn check_resume(dir: &Path, old: &Manifest, new: &Manifest) -> Result<(), Failure> {
    let refuse = |why: String| Failure::Input(format!("cannot resume '{}': {why}", dir.display()));
    if old.complete {
        return Err(refuse("it is already complete".into()));
    }
    if old.resim_version != new.resim_version {
        return Err(refuse(format!(
            "it was started by resim {}, this is {}",
            old.resim_version, new.resim_version
        )));
    }
    if old.command != new.command || old.args != new.args {
        return Err(refuse(format!(
            "it was started as `resim {}`; give the same arguments with --resume",
            old.args.join(" ")
        )));
    }
    if old.model_hash != new.model_hash {
        return Err(refuse("the model file changed since it started".into()));
    }
    Ok(())
}

/// Whether this process runs a shard.
pub fn is_shard() -> bool {
    journal::with(|s| s.is_some_and(|s| s.shard.is_some()))
}

/// Refuses an option that cannot be split across shards.
pub fn refuse_with_shard(control: &Control, option: &str, why: &str) -> Result<(), Failure> {
    if control.shard.is_some() {
        return Err(Failure::Input(format!(
            "{option} cannot be used with --shard: {why}"
        )));
    }
    Ok(())
}

/// Ends a shard: marks its folder complete. Returns whether this process
/// was a shard (and the command should write nothing else).
pub fn finish_shard() -> Result<bool, Failure> {
    if !is_shard() {
        return Ok(false);
    }
    let session = journal::uninstall().expect("a shard has a session");
    let resumed = state(|s| s.resumed);
    let Some((dir, lock, mut manifest)) = state(|s| s.folder.take()) else {
        return Ok(false);
    };
    manifest.complete = true;
    manifest.trials_done = resumed + session.computed();
    write_manifest(&dir, &manifest)?;
    drop(lock);
    let _ = fs::remove_file(dir.join(LOCK));
    outln!(
        "shard {}: {} trials written to {}; when every shard is done: resim merge DIR...",
        manifest.shard.expect("a shard"),
        manifest.trials_done,
        dir.display()
    );
    Ok(true)
}

/// Whether a signal stopped this run: its trial calls since then returned
/// only the whole trials done, and the command writes what is complete.
pub fn interrupted() -> bool {
    resim::montecarlo::interrupted()
}

/// Marks the results an interrupted run is about to write: `headline` says
/// what its figures hold (`figures from 12 of 20 trials`), `done` and `of`
/// count the trials in them and asked for. `summary.json` gets
/// `"complete": false`, `trials_done`, `trials_requested`, the `--resume`
/// command and the note, which the report shows as a banner and the
/// terminal as the last line.
pub fn mark_incomplete(headline: &str, done: u64, of: u64) {
    let Some(again) = state(|s| s.folder.as_ref().map(|(dir, _, m)| resume_command(dir, m))) else {
        return;
    };
    let note = format!("{headline}; resume with: {again}");
    let keys = serde_json::json!({
        "complete": false,
        "trials_done": done,
        "trials_requested": of,
        "resume": again,
        "note": note,
    });
    if let serde_json::Value::Object(keys) = keys {
        resim::report::index::set_incomplete(keys);
    }
    state(|s| s.note = Some(note));
}

/// `resim ARGS --resume DIR` for the run in `dir`.
fn resume_command(dir: &Path, m: &Manifest) -> String {
    format!(
        "resim {} --resume {}",
        m.args
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" "),
        shell_quote(&dir.display().to_string())
    )
}

/// Ends the command (`ok`: it returned without error). A whole run removes
/// the journal, manifest and lock. A run a signal stopped keeps the journal
/// and manifest for `--resume`, and its folder says so: the command wrote
/// its figures from the whole trials done, marked by [`mark_incomplete`];
/// when it could not (no whole trial yet, or an error), `summary.json` and
/// the report hold only the note. Returns the note for the terminal when
/// the run was stopped.
pub fn finish(ok: bool) -> Option<String> {
    let session = journal::uninstall();
    let stopped = session.as_ref().is_some_and(Session::interrupted);
    let (dir, lock, mut manifest) = state(|s| s.folder.take())?;
    if !stopped {
        if ok {
            let _ = fs::remove_file(dir.join(JOURNAL));
            let _ = fs::remove_file(dir.join(MANIFEST));
            let _ = fs::remove_file(dir.join(LOCK));
        }
        drop(lock);
        return None;
    }
    let resumed = state(|s| s.resumed);
    manifest.trials_done = resumed + session.map_or(0, |s| s.computed());
    let marked = state(|s| s.note.take()).filter(|_| ok);
    let mut written = write_manifest(&dir, &manifest).is_ok();
    let note = match marked {
        Some(note) => format!("interrupted: {note}"),
        None => {
            let note = format!(
                "interrupted before any figure was whole: {} trial results kept in {}; resume with: {}",
                manifest.trials_done,
                dir.join(JOURNAL).display(),
                resume_command(&dir, &manifest)
            );
            written &= write_note(&dir, &manifest, &note);
            note
        }
    };
    drop(lock);
    let _ = fs::remove_file(dir.join(LOCK));
    Some(if written {
        note
    } else {
        format!("{note} (could not mark the folder)")
    })
}

/// A folder's `summary.json` and report holding only `note`.
fn write_note(dir: &Path, manifest: &Manifest, note: &str) -> bool {
    let summary = serde_json::json!({
        "complete": false,
        "command": manifest.command,
        "trials_done": 0,
        "resume": resume_command(dir, manifest),
        "note": note,
    });
    let Ok(out) = OutputDir::open(dir) else {
        return false;
    };
    let html = maud::html! {
        (maud::DOCTYPE)
        html { head { meta charset="utf-8"; title { "resim: incomplete run" } }
            body { h1 { "Incomplete run" } p { (note) } } }
    };
    // The summary last: a folder with one holds the report too.
    out.write("report.md", format!("# Incomplete run\n\n{note}\n"))
        .is_ok()
        && out.write("report.html", html.into_string()).is_ok()
        && out
            .write(
                "summary.json",
                serde_json::to_string_pretty(&summary).expect("serialises") + "\n",
            )
            .is_ok()
}

fn shell_quote(a: &str) -> String {
    if !a.is_empty()
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,%+@".contains(&b))
    {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

/// `resim merge DIR...`: checks the shards belong together, then runs their
/// command again on their journaled trials, writing into `out`.
pub fn merge(dirs: &[PathBuf], out: Option<&Path>) -> Result<Vec<String>, Failure> {
    if dirs.is_empty() {
        return Err(Failure::Input(
            "resim merge needs the shards' folders".into(),
        ));
    }
    let mut first: Option<(PathBuf, Manifest)> = None;
    let mut seen: BTreeMap<u64, PathBuf> = BTreeMap::new();
    let mut records = Records::new();
    for dir in dirs {
        let m = read_manifest(dir)?;
        let Some(shard) = m.shard else {
            return Err(Failure::Input(format!(
                "'{}' is not a shard (it was run without --shard)",
                dir.display()
            )));
        };
        if !m.complete {
            return Err(Failure::Input(format!(
                "shard {shard} in '{}' did not finish; resume it with --resume before merging",
                dir.display()
            )));
        }
        if let Some((d0, m0)) = &first {
            let differ = |what: &str, a: &dyn std::fmt::Display, b: &dyn std::fmt::Display| {
                Failure::Input(format!(
                    "cannot merge '{}' with '{}': they differ in {what} ({a} and {b})",
                    d0.display(),
                    dir.display()
                ))
            };
            if m.resim_version != m0.resim_version {
                return Err(differ("resim version", &m0.resim_version, &m.resim_version));
            }
            if m.command != m0.command {
                return Err(differ("command", &m0.command, &m.command));
            }
            if m.model_hash != m0.model_hash {
                return Err(differ(
                    "model (text after --set)",
                    &m0.model_hash,
                    &m.model_hash,
                ));
            }
            if m.seed != m0.seed {
                return Err(differ("seed", &m0.seed, &m.seed));
            }
            if m.args != m0.args {
                return Err(differ("arguments", &m0.args.join(" "), &m.args.join(" ")));
            }
            let n0 = m0.shard.map_or(0, |s| s.count);
            if shard.count != n0 {
                return Err(differ("shard count", &n0, &shard.count));
            }
        } else {
            first = Some((dir.clone(), m.clone()));
        }
        if let Some(other) = seen.insert(shard.index, dir.clone()) {
            return Err(Failure::Input(format!(
                "'{}' and '{}' are both shard {shard}",
                other.display(),
                dir.display()
            )));
        }
        let path = dir.join(JOURNAL);
        let file = fs::File::open(&path)
            .map_err(|e| Failure::Input(format!("cannot read '{}': {e}", path.display())))?;
        let (_, dup) = journal::read_records(file, &mut records)
            .map_err(|e| Failure::Input(format!("cannot read '{}': {e}", path.display())))?;
        if dup > 0 {
            return Err(Failure::Input(format!(
                "'{}' holds trials another shard holds: the shards overlap",
                dir.display()
            )));
        }
    }
    let (_, m) = first.expect("at least one shard");
    let count = m.shard.map_or(0, |s| s.count);
    let missing: Vec<String> = (0..count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(Failure::Input(format!(
            "shard{} {} {} missing; merge needs all {count}",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" },
        )));
    }
    resim::report::index::set_command_args(m.args.clone());
    state(|s| {
        s.replacements = m.models.iter().cloned().collect();
        s.merging = Some(records);
    });
    let mut args = vec!["resim".to_string()];
    args.extend(m.args);
    if let Some(out) = out {
        args.push("--out".into());
        args.push(out.display().to_string());
    }
    let _ = std::io::stderr().flush();
    Ok(args)
}
