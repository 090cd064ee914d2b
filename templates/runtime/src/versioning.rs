//! Eve's document versioning (`versioning`): every write keeps the document as it
//! then is in the resource's versions table (`<table>_versions`, declared in the
//! storage schema like any table), and `?version=` serves any of them.
//!
//! A versioned resource's documents carry `_version` (1 on POST, one more on each
//! PATCH, PUT and soft DELETE: a column of its table, a field the generator adds to
//! the catalog) and `_latest_version` (not stored: the current document's
//! `_version`, which its generated serializer writes). The versions table holds
//! every field, the meta fields and `_deleted`: Eve's `versioned_fields` when no
//! field opts out, so an old version is its row, read as a document of the resource.
//! A resource without `versioning` never reaches this code.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use crate::db::Writer;
use crate::error::ApiError;
use crate::http::{self, ListParams};
use crate::lifecycle;
use crate::options::Projections;
use crate::resource::{Resource, ResourceInfo};
use crate::routes::Scope;
use crate::state::AppState;
use crate::store::{ItemKey, Read as _};

/// Eve's `VERSION`: the document's version number.
pub const VERSION: &str = "_version";
/// Eve's `LATEST_VERSION`: the current version, on every version served.
pub const LATEST_VERSION: &str = "_latest_version";
/// Eve's `VERSION_ID_SUFFIX`: the versions table's column of the document's `_id`
/// is `_id` with it (`_id_document`).
pub const VERSION_ID_SUFFIX: &str = "_document";
/// Eve's `VERSIONS`: the versions table is the resource's table with it.
pub const VERSIONS: &str = "_versions";
/// Eve's `VERSION_PARAM`: the query parameter that asks for old versions.
pub const VERSION_PARAM: &str = "version";

type Result<T, E = ApiError> = std::result::Result<T, E>;

/// What the storage keeps of a versioned resource's history. The embedded store
/// implements it in `sqlite::history`; every method runs in the request's
/// transaction or snapshot.
pub trait History {
    /// Copy the document `id` as it is stored now into the versions table. With
    /// `if_missing`, only when that version is not there yet: a document stored before
    /// versioning was turned on gets its first version so (Eve's
    /// `late_versioning_catch`).
    fn save_version(&self, info: &'static ResourceInfo, id: &str, if_missing: bool) -> Result<()>;
    /// Forget the versions of `id`, or with `None` those of every document no longer in
    /// the resource's table (after a DELETE of the collection).
    fn forget_versions(&self, info: &'static ResourceInfo, id: Option<&str>) -> Result<()>;
    /// Version `version` of the document `id`.
    fn version<R: Resource>(&self, id: &str, version: i64) -> Result<Option<R>>;
    /// How many versions the document `id` has, and `limit` of them from `offset`,
    /// oldest first (`limit` `None`: all).
    fn versions<R: Resource>(
        &self,
        id: &str,
        offset: u64,
        limit: Option<u32>,
    ) -> Result<(i64, Vec<R>)>;
}

/// What `?version=` asks of an item GET.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requested {
    /// `?version=N`: that version.
    Number(i64),
    /// `?version=all`: every version, oldest first, in a collection envelope.
    All,
    /// `?version=diffs`: the first version whole, then what each one changed.
    Diffs,
}

/// The `?version=` of an item GET on a versioned resource; `None` when the resource is
/// not versioned (Eve ignores the parameter then) or the query has none.
pub fn requested(info: &ResourceInfo, raw_query: Option<&str>) -> Result<Option<Requested>> {
    if info.versioning.is_none() {
        return Ok(None);
    }
    let Some(query) = raw_query else {
        return Ok(None);
    };
    let Some((_, value)) =
        form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == VERSION_PARAM)
    else {
        return Ok(None);
    };
    match value.as_ref() {
        "all" => Ok(Some(Requested::All)),
        "diffs" => Ok(Some(Requested::Diffs)),
        text => match text.parse::<i64>() {
            Ok(number) if number > 0 => Ok(Some(Requested::Number(number))),
            _ => Err(ApiError::bad_request(
                "Document version number should be an int greater than 0",
            )),
        },
    }
}

/// A new document's first version (POST).
pub fn set_first(info: &ResourceInfo, fields: &mut Map<String, Value>) {
    if info.versioning.is_some() {
        fields.insert(VERSION.to_string(), Value::from(1));
    }
}

