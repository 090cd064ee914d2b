//! Eve's soft delete (`soft_delete`): a DELETE marks a document `_deleted` instead of
//! removing it, GETs hide it, a PATCH or PUT brings it back.
//!
//! What a soft-deleted resource changes in the protocol is decided here, from its
//! `ResourceInfo`, and called from `handlers` at a few points: what a client may send,
//! which documents a collection GET shows, what a GET of a deleted document answers,
//! and what DELETE writes. A resource without `soft_delete` never reaches this code.
//! Its storage: `_deleted` is a column of the resource's table (a field the generator
//! adds to the catalog, so `where`, `projection` and the migrations know it).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use crate::db::Writer;
use crate::error::ApiError;
use crate::query::Filter;
use crate::resource::{Resource, ResourceInfo};
use crate::routes::Scope;
use crate::store::{Read as _, Selection, Write as _};
use crate::validate::{Issues, UNKNOWN_FIELD};
use crate::{etag, versioning};

/// Eve's `DELETED`: the field that marks a soft-deleted document.
pub const DELETED: &str = "_deleted";

/// Eve's `SHOW_DELETED_PARAM`: the query parameter that lists deleted documents too.
pub const SHOW_DELETED_PARAM: &str = "show_deleted";

/// The fields a client may not send to a resource, though its documents have them:
/// the server keeps them. Eve does not know them as schema fields, so it answers
/// "unknown field"; so does this.
pub fn refuse_kept_fields(info: &ResourceInfo, document: &Map<String, Value>, issues: &mut Issues) {
    if info.soft_delete && document.contains_key(DELETED) {
        issues.add(DELETED, UNKNOWN_FIELD);
    }
    if info.versioning.is_some() && document.contains_key(crate::versioning::VERSION) {
        issues.add(crate::versioning::VERSION, UNKNOWN_FIELD);
    }
}

/// [`refuse_kept_fields`] for an item write (PUT, PATCH): 422 when the body has them.
pub fn check_item_write(
    info: &ResourceInfo,
    document: &Map<String, Value>,
) -> Result<(), ApiError> {
    let mut issues = Issues::new();
    refuse_kept_fields(info, document, &mut issues);
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(issues, "Insertion"))
    }
}

/// Mark a new or rewritten document live (POST, PUT, PATCH: a write restores).
pub fn set_live(info: &ResourceInfo, fields: &mut Map<String, Value>) {
    if info.soft_delete {
        fields.insert(DELETED.to_string(), Value::Bool(false));
    }
}

/// The members a write's answer adds for them (Eve's `auto_fields`): `_deleted`, and
/// `_version` and `_latest_version` (the same: a write makes the latest version).
pub fn write_kept_fields(info: &ResourceInfo, out: &mut Vec<u8>, fields: &Map<String, Value>) {
    if info.soft_delete {
        out.extend_from_slice(if is_deleted(fields) {
            b",\"_deleted\":true"
        } else {
            b",\"_deleted\":false"
        });
    }
    if info.versioning.is_some() {
        let version = fields
            .get(versioning::VERSION)
            .and_then(Value::as_i64)
            .unwrap_or(1);
        for name in [versioning::VERSION, versioning::LATEST_VERSION] {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
            out.extend_from_slice(version.to_string().as_bytes());
        }
    }
}

/// Whether a stored document is soft-deleted.
pub fn is_deleted(fields: &Map<String, Value>) -> bool {
    fields.get(DELETED) == Some(&Value::Bool(true))
}

/// Soft-delete the stored document `id` (`original`: its fields): mark it
/// `_deleted`, with a new `_etag` and `_updated` (and, versioned, a new version), as
/// Eve's DELETE does with `soft_delete`. A document deleted already is left as it is.
pub fn mark_deleted(
    tx: &Writer<'_>,
    info: &'static ResourceInfo,
    id: &str,
    original: &Map<String, Value>,
    now: i64,
) -> Result<(), ApiError> {
    if is_deleted(original) {
        return Ok(());
    }
    let mut fields = original.clone();
    fields.insert(DELETED.to_string(), Value::Bool(true));
    versioning::set_next(info, &mut fields, original);
    let tag = etag::of_fields(&fields);
    versioning::before_rewrite(tx, info, id)?;
    tx.update(info, &fields, original, (now, &tag, id))?;
    versioning::after_write(tx, info, id)
}

