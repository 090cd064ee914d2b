{{ doc }}
//!
//! Made by apigen from the spec; regenerated, never edited. Eve's protocol itself is
//! the `apigen_runtime` crate, re-exported here under the names the rest of the crate
//! (and your `src/hooks.rs`) uses. This module holds:
//! - `Api`: the API-wide settings the runtime reads (prefix, dates, HTTP layer);
//! - `resources`: one module per resource: document struct, field catalog, table;
{%- if validators %}
//! - `router`: the routes and methods the spec enables;
//! - `validators`: the custom rules the spec names, which `src/validators.rs` implements.
{%- else %}
//! - `router`: the routes and methods the spec enables.
{%- endif %}

pub use apigen_runtime::{
    {% if auth %}auth, {% endif %}catalog, data, date, db, embed, {% if endpoints %}endpoint, {% endif %}error, etag, geo, handlers, hooks, http, {% if !importers.is_empty() %}import, {% endif %}layers, {% if limits %}limits, {% endif %}links, {% if live %}live, {% endif %}
    log, {% if uses_media %}media, {% endif %}objectid, options, query, render, request_hooks, resource, routes, schema, server, sqlite, state, store,
    tls, uuid, validate, xml,
};

{%- if auth %}
pub mod access;
{%- endif %}
{%- if api_hooks %}
pub mod api_hooks;
{%- endif %}
{%- if endpoints %}
pub mod endpoints;
{%- endif %}
{%- if limits %}
pub mod metering;
{%- endif %}
pub mod resources;
pub mod router;
{%- if validators %}
pub mod validators;
{%- endif %}

/// This API, as the runtime sees it.
#[derive(Debug, Clone, Copy)]
pub struct Api;

impl apigen_runtime::Api for Api {
    const PREFIX: &'static str = {{ prefix }};
    const DEFAULT_DB_FILE: &'static str = {{ default_db }};
    const MAX_BODY_BYTES: usize = {{ api.max_body_bytes }};
    const BULK_MAX_ITEMS: usize = {{ api.bulk_max_items }};
    const TABLES: &'static [&'static schema::Table] = &[
{%- for table in tables %}
        &resources::{{ table }},
{%- endfor %}
{%- if uses_media %}
        &media::TABLE,
{%- endif %}
{%- if credentials %}
        &auth::store::USERS,
        &auth::store::KEYS,
        &auth::store::TOKENS,
{%- endif %}
    ];
    const RESOURCES: &'static [&'static resource::ResourceInfo] = &[
{%- for module in resource_modules %}
        &resources::{{ module }}::INFO,
{%- endfor %}
    ];
{%- if !migrations.is_empty() %}
    const MIGRATIONS: &'static [sqlite::migrate::Migration] = &[
{%- for (name, path) in migrations %}
        sqlite::migrate::Migration {
            name: {{ name }},
            sql: include_str!({{ path }}),
        },
{%- endfor %}
    ];
    const RETAGS: &'static [sqlite::migrate::Retag] = &[
{%- for ty in document_types %}
        sqlite::migrate::Retag::of::<{{ ty }}>(),
{%- endfor %}
    ];
{%- endif %}
    const DATES: &'static date::DateFormat = &DATE_FORMAT;
{%- if auth %}
    const AUTH: Option<&'static auth::Settings> = Some(&access::SETTINGS);
{%- endif %}
{%- if custom_auth %}
    const CHECK_AUTH: Option<auth::CheckAuth> = Some(crate::auth::check_auth);
{%- endif %}
{%- if limits %}
    const LIMITS: Option<&'static limits::Settings> = Some(&metering::SETTINGS);
{%- endif %}
    const WEB: &'static layers::Web = &WEB;
{%- if limits %}
    // Quotas and rate limits count per client address when no user or key is known.
    const CLIENT_ADDRESS: bool = true;
{%- else if let Some(oplog) = api.oplog %}
{%- if oplog.audit %}
    const CLIENT_ADDRESS: bool = true;
{%- endif %}
{%- endif %}

    fn router(state: state::AppState) -> apigen_runtime::axum::Router {
        router::router(state)
    }
}

/// How the server runs: address, database file and limits.
pub type Config = server::Config<Api>;

/// Open the database and build the application (router and state).
pub fn app(
    config: &Config,
    hooks: ::std::sync::Arc<dyn hooks::Hooks>,
) -> ::std::result::Result<layers::App, db::OpenError> {
    server::app(config, hooks)
}

pub use server::serve;
{%- if !importers.is_empty() %}

/// The resources the `import` command loads files into, by name.
pub const IMPORTERS: &[(&str, import::command::Importer)] = &[
{%- for (name, doc_type) in importers %}
    ({{ name }}, import::command::importer::<{{ doc_type }}>),
{%- endfor %}
];
{%- endif %}

/// Dates on the wire: {{ date_doc }}.
pub static DATE_FORMAT: date::DateFormat = {{ date_format_expr }};

/// The HTTP layer: renderers, JSONP, method override and CORS as the spec sets them.
static WEB: layers::Web = {{ web_expr }};

{%- if let Some(oplog) = api.oplog %}
{%- if let Some(module) = oplog_module %}

/// The oplog (`oplog = true`): every resource's writes get an entry in
/// `resources::{{ module }}`, in the same transaction.
pub static OPLOG: ::apigen_runtime::oplog::Oplog = ::apigen_runtime::oplog::Oplog {
    entries: &resources::{{ module }}::INFO,
    methods: ::apigen_runtime::oplog::Methods {
        post: {{ oplog.methods.post }},
        patch: {{ oplog.methods.patch }},
        put: {{ oplog.methods.put }},
        delete: {{ oplog.methods.delete }},
    },
    change_methods: ::apigen_runtime::oplog::Methods {
        post: {{ oplog.change_methods.post }},
        patch: {{ oplog.change_methods.patch }},
        put: {{ oplog.change_methods.put }},
        delete: {{ oplog.change_methods.delete }},
    },
    audit: {{ oplog.audit }},
};
{%- endif %}
{%- endif %}

/// The OpenAPI 3.1 document, also served at `/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");
