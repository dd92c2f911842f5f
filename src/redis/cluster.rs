//! Redis Cluster's key distribution: 16384 hash slots, the slot of a key
//! (CRC16 of the key, or of its hash tag), the slot ranges each shard owns,
//! and the map from resim's key ids to (shard, id within the shard).
//!
//! The rules (Redis Cluster specification, "Keys distribution model";
//! src/cluster.c keyHashSlot): `HASH_SLOT = CRC16(key) mod 16384`, with
//! CRC16 the XMODEM variant (polynomial 0x1021, initial value 0, no
//! reflection; CRC16 of "123456789" is 0x31C3). When the key contains a
//! `{` followed later by a `}` with at least one byte between them, only
//! the bytes between the first `{` and the first `}` after it are hashed
//! (a hash tag), so `{user1000}.following` and `{user1000}.followers`
//! share a slot.
//!
//! Key names: resim's key `k` is named `key:NNNNNNNN` (k in 8 digits, the
//! 12 bytes [`super::memory::KEY_NAME_BYTES`] charges); a key carrying the
//! model's hash tag is named `{hot}:NNNNNNNN` and so lives in the tag's
//! slot. Slots go to shards in contiguous ranges as `redis-cli --cluster
//! create` assigns them ([`slot_ranges`]).

use std::sync::Arc;

/// Hash slots of a Redis Cluster (CLUSTER_SLOTS).
pub const SLOTS: u16 = 16384;

/// The hash tag shared by the model's tagged keys.
pub const HOT_TAG: &str = "hot";

/// CRC16/XMODEM (polynomial 0x1021, init 0), as src/crc16.c computes it.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The hash slot of `key` (keyHashSlot): CRC16 of the key, or of its hash
/// tag when it has a non-empty one, modulo 16384.
pub fn hash_slot(key: &[u8]) -> u16 {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) & (SLOTS - 1)
}

/// The slot ranges `redis-cli --cluster create` gives `shards` masters:
/// shard i owns `ranges[i].0 ..= ranges[i].1` (clusterManagerCommandCreate:
/// 16384 / n slots each, the boundaries rounded, the last shard up to
/// 16383). Three shards: 0-5460, 5461-10922, 10923-16383.
pub fn slot_ranges(shards: u16) -> Vec<(u16, u16)> {
    let n = shards.clamp(1, SLOTS);
    let per = SLOTS as f32 / n as f32;
    let (mut first, mut cursor) = (0i64, 0.0f32);
    (0..n)
        .map(|i| {
            let mut last = (cursor + per - 1.0).round() as i64;
            if last > SLOTS as i64 || i == n - 1 {
                last = SLOTS as i64 - 1;
            }
            last = last.max(first);
            let r = (first as u16, last as u16);
            first = last + 1;
            cursor += per;
            r
        })
        .collect()
}

/// The shard owning each slot, from [`slot_ranges`].
fn shard_of_slots(shards: u16) -> Vec<u16> {
    let mut owner = vec![0u16; SLOTS as usize];
    for (i, &(a, b)) in slot_ranges(shards).iter().enumerate() {
        owner[a as usize..=b as usize].fill(i as u16);
    }
    owner
}

/// Whether key `k` carries the hash tag: a fixed `share` of the keys,
/// chosen by a hash of the id (so the same keys in every trial).
pub fn is_tagged(k: u32, share: f64) -> bool {
    if share <= 0.0 {
        return false;
    }
    // A different multiplier from the TTL share's, so the two are independent.
    let h = (k as u64 + 1).wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 11;
    (h as f64) / ((1u64 << 53) as f64) < share
}

/// The name of key `k`: `key:NNNNNNNN`, or `{hot}:NNNNNNNN` when tagged.
pub fn key_name(k: u32, tagged: bool) -> String {
    if tagged {
        format!("{{{HOT_TAG}}}:{k:08}")
    } else {
        format!("key:{k:08}")
    }
}

/// The slot of every key id `0..n`, with `tag_share` of them tagged.
pub fn key_slots(n: u32, tag_share: f64) -> Vec<u16> {
    let tag_slot = hash_slot(key_name(0, true).as_bytes());
    let mut name = *b"key:00000000";
    (0..n)
        .map(|k| {
            if is_tagged(k, tag_share) {
                return tag_slot;
            }
            let mut x = k;
            for d in name[4..].iter_mut().rev() {
                *d = b'0' + (x % 10) as u8;
                x /= 10;
            }
            hash_slot(&name)
        })
        .collect()
}

/// Where each key id lives in a cluster of some number of shards: its
/// shard, and its id among that shard's keys (each shard's key space holds
/// only its own keys).
#[derive(Clone, Debug)]
pub struct ShardMap {
    /// Per key id: its shard.
    pub shard: Vec<u16>,
    /// Per key id: its id within the shard's key space.
    pub local: Vec<u32>,
    /// Per shard: its key ids in local order (local id -> key id).
    pub keys: Vec<Vec<u32>>,
}

