//! Dates: on the wire in the API's `date_format` (Eve's `DATE_FORMAT`, RFC 1123 by
//! default: `Tue, 19 Apr 2016 08:19:00 GMT`), in the database as whole seconds since
//! the Unix epoch, so they sort and compare as integers.
//!
//! One implementation serves apigen and the servers it generates: apigen checks a
//! spec's `date_format` and its datetime defaults with [`DateFormat::compile`] and
//! [`DateFormat::parse`], and the server formats and reads dates with the same code.
//! Every date of the proleptic Gregorian calendar from year 1 to year 9999 works (as
//! Python's `datetime`, which Eve uses): 1955 and 2100 alike. HTTP headers
//! (`Last-Modified`, `If-Modified-Since`) stay RFC 1123, as HTTP requires.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

/// The first second of year 1 (`0001-01-01T00:00:00Z`), the earliest date served.
pub const MIN_SECONDS: i64 = -62_135_596_800;
/// The last second of year 9999, the latest date served.
pub const MAX_SECONDS: i64 = 253_402_300_799;

/// Eve's default `DATE_FORMAT`.
pub const RFC1123_PATTERN: &str = "%a, %d %b %Y %H:%M:%S GMT";

/// The directives a pattern may use, for messages.
pub const SUPPORTED: &str = "%Y %m %d %H %M %S %a %b %z %Z %%";

const DAY_NAMES: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// One piece of a date format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// A character written and expected as is.
    Char(char),
    /// `%Y`: four-digit year.
    Year,
    /// `%m`: two-digit month.
    Month,
    /// `%d`: two-digit day of the month.
    Day,
    /// `%H`: two-digit hour (00-23).
    Hour,
    /// `%M`: two-digit minute.
    Minute,
    /// `%S`: two-digit second.
    Second,
    /// `%a`: abbreviated weekday name (`Tue`).
    Weekday,
    /// `%b`: abbreviated month name (`Apr`).
    MonthName,
    /// `%z`: UTC offset, always `+0000` (dates are UTC).
    Offset,
    /// `%Z`: time zone name, always `UTC`.
    Zone,
}

/// A pattern that is not a usable date format: what is wrong, and what to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub message: String,
    pub help: String,
}

/// How dates are written on the wire: a checked strftime pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat {
    pattern: Cow<'static, str>,
    items: Cow<'static, [Item]>,
    /// Whether this is RFC 1123, written by the fixed-layout fast path.
    rfc1123: bool,
}

/// RFC 1123, Eve's default `DATE_FORMAT`, for references that need a `'static`.
pub static RFC1123: DateFormat = DateFormat::RFC1123;

impl DateFormat {
    /// RFC 1123, Eve's default `DATE_FORMAT`.
    pub const RFC1123: DateFormat = DateFormat {
        pattern: Cow::Borrowed(RFC1123_PATTERN),
        items: Cow::Borrowed(&[
            Item::Weekday,
            Item::Char(','),
            Item::Char(' '),
            Item::Day,
            Item::Char(' '),
            Item::MonthName,
            Item::Char(' '),
            Item::Year,
            Item::Char(' '),
            Item::Hour,
            Item::Char(':'),
            Item::Minute,
            Item::Char(':'),
            Item::Second,
            Item::Char(' '),
            Item::Char('G'),
            Item::Char('M'),
            Item::Char('T'),
        ]),
        rfc1123: true,
    };

    /// A format apigen compiled from a spec: the pattern and its items, as printed
    /// into a generated crate.
    pub const fn custom(pattern: &'static str, items: &'static [Item]) -> DateFormat {
        DateFormat {
            pattern: Cow::Borrowed(pattern),
            items: Cow::Borrowed(items),
            rfc1123: false,
        }
    }

