//! Custom endpoints (`[endpoints.<name>]`): the user's own operations, served by the
//! same server on the same port behind the same auth as the resources (atoti's
//! `Session.endpoint`, Cloud Endpoints' path and query containers).
//!
//! A generated handler turns the request into typed values here, hands them to the
//! user's trait method with a [`Call`], and turns the answer back into a response:
//!
//! - [`path`], [`query`] and [`body`] read the parameters and the body, convert them
//!   by the kinds of the endpoint's field catalogs and validate them with the very
//!   code that validates documents (`validate`), so a bad value is a 400 or a 422 in
//!   Eve's envelope, with `_issues` naming it, before user code runs;
//! - [`respond`] writes the answer: JSON, or 204 for `()`;
//! - [`Call`] is what the user's method is given: the caller and [`Data`], typed
//!   access to the API's resources acting as that caller (`data`).
//!
//! Dates: a validated datetime is text in the API's `date_format`; the generated
//! structs hold `i64` seconds and convert with `DateFormat::parse`/`format`.

pub(crate) mod data;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalog::{self, Field, Kind};
use crate::error::ApiError;
use crate::http;
use crate::state::Settings;
use crate::validate::{self, Issues, Mode};

pub use data::{Call, Data, Find, Tx};

/// Query parameters the server itself reads on any route, which an endpoint's query
/// never refuses (unless it declares one of them as its own parameter): the API key
/// (`key`), `pretty` (indented JSON), Eve's usual JSONP argument (`callback`), and the
/// dataset signature's fields (`visitor`, `stamp`, `token`, `type`). An API whose
/// `jsonp_argument` is another name passes it to [`query_ignoring`].
pub const SERVER_PARAMETERS: &[&str] = &[
    "key", "pretty", "callback", "visitor", "stamp", "token", "type",
];

/// The path parameters of an endpoint as `T`.
///
/// Each value (text, percent-decoded by the router) is matched to its field by name,
/// or, when no field has the parameter's name, by position (`fields` in path order).
/// It is converted by the field's kind: integers, floats, numbers and booleans
/// (`true`/`false`/`1`/`0`, any case) are parsed from the text; strings, objectids,
/// datetimes (in the API's date format) stay text, which validation checks and
/// normalises; dicts and lists are JSON text. Then the parameters are validated as a
/// document (`validate::validate_document`) and deserialized.
///
/// A value that is not of its field's type is a 422 whose `_issues` name the
/// parameter (`"must be of integer type"`), not a 404: the route exists, and the
/// client learns which parameter to fix. (Eve's resource routes answer 404 for an
/// item key that is no id; an endpoint's parameters are arguments, not keys.)
pub fn path<T: DeserializeOwned>(
    fields: &'static [Field],
    params: &[(String, String)],
) -> Result<T, ApiError> {
    let mut map = Map::new();
    let mut issues = Issues::new();
    for (position, (name, text)) in params.iter().enumerate() {
        let Some(field) = catalog::find(fields, name).or_else(|| fields.get(position)) else {
            continue;
        };
        match from_text(field, text) {
            Ok(value) => {
                map.insert(field.name.to_string(), value);
            }
            Err(message) => issues.add(field.name, message),
        }
    }
    checked(fields, map, issues, "path parameters")
}

/// The query parameters of an endpoint as `T`: the same conversion and validation as
/// [`path`], from the query string (`application/x-www-form-urlencoded`).
///
/// A parameter the endpoint does not declare is a 400 naming it (a misspelt
/// `?sinse=` must not pass as "no filter"), except those the server reads itself
/// ([`SERVER_PARAMETERS`]). A parameter sent twice is a 400: which one would count is
/// not obvious. A missing required parameter is a 422 naming it (`"required field"`);
/// an empty value (`?since=`) is the empty text, which a string takes and other kinds
/// refuse.
pub fn query<T: DeserializeOwned>(
    fields: &'static [Field],
    raw: Option<&str>,
) -> Result<T, ApiError> {
    query_ignoring(fields, raw, &[])
}

/// [`query`], also ignoring the parameters named in `ignored` (an API's own
/// `jsonp_argument`, when it is not `callback`).
pub fn query_ignoring<T: DeserializeOwned>(
    fields: &'static [Field],
    raw: Option<&str>,
    ignored: &[&str],
) -> Result<T, ApiError> {
    let mut map = Map::new();
    let mut issues = Issues::new();
    let mut seen: Vec<String> = Vec::new();
    for (name, text) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let Some(field) = catalog::find(fields, &name) else {
            if SERVER_PARAMETERS.contains(&name.as_ref()) || ignored.contains(&name.as_ref()) {
                continue;
            }
            return Err(ApiError::bad_request(format!(
                "Unknown query parameter '{name}'"
            )));
        };
        if seen.iter().any(|s| *s == name) {
            return Err(ApiError::bad_request(format!(
                "The query parameter '{name}' is given more than once"
            )));
        }
        seen.push(name.to_string());
        match from_text(field, &text) {
            Ok(value) => {
                map.insert(field.name.to_string(), value);
            }
            Err(message) => issues.add(field.name, message),
        }
    }
    checked(fields, map, issues, "query parameters")
}

