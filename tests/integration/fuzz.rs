//! A structured fuzzer on stable Rust: model files generated from the
//! grammar (components, groups, crews, traffic, scenarios with faults and
//! actions, with ordinary and hostile values), then damaged (bytes, lines),
//! are read, analysed and, when small enough, run for a short drill and a
//! short availability trial. Nothing may panic.
//!
//! The suite runs it for a few seconds with a fixed seed; `cargo test
//! --release --test integration fuzz_long -- --ignored` runs it for
//! `RESIM_FUZZ_SECS` (default 300) from `RESIM_FUZZ_SEED` (default: the
//! clock). An input that panics is saved in `tests/fuzz-corpus/` and the
//! test fails; once fixed, the file stays there as a regression case that
//! [`the_corpus_never_panics`] replays.
//! See: issue 15 ("Nothing lost, nothing panics"), item 4.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use resim::budget::{Budget, check_availability, check_drill};
use resim::engine::SimTime;
use resim::model::Model;

/// A small PCG-style generator (the fuzzer's own, so its cases do not move
/// when the simulator's generators change).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// Ordinary values most of the time, hostile ones sometimes.
fn duration(g: &mut Gen, ordinary: &[&str]) -> String {
    const HOSTILE: &[&str] = &[
        "0s",
        "1ns",
        "-1s",
        "1e400h",
        "nan s",
        "inf s",
        "600y",
        "1e-9ns",
        "5",
        "1 fortnight",
    ];
    let v = if g.chance(10) {
        g.pick(HOSTILE)
    } else {
        g.pick(ordinary)
    };
    format!("\"{v}\"")
}

fn number(g: &mut Gen, ordinary: &[&str]) -> String {
    const HOSTILE: &[&str] = &[
        "0",
        "-1",
        "1e300",
        "nan",
        "inf",
        "-inf",
        "4294967296",
        "0.0001",
        "\"x\"",
    ];
    if g.chance(10) {
        g.pick(HOSTILE).to_string()
    } else {
        g.pick(ordinary).to_string()
    }
}

fn dist(g: &mut Gen, scale: &[&str]) -> String {
    match g.below(7) {
        0 => format!(
            "{{ dist = \"exponential\", mean = {} }}",
            duration(g, scale)
        ),
        1 => format!(
            "{{ dist = \"weibull\", shape = {}, {} = {} }}",
            number(g, &["0.5", "1.5", "3", "0.1", "0.05"]),
            g.pick(&["mean", "scale"]),
            duration(g, scale)
        ),
        2 => format!(
            "{{ dist = \"lognormal\", median = {}, {} = {} }}",
            duration(g, scale),
            g.pick(&["p95", "p99", "sigma"]),
            duration(g, scale)
        ),
        3 => format!(
            "{{ dist = \"gamma\", shape = {}, mean = {} }}",
            number(g, &["0.5", "2", "9"]),
            duration(g, scale)
        ),
        4 => format!(
            "{{ dist = \"uniform\", min = {}, max = {} }}",
            duration(g, scale),
            duration(g, scale)
        ),
        5 => format!("{{ dist = \"constant\", value = {} }}", duration(g, scale)),
        _ => format!(
            "{{ dist = \"empirical\", samples = [{}, {}] }}",
            duration(g, scale),
            duration(g, scale)
        ),
    }
}

const KINDS: &[&str] = &[
    "generic",
    "pods",
    "cache",
    "database",
    "dns",
    "load_balancer",
];
const FAULTS: &[&str] = &["crash", "bounce", "slow", "partition", "hold"];
const ACTIONS: &[&str] = &["scale", "set", "repair", "release", "flush"];
const LONG: &[&str] = &["30d", "90d", "1y", "12h"];
const SHORT: &[&str] = &["30s", "5m", "1h", "10m"];
const FAST: &[&str] = &["2ms", "5ms", "20ms", "250us"];

