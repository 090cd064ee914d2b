//! Live subscriptions over real HTTP: Server-Sent Events and WebSockets on the
//! library's books (soft delete, versions), the tables' rows (imports, hard deletes)
//! and the notes' owned documents. Every write path makes its event; a `where` and a
//! projection shape them as a GET would; a client killed mid-stream resumes with
//! `Last-Event-ID` (or `since`) with nothing lost or repeated; another user's
//! documents never arrive; a consumer that stops reading is cut off with a reason.

mod support;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use apigen_runtime::rusqlite;
use base64::Engine as _;
use serde_json::{Value, json};
use support::{TestServer, enc};

const API: &str = "/api/v1";

/// One event as a client reads it.
#[derive(Debug, Clone)]
struct Event {
    id: i64,
    event: String,
    data: Value,
}

/// An SSE stream read off a raw connection (chunked, as the server sends it).
struct Sse {
    reader: BufReader<TcpStream>,
    status: u16,
    headers: Vec<(String, String)>,
    /// Text of events not yet complete.
    pending: String,
    ended: bool,
}

impl Sse {
    fn open(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> Sse {
        let stream = server.connect();
        let mut request =
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        let mut reader = BufReader::new(stream);
        reader.get_mut().write_all(request.as_bytes()).unwrap();
        let mut status_line = String::new();
        reader.read_line(&mut status_line).unwrap();
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.trim().to_lowercase(), value.trim().to_string()));
        }
        Sse {
            reader,
            status,
            headers,
            pending: String::new(),
            ended: false,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body of a refused subscription (a plain, sized answer).
    fn error_body(mut self) -> Value {
        let length: usize = self.header("content-length").unwrap().parse().unwrap();
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Read one chunk of the body into `pending`; false at the end of the stream or
    /// when nothing came within the read timeout.
    fn read_chunk(&mut self) -> bool {
        let mut size = String::new();
        match self.reader.read_line(&mut size) {
            // Nothing within the read timeout: the stream goes on.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Ok(0) | Err(_) => {
                self.ended = true;
                return false;
            }
            Ok(_) => {}
        }
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            self.ended = true;
            return false;
        }
        let mut chunk = vec![0; size + 2];
        if self.reader.read_exact(&mut chunk).is_err() {
            self.ended = true;
            return false;
        }
        self.pending
            .push_str(std::str::from_utf8(&chunk[..size]).expect("UTF-8 events"));
        true
    }

    /// The next event (comments skipped), or `None` when none came within `wait`.
    fn next_within(&mut self, wait: Duration) -> Option<Event> {
        let deadline = Instant::now() + wait;
        loop {
            while let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                let mut event = Event {
                    id: -1,
                    event: "message".into(),
                    data: Value::Null,
                };
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        event.id = v.parse().unwrap();
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        event.event = v.to_string();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if data.is_empty() {
                    continue; // a heartbeat
                }
                event.data = serde_json::from_str(&data).expect("JSON data");
                return Some(event);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.ended {
                return None;
            }
            self.reader.get_ref().set_read_timeout(Some(left)).unwrap();
            if !self.read_chunk() && !self.ended {
                return None;
            }
            if self.ended && !self.pending.contains("\n\n") {
                return None;
            }
        }
    }

    fn next(&mut self) -> Event {
        self.next_within(Duration::from_secs(10))
            .expect("an event within 10 s")
    }

    /// Exactly `n` events, then none for a moment.
    fn take(&mut self, n: usize) -> Vec<Event> {
        let events: Vec<Event> = (0..n).map(|_| self.next()).collect();
        if let Some(extra) = self.next_within(Duration::from_millis(300)) {
            panic!("one event more than {n}: {extra:?}");
        }
        events
    }
}

fn ids(events: &[Event]) -> Vec<i64> {
    events.iter().map(|e| e.id).collect()
}

fn kinds(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.event.as_str()).collect()
}

fn increasing(events: &[Event]) {
    let ids = ids(events);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "event ids in commit order, each once: {ids:?}"
    );
}

fn library() -> TestServer {
    support::start_generated!(library_api, API)
}

