//! What a GET returns, as the spec's query options decide (`specs/catalog.toml`):
//! datasources (several endpoints over one table, each behind a fixed filter),
//! `allowed_filters` (resource and API level), `sorting = false` and `default_sort`,
//! `pagination = false` and the page caps, `projection` (per request, as a datasource
//! default, switched off) and `validate_filtering`.

mod support;

use serde_json::{Value, json};
use support::{TestServer, enc};

const API: &str = "/api/v1";

fn start() -> TestServer {
    support::start_generated!(catalog_api, API)
}

/// Six products: three on sale (two of them cheap), three discontinued.
fn seeded() -> (TestServer, Vec<String>) {
    let server = start();
    let products = [
        json!({"name": "hammer", "price": 12.5, "cost": 7.0, "category": "tools", "stock": 3}),
        json!({"name": "apple", "price": 0.5, "cost": 0.2, "category": "food", "stock": 100}),
        json!({"name": "yoyo", "price": 4.0, "cost": 1.0, "category": "toys", "stock": 0}),
        json!({"name": "kite", "price": 20.0, "cost": 9.0, "category": "toys", "discontinued": true}),
        json!({"name": "drill", "price": 80.0, "category": "tools", "discontinued": true}),
        json!({"name": "marble", "price": 1.0, "category": "toys", "discontinued": true}),
    ];
    let ids = products
        .into_iter()
        .map(|p| {
            server.create("products", p)["_id"]
                .as_str()
                .expect("an id")
                .to_string()
        })
        .collect();
    (server, ids)
}

fn names(server: &TestServer, path: &str) -> Vec<String> {
    server
        .column(&format!("{API}/{path}"), "name")
        .into_iter()
        .map(|v| v.as_str().unwrap_or("?").to_string())
        .collect()
}

