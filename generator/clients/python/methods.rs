//! `client.py`: one class per resource (sync and async), one method per operation,
//! and the client classes.
//!
//! Each operation's method is documented with its HTTP method, its path and, on the
//! sync client only, the [`operation_mark`] (so each client carries each mark once);
//! the async twin's docstring names the same method and path.

use super::types::{EndpointTypes, Names, ResourceNames, camel, id_type};
use super::{HEADER, doc_text, py_ident, py_str};
use crate::clients::operation_mark;
use crate::model::{
    Action, Kind, Model, Mount, Operation, ParamType, QueryParam, Resource, Segment,
};

/// Sync or async flavour of a class.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Sync,
    Async,
}

impl Flavour {
    fn def(self) -> &'static str {
        match self {
            Flavour::Sync => "def",
            Flavour::Async => "async def",
        }
    }
    fn awaits(self) -> &'static str {
        match self {
            Flavour::Sync => "",
            Flavour::Async => "await ",
        }
    }
    fn prefix(self) -> &'static str {
        match self {
            Flavour::Sync => "",
            Flavour::Async => "Async",
        }
    }
}

/// `GET /api/v1/books/{_id}`: how a docstring names an operation.
fn route(model: &Model, op: &Operation) -> String {
    let base = match op.mount {
        Mount::Api => model.api.prefix.as_str(),
        Mount::Root => "",
    };
    let below: Vec<String> = op
        .path
        .iter()
        .map(|segment| match segment {
            Segment::Literal(text) => text.clone(),
            Segment::Param(param) => match &param.ty {
                ParamType::Id(_) => "{_id}".to_string(),
                ParamType::Lookup { field, .. } => format!("{{{field}}}"),
                ParamType::Field(_) => format!("{{{}}}", param.name),
            },
        })
        .collect();
    let path = if below.is_empty() {
        if base.is_empty() {
            "/".to_string()
        } else {
            base.to_string()
        }
    } else {
        format!("{base}/{}", below.join("/"))
    };
    format!("{} {path}", op.method.as_str())
}

/// The docstring of an operation's method: a summary, its route, a detail
/// paragraph, and (sync only) the coverage mark.
fn docstring(
    model: &Model,
    op: &Operation,
    summary: &str,
    detail: Option<&str>,
    flavour: Flavour,
) -> String {
    let mut text = format!(
        "        \"\"\"{}: `{}`.\n",
        doc_text(summary),
        doc_text(&route(model, op))
    );
    if let Some(detail) = detail {
        text.push('\n');
        for line in wrap(&doc_text(detail), 80) {
            text.push_str(&format!("        {line}\n"));
        }
    }
    match flavour {
        Flavour::Sync => text.push_str(&format!("\n        {}\n", operation_mark(op))),
        Flavour::Async => text.push_str("\n        The async twin of the sync client's method.\n"),
    }
    text.push_str("        \"\"\"\n");
    text
}

/// Words in lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A Python f-string building a path below the prefix from literal segments and
/// parameters named `args` (each quoted for a path segment).
fn path_fstring(segments: &[Segment], args: &dyn Fn(&str) -> String) -> String {
    let parts: Vec<String> = segments
        .iter()
        .map(|segment| match segment {
            Segment::Literal(text) => text.replace('{', "{{").replace('}', "}}"),
            Segment::Param(param) => format!("{{_rt.quote({})}}", args(&param.name)),
        })
        .collect();
    let text = parts.join("/");
    if segments.iter().any(|s| matches!(s, Segment::Param(_))) {
        format!("f{}", py_str(&text).replace("\\\"", "\""))
    } else {
        py_str(&text)
    }
}

/// The Python type of a path or lookup value of `kind`.
fn scalar(kind: Kind) -> &'static str {
    match kind {
        Kind::Integer => "int",
        Kind::Float | Kind::Number => "float",
        Kind::Boolean => "bool",
        _ => "str",
    }
}

