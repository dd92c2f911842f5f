//! One Redis node's key space: which keys are present, their memory, their
//! LRU clock or LFU counter, their expiry, and the `INFO` counters.
//!
//! **Representation: exact keys in flat arrays.** Keys are ids `0..n` (the
//! popularity rank). Per key we keep one record of four `u32`: its index
//! in the dense list of present keys (or absent), its index in the list of
//! keys with a TTL, its expiry \[ms\], and one word packing the 24-bit
//! LRU/LFU field (as Redis packs it in `robj.lru`) with its charged size
//! as a one-byte size-class code ([`memory::charge_code`]): 16 B per key,
//! 16 MB for 10^6 keys, 160 MB for 10^7 (the reader caps a key space at
//! [`MAX_KEYS`]). Every command is O(1):
//! an array lookup, and for eviction `maxmemory-samples` uniform draws from
//! the dense list into the 16-entry pool. `benches/cache.rs` measures the
//! operations per second. A scaled sample of the key space would be smaller
//! but would change the eviction pool's statistics (its sample is drawn from
//! the whole key space), so we keep the keys exact.
//!
//! What Redis does that we follow (domain.md §6): eviction runs before every
//! command while used memory is above `maxmemory` (processCommand ->
//! performEvictions, src/server.c), so a write may take memory past the
//! limit until the next command; when nothing can be evicted, deny-oom
//! commands (SET) fail with `-OOM` while reads and DEL work. LRU and LFU
//! candidates are sampled `maxmemory-samples` at a time into a pool of 16
//! sorted by idle score, and the best one still present is evicted
//! (evictionPoolPopulate, src/evict.c). The LRU clock ticks once a second
//! (LRU_CLOCK_RESOLUTION 1000 ms); the LFU counter is the 8-bit logarithmic
//! counter with `lfu-log-factor` and minute-based decay (LFULogIncr,
//! LFUDecrAndReturn). Expired keys go lazily on access and in the active
//! cycle (`hz` 10, 20 keys per loop, again while over 10% were stale).
//!
//! Simplifications, stated: sampling draws uniformly with replacement (Redis's
//! dictGetSomeKeys walks consecutive buckets); the eviction time limit
//! (tenacity) and the active cycle's CPU budget are iteration caps, not time.
//! Memory is charged as Redis 7 on jemalloc counts it ([`super::memory`]):
//! per key its value, name and dict entry, an expires entry while it has a
//! TTL, and the two dicts' bucket arrays; the node's baseline (about
//! 0.9 MB empty) is left out of `used_memory`.

use rand::{Rng, RngExt};

use super::memory;
use super::policy::{
    EVPOOL_SIZE, EXPIRE_ACCEPTABLE_STALE, EXPIRE_KEYS_PER_LOOP, EvictionPolicy, HZ, LFU_INIT_VAL,
    Rank, RedisConfig,
};
use crate::engine::SimTime;

/// The largest key space a model may declare (160 MB of per-key state).
pub const MAX_KEYS: u32 = 10_000_000;

/// The 24-bit LRU clock's largest value (LRU_CLOCK_MAX, src/server.h).
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
const ABSENT: u32 = u32::MAX;
const NO_EXPIRY: u32 = u32::MAX;
/// Loops one active-expiry cycle may run: stands for its CPU budget (25% of
/// the 100 ms between cycles; about 10 us per 20-key loop, src/expire.c).
const EXPIRE_MAX_LOOPS: usize = 2_500;
/// Overdue active-expiry cycles run at once after a quiet spell.
const EXPIRE_MAX_CATCH_UP: u32 = 10;
/// Eviction candidates drawn before their keys are looked up.
const SAMPLE_BATCH: usize = 16;
const EXPIRE_PERIOD: SimTime = SimTime(SimTime::SECOND.0 / HZ);

/// A deny-oom command refused: `-OOM command not allowed when used memory >
/// 'maxmemory'.` (src/server.c, shared.oomerr).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Oom;

