//! Aggregation endpoints: Eve's `datasource.aggregation`, a fixed pipeline over a
//! source resource's documents that a client parameterises with `?aggregate=`.
//!
//! The pipeline is Eve's (MongoDB's) JSON, as the spec wrote it. [`Pipeline::parse`]
//! reads and checks it against the source's fields: apigen calls it at generation
//! time (so a spec mistake is a diagnostic), and the server once, on first use.
//! What it accepts is what SQL can answer directly, in this order:
//!
//! - `$match` stages, a `where` whose string values `"$name"` are placeholders;
//! - an optional `$sort` on source fields, then `$group` (`_id` a field or `null`;
//!   `$sum $avg $min $max $count $first $last`); `$first`/`$last` take the value of
//!   the first/last document of each group in that `$sort`'s order, then in the
//!   order documents were stored (MongoDB's natural order);
//! - `$sort` (of the group's output, or of the documents without `$group`), `$skip`
//!   and `$limit` (in either order), and last `$project` (include or exclude fields).
//!
//! Per request ([`get_aggregation`]), the client's `?aggregate={"$name": value}` fills
//! the placeholders, as Eve substitutes them; a condition whose placeholder is given
//! `{}` is dropped, as Eve prunes it, and one whose placeholder the request does not
//! give matches nothing, as in Eve (see `substitute`). Each `$match` is then read as a client's `where`, and the
//! whole compiled to one parameterised SQL query (`sqlite::aggregate`). The answer is
//! Eve's collection envelope of plain JSON objects, paginated after the pipeline.

use std::sync::OnceLock;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use crate::catalog::{Field, Kind};
use crate::error::ApiError;
use crate::http::{self, ListParams};
use crate::query::{self, Filter};
use crate::resource::{Resource, ResourceInfo};
use crate::state::AppState;

/// The pipeline stages apigen compiles.
pub const STAGES: [&str; 6] = ["$match", "$sort", "$group", "$skip", "$limit", "$project"];
/// The `$group` accumulators apigen compiles.
pub const ACCUMULATORS: [&str; 7] = ["$sum", "$avg", "$min", "$max", "$count", "$first", "$last"];

/// The query parameter that fills the placeholders (Eve's `QUERY_AGGREGATION`).
const PARAMETER: &str = "aggregate";

/// A resource's `datasource.aggregation`: the pipeline as JSON, read on first use.
#[derive(Debug)]
pub struct Aggregation {
    /// The pipeline, Eve's JSON list of stages (checked by apigen).
    pub pipeline: &'static str,
    parsed: OnceLock<Result<Pipeline, String>>,
}

impl Aggregation {
    pub const fn new(pipeline: &'static str) -> Aggregation {
        Aggregation {
            pipeline,
            parsed: OnceLock::new(),
        }
    }

    /// The pipeline read against the source's fields, once.
    fn pipeline(&self, info: &'static ResourceInfo) -> Result<&Pipeline, ApiError> {
        self.parsed
            .get_or_init(|| {
                Pipeline::parse(
                    self.pipeline,
                    info.query_fields.unwrap_or(info.fields),
                    info.dates,
                )
                .map_err(|e| format!("resource '{}': {}", info.name, e.message))
            })
            .as_ref()
            .map_err(ApiError::internal)
    }
}

/// Why a pipeline is refused: the stage (its index), what is wrong and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineError {
    /// The stage at fault; `None` for the pipeline as a whole.
    pub stage: Option<usize>,
    pub message: String,
    pub help: String,
}

/// A field path of the source resource, as SQL reaches it.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRef {
    /// As the pipeline wrote it, without `$`: `location.city`.
    pub path: String,
    /// The column holding it.
    pub column: &'static str,
    /// The JSON path inside the column, for a field inside a dict: `$.city`.
    pub json_path: Option<String>,
    pub kind: Kind,
}

/// What an accumulator adds up: a field, a placeholder the client fills, or a number.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Field(FieldRef),
    /// `"$name"` naming no field: `?aggregate={"$name": 2}` fills it; unfilled, null.
    Placeholder(String),
    Number(serde_json::Number),
}

/// One `$group` output field's accumulator.
#[derive(Clone, Debug, PartialEq)]
pub enum Accumulator {
    Sum(Operand),
    Avg(Operand),
    Min(FieldRef),
    Max(FieldRef),
    First(FieldRef),
    Last(FieldRef),
    Count,
}

/// `$group`: the key (`None`: `_id: null`, one group) and the output fields in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub key: Option<FieldRef>,
    pub fields: Vec<(String, Accumulator)>,
}

/// `$project`: the output fields kept (include) or dropped (exclude).
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    pub include: bool,
    pub names: Vec<String>,
    /// `_id: 0` (with either mode).
    pub drop_id: bool,
}

