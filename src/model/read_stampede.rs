//! Reading a cache's stampede guards: `stampede = { single_flight =
//! "process" | "global", xfetch_beta = 1.0, ttl_jitter = 0.1 }` (domain
//! reference §25). Every guard is off unless given.

use super::error::Diagnostics;
use super::read::read_kind;
use super::reader::TableReader;
use crate::redis::stampede::{SingleFlight, StampedeGuard};

const STAMPEDE_KEYS: &[&str] = &["single_flight", "xfetch_beta", "ttl_jitter"];

/// The `stampede` table of a cache with a key space; `has_ttl` says whether
/// its keys are written with a TTL (XFetch and jitter need one).
pub(super) fn read_stampede(
    mut st: TableReader,
    has_ttl: bool,
    diags: &mut Diagnostics,
) -> StampedeGuard {
    let mut g = StampedeGuard {
        single_flight: read_kind(
            &mut st,
            "single_flight",
            SingleFlight::NAMES,
            SingleFlight::from_name,
            diags,
        ),
        ..StampedeGuard::default()
    };
    if let Some(b) = st.f64("xfetch_beta", diags) {
        if b.value.is_finite() && b.value > 0.0 && b.value <= 100.0 {
            g.xfetch_beta = Some(b.value);
        } else {
            diags.error_hint(
                b.span,
                format!("'{}.xfetch_beta' must be above 0 and at most 100", st.path),
                Some("1.0 is XFetch's default; above 1 refreshes earlier".into()),
            );
        }
    }
    if let Some(j) = st.f64("ttl_jitter", diags) {
        if (0.0..1.0).contains(&j.value) {
            g.ttl_jitter = j.value;
        } else {
            diags.error_hint(
                j.span,
                format!("'{}.ttl_jitter' is a share of the TTL in [0, 1)", st.path),
                Some("0.1 spreads TTLs over ±10%".into()),
            );
        }
    }
    if !has_ttl {
        for k in ["xfetch_beta", "ttl_jitter"] {
            if st.has(k) {
                diags.error_hint(
                    st.span_of(k),
                    format!("'{}.{k}' needs keys written with a TTL", st.path),
                    Some("add ttl = \"10m\" to the cache's keys".into()),
                );
            }
        }
    }
    st.finish(STAMPEDE_KEYS, diags);
    g
}
