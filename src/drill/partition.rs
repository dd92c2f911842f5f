//! Network partitions in a drill: cuts between two sides, each a component
//! or one of its instances (a group partition is a cut per instance placed
//! on it). A call across a cut is dropped (its caller times out) or refused
//! at once, as the fault's mode says.

use super::sim::DrillTrial;
use crate::scenario::{Fault, FaultSpec};

/// Every instance of a component.
const ALL: u16 = u16::MAX;

/// One active cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cut {
    a: (u16, u16),
    b: (u16, u16),
    refuse: bool,
}

impl Cut {
    /// The cut a partition fault makes, if `f` is one.
    pub(super) fn of(f: &FaultSpec) -> Option<Cut> {
        let Fault::Partition {
            peer,
            peer_instance,
            refuse,
        } = f.fault
        else {
            return None;
        };
        let side = |c: usize, i: Option<u32>| (c as u16, i.map_or(ALL, |i| i as u16));
        Some(Cut {
            a: side(f.target, f.instance),
            b: side(peer, peer_instance),
            refuse,
        })
    }

    /// Whether the cut touches component `comp`.
    pub(super) fn touches(&self, comp: usize) -> bool {
        self.a.0 as usize == comp || self.b.0 as usize == comp
    }

    fn separates(&self, from: (u16, u16), to: (u16, u16)) -> bool {
        let on =
            |side: (u16, u16), x: (u16, u16)| side.0 == x.0 && (side.1 == ALL || side.1 == x.1);
        (on(self.a, from) && on(self.b, to)) || (on(self.b, from) && on(self.a, to))
    }
}

impl DrillTrial<'_> {
    /// How a call from `caller`'s instance to `dep`'s instance is cut:
    /// `None` if it is not, `Some(true)` if refused, `Some(false)` if dropped.
    #[inline]
    pub(super) fn cut_between(&self, caller: (u16, u16), callee: (u16, u16)) -> Option<bool> {
        if self.partitions.is_empty() {
            return None;
        }
        self.partitions
            .iter()
            .find(|c| c.separates(caller, callee))
            .map(|c| c.refuse)
    }
}
