//! Which sorted lane of the event queue each drill event goes through (see
//! [`EventQueue::schedule_in_lane`](crate::engine::EventQueue::schedule_in_lane)).
//!
//! Most drill events are scheduled a fixed delay after `now`: every
//! timeout, and every hop when a component's network latency is constant
//! (the default). Events with one fixed delay are scheduled in time order,
//! so each distinct delay gets a lane and those events skip the heap: only
//! service completions and random latencies remain there. A delay that
//! changes during a trial (a `set timeout` action) stays correct: the queue
//! falls back to the heap for an event earlier than its lane's last one.

use crate::engine::SimTime;
use crate::model::{Dist, Model};

/// The lane of the arrivals.
pub(super) const ARRIVALS: usize = 0;
/// The lane of the bin ticks.
pub(super) const TICKS: usize = 1;

/// Lane assignments for one drill.
#[derive(Clone, Debug)]
pub(super) struct Lanes {
    /// The client's request timeout.
    pub(super) client_timeout: usize,
    /// Per component: its callers' timeout.
    pub(super) timeout: Vec<usize>,
    /// Per component: its network latency, when constant (else the heap).
    pub(super) latency: Vec<Option<usize>>,
}

impl Lanes {
    /// One lane per distinct fixed delay of `model` with `client_timeout`.
    pub(super) fn new(model: &Model, client_timeout: SimTime) -> Lanes {
        let mut delays: Vec<SimTime> = Vec::new();
        let mut lane_of = |d: SimTime| {
            let i = delays.iter().position(|&x| x == d).unwrap_or_else(|| {
                delays.push(d);
                delays.len() - 1
            });
            TICKS + 1 + i
        };
        let client_timeout = lane_of(client_timeout);
        let timeout = model
            .components
            .iter()
            .map(|c| lane_of(c.serving.timeout))
            .collect();
        let latency = model
            .components
            .iter()
            .map(|c| match c.serving.latency {
                Dist::Constant(_) => Some(lane_of(c.serving.latency.mean())),
                _ => None,
            })
            .collect();
        Lanes {
            client_timeout,
            timeout,
            latency,
        }
    }
}
