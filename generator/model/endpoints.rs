//! Custom endpoints (`[endpoints.<name>]`): atoti's `Session.endpoint`, with Cloud
//! Endpoints' typed path and query parameters. Each is an operation like the
//! resources' (routed, in OpenAPI, behind auth and quotas); its path, query, body and
//! answer are field rules, resolved by the same code as a resource's schema, so the
//! runtime validates them as it validates documents.

use heck::ToUpperCamelCase;
use indexmap::IndexMap;
use toml::Spanned;

use super::fields::is_scalar;
use super::resolve::rust_ident;
use super::{Field, Kind, Method, Operation, PathParam, Segment};
use crate::diagnostic::Diagnostic;
use crate::spec::{EndpointSpec, FieldSpec};

/// One custom endpoint, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// The spec's name (`table_count`): its operation id is `endpoints.<name>`.
    pub name: String,
    /// The trait method and handler function (`table_count`).
    pub ident: String,
    /// The prefix of its types (`TableCount`: `TableCountPath`, `TableCountQuery`...).
    pub type_prefix: String,
    pub method: Method,
    /// The path below the API prefix; parameters are `Segment::Param` with their kind.
    pub path: Vec<Segment>,
    /// The path parameters' rules, in path order (each required).
    pub path_fields: Vec<Field>,
    /// The query parameters' rules, in the spec's order.
    pub query: Vec<Field>,
    /// The body's rule (named `body`); `None`: no body is read.
    pub body: Option<Field>,
    /// The answer's rule (named `response`); `None`: 204 No Content.
    pub response: Option<Field>,
    pub summary: String,
    pub description: String,
}

impl Endpoint {
    /// Its operation id: `endpoints.table_count`.
    pub fn operation_id(&self) -> String {
        format!("endpoints.{}", self.name)
    }
}

/// The kinds an endpoint's rules may use: everything a document may hold but files
/// (a `media` field is a stored file; an endpoint stores nothing itself).
fn check_kind(field: &Field) -> Option<&'static str> {
    if field.kind == Kind::Media {
        return Some("`media` is a stored file: an endpoint's parameters and bodies are JSON");
    }
    if field.unique {
        return Some(
            "`unique` compares with stored documents: an endpoint's values are not stored",
        );
    }
    if field.relation.is_some() {
        return Some(
            "`data_relation` checks stored documents: look them up through the data handle in your endpoint instead",
        );
    }
    if field.validator.is_some() {
        return Some(
            "`validator` rules belong to resources' fields; check the value in your endpoint",
        );
    }
    field
        .schema
        .iter()
        .chain(field.items.as_deref())
        .find_map(check_kind)
}

fn is_segment_text(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
}

