//! `apigen dev`: serve a spec's API and follow the spec as it is edited.
//!
//! The crate is generated into a scratch directory and built with cargo; its binary
//! is copied to a per-generation path and run directly (not through `cargo run`), so
//! the next build cannot disturb the running server and the last good binary can be
//! started again. Every save of the spec regenerates, rebuilds and restarts the
//! server on the same database; a spec error, a build failure or a server that will
//! not start leaves the last good server serving.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use apigen::output::{self, Manifest};
use apigen::{Error, Model, RuntimeSource};
use notify::{EventKind, RecursiveMode, Watcher};

use crate::{io_error, write_crate};

/// Editors save in bursts (write a temp file, rename it over the spec, touch it):
/// long enough to make a burst one rebuild, short enough not to be noticed.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// A server that refuses to start (a database that does not match the spec, a busy
/// address) exits at once; one still running after this is taken to have started.
const STARTUP_GRACE: Duration = Duration::from_secs(2);
/// Time a server has to finish after SIGINT before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// How often `apigen dev`, when idle, checks that the server still runs.
const CHECK_SERVER: Duration = Duration::from_secs(1);
/// How often a starting or stopping server is looked at.
const POLL: Duration = Duration::from_millis(50);
/// The folder of the scratch directory that holds the servers' binaries.
const BINARIES: &str = ".apigen-dev";

macro_rules! event {
    ($($arg:tt)*) => {
        eprintln!("apigen dev: {}", format_args!($($arg)*))
    };
}

/// Runs `apigen dev` until it is interrupted; returns only on an error at start.
pub(crate) fn dev(
    spec: &Path,
    addr: &str,
    dir: Option<PathBuf>,
    release: bool,
    allow_drop: bool,
) -> Result<ExitCode, Error> {
    let model = apigen::load(spec)?;
    let root = std::env::temp_dir().join("apigen-dev");
    let dir = dir.unwrap_or_else(|| root.join(&model.api.package));
    fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
    if Manifest::read(&dir).is_none() && output::is_occupied(&dir) {
        return Err(Error::Refused(format!(
            "{} is not empty and is not an apigen crate; choose another --dir",
            dir.display()
        )));
    }
    let binaries = dir.join(BINARIES);
    // Binaries of an earlier session are stale, and each is as large as a server.
    let _ = fs::remove_dir_all(&binaries);
    fs::create_dir_all(&binaries).map_err(|e| io_error(&binaries, e))?;
    let mut session = Session {
        spec,
        addr,
        db: dir.join(format!("{}.db", model.api.name)),
        dir,
        release,
        allow_drop,
        // One target directory for every dev crate: rebuilds after a spec edit are quick.
        target_dir: std::env::var_os("CARGO_TARGET_DIR")
            .is_none()
            .then(|| root.join("target")),
        binaries,
        generation: 0,
        serving_current: false,
    };

    // Watch before the first build, so a save made while it runs is not missed.
    let (watched, name) = watch_target(spec)?;
    let (events, changes) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(events).map_err(|e| watch_error(spec, e))?;
    // The directory, not the file: editors save by renaming a new file over the
    // spec, which replaces the inode a watch on the file would follow.
    watcher
        .watch(&watched, RecursiveMode::NonRecursive)
        .map_err(|e| watch_error(spec, e))?;

    let mut server = Some(session.first(&model)?);
    let mut saved_at: Option<Instant> = None;
    let mut check_at = Instant::now() + CHECK_SERVER;
    loop {
        let deadline = saved_at.map_or(check_at, |at| at + DEBOUNCE);
        match changes.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Ok(event)) => {
                if is_save(&event, &name) {
                    // A save is a burst of events; rebuild once it is quiet.
                    saved_at = Some(Instant::now());
                }
            }
            Ok(Err(error)) => event!("watching {}: {error}", watched.display()),
            Err(RecvTimeoutError::Timeout) => {
                if saved_at.take().is_some() {
                    session.reload(&mut server);
                } else {
                    if let Some(status) = server.as_mut().and_then(Server::exited) {
                        event!("the server exited ({status}); save the spec to start it again");
                        server = None;
                        session.serving_current = false;
                    }
                    check_at = Instant::now() + CHECK_SERVER;
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Error::Refused(format!(
                    "the watch on {} stopped",
                    watched.display()
                )));
            }
        }
    }
}

/// Whether `event` may have changed the spec. Reading it (apigen does, on every
/// save) is an event too, and must not start another rebuild.
fn is_save(event: &notify::Event, name: &OsStr) -> bool {
    !matches!(event.kind, EventKind::Access(_))
        && event
            .paths
            .iter()
            .any(|path| path.file_name() == Some(name))
}

