//! The Rust client's methods: each resource's handle (`client.books()`) with one async
//! method per operation, the custom endpoints' module (`client.endpoints()`), and the
//! client's own API-level operations (home, OpenAPI, schemas). Each method's doc
//! comment names its HTTP method, its path and the [`operation_mark`].
//!
//! [`operation_mark`]: crate::clients::operation_mark

use std::fmt::Write as _;

use super::types::{self, Names, Types, doc_lines, doc_text, lit};
use super::{display_path, operation, param_type, path_fields, row_name, vars_name};
use crate::clients::operation_mark;
use crate::model::endpoints::Endpoint;
use crate::model::{Action, IdType, Method, Model, Mount, Operation, ParamType, Resource, Segment};
use crate::render::RenderError;

/// The doc comment lines naming an operation: method, path and the coverage mark.
fn op_doc(model: &Model, op: &Operation, summary: &str) -> String {
    let mut out = doc_lines(summary);
    out.push_str("///\n");
    let _ = writeln!(
        out,
        "/// `{} {}`: {}.",
        op.method.as_str(),
        display_path(model, op),
        operation_mark(op)
    );
    out
}

fn method_expr(method: Method) -> &'static str {
    match method {
        Method::Get => "reqwest::Method::GET",
        Method::Post => "reqwest::Method::POST",
        Method::Put => "reqwest::Method::PUT",
        Method::Patch => "reqwest::Method::PATCH",
        Method::Delete => "reqwest::Method::DELETE",
    }
}

fn id_param(id_type: IdType) -> &'static str {
    match id_type {
        IdType::Integer => "i64",
        _ => "&str",
    }
}

/// The call a user writes for `op` (without its `.await`), as the README's table shows
/// it: `client.home()`, `client.books().get(id)`, `client.chapters(book).find(query)`,
/// `client.endpoints().table_count(table)`. The method is the one this module emits
/// with `op`'s [`operation_mark`]; the arguments are its parameters' names.
pub(super) fn call(model: &Model, op: &Operation) -> String {
    let on = |target: &str, method: &str, args: &[String]| {
        format!("{target}.{method}({})", args.join(", "))
    };
    let args = |names: &[&str]| -> Vec<String> { names.iter().map(|s| s.to_string()).collect() };
    match op.action {
        Action::Home => return on("client", "home", &[]),
        Action::OpenApi => return on("client", "openapi", &[]),
        Action::Schema => return on("client", "schema", &[]),
        Action::SchemaItem => return on("client", "schema_of", &args(&["resource"])),
        Action::Endpoint => {
            let Some(endpoint) = model
                .endpoints
                .iter()
                .find(|e| op.endpoint.as_deref() == Some(&e.name))
            else {
                return op.id.clone();
            };
            let mut names: Vec<String> = endpoint
                .path_fields
                .iter()
                .map(|f| types::ident(&f.name))
                .collect();
            if !endpoint.query.is_empty() {
                names.push("query".to_string());
            }
            if endpoint.body.is_some() {
                names.push("body".to_string());
            }
            return on("client.endpoints()", &endpoint.ident, &names);
        }
        _ => {}
    }
    let Some(resource) = op
        .resource
        .as_deref()
        .and_then(|name| model.served().find(|r| r.name == name))
    else {
        return op.id.clone();
    };
    let path: Vec<String> = path_fields(resource)
        .iter()
        .map(|(name, _)| types::ident(name))
        .collect();
    let handle = on("client", &resource.module_ident, &path);
    let (method, names): (String, &[&str]) = match op.action {
        Action::GetCollection => ("find".into(), &["query"]),
        Action::PostCollection => ("create".into(), &["document"]),
        Action::DeleteCollection => ("delete_all".into(), &[]),
        Action::GetItem => ("get".into(), &["id"]),
        Action::PatchItem => ("update".into(), &["id", "etag", "changes"]),
        Action::PutItem => ("replace".into(), &["id", "etag", "document"]),
        Action::DeleteItem => ("delete".into(), &["id", "etag"]),
        Action::GetByLookup => match op.params().last().map(|p| &p.ty) {
            Some(ParamType::Lookup { field, .. }) => (
                format!("get_by_{}", types::ident(field).trim_start_matches("r#")),
                &["value"],
            ),
            _ => return op.id.clone(),
        },
        Action::GetAggregation => {
            let placeholders = resource
                .datasource
                .aggregation
                .as_ref()
                .is_some_and(|a| !a.placeholders.is_empty());
            if placeholders {
                ("aggregate".into(), &["vars", "max_results", "page"])
            } else {
                ("aggregate".into(), &["max_results", "page"])
            }
        }
        Action::Import => ("import".into(), &["table", "options"]),
        Action::Subscribe => ("subscribe".into(), &["query"]),
        Action::Home | Action::OpenApi | Action::Schema | Action::SchemaItem | Action::Endpoint => {
            return op.id.clone();
        }
    };
    on(&handle, &method, &args(names))
}