/// DELETE on a soft-delete collection: every live document in `scope` is marked
/// deleted (Eve deletes each as an item, without the item hooks), and each gets the
/// oplog entry a soft-deleted item gets (a DELETE holding the marked document), so a
/// reader of the oplog misses none.
pub fn mark_all_deleted<R: Resource>(
    tx: &Writer<'_>,
    scope: &Scope,
    client: &crate::oplog::Client,
    now: i64,
) -> Result<(), ApiError> {
    let info = R::INFO;
    let selection = Selection {
        scope,
        filter: None,
        sort: &[],
        page: None,
        hide_deleted: true,
    };
    let (_, live) = tx.list::<R>(info, &selection)?;
    for document in live {
        let id = document.id().to_string();
        let created = document.created();
        let fields = document.into_fields();
        mark_deleted(tx, info, &id, &fields, now)?;
        crate::oplog::deleted(tx, info, client, &id, Some((created, now, &fields)))?;
    }
    Ok(())
}

/// Whether a collection GET hides soft-deleted documents: on a soft-delete resource,
/// unless the query string has `show_deleted` or the client's `where` names
/// `_deleted` itself (Eve's `query_contains_field`), so `where={"_deleted": true}`
/// finds them.
pub fn hides_deleted(
    info: &ResourceInfo,
    raw_query: Option<&str>,
    filter: Option<&Filter>,
) -> bool {
    if !info.soft_delete {
        return false;
    }
    let shown = raw_query.is_some_and(|query| {
        form_urlencoded::parse(query.as_bytes()).any(|(key, _)| key == SHOW_DELETED_PARAM)
    });
    !shown && !filter.is_some_and(|filter| names(filter, DELETED))
}

/// Whether `filter` has a condition on `field`.
fn names(filter: &Filter, field: &str) -> bool {
    match filter {
        Filter::And(all) | Filter::Or(all) | Filter::Nor(all) => {
            all.iter().any(|f| names(f, field))
        }
        Filter::Cond(condition) => condition.field == field,
    }
}

/// Eve's answer to a GET of a soft-deleted document: 404, with the deleted document
/// (`body`: its JSON object, `_links` included) and Eve's error members, so a client
/// can restore it with the `_etag` it reads there. Eve sets `_status` to the tuple
/// `("ERR",)`, which its JSON encoder writes as a list: `["ERR"]`.
pub fn deleted_response(mut body: Vec<u8>, etag: &str, updated: i64) -> Response {
    if body.last() == Some(&b'}') {
        body.pop();
        if body.last() != Some(&b'{') {
            body.push(b',');
        }
        body.extend_from_slice(
            b"\"_status\":[\"ERR\"],\"_error\":{\"code\":404,\"message\":\"The requested URL was not found on this server.\"}}",
        );
    }
    crate::http::json_response(StatusCode::NOT_FOUND, body, Some(etag), Some(updated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Field, Kind};
    use crate::date::RFC1123;
    use crate::query::parse_where;

    static FIELDS: &[Field] = &[
        Field::new("title", Kind::String),
        Field::new(DELETED, Kind::Boolean),
    ];
    static BOOKS: ResourceInfo = ResourceInfo {
        name: "books",
        fields: FIELDS,
        soft_delete: true,
        ..ResourceInfo::DEFAULTS
    };
    static PLAIN: ResourceInfo = ResourceInfo {
        name: "plain",
        fields: FIELDS,
        ..ResourceInfo::DEFAULTS
    };

    #[test]
    fn collection_gets_hide_deleted_documents_unless_asked() {
        assert!(hides_deleted(&BOOKS, None, None));
        assert!(hides_deleted(&BOOKS, Some("page=2"), None));
        assert!(!hides_deleted(&BOOKS, Some("show_deleted"), None));
        assert!(!hides_deleted(
            &BOOKS,
            Some("page=1&show_deleted=true"),
            None
        ));
        let deleted = parse_where(r#"{"$or": [{"_deleted": true}]}"#, FIELDS, &RFC1123).unwrap();
        assert!(!hides_deleted(&BOOKS, None, Some(&deleted)));
        let title = parse_where(r#"{"title": "x"}"#, FIELDS, &RFC1123).unwrap();
        assert!(hides_deleted(&BOOKS, None, Some(&title)));
        assert!(
            !hides_deleted(&PLAIN, None, None),
            "no soft_delete: nothing hidden"
        );
    }

    #[test]
    fn the_404_of_a_deleted_document_carries_it() {
        let response = deleted_response(br#"{"_id":"a","_deleted":true}"#.to_vec(), "tag", 0);
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
