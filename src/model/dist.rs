//! Duration distributions: times to failure and repair, service times,
//! latencies. Read from inline tables such as
//! `{ dist = "lognormal", median = "30m", p95 = "4h" }`.

use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Weibull};

use super::error::{Diagnostics, suggest};
use super::reader::TableReader;
use crate::engine::SimTime;

/// Standard normal quantile at 0.95.
const Z95: f64 = 1.644_853_626_951_472_2;
/// Standard normal quantile at 0.99.
const Z99: f64 = 2.326_347_874_040_840_8;

/// The distribution names a model file may use.
pub const DIST_NAMES: &[&str] = &[
    "constant",
    "exponential",
    "weibull",
    "lognormal",
    "gamma",
    "uniform",
    "empirical",
];

/// A validated distribution of durations; samples are in seconds internally.
#[derive(Clone, Debug)]
pub enum Dist {
    /// Always the same value \[s\].
    Constant(f64),
    /// Exponential with the given mean \[s\].
    Exponential {
        /// Mean \[s\].
        mean: f64,
        /// The sampler (rate 1/mean).
        sampler: Exp<f64>,
    },
    /// Weibull with shape k and scale λ \[s\].
    Weibull {
        /// Shape k (1 is exponential; above 1, wear-out).
        shape: f64,
        /// Scale λ \[s\].
        scale: f64,
        /// The sampler.
        sampler: Weibull<f64>,
    },
    /// Lognormal: ln(X) ~ N(mu, sigma²), X in seconds.
    LogNormal {
        /// Mean of ln(X), X in seconds.
        mu: f64,
        /// Standard deviation of ln(X).
        sigma: f64,
        /// The sampler.
        sampler: LogNormal<f64>,
    },
    /// Gamma with shape k and scale θ \[s\].
    Gamma {
        /// Shape k.
        shape: f64,
        /// Scale θ \[s\].
        scale: f64,
        /// The sampler.
        sampler: Gamma<f64>,
    },
    /// Uniform on \[min, max\] \[s\].
    Uniform {
        /// Lower bound \[s\].
        min: f64,
        /// Upper bound \[s\].
        max: f64,
    },
    /// Resamples the listed observations uniformly \[s\].
    Empirical(Vec<f64>),
}

impl Dist {
    /// An exponential distribution with the given mean.
    pub fn exponential(mean: SimTime) -> Dist {
        let m = mean.as_secs_f64().max(1e-12);
        Dist::Exponential {
            mean: m,
            sampler: Exp::new(1.0 / m).expect("positive rate"),
        }
    }

    /// A constant.
    pub fn constant(value: SimTime) -> Dist {
        Dist::Constant(value.as_secs_f64())
    }

