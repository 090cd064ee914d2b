//! Signed requests: Eve's HMAC scheme (`authentication = ["hmac"]`) and the dataset
//! seed's SHA-1 token (`authentication = ["signed"]`). Both prove that the caller
//! holds a per-user secret (`_auth_users.secret`) without sending it, both carry a
//! time (refused outside `signature_max_age`, in either direction), and a signature is
//! accepted once ([`ReplayCache`]). Pure functions over text and bytes: the auth guard
//! reads the request and calls [`check_hmac`] or [`check_dataset`].
//!
//! # The wire contract: what a client does
//!
//! ## `hmac` (Eve's `HMACAuth` header shape)
//!
//! 1. Pick the timestamp: the current time in whole seconds since 1970-01-01 UTC, sent
//!    as `X-Timestamp: 1700000000`. (Or send no `X-Timestamp` and sign the value of the
//!    request's `Date` header, an HTTP date; `X-Timestamp` wins when both come.)
//! 2. Build the signed text, four lines joined by `\n` (no trailing newline):
//!    - the method, as on the request line (`POST`);
//!    - the request target as on the request line: the path and, when there is one,
//!      `?` and the query, exactly as sent (percent-encoding untouched), no scheme or
//!      host (`/people?lang=fr`);
//!    - the timestamp header's value exactly as sent (`1700000000`);
//!    - the lowercase hex SHA-256 of the body bytes as sent (of no bytes when there is
//!      no body: `e3b0c442...b855`).
//! 3. The signature is the hex HMAC-SHA256 of that text (UTF-8 bytes) keyed with the
//!    user's secret (the secret's UTF-8 bytes). Either case of hex digits is accepted.
//! 4. Send `Authorization: <user>:<signature>` — the user name (UTF-8, no `:`, no
//!    spaces or control characters), one colon, 64 hex digits.
//!
//! Worked example (asserted by this module's tests): user `alice`, secret `s3cret`,
//! `POST /people?lang=fr`, `X-Timestamp: 1700000000`, body `{"name":"Zoë"}` (UTF-8).
//! The body's SHA-256 is
//! `6bd0ee7972d372ec1f8a3cc44302e5449751305d73c2b69b5a79c62f88a4ca77`, the signed text
//! is `"POST\n/people?lang=fr\n1700000000\n6bd0ee79...ca77"`, and the request carries
//! `Authorization: alice:4626971b99b7e6e154d8c65d4484293cd33afb51cea0151cb6e37573e9a21706`.
//! In Python:
//!
//! ```text
//! body = '{"name":"Zoë"}'.encode()
//! msg = "POST\n/people?lang=fr\n1700000000\n" + hashlib.sha256(body).hexdigest()
//! sig = hmac.new(b"s3cret", msg.encode(), hashlib.sha256).hexdigest()
//! ```
//!
//! ## `signed` (the dataset seed's token)
//!
//! Four fields, in the query string or in an `application/x-www-form-urlencoded` body
//! (each exactly once, over both): `visitor` (the user name), `stamp` (the current
//! time in milliseconds since 1970-01-01 UTC, decimal), `type` (the dataset), and
//! `token`, the hex SHA-1 of the UTF-8 text `key + stamp + visitor + type` where `key`
//! is the visitor's secret. The token covers only those fields, not the path or the
//! rest of the body.
//!
//! Worked example (asserted by the tests): key `k3y`, stamp `1700000000000`, visitor
//! `José`, type `123`: `token = SHA1("k3y1700000000000José123")` =
//! `b7919238a5b1b52be918d6550dbf7be9db3151e9`; in Python
//! `hashlib.sha1(f"{key}{stamp}{visitor}{type}".encode()).hexdigest()`, as the seed's
//! own example computes it.
//!
//! ## Both
//!
//! The time signed must be within `signature_max_age` of the server's clock, before or
//! after; and a signature is accepted once: the same request sent again (within the
//! window, when it would still be fresh) is a replay and refused. So two identical
//! requests within one timestamp tick (a second for `hmac`, a millisecond for `signed`)
//! need something that tells them apart, e.g. a query parameter of the client's own.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Bytes in an HMAC-SHA256 signature (64 hex digits).
const HMAC_LEN: usize = 32;
/// Bytes in a SHA-1 token (40 hex digits).
const SHA1_LEN: usize = 20;
/// Decimal digits accepted in a time: far more than any real time needs (30 million
/// years in milliseconds), few enough that no arithmetic on it overflows.
const MAX_TIME_DIGITS: usize = 18;

/// Why a signed request is refused. All of them are the same 401 on the wire; the
/// variant is for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignError {
    /// Not the scheme's shape: a signature that is not hex of the right length, a time
    /// that is not a number or an HTTP date.
    Malformed,
    /// The time signed is outside the freshness window (too old, or too far ahead).
    Stale,
    /// The signature is not the one the user's secret makes.
    BadSignature,
    /// The signature was accepted before (or cannot be told apart from one that was).
    Replayed,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignError::Malformed => "malformed signed request",
            SignError::Stale => "signed request outside the freshness window",
            SignError::BadSignature => "bad signature",
            SignError::Replayed => "replayed signature",
        })
    }
}

impl std::error::Error for SignError {}

// ---------------------------------------------------------------------------------
// hmac

/// Splits `Authorization: <user>:<hex signature>` (Eve's `HMACAuth` shape: exactly one
/// colon). `None` when the value is not that shape, so the guard can try its other
/// schemes: the user must be non-empty without whitespace or control characters (so
/// `Basic ...`/`Bearer ...` values never match), the signature 64 hex digits.
pub fn parse_hmac_authorization(value: &str) -> Option<(&str, &str)> {
    let (user, signature) = value.split_once(':')?;
    let user_ok = !user.is_empty() && !user.chars().any(|c| c.is_whitespace() || c.is_control());
    let signature_ok =
        signature.len() == 2 * HMAC_LEN && signature.bytes().all(|b| b.is_ascii_hexdigit());
    (user_ok && signature_ok).then_some((user, signature))
}

