//! apigen: a TOML domain spec in, an Eve-compatible Rust API server crate out.
//!
//! The pipeline runs one way:
//!
//! ```text
//! spec.toml ──spec::parse──► Spec ──model::resolve──► Model ──crate_files──► files ──output──► disk
//!                 └──────────── Diagnostic (file:line:col + help) ───┘
//! ```
//!
//! - [`spec`] mirrors the TOML with source spans;
//! - [`model`] validates and resolves it (names, types, routes, defaults);
//! - [`crate_files`] lists every file of the generated crate, rendered by [`render`]
//!   from `templates/`, printing the Rust that [`rust`] (with [`catalog`] and
//!   [`document`]) writes for the Model, plus [`openapi`];
//! - [`clients`] writes the typed clients (Rust, TypeScript, Python) from the same
//!   Model, into `clients/<language>/`;
//! - [`output`] writes them, or reports what would change (`--check`);
//! - [`migration`] compares the stored schema `apigen.json` recorded with the new one
//!   and writes the difference as a numbered SQL migration.

pub mod access;
pub mod catalog;
pub mod clients;
pub mod crate_files;
pub mod diagnostic;
pub mod document;
pub mod endpoints;
pub mod extending;
pub mod imports;
pub mod limits;
pub mod migration;
pub mod model;
pub mod openapi;
pub mod output;
pub mod render;
pub mod rust;
pub mod schema_json;
pub mod spec;

use std::path::Path;

pub use crate_files::{OutputFile, Owner, RuntimeSource};
pub use diagnostic::Diagnostic;
pub use model::Model;

/// Anything that stops a command.
#[derive(Debug)]
pub enum Error {
    /// The spec is wrong: the user's to fix.
    Spec(Box<Diagnostic>),
    /// A template produced broken code: apigen's bug.
    Render(render::RenderError),
    Io(output::IoError),
    /// The command cannot do what was asked (say, `new` into a foreign directory).
    Refused(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Spec(diagnostic) => write!(f, "{diagnostic}"),
            Error::Render(error) => write!(f, "error: {error}"),
            Error::Io(error) => write!(f, "error: {error}"),
            Error::Refused(message) => write!(f, "error: {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<Diagnostic> for Error {
    fn from(diagnostic: Diagnostic) -> Self {
        Error::Spec(Box::new(diagnostic))
    }
}

impl From<render::RenderError> for Error {
    fn from(error: render::RenderError) -> Self {
        Error::Render(error)
    }
}

impl From<output::IoError> for Error {
    fn from(error: output::IoError) -> Self {
        Error::Io(error)
    }
}

/// Parse and resolve a spec's text; `path` names it in diagnostics.
pub fn model_from_str(path: &str, source: &str) -> Result<Model, Diagnostic> {
    let spec = spec::parse(path, source)?;
    model::resolve(path, source, &spec)
}

/// Read, parse and resolve the spec at `path`.
pub fn load(path: &Path) -> Result<Model, Error> {
    let shown = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|error| {
        Diagnostic::whole_file(&shown, format!("cannot read the spec: {error}"))
            .with_help("pass the path of a TOML spec, like `specs/people.toml`")
    })?;
    Ok(model_from_str(&shown, &source)?)
}

/// Every file of the crate for `model`, including the manifest. `spec_path` is the
/// spec's path relative to the crate's root; `runtime` where it gets the runtime.
/// The crate has no migrations: see [`crate_files_with`].
pub fn crate_files(
    model: &Model,
    spec_path: &str,
    runtime: &RuntimeSource,
) -> Result<Vec<OutputFile>, Error> {
    crate_files_with(model, spec_path, runtime, &Migrations::default())
}

/// The migrations of a crate: the ones it has (by name, in order, as `apigen.json`
/// records them) and the one this regeneration adds, if any.
#[derive(Debug, Clone, Default)]
pub struct Migrations {
    pub existing: Vec<String>,
    pub new: Option<migration::NewMigration>,
}

impl Migrations {
    /// Every migration's name, the new one last.
    pub fn names(&self) -> Vec<String> {
        let mut names = self.existing.clone();
        names.extend(self.new.iter().map(|m| m.name.clone()));
        names
    }
}

/// [`crate_files`] for a crate with `migrations`: the new one is written (once; a
/// migration file is never rewritten) and the server compiles in all of them.
pub fn crate_files_with(
    model: &Model,
    spec_path: &str,
    runtime: &RuntimeSource,
    migrations: &Migrations,
) -> Result<Vec<OutputFile>, Error> {
    let names = migrations.names();
    let mut files = crate_files::crate_files(model, spec_path, runtime, &names)?;
    files.extend(clients::files(model)?);
    if let Some(new) = &migrations.new {
        files.push(OutputFile {
            path: new.path(),
            contents: new.sql.clone(),
            owner: Owner::Migration,
        });
    }
    let manifest = output::Manifest::for_files(spec_path, runtime, &files, model, &names);
    files.push(OutputFile {
        path: output::MANIFEST.to_string(),
        contents: manifest.to_text(),
        owner: Owner::Apigen,
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
