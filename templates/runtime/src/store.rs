//! The storage seam: what the protocol handlers ask of a database, in the words of
//! documents, ids, scopes and the `where`/`sort` AST — never SQL.
//!
//! [`Read`] is what a request may do with a connection, [`Write`] what it may do inside
//! the write transaction. The embedded store implements them for rusqlite's
//! `Connection` and `Transaction` (`sqlite::store`); another store implements them for
//! its own connection types, and the handlers do not change. Also here, because they
//! hold no storage detail: the `unique` and `data_relation` checks validation cannot
//! make without the database, and what a stored document looks like as JSON.

use serde_json::{Map, Value};

use crate::catalog::{Field, Kind, Relation};
use crate::error::ApiError;
use crate::query::{Filter, SortKey};
use crate::resource::{Resource, ResourceInfo};
use crate::routes::Scope;
use crate::validate::{self, Issues};

/// The documents a collection GET reads.
#[derive(Debug)]
pub struct Selection<'a> {
    /// A sub-resource's path values (none for a plain collection).
    pub scope: &'a Scope,
    /// The client's `where`; it narrows the datasource filter and the path.
    pub filter: Option<&'a Filter>,
    /// The order (the client's `sort` or the default one); empty: `$near` distance if
    /// the filter has one, else insertion order. Ties keep insertion order.
    pub sort: &'a [SortKey],
    /// `(max_results, page)`, `page` counted from 1; `None`: every document.
    pub page: Option<(u32, u32)>,
    /// Leave soft-deleted documents out (`lifecycle::hides_deleted`).
    pub hide_deleted: bool,
}

/// Which of the documents a selection matches are read (`Read::find`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// How many to leave out first.
    pub skip: u64,
    /// How many to read at most; `None`: all the rest.
    pub limit: Option<u64>,
}

/// How an item route names its document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKey<'a> {
    /// A well-formed `_id` of the resource's id type.
    Id(&'a str),
    /// A value of the additional lookup field.
    Lookup(&'a str),
}

/// A document to insert, validated and with its meta fields.
#[derive(Debug)]
pub struct NewDocument<'a> {
    /// `None`: the database numbers it (integer ids).
    pub id: Option<&'a str>,
    pub created: i64,
    pub updated: i64,
    pub etag: &'a str,
    pub fields: &'a Map<String, Value>,
}

/// What an insert did.
#[derive(Debug, PartialEq, Eq)]
pub enum Inserted {
    /// Written, with this `_id`.
    Id(String),
    /// Refused: the `_id` (or a unique value) is taken.
    Duplicate,
}

/// What a request may read.
/// One stored document as a store reads it: the key, the table's columns in order,
/// then `_created`, `_updated` and `_etag` (`schema`). Each store implements it over
/// its own row type, and a resource's generated `from_row` reads typed values from
/// it, straight from the row, with no value in between: the embedded store's
/// implementation is rusqlite's `Row` itself.
pub trait Row {
    /// The store's error, returned as it is to the store's own code.
    type Error;
    /// A text column (strings, objectids); `None` for NULL.
    fn text(&self, index: usize) -> Result<Option<String>, Self::Error>;
    /// An integer column (integers, datetimes as epoch seconds).
    fn integer(&self, index: usize) -> Result<Option<i64>, Self::Error>;
    /// A real column (floats, numbers).
    fn real(&self, index: usize) -> Result<Option<f64>, Self::Error>;
    /// A boolean column.
    fn boolean(&self, index: usize) -> Result<Option<bool>, Self::Error>;
    /// A JSON column (dicts, lists, geometries), as the JSON text it holds, to be
    /// copied into responses without building a tree.
    fn json(&self, index: usize) -> Result<Option<Box<serde_json::value::RawValue>>, Self::Error>;
    /// A text column, borrowed from the row.
    fn text_ref(&self, index: usize) -> Result<Option<&str>, Self::Error>;
    /// A JSON column's text, borrowed from the row as it is stored (the server stores
    /// only JSON it has checked).
    fn json_ref(&self, index: usize) -> Result<Option<&str>, Self::Error>;
    /// The key, as text whatever its type (integer keys are numbered by the store).
    fn key(&self, index: usize) -> Result<String, Self::Error>;
    /// A column the store never leaves NULL (`_created`, `_updated`: epoch seconds).
    fn required_integer(&self, index: usize) -> Result<i64, Self::Error>;
    /// A text column the store never leaves NULL (`_etag`).
    fn required_text(&self, index: usize) -> Result<String, Self::Error>;
}

/// A document's key as its row holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKey<'a> {
    /// An objectid, uuid or string key, borrowed from the row.
    Text(&'a str),
    /// A key the store numbers (`id_type = "integer"`).
    Integer(i64),
}

/// What `Resource::write_row` read from a row besides writing it: the key, the last
/// change and the tag, which the page around the document needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowMeta<'a> {
    pub key: RowKey<'a>,
    pub updated: i64,
    pub etag: &'a str,
}

/// What a page writer learns of each document it wrote (`Read::list_written`).
pub struct Written<'a> {
    pub id: &'a str,
    pub etag: &'a str,
    pub updated: i64,
}

pub trait Read {
    /// The number of documents `selection` matches (all pages) and the page it asks for.
    fn list<R: Resource>(
        &self,
        info: &'static ResourceInfo,
        selection: &Selection<'_>,
    ) -> Result<(i64, Vec<R>), ApiError>;

