//! What a GET returns, as the resource's options decide: `allowed_filters`,
//! `validate_filtering`, `sorting`, `pagination`, `projection` and the datasource's
//! fixed filter (Eve's names and defaults; see `ResourceInfo`).
//!
//! Projection works on the serialized document: the document is written as usual,
//! then only the projected keys are copied out (as raw JSON, never re-parsed into a
//! tree). A request without a projection takes none of this path.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::catalog::{find, Field, Kind};
use crate::error::ApiError;
use crate::http::ListParams;
use crate::query::{Filter, META_FIELDS};
use crate::resource::ResourceInfo;
use crate::validate;

/// Meta fields every projection keeps: Eve's automatic fields, with those soft delete
/// and versioning add (only their resources' documents have them).
const ALWAYS_KEPT: [&str; 7] = [
    "_id",
    "_created",
    "_updated",
    "_etag",
    "_deleted",
    "_version",
    "_latest_version",
];

/// Drop the parameters the resource's options switch off: Eve ignores them.
pub fn adjust_params(info: &ResourceInfo, params: &mut ListParams) {
    if !info.sorting {
        params.sort = None;
    }
    if !info.pagination {
        params.page = 1;
        params.max_results_given = false;
    }
    if !info.projection {
        params.projection = None;
    }
}

/// The query string without `page` and `max_results`, which an unpaged resource
/// ignores (even when malformed), as Eve does.
pub fn without_paging(raw: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if key != "page" && key != "max_results" {
            query.append_pair(&key, &value);
        }
    }
    query.finish()
}

/// Check a parsed `where` against `allowed_filters` and, with `validate_filtering`,
/// its values against the fields' rules. Both answer 400 as Eve does.
pub fn check_filter(info: &ResourceInfo, text: &str, filter: &Filter) -> Result<(), ApiError> {
    if let Some(allowed) = info.allowed_filters {
        if allowed.is_empty() {
            return Err(ApiError::bad_request(format!(
                "Filtering is disabled on resource '{}'",
                info.name
            )));
        }
        check_allowed(allowed, filter)?;
    }
    if info.validate_filtering {
        // The text parsed once already (`parse_where`): JSON, or a Python expression.
        if let Some(Value::Object(map)) = crate::query::where_json(text, info.dates) {
            check_values(info.fields, &map)?;
        }
    }
    Ok(())
}

fn check_allowed(allowed: &[&str], filter: &Filter) -> Result<(), ApiError> {
    match filter {
        Filter::And(parts) | Filter::Or(parts) | Filter::Nor(parts) => parts
            .iter()
            .try_for_each(|part| check_allowed(allowed, part)),
        Filter::Cond(condition) => {
            // An allowed name allows the fields nested under it (`location` allows
            // `location.city`).
            let name = condition.field.as_str();
            let ok = allowed.iter().any(|a| {
                name == *a || (name.starts_with(a) && name.as_bytes().get(a.len()) == Some(&b'.'))
            });
            if ok {
                Ok(())
            } else {
                Err(ApiError::bad_request(format!(
                    "filter on '{name}' not allowed"
                )))
            }
        }
    }
}

/// `VALIDATE_FILTERING`: every value a `where` compares a field with must be a value
/// the field could hold (type, `allowed`, `min`/`max`, lengths, `regex`).
fn check_values(fields: &'static [Field], map: &Map<String, Value>) -> Result<(), ApiError> {
    for (key, value) in map {
        match key.as_str() {
            "$and" | "$or" | "$nor" => {
                for item in value.as_array().into_iter().flatten() {
                    if let Value::Object(sub) = item {
                        check_values(fields, sub)?;
                    }
                }
            }
            path => {
                let Some(field) = field_at(fields, path) else {
                    // `_id`, `_created`, `_updated`, schema-less dicts: typed by `where`.
                    continue;
                };
                match value {
                    Value::Object(ops) if ops.keys().any(|k| k.starts_with('$')) => {
                        for (op, operand) in ops {
                            match op.as_str() {
                                "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" => {
                                    check_value(field, path, operand)?
                                }
                                "$in" | "$nin" => {
                                    for item in operand.as_array().into_iter().flatten() {
                                        check_value(field, path, item)?;
                                    }
                                }
                                // `$regex`, `$options`, `$exists` are not values of the field.
                                _ => {}
                            }
                        }
                    }
                    _ => check_value(field, path, value)?,
                }
            }
        }
    }
    Ok(())
}

