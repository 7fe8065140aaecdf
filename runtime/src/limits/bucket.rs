//! The leaky bucket that keeps a client under the portal's request-rate limit.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// The slowest drain [`ClientBuilder::build`](crate::ClientBuilder::build) accepts: one
/// request per 1,000 s (slower rates would make waits overflow).
const MIN_DRAIN_PER_SEC: f64 = 0.001;

/// The portal's request-rate limit (a leaky bucket): every HTTP request adds one to a
/// counter that drains by `drain_per_sec` each second; a request that would push it over
/// `burst` is refused with 503 `QUERY_LIMIT_EXCEEDED`.
///
/// The portal counts per portal and source IP address, so applications on one server share
/// it; the client's own bucket counts the requests of one [`Client`](crate::Client) and its
/// clones only. Pick the preset of the portal's plan, or a lower one when several clients
/// share an address.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RateLimit {
    /// How many requests may be sent at once before waiting (the counter's threshold), in
    /// requests; at least 1.
    pub burst: u32,
    /// How fast the counter drains, in requests per second; finite and at least 0.001.
    pub drain_per_sec: f64,
}

impl RateLimit {
    /// Every plan except Enterprise: burst 50 requests, drain 2 requests per second.
    pub const STANDARD: RateLimit = RateLimit::new(50, 2.0);
    /// Enterprise plans: burst 250 requests, drain 5 requests per second.
    pub const ENTERPRISE: RateLimit = RateLimit::new(250, 5.0);

    /// A limit of `burst` requests draining at `drain_per_sec` requests per second;
    /// checked by [`ClientBuilder::build`](crate::ClientBuilder::build) (burst at least 1,
    /// drain finite and at least 0.001 requests per second).
    pub const fn new(burst: u32, drain_per_sec: f64) -> Self {
        RateLimit {
            burst,
            drain_per_sec,
        }
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        if self.burst == 0 {
            return Err("rate limit: burst must be at least 1 request".into());
        }
        if !(self.drain_per_sec.is_finite() && self.drain_per_sec >= MIN_DRAIN_PER_SEC) {
            return Err(format!(
                "rate limit: drain_per_sec must be a finite number of at least {MIN_DRAIN_PER_SEC} requests per second (got {})",
                self.drain_per_sec
            ));
        }
        Ok(())
    }
}

impl Default for RateLimit {
    /// [`RateLimit::STANDARD`].
    fn default() -> Self {
        RateLimit::STANDARD
    }
}

/// The client's copy of the portal's bucket. Waiters are served in order (the lock is held
/// while waiting, and tokio's mutex is fair).
#[derive(Debug)]
pub(crate) struct Bucket {
    limit: RateLimit,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The counter, in requests, as of `updated`.
    level: f64,
    updated: Instant,
}

impl Bucket {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Bucket {
            limit,
            state: Mutex::new(State {
                level: 0.0,
                updated: Instant::now(),
            }),
        }
    }

    fn drain(&self, state: &mut State, now: Instant) {
        let elapsed = now.saturating_duration_since(state.updated).as_secs_f64();
        state.level = (state.level - elapsed * self.limit.drain_per_sec).max(0.0);
        state.updated = now;
    }

    /// Waits until one more request fits, then counts it. Returns how long it waited.
    pub(crate) async fn acquire(&self) -> Duration {
        let mut state = self.state.lock().await;
        let start = Instant::now();
        self.drain(&mut state, start);
        let burst = f64::from(self.limit.burst);
        let over = state.level + 1.0 - burst;
        if over > 0.0 {
            let wait = Duration::try_from_secs_f64(over / self.limit.drain_per_sec)
                .unwrap_or(Duration::from_secs(1_000));
            tokio::time::sleep(wait).await;
            self.drain(&mut state, Instant::now());
        }
        state.level = (state.level + 1.0).min(burst);
        Instant::now().saturating_duration_since(start)
    }

    /// The portal said `QUERY_LIMIT_EXCEEDED`: its counter is full, so set ours full too;
    /// the next request waits for one request's worth of draining.
    pub(crate) async fn saturate(&self) {
        let mut state = self.state.lock().await;
        state.level = f64::from(self.limit.burst);
        state.updated = Instant::now();
    }
}