/// One model file from the grammar.
fn generate(g: &mut Gen) -> String {
    let mut t = format!("[system]\nname = \"fuzz{}\"\n\n", g.below(1000));
    let crews = g.below(2);
    for c in 0..crews {
        t += &format!("[crews.c{c}]\nsize = {}\n\n", number(g, &["1", "2"]));
    }
    let groups = g.below(3);
    for i in 0..groups {
        t += &format!(
            "[groups.g{i}]\nkind = \"{}\"\n",
            g.pick(&["node", "rack", "zone"])
        );
        if i > 0 && g.chance(30) {
            t += &format!("within = \"g{}\"\n", g.below(groups));
        }
        if g.chance(70) {
            t += &format!("failure = {}\nrepair = {}\n", dist(g, LONG), dist(g, SHORT));
        }
        t += "\n";
    }
    let n = 1 + g.below(4);
    for i in 0..n {
        let kind = g.pick(KINDS);
        t += &format!("[components.x{i}]\nkind = \"{kind}\"\n");
        if kind == "database" {
            t += &format!("replicas = {}\n", number(g, &["0", "1", "2"]));
        } else {
            t += &format!("instances = {}\n", number(g, &["1", "2", "3", "5"]));
            if g.chance(40) {
                t += &format!("min_up = {}\n", number(g, &["1", "2"]));
            }
        }
        // Mostly acyclic (later components only), sometimes anything.
        if i + 1 < n && g.chance(70) {
            let d = if g.chance(90) {
                i + 1 + g.below(n - i - 1)
            } else {
                g.below(n)
            };
            t += &format!("depends_on = [\"x{d}\"]\n");
        }
        if g.chance(70) {
            t += &format!("failure = {}\nrepair = {}\n", dist(g, LONG), dist(g, SHORT));
        }
        if groups > 0 && g.chance(40) {
            t += &format!("placement = [\"g{}\"]\n", g.below(groups));
        }
        if crews > 0 && g.chance(30) {
            t += "crew = \"c0\"\n";
        }
        if g.chance(50) {
            t += &format!(
                "workers = {}\nqueue = {}\nservice = {}\ntimeout = {}\n",
                number(g, &["1", "4", "16"]),
                number(g, &["0", "8", "128"]),
                dist(g, FAST),
                duration(g, &["1s", "3s", "200ms"])
            );
        }
        if kind == "cache" && g.chance(50) {
            t += &format!("hit_ratio = {}\n", number(g, &["0.9", "0.5", "1.0"]));
        }
        t += "\n";
    }
    if g.chance(80) {
        t += &format!(
            "[traffic]\nrate = {}\nread_ratio = {}\ntimeout = {}\n",
            g.pick(&[
                "\"50/s\"",
                "\"200/s\"",
                "20",
                "\"1e12/s\"",
                "0",
                "\"nan/s\""
            ]),
            number(g, &["0.9", "0.5", "1"]),
            duration(g, &["10s", "2s"])
        );
        if g.chance(30) {
            t += &format!(
                "profile = [{{ at = {}, rate = \"100/s\", ramp = {} }}]\n",
                duration(g, &["30s", "1m"]),
                duration(g, &["10s", "0s"])
            );
        }
        t += "\n";
    }
    for s in 0..g.below(3) {
        t += &format!(
            "[[scenarios]]\nname = \"s{s}\"\nduration = {}\nwarmup = {}\n",
            duration(g, &["1m", "2m", "30s"]),
            duration(g, &["0s", "10s"])
        );
        for _ in 0..g.below(3) {
            t += &format!(
                "[[scenarios.events]]\nat = {}\ntarget = \"{}\"\n",
                duration(g, &["10s", "30s", "1m"]),
                if groups > 0 && g.chance(20) {
                    format!("g{}", g.below(groups))
                } else {
                    format!("x{}", g.below(n))
                }
            );
            if g.chance(65) {
                let f = g.pick(FAULTS);
                t += &format!("fault = \"{f}\"\n");
                match f {
                    "slow" => t += &format!("factor = {}\n", number(g, &["5", "2.5", "100"])),
                    "partition" => t += &format!("peer = \"x{}\"\n", g.below(n)),
                    _ => {}
                }
                if g.chance(50) {
                    t += &format!("instance = {}\n", number(g, &["0", "1", "2"]));
                }
                if g.chance(60) {
                    t += &format!("duration = {}\n", duration(g, &["20s", "1m", "10m"]));
                }
            } else {
                let a = g.pick(ACTIONS);
                t += &format!("action = \"{a}\"\n");
                match a {
                    "scale" => t += &format!("replicas = {}\n", number(g, &["0", "2", "6"])),
                    "set" => {
                        t += &format!(
                            "param = \"{}\"\nvalue = {}\n",
                            g.pick(&["workers", "hit_ratio", "timeout", "queue", "nope"]),
                            number(g, &["4", "0.5", "\"2s\""])
                        )
                    }
                    _ => {}
                }
            }
        }
        t += "\n";
    }
    t
}

