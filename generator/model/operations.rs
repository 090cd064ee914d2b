//! The operation list: every request the API answers, as method + path template +
//! inputs + outputs, computed once from the resolved resources.
//!
//! The router, the home page and OpenAPI read this list (and later the clients);
//! nothing else works out routes. An operation is described neutrally: no axum
//! syntax, no OpenAPI syntax, no Rust. Resource CRUD is one kind of operation;
//! custom endpoints will be another.

use super::{Api, IdType, Kind, Resource};

/// One thing a client can ask of the API: a method on a path.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Unique and stable: `people.get_collection`, `people.patch_item`, `home`.
    pub id: String,
    pub method: Method,
    /// Where `path` starts: below the API's prefix, or at the server's root.
    pub mount: Mount,
    /// The path template below the mount point; empty for the mount point itself.
    pub path: Vec<Segment>,
    /// Also answered with a trailing `/` (the home page: `/api/v1/`).
    pub trailing_slash: bool,
    /// The resource (its spec name) the operation acts on; `None` for the API's own
    /// and for custom endpoints.
    pub resource: Option<String>,
    /// The custom endpoint (its spec name) the operation is.
    pub endpoint: Option<String>,
    /// What the operation does.
    pub action: Action,
    /// The query parameters it reads, in the order OpenAPI lists them.
    pub query: Vec<QueryParam>,
    pub request: Shape,
    pub response: Shape,
    pub settings: OperationSettings,
}

/// The HTTP methods operations use. HEAD is answered wherever GET is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];

    /// The method as sent on the wire: `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Lowercase, as axum's method routers and OpenAPI's path items name it: `get`.
    pub fn lowercase(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }
}

/// Where an operation's path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mount {
    /// Below the API's prefix (`/api/v1`).
    Api,
    /// At the server's root (`/openapi.json`).
    Root,
}

/// One `/`-separated part of a path template.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Literal(String),
    Param(PathParam),
}

/// A path parameter: its name in the template and the values it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct PathParam {
    /// A sub-resource's field name (`contact_id`), or `id` for an item's key.
    pub name: String,
    pub ty: ParamType,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    /// A sub-resource's `{field}` segment: a value of that top-level field.
    Field(Kind),
    /// An item's `_id`.
    Id(IdType),
    /// `additional_lookup`: a value of `field` (a unique string or integer field)
    /// matching `regex` (unanchored, as written in the spec).
    Lookup {
        field: String,
        kind: Kind,
        regex: String,
    },
}

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The API home: a link to every resource (Eve's HATEOAS entry point).
    Home,
    /// The OpenAPI document.
    OpenApi,
    GetCollection,
    PostCollection,
    DeleteCollection,
    GetItem,
    PatchItem,
    PutItem,
    DeleteItem,
    /// `additional_lookup`: GET one document by another unique field. It shares the
    /// item's route: a key that is not an `_id` and matches the regex is a lookup.
    GetByLookup,
    /// `datasource.aggregation`: GET runs the pipeline; the resource has no other
    /// operation.
    GetAggregation,
    /// Eve's `SCHEMA_ENDPOINT`: every served resource's schema, by name.
    Schema,
    /// One served resource's schema (`<schema_endpoint>/{resource}`).
    SchemaItem,
    /// A custom endpoint (`[endpoints.<name>]`): the user's code.
    Endpoint,
    /// `POST <collection>/import`: a table of rows (`[resources.<r>.import]`).
    Import,
    /// `GET <collection>/events`: live changes, as SSE or a WebSocket (`live`).
    Subscribe,
}

impl Action {
    /// The action's name in operation ids: `get_collection`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Home => "home",
            Action::OpenApi => "openapi",
            Action::GetCollection => "get_collection",
            Action::PostCollection => "post_collection",
            Action::DeleteCollection => "delete_collection",
            Action::GetItem => "get_item",
            Action::PatchItem => "patch_item",
            Action::PutItem => "put_item",
            Action::DeleteItem => "delete_item",
            Action::GetByLookup => "get_by_lookup",
            Action::GetAggregation => "get_aggregation",
            Action::Schema => "schema",
            Action::SchemaItem => "schema_item",
            Action::Endpoint => "endpoint",
            Action::Import => "import",
            Action::Subscribe => "subscribe",
        }
    }
}

