//! The spec: the TOML file a user writes, mirrored as data with source spans.
//!
//! Nothing here decides anything: `model` resolves and validates a `Spec` into the
//! `Model` the templates read. Every value a later check may complain about is
//! `Spanned`, so the complaint can point at `file:line:col`.

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Diagnostic;

/// A whole spec file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub api: Spanned<ApiSpec>,
    #[serde(default)]
    pub resources: IndexMap<Spanned<String>, Spanned<ResourceSpec>>,
    /// Cloud Endpoints' `limit_definitions`: quotas by metric name, each a limit per
    /// minute per consumer that operations' `metric_costs` draw on.
    #[serde(default)]
    pub quotas: IndexMap<Spanned<String>, Spanned<QuotaSpec>>,
    /// Custom endpoints (atoti's `Session.endpoint`): the user's code, served beside
    /// the resources under the same prefix and auth.
    #[serde(default)]
    pub endpoints: IndexMap<Spanned<String>, Spanned<EndpointSpec>>,
    /// The typed clients written beside the server (`model::clients`).
    pub clients: Option<Spanned<ClientsSpec>>,
}

/// `[clients]`: which typed clients apigen writes into `clients/<language>/`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientsSpec {
    /// `rust`, `typescript`, `python`; absent: all three; `[]`: none.
    pub languages: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `[quotas.<metric>]`: one quota (Cloud Endpoints' `limit_definitions` entry).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSpec {
    /// What 429 answers and OpenAPI call it; default: the metric name.
    pub display_name: Option<Spanned<String>>,
    /// The units one consumer may spend per minute.
    pub per_minute: Spanned<i64>,
}

/// `metric_costs = { read-requests = 1 }`: quota metric -> units one request costs.
pub type MetricCostsSpec = Spanned<IndexMap<Spanned<String>, Spanned<i64>>>;

/// `rate_limit = { get = [300, 900] }`: Eve's `RATE_LIMIT_<METHOD>`, method ->
/// `[requests, window in seconds]`.
pub type RateLimitSpec = Spanned<IndexMap<Spanned<String>, Spanned<Vec<Spanned<i64>>>>>;

/// `[endpoints.<name>]`: a custom endpoint, implemented in the user's
/// `src/endpoints.rs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`; default `POST` (Cloud Endpoints').
    pub method: Option<Spanned<String>>,
    /// The path below the API prefix; `{name}` segments are path parameters.
    pub path: Spanned<String>,
    /// One line for OpenAPI's `summary` and the trait method's doc.
    pub summary: Option<String>,
    pub description: Option<String>,
    /// The path parameters' rules, by name (default: a string).
    pub path_params: Option<IndexMap<Spanned<String>, Spanned<FieldSpec>>>,
    /// The query parameters (Cloud Endpoints' `ResourceContainer`), by name.
    pub query: Option<IndexMap<Spanned<String>, Spanned<FieldSpec>>>,
    /// The request body's rule: any field rule (`dict` with a `schema`, `list`...).
    pub body: Option<Spanned<FieldSpec>>,
    /// The answer's rule; none: 204 No Content.
    pub response: Option<Spanned<FieldSpec>>,
    /// The quotas a call costs (replacing the API's).
    pub metric_costs: Option<MetricCostsSpec>,
    /// `[requests, seconds]`: a rate limit of the endpoint's own (default: the API's
    /// for its method).
    pub rate_limit: Option<Spanned<Vec<Spanned<i64>>>>,
    // Auth, as a resource operation's (`OperationSpec`).
    pub public: Option<Spanned<bool>>,
    pub authentication: Option<Spanned<Vec<Spanned<String>>>>,
    pub api_key_required: Option<Spanned<bool>>,
    pub allowed_roles: Option<Vec<Spanned<String>>>,
    pub audiences: Option<Spanned<toml::Value>>,
    pub allowed_client_ids: Option<Vec<Spanned<String>>>,
    pub scopes: Option<Vec<Spanned<String>>>,
}

