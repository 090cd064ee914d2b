//! The crate generated from `specs/crm.toml`: resource shape and routing over real
//! HTTP. A sub-resource (`contacts/{contact_id}/invoices`), an additional lookup
//! (`contacts/<name>`), uuid and integer ids (and references to them), a read-only
//! resource and an internal one.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use support::{TestServer, block_on, enc, is_object_id};

const API: &str = "/api/v1";

fn start() -> TestServer {
    start_with_db().0
}

/// The server, with the example's own hooks (`generated-example/crm/src/hooks.rs`),
/// and its database file.
fn start_with_db() -> (TestServer, PathBuf) {
    let (send, receive) = std::sync::mpsc::channel();
    let server = TestServer::start_custom(API, move |listener, dir, signal| {
        let config = crm_api::Config {
            addr: listener.local_addr().expect("listener address"),
            db: dir.join("crm.db"),
            ..crm_api::Config::default()
        };
        let _ = send.send(config.db.clone());
        // The read-only `countries` has no POST: its rows come from Rust, as they
        // would from a migration or an import.
        let db = crm_api::api::db::Db::open_for::<crm_api::api::Api>(&config.db)
            .expect("open the database");
        block_on(async move {
            db.write(|tx| {
                tx.execute(
                    "INSERT INTO \"countries\" (\"_id\", \"code\", \"_created\", \"_updated\", \"_etag\") \
                     VALUES ('5f8d0d55b54764421b7156c9', 'FR', 0, 0, 'e')",
                    [],
                )?;
                Ok(())
            })
            .await
            .expect("seed countries");
        });
        let app = crm_api::app(&config, Arc::new(crm_api::hooks::AppHooks))
            .expect("open the database and build the app");
        block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            crm_api::serve(listener, app, &config, signal)
                .await
                .expect("serve");
        });
    });
    let db = receive.recv().expect("the server's database path");
    (server, db)
}

/// The rows of the internal `audit` table, read from Rust: `(action, resource)`.
fn audit_rows(db: &Path) -> Vec<(String, String)> {
    let db = crm_api::api::db::Db::open_for::<crm_api::api::Api>(db).expect("open the database");
    db.read(|conn| {
        let mut statement =
            conn.prepare("SELECT \"action\", \"resource\" FROM \"audit\" ORDER BY rowid")?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<Vec<(String, String)>, _>>()?;
        Ok(rows)
    })
    .expect("read audit")
}

fn contact(server: &TestServer, name: &str) -> String {
    let created = server.create("contacts", json!({"name": name}));
    created["_id"].as_str().expect("an _id").to_string()
}

fn invoices(contact: &str) -> String {
    format!("{API}/contacts/{contact}/invoices")
}

