//! The OpenAPI 3.1 document of an API, built from the Model.

use serde_json::{Map, Value, json};

use crate::model::auth::{AuthRule, Scheme};

use crate::model::{
    Action, Field, Hook, IdType, Kind, Literal, Method, Model, Operation, ParamType, QueryParam,
    Resource, ResultType, Shape,
};

/// The document as pretty-printed JSON with a final newline.
pub fn document_text(model: &Model) -> String {
    let mut text = serde_json::to_string_pretty(&document(model)).unwrap_or_default();
    text.push('\n');
    text
}

pub fn document(model: &Model) -> Value {
    let api = &model.api;
    let dates = date_schema(api.date_format.as_ref().map(|f| f.pattern()));
    let mut schemas = Map::new();
    for resource in model.served() {
        for (name, schema) in resource_schemas(model, resource) {
            schemas.insert(name, schema);
        }
    }
    let paths = paths(model);
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "description": "Eve's error envelope",
            "properties": {
                "_status": {"const": "ERR"},
                "_error": {
                    "type": "object",
                    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
                    "required": ["code", "message"]
                },
                "_issues": {"type": "object", "description": "Validation issues by field"},
                "_items": {
                    "type": "array",
                    "description": "Per-document status of a bulk insert, in the order sent",
                    "items": {"type": "object", "properties": {
                        "_status": {"enum": ["OK", "ERR"]},
                        "_issues": {"type": "object"}
                    }, "required": ["_status"]}
                }
            },
            "required": ["_status", "_error"]
        }),
    );
    if model.served().any(|r| r.lifecycle.soft_delete) {
        // The 404 of a soft-deleted document is the document with Eve's error members,
        // `_status` as Eve writes it there: the tuple `("ERR",)`, a list.
        schemas["Error"]["properties"]["_status"] = json!({
            "anyOf": [{"const": "ERR"}, {"const": ["ERR"]}],
            "description": "`[\"ERR\"]` in the 404 of a soft-deleted document, which carries the document too"
        });
    }
    if model.served().any(|r| r.hateoas) {
        schemas.insert(
            "Link".into(),
            json!({
                "type": "object",
                "description": "A HATEOAS link; `href` is relative to the API root",
                "properties": {"title": {"type": "string"}, "href": {"type": "string"}},
                "required": ["title", "href"],
                "additionalProperties": false
            }),
        );
    }
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
    let schemes = security_schemes(model);
    if !schemes.is_empty() {
        document["components"]["securitySchemes"] = Value::Object(schemes);
    }
    if !api.quotas.is_empty() {
        // Cloud Endpoints' quota configuration: the metrics and their per-minute
        // limits per consumer.
        let metrics: Vec<Value> = api
            .quotas
            .iter()
            .map(|q| json!({"name": q.name, "displayName": q.display_name, "valueType": "INT64", "metricKind": "DELTA"}))
            .collect();
        let limits: Vec<Value> = api
            .quotas
            .iter()
            .map(|q| json!({"name": format!("{}-limit", q.name), "metric": q.name, "unit": "1/min/{project}", "values": {"STANDARD": q.per_minute}}))
            .collect();
        document["x-google-management"] = json!({"metrics": metrics, "quota": {"limits": limits}});
    }
    set_dates(&mut document, &dates);
    http_layer(model, &mut document);
    document
}

/// Every scheme some operation accepts, and the API key's two places.
fn security_schemes(model: &Model) -> Map<String, Value> {
    let mut schemes = Map::new();
    let rules: Vec<&AuthRule> = model
        .operations
        .iter()
        .filter_map(|o| o.settings.auth.as_ref())
        .collect();
    // Each scheme under the spec's word for it.
    for scheme in crate::model::auth::schemes_used(&model.operations) {
        let value = match scheme {
            Scheme::Basic => json!({"type": "http", "scheme": "basic",
                "description": "A user of the server's users (`users add`) and their password"}),
            Scheme::Token => json!({"type": "http", "scheme": "bearer",
                "description": "A token from `tokens create`: `Authorization: Bearer <token>` (also `Token <token>`, or Basic with the token as user name)"}),
            Scheme::Jwt => json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": format!("A JWT from {}", model.api.auth.issuers.iter().map(|i| format!("`{}`", i.issuer)).collect::<Vec<_>>().join(", "))}),
            Scheme::Hmac => json!({"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Eve's HMAC: `<user>:<hex HMAC-SHA256>` with the user's secret over `METHOD\\nPATH?QUERY\\nTIMESTAMP\\nhex(SHA-256(body))`; TIMESTAMP is the `X-Timestamp` (seconds) or `Date` header"}),
            Scheme::Signed => json!({"type": "apiKey", "in": "query", "name": "token",
                "description": "The dataset API's signed request: `visitor`, `stamp` (ms), `type` and `token = hex(SHA1(key + stamp + visitor + type))`, in the query or an urlencoded form"}),
            Scheme::Custom => json!({"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Checked by the service's own `check_auth`"}),
        };
        schemes.insert(scheme.name().into(), value);
    }
    if rules.iter().any(|r| r.api_key_required) {
        schemes.insert(
            "apiKey".into(),
            json!({"type": "apiKey", "in": "header", "name": "x-api-key",
                "description": "An API key from `keys create`"}),
        );
        schemes.insert(
            "apiKeyQuery".into(),
            json!({"type": "apiKey", "in": "query", "name": "key",
                "description": "The API key, in the query string"}),
        );
    }
    schemes
}

