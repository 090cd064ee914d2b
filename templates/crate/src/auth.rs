//! Your own authentication (`authentication = ["custom"]` in the spec, Eve's
//! `check_auth`): apigen created this file once and never touches it again.
//!
//! `check_auth` sees each request to an operation that uses it, with the roles the
//! operation allows, and answers who is calling (a `Caller` with a user and their
//! roles), or `None` to refuse the request (401, with Eve's error envelope). It
//! replaces apigen's schemes for those operations; the roles it gives are checked
//! against the operation's as for any caller. It runs on the server's async workers:
//! keep it fast, and do no blocking I/O here.

use crate::api::auth::{AuthRequest, Caller};

/// Who is calling, or `None` to refuse. Until you write it, nobody gets in.
pub fn check_auth(request: &AuthRequest<'_>) -> Option<Caller> {
    let _ = request;
    None
}