/// The directory to watch and the spec's file name in it.
fn watch_target(spec: &Path) -> Result<(PathBuf, std::ffi::OsString), Error> {
    let name = spec
        .file_name()
        .ok_or_else(|| Error::Refused(format!("{} does not name a spec file", spec.display())))?;
    let parent = match spec.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let parent = parent.canonicalize().map_err(|e| io_error(parent, e))?;
    Ok((parent, name.to_owned()))
}

fn watch_error(spec: &Path, error: notify::Error) -> Error {
    Error::Refused(format!(
        "cannot watch {} for changes: {error}",
        spec.display()
    ))
}

/// Prints an error the way `main` does: its Display ends the line or is given an end.
fn print_error(error: &Error) {
    let text = error.to_string();
    if text.ends_with('\n') {
        eprint!("{text}");
    } else {
        eprintln!("{text}");
    }
}

struct Session<'a> {
    spec: &'a Path,
    addr: &'a str,
    dir: PathBuf,
    /// Fixed at start: a spec edit changes the server, never the data it serves.
    db: PathBuf,
    release: bool,
    /// `--allow-drop`: migrations may drop fields and resources removed from the spec.
    allow_drop: bool,
    /// The `CARGO_TARGET_DIR` to give cargo; `None` keeps the caller's.
    target_dir: Option<PathBuf>,
    binaries: PathBuf,
    generation: u32,
    /// The server runs what the crate now in `dir` builds to, so an unchanged crate
    /// needs no restart.
    serving_current: bool,
}

impl Session<'_> {
    /// The first generation: any failure ends `apigen dev`, since there is nothing to
    /// keep serving.
    fn first(&mut self, model: &Model) -> Result<Server, Error> {
        write_crate(
            self.spec,
            model,
            &self.dir,
            &RuntimeSource::Vendored,
            self.allow_drop,
        )?;
        event!(
            "generated {} in {}; building it (the first build takes a minute or two)",
            model.api.package,
            self.dir.display()
        );
        let built = self.build(&model.api.package).map_err(Error::Refused)?;
        let binary = self.keep(&built)?;
        let mut server = Server::start(&binary, self.addr, &self.db)?;
        if let Err(status) = server.settle() {
            return Err(Error::Refused(format!(
                "the server exited at once ({status}); its message is above"
            )));
        }
        self.serving_current = true;
        self.announce(model);
        Ok(server)
    }

    /// After a save of the spec: regenerate, rebuild, restart, or say why not and
    /// keep what serves now.
    fn reload(&mut self, server: &mut Option<Server>) {
        event!("{} changed; regenerating", self.spec.display());
        let model = match apigen::load(self.spec) {
            Ok(model) => model,
            Err(error) => {
                print_error(&error);
                event!("spec error; {}", still_serving(server));
                return;
            }
        };
        match write_crate(
            self.spec,
            &model,
            &self.dir,
            &RuntimeSource::Vendored,
            self.allow_drop,
        ) {
            // A change the migrations cannot carry out without the user saying more
            // is a spec error too: the diagnostic says what to write.
            Err(Error::Spec(diagnostic)) => {
                print_error(&Error::Spec(diagnostic));
                event!("spec error; {}", still_serving(server));
                return;
            }
            Ok(changes) if changes.is_empty() && self.serving_current && server.is_some() => {
                event!("the generated crate is unchanged; nothing to restart");
                return;
            }
            Ok(_) => {}
            Err(error) => {
                print_error(&error);
                event!("cannot write the crate; {}", still_serving(server));
                return;
            }
        }
        self.serving_current = false;
        event!("building {}", model.api.package);
        let binary = match self.build(&model.api.package) {
            Ok(built) => match self.keep(&built) {
                Ok(binary) => binary,
                Err(error) => {
                    print_error(&error);
                    event!("{}", still_serving(server));
                    return;
                }
            },
            Err(message) => {
                eprintln!("error: {message}");
                event!("build failed; {}", still_serving(server));
                return;
            }
        };

        let previous = server.take().map(Server::stop);
        match Server::start(&binary, self.addr, &self.db) {
            Ok(mut next) => match next.settle() {
                Ok(()) => {
                    *server = Some(next);
                    self.serving_current = true;
                    self.announce(&model);
                    if let Some(previous) = previous {
                        let _ = fs::remove_file(previous);
                    }
                    return;
                }
                Err(status) => event!("the new server exited at once ({status})"),
            },
            Err(error) => print_error(&error),
        }
        let _ = fs::remove_file(&binary);
        let Some(previous) = previous else {
            event!("no server is running; fix the spec and save it again");
            return;
        };
        event!("restarting the last good version");
        match Server::start(&previous, self.addr, &self.db) {
            Ok(mut last) => match last.settle() {
                Ok(()) => {
                    *server = Some(last);
                    event!("serving the last good version again");
                }
                Err(status) => event!(
                    "the last good version exited too ({status}); no server is running: \
                     fix the spec and save it again"
                ),
            },
            Err(error) => {
                print_error(&error);
                event!("no server is running; fix the spec and save it again");
            }
        }
    }

    fn announce(&self, model: &Model) {
        event!(
            "serving {} at http://{}{}/ (database {}); watching {} for changes",
            model.api.package,
            self.addr,
            model.api.prefix,
            self.db.display(),
            self.spec.display()
        );
    }

    /// `cargo build` of the crate; the path of the package's binary, or why there is
    /// none. Cargo's own output (progress, compiler errors) goes straight to stderr.
    fn build(&self, package: &str) -> Result<PathBuf, String> {
        let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cargo
            .arg("build")
            .arg("--manifest-path")
            .arg(self.dir.join("Cargo.toml"))
            // Artifacts as JSON on stdout (where the binary is), diagnostics rendered
            // as usual on stderr.
            .arg("--message-format=json-render-diagnostics")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if self.release {
            cargo.arg("--release");
        }
        if let Some(target_dir) = &self.target_dir {
            cargo.env("CARGO_TARGET_DIR", target_dir);
        }
        let output = cargo
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "cargo build of {} failed ({}); its output is above",
                self.dir.display(),
                output.status
            ));
        }
        executable(&output.stdout, package)
            .ok_or_else(|| format!("cargo built no `{package}` binary"))
    }

    /// A copy of a freshly built binary that the next build leaves alone.
    fn keep(&mut self, built: &Path) -> Result<PathBuf, Error> {
        self.generation += 1;
        let name = built
            .file_name()
            .unwrap_or_else(|| OsStr::new("server"))
            .to_string_lossy();
        let copy = self.binaries.join(format!("{name}-{}", self.generation));
        fs::copy(built, &copy).map_err(|e| io_error(&copy, e))?;
        Ok(copy)
    }
}

