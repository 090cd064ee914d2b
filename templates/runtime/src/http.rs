//! Reading requests and writing responses the way Eve does.
//!
//! Bodies are read here with a size cap, their content type checked and their JSON
//! parsed, so every handler gets either a JSON value or a 4xx in Eve's envelope.
//! Conditional requests (`If-Match`, `If-None-Match`, `If-Modified-Since`) and the
//! collection query string (`where`, `sort`, `max_results`, `page`) are parsed here too.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::resource::ResourceInfo;
use crate::{date, etag};

/// The media type of a request body (`Content-Type` without its parameters), in
/// lower case; empty when there is none.
pub fn body_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether a body of media type `mime` is JSON (Eve's `JSON_REQUEST_CONTENT_TYPES`,
/// and any `+json` type).
pub fn is_json(mime: &str) -> bool {
    mime == "application/json" || mime.ends_with("+json")
}

/// Eve's 400 for a body that is neither JSON nor a form.
pub fn unknown_body_type() -> ApiError {
    ApiError::bad_request(
        "Unknown or no Content-Type header supplied: send JSON ('Content-Type: \
         application/json'), application/x-www-form-urlencoded or multipart/form-data",
    )
}

/// Read a JSON request body (see [`read_body`]); another content type is 400.
pub async fn read_json(
    headers: &HeaderMap,
    body: Body,
    settings: &crate::state::Settings,
) -> Result<serde_json::Value, ApiError> {
    if !is_json(&body_type(headers)) {
        return Err(unknown_body_type());
    }
    parse_json(headers, body, settings).await
}

/// Read a body already known to be JSON and parse it.
pub async fn parse_json(
    headers: &HeaderMap,
    body: Body,
    settings: &crate::state::Settings,
) -> Result<serde_json::Value, ApiError> {
    let bytes = read_body(headers, body, settings).await?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "The request body is empty: send a JSON document",
        ));
    }
    serde_json::from_slice(&bytes).map_err(|error| {
        ApiError::bad_request(format!("The request body is not valid JSON: {error}"))
    })
}

/// Read a request body of at most `settings.max_body_bytes` bytes, arriving within
/// `settings.body_read_timeout`: a client that declares a body and sends it slowly,
/// or never, gets a 408 and loses the connection instead of holding it.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    settings: &crate::state::Settings,
) -> Result<axum::body::Bytes, ApiError> {
    let limit = settings.max_body_bytes;
    check_declared_length(headers, limit)?;
    let read = axum::body::to_bytes(body, limit);
    match tokio::time::timeout(settings.body_read_timeout, read).await {
        Err(_) => Err(ApiError::body_timeout(settings.body_read_timeout)),
        Ok(read) => read.map_err(|_| too_large(limit)),
    }
}

/// 413 before reading when the body declares more than `limit` bytes.
pub fn check_declared_length(headers: &HeaderMap, limit: usize) -> Result<(), ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large(limit));
    }
    Ok(())
}

/// 413 for a body over `limit` bytes.
pub fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("The request body is larger than the limit of {limit} bytes"),
    )
}

/// `If-Match` on writes: required (428 when missing), must name the current tag (412).
pub fn check_if_match(headers: &HeaderMap, current: &str) -> Result<(), ApiError> {
    match if_match(headers)? {
        None => Err(ApiError::precondition_required()),
        Some(value) if etag::header_matches_strong(value, current) => Ok(()),
        Some(_) => Err(ApiError::precondition_failed()),
    }
}

/// The `If-Match` header's text, checked to be present before any database work.
pub fn if_match(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    match headers.get(header::IF_MATCH) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map(Some)
            .map_err(|_| ApiError::bad_request("The If-Match header is not valid text")),
    }
}

/// Whether a GET may answer 304: `If-None-Match` names the tag, or (without it)
/// `If-Modified-Since` is not older than the last change.
pub fn not_modified(headers: &HeaderMap, current_etag: &str, updated: i64) -> bool {
    if let Some(value) = headers.get(header::IF_NONE_MATCH) {
        return none_match(value, current_etag);
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(date::parse_http_date)
        .is_some_and(|since| updated <= since)
}

/// Whether an `If-None-Match` value names `etag` (weakly, as RFC 9110 compares it).
pub fn none_match(value: &HeaderValue, etag: &str) -> bool {
    value.to_str().is_ok_and(|v| etag::header_matches(v, etag))
}

/// A request's `If-None-Match`: the one conditional header a collection page answers
/// (see `handlers::get_collection`). Taken alone, so the page handler does not copy
/// every header of the request.
pub struct IfNoneMatch(pub Option<HeaderValue>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for IfNoneMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(IfNoneMatch(
            parts.headers.get(header::IF_NONE_MATCH).cloned(),
        ))
    }
}

/// Eve's count of the documents a collection GET matched, on every page.
pub const X_TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");

/// A JSON response with its validators.
pub fn json_response(
    status: StatusCode,
    body: Vec<u8>,
    etag: Option<&str>,
    updated: Option<i64>,
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    add_validators(headers, etag, updated);
    response
}

/// 304 Not Modified, with the validators and no body.
pub fn not_modified_response(etag: &str, updated: Option<i64>) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    add_validators(response.headers_mut(), Some(etag), updated);
    response
}

/// A resource's GET answer (200 or 304) with Eve's `cache_control` and
/// `cache_expires` directives, when its spec sets them.
pub fn cached(info: &ResourceInfo, mut response: Response) -> Response {
    if !info.cache_control.is_empty() {
        if let Ok(value) = HeaderValue::from_str(info.cache_control) {
            response.headers_mut().insert(header::CACHE_CONTROL, value);
        }
    }
    if info.cache_expires > 0 {
        let seconds = i64::try_from(info.cache_expires).unwrap_or(i64::MAX);
        if let Ok(value) =
            HeaderValue::from_bytes(&date::rfc1123(date::now().saturating_add(seconds)))
        {
            response.headers_mut().insert(header::EXPIRES, value);
        }
    }
    response
}

