//! Seeded random streams.
//!
//! One generator is named here and nowhere else. A trial's seed depends only
//! on (master seed, trial index); inside a trial each (entity, purpose) pair
//! draws from its own stream, so adding a replica does not shift the arrival
//! times or another component's failures (common random numbers).

use rand::SeedableRng;

/// The generator every simulation uses: PCG-64 with a 128-bit MCG state
/// (`rand_pcg::Pcg64Mcg`), a fixed, documented algorithm that will not change
/// between crate versions the way `StdRng` may.
pub type SimRng = rand_pcg::Pcg64Mcg;

/// What a stream is used for; part of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u32)]
pub enum Purpose {
    /// Times to failure.
    Failure = 1,
    /// Times to repair.
    Repair = 2,
    /// Request arrivals.
    Arrivals = 3,
    /// Service times.
    Service = 4,
    /// Routing and other choices (backend pick, read/write mix).
    Routing = 5,
    /// Network latency.
    Network = 6,
    /// Cache keys.
    Keys = 7,
    /// Failover times.
    Failover = 8,
    /// Anything else a component needs.
    Misc = 9,
}

/// SplitMix64's finaliser: a bijective 64-bit mixer with good avalanche.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of trial `index` of a run with `master` seed.
pub fn trial_seed(master: u64, index: u64) -> u64 {
    mix64(mix64(master) ^ mix64(index.wrapping_add(0x5EED)))
}

/// The stream for `(entity, purpose)` inside the trial with `trial_seed`.
///
/// `entity` is any stable index the caller owns (a component index, or a
/// component index combined with an instance index by [`entity_key`]).
pub fn stream(trial_seed: u64, entity: u64, purpose: Purpose) -> SimRng {
    let a = mix64(trial_seed ^ mix64(entity.wrapping_mul(0xA24B_AED4_963E_E407)));
    let b = mix64(a ^ mix64((purpose as u64).wrapping_mul(0x9FB2_1C65_1E98_DF25)));
    let seed = ((a as u128) << 64) | (b as u128);
    SimRng::from_seed(seed.to_le_bytes())
}

/// A stable entity key for instance `instance` of component `component`.
pub fn entity_key(component: usize, instance: usize) -> u64 {
    ((component as u64) << 32) | instance as u64
}

/// A stable entity key from a name (a component or group id) and an instance
/// index. Keys by name, not position, so two designs that share a component
/// draw its failures from the same stream (common random numbers), even when
/// other components were added or reordered.
pub fn named_key(name: &str, instance: u32) -> u64 {
    // FNV-1a over the bytes: fixed, simple, portable.
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    mix64(h) ^ instance as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let mut a = stream(7, 1, Purpose::Failure);
        let mut b = stream(7, 1, Purpose::Failure);
        let mut c = stream(7, 1, Purpose::Repair);
        let mut d = stream(7, 2, Purpose::Failure);
        let (x, y, z, w): (u64, u64, u64, u64) = (a.random(), b.random(), c.random(), d.random());
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert_ne!(x, w);
    }

    /// Golden values: if these change, every published result changes too.
    #[test]
    fn generator_has_not_drifted() {
        let mut r = stream(trial_seed(42, 0), 0, Purpose::Arrivals);
        let v: u64 = r.random();
        let mut r2 = stream(trial_seed(42, 0), 0, Purpose::Arrivals);
        assert_eq!(v, r2.random::<u64>());
        assert_eq!(trial_seed(42, 0), GOLDEN_TRIAL_SEED);
        assert_eq!(v, GOLDEN_FIRST_DRAW);
    }

    const GOLDEN_TRIAL_SEED: u64 = 15545597173520510182;
    const GOLDEN_FIRST_DRAW: u64 = 748423250104242407;
}
