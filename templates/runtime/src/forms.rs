//! The body of a POST, PATCH or PUT in the three content types Eve reads (its
//! `payload()`): JSON, `application/x-www-form-urlencoded` and `multipart/form-data`.
//!
//! Form fields arrive as strings (a form has no numbers), so `pages=3` is refused by
//! an integer field, as Eve refuses it; with `multipart_form_fields_as_json` each
//! multipart field is read as JSON (`3`, `true`, `["a"]`), and as a string when it is
//! not JSON. A key sent twice keeps its first value (Eve's default,
//! `AUTO_COLLAPSE_MULTI_KEYS = False`), except the file parts of a list of files:
//! those make the list, in the order they arrived, and a single one a list of one
//! (what Eve's `AUTO_COLLAPSE_MULTI_KEYS` and `AUTO_CREATE_LISTS` do for such a field).
//! A multipart file part named after a media field is streamed to a temporary file as
//! it arrives (`media::Spool`), each within `media_max_bytes`; the document then holds
//! the id the file will be stored under (a list of ids for a list of files). Any other
//! content type is 400.

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::http;
use crate::media::{self, Spool, Uploads};
use crate::resource::ResourceInfo;
use crate::state::Settings;
use crate::validate::Issues;

/// Read the body of a write to `info`: the submitted JSON value (a document, or a
/// list for a bulk POST) and the files uploaded with it.
pub async fn read_document(
    info: &ResourceInfo,
    headers: &HeaderMap,
    body: Body,
    settings: &Settings,
) -> Result<(Value, Uploads), ApiError> {
    let mime = http::body_type(headers);
    if http::is_json(&mime) {
        let value = http::parse_json(headers, body, settings).await?;
        if !info.media.fields.is_empty() {
            match &value {
                Value::Object(document) => media::check_client_values(info, document)?,
                // A bulk POST: every document.
                Value::Array(items) => {
                    for document in items.iter().filter_map(Value::as_object) {
                        media::check_client_values(info, document)?;
                    }
                }
                _ => {}
            }
        }
        return Ok((value, Uploads::new()));
    }
    let (document, uploads) = match mime.as_str() {
        "application/x-www-form-urlencoded" => {
            let document = urlencoded(headers, body, settings).await?;
            media::check_client_values(info, &document)?;
            (document, Uploads::new())
        }
        "multipart/form-data" => multipart(info, headers, body, settings).await?,
        _ => return Err(http::unknown_body_type()),
    };
    Ok((Value::Object(document), uploads))
}

/// An `application/x-www-form-urlencoded` body: every value a string.
async fn urlencoded(
    headers: &HeaderMap,
    body: Body,
    settings: &Settings,
) -> Result<Map<String, Value>, ApiError> {
    let bytes = http::read_body(headers, body, settings).await?;
    let mut document = Map::new();
    for (key, value) in form_urlencoded::parse(&bytes) {
        document
            .entry(key.into_owned())
            .or_insert_with(|| Value::String(value.into_owned()));
    }
    if document.is_empty() {
        return Err(ApiError::bad_request("No form-urlencoded data supplied"));
    }
    Ok(document)
}

/// A `multipart/form-data` body: text parts as fields, file parts of media fields
/// streamed to temporary files. The whole body is capped at `max_body_bytes` and must
/// arrive within the body-read timeout, as a JSON body must.
async fn multipart(
    info: &ResourceInfo,
    headers: &HeaderMap,
    body: Body,
    settings: &Settings,
) -> Result<(Map<String, Value>, Uploads), ApiError> {
    // Files may make a body larger than `max_body_bytes` (up to `media_max_bytes`);
    // what is held in memory (the text fields) stays within it.
    let limit = settings.max_body_bytes.max(info.media.max_bytes);
    http::check_declared_length(headers, limit)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        ApiError::bad_request("A multipart/form-data body needs a boundary parameter")
    })?;
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit as u64));
    let parts = multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let read = read_parts(info, parts, limit, settings.max_body_bytes);
    let (document, uploads, mut issues) =
        match tokio::time::timeout(settings.body_read_timeout, read).await {
            Err(_) => return Err(ApiError::body_timeout(settings.body_read_timeout)),
            Ok(read) => read?,
        };
    if document.is_empty() && uploads.is_empty() && issues.is_empty() {
        return Err(ApiError::bad_request("No multipart/form-data supplied"));
    }
    if let Err(error) = media::check_client_values(info, &document) {
        if let Some(more) = error.issues {
            issues.merge(more);
        }
    }
    if !issues.is_empty() {
        return Err(ApiError::invalid(issues, "Insertion"));
    }
    let mut document = document;
    for upload in &uploads {
        let id = Value::String(upload.id.clone());
        if info.media.is_list(&upload.field) {
            match document
                .entry(upload.field.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(ids) => ids.push(id),
                other => *other = Value::Array(vec![id]),
            }
        } else {
            document.insert(upload.field.clone(), id);
        }
    }
    Ok((document, uploads))
}

async fn read_parts(
    info: &ResourceInfo,
    mut parts: multer::Multipart<'_>,
    limit: usize,
    text_limit: usize,
) -> Result<(Map<String, Value>, Uploads, Issues), ApiError> {
    let mut text_bytes = 0usize;
    let mut document = Map::new();
    let mut uploads = Uploads::new();
    let mut issues = Issues::new();
    while let Some(mut part) = parts
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit))?
    {
        let Some(name) = part.name().map(str::to_string) else {
            continue;
        };
        let taken = document.contains_key(&name) || uploads.iter().any(|u| u.field == name);
        if part.file_name().is_none() {
            let mut text = Vec::new();
            while let Some(chunk) = part.chunk().await.map_err(|e| multipart_error(e, limit))? {
                text_bytes += chunk.len();
                if text_bytes > text_limit {
                    return Err(http::too_large(text_limit));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text).map_err(|_| {
                ApiError::bad_request(format!("The form field '{name}' is not UTF-8 text"))
            })?;
            if !taken {
                let value = if info.multipart_form_fields_as_json {
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                } else {
                    Value::String(text)
                };
                document.insert(name, value);
            }
            continue;
        }
        if !info.media.is_field(&name) {
            // A file for a field that is not a media field: what Cerberus says of a
            // value of the wrong type (or of a field the schema does not have).
            let issue = match info.fields.iter().find(|f| f.name == name) {
                Some(field) => format!("must be of {} type", field.kind.name()),
                None => "unknown field".to_string(),
            };
            issues.add(&name, issue);
            continue;
        }
        // Every file of a list of files counts; another field keeps its first.
        if taken && !info.media.is_list(&name) {
            continue;
        }
        let content_type = part
            .content_type()
            .map(|mime| mime.to_string())
            .unwrap_or_default();
        let file_name = part.file_name().unwrap_or_default().to_string();
        let mut spool = Spool::new()?;
        while let Some(chunk) = part.chunk().await.map_err(|e| multipart_error(e, limit))? {
            spool.write(&chunk)?;
            // Each file within `media_max_bytes`, whatever the whole body's cap.
            if spool.length() > info.media.max_bytes as u64 {
                return Err(http::too_large(info.media.max_bytes));
            }
        }
        uploads.push(spool.finish(name, content_type, file_name));
    }
    Ok((document, uploads, issues))
}

fn multipart_error(error: multer::Error, limit: usize) -> ApiError {
    match error {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            http::too_large(limit)
        }
        multer::Error::StreamReadFailed(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "The request body could not be read",
        ),
        other => ApiError::bad_request(format!(
            "The multipart/form-data body is malformed: {other}"
        )),
    }
}
