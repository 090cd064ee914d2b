//! Reference server for the apigen benchmark.
//!
//! A hand-written axum + rusqlite server for exactly one resource, `people` of
//! `specs/people.toml`, speaking the same Eve wire protocol as the generated
//! `people-api` for the routes the benchmark drives:
//!
//! - `GET   /api/v1/people/{id}`  (ETag, Last-Modified, If-None-Match → 304)
//! - `GET   /api/v1/people?where=..&sort=..&max_results=..&page=..`
//! - `POST  /api/v1/people`       (one document or a list, all-or-nothing)
//! - `PATCH /api/v1/people/{id}`  (If-Match required)
//!
//! It is written to be fast by hand: SQLite work runs inline on the async worker
//! (a point read costs tens of microseconds; hopping to `spawn_blocking` would cost
//! more than the read), readers use one connection per worker thread with cached
//! statements, writers share one connection behind an async mutex (one transaction
//! per request) so SQLite never has to back off on its busy handler, and responses
//! are written straight into a byte buffer from the row.
//!
//! Run: `reference-server serve --addr 127.0.0.1:8080 --db /tmp/people.db`.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Row, params_from_iter};
use serde_json::{Map, Value};

// ---------------------------------------------------------------------------
// Database

static DB_PATH: OnceLock<PathBuf> = OnceLock::new();
static WRITER: OnceLock<tokio::sync::Mutex<Connection>> = OnceLock::new();

thread_local! {
    /// One read connection per worker thread: no lock, its own statement cache.
    static READER: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS people (
    _id TEXT PRIMARY KEY NOT NULL,
    _created INTEGER NOT NULL,
    _updated INTEGER NOT NULL,
    _etag TEXT NOT NULL,
    firstname TEXT,
    lastname TEXT UNIQUE,
    role TEXT,
    born INTEGER,
    age INTEGER,
    email TEXT,
    status TEXT,
    location TEXT
);
CREATE INDEX IF NOT EXISTS people_by_age ON people (age);";

/// Column list of every SELECT that renders documents; `write_doc` reads by index.
const COLS: &str =
    "_id, _created, _updated, _etag, firstname, lastname, role, born, age, email, status, location";
const SELECT_ONE: &str = "SELECT _id, _created, _updated, _etag, firstname, lastname, role, born, \
                          age, email, status, location FROM people WHERE _id = ?1";
const INSERT: &str = "INSERT INTO people (_id, _created, _updated, _etag, firstname, lastname, \
                      role, born, age, email, status, location) \
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
const LASTNAME_TAKEN: &str = "SELECT 1 FROM people WHERE lastname = ?1";
const LASTNAME_TAKEN_BY_OTHER: &str = "SELECT 1 FROM people WHERE lastname = ?1 AND _id <> ?2";

fn open_connection(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    conn.set_prepared_statement_cache_capacity(64);
    // Query planner stability: without it, SQLite (built with STAT4, as `bundled` is)
    // marks `lastname = ?` as plan-dependent and re-prepares the cached statement every
    // time a new lastname is bound, parsing the SQL again on each request.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(conn)
}

fn with_reader<T>(f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    READER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(open_connection(DB_PATH.get().expect("db path set"))?);
        }
        f(slot.as_ref().expect("just opened"))
    })
}

/// The writer connection. An async mutex: a request waiting for its turn to write
/// parks its task, not the worker thread, which goes on serving other connections.
async fn writer() -> tokio::sync::MutexGuard<'static, Connection> {
    WRITER.get().expect("writer opened").lock().await
}

/// Run `work` as one transaction on the writer connection, committed when it returns
/// `Ok` (a transaction that only read commits as cheaply as it would roll back).
/// DEFERRED is enough: the mutex already makes this connection the only writer.
async fn in_write_tx<T>(
    work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let mut conn = writer().await;
    let tx = conn.transaction()?;
    let value = work(&tx)?;
    tx.commit()?;
    Ok(value)
}

// ---------------------------------------------------------------------------
// Ids, dates, etags

static ID_RANDOM: OnceLock<[u8; 5]> = OnceLock::new();
static ID_COUNTER: AtomicU32 = AtomicU32::new(0);

fn random_seed() -> [u8; 8] {
    let mut bytes = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read as _;
        if f.read_exact(&mut bytes).is_ok() {
            return bytes;
        }
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos());
    h.finish().to_be_bytes()
}

