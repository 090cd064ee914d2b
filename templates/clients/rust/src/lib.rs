//! The runtime of apigen's typed Rust clients: the HTTP transport (auth, retry, Eve's
//! errors), the typed filter builder, pages, ETags, batches, live subscriptions and
//! imports. Nothing here depends on a spec.
//!
//! This crate is compiled, linted and tested once; each generated client carries its
//! source files as the module `runtime` (the files name each other with `super::`,
//! which is this crate's root here and the `runtime` module there).

pub mod auth;
pub mod batch;
pub mod document;
pub mod error;
pub mod import;
pub mod live;
pub mod page;
pub mod query;
pub mod transport;
