//! Live subscriptions (`GET <collection>/events`, Server-Sent Events): a stream of
//! typed events that reconnects by itself after a dropped connection and resumes
//! with `Last-Event-ID`, so nothing is lost or repeated. The server's own
//! `event: error` (a consumer cut off) ends the stream with [`Error::Stream`].

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use reqwest::header::{ACCEPT, HeaderName};
use serde_json::Value;

use super::document::Document;
use super::error::{Error, Result};
use super::transport::{Request, Transport};

/// What happened to a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<D: Document> {
    /// Created (POST, an import's new row): the document as a GET serves it.
    Insert(D),
    /// Changed (PATCH, PUT, an upsert): the document as a GET serves it.
    Update(D),
    /// Deleted: its `_id`.
    Delete(D::Id),
}

/// One event of a subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<D: Document> {
    /// The event's id (its oplog position): where a subscription resumes.
    pub id: String,
    pub change: Change<D>,
}

/// How a subscription reconnects.
#[derive(Debug, Clone, Copy)]
pub struct Reconnect {
    /// The first wait after a dropped connection; doubled up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Failed connection attempts in a row before the stream ends with the error.
    pub max_failures: u32,
}

impl Default for Reconnect {
    fn default() -> Reconnect {
        Reconnect {
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(5),
            max_failures: 20,
        }
    }
}

struct State {
    transport: Transport,
    request: Request,
    reconnect: Reconnect,
    last_id: Option<String>,
    response: Option<reqwest::Response>,
    buffer: Vec<u8>,
    ready: VecDeque<(String, String, String)>,
    failures: u32,
    done: bool,
}

/// Where the first event ends: the position of the first blank line and its length.
fn blank_line(bytes: &[u8]) -> Option<(usize, usize)> {
    (0..bytes.len()).find_map(|i| {
        let rest = &bytes[i..];
        if rest.starts_with(b"\n\n") {
            Some((i, 2))
        } else if rest.starts_with(b"\r\n\r\n") {
            Some((i, 4))
        } else {
            None
        }
    })
}

/// A raw SSE event: `(id, event, data)`.
fn parse_block(block: &str) -> Option<(String, String, String)> {
    let (mut id, mut event, mut data) = (String::new(), String::from("message"), Vec::new());
    for line in block.lines() {
        if line.starts_with(':') {
            continue;
        }
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match name {
            "id" => id = value.to_string(),
            "event" => event = value.to_string(),
            "data" => data.push(value),
            _ => {}
        }
    }
    (!data.is_empty() || !id.is_empty()).then(|| (id, event, data.join("\n")))
}

impl State {
    /// Moves every complete event of the buffer to `ready`. Only whole events are
    /// decoded: a chunk may end inside a UTF-8 character.
    fn split(&mut self) {
        while let Some((end, separator)) = blank_line(&self.buffer) {
            let block = String::from_utf8_lossy(&self.buffer[..end]).replace("\r\n", "\n");
            self.buffer.drain(..end + separator);
            if let Some(event) = parse_block(&block) {
                self.ready.push_back(event);
            }
        }
    }

    async fn connect(&mut self) -> Result<()> {
        let mut extra = vec![(ACCEPT, "text/event-stream".to_string())];
        if let Some(id) = &self.last_id {
            extra.push((HeaderName::from_static("last-event-id"), id.clone()));
        }
        let response = self
            .transport
            .send_once(&self.request, Some(&extra))
            .await?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            let body = response.bytes().await?;
            return Err(Error::from_response(status, None, &body));
        }
        self.response = Some(response);
        self.buffer.clear();
        Ok(())
    }

    async fn next<D: Document>(&mut self) -> Option<Result<Event<D>>> {
        loop {
            if self.done {
                return None;
            }
            if let Some((id, kind, data)) = self.ready.pop_front() {
                if let Some(item) = self.event(id, kind, data) {
                    return Some(item);
                }
                continue;
            }
            let Some(response) = self.response.as_mut() else {
                match self.connect().await {
                    Ok(()) => self.failures = 0,
                    Err(error) => {
                        let retryable = match &error {
                            Error::Transport(_) => true,
                            other => matches!(other.status(), Some(429 | 502 | 503 | 504)),
                        };
                        self.failures += 1;
                        if !retryable || self.failures >= self.reconnect.max_failures {
                            self.done = true;
                            return Some(Err(error));
                        }
                        let wait = self
                            .reconnect
                            .base_delay
                            .saturating_mul(1 << self.failures.min(16))
                            .min(self.reconnect.max_delay);
                        tokio::time::sleep(wait).await;
                    }
                }
                continue;
            };
            match response.chunk().await {
                Ok(Some(bytes)) => {
                    self.buffer.extend_from_slice(&bytes);
                    self.split();
                }
                // The connection ended or broke: reconnect, resuming after the last id.
                Ok(None) | Err(_) => {
                    self.response = None;
                    tokio::time::sleep(self.reconnect.base_delay).await;
                }
            }
        }
    }

    fn event<D: Document>(
        &mut self,
        id: String,
        kind: String,
        data: String,
    ) -> Option<Result<Event<D>>> {
        let value: Value = match serde_json::from_str(&data) {
            Ok(value) => value,
            Err(error) => return Some(Err(Error::decode(error, data.as_bytes()))),
        };
        if kind == "error" {
            self.done = true;
            return Some(Err(Error::Stream(value)));
        }
        if !id.is_empty() {
            if let (Some(last), Ok(new)) = (
                self.last_id.as_ref().and_then(|l| l.parse::<i64>().ok()),
                id.parse::<i64>(),
            ) && new <= last
            {
                // Already delivered before a reconnection.
                return None;
            }
            self.last_id = Some(id.clone());
        }
        let change = match kind.as_str() {
            "insert" | "update" => match serde_json::from_value::<D>(value) {
                Ok(document) if kind == "insert" => Change::Insert(document),
                Ok(document) => Change::Update(document),
                Err(error) => return Some(Err(Error::decode(error, data.as_bytes()))),
            },
            "delete" => match value
                .get("_id")
                .cloned()
                .map(serde_json::from_value::<D::Id>)
            {
                Some(Ok(id)) => Change::Delete(id),
                Some(Err(error)) => return Some(Err(Error::decode(error, data.as_bytes()))),
                None => return None,
            },
            _ => return None,
        };
        Some(Ok(Event { id, change }))
    }
}

