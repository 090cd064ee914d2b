//! The Rust client's types: names chosen once (collision-free), documents, inputs,
//! nested dicts, field accessors, aggregation rows and endpoint structs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use heck::ToUpperCamelCase;

use crate::model::{Field, IdType, Kind, Model, Resource, ResultType, rust_ident};

/// Names no generated type takes: the prelude's, and what the crate root exports.
const RESERVED: &[&str] = &[
    "Option",
    "Result",
    "String",
    "Vec",
    "Box",
    "Some",
    "None",
    "Ok",
    "Err",
    "Default",
    "Clone",
    "Debug",
    "Send",
    "Sync",
    "Sized",
    "Copy",
    "Fn",
    "Iterator",
    "Into",
    "From",
    "Serialize",
    "Deserialize",
    "Value",
    "Map",
    "Error",
    "ApiError",
    "Query",
    "Filter",
    "Field",
    "Sort",
    "Page",
    "Event",
    "Change",
    "Reconnect",
    "Ref",
    "WriteResult",
    "BulkItem",
    "Document",
    "Credentials",
    "ClientBuilder",
    "Retry",
    "Transport",
    "Table",
    "ImportMode",
    "OnError",
    "ImportOptions",
    "ImportReport",
    "Stream",
    "StreamExt",
    "TryStreamExt",
    "Endpoints",
    "Self",
];

/// The type names of one resource.
#[derive(Debug, Clone)]
pub struct ResourceNames {
    /// The document: `Book`.
    pub doc: String,
    /// The create (and replace) input: `NewBook`.
    pub new: String,
    /// The update input: `BookUpdate`.
    pub update: String,
    /// The field accessors: `BookFields`.
    pub fields: String,
    /// The handle: `BooksResource`.
    pub handle: String,
    /// Where the document type is, from another module: `crate::books::Book`.
    pub path: String,
}

/// Every resource's names.
pub struct Names {
    by_resource: BTreeMap<String, ResourceNames>,
}

impl Names {
    pub fn new(model: &Model) -> Names {
        let served: Vec<&Resource> = model.served().collect();
        let titles: Vec<String> = served
            .iter()
            .map(|r| r.item_title.to_upper_camel_case())
            .collect();
        let mut by_resource = BTreeMap::new();
        for (i, resource) in served.iter().enumerate() {
            let title = &titles[i];
            let unique = titles.iter().filter(|t| *t == title).count() == 1;
            let valid = title.starts_with(|c: char| c.is_ascii_alphabetic())
                && title.chars().all(|c| c.is_ascii_alphanumeric());
            let doc = if unique && valid && !RESERVED.contains(&title.as_str()) {
                title.clone()
            } else {
                resource.doc_type.clone()
            };
            let camel = resource.name.to_upper_camel_case();
            by_resource.insert(
                resource.name.clone(),
                ResourceNames {
                    new: format!("New{doc}"),
                    update: format!("{doc}Update"),
                    fields: format!("{doc}Fields"),
                    handle: format!("{camel}Resource"),
                    path: format!("crate::{}::{doc}", resource.module_ident),
                    doc,
                },
            );
        }
        Names { by_resource }
    }

    pub fn resource(&self, name: &str) -> &ResourceNames {
        &self.by_resource[name]
    }

    fn get(&self, name: &str) -> Option<&ResourceNames> {
        self.by_resource.get(name)
    }
}

/// A Rust string literal of `text`.
pub fn lit(text: &str) -> String {
    format!("{text:?}")
}

/// The spec's text made safe for rustdoc's Markdown: no HTML tags, no links.
pub fn doc_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('[', "\\[")
        .replace(']', "\\]")
}

/// `///` lines of `text`.
pub fn doc_lines(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.trim().is_empty() {
                "///\n".to_string()
            } else {
                format!("/// {}\n", line.trim_end())
            }
        })
        .collect()
}

/// A field's Rust identifier (snake case, keywords escaped).
pub fn ident(name: &str) -> String {
    rust_ident(name)
}

