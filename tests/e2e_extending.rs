//! Extending and observing the generated server: custom validation rules
//! (`validator`), fetch and request hooks, and request logging. Over real HTTP, with
//! the people crate's own `src/validators.rs` and `src/hooks.rs`.

mod support;

use serde_json::{Value, json};
use support::{API, TestServer};

/// `works.tags` items carry `validator = "trimmed"`, which the crate's own
/// `src/validators.rs` implements: its message lands in `_issues` at the item, like
/// the built-in rules' messages, and a valid document goes through untouched.
#[test]
fn a_custom_rule_reports_in_issues_like_a_built_in_one() {
    let server = TestServer::start();
    let refused = server.post(
        &format!("{API}/works"),
        &json!({"title": "Ficciones", "tags": ["cuentos", " laberintos", "ok"]}),
    );
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(
        refused.json()["_error"],
        json!({"code": 422, "message": "Insertion failure: 1 document(s) contain(s) error(s)"})
    );
    assert_eq!(
        refused.issues(),
        json!({"tags": {"1": "must not start or end with whitespace"}})
    );
    // The built-in rule still comes first: a too-long item is reported as such.
    let too_long = server.post(
        &format!("{API}/works"),
        &json!({"title": "x", "tags": [" ".repeat(30)]}),
    );
    assert_eq!(
        too_long.issues(),
        json!({"tags": {"0": "max length is 20"}})
    );
    let empty = server.post(
        &format!("{API}/works"),
        &json!({"title": "x", "tags": [""]}),
    );
    assert_eq!(
        empty.issues(),
        json!({"tags": {"0": "empty values not allowed"}})
    );

    // Non-ASCII text that is trimmed passes, and is stored as sent.
    let created = server.create(
        "works",
        json!({"title": "Der Zauberberg", "tags": ["Bücher", "日本語", "ünïcödé"]}),
    );
    let id = created["_id"].as_str().expect("an id");
    let stored = server.get(&format!("{API}/works/{id}"));
    assert_eq!(
        stored.json()["tags"],
        json!(["Bücher", "日本語", "ünïcödé"])
    );

    // PATCH and PUT run the same rule; a bulk POST reports it per document.
    let patched = server.patch(
        &format!("{API}/works/{id}"),
        Some(&stored.etag()),
        &json!({"tags": ["Bücher\u{3000}"]}),
    );
    assert_eq!(patched.status, 422, "{}", patched.text());
    assert_eq!(
        patched.issues(),
        json!({"tags": {"0": "must not start or end with whitespace"}})
    );
    let replaced = server.put(
        &format!("{API}/works/{id}"),
        Some(&stored.etag()),
        &json!({"title": "Der Zauberberg", "tags": ["\tx"]}),
    );
    assert_eq!(replaced.status, 422, "{}", replaced.text());
    let bulk = server.post(
        &format!("{API}/works"),
        &json!([{"title": "a", "tags": ["fine"]}, {"title": "b", "tags": ["bad "]}]),
    );
    assert_eq!(bulk.status, 422);
    let items = bulk.json()["_items"].clone();
    assert_eq!(items[0], json!({"_status": "OK"}));
    assert_eq!(
        items[1]["_issues"],
        json!({"tags": {"0": "must not start or end with whitespace"}})
    );
    // Nothing of the refused writes was stored.
    let works: Vec<Value> = server.items(&format!("{API}/works"));
    assert_eq!(works.len(), 1);
}

/// The log the tests read: every event of this test binary, as `serve` writes them.
fn captured_log() -> &'static std::sync::Mutex<Vec<u8>> {
    use std::sync::{Mutex, OnceLock};
    static LOG: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
            .with_ansi(false)
            .with_writer(move || Writer(log))
            .init();
        log
    })
}

struct Writer(&'static std::sync::Mutex<Vec<u8>>);

impl std::io::Write for Writer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The captured lines that contain `needle`.
fn log_lines(needle: &str) -> Vec<String> {
    let log = captured_log().lock().expect("log");
    String::from_utf8_lossy(&log)
        .lines()
        .filter(|line| line.contains(needle))
        .map(str::to_string)
        .collect()
}

/// At `info`, each request is one event: the client's address, the method, the full
/// URL with its query, the status and the duration.
#[test]
fn every_request_is_logged_with_client_method_url_status_and_duration() {
    captured_log();
    let server = TestServer::start();
    // A query only this test sends, non-ASCII and percent-encoded as clients send it.
    let url = format!(
        "{API}/people?where={}&max_results=7",
        support::enc(r#"{"lastname": "Ærøskøbing-log-test"}"#)
    );
    let answer = server.get(&url);
    assert_eq!(answer.status, 200);
    let missing = server.get(&format!(
        "{API}/people/5f1b0c0e0e0e0e0e0e0e0e0e?log-test-404"
    ));
    assert_eq!(missing.status, 404);

    let lines = log_lines("Ærøskøbing");
    assert!(
        lines.is_empty(),
        "the URL is logged as sent, encoded: {lines:?}"
    );
    let encoded = support::enc("Ærøskøbing-log-test");
    let lines = log_lines(&encoded);
    assert_eq!(lines.len(), 1, "one event per request: {lines:?}");
    let line = &lines[0];
    assert!(line.contains(" INFO "), "{line}");
    assert!(line.contains("client=127.0.0.1:"), "{line}");
    assert!(line.contains("method=GET"), "{line}");
    assert!(line.contains(&format!("url=\"{url}\"")), "{line}");
    assert!(line.contains("status=200"), "{line}");
    assert!(line.contains("micros="), "{line}");
    let lines = log_lines("log-test-404");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("status=404"), "{}", lines[0]);
}

/// A database error answers 500 in Eve's envelope, without its detail, and is logged
/// with the request it belongs to.
#[test]
fn a_database_error_is_logged_with_its_request() {
    captured_log();
    let db = std::env::temp_dir().join(format!("apigen-extending-{}.db", std::process::id()));
    let path = db.clone();
    let server = TestServer::start_with(move |config| config.db = path);
    assert_eq!(server.get(&format!("{API}/invoices")).status, 200);
    // The table goes away under the server, as a disk or a hand edit could do it.
    let conn = apigen_runtime::rusqlite::Connection::open(&db).expect("open the database");
    conn.execute_batch("DROP TABLE invoices")
        .expect("drop the table");
    drop(conn);

    let answer = server.get(&format!("{API}/invoices?log-test=db-error"));
    assert_eq!(answer.status, 500, "{}", answer.text());
    assert_eq!(
        answer.json(),
        json!({"_status": "ERR", "_error": {"code": 500, "message": "The server encountered an internal error and was unable to complete your request."}})
    );
    let errors = log_lines("database error");
    let errors: Vec<&String> = errors
        .iter()
        .filter(|l| l.contains("log-test=db-error"))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let line = errors[0];
    assert!(line.contains(" ERROR "), "{line}");
    assert!(line.contains("method=GET"), "{line}");
    assert!(
        line.contains(&format!("url=\"{API}/invoices?log-test=db-error\"")),
        "{line}"
    );
    assert!(line.contains("client=127.0.0.1:"), "{line}");
    assert!(
        line.contains("no such table"),
        "the detail is logged: {line}"
    );
    drop(server);
    let _ = std::fs::remove_file(&db);
}
