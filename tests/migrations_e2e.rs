//! One service walked through a sequence of spec edits, as its users work: edit the
//! spec, `apigen generate`, build, restart on the same database. After every step the
//! server must start (applying the step's migration), serve the new shape, and still
//! hold every document written before, with its ETag kept unless its stored form
//! changed. Along the way: a server refuses a database that does not match it, `migrate
//! --dry-run` prints the SQL and changes nothing, `serve --migrate=false` refuses to
//! start with a migration pending, and `kill -9` during a migration leaves the database
//! at the previous version or the next, never between.
//!
//! The generated crate is built with cargo in `target/generated-crates` (shared with
//! the other tests that build generated crates, so its dependencies build once).

mod support;

use std::fs;
use std::io::Read as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use apigen_runtime::rusqlite::{self, Connection};
use serde_json::{Value, json};
use support::{Conn, Response};

const PREFIX: &str = "/api/v1";

/// The spec's first version; each step edits it.
const SPEC_V0: &str = r#"[api]
name = "walk"
version = "1.0.0"

[resources.people]
resource_methods = ["GET", "POST"]
item_methods = ["GET", "PATCH", "DELETE"]

[resources.people.schema]
lastname = { type = "string", required = true }
age = { type = "integer" }
born = { type = "datetime" }
"#;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where generated crates are built, shared by the tests that build one.
fn target_dir() -> PathBuf {
    std::env::var_os("APIGEN_TEST_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/generated-crates"))
}

struct Service {
    root: PathBuf,
    spec_text: String,
    server: Option<Child>,
    port: u16,
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Service {
    fn new() -> Service {
        // A fixed place, so the crate's own build is incremental from run to run;
        // outside the workspace, which cargo would otherwise think it belongs to.
        let root = support::generated_crate_dir("migrations-e2e");
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).expect("create the work directory");
        let service = Service {
            root,
            spec_text: SPEC_V0.to_string(),
            server: None,
            port: 0,
        };
        fs::write(service.spec(), SPEC_V0).expect("write the spec");
        let output = service.apigen(&[
            "new",
            &service.arg("spec.toml"),
            "--out",
            &service.arg("crate"),
        ]);
        assert!(
            output.status.success(),
            "apigen new: {}",
            text(&output.stderr)
        );
        service
    }

    fn spec(&self) -> PathBuf {
        self.root.join("spec.toml")
    }

    fn db(&self) -> PathBuf {
        self.root.join("walk.db")
    }

    fn arg(&self, relative: &str) -> String {
        self.root.join(relative).to_string_lossy().into_owned()
    }

    fn apigen(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_apigen"))
            .args(args)
            .output()
            .expect("apigen runs")
    }

    /// Replace `from` with `to` in the spec (which must hold it).
    fn edit(&mut self, from: &str, to: &str) {
        assert!(self.spec_text.contains(from), "the spec has no {from:?}");
        self.spec_text = self.spec_text.replacen(from, to, 1);
        fs::write(self.spec(), &self.spec_text).expect("write the spec");
    }