/// Whether a create input's constructor takes this field: required, no default, not
/// given by the URL (a sub-resource's path field) or the server (`auth_field`).
pub fn constructor_field(resource: &Resource, field: &Field) -> bool {
    field.required
        && field.default.is_none()
        && !resource.path_fields.contains(&field.name)
        && resource.auth_field.as_deref() != Some(&field.name)
}

/// The fields a client reads and writes: the spec's, without the server's own
/// (`_deleted`, `_version`), which the document types hold themselves.
pub fn user_fields(resource: &Resource) -> Vec<Field> {
    resource
        .fields
        .iter()
        .filter(|f| !f.name.starts_with('_'))
        .cloned()
        .collect()
}

/// Which struct is being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructMode {
    /// A create/replace input: required fields required.
    New,
    /// An update input: every field optional.
    Update,
}

/// Writes types into `out`, nested structs once each.
pub struct Types<'a> {
    model: &'a Model,
    names: &'a Names,
    pub out: String,
    written: BTreeSet<String>,
}

/// The struct fields' identifiers for `fields`, distinct from `taken` and each other.
fn field_idents(fields: &[Field], taken: &[&str]) -> Vec<String> {
    let mut used: BTreeSet<String> = taken.iter().map(|s| s.to_string()).collect();
    fields
        .iter()
        .map(|f| {
            let mut name = ident(&f.name);
            while used.contains(name.trim_start_matches("r#")) {
                name = format!("{}_field", name.trim_start_matches("r#"));
            }
            used.insert(name.trim_start_matches("r#").to_string());
            name
        })
        .collect()
}