/// A rewritten document's next version (PATCH, PUT, soft DELETE). A document stored
/// before versioning was turned on counts as version 1.
pub fn set_next(
    info: &ResourceInfo,
    fields: &mut Map<String, Value>,
    original: &Map<String, Value>,
) {
    if info.versioning.is_some() {
        let current = original.get(VERSION).and_then(Value::as_i64).unwrap_or(1);
        fields.insert(VERSION.to_string(), Value::from(current.saturating_add(1)));
    }
}

/// Before a rewrite (PATCH, PUT, soft DELETE) of the document `id`: keep the version it
/// replaces when it was never recorded (a document stored before versioning was
/// turned on), as Eve's `late_versioning_catch` does.
pub fn before_rewrite(tx: &Writer<'_>, info: &'static ResourceInfo, id: &str) -> Result<()> {
    if info.versioning.is_some() {
        tx.save_version(info, id, true)?;
    }
    Ok(())
}

/// After a write (POST, PATCH, PUT, soft DELETE) of the document `id`: record the
/// version it stored, in the same transaction.
pub fn after_write(tx: &Writer<'_>, info: &'static ResourceInfo, id: &str) -> Result<()> {
    if info.versioning.is_some() {
        tx.save_version(info, id, false)?;
    }
    Ok(())
}

/// After a hard DELETE of the document `id` (`None`: of the collection): its
/// versions go too.
pub fn after_delete(tx: &Writer<'_>, info: &'static ResourceInfo, id: Option<&str>) -> Result<()> {
    if info.versioning.is_some() {
        tx.forget_versions(info, id)?;
    }
    Ok(())
}

