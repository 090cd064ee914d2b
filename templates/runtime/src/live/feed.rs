//! From the oplog to events: one feed per live resource reads the entries each commit
//! added, once, and renders them once per group of subscriptions that asked the same
//! thing (same caller, path, `where`, projection, embedding); each subscription then
//! follows its group's batches from its own position, reading the oplog itself to
//! fill any stretch it did not get (a resume, a batch dropped while it lagged).
//!
//! Why the oplog: it is written in the write's own transaction and numbered in commit
//! order by one writer, so "every entry after `n`" is exact: a subscription that
//! reads up to the newest entry and then takes batches, skipping positions it has,
//! neither misses nor repeats an event, across reconnects and restarts.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::mpsc;

use crate::db::{Db, Reader};
use crate::error::ApiError;
use crate::handlers::{self, ListQuery};
use crate::links::DocumentLinks;
use crate::query::{self, Filter};
use crate::resource::{Resource, ResourceInfo};
use crate::routes::Scope;
use crate::store::Selection;

/// The least time between two readings of the oplog by a feed.
const COALESCE: std::time::Duration = std::time::Duration::from_millis(5);

/// Entries read at a time: also the most ids one query names (`query::MAX_IN_VALUES`).
pub(crate) const PAGE: usize = query::MAX_IN_VALUES;

/// What an event says happened to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Insert,
    Update,
    Delete,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Insert => "insert",
            Kind::Update => "update",
            Kind::Delete => "delete",
        }
    }
}

/// One event: the oplog position of its entry, what happened, and the document as a
/// GET serves it to the subscription's caller (for a delete: `{"_id": ...}`).
#[derive(Debug, Clone)]
pub struct Event {
    pub position: i64,
    pub kind: Kind,
    pub data: Arc<[u8]>,
}

/// A group's events for the oplog positions after `from` up to `to`.
#[derive(Debug)]
pub(crate) struct Batch {
    pub from: i64,
    pub to: i64,
    pub events: Vec<Event>,
    /// The events as SSE text, made by the first subscription that writes them.
    pub sse: std::sync::OnceLock<axum::body::Bytes>,
}

/// One oplog entry of a live resource.
#[derive(Debug)]
pub(crate) struct Entry {
    position: i64,
    op: Op,
    id: String,
    /// The user who wrote it (`u`, when the oplog audits).
    user: Option<String>,
}

impl Entry {
    pub(crate) fn position(&self) -> i64 {
        self.position
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Post,
    Update,
    Delete,
}

/// What a subscription asked for: a collection GET's query, in its caller's scope.
pub(crate) struct Query {
    pub list: ListQuery,
    pub scope: Scope,
    /// The query string, for `embedded`.
    pub raw: Option<String>,
    pub user: Option<String>,
}

/// The newest oplog position (0 for an empty oplog).
pub(crate) fn head(conn: &Reader, info: &ResourceInfo) -> Result<i64, ApiError> {
    Ok(crate::sqlite::oplog::newest(conn, oplog_table(info)?)?)
}

fn oplog_table(info: &ResourceInfo) -> Result<&'static str, ApiError> {
    info.oplog
        .map(|log| log.entries.table.name)
        .ok_or_else(|| ApiError::internal(format!("`{}` is live without an oplog", info.name)))
}

/// The entries of `info` after `after` (at most `PAGE`), oldest first.
pub(crate) fn entries(
    conn: &Reader,
    info: &ResourceInfo,
    after: i64,
) -> Result<Vec<Entry>, ApiError> {
    let rows =
        crate::sqlite::oplog::entries_after(conn, oplog_table(info)?, info.url, after, PAGE)?;
    Ok(rows
        .into_iter()
        .map(|(position, op, id, user)| Entry {
            position,
            op: match op.as_str() {
                "POST" => Op::Post,
                "DELETE" => Op::Delete,
                _ => Op::Update,
            },
            id: id.unwrap_or_default(),
            user,
        })
        .collect())
}

/// A filter naming exactly `ids` (at most `PAGE`).
fn ids_filter(info: &ResourceInfo, ids: &[&str]) -> Result<Filter, ApiError> {
    let ids: Vec<Value> = ids
        .iter()
        .map(|id| crate::oplog::id_value(info, id))
        .collect();
    let text = serde_json::json!({"_id": {"$in": ids}}).to_string();
    query::parse_where(&text, info.query_fields.unwrap_or(info.fields), info.dates)
        .map_err(|e| ApiError::internal(e.0))
}

