//! Live subscriptions (`live = true` on a resource): `GET <collection>/events` as
//! Server-Sent Events, or as a WebSocket carrying several subscriptions when the
//! request asks to upgrade (flowthings' `ws.subscribe(...)` / `on_message`).
//!
//! A subscription is a collection GET that does not end: the same `where`,
//! projection and embedding, in the same caller's scope (an `auth_field` resource's
//! caller sees only their own documents), checked when it starts, answered as a
//! 400/401/403 in Eve's envelope like the GET. Its events are the oplog's entries for
//! the resource (`feed`): `insert`, `update` (PATCH, PUT, an import's upsert) with the
//! document as that GET would serve it now, and `delete` with its `_id`; each event's
//! id is its oplog position, so a client that reconnects with `Last-Event-ID` (SSE)
//! or `since` (WebSocket) gets what it missed, then the live events, with nothing
//! lost or repeated.
//!
//! Bounds ([`Limits`]): subscriptions per server and per WebSocket, batches queued
//! per subscription (one that falls behind reads the oplog instead), bytes of events
//! queued per connection. A consumer that leaves its connection's bytes unwritten for
//! `send_timeout` is cut off with the reason (an SSE `error` event, a WebSocket
//! `error` message and close code 1008) and the connection closed: a slow reader costs
//! the server a bounded queue, never a growing one. Heartbeats (an SSE comment, a WebSocket ping) keep
//! idle connections open through proxies and find dead ones.
//!
//! Between instances: each commit of this server is announced through a
//! [`Broadcaster`], and every feed wakes on what the broadcaster hears; the one here
//! is in memory, a PostgreSQL LISTEN/NOTIFY or Redis pub/sub one carries the same
//! signal between servers sharing a database.

mod feed;
mod sse;
#[cfg(test)]
mod tests;
mod ws;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequestParts as _, RawQuery, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use tokio::sync::{mpsc, watch};

pub use feed::{Event, Kind};

use crate::db::Db;
use crate::error::ApiError;
use crate::handlers::ListQuery;
use crate::resource::Resource;
use crate::routes::{PathParams, Scope, User};
use crate::state::AppState;
use feed::{Feed, Member, Query};

/// Carries "some instance committed writes" to every instance's feeds.
pub trait Broadcaster: Send + Sync + 'static {
    /// This instance committed writes.
    fn publish(&self);
    /// Changes whenever any instance published.
    fn listen(&self) -> watch::Receiver<u64>;
}

/// The broadcaster of a single server: its own commits only.
pub struct InMemory(watch::Sender<u64>);

impl Default for InMemory {
    fn default() -> Self {
        InMemory(watch::Sender::new(0))
    }
}

impl Broadcaster for InMemory {
    fn publish(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn listen(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// How much live subscriptions may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Subscriptions open on the server at once; one more is a 503.
    pub max_subscriptions: usize,
    /// Subscriptions one WebSocket may carry.
    pub max_per_connection: usize,
    /// WebSocket connections open at once (they leave the server's connection count
    /// once upgraded).
    pub max_sockets: usize,
    /// Batches of events queued for one subscription before it reads what it missed
    /// from the oplog instead.
    pub queue: usize,
    /// An idle connection gets a heartbeat this often.
    pub heartbeat: Duration,
    /// A consumer that takes no event for this long is cut off.
    pub send_timeout: Duration,
    /// Bytes of events a connection may have queued and not yet written.
    pub buffer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_subscriptions: 10_000,
            max_per_connection: 32,
            max_sockets: 4096,
            queue: 64,
            heartbeat: Duration::from_secs(15),
            send_timeout: Duration::from_secs(10),
            buffer_bytes: 1 << 20,
        }
    }
}

/// The server's live subscriptions.
pub struct Live {
    pub limits: Limits,
    broadcaster: Arc<dyn Broadcaster>,
    open: AtomicUsize,
    sockets: AtomicUsize,
    next_member: AtomicU64,
    feeds: Mutex<HashMap<&'static str, Arc<Feed>>>,
    relaying: AtomicBool,
}

impl Live {
    pub fn new(limits: Limits, broadcaster: Arc<dyn Broadcaster>) -> Live {
        Live {
            limits,
            broadcaster,
            open: AtomicUsize::new(0),
            sockets: AtomicUsize::new(0),
            next_member: AtomicU64::new(1),
            feeds: Mutex::default(),
            relaying: AtomicBool::new(false),
        }
    }

