//! The TypeScript clients end to end: the generated `library`, `crm`, `nolinks`,
//! `notes` and `tables` servers are started here, and the tests in `tests/clients/typescript/src/` (written
//! in TypeScript, compiled by tsc together with the generated clients, so type errors
//! fail the test, and run with `node --test`) talk to them through the generated
//! clients. The URLs, the live proxy's control URL and the credentials created here
//! reach node as environment variables.
//!
//! Needs `node` and `npm`: without them the test says "skipping: ..." and passes. The
//! pinned packages (`package-lock.json`) are installed by `install.sh` when missing.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apigen_runtime::rusqlite;
use serde_json::json;
use support::TestServer;
use support::proxy::DropProxy;

const API: &str = "/api/v1";

fn harness() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/typescript")
}

/// Whether `program --version` runs.
fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Runs `command`, failing the test with its output unless it succeeds.
fn run(what: &str, command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: cannot start: {error}"));
    if !output.status.success() {
        panic!(
            "{what} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}

fn db(server: &TestServer) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(server.dir().join("api.db")).expect("open the db");
    conn.busy_timeout(Duration::from_secs(5)).expect("timeout");
    conn
}

fn url(server: &TestServer) -> String {
    format!("http://{}", server.addr)
}

/// An HS256 JWT of the notes spec's `local` issuer for `sub`, a writer.
fn jwt(sub: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let claims = json!({
        "iss": "https://login.notes.test",
        "aud": "notes-api",
        "sub": sub,
        "roles": ["writer"],
        "iat": now,
        "exp": now + 3600,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(support::NOTES_JWT_SECRET.as_bytes())
            .expect("an HMAC key"),
    )
    .expect("sign a JWT")
}

#[test]
fn the_typescript_clients_work_end_to_end() {
    for program in ["node", "npm"] {
        if !available(program) {
            println!(
                "skipping: `{program}` is not on PATH (the TypeScript client tests need Node 18+ and npm)"
            );
            return;
        }
    }
    let dir = harness();
    run(
        "tests/clients/typescript/install.sh",
        Command::new("sh").arg(dir.join("install.sh")),
    );
    // No compiled test outlives its source.
    let _ = std::fs::remove_dir_all(dir.join("dist"));
    // Type checking is part of the test: the tests and the generated clients compile
    // together, and `src/types.test.ts` holds lines that must not compile.
    run(
        "tsc (the tests and the generated clients)",
        Command::new("node")
            .arg(dir.join("node_modules/typescript/bin/tsc"))
            .arg("-p")
            .arg(&dir),
    );

    let library = support::start_generated!(library_api, API);
    let crm = support::start_generated!(crm_api, API);
    let nolinks = support::start_generated!(nolinks_api, "");
    let proxy = DropProxy::start(library.addr);

    support::set_notes_env();
    let notes = support::start_generated!(notes_api, API);
    let _ = notes.get(&format!("{API}/announcements"));
    let conn = db(&notes);
    use notes_api::api::auth::store as notes_store;
    let notes_password = "the password of alice";
    let notes_secret = "the signing secret of alice";
    notes_store::add_user(
        &conn,
        "alice",
        notes_password,
        &["writer".to_string()],
        Some(notes_secret),
    )
    .expect("add alice");
    let notes_token = notes_store::create_token(&conn, "alice").expect("a token");
    let notes_key = notes_store::create_key(&conn, "monitoring", &[]).expect("an API key");

    let tables = support::start_generated!(tables_api, API);
    let _ = tables.get(&format!("{API}/rows"));
    let conn = db(&tables);
    use tables_api::api::auth::store as tables_store;
    let prefix = "the password of ";
    let cy_secret = "the signing secret of cy";
    for (name, role) in [
        ("ada", "loader"),
        ("bea", "loader"),
        ("cy", "loader"),
        ("root", "admin"),
    ] {
        let secret = (name == "cy").then_some(cy_secret);
        tables_store::add_user(
            &conn,
            name,
            &format!("{prefix}{name}"),
            &[role.to_string()],
            secret,
        )
        .expect("add a user");
    }

    let compiled = dir.join("dist/tests/clients/typescript/src");
    let mut tests: Vec<PathBuf> = std::fs::read_dir(&compiled)
        .expect("tsc wrote the tests")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".test.js"))
        .collect();
    tests.sort();
    assert!(tests.len() >= 5, "the compiled tests: {tests:?}");
    let output = run(
        "node --test (tests/clients/typescript/src/*.test.ts)",
        Command::new("node")
            .arg("--test")
            .arg("--test-reporter=spec")
            .args(&tests)
            .current_dir(&dir)
            .env("LIBRARY_URL", url(&library))
            .env("LIBRARY_PROXY_URL", format!("http://{}", proxy.addr))
            .env("LIBRARY_PROXY_CONTROL", proxy.control_url())
            .env("CRM_URL", url(&crm))
            .env("NOLINKS_URL", url(&nolinks))
            .env("NOTES_URL", url(&notes))
            .env("NOTES_USER", "alice")
            .env("NOTES_PASSWORD", notes_password)
            .env("NOTES_SECRET", notes_secret)
            .env("NOTES_TOKEN", &notes_token)
            .env("NOTES_API_KEY", &notes_key)
            .env("NOTES_JWT", jwt("jules"))
            .env("NOTES_JWT_USER", "jules")
            .env("TABLES_URL", url(&tables))
            .env("TABLES_PASSWORD_PREFIX", prefix)
            .env("TABLES_CY_SECRET", cy_secret),
    );
    println!("{}", String::from_utf8_lossy(&output.stdout));
    assert!(
        proxy.drops() >= 1,
        "the live test cut the proxy's connections"
    );
}
