//! Eve's data lifecycle over real HTTP, on the crate generated from
//! `specs/library.toml`: soft delete (`books`), document versioning (`books`, and
//! `authors` without soft delete), and the two together.

mod support;

use serde_json::{Value, json};
use support::{TestServer, enc};

const API: &str = "/api/v1";

fn start() -> TestServer {
    support::start_generated!(library_api, API)
}

/// Above 2^53: a JSON number a float would round.
const BIG: i64 = 9_007_199_254_740_993;

fn book(server: &TestServer, title: &str, isbn: &str) -> (String, String) {
    let created = server.create(
        "books",
        json!({"title": title, "isbn": isbn, "pages": BIG, "published": "Thu, 24 Aug 1899 00:00:00 GMT"}),
    );
    (
        created["_id"].as_str().expect("an id").to_string(),
        created["_etag"].as_str().expect("a tag").to_string(),
    )
}

fn books() -> String {
    format!("{API}/books")
}

fn item(id: &str) -> String {
    format!("{API}/books/{id}")
}

// ---- soft delete ----

#[test]
fn a_new_document_is_live_and_clients_may_not_send_the_kept_fields() {
    let server = start();
    let created = server.post(&books(), &json!({"title": "Ficciones — cuentos"}));
    assert_eq!(created.status, 201, "{}", created.text());
    let answer = created.json();
    assert_eq!(answer["_deleted"], false);
    assert_eq!(answer["_version"], 1);
    assert_eq!(answer["_latest_version"], 1);
    let id = answer["_id"].as_str().unwrap();
    let stored = server.get(&item(id)).json();
    assert_eq!(stored["_deleted"], false);
    assert_eq!(
        (
            stored["_version"].clone(),
            stored["_latest_version"].clone()
        ),
        (json!(1), json!(1))
    );

    for kept in ["_deleted", "_version", "_latest_version", "_id_document"] {
        let mut document = json!({"title": "El Aleph"});
        document[kept] = json!(true);
        let refused = server.post(&books(), &document);
        assert_eq!(refused.issues(), json!({kept: "unknown field"}), "{kept}");
    }
    let tag = answer["_etag"].as_str().unwrap();
    let patched = server.patch(&item(id), Some(tag), &json!({"_deleted": true}));
    assert_eq!(patched.issues(), json!({"_deleted": "unknown field"}));
    let put = server.put(&item(id), Some(tag), &json!({"title": "x", "_version": 7}));
    assert_eq!(put.issues(), json!({"_version": "unknown field"}));
    assert_eq!(
        server.get(&item(id)).json()["_version"],
        1,
        "nothing written"
    );
}

#[test]
fn delete_marks_the_document_and_its_get_is_a_404_that_carries_it() {
    let server = start();
    let (id, tag) = book(&server, "Ficciones — cuentos 🜁", "978-0-8021-3030-0");
    let deleted = server.delete(&item(&id), Some(&tag));
    assert_eq!(deleted.status, 204, "{}", deleted.text());

    let got = server.get(&item(&id));
    assert_eq!(got.status, 404);
    let body = got.json();
    assert_eq!(body["_status"], json!(["ERR"]), "Eve's tuple, as a list");
    assert_eq!(
        body["_error"],
        json!({"code": 404, "message": "The requested URL was not found on this server."})
    );
    assert_eq!(body["_id"], id.as_str());
    assert_eq!(body["title"], "Ficciones — cuentos 🜁");
    assert_eq!(body["pages"], BIG, "the integer survives exactly");
    assert_eq!(body["published"], "Thu, 24 Aug 1899 00:00:00 GMT");
    assert_eq!(body["_deleted"], true);
    assert_eq!(body["_version"], 2, "a soft delete is a new version");
    let new_tag = body["_etag"].as_str().unwrap();
    assert_ne!(new_tag, tag, "a new _etag");
    assert_eq!(got.etag(), new_tag);
    assert_eq!(body["_links"]["self"]["href"], format!("books/{id}"));

    // Deleting it again: nothing to do (Eve's `all_done`), with the tag it has now.
    assert_eq!(server.delete(&item(&id), Some(new_tag)).status, 204);
    assert_eq!(
        server.get(&item(&id)).json()["_version"],
        2,
        "not marked twice"
    );
    // The old tag no longer matches; no tag at all is still required.
    server.delete(&item(&id), Some(&tag)).error(412);
    server.delete(&item(&id), None).error(428);
}

