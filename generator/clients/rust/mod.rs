//! The Rust client (`clients/rust/`): a crate beside the server's, named by
//! `model.clients.naming` (`library-client`, lib `library_client`).
//!
//! What does not depend on the spec (transport, auth signing, errors, the filter
//! builder's generics, pages, batches, live streams, imports) is the
//! `apigen-client-runtime` crate in `templates/clients/rust/`, compiled and tested
//! once in apigen's workspace and copied verbatim into each client as its `runtime`
//! module (its files name each other with `super::`, which resolves to the crate root
//! there and to `runtime` here). This emitter writes what the spec decides: typed
//! documents and inputs, typed field accessors, one method per operation, the custom
//! endpoints' typed parameters and answers. Source is built as text and formatted
//! with `render::formatted`.
//!
//! - this module: the file list, `Cargo.toml`, the crate root and `client.rs` (the
//!   client type, its re-exports and resource accessors), each resource's module (its
//!   types, then its handle), the README, and the helpers they share;
//! - `types`: the names chosen once, documents, inputs, nested dicts, field accessors,
//!   aggregation rows and endpoint structs;
//! - `methods`: each resource's handle with one async method per operation, the custom
//!   endpoints' module, and the client's API-level operations (home, OpenAPI, schemas).

mod methods;
mod types;

use std::fmt::Write as _;

use heck::ToUpperCamelCase;

use crate::crate_files::{OutputFile, Owner};
use crate::model::{Action, IdType, Kind, Model, Mount, Operation, Resource};
use crate::render::{self, RenderError};

use types::{Names, StructMode, Types, doc_text, lit};

/// The runtime's source files, copied into `src/runtime/`.
const RUNTIME: &[(&str, &str)] = &[
    (
        "auth",
        include_str!("../../../templates/clients/rust/src/auth.rs"),
    ),
    (
        "batch",
        include_str!("../../../templates/clients/rust/src/batch.rs"),
    ),
    (
        "document",
        include_str!("../../../templates/clients/rust/src/document.rs"),
    ),
    (
        "error",
        include_str!("../../../templates/clients/rust/src/error.rs"),
    ),
    (
        "import",
        include_str!("../../../templates/clients/rust/src/import.rs"),
    ),
    (
        "live",
        include_str!("../../../templates/clients/rust/src/live.rs"),
    ),
    (
        "page",
        include_str!("../../../templates/clients/rust/src/page.rs"),
    ),
    (
        "query",
        include_str!("../../../templates/clients/rust/src/query.rs"),
    ),
    (
        "transport",
        include_str!("../../../templates/clients/rust/src/transport.rs"),
    ),
];

/// The runtime crate's manifest: the client's dependencies are the same.
const RUNTIME_MANIFEST: &str = include_str!("../../../templates/clients/rust/Cargo.toml");

const DIR: &str = "clients/rust";

/// The rust client's files, paths starting `clients/rust/`.
pub fn files(model: &Model) -> Result<Vec<OutputFile>, RenderError> {
    let names = Names::new(model);
    let mut files = vec![
        text_file("Cargo.toml", cargo_toml(model)),
        text_file("README.md", readme(model, &names)),
    ];
    let (lib, client) = lib_rs(model, &names);
    files.push(rust_file("src/lib.rs", &lib)?);
    files.push(rust_file("src/client.rs", &client)?);
    let mut runtime_mod = String::from(
        "//! The client's runtime: the `apigen-client-runtime` crate's source, the same in\n\
         //! every generated client (transport, auth, errors, filters, pages, batches, live\n\
         //! streams, imports).\n\n",
    );
    for (module, source) in RUNTIME {
        let _ = writeln!(runtime_mod, "pub mod {module};");
        files.push(OutputFile {
            path: format!("{DIR}/src/runtime/{module}.rs"),
            contents: render::verbatim(source, module)?,
            owner: Owner::Apigen,
        });
    }
    files.push(rust_file("src/runtime/mod.rs", &runtime_mod)?);
    for resource in model.served() {
        files.push(rust_file(
            &format!("src/{}.rs", resource.module_file),
            &resource_module(model, &names, resource)?,
        )?);
    }
    if !model.endpoints.is_empty() {
        files.push(rust_file(
            "src/endpoints.rs",
            &methods::endpoints_module(model)?,
        )?);
    }
    Ok(files)
}

