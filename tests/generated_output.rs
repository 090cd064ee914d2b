//! Pins what apigen generates, and proves the committed example is what it generates.
//!
//! - Every file generated for every example spec in `specs/` is an insta snapshot: a
//!   generator change shows up as a diff of users' code, reviewed like one. The
//!   clients' copies of their runtime are the same for every spec and are not.
//! - `generated-example/<name>/` must be byte for byte what `apigen generate` would
//!   write for its spec: the same check `apigen generate --check` runs in users' CI.

use std::fs;
use std::path::{Path, PathBuf};

use apigen::output::{self, Change, Manifest};
use apigen::{OutputFile, RuntimeSource};

/// The example specs: every `specs/*.toml` (not `specs/invalid/`).
fn example_specs() -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = fs::read_dir("specs")
        .expect("specs/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    specs.sort();
    assert!(!specs.is_empty(), "no example specs found");
    specs
}

/// How the committed examples get the runtime: the workspace's own crate, so the
/// runtime exists once in this repository.
fn shared_runtime() -> RuntimeSource {
    RuntimeSource::Path("../../templates/runtime".to_string())
}

fn files_for(spec: &Path, spec_path_in_crate: &str, runtime: &RuntimeSource) -> Vec<OutputFile> {
    let model = apigen::load(spec).unwrap_or_else(|error| panic!("{error}"));
    apigen::crate_files(&model, spec_path_in_crate, runtime)
        .unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn every_generated_file_is_pinned() {
    for spec in example_specs() {
        let stem = spec
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 name");
        let spec_path = format!("../../specs/{stem}.toml");
        for file in files_for(&spec, &spec_path, &shared_runtime()) {
            if apigen::clients::is_runtime_copy(&file.path) {
                continue;
            }
            let name = format!("{stem}__{}", file.path.replace('/', "__"));
            insta::assert_snapshot!(name, file.contents);
        }
    }
}

#[test]
fn generation_is_deterministic() {
    for spec in example_specs() {
        let first = files_for(&spec, "spec.toml", &RuntimeSource::Vendored);
        let second = files_for(&spec, "spec.toml", &RuntimeSource::Vendored);
        assert_eq!(
            first,
            second,
            "{} generated differently twice",
            spec.display()
        );
    }
}

/// What regenerating `dir` from its recorded spec would change, ignoring user files
/// that are missing (apigen would only create them).
fn staleness(dir: &Path) -> Vec<(String, Change)> {
    let manifest = Manifest::read(dir)
        .unwrap_or_else(|| panic!("{} has no readable apigen.json", dir.display()));
    let files = files_for(&dir.join(&manifest.spec), &manifest.spec, &manifest.runtime);
    output::stale(dir, &files)
}

#[test]
fn generated_example_is_exactly_what_apigen_generates() {
    let mut examples = 0;
    for spec in example_specs() {
        let stem = spec
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 name");
        let dir = Path::new("generated-example").join(stem);
        assert!(
            dir.join(output::MANIFEST).exists(),
            "specs/{stem}.toml has no committed crate: run `cargo run -- new specs/{stem}.toml --out {}`",
            dir.display()
        );
        let stale = staleness(&dir);
        assert!(
            stale.is_empty(),
            "{} is stale; run `cargo run -- generate --out {}` and commit. Would change: {stale:?}",
            dir.display(),
            dir.display()
        );
        examples += 1;
    }
    assert!(examples >= 2);
}

/// Copy a directory tree (the crate under test) into `to`.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create copy");
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

#[test]
fn the_freshness_check_notices_one_edited_byte() {
    let copy = std::env::temp_dir().join(format!("apigen-freshness-{}", std::process::id()));
    let _ = fs::remove_dir_all(&copy);
    copy_tree(Path::new("generated-example/people"), &copy);
    // The copy lives elsewhere, so load the real spec; the recorded path stays as is.
    let manifest = Manifest::read(&copy).expect("manifest");
    let files = files_for(
        Path::new("specs/people.toml"),
        &manifest.spec,
        &manifest.runtime,
    );
    assert!(
        output::plan(&copy, &files).is_empty(),
        "a faithful copy is fresh"
    );

    let target = copy.join("src/api/resources/people.rs");
    let mut bytes = fs::read(&target).expect("read");
    let last = bytes.len() - 2;
    bytes[last] ^= 0x01;
    fs::write(&target, bytes).expect("write");
    assert_eq!(
        output::plan(&copy, &files),
        vec![("src/api/resources/people.rs".to_string(), Change::Update)]
    );

    // The user's own file may differ freely.
    fs::write(copy.join("src/hooks.rs"), "// mine\n").expect("write");
    fs::write(
        &target,
        &files
            .iter()
            .find(|f| f.path == "src/api/resources/people.rs")
            .expect("file")
            .contents,
    )
    .expect("restore");
    assert!(
        output::plan(&copy, &files).is_empty(),
        "user files are never stale"
    );
    let _ = fs::remove_dir_all(&copy);
}
