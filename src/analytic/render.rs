//! The analysis as text, for `resim check`.

use std::fmt::Write as _;

use super::{Analysis, Figure, Method};

impl Analysis {
    /// The analysis as text for `resim check`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "closed-form availability (long run; a = MTTF/(MTTF+MTTR), any distributions)"
        );
        let w = self
            .components
            .iter()
            .map(|c| c.id.len())
            .max()
            .unwrap_or(0)
            .max(9);
        let _ = writeln!(
            out,
            "  {:w$}  {:<20} {:>14} {:>6} {:>14}",
            "component", "needs", "availability", "nines", "down [min/y]"
        );
        for c in &self.components {
            let note = match (c.method, c.required) {
                (_, false) => "  (not required by the service)",
                (Method::DatabaseApprox, true) => "  (approximate)",
                (Method::NeverFails, true) => "  (never fails)",
                (Method::KOfN, true) => "",
            };
            let _ = writeln!(
                out,
                "  {:w$}  {:<20} {}{note}",
                c.id,
                c.rule,
                fmt_figure(&c.figure)
            );
        }
        let required = self.components.iter().filter(|c| c.required).count();
        let rule = match &self.structure {
            Some(_) => "by its structure".to_string(),
            None => format!("all {required} required"),
        };
        let _ = writeln!(
            out,
            "  {:w$}  {:<20} {}",
            "service",
            rule,
            fmt_figure(&self.service)
        );
        if let Some(s) = &self.structure {
            let _ = writeln!(out, "  the service is up while {s}");
            let _ = writeln!(
                out,
                "  its figure: each component a block with its own availability above, \
                 independent of the others, combined by the structure (conditioning on \
                 shared blocks)"
            );
            render_cut_sets(&self.cut_sets, &mut out);
        }
        if self.structure.is_some() && self.product_is_exact {
            let _ = writeln!(
                out,
                "  that is exact for this model (no shared groups or short crews)"
            );
        } else if self.structure.is_some() {
            let _ = writeln!(
                out,
                "  that assumes independence, which does not hold exactly here:"
            );
            for c in &self.caveats {
                let _ = writeln!(out, "  - {c}");
            }
        } else if self.product_is_exact {
            let _ = writeln!(
                out,
                "  the service figure is the product over required components; it assumes they \
                 fail independently, which holds for this model (no shared groups or short crews)"
            );
        } else {
            let _ = writeln!(
                out,
                "  the service figure is the product over required components, the independent \
                 approximation; it does not hold exactly here:"
            );
            for c in &self.caveats {
                let _ = writeln!(out, "  - {c}");
            }
        }
        match &self.exact {
            Ok(m) => {
                let _ = writeln!(
                    out,
                    "exact (Markov chain, {} states): {}",
                    m.states,
                    fmt_figure(&Figure::of(m.availability)).trim_start()
                );
                let mean = m
                    .mean_time_to_first_outage_hours
                    .map_or("never".to_string(), |h| format!("{h:.6e} h"));
                let year = m.p_no_outage_in_a_year.map_or(
                    "not computed (too many steps)".to_string(),
                    |p| {
                        // The complement too, legible where outages are rare
                        // (what `availability --method is` estimates).
                        format!("{p:.6} (P(outage) {:.4e})", 1.0 - p)
                    },
                );
                let _ = writeln!(
                    out,
                    "  time to first outage from all up: mean {mean}; P(no outage within a year) {year}"
                );
            }
            Err(e) => {
                let _ = writeln!(out, "no exact figure: {e}; use `resim availability`");
            }
        }
        out
    }
}

/// The minimal cut sets by order: single points of failure named, pairs
/// listed up to a dozen, larger sets counted.
fn render_cut_sets(cuts: &[Vec<String>], out: &mut String) {
    if cuts.is_empty() {
        let _ = writeln!(
            out,
            "  minimal cut sets: none of up to 3 components (no 1, 2 or 3 failing blocks take it down)"
        );
        return;
    }
    let _ = writeln!(
        out,
        "  minimal cut sets (components whose own failures together take the service down):"
    );
    for order in 1..=3 {
        let sets: Vec<String> = cuts
            .iter()
            .filter(|c| c.len() == order)
            .map(|c| c.join(" + "))
            .collect();
        if sets.is_empty() {
            continue;
        }
        let label = match order {
            1 => "single points of failure",
            2 => "pairs",
            _ => "triples",
        };
        let _ = writeln!(
            out,
            "    {label} ({}): {}",
            sets.len(),
            super::abbreviate(&sets, 12)
        );
    }
}

fn fmt_figure(f: &Figure) -> String {
    format!(
        "{:>14.8} {:>6.2} {:>14.2}",
        f.availability, f.nines, f.downtime_minutes_per_year
    )
}