/// GET of an item with `?version=`: one old version, or all of them (whole or as
/// diffs), each with `_latest_version` the current one. A page of versions is read as
/// a collection page is: off the async workers when it takes long.
pub async fn get<R: Resource>(
    state: &AppState,
    info: &'static ResourceInfo,
    key: ItemKey<'_>,
    scope: &Scope,
    requested: Requested,
    headers: &HeaderMap,
    raw_query: Option<&str>,
) -> Result<Response> {
    let params = ListParams::parse(raw_query, info.pagination_default, info.pagination_limit)?;
    let (current, total, versions, resolved) = state
        .db
        .read_costly(|conn| {
            let current = conn
                .get::<R>(info, key, scope)?
                .ok_or_else(ApiError::not_found)?;
            let id = current.id();
            let (total, versions) = match requested {
                Requested::Number(number) => {
                    let found = conn
                        .version::<R>(id, number)?
                        .ok_or_else(ApiError::not_found)?;
                    (1, vec![found])
                }
                Requested::All | Requested::Diffs => {
                    let (max_results, page) = (params.max_results, params.page);
                    let offset = u64::from(page.saturating_sub(1)) * u64::from(max_results);
                    if !info.pagination {
                        conn.versions::<R>(id, 0, None)?
                    } else if requested == Requested::Diffs && offset > 0 {
                        // A later page's first diff is against the last version before it.
                        conn.versions::<R>(id, offset - 1, Some(max_results + 1))?
                    } else {
                        conn.versions::<R>(id, offset, Some(max_results))?
                    }
                }
            };
            // Files as the API serves them (a version holds media ids, as the
            // document does): the current document's, then each version's.
            let resolved = crate::media::resolve(info, conn, std::slice::from_ref(&current), None)?
                .map(|mut current| -> Result<_, ApiError> {
                    let versions = crate::media::resolve(info, conn, &versions, None)?;
                    Ok((current.remove(0), versions.unwrap_or_default()))
                })
                .transpose()?;
            Ok((current, total, versions, resolved))
        })
        .await?;
    let (current_served, versions_served) = match resolved {
        Some((current, versions)) => (Some(current), versions),
        None => (None, Vec::new()),
    };
    let as_map = |document: &R, served: Option<&Vec<u8>>| -> Map<String, Value> {
        let value = match served {
            Some(bytes) => serde_json::from_slice(bytes).ok(),
            None => serde_json::to_value(document).ok(),
        };
        match value {
            Some(Value::Object(document)) => document,
            _ => Map::new(),
        }
    };
    let latest = current.version().unwrap_or(1);
    let url = format!("{}/{}", scope.url, current.id());
    let settings = info.versioning.ok_or_else(ApiError::not_found)?;
    // What an old version takes from the current document: its unversioned fields.
    let current_fields = match settings.unversioned.is_empty() {
        true => Map::new(),
        false => as_map(&current, current_served.as_ref()),
    };
    let projection = Projections::for_item(info, raw_query)?;
    let served = |version: &R, resolved: Option<&Vec<u8>>| {
        let mut document = as_map(version, resolved);
        for name in settings.unversioned {
            match current_fields.get(*name) {
                Some(value) => document.insert(name.to_string(), value.clone()),
                None => document.remove(*name),
            };
        }
        if !projection.is_empty() {
            document = projected(&projection, &document);
        }
        document.insert(LATEST_VERSION.to_string(), Value::from(latest));
        if info.hateoas {
            let number = version.version().unwrap_or(1);
            let href = format!("{url}?{VERSION_PARAM}={number}");
            document.insert(
                "_links".to_string(),
                serde_json::json!({"self": link(info.item_title, &href)}),
            );
        }
        document
    };
    // Eve adds the latest version to the tag, so a cached old version goes stale
    // when the document changes.
    let tag = |etag: &str| format!("{etag}{latest}");
    let updated = current.updated();
    // A soft-deleted version is served as Eve serves a deleted document.
    let deleted = matches!(requested, Requested::Number(_)) && versions[0].deleted();
    let (body, etag) = match requested {
        Requested::Number(number) => {
            let old = &versions[0];
            let mut document = served(old, versions_served.first());
            if info.hateoas {
                document.insert(
                    "_links".to_string(),
                    serde_json::json!({
                        "self": link(info.item_title, &format!("{url}?{VERSION_PARAM}={number}")),
                        "parent": link(info.item_title, &url),
                        "collection": link(info.url, &format!("{url}?{VERSION_PARAM}=all")),
                    }),
                );
            }
            (Value::Object(document), tag(old.etag()))
        }
        Requested::All | Requested::Diffs => {
            let mut documents: Vec<Map<String, Value>> = if versions.is_empty() {
                // Stored before versioning was on: the document is its only version.
                vec![served(&current, current_served.as_ref())]
            } else {
                versions
                    .iter()
                    .enumerate()
                    .map(|(i, version)| served(version, versions_served.get(i)))
                    .collect()
            };
            if requested == Requested::Diffs {
                let first_page = params.page <= 1 || !info.pagination;
                documents = diffs(documents, first_page, settings.diff_include);
            }
            let items = Value::Array(documents.into_iter().map(Value::Object).collect());
            if !info.hateoas {
                // Without HATEOAS Eve answers the bare list: no `_links`, no `_meta`.
                (items, tag(current.etag()))
            } else {
                let word = if requested == Requested::All {
                    "all"
                } else {
                    "diffs"
                };
                let mut envelope = Map::new();
                envelope.insert("_items".to_string(), items);
                envelope.insert(
                    "_links".to_string(),
                    page_links(info, &url, word, &params, total),
                );
                if info.pagination {
                    envelope.insert(
                        "_meta".to_string(),
                        serde_json::json!({
                            "page": params.page,
                            "max_results": params.max_results,
                            "total": total,
                        }),
                    );
                }
                (Value::Object(envelope), tag(current.etag()))
            }
        }
    };
    if http::not_modified(headers, &etag, updated) {
        return Ok(http::cached(
            info,
            http::not_modified_response(&etag, Some(updated)),
        ));
    }
    let bytes = serde_json::to_vec(&body).map_err(|e| ApiError::internal(e.to_string()))?;
    if deleted {
        return Ok(lifecycle::deleted_response(bytes, &etag, updated));
    }
    Ok(http::cached(
        info,
        http::json_response(StatusCode::OK, bytes, Some(&etag), Some(updated)),
    ))
}

/// `document` with only what `projection` keeps (the meta fields always).
fn projected(projection: &Projections, document: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Vec::new();
    let whole = serde_json::to_vec(document).unwrap_or_default();
    if !projection.write(&mut out, &whole) {
        return document.clone();
    }
    serde_json::from_slice(&out).unwrap_or_else(|_| document.clone())
}

/// Eve's `diff_document` over consecutive versions: the members that are new or
/// changed (it does not show removed ones), and those of `include` (Eve's
/// `VERSION_DIFF_INCLUDE`). On the first page the first version is served whole; on a
/// later one the first document is only the base of the next.
fn diffs(
    documents: Vec<Map<String, Value>>,
    first_page: bool,
    include: &[&str],
) -> Vec<Map<String, Value>> {
    let mut served = Vec::with_capacity(documents.len());
    let mut previous: Option<Map<String, Value>> = None;
    for document in documents {
        match &previous {
            None if first_page => served.push(document.clone()),
            None => {}
            Some(old) => served.push(
                document
                    .iter()
                    .filter(|(key, value)| {
                        old.get(key.as_str()) != Some(value) || include.contains(&key.as_str())
                    })
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect(),
            ),
        }
        previous = Some(document);
    }
    served
}

