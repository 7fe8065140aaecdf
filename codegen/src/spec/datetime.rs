//! The text of a `datetime` value as the client reads and writes it: the grammar of
//! `bitrix24_runtime::DateTime` (`runtime/src/datetime.rs`), copied here because the
//! generator does not depend on the runtime. The importer asks it which examples
//! round-trip, the doc examples which values to show; `tests/datetime_grammar.rs` checks
//! the copy against the runtime. (The validator stays looser: see `validate::Fit`.)
//!
//! `YYYY-MM-DD`, `T` or a space, `hh:mm:ss`, optionally `.` and 1 to 9 digits, optionally
//! `Z`, `±hh:mm` or `±hhmm`; the date must exist, the hour be below 24, a minute below
//! 60, a second at most 60 (a leap second), an offset's hours below 24. A value read is
//! written back as it was, so what decodes round-trips; decoding also ignores
//! surrounding whitespace, which is not written back.
//!
//! Or one of two site formats, without an offset: `DD.MM.YYYY hh:mm:ss` and
//! `MM/DD/YYYY hh:mm:ss am` (`am`, `pm`, `AM` or `PM`; the hour 01 to 12), the date
//! existing and the second below 60.

/// Whether the client decodes `s` as a date-time (surrounding whitespace ignored).
pub fn decodes(s: &str) -> bool {
    round_trips(s.trim())
}

/// Whether the client decodes `s` as a date-time and writes it back as `s`.
pub fn round_trips(s: &str) -> bool {
    parse(s.as_bytes()).is_some() || site(s.as_bytes()).is_some()
}

/// The date of a date-time in a site format (`14.07.2025 08:47:19`,
/// `07/14/2025 08:47:19 pm`) as `(year, month, day)`, when `s` is one.
pub fn site_date(s: &str) -> Option<(u32, u32, u32)> {
    site(s.as_bytes())
}

fn site(b: &[u8]) -> Option<(u32, u32, u32)> {
    let clock = |t: &[u8]| t.len() == 8 && t[2] == b':' && t[5] == b':';
    let (day, month, hour_ok) = match b {
        [d @ .., b' ', m1, m2]
            if d.len() == 19
                && d[2] == b'/'
                && d[5] == b'/'
                && matches!([*m1, *m2], [b'a' | b'p', b'm'] | [b'A' | b'P', b'M']) =>
        {
            if d[10] != b' ' || !clock(&d[11..]) {
                return None;
            }
            let hour = number(&d[11..13])?;
            (
                number(&d[3..5])?,
                number(&d[0..2])?,
                (1..=12).contains(&hour),
            )
        }
        d if d.len() == 19 && d[2] == b'.' && d[5] == b'.' && d[10] == b' ' && clock(&d[11..]) => (
            number(&d[0..2])?,
            number(&d[3..5])?,
            number(&d[11..13])? < 24,
        ),
        _ => return None,
    };
    let year = number(&b[6..10])?;
    let (minute, second) = (number(&b[14..16])?, number(&b[17..19])?);
    let exists = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
    (hour_ok && exists && minute < 60 && second < 60).then_some((year, month, day))
}

fn number(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn parse(b: &[u8]) -> Option<()> {
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (number(&b[0..4])?, number(&b[5..7])?, number(&b[8..10])?);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let (hour, minute, second) = (
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
    );
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let n = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&n) {
            return None;
        }
        rest = &fraction[n..];
    }
    match rest {
        [] | [b'Z'] => Some(()),
        [b'+' | b'-', h1, h2, b':', m1, m2] | [b'+' | b'-', h1, h2, m1, m2] => {
            let (hours, minutes) = (number(&[*h1, *h2])?, number(&[*m1, *m2])?);
            (hours < 24 && minutes < 60).then_some(())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_of_the_runtime() {
        for s in [
            "2025-07-14T08:47:19+02:00",
            "2025-07-14 08:47:19",
            "2025-07-14T08:47:19",
            "2025-07-14T08:47:19.5Z",
            "2025-07-14T08:47:19.123456789-0530",
            "2016-12-31T23:59:60Z",
            "2024-02-29 00:00:00",
            "2000-02-29 00:00:00",
            "10.10.2024 15:55:30",
            "07/14/2025 08:47:19 pm",
            "07/14/2025 12:00:00 AM",
        ] {
            assert!(round_trips(s), "{s}");
        }
        for s in [
            "10/10/2024 15:55:30",
            "07/14/2025 13:47:19 pm",
            "07/14/2025 08:47:19 Pm",
            "14.07.2025 08:47:60",
            "29.02.2025 08:47:19",
            "14.07.2025",
            "2025-07-14",
            "2025-07-14T08:47",
            "2025-07-14T08:47:19+02",
            "2025-07-14T08:47:19.1234567890Z",
            "2025-02-29 00:00:00",
            "1900-02-29 00:00:00",
            "2025-07-14T24:00:00",
            "2025-07-14T08:47:19+24:00",
            " 2025-07-14 08:47:19",
            "",
        ] {
            assert!(!round_trips(s), "{s}");
        }
        assert!(decodes(" 2025-07-14 08:47:19 "));
    }
}
