//! [`DateTime`]: a date-time as the portal writes it, with or without a UTC offset.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::wire::Decode;
use crate::wire::time::TextVisitor;

/// A date-time as the portal wrote it: with a UTC offset (`2025-07-14T08:47:19+02:00`)
/// or without one (`2025-07-14 08:47:19`, a wall-clock time in the portal's own time
/// zone, which the value does not know). The type of `datetime` fields.
///
/// Nothing is guessed: [`offset`](Self::offset) is `None` when the text had none, and
/// [`with_offset_or`](Self::with_offset_or) takes the offset to assume (the portal's, or
/// the user's, which the application knows). [`naive_local`](Self::naive_local) is the
/// wall-clock time as written.
///
/// # Accepted forms
///
/// `YYYY-MM-DD`, then `T` or a space, then `hh:mm:ss`, then optionally a fraction of a
/// second (`.` and 1 to 9 digits), then optionally an offset: `Z`, `+hh:mm` / `-hh:mm`,
/// or `+hhmm` / `-hhmm`. So RFC 3339 (`2025-07-14T08:47:19.250Z`,
/// `2025-07-14T08:47:19+02:00`) and the portal's local form (`2025-07-14 08:47:19`,
/// `2025-07-14T08:47:19`). A second `60` (a leap second) is read as chrono does.
///
/// Older methods (`calendar.event.get`, `landing.*`) write the time in the portal's site
/// format instead, without an offset. Two of those forms say which number is the day, and
/// are read: `14.07.2025 08:47:19` (day first: the dotted formats) and
/// `07/14/2025 08:47:19 pm` (month first, a 12-hour clock with `am`/`pm` or `AM`/`PM`:
/// the English format). `14/07/2025 08:47:19` (day or month first, depending on the
/// portal) is refused, as are a date alone and a time without seconds.
///
/// Decoding ([`Decode`], `Deserialize`) ignores
/// surrounding whitespace, and an `Option<DateTime>` decodes `""` (the portal's empty
/// value) as `None`; [`FromStr`] takes the text exactly.
///
/// # Written back as read
///
/// `Display` and `Serialize` write the value in the form it was read in (separator,
/// digits of the fraction, `Z`, `+02:00` or `+0200`), so a date-time that was decoded is
/// sent back unchanged. A value made from a chrono type is written as RFC 3339 with a
/// `T`, an offset `+hh:mm` and as many fraction digits as its nanoseconds need (0, 3, 6
/// or 9), e.g. `2025-07-14T08:47:19+02:00`; one made from a `NaiveDateTime` has no
/// offset (`2025-07-14T08:47:19`). (A chrono value outside the years 0 to 9999 is written
/// as chrono writes such years and does not read back.)
///
/// # Equality
///
/// Two values are equal when they have the same wall-clock time and the same offset (or
/// both none), however these were written: `…T10:00:00Z` equals `…T10:00:00+00:00`.
/// `10:00:00+03:00` and `09:00:00+02:00` (the same instant) are not equal, and a value
/// without an offset equals no value with one; compare instants through
/// [`with_offset_or`](Self::with_offset_or). There is no `Ord` for the same reason.
///
/// ```
/// use bitrix24_runtime::DateTime;
/// use bitrix24_runtime::chrono::FixedOffset;
///
/// let created: DateTime = "2025-07-14 08:47:19".parse()?;
/// assert_eq!(created.offset(), None);
/// let berlin = FixedOffset::east_opt(2 * 3600).unwrap();
/// assert_eq!(created.with_offset_or(berlin).to_rfc3339(), "2025-07-14T08:47:19+02:00");
/// assert_eq!(created.to_string(), "2025-07-14 08:47:19", "written back as read");
///
/// let changed: DateTime = "2025-07-14T08:47:19+02:00".parse()?;
/// assert_eq!(changed.offset(), Some(berlin));
/// assert_eq!(changed.naive_local(), created.naive_local());
/// # Ok::<(), bitrix24_runtime::ParseDateTimeError>(())
/// ```
#[derive(Clone, Copy)]
pub struct DateTime {
    /// The wall-clock time as written.
    local: NaiveDateTime,
    offset: Option<FixedOffset>,
    form: Form,
}