    /// Draws one duration.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        SimTime::from_secs_f64(self.sample_secs(rng))
    }

    /// Draws one duration in seconds.
    pub fn sample_secs<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        use rand::RngExt;
        match self {
            Dist::Constant(v) => *v,
            Dist::Exponential { sampler, .. } => sampler.sample(rng),
            Dist::Weibull { sampler, .. } => sampler.sample(rng),
            Dist::LogNormal { sampler, .. } => sampler.sample(rng),
            Dist::Gamma { sampler, .. } => sampler.sample(rng),
            Dist::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            Dist::Empirical(xs) => xs[rng.random_range(0..xs.len())],
        }
    }

    /// The mean \[s\].
    pub fn mean_secs(&self) -> f64 {
        match self {
            Dist::Constant(v) => *v,
            Dist::Exponential { mean, .. } => *mean,
            Dist::Weibull { shape, scale, .. } => scale * gamma_fn(1.0 + 1.0 / shape),
            Dist::LogNormal { mu, sigma, .. } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Gamma { shape, scale, .. } => shape * scale,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Empirical(xs) => xs.iter().sum::<f64>() / xs.len() as f64,
        }
    }

    /// The mean as a [`SimTime`].
    pub fn mean(&self) -> SimTime {
        SimTime::from_secs_f64(self.mean_secs())
    }

    /// True for the exponential distribution (memoryless: Markov analysis applies).
    pub fn is_exponential(&self) -> bool {
        matches!(self, Dist::Exponential { .. })
    }

    /// A short description for `resim check`, e.g. `lognormal(median 30m, sigma 1.2)`.
    pub fn describe(&self) -> String {
        let t = |s: f64| SimTime::from_secs_f64(s).to_string();
        match self {
            Dist::Constant(v) => format!("constant {}", t(*v)),
            Dist::Exponential { mean, .. } => format!("exponential(mean {})", t(*mean)),
            Dist::Weibull { shape, scale, .. } => {
                format!(
                    "weibull(shape {shape:.3}, scale {}, mean {})",
                    t(*scale),
                    t(self.mean_secs())
                )
            }
            Dist::LogNormal { mu, sigma, .. } => format!(
                "lognormal(median {}, p95 {}, mean {})",
                t(mu.exp()),
                t((mu + Z95 * sigma).exp()),
                t(self.mean_secs())
            ),
            Dist::Gamma { shape, scale, .. } => {
                format!(
                    "gamma(shape {shape:.3}, scale {}, mean {})",
                    t(*scale),
                    t(self.mean_secs())
                )
            }
            Dist::Uniform { min, max } => format!("uniform({}..{})", t(*min), t(*max)),
            Dist::Empirical(xs) => format!(
                "empirical({} samples, mean {})",
                xs.len(),
                t(self.mean_secs())
            ),
        }
    }

    /// Reads a distribution from an inline table, reporting every problem.
    pub fn read(mut tr: TableReader, diags: &mut Diagnostics) -> Option<Dist> {
        let errors_before = diags_len(diags);
        let Some(name) = tr.str("dist", diags) else {
            if !tr.has("dist") {
                tr.missing("dist", diags, "\"exponential\"");
            }
            return None;
        };
        let path = tr.path.clone();
        let positive = |tr: &mut TableReader, key: &str, diags: &mut Diagnostics| -> Option<f64> {
            let d = tr.duration(key, diags)?;
            if d.value == SimTime::ZERO {
                diags.error(d.span, format!("'{path}.{key}' must be greater than zero"));
                return None;
            }
            Some(d.value.as_secs_f64())
        };
        let shape_of = |tr: &mut TableReader, diags: &mut Diagnostics| -> Option<f64> {
            let s = tr.f64("shape", diags)?;
            if !(s.value > 0.0 && s.value.is_finite()) {
                diags.error(
                    s.span,
                    format!(
                        "'{}.shape' must be a positive number, found {}",
                        tr.path, s.value
                    ),
                );
                return None;
            }
            Some(s.value)
        };
        let known: &[&str];
        let dist = match name.value.as_str() {
            "constant" => {
                known = &["dist", "value"];
                let v = tr.duration("value", diags);
                if v.is_none() && !tr.has("value") {
                    tr.missing("value", diags, "\"5m\"");
                }
                v.map(|v| Dist::Constant(v.value.as_secs_f64()))
            }
            "exponential" => {
                known = &["dist", "mean"];
                if !tr.has("mean") {
                    tr.missing("mean", diags, "\"90d\"");
                }
                positive(&mut tr, "mean", diags).map(|m| Dist::Exponential {
                    mean: m,
                    sampler: Exp::new(1.0 / m).expect("positive rate"),
                })
            }
            "weibull" | "gamma" => {
                known = &["dist", "shape", "scale", "mean"];
                let shape = shape_of(&mut tr, diags);
                if !tr.has("shape") {
                    tr.missing("shape", diags, "1.5");
                }
                let scale = match (tr.has("scale"), tr.has("mean")) {
                    (true, false) => positive(&mut tr, "scale", diags),
                    (false, true) => positive(&mut tr, "mean", diags).zip(shape).map(|(m, k)| {
                        if name.value == "weibull" {
                            m / gamma_fn(1.0 + 1.0 / k)
                        } else {
                            m / k
                        }
                    }),
                    (true, true) => {
                        tr.exclusive(&["scale", "mean"], diags);
                        None
                    }
                    (false, false) => {
                        tr.missing("scale", diags, "\"100d\" (or mean = \"90d\")");
                        None
                    }
                };
                let shape_span = tr.span_of("shape");
                let scale_span = tr.span_of(if tr.has("mean") { "mean" } else { "scale" });
                let checked = shape.zip(scale).and_then(|(shape, scale)| {
                    let dist = if name.value == "weibull" {
                        "weibull"
                    } else {
                        "gamma"
                    };
                    check_shape_scale(dist, &path, shape, scale, (shape_span, scale_span), diags)
                        .then_some((shape, scale))
                });
                checked.map(|(shape, scale)| {
                    if name.value == "weibull" {
                        Dist::Weibull {
                            shape,
                            scale,
                            sampler: Weibull::new(scale, shape).expect("validated"),
                        }
                    } else {
                        Dist::Gamma {
                            shape,
                            scale,
                            sampler: Gamma::new(shape, scale).expect("validated"),
                        }
                    }
                })
            }
            "lognormal" => {
                known = &["dist", "median", "p95", "p99", "sigma", "mean", "cv"];
                read_lognormal(&mut tr, diags)
            }
            "uniform" => {
                known = &["dist", "min", "max"];
                let lo = tr.duration("min", diags);
                let hi = tr.duration("max", diags);
                for (k, v) in [("min", &lo), ("max", &hi)] {
                    if v.is_none() && !tr.has(k) {
                        tr.missing(k, diags, "\"1m\"");
                    }
                }
                match (lo, hi) {
                    (Some(lo), Some(hi)) if hi.value < lo.value => {
                        diags.error(
                            hi.span,
                            format!("'{path}.max' ({}) is below min ({})", hi.value, lo.value),
                        );
                        None
                    }
                    (Some(lo), Some(hi)) => Some(Dist::Uniform {
                        min: lo.value.as_secs_f64(),
                        max: hi.value.as_secs_f64(),
                    }),
                    _ => None,
                }
            }
            "empirical" => {
                known = &["dist", "samples"];
                let items = tr.str_list("samples", diags);
                let mut xs = Vec::with_capacity(items.len());
                for it in &items {
                    match super::units::parse_duration(&it.value) {
                        Ok(t) => xs.push(t.as_secs_f64()),
                        Err(e) => diags.error(it.span.clone(), format!("'{path}.samples': {e}")),
                    }
                }
                if items.is_empty() {
                    diags.error(
                        tr.span_of("samples"),
                        format!("'{path}.samples' must list at least one duration"),
                    );
                }
                (!xs.is_empty() && xs.len() == items.len()).then_some(Dist::Empirical(xs))
            }
            other => {
                known = &["dist"];
                diags.error_hint(
                    name.span.clone(),
                    format!("unknown distribution '{other}'"),
                    suggest(other, DIST_NAMES.iter().copied())
                        .or_else(|| Some(format!("use one of: {}", DIST_NAMES.join(", ")))),
                );
                // The other keys cannot be checked without knowing the distribution.
                let _ = tr.entries();
                None
            }
        };
        tr.finish(known, diags);
        if diags_len(diags) > errors_before {
            None
        } else {
            dist
        }
    }
}

