//! What custom endpoints add to a crate: `src/api/endpoints.rs` (apigen's: each
//! endpoint's parameter catalogs and types, the `Endpoints` trait, the handlers that
//! validate a request and call the trait) and the user's `src/endpoints.rs` (created
//! once, when missing, with a stub per endpoint that answers 501 until it is written;
//! an endpoint added later makes the build fail there, naming the missing method).

use crate::model::endpoints::Endpoint;
use crate::model::{Field, Kind, Model, article};
use crate::render::{self, RenderError};
use crate::rust::{anchored_regex_lit, doc_lines, regex_static, str_lit};

/// Whether the crate has custom endpoints.
pub fn uses_endpoints(model: &Model) -> bool {
    !model.endpoints.is_empty()
}

/// The `SCREAMING_CASE` prefix of an endpoint's statics: `TABLE_COUNT`.
fn statics_prefix(endpoint: &Endpoint) -> String {
    endpoint.ident.trim_start_matches("r#").to_uppercase()
}

/// `GET tables/{table_name}/count`.
fn route_text(endpoint: &Endpoint) -> String {
    let path: Vec<String> = endpoint
        .path
        .iter()
        .map(|s| match s {
            crate::model::Segment::Literal(text) => text.clone(),
            crate::model::Segment::Param(p) => format!("{{{}}}", p.name),
        })
        .collect();
    format!("{} {}", endpoint.method.as_str(), path.join("/"))
}

/// The Rust types of one endpoint's values, with the structs they need.
struct Types {
    /// Struct definitions, in the order they were needed.
    defs: Vec<String>,
}

/// How a present value of a field is typed.
struct Typed {
    ty: String,
    /// A datetime held as epoch seconds, (de)serialized in the API's `date_format`.
    date: bool,
}

impl Types {
    /// The type of a present value of `field`; a dict with a schema becomes the struct
    /// `name`.
    fn present(&mut self, field: &Field, name: &str) -> Typed {
        let ty = match field.kind {
            Kind::String | Kind::ObjectId | Kind::Media => "::std::string::String".to_string(),
            Kind::Integer => "i64".to_string(),
            Kind::Float | Kind::Number => "f64".to_string(),
            Kind::Boolean => "bool".to_string(),
            Kind::Datetime => {
                return Typed {
                    ty: "i64".to_string(),
                    date: true,
                };
            }
            Kind::Dict if !field.schema.is_empty() => {
                let what = if field.name.is_empty() {
                    "One item of a list".to_string()
                } else {
                    format!("The `{}` dict", field.name)
                };
                self.structure(name, &field.schema, &what);
                name.to_string()
            }
            Kind::Dict => {
                "::serde_json::Map<::std::string::String, ::serde_json::Value>".to_string()
            }
            Kind::List => match &field.items {
                Some(items) => {
                    let item = self.present(items, &format!("{name}Item"));
                    // A list's datetimes stay as the validated text: serde's `with`
                    // reaches a field, not the items of one.
                    let item = if item.date {
                        "::std::string::String".to_string()
                    } else {
                        item.ty
                    };
                    format!("::std::vec::Vec<{item}>")
                }
                None => "::std::vec::Vec<::serde_json::Value>".to_string(),
            },
            _ => "::serde_json::Value".to_string(),
        };
        Typed { ty, date: false }
    }

    /// A struct of `fields`, each `Option` unless validation guarantees it (required or
    /// defaulted, and not nullable).
    fn structure(&mut self, name: &str, fields: &[Field], what: &str) {
        let mut members = Vec::new();
        for field in fields {
            let camel = heck::ToUpperCamelCase::to_upper_camel_case(field.name.as_str());
            let typed = self.present(field, &format!("{name}{camel}"));
            let always = (field.required || field.default.is_some()) && !field.nullable;
            let mut attributes: Vec<String> = Vec::new();
            let plain = field.ident.trim_start_matches("r#");
            if plain != field.name {
                attributes.push(format!("rename = {}", str_lit(&field.name)));
            }
            let ty = if always {
                if typed.date {
                    attributes.push("with = \"dates\"".into());
                }
                typed.ty
            } else {
                attributes.push("default".into());
                attributes.push("skip_serializing_if = \"::std::option::Option::is_none\"".into());
                if typed.date {
                    attributes.push("with = \"dates::optional\"".into());
                }
                format!("::std::option::Option<{}>", typed.ty)
            };
            let mut doc = format!("`{}`: {}", field.name, describe(field));
            if typed.date {
                doc.push_str(" (epoch seconds; the API's `date_format` on the wire)");
            }
            let attributes = if attributes.is_empty() {
                String::new()
            } else {
                format!("#[serde({})]\n", attributes.join(", "))
            };
            members.push(format!(
                "{}\n{attributes}pub {}: {ty},",
                doc_lines("///", &doc),
                field.ident
            ));
        }
        self.defs.push(format!(
            "/// {what}, validated by its rules before your code sees it.\n\
             #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]\n\
             pub struct {name} {{\n{}\n}}\n",
            members.join("\n")
        ));
    }
}

