//! The credential store: users, API keys and bearer tokens, in the server's own
//! database, in three runtime-owned tables ([`USERS`], [`KEYS`], [`TOKENS`]) that an
//! API with authentication lists in `Api::TABLES`, so they are created and checked
//! like any other table. Their names start with `_`, which no resource's can.
//!
//! - Users: a name (the key), an argon2id password hash (a PHC string, RustCrypto's
//!   `argon2` with its default parameters and a random salt; never the password),
//!   roles (a JSON list) and an optional secret, the key of signed requests (Eve's
//!   HMAC and the dataset seed's `key`), which has to be kept as it is to check them.
//! - API keys and tokens: 32 random bytes from the OS, url-safe base64, shown once
//!   when made and kept only as their SHA-256 (hex), so a stolen database gives no
//!   usable key; with the first 8 characters (`prefix`) to name one in `keys list`
//!   and `keys revoke`. A presented key is looked up by its hash: no comparison of
//!   secrets happens, so there is nothing to time.
//!
//! Every function takes a `&rusqlite::Connection` and is synchronous: the server calls
//! them off the async workers, the generated binary's subcommands (`command`)
//! directly.
//!
//! # The password cache, and why it is safe
//!
//! HTTP Basic sends the password with every request, and argon2 is slow on purpose
//! (tens of milliseconds and 19 MiB per check): hashing it per request would cap a
//! server at a few dozen Basic requests per second per core and hand anyone a cheap
//! way to exhaust it. [`PasswordCache`] remembers *successful* checks for a while:
//!
//! - An entry is, for user U, `HMAC-SHA256(k, U, stored PHC string, password)` and the
//!   time it was made, where `k` is 32 random bytes drawn when the process starts and
//!   never stored. No password is kept, and the tags are worthless to anyone who
//!   does not also hold `k`: they cannot be compared across processes or looked up in
//!   a table.
//! - A request hits only when its own tag for (U, the PHC string read from U's row
//!   *now*, the presented password) equals the entry's (compared in constant time)
//!   and the entry is younger than the TTL (5 minutes by default). The server reads
//!   the user's row on every request anyway (for its roles), so `users passwd`
//!   changes the PHC string and `users remove` removes the row: either takes effect
//!   on the next request, not after the TTL. The TTL only bounds how long a tag
//!   lives in memory.
//! - Failed checks are never remembered, and they do not replace or remove U's
//!   entry: a wrong password always costs a full argon2 check (the attacker's cost
//!   is unchanged), and an attacker who fails cannot evict a real user's entry.
//!   Unknown users are checked against a dummy hash, so the answer takes as long
//!   as a wrong password's and does not tell which users exist.
//! - The cache is bounded ([`PasswordCache::DEFAULT_CAPACITY`] users; when full,
//!   expired entries go first, then the oldest), so it cannot grow without end.
//!   Slow checks run at most one per core at a time ([`PasswordCache::verify`]), so
//!   a flood of wrong passwords cannot take all the memory argon2 asks for.
//! - What a memory dump of the process would give an attacker: tags that, with `k`
//!   (also in memory), can be tested at HMAC speed, for passwords used in the last
//!   TTL. The same dump would hold those passwords in clear in request buffers, so
//!   the cache adds nothing to that attack; and the database (the thing usually
//!   stolen, in a backup) holds only argon2 hashes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::schema::{Column, ColumnType, Key, Table};

/// The users: `_id` is the user's name.
pub static USERS: Table = Table {
    name: "_auth_users",
    key: Key::Text,
    columns: &[
        // An argon2id PHC string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`).
        Column::new("password_hash", ColumnType::Text),
        // A JSON list of strings.
        Column::new("roles", ColumnType::Json),
        // The key of the user's signed requests (HMAC, the dataset seed's SHA1), or
        // NULL: none.
        Column::new("secret", ColumnType::Text),
    ],
    indexes: &[],
};

/// The API keys: `_id` is the hex SHA-256 of the key.
pub static KEYS: Table = Table {
    name: "_auth_keys",
    key: Key::Text,
    columns: &[
        // Who uses the key (Cloud Endpoints' consumer: an app, a partner).
        Column::new("consumer", ColumnType::Text),
        // A JSON list of strings.
        Column::new("roles", ColumnType::Json),
        // The key's first 8 characters, to name it.
        Column::new("prefix", ColumnType::Text),
    ],
    indexes: &[],
};