    /// Subscriptions open now.
    pub fn open_subscriptions(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// The feed of `R`, started (with the relay of this server's commits to the
    /// broadcaster) on first use.
    fn feed<R: Resource>(&self, db: &Arc<Db>) -> Result<Arc<Feed>, ApiError> {
        if !self.relaying.swap(true, Ordering::AcqRel) {
            let mut commits = db.commits();
            let broadcaster = self.broadcaster.clone();
            tokio::spawn(async move {
                while commits.changed().await.is_ok() {
                    broadcaster.publish();
                }
            });
        }
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(feed) = feeds.get(R::INFO.name) {
            return Ok(feed.clone());
        }
        let head = db.read(|conn| feed::head(conn, R::INFO))?;
        let feed = Arc::new(Feed::new(head));
        feeds.insert(R::INFO.name, feed.clone());
        tokio::spawn(feed::run::<R>(
            db.clone(),
            feed.clone(),
            self.broadcaster.listen(),
        ));
        Ok(feed)
    }

    /// Count one more subscription, or refuse it when the server has its fill.
    fn admit(self: &Arc<Self>) -> Result<Ticket, ApiError> {
        self.take(
            Counter::Subscriptions,
            self.limits.max_subscriptions,
            || {
                format!(
                    "the server has {} live subscriptions open, its most: try again later",
                    self.limits.max_subscriptions
                )
            },
        )
    }

    /// Count one more WebSocket, or refuse it.
    fn admit_socket(self: &Arc<Self>) -> Result<Ticket, ApiError> {
        self.take(Counter::Sockets, self.limits.max_sockets, || {
            "too many live WebSocket connections: try again later".to_string()
        })
    }

    /// One more on `counter`, or a 503 saying `full` when it already holds `most`
    /// (the refused one is uncounted as its ticket drops).
    fn take(
        self: &Arc<Self>,
        counter: Counter,
        most: usize,
        full: impl FnOnce() -> String,
    ) -> Result<Ticket, ApiError> {
        let taken = self.counter(counter).fetch_add(1, Ordering::AcqRel);
        let ticket = Ticket(self.clone(), counter);
        if taken >= most {
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, full()));
        }
        Ok(ticket)
    }

    fn counter(&self, counter: Counter) -> &AtomicUsize {
        match counter {
            Counter::Subscriptions => &self.open,
            Counter::Sockets => &self.sockets,
        }
    }
}

#[derive(Clone, Copy)]
enum Counter {
    Subscriptions,
    Sockets,
}

/// One open subscription (or socket) counted; uncounted when dropped.
struct Ticket(Arc<Live>, Counter);

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.counter(self.1).fetch_sub(1, Ordering::AcqRel);
    }
}

/// Ends a connection from inside a request: the server gives each connection of a
/// live API one, in the request's extensions; a slow SSE consumer's connection is
/// closed with it once its reason was queued.
#[derive(Clone, Default)]
pub struct Disconnect(Arc<tokio::sync::Notify>);

impl Disconnect {
    /// Close the connection now.
    pub fn now(&self) {
        self.0.notify_one();
    }

    /// Completes when [`now`](Self::now) was called.
    pub async fn wait(&self) {
        self.0.notified().await;
    }
}

/// `GET <collection>/events`: a WebSocket when the request asks to upgrade, else
/// Server-Sent Events of one subscription (`where`, `projection`, `embedded` in the
/// query string; `Last-Event-ID` or `since` to resume).
pub async fn subscribe<R: Resource>(
    State(state): State<AppState>,
    PathParams(params): PathParams,
    User(user): User,
    RawQuery(raw): RawQuery,
    request: Request,
) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    let wants_socket = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let scope = Scope::new(R::INFO, &params, user.as_deref())?;
    if wants_socket {
        let upgrade = axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &state)
            .await
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
        return ws::upgrade::<R>(state, scope, user, upgrade);
    }
    let since = resume_position(&parts.headers, raw.as_deref())?;
    let disconnect = parts.extensions.get::<Disconnect>().cloned();
    let subscription = Subscription::new::<R>(&state, scope, user, raw.as_deref(), since)?;
    sse::respond::<R>(state, subscription, disconnect)
}

/// Where an SSE client resumes: `Last-Event-ID` (what `EventSource` sends on its own
/// when it reconnects), else `since`; `None`: from now.
fn resume_position(headers: &HeaderMap, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    let header = headers
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("").to_string());
    let query = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "since")
        .map(|(_, v)| v.into_owned());
    match header.or(query) {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => position(&text).map(Some),
    }
}

/// An event id as a client sends it back.
fn position(text: &str) -> Result<i64, ApiError> {
    match text.trim().parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(ApiError::bad_request(format!(
            "invalid event id '{text}': expected the id of an event this API sent (a whole number)"
        ))),
    }
}

/// A subscription checked and counted, not yet following.
pub(crate) struct Subscription {
    /// The oplog position it starts after: the client's, or the newest when it
    /// subscribed (read before the client is answered, so that a write the client
    /// makes once subscribed is an event).
    start: i64,
    query: Arc<Query>,
    /// Its group: subscriptions with the same key share one rendering of each event.
    key: String,
    ticket: Ticket,
}