/// The client's methods of the API-level operations (home, OpenAPI, schemas), inside
/// its `impl`.
pub(super) fn client_methods(model: &Model) -> String {
    let mut out = String::new();
    for op in &model.operations {
        let (name, args, segments, summary) = match op.action {
            Action::Home => (
                "home",
                String::new(),
                String::new(),
                "The API's home: a link to every resource (`_links`).",
            ),
            Action::OpenApi => (
                "openapi",
                String::new(),
                "\"openapi.json\".to_string()".to_string(),
                "The API's OpenAPI document.",
            ),
            Action::Schema => (
                "schema",
                String::new(),
                literal_segments(op),
                "Every resource's schema, by name.",
            ),
            Action::SchemaItem => (
                "schema_of",
                ", resource: &str".to_string(),
                literal_segments(op),
                "One resource's schema.",
            ),
            _ => continue,
        };
        let mount = match op.mount {
            Mount::Api => "Api",
            Mount::Root => "Root",
        };
        let _ = write!(
            out,
            "\n{doc}pub async fn {name}(&self{args}) -> Result<serde_json::Value> {{\n\
             let request = runtime::transport::Request::new(reqwest::Method::GET, runtime::transport::Mount::{mount}, vec![{segments}]);\n\
             self.transport.json(&request).await\n}}\n",
            doc = op_doc(model, op, summary),
        );
    }
    out
}

