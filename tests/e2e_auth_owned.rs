//! Owned documents (Eve's `auth_field`) of the crate generated from `specs/notes.toml`,
//! over real HTTP: each writer lists, reads, edits and deletes only their own notes;
//! another's note is out of reach by id, by `where`, by PATCH/PUT/DELETE and through
//! embedding, and every refused attempt changes nothing. Also: the schema endpoint
//! shows each caller what they may list, and the oplog records who wrote.
//!
//! Users are written straight into the server's database with the runtime's
//! credential store, as `notes-api users add` would.

mod support;

use apigen_runtime::rusqlite;
use base64::Engine as _;
use notes_api::api::auth::store;
use serde_json::{Value, json};
use support::{TestServer, enc};

const API: &str = "/api/v1";

/// Non-ASCII text, and a date before 1970.
const ALICE_TITLE: &str = "Carnet d'été — 日記 ✓ «Ölçü»";
const MOON: &str = "Sun, 20 Jul 1969 20:17:40 GMT";

struct Notes {
    server: TestServer,
}

/// A notes server with writers alice and bob and a reader, rita.
fn start() -> Notes {
    support::set_notes_env();
    let server = support::start_generated!(notes_api, API);
    // The database exists once the server answers.
    let _ = server.get(&format!("{API}/announcements"));
    let conn = rusqlite::Connection::open(server.dir().join("api.db")).expect("open the db");
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    for (name, role) in [("alice", "writer"), ("bob", "writer"), ("rita", "reader")] {
        let roles = vec![role.to_string()];
        store::add_user(&conn, name, &password(name), &roles, None).expect("add user");
    }
    Notes { server }
}

fn password(user: &str) -> String {
    format!("correct horse battery staple of {user}")
}

