//! Media fields (Eve's `type = "media"`): files uploaded as `multipart/form-data`
//! parts, kept in the database's media table, served inside documents and, with
//! `return_media_as_url`, at `<prefix>/<media_endpoint>/<id>` as their raw bytes.
//!
//! - Upload: `forms` streams each file part to an unnamed temporary file ([`Upload`]),
//!   so a large file never sits in memory and a slow client never holds the write
//!   lock; the write transaction then copies it into a BLOB a chunk at a time
//!   ([`store`]), with the document. A document that fails validation rolls the
//!   transaction back: no file is left without its document.
//! - A document's media column holds the file's id; a list of files
//!   (`type = "list"`, `items = { type = "media" }`) holds a JSON list of ids, in the
//!   order the parts arrived. Replacing the file or the list (PATCH, PUT) stores new
//!   files under new ids and deletes the old ([`release_replaced`]); deleting the
//!   document deletes its files ([`delete_of_document`], [`delete_of_scope`]).
//! - In a served document the id becomes what Eve serves ([`resolve`]): the file as a
//!   base64 string (`return_media_as_base64_string`, Eve's default), or its URL
//!   (`return_media_as_url`), or `null`; with `extended_media_info` an object
//!   `{"file": ..., "content_type": ..., "name": ..., "length": ...}`. A list of
//!   files is served as a list of those.
//! - [`serve`]: the media endpoint, streamed, with `Range: bytes=...` answered 206.

use std::io::{Seek, Write as _};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::db::{Reader, Writer};
use crate::error::ApiError;
use crate::resource::{Resource, ResourceInfo};
use crate::routes::Scope;
use crate::schema::{Column, ColumnType, Key, Table};
use crate::sqlite::media as sql;
use crate::state::AppState;
use crate::validate::Issues;
use crate::{date, http};

/// The media table: one row per file, its bytes in `data`. In every API that has a
/// media field, so migrations and the conformance check see it like any other table.
/// Its name starts with `_`, which no resource's can.
///
/// A file never changes under its id (a new file gets a new id), so its id is its
/// ETag and `uploaded` its `Last-Modified`. The meta columns every table has after
/// its own stay `0`, `0` and `''`: values SQLite stores in no bytes, which keeps the
/// zero-filled BLOB an insert makes lazy (SQLite writes `zeroblob(n)` without
/// allocating it only when nothing but such values follows it in the row; otherwise
/// a 50 MB upload cost 120 MB of memory).
pub static TABLE: Table = Table {
    name: "_media",
    key: Key::Text,
    columns: &[
        Column::new("content_type", ColumnType::Text),
        Column::new("name", ColumnType::Text),
        Column::new("length", ColumnType::Integer),
        Column::new("uploaded", ColumnType::Datetime),
        Column::new("data", ColumnType::Blob),
    ],
    indexes: &[],
};

/// What Eve's `extended_media_info` may add beside `file`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extended {
    /// The part's `Content-Type`.
    ContentType,
    /// The part's file name.
    Name,
    /// The file's size in bytes.
    Length,
}

impl Extended {
    pub fn name(self) -> &'static str {
        match self {
            Extended::ContentType => "content_type",
            Extended::Name => "name",
            Extended::Length => "length",
        }
    }
}

/// A resource's media fields and the API's media settings (Eve's, API-wide).
#[derive(Debug)]
pub struct Media {
    /// The resource's top-level media fields, lists of files included; empty: none,
    /// and nothing here runs.
    pub fields: &'static [&'static str],
    /// Those of `fields` that are lists of files (a JSON list of media ids each).
    pub lists: &'static [&'static str],
    /// `media_max_bytes`: the largest `multipart/form-data` body (its files) the
    /// resource accepts, and so the largest file; its text fields together stay
    /// within `max_body_bytes`.
    pub max_bytes: usize,
    /// `return_media_as_base64_string`: a document holds its files as base64.
    pub as_base64: bool,
    /// `return_media_as_url`: a document holds its files' URLs (when not base64).
    pub as_url: bool,
    /// Where the files are served: the API's prefix and `media_endpoint`
    /// (`/api/v1/media`); a file's URL is this, `/`, its id.
    pub base_url: &'static str,
    /// `extended_media_info`.
    pub extended: &'static [Extended],
}