/// The events `entries` make for `query`'s caller, in order. An insert or update is
/// the document as the caller's GET with this query serves it now (none when it is
/// gone or no longer matches); a delete reaches every subscription whose caller may
/// see the document (its owner's, for an `auth_field` resource), whatever its `where`:
/// the document is gone and cannot be matched any more.
pub(crate) fn render<R: Resource>(
    conn: &Reader,
    query: &Query,
    entries: &[Entry],
) -> Result<Vec<Event>, ApiError> {
    let info = R::INFO;
    let mut wanted: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    let mut deleted: Vec<&str> = Vec::new();
    for entry in entries {
        if entry.op == Op::Delete {
            deleted.push(&entry.id);
        } else if seen.insert(entry.id.as_str()) {
            wanted.push(&entry.id);
        }
    }
    let mut served: HashMap<String, Arc<[u8]>> = HashMap::new();
    if !wanted.is_empty() {
        let ids = ids_filter(info, &wanted)?;
        let filter = match &query.list.filter {
            Some(filter) => Filter::And(vec![filter.clone(), ids]),
            None => ids,
        };
        let selection = Selection {
            scope: &query.scope,
            filter: Some(&filter),
            sort: &[],
            page: None,
            hide_deleted: query.list.hide_deleted,
        };
        let (_, documents, embedded) = handlers::read_documents::<R>(
            conn,
            &selection,
            query.raw.as_deref(),
            query.user.as_deref(),
        )?;
        let embedded = handlers::served_documents(&documents, embedded)?;
        for (i, document) in documents.iter().enumerate() {
            let mut out = Vec::new();
            handlers::write_document(
                &mut out,
                document,
                &query.scope.url,
                embedded.as_ref().map(|e| e[i].as_slice()),
                DocumentLinks::SelfOnly,
                &query.list.projection,
            );
            served.insert(document.id().to_string(), out.into());
        }
    }
    // A soft-deleted document is still there: its owner is read from it.
    let visible_deleted: Option<HashSet<String>> = match (info.soft_delete, info.auth_field) {
        (true, Some(_)) if !deleted.is_empty() => {
            let ids = ids_filter(info, &deleted)?;
            let selection = Selection {
                scope: &query.scope,
                filter: Some(&ids),
                sort: &[],
                page: None,
                hide_deleted: false,
            };
            let (_, documents, _) =
                handlers::read_documents::<R>(conn, &selection, None, query.user.as_deref())?;
            Some(documents.iter().map(|d| d.id().to_string()).collect())
        }
        _ => None,
    };
    let mut events = Vec::new();
    for entry in entries {
        let event = match entry.op {
            Op::Post | Op::Update => served.get(&entry.id).map(|data| Event {
                position: entry.position,
                kind: if entry.op == Op::Post {
                    Kind::Insert
                } else {
                    Kind::Update
                },
                data: data.clone(),
            }),
            Op::Delete => {
                let visible = match (&visible_deleted, info.auth_field, &query.user) {
                    (Some(visible), _, _) => visible.contains(&entry.id),
                    // Documents are everyone's, or the caller reaches all of them.
                    (None, None, _) | (None, Some(_), None) => true,
                    // Removed: the oplog's `u` says whose it was (a caller reaches
                    // and deletes only their own documents).
                    (None, Some(_), Some(user)) => entry.user.as_deref() == Some(user),
                };
                visible.then(|| Event {
                    position: entry.position,
                    kind: Kind::Delete,
                    data: deleted_data(info, &entry.id),
                })
            }
        };
        events.extend(event);
    }
    Ok(events)
}

fn deleted_data(info: &ResourceInfo, id: &str) -> Arc<[u8]> {
    let body = serde_json::json!({ "_id": crate::oplog::id_value(info, id) });
    serde_json::to_vec(&body).unwrap_or_default().into()
}

/// A subscription as its group's feed holds it.
pub(crate) struct Member {
    pub id: u64,
    pub batches: mpsc::Sender<Arc<Batch>>,
    /// Set when a batch could not be queued: the member then reads what it missed.
    pub lagged: Arc<AtomicBool>,
}

struct Group {
    query: Arc<Query>,
    members: Vec<Member>,
    /// The `to` of the last batch sent: while the feed renders every stretch for the
    /// group, the next batch starts there (stretches without events merge into it),
    /// so a member sees one unbroken run of positions unless it lagged.
    sent_to: i64,
    /// Where the stretches the feed rendered for this group end; `None` before the
    /// first (a group made while the feed was reading is rendered from the next).
    covered: Option<i64>,
}