impl Projection {
    /// Whether an output field is kept.
    pub fn keeps(&self, name: &str) -> bool {
        if name == "_id" {
            return !self.drop_id;
        }
        self.include == self.names.iter().any(|n| n == name)
    }
}

/// A checked pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    /// The `$match` stages as written (placeholders in); all must hold.
    pub matches: Vec<Map<String, Value>>,
    /// The placeholders of the `$match` stages.
    pub placeholders: Vec<String>,
    /// A `$sort` before `$group`, in `sort` syntax: the order `$first`/`$last` see.
    pub group_order: Option<String>,
    pub group: Option<Group>,
    /// The output's order, in `sort` syntax over the source's fields (no `$group`),
    /// or as output names with their direction (after `$group`).
    pub sort: Vec<(String, bool)>,
    pub skip: u64,
    pub limit: Option<u64>,
    pub project: Option<Projection>,
}

/// Where a stage may still come, as the pipeline is read.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Phase {
    /// `$match` and `$sort` on documents, `$group`.
    Documents,
    /// After `$group`: its `$sort`.
    Grouped,
    /// After `$skip` or `$limit`: more of them, or `$project`.
    Paged,
    /// After `$project`: nothing.
    Done,
}

fn refuse<T>(stage: usize, message: String, help: impl Into<String>) -> Result<T, PipelineError> {
    Err(PipelineError {
        stage: Some(stage),
        message,
        help: help.into(),
    })
}

/// A refusal of the whole pipeline (not of one stage).
fn refuse_pipeline(message: impl Into<String>, help: impl Into<String>) -> PipelineError {
    PipelineError {
        stage: None,
        message: message.into(),
        help: help.into(),
    }
}

const ORDER_HELP: &str = "stages go in this order: `$match`, `$sort`, `$group`, `$sort`, \
    `$skip`/`$limit`, `$project`";

impl Pipeline {
    /// Read and check a pipeline (Eve's JSON) against the source's fields.
    pub fn parse(
        text: &str,
        fields: &'static [Field],
        dates: &crate::date::DateFormat,
    ) -> Result<Pipeline, PipelineError> {
        // Read with members in order: a `$sort`'s keys are in priority order (Eve
        // uses `SON` for it), which a JSON map would lose.
        let json: Ordered = serde_json::from_str(text).map_err(|e| {
            refuse_pipeline(
                format!("the aggregation pipeline is not valid JSON: {e}"),
                "write `pipeline` as a list of stages",
            )
        })?;
        let Ordered::Array(stages) = json else {
            return Err(refuse_pipeline(
                "the aggregation pipeline is not a list of stages",
                "write `pipeline = [{ \"$match\" = { author = \"$author\" } }, ...]`",
            ));
        };
        if stages.is_empty() {
            return Err(refuse_pipeline(
                "the aggregation pipeline has no stages",
                format!("add stages: {}", STAGES.join(", ")),
            ));
        }
        let mut reader = Reader {
            fields,
            dates,
            phase: Phase::Documents,
            sorted: None,
            pipeline: Pipeline {
                matches: Vec::new(),
                placeholders: Vec::new(),
                group_order: None,
                group: None,
                sort: Vec::new(),
                skip: 0,
                limit: None,
                project: None,
            },
        };
        for (i, stage) in stages.iter().enumerate() {
            let (name, body) = match stage {
                Ordered::Object(members) if members.len() == 1 => (&members[0].0, &members[0].1),
                _ => {
                    return refuse(
                        i,
                        format!("stage {} is not one `{{ \"$stage\" = ... }}`", i + 1),
                        "write each stage as a table with one key, the stage's name",
                    );
                }
            };
            match name.as_str() {
                "$match" => reader.match_stage(i, &body.json())?,
                "$sort" => reader.sort_stage(i, body)?,
                "$group" => reader.group_stage(i, body)?,
                "$skip" | "$limit" => reader.window_stage(i, name, &body.json())?,
                "$project" => reader.project_stage(i, &body.json())?,
                other => {
                    return refuse(
                        i,
                        format!("unknown stage `{other}`"),
                        format!("apigen compiles the stages {}", STAGES.join(", ")),
                    );
                }
            }
        }
        reader.finish()
    }

    /// The placeholders the accumulators take from the request.
    pub fn accumulator_placeholders(&self) -> Vec<&str> {
        let mut names = Vec::new();
        for (_, accumulator) in self.group.iter().flat_map(|g| &g.fields) {
            if let Accumulator::Sum(Operand::Placeholder(name))
            | Accumulator::Avg(Operand::Placeholder(name)) = accumulator
            {
                names.push(name.as_str());
            }
        }
        names
    }
}

/// A pipeline being read, stage by stage.
struct Reader<'a> {
    fields: &'static [Field],
    dates: &'a crate::date::DateFormat,
    phase: Phase,
    /// The stage of the `$sort` in the current phase, if any.
    sorted: Option<usize>,
    pipeline: Pipeline,
}

