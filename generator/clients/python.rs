//! The python client (`clients/python/`).

use crate::crate_files::OutputFile;
use crate::model::Model;
use crate::render::RenderError;

/// The python client's files, paths starting `clients/python/`.
pub fn files(_model: &Model) -> Result<Vec<OutputFile>, RenderError> {
    Ok(Vec::new())
}
