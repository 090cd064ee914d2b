//! Eve's REST protocol, once, for every resource.
//!
//! Collection: GET (filter, sort, paginate), POST (one document or a bulk list),
//! DELETE. Item: GET, PUT (replace), PATCH (partial update), DELETE. Which of these a
//! resource answers is decided by its spec (`resource_methods`, `item_methods`) in
//! `router`. Each handler is a thin generic wrapper: the protocol itself reads only the
//! resource's `ResourceInfo` and is compiled once, while reading rows into the
//! resource's struct and serializing it stay specific to it.

use std::hash::{Hash, Hasher};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::http::{self, ListParams};
use super::resource::{Resource, ResourceInfo};
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
    let info = R::INFO;
    let list = ListQuery::parse(info, raw.as_deref())?;
    let (total, documents) = state.db.read(|conn| {
        let total = list.count(conn, info)?;
        let documents = conn
            .prepare_cached(&list.page_sql(info))?
            .query_map(rusqlite::params_from_iter(list.page_values()), R::from_row)?
            .collect::<rusqlite::Result<Vec<R>>>()?;
        Ok((total, documents))
    })?;
    let mut page = Page::new(&list, total, documents.len());
    for document in &documents {
        page.add(document.etag(), document.updated());
        write_document(&mut page.items, document, DocumentLinks::SelfOnly);
    }
    Ok(page.finish(info, &list, &headers))
}

/// A collection GET's query string, checked and compiled to SQL.
struct ListQuery {
    params: ListParams,
    /// ` WHERE ...` or nothing.
    condition: String,
    /// ` ORDER BY ... LIMIT n OFFSET ?`
    order: String,
    values: Vec<rusqlite::types::Value>,
    /// Parameters of the ORDER BY (a `$near` distance), bound after `values`.
    order_values: Vec<rusqlite::types::Value>,
    /// The OFFSET parameter, bound after `values` and `order_values`.
    offset: rusqlite::types::Value,
}

impl ListQuery {
    fn parse(info: &ResourceInfo, raw: Option<&str>) -> Result<ListQuery> {
        let params = ListParams::parse(raw, info.pagination_default, info.pagination_limit)?;
        let mut condition = String::new();
        let mut values = Vec::new();
        let mut near = None;
        if let Some(text) = params.filter.as_deref() {
            let filter = query::parse_where(text, info.fields)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            condition.push_str(" WHERE ");
            query::compile_where(&filter, &mut condition, &mut values);
            near = query::near_order(&filter);
        }
        let mut order = String::from(" ORDER BY ");
        let mut sorted = false;
        if let Some(text) = params.sort.as_deref() {
            let keys = query::parse_sort(text, info.fields)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            if !keys.is_empty() {
                query::compile_sort(&keys, &mut order);
                order.push_str(", ");
                sorted = true;
            }
        }
        // `$near` answers nearest first, unless the client sorts (as in MongoDB).
        let mut order_values = Vec::new();
        if let (Some((distance, near_values)), false) = (near, sorted) {
            order.push_str(&distance);
            order.push_str(", ");
            order_values = near_values;
        }
        // Ties (and unsorted lists) keep insertion order, so pages never overlap. The
        // page size is a literal, not a parameter: SQLite (with STAT4) re-plans a
        // cached statement every time a LIMIT parameter is bound, which costs more
        // than the query. It is a validated integer no larger than the resource's cap.
        order.push_str(&format!("\"rowid\" LIMIT {} OFFSET ?", params.max_results));
        let offset = i64::from(params.page - 1) * i64::from(params.max_results);
        let offset = rusqlite::types::Value::Integer(offset);
        Ok(ListQuery {
            params,
            condition,
            order,
            values,
            order_values,
            offset,
        })
    }

    fn count(&self, conn: &rusqlite::Connection, info: &ResourceInfo) -> Result<i64> {
        Ok(conn
            .prepare_cached(&format!("{}{}", info.count, self.condition))?
            .query_row(rusqlite::params_from_iter(self.values.iter()), |row| {
                row.get(0)
            })?)
    }

    fn page_sql(&self, info: &ResourceInfo) -> String {
        format!("{}{}{}", info.select, self.condition, self.order)
    }

    fn page_values(&self) -> impl Iterator<Item = &rusqlite::types::Value> {
        self.values
            .iter()
            .chain(&self.order_values)
            .chain(std::iter::once(&self.offset))
    }
}

/// A collection page being written: its items, its tag and its last change.
struct Page {
    items: Vec<u8>,
    total: i64,
    hasher: std::hash::DefaultHasher,
    last_modified: Option<i64>,
}

impl Page {
    fn new(list: &ListQuery, total: i64, documents: usize) -> Page {
        // The page's tag covers every document's tag and the paging, so it changes
        // with them. Each document's tag is already a SHA-1 of its content, so a 64-bit
        // hash of those is enough to tell pages apart.
        let mut hasher = std::hash::DefaultHasher::new();
        (total, list.params.page, list.params.max_results).hash(&mut hasher);
        let mut items = Vec::with_capacity(256 + documents * 512);
        items.extend_from_slice(b"{\"_items\":[");
        Page {
            items,
            total,
            hasher,
            last_modified: None,
        }
    }

