//! The import's parts on their own: CSV records across chunks, cells read by their
//! field, headers checked.

use axum::body::Bytes;
use serde_json::json;

use super::cells::Header;
use super::source::{Cell, Chunks, Source};
use crate::catalog::{Field, Kind};
use crate::error::ApiError;
use crate::resource::ResourceInfo;

fn chunks(parts: &[&'static [u8]]) -> Chunks {
    let items: Vec<Result<Bytes, ApiError>> =
        parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
    Box::pin(futures_util::stream::iter(items))
}

async fn all(mut source: Source) -> Result<Vec<(u64, Vec<Cell>)>, ApiError> {
    let mut rows = Vec::new();
    while let Some(row) = source.next_row().await? {
        rows.push(row);
    }
    Ok(rows)
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

#[tokio::test]
async fn csv_records_span_chunks() {
    let source = Source::csv(chunks(&[
        b"\xEF\xBB\xBFname,note\r\nZo",
        b"\xC3\xAB,\"a, \"\"quoted\"\"\nline\"\n\n",
        b"bea,\n",
        b"cy,last",
    ]));
    let rows = all(source).await.unwrap();
    assert_eq!(
        rows,
        vec![
            (1, vec![text("name"), text("note")]),
            (2, vec![text("Zoë"), text("a, \"quoted\"\nline")]),
            // The blank line is skipped and not counted.
            (3, vec![text("bea"), Cell::Empty]),
            (4, vec![text("cy"), text("last")]),
        ]
    );
}

#[tokio::test]
async fn a_csv_that_is_not_utf8_is_refused() {
    let source = Source::csv(chunks(&[b"name\n", b"caf\xE9\n"]));
    let error = all(source).await.unwrap_err();
    assert_eq!(error.status, 400);
    assert!(error.message.contains("Row 2"), "{}", error.message);
}

#[tokio::test]
async fn a_long_record_grows_its_buffer() {
    let long = "x".repeat(100_000);
    let body: &'static [u8] = Box::leak(format!("a\n{long}\n").into_bytes().into_boxed_slice());
    let rows = all(Source::csv(chunks(&[body]))).await.unwrap();
    assert_eq!(rows[1].1, vec![Cell::Text(long)]);
}

static FIELDS: [Field; 6] = [
    Field::new("name", Kind::String),
    Field::new("age", Kind::Integer),
    Field::new("score", Kind::Float),
    Field::new("active", Kind::Boolean),
    Field::new("tags", Kind::List),
    Field::new("born", Kind::Datetime),
];

static INFO: ResourceInfo = ResourceInfo {
    name: "people",
    url: "people",
    fields: &FIELDS,
    ..ResourceInfo::DEFAULTS
};

#[test]
fn cells_are_read_as_their_fields() {
    let header = Header::read(
        &INFO,
        vec![
            text("name"),
            text("age"),
            text("score"),
            text("active"),
            text("tags"),
            text("born"),
            Cell::Empty,
        ],
    )
    .unwrap();
    let document = header
        .document(vec![
            text("Zoë"),
            text("42"),
            Cell::Json(json!(1.5)),
            text("TRUE"),
            text("[\"a\", \"b\"]"),
            Cell::Date(-86_400),
        ])
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(document),
        json!({"name": "Zoë", "age": 42, "score": 1.5, "active": true, "tags": ["a", "b"],
               "born": "Wed, 31 Dec 1969 00:00:00 GMT"})
    );
    // A spreadsheet's 42.0 is an integer; its 12345 fills a text field as it shows.
    let document = header
        .document(vec![Cell::Json(json!(12345.0)), Cell::Json(json!(42.0))])
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(document),
        json!({"name": "12345", "age": 42})
    );
    // Each bad cell is named by its column.
    let issues = header
        .document(vec![
            Cell::Empty,
            text("forty"),
            text("1e999x"),
            text("maybe"),
            text("[1,"),
            Cell::Empty,
            text("extra"),
        ])
        .unwrap_err()
        .to_json();
    assert_eq!(issues["age"], "must be of integer type (read 'forty')");
    assert!(issues["score"]
        .as_str()
        .unwrap()
        .starts_with("must be of float type"));
    assert!(issues["active"]
        .as_str()
        .unwrap()
        .starts_with("must be of boolean type"));
    assert!(issues["tags"]
        .as_str()
        .unwrap()
        .starts_with("must be of list type"));
    assert!(issues["_row"].as_str().unwrap().contains("more cells"));
}

#[test]
fn the_header_names_fields_once() {
    let error = Header::read(
        &INFO,
        vec![
            text("name"),
            text("nom"),
            text("name"),
            Cell::Empty,
            text("age"),
        ],
    )
    .unwrap_err();
    assert_eq!(error.status, 422);
    let issues = error.issues.unwrap().to_json();
    assert_eq!(issues["nom"], "unknown field");
    assert!(issues["name"].as_str().unwrap().contains("twice"));
    assert!(issues["column 4"].is_string());
    assert_eq!(
        Header::read(&INFO, vec![Cell::Empty]).unwrap_err().status,
        400
    );
    assert!(Header::read(&INFO, vec![text("_id"), text(" age ")]).is_ok());
    assert_eq!(
        Header::read(&INFO, vec![text("_etag")]).unwrap_err().status,
        422
    );
}
