//! The discrete-event engine: simulated time, the event queue, arenas for
//! short-lived entities and seeded random streams. It knows no component
//! kind; models plug in through [`queue::EventQueue`] and their own event
//! enum. [`mmc`] is an example model used by the tests and benchmarks.

pub mod arena;
pub mod mmc;
pub mod queue;
pub mod rng;
pub mod time;

pub use arena::Arena;
pub use queue::{EventKey, EventQueue};
pub use rng::{Purpose, SimRng};
pub use time::SimTime;
