//! The types `index.ts` declares: the credentials type, each resource's document as
//! served, its inputs (create/replace, update), its id type, field paths, query and
//! item-read options, and its typed field accessors; each aggregation's result and
//! parameters; each custom endpoint's path, query, body and answer types.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{Index, Use, doc_text, lit, member, prop};
use crate::model::auth::Scheme;
use crate::model::endpoints::Endpoint;
use crate::model::{Field, IdType, Kind, Resource, ResultType};

impl Index<'_> {
    /// The schemes some operation accepts, in a fixed order.
    fn schemes(&self) -> Vec<Scheme> {
        let mut schemes: BTreeSet<Scheme> = BTreeSet::new();
        for op in &self.model.operations {
            if let Some(rule) = &op.settings.auth {
                schemes.extend(rule.schemes.iter().copied());
            }
        }
        schemes.into_iter().collect()
    }

    pub(super) fn credentials(&mut self) {
        let schemes = self.schemes();
        let types: Vec<&str> = schemes
            .iter()
            .map(|s| match s {
                Scheme::Basic => "rt.BasicAuth",
                Scheme::Token => "rt.TokenAuth",
                Scheme::Hmac => "rt.HmacAuth",
                Scheme::Jwt => "rt.JwtAuth",
                Scheme::Signed => "rt.SignedAuth",
                Scheme::Custom => "rt.CustomAuth",
            })
            .collect();
        let list = if types.is_empty() {
            "never".to_string()
        } else {
            types.join(" | ")
        };
        let names: Vec<&str> = schemes.iter().map(|s| s.name()).collect();
        let said = if names.is_empty() {
            "none: every operation is open".to_string()
        } else {
            names.join(", ")
        };
        let api_key = self.model.operations.iter().any(|op| {
            op.settings
                .auth
                .as_ref()
                .is_some_and(|r| r.api_key_required)
        });
        let _ = writeln!(
            self.out,
            "/** The credentials this API accepts (the schemes its spec declares: {said}){}. */\nexport type Credentials = {list};\n",
            if api_key {
                "; some operations also need `apiKey`"
            } else {
                ""
            }
        );
    }

    /// The TypeScript type of a value of `field`.
    pub(super) fn ts_type(
        &self,
        field: &Field,
        resource: Option<&Resource>,
        path: &str,
        usage: Use,
    ) -> String {
        let base = match field.kind {
            Kind::String | Kind::Integer | Kind::Float | Kind::Number
                if !field.allowed.is_empty() && field.kind != Kind::List =>
            {
                field
                    .allowed
                    .iter()
                    .map(|literal| match literal {
                        crate::model::Literal::Str(s) => lit(s),
                        crate::model::Literal::Int(i) => i.to_string(),
                        crate::model::Literal::Float(f) => f.to_string(),
                        crate::model::Literal::Bool(b) => b.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            }
            Kind::String | Kind::Datetime | Kind::ObjectId => "string".to_string(),
            Kind::Integer | Kind::Float | Kind::Number => "number".to_string(),
            Kind::Boolean => "boolean".to_string(),
            Kind::Dict if field.schema.is_empty() => "{ [key: string]: rt.Json }".to_string(),
            Kind::Dict => {
                let members: Vec<String> = field
                    .schema
                    .iter()
                    .map(|f| {
                        let inner = format!("{path}.{}", f.name);
                        let optional = !f.required;
                        format!(
                            "{}{}: {}",
                            prop(&f.name),
                            if optional { "?" } else { "" },
                            self.ts_type(f, resource, &inner, usage)
                        )
                    })
                    .collect();
                format!("{{ {} }}", members.join("; "))
            }
            Kind::List => match &field.items {
                Some(items) => {
                    let item = self.ts_type(items, resource, path, usage);
                    if item.contains(' ') && !item.starts_with('{') {
                        format!("({item})[]")
                    } else {
                        format!("{item}[]")
                    }
                }
                None => "rt.Json[]".to_string(),
            },
            Kind::Media => match usage {
                Use::Served => "unknown".to_string(),
                Use::Input => "Blob".to_string(),
            },
            Kind::GeometryCollection => {
                "{ type: \"GeometryCollection\"; geometries: rt.Json[] }".to_string()
            }
            geo => format!(
                "{{ type: {}; coordinates: rt.Json[] }}",
                lit(geo.geojson_type().unwrap_or("Point"))
            ),
        };
        let mut ty = base;
        if usage == Use::Served
            && let (Some(relation), Some(resource)) = (&field.relation, resource)
            && resource.embeds.iter().any(|e| e.path == path)
            && self.model.served().any(|r| r.name == relation.resource)
        {
            let target = self.name_of(&relation.resource).to_string();
            ty = format!("{ty} | {target} | null");
        }
        if field.nullable && !ty.ends_with("| null") {
            ty = format!("{ty} | null");
        }
        ty
    }

    pub(super) fn id_type(resource: &Resource) -> &'static str {
        match resource.id_type {
            IdType::ObjectId | IdType::Uuid => "string",
            IdType::Integer => "number",
        }
    }

    /// Every field path of a resource (dotted for nested dicts), with its field.
    fn paths<'f>(fields: &'f [Field], prefix: &str, out: &mut Vec<(String, &'f Field)>) {
        for field in fields {
            let path = if prefix.is_empty() {
                field.name.clone()
            } else {
                format!("{prefix}.{}", field.name)
            };
            out.push((path.clone(), field));
            if field.kind == Kind::Dict {
                Self::paths(&field.schema, &path, out);
            }
        }
    }

    /// The field accessors object, nested for dicts.
    fn accessors(&self, fields: &[Field], prefix: &str, indent: usize) -> String {
        let pad = "  ".repeat(indent);
        let mut out = String::from("{\n");
        for field in fields {
            let path = if prefix.is_empty() {
                field.name.clone()
            } else {
                format!("{prefix}.{}", field.name)
            };
            let value = match field.kind {
                Kind::Dict if !field.schema.is_empty() => {
                    self.accessors(&field.schema, &path, indent + 1)
                }
                _ => accessor(field, &path),
            };
            let _ = writeln!(out, "{pad}  {}: {value},", prop(&field.name));
        }
        out.push_str(&pad);
        out.push('}');
        out
    }

    /// A resource's document, inputs, id type, field paths, query and item-read
    /// options, and field accessors.
    pub(super) fn resource_types(&mut self, resource: &Resource) {
        let name = self.name_of(&resource.name).to_string();
        let id = Self::id_type(resource);
        let wire = doc_text(&resource.name);

        // The document as served.
        self.jsdoc(
            "",
            &[
                format!("A document of `{wire}` as the server sends it: `_id`, `_created`, `_updated` and `_etag` always, its required fields (unless a projection leaves them out), embedded references as the documents they name, and any member the server adds (index signature)."),
            ],
        );
        let _ = writeln!(
            self.out,
            "export interface {name} extends rt.SystemFields<{id}> {{"
        );
        let kept: Vec<&str> = resource.kept_members().iter().map(|(m, _)| *m).collect();
        for field in &resource.fields {
            let optional = !field.required && !kept.contains(&field.name.as_str());
            let ty = self.ts_type(field, Some(resource), &field.name, Use::Served);
            let _ = writeln!(
                self.out,
                "  {}{}: {ty};",
                prop(&field.name),
                if optional { "?" } else { "" }
            );
        }
        for (member, kind) in resource.kept_members() {
            if resource.fields.iter().any(|f| f.name == member) {
                continue;
            }
            let ty = if kind == Kind::Boolean {
                "boolean"
            } else {
                "number"
            };
            let _ = writeln!(self.out, "  {member}: {ty};");
        }
        if resource.hateoas {
            self.line("  _links?: { [rel: string]: rt.Json };");
        }
        self.line("  [member: string]: unknown;");
        self.close();
        self.line("");

        // Inputs.
        self.jsdoc(
            "",
            &[format!("A new document of `{wire}` (POST, and PUT as `{name}Replace`): required fields required, the others optional, no system field.")],
        );
        let _ = writeln!(self.out, "export interface New{name} {{");
        for field in resource
            .fields
            .iter()
            .filter(|f| !kept.contains(&f.name.as_str()))
        {
            // A sub-resource's path fields come from the URL.
            let optional = !field.required || resource.path_fields.contains(&field.name);
            let ty = self.ts_type(field, Some(resource), &field.name, Use::Input);
            let _ = writeln!(
                self.out,
                "  {}{}: {ty};",
                prop(&field.name),
                if optional { "?" } else { "" }
            );
        }
        self.close();
        self.line("");
        let _ = writeln!(
            self.out,
            "/** A whole document of `{wire}` replacing the stored one (PUT). */\nexport type {name}Replace = New{name};\n"
        );
        let _ = writeln!(
            self.out,
            "/** Some fields of a document of `{wire}` (PATCH): every field optional. */\nexport type {name}Update = Partial<New{name}>;\n"
        );
        let _ = writeln!(
            self.out,
            "/** The type of the `_id` of `{wire}` documents. */\nexport type {name}Id = {id};\n"
        );

        // Field paths, embeddable references, accessors.
        let mut paths = Vec::new();
        Self::paths(&resource.fields, "", &mut paths);
        let mut names: Vec<String> = paths.iter().map(|(p, _)| lit(p)).collect();
        for meta in ["_id", "_created", "_updated"] {
            names.push(lit(meta));
        }
        for (member, _) in resource.kept_members() {
            if member != "_latest_version" && !resource.fields.iter().any(|f| f.name == member) {
                names.push(lit(member));
            }
        }
        let _ = writeln!(
            self.out,
            "/** The field paths of `{wire}` documents (for sort and projection). */\nexport type {name}Field = {};\n",
            names.join(" | ")
        );
        let embeds: Vec<String> = resource.embeds.iter().map(|e| lit(&e.path)).collect();
        let _ = writeln!(
            self.out,
            "/** The references `embedded` may replace by their documents. */\nexport type {name}Embeddable = {};\n",
            if embeds.is_empty() {
                "never".to_string()
            } else {
                embeds.join(" | ")
            }
        );
        let _ = writeln!(
            self.out,
            "/** What a read of `{wire}` takes: a filter, sort, projection, embedding, paging. */\nexport type {name}Query = rt.ListQuery<{name}Field, {name}Embeddable>;\n"
        );
        let _ = writeln!(
            self.out,
            "/** What an item read of `{wire}` takes. */\nexport interface {name}ItemOptions extends rt.ReadOptions<{name}Field, {name}Embeddable> {{{}\n}}\n",
            if resource.lifecycle.versioning {
                "\n  /** One version of the document (`?version=N`). */\n  version?: number;"
            } else {
                ""
            }
        );
        let mut accessors = self.accessors(&resource.fields, "", 0);
        // The system fields close the object.
        accessors.pop();
        let _ = write!(
            accessors,
            "  _id: new rt.Field<{id}, \"_id\">(\"_id\"),\n  _created: new rt.Field<string, \"_created\">(\"_created\"),\n  _updated: new rt.Field<string, \"_updated\">(\"_updated\"),\n"
        );
        accessors.push('}');
        let _ = writeln!(
            self.out,
            "/** Typed accessors of `{wire}` fields: `fields.title.gt(\"M\")`, `fields.title.re(\"^a\", \"i\")`, `fields.pages.desc()`. */\nexport const {}Fields = {accessors} as const;\n",
            member(&name)
        );
    }

    /// An aggregation's result type and the parameters of its pipeline.
    pub(super) fn aggregation_types(&mut self, resource: &Resource) {
        let model = self.model;
        let name = self.name_of(&resource.name).to_string();
        let wire = doc_text(&resource.name);
        let Some(aggregation) = &resource.datasource.aggregation else {
            return;
        };
        let source = resource
            .datasource
            .source
            .as_deref()
            .and_then(|s| model.served().find(|r| r.name == s).map(|r| r.name.clone()));
        match &aggregation.results {
            Some(results) => {
                self.jsdoc("", &[format!("One result of the `{wire}` aggregation.")]);
                let _ = writeln!(self.out, "export interface {name}Result {{");
                for (field, ty) in results {
                    let ts = match ty {
                        ResultType::Field(kind) => match kind {
                            Kind::Integer | Kind::Float | Kind::Number => "number | null",
                            Kind::Boolean => "boolean | null",
                            Kind::String | Kind::Datetime | Kind::ObjectId => "string | null",
                            _ => "rt.Json",
                        },
                        ResultType::Null => "null",
                        ResultType::Count => "number",
                        ResultType::Sum => "number",
                        ResultType::Average => "number | null",
                    };
                    let _ = writeln!(self.out, "  {}: {ts};", prop(field));
                }
                self.line("  [member: string]: unknown;");
                self.close();
                self.line("");
            }
            None => {
                let doc = source
                    .as_deref()
                    .filter(|s| {
                        model
                            .served()
                            .any(|r| &r.name == s && r.datasource.aggregation.is_none())
                    })
                    .map(|s| self.name_of(s).to_string());
                let ty = doc.unwrap_or_else(|| "{ [member: string]: rt.Json }".to_string());
                let _ = writeln!(
                    self.out,
                    "/** One result of the `{wire}` aggregation (the source's documents). */\nexport type {name}Result = {ty};\n"
                );
            }
        }
        let params: Vec<String> = aggregation
            .placeholders
            .iter()
            .map(|p| format!("{}?: rt.Json", prop(p.trim_start_matches('$'))))
            .collect();
        let _ = writeln!(
            self.out,
            "/** The values of the `{wire}` pipeline's placeholders (`$name` → `name`). */\nexport interface {name}Params {{{}}}\n",
            if params.is_empty() {
                String::new()
            } else {
                format!(" {}; ", params.join("; "))
            }
        );
    }

    pub(super) fn endpoint_types(&mut self, endpoint: &Endpoint) {
        let prefix = &endpoint.type_prefix;
        let wire = doc_text(&endpoint.name);
        let object = |this: &Self, fields: &[Field]| -> String {
            fields
                .iter()
                .map(|f| {
                    format!(
                        "  {}{}: {};\n",
                        prop(&f.name),
                        if f.required { "" } else { "?" },
                        this.ts_type(f, None, &f.name, Use::Input)
                    )
                })
                .collect()
        };
        if !endpoint.path_fields.is_empty() {
            let members = object(self, &endpoint.path_fields);
            let _ = writeln!(
                self.out,
                "/** The path parameters of `{wire}`. */\nexport interface {prefix}Path {{\n{members}}}\n"
            );
        }
        if !endpoint.query.is_empty() {
            let members = object(self, &endpoint.query);
            let _ = writeln!(
                self.out,
                "/** The query parameters of `{wire}`. */\nexport interface {prefix}Query {{\n{members}}}\n"
            );
        }
        if let Some(body) = &endpoint.body {
            let ty = self.ts_type(body, None, "body", Use::Input);
            let _ = writeln!(
                self.out,
                "/** The body `{wire}` takes. */\nexport type {prefix}Body = {ty};\n"
            );
        }
        if let Some(response) = &endpoint.response {
            let ty = self.ts_type(response, None, "response", Use::Served);
            let _ = writeln!(
                self.out,
                "/** What `{wire}` answers. */\nexport type {prefix}Response = {ty};\n"
            );
        }
    }
}

