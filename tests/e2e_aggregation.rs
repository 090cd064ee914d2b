//! Aggregation endpoints (Eve's `datasource.aggregation`) over real HTTP, on the
//! crate generated from `specs/library.toml`: `books_per_author` (`$match` with
//! placeholders, `$sort`, `$group` with every accumulator, `$sort`), `editions`
//! (`$group` by a string) and `shelf` (no `$group`: `$match` with `$or`, `$sort`,
//! `$limit`, `$project`, unpaginated).

mod support;

use serde_json::{Value, json};
use support::TestServer;

const API: &str = "/api/v1";

fn start() -> TestServer {
    support::start_generated!(library_api, API)
}

/// `?aggregate=` as a client sends it: the JSON, percent-encoded.
fn aggregate(path: &str, values: &Value) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("aggregate", &values.to_string())
        .finish();
    format!("{API}/{path}?{query}")
}

/// `books_per_author` with both `$match` conditions left out (`{}`, as in Eve) and
/// `values` for the other placeholders: every group.
fn per_author(values: Value) -> String {
    let mut all = json!({"$since": {}, "$tag": {}});
    for (key, value) in values.as_object().expect("an object") {
        all[key] = value.clone();
    }
    aggregate("books_per_author", &all)
}

fn author(server: &TestServer, name: &str) -> String {
    server.create("authors", json!({ "name": name }))["_id"]
        .as_str()
        .expect("an id")
        .to_string()
}

fn book(server: &TestServer, document: Value) {
    server.create("books", document);
}

/// Borges: three books, one of them published before 1970 and one with more pages
/// than a double holds exactly; Cortázar: two.
fn shelve(server: &TestServer) -> (String, String) {
    let borges = author(server, "Jorge Luis Borges");
    let cortazar = author(server, "Julio Cortázar");
    book(
        server,
        json!({"title": "Ficciones", "author": borges, "pages": 174,
            "published": "Sat, 01 Jan 1944 00:00:00 GMT", "tags": ["cuentos"]}),
    );
    book(
        server,
        json!({"title": "El Aleph", "author": borges, "pages": 146,
            "published": "Sat, 01 Jan 1949 00:00:00 GMT", "tags": ["cuentos"]}),
    );
    book(
        server,
        json!({"title": "La biblioteca total", "author": borges, "pages": 9_007_199_254_740_993_i64,
            "published": "Sat, 01 Jan 2000 00:00:00 GMT", "tags": ["ensayos"]}),
    );
    book(
        server,
        json!({"title": "Rayuela", "author": cortazar, "pages": 600,
            "published": "Tue, 01 Jan 1963 00:00:00 GMT", "tags": ["novela"]}),
    );
    book(
        server,
        json!({"title": "Bestiario", "author": cortazar, "pages": 160,
            "published": "Mon, 01 Jan 1951 00:00:00 GMT", "tags": ["cuentos"]}),
    );
    (borges, cortazar)
}

/// Every accumulator, per author, most books first: `$count`, `$sum` beyond 2^53
/// exact, `$avg`, `$min`/`$max` of dates before 1970, `$first`/`$last` in the order of
/// the `$sort` before `$group` (published), and a `$sum` of an unfilled placeholder (0).
#[test]
fn groups_books_per_author_with_every_accumulator() {
    let server = start();
    let (borges, cortazar) = shelve(&server);
    let response = server.get(&per_author(json!({})));
    assert_eq!(response.status, 200, "{}", response.text());
    // Eve's aggregation answer has no ETag, Last-Modified or X-Total-Count.
    assert_eq!(response.header("ETag"), None);
    assert_eq!(response.header("X-Total-Count"), None);
    let body = response.json();
    let items = body["_items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{body}");
    let first = &items[0];
    assert_eq!(first["_id"], json!(borges));
    assert_eq!(first["books"], json!(3));
    assert_eq!(first["pages"], json!(9_007_199_254_740_993_i64 + 174 + 146));
    assert_eq!(first["copies"], json!(0));
    assert_eq!(first["first_published"], "Sat, 01 Jan 1944 00:00:00 GMT");
    assert_eq!(first["last_published"], "Sat, 01 Jan 2000 00:00:00 GMT");
    assert_eq!(first["first_title"], "Ficciones");
    assert_eq!(first["latest_title"], "La biblioteca total");
    assert!(first.get("_links").is_none() && first.get("_etag").is_none());
    let second = &items[1];
    assert_eq!(second["_id"], json!(cortazar));
    assert_eq!(second["books"], json!(2));
    assert_eq!(second["pages"], json!(760));
    assert_eq!(second["average_pages"], json!(380.0));
    assert_eq!(second["first_published"], "Mon, 01 Jan 1951 00:00:00 GMT");
    assert_eq!(second["first_title"], "Bestiario");
    assert_eq!(second["latest_title"], "Rayuela");
    assert_eq!(
        body["_meta"],
        json!({"page": 1, "max_results": 10, "total": 2})
    );
    assert_eq!(
        body["_links"],
        json!({"self": {"title": "books_per_author", "href": "books_per_author"},
            "parent": {"title": "home", "href": "/"}})
    );
}

