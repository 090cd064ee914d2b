//! What a spec asks of the user's own code: custom validation rules (`validator`),
//! each a method of the generated `Validators` trait the user's `src/validators.rs`
//! implements, and Eve's hooks (`hooks`), each a method of a generated hook trait the
//! user's `src/hooks.rs` implements. Either way a name in the spec that the user's
//! code lacks is a build error, and code that nothing names is never called: the
//! server does no work for hooks nobody wrote.

use toml::Spanned;

use super::operations::Method;
use super::{Field, Methods, Model, Resolver, rust_ident};
use crate::diagnostic::{Diagnostic, closest};
use crate::spec::ResourceSpec;

/// One of Eve's hooks a spec names (`hooks = ["on_fetched_item", "on_pre_GET"]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hook {
    /// `on_pre_<METHOD>`: before the request is handled; may refuse it.
    Pre(Method),
    /// `on_post_<METHOD>`: after it, with the status and the response payload.
    Post(Method),
    /// `on_fetched_resource`: the documents of a collection GET, before they are served.
    FetchedResource,
    /// `on_fetched_item`: the document of an item GET, before it is served.
    FetchedItem,
}

impl Hook {
    /// Every hook, in the order the generated traits list them.
    pub fn all() -> Vec<Hook> {
        let mut all = vec![Hook::FetchedResource, Hook::FetchedItem];
        all.extend(Method::ALL.map(Hook::Pre));
        all.extend(Method::ALL.map(Hook::Post));
        all
    }

    /// Eve's name: `on_pre_GET`, `on_fetched_item`.
    pub fn eve_name(self) -> String {
        match self {
            Hook::Pre(method) => format!("on_pre_{}", method.as_str()),
            Hook::Post(method) => format!("on_post_{}", method.as_str()),
            Hook::FetchedResource => "on_fetched_resource".to_string(),
            Hook::FetchedItem => "on_fetched_item".to_string(),
        }
    }

    /// The trait method's name: Eve's, in snake case (`on_pre_get`).
    pub fn method_name(self) -> String {
        self.eve_name().to_ascii_lowercase()
    }

    /// The request hook's method, `None` for fetch hooks.
    pub fn method(self) -> Option<Method> {
        match self {
            Hook::Pre(method) | Hook::Post(method) => Some(method),
            _ => None,
        }
    }
}

/// The methods a resource answers, with GET always on.
fn answers(methods: (Methods, Methods), method: Method) -> bool {
    let (collection, item) = methods;
    match method {
        Method::Get => true,
        Method::Post => collection.post,
        Method::Put => item.put,
        Method::Patch => item.patch,
        Method::Delete => collection.delete || item.delete,
    }
}

/// A custom rule the spec names, and where: one required method of `Validators`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validator {
    /// The rule's name in the spec and its method's name (`odd`).
    pub name: String,
    /// The fields that use it, as `resource.field.path` (list items: `field[]`).
    pub used_by: Vec<String>,
}

impl Resolver<'_> {
    /// A field's `validator`: a name that is a plain Rust method name.
    pub(super) fn validator(
        &self,
        name: Option<&Spanned<String>>,
    ) -> Result<Option<String>, Diagnostic> {
        let Some(name) = name else {
            return Ok(None);
        };
        let text = name.get_ref();
        let plain = text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !plain || rust_ident(text) != *text {
            return Err(self
                .error(name, format!("invalid validator name `{text}`"))
                .with_help("a validator is a method of your `Validators` implementation: a lowercase name of letters, digits and `_` that is not a Rust keyword, like `odd` or `is_isbn`"));
        }
        Ok(Some(text.clone()))
    }
}

impl Resolver<'_> {
    /// A `hooks` list: Eve's names, each once.
    fn hooks<'s>(
        &self,
        listed: &'s [Spanned<String>],
    ) -> Result<Vec<(Hook, &'s Spanned<String>)>, Diagnostic> {
        let all = Hook::all();
        let mut hooks: Vec<(Hook, &Spanned<String>)> = Vec::new();
        for name in listed {
            let text = name.get_ref();
            let Some(hook) = all.iter().copied().find(|h| h.eve_name() == *text) else {
                let names: Vec<String> = all.iter().map(|h| h.eve_name()).collect();
                let help = match closest(text, names.iter().map(String::as_str)) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "the hooks are `on_fetched_resource`, `on_fetched_item`, `on_pre_<METHOD>` and `on_post_<METHOD>` (GET, POST, PUT, PATCH, DELETE)".to_string(),
                };
                return Err(self
                    .error(name, format!("unknown hook `{text}`"))
                    .with_help(help));
            };
            if hooks.iter().any(|(h, _)| *h == hook) {
                return Err(self
                    .error(name, format!("`{text}` is listed twice"))
                    .with_help("name each hook once"));
            }
            hooks.push((hook, name));
        }
        hooks.sort_by_key(|(hook, _)| *hook);
        Ok(hooks)
    }

    /// `[api] hooks`: request and fetch hooks, called for every resource with its name
    /// (fetch hooks with its documents as JSON: they cannot be typed per resource).
    pub(super) fn api_hooks(
        &self,
        listed: Option<&[Spanned<String>]>,
    ) -> Result<Vec<Hook>, Diagnostic> {
        let hooks = self.hooks(listed.unwrap_or_default())?;
        Ok(hooks.into_iter().map(|(hook, _)| hook).collect())
    }

    /// A resource's `hooks`, which must name methods the resource answers.
    pub(super) fn resource_hooks(
        &self,
        spec: &ResourceSpec,
        collection: Methods,
        item: Methods,
    ) -> Result<Vec<Hook>, Diagnostic> {
        let hooks = self.hooks(spec.hooks.as_deref().unwrap_or_default())?;
        if spec.internal_resource
            && let Some((_, name)) = hooks.first()
        {
            return Err(self
                .error(name, "an internal resource has no requests to hook")
                .with_help("write to it from the hooks of the resources that are served, or remove `hooks`"));
        }
        for (hook, name) in &hooks {
            if let Some(method) = hook.method()
                && !answers((collection, item), method)
            {
                return Err(self
                    .error(
                        name,
                        format!("the resource does not answer {}", method.as_str()),
                    )
                    .with_help(format!(
                        "add {} to `resource_methods` or `item_methods`, or remove `{}`",
                        method.as_str(),
                        name.get_ref()
                    )));
            }
        }
        Ok(hooks.into_iter().map(|(hook, _)| hook).collect())
    }
}

