//! Documents as SQLite values, and stored JSON read back.

use rusqlite::types::Value as Sql;
use serde_json::{Map, Value};

use crate::catalog::{Field, Kind};
use crate::routes::IdType;

/// The column values of a validated document, in catalog order.
pub fn column_values(fields: &'static [Field], document: &Map<String, Value>) -> Vec<Sql> {
    fields
        .iter()
        .map(|field| column_value(field, document))
        .collect()
}

/// The SQL value of one field of a document (absent and `null` are both NULL).
pub fn column_value(field: &Field, document: &Map<String, Value>) -> Sql {
    match document.get(field.name) {
        None | Some(Value::Null) => Sql::Null,
        Some(value) => to_sql(field, value),
    }
}

/// One JSON value as the SQL value of `field`'s column.
pub fn to_sql(field: &Field, value: &Value) -> Sql {
    match (field.kind, value) {
        (_, Value::Null) => Sql::Null,
        (Kind::Dict | Kind::List, v) => Sql::Text(v.to_string()),
        (Kind::Datetime, Value::String(s)) => field.dates.parse(s).map_or(Sql::Null, Sql::Integer),
        (_, Value::String(s)) => Sql::Text(s.clone()),
        (Kind::Boolean, Value::Bool(b)) => Sql::Integer(i64::from(*b)),
        (Kind::Integer, Value::Number(n)) => n.as_i64().map_or(Sql::Null, Sql::Integer),
        (_, Value::Number(n)) => n.as_f64().map_or(Sql::Null, Sql::Real),
        (_, v) => Sql::Text(v.to_string()),
    }
}

/// A well-formed key (see `IdType::is_valid`) as the value bound to `"_id" = ?`.
pub fn id_value(id_type: IdType, key: &str) -> Sql {
    match id_type {
        IdType::Integer => key.parse::<i64>().map_or(Sql::Null, Sql::Integer),
        _ => Sql::Text(key.to_ascii_lowercase()),
    }
}

/// A sub-resource's path value (typed by `routes::Scope`) as a bound value.
pub fn path_value(value: &Value) -> Sql {
    match value {
        Value::Number(n) => n.as_i64().map_or(Sql::Null, Sql::Integer),
        Value::String(s) => Sql::Text(s.clone()),
        _ => Sql::Null,
    }
}

/// A reference (a `data_relation` value, or one being embedded) as the value it is
/// looked up by; a value that cannot name a row has none.
pub fn reference_value(value: &Value) -> Option<Sql> {
    match value {
        Value::String(s) => Some(Sql::Text(s.clone())),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(Sql::Integer(i)),
            None => n.as_f64().map(Sql::Real),
        },
        Value::Bool(b) => Some(Sql::Integer(i64::from(*b))),
        _ => None,
    }
}

/// The embedded store's rows are rusqlite's, read as the storage seam's `Row`.
impl crate::store::Row for rusqlite::Row<'_> {
    type Error = rusqlite::Error;

    fn text(&self, index: usize) -> rusqlite::Result<Option<String>> {
        self.get(index)
    }

    fn integer(&self, index: usize) -> rusqlite::Result<Option<i64>> {
        self.get(index)
    }

    fn real(&self, index: usize) -> rusqlite::Result<Option<f64>> {
        self.get(index)
    }

    fn boolean(&self, index: usize) -> rusqlite::Result<Option<bool>> {
        self.get(index)
    }

    fn json(&self, index: usize) -> rusqlite::Result<Option<Box<serde_json::value::RawValue>>> {
        raw_json_column(self, index)
    }

    fn text_ref(&self, index: usize) -> rusqlite::Result<Option<&str>> {
        match self.get_ref(index)? {
            rusqlite::types::ValueRef::Null => Ok(None),
            rusqlite::types::ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|error| rusqlite::Error::Utf8Error(index, error)),
            // Anything else is rusqlite's type error.
            _ => self.get::<_, String>(index).map(|_| None),
        }
    }

    fn json_ref(&self, index: usize) -> rusqlite::Result<Option<&str>> {
        self.text_ref(index)
    }

    fn key(&self, index: usize) -> rusqlite::Result<String> {
        // Integer keys (`INTEGER PRIMARY KEY`) are served as text inside the server.
        match self.get_ref(index)? {
            rusqlite::types::ValueRef::Integer(number) => Ok(number.to_string()),
            rusqlite::types::ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|error| rusqlite::Error::Utf8Error(index, error)),
            // Anything else is rusqlite's type error.
            _ => self.get(index),
        }
    }

    fn required_integer(&self, index: usize) -> rusqlite::Result<i64> {
        self.get(index)
    }

    fn required_text(&self, index: usize) -> rusqlite::Result<String> {
        self.get(index)
    }
}

/// Read a dict or list column (JSON text) as it is stored, to be copied into
/// responses without building a JSON tree.
pub fn raw_json_column(
    row: &rusqlite::Row<'_>,
    index: usize,
) -> rusqlite::Result<Option<Box<serde_json::value::RawValue>>> {
    match row.get::<_, Option<String>>(index)? {
        None => Ok(None),
        Some(text) => serde_json::value::RawValue::from_string(text)
            .map(Some)
            .map_err(|error| {
                rusqlite::Error::FromSqlConversionFailure(
                    index,
                    rusqlite::types::Type::Text,
                    Box::new(error),
                )
            }),
    }
}