/// A method's query parameters: the signature's parameters (keyword-only, after
/// `*` or `*filters`) and the `_rt._query(...)` arguments building them.
fn query(params: &[QueryParam]) -> (Vec<String>, Vec<String>) {
    let mut sig = Vec::new();
    let mut call = Vec::new();
    let mut star = false;
    for param in params {
        let name = param.name();
        match param {
            QueryParam::Where => {
                sig.insert(0, "*filters: _rt.Filter".to_string());
                star = true;
                sig.push("where: _rt.Where | None = None".into());
                call.push(format!("{name}=_rt._where(filters, where)"));
            }
            QueryParam::Sort => {
                sig.push("sort: _rt.Sort | None = None".into());
                call.push(format!("{name}=_rt._sort(sort)"));
            }
            QueryParam::MaxResults | QueryParam::Page => {
                sig.push(format!("{name}: int | None = None"));
                call.push(format!("{name}={name}"));
            }
            QueryParam::Projection => {
                sig.push("projection: _rt.Projection | None = None".into());
                call.push(format!("{name}=_rt._fields(projection)"));
            }
            QueryParam::Embedded => {
                sig.push("embedded: _rt.Embedded | None = None".into());
                call.push(format!("{name}=_rt._fields(embedded)"));
            }
            QueryParam::ShowDeleted => {
                sig.push(format!("{name}: bool | None = None"));
                call.push(format!("{name}={name}"));
            }
            QueryParam::Version | QueryParam::Since => {
                sig.push(format!("{name}: int | str | None = None"));
                call.push(format!("{name}={name}"));
            }
            QueryParam::Aggregate => {}
        }
    }
    if !star && !sig.is_empty() {
        sig.insert(0, "*".to_string());
    }
    (sig, call)
}

/// `    def name(params) -> ret:`, on one line when it fits in 88 columns, else one
/// parameter a line (as black writes it).
fn def_line(def: &str, name: &str, params: &[String], ret: &str) -> String {
    let one = format!("    {def} {name}({}) -> {ret}:\n", params.join(", "));
    if one.len() <= 89 {
        return one;
    }
    let mut out = format!("    {def} {name}(\n");
    for p in params {
        out.push_str(&format!("        {p},\n"));
    }
    out.push_str(&format!("    ) -> {ret}:\n"));
    out
}

/// `        head(args)tail`, the arguments one a line when it does not fit.
fn call_lines(head: &str, args: &[String], tail: &str) -> String {
    let one = format!("        {head}({}){tail}\n", args.join(", "));
    if one.len() <= 89 {
        return one;
    }
    let mut out = format!("        {head}(\n");
    for a in args {
        out.push_str(&format!("            {a},\n"));
    }
    out.push_str(&format!("        ){tail}\n"));
    out
}

/// `params = _rt._query(...)`: the query of an operation's method.
fn params_line(call: &[String]) -> String {
    call_lines("params = _rt._query", call, "")
}