impl Reader<'_> {
    fn match_stage(&mut self, i: usize, body: &Value) -> Result<(), PipelineError> {
        if self.phase != Phase::Documents {
            return refuse(
                i,
                "`$match` comes after `$group`, `$skip`, `$limit` or `$project`".into(),
                "put every `$match` first: it filters the source's documents",
            );
        }
        let Value::Object(map) = body else {
            return refuse(
                i,
                "`$match` is not a table".into(),
                "write `{ \"$match\" = { field = \"$placeholder\" } }`",
            );
        };
        check_match(map, self.fields, &mut self.pipeline.placeholders, 1).map_err(
            |(message, help)| PipelineError {
                stage: Some(i),
                message,
                help,
            },
        )?;
        // The literal parts must read as a `where`: placeholders given `{}` are left out.
        let mut literal = map.clone();
        let dropped: Map<String, Value> = pipeline_placeholders(map)
            .into_iter()
            .map(|p| (p, Value::Object(Map::new())))
            .collect();
        substitute(&mut literal, &dropped);
        let text = Value::Object(literal).to_string();
        query::parse_where(&text, self.fields, self.dates).map_err(|e| PipelineError {
            stage: Some(i),
            message: format!("`$match` is not a valid `where`: {e}"),
            help: "compare each field with a value of its type, or with a placeholder `\"$name\"`"
                .to_string(),
        })?;
        self.pipeline.matches.push(map.clone());
        Ok(())
    }

    fn sort_stage(&mut self, i: usize, body: &Ordered) -> Result<(), PipelineError> {
        if self.phase >= Phase::Paged || self.sorted.is_some() {
            return refuse(
                i,
                "a `$sort` after `$skip`, `$limit`, `$project` or another `$sort`".into(),
                ORDER_HELP,
            );
        }
        let keys = sort_keys(i, ordered_members(body))?;
        if self.phase == Phase::Documents {
            let text = keys
                .iter()
                .map(|(n, d)| if *d { format!("-{n}") } else { n.clone() })
                .collect::<Vec<_>>()
                .join(",");
            query::parse_sort(&text, self.fields).map_err(|e| PipelineError {
                stage: Some(i),
                message: format!("`$sort`: {e}"),
                help: "sort on the source's scalar fields (dotted inside dicts), `_id`, \
                    `_created` or `_updated`"
                    .to_string(),
            })?;
            self.pipeline.group_order = Some(text);
        }
        self.pipeline.sort = keys;
        self.sorted = Some(i);
        Ok(())
    }

    fn group_stage(&mut self, i: usize, body: &Ordered) -> Result<(), PipelineError> {
        if self.phase != Phase::Documents {
            return refuse(
                i,
                "a second `$group`, or one after `$skip`, `$limit` or `$project`".into(),
                ORDER_HELP,
            );
        }
        self.pipeline.group = Some(group(i, ordered_members(body), self.fields)?);
        self.phase = Phase::Grouped;
        // A `$sort` before `$group` orders its input; one after, its output.
        self.pipeline.sort.clear();
        self.sorted = None;
        Ok(())
    }

    /// `$skip` and `$limit`, in either order and any number: they compose into one
    /// window, `$skip` moving it and `$limit` shortening it.
    fn window_stage(&mut self, i: usize, name: &str, body: &Value) -> Result<(), PipelineError> {
        if self.phase == Phase::Done {
            return refuse(i, format!("`{name}` after `$project`"), ORDER_HELP);
        }
        let skip = name == "$skip";
        let n = body
            .as_u64()
            .filter(|n| *n <= i64::MAX as u64 && (skip || *n > 0));
        let Some(n) = n else {
            let what = if skip { "non-negative" } else { "positive" };
            return refuse(
                i,
                format!("`{name}` is not a {what} integer"),
                format!("write `{{ \"{name}\" = 10 }}`"),
            );
        };
        let pipeline = &mut self.pipeline;
        if skip {
            pipeline.skip = pipeline.skip.saturating_add(n);
            pipeline.limit = pipeline.limit.map(|l| l.saturating_sub(n));
        } else {
            pipeline.limit = Some(pipeline.limit.map_or(n, |l| l.min(n)));
        }
        self.phase = Phase::Paged;
        Ok(())
    }

    fn project_stage(&mut self, i: usize, body: &Value) -> Result<(), PipelineError> {
        if self.phase == Phase::Done {
            return refuse(i, "a second `$project`".into(), "merge them into one");
        }
        self.pipeline.project = Some(projection(i, body, &self.pipeline, self.fields)?);
        self.phase = Phase::Done;
        Ok(())
    }

    /// The pipeline, once a `$sort` after `$group` is known to name its output.
    fn finish(self) -> Result<Pipeline, PipelineError> {
        let pipeline = self.pipeline;
        if let (Some(group), Some(stage)) = (&pipeline.group, self.sorted) {
            for (name, _) in &pipeline.sort {
                if name != "_id" && !group.fields.iter().any(|(n, _)| n == name) {
                    return refuse(
                        stage,
                        format!("`$sort` names `{name}`, which `$group` does not output"),
                        "sort on `_id` or on a field `$group` computes",
                    );
                }
            }
        }
        Ok(pipeline)
    }
}

