//! Name resolution in a drill, for `dns` components with resolver settings
//! ([`crate::model::dns_spec::DnsSpec`]); others keep the single shared
//! answer of `plan::StepKind::Dns`.
//!
//! The clients are a pool of `clients` hosts, each with its own stub
//! resolver (the model's resolv.conf) and its own answer cache; a request
//! comes from a host picked at random. A pool, rather than one cache or one
//! per request: a fleet's caches expire at scattered times, so an outage
//! turns into failures gradually, over one TTL, as it does in production,
//! while the state stays a few words per host. Nameserver i is instance i of
//! the `dns` component, a CoreDNS with its own answer cache. A resolver that
//! is down (crashed, hung, scaled away) does not reply: UDP to a dead host
//! gives no error, so the stub waits out its timeout.
//!
//! A lookup's outcome and duration are decided when it starts, from the
//! resolvers' state then, by the glibc walk of [`crate::dns::resolve`]; the
//! request resumes (or fails with `dns_failure`) when the real resolver
//! would have returned. A resolver that changes state during a lookup is
//! seen by the next lookup. Concurrent misses on one host each do their own
//! lookup (glibc coalesces nothing). Resolvers are not modelled as a
//! capacity limit (a CoreDNS answers tens of thousands of cached queries per
//! second).

use std::fmt::Write as _;

use rand::RngExt;

use super::metrics::Cause;
use super::readings::ReadingDef;
use super::sim::{DrillTrial, Ev};
use crate::dns::resolv::MAX_NAMESERVERS;
use crate::dns::{AnswerCache, CacheLookup, CoreDnsCache, Reply, ResolvConf, resolve};
use crate::engine::SimTime;
use crate::engine::arena::Arena;
use crate::engine::rng::{Purpose, SimRng, named_key, stream};
use crate::model::dns_spec::DnsSpec;
use crate::model::{ComponentKind, Model};

/// One client host: its cache and, under `rotate`, the server it starts at.
#[derive(Clone, Copy, Debug, Default)]
struct Host {
    cache: AnswerCache,
    next: u32,
}

/// A lookup in flight.
#[derive(Clone, Copy, Debug)]
struct Pending {
    call: u32,
    tag: u32,
    host: u16,
    elapsed: SimTime,
    /// The answer's TTL, or `None` when the lookup failed.
    ttl: Option<SimTime>,
}

/// Counts over the current bin.
#[derive(Clone, Copy, Debug, Default)]
struct BinCounts {
    queries: u64,
    hits: u64,
    misses: u64,
    failures: u64,
    lookups: u64,
    lookup_ns: u128,
}

/// The resolver state of one `dns` component in a trial.
pub(super) struct Resolvers<'m> {
    comp: usize,
    spec: &'m DnsSpec,
    /// The clients' resolv.conf as it is now (`switch_resolver` reorders it).
    resolv: ResolvConf,
    /// The instance behind each nameserver position.
    order: Vec<usize>,
    hosts: Vec<Host>,
    coredns: Vec<CoreDnsCache>,
    hosts_override: bool,
    pending: Arena<Pending>,
    rng: SimRng,
    bin: BinCounts,
    bin_start: SimTime,
}

/// The `dns` components with resolver settings, in model order.
fn resolver_components(model: &Model) -> impl Iterator<Item = (usize, &DnsSpec)> {
    model
        .components
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == ComponentKind::Dns)
        .filter_map(|(i, c)| c.serving.dns.as_ref().map(|s| (i, s)))
}

/// The resolver state of every such component, for a trial with `seed`.
pub(super) fn resolvers(model: &Model, seed: u64, start: SimTime) -> Vec<Resolvers<'_>> {
    resolver_components(model)
        .map(|(comp, spec)| {
            let key = named_key(&format!("{}.lookup", model.components[comp].id), 0);
            Resolvers {
                comp,
                spec,
                resolv: spec.resolv.clone(),
                order: spec
                    .resolv
                    .nameservers
                    .iter()
                    .map(|ns| {
                        spec.resolvers
                            .iter()
                            .position(|r| r == ns)
                            .expect("checked by the reader")
                    })
                    .collect(),
                hosts: vec![Host::default(); spec.clients as usize],
                coredns: vec![CoreDnsCache::default(); model.components[comp].instances as usize],
                hosts_override: spec.hosts_override,
                pending: Arena::with_capacity(64),
                rng: stream(seed, key, Purpose::Network),
                bin: BinCounts::default(),
                bin_start: start,
            }
        })
        .collect()
}