/// One resource's class, sync or async.
fn resource_class(
    model: &Model,
    resource: &Resource,
    n: &ResourceNames,
    flavour: Flavour,
) -> String {
    let f = flavour;
    let class = format!("{}{}", f.prefix(), n.class);
    let base = match f {
        Flavour::Sync => "_rt.Collection",
        Flavour::Async => "_rt.AsyncCollection",
    };
    let mut out = format!(
        "\n\nclass {class}({base}):\n    \"\"\"The `{}` resource (`{}/{}`){}.\"\"\"\n",
        doc_text(&resource.name),
        doc_text(&model.api.prefix),
        doc_text(&resource.url),
        if f == Flavour::Async { ", async" } else { "" },
    );
    if resource.datasource.aggregation.is_none() {
        out.push_str(&format!(
            "\n    mem = {}\n    \"\"\"The typed fields, for filters and sort keys: `{}.mem.<field> == value`.\"\"\"\n",
            n.fields, n.attr
        ));
    }
    let doc = &n.doc;
    let id = id_type(resource.id_type);
    let aw = f.awaits();
    let def = f.def();
    let this = || vec!["self".to_string()];
    for op in model
        .operations
        .iter()
        .filter(|op| op.resource.as_deref() == Some(resource.name.as_str()))
    {
        match op.action {
            Action::GetCollection => {
                let (sig, call) = query(&op.query);
                let params = [this(), sig].concat();
                let body = params_line(&call);
                out.push_str(&format!(
                    "\n{}",
                    def_line(def, "find", &params, &format!("_rt.Page[{doc}]"))
                ));
                out.push_str(&docstring(
                    model,
                    op,
                    &format!("One page of `{}`", resource.name),
                    None,
                    f,
                ));
                out.push_str(&body);
                out.push_str(&format!(
                    "        return _t.cast(_rt.Page[{doc}], {aw}self._get_collection(params))\n"
                ));
                let (iter, pages) = match f {
                    Flavour::Sync => (
                        format!("_t.Iterator[{doc}]"),
                        format!("_t.Iterator[_rt.Page[{doc}]]"),
                    ),
                    Flavour::Async => (
                        format!("_t.AsyncIterator[{doc}]"),
                        format!("_t.AsyncIterator[_rt.Page[{doc}]]"),
                    ),
                };
                out.push_str(&format!("\n{}", def_line("def", "iterate", &params, &iter)));
                out.push_str("        \"\"\"Every matching document, page after page along `_links.next` (as `find`).\"\"\"\n");
                out.push_str(&body);
                out.push_str(&format!(
                    "        return _t.cast({iter}, self._iterate(params))\n"
                ));
                out.push_str(&format!("\n{}", def_line("def", "pages", &params, &pages)));
                out.push_str(
                    "        \"\"\"Every page, following `_links.next` (as `find`).\"\"\"\n",
                );
                out.push_str(&body);
                out.push_str(&format!(
                    "        return _t.cast({pages}, self._pages(params))\n"
                ));
            }
            Action::PostCollection => {
                let input = &n.input;
                out.push_str(&format!(
                    "\n    @_t.overload\n    {def} create(self, doc: {input}) -> _rt.WriteResult: ...\n\n    @_t.overload\n"
                ));
                out.push_str(
                    &def_line(
                        def,
                        "create",
                        &[this(), vec![format!("doc: _t.Sequence[{input}]")]].concat(),
                        "_rt.BulkResult[_rt.WriteResult]: ...",
                    )
                    .replace(": ...:\n", ": ...\n"),
                );
                out.push('\n');
                out.push_str(&def_line(
                    def,
                    "create",
                    &[this(), vec![format!("doc: {input} | _t.Sequence[{input}]")]].concat(),
                    "_rt.WriteResult | _rt.BulkResult[_rt.WriteResult]",
                ));
                out.push_str(&docstring(
                    model,
                    op,
                    &format!("Create one `{}` document, or many", resource.name),
                    Some("A list is one bulk request: a `BulkResult` with each item's result or issues (when one is refused, none is written)."),
                    f,
                ));
                out.push_str(&format!(
                    "        body: _t.Any = doc if isinstance(doc, dict) else list(doc)\n        return _t.cast(_rt.WriteResult | _rt.BulkResult[_rt.WriteResult], {aw}self._post(body))\n"
                ));
            }
            Action::DeleteCollection => {
                out.push_str(&format!("\n    {def} delete_all(self) -> None:\n"));
                out.push_str(&docstring(
                    model,
                    op,
                    &format!("Delete every `{}` document", resource.name),
                    None,
                    f,
                ));
                out.push_str(&format!("        {aw}self._delete_collection()\n"));
            }
            Action::GetItem => {
                let (sig, call) = query(&op.query);
                let params = [this(), vec![format!("id: {id}")], sig].concat();
                out.push_str(&format!("\n{}", def_line(def, "get", &params, doc)));
                out.push_str(&docstring(
                    model,
                    op,
                    &format!("One `{}` document", resource.name),
                    Some("Its ETag is remembered for the writes that follow."),
                    f,
                ));
                out.push_str(&params_line(&call));
                out.push_str(&format!(
                    "        return _t.cast({doc}, {aw}self._get_item(id, params))\n"
                ));
            }
            Action::GetByLookup => {
                let (field, kind) = match op.params().last().map(|p| &p.ty) {
                    Some(ParamType::Lookup { field, kind, .. }) => (field.clone(), *kind),
                    _ => ("lookup".to_string(), Kind::String),
                };
                let (sig, call) = query(&op.query);
                let params = [this(), vec![format!("value: {}", scalar(kind))], sig].concat();
                out.push_str(&format!(
                    "\n{}",
                    def_line(def, &format!("get_by_{field}"), &params, doc)
                ));
                out.push_str(&docstring(
                    model,
                    op,
                    &format!("One `{}` document by its `{field}`", resource.name),
                    None,
                    f,
                ));
                out.push_str(&params_line(&call));
                out.push_str(&format!(
                    "        return _t.cast({doc}, {aw}self._get_lookup(value, params))\n"
                ));
            }
            Action::PatchItem => {
                let params = [
                    this(),
                    vec![
                        format!("id: {id}"),
                        format!("changes: {}", n.update),
                        "*".into(),
                        "etag: str | None = None".into(),
                    ],
                ]
                .concat();
                out.push_str(&format!(
                    "\n{}",
                    def_line(def, "update", &params, "_rt.WriteResult")
                ));
                out.push_str(&docstring(
                    model,
                    op,
                    "Change some fields",
                    Some("Sends `If-Match` with `etag`, else the ETag this client last read (it reads the document first when it has none); a stale one is a `ConflictError`."),
                    f,
                ));
                out.push_str(&format!(
                    "        return _t.cast(_rt.WriteResult, {aw}self._patch(id, changes, etag))\n"
                ));
                out.push_str(&format!(
                    "\n    {def} save(self, doc: {doc}) -> _rt.WriteResult | None:\n        \"\"\"PATCH only the fields of `doc` changed since it was read (flowthings' `M`).\n\n        `None` when nothing changed; `doc` gets the new `_etag` and `_updated`.\n        \"\"\"\n        return _t.cast(_rt.WriteResult | None, {aw}self._save(doc))\n"
                ));
            }
            Action::PutItem => {
                let params = [
                    this(),
                    vec![
                        format!("id: {id}"),
                        format!("doc: {}", n.input),
                        "*".into(),
                        "etag: str | None = None".into(),
                    ],
                ]
                .concat();
                out.push_str(&format!(
                    "\n{}",
                    def_line(def, "replace", &params, "_rt.WriteResult")
                ));
                out.push_str(&docstring(
                    model,
                    op,
                    "Replace the whole document",
                    Some("`If-Match` as `update`."),
                    f,
                ));
                out.push_str(&format!(
                    "        return _t.cast(_rt.WriteResult, {aw}self._put(id, doc, etag))\n"
                ));
            }
            Action::DeleteItem => {
                let params = [
                    this(),
                    vec![
                        format!("id: {id}"),
                        "*".into(),
                        "etag: str | None = None".into(),
                    ],
                ]
                .concat();
                out.push_str(&format!("\n{}", def_line(def, "delete", &params, "None")));
                out.push_str(&docstring(
                    model,
                    op,
                    "Delete one document",
                    Some("`If-Match` as `update`."),
                    f,
                ));
                out.push_str(&format!("        {aw}self._delete_item(id, etag)\n"));
            }
            Action::GetAggregation => {
                let placeholders: Vec<String> = resource
                    .datasource
                    .aggregation
                    .as_ref()
                    .map(|a| a.placeholders.clone())
                    .unwrap_or_default();
                let mut kw = Vec::new();
                let mut fill = Vec::new();
                for p in &placeholders {
                    let name = p.trim_start_matches('$');
                    let ok = name.starts_with(|c: char| c.is_ascii_alphabetic())
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && !["aggregate", "max_results", "page", "self", "params"].contains(&name);
                    if ok {
                        let ident = py_ident(name);
                        kw.push(format!("{ident}: _t.Any = None"));
                        fill.push(format!("{}: {ident}", py_str(p)));
                    }
                }
                let (sig, mut call) = query(&op.query);
                let mut params = [
                    this(),
                    vec!["aggregate: _t.Mapping[str, _t.Any] | None = None".to_string()],
                ]
                .concat();
                if sig.is_empty() && !kw.is_empty() {
                    params.push("*".into());
                }
                params.extend(sig);
                params.extend(kw);
                call.insert(
                    0,
                    format!(
                        "aggregate=_rt._placeholders(aggregate, {{{}}})",
                        fill.join(", ")
                    ),
                );
                out.push_str(&format!(
                    "\n{}",
                    def_line(def, "aggregate", &params, &format!("_rt.Page[{doc}]"))
                ));
                out.push_str(&docstring(
                    model,
                    op,
                    "Run the aggregation",
                    Some("Its placeholders are keywords (or `aggregate`): `{}` drops a condition; one not given matches nothing, as in Eve."),
                    f,
                ));
                out.push_str(&params_line(&call));
                out.push_str(&format!(
                    "        return _t.cast(_rt.Page[{doc}], {aw}self._get_collection(params))\n"
                ));
            }
            Action::Import => {
                let params = [
                    this(),
                    vec![
                        "table: _rt.ImportTable".to_string(),
                        "*".into(),
                        "mode: str | None = None".into(),
                        "upsert_on: str | None = None".into(),
                        "on_error: str | None = None".into(),
                    ],
                ]
                .concat();
                out.push_str(&format!(
                    "\n{}",
                    def_line(def, "import_table", &params, "_rt.ImportReport")
                ));
                out.push_str(&docstring(
                    model,
                    op,
                    "Import a table",
                    Some("`table` is a 2-D list (sent as JSON `ds`; the first row names the columns), CSV text, or a file (a path, bytes or a binary file; multipart). `mode`: insert, upsert or replace; `on_error`: abort (all or nothing) or skip. A refused import answers its report too."),
                    f,
                ));
                out.push_str(
                    "        options = _rt._query(mode=mode, upsert_on=upsert_on, on_error=on_error)\n",
                );
                out.push_str(&format!(
                    "        return _t.cast(_rt.ImportReport, {aw}self._import(table, options))\n"
                ));
            }
            Action::Subscribe => {
                let (sig, call) = query(&op.query);
                let sub = match f {
                    Flavour::Sync => format!("_rt.Subscription[{doc}]"),
                    Flavour::Async => format!("_rt.AsyncSubscription[{doc}]"),
                };
                let params = [this(), sig].concat();
                out.push_str(&format!(
                    "\n{}",
                    def_line("def", "subscribe", &params, &sub)
                ));
                out.push_str(&docstring(
                    model,
                    op,
                    "Follow changes live",
                    Some("An iterator of typed `Event`s (insert, update, delete) that reconnects by itself and resumes after the last event id: nothing lost, nothing repeated. `since` starts after that event id."),
                    f,
                ));
                out.push_str(&params_line(&call));
                out.push_str(&format!(
                    "        return _t.cast({sub}, self._subscribe(params))\n"
                ));
            }
            _ => {}
        }
    }
    out
}

