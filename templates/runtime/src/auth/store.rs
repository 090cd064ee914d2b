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
use rusqlite::{params, Connection, OptionalExtension};
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
const MAX_PRESENTED_BYTES: usize = 256;

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

fn check_roles(roles: &[String]) -> Result<Vec<String>, StoreError> {
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

fn check_password(password: &str) -> Result<(), StoreError> {
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

fn roles_json(roles: &[String]) -> String {
    serde_json::Value::from(roles.to_vec()).to_string()
}

fn parse_roles(text: Option<String>) -> Result<Vec<String>, StoreError> {
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(|_| StoreError::Corrupt(text)),
    }
}

fn now() -> i64 {
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

fn prefix_of(value: &str) -> String {
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
// Users.

fn is_constraint(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::ConstraintViolation
    )
}

/// Add a user with `password` (stored as its argon2id hash), `roles` and, for signed
/// requests, `secret`.
pub fn add_user(
    conn: &Connection,
    name: &str,
    password: &str,
    roles: &[String],
    secret: Option<&str>,
) -> Result<(), StoreError> {
    check_name(name)?;
    check_password(password)?;
    let roles = check_roles(roles)?;
    let hash = hash_password(password)?;
    let now = now();
    let inserted = conn.execute(
        "INSERT INTO \"_auth_users\" (\"_id\", \"password_hash\", \"roles\", \"secret\", \
         \"_created\", \"_updated\", \"_etag\") VALUES (?1, ?2, ?3, ?4, ?5, ?5, '')",
        params![name, hash, roles_json(&roles), secret, now],
    );
    match inserted {
        Ok(_) => Ok(()),
        Err(error) if is_constraint(&error) => Err(StoreError::UserExists(name.to_string())),
        Err(error) => Err(error.into()),
    }
}

fn update_user(
    conn: &Connection,
    name: &str,
    column: &str,
    value: Option<&str>,
) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE \"_auth_users\" SET \"{column}\" = ?1, \"_updated\" = ?2 WHERE \"_id\" = ?3"
    );
    match conn.execute(&sql, params![value, now(), name])? {
        0 => Err(StoreError::NoSuchUser(name.to_string())),
        _ => Ok(()),
    }
}

/// Give user `name` a new password.
pub fn set_password(conn: &Connection, name: &str, password: &str) -> Result<(), StoreError> {
    check_password(password)?;
    let hash = hash_password(password)?;
    update_user(conn, name, "password_hash", Some(&hash))
}

/// Give user `name` these roles (none: any authenticated caller's rights).
pub fn set_roles(conn: &Connection, name: &str, roles: &[String]) -> Result<(), StoreError> {
    let roles = check_roles(roles)?;
    update_user(conn, name, "roles", Some(&roles_json(&roles)))
}

/// Give user `name` a signing secret, or take it away (`None`).
pub fn set_secret(conn: &Connection, name: &str, secret: Option<&str>) -> Result<(), StoreError> {
    update_user(conn, name, "secret", secret)
}

/// Remove user `name` and the tokens that stand for it.
pub fn remove_user(conn: &Connection, name: &str) -> Result<(), StoreError> {
    let tx = conn.unchecked_transaction()?;
    let removed = tx.execute("DELETE FROM \"_auth_users\" WHERE \"_id\" = ?1", [name])?;
    if removed == 0 {
        return Err(StoreError::NoSuchUser(name.to_string()));
    }
    tx.execute("DELETE FROM \"_auth_tokens\" WHERE \"user\" = ?1", [name])?;
    tx.commit()?;
    Ok(())
}

/// User `name`'s row, or `None`.
pub fn user(conn: &Connection, name: &str) -> Result<Option<StoredUser>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT \"password_hash\", \"roles\", \"secret\" FROM \"_auth_users\" \
             WHERE \"_id\" = ?1",
        )?
        .query_row([name], |row| {
            Ok((
                row.get::<_, Option<String>>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
            ))
        })
        .optional()?;
    let Some((hash, roles, secret)) = row else {
        return Ok(None);
    };
    Ok(Some(StoredUser {
        name: name.to_string(),
        password_hash: hash.unwrap_or_default(),
        roles: parse_roles(roles)?,
        secret,
    }))
}