#[test]
fn collection_gets_leave_deleted_documents_out_unless_asked() {
    let server = start();
    let (kept, _) = book(&server, "Rayuela", "978-84-376-0494-7");
    let (gone, tag) = book(&server, "Pedro Páramo", "978-0-8021-3390-5");
    assert_eq!(server.delete(&item(&gone), Some(&tag)).status, 204);

    let page = server.get(&books());
    assert_eq!(page.header("X-Total-Count"), Some("1"));
    assert_eq!(page.json()["_meta"]["total"], 1);
    assert_eq!(server.column(&books(), "_id"), [json!(kept)]);

    let all = server.column(&format!("{}?show_deleted", books()), "_id");
    assert_eq!(all, [json!(kept), json!(gone)]);
    let flags = server.column(&format!("{}?show_deleted=1", books()), "_deleted");
    assert_eq!(flags, [json!(false), json!(true)]);

    let deleted = format!("{}?where={}", books(), enc(r#"{"_deleted": true}"#));
    assert_eq!(server.column(&deleted, "_id"), [json!(gone)]);
    let live = format!("{}?where={}", books(), enc(r#"{"_deleted": false}"#));
    assert_eq!(server.column(&live, "_id"), [json!(kept)]);
    // A filter on another field still leaves deleted documents out.
    let titled = format!("{}?where={}", books(), enc(r#"{"title": "Pedro Páramo"}"#));
    assert!(server.items(&titled).is_empty());
}

#[test]
fn patch_or_put_with_the_etag_of_the_404_restores_the_document() {
    let server = start();
    let (id, tag) = book(&server, "Cien años de soledad", "978-0-06-088328-7");
    assert_eq!(server.delete(&item(&id), Some(&tag)).status, 204);
    let deleted_tag = server.get(&item(&id)).json()["_etag"]
        .as_str()
        .unwrap()
        .to_string();

    server.patch(&item(&id), Some(&tag), &json!({})).error(412);
    let restored = server.patch(&item(&id), Some(&deleted_tag), &json!({}));
    assert_eq!(restored.status, 200, "{}", restored.text());
    assert_eq!(restored.json()["_deleted"], false);
    assert_eq!(restored.json()["_version"], 3);
    let got = server.get(&item(&id));
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["_deleted"], false);
    assert_eq!(got.json()["title"], "Cien años de soledad");
    assert_eq!(server.column(&books(), "_id"), [json!(id)]);

    // PUT restores too.
    let tag = got.json()["_etag"].as_str().unwrap().to_string();
    assert_eq!(server.delete(&item(&id), Some(&tag)).status, 204);
    let deleted_tag = server.get(&item(&id)).json()["_etag"]
        .as_str()
        .unwrap()
        .to_string();
    let put = server.put(
        &item(&id),
        Some(&deleted_tag),
        &json!({"title": "Cien años"}),
    );
    assert_eq!(put.status, 200, "{}", put.text());
    let got = server.get(&item(&id)).json();
    assert_eq!(
        (got["_deleted"].clone(), got["title"].clone()),
        (json!(false), json!("Cien años"))
    );
}

#[test]
fn unique_values_are_unique_among_live_documents_only() {
    let server = start();
    let isbn = "978-3-16-148410-0";
    let (first, tag) = book(&server, "Der Process", isbn);
    server
        .post(&books(), &json!({"title": "Das Schloss", "isbn": isbn}))
        .issues();
    assert_eq!(server.delete(&item(&first), Some(&tag)).status, 204);
    // The deleted document's value is free again.
    let (second, _) = book(&server, "Das Schloss", isbn);
    assert_ne!(first, second);
    // Restoring the first would make two live documents share it: refused.
    let deleted_tag = server.get(&item(&first)).json()["_etag"]
        .as_str()
        .unwrap()
        .to_string();
    let restore = server.patch(&item(&first), Some(&deleted_tag), &json!({}));
    assert_eq!(
        restore.issues(),
        json!({"isbn": format!("value '{isbn}' is not unique")})
    );
    // Restored with another value, it is fine.
    let restore = server.patch(
        &item(&first),
        Some(&deleted_tag),
        &json!({"isbn": "978-3-16-148410-1"}),
    );
    assert_eq!(restore.status, 200, "{}", restore.text());
}

#[test]
fn delete_on_the_collection_soft_deletes_every_document() {
    let server = start();
    let (a, _) = book(&server, "Ulysses", "978-0-679-72276-9");
    let (b, _) = book(&server, "Dubliners", "978-0-14-018647-4");
    assert_eq!(server.delete(&books(), None).status, 204);
    assert!(server.items(&books()).is_empty());
    let shown = server.items(&format!("{}?show_deleted", books()));
    assert_eq!(shown.len(), 2);
    for document in &shown {
        assert_eq!(document["_deleted"], true);
        assert_eq!(document["_version"], 2);
    }
    for id in [&a, &b] {
        let got = server.get(&item(id));
        assert_eq!(got.status, 404);
        assert_eq!(got.json()["_deleted"], true);
    }
    // Again: nothing live, nothing changes.
    assert_eq!(server.delete(&books(), None).status, 204);
    assert_eq!(server.get(&item(&a)).json()["_version"], 2);

    // Authors have no soft delete: their DELETE removes them, and a GET is a plain 404.
    let author = server.create("authors", json!({"name": "James Joyce"}));
    let author_url = format!("{API}/authors/{}", author["_id"].as_str().unwrap());
    assert_eq!(author["_version"], 1);
    assert!(author.get("_deleted").is_none());
    assert_eq!(server.delete(&format!("{API}/authors"), None).status, 204);
    server.get(&author_url).error(404);
}

// ---- versioning ----

/// A book written three times: POST, PATCH, PUT. Its id and the three tags.
fn three_versions(server: &TestServer) -> (String, [String; 3]) {
    let (id, v1) = book(server, "Eugénie Grandet", "978-2-07-036-1");
    let v2 = server.patch(&item(&id), Some(&v1), &json!({"title": "Le Père Goriot"}));
    assert_eq!(v2.status, 200, "{}", v2.text());
    assert_eq!(
        (
            v2.json()["_version"].clone(),
            v2.json()["_latest_version"].clone()
        ),
        (json!(2), json!(2))
    );
    let v2 = v2.json()["_etag"].as_str().unwrap().to_string();
    let v3 = server.put(
        &item(&id),
        Some(&v2),
        &json!({"title": "Illusions perdues", "pages": BIG, "published": "Sun, 01 Jan 1837 00:00:00 GMT"}),
    );
    assert_eq!(v3.status, 200, "{}", v3.text());
    assert_eq!(v3.json()["_version"], 3);
    let v3 = v3.json()["_etag"].as_str().unwrap().to_string();
    (id, [v1, v2, v3])
}

#[test]
fn each_write_is_a_version_and_any_version_can_be_read() {
    let server = start();
    let (id, tags) = three_versions(&server);
    let current = server.get(&item(&id)).json();
    assert_eq!(
        (
            current["_version"].clone(),
            current["_latest_version"].clone()
        ),
        (json!(3), json!(3))
    );
    let listed = &server.items(&books())[0];
    assert_eq!(
        (
            listed["_version"].clone(),
            listed["_latest_version"].clone()
        ),
        (json!(3), json!(3))
    );

    let first = server.get(&format!("{}?version=1", item(&id)));
    assert_eq!(first.status, 200, "{}", first.text());
    let body = first.json();
    assert_eq!(body["title"], "Eugénie Grandet");
    assert_eq!(body["isbn"], "978-2-07-036-1");
    assert_eq!(body["pages"], BIG);
    assert_eq!(body["published"], "Thu, 24 Aug 1899 00:00:00 GMT");
    assert_eq!(
        (body["_version"].clone(), body["_latest_version"].clone()),
        (json!(1), json!(3))
    );
    assert_eq!(body["_etag"], tags[0].as_str());
    assert_eq!(
        first.etag(),
        format!("{}3", tags[0]),
        "Eve adds the latest version"
    );
    assert_eq!(
        body["_links"],
        json!({
            "self": {"title": "book", "href": format!("books/{id}?version=1")},
            "parent": {"title": "book", "href": format!("books/{id}")},
            "collection": {"title": "books", "href": format!("books/{id}?version=all")},
        })
    );
    let second = server.get(&format!("{}?version=2", item(&id))).json();
    assert_eq!(second["title"], "Le Père Goriot");
    assert!(second.get("isbn").is_some(), "PATCH kept it");
    let cached = server.get_with(
        &format!("{}?version=1", item(&id)),
        &[("If-None-Match", &format!("\"{}3\"", tags[0]))],
    );
    assert_eq!(cached.status, 304);

    server.get(&format!("{}?version=4", item(&id))).error(404);
    for bad in ["0", "-1", "abc", "1.5", ""] {
        let message = server
            .get(&format!("{}?version={bad}", item(&id)))
            .error(400);
        assert_eq!(
            message,
            "Document version number should be an int greater than 0"
        );
    }
    // The version parameter means nothing to a collection GET: current versions.
    assert_eq!(
        server.column(&format!("{}?version=1", books()), "_version"),
        [json!(3)]
    );
}

#[test]
fn version_all_serves_every_version_oldest_first() {
    let server = start();
    let (id, tags) = three_versions(&server);
    let all = server.get(&format!("{}?version=all", item(&id)));
    assert_eq!(all.status, 200, "{}", all.text());
    let body = all.json();
    let items = body["_items"].as_array().unwrap();
    let versions: Vec<Value> = items.iter().map(|v| v["_version"].clone()).collect();
    assert_eq!(versions, [json!(1), json!(2), json!(3)]);
    let titles: Vec<Value> = items.iter().map(|v| v["title"].clone()).collect();
    assert_eq!(
        titles,
        [
            json!("Eugénie Grandet"),
            json!("Le Père Goriot"),
            json!("Illusions perdues")
        ]
    );
    for (i, version) in items.iter().enumerate() {
        assert_eq!(version["_latest_version"], 3);
        assert_eq!(version["_etag"], tags[i].as_str());
        assert_eq!(version["_id"], id.as_str());
        assert_eq!(
            version["_links"]["self"]["href"],
            format!("books/{id}?version={}", i + 1)
        );
    }
    assert!(items[2].get("isbn").is_none(), "PUT replaced the document");
    assert_eq!(
        body["_meta"],
        json!({"page": 1, "max_results": 25, "total": 3})
    );
    assert_eq!(
        body["_links"]["self"]["href"],
        format!("books/{id}?version=all")
    );
    assert_eq!(body["_links"]["collection"]["href"], format!("books/{id}"));
    assert_eq!(body["_links"]["parent"]["href"], "books");

    let page = server
        .get(&format!("{}?version=all&max_results=2&page=2", item(&id)))
        .json();
    assert_eq!(page["_items"].as_array().unwrap().len(), 1);
    assert_eq!(page["_items"][0]["_version"], 3);
    assert_eq!(
        page["_meta"],
        json!({"page": 2, "max_results": 2, "total": 3})
    );
    assert_eq!(
        page["_links"]["prev"]["href"],
        format!("books/{id}?max_results=2&version=all")
    );
}

#[test]
fn version_diffs_serve_the_first_whole_then_what_changed() {
    let server = start();
    let (id, tags) = three_versions(&server);
    let body = server.get(&format!("{}?version=diffs", item(&id))).json();
    let items = body["_items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["title"], "Eugénie Grandet");
    assert_eq!(items[0]["isbn"], "978-2-07-036-1");
    assert_eq!(items[0]["_created"], items[0]["_created"]);
    let second = items[1].as_object().unwrap();
    assert_eq!(second["title"], "Le Père Goriot");
    assert_eq!(second["_version"], 2);
    assert_eq!(second["_etag"], tags[1].as_str());
    for unchanged in [
        "_id",
        "_created",
        "isbn",
        "pages",
        "_latest_version",
        "_deleted",
    ] {
        assert!(!second.contains_key(unchanged), "{unchanged} in {second:?}");
    }
    let third = items[2].as_object().unwrap();
    assert_eq!(third["published"], "Sun, 01 Jan 1837 00:00:00 GMT");
    assert!(
        !third.contains_key("pages"),
        "the same big number: no change"
    );

    // A later page diffs against the version before it.
    let page = server
        .get(&format!("{}?version=diffs&max_results=1&page=2", item(&id)))
        .json();
    let only = page["_items"][0].as_object().unwrap();
    assert_eq!(only["_version"], 2);
    assert!(!only.contains_key("isbn"));
}

#[test]
fn if_match_must_be_the_current_etag() {
    let server = start();
    let (id, tags) = three_versions(&server);
    for old in &tags[..2] {
        server
            .patch(&item(&id), Some(old), &json!({"pages": 1}))
            .error(412);
        server.delete(&item(&id), Some(old)).error(412);
    }
    // The ETag header of an old version is not a document's tag either.
    let old_header = server.get(&format!("{}?version=3", item(&id))).etag();
    server
        .patch(&item(&id), Some(&old_header), &json!({"pages": 1}))
        .error(412);
    assert_eq!(
        server
            .patch(&item(&id), Some(&tags[2]), &json!({"pages": 1}))
            .status,
        200
    );
}

#[test]
fn a_hard_delete_removes_the_history_too() {
    let server = start();
    let id = "5f1e2d3c4b5a697887766554";
    let created = server.create("authors", json!({"_id": id, "name": "Fernando Pessoa"}));
    let url = format!("{API}/authors/{id}");
    let tag = created["_etag"].as_str().unwrap();
    let renamed = server.patch(&url, Some(tag), &json!({"name": "Álvaro de Campos"}));
    assert_eq!(renamed.json()["_version"], 2);
    let tag = renamed.json()["_etag"].as_str().unwrap().to_string();
    assert_eq!(server.delete(&url, Some(&tag)).status, 204);
    server.get(&format!("{url}?version=1")).error(404);

    // The same id again starts a new history.
    server.create("authors", json!({"_id": id, "name": "Ricardo Reis"}));
    let all = server.get(&format!("{url}?version=all")).json();
    let names: Vec<Value> = all["_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].clone())
        .collect();
    assert_eq!(names, [json!("Ricardo Reis")]);

    // DELETE of the collection too.
    assert_eq!(server.delete(&format!("{API}/authors"), None).status, 204);
    server.create("authors", json!({"_id": id, "name": "Alberto Caeiro"}));
    assert_eq!(
        server.get(&format!("{url}?version=all")).json()["_meta"]["total"],
        1
    );
}

// ---- both together ----

#[test]
fn a_soft_deleted_versioned_document_keeps_its_history_and_a_restore_is_a_new_version() {
    let server = start();
    let (id, tag) = book(&server, "Il nome della rosa", "978-88-452-0-9");
    assert_eq!(server.delete(&item(&id), Some(&tag)).status, 204);

    let all = server.get(&format!("{}?version=all", item(&id)));
    assert_eq!(
        all.status, 200,
        "the history of a deleted document is served"
    );
    let items = all.json()["_items"].as_array().unwrap().clone();
    let flags: Vec<(Value, Value)> = items
        .iter()
        .map(|v| (v["_version"].clone(), v["_deleted"].clone()))
        .collect();
    assert_eq!(flags, [(json!(1), json!(false)), (json!(2), json!(true))]);
    // The live version is served; the deleted one is a 404 carrying it.
    assert_eq!(server.get(&format!("{}?version=1", item(&id))).status, 200);
    let deleted = server.get(&format!("{}?version=2", item(&id)));
    assert_eq!(deleted.status, 404);
    assert_eq!(deleted.json()["_deleted"], true);
    assert_eq!(deleted.json()["_latest_version"], 2);

    let deleted_tag = items[1]["_etag"].as_str().unwrap();
    let restored = server.patch(&item(&id), Some(deleted_tag), &json!({}));
    assert_eq!(restored.status, 200, "{}", restored.text());
    assert_eq!(restored.json()["_version"], 3);
    let all = server.get(&format!("{}?version=diffs", item(&id))).json();
    let last = all["_items"][2].as_object().unwrap();
    assert_eq!(last["_deleted"], false);
    assert_eq!(last["_version"], 3);
    assert!(!last.contains_key("isbn"), "a restore changes no field");
    assert_eq!(last["title"], "Il nome della rosa", "version_diff_include");
}

#[test]
fn unversioned_fields_show_their_current_value_in_every_version() {
    let server = start();
    let created = server.create("books", json!({"title": "Os Lusíadas", "tags": ["épico"]}));
    let id = created["_id"].as_str().unwrap();
    let tag = created["_etag"].as_str().unwrap();
    let patched = server.patch(
        &item(id),
        Some(tag),
        &json!({"title": "Os Lusíadas (1572)", "tags": ["épico", "renascimento"]}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    let first = server.get(&format!("{}?version=1", item(id))).json();
    assert_eq!(first["title"], "Os Lusíadas", "versioned: as it was");
    assert_eq!(
        first["tags"],
        json!(["épico", "renascimento"]),
        "`versioned = false`: as it is"
    );
    let all = server.get(&format!("{}?version=diffs", item(id))).json();
    let second = all["_items"][1].as_object().unwrap();
    assert!(
        !second.contains_key("tags"),
        "the same in every version: never a change"
    );
    assert_eq!(second["title"], "Os Lusíadas (1572)");
}

#[test]
fn head_of_a_version_answers_its_headers() {
    let server = start();
    let (id, tag) = book(&server, "Il barone rampante", "978-88-04-0-1");
    let head = server.head(&format!("{}?version=1", item(&id)));
    assert_eq!(head.status, 200);
    assert_eq!(head.etag(), format!("{tag}1"));
    assert!(head.text().is_empty());
}

#[test]
fn projections_keep_the_fields_eve_keeps() {
    let server = start();
    let (id, tag) = book(&server, "La Regenta", "978-84-206-0-5");
    let patched = server.patch(&item(&id), Some(&tag), &json!({"pages": 700}));
    assert_eq!(patched.status, 200, "{}", patched.text());

    let titles = format!("{}?projection={}", books(), enc(r#"{"title": 1}"#));
    let listed = &server.items(&titles)[0];
    assert_eq!(listed["title"], "La Regenta");
    assert!(listed.get("isbn").is_none());
    let kept = (
        listed["_deleted"].clone(),
        listed["_version"].clone(),
        listed["_latest_version"].clone(),
    );
    assert_eq!(kept, (json!(false), json!(2), json!(2)));

    let old = format!(
        "{}?version=1&projection={}",
        item(&id),
        enc(r#"{"isbn": 0}"#)
    );
    let old = server.get(&old);
    assert_eq!(old.status, 200, "{}", old.text());
    let old = old.json();
    assert!(old.get("isbn").is_none());
    assert_eq!(old["pages"], BIG, "version 1's value");
    assert_eq!(
        (old["_version"].clone(), old["_latest_version"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(
        old["_links"]["self"]["href"],
        format!("books/{id}?version=1")
    );
    let bad = format!(
        "{}?version=1&projection={}",
        item(&id),
        enc(r#"{"colour": 1}"#)
    );
    server.get(&bad).error(400);

    let tag = patched.json()["_etag"].as_str().unwrap().to_string();
    assert_eq!(server.delete(&item(&id), Some(&tag)).status, 204);
    let gone = server.get(&format!(
        "{}?projection={}",
        item(&id),
        enc(r#"{"title": 1}"#)
    ));
    assert_eq!(gone.status, 404);
    assert_eq!(gone.json()["_deleted"], true);
    assert!(gone.json().get("isbn").is_none());
}

/// A document stored before `versioning` was turned on: the migration gave it
/// `_version` 1, and its versions table has nothing of it. Its first write records
/// that version before the new one (Eve's `late_versioning_catch`).
#[test]
fn a_document_stored_before_versioning_gets_its_history_at_its_next_write() {
    let server = start();
    let (id, tag) = book(&server, "Pan Tadeusz", "978-83-7327-0-1");
    let db = apigen_runtime::rusqlite::Connection::open(server.dir().join("api.db"))
        .expect("the database");
    db.execute("DELETE FROM books_versions", [])
        .expect("forget the history");

    let all = server.get(&format!("{}?version=all", item(&id))).json();
    let only: Vec<Value> = all["_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["_version"].clone())
        .collect();
    assert_eq!(only, [json!(1)], "the document is its only version");
    server.get(&format!("{}?version=1", item(&id))).error(404);

    let patched = server.patch(
        &item(&id),
        Some(&tag),
        &json!({"title": "Pan Tadeusz, czyli ostatni zajazd"}),
    );
    assert_eq!(patched.json()["_version"], 2);
    let all = server.get(&format!("{}?version=all", item(&id))).json();
    let titles: Vec<(Value, Value)> = all["_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["_version"].clone(), v["title"].clone()))
        .collect();
    assert_eq!(
        titles,
        [
            (json!(1), json!("Pan Tadeusz")),
            (json!(2), json!("Pan Tadeusz, czyli ostatni zajazd"))
        ]
    );
}

/// Eve's `upsert_on_put` and DELETE of a missing document meet soft delete and versions.
#[test]
fn a_put_that_creates_starts_a_history_and_a_delete_of_nothing_is_204() {
    let server = start();
    let id = "64b7f0c2a1d3e4f5a6b7c8d9";
    let created = server.put(&item(id), None, &json!({"title": "Memorias póstumas"}));
    assert_eq!(created.status, 201, "{}", created.text());
    let answer = created.json();
    assert_eq!(
        (answer["_version"].clone(), answer["_deleted"].clone()),
        (json!(1), json!(false))
    );
    let all = server.get(&format!("{}?version=all", item(id))).json();
    assert_eq!(all["_meta"]["total"], 1);

    let missing = "64b7f0c2a1d3e4f5a6b7c8da";
    assert_eq!(server.delete(&item(missing), Some("any")).status, 204);
    server.get(&item(missing)).error(404);
}
