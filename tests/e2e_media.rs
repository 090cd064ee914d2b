//! Media fields and form bodies over real HTTP, on the crate generated from
//! `specs/library.toml`: a book's `cover` is a media field (served as its URL with
//! Eve's extended info, the file at `/api/v1/media/<id>` with Range requests), books
//! read multipart form fields as JSON (`multipart_form_fields_as_json`), authors as
//! strings. Every answer here is the one Eve gives.

mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use support::{Response, TestServer, is_object_id, is_rfc1123};

const API: &str = "/api/v1";

/// The library server, and the directory of its database (to look for orphan files).
fn start() -> (TestServer, PathBuf) {
    let dir: Arc<Mutex<Option<PathBuf>>> = Arc::default();
    let seen = dir.clone();
    let server = TestServer::start_custom(API, move |listener, dir, signal| {
        *seen.lock().unwrap() = Some(dir.clone());
        let config = library_api::Config {
            addr: listener.local_addr().expect("listener address"),
            db: dir.join("api.db"),
            ..library_api::Config::default()
        };
        let app = library_api::app(&config, Arc::new(library_api::hooks::AppHooks))
            .expect("open the database and build the app");
        support::block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            library_api::serve(listener, app, &config, signal)
                .await
                .expect("serve");
        });
    });
    let db = loop {
        if let Some(dir) = dir.lock().unwrap().clone() {
            break dir.join("api.db");
        }
        std::thread::yield_now();
    };
    (server, db)
}

/// How many files the media table holds, read from the database file itself.
fn stored_files(db: &PathBuf) -> i64 {
    let conn = apigen_runtime::rusqlite::Connection::open(db).expect("open the database");
    conn.query_row("SELECT count(*) FROM \"_media\"", [], |row| row.get(0))
        .expect("count the files")
}

const BOUNDARY: &str = "----apigen-boundary-7MA4YWxkTrZu0gW";

/// One part of a multipart body: a text field, or a file.
enum Part<'a> {
    Text(&'a str, &'a str),
    File {
        name: &'a str,
        file_name: &'a str,
        content_type: Option<&'a str>,
        bytes: &'a [u8],
    },
}

fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(value.as_bytes());
            }
            Part::File {
                name,
                file_name,
                content_type,
                bytes,
            } => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n"
                    )
                    .as_bytes(),
                );
                if let Some(content_type) = content_type {
                    body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
                }
                body.extend_from_slice(b"\r\n");
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

fn send_multipart(
    server: &TestServer,
    method: &str,
    path: &str,
    etag: Option<&str>,
    parts: &[Part<'_>],
) -> Response {
    let content_type = multipart_type();
    let mut headers = vec![("Content-Type", content_type.as_str())];
    if let Some(tag) = etag {
        headers.push(("If-Match", tag));
    }
    server.request(method, path, &headers, Some(&multipart(parts)))
}

fn send_form(
    server: &TestServer,
    method: &str,
    path: &str,
    etag: Option<&str>,
    body: &str,
) -> Response {
    let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
    if let Some(tag) = etag {
        headers.push(("If-Match", tag));
    }
    server.request(method, path, &headers, Some(body.as_bytes()))
}

/// Bytes that are not text: every byte value, NULs and CRLFs that look like a
/// multipart boundary's start included.
fn binary(length: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..length)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    if length > 8 {
        bytes[1..8].copy_from_slice(b"\r\n--\r\n-");
    }
    bytes
}

fn cover_part<'a>(bytes: &'a [u8], file_name: &'a str) -> Part<'a> {
    Part::File {
        name: "cover",
        file_name,
        content_type: Some("image/png"),
        bytes,
    }
}

fn book_url(id: &str) -> String {
    format!("{API}/books/{id}")
}