/// ObjectId-style id: 4-byte big-endian seconds, 5 process-random bytes, 3-byte counter.
fn new_object_id(now: i64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let count = ID_COUNTER.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    let mut raw = [0u8; 12];
    raw[..4].copy_from_slice(&(now as u32).to_be_bytes());
    raw[4..9].copy_from_slice(ID_RANDOM.get().expect("id random set"));
    raw[9..].copy_from_slice(&count.to_be_bytes()[1..]);
    let mut out = String::with_capacity(24);
    for b in raw {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn write_date(buf: &mut Vec<u8>, seconds: i64) {
    let t = UNIX_EPOCH + Duration::from_secs(seconds.max(0) as u64);
    let _ = write!(buf, "{}", httpdate::HttpDate::from(t));
}

fn date_string(seconds: i64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(seconds.max(0) as u64))
}

fn parse_date(text: &str) -> Option<i64> {
    let t = httpdate::parse_http_date(text.trim()).ok()?;
    i64::try_from(t.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()
}

/// SHA-1 of the user fields as compact JSON with sorted keys (`Map` is a BTreeMap).
fn etag_of(fields: &Map<String, Value>) -> String {
    let json = serde_json::to_vec(fields).expect("map serializes");
    sha1_smol::Sha1::from(json).digest().to_string()
}

/// Whether an `If-Match` / `If-None-Match` value names `etag` (quoted, bare, weak, listed).
fn etag_matches(header_value: &[u8], etag: &str) -> bool {
    let Ok(text) = std::str::from_utf8(header_value) else { return false };
    text.split(',').any(|candidate| {
        let c = candidate.trim();
        let c = c.strip_prefix("W/").unwrap_or(c);
        let c = c.strip_prefix('"').and_then(|c| c.strip_suffix('"')).unwrap_or(c);
        c == "*" || c == etag
    })
}

// ---------------------------------------------------------------------------
// Responses

fn write_str(buf: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *buf, s).expect("writing to a Vec cannot fail");
}

fn json(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn error(code: u16, message: &str) -> Response {
    let mut buf = Vec::with_capacity(96 + message.len());
    let _ = write!(buf, "{{\"_status\":\"ERR\",\"_error\":{{\"code\":{code},\"message\":");
    write_str(&mut buf, message);
    buf.extend_from_slice(b"}}");
    json(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), buf)
}

fn not_found() -> Response {
    error(404, "The requested URL was not found on the server.")
}

fn internal(e: impl std::fmt::Display) -> Response {
    eprintln!("internal error: {e}");
    error(500, "The server encountered an internal error and was unable to complete your request.")
}

fn etag_header(etag: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{etag}\"")).expect("hex is a valid header value")
}

/// Render one row (selected with `COLS`) as an Eve document. `in_collection` selects the
/// `_links` of a collection item (self only) instead of an item endpoint's.
fn write_doc(buf: &mut Vec<u8>, row: &Row<'_>, in_collection: bool) -> rusqlite::Result<()> {
    let id = row.get_ref(0)?.as_str()?;
    let created = row.get_ref(1)?.as_i64()?;
    let updated = row.get_ref(2)?.as_i64()?;
    let etag = row.get_ref(3)?.as_str()?;
    buf.extend_from_slice(b"{\"_id\":\"");
    buf.extend_from_slice(id.as_bytes());
    buf.push(b'"');
    if let Some(v) = row.get_ref(4)?.as_str_or_null()? {
        buf.extend_from_slice(b",\"firstname\":");
        write_str(buf, v);
    }
    if let Some(v) = row.get_ref(5)?.as_str_or_null()? {
        buf.extend_from_slice(b",\"lastname\":");
        write_str(buf, v);
    }
    if let Some(v) = row.get_ref(6)?.as_str_or_null()? {
        // Stored as the compact JSON we produced on write.
        buf.extend_from_slice(b",\"role\":");
        buf.extend_from_slice(v.as_bytes());
    }
    if let Some(v) = row.get_ref(7)?.as_i64_or_null()? {
        buf.extend_from_slice(b",\"born\":\"");
        write_date(buf, v);
        buf.push(b'"');
    }
    if let Some(v) = row.get_ref(8)?.as_i64_or_null()? {
        let _ = write!(buf, ",\"age\":{v}");
    }
    if let Some(v) = row.get_ref(9)?.as_str_or_null()? {
        buf.extend_from_slice(b",\"email\":");
        write_str(buf, v);
    }
    if let Some(v) = row.get_ref(10)?.as_str_or_null()? {
        buf.extend_from_slice(b",\"status\":");
        write_str(buf, v);
    }
    if let Some(v) = row.get_ref(11)?.as_str_or_null()? {
        buf.extend_from_slice(b",\"location\":");
        buf.extend_from_slice(v.as_bytes());
    }
    buf.extend_from_slice(b",\"_created\":\"");
    write_date(buf, created);
    buf.extend_from_slice(b"\",\"_updated\":\"");
    write_date(buf, updated);
    buf.extend_from_slice(b"\",\"_etag\":\"");
    buf.extend_from_slice(etag.as_bytes());
    buf.extend_from_slice(b"\",\"_links\":{\"self\":{\"title\":\"person\",\"href\":\"people/");
    buf.extend_from_slice(id.as_bytes());
    if in_collection {
        buf.extend_from_slice(b"\"}}}");
    } else {
        buf.extend_from_slice(
            b"\"},\"parent\":{\"title\":\"home\",\"href\":\"/\"},\
              \"collection\":{\"title\":\"people\",\"href\":\"people\"}}}",
        );
    }
    Ok(())
}

