//! What a user sees when a spec is wrong, pinned.
//!
//! Every `specs/invalid/*.toml` is broken in exactly one way (its name says how). Each
//! must fail to load with a diagnostic that has a `file:line:col`, the offending line
//! with the span underlined, and a `help:` line; the rendered text is pinned by an insta
//! snapshot named after the file (`tests/snapshots/spec_diagnostics__<name>.snap`).
//! The valid examples in `specs/*.toml` must load, and no input at all, however
//! broken, may make the parser or resolver panic.
//!
//! New snapshots: `INSTA_UPDATE=always cargo test --test spec_diagnostics`, then read
//! every new `.snap` before committing it. `tests/snapshots_referenced.rs` rejects a
//! snapshot whose spec is gone.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Paths in snapshots are relative to the package root, so they read the same on
/// every machine. Cargo runs integration tests there; make sure of it.
fn at_package_root() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("the package root exists");
}

/// The `.toml` files of `dir` (relative to the package root), sorted.
fn toml_files(dir: &str) -> Vec<PathBuf> {
    at_package_root();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {dir}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_invalid_spec_fails_with_a_located_error_and_a_hint() {
    let specs = toml_files("specs/invalid");
    assert!(
        specs.len() >= 20,
        "expected the invalid-spec corpus in specs/invalid, found {} files",
        specs.len()
    );
    for path in specs {
        let name = stem(&path);
        // `specs/invalid/<name>.toml`, with `/` on every platform.
        let shown = format!("specs/invalid/{name}.toml");
        let diagnostic = match apigen::load(Path::new(&shown)) {
            Err(apigen::Error::Spec(diagnostic)) => diagnostic,
            Err(other) => panic!("{shown}: expected a spec diagnostic, got: {other}"),
            Ok(_) => panic!("{shown} is in specs/invalid but loads without error"),
        };
        let location = diagnostic
            .location
            .as_ref()
            .unwrap_or_else(|| panic!("{shown}: the diagnostic has no line and column"));
        assert!(
            diagnostic.help.as_deref().is_some_and(|h| !h.is_empty()),
            "{shown}: the diagnostic has no help line"
        );
        let text = diagnostic.to_string();
        let place = format!("{shown}:{}:{}", location.line, location.column);
        assert!(text.contains(&place), "{shown}: no `{place}` in:\n{text}");
        assert!(
            text.contains("= help: "),
            "{shown}: no help line in:\n{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("| ") && l.contains('^')),
            "{shown}: no underline in:\n{text}"
        );
        insta::assert_snapshot!(name.as_str(), text);
    }
}

#[test]
fn every_example_spec_loads() {
    let specs = toml_files("specs");
    assert!(!specs.is_empty(), "no example specs in specs/");
    for path in specs {
        if let Err(error) = apigen::load(&path) {
            panic!("{} should load, but:\n{error}", path.display());
        }
    }
}

/// Parse and resolve `source`, rendering any diagnostic; a panic fails the test and
/// names the input.
fn survives(what: &str, source: &str) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if let Err(diagnostic) = apigen::model_from_str("garbage.toml", source) {
            let text = diagnostic.to_string();
            assert!(text.starts_with("error: "), "{text}");
        }
    }));
    if outcome.is_err() {
        panic!("apigen panicked on {what}: {source:?}");
    }
}

