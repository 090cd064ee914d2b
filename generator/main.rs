//! The `apigen` command line.

mod dev;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use apigen::output::{self, Change, Manifest};
use apigen::{Error, Migrations, Model, RuntimeSource};
use clap::{Args, Parser, Subcommand};

/// Exit code when `generate --check` finds stale files.
const EXIT_STALE: u8 = 1;
/// Exit code for every error (bad spec, I/O, refused); clap also uses 2 for bad usage.
const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "apigen",
    version,
    about = "Generate an Eve-compatible Rust API server crate from a TOML domain spec",
    after_help = "Example:\n  apigen new specs/people.toml --out services/people\n  apigen dev specs/people.toml\n\nExit codes: 0 success, 1 `generate --check` found stale files, 2 error."
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Scaffold a new service crate from a spec.
    #[command(
        after_help = "Example:\n  apigen new specs/people.toml --out services/people\n  cd services/people && cargo run -- serve"
    )]
    New {
        /// The spec (TOML).
        spec: PathBuf,
        /// Where to create the crate [default: ./<name>-api].
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
    /// Regenerate an existing crate in place: rewrites apigen's files, never yours.
    #[command(
        after_help = "Examples:\n  apigen generate --out services/people specs/people.toml\n  cd services/people && apigen generate          # the spec recorded in apigen.json\n  apigen generate --check --out services/people  # CI: exit 1 if stale"
    )]
    Generate {
        /// The spec [default: the one recorded in the crate's apigen.json].
        spec: Option<PathBuf>,
        /// The crate's directory.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Write nothing; list the files that would change and exit 1 if any would.
        #[arg(long)]
        check: bool,
        /// Let the migration drop fields and resources gone from the spec, with their
        /// stored values (without it, generation stops and says what would be lost).
        #[arg(long)]
        allow_drop: bool,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
    /// Write (or check) a copy of the runtime crate that several services share.
    #[command(
        after_help = "Example:\n  apigen runtime --out services/apigen-runtime\n  apigen new specs/people.toml --out services/people --runtime-path ../apigen-runtime\n  apigen runtime --check --out services/apigen-runtime   # CI: exit 1 if stale"
    )]
    Runtime {
        /// Where the runtime crate goes.
        #[arg(long)]
        out: PathBuf,
        /// Write nothing; list the files that would change and exit 1 if any would.
        #[arg(long)]
        check: bool,
    },
    /// Validate a spec and report its first error with file:line:col and a hint.
    #[command(after_help = "Example:\n  apigen check specs/people.toml")]
    Check { spec: PathBuf },
    /// Print the API's OpenAPI 3.1 document.
    #[command(after_help = "Example:\n  apigen openapi specs/people.toml > openapi.json")]
    Openapi { spec: PathBuf },
    /// Generate the spec's service into a scratch directory, serve it, and follow the spec.
    #[command(
        after_help = "Every save of the spec regenerates the crate, rebuilds it and restarts the server\n\
on the same database. A spec error (with its file:line:col) or a build failure is\n\
printed, and the last good server keeps serving. Ctrl-C stops both.\n\n\
Example:\n  apigen dev specs/people.toml --addr 127.0.0.1:8080\n  curl http://127.0.0.1:8080/api/v1/people"
    )]
    Dev {
        /// The spec (TOML); every save of it restarts the server.
        spec: PathBuf,
        /// Address to serve on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Scratch directory [default: <temp>/apigen-dev/<name>-api].
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Build the server with optimisations.
        #[arg(long)]
        release: bool,
        /// Let the migrations drop fields and resources removed from the spec (as
        /// `generate --allow-drop`); without it such a save is refused and the last
        /// good server keeps serving.
        #[arg(long)]
        allow_drop: bool,
    },
}

/// Where a crate gets the runtime; without either flag, `new` vendors it and
/// `generate` keeps what `apigen.json` records.
#[derive(Args)]
struct RuntimeArgs {
    /// Depend on a shared copy of the runtime at this path, relative to the crate
    /// (write it with `apigen runtime --out DIR`) instead of vendoring one.
    #[arg(long, value_name = "DIR", conflicts_with = "runtime_version")]
    runtime_path: Option<String>,
    /// Depend on the published `apigen-runtime` crate at this version requirement.
    #[arg(long, value_name = "VERSION")]
    runtime_version: Option<String>,
    /// Vendor the runtime into the crate's `apigen-runtime/` (the default for `new`).
    #[arg(long, conflicts_with_all = ["runtime_path", "runtime_version"])]
    vendor_runtime: bool,
}