fn still_serving(server: &Option<Server>) -> &'static str {
    if server.is_some() {
        "still serving the last good version"
    } else {
        "no server is running"
    }
}

/// The `executable` of the package's binary among cargo's JSON messages.
fn executable(stdout: &[u8], package: &str) -> Option<PathBuf> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact" && message["target"]["name"] == package
        })
        .filter_map(|message| message["executable"].as_str().map(PathBuf::from))
        .next_back()
}

/// A running server. Killed when dropped, so no way out of `apigen dev` (an error,
/// a panic) leaves it serving.
struct Server {
    child: Child,
    binary: PathBuf,
}

impl Server {
    fn start(binary: &Path, addr: &str, db: &Path) -> Result<Server, Error> {
        let child = Command::new(binary)
            .args(["serve", "--addr", addr, "--db"])
            .arg(db)
            // The server reads no input, so it has no claim on the terminal's.
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| io_error(binary, e))?;
        Ok(Server {
            child,
            binary: binary.to_path_buf(),
        })
    }

    /// Waits out the start-up grace; the exit status if the server stopped in it.
    fn settle(&mut self) -> Result<(), ExitStatus> {
        let deadline = Instant::now() + STARTUP_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(status);
            }
            std::thread::sleep(POLL);
        }
        Ok(())
    }

    /// The exit status, once the server has stopped by itself.
    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stops the server as Ctrl-C would (SIGINT: it finishes and closes its
    /// database), killing it if it does not exit in time; returns its binary.
    fn stop(mut self) -> PathBuf {
        let interrupted = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if interrupted {
            let deadline = Instant::now() + STOP_GRACE;
            while Instant::now() < deadline {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(POLL);
            }
        }
        // Drop kills it if it is still running.
        std::mem::take(&mut self.binary)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_binary_among_cargo_messages() {
        let stdout = br#"{"reason":"compiler-artifact","target":{"name":"people_api","kind":["lib"]},"executable":null}
{"reason":"compiler-artifact","target":{"name":"people-api","kind":["bin"]},"executable":"/t/debug/people-api"}
{"reason":"build-finished","success":true}
"#;
        assert_eq!(
            executable(stdout, "people-api"),
            Some(PathBuf::from("/t/debug/people-api"))
        );
        assert_eq!(executable(stdout, "other-api"), None);
    }

    #[test]
    fn watches_the_directory_of_a_bare_file_name() {
        let (dir, name) = watch_target(Path::new("spec.toml")).expect("a watch target");
        assert_eq!(dir, Path::new(".").canonicalize().unwrap());
        assert_eq!(name, "spec.toml");
    }
}