/// The collection path of a resource, as a Python expression (an f-string of the
/// sub-resource's fields).
fn collection_path(resource: &Resource) -> (String, Vec<(String, String)>) {
    let mut params = Vec::new();
    let segments: Vec<Segment> = resource
        .url
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(field) => {
                    let kind = resource
                        .fields
                        .iter()
                        .find(|f| f.name == field)
                        .map_or(Kind::String, |f| f.kind);
                    params.push((py_ident(field), scalar(kind).to_string()));
                    Segment::Param(crate::model::PathParam {
                        name: field.to_string(),
                        ty: ParamType::Field(kind),
                    })
                }
                None => Segment::Literal(s.to_string()),
            },
        )
        .collect();
    (path_fstring(&segments, &|name| py_ident(name)), params)
}

/// The custom endpoints' class, sync or async.
fn endpoints_class(model: &Model, types: &[EndpointTypes], flavour: Flavour) -> String {
    let f = flavour;
    let http = match f {
        Flavour::Sync => "_rt.Http",
        Flavour::Async => "_rt.AsyncHttp",
    };
    let mut out = format!(
        "\n\nclass {}Endpoints:\n    \"\"\"The API's custom endpoints, typed.\"\"\"\n\n    def __init__(self, http: {http}) -> None:\n        self._http = http\n",
        f.prefix()
    );
    for (endpoint, ty) in model.endpoints.iter().zip(types) {
        let Some(op) = model
            .operations
            .iter()
            .find(|op| op.endpoint.as_deref() == Some(endpoint.name.as_str()))
        else {
            continue;
        };
        let mut sig = vec!["self".to_string()];
        for (name, t) in &ty.path {
            sig.push(format!("{}: {t}", py_ident(name)));
        }
        if let Some(body) = &ty.body {
            sig.push(format!("body: {body}"));
        }
        if !ty.query.is_empty() {
            sig.push("*".into());
        }
        let mut query = Vec::new();
        for (name, t, required) in &ty.query {
            let ident = py_ident(name);
            if *required {
                sig.push(format!("{ident}: {t}"));
            } else {
                sig.push(format!("{ident}: {t} | None = None"));
            }
            query.push(format!("{}: {ident}", py_str(name)));
        }
        let returns = ty.response.clone().unwrap_or_else(|| "None".to_string());
        let path = path_fstring(&op.path, &|name| py_ident(name));
        let summary = if endpoint.summary.is_empty() {
            format!("The `{}` endpoint", endpoint.name)
        } else {
            endpoint.summary.replace(['\n', '\r'], " ")
        };
        out.push_str(&format!(
            "\n{}",
            def_line(f.def(), &py_ident(&endpoint.ident), &sig, &returns)
        ));
        let description = endpoint.description.replace(['\n', '\r'], " ");
        let detail = (!description.trim().is_empty()).then_some(description.as_str());
        out.push_str(&docstring(model, op, &summary, detail, f));
        let mut args = vec![py_str(op.method.as_str()), path];
        if !query.is_empty() {
            out.push_str(&call_lines(
                "params = _rt._query",
                &[format!("**{{{}}}", query.join(", "))],
                "",
            ));
            args.push("params=params".into());
        }
        if ty.body.is_some() {
            args.push("json_body=body".into());
        }
        let head = format!("{}self._http.call", f.awaits());
        if ty.response.is_some() {
            out.push_str(&call_lines(&format!("answer = {head}"), &args, ""));
            out.push_str(&format!("        return _t.cast({returns}, answer)\n"));
        } else {
            out.push_str(&call_lines(&head, &args, ""));
        }
    }
    out
}

