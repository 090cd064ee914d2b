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

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;

use super::render::{self, Output};
{%- if let Some(cors) = web.cors %}

/// The spec's CORS settings.
const CORS: super::cors::Cors = super::cors::Cors {
    domains: &[{% for d in cors.domains %}{{ d|json }}, {% endfor %}],
    any_domain: {{ cors.any_domain }},
    domains_re: &[{% for d in cors.domains_re %}{{ d|json }}, {% endfor %}],
    headers: {{ cors.headers|json }},
    expose_headers: {{ cors.expose_headers|json }},
    allow_credentials: {{ cors.allow_credentials }},
    max_age: {{ cors.max_age }},
};
{%- endif %}

/// `routes` behind the HTTP layer.
pub fn wrap(routes: Router) -> Router {
    Router::new()
        .fallback_service(routes)
        .layer(middleware::from_fn(layer))
}

async fn layer(mut request: Request, next: Next) -> Response {
{%- if web.method_override %}
    if let Some(value) = request.headers().get("x-http-method-override") {
        match render::override_method(value) {
            Ok(method) => *request.method_mut() = method,
            Err(error) => return axum::response::IntoResponse::into_response(error),
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
                return axum::response::IntoResponse::into_response(error);
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
    let response = match output {
        None => next.run(request).await,
        Some(output) => render::rewrite(next.run(request).await, output, head).await,
    };
{%- if web.cors.is_some() %}
    let mut response = response;
    CORS.apply(&method, origin.as_ref(), &mut response);
{%- endif %}
    response
}
