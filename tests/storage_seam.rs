//! One storage seam: SQL text is made in the runtime's dialect module
//! (`templates/runtime/src/sqlite/`) and nowhere else.
//!
//! The generator describes tables (`generator/model/storage.rs`) and checks datasource
//! filters with the runtime's parser; the runtime's handlers reach the database through
//! `store::Read` and `store::Write`; the templates emit typed tables. None of them holds
//! a string literal of SQL. This test reads every Rust source of the generator, the
//! runtime and the templates, and fails on a string literal that looks like SQL outside
//! the dialect module.

use std::path::{Path, PathBuf};

/// What SQL text looks like (as it is written here: keywords in capitals).
const SQL: &[&str] = &[
    "SELECT ",
    "INSERT INTO",
    "CREATE TABLE",
    "CREATE INDEX",
    "CREATE UNIQUE INDEX",
    "DELETE FROM",
    "UPDATE ",
    " WHERE ",
    "WHERE \"",
    "ORDER BY",
    " LIMIT ",
    "PRIMARY KEY",
    "json_extract(",
    "json_each(",
    "PRAGMA",
];

/// The dialect: the one place SQL text is made.
const DIALECT: &str = "templates/runtime/src/sqlite";

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The string literals of Rust source (plain, byte and raw), comments skipped.
fn string_literals(source: &str) -> Vec<String> {
    let bytes = source.as_bytes();
    let mut literals = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            // A char literal (`'"'`) is not a string; a lifetime (`'a`) has no closing quote.
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 3,
            b'\'' if bytes.get(i + 1) == Some(&b'\\') => {
                i += 2;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
                i += 1;
            }
            b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) =>
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while bytes.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if bytes.get(j) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let start = j + 1;
                let end = source[start..]
                    .find(&close)
                    .map_or(source.len(), |k| start + k);
                literals.push(source[start..end].to_string());
                i = end + close.len();
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                literals.push(source[start..j.min(bytes.len())].to_string());
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    literals
}

fn sql_in(path: &Path) -> Vec<String> {
    let source = std::fs::read_to_string(path).expect("a readable source file");
    string_literals(&source)
        .into_iter()
        .filter(|literal| SQL.iter().any(|keyword| literal.contains(keyword)))
        .collect()
}

#[test]
fn sql_text_is_made_only_in_the_dialect_module() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("the package root exists");
    let mut files = Vec::new();
    for dir in ["generator", "templates/runtime/src", "templates/crate"] {
        rust_files(Path::new(dir), &mut files);
    }
    files.push(PathBuf::from("build.rs"));
    let (dialect, rest): (Vec<PathBuf>, Vec<PathBuf>) = files
        .into_iter()
        .partition(|path| path.starts_with(DIALECT));
    let outside: Vec<String> = rest
        .iter()
        .flat_map(|path| {
            sql_in(path)
                .into_iter()
                .map(move |literal| format!("{}: {literal:?}", path.display()))
        })
        .collect();
    assert!(
        outside.is_empty(),
        "SQL text outside {DIALECT}/ (make it there, from the schema or the query AST):\n{}",
        outside.join("\n")
    );
    // The scanner sees SQL where it is: the dialect makes tables and statements.
    let made: Vec<String> = dialect.iter().flat_map(|path| sql_in(path)).collect();
    for keyword in [
        "CREATE TABLE",
        "INSERT INTO",
        "DELETE FROM",
        " WHERE ",
        "ORDER BY",
    ] {
        assert!(
            made.iter().any(|literal| literal.contains(keyword)),
            "no `{keyword}` found in {DIALECT}/: the scanner is broken"
        );
    }
}

#[test]
fn the_scanner_reads_literals_and_skips_comments() {
    let source = r####"
        // "SELECT in a comment"
        let a = "plain \" SELECT x";
        let b = r#"raw "quoted" DELETE FROM t"#;
        let c = '"'; let d: &'static str = "after a char";
        /* "block comment" */
    "####;
    assert_eq!(
        string_literals(source),
        [
            "plain \\\" SELECT x",
            "raw \"quoted\" DELETE FROM t",
            "after a char"
        ]
    );
}
