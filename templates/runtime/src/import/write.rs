//! Rows into the database, on two threads: a parser (the request's task) reads rows,
//! reads their cells and checks them (the rules of a POST), and sends them in batches
//! over a bounded channel to a writer (a blocking thread holding the write
//! connection), which writes each batch with the handlers' own database parts. The
//! two overlap, and at most a few batches are in flight: memory does not grow with
//! the file.
//!
//! `on_error=skip`: the writer commits each batch in its own transaction, holding the
//! write lock only while it writes one; a rejected row is reported, the others stay.
//!
//! `on_error=abort`: all or nothing, so the whole import is one transaction, open
//! while the parser reads. Its source must not be a slow client then: the handler
//! spools the request's body to a temporary file first (`Source::spooled`), so the
//! transaction reads from disk. Rows the database refuses (`unique`,
//! `data_relation`) are found in that transaction; every row is tried even after one
//! failed, so the report names them all, and the transaction is then rolled back.

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::cells::Header;
use super::{row_issue, Mode, OnError, Options, Report, Source};
use crate::db::Writer;
use crate::error::ApiError;
use crate::handlers::{self, ItemWrite};
use crate::oplog::{self, Client};
use crate::resource::{Resource, ResourceInfo};
use crate::routes::Scope;
use crate::state::AppState;
use crate::store::{self, Read as _, Selection, Write as _};
use crate::validate::Issues;
use crate::{date, lifecycle, media};

/// A new document's row: its number, its `_id` (when chosen or made) and its
/// validated fields.
type NewRow = (u64, Option<String>, Map<String, Value>);

/// A row checked and ready for the database.
enum Ready {
    /// A new document: its `_id` (when chosen or made) and its validated fields.
    Insert(NewRow),
    /// An upsert: the row's cells as a document, validated once its key is looked up.
    Upsert(u64, Map<String, Value>),
}

/// What the parser sends the writer.
enum Message {
    /// Checked rows, and how many rows were read so far.
    Batch(u64, Vec<Ready>),
    /// The end: the rows read and those the parser rejected.
    Done(Report),
}

/// Batches in flight between the parser and the writer.
const IN_FLIGHT: usize = 4;

/// Told after each batch (the `import` command's progress line).
pub type Progress = Box<dyn FnMut(&Report) + Send>;

/// Import `source` into `R` as `client` within `scope`, as `options` say; `progress`
/// is told after each batch. The report; `Err` only for what is not a row's fault
/// (a malformed body, an unknown column, a database failure, a hook's error).
pub async fn run<R: Resource>(
    state: &AppState,
    scope: &Scope,
    client: &Client,
    options: &Options,
    mut source: Source,
    progress: Progress,
) -> Result<Report, ApiError> {
    let info = R::INFO;
    let batch_size = info.import.map_or(1000, |i| i.batch.max(1));
    let Some((_, header)) = source.next_row().await? else {
        return Err(ApiError::bad_request(
            "The table is empty: its first row must name the columns",
        ));
    };
    let header = Header::read(info, header)?;
    let (sender, receiver) = mpsc::channel(IN_FLIGHT);
    let parser = tokio::spawn(parse(
        info,
        (scope.clone(), options.clone()),
        header,
        source,
        (sender, batch_size),
    ));
    let writer = {
        let (state, scope, client, options) = (
            state.clone(),
            scope.clone(),
            client.clone(),
            options.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let job = Job {
                state: &state,
                scope: &scope,
                client: &client,
                options: &options,
            };
            match options.on_error {
                OnError::Abort => job.all_or_nothing::<R>(receiver, progress),
                OnError::Skip => job.batch_by_batch::<R>(receiver, progress),
            }
        })
    };
    let (written, mut report) = writer.await.map_err(ApiError::internal)?;
    // The parser's own failure (a body that is not CSV, a timeout) explains the rest.
    parser.await.map_err(ApiError::internal)??;
    report.rejects.sort_by_key(|(row, _)| *row);
    match written {
        Ok(()) => {}
        Err(_) if options.on_error == OnError::Abort && report.rejected > 0 => {
            // Rolled back: nothing was written.
            report.inserted = 0;
            report.updated = 0;
            report.replaced = 0;
            return Ok(report);
        }
        Err(error) => return Err(error),
    }
    state.hooks.on_imported(info.name, &report);
    Ok(report)
}