impl Media {
    /// No media field, Eve's default settings.
    pub const NONE: Media = Media {
        fields: &[],
        lists: &[],
        max_bytes: 0,
        as_base64: true,
        as_url: false,
        base_url: "/media",
        extended: &[],
    };

    /// Whether `name` is a media field (a file, or a list of files).
    pub fn is_field(&self, name: &str) -> bool {
        self.fields.contains(&name)
    }

    /// Whether `name` is a list of files.
    pub fn is_list(&self, name: &str) -> bool {
        self.lists.contains(&name)
    }
}

/// The media ids a media field's stored value holds: one id, a list of ids, or none.
pub fn ids_in(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(id)) => vec![id.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `ResourceInfo::DEFAULTS`'s media: none.
pub static NONE: Media = Media::NONE;

/// A file received for a media field, spooled to a temporary file that the operating
/// system deletes when it is dropped, whatever happens to the request.
#[derive(Debug)]
pub struct Upload {
    /// The media id the document will hold (a new objectid).
    pub id: String,
    pub field: String,
    pub content_type: String,
    pub name: String,
    pub length: u64,
    file: std::fs::File,
}

/// A file part being received.
pub struct Spool {
    file: std::fs::File,
    length: u64,
}

impl Spool {
    pub fn new() -> Result<Spool, ApiError> {
        Ok(Spool {
            file: tempfile::tempfile().map_err(ApiError::internal)?,
            length: 0,
        })
    }

    /// Append a chunk. A blocking write of one chunk to the page cache takes
    /// microseconds: cheaper than a hop to a blocking thread.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        self.length += chunk.len() as u64;
        self.file.write_all(chunk).map_err(ApiError::internal)
    }

    /// The bytes received so far.
    pub fn length(&self) -> u64 {
        self.length
    }

    pub fn finish(self, field: String, content_type: String, name: String) -> Upload {
        Upload {
            id: crate::objectid::new_id(),
            field,
            content_type,
            name,
            length: self.length,
            file: self.file,
        }
    }
}

/// The files of one request, stored with its document.
pub type Uploads = Vec<Upload>;

/// Store the request's files, inside the document's write transaction.
pub fn store(tx: &Writer<'_>, uploads: &Uploads) -> Result<(), ApiError> {
    if uploads.is_empty() {
        return Ok(());
    }
    let now = date::now();
    for upload in uploads {
        let mut file = &upload.file;
        file.rewind().map_err(ApiError::internal)?;
        let media = sql::NewMedia {
            id: &upload.id,
            content_type: &upload.content_type,
            name: &upload.name,
            length: upload.length,
            uploaded: now,
        };
        sql::insert(tx, &media, file)?;
    }
    Ok(())
}

/// 422 when a body gives a media field anything but a file (or `null`, or `[]` for a
/// list of files, which empties it): a client may not point a document at a file by
/// its id, as Eve's `media` type accepts only an uploaded file.
pub fn check_client_values(
    info: &ResourceInfo,
    document: &Map<String, Value>,
) -> Result<(), ApiError> {
    let mut issues = Issues::new();
    for field in info.media.fields {
        match document.get(*field) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.is_empty() && info.media.is_list(field) => {}
            Some(_) => issues.add(field, "must be of media type"),
        }
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(issues, "Insertion"))
    }
}