    /// What `list` reads, written straight into `out` as a JSON array's items (each
    /// document's fields, by `Resource::write_row`, with no document built in
    /// between), calling `each` after each document's closing brace. Answers the
    /// number of documents `selection` matches (all pages).
    fn list_written<R: Resource>(
        &self,
        info: &'static ResourceInfo,
        selection: &Selection<'_>,
        out: &mut Vec<u8>,
        each: &mut dyn FnMut(&mut Vec<u8>, Written<'_>),
    ) -> Result<i64, ApiError>;

    /// The number of documents `selection` matches (its `page` ignored), counted by
    /// the store without reading them.
    fn count(
        &self,
        info: &'static ResourceInfo,
        selection: &Selection<'_>,
    ) -> Result<i64, ApiError>;

    /// The documents `selection` matches (its `page` ignored), in its order, `window`
    /// of them: how Rust code reads (`endpoint::Data::find`), where a skip need not be
    /// a whole number of pages.
    fn find<R: Resource>(
        &self,
        info: &'static ResourceInfo,
        selection: &Selection<'_>,
        window: Window,
    ) -> Result<Vec<R>, ApiError>;

    /// The document `key` names inside `scope` (and the datasource filter).
    fn get<R: Resource>(
        &self,
        info: &'static ResourceInfo,
        key: ItemKey<'_>,
        scope: &Scope,
    ) -> Result<Option<R>, ApiError>;

    /// The documents of `R` (inside its datasource filter) whose `field` holds one of
    /// `values`, in no particular order: embedding reads the references of a page so.
    /// With `owner` (`(auth_field, user)`), only that user's documents.
    fn find_in<R: Resource>(
        &self,
        field: &str,
        values: &[Value],
        owner: Option<(&str, &str)>,
    ) -> Result<Vec<R>, ApiError>;
}

/// What a request may do inside the write transaction.
pub trait Write: Read {
    /// The `_etag` of the document `id` names inside `scope`.
    fn etag(
        &self,
        info: &'static ResourceInfo,
        id: &str,
        scope: &Scope,
    ) -> Result<Option<String>, ApiError>;

    fn insert(
        &self,
        info: &'static ResourceInfo,
        document: NewDocument<'_>,
    ) -> Result<Inserted, ApiError>;

    /// Store `document` over `original`: the meta fields, and only the fields whose
    /// value changed, so indexes of untouched fields are not rewritten.
    fn update(
        &self,
        info: &'static ResourceInfo,
        document: &Map<String, Value>,
        original: &Map<String, Value>,
        meta: (i64, &str, &str),
    ) -> Result<(), ApiError>;

    /// Delete the document `id` names (inside the datasource filter).
    fn delete(&self, info: &'static ResourceInfo, id: &str) -> Result<(), ApiError>;

    /// Delete every document inside `scope` and the datasource filter.
    fn delete_all(&self, info: &'static ResourceInfo, scope: &Scope) -> Result<(), ApiError>;

    /// Whether a document other than `own_id` holds `value` in the unique `field`.
    fn is_taken(
        &self,
        info: &'static ResourceInfo,
        field: &Field,
        value: &Value,
        own_id: &str,
    ) -> Result<bool, ApiError>;

    /// Whether `value` names a document the related resource serves: in its table and
    /// inside its datasource filter (as Eve checks a `data_relation` with `find_one` on
    /// the resource).
    fn related_exists(&self, relation: &Relation, value: &Value) -> Result<bool, ApiError>;

    /// Whether the document `id` names is inside the resource's datasource filter
    /// (always, without one).
    fn is_visible(&self, info: &'static ResourceInfo, id: &str) -> Result<bool, ApiError>;

    /// Run `work` as one step of the transaction: when it fails, what it wrote is
    /// undone and the transaction goes on as before it (a savepoint). A write from
    /// Rust (`endpoint::Tx`) is all or none even when its caller goes on after its
    /// error.
    fn atomically<T>(&self, work: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError>;
}

/// Give every nullable field that the document leaves out an explicit `null`, so a
/// document's tag is the same whether it was just written or read back.
pub fn fill_nulls(fields: &'static [Field], document: &mut Map<String, Value>) {
    for field in fields.iter().filter(|f| f.nullable) {
        document.entry(field.name).or_insert(Value::Null);
    }
}

/// A stored dict or list as a JSON value (for PATCH merging and hooks).
pub fn parse_raw(raw: &serde_json::value::RawValue) -> Value {
    serde_json::from_str(raw.get()).unwrap_or(Value::Null)
}

/// Check `unique` fields against stored documents (other than `own_id`) and against the
/// documents inserted earlier in the same request, and `data_relation` fields against
/// the related resource. Runs inside the write transaction, so no other writer can
/// slip a duplicate in between the check and the insert.
pub fn check_constraints(
    tx: &impl Write,
    info: &'static ResourceInfo,
    document: &Map<String, Value>,
    own_id: &str,
    batch: &[Map<String, Value>],
    changed: impl Fn(&str) -> bool,
) -> Result<Issues, ApiError> {
    let mut issues = Issues::new();
    for field in info.fields {
        let Some(value) = document.get(field.name).filter(|v| !v.is_null()) else {
            continue;
        };
        if !changed(field.name) {
            continue;
        }
        if field.unique {
            let taken = tx.is_taken(info, field, value, own_id)?
                || batch
                    .iter()
                    .any(|other| other.get(field.name) == Some(value));
            if taken {
                issues.add(field.name, validate::unique_message(value));
                continue;
            }
        }
        if let Some(relation) = field.relation {
            if !tx.related_exists(&relation, value)? {
                issues.add(
                    field.name,
                    validate::relation_message(value, relation.target.name, relation.field),
                );
            }
        } else if let (Kind::List, Some(items)) = (field.kind, field.items) {
            if let (Some(relation), Value::Array(values)) = (items.relation, value) {
                for value in values {
                    if !tx.related_exists(&relation, value)? {
                        issues.add(
                            field.name,
                            validate::relation_message(value, relation.target.name, relation.field),
                        );
                        break;
                    }
                }
            }
        }
    }
    Ok(issues)
}
