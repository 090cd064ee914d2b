//! Your own authentication (`authentication = ["custom"]` in the spec, Eve's
//! `check_auth`): apigen created this file once and never touches it again.
//!
//! The notes example's deliveries come from a payment provider that signs nothing: it
//! sends the secret it shares with us in `X-Provider-Secret`. The secret is read from
//! `NOTES_PROVIDER_SECRET` once; without it, every delivery is refused.

use std::sync::LazyLock;

use crate::api::auth::{AuthRequest, Caller};

static SECRET: LazyLock<Option<String>> = LazyLock::new(|| {
    std::env::var("NOTES_PROVIDER_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
});

/// The provider, with the `provider` role, when the header holds the shared secret.
pub fn check_auth(request: &AuthRequest<'_>) -> Option<Caller> {
    let expected = SECRET.as_deref()?;
    let sent = request.headers.get("x-provider-secret")?.as_bytes();
    if !same(sent, expected.as_bytes()) {
        return None;
    }
    Some(Caller {
        user: Some("provider".to_string()),
        roles: vec!["provider".to_string()],
        consumer: None,
    })
}

/// Equal bytes, compared in time that depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
