//! SQLite, the embedded store: the one place SQL text is made.
//!
//! Everything above this module speaks in the storage schema (`schema::Table`), the
//! `where`/`sort` AST (`query`) and documents; the handlers reach the database through
//! the `store::Read` and `store::Write` traits, which this module implements for
//! rusqlite's `Connection` and `Transaction`. A second dialect (PostgreSQL) would be a
//! sibling of this module implementing the same traits.
//!
//! - [`aggregate`]: aggregation pipelines (`datasource.aggregation`) compiled and run;
//! - [`ddl`]: `CREATE TABLE` and `CREATE INDEX` from the tables;
//! - [`conformance`]: whether the tables already stored are the ones the server
//!   expects, checked before it serves;
//! - [`migrate`]: migrations (the SQL of a schema change, and the runner that applies
//!   the ones a database has not had at start-up);
//! - [`statements`]: each resource's statements, made once from its table, datasource
//!   filter, lookup and sub-resource path;
//! - [`filter`]: `where`, `sort` and `$near` compiled to SQL with bound values;
//! - [`functions`]: the SQL functions compiled filters call (`REGEXP`, `wire_date`,
//!   `geo_distance`);
//! - [`media`]: the media table's files, written and read in chunks;
//! - [`store`]: the store operations (read a page, insert, update, check `unique`...);
//! - [`values`]: documents as SQL values, and stored JSON read back;
//! - [`db`]: the database file, WAL mode and the connections.

pub mod aggregate;
pub mod conformance;
#[cfg(feature = "auth")]
pub mod credentials;
pub mod db;
pub mod ddl;
pub mod filter;
pub mod functions;
pub mod history;
pub mod media;
pub mod migrate;
pub mod oplog;
pub mod statements;
pub mod store;
pub mod values;

pub use values::raw_json_column;

/// The condition a soft-delete resource's live documents meet: Eve's
/// `{"_deleted": {"$ne": true}}`.
pub const LIVE: &str = "\"_deleted\" IS NOT 1";

/// An SQL identifier, quoted. Names come from the spec (letters, digits and `_`),
/// never from a client; a `"` would be doubled all the same.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Whether a write failed on a UNIQUE index or the key: a client error (422), not a
/// server one.
pub fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// A failure of the embedded store: busy is 503, anything else a logged 500.
impl From<rusqlite::Error> for crate::error::ApiError {
    fn from(error: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(failure, _) = &error {
            if failure.code == rusqlite::ErrorCode::OperationInterrupted {
                return crate::error::ApiError::query_timeout();
            }
            if matches!(
                failure.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) {
                return crate::error::ApiError::busy();
            }
        }
        crate::error::ApiError::internal(error)
    }
}
