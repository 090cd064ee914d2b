//! The generated binary's `import` command: a local file into a resource, through the
//! same code as `POST <collection>/import` but without HTTP, for the import too big
//! for one request. A progress line on a terminal, a summary at the end.
//!
//! `<binary> import RESOURCE FILE [--mode insert|upsert|replace] [--upsert-on KEY]
//! [--on-error abort|skip] [--db FILE]`. `FILE` is CSV, or XLSX / a JSON table by its
//! extension (`.xlsx`, `.json`); `-` reads a CSV from stdin. `--upsert-on KEY` alone
//! means `--mode upsert`.

use std::future::Future;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::source::Source;
use super::{Import, Mode, OnError, Options, Report};
use crate::error::ApiError;
use crate::oplog::Client;
use crate::resource::Resource;
use crate::routes::Scope;
use crate::server::Config;
use crate::state::AppState;
use crate::Api;

/// An import of one resource, its type erased so the generated command can list
/// every importable resource by name.
pub type Importer = fn(
    AppState,
    PathBuf,
    Options,
) -> Pin<Box<dyn Future<Output = Result<Report, ApiError>> + Send>>;

/// The [`Importer`] of `R`.
pub fn importer<R: Resource>(
    state: AppState,
    path: PathBuf,
    options: Options,
) -> Pin<Box<dyn Future<Output = Result<Report, ApiError>> + Send>> {
    Box::pin(async move { import_file::<R>(&state, &path, &options).await })
}

/// What the command line asked for.
#[derive(Debug, PartialEq)]
struct Args {
    resource: String,
    file: PathBuf,
    mode: Option<Mode>,
    key: Option<String>,
    on_error: OnError,
    db: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut positional = Vec::new();
    let (mut mode, mut key, mut on_error, mut db) = (None, None, OnError::Abort, None);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| rest.next().cloned())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag {
            "--mode" => {
                mode = Some(match value()?.as_str() {
                    "insert" => Mode::Insert,
                    "upsert" => Mode::Upsert,
                    "replace" => Mode::Replace,
                    other => {
                        return Err(format!(
                            "--mode: '{other}' is not insert, upsert or replace"
                        ))
                    }
                })
            }
            "--upsert-on" => key = Some(value()?),
            "--on-error" => {
                on_error = match value()?.as_str() {
                    "abort" => OnError::Abort,
                    "skip" => OnError::Skip,
                    other => return Err(format!("--on-error: '{other}' is not abort or skip")),
                }
            }
            "--db" => db = Some(PathBuf::from(value()?)),
            _ if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => positional.push(arg.clone()),
        }
    }
    let [resource, file] = <[String; 2]>::try_from(positional)
        .map_err(|_| "import takes a resource and a file: import RESOURCE FILE".to_string())?;
    Ok(Args {
        resource,
        file: PathBuf::from(file),
        mode,
        key,
        on_error,
        db,
    })
}