/// A small deterministic PRNG (xorshift64*): no dependency, same inputs every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn garbage_never_panics() {
    at_package_root();
    let people = std::fs::read_to_string("specs/people.toml").expect("specs/people.toml");

    // Every prefix of a real spec: each cut leaves a different half-written file.
    for end in (0..=people.len()).filter(|&i| people.is_char_boundary(i)) {
        survives(&format!("people.toml cut at byte {end}"), &people[..end]);
    }
    // Every single-byte deletion: a lost quote, bracket, `=` or newline anywhere.
    for i in (0..people.len()).filter(|&i| people.is_char_boundary(i)) {
        let mut text = people.clone();
        text.remove(i);
        survives(&format!("people.toml without byte {i}"), &text);
    }

    // Random bytes, read as text the way a mis-pointed path would be.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2000 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        survives("random bytes", &String::from_utf8_lossy(&bytes));
    }

    // Random TOML-shaped token soup: reaches the resolver far more often than bytes.
    const TOKENS: &[&str] = &[
        "[api]\n",
        "[resources.",
        "a",
        ".schema]\n",
        "]\n",
        "name = \"x\"\n",
        "version = \"1.0.0\"\n",
        " = ",
        "{ ",
        " }",
        "type = ",
        "\"string\"",
        "\"list\"",
        "\"dict\"",
        "\"integer\"",
        "\"datetime\"",
        "\"objectid\"",
        "schema = ",
        "items = ",
        "data_relation = ",
        "{ resource = \"a\" }",
        "default = ",
        "allowed = ",
        "[1, \"x\"]",
        "min = ",
        "max = ",
        "-1",
        "1e400",
        "9223372036854775807",
        "nan",
        "true",
        ", ",
        "\n",
        "regex = ",
        "\"(\"",
        "\"\\\\\"",
        "unique = true",
        "prefix = ",
        "\"\"",
        "url = ",
        "\"/\"",
        "resource_methods = ",
        "[\"get\"]",
        "é",
        "\u{0}",
        "\"\"\"",
        "'",
        "#",
        "1979-05-27T07:32:00Z",
        "pagination_limit = ",
        "indexes = ",
        "{ i = [\"-a\", \"a\"] }",
        "0",
        "_id",
        "r#type",
        "self",
    ];
    for _ in 0..3000 {
        let count = rng.below(60);
        let text: String = (0..count)
            .map(|_| TOKENS[rng.below(TOKENS.len())])
            .collect();
        survives("token soup", &text);
    }

    // Deep nesting, in every form TOML allows and in the spec's own recursive shapes.
    let depth = 200;
    let arrays = format!("a = {}{}\n", "[".repeat(depth), "]".repeat(depth));
    survives("deeply nested arrays", &arrays);
    let tables = format!("a = {}1{}\n", "{ a = ".repeat(depth), " }".repeat(depth));
    survives("deeply nested inline tables", &tables);
    let header = format!("[{}]\nb = 1\n", vec!["a"; depth].join("."));
    survives("a deeply dotted table header", &header);
    let spec_head = "[api]\nname = \"x\"\nversion = \"1.0.0\"\n[resources.a.schema]\n";
    let dicts = format!(
        "{spec_head}f = {}{{ type = \"string\" }}{}\n",
        "{ type = \"dict\", schema = { f = ".repeat(depth),
        " } }".repeat(depth)
    );
    survives("deeply nested dict schemas", &dicts);
    let lists = format!(
        "{spec_head}f = {}{{ type = \"string\" }}{}\n",
        "{ type = \"list\", items = ".repeat(depth),
        " }".repeat(depth)
    );
    survives("deeply nested list items", &lists);
}

#[test]
fn schemas_nested_too_deeply_are_rejected_with_a_diagnostic() {
    let spec_head = "[api]\nname = \"x\"\nversion = \"1.0.0\"\n[resources.a.schema]\n";
    let depth = 20;
    let dicts = format!(
        "{spec_head}f = {}{{ type = \"string\" }}{}\n",
        "{ type = \"dict\", schema = { f = ".repeat(depth),
        " } }".repeat(depth)
    );
    let error = apigen::model_from_str("deep.toml", &dicts).expect_err("dicts too deep");
    assert!(error.message.contains("nests too deeply"), "{error}");
    let lists = format!(
        "{spec_head}f = {}{{ type = \"string\" }}{}\n",
        "{ type = \"list\", items = ".repeat(depth),
        " }".repeat(depth)
    );
    let error = apigen::model_from_str("deep.toml", &lists).expect_err("lists too deep");
    assert!(error.message.contains("nests too deeply"), "{error}");
}
