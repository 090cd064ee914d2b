//! `models.py`: the typed documents, inputs and field objects, and the Python names
//! of everything the client declares.

use std::collections::BTreeSet;

use heck::ToUpperCamelCase;

use super::{HEADER, doc_text, is_keyword, py_ident, py_str};
use crate::model::{Field, IdType, Kind, Model, Resource, ResultType};

/// The Python names of one resource's classes and attribute.
#[derive(Debug, Clone)]
pub(crate) struct ResourceNames {
    /// The spec's name.
    pub name: String,
    /// The client's attribute (or method, for a sub-resource): `books`.
    pub attr: String,
    /// The document `TypedDict`: `Book`.
    pub doc: String,
    /// Create and replace input: `BookInput`.
    pub input: String,
    /// Update input: `BookUpdate`.
    pub update: String,
    /// The field objects' class: `BookFields`.
    pub fields: String,
    /// The sync resource class: `BooksResource` (async: `AsyncBooksResource`).
    pub class: String,
}

/// Every name the generated modules declare, decided once so they never collide.
pub(crate) struct Names {
    pub resources: Vec<ResourceNames>,
}

/// The client classes' own attributes: a resource named like one gets a `_`.
const CLIENT_ATTRS: &[&str] = &[
    "http",
    "close",
    "batch",
    "lazy",
    "websocket",
    "live",
    "endpoints",
    "home",
    "openapi",
    "schema",
    "schema_item",
    "aclose",
];

impl Names {
    pub(crate) fn new(model: &Model) -> Names {
        let mut taken: BTreeSet<String> = BTreeSet::new();
        taken.insert(model.clients.naming.type_name.clone());
        taken.insert(format!("Async{}", model.clients.naming.type_name));
        taken.insert("Endpoints".into());
        taken.insert("AsyncEndpoints".into());
        let mut unique = |wanted: String, fallback: String| {
            let mut name = if taken.contains(&wanted) {
                fallback
            } else {
                wanted
            };
            while taken.contains(&name) {
                name.push('_');
            }
            taken.insert(name.clone());
            name
        };
        let mut resources = Vec::new();
        for resource in model.served() {
            let prefix = camel(&resource.name);
            let title = camel(&resource.item_title);
            let base = if title.is_empty() {
                prefix.clone()
            } else {
                title
            };
            let doc = unique(base.clone(), format!("{prefix}Document"));
            let input = unique(format!("{doc}Input"), format!("{prefix}Input"));
            let update = unique(format!("{doc}Update"), format!("{prefix}Update"));
            let fields = unique(format!("{doc}Fields"), format!("{prefix}Fields"));
            let class = unique(format!("{prefix}Resource"), format!("{prefix}Collection"));
            let _ = unique(format!("Async{class}"), format!("Async{class}_"));
            let mut attr = py_ident(&resource.name);
            if CLIENT_ATTRS.contains(&attr.as_str()) {
                attr.push('_');
            }
            resources.push(ResourceNames {
                name: resource.name.clone(),
                attr,
                doc,
                input,
                update,
                fields,
                class,
            });
        }
        Names { resources }
    }

    pub(crate) fn of(&self, resource: &str) -> &ResourceNames {
        self.resources
            .iter()
            .find(|r| r.name == resource)
            .expect("every served resource has names")
    }
}

/// `books_per_author` → `BooksPerAuthor`; a name that does not start with a letter
/// gets a `T` first.
pub(crate) fn camel(name: &str) -> String {
    let text = name.to_upper_camel_case();
    if text.starts_with(|c: char| c.is_ascii_alphabetic()) {
        text
    } else {
        format!("T{text}")
    }
}

/// The Python type of an `_id`.
pub(crate) fn id_type(id: IdType) -> &'static str {
    match id {
        IdType::Integer => "int",
        IdType::ObjectId | IdType::Uuid => "str",
    }
}

/// The `TypedDict`s the model writes: a name and its keys (name, type, required).
struct Dict {
    name: String,
    doc: String,
    keys: Vec<(String, String, bool)>,
    total: bool,
}

/// Writes typed dicts in dependency order (nested ones first).
pub(crate) struct Types<'m> {
    model: &'m Model,
    names: &'m Names,
    dicts: Vec<Dict>,
    taken: BTreeSet<String>,
}