/// The JSON body of an endpoint as `T`, checked against the endpoint's body `rule`.
///
/// Read as a POST body is (`settings.max_body_bytes`, the body-read timeout: 413,
/// 408); only JSON is accepted (`application/json` or a `+json` type; another
/// content type is Eve's 400), malformed JSON is a 400. The value is validated
/// against `rule` as a field of that name (`validate::validate_value`: 422 with
/// `_issues` under the rule's name, defaults filled), then deserialized.
///
/// An empty body stands for no value: a 422 (`required field`) when the rule is
/// `required`, else `T` is read from JSON `null`, so the generator types an optional
/// body as `Option<...>` and the user's method gets `None`. A JSON `null` sent
/// explicitly needs a `nullable` rule.
pub async fn body<T: DeserializeOwned>(
    rule: &'static Field,
    headers: &HeaderMap,
    body: Body,
    settings: &Settings,
) -> Result<T, ApiError> {
    let bytes = http::read_body(headers, body, settings).await?;
    let name = if rule.name.is_empty() {
        "body"
    } else {
        rule.name
    };
    if bytes.is_empty() {
        if rule.required {
            let mut issues = Issues::new();
            issues.add(name, validate::REQUIRED_FIELD);
            return Err(rejected(issues, "request body"));
        }
        return deserialize(Value::Null);
    }
    if !http::is_json(&http::body_type(headers)) {
        return Err(http::unknown_body_type());
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|error| {
        ApiError::bad_request(format!("The request body is not valid JSON: {error}"))
    })?;
    let value =
        validate::validate_value(rule, value).map_err(|issues| rejected(issues, "request body"))?;
    deserialize(value)
}

/// The answer of an endpoint: 200 with `answer` as JSON, or 204 No Content for `()`.
///
/// No `ETag` or `Last-Modified`: the answer is computed, not a stored document. A
/// bare number, string or list is valid JSON and is served as it is; `?pretty`, JSONP
/// and XML (`render`, `xml`) rewrite it like any JSON answer.
pub fn respond<T: Serialize + 'static>(answer: &T) -> Response {
    if (answer as &dyn std::any::Any).is::<()>() {
        return StatusCode::NO_CONTENT.into_response();
    }
    match serde_json::to_vec(answer) {
        Ok(bytes) => http::json_response(StatusCode::OK, bytes, None, None),
        Err(error) => ApiError::internal(format!("the endpoint's answer: {error}")).into_response(),
    }
}

/// A parameter's text as the JSON value its field's kind reads; `Err`: the message
/// `_issues` shows (validation's own "must be of ... type").
pub(crate) fn from_text(field: &Field, text: &str) -> Result<Value, String> {
    let wrong = || format!("must be of {} type", field.kind.name());
    match field.kind {
        Kind::Integer => text.parse::<i64>().map(Value::from).map_err(|_| wrong()),
        Kind::Float | Kind::Number => {
            // JSON's number grammar: no `inf`, `NaN`, `0x10` or surrounding spaces.
            if text.trim() != text {
                return Err(wrong());
            }
            serde_json::from_str::<serde_json::Number>(text)
                .map(Value::Number)
                .map_err(|_| wrong())
        }
        Kind::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err(wrong()),
        },
        Kind::String | Kind::ObjectId | Kind::Datetime | Kind::Media => {
            Ok(Value::String(text.to_string()))
        }
        Kind::Dict
        | Kind::List
        | Kind::Point
        | Kind::LineString
        | Kind::Polygon
        | Kind::MultiPoint
        | Kind::MultiLineString
        | Kind::MultiPolygon
        | Kind::GeometryCollection => serde_json::from_str(text).map_err(|_| wrong()),
    }
}

/// Validate converted parameters as a document and deserialize them; conversion
/// `issues` come first (validation adds nothing for a field that already has one).
fn checked<T: DeserializeOwned>(
    fields: &'static [Field],
    map: Map<String, Value>,
    mut issues: Issues,
    what: &str,
) -> Result<T, ApiError> {
    match validate::validate_document(fields, map, Mode::Insert) {
        Ok(normalized) if issues.is_empty() => deserialize(Value::Object(normalized)),
        Ok(_) => Err(rejected(issues, what)),
        Err(more) => {
            issues.merge(more);
            Err(rejected(issues, what))
        }
    }
}

/// 422 in Eve's envelope, `_issues` naming the parameters (or the body).
fn rejected(issues: Issues, what: &str) -> ApiError {
    ApiError {
        issues: Some(issues),
        ..ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Validation failure: the {what} contain(s) error(s)"),
        )
    }
}

/// Validated values as the generated struct. A failure here is the generator's (its
/// struct and its catalog disagree), not the client's: a 500, logged.
fn deserialize<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value)
        .map_err(|error| ApiError::internal(format!("an endpoint's typed parameters: {error}")))
}

#[cfg(test)]
mod data_tests;
#[cfg(test)]
mod tests;