/// After a PATCH or PUT: delete the files the document held and no longer does.
pub fn release_replaced(
    tx: &Writer<'_>,
    info: &ResourceInfo,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Result<(), ApiError> {
    let mut gone = Vec::new();
    for field in info.media.fields {
        let kept = ids_in(after.get(*field));
        gone.extend(
            ids_in(before.get(*field))
                .into_iter()
                .filter(|id| !kept.contains(id)),
        );
    }
    if gone.is_empty() {
        return Ok(());
    }
    sql::delete(tx, &gone)
}

/// Before a document is deleted: delete its files.
pub fn delete_of_document(
    tx: &Writer<'_>,
    info: &'static ResourceInfo,
    id: &str,
) -> Result<(), ApiError> {
    if info.media.fields.is_empty() {
        return Ok(());
    }
    sql::delete_of_document(tx, info, id)
}

/// Before a collection DELETE: delete the files of the documents it deletes.
pub fn delete_of_scope(
    tx: &Writer<'_>,
    info: &'static ResourceInfo,
    scope: &Scope,
) -> Result<(), ApiError> {
    if info.media.fields.is_empty() {
        return Ok(());
    }
    sql::delete_of_scope(tx, info, scope)
}

/// The documents as served, with each media id replaced by what Eve serves for it;
/// `embedded` (documents already rewritten by `?embedded=`) is taken as is when the
/// resource has no media field.
pub fn resolve<R: Resource>(
    info: &ResourceInfo,
    conn: &Reader,
    documents: &[R],
    embedded: Option<Vec<Vec<u8>>>,
) -> Result<Option<Vec<Vec<u8>>>, ApiError> {
    let media = info.media;
    if media.fields.is_empty() {
        return Ok(embedded);
    }
    let served = match embedded {
        Some(served) => served,
        None => documents
            .iter()
            .map(|d| serde_json::to_vec(d).map_err(ApiError::internal))
            .collect::<Result<_, _>>()?,
    };
    served
        .iter()
        .map(|document| rewrite(media, conn, document))
        .collect::<Result<_, _>>()
        .map(Some)
}

/// One served document with its media fields resolved, its members kept in order.
pub(crate) fn rewrite(media: &Media, conn: &Reader, document: &[u8]) -> Result<Vec<u8>, ApiError> {
    let crate::embed::Entries(entries) =
        serde_json::from_slice(document).map_err(ApiError::internal)?;
    let mut out = Vec::with_capacity(document.len() + 64);
    out.push(b'{');
    for (i, (name, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        http::write_json_str(&mut out, &name);
        out.push(b':');
        if !media.is_field(&name) {
            out.extend_from_slice(value.get().as_bytes());
        } else if let Ok(id) = serde_json::from_str::<String>(value.get()) {
            write_one(media, conn, &id, &mut out)?;
        } else if let Ok(ids) = serde_json::from_str::<Vec<String>>(value.get()) {
            // A list of files: each served as one file is, in order.
            out.push(b'[');
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_one(media, conn, id, &mut out)?;
            }
            out.push(b']');
        } else {
            out.extend_from_slice(value.get().as_bytes());
        }
    }
    out.push(b'}');
    Ok(out)
}

/// Write what Eve serves for one file (`resolve_one_media`): `null` for a missing
/// one; with extended info `{"file": ..., <info>...}` in Eve's order.
fn write_one(media: &Media, conn: &Reader, id: &str, out: &mut Vec<u8>) -> Result<(), ApiError> {
    let Some(stored) = sql::describe(conn, id)? else {
        out.extend_from_slice(b"null");
        return Ok(());
    };
    let extended = !media.extended.is_empty();
    if extended {
        out.extend_from_slice(b"{\"file\":");
    }
    if media.as_base64 {
        use base64::Engine as _;
        let bytes = sql::read_all(conn, id)?.unwrap_or_default();
        // Base64 needs no JSON escape.
        out.push(b'"');
        out.extend_from_slice(
            base64::engine::general_purpose::STANDARD
                .encode(bytes)
                .as_bytes(),
        );
        out.push(b'"');
    } else if media.as_url {
        http::write_json_str(out, &format!("{}/{id}", media.base_url));
    } else {
        out.extend_from_slice(b"null");
    }
    if !extended {
        return Ok(());
    }
    for info in media.extended {
        out.push(b',');
        http::write_json_str(out, info.name());
        out.push(b':');
        match info {
            Extended::ContentType => http::write_json_str(out, &stored.content_type),
            Extended::Name => http::write_json_str(out, &stored.name),
            Extended::Length => out.extend_from_slice(stored.length.to_string().as_bytes()),
        }
    }
    out.push(b'}');
    Ok(())
}

/// A byte range of a file of `length` bytes, from `Range: bytes=...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// No usable single range (none, not `bytes=`, malformed, or several ranges,
    /// which RFC 9110 lets a server answer with the whole file): 200.
    Whole,
    /// Bytes `first..=last`: 206.
    Part { first: u64, last: u64 },
    /// No byte of the file is in the range: 416.
    Unsatisfiable,
}

