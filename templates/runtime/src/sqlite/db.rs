//! The embedded database: SQLite in WAL mode, a small pool of connections.
//!
//! Statements run inline on the async worker that handles the request rather than on a
//! blocking thread pool: a point read takes microseconds, and hopping threads for it
//! halves throughput. WAL lets readers proceed while one writer commits.
//!
//! Reads use one connection per worker thread, kept in a thread-local slot: no lock on
//! the way in, and the connection's page cache stays in the CPU cache of the core that
//! uses it. Handing pooled connections from thread to thread measured 8 µs more SQLite
//! time per filtered page (`bench/README.md`, issue 7). A thread that finds its slot
//! taken (a read inside a read) or belonging to another database uses the shared pool.
//!
//! Every read runs under a deadline (`serve --query-timeout`, 5 s by default): SQLite's
//! progress handler interrupts a statement past it, and the request answers 503. A
//! collection read starts inline; one still running after [`INLINE_BUDGET`] (a
//! `$regex` over every document, a condition inside stored JSON, an unindexed scan of
//! a large table) is interrupted and run again off the async workers
//! (`block_in_place`), a few at a time, so costly queries cannot starve cheap ones of
//! the workers while the point reads and small pages the benchmark measures stay
//! inline.
//!
//! All writes go through one connection behind an async mutex: a request waiting for
//! its turn parks its task and the worker serves others. Left to SQLite, concurrent
//! writers would wait in its busy handler, which sleeps in millisecond steps and
//! turns a 20 µs transaction into a 10 ms tail. `BEGIN IMMEDIATE` and the busy
//! timeout still order writers from other processes on the same file.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::ApiError;
use crate::schema::Table;

/// Connections kept open between requests; more are opened under load and closed after.
const MAX_IDLE: usize = 16;
/// SQLite's page cache per connection, in MiB, unless `serve --db-cache-mib` says
/// otherwise. SQLite's own default (2 MiB) holds a few thousand small documents: past
/// that, reads go back to the file for pages they just had. 16 MiB is what PocketBase
/// gives each connection; it is an upper bound, filled only as pages are read.
pub const DEFAULT_CACHE_MIB: usize = 16;
/// What an acknowledged write survives (`serve --durability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// SQLite's `synchronous = NORMAL` in WAL mode: a write the server acknowledged
    /// survives the server's crash or `kill -9`, but the last ones before a power loss
    /// or an operating-system crash may be lost (the database stays consistent). The
    /// default: no disk flush per write.
    #[default]
    Normal,
    /// `synchronous = FULL`: every commit is flushed to disk before it is
    /// acknowledged, so acknowledged writes survive a power loss too, at the cost of
    /// one flush per write.
    Full,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        }
    }
}

/// How the database is opened: `serve`'s `--db-cache-mib`, `--durability` and
/// `--migrate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbOptions {
    /// SQLite's page cache per connection, in MiB.
    pub cache_mib: usize,
    pub durability: Durability,
    /// Apply pending migrations at start (the default); `false` refuses to start on
    /// a database that needs them, for operators who migrate as a separate step.
    pub migrate: bool,
    /// How long one request's reads may run (`--query-timeout`).
    pub query_timeout: std::time::Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            cache_mib: DEFAULT_CACHE_MIB,
            durability: Durability::Normal,
            migrate: true,
            query_timeout: DEFAULT_QUERY_TIMEOUT,
        }
    }
}

/// The schema history a crate carries: its migrations, and how to compute each
/// table's ETags again after one changes its columns (`migrate`).
#[derive(Debug, Clone, Copy, Default)]
pub struct History {
    pub migrations: &'static [super::migrate::Migration],
    pub retags: &'static [super::migrate::Retag],
}