    fn add(&mut self, etag: &str, updated: i64) {
        if self.last_modified.is_some() {
            self.items.push(b',');
        }
        etag.hash(&mut self.hasher);
        self.last_modified = Some(self.last_modified.map_or(updated, |t| t.max(updated)));
    }

    /// `_meta`, `_links`, the validators, or 304 when the client has this page.
    fn finish(self, info: &ResourceInfo, list: &ListQuery, headers: &HeaderMap) -> Response {
        let tag = format!("{:016x}", self.hasher.finish());
        if http::not_modified(headers, &tag, self.last_modified.unwrap_or(i64::MAX)) {
            return http::not_modified_response(&tag, self.last_modified);
        }
        let params = &list.params;
        let total = self.total;
        let mut out = self.items;
        out.extend_from_slice(b"],\"_meta\":{\"page\":");
        out.extend_from_slice(params.page.to_string().as_bytes());
        out.extend_from_slice(b",\"max_results\":");
        out.extend_from_slice(params.max_results.to_string().as_bytes());
        out.extend_from_slice(b",\"total\":");
        out.extend_from_slice(total.to_string().as_bytes());
        out.extend_from_slice(b"},\"_links\":{");
        http::write_link(&mut out, "self", info.url, info.url);
        out.push(b',');
        http::write_link(&mut out, "parent", "home", "/");
        let last_page = ((total.max(0) as u64).div_ceil(u64::from(params.max_results))).max(1);
        if u64::from(params.page) < last_page {
            let next = format!("{}?{}", info.url, params.link_query(params.page + 1));
            let last = format!("{}?{}", info.url, params.link_query(last_page as u32));
            out.push(b',');
            http::write_link(&mut out, "next", "next page", &next);
            out.push(b',');
            http::write_link(&mut out, "last", "last page", &last);
        }
        if params.page > 1 {
            let prev = format!("{}?{}", info.url, params.link_query(params.page - 1));
            out.push(b',');
            http::write_link(&mut out, "prev", "previous page", &prev);
        }
        out.extend_from_slice(b"}}");
        http::json_response(StatusCode::OK, out, Some(&tag), self.last_modified)
    }
}

