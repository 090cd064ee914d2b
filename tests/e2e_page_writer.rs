//! A page without projection or embedding is written straight from the rows
//! (`Resource::write_row`); an item, and a projected or embedded page, through the
//! document's `Serialize`. Both must write every document alike: the same members with
//! the same values, for every column type (text, integer, real, boolean, dates, JSON,
//! `null` and absent fields, text and integer ids).

mod support;

use serde_json::{Value, json};
use support::{API, TestServer};

/// Each item of the collection at `collection` (the fast path), compared with the
/// same document read as an item (the serde path), and with the same page projected
/// without `excluded` (the serde path again), `_links` aside.
fn assert_page_matches_items(server: &TestServer, collection: &str, excluded: &str) {
    let page = server.get(&format!("{collection}?max_results=50"));
    assert_eq!(page.status, 200, "{}", page.text());
    let items = page.json()["_items"].as_array().expect("items").clone();
    assert!(!items.is_empty(), "{collection} has documents");
    let projected = server
        .get(&format!(
            "{collection}?max_results=50&projection=%7B%22{excluded}%22%3A0%7D"
        ))
        .json()["_items"]
        .as_array()
        .expect("projected items")
        .clone();
    for (i, item) in items.iter().enumerate() {
        let id = match &item["_id"] {
            Value::String(id) => id.clone(),
            other => other.to_string(),
        };
        let single = server.get(&format!("{collection}/{id}"));
        assert_eq!(single.status, 200, "{}", single.text());
        let without_links = |value: &Value| {
            let mut object = value.as_object().expect("a document").clone();
            object.remove("_links");
            serde_json::to_string(&object).expect("JSON")
        };
        assert_eq!(
            without_links(item),
            without_links(&single.json()),
            "{collection}/{id}"
        );
        let mut whole = item.clone();
        whole.as_object_mut().expect("a document").remove(excluded);
        assert_eq!(
            without_links(&whole),
            without_links(&projected[i]),
            "{collection}/{id}"
        );
    }
}

#[test]
fn people_pages_match_their_items() {
    let server = TestServer::start();
    let people = format!("{API}/people");
    let created = server.post(
        &people,
        &json!([
            {"firstname": "Ünïcode", "lastname": "Quo\"te\\Back", "born": "Sat, 01 Jan 1955 00:00:00 GMT",
             "age": 70, "email": null, "role": ["author", "copy"], "location": {"city": "Zürich", "address": "1 \u{2028} St"}},
            {"lastname": "Bare"},
            {"lastname": "Tab\there", "email": "a@b.c", "status": "retired", "born": "Fri, 01 Jan 2100 12:30:00 GMT"},
        ]),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let contact = created.json()["_items"][0]["_id"]
        .as_str()
        .expect("an id")
        .to_string();
    let invoices = format!("{API}/invoices");
    let created = server.post(
        &invoices,
        &json!([
            {"number": 1, "contact_id": contact, "total": 12.5, "paid": true,
             "lines": [{"product": "tea", "qty": 2}]},
            {"number": 2, "contact_id": contact, "total": 1e-7},
            {"number": 3, "contact_id": contact, "total": 3.0, "paid": false},
        ]),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    assert_page_matches_items(&server, &people, "age");
    assert_page_matches_items(&server, &invoices, "lines");
}

#[test]
fn integer_ids_match_their_items() {
    let server = support::start_generated!(crm_api, API);
    let regions = format!("{API}/regions");
    let created = server.post(&regions, &json!([{"name": "North"}, {"name": "South"}]));
    assert_eq!(created.status, 201, "{}", created.text());
    assert_page_matches_items(&server, &regions, "name");
}
