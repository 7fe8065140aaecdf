//! When and how long the client waits before sending a call again.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use crate::Error;
use crate::transport::TransportErrorKind;

/// How a [`Client`](crate::Client) retries a call. What is retried:
///
/// - `QUERY_LIMIT_EXCEEDED` (the request-rate limit): always, for any method, after an
///   exponential backoff; the call did not run. This includes `batch`.
/// - `OPERATION_TIME_LIMIT` (the method's operating-time budget): after waiting until the
///   method's last known `time.operating_reset_at`, or
///   [`OperatingLimit::fallback_block`](crate::OperatingLimit::fallback_block) when none
///   is ahead; the call did not run.
/// - A connection that could not be established
///   ([`TransportErrorKind::Connect`](crate::TransportErrorKind::Connect)): always; the
///   request was not sent.
/// - Ambiguous failures, where the method may have run: a timeout or other transport
///   error, or a 5xx answer without an API error code. Only for read-only methods
///   ([`Method::READ_ONLY`](crate::Method::READ_ONLY), or `read_only = true` on
///   [`Client::call_value`](crate::Client::call_value)) and REST 3.0 writes
///   ([`Method::REST_V3`](crate::Method::REST_V3)); a classic writing method (an `add`, or
///   a `batch`) is sent once, since a retry could create duplicates. A REST 3.0 write
///   carries an `Idempotency-Key`, the same on every attempt, so the portal runs it once;
///   it is sent again no sooner than [`RetryPolicy::IDEMPOTENT_RESEND_AFTER`] after the
///   failed attempt.
/// - Nothing else: API errors are final (`OVERLOAD_LIMIT` is a 503 but a manual block;
///   `INTERNAL_SERVER_ERROR` is a 500 with a code).
///
/// An OAuth `expired_token` answer is not a retry: the client renews the tokens once and
/// sends the call again, outside this policy's counts.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// The most times one call is sent, first attempt included (1 = never retry); default 5.
    pub max_attempts: u32,
    /// The most time one call spends waiting between attempts, in total: backoff and
    /// operating-time pauses, not the request-rate queue nor the requests themselves.
    /// Default 600 s (one 10-minute operating window, so a blocked method can be waited
    /// out); a wait that would go over it is not made and the last error is returned.
    pub max_total_delay: Duration,
    /// The first backoff delay; each next one doubles, up to `max_delay`. Default 500 ms.
    pub base_delay: Duration,
    /// The longest single backoff delay. Default 30 s.
    pub max_delay: Duration,
    /// Add a random extra of up to 100 % to each backoff delay (still capped at
    /// `max_delay`), so that clients that failed together do not retry together.
    /// Default true.
    pub jitter: bool,
}

impl RetryPolicy {
    /// How long after sending a REST 3.0 write the client waits before sending it again
    /// after an ambiguous failure: 60 s, the longest the portal runs a call. The docs
    /// warn that two requests with one `Idempotency-Key` that overlap may both run.
    pub const IDEMPOTENT_RESEND_AFTER: Duration = Duration::from_secs(60);

    /// Never retry: every call is sent once (OAuth token renewal still happens).
    pub fn never() -> Self {
        RetryPolicy::default().max_attempts(1)
    }

    /// The same policy sending one call at most `attempts` times, first attempt included
    /// (at least 1: 0 counts as 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The same policy waiting at most `total` between the attempts of one call.
    #[must_use]
    pub fn max_total_delay(mut self, total: Duration) -> Self {
        self.max_total_delay = total;
        self
    }

    /// The same policy with backoff delays starting at `base`, doubling up to `max`.
    #[must_use]
    pub fn backoff_delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max;
        self
    }

    /// The same policy with or without random jitter on the backoff delays.
    #[must_use]
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The backoff delays, in order.
    pub(crate) fn backoff(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        let max = self.max_delay.max(self.base_delay);
        let mut builder = ExponentialBuilder::new()
            .with_min_delay(self.base_delay)
            .with_max_delay(max)
            .with_factor(2.0)
            .without_max_times();
        if self.jitter {
            builder = builder.with_jitter();
        }
        builder.build().map(move |d| d.min(max))
    }
}

impl Default for RetryPolicy {
    /// 5 attempts, 600 s total delay, backoff from 500 ms doubling to 30 s, with jitter.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_total_delay: Duration::from_secs(600),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            jitter: true,
        }
    }
}

/// What a failed attempt calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `QUERY_LIMIT_EXCEEDED`: back off and retry (nothing ran).
    RateLimited,
    /// `OPERATION_TIME_LIMIT`: wait for the method's reset and retry (nothing ran).
    OperatingLimited,
    /// OAuth `expired_token`: renew the tokens once and resend (nothing ran).
    ExpiredToken,
    /// The request was not sent: back off and retry.
    NotSent,
    /// The method may have run: retry only read-only methods.
    Ambiguous,
    /// Final.
    Fatal,
}

impl Failure {
    pub(crate) fn of(error: &Error) -> Failure {
        match error {
            Error::Api(e) if e.is("QUERY_LIMIT_EXCEEDED") => Failure::RateLimited,
            Error::Api(e) if e.is("OPERATION_TIME_LIMIT") => Failure::OperatingLimited,
            Error::Api(e) if e.is("expired_token") => Failure::ExpiredToken,
            Error::Transport { source, .. }
                if matches!(
                    source.kind(),
                    TransportErrorKind::BodyTooLarge | TransportErrorKind::Certificate
                ) =>
            {
                Failure::Fatal
            }
            Error::Transport { source, .. } if source.is_connect() => Failure::NotSent,
            Error::Transport { .. } => Failure::Ambiguous,
            Error::Decode { status, .. } if *status >= 500 => Failure::Ambiguous,
            _ => Failure::Fatal,
        }
    }
}
