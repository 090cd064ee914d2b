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
