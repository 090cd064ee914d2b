//! The generated binary's credential subcommands: `users`, `keys` and `tokens`,
//! which manage the credential store (`store`) in the server's database.
//! Parsed by hand, as the rest of the generated command line is.
//!
//! Passwords never come on the command line (they would be in the shell's history
//! and in `ps`): `--password-stdin` reads one line from stdin; otherwise the password
//! is asked for twice on the terminal with echo off when stdin is one, else one line
//! is read from stdin. Keys, tokens and secrets are printed once, alone on stdout, so
//! `KEY=$(people-api keys create --consumer mobile)` keeps just the key; everything
//! else goes to stderr.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use rusqlite::Connection;

use super::store::{self as store, StoreError};
use crate::server::Config;
use crate::Api;

/// The usage text of the credential subcommands (`{bin}` is the binary's name).
pub const USAGE: &str = "\
Credentials (kept in the server's database; add --db FILE to name another):
  {bin} users add NAME [--role ROLE]... [--password-stdin]
  {bin} users passwd NAME [--password-stdin]
  {bin} users roles NAME [--role ROLE]...
  {bin} users secret NAME        print a new signing secret (HMAC, signed requests)
  {bin} users remove NAME        also revokes the user's tokens
  {bin} users list
  {bin} keys create --consumer NAME [--role ROLE]...   print a new API key, once
  {bin} keys list
  {bin} keys revoke PREFIX       as `keys list` shows it, or the whole key
  {bin} tokens create --user NAME                      print a new token, once
  {bin} tokens list
  {bin} tokens revoke PREFIX
Passwords are never given on the command line: with --password-stdin one line is
read from stdin; otherwise they are asked for on the terminal, or read from stdin.
";

/// One subcommand, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    UsersAdd {
        name: String,
        roles: Vec<String>,
        password_stdin: bool,
    },
    UsersPasswd {
        name: String,
        password_stdin: bool,
    },
    UsersRoles {
        name: String,
        roles: Vec<String>,
    },
    UsersSecret {
        name: String,
    },
    UsersRemove {
        name: String,
    },
    UsersList,
    KeysCreate {
        consumer: String,
        roles: Vec<String>,
    },
    KeysList,
    KeysRevoke {
        prefix: String,
    },
    TokensCreate {
        user: String,
    },
    TokensList,
    TokensRevoke {
        prefix: String,
    },
}

/// A command line read: the subcommand and the `--db` it named, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub command: Command,
    pub db: Option<PathBuf>,
}

/// What the words after the group and action hold.
#[derive(Default)]
struct Words {
    positional: Vec<String>,
    roles: Vec<String>,
    consumer: Option<String>,
    user: Option<String>,
    password_stdin: bool,
    db: Option<PathBuf>,
}

/// Read `args`, the command line after the binary's name, from the group word on:
/// `["users", "add", "alice", "--role", "user"]`. `--db FILE` may come anywhere.
pub fn parse(args: &[String]) -> Result<Parsed, String> {
    let mut words = Words::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || match &inline {
            Some(value) => Ok(value.clone()),
            None => rest
                .next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value")),
        };
        match flag {
            "--db" => words.db = Some(PathBuf::from(value()?)),
            "--role" => words.roles.push(value()?),
            "--consumer" => words.consumer = Some(value()?),
            "--user" => words.user = Some(value()?),
            "--password-stdin" if inline.is_none() => words.password_stdin = true,
            "--password" => {
                return Err(
                    "passwords are not given on the command line: use --password-stdin, \
                     or type it when asked"
                        .to_string(),
                )
            }
            "--" => words.positional.extend(rest.by_ref().cloned()),
            other if other.starts_with("--") => return Err(format!("unknown option '{other}'")),
            _ => words.positional.push(arg.clone()),
        }
    }
    let db = words.db.take();
    let command = command(words)?;
    Ok(Parsed { command, db })
}