/// A JSON value whose objects keep their members in order: serde hands a map's
/// members to the visitor in document order, where `serde_json::Map` would sort them.
enum Ordered {
    Object(Vec<(String, Ordered)>),
    Array(Vec<Ordered>),
    Scalar(Value),
}

impl Ordered {
    /// As plain JSON (nested objects' members in any order).
    fn json(&self) -> Value {
        match self {
            Ordered::Object(members) => {
                Value::Object(members.iter().map(|(k, v)| (k.clone(), v.json())).collect())
            }
            Ordered::Array(items) => Value::Array(items.iter().map(Ordered::json).collect()),
            Ordered::Scalar(value) => value.clone(),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Ordered>()? {
                    members.push(member);
                }
                Ok(Ordered::Object(members))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Ordered>()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(Value::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(Value::String(v.to_string())))
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(Value::Null))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// An object's members in order, each as plain JSON; `None` when it is not an object.
fn ordered_members(body: &Ordered) -> Option<Vec<(&str, Value)>> {
    let Ordered::Object(members) = body else {
        return None;
    };
    Some(
        members
            .iter()
            .map(|(k, v)| (k.as_str(), v.json()))
            .collect(),
    )
}

/// A `$sort` body: `{ field = 1, other = -1 }`, in order.
fn sort_keys(
    i: usize,
    map: Option<Vec<(&str, Value)>>,
) -> Result<Vec<(String, bool)>, PipelineError> {
    let Some(map) = map.filter(|m| !m.is_empty()) else {
        return refuse(
            i,
            "`$sort` is not a table of fields".into(),
            "write `{ \"$sort\" = { books = -1 } }`",
        );
    };
    let mut keys = Vec::new();
    for (name, direction) in map {
        match direction.as_i64() {
            Some(1) => keys.push((name.to_string(), false)),
            Some(-1) => keys.push((name.to_string(), true)),
            _ => {
                return refuse(
                    i,
                    format!("`$sort` direction of `{name}` is not 1 or -1"),
                    "write 1 (ascending) or -1 (descending)",
                )
            }
        }
    }
    Ok(keys)
}

/// Check a `$match` document: its field paths name fields, its operators are known to
/// `where`, and collect its placeholders (string values `"$name"`).
fn check_match(
    map: &Map<String, Value>,
    fields: &'static [Field],
    placeholders: &mut Vec<String>,
    depth: usize,
) -> Result<(), (String, String)> {
    if depth > query::MAX_DEPTH {
        return Err((
            "`$match` nests too deeply".into(),
            "flatten the `$and`/`$or`".into(),
        ));
    }
    for (key, value) in map {
        if matches!(key.as_str(), "$and" | "$or" | "$nor") {
            for item in value.as_array().into_iter().flatten() {
                if let Value::Object(inner) = item {
                    check_match(inner, fields, placeholders, depth + 1)?;
                }
            }
            continue;
        }
        if !key.starts_with('$') {
            resolve_path(fields, key).map_err(|message| {
                (
                    format!("`$match` names {message}"),
                    "name a field of the source resource (dotted inside dicts)".to_string(),
                )
            })?;
        }
        collect_placeholders(value, placeholders);
    }
    Ok(())
}

/// Every string `"$name"` in a value: a placeholder.
fn collect_placeholders(value: &Value, placeholders: &mut Vec<String>) {
    match value {
        Value::String(s) if is_placeholder(s) && !placeholders.contains(s) => {
            placeholders.push(s.clone());
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_placeholders(v, placeholders)),
        Value::Object(map) => map
            .values()
            .for_each(|v| collect_placeholders(v, placeholders)),
        _ => {}
    }
}

/// The placeholders of one `$match` document.
fn pipeline_placeholders(map: &Map<String, Value>) -> Vec<String> {
    let mut names = Vec::new();
    map.values()
        .for_each(|v| collect_placeholders(v, &mut names));
    names
}

fn is_placeholder(text: &str) -> bool {
    text.len() > 1 && text.starts_with('$')
}

/// Eve's substitution and pruning: each placeholder the request fills becomes its
/// value, then every member whose value is `{}` is removed, depth first (so a
/// placeholder filled with `{}` drops its condition, as in Eve), and so is a branch of
/// `$and`/`$or`/`$nor` left empty by that (and the operator, when no branch is left).
/// A condition holding a placeholder the request does not fill matches nothing: Eve
/// leaves the text `"$name"` in place and MongoDB compares the field with that text,
/// which no typed value equals; here the condition becomes `{"$in": []}`, which any
/// column can be compared with. So a client leaves a condition out by sending `{}`
/// for its placeholder, as with Eve.
fn substitute(map: &mut Map<String, Value>, values: &Map<String, Value>) {
    map.retain(|key, value| match (key.as_str(), value) {
        ("$and" | "$or" | "$nor", Value::Array(items)) => {
            items.retain_mut(|item| match item {
                Value::Object(inner) => {
                    substitute(inner, values);
                    !inner.is_empty()
                }
                _ => true,
            });
            !items.is_empty()
        }
        (key, value) if !key.starts_with('$') && unfilled(value, values) => {
            *value = serde_json::json!({"$in": []});
            true
        }
        (_, value) => {
            fill(value, values);
            true
        }
    });
    prune(map);
}

/// Whether a value holds a placeholder `values` does not fill.
fn unfilled(value: &Value, values: &Map<String, Value>) -> bool {
    match value {
        Value::String(s) => is_placeholder(s) && !values.contains_key(s.as_str()),
        Value::Array(items) => items.iter().any(|v| unfilled(v, values)),
        Value::Object(map) => map.values().any(|v| unfilled(v, values)),
        _ => false,
    }
}

fn fill(value: &mut Value, values: &Map<String, Value>) {
    match value {
        Value::String(s) if is_placeholder(s) => {
            if let Some(filled) = values.get(s.as_str()) {
                *value = filled.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| fill(v, values)),
        Value::Object(map) => map.values_mut().for_each(|v| fill(v, values)),
        _ => {}
    }
}

fn prune(map: &mut Map<String, Value>) {
    map.retain(|_, value| match value {
        Value::Object(inner) => {
            prune(inner);
            !inner.is_empty()
        }
        // Conditions in `$and`/`$or` lists are pruned too; a list keeps its length
        // (an emptied `{}` in it matches everything, as in MongoDB).
        Value::Array(items) => {
            for item in items.iter_mut() {
                if let Value::Object(inner) = item {
                    prune(inner);
                }
            }
            true
        }
        _ => true,
    });
}

/// Where a field path of the source leads.
struct Resolved {
    column: &'static str,
    /// The JSON path inside the column (`$.city`), for a path into a dict.
    json_path: Option<String>,
    /// The declared field; `None` inside a schema-less dict or an unruled list.
    field: Option<&'static Field>,
    /// Whether the path goes through a list (a `$match` may; a value to group or
    /// accumulate may not).
    through_list: bool,
}

/// Resolve a dotted `path` against the source's fields (and `_id`, `_created`,
/// `_updated`); the message says what is wrong with it.
fn resolve_path(fields: &'static [Field], path: &str) -> Result<Resolved, String> {
    let not_a_field = || format!("`{path}`, which is not a field");
    let mut segments = path.split('.');
    let first = segments.next().unwrap_or_default();
    let top = fields
        .iter()
        .chain(query::META_FIELDS.iter())
        .find(|f| f.name == first)
        .ok_or_else(not_a_field)?;
    let mut resolved = Resolved {
        column: top.name,
        json_path: None,
        field: Some(top),
        through_list: false,
    };
    for segment in segments {
        if segment.is_empty()
            || !segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(format!("`{path}`, which is not a field path"));
        }
        let container = match resolved.field {
            Some(field) if field.kind == Kind::Dict => Some(field),
            Some(field) if field.kind == Kind::List => {
                resolved.through_list = true;
                match field.items {
                    Some(items) if items.kind == Kind::Dict => Some(items),
                    None => None,
                    Some(_) => {
                        return Err(format!(
                            "`{path}`, but the items of `{}` have no subfields",
                            field.name
                        ))
                    }
                }
            }
            // Inside a schema-less dict or an unruled list any key goes, untyped.
            None => None,
            Some(field) => return Err(format!("`{path}`, but `{}` has no subfields", field.name)),
        };
        resolved.field = match container {
            Some(dict) if !dict.schema.is_empty() => Some(
                dict.schema
                    .iter()
                    .find(|f| f.name == segment)
                    .ok_or_else(not_a_field)?,
            ),
            _ => None,
        };
        resolved
            .json_path
            .get_or_insert_with(|| "$".to_string())
            .push_str(&format!(".{segment}"));
    }
    Ok(resolved)
}

/// A `"$field"` operand naming a scalar field (for `_id`, `$min`, `$max`...).
fn field_operand(
    i: usize,
    what: &str,
    text: &str,
    fields: &'static [Field],
) -> Result<FieldRef, PipelineError> {
    let path = &text[1..];
    let resolved = resolve_path(fields, path).map_err(|message| PipelineError {
        stage: Some(i),
        message: format!("{what} names {message}"),
        help: "name a field of the source resource as `\"$field\"` (dotted inside dicts)"
            .to_string(),
    })?;
    // A media field holds a file's id, not a value to group or compare.
    let scalar = resolved
        .field
        .map(|f| f.kind)
        .filter(|kind| !matches!(kind, Kind::Dict | Kind::List | Kind::Media) && !kind.is_geo());
    let Some(kind) = scalar.filter(|_| !resolved.through_list) else {
        return refuse(
            i,
            format!("{what} names `{path}`, which is not a scalar field"),
            "group and accumulate scalar fields (dotted inside dicts, not through lists): \
             strings, numbers, booleans, dates, objectids",
        );
    };
    Ok(FieldRef {
        path: path.to_string(),
        column: resolved.column,
        json_path: resolved.json_path,
        kind,
    })
}

fn is_numeric(kind: Kind) -> bool {
    matches!(kind, Kind::Integer | Kind::Float | Kind::Number)
}

/// What `$sum` and `$avg` take: a number, a numeric field, or a placeholder (a
/// `"$name"` naming no field).
fn numeric_operand(
    i: usize,
    what: &str,
    arg: &Value,
    fields: &'static [Field],
) -> Result<Operand, PipelineError> {
    const HELP: &str = "write a number, a field `\"$pages\"` or a placeholder `\"$name\"`";
    let text = match arg {
        Value::Number(n) => return Ok(Operand::Number(n.clone())),
        Value::String(s) if is_placeholder(s) => s,
        _ => {
            let message = format!("{what} is neither a number, a `\"$field\"` nor a placeholder");
            return refuse(i, message, HELP);
        }
    };
    let first = text[1..].split('.').next().unwrap_or_default();
    let declared = fields.iter().chain(query::META_FIELDS.iter());
    if !declared.into_iter().any(|f| f.name == first) {
        return Ok(Operand::Placeholder(text.clone()));
    }
    let field = field_operand(i, what, text, fields)?;
    if !is_numeric(field.kind) {
        return refuse(
            i,
            format!("{what} names `{}`, which is not a number", field.path),
            "`$sum` and `$avg` add integer, float or number fields",
        );
    }
    Ok(Operand::Field(field))
}

/// A `$group` body.
fn group(
    i: usize,
    body: Option<Vec<(&str, Value)>>,
    fields: &'static [Field],
) -> Result<Group, PipelineError> {
    let Some(map) = body else {
        return refuse(
            i,
            "`$group` is not a table".into(),
            "write `{ \"$group\" = { _id = \"$field\", n = { \"$count\" = {} } } }`",
        );
    };
    const KEY_HELP: &str = "group by a field, `_id = \"$author\"`, or everything at once \
        with `_id = {}` (TOML has no null; JSON `null` works too)";
    let key = match map.iter().find(|(n, _)| *n == "_id").map(|(_, v)| v) {
        None => return refuse(i, "`$group` has no `_id`".into(), KEY_HELP),
        Some(Value::Null) => None,
        Some(Value::Object(o)) if o.is_empty() => None,
        Some(Value::String(s)) if s.starts_with('$') => {
            Some(field_operand(i, "`$group` `_id`", s, fields)?)
        }
        Some(_) => {
            let message = "`$group` `_id` is neither a `\"$field\"` nor null";
            return refuse(i, message.into(), KEY_HELP);
        }
    };
    let mut out = Vec::new();
    for (name, spec) in map.iter().filter(|(n, _)| *n != "_id") {
        if name.starts_with('$') || name.contains('.') || name.is_empty() {
            return refuse(
                i,
                format!("`$group` output field `{name}` starts with `$` or holds a dot"),
                "name output fields with letters, digits and `_`",
            );
        }
        let Some((op, arg)) = spec
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.iter().next())
        else {
            return refuse(
                i,
                format!("`$group` field `{name}` is not one `{{ \"$accumulator\" = ... }}`"),
                format!("write `{name} = {{ \"$sum\" = 1 }}`"),
            );
        };
        let what = format!("`{op}` of `{name}`");
        let field = |arg: &Value| -> Result<FieldRef, PipelineError> {
            match arg {
                Value::String(s) if s.starts_with('$') => field_operand(i, &what, s, fields),
                _ => refuse(
                    i,
                    format!("{what} is not a `\"$field\"`"),
                    format!("write `{name} = {{ \"{op}\" = \"$field\" }}`"),
                ),
            }
        };
        let numeric = |arg: &Value| numeric_operand(i, &what, arg, fields);
        let accumulator = match op.as_str() {
            "$sum" => Accumulator::Sum(numeric(arg)?),
            "$avg" => Accumulator::Avg(numeric(arg)?),
            "$min" => Accumulator::Min(field(arg)?),
            "$max" => Accumulator::Max(field(arg)?),
            "$first" => Accumulator::First(field(arg)?),
            "$last" => Accumulator::Last(field(arg)?),
            "$count" => {
                if !arg.as_object().is_some_and(Map::is_empty) {
                    return refuse(
                        i,
                        format!("{what} is not `{{}}`"),
                        format!("write `{name} = {{ \"$count\" = {{}} }}`"),
                    );
                }
                Accumulator::Count
            }
            other => {
                return refuse(
                    i,
                    format!("unknown accumulator `{other}` in `{name}`"),
                    format!(
                        "apigen compiles the accumulators {}",
                        ACCUMULATORS.join(", ")
                    ),
                )
            }
        };
        out.push((name.to_string(), accumulator));
    }
    Ok(Group { key, fields: out })
}

/// A `$project` body, over the group's output or the documents' fields.
fn projection(
    i: usize,
    body: &Value,
    pipeline: &Pipeline,
    fields: &'static [Field],
) -> Result<Projection, PipelineError> {
    let Some(map) = body.as_object().filter(|m| !m.is_empty()) else {
        return refuse(
            i,
            "`$project` is not a table of fields".into(),
            "write `{ \"$project\" = { books = 1 } }`",
        );
    };
    let mut project = Projection {
        include: false,
        names: Vec::new(),
        drop_id: false,
    };
    let mut mode = None;
    for (name, value) in map {
        let include = match value {
            Value::Number(n) if n.as_i64() == Some(1) => true,
            Value::Number(n) if n.as_i64() == Some(0) => false,
            Value::Bool(b) => *b,
            _ => {
                return refuse(
                    i,
                    format!("`$project` of `{name}` is not 1 or 0"),
                    "write 1 to keep a field or 0 to drop it",
                )
            }
        };
        let known = match &pipeline.group {
            Some(group) => name == "_id" || group.fields.iter().any(|(n, _)| n == name),
            None => {
                fields
                    .iter()
                    .chain(query::META_FIELDS.iter())
                    .any(|f| f.name == name)
                    || name == "_etag"
            }
        };
        if !known {
            return refuse(
                i,
                format!("`$project` names `{name}`, which the stages before it do not output"),
                "name a field the documents (or `$group`) have",
            );
        }
        if name == "_id" {
            project.drop_id = !include;
            continue;
        }
        if mode.is_some_and(|m| m != include) {
            return refuse(
                i,
                "`$project` mixes kept (1) and dropped (0) fields".into(),
                "list only the fields to keep, or only the ones to drop (`_id = 0` goes \
                 with either)",
            );
        }
        mode = Some(include);
        project.names.push(name.clone());
    }
    project.include = mode.unwrap_or(false);
    Ok(project)
}

/// What a request asks of the pipeline, resolved: the `$match` filters and the values
/// of the accumulators' placeholders (`None`: not given, null).
pub struct Request {
    pub filters: Vec<Filter>,
    pub values: Vec<(String, Option<serde_json::Number>)>,
}

impl Pipeline {
    /// Fill the placeholders with `?aggregate=`'s values and read each `$match`.
    fn request(
        &self,
        values: &Map<String, Value>,
        info: &'static ResourceInfo,
    ) -> Result<Request, ApiError> {
        let fields = info.query_fields.unwrap_or(info.fields);
        let mut filters = Vec::with_capacity(self.matches.len());
        for stage in &self.matches {
            let mut stage = stage.clone();
            substitute(&mut stage, values);
            let text = Value::Object(stage).to_string();
            let filter = query::parse_where(&text, fields, info.dates)
                .map_err(|e| ApiError::bad_request(format!("aggregate: {e}")))?;
            filters.push(filter);
        }
        let mut numbers = Vec::new();
        for name in self.accumulator_placeholders() {
            let value = match values.get(name) {
                None | Some(Value::Null) => None,
                Some(Value::Object(o)) if o.is_empty() => None,
                Some(Value::Number(n)) => Some(n.clone()),
                Some(_) => {
                    return Err(ApiError::bad_request(format!(
                        "aggregate: '{name}' must be a number"
                    )))
                }
            };
            numbers.push((name.to_string(), value));
        }
        Ok(Request {
            filters,
            values: numbers,
        })
    }

