//! An import request read into its options and its rows' source, by content type.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};
use futures_util::StreamExt;
use serde_json::Value;

use super::source::{Chunks, Source};
use super::{Import, Mode, OnError, Options};
use crate::error::ApiError;
use crate::http;
use crate::resource::ResourceInfo;
use crate::state::Settings;

/// The signed-request fields of the dataset scheme (`auth::signed`): checked by the
/// operation's guard, ignored here.
const SIGNATURE_FIELDS: [&str; 4] = ["visitor", "stamp", "token", "type"];

/// Options as they are given, each at most once (query string and body together).
struct Given<'a> {
    import: &'a Import,
    options: Options,
    seen: Vec<String>,
}

impl<'a> Given<'a> {
    fn new(import: &'a Import) -> Self {
        Given {
            import,
            options: Options::new(import),
            seen: Vec::new(),
        }
    }

    /// One option; `value` as text (a JSON body's numbers as their text).
    fn set(&mut self, name: &str, value: &str) -> Result<(), ApiError> {
        if SIGNATURE_FIELDS.contains(&name) {
            return Ok(());
        }
        if self.seen.iter().any(|n| n == name) {
            return Err(ApiError::bad_request(format!(
                "The import option '{name}' is given twice"
            )));
        }
        self.seen.push(name.to_string());
        let bad = |expected: &str| {
            ApiError::bad_request(format!(
                "The import option '{name}' is '{value}'; it takes {expected}"
            ))
        };
        match name {
            "mode" => {
                self.options.mode = match value {
                    "insert" => Mode::Insert,
                    "upsert" => Mode::Upsert,
                    "replace" => Mode::Replace,
                    _ => return Err(bad("insert, upsert or replace")),
                }
            }
            // The seed's `update`: 0 adds rows, 1 updates them.
            "update" => {
                self.options.mode = match value {
                    "0" => Mode::Insert,
                    "1" => Mode::Upsert,
                    _ => return Err(bad("0 (insert) or 1 (update)")),
                }
            }
            "upsert_on" => {
                self.import.check_key(value).map_err(|keys| bad(&keys))?;
                self.options.key = value.to_string();
            }
            "on_error" => {
                self.options.on_error = match value {
                    "abort" => OnError::Abort,
                    "skip" => OnError::Skip,
                    _ => return Err(bad("abort (all or nothing) or skip (keep the good rows)")),
                }
            }
            _ => {
                return Err(ApiError::bad_request(format!(
                    "Unknown import option '{name}': the options are mode, update, upsert_on and on_error"
                )))
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Options, ApiError> {
        if let Err(why) = self.import.check_mode(self.options.mode) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("This resource's {why}"),
            ));
        }
        if self.options.mode == Mode::Upsert
            && self.seen.iter().any(|n| n == "mode")
            && self.seen.iter().any(|n| n == "update")
        {
            return Err(ApiError::bad_request(
                "Give `mode` or the seed's `update`, not both",
            ));
        }
        Ok(self.options)
    }
}

/// The options and the rows of an import request.
pub(super) async fn read(
    info: &'static ResourceInfo,
    import: &Import,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
    settings: &Settings,
) -> Result<(Options, Source), ApiError> {
    let mut given = Given::new(import);
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        given.set(&name, &value)?;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    http::check_declared_length(
        headers,
        usize::try_from(import.max_bytes).unwrap_or(usize::MAX),
    )?;
    let idle = settings.body_read_timeout;
    match essence.as_str() {
        "application/json" => {
            let bytes = whole(body, import.max_bytes, idle).await?;
            let value: Value = serde_json::from_slice(&bytes).map_err(|error| {
                ApiError::bad_request(format!("The request body is not valid JSON: {error}"))
            })?;
            let table = match value {
                Value::Array(rows) => rows,
                Value::Object(fields) => {
                    let mut table = None;
                    for (name, value) in fields {
                        if name == "ds" {
                            table = Some(table_of(value)?);
                            continue;
                        }
                        let text = match value {
                            Value::String(text) => text,
                            other => other.to_string(),
                        };
                        given.set(&name, &text)?;
                    }
                    table.ok_or_else(no_table)?
                }
                _ => return Err(no_table()),
            };
            Ok((given.finish()?, Source::table(table)))
        }
        "application/x-www-form-urlencoded" => {
            let bytes = whole(body, import.max_bytes, idle).await?;
            let mut table = None;
            for (name, value) in form_urlencoded::parse(&bytes) {
                if name == "ds" {
                    if table.is_some() {
                        return Err(ApiError::bad_request("The form gives `ds` twice"));
                    }
                    table = Some(table_of(Value::String(value.into_owned()))?);
                } else {
                    given.set(&name, &value)?;
                }
            }
            Ok((given.finish()?, Source::table(table.ok_or_else(no_table)?)))
        }
        "text/csv" | "text/plain" => {
            let chunks = limited(body.into_data_stream().map(|c| c.map_err(read_error)), import.max_bytes, idle);
            Ok((given.finish()?, Source::csv(chunks)))
        }
        "multipart/form-data" => multipart(info, given, &content_type, body, import.max_bytes, idle).await,
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "An import takes application/json or application/x-www-form-urlencoded (the table as `ds`), text/csv, or multipart/form-data with a CSV or XLSX file",
        )),
    }
}

