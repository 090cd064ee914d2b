//! End-to-end tests of the generated `people-api` server (`generated-example/people`,
//! made from `specs/people.toml`): each test starts the server in-process on a random
//! port with its own database file and talks HTTP/1.1 to it over a plain TCP socket,
//! the way an Eve client would.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{API, Conn, TestServer, enc, is_object_id, is_rfc1123};

const NOT_FOUND: &str = "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.";
const NOT_ALLOWED: &str = "The method is not allowed for the requested URL.";
const INSERTION_FAILURE: &str = "Insertion failure: 1 document(s) contain(s) error(s)";

fn people() -> String {
    format!("{API}/people")
}

fn person(id: &str) -> String {
    format!("{API}/people/{id}")
}

fn quoted(tag: &str) -> String {
    format!("\"{tag}\"")
}

/// The four people most query tests run against, inserted in this order.
struct Seed {
    doe: String,
    love: String,
    green: String,
    white: String,
}

fn seed(server: &TestServer) -> Seed {
    let response = server.post(
        &people(),
        &json!([
            {
                "firstname": "John", "lastname": "Doe", "role": ["author"],
                "born": "Thu, 27 Aug 1970 14:37:13 GMT", "age": 55,
                "email": "john@example.com",
                "location": {"address": "422 South Gay Street", "city": "Auburn"}
            },
            {
                "firstname": "Serena", "lastname": "Love", "role": ["author", "copy"],
                "born": "Sat, 23 Feb 1985 12:00:00 GMT", "age": 40,
                "email": "serena@example.com", "status": "retired",
                "location": {"address": "4925 Lacross Road", "city": "New York"}
            },
            {
                "firstname": "Mark", "lastname": "Green", "role": ["copy"],
                "born": "Mon, 01 Jan 2001 00:00:00 GMT", "age": 40,
                "location": {"address": "9 Elm Street", "city": "Auburn"}
            },
            {
                "firstname": "Anne", "lastname": "White", "role": ["contributor"],
                "age": 25, "email": null,
                "location": {"address": "1 Rue de Rivoli", "city": "Paris"}
            }
        ]),
    );
    assert_eq!(response.status, 201, "seed: {}", response.text());
    let ids: Vec<String> = response.json()["_items"]
        .as_array()
        .expect("_items")
        .iter()
        .map(|item| item["_id"].as_str().expect("_id").to_string())
        .collect();
    Seed {
        doe: ids[0].clone(),
        love: ids[1].clone(),
        green: ids[2].clone(),
        white: ids[3].clone(),
    }
}

/// The last names a `where` selects, sorted by last name.
fn lastnames_where(server: &TestServer, filter: &str) -> Vec<String> {
    strings(&server.column(
        &format!("{}?where={}&sort=lastname", people(), enc(filter)),
        "lastname",
    ))
}

/// The last names of a collection GET with this query string, in the order served.
fn lastnames(server: &TestServer, query: &str) -> Vec<String> {
    strings(&server.column(&format!("{}?{query}", people()), "lastname"))
}

fn strings(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

/// The 400 message for a `where`.
fn where_error(server: &TestServer, filter: &str) -> String {
    server
        .get(&format!("{}?where={}", people(), enc(filter)))
        .error(400)
}

fn total(server: &TestServer, path: &str) -> u64 {
    let response = server.get(path);
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["_meta"]["total"].as_u64().expect("total")
}

// ---------------------------------------------------------------------------
// POST
// ---------------------------------------------------------------------------

#[test]
fn post_one_document_answers_201_with_location_and_meta_fields() {
    let server = TestServer::start();
    let response = server.post(&people(), &json!({"firstname": "John", "lastname": "Doe"}));
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.header("Content-Type"), Some("application/json"));
    let body = response.json();
    let id = body["_id"].as_str().expect("_id").to_string();
    assert!(is_object_id(&id), "_id {id}");
    assert_eq!(response.header("Location"), Some(person(&id).as_str()));
    assert_eq!(body["_status"], "OK");
    assert!(is_rfc1123(body["_created"].as_str().unwrap()), "{body}");
    assert_eq!(body["_created"], body["_updated"]);
    let etag = body["_etag"].as_str().expect("_etag");
    assert!(etag.len() == 40 && etag.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(response.etag(), etag);
    assert_eq!(
        body["_links"],
        json!({"self": {"title": "person", "href": format!("people/{id}")}})
    );
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 6, "{body}");

    // The stored document: what was sent, the default status, the nullable email as null.
    let stored = server.get(&person(&id)).json();
    assert_eq!(stored["firstname"], "John");
    assert_eq!(stored["lastname"], "Doe");
    assert_eq!(stored["status"], "active");
    assert_eq!(stored["email"], Value::Null);
    assert_eq!(stored["_etag"], etag);
    assert_eq!(stored["_created"], body["_created"]);
}

#[test]
fn post_a_list_inserts_every_document_and_answers_one_item_each() {
    let server = TestServer::start();
    let response = server.post(
        &people(),
        &json!([
            {"firstname": "barack", "lastname": "obama"},
            {"firstname": "mitt", "lastname": "romney"}
        ]),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let body = response.json();
    assert_eq!(body["_status"], "OK");
    let items = body["_items"].as_array().expect("_items");
    assert_eq!(items.len(), 2);
    for item in items {
        assert_eq!(item["_status"], "OK");
        let id = item["_id"].as_str().unwrap();
        assert!(is_object_id(id));
        assert!(is_rfc1123(item["_updated"].as_str().unwrap()));
        assert_eq!(item["_etag"].as_str().unwrap().len(), 40);
        assert_eq!(item["_links"]["self"]["href"], format!("people/{id}"));
    }
    assert_ne!(items[0]["_id"], items[1]["_id"]);
    // Location names the first document created.
    assert_eq!(
        response.header("Location"),
        Some(person(items[0]["_id"].as_str().unwrap()).as_str())
    );
    let stored = server.items(&people());
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0]["_id"], items[0]["_id"]);
    assert_eq!(stored[0]["lastname"], "obama");
    assert_eq!(stored[1]["_id"], items[1]["_id"]);
    assert_eq!(stored[1]["lastname"], "romney");
}

#[test]
fn post_a_list_with_one_invalid_document_inserts_nothing() {
    let server = TestServer::start();
    server.create("people", json!({"lastname": "Existing"}));
    let response = server.post(
        &people(),
        &json!([
            {"firstname": "bill", "lastname": "clinton"},
            {"firstname": "mitt", "lastname": 5},
            {"firstname": "al", "lastname": "gore"}
        ]),
    );
    assert_eq!(response.error(422), INSERTION_FAILURE);
    let body = response.json();
    assert_eq!(
        body["_items"],
        json!([
            {"_status": "OK"},
            {"_status": "ERR", "_issues": {"lastname": "must be of string type"}},
            {"_status": "OK"}
        ])
    );
    assert!(body.get("_issues").is_none(), "{body}");
    // All or nothing: the valid documents of the list were not inserted either.
    assert_eq!(strings(&server.column(&people(), "lastname")), ["Existing"]);
}

#[test]
fn post_one_invalid_document_answers_422_with_issues() {
    let server = TestServer::start();
    let response = server.post(&people(), &json!({"firstname": "Jo"}));
    assert_eq!(response.error(422), INSERTION_FAILURE);
    let body = response.json();
    assert_eq!(body["_issues"], json!({"lastname": "required field"}));
    assert!(body.get("_items").is_none(), "{body}");
    assert_eq!(total(&server, &people()), 0);
}

#[test]
fn a_client_supplied_id_is_used_and_must_be_valid_and_unique() {
    let server = TestServer::start();
    let id = "5a1b2c3d4e5f60718293a4b5";
    let response = server.post(&people(), &json!({"_id": id, "lastname": "Doe"}));
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.json()["_id"], id);
    assert_eq!(response.header("Location"), Some(person(id).as_str()));
    assert_eq!(server.get(&person(id)).json()["lastname"], "Doe");

    let again = server.post(&people(), &json!({"_id": id, "lastname": "Roe"}));
    assert_eq!(
        again.issues(),
        json!({"_id": format!("value '{id}' is not unique")})
    );
    let malformed = server.post(&people(), &json!({"_id": "xyz", "lastname": "Poe"}));
    assert_eq!(
        malformed.issues(),
        json!({"_id": "must be of objectid type"})
    );
    assert_eq!(total(&server, &people()), 1);
}

