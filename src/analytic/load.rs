//! The load a model's `[traffic]` puts on each component, for `resim check`:
//! the calls per second each component is offered at the peak traffic rate,
//! its utilisation, the bottleneck, and where service is exponential the
//! Erlang figures of its busiest instance (Erlang C's wait probability and
//! mean wait; Erlang B's blocking where there is no queue).
//!
//! The calls come from the drill's own request plans (`drill::plan`): reads
//! and writes in the traffic's proportions, a cache hit skipping the
//! database read and the fill (at the cache's `hit_ratio`), database writes
//! on the primary and reads spread over the replicas, an `any` dependency
//! on its first member (or spread evenly with `pick = "spread"`), DNS
//! lookups left out (clients cache the answer). First tries only: retries,
//! hedges and timeouts add load this figure does not count.
//!
//! A worker is held for the call's own service and, thread-per-request,
//! while it calls its dependencies: a mean holding time of its service
//! plus, per dependency call, the round trip (twice the callee's mean
//! network latency) and the callee's own holding time (its queueing waits
//! left out). Utilisation is the offered calls times that, over the workers.
//! Instances are taken as sharing their component's calls evenly; a
//! component that calls nothing and whose service time is exponential is
//! then an M/M/c queue per instance with `c = workers` (its queue taken as
//! unbounded for Erlang C).

use std::fmt::Write;

use crate::drill::plan::{NO_CHOICE, Plan, StepKind, client_plan, compile};
use crate::engine::mmc::MmcParams;
use crate::model::{ComponentKind, Model, Pick};

/// Calls per request reaching one component, by what they do there.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Visits {
    /// Database reads (served by the replicas when there are any).
    reads: f64,
    /// Every other call (writes go to a database's primary).
    other: f64,
}

/// The Erlang figures of a component's busiest instance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Erlang {
    /// M/M/c with a queue: Erlang C.
    Wait {
        /// P(wait > 0), Erlang C.
        wait_probability: f64,
        /// Mean wait in the queue \[s\].
        mean_wait: f64,
    },
    /// M/M/c/c (no queue): Erlang B, the share of calls turned away.
    Blocking {
        /// Erlang B.
        blocking: f64,
    },
    /// Arrivals reach or exceed what the workers serve: the queue grows
    /// until it fills.
    Unstable,
}

/// One component's load at the peak traffic rate.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentLoad {
    /// The component's index in the model.
    pub component: usize,
    /// Calls per second offered to the component.
    pub offered: f64,
    /// Calls per second per instance: one entry per instance, or for a
    /// database with replicas the primary's then one replica's.
    pub per_instance: Vec<f64>,
    /// Mean service time \[s\].
    pub service_mean: f64,
    /// Mean time a call holds a worker \[s\]: the service plus the calls
    /// to dependencies.
    pub holding: f64,
    /// Workers per instance.
    pub workers: u32,
    /// Offered work over all workers: λ·E\[S\] / (instances · workers).
    pub utilisation: f64,
    /// The busiest instance's utilisation.
    pub busiest: f64,
    /// The busiest instance's Erlang figures (exponential service only).
    pub erlang: Option<Erlang>,
}

/// The load of a model with `[traffic]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Load {
    /// The peak traffic rate \[req/s\].
    pub rate: f64,
    /// Share of reads.
    pub read_ratio: f64,
    /// Per component with calls, in model order.
    pub components: Vec<ComponentLoad>,
    /// The component whose busiest instance is the most utilised.
    pub bottleneck: Option<usize>,
}

/// The load of `model`'s traffic, or `None` without `[traffic]`.
pub fn load(model: &Model) -> Option<Load> {
    let traffic = model.traffic.as_ref()?;
    let rate = traffic.peak_rate();
    let plans = compile(model);
    let client = client_plan(model);
    let n = model.components.len();
    let mut visits = vec![Visits::default(); n];
    // Per component, calls × mean holding time, summed over request types.
    let mut work = vec![0.0; n];
    for (is_read, share) in [
        (true, traffic.read_ratio),
        (false, 1.0 - traffic.read_ratio),
    ] {
        if share > 0.0 {
            let mut v = vec![Visits::default(); n];
            walk(model, &plans, &client, is_read, share, &mut v);
            let mut memo = vec![None; n];
            for c in 0..n {
                let calls = v[c].reads + v[c].other;
                if calls > 0.0 {
                    work[c] += calls * holding(model, &plans, c, is_read, &mut memo);
                }
                visits[c].reads += v[c].reads;
                visits[c].other += v[c].other;
            }
        }
    }
    let components: Vec<ComponentLoad> = visits
        .iter()
        .enumerate()
        .filter(|(_, v)| v.reads + v.other > 0.0)
        .map(|(c, v)| component_load(model, c, rate, *v, work[c] / (v.reads + v.other)))
        .collect();
    let bottleneck = components
        .iter()
        .filter(|l| l.busiest > 0.0)
        .max_by(|a, b| a.busiest.total_cmp(&b.busiest))
        .map(|l| l.component);
    Some(Load {
        rate,
        read_ratio: traffic.read_ratio,
        components,
        bottleneck,
    })
}

