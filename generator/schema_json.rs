//! The schema endpoint's answers (`schema_endpoint`): each served resource's schema as
//! Eve serves it, the Cerberus rules in JSON (`{"lastname": {"type": "string",
//! "required": true}, ...}`), made at generation time so the server answers with a
//! constant.
//!
//! As in Eve, a rule appears when the spec sets it, `data_relation` gets its `field`,
//! and `_id` comes last with its type (Eve adds `{"type": "objectid"}`; here the
//! resource's `id_type`).

use serde_json::Value;

use crate::model::{Field, IdType, Literal, Model, Resource};

/// A JSON object written in the order its members were added: Eve answers in the
/// schema's own order, and apigen's `serde_json` sorts the keys of a `Map`.
#[derive(Default)]
struct Object(Vec<(String, String)>);

impl Object {
    fn add(&mut self, key: &str, json: String) {
        self.0.push((key.to_string(), json));
    }

    fn value(&mut self, key: &str, value: impl Into<Value>) {
        self.add(key, value.into().to_string());
    }

    fn finish(self) -> String {
        let members: Vec<String> = self
            .0
            .into_iter()
            .map(|(key, json)| format!("{}:{json}", Value::from(key)))
            .collect();
        format!("{{{}}}", members.join(","))
    }
}

/// `(name, schema as JSON)` of every served resource, in the spec's order (the
/// oplog, when served, last, as Eve adds it).
pub fn schemas(model: &Model) -> Vec<(String, String)> {
    model
        .served()
        .map(|r| (r.name.clone(), resource_schema(r)))
        .collect()
}

/// The answer of the schema endpoint's collection: every served resource's schema.
pub fn all(model: &Model) -> String {
    let mut all = Object::default();
    for (name, schema) in schemas(model) {
        all.add(&name, schema);
    }
    all.finish()
}

/// One resource's schema: its fields' rules, then `_id`'s.
pub fn resource_schema(resource: &Resource) -> String {
    let mut schema = Object::default();
    for field in &resource.fields {
        schema.add(&field.name, rules(field));
    }
    let id_type = match resource.id_type {
        IdType::ObjectId => "objectid",
        IdType::Uuid => "uuid",
        IdType::Integer => "integer",
    };
    let mut id = Object::default();
    id.value("type", id_type);
    schema.add("_id", id.finish());
    schema.finish()
}

/// A field's rules, in the order Eve's documentation lists them.
fn rules(field: &Field) -> String {
    let mut rules = Object::default();
    rules.value("type", field.kind.name());
    let flags = [
        ("required", field.required),
        ("unique", field.unique),
        ("nullable", field.nullable),
    ];
    for (rule, on) in flags {
        if on {
            rules.value(rule, true);
        }
    }
    if let Some(n) = field.minlength {
        rules.value("minlength", n);
    }
    if let Some(n) = field.maxlength {
        rules.value("maxlength", n);
    }
    for (rule, bound) in [("min", &field.min), ("max", &field.max)] {
        match bound {
            Some(apigen_runtime::catalog::Bound::Int(n)) => rules.value(rule, *n),
            Some(apigen_runtime::catalog::Bound::Float(x)) => rules.value(rule, *x),
            None => {}
        }
    }
    if let Some(regex) = &field.regex {
        rules.value("regex", regex.as_str());
    }
    if !field.allowed.is_empty() {
        let allowed: Vec<Value> = field.allowed.iter().map(literal).collect();
        rules.value("allowed", allowed);
    }
    if let Some(default) = &field.default {
        rules.value("default", default.clone());
    }
    if !field.schema.is_empty() {
        let mut nested = Object::default();
        for f in &field.schema {
            nested.add(&f.name, self::rules(f));
        }
        rules.add("schema", nested.finish());
    }
    if let Some(items) = &field.items {
        rules.add("items", self::rules(items));
    }
    if let Some(relation) = &field.relation {
        let mut data_relation = Object::default();
        data_relation.value("resource", relation.resource.as_str());
        data_relation.value("field", relation.field.as_str());
        if relation.embeddable {
            data_relation.value("embeddable", true);
        }
        rules.add("data_relation", data_relation.finish());
    }
    rules.finish()
}

fn literal(literal: &Literal) -> Value {
    match literal {
        Literal::Str(s) => Value::from(s.as_str()),
        Literal::Int(n) => Value::from(*n),
        Literal::Float(x) => Value::from(*x),
        Literal::Bool(b) => Value::Bool(*b),
    }
}