/// The parser: rows read from `source`, cells read by `header`, each checked, sent in
/// batches; then the rows it rejected. Stops early, quietly, if the writer has.
async fn parse(
    info: &'static ResourceInfo,
    (scope, options): (Scope, Options),
    header: Header,
    mut source: Source,
    (sender, batch_size): (mpsc::Sender<Message>, usize),
) -> Result<(), ApiError> {
    let mut report = Report::default();
    let mut batch = Vec::with_capacity(batch_size);
    while let Some((row, cells)) = source.next_row().await? {
        report.rows += 1;
        let ready = header
            .document(cells)
            .and_then(|document| check(info, &scope, &options, row, document));
        match ready {
            Err(issues) => report.reject(row, issues),
            Ok(ready) => batch.push(ready),
        }
        if batch.len() >= batch_size {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
            if sender
                .send(Message::Batch(report.rows, full))
                .await
                .is_err()
            {
                return Ok(());
            }
        }
    }
    if !batch.is_empty()
        && sender
            .send(Message::Batch(report.rows, batch))
            .await
            .is_err()
    {
        return Ok(());
    }
    let _ = sender.send(Message::Done(report)).await;
    Ok(())
}

/// The writer's side of one import.
struct Job<'a> {
    state: &'a AppState,
    scope: &'a Scope,
    client: &'a Client,
    options: &'a Options,
}

/// The parser stopped without its last message: its own error is the answer.
fn parser_stopped() -> ApiError {
    ApiError::internal("the import's rows stopped coming")
}

/// Add the parser's count and rejects to the writer's report.
fn merge(report: &mut Report, parsed: Report) {
    report.rows = parsed.rows;
    report.rejected += parsed.rejected;
    for reject in parsed.rejects {
        if report.rejects.len() < super::LISTED_REJECTS {
            report.rejects.push(reject);
        }
    }
}