/// `{"title": ..., "href": ...}`.
fn link(title: &str, href: &str) -> Value {
    serde_json::json!({"title": title, "href": href})
}

/// The `_links` of `?version=all` and `?version=diffs`: the versions' page, the
/// collection as parent, the document as collection, and the other pages.
fn page_links(
    info: &ResourceInfo,
    url: &str,
    word: &str,
    params: &ListParams,
    total: i64,
) -> Value {
    let query = |page: u32| {
        let mut query = String::new();
        if params.max_results_given {
            query.push_str(&format!("max_results={}&", params.max_results));
        }
        query.push_str(&format!("{VERSION_PARAM}={word}"));
        if page > 1 {
            query.push_str(&format!("&page={page}"));
        }
        format!("{url}?{query}")
    };
    let collection_url = url
        .rsplit_once('/')
        .map_or(url, |(collection, _)| collection);
    let mut links = Map::new();
    links.insert("parent".to_string(), link(info.url, collection_url));
    links.insert(
        "self".to_string(),
        link(info.item_title, &query(params.page)),
    );
    links.insert("collection".to_string(), link(info.item_title, url));
    if info.pagination {
        let last = (total.max(0) as u64)
            .div_ceil(u64::from(params.max_results))
            .max(1);
        if u64::from(params.page) < last {
            links.insert(
                "next".to_string(),
                link("next page", &query(params.page + 1)),
            );
            links.insert("last".to_string(), link("last page", &query(last as u32)));
        }
        if params.page > 1 {
            links.insert(
                "prev".to_string(),
                link("previous page", &query(params.page - 1)),
            );
        }
    }
    Value::Object(links)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static PLAIN: ResourceInfo = ResourceInfo {
        name: "plain",
        ..ResourceInfo::DEFAULTS
    };
    static VERSIONED: ResourceInfo = ResourceInfo {
        name: "books",
        versioning: Some(&crate::resource::Versioning {
            table: &crate::schema::NO_TABLE,
            unversioned: &[],
            diff_include: &[],
        }),
        ..ResourceInfo::DEFAULTS
    };

    #[test]
    fn the_version_parameter() {
        let plain = &PLAIN;
        assert_eq!(
            requested(plain, Some("version=x")).unwrap(),
            None,
            "ignored"
        );
        assert_eq!(requested(&VERSIONED, None).unwrap(), None);
        assert_eq!(requested(&VERSIONED, Some("page=2")).unwrap(), None);
        assert_eq!(
            requested(&VERSIONED, Some("version=3")).unwrap(),
            Some(Requested::Number(3))
        );
        assert_eq!(
            requested(&VERSIONED, Some("version=all")).unwrap(),
            Some(Requested::All)
        );
        assert_eq!(
            requested(&VERSIONED, Some("version=diffs")).unwrap(),
            Some(Requested::Diffs)
        );
        for bad in [
            "version=0",
            "version=-1",
            "version=",
            "version=1.5",
            "version=ALL",
        ] {
            let error = requested(&VERSIONED, Some(bad)).unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn diffs_keep_what_changed() {
        let as_map = |v: Value| v.as_object().cloned().unwrap();
        let versions = vec![
            as_map(json!({"_id": "a", "title": "Uno", "_version": 1, "_etag": "x"})),
            as_map(json!({"_id": "a", "title": "Dos", "_version": 2, "_etag": "y"})),
            as_map(json!({"_id": "a", "title": "Dos", "_version": 3, "_etag": "z"})),
        ];
        let served = diffs(versions.clone(), true, &[]);
        assert_eq!(
            Value::Object(served[0].clone()),
            json!({"_id": "a", "title": "Uno", "_version": 1, "_etag": "x"})
        );
        assert_eq!(
            Value::Object(served[1].clone()),
            json!({"title": "Dos", "_version": 2, "_etag": "y"})
        );
        assert_eq!(
            Value::Object(served[2].clone()),
            json!({"_version": 3, "_etag": "z"})
        );
        let later = diffs(versions.clone(), false, &[]);
        assert_eq!(later.len(), 2, "the first is only a base");
        let included = diffs(versions, true, &["_id", "title"]);
        assert_eq!(
            Value::Object(included[2].clone()),
            json!({"_id": "a", "title": "Dos", "_version": 3, "_etag": "z"})
        );
    }
}
