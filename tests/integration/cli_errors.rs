//! Bad model files: each class of error gives exit code 2 and a message
//! naming `file:line:col`, never a panic.

use super::util::{resim, scratch};

/// A valid model that each case breaks in one place.
const BASE: &str = r#"[system]
name = "shop"

[components.lb]
kind = "load_balancer"
instances = 2
depends_on = ["app"]
failure = { dist = "exponential", mean = "1y" }
repair = { dist = "exponential", mean = "1h" }

[components.app]
kind = "pods"
instances = 3
min_up = 2
depends_on = ["redis-main"]
failure = { dist = "exponential", mean = "30d" }
repair = { dist = "lognormal", median = "30s", p95 = "5m" }

[components.redis-main]
kind = "cache"
failure = { dist = "weibull", shape = 1.5, mean = "90d" }
repair = { dist = "exponential", mean = "10m" }
"#;

/// Runs `resim check` on `text` and returns (exit code, stderr).
fn check(case: &str, text: &str) -> (i32, String) {
    let dir = scratch(&format!("cli-errors-{case}"));
    std::fs::write(dir.join("model.toml"), text).expect("write model");
    let out = resim(&dir, &["check", "model.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "{case}: resim panicked:\n{stderr}"
    );
    (out.status.code().unwrap_or(-1), stderr)
}

/// Asserts exit code 2 and that stderr holds `model.toml:LINE:` and `needle`.
fn assert_error(case: &str, text: &str, line: usize, needle: &str) {
    let (code, stderr) = check(case, text);
    assert_eq!(code, 2, "{case}: exit code\n{stderr}");
    let at = format!("model.toml:{line}:");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with(&at) && l.contains(needle)),
        "{case}: expected a line starting '{at}' containing '{needle}', got:\n{stderr}"
    );
}

#[test]
fn the_base_model_is_valid() {
    let (code, stderr) = check("base", BASE);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn unknown_key_with_hint() {
    let text = BASE.replace("min_up = 2", "min_upp = 2");
    assert_error(
        "unknown-key",
        &text,
        14,
        "unknown key 'min_upp' in [components.app]; did you mean 'min_up'?",
    );
}

#[test]
fn unknown_component_with_hint() {
    let text = BASE.replace(
        "depends_on = [\"redis-main\"]",
        "depends_on = [\"redis-mian\"]",
    );
    assert_error(
        "unknown-component",
        &text,
        15,
        "component 'redis-mian' is not defined; did you mean 'redis-main'?",
    );
}

#[test]
fn dependency_cycle() {
    let text = BASE.replace(
        "kind = \"cache\"\n",
        "kind = \"cache\"\ndepends_on = [\"lb\"]\n",
    );
    assert_error(
        "cycle",
        &text,
        21,
        "dependency cycle: lb -> app -> redis-main -> lb",
    );
}

#[test]
fn k_greater_than_n() {
    let text = BASE.replace("min_up = 2", "min_up = 4");
    assert_error(
        "k-of-n",
        &text,
        14,
        "min_up of 'app' is 4 but it has only 3 instances",
    );
}

#[test]
fn zero_and_negative_means() {
    let text = BASE.replace("mean = \"30d\"", "mean = \"0s\"");
    assert_error(
        "zero-mean",
        &text,
        16,
        "'components.app.failure.mean' must be greater than zero",
    );
    let text = BASE.replace("mean = \"10m\"", "mean = \"-10m\"");
    assert_error("negative-mean", &text, 22, "must not be negative");
}

#[test]
fn probability_out_of_range() {
    let text = format!("{BASE}\n[traffic]\nrate = \"200/s\"\nread_ratio = 1.5\n");
    assert_error(
        "probability",
        &text,
        26,
        "'traffic.read_ratio' is a probability and must be between 0 and 1",
    );
}

#[test]
fn unknown_distribution_with_hint() {
    let text = BASE.replace("dist = \"weibull\"", "dist = \"weibul\"");
    assert_error(
        "unknown-dist",
        &text,
        21,
        "unknown distribution 'weibul'; did you mean 'weibull'?",
    );
}

#[test]
fn bad_units() {
    let text = BASE.replace("mean = \"1y\"", "mean = \"1 fortnight\"");
    assert_error("bad-unit", &text, 8, "unknown duration unit 'fortnight'");
    let text = BASE.replace("mean = \"1y\"", "mean = \"12\"");
    assert_error("no-unit", &text, 8, "has no unit");
}

#[test]
fn invalid_toml_syntax() {
    let text = BASE.replace("instances = 3", "instances = = 3");
    assert_error("syntax", &text, 13, "invalid TOML");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = BASE
        .replace("min_up = 2", "min_up = 4")
        .replace(
            "depends_on = [\"redis-main\"]",
            "depends_on = [\"redis-mian\"]",
        )
        .replace("dist = \"weibull\"", "dist = \"weibul\"");
    let (code, stderr) = check("many", &text);
    assert_eq!(code, 2);
    for line in [14, 15, 21] {
        assert!(
            stderr.contains(&format!("model.toml:{line}:")),
            "line {line} missing:\n{stderr}"
        );
    }
    assert!(stderr.contains("3 problems in model.toml"), "{stderr}");
}

#[test]
fn missing_file_is_an_input_error() {
    let dir = scratch("cli-errors-missing");
    let out = resim(&dir, &["check", "nope.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nope.toml:1:1: cannot read the model file"),
        "{stderr}"
    );
}

/// Random byte-level damage to a valid file must never panic.
#[test]
fn damaged_files_never_panic() {
    damage_and_check(BASE, "cli-errors-fuzz", 0x1234_5678, 40);
}

/// The same for every bundled model, whose readers cover pods, Redis, DNS,
/// databases, partitions and the edge and balancer policies.
#[test]
fn damaged_bundled_models_never_panic() {
    let models = std::fs::read_dir(super::util::repo().join("models")).expect("models/");
    let mut names: Vec<_> = models
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for (i, path) in names.iter().enumerate() {
        let text = std::fs::read_to_string(path).expect("bundled model");
        let stem = path.file_stem().unwrap().to_str().unwrap();
        damage_and_check(
            &text,
            &format!("cli-fuzz-{stem}"),
            0x9e37_79b9 + i as u64,
            30,
        );
    }
}

/// Writes `cases` copies of `text`, each with three random bytes replaced
/// by TOML punctuation, digits or letters, and checks that `resim check`
/// exits 0 or 2 without a panic.
fn damage_and_check(text: &str, scratch_name: &str, seed: u64, cases: usize) {
    let bytes = text.as_bytes();
    let dir = scratch(scratch_name);
    let mut state = seed;
    for case in 0..cases {
        let mut damaged = bytes.to_vec();
        for _ in 0..3 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pos = (state >> 33) as usize % damaged.len();
            let choices = b"=\"[]{}.,0-9xz \n#";
            damaged[pos] = choices[(state >> 20) as usize % choices.len()];
        }
        let path = dir.join(format!("m{case}.toml"));
        std::fs::write(&path, &damaged).expect("write");
        let out = resim(
            &dir,
            &["check", path.file_name().unwrap().to_str().unwrap()],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked"),
            "case {case} panicked:\n{stderr}"
        );
        assert!(
            matches!(out.status.code(), Some(0) | Some(2)),
            "case {case}: {:?}\n{stderr}",
            out.status
        );
    }
}

