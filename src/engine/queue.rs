//! The pending-event set: events ordered by `(SimTime, seq)`.
//!
//! `seq` is an insertion counter, so events scheduled for the same instant
//! leave in the order they were scheduled (FIFO) and a run is a pure function
//! of its seed. Nothing else takes part in the ordering.
//!
//! # Layout
//! - A **4-ary min-heap of compact keys** `(time, seq, slot)` (24 bytes).
//!   A 4-ary heap is half as deep as a binary one and its four children share
//!   a cache line or two, so a pop does fewer, more local moves.
//! - The **payloads live in a slab** (`Vec` of slots plus a free list) indexed
//!   by `slot`, so the heap moves only small keys whatever the size of `E`.
//!   Slots are reused: no allocation per event once the vectors have grown.
//! - **Sorted side lanes** (`VecDeque`s of keys) for pre-sorted streams such
//!   as a source's arrivals, or every event scheduled a fixed delay after
//!   `now` (a constant timeout or network latency):
//!   [`EventQueue::schedule_in_lane`] appends in O(1) when the new event is
//!   not earlier than its lane's last one, and falls back to the heap
//!   otherwise. `pop` takes the smallest `(time, seq)` of the heap top and
//!   the lane fronts (a copy of each front is kept in one small array, so
//!   this is a short branch-free scan), so the order is exactly the one the
//!   heap alone would give: lanes are a pure speed-up, never a change of
//!   result (simcore's `emit_ordered` is the model).
//!
//! # Cancellation
//! [`EventQueue::cancel`] is O(1): it drops the payload and frees the slot at
//! once; the key stays in the heap or lane and is skipped when it surfaces (a
//! key is live only while its slot still holds the same `seq`). So that
//! cancelled timeouts cannot pile up, the queue compacts (drops dead keys and
//! re-heapifies, O(n)) whenever dead keys outnumber live ones, which costs
//! O(1) amortised per cancellation.
//!
//! # Why this design (measured)
//! Hold model (pop one, schedule one a random increment later), one core,
//! millions of pop+schedule pairs per second, best of 9 interleaved runs on
//! the shared 2-core development machine (±15% noise at 16 keys):
//!
//! | pending keys                                     |  16 | 1 024 | 65 536 |
//! |--------------------------------------------------|----:|------:|-------:|
//! | `std` `BinaryHeap<Reverse<(time, seq, u64)>>`    |  42 |    21 |      9 |
//! | 4-ary key heap, branchy child pick               |  32 |    16 |     13 |
//! | same with Floyd's bottom-up deletion             |  38 |    14 |      9 |
//! | 4-ary key heap, branch-free child pick           |  45 |    26 |     18 |
//! | **`EventQueue`**: that heap + slab + lane        |  38 |    23 |     16 |
//!
//! Which child is smallest is a coin toss, so on heaps past a few hundred
//! keys mispredicted branches dominate: the branch-free tournament over four
//! children (with the `(time, seq)` compare done as one `u128`) is what
//! beats the standard binary heap (itself branch-free on its two children).
//! The slab and cancellation cost about 10% on tiny queues and little on
//! large ones. Fat LTO with one codegen unit gained nothing here and slowed
//! the M/M/c benchmark by ~10%. `cargo bench --bench engine` reproduces the
//! first and last rows (`queue_hold`) and measures cancellation
//! (`queue_timeouts`) and the M/M/c example end to end (`mmc`).
//!
//! Lanes, measured on the drill (`cargo bench --bench drill`): sending its
//! fixed-delay events (timeouts, constant latencies, ticks) through nine
//! lanes instead of the heap cut the time per trial by about 20%. A winner
//! tree over the lane fronts, instead of the scan, ran more instructions
//! for no measurable gain at that count.

use std::collections::VecDeque;

use super::time::SimTime;

/// Children per heap node.
const ARITY: usize = 4;

/// Dead keys tolerated before a compaction is considered.
const COMPACT_MIN_DEAD: usize = 64;

/// A handle to a scheduled event, used to cancel it.
///
/// A key stays valid until its event is popped or cancelled; afterwards
/// [`EventQueue::cancel`] returns `false` for it, even if its slot has been
/// reused by a later event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventKey {
    seq: u64,
    slot: u32,
}

impl EventKey {
    /// The insertion number of the event: its tie-break among equal times.
    pub fn seq(self) -> u64 {
        self.seq
    }
}

