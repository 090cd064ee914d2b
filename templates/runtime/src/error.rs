//! The one error type of the server and Eve's error envelope.
//!
//! Every failure a client can cause answers in the same shape Eve uses:
//! `{"_status": "ERR", "_error": {"code": 404, "message": "..."}}`, plus `_issues`
//! (validation) or `_items` (bulk insert) where they apply. Nothing a client sends can
//! turn into a panic or a bare 500: database failures are logged and answered as 500
//! without internal detail.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::validate::Issues;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub issues: Option<Issues>,
    pub items: Option<Vec<serde_json::Value>>,
    /// An internal error's detail: logged with its request (`log`), never sent.
    pub detail: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            issues: None,
            items: None,
            detail: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
        )
    }

    pub fn method_not_allowed() -> Self {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "The method is not allowed for the requested URL.",
        )
    }

    pub fn precondition_required() -> Self {
        ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "To edit a document its etag must be provided using the If-Match header",
        )
    }

    pub fn precondition_failed() -> Self {
        ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "Client and server etags don't match",
        )
    }

    /// 501 for a custom endpoint whose method the service's `src/endpoints.rs` has not
    /// written yet: what the generated trait's default method answers.
    pub fn not_implemented(endpoint: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            format!(
                "The endpoint '{endpoint}' is not implemented yet: write it in src/endpoints.rs"
            ),
        )
    }

    /// 422 for one document with `_issues`.
    pub fn invalid(issues: Issues, verb: &str) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!("{verb} failure: 1 document(s) contain(s) error(s)"),
            issues: Some(issues),
            items: None,
            detail: None,
        }
    }

    /// 422 for a bulk insert: one `_status`/`_issues` entry per submitted document.
    pub fn invalid_bulk(items: Vec<serde_json::Value>, failed: usize) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!("Insertion failure: {failed} document(s) contain(s) error(s)"),
            issues: None,
            items: Some(items),
            detail: None,
        }
    }

    /// The store is busy (another process holds the write lock past the timeout):
    /// 503, for the client to retry.
    /// The client did not send its whole body in time (`serve --body-read-timeout`).
    pub fn body_timeout(limit: std::time::Duration) -> Self {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "The request body did not arrive within {} seconds",
                limit.as_secs()
            ),
        )
    }

    /// A read that ran out of its time budget (`serve --query-timeout`).
    pub fn query_timeout() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The query took longer than the server allows; narrow the filter (a $regex \
             or a condition inside dicts and lists reads every document) and retry.",
        )
    }

    pub fn busy() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The database is busy; retry the request.",
        )
    }

    /// A database failure: answered without its detail, which is logged with the
    /// request it belongs to (`log`).
    pub fn internal(error: impl std::fmt::Display) -> Self {
        ApiError {
            detail: Some(error.to_string()),
            ..ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server encountered an internal error and was unable to complete your request.",
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::Map::new();
        body.insert("_status".into(), "ERR".into());
        body.insert(
            "_error".into(),
            serde_json::json!({"code": self.status.as_u16(), "message": self.message}),
        );
        if let Some(issues) = self.issues {
            body.insert("_issues".into(), issues.to_json());
        }
        if let Some(items) = self.items {
            body.insert("_items".into(), serde_json::Value::Array(items));
        }
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, bytes).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(detail) = self.detail {
            response
                .extensions_mut()
                .insert(crate::log::InternalError(detail));
        }
        if self.status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body may still come, or never: the connection ends here.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