impl EndpointSpec {
    /// Its auth settings, as an operation's.
    pub fn auth(&self) -> OperationSpec {
        OperationSpec {
            public: self.public.clone(),
            authentication: self.authentication.clone(),
            api_key_required: self.api_key_required.clone(),
            allowed_roles: self.allowed_roles.clone(),
            audiences: self.audiences.clone(),
            allowed_client_ids: self.allowed_client_ids.clone(),
            scopes: self.scopes.clone(),
            metric_costs: None,
        }
    }
}

/// `[api]`: settings of the whole API (Cloud Endpoints' words where they exist).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSpec {
    /// `[a-z][a-z0-9]{0,39}`; names the generated crate (`<name>-api`).
    pub name: Spanned<String>,
    /// Semantic version; its major part is the `/v<major>` path segment.
    pub version: Spanned<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Cloud Endpoints' `canonical_name`: the API's name in client libraries
    /// (`"DFA Analytics"` → `DfaAnalyticsClient`); default `name`.
    pub canonical_name: Option<Spanned<String>>,
    /// Cloud Endpoints' `owner_domain`: the owner's domain (`your-company.com`),
    /// the clients' homepage.
    pub owner_domain: Option<Spanned<String>>,
    /// Cloud Endpoints' `owner_name`: the owner (`Your-Company`), the clients' author
    /// and the npm scope.
    pub owner_name: Option<Spanned<String>>,
    /// Cloud Endpoints' `package_path`: `/`-separated groups the clients' packages
    /// sit under (`cloud/platform`).
    pub package_path: Option<Spanned<String>>,
    /// Path before the version segment; default `/api`.
    pub base_path: Option<Spanned<String>>,
    /// The whole path prefix, replacing `base_path` + version; `""` serves at the root.
    pub prefix: Option<Spanned<String>>,
    /// Page size when a client asks for none (Eve's `PAGINATION_DEFAULT`, 25).
    pub pagination_default: Option<Spanned<i64>>,
    /// Largest page a client may ask for (Eve's `PAGINATION_LIMIT`, 50).
    pub pagination_limit: Option<Spanned<i64>>,
    /// Largest request body the server accepts, in bytes (default 1 MiB).
    pub max_body_bytes: Option<Spanned<i64>>,
    /// Most documents one bulk POST may hold (default 1000).
    pub bulk_max_items: Option<Spanned<i64>>,
    /// Compile HTTPS into the server (`serve --tls-cert --tls-key`): the crate's `tls`
    /// feature on by default.
    #[serde(default)]
    pub tls: bool,
    /// Fields clients may filter on, for every resource (Eve's `ALLOWED_FILTERS`, `["*"]`).
    pub allowed_filters: Option<Spanned<Vec<Spanned<String>>>>,
    /// Whether `sort` is honoured (Eve's `SORTING`, true).
    pub sorting: Option<bool>,
    /// Whether collections are paged (Eve's `PAGINATION`, true).
    pub pagination: Option<bool>,
    /// Whether the `projection` parameter is honoured (Eve's `PROJECTION`, true).
    pub projection: Option<bool>,
    /// Whether filter values are checked against the fields' rules (Eve's
    /// `VALIDATE_FILTERING`, false).
    pub validate_filtering: Option<bool>,
    /// `_links` in responses and the home page (Eve's `HATEOAS`, default true).
    pub hateoas: Option<bool>,
    // The HTTP layer (Eve's settings, lowercased).
    /// Eve's `RENDERERS`: `["json", "xml"]` by default; `Accept` picks one.
    pub renderers: Option<Spanned<Vec<Spanned<String>>>>,
    /// Eve's `JSONP_ARGUMENT`: the query argument naming a JSONP callback (off by default).
    pub jsonp_argument: Option<Spanned<String>>,
    /// Eve's `ALLOW_OVERRIDE_HTTP_METHOD` (`X-HTTP-Method-Override`), on by default.
    pub allow_override_http_method: Option<bool>,
    /// Eve's `CACHE_CONTROL`: `Cache-Control` of GET responses (default none).
    pub cache_control: Option<Spanned<String>>,
    /// Eve's `CACHE_EXPIRES`: seconds until `Expires` of GET responses (default 0: none).
    pub cache_expires: Option<Spanned<i64>>,
    /// Eve's `X_DOMAINS`: origins allowed by CORS, or `["*"]`. CORS is off without it
    /// and `x_domains_re`.
    pub x_domains: Option<Spanned<Vec<Spanned<String>>>>,
    /// Eve's `X_DOMAINS_RE`: regexes an allowed origin matches (from its start).
    pub x_domains_re: Option<Spanned<Vec<Spanned<String>>>>,
    /// Eve's `X_HEADERS`: `Access-Control-Allow-Headers`.
    pub x_headers: Option<Vec<Spanned<String>>>,
    /// Eve's `X_EXPOSE_HEADERS`: `Access-Control-Expose-Headers`.
    pub x_expose_headers: Option<Vec<Spanned<String>>>,
    /// Eve's `X_ALLOW_CREDENTIALS`.
    pub x_allow_credentials: Option<Spanned<bool>>,
    /// Eve's `X_MAX_AGE`: `Access-Control-Max-Age` in seconds (21600).
    pub x_max_age: Option<Spanned<i64>>,
    /// Eve's `DATE_FORMAT`: how dates are written and read on the wire (strftime
    /// directives); default RFC 1123, `"%a, %d %b %Y %H:%M:%S GMT"`.
    pub date_format: Option<Spanned<String>>,
    /// Eve's `NORMALIZE_ON_PATCH` for every resource (default true).
    pub normalize_on_patch: Option<bool>,
    /// Eve's `MERGE_NESTED_DOCUMENTS` for every resource (default true).
    pub merge_nested_documents: Option<bool>,
    /// Eve's `UPSERT_ON_PUT` for every resource (default true).
    pub upsert_on_put: Option<bool>,
    // Media fields and form bodies (Eve's settings, lowercased; `model::media`).
    /// Eve's `RETURN_MEDIA_AS_BASE64_STRING` (true): documents hold files as base64.
    pub return_media_as_base64_string: Option<bool>,
    /// Eve's `RETURN_MEDIA_AS_URL` (false): documents hold the files' URLs, served at
    /// the media endpoint.
    pub return_media_as_url: Option<bool>,
    /// Eve's `MEDIA_ENDPOINT` (`"media"`): the media URLs' path segment.
    pub media_endpoint: Option<Spanned<String>>,
    /// Eve's `EXTENDED_MEDIA_INFO` (`[]`): `content_type`, `name`, `length`.
    pub extended_media_info: Option<Vec<Spanned<String>>>,
    /// Eve's `MULTIPART_FORM_FIELDS_AS_JSON` (false), for every resource.
    pub multipart_form_fields_as_json: Option<bool>,
    /// The largest `multipart/form-data` body a resource with media fields accepts
    /// (default: `max_body_bytes`); other bodies keep `max_body_bytes`.
    pub media_max_bytes: Option<Spanned<i64>>,
    /// Eve's `SOFT_DELETE` for every resource (default false).
    pub soft_delete: Option<bool>,
    /// Eve's `VERSIONING` for every resource (default false).
    pub versioning: Option<bool>,
    /// Eve's `VERSION_DIFF_INCLUDE`: fields `?version=diffs` always shows.
    pub version_diff_include: Option<Vec<Spanned<String>>>,
    /// Eve's API-wide request hooks the user's code implements (`on_pre_GET`,
    /// `on_post_POST`, ...): required methods of the generated `ApiHooks` trait.
    pub hooks: Option<Vec<Spanned<String>>>,
    // The oplog and the schema endpoint (Eve's `OPLOG_*` and `SCHEMA_ENDPOINT`).
    /// Eve's `OPLOG`: record every write in the oplog (default false).
    pub oplog: Option<Spanned<bool>>,
    /// Eve's `OPLOG_NAME`: the oplog's resource and table name (default "oplog").
    pub oplog_name: Option<Spanned<String>>,
    /// Eve's `OPLOG_ENDPOINT`: the url serving the oplog read-only (default none).
    pub oplog_endpoint: Option<Spanned<String>>,
    /// Eve's `OPLOG_METHODS`: the writes that get an entry (default all four).
    pub oplog_methods: Option<Spanned<Vec<Spanned<String>>>>,
    /// Eve's `OPLOG_CHANGE_METHODS`: the writes whose entry holds `c` (default
    /// DELETE, PATCH, PUT).
    pub oplog_change_methods: Option<Spanned<Vec<Spanned<String>>>>,
    /// Eve's `OPLOG_AUDIT`: entries hold `ip`, `u` and `c` (default true).
    pub oplog_audit: Option<Spanned<bool>>,
    /// Eve's `SCHEMA_ENDPOINT`: the url serving every resource's schema (default none).
    pub schema_endpoint: Option<Spanned<String>>,
    // Authentication and authorization (`model::auth`): Eve's auth classes and roles,
    // Cloud Endpoints' API keys and JWT settings. Resources and operations override them.
    /// Eve's auth classes: the schemes that authenticate a user (`basic`, `token`,
    /// `hmac`, `jwt`, `signed`, `custom`); any one the request uses. None: open.
    pub authentication: Option<Spanned<Vec<Spanned<String>>>>,
    /// Cloud Endpoints' `api_key_required`: every request also carries an API key.
    pub api_key_required: Option<Spanned<bool>>,
    /// Eve's `PUBLIC_METHODS`: collection methods that need no user.
    pub public_methods: Option<Vec<Spanned<String>>>,
    /// Eve's `PUBLIC_ITEM_METHODS`: item methods that need no user.
    pub public_item_methods: Option<Vec<Spanned<String>>>,
    /// Eve's `ALLOWED_ROLES` and its read/write and item variants.
    pub allowed_roles: Option<Vec<Spanned<String>>>,
    pub allowed_read_roles: Option<Vec<Spanned<String>>>,
    pub allowed_write_roles: Option<Vec<Spanned<String>>>,
    pub allowed_item_roles: Option<Vec<Spanned<String>>>,
    pub allowed_item_read_roles: Option<Vec<Spanned<String>>>,
    pub allowed_item_write_roles: Option<Vec<Spanned<String>>>,
    /// Eve's `AUTH_FIELD`: user-restricted resource access for every resource.
    pub auth_field: Option<Spanned<String>>,
    /// Cloud Endpoints' `issuers`: the JWT issuers, by name.
    pub issuers: Option<IndexMap<Spanned<String>, Spanned<IssuerSpec>>>,
    /// Cloud Endpoints' `audiences`: a list, or issuer name → list.
    pub audiences: Option<Spanned<toml::Value>>,
    /// Cloud Endpoints' `allowed_client_ids`: the JWT `azp` values accepted.
    pub allowed_client_ids: Option<Vec<Spanned<String>>>,
    /// Cloud Endpoints' `scopes`: scopes a JWT must carry.
    pub scopes: Option<Vec<Spanned<String>>>,
    /// How old (or how far ahead) a signed request's time may be, in seconds (300).
    pub signature_max_age: Option<Spanned<i64>>,
    // Quotas and rate limits (`model::limits`); resources, operations and endpoints
    // override them.
    /// Cloud Endpoints' `metric_costs` of every operation.
    pub metric_costs: Option<MetricCostsSpec>,
    /// Eve's `RATE_LIMIT_GET`... of every operation, per client and method.
    pub rate_limit: Option<RateLimitSpec>,
}