impl Model {
    /// The custom rules the spec names, sorted by name, each with the fields using it.
    pub fn validators(&self) -> Vec<Validator> {
        fn collect(
            field: &Field,
            path: String,
            out: &mut std::collections::BTreeMap<String, Vec<String>>,
        ) {
            if let Some(name) = &field.validator {
                out.entry(name.clone()).or_default().push(path.clone());
            }
            for nested in &field.schema {
                collect(nested, format!("{path}.{}", nested.name), out);
            }
            if let Some(items) = &field.items {
                collect(items, format!("{path}[]"), out);
            }
        }
        let mut out = std::collections::BTreeMap::new();
        for resource in &self.resources {
            for field in &resource.fields {
                collect(field, format!("{}.{}", resource.name, field.name), &mut out);
            }
        }
        out.into_iter()
            .map(|(name, used_by)| Validator { name, used_by })
            .collect()
    }
}

impl super::Resource {
    /// The hooks trait the user implements for this resource: `PeopleHooks`.
    pub fn hooks_trait(&self) -> String {
        format!("{}Hooks", self.doc_type.trim_end_matches("Document"))
    }

    /// Whether a request to it calls hooks: its own, or the API's.
    pub fn has_request_hooks(&self, api: &super::Api) -> bool {
        !self.internal
            && api
                .hooks
                .iter()
                .chain(&self.hooks)
                .any(|hook| hook.method().is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::model;
    use super::Hook;
    use crate::model::Method;

    const API: &str = "[api]\nname = \"t\"\nversion = \"1.0.0\"\n";

    #[test]
    fn validators_are_listed_once_with_every_field_using_them() {
        let source = format!(
            "{API}[resources.things.schema]\nn = {{ type = \"integer\", validator = \"odd\" }}\n\
             tags = {{ type = \"list\", items = {{ type = \"integer\", validator = \"odd\" }} }}\n\
             meta = {{ type = \"dict\", schema = {{ code = {{ type = \"string\", validator = \"is_code\" }} }} }}\n"
        );
        let model = model(&source).expect("a valid spec");
        let names: Vec<(String, Vec<String>)> = model
            .validators()
            .into_iter()
            .map(|v| (v.name, v.used_by))
            .collect();
        assert_eq!(
            names,
            [
                ("is_code".to_string(), vec!["things.meta.code".to_string()]),
                (
                    "odd".to_string(),
                    vec!["things.n".to_string(), "things.tags[]".to_string()]
                ),
            ]
        );
    }

    #[test]
    fn a_validator_name_must_be_a_method_name() {
        for bad in ["Odd", "is-odd", "fn", "1st", ""] {
            let source = format!(
                "{API}[resources.things.schema]\nn = {{ type = \"integer\", validator = \"{bad}\" }}\n"
            );
            let error = model(&source).expect_err(bad).to_string();
            assert!(error.contains("invalid validator name"), "{bad}: {error}");
        }
    }

    #[test]
    fn hooks_take_eves_names_and_sort_in_one_order() {
        let source = format!(
            "{API}hooks = [\"on_post_POST\", \"on_pre_GET\"]\n[resources.things]\nresource_methods = [\"GET\", \"POST\"]\n\
             hooks = [\"on_pre_POST\", \"on_fetched_item\", \"on_fetched_resource\"]\n[resources.things.schema]\nn = {{ type = \"integer\" }}\n"
        );
        let model = model(&source).expect("a valid spec");
        assert_eq!(
            model.api.hooks,
            [Hook::Pre(Method::Get), Hook::Post(Method::Post)]
        );
        let things = &model.resources[0];
        assert_eq!(
            things.hooks,
            [
                Hook::Pre(Method::Post),
                Hook::FetchedResource,
                Hook::FetchedItem
            ]
        );
        assert_eq!(things.hooks_trait(), "ThingsHooks");
        assert!(things.has_request_hooks(&model.api));
        let names: Vec<String> = things.hooks.iter().map(|h| h.method_name()).collect();
        assert_eq!(
            names,
            ["on_pre_post", "on_fetched_resource", "on_fetched_item"]
        );
    }

    #[test]
    fn misnamed_and_misplaced_hooks_are_refused() {
        for (api, resource, expected) in [
            ("", "hooks = [\"on_pre_get\"]", "did you mean `on_pre_GET`?"),
            (
                "",
                "hooks = [\"on_pre_GET\", \"on_pre_GET\"]",
                "listed twice",
            ),
            ("", "hooks = [\"on_pre_PUT\"]", "does not answer PUT"),
        ] {
            let source = format!(
                "{API}{api}\n[resources.things]\n{resource}\n[resources.things.schema]\nn = {{ type = \"integer\" }}\n"
            );
            let error = model(&source).expect_err(resource);
            let text = format!("{error} {}", error.help.clone().unwrap_or_default());
            assert!(text.contains(expected), "{resource}: {text}");
        }
    }
}
