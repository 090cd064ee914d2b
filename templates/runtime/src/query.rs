//! Eve's `where` and `sort` query parameters: parsed into a small AST and checked against
//! the resource's field catalog. A dialect compiles the AST (`sqlite::filter`); nothing
//! here is SQL.
//!
//! `where` is MongoDB-style JSON (`{"age": {"$gte": 18}, "location.city": "Rome"}`)
//! or Eve's Python expression (`age >= 18 and location.city == "Rome"`, read by
//! `python_where` into the same JSON);
//! `sort` is either `city,-lastname` or Eve's Python form `[("lastname", -1)]`.
//!
//! Client input never becomes query text: the AST names only columns the catalog
//! declares, and holds every client value (and every JSON path of a `where`) as a value
//! the dialect binds. Limits on nesting, condition count, `$in` size and regex size keep
//! a single request cheap.
//!
//! Storage conventions (see `schema`): top-level fields are columns; dicts and lists are
//! JSON documents, reached by JSON path and iterated element by element; datetimes are
//! epoch seconds in columns but strings in the API's `date_format` inside JSON.

use std::fmt;

use serde_json::{Map, Value as Json};

use crate::catalog::{find, Field, Kind};
use crate::date::DateFormat;

/// How deeply `$and`/`$or`/`$nor` and operator objects may nest.
pub const MAX_DEPTH: usize = 16;
/// How many field conditions (one per operator) a `where` may hold.
pub const MAX_CONDITIONS: usize = 100;
/// How many values one `$in`/`$nin` list may hold.
pub const MAX_IN_VALUES: usize = 500;
/// How many values a whole `where` may bind (keeps well under databases' variable limits).
pub const MAX_VALUES: usize = 1000;
/// The longest `where` text accepted, in bytes.
pub const MAX_WHERE_LEN: usize = 64 * 1024;
/// The longest `$regex` pattern accepted, in bytes.
pub const MAX_REGEX_LEN: usize = 1000;
/// Compiled size limit for a `$regex` (`regex::RegexBuilder::size_limit`).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// How many keys a `sort` may name.
pub const MAX_SORT_KEYS: usize = 16;
/// The longest `sort` text accepted, in bytes.
pub const MAX_SORT_LEN: usize = 4096;

/// The meta columns every table has: filterable and sortable like declared fields.
pub static META_FIELDS: [Field; 3] = [
    Field::new("_id", Kind::ObjectId),
    Field::new("_created", Kind::Datetime),
    Field::new("_updated", Kind::Datetime),
];

/// A `where` or `sort` the server refuses; the caller answers 400 with this message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

fn error<T>(message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError(message.into()))
}

/// A scalar value a condition compares with, in the column's storage type: epoch
/// seconds for datetimes in columns, 0/1 for booleans.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Integer(i64),
    Real(f64),
    Text(String),
}

/// A parsed, checked `where`.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// All must hold (an empty `And` matches everything).
    And(Vec<Filter>),
    /// At least one must hold.
    Or(Vec<Filter>),
    /// None may hold (`$nor`).
    Nor(Vec<Filter>),
    /// One operator applied to one field.
    Cond(Condition),
}

/// One operator on one field path, with operands typed for the field's storage.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The field path as the client wrote it (`location.city`).
    pub field: String,
    pub op: Op,
    pub(crate) target: Target,
}

/// A comparison operator with its bound operand(s).
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Eq(Operand),
    Ne(Operand),
    Gt(Scalar),
    Gte(Scalar),
    Lt(Scalar),
    Lte(Scalar),
    /// Never holds `Operand::Json`.
    In(Vec<Operand>),
    /// Never holds `Operand::Json`.
    Nin(Vec<Operand>),
    /// The pattern with any `$options` folded in as inline flags (`(?i)...`).
    Regex(String),
    Exists(bool),
    /// `$near` on a top-level point field.
    Near(Near),
}

/// A `$near` query: documents whose point lies between `min` and `max` metres of
/// (`lon`, `lat`), on a sphere (haversine), nearest first unless `sort` says otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct Near {
    pub lon: f64,
    pub lat: f64,
    pub min: f64,
    pub max: f64,
}

/// An equality operand.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// JSON `null`: matches a null or missing field.
    Null,
    /// A scalar in the field's storage type (epoch seconds for column datetimes, 0/1 for booleans).
    Scalar(Scalar),
    /// A whole JSON document (object or array), compared as minified JSON text.
    Json(String),
}

/// Where a field path leads in storage: a column, then zero or more JSON arrays to look
/// into (any element may match), then a JSON path inside the current document.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Target {
    pub(crate) column: &'static str,
    /// Arrays to iterate, each at a JSON path inside the current document (`None`: the
    /// document itself).
    pub(crate) each: Vec<Option<String>>,
    /// The value's JSON path inside the current document (`None`: the document itself),
    /// like `$.city`.
    pub(crate) key: Option<String>,
    /// The value's declared kind; `None` inside a schema-less dict or an unruled list.
    pub(crate) kind: Option<Kind>,
    /// For a list, its items' kind (`None`: no item rule).
    item_kind: Option<Kind>,
}

impl Target {
    /// Whether the value lives inside JSON text rather than in its own column.
    pub(crate) fn in_json(&self) -> bool {
        !self.each.is_empty() || self.key.is_some()
    }

    /// The same path, looking into a list's elements (MongoDB's array semantics).
    fn elements(&self) -> Target {
        let mut target = self.clone();
        let key = target.key.take();
        target.each.push(key);
        target.kind = self.item_kind;
        target.item_kind = None;
        target
    }
}