/// The live subscriptions of one resource, by group.
#[derive(Default)]
pub(crate) struct Feed {
    groups: Mutex<HashMap<String, Group>>,
    /// Where the feed has read the oplog to.
    cursor: AtomicU64,
}

impl Feed {
    pub(crate) fn new(cursor: i64) -> Feed {
        Feed {
            groups: Mutex::default(),
            cursor: AtomicU64::new(cursor.max(0) as u64),
        }
    }

    /// Add `member` to the group of `key` (made with `query` when new).
    pub(crate) fn join(&self, key: String, query: Arc<Query>, member: Member) {
        let cursor = self.cursor.load(Ordering::Acquire) as i64;
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        groups
            .entry(key)
            .or_insert_with(|| Group {
                query,
                members: Vec::new(),
                sent_to: cursor,
                covered: None,
            })
            .members
            .push(member);
    }

    /// Remove the member numbered `id` (its subscription ended).
    pub(crate) fn leave(&self, key: &str, id: u64) {
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(group) = groups.get_mut(key) {
            group.members.retain(|m| m.id != id);
            if group.members.is_empty() {
                groups.remove(key);
            }
        }
    }

    fn queries(&self) -> Vec<(String, Arc<Query>)> {
        let groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        groups
            .iter()
            .map(|(key, group)| (key.clone(), group.query.clone()))
            .collect()
    }

    /// Queue a group's events for the stretch `(from, to]` with each of its members.
    fn deliver(&self, key: &str, (from, to): (i64, i64), events: Vec<Event>) {
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        let Some(group) = groups.get_mut(key) else {
            return;
        };
        // The batch starts where the group's unbroken run of rendered stretches does.
        let start = if group.covered == Some(from) {
            group.sent_to
        } else {
            from
        };
        group.covered = Some(to);
        if events.is_empty() {
            // Nothing for this group: the next batch covers these positions too.
            group.sent_to = start;
            return;
        }
        let batch = Arc::new(Batch {
            from: start,
            to,
            events,
            sse: std::sync::OnceLock::new(),
        });
        group.sent_to = to;
        group
            .members
            .retain(|member| match member.batches.try_send(batch.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    member.lagged.store(true, Ordering::Release);
                    true
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
        if group.members.is_empty() {
            groups.remove(key);
        }
    }
}

/// The feed of `R`: wakes on every commit (`wake`), reads the new entries of `R`
/// once, renders them once per group. Runs as long as the server.
pub(crate) async fn run<R: Resource>(
    db: Arc<Db>,
    feed: Arc<Feed>,
    mut wake: tokio::sync::watch::Receiver<u64>,
) {
    let info = R::INFO;
    let mut last = tokio::time::Instant::now();
    while wake.changed().await.is_ok() {
        // Under a stream of writes, commits that come within `COALESCE` of the last
        // reading wait to be read together: each subscriber then takes one batch of
        // several events rather than one per commit. An isolated write is read at once.
        tokio::time::sleep_until(last + COALESCE).await;
        last = tokio::time::Instant::now();
        loop {
            let cursor = feed.cursor.load(Ordering::Acquire) as i64;
            let queries = feed.queries();
            let read = db
                .read_costly(|conn| {
                    if queries.is_empty() {
                        // Nobody listens: move to the newest entry without reading any.
                        return Ok((head(conn, info)?, Vec::new(), 0));
                    }
                    let entries = entries(conn, info, cursor)?;
                    // None: the commits were other resources'. (The cursor stays: a
                    // second statement reading the newest position could see an entry
                    // of this resource committed after the first, and skip it.)
                    let Some(last) = entries.last() else {
                        return Ok((cursor, Vec::new(), 0));
                    };
                    let to = last.position;
                    let mut rendered = Vec::with_capacity(queries.len());
                    for (key, query) in &queries {
                        rendered.push((key.clone(), render::<R>(conn, query, &entries)?));
                    }
                    Ok((to, rendered, entries.len()))
                })
                .await;
            let (to, rendered, read) = match read {
                Ok(read) => read,
                Err(error) => {
                    // The next commit tries again; members resume from their own
                    // positions, so nothing is lost meanwhile.
                    tracing::warn!(resource = info.name, error = %error.message, "live feed read failed");
                    break;
                }
            };
            for (key, events) in rendered {
                feed.deliver(&key, (cursor, to), events);
            }
            feed.cursor.store(to.max(0) as u64, Ordering::Release);
            if read < PAGE {
                break;
            }
        }
    }
}