/// The counters `INFO stats` reports (cumulative).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// `keyspace_hits`.
    pub hits: u64,
    /// `keyspace_misses`.
    pub misses: u64,
    /// `evicted_keys`.
    pub evicted: u64,
    /// `expired_keys`.
    pub expired: u64,
    /// Writes refused with `-OOM` (part of `total_error_replies`).
    pub oom_rejected: u64,
}

/// The eviction candidate pool: up to 16 (score, key), ascending by score.
#[derive(Clone, Debug, Default)]
struct Pool {
    entries: [(u64, u32); EVPOOL_SIZE],
    len: usize,
}

impl Pool {
    /// Inserts as evictionPoolPopulate does: a full pool drops its worst
    /// candidate to make room, and ignores one worse than all it holds.
    fn insert(&mut self, score: u64, key: u32) {
        let mut k = 0;
        while k < self.len && self.entries[k].0 < score {
            k += 1;
        }
        if k == 0 && self.len == EVPOOL_SIZE {
            return;
        }
        if self.len < EVPOOL_SIZE {
            self.entries.copy_within(k..self.len, k + 1);
            self.entries[k] = (score, key);
            self.len += 1;
        } else {
            self.entries.copy_within(1..k, 0);
            self.entries[k - 1] = (score, key);
        }
    }

    /// Removes and returns the best candidate (highest score).
    fn pop_best(&mut self) -> Option<u32> {
        self.len = self.len.checked_sub(1)?;
        Some(self.entries[self.len].1)
    }
}

/// A key's state on a node, as [`Keyspace::entries`] exports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The key's id on the node it came from.
    pub key: u32,
    /// Its charge code and LRU/LFU field, packed as in [`KeyState`].
    word: u32,
    expire: u32,
}

/// The 24 bits of `KeyState::word` holding the LRU/LFU field.
const META_MASK: u32 = LRU_CLOCK_MAX;

/// One key's state on a node: 16 B.
#[derive(Clone, Copy, Debug)]
struct KeyState {
    /// Index in `present`, or ABSENT.
    slot: u32,
    /// With a TTL: index in `volatile`, else ABSENT.
    vslot: u32,
    /// Expiry \[ms since the start\], or NO_EXPIRY.
    expire: u32,
    /// Bits 0-23: the LRU clock \[s\] or LFU field (minutes << 8 |
    /// counter), as Redis packs them in `robj.lru`; bits 24-31: the bytes
    /// charged while present (value, name, dict entry) as a
    /// [`memory::charge_code`].
    word: u32,
}

impl KeyState {
    const ABSENT: KeyState = KeyState {
        slot: ABSENT,
        vslot: ABSENT,
        expire: NO_EXPIRY,
        word: 0,
    };

    /// The LRU/LFU field.
    fn meta(&self) -> u32 {
        self.word & META_MASK
    }

    fn set_meta(&mut self, meta: u32) {
        self.word = (self.word & !META_MASK) | meta;
    }

    /// Bytes charged while present (capped at 4 GiB - 1).
    fn charge(&self) -> u64 {
        memory::charge_of((self.word >> 24) as u8).min(u32::MAX as u64)
    }
}

/// One Redis node's key space.
#[derive(Clone, Debug)]
pub struct Keyspace {
    cfg: RedisConfig,
    /// Per key, its state in one 16-B record (a command touches one
    /// cache line, not four).
    keys: Vec<KeyState>,
    /// Present keys, dense (the dict that eviction samples).
    present: Vec<u32>,
    /// Present keys with a TTL, dense (the expires dict).
    volatile: Vec<u32>,
    pool: Pool,
    /// Sum of `size` over the present keys.
    used: u64,
    /// Buckets of the main dict and of the expires dict.
    buckets: u64,
    expires_buckets: u64,
    next_expire_cycle: SimTime,
    stats: Stats,
}