/// A JSON path segment for a key: `.name`, or `."odd name"` when quoting is needed.
fn json_key(segment: &str, path: &str) -> Result<String, QueryError> {
    if segment.is_empty() {
        return error(format!("empty segment in field path '{path}'"));
    }
    if segment
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        Ok(format!(".{segment}"))
    } else if segment
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        error(format!("unsupported character in field path '{path}'"))
    } else {
        Ok(format!(".\"{segment}\""))
    }
}

fn push_key(key: &mut Option<String>, piece: &str) {
    let mut path = key.take().unwrap_or_else(|| "$".to_string());
    path.push_str(piece);
    *key = Some(path);
}

/// Resolve a (possibly dotted) field path against the catalog and the meta fields.
fn resolve(fields: &'static [Field], path: &str, param: &str) -> Result<Target, QueryError> {
    let mut segments = path.split('.');
    let first = segments.next().unwrap_or_default();
    let Some(top) = find(fields, first).or_else(|| find(&META_FIELDS, first)) else {
        return error(format!("unknown field '{path}' in {param}"));
    };
    let mut target = Target {
        column: top.name,
        each: Vec::new(),
        key: None,
        kind: None,
        item_kind: None,
    };
    let mut current: Option<&'static Field> = Some(top);
    for segment in segments {
        let piece = json_key(segment, path)?;
        if let Some(field) = current {
            let container = match field.kind {
                Kind::Dict => Some(field),
                Kind::List => {
                    let key = target.key.take();
                    target.each.push(key);
                    match field.items {
                        Some(items) if items.kind == Kind::Dict => Some(items),
                        None => None,
                        Some(_) => {
                            return error(format!(
                                "field '{path}' in {param}: the items of '{}' have no subfields",
                                field.name
                            ))
                        }
                    }
                }
                _ => {
                    return error(format!(
                        "field '{path}' in {param}: '{}' has no subfields",
                        field.name
                    ))
                }
            };
            current = match container {
                Some(dict) if !dict.schema.is_empty() => match find(dict.schema, segment) {
                    Some(found) => Some(found),
                    None => return error(format!("unknown field '{path}' in {param}")),
                },
                // A schema-less dict or a list without an item rule: any key, untyped.
                _ => None,
            };
        }
        push_key(&mut target.key, &piece);
    }
    target.kind = current.map(|f| f.kind);
    target.item_kind = current.and_then(|f| f.items).map(|f| f.kind);
    Ok(target)
}

fn describe(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(n) if n.is_f64() => "a float",
        Json::Number(_) => "an integer",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn wrong_type<T>(field: &str, op: &str, expected: &str, value: &Json) -> Result<T, QueryError> {
    error(format!(
        "field '{field}' in where: {op} expects {expected}, got {}",
        describe(value)
    ))
}

fn parse_date(dates: &DateFormat, field: &str, text: &str) -> Result<i64, QueryError> {
    match dates.parse(text) {
        Some(seconds) => Ok(seconds),
        None => error(format!(
            "field '{field}' in where: not {} (like '{}')",
            dates.name(),
            dates.format(1_461_053_940)
        )),
    }
}

/// A JSON scalar as a JSON path reads it out of a document (booleans as 0/1).
fn any_scalar(field: &str, op: &str, value: &Json) -> Result<Scalar, QueryError> {
    match value {
        Json::String(s) => Ok(Scalar::Text(s.clone())),
        Json::Bool(b) => Ok(Scalar::Integer(i64::from(*b))),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Scalar::Integer(i)),
            (None, Some(f)) => Ok(Scalar::Real(f)),
            (None, None) => wrong_type(field, op, "a number", value),
        },
        _ => wrong_type(field, op, "a scalar", value),
    }
}

/// A scalar operand for a declared scalar kind, in its storage type.
fn typed_scalar(
    dates: &DateFormat,
    kind: Kind,
    field: &str,
    op: &str,
    value: &Json,
) -> Result<Scalar, QueryError> {
    match (kind, value) {
        (Kind::String | Kind::ObjectId, Json::String(s)) => Ok(Scalar::Text(s.clone())),
        (Kind::String | Kind::ObjectId, _) => wrong_type(field, op, "a string", value),
        (Kind::Integer, Json::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Scalar::Integer(i)),
            None if n.is_f64() => wrong_type(field, op, "an integer", value),
            None => error(format!(
                "field '{field}' in where: {op} integer out of range"
            )),
        },
        (Kind::Integer, _) => wrong_type(field, op, "an integer", value),
        (Kind::Float | Kind::Number, Json::Number(_)) => any_scalar(field, op, value),
        (Kind::Float | Kind::Number, _) => wrong_type(field, op, "a number", value),
        (Kind::Boolean, Json::Bool(b)) => Ok(Scalar::Integer(i64::from(*b))),
        (Kind::Boolean, _) => wrong_type(field, op, "a boolean", value),
        // Epoch seconds; a nested datetime (stored as text) is compared by its instant
        // (the dialect reads the text in the API's `date_format`).
        (Kind::Datetime, Json::String(s)) => parse_date(dates, field, s).map(Scalar::Integer),
        (Kind::Datetime, _) => wrong_type(field, op, &format!("{} string", dates.name()), value),
        // Dicts, lists and GeoJSON geometries.
        (kind, _) => error(format!(
            "field '{field}' in where: {op} cannot compare a {} field",
            kind.name()
        )),
    }
}

/// Parses one `where` document, counting conditions and values against the limits.
struct Parser<'a> {
    fields: &'static [Field],
    /// How dates in filter values are written (the API's `date_format`).
    dates: &'a DateFormat,
    conditions: usize,
    values: usize,
    /// Whether a `$near` was seen (MongoDB allows one per query).
    near: bool,
}