/// An operation's `security`: any one of its schemes, each with the API key when one
/// is required.
fn security_requirements(rule: &AuthRule) -> Value {
    let keys: Vec<Option<&str>> = if rule.api_key_required {
        vec![Some("apiKey"), Some("apiKeyQuery")]
    } else {
        vec![None]
    };
    let users: Vec<Option<&str>> = if rule.schemes.is_empty() {
        vec![None]
    } else {
        rule.schemes.iter().map(|s| Some(s.name())).collect()
    };
    let mut alternatives = Vec::new();
    for user in &users {
        for key in &keys {
            let mut requirement = Map::new();
            for name in [user, key].into_iter().flatten() {
                requirement.insert((*name).into(), json!([]));
            }
            alternatives.push(Value::Object(requirement));
        }
    }
    Value::Array(alternatives)
}

/// The schema of a date in the API's format: RFC 1123 unless `date_format` is set.
/// The pattern checks the layout; the server also checks that the date exists (and,
/// when written, its weekday).
fn date_schema(format: Option<&str>) -> Value {
    let format = format.unwrap_or("%a, %d %b %Y %H:%M:%S GMT");
    let mut pattern = String::from("^");
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            // Only ECMA-262's syntax characters: escaping others (`\-`) is an error
            // in its Unicode mode.
            if "\\^$.|?*+()[]{}/".contains(c) {
                pattern.push('\\');
            }
            pattern.push(c);
            continue;
        }
        pattern.push_str(match chars.next() {
            Some('Y') => "[0-9]{4}",
            Some('m') => "(0[1-9]|1[0-2])",
            Some('d') => "(0[1-9]|[12][0-9]|3[01])",
            Some('H') => "([01][0-9]|2[0-3])",
            Some('M') | Some('S') => "[0-5][0-9]",
            Some('a') => "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)",
            Some('b') => "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)",
            Some('z') => "\\+0000",
            Some('Z') => "UTC",
            _ => "%",
        });
    }
    pattern.push('$');
    let description = if format == "%a, %d %b %Y %H:%M:%S GMT" {
        "RFC 1123 date".to_string()
    } else {
        format!("date in the API's date_format \"{format}\"")
    };
    json!({"type": "string", "pattern": pattern, "description": description})
}

/// Replace every date placeholder (`{"x-date": true}`) by the API's date schema.
fn set_dates(value: &mut Value, dates: &Value) {
    match value {
        Value::Object(map) if map.get(DATE_MARK) == Some(&Value::Bool(true)) => {
            let nullable = map.get("type").is_some_and(Value::is_array);
            map.remove(DATE_MARK);
            map.remove("type");
            for (key, value) in dates.as_object().into_iter().flatten() {
                map.entry(key.clone()).or_insert_with(|| value.clone());
            }
            if nullable {
                map.insert("type".into(), json!(["string", "null"]));
            }
        }
        Value::Object(map) => map.values_mut().for_each(|v| set_dates(v, dates)),
        Value::Array(items) => items.iter_mut().for_each(|v| set_dates(v, dates)),
        _ => {}
    }
}

/// Marks a date's schema until `set_dates` writes it in the API's format.
const DATE_MARK: &str = "x-apigen-date";