    /// Check a strftime pattern: only [`SUPPORTED`] directives, a whole date (`%Y`,
    /// `%m` or `%b`, and `%d`), and nothing that would need escaping in JSON.
    pub fn compile(pattern: &str) -> Result<DateFormat, PatternError> {
        if pattern == RFC1123_PATTERN {
            return Ok(RFC1123.clone());
        }
        let error = |message: String, help: &str| PatternError {
            message,
            help: help.to_string(),
        };
        let mut items = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                if c == '"' || c == '\\' || c.is_control() {
                    return Err(error(
                        format!("`date_format` cannot hold the character {c:?}"),
                        "dates are written into JSON strings as they are: use letters, digits, spaces and punctuation other than `\"` and `\\`",
                    ));
                }
                items.push(Item::Char(c));
                continue;
            }
            items.push(match chars.next() {
                Some('%') => Item::Char('%'),
                Some('Y') => Item::Year,
                Some('m') => Item::Month,
                Some('d') => Item::Day,
                Some('H') => Item::Hour,
                Some('M') => Item::Minute,
                Some('S') => Item::Second,
                Some('a') => Item::Weekday,
                Some('b') => Item::MonthName,
                Some('z') => Item::Offset,
                Some('Z') => Item::Zone,
                Some(other) => {
                    return Err(error(
                        format!("unsupported directive `%{other}` in `date_format`"),
                        &format!("the directives supported are {SUPPORTED}"),
                    ));
                }
                None => {
                    return Err(error(
                        "`date_format` ends with a lone `%`".to_string(),
                        "write `%%` for a literal percent sign",
                    ));
                }
            });
        }
        let has = |wanted: &[Item]| items.iter().any(|i| wanted.contains(i));
        if !has(&[Item::Year]) || !has(&[Item::Month, Item::MonthName]) || !has(&[Item::Day]) {
            return Err(error(
                format!("`date_format` \"{pattern}\" does not name a whole date"),
                "a date format needs %Y, %m or %b, and %d, like \"%Y-%m-%dT%H:%M:%SZ\"",
            ));
        }
        Ok(DateFormat {
            pattern: Cow::Owned(pattern.to_string()),
            items: Cow::Owned(items),
            rfc1123: false,
        })
    }

    /// The pattern, as the spec wrote it.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The pattern's pieces, in order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Whether this is RFC 1123, Eve's default.
    pub fn is_rfc1123(&self) -> bool {
        self.rfc1123
    }

    /// What dates in this format are, for messages: "an RFC 1123 date".
    pub fn name(&self) -> &'static str {
        if self.is_rfc1123() {
            "an RFC 1123 date"
        } else {
            "a date in the API's date_format"
        }
    }

    /// Epoch seconds written in this format (clamped to years 1..=9999).
    pub fn format(&self, seconds: i64) -> String {
        let mut out = Vec::with_capacity(32);
        self.write(&mut out, seconds);
        // Every item writes ASCII or a char of the (UTF-8) pattern.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Append epoch seconds written in this format to `out`; JSON-safe, no quotes
    /// ([`compile`](Self::compile) refuses characters that need escaping).
    pub fn write(&self, out: &mut Vec<u8>, seconds: i64) {
        if self.is_rfc1123() {
            // Every response carries two or three dates: the fixed layout is faster.
            out.extend_from_slice(&rfc1123(seconds));
            return;
        }
        let Civil {
            days,
            year,
            month,
            day,
            in_day,
        } = Civil::of(seconds);
        for item in self.items.iter() {
            match *item {
                Item::Char(c) => {
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                Item::Year => push_digits(out, year, 4),
                Item::Month => push_digits(out, month, 2),
                Item::Day => push_digits(out, day, 2),
                Item::Hour => push_digits(out, in_day / 3_600, 2),
                Item::Minute => push_digits(out, in_day / 60 % 60, 2),
                Item::Second => push_digits(out, in_day % 60, 2),
                Item::Weekday => out.extend_from_slice(weekday_name(days).as_bytes()),
                Item::MonthName => {
                    out.extend_from_slice(MONTH_NAMES[(month - 1) as usize].as_bytes())
                }
                Item::Offset => out.extend_from_slice(b"+0000"),
                Item::Zone => out.extend_from_slice(b"UTC"),
            }
        }
    }

    /// Read a date written in this format into epoch seconds; `None` unless the whole
    /// text (surrounding whitespace aside) matches and names a real date whose weekday,
    /// if written, is right. RFC 1123 also reads the two obsolete HTTP date forms
    /// (`Tuesday, 19-Apr-16 08:19:00 GMT`, asctime), as HTTP readers must.
    pub fn parse(&self, text: &str) -> Option<i64> {
        let read = self.read_items(text);
        if read.is_none() && self.rfc1123 {
            return parse_http_date(text);
        }
        read
    }

    fn read_items(&self, text: &str) -> Option<i64> {
        fn digits(rest: &mut &str, n: usize) -> Option<i64> {
            let head = rest.get(..n)?;
            if !head.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            *rest = &rest[n..];
            head.parse().ok()
        }
        fn name(rest: &mut &str, names: &[&str]) -> Option<usize> {
            let head = rest.get(..3)?;
            let index = names.iter().position(|n| *n == head)?;
            *rest = &rest[3..];
            Some(index)
        }
        let mut rest = text.trim();
        let (mut year, mut month, mut day) = (None, None, None);
        let (mut hour, mut minute, mut second) = (0, 0, 0);
        let mut weekday = None;
        for item in self.items.iter() {
            match *item {
                Item::Char(c) => rest = rest.strip_prefix(c)?,
                Item::Year => year = Some(digits(&mut rest, 4)?),
                Item::Month => month = Some(digits(&mut rest, 2)?),
                Item::Day => day = Some(digits(&mut rest, 2)?),
                Item::Hour => hour = digits(&mut rest, 2)?,
                Item::Minute => minute = digits(&mut rest, 2)?,
                Item::Second => second = digits(&mut rest, 2)?,
                Item::Weekday => weekday = Some(name(&mut rest, &DAY_NAMES)?),
                Item::MonthName => month = Some(name(&mut rest, &MONTH_NAMES)? as i64 + 1),
                Item::Offset => rest = rest.strip_prefix("+0000")?,
                Item::Zone => rest = rest.strip_prefix("UTC")?,
            }
        }
        let (year, month, day) = (year?, month?, day?);
        if !rest.is_empty()
            || year < 1
            || !(1..=12).contains(&month)
            || !(1..=days_in_month(year, month)).contains(&day)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        if weekday.is_some_and(|w| days.rem_euclid(7) as usize != w) {
            return None;
        }
        Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
    }
}

/// A date that serializes in a [`DateFormat`] (document structs wrap their dates in it).
pub struct Wire<'a>(pub i64, pub &'a DateFormat);