#[test]
fn meta_fields_have_eve_formats() {
    let server = TestServer::start();
    let created = server.create(
        "people",
        json!({"lastname": "Doe", "born": "Thu, 27 Aug 1970 14:37:13 GMT"}),
    );
    let id = created["_id"].as_str().unwrap();
    assert!(is_object_id(id), "{id}");
    let document = server.get(&person(id)).json();
    assert_eq!(document["_id"], id);
    for field in ["_created", "_updated"] {
        let text = document[field].as_str().unwrap();
        assert!(is_rfc1123(text), "{field} = {text}");
    }
    assert_eq!(document["born"], "Thu, 27 Aug 1970 14:37:13 GMT");
}

// ---------------------------------------------------------------------------
// GET collection: envelope and pagination
// ---------------------------------------------------------------------------

#[test]
fn get_collection_answers_items_meta_and_links() {
    let server = TestServer::start();
    let s = seed(&server);
    let response = server.get(&people());
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Content-Type"), Some("application/json"));
    let tag = response.etag();
    assert!(
        !tag.is_empty() && tag.bytes().all(|b| b.is_ascii_hexdigit()),
        "the page has its own tag: {tag}"
    );
    // Eve's count of what the query matched, on every page.
    assert_eq!(response.header("X-Total-Count"), Some("4"));
    let body = response.json();
    assert_eq!(
        body["_meta"],
        json!({"page": 1, "max_results": 25, "total": 4})
    );
    assert_eq!(
        body["_links"],
        json!({
            "self": {"title": "people", "href": "people"},
            "parent": {"title": "home", "href": "/"}
        })
    );
    let items = body["_items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["_id"], s.doe.as_str());
    assert_eq!(items[0]["firstname"], "John");
    assert_eq!(items[0]["role"], json!(["author"]));
    assert_eq!(items[0]["born"], "Thu, 27 Aug 1970 14:37:13 GMT");
    assert_eq!(
        items[0]["location"],
        json!({"address": "422 South Gay Street", "city": "Auburn"})
    );
    assert_eq!(
        items[0]["_links"],
        json!({"self": {"title": "person", "href": format!("people/{}", s.doe)}})
    );
    assert_eq!(items[3]["email"], Value::Null);

    // Each resource has its own default page size.
    let works = server.get(&format!("{API}/works")).json();
    assert_eq!(
        works["_meta"],
        json!({"page": 1, "max_results": 10, "total": 0})
    );
    assert_eq!(works["_items"], json!([]));
}

#[test]
fn max_results_and_page_walk_the_collection_with_links() {
    let server = TestServer::start();
    for name in ["A", "B", "C", "D", "E"] {
        server.create("people", json!({"lastname": name}));
    }
    let page = |n: u32| {
        server
            .get(&format!("{}?max_results=2&page={n}", people()))
            .json()
    };

    let first = page(1);
    assert_eq!(
        first["_meta"],
        json!({"page": 1, "max_results": 2, "total": 5})
    );
    assert_eq!(
        first["_links"],
        json!({
            "self": {"title": "people", "href": "people"},
            "parent": {"title": "home", "href": "/"},
            "next": {"title": "next page", "href": "people?max_results=2&page=2"},
            "last": {"title": "last page", "href": "people?max_results=2&page=3"}
        })
    );
    let second = page(2);
    assert_eq!(second["_meta"]["page"], 2);
    assert_eq!(
        second["_links"]["prev"],
        json!({"title": "previous page", "href": "people?max_results=2&page=1"})
    );
    assert_eq!(
        second["_links"]["next"]["href"],
        "people?max_results=2&page=3"
    );
    let third = page(3);
    assert!(third["_links"].get("next").is_none(), "{third}");
    assert!(third["_links"].get("last").is_none(), "{third}");
    assert_eq!(
        third["_links"]["prev"]["href"],
        "people?max_results=2&page=2"
    );

    let names: Vec<Value> = [&first, &second, &third]
        .iter()
        .flat_map(|p| p["_items"].as_array().unwrap().clone())
        .map(|item| item["lastname"].clone())
        .collect();
    assert_eq!(
        names,
        json!(["A", "B", "C", "D", "E"]).as_array().unwrap().clone()
    );

    // Past the end: an empty page.
    let beyond = page(4);
    assert_eq!(beyond["_items"], json!([]));
    assert_eq!(beyond["_meta"]["total"], 5);

    // Paging links keep the query's where and sort.
    let filter = r#"{"lastname":{"$ne":"C"}}"#;
    let filtered = server
        .get(&format!(
            "{}?where={}&sort=-lastname&max_results=2",
            people(),
            enc(filter)
        ))
        .json();
    assert_eq!(filtered["_meta"]["total"], 4);
    assert_eq!(
        filtered["_links"]["next"]["href"],
        format!(
            "people?where={}&sort=-lastname&max_results=2&page=2",
            enc(filter)
        )
    );
    let lastnames_of = |page: &Value| -> Vec<Value> {
        page["_items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["lastname"].clone())
            .collect()
    };
    assert_eq!(lastnames_of(&filtered), [json!("E"), json!("D")]);
    // A client follows the link, relative to the API root.
    let href = filtered["_links"]["next"]["href"].as_str().unwrap();
    let next = server.get(&format!("{API}/{href}")).json();
    assert_eq!(lastnames_of(&next), [json!("B"), json!("A")]);
    assert!(next["_links"].get("next").is_none(), "{next}");
}

#[test]
fn max_results_above_the_limit_is_capped_at_50() {
    let server = TestServer::start();
    let documents: Vec<Value> = (0..55)
        .map(|i| json!({"lastname": format!("n{i:02}")}))
        .collect();
    assert_eq!(server.post(&people(), &Value::Array(documents)).status, 201);
    let body = server.get(&format!("{}?max_results=100", people())).json();
    assert_eq!(
        body["_meta"],
        json!({"page": 1, "max_results": 50, "total": 55})
    );
    assert_eq!(body["_items"].as_array().unwrap().len(), 50);
    assert_eq!(
        body["_links"]["next"]["href"],
        "people?max_results=50&page=2"
    );
    let rest = server
        .get(&format!("{}?max_results=100&page=2", people()))
        .json();
    assert_eq!(rest["_items"].as_array().unwrap().len(), 5);
    // Without max_results, the default page size.
    let default = server.get(&people()).json();
    assert_eq!(default["_meta"]["max_results"], 25);
    assert_eq!(default["_links"]["last"]["href"], "people?page=3");
}

#[test]
fn bad_page_or_max_results_answers_400() {
    let server = TestServer::start();
    seed(&server);
    let cases = [
        ("page=0", "Invalid page: expected a positive integer"),
        ("page=-1", "Invalid page: expected a positive integer"),
        (
            "page=abc",
            "Invalid page 'abc': expected a positive integer",
        ),
        (
            "page=1.5",
            "Invalid page '1.5': expected a positive integer",
        ),
        (
            "max_results=0",
            "Invalid max_results: expected a positive integer",
        ),
        (
            "max_results=-5",
            "Invalid max_results: expected a positive integer",
        ),
        (
            "max_results=ten",
            "Invalid max_results 'ten': expected a positive integer",
        ),
    ];
    for (query, message) in cases {
        let response = server.get(&format!("{}?{query}", people()));
        assert_eq!(response.error(400), message, "{query}");
    }
    server.assert_alive();
}

// ---------------------------------------------------------------------------
// sort
// ---------------------------------------------------------------------------

#[test]
fn sort_by_a_comma_list_with_descending_prefix() {
    let server = TestServer::start();
    seed(&server);
    // Ages: Doe 55, Love 40, Green 40, White 25.
    assert_eq!(
        lastnames(&server, "sort=-age,lastname"),
        ["Doe", "Green", "Love", "White"]
    );
    assert_eq!(
        lastnames(&server, "sort=age,-lastname"),
        ["White", "Love", "Green", "Doe"]
    );
    assert_eq!(
        lastnames(&server, "sort=lastname"),
        ["Doe", "Green", "Love", "White"]
    );
}

#[test]
fn sort_by_python_tuple_list() {
    let server = TestServer::start();
    seed(&server);
    let sort = enc(r#"[("lastname", -1)]"#);
    assert_eq!(
        lastnames(&server, &format!("sort={sort}")),
        ["White", "Love", "Green", "Doe"]
    );
    let sort = enc(r#"[("age", 1), ("lastname", -1)]"#);
    assert_eq!(
        lastnames(&server, &format!("sort={sort}")),
        ["White", "Love", "Green", "Doe"]
    );
    let sort = enc(r#"[("born", -1)]"#);
    // White has no born date: missing values sort last when descending.
    assert_eq!(
        lastnames(&server, &format!("sort={sort}"))[..3],
        ["Green", "Love", "Doe"]
    );
}

#[test]
fn sort_by_a_dotted_nested_field() {
    let server = TestServer::start();
    seed(&server);
    // Cities: Doe Auburn, Love New York, Green Auburn, White Paris.
    assert_eq!(
        lastnames(&server, "sort=location.city,-lastname"),
        ["Green", "Doe", "Love", "White"]
    );
    assert_eq!(
        lastnames(&server, "sort=-location.city"),
        ["White", "Love", "Doe", "Green"]
    );
    let sort = enc(r#"[("location.city", 1)]"#);
    assert_eq!(
        lastnames(&server, &format!("sort={sort}")),
        ["Doe", "Green", "Love", "White"]
    );
}

#[test]
fn bad_sort_answers_400() {
    let server = TestServer::start();
    seed(&server);
    let cases = [
        ("nope".to_string(), "unknown field 'nope' in sort"),
        ("-age,nope".to_string(), "unknown field 'nope' in sort"),
        (
            "location.zip".to_string(),
            "unknown field 'location.zip' in sort",
        ),
        (
            r#"[('lastname', -1)]"#.to_string(),
            "sort: field names must be in double quotes",
        ),
        (
            r#"[("lastname", 2)]"#.to_string(),
            "sort direction for 'lastname' must be 1 or -1",
        ),
        (
            "lastname; DROP TABLE people".to_string(),
            "unknown field 'lastname; DROP TABLE people' in sort",
        ),
    ];
    for (sort, message) in cases {
        let response = server.get(&format!("{}?sort={}", people(), enc(&sort)));
        assert_eq!(response.error(400), message, "sort={sort}");
    }
    assert_eq!(total(&server, &people()), 4);
}

// ---------------------------------------------------------------------------
// where
// ---------------------------------------------------------------------------

#[test]
fn where_equality_and_comparison_operators() {
    let server = TestServer::start();
    seed(&server);
    let cases: &[(&str, &[&str])] = &[
        (r#"{"lastname": "Doe"}"#, &["Doe"]),
        (r#"{"age": 40}"#, &["Green", "Love"]),
        (r#"{"status": "retired"}"#, &["Love"]),
        (r#"{"age": {"$gt": 40}}"#, &["Doe"]),
        (r#"{"age": {"$gte": 40}}"#, &["Doe", "Green", "Love"]),
        (r#"{"age": {"$lt": 40}}"#, &["White"]),
        (r#"{"age": {"$lte": 40}}"#, &["Green", "Love", "White"]),
        (r#"{"age": {"$ne": 40}}"#, &["Doe", "White"]),
        (
            r#"{"age": {"$gt": 20, "$lt": 50}}"#,
            &["Green", "Love", "White"],
        ),
        (r#"{"age": {"$in": [25, 55]}}"#, &["Doe", "White"]),
        (r#"{"age": {"$nin": [25, 55]}}"#, &["Green", "Love"]),
        (r#"{"lastname": {"$in": ["Doe", "Nobody"]}}"#, &["Doe"]),
        (r#"{"lastname": {"$regex": "^[GL]"}}"#, &["Green", "Love"]),
        (
            r#"{"email": {"$regex": "example\\.com$"}}"#,
            &["Doe", "Love"],
        ),
        (r#"{"born": {"$exists": false}}"#, &["White"]),
        (r#"{"born": {"$exists": true}}"#, &["Doe", "Green", "Love"]),
        (r#"{"email": null}"#, &["Green", "White"]),
        (
            r#"{"$and": [{"age": 40}, {"status": "active"}]}"#,
            &["Green"],
        ),
        (
            r#"{"$or": [{"lastname": "Doe"}, {"age": {"$lt": 30}}]}"#,
            &["Doe", "White"],
        ),
        (r#"{}"#, &["Doe", "Green", "Love", "White"]),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            lastnames_where(&server, filter),
            *expected,
            "where={filter}"
        );
    }
}

#[test]
fn where_reaches_nested_fields_lists_and_dates() {
    let server = TestServer::start();
    seed(&server);
    let cases: &[(&str, &[&str])] = &[
        // Dotted path into a dict.
        (r#"{"location.city": "Auburn"}"#, &["Doe", "Green"]),
        (
            r#"{"location.city": {"$ne": "Auburn"}}"#,
            &["Love", "White"],
        ),
        (
            r#"{"$or": [{"location.city": "Paris"}, {"location.city": "New York"}]}"#,
            &["Love", "White"],
        ),
        // A scalar against a list: the list contains it.
        (r#"{"role": "author"}"#, &["Doe", "Love"]),
        (r#"{"role": "copy"}"#, &["Green", "Love"]),
        (r#"{"role": {"$in": ["contributor"]}}"#, &["White"]),
        // Dates compare as dates, given in RFC 1123.
        (r#"{"born": "Thu, 27 Aug 1970 14:37:13 GMT"}"#, &["Doe"]),
        (
            r#"{"born": {"$gte": "Sat, 23 Feb 1985 12:00:00 GMT"}}"#,
            &["Green", "Love"],
        ),
        (
            r#"{"born": {"$gt": "Sat, 23 Feb 1985 12:00:00 GMT"}}"#,
            &["Green"],
        ),
        (
            r#"{"born": {"$lt": "Tue, 01 Jan 1980 00:00:00 GMT"}}"#,
            &["Doe"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            lastnames_where(&server, filter),
            *expected,
            "where={filter}"
        );
    }
}

#[test]
fn bad_where_answers_400() {
    let server = TestServer::start();
    seed(&server);
    assert_eq!(
        where_error(&server, r#"{"nope": 1}"#),
        "unknown field 'nope' in where"
    );
    assert_eq!(
        where_error(&server, r#"{"location.zip": "75001"}"#),
        "unknown field 'location.zip' in where"
    );
    assert!(
        where_error(&server, r#"{"lastname": "#).starts_with("where is not valid JSON"),
        "malformed JSON"
    );
    assert_eq!(
        where_error(&server, r#"["Doe"]"#),
        "where must be a JSON object"
    );
    assert_eq!(
        where_error(&server, r#"{"age": {"$foo": 1}}"#),
        "unknown operator '$foo' on field 'age' in where"
    );
    assert_eq!(
        where_error(&server, r#"{"$where": "1 == 1"}"#),
        "unknown operator '$where' in where"
    );
    assert_eq!(
        where_error(&server, r#"{"age": "old"}"#),
        "field 'age' in where: $eq expects an integer, got a string"
    );
    assert_eq!(
        where_error(&server, r#"{"age": {"$gt": "old"}}"#),
        "field 'age' in where: $gt expects an integer, got a string"
    );
    assert_eq!(
        where_error(&server, r#"{"age": {"$in": 25}}"#),
        "field 'age' in where: $in expects an array, got an integer"
    );
    assert_eq!(
        where_error(&server, r#"{"born": {"$gt": "yesterday"}}"#),
        "field 'born' in where: not an RFC 1123 date (like 'Tue, 19 Apr 2016 08:19:00 GMT')"
    );
    assert_eq!(
        where_error(&server, r#"{"born": {"$exists": "yes"}}"#),
        "field 'born' in where: $exists expects true or false, got a string"
    );
    assert_eq!(
        where_error(&server, r#"{"$or": {"age": 1}}"#),
        "$or in where needs a non-empty array"
    );
    assert!(
        where_error(&server, r#"{"lastname": {"$regex": "("}}"#)
            .starts_with("field 'lastname' in where: invalid $regex"),
    );
    server.assert_alive();
}

#[test]
fn where_injection_attempts_match_nothing_or_answer_400() {
    let server = TestServer::start();
    seed(&server);
    // A value is a value: it is compared, never spliced into SQL.
    let response = server.get(&format!(
        "{}?where={}",
        people(),
        enc(r#"{"lastname": "x' OR 1=1 --"}"#)
    ));
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["_items"], json!([]));
    assert_eq!(body["_meta"]["total"], 0);
    assert_eq!(
        lastnames_where(&server, r#"{"lastname": "\" OR \"\"=\""}"#),
        Vec::<String>::new()
    );
    // A field name is checked against the schema.
    assert_eq!(
        where_error(&server, r#"{"lastname\" OR 1=1 --": "x"}"#),
        "unknown field 'lastname\" OR 1=1 --' in where"
    );
    assert_eq!(
        where_error(&server, r#"{"location.city') OR 1=1 --": "x"}"#),
        "unknown field 'location.city') OR 1=1 --' in where"
    );
    // Nothing was harmed.
    assert_eq!(total(&server, &people()), 4);
}

// ---------------------------------------------------------------------------
// GET item and conditional requests
// ---------------------------------------------------------------------------

#[test]
fn get_item_answers_with_etag_last_modified_and_links() {
    let server = TestServer::start();
    let s = seed(&server);
    let response = server.get(&person(&s.love));
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Content-Type"), Some("application/json"));
    let body = response.json();
    assert_eq!(response.etag(), body["_etag"].as_str().unwrap());
    assert_eq!(response.header("Last-Modified"), body["_updated"].as_str());
    assert_eq!(
        body["_links"],
        json!({
            "self": {"title": "person", "href": format!("people/{}", s.love)},
            "parent": {"title": "home", "href": "/"},
            "collection": {"title": "people", "href": "people"}
        })
    );
    assert_eq!(body["_id"], s.love.as_str());
    assert_eq!(body["firstname"], "Serena");
    assert_eq!(body["lastname"], "Love");
    assert_eq!(body["role"], json!(["author", "copy"]));
    assert_eq!(body["born"], "Sat, 23 Feb 1985 12:00:00 GMT");
    assert_eq!(body["age"], 40);
    assert_eq!(body["email"], "serena@example.com");
    assert_eq!(body["status"], "retired");
    assert_eq!(
        body["location"],
        json!({"address": "4925 Lacross Road", "city": "New York"})
    );
}

#[test]
fn get_absent_or_malformed_item_answers_404() {
    let server = TestServer::start();
    seed(&server);
    for id in [
        "000000000000000000000000",
        "not-an-id",
        "zzzzzzzzzzzzzzzzzzzzzzzz",
        "5a1b2c3d4e5f60718293a4b5ff",
    ] {
        assert_eq!(server.get(&person(id)).error(404), NOT_FOUND, "{id}");
    }
}

#[test]
fn if_none_match_with_the_current_etag_answers_304() {
    let server = TestServer::start();
    let s = seed(&server);
    let first = server.get(&person(&s.doe));
    let tag = first.etag();
    let cached = server.get_with(&person(&s.doe), &[("If-None-Match", &quoted(&tag))]);
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    assert_eq!(cached.etag(), tag);
    let other = server.get_with(&person(&s.doe), &[("If-None-Match", "\"0123456789\"")]);
    assert_eq!(other.status, 200);
    assert_eq!(other.json()["lastname"], "Doe");

    // The collection has its own tag, which changes with its contents.
    let list = server.get(&people());
    let list_tag = list.etag();
    assert_ne!(list_tag, tag);
    let cached = server.get_with(&people(), &[("If-None-Match", &quoted(&list_tag))]);
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    server.create("people", json!({"lastname": "Newcomer"}));
    let changed = server.get_with(&people(), &[("If-None-Match", &quoted(&list_tag))]);
    assert_eq!(changed.status, 200);
    assert_ne!(changed.etag(), list_tag);
    assert_eq!(changed.json()["_meta"]["total"], 5);

    // Deleting a document changes the page's tag, though not its newest change: so
    // If-Modified-Since is ignored on pages (as in Eve, #334), If-None-Match is not.
    let before = server.get(&people());
    let modified = before
        .header("Last-Modified")
        .expect("Last-Modified")
        .to_string();
    let deleted = server.delete(&person(&s.doe), Some(&quoted(&tag)));
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let after = server.get_with(
        &people(),
        &[
            ("If-None-Match", &quoted(&before.etag())),
            ("If-Modified-Since", &modified),
        ],
    );
    assert_eq!(after.status, 200);
    assert_eq!(after.header("X-Total-Count"), Some("4"));
}

#[test]
fn if_modified_since_answers_304_unless_changed_since() {
    let server = TestServer::start();
    let s = seed(&server);
    let response = server.get(&person(&s.green));
    let last_modified = response
        .header("Last-Modified")
        .expect("Last-Modified")
        .to_string();
    assert!(is_rfc1123(&last_modified));
    let since = |date: &str| server.get_with(&person(&s.green), &[("If-Modified-Since", date)]);

    let same = since(&last_modified);
    assert_eq!(same.status, 304);
    assert!(same.body.is_empty());
    assert_eq!(since("Fri, 01 Jan 2100 00:00:00 GMT").status, 304);
    let before = since("Thu, 01 Jan 2015 00:00:00 GMT");
    assert_eq!(before.status, 200);
    assert_eq!(before.json()["lastname"], "Green");
    // A date that does not parse is ignored.
    assert_eq!(since("yesterday").status, 200);
}

// ---------------------------------------------------------------------------
// PUT, PATCH, DELETE
// ---------------------------------------------------------------------------

#[test]
fn put_replaces_the_document_and_refills_defaults() {
    let server = TestServer::start();
    let created = server.create(
        "people",
        json!({
            "firstname": "John", "lastname": "Doe", "age": 40, "status": "retired",
            "location": {"address": "422 South Gay Street", "city": "Auburn"}
        }),
    );
    let id = created["_id"].as_str().unwrap();
    let old = created["_etag"].as_str().unwrap();
    let response = server.put(
        &person(id),
        Some(&quoted(old)),
        &json!({"firstname": "Johnny", "lastname": "Doe"}),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["_status"], "OK");
    assert_eq!(body["_id"], id);
    let new = body["_etag"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(response.etag(), new);
    assert_eq!(body["_created"], created["_created"]);
    assert!(is_rfc1123(body["_updated"].as_str().unwrap()));
    assert_eq!(body["_links"]["self"]["href"], format!("people/{id}"));

    let stored = server.get(&person(id)).json();
    assert_eq!(stored["firstname"], "Johnny");
    assert_eq!(stored["lastname"], "Doe");
    assert!(stored.get("age").is_none(), "age kept: {stored}");
    assert!(stored.get("location").is_none(), "location kept: {stored}");
    assert_eq!(stored["status"], "active");
    assert_eq!(stored["_etag"], new);

    // A replacement is validated like an insertion.
    let invalid = server.put(&person(id), Some(&quoted(new)), &json!({"firstname": "X"}));
    assert_eq!(invalid.issues(), json!({"lastname": "required field"}));
    // The old tag is now stale.
    let stale = server.put(&person(id), Some(&quoted(old)), &json!({"lastname": "Doe"}));
    assert_eq!(stale.error(412), "Client and server etags don't match");
}

#[test]
fn patch_updates_only_the_fields_sent() {
    let server = TestServer::start();
    let s = seed(&server);
    let before = server.get(&person(&s.doe));
    let old = before.etag();
    let response = server.patch(&person(&s.doe), Some(&quoted(&old)), &json!({"age": 56}));
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["_status"], "OK");
    assert_eq!(body["_id"], s.doe.as_str());
    let new = body["_etag"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(response.etag(), new);

    let after = server.get(&person(&s.doe));
    assert_eq!(after.etag(), new);
    let mut expected = before.json();
    let after = after.json();
    expected["age"] = json!(56);
    for field in [
        "firstname",
        "lastname",
        "role",
        "born",
        "age",
        "email",
        "status",
        "location",
        "_created",
    ] {
        assert_eq!(after[field], expected[field], "{field}");
    }

    // A patch is validated too, and a bad one changes nothing.
    let invalid = server.patch(
        &person(&s.doe),
        Some(&quoted(&new)),
        &json!({"age": -3, "nick": 1}),
    );
    assert_eq!(
        invalid.issues(),
        json!({"age": "min value is 0", "nick": "unknown field"})
    );
    assert_eq!(server.get(&person(&s.doe)).json()["age"], 56);
}

#[test]
fn patch_with_a_dotted_key_keeps_the_other_subfields() {
    let server = TestServer::start();
    let s = seed(&server);
    let tag = server.get(&person(&s.doe)).etag();
    let response = server.patch(
        &person(&s.doe),
        Some(&quoted(&tag)),
        &json!({"location.city": "Paris"}),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        server.get(&person(&s.doe)).json()["location"],
        json!({"address": "422 South Gay Street", "city": "Paris"})
    );
}

#[test]
fn patch_with_a_nested_object_is_the_same_as_a_dotted_key() {
    let server = TestServer::start();
    let s = seed(&server);
    let tag = server.get(&person(&s.green)).etag();
    let response = server.patch(
        &person(&s.green),
        Some(&quoted(&tag)),
        &json!({"location": {"city": "Paris"}}),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        server.get(&person(&s.green)).json()["location"],
        json!({"address": "9 Elm Street", "city": "Paris"})
    );
    // A nested sub-field is validated against the dict's schema.
    let tag = response.etag();
    let invalid = server.patch(
        &person(&s.green),
        Some(&quoted(&tag)),
        &json!({"location.city": 75}),
    );
    assert_eq!(
        invalid.issues(),
        json!({"location": {"city": "must be of string type"}})
    );
}

#[test]
fn writes_without_if_match_answer_428() {
    let server = TestServer::start();
    let s = seed(&server);
    let message = "To edit a document its etag must be provided using the If-Match header";
    let before = server.get(&person(&s.doe)).json();
    assert_eq!(
        server
            .patch(&person(&s.doe), None, &json!({"age": 1}))
            .error(428),
        message
    );
    assert_eq!(
        server
            .put(&person(&s.doe), None, &json!({"lastname": "Doe"}))
            .error(428),
        message
    );
    assert_eq!(server.delete(&person(&s.doe), None).error(428), message);
    assert_eq!(server.get(&person(&s.doe)).json(), before);
}

#[test]
fn writes_with_a_stale_etag_answer_412_and_the_right_one_succeeds() {
    let server = TestServer::start();
    let s = seed(&server);
    let message = "Client and server etags don't match";
    let wrong = quoted("0123456789abcdef0123456789abcdef01234567");
    assert_eq!(
        server
            .patch(&person(&s.love), Some(&wrong), &json!({"age": 41}))
            .error(412),
        message
    );
    assert_eq!(
        server
            .put(&person(&s.love), Some(&wrong), &json!({"lastname": "Love"}))
            .error(412),
        message
    );
    assert_eq!(
        server.delete(&person(&s.love), Some(&wrong)).error(412),
        message
    );

    // The current tag, but weak: If-Match compares strongly (RFC 9110), as Eve does.
    let current = server.get(&person(&s.love)).etag();
    let weak = format!("W/{}", quoted(&current));
    assert_eq!(
        server
            .patch(&person(&s.love), Some(&weak), &json!({"age": 41}))
            .error(412),
        message
    );
    assert_eq!(
        server.delete(&person(&s.love), Some(&weak)).error(412),
        message
    );
    // If-None-Match compares weakly: the weak tag still gets a 304.
    let cached = server.get_with(&person(&s.love), &[("If-None-Match", &weak)]);
    assert_eq!(cached.status, 304);

    // The right tag: the write goes through, and the tag it replaced is stale.
    let old = server.get(&person(&s.love)).etag();
    let patched = server.patch(&person(&s.love), Some(&quoted(&old)), &json!({"age": 41}));
    assert_eq!(patched.status, 200);
    let new = patched.etag();
    assert_eq!(
        server
            .patch(&person(&s.love), Some(&quoted(&old)), &json!({"age": 42}))
            .error(412),
        message
    );
    assert_eq!(
        server
            .delete(&person(&s.love), Some(&quoted(&old)))
            .error(412),
        message
    );
    assert_eq!(server.get(&person(&s.love)).json()["age"], 41);
    let deleted = server.delete(&person(&s.love), Some(&quoted(&new)));
    assert_eq!(deleted.status, 204);
    // Writes to an absent document: 404.
    assert_eq!(
        server
            .patch(&person(&s.love), Some(&quoted(&new)), &json!({"age": 43}))
            .error(404),
        NOT_FOUND
    );
}

#[test]
fn delete_item_answers_204_then_the_item_is_gone() {
    let server = TestServer::start();
    let s = seed(&server);
    let tag = server.get(&person(&s.white)).etag();
    let response = server.delete(&person(&s.white), Some(&quoted(&tag)));
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    assert_eq!(server.get(&person(&s.white)).error(404), NOT_FOUND);
    // Deleting it again finds nothing to delete: Eve answers 204.
    let again = server.delete(&person(&s.white), Some(&quoted(&tag)));
    assert_eq!(again.status, 204);
    assert_eq!(total(&server, &people()), 3);
}

#[test]
fn delete_collection_answers_204_then_the_collection_is_empty() {
    let server = TestServer::start();
    let s = seed(&server);
    let response = server.delete(&people(), None);
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    let body = server.get(&people()).json();
    assert_eq!(body["_items"], json!([]));
    assert_eq!(body["_meta"]["total"], 0);
    assert_eq!(server.get(&person(&s.doe)).error(404), NOT_FOUND);
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

#[test]
fn validation_rules_answer_with_eve_messages() {
    let server = TestServer::start();
    let contact = server.create("people", json!({"lastname": "Contact"}));
    let contact = contact["_id"].as_str().unwrap().to_string();
    let invoice = |extra: Value| {
        let mut document = json!({"number": 1, "contact_id": contact});
        for (key, value) in extra.as_object().unwrap() {
            document[key] = value.clone();
        }
        document
    };
    let cases: Vec<(&str, Value, Value)> = vec![
        ("people", json!({}), json!({"lastname": "required field"})),
        (
            "people",
            json!({"lastname": "Doe", "nickname": "JD"}),
            json!({"nickname": "unknown field"}),
        ),
        (
            "people",
            json!({"lastname": 5}),
            json!({"lastname": "must be of string type"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "age": "old"}),
            json!({"age": "must be of integer type"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "age": 1.5}),
            json!({"age": "must be of integer type"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "born": "1970-08-27T14:37:13Z"}),
            json!({"born": "must be of datetime type"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "location": "Paris"}),
            json!({"location": "must be of dict type"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "role": "author"}),
            json!({"role": "must be of list type"}),
        ),
        (
            "invoices",
            json!({"number": 1, "contact_id": "not-an-object-id"}),
            json!({"contact_id": "must be of objectid type"}),
        ),
        (
            "invoices",
            invoice(json!({"paid": "yes"})),
            json!({"paid": "must be of boolean type"}),
        ),
        (
            "invoices",
            invoice(json!({"total": "12.50"})),
            json!({"total": "must be of float type"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "firstname": ""}),
            json!({"firstname": "min length is 1"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "firstname": "Bartholomew"}),
            json!({"firstname": "max length is 10"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "age": -1}),
            json!({"age": "min value is 0"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "age": 151}),
            json!({"age": "max value is 150"}),
        ),
        (
            "invoices",
            invoice(json!({"number": 0})),
            json!({"number": "min value is 1"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "email": "not an email"}),
            json!({"email": "value does not match regex '[^@ ]+@[^@ ]+'"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "status": "dead"}),
            json!({"status": "unallowed value dead"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "role": ["author", "boss", "chief"]}),
            json!({"role": "unallowed values ('boss', 'chief')"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "firstname": null}),
            json!({"firstname": "null value not allowed"}),
        ),
        (
            "people",
            json!({"lastname": null}),
            json!({"lastname": "null value not allowed"}),
        ),
        (
            "people",
            json!({"lastname": "Doe", "location": {"zip": "75001"}}),
            json!({"location": {"zip": "unknown field"}}),
        ),
        (
            "invoices",
            invoice(json!({"lines": [{"qty": 2}]})),
            json!({"lines": {"0": {"product": "required field"}}}),
        ),
        (
            "invoices",
            invoice(json!({"lines": [{"product": "pen", "qty": 1}, {"product": 5, "qty": 0}]})),
            json!({"lines": {"1": {"product": "must be of string type", "qty": "min value is 1"}}}),
        ),
        (
            "works",
            json!({"title": "T", "tags": ["ok", "a-tag-longer-than-twenty"]}),
            json!({"tags": {"1": "max length is 20"}}),
        ),
        (
            "people",
            json!({"firstname": "", "age": 200, "nickname": 1}),
            json!({
                "lastname": "required field",
                "firstname": "min length is 1",
                "age": "max value is 150",
                "nickname": "unknown field"
            }),
        ),
    ];
    for (resource, document, expected) in cases {
        let response = server.post(&format!("{API}/{resource}"), &document);
        assert_eq!(response.issues(), expected, "POST {resource} {document}");
        assert_eq!(response.error(422), INSERTION_FAILURE);
    }
    // Nothing was inserted.
    assert_eq!(total(&server, &people()), 1);
    assert_eq!(total(&server, &format!("{API}/invoices")), 0);
    assert_eq!(total(&server, &format!("{API}/works")), 0);
}

#[test]
fn nullable_fields_accept_null() {
    let server = TestServer::start();
    let created = server.create("people", json!({"lastname": "Doe", "email": null}));
    let stored = server.get(&person(created["_id"].as_str().unwrap())).json();
    assert_eq!(stored["email"], Value::Null);
    // And a valid value replaces it.
    let tag = created["_etag"].as_str().unwrap();
    let id = created["_id"].as_str().unwrap();
    let response = server.patch(
        &person(id),
        Some(&quoted(tag)),
        &json!({"email": "doe@example.com"}),
    );
    assert_eq!(response.status, 200);
    let tag = response.etag();
    let response = server.patch(&person(id), Some(&quoted(&tag)), &json!({"email": null}));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(server.get(&person(id)).json()["email"], Value::Null);
}

#[test]
fn unique_fields_are_unique_across_requests_and_within_one() {
    let server = TestServer::start();
    let doe = server.create("people", json!({"lastname": "Doe"}));
    let response = server.post(&people(), &json!({"lastname": "Doe"}));
    assert_eq!(
        response.issues(),
        json!({"lastname": "value 'Doe' is not unique"})
    );

    let bulk = server.post(
        &people(),
        &json!([{"lastname": "Smith"}, {"lastname": "Smith"}]),
    );
    assert_eq!(bulk.error(422), INSERTION_FAILURE);
    assert_eq!(
        bulk.json()["_items"],
        json!([
            {"_status": "OK"},
            {"_status": "ERR", "_issues": {"lastname": "value 'Smith' is not unique"}}
        ])
    );
    assert_eq!(strings(&server.column(&people(), "lastname")), ["Doe"]);

    // PATCH onto another document's value is refused; keeping one's own is fine.
    let roe = server.create("people", json!({"lastname": "Roe"}));
    let roe_id = roe["_id"].as_str().unwrap();
    let taken = server.patch(
        &person(roe_id),
        Some(&quoted(roe["_etag"].as_str().unwrap())),
        &json!({"lastname": "Doe"}),
    );
    assert_eq!(
        taken.issues(),
        json!({"lastname": "value 'Doe' is not unique"})
    );
    let doe_id = doe["_id"].as_str().unwrap();
    let same = server.patch(
        &person(doe_id),
        Some(&quoted(doe["_etag"].as_str().unwrap())),
        &json!({"lastname": "Doe", "age": 30}),
    );
    assert_eq!(same.status, 200, "{}", same.text());
}

#[test]
fn data_relation_must_name_an_existing_document() {
    let server = TestServer::start();
    let absent = "5a1b2c3d4e5f60718293a4b5";
    let response = server.post(
        &format!("{API}/invoices"),
        &json!({"number": 10, "contact_id": absent}),
    );
    assert_eq!(
        response.issues(),
        json!({"contact_id": format!("value '{absent}' must exist in resource 'people', field '_id'.")})
    );

    let contact = server.create("people", json!({"lastname": "Doe"}));
    let contact_id = contact["_id"].as_str().unwrap();
    let created = server.create(
        "invoices",
        json!({"number": 10, "contact_id": contact_id, "total": 12.5,
               "lines": [{"product": "pen", "qty": 2}]}),
    );
    let id = created["_id"].as_str().unwrap();
    let invoice = server.get(&format!("{API}/invoices/{id}"));
    assert_eq!(invoice.status, 200);
    let invoice = invoice.json();
    assert_eq!(invoice["number"], 10);
    assert_eq!(invoice["contact_id"], contact_id);
    assert_eq!(invoice["total"], 12.5);
    assert_eq!(invoice["lines"], json!([{"product": "pen", "qty": 2}]));
    // The default.
    assert_eq!(invoice["paid"], false);
    assert_eq!(
        invoice["_links"]["self"],
        json!({"title": "invoice", "href": format!("invoices/{id}")})
    );
    // Invoices of a contact, the Eve way.
    let filter = format!(r#"{{"contact_id": "{contact_id}"}}"#);
    let listed = server.items(&format!("{API}/invoices?where={}", enc(&filter)));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["_id"], id);
}

#[test]
fn defaults_are_filled_on_insert() {
    let server = TestServer::start();
    let contact = server.create("people", json!({"lastname": "Doe"}));
    let stored = server.get(&person(contact["_id"].as_str().unwrap())).json();
    assert_eq!(stored["status"], "active");
    let invoice = server.create(
        "invoices",
        json!({"number": 1, "contact_id": contact["_id"]}),
    );
    let stored = server
        .get(&format!(
            "{API}/invoices/{}",
            invoice["_id"].as_str().unwrap()
        ))
        .json();
    assert_eq!(stored["paid"], false);
    // A value sent is kept.
    let retired = server.create("people", json!({"lastname": "Roe", "status": "retired"}));
    let stored = server.get(&person(retired["_id"].as_str().unwrap())).json();
    assert_eq!(stored["status"], "retired");
}

// ---------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------

#[test]
fn methods_not_in_the_spec_answer_405() {
    let server = TestServer::start();
    let contact = server.create("people", json!({"lastname": "Doe"}));
    let contact_id = contact["_id"].as_str().unwrap();
    let invoice = server.create("invoices", json!({"number": 1, "contact_id": contact_id}));
    let invoice_id = invoice["_id"].as_str().unwrap();
    let tag = quoted(invoice["_etag"].as_str().unwrap());

    // Invoices: item methods GET, PATCH, DELETE; collection methods GET, POST.
    let put = server.put(
        &format!("{API}/invoices/{invoice_id}"),
        Some(&tag),
        &json!({"number": 2, "contact_id": contact_id}),
    );
    assert_eq!(put.error(405), NOT_ALLOWED);
    assert_eq!(put.header("Allow"), Some("GET,HEAD,PATCH,DELETE"));
    let delete = server.delete(&format!("{API}/invoices"), None);
    assert_eq!(delete.error(405), NOT_ALLOWED);
    assert_eq!(delete.header("Allow"), Some("GET,HEAD,POST"));
    assert_eq!(
        server
            .put(&format!("{API}/invoices"), None, &json!({}))
            .error(405),
        NOT_ALLOWED
    );
    // Works: no DELETE on the collection; people: no POST on an item.
    assert_eq!(
        server.delete(&format!("{API}/works"), None).error(405),
        NOT_ALLOWED
    );
    assert_eq!(
        server
            .post(&person(contact_id), &json!({"lastname": "X"}))
            .error(405),
        NOT_ALLOWED
    );
    // Nothing changed.
    let stored = server.get(&format!("{API}/invoices/{invoice_id}")).json();
    assert_eq!(stored["number"], 1);
    assert_eq!(total(&server, &format!("{API}/invoices")), 1);
}

#[test]
fn unknown_paths_answer_404() {
    let server = TestServer::start();
    for path in [
        "/api/v1/nope",
        "/nope",
        "/",
        "/api/v2/people",
        "/api/v1/people/5a1b2c3d4e5f60718293a4b5/invoices",
    ] {
        assert_eq!(server.get(path).error(404), NOT_FOUND, "{path}");
    }
    assert_eq!(
        server.post("/api/v1/nope", &json!({"a": 1})).error(404),
        NOT_FOUND
    );
}

#[test]
fn head_answers_the_get_headers_without_a_body() {
    let server = TestServer::start();
    let s = seed(&server);
    for path in [people(), person(&s.doe)] {
        let get = server.get(&path);
        let mut conn = Conn::new(server.connect());
        let head = conn.send("HEAD", &path, &[], None, false);
        assert_eq!(head.status, 200, "{path}");
        assert_eq!(head.header("Content-Type"), Some("application/json"));
        assert_eq!(head.header("ETag"), get.header("ETag"));
        assert_eq!(head.header("Last-Modified"), get.header("Last-Modified"));
        let length = get.body.len().to_string();
        assert_eq!(head.header("Content-Length"), Some(length.as_str()));
        // No body follows the headers: the connection closes with nothing more.
        let mut rest = Vec::new();
        conn.stream()
            .try_clone()
            .unwrap()
            .read_to_end(&mut rest)
            .unwrap();
        assert!(
            rest.is_empty(),
            "HEAD sent a body: {:?}",
            String::from_utf8_lossy(&rest)
        );
    }
    let absent = server.head(&person("000000000000000000000000"));
    assert_eq!(absent.status, 404);
}

#[test]
fn home_lists_the_resources() {
    let server = TestServer::start();
    for path in ["/api/v1/", "/api/v1"] {
        let response = server.get(path);
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.header("Content-Type"), Some("application/json"));
        assert_eq!(
            response.json()["_links"]["child"],
            json!([
                {"href": "people", "title": "people"},
                {"href": "invoices", "title": "invoices"},
                {"href": "works", "title": "works"}
            ])
        );
    }
}

#[test]
fn openapi_document_is_served() {
    let server = TestServer::start();
    let response = server.get("/openapi.json");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Content-Type"), Some("application/json"));
    let document = response.json();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["title"], "People API");
    assert_eq!(document["info"]["version"], "1.0.0");
    assert_eq!(document["servers"][0]["url"], "/api/v1");
    let invoice_item = document["paths"]["/invoices/{id}"]
        .as_object()
        .expect("invoice item path");
    assert!(invoice_item.contains_key("patch"));
    assert!(!invoice_item.contains_key("put"), "invoices have no PUT");
}

// ---------------------------------------------------------------------------
// Bad request bodies
// ---------------------------------------------------------------------------

#[test]
fn bad_bodies_answer_4xx_and_the_server_keeps_serving() {
    let server = TestServer::start();
    let json_type = ("Content-Type", "application/json");
    let post = |headers: &[(&str, &str)], body: &[u8]| {
        server.request("POST", &people(), headers, Some(body))
    };

    let malformed = post(&[json_type], br#"{"lastname": "#);
    assert!(
        malformed
            .error(400)
            .starts_with("The request body is not valid JSON"),
        "{}",
        malformed.text()
    );
    server.assert_alive();

    let text = post(&[("Content-Type", "text/plain")], br#"{"lastname": "Doe"}"#);
    // Neither JSON nor a form: 400, as Eve answers.
    assert_eq!(
        text.error(400).split(':').next(),
        Some("Unknown or no Content-Type header supplied")
    );
    server.assert_alive();

    let untyped = post(&[], br#"{"lastname": "Doe"}"#);
    assert_eq!(
        untyped.error(400).split(':').next(),
        Some("Unknown or no Content-Type header supplied")
    );
    server.assert_alive();

    let empty = post(&[json_type], b"");
    assert_eq!(
        empty.error(400),
        "The request body is empty: send a JSON document"
    );
    server.assert_alive();

    for scalar in [&b"42"[..], b"\"Doe\"", b"null", b"true"] {
        assert_eq!(
            post(&[json_type], scalar).error(400),
            "Send a JSON object, or a list of objects for a bulk insert",
            "{}",
            String::from_utf8_lossy(scalar)
        );
    }
    assert_eq!(
        post(&[json_type], br#"[{"lastname": "Doe"}, 1, "x"]"#).error(400),
        "Every item of a bulk insert must be a JSON object"
    );
    assert_eq!(
        post(&[json_type], b"[]").error(400),
        "A bulk insert needs at least one document"
    );
    server.assert_alive();

    // The same checks on PATCH and PUT.
    let created = server.create("people", json!({"lastname": "Doe"}));
    let item = person(created["_id"].as_str().unwrap());
    let tag = quoted(created["_etag"].as_str().unwrap());
    for method in ["PATCH", "PUT"] {
        let with_tag = |content_type: &'static str| {
            vec![("Content-Type", content_type), ("If-Match", tag.as_str())]
        };
        let list = server.request(method, &item, &with_tag("application/json"), Some(b"[1]"));
        assert_eq!(
            list.error(400),
            "Send the document as a JSON object",
            "{method}"
        );
        let bad = server.request(method, &item, &with_tag("application/json"), Some(b"{"));
        assert!(
            bad.error(400)
                .starts_with("The request body is not valid JSON")
        );
        let text = server.request(method, &item, &with_tag("text/plain"), Some(b"{}"));
        assert_eq!(
            text.error(400).split(':').next(),
            Some("Unknown or no Content-Type header supplied")
        );
    }
    // None of it was stored.
    assert_eq!(strings(&server.column(&people(), "lastname")), ["Doe"]);
    assert_eq!(server.get(&item).json()["_etag"], created["_etag"]);
}

#[test]
fn json_content_types_with_parameters_or_suffixes_are_accepted() {
    let server = TestServer::start();
    for (content_type, name) in [
        ("application/json; charset=utf-8", "Doe"),
        ("APPLICATION/JSON", "Roe"),
        ("application/merge-patch+json", "Poe"),
    ] {
        let body = json!({"lastname": name}).to_string();
        let response = server.request(
            "POST",
            &people(),
            &[("Content-Type", content_type)],
            Some(body.as_bytes()),
        );
        assert_eq!(response.status, 201, "{content_type}: {}", response.text());
    }
    assert_eq!(total(&server, &people()), 3);
}

#[test]
fn bodies_over_the_limit_answer_413() {
    let server = TestServer::start_with(|config| config.max_body_bytes = 1024);
    let message = "The request body is larger than the limit of 1024 bytes";
    let big = json!({"lastname": "Doe", "firstname": "x".repeat(2000)}).to_string();

    // Declared with Content-Length.
    let response = server.request(
        "POST",
        &people(),
        &[("Content-Type", "application/json")],
        Some(big.as_bytes()),
    );
    assert_eq!(response.error(413), message);
    server.assert_alive();

    // Sent chunked, so the size is only known while reading.
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        people()
    )
    .into_bytes();
    for chunk in big.as_bytes().chunks(500) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(server.raw(&request).error(413), message);
    server.assert_alive();

    // A client that waits for `100 Continue` is refused before it sends the body.
    let mut waiting = server.connect();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: 5000\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        people()
    );
    waiting.write_all(head.as_bytes()).unwrap();
    let refused = support::read_response(&mut std::io::BufReader::new(waiting), false).unwrap();
    assert_eq!(refused.error(413), message);

    // A keep-alive connection that got a 413 still serves its next request.
    let mut conn = Conn::new(server.connect());
    let response = conn.send(
        "POST",
        &people(),
        &[("Content-Type", "application/json")],
        Some(big.as_bytes()),
        true,
    );
    assert_eq!(response.error(413), message);
    let next = conn.send("GET", &people(), &[], None, false);
    assert_eq!(next.status, 200);

    // Just under the limit: read and validated (here: too long a first name).
    let under = json!({"lastname": "Doe", "firstname": "x".repeat(980)}).to_string();
    assert!(under.len() <= 1024);
    let response = server.post(&people(), &serde_json::from_str(&under).unwrap());
    assert_eq!(response.issues(), json!({"firstname": "max length is 10"}));

    // A small chunked body is fine.
    let small = br#"{"lastname": "Doe"}"#;
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n",
        people(),
        small.len()
    )
    .into_bytes();
    request.extend_from_slice(small);
    request.extend_from_slice(b"\r\n0\r\n\r\n");
    let response = server.raw(&request);
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(strings(&server.column(&people(), "lastname")), ["Doe"]);
}

#[test]
fn malformed_http_is_refused_and_the_server_keeps_serving() {
    let server = TestServer::start();
    let garbage = server.raw(b"THIS IS NOT HTTP\r\n\r\n");
    assert_eq!(garbage.status, 400);
    server.assert_alive();
    let bad_header = server.raw(b"GET /api/v1/people HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n");
    assert_eq!(bad_header.status, 400);
    server.assert_alive();
    let two_lengths = server.raw(
        b"POST /api/v1/people HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
          Content-Length: 19\r\nContent-Length: 20\r\nConnection: close\r\n\r\n{\"lastname\": \"Zed\"}",
    );
    assert_eq!(two_lengths.status, 400);
    let mut many_headers = String::from("GET /api/v1/people HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for i in 0..150 {
        many_headers.push_str(&format!("X-Header-{i}: v\r\n"));
    }
    many_headers.push_str("Connection: close\r\n\r\n");
    assert_eq!(server.raw(many_headers.as_bytes()).status, 431);
    let long_uri = format!(
        "GET /api/v1/people?where={} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        "a".repeat(100_000)
    );
    assert_eq!(server.raw(long_uri.as_bytes()).status, 414);
    // A header that is not text reaches the API and gets its envelope.
    let created = server.create("people", json!({"lastname": "Doe"}));
    let mut request = format!(
        "DELETE {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nIf-Match: \"",
        person(created["_id"].as_str().unwrap())
    )
    .into_bytes();
    request.extend_from_slice(b"\xff\"\r\n\r\n");
    assert_eq!(
        server.raw(&request).error(400),
        "The If-Match header is not valid text"
    );
    // Nesting deeper than the JSON parser allows is refused, not recursed into.
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    let response = server.request(
        "POST",
        &people(),
        &[("Content-Type", "application/json")],
        Some(deep.as_bytes()),
    );
    assert!(response.error(400).contains("recursion limit exceeded"));
    let deep_where = "{\"$and\":[".repeat(200) + "{}" + &"]}".repeat(200);
    assert!(where_error(&server, &deep_where).contains("recursion limit exceeded"));
    assert_eq!(total(&server, &people()), 1);
}

#[test]
fn concurrent_writes_with_the_same_etag_let_exactly_one_win() {
    let server = TestServer::start();
    let s = seed(&server);
    let tag = quoted(&server.get(&person(&s.love)).etag());
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let (server, tag, id) = (&server, &tag, &s.love);
                scope.spawn(move || {
                    server
                        .patch(&person(id), Some(tag), &json!({"age": 60 + i}))
                        .status
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let winners: Vec<usize> = (0..8).filter(|&i| statuses[i] == 200).collect();
    assert_eq!(winners.len(), 1, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|&&s| s == 412).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(server.get(&person(&s.love)).json()["age"], 60 + winners[0]);
}

#[test]
fn concurrent_inserts_of_a_unique_value_let_exactly_one_win() {
    let server = TestServer::start();
    let responses: Vec<support::Response> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..8)
            .map(|_| {
                let server = &server;
                scope.spawn(move || server.post(&people(), &json!({"lastname": "Racer"})))
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let created = responses.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1);
    for response in responses.iter().filter(|r| r.status != 201) {
        assert_eq!(
            response.issues(),
            json!({"lastname": "value 'Racer' is not unique"})
        );
    }
    assert_eq!(total(&server, &people()), 1);
}

// ---------------------------------------------------------------------------
// Connection limits and timeouts
// ---------------------------------------------------------------------------

#[test]
fn a_client_that_stalls_mid_request_is_disconnected_after_the_header_read_timeout() {
    let server =
        TestServer::start_with(|config| config.header_read_timeout = Duration::from_secs(1));
    let mut slow = server.connect();
    slow.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    slow.write_all(b"GET /api/v1/peo").unwrap();
    let started = Instant::now();

    // Others are served while the slow client hangs.
    server.assert_alive();

    let mut received = Vec::new();
    match slow.read_to_end(&mut received) {
        Ok(_) => {}
        Err(error) if error.kind() == ErrorKind::ConnectionReset => {}
        Err(error) => panic!("the stalled connection was not closed within 3 s: {error}"),
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(800),
        "closed before the timeout: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    // Closed without an answer to the half request.
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
    server.assert_alive();
}

#[test]
fn a_silent_connection_does_not_hold_a_slot_past_the_header_read_timeout() {
    let server = TestServer::start_with(|config| {
        config.max_connections = 1;
        config.header_read_timeout = Duration::from_secs(1);
    });
    // Connected first, so accepted first: it takes the only slot and sends nothing.
    let silent = server.connect();
    let started = Instant::now();
    // The only slot is held until the silent client is cut off; then this is served.
    server.assert_alive();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(700),
        "served while the slot was held: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    drop(silent);
}

/// Send `head` (a request's line and headers, declaring a body it never sends) and
/// read until the server closes the connection or `within` passes.
fn declare_a_body_and_send_none(
    addr: std::net::SocketAddr,
    head: &str,
    within: Duration,
) -> (String, Duration) {
    let mut conn = std::net::TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(within)).unwrap();
    conn.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    match conn.read_to_end(&mut received) {
        Ok(_) => {}
        Err(error) if error.kind() == ErrorKind::ConnectionReset => {}
        Err(error) => panic!(
            "still open after {within:?} ({error}); received {:?}",
            String::from_utf8_lossy(&received)
        ),
    }
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn a_body_that_never_arrives_gets_408_and_frees_the_connection() {
    let server = TestServer::start_with(|config| {
        config.max_connections = 2;
        config.body_read_timeout = Duration::from_secs(1);
    });
    let post = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
        people()
    );
    // Two such clients hold both slots; a third is served once they are cut off.
    let stalled = std::thread::spawn({
        let post = post.clone();
        let addr = server.addr;
        move || declare_a_body_and_send_none(addr, &post, Duration::from_secs(5))
    });
    let (answer, elapsed) =
        declare_a_body_and_send_none(server.addr, &post, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("did not arrive within 1 seconds"),
        "{answer}"
    );
    assert!(answer.contains("\"_status\":\"ERR\""), "{answer}");
    assert!(elapsed >= Duration::from_millis(800), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    let (other, _) = stalled.join().unwrap();
    assert!(other.starts_with("HTTP/1.1 408"), "{other}");
    server.assert_alive();
    // Nothing was created.
    assert_eq!(server.get(&people()).json()["_meta"]["total"], 0);

    // A GET that declares a body it never sends is answered, and its connection ends
    // too rather than waiting for the body.
    let get = format!(
        "GET {} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
        people()
    );
    let (answer, _) = declare_a_body_and_send_none(server.addr, &get, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    server.assert_alive();
}

#[test]
fn with_max_connections_2_a_third_connection_waits_for_a_free_slot() {
    let server = TestServer::start_with(|config| config.max_connections = 2);
    let mut first = Conn::new(server.connect());
    let mut second = Conn::new(server.connect());
    // Both connections are served and kept open (keep-alive).
    for conn in [&mut first, &mut second] {
        let response = conn.send("GET", &people(), &[], None, true);
        assert_eq!(response.status, 200);
    }

    // A third connection's request is not answered while both slots are taken.
    let mut third = Conn::new(server.connect());
    third
        .write_request("GET", &people(), &[], None, false)
        .unwrap();
    third
        .stream()
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    match third.read(false) {
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("third connection answered while two were held: {other:?}"),
    }
    // The held connections still work.
    let again = first.send("GET", &format!("{API}/works"), &[], None, true);
    assert_eq!(again.status, 200);

    // One closes: the third is served.
    drop(first);
    third
        .stream()
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let response = third.read(false).expect("third connection answered");
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["_meta"]["total"], 0);
    let response = second.send("GET", &people(), &[], None, false);
    assert_eq!(response.status, 200);
}

#[test]
fn every_answer_tells_browsers_not_to_sniff_its_type() {
    let server = TestServer::start();
    let s = seed(&server);
    let bad_where = format!("{}?where=%7Bnope", people());
    let answers = [
        server.get(&people()),
        server.get(&person(&s.doe)),
        server.get(&format!("{API}/")),
        server.get("/openapi.json"),
        server.get(&format!("{API}/nowhere")),
        server.get(&bad_where),
        server.head(&people()),
        server.post(&people(), &json!({"lastname": 5})),
        server.post(&people(), &json!({"lastname": "Sniff"})),
        server.request("DELETE", &person(&s.doe), &[], None),
    ];
    for answer in answers {
        assert_eq!(
            answer.header("X-Content-Type-Options"),
            Some("nosniff"),
            "{} {:?}",
            answer.status,
            answer.headers
        );
    }
}

#[test]
fn xml_answers_stay_well_formed_when_a_string_holds_control_characters() {
    let server = TestServer::start();
    let created = server.create(
        "people",
        json!({"firstname": "a\u{0}b\u{1b}c", "lastname": "Ctl\r\nx"}),
    );
    let id = created["_id"].as_str().expect("an id").to_string();
    // JSON keeps the string exactly.
    assert_eq!(
        server.get(&person(&id)).json()["firstname"],
        "a\u{0}b\u{1b}c"
    );
    let xml = server.get_with(&person(&id), &[("Accept", "application/xml")]);
    assert_eq!(xml.status, 200);
    let text = xml.text();
    assert!(
        text.contains("<firstname>a\u{fffd}b\u{fffd}c</firstname>"),
        "{text}"
    );
    assert!(
        text.contains("<lastname>Ctl&#13;&#10;x</lastname>"),
        "{text}"
    );
    assert!(!text.chars().any(|c| c.is_control()), "{text:?}");
}

#[test]
fn a_bulk_post_over_bulk_max_items_is_413_before_any_document_is_checked() {
    let server = TestServer::start();
    // 100,000 empty documents (300 KB, within the body cap): refused at once, in a
    // small answer, however many of them are invalid.
    let many = Value::Array(vec![json!({}); 100_000]);
    let refused = server.post(&people(), &many);
    assert_eq!(refused.status, 413, "{}", refused.text());
    assert!(refused.body.len() < 200, "{} bytes", refused.body.len());
    assert_eq!(
        refused.json()["_error"]["message"],
        "A bulk insert takes at most 1000 documents; this one has 100000"
    );
    // At the cap, each document is checked: 1,000 invalid ones are a 422 with one
    // entry each, and nothing is inserted.
    let at_cap = Value::Array(vec![json!({}); 1000]);
    let invalid = server.post(&people(), &at_cap);
    assert_eq!(invalid.status, 422);
    assert_eq!(
        invalid.json()["_items"].as_array().map(Vec::len),
        Some(1000)
    );
    let valid: Vec<Value> = (0..1000)
        .map(|i| json!({"lastname": format!("Bulk{i}")}))
        .collect();
    let created = server.post(&people(), &Value::Array(valid));
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(server.get(&people()).json()["_meta"]["total"], 1000);
}

#[test]
fn a_path_that_is_not_utf8_is_404_in_the_envelope() {
    let server = TestServer::start();
    let s = seed(&server);
    for path in [
        format!("{API}/people/%FF"),
        format!("{API}/people/%C3%28"),
        format!("{API}/people/%FF/invoices"),
    ] {
        let answer = server.get(&path);
        assert_eq!(answer.status, 404, "{path}: {}", answer.text());
        assert_eq!(answer.json()["_status"], "ERR", "{path}");
        assert_eq!(answer.header("Content-Type"), Some("application/json"));
    }
    let patch = server.patch(
        &format!("{API}/people/%FF"),
        Some("\"x\""),
        &json!({"age": 1}),
    );
    assert_eq!(patch.status, 404, "{}", patch.text());
    assert_eq!(patch.json()["_status"], "ERR");
    // A well-formed path still reaches its document.
    assert_eq!(server.get(&person(&s.doe)).status, 200);
}