fn text_file(path: &str, contents: String) -> OutputFile {
    OutputFile {
        path: format!("{DIR}/{path}"),
        contents,
        owner: Owner::Apigen,
    }
}

fn rust_file(path: &str, source: &str) -> Result<OutputFile, RenderError> {
    Ok(OutputFile {
        path: format!("{DIR}/{path}"),
        contents: render::formatted(source, path)?,
        owner: Owner::Apigen,
    })
}

/// The manifest: the runtime's dependencies and features, under the client's names.
fn cargo_toml(model: &Model) -> String {
    let naming = &model.clients.naming;
    let mut out = String::from(
        "# @generated by apigen. Do not edit: `apigen generate` rewrites this file.\n",
    );
    let _ = writeln!(out, "[package]");
    let _ = writeln!(out, "name = {}", toml_str(&naming.package));
    let _ = writeln!(out, "version = {}", toml_str(&model.api.version));
    let _ = writeln!(out, "edition = \"2024\"");
    let _ = writeln!(
        out,
        "description = {}",
        toml_str(&format!("A typed client of {}", model.api.title))
    );
    if let Some(owner) = &naming.owner_name {
        let _ = writeln!(out, "authors = [{}]", toml_str(owner));
    }
    if let Some(homepage) = naming.homepage() {
        let _ = writeln!(out, "homepage = {}", toml_str(&homepage));
    }
    let _ = writeln!(out, "publish = false\n");
    let _ = writeln!(
        out,
        "[lib]\nname = {}\npath = \"src/lib.rs\"\n",
        toml_str(&naming.rust_lib)
    );
    // The runtime's features and dependencies, with their reasons, as they are.
    let start = RUNTIME_MANIFEST.find("[features]").unwrap_or(0);
    let rest = &RUNTIME_MANIFEST[start..];
    out.push_str(rest.trim_end());
    out.push('\n');
    out
}

fn toml_str(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// The path as documented: `GET /api/v1/books/{id}`.
fn display_path(model: &Model, op: &Operation) -> String {
    let base = match op.mount {
        Mount::Api => model.api.prefix.as_str(),
        Mount::Root => "",
    };
    let template = op.template();
    if template.is_empty() {
        if base.is_empty() {
            "/".to_string()
        } else {
            base.to_string()
        }
    } else {
        format!("{base}/{template}")
    }
}

/// A path parameter's Rust type and how it becomes a segment.
fn param_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Integer => "i64",
        Kind::Float | Kind::Number => "f64",
        Kind::Boolean => "bool",
        _ => "&str",
    }
}

