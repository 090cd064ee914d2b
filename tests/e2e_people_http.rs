//! The HTTP layer that is on by default in Eve, on the people server (a spec that sets
//! none of its options): HEAD on every GET route, `X-HTTP-Method-Override`, `?pretty`,
//! XML when `Accept` prefers it; and CORS and cache directives off.

mod support;

use serde_json::{Value, json};
use support::{API, Conn, TestServer};

fn people() -> String {
    format!("{API}/people")
}

/// A person, and its item path.
fn create(server: &TestServer, lastname: &str) -> (Value, String) {
    let created = server.create("people", json!({"lastname": lastname, "role": ["author"]}));
    let path = format!("{API}/people/{}", created["_id"].as_str().expect("an id"));
    (created, path)
}

#[test]
fn head_answers_every_get_route_with_its_headers_and_no_body() {
    let server = TestServer::start();
    let (_, item) = create(&server, "Doe");
    for path in [
        API.to_string(),
        format!("{API}/"),
        people(),
        format!("{}?where=%7B%22lastname%22%3A%22Doe%22%7D", people()),
        item.clone(),
        "/openapi.json".to_string(),
    ] {
        // One keep-alive connection: a HEAD that sent body bytes would corrupt the GET.
        let mut conn = Conn::new(server.connect());
        let head = conn.send("HEAD", &path, &[], None, true);
        let get = conn.send("GET", &path, &[], None, false);
        assert_eq!(head.status, 200, "HEAD {path}");
        assert_eq!(get.status, 200, "GET {path}");
        assert!(head.body.is_empty());
        for name in ["Content-Type", "ETag", "Last-Modified"] {
            assert_eq!(head.header(name), get.header(name), "{name} of {path}");
        }
        assert_eq!(
            head.header("Content-Length"),
            Some(get.body.len().to_string().as_str()),
            "HEAD {path} announces the GET's length"
        );
    }
    // HEAD of a missing item: the GET's 404, without its body.
    let missing = server.head(&format!("{API}/people/000000000000000000000000"));
    assert_eq!(missing.status, 404);
    assert!(missing.body.is_empty());
}

#[test]
fn method_override_runs_a_post_as_the_named_method() {
    let server = TestServer::start();
    let (created, item) = create(&server, "Doe");
    let etag = created["_etag"].as_str().unwrap().to_string();

    // PATCH through POST.
    let body = json!({"firstname": "John"}).to_string();
    let patched = server.request(
        "POST",
        &item,
        &[
            ("Content-Type", "application/json"),
            ("If-Match", &etag),
            ("X-HTTP-Method-Override", "patch"),
        ],
        Some(body.as_bytes()),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(server.get(&item).json()["firstname"], "John");
    let etag = patched.json()["_etag"].as_str().unwrap().to_string();

    // A GET through POST reads; the route's own checks still apply (DELETE needs If-Match).
    let read = server.request(
        "POST",
        &people(),
        &[("X-HTTP-Method-Override", "GET")],
        None,
    );
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["_meta"]["total"], 1);
    server
        .request("POST", &item, &[("X-HTTP-Method-Override", "DELETE")], None)
        .error(428);
    let deleted = server.request(
        "POST",
        &item,
        &[("X-HTTP-Method-Override", "DELETE"), ("If-Match", &etag)],
        None,
    );
    assert_eq!(deleted.status, 204);
    assert_eq!(server.get(&item).status, 404);

    // A method the route does not have is 405, as if sent directly.
    server
        .request(
            "POST",
            &people(),
            &[("X-HTTP-Method-Override", "PUT")],
            None,
        )
        .error(405);
    // Unknown or unsupported methods are refused before anything runs.
    for value in ["FETCH", "HEAD", "OPTIONS", ""] {
        let message = server
            .request(
                "POST",
                &people(),
                &[("X-HTTP-Method-Override", value)],
                None,
            )
            .error(405);
        assert!(message.contains("X-HTTP-Method-Override"), "{message}");
    }
}

#[test]
fn pretty_indents_get_answers_and_keeps_their_content() {
    let server = TestServer::start();
    let (_, item) = create(&server, "Doe");
    for path in [people(), item.clone(), API.to_string()] {
        let compact = server.get(&path);
        let pretty = server.get(&format!("{path}?pretty"));
        assert_eq!(pretty.status, 200);
        assert_eq!(pretty.header("Content-Type"), Some("application/json"));
        assert!(!compact.text().contains('\n'));
        assert!(pretty.text().starts_with("{\n    \"_"), "{}", pretty.text());
        assert_eq!(pretty.json(), compact.json(), "same document");
        assert_eq!(pretty.header("ETag"), compact.header("ETag"));
    }
    // `pretty=1` and with other arguments, in Python's layout.
    let text = server
        .get(&format!("{}?max_results=1&pretty=1", people()))
        .text();
    assert!(
        text.contains("\n    \"_meta\": {\n        \"page\": 1,\n"),
        "{text}"
    );
    // Errors too.
    let missing = server.get(&format!("{API}/people/000000000000000000000000?pretty"));
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains("\n    \"_status\": \"ERR\""));
    // Not on writes: a POST answer stays compact.
    let posted = server.post(&format!("{}?pretty", people()), &json!({"lastname": "Roe"}));
    assert_eq!(posted.status, 201);
    assert!(!posted.text().contains('\n'));
}

