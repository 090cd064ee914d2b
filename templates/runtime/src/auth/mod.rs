//! Who is calling, and whether they may: authentication and authorization of each
//! operation (cargo feature `auth`; JWT under `jwt`).
//!
//! The generated router wraps each operation that has a rule in [`guard`], with that
//! operation's [`Policy`]: the schemes that authenticate a user (Eve's auth classes:
//! `basic`, `token`, `hmac`, `jwt`, `signed`, or the user's own `custom` check), whether
//! an API key must come too (Cloud Endpoints' `api_key_required`), and the roles allowed
//! (Eve's `allowed_*roles`). A request that passes carries its [`Caller`] in its
//! extensions, for the handlers (`auth_field`, the oplog's `u`); one that does not is
//! answered as Eve answers it: 401, `WWW-Authenticate`, and the error envelope. A known
//! caller whose role is not allowed is a 401 too, as in Eve.
//!
//! Users, API keys and tokens live in the server's own database (`store`), managed
//! with the generated binary's `users`, `keys` and `tokens` commands (`command`).
//! CORS preflights never reach a guard: the HTTP layer answers them before routing.

pub mod command;
#[cfg(feature = "jwt")]
pub mod jwt;
pub mod signed;
pub mod store;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use crate::error::ApiError;
use crate::state::AppState;

/// A way a caller proves who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// HTTP Basic with a user of the server's users table.
    Basic,
    /// A bearer token the server issued (`Bearer`, `Token`, or Basic with the token as
    /// user name, as Eve's `TokenAuth` reads them).
    Token,
    /// Eve's HMAC: `Authorization: <user>:<signature>` (`signed`).
    Hmac,
    /// A JWT from one of the API's issuers.
    Jwt,
    /// The dataset API's `token = SHA1(key + stamp + visitor + type)` (`signed`).
    Signed,
    /// The user's own check ([`CheckAuth`]), which replaces every other.
    Custom,
}

/// Who may call one operation: generated, one static per operation with a rule.
#[derive(Debug)]
pub struct Policy {
    /// The schemes that authenticate a user; empty: no user is needed.
    pub schemes: &'static [Scheme],
    /// An API key must come too (in `x-api-key` or the `key` query parameter).
    pub api_key_required: bool,
    /// The roles allowed; empty: any authenticated user.
    pub roles: &'static [&'static str],
    /// JWT audiences: `("*", [...])` for every issuer, or per issuer name.
    pub audiences: &'static [(&'static str, &'static [&'static str])],
    /// JWT `azp` values allowed; empty: any.
    pub client_ids: &'static [&'static str],
    /// Scopes a JWT must carry.
    pub scopes: &'static [&'static str],
}

impl Policy {
    /// Whether a caller with `roles` has a role the operation allows (any, when it
    /// names none).
    pub fn allows(&self, roles: &[String]) -> bool {
        self.roles.is_empty() || roles.iter().any(|r| self.roles.contains(&r.as_str()))
    }
}

/// A token issuer (`[api.issuers.<name>]`).
#[derive(Debug)]
pub struct Issuer {
    /// The spec's name for it, which rules and `audiences` refer to.
    pub name: &'static str,
    /// What its tokens' `iss` claim says, exactly.
    pub issuer: &'static str,
    /// Where its public keys are published (a JWKS); `https://`, or `http://` to a
    /// loopback address.
    pub jwks_uri: Option<&'static str>,
    /// Or: the environment variable holding its key: the HMAC secret (raw bytes, at
    /// least 32) for `HS*`, a PEM public key for the others. Exactly one of `jwks_uri`
    /// and `key_env` is set.
    pub key_env: Option<&'static str>,
    /// The `alg`s accepted, e.g. `["RS256"]`; all of one family for `key_env`, no
    /// `HS*` for `jwks_uri`. Empty: `RS256` for `jwks_uri`, `HS256` for `key_env`.
    pub algorithms: &'static [&'static str],
}

