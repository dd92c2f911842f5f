//! A stub resolver's configuration, as `/etc/resolv.conf` gives it, with
//! glibc's defaults and limits (domain reference §8: glibc resolv/resolv.h,
//! resolv.conf(5)), and the per-server wait of glibc's `send_dg`.

use crate::engine::SimTime;

/// glibc `RES_TIMEOUT`: 5 s per try (domain reference §8, resolv/resolv.h).
pub const DEFAULT_TIMEOUT: SimTime = SimTime(5 * SimTime::SECOND.0);
/// glibc `RES_MAXRETRANS`: `timeout` is capped at 30 s (§8).
pub const MAX_TIMEOUT: SimTime = SimTime(30 * SimTime::SECOND.0);
/// glibc `RES_DFLRETRY`: 2 attempts (§8).
pub const DEFAULT_ATTEMPTS: u32 = 2;
/// glibc `RES_MAXRETRY`: at most 5 attempts (§8).
pub const MAX_ATTEMPTS: u32 = 5;
/// glibc's default `ndots` (§8); Kubernetes pods get 5 (§9).
pub const DEFAULT_NDOTS: u32 = 1;
/// glibc's `ndots` cap (§8).
pub const MAX_NDOTS: u32 = 15;
/// glibc `MAXNS`: at most 3 nameservers are used (§8).
pub const MAX_NAMESERVERS: usize = 3;
/// The longest search list Kubernetes accepts with ExpandedDNSConfig (§9).
pub const MAX_SEARCH: usize = 32;

/// The resolver settings of a client host.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvConf {
    /// `nameserver` lines, in order (at most [`MAX_NAMESERVERS`]).
    pub nameservers: Vec<String>,
    /// `options timeout:n`: the base wait for one server.
    pub timeout: SimTime,
    /// `options attempts:n`: rounds over the whole server list.
    pub attempts: u32,
    /// `options rotate`: each query starts at the next server.
    pub rotate: bool,
    /// `options ndots:n`: a name with fewer dots walks the search list first.
    pub ndots: u32,
    /// `search` domains, in order.
    pub search: Vec<String>,
}

impl ResolvConf {
    /// glibc's defaults with these nameservers: timeout 5 s, attempts 2, no
    /// rotation, ndots 1, no search list (§8).
    pub fn glibc_default(nameservers: Vec<String>) -> ResolvConf {
        ResolvConf {
            nameservers,
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
            rotate: false,
            ndots: DEFAULT_NDOTS,
            search: Vec::new(),
        }
    }

    /// How long the stub waits for server `index` (its position in the
    /// nameserver list) before trying the next one. glibc `send_dg`
    /// (resolv/res_send.c, §8): server 0 waits `timeout`; server i > 0 waits
    /// `(timeout << i) / nscount` whole seconds, at least 1 s; so 5 s, 3 s,
    /// 6 s with three servers and 5 s, 5 s with two. The wait does not grow
    /// from one attempt to the next.
    pub fn server_wait(&self, index: usize) -> SimTime {
        let secs = (self.timeout.0 / SimTime::SECOND.0).max(1);
        let n = self.nameservers.len().max(1) as u64;
        let wait = if index == 0 {
            secs
        } else {
            ((secs << index.min(8)) / n).max(1)
        };
        SimTime(wait * SimTime::SECOND.0)
    }

    /// The time a lookup of one name spends when no server answers:
    /// `attempts` rounds of every server's wait (10 s with glibc's defaults
    /// and one server).
    pub fn exhaustion_time(&self) -> SimTime {
        let round: u64 = (0..self.nameservers.len())
            .map(|i| self.server_wait(i).0)
            .sum();
        SimTime(round * self.attempts as u64)
    }

    /// The names the stub queries for `name`, in order, with whether each
    /// is the name as given (`false`: a search suffix was appended). glibc
    /// `__res_context_search` (resolv/res_query.c, §8): a trailing dot means
    /// the name as-is only; a name with at least `ndots` dots is tried as-is
    /// first, then with each suffix; otherwise the suffixes come first and
    /// the name as-is last.
    pub fn candidates(&self, name: &str) -> Vec<(String, bool)> {
        if let Some(abs) = name.strip_suffix('.') {
            return vec![(abs.to_string(), true)];
        }
        let dots = name.matches('.').count() as u32;
        let suffixed = self
            .search
            .iter()
            .map(|d| (format!("{name}.{}", d.trim_end_matches('.')), false));
        if dots >= self.ndots {
            std::iter::once((name.to_string(), true))
                .chain(suffixed)
                .collect()
        } else {
            suffixed
                .chain(std::iter::once((name.to_string(), true)))
                .collect()
        }
    }

    /// The file's text, as `cat /etc/resolv.conf` prints it.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if !self.search.is_empty() {
            s.push_str(&format!("search {}\n", self.search.join(" ")));
        }
        for ns in &self.nameservers {
            s.push_str(&format!("nameserver {ns}\n"));
        }
        let mut opts = Vec::new();
        if self.ndots != DEFAULT_NDOTS {
            opts.push(format!("ndots:{}", self.ndots));
        }
        if self.timeout != DEFAULT_TIMEOUT {
            opts.push(format!("timeout:{}", self.timeout.0 / SimTime::SECOND.0));
        }
        if self.attempts != DEFAULT_ATTEMPTS {
            opts.push(format!("attempts:{}", self.attempts));
        }
        if self.rotate {
            opts.push("rotate".to_string());
        }
        if !opts.is_empty() {
            s.push_str(&format!("options {}\n", opts.join(" ")));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(n: usize) -> ResolvConf {
        ResolvConf::glibc_default((0..n).map(|i| format!("10.0.0.{}", i + 2)).collect())
    }

    #[test]
    fn per_server_waits_follow_send_dg() {
        let s = |c: &ResolvConf, i| c.server_wait(i).0 / SimTime::SECOND.0;
        let three = conf(3);
        assert_eq!((s(&three, 0), s(&three, 1), s(&three, 2)), (5, 3, 6));
        let two = conf(2);
        assert_eq!((s(&two, 0), s(&two, 1)), (5, 5));
        let mut short = conf(3);
        short.timeout = SimTime::SECOND;
        // (1 << 1) / 3 = 0: the 1 s floor.
        assert_eq!(s(&short, 1), 1);
    }

    #[test]
    fn exhaustion_is_attempts_rounds_of_every_wait() {
        assert_eq!(conf(1).exhaustion_time(), SimTime(10 * SimTime::SECOND.0));
        assert_eq!(conf(3).exhaustion_time(), SimTime(28 * SimTime::SECOND.0));
    }

    #[test]
    fn search_walk_order_follows_ndots() {
        let mut c = conf(1);
        c.ndots = 5;
        c.search = vec!["ns.svc.cluster.local".into(), "svc.cluster.local".into()];
        let names: Vec<String> = c
            .candidates("api.example.com")
            .into_iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(
            names,
            [
                "api.example.com.ns.svc.cluster.local",
                "api.example.com.svc.cluster.local",
                "api.example.com"
            ]
        );
        assert_eq!(c.candidates("api.example.com.").len(), 1);
        c.ndots = 2;
        assert_eq!(
            c.candidates("api.example.com")[0],
            ("api.example.com".into(), true)
        );
    }

    #[test]
    fn text_is_a_resolv_conf() {
        let mut c = conf(2);
        c.ndots = 5;
        c.search = vec!["svc.cluster.local".into()];
        assert_eq!(
            c.to_text(),
            "search svc.cluster.local\nnameserver 10.0.0.2\nnameserver 10.0.0.3\noptions ndots:5\n"
        );
    }
}