/// The body of a successful write: `{"_status":"OK","_id",...,"_links":{"self"}}`.
fn write_ack(buf: &mut Vec<u8>, id: &str, created: i64, updated: i64, etag: &str) {
    buf.extend_from_slice(b"{\"_status\":\"OK\",\"_id\":\"");
    buf.extend_from_slice(id.as_bytes());
    buf.extend_from_slice(b"\",\"_created\":\"");
    write_date(buf, created);
    buf.extend_from_slice(b"\",\"_updated\":\"");
    write_date(buf, updated);
    buf.extend_from_slice(b"\",\"_etag\":\"");
    buf.extend_from_slice(etag.as_bytes());
    buf.extend_from_slice(b"\",\"_links\":{\"self\":{\"title\":\"person\",\"href\":\"people/");
    buf.extend_from_slice(id.as_bytes());
    buf.extend_from_slice(b"\"}}}");
}

fn validation_failure(issues: Map<String, Value>) -> Response {
    let mut buf = Vec::with_capacity(160);
    buf.extend_from_slice(b"{\"_status\":\"ERR\",\"_issues\":");
    serde_json::to_writer(&mut buf, &issues).expect("serializes");
    buf.extend_from_slice(
        b",\"_error\":{\"code\":422,\"message\":\"Insertion failure: 1 document(s) contain(s) error(s)\"}}",
    );
    json(StatusCode::UNPROCESSABLE_ENTITY, buf)
}

fn is_json_request(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false)
}

fn unsupported_media_type() -> Response {
    error(415, "The server does not support the media type transmitted in the request.")
}

// ---------------------------------------------------------------------------
// Validation (the `people` schema of specs/people.toml, Cerberus' messages)

const ROLES: [&str; 3] = ["author", "contributor", "copy"];
const STATUSES: [&str; 2] = ["active", "retired"];

fn check_string(v: &Value, min: usize, max: Option<usize>) -> Result<(), String> {
    let Value::String(s) = v else { return Err("must be of string type".into()) };
    let len = s.chars().count();
    if len < min {
        return Err(format!("min length is {min}"));
    }
    if let Some(max) = max.filter(|&max| len > max) {
        return Err(format!("max length is {max}"));
    }
    Ok(())
}

/// `[^@ ]+@[^@ ]+`, matched against the whole value as Cerberus does.
fn email_matches(s: &str) -> bool {
    let mut parts = s.split('@');
    let (Some(user), Some(host), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !user.is_empty() && !host.is_empty() && !s.contains(' ')
}

/// Validate one field in place (datetimes are normalized to their RFC 1123 form).
fn check_field(name: &str, value: &mut Value) -> Result<(), Value> {
    let msg = |m: String| Value::String(m);
    if value.is_null() && name != "email" {
        return Err(msg("null value not allowed".into()));
    }
    match name {
        "firstname" => check_string(value, 1, Some(10)).map_err(msg),
        "lastname" => check_string(value, 1, Some(15)).map_err(msg),
        "role" => {
            let Value::Array(items) = value else {
                return Err(msg("must be of list type".into()));
            };
            let bad: Vec<String> = items
                .iter()
                .filter(|item| !item.as_str().is_some_and(|s| ROLES.contains(&s)))
                .map(|item| match item {
                    Value::String(s) => format!("'{s}'"),
                    other => other.to_string(),
                })
                .collect();
            if bad.is_empty() {
                Ok(())
            } else {
                Err(msg(format!("unallowed values [{}]", bad.join(", "))))
            }
        }
        "born" => {
            let parsed = value.as_str().and_then(parse_date);
            match parsed {
                Some(seconds) => {
                    *value = Value::String(date_string(seconds));
                    Ok(())
                }
                None => Err(msg("must be of datetime type".into())),
            }
        }
        "age" => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => match n.as_i64() {
                Some(i) if i < 0 => Err(msg("min value is 0".into())),
                Some(i) if i <= 150 => Ok(()),
                _ => Err(msg("max value is 150".into())),
            },
            _ => Err(msg("must be of integer type".into())),
        },
        "email" => match value {
            Value::Null => Ok(()),
            Value::String(s) if email_matches(s) => Ok(()),
            Value::String(_) => Err(msg("value does not match regex '[^@ ]+@[^@ ]+'".into())),
            _ => Err(msg("must be of string type".into())),
        },
        "status" => match value {
            Value::String(s) if STATUSES.contains(&s.as_str()) => Ok(()),
            Value::String(s) => Err(msg(format!("unallowed value {s}"))),
            _ => Err(msg("must be of string type".into())),
        },
        "location" => {
            let Value::Object(sub) = value else {
                return Err(msg("must be of dict type".into()));
            };
            let mut issues = Map::new();
            for (k, v) in sub.iter() {
                let issue = match k.as_str() {
                    "address" | "city" if v.is_null() => Some("null value not allowed"),
                    "address" | "city" if !v.is_string() => Some("must be of string type"),
                    "address" | "city" => None,
                    _ => Some("unknown field"),
                };
                if let Some(issue) = issue {
                    issues.insert(k.clone(), Value::String(issue.into()));
                }
            }
            if issues.is_empty() { Ok(()) } else { Err(Value::Object(issues)) }
        }
        _ => Err(msg("unknown field".into())),
    }
}