impl serde::Serialize for Wire<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.1.is_rfc1123() {
            let buf = rfc1123(self.0);
            serializer.serialize_str(std::str::from_utf8(&buf).unwrap_or_default())
        } else {
            serializer.serialize_str(&self.1.format(self.0))
        }
    }
}

/// Format epoch seconds as an RFC 1123 date.
pub fn format_rfc1123(seconds: i64) -> String {
    RFC1123.format(seconds)
}

/// The 29 bytes of `Tue, 19 Apr 2016 08:19:00 GMT`, computed without `fmt`: every
/// response carries two or three dates, so this is on the hot path. Seconds outside
/// years 1..=9999 are clamped into them.
pub fn rfc1123(seconds: i64) -> [u8; 29] {
    let Civil {
        days,
        year,
        month,
        day,
        in_day,
    } = Civil::of(seconds);
    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[..3].copy_from_slice(weekday_name(days).as_bytes());
    let two = |out: &mut [u8; 29], at: usize, value: i64| {
        out[at] = b'0' + (value / 10) as u8;
        out[at + 1] = b'0' + (value % 10) as u8;
    };
    two(&mut out, 5, day);
    out[8..11].copy_from_slice(MONTH_NAMES[(month - 1) as usize].as_bytes());
    two(&mut out, 12, year / 100);
    two(&mut out, 14, year % 100);
    two(&mut out, 17, in_day / 3_600);
    two(&mut out, 20, in_day / 60 % 60);
    two(&mut out, 23, in_day % 60);
    out
}

/// Parse an HTTP date header (RFC 1123, or either obsolete HTTP form) into epoch
/// seconds. Only for headers: dates in documents and filters use [`DateFormat`].
pub fn parse_http_date(text: &str) -> Option<i64> {
    let time = httpdate::parse_http_date(text.trim()).ok()?;
    let seconds = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

/// The calendar fields of a moment.
struct Civil {
    /// Days since 1970-01-01 (negative before).
    days: i64,
    year: i64,
    month: i64,
    day: i64,
    /// Seconds since midnight.
    in_day: i64,
}

impl Civil {
    fn of(seconds: i64) -> Civil {
        let seconds = seconds.clamp(MIN_SECONDS, MAX_SECONDS);
        let days = seconds.div_euclid(86_400);
        let in_day = seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            days,
            year,
            month,
            day,
            in_day,
        }
    }
}

fn weekday_name(days: i64) -> &'static str {
    DAY_NAMES[days.rem_euclid(7) as usize]
}

