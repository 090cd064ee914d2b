{% if hateoas -%}
//! The routes: for each resource its collection and item paths, with the methods its
//! spec lists (`resource_methods`, `item_methods`; GET and HEAD always), the API home
//! at `{{ home_paths|join("` and `") }}` and the OpenAPI document at `/openapi.json`. Unknown paths answer
//! 404 and unlisted methods 405, both in Eve's error envelope.
{%- else -%}
//! The routes: for each resource its collection and item paths, with the methods its
//! spec lists (`resource_methods`, `item_methods`; GET and HEAD always), and the
//! OpenAPI document at `/openapi.json`. With `hateoas = false` there is no home page
//! (404, as in Eve). Unknown paths answer 404 and unlisted methods 405, both in Eve's
//! error envelope.
{%- endif %}
{%- if let Some(path) = schema_path %}
//!
//! `{{ path }}` and `{{ path }}/{resource}` answer the served resources' schemas
//! (`schema_endpoint`).
{%- endif %}

use axum::Router;
{%- if guarded %}
use axum::handler::Handler as _;
{%- endif %}
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{{ routing_imports }};

use super::handlers::{self, method_not_allowed, not_found};
use super::state::AppState;
{%- for r in resources %}
use super::resources::{{ r.module_ident }}::{{ r.doc_type }};
{%- endfor %}

pub fn router(state: AppState) -> Router {
    Router::new()
{%- for route in routes %}
        .route(
            {{ route.path|json }},
            {% for (method, handler) in route.handlers -%}
            {% if !loop.first %}.{% endif %}{{ method }}({{ handler }})
            {%- endfor %}
            {%- if let Some(hooks) = route.hooks %}
                .route_layer(axum::middleware::from_fn_with_state(&{{ hooks }}, super::request_hooks::run))
            {%- endif %},
        )
{%- endfor %}
{%- if let Some(path) = media_route %}
        // The files of media fields (`return_media_as_url`), with Range requests.
        .route({{ path|json }}, get({{ media_handler }}))
{%- endif %}
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

{%- if hateoas %}
/// The API home: a link to every resource (Eve's HATEOAS entry point).
async fn home() -> Response {
    json(HOME)
}

const HOME: &str = {{ home_json|json }};
{%- endif %}

async fn openapi() -> Response {
    json(super::OPENAPI_JSON)
}

fn json(body: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
{%- if let Some(schemas) = schemas %}
{%- if guarded %}

/// Eve's schema endpoint (`schema_endpoint`): the schema of every served resource
/// whose collection GET the caller may call, as Cerberus rules in JSON.
async fn schema(caller: Option<axum::Extension<super::auth::Caller>>) -> Response {
    let caller = caller.as_ref().map(|c| &c.0);
    let mut response = super::auth::visible_schemas(SCHEMAS, caller).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// One resource's schema, by its name; 404 for a name no served resource has, or
/// one whose collection GET the caller may not call.
async fn schema_item(
    caller: Option<axum::Extension<super::auth::Caller>>,
    super::routes::PathParams(params): super::routes::PathParams,
) -> Response {
    let caller = caller.as_ref().map(|c| &c.0);
    let name = super::routes::item_key(&params);
    match SCHEMAS.iter().find(|(resource, _, policy)| {
        *resource == name && super::auth::may_call(*policy, caller)
    }) {
        Some((_, schema, _)) => json(schema),
        None => not_found().await.into_response(),
    }
}

/// Each served resource's schema, by name, with its collection GET's policy.
#[allow(clippy::type_complexity)]
const SCHEMAS: &[(&str, &str, Option<&super::auth::Policy>)] = &[
{%- for (name, schema, policy) in schemas %}
    ({{ name }}, {{ schema }}, {{ policy }}),
{%- endfor %}
];
{%- else %}

/// Eve's schema endpoint (`schema_endpoint`): every served resource's schema, as
/// Cerberus rules in JSON.
async fn schema() -> Response {
    json(SCHEMA)
}

/// One resource's schema, by its name; 404 for a name no served resource has.
async fn schema_item(super::routes::PathParams(params): super::routes::PathParams) -> Response {
    let name = super::routes::item_key(&params);
    match SCHEMAS.iter().find(|(resource, _)| *resource == name) {
        Some((_, schema)) => json(schema),
        None => not_found().await.into_response(),
    }
}

const SCHEMA: &str = {{ all_schemas }};

/// Each served resource's schema, by name.
const SCHEMAS: &[(&str, &str)] = &[
{%- for (name, schema, _) in schemas %}
    ({{ name }}, {{ schema }}),
{%- endfor %}
];
{%- endif %}
{%- endif %}
