//! The command line: `{{ api.package }} serve [--addr ADDR] [--db FILE] ...` and
//! `{{ api.package }} openapi`. Parsed by hand to keep the crate's dependencies few.

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

fn parse_serve(args: &[String]) -> Result<Config, String> {
    let mut config = Config::default();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || rest.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
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
                config.db_options.durability = match value()?.as_str() {
                    "normal" => {{ api.lib }}::api::db::Durability::Normal,
                    "full" => {{ api.lib }}::api::db::Durability::Full,
                    other => return Err(format!("--durability: '{other}' is not normal or full")),
                };
            }
            "--db-cache-mib" => config.db_options.cache_mib = number(flag, value()?)?,
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok(config)
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
        eprintln!("{TITLE} listening on http://{addr}{{ api.prefix }}/ (database: {})", config.db.display());
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