/// GET on an item.
pub async fn get_item<R: Resource>(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let info = R::INFO;
    if !objectid::is_valid(&id) {
        return Err(ApiError::not_found());
    }
    let document = state
        .db
        .read(|conn| {
            Ok(conn
                .prepare_cached(info.select_by_id)?
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
    post(R::INFO, state, headers, body).await
}

async fn post(
    info: &'static ResourceInfo,
    state: AppState,
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
            let mut fields = validate::validate_document(info.fields, document, Mode::Insert)?;
            store::fill_nulls(info.fields, &mut fields);
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
                        info.table,
                        info.fields,
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
            state.hooks.on_insert(info.name, &mut documents)?;
            let mut written = Vec::with_capacity(documents.len());
            let mut statement = tx.prepare_cached(info.insert)?;
            for (id, fields) in ids.into_iter().zip(documents.iter()) {
                let tag = etag::of_fields(fields);
                let mut values = vec![
                    rusqlite::types::Value::Text(id.clone()),
                    rusqlite::types::Value::Integer(now),
                    rusqlite::types::Value::Integer(now),
                    rusqlite::types::Value::Text(tag.clone()),
                ];
                values.extend(store::column_values(info.fields, fields));
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
    state.hooks.on_inserted(info.name, &documents);

    let location = format!("{}/{}/{}", state.settings.prefix, info.url, written[0].0);
    let mut out = Vec::with_capacity(256 * written.len());
    if bulk {
        out.extend_from_slice(b"{\"_status\":\"OK\",\"_items\":[");
        for (i, (id, tag)) in written.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_write_result(info, &mut out, id, now, now, tag);
        }
        out.extend_from_slice(b"]}");
    } else {
        let (id, tag) = &written[0];
        write_write_result(info, &mut out, id, now, now, tag);
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
    write_item(R::INFO, load::<R>, Write::Patch, state, id, headers, body).await
}

/// PUT on an item: replace the whole document (defaults filled as on insert).
pub async fn put_item<R: Resource>(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    write_item(R::INFO, load::<R>, Write::Replace, state, id, headers, body).await
}

/// A stored document as the write paths need it.
struct Stored {
    created: i64,
    etag: String,
    fields: Map<String, Value>,
}

/// Read a stored document for PUT/PATCH: the one generic step of a write.
fn load<R: Resource>(
    tx: &rusqlite::Transaction<'_>,
    info: &ResourceInfo,
    id: &str,
) -> Result<Option<Stored>> {
    let document = tx
        .prepare_cached(info.select_by_id)?
        .query_row([id], R::from_row)
        .optional()?;
    Ok(document.map(|document| Stored {
        created: document.created(),
        etag: document.etag().to_string(),
        fields: document.into_fields(),
    }))
}

type Loader = fn(&rusqlite::Transaction<'_>, &ResourceInfo, &str) -> Result<Option<Stored>>;

/// What an item write does with the body.
#[derive(Clone, Copy, PartialEq)]
enum Write {
    /// PATCH: update the fields sent (dotted keys reach into dicts).
    Patch,
    /// PUT: replace the whole document, defaults filled as on insert.
    Replace,
}

async fn write_item(
    info: &'static ResourceInfo,
    load: Loader,
    write: Write,
    state: AppState,
    id: String,
    headers: HeaderMap,
    body: Body,
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
            let original = load(tx, info, &id)?.ok_or_else(ApiError::not_found)?;
            http::check_if_match(&headers, &original.etag)?;
            let created = original.created;
            let original_fields = original.fields;
            let mut fields = if write == Write::Patch {
                let options = validate::PatchOptions {
                    normalize: info.normalize_on_patch,
                    merge_nested: info.merge_nested_documents,
                };
                validate::apply_patch_with(info.fields, &original_fields, changes.clone(), options)
            } else {
                validate::validate_document(info.fields, changes.clone(), Mode::Replace)
            }
            .map_err(|issues| ApiError::invalid(issues, "Insertion"))?;
            store::fill_nulls(info.fields, &mut fields);
            let issues =
                store::check_constraints(tx, info.table, info.fields, &fields, &id, &[], |name| {
                    fields.get(name) != original_fields.get(name)
                })?;
            if !issues.is_empty() {
                return Err(ApiError::invalid(issues, "Insertion"));
            }
            if write == Write::Patch {
                state
                    .hooks
                    .on_update(info.name, &changes, &original_fields)?;
            } else {
                state
                    .hooks
                    .on_replace(info.name, &fields, &original_fields)?;
            }
            let tag = etag::of_fields(&fields);
            store::update_changed(
                tx,
                info.table,
                info.fields,
                &fields,
                &original_fields,
                (now, &tag, &id),
            )?;
            Ok((created, tag, fields, original_fields))
        })
        .await?;
    // "After" hooks run once the write is committed.
    if write == Write::Patch {
        state
            .hooks
            .on_updated(info.name, &changes, &original_fields);
    } else {
        state
            .hooks
            .on_replaced(info.name, &fields, &original_fields);
    }
    let mut out = Vec::with_capacity(256);
    write_write_result(info, &mut out, &id, created, now, &tag);
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
    delete_one(R::INFO, state, id, headers).await
}

async fn delete_one(
    info: &'static ResourceInfo,
    state: AppState,
    id: String,
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
                .prepare_cached(info.select_etag)?
                .query_row([&id], |row| row.get(0))
                .optional()?
                .ok_or_else(ApiError::not_found)?;
            http::check_if_match(&headers, &current)?;
            state.hooks.on_delete_item(info.name, &id)?;
            tx.prepare_cached(info.delete_by_id)?.execute([&id])?;
            Ok(())
        })
        .await?;
    state.hooks.on_deleted_item(info.name, &id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// DELETE on a collection: every document goes.
pub async fn delete_collection<R: Resource>(State(state): State<AppState>) -> Result<Response> {
    delete_all(R::INFO, state).await
}

async fn delete_all(info: &'static ResourceInfo, state: AppState) -> Result<Response> {
    state
        .db
        .write(|tx| {
            state.hooks.on_delete_resource(info.name)?;
            tx.prepare_cached(info.delete_all)?.execute([])?;
            Ok(())
        })
        .await?;
    state.hooks.on_deleted_resource(info.name);
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
    let info = R::INFO;
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
    http::write_item_link(out, "self", info.item_title, info.url, document.id());
    if let DocumentLinks::Full = links {
        out.push(b',');
        http::write_link(out, "parent", "home", "/");
        out.push(b',');
        http::write_link(out, "collection", info.url, info.url);
    }
    out.extend_from_slice(b"}}");
}

/// The answer to a write: the document's meta fields and its `self` link.
fn write_write_result(
    info: &ResourceInfo,
    out: &mut Vec<u8>,
    id: &str,
    created: i64,
    updated: i64,
    tag: &str,
) {
    out.extend_from_slice(b"{\"_status\":\"OK\",\"_id\":");
    http::write_json_str(out, id);
    out.extend_from_slice(b",\"_created\":\"");
    date::write_wire(out, created);
    out.extend_from_slice(b"\",\"_updated\":\"");
    date::write_wire(out, updated);
    out.extend_from_slice(b"\",\"_etag\":\"");
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(b"\",\"_links\":{");
    http::write_item_link(out, "self", info.item_title, info.url, id);
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
