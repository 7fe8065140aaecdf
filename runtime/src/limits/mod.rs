//! Client-side limits: the request-rate bucket and the per-method operating-time tracker.

mod bucket;
pub(crate) mod commands;
mod operating;
mod plan;

pub(crate) use bucket::Bucket;
pub use bucket::RateLimit;
pub(crate) use operating::OperatingTracker;
pub use operating::{Clock, OperatingLimit, SystemClock, TokioClock};
pub use plan::{ExportEstimate, ExportWay, estimate_export};