impl Keyspace {
    /// An empty node for keys `0..keys`.
    pub fn new(cfg: RedisConfig, keys: u32) -> Keyspace {
        let n = keys as usize;
        Keyspace {
            cfg,
            keys: vec![KeyState::ABSENT; n],
            present: Vec::new(),
            volatile: Vec::new(),
            pool: Pool::default(),
            used: 0,
            buckets: 0,
            expires_buckets: 0,
            next_expire_cycle: SimTime::ZERO,
            stats: Stats::default(),
        }
    }

    /// The current configuration.
    pub fn config(&self) -> &RedisConfig {
        &self.cfg
    }

    /// `CONFIG SET maxmemory` \[bytes\]; takes effect at the next command.
    pub fn set_maxmemory(&mut self, bytes: u64) {
        self.cfg.maxmemory = bytes;
    }

    /// `CONFIG SET maxmemory-policy`. Switching between the LRU and LFU
    /// families restarts every key's field (LRU: now; LFU: the initial
    /// counter), since the other family's value means nothing to it.
    pub fn set_policy(&mut self, policy: EvictionPolicy, now: SimTime) {
        let reset = policy.uses_lfu() != self.cfg.policy.uses_lfu();
        self.cfg.policy = policy;
        self.pool = Pool::default();
        if reset {
            for i in 0..self.present.len() {
                let k = self.present[i] as usize;
                let meta = self.fresh_meta(now);
                self.keys[k].set_meta(meta);
            }
        }
    }

    /// `used_memory` \[bytes\]: the keys, their expires entries and the
    /// two dicts' tables.
    pub fn used_memory(&self) -> u64 {
        self.used
            + self.volatile.len() as u64 * memory::DICT_ENTRY
            + memory::table_bytes(self.buckets + self.expires_buckets)
    }

    /// Resizes the dicts' tables to their key counts, as Redis does.
    fn fit_tables(&mut self) {
        self.buckets = memory::buckets_for(self.buckets, self.present.len() as u64);
        self.expires_buckets =
            memory::buckets_for(self.expires_buckets, self.volatile.len() as u64);
    }

    /// Keys present (`DBSIZE`).
    pub fn len(&self) -> usize {
        self.present.len()
    }

    /// Whether no key is present.
    pub fn is_empty(&self) -> bool {
        self.present.is_empty()
    }

    /// Keys present with a TTL (`expires=` of `INFO keyspace`).
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// The counters since the node started.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Whether `key` is present (expired or not).
    pub fn contains(&self, key: u32) -> bool {
        self.keys[key as usize].slot != ABSENT
    }

    /// `PTTL key` as a time: what is left before present `key` expires;
    /// `None` when it is absent or has no TTL (zero once due).
    pub fn ttl_left(&self, key: u32, now: SimTime) -> Option<SimTime> {
        let at = self.keys[key as usize].expire;
        (self.contains(key) && at != NO_EXPIRY)
            .then(|| SimTime((at as u64 * SimTime::MILLISECOND.0).saturating_sub(now.0)))
    }

    /// `GET key`: a hit or a miss. An expired key is deleted and misses.
    pub fn get<R: Rng + ?Sized>(&mut self, key: u32, now: SimTime, rng: &mut R) -> bool {
        self.before_command(now, rng);
        if !self.contains(key) || self.expire_if_due(key, now) {
            self.stats.misses += 1;
            return false;
        }
        self.stats.hits += 1;
        self.touch(key, now, rng);
        true
    }

