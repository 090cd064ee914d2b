//! The schema as SQLite DDL: a `CREATE TABLE IF NOT EXISTS` per table and a
//! `CREATE [UNIQUE] INDEX IF NOT EXISTS` per index, run when the database opens.

use super::quote;
use crate::schema::{ColumnType, Index, Key, Order, Table, KEY, META};

/// The column type SQLite stores a value of `ty` as.
pub fn column_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Text | ColumnType::Json => "TEXT",
        // Booleans are 0 and 1, datetimes epoch seconds.
        ColumnType::Integer | ColumnType::Boolean | ColumnType::Datetime => "INTEGER",
        ColumnType::Real => "REAL",
        ColumnType::Blob => "BLOB",
    }
}

/// The statements that create `table` and its indexes when missing, `;`-terminated,
/// one a line.
pub fn create(table: &Table) -> String {
    let key = match table.key {
        // An alias of the rowid: a row inserted without `_id` is numbered, and
        // AUTOINCREMENT never reuses the number of a deleted one.
        Key::Integer => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Key::Text => "TEXT PRIMARY KEY NOT NULL",
    };
    let mut columns = vec![format!("{} {key}", quote(KEY))];
    for column in table.columns {
        columns.push(format!("{} {}", quote(column.name), column_type(column.ty)));
    }
    for column in &META {
        columns.push(format!(
            "{} {} NOT NULL",
            quote(column.name),
            column_type(column.ty)
        ));
    }
    let mut sql = format!(
        "CREATE TABLE IF NOT EXISTS {} ({});",
        quote(table.name),
        columns.join(", ")
    );
    for index in table.indexes {
        sql.push('\n');
        sql.push_str(&create_index(table.name, index));
    }
    sql
}

/// The statement that creates `index` on `table` when missing, `;`-terminated.
pub fn create_index(table: &str, index: &Index) -> String {
    let columns: Vec<String> = index
        .columns
        .iter()
        .map(|(name, order)| match order {
            Order::Ascending => quote(name),
            Order::Descending => format!("{} DESC", quote(name)),
        })
        .collect();
    format!(
        "CREATE {}INDEX IF NOT EXISTS {} ON {} ({});",
        if index.unique { "UNIQUE " } else { "" },
        quote(index.name),
        quote(table),
        columns.join(", ")
    )
}

/// The DDL of every table, in order.
pub fn create_all(tables: &[&Table]) -> String {
    tables
        .iter()
        .map(|table| create(table))
        .collect::<Vec<_>>()
        .join("\n")
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
            Column::new("born", ColumnType::Datetime),
            Column::new("score", ColumnType::Real),
            Column::new("location", ColumnType::Json),
        ],
        indexes: &[
            Index {
                name: "people_lastname_unique",
                columns: &[("lastname", Order::Ascending)],
                unique: true,
            },
            Index {
                name: "people_by_name_age",
                columns: &[("lastname", Order::Ascending), ("age", Order::Descending)],
                unique: false,
            },
        ],
    };

    static ORDER: Table = Table {
        name: "order",
        key: Key::Integer,
        columns: &[Column::new("select", ColumnType::Boolean)],
        indexes: &[],
    };

    #[test]
    fn tables_and_indexes() {
        assert_eq!(
            create(&PEOPLE),
            "CREATE TABLE IF NOT EXISTS \"people\" (\"_id\" TEXT PRIMARY KEY NOT NULL, \
             \"lastname\" TEXT, \"age\" INTEGER, \"born\" INTEGER, \"score\" REAL, \
             \"location\" TEXT, \"_created\" INTEGER NOT NULL, \"_updated\" INTEGER NOT NULL, \
             \"_etag\" TEXT NOT NULL);\n\
             CREATE UNIQUE INDEX IF NOT EXISTS \"people_lastname_unique\" ON \"people\" (\"lastname\");\n\
             CREATE INDEX IF NOT EXISTS \"people_by_name_age\" ON \"people\" (\"lastname\", \"age\" DESC);"
        );
        assert_eq!(
            create(&ORDER),
            "CREATE TABLE IF NOT EXISTS \"order\" (\"_id\" INTEGER PRIMARY KEY AUTOINCREMENT, \
             \"select\" INTEGER, \"_created\" INTEGER NOT NULL, \"_updated\" INTEGER NOT NULL, \
             \"_etag\" TEXT NOT NULL);"
        );
    }

    #[test]
    fn the_ddl_runs_twice() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let ddl = create_all(&[&PEOPLE, &ORDER]);
        conn.execute_batch(&ddl).unwrap();
        conn.execute_batch(&ddl).unwrap();
        let indexes: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'people' \
                 AND name LIKE 'people_%'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(indexes, 2);
    }
}
