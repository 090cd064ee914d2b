//! The embedded database: SQLite in WAL mode, a small pool of connections.
//!
//! Statements run inline on the async worker that handles the request rather than on a
//! blocking thread pool: a point read takes microseconds, and hopping threads for it
//! halves throughput. WAL lets readers proceed while one writer commits.
//!
//! All writes go through one connection behind an async mutex: a request waiting for
//! its turn parks its task and the worker serves others. Left to SQLite, concurrent
//! writers would wait in its busy handler, which sleeps in millisecond steps and
//! turns a 20 µs transaction into a 10 ms tail. `BEGIN IMMEDIATE` and the busy
//! timeout still order writers from other processes on the same file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::ApiError;

/// Connections kept open between requests; more are opened under load and closed after.
const MAX_IDLE: usize = 16;
/// How long a writer waits for the write lock before the request answers 503.
const BUSY_TIMEOUT_MS: u64 = 5_000;

/// What a request reads with (`store::Read`).
pub type Reader = Connection;
/// What a request writes with, inside the write transaction (`store::Write`).
pub type Writer<'a> = Transaction<'a>;

/// Registers the SQL functions compiled filters call (`functions::register`), on every
/// new connection.
pub type SqlFunctions = fn(&Connection) -> rusqlite::Result<()>;

/// Why the database of an API could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// SQLite refused: the file, its schema, a pragma.
    Sqlite(rusqlite::Error),
    /// A resource's statements could not be made (its datasource filter).
    Resource(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Sqlite(error) => error.fmt(f),
            OpenError::Resource(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for OpenError {}

impl From<rusqlite::Error> for OpenError {
    fn from(error: rusqlite::Error) -> Self {
        OpenError::Sqlite(error)
    }
}

pub struct Db {
    path: PathBuf,
    functions: SqlFunctions,
    idle: Mutex<Vec<Connection>>,
    writer: tokio::sync::Mutex<Connection>,
}

impl Db {
    /// Open (creating if needed) the database at `path` and run `ddl` (which creates
    /// what is missing); every connection gets `functions`.
    pub fn open(path: &Path, ddl: &str, functions: SqlFunctions) -> rusqlite::Result<Db> {
        let writer = connect(path, functions)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.execute_batch(ddl)?;
        Ok(Db {
            path: path.to_path_buf(),
            functions,
            idle: Mutex::new(Vec::new()),
            writer: tokio::sync::Mutex::new(writer),
        })
    }

    /// Open the database of the API `A`: its tables and indexes, its SQL functions,
    /// and every resource's statements, made now so that a datasource filter this
    /// runtime cannot read stops the server here rather than failing requests.
    pub fn open_for<A: crate::Api>(path: &Path) -> Result<Db, OpenError> {
        for info in A::RESOURCES {
            super::statements::made(info).map_err(|e| OpenError::Resource(e.to_string()))?;
        }
        fn functions<A: crate::Api>(conn: &Connection) -> rusqlite::Result<()> {
            super::functions::register(conn, A::DATES)
        }
        Ok(Db::open(
            path,
            &super::ddl::create_all(A::TABLES),
            functions::<A>,
        )?)
    }

    fn acquire(&self) -> Result<Connection, ApiError> {
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match pooled {
            Some(conn) => Ok(conn),
            None => connect(&self.path, self.functions).map_err(ApiError::from),
        }
    }

    fn release(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
    }

    /// Run `work` with a connection (reads).
    pub fn read<T>(
        &self,
        work: impl FnOnce(&Reader) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let conn = self.acquire()?;
        let result = work(&conn);
        self.release(conn);
        result
    }

    /// Run `work` in a write transaction on the writer connection, committed when it
    /// returns `Ok` and rolled back otherwise.
    pub async fn write<T>(
        &self,
        work: impl FnOnce(&Writer<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.writer.lock().await;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

fn connect(path: &Path, functions: SqlFunctions) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // The bundled SQLite has STAT4, which re-plans a cached statement whenever a bound
    // value might change the plan: on every request. Keep the first plan instead.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    functions(&conn)?;
    Ok(conn)
}
