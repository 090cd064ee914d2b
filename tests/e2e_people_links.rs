//! The people spec's own embeddable references (`works.owner`, `invoices.contact_id`)
//! embed on request, as Eve's do: its resources had them marked `embeddable` before
//! embedding existed.

mod support;

use serde_json::{Value, json};
use support::{API, TestServer, enc};

fn embedded(clause: &str) -> String {
    format!("embedded={}", enc(clause))
}

#[test]
fn works_embed_their_owner_and_invoices_their_contact_on_request() {
    let server = TestServer::start();
    let person = server.create(
        "people",
        json!({"firstname": "Ada", "lastname": "Lovelace"}),
    );
    let person_id = person["_id"].as_str().unwrap().to_string();
    let work = server.create("works", json!({"title": "Notes", "owner": person_id}));
    let work_id = work["_id"].as_str().unwrap().to_string();
    server.create("invoices", json!({"number": 1, "contact_id": person_id}));

    // Not embedded unless asked: the people spec sets no `embedded_fields`.
    let plain = server.get(&format!("{API}/works/{work_id}")).json();
    assert_eq!(plain["owner"], person_id.as_str());

    let rich = server
        .get(&format!(
            "{API}/works/{work_id}?{}",
            embedded(r#"{"owner": 1}"#)
        ))
        .json();
    assert_eq!(rich["owner"]["lastname"], "Lovelace");
    assert_eq!(
        rich["owner"]["status"], "active",
        "the person as served, defaults filled"
    );
    assert_eq!(rich["_links"]["collection"]["href"], "works");

    let invoices = server.items(&format!(
        "{API}/invoices?{}",
        embedded(r#"{"contact_id": 1}"#)
    ));
    assert_eq!(invoices[0]["contact_id"]["_id"], person_id.as_str());
    assert_eq!(invoices[0]["contact_id"]["firstname"], "Ada");

    // People have no references: `embedded` changes nothing there.
    let people = server.items(&format!("{API}/people?{}", embedded(r#"{"owner": 1}"#)));
    assert_eq!(people[0]["_id"], Value::String(person_id));
}