impl Subscription {
    /// `raw` is a collection GET's query string; `since` where the client resumes.
    fn new<R: Resource>(
        state: &AppState,
        scope: Scope,
        user: Option<String>,
        raw: Option<&str>,
        since: Option<i64>,
    ) -> Result<Subscription, ApiError> {
        let live = state.live()?;
        let list = ListQuery::parse(R::INFO, raw)?;
        let key = serde_json::to_string(&(
            &user,
            scope.url.as_ref(),
            &list.params.filter,
            &list.params.projection,
            &list.params.embedded,
            list.hide_deleted,
        ))
        .map_err(ApiError::internal)?;
        let ticket = live.admit()?;
        // A position past the newest (a client of a database since replaced) would
        // skip the events up to it: it resumes from the newest instead.
        let head = state.db.read(|conn| feed::head(conn, R::INFO))?;
        let start = since.map_or(head, |since| since.min(head));
        Ok(Subscription {
            start,
            query: Arc::new(Query {
                list,
                scope,
                raw: raw.map(str::to_string),
                user,
            }),
            key,
            ticket,
        })
    }
}

/// How a connection writes an event.
#[derive(Clone)]
pub(crate) enum Format {
    /// `id:`, `event:`, `data:` lines.
    Sse,
    /// A JSON message naming the subscription.
    Socket(Arc<str>),
}

impl Format {
    fn event(&self, event: &Event) -> Bytes {
        let data = String::from_utf8_lossy(&event.data);
        let text = match self {
            Format::Sse => format!(
                "id: {}\nevent: {}\ndata: {data}\n\n",
                event.position,
                event.kind.name()
            ),
            Format::Socket(name) => format!(
                "{{\"type\":\"event\",\"subscription\":{},\"id\":{},\"event\":\"{}\",\"data\":{data}}}",
                serde_json::Value::from(name.as_ref()),
                event.position,
                event.kind.name()
            ),
        };
        Bytes::from(text)
    }

    /// The frames of `events` after `cursor`: a group's SSE subscriptions share one
    /// text of the whole batch, written once.
    fn batch(&self, batch: &feed::Batch, cursor: i64) -> Vec<Bytes> {
        let fresh = batch.events.first().is_none_or(|e| e.position > cursor);
        match self {
            Format::Sse if fresh => {
                let text = batch.sse.get_or_init(|| {
                    let frames: Vec<Bytes> = batch.events.iter().map(|e| self.event(e)).collect();
                    Bytes::from(frames.concat())
                });
                if text.is_empty() {
                    Vec::new()
                } else {
                    vec![text.clone()]
                }
            }
            _ => batch
                .events
                .iter()
                .filter(|e| e.position > cursor)
                .map(|e| self.event(e))
                .collect(),
        }
    }
}

/// A frame queued for a connection, holding its share of the connection's buffer
/// until the connection has written it.
pub(crate) type Frame = (Bytes, Option<tokio::sync::OwnedSemaphorePermit>);

/// Frames a connection may queue, whatever their size (the byte budget binds first).
const QUEUE: usize = 1024;

/// Where a subscription's events go: its connection's queue, within the
/// connection's byte budget, and the connection's reason to close once one is set.
#[derive(Clone)]
pub(crate) struct Outlet {
    frames: mpsc::Sender<Frame>,
    budget: Arc<tokio::sync::Semaphore>,
    budget_bytes: usize,
    closing: watch::Sender<Option<Arc<str>>>,
    send_timeout: Duration,
}

/// A connection's end of its [`Outlet`].
pub(crate) struct Inlet {
    pub frames: mpsc::Receiver<Frame>,
    pub reason: watch::Receiver<Option<Arc<str>>>,
}

impl Outlet {
    /// A connection's queue, within `limits`.
    fn new(limits: &Limits) -> (Outlet, Inlet) {
        let (frames, received) = mpsc::channel(QUEUE);
        let (closing, reason) = watch::channel(None);
        let budget_bytes = limits.buffer_bytes.clamp(1, u32::MAX as usize);
        let out = Outlet {
            frames,
            budget: Arc::new(tokio::sync::Semaphore::new(budget_bytes)),
            budget_bytes,
            closing,
            send_timeout: limits.send_timeout,
        };
        (
            out,
            Inlet {
                frames: received,
                reason,
            },
        )
    }
}

/// Why a subscription stopped following.
enum Stop {
    /// The connection is gone or closing: nothing more to say.
    Gone,
    /// The server could not read the oplog.
    Failed(ApiError),
}

