{{ doc }}
//!
//! Made by apigen from the spec; regenerated, never edited. Each module has one job:
{%- for (module, doc) in modules %}
//! - `{{ module }}`: {{ doc }}
{%- endfor %}

pub mod catalog;
{%- if api.web.cors.is_some() %}
pub mod cors;
{%- endif %}
{%- if has_internal %}
pub mod data;
{%- endif %}
pub mod date;
pub mod db;
{%- if embedding %}
pub mod embed;
{%- endif %}
pub mod error;
pub mod etag;
{%- if geo %}
pub mod geo;
{%- endif %}
pub mod handlers;
pub mod hooks;
pub mod http;
pub mod layers;
pub mod links;
pub mod objectid;
pub mod options;
pub mod query;
pub mod render;
pub mod resource;
pub mod resources;
pub mod router;
pub mod routes;
pub mod server;
pub mod state;
pub mod store;
{%- if uses_uuid %}
pub mod uuid;
{%- endif %}
pub mod validate;
{%- if api.web.xml %}
pub mod xml;
{%- endif %}

/// Every route starts with this (`[api] base_path` and `version`, or `prefix`).
pub const PREFIX: &str = {{ api.prefix|json }};
/// The database file `serve` uses when given no `--db`.
pub const DEFAULT_DB_FILE: &str = {{ default_db|json }};
/// Largest request body accepted unless `--max-body-bytes` says otherwise.
pub const MAX_BODY_BYTES: usize = {{ api.max_body_bytes }};
/// The OpenAPI 3.1 document, also served at `/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");
/// The tables and indexes of every resource, created when missing.
pub const SCHEMA: &str = {{ schema|json }};

/// Register the SQL functions compiled filters call, on every new connection.
pub fn register_sql_functions(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    query::register_functions(conn)?;
{%- if geo %}
    geo::register_functions(conn)?;
{%- endif %}
    Ok(())
}
