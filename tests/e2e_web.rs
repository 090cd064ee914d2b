//! The crate generated from `specs/web.toml`: JSONP, CORS (origins, regexes,
//! preflight) and cache directives (API-wide and per resource), over real HTTP.

mod support;

use serde_json::json;
use support::{TestServer, is_rfc1123};

fn start() -> TestServer {
    support::start_generated!(web_api, "")
}

fn note(server: &TestServer) -> String {
    let created = server.create("notes", json!({"title": "a", "tags": ["x"]}));
    format!("/notes/{}", created["_id"].as_str().expect("an id"))
}

/// Seconds from now until an `Expires` date.
fn expires_in(value: &str) -> i64 {
    assert!(is_rfc1123(value), "{value}");
    let at = httpdate_seconds(value);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    at - now
}

fn httpdate_seconds(value: &str) -> i64 {
    // "Sun, 06 Nov 1994 08:49:37 GMT": only the time of day matters within a test.
    let time = value.split(' ').nth(4).expect("a time");
    let parts: Vec<i64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let midnight = now - now % 86_400;
    let mut at = midnight + parts[0] * 3600 + parts[1] * 60 + parts[2];
    if at < now - 43_200 {
        at += 86_400; // past midnight UTC
    }
    at
}

#[test]
fn get_answers_carry_the_cache_directives() {
    let server = start();
    let item = note(&server);
    for path in ["/notes".to_string(), item.clone(), format!("{item}?pretty")] {
        let response = server.get(&path);
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("Cache-Control"),
            Some("max-age=20,must-revalidate"),
            "{path}"
        );
        let left = expires_in(response.header("Expires").expect("Expires"));
        assert!((18..=21).contains(&left), "Expires in {left}s");
    }
    // 304 revalidations keep them; HEAD too.
    let etag = server.get(&item).header("ETag").unwrap().to_string();
    let unchanged = server.get_with(&item, &[("If-None-Match", &etag)]);
    assert_eq!(unchanged.status, 304);
    assert_eq!(
        unchanged.header("Cache-Control"),
        Some("max-age=20,must-revalidate")
    );
    assert!(server.head("/notes").header("Expires").is_some());

    // The feeds resource has its own: no-cache, and no Expires (cache_expires = 0).
    server.create("feeds", json!({"url": "https://example.com/rss"}));
    let feeds = server.get("/feeds");
    assert_eq!(feeds.header("Cache-Control"), Some("no-cache"));
    assert_eq!(feeds.header("Expires"), None);

    // Not on writes, not on errors.
    let posted = server.post("/notes", &json!({"title": "b"}));
    assert_eq!(posted.status, 201);
    assert_eq!(posted.header("Cache-Control"), None);
    let missing = server.get("/notes/000000000000000000000000");
    missing.error(404);
    assert_eq!(missing.header("Cache-Control"), None);
    assert_eq!(missing.header("Expires"), None);
}

#[test]
fn jsonp_wraps_json_in_the_named_callback() {
    let server = start();
    let item = note(&server);
    let plain = server.get(&item);
    let wrapped = server.get(&format!("{item}?callback=handle_1.done"));
    assert_eq!(wrapped.status, 200);
    assert_eq!(
        wrapped.header("Content-Type"),
        Some("application/javascript")
    );
    assert_eq!(
        wrapped.text(),
        format!("handle_1.done({})", plain.text()),
        "the JSON unchanged inside"
    );
    // Errors too, with their status; and with ?pretty the JSON is indented.
    let missing = server.get("/nowhere?callback=cb");
    assert_eq!(missing.status, 404);
    let text = missing.text();
    assert!(text.starts_with("cb({") && text.ends_with("})"), "{text}");
    assert!(text.contains("\"_status\":\"ERR\""), "{text}");
    let pretty = server.get("/notes?callback=cb&pretty");
    assert!(
        pretty.text().starts_with("cb({\n    \"_items\": ["),
        "{}",
        pretty.text()
    );
    // A callback that is not a plain name is refused: nothing to inject.
    for bad in ["alert(1)", "a%3Bb", "x%20y", "1up", "%3Cscript%3E", ""] {
        let message = server.get(&format!("/notes?callback={bad}")).error(400);
        assert!(message.contains("JSONP"), "{message}");
    }
    // XML has no JSONP (Eve wraps JSON only).
    let xml = server.get_with("/notes?callback=cb", &[("Accept", "application/xml")]);
    assert!(xml.text().starts_with("<resource href=\"notes\""));
}

const ALLOWED: &str = "https://app.example.com";