/// A field's rules in a few words, for doc comments: "an `integer`, required".
fn describe(field: &Field) -> String {
    let mut words = vec![format!(
        "{} `{}`",
        article(field.kind.name()),
        field.kind.name()
    )];
    if field.required {
        words.push("required".into());
    }
    if field.nullable {
        words.push("nullable".into());
    }
    if let Some(default) = &field.default {
        words.push(format!("default `{default}`"));
    }
    words.join(", ")
}

/// What one endpoint's handler and trait method take and give.
struct Signature {
    /// `(argument name, type)` after `call`, in order: path, query, body.
    arguments: Vec<(&'static str, String)>,
    answer: String,
}

fn signature(endpoint: &Endpoint) -> Signature {
    let prefix = &endpoint.type_prefix;
    let mut arguments = Vec::new();
    if !endpoint.path_fields.is_empty() {
        arguments.push(("path", format!("{prefix}Path")));
    }
    if !endpoint.query.is_empty() {
        arguments.push(("query", format!("{prefix}Query")));
    }
    if let Some(body) = &endpoint.body {
        // An optional body may be left out, a nullable one be `null`: `None`.
        if body.required && !body.nullable {
            arguments.push(("body", format!("{prefix}Body")));
        } else {
            arguments.push(("body", format!("::std::option::Option<{prefix}Body>")));
        }
    }
    let answer = match endpoint.response {
        Some(_) => format!("{prefix}Response"),
        None => "()".to_string(),
    };
    Signature { arguments, answer }
}

/// `src/api/endpoints.rs`.
pub fn endpoints_rs(model: &Model) -> Result<String, RenderError> {
    let mut out = String::new();
    out.push_str(
        "//! The custom endpoints (`[endpoints.<name>]`): the rules and types of their\n\
         //! parameters, bodies and answers, the `Endpoints` trait your `src/endpoints.rs`\n\
         //! implements, and the handlers the router calls. A handler validates the path,\n\
         //! the query and the body by the same rules as documents (a bad one is answered\n\
         //! 400 or 422 in Eve's envelope before your code runs), then calls your method\n\
         //! with them typed, and the caller and the API's data (`endpoint::Call`).\n\n",
    );
    // Only what the file names: an unused import would warn in the user's build.
    let endpoints = &model.endpoints;
    let any_path = endpoints.iter().any(|e| !e.path_fields.is_empty());
    let any_query = endpoints.iter().any(|e| !e.query.is_empty());
    let any_body = endpoints.iter().any(|e| e.body.is_some());
    let mut extract = Vec::new();
    if any_query {
        extract.push("RawQuery");
    }
    if any_body {
        extract.push("State");
    }
    match extract.as_slice() {
        [] => {}
        [one] => out.push_str(&format!("use axum::extract::{one};\n")),
        many => out.push_str(&format!("use axum::extract::{{{}}};\n", many.join(", "))),
    }
    out.push_str("use axum::response::Response;\n");
    if any_path || any_query || any_body {
        out.push_str("use crate::api::catalog::{Field, Kind};\n");
    }
    out.push_str(
        "use crate::api::endpoint::{self, Call};\n\
         use crate::api::error::ApiError;\n",
    );
    if any_path {
        out.push_str("use crate::api::routes::PathParams;\n");
    }
    if any_body {
        out.push_str("use crate::api::state::AppState;\n");
    }
    out.push('\n');
    // The regexes of every catalog below, numbered depth first in file order.
    let mut regexes = Vec::new();
    for endpoint in &model.endpoints {
        for field in endpoint_catalog_fields(endpoint) {
            collect_regexes(field, &mut regexes);
        }
    }
    for (i, (name, pattern)) in regexes.iter().enumerate() {
        out.push_str(&format!(
            "/// `regex` of `{name}`, anchored: Cerberus matches the whole value.\n\
             static {}: ::std::sync::LazyLock<::regex::Regex> = ::std::sync::LazyLock::new(|| ::regex::Regex::new({}).expect(\"apigen checked this pattern\"));\n",
            regex_static(i),
            anchored_regex_lit(pattern),
        ));
    }
    let mut regex_count = 0;
    let mut types = Types { defs: Vec::new() };
    let mut methods = Vec::new();
    let mut handlers = Vec::new();
    for endpoint in &model.endpoints {
        let prefix = &endpoint.type_prefix;
        let statics = statics_prefix(endpoint);
        let route = route_text(endpoint);
        if !endpoint.path_fields.is_empty() {
            let entries: Vec<String> = endpoint
                .path_fields
                .iter()
                .map(|f| f.catalog_expr(&mut regex_count))
                .collect();
            out.push_str(&format!(
                "/// The path parameters of `{route}`, in path order.\npub static {statics}_PATH: &[Field] = &[{}];\n",
                entries.join(", ")
            ));
            types.structure(
                &format!("{prefix}Path"),
                &endpoint.path_fields,
                &format!("The path parameters of `{route}`"),
            );
        }
        if !endpoint.query.is_empty() {
            let entries: Vec<String> = endpoint
                .query
                .iter()
                .map(|f| f.catalog_expr(&mut regex_count))
                .collect();
            out.push_str(&format!(
                "/// The query parameters of `{route}`.\npub static {statics}_QUERY: &[Field] = &[{}];\n",
                entries.join(", ")
            ));
            types.structure(
                &format!("{prefix}Query"),
                &endpoint.query,
                &format!("The query parameters of `{route}`"),
            );
        }
        for (role, field) in [("Body", &endpoint.body), ("Response", &endpoint.response)] {
            let Some(field) = field else { continue };
            let name = format!("{prefix}{role}");
            if role == "Body" {
                out.push_str(&format!(
                    "/// The body of `{route}`: its rule.\npub static {statics}_BODY: Field = {};\n",
                    field.catalog_expr(&mut regex_count)
                ));
            }
            let what = if role == "Body" { "body" } else { "answer" };
            if field.kind == Kind::Dict && !field.schema.is_empty() {
                types.structure(&name, &field.schema, &format!("The {what} of `{route}`"));
            } else {
                // A list's items are `<name>Item`.
                let typed = types.present(field, &name);
                let ty = if typed.date {
                    // A bare datetime is sent and answered as its text.
                    "::std::string::String".to_string()
                } else {
                    typed.ty
                };
                // A nullable answer may be `None` (`null`); an optional body is an
                // `Option` in the method's signature.
                let ty = if field.nullable && role == "Response" {
                    format!("::std::option::Option<{ty}>")
                } else {
                    ty
                };
                types.defs.push(format!(
                    "/// The {what} of `{route}`: {}.\npub type {name} = {ty};\n",
                    describe(field)
                ));
            }
        }
        let sig = signature(endpoint);
        let mut doc = format!("`{route}`");
        if !endpoint.summary.is_empty() {
            doc.push_str(&format!(": {}", endpoint.summary));
        }
        if !endpoint.description.is_empty() {
            doc.push_str(&format!("\n\n{}", endpoint.description));
        }
        let params: Vec<String> = sig
            .arguments
            .iter()
            .map(|(name, ty)| format!("{name}: {ty}"))
            .collect();
        let params = if params.is_empty() {
            String::new()
        } else {
            format!(", {}", params.join(", "))
        };
        methods.push(format!(
            "{}\nfn {}(&self, call: &Call{params}) -> impl ::std::future::Future<Output = ::std::result::Result<{}, ApiError>> + Send;",
            doc_lines("///", &doc),
            endpoint.ident,
            sig.answer,
        ));
        // The handler: extractors in axum's order (the body last).
        let mut extractors = Vec::new();
        if endpoint.body.is_some() {
            // The body's size and time limits are the server's settings.
            extractors.push("State(state): State<AppState>".to_string());
        }
        let mut steps = Vec::new();
        if !endpoint.path_fields.is_empty() {
            extractors.push("PathParams(params): PathParams".into());
            steps.push(format!(
                "let path: {prefix}Path = endpoint::path({statics}_PATH, &params)?;"
            ));
        }
        if !endpoint.query.is_empty() {
            extractors.push("RawQuery(raw): RawQuery".into());
            steps.push(format!(
                "let query: {prefix}Query = endpoint::query({statics}_QUERY, raw.as_deref())?;"
            ));
        }
        // The caller and the data handle, from the request (`endpoint::Call`).
        extractors.push("call: Call".into());
        if endpoint.body.is_some() {
            extractors.push("headers: axum::http::HeaderMap".into());
            extractors.push("body: axum::body::Body".into());
            let ty = &sig
                .arguments
                .iter()
                .find(|(name, _)| *name == "body")
                .map(|(_, ty)| ty.clone())
                .unwrap_or_default();
            steps.push(format!(
                "let body: {ty} = endpoint::body(&{statics}_BODY, &headers, body, &state.settings).await?;"
            ));
        }
        let arguments: Vec<&str> = sig.arguments.iter().map(|(name, _)| *name).collect();
        let arguments = if arguments.is_empty() {
            String::new()
        } else {
            format!(", {}", arguments.join(", "))
        };
        steps.push(format!(
            "let answer = crate::endpoints::Service.{}(&call{arguments}).await?;",
            endpoint.ident
        ));
        steps.push("Ok(endpoint::respond(&answer))".into());
        handlers.push(format!(
            "/// {route}: validates the request, then calls `Endpoints::{}`.\npub async fn {}({}) -> ::std::result::Result<Response, ApiError> {{\n{}\n}}\n",
            endpoint.ident.trim_start_matches("r#"),
            endpoint.ident,
            extractors.join(", "),
            steps.join("\n")
        ));
    }
    out.push_str(&types.defs.join("\n"));
    out.push_str(
        "\n/// The custom endpoints, one method each: implemented by `Service` in your\n\
         /// `src/endpoints.rs`. Write each as an `async fn`; an error answers in Eve's\n\
         /// envelope with its status.\n\
         pub trait Endpoints: Send + Sync + 'static {\n",
    );
    out.push_str(&methods.join("\n"));
    out.push_str("\n}\n");
    out.push_str(&handlers.join("\n"));
    if model.endpoints.iter().any(uses_dates) {
        out.push_str(DATES_MODULE);
    }
    render::formatted(&out, "src/api/endpoints.rs")
}

/// Datetimes of the typed structs: epoch seconds in Rust, the API's `date_format` on
/// the wire.
const DATES_MODULE: &str = "
/// Datetimes of the structs above: epoch seconds in Rust (before 1970 too), the API's
/// `date_format` on the wire. (A crate whose structs hold only optional datetimes
/// uses only `optional`.)
#[allow(dead_code)]
mod dates {
    use ::serde::{Deserialize as _, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(seconds: &i64, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(&crate::api::DATE_FORMAT.format(*seconds))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> ::std::result::Result<i64, D::Error> {
        let text = ::std::string::String::deserialize(deserializer)?;
        crate::api::DATE_FORMAT
            .parse(&text)
            .ok_or_else(|| ::serde::de::Error::custom(format!(\"`{text}` is not a date in the API's format\")))
    }

    pub mod optional {
        use ::serde::{Deserialize as _, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(seconds: &::std::option::Option<i64>, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
            match seconds {
                ::std::option::Option::Some(seconds) => super::serialize(seconds, serializer),
                ::std::option::Option::None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> ::std::result::Result<::std::option::Option<i64>, D::Error> {
            match ::std::option::Option::<::std::string::String>::deserialize(deserializer)? {
                ::std::option::Option::None => ::std::result::Result::Ok(::std::option::Option::None),
                ::std::option::Option::Some(text) => crate::api::DATE_FORMAT
                    .parse(&text)
                    .map(::std::option::Option::Some)
                    .ok_or_else(|| ::serde::de::Error::custom(format!(\"`{text}` is not a date in the API's format\"))),
            }
        }
    }
}
";

/// Whether a struct of the endpoint holds a datetime as epoch seconds (the crate then
/// gets the `dates` module).
fn uses_dates(endpoint: &Endpoint) -> bool {
    fn in_struct(fields: &[Field]) -> bool {
        fields.iter().any(|f| {
            f.kind == Kind::Datetime
                || (f.kind == Kind::Dict && in_struct(&f.schema))
                || f.items
                    .as_deref()
                    .is_some_and(|i| i.kind == Kind::Dict && in_struct(&i.schema))
        })
    }
    let whole = |field: &Option<Field>| {
        field.as_ref().is_some_and(|f| {
            in_struct(&f.schema)
                || f.items
                    .as_deref()
                    .is_some_and(|i| i.kind == Kind::Dict && in_struct(&i.schema))
        })
    };
    in_struct(&endpoint.path_fields)
        || in_struct(&endpoint.query)
        || whole(&endpoint.body)
        || whole(&endpoint.response)
}

/// The fields whose catalogs the file writes, in the order it writes them (the
/// answer has no catalog: it is the user's, typed).
fn endpoint_catalog_fields(endpoint: &Endpoint) -> impl Iterator<Item = &Field> {
    endpoint
        .path_fields
        .iter()
        .chain(&endpoint.query)
        .chain(endpoint.body.as_ref())
}

fn collect_regexes(field: &Field, out: &mut Vec<(String, String)>) {
    if let Some(pattern) = &field.regex {
        out.push((field.name.clone(), pattern.clone()));
    }
    for nested in &field.schema {
        collect_regexes(nested, out);
    }
    if let Some(items) = &field.items {
        collect_regexes(items, out);
    }
}

/// The user's `src/endpoints.rs` for a new crate: `Service`, with a stub of each
/// endpoint that answers 501 until it is written.
pub fn user_endpoints_rs(model: &Model) -> String {
    let mut out = String::from(USER_ENDPOINTS_HEAD);
    out.push_str("impl Endpoints for Service {\n");
    let mut first = true;
    for endpoint in &model.endpoints {
        if !first {
            out.push('\n');
        }
        first = false;
        let sig = signature(endpoint);
        let params: Vec<String> = sig
            .arguments
            .iter()
            .map(|(name, ty)| format!("{name}: {ty}"))
            .collect();
        let unused: Vec<&str> = std::iter::once("call")
            .chain(sig.arguments.iter().map(|(name, _)| *name))
            .collect();
        let params = if params.is_empty() {
            String::new()
        } else {
            format!(", {}", params.join(", "))
        };
        let unused = if unused.len() == 1 {
            unused[0].to_string()
        } else {
            format!("({})", unused.join(", "))
        };
        // As rustfmt writes it, so the user's `cargo fmt --check` passes on a new crate.
        let one_line = format!(
            "    async fn {}(&self, call: &Call{params}) -> Result<{}, ApiError> {{",
            endpoint.ident, sig.answer
        );
        let head = if one_line.len() <= 100 {
            one_line
        } else {
            let mut lines = vec![
                format!("    async fn {}(", endpoint.ident),
                "        &self,".to_string(),
                "        call: &Call,".to_string(),
            ];
            for (name, ty) in &sig.arguments {
                lines.push(format!("        {name}: {ty},"));
            }
            lines.push(format!("    ) -> Result<{}, ApiError> {{", sig.answer));
            lines.join("\n")
        };
        out.push_str(&format!(
            "    /// `{}`.\n{head}\n        let _ = {unused};\n        Err(ApiError::not_implemented({}))\n    }}\n",
            route_text(endpoint),
            str_lit(&endpoint.name),
        ));
    }
    out.push_str("}\n");
    out
}

const USER_ENDPOINTS_HEAD: &str =
    "//! Your custom endpoints: one method of `Endpoints` per `[endpoints.<name>]` of the
//! spec. apigen created this file once and never touches it again.
//!
//! Each method gets the endpoint's path, query and body already validated and typed
//! (see `src/api/endpoints.rs`), and `call`: the caller (`call.user()`) and the API's
//! data (`call.data()`: find, count, insert, update and delete documents of any
//! resource, as the caller, written to the oplog, in one transaction where needed).
//! Return the answer, or an `ApiError` (`ApiError::bad_request(...)`, ...), which is
//! sent in Eve's envelope. A stub answers 501 until you write it. An endpoint added
//! to the spec later is a method missing here: the build fails and names it.

#[allow(unused_imports)]
use crate::api::endpoint::Call;
#[allow(unused_imports)]
use crate::api::endpoints::*;
#[allow(unused_imports)]
use crate::api::error::ApiError;

/// The service's custom endpoints: the router calls these methods.
pub struct Service;

";
