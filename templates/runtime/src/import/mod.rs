//! Tabular imports (`[resources.<r>.import]`): a table of rows — a header row naming
//! fields, then one row per document — loaded into a resource in one request, as the
//! dataset API of the seeds takes it (`ds`, `update`, signed with `visitor`/`stamp`/
//! `token`/`type`), or as a CSV or XLSX file.
//!
//! `POST <collection>/import` takes:
//! - `application/json`: the table itself (`[["A", "B"], ["a1", "b1"]]`), or an object
//!   with the table as `ds` (a list, or its JSON text) and the options below;
//! - `application/x-www-form-urlencoded`: the seed's form, `ds` the table's JSON text;
//! - `text/csv`: the file, options in the query string;
//! - `multipart/form-data`: a file part (CSV, or XLSX: its first sheet) after any
//!   option fields.
//!
//! Options, in the query string or beside `ds`: `mode` (`insert`, the default;
//! `upsert`; `replace`, which empties the collection first, as the seed's
//! `preSql: truncate`), the seed's `update` (`0` insert, `1` upsert), `upsert_on` (the
//! key an upsert matches documents by: `_id` or a field the spec lists), and
//! `on_error` (`abort`: all or nothing, the default; `skip`: keep the good rows).
//!
//! Each cell is read as its column's field reads text (`cells`): `"42"` for an integer
//! is 42, a datetime is written in the API's `date_format`, a list or dict is a JSON
//! cell, an empty cell is no value (so defaults and `required` apply). Each row is then
//! written by the handlers' own code: validated as a POST (an upsert that finds its
//! document, as a PATCH of the cells given), `unique` and `data_relation` checked, the
//! `on_insert`/`on_insert_tx`/`on_update` hooks, versions and oplog entries. The answer
//! is a report (`Report`): rows read, inserted, updated, rejected, and each rejected
//! row's number (the header is row 1, as a spreadsheet numbers it) with its `_issues`.
//!
//! Memory does not grow with the file. A CSV is parsed as it arrives; an XLSX is
//! spooled to a temporary file (a zip cannot be read from the front) and its sheet read
//! cell by cell. Rows are read and checked on one thread and written in batches
//! (`Import::batch`) on another (`write`): with `skip`, each batch is its own
//! transaction, committed as it arrives; with `abort`, one transaction holds them all,
//! and the body is first spooled to a temporary file, so a slow upload never holds the
//! write lock. A JSON or form table is one value, held whole, within `max_bytes`.
//!
//! The oplog gets one entry per document, as a bulk POST writes them: its readers
//! (a client catching up on changes) see an imported document like any other.

mod cells;
pub mod command;
mod csv;
mod request;
mod source;
mod write;
mod xlsx;

#[cfg(test)]
mod tests;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::oplog::Client;
use crate::resource::Resource;
use crate::routes::{PathParams, Scope};
use crate::state::AppState;
use crate::validate::Issues;

pub use source::{Cell, Source};
pub use write::run;

/// A resource's import settings (`[resources.<r>.import]`).
#[derive(Debug)]
pub struct Import {
    /// The fields an upsert may match documents by, besides `_id`: unique fields.
    pub upsert_on: &'static [&'static str],
    /// Whether `mode=replace` (empty the collection first) is allowed.
    pub replace: bool,
    /// Rows per batch: per transaction with `on_error=skip`, per hook call.
    pub batch: usize,
    /// Largest body an import takes, in bytes (the API's `max_body_bytes` does not
    /// apply: a file is streamed).
    pub max_bytes: u64,
}

impl Import {
    /// Whether an upsert may match documents by `key`: `_id` or an `upsert_on`
    /// field. `Err`: the keys it may, listed for the message.
    pub(crate) fn check_key(&self, key: &str) -> Result<(), String> {
        if key == "_id" || self.upsert_on.contains(&key) {
            return Ok(());
        }
        let keys: Vec<&str> = std::iter::once("_id")
            .chain(self.upsert_on.iter().copied())
            .collect();
        Err(format!("one of {}", keys.join(", ")))
    }

    /// Whether this resource's imports may write in `mode` (`replace` only when the
    /// spec allows it). `Err`: why not.
    pub(crate) fn check_mode(&self, mode: Mode) -> Result<(), &'static str> {
        if mode == Mode::Replace && !self.replace {
            return Err("imports do not replace its documents (`replace` is off in the spec)");
        }
        Ok(())
    }
}

