//! The credentials a client sends, in each scheme an apigen server reads: an API key
//! (`x-api-key`), HTTP Basic, a bearer token (the server's tokens, or a JWT), Eve's
//! HMAC signature and the dataset seed's signed request, both computed here exactly
//! as the server verifies them (`templates/runtime/src/auth/signed.rs`).

use std::sync::Mutex;

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

/// Who the caller is.
#[derive(Clone, Default)]
pub enum Credentials {
    /// No user (public operations, or an API key alone).
    #[default]
    None,
    /// HTTP Basic: a user of the server's users table and its password.
    Basic { user: String, password: String },
    /// `Authorization: Bearer <token>`: a token from `tokens create`, or a JWT from
    /// one of the API's issuers.
    Bearer(String),
    /// Eve's HMAC: `Authorization: <user>:<hex HMAC-SHA256>` over the method, the
    /// request target, `X-Timestamp` and the body's SHA-256, keyed with the user's
    /// signing secret (`users secret`).
    #[cfg(feature = "signing")]
    Hmac { user: String, secret: String },
    /// The dataset seed's signed request: `visitor`, `stamp` (ms), `type` and
    /// `token = hex(SHA1(key + stamp + visitor + type))` in the query string.
    #[cfg(feature = "signing")]
    Signed {
        visitor: String,
        key: String,
        kind: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret.
        let name = match self {
            Credentials::None => "None",
            Credentials::Basic { .. } => "Basic",
            Credentials::Bearer(_) => "Bearer",
            #[cfg(feature = "signing")]
            Credentials::Hmac { .. } => "Hmac",
            #[cfg(feature = "signing")]
            Credentials::Signed { .. } => "Signed",
        };
        f.write_str(name)
    }
}

/// The credentials and API key a client sends with every request.
#[derive(Debug, Default)]
pub struct Auth {
    pub credentials: Credentials,
    /// Sent as `x-api-key` (the consumer, for `api_key_required` operations and quotas).
    pub api_key: Option<String>,
    /// Signatures are accepted once: the times used lately, to never sign the same
    /// request twice with the same time.
    #[cfg_attr(not(feature = "signing"), allow(dead_code))]
    used: Mutex<Used>,
}

#[derive(Debug, Default)]
#[cfg_attr(not(feature = "signing"), allow(dead_code))]
struct Used {
    /// The last dataset `stamp` sent (milliseconds); each new one is later.
    last_stamp: u128,
    /// `(timestamp, signature)` of recent HMAC requests.
    hmac: std::collections::VecDeque<(u64, String)>,
}

impl Auth {
    /// Credentials and an optional API key.
    pub fn new(credentials: Credentials, api_key: Option<String>) -> Auth {
        Auth {
            credentials,
            api_key,
            used: Mutex::default(),
        }
    }

