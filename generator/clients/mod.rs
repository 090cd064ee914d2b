//! The typed clients: one emitter per language, each reading the Model's operation
//! list (every operation a client method) and its documents, and writing a package
//! into `clients/<language>/` beside the server crate (`model::clients` decides which
//! languages and what the packages are called).
//!
//! Each generated method names the operation it calls in its documentation, as
//! ``operation `books.get_item` `` ([`operation_mark`]): the coverage test reads the
//! marks to check that each client covers exactly the operation list.

pub mod python;
pub mod rust;
pub mod typescript;

use crate::crate_files::OutputFile;
use crate::model::{Model, Operation, clients::Language};
use crate::render::RenderError;

/// Every file of every client the spec asks for, paths relative to the service's
/// directory (`clients/rust/Cargo.toml`).
pub fn files(model: &Model) -> Result<Vec<OutputFile>, RenderError> {
    let mut files = Vec::new();
    for language in &model.clients.languages {
        files.extend(match language {
            Language::Rust => rust::files(model)?,
            Language::TypeScript => typescript::files(model)?,
            Language::Python => python::files(model)?,
        });
    }
    Ok(files)
}

/// Whether `path` (relative to the service) is a client's copy of its language's
/// runtime (`templates/clients/<language>/`), the same for every spec: snapshots pin
/// only spec-derived files, as they do for the server's runtime.
pub fn is_runtime_copy(path: &str) -> bool {
    path.starts_with("clients/rust/src/runtime/")
        || path == "clients/typescript/src/runtime.ts"
        || (path.starts_with("clients/python/src/") && path.ends_with("/_runtime.py"))
}

/// What a generated method's documentation says of the operation it calls:
/// ``operation `books.get_item` ``, read back by the coverage test.
pub fn operation_mark(operation: &Operation) -> String {
    format!("operation `{}`", operation.id)
}
