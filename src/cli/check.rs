//! `resim check MODEL`.

use std::path::Path;

use resim::report::diagram::Diagram;
use resim::topology::Topology;

use super::{Failure, load_model_with};

pub fn run(path: &Path, format: &str, sets: &[String]) -> Result<(), Failure> {
    let model = load_model_with(path, sets)?;
    match format {
        "dot" => {
            out!("{}", Diagram::of(&model).dot(&model.name));
            return Ok(());
        }
        "mermaid" => {
            out!("{}", Diagram::of(&model).mermaid());
            return Ok(());
        }
        _ => {}
    }
    let topo = Topology::new(&model);
    outln!("model {} ({})", model.name, path.display());
    if !model.description.is_empty() {
        outln!("  {}", model.description);
    }
    outln!("\ncomponents:");
    for c in &model.components {
        let count = if c.failover.is_some() {
            format!("primary + {} replicas", c.instances - 1)
        } else {
            format!("{} of {} must be up", c.min_up, c.instances)
        };
        outln!("  {} [{}] {}", c.id, c.kind.name(), count);
        match &c.reliability {
            Some(r) => {
                outln!("    failure: {}", r.failure.describe());
                outln!("    repair:  {}", r.repair.describe());
            }
            None => outln!("    never fails on its own"),
        }
        if let Some(f) = &c.failover {
            outln!("    failover: {}", f.time.describe());
        }
        if !c.placement.is_empty() {
            let groups: Vec<String> = c
                .placement
                .iter()
                .map(|&g| model.groups[g].id.clone())
                .collect();
            outln!(
                "    placed on: {}",
                resim::analytic::abbreviate(&groups, 16)
            );
        }
        if let Some(crew) = c.crew {
            outln!("    repaired by crew '{}'", model.crews[crew].id);
        }
    }
    if !model.groups.is_empty() {
        outln!("\ncommon-cause groups:");
        for g in &model.groups {
            let within = g
                .within
                .map(|w| format!(" within {}", model.groups[w].id))
                .unwrap_or_default();
            outln!("  {} [{}]{within}", g.id, g.kind.name());
            if let Some(r) = &g.reliability {
                outln!("    failure: {}", r.failure.describe());
                outln!("    repair:  {}", r.repair.describe());
            }
        }
    }
    if !model.crews.is_empty() {
        outln!("\nrepair crews:");
        for c in &model.crews {
            let call_out = if c.call_out > 1 {
                format!(", called out when {} are down", c.call_out)
            } else {
                String::new()
            };
            outln!(
                "  {}: {} at a time, {} order{call_out}",
                c.id,
                c.size,
                c.policy.name()
            );
        }
    }
    if !model.changes.is_empty() {
        outln!(
            "\nchanges (bad deploys; not in the analytic figures: `resim availability` counts them):"
        );
        for ch in &model.changes {
            outln!("  {}", ch.describe(&model));
            outln!("    detect:   {}", ch.detect.describe());
            outln!("    rollback: {}", ch.rollback.describe());
        }
    }
    outln!("\ndependency graph (from the service's entry points):");
    for line in topo.render(&model).lines() {
        outln!("  {line}");
    }
    let edges: Vec<(usize, usize, bool)> = model
        .components
        .iter()
        .enumerate()
        .flat_map(|(c, comp)| {
            let hard = comp.depends_on.iter().map(move |&d| (c, d, false));
            hard.chain(comp.soft_depends_on.iter().map(move |&d| (c, d, true)))
        })
        .collect();
    if !edges.is_empty() {
        outln!(
            "\ncall edges (how long a caller waits per try: a timeout on the edge overrides the callee's own timeout):"
        );
        for (c, d, soft) in edges {
            let (caller, callee) = (&model.components[c], &model.components[d]);
            let timeout = callee.serving.timeout;
            let text = match caller.calls.iter().find(|(x, _)| *x == d) {
                Some((_, p)) => p.describe_timeouts(&callee.id, timeout),
                None => format!("each try waits {}'s own timeout ({timeout})", callee.id),
            };
            let soft = if soft { " (soft)" } else { "" };
            outln!("  {} -> {}{soft}: {text}", caller.id, callee.id);
        }
    }
    let warnings = model.warnings();
    if !warnings.is_empty() {
        outln!("\nwarnings (settings that can never act or are likely to hurt):");
        for w in &warnings {
            outln!("  {w}");
        }
    }
    let caches: Vec<_> = model
        .components
        .iter()
        .filter_map(|c| c.serving.keyspace.as_ref().map(|k| (c, k)))
        .collect();
    if !caches.is_empty() {
        outln!("\ncache key spaces (expected before any simulation):");
        for (c, spec) in caches {
            let line = resim::redis::che::describe(spec, c.instances);
            outln!("  {}: {line}", c.id);
        }
    }
    if let Some(a) = &model.alerting {
        outln!(
            "\nalerts (evaluated every {}):",
            resim::alerts::summary::clock(a.interval.as_secs_f64())
        );
        for r in &a.rules {
            let hold = resim::alerts::summary::clock(r.timing.hold.as_secs_f64());
            outln!("  {} [{}] for {hold}: {}", r.name, r.severity, r.text);
        }
    }
    if let Some(load) = resim::analytic::load::load(&model) {
        outln!("\n{}", load.render(&model).trim_end());
    }
    outln!("\n{}", resim::analytic::analyze(&model).render().trim_end());
    if !model.defaults_applied.is_empty() {
        outln!("\ndefaults applied:");
        for d in &model.defaults_applied {
            outln!("  {d}");
        }
    }
    Ok(())
}
