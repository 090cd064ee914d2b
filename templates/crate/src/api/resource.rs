//! What the protocol handlers need to know of a resource.
//!
//! Each module in `resources/` implements `Resource` for its document struct with the
//! spec's names, its SQL (real columns, written out per resource) and its typed row
//! decoding; `handlers` implement Eve's protocol once, generically, over this trait.

use serde_json::{Map, Value};

use super::catalog::Field;

pub trait Resource: serde::Serialize + Sized + Send + 'static {
    /// The resource's name in the spec (and in hooks).
    const NAME: &'static str;
    /// The collection's path below the API prefix (`people`), used in `_links`.
    const URL: &'static str;
    /// Title of one document in `_links`.
    const ITEM_TITLE: &'static str;
    const FIELDS: &'static [Field];
    const PAGINATION_DEFAULT: u32;
    const PAGINATION_LIMIT: u32;
    /// `SELECT <every column> FROM <table>`: `from_row` reads its columns in order.
    const SELECT: &'static str;
    /// `SELECT count(*) FROM <table>`
    const COUNT: &'static str;
    /// `SELECT <every column> FROM <table> WHERE "_id" = ?`
    const SELECT_BY_ID: &'static str;
    /// `INSERT INTO <table> (_id, _created, _updated, _etag, <fields>) VALUES (...)`
    const INSERT: &'static str;
    /// `SELECT "_etag" FROM <table> WHERE "_id" = ?`
    const SELECT_ETAG: &'static str;
    const DELETE_BY_ID: &'static str;
    const DELETE_ALL: &'static str;
    const TABLE: &'static str;

    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
    fn id(&self) -> &str;
    fn created(&self) -> i64;
    fn updated(&self) -> i64;
    fn etag(&self) -> &str;
    /// The user fields as JSON, as a client would send them (for PATCH and hooks).
    fn into_fields(self) -> Map<String, Value>;
}
