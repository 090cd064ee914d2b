//! The field catalog: what each resource's fields are, as data.
//!
//! Every resource module declares a `static FIELDS: &[Field]` built from the spec's
//! `[resources.<name>.schema]`. The catalog is the one description that validation
//! (`validate`), query checking (`query`: `where`, `sort`) and storage agree on, so a
//! client can only ever name fields the spec declared.

/// The wire type of a field (Eve/Cerberus `type`); `schema::ColumnType` says how
/// each is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// JSON string; a text column.
    String,
    /// JSON integer; an integer column.
    Integer,
    /// JSON number with or without a fraction; a real column.
    Float,
    /// Any JSON number; a real column.
    Number,
    /// JSON boolean; a boolean column.
    Boolean,
    /// A string in the API's `date_format` on the wire; a datetime column (seconds
    /// since the epoch).
    Datetime,
    /// 24 hex digits on the wire; a text column.
    ObjectId,
    /// JSON object, checked against `schema`; a JSON column.
    Dict,
    /// JSON array, each item checked against `items`; a JSON column.
    List,
    /// GeoJSON geometries, checked by the field's `shape`; a JSON column.
    Point,
    LineString,
    Polygon,
    MultiPoint,
    MultiLineString,
    MultiPolygon,
    GeometryCollection,
}

impl Kind {
    /// Every kind, in the order apigen's messages list them.
    pub const ALL: [Kind; 16] = [
        Kind::String,
        Kind::Integer,
        Kind::Float,
        Kind::Number,
        Kind::Boolean,
        Kind::Datetime,
        Kind::ObjectId,
        Kind::Dict,
        Kind::List,
        Kind::Point,
        Kind::LineString,
        Kind::Polygon,
        Kind::MultiPoint,
        Kind::MultiLineString,
        Kind::MultiPolygon,
        Kind::GeometryCollection,
    ];

    /// The kind a spec's `type` names (`"datetime"`), if any.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The name Cerberus uses in "must be of ... type", and the spec's `type`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Float => "float",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Datetime => "datetime",
            Kind::ObjectId => "objectid",
            Kind::Dict => "dict",
            Kind::List => "list",
            Kind::Point => "point",
            Kind::LineString => "linestring",
            Kind::Polygon => "polygon",
            Kind::MultiPoint => "multipoint",
            Kind::MultiLineString => "multilinestring",
            Kind::MultiPolygon => "multipolygon",
            Kind::GeometryCollection => "geometrycollection",
        }
    }

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

    /// Whether values of this kind are JSON documents (dicts, lists, geometries).
    pub fn is_json(self) -> bool {
        matches!(self, Kind::Dict | Kind::List) || self.is_geo()
    }
}

/// A literal from the spec (`allowed` values).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Literal {
    Str(&'static str),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Literal {
    /// Whether a JSON value equals this literal.
    pub fn matches(&self, value: &serde_json::Value) -> bool {
        match (self, value) {
            (Literal::Str(s), serde_json::Value::String(v)) => s == v,
            (Literal::Int(i), serde_json::Value::Number(n)) => {
                n.as_i64() == Some(*i) || n.as_f64() == Some(*i as f64)
            }
            (Literal::Float(f), serde_json::Value::Number(n)) => n.as_f64() == Some(*f),
            (Literal::Bool(b), serde_json::Value::Bool(v)) => b == v,
            _ => false,
        }
    }
}

/// A `data_relation`: the value must name an existing document of another resource.
#[derive(Clone, Copy)]
pub struct Relation {
    /// The related resource (its `INFO`): its name, table and datasource filter (a
    /// reference must name a document the resource serves).
    pub target: &'static crate::resource::ResourceInfo,
    /// The related field (`_id` unless the spec names another unique field).
    pub field: &'static str,
    /// Whether clients may ask for the related document to be embedded.
    pub embeddable: bool,
}

/// Names the target only: resources may relate to each other in a cycle.
impl std::fmt::Debug for Relation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relation")
            .field("target", &self.target.name)
            .field("field", &self.field)
            .field("embeddable", &self.embeddable)
            .finish()
    }
}

/// One field of a resource, or of a nested dict, or a list's item rule.
#[derive(Debug)]
pub struct Field {
    /// The field's name on the wire and its column name (items of a list: `""`).
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub nullable: bool,
    pub unique: bool,
    pub minlength: Option<usize>,
    pub maxlength: Option<usize>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The spec's pattern as written (for messages) and its compiled, anchored form.
    pub regex: Option<(
        &'static str,
        &'static std::sync::LazyLock<regex_lite::Regex>,
    )>,
    pub allowed: &'static [Literal],
    /// The default as JSON text, filled in on insert and replace.
    pub default: Option<&'static str>,
    /// A dict's fields (empty: any keys allowed).
    pub schema: &'static [Field],
    /// A list's item rule.
    pub items: Option<&'static Field>,
    pub relation: Option<Relation>,
    /// For a GeoJSON geometry: the check of its shape (in the `geo` module).
    pub shape: Option<fn(&serde_json::Value) -> bool>,
    /// For a datetime: how it is written on the wire (the API's `date_format`).
    pub dates: &'static crate::date::DateFormat,
}

impl Field {
    /// A field with no rules beyond its kind, to be completed with struct update syntax.
    pub const fn new(name: &'static str, kind: Kind) -> Field {
        Field {
            name,
            kind,
            required: false,
            nullable: false,
            unique: false,
            minlength: None,
            maxlength: None,
            min: None,
            max: None,
            regex: None,
            allowed: &[],
            default: None,
            schema: &[],
            items: None,
            relation: None,
            shape: None,
            dates: &crate::date::RFC1123,
        }
    }
}

/// Find a field by name in a list of fields.
pub fn find(fields: &'static [Field], name: &str) -> Option<&'static Field> {
    fields.iter().find(|f| f.name == name)
}