impl<'m> Types<'m> {
    pub(crate) fn new(model: &'m Model, names: &'m Names) -> Types<'m> {
        let mut taken = BTreeSet::new();
        for r in &names.resources {
            for n in [&r.doc, &r.input, &r.update, &r.fields, &r.class] {
                taken.insert(n.clone());
            }
        }
        Types {
            model,
            names,
            dicts: Vec::new(),
            taken,
        }
    }

    fn fresh(&mut self, wanted: String) -> String {
        let mut name = wanted;
        while self.taken.contains(&name) {
            name.push('_');
        }
        self.taken.insert(name.clone());
        name
    }

    /// The Python type of a field's value; nested dicts get a `TypedDict` named
    /// `owner` + the field's name. `read`: as the server writes it (an embeddable
    /// reference may come embedded).
    pub(crate) fn field_type(&mut self, field: &Field, owner: &str, read: bool) -> String {
        let base = match field.kind {
            Kind::String | Kind::Datetime => "str".to_string(),
            Kind::ObjectId => match &field.relation {
                Some(rel) if read && rel.embeddable => {
                    let target = self
                        .names
                        .resources
                        .iter()
                        .find(|r| r.name == rel.resource)
                        .map(|r| r.doc.clone());
                    match target {
                        Some(doc) => format!("str | {doc}"),
                        None => "str | dict[str, _t.Any]".to_string(),
                    }
                }
                _ => "str".to_string(),
            },
            Kind::Integer => "int".to_string(),
            Kind::Float | Kind::Number => "float".to_string(),
            Kind::Boolean => "bool".to_string(),
            Kind::Dict => {
                if field.schema.is_empty() {
                    "dict[str, _t.Any]".to_string()
                } else {
                    let name = self.fresh(format!("{owner}{}", camel(&field.name)));
                    self.nested(&name, &field.schema, read);
                    name
                }
            }
            Kind::List => match field.items.as_deref() {
                Some(items) => {
                    let owner = format!("{owner}{}", camel(&field.name));
                    let mut item = items.clone();
                    item.name = "item".into();
                    let inner = self.field_type(&item, &owner, read);
                    format!("list[{inner}]")
                }
                None => "list[_t.Any]".to_string(),
            },
            Kind::Media => "_t.Any".to_string(),
            _ => "dict[str, _t.Any]".to_string(),
        };
        if field.nullable && base != "_t.Any" {
            format!("{base} | None")
        } else {
            base
        }
    }

    fn nested(&mut self, name: &str, fields: &[Field], read: bool) {
        let mut keys = Vec::new();
        for f in fields {
            let ty = self.field_type(f, name, read);
            keys.push((f.name.clone(), ty, f.required));
        }
        self.dicts.push(Dict {
            name: name.to_string(),
            doc: "A nested dict.".into(),
            keys,
            total: false,
        });
    }

    fn resource(&mut self, resource: &Resource) {
        let names = self.names.of(&resource.name).clone();
        let prefix = &self.model.api.prefix;
        if let Some(aggregation) = &resource.datasource.aggregation {
            let grouped = aggregation.results.is_some();
            let keys = match &aggregation.results {
                Some(results) => results
                    .iter()
                    .map(|(name, ty)| {
                        let t = match ty {
                            ResultType::Field(kind) => {
                                let ty =
                                    self.field_type(&Field::plain(name, *kind), &names.doc, false);
                                format!("{ty} | None")
                            }
                            ResultType::Null => "None".to_string(),
                            ResultType::Count => "int".to_string(),
                            ResultType::Sum => "float".to_string(),
                            ResultType::Average => "float | None".to_string(),
                        };
                        (name.clone(), t, true)
                    })
                    .collect(),
                None => {
                    let mut keys = Vec::new();
                    for f in &resource.fields {
                        if f.kind == Kind::Media {
                            continue;
                        }
                        let ty = self.field_type(f, &names.doc, true);
                        keys.push((f.name.clone(), ty, false));
                    }
                    keys
                }
            };
            self.dicts.push(Dict {
                name: names.doc.clone(),
                doc: format!(
                    "One result of the aggregation `{}` (`GET {prefix}/{}`).",
                    resource.name, resource.url
                ),
                keys,
                total: grouped,
            });
            return;
        }
        let id = id_type(resource.id_type);
        let mut doc_keys = vec![
            ("_id".to_string(), id.to_string(), true),
            ("_created".to_string(), "str".to_string(), true),
            ("_updated".to_string(), "str".to_string(), true),
            ("_etag".to_string(), "str".to_string(), true),
        ];
        let mut input_keys = Vec::new();
        let mut update_keys = Vec::new();
        for f in resource.fields.iter().filter(|f| !f.name.starts_with('_')) {
            let read = self.field_type(f, &names.doc, true);
            doc_keys.push((f.name.clone(), read, f.required));
            let write = self.field_type(f, &names.input, false);
            let stamped = resource.auth_field.as_deref() == Some(f.name.as_str());
            if !stamped {
                // A sub-resource's path fields come from the URL.
                let required =
                    f.required && f.default.is_none() && !resource.path_fields.contains(&f.name);
                input_keys.push((f.name.clone(), write.clone(), required));
                update_keys.push((f.name.clone(), write, false));
            } else {
                let _ = write;
            }
        }
        if resource.lifecycle.soft_delete {
            doc_keys.push(("_deleted".into(), "bool".into(), false));
        }
        if resource.lifecycle.versioning {
            doc_keys.push(("_version".into(), "int".into(), false));
            doc_keys.push(("_latest_version".into(), "int".into(), false));
        }
        if resource.hateoas {
            doc_keys.push(("_links".into(), "dict[str, _t.Any]".into(), false));
        }
        let path = format!("{prefix}/{}", resource.url);
        self.dicts.push(Dict {
            name: names.doc.clone(),
            doc: format!(
                "A document of `{}` as the server writes it (`GET {path}/{{_id}}`). Extra\n    fields the server adds (projection, embedding) are kept at run time.",
                resource.name
            ),
            keys: doc_keys,
            total: false,
        });
        self.dicts.push(Dict {
            name: names.input.clone(),
            doc: format!(
                "A new `{}` document (create, replace): required fields required.",
                resource.name
            ),
            keys: input_keys,
            total: false,
        });
        self.dicts.push(Dict {
            name: names.update.clone(),
            doc: format!(
                "Changes to a `{}` document (update): every field optional.",
                resource.name
            ),
            keys: update_keys,
            total: false,
        });
    }
}

