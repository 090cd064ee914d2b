//! The Model: a spec resolved and validated, for every emitter to write from.
//!
//! Names are cased here (heck), Rust keywords escaped here, defaults applied here,
//! operations computed here. The Model holds user text as the spec wrote it and decides
//! with enums and flags; the emitters (`rust`, `catalog`, `document` for the Rust
//! server) turn it into source text, escaped for where it goes. A template never
//! decides anything a test of the Model could check.
//!
//! The module follows the design's seams:
//!
//! - this file: the types the templates read, and [`resolve()`];
//! - `resolve`: the `Resolver` core: the API, each resource, names and methods;
//! - `fields`: field names, types and rules, `data_relation`, regex statics;
//! - `defaults`: `allowed` literals and `default` values (GeoJSON and dates too);
//! - `routing`: urls and sub-resources, `id_type`, `additional_lookup`;
//! - `query_options`: `allowed_filters` and `datasource`, checked against the schema;
//! - `aggregation`: `datasource.aggregation`, the pipeline checked against the source;
//! - `indexes`: secondary indexes (`indexes`, Eve's `mongo_indexes`);
//! - `embedding`: embeddable references and `embedded_fields`;
//! - `operations`: the operation list the router, home page and OpenAPI read;
//! - `extending`: custom validation rules (`validator`) and the hooks a spec asks for.

mod aggregation;
pub mod auth;
pub mod clients;
mod defaults;
mod embedding;
pub mod endpoints;
mod extending;
mod fields;
mod imports;
mod indexes;
mod lifecycle;
pub mod limits;
mod live;
pub mod media;
mod operations;
mod oplog;
mod query_options;
mod resolve;
mod routing;
pub mod storage;
mod web;

use crate::diagnostic::Diagnostic;
use crate::spec::Spec;
use apigen_runtime::date::DateFormat;

pub use aggregation::{Aggregation, ResultType};
pub use defaults::toml_to_json;
pub use embedding::Embed;
pub use imports::Import;
pub use lifecycle::{Lifecycle, version_id_column};

pub use extending::{Hook, Validator};
pub use operations::{
    Action, Method, Mount, Operation, OperationSettings, ParamType, PathParam, QueryParam, Segment,
    Shape,
};
pub use oplog::Oplog;
pub use query_options::Datasource;
pub(crate) use resolve::Resolver;
pub use resolve::{article, module_ident, rust_ident};
pub use routing::{IdType, Lookup};
pub use web::{Cache, Cors, Web};

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub api: Api,
    pub resources: Vec<Resource>,
    /// Every operation the API serves, in a fixed order; the only source of routes.
    pub operations: Vec<Operation>,
    /// The tables the resources keep, typed: one per resource that owns its table.
    pub tables: Vec<storage::Table>,
    /// The custom endpoints (`[endpoints.<name>]`), in the spec's order; each is also
    /// an operation.
    pub endpoints: Vec<endpoints::Endpoint>,
    /// The typed clients written beside the server, and their names.
    pub clients: clients::Clients,
}

impl Model {
    /// Whether some resource's ids are UUIDs (the crate then gets the `uuid` module).
    pub fn uses_uuid_ids(&self) -> bool {
        self.resources.iter().any(|r| r.id_type == IdType::Uuid)
    }

    /// The resources that have HTTP routes (all but `internal_resource` ones).
    pub fn served(&self) -> impl Iterator<Item = &Resource> {
        self.resources.iter().filter(|r| !r.internal)
    }

    /// Whether any resource is internal: the crate then gets the `data` module.
    pub fn has_internal(&self) -> bool {
        self.resources.iter().any(|r| r.internal)
    }

    /// Whether any resource can embed: the crate then gets the `embed` module.
    pub fn uses_embedding(&self) -> bool {
        self.resources.iter().any(|r| !r.embeds.is_empty())
    }

    /// Whether any resource has a media field: the crate then gets the media table,
    /// and with `return_media_as_url` the media endpoint.
    pub fn uses_media(&self) -> bool {
        self.resources
            .iter()
            .any(|r| r.media_fields().next().is_some())
    }