/// The calls a plan's steps make per call, with their targets and weights
/// (a cache hit skipping reads and fills, a spread choice split evenly).
fn step_targets(model: &Model, plan: &Plan, is_read: bool) -> Vec<(usize, f64, StepKind)> {
    let mut out = Vec::new();
    let mut miss = 1.0;
    for s in plan.steps(is_read) {
        let w = match s.kind {
            StepKind::Dns => continue,
            StepKind::DbRead | StepKind::CacheFill => miss,
            _ => 1.0,
        };
        if s.kind == StepKind::CacheRead {
            let cache = &model.components[s.dep as usize];
            if cache.kind == ComponentKind::Cache {
                miss *= 1.0 - cache.serving.hit_ratio;
            }
        }
        match plan.choices.get(s.choice as usize) {
            Some(ch) if s.choice != NO_CHOICE && ch.pick == Pick::Spread => {
                let k = ch.members.len().max(1) as f64;
                out.extend(ch.members.iter().map(|&m| (m as usize, w / k, s.kind)));
            }
            _ => out.push((s.dep as usize, w, s.kind)),
        }
    }
    out
}

/// The mean time a call of one request type holds a worker of `c` \[s\]:
/// its service, then its dependency calls' round trips and holding times.
fn holding(
    model: &Model,
    plans: &[Plan],
    c: usize,
    is_read: bool,
    memo: &mut [Option<f64>],
) -> f64 {
    if let Some(h) = memo[c] {
        return h;
    }
    let mut h = model.components[c].serving.service.mean_secs();
    for (d, w, _) in step_targets(model, &plans[c], is_read) {
        let trip = 2.0 * model.components[d].serving.latency.mean_secs();
        h += w * (trip + holding(model, plans, d, is_read, memo));
    }
    memo[c] = Some(h);
    h
}

/// Adds to `visits` the calls `weight` requests of one type make, from the
/// client's plan down: each component's calls are settled before its own
/// are passed on (callers before callees), so every component is visited
/// once however many paths reach it.
fn walk(
    model: &Model,
    plans: &[Plan],
    client: &Plan,
    is_read: bool,
    weight: f64,
    visits: &mut [Visits],
) {
    let n = model.components.len();
    let mut order = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    for (d, _, _) in step_targets(model, client, is_read) {
        post_order(model, plans, d, is_read, &mut seen, &mut order);
    }
    let add = |visits: &mut [Visits], d: usize, w: f64, kind: StepKind| {
        if kind == StepKind::DbRead {
            visits[d].reads += w;
        } else {
            visits[d].other += w;
        }
    };
    for (d, w, kind) in step_targets(model, client, is_read) {
        add(visits, d, w * weight, kind);
    }
    for &c in order.iter().rev() {
        let calls = visits[c].reads + visits[c].other;
        for (d, w, kind) in step_targets(model, &plans[c], is_read) {
            add(visits, d, w * calls, kind);
        }
    }
}

/// Appends `c` after everything it calls (depth first; the graph has no
/// cycles, the model reader refuses them).
fn post_order(
    model: &Model,
    plans: &[Plan],
    c: usize,
    is_read: bool,
    seen: &mut [bool],
    order: &mut Vec<usize>,
) {
    if std::mem::replace(&mut seen[c], true) {
        return;
    }
    for (d, _, _) in step_targets(model, &plans[c], is_read) {
        post_order(model, plans, d, is_read, seen, order);
    }
    order.push(c);
}

