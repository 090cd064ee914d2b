//! A CSV read as it arrives: `csv-core` (the push parser under the `csv` crate) takes
//! whatever bytes have come, so a record may span chunks and nothing but the current
//! record is held. RFC 4180: quoted fields with `""`, CRLF or LF, a UTF-8 BOM skipped.

use futures_util::StreamExt;

use super::source::{Cell, Chunks};
use crate::error::ApiError;

/// The largest record (one row's cells, unquoted) accepted: 1 MiB. A longer one is
/// most likely an unclosed quote swallowing the file.
const MAX_RECORD_BYTES: usize = 1 << 20;
/// The most cells a row may have.
const MAX_CELLS: usize = 10_000;

pub struct CsvRows {
    chunks: Chunks,
    reader: csv_core::Reader,
    input: axum::body::Bytes,
    at: usize,
    /// The stream has ended: an empty input now tells the parser so.
    ended: bool,
    record: Vec<u8>,
    ends: Vec<usize>,
    /// Records read so far (the header is record 1).
    records: u64,
}

impl CsvRows {
    pub fn new(chunks: Chunks) -> CsvRows {
        CsvRows {
            chunks,
            reader: csv_core::Reader::new(),
            input: axum::body::Bytes::new(),
            at: 0,
            ended: false,
            record: vec![0; 4096],
            ends: vec![0; 64],
            records: 0,
        }
    }

    /// The chunks not read yet (to spool them: `Source::spooled`).
    pub fn chunks(&mut self) -> &mut Chunks {
        &mut self.chunks
    }

    /// The next record's cells and number; `None` at the end. Blank lines are skipped
    /// (csv-core does) and not counted.
    pub async fn next_record(&mut self) -> Result<Option<(u64, Vec<Cell>)>, ApiError> {
        loop {
            let Some(cells) = self.read_one().await? else {
                return Ok(None);
            };
            self.records += 1;
            if cells.len() == 1 && cells[0] == Cell::Empty {
                continue;
            }
            return Ok(Some((self.records, cells)));
        }
    }

    async fn read_one(&mut self) -> Result<Option<Vec<Cell>>, ApiError> {
        let (mut out, mut ends) = (0, 0);
        loop {
            while self.at == self.input.len() && !self.ended {
                match self.chunks.next().await {
                    Some(chunk) => {
                        self.input = chunk?;
                        self.at = 0;
                    }
                    None => self.ended = true,
                }
            }
            let input = &self.input[self.at..];
            let (result, read, wrote, ended) =
                self.reader
                    .read_record(input, &mut self.record[out..], &mut self.ends[ends..]);
            self.at += read;
            out += wrote;
            ends += ended;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => {
                    if self.record.len() >= MAX_RECORD_BYTES {
                        return Err(ApiError::bad_request(format!(
                            "Row {} of the CSV is longer than {MAX_RECORD_BYTES} bytes: is a quote left open?",
                            self.records + 1
                        )));
                    }
                    let grown = self.record.len() * 2;
                    self.record.resize(grown, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_CELLS {
                        return Err(ApiError::bad_request(format!(
                            "Row {} of the CSV has more than {MAX_CELLS} cells",
                            self.records + 1
                        )));
                    }
                    let grown = self.ends.len() * 2;
                    self.ends.resize(grown, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    return self.cells(out, ends).map(Some);
                }
                csv_core::ReadRecordResult::End => return Ok(None),
            }
        }
    }

    fn cells(&self, out: usize, ends: usize) -> Result<Vec<Cell>, ApiError> {
        let bytes = &self.record[..out];
        let mut start = 0;
        let mut cells = Vec::with_capacity(ends);
        for &end in &self.ends[..ends] {
            let text = std::str::from_utf8(&bytes[start..end]).map_err(|_| {
                ApiError::bad_request(format!(
                    "Row {} of the CSV is not UTF-8 text: save the file as \"CSV UTF-8\"",
                    self.records + 1
                ))
            })?;
            cells.push(if text.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(text.to_string())
            });
            start = end;
        }
        Ok(cells)
    }
}