impl Range {
    /// Parse a `Range` header (RFC 9110 §14.1.2) for a file of `length` bytes: one
    /// range `a-b`, `a-` or `-n`.
    pub fn parse(header: Option<&str>, length: u64) -> Range {
        let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
            return Range::Whole;
        };
        if spec.contains(',') {
            return Range::Whole;
        }
        let Some((first, last)) = spec.trim().split_once('-') else {
            return Range::Whole;
        };
        let number = |text: &str| -> Option<u64> {
            let text = text.trim();
            (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse().ok())
                .flatten()
        };
        match (first.trim().is_empty(), number(first), number(last)) {
            // `-n`: the last n bytes.
            (true, _, Some(suffix)) => {
                if suffix == 0 || length == 0 {
                    Range::Unsatisfiable
                } else {
                    Range::Part {
                        first: length.saturating_sub(suffix),
                        last: length - 1,
                    }
                }
            }
            (false, Some(first), last) if last.is_some() || last_is_empty(spec) => {
                if last.is_some_and(|last| last < first) {
                    return Range::Whole;
                }
                if first >= length {
                    return Range::Unsatisfiable;
                }
                let last = last.map_or(length - 1, |last| last.min(length - 1));
                Range::Part { first, last }
            }
            _ => Range::Whole,
        }
    }
}

fn last_is_empty(spec: &str) -> bool {
    spec.split_once('-')
        .is_some_and(|(_, last)| last.trim().is_empty())
}

/// GET (and HEAD) on `<prefix>/<media_endpoint>/<id>`: the file's bytes with its
/// content type, streamed from the database a chunk at a time. `Range: bytes=a-b`
/// answers 206 with `Content-Range`; a range past the end 416. An unknown id is 404.
pub async fn serve(
    State(state): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::not_found());
    };
    if !crate::objectid::is_valid(&id) {
        return Err(ApiError::not_found());
    }
    let stored = state
        .db
        .read(|conn| sql::describe(conn, &id))?
        .ok_or_else(ApiError::not_found)?;
    let length = u64::try_from(stored.length).unwrap_or(0);
    let range = Range::parse(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        length,
    );
    if range == Range::Whole && http::not_modified(&headers, &id, stored.uploaded) {
        return Ok(http::not_modified_response(&id, Some(stored.uploaded)));
    }
    let (status, first, end) = match range {
        Range::Whole => (StatusCode::OK, 0, length),
        Range::Part { first, last } => (StatusCode::PARTIAL_CONTENT, first, last + 1),
        Range::Unsatisfiable => {
            let mut response = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("The range is outside the file's {length} bytes"),
            )
            .into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{length}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(response);
        }
    };
    let etag = HeaderValue::from_str(&format!("\"{id}\""));
    let body = Body::from_stream(chunks(state, id, first, end));
    let mut response = (status, body).into_response();
    let out = response.headers_mut();
    let content_type = HeaderValue::from_str(&stored.content_type)
        .ok()
        .filter(|_| !stored.content_type.is_empty())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    out.insert(header::CONTENT_TYPE, content_type);
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(end - first));
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(value) = HeaderValue::from_str(&format!("bytes {first}-{}/{length}", end - 1)) {
            out.insert(header::CONTENT_RANGE, value);
        }
    }
    if let Ok(value) = HeaderValue::from_bytes(&date::rfc1123(stored.uploaded)) {
        out.insert(header::LAST_MODIFIED, value);
    }
    if let Ok(value) = etag {
        out.insert(header::ETAG, value);
    }
    Ok(response)
}

