//! The store operations (`store::Read`, `store::Write`) on SQLite: rusqlite's
//! `Connection` reads, its `Transaction` writes. Every statement is one of the
//! resource's (`statements`), or assembled here from them and a compiled `where` and
//! `sort` (`filter`); `prepare_cached` keeps each prepared once per connection.

use rusqlite::types::Value as Sql;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Transaction};
use serde_json::{Map, Value};

use super::filter::{compile_sort, compile_where, near_order};
use super::statements::statements;
use super::values::{column_value, column_values, id_value, path_value, reference_value, to_sql};
use super::{is_unique_violation, quote};
use crate::catalog::{Field, Relation};
use crate::error::ApiError;
use crate::resource::{Resource, ResourceInfo};
use crate::routes::Scope;
use crate::store::{
    Inserted, ItemKey, NewDocument, Read, RowKey, Selection, Window, Write, Written,
};

/// References bound in one `IN (...)` query, well below SQLite's parameter limit.
const CHUNK: usize = 500;

/// A sub-resource's path values, bound after the datasource filter's, then the
/// owner's (`auth_field`): the caller's user, or NULL, twice (`statements`).
pub(crate) fn path_values(scope: &Scope) -> Vec<Sql> {
    let mut values: Vec<Sql> = scope.values.iter().map(|(_, v)| path_value(v)).collect();
    if let Some((_, user)) = &scope.owner {
        let user = user
            .as_ref()
            .map_or(Sql::Null, |user| Sql::Text(user.clone()));
        values.push(user.clone());
        values.push(user);
    }
    values
}

/// A page's statements: the count of every match, and the page query, with the values
/// both bind (the count binds only the first `count_values` of them).
struct PageQuery {
    count: String,
    count_values: usize,
    select: String,
    values: Vec<Sql>,
}

/// The count and page statements of `selection` on `info`'s table.
fn page_query(
    info: &'static ResourceInfo,
    selection: &Selection<'_>,
) -> Result<PageQuery, ApiError> {
    let s = statements(info)?;
    let mut condition = String::new();
    let mut values: Vec<Sql> = s.filter_values.clone();
    values.extend(path_values(selection.scope));
    if !s.list_condition.is_empty() {
        condition.push_str(" WHERE ");
        condition.push_str(&s.list_condition);
    }
    if selection.hide_deleted {
        condition.push_str(if condition.is_empty() {
            " WHERE "
        } else {
            " AND "
        });
        condition.push_str(super::LIVE);
    }
    let mut near = None;
    if let Some(filter) = selection.filter {
        // A client's filter only narrows the fixed ones (datasource, path): its
        // `$or` must not reach past them.
        if condition.is_empty() {
            condition.push_str(" WHERE ");
            compile_where(filter, &mut condition, &mut values);
        } else {
            condition.push_str(" AND (");
            compile_where(filter, &mut condition, &mut values);
            condition.push(')');
        }
        near = near_order(filter);
    }
    let count = format!("{}{condition}", s.count);
    let count_values = values.len();

    let mut order = String::from(" ORDER BY ");
    if !selection.sort.is_empty() {
        compile_sort(selection.sort, &mut order);
        order.push_str(", ");
    } else if let Some((distance, near_values)) = near {
        // `$near` answers nearest first, unless the client sorts (as in MongoDB).
        order.push_str(&distance);
        order.push_str(", ");
        values.extend(near_values);
    }
    // Ties (and unsorted lists) keep insertion order, so pages never overlap. The
    // page size is a literal, not a parameter: SQLite (with STAT4) re-plans a
    // cached statement every time a LIMIT parameter is bound, which costs more
    // than the query. It is a validated integer no larger than the resource's cap.
    order.push_str("\"rowid\"");
    // Without pagination every document is served: no LIMIT, no OFFSET.
    if let Some((max_results, page)) = selection.page {
        order.push_str(" LIMIT ");
        order.push_str(&max_results.to_string());
        order.push_str(" OFFSET ?");
        let offset = i64::from(page.saturating_sub(1)) * i64::from(max_results);
        values.push(Sql::Integer(offset));
    }
    Ok(PageQuery {
        count,
        count_values,
        select: format!("{}{condition}{order}", s.select),
        values,
    })
}

/// `selection` with every page: `Read::count` and `Read::find` page by themselves.
fn unpaged<'a>(selection: &Selection<'a>) -> Selection<'a> {
    Selection {
        page: None,
        ..*selection
    }
}