/// Eve's query parameters, as far as the resource's settings turn them on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryParam {
    /// `where`: the filter (unless `allowed_filters` is empty).
    Where,
    /// `sort` (unless `sorting` is off).
    Sort,
    /// `max_results` (when paginated).
    MaxResults,
    /// `page` (when paginated).
    Page,
    /// `projection` (unless `projection` is off).
    Projection,
    /// `embedded` (when the resource has embeddable references).
    Embedded,
    /// `aggregate`: the values of an aggregation pipeline's placeholders.
    Aggregate,
    /// `show_deleted` (a collection of a `soft_delete` resource).
    ShowDeleted,
    /// `version` (an item of a `versioning` resource).
    Version,
    /// `since`: the event id a live subscription resumes after.
    Since,
}

impl QueryParam {
    /// The parameter's name in the query string.
    pub fn name(self) -> &'static str {
        match self {
            QueryParam::Where => "where",
            QueryParam::Sort => "sort",
            QueryParam::MaxResults => "max_results",
            QueryParam::Page => "page",
            QueryParam::Projection => "projection",
            QueryParam::Embedded => "embedded",
            QueryParam::Aggregate => "aggregate",
            QueryParam::ShowDeleted => apigen_runtime::lifecycle::SHOW_DELETED_PARAM,
            QueryParam::Version => apigen_runtime::versioning::VERSION_PARAM,
            QueryParam::Since => "since",
        }
    }
}

/// A request or response body, by what it holds; each names its resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// No body (GET and DELETE requests, 204 answers).
    None,
    /// One document with every required field (PUT; a GET's answer).
    Document(String),
    /// Some fields of a document (PATCH).
    PartialDocument(String),
    /// One document or a JSON list of them (POST).
    DocumentOrList(String),
    /// A page of documents, or every one when unpaged (a collection GET).
    Collection(String),
    /// A page of an aggregation's results, plain objects (or every one when unpaged).
    Aggregation(String),
    /// The write result: `_id`, `_etag`, `_created`, ... (POST, PATCH, PUT).
    WriteResult(String),
    /// The API home's `_links`.
    Home,
    /// The OpenAPI document.
    OpenApi,
    /// Resources' schemas (the schema endpoint).
    Schema,
    /// A custom endpoint's body or answer (its rule, in `Model::endpoints`).
    Endpoint(String),
    /// An import's table: JSON or a form with `ds`, CSV, or a multipart file.
    ImportTable(String),
    /// An import's report: rows inserted, updated, rejected (with their issues).
    ImportReport(String),
    /// A stream of a resource's events (`text/event-stream`, or a WebSocket).
    Events(String),
}

/// Per-operation settings, inherited from the API down to each operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationSettings {
    /// Who may call it (`model::auth`); `None`: anyone.
    pub auth: Option<super::auth::AuthRule>,
    /// Its quota costs and rate limit (`model::limits`); `None`: not metered.
    pub metering: Option<super::limits::Metering>,
}