fn check_value(field: &'static Field, path: &str, value: &Value) -> Result<(), ApiError> {
    if value.is_null() {
        return Ok(());
    }
    // A scalar compared with a list matches its items: check it against the item rule.
    let field = match (field.kind, field.items, value) {
        (Kind::List, Some(items), v) if !v.is_array() => items,
        _ => field,
    };
    validate::check_filter_value(field, value).map_err(|message| {
        ApiError::bad_request(format!("filter on '{path}' is invalid: {message}"))
    })
}

/// The declared field at a dotted path (through dicts and lists of dicts).
fn field_at(fields: &'static [Field], path: &str) -> Option<&'static Field> {
    let mut segments = path.split('.');
    let mut field = find(fields, segments.next()?)?;
    for segment in segments {
        let container = match (field.kind, field.items) {
            (Kind::Dict, _) => field,
            (Kind::List, Some(items)) if items.kind == Kind::Dict => items,
            _ => return None,
        };
        field = find(container.schema, segment)?;
    }
    Some(field)
}

/// A checked projection: the fields to include, or the fields to exclude. A name may
/// be dotted (`location.city`), as in MongoDB: `{"location.city": 1}` keeps
/// `"location": {"city": ...}`, `{"location.city": 0}` all of `location` but `city`.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    include: bool,
    names: Vec<String>,
    /// The document's own level, where the meta fields are always kept; `false` inside
    /// a dotted name's dict.
    top: bool,
}

/// What a projection does with one key of an object.
enum Decision {
    Keep,
    Drop,
    /// Keep the value with this projection applied inside it (a dotted name reaches in).
    Inside(Projection),
}

impl Projection {
    /// Parse `{"lastname": 1, "born": 1}` or `{"born": 0}` against the catalog.
    pub fn parse(text: &str, fields: &'static [Field]) -> Result<Projection, ApiError> {
        let bad = |message: String| ApiError::bad_request(message);
        if text.len() > 16 * 1024 {
            return Err(bad("projection is too long".to_string()));
        }
        let map: Map<String, Value> = serde_json::from_str(text).map_err(|_| {
            bad(format!(
                "Unable to parse `projection` clause: {text}: expected a JSON object like {{\"field\": 1}}"
            ))
        })?;
        let mut include = None;
        let mut names = Vec::new();
        for (name, value) in map {
            let flag = match value {
                Value::Number(n) if n.as_i64() == Some(1) => true,
                Value::Number(n) if n.as_i64() == Some(0) => false,
                Value::Bool(b) => b,
                _ => {
                    return Err(bad(format!(
                        "projection of '{name}' must be 1 (include) or 0 (exclude)"
                    )));
                }
            };
            if ALWAYS_KEPT.contains(&name.as_str()) {
                continue;
            }
            if !projectable(fields, &name) && find(&META_FIELDS, &name).is_none() {
                return Err(bad(format!("unknown field '{name}' in projection")));
            }
            if include.is_some_and(|i| i != flag) {
                return Err(bad(
                    "projection cannot mix included (1) and excluded (0) fields".to_string(),
                ));
            }
            include = Some(flag);
            names.push(name);
        }
        Ok(Projection {
            include: include.unwrap_or(false),
            names,
            top: true,
        })
    }

    fn decide(&self, key: &str) -> Decision {
        if self.top && ALWAYS_KEPT.contains(&key) {
            return Decision::Keep;
        }
        if self.names.iter().any(|n| n == key) {
            return if self.include {
                Decision::Keep
            } else {
                Decision::Drop
            };
        }
        let inner: Vec<String> = self
            .names
            .iter()
            .filter_map(|n| n.strip_prefix(key)?.strip_prefix('.'))
            .map(str::to_string)
            .collect();
        if !inner.is_empty() {
            return Decision::Inside(Projection {
                include: self.include,
                names: inner,
                top: false,
            });
        }
        if self.include {
            Decision::Drop
        } else {
            Decision::Keep
        }
    }

