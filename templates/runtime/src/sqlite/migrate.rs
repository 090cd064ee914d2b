//! Migrations: the SQL that brings a database from one version of the spec to the
//! next, and the runner that applies what a database has not had yet.
//!
//! `apigen generate` compares the schema `apigen.json` recorded with the spec's new
//! one and writes the difference ([`Change`]s, as [`script`] words them) into the
//! crate's `migrations/NNNN_<what>.sql`, once; the crate compiles every one in
//! (`Api::MIGRATIONS`). When the server opens a database it asks [`plan`] what the
//! database has had, from the table [`HISTORY`]:
//!
//! - a new database is created at the crate's version (the DDL), and every migration
//!   is recorded as already there (a *baseline*: none runs);
//! - otherwise the pending migrations run in order, **all in one transaction** with
//!   their records, the schema check and the new ETags: a crash or `kill -9` leaves
//!   the database as it was or fully migrated, never between;
//! - a database that has had a migration this crate does not know (a newer build
//!   migrated it) is refused, as is one that still differs from the crate after its
//!   migrations (`conformance`).
//!
//! A migration that changes a table's columns changes what its documents look like
//! (a field filled with its default, one renamed or dropped), so the ETag of each
//! such document is computed again ([`Retag`]); documents whose fields read the same
//! keep theirs.

use std::collections::HashMap;
use std::fmt;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde_json::Value;

use super::conformance::{self, Mismatch};
use super::ddl::{column_type, create, create_index};
use super::quote;
use crate::date::DateFormat;
use crate::resource::{Resource, ResourceInfo};
use crate::schema::{Change, ColumnType, Table, KEY, META};

/// The table that records which migrations a database has had.
pub const HISTORY: &str = "_apigen_migrations";

/// Rows re-tagged per statement batch: bounds memory on a large table.
const RETAG_BATCH: i64 = 10_000;

/// One migration of a crate: its file name (without `.sql`) and its SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// `0002_people_add_nickname`: the number orders them.
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// A digest of the SQL, recorded when it is applied: a migration file edited
    /// after a database had it is reported, not run again.
    pub fn checksum(&self) -> String {
        crate::etag::sha1_hex(self.sql.as_bytes())
    }
}

/// How to compute the ETags of one table's documents again, from the resource's own
/// document type (what its writes compute them from).
#[derive(Clone, Copy)]
pub struct Retag {
    pub info: &'static ResourceInfo,
    pub run: fn(&Connection) -> rusqlite::Result<u64>,
}

impl fmt::Debug for Retag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retag")
            .field("table", &self.info.table.name)
            .finish()
    }
}

impl Retag {
    /// The re-tagger of the resource `R`, which owns its table.
    pub const fn of<R: Resource>() -> Retag {
        Retag {
            info: R::INFO,
            run: retag::<R>,
        }
    }
}

/// Compute the `_etag` of every document of `R` again and store the ones that
/// changed: the number stored.
pub fn retag<R: Resource>(conn: &Connection) -> rusqlite::Result<u64> {
    let table = R::INFO.table;
    // `from_row` reads the key, the fields in order, then the meta columns.
    let mut columns = vec![quote(KEY)];
    columns.extend(table.columns.iter().map(|c| quote(c.name)));
    columns.extend(META.iter().map(|c| quote(c.name)));
    let rowid_index = columns.len();
    let name = quote(table.name);
    // Walk the rowid in batches, so memory stays bounded on a large table.
    let sql = format!(
        "SELECT {}, rowid FROM {name} WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
        columns.join(", ")
    );
    let mut read = conn.prepare(&sql)?;
    let mut write = conn.prepare(&format!(
        "UPDATE {name} SET {} = ?1 WHERE rowid = ?2",
        quote("_etag")
    ))?;
    let mut after = i64::MIN;
    let mut changed = 0;
    loop {
        let mut batch: Vec<(i64, String)> = Vec::new();
        let mut last = None;
        let mut rows = read.query(rusqlite::params![after, RETAG_BATCH])?;
        while let Some(row) = rows.next()? {
            let rowid: i64 = row.get(rowid_index)?;
            last = Some(rowid);
            let document = R::from_row(row)?;
            let stored = document.etag().to_string();
            let tag = crate::etag::of_fields(&document.into_fields());
            if tag != stored {
                batch.push((rowid, tag));
            }
        }
        drop(rows);
        for (rowid, tag) in &batch {
            write.execute(rusqlite::params![tag, rowid])?;
        }
        changed += batch.len() as u64;
        match last {
            Some(rowid) => after = rowid,
            None => return Ok(changed),
        }
    }
}