impl Parser<'_> {
    fn count_values(&mut self, n: usize) -> Result<(), QueryError> {
        self.values += n;
        if self.values > MAX_VALUES {
            return error(format!("where binds more than {MAX_VALUES} values"));
        }
        Ok(())
    }

    fn object(&mut self, map: &Map<String, Json>, depth: usize) -> Result<Filter, QueryError> {
        if depth > MAX_DEPTH {
            return error(format!("where nests deeper than {MAX_DEPTH} levels"));
        }
        let mut parts = Vec::new();
        for (key, value) in map {
            match key.as_str() {
                "$and" | "$or" | "$nor" => {
                    let items = match value {
                        Json::Array(items) if !items.is_empty() => items,
                        _ => return error(format!("{key} in where needs a non-empty array")),
                    };
                    if items.len() > MAX_CONDITIONS {
                        return error(format!("{key} in where has too many entries"));
                    }
                    let mut subs = Vec::with_capacity(items.len());
                    for item in items {
                        match item {
                            Json::Object(sub) => subs.push(self.object(sub, depth + 1)?),
                            _ => return error(format!("{key} in where needs an array of objects")),
                        }
                    }
                    parts.push(match key.as_str() {
                        "$and" => Filter::And(subs),
                        "$or" => Filter::Or(subs),
                        _ => Filter::Nor(subs),
                    });
                }
                k if k.starts_with('$') => {
                    return error(format!("unknown operator '{k}' in where"));
                }
                _ => parts.push(self.field(key, value, depth)?),
            }
        }
        Ok(single_or_and(parts))
    }

    fn field(&mut self, path: &str, value: &Json, depth: usize) -> Result<Filter, QueryError> {
        let base = resolve(self.fields, path, "where")?;
        let ops = match value {
            Json::Object(ops) if ops.keys().any(|k| k.starts_with('$')) => ops,
            _ => return self.condition(path, &base, "$eq", value, None),
        };
        if !ops.keys().all(|k| k.starts_with('$')) {
            return error(format!(
                "field '{path}' in where mixes operators and plain keys"
            ));
        }
        if depth + 1 > MAX_DEPTH {
            return error(format!("where nests deeper than {MAX_DEPTH} levels"));
        }
        let options = ops.get("$options");
        if options.is_some() && !ops.contains_key("$regex") {
            return error(format!("field '{path}' in where: $options without $regex"));
        }
        let mut parts = Vec::with_capacity(ops.len());
        for (op, operand) in ops {
            if op != "$options" {
                parts.push(self.condition(path, &base, op, operand, options)?);
            }
        }
        Ok(single_or_and(parts))
    }

    fn condition(
        &mut self,
        path: &str,
        base: &Target,
        op: &str,
        value: &Json,
        options: Option<&Json>,
    ) -> Result<Filter, QueryError> {
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return error(format!("where has more than {MAX_CONDITIONS} conditions"));
        }
        let is_list = base.kind == Some(Kind::List);
        let (target, op) = match op {
            "$eq" | "$ne" => {
                // A scalar against a list: any element may match.
                let target = if is_list && !value.is_array() && !value.is_null() {
                    base.elements()
                } else {
                    base.clone()
                };
                let mut alternatives = self.equal_operand(&target, path, op, value)?;
                let single = if alternatives.len() == 1 {
                    alternatives.pop()
                } else {
                    None
                };
                let op = match (op, single) {
                    ("$eq", Some(operand)) => Op::Eq(operand),
                    ("$eq", None) => Op::In(alternatives),
                    (_, Some(operand)) => Op::Ne(operand),
                    (_, None) => Op::Nin(alternatives),
                };
                (target, op)
            }
            "$gt" | "$gte" | "$lt" | "$lte" => {
                let target = if is_list {
                    base.elements()
                } else {
                    base.clone()
                };
                let operand = match (target.kind, value) {
                    (_, Json::Null) => {
                        return error(format!(
                            "field '{path}' in where: {op} needs a value, not null"
                        ))
                    }
                    (None, _) => any_scalar(path, op, value)?,
                    (Some(kind), _) => typed_scalar(self.dates, kind, path, op, value)?,
                };
                self.count_values(1)?;
                let op = match op {
                    "$gt" => Op::Gt(operand),
                    "$gte" => Op::Gte(operand),
                    "$lt" => Op::Lt(operand),
                    _ => Op::Lte(operand),
                };
                (target, op)
            }
            "$in" | "$nin" => {
                let Json::Array(items) = value else {
                    return wrong_type(path, op, "an array", value);
                };
                if items.len() > MAX_IN_VALUES {
                    return error(format!(
                        "field '{path}' in where: {op} has more than {MAX_IN_VALUES} values"
                    ));
                }
                let target = if is_list {
                    base.elements()
                } else {
                    base.clone()
                };
                let mut operands = Vec::with_capacity(items.len());
                for item in items {
                    if item.is_object() || item.is_array() {
                        return wrong_type(path, op, "an array of scalars", item);
                    }
                    operands.extend(self.equal_operand(&target, path, op, item)?);
                }
                let op = if op == "$in" {
                    Op::In(operands)
                } else {
                    Op::Nin(operands)
                };
                (target, op)
            }
            "$regex" => {
                let target = if is_list {
                    base.elements()
                } else {
                    base.clone()
                };
                if !matches!(target.kind, None | Some(Kind::String | Kind::ObjectId)) {
                    return error(format!(
                        "field '{path}' in where: $regex needs a string field"
                    ));
                }
                let Json::String(pattern) = value else {
                    return wrong_type(path, op, "a string", value);
                };
                let flags = match options {
                    None => String::new(),
                    Some(Json::String(flags)) if flags.chars().all(|c| "imsx".contains(c)) => {
                        flags.clone()
                    }
                    Some(_) => {
                        return error(format!(
                            "field '{path}' in where: $options may only hold the letters i, m, s, x"
                        ))
                    }
                };
                if pattern.len() > MAX_REGEX_LEN {
                    return error(format!(
                        "field '{path}' in where: $regex is longer than {MAX_REGEX_LEN} bytes"
                    ));
                }
                let pattern = if flags.is_empty() {
                    pattern.clone()
                } else {
                    format!("(?{flags}){pattern}")
                };
                if let Err(e) = compile_regex(&pattern) {
                    return error(format!("field '{path}' in where: invalid $regex: {e}"));
                }
                self.count_values(1)?;
                (target, Op::Regex(pattern))
            }
            "$exists" => {
                let Json::Bool(exists) = value else {
                    return wrong_type(path, op, "true or false", value);
                };
                (base.clone(), Op::Exists(*exists))
            }
            "$near" => {
                if self.near {
                    return error("where may hold only one $near");
                }
                self.near = true;
                if base.kind != Some(Kind::Point) || base.in_json() {
                    return error(format!(
                        "field '{path}' in where: $near needs a top-level point field"
                    ));
                }
                let near = parse_near(path, value)?;
                self.count_values(6)?;
                (base.clone(), Op::Near(near))
            }
            _ => {
                return error(format!(
                    "unknown operator '{op}' on field '{path}' in where"
                ))
            }
        };
        Ok(Filter::Cond(Condition {
            field: path.to_string(),
            op,
            target,
        }))
    }

    /// The operand(s) an equality stands for: one, or for a nested datetime both the
    /// canonical RFC 1123 form and the text as given (it is stored as a string).
    fn equal_operand(
        &mut self,
        target: &Target,
        path: &str,
        op: &str,
        value: &Json,
    ) -> Result<Vec<Operand>, QueryError> {
        let operands = match (target.kind, value) {
            (_, Json::Null) => vec![Operand::Null],
            (Some(Kind::Dict) | None, Json::Object(_))
            | (Some(Kind::List) | None, Json::Array(_)) => {
                vec![Operand::Json(value.to_string())]
            }
            (Some(kind), Json::Object(_)) if kind.is_geo() => {
                vec![Operand::Json(value.to_string())]
            }
            (Some(Kind::Dict), _) => return wrong_type(path, op, "an object", value),
            (Some(kind), _) if kind.is_geo() => {
                return wrong_type(path, op, "a GeoJSON object", value)
            }
            (Some(Kind::List), _) => return wrong_type(path, op, "an array", value),
            (None, _) => vec![Operand::Scalar(any_scalar(path, op, value)?)],
            (Some(Kind::Datetime), Json::String(text)) if target.in_json() => {
                let canonical = self.dates.format(parse_date(self.dates, path, text)?);
                if &canonical == text {
                    vec![Operand::Scalar(Scalar::Text(canonical))]
                } else {
                    vec![
                        Operand::Scalar(Scalar::Text(canonical)),
                        Operand::Scalar(Scalar::Text(text.clone())),
                    ]
                }
            }
            (Some(kind), _) => vec![Operand::Scalar(typed_scalar(
                self.dates, kind, path, op, value,
            )?)],
        };
        self.count_values(operands.len())?;
        Ok(operands)
    }
}

