//! Eve's answers where apigen used to answer differently, over real HTTP: `_links.related`
//! for data relations, CORS headers on every answer, PUT that creates
//! (`upsert_on_put`), DELETE of a missing document, PATCH that sends `_id`, the Python
//! syntax of `where`, dotted projections, an API page default above a resource's limit,
//! and `X-Total-Count` on HEAD.

mod support;

use serde_json::{Value, json};
use support::{API, TestServer, enc};

fn people() -> TestServer {
    support::start_generated!(people_api, API)
}

fn created_id(server: &TestServer, resource: &str, document: Value) -> String {
    server.create(resource, document)["_id"]
        .as_str()
        .expect("an _id")
        .to_string()
}

/// An ObjectId no document has.
const MISSING: &str = "5f1e4c2b9d3e2a00123456ab";

// ---------------------------------------------------------------------------------
// _links.related

#[test]
fn a_reference_links_to_the_document_it_names_in_items_pages_and_writes() {
    let server = people();
    let person = created_id(
        &server,
        "people",
        json!({"lastname": "Ørsted", "born": "Thu, 14 Aug 1777 00:00:00 GMT"}),
    );
    let link = json!({"title": "person", "href": format!("people/{person}")});

    // The write answer.
    let posted = server.create("invoices", json!({"number": 1, "contact_id": person}));
    assert_eq!(
        posted["_links"]["related"],
        json!({"contact_id": link}),
        "{posted}"
    );
    assert_eq!(posted["_links"]["self"]["title"], "invoice");
    let invoice = posted["_id"].as_str().expect("an id").to_string();

    // The item, with its own links beside.
    let item = server.get(&format!("{API}/invoices/{invoice}"));
    assert_eq!(item.status, 200);
    let item = item.json();
    assert_eq!(item["_links"]["related"], json!({"contact_id": link}));
    assert_eq!(
        item["_links"]["parent"],
        json!({"title": "home", "href": "/"})
    );
    assert_eq!(item["_links"]["collection"]["href"], "invoices");

    // Every document of a page.
    let page = server.items(&format!("{API}/invoices"));
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["_links"]["related"], json!({"contact_id": link}));

    // An embedded reference still links by its id, as Eve builds links before embedding.
    let embedded = server.get(&format!(
        "{API}/invoices/{invoice}?embedded={}",
        enc(r#"{"contact_id": 1}"#)
    ));
    let embedded = embedded.json();
    assert_eq!(embedded["contact_id"]["lastname"], "Ørsted");
    assert_eq!(embedded["_links"]["related"], json!({"contact_id": link}));

    // A projection that leaves the reference out leaves its link out.
    let projected = server.get(&format!(
        "{API}/invoices/{invoice}?projection={}",
        enc(r#"{"number": 1}"#)
    ));
    assert_eq!(projected.json()["_links"].get("related"), None);

    // PATCH answers with the links of the whole document.
    let other = created_id(&server, "people", json!({"lastname": "Curie"}));
    let patched = server.patch(
        &format!("{API}/invoices/{invoice}"),
        Some(item["_etag"].as_str().expect("etag")),
        &json!({"contact_id": other}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(
        patched.json()["_links"]["related"],
        json!({"contact_id": {"title": "person", "href": format!("people/{other}")}})
    );
    let patched = server.patch(
        &format!("{API}/invoices/{invoice}"),
        Some(&patched.etag()),
        &json!({"total": 12.5}),
    );
    assert_eq!(
        patched.json()["_links"]["related"]["contact_id"]["href"],
        format!("people/{other}")
    );
}

#[test]
fn related_links_in_xml_are_attributes_of_the_reference() {
    let server = people();
    let person = created_id(&server, "people", json!({"lastname": "Ørsted"}));
    let invoice = created_id(
        &server,
        "invoices",
        json!({"number": 3, "contact_id": person}),
    );
    let xml = server.get_with(
        &format!("{API}/invoices/{invoice}"),
        &[("Accept", "application/xml")],
    );
    assert_eq!(xml.status, 200);
    assert!(
        xml.text().contains(&format!(
            "<contact_id href=\"people/{person}\" title=\"person\">{person}</contact_id>"
        )),
        "{}",
        xml.text()
    );
    assert!(!xml.text().contains("rel=\"related\""), "{}", xml.text());
}

#[test]
fn a_document_without_its_reference_has_no_related_links() {
    let server = people();
    // `owner` is optional: a work without one links to nothing.
    let work = server.create("works", json!({"title": "Sans maître"}));
    assert_eq!(work["_links"].get("related"), None, "{work}");
    assert_eq!(work["_links"]["self"]["title"], "work");
    let page = server.items(&format!("{API}/works"));
    assert_eq!(page[0]["_links"].get("related"), None);
    // PUT answers with the reference it sets.
    let person = created_id(&server, "people", json!({"lastname": "Hugo"}));
    let id = work["_id"].as_str().expect("id");
    let etag = work["_etag"].as_str().expect("etag");
    let put = server.put(
        &format!("{API}/works/{id}"),
        Some(etag),
        &json!({"title": "Les Misérables", "owner": person}),
    );
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(
        put.json()["_links"]["related"],
        json!({"owner": {"title": "person", "href": format!("people/{person}")}})
    );
    // Resources without references never carry it.
    let person_item = server.get(&format!("{API}/people/{person}")).json();
    assert_eq!(person_item["_links"].get("related"), None);
}

#[test]
fn lists_of_references_and_references_by_another_field_link_as_eve_links_them() {
    let server = support::start_generated!(blog_api, API);
    let author = created_id(&server, "authors", json!({"name": "Ἀριστοτέλης"}));
    let a = created_id(&server, "tags", json!({"label": "Λόγος", "slug": "logos"}));
    let b = created_id(&server, "tags", json!({"label": "Ēthos", "slug": "ethos"}));
    let post = server.create(
        "posts",
        json!({"title": "Ῥητορική", "author": author, "tags": [a, b], "category": "logos",
               "meta": {"editor": author}, "reviews": [{"score": 5, "reviewer": author}]}),
    );
    let expected = json!({
        "author": {"title": "author", "href": format!("authors/{author}")},
        "tags": [
            {"title": "tag", "href": format!("tags/{a}")},
            {"title": "tag", "href": format!("tags/{b}")},
        ],
        // Eve links a reference by another field with that field's value.
        "category": {"title": "tag", "href": "tags/logos"},
    });
    // Only top-level references link (Eve walks the schema's top level).
    assert_eq!(post["_links"]["related"], expected, "{post}");
    let id = post["_id"].as_str().expect("id");
    // `author` is embedded by default: the link still names it.
    let item = server.get(&format!("{API}/posts/{id}")).json();
    assert_eq!(item["author"]["name"], "Ἀριστοτέλης");
    assert_eq!(item["_links"]["related"], expected);
    assert_eq!(
        server.items(&format!("{API}/posts"))[0]["_links"]["related"],
        expected
    );

    // An empty list links to nothing.
    let bare = server.create(
        "posts",
        json!({"title": "Empty", "author": author, "tags": []}),
    );
    assert_eq!(
        bare["_links"]["related"],
        json!({"author": {"title": "author", "href": format!("authors/{author}")}})
    );
    // `hateoas = false`: no links at all.
    let comment = server.create("comments", json!({"post": id, "body": "εὖ"}));
    assert_eq!(comment.get("_links"), None);
}

#[test]
fn references_to_integer_ids_link_by_their_number() {
    let server = support::start_generated!(crm_api, API);
    let region = server.create("regions", json!({"name": "Nord-Pas-de-Calais"}));
    let region_id = region["_id"].as_i64().expect("an integer id");
    let ticket = server.create(
        "tickets",
        json!({"subject": "Ça ne marche pas", "region": region_id}),
    );
    assert_eq!(
        ticket["_links"]["related"],
        json!({"region": {"title": "region", "href": format!("regions/{region_id}")}})
    );
}

// ---------------------------------------------------------------------------------
// CORS

#[test]
fn cors_headers_are_on_every_answer_to_an_allowed_origin() {
    let server = support::start_generated!(web_api, "");
    let origin = "https://app.example.com";
    let posted = server.request(
        "POST",
        "/notes",
        &[("Origin", origin), ("Content-Type", "application/json")],
        Some(r#"{"title": "Grüße"}"#.as_bytes()),
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let id = posted.json()["_id"].as_str().expect("id").to_string();
    let item = format!("/notes/{id}");
    let cases = [
        ("GET", "/notes", 200, "GET,HEAD,POST,DELETE,OPTIONS"),
        ("HEAD", "/notes", 200, "GET,HEAD,POST,DELETE,OPTIONS"),
        (
            "GET",
            item.as_str(),
            200,
            "GET,HEAD,PATCH,PUT,DELETE,OPTIONS",
        ),
        ("GET", "/feeds", 200, "GET,HEAD,POST,OPTIONS"),
        ("GET", "/", 200, "GET,HEAD,OPTIONS"),
        // Errors too: a method the route does not allow.
        ("DELETE", "/feeds", 405, "GET,HEAD,POST,OPTIONS"),
    ];
    for (method, path, status, methods) in cases {
        let response = server.request(method, path, &[("Origin", origin)], None);
        assert_eq!(
            response.status,
            status,
            "{method} {path}: {}",
            response.text()
        );
        assert_eq!(response.header("Access-Control-Allow-Origin"), Some(origin));
        assert_eq!(
            response.header("Access-Control-Allow-Methods"),
            Some(methods),
            "{method} {path}"
        );
        assert_eq!(
            response.header("Access-Control-Allow-Headers"),
            Some("Content-Type, If-Match")
        );
        assert_eq!(
            response.header("Access-Control-Expose-Headers"),
            Some("ETag")
        );
        assert_eq!(response.header("Access-Control-Max-Age"), Some("600"));
    }
    assert_eq!(
        posted.header("Access-Control-Allow-Methods"),
        Some("GET,HEAD,POST,DELETE,OPTIONS")
    );
    // A path no route has names no methods.
    let missing = server.request("GET", "/nowhere", &[("Origin", origin)], None);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("Access-Control-Allow-Origin"), Some(origin));
    assert_eq!(missing.header("Access-Control-Allow-Methods"), None);
    // Another origin gets none of them.
    let denied = server.request("GET", "/notes", &[("Origin", "https://evil.example")], None);
    assert_eq!(denied.status, 200);
    for name in [
        "Access-Control-Allow-Origin",
        "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers",
        "Access-Control-Max-Age",
    ] {
        assert_eq!(denied.header(name), None, "{name}");
    }
}

// ---------------------------------------------------------------------------------
// PUT that creates (upsert_on_put)

#[test]
fn put_to_a_missing_id_creates_the_document_with_that_id() {
    let server = people();
    let path = format!("{API}/people/{MISSING}");
    let body =
        json!({"lastname": "Nguyễn", "born": "Wed, 01 Jan 1800 00:00:00 GMT", "_id": "ignored"});
    // No If-Match: there is no document whose tag it could name.
    let put = server.put(&path, None, &body);
    assert_eq!(put.status, 201, "{}", put.text());
    assert_eq!(put.header("Location"), Some(path.as_str()));
    let answer = put.json();
    assert_eq!(answer["_status"], "OK");
    assert_eq!(answer["_id"], MISSING);
    assert_eq!(
        answer["_links"]["self"]["href"],
        format!("people/{MISSING}")
    );
    assert_eq!(put.etag(), answer["_etag"].as_str().expect("etag"));
    let got = server.get(&path);
    assert_eq!(got.status, 200);
    let got = got.json();
    assert_eq!(got["lastname"], "Nguyễn");
    assert_eq!(got["born"], "Wed, 01 Jan 1800 00:00:00 GMT");
    // Defaults are filled as in a POST.
    assert_eq!(got["status"], "active");
    // Now it exists: a PUT replaces it, and needs its tag.
    let again = server.put(&path, None, &json!({"lastname": "Nguyen"}));
    assert_eq!(
        again.error(428),
        "To edit a document its etag must be provided using the If-Match header"
    );
    let replaced = server.put(
        &path,
        Some(answer["_etag"].as_str().expect("etag")),
        &json!({"lastname": "Nguyen"}),
    );
    assert_eq!(replaced.status, 200, "{}", replaced.text());
}

#[test]
fn put_that_creates_checks_the_document_as_a_post_does() {
    let server = people();
    let path = format!("{API}/people/{MISSING}");
    // Required field missing: 422, and nothing is created.
    let put = server.put(&path, None, &json!({"firstname": "Ada"}));
    assert_eq!(put.issues(), json!({"lastname": "required field"}));
    assert_eq!(server.get(&path).status, 404);
    // A stale If-Match does not matter when there is no document (Eve ignores it).
    let put = server.put(&path, Some("0123"), &json!({"lastname": "Lovelace"}));
    assert_eq!(put.status, 201, "{}", put.text());
    // A malformed id is no document's: 404.
    let bad = server.put(
        &format!("{API}/people/not-an-id"),
        None,
        &json!({"lastname": "X"}),
    );
    bad.error(404);
    // A unique value already taken is refused as in a POST.
    let other = format!("{API}/people/5f1e4c2b9d3e2a00123456ac");
    assert_eq!(
        server
            .put(&other, None, &json!({"lastname": "Lovelace"}))
            .issues(),
        json!({"lastname": "value 'Lovelace' is not unique"})
    );
}

#[test]
fn put_that_creates_takes_an_integer_id_beyond_two_to_the_53() {
    let server = support::start_generated!(crm_api, API);
    let id = 9_007_199_254_740_993_i64;
    let put = server.put(
        &format!("{API}/regions/{id}"),
        None,
        &json!({"name": "Île-de-France"}),
    );
    assert_eq!(put.status, 201, "{}", put.text());
    assert_eq!(put.json()["_id"], json!(id));
    let got = server.get(&format!("{API}/regions/{id}")).json();
    assert_eq!(got["_id"], json!(id));
    assert_eq!(got["name"], "Île-de-France");
    // The largest ids are kept for the database's numbering: a region at i64::MAX
    // would leave the next POST no number.
    let top = server.put(
        &format!("{API}/regions/{}", i64::MAX),
        None,
        &json!({"name": "Tout en haut"}),
    );
    assert!(top.error(422).contains("Insertion"), "{}", top.text());
    assert_eq!(
        top.json()["_issues"]["_id"],
        "max value is 4611686018427387904: larger ids are kept for the server's numbering"
    );
    let next = server.post(&format!("{API}/regions"), &json!({"name": "Bretagne"}));
    assert_eq!(next.status, 201, "{}", next.text());
    assert_eq!(next.json()["_id"], json!(id + 1));
}

#[test]
fn upsert_on_put_false_answers_404() {
    let server = support::start_generated!(places_api, API);
    let put = server.put(
        &format!("{API}/drafts/{MISSING}"),
        Some("tag"),
        &json!({"name": "Nowhere"}),
    );
    put.error(404);
    let without = server.put(
        &format!("{API}/drafts/{MISSING}"),
        None,
        &json!({"name": "Nowhere"}),
    );
    // Eve asks for If-Match only of a document it found: a missing one is 404.
    without.error(404);
    // Its neighbour keeps Eve's default.
    let put = server.put(
        &format!("{API}/places/{MISSING}"),
        None,
        &json!({"name": "Somewhere"}),
    );
    assert_eq!(put.status, 201, "{}", put.text());
}

// ---------------------------------------------------------------------------------
// DELETE of a missing document, PATCH with `_id`

#[test]
fn delete_of_a_missing_id_is_204() {
    let server = people();
    let missing = server.delete(&format!("{API}/people/{MISSING}"), Some("any-tag"));
    assert_eq!(missing.status, 204, "{}", missing.text());
    assert!(missing.body.is_empty());
    // Deleted twice with the same tag: the second finds nothing, 204 too.
    let person = server.create("people", json!({"lastname": "Twice"}));
    let path = format!("{API}/people/{}", person["_id"].as_str().expect("id"));
    let tag = person["_etag"].as_str().expect("etag");
    assert_eq!(server.delete(&path, Some(tag)).status, 204);
    assert_eq!(server.delete(&path, Some(tag)).status, 204);
    assert_eq!(server.get(&path).status, 404);
    // Without If-Match too: Eve asks for the header only of a document it found, so
    // a DELETE of nothing is 204 and a PATCH of nothing 404, not 428.
    assert_eq!(server.delete(&path, None).status, 204);
    server
        .patch(&path, None, &json!({"firstname": "Ghost"}))
        .error(404);
    // A document that exists still needs its current tag.
    let kept = server.create("people", json!({"lastname": "Kept"}));
    let path = format!("{API}/people/{}", kept["_id"].as_str().expect("id"));
    server.delete(&path, Some("stale")).error(412);
    server.delete(&path, None).error(428);
    assert_eq!(server.get(&path).status, 200);
}

#[test]
fn patch_that_changes_id_is_400_and_changes_nothing() {
    let server = people();
    let person = server.create(
        "people",
        json!({"lastname": "Immuable", "firstname": "Zoé"}),
    );
    let id = person["_id"].as_str().expect("id").to_string();
    let tag = person["_etag"].as_str().expect("etag").to_string();
    let path = format!("{API}/people/{id}");
    let patched = server.patch(
        &path,
        Some(&tag),
        &json!({"_id": MISSING, "firstname": "Zoë"}),
    );
    assert_eq!(
        patched.error(400),
        "Attempt to update an immutable field. Usually happens when PATCH or PUT include a '_id' field, which is immutable (PUT can include it as long as it is unchanged)."
    );
    let got = server.get(&path);
    assert_eq!(got.etag(), tag);
    assert_eq!(got.json()["firstname"], "Zoé");
    assert_eq!(server.get(&format!("{API}/people/{MISSING}")).status, 404);
    // Not an id at all: a validation issue.
    let bad = server.patch(&path, Some(&tag), &json!({"_id": 42}));
    assert_eq!(bad.issues(), json!({"_id": "must be of objectid type"}));
    // PUT too; and both may repeat the document's own id.
    let put = server.put(
        &path,
        Some(&tag),
        &json!({"_id": MISSING, "lastname": "Autre"}),
    );
    put.error(400);
    let same = server.patch(&path, Some(&tag), &json!({"_id": id, "firstname": "Zoë"}));
    assert_eq!(same.status, 200, "{}", same.text());
    let put = server.put(
        &path,
        Some(&same.etag()),
        &json!({"_id": id, "lastname": "Même"}),
    );
    assert_eq!(put.status, 200, "{}", put.text());
}

// ---------------------------------------------------------------------------------
// where in Python syntax

fn lastnames(server: &TestServer, resource: &str, filter: &str) -> Vec<Value> {
    let mut names = server.column(
        &format!("{API}/{resource}?where={}", enc(filter)),
        "lastname",
    );
    names.sort_by_key(|v| v.to_string());
    names
}

#[test]
fn where_takes_python_expressions() {
    let server = people();
    for person in [
        json!({"lastname": "Doe", "firstname": "John", "age": 40, "born": "Mon, 01 Jan 1900 00:00:00 GMT", "role": ["author"], "location": {"city": "Zürich"}}),
        json!({"lastname": "Døe", "firstname": "Jane", "age": 17, "born": "Sun, 20 Jul 1969 20:17:00 GMT", "role": ["copy"], "email": "jane@example.com"}),
        json!({"lastname": "Roe", "age": 70, "born": "Sat, 01 Jan 2050 00:00:00 GMT", "email": null}),
    ] {
        server.create("people", person);
    }
    let cases: [(&str, &[&str]); 12] = [
        (r#"lastname == "Doe""#, &["Doe"]),
        ("lastname == 'Døe'", &["Døe"]),
        ("age != 40", &["Døe", "Roe"]),
        ("age >= 17 and age < 70", &["Doe", "Døe"]),
        ("age < 18 or age > 65", &["Døe", "Roe"]),
        ("not age == 40", &["Døe", "Roe"]),
        ("not (age == 40 or lastname == 'Roe')", &["Døe"]),
        ("born < datetime(1970, 1, 1)", &["Doe", "Døe"]),
        ("born > datetime(1969, 7, 20, 20, 17, 0)", &["Roe"]),
        ("location.city == 'Zürich'", &["Doe"]),
        ("role in ['author', 'copy']", &["Doe", "Døe"]),
        ("lastname not in ('Doe', 'Roe')", &["Døe"]),
    ];
    for (filter, expected) in cases {
        let expected: Vec<Value> = expected.iter().map(|n| json!(n)).collect();
        assert_eq!(lastnames(&server, "people", filter), expected, "{filter}");
    }
    assert_eq!(
        lastnames(&server, "people", "email == None"),
        vec![json!("Doe"), json!("Roe")]
    );
    // The same answer as the JSON form.
    let json_form = lastnames(
        &server,
        "people",
        r#"{"$or": [{"age": {"$lt": 18}}, {"age": {"$gt": 65}}]}"#,
    );
    assert_eq!(
        json_form,
        lastnames(&server, "people", "age < 18 or age > 65")
    );
}

#[test]
fn python_where_compares_ids_booleans_and_integers_beyond_two_to_the_53() {
    let server = people();
    let person = created_id(&server, "people", json!({"lastname": "Big"}));
    let big = 9_007_199_254_740_993_i64;
    server.create(
        "invoices",
        json!({"number": big, "contact_id": person, "paid": true}),
    );
    server.create("invoices", json!({"number": big - 1, "contact_id": person}));
    let numbers =
        |filter: &str| server.column(&format!("{API}/invoices?where={}", enc(filter)), "number");
    assert_eq!(numbers(&format!("number == {big}")), vec![json!(big)]);
    assert_eq!(numbers("paid == True"), vec![json!(big)]);
    assert_eq!(numbers("paid == False"), vec![json!(big - 1)]);
    assert_eq!(
        numbers(&format!(
            "contact_id == ObjectId('{person}') and number < {big}"
        )),
        vec![json!(big - 1)]
    );
    assert_eq!(
        lastnames(&server, "people", &format!("_id == ObjectId(\"{person}\")")),
        vec![json!("Big")]
    );
}

#[test]
fn python_where_that_does_not_parse_is_400() {
    let server = people();
    let error = |filter: &str| {
        server
            .get(&format!("{API}/people?where={}", enc(filter)))
            .error(400)
    };
    for filter in [
        "lastname = 'Doe'",
        "lastname ==",
        "__import__('os').system('true')",
        "lastname == open('/etc/passwd')",
        "born < datetime(2023, 2, 29)",
        "_id == ObjectId('xyz')",
        "1 == age",
        "age < 3 < 5",
    ] {
        let message = error(filter);
        assert!(
            message.starts_with("Unable to parse `where` clause"),
            "{filter}: {message}"
        );
    }
    // Parsed, then checked as the JSON form is.
    assert_eq!(error("nope == 1"), "unknown field 'nope' in where");
    assert_eq!(
        error("age == 'old'"),
        server
            .get(&format!("{API}/people?where={}", enc(r#"{"age": "old"}"#)))
            .error(400)
    );
    // Malformed JSON stays a JSON error.
    assert!(error(r#"{"lastname": "#).starts_with("where is not valid JSON"));
}

// ---------------------------------------------------------------------------------
// Dotted projection

#[test]
fn projection_takes_dotted_names() {
    let server = people();
    let id = created_id(
        &server,
        "people",
        json!({"lastname": "Dot", "firstname": "Ana", "location": {"city": "Kraków", "address": "Rynek 1"}}),
    );
    let item = server.get(&format!(
        "{API}/people/{id}?projection={}",
        enc(r#"{"location.city": 1}"#)
    ));
    assert_eq!(item.status, 200, "{}", item.text());
    let item = item.json();
    assert_eq!(item["location"], json!({"city": "Kraków"}));
    assert_eq!(item.get("firstname"), None);
    assert_eq!(item.get("lastname"), None);
    assert_eq!(item["_id"], id.as_str());
    assert!(item.get("_etag").is_some());

    let page = server.get(&format!(
        "{API}/people?projection={}",
        enc(r#"{"location.city": 0}"#)
    ));
    assert_eq!(page.status, 200);
    let page = page.json();
    assert_eq!(page["_items"][0]["location"], json!({"address": "Rynek 1"}));
    assert_eq!(page["_items"][0]["firstname"], "Ana");

    let error = server
        .get(&format!(
            "{API}/people?projection={}",
            enc(r#"{"location.zip": 1}"#)
        ))
        .error(400);
    assert_eq!(error, "unknown field 'location.zip' in projection");
}

// ---------------------------------------------------------------------------------
// Paging and counts

#[test]
fn an_api_page_default_above_a_resource_limit_is_cut_to_it() {
    let server = people();
    let person = created_id(&server, "people", json!({"lastname": "Paged"}));
    let invoices: Vec<Value> = (1..=23)
        .map(|n| json!({"number": n, "contact_id": person}))
        .collect();
    let bulk = server.post(&format!("{API}/invoices"), &Value::Array(invoices));
    assert_eq!(bulk.status, 201, "{}", bulk.text());
    // Each written document of a bulk answer links to its contact.
    for item in bulk.json()["_items"].as_array().expect("_items") {
        assert_eq!(
            item["_links"]["related"]["contact_id"]["href"],
            format!("people/{person}")
        );
    }
    let page = server.get(&format!("{API}/invoices")).json();
    assert_eq!(page["_items"].as_array().map(Vec::len), Some(20));
    assert_eq!(
        page["_meta"],
        json!({"page": 1, "max_results": 20, "total": 23})
    );
    // People keep the API's 25.
    assert_eq!(
        server.get(&format!("{API}/people")).json()["_meta"]["max_results"],
        25
    );
}

#[test]
fn head_on_a_collection_has_x_total_count() {
    let server = people();
    for name in ["Un", "Deux", "Trois"] {
        server.create("people", json!({"lastname": name}));
    }
    let head = server.head(&format!("{API}/people?max_results=1"));
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("X-Total-Count"), Some("3"));
    let filtered = server.head(&format!("{API}/people?where={}", enc("lastname == 'Deux'")));
    assert_eq!(filtered.header("X-Total-Count"), Some("1"));
}

#[test]
fn python_where_is_checked_by_validate_filtering_and_allowed_filters_too() {
    let server = support::start_generated!(catalog_api, API);
    server.create(
        "suppliers",
        json!({"name": "acmé", "country": "IT", "rating": 4}),
    );
    let get = |filter: &str| server.get(&format!("{API}/suppliers?where={}", enc(filter)));
    // `validate_filtering`: a value the field could not hold is refused, as in JSON.
    assert!(
        get("rating == 9")
            .error(400)
            .starts_with("filter on 'rating' is invalid")
    );
    assert!(
        get("country in ['IT', 'ZZ']")
            .error(400)
            .starts_with("filter on 'country' is invalid")
    );
    let found = get("country == 'IT' and rating >= 1 and name == 'acmé'");
    assert_eq!(found.status, 200, "{}", found.text());
    assert_eq!(found.json()["_items"].as_array().map(Vec::len), Some(1));
    // `allowed_filters`: only the fields listed.
    let path = format!(
        "{API}/discontinued?where={}",
        enc("price > 1 or name == 'kite'")
    );
    assert_eq!(server.get(&path).error(400), "filter on 'name' not allowed");
    let path = format!(
        "{API}/discontinued?where={}",
        enc("price > 1 and category == 'toys'")
    );
    assert_eq!(server.get(&path).status, 200);
}

#[test]
fn put_that_would_create_an_id_held_under_another_path_is_409() {
    let server = support::start_generated!(crm_api, API);
    let ann = created_id(&server, "contacts", json!({"name": "Ann"}));
    let bob = created_id(&server, "contacts", json!({"name": "Bob"}));
    let invoice = server.post(
        &format!("{API}/contacts/{ann}/invoices"),
        &json!({"number": 1}),
    );
    assert_eq!(invoice.status, 201, "{}", invoice.text());
    let id = invoice.json()["_id"].as_str().expect("id").to_string();
    let put = server.put(
        &format!("{API}/contacts/{bob}/invoices/{id}"),
        None,
        &json!({"number": 2}),
    );
    put.error(409);
    // Ann's invoice is untouched, and Bob has none.
    let got = server
        .get(&format!("{API}/contacts/{ann}/invoices/{id}"))
        .json();
    assert_eq!(got["number"], 1);
    assert!(
        server
            .items(&format!("{API}/contacts/{bob}/invoices"))
            .is_empty()
    );
    // Under a path of its own, a new id is created there.
    let new = format!("{API}/contacts/{bob}/invoices/{MISSING}");
    let created = server.put(&new, None, &json!({"number": 3}));
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(server.get(&new).json()["contact_id"], bob.as_str());
}
