//! The system as a diagram: components layered by dependency (the entry
//! points on top), each with its kind, k of n and where its instances run;
//! hard dependencies as solid arrows, soft ones dashed.
//!
//! [`Diagram`] is plain data built once from the model and kept in
//! `summary.json`, so the report can draw it from the folder alone. It
//! renders three ways: inline SVG for the HTML report ([`Diagram::svg`]),
//! Graphviz DOT and Mermaid for people who draw their own
//! (`resim check --format dot|mermaid`).

use std::fmt::Write as _;

use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use crate::model::Model;

/// One component of the diagram.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Node {
    /// Component id.
    pub id: String,
    /// Component kind (`pods`, `database`, ...).
    pub kind: String,
    /// `2 of 3`, or `primary + 2 replicas`.
    pub count: String,
    /// Where its instances run: the groups of its placement, with the zone
    /// each is in (`node-1 (zone-a)`); empty when not placed.
    pub placement: Vec<String>,
    /// The placement in a few words: `on node-1, node-2`, or for many
    /// groups `on 6 nodes in zone-a, zone-b, zone-c`.
    #[serde(default)]
    pub placed: String,
    /// Its layer: 0 for entry points, else one more than its deepest caller.
    pub layer: usize,
}

/// One dependency edge, caller to callee.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Edge {
    /// Index of the caller in [`Diagram::nodes`].
    pub from: usize,
    /// Index of the callee.
    pub to: usize,
    /// A soft dependency: the caller survives without it.
    pub soft: bool,
}

/// The dependency graph, ready to draw.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Diagram {
    /// Components in file order.
    pub nodes: Vec<Node>,
    /// Hard and soft dependencies.
    pub edges: Vec<Edge>,
}

impl Diagram {
    /// The diagram of a validated (acyclic) model.
    pub fn of(model: &Model) -> Diagram {
        let mut edges = Vec::new();
        for (i, c) in model.components.iter().enumerate() {
            for &d in &c.depends_on {
                edges.push(Edge {
                    from: i,
                    to: d,
                    soft: false,
                });
            }
            for &d in &c.soft_depends_on {
                edges.push(Edge {
                    from: i,
                    to: d,
                    soft: true,
                });
            }
        }
        let n = model.components.len();
        // Longest path from an entry; a valid model is acyclic, and n
        // relaxation rounds settle every layer (more would mean a cycle).
        let mut layer = vec![0usize; n];
        for _ in 0..n {
            let mut changed = false;
            for e in &edges {
                if layer[e.to] < layer[e.from] + 1 && layer[e.from] + 1 < n.max(1) {
                    layer[e.to] = layer[e.from] + 1;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let nodes = model
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let replicas = c.instances.saturating_sub(1);
                let count = if c.failover.is_some() && replicas == 0 {
                    "primary, no replica".to_string()
                } else if c.failover.is_some() {
                    let s = if replicas == 1 { "" } else { "s" };
                    format!("primary + {replicas} replica{s}")
                } else if c.instances == 1 {
                    "1 instance".to_string()
                } else {
                    format!("{} of {}", c.min_up, c.instances)
                };
                let mut placement: Vec<String> = Vec::new();
                let mut zones: Vec<&str> = Vec::new();
                let mut kinds: Vec<&str> = Vec::new();
                for &g in &c.placement {
                    let group = &model.groups[g];
                    if let Some(w) = group.within
                        && !zones.contains(&model.groups[w].id.as_str())
                    {
                        zones.push(&model.groups[w].id);
                    }
                    if !kinds.contains(&group.kind.name()) {
                        kinds.push(group.kind.name());
                    }
                    let group = &model.groups[g];
                    let name = match group.within {
                        Some(w) => format!("{} ({})", group.id, model.groups[w].id),
                        None => group.id.clone(),
                    };
                    if !placement.contains(&name) {
                        placement.push(name);
                    }
                }
                let placed = match (placement.len(), kinds.as_slice()) {
                    (0, _) => String::new(),
                    (1..=2, _) => format!("on {}", placement.join(", ")),
                    (n, [kind]) if zones.is_empty() => format!("on {n} {kind}s"),
                    (n, [kind]) => format!("on {n} {kind}s in {}", zones.join(", ")),
                    (n, _) => format!("on {n} groups"),
                };
                Node {
                    id: c.id.clone(),
                    kind: c.kind.name().to_string(),
                    count,
                    placement,
                    placed,
                    layer: layer[i],
                }
            })
            .collect();
        Diagram { nodes, edges }
    }

    /// Graphviz DOT: `dot -Tsvg` draws it.
    pub fn dot(&self, name: &str) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut s = format!(
            "digraph {} {{\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n",
            q(name)
        );
        for n in &self.nodes {
            let _ = writeln!(
                s,
                "  {} [label={}];",
                q(&n.id),
                q(&self.label_lines(n).join("\\n"))
            );
        }
        for e in &self.edges {
            let _ = writeln!(
                s,
                "  {} -> {}{};",
                q(&self.nodes[e.from].id),
                q(&self.nodes[e.to].id),
                if e.soft {
                    " [style=dashed, label=\"soft\"]"
                } else {
                    ""
                }
            );
        }
        s.push_str("}\n");
        s
    }

