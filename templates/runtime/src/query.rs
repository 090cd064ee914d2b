//! Eve's `where` and `sort` query parameters: parsed into a small AST, checked against the
//! resource's field catalog, and compiled to parameterised SQLite SQL.
//!
//! `where` is MongoDB-style JSON (`{"age": {"$gte": 18}, "location.city": "Rome"}`);
//! `sort` is either `city,-lastname` or Eve's Python form `[("lastname", -1)]`.
//!
//! Client input never becomes SQL text: the compiled SQL only contains column names the
//! catalog declares (quoted), JSON paths built from declared names (for `sort`), fixed
//! keywords and `?` placeholders; every client value, and every JSON path in a `where`,
//! is a bound parameter. Limits on nesting, condition count, `$in` size and regex size
//! keep a single request cheap.
//!
//! Storage conventions (see `catalog`): top-level fields are columns; dicts and lists are
//! JSON text, reached with `json_extract` and iterated with `json_each`; datetimes are
//! epoch seconds in columns but RFC 1123 strings inside JSON.

use std::fmt;
use std::sync::Arc;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value, ValueRef};
use serde_json::{Map, Value as Json};

use crate::catalog::{find, Field, Kind};
use crate::date::DateFormat;

/// How deeply `$and`/`$or`/`$nor` and operator objects may nest.
pub const MAX_DEPTH: usize = 16;
/// How many field conditions (one per operator) a `where` may hold.
pub const MAX_CONDITIONS: usize = 100;
/// How many values one `$in`/`$nin` list may hold.
pub const MAX_IN_VALUES: usize = 500;
/// How many values a whole `where` may bind (keeps well under SQLite's variable limit).
pub const MAX_VALUES: usize = 1000;
/// The longest `where` text accepted, in bytes.
pub const MAX_WHERE_LEN: usize = 64 * 1024;
/// The longest `$regex` pattern accepted, in bytes.
pub const MAX_REGEX_LEN: usize = 1000;
/// Compiled size limit for a `$regex` (`regex_lite::RegexBuilder::size_limit`).
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
    target: Target,
}

/// A comparison operator with its bound operand(s).
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Eq(Operand),
    Ne(Operand),
    Gt(Value),
    Gte(Value),
    Lt(Value),
    Lte(Value),
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
    Scalar(Value),
    /// A whole JSON document (object or array), compared as minified JSON text.
    Json(String),
}

/// Where a field path leads in storage: a column, then zero or more JSON arrays to look
/// into (any element may match), then a JSON path inside the current document.
#[derive(Clone, Debug, PartialEq)]
struct Target {
    column: &'static str,
    /// Arrays to iterate, each at a JSON path inside the current document (`None`: the
    /// document itself).
    each: Vec<Option<String>>,
    /// The value's JSON path inside the current document (`None`: the document itself).
    key: Option<String>,
    /// The value's declared kind; `None` inside a schema-less dict or an unruled list.
    kind: Option<Kind>,
    /// For a list, its items' kind (`None`: no item rule).
    item_kind: Option<Kind>,
}