/// The crate's root (its documentation and modules) and `client.rs` (the client type
/// and the re-exports), the two kept apart because rustfmt must not touch generated
/// code: prettyplease lays it out, and `cargo fmt --check` in the user's workspace
/// would otherwise fail on it. Every module is declared `#[rustfmt::skip]`, as the
/// server crate's are; what is left in the root is laid out as rustfmt would.
fn lib_rs(model: &Model, names: &Names) -> (String, String) {
    let naming = &model.clients.naming;
    let client = &naming.type_name;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "//! A typed client of {}.",
        doc_text(&model.api.title.replace('\n', " "))
    );
    if !model.api.description.is_empty() {
        out.push_str("//!\n");
        for line in model.api.description.lines() {
            let _ = writeln!(out, "//! {}", doc_text(line));
        }
    }
    let _ = writeln!(
        out,
        "//!\n//! Start with [`{client}::new`] (or [`{client}::builder`] for credentials and\n\
         //! retries); each resource is a method of the client (`client.{}()`), each\n\
         //! operation an async method of it. See the README for an example.\n",
        model
            .served()
            .next()
            .map_or("resource".to_string(), |r| r.module_ident.clone())
    );
    out.push_str(
        "/// The README's example, compiled by `cargo test` (doctests).\n#[cfg(doctest)]\n#[doc = include_str!(\"../README.md\")]\npub struct ReadmeDoctests;\n\n",
    );
    if let Some((resource, field)) = model.served().filter(|r| !is_aggregation(r)).find_map(|r| {
        types::user_fields(r)
            .into_iter()
            .find(|f| f.kind == Kind::String)
            .map(|f| (r, f))
    }) {
        let doc = &names.resource(&resource.name).doc;
        let lib = &naming.rust_lib;
        let accessor = types::ident(&field.name);
        let _ = write!(
            out,
            "/// Filters are typed by the field's kind: a string field compares with text,\n\
             /// ```\n/// let filter = {lib}::{doc}::fields().{accessor}().gt(\"M\");\n/// ```\n\
             /// and not with a number:\n\
             /// ```compile_fail\n/// let filter = {lib}::{doc}::fields().{accessor}().gt(3);\n/// ```\n\
             #[cfg(doctest)]\npub struct TypedFilters;\n\n"
        );
    }
    let mut modules: Vec<(&str, &str)> = vec![("pub mod", "runtime"), ("mod", "client")];
    for resource in model.served() {
        modules.push(("pub mod", &resource.module_ident));
    }
    if !model.endpoints.is_empty() {
        modules.push(("pub mod", "endpoints"));
    }
    for (declaration, module) in modules.iter() {
        let _ = writeln!(out, "#[rustfmt::skip]\n{declaration} {module};");
    }
    out.push_str("pub use client::*;\n");
    let root = std::mem::take(&mut out);
    let in_scope: Vec<&str> = modules
        .iter()
        .map(|(_, module)| *module)
        .filter(|module| *module != "client")
        .collect();
    let _ = writeln!(
        out,
        "//! The client type, and what a user of the crate needs at its root.\n\n\
         use crate::{{{}}};",
        in_scope.join(", ")
    );
    out.push_str(
        "\npub use runtime::auth::Credentials;\n\
         pub use runtime::batch;\n\
         pub use runtime::document::{BulkItem, Document, Ref, WriteResult};\n\
         pub use runtime::error::{ApiError, Error, Result};\n\
         pub use runtime::import::{Mode as ImportMode, OnError, Options as ImportOptions, Report as ImportReport, Table};\n\
         pub use runtime::live::{Change, Event, Reconnect};\n\
         pub use runtime::page::Page;\n\
         pub use runtime::query::{Field, Filter, Query, Sort};\n\
         pub use runtime::transport::{ClientBuilder, Retry, Transport};\n\
         pub use futures_util::stream::{Stream, StreamExt, TryStreamExt};\n",
    );
    for resource in model.served() {
        let n = names.resource(&resource.name);
        let mut exported = vec![n.handle.clone()];
        if !is_aggregation(resource) {
            exported.extend([n.doc.clone(), n.fields.clone()]);
            if has(model, resource, Action::PostCollection) || has(model, resource, Action::PutItem)
            {
                exported.push(n.new.clone());
            }
            if has(model, resource, Action::PatchItem) {
                exported.push(n.update.clone());
            }
        }
        let _ = writeln!(
            out,
            "pub use {}::{{{}}};",
            resource.module_ident,
            exported.join(", ")
        );
    }
    let prefix = lit(&model.api.prefix);
    let _ = write!(
        out,
        r#"
/// A client of {title}: cheap to clone, safe to share between tasks.
#[derive(Debug, Clone)]
pub struct {client} {{
    transport: Transport,
}}

impl From<Transport> for {client} {{
    fn from(transport: Transport) -> Self {{
        {client} {{ transport }}
    }}
}}

impl {client} {{
    /// The API's path prefix.
    pub const PREFIX: &'static str = {prefix};

    /// A client of the server at `base_url` (`http://localhost:8080`), no credentials.
    pub fn new(base_url: &str) -> Result<{client}> {{
        Self::builder(base_url).build()
    }}

    /// A builder: credentials (`basic`, `bearer`, `hmac`, `signed`, `api_key`),
    /// `retry`, `timeout`; then `build()`.
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {{
        ClientBuilder::new(base_url, Self::PREFIX)
    }}

    /// The transport, for requests of your own.
    pub fn transport(&self) -> &Transport {{
        &self.transport
    }}
"#,
        title = doc_text(&model.api.title.replace('\n', " ")),
    );
    for resource in model.served() {
        let n = names.resource(&resource.name);
        let params: Vec<String> = path_fields(resource)
            .iter()
            .map(|(name, kind)| format!("{}: {}", types::ident(name), param_type(*kind)))
            .collect();
        let segments = collection_segments(resource);
        let _ = write!(
            out,
            "\n/// The `{name}` resource (`{prefix}/{url}`).\npub fn {method}(&self{comma}{params}) -> {module}::{handle} {{\n\
             {module}::{handle}::new(self.transport.clone(), vec![{segments}])\n}}\n",
            name = resource.name,
            prefix = model.api.prefix,
            url = resource.url,
            method = resource.module_ident,
            comma = if params.is_empty() { "" } else { ", " },
            params = params.join(", "),
            module = resource.module_ident,
            handle = n.handle,
            segments = segments.join(", "),
        );
    }
    if !model.endpoints.is_empty() {
        out.push_str(
            "\n/// The API's custom endpoints.\npub fn endpoints(&self) -> endpoints::Endpoints {\n\
             endpoints::Endpoints::new(self.transport.clone())\n}\n",
        );
    }
    out.push_str(&methods::client_methods(model));
    out.push_str("}\n");
    (root, out)
}

/// A sub-resource's path fields, in url order, with their kinds.
fn path_fields(resource: &Resource) -> Vec<(String, Kind)> {
    resource
        .path_fields
        .iter()
        .map(|name| {
            let kind = resource
                .fields
                .iter()
                .find(|f| &f.name == name)
                .map_or(Kind::String, |f| f.kind);
            (name.clone(), kind)
        })
        .collect()
}

/// The collection's segments, as `vec![...]` items (path fields from the arguments).
fn collection_segments(resource: &Resource) -> Vec<String> {
    resource
        .url
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(field) => format!("{}.to_string()", types::ident(field)),
                None => format!("{}.to_string()", lit(segment)),
            },
        )
        .collect()
}

