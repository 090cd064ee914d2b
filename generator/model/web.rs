//! The HTTP layer's settings: renderers, JSONP, method override, CORS, caching.
//!
//! Resolved from `[api]` (and `cache_*` per resource) with Eve's names and defaults:
//! `renderers` (Eve's `RENDERERS`, JSON and XML), `jsonp_argument` (off),
//! `allow_override_http_method` (on), `cache_control`/`cache_expires` (none),
//! `x_domains`, `x_domains_re`, `x_headers`, `x_expose_headers`,
//! `x_allow_credentials`, `x_max_age` (CORS, off unless an origin is allowed).

use toml::Spanned;

use super::Resolver;
use crate::diagnostic::Diagnostic;
use crate::spec::ApiSpec;

/// Eve's `X_MAX_AGE`.
const X_MAX_AGE: u64 = 21600;

/// The API-wide HTTP settings the generated `layers` module is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct Web {
    /// JSON rendering (Eve's `JSONRenderer`) is on.
    pub json: bool,
    /// XML rendering (Eve's `XMLRenderer`) is on: the `xml` module is generated.
    pub xml: bool,
    pub jsonp_argument: Option<String>,
    pub method_override: bool,
    /// CORS, when any origin is allowed: the `cors` module is generated.
    pub cors: Option<Cors>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cors {
    /// Exact origins (`x_domains`), without `*`.
    pub domains: Vec<String>,
    /// `x_domains` holds `*`: every origin is allowed.
    pub any_domain: bool,
    /// `x_domains_re`, anchored at the start as Python's `re.match` is.
    pub domains_re: Vec<String>,
    /// `Access-Control-Allow-Headers`, joined (empty: not sent).
    pub headers: String,
    /// `Access-Control-Expose-Headers`, joined (empty: not sent).
    pub expose_headers: String,
    pub allow_credentials: bool,
    pub max_age: u64,
}

/// A resource's cache directives (Eve's `cache_control`, `cache_expires`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cache {
    /// `Cache-Control` of its GET responses; empty: none.
    pub control: String,
    /// Seconds from now in `Expires`; 0: none.
    pub expires: u64,
}

/// A header name: an HTTP token.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A header value: visible ASCII and spaces.
fn is_header_value(text: &str) -> bool {
    text.bytes()
        .all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic())
}

