//! The rust client (`clients/rust/`).

use crate::crate_files::OutputFile;
use crate::model::Model;
use crate::render::RenderError;

/// The rust client's files, paths starting `clients/rust/`.
pub fn files(_model: &Model) -> Result<Vec<OutputFile>, RenderError> {
    Ok(Vec::new())
}
