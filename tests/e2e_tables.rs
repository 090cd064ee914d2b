//! Custom endpoints, quotas and rate limits of the crate generated from
//! `specs/tables.toml`, over real HTTP: atoti's `tables/{table_name}/count` and
//! `tables/{table_name}/rows` implemented in the example's `src/endpoints.rs` through
//! the data handle; their path, query and body typed and validated before the user's
//! code runs; auth and roles on endpoints; Cloud Endpoints' quotas (several costs per
//! method, several quotas per consumer, 429 with `Retry-After`, one consumer's
//! exhaustion leaving another's alone) and Eve's rate limits (`X-RateLimit-*`
//! counting down and resetting).

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apigen_runtime::rusqlite;
use base64::Engine as _;
use serde_json::{Value, json};
use support::TestServer;
use tables_api::api::auth::store;

const API: &str = "/api/v1";

struct Tables {
    server: TestServer,
}

/// A tables server with loaders (`ada`, `bea`, `cy`, `dee`, `Zoë`), a reader without
/// a role (`rex`) and an admin (`root`).
fn start() -> Tables {
    let server = support::start_generated!(tables_api, API);
    // The database exists once the server answers.
    let _ = server.get(&format!("{API}/rows"));
    let conn = rusqlite::Connection::open(server.dir().join("api.db")).expect("open the db");
    conn.busy_timeout(Duration::from_secs(5)).expect("timeout");
    for (name, roles) in [
        ("ada", vec!["loader"]),
        ("bea", vec!["loader"]),
        ("cy", vec!["loader"]),
        ("dee", vec!["loader"]),
        ("Zoë", vec!["loader"]),
        ("rex", vec![]),
        ("root", vec!["admin"]),
    ] {
        let roles: Vec<String> = roles.into_iter().map(String::from).collect();
        store::add_user(&conn, name, &password(name), &roles, None).expect("add user");
    }
    Tables { server }
}

fn password(user: &str) -> String {
    format!("a long password of {user}")
}

fn as_user(user: &str) -> String {
    let raw = format!("{user}:{}", password(user));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

impl Tables {
    fn call(
        &self,
        method: &str,
        path: &str,
        user: Option<&str>,
        body: Option<&str>,
    ) -> support::Response {
        let auth = user.map(as_user);
        let mut headers = Vec::new();
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth.as_str()));
        }
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        self.server.request(
            method,
            &format!("{API}/{path}"),
            &headers,
            body.map(str::as_bytes),
        )
    }

    fn get(&self, path: &str, user: Option<&str>) -> support::Response {
        self.call("GET", path, user, None)
    }

    fn append(&self, table: &str, user: &str, rows: &Value) -> support::Response {
        self.call(
            "POST",
            &format!("tables/{table}/rows"),
            Some(user),
            Some(&rows.to_string()),
        )
    }

    fn count(&self, path: &str) -> i64 {
        let response = self.get(path, None);
        assert_eq!(response.status, 200, "{}", response.text());
        response.json().as_i64().expect("an integer")
    }
}