/// `?aggregate=` fills the placeholders: a date for `$gte`, a tag, a number summed per
/// document; `{}` drops a condition (Eve's pruning); names the pipeline does not have,
/// or without `$`, are ignored.
#[test]
fn placeholders_come_from_the_aggregate_parameter() {
    let server = start();
    let (borges, cortazar) = shelve(&server);
    let since = per_author(json!({"$since": "Sat, 01 Jan 1949 00:00:00 GMT", "$copies": 3}));
    let items = server.items(&since);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["_id"], json!(borges));
    assert_eq!(items[0]["books"], json!(2));
    assert_eq!(items[0]["copies"], json!(6));
    assert_eq!(items[0]["first_title"], "El Aleph");
    assert_eq!(items[1]["_id"], json!(cortazar));
    assert_eq!(items[1]["copies"], json!(6));

    let tagged = per_author(json!({"$tag": "cuentos", "$copies": 0.5}));
    let items = server.items(&tagged);
    assert_eq!(items.len(), 2);
    assert_eq!(
        (items[0]["_id"].clone(), items[0]["books"].clone()),
        (json!(borges), json!(2))
    );
    assert_eq!(items[0]["copies"], json!(1.0));
    assert_eq!(
        (items[1]["_id"].clone(), items[1]["books"].clone()),
        (json!(cortazar), json!(1))
    );

    let pruned = aggregate(
        "books_per_author",
        &json!({"$since": {}, "$tag": {}, "$unknown": 1, "since": "x"}),
    );
    assert_eq!(server.column(&pruned, "books"), vec![json!(3), json!(2)]);
}

/// A pipeline over no documents, or whose `$match` keeps none, answers no groups
/// (MongoDB's `$group` makes none from nothing), with a total of 0.
#[test]
fn empty_results() {
    let server = start();
    let body = server.get(&format!("{API}/books_per_author")).json();
    assert_eq!(body["_items"], json!([]));
    assert_eq!(body["_meta"]["total"], json!(0));
    shelve(&server);
    let future = aggregate(
        "books_per_author",
        &json!({"$since": "Fri, 01 Jan 2100 00:00:00 GMT"}),
    );
    let body = server.get(&future).json();
    assert_eq!(body["_items"], json!([]));
    assert_eq!(
        body["_meta"],
        json!({"page": 1, "max_results": 10, "total": 0})
    );
}

