//! Eve's REST protocol, once, for every resource.
//!
//! Collection: GET (filter, sort, paginate), POST (one document or a bulk list),
//! DELETE. Item: GET, PUT (replace), PATCH (partial update), DELETE. Which of these a
//! resource answers is decided by its spec (`resource_methods`, `item_methods`) in
//! `router`; the handlers here are generic over `Resource`, so each is compiled for
//! each resource's own struct and SQL.

use std::hash::{Hash, Hasher};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::http::{self, ListParams};
use super::resource::Resource;
use super::state::AppState;
use super::validate::{self, Issues, Mode};
use super::{date, etag, objectid, query, store};

/// Meta fields a client may send back (say, a document it read) but never sets.
const READ_ONLY_META: [&str; 4] = ["_created", "_updated", "_etag", "_links"];

type Result<T, E = ApiError> = std::result::Result<T, E>;

/// GET on a collection: `_items`, `_meta`, `_links`.
pub async fn get_collection<R: Resource>(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let params = ListParams::parse(raw.as_deref(), R::PAGINATION_DEFAULT, R::PAGINATION_LIMIT)?;
    let mut condition = String::new();
    let mut values = Vec::new();
    if let Some(text) = params.filter.as_deref().filter(|t| !t.trim().is_empty()) {
        let filter = query::parse_where(text, R::FIELDS)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        condition.push_str(" WHERE ");
        query::compile_where(&filter, &mut condition, &mut values);
    }
    let mut order = String::from(" ORDER BY ");
    if let Some(text) = params.sort.as_deref() {
        let keys =
            query::parse_sort(text, R::FIELDS).map_err(|e| ApiError::bad_request(e.to_string()))?;
        if !keys.is_empty() {
            query::compile_sort(&keys, &mut order);
            order.push_str(", ");
        }
    }
    // Ties (and unsorted lists) keep insertion order, so pages never overlap. The page
    // size is a literal, not a parameter: SQLite (with STAT4) re-plans a cached
    // statement every time a LIMIT parameter is bound, which costs more than the
    // query. It is a validated integer no larger than the resource's cap.
    order.push_str(&format!("\"rowid\" LIMIT {} OFFSET ?", params.max_results));
    let offset = i64::from(params.page - 1) * i64::from(params.max_results);

    let (total, documents) = state.db.read(|conn| {
        let total: i64 = conn
            .prepare_cached(&format!("{}{condition}", R::COUNT))?
            .query_row(rusqlite::params_from_iter(values.iter()), |row| row.get(0))?;
        let page_values = values
            .iter()
            .cloned()
            .chain([rusqlite::types::Value::Integer(offset)]);
        let mut statement = conn.prepare_cached(&format!("{}{condition}{order}", R::SELECT))?;
        let documents = statement
            .query_map(rusqlite::params_from_iter(page_values), R::from_row)?
            .collect::<rusqlite::Result<Vec<R>>>()?;
        Ok((total, documents))
    })?;

    // The page's tag covers every document's tag and the paging, so it changes with
    // them. Each document's tag is already a SHA-1 of its content, so a 64-bit hash of
    // those is enough to tell pages apart, at a fraction of a second SHA-1's cost.
    let mut hasher = std::hash::DefaultHasher::new();
    (total, params.page, params.max_results).hash(&mut hasher);
    let mut last_modified = 0;
    for document in &documents {
        document.etag().hash(&mut hasher);
        last_modified = last_modified.max(document.updated());
    }
    let tag = format!("{:016x}", hasher.finish());
    let updated = (!documents.is_empty()).then_some(last_modified);
    if http::not_modified(&headers, &tag, updated.unwrap_or(i64::MAX)) {
        return Ok(http::not_modified_response(&tag, updated));
    }

    let mut out = Vec::with_capacity(256 + documents.len() * 512);
    out.extend_from_slice(b"{\"_items\":[");
    for (i, document) in documents.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_document(&mut out, document, DocumentLinks::SelfOnly);
    }
    out.extend_from_slice(b"],\"_meta\":{\"page\":");
    out.extend_from_slice(params.page.to_string().as_bytes());
    out.extend_from_slice(b",\"max_results\":");
    out.extend_from_slice(params.max_results.to_string().as_bytes());
    out.extend_from_slice(b",\"total\":");
    out.extend_from_slice(total.to_string().as_bytes());
    out.extend_from_slice(b"},\"_links\":{");
    http::write_link(&mut out, "self", R::URL, R::URL);
    out.push(b',');
    http::write_link(&mut out, "parent", "home", "/");
    let last_page = ((total.max(0) as u64).div_ceil(u64::from(params.max_results))).max(1);
    if u64::from(params.page) < last_page {
        let next = format!("{}?{}", R::URL, params.link_query(params.page + 1));
        let last = format!("{}?{}", R::URL, params.link_query(last_page as u32));
        out.push(b',');
        http::write_link(&mut out, "next", "next page", &next);
        out.push(b',');
        http::write_link(&mut out, "last", "last page", &last);
    }
    if params.page > 1 {
        let prev = format!("{}?{}", R::URL, params.link_query(params.page - 1));
        out.push(b',');
        http::write_link(&mut out, "prev", "previous page", &prev);
    }
    out.extend_from_slice(b"}}");
    Ok(http::json_response(
        StatusCode::OK,
        out,
        Some(&tag),
        updated,
    ))
}