/// The SQL of `changes`, one statement a line, `;`-terminated. Dates in `fill`
/// values are read in `dates` (the API's `date_format`). An `Err` names a fill value
/// the column cannot hold.
pub fn script(changes: &[Change<'_>], dates: &DateFormat) -> Result<String, String> {
    let mut lines = Vec::new();
    for change in changes {
        match change {
            Change::CreateTable(table) => lines.push(create(table)),
            Change::RenameTable { from, to } => lines.push(format!(
                "ALTER TABLE {} RENAME TO {};",
                quote(from),
                quote(to)
            )),
            Change::DropTable { table } => lines.push(format!("DROP TABLE {};", quote(table))),
            Change::AddColumn {
                table,
                column,
                ty,
                fill,
            } => {
                lines.push(format!(
                    "ALTER TABLE {} ADD COLUMN {} {};",
                    quote(table),
                    quote(column),
                    column_type(*ty)
                ));
                if let Some(value) = fill {
                    let literal = literal(*ty, value, dates).map_err(|problem| {
                        format!("the default of `{table}.{column}` {problem}")
                    })?;
                    lines.push(format!(
                        "UPDATE {} SET {} = {literal};",
                        quote(table),
                        quote(column)
                    ));
                }
            }
            Change::RenameColumn { table, from, to } => lines.push(format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {};",
                quote(table),
                quote(from),
                quote(to)
            )),
            Change::DropColumn { table, column } => lines.push(format!(
                "ALTER TABLE {} DROP COLUMN {};",
                quote(table),
                quote(column)
            )),
            Change::CreateIndex { table, index } => lines.push(create_index(table, index)),
            Change::DropIndex { name } => {
                lines.push(format!("DROP INDEX IF EXISTS {};", quote(name)));
            }
        }
    }
    Ok(lines.join("\n"))
}

/// `value` (as a client would write it) as the SQL literal a column of `ty` stores.
fn literal(ty: ColumnType, value: &Value, dates: &DateFormat) -> Result<String, String> {
    let text = |s: &str| format!("'{}'", s.replace('\'', "''"));
    Ok(match (ty, value) {
        (_, Value::Null) => "NULL".into(),
        (ColumnType::Json, v) => text(&v.to_string()),
        (ColumnType::Datetime, Value::String(s)) => match dates.parse(s) {
            Some(seconds) => seconds.to_string(),
            None => return Err(format!("\"{s}\" is not a date in the API's date format")),
        },
        (ColumnType::Text, Value::String(s)) => text(s),
        (ColumnType::Boolean, Value::Bool(b)) => i64::from(*b).to_string(),
        (ColumnType::Integer, Value::Number(n)) if n.is_i64() => n.to_string(),
        (ColumnType::Real, Value::Number(n)) => match n.as_f64() {
            // `{:?}` writes the shortest text that reads back as the same f64, with a
            // `.0` SQLite needs to store a REAL.
            Some(f) if f.is_finite() => format!("{f:?}"),
            _ => return Err(format!("{n} is not a finite number")),
        },
        (ty, v) => return Err(format!("{v} cannot be stored as {}", ty.name())),
    })
}

/// What a database has had, and what it still needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// No table of the API and no history: created at the crate's version, with every
    /// migration recorded as a baseline.
    pub fresh: bool,
    /// The migrations it has not had, in order.
    pub pending: Vec<Migration>,
    /// Migrations it has had that the crate does not know: a newer build made them.
    pub unknown: Vec<String>,
    /// Migrations it has had whose file has changed since.
    pub edited: Vec<&'static str>,
}