/// A book posted with a cover; its id and the cover as the book serves it.
fn post_book_with_cover(server: &TestServer, bytes: &[u8], file_name: &str) -> (String, Value) {
    let posted = send_multipart(
        server,
        "POST",
        &format!("{API}/books"),
        None,
        &[
            Part::Text("title", "Ficciones — cuentos"),
            cover_part(bytes, file_name),
        ],
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let id = posted.json()["_id"].as_str().expect("an id").to_string();
    let book = server.get(&book_url(&id));
    assert_eq!(book.status, 200, "{}", book.text());
    (id, book.json()["cover"].clone())
}

fn media_id(cover: &Value) -> String {
    let url = cover["file"].as_str().expect("the file's URL");
    let id = url
        .strip_prefix(&format!("{API}/media/"))
        .unwrap_or_else(|| panic!("a media URL: {url}"));
    assert!(is_object_id(id), "{id}");
    id.to_string()
}

/// A multipart POST stores the file and the other fields; the document serves the
/// file's URL with Eve's extended info, and the URL serves the bytes.
#[test]
fn a_cover_is_uploaded_with_its_book_and_served_at_its_url() {
    let (server, _) = start();
    let bytes = binary(3000);
    let posted = send_multipart(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        &[
            Part::Text("title", "Ficciones — cuentos"),
            // Books read form fields as JSON: numbers, lists, and dates (a JSON string
            // or, not being JSON, the text itself).
            Part::Text("pages", "9007199254740993"),
            Part::Text("tags", r#"["cuentos", "laberintos"]"#),
            Part::Text("published", "Mon, 01 Jan 1900 00:00:00 GMT"),
            cover_part(&bytes, "portada ñ.png"),
        ],
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let written = posted.json();
    assert_eq!(written["_status"], "OK");
    assert!(
        written.get("cover").is_none(),
        "a write answer has only meta fields"
    );
    let id = written["_id"].as_str().unwrap();

    let book = server.get(&book_url(id)).json();
    assert_eq!(book["title"], "Ficciones — cuentos");
    assert_eq!(book["pages"], json!(9007199254740993_i64));
    assert_eq!(book["tags"], json!(["cuentos", "laberintos"]));
    assert_eq!(book["published"], "Mon, 01 Jan 1900 00:00:00 GMT");
    let cover = &book["cover"];
    let media = media_id(cover);
    assert_eq!(
        cover,
        &json!({
            "file": format!("{API}/media/{media}"),
            "content_type": "image/png",
            "name": "portada ñ.png",
            "length": 3000,
        })
    );
    // The collection serves it the same way.
    let items = server.items(&format!("{API}/books"));
    assert_eq!(items[0]["cover"], *cover);
    // A projection keeps or drops it like any field.
    let projected = server.get(&format!(
        "{API}/books/{id}?projection={}",
        support::enc(r#"{"cover": 1}"#)
    ));
    assert_eq!(projected.json()["cover"], *cover);
    assert!(projected.json().get("title").is_none());

    let file = server.get(&format!("{API}/media/{media}"));
    assert_eq!(file.status, 200);
    assert_eq!(file.body, bytes);
    assert_eq!(file.header("Content-Type"), Some("image/png"));
    assert_eq!(file.header("Content-Length"), Some("3000"));
    assert_eq!(file.header("Accept-Ranges"), Some("bytes"));
    assert!(is_rfc1123(
        file.header("Last-Modified").expect("Last-Modified")
    ));
    let tag = file.header("ETag").expect("an ETag").to_string();
    // The tag and the date answer a conditional GET with 304.
    let again = server.get_with(&format!("{API}/media/{media}"), &[("If-None-Match", &tag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    // HEAD: the headers, no body.
    let head = server.head(&format!("{API}/media/{media}"));
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Length"), Some("3000"));
    assert!(head.body.is_empty());
}

/// `Range: bytes=a-b`, `a-` and `-n` answer 206 with `Content-Range`; a range past
/// the end 416 with `Content-Range: bytes */len`; several ranges the whole file (200,
/// as RFC 9110 allows). The file is larger than one chunk the server reads at a time.
#[test]
fn range_requests() {
    let (server, _) = start();
    let bytes = binary(200_003);
    let (_, cover) = post_book_with_cover(&server, &bytes, "big.bin");
    let url = format!("{API}/media/{}", media_id(&cover));
    let range = |value: &str| server.get_with(&url, &[("Range", value)]);

    let first = range("bytes=0-9");
    assert_eq!(first.status, 206);
    assert_eq!(first.body, bytes[..10]);
    assert_eq!(first.header("Content-Range"), Some("bytes 0-9/200003"));
    assert_eq!(first.header("Content-Length"), Some("10"));
    assert_eq!(first.header("Content-Type"), Some("image/png"));

    // Across the server's 64 KiB chunks.
    let middle = range("bytes=65530-131080");
    assert_eq!(middle.status, 206);
    assert_eq!(middle.body, bytes[65530..=131080]);
    assert_eq!(
        middle.header("Content-Range"),
        Some("bytes 65530-131080/200003")
    );

    let tail = range("bytes=199990-");
    assert_eq!(tail.status, 206);
    assert_eq!(tail.body, bytes[199990..]);
    assert_eq!(
        tail.header("Content-Range"),
        Some("bytes 199990-200002/200003")
    );

    let suffix = range("bytes=-5");
    assert_eq!(suffix.status, 206);
    assert_eq!(suffix.body, bytes[200_003 - 5..]);
    assert_eq!(
        suffix.header("Content-Range"),
        Some("bytes 199998-200002/200003")
    );

    // An end past the file is cut to it.
    let past_end = range("bytes=200000-999999");
    assert_eq!(past_end.status, 206);
    assert_eq!(
        past_end.header("Content-Range"),
        Some("bytes 200000-200002/200003")
    );

    let outside = range("bytes=200003-");
    outside.error(416);
    assert_eq!(outside.header("Content-Range"), Some("bytes */200003"));

    let several = range("bytes=0-1,5-6");
    assert_eq!(several.status, 200);
    assert_eq!(several.body, bytes);
    assert!(several.header("Content-Range").is_none());

    // Not a byte range: ignored.
    let other_unit = range("items=0-1");
    assert_eq!(other_unit.status, 200);
    assert_eq!(other_unit.body.len(), 200_003);
}

/// An unknown media id, or something that is not an id, is 404 in Eve's envelope.
#[test]
fn unknown_media_is_404() {
    let (server, _) = start();
    server
        .get(&format!("{API}/media/5f8d0d55b54764421b7156c9"))
        .error(404);
    server.get(&format!("{API}/media/not-an-id")).error(404);
    server.get(&format!("{API}/media/%FF%FE")).error(404);
}

/// PATCH and PUT with a new file store it under a new id (a new URL) and delete the
/// old one; a PATCH that leaves the cover alone keeps it.
#[test]
fn replacing_the_file_gives_a_new_url_and_deletes_the_old_file() {
    let (server, db) = start();
    let (id, cover) = post_book_with_cover(&server, b"first cover", "one.png");
    let old = media_id(&cover);
    let etag = server.get(&book_url(&id)).etag();

    let patched = send_multipart(
        &server,
        "PATCH",
        &book_url(&id),
        Some(&etag),
        &[cover_part(b"second cover", "two.png")],
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    let book = server.get(&book_url(&id)).json();
    let new = media_id(&book["cover"]);
    assert_ne!(new, old);
    assert_eq!(book["cover"]["name"], "two.png");
    assert_eq!(
        book["title"], "Ficciones — cuentos",
        "a PATCH keeps the rest"
    );
    assert_eq!(
        server.get(&format!("{API}/media/{new}")).body,
        b"second cover"
    );
    server.get(&format!("{API}/media/{old}")).error(404);
    assert_eq!(stored_files(&db), 1);

    // A PATCH of another field keeps the file.
    let etag = server.get(&book_url(&id)).etag();
    let renamed = send_form(
        &server,
        "PATCH",
        &book_url(&id),
        Some(&etag),
        "title=El+Aleph",
    );
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let book = server.get(&book_url(&id)).json();
    assert_eq!(book["title"], "El Aleph");
    assert_eq!(media_id(&book["cover"]), new);

    // PUT replaces the document, and its file.
    let etag = server.get(&book_url(&id)).etag();
    let put = send_multipart(
        &server,
        "PUT",
        &book_url(&id),
        Some(&etag),
        &[
            Part::Text("title", "El libro de arena"),
            cover_part(b"", "empty.png"),
        ],
    );
    assert_eq!(put.status, 200, "{}", put.text());
    let book = server.get(&book_url(&id)).json();
    let third = media_id(&book["cover"]);
    assert_eq!(book["cover"]["length"], 0);
    let empty = server.get(&format!("{API}/media/{third}"));
    assert_eq!(empty.status, 200);
    assert!(empty.body.is_empty());
    assert_eq!(empty.header("Content-Length"), Some("0"));
    // An empty file has no byte to range over.
    server
        .get_with(&format!("{API}/media/{third}"), &[("Range", "bytes=0-")])
        .error(416);
    server.get(&format!("{API}/media/{new}")).error(404);

    // A PUT without the cover drops it, and its file.
    let etag = server.get(&book_url(&id)).etag();
    let bare = server.put(&book_url(&id), Some(&etag), &json!({"title": "Sin tapa"}));
    assert_eq!(bare.status, 200, "{}", bare.text());
    assert!(server.get(&book_url(&id)).json().get("cover").is_none());
    assert_eq!(stored_files(&db), 0);
}

/// Books are soft-deleted (`soft_delete = true`): a DELETE marks the document, which
/// a PATCH can restore, so its files stay, as in Eve (only a hard DELETE removes a
/// document's files).
#[test]
fn soft_deleting_documents_keeps_their_files() {
    let (server, db) = start();
    let (id, cover) = post_book_with_cover(&server, b"cover one", "a.png");
    let (_, other) = post_book_with_cover(&server, b"cover two", "b.png");
    assert_eq!(stored_files(&db), 2);

    let etag = server.get(&book_url(&id)).etag();
    assert_eq!(server.delete(&book_url(&id), Some(&etag)).status, 204);
    assert_eq!(server.delete(&format!("{API}/books"), None).status, 204);
    for cover in [&cover, &other] {
        let file = server.get(&format!("{API}/media/{}", media_id(cover)));
        assert_eq!(file.status, 200);
    }
    assert_eq!(stored_files(&db), 2);

    let deleted = server.get(&book_url(&id));
    assert_eq!(deleted.status, 404);
    let restored = server.patch(
        &book_url(&id),
        Some(&deleted.etag()),
        &serde_json::json!({}),
    );
    assert_eq!(restored.status, 200, "{}", restored.text());
    assert_eq!(server.get(&book_url(&id)).json()["cover"], cover);
}

/// A document that fails validation is not stored, and neither is its file: both are
/// written in one transaction.
#[test]
fn a_rejected_document_leaves_no_file() {
    let (server, db) = start();
    let bytes = binary(100_000);
    // No title (required).
    let rejected = send_multipart(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        &[Part::Text("pages", "0"), cover_part(&bytes, "x.png")],
    );
    let issues = rejected.issues();
    assert_eq!(issues["title"], "required field");
    assert_eq!(issues["pages"], "min value is 1");
    assert_eq!(stored_files(&db), 0);
    assert!(server.items(&format!("{API}/books")).is_empty());

    // A PATCH that fails leaves the old file and no new one.
    let (id, cover) = post_book_with_cover(&server, b"kept", "kept.png");
    let etag = server.get(&book_url(&id)).etag();
    let bad = send_multipart(
        &server,
        "PATCH",
        &book_url(&id),
        Some(&etag),
        &[Part::Text("pages", "-3"), cover_part(&bytes, "y.png")],
    );
    assert_eq!(bad.issues()["pages"], "min value is 1");
    assert_eq!(server.get(&book_url(&id)).json()["cover"], cover);
    assert_eq!(stored_files(&db), 1);
    // A stale If-Match stores nothing either.
    let stale = send_multipart(
        &server,
        "PATCH",
        &book_url(&id),
        Some("0000"),
        &[cover_part(&bytes, "z.png")],
    );
    stale.error(412);
    assert_eq!(stored_files(&db), 1);
}

/// A media field takes a file: a JSON or form value for it is 422, as Eve's `media`
/// type refuses anything but an upload, so no client can point a document at another
/// document's file. A file for a field that is not a media field is 422 too.
#[test]
fn a_media_field_takes_only_a_file() {
    let (server, db) = start();
    let (_, cover) = post_book_with_cover(&server, b"someone's cover", "a.png");
    let stolen = server.post(
        &format!("{API}/books"),
        &json!({"title": "Thief", "cover": media_id(&cover)}),
    );
    assert_eq!(stolen.issues(), json!({"cover": "must be of media type"}));
    let in_bulk = server.post(
        &format!("{API}/books"),
        &json!([{"title": "Fine"}, {"title": "Thief", "cover": media_id(&cover)}]),
    );
    assert_eq!(in_bulk.issues(), json!({"cover": "must be of media type"}));
    let as_text = send_multipart(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        &[Part::Text("title", "Thief"), Part::Text("cover", "abc")],
    );
    assert_eq!(as_text.issues(), json!({"cover": "must be of media type"}));
    let as_form = send_form(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        "title=T&cover=x",
    );
    assert_eq!(as_form.issues(), json!({"cover": "must be of media type"}));

    let misplaced = send_multipart(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        &[
            Part::Text("title", "T"),
            Part::File {
                name: "isbn",
                file_name: "isbn.txt",
                content_type: None,
                bytes: b"978-3-16-148410-0",
            },
            Part::File {
                name: "nonexistent",
                file_name: "n.txt",
                content_type: None,
                bytes: b"n",
            },
        ],
    );
    assert_eq!(
        misplaced.issues(),
        json!({"isbn": "must be of string type", "nonexistent": "unknown field"})
    );
    // A JSON `null` clears a nullable field only; `cover` is not nullable.
    let null = server.post(
        &format!("{API}/books"),
        &json!({"title": "T", "cover": null}),
    );
    assert_eq!(null.issues(), json!({"cover": "null value not allowed"}));
    assert_eq!(stored_files(&db), 1);
}

/// A file without a content type is served as `application/octet-stream`, and the
/// first of two files for one field is the one kept (Eve's `to_dict()`).
#[test]
fn untyped_files_and_repeated_parts() {
    let (server, db) = start();
    let posted = send_multipart(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        &[
            Part::Text("title", "First"),
            Part::Text("title", "Second"),
            Part::File {
                name: "cover",
                file_name: "raw",
                content_type: None,
                bytes: b"\x00\x01\x02",
            },
            cover_part(b"ignored", "ignored.png"),
        ],
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let book = server
        .get(&book_url(posted.json()["_id"].as_str().unwrap()))
        .json();
    assert_eq!(book["title"], "First");
    assert_eq!(book["cover"]["name"], "raw");
    assert_eq!(book["cover"]["content_type"], "");
    let file = server.get(&format!("{API}/media/{}", media_id(&book["cover"])));
    assert_eq!(file.body, b"\x00\x01\x02");
    assert_eq!(
        file.header("Content-Type"),
        Some("application/octet-stream")
    );
    assert_eq!(stored_files(&db), 1);
}

/// Several megabytes round-trip byte for byte, a chunk at a time each way.
#[test]
fn a_large_file_round_trips() {
    let (server, _) = start();
    let bytes = binary(5 * 1024 * 1024 + 17);
    let (_, cover) = post_book_with_cover(&server, &bytes, "large.tiff");
    assert_eq!(cover["length"], 5 * 1024 * 1024 + 17);
    let file = server.get(&format!("{API}/media/{}", media_id(&cover)));
    assert_eq!(file.status, 200);
    assert!(
        file.body == bytes,
        "the bytes served are the bytes uploaded"
    );
}

/// A multipart body over `media_max_bytes` is 413 before it is read; form text over
/// `max_body_bytes` is 413 (it is held in memory, files are not).
#[test]
fn too_large_bodies_are_413() {
    let (server, db) = start();
    let declared = server.raw(
        format!(
            "POST {API}/books HTTP/1.1\r\nHost: x\r\nContent-Type: {}\r\nContent-Length: 67108865\r\nConnection: close\r\n\r\n",
            multipart_type()
        )
        .as_bytes(),
    );
    assert!(declared.error(413).contains("67108864"));
    let long_title = "é".repeat(600_000);
    let text = send_multipart(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        &[Part::Text("title", &long_title)],
    );
    assert!(text.error(413).contains("1048576"), "{}", text.text());
    // A JSON body keeps the 1 MiB cap.
    let json_body = server.post(&format!("{API}/authors"), &json!({"name": long_title}));
    json_body.error(413);
    assert_eq!(stored_files(&db), 0);
}

/// An `application/x-www-form-urlencoded` POST: every value a string, as Eve reads a
/// form (so an integer field refuses `pages=3`, even where multipart fields are JSON).
#[test]
fn urlencoded_post() {
    let (server, _) = start();
    let posted = send_form(
        &server,
        "POST",
        &format!("{API}/authors"),
        None,
        "name=Jorge+Luis+Borges+%E2%80%94+%C3%B1&born=Thu%2C+24+Aug+1899+00%3A00%3A00+GMT&name=ignored",
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let author = server
        .get(&format!(
            "{API}/authors/{}",
            posted.json()["_id"].as_str().unwrap()
        ))
        .json();
    assert_eq!(author["name"], "Jorge Luis Borges — ñ");
    assert_eq!(author["born"], "Thu, 24 Aug 1899 00:00:00 GMT");

    let typed = send_form(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        "title=T&pages=3",
    );
    assert_eq!(typed.issues(), json!({"pages": "must be of integer type"}));

    let empty = send_form(&server, "POST", &format!("{API}/authors"), None, "");
    assert_eq!(empty.error(400), "No form-urlencoded data supplied");
}

/// A multipart POST to authors (no `multipart_form_fields_as_json`): fields are
/// strings, even when they read as JSON.
#[test]
fn multipart_fields_as_strings() {
    let (server, _) = start();
    let posted = send_multipart(
        &server,
        "POST",
        &format!("{API}/authors"),
        None,
        &[Part::Text("name", "12345678901234567890")],
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let author = server
        .get(&format!(
            "{API}/authors/{}",
            posted.json()["_id"].as_str().unwrap()
        ))
        .json();
    assert_eq!(author["name"], "12345678901234567890");

    let empty = server.request(
        "POST",
        &format!("{API}/authors"),
        &[("Content-Type", &multipart_type())],
        Some(format!("--{BOUNDARY}--\r\n").as_bytes()),
    );
    assert_eq!(empty.error(400), "No multipart/form-data supplied");

    let no_boundary = server.request(
        "POST",
        &format!("{API}/authors"),
        &[("Content-Type", "multipart/form-data")],
        Some(b"name=x"),
    );
    no_boundary.error(400);
    let malformed = server.request(
        "POST",
        &format!("{API}/authors"),
        &[("Content-Type", &multipart_type())],
        Some(b"garbage without any boundary"),
    );
    malformed.error(400);
}

/// `multipart_form_fields_as_json` (books): each field read as JSON, and as the text
/// itself when it is not JSON.
#[test]
fn multipart_form_fields_as_json() {
    let (server, _) = start();
    let posted = send_multipart(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        &[
            Part::Text("title", "\"1984\""),
            Part::Text("pages", "328"),
            Part::Text("tags", "[\"distopía\"]"),
        ],
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let book = server
        .get(&book_url(posted.json()["_id"].as_str().unwrap()))
        .json();
    assert_eq!(book["title"], "1984", "a JSON string");
    assert_eq!(book["pages"], 328);
    assert_eq!(book["tags"], json!(["distopía"]));
    assert!(book.get("cover").is_none());

    // `1984` alone reads as a number: not a string.
    let number = send_multipart(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        &[Part::Text("title", "1984")],
    );
    assert_eq!(number.issues(), json!({"title": "must be of string type"}));
}

/// A body that is neither JSON nor a form is 400 in Eve's envelope, on POST, PATCH
/// and PUT.
#[test]
fn other_content_types_are_400() {
    let (server, _) = start();
    let author = server.create("authors", json!({"name": "Ann"}));
    let item = format!("{API}/authors/{}", author["_id"].as_str().unwrap());
    let etag = author["_etag"].as_str().unwrap().to_string();
    for (method, path) in [
        ("POST", format!("{API}/authors")),
        ("PATCH", item.clone()),
        ("PUT", item.clone()),
    ] {
        for content_type in [Some("text/plain"), Some("application/xml"), None] {
            let mut headers = vec![("If-Match", etag.as_str())];
            if let Some(content_type) = content_type {
                headers.push(("Content-Type", content_type));
            }
            let answer = server.request(method, &path, &headers, Some(b"name=Bob"));
            assert_eq!(
                answer.error(400).split(':').next(),
                Some("Unknown or no Content-Type header supplied"),
                "{method} {content_type:?}"
            );
        }
    }
    assert_eq!(server.get(&item).json()["name"], "Ann");
}

/// PATCH and PUT take forms too.
#[test]
fn patch_and_put_with_forms() {
    let (server, _) = start();
    let author = server.create("authors", json!({"name": "Ann"}));
    let item = format!("{API}/authors/{}", author["_id"].as_str().unwrap());

    let etag = server.get(&item).etag();
    let patched = send_form(
        &server,
        "PATCH",
        &item,
        Some(&etag),
        "born=Sat%2C+01+Jan+1898+00%3A00%3A00+GMT",
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    let got = server.get(&item).json();
    assert_eq!(got["name"], "Ann");
    assert_eq!(got["born"], "Sat, 01 Jan 1898 00:00:00 GMT");

    let etag = server.get(&item).etag();
    let put = send_multipart(
        &server,
        "PUT",
        &item,
        Some(&etag),
        &[Part::Text("name", "Ana María")],
    );
    assert_eq!(put.status, 200, "{}", put.text());
    let got = server.get(&item).json();
    assert_eq!(got["name"], "Ana María");
    assert!(got.get("born").is_none(), "a PUT replaces the document");

    // Without If-Match: 428, as for JSON.
    send_form(&server, "PATCH", &item, None, "name=X").error(428);
}

/// Eve's default, `return_media_as_base64_string` (the blog's authors' `avatar`): the
/// document holds the file as a base64 string, and so does a document that embeds it.
/// Without `return_media_as_url` there is no media endpoint (404).
#[test]
fn files_served_as_base64_by_default() {
    const BLOG: &str = "/api/v1";
    let server = support::start_generated!(blog_api, BLOG);
    let avatar = [0u8, 255, 1, 254, b'\r', b'\n', b'-', b'-', 0x80, 0x7f];
    let posted = send_multipart(
        &server,
        "POST",
        &format!("{BLOG}/authors"),
        None,
        &[
            Part::Text("name", "Ursula K. Le Guin — 1929"),
            Part::Text("born", "Mon, 21 Oct 1929 00:00:00 GMT"),
            Part::File {
                name: "avatar",
                file_name: "ursula.jpg",
                content_type: Some("image/jpeg"),
                bytes: &avatar,
            },
        ],
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let author_id = posted.json()["_id"].as_str().unwrap().to_string();
    let author = server.get(&format!("{BLOG}/authors/{author_id}")).json();
    // base64 of 00 ff 01 fe 0d 0a 2d 2d 80 7f
    assert_eq!(author["avatar"], "AP8B/g0KLS2Afw==");
    assert_eq!(author["born"], "Mon, 21 Oct 1929 00:00:00 GMT");
    let listed = server.items(&format!("{BLOG}/authors"));
    assert_eq!(listed[0]["avatar"], "AP8B/g0KLS2Afw==");

    // Posts embed their author by default: the avatar comes embedded as base64 too.
    let post = server.create("posts", json!({"title": "Earthsea", "author": author_id}));
    let post = server
        .get(&format!("{BLOG}/posts/{}", post["_id"].as_str().unwrap()))
        .json();
    assert_eq!(post["author"]["name"], "Ursula K. Le Guin — 1929");
    assert_eq!(post["author"]["avatar"], "AP8B/g0KLS2Afw==");

    server
        .get(&format!("{BLOG}/media/5f8d0d55b54764421b7156c9"))
        .error(404);
}

/// A PUT to an id no book has creates the book (Eve's `UPSERT_ON_PUT`), its cover
/// with it.
#[test]
fn a_put_that_creates_stores_its_file() {
    let (server, db) = start();
    let id = "5f8d0d55b54764421b7156c9";
    let put = send_multipart(
        &server,
        "PUT",
        &book_url(id),
        None,
        &[
            Part::Text("title", "Nueva"),
            cover_part(b"new cover", "new.png"),
        ],
    );
    assert_eq!(put.status, 201, "{}", put.text());
    let book = server.get(&book_url(id)).json();
    assert_eq!(book["title"], "Nueva");
    let file = server.get(&format!("{API}/media/{}", media_id(&book["cover"])));
    assert_eq!(file.body, b"new cover");
    assert_eq!(stored_files(&db), 1);
}

/// The lifecycle features together on one book: a versioned, soft-deleted document
/// with a cover, and its oplog entries. Each write is a version and an entry; the
/// soft DELETE keeps the cover and the history; a PATCH with the ETag of the 404
/// restores the book.
#[test]
fn a_soft_deleted_versioned_book_its_oplog_entries_and_its_cover() {
    let (server, _db) = start();
    let (id, cover) = post_book_with_cover(&server, b"first cover", "one.png");
    let book = server.get(&book_url(&id));
    assert_eq!(book.json()["_version"], 1);

    // A JSON PATCH, then a multipart PATCH that replaces the cover: versions 2 and 3.
    let patched = server.patch(
        &book_url(&id),
        Some(&book.etag()),
        &serde_json::json!({"pages": 321, "published": "Sat, 01 Jan 1944 00:00:00 GMT"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(patched.json()["_version"], 2);
    let second = b"second cover \xce\xa9";
    let replaced = send_multipart(
        &server,
        "PATCH",
        &book_url(&id),
        Some(patched.json()["_etag"].as_str().expect("etag")),
        &[cover_part(second, "two.png")],
    );
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    assert_eq!(replaced.json()["_version"], 3);
    let current = server.get(&book_url(&id));
    let new_cover = current.json()["cover"].clone();
    assert_ne!(media_id(&new_cover), media_id(&cover));

    // The soft DELETE: a 404 that carries the deleted document, its versions intact.
    assert_eq!(
        server.delete(&book_url(&id), Some(&current.etag())).status,
        204
    );
    let gone = server.get(&book_url(&id));
    assert_eq!(gone.status, 404);
    let deleted = gone.json();
    assert_eq!(deleted["_deleted"], true);
    assert_eq!(deleted["title"], "Ficciones — cuentos");
    assert_eq!(deleted["_version"], deleted["_latest_version"]);
    let latest = deleted["_version"].as_i64().expect("a version");
    let history = server.get(&format!("{}?version=all", book_url(&id)));
    assert_eq!(history.status, 200, "{}", history.text());
    let versions = history.json()["_items"].as_array().expect("items").clone();
    assert_eq!(versions.len() as i64, latest);
    assert_eq!(versions[0]["_version"], 1);
    assert_eq!(versions[1]["pages"], 321);
    assert_eq!(versions.last().expect("a version")["_deleted"], true);
    // The cover of a soft-deleted book is kept (Eve keeps its files).
    let file = server.get(&format!("{API}/media/{}", media_id(&new_cover)));
    assert_eq!(file.status, 200);
    assert_eq!(file.body, second);

    // One oplog entry per write, oldest first, each naming the book.
    let filter = serde_json::json!({"i": id}).to_string();
    let log = server.get(&format!("{API}/oplog?where={}", support::enc(&filter)));
    assert_eq!(log.status, 200, "{}", log.text());
    let entries = log.json()["_items"].as_array().expect("items").clone();
    let operations: Vec<&str> = entries
        .iter()
        .map(|e| e["o"].as_str().expect("an operation"))
        .collect();
    assert_eq!(operations, ["POST", "PATCH", "PATCH", "DELETE"]);
    assert!(entries.iter().all(|e| e["r"] == "books"));
    assert_eq!(entries[1]["c"]["pages"], 321);

    // A PATCH with the 404's ETag restores the book: live again, a new version, an
    // entry of its own.
    let restored = server.patch(&book_url(&id), Some(&gone.etag()), &serde_json::json!({}));
    assert_eq!(restored.status, 200, "{}", restored.text());
    let live = server.get(&book_url(&id)).json();
    assert_eq!(live["_deleted"], false);
    assert_eq!(live["_version"], latest + 1);
    assert_eq!(live["cover"], new_cover);
    let log = server.get(&format!("{API}/oplog?where={}", support::enc(&filter)));
    assert_eq!(log.json()["_meta"]["total"], 5);
}

/// A part of the list of files `field`.
fn file_part<'a>(field: &'a str, bytes: &'a [u8], file_name: &'a str) -> Part<'a> {
    Part::File {
        name: field,
        file_name,
        content_type: Some("image/jpeg"),
        bytes,
    }
}

/// The media ids of a list of files as a document serves it (URLs with extended info);
/// none when the document has no list.
fn media_ids(list: &Value) -> Vec<String> {
    if list.is_null() {
        return Vec::new();
    }
    list.as_array()
        .unwrap_or_else(|| panic!("a list of files: {list}"))
        .iter()
        .map(media_id)
        .collect()
}

/// A list of files (`photos = { type = "list", items = { type = "media" } }`): the
/// parts named `photos` of one multipart body make the list, in order, and each is
/// served as a single file is (its URL with Eve's extended info), in item GETs,
/// collection GETs, embedded and versioned views; each URL serves its bytes, with
/// Range requests. A single part is a list of one (Eve's `AUTO_CREATE_LISTS`).
#[test]
fn a_list_of_photos_is_uploaded_in_one_body_and_served_in_order() {
    let (server, db) = start();
    let first = binary(1000);
    // More than one of the server's 64 KiB chunks.
    let second = binary(70_001);
    let third = "último fotograma — 写真".as_bytes();
    let names = ["fotografía 1.jpg", "写真 2.jpg", "Ørsted №3.jpg"];
    let posted = send_multipart(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        &[
            file_part("photos", &first, names[0]),
            Part::Text("title", "Rayuela"),
            file_part("photos", &second, names[1]),
            cover_part(b"the cover", "portada.png"),
            file_part("photos", third, names[2]),
        ],
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    assert!(posted.json().get("photos").is_none(), "meta fields only");
    let id = posted.json()["_id"].as_str().expect("an id").to_string();
    assert_eq!(stored_files(&db), 4, "three photos and a cover");

    let book = server.get(&book_url(&id)).json();
    let photos = book["photos"].clone();
    let ids = media_ids(&photos);
    assert_eq!(ids.len(), 3);
    for (i, (bytes, name)) in [&first[..], &second[..], third]
        .iter()
        .zip(names)
        .enumerate()
    {
        assert_eq!(
            photos[i],
            json!({
                "file": format!("{API}/media/{}", ids[i]),
                "content_type": "image/jpeg",
                "name": name,
                "length": bytes.len(),
            })
        );
        let file = server.get(&format!("{API}/media/{}", ids[i]));
        assert_eq!(file.status, 200);
        assert!(file.body == *bytes, "photo {i} serves its own bytes");
    }
    // The cover is still a single file.
    assert_eq!(book["cover"]["name"], "portada.png");
    // The collection, a projection and a `where` on another field serve the same list.
    let items = server.items(&format!("{API}/books"));
    assert_eq!(items[0]["photos"], photos);
    let projected = server.get(&format!(
        "{API}/books/{id}?projection={}",
        support::enc(r#"{"photos": 1}"#)
    ));
    assert_eq!(projected.json()["photos"], photos);
    assert!(projected.json().get("title").is_none());
    let filtered = server.items(&format!(
        "{API}/books?where={}",
        support::enc(r#"{"title": "Rayuela"}"#)
    ));
    assert_eq!(filtered[0]["photos"], photos);
    // A version serves files as the document does (photos are not versioned: the
    // current ones).
    let version = server.get(&format!("{}?version=1", book_url(&id)));
    assert_eq!(version.status, 200, "{}", version.text());
    assert_eq!(version.json()["photos"], photos);
    assert_eq!(version.json()["cover"], book["cover"]);

    // One photo, read by range across a chunk boundary.
    let url = format!("{API}/media/{}", ids[1]);
    let part = server.get_with(&url, &[("Range", "bytes=65530-65545")]);
    assert_eq!(part.status, 206);
    assert_eq!(part.body, second[65530..=65545]);
    assert_eq!(
        part.header("Content-Range"),
        Some("bytes 65530-65545/70001")
    );

    // A single part for the list: a list of one.
    let one = send_multipart(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        &[
            Part::Text("title", "Uno"),
            file_part("photos", b"solo", "sólo.jpg"),
        ],
    );
    assert_eq!(one.status, 201, "{}", one.text());
    let one = server
        .get(&book_url(one.json()["_id"].as_str().unwrap()))
        .json();
    assert_eq!(one["photos"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["photos"][0]["name"], "sólo.jpg");
    assert_eq!(stored_files(&db), 5);
}

/// A PATCH (or PUT) that sends the list replaces all of it: the new files in their
/// order, the old ones deleted (404); one that leaves the list out keeps it; `[]`
/// (or `null`) empties it. A list is of files only: ids are refused, and its
/// `maxlength` counts files.
#[test]
fn replacing_a_list_of_photos_deletes_the_old_files() {
    let (server, db) = start();
    let posted = send_multipart(
        &server,
        "POST",
        &format!("{API}/books"),
        None,
        &[
            Part::Text("title", "Pedro Páramo"),
            file_part("photos", b"uno", "1.jpg"),
            file_part("photos", b"dos", "2.jpg"),
            file_part("photos", b"tres", "3.jpg"),
        ],
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let id = posted.json()["_id"].as_str().unwrap().to_string();
    let book = server.get(&book_url(&id));
    let old = media_ids(&book.json()["photos"]);

    // A PATCH of another field keeps the files.
    let kept = server.patch(&book_url(&id), Some(&book.etag()), &json!({"pages": 124}));
    assert_eq!(kept.status, 200, "{}", kept.text());
    let book = server.get(&book_url(&id));
    assert_eq!(media_ids(&book.json()["photos"]), old);

    let replaced = send_multipart(
        &server,
        "PATCH",
        &book_url(&id),
        Some(&book.etag()),
        &[
            file_part("photos", "nueva ñ".as_bytes(), "nueva ñ.jpg"),
            file_part("photos", b"otra", "otra.jpg"),
        ],
    );
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    let book = server.get(&book_url(&id));
    let photos = book.json()["photos"].clone();
    let new = media_ids(&photos);
    assert_eq!(photos[0]["name"], "nueva ñ.jpg");
    assert_eq!(photos[1]["name"], "otra.jpg");
    assert_eq!(book.json()["pages"], 124);
    for old in &old {
        assert!(!new.contains(old));
        server.get(&format!("{API}/media/{old}")).error(404);
    }
    assert_eq!(
        server.get(&format!("{API}/media/{}", new[0])).body,
        "nueva ñ".as_bytes()
    );
    assert_eq!(stored_files(&db), 2);

    // Ids are not files; more files than `maxlength = 10` is refused, and nothing
    // of the request is stored.
    let ids = server.patch(
        &book_url(&id),
        Some(&book.etag()),
        &json!({"photos": [new[0]]}),
    );
    assert_eq!(ids.status, 422, "{}", ids.text());
    assert_eq!(ids.issues(), json!({"photos": "must be of media type"}));
    let names: Vec<String> = (0..11).map(|i| format!("{i}.jpg")).collect();
    let eleven: Vec<Part<'_>> = names.iter().map(|n| file_part("photos", b"x", n)).collect();
    let too_many = send_multipart(
        &server,
        "PATCH",
        &book_url(&id),
        Some(&book.etag()),
        &eleven,
    );
    assert_eq!(too_many.status, 422, "{}", too_many.text());
    assert_eq!(too_many.issues(), json!({"photos": "max length is 10"}));
    assert_eq!(stored_files(&db), 2);

    // `[]` empties the list and deletes its files.
    let emptied = server.patch(&book_url(&id), Some(&book.etag()), &json!({"photos": []}));
    assert_eq!(emptied.status, 200, "{}", emptied.text());
    assert_eq!(server.get(&book_url(&id)).json()["photos"], json!([]));
    for new in &new {
        server.get(&format!("{API}/media/{new}")).error(404);
    }
    assert_eq!(stored_files(&db), 0);
}

fn author_url(id: &str) -> String {
    format!("{API}/authors/{id}")
}

/// Authors are deleted for good (no soft delete): deleting one deletes every file of
/// its list, a PUT replaces the list, and a collection DELETE deletes the files of
/// every author.
#[test]
fn deleting_documents_deletes_their_lists_of_files() {
    let (server, db) = start();
    let post_author = |name: &str, files: &[(&str, &[u8])]| -> (String, Vec<String>) {
        let mut parts = vec![Part::Text("name", name)];
        for (file_name, bytes) in files {
            parts.push(file_part("portraits", bytes, file_name));
        }
        let posted = send_multipart(&server, "POST", &format!("{API}/authors"), None, &parts);
        assert_eq!(posted.status, 201, "{}", posted.text());
        let id = posted.json()["_id"].as_str().unwrap().to_string();
        let author = server.get(&author_url(&id)).json();
        (id, media_ids(&author["portraits"]))
    };
    let (borges, portraits) = post_author(
        "Jorge Luis Borges — 1899",
        &[("retrato 1.jpg", b"uno"), ("retrato 2.jpg", b"dos")],
    );
    assert_eq!(portraits.len(), 2);

    // PUT replaces the whole document, the list with it.
    let etag = server.get(&author_url(&borges)).etag();
    let put = send_multipart(
        &server,
        "PUT",
        &author_url(&borges),
        Some(&etag),
        &[
            Part::Text("name", "Jorge Luis Borges"),
            file_part("portraits", b"tres", "retrato 3.jpg"),
        ],
    );
    assert_eq!(put.status, 200, "{}", put.text());
    let author = server.get(&author_url(&borges));
    let current = media_ids(&author.json()["portraits"]);
    assert_eq!(current.len(), 1);
    for old in &portraits {
        server.get(&format!("{API}/media/{old}")).error(404);
    }
    assert_eq!(stored_files(&db), 1);

    // DELETE of the author: its files go with it.
    assert_eq!(
        server
            .delete(&author_url(&borges), Some(&author.etag()))
            .status,
        204
    );
    server
        .get(&format!("{API}/media/{}", current[0]))
        .error(404);
    assert_eq!(stored_files(&db), 0);

    // A collection DELETE: every author's files.
    let (_, a) = post_author("Clarice Lispector", &[("a.jpg", b"a"), ("b.jpg", b"b")]);
    let (_, b) = post_author("Julio Cortázar", &[("c.jpg", b"c")]);
    let (_, none) = post_author("Sin retrato", &[]);
    assert!(none.is_empty());
    assert_eq!(stored_files(&db), 3);
    assert_eq!(server.delete(&format!("{API}/authors"), None).status, 204);
    for id in a.iter().chain(&b) {
        server.get(&format!("{API}/media/{id}")).error(404);
    }
    assert_eq!(stored_files(&db), 0);
}
