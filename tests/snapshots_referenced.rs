//! Every snapshot in `tests/snapshots/` must belong to a test that still asserts it.
//!
//! A snapshot left behind by a removed file or spec would otherwise sit there
//! unnoticed, pinning nothing. (This is what `cargo insta test --unreferenced=reject`
//! does, without needing cargo-insta installed.)

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// Snapshot files the generated-output test asserts: one per generated file per spec.
fn generated_output_snapshots() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for entry in fs::read_dir("specs").expect("specs/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("utf-8");
        let model = apigen::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let runtime = apigen::RuntimeSource::Path("../../templates/runtime".to_string());
        for file in apigen::crate_files(&model, "spec.toml", &runtime).expect("renders") {
            if apigen::clients::is_runtime_copy(&file.path) {
                continue;
            }
            names.insert(format!(
                "generated_output__{stem}__{}.snap",
                file.path.replace('/', "__")
            ));
        }
    }
    names
}

/// Snapshot files a test asserts once per spec in `dir`, named `<prefix>__<stem>.snap`:
/// the diagnostics of `specs/invalid`, the refused edits of `specs/migrations/refused`.
fn per_spec_snapshots(dir: &str, prefix: &str) -> BTreeSet<String> {
    let Ok(entries) = fs::read_dir(Path::new(dir)) else {
        return BTreeSet::new();
    };
    entries
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let stem = p.file_stem().and_then(|s| s.to_str()).expect("utf-8");
            format!("{prefix}__{stem}.snap")
        })
        .collect()
}

#[test]
fn no_snapshot_is_unreferenced() {
    let mut expected = generated_output_snapshots();
    expected.extend(per_spec_snapshots("specs/invalid", "spec_diagnostics"));
    expected.extend(per_spec_snapshots(
        "specs/migrations/refused",
        "migration_diagnostics",
    ));
    let mut unreferenced = Vec::new();
    let mut pending = Vec::new();
    for entry in fs::read_dir("tests/snapshots").expect("tests/snapshots/") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            pending.push(name);
        } else if !expected.contains(&name) {
            unreferenced.push(name);
        }
    }
    assert!(pending.is_empty(), "snapshots awaiting review: {pending:?}");
    assert!(
        unreferenced.is_empty(),
        "snapshots no test asserts (delete them): {unreferenced:?}"
    );
}