fn diags_len(d: &Diagnostics) -> usize {
    d.len()
}

/// The smallest Weibull shape resim accepts. Below it the distribution puts
/// nearly all its mass near zero and its mean in draws too rare for any run
/// to sample (at 0.1 the median is 1e-8 of the mean; at 0.03, 1e-37), so
/// neither the simulation nor the closed form would mean anything.
pub const MIN_WEIBULL_SHAPE: f64 = 0.1;

/// Checks a Weibull or gamma shape and scale \[s\]: the shape within the
/// range resim can sample, the scale and the mean positive, at least the
/// clock's nanosecond and finite in [`SimTime`]. `spans` are (shape, scale or mean).
fn check_shape_scale(
    dist: &str,
    path: &str,
    shape: f64,
    scale: f64,
    spans: (std::ops::Range<usize>, std::ops::Range<usize>),
    diags: &mut Diagnostics,
) -> bool {
    if dist == "weibull" && shape < MIN_WEIBULL_SHAPE {
        diags.error_hint(
            spans.0,
            format!(
                "'{path}.shape' is {shape}; below {MIN_WEIBULL_SHAPE} a weibull puts nearly all \
                 its mass at zero and its mean in draws too rare to sample, so no run could \
                 estimate it"
            ),
            Some(format!(
                "use a shape of {MIN_WEIBULL_SHAPE} or more (failure data rarely fall below 0.5)"
            )),
        );
        return false;
    }
    let mean = if dist == "weibull" {
        scale * gamma_fn(1.0 + 1.0 / shape)
    } else {
        shape * scale
    };
    let max = SimTime::NEVER.as_secs_f64();
    if !(scale >= 1e-9 && scale.is_finite() && mean.is_finite() && mean < max) {
        diags.error(
            spans.1,
            format!(
                "'{path}': shape {shape} gives a scale of {scale:.3e} s and a mean of \
                 {mean:.3e} s; both must lie between 1ns and {} (the clock's range)",
                SimTime::NEVER.saturating_sub(SimTime(1))
            ),
        );
        return false;
    }
    true
}

