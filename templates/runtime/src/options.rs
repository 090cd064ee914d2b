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

/// Meta fields every projection keeps.
const ALWAYS_KEPT: [&str; 4] = ["_id", "_created", "_updated", "_etag"];

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
        // The text parsed once already (`parse_where`); it is valid JSON.
        if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) {
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

/// A checked projection: the fields to include, or the fields to exclude.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    include: bool,
    names: Vec<String>,
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
            if find(fields, &name).is_none() && find(&META_FIELDS, &name).is_none() {
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
        })
    }

    fn keeps(&self, key: &str) -> bool {
        ALWAYS_KEPT.contains(&key) || self.names.iter().any(|n| n == key) == self.include
    }
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

    fn keeps(&self, key: &str) -> bool {
        self.0.iter().all(|p| p.keeps(key))
    }

    /// Copy the serialized document `json` (an object) to `out`, keeping only the
    /// projected keys, in their order.
    pub fn write(&self, out: &mut Vec<u8>, json: &[u8]) -> bool {
        let Ok(entries) = serde_json::from_slice::<Entries<'_>>(json) else {
            return false;
        };
        out.push(b'{');
        let mut first = true;
        for (key, value) in entries.0 {
            if !self.keeps(key) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            crate::http::write_json_str(out, key);
            out.push(b':');
            out.extend_from_slice(value.get().as_bytes());
        }
        out.push(b'}');
        true
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
