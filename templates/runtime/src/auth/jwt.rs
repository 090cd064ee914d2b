//! JWT bearer tokens (Cloud Endpoints' `issuers`, `audiences`, `allowed_client_ids`,
//! `scopes`): the verifier the auth guard asks about `Authorization: Bearer <jwt>`.
//!
//! A generated crate declares its issuers and each operation's rule as statics
//! ([`Issuer`], [`JwtRule`]) and makes one [`JwtVerifier`] at start-up. A token is
//! accepted when all of these hold:
//! - it is a compact JWS of at most [`MAX_TOKEN_BYTES`], its `alg` one of its issuer's
//!   `algorithms` (`none` is no algorithm at all, and an HMAC `alg` is never accepted
//!   for an issuer whose keys are public keys: no algorithm confusion);
//! - its `iss` names an issuer the rule accepts, and its signature verifies with that
//!   issuer's key: a secret or PEM key from the environment (`key_env`), or the key of
//!   the JWKS (`jwks_uri`) whose `kid` the token names;
//! - `exp` (required) has not passed and `nbf` (optional) has, both with
//!   [`LEEWAY_SECS`] of clock skew allowed; both must be JSON integers;
//! - `sub` is a string; `aud` names one of the audiences the rule allows for that
//!   issuer (an issuer the rule gives no audience accepts no token: a token minted for
//!   another application of the same identity provider must not pass);
//! - `azp` is one of the rule's client ids, when it names any;
//! - every scope the rule names is among the token's (`scope`, space-separated, or
//!   `scp`, an array or a string).
//!
//! JWKS are fetched with hyper's client over HTTPS (rustls, Mozilla's roots), or plain
//! HTTP to a loopback address only, within [`FETCH_TIMEOUT`] and [`MAX_JWKS_BYTES`]:
//! on first use (or [`JwtVerifier::prefetch`] at start), again in the background when
//! older than [`JWKS_MAX_AGE`], and when a token names a `kid` the cached set lacks
//! (key rotation). Refreshes are rate-limited to one per
//! [`DEFAULT_MIN_REFRESH_INTERVAL`] per issuer, so tokens with made-up `kid`s cannot
//! make the server hammer the identity provider; a failed fetch keeps the old keys.
//! Nothing blocks the async workers for long: fetching is async, and one verification
//! costs, in a release build on this project's 2-core machine (the `verify_cost` test),
//! about 160 µs for RS256, 420 µs for ES256 (the pure-Rust backend) and 13 µs for
//! HS256, which is also the parsing overhead in each.
//!
//! Errors ([`JwtError`]) are for the log; the client is only told 401.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Header, Validation};
use serde_json::{Map, Value};

/// Seconds of clock skew allowed between the token's issuer and this server when
/// `exp` and `nbf` are checked (the common choice of JWT libraries and Cloud Endpoints).
pub const LEEWAY_SECS: u64 = 60;
/// Longest token read; longer ones are refused before any parsing. Real tokens are
/// well under 4 KiB; Azure AD's largest are about 8.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Largest JWKS document read from an issuer.
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;
/// How long one JWKS fetch (connect, answer, body) may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// A JWKS older than this is fetched again, in the background, on the next token.
pub const JWKS_MAX_AGE: Duration = Duration::from_secs(3600);
/// The least time between two fetches of one issuer's JWKS.
pub const DEFAULT_MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(10);
/// The shortest HMAC secret read from `key_env`: RFC 7518 §3.2 wants at least the
/// hash's size, 32 bytes for HS256.
pub const MIN_HMAC_SECRET_BYTES: usize = 32;

pub use super::Issuer;

/// What an operation asks of a JWT (the resolved `issuers`/`audiences`/
/// `allowed_client_ids`/`scopes` of its most specific level).
#[derive(Debug)]
pub struct JwtRule {
    /// Names of the issuers accepted; empty: every issuer.
    pub issuers: &'static [&'static str],
    /// Audiences accepted, per issuer name, or `"*"` for every issuer: a token's `aud`
    /// must name one of those of its issuer.
    pub audiences: &'static [(&'static str, &'static [&'static str])],
    /// The `azp` values accepted; empty: any (or none).
    pub client_ids: &'static [&'static str],
    /// Scopes the token must all have.
    pub scopes: &'static [&'static str],
}

/// The caller a valid token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtCaller {
    /// The `sub` claim.
    pub subject: String,
    /// The `roles` claim (an array of strings; anything else counts as no roles).
    pub roles: Vec<String>,
    /// The token's scopes (`scope` and `scp`).
    pub scopes: Vec<String>,
    /// The `azp` claim, when there is one.
    pub client_id: Option<String>,
    /// The name (not the `iss` URL) of the issuer that signed it.
    pub issuer: &'static str,
}

/// Why a token was refused. `Display` gives a short reason for the log; the client is
/// never told more than 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// Not a compact JWS with a known `alg` (`alg: none` included), too long, or
    /// a payload that is not a JSON object with a string `iss`.
    Malformed(String),
    /// The `iss` is no issuer the operation accepts.
    UnknownIssuer(String),
    /// The `alg` is not one of the issuer's `algorithms`.
    AlgorithmNotAllowed(Algorithm),
    /// The issuer's JWKS has no key for the token (its `kid`), even after a refresh.
    UnknownKey(Option<String>),
    /// The issuer's keys could not be fetched, and none are cached.
    KeysUnavailable(String),
    /// The signature does not verify.
    BadSignature,
    /// `exp` has passed.
    Expired,
    /// `nbf` has not come.
    NotYetValid,
    /// `aud` names no audience accepted for the issuer.
    Audience,
    /// `azp` is missing or not an allowed client id.
    ClientId,
    /// A required scope is missing.
    MissingScope(&'static str),
    /// A claim is missing or of the wrong type (`exp`, `nbf`, `sub`, `aud`...).
    Claims(String),
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::Malformed(why) => write!(f, "malformed JWT: {why}"),
            JwtError::UnknownIssuer(iss) => write!(f, "JWT issuer {iss:?} is not accepted here"),
            JwtError::AlgorithmNotAllowed(alg) => {
                write!(f, "JWT algorithm {alg:?} is not allowed for its issuer")
            }
            JwtError::UnknownKey(Some(kid)) => write!(f, "no key with JWT kid {kid:?}"),
            JwtError::UnknownKey(None) => write!(f, "no key verifies the JWT (it has no kid)"),
            JwtError::KeysUnavailable(why) => write!(f, "JWT issuer's keys unavailable: {why}"),
            JwtError::BadSignature => write!(f, "JWT signature does not verify"),
            JwtError::Expired => write!(f, "JWT expired"),
            JwtError::NotYetValid => write!(f, "JWT not yet valid (nbf)"),
            JwtError::Audience => write!(f, "JWT audience not accepted"),
            JwtError::ClientId => write!(f, "JWT azp is not an allowed client id"),
            JwtError::MissingScope(scope) => write!(f, "JWT lacks scope {scope:?}"),
            JwtError::Claims(why) => write!(f, "JWT claims: {why}"),
        }
    }
}

impl std::error::Error for JwtError {}

/// One verification key.
struct Key {
    kid: Option<String>,
    /// The JWK's `alg`, when it names one: the token's must be the same.
    alg: Option<Algorithm>,
    key: DecodingKey,
}

/// An issuer's JWKS, cached.
struct Jwks {
    uri: &'static str,
    keys: RwLock<Arc<Vec<Key>>>,
    /// When the keys were last fetched successfully.
    fetched: Mutex<Option<Instant>>,
    /// When a fetch was last started (the rate limit).
    attempted: Mutex<Option<Instant>>,
    /// One fetch at a time; those who wait find the keys it brought.
    fetching: tokio::sync::Mutex<()>,
    /// Why the last fetch failed, for the errors of tokens without keys.
    last_error: Mutex<Option<String>>,
}

