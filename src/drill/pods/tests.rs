//! Unit tests of the pod plumbing that the integration tests cannot see.

use super::PodEv;
use crate::drill::sim::Ev;

/// Pod events ride in the drill's event enum: they must not make every
/// event bigger than the call events (`{ call: u32, tag: u32 }`) already
/// make it, 12 bytes (DESIGN.md asks ≤ 32; the heap moves them at every
/// push and pop, so models without pods would pay for a bigger enum).
#[test]
fn pod_events_keep_events_small() {
    assert!(
        std::mem::size_of::<PodEv>() <= 12,
        "{}",
        std::mem::size_of::<PodEv>()
    );
    assert!(
        std::mem::size_of::<Ev>() <= 12,
        "{}",
        std::mem::size_of::<Ev>()
    );
}
