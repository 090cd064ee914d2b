//! Rendering a response the way the client asked: `?pretty`, JSONP, XML.
//!
//! Handlers always write compact JSON. When a request asks for something else, the
//! `layers` module collects the JSON body once and rewrites it here; a request that
//! asks for nothing else never reaches this code, so the JSON path costs what it did.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Whether a query string has `name` as an argument (`?pretty`, `?pretty=1`).
pub fn has_arg(query: Option<&str>, name: &str) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some(name))
    })
}

/// The value of the query argument `name`, decoded.
pub fn arg(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The method named by `X-HTTP-Method-Override` (case-insensitive, as Eve upper-cases
/// it). HEAD and OPTIONS cannot be asked for this way: their answers differ in framing.
pub fn override_method(value: &HeaderValue) -> Result<Method, ApiError> {
    let text = value.to_str().unwrap_or("").trim().to_ascii_uppercase();
    match text.as_str() {
        "GET" => Ok(Method::GET),
        "POST" => Ok(Method::POST),
        "PUT" => Ok(Method::PUT),
        "PATCH" => Ok(Method::PATCH),
        "DELETE" => Ok(Method::DELETE),
        _ => Err(ApiError::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "X-HTTP-Method-Override names an unsupported method '{}': use GET, POST, PUT, PATCH or DELETE",
                text.chars().take(32).collect::<String>()
            ),
        )),
    }
}

/// A JSONP callback: a JavaScript name path (`cb`, `jQuery123_4`, `app.handle`), so the
/// response can never carry script a client did not name.
pub fn check_callback(name: &str) -> Result<(), ApiError> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name.split('.').all(|part| {
            part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        });
    if valid {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "Invalid JSONP callback: use letters, digits, `_`, `$` and `.` only",
        ))
    }
}

/// How much the client prefers each of `mimes` in its `Accept` header: the quality of
/// the most specific matching range (exact, then `type/*`, then `*/*`), or 0.
pub fn quality(accept: &str, mimes: &[&str]) -> f32 {
    let mut best = 0.0f32;
    for mime in mimes {
        let (kind, _) = mime.split_once('/').unwrap_or((mime, ""));
        // (specificity, quality) of the best range matching this mime.
        let mut found: Option<(u8, f32)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            let specificity = if media == *mime {
                3
            } else if media.strip_suffix("/*") == Some(kind) {
                2
            } else if media == "*/*" {
                1
            } else {
                continue;
            };
            if found.is_none_or(|(s, _)| specificity > s) {
                found = Some((specificity, q));
            }
        }
        if let Some((_, q)) = found {
            best = best.max(q);
        }
    }
    best
}

/// The JSON mime Eve serves.
pub const JSON: &[&str] = &["application/json"];
/// The XML mimes Eve serves.
pub const XML: &[&str] = &["application/xml", "text/xml", "application/x-xml"];

/// Whether the client prefers XML over JSON. Ties go to JSON, the first renderer, as
/// they do in Eve; `json` is false when the spec turned JSON off.
pub fn prefers_xml(headers: &HeaderMap, json: bool) -> bool {
    if !json {
        return true;
    }
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if !accept.contains("xml") {
        return false;
    }
    let xml = quality(accept, XML);
    xml > 0.0 && xml > quality(accept, JSON)
}

/// What a response is turned into.
pub enum Output {
    /// Indented JSON (`?pretty`), four spaces as Eve's `json.dumps(indent=4)`.
    Pretty,
    /// `callback(<json>)`, as `application/javascript` (the JSON indented with
    /// `pretty`).
    Jsonp { callback: String, pretty: bool },
    /// Eve's XML, from the `xml` module.
    Xml(fn(&[u8]) -> Vec<u8>),
}

/// Rewrite a JSON response's body as `output` asks; other responses (no body, 304,
/// not JSON) pass as they are. `head` drops the body but keeps its length, as a HEAD
/// answer does.
pub async fn rewrite(response: Response, output: Output, head: bool) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "The response could not be rendered",
        )
        .into_response();
    };
    let (body, content_type) = match output {
        Output::Pretty => (pretty(&bytes), "application/json"),
        Output::Jsonp {
            callback,
            pretty: indent,
        } => {
            let mut out = Vec::with_capacity(bytes.len() + callback.len() + 2);
            out.extend_from_slice(callback.as_bytes());
            out.push(b'(');
            if indent {
                out.extend_from_slice(&pretty(&bytes));
            } else {
                out.extend_from_slice(&bytes);
            }
            out.push(b')');
            (out, "application/javascript")
        }
        Output::Xml(render) => (render(&bytes), "application/xml; charset=utf-8"),
    };
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    if head {
        Response::from_parts(parts, Body::empty())
    } else {
        Response::from_parts(parts, Body::from(body))
    }
}

/// Indent compact JSON by four spaces a level, as Python's `json.dumps(indent=4)`
/// does (`"key": value`, empty `{}` and `[]` on one line), keeping the key order.
pub fn pretty(json: &[u8]) -> Vec<u8> {
    fn newline(out: &mut Vec<u8>, depth: usize) {
        out.push(b'\n');
        out.resize(out.len() + depth * 4, b' ');
    }
    let mut out = Vec::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let mut i = 0;
    while i < json.len() {
        let b = json[i];
        i += 1;
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                out.push(b);
            }
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                let mut j = i;
                while json.get(j).is_some_and(u8::is_ascii_whitespace) {
                    j += 1;
                }
                out.push(b);
                if json.get(j) == Some(&close) {
                    out.push(close);
                    i = j + 1;
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(b);
            }
            b',' => {
                out.push(b);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_indents_like_python() {
        let text = pretty(br#"{"a":[1,{"b":"x,:{"}],"c":{},"d":[]}"#);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "{\n    \"a\": [\n        1,\n        {\n            \"b\": \"x,:{\"\n        }\n    ],\n    \"c\": {},\n    \"d\": []\n}"
        );
    }

    #[test]
    fn accept_quality_prefers_the_most_specific_range() {
        assert_eq!(quality("application/xml", XML), 1.0);
        assert_eq!(quality("application/xml;q=0.5, */*", JSON), 1.0);
        assert_eq!(quality("application/*;q=0.2, */*;q=0.9", JSON), 0.2);
        assert_eq!(quality("text/html", JSON), 0.0);
    }

    #[test]
    fn callbacks_are_names_only() {
        assert!(check_callback("jQuery_12.done").is_ok());
        for bad in ["", "alert(1)", "a b", "1a", "a..b", "x;y"] {
            assert!(check_callback(bad).is_err(), "{bad}");
        }
    }
}