fn is_param_name(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl super::Resolver<'_> {
    /// Every `[endpoints.<name>]`, resolved.
    pub(super) fn endpoints(&self) -> Result<Vec<Endpoint>, Diagnostic> {
        let mut endpoints = Vec::new();
        for (name, spec) in &self.spec.endpoints {
            endpoints.push(self.endpoint(name, spec.get_ref())?);
        }
        Ok(endpoints)
    }

    fn endpoint(
        &self,
        name: &Spanned<String>,
        spec: &EndpointSpec,
    ) -> Result<Endpoint, Diagnostic> {
        let text = name.get_ref();
        if !is_param_name(text) || text.contains("__") {
            return Err(self
                .error(name, format!("invalid endpoint name `{text}`"))
                .with_help("an endpoint's name is its Rust method's: letters, digits and `_`, starting with a letter (`table_count`)"));
        }
        let method = match &spec.method {
            None => Method::Post,
            Some(word) => *Method::ALL
                .iter()
                .find(|m| m.as_str().eq_ignore_ascii_case(word.get_ref()))
                .ok_or_else(|| {
                    self.error(word, format!("unknown method `{}`", word.get_ref()))
                        .with_help("an endpoint answers one of GET, POST, PUT, PATCH, DELETE (default POST)")
                })?,
        };
        let raw_path = spec.path.get_ref();
        let trimmed = raw_path.trim_matches('/');
        if trimmed.is_empty() {
            return Err(self
                .error(&spec.path, "an endpoint needs a path")
                .with_help("e.g. `path = \"tables/{table_name}/count\"`, below the API's prefix"));
        }
        let declared: IndexMap<&str, &Spanned<FieldSpec>> = spec
            .path_params
            .iter()
            .flatten()
            .map(|(k, v)| (k.get_ref().as_str(), v))
            .collect();
        let mut path = Vec::new();
        let mut path_fields: Vec<Field> = Vec::new();
        for segment in trimmed.split('/') {
            if let Some(param) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                if !is_param_name(param) {
                    return Err(self
                        .error(&spec.path, format!("invalid path parameter `{{{param}}}`"))
                        .with_help(
                            "a parameter's name is letters, digits and `_`, starting with a letter",
                        ));
                }
                if path_fields.iter().any(|f| f.name == param) {
                    return Err(self
                        .error(&spec.path, format!("the path names `{{{param}}}` twice"))
                        .with_help("give each path parameter its own name"));
                }
                let mut field = match spec
                    .path_params
                    .iter()
                    .flatten()
                    .find(|(k, _)| k.get_ref() == param)
                {
                    Some((key, rule)) => self.field(key, rule, 0)?,
                    None => Field::plain(param, Kind::String),
                };
                if !is_scalar(field.kind) {
                    let at = declared.get(param).map_or(spec.path.span(), |r| r.span());
                    return Err(crate::diagnostic::Diagnostic::at(
                        self.path,
                        self.source,
                        at,
                        format!("path parameter `{param}` is {} `{}`", super::resolve::article(field.kind.name()), field.kind.name()),
                    )
                    .with_help("a path segment holds a string, a number, a boolean, a datetime or an objectid"));
                }
                // A segment is always there.
                field.required = true;
                field.default = None;
                path.push(Segment::Param(PathParam {
                    name: param.to_string(),
                    ty: super::ParamType::Field(field.kind),
                }));
                path_fields.push(field);
            } else if is_segment_text(segment) {
                path.push(Segment::Literal(segment.to_string()));
            } else if segment.is_empty() {
                return Err(self
                    .error(&spec.path, "the path has an empty segment (`//`)")
                    .with_help("separate segments with one `/`"));
            } else {
                return Err(self
                    .error(&spec.path, format!("invalid path segment `{segment}`"))
                    .with_help("a segment is letters, digits, `-`, `_`, `.` or `~`, or a `{parameter}`; segments are separated by one `/`"));
            }
        }
        for (key, _) in spec.path_params.iter().flatten() {
            if !path_fields.iter().any(|f| &f.name == key.get_ref()) {
                return Err(self
                    .error(
                        key,
                        format!("`{}` is not a parameter of the path", key.get_ref()),
                    )
                    .with_help(format!(
                        "name it in `path` as `{{{}}}`, or remove it",
                        key.get_ref()
                    )));
            }
        }
        let mut query = Vec::new();
        for (key, rule) in spec.query.iter().flatten() {
            let field = self.field(key, rule, 0)?;
            if !is_scalar(field.kind) && field.kind != Kind::List {
                return Err(self
                    .error(
                        key,
                        format!(
                            "query parameter `{}` is {} `{}`",
                            key.get_ref(),
                            super::resolve::article(field.kind.name()),
                            field.kind.name()
                        ),
                    )
                    .with_help(
                        "a query parameter holds a scalar, or a list of scalars sent as JSON text",
                    ));
            }
            if field.kind == Kind::List
                && !field.items.as_deref().is_some_and(|i| is_scalar(i.kind))
            {
                return Err(self
                    .error(
                        key,
                        format!(
                            "query parameter `{}` is a list without scalar `items`",
                            key.get_ref()
                        ),
                    )
                    .with_help(
                        "give the list `items = { type = \"string\" }` (or another scalar type)",
                    ));
            }
            if path_fields.iter().any(|f| f.name == field.name) {
                return Err(self
                    .error(
                        key,
                        format!("`{}` is both a path and a query parameter", key.get_ref()),
                    )
                    .with_help("rename one of them"));
            }
            query.push(field);
        }
        let body = match &spec.body {
            Some(rule) => {
                if matches!(method, Method::Get | Method::Delete) {
                    return Err(self
                        .error(rule, format!("a {} endpoint with a body", method.as_str()))
                        .with_help("GET and DELETE requests carry no body that proxies and clients keep: use `query`, or `method = \"POST\"`"));
                }
                Some(self.rule_named("body", rule)?)
            }
            None => None,
        };
        let response = match &spec.response {
            Some(rule) => Some(self.rule_named("response", rule)?),
            None => None,
        };
        let all = path_fields
            .iter()
            .chain(&query)
            .chain(body.as_ref())
            .chain(response.as_ref());
        for field in all {
            if let Some(why) = check_kind(field) {
                return Err(self
                    .error(
                        name,
                        format!(
                            "endpoint `{text}`: field `{}` cannot be used here",
                            field.name
                        ),
                    )
                    .with_help(why));
            }
        }
        Ok(Endpoint {
            name: text.clone(),
            ident: rust_ident(text),
            type_prefix: text.to_upper_camel_case(),
            method,
            path,
            path_fields,
            query,
            body,
            response,
            summary: spec.summary.clone().unwrap_or_default(),
            description: spec.description.clone().unwrap_or_default(),
        })
    }

    /// A body or answer's rule, under a fixed name.
    fn rule_named(&self, name: &str, rule: &Spanned<FieldSpec>) -> Result<Field, Diagnostic> {
        self.rule(name, rule, 0)
    }

    /// Endpoints whose route another operation already answers, with the same method.
    pub(super) fn check_endpoint_routes(
        &self,
        prefix: &str,
        operations: &[Operation],
    ) -> Result<(), Diagnostic> {
        for (i, op) in operations.iter().enumerate() {
            let Some(name) = &op.endpoint else { continue };
            let routes = op.routes(prefix);
            let clash = operations[..i].iter().find(|other| {
                other.method == op.method && other.routes(prefix).iter().any(|r| routes.contains(r))
            });
            if let Some(other) = clash {
                let at = self
                    .spec
                    .endpoints
                    .iter()
                    .find(|(k, _)| k.get_ref() == name)
                    .map(|(_, v)| &v.get_ref().path);
                if let Some(at) = at {
                    return Err(self
                        .error(at, format!("{} {} is already operation `{}`", op.method.as_str(), routes[0], other.id))
                        .with_help("give the endpoint a path of its own (a literal segment where the other has a parameter, or another method)"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::tests::model;

    const API: &str = "[api]\nname = \"shop\"\nversion = \"1.0.0\"\n[resources.rows.schema]\ntable = { type = \"string\" }\n";

    #[test]
    fn an_endpoint_is_an_operation_with_typed_parameters() {
        let m = model(&format!(
            "{API}[endpoints.table_count]\nmethod = \"GET\"\npath = \"tables/{{table_name}}/count\"\nquery = {{ since = {{ type = \"datetime\" }} }}\nresponse = {{ type = \"integer\" }}\n"
        ))
        .expect("valid spec");
        let op = m
            .operations
            .iter()
            .find(|o| o.id == "endpoints.table_count")
            .expect("an operation");
        assert_eq!(op.routes(&m.api.prefix), ["/api/v1/tables/{id}/count"]);
        let endpoint = &m.endpoints[0];
        assert_eq!(endpoint.path_fields[0].name, "table_name");
        assert!(endpoint.path_fields[0].required);
        assert_eq!(endpoint.query[0].kind, super::Kind::Datetime);
        assert_eq!(endpoint.type_prefix, "TableCount");
        assert_eq!(endpoint.method, super::Method::Get);
    }

    #[test]
    fn the_default_method_is_post() {
        let m = model(&format!("{API}[endpoints.append]\npath = \"append\"\n")).expect("valid");
        assert_eq!(m.endpoints[0].method, super::Method::Post);
    }

    #[test]
    fn refused_shapes() {
        for (spec, expected) in [
            (
                "[endpoints.x]\npath = \"a/{b c}\"\n",
                "invalid path parameter",
            ),
            (
                "[endpoints.x]\nmethod = \"GET\"\npath = \"a\"\nbody = { type = \"dict\" }\n",
                "a GET endpoint with a body",
            ),
            (
                "[endpoints.x]\npath = \"a\"\nquery = { d = { type = \"dict\" } }\n",
                "query parameter `d` is a `dict`",
            ),
            (
                "[endpoints.x]\npath = \"a\"\npath_params = { b = { type = \"string\" } }\n",
                "not a parameter of the path",
            ),
            (
                "[endpoints.x]\nmethod = \"GET\"\npath = \"rows\"\n",
                "already operation `rows.get_collection`",
            ),
            (
                "[endpoints.x]\npath = \"a\"\nbody = { type = \"media\" }\n",
                "cannot be used here",
            ),
        ] {
            let error = model(&format!("{API}{spec}")).expect_err(spec);
            assert!(error.to_string().contains(expected), "{spec}: {error}");
        }
    }
}