    /// Whether any field, at any depth, is a GeoJSON geometry.
    pub fn uses_geo(&self) -> bool {
        fn geo(field: &Field) -> bool {
            field.kind.is_geo()
                || field.schema.iter().any(geo)
                || field.items.as_deref().is_some_and(geo)
        }
        self.resources.iter().any(|r| r.fields.iter().any(geo))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// The spec's `name`, e.g. `people`.
    pub name: String,
    /// The generated package, `<name>-api`.
    pub package: String,
    /// The generated library crate, `<name>_api`.
    pub lib: String,
    pub version: String,
    pub title: String,
    pub description: String,
    /// Path prefix of every route, `/api/v1`, or empty to serve at the root.
    pub prefix: String,
    pub max_body_bytes: u64,
    /// Most documents one bulk POST may hold.
    pub bulk_max_items: u64,
    /// The crate's `tls` feature is on by default (`[api] tls = true`).
    pub tls: bool,
    /// `_links` and the home page (Eve's `HATEOAS`); resources inherit it.
    pub hateoas: bool,
    /// Renderers, JSONP, method override, CORS.
    pub web: Web,
    /// Eve's `DATE_FORMAT` when the spec changes it; `None`: RFC 1123 (the fast path).
    pub date_format: Option<DateFormat>,
    /// Media fields' and form bodies' settings (`return_media_as_*`...).
    pub media: media::Media,
    /// The API-wide hooks the user implements (`[api] hooks`): request hooks only.
    pub hooks: Vec<Hook>,
    /// Eve's `OPLOG` and its settings; `None`: writes are not logged.
    pub oplog: Option<Oplog>,
    /// Eve's `SCHEMA_ENDPOINT`: the url below the prefix serving the resources' schemas.
    pub schema_endpoint: Option<String>,
    /// JWT issuers and the signed-request window (`auth`); each operation's rule is
    /// in its settings.
    pub auth: auth::AuthApi,
    /// The quotas (`[quotas.<metric>]`); each operation's costs are in its settings.
    pub quotas: Vec<limits::Quota>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The spec's name, e.g. `people`: the resource name on the wire and in hooks.
    pub name: String,
    /// Module file stem, e.g. `people` (file `people.rs`).
    pub module_file: String,
    /// Module identifier as written in Rust (`r#type` for a resource called `type`).
    pub module_ident: String,
    /// The document struct, e.g. `PeopleDocument`.
    pub doc_type: String,
    /// The table it stores documents in: its own (named after it), or that of the
    /// resource it serves (`datasource.source`).
    pub table: String,
    /// Collection path below the prefix, e.g. `people`.
    pub url: String,
    /// Title of one document in `_links`.
    pub item_title: String,
    /// The collection's methods (`resource_methods`); read only to build the operations.
    pub resource_methods: Methods,
    /// The item's methods (`item_methods`); read only to build the operations.
    pub item_methods: Methods,
    pub pagination_default: u32,
    pub pagination_limit: u32,
    /// PATCH fills the defaults of fields it leaves missing (Eve's default: true).
    pub normalize_on_patch: bool,
    /// PATCH merges nested dicts into the stored ones (Eve's default: true).
    pub merge_nested_documents: bool,
    /// A PUT to a well-formed id that no document has creates it (Eve's
    /// `UPSERT_ON_PUT`, default true).
    pub upsert_on_put: bool,
    pub fields: Vec<Field>,
    /// Field paths clients may filter on; `None` is Eve's `["*"]` (all), empty: none.
    pub allowed_filters: Option<Vec<String>>,
    /// Whether `sort` is honoured (Eve ignores it when off).
    pub sorting: bool,
    /// Whether the collection is paged.
    pub pagination: bool,
    /// Whether the `projection` parameter is honoured.
    pub projection: bool,
    /// Whether filter values must satisfy the fields' rules (Eve's `VALIDATE_FILTERING`).
    pub validate_filtering: bool,
    pub datasource: Datasource,
    /// `_links` in this resource's responses (Eve's `hateoas`).
    pub hateoas: bool,
    /// The references `?embedded=` may replace by the documents they name.
    pub embeds: Vec<Embed>,
    /// `Cache-Control`/`Expires` of its GET responses.
    pub cache: Cache,
    /// The fields named by the `{field}` segments of `url` (a sub-resource), in order.
    pub path_fields: Vec<String>,
    /// The type of `_id` (`id_type`).
    pub id_type: IdType,
    /// Eve's `additional_lookup`: a read-only item route by another unique field.
    pub lookup: Option<Lookup>,
    /// Eve's `internal_resource`: the table exists, but no route serves it.
    pub internal: bool,
    /// Secondary indexes (the spec's `indexes`, Eve's `mongo_indexes`), by name.
    pub indexes: Vec<Index>,
    /// Eve's `multipart_form_fields_as_json` (the resource's, else the API's).
    pub form_fields_as_json: bool,
    /// Eve's `soft_delete` and `versioning` (`lifecycle`).
    pub lifecycle: Lifecycle,
    /// The hooks of this resource the user implements, typed (`hooks`).
    pub hooks: Vec<Hook>,
    /// Its writes are recorded in the oplog (`[api] oplog`).
    pub oplog: bool,
    /// Eve's `auth_field`: the field holding each document's owner; callers reach
    /// only their own documents.
    pub auth_field: Option<String>,
    /// Its tabular imports (`import`); `None`: it takes none.
    pub import: Option<Import>,
    /// Its changes are served live (`live`): `GET <collection>/events`.
    pub live: bool,
}

/// A secondary index: `indexes = { by_name_age = ["lastname", "-age"] }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// The index's name in the spec (`by_name_age`).
    pub name: String,
    /// The fields it orders by, in order.
    pub keys: Vec<IndexKey>,
}