impl Operation {
    /// The path template with named parameters, below the mount point:
    /// `contacts/{contact_id}/invoices/{id}`.
    pub fn template(&self) -> String {
        self.path
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => text.clone(),
                Segment::Param(param) => format!("{{{}}}", param.name),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The path parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = &PathParam> {
        self.path.iter().filter_map(|segment| match segment {
            Segment::Param(param) => Some(param),
            Segment::Literal(_) => None,
        })
    }

    /// The full paths the server routes to this operation, with parameters named by
    /// their position (`{id}`, `{id1}`, ...) so that routes sharing a prefix agree on
    /// the names: `/api/v1/contacts/{id}/invoices/{id1}`. `prefix` is the API's.
    pub fn routes(&self, prefix: &str) -> Vec<String> {
        let base = match self.mount {
            Mount::Api => prefix,
            Mount::Root => "",
        };
        let mut n = 0;
        let below = self
            .path
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => text.clone(),
                Segment::Param(_) => {
                    n += 1;
                    positional_param(n - 1)
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let path = match (below.is_empty(), base.is_empty()) {
            (true, true) => "/".to_string(),
            (true, false) => base.to_string(),
            (false, _) => format!("{base}/{below}"),
        };
        let mut routes = vec![path.clone()];
        if self.trailing_slash && !path.ends_with('/') {
            routes.push(format!("{path}/"));
        }
        routes
    }
}

/// The `n`th path parameter of a route: `{id}`, `{id1}`, `{id2}`...
fn positional_param(n: usize) -> String {
    if n == 0 {
        "{id}".to_string()
    } else {
        format!("{{id{n}}}")
    }
}

/// Every operation of the API, in a fixed order: the home page (with HATEOAS), the
/// OpenAPI document, then each served resource's collection and item operations.
pub(super) fn operations(
    api: &Api,
    resources: &[Resource],
    endpoints: &[super::endpoints::Endpoint],
) -> Vec<Operation> {
    let mut list = Vec::new();
    let api_operation = |action: Action, mount, path, response| Operation {
        id: action.name().to_string(),
        method: Method::Get,
        mount,
        path,
        trailing_slash: action == Action::Home,
        resource: None,
        endpoint: None,
        action,
        query: Vec::new(),
        request: Shape::None,
        response,
        settings: OperationSettings::default(),
    };
    if api.hateoas {
        list.push(api_operation(
            Action::Home,
            Mount::Api,
            Vec::new(),
            Shape::Home,
        ));
    }
    list.push(api_operation(
        Action::OpenApi,
        Mount::Root,
        vec![Segment::Literal("openapi.json".to_string())],
        Shape::OpenApi,
    ));
    for resource in resources.iter().filter(|r| !r.internal) {
        list.extend(resource_operations(resource));
    }
    if let Some(url) = &api.schema_endpoint {
        let path: Vec<Segment> = url
            .split('/')
            .map(|s| Segment::Literal(s.to_string()))
            .collect();
        let mut item = path.clone();
        item.push(Segment::Param(PathParam {
            name: "resource".to_string(),
            ty: ParamType::Field(Kind::String),
        }));
        list.push(api_operation(
            Action::Schema,
            Mount::Api,
            path,
            Shape::Schema,
        ));
        list.push(api_operation(
            Action::SchemaItem,
            Mount::Api,
            item,
            Shape::Schema,
        ));
    }
    for endpoint in endpoints {
        list.push(Operation {
            id: endpoint.operation_id(),
            method: endpoint.method,
            mount: Mount::Api,
            path: endpoint.path.clone(),
            trailing_slash: false,
            resource: None,
            endpoint: Some(endpoint.name.clone()),
            action: Action::Endpoint,
            query: Vec::new(),
            request: match endpoint.body {
                Some(_) => Shape::Endpoint(endpoint.name.clone()),
                None => Shape::None,
            },
            response: match endpoint.response {
                Some(_) => Shape::Endpoint(endpoint.name.clone()),
                None => Shape::None,
            },
            settings: OperationSettings::default(),
        });
    }
    list
}

/// A served resource's operations: the collection's, then the item's, then the
/// additional lookup.
fn resource_operations(resource: &Resource) -> Vec<Operation> {
    let name = &resource.name;
    let collection: Vec<Segment> = resource
        .url
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(field) => Segment::Param(PathParam {
                    name: field.to_string(),
                    ty: ParamType::Field(
                        resource
                            .fields
                            .iter()
                            .find(|f| f.name == field)
                            .map_or(Kind::String, |f| f.kind),
                    ),
                }),
                None => Segment::Literal(segment.to_string()),
            },
        )
        .collect();
    let keyed = |ty: ParamType| {
        let mut path = collection.clone();
        path.push(Segment::Param(PathParam {
            name: "id".to_string(),
            ty,
        }));
        path
    };
    let item = keyed(ParamType::Id(resource.id_type));
    let read_query = |list: &[QueryParam]| {
        let mut query = list.to_vec();
        if resource.projection {
            query.push(QueryParam::Projection);
        }
        if !resource.embeds.is_empty() {
            query.push(QueryParam::Embedded);
        }
        query
    };
    let mut list_query = Vec::new();
    if resource
        .allowed_filters
        .as_ref()
        .is_none_or(|allowed| !allowed.is_empty())
    {
        list_query.push(QueryParam::Where);
    }
    if resource.sorting {
        list_query.push(QueryParam::Sort);
    }
    if resource.pagination {
        list_query.extend([QueryParam::MaxResults, QueryParam::Page]);
    }
    if resource.lifecycle.soft_delete {
        list_query.push(QueryParam::ShowDeleted);
    }
    let item_query: &[QueryParam] = if resource.lifecycle.versioning {
        &[QueryParam::Version]
    } else {
        &[]
    };

    let operation =
        |action: Action, method, path: &Vec<Segment>, query, request, response| Operation {
            id: format!("{name}.{}", action.name()),
            method,
            mount: Mount::Api,
            path: path.clone(),
            trailing_slash: false,
            resource: Some(name.clone()),
            endpoint: None,
            action,
            query,
            request,
            response,
            settings: OperationSettings::default(),
        };
    let document = || Shape::Document(name.clone());
    let write_result = || Shape::WriteResult(name.clone());

    if resource.datasource.aggregation.is_some() {
        let mut query = vec![QueryParam::Aggregate];
        if resource.pagination {
            query.extend([QueryParam::MaxResults, QueryParam::Page]);
        }
        return vec![operation(
            Action::GetAggregation,
            Method::Get,
            &collection,
            query,
            Shape::None,
            Shape::Aggregation(name.clone()),
        )];
    }

