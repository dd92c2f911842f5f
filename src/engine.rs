//! The discrete-event engine: simulated time, the event queue and seeded
//! random streams. It knows no component kind; models plug in through
//! [`queue::EventQueue`] and their own event enum.

pub mod queue;
pub mod rng;
pub mod time;

pub use rng::{Purpose, SimRng};
pub use time::SimTime;