/// Validate a whole document (POST) or a set of changes (PATCH). Nulls of nullable
/// fields are dropped: they are stored as NULL, which reads back as absent.
fn validate(doc: &mut Map<String, Value>, is_patch: bool) -> Result<(), Map<String, Value>> {
    let mut issues = Map::new();
    for (name, value) in doc.iter_mut() {
        if let Err(issue) = check_field(name, value) {
            issues.insert(name.clone(), issue);
        }
    }
    if !is_patch {
        if !doc.contains_key("lastname") {
            issues.insert("lastname".into(), Value::String("required field".into()));
        }
        doc.entry("status").or_insert_with(|| Value::String("active".into()));
        doc.retain(|_, v| !v.is_null());
    }
    if issues.is_empty() { Ok(()) } else { Err(issues) }
}

/// Column values of a validated document, in the order of `INSERT`'s ?5..?12.
fn columns(doc: &Map<String, Value>) -> [SqlValue; 8] {
    let text = |k: &str| match doc.get(k) {
        Some(Value::String(s)) => SqlValue::Text(s.clone()),
        _ => SqlValue::Null,
    };
    let json_text = |k: &str| match doc.get(k) {
        Some(v) if !v.is_null() => SqlValue::Text(v.to_string()),
        _ => SqlValue::Null,
    };
    [
        text("firstname"),
        text("lastname"),
        json_text("role"),
        doc.get("born")
            .and_then(Value::as_str)
            .and_then(parse_date)
            .map_or(SqlValue::Null, SqlValue::Integer),
        doc.get("age").and_then(Value::as_i64).map_or(SqlValue::Null, SqlValue::Integer),
        text("email"),
        text("status"),
        json_text("location"),
    ]
}

fn column_value(doc: &Map<String, Value>, name: &str) -> SqlValue {
    let index = ["firstname", "lastname", "role", "born", "age", "email", "status", "location"]
        .iter()
        .position(|&c| c == name)
        .expect("validated field");
    columns(doc)[index].clone()
}

// ---------------------------------------------------------------------------
// Handlers

async fn get_person(Path(id): Path<String>, request: Request) -> Response {
    enum Outcome {
        Found { body: Vec<u8>, etag: HeaderValue, updated: i64 },
        NotModified { etag: HeaderValue },
        Missing,
    }
    // Headers by reference (the `HeaderMap` extractor would clone them).
    let if_none_match = request.headers().get(header::IF_NONE_MATCH);
    let outcome = with_reader(|conn| {
        let mut stmt = conn.prepare_cached(SELECT_ONE)?;
        let mut rows = stmt.query([&id])?;
        let Some(row) = rows.next()? else { return Ok(Outcome::Missing) };
        let etag = row.get_ref(3)?.as_str()?;
        if if_none_match.is_some_and(|h| etag_matches(h.as_bytes(), etag)) {
            return Ok(Outcome::NotModified { etag: etag_header(etag) });
        }
        let etag = etag_header(etag);
        let updated = row.get_ref(2)?.as_i64()?;
        let mut body = Vec::with_capacity(640);
        write_doc(&mut body, row, false)?;
        Ok(Outcome::Found { body, etag, updated })
    });
    match outcome {
        Ok(Outcome::Found { body, etag, updated }) => {
            let mut response = json(StatusCode::OK, body);
            let h = response.headers_mut();
            h.insert(header::ETAG, etag);
            let mut last_modified = Vec::with_capacity(29);
            write_date(&mut last_modified, updated);
            h.insert(
                header::LAST_MODIFIED,
                HeaderValue::from_bytes(&last_modified).expect("date is a valid header value"),
            );
            response
        }
        Ok(Outcome::NotModified { etag }) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            response.headers_mut().insert(header::ETAG, etag);
            response
        }
        Ok(Outcome::Missing) => not_found(),
        Err(e) => internal(e),
    }
}

