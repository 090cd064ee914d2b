//! Routing: the `{field}` segments of a sub-resource's url, the type of `_id`
//! ([`IdType`]) and `additional_lookup`. The routes themselves are the operation
//! list's (`operations`).
//! (The url's syntax and the `id_type` word are checked with the resource, in
//! `resolve`.)

use toml::Spanned;

use super::resolve::article;
use super::{Field, Kind, Resolver, Resource};
use crate::diagnostic::{Diagnostic, closest};
use crate::spec::ResourceSpec;

/// The type of a resource's `_id` (`id_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdType {
    /// 24 hex digits, made by the server (Eve's default).
    #[default]
    ObjectId,
    /// A random (version 4) UUID, made by the server.
    Uuid,
    /// SQLite's auto-incremented `INTEGER PRIMARY KEY`, a JSON number on the wire.
    Integer,
}

impl IdType {
    pub const ALL: [(&'static str, IdType); 3] = [
        ("objectid", IdType::ObjectId),
        ("uuid", IdType::Uuid),
        ("integer", IdType::Integer),
    ];
}

/// `additional_lookup`: `GET <url>/<value>` finds the document whose `field` is `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    pub field: String,
    /// What a lookup value must look like (unanchored, as written in the spec).
    pub regex: String,
}

impl Resolver<'_> {
    /// The fields a sub-resource's url names (`people/{contact_id}/invoices`): each a
    /// top-level objectid, string or integer field, named once.
    pub(super) fn path_fields(
        &self,
        spec: &ResourceSpec,
        fields: &[Field],
    ) -> Result<Vec<String>, Diagnostic> {
        let Some(url) = &spec.url else {
            return Ok(Vec::new());
        };
        let mut names: Vec<String> = Vec::new();
        for segment in url.get_ref().trim_matches('/').split('/') {
            let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                continue;
            };
            let field = fields.iter().find(|f| f.name == name);
            let problem = match field {
                None => Some(format!(
                    "the url names `{name}`, which is not a field of this resource"
                )),
                Some(f) if !matches!(f.kind, Kind::ObjectId | Kind::String | Kind::Integer) => {
                    Some(format!(
                        "the url names `{name}`, {} `{}` field",
                        article(f.kind.name()),
                        f.kind.name()
                    ))
                }
                Some(_) if names.iter().any(|n| n == name) => {
                    Some(format!("the url names `{name}` twice"))
                }
                Some(_) => None,
            };
            if let Some(problem) = problem {
                return Err(self.error(url, problem).with_help(
                    "each `{field}` of a sub-resource url is a top-level objectid, string or integer field of the resource (usually its data_relation to the parent), named once",
                ));
            }
            names.push(name.to_string());
        }
        Ok(names)
    }

    /// `additional_lookup`: a unique top-level field and a `regex("...")` for its values.
    pub(super) fn lookup(
        &self,
        spanned: &Spanned<crate::spec::LookupSpec>,
        fields: &[Field],
    ) -> Result<Lookup, Diagnostic> {
        let spec = spanned.get_ref();
        let name = spec.field.get_ref();
        match fields.iter().find(|f| &f.name == name) {
            Some(f) if f.unique && matches!(f.kind, Kind::String | Kind::Integer) => {}
            Some(f) if !f.unique => {
                return Err(self
                    .error(
                        &spec.field,
                        format!("the lookup field `{name}` is not unique"),
                    )
                    .with_help(format!(
                        "mark `{name}` with `unique = true`: a lookup must name one document"
                    )));
            }
            Some(f) => {
                return Err(self
                    .error(
                        &spec.field,
                        format!(
                            "the lookup field `{name}` is {} `{}` field",
                            article(f.kind.name()),
                            f.kind.name()
                        ),
                    )
                    .with_help("a lookup field is a unique string or integer field"));
            }
            None => {
                let help = match closest(name, fields.iter().map(|f| f.name.as_str())) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "name a unique string or integer field of this resource".to_string(),
                };
                return Err(self
                    .error(
                        &spec.field,
                        format!("the lookup field `{name}` is not a field of this resource"),
                    )
                    .with_help(help));
            }
        }
        let regex = match &spec.url {
            None => r"[\w]+".to_string(),
            Some(url) => {
                let pattern = url
                    .get_ref()
                    .strip_prefix("regex(\"")
                    .and_then(|s| s.strip_suffix("\")"))
                    .filter(|p| regex::Regex::new(&format!("^(?:{p})$")).is_ok());
                match pattern {
                    Some(p) => p.to_string(),
                    None => {
                        return Err(self
                            .error(url, format!("invalid lookup url `{}`", url.get_ref()))
                            .with_help(r#"write the lookup's values as a regex, like `url = 'regex("[\w]+")'`"#));
                    }
                }
            }
        };
        Ok(Lookup {
            field: name.clone(),
            regex,
        })
    }
}

impl Resource {
    /// The url with every `{field}` written `{}`: two resources with the same shape
    /// would answer the same requests.
    pub fn route_shape(&self) -> String {
        self.url
            .split('/')
            .map(|s| if s.starts_with('{') { "{}" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    }
}
