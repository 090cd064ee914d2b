//! Where an import's rows come from: a table already in memory (JSON `ds`), a CSV
//! parsed as it streams in, or rows a spreadsheet reader sends from its own thread.

use std::io::Read as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use futures_util::Stream;
use serde_json::Value;

use super::csv::CsvRows;
use crate::error::ApiError;

/// One cell as its source gives it, before its column's field reads it (`cells`).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value: an empty CSV cell, a JSON `null`, an empty spreadsheet cell.
    Empty,
    /// Text (every CSV cell), read as the field's kind reads text.
    Text(String),
    /// A typed value (a JSON table's numbers and booleans, a spreadsheet's numbers).
    Json(Value),
    /// A spreadsheet date, as seconds since the epoch.
    Date(i64),
    /// A cell that cannot be read (a spreadsheet's `#DIV/0!`): the message.
    Bad(String),
}

/// A body's bytes as they arrive, errors already in the API's terms.
pub type Chunks = Pin<Box<dyn Stream<Item = Result<Bytes, ApiError>> + Send>>;

/// The rows of one import, the header first; each with its number in the source
/// (the header is row 1).
pub enum Source {
    /// A JSON table (`ds`): rows of JSON values.
    Table(std::iter::Enumerate<std::vec::IntoIter<Value>>),
    /// A CSV body or file part.
    Csv(Box<CsvRows>),
    /// Rows read on another thread (a spreadsheet), sent as they are read.
    Rows(tokio::sync::mpsc::Receiver<Result<(u64, Vec<Cell>), ApiError>>),
}

impl Source {
    /// A JSON table's rows: each must be a list of cells.
    pub fn table(rows: Vec<Value>) -> Source {
        Source::Table(rows.into_iter().enumerate())
    }

    /// A CSV arriving as `chunks`.
    pub fn csv(chunks: Chunks) -> Source {
        Source::Csv(Box::new(CsvRows::new(chunks)))
    }

    /// The next row and its number; `None` after the last one.
    pub async fn next_row(&mut self) -> Result<Option<(u64, Vec<Cell>)>, ApiError> {
        match self {
            Source::Table(rows) => {
                let Some((index, row)) = rows.next() else {
                    return Ok(None);
                };
                let number = index as u64 + 1;
                match row {
                    Value::Array(cells) => Ok(Some((number, cells.into_iter().map(json_cell).collect()))),
                    _ => Err(ApiError::bad_request(format!(
                        "Row {number} of `ds` is not a list of cells: the table is a list of rows, the first naming the columns"
                    ))),
                }
            }
            Source::Csv(rows) => rows.next_record().await,
            Source::Rows(receiver) => match receiver.recv().await {
                None => Ok(None),
                Some(row) => row.map(Some),
            },
        }
    }
}

impl Source {
    /// The same rows, read from disk: a CSV arriving over the network is first
    /// copied whole to an unnamed temporary file (within the request's limits), so
    /// reading it never waits on the client. Other sources are in memory or on disk
    /// already.
    pub async fn spooled(self) -> Result<Source, ApiError> {
        let Source::Csv(mut rows) = self else {
            return Ok(self);
        };
        let file = spool(rows.chunks()).await?;
        let read = Arc::new(AtomicU64::new(0));
        Ok(Source::csv(file_chunks(Box::new(file), read)))
    }
}

/// `chunks` written to an unnamed temporary file (gone when closed), read from its
/// start: for a body that must be whole before it is read (an all-or-nothing
/// import's, an XLSX zip), without holding it in memory.
pub async fn spool(
    mut chunks: impl futures_util::Stream<Item = Result<Bytes, ApiError>> + Unpin,
) -> Result<std::fs::File, ApiError> {
    let mut file = tempfile::tempfile().map_err(ApiError::internal)?;
    while let Some(chunk) = futures_util::StreamExt::next(&mut chunks).await {
        std::io::Write::write_all(&mut file, &chunk?).map_err(ApiError::internal)?;
    }
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0)).map_err(ApiError::internal)?;
    Ok(file)
}

/// A file read in 64 KiB chunks, counting the bytes read into `read`.
pub fn file_chunks(file: Box<dyn std::io::Read + Send>, read: Arc<AtomicU64>) -> Chunks {
    Box::pin(futures_util::stream::unfold(
        (file, read, false),
        |(mut file, read, failed)| async move {
            if failed {
                return None;
            }
            let mut buffer = vec![0; 1 << 16];
            match file.read(&mut buffer) {
                Ok(0) => None,
                Ok(n) => {
                    buffer.truncate(n);
                    read.fetch_add(n as u64, Ordering::Relaxed);
                    Some((Ok(Bytes::from(buffer)), (file, read, false)))
                }
                Err(error) => Some((
                    Err(ApiError::bad_request(format!(
                        "cannot read the file: {error}"
                    ))),
                    (file, read, true),
                )),
            }
        },
    ))
}

/// A JSON table's cell: `null` is no value, a string is text (read as its column's
/// field reads text, so `"42"` fills an integer), anything else a typed value.
fn json_cell(value: Value) -> Cell {
    match value {
        Value::Null => Cell::Empty,
        Value::String(text) => Cell::Text(text),
        other => Cell::Json(other),
    }
}
