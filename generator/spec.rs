//! The spec: the TOML file a user writes, mirrored as data with source spans.
//!
//! Nothing here decides anything: `model` resolves and validates a `Spec` into the
//! `Model` the templates read. Every value a later check may complain about is
//! `Spanned`, so the complaint can point at `file:line:col`.

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Diagnostic;

/// A whole spec file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub api: Spanned<ApiSpec>,
    #[serde(default)]
    pub resources: IndexMap<Spanned<String>, Spanned<ResourceSpec>>,
}

/// `[api]`: settings of the whole API (Cloud Endpoints' words where they exist).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSpec {
    /// `[a-z][a-z0-9]{0,39}`; names the generated crate (`<name>-api`).
    pub name: Spanned<String>,
    /// Semantic version; its major part is the `/v<major>` path segment.
    pub version: Spanned<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Path before the version segment; default `/api`.
    pub base_path: Option<Spanned<String>>,
    /// The whole path prefix, replacing `base_path` + version; `""` serves at the root.
    pub prefix: Option<Spanned<String>>,
    /// Page size when a client asks for none (Eve's `PAGINATION_DEFAULT`, 25).
    pub pagination_default: Option<Spanned<i64>>,
    /// Largest page a client may ask for (Eve's `PAGINATION_LIMIT`, 50).
    pub pagination_limit: Option<Spanned<i64>>,
    /// Largest request body the server accepts, in bytes (default 1 MiB).
    pub max_body_bytes: Option<Spanned<i64>>,
    /// Eve's `DATE_FORMAT`: how dates are written and read on the wire (strftime
    /// directives); default RFC 1123, `"%a, %d %b %Y %H:%M:%S GMT"`.
    pub date_format: Option<Spanned<String>>,
    /// Eve's `NORMALIZE_ON_PATCH` for every resource (default true).
    pub normalize_on_patch: Option<bool>,
    /// Eve's `MERGE_NESTED_DOCUMENTS` for every resource (default true).
    pub merge_nested_documents: Option<bool>,
}

/// `[resources.<name>]`: one Eve resource (a collection and its items).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    /// The collection's path below the API prefix; default: the resource name.
    pub url: Option<Spanned<String>>,
    /// Title of one document in HATEOAS links; default: the name, singular.
    pub item_title: Option<Spanned<String>>,
    /// Methods on the collection; none listed means read-only (`GET`).
    pub resource_methods: Option<Vec<Spanned<String>>>,
    /// Methods on an item; none listed means read-only (`GET`).
    pub item_methods: Option<Vec<Spanned<String>>>,
    pub pagination_default: Option<Spanned<i64>>,
    pub pagination_limit: Option<Spanned<i64>>,
    /// PATCH fills the defaults of fields it leaves missing (Eve's `normalize_on_patch`).
    pub normalize_on_patch: Option<bool>,
    /// PATCH merges a nested dict into the stored one rather than replacing it (Eve's
    /// `merge_nested_documents`).
    pub merge_nested_documents: Option<bool>,
    #[serde(default)]
    pub schema: IndexMap<Spanned<String>, Spanned<FieldSpec>>,
}

/// One field's rules, in Cerberus' words.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub nullable: bool,
    pub default: Option<Spanned<toml::Value>>,
    pub minlength: Option<Spanned<i64>>,
    pub maxlength: Option<Spanned<i64>>,
    pub min: Option<Spanned<toml::Value>>,
    pub max: Option<Spanned<toml::Value>>,
    pub regex: Option<Spanned<String>>,
    pub allowed: Option<Spanned<Vec<toml::Value>>>,
    /// A dict's fields.
    pub schema: Option<IndexMap<Spanned<String>, Spanned<FieldSpec>>>,
    /// A list's item rule.
    pub items: Option<Box<Spanned<FieldSpec>>>,
    pub data_relation: Option<Spanned<RelationSpec>>,
}

/// `data_relation = { resource = "people", field = "_id", embeddable = true }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationSpec {
    pub resource: Spanned<String>,
    pub field: Option<Spanned<String>>,
    #[serde(default)]
    pub embeddable: bool,
}

/// Parse a spec's text. `path` is only used to name the file in diagnostics.
pub fn parse(path: &str, source: &str) -> Result<Spec, Diagnostic> {
    toml::from_str(source).map_err(|error| Diagnostic::from_toml(path, source, &error))
}