/// The API's auth settings that are not per operation (`Api::AUTH`).
#[derive(Debug)]
pub struct Settings {
    /// The realm `WWW-Authenticate` names: the API's name.
    pub realm: &'static str,
    pub issuers: &'static [Issuer],
    /// How far a signed request's time may be from the server's.
    pub signature_max_age: Duration,
    /// The API-wide `authentication` schemes: how [`verified_user`] identifies the
    /// caller of an operation without a rule of its own (for its rate limits and
    /// quotas, `limits`). Empty: such callers are known by their address alone.
    pub schemes: &'static [Scheme],
}

/// The caller of a request that passed its guard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    /// The authenticated user (a user name, or a JWT's `sub`); `None` on a public
    /// operation.
    pub user: Option<String>,
    /// The user's roles (for a JWT, its `roles` claim; for an API key alone, the key's).
    pub roles: Vec<String>,
    /// The API key's consumer, when a key came.
    pub consumer: Option<String>,
}

/// What the user's own check (`authentication = ["custom"]`, Eve's `check_auth`) is
/// given: the request's head, and the operation's settings.
pub struct AuthRequest<'a> {
    pub method: &'a axum::http::Method,
    pub uri: &'a axum::http::Uri,
    pub headers: &'a HeaderMap,
    /// The roles the operation allows (empty: any caller the check accepts).
    pub allowed_roles: &'static [&'static str],
}

/// The user's own authentication (Eve's `check_auth`), the function `check_auth` of
/// their `src/auth.rs`: the caller (with a user), or `None` to refuse the request
/// (401). The roles it gives the caller are then checked against the operation's, as
/// for every scheme; they are in the request too, as Eve passes them.
pub type CheckAuth = fn(&AuthRequest<'_>) -> Option<Caller>;

/// The server's authentication state: the credential store's caches, the replay
/// cache of signed requests, the JWT verifier and the user's own check.
pub struct Auth {
    settings: &'static Settings,
    passwords: Arc<store::PasswordCache>,
    replays: signed::ReplayCache,
    #[cfg(feature = "jwt")]
    jwt: Option<jwt::JwtVerifier>,
    custom: Option<CheckAuth>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("settings", &self.settings)
            .finish()
    }
}

/// Most signatures remembered against replays: at a thousand signed requests a
/// second over a five-minute window, a few tens of MiB at worst.
const REPLAY_ENTRIES: usize = 1 << 18;

impl Auth {
    /// The state for `settings`; an issuer whose key is in a missing environment
    /// variable is an error here, at start, not a 401 on every request.
    pub fn new(settings: &'static Settings, custom: Option<CheckAuth>) -> Result<Auth, String> {
        Ok(Auth {
            settings,
            passwords: Arc::new(store::PasswordCache::new().map_err(|e| e.to_string())?),
            replays: signed::ReplayCache::new(settings.signature_max_age, REPLAY_ENTRIES),
            #[cfg(feature = "jwt")]
            jwt: if settings.issuers.is_empty() {
                None
            } else {
                Some(jwt::JwtVerifier::new(settings.issuers)?)
            },
            custom,
        })
    }
}

/// A guard's state: the operation's policy and the server's state.
#[derive(Clone)]
pub struct Guard {
    pub policy: &'static Policy,
    pub state: AppState,
}

impl Guard {
    pub fn new(policy: &'static Policy, state: &AppState) -> Guard {
        Guard {
            policy,
            state: state.clone(),
        }
    }
}

/// The middleware in front of an operation with a rule: the request goes on with its
/// [`Caller`], or is answered 401.
pub async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    match authenticate(&guard, request).await {
        Ok(request) => next.run(request).await,
        Err(refusal) => {
            let realm = guard
                .state
                .auth
                .as_ref()
                .map_or("api", |a| a.settings.realm);
            refusal.into_response(guard.policy, realm)
        }
    }
}

/// Why a request is refused.
#[derive(Debug)]
pub enum Refusal {
    /// No valid credentials, or a role the operation does not allow: 401.
    Unauthorized,
    /// Any other error on the way (a body too large, the database busy).
    Error(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal::Error(error)
    }
}

impl Refusal {
    fn into_response(self, policy: &Policy, realm: &str) -> Response {
        match self {
            Refusal::Error(error) => error.into_response(),
            Refusal::Unauthorized => unauthorized(policy, realm),
        }
    }
}