/// Append `value` as exactly `width` decimal digits (it is never negative or wider).
fn push_digits(out: &mut Vec<u8>, value: i64, width: u32) {
    let mut divisor = 10_i64.pow(width - 1);
    while divisor > 0 {
        out.push(b'0' + (value / divisor % 10) as u8);
        divisor /= 10;
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm, valid for
/// every year of the proleptic Gregorian calendar).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date `(year, month 1..=12, day 1..=31)` of a day count since 1970-01-01
/// (the inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn round_trips_the_eve_example() {
        let text = "Tue, 19 Apr 2016 08:19:00 GMT";
        let seconds = RFC1123.parse(text).expect("valid date");
        assert_eq!(seconds, 1_461_053_940);
        assert_eq!(format_rfc1123(seconds), text);
        assert_eq!(parse_http_date(text), Some(seconds));
    }

    #[test]
    fn formats_like_httpdate_across_the_calendar() {
        // Leap days, century years, month and year ends, the far future.
        let mut seconds = 0;
        while seconds < MAX_SECONDS {
            let expected =
                httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(seconds as u64));
            assert_eq!(format_rfc1123(seconds), expected);
            seconds += 86_400 * 13 + 3_607;
        }
        assert_eq!(format_rfc1123(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn dates_before_1970_and_after_2038_round_trip() {
        for (text, seconds) in [
            ("Sat, 01 Jan 1955 00:00:00 GMT", -473_385_600),
            ("Wed, 31 Dec 1969 23:59:59 GMT", -1),
            ("Mon, 01 Jan 0001 00:00:00 GMT", MIN_SECONDS),
            ("Fri, 01 Jan 2100 12:00:00 GMT", 4_102_488_000),
            ("Tue, 19 Jan 2038 03:14:08 GMT", 2_147_483_648),
            ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_SECONDS),
        ] {
            assert_eq!(RFC1123.parse(text), Some(seconds), "{text}");
            assert_eq!(format_rfc1123(seconds), text);
        }
        // Out of range: clamped when written, refused when read.
        assert_eq!(format_rfc1123(i64::MIN), "Mon, 01 Jan 0001 00:00:00 GMT");
        assert_eq!(format_rfc1123(i64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(RFC1123.parse("Sat, 01 Jan 0000 00:00:00 GMT"), None);
    }

    #[test]
    fn every_day_reads_back_what_it_writes() {
        let custom = DateFormat::compile("%Y-%m-%dT%H:%M:%S%z").expect("valid");
        let mut seconds = MIN_SECONDS;
        while seconds < MAX_SECONDS {
            for format in [&RFC1123, &custom] {
                let text = format.format(seconds);
                assert_eq!(format.parse(&text), Some(seconds), "{text}");
            }
            seconds += 86_400 * 97 + 3_607;
        }
    }

    #[test]
    fn rejects_other_formats_and_impossible_dates() {
        for text in [
            "2016-04-19T08:19:00Z",
            "",
            "Tue, 19 Apr 2016 08:19:00",
            "Tue, 19 Apr 2016 08:19:00 GMTx",
            "Mon, 19 Apr 2016 08:19:00 GMT", // a Tuesday
            "Thu, 29 Feb 2001 00:00:00 GMT",
            "Tue, 19 Apr 2016 24:00:00 GMT",
            "Tue, 19 Apr 2016 08:19:60 GMT",
            "Tue, 19 Apr 216 08:19:00 GMT",
            "Tue, 19 Apr -016 08:19:00 GMT",
        ] {
            assert_eq!(RFC1123.parse(text), None, "{text}");
        }
    }

    #[test]
    fn custom_formats_are_checked() {
        let iso = DateFormat::compile("%Y-%m-%dT%H:%M:%SZ").expect("valid");
        assert!(!iso.is_rfc1123());
        assert_eq!(iso.format(-473_385_600), "1955-01-01T00:00:00Z");
        assert_eq!(iso.parse("2100-01-01T12:00:00Z"), Some(4_102_488_000));
        assert_eq!(iso.parse("2100-01-01T12:00:00"), None);
        assert_eq!(iso.name(), "a date in the API's date_format");
        assert!(DateFormat::compile(RFC1123_PATTERN)
            .expect("valid")
            .is_rfc1123());
        let names = DateFormat::compile("%d %b %Y %% %Z").expect("valid");
        assert_eq!(names.format(0), "01 Jan 1970 % UTC");
        assert_eq!(names.parse("01 Jan 1970 % UTC"), Some(0));
        for (pattern, message) in [
            ("%Y-%m", "does not name a whole date"),
            ("%Y-%m-%d %q", "unsupported directive `%q`"),
            ("%Y-%m-%d %", "lone `%`"),
            ("%Y-%m-%d \"", "cannot hold the character"),
        ] {
            let error = DateFormat::compile(pattern).expect_err(pattern);
            assert!(
                error.message.contains(message),
                "{pattern}: {}",
                error.message
            );
        }
    }
}
