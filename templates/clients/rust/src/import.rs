//! Imports (`POST <collection>/import`): a table as a 2-D JSON array, CSV text or a
//! file (multipart), and the typed per-row report.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::error::{Error, Result};
use super::transport::{Body, Request, Transport};

/// The table to import. The first row names the columns.
#[derive(Debug, Clone)]
pub enum Table {
    /// Rows of JSON cells: `[["title", "pages"], ["Dune", 412]]` (sent as `ds`).
    Rows(Vec<Vec<Value>>),
    /// CSV text (`text/csv`).
    Csv(String),
    /// A CSV or XLSX file, sent as a `multipart/form-data` file part.
    File {
        name: String,
        content_type: String,
        bytes: Vec<u8>,
    },
}

/// How rows meet existing documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Insert,
    Upsert,
    Replace,
}

/// What to do with a bad row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Write nothing (the default): the answer is a report with `aborted`.
    Abort,
    /// Write the good rows.
    Skip,
}

/// An import's options (sent in the query string).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub mode: Option<Mode>,
    pub upsert_on: Option<String>,
    pub on_error: Option<OnError>,
}

impl Options {
    /// The query string's pairs.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        if let Some(mode) = self.mode {
            let mode = match mode {
                Mode::Insert => "insert",
                Mode::Upsert => "upsert",
                Mode::Replace => "replace",
            };
            pairs.push(("mode".to_string(), mode.to_string()));
        }
        if let Some(key) = &self.upsert_on {
            pairs.push(("upsert_on".to_string(), key.clone()));
        }
        if let Some(on_error) = self.on_error {
            let value = match on_error {
                OnError::Abort => "abort",
                OnError::Skip => "skip",
            };
            pairs.push(("on_error".to_string(), value.to_string()));
        }
        pairs
    }
}

impl Table {
    /// The request body.
    pub fn to_body(&self) -> Body {
        match self {
            Table::Rows(rows) => Body {
                content_type: "application/json".to_string(),
                bytes: json!({ "ds": rows }).to_string().into_bytes(),
            },
            Table::Csv(text) => Body {
                content_type: "text/csv".to_string(),
                bytes: text.clone().into_bytes(),
            },
            Table::File {
                name,
                content_type,
                bytes,
            } => {
                let boundary = "apigen-client-boundary-7f3c9a1e52b64d08";
                let mut out = Vec::with_capacity(bytes.len() + 256);
                let name = name.replace(['"', '\r', '\n'], "_");
                out.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(bytes);
                out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
                Body {
                    content_type: format!("multipart/form-data; boundary={boundary}"),
                    bytes: out,
                }
            }
        }
    }
}

/// One refused row.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RejectedRow {
    /// Its number in the table (the header is row 1).
    pub row: u64,
    /// What is wrong, by column.
    #[serde(rename = "_issues")]
    pub issues: Map<String, Value>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Report {
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub rejected: u64,
    pub replaced: u64,
    /// The refused rows (the first ones, when there are many).
    #[serde(rename = "_rejected", default)]
    pub rejected_rows: Vec<RejectedRow>,
    /// Nothing was written: a row was refused and `on_error` was `abort` (a 422).
    #[serde(skip)]
    pub aborted: bool,
}

/// Sends an import and reads its report, also when the server refused it whole (a
/// 422 with the report: `aborted`).
pub async fn send(transport: &Transport, request: &Request) -> Result<Report> {
    match transport.json::<Report>(request).await {
        Err(Error::Api(error)) if error.status == 422 && error.body.get("rows").is_some() => {
            let mut report: Report =
                serde_json::from_value(error.body.clone()).map_err(|e| Error::Decode {
                    message: e.to_string(),
                    body: error.body.to_string(),
                })?;
            report.aborted = true;
            Ok(report)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_become_bodies() {
        let body = Table::Rows(vec![vec![json!("a")], vec![json!(1)]]).to_body();
        assert_eq!(body.bytes, br#"{"ds":[["a"],[1]]}"#);
        let body = Table::File {
            name: "t.csv".into(),
            content_type: "text/csv".into(),
            bytes: b"a\n1\n".to_vec(),
        }
        .to_body();
        assert!(
            body.content_type
                .starts_with("multipart/form-data; boundary=")
        );
        let report: Report = serde_json::from_str(
            r#"{"rows":2,"inserted":1,"updated":0,"rejected":1,"replaced":0,"_rejected":[{"row":3,"_issues":{"a":"bad"}}],"_status":"OK"}"#,
        )
        .unwrap();
        assert_eq!(report.rejected_rows[0].row, 3);
    }
}
