//! `resim check MODEL`.

use std::path::Path;

use resim::report::diagram::Diagram;
use resim::topology::Topology;

use super::{Failure, load_model};

pub fn run(path: &Path, format: &str) -> Result<(), Failure> {
    let model = load_model(path)?;
    match format {
        "dot" => {
            print!("{}", Diagram::of(&model).dot(&model.name));
            return Ok(());
        }
        "mermaid" => {
            print!("{}", Diagram::of(&model).mermaid());
            return Ok(());
        }
        _ => {}
    }
    let topo = Topology::new(&model);
    println!("model {} ({})", model.name, path.display());
    if !model.description.is_empty() {
        println!("  {}", model.description);
    }
    println!("\ncomponents:");
    for c in &model.components {
        let count = if c.failover.is_some() {
            format!("primary + {} replicas", c.instances - 1)
        } else {
            format!("{} of {} must be up", c.min_up, c.instances)
        };
        println!("  {} [{}] {}", c.id, c.kind.name(), count);
        match &c.reliability {
            Some(r) => {
                println!("    failure: {}", r.failure.describe());
                println!("    repair:  {}", r.repair.describe());
            }
            None => println!("    never fails on its own"),
        }
        if let Some(f) = &c.failover {
            println!("    failover: {}", f.time.describe());
        }
        if !c.placement.is_empty() {
            let groups: Vec<&str> = c
                .placement
                .iter()
                .map(|&g| model.groups[g].id.as_str())
                .collect();
            println!("    placed on: {}", groups.join(", "));
        }
        if let Some(crew) = c.crew {
            println!("    repaired by crew '{}'", model.crews[crew].id);
        }
    }
    if !model.groups.is_empty() {
        println!("\ncommon-cause groups:");
        for g in &model.groups {
            let within = g
                .within
                .map(|w| format!(" within {}", model.groups[w].id))
                .unwrap_or_default();
            println!("  {} [{}]{within}", g.id, g.kind.name());
            if let Some(r) = &g.reliability {
                println!("    failure: {}", r.failure.describe());
                println!("    repair:  {}", r.repair.describe());
            }
        }
    }
    if !model.crews.is_empty() {
        println!("\nrepair crews:");
        for c in &model.crews {
            println!("  {}: {} at a time", c.id, c.size);
        }
    }
    println!("\ndependency graph (from the service's entry points):");
    for line in topo.render(&model).lines() {
        println!("  {line}");
    }
    let warnings = model.warnings();
    if !warnings.is_empty() {
        println!("\nwarnings (settings that can never act or are likely to hurt):");
        for w in &warnings {
            println!("  {w}");
        }
    }
    println!("\n{}", resim::analytic::analyze(&model).render().trim_end());
    if !model.defaults_applied.is_empty() {
        println!("\ndefaults applied:");
        for d in &model.defaults_applied {
            println!("  {d}");
        }
    }
    Ok(())
}
