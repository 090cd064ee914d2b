//! Where a request points: a resource's id type, the concrete collection path of a
//! sub-resource (`people/{contact_id}/invoices` served as `people/5f8d.../invoices`)
//! and the additional lookup route (`people/Doe` next to `people/<id>`).
//!
//! Routes name their path parameters by position (`{id}`, `{id1}`, ...), so routes
//! that share a prefix agree on the names; the handlers read them in order: the
//! sub-resource's `{field}` segments first, then an item's key.

use std::borrow::Cow;
use std::sync::LazyLock;

use serde_json::{Map, Value};

use crate::catalog::Kind;
use crate::error::ApiError;
use crate::objectid;
use crate::resource::ResourceInfo;

/// The path parameters of a request, in route order, as axum decodes them.
pub type Params = Vec<(String, String)>;

/// A request's path parameters (none on a route without any). A path whose
/// parameters do not decode to UTF-8 (`people/%FF`) names nothing the API holds: a
/// 404 in Eve's envelope, where axum's own extractor answers in plain text.
pub struct PathParams(pub Params);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathParams {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<Params>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(params)) => Ok(PathParams(params)),
            Err(PathRejection::MissingPathParams(_)) => Ok(PathParams(Vec::new())),
            Err(_) => Err(ApiError::not_found()),
        }
    }
}

/// The type of a resource's `_id` (the spec's `id_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdType {
    /// 24 hex digits (Eve's default).
    ObjectId,
    /// A UUID, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    Uuid,
    /// A number the database gives (`schema::Key::Integer`); a JSON number on the wire.
    Integer,
}

impl IdType {
    /// Whether a path segment has the shape of an id of this type; any other key is
    /// not an id (404, or an additional lookup).
    pub fn is_valid(self, key: &str) -> bool {
        match self {
            IdType::ObjectId => objectid::is_valid(key),
            IdType::Uuid => is_uuid(key),
            IdType::Integer => {
                !key.is_empty()
                    && key.len() <= 19
                    && key.bytes().all(|b| b.is_ascii_digit())
                    && key.parse::<i64>().is_ok()
            }
        }
    }

    /// A client-chosen `_id` in a POST body, checked; `None` when it is malformed.
    pub fn client_id(self, value: &Value) -> Option<String> {
        match (self, value) {
            (IdType::Integer, Value::Number(n)) => {
                n.as_i64().filter(|n| *n >= 1).map(|n| n.to_string())
            }
            (IdType::Integer, _) => None,
            (_, Value::String(text)) if self.is_valid(text) => Some(text.to_ascii_lowercase()),
            _ => None,
        }
    }

    /// The name in "must be of ... type" messages.
    pub fn name(self) -> &'static str {
        match self {
            IdType::ObjectId => "objectid",
            IdType::Uuid => "uuid",
            IdType::Integer => "integer",
        }
    }

    /// Append an `_id` as JSON: a number for integer ids, a string otherwise.
    pub fn write_json(self, out: &mut Vec<u8>, id: &str) {
        if self == IdType::Integer && self.is_valid(id) {
            out.extend_from_slice(id.as_bytes());
        } else {
            crate::http::write_json_str(out, id);
        }
    }
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// An integer `_id` held as its decimal text, serialized as a JSON number.
pub struct NumericId<'a>(pub &'a str);

impl serde::Serialize for NumericId<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.parse::<i64>() {
            Ok(n) => serializer.serialize_i64(n),
            Err(_) => serializer.serialize_str(self.0),
        }
    }
}

/// Eve's `additional_lookup`: `GET <collection>/<value>` finds the document whose
/// `field` equals `value`, when `value` is not an id and matches `pattern`.
#[derive(Debug)]
pub struct Lookup {
    pub field: &'static str,
    /// The spec's `regex("...")`, anchored.
    pub pattern: &'static LazyLock<regex::Regex>,
}

impl Lookup {
    pub fn matches(&self, key: &str) -> bool {
        self.pattern.is_match(key)
    }
}

/// The authenticated user of a request: the user of the `auth::Caller` its guard
/// put in its extensions; `None` without one (no guard, a public operation, an API
/// key alone), and always without the `auth` feature.
pub fn request_user(extensions: &axum::http::Extensions) -> Option<String> {
    #[cfg(feature = "auth")]
    {
        crate::auth::caller(extensions).and_then(|caller| caller.user.clone())
    }
    #[cfg(not(feature = "auth"))]
    {
        let _ = extensions;
        None
    }
}

/// A read handler's view of its caller: the request's authenticated user
/// ([`request_user`]), which the documents of an `auth_field` resource are
/// restricted to.
#[derive(Debug, Clone, Default)]
pub struct User(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for User {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(User(request_user(&parts.extensions)))
    }
}

