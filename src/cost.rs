//! What a design costs to run: the model's optional `[cost]` section.
//!
//! ```toml
//! [cost]                                  # per hour, in any one currency
//! currency = "USD"                        # a label for reports (optional)
//! instance = { app = 0.096, db = 0.48 }   # one instance of the component
//! node = 0.192                            # one [cluster] node
//! ```
//!
//! The cost of a design is the sum over components of its instances (for a
//! database, the primary and its replicas) times the instance price, plus
//! the `[cluster]` nodes times the node price. It counts the design as
//! configured; instances an autoscaler adds during a scenario are not priced.

use crate::model::Model;
use crate::model::error::{Diagnostics, suggest};
use crate::model::reader::TableReader;

const COST_KEYS: &[&str] = &["currency", "instance", "node"];

/// Hourly prices.
#[derive(Clone, Debug, PartialEq)]
pub struct Cost {
    /// A label for the unit, e.g. `USD` (may be empty).
    pub currency: String,
    /// Price of one instance per hour, by component index.
    pub instance: Vec<(usize, f64)>,
    /// Price of one `[cluster]` node per hour.
    pub node: f64,
}

impl Cost {
    /// The design's cost per hour.
    pub fn hourly(&self, model: &Model) -> f64 {
        let instances: f64 = (self.instance.iter())
            .map(|&(c, price)| price * f64::from(model.components[c].instances))
            .sum();
        let nodes = model.cluster.as_ref().map_or(0, |c| c.nodes.count);
        instances + self.node * f64::from(nodes)
    }
}

/// The design's cost per hour, when the model prices it.
pub fn hourly(model: &Model) -> Option<f64> {
    model.cost.as_ref().map(|c| c.hourly(model))
}

/// Reads `[cost]`; component ids must name components of `model`.
pub(crate) fn read_cost(
    mut tr: TableReader,
    model: &Model,
    diags: &mut Diagnostics,
) -> Option<Cost> {
    tr.path = "cost".into();
    let mut ok = true;
    let currency = tr
        .str("currency", diags)
        .map(|c| c.value)
        .unwrap_or_default();
    let mut instance = Vec::new();
    if let Some(mut t) = tr.table("instance", diags) {
        t.path = "cost.instance".into();
        for (id, _) in t.entries() {
            let Some(c) = model.component_index(&id.value) else {
                let hint = suggest(&id.value, model.components.iter().map(|c| c.id.as_str()));
                diags.error_hint(
                    id.span,
                    format!(
                        "[cost.instance] prices '{}', which is not a component",
                        id.value
                    ),
                    hint,
                );
                ok = false;
                continue;
            };
            instance.push((c, id.value));
        }
    }
    // Read the prices through a second reader so their spans and types are checked.
    let mut prices = Vec::new();
    if let Some(mut t) = tr.table("instance", diags) {
        t.path = "cost.instance".into();
        for (c, id) in &instance {
            match price(&mut t, id, diags) {
                Some(p) => prices.push((*c, p)),
                None => ok = false,
            }
        }
    }
    let node = if tr.has("node") {
        price(&mut tr, "node", diags).unwrap_or_else(|| {
            ok = false;
            0.0
        })
    } else {
        0.0
    };
    if tr.has("node") && model.cluster.is_none() {
        diags.error_hint(
            tr.span_of("node"),
            "[cost] prices a node, but the model has no [cluster]",
            Some("price the pods per instance instead, or add [cluster]".into()),
        );
        ok = false;
    }
    tr.finish(COST_KEYS, diags);
    ok.then_some(Cost {
        currency,
        instance: prices,
        node,
    })
}

fn price(tr: &mut TableReader, key: &str, diags: &mut Diagnostics) -> Option<f64> {
    let p = tr.f64(key, diags)?;
    if p.value.is_finite() && p.value >= 0.0 {
        Some(p.value)
    } else {
        diags.error(
            p.span,
            format!(
                "'{}.{key}' is a price per hour and must be 0 or more, found {}",
                tr.path, p.value
            ),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Model;

    const BASE: &str = r#"
[components.app]
kind = "pods"
instances = 3
depends_on = ["db"]
[components.db]
kind = "database"
replicas = 1
"#;

    #[test]
    fn a_design_costs_its_instances() {
        let text = format!("{BASE}\n[cost]\ninstance = {{ app = 0.1, db = 0.5 }}\n");
        let m = Model::parse(&text, "c.toml").expect("valid");
        // Three pods and a primary with one replica.
        assert!((super::hourly(&m).unwrap() - (0.3 + 2.0 * 0.5)).abs() < 1e-12);
    }

    #[test]
    fn bad_prices_are_located() {
        let text = format!("{BASE}\n[cost]\ninstance = {{ ap = 0.1, db = -1 }}\nnode = 0.2\n");
        let e = Model::parse(&text, "c.toml").expect_err("bad").to_string();
        assert!(
            e.contains("c.toml:11:14: [cost.instance] prices 'ap'"),
            "{e}"
        );
        assert!(e.contains("did you mean 'app'"), "{e}");
        assert!(e.contains("must be 0 or more"), "{e}");
        assert!(e.contains("no [cluster]"), "{e}");
    }
}