impl<'a> Types<'a> {
    pub fn new(model: &'a Model, names: &'a Names) -> Types<'a> {
        Types {
            model,
            names,
            out: String::new(),
            written: BTreeSet::new(),
        }
    }

    /// The Rust type of `field`'s values; nested dicts become structs named
    /// `owner` + the field's name. `refs`: embeddable references are `Ref`s.
    pub fn value_type(&mut self, owner: &str, field: &Field, refs: bool) -> String {
        let base = match field.kind {
            Kind::String | Kind::ObjectId | Kind::Datetime => "String".to_string(),
            Kind::Integer => "i64".to_string(),
            Kind::Float | Kind::Number => "f64".to_string(),
            Kind::Boolean => "bool".to_string(),
            Kind::Dict if field.schema.is_empty() => {
                "serde_json::Map<String, serde_json::Value>".to_string()
            }
            Kind::Dict => {
                let name = format!("{owner}{}", field.name.to_upper_camel_case());
                if self.written.insert(name.clone()) {
                    let fields = field.schema.clone();
                    self.plain_struct(&name, &fields, &format!("The `{}` dict.", field.name));
                }
                name
            }
            Kind::List => match &field.items {
                Some(items) => {
                    let owner = format!("{owner}{}", field.name.to_upper_camel_case());
                    let mut item = (**items).clone();
                    item.name = "item".to_string();
                    format!("Vec<{}>", self.value_type(&owner, &item, refs))
                }
                None => "Vec<serde_json::Value>".to_string(),
            },
            _ => "serde_json::Value".to_string(),
        };
        match &field.relation {
            Some(relation) if refs && relation.embeddable => {
                match self.names.get(&relation.resource).filter(|_| {
                    self.model
                        .served()
                        .any(|r| r.name == relation.resource && r.datasource.aggregation.is_none())
                }) {
                    Some(target) => format!("rt::document::Ref<{base}, {}>", target.path),
                    None => "serde_json::Value".to_string(),
                }
            }
            _ => base,
        }
    }

    /// A struct of plain fields (nested dicts, endpoint queries and bodies): required
    /// fields as they are, the others optional; unknown keys kept.
    pub fn plain_struct(&mut self, name: &str, fields: &[Field], doc: &str) {
        self.written.insert(name.to_string());
        let idents = field_idents(fields, &["extra"]);
        let mut body = String::new();
        for (field, id) in fields.iter().zip(&idents) {
            self.served_field(&mut body, name, field, id);
        }
        let _ = write!(
            self.out,
            "{}#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]\npub struct {name} {{\n{body}\
             /// Keys the schema does not name.\n#[serde(flatten)]\npub extra: serde_json::Map<String, serde_json::Value>,\n}}\n\n",
            doc_lines(doc)
        );
    }

    /// One field of a struct the server writes (a document, a nested dict): a required
    /// field as it is (its default when a projection leaves it out), the others
    /// optional. `owner` names the struct, for the names of nested types.
    fn served_field(&mut self, body: &mut String, owner: &str, field: &Field, id: &str) {
        let ty = self.value_type(owner, field, true);
        let _ = write!(body, "{}", field_doc(field));
        if field.required && !field.nullable {
            let _ = writeln!(
                body,
                "#[serde(rename = {}, default)]\npub {id}: {ty},",
                lit(&field.name)
            );
        } else {
            let _ = writeln!(
                body,
                "#[serde(rename = {}, default, skip_serializing_if = \"Option::is_none\")]\npub {id}: Option<{ty}>,",
                lit(&field.name)
            );
        }
    }

    /// The document as the server serves it.
    pub fn document(&mut self, resource: &Resource, n: &ResourceNames) {
        let doc = &n.doc;
        let mut system = vec!["id", "created", "updated", "etag", "extra"];
        if resource.lifecycle.versioning {
            system.extend(["version", "latest_version"]);
        }
        if resource.lifecycle.soft_delete {
            system.push("deleted");
        }
        let user = user_fields(resource);
        let idents = field_idents(&user, &system);
        let id_type = match resource.id_type {
            IdType::Integer => "i64",
            _ => "String",
        };
        let mut body = format!(
            "/// `_id`.\n#[serde(rename = \"_id\")]\npub id: {id_type},\n\
             /// `_created`, in the API's date format.\n#[serde(rename = \"_created\", default)]\npub created: String,\n\
             /// `_updated`, in the API's date format.\n#[serde(rename = \"_updated\", default)]\npub updated: String,\n\
             /// `_etag`: what a write sends as `If-Match`.\n#[serde(rename = \"_etag\", default)]\npub etag: String,\n"
        );
        if resource.lifecycle.versioning {
            body.push_str(
                "/// `_version`: this document's version.\n#[serde(rename = \"_version\", default, skip_serializing_if = \"Option::is_none\")]\npub version: Option<i64>,\n\
                 /// `_latest_version`.\n#[serde(rename = \"_latest_version\", default, skip_serializing_if = \"Option::is_none\")]\npub latest_version: Option<i64>,\n",
            );
        }
        if resource.lifecycle.soft_delete {
            body.push_str(
                "/// `_deleted`: soft-deleted (listed with `show_deleted`).\n#[serde(rename = \"_deleted\", default, skip_serializing_if = \"Option::is_none\")]\npub deleted: Option<bool>,\n",
            );
        }
        for (field, id) in user.iter().zip(&idents) {
            self.served_field(&mut body, doc, field, id);
        }
        let _ = write!(
            self.out,
            "/// A document of `{name}`, as the server serves it. Required fields are plain\n\
             /// values (a projection that leaves one out gives its default); the others are\n\
             /// `Option`s; whatever else the server adds (`_links`, embedded documents) is in\n/// `extra`.\n\
             #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]\npub struct {doc} {{\n{body}\
             /// What else the server sent (`_links`...).\n#[serde(flatten)]\npub extra: serde_json::Map<String, serde_json::Value>,\n}}\n\n\
             impl {doc} {{\n/// The typed fields, for filters, sorts, projections and embedding.\npub fn fields() -> {fields} {{\n{fields}\n}}\n}}\n\n",
            name = resource.name,
            fields = n.fields,
        );
    }

    /// A create/replace input (`New<Doc>`) or an update input (`<Doc>Update`).
    pub fn input(&mut self, resource: &Resource, name: &str, mode: StructMode) {
        let user = user_fields(resource);
        let idents = field_idents(&user, &["extra", "new"]);
        let owner = &self.names.resource(&resource.name).doc.clone();
        let mut body = String::new();
        let mut ctor_args = Vec::new();
        let mut ctor_fields = Vec::new();
        let mut setters = String::new();
        for (field, id) in user.iter().zip(&idents) {
            let ty = self.value_type(owner, field, false);
            let _ = write!(body, "{}", field_doc(field));
            let required = mode == StructMode::New && constructor_field(resource, field);
            if required {
                let _ = writeln!(
                    body,
                    "#[serde(rename = {})]\npub {id}: {ty},",
                    lit(&field.name)
                );
                if ty == "String" {
                    ctor_args.push(format!("{id}: impl Into<String>"));
                    ctor_fields.push(format!("{id}: {id}.into()"));
                } else {
                    ctor_args.push(format!("{id}: {ty}"));
                    ctor_fields.push(id.clone());
                }
            } else {
                let _ = writeln!(
                    body,
                    "#[serde(rename = {}, skip_serializing_if = \"Option::is_none\")]\npub {id}: Option<{ty}>,",
                    lit(&field.name)
                );
                ctor_fields.push(format!("{id}: None"));
                let (arg, value) = if ty == "String" {
                    ("impl Into<String>".to_string(), "value.into()")
                } else {
                    (ty.clone(), "value")
                };
                let _ = write!(
                    setters,
                    "/// Sets `{}`.\npub fn {id}(mut self, value: {arg}) -> Self {{\nself.{id} = Some({value});\nself\n}}\n\n",
                    field.name
                );
            }
        }
        let (doc, ctor_doc) = match mode {
            StructMode::New => (
                format!(
                    "A new document of `{}` (POST, and PUT's whole document): required fields are\n/// the constructor's arguments, the others set with the builder methods.",
                    resource.name
                ),
                "A document with its required fields; set the others with the builder methods.",
            ),
            StructMode::Update => (
                format!(
                    "Changes to a document of `{}` (PATCH): only the fields set are sent.",
                    resource.name
                ),
                "No change yet; set fields with the builder methods.",
            ),
        };
        let derive_default = if ctor_args.is_empty() {
            "Default, "
        } else {
            ""
        };
        let _ = write!(
            self.out,
            "/// {doc}\n#[derive(Debug, Clone, {derive_default}PartialEq, Serialize, Deserialize)]\npub struct {name} {{\n{body}\
             /// Other keys to send.\n#[serde(flatten)]\npub extra: serde_json::Map<String, serde_json::Value>,\n}}\n\n\
             impl {name} {{\n/// {ctor_doc}\n#[allow(clippy::new_without_default)]\npub fn new({args}) -> {name} {{\n{name} {{ {fields}{comma} extra: serde_json::Map::new() }}\n}}\n\n{setters}}}\n\n",
            args = ctor_args.join(", "),
            fields = ctor_fields.join(", "),
            comma = if ctor_fields.is_empty() { "" } else { "," },
        );
    }

    /// The typed field accessors: `Book::fields().title()`.
    pub fn fields(&mut self, resource: &Resource, n: &ResourceNames) {
        let doc = &n.doc;
        let mut methods = String::new();
        let all = user_fields(resource);
        let idents = field_idents(&all, &[]);
        let user: BTreeSet<&str> = idents.iter().map(|s| s.trim_start_matches("r#")).collect();
        let id_kind = match resource.id_type {
            IdType::Integer => "Int",
            _ => "Id",
        };
        for (name, wire, kind) in [
            ("id", "_id", id_kind),
            ("created", "_created", "Date"),
            ("updated", "_updated", "Date"),
        ] {
            if !user.contains(name) {
                let _ = write!(
                    methods,
                    "/// `{wire}`.\npub fn {name}(&self) -> rt::query::Field<{doc}, rt::query::{kind}> {{\nrt::query::Field::new({})\n}}\n\n",
                    lit(wire)
                );
            }
        }
        methods.push_str(&self.field_methods(doc, &n.fields, "", &all, &idents));
        let _ = write!(
            self.out,
            "/// The fields of `{doc}`, typed by kind: `{doc}::fields().<field>()`.\n#[derive(Debug, Clone, Copy, Default)]\npub struct {fields};\n\n\
             impl {fields} {{\n{methods}}}\n\n",
            fields = n.fields,
        );
    }

    /// The accessors of `fields` (below `prefix`, dotted): a dict with a schema is a
    /// struct of its own fields (`fields().location().city()`, `.whole()` for itself).
    fn field_methods(
        &mut self,
        doc: &str,
        owner: &str,
        prefix: &str,
        fields: &[Field],
        idents: &[String],
    ) -> String {
        let mut methods = String::new();
        for (field, id) in fields.iter().zip(idents) {
            let path = format!("{prefix}{}", field.name);
            if field.kind == Kind::Dict && !field.schema.is_empty() {
                let nested = format!("{owner}{}", field.name.to_upper_camel_case());
                let nested_idents = field_idents(&field.schema, &["whole"]);
                let inner = self.field_methods(
                    doc,
                    &nested,
                    &format!("{path}."),
                    &field.schema,
                    &nested_idents,
                );
                let _ = write!(
                    self.out,
                    "/// The fields of the `{path}` dict.\n#[derive(Debug, Clone, Copy, Default)]\npub struct {nested};\n\n\
                     impl {nested} {{\n/// The dict itself (`{path}`).\npub fn whole(&self) -> rt::query::Field<{doc}, rt::query::Json> {{\nrt::query::Field::new({lit})\n}}\n\n{inner}}}\n\n",
                    lit = lit(&path),
                );
                let _ = write!(
                    methods,
                    "/// `{path}` (dict): its fields, and `.whole()`.\npub fn {id}(&self) -> {nested} {{\n{nested}\n}}\n\n"
                );
                continue;
            }
            let kind = match field.kind {
                Kind::String => "Text",
                Kind::ObjectId => "Id",
                Kind::Datetime => "Date",
                Kind::Integer => "Int",
                Kind::Float | Kind::Number => "Num",
                Kind::Boolean => "Bool",
                _ => "Json",
            };
            let _ = write!(
                methods,
                "/// `{path}` ({}).\npub fn {id}(&self) -> rt::query::Field<{doc}, rt::query::{kind}> {{\nrt::query::Field::new({})\n}}\n\n",
                field.kind.name(),
                lit(&path)
            );
        }
        methods
    }

    /// An aggregation's result row, typed by what each `$group` field holds.
    pub fn aggregation_row(&mut self, name: &str, results: &[(String, ResultType)]) {
        let fields: Vec<Field> = results
            .iter()
            .map(|(n, _)| Field::plain(n, Kind::String))
            .collect();
        let idents = field_idents(&fields, &["extra"]);
        let mut body = String::new();
        for ((field, ty), id) in results.iter().zip(&idents) {
            let ty = match ty {
                ResultType::Field(kind) => {
                    let plain = Field::plain(field, *kind);
                    format!("Option<{}>", self.value_type(name, &plain, false))
                }
                ResultType::Null => "Option<serde_json::Value>".to_string(),
                ResultType::Count => "i64".to_string(),
                ResultType::Sum => "f64".to_string(),
                ResultType::Average => "Option<f64>".to_string(),
            };
            let _ = writeln!(
                body,
                "/// `{field}`.\n#[serde(rename = {}, default)]\npub {id}: {ty},",
                lit(field)
            );
        }
        let _ = write!(
            self.out,
            "/// One result of the aggregation pipeline.\n#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]\npub struct {name} {{\n{body}\
             /// Keys the pipeline's results hold besides.\n#[serde(flatten)]\npub extra: serde_json::Map<String, serde_json::Value>,\n}}\n\n"
        );
    }
}

/// A field's doc comment: its name, kind and rules in a line.
fn field_doc(field: &Field) -> String {
    let mut rules = vec![field.kind.name().to_string()];
    if field.required {
        rules.push("required".into());
    }
    if field.nullable {
        rules.push("nullable".into());
    }
    if field.unique {
        rules.push("unique".into());
    }
    if let Some(relation) = &field.relation {
        rules.push(format!("references `{}`", relation.resource));
    }
    format!("/// `{}`: {}.\n", field.name, rules.join(", "))
}
