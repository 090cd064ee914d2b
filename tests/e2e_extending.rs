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

/// `works` names `on_fetched_resource` and `on_fetched_item`, typed with
/// `WorksDocument` (generated-example/people/src/hooks.rs): a page cuts descriptions
/// to 140 characters, an item without one gets a placeholder. What is served
/// changes; what is stored, and its ETag, do not.
#[test]
fn fetch_hooks_change_what_is_served() {
    let server = TestServer::start();
    let long: String = "Ωμέγα – ünïcödé 日本語 ".repeat(12); // 240 characters
    assert_eq!(long.chars().count(), 240);
    let owner = server.create("people", json!({"lastname": "Kafka"}));
    let owner_id = owner["_id"].as_str().expect("an id");
    let described = server.create(
        "works",
        json!({"title": "Das Schloss", "description": long, "owner": owner_id}),
    );
    let bare = server.create("works", json!({"title": "Der Process"}));
    let described_id = described["_id"].as_str().expect("an id");
    let bare_id = bare["_id"].as_str().expect("an id");

    let page = server.items(&format!("{API}/works?sort=title"));
    let cut: String = long.chars().take(140).chain(['…']).collect();
    assert_eq!(page[0]["description"], cut.as_str(), "a page cuts it");
    assert_eq!(
        page[1].get("description"),
        None,
        "on_fetched_resource adds nothing"
    );
    // Embedding serves the hooked documents too.
    let embedded = server.items(&format!(
        "{API}/works?sort=title&embedded={}",
        support::enc(r#"{"owner": 1}"#)
    ));
    assert_eq!(embedded[0]["description"], cut.as_str());
    assert_eq!(embedded[0]["owner"]["lastname"], "Kafka");
    // A projection still applies to what the hook served.
    let projected = server.items(&format!(
        "{API}/works?sort=title&projection={}",
        support::enc(r#"{"description": 1}"#)
    ));
    assert_eq!(projected[0]["description"], cut.as_str());
    assert_eq!(projected[0].get("title"), None);

    let item = server.get(&format!("{API}/works/{described_id}"));
    assert_eq!(
        item.json()["description"],
        long.as_str(),
        "an item serves it whole"
    );
    assert_eq!(item.etag(), described["_etag"].as_str().expect("a tag"));
    let placeholder = server.get(&format!("{API}/works/{bare_id}"));
    assert_eq!(placeholder.json()["description"], "No description yet.");
    assert_eq!(placeholder.etag(), bare["_etag"].as_str().expect("a tag"));
    // The placeholder was served, not stored: a PATCH of the title leaves none.
    let patched = server.patch(
        &format!("{API}/works/{bare_id}"),
        Some(&placeholder.etag()),
        &json!({"title": "Der Proceß"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    let page = server.items(&format!("{API}/works?sort=title"));
    assert_eq!(page[1]["title"], "Der Proceß");
    assert_eq!(page[1].get("description"), None);
    // A client that has the item gets a 304, with no hook in between.
    let again = server.get_with(
        &format!("{API}/works/{described_id}"),
        &[("If-None-Match", &format!("\"{}\"", item.etag()))],
    );
    assert_eq!(again.status, 304);
}

/// `works` names `on_pre_DELETE`: without `X-Confirm: delete` the hook refuses the
/// request with its own error, in Eve's envelope, before anything is deleted.
#[test]
fn a_pre_request_hook_can_refuse_a_request() {
    let server = TestServer::start();
    let work = server.create("works", json!({"title": "Amerika"}));
    let id = work["_id"].as_str().expect("an id");
    let etag = work["_etag"].as_str().expect("a tag");
    let url = format!("{API}/works/{id}");
    let refused = server.delete(&url, Some(etag));
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.json(),
        json!({"_status": "ERR", "_error": {"code": 403, "message": "Send `X-Confirm: delete` to delete a work"}})
    );
    assert_eq!(server.get(&url).status, 200, "nothing was deleted");
    let deleted = server.request(
        "DELETE",
        &url,
        &[("If-Match", etag), ("X-Confirm", "delete")],
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(server.get(&url).status, 404);
    // Other methods of `works`, and other resources, have no such hook.
    let person = server.create("people", json!({"lastname": "Brod"}));
    let person_url = format!("{API}/people/{}", person["_id"].as_str().expect("an id"));
    let etag = person["_etag"].as_str().expect("a tag");
    assert_eq!(server.delete(&person_url, Some(etag)).status, 204);
}

/// `works` names `on_post_POST`: the hook is given the status and the payload
/// (here it logs the new document's id, as Eve's example logs every GET).
#[test]
fn a_post_request_hook_sees_the_status_and_the_payload() {
    captured_log();
    let server = TestServer::start();
    let created = server.create("works", json!({"title": "Der Bau — 1923"}));
    let id = created["_id"].as_str().expect("an id");
    let lines = log_lines(&format!("id=\"{id}\""));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("works posted"), "{}", lines[0]);
    assert!(lines[0].contains("status=201"), "{}", lines[0]);
    assert!(
        lines[0].contains(&format!("path=\"{API}/works\"")),
        "{}",
        lines[0]
    );
    // A refused POST is answered as the routes answered it; the hook sees the 422.
    let refused = server.post(&format!("{API}/works"), &json!({"title": 1}));
    assert_eq!(refused.status, 422);
    assert_eq!(refused.issues(), json!({"title": "must be of string type"}));
}

const CRM: &str = "/api/v1";

/// crm's `[api] hooks` run for every resource, given its name: `on_pre_GET` refuses
/// `$regex` filters (also on HEAD, as Eve runs GET's hooks for it), and
/// `on_post_POST` logs every POST with its resource.
#[test]
fn api_wide_hooks_run_for_every_resource_with_its_name() {
    captured_log();
    let server = support::start_generated!(crm_api, CRM);
    let regex = support::enc(r#"{"name": {"$regex": "^Dö"}}"#);
    let refused = server.get(&format!("{CRM}/contacts?where={regex}"));
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.json()["_error"]["message"],
        "contacts: `$regex` filters are not served by this API"
    );
    let refused = server.get(&format!("{CRM}/tickets?where={regex}"));
    assert_eq!(
        refused.json()["_error"]["message"],
        "tickets: `$regex` filters are not served by this API"
    );
    assert_eq!(
        server.head(&format!("{CRM}/contacts?where={regex}")).status,
        400
    );
    let plain = server.get(&format!(
        "{CRM}/contacts?where={}",
        support::enc(r#"{"name": "Dö"}"#)
    ));
    assert_eq!(plain.status, 200);

    let contact = server.create("contacts", json!({"name": "Döblin"}));
    let contact_id = contact["_id"].as_str().expect("an id");
    let ticket = server.create("tickets", json!({"subject": "Berlin Alexanderplatz"}));
    let ticket_id = ticket["_id"].as_str().expect("an id");
    for (resource, id) in [("contacts", contact_id), ("tickets", ticket_id)] {
        let lines = log_lines(&format!("id=\"{id}\""));
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("crm post"), "{}", lines[0]);
        assert!(
            lines[0].contains(&format!("resource=\"{resource}\"")),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("status=201"), "{}", lines[0]);
    }
}

/// Only a resource whose spec names `on_fetched_resource` builds documents for a page:
/// the others keep writing rows straight to JSON (a constant, decided at generation).
#[test]
fn only_hooked_resources_leave_the_page_fast_path() {
    use people_api::api::resource::Resource;
    use people_api::api::resources::works::WorksDocument;
    use people_api::api::resources::{invoices::InvoicesDocument, people::PeopleDocument};
    const { assert!(!<PeopleDocument as Resource>::FETCHED_RESOURCE) };
    const { assert!(!<InvoicesDocument as Resource>::FETCHED_RESOURCE) };
    const { assert!(<WorksDocument as Resource>::FETCHED_RESOURCE) };
}

/// Eve's API-wide fetch hooks (`[api] hooks = ["on_fetched_resource",
/// "on_fetched_item"]`), on the library crate, whose `src/hooks.rs` gives every
/// document a GET serves `_resource` (the resource's name) and a book the number of
/// its photos. They see documents as served (embedded references, files resolved),
/// as JSON, on item and collection GETs of every resource (the oplog's too); what
/// they add follows the document's own members, before `_links`. Not on a 304, a
/// write's answer or an aggregation's results.
#[test]
fn api_wide_fetch_hooks_see_every_document_as_served() {
    const LIBRARY: &str = "/api/v1";
    let server = support::start_generated!(library_api, LIBRARY);
    let posted = server.post(
        &format!("{LIBRARY}/authors"),
        &json!({"name": "Gabriela Mistral — Lucila Godoy", "born": "Sun, 07 Apr 1889 00:00:00 GMT"}),
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    assert!(
        posted.json().get("_resource").is_none(),
        "a write answer is not fetched"
    );
    let author = posted.json()["_id"].as_str().unwrap().to_string();
    let book = server.create(
        "books",
        json!({"title": "Desolación", "author": author, "pages": 9007199254740993_i64, "photos": []}),
    );
    let book = book["_id"].as_str().unwrap().to_string();
    server.create("books", json!({"title": "Ternura"}));

    let item = server.get(&format!("{LIBRARY}/authors/{author}"));
    assert_eq!(item.status, 200);
    assert_eq!(item.json()["_resource"], "authors");
    assert_eq!(item.json()["born"], "Sun, 07 Apr 1889 00:00:00 GMT");
    assert!(item.json().get("photo_count").is_none());
    // Added after the document's members, before `_links`.
    let text = item.text();
    let (etag_at, added_at, links_at) = (
        text.find("\"_etag\"").unwrap(),
        text.find("\"_resource\"").unwrap(),
        text.find("\"_links\"").unwrap(),
    );
    assert!(etag_at < added_at && added_at < links_at, "{text}");

    // A book: `photo_count` from its (empty) list; big numbers kept exactly; the
    // embedded author is seen as served, inside the book.
    let served = server.get(&format!(
        "{LIBRARY}/books/{book}?embedded={}",
        support::enc(r#"{"author": 1}"#)
    ));
    assert_eq!(served.status, 200, "{}", served.text());
    let served = served.json();
    assert_eq!(served["_resource"], "books");
    assert_eq!(served["photo_count"], 0);
    assert_eq!(served["pages"], json!(9007199254740993_i64));
    assert_eq!(served["author"]["name"], "Gabriela Mistral — Lucila Godoy");
    assert!(served["author"].get("_resource").is_none());

    // Every document of a collection page; the oplog's entries too.
    let books = server.items(&format!("{LIBRARY}/books"));
    assert_eq!(books.len(), 2);
    assert!(books.iter().all(|b| b["_resource"] == "books"));
    assert_eq!(books[0]["photo_count"], 0);
    assert!(books[1].get("photo_count").is_none(), "no photos, no count");
    let log = server.items(&format!("{LIBRARY}/oplog"));
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|e| e["_resource"] == "oplog"));

    // A 304 has no body to change; an aggregation's results are not documents.
    let tag = server.get(&format!("{LIBRARY}/authors/{author}")).etag();
    let cached = server.get_with(
        &format!("{LIBRARY}/authors/{author}"),
        &[("If-None-Match", &tag)],
    );
    assert_eq!(cached.status, 304);
    let editions = server.items(&format!("{LIBRARY}/editions"));
    assert!(!editions.is_empty());
    assert!(editions.iter().all(|e| e.get("_resource").is_none()));
}
