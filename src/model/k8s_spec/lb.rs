//! The load balancer's protections: active health checks (HAProxy), passive
//! outlier ejection (Envoy) and a token-bucket rate limit.

use super::{POSITIVE_TIME, read_count, read_duration, secs};
use crate::engine::SimTime;
use crate::model::error::Diagnostics;
use crate::model::reader::TableReader;
use crate::model::resilience::read_rate_limit;

/// Active health checks, HAProxy style. Defaults: domain.md §10,
/// haproxy: include/haproxy/defaults.h (`DEF_CHKINTR`, `DEF_RISETIME`, `DEF_FALLTIME`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthCheckSpec {
    /// Time between checks (`inter`, default 2 s).
    pub interval: SimTime,
    /// A check not answered within this fails (`timeout check`; default: `interval`).
    pub timeout: Option<SimTime>,
    /// Consecutive successes to mark a server UP (default 2).
    pub rise: u32,
    /// Consecutive failures to mark a server DOWN (default 3).
    pub fall: u32,
    /// Interval while a server is changing state (`fastinter`; default: `interval`).
    pub fast_interval: Option<SimTime>,
    /// Interval while a server is DOWN (`downinter`; default: `interval`).
    pub down_interval: Option<SimTime>,
}

impl Default for HealthCheckSpec {
    fn default() -> Self {
        HealthCheckSpec {
            interval: secs(2),
            timeout: None,
            rise: 2,
            fall: 3,
            fast_interval: None,
            down_interval: None,
        }
    }
}

impl HealthCheckSpec {
    /// The longest a dead backend can stay UP: the wait for the first
    /// check, then `fall - 1` more at the fast interval, the last one
    /// timing out.
    pub fn worst_detection(&self) -> SimTime {
        let fast = self.fast_interval.unwrap_or(self.interval);
        let more = SimTime(
            fast.0
                .saturating_mul(u64::from(self.fall.saturating_sub(1))),
        );
        self.interval + more + self.timeout.unwrap_or(self.interval)
    }

    /// Keys of a health check table.
    pub const KNOWN_KEYS: &'static [&'static str] = &[
        "interval",
        "timeout",
        "rise",
        "fall",
        "fast_interval",
        "down_interval",
    ];

    /// Reads `{ interval = "2s", rise = 2, fall = 3 }`.
    pub fn read(mut tr: TableReader, diags: &mut Diagnostics) -> Option<Self> {
        let before = diags.len();
        let mut h = HealthCheckSpec::default();
        read_duration(&mut tr, "interval", POSITIVE_TIME, &mut h.interval, diags);
        for (key, slot) in [
            ("timeout", &mut h.timeout),
            ("fast_interval", &mut h.fast_interval),
            ("down_interval", &mut h.down_interval),
        ] {
            let mut t = SimTime::ZERO;
            if tr.has(key) {
                let errors = diags.len();
                read_duration(&mut tr, key, POSITIVE_TIME, &mut t, diags);
                *slot = (diags.len() == errors).then_some(t);
            }
        }
        read_count(&mut tr, "rise", (1, u32::MAX), &mut h.rise, diags);
        read_count(&mut tr, "fall", (1, u32::MAX), &mut h.fall, diags);
        tr.finish(Self::KNOWN_KEYS, diags);
        (diags.len() == before).then_some(h)
    }
}

/// Passive outlier ejection on consecutive 5xx, Envoy style. Defaults:
/// domain.md §12, envoy: api/envoy/config/cluster/v3/outlier_detection.proto
/// and source/common/upstream/outlier_detection_impl.cc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutlierSpec {
    /// Consecutive 5xx (or connect failures) that eject a backend (default 5).
    pub consecutive_5xx: u32,
    /// Time between sweeps that return ejected backends (default 10 s).
    pub interval: SimTime,
    /// Ejection time per consecutive ejection (default 30 s).
    pub base_ejection_time: SimTime,
    /// Cap on the ejection time (default 300 s, or the base time if larger).
    pub max_ejection_time: SimTime,
    /// Most backends ejected at once [% of backends] (default 10).
    pub max_ejection_percent: u32,
    /// Allow one ejection even when it exceeds the percentage (default false:
    /// Envoy enforces the percentage strictly since PR #27909 (2023) and added
    /// this switch in PR #34796 (2024); domain.md §12 describes the older rule).
    pub always_eject_one_host: bool,
}

impl Default for OutlierSpec {
    fn default() -> Self {
        OutlierSpec {
            consecutive_5xx: 5,
            interval: secs(10),
            base_ejection_time: secs(30),
            max_ejection_time: secs(300),
            max_ejection_percent: 10,
            always_eject_one_host: false,
        }
    }
}

impl OutlierSpec {
    /// Keys of an outlier table.
    pub const KNOWN_KEYS: &'static [&'static str] = &[
        "consecutive_5xx",
        "interval",
        "base_ejection_time",
        "max_ejection_time",
        "max_ejection_percent",
        "always_eject_one_host",
    ];

    /// Reads `{ consecutive_5xx = 5, base_ejection_time = "30s", max_ejection_percent = 50 }`.
    pub fn read(mut tr: TableReader, diags: &mut Diagnostics) -> Option<Self> {
        let before = diags.len();
        let mut o = OutlierSpec::default();
        read_count(
            &mut tr,
            "consecutive_5xx",
            (1, u32::MAX),
            &mut o.consecutive_5xx,
            diags,
        );
        read_duration(&mut tr, "interval", POSITIVE_TIME, &mut o.interval, diags);
        read_duration(
            &mut tr,
            "base_ejection_time",
            POSITIVE_TIME,
            &mut o.base_ejection_time,
            diags,
        );
        // Envoy: an unset max is max(300 s, base).
        o.max_ejection_time = o.max_ejection_time.max(o.base_ejection_time);
        if tr.has("max_ejection_time") {
            read_duration(
                &mut tr,
                "max_ejection_time",
                POSITIVE_TIME,
                &mut o.max_ejection_time,
                diags,
            );
            if o.max_ejection_time < o.base_ejection_time {
                diags.error(
                    tr.span_of("max_ejection_time"),
                    format!(
                        "'{}.max_ejection_time' must not be below base_ejection_time",
                        tr.path
                    ),
                );
            }
        }
        read_count(
            &mut tr,
            "max_ejection_percent",
            (0, 100),
            &mut o.max_ejection_percent,
            diags,
        );
        if let Some(b) = tr.bool("always_eject_one_host", diags) {
            o.always_eject_one_host = b.value;
        }
        tr.finish(Self::KNOWN_KEYS, diags);
        (diags.len() == before).then_some(o)
    }
}

