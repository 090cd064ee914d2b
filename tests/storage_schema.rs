//! The typed schema reaches the database: opening a generated API's database creates
//! every table and index its resources declare, opening it again changes nothing, and
//! a database whose tables are not the API's is refused, with nothing changed.

use std::path::PathBuf;

use apigen_runtime::rusqlite;

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
    // The server's own record of the migrations the database has had.
    let mut expected: Vec<(String, String)> = vec![(
        "table".into(),
        apigen_runtime::sqlite::migrate::HISTORY.into(),
    )];
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

/// The columns of `table` in the database file at `path`.
fn columns(path: &std::path::Path, table: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).expect("open with rusqlite");
    let mut statement = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")
        .expect("table_info");
    let mut names = Vec::new();
    for name in statement
        .query_map([table], |row| row.get(0))
        .expect("query")
    {
        names.push(name.expect("a column name"));
    }
    names
}

#[test]
fn a_database_from_another_spec_is_refused_with_its_tables_and_columns_named() {
    let dir = scratch("stale");
    let path = dir.join("people.db");
    // What an older spec left: `people` without `email` and with a `nickname` the
    // server does not know, `works` with `tags` stored as an integer, and a document.
    let conn = rusqlite::Connection::open(&path).expect("create the file");
    conn.execute_batch(
        "CREATE TABLE people (_id TEXT PRIMARY KEY NOT NULL, firstname TEXT, lastname TEXT, \
         role TEXT, born INTEGER, age INTEGER, status TEXT, location TEXT, nickname TEXT, \
         _created INTEGER NOT NULL, _updated INTEGER NOT NULL, _etag TEXT NOT NULL);
         INSERT INTO people (_id, lastname, _created, _updated, _etag) \
         VALUES ('5f0c3c2b9f1b2a0001a1a1a1', 'Doe', 0, 0, 'e');
         CREATE TABLE works (_id TEXT PRIMARY KEY NOT NULL, title TEXT, description TEXT, \
         owner TEXT, tags INTEGER, _created INTEGER NOT NULL, _updated INTEGER NOT NULL, \
         _etag TEXT NOT NULL);",
    )
    .expect("an older schema");
    drop(conn);
    let before = columns(&path, "people");

    let error = match people_api::api::db::Db::open_for::<people_api::api::Api>(&path) {
        Ok(_) => panic!("a database from another spec was opened"),
        Err(error) => error.to_string(),
    };
    for expected in [
        "table \"people\" has no column \"email\" (text)",
        "table \"people\" has a column \"nickname\" (TEXT) the server does not know",
        "table \"works\" column \"tags\" is INTEGER, the server stores TEXT",
        "ALTER TABLE \"people\" ADD COLUMN \"email\" TEXT;",
    ] {
        assert!(error.contains(expected), "{expected:?} not in:\n{error}");
    }
    // Refused before anything was created or changed: no index, no new table.
    assert_eq!(columns(&path, "people"), before);
    assert!(columns(&path, "invoices").is_empty());
    let conn = rusqlite::Connection::open(&path).expect("reopen");
    let indexes: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'",
            [],
            |row| row.get(0),
        )
        .expect("count indexes");
    assert_eq!(indexes, 0);
    let documents: i64 = conn
        .query_row("SELECT count(*) FROM people", [], |row| row.get(0))
        .expect("count people");
    assert_eq!(documents, 1);

    // Brought to the spec with the SQL the message gives (and the unknown column
    // and the retyped one dealt with), it opens.
    conn.execute_batch(
        "ALTER TABLE people ADD COLUMN email TEXT;
         ALTER TABLE people DROP COLUMN nickname;
         DROP TABLE works;",
    )
    .expect("bring it to the spec");
    drop(conn);
    let db = people_api::api::db::Db::open_for::<people_api::api::Api>(&path)
        .expect("the mended database opens");
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}
