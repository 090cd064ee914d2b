//! The credential store's SQL (`auth::store`): users with their argon2id hashes, roles
//! and signing secrets, and API keys and tokens kept only as their SHA-256. Here, in
//! the dialect's module, as all of the server's SQL text is.

use rusqlite::{params, Connection, OptionalExtension};

use crate::auth::store::{
    check_name, check_password, check_roles, hash_password, now, parse_roles, prefix_of,
    random_secret, roles_json, sha256_hex, StoreError, StoredKey, StoredToken, StoredUser,
    UserInfo, KEYS, MAX_PRESENTED_BYTES, PREFIX_CHARS, TOKENS,
};

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

/// The store's tests, and its password cache's, which need a database: here, beside
/// the SQL they read back.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::store::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

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
