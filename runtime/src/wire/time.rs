//! Dates, times and exact decimals: [`Decode`] for `chrono`'s [`NaiveDate`] and
//! [`DateTime<FixedOffset>`], and for [`Decimal`] (money stays exact: `"3607999.00"` is
//! not rounded through `f64`).
//!
//! The portal writes an absent date or amount as `""`, and an absent date also as
//! `false`: an `Option` of these types decodes them as `None` (see
//! [`Decode::EMPTY_STRING_IS_NONE`], [`Decode::FALSE_IS_NONE`]).

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserializer;
use serde::de::{self, Unexpected, Visitor};

use super::Decode;

/// Accepts a string (surrounding whitespace ignored), and what `F` makes of it; the
/// `&str` is what is expected, for the error.
pub(crate) struct TextVisitor<F>(pub(crate) &'static str, pub(crate) F);

impl<'de, T, F: FnOnce(&str) -> Option<T>> Visitor<'de> for TextVisitor<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        let expecting = self.0;
        (self.1)(s.trim()).ok_or_else(|| E::invalid_value(Unexpected::Str(s), &expecting))
    }
}

/// A date `2025-01-31`, or `31.01.2025` (the dotted site formats, day first); a date-time
/// in a date field (`2025-01-31T10:00:00+03:00`, `10.10.2024 15:55:30`: any form
/// [`crate::DateTime`] reads, which the portal sends for some date fields) gives its date,
/// as written (in its own offset). `01/31/2025` is refused: day or month first depends on
/// the portal.
impl Decode for NaiveDate {
    const FALSE_IS_NONE: bool = true;

    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor(
            "a date as `YYYY-MM-DD` or `DD.MM.YYYY` (or a date-time)",
            |s: &str| {
                let dotted = s.len() == 10 && s.as_bytes()[2] == b'.' && s.as_bytes()[5] == b'.';
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .ok()
                    .or_else(|| dotted.then(|| NaiveDate::parse_from_str(s, "%d.%m.%Y").ok())?)
                    .or_else(|| date_time(s).map(|t| t.date_naive()))
                    .or_else(|| {
                        s.parse::<crate::DateTime>()
                            .ok()
                            .map(|t| t.naive_local().date())
                    })
            },
        ))
    }
}

/// A date-time with its UTC offset, as the portal writes it: RFC 3339
/// (`2025-01-31T10:00:00+03:00`), or with a `+0300` offset.
impl Decode for DateTime<FixedOffset> {
    const FALSE_IS_NONE: bool = true;

    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor(
            "a date-time with an offset, as RFC 3339 (`2025-01-31T10:00:00+03:00`)",
            date_time,
        ))
    }
}

fn date_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z").ok())
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number as a JSON number or a string holding one")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        // The shortest text that reads back as `v` (what the portal wrote, for the
        // amounts it sends), not the binary expansion.
        self.visit_str(&v.to_string())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Decimal, E> {
        let t = s.trim();
        t.parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(t))
            .map_err(|_| E::invalid_value(Unexpected::Str(s), &self))
    }
}

/// A decimal: a JSON number or a string holding one (`"3607999.00"`, kept exact with its
/// scale); at most 28 significant digits.
impl Decode for Decimal {
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DecimalVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn decode<T: Decode>(v: serde_json::Value) -> Result<T, serde_json::Error> {
        T::decode(v)
    }

    #[test]
    fn dates_and_times_decode_leniently_and_empty_is_none() {
        assert_eq!(
            decode::<NaiveDate>(json!("2025-01-31")).unwrap(),
            NaiveDate::from_ymd_opt(2025, 1, 31).unwrap()
        );
        assert_eq!(
            decode::<NaiveDate>(json!("2025-01-31T23:30:00+03:00")).unwrap(),
            NaiveDate::from_ymd_opt(2025, 1, 31).unwrap()
        );
        let t = decode::<DateTime<FixedOffset>>(json!("2025-01-31T10:00:00+03:00")).unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-31T10:00:00+03:00");
        let t = decode::<DateTime<FixedOffset>>(json!("2025-01-31T10:00:00+0300")).unwrap();
        assert_eq!(t.offset().local_minus_utc(), 3 * 3600);
        assert_eq!(decode::<Option<NaiveDate>>(json!("")).unwrap(), None);
        assert_eq!(
            decode::<Option<DateTime<FixedOffset>>>(json!("")).unwrap(),
            None
        );
        // PHP's `false` for "no date": absent in an `Option`, an error otherwise, and
        // never absent for another type.
        assert_eq!(decode::<Option<NaiveDate>>(json!(false)).unwrap(), None);
        assert_eq!(
            decode::<Option<crate::DateTime>>(json!(false)).unwrap(),
            None
        );
        assert!(decode::<Option<crate::DateTime>>(json!(true)).is_err());
        assert!(decode::<crate::DateTime>(json!(false)).is_err());
        assert_eq!(decode::<Option<bool>>(json!(false)).unwrap(), Some(false));
        // The site formats that say which number is the day.
        let jan31 = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
        for s in [
            "31.01.2025",
            "31.01.2025 23:30:00",
            "01/31/2025 11:30:00 pm",
        ] {
            assert_eq!(decode::<NaiveDate>(json!(s)).unwrap(), jan31, "{s}");
        }
        let e = decode::<NaiveDate>(json!("01/31/2025")).unwrap_err();
        assert!(e.to_string().contains("\"01/31/2025\""), "{e}");
    }

    #[test]
    fn money_stays_exact() {
        let d = decode::<Decimal>(json!("3607999.00")).unwrap();
        assert_eq!(d.to_string(), "3607999.00");
        assert_eq!(
            decode::<Decimal>(json!(100.5)).unwrap().to_string(),
            "100.5"
        );
        assert_eq!(decode::<Decimal>(json!(7)).unwrap(), Decimal::from(7));
        assert_eq!(decode::<Option<Decimal>>(json!("")).unwrap(), None);
        assert!(decode::<Decimal>(json!("abc")).is_err());
        assert_eq!(serde_json::to_value(d).unwrap(), json!("3607999.00"));
    }
}
