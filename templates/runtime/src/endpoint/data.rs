//! What a custom endpoint's method is given: the caller ([`Call`]) and typed access to
//! the API's resources acting as that caller ([`Data`], what atoti's
//! `session.tables[...]` gives).
//!
//! [`Data`] does what the HTTP protocol does, with the same code: a filter is a `where`
//! (parsed and checked by `query::parse_where`, compiled to bound SQL by the store);
//! soft-deleted documents are hidden as a GET hides them; a resource with an
//! `auth_field` shows the caller only their own documents and stamps what they write
//! with their user; inserts, updates and deletes run the handlers' own database part
//! (`handlers::insert_in`, `write_item_in`, `delete_item_in`): validation, defaults,
//! `unique`, `data_relation`, hooks, versions and oplog entries (`u`, `ip` of the
//! caller), with the same 422s. Only what belongs to HTTP is left out: no `If-Match`
//! is asked for, and the resource's `allowed_filters` (a limit on what *clients* may
//! filter by) does not apply to the service's own code.
//!
//! Writes take the write transaction only while they run: [`Data::transaction`] gives
//! a closure a [`Tx`] with the same operations, synchronous, all inside ONE
//! transaction, committed when the closure returns `Ok`. The closure cannot await, so
//! the write lock is never held across an await. Each operation of a [`Tx`] is all or
//! none by itself too (a savepoint), so an error a closure recovers from leaves nothing
//! half-written. "After" hooks (`on_inserted`...) run once the transaction committed.
//!
//! Sub-resources (`url = "people/{contact_id}/invoices"`): `find` and `count` need the
//! path fields in the filter as plain values (`{"contact_id": "..."}`), as the URL
//! would give them; `get`, `update` and `delete` by `_id` are refused (a 500 naming
//! the resource): reach the documents through a resource over the same table.

use std::borrow::Cow;
use std::cell::RefCell;

use serde_json::{Map, Value};

use crate::db::Writer;
use crate::error::ApiError;
use crate::handlers::{self, ItemDelete, ItemWrite};
use crate::oplog::Client;
use crate::query::{self, Filter, SortKey};
use crate::resource::{Resource, ResourceInfo};
use crate::routes::Scope;
use crate::state::AppState;
use crate::store::{ItemKey, Read, Selection, Window, Write as _};
use crate::{date, lifecycle, media};

/// What a custom endpoint's method receives: who calls, and the API's data as them.
pub struct Call {
    data: Data,
    #[cfg(feature = "auth")]
    caller: Option<crate::auth::Caller>,
}

impl Call {
    /// The call of a request by `client` (its address and user, `oplog::Client`),
    /// with the caller its guard let in (`auth::Caller`, feature `auth`).
    pub fn new(
        state: AppState,
        client: Client,
        #[cfg(feature = "auth")] caller: Option<crate::auth::Caller>,
    ) -> Call {
        Call {
            data: Data::new(state, client),
            #[cfg(feature = "auth")]
            caller,
        }
    }

    /// The authenticated user; `None` on a public endpoint or without auth.
    pub fn user(&self) -> Option<&str> {
        self.data.client.user.as_deref()
    }

    /// The caller the endpoint's guard let in: user, roles, API key consumer.
    #[cfg(feature = "auth")]
    pub fn caller(&self) -> Option<&crate::auth::Caller> {
        self.caller.as_ref()
    }

    /// The API's resources, read and written as the caller.
    pub fn data(&self) -> &Data {
        &self.data
    }
}

/// A generated handler may take the call as an extractor: the state, the client
/// (`oplog::Client`) and the guard's caller.
impl axum::extract::FromRequestParts<AppState> for Call {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(client) = Client::from_request_parts(parts, state).await;
        Ok(Call::new(
            state.clone(),
            client,
            #[cfg(feature = "auth")]
            crate::auth::caller(&parts.extensions).cloned(),
        ))
    }
}

/// How [`Data::find`] orders and windows what the filter matches.
///
/// The default: the resource's `default_sort` (insertion order without one), every
/// document.
#[derive(Debug, Clone, Default)]
pub struct Find {
    /// Eve's `sort` text (`[("lastname", -1)]` or `-lastname,born`); `None`: the
    /// resource's `default_sort`, else insertion order.
    pub sort: Option<String>,
    /// How many documents at most; `None`: all.
    pub limit: Option<u32>,
    /// How many to leave out first.
    pub skip: Option<u32>,
}