/// The filter type of a field: the field object's class (`_rt.StrField[str]`), and a
/// nested class to declare first for a dict with a schema.
fn field_object(
    field: &Field,
    owner: &str,
    classes: &mut Vec<String>,
    taken: &mut BTreeSet<String>,
) -> String {
    let t = |class: &str, ty: &str| format!("_rt.{class}[{ty}]");
    match field.kind {
        Kind::String | Kind::Datetime | Kind::ObjectId => t("StrField", "str"),
        Kind::Integer => t("Field", "int"),
        Kind::Float | Kind::Number => t("Field", "float"),
        Kind::Boolean => t("Field", "bool"),
        Kind::List => match field.items.as_deref() {
            Some(items) if items.kind != Kind::Dict && items.kind != Kind::List => {
                field_object(items, owner, classes, taken)
            }
            _ => "_rt.AnyField".to_string(),
        },
        Kind::Dict if !field.schema.is_empty() => {
            let mut name = format!("{owner}{}", camel(&field.name));
            while taken.contains(&name) {
                name.push('_');
            }
            taken.insert(name.clone());
            let mut body = format!(
                "class {name}(_rt.Field[dict[str, _t.Any]]):\n    \"\"\"The fields of `{}`.\"\"\"\n\n    def __init__(self, path: str) -> None:\n        super().__init__(path)\n",
                doc_text(&field.name)
            );
            for sub in &field.schema {
                let class = field_object(sub, &name, classes, taken);
                body.push_str(&format!(
                    "        self.{} = {class}(path + {})\n",
                    attr_name(&sub.name),
                    py_str(&format!(".{}", sub.name))
                ));
            }
            classes.push(body);
            name
        }
        _ => "_rt.AnyField".to_string(),
    }
}

/// A field's attribute on a field-object class: keywords and the names the field
/// classes use themselves get a `_`.
fn attr_name(name: &str) -> String {
    const OWN: &[&str] = &[
        "path", "re", "asc", "desc", "exists", "in_", "not_in", "mem",
    ];
    if is_keyword(name) || OWN.contains(&name) {
        format!("{name}_")
    } else {
        name.to_string()
    }
}

/// The Python types of a custom endpoint's inputs and answer.
pub(crate) struct EndpointTypes {
    /// Path parameters: name and type, in path order.
    pub path: Vec<(String, String)>,
    /// Query parameters: wire name, type, required.
    pub query: Vec<(String, String, bool)>,
    pub body: Option<String>,
    pub response: Option<String>,
}