fn component_load(model: &Model, c: usize, rate: f64, v: Visits, holding: f64) -> ComponentLoad {
    let comp = &model.components[c];
    let n = comp.instances.max(1);
    let offered = rate * (v.reads + v.other);
    // A database with replicas: writes on the primary, reads on the others.
    let per_instance = if comp.failover.is_some() && n > 1 {
        vec![rate * v.other, rate * v.reads / f64::from(n - 1)]
    } else {
        vec![offered / f64::from(n)]
    };
    let service_mean = comp.serving.service.mean_secs();
    let workers = comp.serving.workers.max(1);
    let capacity = f64::from(workers) / holding;
    let busiest_rate = per_instance.iter().copied().fold(0.0, f64::max);
    let (utilisation, busiest) = if holding > 0.0 {
        (offered / (f64::from(n) * capacity), busiest_rate / capacity)
    } else {
        (0.0, 0.0)
    };
    // Erlang's figures need the worker's whole holding time exponential:
    // a component that calls nothing, with exponential service.
    let leaf = (holding - service_mean).abs() <= 1e-12 * holding;
    let erlang =
        (leaf && service_mean > 0.0 && busiest_rate > 0.0 && comp.serving.service.is_exponential())
            .then(|| {
                let p = MmcParams {
                    arrival_rate: busiest_rate,
                    service_rate: 1.0 / service_mean,
                    servers: workers,
                };
                if comp.serving.queue == 0 {
                    Erlang::Blocking {
                        blocking: p.blocking_probability(),
                    }
                } else {
                    match (p.wait_probability(), p.mean_wait()) {
                        (Some(wait_probability), Some(mean_wait)) => Erlang::Wait {
                            wait_probability,
                            mean_wait,
                        },
                        _ => Erlang::Unstable,
                    }
                }
            });
    ComponentLoad {
        component: c,
        offered,
        per_instance,
        service_mean,
        holding,
        workers,
        utilisation,
        busiest,
        erlang,
    }
}

impl Load {
    /// Components whose busiest instance is offered at least as much work
    /// as its workers do (utilisation reaches 1), one line each.
    pub fn warnings(&self, model: &Model) -> Vec<String> {
        self.components
            .iter()
            .filter(|l| l.busiest >= 1.0)
            .map(|l| {
                let comp = &model.components[l.component];
                format!(
                    "{}: utilisation {:.0}% at the peak rate ({:.0} calls/s per instance against {:.0}/s its {} workers serve): calls queue without bound until the queue ({}) fills and turns them away; add workers or instances, or shed load",
                    comp.id,
                    l.busiest * 100.0,
                    l.per_instance.iter().copied().fold(0.0, f64::max),
                    f64::from(l.workers) / l.holding,
                    l.workers,
                    comp.serving.queue
                )
            })
            .collect()
    }

    /// The load as `resim check` prints it.
    pub fn render(&self, model: &Model) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "load at the peak traffic rate, {} req/s ({:.0}% reads; first tries only: retries, hedges and timeouts add more; caches hit at their hit_ratio; DNS answers cached):",
            rate_text(self.rate),
            self.read_ratio * 100.0
        );
        for l in &self.components {
            let comp = &model.components[l.component];
            let per = if l.per_instance.len() == 2 {
                format!(
                    "primary {}/s, each replica {}/s",
                    rate_text(l.per_instance[0]),
                    rate_text(l.per_instance[1])
                )
            } else {
                format!("{}/s per instance", rate_text(l.per_instance[0]))
            };
            let hold = if l.holding > l.service_mean {
                format!(", a worker held {} with its calls", secs_text(l.holding))
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "  {}: {}/s offered ({per}), {} worker{} per instance, mean service {}{hold}, utilisation {:.1}%{}",
                comp.id,
                rate_text(l.offered),
                l.workers,
                if l.workers == 1 { "" } else { "s" },
                secs_text(l.service_mean),
                l.utilisation * 100.0,
                if (l.busiest - l.utilisation).abs() > 1e-9 {
                    format!(" (busiest instance {:.1}%)", l.busiest * 100.0)
                } else {
                    String::new()
                }
            );
            let model_name = format!("M/M/{}", l.workers);
            let line = match l.erlang {
                Some(Erlang::Wait {
                    wait_probability,
                    mean_wait,
                }) => format!(
                    "Erlang C ({model_name} per instance): P(wait > 0) = {:.3}%, mean wait {}",
                    wait_probability * 100.0,
                    secs_text(mean_wait)
                ),
                Some(Erlang::Blocking { blocking }) => format!(
                    "Erlang B ({model_name}/{}, no queue): {:.3}% of calls turned away",
                    l.workers,
                    blocking * 100.0
                ),
                Some(Erlang::Unstable) => format!(
                    "{model_name}: arrivals exceed what the workers serve; no steady state"
                ),
                None if l.holding > l.service_mean => {
                    "holds a worker while calling its dependencies: no closed form for the wait; `resim run` measures it".to_string()
                }
                None if l.service_mean > 0.0 => format!(
                    "service {}: no closed form for the wait (M/G/{}); `resim run` measures it",
                    comp.serving.service.describe(),
                    l.workers
                ),
                None => "no service time: no queue forms".to_string(),
            };
            let _ = writeln!(s, "    {line}");
        }
        if let Some(b) = self.bottleneck {
            let l = self
                .components
                .iter()
                .find(|l| l.component == b)
                .expect("the bottleneck has a load");
            let _ = writeln!(
                s,
                "  bottleneck: {} (busiest instance {:.1}% utilised); it saturates at about {} req/s of this traffic mix",
                model.components[b].id,
                l.busiest * 100.0,
                rate_text(self.rate / l.busiest)
            );
        }
        for w in self.warnings(model) {
            let _ = writeln!(s, "  warning: {w}");
        }
        s
    }
}