    let mut list = vec![operation(
        Action::GetCollection,
        Method::Get,
        &collection,
        read_query(&list_query),
        Shape::None,
        Shape::Collection(name.clone()),
    )];
    let methods = &resource.resource_methods;
    if methods.post {
        list.push(operation(
            Action::PostCollection,
            Method::Post,
            &collection,
            Vec::new(),
            Shape::DocumentOrList(name.clone()),
            write_result(),
        ));
    }
    if methods.delete {
        list.push(operation(
            Action::DeleteCollection,
            Method::Delete,
            &collection,
            Vec::new(),
            Shape::None,
            Shape::None,
        ));
    }
    list.push(operation(
        Action::GetItem,
        Method::Get,
        &item,
        read_query(item_query),
        Shape::None,
        document(),
    ));
    let methods = &resource.item_methods;
    if methods.patch {
        list.push(operation(
            Action::PatchItem,
            Method::Patch,
            &item,
            Vec::new(),
            Shape::PartialDocument(name.clone()),
            write_result(),
        ));
    }
    if methods.put {
        list.push(operation(
            Action::PutItem,
            Method::Put,
            &item,
            Vec::new(),
            document(),
            write_result(),
        ));
    }
    if methods.delete {
        list.push(operation(
            Action::DeleteItem,
            Method::Delete,
            &item,
            Vec::new(),
            Shape::None,
            Shape::None,
        ));
    }
    if let Some(lookup) = &resource.lookup {
        let kind = resource
            .fields
            .iter()
            .find(|f| f.name == lookup.field)
            .map_or(Kind::String, |f| f.kind);
        list.push(operation(
            Action::GetByLookup,
            Method::Get,
            &keyed(ParamType::Lookup {
                field: lookup.field.clone(),
                kind,
                regex: lookup.regex.clone(),
            }),
            read_query(item_query),
            Shape::None,
            document(),
        ));
    }
    if resource.import.is_some() {
        let mut path = collection.clone();
        path.push(Segment::Literal("import".to_string()));
        list.push(operation(
            Action::Import,
            Method::Post,
            &path,
            Vec::new(),
            Shape::ImportTable(name.clone()),
            Shape::ImportReport(name.clone()),
        ));
    }
    if resource.live {
        let mut path = collection.clone();
        path.push(Segment::Literal("events".to_string()));
        let mut query = Vec::new();
        if list_query.contains(&QueryParam::Where) {
            query.push(QueryParam::Where);
        }
        query.extend(read_query(&[]));
        query.push(QueryParam::Since);
        list.push(operation(
            Action::Subscribe,
            Method::Get,
            &path,
            query,
            Shape::None,
            Shape::Events(name.clone()),
        ));
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::model;

    const API: &str = "[api]\nname = \"shop\"\nversion = \"1.0.0\"\n";

    /// `METHOD route` of each operation of `resource`.
    fn routes_of(model: &crate::model::Model, resource: &str) -> Vec<String> {
        model
            .operations
            .iter()
            .filter(|op| op.resource.as_deref() == Some(resource))
            .flat_map(|op| {
                op.routes(&model.api.prefix)
                    .into_iter()
                    .map(|route| format!("{} {route}", op.method.as_str()))
            })
            .collect()
    }

    #[test]
    fn a_read_only_resource_answers_get_only() {
        let m = model(&format!(
            "{API}[resources.orders.schema]\nqty = {{ type = \"integer\" }}\n"
        ))
        .expect("valid spec");
        assert_eq!(
            routes_of(&m, "orders"),
            ["GET /api/v1/orders", "GET /api/v1/orders/{id}"]
        );
        let ids: Vec<&str> = m.operations.iter().map(|op| op.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "home",
                "openapi",
                "orders.get_collection",
                "orders.get_item"
            ]
        );
        let list = &m.operations[2];
        assert_eq!(
            list.query,
            [
                QueryParam::Where,
                QueryParam::Sort,
                QueryParam::MaxResults,
                QueryParam::Page,
                QueryParam::Projection
            ]
        );
        assert_eq!(
            (&list.request, &list.response),
            (&Shape::None, &Shape::Collection("orders".into()))
        );
        assert_eq!(m.operations[3].query, [QueryParam::Projection]);
    }

