//! The classes `index.ts` declares: one per resource with one method per operation
//! (each documented with its HTTP method, path and [`operation_mark`], its auth and
//! metering), one per aggregation, the custom endpoints' class, and the client class
//! (the API-level operations: home, OpenAPI, schemas).
//!
//! [`operation_mark`]: crate::clients::operation_mark

use std::fmt::Write as _;

use heck::ToUpperCamelCase;

use super::{Index, Use, doc_text, lit, member, prop};
use crate::clients::operation_mark;
use crate::model::{Action, Field, Kind, Mount, Operation, ParamType, Resource};

impl Index<'_> {
    /// `GET /api/v1/books/{id}` and the coverage mark, for a method's doc.
    fn op_line(&self, op: &Operation) -> String {
        let prefix = match op.mount {
            Mount::Api => self.model.api.prefix.as_str(),
            Mount::Root => "",
        };
        let template = op.template();
        let path = if template.is_empty() {
            if prefix.is_empty() {
                "/".to_string()
            } else {
                prefix.to_string()
            }
        } else {
            format!("{prefix}/{template}")
        };
        format!("`{} {path}`: {}.", op.method.as_str(), operation_mark(op))
    }

    fn auth_line(op: &Operation) -> Option<String> {
        let rule = op.settings.auth.as_ref()?;
        let mut parts = Vec::new();
        if !rule.schemes.is_empty() {
            let names: Vec<&str> = rule.schemes.iter().map(|s| s.name()).collect();
            parts.push(format!("authenticated ({})", names.join(", ")));
        }
        if !rule.roles.is_empty() {
            parts.push(format!("roles {}", rule.roles.join(", ")));
        }
        if rule.api_key_required {
            parts.push("an API key".to_string());
        }
        if parts.is_empty() {
            None
        } else {
            Some(format!("Needs: {}.", doc_text(&parts.join("; "))))
        }
    }

    fn op_doc(&mut self, op: &Operation, what: &str, extra: &[&str]) {
        let mut lines = vec![what.to_string(), String::new(), self.op_line(op)];
        if let Some(auth) = Self::auth_line(op) {
            lines.push(auth);
        }
        if op.settings.metering.is_some() {
            lines.push(
                "Metered: a 429 is a `RateLimitError` (retried when the client's `retry` is on)."
                    .to_string(),
            );
        }
        lines.extend(extra.iter().map(|s| s.to_string()));
        self.jsdoc("  ", &lines);
    }

    /// A resource's class: its constructor and one method per operation.
    pub(super) fn resource_class(&mut self, resource: &Resource) {
        let model = self.model;
        let name = self.name_of(&resource.name).to_string();
        let id = Self::id_type(resource);
        let ops: Vec<&Operation> = model
            .operations
            .iter()
            .filter(|op| op.resource.as_deref() == Some(resource.name.as_str()))
            .collect();
        let wire = doc_text(&resource.name);
        let path_fields: Vec<&Field> = resource
            .path_fields
            .iter()
            .filter_map(|p| resource.fields.iter().find(|f| &f.name == p))
            .collect();
        self.jsdoc(
            "",
            &[
                format!("The `{wire}` resource: one method per operation, ETags remembered (`core.etags`), pages followed."),
            ],
        );
        let _ = writeln!(self.out, "export class {name}Resource {{");
        let _ = writeln!(
            self.out,
            "  /** Typed field accessors, for filters and sort. */\n  readonly fields = {}Fields;\n  /** The requests' mechanics (ETags seen: `core.etags`). */\n  readonly core: rt.Collection<{name}, {id}>;\n",
            member(&name)
        );
        let template = format!("{}/{}", model.api.prefix, resource.url);
        // Files go as multipart forms; this resource reads their other fields as JSON.
        let form = if resource.form_fields_as_json && resource.media_fields().next().is_some() {
            ", true"
        } else {
            ""
        };
        if path_fields.is_empty() {
            let _ = writeln!(
                self.out,
                "  constructor(transport: rt.Transport) {{\n    this.core = new rt.Collection(transport, {}{form});\n  }}\n",
                lit(&template)
            );
        } else {
            let params: Vec<String> = path_fields
                .iter()
                .map(|f| {
                    format!(
                        "{}: {}",
                        prop(&f.name),
                        self.ts_type(f, None, &f.name, Use::Input)
                    )
                })
                .collect();
            let _ = writeln!(
                self.out,
                "  constructor(transport: rt.Transport, path: {{ {} }}) {{\n    this.core = new rt.Collection(transport, rt.fillPath({}, path){form});\n  }}\n",
                params.join("; "),
                lit(&template)
            );
        }

        for op in ops {
            match op.action {
                Action::GetCollection => {
                    self.op_doc(op, &format!("One page of `{wire}` documents matching `query` (`where`, `sort`, `projection`, `embedded`, `maxResults`, `page`); `page.next()`/`page.prev()` follow `_links`. `list()`, `iterate()` and `pages()` send the same request."), &[]);
                    let _ = writeln!(
                        self.out,
                        "  find(query?: {name}Query): Promise<rt.Page<{name}>> {{\n    return this.core.page(query);\n  }}\n"
                    );
                    let _ = writeln!(
                        self.out,
                        "  /** The first page of every `{wire}` document (see `find`). */\n  list(): Promise<rt.Page<{name}>> {{\n    return this.core.page(undefined);\n  }}\n"
                    );
                    let _ = writeln!(
                        self.out,
                        "  /** Every document matching `query`, page after page, following `_links.next` (see `find`). */\n  iterate(query?: {name}Query): AsyncGenerator<{name}, void, undefined> {{\n    return this.core.iterate(query);\n  }}\n"
                    );
                    let _ = writeln!(
                        self.out,
                        "  /** Every page matching `query`, one at a time (see `find`). */\n  pages(query?: {name}Query): AsyncGenerator<rt.Page<{name}>, void, undefined> {{\n    return this.core.pages(query);\n  }}\n"
                    );
                }
                Action::PostCollection => {
                    self.op_doc(op, &format!("Creates one `{wire}` document (its write result), or many in one request: each item's result, a refused item with its `issues` (Eve writes all or none)."), &[]);
                    let _ = writeln!(
                        self.out,
                        "  create(doc: New{name}, signal?: AbortSignal): Promise<rt.WriteResult<{id}>>;\n  create(docs: readonly New{name}[], signal?: AbortSignal): Promise<rt.BulkItem<{id}>[]>;\n  create(input: New{name} | readonly New{name}[], signal?: AbortSignal): Promise<rt.WriteResult<{id}> | rt.BulkItem<{id}>[]> {{\n    return Array.isArray(input) ? this.core.createMany(input, signal) : this.core.createOne(input, signal);\n  }}\n"
                    );
                }
                Action::DeleteCollection => {
                    self.op_doc(
                        op,
                        &format!("Deletes every `{wire}` document the caller may reach."),
                        &[],
                    );
                    let _ = writeln!(
                        self.out,
                        "  deleteAll(signal?: AbortSignal): Promise<void> {{\n    return this.core.deleteAll(signal);\n  }}\n"
                    );
                }
                Action::GetItem => {
                    self.op_doc(op, &format!("One `{wire}` document by `_id`; its ETag is remembered for later writes."), &[]);
                    let version = if resource.lifecycle.versioning {
                        "\n      version: options.version === undefined ? undefined : String(options.version),"
                    } else {
                        ""
                    };
                    let _ = writeln!(
                        self.out,
                        "  get(id: {id}, options: {name}ItemOptions = {{}}): Promise<{name}> {{\n    const query = {{\n      ...rt.readQuery({{ projection: options.projection, embedded: options.embedded }}),{version}\n    }};\n    return this.core.get(id, query, options.signal);\n  }}\n"
                    );
                }
                Action::PatchItem => {
                    self.op_doc(op, &format!("Changes some fields of a `{wire}` document, with `If-Match` (the document's `_etag`, else the ETag last seen, else read first). A 412 is a `ConflictError`: read it again (`modify` does)."), &[]);
                    let _ = writeln!(
                        self.out,
                        "  update(target: {id} | rt.Ref<{id}>, changes: {name}Update, signal?: AbortSignal): Promise<rt.WriteResult<{id}>> {{\n    return this.core.write(\"PATCH\", target, changes, signal);\n  }}\n"
                    );
                    let _ = writeln!(
                        self.out,
                        "  /**\n   * Sends only what differs between `original` (as read) and `changed` as a PATCH\n   * (see `update`), with `original`'s ETag; nothing when nothing changed.\n   */\n  async save(original: {name}, changed: {name}, signal?: AbortSignal): Promise<rt.WriteResult<{id}> | undefined> {{\n    const changes = rt.diff(original, changed);\n    if (Object.keys(changes).length === 0) return undefined;\n    return this.core.write(\"PATCH\", original, changes, signal);\n  }}\n"
                    );
                    let _ = writeln!(
                        self.out,
                        "  /**\n   * A copy of `doc` to change in place: `tracked.save()` PATCHes only the\n   * fields changed (see `update`).\n   */\n  track(doc: {name}): rt.Tracked<{name}, {id}> {{\n    return new rt.Tracked(doc, this.core);\n  }}\n"
                    );
                    let _ = writeln!(
                        self.out,
                        "  /**\n   * Reads the document, PATCHes what `change` answers (see `update`), and on a 412\n   * reads it again and reapplies `change`, at most `attempts` times.\n   */\n  modify(id: {id}, change: (doc: {name}) => {name}Update, attempts = 3, signal?: AbortSignal): Promise<rt.WriteResult<{id}>> {{\n    return this.core.modify(id, change as (doc: {name}) => Record<string, unknown>, attempts, signal);\n  }}\n"
                    );
                }
                Action::PutItem => {
                    self.op_doc(
                        op,
                        &format!(
                            "Replaces a whole `{wire}` document, with `If-Match` (as `update`)."
                        ),
                        &[],
                    );
                    let _ = writeln!(
                        self.out,
                        "  replace(target: {id} | rt.Ref<{id}>, doc: {name}Replace, signal?: AbortSignal): Promise<rt.WriteResult<{id}>> {{\n    return this.core.write(\"PUT\", target, doc, signal);\n  }}\n"
                    );
                }
                Action::DeleteItem => {
                    self.op_doc(
                        op,
                        &format!("Deletes a `{wire}` document, with `If-Match` (as `update`)."),
                        &[],
                    );
                    let _ = writeln!(
                        self.out,
                        "  delete(target: {id} | rt.Ref<{id}>, signal?: AbortSignal): Promise<void> {{\n    return this.core.deleteItem(target, signal);\n  }}\n"
                    );
                }
                Action::GetByLookup => {
                    let Some(ParamType::Lookup { field, kind, .. }) =
                        op.params().last().map(|p| &p.ty)
                    else {
                        continue;
                    };
                    let ty = if matches!(kind, Kind::Integer) {
                        "number"
                    } else {
                        "string"
                    };
                    let method = format!("getBy{}", field.to_upper_camel_case());
                    self.op_doc(
                        op,
                        &format!("One `{wire}` document by its unique `{}`.", doc_text(field)),
                        &[],
                    );
                    let _ = writeln!(
                        self.out,
                        "  {method}(value: {ty}, options: rt.ReadOptions<{name}Field, {name}Embeddable> = {{}}): Promise<{name}> {{\n    return this.core.getBy(this.core.itemPath(value as unknown as {id}), rt.readQuery(options), options.signal);\n  }}\n"
                    );
                }
                Action::Import => {
                    self.op_doc(op, &format!("Imports a table of `{wire}` rows: `{{ rows }}` (a 2-D array, the first row naming the columns), `{{ csv }}` text, or a `{{ file }}` (CSV or XLSX, multipart). Answers the report; with `onError: \"abort\"` (the default) a rejected row means nothing was written (`ok: false`)."), &[]);
                    let _ = writeln!(
                        self.out,
                        "  import(table: rt.ImportTable, options: rt.ImportOptions = {{}}): Promise<rt.ImportReport> {{\n    return this.core.importTable(table, options, `${{this.core.path}}/import`);\n  }}\n"
                    );
                }
                Action::Subscribe => {
                    self.op_doc(op, &format!("Live `{wire}` events matching `where` (Server-Sent Events): an async iterator that reconnects by itself and resumes after the last event (`Last-Event-ID`), so none is lost or repeated. `break` (or the `signal`) ends it; the server's `error` event ends it with an `ApiError`."), &[]);
                    let _ = writeln!(
                        self.out,
                        "  subscribe(\n    query: Pick<{name}Query, \"where\" | \"projection\" | \"embedded\"> & rt.SubscribeOptions = {{}},\n  ): AsyncGenerator<rt.Event<{name}, {id}>, void, undefined> {{\n    const {{ where, projection, embedded, ...options }} = query;\n    return rt.subscribeEvents<{name}, {id}>(\n      this.core.transport,\n      `${{this.core.path}}/events`,\n      rt.readQuery({{ where, projection, embedded }}),\n      options,\n    );\n  }}\n"
                    );
                }
                _ => {}
            }
        }
        self.close();
        self.line("");
    }

    /// An aggregation's class: `aggregate`, its one operation.
    pub(super) fn aggregation_class(&mut self, resource: &Resource) {
        let model = self.model;
        let name = self.name_of(&resource.name).to_string();
        let wire = doc_text(&resource.name);
        if resource.datasource.aggregation.is_none() {
            return;
        }
        let result_ty = format!("{name}Result");
        self.jsdoc(
            "",
            &[format!(
                "The `{wire}` aggregation (`datasource.aggregation`)."
            )],
        );
        let _ = writeln!(self.out, "export class {name}Resource {{");
        let _ = writeln!(
            self.out,
            "  readonly core: rt.Collection<{result_ty}, string>;\n\n  constructor(transport: rt.Transport) {{\n    this.core = new rt.Collection(transport, {});\n  }}\n",
            lit(&format!("{}/{}", model.api.prefix, resource.url))
        );
        for op in model
            .operations
            .iter()
            .filter(|op| op.resource.as_deref() == Some(resource.name.as_str()))
        {
            if op.action != Action::GetAggregation {
                continue;
            }
            self.op_doc(op, "Runs the pipeline with `params` filling its placeholders; one page of results (`page.next()` follows `_links`).", &[]);
            let _ = writeln!(
                self.out,
                "  aggregate(params: {name}Params = {{}}, paging: {{ maxResults?: number; page?: number; signal?: AbortSignal }} = {{}}): Promise<rt.Page<{result_ty}>> {{\n    const aggregate = JSON.stringify(Object.fromEntries(Object.entries(params).map(([key, value]) => [`$${{key}}`, value])));\n    return this.core.pageWith({{ aggregate, ...rt.readQuery({{ maxResults: paging.maxResults, page: paging.page }}) }}, paging.signal);\n  }}\n"
            );
        }
        self.close();
        self.line("");
    }

    /// The custom endpoints' types, then their class.
    pub(super) fn endpoints(&mut self) {
        let model = self.model;
        for endpoint in &model.endpoints {
            self.endpoint_types(endpoint);
        }
        self.jsdoc(
            "",
            &["The API's custom endpoints (`[endpoints.<name>]`), typed.".to_string()],
        );
        self.line("export class Endpoints {");
        self.line("  constructor(private readonly transport: rt.Transport) {}");
        self.line("");
        for endpoint in &model.endpoints {
            let Some(op) = model
                .operations
                .iter()
                .find(|op| op.endpoint.as_deref() == Some(endpoint.name.as_str()))
            else {
                continue;
            };
            let prefix = &endpoint.type_prefix;
            let mut what = doc_text(&endpoint.summary);
            if what.is_empty() {
                what = format!("The `{}` endpoint.", doc_text(&endpoint.name));
            } else if !what.ends_with('.') {
                what.push('.');
            }
            let description = doc_text(&endpoint.description);
            let extra: Vec<&str> = if description.is_empty() {
                vec![]
            } else {
                vec![description.as_str()]
            };
            let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
            let extra_refs: Vec<&str> = extra.iter().map(|s| s.as_str()).collect();
            self.op_doc(op, &what, &extra_refs);
            let mut args = Vec::new();
            if !endpoint.path_fields.is_empty() {
                args.push(format!("path: {prefix}Path"));
            }
            if let Some(body) = &endpoint.body {
                args.push(format!(
                    "body: {prefix}Body{}",
                    if body.required { "" } else { " | undefined" }
                ));
            }
            if !endpoint.query.is_empty() {
                args.push(format!("query: {prefix}Query = {{}}"));
            }
            args.push("signal?: AbortSignal".to_string());
            let response = if endpoint.response.is_some() {
                format!("{prefix}Response")
            } else {
                "void".to_string()
            };
            let template = format!("{}/{}", model.api.prefix, op.template());
            let path = if endpoint.path_fields.is_empty() {
                lit(&template)
            } else {
                format!("rt.fillPath({}, path)", lit(&template))
            };
            let query = if endpoint.query.is_empty() {
                "{}".to_string()
            } else {
                let scalar: Vec<String> = endpoint
                    .query
                    .iter()
                    .filter(|f| f.kind == Kind::List || f.kind == Kind::Dict)
                    .map(|f| lit(&f.name))
                    .collect();
                format!("rt.endpointQuery(query, [{}])", scalar.join(", "))
            };
            let body = if endpoint.body.is_some() {
                "body: body === undefined ? undefined : { json: body }, "
            } else {
                ""
            };
            let _ = writeln!(
                self.out,
                "  async {}({}): Promise<{response}> {{\n    return this.transport.json<{response}>({{ method: {}, path: {path}, query: {query}, {body}signal }});\n  }}\n",
                member(&endpoint.name),
                args.join(", "),
                lit(op.method.as_str()),
            );
        }
        self.close();
        self.line("");
    }

    /// The client class: a property per resource, the API-level operations.
    pub(super) fn client(&mut self) {
        let model = self.model;
        let type_name = model.clients.naming.type_name.clone();
        let title = doc_text(&model.api.title);
        self.jsdoc(
            "",
            &[
                format!("The {title} client."),
                String::new(),
                "```ts".to_string(),
                format!(
                    "const client = new {type_name}({{ baseUrl: \"http://localhost:8080\" }});"
                ),
                "```".to_string(),
            ],
        );
        let _ = writeln!(self.out, "export class {type_name} {{");
        self.line("  /** Sends the requests (auth, retries, errors). */");
        self.line("  readonly transport: rt.Transport;");
        let mut inits = Vec::new();
        for resource in model.served() {
            let name = self.name_of(&resource.name).to_string();
            let prop_name = member(&resource.name);
            let wire = doc_text(&resource.name);
            if resource.path_fields.is_empty() {
                let _ = writeln!(
                    self.out,
                    "  /** The `{wire}` resource. */\n  readonly {prop_name}: {name}Resource;"
                );
                inits.push(format!(
                    "    this.{prop_name} = new {name}Resource(this.transport);"
                ));
            }
        }
        if !model.endpoints.is_empty() {
            self.line("  /** The custom endpoints. */");
            self.line("  readonly endpoints: Endpoints;");
            inits.push("    this.endpoints = new Endpoints(this.transport);".to_string());
        }
        self.line("");
        self.line("  constructor(options: rt.ClientOptions<Credentials>) {");
        self.line("    this.transport = new rt.Transport(options, PREFIX);");
        for init in inits {
            self.line(&init);
        }
        self.line("  }");
        self.line("");
        for resource in model.served() {
            if resource.path_fields.is_empty() {
                continue;
            }
            let name = self.name_of(&resource.name).to_string();
            let params: Vec<String> = resource
                .path_fields
                .iter()
                .filter_map(|p| resource.fields.iter().find(|f| &f.name == p))
                .map(|f| {
                    format!(
                        "{}: {}",
                        prop(&f.name),
                        self.ts_type(f, None, &f.name, Use::Input)
                    )
                })
                .collect();
            let _ = writeln!(
                self.out,
                "  /** The `{}` resource below `{}`. */\n  {}(path: {{ {} }}): {name}Resource {{\n    return new {name}Resource(this.transport, path);\n  }}\n",
                doc_text(&resource.name),
                doc_text(&resource.url),
                member(&resource.name),
                params.join("; ")
            );
        }
        self.line("  /**\n   * Runs every task (at most `concurrency` at once) and answers each one's outcome,\n   * failures included: `const [a, b] = await client.batch([() => ..., () => ...])`.\n   */");
        self.line("  batch<T extends readonly unknown[]>(tasks: { [K in keyof T]: () => Promise<T[K]> }, concurrency?: number): Promise<{ [K in keyof T]: rt.Settled<T[K]> }> {");
        self.line("    return rt.batch<T>(tasks, concurrency);");
        self.line("  }");
        self.line("");
        self.line("  /** A pool running at most `limit` requests at once: `pool.run(() => client.books.get(id))`. */");
        self.line("  pool(limit: number): rt.Pool {");
        self.line("    return new rt.Pool(limit);");
        self.line("  }");
        self.line("");
        for op in &model.operations {
            match op.action {
                Action::Home => {
                    self.op_doc(op, "The API's home: a link to every resource.", &[]);
                    self.line("  home(signal?: AbortSignal): Promise<{ _links: { child?: rt.Link[]; [rel: string]: unknown } }> {");
                    self.line("    return this.transport.json({ method: \"GET\", path: PREFIX || \"/\", signal });");
                    self.line("  }");
                    self.line("");
                }
                Action::OpenApi => {
                    self.op_doc(op, "The API's OpenAPI document.", &[]);
                    self.line(
                        "  openapi(signal?: AbortSignal): Promise<{ [member: string]: rt.Json }> {",
                    );
                    self.line("    return this.transport.json({ method: \"GET\", path: \"/openapi.json\", signal });");
                    self.line("  }");
                    self.line("");
                }
                Action::Schema => {
                    self.op_doc(op, "Every served resource's rules, by resource name.", &[]);
                    let _ = writeln!(
                        self.out,
                        "  schema(signal?: AbortSignal): Promise<{{ [resource: string]: rt.Json }}> {{\n    return this.transport.json({{ method: \"GET\", path: {}, signal }});\n  }}\n",
                        lit(&format!("{}/{}", model.api.prefix, op.template()))
                    );
                }
                Action::SchemaItem => {
                    self.op_doc(op, "One resource's rules.", &[]);
                    let template = format!("{}/{}", model.api.prefix, op.template());
                    let _ = writeln!(
                        self.out,
                        "  schemaOf(resource: string, signal?: AbortSignal): Promise<{{ [field: string]: rt.Json }}> {{\n    return this.transport.json({{ method: \"GET\", path: rt.fillPath({}, {{ resource }}), signal }});\n  }}\n",
                        lit(&template)
                    );
                }
                _ => {}
            }
        }
        self.close();
    }
}
