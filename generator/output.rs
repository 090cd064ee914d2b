//! Putting a generated crate on disk, or checking that it is already there.
//!
//! Apigen's files are written only when their bytes change (so builds are not
//! invalidated for nothing); the user's files only when missing; files apigen made
//! before but no longer makes (a resource removed from the spec) are removed. The
//! manifest `apigen.json` records which files are apigen's.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::crate_files::{OutputFile, Owner, RuntimeSource};
use crate::model::storage::Table;

/// The manifest's file name, at the crate's root.
pub const MANIFEST: &str = "apigen.json";

/// What `apigen.json` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `apigen <version>`: the one place the generator's version is written.
    pub generator: String,
    /// The spec, relative to the crate's root.
    pub spec: String,
    /// Where the crate gets the runtime: `"vendored"` (the default), `{"path": ...}`
    /// or `{"version": ...}`.
    #[serde(default)]
    pub runtime: RuntimeSource,
    /// Files apigen owns and rewrites.
    pub files: Vec<String>,
    /// Files apigen created once and leaves to the user.
    pub user_files: Vec<String>,
    /// The storage schema the crate was generated from, by table name: the key's
    /// type, the typed columns in order and the indexes (`model::storage`), so a later
    /// regeneration can tell what changed.
    #[serde(default)]
    pub tables: std::collections::BTreeMap<String, Table>,
    /// The crate's migrations (`migrations/<name>.sql`), in order: the next one is
    /// numbered after them, and the server compiles them all in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<String>,
}

impl Manifest {
    pub fn for_files(
        spec: &str,
        runtime: &RuntimeSource,
        files: &[OutputFile],
        model: &crate::Model,
        migrations: &[String],
    ) -> Manifest {
        let list = |owner| {
            let mut paths: Vec<String> = files
                .iter()
                .filter(|f| f.owner == owner)
                .map(|f| f.path.clone())
                .collect();
            if owner == Owner::Apigen {
                paths.push(MANIFEST.to_string());
            }
            paths.sort();
            paths
        };
        Manifest {
            generator: format!("apigen {}", env!("CARGO_PKG_VERSION")),
            spec: spec.to_string(),
            runtime: runtime.clone(),
            files: list(Owner::Apigen),
            user_files: list(Owner::User),
            tables: model
                .tables
                .iter()
                .map(|table| (table.name.clone(), table.clone()))
                .collect(),
            migrations: migrations.to_vec(),
        }
    }

    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The manifest of the crate at `dir`, if it is an apigen crate.
    /// Lenient about parts an older or newer apigen may write differently: a crate
    /// stays recognisable (and regenerable) across apigen versions.
    pub fn read(dir: &Path) -> Option<Manifest> {
        let text = fs::read_to_string(dir.join(MANIFEST)).ok()?;
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        let field = |key: &str| value.get(key).cloned().unwrap_or_default();
        Some(Manifest {
            generator: serde_json::from_value(field("generator")).unwrap_or_default(),
            spec: serde_json::from_value(field("spec")).ok()?,
            runtime: serde_json::from_value(field("runtime")).unwrap_or_default(),
            files: serde_json::from_value(field("files")).unwrap_or_default(),
            user_files: serde_json::from_value(field("user_files")).unwrap_or_default(),
            // A manifest of an older apigen (columns as `"name TYPE"` strings) has no
            // typed schema to read: it reads as none.
            tables: serde_json::from_value::<std::collections::BTreeMap<String, Table>>(field(
                "tables",
            ))
            .map(|tables| {
                tables
                    .into_iter()
                    .map(|(name, mut table)| {
                        table.name.clone_from(&name);
                        (name, table)
                    })
                    .collect()
            })
            .unwrap_or_default(),
            migrations: serde_json::from_value(field("migrations")).unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Create,
    Update,
    Remove,
}

impl Change {
    pub fn verb(self) -> &'static str {
        match self {
            Change::Create => "create",
            Change::Update => "update",
            Change::Remove => "remove",
        }
    }
}

/// An I/O failure, naming the file.
#[derive(Debug)]
pub struct IoError {
    pub path: PathBuf,
    pub error: std::io::Error,
}

impl std::fmt::Display for IoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.error)
    }
}

impl std::error::Error for IoError {}

/// What writing `files` into `dir` would change (nothing is written).
pub fn plan(dir: &Path, files: &[OutputFile]) -> Vec<(String, Change)> {
    let mut changes = Vec::new();
    for file in files {
        let path = dir.join(&file.path);
        match (file.owner, fs::read(&path)) {
            (_, Err(_)) => changes.push((file.path.clone(), Change::Create)),
            (Owner::Apigen, Ok(bytes)) if bytes != file.contents.as_bytes() => {
                changes.push((file.path.clone(), Change::Update));
            }
            _ => {}
        }
    }
    if let Some(previous) = Manifest::read(dir) {
        for old in previous.files {
            let still_made = files.iter().any(|f| f.path == old);
            if !still_made && is_safe_relative(&old) && dir.join(&old).exists() {
                changes.push((old, Change::Remove));
            }
        }
    }
    changes.sort();
    changes
}

/// What makes the crate at `dir` stale: the changes `plan` finds, less user files
/// that are missing (apigen would only create them; that is not staleness).
pub fn stale(dir: &Path, files: &[OutputFile]) -> Vec<(String, Change)> {
    plan(dir, files)
        .into_iter()
        .filter(|(path, change)| {
            !(*change == Change::Create
                && files
                    .iter()
                    .any(|f| &f.path == path && f.owner == Owner::User))
        })
        .collect()
}

/// Whether `dir` exists and has anything in it.
pub fn is_occupied(dir: &Path) -> bool {
    dir.read_dir()
        .map(|mut entries| entries.next().is_some())
        .unwrap_or(false)
}

/// Write `files` into `dir`, returning what changed.
pub fn write(dir: &Path, files: &[OutputFile]) -> Result<Vec<(String, Change)>, IoError> {
    let changes = plan(dir, files);
    for (path, change) in &changes {
        let full = dir.join(path);
        let io = |error| IoError {
            path: full.clone(),
            error,
        };
        match change {
            Change::Remove => fs::remove_file(&full).map_err(io)?,
            Change::Create | Change::Update => {
                let file = files
                    .iter()
                    .find(|f| &f.path == path)
                    .expect("planned from these files");
                if let Some(parent) = full.parent() {
                    fs::create_dir_all(parent).map_err(io)?;
                }
                fs::write(&full, &file.contents).map_err(io)?;
            }
        }
    }
    Ok(changes)
}

/// A manifest path that stays inside the crate (a hand-edited manifest cannot make
/// apigen remove files elsewhere).
fn is_safe_relative(path: &str) -> bool {
    let path = Path::new(path);
    path.is_relative()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// `to` relative to the directory `from`, with `/` separators. Both must exist.
pub fn relative_path(from: &Path, to: &Path) -> std::io::Result<String> {
    let from = fs::canonicalize(from)?;
    let to = fs::canonicalize(to)?;
    let from_parts: Vec<_> = from.components().collect();
    let to_parts: Vec<_> = to.components().collect();
    let common = from_parts
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = vec!["..".to_string(); from_parts.len() - common];
    parts.extend(
        to_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Ok(parts.join("/"))
}