enum Keys {
    /// From `key_env`: one key, read at start.
    Fixed(Key),
    Jwks(Arc<Jwks>),
}

struct IssuerState {
    def: &'static Issuer,
    algorithms: Vec<Algorithm>,
    keys: Keys,
}

type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// Verifies JWTs against the API's issuers; made once at start-up and shared.
pub struct JwtVerifier {
    issuers: Vec<IssuerState>,
    client: HttpClient,
    min_refresh_interval: Duration,
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.issuers.iter().map(|i| i.def.name).collect();
        f.debug_struct("JwtVerifier")
            .field("issuers", &names)
            .finish()
    }
}

impl JwtVerifier {
    /// A verifier of tokens from `issuers`. Reads each `key_env` variable now: an
    /// unset variable, a key that does not parse, an unknown algorithm or a JWKS URI
    /// that is neither `https://` nor loopback `http://` is an error naming the issuer.
    /// Fetches nothing yet (see [`JwtVerifier::prefetch`]).
    pub fn new(issuers: &'static [Issuer]) -> Result<JwtVerifier, String> {
        let mut states = Vec::with_capacity(issuers.len());
        for def in issuers {
            states.push(issuer_state(def).map_err(|e| format!("JWT issuer `{}`: {e}", def.name))?);
        }
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .map_err(|e| format!("JWT: TLS set-up: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(JwtVerifier {
            issuers: states,
            client,
            min_refresh_interval: DEFAULT_MIN_REFRESH_INTERVAL,
        })
    }

    /// The least time between two fetches of one issuer's JWKS
    /// ([`DEFAULT_MIN_REFRESH_INTERVAL`] unless set).
    pub fn with_min_refresh_interval(mut self, interval: Duration) -> JwtVerifier {
        self.min_refresh_interval = interval;
        self
    }

    /// Fetches every issuer's JWKS now (at start-up, so the first requests do not
    /// wait); a failure is only logged, and retried when a token needs the keys.
    pub async fn prefetch(&self) {
        for state in &self.issuers {
            if let Keys::Jwks(jwks) = &state.keys {
                self.refresh(jwks).await;
            }
        }
    }

    /// Checks `token` (the text after `Bearer `) against `rule`; the caller it names,
    /// or why not.
    pub async fn verify(&self, token: &str, rule: &JwtRule) -> Result<JwtCaller, JwtError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(JwtError::Malformed(format!(
                "longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        // Refuses `alg: none` and unknown algorithms (no such `Algorithm`) and
        // critical header extensions.
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| JwtError::Malformed(format!("header: {e}")))?;
        let iss = unverified_issuer(token)?;
        let mut last = None;
        for state in self.issuers.iter().filter(|s| {
            s.def.issuer == iss && (rule.issuers.is_empty() || rule.issuers.contains(&s.def.name))
        }) {
            match self.verify_with(state, token, &header, rule).await {
                Ok(caller) => return Ok(caller),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(JwtError::UnknownIssuer(iss)))
    }

    async fn verify_with(
        &self,
        state: &IssuerState,
        token: &str,
        header: &Header,
        rule: &JwtRule,
    ) -> Result<JwtCaller, JwtError> {
        let alg = header.alg;
        if !state.algorithms.contains(&alg) {
            return Err(JwtError::AlgorithmNotAllowed(alg));
        }
        let audiences: Vec<&str> = rule
            .audiences
            .iter()
            .filter(|(name, _)| *name == "*" || *name == state.def.name)
            .flat_map(|(_, auds)| auds.iter().copied())
            .collect();
        if audiences.is_empty() {
            return Err(JwtError::Audience);
        }
        let mut validation = Validation::new(alg);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[state.def.issuer]);
        validation.set_audience(&audiences);

        let claims = match &state.keys {
            Keys::Fixed(key) => check(token, key, &validation)?,
            Keys::Jwks(jwks) => self.check_jwks(jwks, token, header, &validation).await?,
        };
        caller(state.def.name, claims, rule)
    }

    async fn check_jwks(
        &self,
        jwks: &Arc<Jwks>,
        token: &str,
        header: &Header,
        validation: &Validation,
    ) -> Result<Map<String, Value>, JwtError> {
        let fetched = *lock(&jwks.fetched);
        match fetched {
            None => self.refresh(jwks).await,
            Some(at) if at.elapsed() >= JWKS_MAX_AGE => {
                // Stale: this token is checked with the keys at hand while new ones
                // come, in the background (rate-limited like any refresh).
                let jwks = Arc::clone(jwks);
                let client = self.client.clone();
                let interval = self.min_refresh_interval;
                tokio::spawn(async move { refresh(&client, &jwks, interval).await });
            }
            Some(_) => {}
        }
        let kid = header.kid.as_deref();
        let mut keys = read(&jwks.keys);
        if kid.is_some() && !keys.iter().any(|k| k.kid.as_deref() == kid) {
            // A key we have not seen: the issuer may have rotated its keys.
            self.refresh(jwks).await;
            keys = read(&jwks.keys);
        }
        if keys.is_empty() {
            let why = lock(&jwks.last_error).clone();
            return Err(JwtError::KeysUnavailable(
                why.unwrap_or_else(|| "the JWKS has no usable key".into()),
            ));
        }
        let mut tried = false;
        for key in keys
            .iter()
            .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
        {
            if key.alg.is_some_and(|a| a != header.alg) || key.key.family() != header.alg.family() {
                continue;
            }
            tried = true;
            match check(token, key, validation) {
                Err(JwtError::BadSignature) => continue,
                other => return other,
            }
        }
        Err(if tried {
            JwtError::BadSignature
        } else {
            JwtError::UnknownKey(kid.map(str::to_owned))
        })
    }

    async fn refresh(&self, jwks: &Jwks) {
        refresh(&self.client, jwks, self.min_refresh_interval).await
    }
}

/// Fetches `jwks` again unless it was tried less than `interval` ago; on failure the
/// keys stay as they were.
async fn refresh(client: &HttpClient, jwks: &Jwks, interval: Duration) {
    let _one_at_a_time = jwks.fetching.lock().await;
    {
        let mut attempted = lock(&jwks.attempted);
        if attempted.is_some_and(|at| at.elapsed() < interval) {
            return;
        }
        *attempted = Some(Instant::now());
    }
    match fetch_jwks(client, jwks.uri).await {
        Ok(keys) => {
            *jwks.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
            *lock(&jwks.fetched) = Some(Instant::now());
            *lock(&jwks.last_error) = None;
        }
        Err(why) => {
            tracing::warn!(
                jwks_uri = jwks.uri,
                "JWKS fetch failed, keeping the keys at hand: {why}"
            );
            *lock(&jwks.last_error) = Some(why);
        }
    }
}

async fn fetch_jwks(client: &HttpClient, uri: &str) -> Result<Vec<Key>, String> {
    let request = axum::http::Request::get(uri)
        .header(axum::http::header::ACCEPT, "application/json")
        .header(axum::http::header::USER_AGENT, "apigen-runtime")
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let body = tokio::time::timeout(FETCH_TIMEOUT, async {
        let response = client.request(request).await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP status {}", response.status()));
        }
        Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|_| format!("no answer within {FETCH_TIMEOUT:?}"))??;
    parse_jwks(&body)
}

/// The usable keys of a JWKS document: signature keys with a public key (RSA, EC,
/// Ed25519). Symmetric (`oct`) keys, encryption keys and keys of unknown types are
/// left out, so one odd key does not cost the others.
fn parse_jwks(body: &[u8]) -> Result<Vec<Key>, String> {
    #[derive(serde::Deserialize)]
    struct Set {
        keys: Vec<Value>,
    }
    let set: Set = serde_json::from_slice(body).map_err(|e| format!("not a JWKS: {e}"))?;
    let mut keys = Vec::new();
    for value in set.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption))
            || matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_))
        {
            continue;
        }
        let alg = match jwk.common.key_algorithm {
            Some(alg) => match Algorithm::try_from(alg) {
                Ok(alg) => Some(alg),
                Err(_) => continue,
            },
            None => None,
        };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        keys.push(Key {
            kid: jwk.common.key_id.clone(),
            alg,
            key,
        });
    }
    Ok(keys)
}