    /// Copy the object `json` to `out` with this projection applied; `false` when
    /// `json` is not an object.
    fn write_object(&self, out: &mut Vec<u8>, json: &str) -> bool {
        let Ok(entries) = serde_json::from_str::<Entries<'_>>(json) else {
            return false;
        };
        out.push(b'{');
        let mut first = true;
        for (key, value) in entries.0 {
            let start = out.len();
            if !first {
                out.push(b',');
            }
            crate::http::write_json_str(out, key);
            out.push(b':');
            let written = match self.decide(key) {
                Decision::Keep => {
                    out.extend_from_slice(value.get().as_bytes());
                    true
                }
                Decision::Drop => false,
                Decision::Inside(inner) => inner.write_inside(out, value.get()),
            };
            if written {
                first = false;
            } else {
                out.truncate(start);
            }
        }
        out.push(b'}');
        true
    }

    /// A value a dotted name reaches into, as MongoDB projects it: a dict is
    /// projected, a list has each of its dicts projected (its other items kept when
    /// excluding, dropped when including), and any other value is kept when excluding
    /// and dropped when including. `false`: nothing written.
    fn write_inside(&self, out: &mut Vec<u8>, json: &str) -> bool {
        if self.write_object(out, json) {
            return true;
        }
        let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(json) else {
            if !self.include {
                out.extend_from_slice(json.as_bytes());
            }
            return !self.include;
        };
        out.push(b'[');
        let mut first = true;
        for item in items {
            let start = out.len();
            if !first {
                out.push(b',');
            }
            let text = item.get();
            let written = if text.starts_with('{') {
                self.write_object(out, text)
            } else if self.include {
                false
            } else {
                out.extend_from_slice(text.as_bytes());
                true
            };
            if written {
                first = false;
            } else {
                out.truncate(start);
            }
        }
        out.push(b']');
        true
    }
}

/// Whether a projection may name `path`: a field, or a dotted path through dicts (and
/// lists of dicts) to a declared field or into a dict that declares no schema.
fn projectable(fields: &'static [Field], path: &str) -> bool {
    let mut segments = path.split('.');
    let Some(mut field) = segments.next().and_then(|name| find(fields, name)) else {
        return false;
    };
    for segment in segments {
        let container = match (field.kind, field.items) {
            (Kind::Dict, _) => field,
            (Kind::List, Some(items)) if items.kind == Kind::Dict => items,
            _ => return false,
        };
        if container.schema.is_empty() {
            // A dict without a schema holds any key.
            return !segment.is_empty();
        }
        match find(container.schema, segment) {
            Some(inner) => field = inner,
            None => return false,
        }
    }
    true
}

/// The projections a GET applies: the resource's default, then the client's.
#[derive(Debug, Default)]
pub struct Projections(Vec<Projection>);

impl Projections {
    /// `requested` is the client's `projection` (already dropped when the resource
    /// turns projection off).
    pub fn new(info: &ResourceInfo, requested: Option<&str>) -> Result<Projections, ApiError> {
        let mut all = Vec::new();
        if let Some(text) = info.default_projection {
            all.push(Projection::parse(text, info.fields)?);
        }
        if let Some(text) = requested {
            all.push(Projection::parse(text, info.fields)?);
        }
        Ok(Projections(all))
    }