/// Columns a client may name in `where` and `sort`; anything else is a 400.
fn query_column(name: &str) -> Option<&'static str> {
    Some(match name {
        "_id" => "_id",
        "_created" => "_created",
        "_updated" => "_updated",
        "firstname" => "firstname",
        "lastname" => "lastname",
        "role" => "role",
        "born" => "born",
        "age" => "age",
        "email" => "email",
        "status" => "status",
        "location" => "location",
        _ => return None,
    })
}

async fn list_people(RawQuery(query): RawQuery) -> Response {
    const DEFAULT_PAGE_SIZE: u64 = 25;
    const MAX_PAGE_SIZE: u64 = 50;
    let mut where_sql = String::new();
    let mut order_sql = String::new();
    let mut binds: Vec<SqlValue> = Vec::new();
    let mut max_results = DEFAULT_PAGE_SIZE;
    let mut page: u64 = 1;

    for (key, value) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match &*key {
            "where" => {
                let Ok(Value::Object(conditions)) = serde_json::from_str::<Value>(&value) else {
                    return error(400, "Unable to parse `where` clause");
                };
                for (field, expected) in conditions {
                    let Some(col) = query_column(&field) else {
                        return error(400, &format!("Unknown field in `where`: {field}"));
                    };
                    where_sql.push_str(if where_sql.is_empty() { " WHERE " } else { " AND " });
                    let is_date = matches!(col, "born" | "_created" | "_updated");
                    let bind = match expected {
                        Value::Null => {
                            where_sql.push_str(col);
                            where_sql.push_str(" IS NULL");
                            continue;
                        }
                        Value::String(s) if is_date => match parse_date(&s) {
                            Some(seconds) => SqlValue::Integer(seconds),
                            None => return error(400, "Unable to parse `where` clause"),
                        },
                        Value::String(s) => SqlValue::Text(s),
                        Value::Bool(b) => SqlValue::Integer(b as i64),
                        Value::Number(n) => match n.as_i64() {
                            Some(i) => SqlValue::Integer(i),
                            None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
                        },
                        Value::Array(_) | Value::Object(_) => {
                            return error(400, "Unsupported `where` operator");
                        }
                    };
                    binds.push(bind);
                    let _ = write!(where_sql, "{col} = ?{}", binds.len());
                }
            }
            "sort" => {
                for term in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    let (name, dir) = match term.strip_prefix('-') {
                        Some(name) => (name, " DESC"),
                        None => (term, " ASC"),
                    };
                    let Some(col) = query_column(name) else {
                        return error(400, &format!("Unknown field in `sort`: {name}"));
                    };
                    order_sql.push_str(if order_sql.is_empty() { " ORDER BY " } else { ", " });
                    order_sql.push_str(col);
                    order_sql.push_str(dir);
                }
            }
            "max_results" => match value.parse::<u64>() {
                Ok(n) => max_results = n.clamp(1, MAX_PAGE_SIZE),
                Err(_) => return error(400, "max_results must be a positive integer"),
            },
            "page" => match value.parse::<u64>() {
                Ok(n) if n >= 1 => page = n,
                _ => return error(400, "page must be a positive integer"),
            },
            _ => {}
        }
    }

    let count_sql = format!("SELECT COUNT(*) FROM people{where_sql}");
    let n = binds.len();
    let page_sql =
        format!("SELECT {COLS} FROM people{where_sql}{order_sql} LIMIT ?{} OFFSET ?{}", n + 1, n + 2);
    let result = with_reader(|conn| {
        let total: i64 = conn
            .prepare_cached(&count_sql)?
            .query_row(params_from_iter(binds.iter()), |r| r.get(0))?;
        let mut body = Vec::with_capacity(256 + 600 * max_results as usize);
        body.extend_from_slice(b"{\"_items\":[");
        {
            let mut stmt = conn.prepare_cached(&page_sql)?;
            let limit = SqlValue::Integer(max_results as i64);
            let offset = SqlValue::Integer(((page - 1) * max_results) as i64);
            let mut rows =
                stmt.query(params_from_iter(binds.iter().chain([&limit, &offset])))?;
            let mut first = true;
            while let Some(row) = rows.next()? {
                if !first {
                    body.push(b',');
                }
                first = false;
                write_doc(&mut body, row, true)?;
            }
        }
        let _ = write!(
            body,
            "],\"_meta\":{{\"page\":{page},\"max_results\":{max_results},\"total\":{total}}},\
             \"_links\":{{\"self\":{{\"title\":\"people\",\"href\":\"people\"}},\
             \"parent\":{{\"title\":\"home\",\"href\":\"/\"}}"
        );
        let last_page = (total.max(0) as u64).div_ceil(max_results);
        if page < last_page {
            let _ = write!(
                body,
                ",\"next\":{{\"title\":\"next page\",\"href\":\"people?page={}\"}},\
                 \"last\":{{\"title\":\"last page\",\"href\":\"people?page={last_page}\"}}",
                page + 1
            );
        }
        if page > 1 {
            let _ = write!(
                body,
                ",\"prev\":{{\"title\":\"previous page\",\"href\":\"people?page={}\"}}",
                page - 1
            );
        }
        body.extend_from_slice(b"}}");
        Ok(body)
    });
    match result {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => internal(e),
    }
}