/// The events of a subscription request, reconnecting as `reconnect` says. `since`:
/// resume after this event id (the first connection's `Last-Event-ID`).
pub fn subscribe<D: Document>(
    transport: Transport,
    request: Request,
    since: Option<String>,
    reconnect: Reconnect,
) -> BoxStream<'static, Result<Event<D>>> {
    let state = State {
        transport,
        request,
        reconnect,
        last_id: since,
        response: None,
        buffer: Vec::new(),
        ready: VecDeque::new(),
        failures: 0,
        done: false,
    };
    stream::unfold(state, |mut state| async move {
        let item = state.next::<D>().await?;
        Some((item, state))
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Doc {
        #[serde(rename = "_id")]
        id: String,
    }

    impl Document for Doc {
        type Id = String;
        fn id(&self) -> &String {
            &self.id
        }
        fn etag(&self) -> &str {
            ""
        }
    }

    /// A stream's state before any connection, having seen `last_id`.
    fn state(last_id: Option<&str>) -> State {
        let transport: Transport = super::super::transport::ClientBuilder::new("http://h", "")
            .build()
            .unwrap();
        let request = Request::new(
            reqwest::Method::GET,
            super::super::transport::Mount::Api,
            vec![],
        );
        State {
            transport,
            request,
            reconnect: Reconnect::default(),
            last_id: last_id.map(str::to_string),
            response: None,
            buffer: Vec::new(),
            ready: VecDeque::new(),
            failures: 0,
            done: false,
        }
    }

    #[test]
    fn the_servers_error_event_ends_the_stream_and_repeats_are_dropped() {
        let mut state = state(Some("4"));
        assert!(
            state
                .event::<Doc>("3".into(), "insert".into(), r#"{"_id":"a"}"#.into())
                .is_none()
        );
        match state.event::<Doc>("5".into(), "delete".into(), r#"{"_id":"a"}"#.into()) {
            Some(Ok(Event {
                id,
                change: Change::Delete(doc_id),
            })) => {
                assert_eq!((id.as_str(), doc_id.as_str()), ("5", "a"));
            }
            other => panic!("{other:?}"),
        }
        match state.event::<Doc>(
            String::new(),
            "error".into(),
            r#"{"_error":{"message":"too slow"}}"#.into(),
        ) {
            Some(Err(Error::Stream(value))) => assert_eq!(value["_error"]["message"], "too slow"),
            other => panic!("{other:?}"),
        }
        assert!(state.done, "not resumed");
    }

    #[test]
    fn events_split_across_chunks_and_characters_arrive_whole() {
        let mut state = state(None);
        let text = "id: 1\nevent: insert\ndata: {\"_id\":\"a\",\"t\":\"Cien a\u{f1}os\"}\n\n: ping\n\nid: 2\r\nevent: delete\r\ndata: {\"_id\":\"a\"}\r\n\r\n";
        let bytes = text.as_bytes();
        let cut = text.find('\u{f1}').unwrap() + 1;
        state.buffer.extend_from_slice(&bytes[..cut]);
        state.split();
        assert!(state.ready.is_empty());
        state.buffer.extend_from_slice(&bytes[cut..]);
        state.split();
        let events: Vec<_> = state.ready.drain(..).collect();
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(events[0].2.contains("Cien a\u{f1}os"));
        assert_eq!(
            (events[1].0.as_str(), events[1].1.as_str()),
            ("2", "delete")
        );
    }

    #[test]
    fn blocks_are_read_as_the_server_writes_them() {
        assert_eq!(
            parse_block("id: 41\nevent: insert\ndata: {\"_id\":\"a\"}"),
            Some(("41".into(), "insert".into(), "{\"_id\":\"a\"}".into()))
        );
        assert_eq!(parse_block(": heartbeat"), None);
    }
}