/// One field of an index and its direction (`-age`: descending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKey {
    /// A top-level field of the resource.
    pub field: String,
    pub descending: bool,
}

/// Which HTTP methods a route answers (GET is always on: Eve has no write-only routes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Methods {
    pub post: bool,
    pub put: bool,
    pub patch: bool,
    pub delete: bool,
}

/// A field's type (the spec's `type`): the runtime's own `catalog::Kind`, so apigen
/// and the servers it generates agree on the names and what each kind is.
pub use apigen_runtime::catalog::Kind;

/// A literal from the spec (`allowed`, `default`, `min`, `max`).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Name on the wire and column name.
    pub name: String,
    /// Rust identifier of the struct field (`r#type`, `self_`).
    pub ident: String,
    pub kind: Kind,
    pub required: bool,
    pub unique: bool,
    pub nullable: bool,
    pub minlength: Option<u64>,
    pub maxlength: Option<u64>,
    /// `min`/`max`, exact: an integer bound stays an integer.
    pub min: Option<apigen_runtime::catalog::Bound>,
    pub max: Option<apigen_runtime::catalog::Bound>,
    pub regex: Option<String>,
    pub allowed: Vec<Literal>,
    pub default: Option<serde_json::Value>,
    pub schema: Vec<Field>,
    pub items: Option<Box<Field>>,
    pub relation: Option<Relation>,
    /// A custom rule (`validator = "odd"`): a method of the generated `Validators`
    /// trait, which the user implements.
    pub validator: Option<String>,
}

impl Field {
    /// A field of `kind` with no rule: not required, no bounds, no default.
    pub fn plain(name: &str, kind: Kind) -> Field {
        Field {
            name: name.to_string(),
            ident: rust_ident(name),
            kind,
            required: false,
            unique: false,
            nullable: false,
            minlength: None,
            maxlength: None,
            min: None,
            max: None,
            regex: None,
            allowed: Vec::new(),
            default: None,
            schema: Vec::new(),
            items: None,
            relation: None,
            validator: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    /// The related resource (whose table, and datasource filter, the reference is
    /// checked against).
    pub resource: String,
    pub field: String,
    pub embeddable: bool,
}

/// Resolve a parsed spec into the Model, or the first error found.
pub fn resolve(path: &str, source: &str, spec: &Spec) -> Result<Model, Diagnostic> {
    let resolver = Resolver { path, source, spec };
    resolver.model()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parse and resolve a spec's text: the unit tests' way in.
    pub(super) fn model(source: &str) -> Result<Model, Diagnostic> {
        let spec = crate::spec::parse("test.toml", source)?;
        resolve("test.toml", source, &spec)
    }
}