fn issuer_state(def: &'static Issuer) -> Result<IssuerState, String> {
    let mut algorithms = Vec::new();
    for name in def.algorithms {
        let alg = Algorithm::from_str(name).map_err(|_| format!("unknown algorithm {name:?}"))?;
        algorithms.push(alg);
    }
    let keys = match (def.jwks_uri, def.key_env) {
        (Some(uri), None) => {
            check_jwks_uri(uri)?;
            if algorithms.is_empty() {
                algorithms.push(Algorithm::RS256);
            }
            if let Some(alg) = algorithms
                .iter()
                .find(|a| a.family() == AlgorithmFamily::Hmac)
            {
                return Err(format!(
                    "{alg:?} needs a shared secret, which a JWKS never holds: use `key_env`"
                ));
            }
            Keys::Jwks(Arc::new(Jwks {
                uri,
                keys: RwLock::new(Arc::new(Vec::new())),
                fetched: Mutex::new(None),
                attempted: Mutex::new(None),
                fetching: tokio::sync::Mutex::new(()),
                last_error: Mutex::new(None),
            }))
        }
        (None, Some(var)) => {
            if algorithms.is_empty() {
                algorithms.push(Algorithm::HS256);
            }
            let family = algorithms[0].family();
            if algorithms.iter().any(|a| a.family() != family) {
                return Err(
                    "`key_env` holds one key: its algorithms must be of one family \
                            (all HS*, all RS*/PS*, all ES* or EdDSA)"
                        .into(),
                );
            }
            let value = std::env::var_os(var)
                .ok_or_else(|| format!("environment variable `{var}` is not set"))?;
            let bytes = value.as_encoded_bytes();
            let key = match family {
                AlgorithmFamily::Hmac if bytes.len() < MIN_HMAC_SECRET_BYTES => {
                    return Err(format!(
                        "the secret in `{var}` is {} bytes; HMAC needs at least {MIN_HMAC_SECRET_BYTES}",
                        bytes.len()
                    ))
                }
                AlgorithmFamily::Hmac => DecodingKey::from_secret(bytes),
                AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(bytes),
                AlgorithmFamily::Ec => DecodingKey::from_ec_pem(bytes),
                AlgorithmFamily::Ed => DecodingKey::from_ed_pem(bytes),
            }
            .map_err(|e| format!("the key in `{var}` is no {family:?} key: {e}"))?;
            Keys::Fixed(Key {
                kid: None,
                alg: None,
                key,
            })
        }
        (Some(_), Some(_)) => return Err("give `jwks_uri` or `key_env`, not both".into()),
        (None, None) => return Err("give `jwks_uri` or `key_env`".into()),
    };
    Ok(IssuerState {
        def,
        algorithms,
        keys,
    })
}

/// HTTPS, or plain HTTP to this machine (tests, a sidecar): keys fetched in clear
/// text over a network could be replaced on the way.
fn check_jwks_uri(uri: &str) -> Result<(), String> {
    let parsed: axum::http::Uri = uri
        .parse()
        .map_err(|e| format!("`jwks_uri` {uri:?}: {e}"))?;
    match (parsed.scheme_str(), parsed.host()) {
        (Some("https"), Some(_)) => Ok(()),
        (Some("http"), Some(host))
            if host == "localhost"
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback()) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "`jwks_uri` {uri:?} must be https:// (or http:// to a loopback address)"
        )),
    }
}

/// The `iss` of a token not yet verified: which issuer's keys to check it with.
fn unverified_issuer(token: &str) -> Result<String, JwtError> {
    #[derive(serde::Deserialize)]
    struct Iss {
        iss: Option<Value>,
    }
    let claims: Iss = jsonwebtoken::dangerous::insecure_decode_claims(token)
        .map_err(|e| JwtError::Malformed(format!("payload: {e}")))?;
    match claims.iss {
        Some(Value::String(iss)) => Ok(iss),
        _ => Err(JwtError::Malformed("no string `iss` claim".into())),
    }
}

/// Signature and registered claims.
fn check(token: &str, key: &Key, validation: &Validation) -> Result<Map<String, Value>, JwtError> {
    jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, validation)
        .map(|data| data.claims)
        .map_err(|e| match e.into_kind() {
            ErrorKind::InvalidSignature => JwtError::BadSignature,
            ErrorKind::ExpiredSignature => JwtError::Expired,
            ErrorKind::ImmatureSignature => JwtError::NotYetValid,
            ErrorKind::InvalidAudience => JwtError::Audience,
            ErrorKind::InvalidIssuer => {
                JwtError::UnknownIssuer("(differs from the issuer's)".into())
            }
            ErrorKind::InvalidAlgorithm => JwtError::BadSignature,
            ErrorKind::MissingRequiredClaim(c) => JwtError::Claims(format!("no `{c}`")),
            ErrorKind::InvalidClaimFormat(c) => {
                JwtError::Claims(format!("`{c}` of the wrong type"))
            }
            ErrorKind::Json(e) => JwtError::Claims(format!("not a JSON object: {e}")),
            other => JwtError::Malformed(format!("{other:?}")),
        })
}