#[test]
fn cors_allows_listed_and_matching_origins_only() {
    let server = start();
    let item = note(&server);
    for origin in [ALLOWED, "https://sub-123.example.com"] {
        for path in ["/notes", item.as_str(), "/"] {
            let response = server.get_with(path, &[("Origin", origin)]);
            assert_eq!(response.status, 200);
            assert_eq!(response.header("Access-Control-Allow-Origin"), Some(origin));
            assert_eq!(
                response.header("Access-Control-Allow-Credentials"),
                Some("true")
            );
            assert_eq!(
                response.header("Access-Control-Expose-Headers"),
                Some("ETag")
            );
            assert_eq!(response.header("Vary"), Some("Origin"));
        }
    }
    // Writes and errors are answered with CORS headers too.
    let posted = server.request(
        "POST",
        "/notes",
        &[("Origin", ALLOWED), ("Content-Type", "application/json")],
        Some(br#"{"title": "c"}"#),
    );
    assert_eq!(posted.status, 201);
    assert_eq!(posted.header("Access-Control-Allow-Origin"), Some(ALLOWED));
    let missing = server.get_with("/nowhere", &[("Origin", ALLOWED)]);
    assert_eq!(missing.header("Access-Control-Allow-Origin"), Some(ALLOWED));

    // Neither listed nor matching (the regex is anchored at both ends).
    for origin in [
        "https://evil.example.com",
        "https://sub-12.example.com",
        "https://sub-1234.example.com",
        "http://app.example.com",
        "https://app.example.com.evil.com",
    ] {
        let response = server.get_with("/notes", &[("Origin", origin)]);
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("Access-Control-Allow-Origin"),
            None,
            "{origin}"
        );
        assert_eq!(response.header("Access-Control-Allow-Credentials"), None);
        assert_eq!(response.header("Vary"), Some("Origin"));
    }
}

#[test]
fn preflight_options_answers_every_route() {
    let server = start();
    let item = note(&server);
    let cases = [
        ("/notes", "GET,HEAD,POST,DELETE,OPTIONS"),
        (item.as_str(), "GET,HEAD,PATCH,PUT,DELETE,OPTIONS"),
        ("/feeds", "GET,HEAD,POST,OPTIONS"),
        ("/", "GET,HEAD,OPTIONS"),
        ("/openapi.json", "GET,HEAD,OPTIONS"),
    ];
    for (path, methods) in cases {
        let response = server.request(
            "OPTIONS",
            path,
            &[
                ("Origin", ALLOWED),
                ("Access-Control-Request-Method", "POST"),
            ],
            None,
        );
        assert_eq!(response.status, 200, "OPTIONS {path}: {}", response.text());
        assert!(response.body.is_empty());
        assert_eq!(response.header("Allow"), Some(methods), "{path}");
        assert_eq!(
            response.header("Access-Control-Allow-Methods"),
            Some(methods)
        );
        assert_eq!(
            response.header("Access-Control-Allow-Origin"),
            Some(ALLOWED)
        );
        assert_eq!(
            response.header("Access-Control-Allow-Headers"),
            Some("Content-Type, If-Match")
        );
        assert_eq!(response.header("Access-Control-Max-Age"), Some("600"));
    }
    // From an origin not allowed: still 200 with Allow, but no grant.
    let denied = server.request("OPTIONS", "/notes", &[("Origin", "https://evil.com")], None);
    assert_eq!(denied.status, 200);
    assert_eq!(denied.header("Access-Control-Allow-Origin"), None);
    assert_eq!(denied.header("Access-Control-Allow-Methods"), None);
    // A path that does not exist is still 404.
    server
        .request("OPTIONS", "/nowhere", &[("Origin", ALLOWED)], None)
        .error(404);
}

#[test]
fn openapi_documents_the_http_layer() {
    let server = start();
    let document = server.get("/openapi.json").json();
    let parameters = &document["components"]["parameters"];
    assert_eq!(parameters["jsonp"]["name"], "callback");
    assert_eq!(parameters["pretty"]["name"], "pretty");
    assert_eq!(
        parameters["methodOverride"]["name"],
        "X-HTTP-Method-Override"
    );
    let notes = &document["paths"]["/notes"];
    assert!(notes["options"].is_object(), "preflight documented");
    let ok = &notes["get"]["responses"]["200"];
    assert!(ok["content"]["application/xml"].is_object());
    assert_eq!(
        ok["headers"]["Cache-Control"]["schema"]["const"],
        "max-age=20,must-revalidate"
    );
    assert_eq!(
        document["paths"]["/feeds"]["get"]["responses"]["200"]["headers"]["Cache-Control"]["schema"]
            ["const"],
        "no-cache"
    );
}
