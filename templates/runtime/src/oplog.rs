//! Eve's oplog (`[api] oplog = true`): one entry per written document, stored in the
//! oplog's own table in the same transaction as the write, so an entry exists exactly
//! when its write was committed.
//!
//! An entry is Eve's (`eve/methods/common.py`, `oplog_push`): `r` the resource's url,
//! `o` the method, `i` the document's id and, when auditing (`oplog_audit`), `ip` the
//! client's address, `u` the user (the request's authenticated user, `"n/a"` without
//! one, as in Eve)
//! and, for the methods of `oplog_change_methods`, `c` the changes: the fields sent
//! (PATCH), the new document (PUT), the deleted document (DELETE), the new document
//! (POST, when listed). A DELETE on a collection writes one DELETE entry per document
//! it removes: Eve 2.3.1 logs none, which would leave a reader of the oplog (a live
//! subscription resuming from it) unaware of those deletions.
//! Its `_created` and `_updated` are the written document's
//! `_updated`, as in Eve. Its `_id` is the table's `AUTOINCREMENT` key, so entries are
//! numbered in the order they were committed and a number is never used twice, even
//! after the newest entries are deleted: a reader can resume after the last number it
//! saw.
//!
//! The entries are served by an ordinary read-only resource the generator adds to the
//! spec (`oplog_endpoint`), with the runtime's `where`, `sort` and paging.
//!
//! A resource whose writes are not logged has `ResourceInfo::oplog` unset: each write
//! site tests that one field and does nothing else.

use std::net::{IpAddr, SocketAddr};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::db::Writer;
use crate::error::ApiError;
use crate::etag;
use crate::resource::ResourceInfo;
use crate::routes::IdType;
use crate::store::{Inserted, NewDocument, Write as _};

/// The oplog's settings, shared by every resource whose writes it records.
#[derive(Debug)]
pub struct Oplog {
    /// The oplog's own resource: its table receives the entries.
    pub entries: &'static ResourceInfo,
    /// Eve's `OPLOG_METHODS`: the writes that get an entry.
    pub methods: Methods,
    /// Eve's `OPLOG_CHANGE_METHODS`: the writes whose entry holds `c`.
    pub change_methods: Methods,
    /// Eve's `OPLOG_AUDIT`: entries hold `ip`, `u` and `c`.
    pub audit: bool,
}

/// A set of write methods.
#[derive(Debug, Clone, Copy, Default)]
pub struct Methods {
    pub post: bool,
    pub patch: bool,
    pub put: bool,
    pub delete: bool,
}

impl Methods {
    fn has(self, op: Op) -> bool {
        match op {
            Op::Post => self.post,
            Op::Patch => self.patch,
            Op::Put => self.put,
            Op::Delete => self.delete,
        }
    }
}

/// The write an entry records: its `o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Post,
    Patch,
    Put,
    Delete,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Post => "POST",
            Op::Patch => "PATCH",
            Op::Put => "PUT",
            Op::Delete => "DELETE",
        }
    }
}

/// The address of the client a request came from (Eve's `request.remote_addr`).
///
/// The server puts it in a request's extensions only when the API audits its oplog
/// (`Api::CLIENT_ADDRESS`), so other APIs pay nothing for it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

/// A write handler's view of its client: its address when the server recorded it,
/// and its authenticated user (`auth::Caller`), which the oplog's `u` records and an
/// `auth_field` resource's documents are restricted to.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<IpAddr>,
    pub user: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Without the extensions the map is empty and these are pointer tests.
        Ok(Client {
            ip: parts.extensions.get::<ClientAddr>().map(|addr| addr.0.ip()),
            user: crate::routes::request_user(&parts.extensions),
        })
    }
}

/// Whether a `op` on `info` writes an entry.
pub fn logs(info: &ResourceInfo, op: Op) -> bool {
    logging(info, op).is_some()
}

/// Whether a `op` on `info` writes an entry whose `c` holds the whole stored document:
/// a DELETE then reads the document before deleting it.
pub fn wants_document(info: &ResourceInfo, op: Op) -> bool {
    info.oplog
        .is_some_and(|log| log.methods.has(op) && log.audit && log.change_methods.has(op))
}

