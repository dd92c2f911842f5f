//! Unit tests of the event queue, including a fuzz test against a `BTreeMap`.

use std::collections::BTreeMap;

use rand::{RngExt, SeedableRng};

use super::*;
use crate::engine::SimRng;

/// Keys the queue still stores (live or dead); used to check compaction.
fn stored<E>(q: &EventQueue<E>) -> usize {
    q.heap.len() + q.lanes.iter().map(VecDeque::len).sum::<usize>()
}

#[test]
fn equal_times_leave_in_fifo_order() {
    let mut q = EventQueue::new();
    for i in 0..100u32 {
        // Interleave the heap and the lane at one instant.
        if i % 3 == 0 {
            q.schedule_ordered(SimTime(7), i);
        } else {
            q.schedule(SimTime(7), i);
        }
    }
    q.schedule(SimTime(3), 1000);
    assert_eq!(q.pop(), Some((SimTime(3), 1000)));
    let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
    assert_eq!(order, (0..100).collect::<Vec<_>>());
    assert!(q.is_empty());
}

#[test]
fn pops_in_time_order() {
    let mut q = EventQueue::new();
    for &t in &[50u64, 10, 40, 20, 30, 0, 60] {
        q.schedule(SimTime(t), t);
    }
    let times: Vec<u64> = std::iter::from_fn(|| q.pop().map(|(t, _)| t.0)).collect();
    assert_eq!(times, vec![0, 10, 20, 30, 40, 50, 60]);
    assert_eq!(q.now(), SimTime(60));
}

#[test]
fn cancel_removes_exactly_the_event_once() {
    let mut q = EventQueue::new();
    let a = q.schedule(SimTime(1), 'a');
    let b = q.schedule(SimTime(2), 'b');
    let c = q.schedule_ordered(SimTime(3), 'c');
    assert!(q.is_pending(b));
    assert!(q.cancel(b));
    assert!(!q.is_pending(b));
    assert!(!q.cancel(b), "second cancel must fail");
    assert!(q.cancel(c));
    assert_eq!(q.len(), 1);
    assert_eq!(q.pop(), Some((SimTime(1), 'a')));
    assert!(!q.cancel(a), "popped events cannot be cancelled");
    assert_eq!(q.pop(), None);
}

#[test]
fn stale_key_does_not_cancel_the_slot_reuser() {
    let mut q = EventQueue::new();
    let old = q.schedule(SimTime(5), 1);
    assert!(q.cancel(old));
    let new = q.schedule(SimTime(5), 2);
    assert_eq!(new.slot, old.slot, "slot is reused");
    assert!(!q.cancel(old));
    assert_eq!(q.pop(), Some((SimTime(5), 2)));
}

#[test]
fn ordered_lane_falls_back_to_heap_when_out_of_order() {
    let mut q = EventQueue::new();
    q.schedule_ordered(SimTime(10), 'x');
    q.schedule_ordered(SimTime(5), 'y'); // earlier than the lane's back
    q.schedule_ordered(SimTime(10), 'z');
    assert_eq!(q.lanes[0].len(), 2);
    let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
    assert_eq!(order, vec!['y', 'x', 'z']);
}

#[test]
fn peek_and_pop_until_skip_cancelled() {
    let mut q = EventQueue::new();
    let k = q.schedule(SimTime(1), 1);
    q.schedule(SimTime(9), 9);
    q.cancel(k);
    assert_eq!(q.peek_time(), Some(SimTime(9)));
    assert_eq!(q.pop_until(SimTime(8)), None);
    assert_eq!(q.now(), SimTime::ZERO);
    assert_eq!(q.pop_until(SimTime(9)), Some((SimTime(9), 9)));
    assert_eq!(q.peek_time(), None);
}

#[test]
fn schedule_in_is_relative_to_now() {
    let mut q = EventQueue::new();
    q.schedule(SimTime(100), 0);
    q.pop();
    q.schedule_in(SimTime(5), 1);
    q.schedule_in(SimTime::NEVER, 2);
    assert_eq!(q.pop(), Some((SimTime(105), 1)));
    assert_eq!(q.pop(), Some((SimTime::NEVER, 2)));
}

#[test]
fn cancelled_timeouts_do_not_pile_up() {
    let mut q = EventQueue::new();
    let mut now = 0u64;
    for i in 0..200_000u64 {
        // A request: its response is due soon, its timeout much later.
        q.schedule(SimTime(now + 10), i);
        let timeout = q.schedule(SimTime(now + 1_000_000), i);
        let (t, _) = q.pop().expect("response is pending");
        now = t.0;
        assert!(q.cancel(timeout));
    }
    assert!(q.is_empty());
    assert!(stored(&q) <= 2 * COMPACT_MIN_DEAD, "stored {}", stored(&q));
    assert!(q.slots.len() <= 2, "slots are reused: {}", q.slots.len());
}