fn command(mut words: Words) -> Result<Command, String> {
    let positional = std::mem::take(&mut words.positional);
    let group = positional.first().map(String::as_str);
    let action = positional.get(1).map(String::as_str);
    let operands = positional.get(2..).unwrap_or_default();
    let what = format!("{} {}", group.unwrap_or(""), action.unwrap_or(""))
        .trim()
        .to_string();
    // The one operand an action takes.
    let one = |name: &str| -> Result<String, String> {
        match operands {
            [one] => Ok(one.clone()),
            [] => Err(format!("{what} needs {name}")),
            _ => Err(format!("{what} takes one {name}, not {}", operands.len())),
        }
    };
    let none = || -> Result<(), String> {
        match operands {
            [] => Ok(()),
            [extra, ..] => Err(format!("{what} takes no argument ('{extra}')")),
        }
    };
    let allowed = |password_stdin: bool, roles: bool, consumer: bool, user: bool| {
        let refused = [
            (words.password_stdin && !password_stdin, "--password-stdin"),
            (!words.roles.is_empty() && !roles, "--role"),
            (words.consumer.is_some() && !consumer, "--consumer"),
            (words.user.is_some() && !user, "--user"),
        ];
        match refused.iter().find(|(refused, _)| *refused) {
            Some((_, flag)) => Err(format!("{what} takes no {flag}")),
            None => Ok(()),
        }
    };
    let command = match (group, action) {
        (Some("users"), Some("add")) => {
            allowed(true, true, false, false)?;
            Command::UsersAdd {
                name: one("a user NAME")?,
                roles: words.roles,
                password_stdin: words.password_stdin,
            }
        }
        (Some("users"), Some("passwd")) => {
            allowed(true, false, false, false)?;
            Command::UsersPasswd {
                name: one("a user NAME")?,
                password_stdin: words.password_stdin,
            }
        }
        (Some("users"), Some("roles")) => {
            allowed(false, true, false, false)?;
            Command::UsersRoles {
                name: one("a user NAME")?,
                roles: words.roles,
            }
        }
        (Some("users"), Some("secret")) => {
            allowed(false, false, false, false)?;
            Command::UsersSecret {
                name: one("a user NAME")?,
            }
        }
        (Some("users"), Some("remove")) => {
            allowed(false, false, false, false)?;
            Command::UsersRemove {
                name: one("a user NAME")?,
            }
        }
        (Some("users"), Some("list")) => {
            allowed(false, false, false, false)?;
            none()?;
            Command::UsersList
        }
        (Some("keys"), Some("create")) => {
            allowed(false, true, true, false)?;
            none()?;
            Command::KeysCreate {
                consumer: words
                    .consumer
                    .ok_or("keys create needs --consumer NAME (who uses the key)")?,
                roles: words.roles,
            }
        }
        (Some("keys"), Some("list")) => {
            allowed(false, false, false, false)?;
            none()?;
            Command::KeysList
        }
        (Some("keys"), Some("revoke")) => {
            allowed(false, false, false, false)?;
            Command::KeysRevoke {
                prefix: one("a key PREFIX")?,
            }
        }
        (Some("tokens"), Some("create")) => {
            allowed(false, false, false, true)?;
            none()?;
            Command::TokensCreate {
                user: words.user.ok_or("tokens create needs --user NAME")?,
            }
        }
        (Some("tokens"), Some("list")) => {
            allowed(false, false, false, false)?;
            none()?;
            Command::TokensList
        }
        (Some("tokens"), Some("revoke")) => {
            allowed(false, false, false, false)?;
            Command::TokensRevoke {
                prefix: one("a token PREFIX")?,
            }
        }
        (Some(group @ ("users" | "keys" | "tokens")), Some(action)) => {
            return Err(format!("unknown command '{group} {action}'"))
        }
        (Some(group @ ("users" | "keys" | "tokens")), None) => {
            return Err(format!("{group} needs a command"))
        }
        (Some(other), _) => return Err(format!("unknown command '{other}'")),
        (None, _) => return Err("a command is needed".to_string()),
    };
    Ok(command)
}

