//! What an export needs under both cloud limits: the time the client expects to take.

use std::time::Duration;

use super::{OperatingLimit, RateLimit};

/// Rows per page of a list method.
const PAGE_ROWS: u64 = 50;
/// Pages chained per `batch` request.
const CHAIN: u64 = 50;
/// The documented window of the operating-time budget, in seconds.
const WINDOW_SECS: f64 = 600.0;

/// How an export is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportWay {
    /// One page per request: [`Client::export`](crate::Client::export) (and
    /// [`Client::items`](crate::Client::items), which pages by `start`).
    PagePerRequest,
    /// 50 pages chained per `batch` request:
    /// [`Client::export_batched`](crate::Client::export_batched).
    Batched,
}

/// What an export of a list is expected to need; from [`estimate_export`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ExportEstimate {
    /// Method calls: one per 50-row page, plus the short page that ends the export.
    pub calls: u64,
    /// HTTP requests (for [`ExportWay::Batched`], a window's first request after a wait
    /// chains one page, to learn the method's total).
    pub requests: u64,
    /// Operating time all calls use, in seconds.
    pub operating_secs: f64,
    /// 10-minute windows of the operating-time budget the export spans.
    pub windows: u64,
    /// Expected time from the first request to the last, under both limits.
    pub duration: Duration,
}

/// The time and requests an export of `rows` rows needs when one page costs
/// `page_cost_secs` of operating time (recorded portals: 0.45–1.2 s per 50-row page),
/// under the request-rate limit `rate` and the operating-time limit `operating`.
///
/// The model is the portal's own: a call runs while the method's operating time over the
/// last 10 minutes is at most the budget, so a window runs
/// `floor(pause_at * budget / page_cost) + 1` calls and the export needs
/// `ceil(calls / per_window)` windows; each but the last ends with a wait for the window
/// (600 s from its start), and requests within a window wait for the bucket (burst, then
/// `drain_per_sec`). Returns the longer of the operating-time schedule and the
/// bucket-only schedule; the client's pauses round the portal's whole-second reset time up
/// by 1 s per window. A 100,000-row batch-chained export at 1.2 s per page: 2,001 calls
/// in 5 windows, 2,400 s (the bucket alone would allow 41 requests in 0 s).
///
/// `page_cost_secs` of 0 or less (or not a number) means operating time does not bound
/// the export.
pub fn estimate_export(
    rows: u64,
    page_cost_secs: f64,
    way: ExportWay,
    rate: RateLimit,
    operating: OperatingLimit,
) -> ExportEstimate {
    let calls = rows / PAGE_ROWS + 1;
    let usable = operating.pause_at * operating.budget_secs + 1e-6;
    let per_window = if page_cost_secs > 0.0 && usable.is_finite() {
        let n = (usable / page_cost_secs).floor() + 1.0;
        if n >= calls as f64 {
            calls
        } else {
            (n as u64).max(1)
        }
    } else {
        calls
    };
    let windows = calls.div_ceil(per_window);
    let last = calls - (windows - 1) * per_window;
    let requests_for = |n: u64, first: bool| match way {
        ExportWay::PagePerRequest => n,
        ExportWay::Batched if first => n.div_ceil(CHAIN),
        ExportWay::Batched => 1 + (n - 1).div_ceil(CHAIN),
    };
    let requests = if windows == 1 {
        requests_for(calls, true)
    } else {
        requests_for(per_window, true)
            + (windows - 2) * requests_for(per_window, false)
            + requests_for(last, false)
    };
    let bucket = |n: u64| {
        let over = n.saturating_sub(u64::from(rate.burst)) as f64;
        if rate.drain_per_sec > 0.0 {
            over / rate.drain_per_sec
        } else {
            0.0
        }
    };
    let last_requests = requests_for(last, windows == 1);
    let by_operating = (windows - 1) as f64 * WINDOW_SECS + bucket(last_requests);
    let secs = by_operating.max(bucket(requests));
    ExportEstimate {
        calls,
        requests,
        operating_secs: calls as f64 * page_cost_secs.max(0.0),
        windows,
        duration: Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_cases() {
        let est = |rows, cost, way| {
            estimate_export(
                rows,
                cost,
                way,
                RateLimit::STANDARD,
                OperatingLimit::DEFAULT,
            )
        };
        // 100,000 rows, no operating cost: 41 batch requests in the burst; 2,001 single
        // requests take (2,001 - 50) / 2 = 975.5 s.
        let e = est(100_000, 0.0, ExportWay::Batched);
        assert_eq!(
            (e.calls, e.requests, e.windows, e.duration),
            (2_001, 41, 1, Duration::ZERO)
        );
        let e = est(100_000, 0.0, ExportWay::PagePerRequest);
        assert_eq!((e.requests, e.duration.as_secs_f64()), (2_001, 975.5));
        // At 1.2 s per page: 401 calls per window, 5 windows, 4 waits of 600 s; requests:
        // 9 in the first window (8 × 50 + 1), 1 + 8 in the next three, 1 + 8 in the last
        // (397 calls).
        let e = est(100_000, 1.2, ExportWay::Batched);
        assert_eq!(
            (e.windows, e.requests, e.duration.as_secs()),
            (5, 45, 2_400)
        );
        assert!((e.operating_secs - 2_401.2).abs() < 1e-6);
        // 12 s per page, 3,000 rows: 61 calls, 41 per window: 2 windows, 600 s.
        let e = est(3_000, 12.0, ExportWay::PagePerRequest);
        assert_eq!((e.windows, e.requests, e.duration.as_secs()), (2, 61, 600));
    }
}
