//! Where an import's rows come from: a table already in memory (JSON `ds`), a CSV
//! parsed as it streams in, or rows a spreadsheet reader sends from its own thread.

use std::pin::Pin;

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

/// A JSON table's cell: `null` is no value, a string is text (read as its column's
/// field reads text, so `"42"` fills an integer), anything else a typed value.
fn json_cell(value: Value) -> Cell {
    match value {
        Value::Null => Cell::Empty,
        Value::String(text) => Cell::Text(text),
        other => Cell::Json(other),
    }
}
