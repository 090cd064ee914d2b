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
