//! Writing documents from Rust, for any resource: above all the internal ones
//! (`internal_resource = true`), which have no HTTP routes. Call it from a hook that
//! is given the write transaction (`Hooks::on_insert_tx`), so the document is written
//! (or rolled back) together with the request's own.

use rusqlite::types::Value as Sql;
use rusqlite::Transaction;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::resource::{Resource, ResourceInfo};
use crate::validate::{self, Mode};
use crate::{date, etag, store};

/// Insert one document into `R`'s table inside `tx`, checked as a POST would check
/// it (rules, defaults, `unique`, `data_relation`): its new `_id`, or the 422.
pub fn insert<R: Resource>(
    tx: &Transaction<'_>,
    document: Map<String, Value>,
) -> Result<String, ApiError> {
    insert_into(R::INFO, tx, document)
}

fn insert_into(
    info: &'static ResourceInfo,
    tx: &Transaction<'_>,
    document: Map<String, Value>,
) -> Result<String, ApiError> {
    let mut fields = validate::validate_document(info.fields, document, Mode::Insert)
        .map_err(|issues| ApiError::invalid(issues, "Insertion"))?;
    store::fill_nulls(info.fields, &mut fields);
    let id = info.new_id.map(|new_id| new_id());
    let issues = store::check_constraints(
        tx,
        info.table,
        info.fields,
        &fields,
        id.as_deref().unwrap_or(""),
        &[],
        |_| true,
    )?;
    if !issues.is_empty() {
        return Err(ApiError::invalid(issues, "Insertion"));
    }
    let now = date::now();
    let mut values = vec![
        id.as_deref().map_or(Sql::Null, |id| info.id_type.sql(id)),
        Sql::Integer(now),
        Sql::Integer(now),
        Sql::Text(etag::of_fields(&fields)),
    ];
    values.extend(store::column_values(info.fields, &fields));
    tx.prepare_cached(info.insert)?
        .execute(rusqlite::params_from_iter(values))?;
    Ok(id.unwrap_or_else(|| tx.last_insert_rowid().to_string()))
}