fn is_aggregation(resource: &Resource) -> bool {
    resource.datasource.aggregation.is_some()
}

fn has(model: &Model, resource: &Resource, action: Action) -> bool {
    operation(model, resource, action).is_some()
}

fn operation<'a>(model: &'a Model, resource: &Resource, action: Action) -> Option<&'a Operation> {
    model
        .operations
        .iter()
        .find(|op| op.resource.as_deref() == Some(&resource.name) && op.action == action)
}

/// One resource's module: its document types and field accessors, then its handle
/// (`methods`).
fn resource_module(
    model: &Model,
    names: &Names,
    resource: &Resource,
) -> Result<String, RenderError> {
    let n = names.resource(&resource.name);
    let mut types = Types::new(model, names);
    let mut out = format!(
        "//! The `{}` resource: its documents, inputs, fields and operations.\n\n\
         #![allow(clippy::too_many_arguments)]\n\n\
         use crate::runtime as rt;\nuse serde::{{Deserialize, Serialize}};\n\n",
        resource.name
    );
    let doc = &n.doc;
    let id_type = match resource.id_type {
        IdType::Integer => "i64",
        _ => "String",
    };
    if let Some(aggregation) = &resource.datasource.aggregation {
        let row = row_name(resource);
        match &aggregation.results {
            Some(results) => types.aggregation_row(&row, results),
            None => {
                let _ = writeln!(
                    types.out,
                    "/// One result of the pipeline: a source document as the pipeline leaves it.\npub type {row} = serde_json::Map<String, serde_json::Value>;\n"
                );
            }
        }
        let vars = vars_name(resource);
        let has_vars = !aggregation.placeholders.is_empty();
        if has_vars {
            let _ = writeln!(
                types.out,
                "/// The values of the pipeline's placeholders (`?aggregate=`); unset ones are not sent.\n\
                 #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]\npub struct {vars} {{"
            );
            for placeholder in &aggregation.placeholders {
                let name = placeholder.trim_start_matches('$');
                let _ = writeln!(
                    types.out,
                    "/// `{placeholder}`.\n#[serde(rename = {}, default, skip_serializing_if = \"Option::is_none\")]\npub {}: Option<serde_json::Value>,",
                    lit(placeholder),
                    types::ident(name)
                );
            }
            types.out.push_str("}\n\n");
        }
    } else {
        types.document(resource, n);
        let creatable =
            has(model, resource, Action::PostCollection) || has(model, resource, Action::PutItem);
        if creatable {
            types.input(resource, &n.new, StructMode::New);
        }
        if has(model, resource, Action::PatchItem) {
            types.input(resource, &n.update, StructMode::Update);
        }
        types.fields(resource, n);
        let _ = write!(
            types.out,
            "impl rt::document::Document for {doc} {{\ntype Id = {id_type};\nfn id(&self) -> &{id_type} {{ &self.id }}\nfn etag(&self) -> &str {{ &self.etag }}\n}}\n\n"
        );
    }
    out.push_str(&types.out);
    out.push_str(&methods::handle(model, names, resource));
    Ok(out)
}

