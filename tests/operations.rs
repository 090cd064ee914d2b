//! Every route the server answers comes from the Model's operation list.
//!
//! For each example spec, the operations are derived from `apigen::load(spec)` and
//! held against what a client sees of the generated server, started in-process:
//!
//! - `GET /openapi.json` documents exactly the resources' operations, path by path
//!   and method by method;
//! - each operation's method, sent to a concrete path (parameters filled with values
//!   of their types), reaches a handler, and every other method on that path answers
//!   405 Method Not Allowed;
//! - each typed client (Rust, TypeScript, Python) has a method for exactly the
//!   operations of the list.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;

use apigen::Model;
use apigen::model::{Action, IdType, Kind, Method, Operation, ParamType};
use support::TestServer;

/// The example specs: every `specs/*.toml`, by name.
fn examples() -> Vec<(String, Model)> {
    let mut specs: Vec<PathBuf> = fs::read_dir("specs")
        .expect("specs/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    specs.sort();
    assert!(!specs.is_empty(), "no example specs found");
    specs
        .into_iter()
        .map(|spec| {
            let name = spec
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("utf-8 name")
                .to_string();
            let model = apigen::load(&spec).unwrap_or_else(|error| panic!("{error}"));
            (name, model)
        })
        .collect()
}

/// The generated server of `specs/<name>.toml`, on a fresh database. Paths sent to it
/// below are full paths from the Model, so the server's own prefix is not used.
fn start(name: &str) -> TestServer {
    match name {
        "blog" => support::start_generated!(blog_api, ""),
        "catalog" => support::start_generated!(catalog_api, ""),
        "collisions" => support::start_generated!(collisions_api, ""),
        "crm" => support::start_generated!(crm_api, ""),
        "library" => support::start_generated!(library_api, ""),
        "nolinks" => support::start_generated!(nolinks_api, ""),
        "notes" => {
            // The JWT issuer's key comes from the environment, read at start.
            support::set_notes_env();
            support::start_generated!(notes_api, "")
        }
        "people" => support::start_generated!(people_api, ""),
        "places" => support::start_generated!(places_api, ""),
        "tables" => support::start_generated!(tables_api, ""),
        "web" => support::start_generated!(web_api, ""),
        other => panic!(
            "specs/{other}.toml has no server in this test: add its crate to `start` (and to the dev-dependencies)"
        ),
    }
}

/// A value of a path parameter's type, as it goes in a URL.
fn sample(ty: &ParamType) -> String {
    match ty {
        ParamType::Field(Kind::ObjectId) | ParamType::Id(IdType::ObjectId) => {
            "5f8d0d55b54764421b7156c9".to_string()
        }
        ParamType::Id(IdType::Uuid) => "123e4567-e89b-42d3-a456-426614174000".to_string(),
        ParamType::Field(Kind::Integer) | ParamType::Id(IdType::Integer) => "7".to_string(),
        ParamType::Field(Kind::String) => "somebody".to_string(),
        ParamType::Field(kind) => panic!("no sample value for a `{}` path field", kind.name()),
        ParamType::Lookup { kind, regex, .. } => {
            // A value of the lookup field that is no `_id` and that its regex takes.
            let pattern = regex::Regex::new(&format!("^(?:{regex})$")).expect("a regex");
            let candidates: &[&str] = if *kind == Kind::Integer {
                &["42", "7"]
            } else {
                &["nobody", "Nobody", "nobody1", "x"]
            };
            candidates
                .iter()
                .find(|c| pattern.is_match(c))
                .unwrap_or_else(|| panic!("no sample value matches the lookup regex {regex}"))
                .to_string()
        }
    }
}

/// The concrete paths of an operation: its routes with each parameter filled in.
fn concrete_paths(op: &Operation, prefix: &str) -> Vec<String> {
    let values: Vec<String> = op.params().map(|p| sample(&p.ty)).collect();
    op.routes(prefix)
        .into_iter()
        .map(|route| {
            let mut values = values.iter();
            route
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        values.next().expect("a value per parameter").as_str()
                    } else {
                        segment
                    }
                })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

#[test]
fn openapi_json_documents_exactly_the_operations() {
    for (name, model) in examples() {
        // The resources' and custom endpoints' operations, in OpenAPI's path syntax. The API's own pages
        // (the home page, this document) are not part of the API it describes; with
        // CORS, every path also answers the OPTIONS preflight.
        let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let described = |op: &&Operation| op.resource.is_some() || op.endpoint.is_some();
        for op in model.operations.iter().filter(described) {
            let methods = expected.entry(format!("/{}", op.template())).or_default();
            methods.insert(op.method.lowercase().to_string());
            if model.api.web.cors.is_some() {
                methods.insert("options".to_string());
            }
        }

        let server = start(&name);
        let response = server.get("/openapi.json");
        assert_eq!(response.status, 200, "{name}: GET /openapi.json");
        let document = response.json();
        let served: BTreeMap<String, BTreeSet<String>> = document["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .map(|(path, item)| {
                let methods = item
                    .as_object()
                    .expect("a path item")
                    .keys()
                    .filter(|key| *key != "parameters")
                    .cloned()
                    .collect();
                (path.clone(), methods)
            })
            .collect();
        assert_eq!(served, expected, "{name}: openapi.json paths and methods");
    }
}

