//! [`meter`] through a router, as a generated one wraps an operation.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request as HttpRequest, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::Router;

use super::*;
use crate::db::{Db, DbOptions, History};
use crate::hooks::Hooks;
use crate::oplog::ClientAddr;
use crate::state::AppState;

struct NoHooks;
impl Hooks for NoHooks {}

fn no_functions(_: &rusqlite::Connection) -> rusqlite::Result<()> {
    Ok(())
}

static SETTINGS: Settings = Settings {
    quotas: &[
        Quota {
            name: "read-requests",
            display_name: "Read requests",
            per_minute: 3,
        },
        Quota {
            name: "expensive",
            display_name: "Expensive reads",
            per_minute: 4,
        },
    ],
    windows: &[900],
};

/// A rate limit alone: 2 per 15 minutes.
static RATED: Metering = Metering {
    costs: &[],
    rate: Some(RateLimit {
        limit: 2,
        window_secs: 900,
        scope: "",
    }),
    method: "GET",
};

/// Two quotas and a rate limit that is not reached first.
static COSTLY: Metering = Metering {
    costs: &[(0, 1), (1, 2)],
    rate: Some(RateLimit {
        limit: 10,
        window_secs: 900,
        scope: "people",
    }),
    method: "GET",
};

/// A quota alone.
static QUOTA_ONLY: Metering = Metering {
    costs: &[(0, 1)],
    rate: None,
    method: "GET",
};

fn db(dir: &Path, tables: &[&crate::schema::Table]) -> Db {
    Db::open(
        &dir.join("limits.db"),
        tables,
        History::default(),
        no_functions,
        DbOptions {
            cache_mib: 1,
            ..DbOptions::default()
        },
    )
    .expect("open")
}

fn state(db: Db) -> AppState {
    AppState {
        db: Arc::new(db),
        hooks: Arc::new(NoHooks),
        settings: Arc::new(crate::state::Settings {
            prefix: "",
            max_body_bytes: 1024,
            bulk_max_items: 1,
            body_read_timeout: std::time::Duration::from_secs(5),
        }),
        #[cfg(feature = "auth")]
        auth: None,
        limits: Some(Arc::new(Limits::in_memory(&SETTINGS))),
        #[cfg(feature = "live")]
        live: None,
    }
}

/// One operation at `/x`, metered by `metering`.
fn router(state: &AppState, metering: &'static Metering) -> Router {
    let handler = axum::routing::get(|| async { "ok" })
        .layer(from_fn_with_state(Meter::new(metering, state), meter));
    Router::new().route("/x", handler)
}

fn from(address: [u8; 4]) -> ClientAddr {
    ClientAddr(SocketAddr::from((address, 40000)))
}