fn post_books(server: &TestServer, books: Value) -> Vec<String> {
    let response = server.post(&format!("{API}/books"), &books);
    assert_eq!(response.status, 201, "{}", response.text());
    let body = response.json();
    match body.get("_items") {
        Some(items) => items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["_id"].as_str().unwrap().to_string())
            .collect(),
        None => vec![body["_id"].as_str().unwrap().to_string()],
    }
}

fn etag_of(server: &TestServer, path: &str) -> String {
    server.get(path).json()["_etag"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn every_write_to_books_is_an_event_shaped_by_the_subscriptions_query() {
    let server = library();
    let filter = enc(r#"{"pages": {"$gte": 100}}"#);
    let projection = enc(r#"{"title": 1, "pages": 1}"#);
    let mut thick = Sse::open(
        &server,
        &format!("{API}/books/events?where={filter}&projection={projection}"),
        &[],
    );
    assert_eq!(thick.status, 200);
    assert_eq!(thick.header("content-type"), Some("text/event-stream"));
    let mut all = Sse::open(&server, &format!("{API}/books/events"), &[]);

    // Each write's events are read before the next write, so each document is
    // served as it was then.
    // POST one (non-ASCII, published before 1970), then a bulk of two.
    let first = post_books(
        &server,
        json!({"title": "Cien años de soledad", "pages": 417, "published": "Tue, 30 May 1967 00:00:00 GMT"}),
    );
    let got = all.take(1);
    assert_eq!(got[0].event, "insert");
    assert_eq!(got[0].data["_id"], first[0].as_str());
    assert_eq!(got[0].data["published"], "Tue, 30 May 1967 00:00:00 GMT");
    assert_eq!(thick.take(1)[0].data["title"], "Cien años de soledad");
    let bulk = post_books(
        &server,
        json!([{"title": "Thin", "pages": 50}, {"title": "Thick — 厚い", "pages": 9_007_199_254_740_993_i64}]),
    );
    let got = all.take(2);
    assert_eq!(kinds(&got), ["insert", "insert"]);
    assert_eq!(got[0].data["_id"], bulk[0].as_str());
    // The filtered, projected subscription: books of 100 pages or more, as that GET
    // shows them.
    let big = thick.take(1).remove(0).data;
    assert_eq!(big["_id"], bulk[1].as_str());
    assert_eq!(big["title"], "Thick — 厚い");
    assert_eq!(big["pages"], 9_007_199_254_740_993_i64);
    assert!(big.get("author").is_none() && big.get("_etag").is_some());

    // PATCH the thin one into the filter; PUT the first.
    let thin = format!("{API}/books/{}", bulk[0]);
    let tag = etag_of(&server, &thin);
    assert_eq!(
        server
            .patch(&thin, Some(&tag), &json!({"pages": 150}))
            .status,
        200
    );
    assert_eq!(all.take(1)[0].event, "update");
    let got = thick.take(1);
    assert_eq!(
        (got[0].event.as_str(), &got[0].data["pages"]),
        ("update", &json!(150))
    );
    let one = format!("{API}/books/{}", first[0]);
    let tag = etag_of(&server, &one);
    assert_eq!(
        server
            .put(
                &one,
                Some(&tag),
                &json!({"title": "Cien años", "pages": 471})
            )
            .status,
        200
    );
    assert_eq!(all.take(1)[0].data["title"], "Cien años");
    assert_eq!(thick.take(1)[0].data["pages"], 471);

    // DELETE an item (a soft delete), then the collection (each remaining book).
    let tag = etag_of(&server, &one);
    assert_eq!(server.delete(&one, Some(&tag)).status, 204);
    let got = all.take(1);
    assert_eq!(
        (got[0].event.as_str(), &got[0].data),
        ("delete", &json!({"_id": first[0]}))
    );
    assert_eq!(thick.take(1)[0].data, json!({"_id": first[0]}));
    assert_eq!(server.delete(&format!("{API}/books"), None).status, 204);
    for stream in [&mut all, &mut thick] {
        // Deletes reach a subscription whatever its `where`: a removed document
        // cannot be matched.
        let got = stream.take(2);
        assert_eq!(kinds(&got), ["delete", "delete"]);
        let mut deleted: Vec<&str> = got
            .iter()
            .map(|e| e.data["_id"].as_str().unwrap())
            .collect();
        deleted.sort_unstable();
        let mut expected = vec![bulk[0].as_str(), bulk[1].as_str()];
        expected.sort_unstable();
        assert_eq!(deleted, expected);
    }
}

#[test]
fn a_client_killed_mid_stream_resumes_with_nothing_lost_or_repeated() {
    let server = library();
    let mut first = Sse::open(&server, &format!("{API}/books/events"), &[]);
    let mut books = Vec::new();
    for n in 0..3 {
        books.extend(post_books(&server, json!({"title": format!("Book {n}")})));
    }
    let seen = [first.next(), first.next()];
    // Killed: the connection is dropped with an event still unread.
    drop(first);
    for n in 3..5 {
        books.extend(post_books(&server, json!({"title": format!("Book {n}")})));
    }
    let one = format!("{API}/books/{}", books[0]);
    let tag = etag_of(&server, &one);
    assert_eq!(
        server.patch(&one, Some(&tag), &json!({"pages": 7})).status,
        200
    );

    let last = seen[1].id.to_string();
    let mut again = Sse::open(
        &server,
        &format!("{API}/books/events"),
        &[("Last-Event-ID", &last)],
    );
    let missed = again.take(4);
    increasing(&missed);
    assert!(missed[0].id > seen[1].id);
    assert_eq!(kinds(&missed), ["insert", "insert", "insert", "update"]);
    let got: Vec<&str> = missed[..3]
        .iter()
        .map(|e| e.data["title"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["Book 2", "Book 3", "Book 4"]);
    assert_eq!(missed[3].data["pages"], 7);
    // Then the live tail, once.
    post_books(&server, json!({"title": "Book 5"}));
    let live = again.take(1);
    assert_eq!(live[0].data["title"], "Book 5");
    assert!(live[0].id > missed[3].id);

    // `since` in the query string does the same; a bad id is a 400 in Eve's envelope.
    let mut from_start = Sse::open(&server, &format!("{API}/books/events?since=0"), &[]);
    let everything = from_start.take(7);
    increasing(&everything);
    let bad = Sse::open(
        &server,
        &format!("{API}/books/events"),
        &[("Last-Event-ID", "yesterday")],
    );
    assert_eq!(bad.status, 400);
    let body = bad.error_body();
    assert_eq!(body["_status"], "ERR");
    assert!(
        body["_error"]["message"]
            .as_str()
            .unwrap()
            .contains("event id")
    );
}

#[test]
fn a_bad_query_or_a_full_server_is_refused_like_a_get() {
    let server = support::start_generated!(library_api, API, |config| {
        config.live.max_subscriptions = 2;
    });
    let bad = Sse::open(
        &server,
        &format!("{API}/books/events?where={}", enc(r#"{"nope": 1}"#)),
        &[],
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.error_body()["_status"], "ERR");
    let _a = Sse::open(&server, &format!("{API}/books/events"), &[]);
    let _b = Sse::open(&server, &format!("{API}/books/events"), &[]);
    let full = Sse::open(&server, &format!("{API}/books/events"), &[]);
    assert_eq!(full.status, 503);
    assert!(
        full.error_body()["_error"]["message"]
            .as_str()
            .unwrap()
            .contains("live subscriptions")
    );
    // One leaves: its place is free again.
    drop(_a);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        post_books(&server, json!({"title": "wakes the feed"}));
        let next = Sse::open(&server, &format!("{API}/books/events"), &[]);
        if next.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a freed subscription stays taken"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// 400 books of about 40 KB each: some 16 MB of events, more than the socket
/// buffers hold, so a subscriber that does not read leaves its queue full.
fn write_many_large_books(server: &TestServer) {
    let tags: Vec<String> = (0..1000).map(|i| format!("{i:0>40}")).collect();
    for _ in 0..20 {
        let bulk: Vec<Value> = (0..20)
            .map(|n| json!({"title": format!("Tagged {n}"), "tags": tags}))
            .collect();
        post_books(server, json!(bulk));
    }
}

#[test]
fn a_consumer_that_stops_reading_is_cut_off_with_the_reason() {
    let server = support::start_generated!(library_api, API, |config| {
        config.live.send_timeout = Duration::from_millis(500);
    });
    let mut slow = Sse::open(&server, &format!("{API}/books/events"), &[]);
    write_many_large_books(&server);
    std::thread::sleep(Duration::from_secs(2));
    // What was queued comes out, then the reason, then the end of the stream.
    let mut events = 0;
    let reason = loop {
        match slow.next_within(Duration::from_secs(10)) {
            Some(event) if event.event == "error" => break event,
            Some(_) => events += 1,
            None => panic!("the stream ended without a reason after {events} events"),
        }
    };
    assert!(events < 400, "every event was queued: {events}");
    let message = reason.data["_error"]["message"].as_str().unwrap();
    assert!(message.contains("slow consumer"), "{message}");
    assert!(slow.next_within(Duration::from_secs(5)).is_none());
    assert!(slow.ended, "the connection closes");
    assert_eq!(
        server.get(&format!("{API}/books?max_results=1")).status,
        200
    );
}

/// A WebSocket client of the books.
struct Socket(tungstenite::WebSocket<TcpStream>);

impl Socket {
    fn open(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> Socket {
        use tungstenite::client::IntoClientRequest as _;
        let stream = server.connect();
        let mut request = format!("ws://{}{path}", server.addr)
            .into_client_request()
            .unwrap();
        for (name, value) in headers {
            let name: tungstenite::http::HeaderName = name.parse().unwrap();
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        let (socket, response) = tungstenite::client(request, stream).expect("upgrade");
        assert_eq!(response.status(), 101);
        Socket(socket)
    }

    fn send(&mut self, message: Value) {
        self.0
            .send(tungstenite::Message::text(message.to_string()))
            .unwrap();
    }

    /// The next JSON message (pings answered on the way).
    fn next(&mut self) -> Value {
        loop {
            match self.0.read().expect("a message within the read timeout") {
                tungstenite::Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                tungstenite::Message::Close(frame) => panic!("closed: {frame:?}"),
                _ => continue,
            }
        }
    }
}

#[test]
fn one_websocket_carries_several_subscriptions() {
    let server = library();
    let mut socket = Socket::open(&server, &format!("{API}/books/events"), &[]);
    socket.send(json!({"type": "subscribe", "id": "long", "where": {"pages": {"$gt": 100}}}));
    assert_eq!(
        socket.next(),
        json!({"type": "subscribed", "subscription": "long"})
    );
    socket.send(json!({"type": "subscribe", "id": "titles", "projection": "{\"title\": 1}"}));
    assert_eq!(
        socket.next(),
        json!({"type": "subscribed", "subscription": "titles"})
    );
    // Refused messages name what was wrong; the connection stays.
    socket.send(json!({"type": "subscribe", "id": "bad", "where": "{\"nope\": 1}"}));
    let error = socket.next();
    assert_eq!(
        (error["type"].clone(), error["_error"]["code"].clone()),
        (json!("error"), json!(400))
    );
    socket.send(json!({"type": "subscribe", "id": "long"}));
    assert_eq!(socket.next()["_error"]["code"], 409);
    socket.send(json!({"type": "dance", "id": "x"}));
    assert_eq!(socket.next()["_error"]["code"], 400);

    post_books(
        &server,
        json!([{"title": "Short", "pages": 10}, {"title": "Long", "pages": 900}]),
    );
    let mut got: Vec<Value> = (0..3).map(|_| socket.next()).collect();
    got.sort_by_key(|m| {
        (
            m["id"].as_i64(),
            m["subscription"].as_str().map(str::to_string),
        )
    });
    let summary: Vec<(String, String, String)> = got
        .iter()
        .map(|m| {
            (
                m["subscription"].as_str().unwrap().to_string(),
                m["event"].as_str().unwrap().to_string(),
                m["data"]["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("titles".into(), "insert".into(), "Short".into()),
            ("long".into(), "insert".into(), "Long".into()),
            ("titles".into(), "insert".into(), "Long".into()),
        ]
    );
    assert!(got[1]["data"].get("pages").is_some());
    assert!(
        got[2]["data"].get("pages").is_none(),
        "projected: {}",
        got[2]
    );
    let newest = got[2]["id"].as_i64().unwrap();

    socket.send(json!({"type": "unsubscribe", "id": "titles"}));
    assert_eq!(
        socket.next(),
        json!({"type": "unsubscribed", "subscription": "titles"})
    );
    post_books(&server, json!({"title": "Longer", "pages": 1000}));
    let message = socket.next();
    assert_eq!(message["subscription"], "long");
    assert_eq!(message["data"]["title"], "Longer");

    // `since` resumes a subscription: everything after the first event, once.
    socket.send(json!({"type": "subscribe", "id": "again", "since": newest - 1}));
    assert_eq!(socket.next()["type"], "subscribed");
    let first = socket.next();
    let second = socket.next();
    assert_eq!(
        (first["id"].as_i64(), second["id"].as_i64()),
        (Some(newest), Some(newest + 1))
    );
    assert_eq!(second["data"]["title"], "Longer");
}

#[test]
fn imports_and_hard_deletes_of_rows_are_events_too() {
    let server = support::start_generated!(tables_api, API);
    let _ = server.get(&format!("{API}/rows"));
    let conn = rusqlite::Connection::open(server.dir().join("api.db")).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    tables_api::api::auth::store::add_user(
        &conn,
        "ada",
        "password of ada",
        &["loader".into()],
        None,
    )
    .unwrap();
    let ada = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ada:password of ada")
    );
    let mut rows = Sse::open(
        &server,
        &format!("{API}/rows/events?where={}", enc(r#"{"table": "sales"}"#)),
        &[],
    );
    let import = |query: &str, csv: &str| {
        let response = server.request(
            "POST",
            &format!("{API}/rows/import{query}"),
            &[("Content-Type", "text/csv"), ("Authorization", &ada)],
            Some(csv.as_bytes()),
        );
        assert_eq!(response.status, 200, "{}", response.text());
    };
    import(
        "",
        "table,year,amount,ref\nsales,1969,1.5,a\nsales,2024,2,b\ncosts,2024,3,c\n",
    );
    let events = rows.take(2);
    assert_eq!(kinds(&events), ["insert", "insert"]);
    assert_eq!(events[0].data["year"], 1969);
    import("?mode=upsert&upsert_on=ref", "ref,amount\na,10\nc,4\n");
    // `c` is a costs row: not one of this subscription's.
    let events = rows.take(1);
    assert_eq!(kinds(&events), ["update"]);
    assert_eq!(events[0].data["amount"], 10.0);
    import("?mode=replace", "table,year,ref\nsales,2025,e\n");
    let events = rows.take(4);
    // Every row removed (whatever its table: a removed row cannot be matched), then
    // the new one.
    assert_eq!(kinds(&events), ["delete", "delete", "delete", "insert"]);
    let id = events[3].data["_id"].as_str().unwrap().to_string();
    let path = format!("{API}/rows/{id}");
    let tag = etag_of(&server, &path);
    let response = server.request(
        "DELETE",
        &path,
        &[("If-Match", &tag), ("Authorization", &ada)],
        None,
    );
    assert_eq!(response.status, 204);
    let events = rows.take(1);
    assert_eq!(events[0].event, "delete");
    assert_eq!(events[0].data, json!({"_id": id}));
}

#[test]
fn a_user_never_receives_another_users_notes() {
    support::set_notes_env();
    let server = support::start_generated!(notes_api, API);
    let _ = server.get(&format!("{API}/announcements"));
    let conn = rusqlite::Connection::open(server.dir().join("api.db")).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    for name in ["alice", "bob"] {
        notes_api::api::auth::store::add_user(
            &conn,
            name,
            &format!("pw of {name}"),
            &["writer".into()],
            None,
        )
        .unwrap();
    }
    let basic = |user: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:pw of {user}"))
        )
    };
    let (alice, bob) = (basic("alice"), basic("bob"));
    let anonymous = Sse::open(&server, &format!("{API}/notes/events"), &[]);
    assert_eq!(anonymous.status, 401);
    let mut bobs = Sse::open(
        &server,
        &format!("{API}/notes/events"),
        &[("Authorization", &bob)],
    );
    assert_eq!(bobs.status, 200);
    let mut alices = Socket::open(
        &server,
        &format!("{API}/notes/events"),
        &[("Authorization", &alice)],
    );
    alices.send(json!({"type": "subscribe", "id": "mine"}));
    assert_eq!(alices.next()["type"], "subscribed");

    let write = |user: &str, method: &str, path: &str, body: Option<Value>, tag: Option<&str>| {
        let mut headers = vec![
            ("Authorization", user),
            ("Content-Type", "application/json"),
        ];
        if let Some(tag) = tag {
            headers.push(("If-Match", tag));
        }
        let body = body.map(|b| b.to_string());
        server.request(method, path, &headers, body.as_deref().map(str::as_bytes))
    };
    let notes = format!("{API}/notes");
    let secret = write(
        &alice,
        "POST",
        &notes,
        Some(json!({"title": "Journal d'été — 秘密"})),
        None,
    );
    assert_eq!(secret.status, 201);
    let secret = secret.json();
    let path = format!("{notes}/{}", secret["_id"].as_str().unwrap());
    let tag = secret["_etag"].as_str().unwrap();
    // Alice's events are read after each of her writes: each shows her note as it is
    // then (an insert read after the note was deleted would have nothing to show).
    let mut got = vec![alices.next()];
    let patched = write(
        &alice,
        "PATCH",
        &path,
        Some(json!({"body": "still hers"})),
        Some(tag),
    );
    assert_eq!(patched.status, 200);
    let tag = patched.json()["_etag"].as_str().unwrap().to_string();
    got.push(alices.next());
    assert_eq!(write(&alice, "DELETE", &path, None, Some(&tag)).status, 204);
    got.push(alices.next());
    let bobs_note = write(&bob, "POST", &notes, Some(json!({"title": "bob's"})), None);
    assert_eq!(bobs_note.status, 201);

    // Bob sees his note only: not alice's insert, update or delete.
    let events = bobs.take(1);
    assert_eq!(events[0].data["title"], "bob's");
    assert_eq!(events[0].data["owner"], "bob");
    // Alice saw her three events, and then nothing of bob's.
    let kinds: Vec<&str> = got.iter().map(|m| m["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["insert", "update", "delete"]);
    assert_eq!(got[0]["data"]["title"], "Journal d'été — 秘密");
    alices
        .0
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    match alices.0.read() {
        Err(tungstenite::Error::Io(e))
            if e.kind() == std::io::ErrorKind::WouldBlock
                || e.kind() == std::io::ErrorKind::TimedOut => {}
        other => panic!("alice got more: {other:?}"),
    }
}

#[test]
fn an_idle_stream_gets_heartbeats() {
    let server = support::start_generated!(library_api, API, |config| {
        config.live.heartbeat = Duration::from_millis(200);
    });
    let mut idle = Sse::open(&server, &format!("{API}/books/events"), &[]);
    idle.reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // Comments, not events: an EventSource ignores them, a proxy sees traffic.
    while !idle.pending.contains(": heartbeat\n\n") {
        assert!(idle.read_chunk(), "no heartbeat within 5 s");
    }
    assert!(idle.next_within(Duration::from_millis(100)).is_none());
}

#[test]
fn a_websocket_consumer_that_stops_reading_is_closed() {
    let server = support::start_generated!(library_api, API, |config| {
        config.live.send_timeout = Duration::from_millis(500);
    });
    let mut slow = Socket::open(&server, &format!("{API}/books/events"), &[]);
    slow.send(json!({"type": "subscribe", "id": "all"}));
    assert_eq!(slow.next()["type"], "subscribed");
    write_many_large_books(&server);
    std::thread::sleep(Duration::from_secs(2));
    // What reached the socket comes out, then the server's word, then the end.
    let mut events = 0;
    let ended = loop {
        match slow.0.read() {
            Ok(tungstenite::Message::Text(text)) => {
                let message: Value = serde_json::from_str(&text).unwrap();
                if message["type"] == "event" {
                    events += 1;
                } else {
                    assert_eq!(message["type"], "error", "{message}");
                    let reason = message["_error"]["message"].as_str().unwrap();
                    assert!(reason.contains("slow consumer"), "{reason}");
                }
            }
            Ok(tungstenite::Message::Close(frame)) => break frame.map(|f| u16::from(f.code)),
            Ok(_) => {}
            // The server may close before the close frame is read.
            Err(_) => break None,
        }
    };
    assert!(events < 400, "every event was sent: {events}");
    if let Some(code) = ended {
        assert_eq!(code, 1008);
    }
    assert_eq!(
        server.get(&format!("{API}/books?max_results=1")).status,
        200
    );
}
