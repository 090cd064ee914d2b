//! What the protocol handlers need to know of a resource.
//!
//! Each module in `resources/` declares a `ResourceInfo` (the spec's names, its SQL
//! with real columns, its field catalog) and implements `Resource` for its document
//! struct (typed row decoding and serialization). `handlers` implement Eve's protocol
//! once: most of it reads only the `ResourceInfo`, so it is compiled once, not once
//! per resource; only reading rows and writing documents is generic.

use serde_json::{Map, Value};

use super::catalog::Field;

/// A resource as data.
#[derive(Debug)]
pub struct ResourceInfo {
    /// The resource's name in the spec (and in hooks).
    pub name: &'static str,
    /// The collection's path below the API prefix (`people`), used in `_links`.
    pub url: &'static str,
    /// Title of one document in `_links`.
    pub item_title: &'static str,
    pub table: &'static str,
    pub fields: &'static [Field],
    pub pagination_default: u32,
    pub pagination_limit: u32,
    /// `SELECT <every column> FROM <table>`: `Resource::from_row` reads them in order.
    pub select: &'static str,
    /// `SELECT count(*) FROM <table>`
    pub count: &'static str,
    /// `SELECT <every column> FROM <table> WHERE "_id" = ?`
    pub select_by_id: &'static str,
    /// `SELECT "_etag" FROM <table> WHERE "_id" = ?`
    pub select_etag: &'static str,
    /// `INSERT INTO <table> (_id, _created, _updated, _etag, <fields>) VALUES (...)`
    pub insert: &'static str,
    pub delete_by_id: &'static str,
    pub delete_all: &'static str,
    // Options beyond the spine go below, each with Eve's default in `DEFAULTS`;
    // a resource's `INFO` names only the ones its spec changes.
    /// PATCH fills the defaults of fields it leaves missing (Eve's `normalize_on_patch`).
    pub normalize_on_patch: bool,
    /// PATCH merges a nested dict into the stored one instead of replacing it (Eve's
    /// `merge_nested_documents`).
    pub merge_nested_documents: bool,
}

impl ResourceInfo {
    /// Eve's defaults for every option; the spine's fields are placeholders that
    /// every resource's `INFO` sets.
    pub const DEFAULTS: ResourceInfo = ResourceInfo {
        name: "",
        url: "",
        item_title: "",
        table: "",
        fields: &[],
        pagination_default: 25,
        pagination_limit: 50,
        select: "",
        count: "",
        select_by_id: "",
        select_etag: "",
        insert: "",
        delete_by_id: "",
        delete_all: "",
        normalize_on_patch: true,
        merge_nested_documents: true,
    };
}

/// A resource's document type.
pub trait Resource: serde::Serialize + Sized + Send + 'static {
    const INFO: &'static ResourceInfo;

    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
    fn id(&self) -> &str;
    fn created(&self) -> i64;
    fn updated(&self) -> i64;
    fn etag(&self) -> &str;
    /// The user fields as JSON, as a client would send them (for PATCH and hooks).
    fn into_fields(self) -> Map<String, Value>;
}
