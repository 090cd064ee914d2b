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
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::db::{Reader, Writer};
use crate::error::ApiError;
use crate::http::{self, ListParams};
use crate::links::{self, DocumentLinks};
use crate::oplog::{self, Client};
use crate::options::{self, Projections};
use crate::query::{Filter, SortKey};
use crate::resource::{Resource, ResourceInfo};
use crate::routes::{self, Params, PathParams, Scope, User};
use crate::state::AppState;
use crate::store::{self, Inserted, ItemKey, NewDocument, Read as _, Selection, Write as _};
use crate::validate::{self, Issues, Mode};
use crate::{date, embed, etag, forms, item_ids, lifecycle, media, query, related, versioning};

/// GET on an aggregation endpoint (`datasource.aggregation`), in its own module.
pub use crate::aggregation::get_aggregation;

/// One submitted document of a POST: its id (if the client gave one) and its
/// validated fields, or its issues.
pub(crate) type Outcome = Result<(Option<String>, Map<String, Value>), Issues>;

/// Meta fields a client may send back (say, a document it read) but never sets.
const READ_ONLY_META: [&str; 4] = ["_created", "_updated", "_etag", "_links"];

type Result<T, E = ApiError> = std::result::Result<T, E>;

/// The path parameters of a collection route: none, or a sub-resource's fields.
fn collection_params(PathParams(params): &PathParams) -> &[(String, String)] {
    params.as_slice()
}

/// GET on a collection: `_items`, `_meta`, `_links`.
///
/// The answer has Eve's `Last-Modified` (the newest document on the page) and
/// `X-Total-Count`, and an `ETag` of the page, so `If-None-Match` can answer 304.
/// `If-Modified-Since` is ignored, as Eve ignores it on collections (Eve's #334): the
/// newest change on a page says nothing of a document deleted from it, so a 304 by
/// date could be stale. The tag covers every document's tag and the count, so it
/// changes with any of them.
pub async fn get_collection<R: Resource>(
    State(state): State<AppState>,
    params: PathParams,
    User(user): User,
    RawQuery(raw): RawQuery,
    http::IfNoneMatch(if_none_match): http::IfNoneMatch,
) -> Result<Response> {
    let info = R::INFO;
    let scope = Scope::new(info, collection_params(&params), user.as_deref())?;
    let list = ListQuery::parse(info, raw.as_deref())?;
    if info.embeds.is_empty()
        && list.projection.is_empty()
        && !related::links(info)
        && info.media.fields.is_empty()
        && !R::FETCHED_RESOURCE
        && !R::API_FETCHED_RESOURCE
    {
        // Nothing to embed or project: each row is written as JSON as it is read, with
        // no document built in between.
        let selection = list.selection(info, &scope);
        let mut page = Page::new(list.params.max_results as usize);
        let total = state
            .db
            .read_costly(|conn| {
                // A read moved off the async workers runs again from the start.
                page.clear();
                let (items, tags, last_modified) =
                    (&mut page.items, &mut page.tags, &mut page.last_modified);
                conn.list_written::<R>(info, &selection, items, &mut |out, written| {
                    written.etag.hash(tags);
                    *last_modified =
                        Some(last_modified.map_or(written.updated, |t| t.max(written.updated)));
                    append_links(out, info, &scope.url, written.id, DocumentLinks::SelfOnly);
                })
            })
            .await?;
        return Ok(http::cached(
            info,
            page.finish(info, &scope.url, &list, total, if_none_match.as_ref()),
        ));
    }
    let (total, documents, embedded) = state
        .db
        .read_costly(|conn| {
            let selection = list.selection(info, &scope);
            read_documents::<R>(conn, &selection, raw.as_deref(), user.as_deref())
        })
        .await?;
    // The API-wide hook runs on the documents as served, off the database.
    let embedded = served_documents(&documents, embedded)?;
    let mut page = Page::new(documents.len());
    for (i, document) in documents.iter().enumerate() {
        page.add(document.etag(), document.updated());
        let served = embedded.as_ref().map(|e| e[i].as_slice());
        write_document(
            &mut page.items,
            document,
            &scope.url,
            served,
            DocumentLinks::SelfOnly,
            &list.projection,
        );
    }
    Ok(http::cached(
        info,
        page.finish(info, &scope.url, &list, total, if_none_match.as_ref()),
    ))
}

/// What a collection GET serves of each document already written as JSON (its
/// embedded references and media resolved), in order; `None`: nothing of the kind.
pub(crate) type Served = Option<Vec<Vec<u8>>>;

/// The documents `selection` reads, with what a collection GET serves beside each:
/// its embedded references and media resolved for `user` (`None` when there are none
/// to serve), after the resource's `on_fetched` hook. Also a live subscription's.
pub(crate) fn read_documents<R: Resource>(
    conn: &Reader,
    selection: &Selection<'_>,
    raw: Option<&str>,
    user: Option<&str>,
) -> Result<(i64, Vec<R>, Served)> {
    let info = R::INFO;
    let (total, mut documents) = conn.list::<R>(info, selection)?;
    R::fetched_resource(&mut documents);
    let embedded = embedded(info, conn, raw, &documents, user)?;
    let embedded = media::resolve(info, conn, &documents, embedded)?;
    Ok((total, documents, embedded))
}

