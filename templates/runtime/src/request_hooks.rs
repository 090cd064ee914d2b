//! Eve's request hooks, `on_pre_<METHOD>` and `on_post_<METHOD>` (API-wide and per
//! resource), run around a resource's routes.
//!
//! A generated resource module holds a `REQUEST_HOOKS` table of the hooks its spec
//! names (`[api] hooks` first, then the resource's own, as Eve calls them), and the
//! router puts [`run`] in front of that resource's routes only: a resource whose spec
//! names no request hook has no such layer, and its requests do no hook work at all.
//!
//! A pre hook is given the request (method, path, query, headers) and may refuse it
//! with an `ApiError`, answered in Eve's envelope before anything is read or written.
//! A post hook is given the request, the status and the response payload as JSON
//! (`null` for an empty body, as a 204 has); the answer is sent as it was.

use axum::body::Body;
use axum::extract::State;
pub use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::ApiError;

/// The request as a hook sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method: `GET` for a HEAD (Eve runs GET's hooks for it).
    pub method: &'a Method,
    /// The path, as sent (percent-encoded).
    pub path: &'a str,
    /// The query string, as sent, without `?`.
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
}

/// A pre hook: the resource's name and the request; `Err` refuses it.
pub type Pre = fn(&str, &Request<'_>) -> Result<(), ApiError>;
/// A post hook: the resource's name, the request, the status and the payload.
pub type Post = fn(&str, &Request<'_>, StatusCode, &Value);

/// The hooks of one method, in the order they run.
#[derive(Debug, Clone, Copy)]
pub struct MethodHooks {
    pub pre: &'static [Pre],
    pub post: &'static [Post],
}

impl MethodHooks {
    pub const NONE: MethodHooks = MethodHooks {
        pre: &[],
        post: &[],
    };

    fn is_empty(&self) -> bool {
        self.pre.is_empty() && self.post.is_empty()
    }
}

/// A resource's request hooks, by method.
#[derive(Debug)]
pub struct RequestHooks {
    /// The resource's name, given to API-wide hooks.
    pub resource: &'static str,
    pub get: MethodHooks,
    pub post: MethodHooks,
    pub put: MethodHooks,
    pub patch: MethodHooks,
    pub delete: MethodHooks,
}

impl RequestHooks {
    /// No hooks; a resource's table names only the methods it hooks.
    pub const NONE: RequestHooks = RequestHooks {
        resource: "",
        get: MethodHooks::NONE,
        post: MethodHooks::NONE,
        put: MethodHooks::NONE,
        patch: MethodHooks::NONE,
        delete: MethodHooks::NONE,
    };

    fn for_method(&self, method: &Method) -> &MethodHooks {
        match *method {
            Method::GET | Method::HEAD => &self.get,
            Method::POST => &self.post,
            Method::PUT => &self.put,
            Method::PATCH => &self.patch,
            Method::DELETE => &self.delete,
            _ => &MethodHooks::NONE,
        }
    }
}

/// The layer in front of a hooked resource's routes (`axum::middleware::from_fn_with_state`).
pub async fn run(
    State(hooks): State<&'static RequestHooks>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    let hooked = hooks.for_method(request.method());
    if hooked.is_empty() {
        return next.run(request).await;
    }
    let method = if request.method() == Method::HEAD {
        Method::GET
    } else {
        request.method().clone()
    };
    let view = Request {
        method: &method,
        path: request.uri().path(),
        query: request.uri().query(),
        headers: request.headers(),
    };
    for pre in hooked.pre {
        if let Err(error) = pre(hooks.resource, &view) {
            return error.into_response();
        }
    }
    if hooked.post.is_empty() {
        return next.run(request).await;
    }
    // The routes take the request: keep what the post hooks are shown of it.
    let (uri, headers) = (request.uri().clone(), request.headers().clone());
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    // Answers are in memory already: this waits for nothing.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::internal("a response body could not be read for on_post hooks")
            .into_response();
    };
    let payload = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let request = Request {
        method: &method,
        path: uri.path(),
        query: uri.query(),
        headers: &headers,
    };
    for post in hooked.post {
        post(hooks.resource, &request, parts.status, &payload);
    }
    Response::from_parts(parts, Body::from(bytes))
}
