//! Dates on the wire are RFC 1123 (`Tue, 19 Apr 2016 08:19:00 GMT`), as in Eve; in the
//! database they are whole seconds since the Unix epoch, so they sort and compare as
//! integers. `httpdate` is already in hyper's dependency tree, so this costs no crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Format epoch seconds as an RFC 1123 date. Dates before the epoch format as the epoch.
pub fn format_rfc1123(seconds: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_secs(seconds.max(0) as u64);
    httpdate::fmt_http_date(time)
}

/// Parse an RFC 1123 date (also the other two HTTP date forms) into epoch seconds.
pub fn parse_rfc1123(text: &str) -> Option<i64> {
    let time = httpdate::parse_http_date(text.trim()).ok()?;
    let seconds = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

/// serde `serialize_with` for a date column: RFC 1123 on the wire.
pub fn serialize<S: serde::Serializer>(seconds: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_rfc1123(*seconds))
}

/// serde `serialize_with` for an optional date field.
pub fn serialize_opt<S: serde::Serializer>(
    seconds: &Option<i64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match seconds {
        Some(seconds) => serializer.serialize_str(&format_rfc1123(*seconds)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_eve_example() {
        let text = "Tue, 19 Apr 2016 08:19:00 GMT";
        let seconds = parse_rfc1123(text).expect("valid date");
        assert_eq!(seconds, 1_461_053_940);
        assert_eq!(format_rfc1123(seconds), text);
    }

    #[test]
    fn rejects_other_formats() {
        assert_eq!(parse_rfc1123("2016-04-19T08:19:00Z"), None);
        assert_eq!(parse_rfc1123(""), None);
    }
}