    /// Apply `$project` to an output document.
    pub(crate) fn project(&self, document: &mut Map<String, Value>) {
        if let Some(project) = &self.project {
            document.retain(|name, _| project.keeps(name));
        }
    }
}

/// `?aggregate=`: a JSON object of placeholder values; anything else is Eve's 400.
fn aggregate_values(raw: Option<&str>) -> Result<(Option<String>, Map<String, Value>), ApiError> {
    let text = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .find(|(key, _)| key == PARAMETER)
        .map(|(_, value)| value.into_owned());
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok((None, Map::new()));
    };
    if text.len() > query::MAX_WHERE_LEN {
        return Err(ApiError::bad_request(
            "Aggregation query could not be parsed.",
        ));
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok((Some(text), map)),
        _ => Err(ApiError::bad_request(
            "Aggregation query could not be parsed.",
        )),
    }
}

/// GET on an aggregation endpoint: the pipeline's output as Eve's collection
/// envelope, `_items` (plain objects), `_meta` and `_links`, paginated after the
/// pipeline. Eve sends no `ETag`, `Last-Modified` or `X-Total-Count` here.
pub async fn get_aggregation<R: Resource>(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    aggregate(R::INFO, &state, raw.as_deref()).await
}

async fn aggregate(
    info: &'static ResourceInfo,
    state: &AppState,
    raw: Option<&str>,
) -> Result<Response, ApiError> {
    let Some(aggregation) = info.aggregation else {
        return Err(ApiError::not_found());
    };
    let pipeline = aggregation.pipeline(info)?;
    let unpaged;
    let paging = if info.pagination {
        raw
    } else {
        unpaged = crate::options::without_paging(raw);
        Some(unpaged.as_str())
    };
    let params = ListParams::parse(paging, info.pagination_default, info.pagination_limit)?;
    let (text, values) = aggregate_values(raw)?;
    let request = pipeline.request(&values, info)?;
    let page = info.pagination.then_some((params.max_results, params.page));
    let (total, items) = state
        .db
        .read_costly(|conn| crate::sqlite::aggregate::run(conn, info, pipeline, &request, page))
        .await?;
    let mut out = Vec::with_capacity(256 + items.len() * 64);
    out.extend_from_slice(b"{\"_items\":");
    serde_json::to_writer(&mut out, &items).map_err(ApiError::internal)?;
    if info.pagination {
        let meta = serde_json::json!({
            "page": params.page,
            "max_results": params.max_results,
            "total": total,
        });
        out.extend_from_slice(b",\"_meta\":");
        serde_json::to_writer(&mut out, &meta).map_err(ApiError::internal)?;
    }
    links(&mut out, info, &params, text.as_deref(), total);
    out.push(b'}');
    Ok(http::cached(
        info,
        http::json_response(StatusCode::OK, out, None, None),
    ))
}

