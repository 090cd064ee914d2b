//! The oplog, the schema endpoint and the home page of the crate generated from
//! `specs/library.toml` (`oplog = true`, `oplog_endpoint = "oplog"`,
//! `schema_endpoint = "schema"`), over real HTTP, with Eve's answers
//! (`eve/methods/common.py` `oplog_push`, `eve/endpoints.py`).

mod support;

use serde_json::{Value, json};
use support::{TestServer, enc, is_object_id, is_rfc1123};

const API: &str = "/api/v1";

fn start() -> TestServer {
    support::start_generated!(library_api, API)
}

/// Every entry of the oplog, oldest first (`_id` is the position).
fn oplog(server: &TestServer) -> Vec<Value> {
    server.items(&format!("{API}/oplog?max_results=50&sort=_id"))
}

/// The entries `where` selects, oldest first.
fn oplog_where(server: &TestServer, filter: &Value) -> Vec<Value> {
    let filter = enc(&filter.to_string());
    server.items(&format!(
        "{API}/oplog?where={filter}&sort=_id&max_results=50"
    ))
}

/// The fields of an entry Eve writes for every method (audit on): `r`, `o`, `i`, `ip`,
/// `u`, the dates, `_etag`, `_links`, and an integer `_id`.
fn assert_entry(entry: &Value, resource: &str, op: &str, id: &str) {
    assert_eq!(entry["r"], resource, "{entry}");
    assert_eq!(entry["o"], op, "{entry}");
    assert_eq!(entry["i"], id, "{entry}");
    assert_eq!(entry["ip"], "127.0.0.1", "{entry}");
    // Eve's `u` without authentication.
    assert_eq!(entry["u"], "n/a", "{entry}");
    assert!(entry["_id"].as_i64().is_some_and(|n| n >= 1), "{entry}");
    assert!(is_rfc1123(entry["_created"].as_str().unwrap()), "{entry}");
    assert_eq!(entry["_created"], entry["_updated"], "{entry}");
    assert_eq!(entry["_etag"].as_str().map(str::len), Some(40), "{entry}");
    let href = format!("oplog/{}", entry["_id"]);
    assert_eq!(entry["_links"]["self"]["href"], href.as_str(), "{entry}");
}

