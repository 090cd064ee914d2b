//! The embedded database: SQLite in WAL mode, a small pool of connections.
//!
//! Statements run inline on the async worker that handles the request rather than on a
//! blocking thread pool: a point read takes microseconds, and hopping threads for it
//! halves throughput. WAL lets readers proceed while one writer commits; writers take
//! the write lock up front (`BEGIN IMMEDIATE`) so they queue instead of deadlocking.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use super::error::ApiError;

/// Connections kept open between requests; more are opened under load and closed after.
const MAX_IDLE: usize = 16;
/// How long a writer waits for the write lock before the request answers 503.
const BUSY_TIMEOUT_MS: u64 = 5_000;

pub struct Db {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Db {
    /// Open (creating if needed) the database at `path` and create missing tables.
    pub fn open(path: &Path, schema: &str) -> rusqlite::Result<Db> {
        let db = Db {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        };
        let conn = db.connect()?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(schema)?;
        db.release(conn);
        Ok(db)
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.set_prepared_statement_cache_capacity(64);
        super::query::register_functions(&conn)?;
        Ok(conn)
    }

    fn acquire(&self) -> Result<Connection, ApiError> {
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match pooled {
            Some(conn) => Ok(conn),
            None => self.connect().map_err(ApiError::from),
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
        work: impl FnOnce(&Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let conn = self.acquire()?;
        let result = work(&conn);
        self.release(conn);
        result
    }

    /// Run `work` in a write transaction, committed when it returns `Ok`.
    pub fn write<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.acquire()?;
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = work(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        self.release(conn);
        result
    }
}