fn read_lognormal(tr: &mut TableReader, diags: &mut Diagnostics) -> Option<Dist> {
    let path = tr.path.clone();
    // Each of these groups picks one way to give the distribution.
    let one_tail = tr.exclusive(&["p95", "p99", "sigma"], diags);
    let one_centre = tr.exclusive(&["median", "mean"], diags);
    if !(one_tail && one_centre) {
        return None;
    }
    let (mu, sigma) = if tr.has("median") {
        let median = tr.duration("median", diags)?;
        if median.value == SimTime::ZERO {
            diags.error(
                median.span,
                format!("'{path}.median' must be greater than zero"),
            );
            return None;
        }
        let mu = median.value.as_secs_f64().ln();
        let tail = [("p95", Z95), ("p99", Z99)]
            .into_iter()
            .find(|(k, _)| tr.has(k));
        if let Some((key, z)) = tail {
            let q = tr.duration(key, diags)?;
            if q.value <= median.value {
                diags.error(
                    q.span,
                    format!(
                        "'{path}.{key}' ({}) must be above the median ({})",
                        q.value, median.value
                    ),
                );
                return None;
            }
            (mu, (q.value.as_secs_f64().ln() - mu) / z)
        } else if tr.has("sigma") {
            let s = tr.f64("sigma", diags)?;
            if !(s.value > 0.0 && s.value.is_finite()) {
                diags.error(s.span, format!("'{path}.sigma' must be a positive number"));
                return None;
            }
            (mu, s.value)
        } else {
            tr.missing("p95", diags, "\"4h\" (or p99, or sigma)");
            return None;
        }
    } else if tr.has("mean") {
        let mean = tr.duration("mean", diags)?;
        let cv = tr.f64("cv", diags);
        let Some(cv) = cv else {
            if !tr.has("cv") {
                tr.missing("cv", diags, "1.0 (the standard deviation over the mean)");
            }
            return None;
        };
        if mean.value == SimTime::ZERO || !(cv.value > 0.0 && cv.value.is_finite()) {
            diags.error(mean.span, format!("'{path}' needs mean > 0 and cv > 0"));
            return None;
        }
        let sigma2 = (1.0 + cv.value * cv.value).ln();
        (mean.value.as_secs_f64().ln() - sigma2 / 2.0, sigma2.sqrt())
    } else {
        tr.missing(
            "median",
            diags,
            "\"30m\" with p95 = \"4h\" (or mean and cv)",
        );
        return None;
    };
    Some(Dist::LogNormal {
        mu,
        sigma,
        sampler: LogNormal::new(mu, sigma).ok()?,
    })
}