    /// `SET key value [EX ttl]` with a value of `bytes`; `Err(Oom)` when
    /// used memory is over `maxmemory` and nothing can be evicted.
    pub fn set<R: Rng + ?Sized>(
        &mut self,
        key: u32,
        bytes: u32,
        ttl: Option<SimTime>,
        now: SimTime,
        rng: &mut R,
    ) -> Result<(), Oom> {
        if !self.before_command(now, rng) {
            self.stats.oom_rejected += 1;
            return Err(Oom);
        }
        let k = key as usize;
        let code = memory::charge_code(bytes);
        if self.contains(key) && !self.expire_if_due(key, now) {
            self.used -= self.keys[k].charge();
            // An overwrite keeps the LFU counter (dbSetValue) and restarts
            // the LRU clock (a new object).
            let meta = if self.cfg.policy.uses_lfu() {
                self.keys[k].meta()
            } else {
                self.fresh_meta(now)
            };
            self.keys[k].word = (code as u32) << 24 | meta;
        } else {
            self.keys[k].slot = self.present.len() as u32;
            self.present.push(key);
            self.keys[k].word = (code as u32) << 24 | self.fresh_meta(now);
        }
        self.used += self.keys[k].charge();
        match ttl {
            Some(t) => {
                let at = (now + t).0 / SimTime::MILLISECOND.0;
                self.keys[k].expire = at.min(NO_EXPIRY as u64 - 1) as u32;
                if self.keys[k].vslot == ABSENT {
                    self.keys[k].vslot = self.volatile.len() as u32;
                    self.volatile.push(key);
                }
            }
            None => self.persist(key),
        }
        self.fit_tables();
        Ok(())
    }

    /// `DEL key` (allowed when out of memory); whether it was present.
    pub fn del<R: Rng + ?Sized>(&mut self, key: u32, now: SimTime, rng: &mut R) -> bool {
        self.before_command(now, rng);
        let was = self.contains(key) && !self.expire_if_due(key, now);
        if was {
            self.remove(key);
        }
        was
    }

    /// `FLUSHALL`: every key gone, counters kept.
    pub fn flush(&mut self) {
        for &k in &self.present {
            self.keys[k as usize].slot = ABSENT;
        }
        for &k in &self.volatile {
            self.keys[k as usize].vslot = ABSENT;
            self.keys[k as usize].expire = NO_EXPIRY;
        }
        self.present.clear();
        self.volatile.clear();
        self.pool = Pool::default();
        self.used = 0;
        self.buckets = 0;
        self.expires_buckets = 0;
    }

    /// Removes every key for which `lost` holds (a shard of a cluster that
    /// restarted empty); returns how many went.
    pub fn remove_where(&mut self, lost: impl Fn(u32) -> bool) -> usize {
        let victims: Vec<u32> = self.present.iter().copied().filter(|&k| lost(k)).collect();
        for &k in &victims {
            self.remove(k);
        }
        victims.len()
    }

    /// Every present key with its state, to move it to another node (a
    /// cluster's resharding migrates keys with their TTL and idle time).
    pub fn entries(&self) -> Vec<Entry> {
        self.present
            .iter()
            .map(|&k| {
                let i = k as usize;
                Entry {
                    key: k,
                    word: self.keys[i].word,
                    expire: self.keys[i].expire,
                }
            })
            .collect()
    }

    /// Adds a key moved from another node as `key` here (absent before);
    /// eviction, if it is now over `maxmemory`, runs at the next command.
    pub fn insert_entry(&mut self, key: u32, e: &Entry) {
        let k = key as usize;
        debug_assert!(!self.contains(key));
        self.keys[k].slot = self.present.len() as u32;
        self.present.push(key);
        self.keys[k].word = e.word;
        self.used += self.keys[k].charge();
        self.keys[k].expire = e.expire;
        if e.expire != NO_EXPIRY {
            self.keys[k].vslot = self.volatile.len() as u32;
            self.volatile.push(key);
        }
        self.fit_tables();
    }

    /// Runs the active expiry cycles due by `now` (the node's timer), and
    /// evicts if over `maxmemory`; for a node that sees no commands.
    pub fn tick<R: Rng + ?Sized>(&mut self, now: SimTime, rng: &mut R) {
        self.before_command(now, rng);
    }

    /// What happens before any command runs: due expiry cycles, then
    /// eviction down to `maxmemory`. False when memory stays over the limit.
    fn before_command<R: Rng + ?Sized>(&mut self, now: SimTime, rng: &mut R) -> bool {
        if now >= self.next_expire_cycle {
            self.active_expire(now, rng);
        }
        self.perform_evictions(now, rng)
    }

