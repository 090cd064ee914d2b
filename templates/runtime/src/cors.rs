//! Cross-Origin Resource Sharing, as Eve's `X_DOMAINS`, `X_DOMAINS_RE`, `X_HEADERS`,
//! `X_EXPOSE_HEADERS`, `X_ALLOW_CREDENTIALS` and `X_MAX_AGE` configure it.
//!
//! A request with an `Origin` the spec allows (listed exactly, matched by a regex from
//! its start, or any with `*`) gets `Access-Control-Allow-Origin` naming it, plus the
//! other `Access-Control-*` headers; any other origin gets none of them. Every answer
//! carries `Vary: Origin`, since it depends on it. A preflight `OPTIONS` on any route
//! answers 200 with the route's methods in `Allow` and `Access-Control-Allow-Methods`.

use std::sync::OnceLock;

use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;

/// The spec's CORS settings.
pub struct Cors {
    /// Origins allowed exactly.
    pub domains: &'static [&'static str],
    /// `x_domains` holds `*`.
    pub any_domain: bool,
    /// Patterns, already anchored at the start (`^(?:...)`).
    pub domains_re: &'static [&'static str],
    /// `Access-Control-Allow-Headers` (empty: sent empty, as Eve does).
    pub headers: &'static str,
    /// `Access-Control-Expose-Headers` (empty: sent empty, as Eve does).
    pub expose_headers: &'static str,
    pub allow_credentials: bool,
    /// `Access-Control-Max-Age`, seconds.
    pub max_age: u64,
    /// `domains_re` compiled, on first use: write `OnceLock::new()`.
    pub compiled: OnceLock<Vec<regex::Regex>>,
}

impl Cors {
    /// Whether `origin` may read the answers.
    pub fn allows(&self, origin: &str) -> bool {
        self.any_domain
            || self.domains.contains(&origin)
            || self
                .compiled
                .get_or_init(|| {
                    // apigen compiled each pattern already; one that fails allows nothing.
                    self.domains_re
                        .iter()
                        .filter_map(|p| regex::Regex::new(p).ok())
                        .collect()
                })
                .iter()
                .any(|re| re.is_match(origin))
    }

    /// Whether an `Origin` header names an allowed origin.
    pub fn allows_header(&self, origin: &HeaderValue) -> bool {
        origin.to_str().is_ok_and(|o| self.allows(o))
    }

    /// Add the CORS headers to `response` for a request from `origin` (if any), with
    /// `methods` (the URL's, for an allowed origin) in `Access-Control-Allow-Methods`.
    /// A preflight (`OPTIONS` that the routes answered 405: the path exists) becomes
    /// 200 with an empty body.
    pub fn apply(
        &self,
        method: &Method,
        origin: Option<&HeaderValue>,
        methods: Option<HeaderValue>,
        response: &mut Response,
    ) {
        let preflight =
            method == Method::OPTIONS && response.status() == StatusCode::METHOD_NOT_ALLOWED;
        let headers = response.headers_mut();
        let mut allow = None;
        if preflight {
            let methods = headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .map(|v| format!("{v},OPTIONS"))
                .unwrap_or_else(|| "OPTIONS".to_string());
            allow = HeaderValue::try_from(methods).ok();
        }
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        let origin = origin.filter(|o| self.allows_header(o));
        if preflight {
            *response.status_mut() = StatusCode::OK;
            *response.body_mut() = axum::body::Body::empty();
            let headers = response.headers_mut();
            headers.remove(header::CONTENT_TYPE);
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
            if let Some(allow) = &allow {
                headers.insert(header::ALLOW, allow.clone());
                if origin.is_some() {
                    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, allow.clone());
                }
            }
        }
        if let Some(origin) = origin {
            add(response.headers_mut(), self, origin);
            if let Some(methods) = methods {
                response
                    .headers_mut()
                    .insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
            }
        }
    }
}

fn add(headers: &mut HeaderMap, cors: &Cors, origin: &HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    // Eve sends both on every answer to an allowed origin, empty when unset.
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(cors.headers),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(cors.expose_headers),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(cors.max_age),
    );
    if cors.allow_credentials {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}