/// `import RESOURCE FILE ...`: `args` after `import`; `resources` the importable ones.
pub fn main<A: Api>(
    args: &[String],
    resources: &[(&str, Importer)],
    hooks: Arc<dyn crate::hooks::Hooks>,
) -> ExitCode {
    let args = match parse(args) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let names: Vec<&str> = resources.iter().map(|(name, _)| *name).collect();
    let found = resources.iter().find(|(name, _)| *name == args.resource);
    let info = A::RESOURCES.iter().find(|info| info.name == args.resource);
    let (Some((_, importer)), Some(import)) = (found, info.and_then(|info| info.import)) else {
        eprintln!(
            "error: '{}' takes no imports; the resources that do: {}",
            args.resource,
            names.join(", ")
        );
        return ExitCode::from(2);
    };
    let options = match options(import, &args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let mut config = Config::<A>::default();
    if let Some(db) = &args.db {
        config.db = db.clone();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let state = match crate::server::state::<A>(&config, hooks) {
        Ok(state) => state,
        Err(error) => {
            eprintln!(
                "error: cannot open the database {}: {error}",
                config.db.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let on_error = options.on_error;
    let result = runtime.block_on(importer(state, args.file.clone(), options));
    summarize(&args, on_error, result, started)
}

fn options(import: &Import, args: &Args) -> Result<Options, String> {
    let mut options = Options::new(import);
    options.on_error = args.on_error;
    if let Some(key) = &args.key {
        import
            .check_key(key)
            .map_err(|keys| format!("--upsert-on: '{key}' is not {keys}"))?;
        options.key = key.clone();
        options.mode = Mode::Upsert;
    }
    if let Some(mode) = args.mode {
        options.mode = mode;
    }
    import
        .check_mode(options.mode)
        .map_err(|why| format!("{}'s {why}", args.resource))?;
    Ok(options)
}

fn summarize(
    args: &Args,
    on_error: OnError,
    result: Result<Report, ApiError>,
    started: Instant,
) -> ExitCode {
    let file = args.file.display();
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            clear_progress();
            let issues = error
                .issues
                .map(|issues| format!(" {}", issues.to_json()))
                .unwrap_or_default();
            eprintln!("error: {file}: {}{issues}", error.message);
            return ExitCode::FAILURE;
        }
    };
    clear_progress();
    let seconds = started.elapsed().as_secs_f64();
    let rate = report.rows as f64 / seconds.max(1e-9);
    for (row, issues) in report.rejects.iter().take(20) {
        eprintln!("row {row}: {}", issues.to_json());
    }
    if report.rejected > 20 {
        eprintln!("... and {} more rejected rows", report.rejected - 20);
    }
    let failed = on_error == OnError::Abort && report.rejected > 0;
    if failed {
        eprintln!(
            "{file}: {} row(s) rejected of {}; nothing was imported (--on-error skip keeps the good rows)",
            report.rejected, report.rows
        );
        return ExitCode::FAILURE;
    }
    println!(
        "{file} into {}: {} rows, {} inserted, {} updated, {} rejected{} in {seconds:.1} s ({rate:.0} rows/s)",
        args.resource,
        report.rows,
        report.inserted,
        report.updated,
        report.rejected,
        if report.replaced > 0 {
            format!(", {} replaced", report.replaced)
        } else {
            String::new()
        },
    );
    ExitCode::SUCCESS
}

/// Import the file at `path` into `R` (as no user: the command is the server's
/// operator), with a progress line on a terminal.
pub async fn import_file<R: Resource>(
    state: &AppState,
    path: &Path,
    options: &Options,
) -> Result<Report, ApiError> {
    let info = R::INFO;
    let unreadable = |error: std::io::Error| {
        ApiError::bad_request(format!("cannot read {}: {error}", path.display()))
    };
    let (file, size): (Box<dyn std::io::Read + Send>, u64) = if path == Path::new("-") {
        (Box::new(std::io::stdin()), 0)
    } else {
        let file = std::fs::File::open(path).map_err(unreadable)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(file), size)
    };
    let read = Arc::new(AtomicU64::new(0));
    let chunks = super::source::file_chunks(file, read.clone());
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let source = match extension.as_str() {
        "xlsx" => super::xlsx::rows(info, chunks).await?,
        "json" => {
            let mut bytes = Vec::new();
            let mut chunks = chunks;
            while let Some(chunk) = futures_util::StreamExt::next(&mut chunks).await {
                bytes.extend_from_slice(&chunk?);
            }
            let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::bad_request(format!("{} is not JSON: {e}", path.display()))
            })?;
            match value {
                serde_json::Value::Array(rows) => Source::table(rows),
                _ => return Err(ApiError::bad_request(
                    "a JSON file must hold a table: a list of rows, the first naming the columns",
                )),
            }
        }
        _ => Source::csv(chunks),
    };
    // The operator writes as no user: documents of an `auth_field` resource keep the
    // owner their row names.
    let scope = Scope {
        url: std::borrow::Cow::Borrowed(info.url),
        values: Vec::new(),
        owner: info.auth_field.map(|field| (field, None)),
    };
    let client = Client::default();
    let terminal = std::io::stderr().is_terminal();
    let started = Instant::now();
    let progress = move |report: &Report| {
        if !terminal {
            return;
        }
        let done = read.load(Ordering::Relaxed);
        let share = if size > 0 {
            format!(" ({:.0}%)", done as f64 * 100.0 / size as f64)
        } else {
            String::new()
        };
        let rate = report.rows as f64 / started.elapsed().as_secs_f64().max(1e-9);
        eprint!(
            "\r{}: {} rows{share}, {} rejected, {rate:.0} rows/s   ",
            info.name, report.rows, report.rejected
        );
        let _ = std::io::stderr().flush();
    };
    super::write::run::<R>(state, &scope, &client, options, source, Box::new(progress)).await
}

/// End the progress line, if one was drawn.
fn clear_progress() {
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_command_line_is_read() {
        let parsed = parse(&args(&[
            "people",
            "people.csv",
            "--upsert-on",
            "lastname",
            "--db=x.db",
        ]))
        .unwrap();
        assert_eq!(parsed.resource, "people");
        assert_eq!(parsed.file, PathBuf::from("people.csv"));
        assert_eq!(parsed.key.as_deref(), Some("lastname"));
        assert_eq!(parsed.db, Some(PathBuf::from("x.db")));
        assert_eq!(parsed.on_error, OnError::Abort);
        let parsed = parse(&args(&[
            "people",
            "-",
            "--on-error",
            "skip",
            "--mode",
            "replace",
        ]))
        .unwrap();
        assert_eq!(parsed.on_error, OnError::Skip);
        assert_eq!(parsed.mode, Some(Mode::Replace));
        assert!(parse(&args(&["people"])).is_err());
        assert!(parse(&args(&["people", "a.csv", "b.csv"])).is_err());
        assert!(parse(&args(&["people", "a.csv", "--mode", "merge"])).is_err());
        assert!(parse(&args(&["people", "a.csv", "--force"])).is_err());
        assert!(parse(&args(&["people", "a.csv", "--db"])).is_err());
    }

    #[test]
    fn options_follow_the_spec() {
        static IMPORT: Import = Import {
            upsert_on: &["lastname"],
            replace: false,
            batch: 10,
            max_bytes: 1 << 20,
        };
        let parsed = parse(&args(&["people", "p.csv", "--upsert-on", "lastname"])).unwrap();
        let options = options(&IMPORT, &parsed).unwrap();
        assert_eq!(options.mode, Mode::Upsert);
        assert_eq!(options.key, "lastname");
        let parsed = parse(&args(&["people", "p.csv", "--upsert-on", "firstname"])).unwrap();
        assert!(options_err(&IMPORT, &parsed).contains("lastname"));
        let parsed = parse(&args(&["people", "p.csv", "--mode", "replace"])).unwrap();
        assert!(options_err(&IMPORT, &parsed).contains("replace"));
    }

    fn options_err(import: &Import, args: &Args) -> String {
        options(import, args).unwrap_err()
    }
}
