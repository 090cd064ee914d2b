//! The HTTP layer in front of the routes: what Eve does to every request and answer
//! whatever its resource.
//!
//! It runs before routing, so a method override picks the route.
{%- if web.method_override %}
//! - `X-HTTP-Method-Override: PATCH` on any request runs it as PATCH
//!   (`allow_override_http_method`).
{%- endif %}
//! - `?pretty` indents JSON answers to GET.
{%- if web.xml %}
//! - `Accept` preferring XML renders Eve's XML (`renderers`).
{%- endif %}
{%- if let Some(arg) = web.jsonp_argument %}
//! - `?{{ arg }}=name` wraps JSON answers as JSONP (`jsonp_argument`).
{%- endif %}
{%- if web.cors.is_some() %}
//! - CORS headers and preflight `OPTIONS` (`x_domains`...).
{%- endif %}
//!
//! A request that asks for none of these is passed to the routes untouched.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;

use axum::http::Method;
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper::service::Service;
use hyper_util::service::TowerToHyperService;

use super::render::{self, Output};

type Request = axum::http::Request<Incoming>;
{%- if web.method_override %}

/// Eve's method override header.
const OVERRIDE: axum::http::HeaderName =
    axum::http::HeaderName::from_static("x-http-method-override");
{%- endif %}
type Routes = TowerToHyperService<Router>;
{%- if let Some(cors) = cors %}

/// The spec's CORS settings.
const CORS: super::cors::Cors = super::cors::Cors {
    domains: &[{% for d in cors.domains %}{{ d }}, {% endfor %}],
    any_domain: {{ cors.cors.any_domain }},
    domains_re: &[{% for d in cors.domains_re %}{{ d }}, {% endfor %}],
    headers: {{ cors.headers }},
    expose_headers: {{ cors.expose_headers }},
    allow_credentials: {{ cors.cors.allow_credentials }},
    max_age: {{ cors.cors.max_age }},
};
{%- endif %}

/// The routes behind the HTTP layer: the service each connection is served by.
///
/// A request that asks nothing of the layer (the common case) goes to the routes
/// directly, at the cost of a few header lookups; only the others take `layer`.
#[derive(Clone)]
pub struct App {
    routes: Routes,
}

/// `routes` behind the HTTP layer.
pub fn wrap(routes: Router) -> App {
    App {
        routes: TowerToHyperService::new(routes),
    }
}

impl Service<Request> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, request: Request) -> Self::Future {
        if asks_nothing(&request) {
            Box::pin(self.routes.call(request))
        } else {
            Box::pin(layer(self.routes.clone(), request))
        }
    }
}

/// Whether the layer has nothing to do for `request`; a cheap, conservative test
/// (a false "no" only costs the slow path, which decides exactly).
fn asks_nothing(request: &Request) -> bool {
{%- if web.cors.is_some() %}
    // CORS answers every request (`Vary: Origin`, preflights).
    let _ = request;
    false
{%- else if !web.json %}
    // Every answer is XML.
    let _ = request;
    false
{%- else %}
    let headers = request.headers();
    let query = request.uri().query().unwrap_or("");
    let mut nothing = !query.contains("pretty");
{%- if web.method_override %}
    nothing &= !headers.contains_key(OVERRIDE);
{%- endif %}
{%- if let Some(arg) = web.jsonp_argument %}
    nothing &= !query.contains({{ arg|json }});
{%- endif %}
{%- if web.xml %}
    nothing &= !headers
        .get(axum::http::header::ACCEPT)
        .is_some_and(|accept| accept.as_bytes().windows(3).any(|w| w == b"xml"));
{%- endif %}
    let _ = headers;
    nothing
{%- endif %}
}

/// The slow path: what the request asks of the HTTP layer, around the routes.
async fn layer(routes: Routes, mut request: Request) -> Result<Response, Infallible> {
{%- if web.method_override %}
    if let Some(value) = request.headers().get(OVERRIDE) {
        match render::override_method(value) {
            Ok(method) => *request.method_mut() = method,
            Err(error) => return Ok(axum::response::IntoResponse::into_response(error)),
        }
    }
{%- endif %}
    let method = request.method().clone();
    let query = request.uri().query();
    let read = method == Method::GET || method == Method::HEAD;
    let pretty = read && render::has_arg(query, "pretty");
    let mut output = None;
{%- if web.xml %}
    if render::prefers_xml(request.headers(), {{ web.json }}) {
        output = Some(Output::Xml(super::xml::render));
    }
{%- endif %}
{%- if let Some(arg) = web.jsonp_argument %}
    if output.is_none() {
        if let Some(callback) = render::arg(query, {{ arg|json }}) {
            if let Err(error) = render::check_callback(&callback) {
                return Ok(axum::response::IntoResponse::into_response(error));
            }
            output = Some(Output::Jsonp { callback, pretty });
        }
    }
{%- endif %}
    if output.is_none() && pretty {
        output = Some(Output::Pretty);
    }
{%- if web.cors.is_some() %}
    let origin = request.headers().get(axum::http::header::ORIGIN).cloned();
{%- endif %}
    let head = method == Method::HEAD;
    if head && output.is_some() {
        // The routes would drop the body before it is rewritten: ask for it, and drop
        // the rewritten one.
        *request.method_mut() = Method::GET;
    }
    let response = routes.call(request).await?;
    let response = match output {
        None => response,
        Some(output) => render::rewrite(response, output, head).await,
    };
{%- if web.cors.is_some() %}
    let mut response = response;
    CORS.apply(&method, origin.as_ref(), &mut response);
{%- endif %}
    Ok(response)
}