/// The application's checks (`azp`, scopes) and the caller.
fn caller(
    issuer: &'static str,
    claims: Map<String, Value>,
    rule: &JwtRule,
) -> Result<JwtCaller, JwtError> {
    let Some(Value::String(subject)) = claims.get("sub") else {
        return Err(JwtError::Claims("`sub` is not a string".into()));
    };
    let client_id = match claims.get("azp") {
        Some(Value::String(azp)) => Some(azp.clone()),
        _ => None,
    };
    if !rule.client_ids.is_empty()
        && !client_id
            .as_deref()
            .is_some_and(|azp| rule.client_ids.contains(&azp))
    {
        return Err(JwtError::ClientId);
    }
    let mut scopes: Vec<String> = Vec::new();
    let mut add = |scope: &str| {
        if !scope.is_empty() && !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    };
    for claim in ["scope", "scp"] {
        match claims.get(claim) {
            Some(Value::String(s)) => s.split_ascii_whitespace().for_each(&mut add),
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).for_each(&mut add),
            _ => {}
        }
    }
    let have: HashSet<&str> = scopes.iter().map(String::as_str).collect();
    if let Some(missing) = rule.scopes.iter().find(|s| !have.contains(**s)) {
        return Err(JwtError::MissingScope(missing));
    }
    let roles = match claims.get("roles") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Ok(JwtCaller {
        subject: subject.clone(),
        roles,
        scopes,
        client_id,
        issuer,
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn read(keys: &RwLock<Arc<Vec<Key>>>) -> Arc<Vec<Key>> {
    Arc::clone(&keys.read().unwrap_or_else(|e| e.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{encode, EncodingKey};
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};

    // Test keys only (made with `openssl genpkey`), never used anywhere else.
    const RSA_A_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQC2ERGYZBfSIyQf\n\
gRZMdeaFZW/yLGSia/+vSv9I29QGmPCUF5zWmr/UEHnXlscxDwYk/NlUmLB36eKD\n\
sg7HbNnKYjzL1D+vyH7H6JtZPSYUo2uGU8WRRzOluu8TPJcJT9laY4U9sVA37axP\n\
N9uSVguS6y6Hx7t1dog/2wnRvxjZEw/880IQN2H/NlHcKkgbAgBiB7utr3k2XyH1\n\
XT7U7LaJa6HHR9Rd542e0FspXRZiPiJ+nPAJOD7aPC4JxTE0wvHZCo+TbbVBOPMm\n\
AHSU1XcX/EvpBDTsQXJGpXY+oRmHkAHfIlH1SY4TzXycxFtMS4uxvaSSoBFsVC00\n\
ei8cfxIlAgMBAAECggEABIgWoNOWjcudUcHSXqmglZ/MuLTG9g2SGgU+QJkxuDUe\n\
Tje4PTv+aLZwRR/WA8nH8V7wJqoWQL9r7+ZpD8JzbHu9eT7mYIDkOiP3M38EiTor\n\
Q8PaBJ+tEJ1Y55wRqYQSeN/fqFI9f01FhXZydKLHoirp+yv+TBIpmgB6e7BlKFUr\n\
9+eATEAXuAFAirt57LdZLDVGpDY7VZSPRQ81dj8XdXM72CzpfnDyhVE6HPsWJEiA\n\
PcAZRFjxwL5tXUWUZjwOLOEI1VKo+fUl/TkuB3zIsf8f7khBmDLRaj/9Csj+1MBp\n\
6WQ4hz+LhoH8hAj3QzclLKmJfO83Kv78h2wDaIm/gQKBgQDjv18pTiULvAqDl9Qj\n\
zMfrvJF2m5TGElegFIfL5Tyn8omYjGx04NzeKBoeumCvMziS0gOceUVprTA9BtZQ\n\
Qzx8fhwmEMWhXOl3kANSTiohv9YoPo+QrzsGdOPxcSKAkxfD+1F/BbR6CrSEkUwM\n\
HfIWQyrfMBf/OyFHAm3x5z3sjQKBgQDMpv/p916tYUbWzpDsJ1tunGolcwTMqEB/\n\
/fMPZX5ykbB9tYcd7ScpBOBCfXy6piHahsEnrLrCFAiY698sbeAp4KRxzbDBrx6m\n\
x7ZQf/tH+eNLXtgZDkFNhPL4wP8IzGlipPTOn/iVCBth0ZvzX9DMF8SnfgrhQa9F\n\
HH5MUDEx+QKBgEN+TVdSX0ww9/SzpBzP7VeBVKKPzPE+MlWwf+X/E5C6IejhhKrG\n\
kO4NeGAu38RMK7HnJ0bR8a41sxwC0LSMmHpUbUcipU8C1/Wk6jcUDwxda7wVfjpk\n\
k9t//KVq38y2ys47xpUcPbYFQiYfYSgeH8ZVNXlbKWFsRppir+6GlyVpAoGAIoPj\n\
02TZ/enTFbVe8cUtgXk12b0NSSrzPeLplGYsrkvt9TWhZSWzHhLpc61QVPZh7UYe\n\
238hPEw+qvPU/txFGyr88Qicz/2l8MDr+aWsDpaRhAup7Iff8aADjnqWSLiY6X8i\n\
npqSRShJ3fSJFcHKKDG2A/2Y/iai1cgZcOtxcJkCgYA1lmWvjvQpJWhD15j4t6KD\n\
2nJjX0cUJCeU65+QVb2AttNW5VgayNlCdntLyrD/pnRd/c2OtN1s3ILV7fOEOmYM\n\
GGbY6wt3SlGZJVM2Rob0vpREnz25yzMDPieLozRsZ6qnIelsd8O7IbYHU5hZ2ve+\n\
hI/6cPSPAyZnGdBJF4Hd7w==\n\
-----END PRIVATE KEY-----\n\
";
    const RSA_A_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAthERmGQX0iMkH4EWTHXm\n\
hWVv8ixkomv/r0r/SNvUBpjwlBec1pq/1BB515bHMQ8GJPzZVJiwd+nig7IOx2zZ\n\
ymI8y9Q/r8h+x+ibWT0mFKNrhlPFkUczpbrvEzyXCU/ZWmOFPbFQN+2sTzfbklYL\n\
kusuh8e7dXaIP9sJ0b8Y2RMP/PNCEDdh/zZR3CpIGwIAYge7ra95Nl8h9V0+1Oy2\n\
iWuhx0fUXeeNntBbKV0WYj4ifpzwCTg+2jwuCcUxNMLx2QqPk221QTjzJgB0lNV3\n\
F/xL6QQ07EFyRqV2PqEZh5AB3yJR9UmOE818nMRbTEuLsb2kkqARbFQtNHovHH8S\n\
JQIDAQAB\n\
-----END PUBLIC KEY-----\n\
";
    const RSA_B_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC1SIhDx+7u0Wll\n\
qrU0uZ8vNpD9AJfKBWZUIuszlIVdeoUsT+jT2gX/0xVuRvX4LO06z1+yUeopvnG5\n\
B/uu6zFoQosHioi9w2KnbN2W9/n23QfaasYjbnDLuMXLIFY0ck6toMZtTADTirSU\n\
hdAlZy7c4IrMD8oTEDHG7hruoe6oUCToDC5mfUGeSjUpgp0LMoqS5eUIWEVSpk93\n\
Lo946T9p9ARwiOIilWzsNzk8njRvYpDxbCEAH1MPlcx0ZKB9d46y6ihWT8hj67jy\n\
1I1LDoivLUZui7PNf+VLt4WIbtMWg8+YUoKCIjh3bu7cMpY1Gdbc6cfXTIxq04+F\n\
7vW4ls4fAgMBAAECggEAV4QVGJfQPuXE2opvYW1NLndKxoE/Rg2WSX70ChokyiyI\n\
Vwyay4+A/vBR88N5Il7aBd6wBb+q6o0gjKGQfPDZEMqzIKhd/DJzkX0qeqPrPiSV\n\
knmift9lv8vLXRUW2MnoNsUblg8vhPB83gi9pBjslEAocXwb41kZlr5DLTnqo8D/\n\
4kvOx3Yi+hFYGrZfKL9FMBl2C7+xaQi+iEdkMktL67zEb+hMLhCt2Gz9/vBkU8Xa\n\
YKDlqRbZAmSTQpE5suZ/0vtmYedzLcXBbBPHRqAXp3ZEr2PdlBvtJbdnuRiMdVt1\n\
g2j41HXfxGqQgZKWB7L2YeLHUialrbNPVm595pzPXQKBgQDv8qARMcm7xyAFA6aa\n\
t3WrThBCMZ+xZqRSYQ6Nret744gxxdIhMexzf0OkfQR5h0pwNgw8JtaSmibUL4ua\n\
qsfU4jvmz6WYSfXUxynAGv9DpdbIJPenEqZVCfhOvXCjHlGUmJlG1C94c0wuDdnJ\n\
7EL/ixTnnXNY2jox49BJ0o636wKBgQDBaTZ94TwqveFuy487E0IHZ0AHYYHHCJK/\n\
Vi9xCkpX2TDSsJDs9mXjoWrgmhXqNSjOnMVKAOyGbuxaXz7/IWC4MnBzakoiVgw/\n\
C+ks4azaA9k1dJNdwvD0JON0uHQL39/FoELh2F2k0IWjjOo6YtQxzZSKF/AHVqPy\n\
8jS1tFpJnQKBgBkWQO4LSpA7bXmYvB6I9+CFNOX20j91/9AtHZxqhqhZTbAGgsW9\n\
tn8M20GjYIhkQMAipnzTgrOpMk4U+n+dQ29ah/DF3QZjFTS97fuL1wx3llEurEXn\n\
iURy2mdBHzmuvdDPc5cYMC5jv59BC3g1H3wgSns81wZ/Kn501x4gyZMpAoGADJb2\n\
rxb8PaQCip3Bgwzr3WOBLXnRYs1SEBZiHC+ZS0KeBPjtVh9r3ndhZ6FgD9DKCTj3\n\
Nqv8uXt68x8EEMNxckwGOd0PWlDTlz8FPKCsCbz6ZJpkBVRtLtc/3xcqpqM6A7k8\n\
4UqePd489Lp1fLt2KI/DPYH1Y+Tl4yiU+cb1oZkCgYEA5J4LQ7xP81W//3InFGrN\n\
MuJRAY4jRDkT+vyMoR0xptFX8OoXyxmnMPMchnahQQ4u4Ruvy1OckCeaAtOvmWMo\n\
lNhGWiIe44Ct9tRbVQgCLejnkPnghcIu9DNi6SaEhH5jB440q2QZ9I1XU3xqGn6m\n\
Zw+yI8MON/gcwaX0UhPVFgU=\n\
-----END PRIVATE KEY-----\n\
";
    const RSA_EVIL_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEuwIBADANBgkqhkiG9w0BAQEFAASCBKUwggShAgEAAoIBAQDbh7TB4fL/8kyM\n\
K7esCJm/UHK08wQCiZgjPCn79wHPElUmHwr8BR0k2dVRfReRKju2TUhMV6NszhoR\n\
ynBhz+MZjnNf0rCA6xpkE+bQmnC7FhX2+gXq35v92EUkndlqEQWBolQpBGwxCBab\n\
+iG6pQKUZcKfzQx022EN+fcIWQ7HpqBnsd6Gv2Ih/FXsTfBpX51tdhKyVHuO8cmw\n\
sWFrt9S3PpXxvqmFOnTD9VRvHox6m7vFwDj0Tda19iAJZBDBe3V9UZYOt/q1ngJM\n\
BvJvPbXKTIovcKByzccVY9SUPMUbI8arPLKw8+dzMUgjLzyTXL6Tg4CRrZ7Hk1S3\n\
u832L/xxAgMBAAECgf9k8tGCocJcUbElS16QQRjqmS4mLPQfzS1ojgH8ov7T1B4P\n\
5dSb+L4IdBPy8DxiU5Sw0tFg4EZRgke+ZpjWJWvbuk8P26GwW10O6+q7gisu68gX\n\
VXCX3+i5oRfuOtUOXlR48YqcM9mblE2F+z+tAWjIn/OXzAk9Z+9TvfxmIdkXONdz\n\
F6wG6k/xsLS7iGm122U7PEkKivw4mFXFhOBW9Q5DKuYaWFwxIn15pTf90Ya+FLRk\n\
fCJ5MkWnphSs/waMxOgG8c3q1xIW9RDMbaltBJLBgAB+46bRTssheR1HN31n72Z7\n\
A5CT0dldSjItpStUHe4qwqenDlneUUBkT8vcZM0CgYEA9BWS7P1GNjPu3kb7cjgp\n\
UF8xajDd2FWPhz6t+0dd22zd2XNHhf7SgwKqTV6gIU667A73mUWjZA/I3FY31WLH\n\
TtVeEHMTMB8hdZeQhv4JKsWBmd4HYly52NLP+MK0i0vrMsHBdFk2Oo9hogap1HpC\n\
dRT+8e1QSWslUph7kfPUii0CgYEA5j9Eo7GUEIJOcbSZ2AG+DMaKRjyyOQ1VJ1Qc\n\
BZTuZYuD6l9tBHza7qt5zvYwegFmQD7ctkluyGxWU3bBTPRmmUSHotF4v71IDXGa\n\
/r1HWWXqpV3EpBF/POeXIZiXWFbZ9FLBFdlqTasxN2bmchnS0wfG61FNLPmAQ4u/\n\
34gJOdUCgYA791TqfmsSg/3KhDvgWuXjhg+Y3DqUnKivfHm4A1eOwhdbBhRrWiiT\n\
4UK/0WCb7kDEIAU6lb5Hpg0d/NyowyTePFNozSzIpM1Om5b5Y04TQQTPLZo40zkh\n\
iOFpZ0R9+H/nL2z8zbIh/vnomaR9vC+5nhfojfosn3NC8I1jVTlBXQKBgQC8Zb6L\n\
Vs15qLX5MjbD2cEhgP85s4Z9SlyH/rmjE5bx/fOlvgldJ7CYpDTaVPWbjzOUlBtT\n\
CMkeNA964ewPRNgCx2FYp5/u/DlNzsxtboFINC2IvC4ftbVwJ2uxcMM95GsZEPGv\n\
KCRkgxSVaZxcdqbcSDvK5s6IY2tBWcNZa11pNQKBgHMrPbE0pxTwDdxB6rd5uoNt\n\
ON7gpXPticNyEyYAe0qETdnYMvLgdouggUKoR1rdIsf+J8U5GHhfSdDWf9xcH7zp\n\
eK6K1a/xWt4LWCkD7DjRPlszyctETSlUf2lQRTeYijYWwp+/ZpLyqRw9kPCofClu\n\
AqTmi7urB/71wISChJU3\n\
-----END PRIVATE KEY-----\n\
";
    const EC_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+jX+wuFdR//6rWaP\n\
rq5D2Dn//wA4S/nbHFXwZQG6iyqhRANCAATUQvsUyy2QgXzUsyGj2MrXlH/tXN69\n\
TBhyNFYGwCShmCrdrmIls8Gzjtb82SUyp2ZJP7qhvAyeScoOiKja8d+8\n\
-----END PRIVATE KEY-----\n\
";
    const ISS: &str = "https://idp.example.test/";
    const HS_ISS: &str = "urn:apigen:test:hs";
    /// The HMAC secret of the "local" issuer (non-ASCII bytes too).
    const SECRET: &str = "a shared secret of at least 32 bytes, ça va";

    /// A JWKS server on 127.0.0.1: what it serves can be changed, and it counts fetches.
    struct IdP {
        uri: &'static str,
        jwks: Arc<Mutex<(u16, String)>>,
        fetches: Arc<AtomicUsize>,
    }

    impl IdP {
        async fn start(keys: &[(&str, &str, Algorithm)]) -> IdP {
            let jwks = Arc::new(Mutex::new((200, jwks_json(keys))));
            let fetches = Arc::new(AtomicUsize::new(0));
            let (j, f) = (Arc::clone(&jwks), Arc::clone(&fetches));
            let app = axum::Router::new().route(
                "/jwks",
                axum::routing::get(move || {
                    let (j, f) = (Arc::clone(&j), Arc::clone(&f));
                    async move {
                        f.fetch_add(1, Ordering::SeqCst);
                        let (status, body) = j.lock().unwrap().clone();
                        (axum::http::StatusCode::from_u16(status).unwrap(), body)
                    }
                }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            let uri = Box::leak(format!("http://{addr}/jwks").into_boxed_str());
            IdP { uri, jwks, fetches }
        }

        fn serve(&self, keys: &[(&str, &str, Algorithm)]) {
            *self.jwks.lock().unwrap() = (200, jwks_json(keys));
        }

        fn fail(&self) {
            *self.jwks.lock().unwrap() = (500, "down".into());
        }

        fn fetches(&self) -> usize {
            self.fetches.load(Ordering::SeqCst)
        }

        /// A verifier of this IdP's tokens (issuer "idp", RS256 and ES256) and of
        /// HS256 tokens with the secret in `hs_env`.
        fn verifier(&self, hs_env: &'static str) -> JwtVerifier {
            std::env::set_var(hs_env, SECRET);
            let issuers: &'static [Issuer] = Box::leak(Box::new([
                Issuer {
                    name: "idp",
                    issuer: ISS,
                    jwks_uri: Some(self.uri),
                    key_env: None,
                    algorithms: &["RS256", "ES256"],
                },
                Issuer {
                    name: "local",
                    issuer: HS_ISS,
                    jwks_uri: None,
                    key_env: Some(hs_env),
                    algorithms: &["HS256"],
                },
            ]));
            JwtVerifier::new(issuers).unwrap()
        }
    }

    fn jwks_json(keys: &[(&str, &str, Algorithm)]) -> String {
        let keys = keys
            .iter()
            .map(|(kid, pem, alg)| {
                let mut jwk = Jwk::from_encoding_key(&encoding_key(pem, *alg), *alg).unwrap();
                jwk.common.key_id = Some(kid.to_string());
                jwk
            })
            .collect();
        serde_json::to_string(&JwkSet { keys }).unwrap()
    }

    fn encoding_key(pem: &str, alg: Algorithm) -> EncodingKey {
        match alg.family() {
            AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
            AlgorithmFamily::Ec => EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
            _ => EncodingKey::from_secret(pem.as_bytes()).unwrap(),
        }
    }

    fn sign(alg: Algorithm, kid: Option<&str>, pem: &str, claims: &Value) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        encode(&header, claims, &encoding_key(pem, alg)).unwrap()
    }

    fn now() -> i64 {
        jsonwebtoken::get_current_timestamp() as i64
    }

    /// Claims that pass [`RULE`].
    fn claims() -> Value {
        json!({
            "iss": ISS,
            "sub": "Zoë 山田",
            "aud": ["other-api", "people-api"],
            "azp": "mobile",
            "exp": now() + 600,
            "nbf": now() - 10,
            "iat": now() - 10,
            "scope": "read:people write:people",
            "roles": ["admin", "rédacteur"],
        })
    }

    fn with(mut claims: Value, key: &str, value: Value) -> Value {
        claims[key] = value;
        claims
    }

    fn without(mut claims: Value, key: &str) -> Value {
        claims.as_object_mut().unwrap().remove(key);
        claims
    }

    static RULE: JwtRule = JwtRule {
        issuers: &[],
        audiences: &[("idp", &["people-api"]), ("local", &["local-api"])],
        client_ids: &["mobile", "web"],
        scopes: &["read:people"],
    };

    static OPEN_RULE: JwtRule = JwtRule {
        issuers: &[],
        audiences: &[("*", &["people-api", "local-api"])],
        client_ids: &[],
        scopes: &[],
    };

    fn b64(json: &Value) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
    }

    #[tokio::test]
    async fn a_valid_token_names_its_caller() {
        let idp = IdP::start(&[("a", RSA_A_PRIVATE, Algorithm::RS256)]).await;
        let v = idp.verifier("APIGEN_TEST_JWT_UNUSED_1");
        let token = sign(Algorithm::RS256, Some("a"), RSA_A_PRIVATE, &claims());
        let caller = v.verify(&token, &RULE).await.unwrap();
        assert_eq!(
            caller,
            JwtCaller {
                subject: "Zoë 山田".into(),
                roles: vec!["admin".into(), "rédacteur".into()],
                scopes: vec!["read:people".into(), "write:people".into()],
                client_id: Some("mobile".into()),
                issuer: "idp",
            }
        );
        // Cached: a second token costs no fetch.
        let token = sign(
            Algorithm::RS256,
            Some("a"),
            RSA_A_PRIVATE,
            &with(claims(), "sub", json!("bob")),
        );
        assert_eq!(v.verify(&token, &RULE).await.unwrap().subject, "bob");
        assert_eq!(idp.fetches(), 1);
        // `scp` as an array, a single string `aud`, no `nbf`, `exp` within the leeway,
        // and an `exp` far in the future (year 33658) are all fine.
        let c = without(
            with(
                with(claims(), "aud", json!("people-api")),
                "exp",
                json!(now() - 30),
            ),
            "nbf",
        );
        let c = with(without(c, "scope"), "scp", json!(["read:people"]));
        assert!(v
            .verify(&sign(Algorithm::RS256, Some("a"), RSA_A_PRIVATE, &c), &RULE)
            .await
            .is_ok());
        let c = with(claims(), "exp", json!(1_000_000_000_000_i64));
        assert!(v
            .verify(&sign(Algorithm::RS256, Some("a"), RSA_A_PRIVATE, &c), &RULE)
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn an_es256_key_of_the_jwks_verifies() {
        let idp = IdP::start(&[
            ("a", RSA_A_PRIVATE, Algorithm::RS256),
            ("e", EC_PRIVATE, Algorithm::ES256),
        ])
        .await;
        let v = idp.verifier("APIGEN_TEST_JWT_UNUSED_2");
        let token = sign(Algorithm::ES256, Some("e"), EC_PRIVATE, &claims());
        assert_eq!(v.verify(&token, &RULE).await.unwrap().subject, "Zoë 山田");
        // The EC key named with the RSA key's kid: no key of that kid fits.
        let token = sign(Algorithm::ES256, Some("a"), EC_PRIVATE, &claims());
        assert_eq!(
            v.verify(&token, &RULE).await,
            Err(JwtError::UnknownKey(Some("a".into())))
        );
    }

    #[tokio::test]
    async fn time_issuer_audience_client_and_scope_are_checked() {
        let idp = IdP::start(&[("a", RSA_A_PRIVATE, Algorithm::RS256)]).await;
        let v = idp.verifier("APIGEN_TEST_JWT_UNUSED_3");
        let check = |c: Value| {
            let token = sign(Algorithm::RS256, Some("a"), RSA_A_PRIVATE, &c);
            let v = &v;
            async move { v.verify(&token, &RULE).await }
        };
        assert_eq!(
            check(with(claims(), "exp", json!(now() - 3600))).await,
            Err(JwtError::Expired)
        );
        assert_eq!(
            check(with(claims(), "nbf", json!(now() + 3600))).await,
            Err(JwtError::NotYetValid)
        );
        assert_eq!(
            check(with(claims(), "aud", json!(["other-api"]))).await,
            Err(JwtError::Audience)
        );
        assert_eq!(
            check(with(claims(), "aud", json!("local-api"))).await,
            Err(JwtError::Audience)
        );
        assert_eq!(
            check(with(claims(), "iss", json!("https://evil.example.test/"))).await,
            Err(JwtError::UnknownIssuer("https://evil.example.test/".into()))
        );
        assert_eq!(
            check(with(claims(), "azp", json!("intruder"))).await,
            Err(JwtError::ClientId)
        );
        assert_eq!(
            check(without(claims(), "azp")).await,
            Err(JwtError::ClientId)
        );
        assert_eq!(
            check(with(claims(), "scope", json!("write:people"))).await,
            Err(JwtError::MissingScope("read:people"))
        );
        assert!(matches!(
            check(without(claims(), "exp")).await,
            Err(JwtError::Claims(_))
        ));
        assert!(matches!(
            check(without(claims(), "sub")).await,
            Err(JwtError::Claims(_))
        ));
        assert!(matches!(
            check(without(claims(), "aud")).await,
            Err(JwtError::Claims(_))
        ));
        // Claims of the wrong JSON type never skip their check (CVE-2026-25537):
        // strings, floats, pre-1970 (negative) and overflowing times are refused.
        for (claim, value) in [
            ("nbf", json!("99999999999")),
            ("exp", json!("never")),
            ("exp", json!(1e300)),
            ("exp", json!(-5)),
            ("nbf", json!(-86_400 * 365 * 20)),
            ("exp", json!(18_446_744_073_709_551_615_u64)),
            ("sub", json!(42)),
            ("aud", json!(1234)),
        ] {
            let result = check(with(claims(), claim, value.clone())).await;
            if claim == "exp" && value.as_u64() == Some(u64::MAX) {
                // The largest u64 is a valid (far) expiry; it must not overflow.
                assert!(result.is_ok(), "{result:?}");
            } else {
                assert!(
                    matches!(result, Err(JwtError::Claims(_))),
                    "{claim}={value}: {result:?}"
                );
            }
        }
        // The rule may leave `azp` and scopes free; a rule that names no audience for
        // the issuer accepts nothing.
        let token = sign(
            Algorithm::RS256,
            Some("a"),
            RSA_A_PRIVATE,
            &without(claims(), "azp"),
        );
        assert!(v.verify(&token, &OPEN_RULE).await.is_ok());
        static NO_AUD: JwtRule = JwtRule {
            issuers: &[],
            audiences: &[("local", &["people-api"])],
            client_ids: &[],
            scopes: &[],
        };
        assert_eq!(v.verify(&token, &NO_AUD).await, Err(JwtError::Audience));
        // A rule that accepts only the other issuer.
        static LOCAL_ONLY: JwtRule = JwtRule {
            issuers: &["local"],
            audiences: &[("*", &["people-api"])],
            client_ids: &[],
            scopes: &[],
        };
        assert_eq!(
            v.verify(&token, &LOCAL_ONLY).await,
            Err(JwtError::UnknownIssuer(ISS.into()))
        );
    }

    #[tokio::test]
    async fn forged_and_unsigned_tokens_are_refused() {
        let idp = IdP::start(&[("a", RSA_A_PRIVATE, Algorithm::RS256)]).await;
        let v = idp.verifier("APIGEN_TEST_JWT_UNUSED_4");
        // Signed with another key under the real key's kid.
        let forged = sign(Algorithm::RS256, Some("a"), RSA_EVIL_PRIVATE, &claims());
        assert_eq!(v.verify(&forged, &RULE).await, Err(JwtError::BadSignature));
        // Without a kid: every key of the set is tried, none verifies.
        let forged = sign(Algorithm::RS256, None, RSA_EVIL_PRIVATE, &claims());
        assert_eq!(v.verify(&forged, &RULE).await, Err(JwtError::BadSignature));
        // ...while the right key without a kid is found.
        let good = sign(Algorithm::RS256, None, RSA_A_PRIVATE, &claims());
        assert!(v.verify(&good, &RULE).await.is_ok());
        // A valid token with its payload changed.
        let good = sign(Algorithm::RS256, Some("a"), RSA_A_PRIVATE, &claims());
        let parts: Vec<&str> = good.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64(&with(claims(), "roles", json!(["root"]))),
            parts[2]
        );
        assert_eq!(
            v.verify(&tampered, &RULE).await,
            Err(JwtError::BadSignature)
        );
        // `alg: none`, with and without a signature.
        for alg in ["none", "None", "NONE"] {
            let header = b64(&json!({"alg": alg, "typ": "JWT", "kid": "a"}));
            for sig in ["", "AAAA"] {
                let token = format!("{header}.{}.{sig}", b64(&claims()));
                assert!(
                    matches!(v.verify(&token, &RULE).await, Err(JwtError::Malformed(_))),
                    "{alg} {sig}"
                );
            }
        }
        // A critical header extension nobody here understands.
        let header = b64(&json!({"alg": "RS256", "kid": "a", "crit": ["exp-x"], "exp-x": 1}));
        let token = format!("{header}.{}.{}", b64(&claims()), parts[2]);
        assert!(v.verify(&token, &RULE).await.is_err());
        // Garbage, empty, huge.
        for token in ["", "a.b", "a.b.c", "....", "é.é.é", "eyJ.eyJ.eyJ"] {
            assert!(
                matches!(v.verify(token, &RULE).await, Err(JwtError::Malformed(_))),
                "{token:?}"
            );
        }
        let huge = format!("{}.{}.x", "a".repeat(MAX_TOKEN_BYTES), "b");
        assert!(matches!(
            v.verify(&huge, &RULE).await,
            Err(JwtError::Malformed(_))
        ));
    }

    #[tokio::test]
    async fn an_hs256_token_signed_with_the_public_key_is_refused() {
        // The classic confusion: the verifier's RSA public key, which anyone has, used
        // as an HMAC secret.
        let idp = IdP::start(&[("a", RSA_A_PRIVATE, Algorithm::RS256)]).await;
        let v = idp.verifier("APIGEN_TEST_JWT_UNUSED_5");
        let token = sign(Algorithm::HS256, Some("a"), RSA_A_PUBLIC, &claims());
        assert_eq!(
            v.verify(&token, &RULE).await,
            Err(JwtError::AlgorithmNotAllowed(Algorithm::HS256))
        );
        // An issuer whose key comes from the environment as a PEM public key.
        std::env::set_var("APIGEN_TEST_JWT_RSA_PUB", RSA_A_PUBLIC);
        static PEM_ISSUER: [Issuer; 1] = [Issuer {
            name: "pem",
            issuer: ISS,
            jwks_uri: None,
            key_env: Some("APIGEN_TEST_JWT_RSA_PUB"),
            algorithms: &["RS256"],
        }];
        let v = JwtVerifier::new(&PEM_ISSUER).unwrap();
        assert_eq!(
            v.verify(&token, &OPEN_RULE).await,
            Err(JwtError::AlgorithmNotAllowed(Algorithm::HS256))
        );
        let good = sign(Algorithm::RS256, None, RSA_A_PRIVATE, &claims());
        assert_eq!(v.verify(&good, &OPEN_RULE).await.unwrap().issuer, "pem");
        // Mixing families for one key, or HMAC for a JWKS, does not even start.
        static MIXED: [Issuer; 1] = [Issuer {
            name: "mixed",
            issuer: ISS,
            jwks_uri: None,
            key_env: Some("APIGEN_TEST_JWT_RSA_PUB"),
            algorithms: &["RS256", "HS256"],
        }];
        assert!(JwtVerifier::new(&MIXED).unwrap_err().contains("one family"));
        static JWKS_HMAC: [Issuer; 1] = [Issuer {
            name: "jh",
            issuer: ISS,
            jwks_uri: Some("https://idp.example.test/jwks"),
            key_env: None,
            algorithms: &["RS256", "HS256"],
        }];
        assert!(JwtVerifier::new(&JWKS_HMAC)
            .unwrap_err()
            .contains("key_env"));
    }

    #[tokio::test]
    async fn an_hs256_secret_comes_from_the_environment() {
        let idp = IdP::start(&[]).await;
        let v = idp.verifier("APIGEN_TEST_JWT_HS_SECRET");
        let c = with(
            with(claims(), "iss", json!(HS_ISS)),
            "aud",
            json!("local-api"),
        );
        let token = sign(Algorithm::HS256, None, SECRET, &c);
        let caller = v.verify(&token, &RULE).await.unwrap();
        assert_eq!(
            (caller.issuer, caller.subject.as_str()),
            ("local", "Zoë 山田")
        );
        let forged = sign(
            Algorithm::HS256,
            None,
            "another secret of at least 32 bytes!!",
            &c,
        );
        assert_eq!(v.verify(&forged, &RULE).await, Err(JwtError::BadSignature));
        let other_alg = sign(Algorithm::HS512, None, SECRET, &c);
        assert_eq!(
            v.verify(&other_alg, &RULE).await,
            Err(JwtError::AlgorithmNotAllowed(Algorithm::HS512))
        );
        assert_eq!(idp.fetches(), 0, "no JWKS fetched for an HS256 issuer");

        // Missing and short secrets are start-up errors naming the variable.
        static MISSING: [Issuer; 1] = [Issuer {
            name: "local",
            issuer: HS_ISS,
            jwks_uri: None,
            key_env: Some("APIGEN_TEST_JWT_NOT_SET_ANYWHERE"),
            algorithms: &[],
        }];
        let err = JwtVerifier::new(&MISSING).unwrap_err();
        assert!(
            err.contains("APIGEN_TEST_JWT_NOT_SET_ANYWHERE") && err.contains("`local`"),
            "{err}"
        );
        std::env::set_var("APIGEN_TEST_JWT_SHORT", "short");
        static SHORT: [Issuer; 1] = [Issuer {
            name: "local",
            issuer: HS_ISS,
            jwks_uri: None,
            key_env: Some("APIGEN_TEST_JWT_SHORT"),
            algorithms: &["HS256"],
        }];
        assert!(JwtVerifier::new(&SHORT)
            .unwrap_err()
            .contains("at least 32"));
        static PLAIN_HTTP: [Issuer; 1] = [Issuer {
            name: "far",
            issuer: ISS,
            jwks_uri: Some("http://idp.example.test/jwks"),
            key_env: None,
            algorithms: &[],
        }];
        assert!(JwtVerifier::new(&PLAIN_HTTP)
            .unwrap_err()
            .contains("https://"));
    }

    #[tokio::test]
    async fn an_unknown_kid_refreshes_the_keys_once_per_interval() {
        let idp = IdP::start(&[("a", RSA_A_PRIVATE, Algorithm::RS256)]).await;
        let v = idp
            .verifier("APIGEN_TEST_JWT_UNUSED_6")
            .with_min_refresh_interval(Duration::from_millis(300));
        v.prefetch().await;
        assert_eq!(idp.fetches(), 1);
        let token_a = sign(Algorithm::RS256, Some("a"), RSA_A_PRIVATE, &claims());
        assert!(v.verify(&token_a, &RULE).await.is_ok());
        assert_eq!(idp.fetches(), 1);

        // The IdP rotates to key b: the first token signed with it makes one fetch.
        tokio::time::sleep(Duration::from_millis(350)).await;
        idp.serve(&[("b", RSA_B_PRIVATE, Algorithm::RS256)]);
        let token_b = sign(Algorithm::RS256, Some("b"), RSA_B_PRIVATE, &claims());
        assert_eq!(v.verify(&token_b, &RULE).await.unwrap().subject, "Zoë 山田");
        assert_eq!(idp.fetches(), 2);
        // Key a is gone from the set, and from the cache.
        assert_eq!(
            v.verify(&token_a, &RULE).await,
            Err(JwtError::UnknownKey(Some("a".into())))
        );

        // Random kids within the interval fetch nothing more.
        for i in 0..20 {
            let token = sign(
                Algorithm::RS256,
                Some(&format!("random-{i}")),
                RSA_EVIL_PRIVATE,
                &claims(),
            );
            assert!(matches!(
                v.verify(&token, &RULE).await,
                Err(JwtError::UnknownKey(Some(_)))
            ));
        }
        assert_eq!(idp.fetches(), 2);

        // After the interval the IdP is down: the fetch fails, the keys at hand stay.
        tokio::time::sleep(Duration::from_millis(350)).await;
        idp.fail();
        let token_c = sign(Algorithm::RS256, Some("c"), RSA_EVIL_PRIVATE, &claims());
        assert!(matches!(
            v.verify(&token_c, &RULE).await,
            Err(JwtError::UnknownKey(_))
        ));
        assert_eq!(idp.fetches(), 3);
        assert!(v.verify(&token_b, &RULE).await.is_ok());
    }

    #[tokio::test]
    async fn the_default_interval_spares_the_idp_and_unreachable_keys_are_an_error() {
        let idp = IdP::start(&[("a", RSA_A_PRIVATE, Algorithm::RS256)]).await;
        let v = idp.verifier("APIGEN_TEST_JWT_UNUSED_7");
        let token = sign(Algorithm::RS256, Some("a"), RSA_A_PRIVATE, &claims());
        assert!(v.verify(&token, &RULE).await.is_ok());
        let unknown = sign(Algorithm::RS256, Some("zz"), RSA_A_PRIVATE, &claims());
        for _ in 0..5 {
            assert!(v.verify(&unknown, &RULE).await.is_err());
        }
        assert_eq!(
            idp.fetches(),
            1,
            "made-up kids within 10 s of a fetch fetch nothing"
        );

        // An IdP that is down from the start: the error says why, nothing panics.
        let down = IdP::start(&[]).await;
        down.fail();
        let v = down.verifier("APIGEN_TEST_JWT_UNUSED_8");
        match v.verify(&token, &RULE).await {
            Err(JwtError::KeysUnavailable(why)) => assert!(why.contains("500"), "{why}"),
            other => panic!("{other:?}"),
        }
        // Not a JWKS at all, and a closed port.
        down.serve(&[]);
        *down.jwks.lock().unwrap() = (200, "<html>".into());
        let v = down.verifier("APIGEN_TEST_JWT_UNUSED_9");
        assert!(matches!(
            v.verify(&token, &RULE).await,
            Err(JwtError::KeysUnavailable(_))
        ));
        static CLOSED: [Issuer; 1] = [Issuer {
            name: "idp",
            issuer: ISS,
            jwks_uri: Some("http://127.0.0.1:9/jwks"),
            key_env: None,
            algorithms: &[],
        }];
        let v = JwtVerifier::new(&CLOSED).unwrap();
        assert!(matches!(
            v.verify(&token, &RULE).await,
            Err(JwtError::KeysUnavailable(_))
        ));
    }

    /// The cost of one verification, per algorithm. Not a test of correctness; run with
    /// `cargo test -p apigen-runtime --features jwt --release -- --ignored --nocapture verify_cost`.
    #[tokio::test]
    #[ignore]
    async fn verify_cost() {
        let idp = IdP::start(&[
            ("a", RSA_A_PRIVATE, Algorithm::RS256),
            ("e", EC_PRIVATE, Algorithm::ES256),
        ])
        .await;
        let v = idp.verifier("APIGEN_TEST_JWT_BENCH");
        let hs = with(
            with(claims(), "iss", json!(HS_ISS)),
            "aud",
            json!("local-api"),
        );
        for (name, token) in [
            (
                "RS256",
                sign(Algorithm::RS256, Some("a"), RSA_A_PRIVATE, &claims()),
            ),
            (
                "ES256",
                sign(Algorithm::ES256, Some("e"), EC_PRIVATE, &claims()),
            ),
            ("HS256", sign(Algorithm::HS256, None, SECRET, &hs)),
        ] {
            v.verify(&token, &RULE).await.unwrap();
            let n = 10_000;
            let start = Instant::now();
            for _ in 0..n {
                v.verify(&token, &RULE).await.unwrap();
            }
            println!(
                "{name}: {:.1} µs per verify",
                start.elapsed().as_secs_f64() * 1e6 / n as f64
            );
        }
    }
}