/// `[resources.<name>]`: one Eve resource (a collection and its items).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    /// The collection's path below the API prefix; default: the resource name.
    pub url: Option<Spanned<String>>,
    /// Title of one document in HATEOAS links; default: the name, singular.
    pub item_title: Option<Spanned<String>>,
    /// Methods on the collection; none listed means read-only (`GET`).
    pub resource_methods: Option<Vec<Spanned<String>>>,
    /// Methods on an item; none listed means read-only (`GET`).
    pub item_methods: Option<Vec<Spanned<String>>>,
    pub pagination_default: Option<Spanned<i64>>,
    pub pagination_limit: Option<Spanned<i64>>,
    pub allowed_filters: Option<Spanned<Vec<Spanned<String>>>>,
    pub sorting: Option<bool>,
    pub pagination: Option<bool>,
    pub projection: Option<bool>,
    pub validate_filtering: Option<bool>,
    pub datasource: Option<Spanned<DatasourceSpec>>,
    /// `_links` in this resource's responses (Eve's `hateoas`; default: the API's).
    pub hateoas: Option<bool>,
    /// Fields embedded unless the request opts out (Eve's `embedded_fields`).
    pub embedded_fields: Option<Vec<Spanned<String>>>,
    /// Eve's `cache_control`: this resource's `Cache-Control` (default: the API's).
    pub cache_control: Option<Spanned<String>>,
    /// Eve's `cache_expires`: this resource's `Expires` in seconds (default: the API's).
    pub cache_expires: Option<Spanned<i64>>,
    /// The type of `_id`: `"objectid"` (Eve's default), `"uuid"` or `"integer"`.
    pub id_type: Option<Spanned<String>>,
    /// Eve's `additional_lookup`: a read-only item route by another unique field.
    pub additional_lookup: Option<Spanned<LookupSpec>>,
    /// The resource's name before a rename: a regeneration renames its table and
    /// keeps its documents instead of dropping it.
    pub renamed_from: Option<Spanned<String>>,
    /// Eve's `internal_resource`: a table with no HTTP endpoints (written from Rust).
    #[serde(default)]
    pub internal_resource: bool,
    /// Eve's `mongo_indexes`: secondary indexes by name, each a list of top-level
    /// fields, `-field` descending: `{ by_name_age = ["lastname", "-age"] }`.
    pub indexes: Option<Spanned<IndexesSpec>>,
    /// PATCH fills the defaults of fields it leaves missing (Eve's `normalize_on_patch`).
    pub normalize_on_patch: Option<bool>,
    /// PATCH merges a nested dict into the stored one rather than replacing it (Eve's
    /// `merge_nested_documents`).
    pub merge_nested_documents: Option<bool>,
    /// A PUT to a missing id creates the document (Eve's `UPSERT_ON_PUT`).
    pub upsert_on_put: Option<bool>,
    /// Eve's `MULTIPART_FORM_FIELDS_AS_JSON` for this resource (default: the API's).
    pub multipart_form_fields_as_json: Option<bool>,
    /// Eve's `soft_delete`: DELETE marks documents `_deleted` instead of removing them.
    pub soft_delete: Option<Spanned<bool>>,
    /// Eve's `versioning`: every write keeps the document's version in `<table>_versions`.
    pub versioning: Option<Spanned<bool>>,
    /// Eve's hooks of this resource the user's code implements, typed with its
    /// documents (`on_fetched_item`, `on_pre_GET`, ...): required methods of the
    /// generated `<Resource>Hooks` trait.
    pub hooks: Option<Vec<Spanned<String>>>,
    // Auth (`model::auth`), overriding the API's.
    pub authentication: Option<Spanned<Vec<Spanned<String>>>>,
    pub api_key_required: Option<Spanned<bool>>,
    /// Eve's `public_methods`: collection methods that need no user.
    pub public_methods: Option<Vec<Spanned<String>>>,
    /// Eve's `public_item_methods`: item methods that need no user.
    pub public_item_methods: Option<Vec<Spanned<String>>>,
    pub allowed_roles: Option<Vec<Spanned<String>>>,
    pub allowed_read_roles: Option<Vec<Spanned<String>>>,
    pub allowed_write_roles: Option<Vec<Spanned<String>>>,
    pub allowed_item_roles: Option<Vec<Spanned<String>>>,
    pub allowed_item_read_roles: Option<Vec<Spanned<String>>>,
    pub allowed_item_write_roles: Option<Vec<Spanned<String>>>,
    /// Eve's `auth_field`: each document is its creator's; callers see only their own.
    pub auth_field: Option<Spanned<String>>,
    pub audiences: Option<Spanned<toml::Value>>,
    pub allowed_client_ids: Option<Vec<Spanned<String>>>,
    pub scopes: Option<Vec<Spanned<String>>>,
    /// The quotas its operations cost (replacing the API's).
    pub metric_costs: Option<MetricCostsSpec>,
    /// Its own rate limits, per method (counted apart from the API's).
    pub rate_limit: Option<RateLimitSpec>,
    /// Method-level settings (Cloud Endpoints' `@endpoints.method`), by operation:
    /// `get_collection`, `post_collection`, `delete_collection`, `get_item`,
    /// `patch_item`, `put_item`, `delete_item`, `import`, `subscribe`.
    pub operations: Option<IndexMap<Spanned<String>, Spanned<OperationSpec>>>,
    /// Tabular imports (`POST <collection>/import`): the dataset API's table, CSV or
    /// XLSX, in insert, upsert or replace mode (`model::imports`).
    pub import: Option<Spanned<ImportSpec>>,
    /// Live subscriptions (`GET <collection>/events`: Server-Sent Events, or a
    /// WebSocket carrying several), read from the oplog (`model::live`).
    pub live: Option<Spanned<bool>>,
    #[serde(default)]
    pub schema: IndexMap<Spanned<String>, Spanned<FieldSpec>>,
}

