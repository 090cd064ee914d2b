//! Your hooks: code the server runs around each write.
//!
//! apigen created this file once and will never overwrite it: edit it freely. Each
//! method of `Hooks` has a default that does nothing; implement the ones you need.
//! `Err` from a `before` hook aborts the request with that error (and rolls back the
//! write); the `after` hooks run once the write is committed. Every hook and its
//! arguments: the runtime's `hooks` module (`cargo doc --open`, or
//! `apigen-runtime/src/hooks.rs` in a crate that vendors the runtime).

use rusqlite::Transaction;
use serde_json::{Map, Value};

use crate::api::error::ApiError;
use crate::api::hooks::Document;
use crate::api::resources::audit::AuditDocument;

/// The hooks the server calls; `main` passes one of these to the server.
pub struct AppHooks;

impl crate::api::hooks::Hooks for AppHooks {
    /// Every contact inserted is recorded in the internal `audit` resource, in the
    /// same transaction: no HTTP route reaches `audit`, only this Rust code.
    fn on_insert_tx(
        &self,
        resource: &str,
        documents: &[Document],
        tx: &Transaction<'_>,
    ) -> Result<(), ApiError> {
        if resource != "contacts" {
            return Ok(());
        }
        for _ in documents {
            let mut entry = Map::new();
            entry.insert("action".into(), Value::from("insert"));
            entry.insert("resource".into(), Value::from(resource));
            crate::api::data::insert::<AuditDocument>(tx, entry)?;
        }
        Ok(())
    }
}
