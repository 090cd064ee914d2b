//! What a spec's extension points add to a crate: the `Validators` trait of the custom
//! rules it names (apigen's) and the user's `src/validators.rs` that implements it
//! (created once, when missing, with a stub per rule that refuses every value); the
//! hook traits of the hooks it names (`ApiHooks`, one `<Resource>Hooks` per resource),
//! the tables and calls that run them, and their stubs in a new crate's `src/hooks.rs`.

use askama::Template;

use crate::crate_files::Owner;
use crate::model::{Hook, Method, Model, Resource};
use crate::render::{self, RenderError};

/// A custom rule as the templates show it.
pub struct ValidatorView {
    /// The method's name, a plain identifier (checked by the model).
    pub name: String,
    /// The fields using it, for doc comments: "`people.lucky_number`".
    pub used_by: String,
}

#[derive(Template)]
#[template(path = "crate/src/api/validators.rs", escape = "none")]
struct ApiValidatorsRs<'a> {
    validators: &'a [ValidatorView],
}

#[derive(Template)]
#[template(path = "crate/src/validators.rs", escape = "none")]
struct UserValidatorsRs<'a> {
    validators: &'a [ValidatorView],
}

fn views(model: &Model) -> Vec<ValidatorView> {
    model
        .validators()
        .into_iter()
        .map(|v| ValidatorView {
            used_by: v
                .used_by
                .iter()
                .map(|path| format!("`{path}`"))
                .collect::<Vec<_>>()
                .join(", "),
            name: v.name,
        })
        .collect()
}

/// `(path, contents, owner)` of each file the spec's extension points need; none when
/// it names no custom rule.
pub fn files(model: &Model) -> Result<Vec<(&'static str, String, Owner)>, RenderError> {
    let mut files = Vec::new();
    if let Some(api_hooks) = api_hooks_file(model)? {
        files.push(("src/api/api_hooks.rs", api_hooks, Owner::Apigen));
    }
    let validators = views(model);
    if validators.is_empty() {
        return Ok(files);
    }
    let generated = render::rust(
        &ApiValidatorsRs {
            validators: &validators,
        },
        "crate/src/api/validators.rs",
    )?;
    // The user's file is theirs to format: written as the template lays it out.
    let user = render::text(
        &UserValidatorsRs {
            validators: &validators,
        },
        "crate/src/validators.rs",
    )?;
    files.push(("src/api/validators.rs", generated, Owner::Apigen));
    files.push(("src/validators.rs", user, Owner::User));
    Ok(files)
}

/// The Rust of a resource's hooks, for its module (`resources/<name>.rs`); empty
/// strings when the spec names none, so the module is what it was without hooks.
#[derive(Debug, Default)]
pub struct ResourceHooks {
    /// Items of `impl Resource`: the fetch hooks, calling the user's methods.
    pub resource_items: String,
    /// After the impl: the `<Resource>Hooks` trait and the `REQUEST_HOOKS` table.
    pub declarations: String,
}

const HOOKS_TYPE: &str = "crate::hooks::AppHooks";
const REQUEST: &str = "crate::api::request_hooks::Request<'_>";
const STATUS: &str = "crate::api::request_hooks::StatusCode";
const PRE_RESULT: &str = "::std::result::Result<(), crate::api::error::ApiError>";
const JSON_MAP: &str = "::serde_json::Map<::std::string::String, ::serde_json::Value>";

/// A hook's signature in a trait, after its name: typed with `doc` for a resource's
/// trait, with the resource's name first for `ApiHooks`.
fn signature(hook: Hook, doc: Option<&str>) -> String {
    let resource = if doc.is_some() {
        ""
    } else {
        "resource: &str, "
    };
    match (hook, doc) {
        (Hook::FetchedResource, Some(doc)) => {
            format!("(documents: &mut ::std::vec::Vec<{doc}>)")
        }
        (Hook::FetchedItem, Some(doc)) => format!("(document: &mut {doc})"),
        // API-wide: the documents as served, as JSON, with the resource's name.
        (Hook::FetchedResource, None) => format!("(resource: &str, documents: &mut [{JSON_MAP}])"),
        (Hook::FetchedItem, None) => format!("(resource: &str, document: &mut {JSON_MAP})"),
        (Hook::Pre(_), _) => format!("({resource}request: &{REQUEST}) -> {PRE_RESULT}"),
        (Hook::Post(_), _) => format!(
            "({resource}request: &{REQUEST}, status: {STATUS}, payload: &::serde_json::Value)"
        ),
    }
}