/// A rate with sensible digits: 1234, 56.7, 0.123.
fn rate_text(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}")
    } else if r >= 1.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.3}")
    }
}

/// A duration in seconds as s, ms or µs with three significant digits.
fn secs_text(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.3} µs", s * 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> Model {
        Model::parse(text, "t.toml").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn calls_follow_the_plans_hits_replicas_and_read_share() {
        let m = model(
            r#"
[components.app]
kind = "pods"
instances = 2
depends_on = ["db"]
soft_depends_on = ["redis"]
workers = 4
service = { dist = "exponential", mean = "10ms" }
[components.redis]
kind = "cache"
hit_ratio = 0.75
[components.db]
kind = "database"
replicas = 2
workers = 8
service = { dist = "exponential", mean = "5ms" }
[traffic]
rate = "400/s"
read_ratio = 0.9
"#,
        );
        let l = load(&m).expect("traffic");
        let by = |id: &str| {
            let c = m.components.iter().position(|c| c.id == id).expect("id");
            l.components
                .iter()
                .find(|x| x.component == c)
                .expect("load")
                .clone()
        };
        let app = by("app");
        assert!((app.offered - 400.0).abs() < 1e-9);
        assert!((app.per_instance[0] - 200.0).abs() < 1e-9);
        // An app worker is held for its 10 ms, the cache's round trip (no
        // latency set: the default) and, on a miss or a write, the database's.
        let lat = |id: &str| {
            let c = m.components.iter().find(|c| c.id == id).expect("id");
            2.0 * c.serving.latency.mean_secs()
        };
        let cache = |id: &str| {
            let c = m.components.iter().find(|c| c.id == id).expect("id");
            c.serving.service.mean_secs()
        };
        let reads = 0.01 + lat("redis") + cache("redis") + 0.25 * (lat("db") + 0.005);
        let writes = 0.01 + lat("db") + 0.005 + lat("redis") + cache("redis");
        let hold = 0.9 * reads + 0.1 * writes;
        assert!((app.holding - hold).abs() < 1e-12, "{app:?}");
        assert!((app.utilisation - 200.0 * hold / 4.0).abs() < 1e-12);
        // Reads: 360/s, a quarter miss (90/s) on 2 replicas; writes 40/s.
        let db = by("db");
        assert!((db.offered - 130.0).abs() < 1e-9, "{db:?}");
        assert!((db.per_instance[0] - 40.0).abs() < 1e-9);
        assert!((db.per_instance[1] - 45.0).abs() < 1e-9);
        // The cache gets every read and every write's invalidation.
        assert!((by("redis").offered - 400.0).abs() < 1e-9);
        // The app holds its workers through its calls: no Erlang figure.
        assert_eq!(app.erlang, None);
        // Erlang C of a database replica: M/M/8 at 45/s, μ = 200/s.
        let p = MmcParams {
            arrival_rate: 45.0,
            service_rate: 200.0,
            servers: 8,
        };
        assert_eq!(
            db.erlang,
            Some(Erlang::Wait {
                wait_probability: p.wait_probability().expect("stable"),
                mean_wait: p.mean_wait().expect("stable"),
            })
        );
        assert_eq!(l.bottleneck, Some(0));
        assert!(l.warnings(&m).is_empty());
    }

    #[test]
    fn no_queue_is_erlang_b_and_overload_warns() {
        let text = |queue: u32, rate: u32| {
            format!(
                r#"
[components.svc]
kind = "pods"
workers = 8
queue = {queue}
service = {{ dist = "exponential", mean = "10ms" }}
[traffic]
rate = "{rate}/s"
"#
            )
        };
        let m = model(&text(0, 600));
        let l = load(&m).expect("traffic");
        let b = MmcParams {
            arrival_rate: 600.0,
            service_rate: 100.0,
            servers: 8,
        }
        .blocking_probability();
        assert_eq!(
            l.components[0].erlang,
            Some(Erlang::Blocking { blocking: b })
        );
        let m = model(&text(100, 900));
        let l = load(&m).expect("traffic");
        assert_eq!(l.components[0].erlang, Some(Erlang::Unstable));
        let w = l.warnings(&m);
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("svc: utilisation 112%"), "{w:?}");
        assert!(l.render(&m).contains("warning: svc: utilisation 112%"));
    }
}