/// How a value is written (the spelling of what was read).
#[derive(Debug, Clone, Copy, Default)]
struct Form {
    /// A space between date and time instead of `T`.
    space: bool,
    /// Digits of the fraction of a second (0: none).
    digits: u8,
    /// The offset written `Z`.
    zulu: bool,
    /// The offset written without a colon (`+0200`).
    compact: bool,
    /// A zero offset written `-00:00`.
    minus_zero: bool,
    /// Written in one of the portal's site formats instead.
    site: Option<Site>,
}

/// The portal's site formats that [`DateTime`] reads (see "Accepted forms").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Site {
    /// `14.07.2025 08:47:19`.
    DayDotted,
    /// `07/14/2025 08:47:19 pm`; `upper`: `PM`.
    MonthSlashed { upper: bool },
}

impl DateTime {
    /// The wall-clock time as written (in the written offset, or in the portal's time
    /// zone when there is none).
    pub fn naive_local(&self) -> NaiveDateTime {
        self.local
    }

    /// The UTC offset as written; `None` for a portal-local time.
    pub fn offset(&self) -> Option<FixedOffset> {
        self.offset
    }

    /// The date-time with its offset, when it has one.
    pub fn fixed_offset(&self) -> Option<chrono::DateTime<FixedOffset>> {
        self.offset.map(|offset| at_offset(self.local, offset))
    }

    /// The date-time with its offset, or, for a portal-local time, the wall-clock time
    /// taken in `assumed` (the portal's offset at that time, which the application knows;
    /// the portal's time zone is not in the value).
    ///
    /// For a wall-clock time so close to the limits of chrono's range (about year
    /// ±262,000) that `assumed` moves it out, the time is taken as UTC.
    pub fn with_offset_or(&self, assumed: FixedOffset) -> chrono::DateTime<FixedOffset> {
        at_offset(self.local, self.offset.unwrap_or(assumed))
    }
}

fn at_offset(local: NaiveDateTime, offset: FixedOffset) -> chrono::DateTime<FixedOffset> {
    offset
        .from_local_datetime(&local)
        .single()
        .unwrap_or_else(|| local.and_utc().fixed_offset())
}

/// Fraction digits that write `nanos` exactly: 0, 3, 6 or 9.
fn digits_for(nanos: u32) -> u8 {
    let nanos = nanos % 1_000_000_000;
    if nanos == 0 {
        0
    } else if nanos.is_multiple_of(1_000_000) {
        3
    } else if nanos.is_multiple_of(1_000) {
        6
    } else {
        9
    }
}

/// With its offset, written as RFC 3339 (`2025-07-14T08:47:19+02:00`, fraction digits as
/// needed). An offset with seconds (which RFC 3339 cannot write, e.g. a historic local
/// mean time) is replaced by UTC: the same instant.
impl<Tz: TimeZone> From<chrono::DateTime<Tz>> for DateTime {
    fn from(t: chrono::DateTime<Tz>) -> Self {
        let mut t = t.fixed_offset();
        if t.offset().local_minus_utc() % 60 != 0 {
            t = t.to_utc().fixed_offset();
        }
        DateTime {
            local: t.naive_local(),
            offset: Some(*t.offset()),
            form: Form {
                digits: digits_for(t.nanosecond()),
                ..Form::default()
            },
        }
    }
}

/// Without an offset (a portal-local time), written `2025-07-14T08:47:19` (fraction
/// digits as needed).
impl From<NaiveDateTime> for DateTime {
    fn from(local: NaiveDateTime) -> Self {
        DateTime {
            local,
            offset: None,
            form: Form {
                digits: digits_for(local.nanosecond()),
                ..Form::default()
            },
        }
    }
}