/// What a hook is for, for its doc comment.
fn hook_doc(hook: Hook, resource: Option<&str>) -> String {
    let eve = match resource {
        Some(name) => format!("{}_{name}", hook.eve_name()),
        None => hook.eve_name(),
    };
    let what = match (hook, resource) {
        (Hook::FetchedResource, Some(_)) => "a collection page's documents, before they are served and embedded (a read moved off the async workers runs again, and so may call it again)".to_string(),
        (Hook::FetchedItem, Some(_)) => "an item's document, before it is served and embedded (not for a 304)".to_string(),
        (Hook::FetchedResource, None) => "a collection page's documents as served (embedded, files resolved; before `_links` and `?projection=`), as JSON; after the resource's own, typed hook".to_string(),
        (Hook::FetchedItem, None) => "an item's document as served (embedded, files resolved; before `_links` and `?projection=`), as JSON; after the resource's own, typed hook; not for a 304 or a soft-deleted document".to_string(),
        (Hook::Pre(method), _) => format!(
            "before a {}{} is handled; `Err` refuses it with that error",
            method.as_str(),
            if method == Method::Get { " (or HEAD)" } else { "" }
        ),
        (Hook::Post(method), _) => format!(
            "after a {} was answered: its status and its JSON payload (`null` when empty)",
            method.as_str()
        ),
    };
    format!("/// Eve's `{eve}`: {what}.")
}

impl ResourceHooks {
    pub fn new(model: &Model, resource: &Resource) -> ResourceHooks {
        let mut hooks = ResourceHooks::default();
        let doc = &resource.doc_type;
        let hooks_trait = resource.hooks_trait();
        let call = |hook: Hook| format!("<{HOOKS_TYPE} as {hooks_trait}>::{}", hook.method_name());
        if resource.hooks.contains(&Hook::FetchedResource) {
            hooks.resource_items.push_str(&format!(
                "const FETCHED_RESOURCE: bool = true;\n\
                 fn fetched_resource(documents: &mut ::std::vec::Vec<Self>) {{ {}(documents) }}\n",
                call(Hook::FetchedResource)
            ));
        }
        if resource.hooks.contains(&Hook::FetchedItem) {
            hooks.resource_items.push_str(&format!(
                "fn fetched_item(document: &mut Self) {{ {}(document) }}\n",
                call(Hook::FetchedItem)
            ));
        }
        // `[api] hooks`' fetch hooks, given this resource's name.
        let api = |hook: Hook| {
            format!(
                "<{HOOKS_TYPE} as crate::api::api_hooks::ApiHooks>::{}({}, ",
                hook.method_name(),
                crate::rust::str_lit(&resource.name)
            )
        };
        if !resource.internal && model.api.hooks.contains(&Hook::FetchedResource) {
            hooks.resource_items.push_str(&format!(
                "const API_FETCHED_RESOURCE: bool = true;\n\
                 fn api_fetched_resource(documents: &mut [{JSON_MAP}]) {{ {}documents) }}\n",
                api(Hook::FetchedResource)
            ));
        }
        if !resource.internal && model.api.hooks.contains(&Hook::FetchedItem) {
            hooks.resource_items.push_str(&format!(
                "const API_FETCHED_ITEM: bool = true;\n\
                 fn api_fetched_item(document: &mut {JSON_MAP}) {{ {}document) }}\n",
                api(Hook::FetchedItem)
            ));
        }
        if !resource.hooks.is_empty() {
            let methods: String = resource
                .hooks
                .iter()
                .map(|&hook| {
                    format!(
                        "{}\nfn {}{};\n",
                        hook_doc(hook, Some(&resource.name)),
                        hook.method_name(),
                        signature(hook, Some(doc))
                    )
                })
                .collect();
            hooks.declarations.push_str(&format!(
                "/// The hooks `[resources.{}] hooks` names, typed with `{doc}`: your\n\
                 /// `src/hooks.rs` implements them for `AppHooks`.\n\
                 pub trait {hooks_trait} {{\n{methods}}}\n",
                resource.name
            ));
        }
        if resource.has_request_hooks(&model.api) {
            hooks
                .declarations
                .push_str(&request_hooks_static(model, resource, &call));
        }
        hooks
    }
}