impl Resolver<'_> {
    pub(crate) fn web(&self, api: &ApiSpec) -> Result<Web, Diagnostic> {
        let (json, xml) = match &api.renderers {
            None => (true, true),
            Some(list) => {
                if list.get_ref().is_empty() {
                    return Err(self
                        .error(list, "`renderers` is empty")
                        .with_help("Eve needs at least one renderer: write [\"json\"], [\"xml\"] or [\"json\", \"xml\"]"));
                }
                let (mut json, mut xml) = (false, false);
                for name in list.get_ref() {
                    match name.get_ref().as_str() {
                        "json" => json = true,
                        "xml" => xml = true,
                        other => {
                            return Err(self
                                .error(name, format!("unknown renderer `{other}`"))
                                .with_help("the renderers are \"json\" and \"xml\" (Eve's JSONRenderer and XMLRenderer)"));
                        }
                    }
                }
                (json, xml)
            }
        };
        let jsonp_argument = match &api.jsonp_argument {
            None => None,
            Some(arg) => {
                let text = arg.get_ref();
                let valid = !text.is_empty()
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
                if !valid {
                    return Err(self
                        .error(arg, format!("invalid `jsonp_argument` `{text}`"))
                        .with_help("name a query argument with letters, digits, `-`, `_` or `.`, like \"callback\""));
                }
                Some(text.clone())
            }
        };
        Ok(Web {
            json,
            xml,
            jsonp_argument,
            method_override: api.allow_override_http_method.unwrap_or(true),
            cors: self.cors(api)?,
        })
    }

    fn cors(&self, api: &ApiSpec) -> Result<Option<Cors>, Diagnostic> {
        let mut domains = Vec::new();
        let mut any_domain = false;
        for domain in api.x_domains.iter().flat_map(|d| d.get_ref()) {
            let text = domain.get_ref();
            if text == "*" {
                any_domain = true;
            } else if text.is_empty() || !is_header_value(text) || text.contains(' ') {
                return Err(self
                    .error(domain, format!("invalid origin `{text}` in `x_domains`"))
                    .with_help(
                        "write an origin like \"https://example.com\", or \"*\" for every origin",
                    ));
            } else {
                domains.push(text.clone());
            }
        }
        let mut domains_re = Vec::new();
        for pattern in api.x_domains_re.iter().flat_map(|d| d.get_ref()) {
            let anchored = format!("^(?:{})", pattern.get_ref());
            if let Err(error) = regex::Regex::new(&anchored) {
                return Err(self
                    .error(
                        pattern,
                        format!(
                            "invalid regex in `x_domains_re`: {}",
                            crate::diagnostic::regex_problem(&error)
                        ),
                    )
                    .with_help("write a regular expression an origin must match, like \"^https://sub-\\\\d{3}\\\\.example\\\\.com$\""));
            }
            domains_re.push(anchored);
        }
        let headers = self.header_names(api.x_headers.as_deref(), "x_headers")?;
        let expose_headers =
            self.header_names(api.x_expose_headers.as_deref(), "x_expose_headers")?;
        let max_age = match &api.x_max_age {
            None => X_MAX_AGE,
            Some(v) => self.non_negative(v, "x_max_age")?,
        };
        if domains.is_empty() && !any_domain && domains_re.is_empty() {
            // Eve: CORS is off without an allowed origin; its other settings do nothing.
            let stray = [
                api.x_headers
                    .as_ref()
                    .and_then(|h| h.first())
                    .map(|s| s.span()),
                api.x_expose_headers
                    .as_ref()
                    .and_then(|h| h.first())
                    .map(|s| s.span()),
                api.x_allow_credentials.as_ref().map(|s| s.span()),
                api.x_max_age.as_ref().map(|s| s.span()),
            ];
            if let Some(span) = stray.into_iter().flatten().next() {
                return Err(Diagnostic::at(
                    self.path,
                    self.source,
                    span,
                    "CORS settings without an allowed origin",
                )
                .with_help("CORS is on only with `x_domains` (or `x_domains_re`): add `x_domains = [\"https://example.com\"]`"));
            }
            return Ok(None);
        }
        Ok(Some(Cors {
            domains,
            any_domain,
            domains_re,
            headers,
            expose_headers,
            allow_credentials: api
                .x_allow_credentials
                .as_ref()
                .is_some_and(|v| *v.get_ref()),
            max_age,
        }))
    }

    fn header_names(
        &self,
        names: Option<&[Spanned<String>]>,
        what: &str,
    ) -> Result<String, Diagnostic> {
        let mut out = Vec::new();
        for name in names.unwrap_or(&[]) {
            if !is_token(name.get_ref()) {
                return Err(self
                    .error(
                        name,
                        format!("invalid header name `{}` in `{what}`", name.get_ref()),
                    )
                    .with_help("a header name is letters, digits and `-`, like \"Content-Type\""));
            }
            out.push(name.get_ref().clone());
        }
        Ok(out.join(", "))
    }

    fn non_negative(&self, value: &Spanned<i64>, what: &str) -> Result<u64, Diagnostic> {
        u64::try_from(*value.get_ref()).map_err(|_| {
            self.error(value, format!("`{what}` cannot be negative"))
                .with_help(format!("set `{what}` to a number of seconds, 0 or more"))
        })
    }

    /// A resource's cache directives: its own, else the API's (Eve's defaults: none).
    pub(crate) fn cache(
        &self,
        control: Option<&Spanned<String>>,
        expires: Option<&Spanned<i64>>,
    ) -> Result<Cache, Diagnostic> {
        let api = self.spec.api.get_ref();
        let control = match control.or(api.cache_control.as_ref()) {
            None => String::new(),
            Some(value) => {
                if !is_header_value(value.get_ref()) {
                    return Err(self
                        .error(value, "invalid `cache_control`")
                        .with_help("write a Cache-Control value in plain ASCII, like \"max-age=20,must-revalidate\""));
                }
                value.get_ref().trim().to_string()
            }
        };
        let expires = match expires.or(api.cache_expires.as_ref()) {
            None => 0,
            Some(value) => self.non_negative(value, "cache_expires")?,
        };
        Ok(Cache { control, expires })
    }
}
