//! Client-side limits: the request-rate bucket and the per-method operating-time tracker.

mod bucket;
mod operating;
pub(crate) mod commands;

pub(crate) use bucket::Bucket;
pub use bucket::RateLimit;
pub(crate) use operating::OperatingTracker;
pub use operating::{Clock, OperatingLimit, SystemClock, TokioClock};