/// A resource's named schemas. Requests: `People` (a whole document, as POST and PUT
/// send it) and `PeoplePatch` (some of its fields). Responses: `PeopleDocument` (a
/// document as served: meta fields added, any field possibly projected out,
/// references possibly embedded), `PeoplePage`, `PeopleWriteResult` and
/// `PeopleBulkWriteResult`.
fn resource_schemas(model: &Model, resource: &Resource) -> Vec<(String, Value)> {
    let name = schema_name(resource);
    if resource.datasource.aggregation.is_some() {
        return vec![(format!("{name}Page"), aggregation_page(resource))];
    }
    let mut served = Map::new();
    served.insert("_id".into(), id_schema(resource.id_type));
    for field in &resource.fields {
        served.insert(
            field.name.clone(),
            served_field_schema(model, resource, field, &field.name),
        );
    }
    for meta in ["_created", "_updated"] {
        served.insert(meta.into(), json!({DATE_MARK: true}));
    }
    served.insert("_etag".into(), json!({"type": "string"}));
    // `_latest_version` is served, not stored: the others are fields.
    for (member, kind) in resource.kept_members() {
        served.entry(member).or_insert_with(|| kind_schema(kind));
    }
    if resource.hateoas {
        served.insert("_links".into(), document_links_schema(resource));
    }
    // An API-wide fetch hook (`[api] hooks`) is given served documents as JSON, and
    // may add members to them.
    let hooked = !resource.internal
        && model
            .api
            .hooks
            .iter()
            .any(|hook| matches!(hook, Hook::FetchedResource | Hook::FetchedItem));
    let mut document = json!({
        "type": "object",
        "description": format!("A `{}` document as the server sends it: `_id`, `_created`, `_updated` and `_etag` always; its fields unless a projection leaves them out; embedded references as the documents they name", resource.name),
        "properties": served,
        "required": ["_id", "_created", "_updated", "_etag"],
        "additionalProperties": false
    });
    if hooked {
        document["additionalProperties"] = json!(true);
        document["description"] = json!(format!(
            "{}; and what the API's fetch hooks add",
            document["description"].as_str().unwrap_or_default()
        ));
    }
    let mut page = Map::new();
    page.insert(
        "_items".into(),
        json!({"type": "array", "items": schema_ref(&format!("{name}Document"))}),
    );
    let mut required = vec![json!("_items")];
    if resource.pagination {
        page.insert(
            "_meta".into(),
            json!({
                "type": "object",
                "properties": {
                    "page": {"type": "integer", "minimum": 1},
                    "max_results": {"type": "integer", "minimum": 1},
                    "total": {"type": "integer", "minimum": 0}
                },
                "required": ["page", "max_results", "total"],
                "additionalProperties": false
            }),
        );
        required.push(json!("_meta"));
    }
    if resource.hateoas {
        page.insert("_links".into(), links_schema());
        required.push(json!("_links"));
    }
    let page = json!({
        "type": "object",
        "description": if resource.pagination { "A page of documents" } else { "Every document (the resource is not paginated)" },
        "properties": page,
        "required": required,
        "additionalProperties": false
    });
    let mut written = Map::new();
    written.insert("_status".into(), json!({"const": "OK"}));
    written.insert("_id".into(), id_schema(resource.id_type));
    for meta in ["_created", "_updated"] {
        written.insert(meta.into(), json!({DATE_MARK: true}));
    }
    written.insert("_etag".into(), json!({"type": "string"}));
    let mut written_required = vec![
        json!("_status"),
        json!("_id"),
        json!("_created"),
        json!("_updated"),
        json!("_etag"),
    ];
    for (member, kind) in resource.kept_members() {
        written.insert(member.into(), kind_schema(kind));
        written_required.push(json!(member));
    }
    if resource.hateoas {
        written.insert("_links".into(), document_links_schema(resource));
        written_required.push(json!("_links"));
    }
    let write_result = json!({
        "type": "object",
        "description": "A written document's meta fields",
        "properties": written,
        "required": written_required,
        "additionalProperties": false
    });
    let bulk = json!({
        "type": "object",
        "description": "A bulk insert's answer: one write result per document, in the order sent",
        "properties": {
            "_status": {"const": "OK"},
            "_items": {"type": "array", "items": schema_ref(&format!("{name}WriteResult"))}
        },
        "required": ["_status", "_items"],
        "additionalProperties": false
    });
    // A sub-resource's path fields come from the URL: a body may leave them out.
    let mut request = object_schema(resource.schema_fields(), true);
    if let Some(required) = request.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|name| {
            !resource
                .path_fields
                .iter()
                .any(|field| name.as_str() == Some(field))
        });
        if required.is_empty() {
            request.as_object_mut().map(|o| o.remove("required"));
        }
    }
    let mut schemas = vec![
        (name.clone(), request),
        (
            format!("{name}Patch"),
            object_schema(resource.schema_fields(), false),
        ),
        (format!("{name}Document"), document),
        (format!("{name}Page"), page),
        (format!("{name}WriteResult"), write_result),
        (format!("{name}BulkWriteResult"), bulk),
    ];
    if resource.lifecycle.versioning {
        // `?version=all` and `?version=diffs`: versions whole or as diffs, so their
        // items are objects of the document's members, none of them required.
        let items = json!({"type": "array", "items": {"type": "object"}});
        let versions = match resource.hateoas {
            true => json!({
                "type": "object",
                "description": "A document's versions, oldest first (`?version=all` or `diffs`)",
                "properties": {"_items": items, "_meta": {"type": "object"}, "_links": links_schema()},
                "required": ["_items"]
            }),
            false => items,
        };
        schemas.push((format!("{name}Versions"), versions));
    }
    schemas
}

/// An aggregation's page: the pipeline's output documents, plain objects (no meta
/// fields or links of their own), with `_meta` and `_links` as a collection's.
fn aggregation_page(resource: &Resource) -> Value {
    let mut page = Map::new();
    page.insert(
        "_items".into(),
        json!({"type": "array", "items": aggregation_result(resource)}),
    );
    let mut required = vec![json!("_items")];
    if resource.pagination {
        page.insert(
            "_meta".into(),
            json!({
                "type": "object",
                "properties": {
                    "page": {"type": "integer", "minimum": 1},
                    "max_results": {"type": "integer", "minimum": 1},
                    "total": {"type": "integer", "minimum": 0}
                },
                "required": ["page", "max_results", "total"],
                "additionalProperties": false
            }),
        );
        required.push(json!("_meta"));
    }
    if resource.hateoas {
        page.insert("_links".into(), links_schema());
        required.push(json!("_links"));
    }
    json!({
        "type": "object",
        "description": if resource.pagination { "A page of an aggregation's results" } else { "Every result of an aggregation (the resource is not paginated)" },
        "properties": page,
        "required": required,
        "additionalProperties": false
    })
}