/// The readings of name resolution, in [`DrillTrial::sample_dns`] order.
pub(super) fn reading_defs(model: &Model, defs: &mut Vec<ReadingDef>) {
    for (c, _) in resolver_components(model) {
        let id = &model.components[c].id;
        defs.push(ReadingDef::new(
            id,
            "queries",
            "queries",
            "queries to resolvers",
            "1/s",
        ));
        defs.push(ReadingDef::new(
            id,
            "failures",
            "queries",
            "failed lookups",
            "1/s",
        ));
        defs.push(ReadingDef::new(
            id,
            "cache_hit_ratio",
            "cache",
            "client cache hit ratio",
            "ratio",
        ));
        defs.push(ReadingDef::new(
            id,
            "lookup_time",
            "lookup",
            "mean lookup time",
            "s",
        ));
    }
}

impl DrillTrial<'_> {
    /// The resolver state for a lookup through component `dep`, if it has one.
    #[inline]
    pub(super) fn resolver_of(&self, dep: u16) -> Option<usize> {
        self.dns.iter().position(|r| r.comp == dep as usize)
    }

    /// The root call `id` needs the name resolved through `self.dns[r]`:
    /// from /etc/hosts, the host's cache, or a lookup.
    pub(super) fn resolve_name(&mut self, id: u32, r: usize, now: SimTime) {
        let measured = self.measured(now);
        let st = &mut self.dns[r];
        if st.hosts_override {
            return self.name_resolved(id, now);
        }
        let host = st.rng.random_range(0..st.hosts.len());
        match st.hosts[host].cache.lookup(now) {
            CacheLookup::Fresh => {
                st.bin.hits += measured as u64;
                self.name_resolved(id, now)
            }
            CacheLookup::Negative => {
                st.bin.misses += measured as u64;
                st.bin.failures += measured as u64;
                self.complete(id, Some(Cause::DnsFailure), now)
            }
            CacheLookup::Miss => {
                st.bin.misses += measured as u64;
                let (elapsed, ttl) = self.lookup(r, host, now);
                let tag = self.calls.get(id).expect("live root").tag;
                let st = &mut self.dns[r];
                let slot = st.pending.insert(Pending {
                    call: id,
                    tag,
                    host: host as u16,
                    elapsed,
                    ttl,
                });
                self.queue.schedule(
                    now + elapsed,
                    Ev::DnsDone {
                        dns: r as u32,
                        slot,
                    },
                );
            }
        }
    }

    /// Runs the stub's walk against the resolvers as they are at `now`:
    /// how long it takes, and the answer's TTL if one comes back.
    fn lookup(&mut self, r: usize, host: usize, now: SimTime) -> (SimTime, Option<SimTime>) {
        let model = self.model;
        let measured = self.measured(now);
        let st = &mut self.dns[r];
        let comp = &self.comps[st.comp];
        let serving = &model.components[st.comp].serving;
        let n = st.resolv.nameservers.len().max(1);
        let first = if st.resolv.rotate {
            let h = &mut st.hosts[host];
            let first = h.next as usize % n;
            h.next = h.next.wrapping_add(1);
            first
        } else {
            0
        };
        let (order, rng) = (&st.order, &mut st.rng);
        let out = resolve(&st.resolv, &st.spec.name, first, |pos, as_is| {
            let inst = order[pos];
            let x = &comp.insts[inst];
            if inst >= comp.active as usize || !x.up || x.held {
                return (Reply::NoReply, SimTime::ZERO);
            }
            let rtt = serving.latency.sample(rng) + serving.latency.sample(rng);
            let work = serving.service.sample_secs(rng) * comp.slow * x.slow;
            let reply = if as_is {
                Reply::Answer
            } else {
                Reply::NxDomain
            };
            (reply, rtt + SimTime::from_secs_f64(work))
        });
        if measured {
            st.bin.queries += out.queries as u64;
        }
        let ttl = match (out.resolved, out.server) {
            (true, Some(pos)) => Some(st.coredns[st.order[pos]].answer_ttl(
                now + out.elapsed,
                serving.ttl,
                st.spec.cache,
            )),
            _ => None,
        };
        (out.elapsed, ttl)
    }

    /// A lookup started by [`Self::resolve_name`] returns.
    pub(super) fn on_dns_done(&mut self, r: usize, slot: u32, now: SimTime) {
        let measured = self.measured(now);
        let st = &mut self.dns[r];
        let Some(p) = st.pending.remove(slot) else {
            return;
        };
        // The host's cache learns the outcome even if the request gave up.
        let cache = &mut st.hosts[p.host as usize].cache;
        match p.ttl {
            Some(ttl) => cache.store_answer(now, ttl),
            None => cache.store_failure(now, st.spec.negative_ttl),
        }
        if measured {
            st.bin.lookups += 1;
            st.bin.lookup_ns += p.elapsed.0 as u128;
            st.bin.failures += p.ttl.is_none() as u64;
        }
        if !self.live(p.call, p.tag) {
            return;
        }
        match p.ttl {
            Some(_) => self.name_resolved(p.call, now),
            None => self.complete(p.call, Some(Cause::DnsFailure), now),
        }
    }

    /// The name is resolved: on to the root call's next step.
    fn name_resolved(&mut self, id: u32, now: SimTime) {
        self.calls.get_mut(id).expect("live root").step += 1;
        self.advance(id, now);
    }

    /// `restart_resolver`: every resolver instance is up again, with an
    /// empty CoreDNS cache (`kubectl rollout restart deployment coredns`).
    pub(super) fn restart_resolver(&mut self, target: usize, now: SimTime) {
        let c = &mut self.comps[target];
        for x in &mut c.insts {
            x.up = true;
            x.held = false;
            x.slow = 1.0;
        }
        c.slow = 1.0;
        c.recount_up();
        // Calls a hung resolver had queued (without resolver settings) are served now.
        for inst in 0..self.comps[target].insts.len() {
            self.start_queued(target, inst, now);
        }
        if let Some(r) = self.resolver_of(target as u16) {
            self.dns[r].coredns.iter_mut().for_each(CoreDnsCache::flush);
        }
    }

    /// `switch_resolver`: the clients' resolv.conf lists resolver instance
    /// `to` first (the second in the current order when `None`).
    pub(super) fn switch_resolver(&mut self, target: usize, to: Option<u32>) {
        let Some(r) = self.resolver_of(target as u16) else {
            return;
        };
        let st = &mut self.dns[r];
        let inst = match to {
            Some(i) => i as usize,
            None if st.order.len() > 1 => st.order[1],
            None => return,
        };
        if let Some(pos) = st.order.iter().position(|&x| x == inst) {
            st.order.remove(pos);
            st.resolv.nameservers.remove(pos);
        }
        st.order.insert(0, inst);
        st.resolv
            .nameservers
            .insert(0, st.spec.resolvers[inst].clone());
        st.order.truncate(MAX_NAMESERVERS);
        st.resolv.nameservers.truncate(MAX_NAMESERVERS);
    }

    /// `hosts_override`: the clients' /etc/hosts maps the name from now on.
    pub(super) fn hosts_override(&mut self, target: usize) {
        if let Some(r) = self.resolver_of(target as u16) {
            self.dns[r].hosts_override = true;
        }
    }

    /// Appends this bin's resolver readings, in [`reading_defs`] order.
    pub(super) fn sample_dns(&mut self, now: SimTime, out: &mut Vec<f64>) {
        for st in &mut self.dns {
            let b = std::mem::take(&mut st.bin);
            let width = (now - st.bin_start).as_secs_f64();
            st.bin_start = now;
            let per_s = |x: u64| {
                if width > 0.0 {
                    x as f64 / width
                } else {
                    f64::NAN
                }
            };
            out.push(per_s(b.queries));
            out.push(per_s(b.failures));
            let asked = b.hits + b.misses;
            out.push(if asked > 0 {
                b.hits as f64 / asked as f64
            } else {
                f64::NAN
            });
            out.push(if b.lookups > 0 {
                b.lookup_ns as f64 / b.lookups as f64 / 1e9
            } else {
                f64::NAN
            });
        }
    }

    /// `cat /etc/resolv.conf` and `dig <name>` from a client host at `now`,
    /// then the state of the clients' caches.
    pub(super) fn dns_snapshot(&self, now: SimTime, s: &mut String) {
        for st in &self.dns {
            let model = self.model;
            let comp = &self.comps[st.comp];
            let serving = &model.components[st.comp].serving;
            let rtt = serving.latency.mean() + serving.latency.mean() + serving.service.mean();
            let _ = writeln!(s, "$ cat /etc/resolv.conf");
            s.push_str(&st.resolv.to_text());
            if st.hosts_override {
                let _ = writeln!(s, "$ grep {0} /etc/hosts\n10.0.1.10\t{0}", st.spec.name);
            }
            if let Some(&first) = st.order.first() {
                let ns = &st.resolv.nameservers[0];
                let x = &comp.insts[first];
                let lost = first >= comp.active as usize || !x.up;
                let _ = writeln!(
                    s,
                    "$ ping -c 1 {ns}\n1 packets transmitted, {} received, {}% packet loss",
                    u8::from(!lost),
                    if lost { 100 } else { 0 }
                );
            }
            let _ = writeln!(s, "$ dig {}", st.spec.name);
            // dig queries the name as given (no search walk, dig(1) +nosearch).
            let conf = ResolvConf {
                search: Vec::new(),
                ndots: 0,
                ..st.resolv.clone()
            };
            let mut silent = Vec::new();
            let out = resolve(&conf, &st.spec.name, 0, |pos, _| {
                let inst = st.order[pos];
                let x = &comp.insts[inst];
                if inst >= comp.active as usize || !x.up || x.held {
                    silent.push(pos);
                    (Reply::NoReply, SimTime::ZERO)
                } else {
                    (Reply::Answer, rtt)
                }
            });
            if out.resolved {
                for &pos in &silent {
                    let ns = &st.resolv.nameservers[pos];
                    let _ = writeln!(s, ";; communications error to {ns}#53: timed out");
                }
            }
            match out.server.filter(|_| out.resolved) {
                Some(pos) => {
                    let ns = &st.resolv.nameservers[pos];
                    let left = st.coredns[st.order[pos]].ttl_left(now);
                    let ttl = if left > SimTime::ZERO {
                        left
                    } else {
                        serving.ttl.min(st.spec.cache)
                    };
                    let _ = writeln!(s, ";; ANSWER SECTION:");
                    let _ = writeln!(
                        s,
                        "{}.\t{}\tIN\tA\t10.0.1.10\n",
                        st.spec.name.trim_end_matches('.'),
                        ttl.0 / SimTime::SECOND.0
                    );
                    let _ = writeln!(
                        s,
                        ";; Query time: {} msec",
                        out.rtt.0 / SimTime::MILLISECOND.0
                    );
                    let _ = writeln!(s, ";; SERVER: {ns}#53({ns}) (UDP)");
                }
                None => {
                    let _ = writeln!(s, ";; connection timed out; no servers could be reached");
                }
            }
            let (mut fresh, mut failed) = (0, 0);
            for h in &st.hosts {
                match h.cache.lookup(now) {
                    CacheLookup::Fresh => fresh += 1,
                    CacheLookup::Negative => failed += 1,
                    CacheLookup::Miss => {}
                }
            }
            let _ = writeln!(
                s,
                "client caches: {fresh} of {} hosts hold a fresh answer, {failed} a cached failure; {} lookups in flight",
                st.hosts.len(),
                st.pending.len()
            );
        }
    }
}