/// The entries of documents a POST inserted: `(id, fields)` of each, in order.
pub fn posted<'a>(
    tx: &Writer<'_>,
    info: &ResourceInfo,
    client: &Client,
    now: i64,
    documents: impl Iterator<Item = (&'a str, &'a Map<String, Value>)>,
) -> Result<(), ApiError> {
    let Some(log) = logging(info, Op::Post) else {
        return Ok(());
    };
    for (id, fields) in documents {
        let document = || whole_document(info, id, now, fields);
        push(tx, log, info, Op::Post, client, id, now, document)?;
    }
    Ok(())
}

/// The entry of a PATCH: `c` holds the fields the client sent.
pub fn patched(
    tx: &Writer<'_>,
    info: &ResourceInfo,
    client: &Client,
    id: &str,
    now: i64,
    changes: &Map<String, Value>,
) -> Result<(), ApiError> {
    let Some(log) = logging(info, Op::Patch) else {
        return Ok(());
    };
    push(tx, log, info, Op::Patch, client, id, now, || {
        Value::Object(changes.clone())
    })
}

/// The entry of a PUT: `c` holds the new document.
pub fn replaced(
    tx: &Writer<'_>,
    info: &ResourceInfo,
    client: &Client,
    (id, created, now): (&str, i64, i64),
    fields: &Map<String, Value>,
) -> Result<(), ApiError> {
    let Some(log) = logging(info, Op::Put) else {
        return Ok(());
    };
    push(tx, log, info, Op::Put, client, id, now, || {
        whole_document(info, id, created, fields)
    })
}

/// The entry of a DELETE: `c` holds the deleted document (`deleted`: its `_created`,
/// `_updated` and fields, read when [`wants_document`] said so). As in Eve, the entry's
/// dates are the deleted document's `_updated`, or now when it was not read.
pub fn deleted(
    tx: &Writer<'_>,
    info: &ResourceInfo,
    client: &Client,
    id: &str,
    deleted: Option<(i64, i64, &Map<String, Value>)>,
) -> Result<(), ApiError> {
    let Some(log) = logging(info, Op::Delete) else {
        return Ok(());
    };
    let updated = deleted.map_or_else(crate::date::now, |(_, updated, _)| updated);
    push(tx, log, info, Op::Delete, client, id, updated, || {
        deleted.map_or(Value::Null, |(created, _, fields)| {
            whole_document(info, id, created, fields)
        })
    })
}

/// The oplog, when `info`'s writes by `op` are logged.
#[inline]
fn logging(info: &ResourceInfo, op: Op) -> Option<&'static Oplog> {
    info.oplog.filter(|log| log.methods.has(op))
}

/// A document as `c` holds it: `_id`, its fields, `_created` (Eve leaves out only
/// `_etag` and `_updated`, which the entry has of its own).
fn whole_document(
    info: &ResourceInfo,
    id: &str,
    created: i64,
    fields: &Map<String, Value>,
) -> Value {
    let mut document = Map::with_capacity(fields.len() + 2);
    document.insert("_id".into(), id_value(info, id));
    document.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
    document.insert("_created".into(), Value::String(info.dates.format(created)));
    Value::Object(document)
}

/// A document's `_id` as JSON: a number for integer ids, else a string.
pub(crate) fn id_value(info: &ResourceInfo, id: &str) -> Value {
    match (info.id_type, id.parse::<i64>()) {
        (IdType::Integer, Ok(number)) => Value::from(number),
        _ => Value::from(id),
    }
}

/// Store one entry in the oplog's table.
#[allow(clippy::too_many_arguments)]
fn push(
    tx: &Writer<'_>,
    log: &'static Oplog,
    info: &ResourceInfo,
    op: Op,
    client: &Client,
    id: &str,
    updated: i64,
    changes: impl FnOnce() -> Value,
) -> Result<(), ApiError> {
    let entry = entry(log, info, op, client, id, changes);
    let tag = etag::of_fields(&entry);
    let document = NewDocument {
        id: None,
        created: updated,
        updated,
        etag: &tag,
        fields: &entry,
    };
    match tx.insert(log.entries, document)? {
        Inserted::Id(_) => Ok(()),
        // The database numbers entries: no number can be taken.
        Inserted::Duplicate => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the oplog refused an entry",
        )),
    }
}

