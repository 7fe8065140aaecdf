//! Per-method operating time: the portal's budget of execution seconds per method.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::Time;

/// The longest the tracker pauses a method, in seconds: one whole 10-minute window
/// (guards against a nonsensical `operating_reset_at`).
const MAX_PAUSE_SECS: f64 = 600.0;

/// The wall clock, as Unix time: converts the portal's `time.operating_reset_at` (a Unix
/// timestamp) into a wait.
///
/// Waiting itself uses tokio's clock, so tests with a paused tokio clock should use
/// [`TokioClock`], whose Unix time advances with it.
pub trait Clock: Send + Sync + 'static {
    /// The current time as Unix time, in seconds (fractional).
    fn unix_now(&self) -> f64;
}

/// [`Clock`] reading the system time; the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_now(&self) -> f64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }
}

/// [`Clock`] whose Unix time starts at a given value and then advances with tokio's clock
/// ([`tokio::time::Instant`]), so with a paused tokio clock (`#[tokio::test(start_paused =
/// true)]`) waits for `operating_reset_at` are exact and instant.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    unix_at_start: f64,
    start: Instant,
}

impl TokioClock {
    /// A clock that reads `unix_now` (Unix time, in seconds) now. Must be called inside a
    /// tokio runtime when the clock is paused (it reads tokio's clock).
    pub fn starting_at(unix_now: f64) -> Self {
        TokioClock {
            unix_at_start: unix_now,
            start: Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn unix_now(&self) -> f64 {
        self.unix_at_start + Instant::now().duration_since(self.start).as_secs_f64()
    }
}

/// How the client treats the per-method operating-time budget (the portal's execution
/// time of one method for one application or webhook, over the last 10 minutes).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct OperatingLimit {
    /// The portal's budget per method per 10 minutes, in seconds (480 in the cloud).
    pub budget_secs: f64,
    /// When a response reports `time.operating` above `pause_at * budget_secs`, further
    /// calls to that method wait until its `time.operating_reset_at`; between 0 and 1,
    /// default 0.9. Other methods are not affected.
    pub pause_at: f64,
    /// How long a method is blocked after a 429 `OPERATION_TIME_LIMIT` when no future
    /// `operating_reset_at` is known for it (default 60 s, the length of one basket).
    pub fallback_block: Duration,
}

impl OperatingLimit {
    /// Budget 480 s, pause at 90 % of it, fallback block 60 s.
    pub const DEFAULT: OperatingLimit = OperatingLimit {
        budget_secs: 480.0,
        pause_at: 0.9,
        fallback_block: Duration::from_secs(60),
    };

    pub(crate) fn check(&self) -> Result<(), String> {
        if !(self.budget_secs.is_finite() && self.budget_secs > 0.0) {
            return Err("operating limit: budget_secs must be a finite number above 0".into());
        }
        if !(self.pause_at > 0.0 && self.pause_at <= 1.0) {
            return Err("operating limit: pause_at must be above 0 and at most 1".into());
        }
        Ok(())
    }
}

impl Default for OperatingLimit {
    /// [`OperatingLimit::DEFAULT`].
    fn default() -> Self {
        OperatingLimit::DEFAULT
    }
}

#[derive(Debug, Default)]
struct MethodState {
    /// The last `operating_reset_at` seen, as Unix time in seconds.
    reset_at: Option<f64>,
    /// Calls wait until then.
    paused_until: Option<Instant>,
}

/// Per-method state fed by each response's `time`.
pub(crate) struct OperatingTracker {
    limit: OperatingLimit,
    clock: Arc<dyn Clock>,
    methods: Mutex<HashMap<String, MethodState>>,
}

impl OperatingTracker {
    pub(crate) fn new(limit: OperatingLimit, clock: Arc<dyn Clock>) -> Self {
        OperatingTracker {
            limit,
            clock,
            methods: Mutex::new(HashMap::new()),
        }
    }

    fn with<R>(&self, method: &str, f: impl FnOnce(&mut MethodState) -> R) -> R {
        let mut methods = self.methods.lock().unwrap_or_else(|p| p.into_inner());
        f(methods.entry(method.to_ascii_lowercase()).or_default())
    }

    /// The tokio instant of the Unix time `unix` (now if it has passed).
    fn instant_of(&self, unix: f64) -> Instant {
        let secs = (unix - self.clock.unix_now()).clamp(0.0, MAX_PAUSE_SECS);
        Instant::now() + Duration::from_secs_f64(secs)
    }

    /// Until when calls to `method` should wait, if that is in the future.
    pub(crate) fn paused_until(&self, method: &str) -> Option<Instant> {
        let now = Instant::now();
        self.with(method, |s| s.paused_until.filter(|t| *t > now))
    }

    /// A successful response's `time`: remember the reset time; pause the method when its
    /// operating time is close to the budget, lift a pause otherwise.
    pub(crate) fn observe(&self, method: &str, time: &Time) {
        let reset_at = time.operating_reset_at.map(|t| t as f64);
        let paused_until = match (time.operating, reset_at) {
            (Some(op), Some(at)) if op > self.limit.pause_at * self.limit.budget_secs => {
                let until = self.instant_of(at);
                tracing::warn!(
                    method,
                    operating = op,
                    wait_secs = until
                        .saturating_duration_since(Instant::now())
                        .as_secs_f64(),
                    "operating time near the budget: pausing the method until its reset"
                );
                Some(until)
            }
            _ => None,
        };
        self.with(method, |s| {
            if reset_at.is_some() {
                s.reset_at = reset_at;
            }
            if time.operating.is_some() {
                s.paused_until = paused_until;
            }
        });
    }

    /// The portal answered `OPERATION_TIME_LIMIT`: block the method until the last known
    /// `operating_reset_at` if it is still ahead, else for the fallback. Returns the end of
    /// the block.
    pub(crate) fn blocked(&self, method: &str) -> Instant {
        let now_unix = self.clock.unix_now();
        let known = self.with(method, |s| s.reset_at.filter(|at| *at > now_unix));
        let until = match known {
            Some(at) => self.instant_of(at),
            None => Instant::now() + self.limit.fallback_block,
        };
        self.with(method, |s| {
            s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        });
        until
    }
}

impl fmt::Debug for OperatingTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperatingTracker")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}
