//! The OpenAPI 3.1 document of an API, built from the Model.

use serde_json::{Map, Value, json};

use crate::model::{
    Action, Field, IdType, Kind, Literal, Model, Operation, ParamType, QueryParam, Resource, Shape,
};

/// The document as pretty-printed JSON with a final newline.
pub fn document_text(model: &Model) -> String {
    let mut text = serde_json::to_string_pretty(&document(model)).unwrap_or_default();
    text.push('\n');
    text
}

pub fn document(model: &Model) -> Value {
    let api = &model.api;
    let mut schemas = Map::new();
    for resource in model.served() {
        let mut schema = object_schema(&resource.fields, true);
        if let Some(format) = &api.date_format {
            describe_dates(&mut schema, format.pattern());
        }
        schemas.insert(schema_name(resource), schema);
    }
    let paths = paths(model);
    schemas.insert("Error".into(), json!({
        "type": "object",
        "description": "Eve's error envelope",
        "properties": {
            "_status": {"const": "ERR"},
            "_error": {"type": "object", "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}},
            "_issues": {"type": "object", "description": "Validation issues by field"},
            "_items": {"type": "array", "description": "Per-document status of a bulk insert"}
        },
        "required": ["_status", "_error"]
    }));
    // `id_type = "integer"` resources answer their `_id` as a number.
    let write_id = if model
        .resources
        .iter()
        .any(|r| r.id_type == crate::model::IdType::Integer)
    {
        json!({"type": ["string", "integer"]})
    } else {
        json!({"type": "string"})
    };
    schemas.insert(
        "WriteResult".into(),
        json!({
            "type": "object",
            "properties": {
                "_status": {"const": "OK"},
                "_id": write_id,
                "_created": {"type": "string"},
                "_updated": {"type": "string"},
                "_etag": {"type": "string"},
                "_links": {"type": "object"}
            }
        }),
    );
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": api.title,
            "version": api.version,
            "description": api.description,
        },
        "servers": [{"url": if api.prefix.is_empty() { "/".to_string() } else { api.prefix.clone() }}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {
                "Error": {
                    "description": "An error in Eve's envelope",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                }
            }
        }
    });
    http_layer(model, &mut document);
    document
}