/// An entry's fields, as Eve's `oplog_push` makes them.
fn entry(
    log: &Oplog,
    info: &ResourceInfo,
    op: Op,
    client: &Client,
    id: &str,
    changes: impl FnOnce() -> Value,
) -> Map<String, Value> {
    let mut entry = Map::with_capacity(6);
    entry.insert("r".into(), Value::from(info.url));
    entry.insert("o".into(), Value::from(op.name()));
    entry.insert("i".into(), Value::from(id));
    if log.audit {
        let ip = client
            .ip
            .map_or(Value::Null, |ip| Value::String(ip.to_string()));
        entry.insert("ip".into(), ip);
        entry.insert(
            "u".into(),
            Value::from(client.user.as_deref().unwrap_or("n/a")),
        );
        if log.change_methods.has(op) {
            entry.insert("c".into(), changes());
        }
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static BOOKS: ResourceInfo = ResourceInfo {
        name: "books",
        url: "books",
        ..ResourceInfo::DEFAULTS
    };

    fn log(audit: bool) -> Oplog {
        Oplog {
            entries: &BOOKS,
            methods: Methods {
                post: true,
                patch: true,
                put: true,
                delete: true,
            },
            change_methods: Methods {
                patch: true,
                ..Methods::default()
            },
            audit,
        }
    }

    fn client() -> Client {
        Client {
            ip: Some(IpAddr::from([192, 0, 2, 7])),
            user: None,
        }
    }

    #[test]
    fn an_audited_entry_has_the_client_the_user_and_the_changes_eve_lists() {
        let patch = entry(
            &log(true),
            &BOOKS,
            Op::Patch,
            &client(),
            "7",
            || json!({"a": 1}),
        );
        assert_eq!(
            Value::Object(patch),
            json!({"r": "books", "o": "PATCH", "i": "7", "ip": "192.0.2.7", "u": "n/a", "c": {"a": 1}})
        );
        // POST is not in the change methods: no `c`, and the changes are never made.
        let post = entry(
            &log(true),
            &BOOKS,
            Op::Post,
            &client(),
            "7",
            || unreachable!(),
        );
        assert_eq!(
            Value::Object(post),
            json!({"r": "books", "o": "POST", "i": "7", "ip": "192.0.2.7", "u": "n/a"})
        );
    }

    #[test]
    fn an_audited_entry_names_the_authenticated_user() {
        let alice = Client {
            user: Some("Zoë".into()),
            ..client()
        };
        let post = entry(&log(true), &BOOKS, Op::Post, &alice, "7", || unreachable!());
        assert_eq!(post["u"], "Zoë");
    }

    #[test]
    fn without_audit_an_entry_is_the_resource_the_method_and_the_id() {
        let patch = entry(
            &log(false),
            &BOOKS,
            Op::Patch,
            &client(),
            "7",
            || unreachable!(),
        );
        assert_eq!(
            Value::Object(patch),
            json!({"r": "books", "o": "PATCH", "i": "7"})
        );
    }

    #[test]
    fn a_document_in_c_has_its_id_fields_and_creation_date() {
        let fields = json!({"title": "Ficciones", "pages": 9_007_199_254_740_993_i64});
        let document = whole_document(&BOOKS, "abc", -2_208_988_800, fields.as_object().unwrap());
        assert_eq!(
            document,
            json!({"_id": "abc", "title": "Ficciones", "pages": 9_007_199_254_740_993_i64,
                   "_created": "Mon, 01 Jan 1900 00:00:00 GMT"})
        );
        static NUMBERED: ResourceInfo = ResourceInfo {
            id_type: IdType::Integer,
            ..ResourceInfo::DEFAULTS
        };
        assert_eq!(id_value(&NUMBERED, "42"), json!(42));
        assert_eq!(id_value(&BOOKS, "42"), json!("42"));
    }

    #[test]
    fn a_resource_without_an_oplog_logs_nothing() {
        assert!(logging(&BOOKS, Op::Post).is_none());
        assert!(!wants_document(&BOOKS, Op::Delete));
    }
}