impl Job<'_> {
    /// `on_error=abort`: one transaction for every batch; rolled back (`Err`) when a
    /// row was rejected. Runs on a blocking thread.
    fn all_or_nothing<R: Resource>(
        &self,
        mut receiver: mpsc::Receiver<Message>,
        mut progress: Progress,
    ) -> (Result<(), ApiError>, Report) {
        let mut report = Report::default();
        let written = self.state.db.write_blocking(|tx| {
            self.begin::<R>(tx, &mut report)?;
            let mut parsed = None;
            while let Some(message) = receiver.blocking_recv() {
                match message {
                    Message::Batch(read, rows) => {
                        self.write_batch::<R>(tx, rows, &mut report)?;
                        report.rows = read;
                        progress(&report);
                    }
                    Message::Done(done) => {
                        parsed = Some(done);
                        break;
                    }
                }
            }
            merge(&mut report, parsed.ok_or_else(parser_stopped)?);
            if report.rejected > 0 {
                // Roll the whole import back; the report says why.
                return Err(ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "rolled back",
                ));
            }
            self.state.hooks.after_import(R::INFO.name, &report, tx)
        });
        progress(&report);
        (written, report)
    }

    /// `on_error=skip`: each batch committed in its own transaction as it comes; the
    /// `after_import` hook in one more. Runs on a blocking thread.
    fn batch_by_batch<R: Resource>(
        &self,
        mut receiver: mpsc::Receiver<Message>,
        mut progress: Progress,
    ) -> (Result<(), ApiError>, Report) {
        let mut report = Report::default();
        let mut started = false;
        let mut parsed = None;
        while let Some(message) = receiver.blocking_recv() {
            match message {
                Message::Batch(read, rows) => {
                    let first = !std::mem::replace(&mut started, true);
                    let written = self.state.db.write_blocking(|tx| {
                        if first {
                            self.begin::<R>(tx, &mut report)?;
                        }
                        self.write_batch::<R>(tx, rows, &mut report)
                    });
                    if let Err(error) = written {
                        return (Err(error), report);
                    }
                    report.rows = read;
                    progress(&report);
                }
                Message::Done(done) => {
                    parsed = Some(done);
                    break;
                }
            }
        }
        let Some(parsed) = parsed else {
            return (Err(parser_stopped()), report);
        };
        merge(&mut report, parsed);
        let written = self.state.db.write_blocking(|tx| {
            if !started {
                self.begin::<R>(tx, &mut report)?;
            }
            self.state.hooks.after_import(R::INFO.name, &report, tx)
        });
        progress(&report);
        (written, report)
    }

    /// What runs once, in the import's first transaction: the `before_import` hook
    /// (the seed's `preSql`), then for `replace`, the collection emptied as a DELETE
    /// would.
    fn begin<R: Resource>(&self, tx: &Writer<'_>, report: &mut Report) -> Result<(), ApiError> {
        let info = R::INFO;
        self.state
            .hooks
            .before_import(info.name, self.options, tx)?;
        if self.options.mode == Mode::Replace {
            let every = Selection {
                scope: self.scope,
                filter: None,
                sort: &[],
                page: None,
                hide_deleted: true,
            };
            report.replaced = u64::try_from(tx.count(info, &every)?).unwrap_or(0);
            let loaders = handlers::delete_all_loaders::<R>();
            handlers::delete_all_in(tx, info, loaders, self.scope, self.client)?;
        }
        Ok(())
    }

    /// Write checked rows inside `tx`, counting them in `report`.
    fn write_batch<R: Resource>(
        &self,
        tx: &Writer<'_>,
        rows: Vec<Ready>,
        report: &mut Report,
    ) -> Result<(), ApiError> {
        let now = date::now();
        let mut inserts = Vec::with_capacity(rows.len());
        for ready in rows {
            match ready {
                Ready::Insert(row) => inserts.push(row),
                Ready::Upsert(row, document) => {
                    // In order: a later row with the same key finds what an earlier made.
                    let (state, scope, client, options) =
                        (self.state, self.scope, self.client, self.options);
                    let context = (state, scope, client, options);
                    if let Some(new) = upsert::<R>(tx, context, (row, document), now, report)? {
                        insert_rows(self.state, tx, R::INFO, self.client, vec![new], now, report)?;
                    }
                }
            }
        }
        insert_rows(self.state, tx, R::INFO, self.client, inserts, now, report)
    }
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
            Ok(Ready::Insert((row, id, fields)))
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
    // A `unique` field is checked by the database's unique index as the row is
    // inserted (`Inserted::Duplicate`), the check that says which field then running
    // only for the refused row: a lookup per unique field per row saved. Only
    // `data_relation` is checked before.
    let checked = |name: &str| {
        info.fields
            .iter()
            .find(|f| f.name == name)
            .is_some_and(|f| !f.unique || f.relation.is_some())
    };
    let mut kept = Vec::with_capacity(rows.len());
    for (row, id, fields) in rows {
        let own = id.as_deref().unwrap_or("");
        let issues = store::check_constraints(tx, info, &fields, own, &[], checked)?;
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
        let insert = || handlers::insert_document(tx, info, id.as_deref(), fields, now, None);
        // A row outside the datasource filter is undone alone (a savepoint).
        let outcome = if info.filter.is_some() {
            tx.atomically(insert)
        } else {
            insert()
        };
        match outcome {
            Ok(Some((id, _))) => written.push((id, position)),
            Ok(None) => {
                let own = id.as_deref().unwrap_or("");
                let fields = &documents[position];
                let mut issues = store::check_constraints(tx, info, fields, own, &[], |_| true)?;
                if issues.is_empty() {
                    let field = if id.is_some() { "_id" } else { "_row" };
                    issues.add(field, "a document with this value exists already");
                }
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
fn upsert<R: Resource>(
    tx: &Writer<'_>,
    (state, scope, client, options): (&AppState, &Scope, &Client, &Options),
    (row, mut document): (u64, Map<String, Value>),
    now: i64,
    report: &mut Report,
) -> Result<Option<NewRow>, ApiError> {
    let info = R::INFO;
    let key = document.get(&options.key).cloned().unwrap_or(Value::Null);
    let found = if options.key == "_id" {
        match key.as_str() {
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
