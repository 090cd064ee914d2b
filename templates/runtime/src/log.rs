//! Request logging through `tracing`, as Eve's enhanced logging records each event
//! with the client's address, the full URL and the method.
//!
//! - At `info`, every request is one event: client address, method, URL (path and
//!   query), status and duration.
//! - At `error` (so at every level but `off`), a database error is one event with the
//!   request it belongs to, instead of a bare line on stderr: [`ApiError::internal`]
//!   hands its detail to the answer (never to the client), and the layer that
//!   answered the request logs it with the request's method and URL.
//!
//! `serve --log-level` picks the level (else `RUST_LOG` when it is a plain level, else
//! `warn`, Python logging's default that Eve keeps). When a level filters events out,
//! what they would need is not taken: below `error` nothing at all; at `warn` and
//! `error` (the default) the request's method and URI are kept until it is answered
//! (a copy of an enum and a reference count); at `info` also a clock read and the
//! event itself.
//!
//! [`ApiError::internal`]: crate::error::ApiError::internal

use std::net::SocketAddr;
use std::time::Instant;

use axum::http::{Method, Request, Uri};
use axum::response::Response;
use tracing::Level;

/// The levels `serve --log-level` takes, lowest first.
pub const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// The level `serve` logs at when given none: `RUST_LOG` when it names a plain level,
/// else `warn`.
pub fn default_level() -> tracing::level_filters::LevelFilter {
    std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| parse_level(&text))
        .unwrap_or(tracing::level_filters::LevelFilter::WARN)
}

/// A level's name (`info`, any case), or `None`.
pub fn parse_level(text: &str) -> Option<tracing::level_filters::LevelFilter> {
    let text = text.trim().to_ascii_lowercase();
    if !LEVELS.contains(&text.as_str()) {
        return None;
    }
    text.parse().ok()
}

/// Log to stderr at `level` for the rest of the process: `serve` calls it once. A
/// program embedding the server installs its own `tracing` subscriber instead; without
/// one, nothing is logged and nothing is taken for the log.
pub fn init(level: tracing::level_filters::LevelFilter) {
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// A database error's detail, carried by its answer from `ApiError::internal` to the
/// layer that logs it with its request; removed there, never sent.
#[derive(Clone, Debug)]
pub struct InternalError(pub String);

/// What a request's log events need, taken before the routes consume the request.
pub struct RequestLog {
    method: Method,
    uri: Uri,
    client: Option<SocketAddr>,
    /// When it started; `None` when request events are filtered out.
    start: Option<Instant>,
}

impl RequestLog {
    /// `None` when nothing about this request could be logged.
    #[inline]
    pub fn begin<B>(request: &Request<B>, client: Option<SocketAddr>) -> Option<RequestLog> {
        if !tracing::enabled!(Level::ERROR) {
            return None;
        }
        Some(RequestLog {
            method: request.method().clone(),
            uri: request.uri().clone(),
            client,
            start: tracing::enabled!(Level::INFO).then(Instant::now),
        })
    }

    /// Log the answer (and the database error behind it, if any).
    pub fn end(self, response: &mut Response) {
        let client = self.client.map(tracing::field::display);
        let url = self.uri.path_and_query().map_or("/", |p| p.as_str());
        if let Some(InternalError(detail)) = response.extensions_mut().remove::<InternalError>() {
            tracing::error!(client, method = %self.method, url, error = %detail, "database error");
        }
        if let Some(start) = self.start {
            let status = response.status().as_u16();
            let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
            tracing::info!(client, method = %self.method, url, status, micros, "request");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::level_filters::LevelFilter;

    #[test]
    fn levels_are_read_by_name_in_any_case() {
        assert_eq!(parse_level("info"), Some(LevelFilter::INFO));
        assert_eq!(parse_level(" WARN "), Some(LevelFilter::WARN));
        assert_eq!(parse_level("off"), Some(LevelFilter::OFF));
        assert_eq!(parse_level("trace"), Some(LevelFilter::TRACE));
        // Directives (`people_api=debug`) and numbers are not levels.
        assert_eq!(parse_level("people_api=debug"), None);
        assert_eq!(parse_level("3"), None);
        assert_eq!(parse_level(""), None);
    }

    #[test]
    fn nothing_is_taken_without_a_subscriber() {
        let request = Request::get("/api/v1/people?where={}").body(()).unwrap();
        assert!(RequestLog::begin(&request, None).is_none());
    }
}
