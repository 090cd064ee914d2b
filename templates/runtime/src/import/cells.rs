//! A table's header checked against the schema, and each row's cells read as their
//! column's field: a document for the handlers' validation, or the row's issues.

use serde_json::{Map, Number, Value};

use super::source::Cell;
use crate::catalog::{Field, Kind};
use crate::error::ApiError;
use crate::resource::ResourceInfo;
use crate::validate::Issues;

/// What a column fills.
#[derive(Debug, Clone, Copy)]
enum Column {
    /// The document's `_id`, as a client may choose it on POST.
    Id,
    Field(&'static Field),
}

/// A table's columns, from its header row.
#[derive(Debug)]
pub struct Header {
    columns: Vec<(String, Column)>,
}

impl Header {
    /// The header row: each cell must name a field of the resource (or `_id`), once.
    /// Trailing empty cells are dropped (spreadsheets export them). Unknown, repeated or
    /// unnamed columns are a 422 naming each.
    pub fn read(info: &'static ResourceInfo, cells: Vec<Cell>) -> Result<Header, ApiError> {
        let mut names: Vec<String> = cells
            .into_iter()
            .map(|cell| match cell {
                Cell::Empty => String::new(),
                Cell::Text(text) => text.trim().to_string(),
                Cell::Json(value) => value.to_string(),
                Cell::Date(seconds) => seconds.to_string(),
                Cell::Bad(message) => message,
            })
            .collect();
        while names.last().is_some_and(String::is_empty) {
            names.pop();
        }
        if names.is_empty() {
            return Err(ApiError::bad_request(
                "The table's first row must name the columns (the fields of each row)",
            ));
        }
        let mut issues = Issues::new();
        let mut columns = Vec::with_capacity(names.len());
        for (index, name) in names.into_iter().enumerate() {
            let column = if name == "_id" {
                Some(Column::Id)
            } else {
                info.fields
                    .iter()
                    .find(|f| f.name == name && !f.name.starts_with('_'))
                    .map(Column::Field)
            };
            match column {
                _ if name.is_empty() => issues.add(
                    &format!("column {}", index + 1),
                    "the header names no field for this column",
                ),
                None => issues.add(&name, "unknown field"),
                Some(Column::Field(field)) if field.kind == Kind::Media => issues.add(
                    &name,
                    "a media field cannot be imported: upload its file with a POST",
                ),
                Some(_) if columns.iter().any(|(n, _)| *n == name) => {
                    issues.add(&name, "the header names this column twice")
                }
                Some(column) => columns.push((name, column)),
            }
        }
        if !issues.is_empty() {
            let mut error = ApiError::invalid(issues, "Import");
            error.message =
                "Import failure: the header row names columns the resource does not have".into();
            return Err(error);
        }
        Ok(Header { columns })
    }

    /// A row as the document it describes, or its issues by column name.
    pub fn document(&self, cells: Vec<Cell>) -> Result<Map<String, Value>, Issues> {
        let mut document = Map::new();
        let mut issues = Issues::new();
        let width = self.columns.len();
        let extra = cells.iter().skip(width).any(|c| *c != Cell::Empty);
        if extra {
            issues.add(
                "_row",
                format!("the row has more cells than the header's {width} columns"),
            );
        }
        for ((name, column), cell) in self.columns.iter().zip(cells) {
            let value = match (column, cell) {
                (_, Cell::Empty) => continue,
                (Column::Id, Cell::Text(text)) => Ok(Value::String(text)),
                (Column::Id, Cell::Json(value)) => Ok(value),
                (Column::Id, _) => Err("must be an id".to_string()),
                (Column::Field(field), cell) => read(field, cell),
            };
            match value {
                Ok(value) => {
                    document.insert(name.clone(), value);
                }
                Err(message) => issues.add(name, message),
            }
        }
        if issues.is_empty() {
            Ok(document)
        } else {
            Err(issues)
        }
    }
}

/// A cell as the value `field` takes; `Err`: the message `_issues` shows.
fn read(field: &Field, cell: Cell) -> Result<Value, String> {
    let wrong = || format!("must be of {} type", field.kind.name());
    match cell {
        Cell::Empty => Ok(Value::Null),
        Cell::Bad(message) => Err(message),
        Cell::Text(text) => crate::endpoint::from_text(field, &text)
            .map_err(|message| format!("{message} (read '{}')", shorten(&text))),
        Cell::Date(seconds) => match field.kind {
            Kind::Datetime | Kind::String => Ok(Value::String(field.dates.format(seconds))),
            _ => Err(wrong()),
        },
        Cell::Json(value) => match (field.kind, value) {
            // A spreadsheet's number in a text column (a postcode, an account number).
            (Kind::String, Value::Number(n)) => Ok(Value::String(number_text(&n))),
            // Spreadsheets hold every number as a float: 42.0 fills an integer.
            (Kind::Integer, Value::Number(n)) if n.as_i64().is_none() => {
                whole_float(&n).map(Value::from).ok_or_else(wrong)
            }
            (_, value) => Ok(value),
        },
    }
}

/// A number as a spreadsheet shows it: `12345`, not `12345.0`.
fn number_text(n: &Number) -> String {
    match whole_float(n) {
        Some(whole) if n.as_i64().is_none() => whole.to_string(),
        _ => n.to_string(),
    }
}

/// A float that is a whole number a double holds exactly (below 2^53), as an integer.
fn whole_float(n: &Number) -> Option<i64> {
    n.as_f64()
        .filter(|f| f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15)
        .map(|f| f as i64)
}

/// A cell's text in a message: at most 40 characters.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}