/// Why migrating a database stopped. Nothing was changed.
#[derive(Debug)]
pub enum MigrateError {
    /// A newer build of the service migrated this database.
    Newer(Vec<String>),
    /// Migrations are pending and `serve --migrate=false` says not to run them.
    Pending(Vec<&'static str>),
    /// A migration's SQL failed (a new `unique` over values stored twice, ...).
    Failed {
        migration: &'static str,
        error: rusqlite::Error,
    },
    /// After its migrations the database still differs from the server's tables.
    Stale(Mismatch),
    /// The database itself: reading the history, committing.
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(error: rusqlite::Error) -> Self {
        MigrateError::Sqlite(error)
    }
}

impl fmt::Display for MigrateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrateError::Newer(names) => write!(
                f,
                "a newer build of this service migrated it: it has had {}, which this \
                 server does not know.\nhint: nothing was changed. Serve it with that \
                 build (or newer), or restore a backup made before it was migrated",
                names.join(", ")
            ),
            MigrateError::Pending(names) => write!(
                f,
                "it needs {} migration{} ({}) and --migrate=false says not to apply them.\n\
                 hint: apply them with `migrate` (see the SQL with `migrate --dry-run`), \
                 then serve again",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            ),
            MigrateError::Failed { migration, error } => {
                write!(f, "migration {migration} failed: {error}")?;
                if super::is_unique_violation(error) {
                    write!(
                        f,
                        "\nhint: stored documents share a value of a field the spec now \
                         makes `unique`; change them, or drop `unique`, and start again"
                    )?;
                }
                write!(f, "\nnothing was changed: the database is as it was")
            }
            MigrateError::Stale(mismatch) => mismatch.fmt(f),
            MigrateError::Sqlite(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for MigrateError {}

/// What `conn`'s database has had of `migrations`, and needs.
pub fn plan(
    conn: &Connection,
    tables: &[&Table],
    migrations: &[Migration],
) -> rusqlite::Result<Plan> {
    let has_history = table_exists(conn, HISTORY)?;
    let mut has_tables = false;
    for table in tables {
        has_tables |= table_exists(conn, table.name)?;
    }
    if !has_history && !has_tables {
        return Ok(Plan {
            fresh: true,
            pending: Vec::new(),
            unknown: Vec::new(),
            edited: Vec::new(),
        });
    }
    let applied: HashMap<String, String> = if has_history {
        let mut statement = conn.prepare(&format!(
            "SELECT name, checksum FROM {} ORDER BY name",
            quote(HISTORY)
        ))?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    } else {
        // Tables but no history: made by a server from before migrations, at the
        // schema the crate's first migration starts from.
        HashMap::new()
    };
    let mut unknown: Vec<String> = applied
        .keys()
        .filter(|name| !migrations.iter().any(|m| m.name == name.as_str()))
        .cloned()
        .collect();
    unknown.sort();
    Ok(Plan {
        fresh: false,
        pending: migrations
            .iter()
            .filter(|m| !applied.contains_key(m.name))
            .copied()
            .collect(),
        unknown,
        edited: migrations
            .iter()
            .filter(|m| applied.get(m.name).is_some_and(|sum| *sum != m.checksum()))
            .map(|m| m.name)
            .collect(),
    })
}

/// Bring `conn`'s database to the crate's version, as the module explains: `Ok` with
/// a line per thing done (nothing when it already was), for the server to log.
/// `allow` false refuses pending migrations instead of running them.
pub fn migrate(
    conn: &mut Connection,
    tables: &[&Table],
    migrations: &[Migration],
    retags: &[Retag],
    allow: bool,
) -> Result<Vec<String>, MigrateError> {
    // Planned inside the write transaction: a second server starting on the same
    // file waits here, then finds the migrations already applied.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let plan = plan(&tx, tables, migrations)?;
    if !plan.unknown.is_empty() {
        return Err(MigrateError::Newer(plan.unknown));
    }
    let mut done: Vec<String> = plan
        .edited
        .iter()
        .map(|name| {
            format!("warning: migration {name} was changed after this database had it; it is not run again")
        })
        .collect();
    if !plan.fresh && !plan.pending.is_empty() && !allow {
        return Err(MigrateError::Pending(
            plan.pending.iter().map(|m| m.name).collect(),
        ));
    }
    tx.execute_batch(&history_ddl())?;
    let now = crate::date::now();
    let record = |tx: &Connection, migration: &Migration, baseline: bool| {
        tx.execute(
            &format!(
                "INSERT INTO {} (name, checksum, applied_at, baseline) VALUES (?1, ?2, ?3, ?4)",
                quote(HISTORY)
            ),
            rusqlite::params![migration.name, migration.checksum(), now, baseline],
        )
    };
    if plan.fresh {
        tx.execute_batch(&super::ddl::create_all(tables))?;
        for migration in migrations {
            record(&tx, migration, true)?;
        }
        tx.commit()?;
        return Ok(done);
    }
    let before = columns_of(&tx, tables)?;
    for migration in &plan.pending {
        let started = std::time::Instant::now();
        tx.execute_batch(migration.sql)
            .map_err(|error| MigrateError::Failed {
                migration: migration.name,
                error,
            })?;
        record(&tx, migration, false)?;
        done.push(format!(
            "applied migration {} in {} ms",
            migration.name,
            started.elapsed().as_millis()
        ));
    }
    // Checked inside the transaction: a database its migrations do not explain is
    // left as it was.
    conformance::check(&tx, tables)?.map_err(MigrateError::Stale)?;
    tx.execute_batch(&super::ddl::create_all(tables))?;
    let after = columns_of(&tx, tables)?;
    for retag in retags {
        let name = retag.info.table.name;
        if before.get(name) != after.get(name) {
            let started = std::time::Instant::now();
            let changed = (retag.run)(&tx)?;
            done.push(if changed == 0 {
                format!("the documents of {name} read as before: their ETags are kept")
            } else {
                format!(
                    "new ETags for {changed} document{} of {name} (its fields changed) in {} ms",
                    if changed == 1 { "" } else { "s" },
                    started.elapsed().as_millis()
                )
            });
        }
    }
    tx.commit()?;
    Ok(done)
}

/// What `migrate` would run on `conn`'s database, as text for `migrate --dry-run`.
pub fn dry_run(
    conn: &Connection,
    tables: &[&Table],
    migrations: &[Migration],
) -> Result<String, MigrateError> {
    let plan = plan(conn, tables, migrations)?;
    if !plan.unknown.is_empty() {
        return Err(MigrateError::Newer(plan.unknown));
    }
    if plan.fresh {
        return Ok(format!(
            "-- The database is new: it would be created at this version, and its {} \
             migration{} recorded as already applied.\n{}\n",
            migrations.len(),
            if migrations.len() == 1 { "" } else { "s" },
            super::ddl::create_all(tables)
        ));
    }
    if plan.pending.is_empty() {
        return Ok("-- Nothing to do: the database has had every migration.\n".into());
    }
    let mut text = format!(
        "-- {} migration{} would run, in one transaction:\n",
        plan.pending.len(),
        if plan.pending.len() == 1 { "" } else { "s" }
    );
    for migration in &plan.pending {
        text.push_str(&format!(
            "\n-- {}.sql\n{}\n",
            migration.name,
            migration.sql.trim_end()
        ));
    }
    text.push_str(
        "\n-- Then: the ETags of the documents of every table whose columns changed are \
         computed again.\n",
    );
    Ok(text)
}

fn history_ddl() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (name TEXT PRIMARY KEY NOT NULL, checksum TEXT NOT NULL, \
         applied_at INTEGER NOT NULL, baseline INTEGER NOT NULL);",
        quote(HISTORY)
    )
}

fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

/// Each table's columns (name and declared type, in order).
fn columns_of(
    conn: &Connection,
    tables: &[&Table],
) -> rusqlite::Result<HashMap<&'static str, Vec<(String, String)>>> {
    let mut statement = conn.prepare("SELECT name, type FROM pragma_table_info(?1)")?;
    let mut all = HashMap::new();
    for table in tables {
        let columns = statement
            .query_map([table.name], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
        all.insert(table.name, columns);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, Index, Key, Order};

    static PEOPLE_V1: Table = Table {
        name: "people",
        key: Key::Text,
        columns: &[Column::new("lastname", ColumnType::Text)],
        indexes: &[],
    };

    /// V1 plus `score` (default 7) and a unique index on `lastname`.
    static PEOPLE_V2: Table = Table {
        name: "people",
        key: Key::Text,
        columns: &[
            Column::new("lastname", ColumnType::Text),
            Column::new("score", ColumnType::Integer),
        ],
        indexes: &[Index {
            name: "people_lastname_unique",
            columns: &[("lastname", Order::Ascending)],
            unique: true,
        }],
    };

    static V2: &[Migration] = &[Migration {
        name: "0001_people_add_score",
        sql: "ALTER TABLE \"people\" ADD COLUMN \"score\" INTEGER;\n\
              UPDATE \"people\" SET \"score\" = 7;\n\
              CREATE UNIQUE INDEX IF NOT EXISTS \"people_lastname_unique\" ON \"people\" (\"lastname\");",
    }];

    /// A database at V1 holding documents with these last names.
    fn v1_with(lastnames: &[&str]) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(
            migrate(&mut conn, &[&PEOPLE_V1], &[], &[], true).unwrap(),
            Vec::<String>::new()
        );
        for (n, name) in lastnames.iter().enumerate() {
            conn.execute(
                "INSERT INTO people (_id, lastname, _created, _updated, _etag) VALUES (?1, ?2, -86400, 0, 'tag')",
                rusqlite::params![n.to_string(), name],
            )
            .unwrap();
        }
        conn
    }

    fn history(conn: &Connection) -> Vec<(String, bool)> {
        let mut statement = conn
            .prepare("SELECT name, baseline FROM _apigen_migrations ORDER BY name")
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn has_column(conn: &Connection, column: &str) -> bool {
        conn.query_row(
            "SELECT count(*) FROM pragma_table_info('people') WHERE name = ?1",
            [column],
            |row| row.get::<_, i64>(0),
        )
        .unwrap()
            == 1
    }

    #[test]
    fn each_change_is_one_statement() {
        static TAGS: Table = Table {
            name: "tags",
            key: Key::Integer,
            columns: &[Column::new("label", ColumnType::Text)],
            indexes: &[],
        };
        let table = &TAGS;
        let index = Index {
            name: "people_by_age",
            columns: &[("age", Order::Descending)],
            unique: false,
        };
        let born = Value::from("Sat, 01 Jan 1955 00:00:00 GMT");
        let quote_in_text = Value::from("O'Brien");
        let script = script(
            &[
                Change::DropIndex {
                    name: "people_email_unique",
                },
                Change::RenameTable {
                    from: "persons",
                    to: "people",
                },
                Change::RenameColumn {
                    table: "people",
                    from: "mail",
                    to: "email",
                },
                Change::DropColumn {
                    table: "people",
                    column: "fax",
                },
                Change::DropTable { table: "old" },
                Change::CreateTable(table),
                Change::AddColumn {
                    table: "people",
                    column: "born",
                    ty: ColumnType::Datetime,
                    fill: Some(&born),
                },
                Change::AddColumn {
                    table: "people",
                    column: "nick",
                    ty: ColumnType::Text,
                    fill: Some(&quote_in_text),
                },
                Change::AddColumn {
                    table: "people",
                    column: "note",
                    ty: ColumnType::Json,
                    fill: None,
                },
                Change::CreateIndex {
                    table: "people",
                    index: &index,
                },
            ],
            &crate::date::RFC1123,
        )
        .unwrap();
        assert_eq!(
            script,
            "DROP INDEX IF EXISTS \"people_email_unique\";\n\
             ALTER TABLE \"persons\" RENAME TO \"people\";\n\
             ALTER TABLE \"people\" RENAME COLUMN \"mail\" TO \"email\";\n\
             ALTER TABLE \"people\" DROP COLUMN \"fax\";\n\
             DROP TABLE \"old\";\n\
             CREATE TABLE IF NOT EXISTS \"tags\" (\"_id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"label\" TEXT, \
             \"_created\" INTEGER NOT NULL, \"_updated\" INTEGER NOT NULL, \"_etag\" TEXT NOT NULL);\n\
             ALTER TABLE \"people\" ADD COLUMN \"born\" INTEGER;\n\
             UPDATE \"people\" SET \"born\" = -473385600;\n\
             ALTER TABLE \"people\" ADD COLUMN \"nick\" TEXT;\n\
             UPDATE \"people\" SET \"nick\" = 'O''Brien';\n\
             ALTER TABLE \"people\" ADD COLUMN \"note\" TEXT;\n\
             CREATE INDEX IF NOT EXISTS \"people_by_age\" ON \"people\" (\"age\" DESC);"
        );
    }

    #[test]
    fn fill_values_are_stored_as_the_server_stores_them() {
        let dates = &crate::date::RFC1123;
        let big = Value::from(9_007_199_254_740_993_i64);
        assert_eq!(
            literal(ColumnType::Integer, &big, dates).unwrap(),
            "9007199254740993"
        );
        assert_eq!(
            literal(ColumnType::Real, &Value::from(0.1), dates).unwrap(),
            "0.1"
        );
        assert_eq!(
            literal(ColumnType::Real, &Value::from(3), dates).unwrap(),
            "3.0"
        );
        assert_eq!(
            literal(ColumnType::Boolean, &Value::from(true), dates).unwrap(),
            "1"
        );
        assert_eq!(
            literal(
                ColumnType::Json,
                &serde_json::json!({"city": "Zürich"}),
                dates
            )
            .unwrap(),
            "'{\"city\":\"Zürich\"}'"
        );
        assert_eq!(
            literal(ColumnType::Text, &Value::Null, dates).unwrap(),
            "NULL"
        );
        assert!(literal(ColumnType::Datetime, &Value::from("yesterday"), dates).is_err());
        assert!(literal(ColumnType::Integer, &Value::from("7"), dates).is_err());
    }

    #[test]
    fn a_new_database_is_made_at_the_crates_version_and_records_a_baseline() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(
            migrate(&mut conn, &[&PEOPLE_V2], V2, &[], true).unwrap(),
            Vec::<String>::new()
        );
        assert!(has_column(&conn, "score"));
        assert_eq!(
            history(&conn),
            [("0001_people_add_score".to_string(), true)]
        );
        // Opened again: nothing to do.
        assert!(migrate(&mut conn, &[&PEOPLE_V2], V2, &[], true)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn pending_migrations_run_once_and_fill_the_stored_documents() {
        let mut conn = v1_with(&["Doe", "Ødegaard"]);
        let done = migrate(&mut conn, &[&PEOPLE_V2], V2, &[], true).unwrap();
        assert_eq!(done.len(), 1, "{done:?}");
        assert!(done[0].starts_with("applied migration 0001_people_add_score"));
        let scores: Vec<(String, i64, i64)> = conn
            .prepare("SELECT lastname, score, _created FROM people ORDER BY _id")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            scores,
            [("Doe".into(), 7, -86400), ("Ødegaard".into(), 7, -86400)]
        );
        assert_eq!(
            history(&conn),
            [("0001_people_add_score".to_string(), false)]
        );
        assert!(migrate(&mut conn, &[&PEOPLE_V2], V2, &[], true)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_failing_migration_changes_nothing() {
        // Two documents share the value the new unique index covers.
        let mut conn = v1_with(&["Doe", "Doe"]);
        let error = migrate(&mut conn, &[&PEOPLE_V2], V2, &[], true).unwrap_err();
        assert!(matches!(
            error,
            MigrateError::Failed {
                migration: "0001_people_add_score",
                ..
            }
        ));
        let message = error.to_string();
        assert!(message.contains("UNIQUE constraint failed"), "{message}");
        assert!(message.contains("nothing was changed"), "{message}");
        assert!(
            !has_column(&conn, "score"),
            "the ALTER TABLE was rolled back"
        );
        assert!(history(&conn).is_empty());
    }

    #[test]
    fn pending_migrations_are_refused_when_not_allowed() {
        let mut conn = v1_with(&["Doe"]);
        let error = migrate(&mut conn, &[&PEOPLE_V2], V2, &[], false).unwrap_err();
        assert!(
            matches!(&error, MigrateError::Pending(names) if names == &["0001_people_add_score"])
        );
        assert!(error.to_string().contains("`migrate --dry-run`"));
        assert!(!has_column(&conn, "score"));
    }

    #[test]
    fn a_database_a_newer_build_migrated_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, &[&PEOPLE_V2], V2, &[], true).unwrap();
        let error = migrate(&mut conn, &[&PEOPLE_V1], &[], &[], true).unwrap_err();
        assert!(
            matches!(&error, MigrateError::Newer(names) if names == &["0001_people_add_score"])
        );
    }

    #[test]
    fn a_difference_no_migration_explains_is_refused_and_rolled_back() {
        let mut conn = v1_with(&["Doe"]);
        // A migration that does not add `score`.
        static WRONG: &[Migration] = &[Migration {
            name: "0001_something_else",
            sql: "CREATE TABLE other (x TEXT);",
        }];
        let error = migrate(&mut conn, &[&PEOPLE_V2], WRONG, &[], true).unwrap_err();
        let MigrateError::Stale(mismatch) = error else {
            panic!("expected a mismatch, got {error:?}");
        };
        assert!(mismatch.to_string().contains("has no column \"score\""));
        assert!(history(&conn).is_empty());
        assert!(!table_exists(&conn, "other").unwrap());
    }

    #[test]
    fn two_servers_starting_at_once_migrate_once() {
        let dir = std::env::temp_dir().join(format!("apigen-migrate-race-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("race.db");
        let _ = std::fs::remove_file(&path);
        {
            let mut conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            migrate(&mut conn, &[&PEOPLE_V1], &[], &[], true).unwrap();
            conn.execute(
                "INSERT INTO people (_id, lastname, _created, _updated, _etag) VALUES ('1', 'Doe', 0, 0, 't')",
                [],
            )
            .unwrap();
        }
        let runs: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut conn = Connection::open(&path).unwrap();
                    conn.busy_timeout(std::time::Duration::from_secs(10))
                        .unwrap();
                    migrate(&mut conn, &[&PEOPLE_V2], V2, &[], true).map(|done| done.len())
                })
            })
            .collect();
        let applied: Vec<usize> = runs
            .into_iter()
            .map(|run| run.join().unwrap().expect("every start succeeds"))
            .collect();
        assert_eq!(
            applied.iter().filter(|n| **n == 1).count(),
            1,
            "{applied:?}"
        );
        let conn = Connection::open(&path).unwrap();
        assert_eq!(
            history(&conn),
            [("0001_people_add_score".to_string(), false)]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_dry_run_prints_the_pending_sql_and_changes_nothing() {
        let conn = v1_with(&["Doe"]);
        let text = dry_run(&conn, &[&PEOPLE_V2], V2).unwrap();
        assert!(text.contains("-- 0001_people_add_score.sql"), "{text}");
        assert!(
            text.contains("UPDATE \"people\" SET \"score\" = 7;"),
            "{text}"
        );
        assert!(!has_column(&conn, "score"));
        let fresh = Connection::open_in_memory().unwrap();
        assert!(dry_run(&fresh, &[&PEOPLE_V2], V2)
            .unwrap()
            .contains("The database is new"));
    }
}