/// The gamma function Γ(x) for x > 0, from `stats::special::ln_gamma`
/// (Lanczos; relative error below 1e-13 over the range used here).
pub fn gamma_fn(x: f64) -> f64 {
    crate::stats::special::ln_gamma(x).exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{Purpose, stream};

    fn parse(src: &str) -> (Option<Dist>, Diagnostics) {
        let doc = toml::de::DeTable::parse(src).expect("valid toml");
        let mut diags = Diagnostics::default();
        let v = &doc.get_ref().iter().next().expect("one key").1;
        let tr = TableReader::new(v, "d", &mut diags).expect("table");
        (Dist::read(tr, &mut diags), diags)
    }

    #[test]
    fn gamma_function_matches_known_values() {
        assert!((gamma_fn(1.0) - 1.0).abs() < 1e-12);
        assert!((gamma_fn(5.0) - 24.0).abs() < 1e-10);
        assert!((gamma_fn(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-12);
        assert!((gamma_fn(1.5) - 0.886_226_925_452_758).abs() < 1e-12);
    }

    #[test]
    fn lognormal_from_median_and_p95() {
        let (d, diags) = parse("d = { dist = \"lognormal\", median = \"30m\", p95 = \"4h\" }");
        assert!(diags.is_empty());
        let Some(Dist::LogNormal { mu, sigma, .. }) = d else {
            panic!("lognormal expected")
        };
        assert!((mu.exp() - 1800.0).abs() < 1e-6);
        assert!(((mu + Z95 * sigma).exp() - 14_400.0).abs() < 1e-6);
    }

    #[test]
    fn sample_means_match_declared_means() {
        // Each check uses 200k draws; the tolerance is 4 standard errors,
        // with the standard deviation of each distribution written beside it.
        let cases = [
            ("d = { dist = \"exponential\", mean = \"10s\" }", 10.0),
            (
                "d = { dist = \"weibull\", shape = 2.0, mean = \"10s\" }",
                5.227,
            ),
            ("d = { dist = \"gamma\", shape = 4.0, mean = \"10s\" }", 5.0),
            (
                "d = { dist = \"uniform\", min = \"5s\", max = \"15s\" }",
                10.0 / 12f64.sqrt(),
            ),
        ];
        for (src, sd) in cases {
            let (d, diags) = parse(src);
            assert!(diags.is_empty(), "{src}");
            let d = d.expect("parsed");
            assert!(
                (d.mean_secs() - 10.0).abs() < 1e-9,
                "{src}: mean {}",
                d.mean_secs()
            );
            let mut rng = stream(1, 2, Purpose::Misc);
            let n = 200_000;
            let m: f64 = (0..n).map(|_| d.sample_secs(&mut rng)).sum::<f64>() / n as f64;
            let tol = 4.0 * sd / (n as f64).sqrt();
            assert!(
                (m - 10.0).abs() < tol,
                "{src}: sample mean {m}, tolerance {tol}"
            );
        }
    }

    #[test]
    fn bad_distributions_are_reported() {
        let (d, diags) = parse("d = { dist = \"exponentail\", mean = \"1h\" }");
        assert!(d.is_none());
        let e = diags.into_error("t", "");
        assert!(e.to_string().contains("did you mean 'exponential'"), "{e}");

        let (d, diags) = parse("d = { dist = \"exponential\", mean = \"0s\", extra = 1 }");
        assert!(d.is_none());
        let e = diags.into_error("t", "").to_string();
        assert!(
            e.contains("greater than zero") && e.contains("unknown key 'extra'"),
            "{e}"
        );

        let (d, diags) = parse("d = { dist = \"lognormal\", median = \"1h\", p95 = \"30m\" }");
        assert!(d.is_none() && !diags.is_empty());
    }
}
