//! The HTTP transport every generated method goes through: the base URL and the API's
//! prefix, credentials, the opt-in retry of 429s (and 503s) with back-off, and Eve's
//! error envelope turned into [`Error`].

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, IF_MATCH, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::auth::{Auth, Credentials};
use super::error::{Error, Result};

/// When to try a refused request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Tries after the first; 0: never retry.
    pub max_retries: u32,
    /// The first back-off when the server sent no `Retry-After`; doubled each time.
    pub base_delay: Duration,
    /// The longest wait, `Retry-After` included: a longer one is returned as the error.
    pub max_delay: Duration,
}

impl Default for Retry {
    /// Three retries, from 100 ms, waiting at most 60 s.
    fn default() -> Retry {
        Retry {
            max_retries: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// Where a path starts: below the API's prefix, or at the server's root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mount {
    Api,
    Root,
}

/// A request body, as sent.
#[derive(Debug, Clone)]
pub struct Body {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Body {
    /// A JSON body.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Body> {
        Ok(Body {
            content_type: "application/json".to_string(),
            bytes: serde_json::to_vec(value).map_err(|e| Error::Invalid(e.to_string()))?,
        })
    }
}

/// One request, before credentials are added.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub mount: Mount,
    /// The path's segments, unencoded (`["books", "6b14..."]`).
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(HeaderName, String)>,
    pub body: Option<Body>,
}

impl Request {
    /// A request with no query, headers or body.
    pub fn new(method: Method, mount: Mount, segments: Vec<String>) -> Request {
        Request {
            method,
            mount,
            segments,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Request {
        self.query.push((name.to_string(), value.into()));
        self
    }

    /// Adds query parameters.
    pub fn queries(mut self, pairs: Vec<(String, String)>) -> Request {
        self.query.extend(pairs);
        self
    }

    /// Sends `If-Match: <etag>`.
    pub fn if_match(mut self, etag: &str) -> Request {
        self.headers.push((IF_MATCH, etag.to_string()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Request {
        self.headers.push((name, value.into()));
        self
    }

    /// Sends `value` as JSON.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Result<Request> {
        self.body = Some(Body::json(value)?);
        Ok(self)
    }

    /// Sends a body of any type.
    pub fn body(mut self, body: Body) -> Request {
        self.body = Some(body);
        self
    }
}

/// Builds a [`Transport`]: the server, credentials, retries.
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    prefix: String,
    credentials: Credentials,
    api_key: Option<String>,
    retry: Option<Retry>,
    timeout: Option<Duration>,
    http: Option<reqwest::Client>,
    headers: Vec<(HeaderName, String)>,
}

impl ClientBuilder {
    /// A client of the server at `base_url` (`http://localhost:8080`), whose API is
    /// served below `prefix` (`/api/v1`).
    pub fn new(base_url: impl Into<String>, prefix: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            prefix: prefix.into(),
            credentials: Credentials::None,
            api_key: None,
            retry: None,
            timeout: None,
            http: None,
            headers: Vec::new(),
        }
    }

    /// A header sent with every request: the credentials of a `custom` auth scheme
    /// (the service's own `check_auth`), or anything else the server reads.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Result<ClientBuilder> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| Error::Invalid(format!("header name {name:?}: {e}")))?;
        self.headers.push((name, value.into()));
        Ok(self)
    }

    /// Serves the API below another prefix (a proxy's).
    pub fn prefix(mut self, prefix: impl Into<String>) -> ClientBuilder {
        self.prefix = prefix.into();
        self
    }

    /// Who the caller is: Basic, a bearer token or JWT, HMAC or signed requests.
    pub fn credentials(mut self, credentials: Credentials) -> ClientBuilder {
        self.credentials = credentials;
        self
    }

    /// HTTP Basic.
    pub fn basic(self, user: impl Into<String>, password: impl Into<String>) -> ClientBuilder {
        self.credentials(Credentials::Basic {
            user: user.into(),
            password: password.into(),
        })
    }

    /// A bearer token: one from `tokens create`, or a JWT.
    pub fn bearer(self, token: impl Into<String>) -> ClientBuilder {
        self.credentials(Credentials::Bearer(token.into()))
    }

    /// Eve's HMAC signature with the user's signing secret.
    #[cfg(feature = "signing")]
    pub fn hmac(self, user: impl Into<String>, secret: impl Into<String>) -> ClientBuilder {
        self.credentials(Credentials::Hmac {
            user: user.into(),
            secret: secret.into(),
        })
    }

    /// The dataset seed's signed requests (`visitor`, `stamp`, `type`, `token`).
    #[cfg(feature = "signing")]
    pub fn signed(
        self,
        visitor: impl Into<String>,
        key: impl Into<String>,
        kind: impl Into<String>,
    ) -> ClientBuilder {
        self.credentials(Credentials::Signed {
            visitor: visitor.into(),
            key: key.into(),
            kind: kind.into(),
        })
    }

    /// An API key, sent as `x-api-key` with every request.
    pub fn api_key(mut self, key: impl Into<String>) -> ClientBuilder {
        self.api_key = Some(key.into());
        self
    }

    /// Retry 429 and 503 answers: after `Retry-After` when the server says, else
    /// with exponential back-off. Off by default.
    pub fn retry(mut self, retry: Retry) -> ClientBuilder {
        self.retry = Some(retry);
        self
    }

    /// A timeout for each request (not for live streams' whole life).
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout = Some(timeout);
        self
    }

    /// Uses this reqwest client (its pool, proxies, TLS settings).
    pub fn http_client(mut self, http: reqwest::Client) -> ClientBuilder {
        self.http = Some(http);
        self
    }