    fn fresh_meta(&self, now: SimTime) -> u32 {
        if self.cfg.policy.uses_lfu() {
            (minutes(now) as u32) << 8 | LFU_INIT_VAL as u32
        } else {
            lru_clock(now)
        }
    }

    /// Records an access: LRU clock now, or LFU decay then log increment.
    fn touch<R: Rng + ?Sized>(&mut self, key: u32, now: SimTime, rng: &mut R) {
        let k = key as usize;
        let meta = if self.cfg.policy.uses_lfu() {
            let c = self.lfu_decayed(key, now);
            let c = lfu_log_incr(c, self.cfg.lfu_log_factor, rng.random::<f64>());
            (minutes(now) as u32) << 8 | c as u32
        } else {
            lru_clock(now)
        };
        self.keys[k].set_meta(meta);
    }

    /// The LFU counter after decay (LFUDecrAndReturn): one less per
    /// `lfu-decay-time` minutes since the last access.
    fn lfu_decayed(&self, key: u32, now: SimTime) -> u8 {
        let m = self.keys[key as usize].meta();
        let counter = (m & 0xff) as u8;
        if self.cfg.lfu_decay_time == 0 {
            return counter;
        }
        let elapsed = minutes(now).wrapping_sub((m >> 8) as u16) as u32;
        let periods = elapsed / self.cfg.lfu_decay_time;
        counter.saturating_sub(periods.min(255) as u8)
    }

    /// Deletes `key` if its TTL has passed (counted in `expired_keys`).
    fn expire_if_due(&mut self, key: u32, now: SimTime) -> bool {
        let at = self.keys[key as usize].expire;
        if at != NO_EXPIRY && (at as u64) * SimTime::MILLISECOND.0 <= now.0 {
            self.remove(key);
            self.stats.expired += 1;
            return true;
        }
        false
    }

    fn persist(&mut self, key: u32) {
        let k = key as usize;
        let v = self.keys[k].vslot;
        if v != ABSENT {
            let last = self.volatile.pop().expect("non-empty");
            if last != key {
                self.volatile[v as usize] = last;
                self.keys[last as usize].vslot = v;
            }
            self.keys[k].vslot = ABSENT;
        }
        self.keys[k].expire = NO_EXPIRY;
    }

    fn remove(&mut self, key: u32) {
        let k = key as usize;
        let s = self.keys[k].slot;
        debug_assert_ne!(s, ABSENT);
        let last = self.present.pop().expect("non-empty");
        if last != key {
            self.present[s as usize] = last;
            self.keys[last as usize].slot = s;
        }
        self.keys[k].slot = ABSENT;
        self.used -= self.keys[k].charge();
        self.persist(key);
        self.fit_tables();
    }

    /// performEvictions: evicts until used memory is within `maxmemory`;
    /// false when over it with nothing evictable.
    fn perform_evictions<R: Rng + ?Sized>(&mut self, now: SimTime, rng: &mut R) -> bool {
        let max = self.cfg.maxmemory;
        if max == 0 || self.used_memory() <= max {
            return true;
        }
        let Some(rank) = self.cfg.policy.rank() else {
            return false;
        };
        while self.used_memory() > max {
            match self.pick_victim(rank, now, rng) {
                Some(k) => {
                    self.remove(k);
                    self.stats.evicted += 1;
                }
                None => return false,
            }
        }
        true
    }

    fn candidates(&self) -> &[u32] {
        if self.cfg.policy.volatile_only() {
            &self.volatile
        } else {
            &self.present
        }
    }

