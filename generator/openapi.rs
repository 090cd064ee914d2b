//! The OpenAPI 3.1 document of an API, built from the Model.

use serde_json::{Map, Value, json};

use crate::model::{Field, Kind, Literal, Model, Resource};

/// The document as pretty-printed JSON with a final newline.
pub fn document_text(model: &Model) -> String {
    let mut text = serde_json::to_string_pretty(&document(model)).unwrap_or_default();
    text.push('\n');
    text
}

pub fn document(model: &Model) -> Value {
    let api = &model.api;
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for resource in model.served() {
        let schema_name = resource.doc_type.trim_end_matches("Document").to_string();
        let mut schema = object_schema(&resource.fields, true);
        if let Some(format) = &api.date_format {
            describe_dates(&mut schema, format.pattern());
        }
        schemas.insert(schema_name.clone(), schema);
        paths.insert(
            format!("/{}", resource.url),
            collection_path(resource, &schema_name),
        );
        paths.insert(
            format!("/{}/{{id}}", resource.url),
            item_path(resource, &schema_name),
        );
    }
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

fn collection_path(resource: &Resource, schema: &str) -> Value {
    let mut item =
        json!({"allOf": [schema_ref(schema), {"$ref": "#/components/schemas/WriteResult"}]});
    item["allOf"][1] = json!({"type": "object", "properties": {
        "_id": {"type": "string"}, "_created": {"type": "string"}, "_updated": {"type": "string"},
        "_etag": {"type": "string"}, "_links": {"type": "object"}}});
    let mut get_responses = error_responses(&["400"]);
    get_responses.insert("200".into(), json!({
        "description": "A page of documents",
        "content": json_content(json!({
            "type": "object",
            "properties": {
                "_items": {"type": "array", "items": item},
                "_meta": {"type": "object", "properties": {
                    "page": {"type": "integer"}, "max_results": {"type": "integer"}, "total": {"type": "integer"}}},
                "_links": {"type": "object"}
            }
        }))
    }));
    if !resource.pagination {
        // Unpaged: every document, and no `_meta`.
        if let Some(properties) =
            get_responses["200"]["content"]["application/json"]["schema"]["properties"]
                .as_object_mut()
        {
            properties.remove("_meta");
        }
        get_responses["200"]["description"] = json!("Every document");
    }
    get_responses.insert("304".into(), json!({"description": "Not modified"}));
    let mut path = Map::new();
    if !resource.path_fields.is_empty() {
        path.insert(
            "parameters".into(),
            Value::Array(path_field_parameters(resource)),
        );
    }
    path.insert(
        "get".into(),
        json!({
            "operationId": format!("list_{}", resource.name),
            "summary": format!("List {}", resource.name),
            "parameters": list_parameters(resource),
            "responses": get_responses
        }),
    );
    if let Some(embedded) = embedded_parameter(resource) {
        path["get"]["parameters"]
            .as_array_mut()
            .expect("the list's parameters")
            .push(embedded);
    }
    if resource.resource_methods.post {
        let mut responses = error_responses(&["400", "413", "415", "422"]);
        responses.insert(
            "201".into(),
            json!({
                "description": "Created",
                "content": json_content(schema_ref("WriteResult"))
            }),
        );
        let body = object_schema(&resource.fields, true);
        path.insert("post".into(), json!({
            "operationId": format!("create_{}", resource.name),
            "summary": format!("Create one {} document, or several (a JSON list, all or nothing)", resource.item_title),
            "requestBody": {"required": true, "content": json_content(json!({"oneOf": [body.clone(), {"type": "array", "items": body}]}))},
            "responses": responses
        }));
    }
    if resource.resource_methods.delete {
        let mut responses = Map::new();
        responses.insert(
            "204".into(),
            json!({"description": "Every document deleted"}),
        );
        path.insert(
            "delete".into(),
            json!({
                "operationId": format!("delete_all_{}", resource.name),
                "summary": format!("Delete every {} document", resource.item_title),
                "responses": responses
            }),
        );
    }
    Value::Object(path)
}

/// The query parameters of a collection GET that the resource's options leave on.
fn list_parameters(resource: &Resource) -> Vec<Value> {
    let mut parameters = Vec::new();
    let filtering = resource
        .allowed_filters
        .as_ref()
        .is_none_or(|allowed| !allowed.is_empty());
    if filtering {
        let mut description = "Filter as JSON: {\"field\": value} or operators $gt $gte $lt $lte $ne $in $nin $regex $exists $and $or".to_string();
        if resource.fields.iter().any(|f| f.kind == Kind::Point) {
            description.push_str("; on point fields $near: {\"$geometry\": {\"type\": \"Point\", \"coordinates\": [lon, lat]}, \"$maxDistance\": metres, \"$minDistance\": metres}, nearest first");
        }
        if let Some(allowed) = &resource.allowed_filters {
            description.push_str(&format!("; allowed fields: {}", allowed.join(", ")));
        }
        parameters.push(
            json!({"name": "where", "in": "query", "schema": {"type": "string"},
            "description": description}),
        );
    }
    if resource.sorting {
        let mut description = "`city,-lastname` or `[(\"lastname\", -1)]`".to_string();
        if let Some(sort) = &resource.datasource.default_sort {
            description.push_str(&format!("; default `{sort}`"));
        }
        parameters.push(
            json!({"name": "sort", "in": "query", "schema": {"type": "string"},
            "description": description}),
        );
    }
    if resource.pagination {
        parameters.push(json!({"name": "max_results", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": resource.pagination_limit, "default": resource.pagination_default}}));
        parameters.push(json!({"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}}));
    }
    if resource.projection {
        parameters.push(projection_parameter());
    }
    parameters
}

fn projection_parameter() -> Value {
    json!({"name": "projection", "in": "query", "schema": {"type": "string"},
        "description": "Fields to include ({\"name\": 1}) or to exclude ({\"name\": 0}); _id, _created, _updated and _etag are always kept"})
}

/// `embedded`, for a resource with embeddable references.
fn embedded_parameter(resource: &Resource) -> Option<Value> {
    if resource.embeds.is_empty() {
        return None;
    }
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
    Some(json!({
        "name": "embedded", "in": "query", "schema": {"type": "string"},
        "description": format!(
            "References to replace by the documents they name, as JSON: {{\"field\": 1}} to embed, {{\"field\": 0}} to opt out of a default. Embeddable: {names}"
        )
    }))
}

fn item_path(resource: &Resource, schema: &str) -> Value {
    let if_match = json!({"name": "If-Match", "in": "header", "required": true, "schema": {"type": "string"},
        "description": "The document's current ETag"});
    let mut path = Map::new();
    let mut parameters = path_field_parameters(resource);
    let mut id = json!({"name": "id", "in": "path", "required": true,
        "schema": resource.id_type.openapi()});
    if let Some(lookup) = &resource.lookup {
        // `additional_lookup`: the same route also takes the lookup field's value (GET only).
        id["schema"] = json!({"oneOf": [resource.id_type.openapi(),
            {"type": "string", "pattern": format!("^(?:{})$", lookup.regex)}]});
        id["description"] = json!(format!(
            "The document's `_id`, or (GET and HEAD only) its `{}`",
            lookup.field
        ));
    }
    parameters.push(id);
    path.insert("parameters".into(), Value::Array(parameters));
    // A bad `embedded` clause is a 400.
    let mut get_responses = error_responses(if resource.embeds.is_empty() {
        &["404"]
    } else {
        &["400", "404"]
    });
    get_responses.insert(
        "200".into(),
        json!({"description": "The document", "content": json_content(schema_ref(schema))}),
    );
    get_responses.insert("304".into(), json!({"description": "Not modified"}));
    let mut parameters = if resource.projection {
        vec![projection_parameter()]
    } else {
        Vec::new()
    };
    parameters.extend(embedded_parameter(resource));
    path.insert(
        "get".into(),
        json!({
            "operationId": format!("get_{}", resource.name),
            "summary": format!("Get one {}", resource.item_title),
            "parameters": parameters,
            "responses": get_responses
        }),
    );
    let write_responses = || {
        let mut responses = error_responses(&["400", "404", "412", "413", "415", "422", "428"]);
        responses.insert(
            "200".into(),
            json!({"description": "Updated", "content": json_content(schema_ref("WriteResult"))}),
        );
        responses
    };
    if resource.item_methods.patch {
        path.insert("patch".into(), json!({
            "operationId": format!("update_{}", resource.name),
            "summary": format!("Update fields of one {} (dotted keys reach into dicts)", resource.item_title),
            "parameters": [if_match.clone()],
            "requestBody": {"required": true, "content": json_content(object_schema(&resource.fields, false))},
            "responses": write_responses()
        }));
    }
    if resource.item_methods.put {
        path.insert("put".into(), json!({
            "operationId": format!("replace_{}", resource.name),
            "summary": format!("Replace one {}", resource.item_title),
            "parameters": [if_match.clone()],
            "requestBody": {"required": true, "content": json_content(object_schema(&resource.fields, true))},
            "responses": write_responses()
        }));
    }
    if resource.item_methods.delete {
        let mut responses = error_responses(&["404", "412", "428"]);
        responses.insert("204".into(), json!({"description": "Deleted"}));
        path.insert(
            "delete".into(),
            json!({
                "operationId": format!("delete_{}", resource.name),
                "summary": format!("Delete one {}", resource.item_title),
                "parameters": [if_match],
                "responses": responses
            }),
        );
    }
    Value::Object(path)
}

/// The `{field}` segments of a sub-resource's url, as path parameters.
fn path_field_parameters(resource: &Resource) -> Vec<Value> {
    resource
        .path_fields
        .iter()
        .filter_map(|name| resource.fields.iter().find(|f| &f.name == name))
        .map(|field| json!({"name": field.name, "in": "path", "required": true, "schema": field.kind.openapi()}))
        .collect()
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

fn field_schema(field: &Field) -> Value {
    let mut schema = field.kind.openapi();
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
    if let Some(n) = field.min {
        object.insert("minimum".into(), number(n));
    }
    if let Some(n) = field.max {
        object.insert("maximum".into(), number(n));
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
        let resource = model.resources.iter().find(|r| {
            path.strip_prefix('/').is_some_and(|p| {
                p == r.url
                    || p.strip_prefix(&r.url)
                        .is_some_and(|rest| rest.starts_with("/{"))
            })
        });
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
                        object.insert("headers".into(), Value::Object(headers));
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