/// [`read_documents`]' answer after the API-wide `on_fetched_resource` hook, which runs
/// on the documents as served (off the database).
pub(crate) fn served_documents<R: Resource>(documents: &[R], embedded: Served) -> Result<Served> {
    if R::API_FETCHED_RESOURCE {
        Ok(Some(api_fetched(
            documents,
            embedded,
            R::api_fetched_resource,
        )?))
    } else {
        Ok(embedded)
    }
}

/// A collection GET's query string, parsed and checked (also a live subscription's).
pub(crate) struct ListQuery {
    pub(crate) params: ListParams,
    /// The client's `where`.
    pub(crate) filter: Option<Filter>,
    /// The client's `sort`, or the resource's default; empty: none.
    sort: Vec<SortKey>,
    pub(crate) projection: Projections,
    /// Soft-deleted documents are left out (`lifecycle`).
    pub(crate) hide_deleted: bool,
}

impl ListQuery {
    pub(crate) fn parse(info: &ResourceInfo, raw: Option<&str>) -> Result<ListQuery> {
        let unpaged;
        let raw = if info.pagination {
            raw
        } else {
            unpaged = options::without_paging(raw);
            Some(unpaged.as_str())
        };
        let mut params = ListParams::parse(raw, info.pagination_default, info.pagination_limit)?;
        options::adjust_params(info, &mut params);
        let projection = Projections::new(info, params.projection.as_deref())?;
        let fields = info.query_fields.unwrap_or(info.fields);
        let filter = match params.filter.as_deref() {
            None => None,
            Some(text) => {
                let filter = query::parse_where(text, fields, info.dates)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                options::check_filter(info, text, &filter)?;
                Some(filter)
            }
        };
        let sort = match params.sort.as_deref().or(info.default_sort) {
            None => Vec::new(),
            Some(text) => {
                query::parse_sort(text, fields).map_err(|e| ApiError::bad_request(e.to_string()))?
            }
        };
        Ok(ListQuery {
            params,
            hide_deleted: lifecycle::hides_deleted(info, raw, filter.as_ref()),
            filter,
            sort,
            projection,
        })
    }

    /// What the store reads: this query inside `scope`, paged unless the resource is not.
    fn selection<'a>(&'a self, info: &ResourceInfo, scope: &'a Scope) -> Selection<'a> {
        Selection {
            scope,
            filter: self.filter.as_ref(),
            sort: &self.sort,
            page: info
                .pagination
                .then_some((self.params.max_results, self.params.page)),
            hide_deleted: self.hide_deleted,
        }
    }
}

/// A collection page being written: its items, its tag and its last change.
/// How a page's JSON starts.
const PAGE_START: &[u8] = b"{\"_items\":[";

struct Page {
    items: Vec<u8>,
    /// The documents' tags, hashed in order.
    tags: std::hash::DefaultHasher,
    last_modified: Option<i64>,
}

impl Page {
    fn new(documents: usize) -> Page {
        // Room for documents of about 1 KiB: most pages are written without growing.
        let mut items = Vec::with_capacity(512 + documents * 1024);
        items.extend_from_slice(PAGE_START);
        Page {
            items,
            tags: std::hash::DefaultHasher::new(),
            last_modified: None,
        }
    }

    /// Back to no documents.
    fn clear(&mut self) {
        self.items.truncate(PAGE_START.len());
        self.tags = std::hash::DefaultHasher::new();
        self.last_modified = None;
    }

    fn add(&mut self, etag: &str, updated: i64) {
        if self.last_modified.is_some() {
            self.items.push(b',');
        }
        etag.hash(&mut self.tags);
        self.last_modified = Some(self.last_modified.map_or(updated, |t| t.max(updated)));
    }

    /// `_meta`, `_links` and the headers, or 304 when the client has this page.
    fn finish(
        self,
        info: &ResourceInfo,
        url: &str,
        list: &ListQuery,
        total: i64,
        if_none_match: Option<&HeaderValue>,
    ) -> Response {
        // The page's tag covers every document's tag and the paging, so it changes
        // with them. Each document's tag is already a SHA-1 of its content, so a 64-bit
        // hash of those is enough to tell pages apart.
        let Page {
            items,
            tags: mut hasher,
            last_modified,
        } = self;
        (total, list.params.page, list.params.max_results).hash(&mut hasher);
        // A projected page is another representation: it gets another tag.
        if let Some(projection) = &list.params.projection {
            projection.hash(&mut hasher);
        }
        let tag = format!("{:016x}", hasher.finish());
        let mut response = if if_none_match.is_some_and(|value| http::none_match(value, &tag)) {
            http::not_modified_response(&tag, last_modified)
        } else {
            let body = page_body(items, info, url, list, total);
            http::json_response(StatusCode::OK, body, Some(&tag), last_modified)
        };
        response
            .headers_mut()
            .insert(http::X_TOTAL_COUNT, HeaderValue::from(total));
        response
    }
}

/// A page's body: its `items` (an open `{"_items":[...`), then `_meta` and `_links`.
fn page_body(
    mut out: Vec<u8>,
    info: &ResourceInfo,
    url: &str,
    list: &ListQuery,
    total: i64,
) -> Vec<u8> {
    let params = &list.params;
    out.push(b']');
    // Without pagination Eve sends no `_meta` and no paging links.
    if info.pagination {
        out.extend_from_slice(b",\"_meta\":{\"page\":");
        out.extend_from_slice(params.page.to_string().as_bytes());
        out.extend_from_slice(b",\"max_results\":");
        out.extend_from_slice(params.max_results.to_string().as_bytes());
        out.extend_from_slice(b",\"total\":");
        out.extend_from_slice(total.to_string().as_bytes());
        out.push(b'}');
    }
    links::page(&mut out, info, url, params, total);
    out.push(b'}');
    out
}

