//! Validation of client documents against a resource's field catalog, the way Eve
//! (through Cerberus) validates them, with Eve's exact `_issues` messages.
//!
//! - [`validate_document`] checks a whole document (POST inserts, PUT replaces):
//!   unknown fields are rejected, required fields checked, defaults filled (at the top
//!   level and inside the dicts that are present), and the normalized document returned.
//! - [`apply_patch`] merges a PATCH body into the stored document (dotted keys such as
//!   `location.city` and nested objects both update only the named sub-fields) and checks
//!   only what the patch touches.
//! - [`Issues`] is the `_issues` object: one message per field, nested for dicts and
//!   lists. Uniqueness and `data_relation` checks need the database, so the resource
//!   code runs them and reports with [`unique_message`] and [`relation_message`].
//!
//! For each value the rules run in Cerberus' order and stop at the first failure:
//! null, type, allowed, length, min/max, regex, then the nested schema or item rule.
//! Nothing here panics on client input, and documents nested deeper than
//! [`MAX_DEPTH`] are rejected with an issue rather than recursed into.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalog::{find, Field, Kind};

/// The deepest JSON nesting accepted in a document (the document object is level 1).
pub const MAX_DEPTH: usize = 32;

/// A key that names no declared field.
pub const UNKNOWN_FIELD: &str = "unknown field";
/// A required field missing from an inserted or replaced document.
pub const REQUIRED_FIELD: &str = "required field";
/// A null for a field that is not `nullable`.
pub const NULL_NOT_ALLOWED: &str = "null value not allowed";
/// A value nested deeper than [`MAX_DEPTH`].
pub const TOO_DEEP: &str = "max nesting depth is 32";
/// Two keys of one PATCH body that set the same path (`location` and `location.city`
/// with a non-object `location`, or the same sub-field twice).
pub const CONFLICTING_KEYS: &str = "conflicts with another key of the request";

/// The `_issues` of a rejected document: field name to message, or to the nested
/// issues of a dict (keyed by sub-field) or of a list (keyed by item index).
///
/// Serializes as a JSON object, like [`Issues::to_json`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Issues {
    fields: BTreeMap<String, Issue>,
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq)]
pub enum Issue {
    /// The field's own value breaks a rule.
    Message(String),
    /// Sub-fields of a dict, or items of a list, break rules.
    Nested(Issues),
}

// Written out rather than derived: the crate does without serde's derive macros.
impl Serialize for Issues {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (field, issue) in &self.fields {
            map.serialize_entry(field, issue)?;
        }
        map.end()
    }
}

impl Serialize for Issue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Issue::Message(message) => serializer.serialize_str(message),
            Issue::Nested(issues) => issues.serialize(serializer),
        }
    }
}

impl Issue {
    /// The issue as it appears in `_issues`: a string or an object.
    pub fn to_json(&self) -> Value {
        match self {
            Issue::Message(message) => Value::String(message.clone()),
            Issue::Nested(issues) => issues.to_json(),
        }
    }
}

impl Issues {
    /// No issues yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Report a message for a field. Each field keeps its first issue only.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.insert(field, Issue::Message(message.into()));
    }

    /// Report a message for a dotted path (`location.city`, `lines.0.product`), nesting
    /// it as validation does. Stops quietly where a parent already has a message.
    pub fn add_path(&mut self, path: &str, message: impl Into<String>) {
        let mut segments: Vec<&str> = path.split('.').collect();
        let last = segments.pop().unwrap_or(path);
        let mut current = self;
        for segment in segments {
            let entry = current
                .fields
                .entry(segment.to_owned())
                .or_insert_with(|| Issue::Nested(Issues::new()));
            match entry {
                Issue::Nested(nested) => current = nested,
                Issue::Message(_) => return,
            }
        }
        current.add(last, message);
    }

    /// Report an issue for a field. A message keeps the field's first issue; nested
    /// issues are merged into nested issues already there. Empty nested issues are
    /// ignored.
    pub fn insert(&mut self, field: &str, issue: Issue) {
        if matches!(&issue, Issue::Nested(nested) if nested.is_empty()) {
            return;
        }
        match (self.fields.get_mut(field), issue) {
            (None, issue) => {
                self.fields.insert(field.to_owned(), issue);
            }
            (Some(Issue::Nested(existing)), Issue::Nested(more)) => existing.merge(more),
            (Some(_), _) => {}
        }
    }

    /// Report nested issues (of a dict or a list) for a field.
    pub fn nest(&mut self, field: &str, issues: Issues) {
        self.insert(field, Issue::Nested(issues));
    }

    /// Add every issue of `other`, keeping the first issue of each field.
    pub fn merge(&mut self, other: Issues) {
        for (field, issue) in other.fields {
            self.insert(&field, issue);
        }
    }

    /// The issue reported for a field, if any.
    pub fn get(&self, field: &str) -> Option<&Issue> {
        self.fields.get(field)
    }

    /// Whether nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// How many fields have issues.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// The fields with issues, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Issue)> {
        self.fields
            .iter()
            .map(|(field, issue)| (field.as_str(), issue))
    }

    /// The `_issues` object.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.fields
                .iter()
                .map(|(field, issue)| (field.clone(), issue.to_json()))
                .collect(),
        )
    }
}

/// Which write a whole document comes from. Eve validates both the same way (a PUT is
/// a full insertion: required fields checked, defaults filled); the mode states the
/// caller's intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// POST: a new document.
    Insert,
    /// PUT: a document replacing a stored one.
    Replace,
}

/// Validate a whole document (POST: Insert, PUT: Replace). Unknown fields rejected;
/// required checked; defaults filled (top level and inside present dicts); returns the
/// normalized document (datetimes in canonical RFC 1123 form, object ids in lower case).
pub fn validate_document(
    fields: &'static [Field],
    doc: Map<String, Value>,
    mode: Mode,
) -> Result<Map<String, Value>, Issues> {
    // Both modes validate alike (see `Mode`); the match flags any new mode for review.
    match mode {
        Mode::Insert | Mode::Replace => {}
    }
    let mut issues = Issues::new();
    let normalized = validate_mapping(fields, doc, 1, true, &mut issues);
    if issues.is_empty() {
        Ok(normalized)
    } else {
        Err(issues)
    }
}

