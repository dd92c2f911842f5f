//! One `getaddrinfo` lookup through a stub resolver, as glibc does it: the
//! search walk of `__res_context_search` (resolv/res_query.c) over the
//! retry loop of `__res_context_send` (resolv/res_send.c): for each
//! attempt, for each server in order, send the A and AAAA queries in
//! parallel over one socket and wait up to that server's timeout (domain
//! reference §8). The servers' behaviour is a callback, so the same walk
//! serves unit tests, the drill and the `dig` snapshot.

use super::resolv::ResolvConf;
use crate::engine::SimTime;

/// What one server does with a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// It answers with the address.
    Answer,
    /// It answers that the name does not exist (or has no such record).
    NxDomain,
    /// It answers SERVFAIL (or REFUSED): the stub tries the next server.
    ServFail,
    /// Nothing comes back (a dead host, a lost packet): the stub waits out
    /// its timeout. UDP to a dead host gives no error, so this is what a
    /// crashed or unreachable resolver looks like.
    NoReply,
}

/// The result of a lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Whether an address came back.
    pub resolved: bool,
    /// Time from the call to its return.
    pub elapsed: SimTime,
    /// Queries sent to servers (A and AAAA count as two).
    pub queries: u32,
    /// The position (in the nameserver list) of the server whose reply
    /// ended the lookup, if one replied to the last query.
    pub server: Option<usize>,
    /// The round trip of that reply.
    pub rtt: SimTime,
}

/// How one name's query ended (`res_send`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    Answer,
    NxDomain,
    ServFail,
    TimedOut,
}

/// Looks `name` up. `first` is the server position the stub starts at
/// (advanced per lookup under `rotate`, else 0); `reply(position, as_is)`
/// says what the server at `position` does with a query for the name as
/// given (`as_is`) or with a search suffix appended, and how long its
/// round trip takes.
pub fn resolve(
    conf: &ResolvConf,
    name: &str,
    first: usize,
    mut reply: impl FnMut(usize, bool) -> (Reply, SimTime),
) -> Outcome {
    let mut out = Outcome {
        resolved: false,
        elapsed: SimTime::ZERO,
        queries: 0,
        server: None,
        rtt: SimTime::ZERO,
    };
    let trailing_dot = name.ends_with('.');
    let dots = name.matches('.').count() as u32;
    let mut tried_as_is = false;
    if trailing_dot || dots >= conf.ndots {
        if send(conf, first, true, &mut reply, &mut out) == Sent::Answer {
            out.resolved = true;
            return out;
        }
        if trailing_dot {
            return out;
        }
        tried_as_is = true;
    }
    for _ in &conf.search {
        match send(conf, first, false, &mut reply, &mut out) {
            Sent::Answer => {
                out.resolved = true;
                return out;
            }
            // NXDOMAIN and SERVFAIL: on to the next suffix (§8).
            Sent::NxDomain | Sent::ServFail => {}
            // No server answered: the walk stops (the as-is try still follows).
            Sent::TimedOut => break,
        }
    }
    if !tried_as_is && send(conf, first, true, &mut reply, &mut out) == Sent::Answer {
        out.resolved = true;
    }
    out
}

