//! Hostile inputs: each case once panicked, aborted, hung, grew without
//! bound, gave a silently wrong result or a confusing message, and now gets
//! a clear error (exit 2, naming `file:line:col` or the argument) or a
//! correct result.
//! See: issue 15 ("Nothing lost, nothing panics").

use std::io::Read;
use std::process::{Command, Stdio};

use super::util::{repo, resim, scratch};

/// A small valid model with traffic and one scenario; cases edit it.
const BASE: &str = r#"[system]
name = "shop"

[components.app]
kind = "pods"
instances = 3
min_up = 2
failure = { dist = "exponential", mean = "30d" }
repair = { dist = "lognormal", median = "30s", p95 = "5m" }

[traffic]
rate = "50/s"

[[scenarios]]
name = "crash"
duration = "1m"
warmup = "10s"
[[scenarios.events]]
at = "20s"
fault = "crash"
target = "app"
instance = 0
duration = "20s"
"#;

/// Runs `resim ARGS...` on `text` saved as `model.toml` in a fresh scratch
/// folder; returns (exit code, stdout, stderr) after checking for panics.
fn on_model(case: &str, text: &str, args: &[&str]) -> (i32, String, String) {
    let dir = scratch(&format!("hardening-{case}"));
    std::fs::write(dir.join("model.toml"), text).expect("write model");
    let mut full: Vec<&str> = vec![args[0], "model.toml"];
    full.extend_from_slice(&args[1..]);
    let out = resim(&dir, &full);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{case}: panicked:\n{stderr}");
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

/// Asserts that `resim check` refuses `text` with exit 2 and a line
/// `model.toml:LINE:...` holding `needle`, and that `absent` appears nowhere.
fn refused(case: &str, text: &str, line: usize, needle: &str, absent: &[&str]) {
    let (code, _, stderr) = on_model(case, text, &["check"]);
    assert_eq!(code, 2, "{case}: exit code\n{stderr}");
    let at = format!("model.toml:{line}:");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with(&at) && l.contains(needle)),
        "{case}: expected '{at}...{needle}', got:\n{stderr}"
    );
    for a in absent {
        assert!(!stderr.contains(a), "{case}: '{a}' in:\n{stderr}");
    }
}

