//! The oplog and the schema endpoint: Eve's `OPLOG_*` settings and `SCHEMA_ENDPOINT`.
//!
//! The oplog is stored and served as a resource the spec does not declare: with
//! `oplog = true` the Model gets one more resource, named `oplog_name`, with Eve's fixed
//! schema (`r`, `o`, `i`, `ip`, `u`, `c`), GET only, integer ids (the table's
//! `AUTOINCREMENT` key numbers the entries in commit order), served at
//! `oplog_endpoint` or, without it, internal (Eve's: an oplog without an endpoint is an
//! internal resource). Being a resource, it gets its table (and so its migration), its
//! routes, its place on the home page and in OpenAPI, and the runtime's read machinery
//! (`where`, `sort`, paging, `_links`), with nothing written twice.

use toml::Spanned;

use super::{Methods, Resolver, Resource};
use crate::diagnostic::Diagnostic;
use crate::spec::{ApiSpec, ResourceSpec};

/// The oplog's settings, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Oplog {
    /// Eve's `OPLOG_NAME`: the oplog resource's name (and table's).
    pub name: String,
    /// Eve's `OPLOG_ENDPOINT`: where it is served; `None`: it is internal.
    pub endpoint: Option<String>,
    /// Eve's `OPLOG_METHODS`.
    pub methods: Methods,
    /// Eve's `OPLOG_CHANGE_METHODS`.
    pub change_methods: Methods,
    /// Eve's `OPLOG_AUDIT`.
    pub audit: bool,
}

/// Eve's `OPLOG_METHODS` and `OPLOG_CHANGE_METHODS` allow these.
const WRITE_METHODS: [&str; 4] = ["POST", "PATCH", "PUT", "DELETE"];