/// A finite, non-negative number of metres.
fn distance(path: &str, key: &str, value: &Json) -> Result<f64, QueryError> {
    match value.as_f64() {
        Some(metres) if metres.is_finite() && metres >= 0.0 => Ok(metres),
        _ => error(format!(
            "field '{path}' in where: {key} must be a non-negative number of metres"
        )),
    }
}

/// `{"$geometry": {"type": "Point", "coordinates": [lon, lat]}, "$maxDistance": m,
/// "$minDistance": m}`, as MongoDB takes it for a GeoJSON point.
fn parse_near(path: &str, value: &Json) -> Result<Near, QueryError> {
    let Json::Object(spec) = value else {
        return error(format!(
            "field '{path}' in where: $near needs an object with a $geometry point"
        ));
    };
    let mut near = Near {
        lon: 0.0,
        lat: 0.0,
        min: 0.0,
        max: f64::MAX,
    };
    let mut geometry = false;
    for (key, item) in spec {
        match key.as_str() {
            "$geometry" => {
                let point = item.as_object().filter(|point| {
                    point.len() == 2 && point.get("type").and_then(Json::as_str) == Some("Point")
                });
                let coordinates = point
                    .and_then(|point| point.get("coordinates"))
                    .and_then(Json::as_array)
                    .filter(|c| c.len() == 2)
                    .and_then(|c| Some((c[0].as_f64()?, c[1].as_f64()?)));
                match coordinates {
                    Some((lon, lat))
                        if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
                    {
                        (near.lon, near.lat) = (lon, lat);
                        geometry = true;
                    }
                    _ => {
                        return error(format!(
                            "field '{path}' in where: $near $geometry must be a GeoJSON Point \
                             with coordinates [longitude, latitude] in range"
                        ))
                    }
                }
            }
            "$maxDistance" => near.max = distance(path, key, item)?,
            "$minDistance" => near.min = distance(path, key, item)?,
            other => {
                return error(format!(
                    "field '{path}' in where: unknown $near key '{other}'"
                ))
            }
        }
    }
    if !geometry {
        return error(format!(
            "field '{path}' in where: $near needs a $geometry point"
        ));
    }
    Ok(near)
}

