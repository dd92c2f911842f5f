//! Name resolution in the drill: a dead resolver costs the real glibc time
//! (timeout x attempts to fail alone, one timeout before a second resolver
//! answers), expired cached answers are what turn a resolver outage into
//! failed requests, and the runbook's containment actions restore lookups.

use resim::drill::{Cause, DrillRequest, TrialResult, run_scenario};
use resim::engine::SimTime;
use resim::model::Model;

use super::util::reading;

/// Clients resolve through `dns` (`resolvers` instances, first listed
/// `nameservers`), then call lb -> app; 100 req/s of reads, 10-s bins over
/// 4 minutes after a 20-s warm-up; resolver 0 crashes at 60 s.
fn system(resolvers: usize, nameservers: usize, ttl: &str, events: &str) -> String {
    let addrs: Vec<String> = (0..resolvers)
        .map(|i| format!("\"10.0.0.{}\"", i + 2))
        .collect();
    format!(
        r#"
[components.dns]
kind = "dns"
instances = {resolvers}
resolvers = [{all}]
resolv = {{ nameservers = [{listed}] }}
ttl = "{ttl}"
cache = "{ttl}"
clients = 8

[components.lb]
kind = "load_balancer"
depends_on = ["app"]

[components.app]
kind = "pods"
instances = 2
service = {{ dist = "constant", value = "1ms" }}

[traffic]
rate = "100/s"
read_ratio = 1.0
timeout = "30s"

[[scenarios]]
name = "s"
duration = "4m"
warmup = "20s"

[[scenarios.events]]
at = "60s"
fault = "crash"
target = "dns"
instance = 0
{events}
"#,
        all = addrs.join(", "),
        listed = addrs[..nameservers].join(", "),
    )
}

fn run(text: &str) -> (Model, Vec<TrialResult>) {
    super::util::drill(text, 3, 5)
}

fn totals(r: &[TrialResult], bins: std::ops::Range<usize>) -> (u64, u64, u64) {
    let mut out = (0, 0, 0);
    for t in r {
        for b in &t.bins[bins.clone()] {
            out.0 += b.offered;
            out.1 += b.succeeded;
            out.2 += b.failed[Cause::DnsFailure as usize];
        }
    }
    out
}

#[test]
fn one_dead_resolver_fails_lookups_after_timeout_times_attempts() {
    let (model, r) = run(&system(1, 1, "30s", ""));
    // Client caches expire within the 30 s TTL after the crash at 60 s: from
    // 100 s on every lookup fails, after exactly 5 s x 2 attempts (no search
    // list, glibc defaults), so each bin's mean lookup time is exactly 10 s.
    let mut seen = 0;
    for trial in reading(&model, &r, "dns.lookup_time") {
        for &x in trial[10..].iter().filter(|x| !x.is_nan()) {
            assert_eq!(x, 10.0);
            seen += 1;
        }
    }
    assert!(seen > 20, "lookups ended in {seen} bins");
    let (offered, ok, dns) = totals(&r, 10..23);
    assert_eq!(ok, 0);
    assert_eq!(dns, offered);
    let (offered, ok, _) = totals(&r, 0..6);
    assert_eq!(ok, offered, "nothing fails before the crash");
}

#[test]
fn a_second_resolver_answers_after_one_timeout() {
    let (model, r) = run(&system(2, 2, "30s", ""));
    // rotate off: every lookup first waits 5 s for 10.0.0.2, then 10.0.0.3
    // answers in one round trip (~1 ms, never 10 ms).
    let mut seen = 0;
    for trial in reading(&model, &r, "dns.lookup_time") {
        for &x in trial[10..].iter().filter(|x| !x.is_nan()) {
            assert!((5.0..5.01).contains(&x), "mean lookup {x} s");
            seen += 1;
        }
    }
    // Answers now last 30 s (+5 s of lookup) on every host at once (they all
    // expire with CoreDNS's cached copy): a wave of lookups every ~35 s, at
    // least 4 in each trial's 140 s from bin 10.
    assert!(seen >= 12, "lookups ended in {seen} bins");
    let (offered, ok, _) = totals(&r, 0..24);
    assert_eq!(ok, offered, "every request succeeds, 5 s late at worst");
}

#[test]
fn expired_cached_answers_are_what_turn_an_outage_into_failures() {
    let outage_ends = r#"
[[scenarios.events]]
at = "150s"
action = "restart_resolver"
target = "dns"
"#;
    // A 30 s TTL: answers expire during the 90-s outage and requests fail.
    let (_, short) = run(&system(1, 1, "30s", outage_ends));
    let (_, _, dns) = totals(&short, 6..15);
    assert!(dns > 1000, "{dns} DNS failures with a 30 s TTL");
    // A 1 h TTL covers the outage: the same outage fails nothing, and no
    // lookup is even attempted while it lasts.
    let (model, long) = run(&system(1, 1, "1h", outage_ends));
    let (offered, ok, _) = totals(&long, 0..24);
    assert_eq!(ok, offered);
    for trial in reading(&model, &long, "dns.queries") {
        assert!(trial[6..15].iter().all(|&q| q == 0.0));
    }
}

