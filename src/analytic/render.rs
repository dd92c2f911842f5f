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
        let _ = writeln!(
            out,
            "  {:w$}  {:<20} {}",
            "service",
            format!("all {required} required"),
            fmt_figure(&self.service)
        );
        if self.product_is_exact {
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
            }
            Err(e) => {
                let _ = writeln!(out, "no exact figure: {e}; use `resim availability`");
            }
        }
        out
    }
}

fn fmt_figure(f: &Figure) -> String {
    format!(
        "{:>14.8} {:>6.2} {:>14.2}",
        f.availability, f.nines, f.downtime_minutes_per_year
    )
}
