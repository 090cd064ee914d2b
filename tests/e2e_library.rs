//! The crate generated from `specs/library.toml`, over real HTTP: Eve's data
//! lifecycle (soft delete, versions, the oplog, media) on authors and their books.

mod support;

use serde_json::{Value, json};
use support::{TestServer, is_object_id};

const API: &str = "/api/v1";

fn start() -> TestServer {
    support::start_generated!(library_api, API)
}

/// A plain book and its author round-trip, with non-ASCII text and a date before 1970.
#[test]
fn a_book_and_its_author() {
    let server = start();
    let author = server.post(
        &format!("{API}/authors"),
        &json!({"name": "Jorge Luis Borges", "born": "Thu, 24 Aug 1899 00:00:00 GMT"}),
    );
    assert_eq!(author.status, 201, "{}", author.text());
    let author: Value = author.json();
    let author_id = author["_id"].as_str().expect("an id");
    assert!(is_object_id(author_id));
    let book = server.post(
        &format!("{API}/books"),
        &json!({"title": "Ficciones — cuentos", "author": author_id, "pages": 174, "tags": ["cuentos", "laberintos"]}),
    );
    assert_eq!(book.status, 201, "{}", book.text());
    let book_id = book.json()["_id"].as_str().expect("an id").to_string();
    let got = server.get(&format!("{API}/books/{book_id}"));
    assert_eq!(got.status, 200);
    let got: Value = got.json();
    assert_eq!(got["title"], "Ficciones — cuentos");
    assert_eq!(got["author"], author_id);
    let born = server.get(&format!("{API}/authors/{author_id}")).json()["born"].clone();
    assert_eq!(born, "Thu, 24 Aug 1899 00:00:00 GMT");
}