/// What the heap and the lane hold: the ordering key and the payload's slot.
#[derive(Clone, Copy, Debug)]
struct Entry {
    time: u64,
    seq: u64,
    slot: u32,
}

impl Entry {
    /// Strict `(time, seq)` order; `seq` is unique, so no two entries tie.
    /// Compared as one `u128`, which compiles to a branch-free compare.
    #[inline(always)]
    fn before(&self, other: &Entry) -> bool {
        self.key() < other.key()
    }

    #[inline(always)]
    fn key(&self) -> u128 {
        (u128::from(self.time) << 64) | u128::from(self.seq)
    }
}

/// A payload slot; the event is live while `ev` is `Some` and `seq` matches
/// the key that refers to it.
#[derive(Debug)]
struct Slot<E> {
    seq: u64,
    ev: Option<E>,
}

/// The key of an empty lane's front: after every real key (a real `seq` is
/// below `u64::MAX`).
const EMPTY: Entry = Entry {
    time: u64::MAX,
    seq: u64::MAX,
    slot: u32::MAX,
};

/// Where the next entry comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Heap,
    Lane(usize),
}

/// A deterministic priority queue of events of type `E`, ordered by
/// `(time, insertion order)`, with O(1) cancellation and a fast lane for
/// pre-sorted streams. See the [module docs](self) for the layout.
///
/// ```
/// use resim::engine::{queue::EventQueue, SimTime};
///
/// let mut q = EventQueue::new();
/// q.schedule(SimTime(20), "late");
/// let timeout = q.schedule(SimTime(10), "timeout");
/// q.schedule(SimTime(10), "tie, scheduled second");
/// q.schedule_ordered(SimTime(5), "arrival");
/// assert!(q.cancel(timeout));
/// assert_eq!(q.pop(), Some((SimTime(5), "arrival")));
/// assert_eq!(q.pop(), Some((SimTime(10), "tie, scheduled second")));
/// assert_eq!(q.now(), SimTime(10));
/// assert_eq!(q.pop_until(SimTime(15)), None); // "late" stays queued
/// assert_eq!(q.len(), 1);
/// ```
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: Vec<Entry>,
    lanes: Vec<VecDeque<Entry>>,
    /// A copy of each lane's front, [`EMPTY`] for an empty lane.
    fronts: Vec<Entry>,
    slots: Vec<Slot<E>>,
    free: Vec<u32>,
    next_seq: u64,
    live: usize,
    dead: usize,
    now: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `n` pending events before it reallocates.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: Vec::with_capacity(n),
            lanes: vec![VecDeque::with_capacity(n.min(1024))],
            fronts: vec![EMPTY],
            slots: Vec::with_capacity(n),
            free: Vec::with_capacity(n),
            next_seq: 0,
            live: 0,
            dead: 0,
            now: SimTime::ZERO,
        }
    }

    /// The time of the last popped event (zero before the first pop).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The number of pending (scheduled, not yet popped or cancelled) events.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Schedules `ev` at `at` and returns a key to cancel it.
    ///
    /// Scheduling before [`now`](Self::now) is a bug in the caller: it panics
    /// in debug builds and is clamped to `now` in release builds.
    #[inline(always)]
    pub fn schedule(&mut self, at: SimTime, ev: E) -> EventKey {
        let entry = self.store(at, ev);
        self.heap_push(entry);
        EventKey {
            seq: entry.seq,
            slot: entry.slot,
        }
    }

    /// Schedules `ev` after `delay` from [`now`](Self::now) (saturating).
    pub fn schedule_in(&mut self, delay: SimTime, ev: E) -> EventKey {
        self.schedule(self.now.saturating_add(delay), ev)
    }

    /// Schedules `ev` at `at` through sorted lane 0: O(1) when `at` is not
    /// earlier than the last event put in the lane (a stream of arrivals,
    /// each scheduling the next), else the same as [`schedule`](Self::schedule).
    /// The same as [`schedule_in_lane`](Self::schedule_in_lane) with lane 0.
    pub fn schedule_ordered(&mut self, at: SimTime, ev: E) -> EventKey {
        self.schedule_in_lane(0, at, ev)
    }

    /// Schedules `ev` at `at` through sorted lane `lane` (any small index
    /// the caller picks; lanes are created on first use): O(1) when `at` is
    /// not earlier than the last event put in that lane, else the same as
    /// [`schedule`](Self::schedule).
    ///
    /// The pop order is identical to scheduling every event with
    /// [`schedule`](Self::schedule): only the cost differs. Give each sorted
    /// stream its own lane: the arrivals, or all events scheduled a fixed
    /// delay after [`now`](Self::now) (a constant timeout). Streams whose
    /// times cross each other fall back to the heap often and gain little,
    /// and every lane adds one compare to each pop: use a handful, not
    /// hundreds.
    #[inline(always)]
    pub fn schedule_in_lane(&mut self, lane: usize, at: SimTime, ev: E) -> EventKey {
        if lane >= self.lanes.len() {
            self.add_lanes(lane + 1);
        }
        let entry = self.store(at, ev);
        let q = &mut self.lanes[lane];
        match q.back() {
            Some(last) if entry.time < last.time => {
                self.heap_push(entry);
            }
            Some(_) => q.push_back(entry),
            None => {
                q.push_back(entry);
                self.fronts[lane] = entry;
            }
        }
        EventKey {
            seq: entry.seq,
            slot: entry.slot,
        }
    }

    #[cold]
    fn add_lanes(&mut self, n: usize) {
        self.lanes.resize_with(n, VecDeque::new);
        self.fronts.resize(n, EMPTY);
    }

    /// Cancels the event behind `key`. Returns `true` if it was pending,
    /// `false` if it had already been popped or cancelled. O(1) amortised.
    pub fn cancel(&mut self, key: EventKey) -> bool {
        let Some(slot) = self.slots.get_mut(key.slot as usize) else {
            return false;
        };
        if slot.seq != key.seq || slot.ev.take().is_none() {
            return false;
        }
        self.free.push(key.slot);
        self.live -= 1;
        self.dead += 1;
        self.maybe_compact();
        true
    }

    /// Whether the event behind `key` is still pending.
    pub fn is_pending(&self, key: EventKey) -> bool {
        self.slots
            .get(key.slot as usize)
            .is_some_and(|s| s.seq == key.seq && s.ev.is_some())
    }

    /// The time of the next pending event, if any. Takes `&mut self` because
    /// it discards cancelled keys it finds on the way.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            let (src, e) = self.front()?;
            if self.is_live(&e) {
                return Some(SimTime(e.time));
            }
            self.remove_front(src);
            self.dead -= 1;
        }
    }

    /// Removes and returns the next pending event, advancing
    /// [`now`](Self::now) to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime::NEVER)
    }

    /// Like [`pop`](Self::pop), but only if the next event is at or before
    /// `limit`; otherwise leaves it queued and returns `None`.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        loop {
            let (src, e) = self.front()?;
            if e.time > limit.0 {
                return None;
            }
            self.remove_front(src);
            let slot = &mut self.slots[e.slot as usize];
            if slot.seq == e.seq
                && let Some(ev) = slot.ev.take()
            {
                self.free.push(e.slot);
                self.live -= 1;
                self.now = SimTime(e.time);
                self.maybe_compact();
                return Some((self.now, ev));
            }
            self.dead -= 1;
        }
    }

    /// Drops every pending event; keeps the clock and the allocations.
    /// Keys issued before stay invalid.
    pub fn clear(&mut self) {
        self.heap.clear();
        for lane in &mut self.lanes {
            lane.clear();
        }
        self.fronts.fill(EMPTY);
        self.free.clear();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            slot.ev = None;
            // `slots.len()` never exceeds `u32::MAX` (see `store`).
            self.free.push(i as u32);
        }
        self.free.reverse();
        self.live = 0;
        self.dead = 0;
    }

    /// Puts the payload in a slot and returns its key entry.
    #[inline(always)]
    fn store(&mut self, at: SimTime, ev: E) -> Entry {
        debug_assert!(
            at >= self.now,
            "event scheduled in the past: at {at:?}, now {:?}",
            self.now
        );
        let time = at.0.max(self.now.0);
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Slot { seq, ev: Some(ev) };
                i
            }
            None => {
                let i = u32::try_from(self.slots.len())
                    .expect("EventQueue holds at most u32::MAX pending events");
                self.slots.push(Slot { seq, ev: Some(ev) });
                i
            }
        };
        self.live += 1;
        Entry { time, seq, slot }
    }

    #[inline(always)]
    fn is_live(&self, e: &Entry) -> bool {
        let s = &self.slots[e.slot as usize];
        s.seq == e.seq && s.ev.is_some()
    }

    /// The smallest of the heap top and the lane fronts, live or not.
    #[inline(always)]
    fn front(&self) -> Option<(Source, Entry)> {
        // Which lane is earliest is unpredictable: select, do not branch.
        let mut best = 0;
        let mut key = self.fronts[0].key();
        for (i, f) in self.fronts.iter().enumerate().skip(1) {
            let k = f.key();
            let earlier = k < key;
            best = if earlier { i } else { best };
            key = if earlier { k } else { key };
        }
        match self.heap.first() {
            Some(h) if h.key() < key => Some((Source::Heap, *h)),
            _ if key == EMPTY.key() => None,
            _ => Some((Source::Lane(best), self.fronts[best])),
        }
    }

    #[inline(always)]
    fn remove_front(&mut self, src: Source) {
        match src {
            Source::Lane(i) => {
                let q = &mut self.lanes[i];
                q.pop_front();
                self.fronts[i] = q.front().copied().unwrap_or(EMPTY);
            }
            Source::Heap => self.heap_pop_top(),
        }
    }

    /// Removes the heap's top entry.
    #[inline]
    fn heap_pop_top(&mut self) {
        let Some(last) = self.heap.pop() else { return };
        if !self.heap.is_empty() {
            self.sift_down(0, last);
        }
    }

    /// The index of the smallest of the children `first..first + ARITY`
    /// that exist (`first < n`). A full set of four is reduced as a
    /// branch-free tournament: which child is smallest is unpredictable, and
    /// mispredicted branches were the main cost on heaps of 1 000+ keys.
    #[inline(always)]
    fn min_child(&self, first: usize, n: usize) -> usize {
        if let Some(c) = self.heap.get(first..first + ARITY) {
            let a = usize::from(c[1].before(&c[0]));
            let b = 2 + usize::from(c[3].before(&c[2]));
            return first + if c[b].before(&c[a]) { b } else { a };
        }
        let mut best = first;
        for c in first + 1..n {
            if self.heap[c].before(&self.heap[best]) {
                best = c;
            }
        }
        best
    }

    /// Adds `item` to the heap. The item travels in registers: reading it
    /// back from the slot just written would stall on store forwarding (its
    /// fields are stored separately but loaded as wider words).
    #[inline(always)]
    fn heap_push(&mut self, item: Entry) {
        let mut i = self.heap.len();
        self.heap.push(item);
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if item.before(&self.heap[parent]) {
                self.heap[i] = self.heap[parent];
                i = parent;
            } else {
                break;
            }
        }
        self.heap[i] = item;
    }

    /// Puts `item` at node `i` and moves it down to its place.
    #[inline]
    fn sift_down(&mut self, mut i: usize, item: Entry) {
        let n = self.heap.len();
        loop {
            let first = i * ARITY + 1;
            if first >= n {
                break;
            }
            let best = self.min_child(first, n);
            if self.heap[best].before(&item) {
                self.heap[i] = self.heap[best];
                i = best;
            } else {
                break;
            }
        }
        self.heap[i] = item;
    }

    /// Compacts when dead keys outnumber live ones, so stored keys never
    /// exceed `2 * len() + COMPACT_MIN_DEAD`. Each compaction removes at
    /// least as many dead keys as it keeps live ones: O(1) amortised per
    /// cancellation.
    #[inline(always)]
    fn maybe_compact(&mut self) {
        if self.dead > COMPACT_MIN_DEAD && self.dead > self.live {
            self.compact();
        }
    }

    /// Drops dead keys and rebuilds the heap. The pop order is unchanged:
    /// it depends only on the keys, which are unique.
    fn compact(&mut self) {
        let slots = &self.slots;
        let live = |e: &Entry| {
            let s = &slots[e.slot as usize];
            s.seq == e.seq && s.ev.is_some()
        };
        self.heap.retain(live);
        for (lane, front) in self.lanes.iter_mut().zip(&mut self.fronts) {
            lane.retain(live);
            *front = lane.front().copied().unwrap_or(EMPTY);
        }
        self.dead = 0;
        if self.heap.len() > 1 {
            for i in (0..=(self.heap.len() - 2) / ARITY).rev() {
                self.sift_down(i, self.heap[i]);
            }
        }
    }
}

#[cfg(test)]
mod tests;