/// The signed text: `METHOD \n PATH?QUERY \n TIMESTAMP \n hex(sha256(body))`.
pub fn hmac_message(method: &str, path_and_query: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
    let body_hash = hex(&Sha256::digest(body));
    let mut message = Vec::with_capacity(
        method.len() + path_and_query.len() + timestamp.len() + body_hash.len() + 3,
    );
    for (i, part) in [method, path_and_query, timestamp, body_hash.as_str()]
        .iter()
        .enumerate()
    {
        if i > 0 {
            message.push(b'\n');
        }
        message.extend_from_slice(part.as_bytes());
    }
    message
}

/// What a client sends: the lowercase hex HMAC-SHA256 of `message` (see
/// [`hmac_message`]) with the user's secret.
pub fn sign_hmac(secret: &[u8], message: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(message);
    hex(&mac.finalize().into_bytes())
}

/// Checks `signature_hex` (either case) against the HMAC-SHA256 of `message` with
/// `secret`, in constant time. No freshness or replay check: [`check_hmac`] does all.
pub fn verify_hmac(secret: &[u8], message: &[u8], signature_hex: &str) -> Result<(), SignError> {
    let signature = unhex::<HMAC_LEN>(signature_hex).ok_or(SignError::Malformed)?;
    verify_hmac_bytes(secret, message, &signature)
}

fn verify_hmac_bytes(secret: &[u8], message: &[u8], signature: &[u8]) -> Result<(), SignError> {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.verify_slice(signature)
        .map_err(|_| SignError::BadSignature)
}

/// One `hmac` request, as the guard reads it.
#[derive(Debug, Clone, Copy)]
pub struct HmacRequest<'a> {
    /// The method on the request line (before any method override).
    pub method: &'a str,
    /// The request target as sent: path, and `?query` when there is one.
    pub path_and_query: &'a str,
    /// `X-Timestamp`'s value, or else `Date`'s, exactly as sent.
    pub timestamp: &'a str,
    /// The body's bytes as received.
    pub body: &'a [u8],
    /// The hex signature from [`parse_hmac_authorization`].
    pub signature_hex: &'a str,
}

/// The whole `hmac` check, in the order that leaves nothing to an attacker: shape,
/// freshness (the cache's window), signature (constant time), and only then the replay
/// cache, so only genuine signatures take room in it.
pub fn check_hmac(
    cache: &ReplayCache,
    secret: &[u8],
    request: &HmacRequest<'_>,
    now: SystemTime,
) -> Result<(), SignError> {
    let signature = unhex::<HMAC_LEN>(request.signature_hex).ok_or(SignError::Malformed)?;
    let signed_at = fresh_ms(request.timestamp, now, cache.window)?;
    let message = hmac_message(
        request.method,
        request.path_and_query,
        request.timestamp,
        request.body,
    );
    verify_hmac_bytes(secret, &message, &signature)?;
    cache.first_use_ms(&signature, signed_at, now)
}

/// Checks an `hmac` timestamp: `X-Timestamp`'s integer seconds since the epoch (a
/// leading `-` allowed), or an HTTP date (`Date`'s three forms). Fresh when within
/// `max_age` of `now`, before or after; returns the time signed.
pub fn fresh(timestamp: &str, now: SystemTime, max_age: Duration) -> Result<SystemTime, SignError> {
    let signed_at = fresh_ms(timestamp, now, max_age)?;
    time_from_ms(signed_at).ok_or(SignError::Malformed)
}

fn fresh_ms(timestamp: &str, now: SystemTime, max_age: Duration) -> Result<i128, SignError> {
    let signed_at = match parse_decimal(timestamp) {
        Some(seconds) => seconds * 1000,
        None if timestamp.bytes().all(|b| b.is_ascii_digit() || b == b'-') => {
            return Err(SignError::Malformed);
        }
        None => {
            let date = httpdate::parse_http_date(timestamp).map_err(|_| SignError::Malformed)?;
            ms_since_epoch(date)
        }
    };
    within(signed_at, now, max_age)?;
    Ok(signed_at)
}

// ---------------------------------------------------------------------------------
// signed (the dataset seed)

/// The dataset scheme's fields. `kind` is the wire's `type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetFields {
    /// The user name.
    pub visitor: String,
    /// Milliseconds since the epoch, as sent (the token covers this text).
    pub stamp: String,
    /// The dataset (`type`).
    pub kind: String,
    /// Hex `SHA1(key + stamp + visitor + type)`.
    pub token: String,
}

/// Reads `visitor`, `stamp`, `type` and `token` from the query string and an urlencoded
/// body (give the body only when its `Content-Type` is
/// `application/x-www-form-urlencoded`). `None` unless all four come, each exactly
/// once over both: a repeated field is ambiguous, and refused rather than guessed.
pub fn dataset_fields(
    query: Option<&str>,
    urlencoded_body: Option<&[u8]>,
) -> Option<DatasetFields> {
    let mut found: [Option<String>; 4] = Default::default();
    let pairs = query
        .map(|q| form_urlencoded::parse(q.as_bytes()))
        .into_iter()
        .chain(urlencoded_body.map(form_urlencoded::parse))
        .flatten();
    for (name, value) in pairs {
        let slot = match &*name {
            "visitor" => 0,
            "stamp" => 1,
            "type" => 2,
            "token" => 3,
            _ => continue,
        };
        if found[slot].replace(value.into_owned()).is_some() {
            return None;
        }
    }
    let [visitor, stamp, kind, token] = found;
    Some(DatasetFields {
        visitor: visitor?,
        stamp: stamp?,
        kind: kind?,
        token: token?,
    })
}