impl Resolver<'_> {
    /// The spec's oplog settings, checked; `None` when `oplog` is off.
    pub(super) fn oplog(&self, api: &ApiSpec) -> Result<Option<Oplog>, Diagnostic> {
        let on = api.oplog.as_ref().is_some_and(|on| *on.get_ref());
        if !on {
            // Eve ignores them without `OPLOG`; here a setting that does nothing is a
            // mistake to point out.
            let stray = [
                api.oplog_name.as_ref().map(|s| (s.span(), "oplog_name")),
                api.oplog_endpoint
                    .as_ref()
                    .map(|s| (s.span(), "oplog_endpoint")),
                api.oplog_methods
                    .as_ref()
                    .map(|s| (s.span(), "oplog_methods")),
                api.oplog_change_methods
                    .as_ref()
                    .map(|s| (s.span(), "oplog_change_methods")),
                api.oplog_audit.as_ref().map(|s| (s.span(), "oplog_audit")),
            ];
            if let Some((span, key)) = stray.into_iter().flatten().next() {
                return Err(Diagnostic::at(
                    self.path,
                    self.source,
                    span,
                    format!("`{key}` does nothing while the oplog is off"),
                )
                .with_help("add `oplog = true` to `[api]`, or remove this setting"));
            }
            return Ok(None);
        }
        let name = match &api.oplog_name {
            None => "oplog".to_string(),
            Some(name) => {
                let text = name.get_ref();
                if self.spec.resources.keys().any(|k| k.get_ref() == text) {
                    return Err(self
                        .error(name, format!("the oplog's name `{text}` is a resource's"))
                        .with_help("the oplog is a resource of its own: give it another name"));
                }
                if !super::resolve::is_lower_name(text) {
                    return Err(self
                        .error(name, format!("invalid oplog name `{text}`"))
                        .with_help("name it like a resource: a lowercase letter, then lowercase letters, digits or `_`"));
                }
                text.clone()
            }
        };
        if api.oplog_name.is_none() && self.spec.resources.keys().any(|k| k.get_ref() == &name) {
            let resource = self
                .spec
                .resources
                .keys()
                .find(|k| k.get_ref() == &name)
                .expect("found above");
            return Err(self
                .error(resource, "this resource has the oplog's name, `oplog`")
                .with_help("name the oplog otherwise with `oplog_name = \"...\"` in `[api]`, or rename this resource"));
        }
        let endpoint = match &api.oplog_endpoint {
            None => None,
            Some(endpoint) => Some(self.endpoint_url(endpoint, "oplog_endpoint")?),
        };
        Ok(Some(Oplog {
            name,
            endpoint,
            methods: self.write_methods(
                api.oplog_methods.as_ref(),
                "oplog_methods",
                &WRITE_METHODS,
            )?,
            change_methods: self.write_methods(
                api.oplog_change_methods.as_ref(),
                "oplog_change_methods",
                &["DELETE", "PATCH", "PUT"],
            )?,
            audit: api.oplog_audit.as_ref().is_none_or(|a| *a.get_ref()),
        }))
    }

    /// The spec's `schema_endpoint`, checked.
    pub(super) fn schema_endpoint(&self, api: &ApiSpec) -> Result<Option<String>, Diagnostic> {
        let Some(endpoint) = &api.schema_endpoint else {
            return Ok(None);
        };
        let url = self.endpoint_url(endpoint, "schema_endpoint")?;
        let oplog = api.oplog_endpoint.as_ref();
        if oplog.is_some_and(|o| o.get_ref().trim_matches('/') == url) {
            return Err(self
                .error(
                    endpoint,
                    format!("`schema_endpoint` `{url}` is the oplog's url too"),
                )
                .with_help("give the two endpoints different urls"));
        }
        Ok(Some(url))
    }

    /// An endpoint's url: a plain path, no resource's url, trimmed of `/`.
    fn endpoint_url(&self, url: &Spanned<String>, key: &str) -> Result<String, Diagnostic> {
        let trimmed = url.get_ref().trim_matches('/');
        let valid = !trimmed.is_empty()
            && trimmed.split('/').all(|s| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            });
        if !valid {
            return Err(self
                .error(url, format!("invalid `{key}` `{}`", url.get_ref()))
                .with_help("an endpoint is a path below the API's prefix, like \"oplog\" or \"meta/schema\""));
        }
        let taken = self.spec.resources.iter().find(|(name, resource)| {
            let resource_url = resource
                .get_ref()
                .url
                .as_ref()
                .map(|u| u.get_ref().trim_matches('/'));
            resource_url.unwrap_or(name.get_ref()) == trimmed
        });
        if let Some((name, _)) = taken {
            return Err(self
                .error(
                    url,
                    format!(
                        "`{key}` `{trimmed}` is the url of resource `{}`",
                        name.get_ref()
                    ),
                )
                .with_help("give the endpoint a url no resource has"));
        }
        Ok(trimmed.to_string())
    }

    /// A list of write methods (`oplog_methods`...): `default` when not given.
    fn write_methods(
        &self,
        listed: Option<&Spanned<Vec<Spanned<String>>>>,
        key: &str,
        default: &[&str],
    ) -> Result<Methods, Diagnostic> {
        let mut methods = Methods::default();
        let names: Vec<(&str, Option<&Spanned<String>>)> = match listed {
            None => default.iter().map(|m| (*m, None)).collect(),
            Some(list) => list
                .get_ref()
                .iter()
                .map(|m| (m.get_ref().as_str(), Some(m)))
                .collect(),
        };
        for (name, spanned) in names {
            match name {
                "POST" => methods.post = true,
                "PATCH" => methods.patch = true,
                "PUT" => methods.put = true,
                "DELETE" => methods.delete = true,
                other => {
                    let spanned = spanned.expect("the defaults are write methods");
                    let upper = other.to_ascii_uppercase();
                    let help = if WRITE_METHODS.contains(&upper.as_str()) {
                        format!("write methods in capitals: \"{upper}\"")
                    } else {
                        "the methods that write are \"POST\", \"PATCH\", \"PUT\" and \"DELETE\""
                            .to_string()
                    };
                    return Err(self
                        .error(
                            spanned,
                            format!("method `{other}` is not allowed in `{key}`"),
                        )
                        .with_help(help));
                }
            }
        }
        Ok(methods)
    }

    /// The oplog's resource: Eve's fixed schema, read-only, numbered entries.
    pub(super) fn oplog_resource(&self, oplog: &Oplog) -> Result<Resource, Diagnostic> {
        // Eve's schema is `{"r": {}, "o": {}, "i": {}, "ip": {}, "c": {}, "u": {}}`; here
        // each field gets the type its values have, so `where` can compare them.
        let url = oplog.endpoint.as_deref().unwrap_or(&oplog.name);
        let internal = oplog.endpoint.is_none();
        // Only names and urls checked above go in: the text always parses.
        let source = format!(
            "url = \"{url}\"\nitem_title = \"{name}\"\nid_type = \"integer\"\n\
             internal_resource = {internal}\n\
             [schema]\nr = {{ type = \"string\" }}\no = {{ type = \"string\" }}\n\
             i = {{ type = \"string\" }}\nip = {{ type = \"string\" }}\n\
             u = {{ type = \"string\" }}\nc = {{ type = \"dict\" }}\n",
            name = oplog.name,
        );
        let spec: ResourceSpec =
            toml::from_str(&source).expect("the oplog's resource spec is apigen's own text");
        let name = Spanned::new(0..0, oplog.name.clone());
        self.resource(&name, &spec)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::model;
    use super::super::{Action, IdType, Methods};

    const BOOKS: &str = "[resources.books.schema]\ntitle = { type = \"string\" }\n";

    fn spec(api: &str) -> String {
        format!("[api]\nname = \"shop\"\nversion = \"1.0.0\"\n{api}\n{BOOKS}")
    }

    #[test]
    fn an_oplog_without_endpoint_is_an_internal_resource_with_eves_defaults() {
        let model = model(&spec("oplog = true")).expect("valid");
        let oplog = model.api.oplog.as_ref().expect("an oplog");
        assert_eq!(oplog.name, "oplog");
        assert_eq!(oplog.endpoint, None);
        let all = Methods {
            post: true,
            put: true,
            patch: true,
            delete: true,
        };
        assert_eq!(oplog.methods, all);
        assert_eq!(oplog.change_methods, Methods { post: false, ..all });
        assert!(oplog.audit);
        let resource = model.resources.iter().find(|r| r.name == "oplog").unwrap();
        assert!(resource.internal);
        assert!(!resource.oplog);
        assert_eq!(resource.id_type, IdType::Integer);
        let fields: Vec<&str> = resource.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(fields, ["r", "o", "i", "ip", "u", "c"]);
        assert!(
            model
                .resources
                .iter()
                .find(|r| r.name == "books")
                .unwrap()
                .oplog
        );
        assert!(
            model
                .operations
                .iter()
                .all(|op| op.resource.as_deref() != Some("oplog"))
        );
    }

    #[test]
    fn an_oplog_endpoint_serves_the_oplog_read_only() {
        let source = spec(
            "oplog = true\noplog_name = \"journal\"\noplog_endpoint = \"/meta/log/\"\n\
             oplog_methods = [\"PATCH\"]\noplog_change_methods = []\noplog_audit = false",
        );
        let model = model(&source).expect("valid");
        let oplog = model.api.oplog.as_ref().expect("an oplog");
        assert_eq!(oplog.endpoint.as_deref(), Some("meta/log"));
        assert!(oplog.methods.patch && !oplog.methods.post);
        assert_eq!(oplog.change_methods, Methods::default());
        assert!(!oplog.audit);
        let journal = model
            .resources
            .iter()
            .find(|r| r.name == "journal")
            .unwrap();
        assert_eq!(journal.url, "meta/log");
        assert!(!journal.internal);
        let actions: Vec<Action> = model
            .operations
            .iter()
            .filter(|op| op.resource.as_deref() == Some("journal"))
            .map(|op| op.action)
            .collect();
        assert_eq!(actions, [Action::GetCollection, Action::GetItem]);
    }

    #[test]
    fn the_schema_endpoint_is_two_operations_after_the_resources() {
        let model = model(&spec("schema_endpoint = \"schema\"")).expect("valid");
        assert_eq!(model.api.schema_endpoint.as_deref(), Some("schema"));
        assert!(model.api.oplog.is_none());
        let last: Vec<(Action, String)> = model
            .operations
            .iter()
            .rev()
            .take(2)
            .map(|op| (op.action, op.template()))
            .collect();
        assert_eq!(
            last,
            [
                (Action::SchemaItem, "schema/{resource}".to_string()),
                (Action::Schema, "schema".to_string())
            ]
        );
    }
}