/// A POST of one document writes one entry, a bulk POST of n documents n entries, in
/// order; a POST entry has no `c` (not in Eve's default `OPLOG_CHANGE_METHODS`), and
/// its dates are the document's.
#[test]
fn a_post_writes_one_entry_per_document() {
    let server = start();
    assert!(oplog(&server).is_empty());
    let one = server.create("authors", json!({"name": "Jorge Luis Borges"}));
    let bulk = server.post(
        &format!("{API}/authors"),
        &json!([
            {"name": "Лев Толстой", "born": "Tue, 09 Sep 1828 00:00:00 GMT"},
            {"name": "紫式部"},
            {"name": "Wisława Szymborska 🌹"}
        ]),
    );
    assert_eq!(bulk.status, 201, "{}", bulk.text());
    let bulk: Value = bulk.json();
    let mut ids = vec![one["_id"].as_str().unwrap().to_string()];
    for item in bulk["_items"].as_array().unwrap() {
        ids.push(item["_id"].as_str().unwrap().to_string());
    }
    let entries = oplog(&server);
    assert_eq!(entries.len(), 4, "{entries:?}");
    for (entry, id) in entries.iter().zip(&ids) {
        assert!(is_object_id(id));
        assert_entry(entry, "authors", "POST", id);
        assert!(entry.get("c").is_none(), "{entry}");
    }
    assert_eq!(entries[0]["_updated"], one["_updated"]);
    assert_eq!(entries[3]["_updated"], bulk["_items"][2]["_updated"]);
    // Positions increase strictly, in the order of the writes.
    let positions: Vec<i64> = entries.iter().map(|e| e["_id"].as_i64().unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

/// PATCH logs the fields sent, PUT the new document, DELETE the deleted one (Eve's
/// `c`, without `_etag` and `_updated`); a DELETE entry's dates are the deleted
/// document's `_updated`, as in Eve.
#[test]
fn patch_put_and_delete_entries_hold_the_changes() {
    let server = start();
    let author = server.create("authors", json!({"name": "Ada Lovelace"}));
    let id = author["_id"].as_str().unwrap();
    let url = format!("{API}/authors/{id}");

    let patched = server.patch(
        &url,
        Some(author["_etag"].as_str().unwrap()),
        &json!({"born": "Sun, 10 Dec 1815 00:00:00 GMT"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    let patched: Value = patched.json();

    // Above 2^53: the exact integer is kept in `c`.
    let book = server.create(
        "books",
        json!({"title": "Notes — on the Analytical Engine", "pages": 9_007_199_254_740_993_i64}),
    );
    let book_id = book["_id"].as_str().unwrap();
    let book_url = format!("{API}/books/{book_id}");
    let put = server.put(
        &book_url,
        Some(book["_etag"].as_str().unwrap()),
        &json!({"title": "Sketch of the Analytical Engine", "pages": 9_007_199_254_740_993_i64, "tags": []}),
    );
    assert_eq!(put.status, 200, "{}", put.text());
    let put: Value = put.json();

    let stored = server.get(&url).json();
    let deleted = server.delete(&url, Some(stored["_etag"].as_str().unwrap()));
    assert_eq!(deleted.status, 204, "{}", deleted.text());

    let entries = oplog(&server);
    let ops: Vec<&str> = entries.iter().map(|e| e["o"].as_str().unwrap()).collect();
    assert_eq!(ops, ["POST", "PATCH", "POST", "PUT", "DELETE"]);

    let patch = &entries[1];
    assert_entry(patch, "authors", "PATCH", id);
    assert_eq!(patch["c"], json!({"born": "Sun, 10 Dec 1815 00:00:00 GMT"}));
    assert_eq!(patch["_updated"], patched["_updated"]);

    let replace = &entries[3];
    assert_entry(replace, "books", "PUT", book_id);
    assert_eq!(
        replace["c"],
        json!({
            "_id": book_id,
            "title": "Sketch of the Analytical Engine",
            "pages": 9_007_199_254_740_993_i64,
            "tags": [],
            "_deleted": false,
            "_version": 2,
            "_created": book["_created"],
        })
    );
    assert_eq!(replace["_updated"], put["_updated"]);

    let delete = &entries[4];
    assert_entry(delete, "authors", "DELETE", id);
    assert_eq!(
        delete["c"],
        json!({
            "_id": id,
            "name": "Ada Lovelace",
            "born": "Sun, 10 Dec 1815 00:00:00 GMT",
            "_version": 2,
            "_created": stored["_created"],
        })
    );
    assert_eq!(delete["_updated"], stored["_updated"]);
}

/// An entry is written in the write's transaction: a write that is refused (invalid
/// document, bulk list with one invalid document, stale or missing `If-Match`, empty
/// list) or that changes nothing (a DELETE of an unknown id) leaves no entry.
#[test]
fn a_refused_write_leaves_no_entry() {
    let server = start();
    let author = server.create("authors", json!({"name": "Mary Shelley"}));
    let url = format!("{API}/authors/{}", author["_id"].as_str().unwrap());
    assert_eq!(oplog(&server).len(), 1);

    server
        .post(&format!("{API}/authors"), &json!({"name": ""}))
        .issues();
    let bulk = server.post(
        &format!("{API}/authors"),
        &json!([{"name": "Percy Shelley"}, {"name": 7}]),
    );
    bulk.error(422);
    server
        .post(&format!("{API}/authors"), &json!([]))
        .error(400);
    // Unique: the same name again.
    server
        .post(&format!("{API}/authors"), &json!({"name": "Mary Shelley"}))
        .issues();
    let stale = "0000000000000000000000000000000000000000";
    server
        .patch(&url, Some(stale), &json!({"name": "M. S."}))
        .error(412);
    server
        .patch(&url, None, &json!({"name": "M. S."}))
        .error(428);
    server
        .put(&url, Some(stale), &json!({"name": "M. S."}))
        .error(412);
    server.delete(&url, Some(stale)).error(412);
    let unknown = format!("{API}/authors/{}", "0123456789abcdef01234567");
    // Eve answers 204 for a document that is not there, and logs nothing.
    assert_eq!(server.delete(&unknown, Some(stale)).status, 204);

    let entries = oplog(&server);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["o"], "POST");
}

/// DELETE on a collection writes a DELETE entry per document it removes, each with
/// the document in `c` (Eve 2.3.1 writes none: a reader of the oplog would miss them).
#[test]
fn a_collection_delete_writes_one_entry_per_document() {
    let server = start();
    let first = server.create("authors", json!({"name": "Juan Rulfo"}));
    let second = server.create("authors", json!({"name": "Gabriel García Márquez"}));
    let deleted = server.delete(&format!("{API}/authors"), None);
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert!(server.items(&format!("{API}/authors")).is_empty());
    let entries = oplog(&server);
    let ops: Vec<&str> = entries.iter().map(|e| e["o"].as_str().unwrap()).collect();
    assert_eq!(ops, ["POST", "POST", "DELETE", "DELETE"]);
    let first_id = first["_id"].as_str().unwrap();
    assert_entry(&entries[2], "authors", "DELETE", first_id);
    assert_eq!(
        entries[2]["c"],
        json!({"_id": first_id, "name": "Juan Rulfo", "_version": 1, "_created": first["_created"]})
    );
    assert_eq!(entries[2]["_updated"], first["_updated"]);
    assert_entry(
        &entries[3],
        "authors",
        "DELETE",
        second["_id"].as_str().unwrap(),
    );
    // An empty collection: nothing removed, nothing logged.
    let again = server.delete(&format!("{API}/authors"), None);
    assert_eq!(again.status, 204);
    assert_eq!(oplog(&server).len(), 4);
}

/// The oplog endpoint is an ordinary read-only resource: `where`, `sort`, paging,
/// item GET and HEAD; writes answer 405 and an unknown entry 404.
#[test]
fn the_oplog_endpoint_is_read_only_and_filterable() {
    let server = start();
    let author = server.create("authors", json!({"name": "Clarice Lispector"}));
    let author_id = author["_id"].as_str().unwrap();
    let book = server.create(
        "books",
        json!({"title": "A hora da estrela", "author": author_id}),
    );
    let book_url = format!("{API}/books/{}", book["_id"].as_str().unwrap());
    let patched = server.patch(
        &book_url,
        Some(book["_etag"].as_str().unwrap()),
        &json!({"pages": 96}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());

    let books = oplog_where(&server, &json!({"r": "books"}));
    assert_eq!(books.len(), 2);
    let patches = oplog_where(&server, &json!({"o": "PATCH", "i": book["_id"]}));
    assert_eq!(patches.len(), 1);
    assert_eq!(patches[0]["c"], json!({"pages": 96}));
    // Inside `c` too: the changes that set a field.
    let set_pages = oplog_where(&server, &json!({"c.pages": {"$gte": 90}}));
    assert_eq!(set_pages.len(), 1);
    assert_eq!(set_pages[0]["_id"], patches[0]["_id"]);

    // A reader resumes after the last position it saw.
    let first = oplog(&server)[0]["_id"].as_i64().unwrap();
    let later = oplog_where(&server, &json!({"_id": {"$gt": first}}));
    let ops: Vec<Value> = later.iter().map(|e| e["o"].clone()).collect();
    assert_eq!(ops, [json!("POST"), json!("PATCH")]);

    let newest_first = server.column(&format!("{API}/oplog?sort=-_id"), "o");
    assert_eq!(newest_first, [json!("PATCH"), json!("POST"), json!("POST")]);
    let page = server
        .get(&format!("{API}/oplog?max_results=1&page=2"))
        .json();
    assert_eq!(
        page["_meta"],
        json!({"page": 2, "max_results": 1, "total": 3})
    );
    assert_eq!(page["_items"][0]["r"], "books");

    let id = later[1]["_id"].as_i64().unwrap();
    let item = server.get(&format!("{API}/oplog/{id}"));
    assert_eq!(item.status, 200, "{}", item.text());
    let item: Value = item.json();
    assert_eq!(item["o"], "PATCH");
    assert_eq!(item["_links"]["parent"]["href"], "/");
    assert_eq!(server.head(&format!("{API}/oplog")).status, 200);
    // Eve's oplog is not versioned: `?version` is ignored.
    let versioned = server.get(&format!("{API}/oplog/{id}?version=all"));
    assert_eq!(versioned.json()["o"], "PATCH");
    server.get(&format!("{API}/oplog/999999")).error(404);
    server.get(&format!("{API}/oplog/not-a-number")).error(404);
    let bad_where = server.get(&format!("{API}/oplog?where={}", enc("{\"o\": ")));
    bad_where.error(400);

    let url = format!("{API}/oplog");
    let item_url = format!("{API}/oplog/{id}");
    server
        .post(&url, &json!({"r": "books", "o": "POST"}))
        .error(405);
    server.delete(&url, None).error(405);
    server
        .patch(
            &item_url,
            Some(item["_etag"].as_str().unwrap()),
            &json!({"o": "X"}),
        )
        .error(405);
    server
        .put(
            &item_url,
            Some(item["_etag"].as_str().unwrap()),
            &json!({"o": "X"}),
        )
        .error(405);
    server
        .delete(&item_url, Some(item["_etag"].as_str().unwrap()))
        .error(405);
    assert_eq!(oplog(&server).len(), 3);
}

/// A bulk POST of the most documents a request may hold writes as many entries.
#[test]
fn a_huge_bulk_post_writes_every_entry() {
    let server = start();
    let documents: Vec<Value> = (0..1000)
        .map(|n| json!({"title": format!("Tome {n} — ✓"), "pages": n + 1}))
        .collect();
    let response = server.post(&format!("{API}/books"), &Value::Array(documents));
    assert_eq!(response.status, 201, "{}", response.text());
    let first = server.get(&format!("{API}/oplog?max_results=1")).json();
    assert_eq!(first["_meta"]["total"], 1000);
    let ids: Vec<Value> = response.json()["_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["_id"].clone())
        .collect();
    let last = server
        .get(&format!("{API}/oplog?max_results=1&sort=-_id"))
        .json();
    assert_eq!(last["_items"][0]["i"], ids[999]);
    assert_eq!(first["_items"][0]["i"], ids[0]);
}

/// Eve's home page lists every resource, then the oplog endpoint (a resource) and the
/// schema endpoint.
#[test]
fn the_home_page_lists_the_oplog_and_the_schema_endpoint() {
    let server = start();
    let home = server.get(&format!("{API}/"));
    assert_eq!(home.status, 200);
    assert_eq!(
        home.json(),
        json!({"_links": {"child": [
            {"href": "authors", "title": "authors"},
            {"href": "books", "title": "books"},
            {"href": "books_per_author", "title": "books_per_author"},
            {"href": "editions", "title": "editions"},
            {"href": "shelf", "title": "shelf"},
            {"href": "oplog", "title": "oplog"},
            {"href": "schema", "title": "schema"},
        ]}})
    );
}

/// `GET schema` answers every served resource's Cerberus rules, `GET schema/<name>`
/// one of them; an unknown name is a 404 and writes are 405.
#[test]
fn the_schema_endpoint_answers_each_resources_rules() {
    let server = start();
    let books = json!({
        "title": {"type": "string", "required": true, "minlength": 1, "maxlength": 200},
        "isbn": {"type": "string", "unique": true, "regex": "[0-9-]{10,17}"},
        "author": {"type": "objectid", "data_relation": {"resource": "authors", "field": "_id", "embeddable": true}},
        "pages": {"type": "integer", "min": 1},
        "published": {"type": "datetime"},
        "tags": {"type": "list", "items": {"type": "string", "maxlength": 40}},
        "cover": {"type": "media"},
        "photos": {"type": "list", "items": {"type": "media"}, "maxlength": 10},
        "_deleted": {"type": "boolean", "default": false},
        "_version": {"type": "integer", "default": 1},
        "_id": {"type": "objectid"},
    });
    let one = server.get(&format!("{API}/schema/books"));
    assert_eq!(one.status, 200, "{}", one.text());
    assert_eq!(one.header("Content-Type"), Some("application/json"));
    assert_eq!(one.json(), books);
    // In the schema's own order, as Eve answers.
    assert!(one.text().starts_with("{\"title\":"), "{}", one.text());

    let all = server.get(&format!("{API}/schema"));
    assert_eq!(all.status, 200);
    let all: Value = all.json();
    let names: Vec<&String> = all.as_object().unwrap().keys().collect();
    // Every served resource (the aggregation endpoints with their source's schema) and
    // the oplog.
    assert_eq!(names.len(), 6, "{all}");
    assert_eq!(all["shelf"], books);
    assert_eq!(all["books"], books);
    assert_eq!(
        all["authors"],
        json!({
            "name": {"type": "string", "required": true, "unique": true, "minlength": 1, "maxlength": 100},
            "born": {"type": "datetime"},
            "portraits": {"type": "list", "items": {"type": "media"}},
            "_version": {"type": "integer", "default": 1},
            "_id": {"type": "objectid"},
        })
    );
    assert_eq!(all["oplog"]["c"], json!({"type": "dict"}));
    assert_eq!(all["oplog"]["_id"], json!({"type": "integer"}));
    assert_eq!(
        server.get(&format!("{API}/schema/oplog")).json(),
        all["oplog"]
    );

    server.get(&format!("{API}/schema/unknown")).error(404);
    server
        .get(&format!("{API}/schema/{}", enc("книги")))
        .error(404);
    server.get(&format!("{API}/schema/books/title")).error(404);
    assert_eq!(server.head(&format!("{API}/schema/books")).status, 200);
    let url = format!("{API}/schema/books");
    server.post(&url, &json!({"field": "value"})).error(405);
    server
        .patch(&url, None, &json!({"field": "value"}))
        .error(405);
    server
        .put(&url, None, &json!({"field": "value"}))
        .error(405);
    server.delete(&url, None).error(405);
    server.post(&format!("{API}/schema"), &json!({})).error(405);
}

/// A PUT that creates the document (Eve's `upsert_on_put`) is logged as Eve logs it:
/// its `post_internal` writes a POST entry.
#[test]
fn a_put_that_creates_is_logged_as_a_post() {
    let server = start();
    let id = "5f8d0d55b54764421b7156c9";
    let created = server.put(
        &format!("{API}/authors/{id}"),
        None,
        &json!({"name": "Bohumil Hrabal", "born": "Sat, 28 Mar 1914 00:00:00 GMT"}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let entries = oplog(&server);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_entry(&entries[0], "authors", "POST", id);
    assert!(entries[0].get("c").is_none(), "{}", entries[0]);
}

/// A book with a cover (a media field): the oplog's `c` names the file by its id, as
/// Eve's names its GridFS file, never holding the bytes.
#[test]
fn a_media_field_is_logged_as_its_file_id() {
    let server = start();
    let boundary = "----oplog-boundary-3f9c";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nO Alienista\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"cover\"; filename=\"capa.png\"\r\n\
         Content-Type: image/png\r\n\r\n\u{89}PNG bytes\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let created = server.request(
        "POST",
        &format!("{API}/books"),
        &[("Content-Type", content_type.as_str())],
        Some(body.as_bytes()),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["_id"].as_str().unwrap().to_string();
    let url = format!("{API}/books/{id}");
    let book = server.get(&url).json();
    let deleted = server.delete(&url, Some(book["_etag"].as_str().unwrap()));
    assert_eq!(deleted.status, 204, "{}", deleted.text());

    let entries = oplog(&server);
    let ops: Vec<&str> = entries.iter().map(|e| e["o"].as_str().unwrap()).collect();
    assert_eq!(ops, ["POST", "DELETE"]);
    let c = &entries[1]["c"];
    assert_eq!(c["title"], "O Alienista", "{c}");
    let file_id = c["cover"].as_str().expect("the cover's file id");
    // The served document names the same file in its URL.
    let served = book["cover"]["file"].as_str().unwrap();
    assert!(served.ends_with(file_id), "{served} {file_id}");
    assert!(!entries[1].to_string().contains("PNG bytes"));
}

/// A soft DELETE (books have `soft_delete`) is logged as Eve logs it: a DELETE entry
/// holding the marked document.
#[test]
fn a_soft_delete_is_logged_as_a_delete() {
    let server = start();
    let book = server.create("books", json!({"title": "Dom Casmurro"}));
    let id = book["_id"].as_str().unwrap();
    let url = format!("{API}/books/{id}");
    let deleted = server.delete(&url, Some(book["_etag"].as_str().unwrap()));
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let entries = oplog(&server);
    let ops: Vec<&str> = entries.iter().map(|e| e["o"].as_str().unwrap()).collect();
    assert_eq!(ops, ["POST", "DELETE"]);
    assert_entry(&entries[1], "books", "DELETE", id);
    assert_eq!(entries[1]["c"]["title"], "Dom Casmurro");
    assert_eq!(entries[1]["c"]["_id"], id);

    // A collection DELETE marks every live document, each logged the same way; the
    // one deleted already is neither marked nor logged again.
    let other = server.create("books", json!({"title": "Pedro Páramo"}));
    let deleted = server.delete(&format!("{API}/books"), None);
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let entries = oplog(&server);
    let ops: Vec<&str> = entries.iter().map(|e| e["o"].as_str().unwrap()).collect();
    assert_eq!(ops, ["POST", "DELETE", "POST", "DELETE"]);
    assert_entry(
        &entries[3],
        "books",
        "DELETE",
        other["_id"].as_str().unwrap(),
    );
    assert_eq!(entries[3]["c"]["title"], "Pedro Páramo");
}