impl PartialEq for DateTime {
    fn eq(&self, other: &Self) -> bool {
        self.local == other.local && self.offset == other.offset
    }
}

impl Eq for DateTime {}

impl Hash for DateTime {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.local.hash(state);
        self.offset.map(|o| o.local_minus_utc()).hash(state);
    }
}

/// As written (see [`DateTime`]).
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, t) = (self.local.date(), self.local.time());
        match self.form.site {
            Some(Site::DayDotted) => {
                return write!(
                    f,
                    "{:02}.{:02}.{:04} {:02}:{:02}:{:02}",
                    d.day(),
                    d.month(),
                    d.year(),
                    t.hour(),
                    t.minute(),
                    t.second()
                );
            }
            Some(Site::MonthSlashed { upper }) => {
                let (pm, hour) = t.hour12();
                let meridiem = match (pm, upper) {
                    (false, false) => "am",
                    (true, false) => "pm",
                    (false, true) => "AM",
                    (true, true) => "PM",
                };
                return write!(
                    f,
                    "{:02}/{:02}/{:04} {:02}:{:02}:{:02} {meridiem}",
                    d.month(),
                    d.day(),
                    d.year(),
                    hour,
                    t.minute(),
                    t.second()
                );
            }
            None => {}
        }
        // A leap second is the nanoseconds past 1e9 of second 59.
        let (second, nanos) = match t.nanosecond() {
            n if n >= 1_000_000_000 => (t.second() + 1, n - 1_000_000_000),
            n => (t.second(), n),
        };
        write!(
            f,
            "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}",
            d.year(),
            d.month(),
            d.day(),
            if self.form.space { ' ' } else { 'T' },
            t.hour(),
            t.minute(),
            second
        )?;
        if self.form.digits > 0 {
            let all = format!("{nanos:09}");
            f.write_str(".")?;
            f.write_str(all.get(..usize::from(self.form.digits)).unwrap_or(&all))?;
        }
        let Some(offset) = self.offset else {
            return Ok(());
        };
        let secs = offset.local_minus_utc();
        if self.form.zulu && secs == 0 {
            return f.write_str("Z");
        }
        let sign = if secs < 0 || (secs == 0 && self.form.minus_zero) {
            '-'
        } else {
            '+'
        };
        let (hours, minutes) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
        if self.form.compact {
            write!(f, "{sign}{hours:02}{minutes:02}")
        } else {
            write!(f, "{sign}{hours:02}:{minutes:02}")
        }
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DateTime({self})")
    }
}

/// The text is not a date-time in one of the forms [`DateTime`] accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseDateTimeError {
    text: String,
}

impl fmt::Display for ParseDateTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not {EXPECTING}", self.text)
    }
}

impl std::error::Error for ParseDateTimeError {}

const EXPECTING: &str = "a date-time as `2025-07-14T08:47:19+02:00` (RFC 3339), \
                         `2025-07-14 08:47:19` (the portal's local time), \
                         `14.07.2025 08:47:19` or `07/14/2025 08:47:19 pm`";

/// Reads the text exactly (no whitespace around it); the accepted forms are listed on
/// [`DateTime`].
impl FromStr for DateTime {
    type Err = ParseDateTimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s).ok_or_else(|| ParseDateTimeError { text: s.to_owned() })
    }
}