/// How long a read may run before it answers 503, unless `serve --query-timeout` says
/// otherwise.
pub const DEFAULT_QUERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a collection read may hold an async worker before it is moved off it.
/// The benchmark's filtered page takes about 0.1 ms.
pub const INLINE_BUDGET: std::time::Duration = std::time::Duration::from_millis(3);
/// SQLite VM steps between two deadline checks: tens of microseconds of work, so the
/// check (one clock read) costs nothing measurable.
const PROGRESS_STEPS: std::os::raw::c_int = 10_000;

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
    /// The tables already in the database are not the ones this server keeps.
    Stale(super::conformance::Mismatch),
    /// Its migrations could not be applied, or may not be (see `MigrateError`).
    Migrate(super::migrate::MigrateError),
    /// The database file could not be created.
    File(std::io::Error),
    /// The auth settings cannot be served (an issuer's key variable is unset).
    Auth(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Sqlite(error) => error.fmt(f),
            OpenError::Resource(message) => f.write_str(message),
            OpenError::Stale(mismatch) => mismatch.fmt(f),
            OpenError::Migrate(error) => error.fmt(f),
            OpenError::File(error) => error.fmt(f),
            OpenError::Auth(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for OpenError {}

impl From<rusqlite::Error> for OpenError {
    fn from(error: rusqlite::Error) -> Self {
        OpenError::Sqlite(error)
    }
}

/// Why a read on this thread must stop: its deadline, and whether that is only the
/// inline budget (then the read is moved off the worker, not failed).
#[derive(Clone, Copy)]
struct Limit {
    at: std::time::Instant,
    inline: bool,
}

thread_local! {
    /// The limit of the read running on this thread; statements check it through the
    /// progress handler every connection has (`connect`).
    static LIMIT: std::cell::Cell<Option<Limit>> = const { std::cell::Cell::new(None) };
    /// Set by the progress handler when it stopped a statement for the inline budget.
    static STOPPED_INLINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the statement running on this thread is past its read's limit.
fn past_limit() -> bool {
    LIMIT.with(|limit| match limit.get() {
        Some(limit) if std::time::Instant::now() >= limit.at => {
            if limit.inline {
                STOPPED_INLINE.with(|stopped| stopped.set(true));
            }
            true
        }
        _ => false,
    })
}

/// Runs `work` with `limit` as this thread's read limit, then restores the one before
/// (a read inside a read keeps the outer limit when it is sooner).
fn with_limit<T>(limit: Limit, work: impl FnOnce() -> T) -> T {
    let outer = LIMIT.with(|cell| cell.get());
    let limit = match outer {
        Some(outer) if outer.at <= limit.at => outer,
        _ => limit,
    };
    LIMIT.with(|cell| cell.set(Some(limit)));
    let value = work();
    LIMIT.with(|cell| cell.set(outer));
    value
}

thread_local! {
    /// This thread's read connection, and the `Db::alive` token of the database it
    /// reads: never used for another database, and replaced once that one is dropped.
    static THREAD_READER: RefCell<Option<(Weak<()>, Connection)>> = const { RefCell::new(None) };
}

pub struct Db {
    /// Identifies this database to the threads' reader slots (`THREAD_READER`).
    alive: Arc<()>,
    path: PathBuf,
    functions: SqlFunctions,
    options: DbOptions,
    idle: Mutex<Vec<Connection>>,
    /// Collection reads that outran the inline budget, running off the workers now:
    /// at most one per core but one, so cheap requests keep a core.
    costly: tokio::sync::Semaphore,
    writer: tokio::sync::Mutex<Connection>,
    /// Counts the write transactions committed: live subscriptions (`live`) wake on
    /// it to read the oplog entries those writes added.
    commits: tokio::sync::watch::Sender<u64>,
    /// What `open` did to bring the database to this version.
    migrated: Vec<String>,
}

fn history<A: crate::Api>() -> History {
    History {
        migrations: A::MIGRATIONS,
        retags: A::RETAGS,
    }
}

fn functions<A: crate::Api>(conn: &Connection) -> rusqlite::Result<()> {
    super::functions::register(conn, A::DATES)
}

impl Db {
    /// Open (creating if needed) the database at `path` for `tables`. A new database
    /// is created at the crate's version; one that has not had every migration of
    /// `history` gets them (`migrate`), unless `options.migrate` is false; one that
    /// still differs from `tables` is refused (`conformance`). Every connection gets
    /// `functions` and the page cache and durability of `options`. What was done is
    /// in `Db::migrated`, for the server to log.
    pub fn open(
        path: &Path,
        tables: &[&Table],
        history: History,
        functions: SqlFunctions,
        options: DbOptions,
    ) -> Result<Db, OpenError> {
        create_private(path).map_err(OpenError::File)?;
        let mut writer = connect(path, functions, options)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        let migrated = super::migrate::migrate(
            &mut writer,
            tables,
            history.migrations,
            history.retags,
            options.migrate,
        )
        .map_err(|error| match error {
            super::migrate::MigrateError::Stale(mismatch) => OpenError::Stale(mismatch),
            other => OpenError::Migrate(other),
        })?;
        Ok(Db {
            alive: Arc::new(()),
            path: path.to_path_buf(),
            functions,
            options,
            idle: Mutex::new(Vec::new()),
            costly: tokio::sync::Semaphore::new(
                std::thread::available_parallelism()
                    .map_or(1, |n| n.get().saturating_sub(1))
                    .max(1),
            ),
            writer: tokio::sync::Mutex::new(writer),
            commits: tokio::sync::watch::Sender::new(0),
            migrated,
        })
    }

    /// Open the database of the API `A`: its tables and indexes, its migrations, its
    /// SQL functions, and every resource's statements, made now so that a datasource
    /// filter this runtime cannot read stops the server here rather than failing
    /// requests.
    pub fn open_for<A: crate::Api>(path: &Path) -> Result<Db, OpenError> {
        Db::open_with::<A>(path, DbOptions::default())
    }

    /// [`open_for`](Self::open_for) with `options` (cache size, durability, migrate).
    pub fn open_with<A: crate::Api>(path: &Path, options: DbOptions) -> Result<Db, OpenError> {
        for info in A::RESOURCES {
            super::statements::made(info).map_err(|e| OpenError::Resource(e.to_string()))?;
        }
        Db::open(path, A::TABLES, history::<A>(), functions::<A>, options)
    }

    /// What `migrate` would do to the database at `path` for the API `A`, as SQL with
    /// comments (`migrate --dry-run`); nothing is changed.
    pub fn dry_run<A: crate::Api>(path: &Path) -> Result<String, OpenError> {
        // A database not made yet is not made by looking at it.
        let conn = if path.exists() {
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?
        } else {
            Connection::open_in_memory()?
        };
        super::migrate::dry_run(&conn, A::TABLES, A::MIGRATIONS).map_err(OpenError::Migrate)
    }

    /// What opening the database did: the migrations applied, the ETags computed
    /// again, warnings; empty when it was already at this version.
    pub fn migrated(&self) -> &[String] {
        &self.migrated
    }

    fn owns(&self, token: &Weak<()>) -> bool {
        std::ptr::eq(token.as_ptr(), Arc::as_ptr(&self.alive))
    }

    fn acquire(&self) -> Result<Connection, ApiError> {
        // This thread's own reader first; it is taken out of the slot while in use.
        let own = THREAD_READER
            .try_with(|slot| match slot.try_borrow_mut() {
                Ok(mut slot) if matches!(&*slot, Some((db, _)) if self.owns(db)) => {
                    slot.take().map(|(_, conn)| conn)
                }
                _ => None,
            })
            .ok()
            .flatten();
        if let Some(conn) = own {
            return Ok(conn);
        }
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match pooled {
            Some(conn) => Ok(conn),
            None => connect(&self.path, self.functions, self.options).map_err(ApiError::from),
        }
    }

    fn release(&self, conn: Connection) {
        // Back into this thread's slot when it is empty or holds a reader of a dropped
        // database; otherwise (another live database reads on this thread) the pool.
        let conn = match THREAD_READER.try_with(|slot| match slot.try_borrow_mut() {
            Ok(mut slot)
                if slot
                    .as_ref()
                    .is_none_or(|(db, _)| self.owns(db) || db.strong_count() == 0) =>
            {
                *slot = Some((Arc::downgrade(&self.alive), conn));
                None
            }
            _ => Some(conn),
        }) {
            Ok(None) => return,
            Ok(Some(conn)) => conn,
            // The thread is exiting: the connection closes with it.
            Err(_) => return,
        };
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
    }

    /// Run `work` with a connection (reads), within the read deadline.
    pub fn read<T>(
        &self,
        work: impl FnOnce(&Reader) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let limit = Limit {
            at: std::time::Instant::now() + self.options.query_timeout,
            inline: false,
        };
        with_limit(limit, || self.read_now(work))
    }

    fn read_now<T>(
        &self,
        work: impl FnOnce(&Reader) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let conn = self.acquire()?;
        let result = work(&conn);
        self.release(conn);
        result
    }

    /// A read that may be costly (a collection page): run inline for up to
    /// [`INLINE_BUDGET`], and if it is still running then, again off the async
    /// workers, within what is left of the read deadline. `work` may run twice, so it
    /// starts from nothing each time.
    pub async fn read_costly<T>(
        &self,
        mut work: impl FnMut(&Reader) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let started = std::time::Instant::now();
        let deadline = started + self.options.query_timeout;
        let inline = Limit {
            at: (started + INLINE_BUDGET).min(deadline),
            inline: true,
        };
        STOPPED_INLINE.with(|stopped| stopped.set(false));
        let first = with_limit(inline, || self.read_now(&mut work));
        if !STOPPED_INLINE.with(|stopped| stopped.replace(false)) {
            return first;
        }
        let Ok(Ok(_permit)) = tokio::time::timeout_at(deadline.into(), self.costly.acquire()).await
        else {
            return Err(ApiError::query_timeout());
        };
        let rest = Limit {
            at: deadline,
            inline: false,
        };
        let mut run = || with_limit(rest, || self.read_now(&mut work));
        // `block_in_place` hands this worker's other tasks to another thread; it needs
        // the multi-threaded runtime (a current-thread one just runs the read here).
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(run),
            _ => run(),
        }
    }

    /// A read connection of its own with a page cache of `cache_kib` KiB, for a long
    /// run of reads of pages read once (a media file streamed out in chunks), which
    /// would otherwise fill the shared readers' caches (and the server's memory).
    pub fn own_reader(&self, cache_kib: i64) -> Result<Reader, ApiError> {
        let conn = connect(&self.path, self.functions, self.options)?;
        conn.pragma_update(None, "cache_size", -cache_kib)?;
        Ok(conn)
    }

    /// [`Db::write`] from a blocking thread (`spawn_blocking`), for work that runs
    /// long and waits on others (an import's writer, fed rows by its parser). Must not
    /// be called from async code: it blocks until the write connection is free.
    pub fn write_blocking<T>(
        &self,
        work: impl FnOnce(&Writer<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.writer.blocking_lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&tx)?;
        tx.commit()?;
        self.committed();
        Ok(value)
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
        self.committed();
        Ok(value)
    }

    /// A receiver that sees a new value after each committed write transaction.
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.commits.subscribe()
    }

    fn committed(&self) {
        // Without receivers (no live subscription) this is a counter bump under an
        // uncontended lock: the write path pays nothing else.
        self.commits.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// Create the database file when it is missing, readable and writable by its owner
/// only: it holds every document, and SQLite gives its `-wal` and `-shm` files the
/// same mode. An existing file keeps the mode its owner gave it.
fn create_private(path: &Path) -> std::io::Result<()> {
    // SQLite's own names (an in-memory database, a `file:` URI) are not files to make.
    let name = path.to_string_lossy();
    if name.is_empty() || name == ":memory:" || name.starts_with("file:") {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

fn connect(
    path: &Path,
    functions: SqlFunctions,
    options: DbOptions,
) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let mut conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
    conn.pragma_update(None, "synchronous", options.durability.pragma())?;
    // A negative cache_size is in KiB.
    let cache_kib = i64::try_from(options.cache_mib.saturating_mul(1024)).unwrap_or(i64::MAX);
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    // The bundled SQLite has STAT4, which re-plans a cached statement whenever a bound
    // value might change the plan: on every request. Keep the first plan instead.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.progress_handler(PROGRESS_STEPS, Some(past_limit))?;
    functions(&conn)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_functions(_: &Connection) -> rusqlite::Result<()> {
        Ok(())
    }

    static T: Table = Table {
        name: "t",
        key: crate::schema::Key::Text,
        columns: &[crate::schema::Column::new(
            "name",
            crate::schema::ColumnType::Text,
        )],
        indexes: &[],
    };

    /// A database in a fresh file holding one row `name`.
    fn db_named(dir: &Path, name: &str) -> Db {
        let path = dir.join(format!("{name}.db"));
        let db = Db::open(
            &path,
            &[&T],
            History::default(),
            no_functions,
            DbOptions {
                cache_mib: 1,
                ..DbOptions::default()
            },
        )
        .expect("open");
        db.writer
            .try_lock()
            .expect("no writer yet")
            .execute("INSERT INTO t VALUES (?1, ?1, 0, 0, '')", [name])
            .expect("insert");
        db
    }

    fn name_in(db: &Db) -> String {
        db.read(|conn| Ok(conn.query_row("SELECT name FROM t", [], |row| row.get(0))?))
            .expect("read")
    }

    /// A statement that runs for minutes unless interrupted: counts to 10^10.
    const ENDLESS: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
                           WHERE i < 10000000000) SELECT count(*) FROM n";

    fn db_with_timeout(name: &str, timeout: std::time::Duration) -> (PathBuf, Db) {
        let dir = std::env::temp_dir().join(format!("apigen-db-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::open(
            &dir.join("t.db"),
            &[&T],
            History::default(),
            no_functions,
            DbOptions {
                cache_mib: 1,
                query_timeout: timeout,
                ..DbOptions::default()
            },
        )
        .expect("open");
        (dir, db)
    }

    #[test]
    fn a_read_past_its_deadline_is_a_503_and_the_connection_serves_the_next() {
        let (dir, db) = db_with_timeout("deadline", std::time::Duration::from_millis(200));
        let started = std::time::Instant::now();
        let error = db
            .read(|conn| Ok(conn.query_row(ENDLESS, [], |row| row.get::<_, i64>(0))?))
            .expect_err("interrupted");
        let elapsed = started.elapsed();
        assert_eq!(error.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
        // Ends soon after its deadline (generously: machines are noisy).
        assert!(elapsed < std::time::Duration::from_secs(5), "{elapsed:?}");
        let one: i64 = db
            .read(|conn| Ok(conn.query_row("SELECT 1", [], |row| row.get(0))?))
            .expect("the next read is not interrupted");
        assert_eq!(one, 1);
        // Writes have no read deadline.
        assert!(LIMIT.with(|limit| limit.get()).is_none());
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_costly_read_moves_off_the_worker_and_a_cheap_one_does_not() {
        let (dir, db) = db_with_timeout("costly", std::time::Duration::from_millis(300));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut runs = 0;
            let cheap: i64 = db
                .read_costly(|conn| {
                    runs += 1;
                    Ok(conn.query_row("SELECT 1", [], |row| row.get(0))?)
                })
                .await
                .expect("cheap");
            assert_eq!((cheap, runs), (1, 1), "a cheap read runs once, inline");
            let mut runs = 0;
            let error = db
                .read_costly(|conn| {
                    runs += 1;
                    Ok(conn.query_row(ENDLESS, [], |row| row.get::<_, i64>(0))?)
                })
                .await
                .expect_err("past the deadline");
            assert_eq!(error.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(runs, 2, "stopped inline, then run again off the worker");
        });
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_and_its_wal_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("apigen-db-mode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let db = db_named(&dir, "private");
        for name in ["private.db", "private.db-wal", "private.db-shm"] {
            let mode = std::fs::metadata(dir.join(name))
                .expect(name)
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
        }
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn durability_sets_sqlites_synchronous_on_every_connection() {
        let dir = std::env::temp_dir().join(format!("apigen-db-sync-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        for (durability, level) in [(Durability::Normal, 1), (Durability::Full, 2)] {
            let options = DbOptions {
                durability,
                ..DbOptions::default()
            };
            let db = Db::open(
                &dir.join("sync.db"),
                &[&T],
                History::default(),
                no_functions,
                options,
            )
            .expect("open");
            let read: i64 = db
                .read(|conn| Ok(conn.query_row("PRAGMA synchronous", [], |row| row.get(0))?))
                .expect("read");
            assert_eq!(read, level, "{durability:?}");
            let written: i64 = db
                .writer
                .try_lock()
                .expect("writer")
                .query_row("PRAGMA synchronous", [], |row| row.get(0))
                .expect("writer pragma");
            assert_eq!(written, level, "{durability:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn each_database_reads_its_own_file_on_a_shared_thread() {
        let dir = std::env::temp_dir().join(format!("apigen-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (a, b) = (db_named(&dir, "a"), db_named(&dir, "b"));
        for _ in 0..3 {
            assert_eq!(name_in(&a), "a");
            assert_eq!(name_in(&b), "b");
        }
        // A read inside a read gets another connection, not the one in use.
        let nested = a.read(|_| Ok(name_in(&a))).expect("nested read");
        assert_eq!(nested, "a");
        // Once `a` is gone, its slot serves the next database read on this thread.
        let slot_owner = |db: &Db| {
            THREAD_READER.with(|slot| slot.borrow().as_ref().is_some_and(|(t, _)| db.owns(t)))
        };
        assert!(slot_owner(&a));
        drop(a);
        assert_eq!(name_in(&b), "b");
        assert!(slot_owner(&b));
        // A second live database reads from the pool, and does not evict `b`.
        let c = db_named(&dir, "c");
        assert_eq!(name_in(&c), "c");
        assert!(slot_owner(&b));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
