//! The SQL of each resource, written out with its real columns.
//!
//! Every identifier is quoted, so resources and fields named like SQL keywords
//! (`order`, `select`) work. Column order is `_id`, the spec's fields, `_created`,
//! `_updated`, `_etag`: the order the document struct reads and serializes them.

use crate::model::{IdType, Resource};

/// An SQL identifier, quoted.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Resource {
    fn columns(&self) -> Vec<String> {
        let mut columns = vec![quote("_id")];
        columns.extend(self.fields.iter().map(|f| quote(&f.name)));
        columns.extend(["_created", "_updated", "_etag"].map(quote));
        columns
    }

    pub fn sql_select(&self) -> String {
        format!(
            "SELECT {} FROM {}",
            self.columns().join(", "),
            quote(&self.table)
        )
    }

    pub fn sql_count(&self) -> String {
        format!("SELECT count(*) FROM {}", quote(&self.table))
    }

    pub fn sql_select_by_id(&self) -> String {
        format!(
            "{} WHERE \"_id\" = ?{}",
            self.sql_select(),
            self.and_filter()
        )
    }

    /// `additional_lookup`: the document whose lookup field holds a value.
    pub fn sql_select_by_lookup(&self) -> String {
        match &self.lookup {
            Some(lookup) => format!("{} WHERE {} = ?", self.sql_select(), quote(&lookup.field)),
            None => String::new(),
        }
    }

    pub fn sql_select_etag(&self) -> String {
        format!(
            "SELECT \"_etag\" FROM {} WHERE \"_id\" = ?{}",
            quote(&self.table),
            self.and_filter()
        )
    }

    /// ` AND (<datasource filter>)`, or nothing: item statements see only the
    /// documents the resource exposes.
    fn and_filter(&self) -> String {
        self.datasource
            .filter_sql
            .as_ref()
            .map_or_else(String::new, |sql| format!(" AND ({sql})"))
    }

    /// Meta columns first, then fields in catalog order (as `store::column_values`).
    pub fn sql_insert(&self) -> String {
        let mut columns: Vec<String> = ["_id", "_created", "_updated", "_etag"].map(quote).to_vec();
        columns.extend(self.fields.iter().map(|f| quote(&f.name)));
        let marks = vec!["?"; columns.len()].join(", ");
        format!(
            "INSERT INTO {} ({}) VALUES ({marks})",
            quote(&self.table),
            columns.join(", ")
        )
    }

    pub fn sql_delete_by_id(&self) -> String {
        format!(
            "DELETE FROM {} WHERE \"_id\" = ?{}",
            quote(&self.table),
            self.and_filter()
        )
    }

    pub fn sql_delete_all(&self) -> String {
        match &self.datasource.filter_sql {
            Some(sql) => format!("DELETE FROM {} WHERE ({sql})", quote(&self.table)),
            None => format!("DELETE FROM {}", quote(&self.table)),
        }
    }

    /// `CREATE TABLE` and the indexes `unique` fields need; nothing for a resource
    /// that serves another resource's table (`datasource.source`).
    pub fn sql_schema(&self) -> String {
        if self.datasource.source.is_some() {
            return String::new();
        }
        let id = match self.id_type {
            // An alias of the rowid: a document inserted without `_id` is numbered.
            IdType::Integer => "INTEGER PRIMARY KEY AUTOINCREMENT",
            IdType::ObjectId | IdType::Uuid => "TEXT PRIMARY KEY NOT NULL",
        };
        let mut columns = vec![format!("{} {id}", quote("_id"))];
        for field in &self.fields {
            columns.push(format!("{} {}", quote(&field.name), field.kind.sql_type()));
        }
        columns.push(format!("{} INTEGER NOT NULL", quote("_created")));
        columns.push(format!("{} INTEGER NOT NULL", quote("_updated")));
        columns.push(format!("{} TEXT NOT NULL", quote("_etag")));
        let mut sql = format!(
            "CREATE TABLE IF NOT EXISTS {} ({});",
            quote(&self.table),
            columns.join(", ")
        );
        for field in self.fields.iter().filter(|f| f.unique) {
            sql.push_str(&format!(
                "\nCREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({});",
                quote(&format!("{}_{}_unique", self.table, field.name)),
                quote(&self.table),
                quote(&field.name)
            ));
        }
        sql
    }
}