fn post_invoice(server: &TestServer, contact: &str, body: Value) -> Value {
    let response = server.post(&invoices(contact), &body);
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

// ---- sub-resources -------------------------------------------------------------

#[test]
fn sub_resource_get_lists_only_the_documents_of_its_path() {
    let server = start();
    let (a, b) = (contact(&server, "Ann"), contact(&server, "Bob"));
    post_invoice(&server, &a, json!({"number": 1}));
    post_invoice(&server, &a, json!({"number": 2, "total": 10.5}));
    post_invoice(&server, &b, json!({"number": 3}));

    let page = server.get(&invoices(&a));
    assert_eq!(page.status, 200, "{}", page.text());
    let body = page.json();
    assert_eq!(body["_meta"]["total"], 2);
    let items = body["_items"].as_array().expect("items");
    assert!(
        items.iter().all(|i| i["contact_id"] == a.as_str()),
        "{body}"
    );
    // Links use the concrete path.
    assert_eq!(
        body["_links"]["self"]["href"],
        format!("contacts/{a}/invoices")
    );
    let id = items[0]["_id"].as_str().expect("id");
    assert_eq!(
        items[0]["_links"]["self"]["href"],
        format!("contacts/{a}/invoices/{id}")
    );
    // A `where` narrows further, inside the path's documents only.
    let filtered = server.items(&format!(
        "{}?where={}",
        invoices(&a),
        enc(r#"{"number": {"$gte": 2}}"#)
    ));
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0]["number"], 2);
    let none = server.items(&format!(
        "{}?where={}",
        invoices(&a),
        enc(r#"{"number": 3}"#)
    ));
    assert!(
        none.is_empty(),
        "B's invoice leaked into A's list: {none:?}"
    );
    // An `$or` cannot escape the path's scope either.
    let or = server.items(&format!(
        "{}?where={}",
        invoices(&a),
        enc(r#"{"$or": [{"number": 3}, {"number": 1}]}"#)
    ));
    assert_eq!(or.len(), 1, "{or:?}");
    assert_eq!(server.items(&invoices(&b)).len(), 1);

    // A parent key that cannot be an objectid names nothing: 404 in the envelope.
    server.get(&invoices("not-an-id")).error(404);
    // A well-formed parent with no invoices: an empty page.
    assert!(
        server
            .items(&invoices("5f8d0d55b54764421b7156c9"))
            .is_empty()
    );
    // HEAD works on the sub-collection.
    assert_eq!(server.head(&invoices(&a)).status, 200);
}

#[test]
fn sub_resource_post_fills_the_path_field_over_the_body() {
    let server = start();
    let (a, b) = (contact(&server, "Ann"), contact(&server, "Bob"));
    // No contact_id in the body: the path supplies it (it is `required`).
    let created = server.post(&invoices(&a), &json!({"number": 1}));
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["_id"].as_str().expect("id").to_string();
    assert_eq!(
        created.header("Location"),
        Some(format!("{API}/contacts/{a}/invoices/{id}").as_str())
    );
    assert_eq!(
        created.json()["_links"]["self"]["href"],
        format!("contacts/{a}/invoices/{id}")
    );
    // A body naming another contact is overwritten by the path, as Eve does.
    let other = post_invoice(&server, &a, json!({"number": 2, "contact_id": b}));
    let stored = server.get(&format!(
        "{}/{}",
        invoices(&a),
        other["_id"].as_str().unwrap()
    ));
    assert_eq!(stored.json()["contact_id"], a.as_str());
    assert!(server.items(&invoices(&b)).is_empty());
    // Bulk inserts are filled too.
    let bulk = server.post(&invoices(&b), &json!([{"number": 5}, {"number": 6}]));
    assert_eq!(bulk.status, 201, "{}", bulk.text());
    assert_eq!(
        server.column(&invoices(&b), "contact_id"),
        vec![json!(b), json!(b)]
    );
    // The path value is still checked as a data_relation: no such contact → 422.
    let missing = server.post(&invoices("5f8d0d55b54764421b7156c9"), &json!({"number": 1}));
    let issues = missing.issues();
    assert!(issues["contact_id"].is_string(), "{issues}");
    // Validation of the rest still applies.
    assert!(server.post(&invoices(&a), &json!({"number": 0})).issues()["number"].is_string());
}

#[test]
fn sub_resource_items_match_only_documents_of_their_path() {
    let server = start();
    let (a, b) = (contact(&server, "Ann"), contact(&server, "Bob"));
    let invoice = post_invoice(&server, &a, json!({"number": 1}));
    let id = invoice["_id"].as_str().expect("id");
    let right = format!("{}/{id}", invoices(&a));
    let wrong = format!("{}/{id}", invoices(&b));

    let got = server.get(&right);
    assert_eq!(got.status, 200);
    let doc = got.json();
    assert_eq!(
        doc["_links"]["self"]["href"],
        format!("contacts/{a}/invoices/{id}")
    );
    assert_eq!(
        doc["_links"]["collection"]["href"],
        format!("contacts/{a}/invoices")
    );
    let etag = got.etag();
    server.get(&wrong).error(404);
    server
        .patch(&wrong, Some(&etag), &json!({"number": 9}))
        .error(404);
    // Not found under this path: PUT would create it, but its id is taken (Eve's 409),
    // and DELETE finds nothing to delete (Eve's 204).
    server
        .put(&wrong, Some(&etag), &json!({"number": 9}))
        .error(409);
    assert_eq!(server.delete(&wrong, Some(&etag)).status, 204);

    // PATCH through the right path; a contact_id in the body cannot move it away.
    let patched = server.patch(&right, Some(&etag), &json!({"number": 7, "contact_id": b}));
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(
        patched.json()["_links"]["self"]["href"],
        format!("contacts/{a}/invoices/{id}")
    );
    let after = server.get(&right).json();
    assert_eq!(after["number"], 7);
    assert_eq!(after["contact_id"], a.as_str());

    // PUT replaces the document; the path field is filled from the URL.
    let etag = server.get(&right).etag();
    let replaced = server.put(&right, Some(&etag), &json!({"number": 8}));
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    let after = server.get(&right).json();
    assert_eq!(
        (after["number"].clone(), after["contact_id"].clone()),
        (json!(8), json!(a))
    );

    let etag = server.get(&right).etag();
    assert_eq!(server.delete(&right, Some(&etag)).status, 204);
    server.get(&right).error(404);
}

#[test]
fn sub_resource_delete_removes_only_the_documents_of_its_path() {
    let server = start();
    let (a, b) = (contact(&server, "Ann"), contact(&server, "Bob"));
    post_invoice(&server, &a, json!({"number": 1}));
    post_invoice(&server, &a, json!({"number": 2}));
    post_invoice(&server, &b, json!({"number": 3}));
    assert_eq!(server.delete(&invoices(&a), None).status, 204);
    assert!(server.items(&invoices(&a)).is_empty());
    assert_eq!(server.column(&invoices(&b), "number"), vec![json!(3)]);
    server.delete(&invoices("zz"), None).error(404);
}

#[test]
fn home_and_openapi_show_the_sub_resource_route() {
    let server = start();
    let home = server.get(&format!("{API}/")).json();
    let hrefs: Vec<&str> = home["_links"]["child"]
        .as_array()
        .expect("children")
        .iter()
        .filter_map(|c| c["href"].as_str())
        .collect();
    assert!(
        hrefs.contains(&"contacts/{contact_id}/invoices"),
        "{hrefs:?}"
    );
    let openapi = server.get("/openapi.json").json();
    let path = &openapi["paths"]["/contacts/{contact_id}/invoices/{id}"];
    let names: Vec<&str> = path["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["contact_id", "id"]);
}

// ---- additional lookup ---------------------------------------------------------

#[test]
fn additional_lookup_reads_by_name_next_to_the_id() {
    let server = start();
    let id = contact(&server, "Doe");
    let by_id = server.get(&format!("{API}/contacts/{id}"));
    assert_eq!(by_id.status, 200);
    let by_name = server.get(&format!("{API}/contacts/Doe"));
    assert_eq!(by_name.status, 200, "{}", by_name.text());
    assert_eq!(by_name.json()["_id"], id.as_str());
    assert_eq!(by_name.json()["name"], "Doe");
    // Links still name the document by its id.
    assert_eq!(
        by_name.json()["_links"]["self"]["href"],
        format!("contacts/{id}")
    );
    assert_eq!(by_name.etag(), by_id.etag());
    assert_eq!(server.head(&format!("{API}/contacts/Doe")).status, 200);
    // Conditional GET works on the lookup route too.
    let tag = format!("\"{}\"", by_name.etag());
    let cached = server.get_with(&format!("{API}/contacts/Doe"), &[("If-None-Match", &tag)]);
    assert_eq!(cached.status, 304);

    // No such name: 404. A key matching neither the id nor the lookup regex: 404.
    server.get(&format!("{API}/contacts/Nobody")).error(404);
    server.get(&format!("{API}/contacts/a.b")).error(404);
    // The lookup route is read-only: writes by name are 405, in the envelope.
    let etag = by_id.etag();
    server
        .patch(
            &format!("{API}/contacts/Doe"),
            Some(&etag),
            &json!({"email": "x"}),
        )
        .error(405);
    server
        .put(
            &format!("{API}/contacts/Doe"),
            Some(&etag),
            &json!({"name": "X"}),
        )
        .error(405);
    server
        .delete(&format!("{API}/contacts/Doe"), Some(&etag))
        .error(405);
    server
        .delete(&format!("{API}/contacts/Doe"), None)
        .error(405);
    // Writes by id still work.
    let patched = server.patch(
        &format!("{API}/contacts/{id}"),
        Some(&etag),
        &json!({"name": "Roe"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(
        server.get(&format!("{API}/contacts/Roe")).json()["_id"],
        id.as_str()
    );
    server.get(&format!("{API}/contacts/Doe")).error(404);
}

// ---- custom id types -----------------------------------------------------------

fn is_uuid_v4(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit() && !b.is_ascii_uppercase(),
        })
        && bytes[14] == b'4'
        && b"89ab".contains(&bytes[19])
}

#[test]
fn uuid_ids_are_made_by_the_server_and_shape_checked() {
    let server = start();
    let created = server.create("tickets", json!({"subject": "broken"}));
    let id = created["_id"].as_str().expect("a string _id");
    assert!(is_uuid_v4(id), "{id}");
    let other = server.create("tickets", json!({"subject": "again"}));
    assert_ne!(other["_id"], created["_id"]);
    let got = server.get(&format!("{API}/tickets/{id}"));
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["_id"], id);
    assert_eq!(
        got.json()["_links"]["self"]["href"],
        format!("tickets/{id}")
    );
    // Ids of another shape are not ids here: 404.
    server
        .get(&format!("{API}/tickets/5f8d0d55b54764421b7156c9"))
        .error(404);
    server.get(&format!("{API}/tickets/12")).error(404);
    // A client may choose a well-formed uuid; anything else is a 422 on `_id`.
    let chosen = "0b6a1c9e-5d3f-4a8e-9b7c-2f1e0d9c8b7a";
    let mine = server.create("tickets", json!({"_id": chosen, "subject": "mine"}));
    assert_eq!(mine["_id"], chosen);
    let bad = server.post(
        &format!("{API}/tickets"),
        &json!({"_id": "5f8d0d55b54764421b7156c9", "subject": "x"}),
    );
    assert_eq!(bad.issues()["_id"], "must be of uuid type");
    let dup = server.post(
        &format!("{API}/tickets"),
        &json!({"_id": chosen, "subject": "x"}),
    );
    assert!(dup.issues()["_id"].is_string());
    // Item writes work by uuid.
    let etag = server.get(&format!("{API}/tickets/{chosen}")).etag();
    let patched = server.patch(
        &format!("{API}/tickets/{chosen}"),
        Some(&etag),
        &json!({"subject": "fixed"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    let etag = patched.etag();
    assert_eq!(
        server
            .delete(&format!("{API}/tickets/{chosen}"), Some(&etag))
            .status,
        204
    );
    server.get(&format!("{API}/tickets/{chosen}")).error(404);
}

#[test]
fn integer_ids_are_numbered_by_the_database_and_served_as_numbers() {
    let server = start();
    let first = server.create("regions", json!({"name": "North"}));
    let second = server.create("regions", json!({"name": "South"}));
    assert_eq!(first["_id"], 1, "{first}");
    assert_eq!(second["_id"], 2);
    assert_eq!(first["_links"]["self"]["href"], "regions/1");
    let got = server.get(&format!("{API}/regions/1"));
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["_id"], json!(1));
    assert_eq!(
        server.column(&format!("{API}/regions"), "_id"),
        vec![json!(1), json!(2)]
    );
    // `where` and `sort` see `_id` as a number.
    let path = format!(
        "{API}/regions?where={}&sort=-_id",
        enc(r#"{"_id": {"$gte": 2}}"#)
    );
    assert_eq!(server.column(&path, "name"), vec![json!("South")]);
    let path = format!("{API}/regions?sort={}", enc("-_id"));
    assert_eq!(server.column(&path, "_id"), vec![json!(2), json!(1)]);
    let path = format!("{API}/regions?where={}", enc(r#"{"_id": "x"}"#));
    server.get(&path).error(400);
    let post = server.post(&format!("{API}/regions"), &json!({"name": "East"}));
    assert_eq!(
        post.header("Location"),
        Some(format!("{API}/regions/3").as_str())
    );
    // Keys that are not integers are not ids: 404.
    for key in [
        "abc",
        "5f8d0d55b54764421b7156c9",
        "-1",
        "1.5",
        "99999999999999999999",
    ] {
        server.get(&format!("{API}/regions/{key}")).error(404);
    }
    server.get(&format!("{API}/regions/42")).error(404);
    // A client may choose an integer `_id`; later numbering continues after it.
    let chosen = server.create("regions", json!({"_id": 10, "name": "West"}));
    assert_eq!(chosen["_id"], 10);
    assert_eq!(
        server.create("regions", json!({"name": "Centre"}))["_id"],
        11
    );
    let wrong = server.post(
        &format!("{API}/regions"),
        &json!({"_id": "12", "name": "x"}),
    );
    assert_eq!(wrong.issues()["_id"], "must be of integer type");
    let dup = server.post(&format!("{API}/regions"), &json!({"_id": 10, "name": "x"}));
    assert!(dup.issues()["_id"].is_string());
    // PATCH, PUT and DELETE by integer id.
    let etag = server.get(&format!("{API}/regions/1")).etag();
    let patched = server.patch(
        &format!("{API}/regions/1"),
        Some(&etag),
        &json!({"name": "Nord"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(patched.json()["_id"], 1);
    let etag = patched.etag();
    let put = server.put(
        &format!("{API}/regions/1"),
        Some(&etag),
        &json!({"name": "N"}),
    );
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(server.get(&format!("{API}/regions/1")).json()["name"], "N");
    let etag = put.etag();
    assert_eq!(
        server
            .delete(&format!("{API}/regions/1"), Some(&etag))
            .status,
        204
    );
    server.get(&format!("{API}/regions/1")).error(404);
    // A deleted number is not handed out again.
    assert_eq!(
        server.create("regions", json!({"name": "Again"}))["_id"],
        12
    );
}

#[test]
fn references_to_uuid_and_integer_ids_are_checked() {
    let server = start();
    let region = server.create("regions", json!({"name": "North"}))["_id"].clone();
    let ticket = server.create("tickets", json!({"subject": "s", "region": region}));
    let ticket_id = ticket["_id"].as_str().expect("uuid").to_string();
    let ok = server.post(
        &format!("{API}/followups"),
        &json!({"ticket": ticket_id, "region": region}),
    );
    assert_eq!(ok.status, 201, "{}", ok.text());
    assert!(is_object_id(ok.json()["_id"].as_str().expect("objectid")));
    let no_ticket = server.post(
        &format!("{API}/followups"),
        &json!({"ticket": "0b6a1c9e-5d3f-4a8e-9b7c-2f1e0d9c8b7a"}),
    );
    assert!(no_ticket.issues()["ticket"].is_string());
    let no_region = server.post(
        &format!("{API}/followups"),
        &json!({"ticket": ticket_id, "region": 99}),
    );
    assert!(no_region.issues()["region"].is_string());
    let bad_region = server.post(
        &format!("{API}/tickets"),
        &json!({"subject": "s", "region": "1"}),
    );
    assert!(bad_region.issues()["region"].is_string());
}

// ---- read-only and internal resources ------------------------------------------

#[test]
fn read_only_resource_answers_get_and_head_and_405_otherwise() {
    let server = start();
    let list = server.items(&format!("{API}/countries"));
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["code"], "FR");
    let item = format!("{API}/countries/5f8d0d55b54764421b7156c9");
    assert_eq!(server.get(&item).status, 200);
    assert_eq!(server.head(&item).status, 200);
    assert_eq!(server.head(&format!("{API}/countries")).status, 200);
    server
        .post(&format!("{API}/countries"), &json!({"code": "DE"}))
        .error(405);
    server.delete(&format!("{API}/countries"), None).error(405);
    server
        .patch(&item, Some("e"), &json!({"code": "DE"}))
        .error(405);
    server
        .put(&item, Some("e"), &json!({"code": "DE"}))
        .error(405);
    server.delete(&item, Some("e")).error(405);
    assert_eq!(server.items(&format!("{API}/countries")).len(), 1);
}

#[test]
fn internal_resource_has_no_routes_and_is_not_listed() {
    let server = start();
    server.get(&format!("{API}/audit")).error(404);
    server
        .post(
            &format!("{API}/audit"),
            &json!({"action": "x", "resource": "y"}),
        )
        .error(404);
    server
        .get(&format!("{API}/audit/5f8d0d55b54764421b7156c9"))
        .error(404);
    let home = server.get(&format!("{API}/")).json().to_string();
    assert!(!home.contains("audit"), "{home}");
    let openapi = server.get("/openapi.json").json();
    let paths = openapi["paths"].as_object().expect("paths");
    assert!(
        paths.keys().all(|p| !p.contains("audit")),
        "{:?}",
        paths.keys()
    );
    assert!(paths.contains_key("/countries"));
}

#[test]
fn internal_resource_is_written_by_a_hook_in_the_request_transaction() {
    let (server, db) = start_with_db();
    contact(&server, "Ann");
    let bulk = server.post(
        &format!("{API}/contacts"),
        &json!([{"name": "Bob"}, {"name": "Cy"}]),
    );
    assert_eq!(bulk.status, 201, "{}", bulk.text());
    // A rejected insert writes nothing, audit included.
    server
        .post(&format!("{API}/contacts"), &json!({"name": "Ann"}))
        .issues();
    // Other resources are not audited.
    server.create("regions", json!({"name": "North"}));
    let rows = audit_rows(&db);
    assert_eq!(
        rows,
        vec![("insert".to_string(), "contacts".to_string()); 3],
        "{rows:?}"
    );
}