#[test]
fn clear_empties_and_invalidates_keys() {
    let mut q = EventQueue::new();
    let k = q.schedule(SimTime(3), 3);
    q.schedule_ordered(SimTime(4), 4);
    q.clear();
    assert!(q.is_empty());
    assert_eq!(q.pop(), None);
    assert!(!q.cancel(k));
    q.schedule(SimTime(1), 1);
    assert!(!q.cancel(k));
    assert_eq!(q.pop(), Some((SimTime(1), 1)));
}

/// Drives the queue and a `BTreeMap<(time, seq), payload>` reference with the
/// same random schedule / schedule_ordered / cancel / pop / peek operations
/// and asserts they agree at every step, cancellations included.
#[test]
fn fuzz_against_btreemap() {
    for seed in 0..8u64 {
        fuzz_once(seed, 20_000);
    }
}

fn fuzz_once(seed: u64, steps: usize) {
    let mut rng = SimRng::seed_from_u64(seed);
    let mut q: EventQueue<u64> = EventQueue::new();
    let mut reference: BTreeMap<(SimTime, u64), u64> = BTreeMap::new();
    // Every key ever issued, with its reference position.
    let mut issued: Vec<(EventKey, SimTime, u64)> = Vec::new();
    let mut ref_seq = 0u64;
    // Last time put in each of three lanes.
    let mut lane_time = [0u64; 3];
    let mut now = 0u64;
    // Phases with different mixes so the queue grows, shrinks and compacts.
    for step in 0..steps {
        let phase = (step / 2_000) % 3;
        let (p_sched, p_cancel) = match phase {
            0 => (55, 15), // growing
            1 => (30, 45), // cancel-heavy
            _ => (25, 10), // draining
        };
        let roll = rng.random_range(0..100u32);
        if roll < p_sched {
            let payload = issued.len() as u64;
            // Few distinct offsets, so equal times are common.
            let at = SimTime(now + rng.random_range(0..50u64));
            let key = if rng.random_bool(0.5) {
                // Mostly nondecreasing, sometimes earlier: both lane paths.
                let lane = rng.random_range(0..lane_time.len());
                let t = if rng.random_bool(0.8) {
                    lane_time[lane].max(now) + rng.random_range(0..5u64)
                } else {
                    at.0
                };
                lane_time[lane] = lane_time[lane].max(t);
                let key = q.schedule_in_lane(lane, SimTime(t), payload);
                reference.insert((SimTime(t), ref_seq), payload);
                issued.push((key, SimTime(t), ref_seq));
                key
            } else {
                let key = q.schedule(at, payload);
                reference.insert((at, ref_seq), payload);
                issued.push((key, at, ref_seq));
                key
            };
            assert_eq!(key.seq(), ref_seq, "seed {seed} step {step}");
            ref_seq += 1;
        } else if roll < p_sched + p_cancel {
            if issued.is_empty() {
                continue;
            }
            let i = rng.random_range(0..issued.len());
            let (key, t, s) = issued[i];
            let expected = reference.remove(&(t, s)).is_some();
            assert_eq!(q.cancel(key), expected, "seed {seed} step {step} cancel");
        } else if roll < 95 {
            let expected = reference.pop_first().map(|((t, _), p)| (t, p));
            let got = q.pop();
            assert_eq!(got, expected, "seed {seed} step {step} pop");
            if let Some((t, _)) = got {
                now = t.0;
            }
        } else {
            let expected = reference.first_key_value().map(|(&(t, _), _)| t);
            assert_eq!(q.peek_time(), expected, "seed {seed} step {step} peek");
        }
        assert_eq!(q.len(), reference.len(), "seed {seed} step {step} len");
        assert_eq!(q.now(), SimTime(now));
        assert!(
            stored(&q) <= 2 * q.len() + COMPACT_MIN_DEAD + 1,
            "seed {seed} step {step}: {} keys stored for {} live",
            stored(&q),
            q.len()
        );
    }
    // Drain: the tails must match too.
    while let Some(((t, _), p)) = reference.pop_first() {
        assert_eq!(q.pop(), Some((t, p)), "seed {seed} drain");
    }
    assert_eq!(q.pop(), None);
}

#[test]
fn lanes_merge_in_time_then_insertion_order() {
    let mut q = EventQueue::new();
    q.schedule_in_lane(2, SimTime(5), "lane 2, first at 5");
    q.schedule_in_lane(1, SimTime(5), "lane 1, second at 5");
    q.schedule_in_lane(2, SimTime(9), "lane 2 at 9");
    q.schedule(SimTime(7), "heap at 7");
    q.schedule_ordered(SimTime(1), "lane 0 at 1");
    q.schedule_in_lane(1, SimTime(3), "lane 1 out of order: heap");
    assert_eq!(q.lanes[1].len(), 1);
    let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
    assert_eq!(
        order,
        vec![
            "lane 0 at 1",
            "lane 1 out of order: heap",
            "lane 2, first at 5",
            "lane 1, second at 5",
            "heap at 7",
            "lane 2 at 9",
        ]
    );
    assert!(q.is_empty());
}