/// Validate one value against a whole rule, as if it were a document's field named
/// after the rule (`rule.name`; `"value"` for an unnamed one): a custom endpoint's
/// body. Its type, rules and nested schema are checked and its defaults filled as
/// [`validate_document`] would; `_issues` name the rule. A `null` is refused unless
/// the rule is `nullable`; whether a value is required at all is the caller's question.
pub fn validate_value(rule: &'static Field, value: Value) -> Result<Value, Issues> {
    check_value(rule, value, 1).map_err(|issue| {
        let mut issues = Issues::new();
        let name = if rule.name.is_empty() {
            "value"
        } else {
            rule.name
        };
        issues.insert(name, issue);
        issues
    })
}

/// Apply a PATCH body to the stored document and validate the result.
///
/// Keys may be dotted (`{"location.city": "Paris"}`) or nested
/// (`{"location": {"city": "Paris"}}`): both update only the named sub-field and keep
/// the dict's other keys (Eve merges nested documents). Only the patched fields are
/// checked; required fields are not re-checked, but a null still needs `nullable`.
/// A value that replaces something wholesale (a list, a scalar, a dict where the stored
/// document has none) is checked fully, nested required fields included. Defaults are
/// filled for fields the stored document lacks. Returns the new full document.
pub fn apply_patch(
    fields: &'static [Field],
    original: &Map<String, Value>,
    patch: Map<String, Value>,
) -> Result<Map<String, Value>, Issues> {
    apply_patch_with(fields, original, patch, PatchOptions::default())
}

/// How a PATCH treats what it does not name (Eve's per-resource settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchOptions {
    /// `normalize_on_patch`: fill the `default` of every field (top level, and inside
    /// each dict the patch sets) that the resulting document lacks. Off, a PATCH adds
    /// nothing the client did not send.
    pub normalize: bool,
    /// `merge_nested_documents`: a dict in the patch (nested or dotted form alike)
    /// updates only the keys it names. Off, it replaces the stored dict whole.
    pub merge_nested: bool,
}

impl Default for PatchOptions {
    /// Eve's defaults: both on.
    fn default() -> Self {
        PatchOptions {
            normalize: true,
            merge_nested: true,
        }
    }
}

/// [`apply_patch`] with the resource's [`PatchOptions`].
///
/// Eve expands dotted keys into nested dicts before it validates, so both forms behave
/// alike under every option. A stored value is never reset to its default: Eve only
/// fills a default where the persisted document has no value.
pub fn apply_patch_with(
    fields: &'static [Field],
    original: &Map<String, Value>,
    patch: Map<String, Value>,
    options: PatchOptions,
) -> Result<Map<String, Value>, Issues> {
    let mut issues = Issues::new();
    let updates = expand_dotted_keys(patch, &mut issues);
    let mut doc = original.clone();
    patch_mapping(fields, &mut doc, updates, 1, options, &mut issues);
    if options.normalize {
        fill_defaults(fields, &mut doc, 1, &mut issues);
    }
    if issues.is_empty() {
        Ok(doc)
    } else {
        Err(issues)
    }
}

/// Eve's message for a value already used by another document.
pub fn unique_message(value: &Value) -> String {
    format!("value '{}' is not unique", value_text(value))
}

/// Eve's message for a `data_relation` value naming no document.
pub fn relation_message(value: &Value, resource: &str, field: &str) -> String {
    format!(
        "value '{}' must exist in resource '{}', field '{}'.",
        value_text(value),
        resource,
        field
    )
}

/// A value as Python's `repr` would print it (strings in single quotes), as Cerberus
/// shows items inside its messages.
fn python_repr(value: &Value) -> String {
    match value {
        Value::String(text) => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
        other => value_text(other),
    }
}

/// A value as Python would print it in a message: strings without quotes, `True`,
/// `False`, `None`; numbers, lists and objects as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        other => other.to_string(),
    }
}

/// The spec's default for a field, parsed. A default that is not JSON counts as none.
fn default_value(field: &Field) -> Option<Value> {
    serde_json::from_str(field.default?).ok()
}

/// Validate an object against a schema with insert semantics, at nesting `depth`
/// (the object's own level). Issues go to `issues`; the normalized object is returned.
fn validate_mapping(
    fields: &'static [Field],
    mut map: Map<String, Value>,
    depth: usize,
    defaults: bool,
    issues: &mut Issues,
) -> Map<String, Value> {
    let mut out = Map::new();
    for field in fields {
        let value = match map.remove(field.name) {
            Some(value) => value,
            None => match defaults.then(|| default_value(field)).flatten() {
                Some(value) => value,
                None => {
                    if field.required {
                        issues.add(field.name, REQUIRED_FIELD);
                    }
                    continue;
                }
            },
        };
        match check_value_with(field, value, depth, defaults) {
            Ok(value) => {
                out.insert(field.name.to_owned(), value);
            }
            Err(issue) => issues.insert(field.name, issue),
        }
    }
    for key in map.keys() {
        issues.add(key, UNKNOWN_FIELD);
    }
    out
}

/// Fill the defaults of the fields `target` lacks (no required check: PATCH).
fn fill_defaults(
    fields: &'static [Field],
    target: &mut Map<String, Value>,
    depth: usize,
    issues: &mut Issues,
) {
    for field in fields {
        if target.contains_key(field.name) {
            continue;
        }
        if let Some(value) = default_value(field) {
            match check_value(field, value, depth) {
                Ok(value) => {
                    target.insert(field.name.to_owned(), value);
                }
                Err(issue) => issues.insert(field.name, issue),
            }
        }
    }
}

/// Check one value against its field with insert semantics. `depth` is the level of the
/// object or list holding the value.
/// Whether a `where` value is one the field could hold (Eve's `VALIDATE_FILTERING`):
/// the message of the first rule it breaks.
pub fn check_filter_value(field: &'static Field, value: &Value) -> Result<(), String> {
    check_value(field, value.clone(), 1)
        .map(|_| ())
        .map_err(|issue| match issue {
            Issue::Message(message) => message,
            Issue::Nested(issues) => issues.to_json().to_string(),
        })
}

fn check_value(field: &'static Field, value: Value, depth: usize) -> Result<Value, Issue> {
    check_value_with(field, value, depth, true)
}

/// [`check_value`], filling the defaults of nested dicts only when `defaults` is set.
fn check_value_with(
    field: &'static Field,
    value: Value,
    depth: usize,
    defaults: bool,
) -> Result<Value, Issue> {
    if value.is_null() {
        return if field.nullable {
            Ok(Value::Null)
        } else {
            Err(Issue::Message(NULL_NOT_ALLOWED.to_owned()))
        };
    }
    let value = check_type(field, value).map_err(Issue::Message)?;
    if let Some(message) = check_rules(field, &value) {
        return Err(Issue::Message(message));
    }
    check_contents(field, value, depth, defaults)
}

