//! The SQL functions compiled filters and sorts call, registered on every connection:
//!
//! - `regexp(pattern, text)`, behind `text REGEXP pattern` (`$regex`): the pattern is
//!   compiled once per statement (SQLite's auxdata) with the limits that keep it cheap;
//!   a NULL or non-text value never matches;
//! - `wire_date(text)`: the epoch seconds of a datetime stored as text inside a dict or
//!   list, read in the API's `date_format` (NULL if it is not one);
//! - `geo_distance(point_json, lon, lat)` (`$near`): metres from a stored GeoJSON point
//!   to (`lon`, `lat`), or NULL when the stored value is not a point.

use std::sync::Arc;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use crate::date::DateFormat;
use crate::geo::{haversine, stored_point};
use crate::query::{compile_regex, QueryError};

/// Register every function on `conn`; `dates` is the API's `date_format`.
pub fn register(conn: &Connection, dates: &'static DateFormat) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("wire_date", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .ok()
                .and_then(|text| dates.parse(text)),
            _ => None,
        })
    })?;
    conn.create_scalar_function("regexp", 2, flags, |ctx| {
        let regex: Arc<regex::Regex> =
            ctx.get_or_create_aux(0, |pattern| match pattern.as_str() {
                Ok(pattern) => compile_regex(pattern),
                Err(_) => Err(QueryError("REGEXP pattern must be text".to_string())),
            })?;
        Ok(match ctx.get_raw(1) {
            ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .map(|text| regex.is_match(text))
                .unwrap_or(false),
            _ => false,
        })
    })?;
    conn.create_scalar_function("geo_distance", 3, flags, |ctx| {
        let point = match ctx.get_raw(0) {
            ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok().and_then(stored_point),
            _ => None,
        };
        let lon: f64 = ctx.get(1)?;
        let lat: f64 = ctx.get(2)?;
        Ok(point.map(|(plon, plat)| haversine(plon, plat, lon, lat)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_answer_null_for_what_they_cannot_read() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn, &crate::date::RFC1123).unwrap();
        let row: (bool, bool, Option<i64>, Option<i64>, Option<f64>, f64) = conn
            .query_row(
                "SELECT 'abc' REGEXP 'b', NULL REGEXP 'b' IS 0, \
                 wire_date('Thu, 01 Jan 1970 00:01:00 GMT'), wire_date(42), \
                 geo_distance('[1, 2]', 0, 0), \
                 geo_distance('{\"type\":\"Point\",\"coordinates\":[1,2]}', 1, 2)",
                [],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(row, (true, true, Some(60), None, None, 0.0));
    }
}