#[test]
fn datasources_expose_only_the_documents_matching_their_filter() {
    let (server, ids) = seeded();
    // `products` sees everything, sorted by name by default (`default_sort`).
    assert_eq!(
        names(&server, "products?max_results=20"),
        ["apple", "drill", "hammer", "kite", "marble", "yoyo"]
    );
    // `discontinued`: same table, `{discontinued: true}`, most expensive first.
    assert_eq!(names(&server, "discontinued"), ["drill", "kite", "marble"]);
    // `bargains`: the filter written as a JSON `where` (price < 10, not discontinued).
    assert_eq!(names(&server, "bargains"), ["apple", "yoyo"]);

    // The client's `where` narrows the datasource's filter, never widens it.
    let path = format!("discontinued?where={}", enc(r#"{"price": {"$lt": 50}}"#));
    assert_eq!(names(&server, &path), ["kite", "marble"]);
    let path = format!("discontinued?where={}", enc(r#"{"category": "tools"}"#));
    assert_eq!(names(&server, &path), ["drill"]);

    // Items outside the filter are 404 through the filtered endpoint.
    let hammer = &ids[0];
    server
        .get(&format!("{API}/discontinued/{hammer}"))
        .error(404);
    let kite = &ids[3];
    let item = server.get(&format!("{API}/discontinued/{kite}"));
    assert_eq!(item.status, 200);
    assert_eq!(item.json()["name"], "kite");
    assert_eq!(
        item.json()["_links"]["self"]["href"],
        format!("discontinued/{kite}")
    );
    // PATCH of a document outside the filter: 404; DELETE: 204, as Eve answers for a
    // document it does not find; and nothing changes.
    let tag = server.get(&format!("{API}/products/{hammer}")).etag();
    server
        .patch(
            &format!("{API}/discontinued/{hammer}"),
            Some(&tag),
            &json!({"stock": 1}),
        )
        .error(404);
    let deleted = server.delete(&format!("{API}/discontinued/{hammer}"), Some(&tag));
    assert_eq!(deleted.status, 204);
    server
        .delete(&format!("{API}/bargains/{kite}"), Some(&tag))
        .error(405);
    assert_eq!(
        server.get(&format!("{API}/products/{hammer}")).json()["stock"],
        3
    );
}

#[test]
fn writes_through_a_filtered_endpoint_must_match_its_filter() {
    let (server, ids) = seeded();
    // A document that matches is inserted into the shared table.
    let created = server.create(
        "discontinued",
        json!({"name": "sled", "price": 30.0, "discontinued": true}),
    );
    let id = created["_id"].as_str().expect("an id");
    assert_eq!(
        created["_links"]["self"]["href"],
        format!("discontinued/{id}")
    );
    let product = server.get(&format!("{API}/products/{id}"));
    assert_eq!(product.json()["name"], "sled");

    // One that does not match is refused (Eve would insert it and lose sight of it).
    let message = server
        .post(
            &format!("{API}/discontinued"),
            &json!({"name": "ball", "price": 3.0}),
        )
        .error(422);
    assert!(message.contains("datasource filter"), "{message}");
    // A bulk insert is all-or-nothing: one outsider rolls the whole request back.
    let message = server
        .post(
            &format!("{API}/discontinued"),
            &json!([
                {"name": "bat", "price": 9.0, "discontinued": true},
                {"name": "glove", "price": 9.0, "discontinued": false}
            ]),
        )
        .error(422);
    assert!(message.contains("Document 1"), "{message}");
    let path = format!(
        "{API}/products?where={}",
        enc(r#"{"name": {"$in": ["ball", "bat", "glove"]}}"#)
    );
    assert!(server.items(&path).is_empty(), "nothing was inserted");

    // A PATCH that would move a document out of the filter is refused and rolled back.
    let kite = &ids[3];
    let tag = server.get(&format!("{API}/discontinued/{kite}")).etag();
    let message = server
        .patch(
            &format!("{API}/discontinued/{kite}"),
            Some(&tag),
            &json!({"discontinued": false}),
        )
        .error(422);
    assert!(message.contains("datasource filter"), "{message}");
    let patched = server.patch(
        &format!("{API}/discontinued/{kite}"),
        Some(&tag),
        &json!({"price": 25.0}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    // Through the unfiltered endpoint the same change is fine.
    let tag = server.get(&format!("{API}/products/{kite}")).etag();
    let moved = server.patch(
        &format!("{API}/products/{kite}"),
        Some(&tag),
        &json!({"discontinued": false}),
    );
    assert_eq!(moved.status, 200, "{}", moved.text());
    assert_eq!(names(&server, "discontinued"), ["drill", "sled", "marble"]);

    // DELETE on the filtered collection deletes only the documents it exposes.
    let deleted = server.delete(&format!("{API}/discontinued"), None);
    assert_eq!(deleted.status, 204);
    assert!(names(&server, "discontinued").is_empty());
    assert_eq!(
        names(&server, "products?max_results=20"),
        ["apple", "hammer", "kite", "yoyo"]
    );
    // Uniqueness is the table's: a name taken through one endpoint is taken for all.
    let issues = server
        .post(
            &format!("{API}/discontinued"),
            &json!({"name": "apple", "discontinued": true}),
        )
        .issues();
    assert!(issues["name"].is_string(), "{issues}");
}

#[test]
fn allowed_filters_whitelist_fields_per_resource_and_api() {
    let (server, _) = seeded();
    // `discontinued` allows `category` and `price` only.
    let path = format!("{API}/discontinued?where={}", enc(r#"{"name": "kite"}"#));
    let message = server.get(&path).error(400);
    assert_eq!(message, "filter on 'name' not allowed");
    // Inside `$or`/`$and` too.
    let path = format!(
        "{API}/discontinued?where={}",
        enc(r#"{"$or": [{"price": 1}, {"stock": 0}]}"#)
    );
    assert_eq!(
        server.get(&path).error(400),
        "filter on 'stock' not allowed"
    );
    // `bargains` inherits the API's `allowed_filters = []`: filtering is off.
    let path = format!("{API}/bargains?where={}", enc(r#"{"price": 1}"#));
    let message = server.get(&path).error(400);
    assert!(message.contains("Filtering is disabled"), "{message}");
    // An empty `where` is no filter at all.
    assert_eq!(names(&server, "bargains?where="), ["apple", "yoyo"]);
    // `products` allows every field (`["*"]`), dotted ones included.
    let path = format!(
        "{API}/products?where={}",
        enc(r#"{"dimensions.unit": "cm", "stock": {"$gt": 1}}"#)
    );
    assert!(server.items(&path).is_empty());
    // `suppliers` allows a nested field by its dotted name.
    server.create(
        "suppliers",
        json!({"name": "acme", "country": "IT", "rating": 4, "contact": {"email": "a@acme.it"}}),
    );
    let path = format!(
        "{API}/suppliers?where={}",
        enc(r#"{"contact.email": "a@acme.it"}"#)
    );
    assert_eq!(server.items(&path).len(), 1);
    let path = format!(
        "{API}/suppliers?where={}",
        enc(r#"{"_id": "5f8d0d55b54764421b7156c9"}"#)
    );
    assert_eq!(server.get(&path).error(400), "filter on '_id' not allowed");
}

#[test]
fn sorting_off_and_default_sort() {
    let (server, _) = seeded();
    // `default_sort` applies only when the request has no `sort`.
    assert_eq!(
        names(&server, "products?sort=-price&max_results=3"),
        ["drill", "kite", "hammer"]
    );
    assert_eq!(
        names(&server, "discontinued?sort=name"),
        ["drill", "kite", "marble"]
    );
    assert_eq!(names(&server, "discontinued"), ["drill", "kite", "marble"]);
    // `sorting = false`: Eve ignores `sort`, even a malformed one.
    assert_eq!(names(&server, "bargains?sort=-name"), ["apple", "yoyo"]);
    assert_eq!(
        names(&server, "bargains?sort=nosuchfield"),
        ["apple", "yoyo"]
    );
    // Where sorting is on, a bad sort is still 400.
    server
        .get(&format!("{API}/products?sort=nosuchfield"))
        .error(400);
}

#[test]
fn pagination_off_serves_every_document_and_caps_apply_elsewhere() {
    let server = start();
    for i in 0..25 {
        server.create(
            "products",
            json!({"name": format!("p{i:02}"), "price": 100.0 + f64::from(i), "discontinued": true}),
        );
    }
    // `discontinued` is unpaged: all 25 documents, no `_meta`, no paging links, and
    // `page`/`max_results` ignored as Eve ignores them.
    for query in ["", "?max_results=2", "?page=3", "?page=x"] {
        let response = server.get(&format!("{API}/discontinued{query}"));
        assert_eq!(response.status, 200, "{query}: {}", response.text());
        let body = response.json();
        assert_eq!(body["_items"].as_array().map(Vec::len), Some(25), "{query}");
        assert!(body.get("_meta").is_none(), "{body}");
        let links = body["_links"].as_object().expect("links");
        assert_eq!(
            links.keys().collect::<Vec<_>>(),
            ["parent", "self"],
            "{query}"
        );
    }
    // `products` is paged: the API's `pagination_default` (5) and `pagination_limit` (20).
    let body = server.get(&format!("{API}/products")).json();
    assert_eq!(
        body["_meta"],
        json!({"page": 1, "max_results": 5, "total": 25})
    );
    assert!(body["_links"]["next"].is_object());
    let body = server
        .get(&format!("{API}/products?max_results=500"))
        .json();
    assert_eq!(body["_meta"]["max_results"], 20);
    assert_eq!(body["_items"].as_array().map(Vec::len), Some(20));
    server
        .get(&format!("{API}/products?max_results=0"))
        .error(400);
}

#[test]
fn projection_per_request_and_as_a_default() {
    let (server, ids) = seeded();
    let hammer = &ids[0];
    let keys = |item: &Value| -> Vec<String> {
        let mut keys: Vec<String> = item.as_object().expect("object").keys().cloned().collect();
        keys.sort();
        keys
    };
    const META: [&str; 5] = ["_created", "_etag", "_id", "_links", "_updated"];
    let with_meta = |fields: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = fields
            .iter()
            .chain(META.iter())
            .map(|s| s.to_string())
            .collect();
        all.sort();
        all
    };

    // The datasource default hides `cost` on `products`...
    let item = server.get(&format!("{API}/products/{hammer}")).json();
    assert!(item.get("cost").is_none(), "{item}");
    assert_eq!(item["price"], 12.5);
    // ...but not on `discontinued` or `bargains`, which have no default projection.
    let apple = &ids[1];
    assert_eq!(
        server.get(&format!("{API}/bargains/{apple}")).json()["cost"],
        0.2
    );

    // Inclusive: only the named fields and the meta fields.
    let path = format!(
        "{API}/products?projection={}&where={}",
        enc(r#"{"name": 1, "price": 1}"#),
        enc(r#"{"name": "hammer"}"#)
    );
    let items = server.items(&path);
    assert_eq!(keys(&items[0]), with_meta(&["name", "price"]));
    // The item route too, and the ETag stays the full document's.
    let full = server.get(&format!("{API}/products/{hammer}"));
    let path = format!(
        "{API}/products/{hammer}?projection={}",
        enc(r#"{"stock": 1}"#)
    );
    let projected = server.get(&path);
    assert_eq!(keys(&projected.json()), with_meta(&["stock"]));
    assert_eq!(projected.etag(), full.etag());
    assert_eq!(projected.json()["_etag"], full.json()["_etag"]);
    // A projected page is another representation of the collection: another tag, so
    // a client holding the full page does not get 304 for the projected one.
    let page = server.get(&format!("{API}/products"));
    let path = format!("{API}/products?projection={}", enc(r#"{"name": 1}"#));
    let tag = format!("\"{}\"", page.etag());
    let projected_page = server.get_with(&path, &[("If-None-Match", tag.as_str())]);
    assert_eq!(projected_page.status, 200);
    assert_ne!(projected_page.etag(), page.etag());
    // Asking for `cost` does not undo the resource's default.
    let path = format!(
        "{API}/products/{hammer}?projection={}",
        enc(r#"{"cost": 1}"#)
    );
    assert_eq!(keys(&server.get(&path).json()), with_meta(&[]));

    // Exclusive: everything else.
    let path = format!(
        "{API}/discontinued?projection={}",
        enc(r#"{"cost": 0, "stock": 0, "dimensions": 0, "_id": 0}"#)
    );
    let items = server.items(&path);
    assert_eq!(
        keys(&items[0]),
        with_meta(&["added", "category", "discontinued", "name", "price"])
            .into_iter()
            .filter(|k| items[0].get(k).is_some() || k.starts_with('_'))
            .collect::<Vec<_>>()
    );
    assert!(items[0].get("cost").is_none() && items[0].get("_id").is_some());

    // Mixing, unknown fields, bad values and bad JSON are 400.
    for bad in [
        r#"{"name": 1, "price": 0}"#,
        r#"{"nosuchfield": 1}"#,
        r#"{"name": 2}"#,
        r#"{"name": 1"#,
        r#"["name"]"#,
    ] {
        let path = format!("{API}/products?projection={}", enc(bad));
        server.get(&path).error(400);
        let path = format!("{API}/products/{hammer}?projection={}", enc(bad));
        server.get(&path).error(400);
    }

    // `projection = false`: the parameter is ignored, whole documents are served.
    let path = format!("{API}/bargains?projection={}", enc(r#"{"name": 1}"#));
    let items = server.items(&path);
    assert_eq!(items[0]["price"], 0.5);
    let path = format!(
        "{API}/bargains/{apple}?projection={}",
        enc(r#"{"nosuchfield": 1}"#)
    );
    assert_eq!(server.get(&path).json()["stock"], 100);
}

#[test]
fn validate_filtering_checks_filter_values_against_the_rules() {
    let (server, _) = seeded();
    server.create(
        "suppliers",
        json!({"name": "acme", "country": "IT", "rating": 4}),
    );
    // On (the API's setting): values must be values the field could hold.
    for (filter, field) in [
        (r#"{"country": "XX"}"#, "country"),
        (r#"{"rating": 9}"#, "rating"),
        (r#"{"rating": {"$gte": 0}}"#, "rating"),
        (r#"{"country": {"$in": ["IT", "ZZ"]}}"#, "country"),
        (r#"{"contact.email": "not-an-email"}"#, "contact.email"),
        (r#"{"$or": [{"rating": 1}, {"rating": 6}]}"#, "rating"),
    ] {
        let path = format!("{API}/suppliers?where={}", enc(filter));
        let message = server.get(&path).error(400);
        assert!(
            message.starts_with(&format!("filter on '{field}' is invalid")),
            "{filter}: {message}"
        );
    }
    let path = format!(
        "{API}/suppliers?where={}",
        enc(
            r#"{"country": {"$in": ["IT", "FR"]}, "rating": {"$gte": 1}, "name": {"$regex": "^ac"}}"#
        )
    );
    assert_eq!(server.items(&path).len(), 1);
    // Off (`products`, Eve's default): values outside the rules simply match nothing.
    let path = format!("{API}/products?where={}", enc(r#"{"category": "garden"}"#));
    assert!(server.items(&path).is_empty());
    let path = format!("{API}/products?where={}", enc(r#"{"stock": {"$lt": -5}}"#));
    assert!(server.items(&path).is_empty());
    // Either way a filter naming an unknown field, or a value of the wrong type, is 400:
    // the columns are typed, and nothing unchecked reaches SQL.
    for filter in [r#"{"nosuchfield": 1}"#, r#"{"stock": "many"}"#] {
        let path = format!("{API}/products?where={}", enc(filter));
        server.get(&path).error(400);
    }
}