/// Every user, by name.
pub fn list_users(conn: &Connection) -> Result<Vec<UserInfo>, StoreError> {
    let mut statement = conn.prepare(
        "SELECT \"_id\", \"roles\", \"secret\" IS NOT NULL, \"_created\" FROM \"_auth_users\" \
         ORDER BY \"_id\"",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, Option<String>>(1)?,
            row.get::<_, bool>(2)?,
            row.get::<_, i64>(3)?,
        ))
    })?;
    let mut users = Vec::new();
    for row in rows {
        let (name, roles, has_secret, created) = row?;
        users.push(UserInfo {
            name,
            roles: parse_roles(roles)?,
            has_secret,
            created,
        });
    }
    Ok(users)
}

// ---------------------------------------------------------------------------------
// API keys and tokens.

/// A new API key for `consumer` with `roles`: returned once, stored as its hash.
pub fn create_key(
    conn: &Connection,
    consumer: &str,
    roles: &[String],
) -> Result<String, StoreError> {
    if consumer.is_empty() || consumer.chars().any(char::is_control) {
        return Err(StoreError::InvalidName(
            "a consumer is non-empty text without control characters",
        ));
    }
    let roles = check_roles(roles)?;
    let key = random_secret()?;
    conn.execute(
        "INSERT INTO \"_auth_keys\" (\"_id\", \"consumer\", \"roles\", \"prefix\", \
         \"_created\", \"_updated\", \"_etag\") VALUES (?1, ?2, ?3, ?4, ?5, ?5, '')",
        params![
            sha256_hex(&key),
            consumer,
            roles_json(&roles),
            prefix_of(&key),
            now()
        ],
    )?;
    Ok(key)
}

/// The key `presented` (as a client sent it), or `None` when it is no key.
pub fn key(conn: &Connection, presented: &str) -> Result<Option<StoredKey>, StoreError> {
    if presented.is_empty() || presented.len() > MAX_PRESENTED_BYTES {
        return Ok(None);
    }
    let row = conn
        .prepare_cached(
            "SELECT \"prefix\", \"consumer\", \"roles\", \"_created\" FROM \"_auth_keys\" \
             WHERE \"_id\" = ?1",
        )?
        .query_row([sha256_hex(presented)], key_row)
        .optional()?;
    row.map(finish_key).transpose()
}

type KeyRow = (String, String, Option<String>, i64);

fn key_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok((
        row.get::<_, Option<String>>(0)?.unwrap_or_default(),
        row.get::<_, Option<String>>(1)?.unwrap_or_default(),
        row.get(2)?,
        row.get(3)?,
    ))
}

fn finish_key((prefix, consumer, roles, created): KeyRow) -> Result<StoredKey, StoreError> {
    Ok(StoredKey {
        prefix,
        consumer,
        roles: parse_roles(roles)?,
        created,
    })
}

/// Every API key (their prefixes, never the keys), oldest first.
pub fn list_keys(conn: &Connection) -> Result<Vec<StoredKey>, StoreError> {
    let mut statement = conn.prepare(
        "SELECT \"prefix\", \"consumer\", \"roles\", \"_created\" FROM \"_auth_keys\" \
         ORDER BY \"_created\", \"prefix\"",
    )?;
    let rows = statement.query_map([], key_row)?;
    let mut keys = Vec::new();
    for row in rows {
        keys.push(finish_key(row?)?);
    }
    Ok(keys)
}

/// Delete the one row of `table` that `named` names: its prefix (as listed), or the
/// whole key or token.
fn revoke(conn: &Connection, table: &str, named: &str) -> Result<(), StoreError> {
    let removed = if named.chars().count() > PREFIX_CHARS {
        conn.execute(
            &format!("DELETE FROM \"{table}\" WHERE \"_id\" = ?1"),
            [sha256_hex(named)],
        )?
    } else {
        let tx = conn.unchecked_transaction()?;
        let count: i64 = tx.query_row(
            &format!("SELECT count(*) FROM \"{table}\" WHERE \"prefix\" = ?1"),
            [named],
            |row| row.get(0),
        )?;
        if count > 1 {
            return Err(StoreError::Ambiguous(named.to_string()));
        }
        let removed = tx.execute(
            &format!("DELETE FROM \"{table}\" WHERE \"prefix\" = ?1"),
            [named],
        )?;
        tx.commit()?;
        removed
    };
    match removed {
        0 => Err(StoreError::NotFound(named.to_string())),
        _ => Ok(()),
    }
}

