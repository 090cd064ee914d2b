//! Your hooks: code the server runs around each write.
//!
//! apigen created this file once and will never overwrite it: edit it freely. Each
//! method of `Hooks` has a default that does nothing; implement the ones you need.
//! `Err` from a `before` hook aborts the request with that error (and rolls back the
//! write); the `after` hooks run once the write is committed. Every hook and its
//! arguments: the runtime's `hooks` module (`cargo doc --open`, or
//! `apigen-runtime/src/hooks.rs` in a crate that vendors the runtime).

use serde_json::{Map, Value};

/// The hooks the server calls; `main` passes one of these to the server.
pub struct AppHooks;

impl crate::api::hooks::Hooks for AppHooks {}

/// `[api] hooks`: every resource's documents as a GET serves them, given its name.
/// Each gets `_resource`, the resource it was read from; a book also its number of
/// photos.
impl crate::api::api_hooks::ApiHooks for AppHooks {
    fn on_fetched_resource(resource: &str, documents: &mut [Map<String, Value>]) {
        for document in documents {
            mark(resource, document);
        }
    }

    fn on_fetched_item(resource: &str, document: &mut Map<String, Value>) {
        mark(resource, document);
    }
}

fn mark(resource: &str, document: &mut Map<String, Value>) {
    document.insert("_resource".to_string(), Value::from(resource));
    if let Some(Value::Array(photos)) = document.get("photos") {
        let count = photos.len();
        document.insert("photo_count".to_string(), Value::from(count));
    }
}