#[test]
fn check_warns_about_edge_policies_that_never_act() {
    let text = format!(
        "{BASE}\n[components.app.calls.redis-main]\ntimeout = \"100ms\"\nretry = {{ max = 3, base = \"50ms\", cap = \"1s\", jitter = \"none\", per_try_timeout = \"200ms\" }}\n"
    );
    let dir = scratch("cli-check-warnings");
    std::fs::write(dir.join("model.toml"), text).expect("write model");
    let out = resim(&dir, &["check", "model.toml"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("app -> redis-main: the per-try timeout (200ms) is not shorter"),
        "{stdout}"
    );
    assert!(stdout.contains("retry storm"), "{stdout}");
}

#[test]
fn a_call_policy_on_a_non_dependency_is_an_error() {
    let text = format!("{BASE}\n[components.lb.calls.redis-main]\ntimeout = \"1s\"\n");
    let (code, stderr) = check("policy-non-dep", &text);
    assert_eq!(code, 2);
    assert!(stderr.contains("not one of its dependencies"), "{stderr}");
}

/// The data tier's bad settings (issue 14): a cluster with replicas but no
/// shards and a persistence setting Redis does not have, each at its place.
#[test]
fn data_tier_settings_redis_lacks_are_errors_with_their_place() {
    let cluster = format!(
        "{BASE}maxmemory = \"1gb\"\nkeys = {{ count = 1000, zipf = 0.9, size = \"1KiB\" }}\n\
         replication = {{ replicas = 1, lag = \"10ms\" }}\ncluster = {{ node_timeout = \"15s\" }}\n"
    );
    assert_error("cluster-no-shards", &cluster, 26, "needs 'shards'");
    let persistence = format!(
        "{BASE}maxmemory = \"1gb\"\nkeys = {{ count = 1000, zipf = 0.9, size = \"1KiB\" }}\n\
         persistence = {{ appendonly = true, appendfsync = \"sometimes\" }}\n"
    );
    assert_error("persistence-fsync", &persistence, 25, "'sometimes'");
}
