//! Per-method operating time: the portal's budget of execution seconds per method.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::Time;

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
///
/// The portal runs a call while the method's total is at most the budget and answers 429
/// `OPERATION_TIME_LIMIT` once it is above. The client models that: it tracks each
/// method's total from the `time.operating` of every answer (for `batch`, the largest
/// value per method among its commands: real portals report it on a method's first command
/// and 0 on later ones), learns the operating time one call costs from how the total
/// grows, and holds back a request whose calls would start above `pause_at * budget_secs`
/// until the method's `time.operating_reset_at` (or, when the portal does not send it, the
/// end of the documented 10-minute window, counted from the first answer of the window).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct OperatingLimit {
    /// The portal's budget per method per 10 minutes, in seconds (480 in the cloud).
    pub budget_secs: f64,
    /// The fraction of the budget the client lets a method use before pausing it: a
    /// request is held back when its calls would start above `pause_at * budget_secs`
    /// (estimated). Above 0 and at most 1; default 1 (the portal's own rule; a call that
    /// still meets `OPERATION_TIME_LIMIT` is waited out and retried). Other methods are
    /// not affected.
    pub pause_at: f64,
    /// How long a method is blocked after a 429 `OPERATION_TIME_LIMIT` when no future
    /// `operating_reset_at` or window end is known for it (default 60 s, the length of one
    /// basket); above zero and at most 600 s (the window).
    pub fallback_block: Duration,
}

impl OperatingLimit {
    /// Budget 480 s, pause when a call would start above it, fallback block 60 s.
    pub const DEFAULT: OperatingLimit = OperatingLimit {
        budget_secs: 480.0,
        pause_at: 1.0,
        fallback_block: Duration::from_secs(60),
    };

    pub(crate) fn check(&self) -> Result<(), String> {
        if !(self.budget_secs.is_finite() && self.budget_secs > 0.0) {
            return Err(format!(
                "operating limit: budget_secs must be a finite number above 0 (got {})",
                self.budget_secs
            ));
        }
        if !(self.pause_at > 0.0 && self.pause_at <= 1.0) {
            return Err(format!(
                "operating limit: pause_at must be above 0 and at most 1 (got {})",
                self.pause_at
            ));
        }
        if self.fallback_block.is_zero() || self.fallback_block > WINDOW {
            return Err(format!(
                "operating limit: fallback_block must be above 0 and at most 600 s (got {:?})",
                self.fallback_block
            ));
        }
        Ok(())
    }

    /// The total a call may start at, in seconds (with a margin for rounding).
    fn ceiling(&self) -> f64 {
        self.pause_at * self.budget_secs + 1e-6
    }
}

impl Default for OperatingLimit {
    /// [`OperatingLimit::DEFAULT`].
    fn default() -> Self {
        OperatingLimit::DEFAULT
    }
}

/// The documented window of the operating-time budget.
const WINDOW: Duration = Duration::from_secs(600);

#[derive(Debug, Default)]
struct MethodState {
    /// The last total the portal reported, in seconds, and how many calls of the method
    /// ran after the call that reported it.
    reported: Option<(f64, u32)>,
    /// Operating time of one call, in seconds, learned from how the reported total grows.
    cost: Option<f64>,
    /// When the counted operating time starts to be released: the last
    /// `operating_reset_at` (as a tokio instant), else the end of the 10-minute window
    /// opened by the first answer after the previous release.
    release: Option<Instant>,
    /// Calls wait until then (after an `OPERATION_TIME_LIMIT`).
    blocked_until: Option<Instant>,
    /// Calls seen since the window began (to guess the cost per call from where the
    /// portal stopped, when it reported too little to learn it).
    calls_in_window: u32,
}

impl MethodState {
    /// Drops what a release made stale.
    fn refresh(&mut self, now: Instant) {
        if self.release.is_some_and(|r| r <= now) {
            self.release = None;
            self.reported = None;
            self.calls_in_window = 0;
        }
        if self.blocked_until.is_some_and(|b| b <= now) {
            self.blocked_until = None;
        }
    }