async fn call(router: &Router, request: HttpRequest<Body>) -> Response {
    let mut router = router.clone();
    // A `Router` is always ready.
    match tower_service::Service::call(&mut router, request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

async fn get(router: &Router, address: [u8; 4]) -> Response {
    let mut request = HttpRequest::get("/x").body(Body::empty()).unwrap();
    request.extensions_mut().insert(from(address));
    call(router, request).await
}

fn header_u64(response: &Response, name: &str) -> Option<u64> {
    response.headers().get(name)?.to_str().ok()?.parse().ok()
}

async fn message(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["_status"], "ERR");
    assert_eq!(body["_error"]["code"], 429);
    body["_error"]["message"].as_str().unwrap().to_string()
}

/// Wait out the end of a minute: a test's requests must fall in one window.
fn not_near_a_minute_boundary() {
    let second = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second >= 58 {
        std::thread::sleep(std::time::Duration::from_secs(61 - second));
    }
}

#[tokio::test]
async fn a_rate_limit_counts_every_answer_and_refuses_the_one_over() {
    not_near_a_minute_boundary();
    let dir = tempfile::tempdir().unwrap();
    let state = state(db(dir.path(), &[]));
    let router = router(&state, &RATED);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let window_end = (now / 900 + 1) * 900;
    for remaining in [1, 0] {
        let response = get(&router, [10, 0, 0, 1]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header_u64(&response, "x-ratelimit-limit"), Some(2));
        assert_eq!(
            header_u64(&response, "x-ratelimit-remaining"),
            Some(remaining)
        );
        assert_eq!(header_u64(&response, "x-ratelimit-reset"), Some(window_end));
    }
    for _ in 0..3 {
        let response = get(&router, [10, 0, 0, 1]).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        // Never negative, and the refused ones were not counted past the limit.
        assert_eq!(header_u64(&response, "x-ratelimit-remaining"), Some(0));
        assert_eq!(header_u64(&response, "x-ratelimit-limit"), Some(2));
        assert_eq!(header_u64(&response, "x-ratelimit-reset"), Some(window_end));
        let retry = header_u64(&response, "retry-after").unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
        assert_eq!(message(response).await, "Rate limit exceeded");
    }
    // Another address has its own count.
    let response = get(&router, [10, 0, 0, 2]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_u64(&response, "x-ratelimit-remaining"), Some(1));
}

#[tokio::test]
async fn a_quota_refusal_names_the_quota_and_costs_nothing() {
    not_near_a_minute_boundary();
    let dir = tempfile::tempdir().unwrap();
    let state = state(db(dir.path(), &[]));
    let router = router(&state, &COSTLY);
    // `expensive` (4 per minute) costs 2: two requests, then refused.
    for remaining in [9, 8] {
        let response = get(&router, [10, 0, 0, 1]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header_u64(&response, "x-ratelimit-remaining"),
            Some(remaining)
        );
    }
    let response = get(&router, [10, 0, 0, 1]).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // The rate limit's headers say what is left of it: the refused request took
    // nothing from it.
    assert_eq!(header_u64(&response, "x-ratelimit-remaining"), Some(8));
    let retry = header_u64(&response, "retry-after").unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        message(response).await,
        "Quota exceeded for quota metric 'Expensive reads' and limit 'Expensive reads per minute'"
    );
    // The refusal took nothing from `read-requests` either: with a quota of 3, an
    // operation costing 1 of it still has 1 left (2 were taken).
    let router = self::router(&state, &QUOTA_ONLY);
    let response = get(&router, [10, 0, 0, 1]).await;
    assert_eq!(response.status(), StatusCode::OK);
    // No rate limit: no rate headers.
    assert!(response.headers().get("x-ratelimit-limit").is_none());
    let response = get(&router, [10, 0, 0, 1]).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(message(response)
        .await
        .contains("quota metric 'Read requests'"));
}

#[tokio::test]
async fn without_limits_in_the_state_nothing_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = state(db(dir.path(), &[]));
    state.limits = None;
    let router = router(&state, &RATED);
    for _ in 0..5 {
        let response = get(&router, [10, 0, 0, 1]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get("x-ratelimit-limit").is_none());
    }
}

#[cfg(feature = "auth")]
mod with_auth {
    use super::*;
    use crate::auth::{Caller, Scheme};

    static AUTH: crate::auth::Settings = crate::auth::Settings {
        realm: "test",
        issuers: &[],
        signature_max_age: std::time::Duration::from_secs(60),
        schemes: &[Scheme::Token],
    };

    /// `/x` behind a stand-in guard giving every request `caller`.
    fn guarded(state: &AppState, metering: &'static Metering, caller: Caller) -> Router {
        let handler = axum::routing::get(|| async { "ok" })
            .layer(from_fn_with_state(Meter::new(metering, state), meter))
            .layer(axum::middleware::from_fn(
                move |mut request: Request, next: Next| {
                    let caller = caller.clone();
                    async move {
                        request.extensions_mut().insert(caller);
                        next.run(request).await
                    }
                },
            ));
        Router::new().route("/x", handler)
    }

