//! The typescript client (`clients/typescript/`).

use crate::crate_files::OutputFile;
use crate::model::Model;
use crate::render::RenderError;

/// The typescript client's files, paths starting `clients/typescript/`.
pub fn files(_model: &Model) -> Result<Vec<OutputFile>, RenderError> {
    Ok(Vec::new())
}
