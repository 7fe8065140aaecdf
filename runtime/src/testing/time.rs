//! The portal's clock: `tokio::time` (so a paused test clock drives it) plus a base Unix
//! time, and the envelope's `time` object.

use serde_json::{Value, json};

use super::Quirks;
use tokio::time::Instant;

/// Maps `tokio::time::Instant`s to Unix time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    started: Instant,
    base_unix: f64,
}

impl Clock {
    pub(crate) fn new(base_unix: f64) -> Self {
        Clock {
            started: Instant::now(),
            base_unix,
        }
    }

    pub(crate) fn now(&self) -> Instant {
        Instant::now()
    }

    /// Unix time (seconds, fractional) of `at`.
    pub(crate) fn unix(&self, at: Instant) -> f64 {
        self.base_unix + at.saturating_duration_since(self.started).as_secs_f64()
    }
}

/// The `time` object of an answer, for a call that started at `start` (Unix seconds) and
/// took `duration` seconds; `operating` is `(operating, operating_reset_at)` for method
/// calls (and for `batch` itself with [`Quirks::batch_operating`]); `quirks` shape it as
/// recorded portals do.
pub(crate) fn time_object(
    start: f64,
    duration: f64,
    operating: Option<(f64, i64)>,
    quirks: &Quirks,
) -> Value {
    let finish = start + duration;
    let offset = quirks.utc_offset_secs;
    let mut t = json!({
        "start": start,
        "finish": finish,
        "duration": duration,
        "processing": duration * quirks.processing_ratio.unwrap_or(1.0),
        "date_start": iso8601(start, offset),
        "date_finish": iso8601(finish, offset),
    });
    if let (Some((operating, reset_at)), Value::Object(map)) = (operating, &mut t)
        && !quirks.no_operating
    {
        if !quirks.no_operating_reset_at {
            map.insert("operating_reset_at".into(), json!(reset_at));
        }
        map.insert("operating".into(), json!(operating));
    }
    t
}

/// `2026-05-14T10:26:32+02:00` for a Unix time (whole seconds) in the zone `offset`
/// seconds east of UTC, as the portal writes it with its own offset.
pub(crate) fn iso8601(unix: f64, offset: i32) -> String {
    let secs = unix.floor() as i64 + i64::from(offset);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.unsigned_abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        off / 3600,
        off % 3600 / 60,
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 → (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso8601(0.0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(iso8601(1_778_747_192.91, 0), "2026-05-14T08:26:32+00:00");
        assert_eq!(iso8601(951_782_400.0, 0), "2000-02-29T00:00:00+00:00");
        assert_eq!(iso8601(-1.0, 0), "1969-12-31T23:59:59+00:00");
        // The portal's own offset: the same instant, local time.
        assert_eq!(
            iso8601(1_778_747_192.91, 10_800),
            "2026-05-14T11:26:32+03:00"
        );
        assert_eq!(iso8601(0.0, -5 * 3600 - 1800), "1969-12-31T18:30:00-05:30");
    }
}