#[test]
fn the_base_model_runs() {
    let (code, _, stderr) = on_model("base", BASE, &["check"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn tiny_weibull_shapes_are_refused_not_panicked_on() {
    // 0.001 panicked ("validated: ScaleTooSmall"); 0.03 gave "scale 0ns"
    // and a negative availability.
    for (case, shape) in [("weibull-0.001", "0.001"), ("weibull-0.03", "0.03")] {
        let text = BASE.replace(
            "failure = { dist = \"exponential\", mean = \"30d\" }",
            &format!("failure = {{ dist = \"weibull\", shape = {shape}, mean = \"30d\" }}"),
        );
        refused(case, &text, 8, "below 0.1 a weibull", &[]);
    }
    // A scale and shape whose mean overflows the clock.
    let text = BASE.replace(
        "failure = { dist = \"exponential\", mean = \"30d\" }",
        "failure = { dist = \"weibull\", shape = 0.2, scale = \"300y\" }",
    );
    refused("weibull-mean-overflow", &text, 8, "the clock's range", &[]);
}

#[test]
fn a_zero_failure_time_is_refused() {
    let text = BASE.replace(
        "failure = { dist = \"exponential\", mean = \"30d\" }",
        "failure = { dist = \"constant\", value = \"0s\" }",
    );
    refused(
        "zero-failure",
        &text,
        8,
        "a time to failure must be longer than zero",
        &[],
    );
}

#[test]
fn runs_beyond_the_budget_are_refused_before_they_start() {
    // A 100-year scenario (43 GB), 1-ns bins (16 TB), 1e8 requests a second
    // (unbounded growth): each refused at once, naming the flag to raise it,
    // and no result folder is made.
    let long = BASE.replace("duration = \"1m\"", "duration = \"100y\"");
    let (code, _, stderr) = on_model("long", &long, &["run", "--out", "out"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--max-requests"), "{stderr}");
    let (code, _, stderr) = on_model(
        "long-bins",
        &long,
        &[
            "run",
            "--out",
            "out",
            "--max-requests",
            "1000000000000000000",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("time bins") && stderr.contains("--max-bins"),
        "{stderr}"
    );
    let (code, _, stderr) = on_model("bin-1ns", BASE, &["run", "--bin", "1ns", "--out", "out"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--max-bins"), "{stderr}");
    let fast = BASE.replace("rate = \"50/s\"", "rate = 1e8");
    let (code, _, stderr) = on_model("rate-1e8", &fast, &["run", "--out", "out"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("requests") && stderr.contains("the limit is 1000000000"),
        "{stderr}"
    );
    assert!(
        !scratch_path("rate-1e8").join("out").exists(),
        "a refused run made its folder"
    );
    // Above one arrival a nanosecond the model itself is refused.
    let faster = BASE.replace("rate = \"50/s\"", "rate = 1e10");
    refused("rate-1e10", &faster, 12, "the clock's resolution", &[]);
    // Availability: failure and repair events, with --max-events.
    let flaky = BASE.replace("mean = \"30d\"", "mean = \"1ms\"").replace(
        "median = \"30s\", p95 = \"5m\"",
        "median = \"1ms\", p95 = \"2ms\"",
    );
    let (code, _, stderr) = on_model("events", &flaky, &["availability", "--out", "out"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--max-events"), "{stderr}");
}

/// The scratch folder `on_model` used for `case`.
fn scratch_path(case: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("hardening-{case}"))
}

#[test]
fn threads_are_capped_at_what_can_be_used() {
    // --threads 10000 hung on a run that takes 0.02 s.
    assert!(resim::montecarlo::usable_threads(10_000, 4) <= 4);
    assert_eq!(resim::montecarlo::usable_threads(10_000, 1), 1);
    assert!(resim::montecarlo::usable_threads(0, 1_000) >= 1);
    let (code, stdout, stderr) = on_model(
        "threads",
        BASE,
        &[
            "availability",
            "--trials",
            "4",
            "--threads",
            "10000",
            "--out",
            "out",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("availability"), "{stdout}");
}

#[test]
fn a_million_instances_check_in_linear_time_and_print_short_lines() {
    // Was quadratic (100k instances: 3.2 s) and printed a 1 MB line.
    let text = "[groups.n1]\nfailure = { dist = \"exponential\", mean = \"300d\" }\n\
                repair = { dist = \"exponential\", mean = \"1h\" }\n\
                [groups.n2]\nfailure = { dist = \"exponential\", mean = \"300d\" }\n\
                repair = { dist = \"exponential\", mean = \"1h\" }\n\
                [components.app]\ninstances = 1000000\nmin_up = 999000\n\
                placement = [\"n1\", \"n2\"]\n\
                failure = { dist = \"exponential\", mean = \"30d\" }\n\
                repair = { dist = \"exponential\", mean = \"1h\" }\n";
    let (code, stdout, stderr) = on_model("million", text, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    let longest = stdout.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 400, "a {longest}-character line");
    assert!(stdout.contains("and 499992 more"), "{stdout}");
}

#[test]
fn availability_trials_cost_what_their_events_touch() {
    // 50k instances over 30 days: about 100k events; the old trial rescanned
    // every instance at each event (5e9 steps).
    use resim::availability::trial::{AvailabilityConfig, AvailabilitySim};
    let text = "[groups.n]\nfailure = { dist = \"exponential\", mean = \"10d\" }\n\
                repair = { dist = \"exponential\", mean = \"1h\" }\n\
                [components.app]\ninstances = 50000\nmin_up = 49990\nplacement = [\"n\"]\n\
                failure = { dist = \"exponential\", mean = \"30d\" }\n\
                repair = { dist = \"exponential\", mean = \"1h\" }\n";
    let model = resim::model::Model::parse(text, "t.toml").expect("valid");
    let sim = AvailabilitySim::new(
        &model,
        AvailabilityConfig {
            horizon: resim::engine::SimTime(30 * resim::engine::SimTime::DAY.0),
            grid_points: 10,
        },
    );
    let out = sim.run_trial(0, 3);
    // 50k instances at 1h/(30d + 1h) down each: about 69 down at a time,
    // more than the 10 allowed, so the service is down most of the time.
    assert!(out.downtime_secs > 0.5 * 30.0 * 86_400.0, "{out:?}");
    let blamed: f64 = out.blame_secs.iter().sum();
    assert!((blamed - out.downtime_secs).abs() < 1e-6 * out.downtime_secs);
}

#[test]
fn a_device_as_model_file_is_refused_without_reading_it_all() {
    let dir = scratch("hardening-dev-zero");
    let out = resim(&dir, &["check", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/dev/zero:1:1: cannot read the model file: larger than 16 MiB"),
        "{stderr}"
    );
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    // `resim check models/web-app.toml | head -0`: the reader is gone
    // before the first line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_resim"))
        .args(["check", "models/web-app.toml"])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start resim");
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_full_disk_on_stdout_is_an_error_not_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not on this system
    };
    let out = Command::new(env!("CARGO_BIN_EXE_resim"))
        .args(["check", "models/web-app.toml"])
        .current_dir(repo())
        .stdout(full)
        .output()
        .expect("run resim");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("cannot write to standard output: No space left on device"),
        "{stderr}"
    );
}

#[test]
fn silent_mistakes_in_drills_are_reported() {
    let no_traffic = BASE.replace("rate = \"50/s\"", "rate = 0");
    refused("rate-0", &no_traffic, 12, "sends no requests", &[]);
    // A fault set to end long after its scenario: said, on check and run.
    let late = BASE.replace("duration = \"20s\"", "duration = \"2h\"");
    let (code, stdout, stderr) = on_model("fault-after-end", &late, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("after the scenario ends (1m)"), "{stdout}");
    let (code, _, stderr) = on_model(
        "fault-after-end-run",
        &late,
        &["run", "--trials", "1", "--out", "out"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: scenario 'crash': 'crash app[0]' at 20s is set to end at"),
        "{stderr}"
    );
    let itself = BASE.replace(
        "fault = \"crash\"\ntarget = \"app\"\ninstance = 0\n",
        "fault = \"partition\"\ntarget = \"app\"\npeer = \"app\"\n",
    );
    refused("partition-itself", &itself, 22, "from itself", &[]);
    let slow = BASE.replace(
        "fault = \"crash\"\ntarget = \"app\"\n",
        "fault = \"slow\"\nfactor = 1e300\ntarget = \"app\"\n",
    );
    refused("slow-1e300", &slow, 21, "up to 1000000, found 1e300", &[]);
}

#[test]
fn messages_say_what_is_wrong() {
    let huge = BASE.replace("duration = \"1m\"", "duration = \"1e400h\"");
    refused(
        "duration-overflow",
        &huge,
        16,
        "is not a finite number",
        &["negative"],
    );
    for rate in ["\"nan/s\"", "nan", "inf"] {
        let text = BASE.replace("rate = \"50/s\"", &format!("rate = {rate}"));
        refused("rate-nan", &text, 12, "finite number", &["negative"]);
    }
    let both = BASE.replace("p95 = \"5m\"", "p95 = \"5m\", p99 = \"10m\"");
    refused(
        "p95-p99",
        &both,
        9,
        "'p95' and 'p99' are mutually exclusive",
        &["did you mean", "unknown key"],
    );
    let both = BASE.replace(
        "mean = \"30d\"",
        "mean = \"30d\", shape = 1.5, scale = \"20d\"",
    );
    let both = both.replace("dist = \"exponential\", mean", "dist = \"weibull\", mean");
    refused(
        "scale-mean",
        &both,
        8,
        "'scale' and 'mean' are mutually exclusive",
        &["did you mean", "unknown key"],
    );
    let both = BASE.replace(
        "fault = \"crash\"\n",
        "fault = \"crash\"\naction = \"scale\"\nreplicas = 4\n",
    );
    refused(
        "fault-action",
        &both,
        20,
        "'fault' and 'action' are mutually exclusive",
        &["did you mean", "unknown key"],
    );
    let bad = BASE.replace("instances = 3", "instances = -3");
    refused("bad-instances", &bad, 6, "whole number", &["min_up"]);
    let top = format!("{BASE}\n[foo]\nx = 1\n");
    refused(
        "top-level",
        &top,
        25,
        "unknown key 'foo' at the top level",
        &["in []"],
    );
}

#[test]
fn an_unwritable_output_folder_is_refused_with_its_reason_before_the_run() {
    let dir = scratch("hardening-out");
    std::fs::write(dir.join("model.toml"), BASE).expect("write model");
    std::fs::write(dir.join("file"), "").expect("write file");
    let out = resim(
        &dir,
        &[
            "availability",
            "model.toml",
            "--out",
            "file/sub",
            "--trials",
            "2",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot create folder 'file'") && stderr.contains("os error"),
        "{stderr}"
    );
    // An existing read-only folder is found out before the run (unless we
    // are root, who may write anywhere).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.join("ro");
        std::fs::create_dir(&ro).expect("mkdir");
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        if std::fs::write(ro.join("probe"), "").is_err() {
            let out = resim(&dir, &["availability", "model.toml", "--out", "ro"]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{stderr}");
            assert!(stderr.contains("Permission denied"), "{stderr}");
            assert!(!stderr.contains("trials of"), "ran first:\n{stderr}");
        }
    }
}