/// Eve's answer to a request it does not let through.
pub fn unauthorized(policy: &Policy, realm: &str) -> Response {
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "Please provide proper credentials",
    )
    .into_response();
    let mut challenges: Vec<String> = Vec::new();
    for scheme in policy.schemes {
        let challenge = match scheme {
            Scheme::Basic => format!("Basic realm=\"{realm}\""),
            Scheme::Token | Scheme::Jwt => format!("Bearer realm=\"{realm}\""),
            Scheme::Hmac => format!("HMAC realm=\"{realm}\""),
            Scheme::Signed => format!("Signed realm=\"{realm}\""),
            Scheme::Custom => format!("Basic realm=\"{realm}\""),
        };
        if !challenges.contains(&challenge) {
            challenges.push(challenge);
        }
    }
    if challenges.is_empty() {
        // Only an API key was missing: name the header it goes in.
        challenges.push(format!("ApiKey realm=\"{realm}\", header=\"x-api-key\""));
    }
    for challenge in challenges {
        if let Ok(value) = HeaderValue::try_from(challenge) {
            response
                .headers_mut()
                .append(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}

/// The credentials the `Authorization` header carries, by shape.
enum Presented<'a> {
    None,
    Basic { user: String, password: String },
    Bearer(&'a str),
    Hmac { user: &'a str, signature: &'a str },
    Malformed,
}

fn presented(headers: &HeaderMap) -> Presented<'_> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Presented::None;
    };
    // Not `to_str`, which refuses non-ASCII: an HMAC user name may be `Zoë`.
    let Ok(text) = std::str::from_utf8(value.as_bytes()) else {
        return Presented::Malformed;
    };
    let text = text.trim();
    let (kind, rest) = match text.split_once(' ') {
        Some((kind, rest)) => (kind, rest.trim()),
        None => ("", text),
    };
    if kind.eq_ignore_ascii_case("basic") {
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest) else {
            return Presented::Malformed;
        };
        let Ok(decoded) = String::from_utf8(decoded) else {
            return Presented::Malformed;
        };
        return match decoded.split_once(':') {
            Some((user, password)) => Presented::Basic {
                user: user.to_string(),
                password: password.to_string(),
            },
            None => Presented::Basic {
                user: decoded,
                password: String::new(),
            },
        };
    }
    if kind.eq_ignore_ascii_case("bearer") || kind.eq_ignore_ascii_case("token") {
        return if rest.is_empty() {
            Presented::Malformed
        } else {
            Presented::Bearer(rest)
        };
    }
    if kind.is_empty() {
        if let Some((user, signature)) = signed::parse_hmac_authorization(text) {
            return Presented::Hmac { user, signature };
        }
        // Eve's TokenAuth also takes a bare `Authorization: <token>`.
        return Presented::Bearer(text);
    }
    Presented::Malformed
}

/// The API key of a request: the `x-api-key` header, else the `key` query parameter.
fn api_key(request: &Request) -> Option<String> {
    if let Some(value) = request.headers().get("x-api-key") {
        return value.to_str().ok().map(str::to_string);
    }
    let query = request.uri().query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "key")
        .map(|(_, value)| value.into_owned())
}

/// Whether a token has a JWT's shape: three base64url parts.
#[cfg(feature = "jwt")]
fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}

async fn authenticate(guard: &Guard, mut request: Request) -> Result<Request, Refusal> {
    let policy = guard.policy;
    let state = &guard.state;
    let auth = state.auth.as_deref().ok_or(Refusal::Unauthorized)?;
    let db = &state.db;
    let mut caller = Caller::default();
    if policy.api_key_required {
        let key = api_key(&request).ok_or(Refusal::Unauthorized)?;
        let found = db.read(|conn| store::key(conn, &key).map_err(ApiError::from))?;
        let found = found.ok_or(Refusal::Unauthorized)?;
        caller.consumer = Some(found.consumer);
        caller.roles = found.roles;
    }
    if policy.schemes.is_empty() {
        request.extensions_mut().insert(caller);
        return Ok(request);
    }
    let user = if policy.schemes.contains(&Scheme::Custom) {
        let check = auth.custom.as_ref().ok_or(Refusal::Unauthorized)?;
        let asked = AuthRequest {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
            allowed_roles: policy.roles,
        };
        let decided = check(&asked).ok_or(Refusal::Unauthorized)?;
        Identified {
            name: decided.user.ok_or(Refusal::Unauthorized)?,
            roles: decided.roles,
        }
    } else {
        identify(policy, state, &mut request).await?
    };
    caller.user = Some(user.name);
    caller.roles = user.roles;
    if !policy.allows(&caller.roles) {
        return Err(Refusal::Unauthorized);
    }
    request.extensions_mut().insert(caller);
    Ok(request)
}