#[test]
fn the_router_answers_exactly_the_operations() {
    for (name, model) in examples() {
        // Concrete path → the methods the operation list serves there.
        let mut expected: BTreeMap<String, BTreeSet<Method>> = BTreeMap::new();
        let mut item_paths = BTreeSet::new();
        for op in &model.operations {
            // A schema endpoint's `{resource}` names a resource: the sample is none.
            let keyed = op.action == Action::SchemaItem
                || matches!(
                    op.params().last().map(|p| &p.ty),
                    Some(ParamType::Id(_) | ParamType::Lookup { .. })
                );
            for path in concrete_paths(op, &model.api.prefix) {
                if keyed {
                    item_paths.insert(path.clone());
                }
                expected.entry(path).or_default().insert(op.method);
            }
        }

        let server = start(&name);
        for (path, methods) in &expected {
            assert!(
                Method::ALL.iter().any(|m| !methods.contains(m)),
                "{name}: {path} serves every method, so no 405 shows it is routed"
            );
            for method in Method::ALL {
                let body = matches!(method, Method::Post | Method::Put | Method::Patch)
                    .then_some(&b"{}"[..]);
                let headers: &[(&str, &str)] = if body.is_some() {
                    &[("Content-Type", "application/json")]
                } else {
                    &[]
                };
                // A live subscription's GET streams until the client leaves: a bad
                // resume position makes its handler answer (400) at once.
                let subscribe = method == Method::Get && path.ends_with("/events");
                let target = if subscribe {
                    format!("{path}?since=never")
                } else {
                    path.clone()
                };
                let response = server.request(method.as_str(), &target, headers, body);
                let exchange = format!("{name}: {} {path} → {}", method.as_str(), response.status);
                if methods.contains(&method) {
                    // The handler answers. A document key names no document in a
                    // fresh database: that 404 is the handler's (the path is routed,
                    // as the 405s of its other methods show).
                    assert_ne!(response.status, 405, "{exchange}: {}", response.text());
                    if !item_paths.contains(path) {
                        assert_ne!(response.status, 404, "{exchange}: {}", response.text());
                    }
                } else {
                    assert_eq!(
                        response.error(405),
                        "The method is not allowed for the requested URL.",
                        "{exchange}"
                    );
                }
            }
            if methods.contains(&Method::Get) {
                let response = server.head(path);
                assert_ne!(response.status, 405, "{name}: HEAD {path} (GET is served)");
            }
        }
    }
}

/// The operation ids a client's files name in their ``operation `id` `` marks
/// (`apigen::clients::operation_mark`), each generated method naming the one it calls.
fn marked_operations(files: &[apigen::OutputFile]) -> BTreeSet<String> {
    let mut marked = BTreeSet::new();
    for file in files {
        let mut rest = file.contents.as_str();
        while let Some(at) = rest.find("operation `") {
            rest = &rest[at + "operation `".len()..];
            if let Some(end) = rest.find('`') {
                marked.insert(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    marked
}

#[test]
fn each_client_covers_exactly_the_operations() {
    use apigen::model::clients::Language;
    for (name, model) in examples() {
        let expected: BTreeSet<String> = model.operations.iter().map(|op| op.id.clone()).collect();
        let files = apigen::clients::files(&model).unwrap_or_else(|error| panic!("{error}"));
        for language in Language::ALL {
            let dir = format!("{}/", language.dir());
            let client: Vec<_> = files
                .iter()
                .filter(|file| file.path.starts_with(&dir))
                .cloned()
                .collect();
            if !model.clients.languages.contains(&language) {
                assert!(client.is_empty(), "{name}: {dir} written but not asked for");
                continue;
            }
            assert!(!client.is_empty(), "{name}: no {} client", language.name());
            let marked = marked_operations(&client);
            let missing: Vec<_> = expected.difference(&marked).collect();
            let unknown: Vec<_> = marked.difference(&expected).collect();
            assert!(
                missing.is_empty() && unknown.is_empty(),
                "{name}: the {} client misses operations {missing:?} and names unknown ones {unknown:?}",
                language.name()
            );
        }
    }
}
