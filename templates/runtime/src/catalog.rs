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
    /// A file (Eve's `media`): uploaded as a `multipart/form-data` part, kept in the
    /// media table (`media`); its text column holds the media id.
    Media,
}

impl Kind {
    /// Every kind, in the order apigen's messages list them.
    pub const ALL: [Kind; 17] = [
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
        Kind::Media,
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
            Kind::Media => "media",
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

/// A `min` or `max` rule as the spec writes it: an integer bound stays exact (an i64
/// above 2^53 has no exact f64), and values are compared with it exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    Int(i64),
    Float(f64),
}

impl Bound {
    /// How a JSON number compares with this bound, exactly; `None` for a number that
    /// is not finite (serde_json numbers always are).
    pub fn compare(self, number: &serde_json::Number) -> Option<std::cmp::Ordering> {
        let value = if let Some(i) = number.as_i64() {
            Exact::Int(i128::from(i))
        } else if let Some(u) = number.as_u64() {
            Exact::Int(i128::from(u))
        } else {
            Exact::Float(number.as_f64()?)
        };
        let bound = match self {
            Bound::Int(i) => Exact::Int(i128::from(i)),
            Bound::Float(f) => Exact::Float(f),
        };
        value.compare(bound)
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Int(i) => write!(f, "{i}"),
            Bound::Float(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 => {
                write!(f, "{}", *x as i64)
            }
            Bound::Float(x) => write!(f, "{x}"),
        }
    }
}

/// A number as an integer when it is one, for exact comparison.
#[derive(Clone, Copy)]
enum Exact {
    Int(i128),
    Float(f64),
}

impl Exact {
    fn compare(self, other: Exact) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Exact::Int(a), Exact::Int(b)) => Some(a.cmp(&b)),
            (Exact::Float(a), Exact::Float(b)) => a.partial_cmp(&b),
            (Exact::Float(a), Exact::Int(b)) => {
                Exact::Int(b).compare(Exact::Float(a)).map(|o| o.reverse())
            }
            (Exact::Int(a), Exact::Float(b)) => {
                if !b.is_finite() {
                    return b.partial_cmp(&0.0).map(|o| o.reverse());
                }
                // `a as f64` may round, but only to a whole number: where it lands on
                // `b`, `b` is whole too, and i128 holds both exactly.
                match (a as f64).partial_cmp(&b)? {
                    std::cmp::Ordering::Equal => Some(a.cmp(&(b as i128))),
                    order => Some(order),
                }
            }
        }
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
    pub min: Option<Bound>,
    pub max: Option<Bound>,
    /// The spec's pattern as written (for messages) and its compiled, anchored form.
    pub regex: Option<(&'static str, &'static std::sync::LazyLock<regex::Regex>)>,
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
    /// A custom rule (`validator = "odd"`): its name, and the generated function that
    /// calls the user's implementation; `Err` holds the message `_issues` shows.
    pub validator: Option<(&'static str, Validator)>,
}

/// A custom rule's check: `Err(message)` when the value breaks it.
pub type Validator = fn(&serde_json::Value) -> Result<(), String>;

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
            validator: None,
        }
    }
}

/// Find a field by name in a list of fields.
pub fn find(fields: &'static [Field], name: &str) -> Option<&'static Field> {
    fields.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod bound_tests {
    use super::Bound;
    use std::cmp::Ordering::{Equal, Greater, Less};

    fn number(text: &str) -> serde_json::Number {
        serde_json::from_str(text).expect("a JSON number")
    }

    #[test]
    fn integer_bounds_above_2_pow_53_compare_exactly() {
        let max = Bound::Int(9_007_199_254_740_993);
        assert_eq!(max.compare(&number("9007199254740993")), Some(Equal));
        assert_eq!(max.compare(&number("9007199254740994")), Some(Greater));
        assert_eq!(max.compare(&number("9007199254740992")), Some(Less));
        // A float value against an integer bound, and beyond i64 (a u64 value).
        assert_eq!(max.compare(&number("9007199254740994.0")), Some(Greater));
        assert_eq!(max.compare(&number("18446744073709551615")), Some(Greater));
        assert_eq!(Bound::Int(i64::MIN).compare(&number("-1e300")), Some(Less));
        // Floats against floats and integers.
        assert_eq!(Bound::Float(1.5).compare(&number("2")), Some(Greater));
        assert_eq!(Bound::Float(1.5).compare(&number("1")), Some(Less));
        assert_eq!(Bound::Float(2.0).compare(&number("2")), Some(Equal));
    }
}