    fn pick_victim<R: Rng + ?Sized>(
        &mut self,
        rank: Rank,
        now: SimTime,
        rng: &mut R,
    ) -> Option<u32> {
        let volatile = self.cfg.policy.volatile_only();
        loop {
            let n = self.candidates().len();
            if n == 0 {
                return None;
            }
            if rank == Rank::Random {
                return Some(self.candidates()[rng.random_range(0..n)]);
            }
            let mut left = self.cfg.samples.max(1) as usize;
            while left > 0 {
                // Draw a batch, then look its keys up: the lookups (cache
                // misses in a large key space) overlap instead of waiting
                // on each other behind the pool's branches. The draws are
                // the same, in the same order.
                let m = left.min(SAMPLE_BATCH);
                left -= m;
                let mut batch = [0u32; SAMPLE_BATCH];
                for b in &mut batch[..m] {
                    *b = rng.random_range(0..n) as u32;
                }
                let cands = self.candidates();
                for b in &mut batch[..m] {
                    *b = cands[*b as usize];
                }
                let mut scores = [0u64; SAMPLE_BATCH];
                for (sc, &key) in scores.iter_mut().zip(&batch[..m]) {
                    *sc = self.score(rank, key, now);
                }
                for (&sc, &key) in scores.iter().zip(&batch[..m]) {
                    self.pool.insert(sc, key);
                }
            }
            // The best pooled key still in the dict it was sampled from
            // (a pooled key may have been deleted since).
            while let Some(k) = self.pool.pop_best() {
                let alive = if volatile {
                    self.keys[k as usize].vslot != ABSENT
                } else {
                    self.contains(k)
                };
                if alive {
                    return Some(k);
                }
            }
        }
    }

    /// The pool's score: higher is evicted first.
    fn score(&self, rank: Rank, key: u32, now: SimTime) -> u64 {
        match rank {
            Rank::Lru => {
                let (c, l) = (lru_clock(now), self.keys[key as usize].meta());
                let idle = if c >= l { c - l } else { LRU_CLOCK_MAX - l + c };
                idle as u64
            }
            Rank::Lfu => 255 - self.lfu_decayed(key, now) as u64,
            Rank::Ttl => u64::MAX - self.keys[key as usize].expire as u64,
            Rank::Random => 0,
        }
    }

    /// activeExpireCycle for each cycle due by `now`.
    fn active_expire<R: Rng + ?Sized>(&mut self, now: SimTime, rng: &mut R) {
        let mut cycles = 0;
        while self.next_expire_cycle <= now {
            cycles += 1;
            if cycles > EXPIRE_MAX_CATCH_UP {
                self.next_expire_cycle = now + EXPIRE_PERIOD;
                break;
            }
            // Overdue cycles run now, seeing the keys as they are now.
            self.expire_cycle(now, rng);
            self.next_expire_cycle += EXPIRE_PERIOD;
        }
    }

    fn expire_cycle<R: Rng + ?Sized>(&mut self, now: SimTime, rng: &mut R) {
        for _ in 0..EXPIRE_MAX_LOOPS {
            let mut sampled = 0;
            let mut expired = 0;
            for _ in 0..EXPIRE_KEYS_PER_LOOP {
                if self.volatile.is_empty() {
                    break;
                }
                let key = self.volatile[rng.random_range(0..self.volatile.len())];
                sampled += 1;
                if self.expire_if_due(key, now) {
                    expired += 1;
                }
            }
            if sampled == 0 || (expired as f64) <= EXPIRE_ACCEPTABLE_STALE * sampled as f64 {
                return;
            }
        }
    }
}

/// The LRU clock at `now` \[s, 24 bits\] (LRU_CLOCK_RESOLUTION 1000 ms).
fn lru_clock(now: SimTime) -> u32 {
    ((now.0 / SimTime::SECOND.0) as u32) & LRU_CLOCK_MAX
}

/// Minutes on the 16-bit LFU decay clock (LFUGetTimeInMinutes).
fn minutes(now: SimTime) -> u16 {
    (now.0 / SimTime::MINUTE.0) as u16
}

/// LFULogIncr (src/evict.c): the counter grows with probability
/// 1 / ((counter - LFU_INIT_VAL) * lfu_log_factor + 1); `r` uniform in \[0, 1).
pub fn lfu_log_incr(counter: u8, log_factor: u32, r: f64) -> u8 {
    if counter == 255 {
        return 255;
    }
    let base = (counter as f64 - LFU_INIT_VAL as f64).max(0.0);
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if r < p { counter + 1 } else { counter }
}

#[cfg(test)]
mod tests;
