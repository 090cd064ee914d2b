//! The runtime of the API servers apigen generates: everything that does not depend on
//! the spec.
//!
//! A generated crate holds what its spec decides — document structs, field catalogs,
//! the routes, the user's hooks — and implements [`Api`] and
//! [`resource::Resource`] with it; this crate implements Eve's REST protocol once,
//! over those traits. It is compiled, linted and tested here, once, and `apigen new`
//! vendors it into each service (or points a service at a shared copy), so a
//! generated service builds alone, offline.
//!
//! The modules, one job each:
//! - [`aggregation`]: aggregation endpoints (`datasource.aggregation`): the pipeline
//!   checked, `?aggregate=` placeholders filled, the answer's envelope;
//! - [`catalog`]: the field catalog type every resource declares its fields with;
//! - [`cors`]: Cross-Origin Resource Sharing (`x_domains`...);
//! - [`data`]: writing documents from Rust (hooks), for internal resources;
//! - [`date`]: dates on the wire in the API's `date_format`, epoch seconds in the database;
//! - [`db`]: the embedded SQLite database and its connection pool (`sqlite::db`);
//! - [`endpoint`]: custom endpoints: parameters and bodies in, answers out, and the
//!   data handle their code reads and writes resources with;
//! - [`embed`]: `?embedded=`, references replaced by the documents they name;
//! - [`error`]: the error type and Eve's error envelope;
//! - [`etag`]: entity tags (SHA-1 of a document) and header matching;
//! - [`forms`]: request bodies as JSON, urlencoded forms or `multipart/form-data`;
//! - [`geo`]: GeoJSON geometries and `$near` distances;
//! - [`handlers`]: Eve's REST protocol, generic over resources;
//! - [`hooks`]: the event hook trait that a service's `src/hooks.rs` implements;
//! - [`http`]: reading bodies, conditional requests, query strings;
//! - [`layers`]: the HTTP layer before the routes: method override, rendering, CORS;
//! - [`links`]: HATEOAS, the `_links` of every response;
//! - `limits`: quotas and rate limits per consumer or client (feature `limits`);
//! - [`log`]: request logging through `tracing` (`serve --log-level`);
//! - [`media`]: media fields: uploads, the media table, the media endpoint (Range);
//! - [`objectid`]: ObjectId-style document ids;
//! - [`options`]: what a GET returns: allowed filters, sorting, pagination, projection,
//!   datasources;
//! - [`query`]: `where` and `sort` parsed and checked into an AST;
//! - [`render`]: `?pretty`, JSONP and XML, a JSON answer rewritten as the client asked;
//! - [`request_hooks`]: Eve's `on_pre_<METHOD>`/`on_post_<METHOD>` hooks, where a spec names them;
//! - [`resource`]: the trait each resource's document type implements;
//! - [`routes`]: id types, sub-resource paths and the additional lookup route;
//! - [`schema`]: the storage schema: tables, typed columns, indexes, in no dialect;
//! - [`server`]: accepting connections with limits and timeouts;
//! - [`sqlite`]: the embedded store, and the only place SQL text is made;
//! - [`state`]: what every handler is given;
//! - [`store`]: the storage seam the handlers use (`Read`, `Write`), and the `unique`
//!   and `data_relation` checks;
//! - [`uuid`]: random (version 4) UUIDs for `id_type = "uuid"`;
//! - [`validate`]: document validation with Eve's `_issues` messages;
//! - [`xml`]: Eve's XML rendering (`renderers`).

pub mod aggregation;
#[cfg(feature = "auth")]
pub mod auth;
pub mod catalog;
pub mod cors;
pub mod data;
pub mod date;
pub mod embed;
pub mod endpoint;
pub mod error;
pub mod etag;
pub mod forms;
pub mod geo;
pub mod handlers;
pub mod hooks;
pub mod http;
#[cfg(feature = "import")]
pub mod import;
pub mod item_ids;
pub mod layers;
pub mod lifecycle;
#[cfg(feature = "limits")]
pub mod limits;
pub mod links;
#[cfg(feature = "live")]
pub mod live;
pub mod log;
pub mod media;
pub mod objectid;
pub mod oplog;
pub mod options;
mod python_where;
pub mod query;
pub mod related;
pub mod render;
pub mod request_hooks;
pub mod resource;
pub mod routes;
pub mod schema;
pub mod server;
pub mod sqlite;
pub mod state;
pub mod store;
pub mod tls;
pub mod uuid;
pub mod validate;
pub mod versioning;
pub mod xml;

pub use sqlite::db;

// What generated crates name, re-exported so they need no dependency of their own.
pub use axum;
pub use rusqlite;
pub use serde;
pub use serde_json;
pub use tokio;
/// For hooks that log with their request, as Eve's hooks use `app.logger`.
pub use tracing;

/// What a generated crate tells the runtime about its API: the spec's API-wide
/// settings and its routes. Generated as `api::Api` in each service.
pub trait Api: 'static {
    /// Every route starts with this (`[api] base_path` and `version`, or `prefix`).
    const PREFIX: &'static str;
    /// The database file `serve` uses when given no `--db`.
    const DEFAULT_DB_FILE: &'static str;
    /// Largest request body accepted unless `--max-body-bytes` says otherwise.
    const MAX_BODY_BYTES: usize;
    /// Most documents one bulk POST may hold (`bulk_max_items`).
    const BULK_MAX_ITEMS: usize;
    /// Every table, with its indexes: created when missing.
    const TABLES: &'static [&'static schema::Table];
    /// The crate's migrations (`migrations/*.sql`), in order: a database that has not
    /// had one gets it at start (`sqlite::migrate`).
    const MIGRATIONS: &'static [sqlite::migrate::Migration] = &[];
    /// How to compute the ETags of each table's documents again, after a migration
    /// changed its columns: one per table.
    const RETAGS: &'static [sqlite::migrate::Retag] = &[];
    /// Every resource, internal ones included: their statements are made at start-up.
    const RESOURCES: &'static [&'static resource::ResourceInfo];
    /// How dates are written on the wire (`date_format`).
    const DATES: &'static date::DateFormat;
    /// The HTTP layer's settings (renderers, JSONP, method override, CORS).
    const WEB: &'static layers::Web;
    /// Whether requests carry their client's address (`oplog::ClientAddr`): only
    /// when an audited oplog records it (`oplog_audit`), so other APIs pay nothing.
    const CLIENT_ADDRESS: bool = false;
    /// The API's auth settings, when some operation has a rule (`auth`).
    #[cfg(feature = "auth")]
    const AUTH: Option<&'static auth::Settings> = None;
    /// The user's own check (`authentication = ["custom"]`), from their `src/auth.rs`.
    #[cfg(feature = "auth")]
    const CHECK_AUTH: Option<auth::CheckAuth> = None;
    /// The API's quotas and rate limits, when some operation has a cost or a rate
    /// limit (`limits`); the generator then sets `CLIENT_ADDRESS` too, as clients
    /// without a user are counted by their address.
    #[cfg(feature = "limits")]
    const LIMITS: Option<&'static limits::Settings> = None;

    /// The routes the spec enables.
    fn router(state: state::AppState) -> axum::Router;
}
