//! Steady-state engine work allocates nothing: the event queue (heap, lane,
//! cancellation), the arena and the histogram reuse their memory.
//!
//! Its own test binary because it installs a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use resim::engine::{Arena, EventQueue, SimTime};
use resim::stats::LatencyHistogram;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Clone, Copy)]
enum Ev {
    Arrival,
    Response(u32),
    Timeout(u32),
}

/// A closed loop of 100 clients: each request gets a response and a
/// timeout; the response cancels the timeout. Arrivals use the sorted lane.
fn drive(
    q: &mut EventQueue<Ev>,
    arena: &mut Arena<(SimTime, Option<resim::engine::EventKey>)>,
    h: &mut LatencyHistogram,
    steps: u64,
    x: &mut u64,
) {
    for _ in 0..steps {
        let Some((now, ev)) = q.pop() else { break };
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        match ev {
            Ev::Arrival => {
                q.schedule_ordered(now + SimTime(1_000 + *x % 1_000), Ev::Arrival);
                if arena.len() < 100 {
                    let id = arena.insert((now, None));
                    q.schedule(now + SimTime(*x % 50_000), Ev::Response(id));
                    let k = q.schedule(now + SimTime(40_000), Ev::Timeout(id));
                    if let Some(r) = arena.get_mut(id) {
                        r.1 = Some(k);
                    }
                }
            }
            Ev::Response(id) => {
                if let Some((start, Some(k))) = arena.remove(id) {
                    q.cancel(k);
                    h.record((now - start).0);
                }
            }
            Ev::Timeout(id) => {
                arena.remove(id);
            }
        }
    }
}

#[test]
fn steady_state_allocates_nothing() {
    let mut q = EventQueue::new();
    let mut arena = Arena::new();
    let mut h = LatencyHistogram::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    q.schedule_ordered(SimTime::ZERO, Ev::Arrival);
    // Warm up: the vectors grow to their high-water marks.
    drive(&mut q, &mut arena, &mut h, 200_000, &mut x);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    drive(&mut q, &mut arena, &mut h, 1_000_000, &mut x);
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert!(h.count() > 100_000, "responses recorded: {}", h.count());
    assert_eq!(after - before, 0, "allocations in steady state");
}
