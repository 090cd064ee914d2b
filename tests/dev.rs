//! `apigen dev` as a user runs it: it serves the spec's API, follows each save of the
//! spec with a new server on the same database, and keeps the last good server when
//! a save breaks the spec.

mod support;

use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Conn, Response};

/// The first build compiles the server's dependencies (SQLite among them): minutes
/// on a small machine. Later builds reuse them.
const FIRST_BUILD: Duration = Duration::from_secs(900);
/// A rebuild compiles the generated crate and its vendored runtime again.
const REBUILD: Duration = Duration::from_secs(600);
/// Seeing a saved bad spec takes the debounce and a parse.
const SPEC_ERROR: Duration = Duration::from_secs(60);

const SPEC: &str = r#"[api]
name = "devwatch"
version = "1.0.0"
title = "Dev watch"

[resources.notes]
resource_methods = ["GET", "POST"]
item_methods = ["GET", "PATCH", "DELETE"]

[resources.notes.schema]
title = { type = "string", required = true }
"#;

/// `SPEC` with one more resource: a new table, so the old database still fits.
const SPEC_WITH_TAGS: &str = r#"
[resources.tags]
resource_methods = ["GET", "POST"]

[resources.tags.schema]
label = { type = "string", maxlength = 20 }
"#;

/// A fresh directory under the system temp dir, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        // A fixed place, so the vendored runtime is not compiled again on every run.
        let dir = support::generated_crate_dir(&format!("dev-{name}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create a scratch directory");
        Scratch(dir)
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `apigen dev` in a process group of its own, killed with all it started (cargo,
/// the server) when the test ends, pass or fail.
struct Dev {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Dev {
    fn start(spec: &Path, addr: &str, dir: &Path) -> Dev {
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/generated-crates");
        let mut child = Command::new(env!("CARGO_BIN_EXE_apigen"))
            .arg("dev")
            .arg(spec)
            .args(["--addr", addr, "--dir"])
            .arg(dir)
            // Shared with other runs: only the first builds the server's dependencies.
            .env("CARGO_TARGET_DIR", target)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("apigen dev starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("a stderr pipe");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buffer[..n]);
                sink.lock().unwrap().push_str(&text);
            }
        });
        Dev { child, stderr }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Fails the test, with everything dev printed, if dev has exited.
    fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().expect("poll apigen dev") {
            // Let the reader thread take the last of the pipe.
            std::thread::sleep(Duration::from_millis(200));
            panic!("apigen dev exited ({status}):\n{}", self.stderr());
        }
    }

    /// Waits until `ready` holds, failing with dev's output after `timeout`.
    fn wait_for(&mut self, what: &str, timeout: Duration, mut ready: impl FnMut(&Dev) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            if ready(self) {
                return;
            }
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for {what}; apigen dev printed:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- apigen dev printed:\n{}", self.stderr());
        }
    }
}

fn free_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address").to_string()
}

/// One request on a fresh connection; `None` while nothing answers.
fn request(addr: &str, method: &str, path: &str, body: Option<&Value>) -> Option<Response> {
    let stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let body = body.map(|b| b.to_string());
    let headers: &[(&str, &str)] = if body.is_some() {
        &[("Content-Type", "application/json")]
    } else {
        &[]
    };
    let mut conn = Conn::new(stream);
    conn.write_request(
        method,
        path,
        headers,
        body.as_deref().map(str::as_bytes),
        false,
    )
    .ok()?;
    conn.read(false).ok()
}

fn status(addr: &str, path: &str) -> Option<u16> {
    request(addr, "GET", path, None).map(|response| response.status)
}

/// Saves the way editors do: a temp file renamed over the spec.
fn save(spec: &Path, text: &str) {
    let temp = spec.with_extension("toml.tmp");
    fs::write(&temp, text).expect("write the new spec");
    fs::rename(&temp, spec).expect("rename it over the spec");
}

#[test]
fn dev_follows_the_spec_and_keeps_the_last_good_server() {
    let scratch = Scratch::new("watch");
    let spec = scratch.path("spec.toml");
    fs::write(&spec, SPEC).expect("write the spec");
    let addr = free_address();
    let mut dev = Dev::start(&spec, &addr, &scratch.path("crate"));

    dev.wait_for("the first server", FIRST_BUILD, |_| {
        status(&addr, "/api/v1/") == Some(200)
    });
    let created = request(
        &addr,
        "POST",
        "/api/v1/notes",
        Some(&json!({"title": "kept across restarts"})),
    )
    .expect("the server answers the POST");
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["_id"].clone();

    save(&spec, &format!("{SPEC}{SPEC_WITH_TAGS}"));
    dev.wait_for("the new resource", REBUILD, |_| {
        status(&addr, "/api/v1/tags") == Some(200)
    });
    let notes = request(&addr, "GET", "/api/v1/notes", None).expect("the new server answers");
    assert_eq!(notes.status, 200, "{}", notes.text());
    let items = notes.json()["_items"].clone();
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");
    assert_eq!(items[0]["_id"], id);
    assert_eq!(items[0]["title"], "kept across restarts");
    let stderr = dev.stderr();
    assert!(stderr.contains("changed; regenerating"), "{stderr}");

    // A new field with a default: the migration fills it in the stored document, and
    // the next request sees it.
    let with_body = SPEC.replace(
        "title = { type = \"string\", required = true }",
        "title = { type = \"string\", required = true }\nbody = { type = \"string\", default = \"(none)\" }",
    );
    save(&spec, &format!("{with_body}{SPEC_WITH_TAGS}"));
    let item = format!("/api/v1/notes/{}", id.as_str().expect("an objectid"));
    dev.wait_for("the new field", REBUILD, |_| {
        request(&addr, "GET", &item, None)
            .is_some_and(|r| r.status == 200 && r.json().get("body").is_some())
    });
    let note = request(&addr, "GET", &item, None)
        .expect("the new server answers")
        .json();
    assert_eq!(note["title"], "kept across restarts", "{note}");
    assert_eq!(note["body"], "(none)", "{note}");
    let stderr = dev.stderr();
    assert!(
        stderr.contains("applied migration 0002_notes_add_body"),
        "{stderr}"
    );

    // An unknown key at line 8, column 1.
    let broken = SPEC.replace(
        "item_methods = [",
        "resource_mthods = [\"GET\"]\nitem_methods = [",
    );
    assert_eq!(broken.lines().nth(7), Some("resource_mthods = [\"GET\"]"));
    save(&spec, &format!("{}{SPEC_WITH_TAGS}", broken.replace(
        "title = { type = \"string\", required = true }",
        "title = { type = \"string\", required = true }\nbody = { type = \"string\", default = \"(none)\" }",
    )));
    let place = format!("{}:8:1", spec.display());
    dev.wait_for("the spec error", SPEC_ERROR, |dev| {
        dev.stderr().contains("still serving the last good version")
    });
    let stderr = dev.stderr();
    assert!(stderr.contains(&place), "no `{place}` in:\n{stderr}");
    assert!(stderr.contains("resource_mthods"), "{stderr}");
    assert_eq!(status(&addr, "/api/v1/tags"), Some(200), "{stderr}");
    assert_eq!(status(&addr, "/api/v1/notes"), Some(200), "{stderr}");
    dev.assert_running();
}
