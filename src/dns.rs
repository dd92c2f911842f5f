//! Name resolution as it really behaves, as pure state machines with the
//! real defaults (domain reference §8 and §9): the stub resolver's
//! resolv.conf (nameservers in order, `timeout`, `attempts`, `rotate`,
//! `ndots` and the search list) and the time a lookup spends when servers
//! do not answer ([`resolv`], [`lookup`]); the client-side cache of answers
//! and of failures ([`cache`]); CoreDNS's own answer cache ([`coredns`]).
//! The drill drives them from `drill/dns.rs`.

pub mod cache;
pub mod coredns;
pub mod lookup;
pub mod resolv;

pub use cache::{AnswerCache, CacheLookup};
pub use coredns::CoreDnsCache;
pub use lookup::{Outcome, Reply, resolve};
pub use resolv::ResolvConf;