/// An authenticated user: their name and roles.
struct Identified {
    name: String,
    roles: Vec<String>,
}

/// The user the request's credentials prove, by the first of the policy's schemes
/// they are shaped for.
async fn identify(
    policy: &Policy,
    state: &AppState,
    request: &mut Request,
) -> Result<Identified, Refusal> {
    let accepts = |scheme| policy.schemes.contains(&scheme);
    match presented(request.headers()) {
        Presented::Malformed => Err(Refusal::Unauthorized),
        Presented::Basic { user, password } => {
            if accepts(Scheme::Basic) && !password.is_empty() {
                return basic(state, &user, &password).await;
            }
            if accepts(Scheme::Token) {
                // Eve's TokenAuth: the token as Basic's user name.
                return token(state, &user);
            }
            Err(Refusal::Unauthorized)
        }
        Presented::Bearer(value) => {
            let value = value.to_string();
            #[cfg(feature = "jwt")]
            if accepts(Scheme::Jwt) && looks_like_jwt(&value) {
                return jwt(policy, state, &value).await;
            }
            if accepts(Scheme::Token) {
                return token(state, &value);
            }
            Err(Refusal::Unauthorized)
        }
        Presented::Hmac { user, signature } if accepts(Scheme::Hmac) => {
            let (user, signature) = (user.to_string(), signature.to_string());
            hmac(state, request, &user, &signature).await
        }
        Presented::Hmac { .. } => Err(Refusal::Unauthorized),
        Presented::None if accepts(Scheme::Signed) => dataset(state, request).await,
        Presented::None => Err(Refusal::Unauthorized),
    }
}

/// HTTP Basic: the user's argon2 hash is checked once, then the password is
/// remembered (keyed-hashed, and only for that stored hash) for a while, so a client
/// sending it on every request does not pay the hash on every request.
async fn basic(state: &AppState, user: &str, password: &str) -> Result<Identified, Refusal> {
    let stored = state
        .db
        .read(|conn| store::user(conn, user).map_err(ApiError::from))?;
    let auth = state.auth.as_deref().ok_or(Refusal::Unauthorized)?;
    // An unknown user is checked against a dummy hash: the answer takes as long.
    let hash = stored.as_ref().map(|u| u.password_hash.as_str());
    if !auth.passwords.verify(user, hash, password).await {
        return Err(Refusal::Unauthorized);
    }
    let stored = stored.ok_or(Refusal::Unauthorized)?;
    Ok(Identified {
        name: stored.name,
        roles: stored.roles,
    })
}

/// A token the server issued (`tokens create`): its user, with their roles now.
fn token(state: &AppState, token: &str) -> Result<Identified, Refusal> {
    let found = state.db.read(|conn| {
        let Some(token) = store::token(conn, token)? else {
            return Ok(None);
        };
        Ok(store::user(conn, &token.user)?)
    })?;
    let user = found.ok_or(Refusal::Unauthorized)?;
    Ok(Identified {
        name: user.name,
        roles: user.roles,
    })
}

#[cfg(feature = "jwt")]
async fn jwt(policy: &Policy, state: &AppState, token: &str) -> Result<Identified, Refusal> {
    let auth = state.auth.as_deref().ok_or(Refusal::Unauthorized)?;
    let verifier = auth.jwt.as_ref().ok_or(Refusal::Unauthorized)?;
    let rule = jwt::JwtRule {
        issuers: &[],
        audiences: policy.audiences,
        client_ids: policy.client_ids,
        scopes: policy.scopes,
    };
    match verifier.verify(token, &rule).await {
        Ok(caller) => Ok(Identified {
            name: caller.subject,
            roles: caller.roles,
        }),
        Err(error) => {
            tracing::info!(%error, "JWT refused");
            Err(Refusal::Unauthorized)
        }
    }
}