impl Outlet {
    /// Queue `frame`, waiting at most `send_timeout` for room in the connection's
    /// buffer; a consumer that leaves it full that long is cut off.
    async fn send(&self, frame: Bytes) -> Result<(), Stop> {
        // A frame larger than the whole budget takes all of it.
        let share = frame.len().clamp(1, self.budget_bytes) as u32;
        let queued = async {
            let permit = self.budget.clone().acquire_many_owned(share).await.ok()?;
            self.frames.send((frame, Some(permit))).await.ok()
        };
        match tokio::time::timeout(self.send_timeout, queued).await {
            Ok(Some(())) => Ok(()),
            Ok(None) => Err(Stop::Gone),
            Err(_) => {
                self.close(format!(
                    "slow consumer: no event taken for {} s; reconnect with the last event id to resume",
                    self.send_timeout.as_secs_f64()
                ));
                Err(Stop::Gone)
            }
        }
    }

    /// Close the connection with `reason` (the first reason given stays).
    fn close(&self, reason: String) {
        self.closing.send_if_modified(|current| {
            if current.is_some() {
                return false;
            }
            *current = Some(reason.into());
            true
        });
    }
}

/// Follow `subscription` from its start on `out` until the
/// connection goes away or the subscription is ended (`stop`).
async fn follow<R: Resource>(
    state: AppState,
    subscription: Subscription,
    format: Format,
    out: Outlet,
    mut stop: watch::Receiver<bool>,
) {
    let Subscription {
        start,
        query,
        key,
        ticket,
    } = subscription;
    let db = state.db.clone();
    let live = ticket.0.clone();
    let feed = match live.feed::<R>(&db) {
        Ok(feed) => feed,
        Err(error) => return fail(&out, &format, error).await,
    };
    let (batches, mut received) = mpsc::channel(live.limits.queue.max(1));
    let lagged = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let id = live.next_member.fetch_add(1, Ordering::Relaxed);
    feed.join(
        key.clone(),
        query.clone(),
        Member {
            id,
            batches,
            lagged: lagged.clone(),
        },
    );
    struct Leave(Arc<Feed>, String, u64);
    impl Drop for Leave {
        fn drop(&mut self) {
            self.0.leave(&self.1, self.2);
        }
    }
    let _leave = Leave(feed, key, id);
    let run = async {
        let mut cursor = fill::<R>(&db, &query, start, None, &format, &out).await?;
        while let Some(batch) = received.recv().await {
            if batch.from > cursor {
                cursor = fill::<R>(&db, &query, cursor, Some(batch.from), &format, &out).await?;
            }
            for frame in format.batch(&batch, cursor) {
                out.send(frame).await?;
            }
            cursor = cursor.max(batch.to);
            if received.is_empty() && lagged.swap(false, Ordering::AcqRel) {
                cursor = fill::<R>(&db, &query, cursor, None, &format, &out).await?;
            }
        }
        Ok::<(), Stop>(())
    };
    let result = tokio::select! {
        result = run => result,
        () = async { let _ = stop.wait_for(|stopped| *stopped).await; } => Ok(()),
        () = out.frames.closed() => Ok(()),
    };
    if let Err(Stop::Failed(error)) = result {
        fail(&out, &format, error).await;
    }
    drop(ticket);
}

/// Tell the client its subscription failed.
async fn fail(out: &Outlet, format: &Format, error: ApiError) {
    tracing::warn!(error = %error.message, "live subscription failed");
    match format {
        Format::Sse => out.close(error.message),
        Format::Socket(name) => {
            let message = ws::error_message(Some(name.as_ref()), &error);
            let _ = out.send(Bytes::from(message)).await;
        }
    }
}

/// Send the events of the entries after `cursor` (up to `until`, or the newest),
/// read from the oplog page by page; the position reached.
async fn fill<R: Resource>(
    db: &Db,
    query: &Query,
    mut cursor: i64,
    until: Option<i64>,
    format: &Format,
    out: &Outlet,
) -> Result<i64, Stop> {
    loop {
        let (events, last, read) = db
            .read_costly(|conn| {
                let mut entries = feed::entries(conn, R::INFO, cursor)?;
                let read = entries.len();
                if let Some(until) = until {
                    entries.retain(|e| e.position() <= until);
                }
                let last = entries.last().map(|e| e.position());
                Ok((feed::render::<R>(conn, query, &entries)?, last, read))
            })
            .await
            .map_err(Stop::Failed)?;
        for event in &events {
            out.send(format.event(event)).await?;
        }
        match last {
            Some(last) => cursor = last,
            None => return Ok(until.map_or(cursor, |u| u.max(cursor))),
        }
        if read < feed::PAGE || until.is_some_and(|u| cursor >= u) {
            return Ok(until.map_or(cursor, |u| u.max(cursor)));
        }
    }
}

impl AppState {
    /// The live subscriptions' state.
    fn live(&self) -> Result<&Arc<Live>, ApiError> {
        self.live
            .as_ref()
            .ok_or_else(|| ApiError::internal("live subscriptions without their state"))
    }
}