/// Datetime fields of an API with a custom `date_format` are written in it.
fn describe_dates(schema: &mut Value, pattern: &str) {
    match schema {
        Value::Object(map) => {
            if map.get("description").and_then(Value::as_str) == Some("RFC 1123 date") {
                map.insert(
                    "description".into(),
                    Value::String(format!("date in the API's date_format \"{pattern}\"")),
                );
            }
            map.values_mut().for_each(|v| describe_dates(v, pattern));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| describe_dates(v, pattern)),
        _ => {}
    }
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn error_responses(codes: &[&str]) -> Map<String, Value> {
    codes
        .iter()
        .map(|code| {
            (
                code.to_string(),
                json!({"$ref": "#/components/responses/Error"}),
            )
        })
        .collect()
}

/// A resource's schema in `components`: `People` for `PeopleDocument`.
fn schema_name(resource: &Resource) -> String {
    resource.doc_type.trim_end_matches("Document").to_string()
}

/// The resources' operations by path. The API's own pages (the home page and this
/// document) are not part of the API it describes.
fn paths(model: &Model) -> Map<String, Value> {
    let mut by_path: Vec<(String, &Resource, Vec<&Operation>)> = Vec::new();
    for op in &model.operations {
        let Some(resource) = op
            .resource
            .as_ref()
            .and_then(|name| model.resources.iter().find(|r| &r.name == name))
        else {
            continue;
        };
        let path = format!("/{}", op.template());
        match by_path.iter_mut().find(|(p, _, _)| *p == path) {
            Some((_, _, ops)) => ops.push(op),
            None => by_path.push((path, resource, vec![op])),
        }
    }
    let mut paths = Map::new();
    for (path, resource, ops) in by_path {
        let mut item = Map::new();
        let parameters = path_parameters(&ops);
        if !parameters.is_empty() {
            item.insert("parameters".into(), Value::Array(parameters));
        }
        for op in ops {
            if let Some(operation) = operation(resource, op, model.api.bulk_max_items) {
                item.insert(op.method.lowercase().into(), operation);
            }
        }
        paths.insert(path, Value::Object(item));
    }
    paths
}

/// The parameters of a path's template, shared by its operations. An item's `id`
/// also takes the additional lookup's values when a lookup shares the path.
fn path_parameters(ops: &[&Operation]) -> Vec<Value> {
    let lookup = ops
        .iter()
        .flat_map(|op| op.params())
        .find_map(|p| match &p.ty {
            ParamType::Lookup { field, regex, .. } => Some((field, regex)),
            _ => None,
        });
    let Some(first) = ops.first() else {
        return Vec::new();
    };
    first
        .params()
        .map(|param| {
            let schema = match &param.ty {
                ParamType::Field(kind) => kind_schema(*kind),
                ParamType::Id(id_type) => id_schema(*id_type),
                ParamType::Lookup { .. } => json!({"type": "string"}),
            };
            let mut parameter =
                json!({"name": param.name, "in": "path", "required": true, "schema": schema});
            if let (ParamType::Id(id_type), Some((field, regex))) = (&param.ty, lookup) {
                // `additional_lookup`: the same route also takes the lookup field's
                // value (GET only).
                parameter["schema"] = json!({"oneOf": [id_schema(*id_type),
                    {"type": "string", "pattern": format!("^(?:{regex})$")}]});
                parameter["description"] = json!(format!(
                    "The document's `_id`, or (GET and HEAD only) its `{field}`"
                ));
            }
            parameter
        })
        .collect()
}

/// One operation of a path; `None` for the lookup, which the item GET documents.
fn operation(resource: &Resource, op: &Operation, bulk_max_items: u64) -> Option<Value> {
    let name = &resource.name;
    let title = &resource.item_title;
    let if_match = || {
        json!({"name": "If-Match", "in": "header", "required": true, "schema": {"type": "string"},
        "description": "The document's current ETag"})
    };
    let query: Vec<Value> = op
        .query
        .iter()
        .map(|param| query_parameter(resource, *param))
        .collect();
    let request_body = |shape: &Shape| json!({"required": true, "content": json_content(request_schema(resource, shape, Some(bulk_max_items)))});
    let operation = match op.action {
        Action::GetCollection => {
            let mut responses = error_responses(&["400"]);
            let description = if resource.pagination {
                "A page of documents"
            } else {
                "Every document"
            };
            // `If-Modified-Since` does not apply to pages (as in Eve); `If-None-Match` does.
            responses.insert(
                "200".into(),
                json!({
                    "description": description,
                    "headers": {
                        "X-Total-Count": {
                            "description": "How many documents the query matches, on every page",
                            "schema": {"type": "integer", "minimum": 0}
                        },
                        "Last-Modified": {
                            "description": "When the newest document of the page changed (RFC 1123 date); absent for an empty page",
                            "schema": {"type": "string"}
                        },
                        "ETag": {
                            "description": "The page's tag: it changes with any of its documents, the count, the paging or the projection",
                            "schema": {"type": "string"}
                        }
                    },
                    "content": json_content(shape_schema(resource, &op.response))
                }),
            );
            responses.insert(
                "304".into(),
                json!({"description": "Not modified: If-None-Match holds the page's tag"}),
            );
            json!({
                "operationId": format!("list_{name}"),
                "summary": format!("List {name}"),
                "parameters": query,
                "responses": responses
            })
        }
        Action::PostCollection => {
            let mut responses = error_responses(&["400", "413", "415", "422"]);
            responses.insert(
                "201".into(),
                json!({
                    "description": "Created",
                    "content": json_content(shape_schema(resource, &op.response))
                }),
            );
            json!({
                "operationId": format!("create_{name}"),
                "summary": format!("Create one {title} document, or several (a JSON list, all or nothing)"),
                "requestBody": request_body(&op.request),
                "responses": responses
            })
        }
        Action::DeleteCollection => json!({
            "operationId": format!("delete_all_{name}"),
            "summary": format!("Delete every {title} document"),
            "responses": {"204": {"description": "Every document deleted"}}
        }),
        Action::GetItem => {
            // A bad `embedded` clause is a 400.
            let mut responses = error_responses(if resource.embeds.is_empty() {
                &["404"]
            } else {
                &["400", "404"]
            });
            responses.insert(
                "200".into(),
                json!({
                    "description": "The document",
                    "content": json_content(shape_schema(resource, &op.response))
                }),
            );
            responses.insert("304".into(), json!({"description": "Not modified"}));
            json!({
                "operationId": format!("get_{name}"),
                "summary": format!("Get one {title}"),
                "parameters": query,
                "responses": responses
            })
        }
        Action::PatchItem | Action::PutItem => {
            let mut responses = error_responses(&["400", "404", "412", "413", "415", "422", "428"]);
            responses.insert(
                "200".into(),
                json!({
                    "description": "Updated",
                    "content": json_content(shape_schema(resource, &op.response))
                }),
            );
            let (id, summary) = if op.action == Action::PatchItem {
                (
                    format!("update_{name}"),
                    format!("Update fields of one {title} (dotted keys reach into dicts)"),
                )
            } else {
                (format!("replace_{name}"), format!("Replace one {title}"))
            };
            json!({
                "operationId": id,
                "summary": summary,
                "parameters": [if_match()],
                "requestBody": request_body(&op.request),
                "responses": responses
            })
        }
        Action::DeleteItem => {
            let mut responses = error_responses(&["404", "412", "428"]);
            responses.insert("204".into(), json!({"description": "Deleted"}));
            json!({
                "operationId": format!("delete_{name}"),
                "summary": format!("Delete one {title}"),
                "parameters": [if_match()],
                "responses": responses
            })
        }
        Action::GetByLookup | Action::Home | Action::OpenApi => return None,
    };
    Some(operation)
}

/// The JSON Schema of a request body: written out, as the client sends it. A bulk
/// list holds at least one document and at most `bulk_max_items`, when given.
fn request_schema(resource: &Resource, shape: &Shape, bulk_max_items: Option<u64>) -> Value {
    match shape {
        Shape::Document(_) => object_schema(&resource.fields, true),
        Shape::PartialDocument(_) => object_schema(&resource.fields, false),
        Shape::DocumentOrList(_) => {
            let body = object_schema(&resource.fields, true);
            let mut list = json!({"type": "array", "items": body, "minItems": 1});
            if let Some(max) = bulk_max_items {
                list["maxItems"] = json!(max);
            }
            json!({"oneOf": [body, list]})
        }
        other => shape_schema(resource, other),
    }
}

/// The JSON Schema of a response body.
fn shape_schema(resource: &Resource, shape: &Shape) -> Value {
    match shape {
        Shape::Document(_) => schema_ref(&schema_name(resource)),
        Shape::PartialDocument(_) | Shape::DocumentOrList(_) => {
            request_schema(resource, shape, None)
        }
        Shape::Collection(_) => {
            let item = json!({"allOf": [schema_ref(&schema_name(resource)), {"type": "object", "properties": {
                "_id": {"type": "string"}, "_created": {"type": "string"}, "_updated": {"type": "string"},
                "_etag": {"type": "string"}, "_links": {"type": "object"}}}]});
            let mut schema = json!({
                "type": "object",
                "properties": {
                    "_items": {"type": "array", "items": item},
                    "_meta": {"type": "object", "properties": {
                        "page": {"type": "integer"}, "max_results": {"type": "integer"}, "total": {"type": "integer"}}},
                    "_links": {"type": "object"}
                }
            });
            if !resource.pagination {
                // Unpaged: every document, and no `_meta`.
                if let Some(properties) = schema["properties"].as_object_mut() {
                    properties.remove("_meta");
                }
            }
            schema
        }
        Shape::WriteResult(_) => schema_ref("WriteResult"),
        Shape::None | Shape::Home | Shape::OpenApi => json!({}),
    }
}

/// A query parameter of a GET, described as the resource's options set it.
fn query_parameter(resource: &Resource, param: QueryParam) -> Value {
    match param {
        QueryParam::Where => {
            let mut description = "Filter as JSON: {\"field\": value} or operators $gt $gte $lt $lte $ne $in $nin $regex $exists $and $or".to_string();
            if resource.fields.iter().any(|f| f.kind == Kind::Point) {
                description.push_str("; on point fields $near: {\"$geometry\": {\"type\": \"Point\", \"coordinates\": [lon, lat]}, \"$maxDistance\": metres, \"$minDistance\": metres}, nearest first");
            }
            if let Some(allowed) = &resource.allowed_filters {
                description.push_str(&format!("; allowed fields: {}", allowed.join(", ")));
            }
            json!({"name": "where", "in": "query", "schema": {"type": "string"},
                "description": description})
        }
        QueryParam::Sort => {
            let mut description = "`city,-lastname` or `[(\"lastname\", -1)]`".to_string();
            if let Some(sort) = &resource.datasource.default_sort {
                description.push_str(&format!("; default `{sort}`"));
            }
            json!({"name": "sort", "in": "query", "schema": {"type": "string"},
                "description": description})
        }
        QueryParam::MaxResults => {
            json!({"name": "max_results", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": resource.pagination_limit, "default": resource.pagination_default}})
        }
        QueryParam::Page => {
            json!({"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}})
        }
        QueryParam::Projection => projection_parameter(),
        QueryParam::Embedded => embedded_parameter(resource),
    }
}

fn projection_parameter() -> Value {
    json!({"name": "projection", "in": "query", "schema": {"type": "string"},
        "description": "Fields to include ({\"name\": 1}) or to exclude ({\"name\": 0}); _id, _created, _updated and _etag are always kept"})
}

/// `embedded`, for a resource with embeddable references.
fn embedded_parameter(resource: &Resource) -> Value {
    let names = resource
        .embeds
        .iter()
        .map(|e| {
            if e.default {
                format!("`{}` (embedded by default)", e.path)
            } else {
                format!("`{}`", e.path)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    json!({
        "name": "embedded", "in": "query", "schema": {"type": "string"},
        "description": format!(
            "References to replace by the documents they name, as JSON: {{\"field\": 1}} to embed, {{\"field\": 0}} to opt out of a default. Embeddable: {names}"
        )
    })
}

/// JSON Schema of an object with these fields; `with_required` lists required ones.
fn object_schema(fields: &[Field], with_required: bool) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in fields {
        properties.insert(field.name.clone(), field_schema(field));
        if field.required && with_required {
            required.push(Value::String(field.name.clone()));
        }
    }
    let mut schema =
        json!({"type": "object", "properties": properties, "additionalProperties": false});
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    schema
}

/// The OpenAPI schema of a value of `kind`.
fn kind_schema(kind: Kind) -> Value {
    match kind {
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

/// The OpenAPI schema of an `_id` of `id_type`.
fn id_schema(id_type: IdType) -> Value {
    match id_type {
        IdType::ObjectId => kind_schema(Kind::ObjectId),
        IdType::Uuid => json!({"type": "string", "format": "uuid"}),
        IdType::Integer => json!({"type": "integer", "format": "int64"}),
    }
}

fn field_schema(field: &Field) -> Value {
    let mut schema = kind_schema(field.kind);
    let object = schema.as_object_mut().expect("kind schemas are objects");
    let number = |n: f64| {
        if n.fract() == 0.0 && n.abs() < 1e15 {
            json!(n as i64)
        } else {
            json!(n)
        }
    };
    if let Some(n) = field.minlength {
        object.insert(
            if field.kind == Kind::List {
                "minItems"
            } else {
                "minLength"
            }
            .into(),
            json!(n),
        );
    }
    if let Some(n) = field.maxlength {
        object.insert(
            if field.kind == Kind::List {
                "maxItems"
            } else {
                "maxLength"
            }
            .into(),
            json!(n),
        );
    }
    for (key, bound) in [("minimum", field.min), ("maximum", field.max)] {
        match bound {
            Some(apigen_runtime::catalog::Bound::Int(n)) => {
                object.insert(key.into(), json!(n));
            }
            Some(apigen_runtime::catalog::Bound::Float(n)) => {
                object.insert(key.into(), number(n));
            }
            None => {}
        }
    }
    if let Some(pattern) = &field.regex {
        object.insert("pattern".into(), json!(format!("^(?:{pattern})$")));
    }
    if let Some(default) = &field.default {
        object.insert("default".into(), default.clone());
    }
    let allowed: Vec<Value> = field
        .allowed
        .iter()
        .map(|l| match l {
            Literal::Str(s) => json!(s),
            Literal::Int(i) => json!(i),
            Literal::Float(f) => json!(f),
            Literal::Bool(b) => json!(b),
        })
        .collect();
    if field.kind == Kind::Dict && !field.schema.is_empty() {
        let nested = object_schema(&field.schema, true);
        for (key, value) in nested.as_object().into_iter().flatten() {
            object.insert(key.clone(), value.clone());
        }
    }
    if field.kind == Kind::List {
        let mut items = match &field.items {
            Some(items) => field_schema(items),
            None => json!({}),
        };
        if !allowed.is_empty() {
            items["enum"] = Value::Array(allowed.clone());
        }
        object.insert("items".into(), items);
    } else if !allowed.is_empty() {
        object.insert("enum".into(), Value::Array(allowed));
    }
    if let Some(relation) = &field.relation {
        object.insert(
            "description".into(),
            json!(format!(
                "`{}` of a `{}` document",
                relation.field, relation.resource
            )),
        );
    }
    if field.nullable {
        let kind = object.get("type").cloned().unwrap_or(Value::Null);
        object.insert("type".into(), json!([kind, "null"]));
    }
    schema
}

/// Document the HTTP layer in an OpenAPI document built from `model`: `pretty` on
/// GETs, the JSONP argument, `X-HTTP-Method-Override` on POSTs, XML answers,
/// cache headers and CORS preflights.
fn http_layer(model: &Model, document: &mut Value) {
    let web = &model.api.web;
    let mut parameters = serde_json::Map::new();
    parameters.insert(
        "pretty".into(),
        json!({
            "name": "pretty", "in": "query", "allowEmptyValue": true, "schema": {"type": "string"},
            "description": "Present: the JSON answer is indented"
        }),
    );
    if web.method_override {
        parameters.insert("methodOverride".into(), json!({
            "name": "X-HTTP-Method-Override", "in": "header",
            "schema": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
            "description": "Handle this request as the named method (for clients that can only send GET and POST)"
        }));
    }
    if let Some(arg) = &web.jsonp_argument {
        parameters.insert("jsonp".into(), json!({
            "name": arg, "in": "query",
            "schema": {"type": "string", "pattern": "^[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*$"},
            "description": "JSONP: the JSON answer wrapped as `<callback>(<json>)`, as application/javascript"
        }));
    }
    let reference = |name: &str| json!({"$ref": format!("#/components/parameters/{name}")});
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let resource = model
            .operations
            .iter()
            .find(|op| path.strip_prefix('/') == Some(op.template().as_str()))
            .and_then(|op| op.resource.as_ref())
            .and_then(|name| model.resources.iter().find(|r| &r.name == name));
        for (method, operation) in item.iter_mut() {
            let Some(operation) = operation.as_object_mut() else {
                continue;
            };
            let mut added = Vec::new();
            match method.as_str() {
                "get" => added.push(reference("pretty")),
                "post" if web.method_override => added.push(reference("methodOverride")),
                _ => {}
            }
            if web.jsonp_argument.is_some() {
                added.push(reference("jsonp"));
            }
            if !added.is_empty() {
                let list = operation
                    .entry("parameters")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Some(list) = list.as_array_mut() {
                    list.extend(added);
                }
            }
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            for (code, response) in responses.iter_mut() {
                if web.xml
                    && let Some(content) =
                        response.get_mut("content").and_then(Value::as_object_mut)
                {
                    content.insert("application/xml".into(), json!({
                        "schema": {"type": "string", "description": "Eve's XML rendering of the JSON answer"}
                    }));
                }
                let cache = resource
                    .map(|r| &r.cache)
                    .filter(|c| !c.control.is_empty() || c.expires > 0);
                if let (Some(cache), "get", "200" | "304") = (cache, method.as_str(), code.as_str())
                {
                    let mut headers = serde_json::Map::new();
                    if !cache.control.is_empty() {
                        headers.insert(
                            "Cache-Control".into(),
                            json!({"schema": {"const": cache.control}}),
                        );
                    }
                    if cache.expires > 0 {
                        headers.insert("Expires".into(), json!({
                            "schema": {"type": "string"},
                            "description": format!("{} seconds after the answer (RFC 1123 date)", cache.expires)
                        }));
                    }
                    if let Some(object) = response.as_object_mut() {
                        match object.get_mut("headers").and_then(Value::as_object_mut) {
                            Some(existing) => existing.extend(headers),
                            None => {
                                object.insert("headers".into(), Value::Object(headers));
                            }
                        }
                    }
                }
            }
        }
        if web.cors.is_some() {
            item.insert("options".into(), json!({
                "summary": "CORS preflight: the methods of this path, and the Access-Control-* grant for an allowed Origin",
                "responses": {"200": {"description": "The path's methods in Allow and Access-Control-Allow-Methods"}}
            }));
        }
    }
    if let Some(components) = document
        .get_mut("components")
        .and_then(Value::as_object_mut)
    {
        components.insert("parameters".into(), Value::Object(parameters));
        if web.xml
            && let Some(content) = components
                .get_mut("responses")
                .and_then(|r| r.get_mut("Error"))
                .and_then(|e| e.get_mut("content"))
                .and_then(Value::as_object_mut)
        {
            content.insert(
                "application/xml".into(),
                json!({"schema": {"type": "string"}}),
            );
        }
    }
}