/// The client class, sync or async.
fn client_class(model: &Model, names: &Names, flavour: Flavour) -> String {
    let f = flavour;
    let naming = &model.clients.naming;
    let class = format!("{}{}", f.prefix(), naming.type_name);
    let (http, httpx) = match f {
        Flavour::Sync => ("_rt.Http", "httpx.Client"),
        Flavour::Async => ("_rt.AsyncHttp", "httpx.AsyncClient"),
    };
    let mut out = format!(
        "\n\nclass {class}:\n    \"\"\"The {}{}: one attribute per resource.\n\n    `base_url` is the server's root (`http://127.0.0.1:8080`); the API's prefix\n    (`{}`) is added. `auth` is one scheme or a list (`ApiKey`, `Basic`, `Token`,\n    `Jwt`, `Hmac`, `Signed`); `retry=Retry()` retries 429 and 503 with back-off.\n    \"\"\"\n\n    def __init__(\n        self,\n        base_url: str,\n        *,\n        auth: _rt.AuthLike = None,\n        retry: _rt.Retry | None = None,\n        headers: _t.Mapping[str, str] | None = None,\n        timeout: float = 30.0,\n        http_client: {httpx} | None = None,\n    ) -> None:\n        self.http = {http}(base_url, PREFIX, auth, retry, headers, timeout, http_client)\n",
        doc_text(&model.api.title.replace(['\n', '\r'], " ")),
        if f == Flavour::Async { ", async" } else { "" },
        doc_text(&model.api.prefix),
    );
    let mut sub_resources = String::new();
    let mut live = Vec::new();
    for resource in model.served() {
        let n = names.of(&resource.name);
        let (path, params) = collection_path(resource);
        let rc = format!("{}{}", f.prefix(), n.class);
        if params.is_empty() {
            out.push_str(&format!(
                "        self.{}: {rc} = {rc}(self.http, {path})\n",
                n.attr
            ));
            if resource.live {
                live.push((resource.name.clone(), path.clone()));
            }
        } else {
            let sig: Vec<String> = params.iter().map(|(p, t)| format!("{p}: {t}")).collect();
            sub_resources.push_str(&format!(
                "\n    def {}(self, {}) -> {rc}:\n        \"\"\"The `{}` of one parent (`{}`).\"\"\"\n        return {rc}(self.http, {path})\n",
                n.attr,
                sig.join(", "),
                doc_text(&resource.name),
                doc_text(&resource.url),
            ));
        }
    }
    if !model.endpoints.is_empty() {
        out.push_str(&format!(
            "        self.endpoints = {}Endpoints(self.http)\n",
            f.prefix()
        ));
    }
    if !live.is_empty() {
        let paths: Vec<String> = live
            .iter()
            .map(|(name, path)| format!("{}: {path}", py_str(name)))
            .collect();
        let live_class = match f {
            Flavour::Sync => "_rt.Live",
            Flavour::Async => "_rt.AsyncLive",
        };
        out.push_str(&format!(
            "        self.websocket = {live_class}(self.http, {{{}}})\n        \"\"\"flowthings' `websocket.connect(on_open=..., on_message=...)`: one WebSocket\n        per live collection (`<collection>/events`).\"\"\"\n",
            paths.join(", ")
        ));
    }
    out.push_str(&sub_resources);
    // The API's own operations.
    for op in &model.operations {
        let (name, sig, summary, call) = match op.action {
            Action::Home => (
                "home",
                String::new(),
                "The API home: a link to every resource",
                "self.http.call(\"GET\", \"\")".to_string(),
            ),
            Action::OpenApi => (
                "openapi",
                String::new(),
                "The OpenAPI document",
                "self.http.call(\"GET\", \"openapi.json\", root=True)".to_string(),
            ),
            Action::Schema => {
                let path = path_fstring(&op.path, &|n| n.to_string());
                (
                    "schema",
                    String::new(),
                    "Every served resource's rules",
                    format!("self.http.call(\"GET\", {path})"),
                )
            }
            Action::SchemaItem => {
                let path = path_fstring(&op.path, &|n| n.to_string());
                (
                    "schema_item",
                    ", resource: str".to_string(),
                    "One resource's rules",
                    format!("self.http.call(\"GET\", {path})"),
                )
            }
            _ => continue,
        };
        out.push_str(&format!(
            "\n    {} {name}(self{sig}) -> dict[str, _t.Any]:\n",
            f.def()
        ));
        out.push_str(&docstring(model, op, summary, None, f));
        out.push_str(&format!(
            "        return _t.cast(dict[str, _t.Any], {}{call})\n",
            f.awaits()
        ));
    }
    let (batch, lazy) = match f {
        Flavour::Sync => ("_rt.Batch", "_rt.Lazy"),
        Flavour::Async => ("_rt.AsyncBatch", "_rt.AsyncLazy"),
    };
    out.push_str(&format!(
        "\n    def batch(self, concurrency: int = 8) -> {batch}:\n        \"\"\"flowthings' `async`: queue calls (`batch.add(self.books.get, id)`), then\n        `batch.results(with_exceptions=True)`.\"\"\"\n        return {batch}(concurrency)\n"
    ));
    out.push_str(&format!(
        "\n    def lazy(self, concurrency: int = 4) -> {lazy}:\n        \"\"\"flowthings' `lazy`: `lazy(self.books.find, ...)` starts at once, at most\n        `concurrency` at a time.\"\"\"\n        return {lazy}(concurrency)\n"
    ));
    match f {
        Flavour::Sync => out.push_str(&format!(
            "\n    def close(self) -> None:\n        \"\"\"Close the connections.\"\"\"\n        self.http.close()\n\n    def __enter__(self) -> {class}:\n        return self\n\n    def __exit__(self, *exc: object) -> None:\n        self.close()\n"
        )),
        Flavour::Async => out.push_str(&format!(
            "\n    async def aclose(self) -> None:\n        \"\"\"Close the connections.\"\"\"\n        await self.http.close()\n\n    async def __aenter__(self) -> {class}:\n        return self\n\n    async def __aexit__(self, *exc: object) -> None:\n        await self.aclose()\n"
        )),
    }
    out
}

