//! Your hooks: code the server runs around each write.
//!
//! apigen created this file once and will never overwrite it: edit it freely. Each
//! method of `Hooks` has a default that does nothing; implement the ones you need.
//! `Err` from a `before` hook aborts the request with that error (and rolls back the
//! write); the `after` hooks run once the write is committed. Every hook and its
//! arguments: the runtime's `hooks` module (`cargo doc --open`, or
//! `apigen-runtime/src/hooks.rs` in a crate that vendors the runtime).

/// The hooks the server calls; `main` passes one of these to the server.
pub struct AppHooks;

impl crate::api::hooks::Hooks for AppHooks {}

use crate::api::error::ApiError;
use crate::api::request_hooks::{Request, StatusCode};
use crate::api::resources::works::{WorksDocument, WorksHooks};

/// How many characters of a work's description a page shows.
const PAGE_DESCRIPTION_CHARS: usize = 140;

/// `[resources.works] hooks`, typed with `WorksDocument`.
impl WorksHooks for AppHooks {
    /// A page lists works with their description cut to 140 characters (an item
    /// serves it whole).
    fn on_fetched_resource(documents: &mut Vec<WorksDocument>) {
        for work in documents {
            if let Some(description) = &mut work.description {
                if let Some((cut, _)) = description.char_indices().nth(PAGE_DESCRIPTION_CHARS) {
                    description.truncate(cut);
                    description.push('…');
                }
            }
        }
    }

    /// A work without a description is served with a placeholder.
    fn on_fetched_item(document: &mut WorksDocument) {
        if document.description.is_none() {
            document.description = Some("No description yet.".to_string());
        }
    }

    /// A work is deleted only when the client confirms it: `X-Confirm: delete`.
    fn on_pre_delete(request: &Request<'_>) -> Result<(), ApiError> {
        match request.headers.get("x-confirm") {
            Some(value) if value == "delete" => Ok(()),
            _ => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Send `X-Confirm: delete` to delete a work",
            )),
        }
    }

    /// Every POST of works is logged with what it created.
    fn on_post_post(request: &Request<'_>, status: StatusCode, payload: &serde_json::Value) {
        apigen_runtime::tracing::info!(
            path = request.path,
            status = status.as_u16(),
            id = %payload["_id"],
            "works posted"
        );
    }
}