    /// A Mermaid flowchart (GitHub renders it in Markdown).
    pub fn mermaid(&self) -> String {
        // Mermaid ids must be plain; labels go in quotes with `#quot;`.
        let label = |n: &Node| {
            self.label_lines(n)
                .join("<br/>")
                .replace('"', "#quot;")
                .replace('<', "#lt;")
                .replace('>', "#gt;")
                .replace("#lt;br/#gt;", "<br/>")
        };
        let mut s = String::from("flowchart TD\n");
        for (i, n) in self.nodes.iter().enumerate() {
            let _ = writeln!(s, "  c{i}[\"{}\"]", label(n));
        }
        for e in &self.edges {
            let arrow = if e.soft { "-.->|soft|" } else { "-->" };
            let _ = writeln!(s, "  c{} {arrow} c{}", e.from, e.to);
        }
        s
    }

    fn label_lines(&self, n: &Node) -> Vec<String> {
        let mut lines = vec![n.id.clone(), format!("{}, {}", n.kind, n.count)];
        if !n.placed.is_empty() {
            lines.push(n.placed.clone());
        }
        lines
    }

    /// The diagram as inline SVG (no script, nothing external).
    pub fn svg(&self) -> Markup {
        let layers = self.nodes.iter().map(|n| n.layer + 1).max().unwrap_or(0);
        let width = 960.0;
        let (box_h, gap_y) = (70.0, 56.0);
        let height = (layers as f64 * (box_h + gap_y) - gap_y + 10.0).max(10.0);
        // Each node's box: (x, y, w).
        let mut boxes = vec![(0.0, 0.0, 0.0); self.nodes.len()];
        for l in 0..layers {
            let row: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| self.nodes[i].layer == l)
                .collect();
            let slot = width / row.len().max(1) as f64;
            let w = (slot - 16.0).min(230.0);
            for (k, &i) in row.iter().enumerate() {
                let x = slot * k as f64 + (slot - w) / 2.0;
                boxes[i] = (x, 5.0 + l as f64 * (box_h + gap_y), w);
            }
        }
        // Lines fit the box: about 7 px per character at 12 px.
        let fit = |s: &str, w: f64| {
            let max = ((w - 12.0) / 7.0).max(4.0) as usize;
            if s.chars().count() > max {
                let cut: String = s.chars().take(max - 1).collect();
                format!("{cut}…")
            } else {
                s.to_string()
            }
        };
        html! {
            svg class="topology" viewBox={ "0 0 " (width) " " (height) } role="img"
                aria-label="dependency graph" {
                defs {
                    marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5"
                        markerWidth="7" markerHeight="7" orient="auto-start-reverse" {
                        path d="M 0 0 L 10 5 L 0 10 z" fill="#555" {}
                    }
                }
                @for e in &self.edges {
                    @let (a, b) = (boxes[e.from], boxes[e.to]);
                    line x1=(a.0 + a.2 / 2.0) y1=(a.1 + box_h) x2=(b.0 + b.2 / 2.0) y2=(b.1)
                        stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"
                        stroke-dasharray=[e.soft.then_some("6 4")] {}
                }
                @for (n, b) in self.nodes.iter().zip(&boxes) {
                    g {
                        rect x=(b.0) y=(b.1) width=(b.2) height=(box_h) rx="8"
                            fill="#f4f7fb" stroke="#4e79a7" stroke-width="1.5" {}
                        @for (k, line) in self.label_lines(n).iter().enumerate() {
                            text x=(b.0 + b.2 / 2.0) y=(b.1 + 20.0 + 18.0 * k as f64)
                                text-anchor="middle" font-size=(if k == 0 { "14" } else { "12" })
                                font-weight=[(k == 0).then_some("bold")] fill="#222" {
                                (fit(line, b.2))
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        Model::parse(
            r#"
[groups.zone-a]
kind = "zone"
[groups.node-1]
kind = "node"
within = "zone-a"
[components.lb]
kind = "load_balancer"
depends_on = ["app"]
[components.app]
kind = "pods"
instances = 3
min_up = 2
depends_on = ["db"]
soft_depends_on = ["cache"]
placement = ["node-1"]
[components.db]
kind = "database"
replicas = 2
[components.cache]
kind = "cache"
"#,
            "t.toml",
        )
        .expect("valid")
    }

    #[test]
    fn layers_follow_dependencies() {
        let d = Diagram::of(&model());
        let layer = |id: &str| d.nodes.iter().find(|n| n.id == id).unwrap().layer;
        assert_eq!(
            (layer("lb"), layer("app"), layer("db"), layer("cache")),
            (0, 1, 2, 2)
        );
        let app = &d.nodes[1];
        assert_eq!(app.count, "2 of 3");
        assert_eq!(app.placement, vec!["node-1 (zone-a)"]);
        assert_eq!(d.nodes[2].count, "primary + 2 replicas");
        assert!(d.edges.iter().any(|e| e.soft && e.to == 3));
    }

    #[test]
    fn dot_and_mermaid_mark_soft_edges() {
        let d = Diagram::of(&model());
        let dot = d.dot("shop");
        assert!(dot.contains("\"app\" -> \"cache\" [style=dashed"), "{dot}");
        assert!(dot.contains("\"lb\" -> \"app\";"), "{dot}");
        let m = d.mermaid();
        assert!(m.starts_with("flowchart TD\n"));
        assert!(m.contains("c1 -.->|soft| c3"), "{m}");
        assert!(m.contains("c0 --> c1"), "{m}");
        let svg = d.svg().into_string();
        assert_eq!(svg.matches("<rect").count(), 4);
        assert_eq!(svg.matches("stroke-dasharray").count(), 1);
    }
}
