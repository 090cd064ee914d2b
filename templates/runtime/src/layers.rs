//! The HTTP layer in front of the routes: what Eve does to every request and answer
//! whatever its resource, as the spec's [`Web`] settings ask:
//!
//! - `X-HTTP-Method-Override: PATCH` on any request runs it as PATCH
//!   (`allow_override_http_method`);
//! - `?pretty` indents JSON answers to GET;
//! - `Accept` preferring XML renders Eve's XML (`renderers`);
//! - `?callback=name` wraps JSON answers as JSONP (`jsonp_argument`);
//! - CORS headers and preflight `OPTIONS` (`x_domains`...);
//! - `X-Content-Type-Options: nosniff` on every answer.
//!
//! It runs before routing, so a method override picks the route. A request that asks
//! for none of these is passed to the routes untouched.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;

use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper::service::Service;
use hyper_util::service::TowerToHyperService;

use crate::cors::Cors;
use crate::render::{self, Output};

type Request = axum::http::Request<Incoming>;
type Routes = TowerToHyperService<Router>;

/// The answer, once its request is logged (when a log level asks for it).
#[inline]
fn logged(mut response: Response, log: Option<crate::log::RequestLog>) -> Response {
    if let Some(log) = log {
        log.end(&mut response);
    }
    response
}

/// Browsers must not guess another type than the one declared: a JSON answer holding
/// a client's `<script>` is never run as HTML.
fn nosniff(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Eve's method override header.
const OVERRIDE: HeaderName = HeaderName::from_static("x-http-method-override");

/// The spec's HTTP-layer settings (`[api]`).
pub struct Web {
    /// `allow_override_http_method`.
    pub method_override: bool,
    /// `renderers` holds `json`: without it every answer is XML.
    pub json: bool,
    /// `renderers` holds `xml`.
    pub xml: bool,
    /// `jsonp_argument`: the query argument naming a JSONP callback.
    pub jsonp_argument: Option<&'static str>,
    /// `x_domains`/`x_domains_re`: CORS, when some origin is allowed.
    pub cors: Option<Cors>,
}

/// The routes behind the HTTP layer: the service each connection is served by.
///
/// A request that asks nothing of the layer (the common case) goes to the routes
/// directly, at the cost of a few header lookups; only the others take `layer`.
#[derive(Clone)]
pub struct App {
    routes: Routes,
    /// The same routes, asked which methods a URL has (CORS); a cheap clone.
    router: Router,
    web: &'static Web,
    /// The connection's client, for the request log (`log`); set per connection.
    client: Option<std::net::SocketAddr>,
    /// Whether each request carries the client (`oplog::ClientAddr`, for the oplog's
    /// `ip`): only when the server records it (`Api::CLIENT_ADDRESS`), as inserting it
    /// costs every request an allocation.
    client_to_requests: bool,
    /// Ends this connection (`live`): set per connection.
    #[cfg(feature = "live")]
    disconnect: Option<crate::live::Disconnect>,
}

/// `routes` behind the HTTP layer `web` describes.
pub fn wrap(routes: Router, web: &'static Web) -> App {
    App {
        routes: TowerToHyperService::new(routes.clone()),
        router: routes,
        web,
        client: None,
        client_to_requests: false,
        #[cfg(feature = "live")]
        disconnect: None,
    }
}

impl App {
    /// This application serving one connection, from `client`; with
    /// `client_to_requests`, each request carries the address (for the oplog's `ip`).
    pub fn for_client(&self, client: std::net::SocketAddr, client_to_requests: bool) -> App {
        App {
            client: Some(client),
            client_to_requests,
            ..self.clone()
        }
    }

    /// This application with `disconnect` in each request, to end its connection.
    #[cfg(feature = "live")]
    pub fn with_disconnect(self, disconnect: crate::live::Disconnect) -> App {
        App {
            disconnect: Some(disconnect),
            ..self
        }
    }
}

impl Service<Request> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, mut request: Request) -> Self::Future {
        let log = crate::log::RequestLog::begin(&request, self.client);
        if let (true, Some(client)) = (self.client_to_requests, self.client) {
            request
                .extensions_mut()
                .insert(crate::oplog::ClientAddr(client));
        }
        #[cfg(feature = "live")]
        if let Some(disconnect) = &self.disconnect {
            request.extensions_mut().insert(disconnect.clone());
        }
        if asks_nothing(self.web, &request) {
            let answer = self.routes.call(request);
            Box::pin(async move { answer.await.map(|r| logged(nosniff(r), log)) })
        } else {
            let answer = layer(self.routes.clone(), self.router.clone(), self.web, request);
            Box::pin(async move { answer.await.map(|r| logged(nosniff(r), log)) })
        }
    }
}

