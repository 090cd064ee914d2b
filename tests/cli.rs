//! The `apigen` binary as a user runs it: exit codes, messages, and what it does to
//! the files of a generated crate (never a user's file; an apigen file only when its
//! bytes change; a removed resource's module removed).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

/// Runs `apigen` from the package root, so `specs/...` paths resolve and are shown as
/// written.
fn apigen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apigen"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("apigen runs")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("apigen exited, not killed")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing everything apigen printed when it differs.
#[track_caller]
fn expect_code(output: &Output, expected: i32, what: &str) {
    assert_eq!(
        code(output),
        expected,
        "{what}: expected exit {expected}\n--- stdout\n{}\n--- stderr\n{}",
        stdout(output),
        stderr(output)
    );
}

/// A fresh directory under the system temp dir, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("apigen-cli-test-{}-{n}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create a scratch directory");
        Scratch(dir)
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }

    fn arg(&self, relative: &str) -> String {
        self.path(relative).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A copy of `specs/people.toml` in `scratch`, so a test may edit it.
fn people_spec(scratch: &Scratch) -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/people.toml");
    fs::copy(&source, scratch.path("people.toml")).expect("copy the spec");
    scratch.arg("people.toml")
}

/// `apigen new <spec> --out <scratch>/svc`, checked; returns the crate's directory.
fn new_crate(scratch: &Scratch, spec: &str) -> String {
    let out = scratch.arg("svc");
    let output = apigen(&["new", spec, "--out", &out]);
    expect_code(&output, 0, "apigen new");
    out
}

/// Every file below `dir`, relative, sorted.
fn files_below(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).expect("read a directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).expect("below the root");
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("a modification time")
}

/// Sets every file's mtime to a fixed time long past, so any rewrite shows, however
/// coarse the file system's clock.
fn age_files(dir: &Path) -> SystemTime {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for file in files_below(dir) {
        let handle = fs::File::options()
            .write(true)
            .open(dir.join(&file))
            .expect("open a file to age it");
        handle.set_modified(old).expect("set a file's mtime");
    }
    old
}

#[test]
fn check_accepts_a_valid_spec() {
    let output = apigen(&["check", "specs/people.toml"]);
    expect_code(&output, 0, "check on a valid spec");
    assert!(stdout(&output).contains("ok"), "{}", stdout(&output));
}

#[test]
fn check_reports_the_place_and_a_hint_with_exit_2() {
    let spec = "specs/invalid/unknown-field-key.toml";
    let output = apigen(&["check", spec]);
    expect_code(&output, 2, "check on an invalid spec");
    let err = stderr(&output);
    // `<path>:<line>:<col>`
    let located = err.match_indices(&format!("{spec}:")).any(|(at, prefix)| {
        let rest = &err[at + prefix.len()..];
        let mut parts = rest.splitn(3, |c: char| !c.is_ascii_digit());
        let line = parts.next().unwrap_or("");
        let column = parts.next().unwrap_or("");
        !line.is_empty() && !column.is_empty() && rest[line.len()..].starts_with(':')
    });
    assert!(located, "no `{spec}:LINE:COL` in:\n{err}");
    assert!(
        err.contains("help: did you mean"),
        "no did-you-mean in:\n{err}"
    );
    assert!(stdout(&output).is_empty(), "errors go to stderr only");
}

#[test]
fn check_of_a_missing_file_is_an_error() {
    let output = apigen(&["check", "specs/no-such-spec.toml"]);
    expect_code(&output, 2, "check on a missing file");
    assert!(stderr(&output).contains("cannot read the spec"));
}

#[test]
fn openapi_prints_an_openapi_3_1_document() {
    let output = apigen(&["openapi", "specs/people.toml"]);
    expect_code(&output, 0, "openapi");
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().expect("a `paths` object");
    let has = |suffix: &str| paths.keys().any(|p| p.ends_with(suffix));
    assert!(has("/people"), "no /people path in {:?}", paths.keys());
    assert!(
        has("/people/{id}"),
        "no /people/{{id}} path in {:?}",
        paths.keys()
    );
}

