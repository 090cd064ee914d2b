//! Dates on the wire are RFC 1123 (`Tue, 19 Apr 2016 08:19:00 GMT`), as in Eve; in the
//! database they are whole seconds since the Unix epoch, so they sort and compare as
//! integers. `httpdate` is already in hyper's dependency tree, so this costs no crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Format epoch seconds as an RFC 1123 date. Dates before the epoch format as the epoch.
pub fn format_rfc1123(seconds: i64) -> String {
    let buf = rfc1123(seconds);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The 29 bytes of `Tue, 19 Apr 2016 08:19:00 GMT`, computed without `fmt`: every
/// response carries two or three dates, so this is on the hot path.
pub fn rfc1123(seconds: i64) -> [u8; 29] {
    const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let seconds = seconds.clamp(0, 253_402_300_799); // up to 9999-12-31T23:59:59
    let days = seconds / 86_400;
    let in_day = seconds % 86_400;
    let (year, month, day) = civil(days);

    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[..3].copy_from_slice(DAYS[(days % 7) as usize]);
    let two = |out: &mut [u8; 29], at: usize, value: i64| {
        out[at] = b'0' + (value / 10) as u8;
        out[at + 1] = b'0' + (value % 10) as u8;
    };
    two(&mut out, 5, day);
    out[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
    two(&mut out, 12, year / 100);
    two(&mut out, 14, year % 100);
    two(&mut out, 17, in_day / 3_600);
    two(&mut out, 20, in_day / 60 % 60);
    two(&mut out, 23, in_day % 60);
    out
}

/// The civil date `(year, month 1..=12, day 1..=31)` of a day count since 1970-01-01
/// (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z / 146_097;
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

/// Parse an RFC 1123 date (also the other two HTTP date forms) into epoch seconds.
pub fn parse_rfc1123(text: &str) -> Option<i64> {
    let time = httpdate::parse_http_date(text.trim()).ok()?;
    let seconds = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

/// A date that serializes as RFC 1123 text (document structs wrap their dates in it).
pub struct Rfc1123(pub i64);

impl serde::Serialize for Rfc1123 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let buf = rfc1123(self.0);
        serializer.serialize_str(std::str::from_utf8(&buf).unwrap_or_default())
    }
}

{% if let Some(format) = format -%}
{% include "crate/src/api/date_custom.rs" %}
{% else -%}
/// What dates on the wire are, for messages.
pub const WIRE_FORMAT_NAME: &str = "an RFC 1123 date";

/// Parse a date as clients send it, in the API's `date_format` (here Eve's default,
/// RFC 1123): document fields and `where` filters.
pub fn parse_wire(text: &str) -> Option<i64> {
    parse_rfc1123(text)
}

/// Format a date as the API serves it, in its `date_format` (here RFC 1123).
pub fn format_wire(seconds: i64) -> String {
    format_rfc1123(seconds)
}

/// Append a date as the API serves it (JSON-safe, no quotes) to `out`.
pub fn write_wire(out: &mut Vec<u8>, seconds: i64) {
    out.extend_from_slice(&rfc1123(seconds));
}

{% endif -%}
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn round_trips_the_eve_example() {
        let text = "Tue, 19 Apr 2016 08:19:00 GMT";
        let seconds = parse_rfc1123(text).expect("valid date");
        assert_eq!(seconds, 1_461_053_940);
        assert_eq!(format_rfc1123(seconds), text);
    }

    #[test]
    fn formats_like_httpdate_across_the_calendar() {
        // Leap days, century years, month and year ends, the far future.
        let mut seconds = 0;
        while seconds < 253_402_300_799 {
            let expected =
                httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(seconds as u64));
            assert_eq!(format_rfc1123(seconds), expected);
            seconds += 86_400 * 13 + 3_607;
        }
        assert_eq!(format_rfc1123(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(format_rfc1123(-5), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn rejects_other_formats() {
        assert_eq!(parse_rfc1123("2016-04-19T08:19:00Z"), None);
        assert_eq!(parse_rfc1123(""), None);
    }
{%- if format.is_some() %}

    #[test]
    fn date_format_reads_back_what_it_writes() {
        let mut seconds = 0;
        while seconds < 253_402_300_799 {
            let text = format_custom(seconds);
            let back = parse_custom(&text).expect("reads its own output");
            assert_eq!(format_custom(back), text);
            seconds += 86_400 * 13 + 3_607;
        }
        assert_eq!(parse_custom(""), None);
        assert_eq!(parse_custom(&format!("{}x", format_custom(0))), None);
    }
{%- endif %}
}