/// The type rule, with normalization: datetimes to canonical RFC 1123, object ids to
/// lower case.
fn check_type(field: &Field, value: Value) -> Result<Value, String> {
    let fits = match (field.kind, &value) {
        (Kind::String, Value::String(_)) => true,
        (Kind::Integer, Value::Number(number)) => number.as_i64().is_some(),
        (Kind::Float | Kind::Number, Value::Number(_)) => true,
        (Kind::Boolean, Value::Bool(_)) => true,
        (Kind::Dict, Value::Object(_)) => true,
        // The id of a file `forms` received (a client's own value is refused there).
        (Kind::Media, Value::String(_)) => true,
        (Kind::List, Value::Array(_)) => true,
        (Kind::Datetime, Value::String(text)) => {
            if let Some(seconds) = field.dates.parse(text) {
                return Ok(Value::String(field.dates.format(seconds)));
            }
            false
        }
        (kind, Value::Object(_)) if kind.is_geo() => field.shape.is_some_and(|shape| shape(&value)),
        (Kind::ObjectId, Value::String(text)) => {
            if text.len() == 24 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(Value::String(text.to_ascii_lowercase()));
            }
            false
        }
        _ => false,
    };
    if fits {
        Ok(value)
    } else {
        Err(format!("must be of {} type", field.kind.name()))
    }
}

fn is_allowed(field: &Field, value: &Value) -> bool {
    field.allowed.iter().any(|literal| literal.matches(value))
}

/// The value's own rules after its type: allowed, length, min/max, regex.
fn check_rules(field: &Field, value: &Value) -> Option<String> {
    if !field.allowed.is_empty() {
        match value {
            Value::Array(items) if field.kind == Kind::List => {
                let unallowed: Vec<String> = items
                    .iter()
                    .filter(|item| !is_allowed(field, item))
                    .map(python_repr)
                    .collect();
                if !unallowed.is_empty() {
                    // Cerberus prints the offending items as a Python tuple.
                    let tuple = if unallowed.len() == 1 {
                        format!("({},)", unallowed[0])
                    } else {
                        format!("({})", unallowed.join(", "))
                    };
                    return Some(format!("unallowed values {tuple}"));
                }
            }
            other => {
                if !is_allowed(field, other) {
                    return Some(format!("unallowed value {}", value_text(other)));
                }
            }
        }
    }
    let limits = Limits {
        kind: field.kind,
        minlength: field.minlength,
        maxlength: field.maxlength,
        min: field.min,
        max: field.max,
        regex: field.regex.map(|(_, regex)| &**regex),
    };
    let broken = limits.broken_by(value).map(|broken| match broken {
        Broken::MinLength(min) => format!("min length is {min}"),
        Broken::MaxLength(max) => format!("max length is {max}"),
        Broken::Min(min) => format!("min value is {min}"),
        Broken::Max(max) => format!("max value is {max}"),
        Broken::Regex => format!(
            "value does not match regex '{}'",
            field.regex.map_or("", |(pattern, _)| pattern)
        ),
    });
    // The custom rule last, as Cerberus runs `check_with` after the built-in rules: it
    // is only given values that already pass them.
    broken.or_else(|| field.validator.and_then(|(_, check)| check(value).err()))
}

/// A field's limits: lengths, bounds and pattern. The server checks values with them
/// and apigen checks a spec's `default` with them, so both measure alike.
#[derive(Clone, Copy)]
pub struct Limits<'a> {
    pub kind: Kind,
    pub minlength: Option<usize>,
    pub maxlength: Option<usize>,
    pub min: Option<crate::catalog::Bound>,
    pub max: Option<crate::catalog::Bound>,
    /// The anchored pattern.
    pub regex: Option<&'a regex::Regex>,
}

/// The first limit a value breaks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Broken {
    MinLength(usize),
    MaxLength(usize),
    Min(crate::catalog::Bound),
    Max(crate::catalog::Bound),
    Regex,
}

impl Limits<'_> {
    /// The first limit `value` breaks: lengths (characters of a string, items of a
    /// list, keys of a dict), then bounds (compared exactly), then the pattern.
    pub fn broken_by(&self, value: &Value) -> Option<Broken> {
        use std::cmp::Ordering;
        let length = match value {
            Value::String(text) if self.kind == Kind::String => Some(text.chars().count()),
            Value::Array(items) => Some(items.len()),
            Value::Object(map) => Some(map.len()),
            _ => None,
        };
        if let Some(length) = length {
            if let Some(min) = self.minlength.filter(|&min| length < min) {
                return Some(Broken::MinLength(min));
            }
            if let Some(max) = self.maxlength.filter(|&max| length > max) {
                return Some(Broken::MaxLength(max));
            }
        }
        if let Value::Number(number) = value {
            if let Some(min) = self
                .min
                .filter(|min| min.compare(number) == Some(Ordering::Less))
            {
                return Some(Broken::Min(min));
            }
            if let Some(max) = self
                .max
                .filter(|max| max.compare(number) == Some(Ordering::Greater))
            {
                return Some(Broken::Max(max));
            }
        }
        match (self.regex, value) {
            (Some(regex), Value::String(text))
                if self.kind == Kind::String && !regex.is_match(text) =>
            {
                Some(Broken::Regex)
            }
            _ => None,
        }
    }
}

/// Check what a dict or list holds: a dict's schema, a list's item rule, or (neither
/// declared) only the nesting depth.
fn check_contents(
    field: &'static Field,
    value: Value,
    depth: usize,
    defaults: bool,
) -> Result<Value, Issue> {
    let too_deep = || Issue::Message(TOO_DEEP.to_owned());
    match (value, field.items) {
        (Value::Object(map), _) if !field.schema.is_empty() => {
            if depth + 1 > MAX_DEPTH {
                return Err(too_deep());
            }
            let mut nested = Issues::new();
            let map = validate_mapping(field.schema, map, depth + 1, defaults, &mut nested);
            if nested.is_empty() {
                Ok(Value::Object(map))
            } else {
                Err(Issue::Nested(nested))
            }
        }
        (Value::Array(items), Some(rule)) => {
            if depth + 1 > MAX_DEPTH {
                return Err(too_deep());
            }
            let mut nested = Issues::new();
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                match check_value_with(rule, item, depth + 1, defaults) {
                    Ok(item) => out.push(item),
                    Err(issue) => nested.insert(&index.to_string(), issue),
                }
            }
            if nested.is_empty() {
                Ok(Value::Array(out))
            } else {
                Err(Issue::Nested(nested))
            }
        }
        (other, _) => {
            if deeper_than(&other, MAX_DEPTH.saturating_sub(depth)) {
                Err(too_deep())
            } else {
                Ok(other)
            }
        }
    }
}