/// `client.py`.
pub(crate) fn client(model: &Model, names: &Names, endpoint_types: &[EndpointTypes]) -> String {
    let mut out = String::from(HEADER);
    out.push_str(&format!(
        "\"\"\"The {} client: `{}` (sync) and `Async{}` (async).\"\"\"\n\n",
        doc_text(&model.api.title.replace(['\n', '\r'], " ")),
        model.clients.naming.type_name,
        model.clients.naming.type_name
    ));
    out.push_str("from __future__ import annotations\n\nimport typing as _t\n\nimport httpx\n\nfrom . import _runtime as _rt\n");
    let mut imports: Vec<String> = Vec::new();
    for resource in model.served() {
        let n = names.of(&resource.name);
        imports.push(n.doc.clone());
        if resource.datasource.aggregation.is_none() {
            imports.extend([n.input.clone(), n.update.clone(), n.fields.clone()]);
        }
    }
    for ty in endpoint_types {
        for t in ty
            .body
            .iter()
            .chain(ty.response.iter())
            .chain(ty.path.iter().map(|(_, t)| t))
            .chain(ty.query.iter().map(|(_, t, _)| t))
        {
            for word in t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if word.starts_with(|c: char| c.is_ascii_uppercase())
                    && !imports.iter().any(|i| i == word)
                {
                    imports.push(word.to_string());
                }
            }
        }
    }
    imports.retain(|i| i != "None");
    imports.sort();
    imports.dedup();
    if !imports.is_empty() {
        out.push_str("from .models import (\n");
        for i in &imports {
            out.push_str(&format!("    {i},\n"));
        }
        out.push_str(")\n");
    }
    out.push_str(&format!(
        "\nPREFIX = {}\n\"\"\"The API's path prefix.\"\"\"\n",
        py_str(&model.api.prefix)
    ));
    for flavour in [Flavour::Sync, Flavour::Async] {
        for resource in model.served() {
            out.push_str(&resource_class(
                model,
                resource,
                names.of(&resource.name),
                flavour,
            ));
        }
        if !model.endpoints.is_empty() {
            out.push_str(&endpoints_class(model, endpoint_types, flavour));
        }
        out.push_str(&client_class(model, names, flavour));
    }
    out
}

