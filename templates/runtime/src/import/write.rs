//! Rows into the database: checked as they arrive (cells read, rules of a POST), then
//! written in batches by the handlers' own database parts.
//!
//! `on_error=skip`: each batch is written in its own transaction as soon as it is
//! full; a rejected row is reported and the others stay.
//!
//! `on_error=abort`: all or nothing, so the whole import is one transaction. Holding
//! the write lock while a client uploads would let one slow upload stall every other
//! writer, so the checked rows are spooled to an unnamed temporary file as they
//! arrive, and the transaction runs once the body is in. Rows the database refuses
//! (`unique`, `data_relation`) are found in that transaction; every row is tried even
//! after one failed, so the report names them all, and the transaction is then
//! rolled back.

use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write as _};

use serde_json::{Map, Value};

use super::cells::Header;
use super::{row_issue, Mode, OnError, Options, Report, Source};
use crate::db::Writer;
use crate::error::ApiError;
use crate::handlers::{self, ItemWrite};
use crate::oplog::{self, Client};
use crate::resource::{Resource, ResourceInfo};
use crate::routes::Scope;
use crate::state::AppState;
use crate::store::{self, Inserted, NewDocument, Read as _, Selection, Write as _};
use crate::validate::Issues;
use crate::{date, etag, lifecycle, media, options, versioning};

/// A new document's row: its number, its `_id` (when chosen or made) and its
/// validated fields.
type NewRow = (u64, Option<String>, Map<String, Value>);

/// A row checked and ready for the database.
enum Ready {
    /// A new document: its `_id` (when chosen or made) and its validated fields.
    Insert(u64, Option<String>, Map<String, Value>),
    /// An upsert: the row's cells as a document, validated once its key is looked up.
    Upsert(u64, Map<String, Value>),
}

/// Import `source` into `R` as `client` within `scope`, as `options` say; `progress`
/// is told after each batch. The report; `Err` only for what is not a row's fault
/// (a malformed body, an unknown column, a database failure).
pub async fn run<R: Resource>(
    state: &AppState,
    scope: &Scope,
    client: &Client,
    options: &Options,
    mut source: Source,
    progress: &mut (dyn FnMut(&Report) + Send),
) -> Result<Report, ApiError> {
    let info = R::INFO;
    let batch_size = info.import.map_or(1000, |i| i.batch.max(1));
    let Some((_, header)) = source.next_row().await? else {
        return Err(ApiError::bad_request(
            "The table is empty: its first row must name the columns",
        ));
    };
    let header = Header::read(info, header)?;
    let mut report = Report::default();
    let mut batch: Vec<Ready> = Vec::with_capacity(batch_size);
    let mut spool = match options.on_error {
        OnError::Abort => Some(Spool::new()?),
        OnError::Skip => None,
    };
    let mut started = false;
    while let Some((row, cells)) = source.next_row().await? {
        report.rows += 1;
        let ready = match header.document(cells) {
            Err(issues) => Err(issues),
            Ok(document) => check(info, scope, options, row, document),
        };
        match ready {
            Err(issues) => report.reject(row, issues),
            Ok(ready) => match spool.as_mut() {
                Some(spool) => spool.push(&ready)?,
                None => batch.push(ready),
            },
        }
        if batch.len() >= batch_size {
            let rows = std::mem::take(&mut batch);
            let first = !std::mem::replace(&mut started, true);
            let report_now = &mut report;
            state
                .db
                .write_long(|tx| {
                    if first {
                        begin::<R>(state, tx, scope, client, options, report_now)?;
                    }
                    write_batch::<R>(state, tx, scope, client, options, rows, report_now)
                })
                .await?;
        }
        if report.rows % batch_size as u64 == 0 {
            progress(&report);
        }
    }
    match spool {
        None => {
            let rows = std::mem::take(&mut batch);
            let first = !started;
            let report_now = &mut report;
            state
                .db
                .write_long(|tx| {
                    if first {
                        begin::<R>(state, tx, scope, client, options, report_now)?;
                    }
                    write_batch::<R>(state, tx, scope, client, options, rows, report_now)?;
                    state.hooks.after_import(info.name, report_now, tx)
                })
                .await?;
        }
        // Rows already rejected still go through the database's checks (`unique`,
        // `data_relation`), so the report names every bad row at once; the
        // transaction is then rolled back.
        Some(spool) => {
            let report_now = &mut report;
            let written = state
                .db
                .write_long(|tx| {
                    begin::<R>(state, tx, scope, client, options, report_now)?;
                    let mut rows = spool.into_rows()?;
                    loop {
                        let next: Vec<Ready> =
                            rows.by_ref().take(batch_size).collect::<Result<_, _>>()?;
                        if next.is_empty() {
                            break;
                        }
                        write_batch::<R>(state, tx, scope, client, options, next, report_now)?;
                        progress(report_now);
                    }
                    if report_now.rejected > 0 {
                        // Roll the whole import back; the report says why.
                        return Err(ApiError::new(
                            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                            "rolled back",
                        ));
                    }
                    state.hooks.after_import(info.name, report_now, tx)
                })
                .await;
            match written {
                Ok(()) => {}
                Err(_) if report.rejected > 0 => {
                    report.inserted = 0;
                    report.updated = 0;
                    report.replaced = 0;
                    report.rejects.sort_by_key(|(row, _)| *row);
                    return Ok(report);
                }
                Err(error) => return Err(error),
            }
        }
    }
    report.rejects.sort_by_key(|(row, _)| *row);
    progress(&report);
    state.hooks.on_imported(info.name, &report);
    Ok(report)
}