/// Group keys are the titles, non-ASCII ones too, in `$sort` order (code points);
/// `$min` of dates before 1970 and `$max` of integers.
#[test]
fn non_ascii_group_keys() {
    let server = start();
    let borges = author(&server, "Borges");
    for (title, published, pages) in [
        ("Ficciones", "Sat, 01 Jan 1944 00:00:00 GMT", 174),
        ("Ficciones", "Sun, 01 Jan 1956 00:00:00 GMT", 203),
        ("Ωmega — Ἀλφα", "Tue, 01 Jan 1901 00:00:00 GMT", 1),
        ("Émile", "Fri, 01 Jan 1762 00:00:00 GMT", 900),
        ("日本語の本", "Thu, 01 Jan 1970 00:00:00 GMT", 42),
    ] {
        book(
            &server,
            json!({"title": title, "author": borges, "published": published, "pages": pages}),
        );
    }
    let items = server.items(&format!("{API}/editions"));
    let keys: Vec<&str> = items
        .iter()
        .map(|i| i["_id"].as_str().expect("a title"))
        .collect();
    assert_eq!(keys, ["Ficciones", "Émile", "Ωmega — Ἀλφα", "日本語の本"]);
    assert_eq!(items[0]["editions"], json!(2));
    assert_eq!(items[0]["first_published"], "Sat, 01 Jan 1944 00:00:00 GMT");
    assert_eq!(items[0]["most_pages"], json!(203));
    assert_eq!(items[1]["first_published"], "Fri, 01 Jan 1762 00:00:00 GMT");
    assert_eq!(items[2]["first_published"], "Tue, 01 Jan 1901 00:00:00 GMT");
}

/// Pagination after the pipeline: `_meta` counts the groups, `max_results` and `page`
/// move through them, and the paging links keep `aggregate`.
#[test]
fn results_are_paginated() {
    let server = start();
    for i in 0..12 {
        let id = author(&server, &format!("Autor nº {i:02}"));
        for _ in 0..=i {
            book(
                &server,
                json!({"title": format!("Libro {i}"), "author": id, "pages": 10}),
            );
        }
    }
    let every = per_author(json!({}));
    let first = server.get(&every).json();
    let books: Vec<i64> = first["_items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["books"].as_i64().expect("a count"))
        .collect();
    assert_eq!(books, (3..=12).rev().collect::<Vec<_>>());
    assert_eq!(
        first["_meta"],
        json!({"page": 1, "max_results": 10, "total": 12})
    );
    let query = every.split_once('?').expect("a query").1;
    let page_two = format!("books_per_author?{query}&page=2");
    assert_eq!(first["_links"]["next"]["href"], page_two.as_str());
    assert_eq!(first["_links"]["last"]["href"], page_two.as_str());
    let second = server.get(&format!("{API}/{page_two}")).json();
    assert_eq!(second["_items"].as_array().map(Vec::len), Some(2));
    assert_eq!(second["_items"][1]["books"], json!(1));
    assert_eq!(
        second["_links"]["prev"]["href"],
        format!("books_per_author?{query}&page=1").as_str()
    );
    assert!(second["_links"].get("next").is_none());

    let filtered = format!("{}&max_results=5&page=2", per_author(json!({"$copies": 1})));
    let page = server.get(&filtered).json();
    assert_eq!(
        page["_meta"],
        json!({"page": 2, "max_results": 5, "total": 12})
    );
    assert_eq!(page["_items"][0]["books"], json!(7));
    assert_eq!(page["_items"][0]["copies"], json!(7));
    let next = page["_links"]["next"]["href"]
        .as_str()
        .expect("a next link");
    let query = filtered.split_once('?').expect("a query").1;
    assert_eq!(
        next,
        format!("books_per_author?{}", query.replace("page=2", "page=3"))
    );
    let last = server.get(&format!("{API}/{next}")).json();
    assert_eq!(last["_items"].as_array().map(Vec::len), Some(2));
    assert_eq!(last["_items"][0]["copies"], json!(2));
    let beyond = server.get(&format!("{every}&page=9")).json();
    assert_eq!(beyond["_items"], json!([]));
    assert_eq!(beyond["_meta"]["total"], json!(12));
}

/// A pipeline without `$group` serves the documents themselves, as plain objects: the
/// `$or` of placeholders, `$sort`, `$limit` and `$project` (`_id` kept); with
/// `pagination = false`, no `_meta` and every result.
#[test]
fn documents_through_a_pipeline_without_group() {
    let server = start();
    shelve(&server);
    // An unfilled placeholder matches nothing, as in Eve; `{}` leaves its branch out.
    assert_eq!(server.items(&format!("{API}/shelf")), Vec::<Value>::new());
    let all = server
        .get(&aggregate("shelf", &json!({"$title": {}, "$isbn": {}})))
        .json();
    assert!(all.get("_meta").is_none(), "{all}");
    let items = all["_items"].as_array().expect("items");
    let titles: Vec<&str> = items
        .iter()
        .map(|i| i["title"].as_str().expect("a title"))
        .collect();
    assert_eq!(
        titles,
        [
            "Bestiario",
            "El Aleph",
            "Ficciones",
            "La biblioteca total",
            "Rayuela"
        ]
    );
    let ficciones = &items[2];
    let mut keys: Vec<&str> = ficciones
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["_id", "pages", "published", "title"]);
    assert_eq!(ficciones["published"], "Sat, 01 Jan 1944 00:00:00 GMT");
    assert_eq!(
        items[3]["pages"],
        json!(9_007_199_254_740_993_i64),
        "integers beyond 2^53 stay exact"
    );

    let one = aggregate("shelf", &json!({"$title": "Rayuela"}));
    assert_eq!(server.column(&one, "title"), vec![json!("Rayuela")]);
    let none = aggregate("shelf", &json!({"$title": "Nadie", "$isbn": "000-0000000"}));
    assert_eq!(server.items(&none), Vec::<Value>::new());
    // `page` and `max_results` are ignored without pagination, as in Eve.
    assert_eq!(
        server
            .items(&format!(
                "{}&page=2&max_results=1",
                aggregate("shelf", &json!({"$title": {}, "$isbn": {}}))
            ))
            .len(),
        5
    );
}

