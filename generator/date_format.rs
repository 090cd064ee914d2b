//! Eve's `DATE_FORMAT`: a strftime pattern for dates on the wire.
//!
//! The default (`"%a, %d %b %Y %H:%M:%S GMT"`, RFC 1123) keeps the generated crate's
//! fixed fast formatter; any other pattern is checked here, at generation time, and
//! printed into the crate as a list of items that its `date` module formats and parses.
//! The same items check the spec's datetime `default`s, so a default that the server
//! could not read is a spec error.

/// Eve's default `DATE_FORMAT`.
pub const RFC1123: &str = "%a, %d %b %Y %H:%M:%S GMT";

/// The directives a pattern may use, for hints.
pub const SUPPORTED: &str = "%Y %m %d %H %M %S %a %b %z %Z %%";

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// Text written and expected as is.
    Lit(String),
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

/// A checked custom date format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat {
    /// The pattern as the spec wrote it.
    pub pattern: String,
    pub items: Vec<Item>,
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl DateFormat {
    /// Parse a pattern. `Ok(None)` for Eve's default (RFC 1123); `Err((message, help))`
    /// for a pattern the server could not format and read back.
    pub fn parse(pattern: &str) -> Result<Option<DateFormat>, (String, String)> {
        if pattern == RFC1123 {
            return Ok(None);
        }
        let mut items = Vec::new();
        let mut literal = String::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                if c == '"' || c == '\\' || c.is_control() {
                    return Err((
                        format!("`date_format` cannot hold the character {c:?}"),
                        "dates are written into JSON strings as they are: use letters, digits, spaces and punctuation other than `\"` and `\\`".to_string(),
                    ));
                }
                literal.push(c);
                continue;
            }
            let item = match chars.next() {
                Some('%') => {
                    literal.push('%');
                    continue;
                }
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
                    return Err((
                        format!("unsupported directive `%{other}` in `date_format`"),
                        format!("the directives supported are {SUPPORTED}"),
                    ));
                }
                None => {
                    return Err((
                        "`date_format` ends with a lone `%`".to_string(),
                        "write `%%` for a literal percent sign".to_string(),
                    ));
                }
            };
            if !literal.is_empty() {
                items.push(Item::Lit(std::mem::take(&mut literal)));
            }
            items.push(item);
        }
        if !literal.is_empty() {
            items.push(Item::Lit(literal));
        }
        let has = |wanted: &[Item]| items.iter().any(|i| wanted.contains(i));
        if !has(&[Item::Year]) || !has(&[Item::Month, Item::MonthName]) || !has(&[Item::Day]) {
            return Err((
                format!("`date_format` \"{pattern}\" does not name a whole date"),
                "a date format needs %Y, %m or %b, and %d, like \"%Y-%m-%dT%H:%M:%SZ\"".to_string(),
            ));
        }
        Ok(Some(DateFormat {
            pattern: pattern.to_string(),
            items,
        }))
    }

    /// Read a date written in this format, as epoch seconds (for checking defaults).
    pub fn read(&self, text: &str) -> Option<i64> {
        let mut rest = text;
        let (mut year, mut month, mut day) = (None, None, None);
        let (mut hour, mut minute, mut second) = (0, 0, 0);
        let mut weekday = None;
        for item in &self.items {
            let digits = |rest: &mut &str, n: usize| -> Option<i64> {
                let head = rest.get(..n)?;
                if !head.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                *rest = &rest[n..];
                head.parse().ok()
            };
            match item {
                Item::Lit(text) => rest = rest.strip_prefix(text.as_str())?,
                Item::Year => year = Some(digits(&mut rest, 4)?),
                Item::Month => month = Some(digits(&mut rest, 2)?),
                Item::Day => day = Some(digits(&mut rest, 2)?),
                Item::Hour => hour = digits(&mut rest, 2)?,
                Item::Minute => minute = digits(&mut rest, 2)?,
                Item::Second => second = digits(&mut rest, 2)?,
                Item::Weekday => {
                    let name = rest.get(..3)?;
                    weekday = Some(DAYS.iter().position(|d| *d == name)?);
                    rest = &rest[3..];
                }
                Item::MonthName => {
                    let name = rest.get(..3)?;
                    month = Some(MONTHS.iter().position(|m| *m == name)? as i64 + 1);
                    rest = &rest[3..];
                }
                Item::Offset => rest = rest.strip_prefix("+0000")?,
                Item::Zone => rest = rest.strip_prefix("UTC")?,
            }
        }
        if !rest.is_empty() || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let (year, month, day) = (year?, month?, day?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        let days = days_from_civil(year, month, day);
        if let Some(weekday) = weekday
            && days.rem_euclid(7) as usize != weekday
        {
            return None;
        }
        Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
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

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_the_fast_path() {
        assert_eq!(DateFormat::parse(RFC1123), Ok(None));
    }

    #[test]
    fn iso_8601_reads_back() {
        let format = DateFormat::parse("%Y-%m-%dT%H:%M:%SZ")
            .expect("valid")
            .expect("custom");
        assert_eq!(format.read("2016-04-19T08:19:00Z"), Some(1_461_053_940));
        assert_eq!(format.read("2016-02-30T08:19:00Z"), None);
        assert_eq!(format.read("2016-04-19 08:19:00Z"), None);
    }

    #[test]
    fn rejects_unsupported_and_partial_patterns() {
        assert!(DateFormat::parse("%Y-%m-%d %I:%M").is_err());
        assert!(DateFormat::parse("%H:%M").is_err());
        assert!(DateFormat::parse("%Y-%m-%d%").is_err());
    }
}