    #[test]
    fn listed_methods_become_operations_in_protocol_order() {
        let m = model(&format!(
            "{API}[resources.orders]\nresource_methods = [\"DELETE\", \"GET\", \"POST\"]\nitem_methods = [\"DELETE\", \"PUT\", \"PATCH\"]\npagination = false\nsorting = false\nallowed_filters = []\n[resources.orders.schema]\nqty = {{ type = \"integer\" }}\n"
        ))
        .expect("valid spec");
        let actions: Vec<(Method, Action)> = m.operations[2..]
            .iter()
            .map(|op| (op.method, op.action))
            .collect();
        assert_eq!(
            actions,
            [
                (Method::Get, Action::GetCollection),
                (Method::Post, Action::PostCollection),
                (Method::Delete, Action::DeleteCollection),
                (Method::Get, Action::GetItem),
                (Method::Patch, Action::PatchItem),
                (Method::Put, Action::PutItem),
                (Method::Delete, Action::DeleteItem),
            ]
        );
        assert_eq!(m.operations[2].query, [QueryParam::Projection]);
        let post = &m.operations[3];
        assert_eq!(post.request, Shape::DocumentOrList("orders".into()));
        assert_eq!(post.response, Shape::WriteResult("orders".into()));
        let patch = m.operations.iter().find(|op| op.id == "orders.patch_item");
        assert_eq!(
            patch.map(|op| &op.request),
            Some(&Shape::PartialDocument("orders".into()))
        );
    }

    #[test]
    fn a_sub_resource_has_typed_path_parameters() {
        let m = model(&format!(
            "{API}[resources.people.schema]\nname = {{ type = \"string\" }}\n[resources.invoices]\nurl = \"people/{{contact_id}}/invoices\"\nid_type = \"integer\"\n[resources.invoices.schema]\ncontact_id = {{ type = \"objectid\", data_relation = {{ resource = \"people\" }} }}\n"
        ))
        .expect("valid spec");
        let item = m
            .operations
            .iter()
            .find(|op| op.id == "invoices.get_item")
            .expect("an item GET");
        assert_eq!(item.template(), "people/{contact_id}/invoices/{id}");
        assert_eq!(
            item.routes(&m.api.prefix),
            ["/api/v1/people/{id}/invoices/{id1}"]
        );
        let params: Vec<(&str, &ParamType)> =
            item.params().map(|p| (p.name.as_str(), &p.ty)).collect();
        assert_eq!(
            params,
            [
                ("contact_id", &ParamType::Field(Kind::ObjectId)),
                ("id", &ParamType::Id(IdType::Integer)),
            ]
        );
    }

    #[test]
    fn an_additional_lookup_is_a_get_on_the_item_route() {
        let m = model(&format!(
            "{API}[resources.people]\nadditional_lookup = {{ url = 'regex(\"[a-z]+\")', field = \"name\" }}\n[resources.people.schema]\nname = {{ type = \"string\", unique = true }}\n"
        ))
        .expect("valid spec");
        let lookup = m.operations.last().expect("operations");
        assert_eq!(lookup.id, "people.get_by_lookup");
        assert_eq!(lookup.method, Method::Get);
        assert_eq!(lookup.routes("/api/v1"), ["/api/v1/people/{id}"]);
        assert_eq!(
            lookup.params().map(|p| &p.ty).collect::<Vec<_>>(),
            [&ParamType::Lookup {
                field: "name".into(),
                kind: Kind::String,
                regex: "[a-z]+".into()
            }]
        );
        assert_eq!(lookup.response, Shape::Document("people".into()));
    }

    #[test]
    fn an_internal_resource_has_no_operations() {
        let m = model(&format!(
            "{API}[resources.log]\ninternal_resource = true\n[resources.log.schema]\nline = {{ type = \"string\" }}\n[resources.orders.schema]\nqty = {{ type = \"integer\" }}\n"
        ))
        .expect("valid spec");
        assert!(routes_of(&m, "log").is_empty());
        assert!(!routes_of(&m, "orders").is_empty());
    }

    #[test]
    fn the_home_page_is_there_with_hateoas_and_answers_with_a_slash_too() {
        let m = model(&format!(
            "{API}[resources.orders.schema]\nqty = {{ type = \"integer\" }}\n"
        ))
        .expect("valid spec");
        assert_eq!(
            m.operations[0].routes(&m.api.prefix),
            ["/api/v1", "/api/v1/"]
        );
        assert_eq!(m.operations[0].routes(""), ["/"]);
        assert_eq!(m.operations[1].routes(&m.api.prefix), ["/openapi.json"]);
        let m = model(
            "[api]\nname = \"shop\"\nversion = \"1.0.0\"\nhateoas = false\n[resources.orders.schema]\nqty = { type = \"integer\" }\n",
        )
        .expect("valid spec");
        assert_eq!(m.operations[0].action, Action::OpenApi, "no home page");
    }
}
