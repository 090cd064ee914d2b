//! Shared helpers of the end-to-end tests: the generated `people-api` server started
//! in-process on a random port with its own database file, and a tiny HTTP/1.1 client
//! over `std::net::TcpStream` (raw TCP, so tests can also send malformed requests).

#![allow(dead_code)]

pub mod proxy;

use std::future::Future;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use people_api::Config;
use serde_json::Value;

/// The API prefix of the generated server.
pub const API: &str = "/api/v1";

/// How long a test client waits for an answer before failing the test.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server; stopped (and its database removed) when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The API's path prefix (`/api/v1` for people; empty when served at the root).
    pub prefix: &'static str,
    stop: Arc<Stop>,
    thread: Option<JoinHandle<()>>,
    dir: PathBuf,
}

impl TestServer {
    /// The people API with the default limits.
    pub fn start() -> TestServer {
        TestServer::start_with(|_| {})
    }

    /// The people API, with a `Config` that `adjust` changes (limits, timeouts).
    pub fn start_with(adjust: impl FnOnce(&mut Config) + Send + 'static) -> TestServer {
        TestServer::start_people(Arc::new(people_api::hooks::AppHooks), adjust)
    }

    /// The people API with the given event hooks.
    pub fn start_people(
        hooks: Arc<dyn people_api::api::hooks::Hooks>,
        adjust: impl FnOnce(&mut Config) + Send + 'static,
    ) -> TestServer {
        TestServer::start_custom(API, move |listener, dir, signal| {
            let mut config = Config {
                addr: listener.local_addr().expect("listener address"),
                db: dir.join("people.db"),
                ..Config::default()
            };
            adjust(&mut config);
            let app = people_api::app(&config, hooks).expect("open the database and build the app");
            block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                people_api::serve(listener, app, &config, signal)
                    .await
                    .expect("serve");
            });
        })
    }

    /// Any generated server: `run` gets a bound listener, a fresh temp directory
    /// for its database and the stop signal, and serves on the current thread
    /// (`block_on` runs its async `serve`).
    pub fn start_custom(
        prefix: &'static str,
        run: impl FnOnce(TcpListener, PathBuf, StopSignal) + Send + 'static,
    ) -> TestServer {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "apigen-e2e-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create the test's temp dir");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("listener address");
        let stop = Arc::new(Stop::default());
        let signal = StopSignal(stop.clone());
        let server_dir = dir.clone();
        let thread = std::thread::spawn(move || run(listener, server_dir, signal));
        TestServer {
            addr,
            prefix,
            stop,
            thread: Some(thread),
            dir,
        }
    }

    /// The directory the server keeps its database (`api.db`) in.
    #[allow(dead_code)]
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// A new connection to the server, with read/write timeouts set.
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).expect("connect to the server");
        stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(CLIENT_TIMEOUT)).unwrap();
        stream
    }

    /// One request on a fresh connection (`Connection: close`). `Content-Length` is
    /// added when there is a body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Response {
        let mut conn = Conn::new(self.connect());
        conn.send(method, path, headers, body, false)
    }

    /// Raw bytes on a fresh connection; the response read back (not a HEAD).
    pub fn raw(&self, bytes: &[u8]) -> Response {
        let mut stream = self.connect();
        stream.write_all(bytes).expect("send the raw request");
        read_response(&mut BufReader::new(stream), false).expect("read the response")
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], None)
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        self.request("GET", path, headers, None)
    }

    pub fn head(&self, path: &str) -> Response {
        self.request("HEAD", path, &[], None)
    }

    /// POST a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> Response {
        let bytes = body.to_string();
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            Some(bytes.as_bytes()),
        )
    }

    /// PUT a JSON body; `etag` goes in `If-Match` when given.
    pub fn put(&self, path: &str, etag: Option<&str>, body: &Value) -> Response {
        self.write("PUT", path, etag, body)
    }

    /// PATCH a JSON body; `etag` goes in `If-Match` when given.
    pub fn patch(&self, path: &str, etag: Option<&str>, body: &Value) -> Response {
        self.write("PATCH", path, etag, body)
    }

    /// DELETE; `etag` goes in `If-Match` when given.
    pub fn delete(&self, path: &str, etag: Option<&str>) -> Response {
        let mut headers = Vec::new();
        if let Some(tag) = etag {
            headers.push(("If-Match", tag));
        }
        self.request("DELETE", path, &headers, None)
    }

    fn write(&self, method: &str, path: &str, etag: Option<&str>, body: &Value) -> Response {
        let bytes = body.to_string();
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(tag) = etag {
            headers.push(("If-Match", tag));
        }
        self.request(method, path, &headers, Some(bytes.as_bytes()))
    }

    /// POST a document that must be accepted; the write result (`_id`, `_etag`, ...).
    pub fn create(&self, resource: &str, document: Value) -> Value {
        let response = self.post(&format!("{}/{resource}", self.prefix), &document);
        assert_eq!(
            response.status,
            201,
            "POST {resource} {document}: {}",
            response.text()
        );
        response.json()
    }

    /// The `_items` of a collection GET that must answer 200.
    pub fn items(&self, path: &str) -> Vec<Value> {
        let response = self.get(path);
        assert_eq!(response.status, 200, "GET {path}: {}", response.text());
        response.json()["_items"]
            .as_array()
            .expect("_items is a list")
            .clone()
    }

    /// The given field of every item of a collection GET, in order.
    pub fn column(&self, path: &str, field: &str) -> Vec<Value> {
        self.items(path)
            .iter()
            .map(|item| item[field].clone())
            .collect()
    }

    /// Assert the server still answers a plain GET with 200.
    pub fn assert_alive(&self) {
        let response = self.get(&format!("{API}/people"));
        assert_eq!(
            response.status, 200,
            "server no longer answers: {response:?}"
        );
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.trigger();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Run a server's async `serve` on a small runtime of its own.
pub fn block_on(future: impl Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(future);
}

/// A one-shot stop flag that wakes the server's shutdown future.
#[derive(Default)]
struct Stop {
    stopped: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Stop {
    fn trigger(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        if let Some(waker) = self.waker.lock().unwrap().take() {
            waker.wake();
        }
    }
}

/// Completes when the test's server is dropped: the `shutdown` future of `serve`.
pub struct StopSignal(Arc<Stop>);

impl Future for StopSignal {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let stop = &self.0;
        *stop.waker.lock().unwrap() = Some(cx.waker().clone());
        if stop.stopped.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// A client connection that can carry several requests (keep-alive).
pub struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    pub fn new(stream: TcpStream) -> Conn {
        Conn {
            reader: BufReader::new(stream),
        }
    }

    pub fn stream(&self) -> &TcpStream {
        self.reader.get_ref()
    }

    /// Send one request and read its response. `keep_alive: false` adds
    /// `Connection: close`.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        keep_alive: bool,
    ) -> Response {
        self.write_request(method, path, headers, body, keep_alive)
            .expect("send the request");
        self.read(method == "HEAD").expect("read the response")
    }

    /// Write one request without reading the answer.
    pub fn write_request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        keep_alive: bool,
    ) -> io::Result<()> {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        if !keep_alive {
            request.push_str("Connection: close\r\n");
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        // One write, so the server reads the whole request at once.
        self.reader.get_mut().write_all(&bytes)
    }

    /// Read one response.
    pub fn read(&mut self, head: bool) -> io::Result<Response> {
        read_response(&mut self.reader, head)
    }
}

/// A response as the client saw it.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value (the first, by case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text()))
    }

    /// The `ETag` header without its quotes (it must be quoted).
    pub fn etag(&self) -> String {
        let value = self.header("ETag").expect("an ETag header");
        assert!(
            value.len() > 2 && value.starts_with('"') && value.ends_with('"'),
            "ETag is not a quoted tag: {value}"
        );
        value[1..value.len() - 1].to_string()
    }

    /// Assert an error in Eve's envelope, exactly `{"_status": "ERR", "_error":
    /// {"code": status, "message": ...}}` plus, for 422, `_issues` or `_items`; return
    /// the message.
    pub fn error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "unexpected status: {}", self.text());
        assert_eq!(
            self.header("Content-Type"),
            Some("application/json"),
            "error content type"
        );
        let body = self.json();
        assert_eq!(body["_status"], "ERR", "{body}");
        assert_eq!(body["_error"]["code"], status, "{body}");
        let object = body.as_object().expect("error body is an object");
        for key in object.keys() {
            assert!(
                ["_status", "_error", "_issues", "_items"].contains(&key.as_str()),
                "unexpected key {key} in error {body}"
            );
        }
        assert_eq!(
            body["_error"].as_object().map(|e| e.len()),
            Some(2),
            "{body}"
        );
        body["_error"]["message"]
            .as_str()
            .expect("error message is a string")
            .to_string()
    }

    /// Assert a 422 and return its `_issues`.
    pub fn issues(&self) -> Value {
        self.error(422);
        let body = self.json();
        assert!(body.get("_issues").is_some(), "no _issues in {body}");
        body["_issues"].clone()
    }
}