/// The bearer tokens: `_id` is the hex SHA-256 of the token.
pub static TOKENS: Table = Table {
    name: "_auth_tokens",
    key: Key::Text,
    columns: &[
        // The user the token stands for: its roles are that user's.
        Column::new("user", ColumnType::Text),
        // The token's first 8 characters, to name it.
        Column::new("prefix", ColumnType::Text),
    ],
    indexes: &[],
};

/// The three tables, for `Api::TABLES`.
pub static TABLES: [&Table; 3] = [&USERS, &KEYS, &TOKENS];

/// The longest user name, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// How many characters of a key or token name it (`prefix`).
pub const PREFIX_CHARS: usize = 8;
/// Longer than any key or token this store makes (43 characters): a longer
/// presented value is not looked up.
pub(crate) const MAX_PRESENTED_BYTES: usize = 256;

/// Why a store operation failed.
#[derive(Debug)]
pub enum StoreError {
    /// SQLite refused (the tables missing, the database locked...).
    Sqlite(rusqlite::Error),
    /// A user name that cannot be one, and why.
    InvalidName(&'static str),
    /// A role that cannot be one (empty, or with control characters).
    InvalidRole(String),
    /// An empty password, or one with control characters.
    InvalidPassword(&'static str),
    /// `add_user` with a name already taken.
    UserExists(String),
    /// No user of that name.
    NoSuchUser(String),
    /// No key or token with that prefix.
    NotFound(String),
    /// More than one key or token with that prefix: give more of it (the whole key).
    Ambiguous(String),
    /// A stored value this store did not write (roles that are not a JSON list).
    Corrupt(String),
    /// Hashing the password failed, or the OS gave no random bytes.
    Crypto(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Sqlite(error) => error.fmt(f),
            StoreError::InvalidName(why) => write!(f, "invalid user name: {why}"),
            StoreError::InvalidRole(role) => write!(f, "invalid role {role:?}"),
            StoreError::InvalidPassword(why) => write!(f, "invalid password: {why}"),
            StoreError::UserExists(name) => write!(f, "user {name:?} already exists"),
            StoreError::NoSuchUser(name) => write!(f, "no user {name:?}"),
            StoreError::NotFound(prefix) => write!(f, "nothing with prefix {prefix:?}"),
            StoreError::Ambiguous(prefix) => write!(
                f,
                "more than one with prefix {prefix:?}: give the whole value"
            ),
            StoreError::Corrupt(what) => write!(f, "unreadable stored value: {what}"),
            StoreError::Crypto(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Sqlite(error)
    }
}

impl From<StoreError> for crate::error::ApiError {
    /// A store failure while serving a request is the server's fault: a 500.
    fn from(error: StoreError) -> Self {
        crate::error::ApiError::internal(error)
    }
}

/// A user's row.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredUser {
    pub name: String,
    /// The argon2id PHC string.
    pub password_hash: String,
    pub roles: Vec<String>,
    /// The key of the user's signed requests.
    pub secret: Option<String>,
}

impl std::fmt::Debug for StoredUser {
    // The secret stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredUser")
            .field("name", &self.name)
            .field("roles", &self.roles)
            .field("secret", &self.secret.as_ref().map(|_| "..."))
            .finish_non_exhaustive()
    }
}

/// A user as `users list` shows one: no hash, no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub roles: Vec<String>,
    /// Whether the user has a signing secret.
    pub has_secret: bool,
    /// When the user was added (epoch seconds).
    pub created: i64,
}

/// An API key's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The key's first 8 characters.
    pub prefix: String,
    pub consumer: String,
    pub roles: Vec<String>,
    /// When it was made (epoch seconds).
    pub created: i64,
}

/// A bearer token's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The token's first 8 characters.
    pub prefix: String,
    /// The user it stands for.
    pub user: String,
    /// When it was made (epoch seconds).
    pub created: i64,
}

// ---------------------------------------------------------------------------------
// Checks of what is stored.