fn single_or_and(mut parts: Vec<Filter>) -> Filter {
    if parts.len() == 1 {
        if let Some(only) = parts.pop() {
            return only;
        }
    }
    Filter::And(parts)
}

/// The JSON query a `where` that `parse_where` accepted stands for: its own text, or
/// what its Python expression reads as.
pub fn where_json(text: &str, dates: &DateFormat) -> Option<Json> {
    serde_json::from_str(text)
        .ok()
        .or_else(|| crate::python_where::to_mongo(text, dates).ok())
}

/// Parse and check a `where` parameter. Empty text means no filter.
pub fn parse_where(
    text: &str,
    fields: &'static [Field],
    dates: &DateFormat,
) -> Result<Filter, QueryError> {
    if text.len() > MAX_WHERE_LEN {
        return error(format!("where is longer than {MAX_WHERE_LEN} bytes"));
    }
    if text.trim().is_empty() {
        return Ok(Filter::And(Vec::new()));
    }
    let json: Json = match serde_json::from_str(text) {
        Ok(json) => json,
        // Not JSON: Eve gives its Python parser a shot (`lastname == "Doe"`), which
        // writes the JSON query it stands for.
        Err(e) if text.trim_start().starts_with('{') => {
            return error(format!("where is not valid JSON: {e}"))
        }
        Err(_) => match crate::python_where::to_mongo(text, dates) {
            Ok(json) => json,
            Err(e) => return error(format!("Unable to parse `where` clause: {e}")),
        },
    };
    let Json::Object(map) = json else {
        return error("where must be a JSON object");
    };
    let mut parser = Parser {
        fields,
        dates,
        conditions: 0,
        values: 0,
        near: false,
    };
    parser.object(&map, 1)
}

/// Why a resource's fixed filter (`datasource.filter`) is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The text is not JSON.
    Json,
    /// Not a JSON object, or an empty one.
    Shape,
    /// `$and` or `$or` (named) without a non-empty list of objects.
    Combinator(String),
    /// A top-level name that is not a field of the resource.
    UnknownField(String),
    /// A dotted path: a fixed filter names top-level fields only.
    NestedField(String),
    /// A dict, list or GeoJSON field: a fixed filter compares scalars only.
    NotScalar(String, Kind),
    /// An object that is neither a value nor operators, on the field named.
    NotComparison(String),
    /// An operator a fixed filter does not take (on the field named, if any).
    Operator(Option<String>, String),
    /// What `where` itself refuses: a value of the wrong type, a malformed date...
    Where,
}

/// A fixed filter refused: what is wrong, in a sentence, and why as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedFilterError {
    pub problem: Problem,
    pub message: String,
}

impl fmt::Display for FixedFilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FixedFilterError {}

/// The operators a fixed filter may use on a field.
pub const FIXED_FILTER_OPERATORS: [&str; 9] = [
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists",
];

/// Parse a resource's fixed filter (`datasource.filter`): a `where`, read by
/// [`parse_where`] like a client's, restricted to what a fixed filter needs: top-level
/// scalar fields (and `_id`, `_created`, `_updated`), the operators of
/// [`FIXED_FILTER_OPERATORS`], combined with `$and` and `$or`, and not empty.
///
/// The generator checks a spec's filter with it, and the server compiles the filter
/// with it when it starts, so both read the filter as a client's `where` is read.
pub fn parse_fixed_filter(
    text: &str,
    fields: &'static [Field],
    dates: &DateFormat,
) -> Result<Filter, FixedFilterError> {
    let refuse = |problem: Problem, message: String| FixedFilterError { problem, message };
    let json: Json = serde_json::from_str(text).map_err(|e| {
        refuse(
            Problem::Json,
            format!("the datasource filter is not valid JSON: {e}"),
        )
    })?;
    let Json::Object(map) = &json else {
        return Err(refuse(
            Problem::Shape,
            "a datasource filter must be a JSON object, like a `where`".to_string(),
        ));
    };
    if map.is_empty() {
        return Err(refuse(
            Problem::Shape,
            "this datasource filter is empty".to_string(),
        ));
    }
    check_fixed(map, fields)?;
    parse_where(text, fields, dates).map_err(|e| {
        refuse(
            Problem::Where,
            format!("the datasource filter is not a valid `where`: {e}"),
        )
    })
}

