//! What the protocol handlers need to know of a resource.
//!
//! Each module in `resources/` declares a `ResourceInfo` (the spec's names, its table,
//! its field catalog, its options) and implements `Resource` for its document struct
//! (typed row decoding and serialization). `handlers` implement Eve's protocol
//! once: most of it reads only the `ResourceInfo`, so it is compiled once, not once
//! per resource; only reading rows and writing documents is generic.

use serde_json::{Map, Value};

use crate::catalog::Field;
use crate::date::DateFormat;
use crate::embed::Embed;
use crate::routes::{IdType, Lookup};
use crate::schema::Table;
use crate::sqlite::statements::Cache;

/// A resource as data.
#[derive(Debug)]
pub struct ResourceInfo {
    /// The resource's name in the spec (and in hooks).
    pub name: &'static str,
    /// The collection's path below the API prefix (`people`), used in `_links`.
    pub url: &'static str,
    /// Title of one document in `_links`.
    pub item_title: &'static str,
    /// The table it stores documents in: its own, or the one of the resource it serves
    /// (`datasource.source`). `Resource::from_row` reads its columns in order.
    pub table: &'static Table,
    pub fields: &'static [Field],
    pub pagination_default: u32,
    pub pagination_limit: u32,
    // Options beyond the spine go below, each with Eve's default in `DEFAULTS`;
    // a resource's `INFO` names only the ones its spec changes.
    /// Field paths a `where` may name (`allowed_filters`); `None` allows every field
    /// (Eve's `["*"]`), an empty list disables filtering.
    pub allowed_filters: Option<&'static [&'static str]>,
    /// Whether the `sort` parameter is honoured; when off it is ignored, as in Eve.
    pub sorting: bool,
    /// The order when a request has no `sort` (`datasource.default_sort`), in `sort` syntax.
    pub default_sort: Option<&'static str>,
    /// Whether the collection is paged; when off every document is served and `page`
    /// and `max_results` are ignored, as in Eve.
    pub pagination: bool,
    /// Whether the `projection` parameter is honoured; when off it is ignored, as in Eve.
    pub projection: bool,
    /// The fields served by default (`datasource.projection`), as projection JSON.
    pub default_projection: Option<&'static str>,
    /// Whether `where` values must satisfy the fields' rules (Eve's `VALIDATE_FILTERING`).
    pub validate_filtering: bool,
    /// The datasource's fixed filter, as `where` JSON: checked by apigen, compiled by
    /// the store when the API starts (`query::parse_fixed_filter`). Every statement of
    /// the resource sees only the documents inside it.
    pub filter: Option<&'static str>,
    /// `_links` in responses (Eve's `hateoas`).
    pub hateoas: bool,
    /// `?embedded=`: the resource's embeddable references (none: nothing to embed).
    pub embeds: &'static [Embed],
    /// Eve's `cache_control`: `Cache-Control` of GET answers; empty: none.
    pub cache_control: &'static str,
    /// Eve's `cache_expires`: `Expires` of GET answers, seconds from now; 0: none.
    pub cache_expires: u64,
    /// A sub-resource's path fields, the `{field}` segments of `url`, in order.
    pub path_fields: &'static [&'static str],
    /// The type of `_id` (`id_type`).
    pub id_type: IdType,
    /// Makes a new `_id`; `None` when the database numbers documents (integer ids).
    pub new_id: Option<fn() -> String>,
    /// Eve's `additional_lookup`: a read-only item route by another unique field.
    pub lookup: Option<Lookup>,
    /// The catalog `where` and `sort` check names against, when `_id` is not an
    /// objectid (`_id` as it is typed, then `fields`); `None`: `fields`.
    pub query_fields: Option<&'static [Field]>,
    /// PATCH fills the defaults of fields it leaves missing (Eve's `normalize_on_patch`).
    pub normalize_on_patch: bool,
    /// PATCH merges a nested dict into the stored one instead of replacing it (Eve's
    /// `merge_nested_documents`).
    pub merge_nested_documents: bool,
    /// How dates are written on the wire (the API's `date_format`).
    pub dates: &'static DateFormat,
    /// The embedded store's statements for this resource, made once from the fields
    /// above on first use (`sqlite::statements`). Always `Cache::new()`.
    pub statements: Cache,
}

impl ResourceInfo {
    /// Eve's defaults for every option; the spine's fields are placeholders that
    /// every resource's `INFO` sets.
    // Interior mutability on purpose: each `..DEFAULTS` gets a fresh, empty statement
    // cache (a `const` is copied at every use; nothing ever borrows `DEFAULTS` itself).
    #[allow(clippy::declare_interior_mutable_const)]
    pub const DEFAULTS: ResourceInfo = ResourceInfo {
        name: "",
        url: "",
        item_title: "",
        table: &crate::schema::NO_TABLE,
        fields: &[],
        pagination_default: 25,
        pagination_limit: 50,
        allowed_filters: None,
        sorting: true,
        default_sort: None,
        pagination: true,
        projection: true,
        default_projection: None,
        validate_filtering: false,
        filter: None,
        hateoas: true,
        embeds: &[],
        cache_control: "",
        cache_expires: 0,
        path_fields: &[],
        id_type: IdType::ObjectId,
        new_id: Some(crate::objectid::new_id),
        lookup: None,
        query_fields: None,
        normalize_on_patch: true,
        merge_nested_documents: true,
        dates: &crate::date::RFC1123,
        statements: Cache::new(),
    };
}

/// A resource's document type.
pub trait Resource: serde::Serialize + Sized + Send + 'static {
    const INFO: &'static ResourceInfo;

    /// Read a document from a stored row, whatever the store: generic, so each store's
    /// row is read directly, as fast as hand-written code for that store.
    fn from_row<R: crate::store::Row>(row: &R) -> Result<Self, R::Error>;
    fn id(&self) -> &str;
    fn created(&self) -> i64;
    fn updated(&self) -> i64;
    fn etag(&self) -> &str;
    /// The user fields as JSON, as a client would send them (for PATCH and hooks).
    fn into_fields(self) -> Map<String, Value>;
}