/// `[resources.<r>.import]`: the resource takes tables of rows.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSpec {
    /// The fields an upsert may match documents by, besides `_id`: each `unique`.
    pub upsert_on: Option<Vec<Spanned<String>>>,
    /// Whether an import may empty the collection first (`mode=replace`, the
    /// dataset API's `truncate`); default false.
    pub replace: Option<bool>,
    /// Rows per batch (a transaction of an `on_error=skip` import); default 1000.
    pub batch: Option<Spanned<i64>>,
    /// Largest body an import takes, in bytes; default 1 GiB.
    pub max_bytes: Option<Spanned<i64>>,
}

/// `[resources.<r>.operations.<action>]`: one operation's own auth settings and quota
/// costs; the most specific setting wins.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationSpec {
    /// No user is needed (the API key still is, if required).
    pub public: Option<Spanned<bool>>,
    pub authentication: Option<Spanned<Vec<Spanned<String>>>>,
    pub api_key_required: Option<Spanned<bool>>,
    /// The roles allowed, replacing those Eve's role settings give the operation.
    pub allowed_roles: Option<Vec<Spanned<String>>>,
    pub audiences: Option<Spanned<toml::Value>>,
    pub allowed_client_ids: Option<Vec<Spanned<String>>>,
    pub scopes: Option<Vec<Spanned<String>>>,
    /// The quotas this operation costs (replacing the resource's and the API's).
    pub metric_costs: Option<MetricCostsSpec>,
}

