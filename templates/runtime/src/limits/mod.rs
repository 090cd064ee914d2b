//! Quotas and rate limits (cargo feature `limits`): how much each consumer or client
//! may call the API.
//!
//! - **Quotas** (Cloud Endpoints' `quotas` and `metric_costs`): each [`Quota`] is a
//!   limit per minute per consumer; an operation costs some of one or several quotas.
//!   The consumer is the API key's consumer, else the authenticated user, else the
//!   client's address.
//! - **Rate limits** (Eve's `RATE_LIMIT_<METHOD>`): `limit` requests per window of
//!   `window_secs` per client and method, API-wide or per resource. The client is the
//!   authenticated user, else the address. Every answer of a rate-limited operation
//!   carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` (after this request) and
//!   `X-RateLimit-Reset` (Unix seconds when the window ends).
//!
//! The generated router wraps each operation that has a cost or a rate limit in
//! [`meter`], with its [`Metering`], inside its auth guard (so the guard's
//! `auth::Caller` is known). A request is counted against all of its quotas and its
//! rate limit at once, all or nothing: one that would go over any of them is refused
//! whole (429 in Eve's error envelope, with `Retry-After`) and costs nothing.
//!
//! Windows are fixed, aligned to multiples of their length since the Unix epoch (a
//! quota's is 60 s). The counts are kept by a [`Counters`]: in the process by default
//! ([`MemoryCounters`], fixed memory whatever the number of clients; a restart starts
//! every count at zero), or in a store several instances share — see [`counters`].

pub mod counters;

use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub use counters::{Ask, Counters, MemoryCounters, Taken};

use crate::error::ApiError;
use crate::state::AppState;

/// A quota (`[quotas.<name>]`): at most `per_minute` units per consumer per minute.
#[derive(Debug)]
pub struct Quota {
    /// The spec's name for it, which `metric_costs` refer to.
    pub name: &'static str,
    /// The name a refusal gives it.
    pub display_name: &'static str,
    pub per_minute: u32,
}

/// The API's limits that are not per operation (`Api::LIMITS`).
#[derive(Debug)]
pub struct Settings {
    /// Every quota; [`Metering::costs`] point into it.
    pub quotas: &'static [Quota],
    /// The window lengths (seconds) of the rate limits the operations use, each once:
    /// the in-memory counters make a table for each at start (and for 60 s when there
    /// are quotas). One forgotten here still works: its table is made at its first
    /// request.
    pub windows: &'static [u32],
}

/// A rate limit (Eve's `rate_limit = { get = [300, 900] }`): `limit` requests per
/// window of `window_secs` per client.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub limit: u32,
    pub window_secs: u32,
    /// Whose counter: `""` for the API-wide limit (one counter per client and method
    /// for every resource), else the resource's name (its own counter).
    pub scope: &'static str,
}

/// What one operation costs: generated, one static per operation with a cost or a
/// rate limit.
#[derive(Debug)]
pub struct Metering {
    /// `(index into Settings::quotas, cost)`: the most specific `metric_costs`,
    /// already resolved.
    pub costs: &'static [(usize, u32)],
    pub rate: Option<RateLimit>,
    /// The operation's HTTP method: rate limits count per method.
    pub method: &'static str,
}

/// The server's limits: the settings, the counters, and the key their counts are
/// hashed under.
pub struct Limits {
    settings: &'static Settings,
    counters: Arc<dyn Counters>,
    /// A per-process random key: a client cannot choose a name that lands on
    /// another's counters.
    keys: RandomState,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("settings", &self.settings)
            .finish()
    }
}

/// A quota's window.
const MINUTE: u32 = 60;

impl Limits {
    /// Limits for `settings`, counted by `counters`.
    pub fn new(settings: &'static Settings, counters: Arc<dyn Counters>) -> Limits {
        Limits {
            settings,
            counters,
            keys: RandomState::new(),
        }
    }

    /// Limits counted in the process ([`MemoryCounters`]), with a table for each
    /// window length the settings use.
    pub fn in_memory(settings: &'static Settings) -> Limits {
        let mut windows = settings.windows.to_vec();
        if !settings.quotas.is_empty() {
            windows.push(MINUTE);
        }
        Limits::new(settings, Arc::new(MemoryCounters::new(&windows)))
    }

    pub fn settings(&self) -> &'static Settings {
        self.settings
    }
}

/// A metered operation's state: its costs and the server's state. The middleware
/// clones it for every request: one reference count, not the server state's several.
#[derive(Clone)]
pub struct Meter(Arc<MeterState>);

struct MeterState {
    metering: &'static Metering,
    state: AppState,
    /// `X-RateLimit-Limit`, the same on every answer of the operation.
    limit: Option<HeaderValue>,
}

impl Meter {
    pub fn new(metering: &'static Metering, state: &AppState) -> Meter {
        Meter(Arc::new(MeterState {
            metering,
            state: state.clone(),
            limit: metering.rate.map(|rate| HeaderValue::from(rate.limit)),
        }))
    }
}

