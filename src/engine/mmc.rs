//! Example model (not part of resim's domain): an M/M/c queue driven by the
//! [`EventQueue`]. Its parameters carry the closed forms (Erlang B and C,
//! the waiting-time law) that `resim check` also uses for its load figures
//! (`analytic::load`).
//!
//! Poisson arrivals at rate λ, exponential service at rate μ per server,
//! `c` servers and an unbounded FIFO waiting line. It exists to test the
//! engine against queueing theory and to benchmark it (`benches/engine.rs`),
//! and it shows the intended driving pattern:
//!
//! - each arrival schedules the next one with
//!   [`schedule_ordered`](super::queue::EventQueue::schedule_ordered): the
//!   arrival stream is sorted, so it never touches the heap;
//! - departures go through the heap with
//!   [`schedule`](super::queue::EventQueue::schedule);
//! - the event enum is small and `Copy`; the waiting line is a `VecDeque`
//!   that stops allocating once it reaches its high-water mark;
//! - arrivals and services draw from separate keyed streams
//!   ([`stream`]), so changing `c` leaves the arrival
//!   times unchanged (common random numbers).

use std::collections::VecDeque;

use rand_distr::{Distribution, Exp};

use super::queue::EventQueue;
use super::rng::{Purpose, SimRng, stream};
use super::time::SimTime;

/// Parameters of an M/M/c queue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MmcParams {
    /// Arrival rate λ \[1/s\].
    pub arrival_rate: f64,
    /// Service rate μ of one server \[1/s\].
    pub service_rate: f64,
    /// Number of servers `c` (at least 1).
    pub servers: u32,
}

/// An invalid [`MmcParams`].
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MmcError {
    /// λ is not a positive finite number.
    #[error("arrival rate must be positive and finite, got {0}")]
    ArrivalRate(f64),
    /// μ is not a positive finite number.
    #[error("service rate must be positive and finite, got {0}")]
    ServiceRate(f64),
    /// `c` is zero.
    #[error("an M/M/c queue needs at least one server")]
    NoServers,
}

impl MmcParams {
    /// Utilisation ρ = λ / (c μ); the queue is stable when ρ < 1.
    pub fn utilisation(&self) -> f64 {
        self.arrival_rate / (f64::from(self.servers) * self.service_rate)
    }

    /// Erlang C: the probability an arrival has to wait, or `None` if the
    /// queue is unstable (ρ ≥ 1).
    pub fn wait_probability(&self) -> Option<f64> {
        let rho = self.utilisation();
        if rho.is_nan() || rho >= 1.0 || self.servers == 0 {
            return None;
        }
        let a = self.arrival_rate / self.service_rate;
        // Sum a^k / k! for k < c, built term by term to avoid overflow.
        let mut term = 1.0;
        let mut sum = 0.0;
        for k in 0..self.servers {
            sum += term;
            term *= a / f64::from(k + 1);
        }
        // `term` is now a^c / c!.
        let tail = term / (1.0 - rho);
        Some(tail / (sum + tail))
    }

    /// Erlang B: the share of arrivals turned away when there is no queue
    /// (M/M/c/c, and any service law with this mean), by the stable
    /// recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)), a = λ/μ.
    pub fn blocking_probability(&self) -> f64 {
        let a = self.arrival_rate / self.service_rate;
        (1..=self.servers).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
    }

    /// Theoretical mean wait in the queue \[s\], or `None` if unstable:
    /// `C(c, a) / (c μ − λ)`.
    pub fn mean_wait(&self) -> Option<f64> {
        let c = self.wait_probability()?;
        Some(c / (f64::from(self.servers) * self.service_rate - self.arrival_rate))
    }

    /// P(W > t), the waiting time's tail at `t` \[s\] (FIFO), or `None`
    /// if unstable: `C(c, a) · e^(−(c μ − λ) t)`.
    pub fn wait_exceeds(&self, t: f64) -> Option<f64> {
        let c = self.wait_probability()?;
        let cmu = f64::from(self.servers) * self.service_rate;
        Some(c * (-(cmu - self.arrival_rate) * t).exp())
    }