/// The usage text with the binary's name.
fn usage() -> String {
    let bin = std::env::args()
        .next()
        .and_then(|path| {
            std::path::Path::new(&path)
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "server".to_string());
    USAGE.replace("{bin}", &bin)
}

/// The generated binary's `users ...`, `keys ...` and `tokens ...`: `args` is the
/// command line after the binary's name (from `users` on). The database is the one
/// `serve` would use (`config.db`, or `--db FILE`), opened as `migrate` opens it, so
/// a new one gets its schema. Exit code 0 when done, 1 on an error (said on stderr),
/// 2 on a usage error (with the usage text).
pub fn run<A: Api>(config: &Config<A>, args: &[String]) -> ExitCode {
    let parsed = match parse(args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("error: {message}\n\n{}", usage());
            return ExitCode::from(2);
        }
    };
    let path = parsed.db.unwrap_or_else(|| config.db.clone());
    if !A::TABLES.contains(&&store::USERS) {
        eprintln!("error: this API keeps no credentials: its spec asks for no authentication");
        return ExitCode::FAILURE;
    }
    let conn = match open::<A>(&path, config.db_options) {
        Ok(conn) => conn,
        Err(message) => {
            eprintln!(
                "error: cannot open the database {}: {message}",
                path.display()
            );
            return ExitCode::FAILURE;
        }
    };
    match execute(
        &conn,
        parsed.command,
        &mut Terminal,
        &mut std::io::stdout().lock(),
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Open the database as `serve` and `migrate` do (created with its schema when new,
/// migrated when behind), then a plain connection to it for the store's functions.
fn open<A: Api>(
    path: &std::path::Path,
    options: crate::db::DbOptions,
) -> Result<Connection, String> {
    let db = crate::db::Db::open_with::<A>(path, options).map_err(|e| e.to_string())?;
    for line in db.migrated() {
        eprintln!("{line}");
    }
    drop(db);
    let conn = Connection::open(path).map_err(|e| e.to_string())?;
    // A running server may hold the write lock for a moment.
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Where a password comes from; the terminal, or a test's lines.
pub trait Passwords {
    /// The password for `user`: one line of stdin when `from_stdin`, else asked
    /// twice on the terminal when there is one, else one line of stdin.
    fn password(&mut self, user: &str, from_stdin: bool) -> Result<String, String>;
}

/// The process's terminal and stdin.
struct Terminal;

impl Passwords for Terminal {
    fn password(&mut self, user: &str, from_stdin: bool) -> Result<String, String> {
        if from_stdin || !std::io::stdin().is_terminal() {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
            return Ok(strip_line_end(line));
        }
        let first = rpassword::prompt_password(format!("Password for {user}: "))
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let again = rpassword::prompt_password("Again: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if first != again {
            return Err("the two passwords differ".to_string());
        }
        Ok(first)
    }
}

fn strip_line_end(mut line: String) -> String {
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    line
}

fn message(error: StoreError) -> String {
    match error {
        StoreError::NotFound(prefix) => format!("nothing has the prefix '{prefix}'"),
        other => other.to_string(),
    }
}

/// Print `secret` alone on its line (flushed: it is shown only once).
fn print_once(out: &mut dyn Write, secret: &str) -> Result<(), String> {
    writeln!(out, "{secret}")
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))
}

fn roles_text(roles: &[String]) -> String {
    if roles.is_empty() {
        "-".to_string()
    } else {
        roles.join(",")
    }
}

/// Run `command` on `conn`, asking `passwords` for passwords; what the command
/// prints (keys, lists) goes to `out` (stdout), what it says to stderr.
pub fn execute(
    conn: &Connection,
    command: Command,
    passwords: &mut dyn Passwords,
    out: &mut dyn Write,
) -> Result<(), String> {
    let write_error = |e: std::io::Error| format!("cannot write to stdout: {e}");
    match command {
        Command::UsersAdd {
            name,
            roles,
            password_stdin,
        } => {
            store::check_name(&name).map_err(message)?;
            if store::user(conn, &name).map_err(message)?.is_some() {
                return Err(message(StoreError::UserExists(name)));
            }
            let password = passwords.password(&name, password_stdin)?;
            store::add_user(conn, &name, &password, &roles, None).map_err(message)?;
            eprintln!("added user {name} (roles: {})", roles_text(&roles));
        }
        Command::UsersPasswd {
            name,
            password_stdin,
        } => {
            if store::user(conn, &name).map_err(message)?.is_none() {
                return Err(message(StoreError::NoSuchUser(name)));
            }
            let password = passwords.password(&name, password_stdin)?;
            store::set_password(conn, &name, &password).map_err(message)?;
            eprintln!("changed the password of {name}");
        }
        Command::UsersRoles { name, roles } => {
            store::set_roles(conn, &name, &roles).map_err(message)?;
            eprintln!("{name}'s roles: {}", roles_text(&roles));
        }
        Command::UsersSecret { name } => {
            let secret = store::random_secret().map_err(message)?;
            store::set_secret(conn, &name, Some(&secret)).map_err(message)?;
            print_once(out, &secret)?;
            eprintln!("{name}'s new signing secret (shown once; the old one no longer signs)");
        }
        Command::UsersRemove { name } => {
            store::remove_user(conn, &name).map_err(message)?;
            eprintln!("removed user {name} and its tokens");
        }
        Command::UsersList => {
            for user in store::list_users(conn).map_err(message)? {
                let secret = if user.has_secret { "\tsecret" } else { "" };
                writeln!(out, "{}\t{}{secret}", user.name, roles_text(&user.roles))
                    .map_err(write_error)?;
            }
        }
        Command::KeysCreate { consumer, roles } => {
            let key = store::create_key(conn, &consumer, &roles).map_err(message)?;
            print_once(out, &key)?;
            eprintln!(
                "API key {}... for {consumer} (shown once: keep it now)",
                &key[..store::PREFIX_CHARS]
            );
        }
        Command::KeysList => {
            for key in store::list_keys(conn).map_err(message)? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    key.prefix,
                    key.consumer,
                    roles_text(&key.roles),
                    crate::date::format_rfc1123(key.created)
                )
                .map_err(write_error)?;
            }
        }
        Command::KeysRevoke { prefix } => {
            store::revoke_key(conn, &prefix).map_err(message)?;
            eprintln!("revoked the API key {prefix}");
        }
        Command::TokensCreate { user } => {
            let token = store::create_token(conn, &user).map_err(message)?;
            print_once(out, &token)?;
            eprintln!(
                "token {}... for {user} (shown once: keep it now)",
                &token[..store::PREFIX_CHARS]
            );
        }
        Command::TokensList => {
            for token in store::list_tokens(conn).map_err(message)? {
                writeln!(
                    out,
                    "{}\t{}\t{}",
                    token.prefix,
                    token.user,
                    crate::date::format_rfc1123(token.created)
                )
                .map_err(write_error)?;
            }
        }
        Command::TokensRevoke { prefix } => {
            store::revoke_token(conn, &prefix).map_err(message)?;
            eprintln!("revoked the token {prefix}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    fn parsed(line: &str) -> Parsed {
        parse(&args(line)).unwrap()
    }

    fn refused(line: &str) -> String {
        parse(&args(line)).unwrap_err()
    }

    #[test]
    fn parses_every_command() {
        assert_eq!(
            parsed("users add Zoë --role user --role=admin"),
            Parsed {
                command: Command::UsersAdd {
                    name: "Zoë".into(),
                    roles: vec!["user".into(), "admin".into()],
                    password_stdin: false
                },
                db: None
            }
        );
        assert_eq!(
            parsed("--db a.db users passwd 山田 --password-stdin"),
            Parsed {
                command: Command::UsersPasswd {
                    name: "山田".into(),
                    password_stdin: true
                },
                db: Some("a.db".into())
            }
        );
        assert_eq!(
            parsed("users roles bob").command,
            Command::UsersRoles {
                name: "bob".into(),
                roles: vec![]
            }
        );
        assert_eq!(
            parsed("users secret bob --db=x.db"),
            Parsed {
                command: Command::UsersSecret { name: "bob".into() },
                db: Some("x.db".into())
            }
        );
        assert_eq!(
            parsed("users remove bob").command,
            Command::UsersRemove { name: "bob".into() }
        );
        assert_eq!(parsed("users list").command, Command::UsersList);
        assert_eq!(
            parsed("keys create --consumer mobile --role reader").command,
            Command::KeysCreate {
                consumer: "mobile".into(),
                roles: vec!["reader".into()]
            }
        );
        assert_eq!(parsed("keys list").command, Command::KeysList);
        assert_eq!(
            parsed("keys revoke AbCd_-12").command,
            Command::KeysRevoke {
                prefix: "AbCd_-12".into()
            }
        );
        assert_eq!(
            parsed("tokens create --user alice").command,
            Command::TokensCreate {
                user: "alice".into()
            }
        );
        assert_eq!(parsed("tokens list").command, Command::TokensList);
        assert_eq!(
            parsed("tokens revoke abcdefgh").command,
            Command::TokensRevoke {
                prefix: "abcdefgh".into()
            }
        );
        // `--` ends the options: a name that starts with dashes.
        assert_eq!(
            parsed("users remove -- --odd").command,
            Command::UsersRemove {
                name: "--odd".into()
            }
        );
    }

    #[test]
    fn refuses_what_is_not_a_command() {
        assert!(
            refused("users add alice --password hunter2").contains("not given on the command line")
        );
        assert!(
            refused("users add alice --password=hunter2").contains("not given on the command line")
        );
        assert_eq!(refused("users add"), "users add needs a user NAME");
        assert_eq!(
            refused("users add a b"),
            "users add takes one a user NAME, not 2"
        );
        assert_eq!(
            refused("users list extra"),
            "users list takes no argument ('extra')"
        );
        assert_eq!(
            refused("users frobnicate x"),
            "unknown command 'users frobnicate'"
        );
        assert_eq!(refused("users"), "users needs a command");
        assert_eq!(refused("groups list"), "unknown command 'groups'");
        assert_eq!(
            refused("keys create"),
            "keys create needs --consumer NAME (who uses the key)"
        );
        assert_eq!(
            refused("keys create --consumer"),
            "--consumer needs a value"
        );
        assert_eq!(refused("tokens create"), "tokens create needs --user NAME");
        assert_eq!(refused("keys list --role x"), "keys list takes no --role");
        assert_eq!(
            refused("users remove bob --password-stdin"),
            "users remove takes no --password-stdin"
        );
        assert_eq!(
            refused("users list --verbose"),
            "unknown option '--verbose'"
        );
        assert_eq!(refused("users list --db"), "--db needs a value");
    }

    struct Lines(Vec<&'static str>);

    impl Passwords for Lines {
        fn password(&mut self, _user: &str, _from_stdin: bool) -> Result<String, String> {
            if self.0.is_empty() {
                return Err("no password".to_string());
            }
            Ok(self.0.remove(0).to_string())
        }
    }

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&crate::sqlite::ddl::create_all(&store::TABLES))
            .unwrap();
        conn
    }

    fn run_line(conn: &Connection, line: &str, passwords: &mut Lines) -> Result<(), String> {
        output(conn, line, passwords).map(|_| ())
    }

    /// What the command printed on stdout.
    fn output(conn: &Connection, line: &str, passwords: &mut Lines) -> Result<String, String> {
        let mut out = Vec::new();
        execute(conn, parsed(line).command, passwords, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn executes_on_the_store() {
        let conn = db();
        let mut lines = Lines(vec!["pässwörd", "new one"]);
        run_line(&conn, "users add Zoë --role user", &mut lines).unwrap();
        let zoe = store::user(&conn, "Zoë").unwrap().unwrap();
        assert!(store::verify_password(&zoe.password_hash, "pässwörd"));
        assert_eq!(zoe.roles, vec!["user".to_string()]);
        // A second add asks no password: it fails first.
        let error = run_line(&conn, "users add Zoë", &mut lines).unwrap_err();
        assert!(error.contains("already exists"), "{error}");
        run_line(&conn, "users passwd Zoë", &mut lines).unwrap();
        let zoe = store::user(&conn, "Zoë").unwrap().unwrap();
        assert!(store::verify_password(&zoe.password_hash, "new one"));
        let error = run_line(&conn, "users passwd nobody", &mut lines).unwrap_err();
        assert!(error.contains("no user"), "{error}");
        run_line(&conn, "users roles Zoë --role a --role b", &mut lines).unwrap();
        assert_eq!(
            store::user(&conn, "Zoë").unwrap().unwrap().roles,
            vec!["a", "b"]
        );
        // Secrets, keys and tokens: printed once, alone on their line.
        let secret = output(&conn, "users secret Zoë", &mut lines).unwrap();
        assert_eq!(secret.len(), 44, "{secret:?}");
        assert_eq!(
            store::user(&conn, "Zoë")
                .unwrap()
                .unwrap()
                .secret
                .as_deref(),
            Some(secret.trim_end())
        );
        let key = output(
            &conn,
            "keys create --consumer mobile --role reader",
            &mut lines,
        )
        .unwrap();
        let key = key.strip_suffix('\n').unwrap();
        let found = store::key(&conn, key).unwrap().unwrap();
        assert_eq!(
            (found.consumer.as_str(), found.roles.as_slice()),
            ("mobile", &["reader".to_string()][..])
        );
        let prefix = found.prefix;
        let listed = output(&conn, "keys list", &mut lines).unwrap();
        assert!(
            listed.starts_with(&format!("{prefix}\tmobile\treader\t")),
            "{listed}"
        );
        assert!(!listed.contains(key));
        run_line(&conn, &format!("keys revoke {prefix}"), &mut lines).unwrap();
        assert!(store::list_keys(&conn).unwrap().is_empty());
        let error = run_line(&conn, &format!("keys revoke {prefix}"), &mut lines).unwrap_err();
        assert_eq!(error, format!("nothing has the prefix '{prefix}'"));
        let token = output(&conn, "tokens create --user Zoë", &mut lines).unwrap();
        let found = store::token(&conn, token.trim_end()).unwrap().unwrap();
        assert_eq!(found.user, "Zoë");
        let listed = output(&conn, "tokens list", &mut lines).unwrap();
        assert!(
            listed.starts_with(&format!("{}\tZoë\t", found.prefix)),
            "{listed}"
        );
        assert_eq!(
            output(&conn, "users list", &mut lines).unwrap(),
            "Zoë\ta,b\tsecret\n"
        );
        run_line(&conn, "users remove Zoë", &mut lines).unwrap();
        assert!(store::list_users(&conn).unwrap().is_empty());
        assert!(store::list_tokens(&conn).unwrap().is_empty());
        let error = run_line(&conn, "tokens create --user Zoë", &mut lines).unwrap_err();
        assert!(error.contains("no user"), "{error}");
        // An empty password is refused.
        let mut empty = Lines(vec![""]);
        let error = run_line(&conn, "users add bob", &mut empty).unwrap_err();
        assert!(error.contains("empty"), "{error}");
        assert!(store::user(&conn, "bob").unwrap().is_none());
    }

    #[test]
    fn line_ends_are_not_part_of_a_password() {
        assert_eq!(strip_line_end("pw\n".into()), "pw");
        assert_eq!(strip_line_end("pw\r\n".into()), "pw");
        assert_eq!(strip_line_end("pw".into()), "pw");
        assert_eq!(strip_line_end(" pw \n".into()), " pw ");
    }

    /// An API that keeps the credential tables and serves nothing else.
    struct Keeps;

    static WEB: crate::layers::Web = crate::layers::Web {
        method_override: false,
        json: true,
        xml: false,
        jsonp_argument: None,
        cors: None,
    };

    impl Api for Keeps {
        const PREFIX: &'static str = "";
        const DEFAULT_DB_FILE: &'static str = "never-used.db";
        const MAX_BODY_BYTES: usize = 1024;
        const BULK_MAX_ITEMS: usize = 1;
        const TABLES: &'static [&'static crate::schema::Table] = &store::TABLES;
        const RESOURCES: &'static [&'static crate::resource::ResourceInfo] = &[];
        const DATES: &'static crate::date::DateFormat = &crate::date::RFC1123;
        const WEB: &'static crate::layers::Web = &WEB;
        fn router(_: crate::state::AppState) -> axum::Router {
            axum::Router::new()
        }
    }

    /// An API without authentication: no credential tables.
    struct Open;

    impl Api for Open {
        const PREFIX: &'static str = "";
        const DEFAULT_DB_FILE: &'static str = "never-used.db";
        const MAX_BODY_BYTES: usize = 1024;
        const BULK_MAX_ITEMS: usize = 1;
        const TABLES: &'static [&'static crate::schema::Table] = &[];
        const RESOURCES: &'static [&'static crate::resource::ResourceInfo] = &[];
        const DATES: &'static crate::date::DateFormat = &crate::date::RFC1123;
        const WEB: &'static crate::layers::Web = &WEB;
        fn router(_: crate::state::AppState) -> axum::Router {
            axum::Router::new()
        }
    }

    #[test]
    fn run_opens_a_new_database_with_its_schema_and_answers_with_exit_codes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("créé.db");
        let config = Config::<Keeps> {
            db: file.clone(),
            ..Config::default()
        };
        let run = |line: &str| run(&config, &args(line));
        assert_eq!(
            run("keys create --consumer mobile --role reader"),
            ExitCode::SUCCESS
        );
        assert!(file.exists());
        let conn = Connection::open(&file).unwrap();
        assert_eq!(store::list_keys(&conn).unwrap()[0].consumer, "mobile");
        assert_eq!(run("keys list"), ExitCode::SUCCESS);
        // Errors: 1; usage errors: 2.
        assert_eq!(run("users remove nobody"), ExitCode::FAILURE);
        assert_eq!(run("keys revoke zzzzzzzz"), ExitCode::FAILURE);
        assert_eq!(run("users add"), ExitCode::from(2));
        assert_eq!(run("keys create"), ExitCode::from(2));
        // `--db` names another database.
        let other = dir.path().join("other.db");
        let line = format!("tokens list --db {}", other.display());
        assert_eq!(run(&line), ExitCode::SUCCESS);
        assert!(other.exists());
        // An API that keeps no credentials says so, and creates nothing.
        let open = Config::<Open> {
            db: dir.path().join("open.db"),
            ..Config::default()
        };
        assert_eq!(super::run(&open, &args("keys list")), ExitCode::FAILURE);
        assert!(!dir.path().join("open.db").exists());
    }
}
