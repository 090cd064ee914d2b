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

/// `[api] hooks`: every resource's requests, given its name.
impl crate::api::api_hooks::ApiHooks for AppHooks {
    /// This CRM serves no `$regex` filters: they read every document of a table.
    fn on_pre_get(
        resource: &str,
        request: &crate::api::request_hooks::Request<'_>,
    ) -> Result<(), ApiError> {
        // `$` as sent, or percent-encoded.
        let asks_regex = request
            .query
            .is_some_and(|query| query.contains("$regex") || query.contains("%24regex"));
        if asks_regex {
            return Err(ApiError::bad_request(format!(
                "{resource}: `$regex` filters are not served by this API"
            )));
        }
        Ok(())
    }

    /// Every POST is logged with the resource and what it answered.
    fn on_post_post(
        resource: &str,
        request: &crate::api::request_hooks::Request<'_>,
        status: crate::api::request_hooks::StatusCode,
        payload: &Value,
    ) {
        apigen_runtime::tracing::info!(
            resource,
            path = request.path,
            status = status.as_u16(),
            id = %payload["_id"],
            "crm post"
        );
    }
}
