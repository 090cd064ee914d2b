//! Authentication and roles of the crate generated from `specs/notes.toml`, over real
//! HTTP: every scheme the spec accepts (Basic, tokens, Eve's HMAC, the dataset API's
//! signed requests, JWTs, API keys), the attacks on each, Eve's roles and a method-level
//! setting overriding the API's. Each refused request must change nothing.
//!
//! Users, keys and tokens are written straight into the server's database with the
//! runtime's credential store, as `notes-api users add` would.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use apigen_runtime::rusqlite;
use base64::Engine as _;
use notes_api::api::auth::{signed, store};
use serde_json::{Value, json};
use support::{TestServer, enc};

const API: &str = "/api/v1";
/// The HS256 secret of the spec's `local` issuer (`key_env = "NOTES_JWT_SECRET"`).
const JWT_SECRET: &str = support::NOTES_JWT_SECRET;
const ISSUER: &str = "https://login.notes.test";
/// The secret the example's own `check_auth` (src/auth.rs) compares.
const PROVIDER_SECRET: &str = support::NOTES_PROVIDER_SECRET;

/// A notes server with users alice (writer), bob (writer), rita (reader) and edna
/// (editor, writer), each with a signing secret.
struct Notes {
    server: TestServer,
}

fn start() -> Notes {
    support::set_notes_env();
    let server = support::start_generated!(notes_api, API);
    // The database exists once the server answers.
    let _ = server.get(&format!("{API}/announcements"));
    let conn = rusqlite_conn(&server);
    for (name, roles) in [
        ("alice", vec!["writer"]),
        ("bob", vec!["writer"]),
        ("rita", vec!["reader"]),
        ("edna", vec!["editor", "writer"]),
        ("Zoë Ñúñez", vec!["writer"]),
    ] {
        let roles: Vec<String> = roles.into_iter().map(String::from).collect();
        let secret = format!("secret of {name}");
        store::add_user(&conn, name, &password(name), &roles, Some(&secret)).expect("add user");
    }
    Notes { server }
}

fn rusqlite_conn(server: &TestServer) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(server.dir().join("api.db")).expect("open the db");
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn
}

fn password(user: &str) -> String {
    format!("correct horse battery staple of {user}")
}