/// The body of a request that is signed over it, read whole (within the body limit)
/// and put back for the handler.
async fn take_body(state: &AppState, request: &mut Request) -> Result<axum::body::Bytes, Refusal> {
    let body = std::mem::replace(request.body_mut(), Body::empty());
    let bytes = crate::http::read_body(request.headers(), body, &state.settings).await?;
    *request.body_mut() = Body::from(bytes.clone());
    Ok(bytes)
}

/// How much of a multipart body is read for the text fields before its first file.
const MULTIPART_FIELDS_BYTES: usize = 64 * 1024;

/// The text fields a `multipart/form-data` body sends before its first file, as an
/// urlencoded form: read from at most the body's first 64 KiB, which are then put
/// back in front of the rest, so the handler reads the body whole and the file is
/// never held here.
async fn multipart_fields(
    state: &AppState,
    request: &mut Request,
    content_type: &str,
) -> Result<axum::body::Bytes, Refusal> {
    use futures_util::StreamExt;
    let boundary = multer::parse_boundary(content_type).map_err(|_| Refusal::Unauthorized)?;
    let body = std::mem::replace(request.body_mut(), Body::empty());
    let mut rest = body.into_data_stream();
    let mut prefix = Vec::new();
    let timeout = state.settings.body_read_timeout;
    let read = async {
        while prefix.len() < MULTIPART_FIELDS_BYTES
            && !prefix
                .windows(9)
                .any(|w| w.eq_ignore_ascii_case(b"filename="))
        {
            match rest.next().await {
                Some(Ok(chunk)) => prefix.extend_from_slice(&chunk),
                Some(Err(_)) | None => break,
            }
        }
    };
    if tokio::time::timeout(timeout, read).await.is_err() {
        return Err(Refusal::Error(ApiError::body_timeout(timeout)));
    }
    let prefix = axum::body::Bytes::from(prefix);
    let once = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(prefix.clone())]);
    let mut parts = multer::Multipart::new(once, boundary);
    // Collected first: the serializer is not `Send`, and the guard's future must be.
    let mut fields = Vec::new();
    // A field cut off by the end of the prefix, or the first file, ends the fields.
    while let Ok(Some(field)) = parts.next_field().await {
        if field.file_name().is_some() {
            break;
        }
        let name = field.name().unwrap_or("").to_string();
        match field.text().await {
            Ok(text) => fields.push((name, text)),
            Err(_) => break,
        }
    }
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(&fields);
    let head = futures_util::stream::iter([Ok::<_, axum::Error>(prefix)]);
    *request.body_mut() = Body::from_stream(head.chain(rest));
    Ok(axum::body::Bytes::from(form.finish()))
}

/// Eve's HMAC: a signature over the method, path and query, time and body, with the
/// user's secret; a stale time or a signature seen before is refused.
async fn hmac(
    state: &AppState,
    request: &mut Request,
    user: &str,
    signature: &str,
) -> Result<Identified, Refusal> {
    let auth = state.auth.as_deref().ok_or(Refusal::Unauthorized)?;
    let now = SystemTime::now();
    let timestamp = request
        .headers()
        .get("x-timestamp")
        .or_else(|| request.headers().get(header::DATE))
        .and_then(|v| v.to_str().ok())
        .ok_or(Refusal::Unauthorized)?
        .to_string();
    // Stale before the database is asked.
    signed::fresh(&timestamp, now, auth.settings.signature_max_age)
        .map_err(|_| Refusal::Unauthorized)?;
    let stored = state
        .db
        .read(|conn| store::user(conn, user).map_err(ApiError::from))?
        .ok_or(Refusal::Unauthorized)?;
    let secret = stored.secret.as_deref().ok_or(Refusal::Unauthorized)?;
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let method = request.method().as_str().to_string();
    let body = take_body(state, request).await?;
    let signed = signed::HmacRequest {
        method: &method,
        path_and_query: &path,
        timestamp: &timestamp,
        body: &body,
        signature_hex: signature,
    };
    signed::check_hmac(&auth.replays, secret.as_bytes(), &signed, now)
        .map_err(|_| Refusal::Unauthorized)?;
    Ok(Identified {
        name: stored.name,
        roles: stored.roles,
    })
}