    /// Theoretical mean response time (wait + service) \[s\], or `None` if
    /// unstable: `C(c, a) / (c μ − λ) + 1 / μ`.
    pub fn mean_response_time(&self) -> Option<f64> {
        let c = self.wait_probability()?;
        let cmu = f64::from(self.servers) * self.service_rate;
        Some(c / (cmu - self.arrival_rate) + 1.0 / self.service_rate)
    }
}

/// The events of the M/M/c model: 16 bytes, `Copy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmcEvent {
    /// A customer arrives.
    Arrival,
    /// A customer who arrived at `arrived` finishes service.
    Departure {
        /// Arrival time of the departing customer.
        arrived: SimTime,
    },
}

/// A running M/M/c simulation.
#[derive(Debug)]
pub struct Mmc {
    queue: EventQueue<MmcEvent>,
    waiting: VecDeque<SimTime>,
    idle: u32,
    arrivals: SimRng,
    service: SimRng,
    interarrival: Exp<f64>,
    service_time: Exp<f64>,
    events: u64,
}

/// Entity index of the example model in its RNG stream keys.
const ENTITY: u64 = 0;

impl Mmc {
    /// A fresh, empty system at time zero whose first arrival is scheduled.
    /// The random streams are keyed by `trial_seed`.
    pub fn new(params: MmcParams, trial_seed: u64) -> Result<Self, MmcError> {
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if !positive(params.arrival_rate) {
            return Err(MmcError::ArrivalRate(params.arrival_rate));
        }
        if !positive(params.service_rate) {
            return Err(MmcError::ServiceRate(params.service_rate));
        }
        if params.servers == 0 {
            return Err(MmcError::NoServers);
        }
        let interarrival = Exp::new(params.arrival_rate)
            .map_err(|_| MmcError::ArrivalRate(params.arrival_rate))?;
        let service_time = Exp::new(params.service_rate)
            .map_err(|_| MmcError::ServiceRate(params.service_rate))?;
        let mut mmc = Mmc {
            queue: EventQueue::with_capacity(params.servers as usize + 1),
            waiting: VecDeque::new(),
            idle: params.servers,
            arrivals: stream(trial_seed, ENTITY, Purpose::Arrivals),
            service: stream(trial_seed, ENTITY, Purpose::Service),
            interarrival,
            service_time,
            events: 0,
        };
        let first = mmc.draw_interarrival();
        mmc.queue.schedule_ordered(first, MmcEvent::Arrival);
        Ok(mmc)
    }

    /// Processes up to `events` events and returns how many it processed
    /// (fewer only if the queue runs dry, which cannot happen here since
    /// arrivals never stop). `on_departure(arrived, response)` is called for
    /// each customer who leaves, in departure order.
    #[inline]
    pub fn run(&mut self, events: u64, mut on_departure: impl FnMut(SimTime, SimTime)) -> u64 {
        let mut done = 0;
        while done < events {
            let Some((now, ev)) = self.queue.pop() else {
                break;
            };
            done += 1;
            match ev {
                MmcEvent::Arrival => {
                    let next = now + self.draw_interarrival();
                    self.queue.schedule_ordered(next, MmcEvent::Arrival);
                    if self.idle > 0 {
                        self.idle -= 1;
                        self.start_service(now, now);
                    } else {
                        self.waiting.push_back(now);
                    }
                }
                MmcEvent::Departure { arrived } => {
                    on_departure(arrived, now - arrived);
                    match self.waiting.pop_front() {
                        Some(next) => self.start_service(now, next),
                        None => self.idle += 1,
                    }
                }
            }
        }
        self.events += done;
        done
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Events processed since construction.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Customers in the system (waiting or in service).
    pub fn in_system(&self) -> usize {
        // Pending departures are the customers in service; the only other
        // pending event is the next arrival.
        self.waiting.len() + self.queue.len().saturating_sub(1)
    }

    #[inline(always)]
    fn start_service(&mut self, now: SimTime, arrived: SimTime) {
        let s = SimTime::from_secs_f64(self.service_time.sample(&mut self.service));
        self.queue
            .schedule(now + s, MmcEvent::Departure { arrived });
    }

    #[inline(always)]
    fn draw_interarrival(&mut self) -> SimTime {
        SimTime::from_secs_f64(self.interarrival.sample(&mut self.arrivals))
    }
}

#[cfg(test)]
mod tests;