fn add_validators(headers: &mut HeaderMap, etag: Option<&str>, updated: Option<i64>) {
    if let Some(tag) = etag {
        let mut quoted = Vec::with_capacity(tag.len() + 2);
        quoted.push(b'"');
        quoted.extend_from_slice(tag.as_bytes());
        quoted.push(b'"');
        if let Ok(value) = HeaderValue::from_bytes(&quoted) {
            headers.insert(header::ETAG, value);
        }
    }
    if let Some(seconds) = updated {
        if let Ok(value) = HeaderValue::from_bytes(&date::rfc1123(seconds)) {
            headers.insert(header::LAST_MODIFIED, value);
        }
    }
}

/// The query string of a collection GET.
#[derive(Debug, Default)]
pub struct ListParams {
    pub filter: Option<String>,
    pub sort: Option<String>,
    pub max_results: u32,
    pub page: u32,
    /// Whether the client set `max_results` (it then appears in paging links).
    pub max_results_given: bool,
    /// `projection`, checked by `options::Projection`; kept in paging links, as Eve keeps it.
    pub projection: Option<String>,
    /// `embedded`, kept so paging links embed what this page does.
    pub embedded: Option<String>,
}

impl ListParams {
    /// Parse `where`, `sort`, `max_results` (capped at `limit`) and `page`; other
    /// parameters are ignored, as Eve ignores them.
    pub fn parse(query: Option<&str>, default: u32, limit: u32) -> Result<ListParams, ApiError> {
        let mut params = ListParams {
            max_results: default,
            page: 1,
            ..ListParams::default()
        };
        for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match key.as_ref() {
                // An empty `where=` or `sort=` means none (and stays out of links).
                "where" if !value.trim().is_empty() => params.filter = Some(value.into_owned()),
                "sort" if !value.trim().is_empty() => params.sort = Some(value.into_owned()),
                "projection" if !value.trim().is_empty() => {
                    params.projection = Some(value.into_owned())
                }
                "embedded" if !value.trim().is_empty() => {
                    params.embedded = Some(value.into_owned())
                }
                "max_results" => {
                    let n = value.trim().parse::<i64>().map_err(|_| {
                        ApiError::bad_request(format!(
                            "Invalid max_results '{value}': expected a positive integer"
                        ))
                    })?;
                    if n < 1 {
                        return Err(ApiError::bad_request(
                            "Invalid max_results: expected a positive integer",
                        ));
                    }
                    params.max_results = n.min(i64::from(limit)) as u32;
                    params.max_results_given = true;
                }
                "page" => {
                    let n = value.trim().parse::<i64>().map_err(|_| {
                        ApiError::bad_request(format!(
                            "Invalid page '{value}': expected a positive integer"
                        ))
                    })?;
                    if !(1..=i64::from(u32::MAX)).contains(&n) {
                        return Err(ApiError::bad_request(
                            "Invalid page: expected a positive integer",
                        ));
                    }
                    params.page = n as u32;
                }
                _ => {}
            }
        }
        Ok(params)
    }

    /// The query string that reproduces these parameters at another page, for links.
    pub fn link_query(&self, page: u32) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(filter) = &self.filter {
            query.append_pair("where", filter);
        }
        if let Some(sort) = &self.sort {
            query.append_pair("sort", sort);
        }
        if let Some(projection) = &self.projection {
            query.append_pair("projection", projection);
        }
        if let Some(embedded) = &self.embedded {
            query.append_pair("embedded", embedded);
        }
        if self.max_results_given {
            query.append_pair("max_results", &self.max_results.to_string());
        }
        query.append_pair("page", &page.to_string());
        query.finish()
    }
}

/// Append `"key":{"title":<title>,"href":<href>}` (JSON-escaped) to `out`.
pub fn write_link(out: &mut Vec<u8>, key: &str, title: &str, href: &str) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":{\"title\":");
    write_json_str(out, title);
    out.extend_from_slice(b",\"href\":");
    write_json_str(out, href);
    out.push(b'}');
}

/// Append `"key":{"title":<title>,"href":"<url>/<id>"}`: a document's own link.
pub fn write_item_link(out: &mut Vec<u8>, key: &str, title: &str, url: &str, id: &str) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":{\"title\":");
    write_json_str(out, title);
    out.extend_from_slice(b",\"href\":\"");
    // Escaping works character by character: `url/id` escaped is each part escaped.
    write_json_str_content(out, url);
    out.push(b'/');
    write_json_str_content(out, id);
    out.extend_from_slice(b"\"}");
}

/// Append a JSON string literal, escaped as serde_json escapes it.
#[inline]
pub fn write_json_str(out: &mut Vec<u8>, text: &str) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    write_json_str_content(out, text);
    out.push(b'"');
}

/// Which bytes JSON strings must escape: the control characters, `"` and `\\`.
const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Append `text` escaped for the inside of a JSON string literal. Almost every text
/// a server writes (ids, tags, names, links) needs no escape: one scan, one copy.
/// The rest is left to serde_json, so both paths write the same bytes.
#[inline]
pub fn write_json_str_content(out: &mut Vec<u8>, text: &str) {
    if !text.bytes().any(|b| ESCAPED[usize::from(b)]) {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    let mark = out.len();
    // Writing a &str to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
    // Drop serde's quotes: the closing one, then the opening one.
    out.pop();
    out.remove(mark);
}