/// `Ok` when `name` can be a user's: non-empty UTF-8 of at most [`MAX_NAME_BYTES`]
/// bytes, without `:` (HTTP Basic splits user and password at the first one) or
/// control characters.
pub fn check_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty() {
        return Err(StoreError::InvalidName("it is empty"));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(StoreError::InvalidName("it is longer than 256 bytes"));
    }
    if name.contains(':') {
        return Err(StoreError::InvalidName(
            "it contains ':', which HTTP Basic cannot send",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::InvalidName("it contains control characters"));
    }
    Ok(())
}

pub(crate) fn check_roles(roles: &[String]) -> Result<Vec<String>, StoreError> {
    let mut kept: Vec<String> = Vec::with_capacity(roles.len());
    for role in roles {
        if role.is_empty() || role.chars().any(char::is_control) {
            return Err(StoreError::InvalidRole(role.clone()));
        }
        if !kept.contains(role) {
            kept.push(role.clone());
        }
    }
    Ok(kept)
}

pub(crate) fn check_password(password: &str) -> Result<(), StoreError> {
    if password.is_empty() {
        return Err(StoreError::InvalidPassword("it is empty"));
    }
    if password.chars().any(char::is_control) {
        return Err(StoreError::InvalidPassword(
            "it contains control characters",
        ));
    }
    Ok(())
}

pub(crate) fn roles_json(roles: &[String]) -> String {
    serde_json::Value::from(roles.to_vec()).to_string()
}

pub(crate) fn parse_roles(text: Option<String>) -> Result<Vec<String>, StoreError> {
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(|_| StoreError::Corrupt(text)),
    }
}

pub(crate) fn now() -> i64 {
    crate::date::now()
}

// ---------------------------------------------------------------------------------
// Secrets.