/// A row's document checked before the database is touched: for an insert, the rules
/// of a POST (defaults filled); for an upsert, that it has its key.
fn check(
    info: &'static ResourceInfo,
    scope: &Scope,
    options: &Options,
    row: u64,
    document: Map<String, Value>,
) -> Result<Ready, Issues> {
    match options.mode {
        Mode::Insert | Mode::Replace => {
            let mut outcomes = handlers::validate_inserts(info, scope, vec![document]);
            let (id, fields) = outcomes
                .pop()
                .unwrap_or_else(|| Err(row_issue("no document")))?;
            Ok(Ready::Insert(row, id, fields))
        }
        Mode::Upsert => {
            if document.get(&options.key).is_none_or(Value::is_null) {
                let mut issues = Issues::new();
                issues.add(&options.key, "required field (the key rows are matched by)");
                return Err(issues);
            }
            Ok(Ready::Upsert(row, document))
        }
    }
}

/// What runs once, in the import's first transaction: the `before_import` hook (the
/// seed's `preSql`), then for `replace`, the collection emptied as a DELETE would.
fn begin<R: Resource>(
    state: &AppState,
    tx: &Writer<'_>,
    scope: &Scope,
    client: &Client,
    options: &Options,
    report: &mut Report,
) -> Result<(), ApiError> {
    let info = R::INFO;
    state.hooks.before_import(info.name, options, tx)?;
    if options.mode == Mode::Replace {
        let every = Selection {
            scope,
            filter: None,
            sort: &[],
            page: None,
            hide_deleted: true,
        };
        report.replaced = u64::try_from(tx.count(info, &every)?).unwrap_or(0);
        handlers::delete_all_in(tx, info, handlers::delete_all_loaders::<R>(), scope, client)?;
    }
    Ok(())
}

/// Write checked rows inside `tx`, counting them in `report`.
fn write_batch<R: Resource>(
    state: &AppState,
    tx: &Writer<'_>,
    scope: &Scope,
    client: &Client,
    options: &Options,
    rows: Vec<Ready>,
    report: &mut Report,
) -> Result<(), ApiError> {
    let now = date::now();
    let mut inserts = Vec::with_capacity(rows.len());
    for ready in rows {
        match ready {
            Ready::Insert(row, id, fields) => inserts.push((row, id, fields)),
            Ready::Upsert(row, document) => {
                // In order: a later row with the same key finds what an earlier made.
                if let Some(new) = upsert::<R>(
                    state,
                    tx,
                    scope,
                    client,
                    options,
                    (row, document),
                    now,
                    report,
                )? {
                    insert_rows(state, tx, R::INFO, client, vec![new], now, report)?;
                }
            }
        }
    }
    insert_rows(state, tx, R::INFO, client, inserts, now, report)
}

