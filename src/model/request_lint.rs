//! Warnings where state and request availability part (issue 10): designs
//! the state trial counts as up while requests fail. Each names the
//! mechanism: a balancer that keeps sending a dead instance its share, or a
//! soft dependency whose loss overloads a hard one.

use super::{ComponentKind, Model};

impl Model {
    /// Every warning where request availability will fall below the state
    /// availability `resim availability` prints.
    pub fn request_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for c in &self.components {
            if c.kind == ComponentKind::LoadBalancer {
                warnings.extend(self.blind_balancer(c));
            }
            warnings.extend(self.overloading_soft_deps(c));
        }
        warnings
    }

    /// A balancer with no health check or outlier ejection in front of
    /// failing instances without a readiness probe.
    fn blind_balancer(&self, lb: &super::Component) -> Vec<String> {
        if lb.serving.health_check.is_some() || lb.serving.outlier.is_some() {
            return Vec::new();
        }
        lb.depends_on
            .iter()
            .map(|&b| &self.components[b])
            .filter(|b| b.instances > 1)
            .filter(|b| b.reliability.is_some() || !b.placement.is_empty())
            .filter(|b| {
                b.workload
                    .as_ref()
                    .is_none_or(|w| w.pod.readiness_probe.is_none())
            })
            .map(|b| {
                format!(
                    "{} -> {}: no health_check, no outlier ejection and no readiness probe, so a dead instance keeps receiving its share (1/{} of requests) until it is back; the state trial counts {} up while {} of {} are, so request availability will fall below state availability (add health_check = {{ interval = \"2s\", fall = 3 }} on {})",
                    lb.id, b.id, b.instances, b.id, b.min_up, b.instances, lb.id
                )
            })
            .collect()
    }

    /// A soft dependency on a cache whose misses go to a hard dependency
    /// that cannot carry the reads once the cache is gone.
    fn overloading_soft_deps(&self, c: &super::Component) -> Vec<String> {
        let Some(traffic) = &self.traffic else {
            return Vec::new();
        };
        let rate = traffic
            .profile
            .as_ref()
            .map_or(traffic.rate, |p| p.max_rate());
        let mut out = Vec::new();
        for &s in &c.soft_depends_on {
            let cache = &self.components[s];
            if cache.kind != ComponentKind::Cache || cache.serving.keyspace.is_some() {
                continue;
            }
            for &d in &c.depends_on {
                let db = &self.components[d];
                let service = db.serving.service.mean_secs();
                if service <= 0.0 {
                    continue;
                }
                let capacity = f64::from(db.instances * db.serving.workers) / service;
                let reads = rate * traffic.read_ratio;
                let writes = rate - reads;
                let with = writes + reads * (1.0 - cache.serving.hit_ratio);
                let without = writes + reads;
                if without > capacity && with <= capacity {
                    out.push(format!(
                        "{} -> {}: a soft dependency whose loss overloads a hard one: without it {} gets {:.0} req/s against a capacity of {:.0} req/s ({:.0} with it), so while {} is down requests fail although the state trial counts the service up",
                        c.id, cache.id, db.id, without, capacity, with, cache.id
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Model;

    const LB: &str = r#"
[components.lb]
kind = "load_balancer"
depends_on = ["app"]
HC
[components.app]
kind = "pods"
instances = 3
depends_on = ["db"]
soft_depends_on = ["redis"]
failure = { dist = "exponential", mean = "15d" }
repair = { dist = "constant", value = "1m" }
[components.redis]
kind = "cache"
hit_ratio = 0.9
[components.db]
kind = "database"
workers = 4
service = { dist = "constant", value = "10ms" }
[traffic]
rate = "RATE/s"
read_ratio = 0.9
"#;

    fn warnings(hc: &str, rate: u32) -> Vec<String> {
        let text = LB.replace("HC", hc).replace("RATE", &rate.to_string());
        Model::parse(&text, "t.toml")
            .expect("valid")
            .request_warnings()
    }

    #[test]
    fn a_blind_balancer_and_an_overloading_soft_dependency_are_named() {
        // db: 1 instance x 4 workers / 10 ms = 400 req/s; 1000 req/s is 190
        // with the cache and 1000 without.
        let w = warnings("", 1000);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].starts_with("lb -> app: no health_check"), "{w:?}");
        assert!(
            w[1].starts_with("app -> redis: a soft dependency whose loss overloads"),
            "{w:?}"
        );
        assert!(
            w[1].contains("db gets 1000 req/s against a capacity of 400"),
            "{w:?}"
        );
        let w = warnings("health_check = { interval = \"2s\" }", 300);
        assert!(w.is_empty(), "{w:?}");
    }
}
