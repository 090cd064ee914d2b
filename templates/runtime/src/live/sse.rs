//! One subscription as Server-Sent Events (`text/event-stream`, the WHATWG HTML
//! standard's `EventSource`): `id:` the oplog position, `event:` insert, update or
//! delete, `data:` the document; a comment line as the heartbeat; `event: error` with
//! Eve's error envelope as the last event when the server ends the stream.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse as _, Response};
use tokio::sync::{mpsc, watch};

use super::{follow, Disconnect, Format, Frame, Outlet, Subscription};
use crate::error::ApiError;
use crate::resource::Resource;
use crate::state::AppState;

/// How long a cut-off client has to read the reason before its connection closes.
const GRACE: std::time::Duration = std::time::Duration::from_secs(1);

pub(super) fn respond<R: Resource>(
    state: AppState,
    subscription: Subscription,
    disconnect: Option<Disconnect>,
) -> Result<Response, ApiError> {
    let limits = subscription.ticket.0.limits;
    let (out, inlet) = Outlet::new(&limits);
    // The subscription ends with its connection (`stop` is for a WebSocket's
    // unsubscribe, which SSE has not).
    let (never, stop) = watch::channel(false);
    tokio::spawn(async move {
        follow::<R>(state, subscription, Format::Sse, out, stop).await;
        drop(never);
    });
    let stream = Stream {
        received: inlet.frames,
        reason: inlet.reason,
        heartbeat: limits.heartbeat,
        disconnect,
        done: false,
    };
    let body = Body::from_stream(futures_util::stream::unfold(stream, Stream::next));
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Proxies that buffer answers (nginx) would hold events back.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

struct Stream {
    received: mpsc::Receiver<Frame>,
    reason: watch::Receiver<Option<Arc<str>>>,
    heartbeat: std::time::Duration,
    disconnect: Option<Disconnect>,
    done: bool,
}

impl Stream {
    async fn next(mut self) -> Option<(Result<Bytes, std::convert::Infallible>, Stream)> {
        if self.done {
            return None;
        }
        let frame = tokio::select! {
            // What is queued goes out before the reason to stop.
            biased;
            frame = self.received.recv() => frame,
            _ = self.reason.wait_for(|r| r.is_some()) => None,
            () = tokio::time::sleep(self.heartbeat) => Some((Bytes::from_static(b": heartbeat\n\n"), None)),
        };
        if let Some(frame) = frame {
            // Handed to the connection: its share of the buffer is free again.
            return Some((Ok(frame.0), self));
        }
        // The subscription ended: with a reason, that is the last event, and the
        // connection closes once the client had a moment to read it.
        self.done = true;
        let reason = self.reason.borrow().clone()?;
        if let Some(disconnect) = self.disconnect.clone() {
            tokio::spawn(async move {
                tokio::time::sleep(GRACE).await;
                disconnect.now();
            });
        }
        let error = serde_json::json!({
            "_status": "ERR",
            "_error": {"code": 503, "message": reason.as_ref()},
        });
        Some((
            Ok(Bytes::from(format!("event: error\ndata: {error}\n\n"))),
            self,
        ))
    }
}