impl ShardMap {
    /// Spreads the keys whose slots are `slots` over `shards` shards.
    pub fn new(slots: &[u16], shards: u16) -> ShardMap {
        let owner = shard_of_slots(shards);
        let mut keys = vec![Vec::new(); shards.max(1) as usize];
        let mut shard = Vec::with_capacity(slots.len());
        let mut local = Vec::with_capacity(slots.len());
        for (k, &s) in slots.iter().enumerate() {
            let sh = owner[s as usize];
            shard.push(sh);
            local.push(keys[sh as usize].len() as u32);
            keys[sh as usize].push(k as u32);
        }
        ShardMap { shard, local, keys }
    }

    /// Shards in the map.
    pub fn shards(&self) -> usize {
        self.keys.len()
    }
}

/// The slots of a key space's keys, computed once and shared by every
/// trial (3 million keys take ~50 ms of CRC16).
pub type KeySlots = Arc<Vec<u16>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_is_xmodem_as_the_specification_gives_it() {
        // The Redis Cluster specification, appendix A: "123456789" -> 0x31C3.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(crc16(b""), 0);
    }

    #[test]
    fn known_keys_land_in_their_documented_slots() {
        // `CLUSTER KEYSLOT foo` is 12182 (the CLUSTER KEYSLOT docs); the
        // redis-cli cluster tutorial's keys: foo 12182, hello 866.
        assert_eq!(hash_slot(b"foo"), 12182);
        assert_eq!(hash_slot(b"hello"), 866);
        // The CLUSTER KEYSLOT docs: somekey 11058, foo{hash_tag} 2515.
        assert_eq!(hash_slot(b"somekey"), 11058);
        assert_eq!(hash_slot(b"foo{hash_tag}"), 2515);
        assert_eq!(hash_slot(b"123456789"), 0x31C3 & 16383);
    }

    #[test]
    fn hash_tags_hash_only_the_tag() {
        let a = hash_slot(b"{user1000}.following");
        assert_eq!(a, hash_slot(b"{user1000}.followers"));
        assert_eq!(a, hash_slot(b"user1000"));
        // The first '{' and the first '}' after it: "bar" is hashed.
        assert_eq!(hash_slot(b"foo{bar}{zap}"), hash_slot(b"bar"));
        // "{}" is empty: the whole key is hashed.
        assert_eq!(hash_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") & 16383);
        // "{{bar}}": the tag is "{bar".
        assert_eq!(hash_slot(b"foo{{bar}}zap"), hash_slot(b"{bar"));
        // No closing brace: the whole key.
        assert_eq!(hash_slot(b"{abc"), crc16(b"{abc") & 16383);
    }

    #[test]
    fn slot_ranges_are_redis_cli_s() {
        assert_eq!(
            slot_ranges(3),
            vec![(0, 5460), (5461, 10922), (10923, 16383)]
        );
        assert_eq!(slot_ranges(1), vec![(0, 16383)]);
        for n in [2u16, 5, 7, 100, 16384] {
            let r = slot_ranges(n);
            assert_eq!(r.len(), n as usize);
            assert_eq!(r[0].0, 0);
            assert_eq!(r[n as usize - 1].1, 16383);
            assert!(r.windows(2).all(|w| w[1].0 == w[0].1 + 1), "{n}");
        }
    }

    #[test]
    fn key_slots_follow_the_names_and_the_tag() {
        let slots = key_slots(1000, 0.0);
        assert_eq!(slots[7], hash_slot(b"key:00000007"));
        assert_eq!(slots[999], hash_slot(b"key:00000999"));
        let tagged = key_slots(100_000, 0.3);
        let hot = hash_slot(b"{hot}");
        let share = tagged.iter().filter(|&&s| s == hot).count() as f64 / 1e5;
        // The tagged 30% plus the untagged keys that hash there (1/16384).
        assert!((share - 0.3).abs() < 0.006, "{share}");
        assert_eq!(key_name(12, true), "{hot}:00000012");
    }

    #[test]
    fn a_shard_map_splits_keys_evenly_without_tags_and_unevenly_with() {
        let m = ShardMap::new(&key_slots(300_000, 0.0), 3);
        for keys in &m.keys {
            // CRC16 spreads names evenly: within 4σ of 100,000.
            assert!(
                (keys.len() as f64 - 1e5).abs() < 4.0 * 258.0,
                "{}",
                keys.len()
            );
        }
        for k in [0u32, 123, 299_999] {
            let (s, l) = (m.shard[k as usize], m.local[k as usize]);
            assert_eq!(m.keys[s as usize][l as usize], k);
        }
        let hot = ShardMap::new(&key_slots(300_000, 0.4), 3);
        let max = hot.keys.iter().map(Vec::len).max().unwrap();
        // 40% tagged plus a third of the other 60%: 60% on one shard.
        assert!((max as f64 / 3e5 - 0.6).abs() < 0.01, "{max}");
    }
}
