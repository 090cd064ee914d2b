//! What the generator writes for tabular imports (`[resources.<r>.import]`,
//! `model::imports`): the import operation's OpenAPI description, and the list of
//! importable resources the binary's `import` command dispatches on.

use serde_json::{Value, json};

use crate::model::{Import, Model, Resource};

/// The options an import takes, in the query string or beside `ds`.
fn option_properties(import: &Import, form: bool) -> serde_json::Map<String, Value> {
    let mut keys = vec!["_id".to_string()];
    keys.extend(import.upsert_on.iter().cloned());
    let mut modes = vec!["insert", "upsert"];
    if import.replace {
        modes.push("replace");
    }
    let update = if form {
        json!({"type": "string", "enum": ["0", "1"], "description": "The dataset API's mode: 0 inserts, 1 updates (upsert)"})
    } else {
        json!({"enum": [0, 1, "0", "1"], "description": "The dataset API's mode: 0 inserts, 1 updates (upsert)"})
    };
    let mut properties = serde_json::Map::new();
    properties.insert(
        "mode".into(),
        json!({"type": "string", "enum": modes, "description": "insert (the default), upsert (rows whose key matches a document update it), or replace (the collection is emptied first)"}),
    );
    properties.insert("update".into(), update);
    properties.insert(
        "upsert_on".into(),
        json!({"type": "string", "enum": keys, "description": "The key an upsert matches documents by"}),
    );
    properties.insert(
        "on_error".into(),
        json!({"type": "string", "enum": ["abort", "skip"], "description": "abort: all or nothing (the default); skip: keep the good rows and report the others"}),
    );
    properties
}

/// `POST <collection>/import` in OpenAPI: its bodies, options and report.
pub fn operation(resource: &Resource, import: &Import) -> Value {
    let name = &resource.name;
    let columns: Vec<&str> = std::iter::once("_id")
        .chain(
            resource
                .fields
                .iter()
                .filter(|f| !f.name.starts_with('_'))
                .map(|f| f.name.as_str()),
        )
        .collect();
    let cell =
        json!({"type": ["string", "number", "integer", "boolean", "null", "array", "object"]});
    let table = json!({
        "type": "array",
        "minItems": 1,
        "description": format!("A header row naming the columns (of: {}), then one row per document", columns.join(", ")),
        "items": {"type": "array", "items": cell}
    });
    let mut json_object = option_properties(import, false);
    json_object.insert(
        "ds".into(),
        json!({"oneOf": [table.clone(), {"type": "string", "description": "The table as JSON text"}]}),
    );
    let mut form = option_properties(import, true);
    form.insert(
        "ds".into(),
        json!({"type": "string", "description": "The table as JSON text"}),
    );
    for field in ["visitor", "stamp", "token", "type"] {
        form.insert(
            field.into(),
            json!({"type": "string", "description": "The dataset API's signed request (when the operation accepts it)"}),
        );
    }
    let mut multipart = option_properties(import, true);
    multipart.insert(
        "file".into(),
        json!({"type": "string", "format": "binary", "description": "A CSV (UTF-8) or XLSX file (its first sheet), the header row first"}),
    );
    let query: Vec<Value> = option_properties(import, true)
        .into_iter()
        .map(|(name, schema)| {
            let description = schema["description"].clone();
            json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
        })
        .collect();
    let rejected = json!({
        "type": "array",
        "description": "The rejected rows (the first 1000): the row's number, the header being row 1, and its issues by column",
        "items": {
            "type": "object",
            "required": ["row", "_issues"],
            "properties": {"row": {"type": "integer", "minimum": 1}, "_issues": {"type": "object"}}
        }
    });
    let count = json!({"type": "integer", "minimum": 0});
    let report = |status: &str| {
        let mut properties = json!({
            "_status": {"const": status},
            "rows": count, "inserted": count, "updated": count, "rejected": count, "replaced": count,
            "_rejected": rejected
        });
        let mut required = vec![
            "_status",
            "rows",
            "inserted",
            "updated",
            "rejected",
            "replaced",
            "_rejected",
        ];
        if status == "ERR" {
            properties["_error"] = json!({"type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}});
            required.push("_error");
        }
        json!({"type": "object", "required": required, "properties": properties})
    };
    let error = json!({"$ref": "#/components/responses/Error"});
    let mut responses = serde_json::Map::new();
    responses.insert(
        "200".into(),
        json!({"description": "Imported: the report (with on_error=skip, the rejected rows too)",
            "content": {"application/json": {"schema": report("OK")}}}),
    );
    for code in ["400", "408", "413", "415", "503"] {
        responses.insert(code.into(), error.clone());
    }
    if !import.replace {
        responses.insert("403".into(), error.clone());
    }
    responses.insert(
        "422".into(),
        json!({"description": "Rows were rejected in an all-or-nothing import, which wrote nothing; or the header names unknown columns",
            "content": {"application/json": {"schema": {"anyOf": [report("ERR"), {"$ref": "#/components/schemas/Error"}]}}}}),
    );
    json!({
        "operationId": format!("import_{name}"),
        "summary": format!("Import a table of {name}: JSON or form (`ds`, a header row then rows), CSV, or an XLSX/CSV file"),
        "parameters": query,
        "requestBody": {
            "required": true,
            "content": {
                "application/json": {"schema": {"oneOf": [table, {"type": "object", "required": ["ds"], "properties": json_object}]}},
                "application/x-www-form-urlencoded": {"schema": {"type": "object", "required": ["ds"], "properties": form}},
                "text/csv": {"schema": {"type": "string"}},
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": multipart}}
            }
        },
        "responses": responses
    })
}

/// The resources the binary's `import` command takes: `(name, document type)`.
pub fn importable(model: &Model) -> Vec<(&str, &str)> {
    model
        .resources
        .iter()
        .filter(|r| r.import.is_some() && !r.internal)
        .map(|r| (r.name.as_str(), r.doc_type.as_str()))
        .collect()
}