/// Read one HTTP/1.1 response: status line, headers, then a body by `Content-Length`
/// or chunked encoding (none for HEAD, 1xx, 204 and 304).
pub fn read_response(reader: &mut impl BufRead, head: bool) -> io::Result<Response> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed before a response",
        ));
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad status line {line:?}"),
        ));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad status code"))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "eof in headers",
            ));
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed
            .split_once(':')
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad header line"))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if head || status < 200 || status == 204 || status == 304 {
        return Ok(response);
    }
    let chunked = response
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            response.body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = response.header("Content-Length") {
        let length: usize = length
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length"))?;
        response.body = vec![0; length];
        reader.read_exact(&mut response.body)?;
    } else {
        reader.read_to_end(&mut response.body)?;
    }
    Ok(response)
}

/// Percent-encode a query-string value (everything but unreserved characters).
pub fn enc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Whether `text` is an RFC 1123 date like `Tue, 19 Apr 2016 08:19:00 GMT`.
pub fn is_rfc1123(text: &str) -> bool {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = text.split(' ').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let time_ok = |s: &str| {
        let t: Vec<&str> = s.split(':').collect();
        t.len() == 3 && t.iter().all(|p| digits(p, 2))
    };
    parts.len() == 6
        && parts[0].len() == 4
        && DAYS.contains(&&parts[0][..3])
        && parts[0].ends_with(',')
        && digits(parts[1], 2)
        && MONTHS.contains(&parts[2])
        && digits(parts[3], 4)
        && time_ok(parts[4])
        && parts[5] == "GMT"
}