/// Success over bins 17.. (from 170 s, 50 s after a containment at 120 s:
/// the 10-s negative TTL and a 20-s margin for lookups already in flight).
fn recovered(events: &str, resolvers: usize, nameservers: usize) -> (u64, u64, u64) {
    let (_, r) = run(&system(resolvers, nameservers, "30s", events));
    let (_, ok, _) = totals(&r, 10..12);
    assert_eq!(ok, 0, "the outage fails requests before containment");
    totals(&r, 17..24)
}

#[test]
fn restarting_the_resolver_restores_resolution() {
    let (offered, ok, _) = recovered(
        "[[scenarios.events]]\nat = \"120s\"\naction = \"restart_resolver\"\ntarget = \"dns\"\n",
        1,
        1,
    );
    assert_eq!(ok, offered);
}

#[test]
fn switching_to_the_secondary_resolver_restores_resolution() {
    let (offered, ok, _) = recovered(
        "[[scenarios.events]]\nat = \"120s\"\naction = \"switch_resolver\"\ntarget = \"dns\"\nnameserver = \"10.0.0.3\"\n",
        2,
        1,
    );
    assert_eq!(ok, offered);
}

#[test]
fn a_hosts_override_skips_dns() {
    let (offered, ok, _) = recovered(
        "[[scenarios.events]]\nat = \"120s\"\naction = \"hosts_override\"\ntarget = \"dns\"\n",
        1,
        1,
    );
    assert_eq!(ok, offered);
}

#[test]
fn an_unknown_nameserver_is_reported_where_it_is() {
    let text = system(2, 2, "30s", "").replace(
        "nameservers = [\"10.0.0.2\", \"10.0.0.3\"]",
        "nameservers = [\"10.0.0.2\", \"10.0.0.4\"]",
    );
    let err = Model::parse(&text, "t.toml")
        .expect_err("bad nameserver")
        .to_string();
    assert!(
        err.contains("t.toml:6:") && err.contains("'10.0.0.4' is not one of 'dns.resolvers'"),
        "{err}"
    );
}

/// `models/dns-outage.toml` reproduces the runbook: 10.0.0.2 unreachable
/// at 3 min, requests fail once the cached answers expire, each lookup
/// failing after 20 s (ndots:5 walk: 10 s on the first suffix, 10 s as-is),
/// `dig` times out; the page fires at 6 min (5% failing over 5 min, held
/// 2 min), and each containment (restart, secondary, hosts override),
/// started by the on-call after the page and landing after its own time,
/// restores every request once lookups under way and the 10-s negative
/// TTL have run out.
#[test]
fn the_bundled_dns_outage_reproduces_the_runbook() {
    let model = Model::load(&super::util::repo().join("models/dns-outage.toml")).expect("model");
    let min = |m: u64| SimTime(m * SimTime::MINUTE.0);
    let req = DrillRequest {
        trials: 2,
        seed: 1,
        threads: 2,
        bin: SimTime(10 * SimTime::SECOND.0),
        snapshots: vec![min(5), min(29)],
    };
    for sc in &model.scenarios {
        let r = run_scenario(&model, sc, &req, &|_| {}).expect("runs");
        let (offered, ok, _) = totals(&r, 0..18);
        assert_eq!(ok, offered, "{}: fine before the fault", sc.name);
        let (offered, ok, dns) = totals(&r, 21..36);
        assert_eq!(
            (ok, dns),
            (0, offered),
            "{}: the outage until the page",
            sc.name
        );
        for t in &r {
            assert_eq!(t.alerts[0].at, min(6), "{}: paged at 6 min", sc.name);
            let done = t.actions[0].done.expect("contained within the drill");
            // Lookups already under way when it lands still fail (up to
            // 20 s), and their failure is cached for 10 s: 40 s later all
            // requests succeed.
            let from = (done.as_secs_f64() / 10.0).ceil() as usize + 4;
            let (offered, ok, _) = totals(std::slice::from_ref(t), from..t.bins.len());
            assert_eq!(ok, offered, "{}: contained from {done}", sc.name);
        }
        for trial in reading(&model, &r, "dns.lookup_time") {
            assert!(
                trial[21..59]
                    .iter()
                    .filter(|x| !x.is_nan())
                    .all(|&x| x == 20.0)
            );
        }
        let text = &r[0].snapshots;
        assert!(
            text[0]
                .text
                .contains(";; connection timed out; no servers could be reached")
        );
        assert!(text[0].text.contains("nameserver 10.0.0.2"));
        // dig asks DNS only: under the hosts override it still times out,
        // while the clients resolve from /etc/hosts.
        let contained = if sc.name == "hosts-override" {
            "10.0.1.10\tbackend.service.local"
        } else {
            ";; ANSWER SECTION:"
        };
        assert!(text[1].text.contains(contained), "{}", text[1].text);
    }
}