/// The API's resources, acting as one caller: owner scope (`auth_field`), oplog `u`
/// and `ip`. Cheap to clone.
#[derive(Clone)]
pub struct Data {
    state: AppState,
    client: Client,
}

impl Data {
    /// The data as `client` sees it. `Client::default()` (no user) sees every
    /// document, as a public operation does.
    pub fn new(state: AppState, client: Client) -> Data {
        Data { state, client }
    }

    /// The documents of `R` that `filter` matches: an Eve `where` as JSON
    /// (`json!({"year": {"$gte": 2000}})`; `json!({})`: all), 400 when it is not one
    /// the resource's fields allow.
    pub async fn find<R: Resource>(
        &self,
        filter: &Value,
        options: Find,
    ) -> Result<Vec<R>, ApiError> {
        self.state
            .db
            .read_costly(|conn| find_in::<R>(conn, &self.client, filter, &options))
            .await
    }

    /// How many documents of `R` `filter` matches, counted by the store.
    pub async fn count<R: Resource>(&self, filter: &Value) -> Result<u64, ApiError> {
        self.state
            .db
            .read_costly(|conn| count_in::<R>(conn, &self.client, filter))
            .await
    }

    /// The document of `R` whose `_id` is `id`; `None` when there is none the caller
    /// may see (another user's, soft-deleted, outside the datasource, not an id).
    pub async fn get<R: Resource>(&self, id: &str) -> Result<Option<R>, ApiError> {
        self.state
            .db
            .read(|conn| get_in::<R>(conn, &self.client, id))
    }

    /// Insert `documents` into `R`, all or none, in one transaction, as a bulk POST
    /// does: validation (a 422 with one `_items` entry per document), defaults,
    /// `unique`, `data_relation`, hooks, versions, oplog entries, and the owner field
    /// filled with the caller's user. Their `_id`s, in order.
    pub async fn insert<R: Resource>(
        &self,
        documents: Vec<Map<String, Value>>,
    ) -> Result<Vec<String>, ApiError> {
        self.write(|tx| tx.insert::<R>(documents)).await
    }

    /// Update the named fields of the document `id` of `R`, as a PATCH without
    /// `If-Match`: 404 when the caller has no such document, 422 when the result
    /// breaks a rule; hooks, versions and the oplog as for a PATCH.
    pub async fn update<R: Resource>(
        &self,
        id: &str,
        changes: Map<String, Value>,
    ) -> Result<(), ApiError> {
        self.write(|tx| tx.update::<R>(id, changes)).await
    }

    /// Delete the document `id` of `R` as a DELETE does (marked deleted on a
    /// `soft_delete` resource); `false` when the caller has no such document.
    pub async fn delete<R: Resource>(&self, id: &str) -> Result<bool, ApiError> {
        self.write(|tx| tx.delete::<R>(id)).await
    }

    /// Run `work` in ONE write transaction: every write it makes through the [`Tx`]
    /// is committed when it returns `Ok`, and none when it returns `Err`. It runs
    /// synchronously, holding the write lock: keep it short, and do slow work
    /// (network, files) before or after.
    pub async fn transaction<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Tx<'_>) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.write(work).await
    }

    /// Run `work` with a [`Tx`], commit, then run the "after" hooks it collected.
    async fn write<T>(
        &self,
        work: impl FnOnce(&Tx<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let (value, after) = self
            .state
            .db
            .write(|writer| {
                let tx = Tx {
                    writer,
                    data: self,
                    after: RefCell::new(Vec::new()),
                };
                let value = work(&tx)?;
                Ok((value, tx.after.into_inner()))
            })
            .await?;
        let hooks = &self.state.hooks;
        for event in after {
            match event {
                After::Inserted(name, documents) => hooks.on_inserted(name, &documents),
                After::Updated(name, changes, original) => {
                    hooks.on_updated(name, &changes, &original);
                }
                After::Deleted(name, id) => hooks.on_deleted_item(name, &id),
            }
        }
        Ok(value)
    }
}

/// The API's resources inside one write transaction ([`Data::transaction`]): the
/// operations of [`Data`], synchronous, each all or none.
pub struct Tx<'a> {
    writer: &'a Writer<'a>,
    data: &'a Data,
    /// The "after" hooks of what was written, run once the transaction committed.
    after: RefCell<Vec<After>>,
}

