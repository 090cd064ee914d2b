//! The typed schema reaches the database: opening a generated API's database creates
//! every table and index its resources declare, and opening it again changes nothing.

use std::path::PathBuf;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "apigen-storage-schema-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// `(type, name)` of everything in the database's schema, sorted.
fn objects(db: &people_api::api::db::Db) -> Vec<(String, String)> {
    db.read(|conn| {
        let mut statement = conn.prepare(
            "SELECT type, name FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<Vec<(String, String)>, _>>()?;
        Ok(rows)
    })
    .expect("read the schema")
}

#[test]
fn every_table_and_index_of_the_schema_is_created_once() {
    use apigen_runtime::Api as _;
    let dir = scratch("people");
    let path = dir.join("people.db");
    let db = people_api::api::db::Db::open_for::<people_api::api::Api>(&path)
        .expect("open the database");
    let found = objects(&db);
    let mut expected: Vec<(String, String)> = Vec::new();
    for table in people_api::api::Api::TABLES {
        expected.push(("table".into(), table.name.into()));
        for index in table.indexes {
            expected.push(("index".into(), index.name.into()));
        }
    }
    expected.sort();
    assert_eq!(found, expected);
    assert!(
        found.contains(&("index".into(), "people_by_age".into())),
        "the spec's `indexes` are created: {found:?}"
    );
    drop(db);
    let again = people_api::api::db::Db::open_for::<people_api::api::Api>(&path)
        .expect("open the database again");
    assert_eq!(objects(&again), expected);
    drop(again);
    let _ = std::fs::remove_dir_all(&dir);
}
