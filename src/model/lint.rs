//! Settings that are valid but can never act or are likely to hurt: the
//! warnings `resim check` prints (lowercase, no trailing period).

use super::Model;

impl Model {
    /// Every warning about the model's settings, each naming where it applies.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for c in &self.components {
            for (d, p) in &c.calls {
                for w in p.warnings() {
                    warnings.push(format!("{} -> {}: {w}", c.id, self.components[*d].id));
                }
            }
            let s = &c.serving;
            for &b in c.depends_on.iter().chain(&c.soft_depends_on) {
                let backend = &self.components[b];
                let at = format!("{} -> {}", c.id, backend.id);
                if let Some(o) = &s.outlier {
                    // Envoy ejects only while 100 × (ejected + 1) / hosts stays
                    // within max_ejection_percent (domain.md §12).
                    let n = backend.instances.max(1);
                    if !o.always_eject_one_host && o.max_ejection_percent * n < 100 {
                        warnings.push(format!(
                            "{at}: outlier ejection can never eject one of {n} backends ({}% of {n} is less than one host); set always_eject_one_host = true or max_ejection_percent >= {}",
                            o.max_ejection_percent,
                            100_u32.div_ceil(n)
                        ));
                    }
                    if let Some(h) = &s.health_check {
                        let detect = h.interval.0.saturating_mul(u64::from(h.fall));
                        if detect >= o.base_ejection_time.0 {
                            warnings.push(format!(
                                "{at}: the health check needs {} ({} x {}) to mark a dead backend DOWN, no faster than the {} outlier ejection it backs, so an ejected dead backend returns to rotation before the check catches it",
                                crate::engine::SimTime(detect),
                                h.fall,
                                h.interval,
                                o.base_ejection_time
                            ));
                        }
                    }
                }
            }
        }
        warnings.extend(self.request_warnings());
        for sc in &self.scenarios {
            warnings.extend(Model::scenario_warnings(sc));
        }
        warnings
    }

    /// Warnings about one scenario's timeline: faults set to end after the
    /// scenario does (they hold to its end; the rest is never simulated).
    pub fn scenario_warnings(sc: &crate::scenario::Scenario) -> Vec<String> {
        let mut warnings = Vec::new();
        for ev in &sc.events {
            let crate::scenario::EventKind::Fault(specs) = &ev.what else {
                continue;
            };
            let Some(d) = specs.first().and_then(|f| f.duration) else {
                continue;
            };
            let end = ev.at.saturating_add(d);
            if end > sc.duration {
                warnings.push(format!(
                    "scenario '{}': '{}' at {} is set to end at {end}, after the scenario ends ({}); it holds to the end, and the time past it is not simulated",
                    sc.name, ev.label, ev.at, sc.duration
                ));
            }
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Model;

    fn lb(settings: &str) -> Vec<String> {
        let text = format!(
            "[components.lb]\nkind = \"load_balancer\"\ndepends_on = [\"app\"]\n{settings}\n\n[components.app]\nkind = \"pods\"\ninstances = 3\n"
        );
        Model::parse(&text, "t.toml").expect("valid").warnings()
    }

    #[test]
    fn a_fault_ending_after_its_scenario_is_flagged() {
        let text = "[components.app]\n[traffic]\nrate = 10\n[[scenarios]]\nname = \"s\"\n\
                    duration = \"5m\"\n[[scenarios.events]]\nat = \"1m\"\nfault = \"crash\"\n\
                    target = \"app\"\nduration = \"2h\"\n";
        let w = Model::parse(text, "t.toml").expect("valid").warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("end at 2.017h, after the scenario ends (5m)"),
            "{w:?}"
        );
        let fits = text.replace("\"2h\"", "\"4m\"");
        assert!(
            Model::parse(&fits, "t.toml")
                .expect("valid")
                .warnings()
                .is_empty()
        );
    }

    #[test]
    fn outlier_ejection_that_can_never_eject_is_flagged() {
        let w = lb("outlier = {}");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("can never eject one of 3"), "{w:?}");
        assert!(w[0].contains(">= 34"), "{w:?}");
        assert!(lb("outlier = { max_ejection_percent = 34 }").is_empty());
        assert!(lb("outlier = { always_eject_one_host = true }").is_empty());
    }

    #[test]
    fn a_health_check_slower_than_the_ejection_it_backs_is_flagged() {
        let o = "outlier = { max_ejection_percent = 50 }";
        let slow = lb(&format!(
            "{o}\nhealth_check = {{ interval = \"10s\", fall = 3 }}"
        ));
        assert!(slow.iter().any(|w| w.contains("30s (3 x 10s)")), "{slow:?}");
        let fast = lb(&format!(
            "{o}\nhealth_check = {{ interval = \"2s\", fall = 3 }}"
        ));
        assert!(fast.is_empty(), "{fast:?}");
    }
}