/// GET on an item: by `_id`, or by the additional lookup field when the key is not
/// an id and matches the lookup's regex.
pub async fn get_item<R: Resource>(
    State(state): State<AppState>,
    PathParams(params): PathParams,
    User(user): User,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let info = R::INFO;
    let scope = Scope::new(info, &params, user.as_deref())?;
    let key = routes::item_key(&params);
    let key = if info.id_type.is_valid(key) {
        ItemKey::Id(key)
    } else if info.lookup.as_ref().is_some_and(|l| l.matches(key)) {
        ItemKey::Lookup(key)
    } else {
        return Err(ApiError::not_found());
    };
    if let Some(requested) = versioning::requested(info, raw.as_deref())? {
        let raw = raw.as_deref();
        return versioning::get::<R>(&state, info, key, &scope, requested, &headers, raw).await;
    }
    let projection = Projections::for_item(info, raw.as_deref())?;
    let (document, fresh, embedded) = state.db.read(|conn| {
        let mut document = conn
            .get::<R>(info, key, &scope)?
            .ok_or_else(ApiError::not_found)?;
        // A client that has the document gets a 304: nothing to embed.
        let fresh = http::not_modified(&headers, document.etag(), document.updated());
        // Eve serves a soft-deleted document without embedding.
        let embedded = if fresh || document.deleted() {
            None
        } else {
            R::fetched_item(&mut document);
            let documents = std::slice::from_ref(&document);
            let embedded = embedded(info, conn, raw.as_deref(), documents, user.as_deref())?;
            media::resolve(info, conn, documents, embedded)?
        };
        Ok((document, fresh, embedded))
    })?;
    if fresh {
        return Ok(http::cached(
            info,
            http::not_modified_response(document.etag(), Some(document.updated())),
        ));
    }
    let embedded = if R::API_FETCHED_ITEM && !document.deleted() {
        let hook = |documents: &mut [Map<String, Value>]| {
            documents.iter_mut().for_each(R::api_fetched_item)
        };
        Some(api_fetched(
            std::slice::from_ref(&document),
            embedded,
            hook,
        )?)
    } else {
        embedded
    };
    let mut out = Vec::with_capacity(512);
    let served = embedded.as_ref().map(|e| e[0].as_slice());
    write_document(
        &mut out,
        &document,
        &scope.url,
        served,
        DocumentLinks::Full,
        &projection,
    );
    if document.deleted() {
        return Ok(lifecycle::deleted_response(
            out,
            document.etag(),
            document.updated(),
        ));
    }
    Ok(http::cached(
        info,
        http::json_response(
            StatusCode::OK,
            out,
            Some(document.etag()),
            Some(document.updated()),
        ),
    ))
}

/// POST on a collection: one document, or a JSON list inserted all-or-nothing.
pub async fn post_collection<R: Resource>(
    State(state): State<AppState>,
    params: PathParams,
    client: Client,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let scope = Scope::new(R::INFO, collection_params(&params), client.user.as_deref())?;
    post(R::INFO, state, scope, client, headers, body).await
}

async fn post(
    info: &'static ResourceInfo,
    state: AppState,
    scope: Scope,
    client: Client,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let (payload, uploads) = forms::read_document(info, &headers, body, &state.settings).await?;
    let (submitted, bulk) = match payload {
        Value::Object(document) => (vec![document], false),
        Value::Array(items) if items.len() > state.settings.bulk_max_items => {
            // Refused before any work: validation, inserts and the error answer all
            // grow with the number of documents.
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "A bulk insert takes at most {} documents; this one has {}",
                    state.settings.bulk_max_items,
                    items.len()
                ),
            ));
        }
        Value::Array(items) if !items.is_empty() => {
            let mut documents = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::Object(document) => documents.push(document),
                    _ => {
                        return Err(ApiError::bad_request(
                            "Every item of a bulk insert must be a JSON object",
                        ));
                    }
                }
            }
            (documents, true)
        }
        Value::Array(_) => {
            return Err(ApiError::bad_request(
                "A bulk insert needs at least one document",
            ));
        }
        _ => {
            return Err(ApiError::bad_request(
                "Send a JSON object, or a list of objects for a bulk insert",
            ));
        }
    };
    insert(info, state, scope, client, submitted, bulk, uploads).await
}