/// The README's example: the first resource that takes a POST, created, read,
/// filtered and listed.
pub(crate) fn readme_example(model: &Model, names: &Names) -> String {
    let naming = &model.clients.naming;
    let mut out = format!(
        "import os\n\nfrom {} import {}, mem\n\nclient = {}(os.environ.get(\"API_URL\", \"http://127.0.0.1:8080\"))\n",
        naming.python_package, naming.type_name, naming.type_name
    );
    let target = model.served().find(|r| {
        r.path_fields.is_empty()
            && model.operations.iter().any(|op| {
                op.resource.as_deref() == Some(r.name.as_str())
                    && op.action == Action::PostCollection
            })
            && model
                .operations
                .iter()
                .find(|op| {
                    op.resource.as_deref() == Some(r.name.as_str())
                        && op.action == Action::PostCollection
                })
                .is_some_and(|op| {
                    op.settings
                        .auth
                        .as_ref()
                        .is_none_or(|a| a.schemes.is_empty() && !a.api_key_required)
                })
    });
    let Some(resource) = target else {
        out.push_str("print(client.openapi()[\"info\"])\n");
        return out;
    };
    let n = names.of(&resource.name);
    let mut fields = Vec::new();
    for f in resource.fields.iter().filter(|f| f.required) {
        let value = match f.kind {
            Kind::Integer => "1".to_string(),
            Kind::Float | Kind::Number => "1.5".to_string(),
            Kind::Boolean => "True".to_string(),
            // A unique field gets a value of its own each run.
            Kind::String if f.unique => {
                format!(
                    "f{}",
                    py_str(&format!("a {} {{uuid.uuid4().hex[:8]}}", f.name))
                )
            }
            Kind::String => py_str(&format!("a {}", f.name)),
            _ => continue,
        };
        fields.push(format!("{}: {value}", py_str(&f.name)));
    }
    let first_string = resource
        .fields
        .iter()
        .filter(|f| !super::is_keyword(&f.name))
        .find(|f| f.kind == Kind::String && f.required);
    if fields.iter().any(|f| f.contains("uuid.uuid4()")) {
        out = out.replacen("import os\n", "import os\nimport uuid\n", 1);
    }
    out.push_str(&format!(
        "written = client.{}.create({{{}}})\ndoc = client.{}.get(written[\"_id\"])\nprint(doc)\n",
        n.attr,
        fields.join(", "),
        n.attr
    ));
    if let Some(f) = first_string {
        out.push_str(&format!(
            "page = client.{}.find(mem.{} == doc.get({}), max_results=10)\nprint(len(page), \"on the first page\")\n",
            n.attr,
            f.name,
            py_str(&f.name)
        ));
    }
    out.push_str(&format!(
        "for item in client.{}.iterate():\n    print(item[\"_id\"])\n",
        n.attr
    ));
    let _ = camel;
    out
}
