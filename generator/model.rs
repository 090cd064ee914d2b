//! The Model: a spec resolved and validated into exactly what the templates print.
//!
//! Names are cased here (heck), Rust keywords escaped here, defaults applied here,
//! routes computed here. A template never decides anything a test of the Model could
//! check; it only prints fields of these structs.

use heck::{ToSnakeCase, ToUpperCamelCase};
use indexmap::IndexMap;
use toml::Spanned;

use crate::date_format::DateFormat;
use crate::diagnostic::{Diagnostic, closest};
use crate::spec::{ApiSpec, FieldSpec, ResourceSpec, Spec};

/// Default page size and page cap (Eve's `PAGINATION_DEFAULT` and `PAGINATION_LIMIT`).
const PAGINATION_DEFAULT: u32 = 25;
const PAGINATION_LIMIT: u32 = 50;
/// Default request body cap: 1 MiB.
const MAX_BODY_BYTES: u64 = 1 << 20;
/// Nesting allowed in a schema (dicts in lists in dicts...).
const MAX_SCHEMA_DEPTH: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub api: Api,
    pub resources: Vec<Resource>,
}

impl Model {
    /// Whether some resource's ids are UUIDs (the crate then gets the `uuid` module).
    pub fn uses_uuid_ids(&self) -> bool {
        self.resources.iter().any(|r| r.id_type == IdType::Uuid)
    }

    /// The resources that have HTTP routes (all but `internal_resource` ones).
    pub fn served(&self) -> impl Iterator<Item = &Resource> {
        self.resources.iter().filter(|r| !r.internal)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// The spec's `name`, e.g. `people`.
    pub name: String,
    /// The generated package, `<name>-api`.
    pub package: String,
    /// The generated library crate, `<name>_api`.
    pub lib: String,
    pub version: String,
    pub title: String,
    pub description: String,
    /// Path prefix of every route, `/api/v1`, or empty to serve at the root.
    pub prefix: String,
    pub max_body_bytes: u64,
    /// `_links` and the home page (Eve's `HATEOAS`); resources inherit it.
    pub hateoas: bool,
    /// Renderers, JSONP, method override, CORS.
    pub web: crate::web::Web,
    /// Eve's `DATE_FORMAT` when the spec changes it; `None`: RFC 1123 (the fast path).
    pub date_format: Option<DateFormat>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The spec's name, e.g. `people`: the resource name on the wire and in hooks.
    pub name: String,
    /// Module file stem, e.g. `people` (file `people.rs`).
    pub module_file: String,
    /// Module identifier as written in Rust (`r#type` for a resource called `type`).
    pub module_ident: String,
    /// The document struct, e.g. `PeopleDocument`.
    pub doc_type: String,
    /// Table name (always quoted in SQL).
    pub table: String,
    /// Collection path below the prefix, e.g. `people`.
    pub url: String,
    /// Title of one document in `_links`.
    pub item_title: String,
    pub resource_methods: Methods,
    pub item_methods: Methods,
    pub pagination_default: u32,
    pub pagination_limit: u32,
    /// PATCH fills the defaults of fields it leaves missing (Eve's default: true).
    pub normalize_on_patch: bool,
    /// PATCH merges nested dicts into the stored ones (Eve's default: true).
    pub merge_nested_documents: bool,
    pub fields: Vec<Field>,
    /// Field paths clients may filter on; `None` is Eve's `["*"]` (all), empty: none.
    pub allowed_filters: Option<Vec<String>>,
    /// Whether `sort` is honoured (Eve ignores it when off).
    pub sorting: bool,
    /// Whether the collection is paged.
    pub pagination: bool,
    /// Whether the `projection` parameter is honoured.
    pub projection: bool,
    /// Whether filter values must satisfy the fields' rules (Eve's `VALIDATE_FILTERING`).
    pub validate_filtering: bool,
    pub datasource: Datasource,
    /// `_links` in this resource's responses (Eve's `hateoas`).
    pub hateoas: bool,
    /// The references `?embedded=` may replace by the documents they name.
    pub embeds: Vec<Embed>,
    /// `Cache-Control`/`Expires` of its GET responses.
    pub cache: crate::web::Cache,
    /// The fields named by the `{field}` segments of `url` (a sub-resource), in order.
    pub path_fields: Vec<String>,
    /// The type of `_id` (`id_type`).
    pub id_type: IdType,
    /// Eve's `additional_lookup`: a read-only item route by another unique field.
    pub lookup: Option<Lookup>,
    /// Eve's `internal_resource`: the table exists, but no route serves it.
    pub internal: bool,
}

/// `datasource`: the table a resource reads, its fixed filter, default projection and
/// default sort. `Datasource::default()` is a resource over its own table, unfiltered.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Datasource {
    /// The resource whose table (and schema) this one serves, when not its own.
    pub source: Option<String>,
    /// The fixed filter compiled to an SQL boolean expression.
    pub filter_sql: Option<String>,
    /// The default projection as JSON text (`{"name":1}`).
    pub projection: Option<String>,
    /// The default sort in `sort` syntax (`name,-price`).
    pub default_sort: Option<String>,
}

/// A `data_relation` marked `embeddable`, found anywhere in a resource's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Embed {
    /// Dotted path from the document: `author`, `meta.editor` (through dicts and
    /// lists of dicts); the value there is one reference or a list of them.
    pub path: String,
    /// Embedded unless the request opts out (listed in `embedded_fields`).
    pub default: bool,
    /// The referenced resource's document type below `crate::api::resources`,
    /// e.g. `people::PeopleDocument`.
    pub target: String,
    /// The referenced field (`_id` or a unique top-level field): its column.
    pub key: String,
}

impl Model {
    /// Whether any resource can embed: the crate then gets the `embed` module.
    pub fn uses_embedding(&self) -> bool {
        self.resources.iter().any(|r| !r.embeds.is_empty())
    }
}

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

    /// The variant of the generated crate's `routes::IdType`.
    pub fn variant(self) -> &'static str {
        match self {
            IdType::ObjectId => "ObjectId",
            IdType::Uuid => "Uuid",
            IdType::Integer => "Integer",
        }
    }

    /// The OpenAPI schema of an `_id`.
    pub fn openapi(self) -> serde_json::Value {
        use serde_json::json;
        match self {
            IdType::ObjectId => Kind::ObjectId.openapi(),
            IdType::Uuid => json!({"type": "string", "format": "uuid"}),
            IdType::Integer => json!({"type": "integer", "format": "int64"}),
        }
    }
}

/// `additional_lookup`: `GET <url>/<value>` finds the document whose `field` is `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    pub field: String,
    /// What a lookup value must look like (unanchored, as written in the spec).
    pub regex: String,
}

/// Which HTTP methods a route answers (GET is always on: Eve has no write-only routes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Methods {
    pub post: bool,
    pub put: bool,
    pub patch: bool,
    pub delete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Float,
    Number,
    Boolean,
    Datetime,
    ObjectId,
    Dict,
    List,
    // GeoJSON geometries (Eve's Mongo types), stored as JSON text.
    Point,
    LineString,
    Polygon,
    MultiPoint,
    MultiLineString,
    MultiPolygon,
    GeometryCollection,
}

impl Kind {
    pub const ALL: [(&'static str, Kind); 16] = [
        ("string", Kind::String),
        ("integer", Kind::Integer),
        ("float", Kind::Float),
        ("number", Kind::Number),
        ("boolean", Kind::Boolean),
        ("datetime", Kind::Datetime),
        ("objectid", Kind::ObjectId),
        ("dict", Kind::Dict),
        ("list", Kind::List),
        ("point", Kind::Point),
        ("linestring", Kind::LineString),
        ("polygon", Kind::Polygon),
        ("multipoint", Kind::MultiPoint),
        ("multilinestring", Kind::MultiLineString),
        ("multipolygon", Kind::MultiPolygon),
        ("geometrycollection", Kind::GeometryCollection),
    ];

    /// Whether this is a GeoJSON geometry type.
    pub fn is_geo(self) -> bool {
        self.geojson_type().is_some()
    }

    /// The GeoJSON `type` member of a value of this kind (`Point`, ...).
    pub fn geojson_type(self) -> Option<&'static str> {
        Some(match self {
            Kind::Point => "Point",
            Kind::LineString => "LineString",
            Kind::Polygon => "Polygon",
            Kind::MultiPoint => "MultiPoint",
            Kind::MultiLineString => "MultiLineString",
            Kind::MultiPolygon => "MultiPolygon",
            Kind::GeometryCollection => "GeometryCollection",
            _ => return None,
        })
    }