#[test]
fn new_creates_a_crate() {
    let scratch = Scratch::new("new");
    let out = new_crate(&scratch, "specs/people.toml");
    let files = files_below(Path::new(&out));
    for expected in [
        "Cargo.toml",
        "apigen.json",
        "src/hooks.rs",
        "src/lib.rs",
        "src/api/mod.rs",
        "src/api/resources/people.rs",
        "src/api/resources/invoices.rs",
        "src/api/resources/works.rs",
    ] {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} missing from {files:?}"
        );
    }
    // The manifest lists exactly what apigen made, and marks hooks.rs (and, as the spec
    // names a `validator`, validators.rs) as the user's.
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(scratch.path("svc/apigen.json")).unwrap())
            .expect("apigen.json is JSON");
    assert_eq!(
        manifest["user_files"],
        serde_json::json!(["src/hooks.rs", "src/validators.rs"])
    );
}

#[test]
fn new_refuses_a_non_empty_directory_that_is_not_an_apigen_crate() {
    let scratch = Scratch::new("new-foreign");
    fs::create_dir_all(scratch.path("svc/src")).unwrap();
    fs::write(
        scratch.path("svc/Cargo.toml"),
        "[package]\nname = \"mine\"\n",
    )
    .unwrap();
    fs::write(scratch.path("svc/src/main.rs"), "fn main() {}\n").unwrap();
    let before = files_below(&scratch.path("svc"));

    let output = apigen(&["new", "specs/people.toml", "--out", &scratch.arg("svc")]);
    expect_code(&output, 2, "new into a foreign directory");
    let err = stderr(&output);
    assert!(
        err.contains("not empty") && err.contains("apigen.json"),
        "the refusal should say why: {err}"
    );
    assert_eq!(files_below(&scratch.path("svc")), before, "no file written");
    assert_eq!(
        fs::read_to_string(scratch.path("svc/Cargo.toml")).unwrap(),
        "[package]\nname = \"mine\"\n",
        "the user's Cargo.toml is untouched"
    );
}

#[test]
fn generate_keeps_a_crate_in_step_with_its_spec() {
    let scratch = Scratch::new("generate");
    let spec = people_spec(&scratch);
    let out = new_crate(&scratch, &spec);
    let dir = PathBuf::from(&out);

    // No SPEC: found through apigen.json. Nothing to do right after `new`.
    let output = apigen(&["generate", "--out", &out]);
    expect_code(&output, 0, "generate right after new");
    assert!(
        stdout(&output).contains("up to date"),
        "{}",
        stdout(&output)
    );
    let output = apigen(&["generate", "--check", "--out", &out]);
    expect_code(&output, 0, "check right after new");

    // One byte of a generated file changed: stale, and that file is named.
    let router = dir.join("src/api/router.rs");
    let original = fs::read(&router).unwrap();
    let mut edited = original.clone();
    let last = edited.len() - 1;
    edited[last] = if edited[last] == b' ' { b'\t' } else { b' ' };
    fs::write(&router, &edited).unwrap();
    let output = apigen(&["generate", "--check", "--out", &out]);
    expect_code(&output, 1, "check after editing a generated file");
    let listed = stdout(&output);
    assert!(
        listed.contains("router.rs"),
        "the stale file is listed: {listed}"
    );
    assert_eq!(
        listed.lines().filter(|l| l.contains("update")).count(),
        1,
        "only that file is stale: {listed}"
    );
    assert_eq!(fs::read(&router).unwrap(), edited, "--check writes nothing");

    // `generate` restores it; then the crate is up to date again.
    let output = apigen(&["generate", "--out", &out]);
    expect_code(&output, 0, "generate after editing a generated file");
    assert_eq!(fs::read(&router).unwrap(), original, "the file is restored");
    let output = apigen(&["generate", "--check", "--out", &out]);
    expect_code(&output, 0, "check after restoring");

    // The user's file: edits survive `generate` and are not staleness.
    let hooks = dir.join("src/hooks.rs");
    let mut mine = fs::read_to_string(&hooks).unwrap();
    mine.push_str("\n// my own code\n");
    fs::write(&hooks, &mine).unwrap();
    let output = apigen(&["generate", "--check", "--out", &out]);
    expect_code(&output, 0, "check after editing the user's file");
    let output = apigen(&["generate", "--out", &out]);
    expect_code(&output, 0, "generate after editing the user's file");
    assert_eq!(
        fs::read_to_string(&hooks).unwrap(),
        mine,
        "the edit survives"
    );

    // A deleted user file is not staleness either; `generate` creates it again.
    fs::remove_file(&hooks).unwrap();
    let output = apigen(&["generate", "--check", "--out", &out]);
    expect_code(&output, 0, "check with the user's file deleted");
    let output = apigen(&["generate", "--out", &out]);
    expect_code(&output, 0, "generate with the user's file deleted");
    assert!(hooks.is_file(), "src/hooks.rs is created again");
    let output = apigen(&["generate", "--check", "--out", &out]);
    expect_code(&output, 0, "check at the end");
}

