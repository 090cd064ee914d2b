//! An XLSX file's first sheet as rows, read by `calamine` (a maintained reader of
//! Excel and OpenDocument files). A zip is read from its end, so the upload is
//! spooled to an unnamed temporary file first; the sheet is then read cell by cell on
//! a blocking thread, which sends each row as it completes: only the workbook's
//! shared strings and one row are held.

use std::io::Seek;

use calamine::{DataRef, Reader, Xlsx};

use super::source::{Cell, Chunks, Source};
use crate::date;
use crate::error::ApiError;
use crate::resource::ResourceInfo;

/// Rows sent ahead of the importer at most.
const AHEAD: usize = 256;

/// The rows of the XLSX file arriving as `chunks`.
pub async fn rows(_info: &'static ResourceInfo, chunks: Chunks) -> Result<Source, ApiError> {
    let file = super::source::spool(chunks).await?;
    let (sender, receiver) = tokio::sync::mpsc::channel(AHEAD);
    tokio::task::spawn_blocking(move || {
        if let Err(error) = read(std::io::BufReader::new(file), &sender) {
            let _ = sender.blocking_send(Err(error));
        }
    });
    Ok(Source::Rows(receiver))
}

type Sender = tokio::sync::mpsc::Sender<Result<(u64, Vec<Cell>), ApiError>>;

fn read<R: std::io::Read + Seek>(reader: R, sender: &Sender) -> Result<(), ApiError> {
    let unreadable = |error: calamine::XlsxError| {
        ApiError::bad_request(format!("The file is not a readable XLSX workbook: {error}"))
    };
    let mut workbook: Xlsx<R> = Xlsx::new(reader).map_err(unreadable)?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(ApiError::bad_request("The workbook has no sheet"));
    };
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(unreadable)?;
    let mut row: Option<(u32, Vec<Cell>)> = None;
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (r, c) = cell.get_position();
        if row.as_ref().is_some_and(|(at, _)| *at != r) {
            if let Some((at, done)) = row.take() {
                if sender.blocking_send(Ok((u64::from(at) + 1, done))).is_err() {
                    // The import stopped reading (it failed, or the client left).
                    return Ok(());
                }
            }
        }
        let (_, values) = row.get_or_insert_with(|| (r, Vec::new()));
        let c = c as usize;
        if c >= 10_000 {
            return Err(ApiError::bad_request(format!(
                "Row {} of the sheet has more than 10000 columns",
                r + 1
            )));
        }
        if values.len() <= c {
            values.resize(c + 1, Cell::Empty);
        }
        values[c] = cell_of(cell.get_value());
    }
    if let Some((at, done)) = row {
        let _ = sender.blocking_send(Ok((u64::from(at) + 1, done)));
    }
    Ok(())
}

fn cell_of(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => {
            if text.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(text.clone())
            }
        }
        DataRef::SharedString(text) => {
            if text.is_empty() {
                Cell::Empty
            } else {
                Cell::Text((*text).to_string())
            }
        }
        DataRef::Int(n) => Cell::Json((*n).into()),
        DataRef::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => Cell::Json(serde_json::Value::Number(n)),
            None => Cell::Bad("the spreadsheet holds no number here".into()),
        },
        DataRef::Bool(b) => Cell::Json((*b).into()),
        DataRef::DateTime(datetime) if datetime.is_datetime() && datetime.as_f64() >= 1.0 => {
            let (y, m, d, hh, mm, ss, _) = datetime.to_ymd_hms_milli();
            let days = date::days_from_civil(i64::from(y), i64::from(m), i64::from(d));
            Cell::Date(days * 86_400 + i64::from(hh) * 3600 + i64::from(mm) * 60 + i64::from(ss))
        }
        // Excel itself has no date before 1900, but LibreOffice and openpyxl write one
        // as a negative serial: days before 1899-12-30.
        DataRef::DateTime(datetime) if datetime.is_datetime() => {
            let seconds = (datetime.as_f64() * 86_400.0).round() as i64;
            Cell::Date(date::days_from_civil(1899, 12, 30) * 86_400 + seconds)
        }
        DataRef::DateTime(duration) => match serde_json::Number::from_f64(duration.as_f64()) {
            Some(n) => Cell::Json(serde_json::Value::Number(n)),
            None => Cell::Bad("the spreadsheet holds no duration here".into()),
        },
        DataRef::Error(error) => {
            Cell::Bad(format!("the spreadsheet cell holds an error ({error})"))
        }
    }
}