/// 32 random bytes from the OS, url-safe base64 without padding (43 characters): an
/// API key, a token or a signing secret.
pub fn random_secret() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)
        .map_err(|error| StoreError::Crypto(format!("no random bytes from the OS: {error}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The hex SHA-256 of `value`: how a key or token is stored and found.
pub fn sha256_hex(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    hex
}

pub(crate) fn prefix_of(value: &str) -> String {
    value.chars().take(PREFIX_CHARS).collect()
}

/// The argon2id PHC string of `password`, with a random salt and argon2's default
/// parameters (m = 19 MiB, t = 2, p = 1: OWASP's recommendation).
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|error| StoreError::Crypto(format!("no random bytes from the OS: {error}")))?;
    let salt = SaltString::encode_b64(&bytes)
        .map_err(|error| StoreError::Crypto(format!("cannot make a salt: {error}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| StoreError::Crypto(format!("cannot hash the password: {error}")))
}

/// Whether `password` is the one `phc` was made from (argon2, with the parameters
/// the PHC string names). A PHC string that cannot be read never matches.
pub fn verify_password(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody has, made once: unknown users are checked against it,
/// so that their answer takes as long as a wrong password's.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        random_secret()
            .and_then(|password| hash_password(&password))
            .unwrap_or_default()
    })
}

// ---------------------------------------------------------------------------------
// Users, API keys and tokens: their SQL is the dialect's (`sqlite::credentials`).

pub use crate::sqlite::credentials::{
    add_user, create_key, create_token, key, list_keys, list_tokens, list_users, remove_user,
    revoke_key, revoke_token, set_password, set_roles, set_secret, token, user,
};

// ---------------------------------------------------------------------------------
// The password cache (see the module's documentation).

type HmacSha256 = Hmac<Sha256>;

struct Entry {
    tag: [u8; 32],
    at: Instant,
}

/// Successful HTTP Basic password checks, remembered for a while so that a client
/// sending its password with every request is not argon2-hashed every time; see the
/// module's documentation for why this is safe. Share it in an `Arc`.
///
/// The server runs [`check`](Self::check) on the async worker (a hit costs a
/// microsecond: one HMAC) and only on a miss [`verify`](Self::verify), which runs
/// argon2 on a blocking thread, at most one per core at a time. Two calls rather than
/// one `verify` on a blocking thread each time: moving every request to a blocking
/// thread would cost more than the hit itself.
pub struct PasswordCache {
    key: [u8; 32],
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<String, Entry>>,
    /// Slow checks at once: argon2 takes 19 MiB each.
    slow: tokio::sync::Semaphore,
}

impl std::fmt::Debug for PasswordCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordCache")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl PasswordCache {
    /// How long a successful check is remembered.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
    /// How many users' checks are remembered at most.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// A cache with [`DEFAULT_TTL`](Self::DEFAULT_TTL) and
    /// [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY).
    pub fn new() -> Result<PasswordCache, StoreError> {
        PasswordCache::with_limits(Self::DEFAULT_TTL, Self::DEFAULT_CAPACITY)
    }

    /// A cache that remembers a check for `ttl`, for at most `capacity` users (0: it
    /// remembers nothing). Its key is drawn from the OS now.
    pub fn with_limits(ttl: Duration, capacity: usize) -> Result<PasswordCache, StoreError> {
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key)
            .map_err(|error| StoreError::Crypto(format!("no random bytes from the OS: {error}")))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(PasswordCache {
            key,
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
            slow: tokio::sync::Semaphore::new(cores),
        })
    }

    /// The tag of (`user`, `stored`, `password`): HMAC-SHA256 under the process's key,
    /// each part length-prefixed so that no two triples share a message.
    pub(crate) fn tag(&self, user: &str, stored: &str, password: &str) -> [u8; 32] {
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.key) else {
            // HMAC takes a key of any length; this does not happen.
            return [0; 32];
        };
        for part in [user, stored, password] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// Whether `password` was found right for `user`, whose stored PHC string is
    /// `stored` now, within the TTL: `true` is a verified password; `false` only means
    /// "not known", and argon2 must decide ([`verify`](Self::verify)). Never runs
    /// argon2.
    pub fn check(&self, user: &str, stored: &str, password: &str) -> bool {
        let tag = self.tag(user, stored, password);
        let Ok(entries) = self.entries.lock() else {
            return false;
        };
        match entries.get(user) {
            Some(entry) => entry.at.elapsed() < self.ttl && bool::from(entry.tag.ct_eq(&tag)),
            None => false,
        }
    }

    /// Remember that `password` is right for `user` whose stored PHC string is
    /// `stored`. Only after argon2 said so.
    pub(crate) fn remember(&self, user: &str, stored: &str, password: &str) {
        if self.capacity == 0 {
            return;
        }
        let tag = self.tag(user, stored, password);
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.capacity && !entries.contains_key(user) {
            let ttl = self.ttl;
            entries.retain(|_, entry| entry.at.elapsed() < ttl);
            if entries.len() >= self.capacity {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, entry)| entry.at)
                    .map(|(name, _)| name.clone());
                if let Some(oldest) = oldest {
                    entries.remove(&oldest);
                }
            }
        }
        entries.insert(
            user.to_string(),
            Entry {
                tag,
                at: Instant::now(),
            },
        );
    }

    /// The whole check, synchronous: the cache, else argon2 (remembered when right).
    /// `stored` is the user's PHC string, `None` for an unknown user (then a dummy
    /// hash is checked, so the answer takes as long, and it is `false`). Slow on a
    /// miss: call it off the async workers, or use [`verify`](Self::verify).
    pub fn verify_blocking(&self, user: &str, stored: Option<&str>, password: &str) -> bool {
        let Some(stored) = stored else {
            verify_password(dummy_hash(), password);
            return false;
        };
        if self.check(user, stored, password) {
            return true;
        }
        let right = verify_password(stored, password);
        if right {
            self.remember(user, stored, password);
        }
        right
    }

    /// The whole check for an async handler: a hit answers at once; a miss waits for
    /// one of the slow-check permits (one per core), looks again (a request of the
    /// same client may have been verified meanwhile), then runs argon2 on a blocking
    /// thread. `stored`: as in [`verify_blocking`](Self::verify_blocking).
    pub async fn verify(
        self: &Arc<Self>,
        user: &str,
        stored: Option<&str>,
        password: &str,
    ) -> bool {
        if let Some(stored) = stored {
            if self.check(user, stored, password) {
                return true;
            }
        }
        let Ok(_permit) = self.slow.acquire().await else {
            return false;
        };
        let cache = Arc::clone(self);
        let (user, stored, password) = (
            user.to_string(),
            stored.map(str::to_string),
            password.to_string(),
        );
        tokio::task::spawn_blocking(move || {
            cache.verify_blocking(&user, stored.as_deref(), &password)
        })
        .await
        .unwrap_or(false)
    }

    /// How many users' checks are remembered now (expired ones included).
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |entries| entries.len())
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
