//! Several subscriptions on one WebSocket (RFC 6455), as flowthings' client uses one:
//! JSON text messages both ways.
//!
//! The client sends `{"type": "subscribe", "id": "s1", "where": ..., "projection":
//! ..., "embedded": ..., "since": 41}` (`where` and the others as in a collection GET,
//! as text or as JSON; `since` an event id to resume after) and `{"type":
//! "unsubscribe", "id": "s1"}`. The server answers `{"type": "subscribed",
//! "subscription": "s1"}`, then sends `{"type": "event", "subscription": "s1", "id":
//! 42, "event": "insert", "data": {...}}`; a refused message gets `{"type": "error",
//! "subscription": "s1", "_status": "ERR", "_error": {...}}`. A ping every heartbeat;
//! a slow consumer gets an error message and the close code 1008 with the reason.

use std::collections::HashMap;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use tokio::sync::watch;

use super::{follow, position, Format, Outlet, Subscription, Ticket};
use crate::error::ApiError;
use crate::resource::Resource;
use crate::routes::Scope;
use crate::state::AppState;

/// The largest message a client may send.
const MAX_MESSAGE: usize = 64 * 1024;
/// The longest subscription id.
const MAX_ID: usize = 128;
/// RFC 6455 §7.4.1: the endpoint ends the connection for a reason of its own policy.
const POLICY: u16 = 1008;

pub(super) fn upgrade<R: Resource>(
    state: AppState,
    scope: Scope,
    user: Option<String>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let ticket = state.live()?.admit_socket()?;
    Ok(upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| serve::<R>(socket, state, scope, user, ticket)))
}

/// The connection: the client's messages, its subscriptions' events, heartbeats.
async fn serve<R: Resource>(
    mut socket: WebSocket,
    state: AppState,
    scope: Scope,
    user: Option<String>,
    ticket: Ticket,
) {
    let limits = ticket.0.limits;
    let (out, inlet) = Outlet::new(&limits);
    let (mut received, mut reason) = (inlet.frames, inlet.reason);
    let mut subscriptions: HashMap<String, watch::Sender<bool>> = HashMap::new();
    let mut heartbeat = tokio::time::interval(limits.heartbeat);
    heartbeat.tick().await;
    let timeout = limits.send_timeout;
    loop {
        tokio::select! {
            biased;
            () = async { let _ = reason.wait_for(|r| r.is_some()).await; } => {
                let why = reason.borrow().clone().unwrap_or_default();
                let error = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, why.as_ref());
                let message = error_message(None, &error);
                let _ = send(&mut socket, timeout, Message::Text(message.into())).await;
                let frame = CloseFrame { code: POLICY, reason: close_reason(&why).into() };
                let _ = send(&mut socket, timeout, Message::Close(Some(frame))).await;
                break;
            }
            frame = received.recv() => {
                // Its share of the buffer is free once it is written (dropped below).
                let Some((frame, _share)) = frame else { break };
                // Frames are JSON text the server wrote: valid UTF-8.
                let Ok(text) = Utf8Bytes::try_from(frame) else { continue };
                if !send(&mut socket, timeout, Message::Text(text)).await {
                    out.close("slow consumer: an event could not be sent in time".into());
                }
            }
            message = socket.recv() => {
                let text = match message {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(_))) => {
                        let error = ApiError::bad_request("send JSON text messages");
                        if !send(&mut socket, timeout, Message::Text(error_message(None, &error).into())).await {
                            break;
                        }
                        continue;
                    }
                    // The socket answers pings itself.
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                };
                subscriptions.retain(|_, stop| !stop.is_closed());
                let reply = handle::<R>(
                    &text,
                    (&state, &scope, &user),
                    &mut subscriptions,
                    &out,
                );
                if !send(&mut socket, timeout, Message::Text(reply.into())).await {
                    break;
                }
            }
            _ = heartbeat.tick() => {
                if !send(&mut socket, timeout, Message::Ping(Default::default())).await {
                    break;
                }
            }
        }
    }
    for stop in subscriptions.values() {
        let _ = stop.send(true);
    }
    drop(ticket);
}