/// What a client sends as `token`: the lowercase hex `SHA1(key + stamp + visitor + kind)`.
pub fn sign_dataset(key: &[u8], stamp: &str, visitor: &str, kind: &str) -> String {
    hex(&dataset_token(key, stamp, visitor, kind))
}

fn dataset_token(key: &[u8], stamp: &str, visitor: &str, kind: &str) -> [u8; SHA1_LEN] {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(key);
    sha.update(stamp.as_bytes());
    sha.update(visitor.as_bytes());
    sha.update(kind.as_bytes());
    sha.digest().bytes()
}

/// Checks a dataset request with the visitor's `key`: `stamp` (milliseconds) within
/// `max_age` of `now` either way, and `token` (either case) equal to the SHA-1, in
/// constant time. No replay check: [`check_dataset`] does all.
pub fn verify_dataset(
    key: &[u8],
    fields: &DatasetFields,
    now: SystemTime,
    max_age: Duration,
) -> Result<(), SignError> {
    verify_dataset_inner(key, fields, now, max_age).map(drop)
}

fn verify_dataset_inner(
    key: &[u8],
    fields: &DatasetFields,
    now: SystemTime,
    max_age: Duration,
) -> Result<([u8; SHA1_LEN], i128), SignError> {
    let token = unhex::<SHA1_LEN>(&fields.token).ok_or(SignError::Malformed)?;
    let signed_at = parse_decimal(&fields.stamp).ok_or(SignError::Malformed)?;
    within(signed_at, now, max_age)?;
    let expected = dataset_token(key, &fields.stamp, &fields.visitor, &fields.kind);
    if bool::from(expected.ct_eq(&token)) {
        Ok((token, signed_at))
    } else {
        Err(SignError::BadSignature)
    }
}

/// The whole `signed` check: shape, freshness (the cache's window), token (constant
/// time), then the replay cache.
pub fn check_dataset(
    cache: &ReplayCache,
    key: &[u8],
    fields: &DatasetFields,
    now: SystemTime,
) -> Result<(), SignError> {
    let (token, signed_at) = verify_dataset_inner(key, fields, now, cache.window)?;
    cache.first_use_ms(&token, signed_at, now)
}

// ---------------------------------------------------------------------------------
// replays

/// The signatures accepted within the freshness window, so that each is accepted once.
///
/// An entry is kept while the request it came with is still fresh (its signed time plus
/// the window), then dropped. Memory is bounded by `max_entries`: when the cache is full,
/// the entry signed earliest is forgotten, and from then on nothing signed at or before
/// that time is accepted (a "floor"): the cache cannot tell it from a replay of what it
/// forgot. So a flood of genuine requests can make older, still fresh ones be refused,
/// never a replay be accepted. Size it for the window's traffic (an entry is ~100 bytes).
#[derive(Debug)]
pub struct ReplayCache {
    window: Duration,
    max_entries: usize,
    inner: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// (signed at in ms since the epoch, SHA-256 of the signature), earliest first.
    by_time: BTreeSet<(i128, [u8; 32])>,
    keys: HashSet<[u8; 32]>,
    /// Nothing signed at or before this (ms) is accepted: an entry that old was forgotten.
    floor: Option<i128>,
}

impl ReplayCache {
    /// A cache for signatures fresh for `window` (the API's `signature_max_age`: the
    /// checkers use it as their freshness window too), holding at most `max_entries`
    /// (at least one).
    pub fn new(window: Duration, max_entries: usize) -> Self {
        ReplayCache {
            window,
            max_entries: max_entries.max(1),
            inner: Mutex::new(Seen::default()),
        }
    }

    /// The freshness window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Signatures remembered now.
    pub fn len(&self) -> usize {
        self.lock().keys.len()
    }

    /// Whether no signature is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records `signature` (the decoded bytes, not the hex text: the same signature in
    /// upper case is the same signature), signed at `signed_at`. `false` when it is a
    /// replay, or cannot be told from one (not fresh, or at or below the floor).
    /// Call it only after the signature was verified.
    pub fn first_use(&self, signature: &[u8], signed_at: SystemTime, now: SystemTime) -> bool {
        self.first_use_ms(signature, ms_since_epoch(signed_at), now)
            .is_ok()
    }

    fn first_use_ms(
        &self,
        signature: &[u8],
        signed_at: i128,
        now: SystemTime,
    ) -> Result<(), SignError> {
        let now = ms_since_epoch(now);
        let window = self.window.as_millis() as i128;
        if (signed_at - now).abs() > window {
            return Err(SignError::Stale);
        }
        let key: [u8; 32] = Sha256::digest(signature).into();
        let mut seen = self.lock();
        // Forget what is no longer fresh: a replay of it would be stale.
        while let Some(&(at, old)) = seen.by_time.first() {
            if at + window >= now {
                break;
            }
            seen.by_time.pop_first();
            seen.keys.remove(&old);
        }
        if seen.floor.is_some_and(|floor| signed_at <= floor) || seen.keys.contains(&key) {
            return Err(SignError::Replayed);
        }
        if seen.keys.len() >= self.max_entries {
            let Some(&(earliest, old)) = seen.by_time.first() else {
                return Err(SignError::Replayed);
            };
            if signed_at <= earliest {
                // Remembering it would forget something newer; it is the one refused.
                return Err(SignError::Replayed);
            }
            seen.by_time.pop_first();
            seen.keys.remove(&old);
            seen.floor = Some(seen.floor.map_or(earliest, |floor| floor.max(earliest)));
        }
        seen.by_time.insert((signed_at, key));
        seen.keys.insert(key);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        // The critical sections cannot panic half-way; a poisoned lock holds whole data.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// ---------------------------------------------------------------------------------
// helpers

/// An optional `-` and 1 to 18 decimal digits; nothing else (no `+`, no spaces).
fn parse_decimal(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty()
        || digits.len() > MAX_TIME_DIGITS
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let value: i128 = digits.parse().ok()?;
    Some(if negative { -value } else { value })
}

fn within(signed_at_ms: i128, now: SystemTime, max_age: Duration) -> Result<(), SignError> {
    let age = signed_at_ms - ms_since_epoch(now);
    if age.unsigned_abs() > max_age.as_millis() {
        Err(SignError::Stale)
    } else {
        Ok(())
    }
}

/// Milliseconds since the epoch, negative before 1970.
fn ms_since_epoch(time: SystemTime) -> i128 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_millis() as i128,
        Err(before) => -(before.duration().as_millis() as i128),
    }
}