    /// Whether values of this kind are stored as JSON text (dicts, lists, geometries).
    pub fn is_json(self) -> bool {
        matches!(self, Kind::Dict | Kind::List) || self.is_geo()
    }

    pub fn name(self) -> &'static str {
        Kind::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("string", |(n, _)| n)
    }

    /// The variant of the generated crate's `catalog::Kind`.
    pub fn variant(self) -> &'static str {
        match self {
            Kind::String => "String",
            Kind::Integer => "Integer",
            Kind::Float => "Float",
            Kind::Number => "Number",
            Kind::Boolean => "Boolean",
            Kind::Datetime => "Datetime",
            Kind::ObjectId => "ObjectId",
            Kind::Dict => "Dict",
            Kind::List => "List",
            Kind::Point => "Point",
            Kind::LineString => "LineString",
            Kind::Polygon => "Polygon",
            Kind::MultiPoint => "MultiPoint",
            Kind::MultiLineString => "MultiLineString",
            Kind::MultiPolygon => "MultiPolygon",
            Kind::GeometryCollection => "GeometryCollection",
        }
    }

    /// The column's SQLite type.
    pub fn sql_type(self) -> &'static str {
        match self {
            Kind::String | Kind::ObjectId => "TEXT",
            Kind::Integer | Kind::Boolean | Kind::Datetime => "INTEGER",
            Kind::Float | Kind::Number => "REAL",
            _ => "TEXT",
        }
    }

    /// The Rust type of a present value in the document struct.
    pub fn rust_type(self) -> &'static str {
        match self {
            Kind::String | Kind::ObjectId => "::std::string::String",
            Kind::Integer | Kind::Datetime => "i64",
            Kind::Float | Kind::Number => "f64",
            Kind::Boolean => "bool",
            // Served as stored: the JSON text is copied out, never parsed into a tree.
            _ => "::std::boxed::Box<::serde_json::value::RawValue>",
        }
    }

    /// The OpenAPI schema of a value of this kind.
    pub fn openapi(self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Kind::String => json!({"type": "string"}),
            Kind::Integer => json!({"type": "integer", "format": "int64"}),
            Kind::Float | Kind::Number => json!({"type": "number"}),
            Kind::Boolean => json!({"type": "boolean"}),
            Kind::Datetime => json!({"type": "string", "description": "RFC 1123 date"}),
            Kind::ObjectId => json!({"type": "string", "pattern": "^[0-9a-f]{24}$"}),
            Kind::Dict => json!({"type": "object"}),
            Kind::List => json!({"type": "array"}),
            geo => {
                let name = geo.geojson_type().unwrap_or("Point");
                let member = if geo == Kind::GeometryCollection {
                    "geometries"
                } else {
                    "coordinates"
                };
                json!({
                    "type": "object",
                    "description": format!("GeoJSON {name}"),
                    "required": ["type", member],
                    "properties": {"type": {"const": name}, member: {"type": "array"}},
                })
            }
        }
    }
}

/// A literal from the spec (`allowed`, `default`, `min`, `max`).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Name on the wire and column name.
    pub name: String,
    /// Rust identifier of the struct field (`r#type`, `self_`).
    pub ident: String,
    pub kind: Kind,
    pub required: bool,
    pub unique: bool,
    pub nullable: bool,
    pub minlength: Option<u64>,
    pub maxlength: Option<u64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub regex: Option<String>,
    /// Name of the generated `static` holding the compiled regex (`REGEX_0`, ...).
    pub regex_static: Option<String>,
    pub allowed: Vec<Literal>,
    pub default: Option<serde_json::Value>,
    pub schema: Vec<Field>,
    pub items: Option<Box<Field>>,
    pub relation: Option<Relation>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub resource: String,
    pub table: String,
    pub field: String,
    pub embeddable: bool,
}

/// Rust keywords (2021 edition, strict and reserved) that need `r#` as identifiers.
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];
/// Keywords that cannot be raw identifiers: they get a trailing underscore.
const NON_RAW_KEYWORDS: &[&str] = &["self", "Self", "super", "crate", "_"];

/// A snake_case Rust identifier for a name, escaped if it is a keyword.
pub fn rust_ident(name: &str) -> String {
    let snake = name.to_snake_case();
    if NON_RAW_KEYWORDS.contains(&snake.as_str()) {
        format!("{snake}_")
    } else if RUST_KEYWORDS.contains(&snake.as_str()) {
        format!("r#{snake}")
    } else {
        snake
    }
}

/// "a" or "an" before a type name: "an integer", "a string".
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// A sample value of a kind, for hints: how to write one in TOML.
fn example_value(kind: Kind) -> &'static str {
    match kind {
        Kind::String => "\"text\"",
        Kind::Integer => "0",
        Kind::Float | Kind::Number => "0.5",
        Kind::Boolean => "false",
        Kind::Datetime => "\"Tue, 19 Apr 2016 08:19:00 GMT\"",
        Kind::ObjectId => "\"5f8d0d55b54764421b7156c9\"",
        Kind::Dict => "{ key = \"value\" }",
        Kind::List => "[\"a\", \"b\"]",
        Kind::Point => "{ type = \"Point\", coordinates = [12.5, 41.9] }",
        _ => "{ type = \"...\", coordinates = [...] }",
    }
}

/// Eve's default item title: the resource name made singular in the simple cases.
fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if name.ends_with("ss") || name.ends_with("us") {
        name.to_string()
    } else if let Some(stem) = name.strip_suffix('s') {
        stem.to_string()
    } else {
        name.to_string()
    }
}

/// Resolve a parsed spec into the Model, or the first error found.
pub fn resolve(path: &str, source: &str, spec: &Spec) -> Result<Model, Diagnostic> {
    let resolver = Resolver { path, source, spec };
    resolver.model()
}

pub(crate) struct Resolver<'a> {
    pub(crate) path: &'a str,
    pub(crate) source: &'a str,
    pub(crate) spec: &'a Spec,
}

/// Column names SQLite uses for its own row id; the server orders pages by it.
const SQLITE_ROW_ALIASES: &[&str] = &["rowid", "oid", "_rowid_"];

const IDENT_HINT: &str = "names start with a letter and use only letters, digits and `_`";