/// Damages `text` in place: bytes replaced by TOML punctuation, digits or
/// letters; lines deleted, duplicated or swapped.
fn damage(g: &mut Gen, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..1 + g.below(3) {
        if lines.is_empty() {
            break;
        }
        let i = g.below(lines.len());
        match g.below(4) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => {
                let j = g.below(lines.len());
                lines.swap(i, j);
            }
            _ => {
                let mut b = lines[i].clone().into_bytes();
                if !b.is_empty() {
                    let pos = g.below(b.len());
                    let choices = b"=\"[]{}.,0-9xz #_e";
                    b[pos] = choices[g.below(choices.len())];
                }
                lines[i] = String::from_utf8_lossy(&b).into_owned();
            }
        }
    }
    lines.join("\n") + "\n"
}

/// Reads, analyses and, when small, runs `text`; `Err` holds the panic message.
fn exercise(text: &str) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| {
        let Ok(model) = Model::parse(text, "fuzz.toml") else {
            return;
        };
        let _ = resim::analytic::analyze(&model).render();
        let _ = model.warnings();
        let small = Budget {
            max_requests: 20_000,
            max_bins: 100,
            max_events: 20_000,
        };
        let horizon = SimTime(30 * SimTime::DAY.0);
        if check_availability(&model, 1, horizon, &small).is_ok() {
            let req = resim::availability::AvailabilityRequest {
                trials: 1,
                horizon,
                threads: 1,
                ..Default::default()
            };
            let _ = resim::availability::run(&model, &req, |_, _| {});
        }
        for sc in model.scenarios.iter().take(2) {
            let Some(traffic) = sc.traffic.as_ref().or(model.traffic.as_ref()) else {
                continue;
            };
            let bin = SimTime(10 * SimTime::SECOND.0);
            if check_drill(&model, traffic, sc, 1, bin, &small).is_ok() {
                let mut req = super::util::request(1, 1);
                req.threads = 1;
                let _ = resim::drill::run_scenario(&model, sc, &req, &|_| {});
            }
        }
    }))
    .map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".into())
    })
}

/// [`exercise`] on a thread of its own, so a hang is found (and the input
/// kept) instead of stalling the suite.
fn exercise_in_time(text: &str, limit: Duration) -> Result<(), String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = text.to_string();
    std::thread::spawn(move || {
        let _ = tx.send(exercise(&owned));
    });
    match rx.recv_timeout(limit) {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {limit:?}: a hang")),
    }
}

/// Where found inputs are kept, in the source tree.
fn corpus() -> PathBuf {
    super::util::repo().join("tests/fuzz-corpus")
}

/// Runs cases from `seed` for `budget`; saves and reports every panicking input.
fn fuzz(seed: u64, budget: Duration) -> usize {
    let start = Instant::now();
    let mut g = Gen(seed);
    let mut cases = 0;
    let mut found = Vec::new();
    while start.elapsed() < budget {
        let generated = generate(&mut g);
        let text = if g.chance(50) {
            damage(&mut g, &generated)
        } else {
            generated
        };
        if let Err(msg) = exercise_in_time(&text, Duration::from_secs(10)) {
            let dir = corpus();
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("found-{seed:x}-{cases}.toml"));
            let _ = std::fs::write(&path, &text);
            let hang = msg.contains("a hang");
            found.push(format!("{}: {msg}", path.display()));
            if hang {
                break; // the hung thread keeps a core busy: stop here
            }
        }
        cases += 1;
    }
    assert!(
        found.is_empty(),
        "{} inputs panicked (seed {seed:#x}; saved for the regression corpus):\n{}",
        found.len(),
        found.join("\n")
    );
    cases
}

#[test]
fn generated_and_damaged_models_never_panic() {
    let cases = fuzz(0x15_f022, Duration::from_secs(8));
    assert!(cases > 50, "only {cases} cases in the time");
}

#[test]
#[ignore = "long: run with --ignored; RESIM_FUZZ_SECS, RESIM_FUZZ_SEED"]
fn fuzz_long() {
    let secs = std::env::var("RESIM_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let seed = std::env::var("RESIM_FUZZ_SEED")
        .ok()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("fuzzing from seed {seed:#x} for {secs} s (RESIM_FUZZ_SEED={seed:x} to repeat)");
    let cases = fuzz(seed, Duration::from_secs(secs));
    eprintln!("{cases} cases, no panic");
}

/// Every input the fuzzer ever found still reads and runs without a panic.
#[test]
fn the_corpus_never_panics() {
    let Ok(entries) = std::fs::read_dir(corpus()) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).expect("corpus file");
        if let Err(msg) = exercise_in_time(&text, Duration::from_secs(30)) {
            panic!("{} fails again: {msg}", p.display());
        }
    }
}
