//! The storage schema: what tables a generated API keeps, as data, in no database's
//! words.
//!
//! Each resource that owns a table declares a `static TABLE: Table` (resources that
//! serve another one's table, `datasource.source`, point at that one); the API lists
//! them all in `Api::TABLES`. A dialect turns them into its text — `sqlite::ddl` makes
//! the `CREATE TABLE` and `CREATE INDEX` statements, `sqlite::statements` the queries —
//! and the generator records the same schema in `apigen.json`, so a later
//! regeneration can tell what changed.
//!
//! Every table has the same meta columns besides its own: the key `_id` (typed by
//! [`Key`]) first, then the resource's fields in spec order ([`Table::columns`]), then
//! [`META`] (`_created`, `_updated`, `_etag`). Documents are read in that order.

/// What a column holds: the value's kind, not any database's type name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// Unicode text (strings, objectids).
    Text,
    /// A 64-bit signed integer.
    Integer,
    /// A 64-bit float (`float` and `number` fields).
    Real,
    /// true or false.
    Boolean,
    /// An instant: whole seconds since 1970-01-01T00:00:00Z, before or after it.
    Datetime,
    /// A JSON document (dicts, lists, GeoJSON geometries), stored as its text.
    Json,
    /// Bytes: a media file's content (the `media` table).
    Blob,
}

impl ColumnType {
    /// The type's name in the manifest (`apigen.json`).
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Integer => "integer",
            ColumnType::Real => "real",
            ColumnType::Boolean => "boolean",
            ColumnType::Datetime => "datetime",
            ColumnType::Json => "json",
            ColumnType::Blob => "blob",
        }
    }
}

/// One column of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The column's name: the field's name on the wire.
    pub name: &'static str,
    pub ty: ColumnType,
}

impl Column {
    pub const fn new(name: &'static str, ty: ColumnType) -> Column {
        Column { name, ty }
    }
}

/// The key column `_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// Text chosen by the server or the client (objectids, UUIDs).
    Text,
    /// An integer the database numbers (1, 2, ...) when an insert leaves it out, never
    /// reusing the number of a deleted row.
    Integer,
}

/// The name of the key column.
pub const KEY: &str = "_id";

/// The meta columns every table has after its own, in order.
pub const META: [Column; 3] = [
    Column::new("_created", ColumnType::Datetime),
    Column::new("_updated", ColumnType::Datetime),
    Column::new("_etag", ColumnType::Text),
];

/// The direction of an index column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

/// An index: a unique one (a `unique` field) or a secondary one (the spec's `indexes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Index {
    /// The index's name in the database, unique in it (`people_lastname_unique`).
    pub name: &'static str,
    /// The columns, in order, each with its direction.
    pub columns: &'static [(&'static str, Order)],
    /// No two rows may hold the same values in these columns (nulls aside).
    pub unique: bool,
}

/// A table: its key, its own columns and its indexes.
#[derive(Debug, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub key: Key,
    /// The resource's fields, in spec order; the meta columns are not listed.
    pub columns: &'static [Column],
    pub indexes: &'static [Index],
}

/// The placeholder table of `ResourceInfo::DEFAULTS`; every resource names its own.
pub static NO_TABLE: Table = Table {
    name: "",
    key: Key::Text,
    columns: &[],
    indexes: &[],
};

/// One change to the stored schema between two versions of a spec: what a migration
/// does, in no database's words. The generator finds them by comparing the schema
/// `apigen.json` recorded with the spec's new one; `sqlite::migrate::script` writes
/// them as SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<'a> {
    /// A new resource's table, with its indexes.
    CreateTable(&'a Table),
    /// A resource renamed (`renamed_from`): its documents kept.
    RenameTable { from: &'a str, to: &'a str },
    /// A resource removed from the spec (`apigen generate --allow-drop`): its
    /// documents go with it.
    DropTable { table: &'a str },
    /// A new field. Documents already stored get `fill` (the field's default, as a
    /// client would write it), or nothing.
    AddColumn {
        table: &'a str,
        column: &'a str,
        ty: ColumnType,
        fill: Option<&'a serde_json::Value>,
    },
    /// A field renamed (`renamed_from`): its values kept.
    RenameColumn {
        table: &'a str,
        from: &'a str,
        to: &'a str,
    },
    /// A field removed from the spec (`--allow-drop`): its values go with it.
    DropColumn { table: &'a str, column: &'a str },
    /// A new index, or a new `unique` (refused when stored documents already share a
    /// value).
    CreateIndex { table: &'a str, index: &'a Index },
    /// An index no longer in the spec (or renamed with its table).
    DropIndex { name: &'a str },
}