/// Run `work` (a page's count and its rows) in one read transaction: the total and
/// the page then come from the same snapshot even while others write, and the
/// database's shared lock is taken once instead of once per statement. Inside an open
/// transaction (a write's) it already is one snapshot.
pub(crate) fn one_snapshot<T>(
    conn: &Connection,
    work: impl FnOnce() -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    if !conn.is_autocommit() {
        return work();
    }
    conn.prepare_cached("BEGIN")?.execute([])?;
    let result = work();
    // A read transaction has nothing to commit; ending it cannot lose anything. It
    // must end: the connection serves the next read, which would see this snapshot.
    let end = conn
        .prepare_cached("COMMIT")
        .and_then(|mut s| s.execute([]));
    if end.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    let value = result?;
    end?;
    Ok(value)
}

/// Write the rows of `query` as they are read (`Read::list_written`); the total.
fn write_page<R: Resource>(
    conn: &Connection,
    query: &PageQuery,
    out: &mut Vec<u8>,
    each: &mut dyn FnMut(&mut Vec<u8>, Written<'_>),
) -> Result<i64, ApiError> {
    let total = conn.prepare_cached(&query.count)?.query_row(
        params_from_iter(&query.values[..query.count_values]),
        |row| row.get(0),
    )?;
    let mut statement = conn.prepare_cached(&query.select)?;
    let mut rows = statement.query(params_from_iter(query.values.iter()))?;
    let mut first = true;
    while let Some(row) = rows.next()? {
        if !first {
            out.push(b',');
        }
        first = false;
        let meta = R::write_row(row, out)?;
        // A text key is borrowed; only an integer one is written out.
        let number;
        let id = match meta.key {
            RowKey::Text(text) => text,
            RowKey::Integer(key) => {
                number = key.to_string();
                number.as_str()
            }
        };
        each(
            out,
            Written {
                id,
                etag: meta.etag,
                updated: meta.updated,
            },
        );
    }
    Ok(total)
}

impl Read for Connection {
    fn count(
        &self,
        info: &'static ResourceInfo,
        selection: &Selection<'_>,
    ) -> Result<i64, ApiError> {
        let query = page_query(info, &unpaged(selection))?;
        Ok(self.prepare_cached(&query.count)?.query_row(
            params_from_iter(&query.values[..query.count_values]),
            |row| row.get(0),
        )?)
    }

    fn find<R: Resource>(
        &self,
        info: &'static ResourceInfo,
        selection: &Selection<'_>,
        window: Window,
    ) -> Result<Vec<R>, ApiError> {
        let query = page_query(info, &unpaged(selection))?;
        // Literals, as a page's size is (see `page_query`): integers made here. SQLite
        // reads a negative LIMIT as none; both are at most i64::MAX.
        let limit = window
            .limit
            .map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX));
        let skip = i64::try_from(window.skip).unwrap_or(i64::MAX);
        let sql = format!("{} LIMIT {limit} OFFSET {skip}", query.select);
        let documents = self
            .prepare_cached(&sql)?
            .query_map(params_from_iter(query.values.iter()), |row| {
                R::from_row(row)
            })?
            .collect::<rusqlite::Result<Vec<R>>>()?;
        Ok(documents)
    }

    fn list<R: Resource>(
        &self,
        info: &'static ResourceInfo,
        selection: &Selection<'_>,
    ) -> Result<(i64, Vec<R>), ApiError> {
        let query = page_query(info, selection)?;
        one_snapshot(self, || {
            let total = self.prepare_cached(&query.count)?.query_row(
                params_from_iter(&query.values[..query.count_values]),
                |row| row.get(0),
            )?;
            let documents = self
                .prepare_cached(&query.select)?
                .query_map(params_from_iter(query.values.iter()), |row| {
                    R::from_row(row)
                })?
                .collect::<rusqlite::Result<Vec<R>>>()?;
            Ok((total, documents))
        })
    }

    fn list_written<R: Resource>(
        &self,
        info: &'static ResourceInfo,
        selection: &Selection<'_>,
        out: &mut Vec<u8>,
        each: &mut dyn FnMut(&mut Vec<u8>, Written<'_>),
    ) -> Result<i64, ApiError> {
        let query = page_query(info, selection)?;
        one_snapshot(self, || write_page::<R>(self, &query, out, each))
    }

    fn get<R: Resource>(
        &self,
        info: &'static ResourceInfo,
        key: ItemKey<'_>,
        scope: &Scope,
    ) -> Result<Option<R>, ApiError> {
        let s = statements(info)?;
        let (sql, first) = match key {
            ItemKey::Id(id) => (s.select_by_id.as_str(), id_value(info.id_type, id)),
            ItemKey::Lookup(value) => match &s.select_by_lookup {
                Some(sql) => (sql.as_str(), Sql::Text(value.to_string())),
                None => return Ok(None),
            },
        };
        let path = path_values(scope);
        let values = std::iter::once(&first).chain(&s.filter_values).chain(&path);
        Ok(self
            .prepare_cached(sql)?
            .query_row(params_from_iter(values), |row| R::from_row(row))
            .optional()?)
    }

    fn find_in<R: Resource>(
        &self,
        field: &str,
        values: &[Value],
        owner: Option<(&str, &str)>,
    ) -> Result<Vec<R>, ApiError> {
        let s = statements(R::INFO)?;
        let bindable: Vec<Sql> = values.iter().filter_map(reference_value).collect();
        let (mine, user) = match owner {
            Some((auth_field, user)) => (
                format!(" AND {} = ?", quote(auth_field)),
                vec![Sql::Text(user.to_string())],
            ),
            None => (String::new(), Vec::new()),
        };
        let mut found = Vec::new();
        for chunk in bindable.chunks(CHUNK) {
            let marks = vec!["?"; chunk.len()].join(",");
            // Through the target's datasource, as Eve reads it: its fixed filter hides
            // documents (their references embed as `null`).
            let sql = format!(
                "{} WHERE {} IN ({marks}){}{mine}",
                s.select,
                quote(field),
                s.and_filter
            );
            let mut statement = self.prepare(&sql)?;
            let rows = statement.query_map(
                params_from_iter(chunk.iter().chain(&s.filter_values).chain(&user)),
                |row| R::from_row(row),
            )?;
            for row in rows {
                found.push(row?);
            }
        }
        Ok(found)
    }
}

