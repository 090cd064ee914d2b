//! A versioned resource's history on SQLite (`versioning::History`): its versions
//! table holds a copy of each version of a document, made from the document's row by
//! `INSERT ... SELECT` in the write's transaction, so a version is exactly what was
//! stored, and no value passes through the server on the way.
//!
//! The versions table (`<table>_versions`) is the resource's table with `_id_document`
//! (the document's `_id`) in place of the key, its own integer key, and a unique
//! index on `(_id_document, _version)`. Read in the resource's column order, with
//! `_id_document` first, a version is a row `Resource::from_row` reads as a document.

use rusqlite::types::Value as Sql;
use rusqlite::{params_from_iter, Connection, OptionalExtension};

use super::quote;
use super::statements::statements;
use super::values::id_value;
use crate::error::ApiError;
use crate::resource::{Resource, ResourceInfo};
use crate::schema::{KEY, META};
use crate::versioning::{History, VERSION};

/// A versioned resource's statements on its versions table.
#[derive(Debug)]
pub struct HistoryStatements {
    /// Copy the document (`_id = ?`) into the versions table.
    save: String,
    /// The same, unless that version is there already.
    save_missing: String,
    /// Forget the versions of one document.
    forget: String,
    /// Forget the versions of documents no longer in the table.
    forget_orphans: String,
    /// One version: `_id_document = ? AND _version = ?`.
    select_version: String,
    /// How many versions a document has.
    count: String,
    /// A document's versions, oldest first: `LIMIT ? OFFSET ?`.
    select_versions: String,
}

impl HistoryStatements {
    /// The statements of `info`'s versions table, if it has one.
    pub fn build(info: &ResourceInfo) -> Option<HistoryStatements> {
        let versioning = info.versioning?;
        let versions = versioning.table;
        let table = quote(info.table.name);
        let history = quote(versions.name);
        let document_id = versions.columns.first()?.name;
        let fields = || versions.columns[1..].iter().map(|c| c.name);
        let meta = || META.iter().map(|c| quote(c.name));
        let copied: Vec<String> = std::iter::once(quote(document_id))
            .chain(fields().map(quote))
            .chain(meta())
            .collect();
        // An unversioned field is not kept: its column stays NULL, so every version
        // is read in the same column order, and is served with the current value.
        let source: Vec<String> = std::iter::once(quote(KEY))
            .chain(
                fields().map(|name| match versioning.unversioned.contains(&name) {
                    true => "NULL".to_string(),
                    false => quote(name),
                }),
            )
            .chain(meta())
            .collect();
        let copy = |verb: &str| {
            format!(
                "{verb} INTO {history} ({}) SELECT {} FROM {table} WHERE {} = ?",
                copied.join(", "),
                source.join(", "),
                quote(KEY)
            )
        };
        let select = format!("SELECT {} FROM {history}", copied.join(", "));
        let by_document = format!(" WHERE {} = ?", quote(document_id));
        Some(HistoryStatements {
            save: copy("INSERT"),
            // The unique index on (_id_document, _version) makes it a no-op when there.
            save_missing: copy("INSERT OR IGNORE"),
            forget: format!("DELETE FROM {history}{by_document}"),
            forget_orphans: format!(
                "DELETE FROM {history} WHERE {} NOT IN (SELECT {} FROM {table})",
                quote(document_id),
                quote(KEY)
            ),
            select_version: format!("{select}{by_document} AND {} = ?", quote(VERSION)),
            count: format!("SELECT count(*) FROM {history}{by_document}"),
            select_versions: format!(
                "{select}{by_document} ORDER BY {} LIMIT ? OFFSET ?",
                quote(VERSION)
            ),
        })
    }
}

/// The history statements of `info`; an internal error for a resource without
/// versioning (the handlers never ask then).
fn history(info: &'static ResourceInfo) -> Result<&'static HistoryStatements, ApiError> {
    statements(info)?
        .history
        .as_ref()
        .ok_or_else(|| ApiError::internal(format!("resource '{}' is not versioned", info.name)))
}

impl History for Connection {
    fn save_version(
        &self,
        info: &'static ResourceInfo,
        id: &str,
        if_missing: bool,
    ) -> Result<(), ApiError> {
        let s = history(info)?;
        let sql = if if_missing { &s.save_missing } else { &s.save };
        self.prepare_cached(sql)?
            .execute([id_value(info.id_type, id)])?;
        Ok(())
    }

    fn forget_versions(
        &self,
        info: &'static ResourceInfo,
        id: Option<&str>,
    ) -> Result<(), ApiError> {
        let s = history(info)?;
        match id {
            Some(id) => self
                .prepare_cached(&s.forget)?
                .execute([id_value(info.id_type, id)])?,
            None => self.prepare_cached(&s.forget_orphans)?.execute([])?,
        };
        Ok(())
    }

    fn version<R: Resource>(&self, id: &str, version: i64) -> Result<Option<R>, ApiError> {
        let s = history(R::INFO)?;
        let values = [id_value(R::INFO.id_type, id), Sql::Integer(version)];
        Ok(self
            .prepare_cached(&s.select_version)?
            .query_row(params_from_iter(values), |row| R::from_row(row))
            .optional()?)
    }

    fn versions<R: Resource>(
        &self,
        id: &str,
        offset: u64,
        limit: Option<u32>,
    ) -> Result<(i64, Vec<R>), ApiError> {
        let s = history(R::INFO)?;
        let key = id_value(R::INFO.id_type, id);
        let total = self
            .prepare_cached(&s.count)?
            .query_row([&key], |row| row.get(0))?;
        let values = [
            key,
            Sql::Integer(limit.map_or(-1, i64::from)),
            Sql::Integer(i64::try_from(offset).unwrap_or(i64::MAX)),
        ];
        let versions = self
            .prepare_cached(&s.select_versions)?
            .query_map(params_from_iter(values), |row| R::from_row(row))?
            .collect::<rusqlite::Result<Vec<R>>>()?;
        Ok((total, versions))
    }
}