/// New documents: `unique` and `data_relation` checked, the `on_insert` hook, the
/// rows, the datasource filter, versions, the oplog and `on_insert_tx`, as a POST
/// writes them (`handlers::insert_in`), but a row the database refuses is reported
/// and the others written. Rows of the same batch never share a unique value: the
/// first is written before the next is checked.
fn insert_rows(
    state: &AppState,
    tx: &Writer<'_>,
    info: &'static ResourceInfo,
    client: &Client,
    rows: Vec<NewRow>,
    now: i64,
    report: &mut Report,
) -> Result<(), ApiError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut kept = Vec::with_capacity(rows.len());
    for (row, id, fields) in rows {
        let issues =
            store::check_constraints(tx, info, &fields, id.as_deref().unwrap_or(""), &[], |_| {
                true
            })?;
        if issues.is_empty() {
            kept.push((row, id, fields));
        } else {
            report.reject(row, issues);
        }
    }
    let (mut numbers, mut ids, mut documents) = (Vec::new(), Vec::new(), Vec::new());
    for (row, id, fields) in kept {
        numbers.push(row);
        ids.push(id);
        documents.push(fields);
    }
    state.hooks.on_insert(info.name, &mut documents)?;
    let mut written: Vec<(String, usize)> = Vec::with_capacity(documents.len());
    for (position, (id, fields)) in ids.iter().zip(&documents).enumerate() {
        let tag = etag::of_fields(fields);
        let document = NewDocument {
            id: id.as_deref(),
            created: now,
            updated: now,
            etag: &tag,
            fields,
        };
        let insert = || match tx.insert(info, document)? {
            Inserted::Id(id) => {
                options::check_in_filter(tx, info, &id, None)?;
                versioning::after_write(tx, info, &id)?;
                Ok(Some(id))
            }
            Inserted::Duplicate => Ok(None),
        };
        // A row outside the datasource filter is undone alone (a savepoint).
        let outcome = if info.filter.is_some() {
            tx.atomically(insert)
        } else {
            insert()
        };
        match outcome {
            Ok(Some(id)) => written.push((id, position)),
            Ok(None) => {
                let field = if id.is_some() { "_id" } else { "_row" };
                let mut issues = Issues::new();
                issues.add(
                    field,
                    "a document with this value exists already (a unique value is taken)",
                );
                report.reject(numbers[position], issues);
            }
            Err(error) if error.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
                report.reject(
                    numbers[position],
                    error.issues.unwrap_or_else(|| row_issue(error.message)),
                );
            }
            Err(error) => return Err(error),
        }
    }
    let entries = written
        .iter()
        .map(|(id, position)| (id.as_str(), &documents[*position]));
    oplog::posted(tx, info, client, now, entries)?;
    let stored: Vec<Map<String, Value>> = if written.len() == documents.len() {
        documents
    } else {
        written
            .iter()
            .map(|(_, position)| documents[*position].clone())
            .collect()
    };
    state.hooks.on_insert_tx(info.name, &stored, tx)?;
    report.inserted += stored.len() as u64;
    Ok(())
}