#[test]
fn generate_writes_a_file_only_when_its_bytes_change() {
    let scratch = Scratch::new("mtime");
    let spec = people_spec(&scratch);
    let out = new_crate(&scratch, &spec);
    let dir = PathBuf::from(&out);

    let old = age_files(&dir);
    let output = apigen(&["generate", "--out", &out]);
    expect_code(&output, 0, "generate with nothing to change");
    for file in files_below(&dir) {
        assert_eq!(mtime(&dir.join(&file)), old, "{file} was rewritten");
    }

    // Change one generated file: only that one is written.
    let lib = dir.join("src/lib.rs");
    let mut text = fs::read_to_string(&lib).unwrap();
    text.push('\n');
    fs::write(&lib, text).unwrap();
    let old = age_files(&dir);
    let output = apigen(&["generate", "--out", &out]);
    expect_code(&output, 0, "generate with one file to restore");
    for file in files_below(&dir) {
        let rewritten = mtime(&dir.join(&file)) != old;
        assert_eq!(rewritten, file == "src/lib.rs", "{file}");
    }
}

#[test]
fn removing_a_resource_removes_its_module() {
    let scratch = Scratch::new("remove");
    let spec = people_spec(&scratch);
    let out = new_crate(&scratch, &spec);
    let works = scratch.path("svc/src/api/resources/works.rs");
    assert!(works.is_file());

    // `[resources.works]` and its schema are the spec's last tables.
    let text = fs::read_to_string(&spec).unwrap();
    let cut = text
        .find("[resources.works]")
        .expect("people.toml declares works");
    fs::write(&spec, &text[..cut]).unwrap();

    // Dropping a table drops its documents: only when asked, and nothing is written
    // until then.
    let before = age_files(&scratch.path("svc"));
    for args in [
        &["generate", "--out", &out][..],
        &["generate", "--check", "--out", &out][..],
    ] {
        let output = apigen(args);
        expect_code(
            &output,
            2,
            "generate after removing a resource, no --allow-drop",
        );
        let message = stderr(&output);
        assert!(message.contains("resource `works` is gone"), "{message}");
        assert!(message.contains("--allow-drop"), "{message}");
        assert!(message.contains("renamed_from = \"works\""), "{message}");
    }
    assert!(works.is_file());
    for file in files_below(&scratch.path("svc")) {
        assert_eq!(
            mtime(&scratch.path("svc").join(&file)),
            before,
            "{file} was written"
        );
    }

    let output = apigen(&["generate", "--check", "--allow-drop", "--out", &out]);
    expect_code(&output, 1, "check after removing a resource");
    assert!(stdout(&output).contains("works.rs"), "{}", stdout(&output));

    let output = apigen(&["generate", "--allow-drop", "--out", &out]);
    expect_code(&output, 0, "generate after removing a resource");
    assert!(!works.exists(), "works.rs is removed");
    assert!(stdout(&output).contains("remove"), "{}", stdout(&output));
    let migration = fs::read_to_string(scratch.path("svc/migrations/0001_drop_works.sql"))
        .expect("a migration drops the table");
    assert!(migration.contains("DROP TABLE \"works\";"), "{migration}");
    let manifest = fs::read_to_string(scratch.path("svc/apigen.json")).unwrap();
    assert!(!manifest.contains("works.rs"), "{manifest}");
    assert!(
        !manifest.contains("\"works\": {"),
        "no table `works`: {manifest}"
    );
    assert!(manifest.contains("\"0001_drop_works\""), "{manifest}");
    let mods = fs::read_to_string(scratch.path("svc/src/api/resources/mod.rs")).unwrap();
    assert!(!mods.contains("works"), "{mods}");
    assert!(scratch.path("svc/src/api/resources/people.rs").is_file());

    let output = apigen(&["generate", "--check", "--out", &out]);
    expect_code(&output, 0, "check after regenerating");
}