impl RuntimeArgs {
    /// The runtime source the flags name, if any.
    fn source(&self) -> Option<RuntimeSource> {
        if self.vendor_runtime {
            Some(RuntimeSource::Vendored)
        } else if let Some(path) = &self.runtime_path {
            Some(RuntimeSource::Path(path.trim_end_matches('/').to_string()))
        } else {
            self.runtime_version.clone().map(RuntimeSource::Version)
        }
    }
}

/// `println!` that ignores a closed stdout (`apigen openapi spec.toml | head`)
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Commands::New { spec, out, runtime } => new(&spec, out, runtime.source()),
        Commands::Generate {
            spec,
            out,
            check,
            allow_drop,
            runtime,
        } => generate(spec, &out, check, allow_drop, runtime.source()),
        Commands::Runtime { out, check } => runtime(&out, check),
        Commands::Check { spec } => apigen::load(&spec).map(|model| {
            say!(
                "{}: ok ({} resource{})",
                spec.display(),
                model.resources.len(),
                if model.resources.len() == 1 { "" } else { "s" }
            );
            ExitCode::SUCCESS
        }),
        Commands::Openapi { spec } => apigen::load(&spec).map(|model| {
            use std::io::Write as _;
            let _ = std::io::stdout().write_all(apigen::openapi::document_text(&model).as_bytes());
            ExitCode::SUCCESS
        }),
        Commands::Dev {
            spec,
            addr,
            dir,
            release,
            allow_drop,
        } => dev::dev(&spec, &addr, dir, release, allow_drop),
    };
    result.unwrap_or_else(|error| {
        eprint!("{error}");
        if !error.to_string().ends_with('\n') {
            eprintln!();
        }
        ExitCode::from(EXIT_ERROR)
    })
}

pub(crate) fn io_error(path: &Path, error: std::io::Error) -> Error {
    Error::Io(output::IoError {
        path: path.to_path_buf(),
        error,
    })
}

/// The crate's migrations, and the one this regeneration adds: the difference between
/// the stored schema its `apigen.json` recorded and `model`'s (none for a new crate).
fn migrations_for(
    spec: &Path,
    model: &Model,
    dir: &Path,
    allow_drop: bool,
) -> Result<Migrations, Error> {
    let Some(manifest) = Manifest::read(dir) else {
        return Ok(Migrations::default());
    };
    let source = std::fs::read_to_string(spec).map_err(|e| io_error(spec, e))?;
    let new = apigen::migration::plan(
        &manifest.tables,
        manifest.migrations.len(),
        model,
        &spec.display().to_string(),
        &source,
        allow_drop,
    )?;
    Ok(Migrations {
        existing: manifest.migrations,
        new,
    })
}

/// Every file of the crate for the spec at `spec` in `dir` (which must exist), with
/// the migrations it has and needs.
fn files_for(
    spec: &Path,
    model: &Model,
    dir: &Path,
    runtime: &RuntimeSource,
    migrations: &Migrations,
) -> Result<Vec<apigen::OutputFile>, Error> {
    let spec_path = output::relative_path(dir, spec).map_err(|e| io_error(spec, e))?;
    apigen::crate_files_with(model, &spec_path, runtime, migrations)
}

/// Write the crate for the spec at `spec` into `dir` (which must exist), with a new
/// migration when its stored schema changed; nothing is written when the change
/// needs the spec to say more (a drop without `allow_drop`, a changed type...).
pub(crate) fn write_crate(
    spec: &Path,
    model: &Model,
    dir: &Path,
    runtime: &RuntimeSource,
    allow_drop: bool,
) -> Result<Vec<(String, Change)>, Error> {
    let migrations = migrations_for(spec, model, dir, allow_drop)?;
    let files = files_for(spec, model, dir, runtime, &migrations)?;
    let changes = output::write(dir, &files)?;
    if let Some(new) = &migrations.new {
        say!("migration {}:", new.name);
        for step in &new.steps {
            say!("  {}", step.describe());
        }
    }
    Ok(changes)
}