/// `REQUEST_HOOKS`: per method, the API's hooks then the resource's, and a function
/// per resource hook that fits it to the table's signature.
fn request_hooks_static(
    model: &Model,
    resource: &Resource,
    call: &dyn Fn(Hook) -> String,
) -> String {
    let mut functions = String::new();
    let mut methods = String::new();
    for method in Method::ALL {
        let mut lists = Vec::new();
        for (make, kind) in [
            (Hook::Pre as fn(Method) -> Hook, "pre"),
            (Hook::Post, "post"),
        ] {
            let hook = make(method);
            let mut entries = Vec::new();
            if model.api.hooks.contains(&hook) {
                entries.push(format!(
                    "<{HOOKS_TYPE} as crate::api::api_hooks::ApiHooks>::{}",
                    hook.method_name()
                ));
            }
            if resource.hooks.contains(&hook) {
                let name = hook.method_name();
                let (params, args, result) = match hook {
                    Hook::Pre(_) => (
                        format!("request: &{REQUEST}"),
                        "request",
                        format!(" -> {PRE_RESULT}"),
                    ),
                    _ => (
                        format!(
                            "request: &{REQUEST}, status: {STATUS}, payload: &::serde_json::Value"
                        ),
                        "request, status, payload",
                        String::new(),
                    ),
                };
                functions.push_str(&format!(
                    "fn {name}(_resource: &str, {params}){result} {{ {}({args}) }}\n",
                    call(hook)
                ));
                entries.push(name);
            }
            if !entries.is_empty() {
                lists.push(format!("{kind}: &[{}]", entries.join(", ")));
            }
        }
        if !lists.is_empty() {
            methods.push_str(&format!(
                "{}: crate::api::request_hooks::MethodHooks {{ {}, ..crate::api::request_hooks::MethodHooks::NONE }},\n",
                method.lowercase(),
                lists.join(", ")
            ));
        }
    }
    format!(
        "/// The request hooks of `{name}`, the API's first, by method: the router runs them\n\
         /// around its routes (`request_hooks::run`).\n\
         pub static REQUEST_HOOKS: crate::api::request_hooks::RequestHooks = crate::api::request_hooks::RequestHooks {{\n\
         resource: {lit},\n{methods}..crate::api::request_hooks::RequestHooks::NONE\n}};\n{functions}",
        name = resource.name,
        lit = crate::rust::str_lit(&resource.name),
    )
}

/// `src/api/api_hooks.rs`: the `ApiHooks` trait of `[api] hooks`, when it names any.
fn api_hooks_file(model: &Model) -> Result<Option<String>, RenderError> {
    if model.api.hooks.is_empty() {
        return Ok(None);
    }
    let methods: String = model
        .api
        .hooks
        .iter()
        .map(|&hook| {
            format!(
                "{}\nfn {}{};\n",
                hook_doc(hook, None),
                hook.method_name(),
                signature(hook, None)
            )
        })
        .collect();
    let source = format!(
        "//! The API-wide hooks `[api] hooks` names: your `src/hooks.rs` implements them\n\
         //! for `AppHooks`, and they run for every resource, given its name: request hooks\n\
         //! before its own, fetch hooks (on the documents as served, as JSON) after its own\n\
         //! typed ones. A hook named in the spec but not written is a build error naming it.\n\n\
         /// Eve's API-wide hooks, as the spec names them.\n\
         pub trait ApiHooks {{\n{methods}}}\n"
    );
    render::formatted(&source, "crate/src/api/api_hooks.rs").map(Some)
}

