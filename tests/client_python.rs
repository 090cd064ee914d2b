//! The generated Python clients, end to end: generated servers (library, notes, tables)
//! started here, and the Python tests of `tests/clients/python/` run against them in
//! a venv of pinned packages (`tests/clients/python/install.sh`): first
//! `mypy --strict` over the generated packages and the tests, then pytest. Their
//! output is shown when they fail. Without `python3` on the machine the test says
//! "skipping: ..." and passes.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use apigen_runtime::rusqlite;
use support::TestServer;

const API: &str = "/api/v1";

/// The examples whose Python clients the tests use.
const CLIENTS: [&str; 4] = ["library", "notes", "tables", "crm"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's python, installed from the lock file when missing.
fn python() -> Option<PathBuf> {
    if Command::new("python3").arg("--version").output().is_err() {
        println!("skipping: python3 is not on this machine");
        return None;
    }
    let script = root().join("tests/clients/python/install.sh");
    let output = Command::new("sh")
        .arg(&script)
        .output()
        .expect("run tests/clients/python/install.sh");
    assert!(
        output.status.success(),
        "install.sh failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let path = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Some(PathBuf::from(path))
}

fn db(server: &TestServer) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(server.dir().join("api.db")).expect("open the db");
    conn.busy_timeout(Duration::from_secs(5)).expect("timeout");
    conn
}

fn url(server: &TestServer) -> String {
    format!("http://{}", server.addr)
}

/// A notes server with alice and bob (writers), each with a password and a signing
/// secret; a token for alice and an API key.
fn notes(env: &mut Vec<(String, String)>) -> TestServer {
    use notes_api::api::auth::store;
    support::set_notes_env();
    let server = support::start_generated!(notes_api, API);
    let _ = server.get(&format!("{API}/announcements"));
    let conn = db(&server);
    for name in ["alice", "bob"] {
        store::add_user(
            &conn,
            name,
            &format!("password of {name}"),
            &["writer".to_string()],
            Some(&format!("secret of {name}")),
        )
        .expect("add user");
    }
    let token = store::create_token(&conn, "alice").expect("a token");
    let key = store::create_key(&conn, "monitoring", &[]).expect("a key");
    env.push(("APIGEN_NOTES_URL".into(), url(&server)));
    env.push(("APIGEN_NOTES_TOKEN".into(), token));
    env.push(("APIGEN_NOTES_KEY".into(), key));
    env.push((
        "APIGEN_NOTES_JWT_SECRET".into(),
        support::NOTES_JWT_SECRET.into(),
    ));
    server
}

/// A tables server with loaders ada, bea, cy and dee (passwords and signing
/// secrets) and an admin, root.
fn tables(env: &mut Vec<(String, String)>) -> TestServer {
    use tables_api::api::auth::store;
    let server = support::start_generated!(tables_api, API);
    let _ = server.get(&format!("{API}/rows"));
    let conn = db(&server);
    for (name, role) in [
        ("ada", "loader"),
        ("bea", "loader"),
        ("cy", "loader"),
        ("dee", "loader"),
        ("root", "admin"),
    ] {
        store::add_user(
            &conn,
            name,
            &format!("password of {name}"),
            &[role.to_string()],
            Some(&format!("secret of {name}")),
        )
        .expect("add user");
    }
    env.push(("APIGEN_TABLES_URL".into(), url(&server)));
    server
}

/// Run `python -m <args>` in the repository with the clients on the path; its output
/// when it fails.
fn run(python: &Path, args: &[&str], env: &[(String, String)]) {
    let packages: Vec<String> = CLIENTS
        .iter()
        .map(|name| {
            root()
                .join(format!("generated-example/{name}/clients/python/src"))
                .display()
                .to_string()
        })
        .collect();
    let path = packages.join(":");
    let output = Command::new(python)
        .arg("-m")
        .args(args)
        .current_dir(root())
        .env("PYTHONPATH", &path)
        .env("MYPYPATH", &path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("run python");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("python -m {}:\n{text}", args.join(" "));
    assert!(
        output.status.success(),
        "python -m {} failed:\n{text}",
        args.join(" ")
    );
}

#[test]
fn the_python_client_passes_mypy_strict_and_its_tests_against_generated_servers() {
    let Some(python) = python() else {
        return;
    };
    // Every Python test runs here: a missing URL fails instead of skipping.
    let mut env = vec![(
        "APIGEN_CLIENT_TESTS_REQUIRE_ALL".to_string(),
        "1".to_string(),
    )];
    let library = support::start_generated!(library_api, API);
    env.push(("APIGEN_LIBRARY_URL".into(), url(&library)));
    // Live subscriptions go through a proxy the tests cut (as a server restart would).
    let proxy = support::proxy::DropProxy::start(library.addr);
    env.push((
        "APIGEN_LIBRARY_PROXY_URL".into(),
        format!("http://{}", proxy.addr),
    ));
    env.push(("APIGEN_PROXY_CONTROL_URL".into(), proxy.control_url()));
    let notes = notes(&mut env);
    // The notes' live WebSocket (HMAC and signed auth, signed anew on each opening)
    // through a proxy of its own.
    let notes_proxy = support::proxy::DropProxy::start(notes.addr);
    env.push((
        "APIGEN_NOTES_PROXY_URL".into(),
        format!("http://{}", notes_proxy.addr),
    ));
    env.push((
        "APIGEN_NOTES_PROXY_CONTROL_URL".into(),
        notes_proxy.control_url(),
    ));
    let _tables = tables(&mut env);
    let crm = support::start_generated!(crm_api, API);
    env.push(("APIGEN_CRM_URL".into(), url(&crm)));
    let cache = std::env::temp_dir().join(format!("apigen-mypy-{}", std::process::id()));
    let cache = cache.display().to_string();
    let packages: Vec<String> = CLIENTS
        .iter()
        .map(|name| format!("generated-example/{name}/clients/python/src/{name}_client"))
        .collect();
    let mut mypy = vec!["mypy", "--strict", "--cache-dir", &cache];
    mypy.extend(packages.iter().map(String::as_str));
    mypy.push("tests/clients/python");
    run(&python, &mypy, &env);
    let _ = std::fs::remove_dir_all(&cache);
    run(
        &python,
        &[
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            "tests/clients/python",
            "tests/clients/python",
        ],
        &env,
    );
}
