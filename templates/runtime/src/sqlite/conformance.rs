//! Does the database hold the tables this server expects? Checked when it opens.
//!
//! A server regenerated from an edited spec and started on the old database would
//! otherwise start, then answer every request to the changed resource with 500s
//! (`table people has no column named nickname`). Instead, each table the server
//! keeps that already exists is compared with its [`Table`]: a column missing, a
//! column the server does not know, or one of another type stops the server at start
//! with the table and columns named. Tables still missing are not a difference: the
//! DDL creates them; tables the server no longer keeps are left alone.

use std::fmt;

use rusqlite::Connection;

use super::ddl::column_type;
use crate::schema::{ColumnType, Key, Table, KEY, META};

/// One way a stored table differs from what the server expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The server reads and writes this column; the table has none.
    Missing {
        column: &'static str,
        ty: ColumnType,
    },
    /// The table has a column the server does not know (say, a field since removed
    /// from the spec). A NOT NULL one would refuse every insert.
    Unknown { column: String, declared: String },
    /// The column is there, declared as another type.
    Retyped {
        column: &'static str,
        declared: String,
        expected: &'static str,
    },
}

/// Every difference between the database and the server's tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Per table, in the server's order, the tables that differ.
    pub tables: Vec<(&'static str, Vec<Difference>)>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "its tables do not match this server (was the server regenerated from an edited spec?):"
        )?;
        let mut suggestions = Vec::new();
        for (table, differences) in &self.tables {
            for difference in differences {
                match difference {
                    Difference::Missing { column, ty } => {
                        writeln!(
                            f,
                            "  table \"{table}\" has no column \"{column}\" ({})",
                            ty.name()
                        )?;
                        suggestions.push(format!(
                            "ALTER TABLE \"{table}\" ADD COLUMN \"{column}\" {};",
                            column_type(*ty)
                        ));
                    }
                    Difference::Unknown { column, declared } => writeln!(
                        f,
                        "  table \"{table}\" has a column \"{column}\" ({declared}) the server does not know"
                    )?,
                    Difference::Retyped {
                        column,
                        declared,
                        expected,
                    } => writeln!(
                        f,
                        "  table \"{table}\" column \"{column}\" is {declared}, the server stores {expected}"
                    )?,
                }
            }
        }
        write!(
            f,
            "hint: nothing was changed. Start it on the database it was made for, serve a new \
             one with --db, or bring this one to the spec"
        )?;
        if suggestions.is_empty() {
            write!(f, " by hand")
        } else {
            write!(
                f,
                "; the new columns would be, with sqlite3:\n  {}",
                suggestions.join("\n  ")
            )
        }
    }
}

impl std::error::Error for Mismatch {}

/// Compare the tables of `conn` that `tables` names with them.
pub fn check(conn: &Connection, tables: &[&Table]) -> rusqlite::Result<Result<(), Mismatch>> {
    let mut found = Vec::new();
    for table in tables {
        let stored = stored_columns(conn, table.name)?;
        if stored.is_empty() {
            // Not there yet: the DDL creates it.
            continue;
        }
        let differences = compare(table, &stored);
        if !differences.is_empty() {
            found.push((table.name, differences));
        }
    }
    Ok(if found.is_empty() {
        Ok(())
    } else {
        Err(Mismatch { tables: found })
    })
}

/// A stored column: its name and declared type.
struct Stored {
    name: String,
    declared: String,
}

fn stored_columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<Stored>> {
    let mut statement = conn.prepare("SELECT name, type FROM pragma_table_info(?1)")?;
    let rows = statement.query_map([table], |row| {
        Ok(Stored {
            name: row.get(0)?,
            declared: row.get(1)?,
        })
    })?;
    rows.collect()
}

fn compare(table: &Table, stored: &[Stored]) -> Vec<Difference> {
    let key_type = match table.key {
        Key::Integer => ColumnType::Integer,
        Key::Text => ColumnType::Text,
    };
    let expected: Vec<(&'static str, ColumnType)> = std::iter::once((KEY, key_type))
        .chain(table.columns.iter().map(|c| (c.name, c.ty)))
        .chain(META.iter().map(|c| (c.name, c.ty)))
        .collect();
    let mut differences = Vec::new();
    for (name, ty) in &expected {
        match stored.iter().find(|s| s.name == *name) {
            None => differences.push(Difference::Missing {
                column: name,
                ty: *ty,
            }),
            Some(column) if !column.declared.eq_ignore_ascii_case(column_type(*ty)) => differences
                .push(Difference::Retyped {
                    column: name,
                    declared: column.declared.clone(),
                    expected: column_type(*ty),
                }),
            Some(_) => {}
        }
    }
    for column in stored {
        if !expected.iter().any(|(name, _)| *name == column.name) {
            differences.push(Difference::Unknown {
                column: column.name.clone(),
                declared: column.declared.clone(),
            });
        }
    }
    differences
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    static PEOPLE: Table = Table {
        name: "people",
        key: Key::Text,
        columns: &[
            Column::new("lastname", ColumnType::Text),
            Column::new("age", ColumnType::Integer),
            Column::new("nickname", ColumnType::Text),
        ],
        indexes: &[],
    };

    fn database(ddl: &str) -> Connection {
        let conn = Connection::open_in_memory().expect("memory database");
        conn.execute_batch(ddl).expect("ddl");
        conn
    }

    #[test]
    fn a_database_made_by_the_ddl_matches_and_a_missing_table_is_no_difference() {
        let conn = database(&super::super::ddl::create(&PEOPLE));
        assert_eq!(check(&conn, &[&PEOPLE]).unwrap(), Ok(()));
        let empty = database("");
        assert_eq!(check(&empty, &[&PEOPLE]).unwrap(), Ok(()));
    }

    #[test]
    fn missing_unknown_and_retyped_columns_are_named_with_the_sql_that_adds_the_new_ones() {
        let conn = database(
            "CREATE TABLE people (_id TEXT PRIMARY KEY NOT NULL, lastname TEXT, \
             age TEXT, email TEXT, _created INTEGER NOT NULL, _updated INTEGER NOT NULL, \
             _etag TEXT NOT NULL)",
        );
        let mismatch = check(&conn, &[&PEOPLE]).unwrap().unwrap_err();
        assert_eq!(
            mismatch.tables,
            [(
                "people",
                vec![
                    Difference::Retyped {
                        column: "age",
                        declared: "TEXT".into(),
                        expected: "INTEGER"
                    },
                    Difference::Missing {
                        column: "nickname",
                        ty: ColumnType::Text
                    },
                    Difference::Unknown {
                        column: "email".into(),
                        declared: "TEXT".into()
                    },
                ]
            )]
        );
        let message = mismatch.to_string();
        assert!(
            message.contains("table \"people\" has no column \"nickname\" (text)"),
            "{message}"
        );
        assert!(
            message.contains("ALTER TABLE \"people\" ADD COLUMN \"nickname\" TEXT;"),
            "{message}"
        );
        assert!(
            message.contains("\"email\" (TEXT) the server does not know"),
            "{message}"
        );
        assert!(
            message.contains("\"age\" is TEXT, the server stores INTEGER"),
            "{message}"
        );
    }
}
