use super::*;
use crate::behaviours::Window;

const MS: u64 = SimTime::MILLISECOND.0;
const SEC: u64 = SimTime::SECOND.0;

/// Reads the first table of `src` with `read`; returns the value and the
/// problems as `resim check` prints them (`m.toml:line:col: message; hint`).
fn read<T>(
    src: &str,
    read: impl FnOnce(TableReader, &mut Diagnostics) -> Option<T>,
) -> (Option<T>, String) {
    let doc = toml::de::DeTable::parse(src).expect("valid toml");
    let mut diags = Diagnostics::default();
    let (k, v) = doc.get_ref().iter().next().expect("one key");
    let tr = TableReader::new(v, k.get_ref(), &mut diags).expect("table");
    let out = read(tr, &mut diags);
    (out, diags.into_error("m.toml", src).to_string())
}

/// Asserts that reading fails and every `expected` fragment is reported.
fn fails<T: std::fmt::Debug>(
    src: &str,
    reader: impl FnOnce(TableReader, &mut Diagnostics) -> Option<T>,
    expected: &[&str],
) {
    let (v, e) = read(src, reader);
    assert!(v.is_none(), "{src}: read as {v:?}");
    for x in expected {
        assert!(e.contains(x), "{src}: expected '{x}' in:\n{e}");
    }
}

#[test]
fn the_planned_edge_syntax_reads() {
    let src = r#"
[edge]
timeout = "500ms"
retry = { max = 2, base = "25ms", cap = "1s", jitter = "full", per_try_timeout = "200ms" }
budget = { percent = 20, min_concurrency = 3 }
breaker = { window = 100, failure_rate = 50, open = "60s", half_open_calls = 10 }
bulkhead = 50
rate_limit = { rate = "100/s", burst = 20 }
"#;
    let (p, e) = read(src, read_call_policy);
    let p = p.unwrap_or_else(|| panic!("{e}"));
    let retry = p.retry.as_ref().expect("retry");
    assert_eq!(p.timeout, Some(SimTime(500 * MS)));
    assert_eq!(
        *retry,
        RetryPolicy {
            max_retries: 2,
            base: SimTime(25 * MS),
            cap: SimTime(SEC),
            jitter: Jitter::Full,
            retry_on: CauseSet::RETRYABLE,
            per_try_timeout: Some(SimTime(200 * MS)),
            overall_timeout: Some(SimTime(500 * MS)),
        }
    );
    assert_eq!(p.budget, Some(BudgetConfig::default()));
    assert_eq!(p.breaker, Some(BreakerConfig::default()));
    assert_eq!(p.bulkhead, Some(50));
    assert_eq!(
        p.rate_limit,
        Some(TokenBucketConfig {
            rate: 100.0,
            burst: 20
        })
    );
    // 3 tries of 200 ms do not fit in 500 ms.
    assert_eq!(p.warnings().len(), 1, "{:?}", p.warnings());
    assert!(p.warnings()[0].contains("3 tries of 200ms"));
}

#[test]
fn an_empty_edge_has_no_patterns() {
    let (p, e) = read("edge = {}", read_call_policy);
    assert_eq!(p, Some(CallPolicy::default()), "{e}");
}