/// Whether the layer has nothing to do for `request`; a cheap, conservative test
/// (a false "no" only costs the slow path, which decides exactly).
fn asks_nothing(web: &Web, request: &Request) -> bool {
    if web.cors.is_some() || !web.json {
        // CORS answers every request (`Vary: Origin`, preflights); without JSON every
        // answer is XML.
        return false;
    }
    let headers = request.headers();
    let query = request.uri().query().unwrap_or("");
    let asks = query.contains("pretty")
        || (web.method_override && headers.contains_key(OVERRIDE))
        || web.jsonp_argument.is_some_and(|arg| query.contains(arg))
        || (web.xml
            && headers
                .get(header::ACCEPT)
                .is_some_and(|accept| accept.as_bytes().windows(3).any(|w| w == b"xml")));
    !asks
}

/// The slow path: what the request asks of the HTTP layer, around the routes.
async fn layer(
    routes: Routes,
    router: Router,
    web: &Web,
    mut request: Request,
) -> Result<Response, Infallible> {
    if web.method_override {
        if let Some(value) = request.headers().get(OVERRIDE) {
            match render::override_method(value) {
                Ok(method) => *request.method_mut() = method,
                Err(error) => return Ok(error.into_response()),
            }
        }
    }
    let method = request.method().clone();
    let query = request.uri().query();
    let read = method == Method::GET || method == Method::HEAD;
    let pretty = read && render::has_arg(query, "pretty");
    let mut output = None;
    if web.xml && render::prefers_xml(request.headers(), web.json) {
        output = Some(Output::Xml(crate::xml::render));
    }
    if let (None, Some(arg)) = (&output, web.jsonp_argument) {
        if let Some(callback) = render::arg(query, arg) {
            if let Err(error) = render::check_callback(&callback) {
                return Ok(error.into_response());
            }
            output = Some(Output::Jsonp { callback, pretty });
        }
    }
    if output.is_none() && pretty {
        output = Some(Output::Pretty);
    }
    let origin = web
        .cors
        .as_ref()
        .and_then(|_| request.headers().get(header::ORIGIN).cloned());
    // Eve names the URL's methods on every answer to an allowed origin, not only on
    // preflights: the routes are asked for them below.
    let methods_of = match (&web.cors, &origin) {
        (Some(cors), Some(origin)) if method != Method::OPTIONS && cors.allows_header(origin) => {
            Some(request.uri().clone())
        }
        _ => None,
    };
    let head = method == Method::HEAD;
    if head && output.is_some() {
        // The routes would drop the body before it is rewritten: ask for it, and drop
        // the rewritten one.
        *request.method_mut() = Method::GET;
    }
    let response = routes.call(request).await?;
    let mut response = match output {
        None => response,
        Some(output) => render::rewrite(response, output, head).await,
    };
    if let Some(cors) = &web.cors {
        let methods = match methods_of {
            Some(uri) => url_methods(router, uri).await,
            None => None,
        };
        cors.apply(&method, origin.as_ref(), methods, &mut response);
    }
    Ok(response)
}

/// The methods the routes answer at `uri`, as a preflight names them (`GET,HEAD,...,
/// OPTIONS`): the `Allow` of the 405 an `OPTIONS` request gets, as no route has
/// OPTIONS. `None` for a URL no route has.
async fn url_methods(mut router: Router, uri: axum::http::Uri) -> Option<HeaderValue> {
    let mut probe = axum::http::Request::new(axum::body::Body::empty());
    *probe.method_mut() = Method::OPTIONS;
    *probe.uri_mut() = uri;
    // A `Router` is always ready: no `poll_ready` needed before `call`.
    let answer = tower_service::Service::call(&mut router, probe)
        .await
        .ok()?;
    let allow = answer.headers().get(header::ALLOW)?.to_str().ok()?;
    HeaderValue::try_from(format!("{allow},OPTIONS")).ok()
}