/// How rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Each row a new document.
    Insert,
    /// A row whose key matches a document updates it (the cells given); others insert.
    Upsert,
    /// The collection is emptied first (in the import's transaction), then rows insert.
    Replace,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Insert => "insert",
            Mode::Upsert => "upsert",
            Mode::Replace => "replace",
        }
    }
}

/// What a rejected row does to the import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// All or nothing: one rejected row and nothing is written.
    Abort,
    /// The good rows are written, the rejected ones reported.
    Skip,
}

/// One import's choices, from the query string and the body's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub mode: Mode,
    /// The upsert key: `_id` or one of `Import::upsert_on`.
    pub key: String,
    pub on_error: OnError,
}

impl Options {
    /// The defaults of a resource: insert, all or nothing, matched by the first
    /// declared key (else `_id`).
    pub fn new(import: &Import) -> Options {
        Options {
            mode: Mode::Insert,
            key: import.upsert_on.first().unwrap_or(&"_id").to_string(),
            on_error: OnError::Abort,
        }
    }
}

/// How many rejected rows a report lists; the count covers them all.
pub const LISTED_REJECTS: usize = 1000;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Data rows read (the header not counted; blank lines skipped).
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub rejected: u64,
    /// The first [`LISTED_REJECTS`] rejected rows: number and issues.
    pub rejects: Vec<(u64, Issues)>,
    /// Documents removed first (`mode=replace`).
    pub replaced: u64,
}

impl Report {
    pub(crate) fn reject(&mut self, row: u64, issues: Issues) {
        self.rejected += 1;
        if self.rejects.len() < LISTED_REJECTS {
            self.rejects.push((row, issues));
        }
    }

    /// The report as JSON: `rows`, `inserted`, `updated`, `rejected`, `replaced`, and
    /// `_rejected`, one `{"row": n, "_issues": {...}}` per listed row.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("rows".into(), self.rows.into());
        out.insert("inserted".into(), self.inserted.into());
        out.insert("updated".into(), self.updated.into());
        out.insert("rejected".into(), self.rejected.into());
        out.insert("replaced".into(), self.replaced.into());
        let listed = self
            .rejects
            .iter()
            .map(|(row, issues)| json!({"row": row, "_issues": issues.to_json()}))
            .collect();
        out.insert("_rejected".into(), Value::Array(listed));
        out
    }

    /// The answer: 200 `_status: OK` with the report, or, when rows were rejected in
    /// an all-or-nothing import (which then wrote nothing), 422 in Eve's error
    /// envelope with the report beside `_error`.
    pub fn into_response(self, on_error: OnError) -> Response {
        let failed = on_error == OnError::Abort && self.rejected > 0;
        let mut body = self.to_json();
        let status = if failed {
            body.insert("_status".into(), "ERR".into());
            let message = format!(
                "Import failure: {} row(s) contain(s) error(s); nothing was written",
                self.rejected
            );
            body.insert("_error".into(), json!({"code": 422, "message": message}));
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            body.insert("_status".into(), "OK".into());
            StatusCode::OK
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (status, bytes).into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// `POST <collection>/import`: read the request's table and write its rows.
pub async fn handle<R: Resource>(
    State(state): State<AppState>,
    PathParams(params): PathParams,
    client: Client,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let info = R::INFO;
    let Some(import) = info.import else {
        return Err(ApiError::not_found());
    };
    let scope = Scope::new(info, &params, client.user.as_deref())?;
    let (options, source) = request::read(
        info,
        import,
        query.as_deref(),
        &headers,
        body,
        &state.settings,
    )
    .await?;
    // All or nothing holds the write lock while rows are read: from a file on disk,
    // never from a client that may send slowly.
    let source = match options.on_error {
        OnError::Abort => source.spooled().await?,
        OnError::Skip => source,
    };
    let on_error = options.on_error;
    let report =
        write::run::<R>(&state, &scope, &client, &options, source, Box::new(|_| {})).await?;
    Ok(report.into_response(on_error))
}

/// A row's issue that is not a field's: the row as a whole.
pub(crate) fn row_issue(message: impl Into<String>) -> Issues {
    let mut issues = Issues::new();
    issues.add("_row", message);
    issues
}