/// One upsert row: the document its key names is updated with the row's cells (as a
/// PATCH); without one, the row is checked as a POST and returned to be inserted.
#[allow(clippy::too_many_arguments)]
fn upsert<R: Resource>(
    state: &AppState,
    tx: &Writer<'_>,
    scope: &Scope,
    client: &Client,
    options: &Options,
    (row, mut document): (u64, Map<String, Value>),
    now: i64,
    report: &mut Report,
) -> Result<Option<NewRow>, ApiError> {
    let info = R::INFO;
    let key = document.get(&options.key).cloned().unwrap_or(Value::Null);
    let found = if options.key == "_id" {
        match key.as_str().or(None) {
            Some(id) if info.id_type.is_valid(id) => {
                handlers::load::<R>(tx, id, scope)?.map(|_| id.to_string())
            }
            _ => match &key {
                Value::Number(n) if info.id_type.is_valid(&n.to_string()) => {
                    let id = n.to_string();
                    handlers::load::<R>(tx, &id, scope)?.map(|_| id)
                }
                _ => None,
            },
        }
    } else {
        let mut filter = Map::new();
        for (name, value) in &scope.values {
            filter.insert((*name).to_string(), value.clone());
        }
        filter.insert(options.key.clone(), key);
        let find = crate::endpoint::data::Find {
            sort: None,
            limit: Some(1),
            skip: None,
        };
        crate::endpoint::data::find_in::<R>(tx, client, &Value::Object(filter), &find)?
            .first()
            .map(|document| document.id().to_string())
    };
    let Some(id) = found else {
        let mut outcomes = handlers::validate_inserts(info, scope, vec![document]);
        return match outcomes.pop() {
            Some(Ok((id, fields))) => Ok(Some((row, id, fields))),
            Some(Err(issues)) => {
                report.reject(row, issues);
                Ok(None)
            }
            None => Ok(None),
        };
    };
    let sent_id = document.remove("_id");
    handlers::strip_read_only(&mut document);
    if let Err(error) = lifecycle::check_item_write(info, &document) {
        report.reject(
            row,
            error.issues.unwrap_or_else(|| row_issue(error.message)),
        );
        return Ok(None);
    }
    scope.fill(&mut document, false);
    let no_files = media::Uploads::new();
    let item = ItemWrite {
        info,
        load: handlers::load::<R>,
        write: handlers::Write::Patch,
        hooks: &*state.hooks,
        client,
        id: &id,
        scope,
        changes: &document,
        sent_id: sent_id.as_ref(),
        if_match: None,
        upsert: false,
        uploads: &no_files,
        now,
    };
    match tx.atomically(|| handlers::write_item_in(tx, &item)) {
        Ok(Some(_)) => report.updated += 1,
        Ok(None) => report.reject(row, row_issue("the document was not found")),
        Err(error) if error.status.is_client_error() => {
            report.reject(
                row,
                error.issues.unwrap_or_else(|| row_issue(error.message)),
            );
        }
        Err(error) => return Err(error),
    }
    Ok(None)
}

/// Checked rows of an all-or-nothing import, kept on disk until the body is in: one
/// JSON line each, `[row, kind, id, document]`.
struct Spool {
    file: BufWriter<std::fs::File>,
}

impl Spool {
    fn new() -> Result<Spool, ApiError> {
        let file = tempfile::tempfile().map_err(ApiError::internal)?;
        Ok(Spool {
            file: BufWriter::with_capacity(1 << 16, file),
        })
    }

    fn push(&mut self, ready: &Ready) -> Result<(), ApiError> {
        let line = match ready {
            Ready::Insert(row, id, fields) => serde_json::to_vec(&(row, "i", id, fields)),
            Ready::Upsert(row, document) => serde_json::to_vec(&(row, "u", None::<&str>, document)),
        }
        .map_err(ApiError::internal)?;
        self.file.write_all(&line).map_err(ApiError::internal)?;
        self.file.write_all(b"\n").map_err(ApiError::internal)
    }

    /// The rows, read back in order.
    fn into_rows(self) -> Result<impl Iterator<Item = Result<Ready, ApiError>>, ApiError> {
        let mut file = self
            .file
            .into_inner()
            .map_err(|e| ApiError::internal(e.error()))?;
        file.seek(SeekFrom::Start(0)).map_err(ApiError::internal)?;
        Ok(BufReader::with_capacity(1 << 16, file).lines().map(|line| {
            let line = line.map_err(ApiError::internal)?;
            let (row, kind, id, document): (u64, String, Option<String>, Map<String, Value>) =
                serde_json::from_str(&line).map_err(ApiError::internal)?;
            Ok(match kind.as_str() {
                "u" => Ready::Upsert(row, document),
                _ => Ready::Insert(row, id, document),
            })
        }))
    }
}
