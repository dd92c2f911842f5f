//! Placeholder event queue (replaced by the engine branch).

use super::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Identifies a scheduled event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventKey(u64);

/// Events ordered by (time, insertion sequence).
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<(SimTime, u64, Slot<E>)>>,
    seq: u64,
}

struct Slot<E>(E);
impl<E> PartialEq for Slot<E> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<E> Eq for Slot<E> {}
impl<E> PartialOrd for Slot<E> {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Slot<E> {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
    /// Schedules `ev` at `at`.
    pub fn schedule(&mut self, at: SimTime, ev: E) -> EventKey {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, Slot(ev))));
        EventKey(self.seq)
    }
    /// The earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|Reverse((t, _, Slot(e)))| (t, e))
    }
}