    /// `apigen generate` (with `extra` flags): what it printed.
    fn generate(&self, extra: &[&str]) -> String {
        let mut args = vec!["generate", "--out"];
        let out = self.arg("crate");
        args.push(&out);
        args.extend_from_slice(extra);
        let output = self.apigen(&args);
        assert!(
            output.status.success(),
            "apigen generate {extra:?}:\n{}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stdout)
    }

    fn build(&self) -> PathBuf {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--manifest-path"])
            .arg(self.root.join("crate/Cargo.toml"))
            .env("CARGO_TARGET_DIR", target_dir())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the generated crate builds");
        target_dir().join("debug/walk-api")
    }

    fn binary(&self) -> PathBuf {
        target_dir().join("debug/walk-api")
    }

    /// Start the server on the database; `Err` with its stderr when it exits instead.
    fn serve(&mut self, extra: &[&str]) -> Result<String, String> {
        self.stop();
        let log = self.root.join("server.log");
        let port = free_port();
        let mut child = Command::new(self.binary())
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--db"])
            .arg(self.db())
            .args(extra)
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start the server");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().expect("poll the server") {
                return Err(format!("exited with {status}: {}", read(&log)));
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start: {}",
                read(&log)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.server = Some(child);
        self.port = port;
        Ok(read(&log))
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.server.take() {
            // The server stops on Ctrl-C (SIGINT); a kill is the fallback.
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let body = body.map(|b| b.to_string());
        let mut conn = Conn::new(stream);
        conn.send(
            method,
            &format!("{PREFIX}/{path}"),
            &[("Content-Type", "application/json")],
            body.as_deref().map(str::as_bytes),
            false,
        )
    }

    fn post(&self, resource: &str, document: Value) -> String {
        let response = self.request("POST", resource, Some(&document));
        assert_eq!(response.status, 201, "POST {resource}: {}", response.text());
        response.json()["_id"].as_str().expect("an _id").to_string()
    }

    /// Every document of `resource`, by `_id`.
    fn all(&self, resource: &str) -> Vec<Value> {
        let response = self.request("GET", &format!("{resource}?max_results=50"), None);
        assert_eq!(response.status, 200, "GET {resource}: {}", response.text());
        let mut items = response.json()["_items"]
            .as_array()
            .expect("_items")
            .clone();
        items.sort_by(|a, b| a["_id"].as_str().cmp(&b["_id"].as_str()));
        items
    }

    fn get(&self, path: &str) -> Value {
        let response = self.request("GET", path, None);
        assert_eq!(response.status, 200, "GET {path}: {}", response.text());
        response.json()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read(path: &Path) -> String {
    let mut out = String::new();
    if let Ok(mut file) = fs::File::open(path) {
        let _ = file.read_to_string(&mut out);
    }
    out
}

/// `(_id, _etag)` of each document.
fn tags(documents: &[Value]) -> Vec<(String, String)> {
    documents
        .iter()
        .map(|d| {
            (
                d["_id"].as_str().unwrap().to_string(),
                d["_etag"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn ids(documents: &[Value]) -> Vec<String> {
    tags(documents).into_iter().map(|(id, _)| id).collect()
}

fn history(db: &Path) -> Vec<String> {
    let conn = Connection::open(db).expect("open the database");
    let mut statement = conn
        .prepare("SELECT name FROM _apigen_migrations ORDER BY name")
        .expect("the history table");
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn columns(db: &Path, table: &str) -> Vec<String> {
    let conn = Connection::open(db).expect("open the database");
    let mut statement = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")
        .unwrap();
    statement
        .query_map([table], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn indexes(db: &Path) -> Vec<String> {
    let conn = Connection::open(db).expect("open the database");
    let mut statement = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn a_service_survives_every_spec_edit_with_its_data() {
    let mut service = Service::new();
    service.build();
    service.serve(&[]).expect("the first server starts");

    // Data real users have: non-ASCII text, a date before 1970, large numbers.
    let doe = service.post(
        "people",
        json!({"lastname": "Doe", "age": 42, "born": "Tue, 01 Feb 1955 10:00:00 GMT"}),
    );
    let zoe = service.post(
        "people",
        json!({"lastname": "Zoë Ørsted", "age": 9_007_199_254_740_993_i64}),
    );
    let before = service.all("people");
    assert_eq!(before.len(), 2);
    let mut seen = before.clone();

    // Step 1: a new resource.
    service.stop();
    service.edit(
        "[resources.people.schema]",
        "[resources.notes]\nresource_methods = [\"GET\", \"POST\"]\n\n\
         [resources.notes.schema]\ntext = { type = \"string\" }\n\n\
         [resources.people.schema]",
    );
    let printed = service.generate(&[]);
    assert!(printed.contains("migration 0001_create_notes"), "{printed}");
    service.build();
    let log = service.serve(&[]).expect("serves with the new resource");
    assert!(log.contains("applied migration 0001_create_notes"), "{log}");
    assert_eq!(
        service.all("people"),
        seen,
        "people untouched by a new resource"
    );
    let note = service.post("notes", json!({"text": "日本語のメモ"}));

    // Step 2: a nullable field. No stored document changes, so no ETag does.
    service.stop();
    service.edit(
        "age = { type = \"integer\" }",
        "age = { type = \"integer\" }\nnickname = { type = \"string\" }",
    );
    service.generate(&[]);
    service.build();
    // Operators may migrate as a separate step: with --migrate=false the server refuses.
    let refused = service
        .serve(&["--migrate=false"])
        .expect_err("refuses to start");
    assert!(refused.contains("0002_people_add_nickname"), "{refused}");
    assert!(refused.contains("migrate --dry-run"), "{refused}");
    let dry = Command::new(service.binary())
        .args(["migrate", "--dry-run", "--db"])
        .arg(service.db())
        .output()
        .expect("migrate --dry-run");
    assert!(dry.status.success());
    assert!(
        text(&dry.stdout).contains("ALTER TABLE \"people\" ADD COLUMN \"nickname\" TEXT;"),
        "{}",
        text(&dry.stdout)
    );
    assert!(
        !columns(&service.db(), "people").contains(&"nickname".to_string()),
        "dry run changed nothing"
    );
    let migrate = Command::new(service.binary())
        .args(["migrate", "--db"])
        .arg(service.db())
        .output()
        .expect("migrate");
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
    assert!(text(&migrate.stderr).contains("applied migration 0002_people_add_nickname"));
    service
        .serve(&["--migrate=false"])
        .expect("serves once migrated");
    assert_eq!(service.all("people"), seen, "same documents, same ETags");
    seen = service.all("people");

    // Step 3: a field with a default. Stored documents get it, and new ETags.
    service.stop();
    service.edit(
        "nickname = { type = \"string\" }",
        "nickname = { type = \"string\" }\nscore = { type = \"integer\", default = 0 }",
    );
    service.generate(&[]);
    service.build();
    let log = service.serve(&[]).expect("serves with score");
    assert!(log.contains("new ETags for 2 documents of people"), "{log}");
    let now = service.all("people");
    assert_eq!(ids(&now), ids(&seen));
    for (old, new) in seen.iter().zip(&now) {
        assert_eq!(new["score"], json!(0), "{new}");
        assert_ne!(old["_etag"], new["_etag"], "its stored form changed");
        assert_eq!(old["_updated"], new["_updated"], "no client changed it");
        assert_eq!(old["lastname"], new["lastname"]);
        assert_eq!(old["born"], new["born"]);
        assert_eq!(old["age"], new["age"]);
    }
    // The new ETag is the one a write computes: an If-Match with it succeeds.
    let doe_now = service.get(&format!("people/{doe}"));
    let response = {
        let stream = TcpStream::connect(("127.0.0.1", service.port)).unwrap();
        let body = json!({"nickname": "Johnny"}).to_string();
        let tag = doe_now["_etag"].as_str().unwrap().to_string();
        Conn::new(stream).send(
            "PATCH",
            &format!("{PREFIX}/people/{doe}"),
            &[
                ("Content-Type", "application/json"),
                ("If-Match", &format!("\"{tag}\"")),
            ],
            Some(body.as_bytes()),
            false,
        )
    };
    assert_eq!(response.status, 200, "{}", response.text());
    seen = service.all("people");

    // Step 4: a secondary index.
    service.stop();
    service.edit(
        "[resources.people]\n",
        "[resources.people]\nindexes = { by_age = [\"-age\"] }\n",
    );
    service.generate(&[]);
    service.build();
    service.serve(&[]).expect("serves with the index");
    assert_eq!(service.all("people"), seen);
    assert!(indexes(&service.db()).contains(&"people_by_age".to_string()));

    // Step 5: `unique` on a field stored documents hold once each.
    service.stop();
    service.edit(
        "lastname = { type = \"string\", required = true }",
        "lastname = { type = \"string\", required = true, unique = true }",
    );
    service.generate(&[]);
    service.build();
    service.serve(&[]).expect("serves with unique");
    assert_eq!(service.all("people"), seen, "an index changes no document");
    let duplicate = service.request("POST", "people", Some(&json!({"lastname": "Doe"})));
    assert_eq!(duplicate.status, 422, "{}", duplicate.text());

    // Step 6: rename `nickname` to `alias`, keeping the values.
    service.stop();
    service.edit(
        "nickname = { type = \"string\" }",
        "alias = { type = \"string\", renamed_from = \"nickname\" }",
    );
    let printed = service.generate(&[]);
    assert!(
        printed.contains("rename field `people.nickname` to `alias`"),
        "{printed}"
    );
    service.build();
    service.serve(&[]).expect("serves with the rename");
    let now = service.all("people");
    assert_eq!(ids(&now), ids(&seen));
    let doe_doc = service.get(&format!("people/{doe}"));
    assert_eq!(doe_doc["alias"], json!("Johnny"), "{doe_doc}");
    assert!(doe_doc.get("nickname").is_none(), "{doe_doc}");
    seen = now;

    // Step 7: drop `age`, which needs the flag.
    service.stop();
    service.edit("age = { type = \"integer\" }\n", "");
    service.edit("indexes = { by_age = [\"-age\"] }\n", "");
    let refused = service.apigen(&["generate", "--out", &service.arg("crate")]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("field `age` is gone"),
        "{}",
        text(&refused.stderr)
    );
    service.generate(&["--allow-drop"]);
    service.build();
    service.serve(&[]).expect("serves without age");
    let now = service.all("people");
    assert_eq!(ids(&now), ids(&seen));
    for document in &now {
        assert!(document.get("age").is_none(), "{document}");
        assert!(document["lastname"].is_string());
    }
    let zoe_doc = service.get(&format!("people/{zoe}"));
    assert_eq!(zoe_doc["lastname"], json!("Zoë Ørsted"));
    let doe_doc = service.get(&format!("people/{doe}"));
    assert_eq!(doe_doc["born"], json!("Tue, 01 Feb 1955 10:00:00 GMT"));
    assert_eq!(
        service.get(&format!("notes/{note}"))["text"],
        json!("日本語のメモ")
    );
    service.stop();

    let applied = history(&service.db());
    assert_eq!(applied.len(), 7, "{applied:?}");
    assert!(!columns(&service.db(), "people").contains(&"age".to_string()));

    kill_9_during_a_migration_leaves_the_previous_version_or_the_next(&mut service);

    // A database the server does not match (edited by hand): refused, not 500s.
    let conn = Connection::open(service.db()).unwrap();
    conn.execute_batch("ALTER TABLE people ADD COLUMN hand_made TEXT NOT NULL DEFAULT 'x';")
        .unwrap();
    drop(conn);
    let refused = service
        .serve(&[])
        .expect_err("a hand-edited database is refused");
    assert!(refused.contains("\"hand_made\""), "{refused}");
    assert!(refused.contains("the server does not know"), "{refused}");
}

/// `kill -9` during a long migration leaves the database at the previous version or
/// the next, never between: run on copies of one database, killed at increasing
/// delays; then the migration runs to its end on the service's own database.
fn kill_9_during_a_migration_leaves_the_previous_version_or_the_next(service: &mut Service) {
    service.stop();
    let before: i64 = Connection::open(service.db())
        .unwrap()
        .query_row("SELECT count(*) FROM people", [], |row| row.get(0))
        .unwrap();
    // Many documents, written straight into the table, so the migration takes time.
    let rows = 200_000;
    {
        let mut conn = Connection::open(service.db()).unwrap();
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare("INSERT INTO people (_id, lastname, born, score, _created, _updated, _etag) VALUES (?1, ?2, -473385600, 1, 0, 0, 'old')")
                .unwrap();
            for n in 0..rows {
                insert
                    .execute(rusqlite::params![
                        format!("{n:024x}"),
                        format!("Person {n} ü")
                    ])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let rows = rows + before;
    service.edit(
        "score = { type = \"integer\", default = 0 }",
        "score = { type = \"integer\", default = 0 }\nlevel = { type = \"integer\", default = 5 }",
    );
    service.generate(&[]);
    service.build();
    let original = service.root.join("original.db");
    fs::copy(service.db(), &original).unwrap();
    // First unkilled, to learn how long it takes; then killed at fractions of that.
    let started = Instant::now();
    let copy = service.root.join("unkilled.db");
    fs::copy(&original, &copy).unwrap();
    let status = Command::new(service.binary())
        .args(["migrate", "--db"])
        .arg(&copy)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let took = started.elapsed();
    eprintln!("migrating {rows} documents took {took:?} (debug build)");
    let mut outcomes = Vec::new();
    for percent in [0_u32, 10, 30, 50, 70, 90, 99, 150] {
        let delay_ms = took.as_millis() as u64 * u64::from(percent) / 100;
        let copy = service.root.join(format!("killed-{percent}.db"));
        fs::copy(&original, &copy).unwrap();
        let mut child = Command::new(service.binary())
            .args(["migrate", "--db"])
            .arg(&copy)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let has_level = columns(&copy, "people").contains(&"level".to_string());
        let applied = history(&copy);
        let conn = Connection::open(&copy).unwrap();
        let count: i64 = conn
            .query_row("SELECT count(*) FROM people", [], |row| row.get(0))
            .unwrap();
        assert_eq!(count, rows, "no document lost (killed after {delay_ms} ms)");
        if has_level {
            assert_eq!(applied.len(), 8, "after {delay_ms} ms: {applied:?}");
            let (filled, retagged): (i64, i64) = conn
                .query_row(
                    "SELECT count(*) FILTER (WHERE level = 5), count(*) FILTER (WHERE _etag <> 'old') FROM people",
                    [],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .unwrap();
            assert_eq!(
                (filled, retagged),
                (rows, rows),
                "all or nothing ({delay_ms} ms)"
            );
            outcomes.push((percent, "next"));
        } else {
            assert_eq!(applied.len(), 7, "after {delay_ms} ms: {applied:?}");
            let old: i64 = conn
                .query_row(
                    "SELECT count(*) FROM people WHERE _etag = 'old'",
                    [],
                    |row| row.get(0),
                )
                .unwrap();
            assert_eq!(old, rows - before, "untouched ({delay_ms} ms)");
            outcomes.push((percent, "previous"));
        }
    }
    eprintln!("kill -9 outcomes by delay (% of the unkilled time): {outcomes:?}");
    assert!(
        outcomes.iter().any(|(_, outcome)| *outcome == "previous"),
        "no kill landed mid-migration: {outcomes:?}"
    );

    // Unkilled, the server applies it at start and serves the filled documents.
    let log = service.serve(&[]).expect("serves after the long migration");
    assert!(
        log.contains("applied migration 0008_people_add_level"),
        "{log}"
    );
    let page = service.get("people?where=%7B%22level%22%3A5%7D&max_results=1");
    assert_eq!(page["_meta"]["total"], json!(rows), "{page}");
    service.stop();
}