impl Target {
    /// Whether the value lives inside JSON text rather than in its own column.
    fn in_json(&self) -> bool {
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

/// A JSON scalar as SQLite's `json_extract` returns it (booleans as 0/1).
fn any_scalar(field: &str, op: &str, value: &Json) -> Result<Value, QueryError> {
    match value {
        Json::String(s) => Ok(Value::Text(s.clone())),
        Json::Bool(b) => Ok(Value::Integer(i64::from(*b))),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Value::Integer(i)),
            (None, Some(f)) => Ok(Value::Real(f)),
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
) -> Result<Value, QueryError> {
    match (kind, value) {
        (Kind::String | Kind::ObjectId, Json::String(s)) => Ok(Value::Text(s.clone())),
        (Kind::String | Kind::ObjectId, _) => wrong_type(field, op, "a string", value),
        (Kind::Integer, Json::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Value::Integer(i)),
            None if n.is_f64() => wrong_type(field, op, "an integer", value),
            None => error(format!(
                "field '{field}' in where: {op} integer out of range"
            )),
        },
        (Kind::Integer, _) => wrong_type(field, op, "an integer", value),
        (Kind::Float | Kind::Number, Json::Number(_)) => any_scalar(field, op, value),
        (Kind::Float | Kind::Number, _) => wrong_type(field, op, "a number", value),
        (Kind::Boolean, Json::Bool(b)) => Ok(Value::Integer(i64::from(*b))),
        (Kind::Boolean, _) => wrong_type(field, op, "a boolean", value),
        // Epoch seconds; a nested datetime (stored as text) is compared through
        // `wire_date` (see `compile_condition`).
        (Kind::Datetime, Json::String(s)) => parse_date(dates, field, s).map(Value::Integer),
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
                    vec![Operand::Scalar(Value::Text(canonical))]
                } else {
                    vec![
                        Operand::Scalar(Value::Text(canonical)),
                        Operand::Scalar(Value::Text(text.clone())),
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

/// The distance expression and its parameters of the first `$near` among the top-level
/// conditions of `filter`: the order MongoDB gives `$near` results (nearest first).
pub fn near_order(filter: &Filter) -> Option<(String, Vec<Value>)> {
    match filter {
        Filter::And(parts) => parts.iter().find_map(near_order),
        Filter::Cond(Condition {
            op: Op::Near(near),
            target,
            ..
        }) => Some((
            format!("geo_distance({}, ?, ?)", quote_ident(target.column)),
            vec![Value::Real(near.lon), Value::Real(near.lat)],
        )),
        _ => None,
    }
}

fn single_or_and(mut parts: Vec<Filter>) -> Filter {
    if parts.len() == 1 {
        if let Some(only) = parts.pop() {
            return only;
        }
    }
    Filter::And(parts)
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
        Err(e) => return error(format!("where is not valid JSON: {e}")),
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

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// How a value is read: as an SQL scalar, as JSON text, or as its JSON type (for `$exists`).
#[derive(Clone, Copy)]
enum Mode {
    Scalar,
    Json,
    Type,
}

/// Where the compared value sits once any `json_each` iterations are open.
struct Site<'a> {
    /// The current JSON document (or column) as SQL, without parameters.
    doc: String,
    /// The innermost `json_each` alias and the document it iterates.
    element: Option<(String, String)>,
    key: Option<&'a String>,
}

impl Site<'_> {
    fn emit(&self, mode: Mode, sql: &mut String, params: &mut Vec<Value>) {
        match (self.key, &self.element, mode) {
            (Some(path), _, _) => {
                let (open, close) = match mode {
                    Mode::Scalar => ("json_extract(", ", ?)"),
                    // `->` always answers JSON text (a string comes back quoted).
                    Mode::Json => ("(", " -> ?)"),
                    Mode::Type => ("json_type(", ", ?)"),
                };
                sql.push_str(open);
                sql.push_str(&self.doc);
                sql.push_str(close);
                params.push(Value::Text(path.clone()));
            }
            (None, Some((alias, _)), Mode::Scalar) => {
                sql.push_str(&format!("{alias}.value"));
            }
            (None, Some((alias, root)), Mode::Json) => {
                sql.push_str(&format!("({root} -> {alias}.fullkey)"));
            }
            (None, Some((alias, _)), Mode::Type) => {
                sql.push_str(&format!("{alias}.type"));
            }
            (None, None, Mode::Json) => {
                sql.push_str(&format!("json({})", self.doc));
            }
            (None, None, Mode::Scalar | Mode::Type) => sql.push_str(&self.doc),
        }
    }
}

/// The positive predicates an operator compiles from; `$ne`, `$nin` and
/// `$exists: false` are their negations.
enum Pred<'a> {
    Eq(&'a Operand),
    Cmp(&'static str, &'a Value),
    /// A comparison of a datetime stored as text (inside JSON) with epoch seconds.
    DateCmp(&'static str, &'a Value),
    In(&'a [Operand]),
    Regex(&'a str),
    Exists,
}

impl Pred<'_> {
    /// Whether the predicate holds for a null or missing value.
    fn matches_null(&self) -> bool {
        match self {
            Pred::Eq(operand) => **operand == Operand::Null,
            Pred::In(operands) => operands.contains(&Operand::Null),
            _ => false,
        }
    }
}

/// Append `(?, ?, ...)` for the non-null operands of an `$in`.
fn emit_list(operands: &[Operand], sql: &mut String, params: &mut Vec<Value>) {
    sql.push('(');
    let mut first = true;
    for operand in operands {
        if let Operand::Scalar(value) = operand {
            if !first {
                sql.push_str(", ");
            }
            first = false;
            sql.push('?');
            params.push(value.clone());
        }
    }
    sql.push(')');
}

fn scalar_count(operands: &[Operand]) -> usize {
    operands
        .iter()
        .filter(|o| matches!(o, Operand::Scalar(_)))
        .count()
}

/// The predicate (positive, or negated) on a value at `site`. Negations are written so
/// that a null or missing value counts as "not equal", as in MongoDB.
fn emit_pred(
    site: &Site<'_>,
    untyped: bool,
    pred: &Pred<'_>,
    negate: bool,
    sql: &mut String,
    params: &mut Vec<Value>,
) {
    let (not, is, in_) = if negate {
        ("NOT ", "IS NOT", "NOT IN")
    } else {
        ("", "IS", "IN")
    };
    match pred {
        Pred::Eq(Operand::Null) => {
            site.emit(Mode::Scalar, sql, params);
            sql.push_str(&format!(" {is} NULL"));
        }
        Pred::Eq(Operand::Scalar(value)) => {
            site.emit(Mode::Scalar, sql, params);
            sql.push_str(if negate { " IS NOT ?" } else { " = ?" });
            params.push(value.clone());
        }
        Pred::Eq(Operand::Json(text)) => {
            site.emit(Mode::Json, sql, params);
            sql.push_str(if negate {
                " IS NOT json(?)"
            } else {
                " = json(?)"
            });
            params.push(Value::Text(text.clone()));
        }
        Pred::In(operands) => {
            let has_null = operands.contains(&Operand::Null);
            match (scalar_count(operands), has_null) {
                (0, false) => sql.push_str(if negate { "1" } else { "0" }),
                (0, true) => {
                    site.emit(Mode::Scalar, sql, params);
                    sql.push_str(&format!(" {is} NULL"));
                }
                (_, null) => {
                    // Null and missing values: in the list exactly when null is.
                    let null_clause = match (negate, null) {
                        (false, false) => None,
                        (false, true) => Some(" OR "),
                        (true, false) => Some(" OR "),
                        (true, true) => Some(" AND "),
                    };
                    if let Some(joiner) = null_clause {
                        sql.push('(');
                        site.emit(Mode::Scalar, sql, params);
                        sql.push_str(if null != negate {
                            " IS NULL"
                        } else {
                            " IS NOT NULL"
                        });
                        sql.push_str(joiner);
                    }
                    site.emit(Mode::Scalar, sql, params);
                    sql.push_str(&format!(" {in_} "));
                    emit_list(operands, sql, params);
                    if null_clause.is_some() {
                        sql.push(')');
                    }
                }
            }
        }
        Pred::Cmp(op, value) => {
            sql.push_str(not);
            sql.push('(');
            if untyped {
                // MongoDB compares only like with like: numbers with numbers, strings
                // with strings.
                sql.push_str("typeof(");
                site.emit(Mode::Scalar, sql, params);
                sql.push_str(match value {
                    Value::Text(_) => ") = 'text' AND ",
                    _ => ") IN ('integer', 'real') AND ",
                });
            }
            site.emit(Mode::Scalar, sql, params);
            sql.push_str(&format!(" {op} ?)"));
            params.push((*value).clone());
        }
        Pred::DateCmp(op, value) => {
            sql.push_str(not);
            sql.push_str("(wire_date(");
            site.emit(Mode::Scalar, sql, params);
            sql.push_str(&format!(") {op} ?)"));
            params.push((*value).clone());
        }
        Pred::Regex(pattern) => {
            sql.push_str(not);
            site.emit(Mode::Scalar, sql, params);
            sql.push_str(" REGEXP ?");
            params.push(Value::Text((*pattern).to_string()));
        }
        Pred::Exists => {
            site.emit(Mode::Type, sql, params);
            sql.push_str(if negate { " IS NULL" } else { " IS NOT NULL" });
        }
    }
}

/// The predicate on a target: directly on a column or JSON path, or inside nested
/// `EXISTS (SELECT 1 FROM json_each(...))` when the path goes through lists.
fn emit_target(
    target: &Target,
    pred: &Pred<'_>,
    negate: bool,
    sql: &mut String,
    params: &mut Vec<Value>,
) {
    let untyped = target.kind.is_none();
    let column = quote_ident(target.column);
    if target.each.is_empty() {
        let site = Site {
            doc: column,
            element: None,
            key: target.key.as_ref(),
        };
        emit_pred(&site, untyped, pred, negate, sql, params);
        return;
    }
    // Through lists: "any element matches"; the negations are "no element matches".
    if negate {
        sql.push_str("NOT ");
    }
    let null_too = pred.matches_null();
    if null_too {
        // A missing list also counts as null.
        sql.push('(');
        let site = Site {
            doc: column.clone(),
            element: None,
            key: target.each.first().and_then(|path| path.as_ref()),
        };
        emit_pred(&site, false, &Pred::Eq(&Operand::Null), false, sql, params);
        sql.push_str(" OR ");
    }
    let mut doc = column;
    let mut element = None;
    for (depth, path) in target.each.iter().enumerate() {
        let alias = format!("_je{}", depth + 1);
        sql.push_str("EXISTS (SELECT 1 FROM ");
        if depth == 0 {
            // The column goes through a one-row derived table: written directly as a
            // json_each argument, a column named like one of json_each's own (`value`,
            // `key`, `type`, ...) would resolve to json_each's column instead.
            sql.push_str(&format!("(SELECT {doc} AS doc) AS _jd, "));
            doc = "_jd.doc".to_string();
        }
        sql.push_str("json_each(");
        sql.push_str(&doc);
        if let Some(path) = path {
            sql.push_str(", ?");
            params.push(Value::Text(path.clone()));
        }
        sql.push_str(&format!(") AS {alias} WHERE "));
        let next =
            format!("(CASE WHEN {alias}.type IN ('object', 'array') THEN {alias}.value END)");
        element = Some((alias, std::mem::replace(&mut doc, next)));
    }
    let site = Site {
        doc,
        element,
        key: target.key.as_ref(),
    };
    emit_pred(&site, untyped, pred, false, sql, params);
    for _ in &target.each {
        sql.push(')');
    }
    if null_too {
        sql.push(')');
    }
}

fn compile_condition(condition: &Condition, sql: &mut String, params: &mut Vec<Value>) {
    let target = &condition.target;
    let (pred, negate) = match &condition.op {
        Op::Eq(operand) => (Pred::Eq(operand), false),
        Op::Ne(operand) => (Pred::Eq(operand), true),
        Op::Gt(value) | Op::Gte(value) | Op::Lt(value) | Op::Lte(value)
            if target.kind == Some(Kind::Datetime) && target.in_json() =>
        {
            let op = match &condition.op {
                Op::Gt(_) => ">",
                Op::Gte(_) => ">=",
                Op::Lt(_) => "<",
                _ => "<=",
            };
            (Pred::DateCmp(op, value), false)
        }
        Op::Gt(value) => (Pred::Cmp(">", value), false),
        Op::Gte(value) => (Pred::Cmp(">=", value), false),
        Op::Lt(value) => (Pred::Cmp("<", value), false),
        Op::Lte(value) => (Pred::Cmp("<=", value), false),
        Op::In(operands) => (Pred::In(operands), false),
        Op::Nin(operands) => (Pred::In(operands), true),
        Op::Regex(pattern) => (Pred::Regex(pattern), false),
        Op::Exists(exists) => (Pred::Exists, !exists),
        Op::Near(near) => {
            // `geo_distance` (registered by `geo`) is NULL for anything but a point.
            sql.push_str(&format!(
                "(geo_distance({}, ?, ?) BETWEEN ? AND ?)",
                quote_ident(target.column)
            ));
            params.extend([
                Value::Real(near.lon),
                Value::Real(near.lat),
                Value::Real(near.min),
                Value::Real(near.max),
            ]);
            return;
        }
    };
    emit_target(target, &pred, negate, sql, params);
}

fn compile_list(
    filters: &[Filter],
    joiner: &str,
    empty: &str,
    sql: &mut String,
    params: &mut Vec<Value>,
) {
    if filters.is_empty() {
        sql.push_str(empty);
        return;
    }
    sql.push('(');
    for (i, filter) in filters.iter().enumerate() {
        if i > 0 {
            sql.push_str(joiner);
        }
        compile_where(filter, sql, params);
    }
    sql.push(')');
}

/// Append one boolean SQL expression for `filter`, with `?` placeholders, pushing the
/// bound values in placeholder order.
pub fn compile_where(filter: &Filter, sql: &mut String, params: &mut Vec<Value>) {
    match filter {
        Filter::And(filters) => compile_list(filters, " AND ", "1", sql, params),
        Filter::Or(filters) => compile_list(filters, " OR ", "0", sql, params),
        Filter::Nor(filters) => {
            // A comparison with a missing value is NULL: count it as "did not match".
            sql.push_str("NOT COALESCE(");
            compile_list(filters, " OR ", "0", sql, params);
            sql.push_str(", 0)");
        }
        Filter::Cond(condition) => compile_condition(condition, sql, params),
    }
}

/// One `sort` key: a declared field path and its direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    /// The field path as the client wrote it.
    pub field: String,
    pub descending: bool,
    column: &'static str,
    /// A JSON path made of declared names only, for a nested field.
    json_path: Option<String>,
    /// A nested datetime: ordered by `wire_date` of its text.
    date: bool,
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
        // Stored as text inside JSON: sorted by its instant, through `wire_date`.
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

/// Append the `ORDER BY` terms (without the keyword), e.g. `"city" ASC, "age" DESC`.
pub fn compile_sort(keys: &[SortKey], sql: &mut String) {
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let column = quote_ident(key.column);
        match &key.json_path {
            // The path is built from declared names only; quote it as an SQL literal.
            Some(path) => {
                let extract = format!("json_extract({column}, '{}')", path.replace('\'', "''"));
                if key.date {
                    sql.push_str(&format!("wire_date({extract})"));
                } else {
                    sql.push_str(&extract);
                }
            }
            None => sql.push_str(&column),
        }
        sql.push_str(if key.descending { " DESC" } else { " ASC" });
    }
}

/// Compile a `$regex` pattern with the size limits that keep it cheap.
fn compile_regex(pattern: &str) -> Result<regex_lite::Regex, QueryError> {
    if pattern.len() > MAX_REGEX_LEN + 8 {
        return error("regex is too long");
    }
    regex_lite::RegexBuilder::new(pattern)
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

/// Register the SQL functions compiled filters use: `REGEXP` (`x REGEXP p` calls
/// `regexp(p, x)`), and `wire_date(text)`, the epoch seconds of a datetime stored as
/// text inside a dict or list (NULL if it is not one). The compiled pattern is cached
/// per statement with SQLite's auxdata; a NULL or non-text value never matches.
pub fn register_functions(
    conn: &rusqlite::Connection,
    dates: &'static DateFormat,
) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "wire_date",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                    .ok()
                    .and_then(|text| dates.parse(text)),
                _ => None,
            })
        },
    )?;
    conn.create_scalar_function(
        "regexp",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let regex: Arc<regex_lite::Regex> =
                ctx.get_or_create_aux(0, |pattern| match pattern.as_str() {
                    Ok(pattern) => compile_regex(pattern),
                    Err(_) => error("REGEXP pattern must be text"),
                })?;
            Ok(match ctx.get_raw(1) {
                ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                    .map(|text| regex.is_match(text))
                    .unwrap_or(false),
                _ => false,
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::RFC1123;
    use rusqlite::{params_from_iter, Connection};

    static LOCATION: [Field; 3] = [
        Field::new("city", Kind::String),
        Field::new("zip", Kind::Integer),
        Field::new("since", Kind::Datetime),
    ];
    static ROLE: Field = Field::new("", Kind::String);
    static CONTACT: [Field; 2] = [
        Field::new("kind", Kind::String),
        Field::new("primary", Kind::Boolean),
    ];
    static CONTACT_ITEM: Field = Field {
        schema: &CONTACT,
        ..Field::new("", Kind::Dict)
    };
    static FIELDS: [Field; 12] = [
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

    const D1987: &str = "Wed, 25 Feb 1987 17:00:00 GMT";
    const D2016: &str = "Tue, 19 Apr 2016 08:19:00 GMT";

    /// `_id`, `_created`, name, age, score, active, born.
    type Row = (
        &'static str,
        i64,
        &'static str,
        Option<i64>,
        Option<f64>,
        bool,
        Option<i64>,
    );

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        register_functions(&conn, &crate::date::RFC1123).unwrap();
        conn.execute_batch(
            "CREATE TABLE people (_id TEXT PRIMARY KEY, _created INTEGER, _updated INTEGER,
                name TEXT, age INTEGER, score REAL, active INTEGER, born INTEGER,
                location TEXT, role TEXT, contacts TEXT, meta TEXT, value TEXT, type TEXT,
                \"weird name\" TEXT)",
        )
        .unwrap();
        // Stored as epoch seconds, whatever the wire format.
        let d = |text: &str| crate::date::RFC1123.parse(text).unwrap();
        let rows: [Row; 5] = [
            (
                "john",
                100,
                "John",
                Some(30),
                Some(7.5),
                true,
                Some(d(D1987)),
            ),
            (
                "jane",
                200,
                "Jane",
                Some(25),
                Some(9.0),
                false,
                Some(d("Mon, 01 Jan 1990 00:00:00 GMT")),
            ),
            ("bob", 300, "Bob", None, None, true, None),
            (
                "alice",
                400,
                "alice",
                Some(40),
                Some(3.25),
                false,
                Some(d("Sat, 01 Jan 2000 00:00:00 GMT")),
            ),
            ("eve", 500, "Eve", Some(30), Some(7.5), true, Some(d(D2016))),
        ];
        let json: [[Option<&str>; 6]; 5] = [
            [
                Some(r#"{"city":"Rome","since":"Tue, 19 Apr 2016 08:19:00 GMT","zip":100}"#),
                Some(r#"["author","copy"]"#),
                Some(r#"[{"kind":"email","primary":true},{"kind":"phone","primary":false}]"#),
                Some(r#"{"tag":"blue","x":1}"#),
                Some("v1"),
                Some("t1"),
            ],
            [
                Some(r#"{"city":"Paris","zip":75}"#),
                Some(r#"["copy"]"#),
                Some(r#"[{"kind":"phone","primary":true}]"#),
                Some(r#"{"x":"1"}"#),
                Some("x'; DROP TABLE people; --"),
                Some("t2"),
            ],
            [None, None, None, None, None, None],
            [
                Some(r#"{"city":"rome","zip":null}"#),
                Some("[]"),
                Some("[]"),
                Some(r#"{"nested":{"deep":true},"x":2.5}"#),
                Some("v4"),
                None,
            ],
            [
                Some(r#"{"city":"Berlin"}"#),
                Some(r#"["admin",null]"#),
                Some(r#"[{"kind":"email"}]"#),
                Some(r#"{"tag":null}"#),
                Some("v5"),
                Some("t5"),
            ],
        ];
        for ((id, created, name, age, score, active, born), j) in rows.into_iter().zip(json) {
            conn.execute(
                "INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                rusqlite::params![
                    id,
                    created,
                    created + 1,
                    name,
                    age,
                    score,
                    active,
                    born,
                    j[0],
                    j[1],
                    j[2],
                    j[3],
                    j[4],
                    j[5]
                ],
            )
            .unwrap();
        }
        conn
    }

    /// The `_id`s a `where` selects, in `_id` order, with LIMIT/OFFSET appended as the
    /// caller does.
    fn select(conn: &Connection, where_text: &str, sort_text: &str) -> Vec<String> {
        let filter = parse_where(where_text, &FIELDS, &RFC1123)
            .unwrap_or_else(|e| panic!("where {where_text}: {e}"));
        let keys =
            parse_sort(sort_text, &FIELDS).unwrap_or_else(|e| panic!("sort {sort_text}: {e}"));
        let mut sql = "SELECT _id FROM people WHERE ".to_string();
        let mut params = Vec::new();
        compile_where(&filter, &mut sql, &mut params);
        sql.push_str(" ORDER BY ");
        compile_sort(&keys, &mut sql);
        if !keys.is_empty() {
            sql.push_str(", ");
        }
        sql.push_str("_id LIMIT ? OFFSET ?");
        params.push(Value::Integer(100));
        params.push(Value::Integer(0));
        let mut statement = conn.prepare(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let rows = statement
            .query_map(params_from_iter(params), |row| row.get::<_, String>(0))
            .unwrap()
            .collect::<Result<Vec<_>, _>>();
        rows.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn ids(conn: &Connection, where_text: &str) -> Vec<String> {
        let mut ids = select(conn, where_text, "");
        ids.sort();
        ids
    }

    fn set(names: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        names.sort();
        names
    }

    fn check(conn: &Connection, where_text: &str, expected: &[&str]) {
        assert_eq!(ids(conn, where_text), set(expected), "where {where_text}");
    }

    fn where_error(text: &str) -> String {
        match parse_where(text, &FIELDS, &RFC1123) {
            Ok(filter) => panic!("where {text} was accepted: {filter:?}"),
            Err(QueryError(message)) => message,
        }
    }

    fn sort_error(text: &str) -> String {
        match parse_sort(text, &FIELDS) {
            Ok(keys) => panic!("sort {text} was accepted: {keys:?}"),
            Err(QueryError(message)) => message,
        }
    }

    const ALL: &[&str] = &["john", "jane", "bob", "alice", "eve"];

    #[test]
    fn equality_on_columns() {
        let conn = db();
        check(&conn, "", ALL);
        check(&conn, "{}", ALL);
        check(&conn, r#"{"name": "John"}"#, &["john"]);
        check(&conn, r#"{"age": 30}"#, &["john", "eve"]);
        check(&conn, r#"{"age": 30, "name": "Eve"}"#, &["eve"]);
        check(&conn, r#"{"score": 9}"#, &["jane"]);
        check(&conn, r#"{"score": 7.5}"#, &["john", "eve"]);
        check(&conn, r#"{"active": true}"#, &["john", "bob", "eve"]);
        check(&conn, r#"{"active": false}"#, &["jane", "alice"]);
        check(&conn, r#"{"age": null}"#, &["bob"]);
        check(&conn, r#"{"age": {"$eq": 25}}"#, &["jane"]);
        check(&conn, r#"{"_id": "eve"}"#, &["eve"]);
        check(
            &conn,
            r#"{"type": "t2", "value": {"$exists": true}}"#,
            &["jane"],
        );
    }

    #[test]
    fn comparison_operators() {
        let conn = db();
        check(&conn, r#"{"age": {"$gt": 25}}"#, &["john", "alice", "eve"]);
        check(&conn, r#"{"age": {"$gte": 30}}"#, &["john", "alice", "eve"]);
        check(&conn, r#"{"age": {"$lt": 30}}"#, &["jane"]);
        check(&conn, r#"{"age": {"$lte": 30}}"#, &["john", "jane", "eve"]);
        check(
            &conn,
            r#"{"age": {"$gt": 25, "$lt": 40}}"#,
            &["john", "eve"],
        );
        check(&conn, r#"{"score": {"$gt": 7}}"#, &["john", "jane", "eve"]);
        check(&conn, r#"{"score": {"$lt": 7.5}}"#, &["alice"]);
        check(
            &conn,
            r#"{"name": {"$gte": "J"}}"#,
            &["john", "jane", "alice"],
        );
        check(
            &conn,
            r#"{"_created": {"$gt": "Thu, 01 Jan 1970 00:03:20 GMT"}}"#,
            &["bob", "alice", "eve"],
        );
        check(
            &conn,
            r#"{"_updated": "Thu, 01 Jan 1970 00:03:21 GMT"}"#,
            &["jane"],
        );
    }

    #[test]
    fn not_equal_and_sets_treat_missing_as_mongodb_does() {
        let conn = db();
        // $ne matches documents without the field.
        check(&conn, r#"{"age": {"$ne": 30}}"#, &["jane", "bob", "alice"]);
        check(
            &conn,
            r#"{"age": {"$ne": null}}"#,
            &["john", "jane", "alice", "eve"],
        );
        check(&conn, r#"{"age": {"$in": [25, 40]}}"#, &["jane", "alice"]);
        check(&conn, r#"{"age": {"$in": [25, null]}}"#, &["jane", "bob"]);
        check(&conn, r#"{"age": {"$in": [null]}}"#, &["bob"]);
        check(&conn, r#"{"age": {"$in": []}}"#, &[]);
        check(
            &conn,
            r#"{"age": {"$nin": [25, 40]}}"#,
            &["john", "bob", "eve"],
        );
        check(
            &conn,
            r#"{"age": {"$nin": [25, null]}}"#,
            &["john", "alice", "eve"],
        );
        check(
            &conn,
            r#"{"age": {"$nin": [null]}}"#,
            &["john", "jane", "alice", "eve"],
        );
        check(&conn, r#"{"age": {"$nin": []}}"#, ALL);
        check(
            &conn,
            r#"{"age": {"$exists": true}}"#,
            &["john", "jane", "alice", "eve"],
        );
        check(&conn, r#"{"age": {"$exists": false}}"#, &["bob"]);
        check(
            &conn,
            r#"{"born": {"$in": ["Wed, 25 Feb 1987 17:00:00 GMT"]}}"#,
            &["john"],
        );
    }

    #[test]
    fn and_or_nor() {
        let conn = db();
        check(
            &conn,
            r#"{"$or": [{"age": 25}, {"name": "Bob"}]}"#,
            &["jane", "bob"],
        );
        check(
            &conn,
            r#"{"$and": [{"age": 30}, {"active": true}]}"#,
            &["john", "eve"],
        );
        check(
            &conn,
            r#"{"$or": [{"$and": [{"age": 30}, {"name": "Eve"}]}, {"age": {"$lt": 26}}], "active": false}"#,
            &["jane"],
        );
        // $nor counts a comparison with a missing field as "did not match".
        check(
            &conn,
            r#"{"$nor": [{"age": {"$gt": 26}}]}"#,
            &["jane", "bob"],
        );
        check(&conn, r#"{"$or": [{}]}"#, ALL);
    }

    #[test]
    fn dotted_paths_into_dicts() {
        let conn = db();
        check(&conn, r#"{"location.city": "Rome"}"#, &["john"]);
        check(
            &conn,
            r#"{"location.zip": {"$gte": 75}}"#,
            &["john", "jane"],
        );
        check(&conn, r#"{"location.zip": null}"#, &["bob", "alice", "eve"]);
        check(
            &conn,
            r#"{"location.zip": {"$exists": true}}"#,
            &["john", "jane", "alice"],
        );
        check(
            &conn,
            r#"{"location.zip": {"$exists": false}}"#,
            &["bob", "eve"],
        );
        check(
            &conn,
            r#"{"location.city": {"$ne": "Rome"}}"#,
            &["jane", "bob", "alice", "eve"],
        );
        check(
            &conn,
            r#"{"location.city": {"$in": ["Paris", "Berlin"]}}"#,
            &["jane", "eve"],
        );
        check(&conn, r#"{"location": {"city": "Berlin"}}"#, &["eve"]);
        check(&conn, r#"{"location": null}"#, &["bob"]);
        // Nested datetimes are stored as text: equality works, also for other spellings.
        check(
            &conn,
            &format!(r#"{{"location.since": "{D2016}"}}"#),
            &["john"],
        );
        check(
            &conn,
            r#"{"location.since": "Tuesday, 19-Apr-16 08:19:00 GMT"}"#,
            &["john"],
        );
        check(
            &conn,
            &format!(r#"{{"location.since": {{"$ne": "{D2016}"}}}}"#),
            &["jane", "bob", "alice", "eve"],
        );
        // Schema-less dicts: any key, compared like with like.
        check(&conn, r#"{"meta.x": 1}"#, &["john"]);
        check(&conn, r#"{"meta.x": "1"}"#, &["jane"]);
        check(&conn, r#"{"meta.x": {"$gt": 0}}"#, &["john", "alice"]);
        check(&conn, r#"{"meta.x": {"$gte": "0"}}"#, &["jane"]);
        check(&conn, r#"{"meta.nested.deep": true}"#, &["alice"]);
        check(&conn, r#"{"meta.nested": {"deep": true}}"#, &["alice"]);
        check(
            &conn,
            r#"{"meta.tag": {"$exists": true}}"#,
            &["john", "eve"],
        );
        check(
            &conn,
            r#"{"meta.tag": null}"#,
            &["jane", "bob", "alice", "eve"],
        );
    }

    #[test]
    fn lists_match_any_element() {
        let conn = db();
        check(&conn, r#"{"role": "author"}"#, &["john"]);
        check(&conn, r#"{"role": "copy"}"#, &["john", "jane"]);
        check(
            &conn,
            r#"{"role": {"$in": ["author", "admin"]}}"#,
            &["john", "eve"],
        );
        check(
            &conn,
            r#"{"role": {"$ne": "copy"}}"#,
            &["bob", "alice", "eve"],
        );
        check(
            &conn,
            r#"{"role": {"$nin": ["copy", "admin"]}}"#,
            &["bob", "alice"],
        );
        check(&conn, r#"{"role": ["copy"]}"#, &["jane"]);
        check(&conn, r#"{"role": []}"#, &["alice"]);
        check(&conn, r#"{"role": null}"#, &["bob"]);
        check(&conn, r#"{"role": {"$in": [null]}}"#, &["bob", "eve"]);
        check(
            &conn,
            r#"{"role": {"$exists": true}}"#,
            &["john", "jane", "alice", "eve"],
        );
        check(&conn, r#"{"role": {"$gt": "b"}}"#, &["john", "jane"]);
        // Lists of dicts: a path through the list matches any element.
        check(&conn, r#"{"contacts.kind": "phone"}"#, &["john", "jane"]);
        check(&conn, r#"{"contacts.primary": true}"#, &["john", "jane"]);
        check(&conn, r#"{"contacts.primary": false}"#, &["john"]);
        check(
            &conn,
            r#"{"contacts.kind": {"$ne": "email"}}"#,
            &["jane", "bob", "alice"],
        );
        check(
            &conn,
            r#"{"contacts.primary": {"$exists": false}}"#,
            &["bob", "alice", "eve"],
        );
        check(&conn, r#"{"contacts.primary": null}"#, &["bob", "eve"]);
        check(
            &conn,
            r#"{"contacts": {"kind": "phone", "primary": true}}"#,
            &["jane"],
        );
        check(
            &conn,
            r#"{"contacts.kind": {"$regex": "^E", "$options": "i"}}"#,
            &["john", "eve"],
        );
    }

    #[test]
    fn regex() {
        let conn = db();
        check(&conn, r#"{"name": {"$regex": "^J"}}"#, &["john", "jane"]);
        check(&conn, r#"{"name": {"$regex": "^a"}}"#, &["alice"]);
        check(
            &conn,
            r#"{"name": {"$regex": "^A", "$options": "i"}}"#,
            &["alice"],
        );
        check(
            &conn,
            r#"{"location.city": {"$regex": "^rome$", "$options": "i"}}"#,
            &["john", "alice"],
        );
        check(&conn, r#"{"role": {"$regex": "^adm"}}"#, &["eve"]);
        // NULL text never matches, not even an empty pattern.
        check(
            &conn,
            r#"{"type": {"$regex": ""}}"#,
            &["john", "jane", "eve"],
        );
        let matched: bool = conn
            .query_row("SELECT 'abc' REGEXP 'b', NULL REGEXP 'b' IS 0", [], |row| {
                Ok(row.get::<_, bool>(0)? && row.get::<_, bool>(1)?)
            })
            .unwrap();
        assert!(matched);
        assert!(where_error(r#"{"name": {"$regex": "("}}"#).contains("invalid $regex"));
        assert!(where_error(r#"{"name": {"$regex": "\\w{1000}{1000}"}}"#).contains("too large"));
        let long = "a".repeat(MAX_REGEX_LEN + 1);
        assert!(where_error(&format!(r#"{{"name": {{"$regex": "{long}"}}}}"#)).contains("longer"));
        assert!(where_error(r#"{"name": {"$regex": "a", "$options": "g"}}"#).contains("$options"));
        assert!(where_error(r#"{"name": {"$options": "i"}}"#).contains("without $regex"));
        assert!(where_error(r#"{"age": {"$regex": "1"}}"#).contains("string field"));
        assert!(where_error(r#"{"name": {"$regex": 1}}"#).contains("expects a string"));
    }

    #[test]
    fn dates() {
        let conn = db();
        check(&conn, &format!(r#"{{"born": "{D1987}"}}"#), &["john"]);
        check(
            &conn,
            &format!(r#"{{"born": {{"$gte": "{D1987}"}}}}"#),
            &["john", "jane", "alice", "eve"],
        );
        check(
            &conn,
            &format!(r#"{{"born": {{"$gt": "{D1987}"}}}}"#),
            &["jane", "alice", "eve"],
        );
        check(
            &conn,
            &format!(r#"{{"born": {{"$lt": "{D2016}"}}}}"#),
            &["john", "jane", "alice"],
        );
        assert!(where_error(r#"{"born": {"$gt": "2016-04-19"}}"#).contains("RFC 1123"));
        assert!(where_error(r#"{"born": 541270800}"#).contains("date"));
        // Nested datetimes (text inside JSON) compare by instant too.
        check(
            &conn,
            &format!(r#"{{"location.since": {{"$gte": "{D2016}"}}}}"#),
            &["john"],
        );
        check(
            &conn,
            &format!(r#"{{"location.since": {{"$gt": "{D2016}"}}}}"#),
            &[],
        );
        check(
            &conn,
            r#"{"location.since": {"$gt": "Thu, 01 Jan 2015 00:00:00 GMT", "$lt": "Fri, 01 Jan 2016 00:00:00 GMT"}}"#,
            &[],
        );
        check(
            &conn,
            r#"{"location.since": {"$gt": "Thu, 01 Jan 2015 00:00:00 GMT", "$lt": "Sun, 01 Jan 2017 00:00:00 GMT"}}"#,
            &["john"],
        );
    }

    #[test]
    fn sorting() {
        let conn = db();
        assert_eq!(parse_sort("", &FIELDS), Ok(Vec::new()));
        assert_eq!(parse_sort("  ", &FIELDS), Ok(Vec::new()));
        assert_eq!(parse_sort("[]", &FIELDS), Ok(Vec::new()));
        let order = |sort: &str| select(&conn, "", sort);
        assert_eq!(order("age,-name"), ["bob", "jane", "john", "eve", "alice"]);
        assert_eq!(
            order(" age , - name "),
            ["bob", "jane", "john", "eve", "alice"]
        );
        assert_eq!(
            order(r#"[("age", 1), ("name", -1)]"#),
            ["bob", "jane", "john", "eve", "alice"]
        );
        assert_eq!(
            order(r#"[ ( "age" , 1 ) , ( "name" , -1 ) , ]"#),
            ["bob", "jane", "john", "eve", "alice"]
        );
        assert_eq!(
            order(r#"[["age", -1]]"#),
            ["alice", "eve", "john", "jane", "bob"]
        );
        assert_eq!(order("-_created"), ["eve", "alice", "bob", "jane", "john"]);
        assert_eq!(
            order("location.city"),
            ["bob", "eve", "jane", "john", "alice"]
        );
        assert_eq!(
            order(r#"[("location.zip", -1)]"#),
            ["john", "jane", "alice", "bob", "eve"]
        );
        assert_eq!(order("weird name"), ["alice", "bob", "eve", "jane", "john"]);
        let keys = parse_sort("city,-age", &FIELDS);
        assert!(keys.is_err());
        let keys = parse_sort("location.city,-age", &FIELDS).unwrap();
        let mut sql = String::new();
        compile_sort(&keys, &mut sql);
        assert_eq!(sql, r#"json_extract("location", '$.city') ASC, "age" DESC"#);
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
        assert!(where_error("age == 1").contains("not valid JSON"));
    }

    #[test]
    fn injection_is_rejected_or_bound() {
        let conn = db();
        for text in [
            r#"{"name\" = 'John' OR \"1": 1}"#,
            r#"{"name = 1 OR 1=1 --": 1}"#,
            r#"{"location.city') OR 1=1 --": "x"}"#,
            r#"{"meta.x\") OR 1=1 --": 1}"#,
        ] {
            assert!(parse_where(text, &FIELDS, &RFC1123).is_err(), "{text}");
        }
        // Values and schema-less keys are bound, never part of the SQL text.
        let payload = "x'; DROP TABLE people; --";
        check(&conn, &format!(r#"{{"value": "{payload}"}}"#), &["jane"]);
        check(&conn, r#"{"name": "John' OR '1'='1"}"#, &[]);
        check(&conn, r#"{"meta.x') OR 1=1 --": 1}"#, &[]);
        check(
            &conn,
            r#"{"name": {"$in": ["') OR 1=1 --", "John"]}}"#,
            &["john"],
        );
        let filter = parse_where(
            r#"{"meta.x') OR 1=1 --": "' OR 1=1 --"}"#,
            &FIELDS,
            &RFC1123,
        )
        .unwrap();
        let mut sql = String::new();
        let mut params = Vec::new();
        compile_where(&filter, &mut sql, &mut params);
        assert!(!sql.contains("OR 1=1"), "{sql}");
        assert_eq!(sql.matches('?').count(), params.len());
        check(&conn, "{}", ALL);
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

    #[test]
    fn list_named_like_a_json_each_column() {
        static ODD: [Field; 2] = [
            Field {
                items: Some(&ROLE),
                ..Field::new("value", Kind::List)
            },
            Field {
                items: Some(&CONTACT_ITEM),
                ..Field::new("key", Kind::List)
            },
        ];
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            r#"CREATE TABLE odd (_id TEXT, value TEXT, key TEXT);
               INSERT INTO odd VALUES ('a', '["x","y"]', '[{"kind":"k"}]'), ('b', '["y"]', NULL);"#,
        )
        .unwrap();
        let run = |text: &str| {
            let filter = parse_where(text, &ODD, &RFC1123).unwrap();
            let mut sql = "SELECT _id FROM odd WHERE ".to_string();
            let mut params = Vec::new();
            compile_where(&filter, &mut sql, &mut params);
            sql.push_str(" ORDER BY _id");
            let mut statement = conn.prepare(&sql).unwrap();
            let rows = statement.query_map(params_from_iter(params), |row| row.get::<_, String>(0));
            rows.unwrap().collect::<Result<Vec<_>, _>>().unwrap()
        };
        assert_eq!(run(r#"{"value": "x"}"#), ["a"]);
        assert_eq!(run(r#"{"value": "y"}"#), ["a", "b"]);
        assert_eq!(run(r#"{"key.kind": "k"}"#), ["a"]);
        assert_eq!(run(r#"{"key.kind": null}"#), ["b"]);
    }

    #[test]
    fn compiled_sql_shape() {
        let filter = parse_where(
            r#"{"age": {"$ne": 5}, "location.city": "Rome"}"#,
            &FIELDS,
            &RFC1123,
        )
        .unwrap();
        let mut sql = String::new();
        let mut params = Vec::new();
        compile_where(&filter, &mut sql, &mut params);
        assert_eq!(
            sql,
            r#"("age" IS NOT ? AND json_extract("location", ?) = ?)"#
        );
        assert_eq!(
            params,
            [
                Value::Integer(5),
                Value::Text("$.city".into()),
                Value::Text("Rome".into())
            ]
        );
        let filter = parse_where(r#"{"role": "author"}"#, &FIELDS, &RFC1123).unwrap();
        let mut sql = String::new();
        compile_where(&filter, &mut sql, &mut Vec::new());
        assert_eq!(
            sql,
            r#"EXISTS (SELECT 1 FROM (SELECT "role" AS doc) AS _jd, json_each(_jd.doc) AS _je1 WHERE _je1.value = ?)"#
        );
    }
}