/// `[api.issuers.<name>]`: a JWT issuer, its keys at a JWKS URI or in an environment
/// variable (never in the spec).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerSpec {
    /// The `iss` claim its tokens carry.
    pub issuer: Spanned<String>,
    /// Where its public keys are published (JWKS).
    pub jwks_uri: Option<Spanned<String>>,
    /// The environment variable holding its key: an HMAC secret, or a PEM public key.
    pub key_env: Option<Spanned<String>>,
    /// The signing algorithms accepted (default `["RS256"]`).
    pub algorithms: Option<Vec<Spanned<String>>>,
}

/// `indexes = { by_name_age = ["lastname", "-age"] }`: index name → its fields, in
/// order, each `-`-prefixed when descending.
pub type IndexesSpec = IndexMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>;

/// `datasource = { source = "products", filter = {...}, projection = {...},
/// default_sort = [["name", 1]] }`: where a resource's documents come from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasourceSpec {
    /// Another resource whose table (and schema) this one serves.
    pub source: Option<Spanned<String>>,
    /// A fixed filter in `where` syntax, as a TOML table or a JSON string.
    pub filter: Option<Spanned<toml::Value>>,
    /// The fields served by default: `{ name = 1 }` or `{ secret = 0 }`.
    pub projection: Option<Spanned<IndexMap<String, i64>>>,
    /// The order when a request has no `sort`: `[["name", 1], ["price", -1]]`.
    pub default_sort: Option<Spanned<Vec<(String, i64)>>>,
    /// Eve's aggregation endpoint: GET runs this pipeline over `source`'s documents.
    pub aggregation: Option<Spanned<AggregationSpec>>,
}

