//! The crate generated from `specs/collisions.toml` works like any other: resources
//! and fields named after Rust keywords (`type`, `self`, `match`), prelude types
//! (`Result`, `Option`), SQL words (`select`, `key`) and the generated crate's own
//! names (`Field`, `client`, `error`, `value`), served at the root (empty prefix),
//! with a title and description holding quotes, a backslash, braces and line breaks.

mod support;

use serde_json::json;
use support::{TestServer, enc};

fn start() -> TestServer {
    support::start_generated!(collisions_api, "")
}

#[test]
fn keyword_named_resource_and_fields_round_trip() {
    let server = start();
    let created = server.create(
        "type",
        json!({
            "self": "me", "match": 3, "type": "a", "client": {"fn": "x", "value": 2},
            "value": ["v"], "key": "k1", "Field": 1.5, "select": null
        }),
    );
    let id = created["_id"].as_str().expect("an id").to_string();

    let document = server.get(&format!("/type/{id}"));
    assert_eq!(document.status, 200);
    let body = document.json();
    assert_eq!(body["self"], "me");
    assert_eq!(body["match"], 3);
    assert_eq!(body["type"], "a");
    assert_eq!(body["error"], false, "default filled");
    assert_eq!(body["client"], json!({"fn": "x", "value": 2}));
    assert_eq!(body["value"], json!(["v"]));
    assert_eq!(body["Field"], 1.5);
    assert_eq!(body["select"], serde_json::Value::Null);
    assert_eq!(body["_links"]["self"]["href"], format!("type/{id}"));

    // Filters and sorts on keyword-named fields, including inside the JSON columns.
    let path = format!(
        "/type?where={}",
        enc(r#"{"self": "me", "match": {"$gte": 3}}"#)
    );
    assert_eq!(server.items(&path).len(), 1);
    let path = format!(
        "/type?where={}",
        enc(r#"{"value": "v", "client.value": 2}"#)
    );
    assert_eq!(
        server.items(&path).len(),
        1,
        "list containment on a column named value"
    );
    let path = format!("/type?sort={}", enc(r#"[("match", -1), ("self", 1)]"#));
    assert_eq!(server.get(&path).status, 200);

    // Validation speaks the spec's names.
    let rejected = server.post("/type", &json!({"self": 1, "type": "c", "key": "k1"}));
    assert_eq!(rejected.status, 422);
    assert_eq!(
        rejected.issues(),
        json!({
            "self": "must be of string type",
            "type": "unallowed value c",
        })
    );
    let duplicate = server.post("/type", &json!({"self": "you", "key": "k1"}));
    assert_eq!(
        duplicate.issues(),
        json!({"key": "value 'k1' is not unique"})
    );

    // PATCH with a dotted key into a dict whose field is a keyword.
    let etag = document.etag();
    let patched = server.patch(
        &format!("/type/{id}"),
        Some(&etag),
        &json!({"client.fn": "y"}),
    );
    assert_eq!(patched.status, 200);
    let body = server.get(&format!("/type/{id}")).json();
    assert_eq!(body["client"], json!({"fn": "y", "value": 2}));
}

#[test]
fn prelude_named_resource_at_a_custom_url_with_a_relation() {
    let server = start();
    let target = server.create("type", json!({"self": "target"}));
    let target_id = target["_id"].as_str().expect("an id");

    let created = server.create(
        "results/all",
        json!({"state": "ok", "kind": target_id, "Option": -5}),
    );
    let id = created["_id"].as_str().expect("an id");
    let document = server.get(&format!("/results/all/{id}")).json();
    assert_eq!(document["Option"], -5);
    assert_eq!(document["_links"]["collection"]["href"], "results/all");

    let missing = "0123456789abcdef01234567";
    let rejected = server.post("/results/all", &json!({"kind": missing}));
    assert_eq!(rejected.status, 422);
    assert_eq!(
        rejected.issues(),
        json!({"kind": format!("value '{missing}' must exist in resource 'type', field '_id'.")})
    );
    // Field rules are checked before the database is asked about relations.
    let rejected = server.post("/results/all", &json!({"kind": missing, "Option": 6}));
    assert_eq!(rejected.issues(), json!({"Option": "max value is 5"}));
    // `result` lists no PUT: 405 in Eve's envelope.
    let put = server.put(&format!("/results/all/{id}"), Some("x"), &json!({}));
    put.error(405);
}

#[test]
fn a_resource_named_mod_is_read_only_and_the_root_is_home() {
    let server = start();
    let home = server.get("/").json();
    let children: Vec<&str> = home["_links"]["child"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|c| c["href"].as_str())
        .collect();
    assert_eq!(children, ["type", "results/all", "mod"]);
    assert_eq!(server.get("/mod").status, 200);
    server.post("/mod", &json!({"crate": "x"})).error(405);
    assert_eq!(server.get("/openapi.json").json()["openapi"], "3.1.0");
}

#[test]
fn the_title_and_description_are_served_as_written() {
    let server = start();
    let info = &server.get("/openapi.json").json()["info"];
    assert_eq!(
        info["title"],
        "Colliding \"names\" {and} \\ text\nover two lines"
    );
    assert_eq!(
        info["description"],
        "Names that collide with Rust's keywords, its prelude\nand the crate's <own> & \"generated\" names."
    );
}