/// Revoke the API key `prefix` names (as `keys list` shows it), or the whole key.
pub fn revoke_key(conn: &Connection, prefix: &str) -> Result<(), StoreError> {
    revoke(conn, KEYS.name, prefix)
}

/// A new bearer token for user `name`: returned once, stored as its hash.
pub fn create_token(conn: &Connection, name: &str) -> Result<String, StoreError> {
    let tx = conn.unchecked_transaction()?;
    let exists = tx
        .query_row(
            "SELECT 1 FROM \"_auth_users\" WHERE \"_id\" = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !exists {
        return Err(StoreError::NoSuchUser(name.to_string()));
    }
    let token = random_secret()?;
    tx.execute(
        "INSERT INTO \"_auth_tokens\" (\"_id\", \"user\", \"prefix\", \"_created\", \
         \"_updated\", \"_etag\") VALUES (?1, ?2, ?3, ?4, ?4, '')",
        params![sha256_hex(&token), name, prefix_of(&token), now()],
    )?;
    tx.commit()?;
    Ok(token)
}

/// The token `presented` (as a client sent it), or `None` when it is no token.
pub fn token(conn: &Connection, presented: &str) -> Result<Option<StoredToken>, StoreError> {
    if presented.is_empty() || presented.len() > MAX_PRESENTED_BYTES {
        return Ok(None);
    }
    Ok(conn
        .prepare_cached(
            "SELECT \"prefix\", \"user\", \"_created\" FROM \"_auth_tokens\" WHERE \"_id\" = ?1",
        )?
        .query_row([sha256_hex(presented)], token_row)
        .optional()?)
}

fn token_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredToken> {
    Ok(StoredToken {
        prefix: row.get::<_, Option<String>>(0)?.unwrap_or_default(),
        user: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
        created: row.get(2)?,
    })
}

