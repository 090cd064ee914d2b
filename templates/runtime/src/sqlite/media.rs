//! The media table's SQL: files kept as BLOBs, written and read in chunks with
//! SQLite's incremental BLOB I/O, so no file is ever held whole in memory.
//!
//! The table is `media::TABLE` (in the storage schema, so migrations and the
//! conformance check see it); a document's media column holds a media `_id`, or a
//! JSON list of them for a list of files.

use std::io::{Read, Write as _};

use rusqlite::types::Value as Sql;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, MAIN_DB};

use super::quote;
use super::statements::statements;
use super::values::id_value;
use crate::error::ApiError;
use crate::media::{Media, TABLE};
use crate::resource::ResourceInfo;
use crate::routes::Scope;

/// The size of one read or write of a BLOB: a file moves through memory this much at
/// a time.
pub const CHUNK: usize = 64 * 1024;

/// The page cache (KiB) the writer keeps while it copies a file in: the pages of a
/// large file would otherwise fill the whole cache (16 MiB by default), and the
/// server's memory with it, only to be evicted by the next documents.
const COPY_CACHE_KIB: i64 = 1024;

/// A media file's description, as stored beside its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub content_type: String,
    pub name: String,
    pub length: i64,
    /// When it was uploaded (epoch seconds): `Last-Modified`.
    pub uploaded: i64,
}

/// A file to store: its description and where its bytes are read from.
pub struct NewMedia<'a> {
    pub id: &'a str,
    pub content_type: &'a str,
    pub name: &'a str,
    pub length: u64,
    pub uploaded: i64,
}

/// Store a file: a row with a zero-filled BLOB of its length, then its bytes copied
/// from `source` into it a chunk at a time. The meta columns after the BLOB hold
/// values of no bytes (`0`, `''`), so SQLite writes the zeros without allocating
/// them (see `media::TABLE`).
pub fn insert(
    conn: &Connection,
    media: &NewMedia<'_>,
    mut source: impl Read,
) -> Result<(), ApiError> {
    // Writing the zeros and then the bytes goes through the page cache: keep it
    // small meanwhile, or a large file fills all of it.
    let cache: i64 = conn.pragma_query_value(None, "cache_size", |row| row.get(0))?;
    conn.pragma_update(None, "cache_size", -COPY_CACHE_KIB)?;
    let written = write(conn, media, &mut source);
    conn.pragma_update(None, "cache_size", cache)?;
    written
}

fn write(conn: &Connection, media: &NewMedia<'_>, source: &mut impl Read) -> Result<(), ApiError> {
    let length = i64::try_from(media.length).map_err(ApiError::internal)?;
    let sql = format!(
        "INSERT INTO {} (\"_id\", \"content_type\", \"name\", \"length\", \"uploaded\", \
         \"data\", \"_created\", \"_updated\", \"_etag\") \
         VALUES (?1, ?2, ?3, ?4, ?5, zeroblob(?4), 0, 0, '')",
        quote(TABLE.name)
    );
    conn.prepare_cached(&sql)?.execute(params![
        media.id,
        media.content_type,
        media.name,
        length,
        media.uploaded
    ])?;
    if length == 0 {
        return Ok(());
    }
    copy_in(conn, conn.last_insert_rowid(), source)
}

fn copy_in(conn: &Connection, row: i64, source: &mut impl Read) -> Result<(), ApiError> {
    let mut blob = conn.blob_open(MAIN_DB, TABLE.name, "data", row, false)?;
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let read = source.read(&mut buffer).map_err(ApiError::internal)?;
        if read == 0 {
            return Ok(());
        }
        blob.write_all(&buffer[..read])
            .map_err(ApiError::internal)?;
    }
}

/// A file's description, or `None` when there is no such file.
pub fn describe(conn: &Connection, id: &str) -> Result<Option<Stored>, ApiError> {
    let sql = format!(
        "SELECT \"content_type\", \"name\", \"length\", \"uploaded\" FROM {} \
         WHERE \"_id\" = ?1",
        quote(TABLE.name)
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |row| {
            Ok(Stored {
                content_type: row.get::<_, Option<String>>(0)?.unwrap_or_default(),
                name: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                length: row.get(2)?,
                uploaded: row.get(3)?,
            })
        })
        .optional()?)
}