/// A field's accessor: `new rt.StringField<"title">("title")`.
fn accessor(field: &Field, path: &str) -> String {
    let name = lit(path);
    match field.kind {
        Kind::String if field.allowed.is_empty() => format!("new rt.StringField<{name}>({name})"),
        Kind::String => {
            let values: Vec<String> = field
                .allowed
                .iter()
                .filter_map(|l| match l {
                    crate::model::Literal::Str(s) => Some(lit(s)),
                    _ => None,
                })
                .collect();
            format!("new rt.Field<{}, {name}>({name})", values.join(" | "))
        }
        // Compared as text, but `$regex` is for strings only: no `re`.
        Kind::Datetime | Kind::ObjectId => format!("new rt.Field<string, {name}>({name})"),
        Kind::Integer | Kind::Float | Kind::Number => {
            format!("new rt.Field<number, {name}>({name})")
        }
        Kind::Boolean => format!("new rt.Field<boolean, {name}>({name})"),
        Kind::List => {
            let item = match field.items.as_deref().map(|i| i.kind) {
                Some(Kind::String | Kind::Datetime | Kind::ObjectId) => "string",
                Some(Kind::Integer | Kind::Float | Kind::Number) => "number",
                Some(Kind::Boolean) => "boolean",
                _ => "rt.Json",
            };
            format!("new rt.ListField<{item}, {name}>({name})")
        }
        _ => format!("new rt.Field<rt.Json, {name}>({name})"),
    }
}