/// The decimal number of the ASCII digits `b` (all of them digits), else `None`.
fn number(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

fn parse(s: &str) -> Option<DateTime> {
    parse_iso(s.as_bytes()).or_else(|| parse_site(s.as_bytes()))
}

/// `14.07.2025 08:47:19` or `07/14/2025 08:47:19 pm` (see [`Site`]).
fn parse_site(b: &[u8]) -> Option<DateTime> {
    let clock = |b: &[u8]| b.len() == 8 && b[2] == b':' && b[5] == b':';
    let (site, day, month, hour) = match b {
        [d @ .., b' ', m1, m2] if d.len() == 19 && d[2] == b'/' && d[5] == b'/' => {
            let upper = match [*m1, *m2] {
                [b'a' | b'p', b'm'] => false,
                [b'A' | b'P', b'M'] => true,
                _ => return None,
            };
            let hour12 = number(&d[11..13])?;
            if d[10] != b' ' || !clock(&d[11..]) || !(1..=12).contains(&hour12) {
                return None;
            }
            let pm = matches!(m1, b'p' | b'P');
            let hour = hour12 % 12 + if pm { 12 } else { 0 };
            let site = Site::MonthSlashed { upper };
            (site, number(&d[3..5])?, number(&d[0..2])?, hour)
        }
        d if d.len() == 19 && d[2] == b'.' && d[5] == b'.' && d[10] == b' ' && clock(&d[11..]) => (
            Site::DayDotted,
            number(&d[0..2])?,
            number(&d[3..5])?,
            number(&d[11..13])?,
        ),
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(number(&b[6..10])?).ok()?, month, day)?;
    let time = NaiveTime::from_hms_opt(hour, number(&b[14..16])?, number(&b[17..19])?)?;
    Some(DateTime {
        local: date.and_time(time),
        offset: None,
        form: Form {
            site: Some(site),
            ..Form::default()
        },
    })
}

/// `YYYY-MM-DD`, `T` or a space, `hh:mm:ss`, a fraction and an offset (see [`DateTime`]).
fn parse_iso(b: &[u8]) -> Option<DateTime> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let space = match b[10] {
        b'T' => false,
        b' ' => true,
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(number(&b[0..4])?).ok()?,
        number(&b[5..7])?,
        number(&b[8..10])?,
    )?;
    let (hour, minute, second) = (
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
    );
    let mut rest = &b[19..];
    let (mut digits, mut nanos) = (0, 0);
    if let Some(fraction) = rest.strip_prefix(b".") {
        let n = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&n) {
            return None;
        }
        nanos = number(&fraction[..n])? * 10u32.pow(9 - n as u32);
        digits = n as u8;
        rest = &fraction[n..];
    }
    let time = if second == 60 {
        NaiveTime::from_hms_nano_opt(hour, minute, 59, 1_000_000_000 + nanos)?
    } else {
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?
    };
    let mut form = Form {
        space,
        digits,
        ..Form::default()
    };
    let offset = match rest {
        [] => None,
        [b'Z'] => {
            form.zulu = true;
            Some(0)
        }
        [sign @ (b'+' | b'-'), hh @ ..] => {
            let (hours, minutes) = match hh {
                [h1, h2, b':', m1, m2] => (number(&[*h1, *h2])?, number(&[*m1, *m2])?),
                [h1, h2, m1, m2] => {
                    form.compact = true;
                    (number(&[*h1, *h2])?, number(&[*m1, *m2])?)
                }
                _ => return None,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let secs = i32::try_from(hours * 3600 + minutes * 60).ok()?;
            form.minus_zero = *sign == b'-' && secs == 0;
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => return None,
    };
    Some(DateTime {
        local: date.and_time(time),
        offset: match offset {
            Some(secs) => Some(FixedOffset::east_opt(secs)?),
            None => None,
        },
        form,
    })
}

/// Writes the text as read (see [`DateTime`]).
impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A string in one of the accepted forms, surrounding whitespace ignored; in an
/// `Option`, `""` and `false` are `None` (see [`Decode::EMPTY_STRING_IS_NONE`],
/// [`Decode::FALSE_IS_NONE`]).
impl Decode for DateTime {
    const FALSE_IS_NONE: bool = true;

    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor(EXPECTING, parse))
    }
}