fn basic(user: &str) -> String {
    let raw = format!("{user}:{}", password(user));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

impl Notes {
    fn call(
        &self,
        user: &str,
        method: &str,
        path: &str,
        if_match: Option<&str>,
        body: Option<&Value>,
    ) -> support::Response {
        let auth = basic(user);
        let mut headers = vec![("Authorization", auth.as_str())];
        if let Some(tag) = if_match {
            headers.push(("If-Match", tag));
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

    fn get(&self, user: &str, path: &str) -> support::Response {
        self.call(user, "GET", path, None, None)
    }

    fn post(&self, user: &str, path: &str, body: Value) -> Value {
        let response = self.call(user, "POST", path, None, Some(&body));
        assert_eq!(
            response.status,
            201,
            "POST {path} as {user}: {}",
            response.text()
        );
        response.json()
    }

    /// The `_items` of a collection GET that must answer 200.
    fn items(&self, user: &str, path: &str) -> Vec<Value> {
        let response = self.get(user, path);
        assert_eq!(
            response.status,
            200,
            "GET {path} as {user}: {}",
            response.text()
        );
        response.json()["_items"]
            .as_array()
            .expect("_items")
            .clone()
    }

    /// The titles of the notes `user` lists.
    fn titles(&self, user: &str) -> Vec<String> {
        self.items(user, "notes")
            .iter()
            .map(|n| n["title"].as_str().expect("a title").to_string())
            .collect()
    }
}

fn id(result: &Value) -> String {
    result["_id"].as_str().expect("an _id").to_string()
}

fn etag(result: &Value) -> String {
    result["_etag"].as_str().expect("an _etag").to_string()
}

#[test]
fn each_writer_reaches_only_their_own_notes() {
    let notes = start();
    let mine = notes.post(
        "alice",
        "notes",
        json!({"title": ALICE_TITLE, "body": "Ünïcödé body, 🌕", "written": MOON}),
    );
    let (alice_id, alice_tag) = (id(&mine), etag(&mine));
    notes.post("bob", "notes", json!({"title": "bob's list"}));

    // Each lists only their own, stamped with their name.
    let listed = notes.items("alice", "notes");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["title"], ALICE_TITLE);
    assert_eq!(listed[0]["owner"], "alice");
    assert_eq!(listed[0]["written"], MOON);
    assert_eq!(notes.titles("bob"), ["bob's list"]);
    let response = notes.get("bob", "notes");
    assert_eq!(response.header("x-total-count"), Some("1"));
    assert_eq!(response.json()["_meta"]["total"], 1);

    // Bob's `where` cannot reach past the owner: not by naming her, not by `$or`.
    for clause in [
        json!({"owner": "alice"}),
        json!({"title": ALICE_TITLE}),
        json!({"$or": [{"owner": "alice"}, {"owner": {"$ne": "bob"}}]}),
    ] {
        let path = format!("notes?where={}", enc(&clause.to_string()));
        assert_eq!(notes.items("bob", &path), Vec::<Value>::new(), "{clause}");
    }
    // Alice's own `where` still works.
    let path = format!(
        "notes?where={}",
        enc(&json!({"title": ALICE_TITLE}).to_string())
    );
    assert_eq!(notes.items("alice", &path).len(), 1);

    // Her note by id is not there for bob: GET, HEAD, PATCH, PUT are 404 ...
    let item = format!("notes/{alice_id}");
    assert_eq!(notes.get("bob", &item).status, 404);
    assert_eq!(notes.call("bob", "HEAD", &item, None, None).status, 404);
    let stolen = json!({"title": "mine now", "owner": "bob"});
    let tag = Some(alice_tag.as_str());
    let patch = notes.call("bob", "PATCH", &item, tag, Some(&stolen));
    assert_eq!(patch.status, 404, "{}", patch.text());
    assert_eq!(patch.json()["_status"], "ERR");
    let put = notes.call("bob", "PUT", &item, tag, Some(&stolen));
    assert_eq!(put.status, 404, "{}", put.text());
    // ... and so is a PUT without If-Match, which would otherwise create the id.
    let put = notes.call("bob", "PUT", &item, None, Some(&stolen));
    assert_eq!(put.status, 404, "{}", put.text());
    // A DELETE of a note bob cannot see is answered as for a note that is not
    // there (Eve: 204, nothing deleted), so it tells him nothing either.
    let delete = notes.call("bob", "DELETE", &item, tag, None);
    assert_eq!(delete.status, 204, "{}", delete.text());

    // Her note is unchanged.
    let hers = notes.get("alice", &item);
    assert_eq!(hers.status, 200, "{}", hers.text());
    let hers = hers.json();
    assert_eq!(hers["title"], ALICE_TITLE);
    assert_eq!(hers["body"], "Ünïcödé body, 🌕");
    assert_eq!(hers["written"], MOON);
    assert_eq!(hers["owner"], "alice");
    assert_eq!(hers["_etag"], alice_tag.as_str());
    assert_eq!(notes.titles("bob"), ["bob's list"]);

    // A reader reads only their own too (none).
    assert_eq!(notes.titles("rita"), Vec::<String>::new());
    assert_eq!(notes.get("rita", &item).status, 404);
}

#[test]
fn the_owner_is_the_writer_whatever_the_body_says() {
    let notes = start();
    // POST with someone else's name: stamped with the writer's.
    let posted = notes.post("bob", "notes", json!({"title": "forged", "owner": "alice"}));
    let bob_id = id(&posted);
    assert_eq!(notes.titles("alice"), Vec::<String>::new());
    let item = format!("notes/{bob_id}");
    let stored = notes.get("bob", &item).json();
    assert_eq!(stored["owner"], "bob");

    // A bulk POST too.
    let bulk = notes.call(
        "bob",
        "POST",
        "notes",
        None,
        Some(&json!([{"title": "b1", "owner": "alice"}, {"title": "b2"}])),
    );
    assert_eq!(bulk.status, 201, "{}", bulk.text());
    assert!(
        notes
            .items("bob", "notes")
            .iter()
            .all(|n| n["owner"] == "bob")
    );
    assert_eq!(notes.titles("alice"), Vec::<String>::new());

    // PATCH and PUT cannot give a note away.
    let patched = notes.call(
        "bob",
        "PATCH",
        &item,
        Some(&etag(&stored)),
        Some(&json!({"owner": "alice", "body": "ça va"})),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    let stored = notes.get("bob", &item).json();
    assert_eq!(stored["owner"], "bob");
    assert_eq!(stored["body"], "ça va");
    let put = notes.call(
        "bob",
        "PUT",
        &item,
        Some(stored["_etag"].as_str().unwrap()),
        Some(&json!({"title": "replaced", "owner": "alice", "written": MOON})),
    );
    assert_eq!(put.status, 200, "{}", put.text());
    let stored = notes.get("bob", &item).json();
    assert_eq!(stored["owner"], "bob");
    assert_eq!(stored["written"], MOON);
    assert_eq!(notes.titles("alice"), Vec::<String>::new());

    // A PUT that creates (`upsert_on_put`) is stamped too.
    let new_id = "5f1e4c2b9d3e2a00123456ab";
    let created = notes.call(
        "bob",
        "PUT",
        &format!("notes/{new_id}"),
        None,
        Some(&json!({"title": "upserted", "owner": "alice"})),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let stored = notes.get("bob", &format!("notes/{new_id}")).json();
    assert_eq!(stored["owner"], "bob");
    assert_eq!(notes.get("alice", &format!("notes/{new_id}")).status, 404);

    // An owner that is no user name is refused, as Eve validates before it stamps:
    // a POST, a PATCH and a PUT each answer 422 naming the field and change nothing.
    let before = notes.items("bob", "notes").len();
    for owner in [json!({}), json!(7), json!(["alice"])] {
        let post = notes.call(
            "bob",
            "POST",
            "notes",
            None,
            Some(&json!({"title": "odd", "owner": owner})),
        );
        assert_eq!(post.status, 422, "{}", post.text());
        assert!(
            post.json()["_issues"]["owner"].is_string(),
            "{}",
            post.text()
        );
        let stored = notes.get("bob", &item).json();
        let tag = etag(&stored);
        for method in ["PATCH", "PUT"] {
            let write = notes.call(
                "bob",
                method,
                &item,
                Some(&tag),
                Some(&json!({"title": "odd", "owner": owner})),
            );
            assert_eq!(write.status, 422, "{method}: {}", write.text());
        }
        assert_eq!(notes.get("bob", &item).json()["title"], "replaced");
    }
    assert_eq!(notes.items("bob", "notes").len(), before);
}

#[test]
fn a_collection_delete_deletes_only_the_callers_notes() {
    let notes = start();
    notes.post("alice", "notes", json!({"title": "premier"}));
    notes.post("alice", "notes", json!({"title": "второй"}));
    notes.post("bob", "notes", json!({"title": "bob's"}));
    let delete = notes.call("bob", "DELETE", "notes", None, None);
    assert_eq!(delete.status, 204, "{}", delete.text());
    assert_eq!(notes.titles("bob"), Vec::<String>::new());
    assert_eq!(notes.titles("alice"), ["premier", "второй"]);
}

#[test]
fn a_note_is_embedded_only_for_its_owner() {
    let notes = start();
    let alice_id = id(&notes.post("alice", "notes", json!({"title": ALICE_TITLE})));
    // Anyone may point at any note: the reference is checked against every note.
    let comment = notes.post(
        "bob",
        "comments",
        json!({"note": alice_id, "text": "👀 nice"}),
    );
    let comment_id = id(&comment);
    // A note that does not exist is still refused.
    let missing = notes.call(
        "bob",
        "POST",
        "comments",
        None,
        Some(&json!({"note": "5f1e4c2b9d3e2a00123456ff", "text": "?"})),
    );
    assert_eq!(missing.status, 422, "{}", missing.text());

    let embedded = format!("embedded={}", enc(r#"{"note":1}"#));
    let page = format!("comments?{embedded}");
    let item = format!("comments/{comment_id}?{embedded}");

    // Alice sees her note inside the comment.
    let listed = notes.items("alice", &page);
    assert_eq!(listed[0]["note"]["title"], ALICE_TITLE, "{listed:?}");
    assert_eq!(listed[0]["note"]["owner"], "alice");
    let one = notes.get("alice", &item).json();
    assert_eq!(one["note"]["title"], ALICE_TITLE);

    // Bob (who wrote the comment) and rita see only the id.
    for user in ["bob", "rita"] {
        let listed = notes.items(user, &page);
        assert_eq!(listed[0]["note"], alice_id.as_str(), "{user}: {listed:?}");
        let one = notes.get(user, &item);
        assert_eq!(one.status, 200, "{}", one.text());
        assert_eq!(one.json()["note"], alice_id.as_str(), "{user}");
        assert!(!one.text().contains(ALICE_TITLE));
    }
}

#[test]
fn the_schema_endpoint_shows_what_the_caller_may_list() {
    let notes = start();
    let schema = notes.get("alice", "schema");
    assert_eq!(schema.status, 200, "{}", schema.text());
    assert_eq!(schema.header("content-type"), Some("application/json"));
    let schema = schema.json();
    let mut names: Vec<&str> = schema
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    // `status` needs an API key, which this call does not carry.
    assert_eq!(
        names,
        ["announcements", "comments", "deliveries", "notes", "oplog"]
    );
    assert_eq!(schema["notes"]["owner"]["type"], "string");
    assert_eq!(notes.get("alice", "schema/notes").status, 200);
    let status = notes.get("alice", "schema/status");
    assert_eq!(status.status, 404, "{}", status.text());
    assert_eq!(status.json()["_status"], "ERR");
    assert_eq!(notes.get("rita", "schema/announcements").status, 200);

    // A user with no role the endpoint allows is refused by its guard, as Eve does.
    let unknown = notes
        .server
        .request("GET", &format!("{API}/schema"), &[], None);
    assert_eq!(unknown.status, 401);
}

#[test]
fn the_oplog_records_the_writer() {
    let notes = start();
    let posted = notes.post(
        "alice",
        "notes",
        json!({"title": ALICE_TITLE, "written": MOON}),
    );
    let alice_id = id(&posted);
    let bobs = notes.post("bob", "notes", json!({"title": "bob's"}));
    let patched = notes.call(
        "bob",
        "PATCH",
        &format!("notes/{}", id(&bobs)),
        Some(&etag(&bobs)),
        Some(&json!({"body": "édité"})),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    // A refused write leaves no entry.
    let refused = notes.call(
        "bob",
        "PATCH",
        &format!("notes/{alice_id}"),
        Some(&etag(&posted)),
        Some(&json!({"body": "x"})),
    );
    assert_eq!(refused.status, 404);

    let entries = notes.items("rita", "oplog");
    let seen: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["o"].as_str().unwrap_or_default().to_string(),
                e["i"].as_str().unwrap_or_default().to_string(),
                e["u"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("POST".to_string(), alice_id, "alice".to_string()),
            ("POST".to_string(), id(&bobs), "bob".to_string()),
            ("PATCH".to_string(), id(&bobs), "bob".to_string()),
        ]
    );
}