/// The restrictions of a fixed filter, on its JSON; `parse_where` checks the rest.
fn check_fixed(map: &Map<String, Json>, fields: &'static [Field]) -> Result<(), FixedFilterError> {
    let refuse = |problem: Problem, message: String| Err(FixedFilterError { problem, message });
    for (key, value) in map {
        match key.as_str() {
            "$and" | "$or" => {
                let items = match value {
                    Json::Array(items) if !items.is_empty() => items,
                    _ => {
                        return refuse(
                            Problem::Combinator(key.clone()),
                            format!(
                            "`{key}` in the datasource filter needs a non-empty list of objects"
                        ),
                        )
                    }
                };
                for item in items {
                    match item {
                        Json::Object(sub) => check_fixed(sub, fields)?,
                        _ => {
                            return refuse(
                                Problem::Combinator(key.clone()),
                                format!("`{key}` in the datasource filter needs a list of objects"),
                            )
                        }
                    }
                }
            }
            op if op.starts_with('$') => {
                return refuse(
                    Problem::Operator(None, op.to_string()),
                    format!("unknown operator `{op}` in the datasource filter"),
                );
            }
            name => {
                let Some(field) = find(fields, name).or_else(|| find(&META_FIELDS, name)) else {
                    return if name.contains('.') {
                        refuse(
                            Problem::NestedField(name.to_string()),
                            format!("the datasource filter names the nested field `{name}`"),
                        )
                    } else {
                        refuse(
                            Problem::UnknownField(name.to_string()),
                            format!("the datasource filter names unknown field `{name}`"),
                        )
                    };
                };
                if matches!(field.kind, Kind::Dict | Kind::List) || field.kind.is_geo() {
                    return refuse(
                        Problem::NotScalar(name.to_string(), field.kind),
                        format!(
                            "the datasource filter compares the {} field `{name}`",
                            field.kind.name()
                        ),
                    );
                }
                let Json::Object(ops) = value else {
                    continue;
                };
                if ops.is_empty() || !ops.keys().all(|k| k.starts_with('$')) {
                    return refuse(
                        Problem::NotComparison(name.to_string()),
                        format!("`{name}` in the datasource filter is not a comparison"),
                    );
                }
                if let Some(op) = ops
                    .keys()
                    .find(|op| !FIXED_FILTER_OPERATORS.contains(&op.as_str()))
                {
                    return refuse(
                        Problem::Operator(Some(name.to_string()), op.clone()),
                        format!(
                            "operator `{op}` on `{name}` is not supported in a datasource filter"
                        ),
                    );
                }
            }
        }
    }
    Ok(())
}

/// One `sort` key: a declared field path and its direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    /// The field path as the client wrote it.
    pub field: String,
    pub descending: bool,
    pub(crate) column: &'static str,
    /// A JSON path made of declared names only, for a nested field.
    pub(crate) json_path: Option<String>,
    /// A nested datetime: ordered by the instant its text names.
    pub(crate) date: bool,
}

fn sort_key(fields: &'static [Field], name: &str, descending: bool) -> Result<SortKey, QueryError> {
    let target = resolve(fields, name, "sort")?;
    if !target.each.is_empty() {
        return error(format!(
            "cannot sort by '{name}': the path goes through a list"
        ));
    }
    if target.kind.is_none() {
        return error(format!("unknown field '{name}' in sort"));
    }
    Ok(SortKey {
        field: name.to_string(),
        descending,
        column: target.column,
        // Stored as text inside JSON: sorted by its instant.
        date: target.kind == Some(Kind::Datetime) && target.key.is_some(),
        json_path: target.key,
    })
}