/// A validated document ready to insert.
struct NewDoc {
    id: String,
    etag: String,
    cols: [SqlValue; 8],
}

fn prepare_new(mut doc: Map<String, Value>, now: i64) -> Result<NewDoc, Map<String, Value>> {
    validate(&mut doc, false)?;
    Ok(NewDoc { id: new_object_id(now), etag: etag_of(&doc), cols: columns(&doc) })
}

fn lastname_of(cols: &[SqlValue; 8]) -> Option<&str> {
    match &cols[1] {
        SqlValue::Text(s) => Some(s),
        _ => None,
    }
}

fn insert(conn: &Connection, doc: &NewDoc, now: i64) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(INSERT)?;
    let head = [
        SqlValue::Text(doc.id.clone()),
        SqlValue::Integer(now),
        SqlValue::Integer(now),
        SqlValue::Text(doc.etag.clone()),
    ];
    stmt.execute(params_from_iter(head.iter().chain(doc.cols.iter())))?;
    Ok(())
}

fn lastname_taken(conn: &Connection, lastname: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(LASTNAME_TAKEN)?.exists([lastname])
}

fn not_unique(lastname: &str) -> Map<String, Value> {
    let mut issues = Map::new();
    issues.insert("lastname".into(), Value::String(format!("value '{lastname}' is not unique")));
    issues
}

async fn create_people(headers: HeaderMap, body: Bytes) -> Response {
    if !is_json_request(&headers) {
        return unsupported_media_type();
    }
    let now = now();
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(doc)) => {
            let doc = match prepare_new(doc, now) {
                Ok(doc) => doc,
                Err(issues) => return validation_failure(issues),
            };
            let result = in_write_tx(|conn| {
                if let Some(l) = lastname_of(&doc.cols)
                    && lastname_taken(conn, l)?
                {
                    return Ok(false);
                }
                insert(conn, &doc, now)?;
                Ok(true)
            })
            .await;
            match result {
                Ok(true) => {
                    let mut buf = Vec::with_capacity(256);
                    write_ack(&mut buf, &doc.id, now, now, &doc.etag);
                    let mut response = json(StatusCode::CREATED, buf);
                    let location = format!("/api/v1/people/{}", doc.id);
                    response.headers_mut().insert(
                        header::LOCATION,
                        HeaderValue::from_str(&location).expect("hex is a valid header value"),
                    );
                    response
                }
                Ok(false) => validation_failure(not_unique(lastname_of(&doc.cols).unwrap_or(""))),
                Err(e) => internal(e),
            }
        }
        Ok(Value::Array(items)) => create_many(items, now).await,
        Ok(_) => error(400, "The request body must be a JSON object or a list of objects"),
        Err(_) => error(400, "The browser (or proxy) sent a request that this server could not understand."),
    }
}