/// `,"_links":{...}`: `self`, `parent` and the paging links, which keep `aggregate`
/// (Eve keeps every other query argument in them).
fn links(
    out: &mut Vec<u8>,
    info: &ResourceInfo,
    params: &ListParams,
    aggregate: Option<&str>,
    total: i64,
) {
    if !info.hateoas {
        return;
    }
    let href = |page: u32| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(text) = aggregate {
            query.append_pair(PARAMETER, text);
        }
        if params.max_results_given {
            query.append_pair("max_results", &params.max_results.to_string());
        }
        query.append_pair("page", &page.to_string());
        format!("{}?{}", info.url, query.finish())
    };
    out.extend_from_slice(b",\"_links\":{");
    http::write_link(out, "self", info.url, info.url);
    out.push(b',');
    http::write_link(out, "parent", "home", "/");
    let last_page = ((total.max(0) as u64).div_ceil(u64::from(params.max_results.max(1)))).max(1);
    if info.pagination && u64::from(params.page) < last_page {
        out.push(b',');
        http::write_link(out, "next", "next page", &href(params.page + 1));
        out.push(b',');
        http::write_link(out, "last", "last page", &href(last_page as u32));
    }
    if info.pagination && params.page > 1 {
        out.push(b',');
        http::write_link(out, "prev", "previous page", &href(params.page - 1));
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::fixtures::FIELDS;

    fn parse(text: &str) -> Result<Pipeline, PipelineError> {
        Pipeline::parse(text, &FIELDS, &crate::date::RFC1123)
    }

    #[test]
    fn placeholders_are_filled_and_empty_conditions_pruned() {
        let mut stage: Map<String, Value> = serde_json::from_str(
            r#"{"date": {"$gte": "$date"}, "x": "$x", "$or": [{"tags": "$t"}]}"#,
        )
        .unwrap();
        let values: Map<String, Value> =
            serde_json::from_str(r#"{"$x": 4, "$date": {}, "$unknown": 1}"#).unwrap();
        substitute(&mut stage, &values);
        // `$t` is not given: its condition matches nothing, as Eve's literal `"$t"`.
        assert_eq!(
            Value::Object(stage),
            serde_json::json!({"x": 4, "$or": [{"tags": {"$in": []}}]})
        );
    }

    #[test]
    fn stages_out_of_order_are_refused() {
        let error = parse(r#"[{"$limit": 5}, {"$match": {"age": 1}}]"#).unwrap_err();
        assert_eq!(error.stage, Some(1));
        let error = parse(r#"[{"$unwind": "$role"}]"#).unwrap_err();
        assert_eq!(error.message, "unknown stage `$unwind`");
    }

    #[test]
    fn skip_and_limit_compose() {
        let pipeline = parse(r#"[{"$limit": 10}, {"$skip": 3}, {"$limit": 5}]"#).unwrap();
        assert_eq!((pipeline.skip, pipeline.limit), (3, Some(5)));
    }
}
