//! Turning validated documents into SQL values, and the checks validation cannot make
//! without the database: `unique` and `data_relation`.

use rusqlite::types::Value as Sql;
use rusqlite::{OptionalExtension, Transaction};
use serde_json::{Map, Value};

use crate::catalog::{Field, Kind, Relation};
use crate::error::ApiError;
use crate::validate::{self, Issues};

/// The column values of a validated document, in catalog order.
pub fn column_values(fields: &'static [Field], document: &Map<String, Value>) -> Vec<Sql> {
    fields
        .iter()
        .map(|field| column_value(field, document))
        .collect()
}

/// The SQL value of one field of a document (absent and `null` are both NULL).
fn column_value(field: &Field, document: &Map<String, Value>) -> Sql {
    match document.get(field.name) {
        None | Some(Value::Null) => Sql::Null,
        Some(value) => to_sql(field, value),
    }
}

/// `UPDATE` a stored document: its meta columns and only the columns whose value
/// changed, so indexes on untouched columns (a `unique` field, say) are not
/// rewritten. One statement per set of changed columns, cached by SQLite's
/// statement cache.
pub fn update_changed(
    tx: &Transaction<'_>,
    table: &str,
    fields: &'static [Field],
    document: &Map<String, Value>,
    original: &Map<String, Value>,
    (updated, etag, id): (i64, &str, &str),
) -> rusqlite::Result<()> {
    let mut sql = format!(
        "UPDATE {} SET \"_updated\" = ?, \"_etag\" = ?",
        quote(table)
    );
    let mut values = vec![Sql::Integer(updated), Sql::Text(etag.to_string())];
    for field in fields {
        if document.get(field.name) == original.get(field.name) {
            continue;
        }
        sql.push_str(", ");
        sql.push_str(&quote(field.name));
        sql.push_str(" = ?");
        values.push(column_value(field, document));
    }
    sql.push_str(" WHERE \"_id\" = ?");
    values.push(Sql::Text(id.to_string()));
    tx.prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(values))?;
    Ok(())
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

/// A stored dict or list as a JSON value (for PATCH merging and hooks).
pub fn parse_raw(raw: &serde_json::value::RawValue) -> Value {
    serde_json::from_str(raw.get()).unwrap_or(Value::Null)
}

/// Give every nullable field that the document leaves out an explicit `null`, so a
/// document's tag is the same whether it was just written or read back.
pub fn fill_nulls(fields: &'static [Field], document: &mut Map<String, Value>) {
    for field in fields.iter().filter(|f| f.nullable) {
        document.entry(field.name).or_insert(Value::Null);
    }
}

/// Check `unique` fields against stored documents (other than `own_id`) and against the
/// documents inserted earlier in the same request, and `data_relation` fields against
/// the related resource. Runs inside the write transaction, so no other writer can
/// slip a duplicate in between the check and the insert.
pub fn check_constraints(
    tx: &Transaction<'_>,
    table: &str,
    fields: &'static [Field],
    document: &Map<String, Value>,
    own_id: &str,
    batch: &[Map<String, Value>],
    changed: impl Fn(&str) -> bool,
) -> Result<Issues, ApiError> {
    let mut issues = Issues::new();
    for field in fields {
        let Some(value) = document.get(field.name).filter(|v| !v.is_null()) else {
            continue;
        };
        if !changed(field.name) {
            continue;
        }
        if field.unique {
            // Names come from the spec, which allows only letters, digits and `_`.
            let sql = format!(
                "SELECT 1 FROM \"{table}\" WHERE \"{}\" = ? AND \"_id\" <> ? LIMIT 1",
                field.name
            );
            let taken = tx
                .prepare_cached(&sql)?
                .query_row(rusqlite::params![to_sql(field, value), own_id], |_| Ok(()))
                .optional()?
                .is_some()
                || batch
                    .iter()
                    .any(|other| other.get(field.name) == Some(value));
            if taken {
                issues.add(field.name, validate::unique_message(value));
                continue;
            }
        }
        if let Some(relation) = field.relation {
            if !related_exists(tx, &relation, value)? {
                issues.add(
                    field.name,
                    validate::relation_message(value, relation.resource, relation.field),
                );
            }
        } else if let (Kind::List, Some(items)) = (field.kind, field.items) {
            if let (Some(relation), Value::Array(values)) = (items.relation, value) {
                for value in values {
                    if !related_exists(tx, &relation, value)? {
                        issues.add(
                            field.name,
                            validate::relation_message(value, relation.resource, relation.field),
                        );
                        break;
                    }
                }
            }
        }
    }
    Ok(issues)
}

/// Whether `value` names a document the related resource serves: in its table and,
/// for a resource with a `datasource.filter`, inside that filter (as Eve checks a
/// `data_relation` with `find_one` on the resource).
fn related_exists(
    tx: &Transaction<'_>,
    relation: &Relation,
    value: &Value,
) -> Result<bool, ApiError> {
    let filter = relation
        .filter
        .map(|sql| format!(" AND ({sql})"))
        .unwrap_or_default();
    let sql = format!(
        "SELECT 1 FROM {} WHERE {} = ?{filter} LIMIT 1",
        quote(relation.table),
        quote(relation.field)
    );
    let key = match value {
        Value::String(s) => Sql::Text(s.clone()),
        Value::Number(n) => n.as_i64().map_or(Sql::Null, Sql::Integer),
        _ => return Ok(false),
    };
    Ok(tx
        .prepare_cached(&sql)?
        .query_row([key], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Whether a write failed on a UNIQUE index: a client error (422), not a server one.
pub fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// An SQL identifier, quoted. Names come from the spec, never from a client.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