/// The part of a resource a request addresses: all of it, or for a sub-resource the
/// documents whose path fields hold the values in the URL; and of a resource with an
/// `auth_field`, only the documents of the request's user (Eve's user-restricted
/// resource access).
#[derive(Debug, Clone)]
pub struct Scope {
    /// The concrete collection path below the prefix (`people/5f8d.../invoices`), for
    /// `_links` and `Location`.
    pub url: Cow<'static, str>,
    /// Each path field with its value, typed as the field.
    pub values: Vec<(&'static str, Value)>,
    /// Of a resource with an `auth_field`: that field and the request's user. The
    /// resource's statements hold `("<field>" = ? OR ? IS NULL)` and bind the user
    /// twice after the path values, so one cached statement serves callers with a user
    /// (their documents) and without one (a public operation: all, as in Eve).
    /// `None` for other resources, whose statements have no such condition.
    pub owner: Option<(&'static str, Option<String>)>,
}

impl Scope {
    /// The scope of a request to `info`'s routes by `user` (the request's
    /// authenticated user, [`request_user`]); `params` are the route's parameters
    /// in order (an item key after the path fields is ignored here). A value that
    /// cannot be the field's (say, not an objectid) names no documents: 404.
    pub fn new(
        info: &'static ResourceInfo,
        params: &[(String, String)],
        user: Option<&str>,
    ) -> Result<Scope, ApiError> {
        let owner = info
            .auth_field
            .map(|field| (field, user.map(str::to_string)));
        if info.path_fields.is_empty() {
            return Ok(Scope {
                url: Cow::Borrowed(info.url),
                values: Vec::new(),
                owner,
            });
        }
        if params.len() < info.path_fields.len() {
            return Err(ApiError::not_found());
        }
        let mut values = Vec::with_capacity(info.path_fields.len());
        for (name, (_, text)) in info.path_fields.iter().zip(params) {
            let kind = info
                .fields
                .iter()
                .find(|f| f.name == *name)
                .map_or(Kind::String, |f| f.kind);
            let value = match kind {
                Kind::ObjectId if objectid::is_valid(text) => {
                    Value::String(text.to_ascii_lowercase())
                }
                Kind::Integer => match text.parse::<i64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => return Err(ApiError::not_found()),
                },
                Kind::String => Value::String(text.clone()),
                _ => return Err(ApiError::not_found()),
            };
            values.push((*name, value));
        }
        let mut url = String::with_capacity(info.url.len() + 32);
        let mut next = values.iter();
        for (i, segment) in info.url.split('/').enumerate() {
            if i > 0 {
                url.push('/');
            }
            if segment.starts_with('{') {
                match next.next() {
                    Some((_, Value::String(text))) => push_segment(&mut url, text),
                    Some((_, value)) => url.push_str(&value.to_string()),
                    None => {}
                }
            } else {
                url.push_str(segment);
            }
        }
        Ok(Scope {
            url: Cow::Owned(url),
            values,
            owner,
        })
    }

    /// Put the path values into a document written through this scope: Eve fills
    /// the path fields from the URL, over any value in the body. With `all` false (a
    /// PATCH), only the path fields the body names are overwritten. The owner is
    /// filled the same way: a POST or PUT is stamped with the caller's user whatever
    /// the body says, and a PATCH cannot give the document away (Eve's
    /// `resolve_user_restricted_access`). Without a user (a public operation) the
    /// body's value stands, as in Eve. Eve validates the body before it stamps the
    /// owner, so an owner that is not a string (`"owner": {}`) is left for the
    /// validation to refuse (422) rather than silently replaced.
    pub fn fill(&self, document: &mut Map<String, Value>, all: bool) {
        for (name, value) in &self.values {
            if all || document.contains_key(*name) {
                document.insert((*name).to_string(), value.clone());
            }
        }
        if let Some((field, Some(user))) = &self.owner {
            let stamp = match document.get(*field) {
                None => all,
                Some(Value::String(_) | Value::Null) => true,
                Some(_) => false,
            };
            if stamp {
                document.insert((*field).to_string(), Value::String(user.clone()));
            }
        }
    }

    /// Whether the scope is restricted to a user's documents.
    pub fn is_owned(&self) -> bool {
        matches!(self.owner, Some((_, Some(_))))
    }
}

/// Append a path value to a URL, percent-encoding all but RFC 3986's unreserved
/// characters: a string path field may hold `/`, spaces or quotes.
fn push_segment(url: &mut String, text: &str) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
}

/// The item key of an item route: its last parameter.
pub fn item_key(params: &[(String, String)]) -> &str {
    params.last().map_or("", |(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_values_are_percent_encoded_in_urls() {
        let mut url = String::from("cities/");
        push_segment(&mut url, "Sao Paulo/SP \"x\"~é");
        assert_eq!(url, "cities/Sao%20Paulo%2FSP%20%22x%22~%C3%A9");
    }

    #[test]
    fn id_shapes() {
        assert!(IdType::Integer.is_valid("42"));
        assert!(!IdType::Integer.is_valid("4x"));
        assert!(!IdType::Integer.is_valid("99999999999999999999"));
        assert!(IdType::Uuid.is_valid("0b6a1c9e-5d3f-4a8e-9b7c-2f1e0d9c8b7a"));
        assert!(!IdType::Uuid.is_valid("0b6a1c9e5d3f4a8e9b7c2f1e0d9c8b7a"));
        assert!(!IdType::ObjectId.is_valid("42"));
        assert_eq!(IdType::Integer.client_id(&Value::from(7)), Some("7".into()));
        assert_eq!(IdType::Integer.client_id(&Value::from("7")), None);
    }
}
