//! One error type for every call: Eve's envelope (`_status`, `_error`, `_issues`)
//! read into fields, never a bare status code.

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

/// What the server said when it refused a request (Eve's error envelope).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// `_error.message`, or the status's reason when the body has none.
    pub message: String,
    /// `_issues`: field (or parameter) name to what is wrong with it (a string, or a
    /// nested map for dicts and lists).
    pub issues: Map<String, Value>,
    /// `_items` of a refused bulk insert: one `{"_status": ..., "_issues": ...}` per
    /// document sent.
    pub items: Vec<Value>,
    /// The whole body as JSON (`Null` when it was not JSON).
    pub body: Value,
}

impl ApiError {
    /// Reads Eve's envelope from a refused request's body.
    pub fn from_body(status: u16, body: &[u8]) -> ApiError {
        let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let message = json
            .pointer("/_error/message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(body);
                if text.trim().is_empty() {
                    format!("HTTP {status}")
                } else {
                    text.trim().chars().take(500).collect()
                }
            });
        let issues = json
            .get("_issues")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let items = json
            .get("_items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        ApiError {
            status,
            message,
            issues,
            items,
            body: json,
        }
    }

    /// What is wrong with `field` (`_issues[field]`), as text when it is text.
    pub fn issue(&self, field: &str) -> Option<&str> {
        self.issues.get(field).and_then(Value::as_str)
    }
}

/// Every way a call can fail.
#[derive(Debug)]
pub enum Error {
    /// 412 Precondition Failed: the document changed since it was read (its `_etag`
    /// is stale). Fetch it again, apply the change again, and send it with the new
    /// ETag.
    Conflict(Box<ApiError>),
    /// 429 Too Many Requests (a quota or a rate limit), with `Retry-After` when the
    /// server sent one. `ClientBuilder::retry` retries these by itself.
    RateLimited {
        retry_after: Option<Duration>,
        error: Box<ApiError>,
    },
    /// Any other refusal: 4xx or 5xx, with Eve's `_error` and `_issues`.
    Api(Box<ApiError>),
    /// The request did not reach the server, or its answer did not arrive whole.
    Transport(reqwest::Error),
    /// The answer arrived but is not what the operation returns.
    Decode { message: String, body: String },
    /// A live stream ended with the server's `event: error` (the server cut the
    /// subscription off, e.g. a consumer too slow): it is not resumed.
    Stream(Value),
    /// The request could not be built (a bad base URL, a value that is not JSON).
    Invalid(String),
}

impl Error {
    /// The HTTP status when the server answered.
    pub fn status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }

    /// Eve's error envelope when the server answered.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Conflict(e) | Error::Api(e) | Error::RateLimited { error: e, .. } => Some(e),
            _ => None,
        }
    }

    /// `_issues` of a 422 (empty for other errors).
    pub fn issues(&self) -> Option<&Map<String, Value>> {
        self.api().map(|e| &e.issues)
    }

    /// Whether this is a 412: the caller refetches and tries again.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict(_))
    }

    /// The error for a refused request.
    pub fn from_response(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Error {
        let error = Box::new(ApiError::from_body(status, body));
        match status {
            412 => Error::Conflict(error),
            429 => Error::RateLimited { retry_after, error },
            _ => Error::Api(error),
        }
    }

    pub(crate) fn decode(error: serde_json::Error, body: &[u8]) -> Error {
        Error::Decode {
            message: error.to_string(),
            body: String::from_utf8_lossy(&body[..body.len().min(2000)]).into_owned(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Conflict(e) => write!(f, "412 conflict: {}", e.message),
            Error::RateLimited { retry_after, error } => match retry_after {
                Some(after) => write!(
                    f,
                    "429 {} (retry after {} s)",
                    error.message,
                    after.as_secs()
                ),
                None => write!(f, "429 {}", error.message),
            },
            Error::Api(e) => {
                write!(f, "{} {}", e.status, e.message)?;
                if !e.issues.is_empty() {
                    write!(f, " {}", Value::Object(e.issues.clone()))?;
                }
                Ok(())
            }
            Error::Transport(e) => write!(f, "transport: {e}"),
            Error::Decode { message, body } => write!(f, "unexpected answer ({message}): {body}"),
            Error::Stream(v) => write!(f, "the server ended the stream: {v}"),
            Error::Invalid(m) => write!(f, "invalid request: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport(e) => Some(e),
            _ => None,
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(error: reqwest::Error) -> Error {
        Error::Transport(error)
    }
}

/// The result of every call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eve_envelopes_become_typed_errors() {
        let body = br#"{"_status":"ERR","_error":{"code":422,"message":"Insertion failure"},"_issues":{"title":"required field"}}"#;
        let error = Error::from_response(422, None, body);
        assert_eq!(error.status(), Some(422));
        assert_eq!(error.api().unwrap().issue("title"), Some("required field"));
        assert!(Error::from_response(412, None, b"{}").is_conflict());
        match Error::from_response(429, Some(Duration::from_secs(3)), b"") {
            Error::RateLimited { retry_after, error } => {
                assert_eq!(retry_after, Some(Duration::from_secs(3)));
                assert_eq!(error.message, "HTTP 429");
            }
            other => panic!("{other:?}"),
        }
    }
}