/// Insert the submitted documents (all or none) and answer 201, as a POST does.
async fn insert(
    info: &'static ResourceInfo,
    state: AppState,
    scope: Scope,
    client: Client,
    submitted: Vec<Map<String, Value>>,
    bulk: bool,
    uploads: media::Uploads,
) -> Result<Response> {
    let outcomes = validate_inserts(info, &scope, submitted);
    let now = date::now();
    let inserted = state
        .db
        .write(|tx| {
            let hooks = &*state.hooks;
            insert_in(tx, info, hooks, &client, (outcomes, bulk), &uploads, now)
        })
        .await?;
    let (written, documents) = inserted;
    state.hooks.on_inserted(info.name, &documents);

    let location = format!("{}/{}/{}", state.settings.prefix, scope.url, written[0].0);
    let mut out = Vec::with_capacity(256 * written.len());
    if bulk {
        out.extend_from_slice(b"{\"_status\":\"OK\",\"_items\":[");
        for (i, (id, tag)) in written.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_write_result(info, &scope.url, &mut out, id, now, now, tag, &documents[i]);
        }
        out.extend_from_slice(b"]}");
    } else {
        let (id, tag) = &written[0];
        write_write_result(info, &scope.url, &mut out, id, now, now, tag, &documents[0]);
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

/// Validate the documents of an insert before touching the database: each one's
/// `_id`, read-only and kept fields, the scope's values filled in, the rules, nulls,
/// soft-delete and version fields. One outcome per document, in order.
pub(crate) fn validate_inserts(
    info: &'static ResourceInfo,
    scope: &Scope,
    submitted: Vec<Map<String, Value>>,
) -> Vec<Outcome> {
    submitted
        .into_iter()
        .map(|mut document| {
            let id = take_client_id(info, &mut document)?;
            strip_read_only(&mut document);
            let mut kept = Issues::new();
            lifecycle::refuse_kept_fields(info, &document, &mut kept);
            if !kept.is_empty() {
                return Err(kept);
            }
            scope.fill(&mut document, true);
            let mut fields = validate::validate_document(info.fields, document, Mode::Insert)?;
            store::fill_nulls(info.fields, &mut fields);
            lifecycle::set_live(info, &mut fields);
            versioning::set_first(info, &mut fields);
            Ok((id, fields))
        })
        .collect()
}

/// What an insert wrote: each document's `_id` and tag, and the documents as written.
pub(crate) type Insertion = (Vec<(String, String)>, Vec<Map<String, Value>>);

/// The database part of an insert, inside the write transaction `tx`: the `unique`
/// and `data_relation` checks, the files, `on_insert`, the rows, the datasource
/// filter, versions, the oplog and `on_insert_tx`. All or none: the first failure is
/// the error (`_issues`, or `_items` for a `bulk` insert). Each written document's
/// `_id` and tag, and the documents as written.
pub(crate) fn insert_in(
    tx: &Writer<'_>,
    info: &'static ResourceInfo,
    hooks: &dyn crate::hooks::Hooks,
    client: &Client,
    (mut outcomes, bulk): (Vec<Outcome>, bool),
    uploads: &media::Uploads,
    now: i64,
) -> Result<Insertion> {
    let mut accepted: Vec<Map<String, Value>> = Vec::new();
    for outcome in outcomes.iter_mut() {
        if let Ok((id, fields)) = outcome {
            let issues = store::check_constraints(
                tx,
                info,
                fields,
                id.as_deref().unwrap_or(""),
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
    media::store(tx, uploads)?;
    // Every outcome is Ok here: split them into ids and documents.
    let (ids, mut documents): (Vec<Option<String>>, Vec<Map<String, Value>>) =
        std::mem::take(&mut outcomes).into_iter().flatten().unzip();
    hooks.on_insert(info.name, &mut documents)?;
    let mut written = Vec::with_capacity(documents.len());
    for (position, (id, fields)) in ids.into_iter().zip(documents.iter()).enumerate() {
        let place = bulk.then_some(position);
        match insert_document(tx, info, id.as_deref(), fields, now, place)? {
            Some(new) => written.push(new),
            None => {
                let mut issues = Issues::new();
                let id = id.unwrap_or_default();
                issues.add("_id", format!("value '{id}' is not unique"));
                return Err(ApiError::invalid(issues, "Insertion"));
            }
        }
    }
    let ids = written.iter().map(|(id, _)| id.as_str());
    oplog::posted(tx, info, client, now, ids.zip(&documents))?;
    hooks.on_insert_tx(info.name, &documents, tx)?;
    Ok((written, documents))
}

/// One validated document written inside `tx` (also by an import, row by row): its
/// tag, its row, the datasource filter (`position`: its place in a bulk insert, for
/// the message) and its first version. Its `_id` and tag; `None` when the `_id` or a
/// unique value is taken, and nothing was written.
pub(crate) fn insert_document(
    tx: &Writer<'_>,
    info: &'static ResourceInfo,
    id: Option<&str>,
    fields: &Map<String, Value>,
    now: i64,
    position: Option<usize>,
) -> Result<Option<(String, String)>> {
    let tag = etag::of_fields(fields);
    let document = NewDocument {
        id,
        created: now,
        updated: now,
        etag: &tag,
        fields,
    };
    match tx.insert(info, document)? {
        // Integer ids left out are numbered by the database.
        Inserted::Id(id) => {
            options::check_in_filter(tx, info, &id, position)?;
            versioning::after_write(tx, info, &id)?;
            Ok(Some((id, tag)))
        }
        Inserted::Duplicate => Ok(None),
    }
}

/// PATCH on an item: update the named fields (dotted keys reach into dicts).
pub async fn patch_item<R: Resource>(
    State(state): State<AppState>,
    PathParams(params): PathParams,
    client: Client,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    write_item(
        R::INFO,
        load::<R>,
        Write::Patch,
        state,
        (params, client),
        headers,
        body,
    )
    .await
}

/// PUT on an item: replace the whole document (defaults filled as on insert).
pub async fn put_item<R: Resource>(
    State(state): State<AppState>,
    PathParams(params): PathParams,
    client: Client,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    write_item(
        R::INFO,
        load::<R>,
        Write::Replace,
        state,
        (params, client),
        headers,
        body,
    )
    .await
}

/// A stored document as the write paths need it.
pub(crate) struct Stored {
    created: i64,
    updated: i64,
    etag: String,
    fields: Map<String, Value>,
}

/// Read a stored document for PUT/PATCH, by `_id` inside the request's scope: the one
/// generic step of a write.
pub(crate) fn load<R: Resource>(
    tx: &Writer<'_>,
    id: &str,
    scope: &Scope,
) -> Result<Option<Stored>> {
    let document = tx.get::<R>(R::INFO, ItemKey::Id(id), scope)?;
    Ok(document.map(stored))
}

fn stored<R: Resource>(document: R) -> Stored {
    Stored {
        created: document.created(),
        updated: document.updated(),
        etag: document.etag().to_string(),
        fields: document.into_fields(),
    }
}

pub(crate) type Loader = fn(&Writer<'_>, &str, &Scope) -> Result<Option<Stored>>;

/// What an item write does with the body.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Write {
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
    (params, client): (Params, Client),
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let scope = Scope::new(info, &params, client.user.as_deref())?;
    let id = routes::item_key(&params).to_string();
    let valid = info.id_type.is_valid(&id);
    if !valid && info.lookup.as_ref().is_some_and(|l| l.matches(&id)) {
        // The additional lookup route is read-only.
        return Err(ApiError::method_not_allowed());
    }
    let upsert = write == Write::Replace && info.upsert_on_put;
    // If-Match is required of a document found (428 inside the transaction), as in
    // Eve, whose `get_document` asks for it only then: a missing document is 404, or
    // created by a PUT (`upsert_on_put`). A malformed header is refused at once.
    http::if_match(&headers)?;
    if !valid {
        return Err(ApiError::not_found());
    }
    let (changes, uploads) = forms::read_document(info, &headers, body, &state.settings).await?;
    let mut changes = match changes {
        Value::Object(document) => document,
        _ => return Err(ApiError::bad_request("Send the document as a JSON object")),
    };
    // Checked against a document found: a PUT that creates takes the URL's id.
    let sent_id = changes.remove("_id");
    strip_read_only(&mut changes);
    lifecycle::check_item_write(info, &changes)?;
    // A sub-resource's documents stay in it: its path fields hold the URL's values.
    scope.fill(&mut changes, write == Write::Replace);
    let now = date::now();
    let item = ItemWrite {
        info,
        load,
        write,
        hooks: &*state.hooks,
        client: &client,
        id: &id,
        scope: &scope,
        changes: &changes,
        sent_id: sent_id.as_ref(),
        if_match: Some(&headers),
        upsert,
        uploads: &uploads,
        now,
    };
    let written = state.db.write(|tx| write_item_in(tx, &item)).await?;
    let Some((created, tag, fields, original_fields)) = written else {
        // Eve's `UPSERT_ON_PUT`: no document has this id, so the PUT creates it, as a
        // POST of the body with that `_id` would.
        item_ids::check_creatable(info, &id)?;
        changes.insert("_id".to_string(), item_ids::as_sent(info, &id));
        // Another user's document has this id: the caller may neither see nor replace
        // it, and must not learn it is there (Eve answers 403): 404, as for a PATCH.
        let owned = scope.is_owned();
        return insert(info, state, scope, client, vec![changes], false, uploads)
            .await
            .map_err(|error| match item_ids::taken_is_conflict(error) {
                conflict if owned && conflict.status == StatusCode::CONFLICT => {
                    ApiError::not_found()
                }
                error => error,
            });
    };
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
    write_write_result(info, &scope.url, &mut out, &id, created, now, &tag, &fields);
    Ok(http::json_response(
        StatusCode::OK,
        out,
        Some(&tag),
        Some(now),
    ))
}

/// An item write (PATCH or PUT) as its database part needs it.
pub(crate) struct ItemWrite<'a> {
    pub info: &'static ResourceInfo,
    pub load: Loader,
    pub write: Write,
    pub hooks: &'a dyn crate::hooks::Hooks,
    pub client: &'a Client,
    /// A well-formed `_id` of the resource.
    pub id: &'a str,
    pub scope: &'a Scope,
    /// The body, read-only meta fields and `_id` taken out, the scope's values filled.
    pub changes: &'a Map<String, Value>,
    /// The `_id` the body held, which must be the document's.
    pub sent_id: Option<&'a Value>,
    /// The request's headers, whose `If-Match` must name the stored tag; `None`
    /// (a write from Rust, `endpoint::Data`): no tag is asked for.
    pub if_match: Option<&'a HeaderMap>,
    /// A missing document is created by the caller (`upsert_on_put`): `Ok(None)`.
    pub upsert: bool,
    pub uploads: &'a media::Uploads,
    pub now: i64,
}

/// What an item write stored: the document's `_created`, its new tag, its fields, and
/// its fields before.
pub(crate) type ItemWritten = (i64, String, Map<String, Value>, Map<String, Value>);

/// The database part of a PATCH or PUT, inside the write transaction `tx`: the
/// document read inside the scope (404, or `None` to upsert), `If-Match`, the rules,
/// `unique` and `data_relation`, the "before" hook, the row, files, the datasource
/// filter, versions and the oplog.
pub(crate) fn write_item_in(tx: &Writer<'_>, item: &ItemWrite<'_>) -> Result<Option<ItemWritten>> {
    let &ItemWrite {
        info,
        load,
        write,
        hooks,
        client,
        id,
        scope,
        changes,
        sent_id,
        if_match,
        upsert,
        uploads,
        now,
    } = item;
    let original = match load(tx, id, scope)? {
        Some(original) => original,
        None if upsert => return Ok(None),
        None => return Err(ApiError::not_found()),
    };
    if let Some(headers) = if_match {
        http::check_if_match(headers, &original.etag)?;
    }
    if let Some(sent) = sent_id {
        item_ids::check_unchanged(info, id, sent)?;
    }
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
    // A write restores a soft-deleted document: its unique values count again.
    let restoring = info.soft_delete && lifecycle::is_deleted(&original_fields);
    lifecycle::set_live(info, &mut fields);
    versioning::set_next(info, &mut fields, &original_fields);
    let issues = store::check_constraints(tx, info, &fields, id, &[], |name| {
        restoring || fields.get(name) != original_fields.get(name)
    })?;
    if !issues.is_empty() {
        return Err(ApiError::invalid(issues, "Insertion"));
    }
    if write == Write::Patch {
        hooks.on_update(info.name, changes, &original_fields)?;
    } else {
        hooks.on_replace(info.name, &fields, &original_fields)?;
    }
    let tag = etag::of_fields(&fields);
    media::store(tx, uploads)?;
    versioning::before_rewrite(tx, info, id)?;
    tx.update(info, &fields, &original_fields, (now, &tag, id))?;
    media::release_replaced(tx, info, &original_fields, &fields)?;
    options::check_in_filter(tx, info, id, None)?;
    versioning::after_write(tx, info, id)?;
    match write {
        Write::Patch => oplog::patched(tx, info, client, id, now, changes)?,
        Write::Replace => oplog::replaced(tx, info, client, (id, created, now), &fields)?,
    }
    Ok(Some((created, tag, fields, original_fields)))
}

/// DELETE on an item.
pub async fn delete_item<R: Resource>(
    State(state): State<AppState>,
    PathParams(params): PathParams,
    client: Client,
    headers: HeaderMap,
) -> Result<Response> {
    delete_one(R::INFO, load::<R>, state, (params, client), headers).await
}

async fn delete_one(
    info: &'static ResourceInfo,
    load: Loader,
    state: AppState,
    (params, client): (Params, Client),
    headers: HeaderMap,
) -> Result<Response> {
    let scope = Scope::new(info, &params, client.user.as_deref())?;
    let id = routes::item_key(&params).to_string();
    let valid = info.id_type.is_valid(&id);
    if !valid && info.lookup.as_ref().is_some_and(|l| l.matches(&id)) {
        // The additional lookup route is read-only.
        return Err(ApiError::method_not_allowed());
    }
    // Only a document found needs If-Match (428 inside the transaction): Eve answers
    // 204 for one that is not there, with or without the header.
    http::if_match(&headers)?;
    if !valid {
        return Err(ApiError::not_found());
    }
    let item = ItemDelete {
        info,
        load,
        hooks: &*state.hooks,
        client: &client,
        id: &id,
        scope: &scope,
        if_match: Some(&headers),
    };
    let deleted = state.db.write(|tx| delete_item_in(tx, &item)).await?;
    if deleted {
        state.hooks.on_deleted_item(info.name, &id);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An item DELETE as its database part needs it.
pub(crate) struct ItemDelete<'a> {
    pub info: &'static ResourceInfo,
    pub load: Loader,
    pub hooks: &'a dyn crate::hooks::Hooks,
    pub client: &'a Client,
    /// A well-formed `_id` of the resource.
    pub id: &'a str,
    pub scope: &'a Scope,
    /// The request's headers, whose `If-Match` must name the stored tag; `None`
    /// (a delete from Rust, `endpoint::Data`): no tag is asked for.
    pub if_match: Option<&'a HeaderMap>,
}

/// The database part of an item DELETE, inside the write transaction `tx`: whether a
/// document was deleted (marked, when soft-deleting), with its hook, files, versions
/// and oplog entry. `false`: nothing was there (Eve answers 204 all the same).
pub(crate) fn delete_item_in(tx: &Writer<'_>, item: &ItemDelete<'_>) -> Result<bool> {
    let &ItemDelete {
        info,
        load,
        hooks,
        client,
        id,
        scope,
        if_match,
    } = item;
    let check = |current: &str| match if_match {
        Some(headers) => http::check_if_match(headers, current),
        None => Ok(()),
    };
    if info.soft_delete {
        // Not there, or deleted already: nothing to do, no hooks (as Eve).
        let Some(original) = load(tx, id, scope)? else {
            return Ok(false);
        };
        check(&original.etag)?;
        if lifecycle::is_deleted(&original.fields) {
            return Ok(false);
        }
        hooks.on_delete_item(info.name, id)?;
        let now = date::now();
        lifecycle::mark_deleted(tx, info, id, &original.fields, now)?;
        // Eve logs the marked document as a DELETE.
        let marked = (original.created, now, &original.fields);
        oplog::deleted(tx, info, client, id, Some(marked))?;
        return Ok(true);
    }
    // The oplog's `c` holds the deleted document: read it whole then.
    let original = if oplog::wants_document(info, oplog::Op::Delete) {
        match load(tx, id, scope)? {
            Some(stored) => Some(stored),
            // Eve answers 204 for a document that is not there: nothing to delete.
            None => return Ok(false),
        }
    } else {
        None
    };
    let current = match &original {
        Some(stored) => stored.etag.clone(),
        None => match tx.etag(info, id, scope)? {
            Some(current) => current,
            // Eve answers 204 for a document that is not there: nothing to delete.
            None => return Ok(false),
        },
    };
    check(&current)?;
    hooks.on_delete_item(info.name, id)?;
    media::delete_of_document(tx, info, id)?;
    tx.delete(info, id)?;
    versioning::after_delete(tx, info, Some(id))?;
    let deleted = original.as_ref().map(|s| (s.created, s.updated, &s.fields));
    oplog::deleted(tx, info, client, id, deleted)?;
    Ok(true)
}

/// DELETE on a collection: every document goes (of a sub-resource: every document
/// its path names).
pub async fn delete_collection<R: Resource>(
    State(state): State<AppState>,
    params: PathParams,
    client: Client,
) -> Result<Response> {
    let scope = Scope::new(R::INFO, collection_params(&params), client.user.as_deref())?;
    delete_all(R::INFO, delete_all_loaders::<R>(), state, (scope, client)).await
}

pub(crate) type MarkAll = fn(&Writer<'_>, &Scope, &Client, i64) -> Result<()>;
pub(crate) type AllLoader = fn(&Writer<'_>, &Scope) -> Result<Vec<(String, Stored)>>;

/// Every stored document inside `scope` (and the datasource filter), with its `_id`.
fn load_all<R: Resource>(tx: &Writer<'_>, scope: &Scope) -> Result<Vec<(String, Stored)>> {
    let every = Selection {
        scope,
        filter: None,
        sort: &[],
        page: None,
        hide_deleted: false,
    };
    let (_, documents) = tx.list::<R>(R::INFO, &every)?;
    Ok(documents
        .into_iter()
        .map(|document| {
            let id = document.id().to_string();
            (id, stored(document))
        })
        .collect())
}

async fn delete_all(
    info: &'static ResourceInfo,
    (mark_all_deleted, load_all): (MarkAll, AllLoader),
    state: AppState,
    (scope, client): (Scope, Client),
) -> Result<Response> {
    state
        .db
        .write(|tx| {
            state.hooks.on_delete_resource(info.name)?;
            delete_all_in(tx, info, (mark_all_deleted, load_all), &scope, &client)
        })
        .await?;
    state.hooks.on_deleted_resource(info.name);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The database part of a collection DELETE, inside the write transaction `tx`
/// (also an import's `replace`): the documents of `scope` marked deleted (soft
/// delete) or removed with their files, versions and oplog entries.
pub(crate) fn delete_all_in(
    tx: &Writer<'_>,
    info: &'static ResourceInfo,
    (mark_all_deleted, load_all): (MarkAll, AllLoader),
    scope: &Scope,
    client: &Client,
) -> Result<()> {
    if info.soft_delete {
        // The documents stay, and so do their files.
        return mark_all_deleted(tx, scope, client, date::now());
    }
    // Each document removed gets its oplog entry: read them first then.
    let deleted = if oplog::logs(info, oplog::Op::Delete) {
        load_all(tx, scope)?
    } else {
        Vec::new()
    };
    media::delete_of_scope(tx, info, scope)?;
    tx.delete_all(info, scope)?;
    versioning::after_delete(tx, info, None)?;
    for (id, s) in &deleted {
        oplog::deleted(
            tx,
            info,
            client,
            id,
            Some((s.created, s.updated, &s.fields)),
        )?;
    }
    Ok(())
}

/// The loaders a collection delete of `R` needs.
pub(crate) fn delete_all_loaders<R: Resource>() -> (MarkAll, AllLoader) {
    (
        lifecycle::mark_all_deleted::<R> as MarkAll,
        load_all::<R> as AllLoader,
    )
}

/// A client may choose a new document's `_id` (Eve allows it); it must be well formed.
/// `None`: the database numbers the document (integer ids).
fn take_client_id(
    info: &ResourceInfo,
    document: &mut Map<String, Value>,
) -> Result<Option<String>, Issues> {
    match document.remove("_id") {
        None => Ok(info.new_id.map(|new_id| new_id())),
        Some(value) => match info.id_type.client_id(&value) {
            Some(id) => Ok(Some(id)),
            None => {
                let mut issues = Issues::new();
                issues.add("_id", format!("must be of {} type", info.id_type.name()));
                Err(issues)
            }
        },
    }
}

pub(crate) fn strip_read_only(document: &mut Map<String, Value>) {
    for key in READ_ONLY_META {
        document.remove(key);
    }
}

/// The 422 for a rejected insert: `_issues` for one document, `_items` for a bulk list.
fn rejection(outcomes: &[Outcome], bulk: bool, failed: usize) -> ApiError {
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

/// The documents with the references the request embeds replaced (`?embedded=`),
/// or `None` when the resource embeds nothing or the request asks for nothing.
fn embedded<R: Resource>(
    info: &ResourceInfo,
    conn: &Reader,
    query: Option<&str>,
    documents: &[R],
    user: Option<&str>,
) -> Result<Option<Vec<Vec<u8>>>> {
    if info.embeds.is_empty() {
        return Ok(None);
    }
    embed::embed(info.embeds, conn, query, user, &mut || {
        documents
            .iter()
            .map(|d| serde_json::to_vec(d).unwrap_or_default())
            .collect()
    })
}

/// Serialize a document (or take it as `served`, already serialized), keep only the
/// projected fields when a projection applies, and append its `_links`.
pub(crate) fn write_document<R: Resource>(
    out: &mut Vec<u8>,
    document: &R,
    url: &str,
    served: Option<&[u8]>,
    links: DocumentLinks,
    projection: &Projections,
) {
    let start = out.len();
    let written = match (served, projection.is_empty()) {
        (Some(bytes), true) => {
            out.extend_from_slice(bytes);
            true
        }
        (Some(bytes), false) => projection.write(out, bytes),
        (None, true) => serde_json::to_writer(&mut *out, document).is_ok(),
        (None, false) => {
            serde_json::to_vec(document).is_ok_and(|json| projection.write(out, &json))
        }
    };
    if !written || out.last() != Some(&b'}') {
        out.truncate(start);
        out.extend_from_slice(b"{}");
    }
    // `_links.related` reads the references as served (projected, maybe embedded).
    let fields = related::links(R::INFO)
        .then(|| related::references_in(R::INFO, &out[start..]))
        .flatten();
    append_links_with_related(out, R::INFO, url, document.id(), links, fields.as_ref());
}

/// Run an API-wide fetch hook (`[api] hooks`) on documents as served: `served` (embedded,
/// files resolved), or the documents themselves. The hook is given each as a JSON map;
/// what it keeps stays in the served order, what it adds follows.
fn api_fetched<R: Resource>(
    documents: &[R],
    served: Option<Vec<Vec<u8>>>,
    hook: impl FnOnce(&mut [Map<String, Value>]),
) -> Result<Vec<Vec<u8>>> {
    let served = match served {
        Some(served) => served,
        None => documents
            .iter()
            .map(|d| serde_json::to_vec(d).map_err(ApiError::internal))
            .collect::<Result<_>>()?,
    };
    let mut maps = served
        .iter()
        .map(|bytes| serde_json::from_slice(bytes).map_err(ApiError::internal))
        .collect::<Result<Vec<Map<String, Value>>>>()?;
    hook(&mut maps);
    served
        .iter()
        .zip(maps)
        .map(|(before, mut after)| {
            let embed::Entries(entries) =
                serde_json::from_slice(before).map_err(ApiError::internal)?;
            let mut out = Vec::with_capacity(before.len() + 64);
            out.push(b'{');
            let member = |out: &mut Vec<u8>, name: &str| {
                if out.len() > 1 {
                    out.push(b',');
                }
                http::write_json_str(out, name);
                out.push(b':');
            };
            for (name, raw) in entries {
                let Some(value) = after.remove(&name) else {
                    continue;
                };
                member(&mut out, &name);
                // Unchanged: its text as served (a float keeps its digits).
                if serde_json::from_str::<Value>(raw.get()).is_ok_and(|v| v == value) {
                    out.extend_from_slice(raw.get().as_bytes());
                } else {
                    serde_json::to_writer(&mut out, &value).map_err(ApiError::internal)?;
                }
            }
            for (name, value) in after {
                member(&mut out, &name);
                serde_json::to_writer(&mut out, &value).map_err(ApiError::internal)?;
            }
            out.push(b'}');
            Ok(out)
        })
        .collect()
}

/// Add a document's `_links` to the JSON object that ends `out`.
fn append_links(out: &mut Vec<u8>, info: &ResourceInfo, url: &str, id: &str, links: DocumentLinks) {
    append_links_with_related(out, info, url, id, links, None);
}

/// [`append_links`], with the `related` links of the references in `fields`.
fn append_links_with_related(
    out: &mut Vec<u8>,
    info: &ResourceInfo,
    url: &str,
    id: &str,
    links: DocumentLinks,
    fields: Option<&Map<String, Value>>,
) {
    // Reopen the object to add `_links` after the fields.
    out.pop();
    let empty = out.last() == Some(&b'{');
    let mark = out.len();
    links::document_with_related(out, info, url, id, links, fields);
    if empty && out.len() > mark {
        // No fields before `_links`: drop the comma `links` starts with.
        out.remove(mark);
    }
    out.push(b'}');
}

/// The answer to a write: the document's meta fields, its `self` link and the
/// `related` links of the references in its `fields`.
#[allow(clippy::too_many_arguments)]
fn write_write_result(
    info: &ResourceInfo,
    url: &str,
    out: &mut Vec<u8>,
    id: &str,
    created: i64,
    updated: i64,
    tag: &str,
    fields: &Map<String, Value>,
) {
    out.extend_from_slice(b"{\"_status\":\"OK\",\"_id\":");
    info.id_type.write_json(out, id);
    out.extend_from_slice(b",\"_created\":\"");
    info.dates.write(out, created);
    out.extend_from_slice(b"\",\"_updated\":\"");
    info.dates.write(out, updated);
    out.extend_from_slice(b"\",\"_etag\":\"");
    out.extend_from_slice(tag.as_bytes());
    out.push(b'"');
    lifecycle::write_kept_fields(info, out, fields);
    let fields = related::links(info).then_some(fields);
    links::document_with_related(out, info, url, id, DocumentLinks::SelfOnly, fields);
    out.push(b'}');
}

/// Answer for routes that do not exist, in Eve's envelope.
pub async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// Answer for methods a route does not allow, in Eve's envelope.
pub async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