/// Bulk insert: every document is validated, then all are inserted in one
/// transaction, or none when any of them fails.
async fn create_many(items: Vec<Value>, now: i64) -> Response {
    let mut prepared: Vec<Result<NewDoc, Map<String, Value>>> = items
        .into_iter()
        .map(|item| match item {
            Value::Object(doc) => prepare_new(doc, now),
            _ => {
                let mut issues = Map::new();
                issues.insert("_document".into(), Value::String("must be of dict type".into()));
                Err(issues)
            }
        })
        .collect();
    let mut conn = writer().await;
    let outcome: rusqlite::Result<bool> = (|| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut seen = HashSet::new();
        for entry in prepared.iter_mut() {
            let Ok(doc) = entry else { continue };
            if let Some(l) = lastname_of(&doc.cols)
                && (!seen.insert(l.to_owned()) || lastname_taken(&tx, l)?)
            {
                *entry = Err(not_unique(l));
            }
        }
        if prepared.iter().any(Result::is_err) {
            return Ok(false); // dropping `tx` rolls back
        }
        for doc in prepared.iter().flatten() {
            insert(&tx, doc, now)?;
        }
        tx.commit()?;
        Ok(true)
    })();
    drop(conn);
    match outcome {
        Ok(true) => {
            let mut buf = Vec::with_capacity(32 + 260 * prepared.len());
            buf.extend_from_slice(b"{\"_status\":\"OK\",\"_items\":[");
            for (i, doc) in prepared.iter().flatten().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_ack(&mut buf, &doc.id, now, now, &doc.etag);
            }
            buf.extend_from_slice(b"]}");
            json(StatusCode::CREATED, buf)
        }
        Ok(false) => {
            let failures = prepared.iter().filter(|p| p.is_err()).count();
            let items: Vec<Value> = prepared
                .into_iter()
                .map(|p| match p {
                    Ok(_) => serde_json::json!({"_status": "OK"}),
                    Err(issues) => serde_json::json!({"_status": "ERR", "_issues": issues}),
                })
                .collect();
            let body = serde_json::json!({
                "_status": "ERR",
                "_error": {
                    "code": 422,
                    "message": format!("Insertion failure: {failures} document(s) contain(s) error(s)"),
                },
                "_items": items,
            });
            json(StatusCode::UNPROCESSABLE_ENTITY, serde_json::to_vec(&body).expect("serializes"))
        }
        Err(e) => internal(e),
    }
}

/// The user fields of a stored row, as the document Eve would hold.
fn row_fields(row: &Row<'_>) -> rusqlite::Result<Map<String, Value>> {
    let mut doc = Map::new();
    let text = |i: usize| -> rusqlite::Result<Option<String>> {
        Ok(row.get_ref(i)?.as_str_or_null()?.map(str::to_owned))
    };
    let json_col = |i: usize| -> rusqlite::Result<Option<Value>> {
        Ok(match row.get_ref(i)?.as_str_or_null()? {
            Some(s) => Some(serde_json::from_str(s).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
            })?),
            None => None,
        })
    };
    if let Some(v) = text(4)? {
        doc.insert("firstname".into(), Value::String(v));
    }
    if let Some(v) = text(5)? {
        doc.insert("lastname".into(), Value::String(v));
    }
    if let Some(v) = json_col(6)? {
        doc.insert("role".into(), v);
    }
    if let Some(v) = row.get_ref(7)?.as_i64_or_null()? {
        doc.insert("born".into(), Value::String(date_string(v)));
    }
    if let Some(v) = row.get_ref(8)?.as_i64_or_null()? {
        doc.insert("age".into(), Value::from(v));
    }
    if let Some(v) = text(9)? {
        doc.insert("email".into(), Value::String(v));
    }
    if let Some(v) = text(10)? {
        doc.insert("status".into(), Value::String(v));
    }
    if let Some(v) = json_col(11)? {
        doc.insert("location".into(), v);
    }
    Ok(doc)
}