/// Send `message`, or give up after `timeout`: whether it was sent.
async fn send(socket: &mut WebSocket, timeout: std::time::Duration, message: Message) -> bool {
    matches!(
        tokio::time::timeout(timeout, socket.send(message)).await,
        Ok(Ok(()))
    )
}

/// A close frame's reason is at most 123 bytes (RFC 6455 §5.5): the start of `why`.
pub(super) fn close_reason(why: &str) -> String {
    let mut end = why.len().min(123);
    while !why.is_char_boundary(end) {
        end -= 1;
    }
    why[..end].to_string()
}

/// Answer one client message (subscribing starts the subscription's task).
fn handle<R: Resource>(
    text: &str,
    (state, scope, user): (&AppState, &Scope, &Option<String>),
    subscriptions: &mut HashMap<String, watch::Sender<bool>>,
    out: &Outlet,
) -> String {
    let message: Value = match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Value::Object(map),
        _ => {
            let error = ApiError::bad_request("a message is a JSON object with a `type`");
            return error_message(None, &error);
        }
    };
    let id = match message.get("id") {
        Some(Value::String(id)) if !id.is_empty() && id.len() <= MAX_ID => id.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            let error = ApiError::bad_request(format!(
                "a message names its subscription with `id`, a string of 1 to {MAX_ID} bytes"
            ));
            return error_message(None, &error);
        }
    };
    let result = match message.get("type").and_then(Value::as_str) {
        Some("subscribe") => subscribe::<R>(&message, &id, state, scope, user, subscriptions, out),
        Some("unsubscribe") => match subscriptions.remove(&id) {
            Some(stop) => {
                let _ = stop.send(true);
                Ok("unsubscribed")
            }
            None => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no subscription `{id}` on this connection"),
            )),
        },
        _ => Err(ApiError::bad_request(
            "`type` is \"subscribe\" or \"unsubscribe\"",
        )),
    };
    match result {
        Ok(kind) => serde_json::json!({"type": kind, "subscription": id}).to_string(),
        Err(error) => error_message(Some(&id), &error),
    }
}

fn subscribe<R: Resource>(
    message: &Value,
    id: &str,
    state: &AppState,
    scope: &Scope,
    user: &Option<String>,
    subscriptions: &mut HashMap<String, watch::Sender<bool>>,
    out: &Outlet,
) -> Result<&'static str, ApiError> {
    if subscriptions.contains_key(id) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("subscription `{id}` is already open on this connection"),
        ));
    }
    let limit = state.live()?.limits.max_per_connection;
    if subscriptions.len() >= limit {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("a connection carries at most {limit} subscriptions"),
        ));
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    for name in ["where", "projection", "embedded"] {
        match message.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => {
                query.append_pair(name, text);
            }
            Some(other) => {
                query.append_pair(name, &other.to_string());
            }
        }
    }
    let since = match message.get("since") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(position(&n.to_string())?),
        Some(Value::String(text)) => Some(position(text)?),
        Some(_) => return Err(ApiError::bad_request("`since` is an event id")),
    };
    let raw = query.finish();
    let subscription =
        Subscription::new::<R>(state, scope.clone(), user.clone(), Some(&raw), since)?;
    let (stop, stopped) = watch::channel(false);
    subscriptions.insert(id.to_string(), stop);
    let format = Format::Socket(id.into());
    tokio::spawn(follow::<R>(
        state.clone(),
        subscription,
        format,
        out.clone(),
        stopped,
    ));
    Ok("subscribed")
}

/// An error message in Eve's envelope, naming the subscription it is about.
pub(super) fn error_message(subscription: Option<&str>, error: &ApiError) -> String {
    serde_json::json!({
        "type": "error",
        "subscription": subscription,
        "_status": "ERR",
        "_error": {"code": error.status.as_u16(), "message": error.message},
    })
    .to_string()
}