    /// For an item GET: the `projection` parameter of the query string.
    pub fn for_item(info: &ResourceInfo, raw: Option<&str>) -> Result<Projections, ApiError> {
        let requested = if info.projection {
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .find(|(key, value)| key == "projection" && !value.trim().is_empty())
                .map(|(_, value)| value.into_owned())
        } else {
            None
        };
        Projections::new(info, requested.as_deref())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Copy the serialized document `json` (an object) to `out`, keeping only the
    /// projected keys, in their order.
    pub fn write(&self, out: &mut Vec<u8>, json: &[u8]) -> bool {
        let Ok(json) = std::str::from_utf8(json) else {
            return false;
        };
        match self.0.as_slice() {
            [] => {
                out.extend_from_slice(json.as_bytes());
                true
            }
            [only] => only.write_object(out, json),
            // The resource's default, then the client's: each narrows what the one
            // before it left.
            [first, rest @ ..] => {
                let mut current = Vec::with_capacity(json.len());
                if !first.write_object(&mut current, json) {
                    return false;
                }
                for projection in rest {
                    let mut next = Vec::with_capacity(current.len());
                    let text = std::str::from_utf8(&current).unwrap_or("");
                    if !projection.write_object(&mut next, text) {
                        return false;
                    }
                    current = next;
                }
                out.extend_from_slice(&current);
                true
            }
        }
    }
}

/// A JSON object's entries as borrowed raw values, in order.
struct Entries<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<&'de str, &'de RawValue>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// A document written through a filtered resource must stay inside its filter: the
/// check runs in the write's transaction, so a failing write is rolled back.
pub fn check_in_filter(
    tx: &impl crate::store::Write,
    info: &'static ResourceInfo,
    id: &str,
    position: Option<usize>,
) -> Result<(), ApiError> {
    if info.filter.is_none() || tx.is_visible(info, id)? {
        return Ok(());
    }
    let which = match position {
        Some(i) => format!("Document {i} of the request"),
        None => "The document".to_string(),
    };
    Err(ApiError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        format!(
            "{which} does not match the datasource filter of resource '{}'",
            info.name
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    static CITY: [Field; 2] = [
        Field::new("address", Kind::String),
        Field::new("city", Kind::String),
    ];
    static FIELDS: [Field; 4] = [
        Field::new("name", Kind::String),
        Field {
            schema: &CITY,
            ..Field::new("location", Kind::Dict)
        },
        Field::new("extra", Kind::Dict),
        Field {
            items: Some(&LINE),
            ..Field::new("lines", Kind::List)
        },
    ];
    static LINE: Field = Field {
        schema: &CITY,
        ..Field::new("", Kind::Dict)
    };

    const DOC: &str = r#"{"_id":"1","name":"Zoë","location":{"address":"Via 1","city":"Roma"},"extra":{"a":{"b":1,"c":2}},"lines":[{"city":"A","address":"x"},7,{"address":"y"}],"_etag":"e"}"#;

    fn project(text: &str) -> String {
        let projection = Projection::parse(text, &FIELDS).expect(text);
        let mut out = Vec::new();
        assert!(Projections(vec![projection]).write(&mut out, DOC.as_bytes()));
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn dotted_names_reach_into_dicts_and_lists_of_dicts() {
        assert_eq!(
            project(r#"{"location.city": 1}"#),
            r#"{"_id":"1","location":{"city":"Roma"},"_etag":"e"}"#
        );
        assert_eq!(
            project(r#"{"location.city": 0, "extra.a.b": 0}"#),
            r#"{"_id":"1","name":"Zoë","location":{"address":"Via 1"},"extra":{"a":{"c":2}},"lines":[{"city":"A","address":"x"},7,{"address":"y"}],"_etag":"e"}"#
        );
        assert_eq!(
            project(r#"{"lines.city": 1, "extra.a.c": 1}"#),
            r#"{"_id":"1","extra":{"a":{"c":2}},"lines":[{"city":"A"},{}],"_etag":"e"}"#
        );
        // A whole field named with one of its keys is kept whole.
        assert_eq!(
            project(r#"{"location": 1, "location.city": 1}"#),
            r#"{"_id":"1","location":{"address":"Via 1","city":"Roma"},"_etag":"e"}"#
        );
    }

    #[test]
    fn dotted_names_must_name_declared_fields() {
        for text in [
            r#"{"location.zip": 1}"#,
            r#"{"name.first": 1}"#,
            r#"{"location.": 1}"#,
            r#"{"extra.": 1}"#,
        ] {
            assert!(Projection::parse(text, &FIELDS).is_err(), "{text}");
        }
    }
}