/// `models.py`, and the types of each custom endpoint (in `model.endpoints` order).
pub(crate) fn models(model: &Model, names: &Names) -> (String, Vec<EndpointTypes>) {
    let mut types = Types::new(model, names);
    for resource in model.served() {
        types.resource(resource);
    }
    let mut endpoint_types = Vec::new();
    for endpoint in &model.endpoints {
        let prefix = endpoint.type_prefix.clone();
        let path = endpoint
            .path_fields
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    types.field_type(f, &format!("{prefix}Path"), false),
                )
            })
            .collect();
        let query = endpoint
            .query
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    types.field_type(f, &format!("{prefix}Query"), false),
                    f.required,
                )
            })
            .collect();
        let body = endpoint
            .body
            .as_ref()
            .map(|b| types.field_type(b, &prefix, false));
        let response = endpoint
            .response
            .as_ref()
            .map(|r| types.field_type(r, &prefix, false));
        endpoint_types.push(EndpointTypes {
            path,
            query,
            body,
            response,
        });
    }
    let mut out = String::from(HEADER);
    out.push_str(&format!(
        "\"\"\"The documents of the {} as typed dicts, and their typed field objects.\"\"\"\n\n",
        doc_text(&model.api.title.replace(['\n', '\r'], " "))
    ));
    out.push_str("from __future__ import annotations\n\nimport typing as _t\n\nfrom . import _runtime as _rt\n");
    let mut all: Vec<String> = Vec::new();
    for dict in &types.dicts {
        out.push('\n');
        write_dict(&mut out, dict);
        all.push(dict.name.clone());
    }
    // Field objects.
    let mut taken = types.taken.clone();
    for resource in model.served() {
        if resource.datasource.aggregation.is_some() {
            continue;
        }
        let n = names.of(&resource.name);
        let mut classes = Vec::new();
        let mut attrs = vec![
            format!(
                "    _id = _rt.{}(\"_id\")\n",
                if resource.id_type == IdType::Integer {
                    "Field[int]"
                } else {
                    "StrField[str]"
                }
            ),
            "    _created = _rt.StrField[str](\"_created\")\n".to_string(),
            "    _updated = _rt.StrField[str](\"_updated\")\n".to_string(),
        ];
        for f in &resource.fields {
            let class = field_object(f, &n.doc, &mut classes, &mut taken);
            attrs.push(format!(
                "    {} = {class}({})\n",
                attr_name(&f.name),
                py_str(&f.name)
            ));
        }
        for class in classes {
            out.push_str("\n\n");
            out.push_str(&class);
            all.push(
                class
                    .split(['(', ' '])
                    .nth(1)
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        let example = resource
            .fields
            .iter()
            .find(|f| !f.name.starts_with('_') && !is_keyword(&f.name))
            .map(|f| {
                let value = match f.kind {
                    Kind::Integer | Kind::Float | Kind::Number => "3",
                    Kind::Boolean => "True",
                    _ => "'x'",
                };
                format!("`{}.{} == {value}`, ", n.fields, attr_name(&f.name))
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "\n\nclass {}:\n    \"\"\"The fields of `{}` for filters, sort keys and projections:\n    {}`{}._created.desc()`.\"\"\"\n\n",
            n.fields,
            doc_text(&resource.name),
            doc_text(&example),
            n.fields
        ));
        for a in attrs {
            out.push_str(&a);
        }
        all.push(n.fields.clone());
    }
    out.push_str("\n\n__all__ = [\n");
    for name in &all {
        out.push_str(&format!("    {},\n", py_str(name)));
    }
    out.push_str("]\n");
    (out, endpoint_types)
}

fn write_dict(out: &mut String, dict: &Dict) {
    let functional = dict.keys.iter().any(|(k, _, _)| {
        is_keyword(k) || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    let wrap = |ty: &str, required: bool| {
        if dict.total {
            ty.to_string()
        } else if required {
            format!("_t.Required[{ty}]")
        } else {
            ty.to_string()
        }
    };
    if functional {
        out.push_str(&format!(
            "\n{} = _t.TypedDict(\n    {},\n    {{\n",
            dict.name,
            py_str(&dict.name)
        ));
        for (k, ty, req) in &dict.keys {
            out.push_str(&format!("        {}: {},\n", py_str(k), wrap(ty, *req)));
        }
        out.push_str(&format!(
            "    }},\n    total={},\n)\n",
            if dict.total { "True" } else { "False" }
        ));
        out.push_str(&format!("\"\"\"{}\"\"\"\n", doc_text(&dict.doc)));
        return;
    }
    let total = if dict.total { "" } else { ", total=False" };
    out.push_str(&format!(
        "\nclass {}(_t.TypedDict{total}):\n    \"\"\"{}\"\"\"\n",
        dict.name,
        doc_text(&dict.doc)
    ));
    if !dict.keys.is_empty() {
        out.push('\n');
    }
    for (k, ty, req) in &dict.keys {
        out.push_str(&format!("    {k}: {}\n", wrap(ty, *req)));
    }
}