    /// The estimated total now (only while the window it belongs to is not released):
    /// the last reported total plus the calls after it, or, from a portal that reports
    /// nothing, the calls of the window.
    fn estimate(&self) -> Option<f64> {
        match self.reported {
            Some((reported, after)) => Some(reported + f64::from(after) * self.cost.unwrap_or(0.0)),
            None if self.release.is_some() && self.blocked_until.is_none() => {
                Some(f64::from(self.calls_in_window) * self.cost?)
            }
            None => None,
        }
    }
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
        let state = methods.entry(method.to_ascii_lowercase()).or_default();
        state.refresh(Instant::now());
        f(state)
    }

    /// The tokio instant of the Unix time `unix` (now if it has passed, at most one
    /// window ahead: guards against a nonsensical `operating_reset_at`).
    fn instant_of(&self, unix: f64) -> Instant {
        let secs = (unix - self.clock.unix_now()).clamp(0.0, WINDOW.as_secs_f64());
        Instant::now() + Duration::from_secs_f64(if secs.is_nan() { 0.0 } else { secs })
    }

    /// Until when a request making `calls` calls of `method` should wait, if that is in
    /// the future: while the method is blocked, or while its estimated total would exceed
    /// the limit before the request's last call starts.
    pub(crate) fn paused_until(&self, method: &str, calls: u32) -> Option<Instant> {
        let now = Instant::now();
        let ceiling = self.limit.ceiling();
        self.with(method, |s| {
            if let Some(until) = s.blocked_until.filter(|t| *t > now) {
                return Some(until);
            }
            let estimate = s.estimate()?;
            let last_start = estimate + f64::from(calls.saturating_sub(1)) * s.cost.unwrap_or(0.0);
            if last_start > ceiling {
                let until = s.release?;
                tracing::info!(
                    method,
                    operating = estimate,
                    wait_secs = until.saturating_duration_since(now).as_secs_f64(),
                    "operating time at the budget: pausing the method until its reset"
                );
                Some(until)
            } else {
                None
            }
        })
    }

    /// How many calls of `method` can run now before its estimated total passes the
    /// limit; `None` when nothing is known about the current window (after a release the
    /// portal has to tell the new total first). At least 1 when not paused.
    pub(crate) fn room(&self, method: &str) -> Option<u32> {
        let ceiling = self.limit.ceiling();
        self.with(method, |s| {
            let estimate = s.estimate()?;
            let cost = s.cost.filter(|c| *c > 0.0)?;
            if estimate > ceiling {
                return Some(0);
            }
            let calls = ((ceiling - estimate) / cost).floor() + 1.0;
            Some(if calls >= f64::from(u32::MAX) {
                u32::MAX
            } else {
                calls as u32
            })
        })
    }

    /// Whether the last known state of `method`'s window was released (or never seen) and
    /// a cost per call is known: the next request should be small, to learn the new total.
    pub(crate) fn needs_probe(&self, method: &str) -> bool {
        self.with(method, |s| s.release.is_none() && s.cost.is_some())
    }

    /// A successful single call's `time`.
    pub(crate) fn observe(&self, method: &str, time: &Time) {
        self.observe_calls(method, &[Some(time)]);
    }

    /// The `time` of each call of `method` that ran, in order (`None`: the call ran but
    /// reported no `time`). A call reporting `operating` 0 after an earlier call of the
    /// same request reported more carries no information (real portals report a method's
    /// operating time on its first command of a batch only).
    pub(crate) fn observe_calls(&self, method: &str, times: &[Option<&Time>]) {
        let now = Instant::now();
        let reset = times
            .iter()
            .flatten()
            .filter_map(|t| t.operating_reset_at)
            .max()
            .map(|at| self.instant_of(at as f64 + 1.0)); // whole seconds: round up
        self.with(method, |s| {
            s.calls_in_window = s
                .calls_in_window
                .saturating_add(u32::try_from(times.len()).unwrap_or(u32::MAX));
            let mut seen = false;
            for time in times {
                let value = time
                    .and_then(|t| t.operating)
                    .filter(|v| v.is_finite() && *v >= 0.0);
                match value {
                    Some(v) if !(seen && v == 0.0) => {
                        if let Some((before, after)) = s.reported
                            && v > before
                        {
                            s.cost = Some((v - before) / f64::from(after.saturating_add(1)));
                        }
                        s.reported = Some((v, 0));
                        seen = true;
                    }
                    _ => {
                        if let Some((_, after)) = &mut s.reported {
                            *after = after.saturating_add(1);
                        }
                    }
                }
            }
            // Without a reset time the window is the documented 10 minutes from the
            // first call seen in it (the portal's own window began no later).
            s.release = match reset {
                Some(at) if at > now && seen => Some(at),
                _ => Some(s.release.unwrap_or(now + WINDOW)),
            };
        });
        tracing::trace!(method, calls = times.len(), "operating time observed");
    }

    /// The portal answered `OPERATION_TIME_LIMIT`: block the method until its known
    /// release if that is still ahead, else for the fallback. Returns the end of the
    /// block.
    pub(crate) fn blocked(&self, method: &str) -> Instant {
        let now = Instant::now();
        let fallback = now + self.limit.fallback_block;
        self.with(method, |s| {
            let until = s.release.filter(|r| *r > now).unwrap_or(fallback);
            let until = s.blocked_until.map_or(until, |b| b.max(until));
            s.blocked_until = Some(until);
            // Whatever we knew, the portal's total is above the budget now. Without a
            // learned cost, the calls that ran in this window bound it: all but the last
            // started at most at the budget.
            s.reported = None;
            if s.cost.is_none() && s.calls_in_window >= 2 {
                s.cost = Some(self.limit.budget_secs / f64::from(s.calls_in_window - 1));
            }
            until
        })
    }
}

impl fmt::Debug for OperatingTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperatingTracker")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}