/// `aggregation = { pipeline = [{ "$match" = {...} }, { "$group" = {...} }] }`: Eve's
/// pipeline, each stage a TOML table with one key (MongoDB's JSON, in TOML).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregationSpec {
    pub pipeline: Spanned<Vec<Spanned<toml::Value>>>,
}

/// `additional_lookup = { url = 'regex("[\w]+")', field = "name" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupSpec {
    /// The field looked up; it must be `unique`.
    pub field: Spanned<String>,
    /// What a lookup value looks like: `regex("...")`; default `regex("[\w]+")`.
    pub url: Option<Spanned<String>>,
}

/// One field's rules, in Cerberus' words.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub nullable: bool,
    pub default: Option<Spanned<toml::Value>>,
    pub minlength: Option<Spanned<i64>>,
    pub maxlength: Option<Spanned<i64>>,
    pub min: Option<Spanned<toml::Value>>,
    pub max: Option<Spanned<toml::Value>>,
    pub regex: Option<Spanned<String>>,
    pub allowed: Option<Spanned<Vec<toml::Value>>>,
    /// A dict's fields.
    pub schema: Option<IndexMap<Spanned<String>, Spanned<FieldSpec>>>,
    /// A list's item rule.
    pub items: Option<Box<Spanned<FieldSpec>>>,
    pub data_relation: Option<Spanned<RelationSpec>>,
    /// The field's name before a rename: a regeneration migrates the stored values
    /// to the new name instead of dropping the old field (top-level fields only).
    pub renamed_from: Option<Spanned<String>>,
    /// Eve's `versioned`: `false` keeps a top-level field of a versioned resource out
    /// of its versions (an old version shows the field's current value).
    pub versioned: Option<Spanned<bool>>,
    /// A custom rule (Cerberus' `check_with`): the name of a method of the generated
    /// `Validators` trait, implemented in the user's `src/validators.rs`.
    pub validator: Option<Spanned<String>>,
}

/// `data_relation = { resource = "people", field = "_id", embeddable = true }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationSpec {
    pub resource: Spanned<String>,
    pub field: Option<Spanned<String>>,
    #[serde(default)]
    pub embeddable: bool,
}

/// Parse a spec's text. `path` is only used to name the file in diagnostics.
pub fn parse(path: &str, source: &str) -> Result<Spec, Diagnostic> {
    toml::from_str(source).map_err(|error| Diagnostic::from_toml(path, source, &error))
}