fn basic(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn as_user(user: &str) -> String {
    basic(user, &password(user))
}

impl Notes {
    fn call(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        body: Option<&Value>,
    ) -> support::Response {
        let mut headers = Vec::new();
        if let Some(auth) = auth {
            headers.push(("Authorization", auth));
        }
        let text = body.map(Value::to_string);
        if text.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        self.server.request(
            method,
            &format!("{API}/{path}"),
            &headers,
            text.as_deref().map(str::as_bytes),
        )
    }

    fn get(&self, path: &str, auth: Option<&str>) -> support::Response {
        self.call("GET", path, auth, None)
    }

    /// The announcements' headlines as an editor sees them.
    fn count(&self, resource: &str) -> usize {
        let response = self.get(resource, Some(&as_user("edna")));
        assert_eq!(response.status, 200, "{}", response.text());
        response.json()["_meta"]["total"].as_u64().unwrap() as usize
    }
}

/// The 401 Eve answers: its message, and a `WWW-Authenticate` challenge.
fn assert_refused(response: &support::Response) {
    assert_eq!(response.error(401), "Please provide proper credentials");
    let challenge = response
        .header("WWW-Authenticate")
        .expect("a WWW-Authenticate header");
    assert!(challenge.contains("realm=\"notes\""), "{challenge}");
}

#[test]
fn basic_auth_lets_users_in_and_keeps_everyone_else_out() {
    let notes = start();
    let note = json!({"title": "Ünïcode ✓ 日本語", "written": "Tue, 01 Jan 1952 00:00:00 GMT"});
    let created = notes.call("POST", "notes", Some(&as_user("alice")), Some(&note));
    assert_eq!(created.status, 201, "{}", created.text());
    // Non-ASCII user names work too.
    let zoe = notes.call("POST", "notes", Some(&as_user("Zoë Ñúñez")), Some(&note));
    assert_eq!(zoe.status, 201, "{}", zoe.text());

    for auth in [
        None,
        Some(basic("alice", "wrong password")),
        Some(basic("alice", "")),
        Some(basic("nobody", "whatever")),
        Some("Basic not-base64!".to_string()),
        Some("Basic".to_string()),
        Some("Digest username=\"alice\"".to_string()),
        Some(basic("alice", &format!("{}x", password("alice")))),
    ] {
        let response = notes.call("POST", "notes", auth.as_deref(), Some(&note));
        assert_refused(&response);
        let response = notes.get("notes", auth.as_deref());
        assert_refused(&response);
    }
    // Nothing was written by the refused POSTs.
    let mine = notes.get("notes", Some(&as_user("alice")));
    assert_eq!(mine.json()["_meta"]["total"], 1, "{}", mine.text());
    // Every scheme the operation accepts is offered.
    let response = notes.get("notes", None);
    let challenges: Vec<&str> = response
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("WWW-Authenticate"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert!(
        challenges.iter().any(|c| c.starts_with("Basic ")),
        "{challenges:?}"
    );
    assert!(
        challenges.iter().any(|c| c.starts_with("Bearer ")),
        "{challenges:?}"
    );
}

#[test]
fn a_password_change_takes_effect_at_once_despite_the_cache() {
    let notes = start();
    assert_eq!(notes.get("notes", Some(&as_user("bob"))).status, 200);
    // The right password is now remembered; a new one replaces it in the database.
    let conn = rusqlite_conn(&notes.server);
    store::set_password(&conn, "bob", "a brand new password").unwrap();
    assert_refused(&notes.get("notes", Some(&as_user("bob"))));
    assert_eq!(
        notes
            .get("notes", Some(&basic("bob", "a brand new password")))
            .status,
        200
    );
    store::remove_user(&conn, "bob").unwrap();
    assert_refused(&notes.get("notes", Some(&basic("bob", "a brand new password"))));
}

#[test]
fn tokens_are_read_as_eves_token_auth_reads_them() {
    let notes = start();
    let conn = rusqlite_conn(&notes.server);
    let token = store::create_token(&conn, "alice").unwrap();
    for auth in [
        format!("Bearer {token}"),
        format!("Token {token}"),
        format!("bearer {token}"),
        basic(&token, ""),
        token.clone(),
    ] {
        let response = notes.get("notes", Some(&auth));
        assert_eq!(response.status, 200, "{auth}: {}", response.text());
    }
    for auth in [
        format!("Bearer {token}x"),
        "Bearer ".to_string(),
        format!("Bearer {}", &token[..token.len() - 1]),
        "Bearer a.b.c".to_string(),
    ] {
        assert_refused(&notes.get("notes", Some(&auth)));
    }
    // A revoked token stops working.
    let prefix = store::list_tokens(&conn).unwrap()[0].prefix.clone();
    store::revoke_token(&conn, &prefix).unwrap();
    assert_refused(&notes.get("notes", Some(&format!("Bearer {token}"))));
}

/// An HMAC-signed request's headers: `Authorization: <user>:<signature>` and the time.
fn hmac_headers(user: &str, method: &str, path: &str, timestamp: &str, body: &[u8]) -> String {
    let message = signed::hmac_message(method, path, timestamp, body);
    let secret = format!("secret of {user}");
    format!("{user}:{}", signed::sign_hmac(secret.as_bytes(), &message))
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn hmac_signed_requests_are_checked_fresh_and_once() {
    let notes = start();
    let path = format!("{API}/notes");
    let body = json!({"title": "signed ✍"}).to_string();
    let stamp = now_secs().to_string();
    let auth = hmac_headers("alice", "POST", &path, &stamp, body.as_bytes());
    let send = |auth: &str, stamp: &str, body: &str| {
        notes.server.request(
            "POST",
            &path,
            &[
                ("Authorization", auth),
                ("X-Timestamp", stamp),
                ("Content-Type", "application/json"),
            ],
            Some(body.as_bytes()),
        )
    };
    let response = send(&auth, &stamp, &body);
    assert_eq!(response.status, 201, "{}", response.text());
    // The same request again is a replay.
    assert_refused(&send(&auth, &stamp, &body));
    // A changed body, a stale or future time, another user's secret: refused.
    let other = json!({"title": "tampered"}).to_string();
    assert_refused(&send(&auth, &stamp, &other));
    let stale = (now_secs() - 600).to_string();
    let stale_auth = hmac_headers("alice", "POST", &path, &stale, body.as_bytes());
    assert_refused(&send(&stale_auth, &stale, &body));
    let future = (now_secs() + 600).to_string();
    let future_auth = hmac_headers("alice", "POST", &path, &future, body.as_bytes());
    assert_refused(&send(&future_auth, &future, &body));
    let stamp2 = (now_secs() + 1).to_string();
    let forged = hmac_headers("bob", "POST", &path, &stamp2, body.as_bytes());
    let forged = forged.replacen("bob", "alice", 1);
    assert_refused(&send(&forged, &stamp2, &body));
    assert_refused(&send("alice:zz", &stamp2, &body));
    // Only the first request wrote a note.
    let mine = notes.get("notes", Some(&as_user("alice")));
    assert_eq!(mine.json()["_meta"]["total"], 1, "{}", mine.text());
}

#[test]
fn dataset_signed_requests_are_checked_fresh_and_once() {
    let notes = start();
    let stamp = (now_secs() * 1000).to_string();
    let token = signed::sign_dataset(b"secret of alice", &stamp, "alice", "notes");
    let query = format!("notes?visitor=alice&stamp={stamp}&type=notes&token={token}");
    let body = json!({"title": "from the dataset API"});
    let response = notes.call("POST", &query, None, Some(&body));
    assert_eq!(response.status, 201, "{}", response.text());
    assert_refused(&notes.call("POST", &query, None, Some(&body)));
    // As an urlencoded form, as the seed sends it: `ds` is not a field here, the
    // signature fields are read from the form.
    let stamp = (now_secs() * 1000 + 1).to_string();
    let token = signed::sign_dataset(b"secret of alice", &stamp, "alice", "notes");
    let form = format!("visitor=alice&stamp={stamp}&type=notes&token={token}");
    let response = notes.server.request(
        "GET",
        &format!("{API}/notes"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(form.as_bytes()),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    // Stale, wrong key, wrong visitor.
    let stale = ((now_secs() - 600) * 1000).to_string();
    let token = signed::sign_dataset(b"secret of alice", &stale, "alice", "notes");
    assert_refused(&notes.get(
        &format!("notes?visitor=alice&stamp={stale}&type=notes&token={token}"),
        None,
    ));
    let stamp = (now_secs() * 1000 + 2).to_string();
    let token = signed::sign_dataset(b"not alice's key", &stamp, "alice", "notes");
    assert_refused(&notes.get(
        &format!("notes?visitor=alice&stamp={stamp}&type=notes&token={token}"),
        None,
    ));
    let token = signed::sign_dataset(b"secret of alice", &stamp, "alice", "notes");
    assert_refused(&notes.get(
        &format!("notes?visitor=bob&stamp={stamp}&type=notes&token={token}"),
        None,
    ));
    let mine = notes.get("notes", Some(&as_user("alice")));
    assert_eq!(mine.json()["_meta"]["total"], 1, "{}", mine.text());
}

/// A JWT signed with `secret` (HS256) carrying `claims`.
fn jwt(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret).expect("an HMAC key"),
    )
    .expect("sign a JWT")
}

fn claims(overrides: Value) -> Value {
    let now = now_secs();
    let mut claims = json!({
        "iss": ISSUER,
        "aud": "notes-api",
        "sub": "jules",
        "roles": ["writer"],
        "iat": now,
        "nbf": now - 10,
        "exp": now + 600,
    });
    for (key, value) in overrides.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(key);
        } else {
            claims[key] = value.clone();
        }
    }
    claims
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn jwts_are_checked_as_the_spec_says() {
    let notes = start();
    let good = jwt(&claims(json!({})), JWT_SECRET.as_bytes());
    let response = notes.call(
        "POST",
        "notes",
        Some(&bearer(&good)),
        Some(&json!({"title": "via JWT"})),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let now = now_secs();
    let attacks = [
        (
            "expired",
            jwt(&claims(json!({"exp": now - 120})), JWT_SECRET.as_bytes()),
        ),
        (
            "not yet valid",
            jwt(&claims(json!({"nbf": now + 600})), JWT_SECRET.as_bytes()),
        ),
        (
            "wrong audience",
            jwt(
                &claims(json!({"aud": "another-api"})),
                JWT_SECRET.as_bytes(),
            ),
        ),
        (
            "no audience",
            jwt(&claims(json!({"aud": null})), JWT_SECRET.as_bytes()),
        ),
        (
            "wrong issuer",
            jwt(
                &claims(json!({"iss": "https://evil.test"})),
                JWT_SECRET.as_bytes(),
            ),
        ),
        (
            "forged signature",
            jwt(
                &claims(json!({})),
                b"another secret, also thirty-two bytes long",
            ),
        ),
        (
            "a reader writing",
            jwt(&claims(json!({"roles": ["reader"]})), JWT_SECRET.as_bytes()),
        ),
    ];
    for (what, token) in &attacks {
        let response = notes.call(
            "POST",
            "notes",
            Some(&bearer(token)),
            Some(&json!({"title": what})),
        );
        assert_eq!(response.status, 401, "{what}: {}", response.text());
    }
    // `alg: none`: the header says so, and there is no signature.
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims(json!({})))
    );
    assert_refused(&notes.call(
        "POST",
        "notes",
        Some(&bearer(&none)),
        Some(&json!({"title": "none"})),
    ));
    // A token with its payload swapped keeps its old signature: refused.
    let mut parts: Vec<String> = good.split('.').map(String::from).collect();
    parts[1] = b64(&claims(json!({"roles": ["admin"], "sub": "mallory"})));
    assert_refused(&notes.get("notes", Some(&bearer(&parts.join(".")))));
    // Only the good token wrote.
    let response = notes.get("notes", Some(&bearer(&good)));
    assert_eq!(response.json()["_meta"]["total"], 1, "{}", response.text());
}

#[test]
fn roles_decide_who_reads_and_writes() {
    let notes = start();
    // A reader reads, and may not write: 401, as Eve answers it.
    assert_eq!(notes.get("notes", Some(&as_user("rita"))).status, 200);
    let response = notes.call(
        "POST",
        "notes",
        Some(&as_user("rita")),
        Some(&json!({"title": "no"})),
    );
    assert_refused(&response);
    let created = notes.call(
        "POST",
        "notes",
        Some(&as_user("alice")),
        Some(&json!({"title": "mine"})),
    );
    let id = created.json()["_id"].as_str().unwrap().to_string();
    let response = notes.call("DELETE", "notes", Some(&as_user("rita")), None);
    assert_refused(&response);
    let response = notes.call(
        "PATCH",
        &format!("notes/{id}"),
        Some(&as_user("rita")),
        Some(&json!({"title": "x"})),
    );
    assert_refused(&response);
    let mine = notes.get(&format!("notes/{id}"), Some(&as_user("alice")));
    assert_eq!(mine.json()["title"], "mine");
}

#[test]
fn a_method_can_be_public_under_a_private_api_and_another_need_its_own_role() {
    let notes = start();
    // `public_methods = ["GET"]`: anyone reads announcements, and an `Authorization`
    // header, even a bad one, is ignored.
    assert_eq!(notes.get("announcements", None).status, 200);
    assert_eq!(
        notes.get("announcements", Some("Basic garbage!")).status,
        200
    );
    assert_eq!(
        notes
            .get("announcements", Some(&basic("alice", "wrong")))
            .status,
        200
    );
    // `operations.post_collection.allowed_roles = ["editor"]`: a writer (the API's
    // write role) may not post one; an editor may.
    let item =
        json!({"headline": "Ça marche — 動作する", "published": "Sun, 20 Jul 1969 20:17:40 GMT"});
    assert_refused(&notes.call(
        "POST",
        "announcements",
        Some(&as_user("alice")),
        Some(&item),
    ));
    assert_refused(&notes.call("POST", "announcements", None, Some(&item)));
    let created = notes.call("POST", "announcements", Some(&as_user("edna")), Some(&item));
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["_id"].as_str().unwrap().to_string();
    // The item's GET is public too; its PATCH keeps the API's write roles.
    assert_eq!(notes.get(&format!("announcements/{id}"), None).status, 200);
    let etag = created.json()["_etag"].as_str().unwrap().to_string();
    let patch = |auth: Option<&str>| {
        let mut headers = vec![
            ("If-Match", etag.as_str()),
            ("Content-Type", "application/json"),
        ];
        if let Some(auth) = auth {
            headers.push(("Authorization", auth));
        }
        notes.server.request(
            "PATCH",
            &format!("{API}/announcements/{id}"),
            &headers,
            Some(br#"{"headline": "changed"}"#),
        )
    };
    assert_refused(&patch(None));
    assert_refused(&patch(Some(&as_user("rita"))));
    assert_eq!(patch(Some(&as_user("alice"))).status, 200);
    assert_eq!(notes.count("announcements"), 1);
}

#[test]
fn an_api_key_alone_opens_the_status_resource() {
    let notes = start();
    let conn = rusqlite_conn(&notes.server);
    let key = store::create_key(&conn, "monitoring", &[]).unwrap();
    assert_refused(&notes.get("status", None));
    // A user's credentials are no API key.
    assert_refused(&notes.get("status", Some(&as_user("alice"))));
    let response = notes.server.request(
        "GET",
        &format!("{API}/status"),
        &[("x-api-key", &key)],
        None,
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let response = notes.get(&format!("status?key={}", enc(&key)), None);
    assert_eq!(response.status, 200, "{}", response.text());
    let response = notes.server.request(
        "GET",
        &format!("{API}/status"),
        &[("x-api-key", "nope")],
        None,
    );
    assert_refused(&response);
    // Revoked: refused at once.
    let prefix = store::list_keys(&conn).unwrap()[0].prefix.clone();
    store::revoke_key(&conn, &prefix).unwrap();
    let response = notes.server.request(
        "GET",
        &format!("{API}/status"),
        &[("x-api-key", &key)],
        None,
    );
    assert_refused(&response);
}

#[test]
fn cors_preflights_and_the_openapi_document_need_no_credentials() {
    let notes = start();
    let response = notes.server.request(
        "OPTIONS",
        &format!("{API}/notes"),
        &[
            ("Origin", "https://app.notes.test"),
            ("Access-Control-Request-Method", "POST"),
        ],
        None,
    );
    assert!(
        response.status < 300,
        "{}: {}",
        response.status,
        response.text()
    );
    let response = notes.server.get("/openapi.json");
    assert_eq!(response.status, 200);
    let document = response.json();
    let schemes = &document["components"]["securitySchemes"];
    for name in ["basic", "token", "hmac", "signed", "jwt", "apiKey"] {
        assert!(schemes.get(name).is_some(), "{name}: {schemes}");
    }
    let security = &document["paths"]["/notes"]["post"]["security"];
    assert_eq!(security.as_array().unwrap().len(), 5, "{security}");
    assert!(
        document["paths"]["/announcements"]["get"]
            .get("security")
            .is_none()
    );
    assert_eq!(
        document["paths"]["/status"]["get"]["security"],
        json!([{"apiKey": []}, {"apiKeyQuery": []}])
    );
}

#[test]
fn the_services_own_check_replaces_the_schemes_where_the_spec_says() {
    let notes = start();
    let event = json!({"event": "paid ✓", "amount": 9007199254740993_i64});
    let send = |headers: &[(&str, &str)]| {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        notes.server.request(
            "POST",
            &format!("{API}/deliveries"),
            &all,
            Some(event.to_string().as_bytes()),
        )
    };
    let response = send(&[("X-Provider-Secret", PROVIDER_SECRET)]);
    assert_eq!(response.status, 201, "{}", response.text());
    // The API's schemes do not open it, and a wrong secret is refused.
    assert_refused(&send(&[("Authorization", &as_user("edna"))]));
    assert_refused(&send(&[("X-Provider-Secret", "shared-with-the-provideR")]));
    assert_refused(&send(&[]));
    let listed = notes.server.request(
        "GET",
        &format!("{API}/deliveries"),
        &[("X-Provider-Secret", PROVIDER_SECRET)],
        None,
    );
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json()["_items"][0]["amount"], 9007199254740993_i64);
    assert_eq!(listed.json()["_meta"]["total"], 1);
}

#[test]
fn a_jwt_posting_a_comment_needs_the_web_apps_azp_and_the_scope() {
    let notes = start();
    let note = notes.call(
        "POST",
        "notes",
        Some(&as_user("alice")),
        Some(&json!({"title": "n"})),
    );
    let comment = json!({"note": note.json()["_id"], "text": "Très bien 👍"});
    let post = |token: &str| notes.call("POST", "comments", Some(&bearer(token)), Some(&comment));
    let sign = |extra: Value| jwt(&claims(extra), JWT_SECRET.as_bytes());
    for (what, token) in [
        ("no azp", sign(json!({"scope": "comments:write"}))),
        (
            "wrong azp",
            sign(json!({"azp": "evil-app", "scope": "comments:write"})),
        ),
        ("no scope", sign(json!({"azp": "notes-web"}))),
        (
            "another scope",
            sign(json!({"azp": "notes-web", "scope": "comments:read notes:write"})),
        ),
    ] {
        let response = post(&token);
        assert_eq!(response.status, 401, "{what}: {}", response.text());
    }
    let good = sign(json!({"azp": "notes-web", "scope": "profile comments:write"}));
    let response = post(&good);
    assert_eq!(response.status, 201, "{}", response.text());
    // Reading comments has no such rule: any valid token of a reader or writer reads.
    let plain = sign(json!({}));
    let listed = notes.get("comments", Some(&bearer(&plain)));
    assert_eq!(listed.json()["_meta"]["total"], 1, "{}", listed.text());
    // Basic is not affected by the JWT settings.
    let response = notes.call("POST", "comments", Some(&as_user("bob")), Some(&comment));
    assert_eq!(response.status, 201, "{}", response.text());
}