async fn patch_person(Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(if_match) = headers.get(header::IF_MATCH) else {
        return error(428, "To edit a document its etag must be provided using the If-Match header");
    };
    if !is_json_request(&headers) {
        return unsupported_media_type();
    }
    let mut changes = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(changes)) => changes,
        _ => return error(400, "The request body must be a JSON object"),
    };
    let validity = validate(&mut changes, true);

    enum Outcome {
        Updated { created: i64, updated: i64, etag: String },
        Missing,
        Stale,
        Invalid(Map<String, Value>),
    }
    let outcome: rusqlite::Result<Outcome> = in_write_tx(|conn| {
        let (created, mut doc) = {
            let mut stmt = conn.prepare_cached(SELECT_ONE)?;
            let mut rows = stmt.query([&id])?;
            let Some(row) = rows.next()? else { return Ok(Outcome::Missing) };
            if !etag_matches(if_match.as_bytes(), row.get_ref(3)?.as_str()?) {
                return Ok(Outcome::Stale);
            }
            (row.get_ref(1)?.as_i64()?, row_fields(row)?)
        };
        if let Err(issues) = validity {
            return Ok(Outcome::Invalid(issues));
        }
        if let Some(Value::String(l)) = changes.get("lastname")
            && conn.prepare_cached(LASTNAME_TAKEN_BY_OTHER)?.exists([l, &id])?
        {
            return Ok(Outcome::Invalid(not_unique(l)));
        }
        // Merge: a dict is merged key by key (Eve's nested PATCH), a null clears.
        for (name, value) in &changes {
            match (doc.get_mut(name), value) {
                (_, Value::Null) => {
                    doc.remove(name);
                }
                (Some(Value::Object(old)), Value::Object(new)) => {
                    for (k, v) in new {
                        old.insert(k.clone(), v.clone());
                    }
                }
                _ => {
                    doc.insert(name.clone(), value.clone());
                }
            }
        }
        let etag = etag_of(&doc);
        let updated = now();
        let mut sql = String::from("UPDATE people SET ");
        let mut binds: Vec<SqlValue> = Vec::with_capacity(changes.len() + 3);
        for name in changes.keys() {
            binds.push(column_value(&doc, name));
            let _ = write!(sql, "{name} = ?{}, ", binds.len());
        }
        binds.push(SqlValue::Integer(updated));
        binds.push(SqlValue::Text(etag.clone()));
        binds.push(SqlValue::Text(id.clone()));
        let n = binds.len();
        let _ = write!(
            sql,
            "_updated = ?{}, _etag = ?{} WHERE _id = ?{n}",
            n - 2,
            n - 1
        );
        conn.prepare_cached(&sql)?.execute(params_from_iter(binds.iter()))?;
        Ok(Outcome::Updated { created, updated, etag })
    })
    .await;
    match outcome {
        Ok(Outcome::Updated { created, updated, etag }) => {
            let mut buf = Vec::with_capacity(256);
            write_ack(&mut buf, &id, created, updated, &etag);
            let mut response = json(StatusCode::OK, buf);
            response.headers_mut().insert(header::ETAG, etag_header(&etag));
            response
        }
        Ok(Outcome::Missing) => not_found(),
        Ok(Outcome::Stale) => error(412, "Client and server etags don't match"),
        Ok(Outcome::Invalid(issues)) => validation_failure(issues),
        Err(e) => internal(e),
    }
}

// ---------------------------------------------------------------------------
// Main

fn usage() -> ! {
    eprintln!("usage: reference-server serve --addr HOST:PORT --db PATH");
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("serve") {
        usage();
    }
    let (mut addr, mut db) = (String::from("127.0.0.1:8080"), PathBuf::from("people.db"));
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--addr", Some(v)) => addr = v,
            ("--db", Some(v)) => db = PathBuf::from(v),
            _ => usage(),
        }
    }

    let seed = random_seed();
    ID_RANDOM.set(seed[..5].try_into().expect("5 bytes")).expect("set once");
    ID_COUNTER.store(u32::from_be_bytes([0, seed[5], seed[6], seed[7]]), Ordering::Relaxed);

    let conn = open_connection(&db).unwrap_or_else(|e| {
        eprintln!("cannot open {}: {e}", db.display());
        std::process::exit(1)
    });
    conn.execute_batch(SCHEMA).expect("create schema");
    DB_PATH.set(db).expect("set once");
    if WRITER.set(tokio::sync::Mutex::new(conn)).is_err() {
        unreachable!("writer set once");
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let app = Router::new()
            .route("/api/v1/people", get(list_people).post(create_people))
            .route("/api/v1/people/{id}", get(get_person).patch(patch_person))
            .fallback(|| async { not_found() });
        let listener = tokio::net::TcpListener::bind(&addr).await.unwrap_or_else(|e| {
            eprintln!("cannot listen on {addr}: {e}");
            std::process::exit(1)
        });
        eprintln!("reference-server listening on http://{addr}/api/v1/");
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app).await.expect("server");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_is_sha1_of_sorted_compact_json() {
        let mut doc = Map::new();
        doc.insert("lastname".into(), Value::String("Doe".into()));
        doc.insert("age".into(), Value::from(3));
        // sha1('{"age":3,"lastname":"Doe"}')
        assert_eq!(
            etag_of(&doc),
            sha1_smol::Sha1::from(r#"{"age":3,"lastname":"Doe"}"#).digest().to_string()
        );
    }

    #[test]
    fn email_regex() {
        assert!(email_matches("a@b"));
        assert!(!email_matches("a@@b"));
        assert!(!email_matches("@b"));
        assert!(!email_matches("a b@c"));
        assert!(!email_matches("ab"));
    }

    #[test]
    fn object_ids() {
        ID_RANDOM.get_or_init(|| [1, 2, 3, 4, 5]);
        let id = new_object_id(0x5f00_0000);
        assert_eq!(id.len(), 24);
        assert!(id.starts_with("5f0000000102030405"));
    }
}