    /// Adds the credentials to a request about to be sent: headers, and for signed
    /// requests the query fields. `body` is the body exactly as sent.
    pub fn apply(&self, method: &str, url: &mut Url, headers: &mut HeaderMap, body: &[u8]) {
        if let Some(key) = &self.api_key
            && let Ok(value) = HeaderValue::from_str(key)
        {
            headers.insert(HeaderName::from_static("x-api-key"), value);
        }
        match &self.credentials {
            Credentials::None => {}
            Credentials::Basic { user, password } => {
                let value = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
                insert(headers, AUTHORIZATION, &value);
            }
            Credentials::Bearer(token) => {
                insert(headers, AUTHORIZATION, &format!("Bearer {token}"))
            }
            #[cfg(feature = "signing")]
            Credentials::Hmac { user, secret } => {
                let target = match url.query() {
                    Some(query) => format!("{}?{query}", url.path()),
                    None => url.path().to_string(),
                };
                let now = now().as_secs();
                let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
                let mut timestamp = now;
                let signature = loop {
                    let stamp = timestamp.to_string();
                    let signature = sign_hmac(
                        secret.as_bytes(),
                        &hmac_message(method, &target, &stamp, body),
                    );
                    if !used
                        .hmac
                        .iter()
                        .any(|(t, s)| *t == timestamp && *s == signature)
                    {
                        break signature;
                    }
                    timestamp += 1;
                };
                used.hmac.retain(|(t, _)| *t + 600 > now);
                if used.hmac.len() >= 4096 {
                    used.hmac.pop_front();
                }
                used.hmac.push_back((timestamp, signature.clone()));
                insert(
                    headers,
                    HeaderName::from_static("x-timestamp"),
                    &timestamp.to_string(),
                );
                insert(headers, AUTHORIZATION, &format!("{user}:{signature}"));
            }
            #[cfg(feature = "signing")]
            Credentials::Signed { visitor, key, kind } => {
                let stamp = {
                    let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
                    let stamp = now().as_millis().max(used.last_stamp + 1);
                    used.last_stamp = stamp;
                    stamp.to_string()
                };
                let token = sign_dataset(key.as_bytes(), &stamp, visitor, kind);
                url.query_pairs_mut()
                    .append_pair("visitor", visitor)
                    .append_pair("stamp", &stamp)
                    .append_pair("type", kind)
                    .append_pair("token", &token);
            }
        }
        let _ = (method, body, &url);
    }
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

#[cfg(feature = "signing")]
fn now() -> std::time::Duration {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// The text an HMAC request signs: method, request target, timestamp and the hex
/// SHA-256 of the body, joined by `\n`.
#[cfg(feature = "signing")]
pub fn hmac_message(method: &str, target: &str, timestamp: &str, body: &[u8]) -> String {
    use sha2::Digest;
    format!(
        "{method}\n{target}\n{timestamp}\n{}",
        hex(&sha2::Sha256::digest(body))
    )
}

/// The lowercase hex HMAC-SHA256 of `message` keyed with `secret`.
#[cfg(feature = "signing")]
pub fn sign_hmac(secret: &[u8], message: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(message.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The dataset seed's token: lowercase hex `SHA1(key + stamp + visitor + kind)`.
#[cfg(feature = "signing")]
pub fn sign_dataset(key: &[u8], stamp: &str, visitor: &str, kind: &str) -> String {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(key);
    sha.update(stamp.as_bytes());
    sha.update(visitor.as_bytes());
    sha.update(kind.as_bytes());
    hex(&sha.digest().bytes())
}

#[cfg(feature = "signing")]
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 with padding (HTTP Basic credentials).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_base64() {
        assert_eq!(base64(b"alice:s3cret"), "YWxpY2U6czNjcmV0");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
    }

    #[cfg(feature = "signing")]
    #[test]
    fn the_servers_documented_examples() {
        let message = hmac_message(
            "POST",
            "/people?lang=fr",
            "1700000000",
            "{\"name\":\"Zoë\"}".as_bytes(),
        );
        assert_eq!(
            sign_hmac(b"s3cret", &message),
            "4626971b99b7e6e154d8c65d4484293cd33afb51cea0151cb6e37573e9a21706"
        );
        assert_eq!(
            sign_dataset(b"k3y", "1700000000000", "Jos\u{e9}", "123"),
            "b7919238a5b1b52be918d6550dbf7be9db3151e9"
        );
    }

    #[cfg(feature = "signing")]
    #[test]
    fn the_same_request_is_never_signed_twice_with_the_same_time() {
        let auth = Auth::new(
            Credentials::Hmac {
                user: "alice".into(),
                secret: "s".into(),
            },
            None,
        );
        let mut stamps = Vec::new();
        for _ in 0..3 {
            let mut url = Url::parse("http://h/x").unwrap();
            let mut headers = HeaderMap::new();
            auth.apply("GET", &mut url, &mut headers, b"");
            stamps.push(headers["x-timestamp"].to_str().unwrap().to_string());
        }
        stamps.dedup();
        assert_eq!(stamps.len(), 3);
    }
}
