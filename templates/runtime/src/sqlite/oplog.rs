//! The oplog's entries as live subscriptions read them (`live::feed`): the newest
//! position, and one resource's entries after a position, oldest first.

use rusqlite::{Connection, OptionalExtension as _};

use super::quote;

/// One entry: its position (`_id`), method (`o`), document id (`i`) and user (`u`).
pub type Entry = (i64, String, Option<String>, Option<String>);

/// The newest position in the oplog table `table` (0 when it is empty).
pub fn newest(conn: &Connection, table: &str) -> rusqlite::Result<i64> {
    let sql = format!("SELECT coalesce(max(\"_id\"), 0) FROM {}", quote(table));
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([], |row| row.get(0))
        .optional()?
        .unwrap_or(0))
}

/// At most `limit` entries of the resource at `url` after position `after`.
pub fn entries_after(
    conn: &Connection,
    table: &str,
    url: &str,
    after: i64,
    limit: usize,
) -> rusqlite::Result<Vec<Entry>> {
    let sql = format!(
        "SELECT \"_id\", \"o\", \"i\", \"u\" FROM {} \
         WHERE \"_id\" > ?1 AND \"r\" = ?2 ORDER BY \"_id\" LIMIT ?3",
        quote(table)
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = statement.query_map(rusqlite::params![after, url, limit], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
    })?;
    rows.collect()
}