/// The page cache (KiB) of the connection that streams a file out.
const STREAM_CACHE_KIB: i64 = 256;

/// The bytes `first..end` of file `id`, read a chunk at a time as the client takes
/// them: memory stays at one chunk, whatever the file's size. A file of more than one
/// chunk is read on a connection of its own with a small page cache (opened at the
/// first chunk, so a HEAD opens none), not through the shared readers' caches.
fn chunks(
    state: AppState,
    id: String,
    first: u64,
    end: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let own = end - first > sql::CHUNK as u64;
    let reader: Option<Reader> = None;
    futures_util::stream::unfold(
        (state, id, first, reader),
        move |(state, id, offset, mut reader)| async move {
            if offset >= end {
                return None;
            }
            let want = usize::try_from((end - offset).min(sql::CHUNK as u64)).unwrap_or(sql::CHUNK);
            let read = if own {
                if reader.is_none() {
                    reader = state.db.own_reader(STREAM_CACHE_KIB).ok();
                }
                match &reader {
                    Some(conn) => sql::read_chunk(conn, &id, offset, want),
                    None => Err(ApiError::busy()),
                }
            } else {
                state
                    .db
                    .read(|conn| sql::read_chunk(conn, &id, offset, want))
            };
            match read {
                Ok(Some(bytes)) if !bytes.is_empty() => {
                    let next = offset + bytes.len() as u64;
                    Some((Ok(Bytes::from(bytes)), (state, id, next, reader)))
                }
                // The file was deleted while being served (or the database failed):
                // the answer ends short, which the client sees against its
                // `Content-Length`.
                _ => Some((
                    Err(std::io::Error::other("the media file could not be read")),
                    (state, id, end, reader),
                )),
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "5f8d0d55b54764421b7156c9";

    fn one(media: &Media, conn: &Reader, id: &str) -> Result<Value, ApiError> {
        let mut out = Vec::new();
        write_one(media, conn, id, &mut out)?;
        Ok(serde_json::from_slice(&out).expect("JSON"))
    }

    fn database() -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().expect("a database");
        conn.execute_batch(&crate::sqlite::ddl::create(&TABLE))
            .expect("the media table");
        let media = sql::NewMedia {
            id: ID,
            content_type: "image/png",
            name: "portada ñ.png",
            length: 7,
            uploaded: -86_400,
        };
        sql::insert(&conn, &media, &b"\x00\xffhello"[..]).expect("stored");
        conn
    }

    /// Eve's `resolve_one_media`: base64 first, else the URL, else null; with
    /// extended info, an object.
    #[test]
    fn a_file_as_eve_serves_it() {
        let conn = database();
        let base64 = Media {
            fields: &["cover"],
            ..Media::NONE
        };
        assert_eq!(one(&base64, &conn, ID).unwrap(), "AP9oZWxsbw==");
        // Both on: base64 wins, as in Eve.
        let both = Media {
            as_url: true,
            ..base64
        };
        assert_eq!(one(&both, &conn, ID).unwrap(), "AP9oZWxsbw==");
        let url = Media {
            as_base64: false,
            as_url: true,
            base_url: "/api/v1/files",
            ..Media::NONE
        };
        assert_eq!(one(&url, &conn, ID).unwrap(), format!("/api/v1/files/{ID}"));
        let neither = Media {
            as_base64: false,
            extended: &[Extended::Length, Extended::Name, Extended::ContentType],
            ..Media::NONE
        };
        let mut out = Vec::new();
        write_one(&neither, &conn, ID, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"file":null,"length":7,"name":"portada ñ.png","content_type":"image/png"}"#,
            "Eve's order: the file, then the info as listed"
        );
        // A file that is gone is null, as Eve serves it.
        assert_eq!(
            one(&base64, &conn, "000000000000000000000000").unwrap(),
            Value::Null
        );
    }

    /// Only the media fields of a served document change; its members keep their order.
    #[test]
    fn a_document_with_its_files_resolved() {
        let conn = database();
        let media = Media {
            fields: &["cover"],
            ..Media::NONE
        };
        let document =
            format!(r#"{{"_id":"1","title":"ñ","cover":"{ID}","back":"{ID}","_etag":"x"}}"#);
        let out = rewrite(&media, &conn, document.as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                r#"{{"_id":"1","title":"ñ","cover":"AP9oZWxsbw==","back":"{ID}","_etag":"x"}}"#
            )
        );
    }

    /// A list of files is served as a list of what each file is served as, in order
    /// (a missing one `null`); its ids are what `ids_in` reads.
    #[test]
    fn a_list_of_files_resolved() {
        let conn = database();
        let media = Media {
            fields: &["cover", "photos"],
            lists: &["photos"],
            ..Media::NONE
        };
        let missing = "000000000000000000000000";
        let document = format!(r#"{{"photos":["{ID}","{missing}","{ID}"],"empty":[]}}"#);
        let out = rewrite(&media, &conn, document.as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"photos":["AP9oZWxsbw==",null,"AP9oZWxsbw=="],"empty":[]}"#
        );
        let list = serde_json::json!([ID, missing]);
        assert_eq!(ids_in(Some(&list)), [ID, missing]);
        assert_eq!(ids_in(Some(&Value::String(ID.into()))), [ID]);
        assert!(ids_in(Some(&Value::Null)).is_empty());
        assert!(ids_in(None).is_empty());
    }

    /// Chunks read back what was written, at any offset, and nothing past the end.
    #[test]
    fn chunks_of_a_stored_file() {
        let conn = database();
        assert_eq!(sql::read_chunk(&conn, ID, 2, 3).unwrap().unwrap(), b"hel");
        assert_eq!(sql::read_chunk(&conn, ID, 5, 100).unwrap().unwrap(), b"lo");
        assert!(sql::read_chunk(&conn, ID, 7, 100)
            .unwrap()
            .unwrap()
            .is_empty());
        assert_eq!(
            sql::read_chunk(&conn, "000000000000000000000000", 0, 1).unwrap(),
            None
        );
        let stored = sql::describe(&conn, ID).unwrap().unwrap();
        assert_eq!((stored.length, stored.uploaded), (7, -86_400));
        sql::delete(&conn, &[ID]).unwrap();
        assert_eq!(sql::describe(&conn, ID).unwrap(), None);
    }

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        let parse = |h: &str| Range::parse(Some(h), 100);
        assert_eq!(parse("bytes=0-9"), Range::Part { first: 0, last: 9 });
        assert_eq!(
            parse("bytes=90-"),
            Range::Part {
                first: 90,
                last: 99
            }
        );
        assert_eq!(
            parse("bytes=-10"),
            Range::Part {
                first: 90,
                last: 99
            }
        );
        assert_eq!(parse("bytes=-1000"), Range::Part { first: 0, last: 99 });
        assert_eq!(
            parse("bytes=95-1000"),
            Range::Part {
                first: 95,
                last: 99
            }
        );
        assert_eq!(parse("bytes=100-"), Range::Unsatisfiable);
        assert_eq!(parse("bytes=100-200"), Range::Unsatisfiable);
        assert_eq!(parse("bytes=-0"), Range::Unsatisfiable);
        // Several ranges, another unit, nonsense: the whole file.
        assert_eq!(parse("bytes=0-1,5-6"), Range::Whole);
        assert_eq!(parse("items=0-1"), Range::Whole);
        assert_eq!(parse("bytes=9-2"), Range::Whole);
        assert_eq!(parse("bytes=a-b"), Range::Whole);
        assert_eq!(parse("bytes=-"), Range::Whole);
        assert_eq!(parse("bytes=+1-2"), Range::Whole);
        assert_eq!(Range::parse(None, 100), Range::Whole);
        assert_eq!(Range::parse(Some("bytes=0-"), 0), Range::Unsatisfiable);
        assert_eq!(Range::parse(Some("bytes=-5"), 0), Range::Unsatisfiable);
    }
}
