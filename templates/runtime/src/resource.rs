//! What the protocol handlers need to know of a resource.
//!
//! Each module in `resources/` declares a `ResourceInfo` (the spec's names, its table,
//! its field catalog, its options) and implements `Resource` for its document struct
//! (typed row decoding and serialization). `handlers` implement Eve's protocol
//! once: most of it reads only the `ResourceInfo`, so it is compiled once, not once
//! per resource; only reading rows and writing documents is generic.

use serde_json::{Map, Value};

pub use crate::aggregation::Aggregation;
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
    /// `datasource.aggregation`: GET runs this pipeline instead of listing documents.
    pub aggregation: Option<&'static Aggregation>,
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
    /// A PUT to a well-formed id no document has creates the document (Eve's
    /// `UPSERT_ON_PUT`); when off, it is 404.
    pub upsert_on_put: bool,
    /// Eve's `soft_delete`: DELETE marks documents `_deleted` (`lifecycle`); the
    /// field is then in `fields`.
    pub soft_delete: bool,
    /// Eve's `versioning` (`versioning`); `_version` is then in `fields`. `None`: not
    /// versioned.
    pub versioning: Option<&'static Versioning>,
    /// How dates are written on the wire (the API's `date_format`).
    pub dates: &'static DateFormat,
    /// Its top-level references, for `_links.related`, found in `fields` on first
    /// use (`related`). Always `Related::new()`.
    pub related: crate::related::Related,
    /// The resource's media fields and the API's media settings (`media`); none by
    /// default, and then no media code runs.
    pub media: &'static crate::media::Media,
    /// Eve's `MULTIPART_FORM_FIELDS_AS_JSON`: multipart form fields read as JSON.
    pub multipart_form_fields_as_json: bool,
    /// The oplog its writes are recorded in (`[api] oplog`); `None`: not logged.
    pub oplog: Option<&'static crate::oplog::Oplog>,
    /// Eve's `auth_field`: the field holding each document's owner. A request with an
    /// authenticated user reaches only that user's documents, and its writes stamp the
    /// field with the user (`routes::Scope`); `None`: documents are everyone's.
    pub auth_field: Option<&'static str>,
    /// Its imports (`[resources.<r>.import]`, `import`); `None`: it has none.
    #[cfg(feature = "import")]
    pub import: Option<&'static crate::import::Import>,
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
        aggregation: None,
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
        upsert_on_put: true,
        soft_delete: false,
        versioning: None,
        dates: &crate::date::RFC1123,
        related: crate::related::Related::new(),
        media: &crate::media::NONE,
        multipart_form_fields_as_json: false,
        oplog: None,
        auth_field: None,
        #[cfg(feature = "import")]
        import: None,
        statements: Cache::new(),
    };
}

/// How a versioned resource keeps its versions (`versioning`).
#[derive(Debug)]
pub struct Versioning {
    /// The table that keeps every version of a document.
    pub table: &'static Table,
    /// The fields kept out of versions (Eve's `versioned = false`): an old version
    /// shows their current values.
    pub unversioned: &'static [&'static str],
    /// The fields `?version=diffs` always shows (Eve's `VERSION_DIFF_INCLUDE`).
    pub diff_include: &'static [&'static str],
}

/// A resource's document type.
pub trait Resource: serde::Serialize + Sized + Send + 'static {
    const INFO: &'static ResourceInfo;

    /// Read a document from a stored row, whatever the store: generic, so each store's
    /// row is read directly, as fast as hand-written code for that store.
    fn from_row<R: crate::store::Row>(row: &R) -> Result<Self, R::Error>;
    /// Write a stored row as the JSON object `serialize` would write for the document
    /// `from_row` reads, borrowing its values: how pages are written when nothing is
    /// projected or embedded.
    /// It returns what it read of the meta columns, so they are not read twice.
    fn write_row<'r, R: crate::store::Row>(
        row: &'r R,
        out: &mut Vec<u8>,
    ) -> Result<crate::store::RowMeta<'r>, R::Error>;
    fn id(&self) -> &str;
    fn created(&self) -> i64;
    fn updated(&self) -> i64;
    fn etag(&self) -> &str;
    /// The user fields as JSON, as a client would send them (for PATCH and hooks).
    fn into_fields(self) -> Map<String, Value>;
    /// Whether the document is soft-deleted (`_deleted`); only a `soft_delete`
    /// resource's documents can be.
    fn deleted(&self) -> bool {
        false
    }
    /// The document's `_version`; `None` unless the resource is versioned.
    fn version(&self) -> Option<i64> {
        None
    }

    /// Whether the spec names `on_fetched_resource` for this resource: a collection GET
    /// then builds its documents for [`Resource::fetched_resource`] instead of writing
    /// rows straight to JSON. A constant, so that test folds away where it is false.
    const FETCHED_RESOURCE: bool = false;
    /// Eve's `on_fetched_resource`: the user's hook, given a page's documents before
    /// they are served (and embedded).
    #[inline]
    fn fetched_resource(documents: &mut Vec<Self>) {
        let _ = documents;
    }
    /// Eve's `on_fetched_item`: the user's hook, given an item GET's document before it
    /// is served (and embedded); not called for a 304.
    #[inline]
    fn fetched_item(document: &mut Self) {
        let _ = document;
    }

    /// Whether `[api] hooks` names `on_fetched_resource`: a collection GET then builds
    /// its served documents for [`Resource::api_fetched_resource`] (no fast path).
    const API_FETCHED_RESOURCE: bool = false;
    /// Eve's API-wide `on_fetched_resource`: the user's hook, given the resource's name
    /// and a page's documents as served (embedded, files resolved), as JSON.
    #[inline]
    fn api_fetched_resource(documents: &mut [Map<String, Value>]) {
        let _ = documents;
    }
    /// Whether `[api] hooks` names `on_fetched_item`.
    const API_FETCHED_ITEM: bool = false;
    /// Eve's API-wide `on_fetched_item`: the user's hook, given the resource's name and
    /// an item GET's document as served, as JSON; not called for a 304.
    #[inline]
    fn api_fetched_item(document: &mut Map<String, Value>) {
        let _ = document;
    }
}