/// A parameter list split at its top-level commas (not those inside `<...>` or `[...]`).
fn split_params(list: &str) -> Vec<&str> {
    let (mut params, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in list.char_indices() {
        match c {
            '<' | '[' | '(' => depth += 1,
            '>' | ']' | ')' => depth -= 1,
            ',' if depth == 0 => {
                params.push(list[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    params.push(list[start..].trim());
    params
}

/// What a new crate's `src/hooks.rs` gets after its `Hooks` impl: an impl of each hook
/// trait the spec names, each hook doing nothing until the user writes it.
pub fn user_hook_impls(model: &Model) -> String {
    // Laid out as rustfmt lays it out, so a new crate passes `cargo fmt --check`.
    let stub = |hook: Hook, doc: Option<&str>| {
        let body = match hook {
            Hook::FetchedResource if doc.is_some() => "let _ = documents;",
            Hook::FetchedItem if doc.is_some() => "let _ = document;",
            Hook::FetchedResource => "let _ = (resource, documents);",
            Hook::FetchedItem => "let _ = (resource, document);",
            Hook::Pre(_) if doc.is_some() => "let _ = request;\n        Ok(())",
            Hook::Pre(_) => "let _ = (resource, request);\n        Ok(())",
            Hook::Post(_) if doc.is_some() => "let _ = (request, status, payload);",
            Hook::Post(_) => "let _ = (resource, request, status, payload);",
        };
        let signature = signature(hook, doc)
            .replace("crate::api::request_hooks::", "")
            .replace("crate::api::error::", "")
            .replace("::std::result::", "")
            .replace("::std::vec::", "")
            .replace("::std::string::", "")
            .replace("::serde_json::", "serde_json::");
        let name = hook.method_name();
        let one_line = format!("    fn {name}{signature} {{");
        let head = if one_line.len() <= 100 {
            one_line
        } else {
            // One parameter a line: `(a: A, b: B) -> R` becomes `(\n a: A,\n b: B,\n) -> R`.
            let close = signature.find(')').unwrap_or(signature.len());
            let params: String = split_params(&signature[1..close])
                .iter()
                .map(|param| format!("        {param},\n"))
                .collect();
            format!(
                "    fn {name}(\n{params}    ){} {{",
                &signature[close + 1..]
            )
        };
        format!("{head}\n        {body}\n    }}\n")
    };
    let stubs = |hooks: &[Hook], doc: Option<&str>| {
        hooks
            .iter()
            .map(|&hook| stub(hook, doc))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut out = String::new();
    let uses_request = model
        .api
        .hooks
        .iter()
        .chain(model.resources.iter().flat_map(|r| &r.hooks))
        .any(|h| h.method().is_some());
    if !model.api.hooks.is_empty() {
        out.push_str("\n/// `[api] hooks`: every resource's, given its name.\nimpl crate::api::api_hooks::ApiHooks for AppHooks {\n");
        out.push_str(&stubs(&model.api.hooks, None));
        out.push_str("}\n");
    }
    for resource in model.resources.iter().filter(|r| !r.hooks.is_empty()) {
        out.push_str(&format!(
            "\n/// `[resources.{}] hooks`, typed with its documents.\nimpl crate::api::resources::{}::{} for AppHooks {{\n",
            resource.name,
            resource.module_ident,
            resource.hooks_trait()
        ));
        let doc = format!(
            "crate::api::resources::{}::{}",
            resource.module_ident, resource.doc_type
        );
        out.push_str(&stubs(&resource.hooks, Some(&doc)));
        out.push_str("}\n");
    }
    if uses_request {
        out = format!(
            "\nuse crate::api::error::ApiError;\nuse crate::api::request_hooks::{{Request, StatusCode}};\n{out}"
        );
    }
    out
}