/// GET on an item.
pub async fn get_item<R: Resource>(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    if !objectid::is_valid(&id) {
        return Err(ApiError::not_found());
    }
    let document = state
        .db
        .read(|conn| {
            Ok(conn
                .prepare_cached(R::SELECT_BY_ID)?
                .query_row([&id], R::from_row)
                .optional()?)
        })?
        .ok_or_else(ApiError::not_found)?;
    if http::not_modified(&headers, document.etag(), document.updated()) {
        return Ok(http::not_modified_response(
            document.etag(),
            Some(document.updated()),
        ));
    }
    let mut out = Vec::with_capacity(512);
    write_document(&mut out, &document, DocumentLinks::Full);
    Ok(http::json_response(
        StatusCode::OK,
        out,
        Some(document.etag()),
        Some(document.updated()),
    ))
}

/// POST on a collection: one document, or a JSON list inserted all-or-nothing.
pub async fn post_collection<R: Resource>(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let payload = http::read_json(&headers, body, state.settings.max_body_bytes).await?;
    let (submitted, bulk) = match payload {
        Value::Object(document) => (vec![document], false),
        Value::Array(items) if !items.is_empty() => {
            let mut documents = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::Object(document) => documents.push(document),
                    _ => {
                        return Err(ApiError::bad_request(
                            "Every item of a bulk insert must be a JSON object",
                        ))
                    }
                }
            }
            (documents, true)
        }
        Value::Array(_) => {
            return Err(ApiError::bad_request(
                "A bulk insert needs at least one document",
            ))
        }
        _ => {
            return Err(ApiError::bad_request(
                "Send a JSON object, or a list of objects for a bulk insert",
            ))
        }
    };

    // Validate every document before touching the database; collect all outcomes.
    let mut outcomes: Vec<Result<(String, Map<String, Value>), Issues>> = submitted
        .into_iter()
        .map(|mut document| {
            let id = take_client_id(&mut document)?;
            strip_read_only(&mut document);
            let mut fields = validate::validate_document(R::FIELDS, document, Mode::Insert)?;
            store::fill_nulls(R::FIELDS, &mut fields);
            Ok((id, fields))
        })
        .collect();

    let now = date::now();
    let inserted = state
        .db
        .write(|tx| {
            let mut accepted: Vec<Map<String, Value>> = Vec::new();
            for outcome in outcomes.iter_mut() {
                if let Ok((id, fields)) = outcome {
                    let issues = store::check_constraints(
                        tx,
                        R::TABLE,
                        R::FIELDS,
                        fields,
                        id,
                        &accepted,
                        |_| true,
                    )?;
                    if issues.is_empty() {
                        // Later documents of the same request must not repeat its unique values.
                        if bulk {
                            accepted.push(fields.clone());
                        }
                    } else {
                        *outcome = Err(issues);
                    }
                }
            }
            let failed = outcomes.iter().filter(|o| o.is_err()).count();
            if failed > 0 {
                return Err(rejection(&outcomes, bulk, failed));
            }
            // Every outcome is Ok here: split them into ids and documents.
            let (ids, mut documents): (Vec<String>, Vec<Map<String, Value>>) =
                std::mem::take(&mut outcomes).into_iter().flatten().unzip();
            state.hooks.on_insert(R::NAME, &mut documents)?;
            let mut written = Vec::with_capacity(documents.len());
            let mut statement = tx.prepare_cached(R::INSERT)?;
            for (id, fields) in ids.into_iter().zip(documents.iter()) {
                let tag = etag::of_fields(fields);
                let mut values = vec![
                    rusqlite::types::Value::Text(id.clone()),
                    rusqlite::types::Value::Integer(now),
                    rusqlite::types::Value::Integer(now),
                    rusqlite::types::Value::Text(tag.clone()),
                ];
                values.extend(store::column_values(R::FIELDS, fields));
                match statement.execute(rusqlite::params_from_iter(values)) {
                    Ok(_) => written.push((id, tag)),
                    Err(error) if store::is_unique_violation(&error) => {
                        let mut issues = Issues::new();
                        issues.add("_id", format!("value '{id}' is not unique"));
                        return Err(ApiError::invalid(issues, "Insertion"));
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            Ok((written, documents))
        })
        .await?;
    let (written, documents) = inserted;
    state.hooks.on_inserted(R::NAME, &documents);

    let location = format!("{}/{}/{}", state.settings.prefix, R::URL, written[0].0);
    let mut out = Vec::with_capacity(256 * written.len());
    if bulk {
        out.extend_from_slice(b"{\"_status\":\"OK\",\"_items\":[");
        for (i, (id, tag)) in written.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_write_result::<R>(&mut out, id, now, now, tag);
        }
        out.extend_from_slice(b"]}");
    } else {
        let (id, tag) = &written[0];
        write_write_result::<R>(&mut out, id, now, now, tag);
    }
    let mut response = http::json_response(
        StatusCode::CREATED,
        out,
        (!bulk).then(|| written[0].1.as_str()),
        (!bulk).then_some(now),
    );
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// PATCH on an item: update the named fields (dotted keys reach into dicts).
pub async fn patch_item<R: Resource>(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    write_item::<R>(state, id, headers, body, Mode::Replace, true).await
}

/// PUT on an item: replace the whole document (defaults filled as on insert).
pub async fn put_item<R: Resource>(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    write_item::<R>(state, id, headers, body, Mode::Replace, false).await
}

async fn write_item<R: Resource>(
    state: AppState,
    id: String,
    headers: HeaderMap,
    body: Body,
    mode: Mode,
    is_patch: bool,
) -> Result<Response> {
    http::if_match(&headers)?.ok_or_else(ApiError::precondition_required)?;
    if !objectid::is_valid(&id) {
        return Err(ApiError::not_found());
    }
    let mut changes = match http::read_json(&headers, body, state.settings.max_body_bytes).await? {
        Value::Object(document) => document,
        _ => return Err(ApiError::bad_request("Send the document as a JSON object")),
    };
    changes.remove("_id");
    strip_read_only(&mut changes);

    let now = date::now();
    let (created, tag, fields, original_fields) = state
        .db
        .write(|tx| {
            let original = tx
                .prepare_cached(R::SELECT_BY_ID)?
                .query_row([&id], R::from_row)
                .optional()?
                .ok_or_else(ApiError::not_found)?;
            http::check_if_match(&headers, original.etag())?;
            let created = original.created();
            let original_fields = original.into_fields();
            let mut fields = if is_patch {
                validate::apply_patch(R::FIELDS, &original_fields, changes.clone())
            } else {
                validate::validate_document(R::FIELDS, changes.clone(), mode)
            }
            .map_err(|issues| ApiError::invalid(issues, "Insertion"))?;
            store::fill_nulls(R::FIELDS, &mut fields);
            let issues =
                store::check_constraints(tx, R::TABLE, R::FIELDS, &fields, &id, &[], |name| {
                    fields.get(name) != original_fields.get(name)
                })?;
            if !issues.is_empty() {
                return Err(ApiError::invalid(issues, "Insertion"));
            }
            if is_patch {
                state.hooks.on_update(R::NAME, &changes, &original_fields)?;
            } else {
                state.hooks.on_replace(R::NAME, &fields, &original_fields)?;
            }
            let tag = etag::of_fields(&fields);
            store::update_changed(
                tx,
                R::TABLE,
                R::FIELDS,
                &fields,
                &original_fields,
                (now, &tag, &id),
            )?;
            Ok((created, tag, fields, original_fields))
        })
        .await?;
    // "After" hooks run once the write is committed.
    if is_patch {
        state.hooks.on_updated(R::NAME, &changes, &original_fields);
    } else {
        state.hooks.on_replaced(R::NAME, &fields, &original_fields);
    }
    let mut out = Vec::with_capacity(256);
    write_write_result::<R>(&mut out, &id, created, now, &tag);
    Ok(http::json_response(
        StatusCode::OK,
        out,
        Some(&tag),
        Some(now),
    ))
}

/// DELETE on an item.
pub async fn delete_item<R: Resource>(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    http::if_match(&headers)?.ok_or_else(ApiError::precondition_required)?;
    if !objectid::is_valid(&id) {
        return Err(ApiError::not_found());
    }
    state
        .db
        .write(|tx| {
            let current: String = tx
                .prepare_cached(R::SELECT_ETAG)?
                .query_row([&id], |row| row.get(0))
                .optional()?
                .ok_or_else(ApiError::not_found)?;
            http::check_if_match(&headers, &current)?;
            state.hooks.on_delete_item(R::NAME, &id)?;
            tx.prepare_cached(R::DELETE_BY_ID)?.execute([&id])?;
            Ok(())
        })
        .await?;
    state.hooks.on_deleted_item(R::NAME, &id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// DELETE on a collection: every document goes.
pub async fn delete_collection<R: Resource>(State(state): State<AppState>) -> Result<Response> {
    state
        .db
        .write(|tx| {
            state.hooks.on_delete_resource(R::NAME)?;
            tx.prepare_cached(R::DELETE_ALL)?.execute([])?;
            Ok(())
        })
        .await?;
    state.hooks.on_deleted_resource(R::NAME);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A client may choose a new document's `_id` (Eve allows it); it must be well formed.
fn take_client_id(document: &mut Map<String, Value>) -> Result<String, Issues> {
    match document.remove("_id") {
        None => Ok(objectid::new_id()),
        Some(Value::String(id)) if objectid::is_valid(&id) => Ok(id.to_ascii_lowercase()),
        Some(_) => {
            let mut issues = Issues::new();
            issues.add("_id", "must be of objectid type");
            Err(issues)
        }
    }
}

fn strip_read_only(document: &mut Map<String, Value>) {
    for key in READ_ONLY_META {
        document.remove(key);
    }
}

/// The 422 for a rejected insert: `_issues` for one document, `_items` for a bulk list.
fn rejection(
    outcomes: &[Result<(String, Map<String, Value>), Issues>],
    bulk: bool,
    failed: usize,
) -> ApiError {
    if !bulk {
        if let Some(Err(issues)) = outcomes.first() {
            return ApiError::invalid(issues.clone(), "Insertion");
        }
    }
    let items = outcomes
        .iter()
        .map(|outcome| match outcome {
            Ok(_) => serde_json::json!({"_status": "OK"}),
            Err(issues) => serde_json::json!({"_status": "ERR", "_issues": issues.to_json()}),
        })
        .collect();
    ApiError::invalid_bulk(items, failed)
}

#[derive(Clone, Copy)]
enum DocumentLinks {
    /// In a collection: only `self`.
    SelfOnly,
    /// An item by itself: `self`, `parent` and `collection`.
    Full,
}

/// Serialize a document and append its `_links`.
fn write_document<R: Resource>(out: &mut Vec<u8>, document: &R, links: DocumentLinks) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, document).is_err() || out.last() != Some(&b'}') {
        out.truncate(start);
        out.extend_from_slice(b"{");
    } else {
        // Reopen the object to add `_links` after the fields.
        out.pop();
        out.push(b',');
    }
    out.extend_from_slice(b"\"_links\":{");
    http::write_item_link(out, "self", R::ITEM_TITLE, R::URL, document.id());
    if let DocumentLinks::Full = links {
        out.push(b',');
        http::write_link(out, "parent", "home", "/");
        out.push(b',');
        http::write_link(out, "collection", R::URL, R::URL);
    }
    out.extend_from_slice(b"}}");
}

/// The answer to a write: the document's meta fields and its `self` link.
fn write_write_result<R: Resource>(
    out: &mut Vec<u8>,
    id: &str,
    created: i64,
    updated: i64,
    tag: &str,
) {
    out.extend_from_slice(b"{\"_status\":\"OK\",\"_id\":");
    http::write_json_str(out, id);
    out.extend_from_slice(b",\"_created\":\"");
    out.extend_from_slice(&date::rfc1123(created));
    out.extend_from_slice(b"\",\"_updated\":\"");
    out.extend_from_slice(&date::rfc1123(updated));
    out.extend_from_slice(b"\",\"_etag\":\"");
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(b"\",\"_links\":{");
    http::write_item_link(out, "self", R::ITEM_TITLE, R::URL, id);
    out.extend_from_slice(b"}}");
}

/// Answer for routes that do not exist, in Eve's envelope.
pub async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// Answer for methods a route does not allow, in Eve's envelope.
pub async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