/// Whether a value nests more than `limit` levels of objects and lists (a scalar is 0
/// levels, `[]` is 1). Iterative, so any depth is safe.
fn deeper_than(value: &Value, limit: usize) -> bool {
    let mut stack = vec![(value, 1usize)];
    while let Some((value, level)) = stack.pop() {
        match value {
            Value::Object(_) | Value::Array(_) if level > limit => return true,
            Value::Object(map) => stack.extend(map.values().map(|child| (child, level + 1))),
            Value::Array(items) => stack.extend(items.iter().map(|child| (child, level + 1))),
            _ => {}
        }
    }
    false
}

/// [`deeper_than`] for an object not wrapped in a [`Value`].
fn map_deeper_than(map: &Map<String, Value>, limit: usize) -> bool {
    limit == 0 || map.values().any(|value| deeper_than(value, limit - 1))
}

/// Turn dotted keys of a PATCH body into nested objects: `{"location.city": "Paris"}`
/// becomes `{"location": {"city": "Paris"}}`, merged with the other keys.
fn expand_dotted_keys(patch: Map<String, Value>, issues: &mut Issues) -> Map<String, Value> {
    let mut tree = Map::new();
    for (key, value) in patch {
        let segments: Vec<&str> = key.split('.').collect();
        if segments.iter().any(|segment| segment.is_empty()) {
            issues.add(&key, UNKNOWN_FIELD);
        } else if segments.len() >= MAX_DEPTH {
            issues.add(&key, TOO_DEEP);
        } else if !insert_path(&mut tree, &segments, value) {
            issues.add(&key, CONFLICTING_KEYS);
        }
    }
    tree
}