impl Read for Transaction<'_> {
    fn count(
        &self,
        info: &'static ResourceInfo,
        selection: &Selection<'_>,
    ) -> Result<i64, ApiError> {
        (**self).count(info, selection)
    }

    fn find<R: Resource>(
        &self,
        info: &'static ResourceInfo,
        selection: &Selection<'_>,
        window: Window,
    ) -> Result<Vec<R>, ApiError> {
        (**self).find(info, selection, window)
    }

    fn list<R: Resource>(
        &self,
        info: &'static ResourceInfo,
        selection: &Selection<'_>,
    ) -> Result<(i64, Vec<R>), ApiError> {
        (**self).list(info, selection)
    }

    fn list_written<R: Resource>(
        &self,
        info: &'static ResourceInfo,
        selection: &Selection<'_>,
        out: &mut Vec<u8>,
        each: &mut dyn FnMut(&mut Vec<u8>, Written<'_>),
    ) -> Result<i64, ApiError> {
        (**self).list_written::<R>(info, selection, out, each)
    }

    fn get<R: Resource>(
        &self,
        info: &'static ResourceInfo,
        key: ItemKey<'_>,
        scope: &Scope,
    ) -> Result<Option<R>, ApiError> {
        (**self).get(info, key, scope)
    }

    fn find_in<R: Resource>(
        &self,
        field: &str,
        values: &[Value],
        owner: Option<(&str, &str)>,
    ) -> Result<Vec<R>, ApiError> {
        (**self).find_in(field, values, owner)
    }
}

