/// Eve's `DATE_FORMAT` as this API's spec sets it: documents' dates (`_created`,
/// `_updated`, datetime fields) are written in it, and datetime input and `where`
/// values are read in it. HTTP headers (`Last-Modified`, `If-Modified-Since`) stay
/// RFC 1123, as HTTP requires.
pub const DATE_FORMAT: &str = {{ format.pattern }};

/// What dates on the wire are, for messages.
pub const WIRE_FORMAT_NAME: &str = "a date in the API's date_format";

/// One piece of `DATE_FORMAT`, checked by apigen when it generated this file. A format
/// uses only some of the directives, so some variants are never built.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug)]
enum Item {
    Lit(&'static str),
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Weekday,
    MonthName,
    Offset,
    Zone,
}

const FORMAT: &[Item] = {{ format.items }};
const DAY_NAMES: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Format epoch seconds in `DATE_FORMAT` (clamped to 1970..=9999 like RFC 1123 dates).
pub fn format_custom(seconds: i64) -> String {
    let seconds = seconds.clamp(0, 253_402_300_799);
    let days = seconds / 86_400;
    let in_day = seconds % 86_400;
    let (year, month, day) = civil(days);
    let mut out = String::with_capacity(32);
    for item in FORMAT {
        match *item {
            Item::Lit(text) => out.push_str(text),
            Item::Year => out.push_str(&format!("{year:04}")),
            Item::Month => out.push_str(&format!("{month:02}")),
            Item::Day => out.push_str(&format!("{day:02}")),
            Item::Hour => out.push_str(&format!("{:02}", in_day / 3_600)),
            Item::Minute => out.push_str(&format!("{:02}", in_day / 60 % 60)),
            Item::Second => out.push_str(&format!("{:02}", in_day % 60)),
            Item::Weekday => out.push_str(DAY_NAMES[(days % 7) as usize]),
            Item::MonthName => out.push_str(MONTH_NAMES[(month - 1) as usize]),
            Item::Offset => out.push_str("+0000"),
            Item::Zone => out.push_str("UTC"),
        }
    }
    out
}

/// Parse a date written in `DATE_FORMAT` into epoch seconds; `None` unless the whole
/// text matches and names a real date.
pub fn parse_custom(text: &str) -> Option<i64> {
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
    for item in FORMAT {
        match *item {
            Item::Lit(lit) => rest = rest.strip_prefix(lit)?,
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
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !rest.is_empty()
        || !(1..=12).contains(&month)
        || !(1..=month_days).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // Stored dates start at the epoch, as RFC 1123 dates do.
    if days < 0 || weekday.is_some_and(|w| days.rem_euclid(7) as usize != w) {
        return None;
    }
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// Parse a date as clients send it, in the API's `DATE_FORMAT`: document fields and
/// `where` filters.
pub fn parse_wire(text: &str) -> Option<i64> {
    parse_custom(text)
}

/// Format a date as the API serves it, in its `DATE_FORMAT`.
pub fn format_wire(seconds: i64) -> String {
    format_custom(seconds)
}

/// Append a date as the API serves it (apigen checked the format needs no JSON
/// escaping) to `out`.
pub fn write_wire(out: &mut Vec<u8>, seconds: i64) {
    out.extend_from_slice(format_custom(seconds).as_bytes());
}

/// A date that serializes in `DATE_FORMAT` (document structs wrap their dates in it).
pub struct WireDate(pub i64);

impl serde::Serialize for WireDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_custom(self.0))
    }
}