/// As [`Decode`].
impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::decode(d)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn dt(s: &str) -> DateTime {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn offset(hours: i32) -> FixedOffset {
        FixedOffset::east_opt(hours * 3600).unwrap()
    }

    #[test]
    fn every_accepted_form_is_written_back_as_read() {
        for s in [
            "2025-07-14T08:47:19+02:00",
            "2025-07-14T08:47:19-05:30",
            "2025-07-14T08:47:19+0200",
            "2025-07-14T08:47:19Z",
            "2025-07-14T08:47:19+00:00",
            "2025-07-14T08:47:19-00:00",
            "2025-07-14T08:47:19.5Z",
            "2025-07-14T08:47:19.250+02:00",
            "2025-07-14T08:47:19.000+02:00",
            "2025-07-14T08:47:19.123456789+02:00",
            "2025-07-14 08:47:19",
            "2025-07-14T08:47:19",
            "2025-07-14 08:47:19.010",
            "2025-07-14 08:47:19+03:00",
            "2016-12-31T23:59:60Z",
            "0000-01-01T00:00:00",
            "9999-12-31 23:59:59",
            "14.07.2025 08:47:19",
            "07/14/2025 08:47:19 pm",
            "07/14/2025 12:00:00 am",
            "07/14/2025 12:30:00 PM",
        ] {
            let t = dt(s);
            assert_eq!(t.to_string(), s);
            assert_eq!(serde_json::to_value(t).unwrap(), json!(s));
            assert_eq!(DateTime::decode(json!(s)).unwrap().to_string(), s);
        }
    }

    #[test]
    fn what_is_not_a_date_time_is_refused() {
        for s in [
            "14/07/2025 08:47:19",
            "07/14/2025 08:47:19",
            "07/14/2025 13:47:19 pm",
            "07/14/2025 00:47:19 am",
            "07/14/2025 08:47:19 Pm",
            "14.07.2025 08:47:60",
            "14.07.2025 24:00:00",
            "14.07.2025T08:47:19",
            "14.07.2025 08:47",
            "14.07.2025",
            "31.02.2025 08:47:19",
            "2025-07-14",
            "2025-07-14T08:47",
            "2025-07-14T08:47:19+02",
            "2025-07-14T08:47:19+24:00",
            "2025-07-14T08:47:19+02:60",
            "2025-07-14T08:47:19.",
            "2025-07-14T08:47:19.1234567890Z",
            "2025-07-14t08:47:19z",
            "2025-02-30T08:47:19",
            "2025-07-14T24:00:00",
            "2025-07-14T08:47:19 +02:00",
            " 2025-07-14T08:47:19",
            "+2025-07-14T08:47:19",
            "2025-7-14T08:47:19Z",
            "2025-07-14T08:47:19+٠٢:00",
            "",
        ] {
            let e = s.parse::<DateTime>().unwrap_err();
            assert!(e.to_string().contains(&format!("`{s}`")), "{e}");
        }
    }

    #[test]
    fn site_formats_are_portal_local_times() {
        let iso = dt("2025-07-14 20:47:19");
        for s in ["14.07.2025 20:47:19", "07/14/2025 08:47:19 pm"] {
            assert_eq!(dt(s), iso, "{s}");
            assert_eq!(dt(s).offset(), None);
        }
        assert_eq!(dt("07/14/2025 12:05:00 am").naive_local().hour(), 0);
        assert_eq!(dt("07/14/2025 12:05:00 pm").naive_local().hour(), 12);
        assert_eq!(
            DateTime::decode(json!("12/11/2024 05:59:00 pm"))
                .unwrap()
                .to_string(),
            "12/11/2024 05:59:00 pm"
        );
    }

    #[test]
    fn accessors_tell_the_offset_and_assume_none() {
        let local = dt("2025-07-14 08:47:19");
        assert_eq!(local.offset(), None);
        assert_eq!(local.fixed_offset(), None);
        assert_eq!(
            local.with_offset_or(offset(2)).to_rfc3339(),
            "2025-07-14T08:47:19+02:00"
        );
        let with = dt("2025-07-14T08:47:19-05:00");
        assert_eq!(with.offset(), Some(offset(-5)));
        assert_eq!(with.naive_local(), local.naive_local());
        assert_eq!(
            with.with_offset_or(offset(2)).to_rfc3339(),
            "2025-07-14T08:47:19-05:00"
        );
        assert_eq!(with.fixed_offset(), Some(with.with_offset_or(offset(9))));
    }

    #[test]
    fn equality_ignores_the_spelling_only() {
        assert_eq!(dt("2025-07-14T08:47:19Z"), dt("2025-07-14T08:47:19+00:00"));
        assert_eq!(
            dt("2025-07-14T08:47:19+0200"),
            dt("2025-07-14T08:47:19+02:00")
        );
        assert_eq!(dt("2025-07-14 08:47:19"), dt("2025-07-14T08:47:19.000"));
        assert_ne!(dt("2025-07-14T10:47:19+02:00"), dt("2025-07-14T08:47:19Z"));
        assert_ne!(dt("2025-07-14T08:47:19"), dt("2025-07-14T08:47:19Z"));
        let set: std::collections::HashSet<DateTime> =
            [dt("2025-07-14T08:47:19Z"), dt("2025-07-14T08:47:19+00:00")].into();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn chrono_values_convert_and_are_written_as_rfc_3339() {
        let berlin = offset(2)
            .with_ymd_and_hms(2025, 7, 14, 8, 47, 19)
            .single()
            .unwrap();
        let t = DateTime::from(berlin);
        assert_eq!(t.to_string(), "2025-07-14T08:47:19+02:00");
        assert_eq!(t.fixed_offset(), Some(berlin));
        let utc = DateTime::from(berlin.with_timezone(&chrono::Utc));
        assert_eq!(utc.to_string(), "2025-07-14T06:47:19+00:00");
        let millis = DateTime::from(berlin + chrono::Duration::milliseconds(250));
        assert_eq!(millis.to_string(), "2025-07-14T08:47:19.250+02:00");
        let nanos = DateTime::from(berlin + chrono::Duration::nanoseconds(7));
        assert_eq!(nanos.to_string(), "2025-07-14T08:47:19.000000007+02:00");
        let local = DateTime::from(berlin.naive_local());
        assert_eq!(local.to_string(), "2025-07-14T08:47:19");
        assert_eq!(local.offset(), None);
        // An offset with seconds cannot be written: the same instant in UTC.
        let lmt = FixedOffset::east_opt(3600 + 1)
            .unwrap()
            .with_ymd_and_hms(1890, 1, 1, 12, 0, 1)
            .single()
            .unwrap();
        let t = DateTime::from(lmt);
        assert_eq!(t.to_string(), "1890-01-01T11:00:00+00:00");
        assert_eq!(t.fixed_offset(), Some(lmt));
        // Leap seconds survive a round trip through the text.
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap();
        let t = DateTime::from(leap);
        assert_eq!(t.to_string(), "2016-12-31T23:59:60.500");
        assert_eq!(dt(&t.to_string()), t);
    }

    #[test]
    fn decoding_trims_and_empty_is_none_in_an_option() {
        assert_eq!(
            DateTime::decode(json!(" 2025-07-14 08:47:19\n")).unwrap(),
            dt("2025-07-14 08:47:19")
        );
        assert_eq!(Option::<DateTime>::decode(json!("")).unwrap(), None);
        assert_eq!(Option::<DateTime>::decode(json!(null)).unwrap(), None);
        let e = DateTime::decode(json!("10/10/2024 15:55:30")).unwrap_err();
        assert!(e.to_string().contains("\"10/10/2024 15:55:30\""), "{e}");
        assert!(DateTime::decode(json!(1_752_472_572)).is_err());
        let t: DateTime = serde_json::from_str("\"2025-07-14T08:47:19Z\"").unwrap();
        assert_eq!(t.to_string(), "2025-07-14T08:47:19Z");
        let lenient: Option<DateTime> = crate::wire::from_value(json!("")).unwrap();
        assert_eq!(lenient, None);
        assert_eq!(format!("{t:?}"), "DateTime(2025-07-14T08:47:19Z)");
    }
}