/// Python's tuple-list syntax as JSON: parentheses become brackets, trailing commas go.
/// Strings must be double-quoted, as Eve requires.
fn python_to_json(text: &str) -> Result<String, QueryError> {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '\'' => return error("sort: field names must be in double quotes"),
            '(' | '[' => out.push('['),
            ')' | ']' => {
                out.truncate(out.trim_end().len());
                if out.ends_with(',') {
                    out.pop();
                }
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// Parse and check a `sort` parameter: `city,-lastname` or `[("lastname", -1)]`.
pub fn parse_sort(text: &str, fields: &'static [Field]) -> Result<Vec<SortKey>, QueryError> {
    if text.len() > MAX_SORT_LEN {
        return error(format!("sort is longer than {MAX_SORT_LEN} bytes"));
    }
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let mut keys = Vec::new();
    if text.starts_with('[') {
        let malformed = || {
            QueryError(
                "sort must look like [(\"field\", 1), (\"other\", -1)] or field,-other".to_string(),
            )
        };
        let json: Json = serde_json::from_str(&python_to_json(text)?).map_err(|_| malformed())?;
        let Json::Array(items) = json else {
            return Err(malformed());
        };
        for item in &items {
            let Some([Json::String(name), Json::Number(direction)]) =
                item.as_array().map(Vec::as_slice)
            else {
                return Err(malformed());
            };
            let descending = match direction.as_i64() {
                Some(1) => false,
                Some(-1) => true,
                _ => return error(format!("sort direction for '{name}' must be 1 or -1")),
            };
            keys.push(sort_key(fields, name, descending)?);
            if keys.len() > MAX_SORT_KEYS {
                return error(format!("sort names more than {MAX_SORT_KEYS} fields"));
            }
        }
    } else {
        for part in text.split(',') {
            let part = part.trim();
            let (name, descending) = match part.strip_prefix('-') {
                Some(rest) => (rest.trim_start(), true),
                None => (part, false),
            };
            if name.is_empty() {
                return error("sort has an empty field name");
            }
            keys.push(sort_key(fields, name, descending)?);
            if keys.len() > MAX_SORT_KEYS {
                return error(format!("sort names more than {MAX_SORT_KEYS} fields"));
            }
        }
    }
    Ok(keys)
}

/// Compile a `$regex` pattern with the size limits that keep it cheap.
pub(crate) fn compile_regex(pattern: &str) -> Result<regex::Regex, QueryError> {
    if pattern.len() > MAX_REGEX_LEN + 8 {
        return error("regex is too long");
    }
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(64)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            let line = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("syntax error");
            if line.contains("size limit") {
                QueryError("regex is too large".to_string())
            } else {
                QueryError(line.to_string())
            }
        })
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A catalog with every kind of path `where` and `sort` reach, shared by these
    //! tests and the dialect's.
    use super::*;
    use crate::date::RFC1123;

    pub(crate) static LOCATION: [Field; 3] = [
        Field::new("city", Kind::String),
        Field::new("zip", Kind::Integer),
        Field::new("since", Kind::Datetime),
    ];
    pub(crate) static ROLE: Field = Field::new("", Kind::String);
    pub(crate) static CONTACT: [Field; 2] = [
        Field::new("kind", Kind::String),
        Field::new("primary", Kind::Boolean),
    ];
    pub(crate) static CONTACT_ITEM: Field = Field {
        schema: &CONTACT,
        ..Field::new("", Kind::Dict)
    };
    pub(crate) static FIELDS: [Field; 12] = [
        Field::new("name", Kind::String),
        Field::new("age", Kind::Integer),
        Field::new("score", Kind::Float),
        Field::new("active", Kind::Boolean),
        Field::new("born", Kind::Datetime),
        Field {
            schema: &LOCATION,
            ..Field::new("location", Kind::Dict)
        },
        Field {
            items: Some(&ROLE),
            ..Field::new("role", Kind::List)
        },
        Field {
            items: Some(&CONTACT_ITEM),
            ..Field::new("contacts", Kind::List)
        },
        // Schema-less: any keys, untyped values.
        Field::new("meta", Kind::Dict),
        // Names that are also columns of json_each.
        Field::new("value", Kind::String),
        Field::new("type", Kind::String),
        Field::new("weird name", Kind::String),
    ];

    pub(crate) const D1987: &str = "Wed, 25 Feb 1987 17:00:00 GMT";
    pub(crate) const D2016: &str = "Tue, 19 Apr 2016 08:19:00 GMT";

    pub(crate) fn where_error(text: &str) -> String {
        match parse_where(text, &FIELDS, &RFC1123) {
            Ok(filter) => panic!("where {text} was accepted: {filter:?}"),
            Err(QueryError(message)) => message,
        }
    }

    pub(crate) fn sort_error(text: &str) -> String {
        match parse_sort(text, &FIELDS) {
            Ok(keys) => panic!("sort {text} was accepted: {keys:?}"),
            Err(QueryError(message)) => message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::date::RFC1123;

    fn fixed_problem(text: &str) -> Problem {
        match parse_fixed_filter(text, &FIELDS, &RFC1123) {
            Ok(filter) => panic!("fixed filter {text} was accepted: {filter:?}"),
            Err(error) => error.problem,
        }
    }

    #[test]
    fn a_fixed_filter_is_a_where_on_top_level_scalars() {
        let filter = parse_fixed_filter(
            r#"{"$or": [{"age": {"$gte": 18, "$lt": 65}}, {"name": {"$in": ["a", null]}}], "active": true, "_id": {"$exists": true}}"#,
            &FIELDS,
            &RFC1123,
        )
        .expect("a fixed filter");
        let same = parse_where(
            r#"{"$or": [{"age": {"$gte": 18, "$lt": 65}}, {"name": {"$in": ["a", null]}}], "active": true, "_id": {"$exists": true}}"#,
            &FIELDS,
            &RFC1123,
        )
        .expect("a where");
        assert_eq!(filter, same, "read as a client's `where` is read");
        assert_eq!(fixed_problem("{"), Problem::Json);
        assert_eq!(fixed_problem("[1]"), Problem::Shape);
        assert_eq!(fixed_problem("{}"), Problem::Shape);
        assert_eq!(
            fixed_problem(r#"{"nmae": 1}"#),
            Problem::UnknownField("nmae".into())
        );
        assert_eq!(
            fixed_problem(r#"{"location.city": "Rome"}"#),
            Problem::NestedField("location.city".into())
        );
        assert_eq!(
            fixed_problem(r#"{"role": "author"}"#),
            Problem::NotScalar("role".into(), Kind::List)
        );
        assert_eq!(
            fixed_problem(r#"{"location": {"city": "Rome"}}"#),
            Problem::NotScalar("location".into(), Kind::Dict)
        );
        assert_eq!(
            fixed_problem(r#"{"name": {"$regex": "^a"}}"#),
            Problem::Operator(Some("name".into()), "$regex".into())
        );
        assert_eq!(
            fixed_problem(r#"{"$nor": [{"age": 1}]}"#),
            Problem::Operator(None, "$nor".into())
        );
        assert_eq!(
            fixed_problem(r#"{"$and": {"age": 1}}"#),
            Problem::Combinator("$and".into())
        );
        assert_eq!(
            fixed_problem(r#"{"$or": [{"nmae": 1}]}"#),
            Problem::UnknownField("nmae".into()),
            "inside $or too"
        );
        assert_eq!(
            fixed_problem(r#"{"age": {"$gt": 1, "x": 2}}"#),
            Problem::NotComparison("age".into())
        );
        assert_eq!(fixed_problem(r#"{"age": "30"}"#), Problem::Where);
        assert_eq!(fixed_problem(r#"{"born": "2016-04-19"}"#), Problem::Where);
    }

    #[test]
    fn sort_errors() {
        assert!(sort_error("[('age', 1)]").contains("double quotes"));
        assert!(sort_error("agee").contains("unknown field 'agee'"));
        assert!(sort_error("age,,name").contains("empty"));
        assert!(sort_error("-").contains("empty"));
        assert!(sort_error(r#"[("age", 2)]"#).contains("1 or -1"));
        assert!(sort_error(r#"[("age", "1")]"#).contains("must look like"));
        assert!(sort_error(r#"[("age")]"#).contains("must look like"));
        assert!(sort_error(r#"[("age", 1)"#).contains("must look like"));
        assert!(sort_error(r#"{"age": 1}"#).contains("unknown field"));
        assert!(sort_error("contacts.kind").contains("through a list"));
        assert!(sort_error("meta.x").contains("unknown field"));
        assert!(sort_error(r#"age" DESC; DROP TABLE people; --"#).contains("unknown field"));
        assert!(sort_error(&vec!["age"; MAX_SORT_KEYS + 1].join(",")).contains("more than"));
        assert!(sort_error(&"a".repeat(MAX_SORT_LEN + 1)).contains("longer"));
    }
    #[test]
    fn python_where_reads_as_its_json() {
        let parse = |text: &str| parse_where(text, &FIELDS, &RFC1123).expect(text);
        assert_eq!(parse("age == 1"), parse(r#"{"age": 1}"#));
        assert_eq!(
            parse("location.city == 'Zürich' or not age > 3"),
            parse(r#"{"$or": [{"location.city": "Zürich"}, {"$nor": [{"age": {"$gt": 3}}]}]}"#)
        );
    }

    #[test]
    fn where_errors() {
        assert_eq!(
            where_error(r#"{"agee": 1}"#),
            "unknown field 'agee' in where"
        );
        assert!(where_error(r#"{"location.town": "x"}"#).contains("unknown field 'location.town'"));
        assert!(where_error(r#"{"name.first": "x"}"#).contains("no subfields"));
        assert!(where_error(r#"{"role.x": "x"}"#).contains("no subfields"));
        assert!(where_error(r#"{"location..city": "x"}"#).contains("empty segment"));
        assert!(where_error(r#"{"age": {"$foo": 1}}"#).contains("unknown operator '$foo'"));
        assert!(where_error(r#"{"$where": "1"}"#).contains("unknown operator '$where'"));
        assert!(where_error(r#"{"age": {"$gt": 1, "x": 2}}"#).contains("mixes"));
        assert!(where_error(r#"{"age": "30"}"#).contains("expects an integer, got a string"));
        assert!(where_error(r#"{"age": 30.5}"#).contains("expects an integer"));
        assert!(where_error(r#"{"age": 99999999999999999999}"#).contains("age"));
        assert!(where_error(r#"{"score": "x"}"#).contains("a number"));
        assert!(where_error(r#"{"active": 1}"#).contains("a boolean"));
        assert!(where_error(r#"{"name": 1}"#).contains("a string"));
        assert!(where_error(r#"{"age": {"$gt": null}}"#).contains("not null"));
        assert!(where_error(r#"{"age": {"$in": 1}}"#).contains("an array"));
        assert!(where_error(r#"{"age": {"$in": [[1]]}}"#).contains("scalars"));
        assert!(where_error(r#"{"age": {"$exists": 1}}"#).contains("true or false"));
        assert!(where_error(r#"{"location": "Rome"}"#).contains("an object"));
        assert!(where_error(r#"{"location": {"$gt": 1}}"#).contains("dict"));
        assert!(where_error(r#"{"role": 1}"#).contains("a string"));
        assert!(where_error(r#"{"$or": []}"#).contains("non-empty array"));
        assert!(where_error(r#"{"$or": {"age": 1}}"#).contains("non-empty array"));
        assert!(where_error(r#"{"$and": [1]}"#).contains("array of objects"));
        assert!(where_error(r#"[1]"#).contains("JSON object"));
        assert!(where_error(r#"{"age": 1"#).contains("not valid JSON"));
        // Not JSON: read as Eve's Python expression, which this one is not.
        assert!(where_error("age = 1").starts_with("Unable to parse `where` clause"));
        assert!(where_error(r#"{"age": 1"#).contains("not valid JSON"));
    }
    #[test]
    fn limits() {
        let nested = |depth: usize| {
            let mut text = r#"{"age": 1}"#.to_string();
            for _ in 0..depth {
                text = format!(r#"{{"$and": [{text}]}}"#);
            }
            text
        };
        assert!(parse_where(&nested(MAX_DEPTH - 2), &FIELDS, &RFC1123).is_ok());
        assert!(where_error(&nested(MAX_DEPTH)).contains("nests deeper"));
        // Far deeper than serde_json's own recursion limit: an error, not a stack overflow.
        assert!(where_error(&nested(5000)).contains("where"));
        let many: Vec<String> = (0..MAX_CONDITIONS + 1)
            .map(|i| format!(r#"{{"age": {i}}}"#))
            .collect();
        let text = format!(r#"{{"$and": [{}]}}"#, many[..MAX_CONDITIONS / 2].join(","));
        assert!(parse_where(&text, &FIELDS, &RFC1123).is_ok());
        let text = format!(r#"{{"$or": [{}]}}"#, many.join(","));
        assert!(where_error(&text).contains("too many"));
        let pairs: Vec<String> = (0..60)
            .map(|i| format!(r#"{{"age": {{"$gt": {i}, "$lt": 100}}}}"#))
            .collect();
        let text = format!(r#"{{"$and": [{}]}}"#, pairs.join(","));
        assert!(where_error(&text).contains("conditions"));
        let list = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let text = format!(r#"{{"age": {{"$in": [{}]}}}}"#, list(MAX_IN_VALUES));
        assert!(parse_where(&text, &FIELDS, &RFC1123).is_ok());
        let text = format!(r#"{{"age": {{"$in": [{}]}}}}"#, list(MAX_IN_VALUES + 1));
        assert!(where_error(&text).contains("more than"));
        let text = format!(
            r#"{{"age": {{"$in": [{0}]}}, "score": {{"$in": [{0}]}}, "_id": {{"$in": [{1}]}}}}"#,
            list(MAX_IN_VALUES),
            (0..10)
                .map(|i| format!("\"{i}\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(where_error(&text).contains("values"));
        let long = format!(r#"{{"name": "{}"}}"#, "a".repeat(MAX_WHERE_LEN));
        assert!(where_error(&long).contains("longer"));
    }
}