/// Whether `text` is 24 lowercase hex digits (an ObjectId).
pub fn is_object_id(text: &str) -> bool {
    text.len() == 24
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The HS256 secret of the notes example's `local` JWT issuer (`key_env =
/// "NOTES_JWT_SECRET"`).
pub const NOTES_JWT_SECRET: &str = "a test secret of at least thirty-two bytes, ünïcödé";
/// The secret the notes example's own `check_auth` (its src/auth.rs) compares.
pub const NOTES_PROVIDER_SECRET: &str = "shared-with-the-provider";

/// Put the notes example's secrets in the environment, where its server reads them
/// at start: call before starting one.
pub fn set_notes_env() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: every notes test calls this before any notes server (the only
        // reader of the variables) starts; `Once` makes the others wait until set.
        unsafe {
            std::env::set_var("NOTES_JWT_SECRET", NOTES_JWT_SECRET);
            std::env::set_var("NOTES_PROVIDER_SECRET", NOTES_PROVIDER_SECRET);
        }
    });
}

/// Start the server of the generated crate `$krate` (its own hooks, a fresh
/// database) under `$prefix`: `start_generated!(blog_api, "/api/v1")`.
#[allow(unused_macros)]
macro_rules! start_generated {
    ($krate:ident, $prefix:expr) => {
        $crate::support::start_generated!($krate, $prefix, |_config| {})
    };
    ($krate:ident, $prefix:expr, $adjust:expr) => {
        $crate::support::TestServer::start_custom($prefix, |listener, dir, signal| {
            let mut config = $krate::Config {
                addr: listener.local_addr().expect("listener address"),
                db: dir.join("api.db"),
                ..$krate::Config::default()
            };
            let adjust: fn(&mut $krate::Config) = $adjust;
            adjust(&mut config);
            let app = $krate::app(&config, ::std::sync::Arc::new($krate::hooks::AppHooks))
                .expect("open the database and build the app");
            $crate::support::block_on(async move {
                let listener =
                    ::tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                $krate::serve(listener, app, &config, signal)
                    .await
                    .expect("serve");
            });
        })
    };
}
#[allow(unused_imports)]
pub(crate) use start_generated;

/// Where a test that builds a generated crate with cargo keeps it: outside the
/// workspace (cargo would take it for a member), at a place fixed for this checkout so
/// the crate's build is incremental from run to run, and apart from other checkouts'
/// runs on the same machine.
pub fn generated_crate_dir(name: &str) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_MANIFEST_DIR").hash(&mut hasher);
    std::env::temp_dir()
        .join(format!("apigen-generated-crates-{:016x}", hasher.finish()))
        .join(name)
}