/// One name's A and AAAA queries through the retry loop: `attempts` rounds
/// over the servers from `first`, each waiting its `server_wait`.
fn send(
    conf: &ResolvConf,
    first: usize,
    as_is: bool,
    reply: &mut impl FnMut(usize, bool) -> (Reply, SimTime),
    out: &mut Outcome,
) -> Sent {
    let n = conf.nameservers.len();
    let mut servfail = false;
    out.server = None;
    for _ in 0..conf.attempts {
        for k in 0..n {
            let ns = (first + k) % n;
            out.queries += 2;
            let (r, rtt) = reply(ns, as_is);
            if r == Reply::NoReply {
                out.elapsed += conf.server_wait(ns);
                continue;
            }
            out.elapsed += rtt;
            out.server = Some(ns);
            out.rtt = rtt;
            match r {
                Reply::Answer => return Sent::Answer,
                Reply::NxDomain => return Sent::NxDomain,
                _ => servfail = true,
            }
        }
    }
    if servfail {
        Sent::ServFail
    } else {
        out.server = None;
        Sent::TimedOut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RTT: SimTime = SimTime(SimTime::MILLISECOND.0);
    const S: u64 = SimTime::SECOND.0;

    fn conf(n: usize) -> ResolvConf {
        ResolvConf::glibc_default((0..n).map(|i| format!("10.0.0.{}", i + 2)).collect())
    }

    /// Servers in `dead` never reply; the others know only the name as given.
    fn servers(dead: &[usize]) -> impl FnMut(usize, bool) -> (Reply, SimTime) + '_ {
        move |ns, as_is| match (dead.contains(&ns), as_is) {
            (true, _) => (Reply::NoReply, RTT),
            (false, true) => (Reply::Answer, RTT),
            (false, false) => (Reply::NxDomain, RTT),
        }
    }

    #[test]
    fn one_unreachable_resolver_fails_after_timeout_times_attempts() {
        let o = resolve(&conf(1), "backend.service.local", 0, servers(&[0]));
        assert!(!o.resolved);
        assert_eq!(o.elapsed, SimTime(10 * S));
        assert_eq!(o.queries, 4);
        assert_eq!(o.server, None);
    }

    #[test]
    fn a_second_resolver_answers_after_one_timeout() {
        let o = resolve(&conf(2), "backend.service.local", 0, servers(&[0]));
        assert!(o.resolved);
        assert_eq!(o.elapsed, SimTime(5 * S) + RTT);
        assert_eq!(o.server, Some(1));
        // Two to the dead server, two to the live one.
        assert_eq!(o.queries, 4);
    }

    #[test]
    fn rotate_starts_at_another_server() {
        let o = resolve(&conf(2), "backend.service.local", 1, servers(&[0]));
        assert_eq!(o.elapsed, RTT);
    }

    #[test]
    fn ndots_walks_every_suffix_before_the_name() {
        let mut c = conf(1);
        c.ndots = 5;
        c.search = [
            "default.svc.cluster.local",
            "svc.cluster.local",
            "cluster.local",
        ]
        .map(String::from)
        .to_vec();
        let o = resolve(&c, "api.example.com", 0, servers(&[]));
        // 2 x (3 suffixes + 1) queries, 6 of them NXDOMAIN (§9).
        assert!(o.resolved);
        assert_eq!(o.queries, 8);
        assert_eq!(o.elapsed, SimTime(4 * RTT.0));
        // A trailing dot skips the walk.
        let o = resolve(&c, "api.example.com.", 0, servers(&[]));
        assert_eq!(o.queries, 2);
    }

    #[test]
    fn a_timeout_stops_the_walk_then_the_name_is_tried_as_is() {
        let mut c = conf(1);
        c.ndots = 5;
        c.search = vec!["svc.cluster.local".into(), "cluster.local".into()];
        let o = resolve(&c, "backend.service.local", 0, servers(&[0]));
        // 10 s for the first suffix (walk stops) + 10 s for the name as-is (§8).
        assert!(!o.resolved);
        assert_eq!(o.elapsed, SimTime(20 * S));
    }

    #[test]
    fn with_two_resolvers_each_query_of_the_walk_waits_once() {
        let mut c = conf(2);
        c.ndots = 5;
        c.search = vec!["svc.cluster.local".into(), "cluster.local".into()];
        let o = resolve(&c, "backend.service.local", 0, servers(&[0]));
        assert!(o.resolved);
        assert_eq!(o.elapsed, SimTime(3 * (5 * S + RTT.0)));
    }

    #[test]
    fn servfail_moves_on_fast() {
        let mut c = conf(2);
        c.ndots = 5;
        c.search = vec!["svc.cluster.local".into()];
        let o = resolve(&c, "db", 0, |_, _| (Reply::ServFail, RTT));
        assert!(!o.resolved);
        // Every name: 2 attempts x 2 servers, each a round trip, no timeouts.
        assert_eq!(o.elapsed, SimTime(8 * RTT.0));
        assert_eq!(o.queries, 16);
    }
}