/// The header's value as a number.
fn number(response: &support::Response, name: &str) -> i64 {
    response
        .header(name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", response.text()))
        .parse()
        .expect("a number")
}

/// Quotas count per minute and the GET limit per minute: a test that counts waits out
/// the last seconds of a minute, so its requests fall in one window.
fn within_one_minute() {
    let second = now() % 60;
    if second > 52 {
        std::thread::sleep(Duration::from_secs((61 - second) as u64));
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

#[test]
fn an_endpoint_writes_and_another_reads_through_the_data_handle() {
    let t = start();
    assert_eq!(t.count("tables/sales/count"), 0);
    let response = t.append(
        "sales",
        "ada",
        &json!([
            {"year": 1969, "amount": 12.5, "region": "Zürich"},
            {"year": 2024, "amount": 1e300},
            {"year": 2038, "region": "東京"}
        ]),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let answer = response.json();
    assert_eq!(answer["table"], "sales");
    assert_eq!(answer["inserted"], 3);
    let ids = answer["ids"].as_array().expect("ids");
    assert_eq!(ids.len(), 3);
    assert_eq!(t.count("tables/sales/count"), 3);
    assert_eq!(t.count("tables/other/count"), 0);
    assert_eq!(
        t.count(&format!(
            "tables/sales/count?region={}",
            support::enc("東京")
        )),
        1
    );
    // The rows are the resource's documents, as any GET serves them.
    let rows = t.server.items(&format!(
        "{API}/rows?where={}",
        support::enc(r#"{"table":"sales"}"#)
    ));
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .any(|r| r["region"] == "Zürich" && r["year"] == 1969)
    );
    let first = t.get(&format!("rows/{}", ids[0].as_str().expect("an id")), None);
    assert_eq!(first.status, 200);
    // Written as the caller: each insert is in the oplog with its user.
    let oplog = t.server.items(&format!("{API}/oplog"));
    let inserts: Vec<&Value> = oplog.iter().filter(|e| e["o"] == "POST").collect();
    assert_eq!(inserts.len(), 3, "{oplog:?}");
    assert!(inserts.iter().all(|e| e["u"] == "ada" && e["r"] == "rows"));
    // `since` is a datetime in the API's format: rows created since an hour ago, and
    // none since a day ahead.
    let hour_ago = apigen_runtime::date::format_rfc1123(now() - 3600);
    let tomorrow = apigen_runtime::date::format_rfc1123(now() + 86_400);
    assert_eq!(
        t.count(&format!(
            "tables/sales/count?since={}",
            support::enc(&hour_ago)
        )),
        3
    );
    assert_eq!(
        t.count(&format!(
            "tables/sales/count?since={}",
            support::enc(&tomorrow)
        )),
        0
    );
}

#[test]
fn path_query_and_body_are_validated_before_the_users_code_runs() {
    let t = start();
    // A path parameter against its regex.
    let response = t.get("tables/Not-A-Table/count", None);
    assert_eq!(response.status, 422, "{}", response.text());
    assert!(
        response.issues()["table_name"].is_string(),
        "{}",
        response.text()
    );
    // A query parameter of the wrong type: a datetime that is not one.
    let response = t.get("tables/sales/count?since=yesterday", None);
    assert_eq!(response.status, 422, "{}", response.text());
    assert!(
        response.issues()["since"].is_string(),
        "{}",
        response.text()
    );
    // A body item without its required field, one of the wrong type.
    let response = t.append("sales", "ada", &json!([{"amount": 1}, {"year": "1999"}]));
    assert_eq!(response.status, 422, "{}", response.text());
    let text = response.text();
    assert!(text.contains("year"), "{text}");
    // Out of bounds, unknown fields, an empty list, not a list. A refused request
    // still costs its quota units (the meter runs first), so the loaders take turns
    // within their 30 write units a minute.
    for (body, user) in [
        (json!([{"year": 0}]), "bea"),
        (json!([{"year": 2000, "colour": "red"}]), "bea"),
        (json!([]), "cy"),
        (json!({"year": 2000}), "cy"),
        (json!([{"year": 9_223_372_036_854_775_807_i64}]), "dee"),
    ] {
        let response = t.append("sales", user, &body);
        assert_eq!(response.status, 422, "{body}: {}", response.text());
    }
    // Not JSON at all: Eve's 400.
    let response = t.call("POST", "tables/sales/rows", Some("dee"), Some("{not json"));
    assert_eq!(response.status, 400, "{}", response.text());
    // Nothing was written by any of these.
    assert_eq!(t.count("tables/sales/count"), 0);
    let oplog = t.server.items(&format!("{API}/oplog"));
    assert!(oplog.is_empty(), "{oplog:?}");
}

#[test]
fn endpoints_are_behind_the_apis_auth_and_their_own_roles() {
    let t = start();
    let rows = json!([{"year": 2000}]);
    // Anonymous, a wrong password, a user without the loader role: 401.
    let response = t.call("POST", "tables/sales/rows", None, Some(&rows.to_string()));
    assert_eq!(response.status, 401, "{}", response.text());
    assert!(response.header("WWW-Authenticate").is_some());
    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ada:wrong")
    );
    let response = t.server.request(
        "POST",
        &format!("{API}/tables/sales/rows"),
        &[
            ("Authorization", &wrong),
            ("Content-Type", "application/json"),
        ],
        Some(rows.to_string().as_bytes()),
    );
    assert_eq!(response.status, 401);
    assert_eq!(t.append("sales", "rex", &rows).status, 401);
    // A non-ASCII user name is a user like any other.
    assert_eq!(t.append("sales", "Zoë", &rows).status, 200);
    // Dropping a table is for admins only, and happens in one transaction.
    assert_eq!(
        t.append("sales", "ada", &json!([{"year": 1}, {"year": 2}]))
            .status,
        200
    );
    assert_eq!(
        t.call("DELETE", "tables/sales", Some("ada"), None).status,
        401
    );
    let response = t.call("DELETE", "tables/sales", Some("root"), None);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["deleted"], 3);
    assert_eq!(t.count("tables/sales/count"), 0);
    // The public count needs no user.
    assert_eq!(t.count("tables/sales/count"), 0);
}

#[test]
fn a_consumer_over_a_quota_is_refused_whole_and_another_is_not() {
    let t = start();
    within_one_minute();
    // `append_rows` costs 5 write units (and 1 read unit); a consumer has 30 write
    // units a minute: six appends.
    for i in 0..6 {
        let response = t.append("q", "bea", &json!([{"year": 2000 + i}]));
        assert_eq!(response.status, 200, "append {i}: {}", response.text());
    }
    let refused = t.append("q", "bea", &json!([{"year": 1999}]));
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert!(
        refused.error(429).contains("Write requests"),
        "{}",
        refused.text()
    );
    let retry = number(&refused, "Retry-After");
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");
    // Refused whole: the seventh append wrote nothing.
    assert_eq!(t.count("tables/q/count"), 6);
    // A POST to the resource costs a write unit too: also refused for this consumer.
    let response = t.call(
        "POST",
        "rows",
        Some("bea"),
        Some(&json!({"table": "q", "year": 1}).to_string()),
    );
    assert_eq!(response.status, 429, "{}", response.text());
    // Another quota of the same consumer is untouched: reads still go through.
    assert_eq!(t.get("tables/q/count", Some("bea")).status, 200);
    // Another consumer's write quota is untouched.
    assert_eq!(t.append("q", "cy", &json!([{"year": 2001}])).status, 200);
    assert_eq!(t.count("tables/q/count"), 7);
}

#[test]
fn rate_limit_headers_count_down_and_the_window_resets() {
    let t = start();
    within_one_minute();
    // GETs: 1000 a minute per client; a user's count is their own, even on the
    // public collection.
    let first = t.get("rows", Some("dee"));
    assert_eq!(first.status, 200);
    assert_eq!(number(&first, "X-RateLimit-Limit"), 1000);
    let remaining = number(&first, "X-RateLimit-Remaining");
    let second = t.get("rows", Some("dee"));
    assert_eq!(number(&second, "X-RateLimit-Remaining"), remaining - 1);
    let reset = number(&second, "X-RateLimit-Reset");
    assert_eq!(reset % 60, 0, "windows end on the minute: {reset}");
    assert!(reset > now() - 1 && reset <= now() + 61, "{reset}");
    // Anonymous requests count against the address, apart from dee's.
    let anonymous = t.get("rows", None);
    assert_ne!(number(&anonymous, "X-RateLimit-Remaining"), remaining - 2);

    // DELETE on rows: the resource's own limit, 3 every 2 seconds. Wait for a fresh
    // window so the four requests fall in one.
    let created = t.call(
        "POST",
        "rows",
        Some("dee"),
        Some(&json!({"table": "r", "year": 1}).to_string()),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["_id"].as_str().expect("an id").to_string();
    let wait_for_window = || {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_millis();
        std::thread::sleep(Duration::from_millis((2000 - (millis % 2000)) as u64 + 20));
    };
    wait_for_window();
    let mut seen = Vec::new();
    for _ in 0..3 {
        // An unknown id deletes nothing, and counts all the same (the limit is on
        // requests).
        let response = t.call("DELETE", "rows/ffffffffffffffffffffffff", Some("dee"), None);
        assert_eq!(response.status, 204, "Eve answers 204: {}", response.text());
        assert_eq!(number(&response, "X-RateLimit-Limit"), 3);
        seen.push(number(&response, "X-RateLimit-Remaining"));
    }
    assert_eq!(seen, [2, 1, 0]);
    let over = t.call("DELETE", &format!("rows/{id}"), Some("dee"), None);
    assert_eq!(over.status, 429, "{}", over.text());
    assert_eq!(over.error(429), "Rate limit exceeded");
    assert_eq!(number(&over, "X-RateLimit-Remaining"), 0);
    let retry = number(&over, "Retry-After");
    assert!((1..=2).contains(&retry), "Retry-After: {retry}");
    // Another user's DELETEs have their own count.
    let other = t.call("DELETE", "rows/ffffffffffffffffffffffff", Some("cy"), None);
    assert_eq!(other.status, 204, "{}", other.text());
    assert_eq!(number(&other, "X-RateLimit-Remaining"), 2);
    // The next window starts afresh, and the refused DELETE deleted nothing.
    wait_for_window();
    let etag = t.get(&format!("rows/{id}"), None).etag();
    let response = t.server.request(
        "DELETE",
        &format!("{API}/rows/{id}"),
        &[("Authorization", &as_user("dee")), ("If-Match", &etag)],
        None,
    );
    assert_eq!(response.status, 204, "{}", response.text());
    assert_eq!(number(&response, "X-RateLimit-Remaining"), 2);
}

#[test]
fn the_openapi_document_describes_endpoints_quotas_and_limits() {
    let t = start();
    let document = t.server.get("/openapi.json").json();
    let count = &document["paths"]["/tables/{table_name}/count"]["get"];
    assert_eq!(count["operationId"], "endpoints.table_count");
    let names: Vec<&str> = count["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["table_name", "since", "region"]);
    assert_eq!(
        count["responses"]["200"]["content"]["application/json"]["schema"]["type"],
        "integer"
    );
    let append = &document["paths"]["/tables/{table_name}/rows"]["post"];
    assert_eq!(append["x-google-quota"]["metricCosts"]["write-requests"], 5);
    assert!(append["responses"]["429"]["headers"]["Retry-After"].is_object());
    assert!(append["security"].is_array());
    let limits = &document["x-google-management"]["quota"]["limits"];
    assert_eq!(limits[1]["values"]["STANDARD"], 30);
}