/// One result of an aggregation: with `$group`, its fields exactly; without, one of
/// the source's documents as the pipeline leaves it.
fn aggregation_result(resource: &Resource) -> Value {
    let description = format!("One result of the `{}` pipeline", resource.name);
    let Some(results) = resource
        .datasource
        .aggregation
        .as_ref()
        .and_then(|a| a.results.as_ref())
    else {
        return json!({"type": "object", "description": description});
    };
    let nullable = |mut schema: Value| {
        if let Some(ty) = schema.get("type").cloned() {
            schema["type"] = json!([ty, "null"]);
        }
        schema
    };
    let properties: Map<String, Value> = results
        .iter()
        .map(|(name, ty)| {
            let schema = match ty {
                ResultType::Field(kind) => nullable(kind_schema(*kind)),
                ResultType::Null => json!({"type": "null"}),
                ResultType::Count => json!({"type": "integer", "minimum": 0}),
                ResultType::Sum => json!({"type": "number"}),
                ResultType::Average => json!({"type": ["number", "null"]}),
            };
            (name.clone(), schema)
        })
        .collect();
    let required: Vec<&String> = results.iter().map(|(name, _)| name).collect();
    json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

fn links_schema() -> Value {
    json!({"type": "object", "additionalProperties": schema_ref("Link")})
}

/// A document's `_links`: with top-level references, Eve's `related` too, a link (or
/// a list of links) per reference it holds.
fn document_links_schema(resource: &Resource) -> Value {
    let references = resource.fields.iter().any(|field| {
        field.relation.is_some()
            || (field.kind == Kind::List
                && field.items.as_ref().is_some_and(|i| i.relation.is_some()))
    });
    if !references {
        return links_schema();
    }
    let link = schema_ref("Link");
    json!({
        "type": "object",
        "properties": {
            "related": {
                "type": "object",
                "description": "A link to the document each reference names (a list of them for a list of references)",
                "additionalProperties": {"oneOf": [link, {"type": "array", "items": link}]}
            }
        },
        "additionalProperties": link
    })
}

/// A field as served: as the client sent it, except that an embeddable reference at
/// `path` may hold the document it names (or `null` when that is gone).
fn served_field_schema(model: &Model, resource: &Resource, field: &Field, path: &str) -> Value {
    let mut schema = field_schema(field);
    if let Some(object) = schema.as_object_mut() {
        object.remove("default");
    }
    if field.kind == Kind::Dict && !field.schema.is_empty() {
        let properties: Map<String, Value> = field
            .schema
            .iter()
            .map(|f| {
                let inner = format!("{path}.{}", f.name);
                (
                    f.name.clone(),
                    served_field_schema(model, resource, f, &inner),
                )
            })
            .collect();
        schema["properties"] = Value::Object(properties);
    }
    if let Some(items) = &field.items {
        schema["items"] = served_field_schema(model, resource, items, path);
        if let Some(allowed) = field_schema(field)["items"].get("enum") {
            schema["items"]["enum"] = allowed.clone();
        }
    }
    let embedded = field.relation.as_ref().and_then(|relation| {
        resource
            .embeds
            .iter()
            .find(|e| e.path == path)
            .map(|_| &relation.resource)
    });
    match embedded {
        Some(target) if field.kind != Kind::List => {
            let document = model
                .served()
                .find(|r| &r.name == target)
                .map(|r| schema_ref(&format!("{}Document", schema_name(r))))
                .unwrap_or_else(|| json!({"type": "object"}));
            json!({"anyOf": [schema, document, {"type": "null"}],
                "description": format!("A reference to a `{target}` document, or (embedded) the document itself, or null when it is gone")})
        }
        _ => schema,
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
    let name = &resource.doc_type;
    name.strip_suffix("Document").unwrap_or(name).to_string()
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
        for op in &ops {
            if let Some(mut operation) = operation(resource, op, model.api.bulk_max_items) {
                if op.method != Method::Get {
                    only_ids(&ops, &mut operation);
                }
                let pre = crate::model::Hook::Pre(op.method);
                if model.api.hooks.contains(&pre) || resource.hooks.contains(&pre) {
                    // The user's `on_pre_<method>` hook may refuse the request with an
                    // error of its choosing.
                    operation["responses"]["4XX"] = json!({"$ref": "#/components/responses/Error"});
                }
                if let Some(rule) = &op.settings.auth {
                    operation["security"] = security_requirements(rule);
                    operation["responses"]["401"] = json!({"$ref": "#/components/responses/Error"});
                }
                item.insert(op.method.lowercase().into(), operation);
            }
        }
        paths.insert(path, Value::Object(item));
    }
    for op in &model.operations {
        let Some(endpoint) = op
            .endpoint
            .as_ref()
            .and_then(|name| model.endpoints.iter().find(|e| &e.name == name))
        else {
            continue;
        };
        let path = format!("/{}", op.template());
        let mut operation = endpoint_operation(endpoint);
        if let Some(rule) = &op.settings.auth {
            operation["security"] = security_requirements(rule);
            operation["responses"]["401"] = json!({"$ref": "#/components/responses/Error"});
        }
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[op.method.lowercase()] = operation;
    }
    for op in &model.operations {
        if let Some(metering) = &op.settings.metering {
            let path = format!("/{}", op.template());
            let Some(operation) = paths
                .get_mut(&path)
                .and_then(|item| item.get_mut(op.method.lowercase()))
            else {
                continue;
            };
            meter_operation(model, metering, operation);
        }
    }
    paths
}

/// A custom endpoint's operation: its typed parameters, body and answer, and every
/// status its handler answers itself (400 for a body that is not JSON, 422 for a
/// value that breaks a rule, 501 while the user's method is a stub).
fn endpoint_operation(endpoint: &crate::model::endpoints::Endpoint) -> Value {
    let mut parameters: Vec<Value> = endpoint
        .path_fields
        .iter()
        .map(|f| json!({"name": f.name, "in": "path", "required": true, "schema": field_schema(f)}))
        .collect();
    for field in &endpoint.query {
        let mut parameter = if field.kind == Kind::List {
            // A list is sent as JSON text: `?years=[2000,2001]`.
            json!({"name": field.name, "in": "query", "content": json_content(field_schema(field))})
        } else {
            json!({"name": field.name, "in": "query", "schema": field_schema(field)})
        };
        if field.required {
            parameter["required"] = json!(true);
        }
        parameters.push(parameter);
    }
    let mut codes = vec!["400", "422", "500", "501", "503"];
    if endpoint.body.is_some() {
        codes.extend(["408", "413"]);
    }
    codes.sort_unstable();
    let mut responses = error_responses(&codes);
    match &endpoint.response {
        Some(field) => {
            responses.insert(
                "200".into(),
                json!({"description": "The endpoint's answer", "content": json_content(field_schema(field))}),
            );
        }
        None => {
            responses.insert("204".into(), json!({"description": "Done; no content"}));
        }
    }
    let mut operation = json!({
        "operationId": endpoint.operation_id(),
        "tags": ["endpoints"],
        "responses": responses,
    });
    if !endpoint.summary.is_empty() {
        operation["summary"] = json!(endpoint.summary);
    }
    if !endpoint.description.is_empty() {
        operation["description"] = json!(endpoint.description);
    }
    if !parameters.is_empty() {
        operation["parameters"] = Value::Array(parameters);
    }
    if let Some(body) = &endpoint.body {
        operation["requestBody"] =
            json!({"required": body.required, "content": json_content(field_schema(body))});
    }
    operation
}

/// A metered operation: Cloud Endpoints' `x-google-quota` with its metric costs, the
/// rate limit's `X-RateLimit-*` headers, and the 429 a request over either answers.
fn meter_operation(
    model: &Model,
    metering: &crate::model::limits::Metering,
    operation: &mut Value,
) {
    if !metering.costs.is_empty() {
        let costs: Map<String, Value> = metering
            .costs
            .iter()
            .map(|(i, units)| (model.api.quotas[*i].name.clone(), json!(units)))
            .collect();
        operation["x-google-quota"] = json!({"metricCosts": costs});
    }
    let mut too_many = json!({
        "description": "Over a quota or the rate limit: nothing was done or counted; retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    });
    if let Some(rate) = &metering.rate_limit {
        let headers = json!({
            "X-RateLimit-Limit": {"description": format!("Requests allowed per {} s", rate.window_secs), "schema": {"type": "integer"}},
            "X-RateLimit-Remaining": {"description": "Requests left in this window", "schema": {"type": "integer"}},
            "X-RateLimit-Reset": {"description": "When the window ends, in seconds since the epoch", "schema": {"type": "integer"}}
        });
        if let Some(responses) = operation["responses"].as_object_mut() {
            for (code, response) in responses.iter_mut() {
                if let (true, Some(object)) = (code.starts_with('2'), response.as_object_mut()) {
                    object.insert("headers".into(), headers.clone());
                }
            }
        }
        for (name, header) in headers.as_object().into_iter().flatten() {
            too_many["headers"][name] = header.clone();
        }
    }
    operation["responses"]["429"] = too_many;
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

/// A write on a path the additional lookup shares takes only an `_id`: a lookup
/// value is a 405 (documented as such), so the operation's own `id` parameter
/// replaces the path's, which also takes lookup values.
fn only_ids(ops: &[&Operation], operation: &mut Value) {
    let Some(id_type) = ops
        .iter()
        .flat_map(|op| op.params())
        .find_map(|p| match p.ty {
            ParamType::Id(id_type) => Some(id_type),
            _ => None,
        })
    else {
        return;
    };
    if !ops.iter().any(|op| op.action == Action::GetByLookup) {
        return;
    }
    let Some(name) = ops
        .iter()
        .flat_map(|op| op.params())
        .find(|p| matches!(p.ty, ParamType::Id(_)))
        .map(|p| p.name.clone())
    else {
        return;
    };
    let parameter = json!({"name": name, "in": "path", "required": true,
        "schema": id_schema(id_type), "description": "The document's `_id`"});
    let list = operation
        .as_object_mut()
        .map(|o| o.entry("parameters").or_insert_with(|| json!([])));
    if let Some(Value::Array(list)) = list {
        list.insert(0, parameter);
    }
}

/// One operation of a path; `None` for the lookup, which the item GET documents.
///
/// Its responses are every status the runtime's handler can answer: 400 for a query
/// or body the server cannot read (a body that is not JSON or a form too, as in Eve),
/// 404 for an unknown document (or a sub-resource path whose fields name none), 405
/// for a write to an additional lookup's key, 408/413 for a body sent too slowly or
/// too large, 412/428 for a
/// stale or missing `If-Match`, 422 for a document that breaks the rules, and 503
/// when the database stays busy past its timeout.
fn operation(resource: &Resource, op: &Operation, bulk_max_items: u64) -> Option<Value> {
    let name = &resource.name;
    let title = &resource.item_title;
    let schema = schema_name(resource);
    let if_match = || {
        json!({"name": "If-Match", "in": "header", "required": true, "schema": {"type": "string"},
        "description": "The document's current ETag: missing, the answer is 428; another one, 412"})
    };
    let query: Vec<Value> = op
        .query
        .iter()
        .map(|param| query_parameter(resource, *param))
        .collect();
    let request_body = |shape: &Shape| {
        let mut content = json_content(request_schema(resource, shape, Some(bulk_max_items)));
        if resource.media_fields().next().is_some() {
            // Files are uploaded as multipart parts named after their fields (one
            // document: no bulk list). Forms without files are accepted everywhere.
            let single = match shape {
                Shape::PartialDocument(_) => request_schema(resource, shape, None),
                _ => schema_ref(&schema_name(resource)),
            };
            // An empty form is Eve's 400 "No multipart/form-data supplied": at least one
            // part. (A `$ref` cannot carry siblings in every reader: `allOf` it.)
            content["multipart/form-data"] =
                json!({"schema": {"allOf": [single], "minProperties": 1}});
        }
        json!({"required": true, "content": content})
    };
    // A sub-resource's path fields may name nothing: 404 on its collection too.
    let scoped = op.params().next().is_some();
    let lookup = resource.lookup.is_some();
    let mut codes: Vec<&str> = Vec::new();
    let operation = match op.action {
        Action::GetCollection => {
            codes.extend(["400", "503"]);
            if scoped {
                codes.push("404");
            }
            let mut responses = error_responses(&codes);
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
                    "content": json_content(schema_ref(&format!("{schema}Page")))
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
            codes.extend(["400", "408", "413", "422", "503"]);
            if scoped {
                codes.push("404");
            }
            let mut responses = error_responses(&codes);
            let created = match op.request {
                Shape::DocumentOrList(_) => json!({"oneOf": [
                    schema_ref(&format!("{schema}WriteResult")),
                    schema_ref(&format!("{schema}BulkWriteResult"))
                ]}),
                _ => schema_ref(&format!("{schema}WriteResult")),
            };
            responses.insert(
                "201".into(),
                json!({
                    "description": "Created: one write result for a document, a list of them for a bulk insert",
                    "content": json_content(created)
                }),
            );
            json!({
                "operationId": format!("create_{name}"),
                "summary": format!("Create one {title} document, or several (a JSON list, all or nothing)"),
                "requestBody": request_body(&op.request),
                "responses": responses
            })
        }
        Action::DeleteCollection => {
            codes.push("503");
            if scoped {
                codes.push("404");
            }
            let mut responses = error_responses(&codes);
            responses.insert(
                "204".into(),
                json!({"description": "Every document deleted"}),
            );
            json!({
                "operationId": format!("delete_all_{name}"),
                "summary": format!("Delete every {title} document"),
                "responses": responses
            })
        }
        Action::GetItem => {
            // A bad `projection` or `embedded` clause is a 400.
            if !op.query.is_empty() {
                codes.push("400");
            }
            codes.extend(["404", "503"]);
            let mut responses = error_responses(&codes);
            let document = schema_ref(&format!("{schema}Document"));
            let (answer, description) = match op.query.contains(&QueryParam::Version) {
                true => (
                    json!({"anyOf": [document, schema_ref(&format!("{schema}Versions"))]}),
                    "The document (with `version`: that version, or its versions)",
                ),
                false => (document, "The document"),
            };
            responses.insert(
                "200".into(),
                json!({
                    "description": description,
                    "content": json_content(answer)
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
            codes.extend(["400", "404", "408", "412", "413", "422", "428", "503"]);
            if lookup {
                codes.push("405");
            }
            let mut responses = error_responses(&codes);
            responses.insert(
                "200".into(),
                json!({
                    "description": "Updated",
                    "content": json_content(schema_ref(&format!("{schema}WriteResult")))
                }),
            );
            let upsert = op.action == Action::PutItem && resource.upsert_on_put;
            let mut condition = if_match();
            if upsert {
                // Eve's `UPSERT_ON_PUT`: a PUT to an id no document has creates it.
                responses.insert(
                    "201".into(),
                    json!({
                        "description": "Created: no document had this id",
                        "content": json_content(schema_ref(&format!("{schema}WriteResult")))
                    }),
                );
                responses.extend(error_responses(&["409"]));
                condition["required"] = json!(false);
                condition["description"] = json!(
                    "The document's current ETag: missing while the document exists, the answer is 428; another one, 412. Not needed to create a document"
                );
            }
            let (id, summary) = if op.action == Action::PatchItem {
                (
                    format!("update_{name}"),
                    format!("Update fields of one {title} (dotted keys reach into dicts)"),
                )
            } else if upsert {
                (
                    format!("replace_{name}"),
                    format!("Replace one {title}, or create it with this id"),
                )
            } else {
                (format!("replace_{name}"), format!("Replace one {title}"))
            };
            json!({
                "operationId": id,
                "summary": summary,
                "parameters": [condition],
                "requestBody": request_body(&op.request),
                "responses": responses
            })
        }
        Action::DeleteItem => {
            codes.extend(["400", "404", "412", "428", "503"]);
            if lookup {
                codes.push("405");
            }
            let mut responses = error_responses(&codes);
            responses.insert("204".into(), json!({"description": "Deleted"}));
            // As in Eve, If-Match is asked of a document found: deleting one that is
            // not there is 204 with or without it.
            let mut condition = if_match();
            condition["required"] = json!(false);
            condition["description"] = json!(
                "The document's current ETag: missing while the document exists, the answer is 428; another one, 412. Not needed when no document has this id (204)"
            );
            json!({
                "operationId": format!("delete_{name}"),
                "summary": format!("Delete one {title}"),
                "parameters": [condition],
                "responses": responses
            })
        }
        Action::GetAggregation => {
            let mut responses = error_responses(&["400", "503"]);
            responses.insert(
                "200".into(),
                json!({
                    "description": "The pipeline's results",
                    "content": json_content(schema_ref(&format!("{schema}Page")))
                }),
            );
            json!({
                "operationId": format!("aggregate_{name}"),
                "summary": format!("Aggregate {name}"),
                "parameters": query,
                "responses": responses
            })
        }
        Action::Import => {
            let import = resource.import.as_ref()?;
            crate::imports::operation(resource, import)
        }
        Action::Subscribe => {
            codes.extend(["400", "503"]);
            if scoped {
                codes.push("404");
            }
            let mut responses = error_responses(&codes);
            responses.insert(
                "200".into(),
                json!({
                    "description": "Server-Sent Events, until the client leaves: `id:` the event's oplog position, `event:` `insert`, `update` or `delete`, `data:` the document as a GET with this query serves it (a delete: its `_id`). A comment line is a heartbeat; `event: error` with Eve's error envelope ends a stream the server cuts off (a slow consumer). A request with `Upgrade: websocket` becomes a WebSocket carrying several subscriptions: `{\"type\": \"subscribe\", \"id\": \"s1\", \"where\": ..., \"projection\": ..., \"since\": 41}` and `{\"type\": \"unsubscribe\", \"id\": \"s1\"}` in; `subscribed`, `event` (`subscription`, `id`, `event`, `data`) and `error` messages out",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}
                }),
            );
            let mut parameters = query.clone();
            parameters.push(json!({
                "name": "Last-Event-ID", "in": "header", "schema": {"type": "string", "pattern": "^[0-9]+$"},
                "description": "The id of the last event received: the stream starts after it (what EventSource sends when it reconnects)"
            }));
            json!({
                "operationId": format!("subscribe_{name}"),
                "summary": format!("Follow changes to {name} live"),
                "parameters": parameters,
                "responses": responses
            })
        }
        Action::GetByLookup
        | Action::Home
        | Action::OpenApi
        | Action::Schema
        | Action::SchemaItem
        | Action::Endpoint => return None,
    };
    Some(operation)
}

/// The JSON Schema of a request body, by reference to the resource's request
/// schemas. A bulk list holds at least one document (an empty one is a 400) and at
/// most `bulk_max_items` (more is a 413).
fn request_schema(resource: &Resource, shape: &Shape, bulk_max_items: Option<u64>) -> Value {
    let name = schema_name(resource);
    match shape {
        Shape::PartialDocument(_) => schema_ref(&format!("{name}Patch")),
        Shape::DocumentOrList(_) => {
            let mut list = json!({"type": "array", "items": schema_ref(&name), "minItems": 1});
            if let Some(max) = bulk_max_items {
                list["maxItems"] = json!(max);
            }
            json!({"oneOf": [schema_ref(&name), list]})
        }
        _ => schema_ref(&name),
    }
}

/// A query parameter of a GET, described as the resource's options set it.
fn query_parameter(resource: &Resource, param: QueryParam) -> Value {
    match param {
        QueryParam::Where => {
            let mut description = "Filter as JSON: {\"field\": value} or operators $gt $gte $lt $lte $ne $in $nin $regex $exists $and $or; or as Eve's Python expression: field == value, != < <= > >=, in [...], and, or, not, datetime(...), ObjectId(...)".to_string();
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
        // Eve clips a larger `max_results` to the limit rather than refusing it.
        QueryParam::MaxResults => json!({
            "name": "max_results", "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": i64::MAX, "default": resource.pagination_default},
            "description": format!("Documents per page, at most {}: a larger value is clipped to {}", resource.pagination_limit, resource.pagination_limit)
        }),
        QueryParam::Page => {
            json!({"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": u32::MAX, "default": 1}})
        }
        QueryParam::Projection => projection_parameter(),
        QueryParam::Embedded => embedded_parameter(resource),
        QueryParam::Aggregate => {
            let names = resource
                .datasource
                .aggregation
                .iter()
                .flat_map(|a| &a.placeholders)
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>();
            let mut description = "The values of the pipeline's placeholders as JSON, {\"$name\": value}; a `$match` condition whose placeholder is given {} is dropped, one whose placeholder is not given matches nothing (as in Eve)".to_string();
            if !names.is_empty() {
                description.push_str(&format!("; placeholders: {}", names.join(", ")));
            }
            json!({"name": "aggregate", "in": "query", "schema": {"type": "string"},
                "description": description})
        }
        QueryParam::Version => json!({
            "name": "version", "in": "query",
            "schema": {"oneOf": [{"type": "integer", "minimum": 1}, {"enum": ["all", "diffs"]}]},
            "description": "A version of the document (`_version`), or `all` of them (oldest first), or `diffs`: the first whole, then what each version changed"
        }),
        QueryParam::Since => json!({
            "name": "since", "in": "query",
            "schema": {"type": "integer", "minimum": 0, "maximum": i64::MAX},
            "description": "An event id: the stream starts after it (Last-Event-ID takes precedence)"
        }),
        QueryParam::ShowDeleted => json!({
            "name": "show_deleted", "in": "query", "allowEmptyValue": true, "schema": {"type": "string"},
            "description": "Present (with any value, or none): soft-deleted documents are listed too"
        }),
    }
}

fn projection_parameter() -> Value {
    json!({"name": "projection", "in": "query", "schema": {"type": "string"},
        "description": "Fields to include ({\"name\": 1}) or to exclude ({\"name\": 0}), dotted into dicts ({\"location.city\": 1}); _id, _created, _updated and _etag are always kept"})
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
        Kind::Datetime => json!({"type": "string", DATE_MARK: true}),
        Kind::ObjectId => json!({"type": "string", "pattern": "^[0-9a-f]{24}$"}),
        Kind::Dict => json!({"type": "object"}),
        Kind::List => json!({"type": "array"}),
        // Uploaded as a multipart/form-data part; served as the API's media settings
        // say (a base64 string, a URL, null, or an object with extended info).
        Kind::Media => json!({
            "description": "a file: sent as a multipart/form-data part named after the field",
        }),
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
        // Not listed on the operations: a request carrying it is answered as the
        // named method's operation on the same path (documented there), which an
        // operation's own responses cannot say.
        parameters.insert("methodOverride".into(), json!({
            "name": "X-HTTP-Method-Override", "in": "header",
            "schema": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
            "description": "Handle this request as the named method (for clients that can only send GET and POST): it is answered as that method's operation on the same path, or 405 where the path has none"
        }));
    }
    if let Some(arg) = &web.jsonp_argument {
        parameters.insert("jsonp".into(), json!({
            "name": arg, "in": "query",
            "schema": {"type": "string", "maxLength": 128, "pattern": "^[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*$"},
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
            if method == "get" {
                added.push(reference("pretty"));
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
            if web.jsonp_argument.is_some() {
                // A callback name that is no JavaScript name is refused.
                responses
                    .entry("400")
                    .or_insert_with(|| json!({"$ref": "#/components/responses/Error"}));
            }
            for (code, response) in responses.iter_mut() {
                // JSONP and XML render JSON answers (not a live subscription's events).
                let json_content = response
                    .get_mut("content")
                    .and_then(Value::as_object_mut)
                    .filter(|content| content.contains_key("application/json"));
                if web.jsonp_argument.is_some()
                    && let Some(content) = json_content
                {
                    content.insert("application/javascript".into(), jsonp_content());
                }
                let json_content = response
                    .get_mut("content")
                    .and_then(Value::as_object_mut)
                    .filter(|content| content.contains_key("application/json"));
                if web.xml
                    && let Some(content) = json_content
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
            // A preflight reads no document: any value of the path's parameters is
            // answered, so the operation takes any string where the path is stricter.
            let parameters: Vec<Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| json!({"name": p["name"], "in": "path", "required": true, "schema": {"type": "string"}}))
                .collect();
            let mut options = json!({
                "summary": "CORS preflight: the methods of this path, and the Access-Control-* grant for an allowed Origin",
                "responses": {"200": {"description": "The path's methods in Allow and Access-Control-Allow-Methods"}}
            });
            if !parameters.is_empty() {
                options["parameters"] = Value::Array(parameters);
            }
            item.insert("options".into(), options);
        }
    }
    if let Some(components) = document
        .get_mut("components")
        .and_then(Value::as_object_mut)
    {
        components.insert("parameters".into(), Value::Object(parameters));
        if let Some(content) = components
            .get_mut("responses")
            .and_then(|r| r.get_mut("Error"))
            .and_then(|e| e.get_mut("content"))
            .and_then(Value::as_object_mut)
        {
            if web.xml {
                content.insert(
                    "application/xml".into(),
                    json!({"schema": {"type": "string"}}),
                );
            }
            if web.jsonp_argument.is_some() {
                content.insert("application/javascript".into(), jsonp_content());
            }
        }
    }
}

/// A JSON answer wrapped for JSONP.
fn jsonp_content() -> Value {
    json!({"schema": {"type": "string", "description": "JSONP: the JSON answer as `<callback>(<json>)`"}})
}