fn time_from_ms(ms: i128) -> Option<SystemTime> {
    let magnitude = Duration::from_millis(u64::try_from(ms.unsigned_abs()).ok()?);
    if ms >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        text.push(DIGITS[usize::from(b >> 4)] as char);
        text.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    text
}

/// Exactly `2 * N` hex digits, either case.
fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    fn digit(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let text = text.as_bytes();
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX_AGE: Duration = Duration::from_secs(300);

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    // The worked examples of the module's documentation, computed independently with
    // Python's hashlib/hmac.
    const EXAMPLE_BODY: &str = "{\"name\":\"Zoë\"}";
    const EXAMPLE_BODY_SHA256: &str =
        "6bd0ee7972d372ec1f8a3cc44302e5449751305d73c2b69b5a79c62f88a4ca77";
    const EXAMPLE_HMAC: &str = "4626971b99b7e6e154d8c65d4484293cd33afb51cea0151cb6e37573e9a21706";
    const EXAMPLE_TOKEN: &str = "b7919238a5b1b52be918d6550dbf7be9db3151e9";

    fn example() -> HmacRequest<'static> {
        HmacRequest {
            method: "POST",
            path_and_query: "/people?lang=fr",
            timestamp: "1700000000",
            body: EXAMPLE_BODY.as_bytes(),
            signature_hex: EXAMPLE_HMAC,
        }
    }

    fn dataset_example() -> DatasetFields {
        DatasetFields {
            visitor: "José".into(),
            stamp: "1700000000000".into(),
            kind: "123".into(),
            token: EXAMPLE_TOKEN.into(),
        }
    }

    #[test]
    fn the_documented_hmac_example() {
        let message = hmac_message(
            "POST",
            "/people?lang=fr",
            "1700000000",
            EXAMPLE_BODY.as_bytes(),
        );
        assert_eq!(
            message,
            format!("POST\n/people?lang=fr\n1700000000\n{EXAMPLE_BODY_SHA256}").into_bytes()
        );
        assert_eq!(sign_hmac(b"s3cret", &message), EXAMPLE_HMAC);
        assert_eq!(verify_hmac(b"s3cret", &message, EXAMPLE_HMAC), Ok(()));
        let header = format!("alice:{EXAMPLE_HMAC}");
        assert_eq!(
            parse_hmac_authorization(&header),
            Some(("alice", EXAMPLE_HMAC))
        );
        let cache = ReplayCache::new(MAX_AGE, 100);
        assert_eq!(
            check_hmac(&cache, b"s3cret", &example(), at(1_700_000_000)),
            Ok(())
        );
    }

    #[test]
    fn the_documented_dataset_example() {
        assert_eq!(
            sign_dataset(b"k3y", "1700000000000", "José", "123"),
            EXAMPLE_TOKEN
        );
        let now = at(1_700_000_000);
        assert_eq!(
            verify_dataset(b"k3y", &dataset_example(), now, MAX_AGE),
            Ok(())
        );
        let cache = ReplayCache::new(MAX_AGE, 100);
        assert_eq!(
            check_dataset(&cache, b"k3y", &dataset_example(), now),
            Ok(())
        );
    }

    #[test]
    fn an_empty_body_hashes_to_the_sha256_of_nothing() {
        let message = hmac_message("GET", "/people", "1", b"");
        assert!(message
            .ends_with(b"\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    }

    #[test]
    fn one_changed_byte_anywhere_fails() {
        let now = at(1_700_000_000);
        let good = example();
        let body = "{\"name\":\"Zoé\"}"; // one letter, still non-ASCII
        let changed = [
            HmacRequest {
                method: "PUT",
                ..good
            },
            HmacRequest {
                method: "post",
                ..good
            },
            HmacRequest {
                path_and_query: "/people?lang=fR",
                ..good
            },
            HmacRequest {
                path_and_query: "/people",
                ..good
            },
            HmacRequest {
                path_and_query: "/people/?lang=fr",
                ..good
            },
            HmacRequest {
                timestamp: "1700000001",
                ..good
            },
            HmacRequest {
                body: body.as_bytes(),
                ..good
            },
            HmacRequest { body: b"", ..good },
            HmacRequest {
                body: b"{\"name\":\"Zo\xc3\xab\"} ",
                ..good
            },
        ];
        for request in changed {
            let cache = ReplayCache::new(MAX_AGE, 100);
            assert_eq!(
                check_hmac(&cache, b"s3cret", &request, now),
                Err(SignError::BadSignature),
                "{request:?}"
            );
            assert!(cache.is_empty(), "a refused signature takes no room");
        }
        // The wrong secret, and a signature with one digit changed.
        let cache = ReplayCache::new(MAX_AGE, 100);
        assert_eq!(
            check_hmac(&cache, b"s3creT", &good, now),
            Err(SignError::BadSignature)
        );
        let mut forged = EXAMPLE_HMAC.to_string();
        forged.replace_range(63.., "7");
        let forged = HmacRequest {
            signature_hex: &forged,
            ..good
        };
        assert_eq!(
            check_hmac(&cache, b"s3cret", &forged, now),
            Err(SignError::BadSignature)
        );
        // The good one still passes after all that.
        assert_eq!(check_hmac(&cache, b"s3cret", &good, now), Ok(()));
    }

    #[test]
    fn one_changed_field_fails_the_dataset_token() {
        let now = at(1_700_000_000);
        let good = dataset_example();
        let changed = [
            DatasetFields {
                visitor: "Jose".into(),
                ..good.clone()
            },
            DatasetFields {
                visitor: "josé".into(),
                ..good.clone()
            },
            DatasetFields {
                kind: "124".into(),
                ..good.clone()
            },
            DatasetFields {
                stamp: "1700000000001".into(),
                ..good.clone()
            },
            // The same number written differently is different signed text.
            DatasetFields {
                stamp: "01700000000000".into(),
                ..good.clone()
            },
        ];
        for fields in changed {
            assert_eq!(
                verify_dataset(b"k3y", &fields, now, MAX_AGE),
                Err(SignError::BadSignature),
                "{fields:?}"
            );
        }
        assert_eq!(
            verify_dataset(b"k3Y", &good, now, MAX_AGE),
            Err(SignError::BadSignature)
        );
    }

    #[test]
    fn stale_both_ways() {
        let signed = 1_700_000_000;
        let message = hmac_message("GET", "/", "1700000000", b"");
        let signature = sign_hmac(b"s", &message);
        let request = HmacRequest {
            method: "GET",
            path_and_query: "/",
            timestamp: "1700000000",
            body: b"",
            signature_hex: &signature,
        };
        for (now, expected) in [
            (at(signed + 300), Ok(())),
            (at(signed - 300), Ok(())),
            (at(signed + 301), Err(SignError::Stale)),
            (at(signed - 301), Err(SignError::Stale)),
            (at(signed + 86_400 * 365 * 50), Err(SignError::Stale)),
            (
                UNIX_EPOCH - Duration::from_secs(86_400 * 365),
                Err(SignError::Stale),
            ),
        ] {
            let cache = ReplayCache::new(MAX_AGE, 10);
            assert_eq!(check_hmac(&cache, b"s", &request, now), expected, "{now:?}");
            assert_eq!(fresh("1700000000", now, MAX_AGE).map(drop), expected);
        }
        // Milliseconds for the dataset: 300 000 ms either way, and not one more.
        let now = at(signed);
        for (stamp, expected) in [
            ("1700000300000", Ok(())),
            ("1699999700000", Ok(())),
            ("1700000300001", Err(SignError::Stale)),
            ("1699999699999", Err(SignError::Stale)),
            ("1700000000", Err(SignError::Stale)), // seconds, not milliseconds
            ("-1700000000000", Err(SignError::Stale)), // before 1970
            ("0", Err(SignError::Stale)),
        ] {
            let fields = DatasetFields {
                visitor: "v".into(),
                stamp: stamp.into(),
                kind: "t".into(),
                token: sign_dataset(b"k", stamp, "v", "t"),
            };
            assert_eq!(
                verify_dataset(b"k", &fields, now, MAX_AGE),
                expected,
                "{stamp}"
            );
        }
    }

    #[test]
    fn timestamps_in_seconds_or_http_dates() {
        let now = at(1_700_000_000); // Tue, 14 Nov 2023 22:13:20 GMT
        assert_eq!(fresh("1700000000", now, MAX_AGE), Ok(now));
        assert_eq!(
            fresh("Tue, 14 Nov 2023 22:13:20 GMT", now, MAX_AGE),
            Ok(now)
        );
        assert_eq!(
            fresh("Tuesday, 14-Nov-23 22:13:20 GMT", now, MAX_AGE),
            Ok(now)
        );
        assert_eq!(fresh("Tue Nov 14 22:13:20 2023", now, MAX_AGE), Ok(now));
        assert_eq!(
            fresh("Tue, 14 Nov 2023 22:08:19 GMT", now, MAX_AGE),
            Err(SignError::Stale)
        );
        // Pre-1970 and huge numbers are well-formed, and stale.
        assert_eq!(fresh("-86400", now, MAX_AGE), Err(SignError::Stale));
        assert_eq!(
            fresh("999999999999999999", now, MAX_AGE),
            Err(SignError::Stale)
        );
        assert_eq!(fresh("0", now, MAX_AGE), Err(SignError::Stale));
        // A time from before 1970 still converts back.
        assert_eq!(
            fresh("-5", at(0), MAX_AGE),
            Ok(UNIX_EPOCH - Duration::from_secs(5))
        );
        for malformed in [
            "",
            "-",
            "--5",
            "+1700000000",
            " 1700000000",
            "1700000000 ",
            "1700000000.5",
            "1e9",
            "1700000000000000000000000000000000",
            "17000-00000",
            "Tue, 14 Nov 2023 22:13:20",
            "Thu, 01 Jan 1900 00:00:00 GMT",
            "yesterday",
            "١٧٠٠٠٠٠٠٠٠", // Arabic-Indic digits are not ASCII digits
        ] {
            assert_eq!(
                fresh(malformed, now, MAX_AGE),
                Err(SignError::Malformed),
                "{malformed:?}"
            );
        }
    }

    #[test]
    fn the_same_signature_twice_is_a_replay() {
        let now = at(1_700_000_000);
        let cache = ReplayCache::new(MAX_AGE, 100);
        assert_eq!(check_hmac(&cache, b"s3cret", &example(), now), Ok(()));
        assert_eq!(
            check_hmac(&cache, b"s3cret", &example(), now + Duration::from_secs(10)),
            Err(SignError::Replayed)
        );
        // The same signature in upper case is the same signature.
        let upper = EXAMPLE_HMAC.to_uppercase();
        let shouted = HmacRequest {
            signature_hex: &upper,
            ..example()
        };
        assert_eq!(
            check_hmac(&cache, b"s3cret", &shouted, now),
            Err(SignError::Replayed)
        );
        // Once the request is stale its replay is refused as stale, and forgotten.
        let later = at(1_700_000_301);
        assert_eq!(
            check_hmac(&cache, b"s3cret", &example(), later),
            Err(SignError::Stale)
        );

        let cache = ReplayCache::new(MAX_AGE, 100);
        assert_eq!(
            check_dataset(&cache, b"k3y", &dataset_example(), now),
            Ok(())
        );
        assert_eq!(
            check_dataset(&cache, b"k3y", &dataset_example(), now),
            Err(SignError::Replayed)
        );
        let upper = DatasetFields {
            token: EXAMPLE_TOKEN.to_uppercase(),
            ..dataset_example()
        };
        assert_eq!(
            check_dataset(&cache, b"k3y", &upper, now),
            Err(SignError::Replayed)
        );
    }

    #[test]
    fn a_request_signed_ahead_is_remembered_until_it_is_stale() {
        // Signed 300 s in the future: fresh until 300 s after its time, 600 s from now,
        // and remembered that long.
        let cache = ReplayCache::new(MAX_AGE, 100);
        let sig = [7u8; 32];
        assert!(cache.first_use(&sig, at(1300), at(1000)));
        assert!(!cache.first_use(&sig, at(1300), at(1599)));
        assert!(!cache.first_use(&sig, at(1300), at(1600)));
        assert_eq!(cache.len(), 1);
        // Stale now: the next call forgets it.
        assert!(!cache.first_use(&sig, at(1300), at(1601)));
        assert!(cache.first_use(&[8u8; 32], at(1601), at(1601)));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_replay_cache_is_bounded_and_never_accepts_a_replay() {
        let max = 50;
        let cache = ReplayCache::new(MAX_AGE, max);
        let now = at(10_000);
        let sig = |i: u32| i.to_be_bytes();
        let signed =
            |i: u32| now - Duration::from_millis(1000) + Duration::from_millis(u64::from(i));
        // max + N genuine signatures, each signed a millisecond after the previous.
        for i in 0..(max as u32 + 25) {
            assert!(cache.first_use(&sig(i), signed(i), now), "{i}");
            assert!(cache.len() <= max);
        }
        assert_eq!(cache.len(), max);
        // Every one of them is refused again: the forgotten ones by the floor.
        for i in 0..(max as u32 + 25) {
            assert!(!cache.first_use(&sig(i), signed(i), now), "{i}");
        }
        // A new signature signed before the floor cannot be told from a forgotten one.
        assert!(!cache.first_use(&sig(9999), signed(3), now));
        // When full, one signed earlier than everything remembered is the one refused.
        assert!(!cache.first_use(&sig(9998), signed(25), now));
        // Newer ones still come in.
        assert!(cache.first_use(&sig(9997), signed(500), now));
        assert_eq!(cache.len(), max);
        // Once the window has passed, everything expires and memory is released.
        let later = now + MAX_AGE + Duration::from_secs(2);
        assert!(cache.first_use(&sig(1), later, later));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_zero_sized_cache_holds_one() {
        let cache = ReplayCache::new(MAX_AGE, 0);
        assert!(cache.first_use(b"a", at(100), at(100)));
        assert!(!cache.first_use(b"a", at(100), at(100)));
        assert!(cache.first_use(b"b", at(101), at(101)));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_cache_is_shared_between_threads() {
        let cache = std::sync::Arc::new(ReplayCache::new(MAX_AGE, 1000));
        let now = at(1_700_000_000);
        let accepted: usize = (0..4)
            .map(|_| {
                let cache = cache.clone();
                std::thread::spawn(move || {
                    (0..100u32)
                        .filter(|i| cache.first_use(&i.to_le_bytes(), now, now))
                        .count()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .sum();
        assert_eq!(
            accepted, 100,
            "each signature once, whichever thread had it"
        );
    }

    #[test]
    fn hmac_authorization_shapes() {
        let sig = "0123456789abcdefABCDEF0123456789abcdef0123456789abcdef0123456789";
        assert_eq!(sig.len(), 64);
        assert_eq!(
            parse_hmac_authorization(&format!("alice:{sig}")),
            Some(("alice", sig))
        );
        // Non-ASCII user names, as UTF-8.
        assert_eq!(
            parse_hmac_authorization(&format!("Zoë_日本:{sig}")),
            Some(("Zoë_日本", sig))
        );
        for malformed in [
            String::new(),
            "alice".into(),
            format!(":{sig}"),
            "alice:".into(),
            format!("alice:{sig}:"),
            format!("a:b:{sig}"),
            format!("alice:{sig}0"),
            format!("alice:{}", &sig[1..]),
            format!("alice:{}g", &sig[1..]),
            format!("alice: {}", &sig[1..]),
            format!("Bearer alice:{sig}"),
            format!("Basic {sig}"),
            format!("al\tice:{sig}"),
            format!("al\u{7f}ice:{sig}"),
            format!("alice:{}", "é".repeat(32)),
        ] {
            assert_eq!(parse_hmac_authorization(&malformed), None, "{malformed:?}");
        }
    }

    #[test]
    fn malformed_signatures() {
        let message = hmac_message("GET", "/", "1", b"");
        for bad in [
            "",
            "zz",
            &EXAMPLE_HMAC[1..],
            format!("{EXAMPLE_HMAC}00").as_str(),
            "é".repeat(32).as_str(),
        ] {
            assert_eq!(
                verify_hmac(b"s", &message, bad),
                Err(SignError::Malformed),
                "{bad:?}"
            );
        }
        let now = at(1_700_000_000);
        for (token, stamp) in [
            ("", "1700000000000"),
            (&EXAMPLE_TOKEN[2..], "1700000000000"),
            (EXAMPLE_HMAC, "1700000000000"), // an HMAC's length, not SHA-1's
            (&format!("{}x", &EXAMPLE_TOKEN[1..])[..], "1700000000000"),
            (EXAMPLE_TOKEN, ""),
            (EXAMPLE_TOKEN, "1.7e12"),
            (EXAMPLE_TOKEN, " 1700000000000"),
            (EXAMPLE_TOKEN, "99999999999999999999999999999"),
        ] {
            let fields = DatasetFields {
                token: token.into(),
                stamp: stamp.into(),
                ..dataset_example()
            };
            assert_eq!(
                verify_dataset(b"k3y", &fields, now, MAX_AGE),
                Err(SignError::Malformed),
                "{fields:?}"
            );
        }
    }

    #[test]
    fn hex_digits_in_either_case() {
        let message = hmac_message(
            "POST",
            "/people?lang=fr",
            "1700000000",
            EXAMPLE_BODY.as_bytes(),
        );
        assert_eq!(
            verify_hmac(b"s3cret", &message, &EXAMPLE_HMAC.to_uppercase()),
            Ok(())
        );
        let mixed: String = EXAMPLE_HMAC
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        assert_eq!(verify_hmac(b"s3cret", &message, &mixed), Ok(()));
        let fields = DatasetFields {
            token: EXAMPLE_TOKEN.to_uppercase(),
            ..dataset_example()
        };
        assert_eq!(
            verify_dataset(b"k3y", &fields, at(1_700_000_000), MAX_AGE),
            Ok(())
        );
    }

    #[test]
    fn dataset_fields_from_query_and_form() {
        let want = dataset_example();
        let query = "visitor=Jos%C3%A9&stamp=1700000000000&type=123&token=b7919238a5b1b52be918d6550dbf7be9db3151e9";
        assert_eq!(dataset_fields(Some(query), None), Some(want.clone()));
        // The seed's own request: everything in the form body, with other fields.
        let body = format!("visitor=Jos%C3%A9&token={EXAMPLE_TOKEN}&stamp=1700000000000&type=123&ds=%5B%5B%22A%22%5D%5D");
        assert_eq!(
            dataset_fields(None, Some(body.as_bytes())),
            Some(want.clone())
        );
        // Split over both.
        assert_eq!(
            dataset_fields(
                Some("visitor=Jos%C3%A9&type=123"),
                Some(format!("stamp=1700000000000&token={EXAMPLE_TOKEN}").as_bytes())
            ),
            Some(want.clone())
        );
        // `+` is a space in a form; UTF-8 sent raw works too.
        let fields =
            dataset_fields(Some("visitor=Zo%C3%AB+D&stamp=1&type=a+b&token=x"), None).unwrap();
        assert_eq!(
            (fields.visitor.as_str(), fields.kind.as_str()),
            ("Zoë D", "a b")
        );
        let raw = "visitor=日本&stamp=1&type=t&token=x".as_bytes();
        assert_eq!(dataset_fields(None, Some(raw)).unwrap().visitor, "日本");
        // Missing or repeated fields.
        assert_eq!(dataset_fields(None, None), None);
        assert_eq!(dataset_fields(Some("visitor=a&stamp=1&type=t"), None), None);
        assert_eq!(
            dataset_fields(Some("visitor=a&stamp=1&type=t&token=x&visitor=b"), None),
            None
        );
        assert_eq!(
            dataset_fields(Some("visitor=a&stamp=1&type=t&token=x"), Some(b"visitor=a")),
            None
        );
        assert_eq!(
            dataset_fields(Some("%zz=1&&=&visitor"), Some(b"\xff\xfe")),
            None
        );
    }

    #[test]
    fn non_ascii_users_secrets_and_bodies() {
        let now = at(1_700_000_000);
        let secret = "秘密の鍵 🔑".as_bytes();
        let body = "{\"名前\":\"Ωμέγα\",\"n\":123456789012345678901234567890}".as_bytes();
        let path = "/people?where=%7B%22name%22%3A%22Zo%C3%AB%22%7D";
        let message = hmac_message("PATCH", path, "1700000000", body);
        let signature = sign_hmac(secret, &message);
        let header = format!("Ζωή:{signature}");
        let (user, signature_hex) = parse_hmac_authorization(&header).unwrap();
        assert_eq!(user, "Ζωή");
        let cache = ReplayCache::new(MAX_AGE, 10);
        let request = HmacRequest {
            method: "PATCH",
            path_and_query: path,
            timestamp: "1700000000",
            body,
            signature_hex,
        };
        assert_eq!(check_hmac(&cache, secret, &request, now), Ok(()));

        let stamp = "1700000000123";
        let token = sign_dataset("clé".as_bytes(), stamp, "Zoë", "données");
        let query = format!("visitor=Zo%C3%AB&stamp={stamp}&type=donn%C3%A9es&token={token}");
        let fields = dataset_fields(Some(&query), None).unwrap();
        assert_eq!(
            check_dataset(&cache, "clé".as_bytes(), &fields, now),
            Ok(())
        );
        assert_eq!(
            check_dataset(&cache, "cle".as_bytes(), &fields, now),
            Err(SignError::BadSignature)
        );
    }

    /// Mutations of valid requests (bytes dropped, swapped, duplicated, replaced with
    /// non-ASCII or digits) never panic and are never accepted unless unchanged.
    #[test]
    fn mutated_inputs_never_panic_nor_pass() {
        let state = std::cell::Cell::new(0x9e37_79b9_7f4a_7c15_u64);
        let next = |bound: usize| {
            let mut x = state.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            state.set(x);
            (x % bound.max(1) as u64) as usize
        };
        let pieces = [
            "é", "日", "0", "9", "-", ":", "%", "+", "=", "&", " ", "\u{0}", "f", "F",
        ];
        let mutate = |text: &str| -> String {
            let mut chars: Vec<String> = text.chars().map(String::from).collect();
            for _ in 0..=next(3) {
                let i = next(chars.len() + 1);
                match next(4) {
                    0 if i < chars.len() => {
                        chars.remove(i);
                    }
                    1 if i < chars.len() => chars[i] = pieces[next(pieces.len())].to_string(),
                    2 => chars.insert(i, pieces[next(pieces.len())].to_string()),
                    _ => chars.extend(chars.clone().into_iter().take(next(4))),
                }
            }
            chars.concat()
        };
        let now = at(1_700_000_000);
        let header = format!("alice:{EXAMPLE_HMAC}");
        let query = format!("visitor=Jos%C3%A9&stamp=1700000000000&type=123&token={EXAMPLE_TOKEN}");
        for _ in 0..3000 {
            let cache = ReplayCache::new(MAX_AGE, 4);
            // One of the header, the timestamp and the path is mutated at a time.
            let which = next(3);
            let maybe = |text: &str, me: usize| {
                if which == me {
                    mutate(text)
                } else {
                    text.to_string()
                }
            };
            let h = maybe(&header, 0);
            // The user only chooses the secret (the guard's lookup); here it is fixed.
            if let Some((_user, signature_hex)) = parse_hmac_authorization(&h) {
                let ts = maybe("1700000000", 1);
                let path = maybe("/people?lang=fr", 2);
                let request = HmacRequest {
                    path_and_query: &path,
                    timestamp: &ts,
                    signature_hex,
                    ..example()
                };
                let unchanged = signature_hex.eq_ignore_ascii_case(EXAMPLE_HMAC)
                    && ts == "1700000000"
                    && path == "/people?lang=fr";
                let outcome = check_hmac(&cache, b"s3cret", &request, now);
                assert_eq!(
                    outcome.is_ok(),
                    unchanged,
                    "{h:?} {ts:?} {path:?}: {outcome:?}"
                );
            }
            let _ = fresh(&mutate("Tue, 14 Nov 2023 22:13:20 GMT"), now, MAX_AGE);
            let q = mutate(&query);
            if let Some(fields) = dataset_fields(Some(&q), Some(mutate("ds=1").as_bytes())) {
                let outcome = check_dataset(&cache, b"k3y", &fields, now);
                let unchanged = fields == dataset_example()
                    || fields
                        == DatasetFields {
                            token: EXAMPLE_TOKEN.to_uppercase(),
                            ..dataset_example()
                        };
                assert_eq!(outcome.is_ok(), unchanged, "{q:?}: {outcome:?}");
            }
        }
    }

    /// `cargo test --release -p apigen-runtime --features auth -- --ignored --nocapture
    /// measure`: what one `hmac` and one `signed` check cost per request, as the guard
    /// calls them (shape, freshness, the MAC or SHA-1 in constant time, the replay
    /// cache). wrk cannot measure these schemes over HTTP, since a replayed signature is
    /// refused, so the requests are signed beforehand, each one different, and only the
    /// checks are timed. The replay cache is the server's (`REPLAY_ENTRIES`), filling up
    /// to `ROUNDS` entries as it would under that many requests in one window.
    #[test]
    #[ignore]
    fn measure() {
        use std::time::Instant;
        const ROUNDS: u32 = 100_000;
        const REPLAY_ENTRIES: usize = 1 << 18;
        let window = Duration::from_secs(120);
        let now = SystemTime::now();
        let seconds = now
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let millis = now
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
            .to_string();
        let secret = b"a per-user secret of 32 bytes...";
        let per_call = |started: Instant| started.elapsed() / ROUNDS;

        // hmac, a GET (no body) and a POST of 1 KiB.
        let post_body = vec![b'x'; 1024];
        for (method, body) in [("GET", &b""[..]), ("POST", &post_body[..])] {
            let requests: Vec<(String, String)> = (0..ROUNDS)
                .map(|i| {
                    let path = format!("/api/v1/comments?max_results=1&n={i}");
                    let message = hmac_message(method, &path, &seconds, body);
                    let signature = sign_hmac(secret, &message);
                    (path, signature)
                })
                .collect();
            let cache = ReplayCache::new(window, REPLAY_ENTRIES);
            let started = Instant::now();
            for (path, signature) in &requests {
                let request = HmacRequest {
                    method,
                    path_and_query: path,
                    timestamp: &seconds,
                    body,
                    signature_hex: signature,
                };
                check_hmac(&cache, secret, &request, now).unwrap();
            }
            let whole = per_call(started);
            let started = Instant::now();
            for (path, signature) in &requests {
                let message = hmac_message(method, path, &seconds, body);
                verify_hmac(secret, &message, signature).unwrap();
            }
            let mac = per_call(started);
            eprintln!(
                "hmac {method} ({} B body): check_hmac {whole:?} per call, of which the \
                 signed text and MAC {mac:?} (the rest: freshness and the replay cache)",
                body.len()
            );
        }

        // signed (the dataset seed): the fields parsed from the query as the guard does.
        let queries: Vec<String> = (0..ROUNDS)
            .map(|i| {
                let kind = format!("comments{i}");
                let token = sign_dataset(secret, &millis, "bench", &kind);
                format!("max_results=1&visitor=bench&stamp={millis}&type={kind}&token={token}")
            })
            .collect();
        let cache = ReplayCache::new(window, REPLAY_ENTRIES);
        let started = Instant::now();
        for query in &queries {
            let fields = dataset_fields(Some(query), None).unwrap();
            check_dataset(&cache, secret, &fields, now).unwrap();
        }
        let whole = per_call(started);
        let started = Instant::now();
        for query in &queries {
            std::hint::black_box(dataset_fields(Some(query), None).unwrap());
        }
        let parse = per_call(started);
        eprintln!(
            "signed: dataset_fields + check_dataset {whole:?} per call, of which reading the \
             query {parse:?}"
        );
    }
}
