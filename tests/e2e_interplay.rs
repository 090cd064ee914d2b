//! Issue 3's features together, over real HTTP: each test combines options that
//! were built and tested apart (projection, embedding, sub-resources, id types,
//! additional lookups, datasources, date formats, GeoJSON, HATEOAS, renderers,
//! JSONP, method override, cache directives and conditional requests), and expects
//! what a client of Eve would.

mod support;

use serde_json::{Value, json};
use support::{TestServer, enc, is_rfc1123};

const API: &str = "/api/v1";

fn id(write_result: &Value) -> String {
    match &write_result["_id"] {
        Value::String(id) => id.clone(),
        Value::Number(id) => id.to_string(),
        other => panic!("no _id in {write_result}: {other}"),
    }
}

/// `name=<json>`, percent-encoded.
fn arg(name: &str, json: &str) -> String {
    format!("{name}={}", enc(json))
}

fn get_json(server: &TestServer, path: &str) -> Value {
    let response = server.get(path);
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    response.json()
}

fn get_xml(server: &TestServer, path: &str) -> String {
    let response = server.get_with(path, &[("Accept", "application/xml")]);
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    assert_eq!(
        response.header("Content-Type"),
        Some("application/xml; charset=utf-8")
    );
    response.text()
}

fn keys(document: &Value) -> Vec<String> {
    let mut keys: Vec<String> = document
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {document}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

// ---- blog: projection + embedding, XML, pretty ------------------------------------

struct Blog {
    ann: String,
    post: String,
}

fn blog_seed(server: &TestServer) -> Blog {
    let ann = id(&server.create(
        "authors",
        json!({"name": "Ann", "email": "ann@example.com"}),
    ));
    let tag = id(&server.create("tags", json!({"label": "Rust", "slug": "rust"})));
    let post = id(&server.create(
        "posts",
        json!({"title": "Embedding", "author": ann, "tags": [tag], "meta": {"words": 10}}),
    ));
    Blog { ann, post }
}

#[test]
fn projection_excluding_an_embedded_field_wins_over_embedding() {
    let server = support::start_generated!(blog_api, API);
    let blog = blog_seed(&server);
    let query = format!(
        "{}&{}",
        arg("projection", r#"{"author": 0}"#),
        arg("embedded", r#"{"author": 1}"#)
    );
    let item = get_json(&server, &format!("{API}/posts/{}?{query}", blog.post));
    assert!(item.get("author").is_none(), "{item}");
    assert_eq!(item["title"], "Embedding");
    assert!(item["tags"].is_array(), "{item}");
    let page = get_json(&server, &format!("{API}/posts?{query}"));
    let first = &page["_items"][0];
    assert!(first.get("author").is_none(), "{page}");
    assert_eq!(first["title"], "Embedding");
}

#[test]
fn an_inclusive_projection_drops_a_default_embedded_field_it_does_not_name() {
    let server = support::start_generated!(blog_api, API);
    let blog = blog_seed(&server);
    let path = format!(
        "{API}/posts/{}?{}",
        blog.post,
        arg("projection", r#"{"title": 1}"#)
    );
    let item = get_json(&server, &path);
    assert_eq!(
        keys(&item),
        ["_created", "_etag", "_id", "_links", "_updated", "title"],
        "{item}"
    );
    let page = get_json(
        &server,
        &format!("{API}/posts?{}", arg("projection", r#"{"title": 1}"#)),
    );
    assert_eq!(
        keys(&page["_items"][0]),
        ["_created", "_etag", "_id", "_links", "_updated", "title"],
        "{page}"
    );
    // Naming the embedded field keeps it embedded.
    let both = get_json(
        &server,
        &format!(
            "{API}/posts/{}?{}",
            blog.post,
            arg("projection", r#"{"title": 1, "author": 1}"#)
        ),
    );
    assert_eq!(both["author"]["name"], "Ann", "{both}");
    assert_eq!(both["author"]["_id"], blog.ann.as_str());
    assert!(both.get("tags").is_none(), "{both}");
    // An exclusive projection of another field keeps the default embedding.
    let others = get_json(
        &server,
        &format!(
            "{API}/posts/{}?{}",
            blog.post,
            arg("projection", r#"{"title": 0}"#)
        ),
    );
    assert_eq!(others["author"]["name"], "Ann", "{others}");
    assert!(others.get("title").is_none(), "{others}");
}

#[test]
fn an_embedded_document_renders_in_xml_and_pretty_json() {
    let server = support::start_generated!(blog_api, API);
    let blog = blog_seed(&server);
    let path = format!("{API}/posts/{}", blog.post);
    let xml = get_xml(&server, &path);
    // A nested element, with its `related` link as attributes (as Eve renders it).
    assert!(
        xml.contains(&format!(
            "<author href=\"authors/{}\" title=\"author\"><_created>",
            blog.ann
        )),
        "the author is a nested element: {xml}"
    );
    assert!(xml.contains(&format!("<_id>{}</_id>", blog.ann)), "{xml}");
    assert!(xml.contains("<name>Ann</name>"), "{xml}");
    assert!(xml.contains("<email>ann@example.com</email>"), "{xml}");
    let page = get_xml(&server, &format!("{API}/posts"));
    assert!(page.contains("<name>Ann</name>"), "{page}");
    // A projected, embedded XML page.
    let projected = get_xml(
        &server,
        &format!(
            "{API}/posts?{}&{}",
            arg("projection", r#"{"author": 1}"#),
            arg("embedded", r#"{"tags": 1}"#)
        ),
    );
    assert!(projected.contains("<name>Ann</name>"), "{projected}");
    assert!(!projected.contains("<title>"), "{projected}");

    let compact = server.get(&path);
    let pretty = server.get(&format!("{path}?pretty"));
    assert_eq!(pretty.status, 200);
    assert_eq!(pretty.json(), compact.json());
    assert_eq!(pretty.header("ETag"), compact.header("ETag"));
    assert!(
        pretty.text().contains("\n    \"author\": {\n        \""),
        "{}",
        pretty.text()
    );
    assert!(
        pretty.text().contains("\n        \"name\": \"Ann\""),
        "{}",
        pretty.text()
    );
}

#[test]
fn jsonp_wraps_a_projected_page() {
    let server = support::start_generated!(web_api, "");
    server.create(
        "notes",
        json!({"title": "a", "body": "text", "tags": ["x"]}),
    );
    let response = server.get(&format!(
        "/notes?{}&callback=show",
        arg("projection", r#"{"title": 1}"#)
    ));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.header("Content-Type"),
        Some("application/javascript")
    );
    let text = response.text();
    assert!(text.starts_with("show(") && text.ends_with(')'), "{text}");
    let page: Value = serde_json::from_str(&text[5..text.len() - 1]).expect("JSON inside");
    assert_eq!(
        keys(&page["_items"][0]),
        ["_created", "_etag", "_id", "_links", "_updated", "title"],
        "{page}"
    );
}

// ---- crm: sub-resources ----------------------------------------------------------

fn contact(server: &TestServer, name: &str) -> String {
    id(&server.create(
        "contacts",
        json!({"name": name, "email": format!("{name}@example.com")}),
    ))
}

fn invoices(contact: &str) -> String {
    format!("{API}/contacts/{contact}/invoices")
}

fn invoice(server: &TestServer, contact: &str, body: Value) -> String {
    let response = server.post(&invoices(contact), &body);
    assert_eq!(response.status, 201, "{}", response.text());
    id(&response.json())
}

#[test]
fn a_sub_resource_embeds_its_parent() {
    let server = support::start_generated!(crm_api, API);
    let ann = contact(&server, "Ann");
    let number = invoice(&server, &ann, json!({"number": 1, "total": 5.0}));
    let embed = arg("embedded", r#"{"contact_id": 1}"#);
    let page = get_json(&server, &format!("{}?{embed}", invoices(&ann)));
    let parent = &page["_items"][0]["contact_id"];
    assert_eq!(parent["_id"], ann.as_str(), "{page}");
    assert_eq!(parent["name"], "Ann", "{page}");
    let item = get_json(&server, &format!("{}/{number}?{embed}", invoices(&ann)));
    assert_eq!(item["contact_id"]["name"], "Ann", "{item}");
    assert_eq!(
        item["_links"]["self"]["href"],
        format!("contacts/{ann}/invoices/{number}")
    );
    // Without asking, the reference stays an id.
    let plain = get_json(&server, &format!("{}/{number}", invoices(&ann)));
    assert_eq!(plain["contact_id"], ann.as_str());
}

#[test]
fn a_sub_resource_projects_its_documents() {
    let server = support::start_generated!(crm_api, API);
    let ann = contact(&server, "Ann");
    let number = invoice(&server, &ann, json!({"number": 1, "total": 5.0}));
    let only = arg("projection", r#"{"number": 1}"#);
    let page = get_json(&server, &format!("{}?{only}", invoices(&ann)));
    let first = &page["_items"][0];
    assert_eq!(
        keys(first),
        ["_created", "_etag", "_id", "_links", "_updated", "number"],
        "{page}"
    );
    assert_eq!(
        first["_links"]["self"]["href"],
        format!("contacts/{ann}/invoices/{number}")
    );
    let item = get_json(
        &server,
        &format!(
            "{}/{number}?{}",
            invoices(&ann),
            arg("projection", r#"{"total": 0}"#)
        ),
    );
    assert_eq!(item["contact_id"], ann.as_str(), "{item}");
    assert_eq!(item["number"], 1);
    assert!(item.get("total").is_none(), "{item}");
    // Projection and embedding of the parent together.
    let both = get_json(
        &server,
        &format!(
            "{}?{}&{}",
            invoices(&ann),
            arg("projection", r#"{"contact_id": 1}"#),
            arg("embedded", r#"{"contact_id": 1}"#)
        ),
    );
    assert_eq!(both["_items"][0]["contact_id"]["name"], "Ann", "{both}");
    assert!(both["_items"][0].get("number").is_none(), "{both}");
}

#[test]
fn sub_resource_paging_links_keep_the_concrete_path() {
    let server = support::start_generated!(crm_api, API);
    let ann = contact(&server, "Ann");
    let bob = contact(&server, "Bob");
    for number in 1..=3 {
        invoice(&server, &ann, json!({"number": number}));
    }
    invoice(&server, &bob, json!({"number": 9}));
    let page = get_json(&server, &format!("{}?max_results=1", invoices(&ann)));
    assert_eq!(page["_meta"]["total"], 3, "{page}");
    let links = &page["_links"];
    let next = links["next"]["href"].as_str().expect("a next link");
    let last = links["last"]["href"].as_str().expect("a last link");
    let base = format!("contacts/{ann}/invoices?");
    assert!(next.starts_with(&base), "{links}");
    assert!(
        next.contains("page=2") && next.contains("max_results=1"),
        "{links}"
    );
    assert!(
        last.starts_with(&base) && last.contains("page=3"),
        "{links}"
    );
    // Following the link serves the next page of the same contact's invoices.
    let second = get_json(&server, &format!("{API}/{next}"));
    assert_eq!(second["_meta"]["page"], 2);
    assert_eq!(second["_items"][0]["contact_id"], ann.as_str());
    let prev = second["_links"]["prev"]["href"].as_str().expect("prev");
    assert!(
        prev.starts_with(&base) && prev.contains("page=1"),
        "{second}"
    );
    assert_eq!(
        second["_links"]["self"]["href"],
        format!("contacts/{ann}/invoices")
    );
}

#[test]
fn method_override_on_a_sub_resource() {
    let server = support::start_generated!(crm_api, API);
    let ann = contact(&server, "Ann");
    let bob = contact(&server, "Bob");
    let number = invoice(&server, &ann, json!({"number": 1, "total": 5.0}));
    let path = format!("{}/{number}", invoices(&ann));
    let etag = get_json(&server, &path)["_etag"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"total": 7.5}).to_string();
    // Through another contact's path the invoice does not exist.
    let elsewhere = server.request(
        "POST",
        &format!("{}/{number}", invoices(&bob)),
        &[
            ("Content-Type", "application/json"),
            ("X-HTTP-Method-Override", "PATCH"),
            ("If-Match", &etag),
        ],
        Some(body.as_bytes()),
    );
    assert_eq!(elsewhere.status, 404, "{}", elsewhere.text());
    let patched = server.request(
        "POST",
        &path,
        &[
            ("Content-Type", "application/json"),
            ("X-HTTP-Method-Override", "PATCH"),
            ("If-Match", &etag),
        ],
        Some(body.as_bytes()),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(
        patched.json()["_links"]["self"]["href"],
        format!("contacts/{ann}/invoices/{number}")
    );
    let now = get_json(&server, &path);
    assert_eq!(now["total"], 7.5);
    assert_eq!(now["contact_id"], ann.as_str());
    // A collection POST overridden to GET lists the contact's invoices.
    let listed = server.request(
        "POST",
        &invoices(&ann),
        &[("X-HTTP-Method-Override", "GET")],
        None,
    );
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json()["_meta"]["total"], 1);
    // And DELETE by override removes it.
    let etag = now["_etag"].as_str().unwrap().to_string();
    let deleted = server.request(
        "POST",
        &path,
        &[("X-HTTP-Method-Override", "DELETE"), ("If-Match", &etag)],
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(server.get(&path).status, 404);
}

// ---- crm: id types -----------------------------------------------------------------

#[test]
fn integer_and_uuid_ids_embed_filter_and_project() {
    let server = support::start_generated!(crm_api, API);
    let north = server.create("regions", json!({"name": "North"}));
    let south = server.create("regions", json!({"name": "South"}));
    assert!(north["_id"].is_u64() && south["_id"].is_u64(), "{north}");
    let (north_id, south_id) = (
        north["_id"].as_u64().unwrap(),
        south["_id"].as_u64().unwrap(),
    );
    let ticket = id(&server.create("tickets", json!({"subject": "Broken", "region": north_id})));
    server.create("followups", json!({"ticket": ticket, "region": south_id}));

    // A reference to an integer id, embedded.
    let embedded = get_json(
        &server,
        &format!(
            "{API}/tickets/{ticket}?{}",
            arg("embedded", r#"{"region": 1}"#)
        ),
    );
    assert_eq!(embedded["region"]["_id"], north_id, "{embedded}");
    assert_eq!(embedded["region"]["name"], "North", "{embedded}");
    // References to a uuid and to an integer id, embedded on a page.
    let page = get_json(
        &server,
        &format!(
            "{API}/followups?{}",
            arg("embedded", r#"{"ticket": 1, "region": 1}"#)
        ),
    );
    let followup = &page["_items"][0];
    assert_eq!(followup["ticket"]["_id"], ticket.as_str(), "{page}");
    assert_eq!(followup["ticket"]["subject"], "Broken", "{page}");
    assert_eq!(followup["region"]["name"], "South", "{page}");
    assert_eq!(followup["region"]["_id"], south_id, "{page}");

    // `where` on `_id`.
    let by_number = get_json(
        &server,
        &format!(
            "{API}/regions?{}",
            arg("where", &format!(r#"{{"_id": {south_id}}}"#))
        ),
    );
    assert_eq!(by_number["_meta"]["total"], 1, "{by_number}");
    assert_eq!(by_number["_items"][0]["name"], "South");
    let by_list = get_json(
        &server,
        &format!(
            "{API}/regions?{}",
            arg(
                "where",
                &format!(r#"{{"_id": {{"$in": [{north_id}, {south_id}]}}}}"#)
            )
        ),
    );
    assert_eq!(by_list["_meta"]["total"], 2, "{by_list}");
    let by_uuid = get_json(
        &server,
        &format!(
            "{API}/tickets?{}",
            arg("where", &format!(r#"{{"_id": "{ticket}"}}"#))
        ),
    );
    assert_eq!(by_uuid["_meta"]["total"], 1, "{by_uuid}");

    // Projection keeps `_id`, as a number.
    let projected = get_json(
        &server,
        &format!("{API}/regions?{}", arg("projection", r#"{"name": 0}"#)),
    );
    assert_eq!(projected["_items"][0]["_id"], north_id, "{projected}");
    assert!(projected["_items"][0].get("name").is_none());
    let item = get_json(
        &server,
        &format!(
            "{API}/regions/{north_id}?{}",
            arg("projection", r#"{"name": 1}"#)
        ),
    );
    assert_eq!(item["_id"], north_id, "{item}");
    assert_eq!(
        item["_links"]["self"]["href"],
        format!("regions/{north_id}")
    );
}

// ---- crm: additional lookup --------------------------------------------------------

#[test]
fn an_additional_lookup_projects_embeds_caches_and_answers_head() {
    let server = support::start_generated!(crm_api, API);
    let ann = contact(&server, "Ann");
    let path = format!("{API}/contacts/Ann");
    let projected = get_json(
        &server,
        &format!("{path}?{}", arg("projection", r#"{"email": 0}"#)),
    );
    assert_eq!(projected["_id"], ann.as_str());
    assert_eq!(projected["name"], "Ann");
    assert!(projected.get("email").is_none(), "{projected}");
    // A name that is not embeddable is ignored; the region is embedded, also with
    // a projection and through the lookup.
    let ignored = get_json(
        &server,
        &format!("{path}?{}", arg("embedded", r#"{"name": 1}"#)),
    );
    assert_eq!(ignored["name"], "Ann");
    let region = id(&server.create("regions", json!({"name": "North"})));
    let bob = id(&server.create("contacts", json!({"name": "Bob", "region": 1})));
    let embedded = get_json(
        &server,
        &format!(
            "{API}/contacts/Bob?{}&{}",
            arg("embedded", r#"{"region": 1}"#),
            arg("projection", r#"{"region": 1}"#)
        ),
    );
    assert_eq!(embedded["_id"], bob.as_str());
    assert_eq!(embedded["region"]["name"], "North", "{embedded}");
    assert_eq!(embedded["region"]["_id"].to_string(), region);
    assert!(embedded.get("name").is_none(), "{embedded}");
    let bob_tag = server
        .get(&format!("{API}/contacts/{bob}"))
        .header("ETag")
        .unwrap()
        .to_string();
    let cached = server.get_with(
        &format!("{API}/contacts/Bob?{}", arg("embedded", r#"{"region": 1}"#)),
        &[("If-None-Match", &bob_tag)],
    );
    assert_eq!(cached.status, 304);

    let full = server.get(&path);
    let tag = full.header("ETag").expect("an ETag").to_string();
    assert_eq!(full.etag(), full.json()["_etag"].as_str().unwrap());
    let by_id = server.get(&format!("{API}/contacts/{ann}"));
    assert_eq!(by_id.header("ETag"), Some(tag.as_str()));
    let cached = server.get_with(&path, &[("If-None-Match", &tag)]);
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    let projected_cached = server.get_with(
        &format!("{path}?{}", arg("projection", r#"{"email": 0}"#)),
        &[("If-None-Match", &tag)],
    );
    assert_eq!(projected_cached.status, 304);

    let head = server.head(&path);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("ETag"), Some(tag.as_str()));
    assert_eq!(
        head.header("Content-Length"),
        Some(full.body.len().to_string().as_str())
    );
    assert!(head.body.is_empty());
    assert_eq!(server.head(&format!("{API}/contacts/Nobody")).status, 404);
    let head_cached = server.request("HEAD", &path, &[("If-None-Match", &tag)], None);
    assert_eq!(head_cached.status, 304);
}

// ---- catalog: datasource + projection + pagination off + XML ----------------------

#[test]
fn an_unpaged_datasource_projects_in_xml() {
    let server = support::start_generated!(catalog_api, API);
    for (name, price, cost, discontinued) in [
        ("Hammer", 12.0, 4.0, true),
        ("Kite", 8.0, 2.0, true),
        ("Saw", 20.0, 9.0, false),
    ] {
        server.create(
            "products",
            json!({"name": name, "price": price, "cost": cost, "discontinued": discontinued}),
        );
    }
    let path = format!(
        "{API}/discontinued?{}&max_results=1",
        arg("projection", r#"{"name": 1}"#)
    );
    let json = get_json(&server, &path);
    assert!(json.get("_meta").is_none(), "{json}");
    assert_eq!(json["_items"].as_array().unwrap().len(), 2, "{json}");
    assert!(json["_links"].get("next").is_none(), "{json}");
    let xml = get_xml(&server, &path);
    assert!(!xml.contains("<_meta>"), "{xml}");
    assert!(!xml.contains("rel=\"next\""), "{xml}");
    assert!(!xml.contains("<price>"), "{xml}");
    assert!(!xml.contains("<cost>"), "{xml}");
    // Most expensive first (the datasource's default sort).
    let hammer = xml.find("<name>Hammer</name>").expect("Hammer");
    let kite = xml.find("<name>Kite</name>").expect("Kite");
    assert!(hammer < kite, "{xml}");
    assert!(!xml.contains("Saw"), "{xml}");
    // The datasource's default projection holds in XML too.
    let products = get_xml(&server, &format!("{API}/products"));
    assert!(!products.contains("<cost>"), "{products}");
    assert!(products.contains("<price>"), "{products}");
}

// ---- places: custom date_format + conditional requests, $near + projection ------

fn is_iso(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[19] == b'Z'
}

#[test]
fn a_custom_date_format_keeps_http_dates_rfc1123() {
    let server = support::start_generated!(places_api, API);
    let place = id(&server.create("places", json!({"name": "Forum"})));
    let path = format!("{API}/places/{place}");
    let response = server.get(&path);
    assert_eq!(response.status, 200);
    let body = response.json();
    let updated = body["_updated"].as_str().unwrap().to_string();
    assert!(is_iso(&updated), "{body}");
    let last_modified = response
        .header("Last-Modified")
        .expect("Last-Modified")
        .to_string();
    assert!(is_rfc1123(&last_modified), "{last_modified}");
    assert!(is_rfc1123(response.header("Date").expect("Date")));

    let since = |date: &str| server.get_with(&path, &[("If-Modified-Since", date)]);
    assert_eq!(since(&last_modified).status, 304);
    assert_eq!(since("Fri, 01 Jan 2100 00:00:00 GMT").status, 304);
    assert_eq!(since("Thu, 01 Jan 2015 00:00:00 GMT").status, 200);
    let page = server.get(&format!("{API}/places"));
    if let Some(value) = page.header("Last-Modified") {
        assert!(is_rfc1123(value), "{value}");
    }

    // `where` on `_updated`, in the custom format.
    let filter = |clause: &str| {
        get_json(&server, &format!("{API}/places?{}", arg("where", clause)))["_meta"]["total"]
            .clone()
    };
    assert_eq!(filter(&format!(r#"{{"_updated": "{updated}"}}"#)), 1);
    assert_eq!(
        filter(r#"{"_updated": {"$gte": "2000-01-01T00:00:00Z"}}"#),
        1
    );
    assert_eq!(
        filter(r#"{"_updated": {"$gt": "2999-01-01T00:00:00Z"}}"#),
        0
    );
    assert_eq!(
        filter(r#"{"_created": {"$lt": "2999-01-01T00:00:00Z"}}"#),
        1
    );
    // An RFC 1123 date is not this API's format.
    let rfc = server.get(&format!(
        "{API}/places?{}",
        arg(
            "where",
            r#"{"_updated": {"$gte": "Sat, 01 Jan 2000 00:00:00 GMT"}}"#
        )
    ));
    assert_eq!(rfc.status, 400, "{}", rfc.text());
}

#[test]
fn near_with_projection_and_paging_links() {
    let server = support::start_generated!(places_api, API);
    for (name, lon) in [("far", 12.60), ("near", 12.4925), ("middle", 12.51)] {
        server.create(
            "places",
            json!({"name": name, "location": {"type": "Point", "coordinates": [lon, 41.89]}}),
        );
    }
    let near = r#"{"location": {"$near": {"$geometry": {"type": "Point", "coordinates": [12.49, 41.89]}, "$maxDistance": 5000}}}"#;
    let path = format!(
        "{API}/places?{}&{}&max_results=1",
        arg("where", near),
        arg("projection", r#"{"name": 1}"#)
    );
    let page = get_json(&server, &path);
    assert_eq!(page["_meta"]["total"], 2, "{page}");
    assert_eq!(
        keys(&page["_items"][0]),
        ["_created", "_etag", "_id", "_links", "_updated", "name"],
        "{page}"
    );
    assert_eq!(page["_items"][0]["name"], "near");
    let next = page["_links"]["next"]["href"].as_str().expect("next");
    let second = get_json(&server, &format!("{API}/{next}"));
    assert_eq!(second["_meta"]["page"], 2, "{second}");
    assert_eq!(second["_items"][0]["name"], "middle", "{second}");
    assert!(second["_items"][0].get("location").is_none(), "{second}");
    assert!(second["_links"].get("next").is_none(), "{second}");
    // Projecting the point itself keeps it as GeoJSON.
    let located = get_json(
        &server,
        &format!(
            "{API}/places?{}&{}",
            arg("where", near),
            arg("projection", r#"{"location": 1}"#)
        ),
    );
    assert_eq!(
        located["_items"][0]["location"],
        json!({"type": "Point", "coordinates": [12.4925, 41.89]})
    );
    assert!(located["_items"][0].get("name").is_none());
}

// ---- nolinks: hateoas off + XML, pagination, POST answers -------------------------

#[test]
fn hateoas_off_renders_xml_without_links() {
    let server = support::start_generated!(nolinks_api, "");
    let first = id(&server.create("notes", json!({"text": "one"})));
    server.create("notes", json!({"text": "two"}));
    let page = get_xml(&server, "/notes?max_results=1");
    assert!(!page.contains("<link"), "{page}");
    assert!(
        page.contains("<_meta><max_results>1</max_results><page>1</page><total>2</total></_meta>"),
        "{page}"
    );
    assert!(page.contains("<text>one</text>"), "{page}");
    let json = get_json(&server, "/notes?max_results=1&page=2");
    assert!(json.get("_links").is_none(), "{json}");
    assert_eq!(json["_items"][0]["text"], "two");
    assert!(json["_items"][0].get("_links").is_none(), "{json}");

    let item = get_xml(&server, &format!("/notes/{first}"));
    assert!(!item.contains("<link"), "{item}");
    assert!(item.contains(&format!("<_id>{first}</_id>")), "{item}");

    let posted = server.request(
        "POST",
        "/notes",
        &[
            ("Content-Type", "application/json"),
            ("Accept", "application/xml"),
        ],
        Some(br#"{"text": "three"}"#),
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let text = posted.text();
    assert!(!text.contains("<link"), "{text}");
    assert!(text.contains("<_status>OK</_status>"), "{text}");
    let json = server.post("/notes", &json!({"text": "four"}));
    assert_eq!(json.status, 201);
    assert!(json.json().get("_links").is_none(), "{}", json.text());
}

// ---- web: cache directives + 304 + HEAD -------------------------------------------

#[test]
fn cache_directives_on_304_and_head_answers() {
    let server = support::start_generated!(web_api, "");
    let created = server.create("notes", json!({"title": "a"}));
    let item = format!("/notes/{}", id(&created));
    let tag = server.get(&item).header("ETag").unwrap().to_string();
    for path in [item.as_str(), "/notes"] {
        let full = server.get(path);
        let tag = full.header("ETag").unwrap().to_string();
        let head = server.head(path);
        assert_eq!(head.status, 200);
        assert_eq!(
            head.header("Cache-Control"),
            Some("max-age=20,must-revalidate"),
            "{path}"
        );
        assert!(head.header("Expires").is_some_and(is_rfc1123), "{path}");
        let cached = server.get_with(path, &[("If-None-Match", &tag)]);
        assert_eq!(cached.status, 304, "{path}");
        assert_eq!(
            cached.header("Cache-Control"),
            Some("max-age=20,must-revalidate"),
            "{path}: {:?}",
            cached.headers
        );
        assert!(cached.header("Expires").is_some_and(is_rfc1123), "{path}");
        assert_eq!(cached.header("ETag"), Some(tag.as_str()), "{path}");
        let head_cached = server.request("HEAD", path, &[("If-None-Match", &tag)], None);
        assert_eq!(head_cached.status, 304, "{path}");
        assert_eq!(
            head_cached.header("Cache-Control"),
            Some("max-age=20,must-revalidate"),
            "{path}"
        );
    }
    let modified = server
        .get(&item)
        .header("Last-Modified")
        .unwrap()
        .to_string();
    let since = server.get_with(&item, &[("If-Modified-Since", &modified)]);
    assert_eq!(since.status, 304);
    assert_eq!(
        since.header("Cache-Control"),
        Some("max-age=20,must-revalidate")
    );
    let _ = tag;

    // A resource's own directives: `no-cache` and no `Expires`.
    let feed = id(&server.create("feeds", json!({"url": "https://example.com"})));
    let path = format!("/feeds/{feed}");
    let tag = server.get(&path).header("ETag").unwrap().to_string();
    let cached = server.get_with(&path, &[("If-None-Match", &tag)]);
    assert_eq!(cached.status, 304);
    assert_eq!(cached.header("Cache-Control"), Some("no-cache"));
    assert!(cached.header("Expires").is_none());
    let head = server.head(&path);
    assert_eq!(head.header("Cache-Control"), Some("no-cache"));
}

// ---- second round: more pairs ------------------------------------------------------

#[test]
fn a_sub_resource_under_an_integer_id_resource() {
    let server = support::start_generated!(crm_api, API);
    let north = id(&server.create("regions", json!({"name": "North"})));
    let south = id(&server.create("regions", json!({"name": "South"})));
    let offices = |region: &str| format!("{API}/regions/{region}/offices");
    let mut ids = Vec::new();
    for city in ["Oslo", "Bergen", "Tromso"] {
        let response = server.post(&offices(&north), &json!({"city": city}));
        assert_eq!(response.status, 201, "{}", response.text());
        let body = response.json();
        assert_eq!(
            body["_links"]["self"]["href"],
            format!("regions/{north}/offices/{}", id(&body))
        );
        ids.push(id(&body));
    }
    server.post(&offices(&south), &json!({"city": "Rome"}));
    let page = get_json(&server, &format!("{}?max_results=2", offices(&north)));
    assert_eq!(page["_meta"]["total"], 3, "{page}");
    assert_eq!(
        page["_items"][0]["region"], 1,
        "the path value is a number: {page}"
    );
    let next = page["_links"]["next"]["href"].as_str().expect("next");
    assert!(
        next.starts_with(&format!("regions/{north}/offices?")),
        "{next}"
    );
    let embedded = get_json(
        &server,
        &format!(
            "{}/{}?{}",
            offices(&north),
            ids[0],
            arg("embedded", r#"{"region": 1}"#)
        ),
    );
    assert_eq!(embedded["region"]["name"], "North", "{embedded}");
    assert_eq!(embedded["region"]["_id"], 1);
    // A path value an integer field cannot hold is 404; another region's office too.
    assert_eq!(server.get(&offices("abc")).status, 404);
    assert_eq!(
        server
            .get(&format!("{}/{}", offices(&south), ids[0]))
            .status,
        404
    );
    // XML of a sub-resource page links with the concrete path.
    let xml = get_xml(&server, &offices(&north));
    assert!(
        xml.starts_with(&format!(
            "<resource href=\"regions/{north}/offices\" title=\"regions/{{region}}/offices\">"
        )),
        "{xml}"
    );
    assert!(
        xml.contains(&format!(
            "<resource href=\"regions/{north}/offices/{}\"",
            ids[0]
        )),
        "{xml}"
    );
}

#[test]
fn bulk_posts_into_a_sub_resource_and_delete_by_override() {
    let server = support::start_generated!(crm_api, API);
    let ann = contact(&server, "Ann");
    let bob = contact(&server, "Bob");
    invoice(&server, &bob, json!({"number": 7}));
    let response = server.post(
        &invoices(&ann),
        &json!([{"number": 1}, {"number": 2, "contact_id": bob}]),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let body = response.json();
    assert_eq!(body["_status"], "OK", "{body}");
    let items = body["_items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    for item in items {
        assert_eq!(
            item["_links"]["self"]["href"],
            format!("contacts/{ann}/invoices/{}", id(item)),
            "{body}"
        );
    }
    let numbers: Vec<Value> = server.column(&invoices(&ann), "contact_id");
    assert_eq!(
        numbers,
        [json!(ann), json!(ann)],
        "the path fills contact_id"
    );
    // DELETE of the collection, by override, empties only Ann's invoices.
    let deleted = server.request(
        "POST",
        &invoices(&ann),
        &[("X-HTTP-Method-Override", "DELETE")],
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(server.items(&invoices(&ann)).len(), 0);
    assert_eq!(server.items(&invoices(&bob)).len(), 1);
}

#[test]
fn jsonp_with_pretty_conditional_head_and_xml() {
    let server = support::start_generated!(web_api, "");
    let note = id(&server.create("notes", json!({"title": "a", "meta": {"views": 2}})));
    let path = format!("/notes/{note}");
    let plain = server.get(&format!("{path}?callback=cb"));
    assert_eq!(plain.status, 200);
    let pretty = server.get(&format!("{path}?callback=cb&pretty"));
    assert_eq!(pretty.status, 200);
    let text = pretty.text();
    assert!(text.starts_with("cb({\n    \""), "{text}");
    let inner: Value = serde_json::from_str(&text[3..text.len() - 1]).expect("JSON");
    let plain_text = plain.text();
    let plain_inner: Value =
        serde_json::from_str(&plain_text[3..plain_text.len() - 1]).expect("JSON");
    assert_eq!(inner, plain_inner);
    // HEAD announces the wrapped length; a 304 has no body to wrap.
    let head = server.head(&format!("{path}?callback=cb"));
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("Content-Length"),
        Some(plain.body.len().to_string().as_str())
    );
    assert_eq!(head.header("Content-Type"), Some("application/javascript"));
    let tag = plain.header("ETag").expect("ETag").to_string();
    let cached = server.get_with(&format!("{path}?callback=cb"), &[("If-None-Match", &tag)]);
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    // JSONP wraps JSON only: an XML answer stays XML.
    let xml = server.get_with(
        &format!("{path}?callback=cb"),
        &[("Accept", "application/xml")],
    );
    assert_eq!(xml.status, 200);
    assert_eq!(
        xml.header("Content-Type"),
        Some("application/xml; charset=utf-8")
    );
    assert!(xml.text().starts_with("<resource"), "{}", xml.text());
    // Errors are wrapped too, keeping their status.
    let missing = server.get("/notes/000000000000000000000000?callback=cb");
    assert_eq!(missing.status, 404);
    assert!(missing.text().starts_with("cb("), "{}", missing.text());
}

#[test]
fn geometries_and_custom_dates_render_in_xml() {
    let server = support::start_generated!(places_api, API);
    let place = id(&server.create(
        "places",
        json!({
            "name": "Forum",
            "location": {"type": "Point", "coordinates": [12.49, 41.89]},
            "opened": "2001-02-03T04:05:06Z",
            "address": {"since": "1999-12-31T23:59:59Z"}
        }),
    ));
    let xml = get_xml(&server, &format!("{API}/places/{place}"));
    assert!(
        xml.contains("<opened>2001-02-03T04:05:06Z</opened>"),
        "{xml}"
    );
    assert!(xml.contains("<since>1999-12-31T23:59:59Z</since>"), "{xml}");
    assert!(xml.contains("<_updated>20"), "{xml}");
    assert!(
        xml.contains("<coordinates>12.49</coordinates><coordinates>41.89</coordinates>"),
        "{xml}"
    );
    let near = r#"{"location": {"$near": {"$geometry": {"type": "Point", "coordinates": [12.49, 41.89]}, "$maxDistance": 10}}}"#;
    let page = get_xml(&server, &format!("{API}/places?{}", arg("where", near)));
    assert!(page.contains("<name>Forum</name>"), "{page}");
    assert!(page.contains("<total>1</total>"), "{page}");
}

#[test]
fn uuid_and_integer_items_answer_head_and_304() {
    let server = support::start_generated!(crm_api, API);
    let region = id(&server.create("regions", json!({"name": "North"})));
    let ticket = id(&server.create("tickets", json!({"subject": "s"})));
    for path in [
        format!("{API}/regions/{region}"),
        format!("{API}/tickets/{ticket}"),
    ] {
        let full = server.get(&path);
        assert_eq!(full.status, 200, "{path}");
        let tag = full.header("ETag").expect("ETag").to_string();
        let head = server.head(&path);
        assert_eq!(head.status, 200, "{path}");
        assert_eq!(head.header("ETag"), Some(tag.as_str()));
        let cached = server.get_with(&path, &[("If-None-Match", &tag)]);
        assert_eq!(cached.status, 304, "{path}");
        let modified = full.header("Last-Modified").expect("Last-Modified");
        let since = server.get_with(&path, &[("If-Modified-Since", modified)]);
        assert_eq!(since.status, 304, "{path}");
    }
}

#[test]
fn hateoas_off_bulk_post_in_xml_and_json() {
    let server = support::start_generated!(nolinks_api, "");
    let posted = server.request(
        "POST",
        "/notes",
        &[
            ("Content-Type", "application/json"),
            ("Accept", "application/xml"),
        ],
        Some(br#"[{"text": "a"}, {"text": "b"}]"#),
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    assert!(!posted.text().contains("<link"), "{}", posted.text());
    let json = server.post("/notes", &json!([{"text": "c"}, {"text": "d"}]));
    assert_eq!(json.status, 201);
    let body = json.json();
    for item in body["_items"].as_array().expect("items") {
        assert!(item.get("_links").is_none(), "{body}");
    }
    // A failed item keeps Eve's bulk error shape, without links.
    let bad = server.post("/notes", &json!([{"text": "e"}, {"nope": 1}]));
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert!(!bad.text().contains("_links"), "{}", bad.text());
}

// ---- catalog: embedding a resource served through a datasource ---------------------

#[test]
fn embedding_reads_the_target_through_its_datasource() {
    let server = support::start_generated!(catalog_api, API);
    let kite = server.create(
        "products",
        json!({"name": "Kite", "price": 5.0, "cost": 2.0}),
    );
    let kite_id = id(&kite);
    let order = id(&server.create("orders", json!({"product": kite_id, "bargain": kite_id})));
    let path = format!(
        "{API}/orders/{order}?{}",
        arg("embedded", r#"{"product": 1, "bargain": 1}"#)
    );
    let embedded = get_json(&server, &path);
    // `products` serves no `cost` (its datasource projection); `bargains` serves the
    // whole document (no projection of its own).
    assert_eq!(embedded["product"]["name"], "Kite", "{embedded}");
    assert!(embedded["product"].get("cost").is_none(), "{embedded}");
    assert_eq!(embedded["bargain"]["cost"], 2.0, "{embedded}");
    assert_eq!(embedded["qty"], 1);

    // Once the kite is no longer a bargain, `bargains` does not serve it: `null`.
    let etag = kite["_etag"].as_str().unwrap().to_string();
    let patched = server.patch(
        &format!("{API}/products/{kite_id}"),
        Some(&etag),
        &json!({"price": 50.0}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(server.get(&format!("{API}/bargains/{kite_id}")).status, 404);
    let embedded = get_json(&server, &path);
    assert!(embedded["bargain"].is_null(), "{embedded}");
    assert_eq!(embedded["product"]["price"], 50.0, "{embedded}");
    // A reference names a document its resource serves: the kite is no bargain now.
    let refused = server.post(
        &format!("{API}/orders"),
        &json!({"product": kite_id, "bargain": kite_id}),
    );
    let issues = refused.issues();
    assert!(
        issues["bargain"]
            .as_str()
            .is_some_and(|m| m.contains("must exist in resource 'bargains'")),
        "{issues}"
    );
    // The same on a page, in XML.
    let xml = get_xml(
        &server,
        &format!("{API}/orders?{}", arg("embedded", r#"{"product": 1}"#)),
    );
    assert!(xml.contains("<name>Kite</name>"), "{xml}");
    assert!(!xml.contains("<cost>"), "{xml}");
}

// ---- third round -------------------------------------------------------------------

#[test]
fn cors_headers_on_304_head_and_jsonp_answers() {
    let server = support::start_generated!(web_api, "");
    let note = id(&server.create("notes", json!({"title": "a"})));
    let path = format!("/notes/{note}");
    let origin = ("Origin", "https://app.example.com");
    let tag = server.get(&path).header("ETag").unwrap().to_string();
    let cached = server.get_with(&path, &[origin, ("If-None-Match", &tag)]);
    assert_eq!(cached.status, 304);
    assert_eq!(
        cached.header("Access-Control-Allow-Origin"),
        Some("https://app.example.com"),
        "{:?}",
        cached.headers
    );
    assert_eq!(cached.header("Vary"), Some("Origin"));
    let head = server.request("HEAD", &path, &[origin], None);
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("Access-Control-Allow-Origin"),
        Some("https://app.example.com")
    );
    let jsonp = server.get_with(&format!("{path}?callback=cb"), &[origin]);
    assert_eq!(jsonp.status, 200);
    assert_eq!(
        jsonp.header("Access-Control-Allow-Origin"),
        Some("https://app.example.com")
    );
    assert_eq!(jsonp.header("Access-Control-Expose-Headers"), Some("ETag"));
}

#[test]
fn dotted_embedding_under_a_projection() {
    let server = support::start_generated!(blog_api, API);
    let ann = id(&server.create("authors", json!({"name": "Ann"})));
    let bob = id(&server.create("authors", json!({"name": "Bob"})));
    let post = id(&server.create(
        "posts",
        json!({"title": "t", "author": ann, "meta": {"words": 3, "editor": bob},
               "reviews": [{"score": 4, "reviewer": ann}]}),
    ));
    let get = |projection: &str, embedded: &str| {
        get_json(
            &server,
            &format!(
                "{API}/posts/{post}?{}&{}",
                arg("projection", projection),
                arg("embedded", embedded)
            ),
        )
    };
    let kept = get(r#"{"meta": 1}"#, r#"{"meta.editor": 1}"#);
    assert_eq!(kept["meta"]["editor"]["name"], "Bob", "{kept}");
    assert_eq!(kept["meta"]["words"], 3);
    assert!(kept.get("author").is_none(), "{kept}");
    let dropped = get(
        r#"{"meta": 0}"#,
        r#"{"meta.editor": 1, "reviews.reviewer": 1}"#,
    );
    assert!(dropped.get("meta").is_none(), "{dropped}");
    assert_eq!(
        dropped["reviews"][0]["reviewer"]["name"], "Ann",
        "{dropped}"
    );
    assert_eq!(dropped["author"]["name"], "Ann", "{dropped}");
}

#[test]
fn integer_ids_in_xml_bulk_posts_and_projected_heads() {
    let server = support::start_generated!(crm_api, API);
    let response = server.post(
        &format!("{API}/regions"),
        &json!([{"name": "North"}, {"name": "South"}]),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let body = response.json();
    let ids: Vec<u64> = body["_items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["_id"].as_u64().expect("a numeric _id"))
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(
        body["_items"][1]["_links"]["self"]["href"],
        format!("regions/{}", ids[1])
    );
    let xml = get_xml(&server, &format!("{API}/regions/{}", ids[0]));
    assert!(
        xml.starts_with(&format!(
            "<resource href=\"regions/{}\" title=\"region\">",
            ids[0]
        )),
        "{xml}"
    );
    assert!(xml.contains(&format!("<_id>{}</_id>", ids[0])), "{xml}");
    // HEAD of a projected page announces the projected page's length.
    let path = format!("{API}/regions?{}", arg("projection", r#"{"name": 0}"#));
    let get = server.get(&path);
    let head = server.head(&path);
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("Content-Length"),
        Some(get.body.len().to_string().as_str())
    );
    assert_eq!(head.header("ETag"), get.header("ETag"));
    // An XML 422 keeps its issues.
    let bad = server.request(
        "POST",
        &format!("{API}/regions"),
        &[
            ("Content-Type", "application/json"),
            ("Accept", "application/xml"),
        ],
        Some(br#"{"name": 5}"#),
    );
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert!(bad.text().contains("<_issues><name>"), "{}", bad.text());
}

#[test]
fn custom_dates_sort_and_pages_answer_if_none_match_only() {
    let server = support::start_generated!(places_api, API);
    for (name, opened) in [
        ("b", "2010-01-01T00:00:00Z"),
        ("a", "2020-01-01T00:00:00Z"),
        ("c", "2000-01-01T00:00:00Z"),
    ] {
        server.create("places", json!({"name": name, "opened": opened}));
    }
    let sorted = server.column(&format!("{API}/places?sort=-opened"), "name");
    assert_eq!(sorted, [json!("a"), json!("b"), json!("c")]);
    let listed = server.column(
        &format!(
            "{API}/places?{}",
            arg(
                "where",
                r#"{"opened": {"$in": ["2010-01-01T00:00:00Z", "2000-01-01T00:00:00Z"]}}"#
            )
        ),
        "name",
    );
    assert_eq!(listed.len(), 2, "{listed:?}");
    let page = server.get(&format!("{API}/places"));
    assert_eq!(page.header("X-Total-Count"), Some("3"));
    let tag = page.header("ETag").expect("ETag").to_string();
    let cached = server.get_with(&format!("{API}/places"), &[("If-None-Match", &tag)]);
    assert_eq!(cached.status, 304);
    assert_eq!(cached.header("X-Total-Count"), Some("3"));
    // If-Modified-Since is ignored on pages, as in Eve (#334): the newest change on
    // a page says nothing of a document deleted from it.
    let modified = page.header("Last-Modified").expect("Last-Modified");
    assert!(is_rfc1123(modified), "{modified}");
    let since = server.get_with(&format!("{API}/places"), &[("If-Modified-Since", modified)]);
    assert_eq!(since.status, 200);
    assert_eq!(since.body, page.body);
}

#[test]
fn pretty_heads_and_lookup_overrides() {
    let server = support::start_generated!(crm_api, API);
    let ann = contact(&server, "Ann");
    let path = format!("{API}/contacts/Ann?pretty");
    let get = server.get(&path);
    assert!(get.text().contains('\n'));
    let head = server.head(&path);
    assert_eq!(
        head.header("Content-Length"),
        Some(get.body.len().to_string().as_str())
    );
    let tag = get.header("ETag").unwrap().to_string();
    assert_eq!(
        server.get_with(&path, &[("If-None-Match", &tag)]).status,
        304
    );
    // Writes through the lookup are 405, by override too; GET by override reads.
    let etag = get.json()["_etag"].as_str().unwrap().to_string();
    let patched = server.request(
        "POST",
        &format!("{API}/contacts/Ann"),
        &[
            ("Content-Type", "application/json"),
            ("X-HTTP-Method-Override", "PATCH"),
            ("If-Match", &etag),
        ],
        Some(br#"{"email": "x@example.com"}"#),
    );
    assert_eq!(patched.status, 405, "{}", patched.text());
    let read = server.request(
        "POST",
        &format!("{API}/contacts/Ann"),
        &[("X-HTTP-Method-Override", "GET")],
        None,
    );
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["_id"], ann.as_str());
}
