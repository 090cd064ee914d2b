//! Accepting connections with limits that are on by default.
//!
//! `axum::serve` has no header-read timeout and no connection cap, so connections are
//! served here with hyper directly: a client that opens a connection and trickles its
//! headers is cut off after `header_read_timeout`, and at most `max_connections` are
//! served at once (the rest wait in the kernel's accept queue).

use std::future::Future;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::db::{Db, OpenError};
use crate::hooks::Hooks;
use crate::layers::App;
use crate::state::{AppState, Settings};
use crate::Api;

/// How the server runs; `main` fills it from the command line. `A` is the API it
/// serves, which gives the defaults.
#[derive(Debug, Clone)]
pub struct Config<A: Api> {
    pub addr: SocketAddr,
    /// The SQLite database file (created when missing).
    pub db: PathBuf,
    pub max_body_bytes: usize,
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    /// How long a client has to send a whole request body, once its headers are in.
    pub body_read_timeout: Duration,
    /// The database's page cache and durability (`--db-cache-mib`, `--durability`).
    pub db_options: crate::db::DbOptions,
    /// HTTPS with this certificate and key (`--tls-cert`, `--tls-key`); plain HTTP
    /// without.
    pub tls: Option<crate::tls::Tls>,
    /// What `serve` logs to stderr (`--log-level`; `log::init`): `info` logs every
    /// request. An embedding program's own `tracing` subscriber ignores it.
    pub log_level: tracing::level_filters::LevelFilter,
    /// What live subscriptions may hold (`live`).
    #[cfg(feature = "live")]
    pub live: crate::live::Limits,
    /// The API: `Config::default()` fills this.
    pub api: PhantomData<fn() -> A>,
}

impl<A: Api> Default for Config<A> {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db: PathBuf::from(A::DEFAULT_DB_FILE),
            max_body_bytes: A::MAX_BODY_BYTES,
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            db_options: crate::db::DbOptions::default(),
            tls: None,
            log_level: crate::log::default_level(),
            #[cfg(feature = "live")]
            live: crate::live::Limits::default(),
            api: PhantomData,
        }
    }
}

/// Open the database and build the application (router and state).
/// What opening the database did to it (migrations applied) is logged on stderr.
pub fn app<A: Api>(config: &Config<A>, hooks: Arc<dyn Hooks>) -> Result<App, OpenError> {
    let state = state::<A>(config, hooks)?;
    Ok(crate::layers::wrap(A::router(state), A::WEB))
}

/// Open the database and build what every handler is given (also the `import`
/// command's, which writes through the handlers' code without serving).
pub fn state<A: Api>(config: &Config<A>, hooks: Arc<dyn Hooks>) -> Result<AppState, OpenError> {
    let db = Db::open_with::<A>(&config.db, config.db_options)?;
    for line in db.migrated() {
        eprintln!("{line}");
    }
    Ok(AppState {
        db: Arc::new(db),
        hooks,
        settings: Arc::new(Settings {
            prefix: A::PREFIX,
            max_body_bytes: config.max_body_bytes,
            body_read_timeout: config.body_read_timeout,
            bulk_max_items: A::BULK_MAX_ITEMS,
        }),
        #[cfg(feature = "auth")]
        auth: match A::AUTH {
            None => None,
            Some(settings) => Some(Arc::new(
                crate::auth::Auth::new(settings, A::CHECK_AUTH).map_err(OpenError::Auth)?,
            )),
        },
        #[cfg(feature = "limits")]
        limits: A::LIMITS.map(|settings| Arc::new(crate::limits::Limits::in_memory(settings))),
        #[cfg(feature = "live")]
        live: Some(Arc::new(crate::live::Live::new(
            config.live,
            Arc::new(crate::live::InMemory::default()),
        ))),
    })
}

/// The `migrate` command: bring the database to this version (`sqlite::migrate`)
/// without serving it; what was done, empty when nothing was needed.
pub fn migrate<A: Api>(config: &Config<A>) -> Result<Vec<String>, OpenError> {
    let options = crate::db::DbOptions {
        migrate: true,
        ..config.db_options
    };
    let db = Db::open_with::<A>(&config.db, options)?;
    Ok(db.migrated().to_vec())
}

/// `migrate --dry-run`: the SQL `migrate` would run on the database, with comments.
/// Nothing is changed, and a missing database is not created.
pub fn migrate_dry_run<A: Api>(config: &Config<A>) -> Result<String, OpenError> {
    Db::dry_run::<A>(&config.db)
}

/// The generated binary's `migrate [--dry-run]`: apply the pending migrations, or
/// print their SQL, saying what was done on stderr; the process's exit code.
pub fn migrate_command<A: Api>(config: &Config<A>, dry_run: bool) -> std::process::ExitCode {
    use std::process::ExitCode;
    let db = config.db.display();
    if dry_run {
        return match migrate_dry_run(config) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: cannot read the database {db}: {error}");
                ExitCode::FAILURE
            }
        };
    }
    match migrate(config) {
        Ok(done) if done.is_empty() => {
            eprintln!("{db} is up to date: nothing to migrate");
            ExitCode::SUCCESS
        }
        Ok(done) => {
            for line in done {
                eprintln!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: cannot migrate the database {db}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Serve `app` on `listener` until `shutdown` completes.
pub async fn serve<A: Api>(
    listener: TcpListener,
    app: App,
    config: &Config<A>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let timeout = config.header_read_timeout;
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return Ok(()),
            },
            () = &mut shutdown => return Ok(()),
        };
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait, do not spin or exit.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        let service = app.for_client(client, A::CLIENT_ADDRESS);
        // A live subscription may end its connection (a slow consumer's).
        #[cfg(feature = "live")]
        let (service, disconnect) = {
            let disconnect = crate::live::Disconnect::default();
            (
                service.with_disconnect(disconnect.clone()),
                Some(disconnect),
            )
        };
        #[cfg(not(feature = "live"))]
        let disconnect: Option<Disconnect> = None;
        let tls = config.tls.clone();
        tokio::spawn(async move {
            let ended = async {
                match disconnect {
                    Some(disconnect) => disconnect.wait().await,
                    None => std::future::pending().await,
                }
            };
            tokio::pin!(ended);
            match tls {
                None => serve_connection(stream, service, timeout, ended).await,
                #[cfg(feature = "tls")]
                Some(tls) => {
                    // The handshake is part of the request: the header-read timeout
                    // covers it, so a client cannot hold a slot by never finishing it.
                    if let Ok(Ok(stream)) =
                        tokio::time::timeout(timeout, tls.acceptor.accept(stream)).await
                    {
                        serve_connection(stream, service, timeout, ended).await;
                    }
                }
                #[cfg(not(feature = "tls"))]
                Some(_) => {}
            }
            drop(permit);
        });
    }
}

/// Serve HTTP/1.1 on one connection, plain or TLS, until it closes or `ended`
/// completes (a live subscription ending its slow consumer's connection).
async fn serve_connection<S>(
    stream: S,
    service: App,
    header_read_timeout: Duration,
    ended: impl Future<Output = ()>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(stream), service)
        // A WebSocket (`live`) takes the connection over.
        .with_upgrades();
    // A client that goes away mid-request is not the server's error.
    tokio::select! {
        _ = connection => {}
        () = ended => {}
    }
}

/// What a connection's `ended` waits on: never, without live subscriptions.
#[cfg(not(feature = "live"))]
struct Disconnect;

#[cfg(not(feature = "live"))]
impl Disconnect {
    async fn wait(&self) {}
}