/// The dataset API's signed request: `visitor`, `stamp`, `type` and `token` in the
/// query string, an urlencoded form body, or the text fields of a
/// `multipart/form-data` body before its file (the seed's file upload).
async fn dataset(state: &AppState, request: &mut Request) -> Result<Identified, Refusal> {
    let auth = state.auth.as_deref().ok_or(Refusal::Unauthorized)?;
    let now = SystemTime::now();
    let query = request.uri().query().map(str::to_string);
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let body = if content_type.starts_with("application/x-www-form-urlencoded") {
        Some(take_body(state, request).await?)
    } else if content_type.starts_with("multipart/form-data") {
        Some(multipart_fields(state, request, &content_type).await?)
    } else {
        None
    };
    let fields =
        signed::dataset_fields(query.as_deref(), body.as_deref()).ok_or(Refusal::Unauthorized)?;
    let stored = state
        .db
        .read(|conn| store::user(conn, &fields.visitor).map_err(ApiError::from))?
        .ok_or(Refusal::Unauthorized)?;
    let key = stored.secret.as_deref().ok_or(Refusal::Unauthorized)?;
    signed::check_dataset(&auth.replays, key.as_bytes(), &fields, now)
        .map_err(|_| Refusal::Unauthorized)?;
    Ok(Identified {
        name: stored.name,
        roles: stored.roles,
    })
}

/// The user the `Authorization` header of `request` proves with one of the API's
/// own schemes (`Settings::schemes`), for an operation that checks none (public):
/// rate limits and quotas count such a caller as that user. `None` without the
/// header, without schemes, or when the credentials do not check out (the request
/// goes on, counted by its address): a client cannot escape its address's limits by
/// sending made-up user names. A JWT is not accepted here: without an operation
/// there is no audience to check it against.
pub async fn verified_user(state: &AppState, request: &mut Request) -> Option<String> {
    let auth = state.auth.as_deref()?;
    let schemes = auth.settings.schemes;
    if schemes.is_empty() || !request.headers().contains_key(header::AUTHORIZATION) {
        return None;
    }
    if schemes.contains(&Scheme::Custom) {
        let check = auth.custom.as_ref()?;
        let asked = AuthRequest {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
            allowed_roles: &[],
        };
        return check(&asked)?.user;
    }
    let policy = Policy {
        schemes,
        api_key_required: false,
        roles: &[],
        audiences: &[],
        client_ids: &[],
        scopes: &[],
    };
    identify(&policy, state, request)
        .await
        .ok()
        .map(|user| user.name)
}

/// Whether `caller` (the `auth::Caller` of a request, if its operation has a guard)
/// could call an operation of `policy`: its API key if the policy wants one, then a
/// user with an allowed role, unless the operation is public; `None`: the operation
/// has no rule. The schema endpoint shows only the resources whose collection GET
/// the caller may call.
pub fn may_call(policy: Option<&Policy>, caller: Option<&Caller>) -> bool {
    let Some(policy) = policy else {
        return true;
    };
    if policy.api_key_required && caller.is_none_or(|c| c.consumer.is_none()) {
        return false;
    }
    if policy.schemes.is_empty() {
        return true;
    }
    caller.is_some_and(|caller| caller.user.is_some() && policy.allows(&caller.roles))
}

/// The schema endpoint's answer for `caller`: the schema of each resource of
/// `schemas` (`(name, schema JSON, its collection GET's policy)`) that the caller may
/// read ([`may_call`]), as one JSON object.
pub fn visible_schemas(
    schemas: &[(&str, &str, Option<&Policy>)],
    caller: Option<&Caller>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(schemas.iter().map(|(_, s, _)| s.len() + 16).sum());
    out.push(b'{');
    for (name, schema, policy) in schemas {
        if !may_call(*policy, caller) {
            continue;
        }
        if out.len() > 1 {
            out.push(b',');
        }
        crate::http::write_json_str(&mut out, name);
        out.push(b':');
        out.extend_from_slice(schema.as_bytes());
    }
    out.push(b'}');
    out
}

/// The caller of a request, if its operation has a guard.
pub fn caller(extensions: &axum::http::Extensions) -> Option<&Caller> {
    extensions.get::<Caller>()
}