fn xml(server: &TestServer, path: &str, accept: &str) -> support::Response {
    server.get_with(path, &[("Accept", accept)])
}

#[test]
fn accept_xml_renders_eves_xml() {
    let server = TestServer::start();
    let (created, item) = create(&server, "Doe");
    let id = created["_id"].as_str().unwrap();

    let home = xml(&server, API, "application/xml");
    assert_eq!(home.status, 200);
    assert_eq!(
        home.header("Content-Type"),
        Some("application/xml; charset=utf-8")
    );
    assert_eq!(
        home.text(),
        "<resource><link rel=\"child\" href=\"people\" title=\"people\" /><link rel=\"child\" href=\"invoices\" title=\"invoices\" /><link rel=\"child\" href=\"works\" title=\"works\" /></resource>"
    );

    let list = xml(&server, &people(), "application/xml").text();
    assert!(
        list.starts_with("<resource href=\"people\" title=\"people\"><link rel=\"parent\" href=\"/\" title=\"home\" /><_meta><max_results>25</max_results><page>1</page><total>1</total></_meta>"),
        "{list}"
    );
    assert!(
        list.contains(&format!(
            "<resource href=\"people/{id}\" title=\"person\"><_created>"
        )),
        "{list}"
    );
    assert!(list.contains("<lastname>Doe</lastname>"), "{list}");
    assert!(list.contains("<role>author</role>"), "{list}");
    assert!(list.ends_with("</resource></resource>"), "{list}");

    let document = xml(&server, &item, "text/xml").text();
    assert!(
        document.starts_with(&format!(
            "<resource href=\"people/{id}\" title=\"person\"><link rel=\"collection\" href=\"people\" title=\"people\" /><link rel=\"parent\" href=\"/\" title=\"home\" /><_created>"
        )),
        "{document}"
    );
    assert!(document.contains(&format!("<_id>{id}</_id>")));

    // Errors keep their status in XML.
    let missing = xml(&server, &format!("{API}/nowhere"), "application/xml");
    assert_eq!(missing.status, 404);
    assert!(
        missing
            .text()
            .starts_with("<resource><_error><code>404</code><message>The requested URL")
    );
    assert!(
        missing
            .text()
            .ends_with("</_error><_status>ERR</_status></resource>")
    );

    // Text is escaped.
    let (_, odd) = create(&server, "<&\"'>");
    assert!(
        xml(&server, &odd, "application/xml")
            .text()
            .contains("<lastname>&lt;&amp;&#34;&#39;&gt;</lastname>")
    );

    // HEAD with XML announces the XML's length.
    let get = xml(&server, &item, "application/xml");
    let head = server.request("HEAD", &item, &[("Accept", "application/xml")], None);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Type"), get.header("Content-Type"));
    assert_eq!(
        head.header("Content-Length"),
        Some(get.body.len().to_string().as_str())
    );
}

#[test]
fn accept_negotiation_prefers_json_unless_xml_ranks_higher() {
    let server = TestServer::start();
    let cases = [
        ("*/*", "application/json"),
        ("text/html", "application/json"),
        ("application/json, application/xml", "application/json"),
        (
            "application/xml;q=0.5, application/json",
            "application/json",
        ),
        (
            "application/json;q=0.5, application/xml",
            "application/xml; charset=utf-8",
        ),
        (
            "application/xml, */*;q=0.1",
            "application/xml; charset=utf-8",
        ),
        ("application/x-xml", "application/xml; charset=utf-8"),
        ("application/xml;q=0", "application/json"),
    ];
    for (accept, expected) in cases {
        let response = xml(&server, &people(), accept);
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("Content-Type"),
            Some(expected),
            "Accept: {accept}"
        );
    }
}

#[test]
fn cors_and_cache_directives_are_off_by_default() {
    let server = TestServer::start();
    let (_, item) = create(&server, "Doe");
    for path in [people(), item] {
        let response = server.get_with(&path, &[("Origin", "https://example.com")]);
        assert_eq!(response.status, 200);
        for name in [
            "Access-Control-Allow-Origin",
            "Vary",
            "Cache-Control",
            "Expires",
        ] {
            assert_eq!(response.header(name), None, "{name} on {path}");
        }
    }
    // No preflight without CORS: OPTIONS is a method the routes do not have.
    server
        .request(
            "OPTIONS",
            &people(),
            &[("Origin", "https://example.com")],
            None,
        )
        .error(405);
}
