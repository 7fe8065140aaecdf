//! The two cloud limits: the per-portal leaky bucket (`QUERY_LIMIT_EXCEEDED`) and the
//! per-method operating time (`OPERATION_TIME_LIMIT`).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// Request-rate limit of a portal: the leaky bucket of the docs' `limits.md`.
///
/// Each accepted REST request adds 1 to a counter that drains by `drain_per_sec` per
/// second (continuously); a request that would take the counter above `burst` is refused
/// with 503 `QUERY_LIMIT_EXCEEDED` and does not add to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PortalRateLimit {
    /// The threshold `X` (50; Enterprise 250).
    pub burst: f64,
    /// The drain rate `Y` per second (2; Enterprise 5).
    pub drain_per_sec: f64,
}

impl PortalRateLimit {
    /// Every plan but Enterprise: burst 50, drain 2 per second.
    pub const STANDARD: PortalRateLimit = PortalRateLimit {
        burst: 50.0,
        drain_per_sec: 2.0,
    };
    /// Enterprise: burst 250, drain 5 per second.
    pub const ENTERPRISE: PortalRateLimit = PortalRateLimit {
        burst: 250.0,
        drain_per_sec: 5.0,
    };
    /// No limit at all.
    pub const UNLIMITED: PortalRateLimit = PortalRateLimit {
        burst: f64::INFINITY,
        drain_per_sec: 0.0,
    };
}

impl Default for PortalRateLimit {
    fn default() -> Self {
        PortalRateLimit::STANDARD
    }
}

#[derive(Debug)]
pub(crate) struct Bucket {
    pub(crate) limit: PortalRateLimit,
    level: f64,
    at: Option<Instant>,
}

impl Bucket {
    pub(crate) fn new(limit: PortalRateLimit) -> Self {
        Bucket {
            limit,
            level: 0.0,
            at: None,
        }
    }

    /// Drains to `now`, then admits one request (true) or refuses it (false).
    pub(crate) fn admit(&mut self, now: Instant) -> bool {
        if let Some(at) = self.at {
            let drained =
                now.saturating_duration_since(at).as_secs_f64() * self.limit.drain_per_sec;
            self.level = (self.level - drained).max(0.0);
        }
        self.at = Some(now);
        if self.level + 1.0 > self.limit.burst {
            false
        } else {
            self.level += 1.0;
            true
        }
    }

    /// The counter now (after draining), for tests.
    pub(crate) fn level(&self, now: Instant) -> f64 {
        match self.at {
            Some(at) => (self.level
                - now.saturating_duration_since(at).as_secs_f64() * self.limit.drain_per_sec)
                .max(0.0),
            None => 0.0,
        }
    }
}

/// The window of the operating-time budget: ten one-minute baskets.
const WINDOW: Duration = Duration::from_secs(600);
const BASKET: Duration = Duration::from_secs(60);

/// Operating time of one method for one app or webhook: one-minute baskets, each opened
/// by the first call after the previous basket's minute and released ten minutes after
/// that call (as `limits.md` describes).
#[derive(Debug, Default)]
pub(crate) struct Operating {
    baskets: HashMap<(String, String), VecDeque<(Instant, f64)>>,
}

impl Operating {
    fn expire(baskets: &mut VecDeque<(Instant, f64)>, now: Instant) {
        while baskets
            .front()
            .is_some_and(|(opened, _)| now.saturating_duration_since(*opened) >= WINDOW)
        {
            baskets.pop_front();
        }
    }

    /// The accumulated time of `method` for `who` at `now`.
    pub(crate) fn total(&mut self, who: &str, method: &str, now: Instant) -> f64 {
        let key = (who.to_owned(), method.to_owned());
        let Some(baskets) = self.baskets.get_mut(&key) else {
            return 0.0;
        };
        Self::expire(baskets, now);
        baskets.iter().map(|(_, s)| s).sum()
    }

    /// Adds `cost` seconds for a call at `now`; returns the new total and the instant the
    /// oldest basket is released.
    pub(crate) fn record(
        &mut self,
        who: &str,
        method: &str,
        now: Instant,
        cost: f64,
    ) -> (f64, Instant) {
        let baskets = self
            .baskets
            .entry((who.to_owned(), method.to_owned()))
            .or_default();
        Self::expire(baskets, now);
        match baskets.back_mut() {
            Some((opened, sum)) if now.saturating_duration_since(*opened) < BASKET => *sum += cost,
            _ => baskets.push_back((now, cost)),
        }
        let total = baskets.iter().map(|(_, s)| s).sum();
        let oldest = baskets.front().map_or(now, |(opened, _)| *opened);
        (total, oldest + WINDOW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bucket_drains() {
        let mut b = Bucket::new(PortalRateLimit::STANDARD);
        let t0 = Instant::now();
        assert!((0..50).all(|_| b.admit(t0)));
        assert!(!b.admit(t0));
        let t1 = t0 + Duration::from_millis(500);
        assert!(b.admit(t1));
        assert!(!b.admit(t1));
        assert!((b.level(t1) - 50.0).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn baskets_release_after_ten_minutes() {
        let mut o = Operating::default();
        let t0 = Instant::now();
        let (total, reset) = o.record("w", "m", t0, 20.0);
        assert_eq!((total, reset), (20.0, t0 + WINDOW));
        let (total, _) = o.record("w", "m", t0 + Duration::from_secs(59), 20.0);
        assert_eq!(total, 40.0);
        let t2 = t0 + Duration::from_secs(61);
        let (total, reset) = o.record("w", "m", t2, 5.0);
        assert_eq!((total, reset), (45.0, t0 + WINDOW));
        assert_eq!(o.total("w", "m", t0 + WINDOW), 5.0);
        let (_, reset) = o.record("w", "m", t0 + WINDOW, 0.0);
        assert_eq!(reset, t2 + WINDOW);
        assert_eq!(o.total("w", "other", t0), 0.0);
    }
}