/// Up to `length` bytes of a file from `offset`: one chunk of a streamed answer.
/// The row is found by its id at each chunk, so a file deleted while it is being
/// served ends the stream (`None`) rather than reading another row.
pub fn read_chunk(
    conn: &Connection,
    id: &str,
    offset: u64,
    length: usize,
) -> Result<Option<Vec<u8>>, ApiError> {
    let sql = format!("SELECT rowid FROM {} WHERE \"_id\" = ?1", quote(TABLE.name));
    let Some(row) = conn
        .prepare_cached(&sql)?
        .query_row([id], |row| row.get::<_, i64>(0))
        .optional()?
    else {
        return Ok(None);
    };
    let blob = conn.blob_open(MAIN_DB, TABLE.name, "data", row, true)?;
    let offset = usize::try_from(offset).map_err(ApiError::internal)?;
    let end = offset.saturating_add(length).min(blob.len());
    let mut buffer = vec![0u8; end.saturating_sub(offset)];
    let read = blob.read_at(&mut buffer, offset)?;
    buffer.truncate(read);
    Ok(Some(buffer))
}

/// A whole file, for Eve's `return_media_as_base64_string` (the document then holds
/// it whole anyway).
pub fn read_all(conn: &Connection, id: &str) -> Result<Option<Vec<u8>>, ApiError> {
    let sql = format!(
        "SELECT \"data\" FROM {} WHERE \"_id\" = ?1",
        quote(TABLE.name)
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |row| row.get::<_, Option<Vec<u8>>>(0))
        .optional()?
        .map(Option::unwrap_or_default))
}

/// Delete files by id.
pub fn delete(conn: &Connection, ids: &[&str]) -> Result<(), ApiError> {
    let sql = format!("DELETE FROM {} WHERE \"_id\" = ?1", quote(TABLE.name));
    let mut statement = conn.prepare_cached(&sql)?;
    for id in ids {
        statement.execute([id])?;
    }
    Ok(())
}

/// `SELECT "<field>" FROM <table> WHERE <condition>`, once per media field, joined:
/// the media ids of the documents the condition selects. A list of files holds a JSON
/// list of ids, each one a row through `json_each` (over a subquery, so the
/// condition's column names never meet `json_each`'s `key`, `value`...).
fn media_ids(info: &ResourceInfo, media: &Media, condition: &str) -> String {
    let table = quote(info.table.name);
    media
        .fields
        .iter()
        .map(|field| {
            let column = quote(field);
            let condition = if condition.is_empty() {
                format!(" WHERE {column} IS NOT NULL")
            } else {
                format!(" WHERE ({condition}) AND {column} IS NOT NULL")
            };
            if media.is_list(field) {
                format!(
                    "SELECT \"ids\".\"value\" FROM (SELECT {column} AS \"list\" FROM {table}{condition}) \
                     AS \"documents\", json_each(\"documents\".\"list\") AS \"ids\""
                )
            } else {
                format!("SELECT {column} FROM {table}{condition}")
            }
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// Delete the files of the document `id` (before the document itself goes).
pub fn delete_of_document(
    conn: &Connection,
    info: &'static ResourceInfo,
    id: &str,
) -> Result<(), ApiError> {
    let condition = format!("{} = ?1", quote(crate::schema::KEY));
    let sql = format!(
        "DELETE FROM {} WHERE \"_id\" IN ({})",
        quote(TABLE.name),
        media_ids(info, info.media, &condition)
    );
    conn.prepare_cached(&sql)?
        .execute([id_value(info.id_type, id)])?;
    Ok(())
}

/// Delete the files of every document a collection DELETE deletes: those of `scope`
/// (a sub-resource's path, the caller's own) and of the datasource filter.
pub fn delete_of_scope(
    conn: &Connection,
    info: &'static ResourceInfo,
    scope: &Scope,
) -> Result<(), ApiError> {
    let s = statements(info)?;
    let sql = format!(
        "DELETE FROM {} WHERE \"_id\" IN ({})",
        quote(TABLE.name),
        media_ids(info, info.media, &s.list_condition)
    );
    // Each field's subquery binds the filter's values, then the path's (and owner's).
    let mut values: Vec<Sql> = Vec::new();
    for _ in info.media.fields {
        values.extend(s.filter_values.iter().cloned());
        values.extend(super::store::path_values(scope));
    }
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(values))?;
    Ok(())
}
