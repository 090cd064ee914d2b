//! The command line: `{{ api.package }} serve [--addr ADDR] [--db FILE] ...`,
//! `{{ api.package }} migrate [--db FILE] [--dry-run]` and `{{ api.package }} openapi`.
//! Parsed by hand to keep the crate's dependencies few.

use std::process::ExitCode;
use std::time::Duration;

use {{ api.lib }}::api::OPENAPI_JSON;
use {{ api.lib }}::Config;

{#- The text of `cli_usage.txt`, made a literal by `rust::multiline_str_lit`. #}
const USAGE: &str = {{ usage }};

/// The API's title (`[api] title`), as the start-up line names it.
const TITLE: &str = {{ title }};

pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => match parse_serve(&args[1..]) {
            Ok(config) => run(config),
            Err(message) => {
                eprintln!("error: {message}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("migrate") => match parse_migrate(&args[1..]) {
            Ok((config, dry_run)) => {{ api.lib }}::api::server::migrate_command(&config, dry_run),
            Err(message) => {
                eprintln!("error: {message}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
{%- if credentials %}
        // Users, API keys and tokens, kept in the database (`auth::store`).
        Some("users" | "keys" | "tokens") => {
            {{ api.lib }}::api::auth::command::run(&Config::default(), &args)
        }
{%- endif %}
{%- if imports %}
        // A local file into a resource, without HTTP (`import::command`).
        Some("import") => {{ api.lib }}::api::import::command::main::<{{ api.lib }}::api::Api>(
            &args[1..],
            {{ api.lib }}::api::IMPORTERS,
            std::sync::Arc::new({{ api.lib }}::hooks::AppHooks),
        ),
{%- endif %}
        Some("openapi") => {
            println!("{OPENAPI_JSON}");
            ExitCode::SUCCESS
        }
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `--flag value` or `--flag=value`: the flag, and its value when written with `=`.
fn split_flag(arg: &str) -> (&str, Option<&str>) {
    match arg.split_once('=') {
        Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
        _ => (arg, None),
    }
}

fn parse_serve(args: &[String]) -> Result<Config, String> {
    let mut config = Config::default();
    let (mut tls_cert, mut tls_key) = (None, None);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (flag, inline) = split_flag(arg);
        let mut value = || match inline {
            Some(value) => Ok(value),
            None => rest
                .next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs a value")),
        };
        match flag {
            "--addr" => {
                let text = value()?;
                config.addr = text
                    .parse()
                    .map_err(|_| format!("--addr: '{text}' is not an address like 127.0.0.1:8080"))?;
            }
            "--db" => config.db = value()?.into(),
            "--max-body-bytes" => config.max_body_bytes = number(flag, value()?)?,
            "--max-connections" => config.max_connections = number(flag, value()?)?,
            "--header-read-timeout" => {
                config.header_read_timeout = Duration::from_secs(number(flag, value()?)? as u64);
            }
            "--body-read-timeout" => {
                config.body_read_timeout = Duration::from_secs(number(flag, value()?)? as u64);
            }
            "--durability" => {
                config.db_options.durability = match value()? {
                    "normal" => {{ api.lib }}::api::db::Durability::Normal,
                    "full" => {{ api.lib }}::api::db::Durability::Full,
                    other => return Err(format!("--durability: '{other}' is not normal or full")),
                };
            }
            "--db-cache-mib" => config.db_options.cache_mib = number(flag, value()?)?,
            "--query-timeout" => {
                config.db_options.query_timeout = Duration::from_secs(number(flag, value()?)? as u64);
            }
            "--migrate" => {
                config.db_options.migrate = match value()? {
                    "true" => true,
                    "false" => false,
                    other => return Err(format!("--migrate: '{other}' is not true or false")),
                };
            }
            "--log-level" => {
                let text = value()?;
                config.log_level = {{ api.lib }}::api::log::parse_level(text).ok_or_else(|| {
                    format!("--log-level: '{text}' is not one of off, error, warn, info, debug, trace")
                })?;
            }
{%- if live %}
            "--live-max-subscriptions" => config.live.max_subscriptions = number(flag, value()?)?,
            "--live-send-timeout" => {
                config.live.send_timeout = Duration::from_secs(number(flag, value()?)? as u64);
            }
{%- endif %}
            "--tls-cert" => tls_cert = Some(std::path::PathBuf::from(value()?)),
            "--tls-key" => tls_key = Some(std::path::PathBuf::from(value()?)),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    config.tls = match (tls_cert, tls_key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some({{ api.lib }}::api::tls::Tls::load(&cert, &key)?),
        _ => return Err("--tls-cert and --tls-key go together".to_string()),
    };
    Ok(config)
}

fn parse_migrate(args: &[String]) -> Result<(Config, bool), String> {
    let mut config = Config::default();
    let mut dry_run = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match split_flag(arg) {
            ("--dry-run", None) => dry_run = true,
            ("--db", Some(value)) => config.db = value.into(),
            ("--db", None) => {
                config.db = rest.next().ok_or("--db needs a value")?.into();
            }
            (other, _) => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok((config, dry_run))
}

fn number(flag: &str, text: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{flag}: '{text}' is not a positive number"))
}

fn run(config: Config) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    {{ api.lib }}::api::log::init(config.log_level);
    runtime.block_on(async {
        let app = match {{ api.lib }}::app(&config, std::sync::Arc::new({{ api.lib }}::hooks::AppHooks)) {
            Ok(app) => app,
            Err(error) => {
                eprintln!("error: cannot open the database {}: {error}", config.db.display());
                return ExitCode::FAILURE;
            }
        };
        let listener = match tokio::net::TcpListener::bind(config.addr).await {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("error: cannot listen on {}: {error}", config.addr);
                return ExitCode::FAILURE;
            }
        };
        let addr = listener.local_addr().unwrap_or(config.addr);
        let scheme = if config.tls.is_some() { "https" } else { "http" };
        eprintln!("{TITLE} listening on {scheme}://{addr}{{ api.prefix }}/ (database: {})", config.db.display());
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match {{ api.lib }}::serve(listener, app, &config, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        }
    })
}