#[test]
fn retry_defaults_follow_envoy() {
    let (r, _) = read("r = {}", read_retry);
    assert_eq!(r, Some(RetryPolicy::default()));
    // Only a base: the cap is 10 × base. Only a cap below 25 ms: base = cap.
    let (r, _) = read(r#"r = { base = "100ms" }"#, read_retry);
    assert_eq!(r.expect("read").cap, SimTime(SEC));
    let (r, _) = read(
        r#"r = { cap = "10ms", jitter = "decorrelated" }"#,
        read_retry,
    );
    let r = r.expect("read");
    assert_eq!((r.base, r.jitter), (SimTime(10 * MS), Jitter::Decorrelated));
}

#[test]
fn retry_on_lists_causes() {
    let (r, e) = read(
        r#"r = { retry_on = ["timeout", "dns_failure"] }"#,
        read_retry,
    );
    let set = r.unwrap_or_else(|| panic!("{e}")).retry_on;
    assert_eq!(
        set.iter().collect::<Vec<_>>(),
        [Cause::Timeout, Cause::DnsFailure]
    );
    fails(
        r#"r = { retry_on = ["timeout", "refussed"] }"#,
        read_retry,
        &["m.toml:1:30: unknown failure cause 'refussed'; did you mean 'refused'?"],
    );
    fails(
        r#"r = { retry_on = [] }"#,
        read_retry,
        &["'r.retry_on' lists no cause"],
    );
}

#[test]
fn bad_retries_are_reported_together() {
    fails(
        r#"r = { max = -1, base = "1s", cap = "100ms", jitter = "ful", per_try_timeout = "0s", tries = 3 }"#,
        read_retry,
        &[
            "'r.max' must be a whole number from 0 up, found -1",
            "'r.cap' (100ms) is below base (1s)",
            "unknown jitter 'ful'; did you mean 'full'?",
            "'r.per_try_timeout' must be greater than zero",
            "unknown key 'tries' in [r]",
            "5 problems in m.toml",
        ],
    );
    fails(
        r#"r = { jitter = "random" }"#,
        read_retry,
        &["use one of: none, full, equal, decorrelated"],
    );
}

#[test]
fn budgets_of_both_kinds() {
    let (b, _) = read("b = { percent = 10 }", read_budget);
    assert_eq!(
        b,
        Some(BudgetConfig::Concurrency {
            percent: 0.1,
            min_concurrency: 3
        })
    );
    let (b, e) = read("b = { max_tokens = 10, token_ratio = 0.1 }", read_budget);
    assert_eq!(
        b,
        Some(BudgetConfig::Tokens {
            max_tokens: 10.0,
            token_ratio: 0.1
        }),
        "{e}"
    );
}

#[test]
fn bad_budgets_are_reported() {
    fails(
        "b = { percent = 120 }",
        read_budget,
        &["'b.percent' must be a percentage in (0, 100], found 120"],
    );
    fails(
        "b = { percent = 20, max_tokens = 10 }",
        read_budget,
        &["'b' mixes a concurrency budget and token throttling"],
    );
    fails(
        "b = { max_tokens = 2000 }",
        read_budget,
        &[
            "'b.max_tokens' must be in (0, 1000], found 2000",
            "'b' needs 'token_ratio'",
        ],
    );
    fails("b = {}", read_budget, &["'b' needs 'percent'"]);
    fails(
        "b = { precent = 20 }",
        read_budget,
        &["did you mean 'percent'?"],
    );
}

#[test]
fn breaker_windows_by_count_or_time() {
    // A count window smaller than 100 caps the default minimum.
    let (b, _) = read("b = { window = 20 }", read_breaker);
    let b = b.expect("read");
    assert_eq!((b.window, b.min_calls), (Window::Count(20), 20));
    let src = r#"b = { window = "30s", min_calls = 5, slow_call = "2s", slow_rate = 80, automatic = true }"#;
    let (b, e) = read(src, read_breaker);
    let b = b.unwrap_or_else(|| panic!("{e}"));
    assert_eq!(b.window, Window::Time(30));
    assert_eq!(b.min_calls, 5);
    assert_eq!(b.slow_call, SimTime(2 * SEC));
    assert!((b.slow_rate - 0.8).abs() < 1e-12 && b.automatic_half_open);
}

#[test]
fn bad_breakers_are_reported() {
    fails(
        r#"b = { window = 10, min_calls = 20, failure_rate = 0, open = "0s", half_open_calls = 0 }"#,
        read_breaker,
        &[
            "'b.min_calls' (20) exceeds the window (10 calls)",
            "'b.failure_rate' must be a percentage in (0, 100], found 0",
            "'b.open' must be greater than zero",
            "'b.half_open_calls' must be at least 1",
        ],
    );
    fails(
        r#"b = { window = "1500ms" }"#,
        read_breaker,
        &["'b.window' must be a whole number of seconds, at least 1s, found 1.5s"],
    );
    fails(
        "b = { window = 1.5 }",
        read_breaker,
        &[
            "'b.window' must be a number of calls such as 100 or a duration such as \"60s\", found float",
        ],
    );
    fails(
        "b = { window = 0 }",
        read_breaker,
        &["'b.window' must be at least 1 call"],
    );
}

#[test]
fn bulkheads_and_rate_limits() {
    let (p, e) = read("e = { bulkhead = 0 }", read_call_policy);
    assert!(
        p.is_none() && e.contains("'e.bulkhead' must be at least 1"),
        "{e}"
    );
    // Burst defaults to a second's worth.
    let (r, _) = read("r = { rate = 7.5 }", read_rate_limit);
    assert_eq!(
        r,
        Some(TokenBucketConfig {
            rate: 7.5,
            burst: 8
        })
    );
    fails(
        r#"r = { rate = "0/s", burst = 0 }"#,
        read_rate_limit,
        &[
            "'r.rate' must be greater than zero",
            "'r.burst' must be at least 1",
        ],
    );
    fails("r = { burst = 5 }", read_rate_limit, &["'r' needs 'rate'"]);
}

#[test]
fn edge_problems_carry_their_paths() {
    let src = r#"edge = { timeout = "0ms", retry = { max = "2" }, breakr = {} }"#;
    fails(
        src,
        read_call_policy,
        &[
            "'edge.timeout' must be greater than zero",
            "'edge.retry.max' must be a whole number, found string",
            "unknown key 'breakr' in [edge]; did you mean 'breaker'?",
        ],
    );
}

#[test]
fn warnings_flag_settings_that_never_act() {
    let src = r#"e = { timeout = "1s", retry = { max = 0, per_try_timeout = "2s", jitter = "none" }, budget = { percent = 20 } }"#;
    let (p, e) = read(src, read_call_policy);
    let w = p.unwrap_or_else(|| panic!("{e}")).warnings();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].contains("budget without retries never acts"));
    assert!(w[1].contains("per-try timeout (2s) is not shorter than the call timeout (1s)"));
    let (p, _) = read(
        r#"e = { retry = { max = 3, jitter = "none" } }"#,
        read_call_policy,
    );
    assert!(p.expect("read").warnings()[0].contains("retry storm"));
}

#[test]
fn hedges_and_fallbacks_are_read_and_a_hedge_that_can_never_fire_is_flagged() {
    let (p, e) = read(
        r#"e = { timeout = "100ms", hedge = { delay = "20ms" }, fallback = "stale" }"#,
        read_call_policy,
    );
    let p = p.unwrap_or_else(|| panic!("{e}"));
    assert_eq!(p.hedge, Some(SimTime(20 * SimTime::MILLISECOND.0)));
    assert_eq!(p.fallback, Some(Fallback::Stale));
    assert!(p.warnings().is_empty());
    let (p, _) = read(
        r#"e = { timeout = "100ms", hedge = { delay = "100ms" } }"#,
        read_call_policy,
    );
    assert!(p.expect("read").warnings()[0].contains("no hedge is ever sent"));
    let (_, e) = read(
        r#"e = { fallback = "stail", hedge = {} }"#,
        read_call_policy,
    );
    assert!(
        e.contains("unknown fallback 'stail'; use one of: stale, default"),
        "{e}"
    );
    assert!(e.contains("needs 'delay'"), "{e}");
}