impl Resolver<'_> {
    pub(crate) fn error<T>(&self, spanned: &Spanned<T>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(self.path, self.source, spanned.span(), message)
    }

    fn model(&self) -> Result<Model, Diagnostic> {
        let api = self.api(self.spec.api.get_ref())?;
        if self.spec.resources.is_empty() {
            return Err(self
                .error(&self.spec.api, "the spec declares no resources")
                .with_help("add a `[resources.<name>.schema]` table with at least one field"));
        }
        let mut resources = Vec::new();
        for (name, resource) in &self.spec.resources {
            resources.push(self.resource(name, resource.get_ref())?);
        }
        self.check_unique(&resources, |r| r.module_file.clone(), "module")?;
        self.check_unique(&resources, |r| r.doc_type.clone(), "type")?;
        self.check_unique(&resources, |r| r.route_shape(), "url")?;
        Ok(Model { api, resources })
    }

    fn check_unique(
        &self,
        resources: &[Resource],
        key: impl Fn(&Resource) -> String,
        what: &str,
    ) -> Result<(), Diagnostic> {
        for (i, resource) in resources.iter().enumerate() {
            if let Some(earlier) = resources[..i].iter().find(|r| key(r) == key(resource)) {
                let spanned = self
                    .spec
                    .resources
                    .keys()
                    .find(|k| k.get_ref() == &resource.name)
                    .expect("resource came from the spec");
                return Err(self
                    .error(
                        spanned,
                        format!(
                            "resources `{}` and `{}` would share the {what} `{}`",
                            earlier.name,
                            resource.name,
                            key(resource)
                        ),
                    )
                    .with_help("rename one of them, or give it its own `url`"));
            }
        }
        Ok(())
    }

    fn api(&self, api: &ApiSpec) -> Result<Api, Diagnostic> {
        let name = api.name.get_ref();
        let valid_name = name.len() <= 40
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !valid_name {
            return Err(self
                .error(&api.name, format!("invalid API name `{name}`"))
                .with_help(
                    "an API name is 1 to 40 characters: a lowercase letter, then lowercase letters or digits ([a-z][a-z0-9]{0,39})",
                ));
        }
        let version = api.version.get_ref();
        let major = version
            .split('.')
            .next()
            .and_then(|m| m.parse::<u64>().ok())
            .filter(|_| {
                version
                    .split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            })
            .ok_or_else(|| {
                self.error(&api.version, format!("invalid version `{version}`"))
                    .with_help("write a version as numbers separated by dots, like \"1.0.0\"; its major part becomes the `/v1` path segment")
            })?;
        let prefix = match (&api.prefix, &api.base_path) {
            (Some(prefix), _) => self.path_prefix(prefix)?,
            (None, Some(base)) => format!("{}/v{major}", self.path_prefix(base)?),
            (None, None) => format!("/api/v{major}"),
        };
        Ok(Api {
            name: name.clone(),
            package: format!("{name}-api"),
            lib: format!("{name}_api"),
            version: version.clone(),
            title: api.title.clone().unwrap_or_else(|| format!("{name} API")),
            description: api.description.clone().unwrap_or_default(),
            prefix,
            max_body_bytes: match &api.max_body_bytes {
                Some(v) => self.positive(v, "max_body_bytes")? as u64,
                None => MAX_BODY_BYTES,
            },
            hateoas: api.hateoas.unwrap_or(true),
            web: self.web(api)?,
            date_format: self.date_format()?,
        })
    }

    /// The spec's `date_format`, checked; `None` for Eve's default (RFC 1123).
    fn date_format(&self) -> Result<Option<DateFormat>, Diagnostic> {
        match &self.spec.api.get_ref().date_format {
            None => Ok(None),
            Some(pattern) => DateFormat::parse(pattern.get_ref())
                .map_err(|(message, help)| self.error(pattern, message).with_help(help)),
        }
    }

    /// A path prefix: empty, or `/segment/segment` with URL-safe segments.
    fn path_prefix(&self, value: &Spanned<String>) -> Result<String, Diagnostic> {
        let text = value.get_ref().trim_end_matches('/');
        let valid = text.is_empty()
            || (text.starts_with('/')
                && text[1..].split('/').all(|s| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                }));
        if valid {
            Ok(text.to_string())
        } else {
            Err(self
                .error(value, format!("invalid path prefix `{}`", value.get_ref()))
                .with_help("write a path like \"/api\" (letters, digits, `-`, `_`, `.`), or \"\" to serve at the root"))
        }
    }

    /// A page size: positive, and small enough for the generated server's `u32`.
    fn page_size(&self, value: &Spanned<i64>, what: &str) -> Result<u32, Diagnostic> {
        let size = self.positive(value, what)?;
        u32::try_from(size).map_err(|_| {
            self.error(value, format!("`{what}` {size} is too large"))
                .with_help(format!("a page holds at most {} documents", u32::MAX))
        })
    }

    fn positive(&self, value: &Spanned<i64>, what: &str) -> Result<i64, Diagnostic> {
        if *value.get_ref() >= 1 {
            Ok(*value.get_ref())
        } else {
            Err(self
                .error(value, format!("`{what}` must be at least 1"))
                .with_help(format!("set `{what}` to a positive number")))
        }
    }

    fn resource(
        &self,
        name: &Spanned<String>,
        spec: &ResourceSpec,
    ) -> Result<Resource, Diagnostic> {
        let text = name.get_ref();
        let valid = text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(self
                .error(name, format!("invalid resource name `{text}`"))
                .with_help("resource names are lowercase: a letter, then letters, digits or `_`"));
        }
        let source = self.datasource_source(name, spec)?;
        let schema = match source {
            Some((_, source_spec)) => &source_spec.schema,
            None => &spec.schema,
        };
        if schema.is_empty() {
            return Err(self
                .error(name, format!("resource `{text}` has no fields"))
                .with_help(format!(
                    "add `[resources.{text}.schema]` with at least one field"
                )));
        }
        let url = match &spec.url {
            Some(url) => {
                let trimmed = url.get_ref().trim_matches('/');
                let plain = |s: &str| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                };
                // A sub-resource's `{field}` segments: neither the first nor the last.
                let last = trimmed.split('/').count().saturating_sub(1);
                let valid = !trimmed.is_empty()
                    && trimmed.split('/').enumerate().all(|(i, s)| {
                        plain(s)
                            || (i > 0
                                && i < last
                                && s.strip_prefix('{')
                                    .and_then(|s| s.strip_suffix('}'))
                                    .is_some_and(plain))
                    });
                if !valid {
                    return Err(self
                        .error(url, format!("invalid url `{}`", url.get_ref()))
                        .with_help(
                            "a resource url is a path like \"people\" or \"customers/overseas\", or a sub-resource like \"people/{contact_id}/invoices\"",
                        ));
                }
                trimmed.to_string()
            }
            None => text.clone(),
        };
        let resource_methods =
            self.methods(spec.resource_methods.as_deref(), &["GET", "POST", "DELETE"])?;
        let item_methods = self.methods(
            spec.item_methods.as_deref(),
            &["GET", "PATCH", "PUT", "DELETE"],
        )?;
        let pagination_limit = match &spec.pagination_limit {
            Some(v) => self.page_size(v, "pagination_limit")?,
            None => match &self.spec.api.get_ref().pagination_limit {
                Some(v) => self.page_size(v, "pagination_limit")?,
                None => PAGINATION_LIMIT,
            },
        };
        let pagination_default = match (
            &spec.pagination_default,
            &self.spec.api.get_ref().pagination_default,
        ) {
            (Some(v), _) | (None, Some(v)) => {
                let value = self.page_size(v, "pagination_default")?;
                if value > pagination_limit {
                    return Err(self
                        .error(v, format!("`pagination_default` {value} is above `pagination_limit` {pagination_limit}"))
                        .with_help("a default page cannot be larger than the largest page allowed"));
                }
                value
            }
            (None, None) => PAGINATION_DEFAULT.min(pagination_limit),
        };
        let api = self.spec.api.get_ref();
        let mut fields = Vec::new();
        for (field_name, field) in schema {
            fields.push(self.field(field_name, field, 0)?);
        }
        self.check_idents(schema, &fields)?;
        let mut counter = 0;
        for field in &mut fields {
            name_regexes(field, &mut counter);
        }
        let embeds = self.embeds(text, spec, &fields)?;
        let path_fields = self.path_fields(spec, &fields)?;
        let id_type = match &spec.id_type {
            None => IdType::ObjectId,
            Some(word) => IdType::ALL
                .iter()
                .find(|(n, _)| n == word.get_ref())
                .map(|(_, t)| *t)
                .ok_or_else(|| {
                    self.error(word, format!("unknown id_type `{}`", word.get_ref()))
                        .with_help(
                            "`id_type` is \"objectid\" (the default), \"uuid\" or \"integer\"",
                        )
                })?,
        };
        let lookup = match &spec.additional_lookup {
            Some(lookup) => Some(self.lookup(lookup, &fields)?),
            None => None,
        };
        let ident = module_ident(text);
        Ok(Resource {
            name: text.clone(),
            module_file: ident.trim_start_matches("r#").to_string(),
            module_ident: ident,
            doc_type: doc_type(text),
            table: source.map_or_else(|| text.clone(), |(n, _)| n.clone()),
            url,
            item_title: spec
                .item_title
                .as_ref()
                .map_or_else(|| singular(text), |t| t.get_ref().clone()),
            resource_methods,
            item_methods,
            pagination_default,
            pagination_limit,
            allowed_filters: self.allowed_filters(spec, &fields)?,
            sorting: spec.sorting.or(api.sorting).unwrap_or(true),
            pagination: spec.pagination.or(api.pagination).unwrap_or(true),
            projection: spec.projection.or(api.projection).unwrap_or(true),
            validate_filtering: spec
                .validate_filtering
                .or(api.validate_filtering)
                .unwrap_or(false),
            datasource: self.datasource(spec, source.map(|(n, _)| n.clone()), &fields)?,
            normalize_on_patch: spec
                .normalize_on_patch
                .or(self.spec.api.get_ref().normalize_on_patch)
                .unwrap_or(true),
            merge_nested_documents: spec
                .merge_nested_documents
                .or(self.spec.api.get_ref().merge_nested_documents)
                .unwrap_or(true),
            fields,
            hateoas: spec
                .hateoas
                .unwrap_or(self.spec.api.get_ref().hateoas.unwrap_or(true)),
            embeds,
            cache: self.cache(spec.cache_control.as_ref(), spec.cache_expires.as_ref())?,
            path_fields,
            id_type,
            lookup,
            internal: spec.internal_resource,
        })
    }

    /// The fields a sub-resource's url names (`people/{contact_id}/invoices`): each a
    /// top-level objectid, string or integer field, named once.
    fn path_fields(
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
    fn lookup(
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
                    .filter(|p| regex_lite::Regex::new(&format!("^(?:{p})$")).is_ok());
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

    /// Every embeddable reference of a resource, and `embedded_fields` checked
    /// against them.
    fn embeds(
        &self,
        name: &str,
        spec: &ResourceSpec,
        fields: &[Field],
    ) -> Result<Vec<Embed>, Diagnostic> {
        fn walk(prefix: &str, fields: &[Field], out: &mut Vec<Embed>) {
            for field in fields {
                let path = if prefix.is_empty() {
                    field.name.clone()
                } else {
                    format!("{prefix}.{}", field.name)
                };
                let relation = field
                    .relation
                    .as_ref()
                    .or_else(|| field.items.as_ref().and_then(|i| i.relation.as_ref()));
                if let Some(relation) = relation.filter(|r| r.embeddable) {
                    out.push(Embed {
                        path: path.clone(),
                        default: false,
                        target: format!(
                            "{}::{}",
                            module_ident(&relation.resource),
                            doc_type(&relation.resource)
                        ),
                        key: relation.field.clone(),
                    });
                }
                walk(&path, &field.schema, out);
                if let Some(items) = &field.items {
                    walk(&path, &items.schema, out);
                }
            }
        }
        let mut embeds = Vec::new();
        walk("", fields, &mut embeds);
        for listed in spec.embedded_fields.iter().flatten() {
            match embeds.iter_mut().find(|e| &e.path == listed.get_ref()) {
                Some(embed) => embed.default = true,
                None => {
                    let help = if embeds.is_empty() {
                        format!(
                            "`{name}` has no embeddable field: mark a `data_relation` with `embeddable = true` first"
                        )
                    } else {
                        let paths = embeds.iter().map(|e| e.path.as_str());
                        match closest(listed.get_ref(), paths) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => format!(
                                "the embeddable fields of `{name}` are {}",
                                embeds
                                    .iter()
                                    .map(|e| format!("`{}`", e.path))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        }
                    };
                    return Err(self
                        .error(
                            listed,
                            format!(
                                "`embedded_fields` names `{}`, which is not an embeddable field of `{name}`",
                                listed.get_ref()
                            ),
                        )
                        .with_help(help));
                }
            }
        }
        Ok(embeds)
    }

    /// Two field names that case to the same Rust identifier cannot both be struct fields.
    fn check_idents(
        &self,
        schema: &IndexMap<Spanned<String>, Spanned<FieldSpec>>,
        fields: &[Field],
    ) -> Result<(), Diagnostic> {
        for (i, (name, _)) in schema.iter().enumerate() {
            if let Some(earlier) = fields[..i].iter().find(|f| f.ident == fields[i].ident) {
                return Err(self
                    .error(
                        name,
                        format!(
                            "fields `{}` and `{}` would both be the Rust field `{}`",
                            earlier.name, fields[i].name, fields[i].ident
                        ),
                    )
                    .with_help("rename one of them"));
            }
        }
        Ok(())
    }

    fn methods(
        &self,
        listed: Option<&[Spanned<String>]>,
        allowed: &[&str],
    ) -> Result<Methods, Diagnostic> {
        let mut methods = Methods::default();
        for method in listed.unwrap_or_default() {
            match method.get_ref().as_str() {
                "GET" | "HEAD" if allowed.contains(&"GET") => {}
                "POST" if allowed.contains(&"POST") => methods.post = true,
                "PUT" if allowed.contains(&"PUT") => methods.put = true,
                "PATCH" if allowed.contains(&"PATCH") => methods.patch = true,
                "DELETE" if allowed.contains(&"DELETE") => methods.delete = true,
                other => {
                    let upper = other.to_ascii_uppercase();
                    let listed = allowed
                        .iter()
                        .map(|m| format!("\"{m}\""))
                        .collect::<Vec<_>>()
                        .join(", ");
                    // The collection's list is the one with POST; the item's has PATCH.
                    let (here, there, why) = if allowed.contains(&"POST") {
                        (
                            "resource_methods",
                            "item_methods",
                            "applies to one document",
                        )
                    } else {
                        (
                            "item_methods",
                            "resource_methods",
                            "applies to the collection",
                        )
                    };
                    let help = if allowed.contains(&upper.as_str()) || upper == "HEAD" {
                        format!("write methods in capitals: \"{upper}\"")
                    } else if ["POST", "PUT", "PATCH"].contains(&upper.as_str()) {
                        format!("`{upper}` {why}: list it in `{there}`; `{here}` takes {listed}")
                    } else {
                        format!("the methods allowed in `{here}` are {listed}")
                    };
                    return Err(self
                        .error(
                            method,
                            format!("method `{other}` is not allowed in `{here}`"),
                        )
                        .with_help(help));
                }
            }
        }
        Ok(methods)
    }

    fn field(
        &self,
        name: &Spanned<String>,
        spec: &Spanned<FieldSpec>,
        depth: usize,
    ) -> Result<Field, Diagnostic> {
        let text = name.get_ref();
        let valid = text.starts_with(|c: char| c.is_ascii_alphabetic())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            let help = if text.starts_with('_') {
                "names starting with `_` are Eve's own (`_id`, `_etag`, ...); pick another name"
                    .to_string()
            } else {
                match text.replace(['-', ' ', '.'], "_") {
                    fixed
                        if fixed != *text
                            && fixed.starts_with(|c: char| c.is_ascii_alphabetic())
                            && fixed.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                    {
                        format!("write `{fixed}`: {IDENT_HINT}")
                    }
                    _ => IDENT_HINT.to_string(),
                }
            };
            return Err(self
                .error(name, format!("invalid field name `{text}`"))
                .with_help(help));
        }
        if depth == 0 && SQLITE_ROW_ALIASES.contains(&text.to_ascii_lowercase().as_str()) {
            return Err(self
                .error(name, format!("`{text}` cannot be a field name"))
                .with_help("SQLite reserves `rowid`, `oid` and `_rowid_` for its row ids; pick another name"));
        }
        if depth > MAX_SCHEMA_DEPTH {
            return Err(self
                .error(name, "the schema nests too deeply")
                .with_help(format!(
                    "dicts and lists nest at most {MAX_SCHEMA_DEPTH} levels"
                )));
        }
        self.rule(text, spec, depth)
    }

    /// The rules of a field or of a list's items (`name` is empty for items).
    fn rule(
        &self,
        name: &str,
        spanned: &Spanned<FieldSpec>,
        depth: usize,
    ) -> Result<Field, Diagnostic> {
        let spec = spanned.get_ref();
        let kind_text = spec.kind.get_ref();
        let Some(kind) = Kind::ALL
            .iter()
            .find(|(n, _)| n == kind_text)
            .map(|(_, k)| *k)
        else {
            let names = Kind::ALL.iter().map(|(n, _)| *n);
            let help = match closest(kind_text, names) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "the types are {}",
                    Kind::ALL
                        .iter()
                        .map(|(n, _)| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            return Err(self
                .error(&spec.kind, format!("unknown type `{kind_text}`"))
                .with_help(help));
        };
        let is_number = matches!(kind, Kind::Integer | Kind::Float | Kind::Number);
        let sized = matches!(kind, Kind::String | Kind::List);
        let rule_needs = |present: bool, key: &str, what: &str, span: std::ops::Range<usize>| {
            if present {
                Err(Diagnostic::at(
                    self.path,
                    self.source,
                    span,
                    format!(
                        "`{key}` does not apply to {} `{}` field",
                        article(kind.name()),
                        kind.name()
                    ),
                )
                .with_help(format!("`{key}` applies to {what} fields only")))
            } else {
                Ok(())
            }
        };
        if let Some(v) = &spec.minlength {
            rule_needs(!sized, "minlength", "string and list", v.span())?;
        }
        if let Some(v) = &spec.maxlength {
            rule_needs(!sized, "maxlength", "string and list", v.span())?;
        }
        if let Some(v) = &spec.min {
            rule_needs(!is_number, "min", "integer, float and number", v.span())?;
        }
        if let Some(v) = &spec.max {
            rule_needs(!is_number, "max", "integer, float and number", v.span())?;
        }
        if let Some(v) = &spec.regex {
            rule_needs(kind != Kind::String, "regex", "string", v.span())?;
        }
        if let Some(v) = &spec.schema
            && kind != Kind::Dict
        {
            let span = v.keys().next().map_or(spec.kind.span(), |k| k.span());
            rule_needs(true, "schema", "dict", span)?;
        }
        if let Some(v) = &spec.items {
            rule_needs(kind != Kind::List, "items", "list", v.span())?;
        }
        if let Some(v) = &spec.data_relation {
            rule_needs(
                !matches!(kind, Kind::ObjectId | Kind::String | Kind::Integer),
                "data_relation",
                "objectid, string and integer",
                v.span(),
            )?;
        }
        if spec.unique && depth > 0 {
            return Err(self
                .error(spanned, "`unique` applies to top-level fields only")
                .with_help("remove `unique` from this nested field"));
        }
        if spec.unique && kind.is_json() {
            return Err(self
                .error(
                    spanned,
                    format!(
                        "{} `{}` field cannot be `unique`",
                        article(kind.name()),
                        kind.name()
                    ),
                )
                .with_help("`unique` applies to scalar fields"));
        }

        let length = |v: &Option<Spanned<i64>>, key: &str| -> Result<Option<u64>, Diagnostic> {
            match v {
                Some(v) if *v.get_ref() < 0 => Err(self
                    .error(v, format!("`{key}` cannot be negative"))
                    .with_help(format!("`{key}` counts characters or items: 0 or more"))),
                Some(v) => Ok(Some(*v.get_ref() as u64)),
                None => Ok(None),
            }
        };
        let minlength = length(&spec.minlength, "minlength")?;
        let maxlength = length(&spec.maxlength, "maxlength")?;
        if let (Some(lo), Some(hi), Some(span)) = (minlength, maxlength, &spec.maxlength)
            && lo > hi
        {
            return Err(self
                .error(span, format!("`maxlength` {hi} is below `minlength` {lo}"))
                .with_help("no value could satisfy both; swap them"));
        }
        let bound =
            |v: &Option<Spanned<toml::Value>>, key: &str| -> Result<Option<f64>, Diagnostic> {
                match v {
                    None => Ok(None),
                    Some(v) => match v.get_ref() {
                        toml::Value::Integer(i) => Ok(Some(*i as f64)),
                        toml::Value::Float(f) if f.is_finite() => Ok(Some(*f)),
                        other => Err(self
                            .error(
                                v,
                                format!("`{key}` must be a number, found {}", other.type_str()),
                            )
                            .with_help(format!("write `{key} = 0` or another number"))),
                    },
                }
            };
        let min = bound(&spec.min, "min")?;
        let max = bound(&spec.max, "max")?;
        if let (Some(lo), Some(hi), Some(span)) = (min, max, &spec.max)
            && lo > hi
        {
            return Err(self
                .error(span, format!("`max` {hi} is below `min` {lo}"))
                .with_help("no value could satisfy both; swap them"));
        }
        if kind == Kind::Integer {
            for (value, key) in [(&spec.min, "min"), (&spec.max, "max")] {
                if let Some(v) = value
                    && !matches!(v.get_ref(), toml::Value::Integer(_))
                {
                    return Err(self
                        .error(v, format!("`{key}` of an integer field must be an integer"))
                        .with_help("write a whole number"));
                }
            }
        }
        let regex = match &spec.regex {
            Some(pattern) => {
                if let Err(error) = regex_lite::Regex::new(&format!("^(?:{})$", pattern.get_ref()))
                {
                    let detail = error.to_string();
                    let last = detail.lines().last().unwrap_or("invalid pattern").trim();
                    let last = last.strip_prefix("error: ").unwrap_or(last);
                    return Err(self
                        .error(pattern, format!("invalid regex: {last}"))
                        .with_help("patterns use Rust's regex syntax and must match the whole value (no look-around or back-references)"));
                }
                Some(pattern.get_ref().clone())
            }
            None => None,
        };
        let item_kind = match (&kind, &spec.items) {
            (Kind::List, Some(items)) => Kind::ALL
                .iter()
                .find(|(n, _)| n == items.get_ref().kind.get_ref())
                .map(|(_, k)| *k),
            _ => None,
        };
        let allowed = match &spec.allowed {
            None => Vec::new(),
            Some(list) => {
                let target = if kind == Kind::List {
                    item_kind.unwrap_or(Kind::String)
                } else {
                    kind
                };
                let mut literals = Vec::new();
                for value in list.get_ref() {
                    literals.push(self.literal(value, target, list, "allowed")?);
                }
                literals
            }
        };
        let schema = match &spec.schema {
            Some(schema) => {
                let mut fields = Vec::new();
                for (n, f) in schema {
                    fields.push(self.field(n, f, depth + 1)?);
                }
                fields
            }
            None => Vec::new(),
        };
        let items = match &spec.items {
            Some(items) => {
                if items.get_ref().required
                    || items.get_ref().unique
                    || items.get_ref().default.is_some()
                {
                    return Err(self
                        .error(
                            items,
                            "`required`, `unique` and `default` do not apply to list items",
                        )
                        .with_help("put them on the list field itself"));
                }
                if depth + 1 > MAX_SCHEMA_DEPTH {
                    return Err(self.error(items, "the schema nests too deeply").with_help(
                        format!("dicts and lists nest at most {MAX_SCHEMA_DEPTH} levels"),
                    ));
                }
                Some(Box::new(self.rule("", items, depth + 1)?))
            }
            None => None,
        };
        let relation = match &spec.data_relation {
            Some(relation) => Some(self.relation(relation, kind)?),
            None => None,
        };
        let mut field = Field {
            name: name.to_string(),
            ident: rust_ident(name),
            kind,
            required: spec.required,
            unique: spec.unique,
            nullable: spec.nullable,
            minlength,
            maxlength,
            min,
            max,
            regex,
            regex_static: None,
            allowed,
            default: None,
            schema,
            items,
            relation,
        };
        if let Some(default) = &spec.default {
            field.default = Some(self.default_value(default, &field)?);
        }
        Ok(field)
    }

    /// A spec literal checked against the kind it must be.
    fn literal(
        &self,
        value: &toml::Value,
        kind: Kind,
        span: &Spanned<Vec<toml::Value>>,
        key: &str,
    ) -> Result<Literal, Diagnostic> {
        let literal = match (kind, value) {
            (Kind::String | Kind::ObjectId | Kind::Datetime, toml::Value::String(s)) => {
                Some(Literal::Str(s.clone()))
            }
            (Kind::Integer, toml::Value::Integer(i)) => Some(Literal::Int(*i)),
            (Kind::Float | Kind::Number, toml::Value::Integer(i)) => Some(Literal::Int(*i)),
            (Kind::Float | Kind::Number, toml::Value::Float(f)) if f.is_finite() => {
                Some(Literal::Float(*f))
            }
            (Kind::Boolean, toml::Value::Boolean(b)) => Some(Literal::Bool(*b)),
            _ => None,
        };
        literal.ok_or_else(|| {
            self.error(
                span,
                format!(
                    "`{key}` holds {} {} where {} {} is expected",
                    article(value.type_str()),
                    value.type_str(),
                    article(kind.name()),
                    kind.name()
                ),
            )
            .with_help(format!(
                "every value in `{key}` must be {} {}, like `{}`",
                article(kind.name()),
                kind.name(),
                example_value(kind)
            ))
        })
    }

    /// A `default` turned into the JSON the server stores, checked against the field.
    fn default_value(
        &self,
        default: &Spanned<toml::Value>,
        field: &Field,
    ) -> Result<serde_json::Value, Diagnostic> {
        let json = toml_to_json(default.get_ref());
        let fits = match (field.kind, &json) {
            (_, serde_json::Value::Null) => field.nullable,
            (Kind::String, serde_json::Value::String(_)) => true,
            (Kind::ObjectId, serde_json::Value::String(s)) => {
                s.len() == 24 && s.chars().all(|c| c.is_ascii_hexdigit())
            }
            (Kind::Datetime, serde_json::Value::String(s)) => match self.date_format()? {
                None => httpdate_like(s),
                Some(format) => format.read(s).is_some(),
            },
            (Kind::Integer, serde_json::Value::Number(n)) => n.is_i64(),
            (Kind::Float | Kind::Number, serde_json::Value::Number(_)) => true,
            (Kind::Boolean, serde_json::Value::Bool(_)) => true,
            (Kind::Dict, serde_json::Value::Object(_)) => true,
            (Kind::List, serde_json::Value::Array(_)) => true,
            (kind, value @ serde_json::Value::Object(_)) if kind.is_geo() => {
                geojson_fits(kind, value)
            }
            _ => false,
        };
        if !fits {
            return Err(self
                .error(
                    default,
                    format!("this default is not a valid `{}` value", field.kind.name()),
                )
                .with_help(match field.kind {
                    Kind::Datetime => match self.date_format()? {
                        None => "write dates as RFC 1123, like \"Tue, 19 Apr 2016 08:19:00 GMT\""
                            .to_string(),
                        Some(format) => format!(
                            "write dates in the API's `date_format` \"{}\"",
                            format.pattern
                        ),
                    },
                    Kind::ObjectId => "an objectid is 24 hexadecimal digits".to_string(),
                    kind => format!(
                        "write {} {} value, like `default = {}`",
                        article(kind.name()),
                        kind.name(),
                        example_value(kind)
                    ),
                }));
        }
        if !field.allowed.is_empty() && field.kind != Kind::List {
            let allowed = field.allowed.iter().any(|l| literal_matches(l, &json));
            if !allowed {
                return Err(self
                    .error(default, "this default is not one of the `allowed` values")
                    .with_help(format!(
                        "make the default one of {}",
                        field
                            .allowed
                            .iter()
                            .map(|l| match l {
                                Literal::Str(s) => format!("{s:?}"),
                                Literal::Int(i) => i.to_string(),
                                Literal::Float(f) => f.to_string(),
                                Literal::Bool(b) => b.to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
            }
        }
        Ok(json)
    }

    fn relation(
        &self,
        relation: &Spanned<crate::spec::RelationSpec>,
        kind: Kind,
    ) -> Result<Relation, Diagnostic> {
        let spec = relation.get_ref();
        let target_name = spec.resource.get_ref();
        let Some((_, target)) = self
            .spec
            .resources
            .iter()
            .find(|(k, _)| k.get_ref() == target_name)
        else {
            let names = self.spec.resources.keys().map(|k| k.get_ref().as_str());
            let help = match closest(target_name, names) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "the resources are {}",
                    self.spec
                        .resources
                        .keys()
                        .map(|k| format!("`{}`", k.get_ref()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            return Err(self
                .error(
                    &spec.resource,
                    format!("data_relation names unknown resource `{target_name}`"),
                )
                .with_help(help));
        };
        let field = match &spec.field {
            None => self.relation_to_id(relation, target_name, target.get_ref(), kind)?,
            Some(field) if field.get_ref() == "_id" => {
                self.relation_to_id(relation, target_name, target.get_ref(), kind)?
            }
            Some(field) => {
                let schema = &target.get_ref().schema;
                match schema.iter().find(|(k, _)| k.get_ref() == field.get_ref()) {
                    Some((_, f)) if f.get_ref().unique => field.get_ref().clone(),
                    Some(_) => {
                        return Err(self
                            .error(field, format!("`{}` of resource `{target_name}` is not unique", field.get_ref()))
                            .with_help(format!(
                                "mark `{}` in `{target_name}` with `unique = true`, or point the data_relation at `_id`: it must name one document",
                                field.get_ref()
                            )));
                    }
                    None => {
                        let mut names: Vec<&str> =
                            schema.keys().map(|k| k.get_ref().as_str()).collect();
                        names.push("_id");
                        let help = match closest(field.get_ref(), names.iter().copied()) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => format!(
                                "`{target_name}` has the fields {}",
                                names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        };
                        return Err(self
                            .error(
                                field,
                                format!(
                                    "resource `{target_name}` has no field `{}`",
                                    field.get_ref()
                                ),
                            )
                            .with_help(help));
                    }
                }
            }
        };
        // A resource serving another's table (`datasource.source`) relates to that table.
        let table = target
            .get_ref()
            .datasource
            .as_ref()
            .and_then(|d| d.get_ref().source.as_ref())
            .map_or_else(|| target_name.clone(), |s| s.get_ref().clone());
        Ok(Relation {
            resource: target_name.clone(),
            table,
            field,
            embeddable: spec.embeddable,
        })
    }
}

/// Eve's query options and datasources: `allowed_filters`, `datasource`.
impl<'a> Resolver<'a> {
    /// The resource named by `datasource.source`, when it is another resource.
    fn datasource_source(
        &self,
        name: &Spanned<String>,
        spec: &ResourceSpec,
    ) -> Result<Option<(&'a String, &'a ResourceSpec)>, Diagnostic> {
        let Some(source) = spec
            .datasource
            .as_ref()
            .and_then(|d| d.get_ref().source.as_ref())
        else {
            return Ok(None);
        };
        if source.get_ref() == name.get_ref() {
            return Ok(None);
        }
        let Some((key, target)) = self
            .spec
            .resources
            .iter()
            .find(|(k, _)| k.get_ref() == source.get_ref())
        else {
            let names = self.spec.resources.keys().map(|k| k.get_ref().as_str());
            let help = match closest(source.get_ref(), names) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "`source` names another resource of this spec, whose table this one serves"
                    .to_string(),
            };
            return Err(self
                .error(
                    source,
                    format!("datasource source `{}` is not a resource", source.get_ref()),
                )
                .with_help(help));
        };
        let target = target.get_ref();
        let chained = target
            .datasource
            .as_ref()
            .and_then(|d| d.get_ref().source.as_ref())
            .is_some_and(|s| s.get_ref() != key.get_ref());
        if chained {
            return Err(self
                .error(
                    source,
                    format!(
                        "resource `{}` itself serves another resource's table",
                        source.get_ref()
                    ),
                )
                .with_help("point `source` at the resource that owns the table"));
        }
        if let Some((field, _)) = spec.schema.first() {
            return Err(self
                .error(
                    field,
                    format!(
                        "resource `{}` serves the table of `{}` and cannot declare its own schema",
                        name.get_ref(),
                        source.get_ref()
                    ),
                )
                .with_help(format!(
                    "remove `[resources.{}.schema]`: the fields are those of `{}`",
                    name.get_ref(),
                    source.get_ref()
                )));
        }
        Ok(Some((key.get_ref(), target)))
    }

    /// `allowed_filters`, the resource's or else the API's; `["*"]` allows all.
    fn allowed_filters(
        &self,
        spec: &ResourceSpec,
        fields: &[Field],
    ) -> Result<Option<Vec<String>>, Diagnostic> {
        // The API's list is Eve's global switch and may name fields of any resource;
        // a resource's own list must name its fields.
        let (list, own) = match (
            &spec.allowed_filters,
            &self.spec.api.get_ref().allowed_filters,
        ) {
            (Some(list), _) => (list, true),
            (None, Some(list)) => (list, false),
            (None, None) => return Ok(None),
        };
        let mut names = Vec::new();
        for entry in list.get_ref() {
            let name = entry.get_ref();
            if name == "*" {
                return Ok(None);
            }
            if !own {
                names.push(name.clone());
                continue;
            }
            if !field_path_exists(fields, name) {
                let mut candidates: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
                candidates.extend(["_id", "_created", "_updated"].map(String::from));
                let help = match closest(name, candidates.iter().map(String::as_str)) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => {
                        "list field names (dotted for nested fields), or \"*\" for all".to_string()
                    }
                };
                return Err(self
                    .error(
                        entry,
                        format!("`allowed_filters` names unknown field `{name}`"),
                    )
                    .with_help(help));
            }
            names.push(name.clone());
        }
        Ok(Some(names))
    }

    fn datasource(
        &self,
        spec: &ResourceSpec,
        source: Option<String>,
        fields: &[Field],
    ) -> Result<Datasource, Diagnostic> {
        let Some(datasource) = &spec.datasource else {
            return Ok(Datasource::default());
        };
        let datasource = datasource.get_ref();
        let filter_sql = match &datasource.filter {
            None => None,
            Some(filter) => {
                let json = match filter.get_ref() {
                    toml::Value::String(text) => serde_json::from_str(text).map_err(|e| {
                        self.error(
                            filter,
                            format!("the datasource filter is not valid JSON: {e}"),
                        )
                        .with_help(
                            "write the filter as a TOML table, or as a JSON `where` in a string",
                        )
                    })?,
                    other => toml_to_json(other),
                };
                let sql = crate::datasource::compile(&json, fields)
                    .map_err(|e| self.error(filter, e.message).with_help(e.help))?;
                Some(sql)
            }
        };
        let projection = match &datasource.projection {
            None => None,
            Some(projection) => {
                let map = projection.get_ref();
                let mut mode = None;
                let mut json = serde_json::Map::new();
                for (name, value) in map {
                    if !(0..=1).contains(value) {
                        return Err(self
                            .error(projection, format!("projection of `{name}` is {value}"))
                            .with_help("write 1 to include a field or 0 to exclude it"));
                    }
                    if !fields.iter().any(|f| &f.name == name)
                        && !["_id", "_created", "_updated", "_etag"].contains(&name.as_str())
                    {
                        let help = match closest(name, fields.iter().map(|f| f.name.as_str())) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => "a projection names top-level fields".to_string(),
                        };
                        return Err(self
                            .error(
                                projection,
                                format!("the projection names unknown field `{name}`"),
                            )
                            .with_help(help));
                    }
                    if name.starts_with('_') {
                        continue;
                    }
                    if mode.is_some_and(|m| m != *value) {
                        return Err(self
                            .error(
                                projection,
                                "the projection mixes included (1) and excluded (0) fields",
                            )
                            .with_help(
                                "list only the fields to include, or only the ones to exclude",
                            ));
                    }
                    mode = Some(*value);
                    json.insert(name.clone(), serde_json::Value::from(*value));
                }
                if json.is_empty() {
                    None
                } else {
                    Some(serde_json::Value::Object(json).to_string())
                }
            }
        };
        let default_sort = match &datasource.default_sort {
            None => None,
            Some(sort) => {
                let mut keys = Vec::new();
                for (name, direction) in sort.get_ref() {
                    let known = ["_id", "_created", "_updated"].contains(&name.as_str())
                        || sortable_path(fields, name);
                    if !known {
                        return Err(self
                            .error(sort, format!("`default_sort` names `{name}`, which cannot be sorted on"))
                            .with_help("sort on a scalar field, top-level or inside dicts (dotted), not through a list"));
                    }
                    match direction {
                        1 => keys.push(name.clone()),
                        -1 => keys.push(format!("-{name}")),
                        _ => {
                            return Err(self
                                .error(sort, format!("`default_sort` direction {direction} of `{name}` is not 1 or -1"))
                                .with_help("write 1 (ascending) or -1 (descending)"));
                        }
                    }
                }
                (!keys.is_empty()).then(|| keys.join(","))
            }
        };
        Ok(Datasource {
            source,
            filter_sql,
            projection,
            default_sort,
        })
    }
}

/// Whether a dotted path names a field (through dicts and lists of dicts), or a meta field.
fn field_path_exists(fields: &[Field], path: &str) -> bool {
    let mut segments = path.split('.');
    let first = segments.next().unwrap_or_default();
    if ["_id", "_created", "_updated"].contains(&first) {
        return segments.next().is_none();
    }
    let Some(mut field) = fields.iter().find(|f| f.name == first) else {
        return false;
    };
    for segment in segments {
        let container = match (&field.kind, &field.items) {
            (Kind::Dict, _) => field,
            (Kind::List, Some(items)) if items.kind == Kind::Dict => items,
            _ => return false,
        };
        if container.schema.is_empty() {
            return true;
        }
        match container.schema.iter().find(|f| f.name == segment) {
            Some(next) => field = next,
            None => return false,
        }
    }
    true
}

/// Whether a dotted path names a scalar field reachable without going through a list.
fn sortable_path(fields: &[Field], path: &str) -> bool {
    let mut current = fields;
    let mut found = None;
    for segment in path.split('.') {
        let Some(field) = current.iter().find(|f| f.name == segment) else {
            return false;
        };
        if found.is_some_and(|f: &Field| f.kind != Kind::Dict) {
            return false;
        }
        current = &field.schema;
        found = Some(field);
    }
    // Dicts and lists have no order; nested datetimes are text (the server refuses them).
    found.is_some_and(|f| match f.kind {
        Kind::Dict | Kind::List => false,
        Kind::Datetime => !path.contains('.'),
        _ => true,
    })
}

/// A resource's module identifier; `mod` would be `resources/mod.rs`, the module
/// list itself.
fn module_ident(name: &str) -> String {
    if name == "mod" {
        "mod_".to_string()
    } else {
        rust_ident(name)
    }
}

/// A resource's document type: `PeopleDocument`.
fn doc_type(name: &str) -> String {
    format!("{}Document", name.to_upper_camel_case())
}

impl Resolver<'_> {
    /// A reference to another resource's `_id` has that `_id`'s type: an objectid (or
    /// string) field for objectid ids, a string for uuids, an integer for integers.
    fn relation_to_id(
        &self,
        relation: &Spanned<crate::spec::RelationSpec>,
        target_name: &str,
        target: &ResourceSpec,
        kind: Kind,
    ) -> Result<String, Diagnostic> {
        let id_type = target
            .id_type
            .as_ref()
            .map_or("objectid", |t| t.get_ref().as_str());
        let (fits, wanted) = match id_type {
            "integer" => (kind == Kind::Integer, "integer"),
            "uuid" => (kind == Kind::String, "string"),
            _ => (kind != Kind::Integer, "objectid"),
        };
        if fits {
            Ok("_id".to_string())
        } else {
            Err(self
                .error(
                    relation,
                    format!(
                        "`{target_name}` has {} `{id_type}` _id, which {} `{}` field cannot hold",
                        article(id_type),
                        article(kind.name()),
                        kind.name()
                    ),
                )
                .with_help(format!(
                    "declare this field `type = \"{wanted}\"` to reference `{target_name}`"
                )))
        }
    }
}

/// Give every regex rule, depth first, the name of its `static` in the resource module.
fn name_regexes(field: &mut Field, counter: &mut usize) {
    if field.regex.is_some() {
        field.regex_static = Some(format!("REGEX_{counter}"));
        *counter += 1;
    }
    for nested in &mut field.schema {
        name_regexes(nested, counter);
    }
    if let Some(items) = &mut field.items {
        name_regexes(items, counter);
    }
}

impl Model {
    /// Whether any field, at any depth, is a GeoJSON geometry.
    pub fn uses_geo(&self) -> bool {
        fn geo(field: &Field) -> bool {
            field.kind.is_geo()
                || field.schema.iter().any(geo)
                || field.items.as_deref().is_some_and(geo)
        }
        self.resources.iter().any(|r| r.fields.iter().any(geo))
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

    /// The url as an axum route below the prefix: path parameters are named by their
    /// position (`id`, `id1`, ...), so routes that share a prefix agree on the names.
    pub fn route_collection(&self) -> String {
        let mut n = 0;
        self.url
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    n += 1;
                    route_param(n - 1)
                } else {
                    s.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The item route below the prefix: the collection's, then the key.
    pub fn route_item(&self) -> String {
        format!(
            "{}/{}",
            self.route_collection(),
            route_param(self.path_fields.len())
        )
    }

    /// `id_type` when not the default objectid: the `routes::IdType` variant.
    pub fn custom_id_type(&self) -> Option<&'static str> {
        (self.id_type != IdType::ObjectId).then(|| self.id_type.variant())
    }

    /// How a new `_id` is made, when not an objectid: `None` lets SQLite number it.
    pub fn new_id_expr(&self) -> &'static str {
        match self.id_type {
            IdType::Uuid => "Some(crate::api::uuid::new_v4)",
            IdType::Integer => "None",
            IdType::ObjectId => "Some(crate::api::objectid::new_id)",
        }
    }
    /// Every field with a regex, depth first, for the resource module's statics.
    pub fn regex_fields(&self) -> Vec<&Field> {
        fn collect<'a>(field: &'a Field, out: &mut Vec<&'a Field>) {
            if field.regex.is_some() {
                out.push(field);
            }
            for nested in &field.schema {
                collect(nested, out);
            }
            if let Some(items) = &field.items {
                collect(items, out);
            }
        }
        let mut out = Vec::new();
        for field in &self.fields {
            collect(field, &mut out);
        }
        out
    }
}

/// The `n`th path parameter of a route: `{id}`, `{id1}`, `{id2}`...
fn route_param(n: usize) -> String {
    if n == 0 {
        "{id}".to_string()
    } else {
        format!("{{id{n}}}")
    }
}

/// Whether a JSON value is a GeoJSON geometry of `kind`, checked as the generated
/// server checks it (`geo.rs`): exactly `type` and `coordinates` (or `geometries`),
/// positions of 2 or 3 numbers nested to the type's depth.
fn geojson_fits(kind: Kind, value: &serde_json::Value) -> bool {
    use serde_json::Value;
    fn position(v: &Value) -> bool {
        matches!(v, Value::Array(items) if (2..=3).contains(&items.len()) && items.iter().all(Value::is_number))
    }
    fn nested(v: &Value, depth: usize) -> bool {
        match depth {
            0 => position(v),
            _ => matches!(v, Value::Array(items) if items.iter().all(|i| nested(i, depth - 1))),
        }
    }
    let Value::Object(map) = value else {
        return false;
    };
    let type_ok = map.get("type").and_then(Value::as_str) == kind.geojson_type();
    if kind == Kind::GeometryCollection {
        return type_ok
            && map.len() == 2
            && matches!(map.get("geometries"), Some(Value::Array(members)) if members.iter().all(|m| {
                let member = m.get("type").and_then(Value::as_str);
                Kind::ALL
                    .iter()
                    .any(|(_, k)| k.geojson_type().is_some() && k.geojson_type() == member && geojson_fits(*k, m))
            }));
    }
    let depth = match kind {
        Kind::Point => 0,
        Kind::LineString | Kind::MultiPoint => 1,
        Kind::Polygon | Kind::MultiLineString => 2,
        _ => 3,
    };
    type_ok && map.len() == 2 && map.get("coordinates").is_some_and(|c| nested(c, depth))
}

/// Whether a string looks like an RFC 1123 date (`Tue, 19 Apr 2016 08:19:00 GMT`).
fn httpdate_like(text: &str) -> bool {
    static RFC1123: std::sync::LazyLock<regex_lite::Regex> = std::sync::LazyLock::new(|| {
        regex_lite::Regex::new(
            r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$",
        )
        .expect("a valid pattern")
    });
    RFC1123.is_match(text)
}

fn literal_matches(literal: &Literal, value: &serde_json::Value) -> bool {
    match (literal, value) {
        (Literal::Str(s), serde_json::Value::String(v)) => s == v,
        (Literal::Int(i), serde_json::Value::Number(n)) => n.as_f64() == Some(*i as f64),
        (Literal::Float(f), serde_json::Value::Number(n)) => n.as_f64() == Some(*f),
        (Literal::Bool(b), serde_json::Value::Bool(v)) => b == v,
        _ => false,
    }
}

/// A TOML value as JSON (dates become their TOML text).
pub fn toml_to_json(value: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => J::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => J::Object(
            table
                .iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(source: &str) -> Result<Model, Diagnostic> {
        let spec = crate::spec::parse("test.toml", source)?;
        resolve("test.toml", source, &spec)
    }

    #[test]
    fn escapes_rust_keywords() {
        assert_eq!(rust_ident("type"), "r#type");
        assert_eq!(rust_ident("self"), "self_");
        assert_eq!(rust_ident("firstName"), "first_name");
    }

    #[test]
    fn defaults_follow_eve() {
        let m = model(
            "[api]\nname = \"shop\"\nversion = \"2.1.0\"\n[resources.orders.schema]\nqty = { type = \"integer\" }\n",
        )
        .expect("valid spec");
        assert_eq!(m.api.prefix, "/api/v2");
        let orders = &m.resources[0];
        assert_eq!(orders.item_title, "order");
        assert_eq!(
            (orders.pagination_default, orders.pagination_limit),
            (25, 50)
        );
        assert_eq!(
            orders.resource_methods,
            Methods::default(),
            "no methods listed: read-only"
        );
        assert_eq!(orders.doc_type, "OrdersDocument");
    }

    #[test]
    fn query_options_default_as_in_eve_and_inherit_from_the_api() {
        let m = model(
            "[api]\nname = \"shop\"\nversion = \"1.0.0\"\nallowed_filters = []\nsorting = false\n\
             [resources.orders.schema]\nqty = { type = \"integer\" }\n\
             [resources.open]\npagination = false\nallowed_filters = [\"*\"]\n\
             datasource = { source = \"orders\", filter = { qty = { \"$gt\" = 0 } }, default_sort = [[\"qty\", -1]] }\n",
        )
        .expect("valid spec");
        let (orders, open) = (&m.resources[0], &m.resources[1]);
        assert_eq!(orders.allowed_filters, Some(Vec::new()), "the API's list");
        assert!(!orders.sorting && orders.pagination && orders.projection);
        assert!(!orders.validate_filtering);
        assert_eq!(orders.datasource, Datasource::default());
        assert_eq!(open.allowed_filters, None, "[\"*\"] allows all");
        assert!(!open.pagination);
        assert_eq!(open.table, "orders");
        assert_eq!(open.fields, orders.fields, "the source's schema");
        assert_eq!(open.datasource.filter_sql.as_deref(), Some("(\"qty\" > 0)"));
        assert_eq!(open.datasource.default_sort.as_deref(), Some("-qty"));
        assert_eq!(open.sql_schema(), "", "the source's table is created once");
        assert!(open.sql_select_by_id().ends_with("AND ((\"qty\" > 0))"));
    }

    #[test]
    fn embeddable_references_are_found_in_dicts_and_lists() {
        let m = model(
            "[api]\nname = \"blog\"\nversion = \"1.0.0\"\nhateoas = false\n\
             [resources.tags.schema]\nslug = { type = \"string\", unique = true }\n\
             [resources.posts]\nhateoas = true\nembedded_fields = [\"lines.tag\"]\n\
             [resources.posts.schema]\n\
             tags = { type = \"list\", items = { type = \"objectid\", data_relation = { resource = \"tags\", embeddable = true } } }\n\
             plain = { type = \"objectid\", data_relation = { resource = \"tags\" } }\n\
             lines = { type = \"list\", items = { type = \"dict\", schema = { tag = { type = \"string\", data_relation = { resource = \"tags\", field = \"slug\", embeddable = true } } } } }\n",
        )
        .expect("valid spec");
        let posts = &m.resources[1];
        let found: Vec<(&str, bool, &str, &str)> = posts
            .embeds
            .iter()
            .map(|e| {
                (
                    e.path.as_str(),
                    e.default,
                    e.target.as_str(),
                    e.key.as_str(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("tags", false, "tags::TagsDocument", "_id"),
                ("lines.tag", true, "tags::TagsDocument", "slug"),
            ]
        );
        assert!(m.uses_embedding());
        assert!(!m.api.hateoas);
        assert!(!m.resources[0].hateoas, "inherited from the API");
        assert!(posts.hateoas, "the resource's own setting wins");
    }

    #[test]
    fn geojson_defaults_are_checked_like_the_server_checks_them() {
        let spec = |default: &str| {
            format!(
                "[api]\nname = \"shop\"\nversion = \"1.0.0\"\n[resources.stores.schema]\nat = {{ type = \"point\", default = {default} }}\n"
            )
        };
        let ok = model(&spec("{ type = \"Point\", coordinates = [12.5, 41.9] }")).expect("valid");
        assert!(ok.uses_geo());
        for bad in [
            "{ type = \"Point\", coordinates = [12.5] }",
            "{ type = \"Point\", coordinates = [\"a\", 1] }",
            "{ type = \"Point\", coordinates = [1, 2], crs = 1 }",
            "{ type = \"LineString\", coordinates = [[1, 2]] }",
        ] {
            assert!(model(&spec(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn patch_settings_follow_eve_and_inherit_from_the_api() {
        let m = model(
            "[api]\nname = \"shop\"\nversion = \"1.0.0\"\nnormalize_on_patch = false\n[resources.a.schema]\nx = { type = \"integer\" }\n[resources.b]\nnormalize_on_patch = true\nmerge_nested_documents = false\n[resources.b.schema]\nx = { type = \"integer\" }\n",
        )
        .expect("valid spec");
        let (a, b) = (&m.resources[0], &m.resources[1]);
        assert_eq!(
            (a.normalize_on_patch, a.merge_nested_documents),
            (false, true)
        );
        assert_eq!(
            (b.normalize_on_patch, b.merge_nested_documents),
            (true, false)
        );
        assert_eq!(
            m.api.date_format, None,
            "RFC 1123 unless the spec says otherwise"
        );
    }

    #[test]
    fn empty_prefix_serves_at_the_root() {
        let m = model(
            "[api]\nname = \"shop\"\nversion = \"1.0.0\"\nprefix = \"\"\n[resources.orders.schema]\nqty = { type = \"integer\" }\n",
        )
        .expect("valid spec");
        assert_eq!(m.api.prefix, "");
    }
}