#[test]
fn generate_check_outside_an_apigen_crate_is_an_error_not_staleness() {
    let scratch = Scratch::new("not-a-crate");
    fs::write(scratch.path("README.md"), "not a crate\n").unwrap();
    let output = apigen(&["generate", "--check", "--out", &scratch.arg("")]);
    expect_code(&output, 2, "generate --check in a foreign directory");
    assert!(
        stderr(&output).contains("not an apigen crate"),
        "{}",
        stderr(&output)
    );
    // Nor may it write there without --check.
    let output = apigen(&["generate", "--out", &scratch.arg("")]);
    expect_code(&output, 2, "generate in a foreign directory");
    assert_eq!(files_below(&scratch.0), ["README.md"]);

    let output = apigen(&["generate", "--check", "--out", &scratch.arg("missing")]);
    expect_code(&output, 2, "generate --check on a missing directory");
}

/// `generate SPEC --out DIR` into a non-empty directory that is not an apigen crate
/// should refuse like `new` does. It does not yet: it overwrites the directory's
/// `Cargo.toml` and `src/lib.rs`/`src/main.rs` with apigen's.
#[test]
fn generate_with_a_spec_refuses_a_foreign_directory() {
    let scratch = Scratch::new("generate-foreign");
    fs::create_dir_all(scratch.path("svc/src")).unwrap();
    fs::write(
        scratch.path("svc/Cargo.toml"),
        "[package]\nname = \"mine\"\n",
    )
    .unwrap();
    fs::write(scratch.path("svc/src/main.rs"), "fn main() {}\n").unwrap();
    let before = files_below(&scratch.path("svc"));
    let output = apigen(&[
        "generate",
        "specs/people.toml",
        "--out",
        &scratch.arg("svc"),
    ]);
    expect_code(&output, 2, "generate SPEC into a foreign directory");
    assert_eq!(files_below(&scratch.path("svc")), before, "no file written");
    assert_eq!(
        fs::read_to_string(scratch.path("svc/Cargo.toml")).unwrap(),
        "[package]\nname = \"mine\"\n"
    );
}

#[test]
fn every_subcommand_help_shows_an_example() {
    for command in ["new", "generate", "runtime", "check", "openapi", "dev"] {
        let output = apigen(&[command, "--help"]);
        expect_code(&output, 0, &format!("{command} --help"));
        let help = stdout(&output);
        assert!(
            help.contains("Example"),
            "`apigen {command} --help`:\n{help}"
        );
        assert!(help.contains(&format!("apigen {command}")), "{help}");
    }
}

#[test]
fn top_level_help_shows_an_example() {
    let output = apigen(&["--help"]);
    expect_code(&output, 0, "--help");
    let help = stdout(&output);
    assert!(help.contains("Example"), "`apigen --help`:\n{help}");
}

#[test]
fn top_level_help_lists_the_commands_and_exit_codes() {
    let output = apigen(&["--help"]);
    expect_code(&output, 0, "--help");
    let help = stdout(&output);
    for command in ["new", "generate", "runtime", "check", "openapi", "dev"] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
    assert!(help.contains("Exit codes"), "{help}");
}