/// Writes a document's JSON object field by field, as a resource's generated `Serialize`
/// writes it (absent fields left out, absent nullable ones `null`): the generated
/// `write_row` drives it with values borrowed from a stored row.
pub struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    /// The last date written: its seconds, its format's address, and where its text is
    /// in `out`. `_created` and `_updated` are often the same moment: then the second
    /// is a copy of the first.
    last_date: Option<(i64, usize, std::ops::Range<usize>)>,
}

impl<'a> JsonObject<'a> {
    /// Open an object at the end of `out`.
    #[inline]
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        JsonObject {
            out,
            first: true,
            last_date: None,
        }
    }

    /// The `"name":` of the next member; `None` when the value is absent and the
    /// member left out. `name` is a spec name (letters, digits, `_`): nothing to escape.
    #[inline]
    fn member<T>(&mut self, name: &str, value: &Option<T>, nullable: bool) -> bool {
        if value.is_none() && !nullable {
            return false;
        }
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        if value.is_none() {
            self.out.extend_from_slice(b"null");
            return false;
        }
        true
    }

    /// A string member, escaped as serde_json escapes it.
    #[inline]
    pub fn text(&mut self, name: &str, value: Option<&str>, nullable: bool) {
        if self.member(name, &value, nullable) {
            crate::http::write_json_str(self.out, value.unwrap_or_default());
        }
    }

    #[inline]
    pub fn integer(&mut self, name: &str, value: Option<i64>, nullable: bool) {
        if let (true, Some(value)) = (self.member(name, &value, nullable), value) {
            let _ = serde_json::to_writer(&mut *self.out, &value);
        }
    }

    #[inline]
    pub fn real(&mut self, name: &str, value: Option<f64>, nullable: bool) {
        if let (true, Some(value)) = (self.member(name, &value, nullable), value) {
            let _ = serde_json::to_writer(&mut *self.out, &value);
        }
    }

    #[inline]
    pub fn boolean(&mut self, name: &str, value: Option<bool>, nullable: bool) {
        if let (true, Some(value)) = (self.member(name, &value, nullable), value) {
            self.out
                .extend_from_slice(if value { b"true" } else { b"false" });
        }
    }

    /// A date member, written in `dates` (no escaping: formats hold none).
    #[inline]
    pub fn date(&mut self, name: &str, value: Option<i64>, nullable: bool, dates: &DateFormat) {
        if let (true, Some(value)) = (self.member(name, &value, nullable), value) {
            self.out.push(b'"');
            let start = self.out.len();
            match &self.last_date {
                Some((seconds, format, text)) if *seconds == value && *format == address(dates) => {
                    self.out.extend_from_within(text.clone());
                }
                _ => dates.write(self.out, value),
            }
            self.last_date = Some((value, address(dates), start..self.out.len()));
            self.out.push(b'"');
        }
    }

    /// A member whose value is stored JSON text, copied as it is.
    #[inline]
    pub fn raw(&mut self, name: &str, value: Option<&str>, nullable: bool) {
        if self.member(name, &value, nullable) {
            self.out
                .extend_from_slice(value.unwrap_or_default().as_bytes());
        }
    }

    /// Close the object.
    #[inline]
    pub fn finish(self) {
        self.out.push(b'}');
    }
}

/// Identifies a date format by where it is (formats are statics).
fn address(dates: &DateFormat) -> usize {
    std::ptr::from_ref(dates) as usize
}