/// Who a count is for.
#[derive(Hash, Clone, Copy)]
enum Who<'a> {
    Consumer(&'a str),
    User(&'a str),
    Address(IpAddr),
    /// No address known (the server was not asked to record it): every such client
    /// shares one count.
    Unknown,
}

/// `X-RateLimit-*`.
const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// Asks held without a heap allocation: a rate limit and this many quotas.
const INLINE: usize = 8;

/// The middleware in front of a metered operation: the request is counted and goes
/// on, or is answered 429 and counts nothing.
pub async fn meter(State(meter): State<Meter>, request: Request, next: Next) -> Response {
    let meter = &*meter.0;
    let Some(limits) = meter.state.limits.as_deref() else {
        return next.run(request).await;
    };
    let metering = meter.metering;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    #[cfg(feature = "auth")]
    let (request, verified) = verify(&meter.state, metering, request).await;
    #[cfg(not(feature = "auth"))]
    let verified: Option<String> = None;

    let address = request
        .extensions()
        .get::<crate::oplog::ClientAddr>()
        .map_or(Who::Unknown, |a| Who::Address(a.0.ip()));
    #[cfg(feature = "auth")]
    let caller = crate::auth::caller(request.extensions());
    #[cfg(feature = "auth")]
    let (consumer, user) = (
        caller.and_then(|c| c.consumer.as_deref()),
        caller
            .and_then(|c| c.user.as_deref())
            .or(verified.as_deref()),
    );
    #[cfg(not(feature = "auth"))]
    let (consumer, user): (Option<&str>, Option<&str>) = (None, verified.as_deref());
    let client = user.map_or(address, Who::User);
    let consumer = consumer.map_or(client, Who::Consumer);

    let mut inline = [Ask::default(); INLINE];
    let mut spilled = Vec::new();
    let needed = usize::from(metering.rate.is_some()) + metering.costs.len();
    let asks: &mut [Ask] = if needed <= INLINE {
        &mut inline[..needed]
    } else {
        spilled.resize(needed, Ask::default());
        &mut spilled
    };
    let mut filled = 0;
    if let Some(rate) = metering.rate {
        asks[0] = Ask {
            key: limits
                .keys
                .hash_one((b'r', rate.scope, metering.method, client)),
            cost: 1,
            limit: rate.limit,
            window_secs: rate.window_secs,
        };
        filled = 1;
    }
    for quota_cost in costs(limits, metering) {
        let (quota, cost) = quota_cost;
        asks[filled] = Ask {
            key: limits.keys.hash_one((b'q', quota.name, consumer)),
            cost,
            limit: quota.per_minute,
            window_secs: MINUTE,
        };
        filled += 1;
    }
    let asks = &asks[..filled];
    let taken = limits.counters.take(asks, now);

    let rate_headers = metering.rate.map(|rate| {
        let refused_here = taken.refused == Some(0);
        let remaining = if refused_here {
            0
        } else {
            rate.limit.saturating_sub(taken.count(0))
        };
        (remaining, reset(now, rate.window_secs))
    });
    let mut response = match taken.refused {
        None => next.run(request).await,
        Some(index) => refusal(limits, metering, index, now),
    };
    if let (Some((remaining, reset)), Some(limit)) = (rate_headers, &meter.limit) {
        set_rate_headers(response.headers_mut(), limit.clone(), remaining, reset);
    }
    response
}

/// The quotas an operation costs, with their costs (an index the settings do not
/// have is skipped).
fn costs<'a>(
    limits: &'a Limits,
    metering: &'a Metering,
) -> impl Iterator<Item = (&'static Quota, u32)> + 'a {
    metering
        .costs
        .iter()
        .filter_map(|&(index, cost)| limits.settings.quotas.get(index).map(|q| (q, cost)))
}

/// The user proven by the `Authorization` header of a request its guard did not
/// identify (a public operation), when the counts need one.
#[cfg(feature = "auth")]
async fn verify(
    state: &AppState,
    metering: &Metering,
    mut request: Request,
) -> (Request, Option<String>) {
    let caller = crate::auth::caller(request.extensions());
    let has_user = caller.is_some_and(|c| c.user.is_some());
    let has_consumer = caller.is_some_and(|c| c.consumer.is_some());
    let needs_user = metering.rate.is_some() || (!metering.costs.is_empty() && !has_consumer);
    if has_user
        || !needs_user
        || !request
            .headers()
            .contains_key(axum::http::header::AUTHORIZATION)
    {
        return (request, None);
    }
    let user = crate::auth::verified_user(state, &mut request).await;
    (request, user)
}

/// The Unix second the window of `window_secs` that `now` falls in ends.
fn reset(now: u64, window_secs: u32) -> u64 {
    let window = u64::from(window_secs.max(1));
    (now / window + 1) * window
}

/// The 429 for a request refused at ask `index` (the rate limit, when the operation
/// has one, is ask 0).
fn refusal(limits: &Limits, metering: &Metering, index: usize, now: u64) -> Response {
    let quota_index = index.checked_sub(usize::from(metering.rate.is_some()));
    let (message, window_secs) = match (metering.rate, quota_index) {
        (Some(rate), None) => ("Rate limit exceeded".to_string(), rate.window_secs),
        (_, Some(i)) => {
            let name = costs(limits, metering)
                .nth(i)
                .map_or("", |(quota, _)| quota.display_name);
            (
                format!("Quota exceeded for quota metric '{name}' and limit '{name} per minute'"),
                MINUTE,
            )
        }
        (None, None) => ("Rate limit exceeded".to_string(), MINUTE),
    };
    let mut response = ApiError::new(StatusCode::TOO_MANY_REQUESTS, message).into_response();
    let wait = reset(now, window_secs).saturating_sub(now).max(1);
    response
        .headers_mut()
        .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(wait));
    response
}

fn set_rate_headers(headers: &mut HeaderMap, limit: HeaderValue, remaining: u32, reset: u64) {
    // Room for the three at once: one growth of the map at most.
    headers.reserve(3);
    headers.insert(LIMIT, limit);
    headers.insert(REMAINING, HeaderValue::from(remaining));
    headers.insert(RESET, HeaderValue::from(reset));
}

#[cfg(test)]
mod tests;