    /// The client (a generated client, or the bare [`Transport`]).
    pub fn build<C: From<Transport>>(self) -> Result<C> {
        let base = Url::parse(self.base_url.trim_end_matches('/'))
            .map_err(|e| Error::Invalid(format!("base url `{}`: {e}", self.base_url)))?;
        if base.cannot_be_a_base() {
            return Err(Error::Invalid(format!("base url `{}`", self.base_url)));
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder().build()?,
        };
        let prefix = self
            .prefix
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Ok(C::from(Transport {
            inner: Arc::new(Inner {
                http,
                base,
                prefix,
                auth: Auth::new(self.credentials, self.api_key),
                retry: self.retry,
                timeout: self.timeout,
                headers: self.headers,
            }),
        }))
    }
}

/// The shared state of a client: cheap to clone, safe to share between tasks.
#[derive(Debug, Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base: Url,
    prefix: Vec<String>,
    auth: Auth,
    retry: Option<Retry>,
    timeout: Option<Duration>,
    headers: Vec<(HeaderName, String)>,
}

impl Transport {
    /// The URL of a request, without credentials.
    pub fn url(&self, request: &Request) -> Url {
        let mut url = self.inner.base.clone();
        {
            let mut path = url.path_segments_mut().expect("checked in build");
            path.pop_if_empty();
            if request.mount == Mount::Api {
                path.extend(&self.inner.prefix);
            }
            path.extend(&request.segments);
        }
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        url
    }

    /// Sends a request (again after a 429 or 503 when retries are on); a 2xx answer
    /// is returned, anything else is the [`Error`].
    pub async fn send(&self, request: &Request) -> Result<reqwest::Response> {
        let mut attempt = 0;
        loop {
            let response = self.send_once(request, None).await?;
            let status = response.status().as_u16();
            if response.status().is_success() {
                return Ok(response);
            }
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = response.bytes().await?;
            let error = Error::from_response(status, retry_after, &body);
            match self.inner.retry {
                Some(retry) if matches!(status, 429 | 503) && attempt < retry.max_retries => {
                    let backoff = retry.base_delay.saturating_mul(1 << attempt.min(16));
                    let wait = retry_after.unwrap_or(backoff);
                    if wait > retry.max_delay {
                        return Err(error);
                    }
                    attempt += 1;
                    // A window ends on a second's boundary: a little past it.
                    tokio::time::sleep(wait + Duration::from_millis(50)).await;
                }
                _ => return Err(error),
            }
        }
    }

    /// Sends a request once, whatever the answer (`extra` headers added).
    pub async fn send_once(
        &self,
        request: &Request,
        extra: Option<&[(HeaderName, String)]>,
    ) -> Result<reqwest::Response> {
        let mut url = self.url(request);
        let mut headers = HeaderMap::new();
        let all = self.inner.headers.iter().chain(&request.headers);
        for (name, value) in all.chain(extra.unwrap_or_default()) {
            let value = HeaderValue::from_str(value)
                .map_err(|_| Error::Invalid(format!("header {name}: {value:?}")))?;
            headers.insert(name.clone(), value);
        }
        let body = request.body.as_ref();
        if let Some(body) = body {
            let value = HeaderValue::from_str(&body.content_type)
                .map_err(|_| Error::Invalid(body.content_type.clone()))?;
            headers.insert(CONTENT_TYPE, value);
        }
        let bytes: &[u8] = body.map_or(&[], |b| &b.bytes);
        self.inner
            .auth
            .apply(request.method.as_str(), &mut url, &mut headers, bytes);
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), url)
            .headers(headers);
        if let Some(timeout) = self.inner.timeout
            && extra.is_none()
        {
            builder = builder.timeout(timeout);
        }
        if let Some(body) = body {
            builder = builder.body(body.bytes.clone());
        }
        Ok(builder.send().await?)
    }

    /// Sends a request and reads its JSON answer.
    pub async fn json<T: DeserializeOwned>(&self, request: &Request) -> Result<T> {
        let response = self.send(request).await?;
        let body = response.bytes().await?;
        serde_json::from_slice(&body).map_err(|e| Error::decode(e, &body))
    }

    /// Sends a request whose answer has no body worth reading (204).
    pub async fn empty(&self, request: &Request) -> Result<()> {
        let response = self.send(request).await?;
        response.bytes().await?;
        Ok(())
    }
}

/// A custom endpoint's query parameters, from its typed struct: strings as they
/// are, other scalars and lists as JSON text; unset ones are not sent.
pub fn query_pairs<T: Serialize>(query: &T) -> Result<Vec<(String, String)>> {
    let value = serde_json::to_value(query).map_err(|e| Error::Invalid(e.to_string()))?;
    let serde_json::Value::Object(map) = value else {
        return Err(Error::Invalid("query parameters are not a struct".into()));
    };
    Ok(map
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            serde_json::Value::String(text) => (k, text),
            other => (k, other.to_string()),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_the_prefix_and_encode_segments() {
        let transport: Transport = ClientBuilder::new("http://localhost:8080/", "/api/v1")
            .build()
            .unwrap();
        let request = Request::new(
            Method::GET,
            Mount::Api,
            vec!["books".into(), "a b/c".into()],
        )
        .query("where", "{\"a\":1}");
        assert_eq!(
            transport.url(&request).as_str(),
            "http://localhost:8080/api/v1/books/a%20b%2Fc?where=%7B%22a%22%3A1%7D"
        );
        let root = Request::new(Method::GET, Mount::Root, vec!["openapi.json".into()]);
        assert_eq!(
            transport.url(&root).as_str(),
            "http://localhost:8080/openapi.json"
        );
    }
}
