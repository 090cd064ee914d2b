//! What a user sees when a spec edit would lose data, pinned.
//!
//! Each `specs/migrations/refused/*.toml` is `specs/migrations/base.toml` edited in one
//! way that a migration cannot carry out without the user saying more (its first line
//! says how). A crate generated from the base and regenerated from the edit must stop
//! with a diagnostic that names the change and a `help:` that says what to write, pinned
//! as `tests/snapshots/migration_diagnostics__<name>.snap`, and write nothing.
//!
//! New snapshots: `INSTA_UPDATE=always cargo test --test migration_diagnostics`, then
//! read each new `.snap` before committing it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn at_package_root() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("the package root exists");
}

fn base_tables() -> BTreeMap<String, apigen::model::storage::Table> {
    let model = apigen::load(Path::new("specs/migrations/base.toml")).expect("the base loads");
    model
        .tables
        .iter()
        .map(|t| (t.name.clone(), t.clone()))
        .collect()
}

fn refused() -> Vec<PathBuf> {
    at_package_root();
    let mut paths: Vec<PathBuf> = std::fs::read_dir("specs/migrations/refused")
        .expect("specs/migrations/refused")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_refused_edit_stops_with_a_diagnostic_that_says_what_to_write() {
    let tables = base_tables();
    let cases = refused();
    assert!(
        cases.len() >= 7,
        "expected the refused-edit corpus, found {}",
        cases.len()
    );
    for path in cases {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let shown = format!("specs/migrations/refused/{name}.toml");
        let source = std::fs::read_to_string(&shown).expect("read the spec");
        let model = apigen::model_from_str(&shown, &source)
            .unwrap_or_else(|e| panic!("{shown} must be a valid spec:\n{e}"));
        let diagnostic = match apigen::migration::plan(&tables, 0, &model, &shown, &source, false) {
            Err(diagnostic) => diagnostic,
            Ok(plan) => panic!("{shown}: expected a refusal, got {plan:#?}"),
        };
        let help = diagnostic.help.clone().unwrap_or_default();
        assert!(!help.is_empty(), "{shown}: no help line");
        let text = diagnostic.to_string();
        if let Some(location) = &diagnostic.location {
            let place = format!("{shown}:{}:{}", location.line, location.column);
            assert!(text.contains(&place), "{shown}: no `{place}` in:\n{text}");
        }
        insta::assert_snapshot!(name.as_str(), text);
    }
}

#[test]
fn drops_pass_with_the_flag_and_renames_with_renamed_from() {
    at_package_root();
    let tables = base_tables();
    let plan = |shown: &str, source: &str, allow_drop: bool| {
        let model = apigen::model_from_str(shown, source).expect("valid");
        apigen::migration::plan(&tables, 2, &model, shown, source, allow_drop)
    };
    let shown = "specs/migrations/refused/drop-field.toml";
    let source = std::fs::read_to_string(shown).unwrap();
    let migration = plan(shown, &source, true)
        .expect("dropping is allowed with the flag")
        .expect("a migration");
    assert_eq!(migration.name, "0003_customers_drop_email");
    assert!(
        migration
            .sql
            .contains("ALTER TABLE \"customers\" DROP COLUMN \"email\";"),
        "{}",
        migration.sql
    );

    // `email` renamed to `mail`, same type: the values move, nothing is dropped.
    let source = std::fs::read_to_string("specs/migrations/base.toml")
        .unwrap()
        .replace(
            "email = { type = \"string\" }",
            "mail = { type = \"string\", renamed_from = \"email\" }",
        );
    let migration = plan("renamed.toml", &source, false)
        .expect("a rename is no drop")
        .expect("a migration");
    assert!(
        migration
            .sql
            .contains("ALTER TABLE \"customers\" RENAME COLUMN \"email\" TO \"mail\";"),
        "{}",
        migration.sql
    );
    assert!(!migration.sql.contains("DROP"), "{}", migration.sql);

    // The base against itself: nothing to migrate.
    let source = std::fs::read_to_string("specs/migrations/base.toml").unwrap();
    assert_eq!(plan("base.toml", &source, false).unwrap(), None);
}