    #[tokio::test]
    async fn quotas_count_per_consumer_and_rate_limits_per_user() {
        not_near_a_minute_boundary();
        let dir = tempfile::tempdir().unwrap();
        let state = state(db(dir.path(), &[]));
        let caller = |consumer: Option<&str>, user: Option<&str>| Caller {
            user: user.map(str::to_string),
            roles: Vec::new(),
            consumer: consumer.map(str::to_string),
        };
        // Two consumers from one address: a quota each (3 per minute).
        let mobile = guarded(&state, &QUOTA_ONLY, caller(Some("mobile"), None));
        let web = guarded(&state, &QUOTA_ONLY, caller(Some("web"), None));
        for _ in 0..3 {
            assert_eq!(get(&mobile, [10, 0, 0, 1]).await.status(), StatusCode::OK);
        }
        assert_eq!(
            get(&mobile, [10, 0, 0, 2]).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(get(&web, [10, 0, 0, 1]).await.status(), StatusCode::OK);
        // A user's rate limit follows them from address to address.
        let ann = guarded(&state, &RATED, caller(None, Some("ann")));
        assert_eq!(get(&ann, [10, 0, 0, 1]).await.status(), StatusCode::OK);
        assert_eq!(get(&ann, [10, 0, 0, 2]).await.status(), StatusCode::OK);
        assert_eq!(
            get(&ann, [10, 0, 0, 3]).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        // The address is not the user's: it has its own count.
        assert_eq!(
            get(&router(&state, &RATED), [10, 0, 0, 1]).await.status(),
            StatusCode::OK
        );
    }

    async fn get_with(router: &Router, address: [u8; 4], authorization: &str) -> Response {
        let mut request = HttpRequest::get("/x")
            .header(header::AUTHORIZATION, authorization)
            .body(Body::empty())
            .unwrap();
        request.extensions_mut().insert(from(address));
        call(router, request).await
    }

    #[tokio::test]
    async fn a_public_operation_counts_a_verified_user_and_never_a_made_up_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = db(dir.path(), &crate::auth::store::TABLES);
        let token = {
            let conn = rusqlite::Connection::open(dir.path().join("limits.db")).unwrap();
            crate::auth::store::add_user(&conn, "ann", "a long password", &[], None).unwrap();
            crate::auth::store::create_token(&conn, "ann").unwrap()
        };
        let mut state = state(db);
        state.auth = Some(Arc::new(crate::auth::Auth::new(&AUTH, None).unwrap()));
        let router = router(&state, &RATED);
        // Made-up tokens, a new one each time: all counted as the address.
        assert_eq!(
            get_with(&router, [10, 0, 0, 1], "Bearer made-up-1")
                .await
                .status(),
            StatusCode::OK
        );
        assert_eq!(
            get_with(&router, [10, 0, 0, 1], "Bearer made-up-2")
                .await
                .status(),
            StatusCode::OK
        );
        assert_eq!(
            get_with(&router, [10, 0, 0, 1], "Bearer made-up-3")
                .await
                .status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            get(&router, [10, 0, 0, 1]).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        // Ann's real token: her own count, from the same address.
        let bearer = format!("Bearer {token}");
        for remaining in [1, 0] {
            let response = get_with(&router, [10, 0, 0, 1], &bearer).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(
                header_u64(&response, "x-ratelimit-remaining"),
                Some(remaining)
            );
        }
        assert_eq!(
            get_with(&router, [10, 0, 0, 9], &bearer).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}

/// An API of one operation limited to 1,000 GETs per second per client, served by
/// the runtime's own server, for [`measure_http_admitted_per_window`].
#[cfg(feature = "jwt")]
mod served {
    use super::*;

    pub struct Metered;

    static WEB: crate::layers::Web = crate::layers::Web {
        method_override: false,
        json: true,
        xml: false,
        jsonp_argument: None,
        cors: None,
    };

    pub static PER_SECOND: Settings = Settings {
        quotas: &[],
        windows: &[1],
    };

    static GET_X: Metering = Metering {
        costs: &[],
        rate: Some(RateLimit {
            limit: 1000,
            window_secs: 1,
            scope: "",
        }),
        method: "GET",
    };

    impl crate::Api for Metered {
        const PREFIX: &'static str = "";
        const DEFAULT_DB_FILE: &'static str = "never-used.db";
        const MAX_BODY_BYTES: usize = 1024;
        const BULK_MAX_ITEMS: usize = 1;
        const TABLES: &'static [&'static crate::schema::Table] = &[];
        const RESOURCES: &'static [&'static crate::resource::ResourceInfo] = &[];
        const DATES: &'static crate::date::DateFormat = &crate::date::RFC1123;
        const WEB: &'static crate::layers::Web = &WEB;
        const CLIENT_ADDRESS: bool = true;
        const LIMITS: Option<&'static Settings> = Some(&PER_SECOND);
        fn router(state: AppState) -> Router {
            router(&state, &GET_X)
        }
    }
}

/// A load generator against a server limited to 1,000 requests per second: 32
/// connections from one address sending GETs as fast as they are answered for about
/// six seconds; what passed in each window (told by `X-RateLimit-Reset`).
#[cfg(feature = "jwt")]
#[test]
#[ignore]
fn measure_http_admitted_per_window() {
    use http_body_util::BodyExt as _;
    use hyper::body::Bytes;
    use hyper_util::rt::TokioIo;
    use std::collections::BTreeMap;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::server::Config::<served::Metered> {
            db: dir.path().join("served.db"),
            ..crate::server::Config::default()
        };
        let app = crate::server::app(&config, Arc::new(NoHooks)).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            crate::server::serve(listener, app, &config, async {
                let _ = stopped.await;
            })
            .await
        });
        let epoch = || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs_f64()
        };
        let end = epoch().ceil() + 6.0;
        let clients: Vec<_> = (0..32)
            .map(|_| {
                tokio::spawn(async move {
                    // reset second -> (admitted, refused)
                    let mut seen: BTreeMap<u64, (u32, u32)> = BTreeMap::new();
                    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
                    let (mut sender, connection) =
                        hyper::client::conn::http1::handshake(TokioIo::new(stream))
                            .await
                            .unwrap();
                    tokio::spawn(connection);
                    while epoch() < end {
                        let request = HttpRequest::get("/x")
                            .header(header::HOST, "localhost")
                            .body(http_body_util::Empty::<Bytes>::new())
                            .unwrap();
                        let response = sender.send_request(request).await.unwrap();
                        let reset = response
                            .headers()
                            .get("x-ratelimit-reset")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.parse().ok())
                            .expect("X-RateLimit-Reset");
                        let entry = seen.entry(reset).or_default();
                        match response.status() {
                            StatusCode::OK => entry.0 += 1,
                            StatusCode::TOO_MANY_REQUESTS => entry.1 += 1,
                            other => panic!("unexpected {other}"),
                        }
                        let _ = response.into_body().collect().await;
                    }
                    seen
                })
            })
            .collect();
        let mut windows: BTreeMap<u64, (u32, u32)> = BTreeMap::new();
        for client in clients {
            for (reset, (ok, refused)) in client.await.unwrap() {
                let entry = windows.entry(reset).or_default();
                entry.0 += ok;
                entry.1 += refused;
            }
        }
        let _ = stop.send(());
        let _ = server.await;
        println!("measure_http_admitted_per_window: limit 1000 per 1 s window, 32 connections from one address");
        for (reset, (ok, refused)) in &windows {
            println!(
                "  window ending {reset}: {ok} admitted (200), {refused} refused (429), {} requests/s offered",
                ok + refused
            );
        }
        assert!(windows.values().all(|&(ok, _)| ok <= 1000));
    });
}