/// A token-bucket rate limit; requests over it get 429. The same settings
/// as an edge's client-side limit, read by [`read_rate_limit`] (`{ rate =
/// "100/s", burst = 50 }`; the burst defaults to one second's worth).
pub type RateLimitSpec = crate::behaviours::TokenBucketConfig;

/// The load balancer's protections; each is off unless its table is given.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LbSpec {
    /// Active health checks.
    pub health_check: Option<HealthCheckSpec>,
    /// Passive outlier ejection.
    pub outlier: Option<OutlierSpec>,
    /// Rate limit.
    pub rate_limit: Option<RateLimitSpec>,
}

impl LbSpec {
    /// Keys of a load balancer table.
    pub const KNOWN_KEYS: &'static [&'static str] = &["health_check", "outlier", "rate_limit"];

    /// Reads `{ health_check = {}, outlier = { consecutive_5xx = 3 }, rate_limit = { rate = "500/s" } }`;
    /// an empty sub-table turns a feature on with its defaults.
    pub fn read(mut tr: TableReader, diags: &mut Diagnostics) -> Option<Self> {
        let before = diags.len();
        let lb = LbSpec {
            health_check: tr
                .table("health_check", diags)
                .and_then(|t| HealthCheckSpec::read(t, diags)),
            outlier: tr
                .table("outlier", diags)
                .and_then(|t| OutlierSpec::read(t, diags)),
            rate_limit: tr
                .table("rate_limit", diags)
                .and_then(|t| read_rate_limit(t, diags)),
        };
        tr.finish(Self::KNOWN_KEYS, diags);
        (diags.len() == before).then_some(lb)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::parse_with;
    use super::*;

    #[test]
    fn worst_detection_waits_one_interval_then_fall_minus_one_fast_checks_and_a_timeout() {
        // HAProxy's defaults: inter 2s, fall 3, timeout = inter.
        assert_eq!(HealthCheckSpec::default().worst_detection(), secs(8));
        let h = HealthCheckSpec {
            interval: secs(5),
            fast_interval: Some(secs(1)),
            timeout: Some(SimTime(500 * SimTime::MILLISECOND.0)),
            fall: 4,
            ..HealthCheckSpec::default()
        };
        assert_eq!(h.worst_detection(), SimTime(8_500 * SimTime::MILLISECOND.0));
    }

    #[test]
    fn empty_tables_turn_features_on_with_defaults() {
        let (lb, e) = parse_with(
            "d = { health_check = {}, outlier = {}, rate_limit = { rate = \"2.5/s\" } }",
            LbSpec::read,
        );
        assert_eq!(e, "");
        let lb = lb.unwrap();
        assert_eq!(lb.health_check, Some(HealthCheckSpec::default()));
        assert_eq!(lb.outlier, Some(OutlierSpec::default()));
        assert_eq!(
            lb.rate_limit,
            Some(RateLimitSpec {
                rate: 2.5,
                burst: 3
            })
        );
        let (lb, e) = parse_with("d = {}", LbSpec::read);
        assert_eq!((lb, e.as_str()), (Some(LbSpec::default()), ""));
    }

    #[test]
    fn lb_values_are_read() {
        let (h, e) = parse_with(
            "d = { interval = \"5s\", timeout = \"1s\", rise = 5, fall = 2, down_interval = \"30s\" }",
            HealthCheckSpec::read,
        );
        assert_eq!(e, "");
        let h = h.unwrap();
        assert_eq!(
            (h.interval, h.timeout, h.rise, h.fall),
            (secs(5), Some(secs(1)), 5, 2)
        );
        assert_eq!((h.fast_interval, h.down_interval), (None, Some(secs(30))));
        let (o, e) = parse_with(
            "d = { base_ejection_time = \"400s\", max_ejection_percent = 50, always_eject_one_host = true }",
            OutlierSpec::read,
        );
        assert_eq!(e, "");
        let o = o.unwrap();
        assert_eq!(o.max_ejection_time, secs(400));
        assert_eq!(
            (o.max_ejection_percent, o.always_eject_one_host),
            (50, true)
        );
    }

    #[test]
    fn bad_lb_values_are_each_reported() {
        let src = r#"d = { health_check = { rise = 0, intervall = "2s" },
            outlier = { max_ejection_percent = 150, base_ejection_time = "60s", max_ejection_time = "30s" },
            rate_limit = { burst = 10 } }"#;
        let (lb, e) = parse_with(src, LbSpec::read);
        assert!(lb.is_none());
        for want in [
            "'d.health_check.rise' must be at least 1",
            "did you mean 'interval'",
            "'d.outlier.max_ejection_percent' must be from 0 to 100, found 150",
            "must not be below base_ejection_time",
            "'d.rate_limit' needs 'rate'",
        ] {
            assert!(e.contains(want), "missing {want:?} in {e}");
        }
    }
}