fn report(dir: &Path, changes: &[(String, Change)]) {
    for (path, change) in changes {
        say!("{:>7} {}", change.verb(), dir.join(path).display());
    }
}

fn new(
    spec: &Path,
    out: Option<PathBuf>,
    runtime: Option<RuntimeSource>,
) -> Result<ExitCode, Error> {
    let model = apigen::load(spec)?;
    let dir = out.unwrap_or_else(|| PathBuf::from(&model.api.package));
    if output::is_occupied(&dir) && Manifest::read(&dir).is_none() {
        return Err(Error::Refused(format!(
            "{} is not empty and is not an apigen crate (it has no {}); choose another --out",
            dir.display(),
            output::MANIFEST
        )));
    }
    std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
    let runtime = runtime
        .or_else(|| Manifest::read(&dir).map(|m| m.runtime))
        .unwrap_or_default();
    let changes = write_crate(spec, &model, &dir, &runtime, false)?;
    report(&dir, &changes);
    say!(
        "\nCreated {} in {}. Next:\n  cd {} && cargo run -- serve\n\
         Put your code in src/hooks.rs; after editing the spec, run `apigen generate` there.\n\
         Inside a cargo workspace, add the crate to its `members`.",
        model.api.package,
        dir.display(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn generate(
    spec: Option<PathBuf>,
    dir: &Path,
    check: bool,
    allow_drop: bool,
    runtime: Option<RuntimeSource>,
) -> Result<ExitCode, Error> {
    let manifest = Manifest::read(dir);
    let runtime = runtime
        .or_else(|| manifest.as_ref().map(|m| m.runtime.clone()))
        .unwrap_or_default();
    let spec = match (spec, &manifest) {
        (Some(spec), _) => spec,
        (None, Some(manifest)) => dir.join(&manifest.spec),
        (None, None) => {
            return Err(Error::Refused(format!(
                "{} is not an apigen crate (no {}); pass the spec, or use `apigen new`",
                dir.display(),
                output::MANIFEST
            )));
        }
    };
    if !dir.is_dir() {
        return Err(Error::Refused(format!(
            "{} does not exist; create the crate with `apigen new {} --out {}`",
            dir.display(),
            spec.display(),
            dir.display()
        )));
    }
    if manifest.is_none() && output::is_occupied(dir) {
        return Err(Error::Refused(format!(
            "{} is not an apigen crate (no {}) and is not empty; refusing to write into it. \
             Use `apigen new {} --out <new directory>`",
            dir.display(),
            output::MANIFEST,
            spec.display()
        )));
    }
    let model = apigen::load(&spec)?;
    if check {
        let migrations = migrations_for(&spec, &model, dir, allow_drop)?;
        let files = files_for(&spec, &model, dir, &runtime, &migrations)?;
        let stale = output::stale(dir, &files);
        if stale.is_empty() {
            say!("{} is up to date with {}", dir.display(), spec.display());
            return Ok(ExitCode::SUCCESS);
        }
        say!("{} is stale; `apigen generate` would:", dir.display());
        report(dir, &stale);
        return Ok(ExitCode::from(EXIT_STALE));
    }
    let changes = write_crate(&spec, &model, dir, &runtime, allow_drop)?;
    if changes.is_empty() {
        say!("{} is up to date", dir.display());
    }
    report(dir, &changes);
    Ok(ExitCode::SUCCESS)
}

/// `apigen runtime`: a shared copy of the runtime crate, written or checked.
fn runtime(dir: &Path, check: bool) -> Result<ExitCode, Error> {
    let files = apigen::crate_files::runtime_files("");
    if check {
        let stale = output::stale(dir, &files);
        if stale.is_empty() {
            say!("{} is up to date", dir.display());
            return Ok(ExitCode::SUCCESS);
        }
        say!("{} is stale; `apigen runtime` would:", dir.display());
        report(dir, &stale);
        return Ok(ExitCode::from(EXIT_STALE));
    }
    if output::is_occupied(dir) && !dir.join("src/lib.rs").exists() {
        return Err(Error::Refused(format!(
            "{} is not empty and holds no runtime crate; choose another --out",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let changes = output::write(dir, &files)?;
    if changes.is_empty() {
        say!("{} is up to date", dir.display());
    }
    report(dir, &changes);
    Ok(ExitCode::SUCCESS)
}