impl Write for Transaction<'_> {
    fn atomically<T>(&self, work: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
        self.prepare_cached("SAVEPOINT apigen_step")?.execute([])?;
        match work() {
            Ok(value) => {
                self.prepare_cached("RELEASE apigen_step")?.execute([])?;
                Ok(value)
            }
            Err(error) => {
                // Undone, then forgotten: the transaction is as it was before `work`.
                self.prepare_cached("ROLLBACK TO apigen_step")?
                    .execute([])?;
                self.prepare_cached("RELEASE apigen_step")?.execute([])?;
                Err(error)
            }
        }
    }

    fn etag(
        &self,
        info: &'static ResourceInfo,
        id: &str,
        scope: &Scope,
    ) -> Result<Option<String>, ApiError> {
        let s = statements(info)?;
        let first = id_value(info.id_type, id);
        let path = path_values(scope);
        let values = std::iter::once(&first).chain(&s.filter_values).chain(&path);
        Ok(self
            .prepare_cached(&s.select_etag)?
            .query_row(params_from_iter(values), |row| row.get(0))
            .optional()?)
    }

    fn insert(
        &self,
        info: &'static ResourceInfo,
        document: NewDocument<'_>,
    ) -> Result<Inserted, ApiError> {
        let s = statements(info)?;
        let mut values = Vec::with_capacity(4 + info.fields.len());
        values.push(
            document
                .id
                .map_or(Sql::Null, |id| id_value(info.id_type, id)),
        );
        values.push(Sql::Integer(document.created));
        values.push(Sql::Integer(document.updated));
        values.push(Sql::Text(document.etag.to_string()));
        values.extend(column_values(info.fields, document.fields));
        match self
            .prepare_cached(&s.insert)?
            .execute(params_from_iter(values))
        {
            // Integer ids left out are numbered by the database.
            Ok(_) => Ok(Inserted::Id(document.id.map_or_else(
                || self.last_insert_rowid().to_string(),
                str::to_string,
            ))),
            Err(error) if is_unique_violation(&error) => Ok(Inserted::Duplicate),
            Err(error) => Err(error.into()),
        }
    }

    fn update(
        &self,
        info: &'static ResourceInfo,
        document: &Map<String, Value>,
        original: &Map<String, Value>,
        (updated, etag, id): (i64, &str, &str),
    ) -> Result<(), ApiError> {
        // One statement per set of changed columns, cached by SQLite's statement cache.
        let mut sql = format!(
            "UPDATE {} SET \"_updated\" = ?, \"_etag\" = ?",
            quote(info.table.name)
        );
        let mut values = vec![Sql::Integer(updated), Sql::Text(etag.to_string())];
        for field in info.fields {
            if document.get(field.name) == original.get(field.name) {
                continue;
            }
            sql.push_str(", ");
            sql.push_str(&quote(field.name));
            sql.push_str(" = ?");
            values.push(column_value(field, document));
        }
        sql.push_str(" WHERE \"_id\" = ?");
        values.push(Sql::Text(id.to_string()));
        self.prepare_cached(&sql)?
            .execute(params_from_iter(values))?;
        Ok(())
    }

    fn delete(&self, info: &'static ResourceInfo, id: &str) -> Result<(), ApiError> {
        let s = statements(info)?;
        let first = id_value(info.id_type, id);
        self.prepare_cached(&s.delete_by_id)?
            .execute(params_from_iter(
                std::iter::once(&first).chain(&s.filter_values),
            ))?;
        Ok(())
    }

    fn delete_all(&self, info: &'static ResourceInfo, scope: &Scope) -> Result<(), ApiError> {
        let s = statements(info)?;
        let path = path_values(scope);
        self.prepare_cached(&s.delete_all)?
            .execute(params_from_iter(s.filter_values.iter().chain(&path)))?;
        Ok(())
    }

    fn is_taken(
        &self,
        info: &'static ResourceInfo,
        field: &Field,
        value: &Value,
        own_id: &str,
    ) -> Result<bool, ApiError> {
        let s = statements(info)?;
        let Some((_, sql)) = s.unique.iter().find(|(name, _)| *name == field.name) else {
            return Ok(false);
        };
        Ok(self
            .prepare_cached(sql)?
            .query_row(rusqlite::params![to_sql(field, value), own_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn related_exists(&self, relation: &Relation, value: &Value) -> Result<bool, ApiError> {
        let s = statements(relation.target)?;
        let key = match value {
            Value::String(text) => Sql::Text(text.clone()),
            Value::Number(n) => n.as_i64().map_or(Sql::Null, Sql::Integer),
            _ => return Ok(false),
        };
        let Some(sql) = s.exists(relation.field) else {
            return Err(ApiError::internal(format!(
                "resource '{}' has no unique field '{}' to relate to",
                relation.target.name, relation.field
            )));
        };
        Ok(self
            .prepare_cached(sql)?
            .query_row(
                params_from_iter(std::iter::once(&key).chain(&s.filter_values)),
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn is_visible(&self, info: &'static ResourceInfo, id: &str) -> Result<bool, ApiError> {
        let s = statements(info)?;
        let Some(sql) = &s.visible else {
            return Ok(true);
        };
        Ok(self
            .prepare_cached(sql)?
            .query_row(
                params_from_iter(
                    std::iter::once(&Sql::Text(id.to_string())).chain(&s.filter_values),
                ),
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}