#[test]
fn new_vendors_the_runtime_and_check_catches_an_edit_to_it() {
    let scratch = Scratch::new("vendored");
    let out = new_crate(&scratch, "specs/people.toml");
    let dir = PathBuf::from(&out);
    let files = files_below(&dir);
    for expected in [
        "apigen-runtime/Cargo.toml",
        "apigen-runtime/src/lib.rs",
        "apigen-runtime/src/handlers.rs",
    ] {
        assert!(files.iter().any(|f| f == expected), "{expected} missing");
    }
    // The service depends on its own copy, by path: it builds alone and offline.
    let cargo_toml = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(
        cargo_toml
            .contains("apigen-runtime = { path = \"apigen-runtime\", features = [\"import\"] }"),
        "{cargo_toml}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("apigen.json")).unwrap()).unwrap();
    assert_eq!(manifest["runtime"], "vendored");
    assert!(
        manifest["files"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("apigen-runtime/src/query.rs")),
        "the vendored files are apigen's: {manifest}"
    );
    let vendored = dir.join("apigen-runtime/src/query.rs");
    assert!(
        fs::read_to_string(&vendored)
            .unwrap()
            .starts_with("// @generated by apigen"),
        "a vendored file says it is apigen's"
    );

    expect_code(
        &apigen(&["generate", "--check", "--out", &out]),
        0,
        "a fresh vendored crate",
    );
    let mut text = fs::read_to_string(&vendored).unwrap();
    text.push_str("// a local patch\n");
    fs::write(&vendored, text).unwrap();
    let output = apigen(&["generate", "--check", "--out", &out]);
    expect_code(&output, 1, "an edited vendored runtime file is stale");
    assert!(
        stdout(&output).contains("apigen-runtime/src/query.rs"),
        "{}",
        stdout(&output)
    );
    expect_code(
        &apigen(&["generate", "--out", &out]),
        0,
        "generate restores it",
    );
    expect_code(
        &apigen(&["generate", "--check", "--out", &out]),
        0,
        "restored",
    );
}

#[test]
fn a_shared_runtime_is_written_once_and_named_by_path() {
    let scratch = Scratch::new("shared");
    let runtime = scratch.arg("apigen-runtime");
    expect_code(
        &apigen(&["runtime", "--out", &runtime]),
        0,
        "apigen runtime",
    );
    assert!(scratch.path("apigen-runtime/src/lib.rs").exists());
    expect_code(
        &apigen(&["runtime", "--check", "--out", &runtime]),
        0,
        "a fresh shared runtime",
    );

    let out = scratch.arg("svc");
    let output = apigen(&[
        "new",
        "specs/people.toml",
        "--out",
        &out,
        "--runtime-path",
        "../apigen-runtime",
    ]);
    expect_code(&output, 0, "new with a shared runtime");
    assert!(
        !scratch.path("svc/apigen-runtime").exists(),
        "nothing vendored"
    );
    let cargo_toml = fs::read_to_string(scratch.path("svc/Cargo.toml")).unwrap();
    assert!(
        cargo_toml
            .contains("apigen-runtime = { path = \"../apigen-runtime\", features = [\"import\"] }"),
        "{cargo_toml}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(scratch.path("svc/apigen.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["runtime"],
        serde_json::json!({"path": "../apigen-runtime"})
    );
    // Regenerating keeps the recorded choice without the flag.
    expect_code(
        &apigen(&["generate", "--check", "--out", &out]),
        0,
        "the recorded runtime is kept",
    );

    // A published version is named by version; switching vendors nothing.
    let output = apigen(&["generate", "--out", &out, "--runtime-version", "0.1"]);
    expect_code(&output, 0, "switch to a published runtime");
    let cargo_toml = fs::read_to_string(scratch.path("svc/Cargo.toml")).unwrap();
    assert!(
        cargo_toml.contains("apigen-runtime = { version = \"0.1\", features = [\"import\"] }"),
        "{cargo_toml}"
    );
    // And back to vendoring writes the copy.
    let output = apigen(&["generate", "--out", &out, "--vendor-runtime"]);
    expect_code(&output, 0, "switch to a vendored runtime");
    assert!(scratch.path("svc/apigen-runtime/src/lib.rs").exists());

    let shared_file = scratch.path("apigen-runtime/src/lib.rs");
    fs::write(&shared_file, "// edited\n").unwrap();
    expect_code(
        &apigen(&["runtime", "--check", "--out", &runtime]),
        1,
        "an edited shared runtime is stale",
    );
}