/// A malformed `?aggregate=` is Eve's 400; so is a placeholder value the field (or the
/// accumulator) cannot take.
#[test]
fn a_bad_aggregate_is_400() {
    let server = start();
    shelve(&server);
    for bad in ["ciao", "[1]", "{\"$since\":", "\"text\""] {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("aggregate", bad)
            .finish();
        let message = server
            .get(&format!("{API}/books_per_author?{query}"))
            .error(400);
        assert_eq!(message, "Aggregation query could not be parsed.");
    }
    let not_a_date = aggregate("books_per_author", &json!({"$since": 1944}));
    let message = server.get(&not_a_date).error(400);
    assert!(message.contains("published"), "{message}");
    let not_a_number = aggregate("books_per_author", &json!({"$copies": "três"}));
    assert_eq!(
        server.get(&not_a_number).error(400),
        "aggregate: '$copies' must be a number"
    );
    // An empty `aggregate=` is no placeholder at all: the unfilled conditions match
    // nothing, as without the parameter.
    assert_eq!(
        server.items(&format!("{API}/books_per_author?aggregate=")),
        Vec::<Value>::new()
    );
}

/// An aggregation endpoint answers GET (and HEAD) only: other methods are 405, and it
/// has no item routes. The home page lists it.
#[test]
fn only_get_is_allowed() {
    let server = start();
    let path = format!("{API}/books_per_author");
    server.post(&path, &json!({"books": 1})).error(405);
    server.delete(&path, None).error(405);
    server.patch(&path, None, &json!({})).error(405);
    server.put(&path, None, &json!({})).error(405);
    assert_eq!(server.head(&path).status, 200);
    server
        .get(&format!("{path}/5f8d0d55b54764421b7156c9"))
        .error(404);
    let home = server.get(API).json();
    let children: Vec<&str> = home["_links"]["child"]
        .as_array()
        .expect("children")
        .iter()
        .map(|c| c["href"].as_str().expect("an href"))
        .collect();
    assert!(children.contains(&"books_per_author") && children.contains(&"shelf"));
}

/// A `$sum` beyond a 64-bit integer goes on as a float, as MongoDB's does, rather than
/// failing.
#[test]
fn sums_beyond_64_bits_become_floats() {
    let server = start();
    let id = author(&server, "Prolífico");
    for _ in 0..2 {
        book(
            &server,
            json!({"title": "Tomo", "author": id, "pages": 1_i64 << 62}),
        );
    }
    let items = server.items(&per_author(json!({})));
    assert_eq!(items[0]["pages"], json!(9_223_372_036_854_775_808.0_f64));
    assert_eq!(items[0]["books"], json!(2));
}