/// `vec![...]` items of an API-level operation's path (literals, and `resource`).
fn literal_segments(op: &Operation) -> String {
    op.path
        .iter()
        .map(|segment| match segment {
            Segment::Literal(text) => format!("{}.to_string()", lit(text)),
            Segment::Param(param) => format!("{}.to_string()", types::ident(&param.name)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A resource's handle: the struct, and one method per operation of the resource.
pub(super) fn handle(model: &Model, names: &Names, resource: &Resource) -> String {
    let n = names.resource(&resource.name);
    let doc = &n.doc;
    let id_type = match resource.id_type {
        IdType::Integer => "i64",
        _ => "String",
    };
    let id_arg = id_param(resource.id_type);
    let handle = &n.handle;
    let mut methods = String::new();

    if let Some(aggregation) = &resource.datasource.aggregation {
        let row = row_name(resource);
        let vars = vars_name(resource);
        let has_vars = !aggregation.placeholders.is_empty();
        if let Some(op) = operation(model, resource, Action::GetAggregation) {
            let (arg, send) = if has_vars {
                (
                    format!("vars: &{vars}, "),
                    "request = request.query(\"aggregate\", serde_json::to_string(vars).unwrap_or_default());\n",
                )
            } else {
                (String::new(), "")
            };
            let _ = write!(
                methods,
                "{doc}pub async fn aggregate(&self, {arg}max_results: Option<u32>, page: Option<u32>) -> rt::error::Result<rt::page::Page<{row}>> {{\n\
                 #[allow(unused_mut)]\nlet mut request = rt::transport::Request::new({m}, rt::transport::Mount::Api, self.at(&[]));\n{send}\
                 if let Some(n) = max_results {{ request = request.query(\"max_results\", n.to_string()); }}\n\
                 if let Some(n) = page {{ request = request.query(\"page\", n.to_string()); }}\n\
                 self.transport.json(&request).await\n}}\n",
                doc = op_doc(
                    model,
                    op,
                    "Runs the aggregation pipeline: one page of its results."
                ),
                m = method_expr(op.method),
            );
        }
    }

    for op in model
        .operations
        .iter()
        .filter(|op| op.resource.as_deref() == Some(&resource.name))
    {
        let m = method_expr(op.method);
        let req = |tail: &str| {
            format!(
                "rt::transport::Request::new({m}, rt::transport::Mount::Api, self.at(&[{tail}]))"
            )
        };
        let id_seg = match resource.id_type {
            IdType::Integer => "&id.to_string()",
            _ => "id",
        };
        match op.action {
            Action::GetCollection => {
                let _ = write!(
                    methods,
                    "{doc}pub async fn find(&self, query: rt::query::Query<{doc_ty}>) -> rt::error::Result<rt::page::Page<{doc_ty}>> {{\n\
                     let request = {r}.queries(query.to_pairs());\nself.transport.json(&request).await\n}}\n\n\
                     /// The first page, with the server's defaults: `find(Query::new())`.\n\
                     pub async fn list(&self) -> rt::error::Result<rt::page::Page<{doc_ty}>> {{\nself.find(rt::query::Query::new()).await\n}}\n\n\
                     /// Every page of `find(query)`, one after the other, following `_links.next`\n/// (the query's own `page` is ignored).\n\
                     pub fn pages(&self, query: rt::query::Query<{doc_ty}>) -> futures_util::stream::BoxStream<'static, rt::error::Result<rt::page::Page<{doc_ty}>>> {{\n\
                     let this = self.clone();\nlet query = query.without_page();\n\
                     rt::page::pages(Box::new(move |n| {{ let this = this.clone(); let query = query.clone().page(n); Box::pin(async move {{ this.find(query).await }}) }}))\n}}\n",
                    doc = op_doc(
                        model,
                        op,
                        "One page of the documents `query` selects: its filter, sort, projection, embedding and page."
                    ),
                    doc_ty = doc,
                    r = req(""),
                );
            }
            Action::PostCollection => {
                let _ = write!(
                    methods,
                    "{doc}pub async fn create(&self, document: &{new}) -> rt::error::Result<rt::document::WriteResult<{id_type}>> {{\n\
                     let request = {r}.json(document)?;\nself.transport.json(&request).await\n}}\n\n\
                     /// Creates several documents in one request (a bulk POST): one result per\n/// document, in order. The server writes all or none: when one is refused, the\n/// others are `BulkItem::NotWritten`.\n\
                     pub async fn create_many(&self, documents: &[{new}]) -> rt::error::Result<Vec<rt::document::BulkItem<{id_type}>>> {{\n\
                     let request = {r}.json(documents)?;\nrt::document::bulk(&self.transport, &request).await\n}}\n",
                    doc = op_doc(model, op, "Creates a document."),
                    new = n.new,
                    r = req(""),
                );
            }
            Action::DeleteCollection => {
                let _ = write!(
                    methods,
                    "{doc}pub async fn delete_all(&self) -> rt::error::Result<()> {{\nself.transport.empty(&{r}).await\n}}\n",
                    doc = op_doc(model, op, "Deletes every document of the collection."),
                    r = req(""),
                );
            }
            Action::GetItem => {
                let _ = write!(
                    methods,
                    "{doc}pub async fn get(&self, id: {id_arg}) -> rt::error::Result<{doc_ty}> {{\nself.get_with(id, rt::query::Query::new()).await\n}}\n\n\
                     /// One document, with the query's projection and embedding (or `version`,\n/// `param(\"version\", \"3\")`): `get` with options.\n\
                     pub async fn get_with(&self, id: {id_arg}, query: rt::query::Query<{doc_ty}>) -> rt::error::Result<{doc_ty}> {{\n\
                     let request = {r}.queries(query.to_pairs());\nself.transport.json(&request).await\n}}\n",
                    doc = op_doc(
                        model,
                        op,
                        "One document by its `_id`; its `_etag` is kept in it for the writes that follow."
                    ),
                    doc_ty = doc,
                    r = req(id_seg),
                );
            }
            Action::PatchItem => {
                let _ = write!(
                    methods,
                    "{doc}pub async fn update(&self, id: {id_arg}, etag: &str, changes: &{update}) -> rt::error::Result<rt::document::WriteResult<{id_type}>> {{\n\
                     let request = {r}.if_match(etag).json(changes)?;\nself.transport.json(&request).await\n}}\n\n\
                     /// Sends only what differs between `original` (as read) and `changed`: a PATCH\n/// with `If-Match: original._etag`. `None` when nothing changed (nothing is sent).\n/// A `Error::Conflict` means the document changed meanwhile: read it again.\n\
                     pub async fn save(&self, original: &{doc_ty}, changed: &{doc_ty}) -> rt::error::Result<Option<rt::document::WriteResult<{id_type}>>> {{\n\
                     let changes = rt::document::diff(original, changed);\nif changes.is_empty() {{ return Ok(None); }}\nlet id = {orig_id};\n\
                     let request = {r}.if_match(&original.etag).json(&changes)?;\nself.transport.json(&request).await.map(Some)\n}}\n",
                    doc = op_doc(
                        model,
                        op,
                        "Changes the fields `changes` sets (a PATCH), if the document's ETag is still `etag`."
                    ),
                    update = n.update,
                    doc_ty = doc,
                    r = req(id_seg),
                    orig_id = match resource.id_type {
                        IdType::Integer => "original.id",
                        _ => "original.id.as_str()",
                    },
                );
            }
            Action::PutItem => {
                let _ = write!(
                    methods,
                    "{doc}pub async fn replace(&self, id: {id_arg}, etag: &str, document: &{new}) -> rt::error::Result<rt::document::WriteResult<{id_type}>> {{\n\
                     let request = {r}.if_match(etag).json(document)?;\nself.transport.json(&request).await\n}}\n",
                    doc = op_doc(
                        model,
                        op,
                        "Replaces the whole document (a PUT), if its ETag is still `etag`."
                    ),
                    new = n.new,
                    r = req(id_seg),
                );
            }
            Action::DeleteItem => {
                let _ = write!(
                    methods,
                    "{doc}pub async fn delete(&self, id: {id_arg}, etag: &str) -> rt::error::Result<()> {{\n\
                     self.transport.empty(&{r}.if_match(etag)).await\n}}\n",
                    doc = op_doc(
                        model,
                        op,
                        "Deletes the document, if its ETag is still `etag`."
                    ),
                    r = req(id_seg),
                );
            }
            Action::GetByLookup => {
                let Some(ParamType::Lookup { field, kind, .. }) =
                    op.params().last().map(|p| p.ty.clone())
                else {
                    continue;
                };
                let _ = write!(
                    methods,
                    "{doc}pub async fn get_by_{name}(&self, value: {ty}) -> rt::error::Result<{doc_ty}> {{\n\
                     let request = {r};\nself.transport.json(&request).await\n}}\n",
                    doc = op_doc(
                        model,
                        op,
                        &format!("One document by its `{field}` (the additional lookup).")
                    ),
                    name = types::ident(&field).trim_start_matches("r#"),
                    ty = param_type(kind),
                    doc_ty = doc,
                    r = req(if param_type(kind) == "&str" {
                        "value"
                    } else {
                        "&value.to_string()"
                    }),
                );
            }
            Action::Import => {
                let _ = write!(
                    methods,
                    "{doc}pub async fn import(&self, table: &rt::import::Table, options: &rt::import::Options) -> rt::error::Result<rt::import::Report> {{\n\
                     let request = {r}.queries(options.to_pairs()).body(table.to_body());\nrt::import::send(&self.transport, &request).await\n}}\n",
                    doc = op_doc(
                        model,
                        op,
                        "Imports a table (rows, CSV or a file): a report per row. With `on_error` abort\n(the default) a refused row means nothing is written (`report.aborted`)."
                    ),
                    r = req("\"import\""),
                );
            }
            Action::Subscribe => {
                let _ = write!(
                    methods,
                    "{doc}pub fn subscribe(&self, query: rt::query::Query<{doc_ty}>) -> futures_util::stream::BoxStream<'static, rt::error::Result<rt::live::Event<{doc_ty}>>> {{\n\
                     self.subscribe_from(query, None, rt::live::Reconnect::default())\n}}\n\n\
                     /// `subscribe`, resuming after the event id `since`, reconnecting as `reconnect` says.\n\
                     pub fn subscribe_from(&self, query: rt::query::Query<{doc_ty}>, since: Option<String>, reconnect: rt::live::Reconnect) -> futures_util::stream::BoxStream<'static, rt::error::Result<rt::live::Event<{doc_ty}>>> {{\n\
                     let request = {r}.queries(query.to_pairs());\nrt::live::subscribe(self.transport.clone(), request, since, reconnect)\n}}\n",
                    doc = op_doc(
                        model,
                        op,
                        "The documents' changes as they happen (Server-Sent Events), filtered and shaped\nby `query`; reconnects by itself and resumes with `Last-Event-ID`."
                    ),
                    doc_ty = doc,
                    r = req("\"events\""),
                );
            }
            _ => {}
        }
    }
    let mut out = String::new();
    let _ = write!(
        out,
        "/// The `{name}` resource's operations: `client.{method}()`.\n#[derive(Debug, Clone)]\npub struct {handle} {{\ntransport: rt::transport::Transport,\nbase: Vec<String>,\n}}\n\n\
         impl {handle} {{\n/// The resource at `base` (its collection's path segments).\npub fn new(transport: rt::transport::Transport, base: Vec<String>) -> {handle} {{\n{handle} {{ transport, base }}\n}}\n\n\
         fn at(&self, tail: &[&str]) -> Vec<String> {{\nlet mut path = self.base.clone();\npath.extend(tail.iter().map(|s| s.to_string()));\npath\n}}\n\n{methods}}}\n",
        name = resource.name,
        method = resource.module_ident,
    );
    out
}

/// The custom endpoints: typed path, query, body and answer.
pub(super) fn endpoints_module(model: &Model) -> Result<String, RenderError> {
    let names = Names::new(model);
    let mut types = Types::new(model, &names);
    let mut methods = String::new();
    for endpoint in &model.endpoints {
        let Some(op) = model
            .operations
            .iter()
            .find(|op| op.endpoint.as_deref() == Some(&endpoint.name))
        else {
            continue;
        };
        methods.push_str(&endpoint_method(model, op, endpoint, &mut types));
    }
    Ok(format!(
        "//! The API's custom endpoints, with typed path, query, body and answer.\n\n\
         #![allow(clippy::too_many_arguments)]\n\n\
         use crate::runtime as rt;\nuse serde::{{Deserialize, Serialize}};\n\n{types}\
         /// The custom endpoints: `client.endpoints()`.\n#[derive(Debug, Clone)]\npub struct Endpoints {{\ntransport: rt::transport::Transport,\n}}\n\n\
         impl Endpoints {{\n/// The endpoints over `transport`.\npub fn new(transport: rt::transport::Transport) -> Endpoints {{\nEndpoints {{ transport }}\n}}\n\n{methods}}}\n",
        types = types.out,
    ))
}

fn endpoint_method(
    model: &Model,
    op: &Operation,
    endpoint: &Endpoint,
    types: &mut Types,
) -> String {
    let prefix = &endpoint.type_prefix;
    let mut args = Vec::new();
    for field in &endpoint.path_fields {
        args.push(format!(
            "{}: {}",
            types::ident(&field.name),
            param_type(field.kind)
        ));
    }
    let mut query = String::new();
    if !endpoint.query.is_empty() {
        let name = format!("{prefix}Query");
        types.plain_struct(
            &name,
            &endpoint.query,
            &format!("The query parameters of `{}`.", endpoint.name),
        );
        args.push(format!("query: &{name}"));
        query = ".queries(rt::transport::query_pairs(query)?)".to_string();
    }
    let mut body = String::new();
    if let Some(field) = &endpoint.body {
        let ty = types.value_type(prefix, field, false);
        match ty.strip_prefix("Vec<").and_then(|t| t.strip_suffix('>')) {
            Some(item) => args.push(format!("body: &[{item}]")),
            None => args.push(format!("body: &{ty}")),
        }
        body = ".json(body)?".to_string();
    }
    let (ret, call) = match &endpoint.response {
        Some(field) => (types.value_type(prefix, field, false), "json"),
        None => ("()".to_string(), "empty"),
    };
    let segments: Vec<String> = endpoint
        .path
        .iter()
        .map(|segment| match segment {
            Segment::Literal(text) => format!("{}.to_string()", lit(text)),
            Segment::Param(param) => format!("{}.to_string()", types::ident(&param.name)),
        })
        .collect();
    let summary = if endpoint.summary.is_empty() {
        format!("The custom endpoint `{}`.", endpoint.name)
    } else {
        doc_text(&endpoint.summary)
    };
    let mut doc = op_doc(model, op, &summary);
    if !endpoint.description.is_empty() {
        doc.push_str("///\n");
        doc.push_str(&doc_lines(&doc_text(&endpoint.description)));
    }
    format!(
        "{doc}pub async fn {ident}(&self{comma}{args}) -> rt::error::Result<{ret}> {{\n\
         let request = rt::transport::Request::new({m}, rt::transport::Mount::Api, vec![{segments}]){query}{body};\n\
         self.transport.{call}(&request).await\n}}\n\n",
        ident = endpoint.ident,
        comma = if args.is_empty() { "" } else { ", " },
        args = args.join(", "),
        m = method_expr(op.method),
        segments = segments.join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every call the README's table shows names an accessor and a method the client
    /// declares: sub-resources, lookups, aggregations, imports, live, custom endpoints.
    #[test]
    fn readme_calls_name_declared_methods() {
        for (name, source) in [
            ("library.toml", include_str!("../../../specs/library.toml")),
            ("crm.toml", include_str!("../../../specs/crm.toml")),
            ("tables.toml", include_str!("../../../specs/tables.toml")),
        ] {
            let spec = crate::spec::parse(name, source).expect("a spec");
            let model = crate::model::resolve(name, source, &spec).expect("a valid spec");
            let code: String = super::super::files(&model)
                .expect("rendered")
                .iter()
                .filter(|f| f.path.ends_with(".rs") && !f.path.contains("/runtime/"))
                .map(|f| f.contents.as_str())
                .collect();
            for op in &model.operations {
                let call = call(&model, op);
                let accessor = call
                    .strip_prefix("client.")
                    .and_then(|rest| rest.split('(').next())
                    .unwrap_or_else(|| panic!("{}: {call}", op.id));
                let method = call[..call.rfind('(').expect("a call")]
                    .rsplit('.')
                    .next()
                    .expect("a method");
                for declared in [accessor, method] {
                    assert!(
                        code.contains(&format!("fn {declared}(")),
                        "{name}: {}: `{call}`: no `fn {declared}`",
                        op.id
                    );
                }
            }
        }
    }
}