/// Every token (their prefixes, never the tokens), oldest first.
pub fn list_tokens(conn: &Connection) -> Result<Vec<StoredToken>, StoreError> {
    let mut statement = conn.prepare(
        "SELECT \"prefix\", \"user\", \"_created\" FROM \"_auth_tokens\" \
         ORDER BY \"_created\", \"prefix\"",
    )?;
    let tokens = statement
        .query_map([], token_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(tokens)
}

/// Revoke the token `prefix` names (as `tokens list` shows it), or the whole token.
pub fn revoke_token(conn: &Connection, prefix: &str) -> Result<(), StoreError> {
    revoke(conn, TOKENS.name, prefix)
}

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
    fn tag(&self, user: &str, stored: &str, password: &str) -> [u8; 32] {
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
    fn remember(&self, user: &str, stored: &str, password: &str) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&crate::sqlite::ddl::create_all(&TABLES))
            .unwrap();
        conn
    }

    fn roles(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn users_are_kept_with_argon2id_hashes_never_the_password() {
        let conn = db();
        add_user(
            &conn,
            "alice",
            "s3cret-ünïcode",
            &roles(&["user", "admin"]),
            None,
        )
        .unwrap();
        let alice = user(&conn, "alice").unwrap().unwrap();
        assert!(
            alice.password_hash.starts_with("$argon2id$v=19$"),
            "{}",
            alice.password_hash
        );
        assert!(!alice.password_hash.contains("s3cret"));
        assert_eq!(alice.roles, roles(&["user", "admin"]));
        assert_eq!(alice.secret, None);
        assert!(verify_password(&alice.password_hash, "s3cret-ünïcode"));
        assert!(!verify_password(&alice.password_hash, "s3cret-unicode"));
        assert!(!verify_password("not a phc string", "s3cret-ünïcode"));
        // The same password twice: two salts, two hashes.
        add_user(&conn, "bob", "s3cret-ünïcode", &[], None).unwrap();
        let bob = user(&conn, "bob").unwrap().unwrap();
        assert_ne!(bob.password_hash, alice.password_hash);
        assert_eq!(bob.roles, Vec::<String>::new());
        assert_eq!(user(&conn, "carol").unwrap(), None);
    }

    #[test]
    fn user_names_are_any_utf8_without_colons_or_control_characters() {
        let conn = db();
        for name in [
            "Zoë",
            "Łukasz Żółć",
            "山田太郎",
            "user@example.com",
            "a b",
            "🦀",
        ] {
            add_user(&conn, name, "pw", &[], Some("k")).unwrap();
            assert_eq!(user(&conn, name).unwrap().unwrap().name, name);
        }
        let longest = "é".repeat(128);
        add_user(&conn, &longest, "pw", &[], None).unwrap();
        for bad in [
            "",
            "a:b",
            "tab\there",
            "new\nline",
            "nul\0",
            &"é".repeat(129),
        ] {
            assert!(
                matches!(
                    add_user(&conn, bad, "pw", &[], None),
                    Err(StoreError::InvalidName(_))
                ),
                "{bad:?} accepted"
            );
        }
        assert!(matches!(
            add_user(&conn, "Zoë", "pw", &[], None),
            Err(StoreError::UserExists(_))
        ));
        assert!(matches!(
            add_user(&conn, "dave", "", &[], None),
            Err(StoreError::InvalidPassword(_))
        ));
        assert!(matches!(
            add_user(&conn, "dave", "pw", &roles(&[""]), None),
            Err(StoreError::InvalidRole(_))
        ));
        let names: Vec<String> = list_users(&conn)
            .unwrap()
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(names.len(), 7);
        assert!(names.contains(&"山田太郎".to_string()));
    }

    #[test]
    fn users_change_and_go() {
        let conn = db();
        add_user(&conn, "Zoë", "old", &roles(&["user"]), None).unwrap();
        set_password(&conn, "Zoë", "new").unwrap();
        let hash = user(&conn, "Zoë").unwrap().unwrap().password_hash;
        assert!(verify_password(&hash, "new"));
        assert!(!verify_password(&hash, "old"));
        set_roles(&conn, "Zoë", &roles(&["admin", "admin", "éditeur"])).unwrap();
        set_secret(&conn, "Zoë", Some("signing-key")).unwrap();
        let zoe = user(&conn, "Zoë").unwrap().unwrap();
        assert_eq!(zoe.roles, roles(&["admin", "éditeur"]));
        assert_eq!(zoe.secret.as_deref(), Some("signing-key"));
        assert!(!format!("{zoe:?}").contains("signing-key"));
        let listed = list_users(&conn).unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].has_secret);
        assert!(listed[0].created > 1_600_000_000);
        set_secret(&conn, "Zoë", None).unwrap();
        assert_eq!(user(&conn, "Zoë").unwrap().unwrap().secret, None);

        let token = create_token(&conn, "Zoë").unwrap();
        remove_user(&conn, "Zoë").unwrap();
        assert_eq!(user(&conn, "Zoë").unwrap(), None);
        assert_eq!(
            token_lookup(&conn, &token),
            None,
            "a removed user's tokens go with it"
        );
        for result in [
            set_password(&conn, "Zoë", "x"),
            set_roles(&conn, "Zoë", &[]),
            set_secret(&conn, "Zoë", None),
            remove_user(&conn, "Zoë"),
        ] {
            assert!(matches!(result, Err(StoreError::NoSuchUser(_))));
        }
        assert!(matches!(
            create_token(&conn, "Zoë"),
            Err(StoreError::NoSuchUser(_))
        ));
    }

    fn token_lookup(conn: &Connection, presented: &str) -> Option<StoredToken> {
        token(conn, presented).unwrap()
    }

    #[test]
    fn keys_are_stored_only_as_hashes_and_revoked_by_prefix() {
        let conn = db();
        let key = create_key(&conn, "mobile app", &roles(&["reader"])).unwrap();
        assert_eq!(key.len(), 43);
        assert!(key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let other = create_key(&conn, "partner", &[]).unwrap();
        assert_ne!(key, other);
        // Nothing in the table is the key, or a part of it longer than its prefix.
        let stored: Vec<String> = conn
            .prepare("SELECT \"_id\" || ' ' || \"prefix\" FROM \"_auth_keys\"")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for row in &stored {
            assert!(!row.contains(&key[..PREFIX_CHARS + 1]));
        }
        assert!(stored.iter().any(|row| row.starts_with(&sha256_hex(&key))));

        let found = super::key(&conn, &key).unwrap().unwrap();
        assert_eq!(found.consumer, "mobile app");
        assert_eq!(found.roles, roles(&["reader"]));
        assert_eq!(found.prefix, key[..PREFIX_CHARS]);
        assert_eq!(super::key(&conn, &key[..42]).unwrap(), None);
        assert_eq!(super::key(&conn, "").unwrap(), None);
        assert_eq!(super::key(&conn, &"x".repeat(10_000)).unwrap(), None);
        assert_eq!(super::key(&conn, "ключ-🔑").unwrap(), None);
        assert_eq!(list_keys(&conn).unwrap().len(), 2);

        assert!(matches!(
            revoke_key(&conn, "nothing!"),
            Err(StoreError::NotFound(_))
        ));
        revoke_key(&conn, &key[..PREFIX_CHARS]).unwrap();
        assert_eq!(super::key(&conn, &key).unwrap(), None);
        // The whole key names it too.
        revoke_key(&conn, &other).unwrap();
        assert!(list_keys(&conn).unwrap().is_empty());
        assert!(matches!(
            create_key(&conn, "", &[]),
            Err(StoreError::InvalidName(_))
        ));
    }

    #[test]
    fn an_ambiguous_prefix_revokes_nothing() {
        let conn = db();
        let a = create_key(&conn, "a", &[]).unwrap();
        let b = create_key(&conn, "b", &[]).unwrap();
        // Give both the same prefix, as a (rare) collision would.
        conn.execute("UPDATE \"_auth_keys\" SET \"prefix\" = 'samesame'", [])
            .unwrap();
        assert!(matches!(
            revoke_key(&conn, "samesame"),
            Err(StoreError::Ambiguous(_))
        ));
        assert_eq!(list_keys(&conn).unwrap().len(), 2);
        revoke_key(&conn, &a).unwrap();
        revoke_key(&conn, "samesame").unwrap();
        assert_eq!(super::key(&conn, &b).unwrap(), None);
    }

    #[test]
    fn tokens_stand_for_users() {
        let conn = db();
        add_user(&conn, "山田", "pw", &roles(&["user"]), None).unwrap();
        let token = create_token(&conn, "山田").unwrap();
        let second = create_token(&conn, "山田").unwrap();
        let found = token_lookup(&conn, &token).unwrap();
        assert_eq!(found.user, "山田");
        assert_eq!(found.prefix, token[..PREFIX_CHARS]);
        assert_eq!(list_tokens(&conn).unwrap().len(), 2);
        revoke_token(&conn, &token[..PREFIX_CHARS]).unwrap();
        assert_eq!(token_lookup(&conn, &token), None);
        assert!(token_lookup(&conn, &second).is_some());
        // A key is not a token.
        let key = create_key(&conn, "c", &[]).unwrap();
        assert_eq!(token_lookup(&conn, &key), None);
    }

    #[test]
    fn the_cache_remembers_only_successes_for_the_hash_they_were_made_with() {
        let conn = db();
        add_user(&conn, "Zoë", "right ü", &[], None).unwrap();
        let stored = user(&conn, "Zoë").unwrap().unwrap().password_hash;
        let cache = PasswordCache::new().unwrap();

        // A wrong password: refused, and nothing remembered.
        assert!(!cache.verify_blocking("Zoë", Some(&stored), "wrong"));
        assert!(cache.is_empty());
        assert!(!cache.check("Zoë", &stored, "wrong"));

        // The right one: verified by argon2, then a hit.
        assert!(!cache.check("Zoë", &stored, "right ü"));
        assert!(cache.verify_blocking("Zoë", Some(&stored), "right ü"));
        assert!(cache.check("Zoë", &stored, "right ü"));
        // A wrong password is never a hit, and does not evict the entry.
        assert!(!cache.check("Zoë", &stored, "right u"));
        assert!(!cache.check("Zoë", &stored, ""));
        assert!(!cache.verify_blocking("Zoë", Some(&stored), "wrong"));
        assert!(cache.check("Zoë", &stored, "right ü"));
        // Another user with the same password and hash is not a hit.
        assert!(!cache.check("Zoe", &stored, "right ü"));

        // After `passwd`, the stored hash differs: the old password misses, and
        // argon2 refuses it.
        set_password(&conn, "Zoë", "new").unwrap();
        let changed = user(&conn, "Zoë").unwrap().unwrap().password_hash;
        assert!(!cache.check("Zoë", &changed, "right ü"));
        assert!(!cache.verify_blocking("Zoë", Some(&changed), "right ü"));
        assert!(cache.verify_blocking("Zoë", Some(&changed), "new"));
        assert!(cache.check("Zoë", &changed, "new"));

        // An unknown user is refused (after a dummy check).
        assert!(!cache.verify_blocking("nobody", None, "new"));
    }

    #[test]
    fn the_cache_forgets_after_its_ttl_and_stays_bounded() {
        let stored = hash_password("pw").unwrap();
        let cache = PasswordCache::with_limits(Duration::from_millis(50), 2).unwrap();
        assert!(cache.verify_blocking("a", Some(&stored), "pw"));
        assert!(cache.check("a", &stored, "pw"));
        std::thread::sleep(Duration::from_millis(80));
        assert!(
            !cache.check("a", &stored, "pw"),
            "an expired entry is a miss"
        );

        let cache = PasswordCache::with_limits(Duration::from_secs(60), 2).unwrap();
        for user in ["a", "b", "c"] {
            cache.remember(user, &stored, "pw");
            std::thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(cache.len(), 2);
        assert!(!cache.check("a", &stored, "pw"), "the oldest went");
        assert!(cache.check("b", &stored, "pw"));
        assert!(cache.check("c", &stored, "pw"));

        let none = PasswordCache::with_limits(Duration::from_secs(60), 0).unwrap();
        assert!(none.verify_blocking("a", Some(&stored), "pw"));
        assert!(!none.check("a", &stored, "pw"));
    }

    #[test]
    fn two_caches_do_not_share_tags() {
        let a = PasswordCache::new().unwrap();
        let b = PasswordCache::new().unwrap();
        assert_ne!(a.tag("u", "h", "p"), b.tag("u", "h", "p"));
        // Length prefixes: moving a boundary changes the tag.
        assert_ne!(a.tag("ab", "c", "p"), a.tag("a", "bc", "p"));
    }

    #[tokio::test]
    async fn verify_runs_argon2_off_the_worker_and_hits_after() {
        let stored = hash_password("pässword").unwrap();
        let cache = Arc::new(PasswordCache::new().unwrap());
        assert!(!cache.verify("u", Some(&stored), "wrong").await);
        assert!(!cache.verify("nobody", None, "pässword").await);
        assert!(cache.verify("u", Some(&stored), "pässword").await);
        assert!(cache.check("u", &stored, "pässword"));
    }

    /// `cargo test --release -p apigen-runtime --features auth -- --ignored --nocapture
    /// measure`: what an argon2 check and a cache hit cost.
    #[test]
    #[ignore]
    fn measure() {
        let stored = hash_password("correct horse battery staple").unwrap();
        let started = Instant::now();
        let rounds = 10;
        for _ in 0..rounds {
            assert!(verify_password(&stored, "correct horse battery staple"));
        }
        let argon = started.elapsed() / rounds;
        let cache = PasswordCache::new().unwrap();
        assert!(cache.verify_blocking("u", Some(&stored), "correct horse battery staple"));
        let rounds = 100_000;
        let started = Instant::now();
        for _ in 0..rounds {
            assert!(cache.check("u", &stored, "correct horse battery staple"));
        }
        let hit = started.elapsed() / rounds;
        eprintln!("argon2id verify: {argon:?} per call; cache hit: {hit:?} per call");
    }
}
