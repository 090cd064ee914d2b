//! Writing documents from Rust, for any resource: above all the internal ones
//! (`internal_resource = true`), which have no HTTP routes. Call it from a hook that
//! is given the write transaction (`Hooks::on_insert_tx`), so the document is written
//! (or rolled back) together with the request's own.

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::resource::{Resource, ResourceInfo};
use crate::store::{self, Inserted, NewDocument, Write};
use crate::validate::{self, Mode};
use crate::{date, etag};

/// Insert one document into `R`'s table inside `tx` (the write transaction a hook is
/// given), checked as a POST would check it (rules, defaults, `unique`,
/// `data_relation`): its new `_id`, or the 422.
pub fn insert<R: Resource>(
    tx: &impl Write,
    document: Map<String, Value>,
) -> Result<String, ApiError> {
    insert_into(R::INFO, tx, document)
}

fn insert_into(
    info: &'static ResourceInfo,
    tx: &impl Write,
    document: Map<String, Value>,
) -> Result<String, ApiError> {
    let mut fields = validate::validate_document(info.fields, document, Mode::Insert)
        .map_err(|issues| ApiError::invalid(issues, "Insertion"))?;
    store::fill_nulls(info.fields, &mut fields);
    let id = info.new_id.map(|new_id| new_id());
    let issues =
        store::check_constraints(tx, info, &fields, id.as_deref().unwrap_or(""), &[], |_| {
            true
        })?;
    if !issues.is_empty() {
        return Err(ApiError::invalid(issues, "Insertion"));
    }
    let now = date::now();
    let tag = etag::of_fields(&fields);
    let document = NewDocument {
        id: id.as_deref(),
        created: now,
        updated: now,
        etag: &tag,
        fields: &fields,
    };
    match tx.insert(info, document)? {
        Inserted::Id(id) => Ok(id),
        Inserted::Duplicate => {
            let mut issues = validate::Issues::new();
            issues.add(
                "_id",
                format!("value '{}' is not unique", id.unwrap_or_default()),
            );
            Err(ApiError::invalid(issues, "Insertion"))
        }
    }
}