/// The type of one result of an aggregation.
fn row_name(resource: &Resource) -> String {
    format!("{}Row", resource.name.to_upper_camel_case())
}

/// The values of an aggregation's placeholders.
fn vars_name(resource: &Resource) -> String {
    format!("{}Vars", resource.name.to_upper_camel_case())
}

/// The README: what the client is, and a runnable example.
fn readme(model: &Model, names: &Names) -> String {
    let naming = &model.clients.naming;
    let client = &naming.type_name;
    let lib = &naming.rust_lib;
    let mut out = format!(
        "<!-- @generated by apigen. Do not edit: `apigen generate` rewrites this file. -->\n\n\
         # {package}\n\nA typed Rust client of {title}, generated by apigen from the same spec as the\n\
         server: one async method per operation, typed documents and inputs, a typed filter\n\
         builder, pagination as a `Stream`, ETags kept in the documents, diff updates, batches,\n\
         retries of 429s, live subscriptions that resume by themselves, and imports.\n\n\
         ```toml\n[dependencies]\n{package} = {{ path = \"clients/rust\" }}\ntokio = {{ version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }}\n```\n\n\
         Features: `rustls` (HTTPS, on by default) and `signing` (the `hmac` and `signed`\n\
         auth schemes, on by default).\n\n",
        package = naming.package,
        title = model.api.title.replace('\n', " "),
    );
    let example = model
        .served()
        .find(|r| {
            !is_aggregation(r) && r.path_fields.is_empty() && has(model, r, Action::PostCollection)
        })
        .and_then(|r| {
            let required: Vec<_> = r
                .fields
                .iter()
                .filter(|f| !f.name.starts_with('_') && types::constructor_field(r, f))
                .collect();
            required
                .iter()
                .all(|f| matches!(f.kind, Kind::String | Kind::Integer | Kind::Boolean))
                .then_some((r, required))
        });
    out.push_str("## Example\n\n```rust,no_run\n");
    let _ = writeln!(out, "use {lib}::{{{client}, Query, Retry, StreamExt}};\n");
    out.push_str("#[tokio::main(flavor = \"current_thread\")]\nasync fn main() -> Result<(), Box<dyn std::error::Error>> {\n");
    let _ = writeln!(
        out,
        "    let client: {client} = {client}::builder(\"http://localhost:8080\")\n        .retry(Retry::default())\n        .build()?;"
    );
    if let Some((resource, required)) = example {
        let n = names.resource(&resource.name);
        let args: Vec<String> = required
            .iter()
            .map(|f| match f.kind {
                Kind::Integer => "1".to_string(),
                Kind::Boolean => "true".to_string(),
                _ => format!("{:?}", format!("a {}", f.name)),
            })
            .collect();
        let m = &resource.module_ident;
        let _ = writeln!(
            out,
            "    let written = client.{m}().create(&{lib}::{new}::new({args})).await?;\n    \
             let document = client.{m}().get(&written.id).await?;\n    println!(\"{{document:?}}\");\n    \
             let mut pages = client.{m}().pages(Query::new().max_results(10));\n    \
             while let Some(page) = pages.next().await {{\n        println!(\"{{}} documents\", page?.items.len());\n    }}",
            new = n.new,
            args = args.join(", "),
        );
        if resource.id_type == IdType::Integer {
            out = out.replace("get(&written.id)", "get(written.id)");
        }
    } else {
        out.push_str("    println!(\"{:?}\", client.openapi().await?);\n");
    }
    out.push_str("    Ok(())\n}\n```\n\n");
    out.push_str(
        "## Operations\n\nEach operation is one method (async: add `.await`; `subscribe` answers a `Stream`),\n\
         shown with the request it sends:\n\n\
         | call | HTTP |\n|---|---|\n",
    );
    for op in &model.operations {
        let _ = writeln!(
            out,
            "| `{}` | `{} {}` |",
            methods::call(model, op),
            op.method.as_str(),
            display_path(model, op)
        );
    }
    out
}