/// An "after" hook to run once the transaction commits.
enum After {
    Inserted(&'static str, Vec<Map<String, Value>>),
    Updated(&'static str, Map<String, Value>, Map<String, Value>),
    Deleted(&'static str, String),
}

impl Tx<'_> {
    /// [`Data::find`], inside the transaction (it sees the transaction's writes).
    pub fn find<R: Resource>(&self, filter: &Value, options: Find) -> Result<Vec<R>, ApiError> {
        find_in::<R>(self.writer, self.client(), filter, &options)
    }

    /// [`Data::count`], inside the transaction.
    pub fn count<R: Resource>(&self, filter: &Value) -> Result<u64, ApiError> {
        count_in::<R>(self.writer, self.client(), filter)
    }

    /// [`Data::get`], inside the transaction.
    pub fn get<R: Resource>(&self, id: &str) -> Result<Option<R>, ApiError> {
        get_in::<R>(self.writer, self.client(), id)
    }

    /// [`Data::insert`], inside the transaction.
    pub fn insert<R: Resource>(
        &self,
        documents: Vec<Map<String, Value>>,
    ) -> Result<Vec<String>, ApiError> {
        let info = R::INFO;
        if documents.is_empty() {
            return Ok(Vec::new());
        }
        // A media field holds the id of a file the server received; Rust code has
        // none to give (as a JSON body has none).
        for document in &documents {
            media::check_client_values(info, document)?;
        }
        let scope = write_scope(info, self.client());
        let outcomes = handlers::validate_inserts(info, &scope, documents);
        let hooks = &*self.data.state.hooks;
        let (written, documents) = self.writer.atomically(|| {
            let no_files = media::Uploads::new();
            let outcomes = (outcomes, true);
            handlers::insert_in(
                self.writer,
                info,
                hooks,
                self.client(),
                outcomes,
                &no_files,
                date::now(),
            )
        })?;
        self.after
            .borrow_mut()
            .push(After::Inserted(info.name, documents));
        Ok(written.into_iter().map(|(id, _)| id).collect())
    }

    /// [`Data::update`], inside the transaction.
    pub fn update<R: Resource>(
        &self,
        id: &str,
        mut changes: Map<String, Value>,
    ) -> Result<(), ApiError> {
        let info = R::INFO;
        if !info.id_type.is_valid(id) {
            return Err(ApiError::not_found());
        }
        media::check_client_values(info, &changes)?;
        let scope = item_scope(info, self.client())?;
        let sent_id = changes.remove("_id");
        handlers::strip_read_only(&mut changes);
        lifecycle::check_item_write(info, &changes)?;
        scope.fill(&mut changes, false);
        let no_files = media::Uploads::new();
        let item = ItemWrite {
            info,
            load: handlers::load::<R>,
            write: handlers::Write::Patch,
            hooks: &*self.data.state.hooks,
            client: self.client(),
            id,
            scope: &scope,
            changes: &changes,
            sent_id: sent_id.as_ref(),
            if_match: None,
            upsert: false,
            uploads: &no_files,
            now: date::now(),
        };
        let written = self
            .writer
            .atomically(|| handlers::write_item_in(self.writer, &item))?;
        // Without `upsert` a missing document is a 404 already.
        let Some((_, _, _, original)) = written else {
            return Err(ApiError::not_found());
        };
        self.after
            .borrow_mut()
            .push(After::Updated(info.name, changes, original));
        Ok(())
    }

    /// [`Data::delete`], inside the transaction.
    pub fn delete<R: Resource>(&self, id: &str) -> Result<bool, ApiError> {
        let info = R::INFO;
        if !info.id_type.is_valid(id) {
            return Ok(false);
        }
        let scope = item_scope(info, self.client())?;
        let item = ItemDelete {
            info,
            load: handlers::load::<R>,
            hooks: &*self.data.state.hooks,
            client: self.client(),
            id,
            scope: &scope,
            if_match: None,
        };
        let deleted = self
            .writer
            .atomically(|| handlers::delete_item_in(self.writer, &item))?;
        if deleted {
            self.after
                .borrow_mut()
                .push(After::Deleted(info.name, id.to_string()));
        }
        Ok(deleted)
    }

    fn client(&self) -> &Client {
        &self.data.client
    }
}

/// A find or count: the filter parsed and checked, the order, the caller's scope.
struct Query {
    filter: Option<Filter>,
    sort: Vec<SortKey>,
    scope: Scope,
    hide_deleted: bool,
}

impl Query {
    /// `None`: the filter gives a sub-resource's path field a value no document can
    /// hold (an objectid that is none), so nothing matches.
    fn new(
        info: &'static ResourceInfo,
        filter: &Value,
        sort: Option<&str>,
        client: &Client,
    ) -> Result<Option<Query>, ApiError> {
        let empty = Map::new();
        let conditions = match filter {
            Value::Object(map) => map,
            Value::Null => &empty,
            _ => return Err(ApiError::bad_request("A filter must be a JSON object")),
        };
        let fields = info.query_fields.unwrap_or(info.fields);
        let filter = if conditions.is_empty() {
            None
        } else {
            let parsed = query::parse_where(&filter.to_string(), fields, info.dates)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            Some(parsed)
        };
        let sort = match sort.or(info.default_sort) {
            None => Vec::new(),
            Some(text) => {
                query::parse_sort(text, fields).map_err(|e| ApiError::bad_request(e.to_string()))?
            }
        };
        let Some(scope) = list_scope(info, conditions, client)? else {
            return Ok(None);
        };
        Ok(Some(Query {
            hide_deleted: lifecycle::hides_deleted(info, None, filter.as_ref()),
            filter,
            sort,
            scope,
        }))
    }

    fn selection(&self) -> Selection<'_> {
        Selection {
            scope: &self.scope,
            filter: self.filter.as_ref(),
            sort: &self.sort,
            page: None,
            hide_deleted: self.hide_deleted,
        }
    }
}

fn window(options: &Find) -> Window {
    Window {
        skip: options.skip.map_or(0, u64::from),
        limit: options.limit.map(u64::from),
    }
}

/// The documents `filter` matches through `conn`, as the caller may see them.
pub(crate) fn find_in<R: Resource>(
    conn: &impl Read,
    client: &Client,
    filter: &Value,
    options: &Find,
) -> Result<Vec<R>, ApiError> {
    let Some(query) = Query::new(R::INFO, filter, options.sort.as_deref(), client)? else {
        return Ok(Vec::new());
    };
    conn.find::<R>(R::INFO, &query.selection(), window(options))
}

/// How many documents `filter` matches through `conn`, as the caller may see them.
fn count_in<R: Resource>(
    conn: &impl Read,
    client: &Client,
    filter: &Value,
) -> Result<u64, ApiError> {
    let Some(query) = Query::new(R::INFO, filter, None, client)? else {
        return Ok(0);
    };
    let total = conn.count(R::INFO, &query.selection())?;
    Ok(u64::try_from(total).unwrap_or(0))
}

/// A document by `_id` through `conn`, as the caller may see it.
fn get_in<R: Resource>(conn: &impl Read, client: &Client, id: &str) -> Result<Option<R>, ApiError> {
    let info = R::INFO;
    if !info.id_type.is_valid(id) {
        return Ok(None);
    }
    let scope = item_scope(info, client)?;
    let document = conn.get::<R>(info, ItemKey::Id(id), &scope)?;
    // A GET serves a soft-deleted document as a 404.
    Ok(document.filter(|document| !document.deleted()))
}

/// The caller's part of `info`: their documents when it has an `auth_field`, and no
/// path values (a document written holds its path fields itself).
fn write_scope(info: &'static ResourceInfo, client: &Client) -> Scope {
    Scope {
        url: Cow::Borrowed(info.url),
        values: Vec::new(),
        owner: info.auth_field.map(|field| (field, client.user.clone())),
    }
}

/// The scope of a read or write by `_id`; a sub-resource's needs path values it has
/// not got.
fn item_scope(info: &'static ResourceInfo, client: &Client) -> Result<Scope, ApiError> {
    if !info.path_fields.is_empty() {
        return Err(sub_resource(info));
    }
    Ok(write_scope(info, client))
}

/// The scope of a find or count: of a sub-resource, its path values taken from the
/// filter's top-level conditions (`None` when one cannot be the field's).
fn list_scope(
    info: &'static ResourceInfo,
    conditions: &Map<String, Value>,
    client: &Client,
) -> Result<Option<Scope>, ApiError> {
    if info.path_fields.is_empty() {
        return Ok(Some(write_scope(info, client)));
    }
    let mut params = Vec::with_capacity(info.path_fields.len());
    for name in info.path_fields {
        let text = match conditions.get(*name) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            _ => return Err(sub_resource(info)),
        };
        params.push((name.to_string(), text));
    }
    Ok(Scope::new(info, &params, client.user.as_deref()).ok())
}

fn sub_resource(info: &ResourceInfo) -> ApiError {
    ApiError::internal(format!(
        "endpoint data: '{}' is a sub-resource ({}); a find or count names its path \
         fields ({}) in the filter, and it has no reads or writes by _id",
        info.name,
        info.url,
        info.path_fields.join(", ")
    ))
}