fn no_table() -> ApiError {
    ApiError::bad_request(
        "The import has no table: send `ds`, a list of rows whose first names the columns",
    )
}

/// `ds`: a list of rows, or the JSON text of one (as the seed's form sends it).
fn table_of(value: Value) -> Result<Vec<Value>, ApiError> {
    let value = match value {
        Value::String(text) => serde_json::from_str(&text).map_err(|error| {
            ApiError::bad_request(format!("`ds` is not the JSON text of a table: {error}"))
        })?,
        other => other,
    };
    match value {
        Value::Array(rows) => Ok(rows),
        _ => Err(ApiError::bad_request(
            "`ds` must be a list of rows, the first naming the columns",
        )),
    }
}

/// A whole body of at most `limit` bytes, each chunk arriving within `idle`.
async fn whole(body: Body, limit: u64, idle: Duration) -> Result<Bytes, ApiError> {
    let mut chunks = limited(
        body.into_data_stream().map(|c| c.map_err(read_error)),
        limit,
        idle,
    );
    let mut bytes = Vec::new();
    while let Some(chunk) = chunks.next().await {
        bytes.extend_from_slice(&chunk?);
    }
    Ok(Bytes::from(bytes))
}

fn read_error(error: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("The request body could not be read: {error}"))
}

/// `chunks`, refused once past `limit` bytes in all (413), and each chunk given
/// `idle` to come (408): a large import may take minutes, a stalled one may not.
pub(super) fn limited(
    chunks: impl futures_util::Stream<Item = Result<Bytes, ApiError>> + Send + 'static,
    limit: u64,
    idle: Duration,
) -> Chunks {
    let state = (Box::pin(chunks), 0u64, false);
    Box::pin(futures_util::stream::unfold(
        state,
        move |(mut chunks, mut total, failed)| async move {
            if failed {
                return None;
            }
            let next = match tokio::time::timeout(idle, chunks.next()).await {
                Err(_) => Err(ApiError::body_timeout(idle)),
                Ok(None) => return None,
                Ok(Some(chunk)) => chunk,
            };
            let next = next.and_then(|chunk| {
                total += chunk.len() as u64;
                if total > limit {
                    Err(http::too_large(
                        usize::try_from(limit).unwrap_or(usize::MAX),
                    ))
                } else {
                    Ok(chunk)
                }
            });
            let failed = next.is_err();
            Some((next, (chunks, total, failed)))
        },
    ))
}

/// A `multipart/form-data` import: option fields, then one file part (CSV, or XLSX by
/// its name or type), which is read as it arrives.
async fn multipart(
    info: &'static ResourceInfo,
    mut given: Given<'_>,
    content_type: &str,
    body: Body,
    limit: u64,
    idle: Duration,
) -> Result<(Options, Source), ApiError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        ApiError::bad_request("A multipart/form-data body needs a boundary parameter")
    })?;
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit));
    let mut parts =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let part_error = move |error: multer::Error| match error {
        multer::Error::StreamSizeExceeded { .. } => {
            http::too_large(usize::try_from(limit).unwrap_or(usize::MAX))
        }
        other => ApiError::bad_request(format!(
            "The multipart/form-data body is malformed: {other}"
        )),
    };
    loop {
        let next = tokio::time::timeout(idle, parts.next_field())
            .await
            .map_err(|_| ApiError::body_timeout(idle))?
            .map_err(part_error)?;
        let Some(mut part) = next else {
            return Err(ApiError::bad_request(
                "The form has no file: send the table as a part named `file` (CSV or XLSX)",
            ));
        };
        let name = part.name().unwrap_or("").to_string();
        let file_name = part.file_name().map(str::to_string);
        let Some(file_name) = file_name else {
            let mut text = Vec::new();
            while let Some(chunk) = tokio::time::timeout(idle, part.chunk())
                .await
                .map_err(|_| ApiError::body_timeout(idle))?
                .map_err(part_error)?
            {
                text.extend_from_slice(&chunk);
                if text.len() > 64 * 1024 {
                    return Err(ApiError::bad_request(format!(
                        "The form field '{name}' is too long"
                    )));
                }
            }
            let text = String::from_utf8(text).map_err(|_| {
                ApiError::bad_request(format!("The form field '{name}' is not UTF-8 text"))
            })?;
            given.set(&name, &text)?;
            continue;
        };
        let part_type = part
            .content_type()
            .map(|m| m.essence_str().to_ascii_lowercase())
            .unwrap_or_default();
        let lower = file_name.to_ascii_lowercase();
        let xlsx = lower.ends_with(".xlsx") || part_type.contains("spreadsheetml");
        let options = given.finish()?;
        // The part, then the rest of the body (ignored), as the file's chunks.
        let chunks =
            futures_util::stream::unfold((parts, part), move |(parts, mut part)| async move {
                match part.chunk().await {
                    Ok(Some(chunk)) => Some((Ok(chunk), (parts, part))),
                    Ok(None) => None,
                    Err(error) => Some((Err(part_error(error)), (parts, part))),
                }
            });
        let chunks = limited(chunks, limit, idle);
        let source = if xlsx {
            super::xlsx::rows(info, chunks).await?
        } else {
            Source::csv(chunks)
        };
        return Ok((options, source));
    }
}