/// Set `value` at `segments` in `tree`, creating objects on the way and merging objects
/// into objects, so the result does not depend on the order of the keys. False when
/// the path is already set or passes through a value that is not an object.
fn insert_path(tree: &mut Map<String, Value>, segments: &[&str], value: Value) -> bool {
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut current = tree;
    for segment in parents {
        let slot = current
            .entry(segment.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        match slot {
            Value::Object(map) => current = map,
            _ => return false,
        }
    }
    let mut single = Map::new();
    single.insert(last.to_string(), value);
    merge_disjoint(current, single, segments.len())
}

/// Merge `update` into `target` where both hold objects at the same key; false (and
/// a partial merge, which the caller reports) when they set the same key otherwise.
/// `depth` bounds the recursion.
fn merge_disjoint(
    target: &mut Map<String, Value>,
    update: Map<String, Value>,
    depth: usize,
) -> bool {
    for (key, value) in update {
        match (target.get_mut(&key), value) {
            (None, value) => {
                target.insert(key, value);
            }
            (Some(Value::Object(existing)), Value::Object(more)) if depth < MAX_DEPTH => {
                if !merge_disjoint(existing, more, depth + 1) {
                    return false;
                }
            }
            (Some(_), _) => return false,
        }
    }
    true
}

/// Apply (expanded) updates to an object of a schema at nesting `depth`.
fn patch_mapping(
    fields: &'static [Field],
    target: &mut Map<String, Value>,
    updates: Map<String, Value>,
    depth: usize,
    options: PatchOptions,
    issues: &mut Issues,
) {
    for (key, update) in updates {
        let Some(field) = find(fields, &key) else {
            issues.add(&key, UNKNOWN_FIELD);
            continue;
        };
        match patch_value(field, target.get(&key), update, depth, options) {
            Ok(value) => {
                target.insert(key, value);
            }
            Err(issue) => issues.insert(&key, issue),
        }
    }
}

/// The new value of a patched field: an object patched onto a stored dict is merged
/// into it (only its keys checked); anything else replaces the stored value and is
/// checked fully.
fn patch_value(
    field: &'static Field,
    current: Option<&Value>,
    update: Value,
    depth: usize,
    options: PatchOptions,
) -> Result<Value, Issue> {
    let (Kind::Dict, Some(Value::Object(current)), true) =
        (field.kind, current, options.merge_nested)
    else {
        return check_value_with(field, update, depth, options.normalize);
    };
    let update = match update {
        Value::Object(update) => update,
        other => return check_value_with(field, other, depth, options.normalize),
    };
    let room = MAX_DEPTH.saturating_sub(depth);
    if room == 0 || map_deeper_than(&update, room) {
        return Err(Issue::Message(TOO_DEEP.to_owned()));
    }
    let mut merged = current.clone();
    if field.schema.is_empty() {
        // Any keys: merge the way Eve does, nested objects into nested objects.
        merge_objects(&mut merged, update);
        if map_deeper_than(&merged, room) {
            return Err(Issue::Message(TOO_DEEP.to_owned()));
        }
    } else {
        let mut nested = Issues::new();
        patch_mapping(
            field.schema,
            &mut merged,
            update,
            depth + 1,
            options,
            &mut nested,
        );
        if options.normalize {
            fill_defaults(field.schema, &mut merged, depth + 1, &mut nested);
        }
        if !nested.is_empty() {
            return Err(Issue::Nested(nested));
        }
    }
    let merged = Value::Object(merged);
    match check_rules(field, &merged) {
        Some(message) => Err(Issue::Message(message)),
        None => Ok(merged),
    }
}

/// Merge `update` into `target`: objects into objects, anything else replaces. The
/// caller bounds the depth of `update`.
fn merge_objects(target: &mut Map<String, Value>, update: Map<String, Value>) {
    for (key, value) in update {
        match (target.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(more)) => merge_objects(existing, more),
            (_, value) => {
                target.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use regex::Regex;
    use serde_json::json;

    use super::*;
    use crate::catalog::Literal;

    static EMAIL_RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new("^(?:[^@ ]+@[^@ ]+)$").expect("valid regex"));
    static CODE_RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new("^(?:[a-z]+)$").expect("valid regex"));

    static LOCATION: [Field; 2] = [
        Field::new("address", Kind::String),
        Field::new("city", Kind::String),
    ];
    static LINE: [Field; 2] = [
        Field {
            required: true,
            ..Field::new("product", Kind::String)
        },
        Field {
            min: Some(crate::catalog::Bound::Float(1.0)),
            ..Field::new("qty", Kind::Integer)
        },
    ];
    static LINE_ITEM: Field = Field {
        schema: &LINE,
        ..Field::new("", Kind::Dict)
    };
    static TAG: Field = Field {
        maxlength: Some(20),
        ..Field::new("", Kind::String)
    };
    static PREFS: [Field; 2] = [
        Field {
            default: Some("\"en\""),
            ..Field::new("language", Kind::String)
        },
        Field {
            default: Some("true"),
            ..Field::new("newsletter", Kind::Boolean)
        },
    ];
    static OFFICE: [Field; 2] = [
        Field {
            required: true,
            ..Field::new("street", Kind::String)
        },
        Field {
            default: Some("1"),
            ..Field::new("floor", Kind::Integer)
        },
    ];

    static PEOPLE: [Field; 21] = [
        Field {
            minlength: Some(1),
            maxlength: Some(10),
            ..Field::new("firstname", Kind::String)
        },
        Field {
            required: true,
            ..Field::new("lastname", Kind::String)
        },
        Field {
            allowed: &[
                Literal::Str("author"),
                Literal::Str("contributor"),
                Literal::Str("copy"),
            ],
            ..Field::new("role", Kind::List)
        },
        Field {
            schema: &LOCATION,
            ..Field::new("location", Kind::Dict)
        },
        Field::new("born", Kind::Datetime),
        Field {
            min: Some(crate::catalog::Bound::Float(0.0)),
            max: Some(crate::catalog::Bound::Float(150.0)),
            ..Field::new("age", Kind::Integer)
        },
        Field {
            regex: Some(("[^@ ]+@[^@ ]+", &EMAIL_RE)),
            nullable: true,
            ..Field::new("email", Kind::String)
        },
        Field {
            allowed: &[Literal::Str("active"), Literal::Str("retired")],
            default: Some("\"active\""),
            ..Field::new("status", Kind::String)
        },
        Field {
            items: Some(&LINE_ITEM),
            ..Field::new("lines", Kind::List)
        },
        Field {
            items: Some(&TAG),
            ..Field::new("tags", Kind::List)
        },
        Field {
            schema: &PREFS,
            ..Field::new("prefs", Kind::Dict)
        },
        Field {
            schema: &OFFICE,
            nullable: true,
            ..Field::new("office", Kind::Dict)
        },
        Field {
            required: true,
            default: Some("\"FR\""),
            ..Field::new("country", Kind::String)
        },
        Field {
            max: Some(crate::catalog::Bound::Float(2.5)),
            ..Field::new("ratio", Kind::Float)
        },
        Field::new("score", Kind::Number),
        Field::new("vip", Kind::Boolean),
        Field::new("owner", Kind::ObjectId),
        Field::new("meta", Kind::Dict),
        Field::new("raw", Kind::List),
        Field {
            allowed: &[Literal::Str("abc"), Literal::Str("toolong")],
            maxlength: Some(3),
            regex: Some(("[a-z]+", &CODE_RE)),
            ..Field::new("code", Kind::String)
        },
        Field {
            default: Some("not json"),
            ..Field::new("broken", Kind::String)
        },
    ];

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn insert(doc: Value) -> Result<Map<String, Value>, Issues> {
        validate_document(&PEOPLE, map(doc), Mode::Insert)
    }

    /// The `_issues` JSON of a document that must be rejected.
    fn issues(doc: Value) -> Value {
        insert(doc)
            .expect_err("document should be rejected")
            .to_json()
    }

    /// The issue of one top-level field, for a document with a valid lastname.
    fn issue_of(field: &str, value: Value) -> Value {
        let mut doc = map(json!({"lastname": "Doe"}));
        doc.insert(field.to_owned(), value);
        let issues = validate_document(&PEOPLE, doc, Mode::Insert)
            .expect_err("document should be rejected")
            .to_json();
        assert_eq!(issues.as_object().map(Map::len), Some(1), "{issues}");
        issues[field].clone()
    }

    fn accepts(field: &str, value: Value) -> Value {
        let mut doc = map(json!({"lastname": "Doe"}));
        doc.insert(field.to_owned(), value);
        let mut out = validate_document(&PEOPLE, doc, Mode::Insert).expect("valid document");
        out.remove(field).expect("field kept")
    }

    fn patch(original: Value, body: Value) -> Result<Map<String, Value>, Issues> {
        apply_patch(&PEOPLE, &map(original), map(body))
    }

    fn nested(depth: usize) -> Value {
        let mut value = json!(1);
        for _ in 0..depth {
            value = json!({ "x": value });
        }
        value
    }

    #[test]
    fn accepts_and_normalizes_a_full_document() {
        let out = insert(json!({
            "firstname": "Ada",
            "lastname": "Lovelace",
            "role": ["author", "copy"],
            "location": {"address": "12 Main St", "city": "London"},
            "born": "Tue, 19 Apr 2016 08:19:00 GMT",
            "age": 36,
            "email": "ada@example.com",
            "lines": [{"product": "pen", "qty": 2}],
            "tags": ["math"],
            "owner": "5A1B2C3D4E5F60718293A4B5",
            "meta": {"any": {"thing": [1, 2]}},
            "raw": [1, "two", null],
        }))
        .expect("valid document");
        assert_eq!(out["owner"], json!("5a1b2c3d4e5f60718293a4b5"));
        assert_eq!(out["status"], json!("active"));
        assert_eq!(out["country"], json!("FR"));
        assert_eq!(out["meta"], json!({"any": {"thing": [1, 2]}}));
        assert!(!out.contains_key("prefs"));
        assert!(!out.contains_key("broken"));
    }

    #[test]
    fn unknown_fields_at_every_level() {
        assert_eq!(
            issues(json!({"lastname": "Doe", "nickname": "x", "_secret": 1})),
            json!({"nickname": "unknown field", "_secret": "unknown field"})
        );
        assert_eq!(
            issues(json!({"lastname": "Doe", "location": {"zip": "75001"}})),
            json!({"location": {"zip": "unknown field"}})
        );
        assert_eq!(
            issues(json!({"lastname": "Doe", "lines": [{"product": "a", "colour": "red"}]})),
            json!({"lines": {"0": {"colour": "unknown field"}}})
        );
        // Dotted keys are a PATCH feature only.
        assert_eq!(
            issues(json!({"lastname": "Doe", "location.city": "Paris"})),
            json!({"location.city": "unknown field"})
        );
    }

    #[test]
    fn required_fields_on_insert_and_replace() {
        for mode in [Mode::Insert, Mode::Replace] {
            let issues = validate_document(&PEOPLE, map(json!({"firstname": "Ada"})), mode)
                .expect_err("lastname is required");
            assert_eq!(issues.to_json(), json!({"lastname": "required field"}));
        }
        assert_eq!(
            issues(json!({"lastname": "Doe", "lines": [{"qty": 1}]})),
            json!({"lines": {"0": {"product": "required field"}}})
        );
        assert_eq!(
            issues(json!({"lastname": "Doe", "office": {"floor": 3}})),
            json!({"office": {"street": "required field"}})
        );
    }

    #[test]
    fn insert_and_replace_validate_alike() {
        let doc = json!({"lastname": "Doe", "age": 40, "prefs": {}});
        let inserted = validate_document(&PEOPLE, map(doc.clone()), Mode::Insert);
        let replaced = validate_document(&PEOPLE, map(doc), Mode::Replace);
        assert_eq!(inserted, replaced);
        let replaced = replaced.expect("valid document");
        assert_eq!(replaced["status"], json!("active"));
        assert_eq!(
            replaced["prefs"],
            json!({"language": "en", "newsletter": true})
        );
    }

    #[test]
    fn nulls() {
        assert_eq!(
            issue_of("firstname", Value::Null),
            json!("null value not allowed")
        );
        assert_eq!(
            issue_of("lastname", Value::Null),
            json!("null value not allowed")
        );
        assert_eq!(
            issue_of("location", Value::Null),
            json!("null value not allowed")
        );
        // Eve no longer replaces an explicit null with the default.
        assert_eq!(
            issue_of("status", Value::Null),
            json!("null value not allowed")
        );
        assert_eq!(accepts("email", Value::Null), Value::Null);
        assert_eq!(accepts("office", Value::Null), Value::Null);
    }

    #[test]
    fn type_mismatches() {
        let cases = [
            ("firstname", json!(5), "string"),
            ("age", json!(1.5), "integer"),
            ("age", json!(1.0), "integer"),
            ("age", json!("1"), "integer"),
            ("age", json!(true), "integer"),
            ("age", json!(u64::MAX), "integer"),
            ("ratio", json!("2"), "float"),
            ("score", json!(false), "number"),
            ("vip", json!(1), "boolean"),
            ("born", json!("2016-04-19T08:19:00Z"), "datetime"),
            ("born", json!(1_461_053_940), "datetime"),
            ("owner", json!("5a1b2c3d4e5f60718293a4b"), "objectid"),
            ("owner", json!("5a1b2c3d4e5f60718293a4bz"), "objectid"),
            ("owner", json!(12), "objectid"),
            ("location", json!("Paris"), "dict"),
            ("meta", json!([1]), "dict"),
            ("role", json!("author"), "list"),
            ("lines", json!({"product": "pen"}), "list"),
        ];
        for (field, value, kind) in cases {
            assert_eq!(
                issue_of(field, value.clone()),
                json!(format!("must be of {kind} type")),
                "{field} = {value}"
            );
        }
    }

    #[test]
    fn accepted_types() {
        assert_eq!(accepts("ratio", json!(2)), json!(2));
        assert_eq!(accepts("ratio", json!(2.25)), json!(2.25));
        assert_eq!(accepts("score", json!(-7)), json!(-7));
        assert_eq!(accepts("vip", json!(false)), json!(false));
        assert_eq!(accepts("age", json!(0)), json!(0));
        // Other HTTP date forms are stored in the canonical RFC 1123 form.
        assert_eq!(
            accepts("born", json!("Tuesday, 19-Apr-16 08:19:00 GMT")),
            json!("Tue, 19 Apr 2016 08:19:00 GMT")
        );
    }

    #[test]
    fn lengths() {
        assert_eq!(issue_of("firstname", json!("")), json!("min length is 1"));
        assert_eq!(
            issue_of("firstname", json!("Bartholomew")),
            json!("max length is 10")
        );
        // Characters, not bytes.
        assert_eq!(
            accepts("firstname", json!("éééééééééé")),
            json!("éééééééééé")
        );
        assert_eq!(
            issue_of("tags", json!(["a", "b", "abcdefghijklmnopqrstuvwxyz"])),
            json!({"2": "max length is 20"})
        );
    }

    #[test]
    fn min_and_max() {
        assert_eq!(issue_of("age", json!(-1)), json!("min value is 0"));
        assert_eq!(issue_of("age", json!(151)), json!("max value is 150"));
        assert_eq!(issue_of("ratio", json!(2.6)), json!("max value is 2.5"));
        assert_eq!(accepts("age", json!(150)), json!(150));
        assert_eq!(
            issue_of("lines", json!([{"product": "pen", "qty": 0}])),
            json!({"0": {"qty": "min value is 1"}})
        );
    }

    #[test]
    fn regex() {
        assert_eq!(
            issue_of("email", json!("not an email")),
            json!("value does not match regex '[^@ ]+@[^@ ]+'")
        );
        // Full match: the anchored pattern rejects a trailing space.
        assert_eq!(
            issue_of("email", json!("a@b ")),
            json!("value does not match regex '[^@ ]+@[^@ ]+'")
        );
        assert_eq!(accepts("email", json!("a@b")), json!("a@b"));
    }

    #[test]
    fn allowed_values() {
        assert_eq!(
            issue_of("status", json!("dead")),
            json!("unallowed value dead")
        );
        assert_eq!(
            issue_of("role", json!(["author", "editor", "boss"])),
            json!("unallowed values ('editor', 'boss')")
        );
        assert_eq!(accepts("role", json!([])), json!([]));
        assert_eq!(accepts("status", json!("retired")), json!("retired"));
    }

    #[test]
    fn first_failing_rule_wins() {
        // type before allowed
        assert_eq!(issue_of("code", json!(7)), json!("must be of string type"));
        // allowed before length
        assert_eq!(
            issue_of("code", json!("wxyz")),
            json!("unallowed value wxyz")
        );
        // length before regex
        assert_eq!(issue_of("code", json!("toolong")), json!("max length is 3"));
        assert_eq!(accepts("code", json!("abc")), json!("abc"));
    }

    #[test]
    fn nested_issues_are_nested() {
        assert_eq!(
            issues(json!({"lastname": "Doe", "location": {"city": 5}})),
            json!({"location": {"city": "must be of string type"}})
        );
        assert_eq!(
            issues(json!({
                "lastname": 1,
                "lines": [{"product": "a"}, {"qty": "x"}],
                "prefs": {"newsletter": "yes"},
            })),
            json!({
                "lastname": "must be of string type",
                "lines": {"1": {"product": "required field", "qty": "must be of integer type"}},
                "prefs": {"newsletter": "must be of boolean type"},
            })
        );
    }

    #[test]
    fn defaults() {
        let out = insert(json!({"lastname": "Doe", "prefs": {"language": "fr"}}))
            .expect("valid document");
        assert_eq!(out["status"], json!("active"));
        assert_eq!(out["country"], json!("FR"));
        assert_eq!(out["prefs"], json!({"language": "fr", "newsletter": true}));
        // Defaults never override what the client sent.
        let out = insert(json!({"lastname": "Doe", "status": "retired", "country": "IT"}))
            .expect("valid document");
        assert_eq!(out["status"], json!("retired"));
        assert_eq!(out["country"], json!("IT"));
        // Nested defaults also fill list items, and dicts created from defaults.
        let out = insert(json!({"lastname": "Doe", "office": {"street": "Rue"}}))
            .expect("valid document");
        assert_eq!(out["office"], json!({"street": "Rue", "floor": 1}));
        // A default that is not JSON is treated as absent.
        assert!(!out.contains_key("broken"));
    }

    #[test]
    fn depth_is_bounded() {
        // The document is level 1, so meta may nest 31 levels (its own included).
        assert_eq!(accepts("meta", nested(31)), nested(31));
        assert_eq!(issue_of("meta", nested(32)), json!(TOO_DEEP));
        assert_eq!(issue_of("raw", json!([nested(200)])), json!(TOO_DEEP));
        assert!(TOO_DEEP.ends_with(&MAX_DEPTH.to_string()));
    }

    #[test]
    fn patch_with_dotted_and_nested_keys_keeps_other_sub_keys() {
        let original = json!({
            "lastname": "Doe",
            "location": {"address": "12 Main St", "city": "London"},
            "status": "retired",
        });
        let expected = json!({
            "lastname": "Doe",
            "location": {"address": "12 Main St", "city": "Paris"},
            "status": "retired",
            "country": "FR",
        });
        let dotted = patch(original.clone(), json!({"location.city": "Paris"}));
        assert_eq!(dotted.map(Value::Object), Ok(expected.clone()));
        let nested = patch(original.clone(), json!({"location": {"city": "Paris"}}));
        assert_eq!(nested.map(Value::Object), Ok(expected));
        let both = patch(
            original,
            json!({"location": {"city": "Paris"}, "location.address": "1 Rue", "age": 3}),
        )
        .expect("valid patch");
        assert_eq!(
            both["location"],
            json!({"address": "1 Rue", "city": "Paris"})
        );
        assert_eq!(both["age"], json!(3));
    }

    #[test]
    fn patch_checks_only_patched_fields() {
        // The stored document lacks its required lastname: not re-checked.
        let out = patch(json!({"firstname": "Ada"}), json!({"age": 36})).expect("valid patch");
        assert_eq!(out["age"], json!(36));
        assert_eq!(out["firstname"], json!("Ada"));
        // Nullable fields may be cleared.
        let out = patch(
            json!({"lastname": "Doe", "email": "a@b"}),
            json!({"email": null}),
        )
        .expect("valid patch");
        assert_eq!(out["email"], Value::Null);
        // Datetimes are normalized on PATCH too.
        let out = patch(
            json!({"lastname": "Doe"}),
            json!({"born": "Tuesday, 19-Apr-16 08:19:00 GMT"}),
        )
        .expect("valid patch");
        assert_eq!(out["born"], json!("Tue, 19 Apr 2016 08:19:00 GMT"));
    }

    #[test]
    fn patch_errors() {
        let original = json!({"lastname": "Doe", "location": {"city": "London"}});
        let err = |body: Value| {
            patch(original.clone(), body)
                .expect_err("patch should be rejected")
                .to_json()
        };
        assert_eq!(
            err(json!({"lastname": null})),
            json!({"lastname": "null value not allowed"})
        );
        assert_eq!(
            err(json!({"location.city": 5})),
            json!({"location": {"city": "must be of string type"}})
        );
        assert_eq!(
            err(json!({"location": {"city": null}})),
            json!({"location": {"city": "null value not allowed"}})
        );
        assert_eq!(err(json!({"age": 200})), json!({"age": "max value is 150"}));
        assert_eq!(
            err(json!({"location": "Paris"})),
            json!({"location": "must be of dict type"})
        );
        assert_eq!(
            err(json!({"age.x": 1})),
            json!({"age": "must be of integer type"})
        );
        assert_eq!(
            err(json!({"tags": ["ok", 5]})),
            json!({"tags": {"1": "must be of string type"}})
        );
    }

    #[test]
    fn patch_unknown_fields_and_paths() {
        let original = json!({"lastname": "Doe", "location": {"city": "London"}});
        let err = |body: Value| {
            patch(original.clone(), body)
                .expect_err("patch should be rejected")
                .to_json()
        };
        assert_eq!(
            err(json!({"nickname": "x"})),
            json!({"nickname": "unknown field"})
        );
        assert_eq!(
            err(json!({"_etag": "x"})),
            json!({"_etag": "unknown field"})
        );
        assert_eq!(err(json!({"nope.x": 1})), json!({"nope": "unknown field"}));
        assert_eq!(
            err(json!({"location.zip": "75001"})),
            json!({"location": {"zip": "unknown field"}})
        );
        assert_eq!(
            err(json!({"location": {"zip": "75001"}})),
            json!({"location": {"zip": "unknown field"}})
        );
        assert_eq!(
            err(json!({"location.": 1})),
            json!({"location.": "unknown field"})
        );
        assert_eq!(err(json!({".city": 1})), json!({".city": "unknown field"}));
        assert_eq!(
            err(json!({"location": "x", "location.city": "y"})),
            json!({"location": "must be of dict type", "location.city": CONFLICTING_KEYS})
        );
        assert_eq!(
            err(json!({"location": {"city": "x"}, "location.city": "y"})),
            json!({"location.city": CONFLICTING_KEYS})
        );
    }

    #[test]
    fn patch_replacing_values_checks_them_fully() {
        // A dict the stored document does not have is checked like an insert.
        let err = patch(json!({"lastname": "Doe"}), json!({"office.floor": 2}))
            .expect_err("street is required");
        assert_eq!(
            err.to_json(),
            json!({"office": {"street": "required field"}})
        );
        let out = patch(
            json!({"lastname": "Doe", "office": null}),
            json!({"office.street": "Rue"}),
        )
        .expect("valid patch");
        assert_eq!(out["office"], json!({"street": "Rue", "floor": 1}));
        // Merging into a stored dict keeps its keys and fills missing defaults.
        let out = patch(
            json!({"lastname": "Doe", "office": {"street": "Rue"}, "prefs": {"language": "fr"}}),
            json!({"office.floor": 4, "prefs": {}}),
        )
        .expect("valid patch");
        assert_eq!(out["office"], json!({"street": "Rue", "floor": 4}));
        assert_eq!(out["prefs"], json!({"language": "fr", "newsletter": true}));
        // Lists are replaced as a whole, items checked with the item rule.
        let err = patch(
            json!({"lastname": "Doe", "lines": [{"product": "pen"}]}),
            json!({"lines": [{"qty": 2}]}),
        )
        .expect_err("product is required");
        assert_eq!(
            err.to_json(),
            json!({"lines": {"0": {"product": "required field"}}})
        );
    }

    #[test]
    fn patch_defaults_fill_only_missing_fields() {
        let out = patch(json!({"lastname": "Doe"}), json!({})).expect("valid patch");
        assert_eq!(out["status"], json!("active"));
        let out = patch(
            json!({"lastname": "Doe", "status": "retired"}),
            json!({"age": 1}),
        )
        .expect("valid patch");
        assert_eq!(out["status"], json!("retired"));
    }

    #[test]
    fn patch_options_normalize_and_merge() {
        let original = json!({"lastname": "Doe", "prefs": {"language": "it"}});
        let with = |normalize, merge_nested, body: Value| {
            let options = PatchOptions {
                normalize,
                merge_nested,
            };
            apply_patch_with(&PEOPLE, &map(original.clone()), map(body), options)
                .expect("valid patch")
        };
        // Eve's defaults: merged, and the missing defaults filled (never resetting a
        // stored value), at the top level too.
        let out = with(true, true, json!({"prefs": {"newsletter": false}}));
        assert_eq!(out["prefs"], json!({"language": "it", "newsletter": false}));
        assert_eq!(out["status"], json!("active"));
        // Merged, nothing added.
        let out = with(false, true, json!({"prefs.newsletter": false}));
        assert_eq!(out["prefs"], json!({"language": "it", "newsletter": false}));
        assert!(!out.contains_key("status"));
        // Replaced, its defaults filled.
        let out = with(true, false, json!({"prefs": {"newsletter": false}}));
        assert_eq!(out["prefs"], json!({"language": "en", "newsletter": false}));
        // Replaced as sent, in both forms.
        let out = with(false, false, json!({"prefs": {"newsletter": false}}));
        assert_eq!(out["prefs"], json!({"newsletter": false}));
        let out = with(false, false, json!({"prefs.newsletter": false}));
        assert_eq!(out["prefs"], json!({"newsletter": false}));
        assert_eq!(out["lastname"], json!("Doe"));
    }

    #[test]
    fn patch_free_dicts_merge_deeply_and_stay_bounded() {
        let out = patch(
            json!({"lastname": "Doe", "meta": {"a": {"b": 1, "c": 2}, "d": 3}}),
            json!({"meta.a.b": 10, "meta": {"e": null}}),
        )
        .expect("valid patch");
        assert_eq!(
            out["meta"],
            json!({"a": {"b": 10, "c": 2}, "d": 3, "e": null})
        );
        let err = patch(
            json!({"lastname": "Doe", "meta": {}}),
            json!({"meta": nested(40)}),
        )
        .expect_err("too deep");
        assert_eq!(err.to_json(), json!({"meta": TOO_DEEP}));
        let long_key = vec!["meta"; 40].join(".");
        let mut body = Map::new();
        body.insert(long_key.clone(), json!(1));
        let err =
            apply_patch(&PEOPLE, &map(json!({"lastname": "Doe"})), body).expect_err("too deep");
        assert_eq!(
            err.get(&long_key),
            Some(&Issue::Message(TOO_DEEP.to_owned()))
        );
    }

    #[test]
    fn issues_json_shape_and_serialization() {
        let mut issues = Issues::new();
        assert!(issues.is_empty());
        issues.add("lastname", unique_message(&json!("Doe")));
        issues.add("lastname", "ignored: first issue wins");
        issues.add_path("location.city", "must be of string type");
        issues.add_path("lines.0.product", "required field");
        issues.nest("empty", Issues::new());
        let expected = json!({
            "lastname": "value 'Doe' is not unique",
            "location": {"city": "must be of string type"},
            "lines": {"0": {"product": "required field"}},
        });
        assert_eq!(issues.len(), 3);
        assert_eq!(issues.to_json(), expected);
        assert_eq!(serde_json::to_value(&issues).expect("serializes"), expected);
        assert_eq!(
            issues.get("location"),
            Some(&Issue::Nested({
                let mut city = Issues::new();
                city.add("city", "must be of string type");
                city
            }))
        );
    }

    #[test]
    fn database_rule_messages() {
        assert_eq!(unique_message(&json!("Doe")), "value 'Doe' is not unique");
        assert_eq!(unique_message(&json!(42)), "value '42' is not unique");
        assert_eq!(
            relation_message(&json!("5a1b2c3d4e5f60718293a4b5"), "people", "_id"),
            "value '5a1b2c3d4e5f60718293a4b5' must exist in resource 'people', field '_id'."
        );
        assert_eq!(value_text(&json!(true)), "True");
        assert_eq!(value_text(&Value::Null), "None");
        use crate::catalog::Bound;
        assert_eq!(Bound::Float(1.0).to_string(), "1");
        assert_eq!(Bound::Float(-3.0).to_string(), "-3");
        assert_eq!(Bound::Float(2.5).to_string(), "2.5");
        assert_eq!(
            Bound::Int(9_007_199_254_740_993).to_string(),
            "9007199254740993"
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        let junk = [
            Value::Null,
            json!(true),
            json!(-1),
            json!(u64::MAX),
            json!(1e308),
            json!(""),
            json!("Tue, 19 Apr 2016 08:19:00 GMT"),
            json!("x".repeat(1000)),
            json!([]),
            json!([null, 1, "a", [], {}]),
            json!({}),
            json!({"": null, ".": 1, "city": [1]}),
            nested(100),
        ];
        let stored = json!({
            "lastname": "Doe",
            "location": {"city": "London"},
            "meta": {"x": 1},
            "office": {"street": "Rue"},
        });
        for field in PEOPLE.iter() {
            for value in &junk {
                let mut doc = Map::new();
                doc.insert(field.name.to_owned(), value.clone());
                let _ = validate_document(&PEOPLE, doc.clone(), Mode::Replace);
                let _ = apply_patch(&PEOPLE, &map(stored.clone()), doc);
                for sub in ["city", "x", "street", "0", "x.y", ""] {
                    let mut body = Map::new();
                    body.insert(format!("{}.{sub}", field.name), value.clone());
                    let _ = apply_patch(&PEOPLE, &map(stored.clone()), body);
                }
            }
        }
    }
}
