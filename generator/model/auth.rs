//! Authentication and authorization: who may call each operation.
//!
//! The spec's words are Eve's (`authentication`, `public_methods`, `allowed_roles` and
//! their read/write/item variants, `auth_field`) and Cloud Endpoints' (`api_key_required`,
//! `issuers`, `audiences`, `allowed_client_ids`, `scopes`). They are set on `[api]`, on a
//! resource, and on one operation (`[resources.<r>.operations.<action>]`, Cloud Endpoints'
//! method-level settings); the most specific setting wins. Each operation ends up with
//! one [`AuthRule`] (or none: open to anyone), which the router, OpenAPI and later the
//! clients read.
//!
//! Roles follow Eve's `requires_auth`: a collection operation allows `allowed_roles`
//! plus `allowed_read_roles` (GET) or `allowed_write_roles` (POST, DELETE); an item
//! operation `allowed_item_roles` plus the item read or write roles. An empty list
//! allows any authenticated caller. An operation's own `allowed_roles` replaces the
//! list.

use toml::Spanned;

use super::storage::{Column, ColumnType, Key, Table};
use super::{Action, Field, Kind, Method, Operation, Resolver, Resource};
use crate::diagnostic::Diagnostic;
use crate::spec::{ApiSpec, IssuerSpec, OperationSpec, ResourceSpec};

/// How long a signed request's time may differ from the server's, by default (seconds).
const SIGNATURE_MAX_AGE: u64 = 300;

/// A way a caller proves who they are (Eve's auth classes, and the dataset seed's
/// signed requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// HTTP Basic: a user and password from the server's users.
    Basic,
    /// A bearer token (`Bearer`, `Token`, or Basic with the token as user name).
    Token,
    /// Eve's HMAC: `Authorization: <user>:<signature>` over the request.
    Hmac,
    /// A JWT from one of the spec's issuers.
    Jwt,
    /// The dataset seed's `token = SHA1(key + stamp + visitor + type)`.
    Signed,
    /// The user's own check (`src/auth.rs`, Eve's `check_auth`), replacing the others.
    Custom,
}

impl Scheme {
    const ALL: [Scheme; 6] = [
        Scheme::Basic,
        Scheme::Token,
        Scheme::Hmac,
        Scheme::Jwt,
        Scheme::Signed,
        Scheme::Custom,
    ];

    /// The scheme the spec's word names.
    fn named(word: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.name() == word)
    }

    /// The spec's word (also the scheme's name in OpenAPI's `securitySchemes`).
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Basic => "basic",
            Scheme::Token => "token",
            Scheme::Hmac => "hmac",
            Scheme::Jwt => "jwt",
            Scheme::Signed => "signed",
            Scheme::Custom => "custom",
        }
    }

    /// The runtime's `auth::Scheme` variant.
    pub fn variant(self) -> &'static str {
        match self {
            Scheme::Basic => "Basic",
            Scheme::Token => "Token",
            Scheme::Hmac => "Hmac",
            Scheme::Jwt => "Jwt",
            Scheme::Signed => "Signed",
            Scheme::Custom => "Custom",
        }
    }

    /// Whether the scheme checks credentials the server keeps in its own tables.
    pub fn uses_store(self) -> bool {
        !matches!(self, Scheme::Jwt | Scheme::Custom)
    }
}

/// A JWT issuer (`[api.issuers.<name>]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub name: String,
    /// The `iss` its tokens carry.
    pub issuer: String,
    pub jwks_uri: Option<String>,
    pub key_env: Option<String>,
    pub algorithms: Vec<String>,
}

/// The API's auth settings that are not per operation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthApi {
    pub issuers: Vec<Issuer>,
    /// Freshness window of signed requests, in seconds.
    pub signature_max_age: u64,
}

/// Who may call one operation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthRule {
    /// The schemes that authenticate a user; empty: no user is needed (public).
    pub schemes: Vec<Scheme>,
    /// An API key must come too.
    pub api_key_required: bool,
    /// The roles allowed; empty: any authenticated caller.
    pub roles: Vec<String>,
    /// JWT audiences: `("*", [...])` for any issuer, or per issuer name.
    pub audiences: Vec<(String, Vec<String>)>,
    /// JWT `azp` values allowed; empty: any.
    pub client_ids: Vec<String>,
    /// Scopes a JWT must carry.
    pub scopes: Vec<String>,
}

impl AuthRule {
    /// The name of the generated `auth::Policy` static of this rule's operation.
    pub fn policy_name(op: &Operation) -> String {
        op.id.replace('.', "_").to_uppercase()
    }
}

/// The operation actions a spec's `operations` table may name.
const ACTIONS: [Action; 9] = [
    Action::GetCollection,
    Action::PostCollection,
    Action::DeleteCollection,
    Action::GetItem,
    Action::PatchItem,
    Action::PutItem,
    Action::DeleteItem,
    Action::Import,
    Action::Subscribe,
];

/// The runtime's credential tables (`auth::store`), in the storage schema when some
/// operation checks credentials the server keeps.
pub fn tables() -> Vec<Table> {
    let table = |name: &str, columns: &[&str]| Table {
        name: name.into(),
        key: Key::Text,
        columns: columns
            .iter()
            .map(|c| Column {
                name: (*c).into(),
                ty: ColumnType::Text,
            })
            .collect(),
        indexes: Vec::new(),
    };
    vec![
        table("_auth_users", &["password_hash", "roles", "secret"]),
        table("_auth_keys", &["consumer", "roles", "prefix"]),
        table("_auth_tokens", &["user", "prefix"]),
    ]
}

/// JWT audiences: `("*", [...])` for every issuer, or per issuer name.
type Audiences = Vec<(String, Vec<String>)>;

/// A list of names from the spec, owned.
fn names(list: &[Spanned<String>]) -> Vec<String> {
    list.iter().map(|s| s.get_ref().clone()).collect()
}

impl Resolver<'_> {
    /// `[api]`'s issuers and signed-request window.
    pub(super) fn auth_api(&self, api: &ApiSpec) -> Result<AuthApi, Diagnostic> {
        let mut issuers = Vec::new();
        for (name, spec) in api.issuers.iter().flatten() {
            issuers.push(self.issuer(name, spec)?);
        }
        let signature_max_age = match &api.signature_max_age {
            Some(v) => self.positive(v, "signature_max_age")? as u64,
            None => SIGNATURE_MAX_AGE,
        };
        Ok(AuthApi {
            issuers,
            signature_max_age,
        })
    }

    fn issuer(
        &self,
        name: &Spanned<String>,
        spec: &Spanned<IssuerSpec>,
    ) -> Result<Issuer, Diagnostic> {
        let issuer = spec.get_ref();
        if !is_name(name.get_ref()) {
            return Err(self
                .error(name, format!("invalid issuer name `{}`", name.get_ref()))
                .with_help("an issuer's name is lowercase letters, digits, `_` or `-`"));
        }
        match (&issuer.jwks_uri, &issuer.key_env) {
            (None, None) | (Some(_), Some(_)) => {
                return Err(self
                    .error(spec, format!("issuer `{}` needs one source of keys", name.get_ref()))
                    .with_help("give either `jwks_uri` (where its public keys are published) or `key_env` (the environment variable holding its key)"));
            }
            (Some(uri), None) => {
                let text = uri.get_ref();
                if !(text.starts_with("https://") || text.starts_with("http://")) {
                    return Err(self
                        .error(uri, format!("`jwks_uri` `{text}` is not an http(s) URL"))
                        .with_help("write the JWKS URL, like \"https://www.googleapis.com/oauth2/v3/certs\""));
                }
            }
            (None, Some(var)) => {
                let text = var.get_ref();
                let valid = !text.is_empty()
                    && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !text.starts_with(|c: char| c.is_ascii_digit());
                if !valid {
                    return Err(self
                        .error(
                            var,
                            format!("`key_env` `{text}` is not an environment variable name"),
                        )
                        .with_help("name a variable like `JWT_SECRET`: letters, digits and `_`"));
                }
            }
        }
        const ALGORITHMS: [&str; 10] = [
            "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "ES256",
            "ES384",
        ];
        let mut algorithms = Vec::new();
        for algorithm in issuer.algorithms.iter().flatten() {
            if !ALGORITHMS.contains(&algorithm.get_ref().as_str()) {
                return Err(self
                    .error(
                        algorithm,
                        format!("unknown JWT algorithm `{}`", algorithm.get_ref()),
                    )
                    .with_help(format!("the algorithms are {}", ALGORITHMS.join(", "))));
            }
            algorithms.push(algorithm.get_ref().clone());
        }
        let family = |a: &str| match &a[..2] {
            "HS" => "HS",
            "ES" => "ES",
            _ => "RS",
        };
        if let (Some(list), Some(_)) = (&issuer.algorithms, &issuer.jwks_uri)
            && let Some(hs) = list.iter().find(|a| family(a.get_ref()) == "HS")
        {
            return Err(self
                .error(hs, format!("`{}` with `jwks_uri`: a JWKS publishes public keys, never an HMAC secret", hs.get_ref()))
                .with_help("use an asymmetric algorithm (RS256, ES256, ...) with `jwks_uri`, or `key_env` for an HMAC secret"));
        }
        if let (Some(list), Some(_)) = (&issuer.algorithms, &issuer.key_env)
            && let Some(other) = list
                .iter()
                .find(|a| family(a.get_ref()) != family(list[0].get_ref()))
        {
            return Err(self
                .error(other, format!("`{}` and `{}` need different kinds of key, and `key_env` holds one", list[0].get_ref(), other.get_ref()))
                .with_help("list algorithms of one family (HS*, RS*/PS*, or ES*) for a key from the environment"));
        }
        if let Some(uri) = &issuer.jwks_uri {
            let text = uri.get_ref();
            if let Some(rest) = text.strip_prefix("http://") {
                let host = rest.split(['/', ':']).next().unwrap_or("");
                if !["127.0.0.1", "localhost", "[::1]"].contains(&host)
                    && !rest.starts_with("[::1]")
                {
                    return Err(self
                        .error(uri, format!("`jwks_uri` `{text}` is plain http"))
                        .with_help("keys fetched without TLS could be anyone's: use https (http only for a loopback address, in tests)"));
                }
            }
        }
        if algorithms.is_empty() {
            algorithms.push(
                if issuer.key_env.is_some() {
                    "HS256"
                } else {
                    "RS256"
                }
                .into(),
            );
        }
        Ok(Issuer {
            name: name.get_ref().clone(),
            issuer: issuer.issuer.get_ref().clone(),
            jwks_uri: issuer.jwks_uri.as_ref().map(|u| u.get_ref().clone()),
            key_env: issuer.key_env.as_ref().map(|v| v.get_ref().clone()),
            algorithms,
        })
    }

    /// Each operation's rule, and each resource's `auth_field` (added to its fields
    /// when the schema does not declare it).
    pub(super) fn apply_auth(
        &self,
        api: &super::Api,
        resources: &mut [Resource],
        operations: &mut [Operation],
    ) -> Result<(), Diagnostic> {
        let api_spec = self.spec.api.get_ref();
        self.check_schemes(api_spec.authentication.as_ref(), api)?;
        self.check_methods(api_spec.public_methods.as_deref())?;
        self.check_methods(api_spec.public_item_methods.as_deref())?;
        self.audiences(api_spec.audiences.as_ref(), api)?;
        for (name, spec) in &self.spec.resources {
            let spec = spec.get_ref();
            self.check_schemes(spec.authentication.as_ref(), api)?;
            self.check_methods(spec.public_methods.as_deref())?;
            self.check_methods(spec.public_item_methods.as_deref())?;
            self.audiences(spec.audiences.as_ref(), api)?;
            for (action, op) in spec.operations.iter().flatten() {
                let known = ACTIONS.iter().find(|a| a.name() == action.get_ref());
                let Some(known) = known else {
                    let list: Vec<&str> = ACTIONS.iter().map(|a| a.name()).collect();
                    let word = action.get_ref().to_lowercase();
                    let guesses: Vec<&str> = list
                        .iter()
                        .copied()
                        .filter(|a| a.starts_with(&format!("{word}_")))
                        .collect();
                    let help = if guesses.is_empty() {
                        format!("the operations are {}", list.join(", "))
                    } else {
                        format!(
                            "operations are named by method and target: did you mean `{}`?",
                            guesses.join("` or `")
                        )
                    };
                    return Err(self
                        .error(action, format!("unknown operation `{}`", action.get_ref()))
                        .with_help(help));
                };
                let id = format!("{}.{}", name.get_ref(), known.name());
                if !operations.iter().any(|o| o.id == id) {
                    return Err(self
                        .error(action, format!("resource `{}` has no operation `{}`", name.get_ref(), known.name()))
                        .with_help("list the method in `resource_methods` or `item_methods`, or remove these settings"));
                }
                let op = op.get_ref();
                self.check_schemes(op.authentication.as_ref(), api)?;
                self.audiences(op.audiences.as_ref(), api)?;
            }
        }
        for (_, spec) in &self.spec.endpoints {
            let spec = spec.get_ref();
            self.check_schemes(spec.authentication.as_ref(), api)?;
            self.audiences(spec.audiences.as_ref(), api)?;
        }
        for resource in resources.iter_mut() {
            self.auth_field(resource)?;
        }
        self.check_auth_field_sources(resources)?;
        for op in operations.iter_mut() {
            op.settings.auth = self.auth_rule(op, api)?;
            let jwt_without_audience = op.settings.auth.as_ref().is_some_and(|rule| {
                rule.schemes.contains(&Scheme::Jwt) && rule.audiences.is_empty()
            });
            if jwt_without_audience {
                // A token another application of the same identity provider was given
                // must not open this API: every JWT names the audience it is for.
                return Err(self
                    .error(&self.spec.api, format!("operation `{}` accepts JWTs for any audience", op.id))
                    .with_help("set `audiences = [\"<this API's audience>\"]` on `[api]` (or per issuer: `audiences = { <issuer> = [...] }`)"));
            }
        }
        for resource in resources.iter() {
            if let Some(field) = &resource.auth_field {
                let protected = operations.iter().any(|o| {
                    o.resource.as_deref() == Some(&resource.name)
                        && o.settings
                            .auth
                            .as_ref()
                            .is_some_and(|r| !r.schemes.is_empty())
                });
                if !protected {
                    let at = self.auth_field_span(&resource.name);
                    return Err(self
                        .error(at, format!("`auth_field = \"{field}\"` on resource `{}`, which no operation authenticates", resource.name))
                        .with_help("set `authentication` on the API or the resource: without a user there is no owner to stamp or compare"));
                }
            }
        }
        Ok(())
    }

    fn check_schemes(
        &self,
        list: Option<&Spanned<Vec<Spanned<String>>>>,
        api: &super::Api,
    ) -> Result<(), Diagnostic> {
        let Some(list) = list else { return Ok(()) };
        let mut seen = Vec::new();
        for word in list.get_ref() {
            let Some(scheme) = Scheme::named(word.get_ref()) else {
                let all: Vec<&str> = Scheme::ALL.iter().map(|s| s.name()).collect();
                return Err(self
                    .error(word, format!("unknown authentication `{}`", word.get_ref()))
                    .with_help(format!("the schemes are {}", all.join(", "))));
            };
            if seen.contains(&scheme) {
                return Err(self
                    .error(word, format!("`{}` is listed twice", word.get_ref()))
                    .with_help("list each scheme once"));
            }
            if scheme == Scheme::Jwt && api.auth.issuers.is_empty() {
                return Err(self
                    .error(word, "`jwt` authentication, but the API declares no issuer")
                    .with_help(
                        "add `[api.issuers.<name>]` with `issuer` and `jwks_uri` or `key_env`",
                    ));
            }
            seen.push(scheme);
        }
        if seen.contains(&Scheme::Custom) && seen.len() > 1 {
            return Err(self
                .error(list, "`custom` authentication replaces the others")
                .with_help("list `custom` alone: your `check_auth` in src/auth.rs decides"));
        }
        Ok(())
    }

    fn check_methods(&self, list: Option<&[Spanned<String>]>) -> Result<(), Diagnostic> {
        for word in list.into_iter().flatten() {
            if !Method::ALL.iter().any(|m| m.as_str() == word.get_ref()) {
                return Err(self
                    .error(word, format!("unknown method `{}`", word.get_ref()))
                    .with_help("the methods are GET, POST, PUT, PATCH and DELETE (uppercase); GET covers HEAD"));
            }
        }
        Ok(())
    }

    /// `audiences`: a list for every issuer, or issuer name → list.
    fn audiences(
        &self,
        value: Option<&Spanned<toml::Value>>,
        api: &super::Api,
    ) -> Result<Option<Audiences>, Diagnostic> {
        let Some(value) = value else { return Ok(None) };
        let strings = |v: &toml::Value| -> Option<Vec<String>> {
            v.as_array()?
                .iter()
                .map(|s| s.as_str().map(str::to_string))
                .collect()
        };
        let bad = || {
            self.error(
                value,
                "`audiences` is a list of strings, or a table of issuer name → list of strings",
            )
            .with_help(
                "write `audiences = [\"my-api\"]` or `audiences = { google = [\"my-api\"] }`",
            )
        };
        match value.get_ref() {
            toml::Value::Array(_) => Ok(Some(vec![(
                "*".into(),
                strings(value.get_ref()).ok_or_else(bad)?,
            )])),
            toml::Value::Table(table) => {
                let mut out = Vec::new();
                for (issuer, list) in table {
                    if !api.auth.issuers.iter().any(|i| &i.name == issuer) {
                        return Err(self
                            .error(value, format!("`audiences` names issuer `{issuer}`, which `[api.issuers]` does not declare"))
                            .with_help("name an issuer of `[api.issuers]`"));
                    }
                    out.push((issuer.clone(), strings(list).ok_or_else(bad)?));
                }
                Ok(Some(out))
            }
            _ => Err(bad()),
        }
    }

    /// The spec of the resource an operation acts on (none for the API's own
    /// operations and generated resources such as the oplog).
    pub(super) fn resource_spec(&self, name: Option<&str>) -> Option<&ResourceSpec> {
        let name = name?;
        self.spec
            .resources
            .iter()
            .find(|(k, _)| k.get_ref() == name)
            .map(|(_, v)| v.get_ref())
    }

    /// One operation's rule, the most specific setting winning; `None`: open.
    fn auth_rule(&self, op: &Operation, api: &super::Api) -> Result<Option<AuthRule>, Diagnostic> {
        let a = self.spec.api.get_ref();
        let r = self.resource_spec(op.resource.as_deref());
        // A custom endpoint's own settings are its operation's.
        let endpoint = op.endpoint.as_deref().and_then(|name| {
            self.spec
                .endpoints
                .iter()
                .find(|(k, _)| k.get_ref() == name)
                .map(|(_, v)| v.get_ref().auth())
        });
        let o: Option<&OperationSpec> = endpoint.as_ref().or_else(|| {
            r.and_then(|r| {
                r.operations
                    .iter()
                    .flatten()
                    .find(|(k, _)| k.get_ref() == op.action.name())
                    .map(|(_, v)| v.get_ref())
            })
        });
        let item = matches!(
            op.action,
            Action::GetItem
                | Action::PatchItem
                | Action::PutItem
                | Action::DeleteItem
                | Action::GetByLookup
        );
        let read = op.method == Method::Get;
        match op.action {
            // The OpenAPI document describes the API to anyone who would call it, as
            // Cloud Endpoints' discovery documents do.
            Action::OpenApi => return Ok(None),
            Action::Home | Action::Schema | Action::SchemaItem => {}
            _ => {}
        }
        let schemes_spec = o
            .and_then(|o| o.authentication.as_ref())
            .or_else(|| r.and_then(|r| r.authentication.as_ref()))
            .or(a.authentication.as_ref());
        let mut schemes: Vec<Scheme> = schemes_spec
            .map(|list| {
                list.get_ref()
                    .iter()
                    .filter_map(|w| Scheme::named(w.get_ref()))
                    .collect()
            })
            .unwrap_or_default();
        let public_list = if item {
            r.and_then(|r| r.public_item_methods.as_deref())
                .or(a.public_item_methods.as_deref())
        } else {
            r.and_then(|r| r.public_methods.as_deref())
                .or(a.public_methods.as_deref())
        };
        let public = match o.and_then(|o| o.public.as_ref()) {
            Some(p) => *p.get_ref(),
            None => public_list
                .into_iter()
                .flatten()
                .any(|m| m.get_ref() == op.method.as_str()),
        };
        if public {
            schemes.clear();
        }
        let api_key_required = o
            .and_then(|o| o.api_key_required.as_ref())
            .or_else(|| r.and_then(|r| r.api_key_required.as_ref()))
            .or(a.api_key_required.as_ref())
            .is_some_and(|v| *v.get_ref());
        if schemes.is_empty() && !api_key_required {
            return Ok(None);
        }
        let pick = |res: Option<&Option<Vec<Spanned<String>>>>,
                    api: &Option<Vec<Spanned<String>>>| {
            res.and_then(|v| v.as_deref())
                .or(api.as_deref())
                .map(names)
                .unwrap_or_default()
        };
        let roles = match o.and_then(|o| o.allowed_roles.as_deref()) {
            Some(list) => names(list),
            None if item => {
                let mut roles = pick(r.map(|r| &r.allowed_item_roles), &a.allowed_item_roles);
                roles.extend(if read {
                    pick(
                        r.map(|r| &r.allowed_item_read_roles),
                        &a.allowed_item_read_roles,
                    )
                } else {
                    pick(
                        r.map(|r| &r.allowed_item_write_roles),
                        &a.allowed_item_write_roles,
                    )
                });
                roles
            }
            None => {
                let mut roles = pick(r.map(|r| &r.allowed_roles), &a.allowed_roles);
                roles.extend(if read {
                    pick(r.map(|r| &r.allowed_read_roles), &a.allowed_read_roles)
                } else {
                    pick(r.map(|r| &r.allowed_write_roles), &a.allowed_write_roles)
                });
                roles
            }
        };
        let mut dedup = Vec::new();
        for role in roles {
            if !dedup.contains(&role) {
                dedup.push(role);
            }
        }
        let audiences_spec = o
            .and_then(|o| o.audiences.as_ref())
            .or_else(|| r.and_then(|r| r.audiences.as_ref()))
            .or(a.audiences.as_ref());
        let audiences = self.audiences(audiences_spec, api)?.unwrap_or_default();
        let client_ids = o
            .and_then(|o| o.allowed_client_ids.as_deref())
            .or_else(|| r.and_then(|r| r.allowed_client_ids.as_deref()))
            .or(a.allowed_client_ids.as_deref())
            .map(names)
            .unwrap_or_default();
        let scopes = o
            .and_then(|o| o.scopes.as_deref())
            .or_else(|| r.and_then(|r| r.scopes.as_deref()))
            .or(a.scopes.as_deref())
            .map(names)
            .unwrap_or_default();
        Ok(Some(AuthRule {
            schemes,
            api_key_required,
            roles: dedup,
            audiences,
            client_ids,
            scopes,
        }))
    }

    /// Where a resource's `auth_field` is written (the resource's, else the API's).
    fn auth_field_span(&self, resource: &str) -> &Spanned<String> {
        self.resource_spec(Some(resource))
            .and_then(|r| r.auth_field.as_ref())
            .or(self.spec.api.get_ref().auth_field.as_ref())
            .expect("a resource with an auth_field has it from its spec or the API's")
    }

    /// A resource's `auth_field`: only resources of the spec that own a table or serve
    /// one (not aggregations, not the oplog); added to the fields as a string when the
    /// schema does not declare it.
    fn auth_field(&self, resource: &mut Resource) -> Result<(), Diagnostic> {
        let Some(spec) = self.resource_spec(Some(&resource.name)) else {
            return Ok(());
        };
        let own = spec.auth_field.as_ref();
        let setting = own.or(self.spec.api.get_ref().auth_field.as_ref());
        let Some(setting) = setting else {
            return Ok(());
        };
        if resource.datasource.aggregation.is_some() {
            if own.is_some() {
                return Err(self
                    .error(
                        setting,
                        "an aggregation resource has no documents of its own to restrict",
                    )
                    .with_help("put `auth_field` on the resource the pipeline reads"));
            }
            return Ok(());
        }
        let name = setting.get_ref();
        if name == "_id" || name.starts_with('_') {
            return Err(self
                .error(setting, format!("`auth_field` cannot be `{name}`"))
                .with_help("name a field of the schema, or a new one (like \"owner\"): fields starting with `_` are Eve's"));
        }
        if resource.path_fields.iter().any(|f| f == name) {
            return Err(self
                .error(
                    setting,
                    format!("`auth_field` `{name}` is a field of the resource's url"),
                )
                .with_help(
                    "the url's fields are set by the path; choose another field for the owner",
                ));
        }
        match resource.fields.iter().find(|f| &f.name == name) {
            Some(field) if field.kind != Kind::String => {
                return Err(self
                    .error(setting, format!("`auth_field` `{name}` is {} {} field", super::resolve::article(field.kind.name()), field.kind.name()))
                    .with_help("the owner is a user name: declare it as `{ type = \"string\" }`, or leave it out of the schema"));
            }
            Some(field) if field.required || field.unique || field.default.is_some() => {
                return Err(self
                    .error(setting, format!("`auth_field` `{name}` has rules clients would have to satisfy"))
                    .with_help("the server sets the owner: drop `required`, `unique` and `default` from the field"));
            }
            Some(_) => {}
            None if resource.datasource.source.is_some() => {
                // Checked against the source's fields once every resource is resolved.
            }
            None => resource.fields.push(Field {
                nullable: true,
                ..Field::plain(name, Kind::String)
            }),
        }
        resource.auth_field = Some(name.clone());
        Ok(())
    }

    /// A resource serving another's table (`datasource.source`) restricts by a field
    /// that table has; an aggregation may not read an owned resource's documents.
    fn check_auth_field_sources(&self, resources: &mut [Resource]) -> Result<(), Diagnostic> {
        // An aggregation's pipeline runs over every document of its source: over an
        // owned resource it would total other users' documents. Refused rather than
        // restricted, since `$group` results have no owner to check a caller against.
        for resource in resources.iter() {
            let (Some(_), Some(source)) = (
                resource.datasource.aggregation.as_ref(),
                resource.datasource.source.as_deref(),
            ) else {
                continue;
            };
            let owned = resources
                .iter()
                .find(|r| r.name == source)
                .and_then(|s| s.auth_field.as_deref());
            let at = self
                .resource_spec(Some(&resource.name))
                .and_then(|r| r.datasource.as_ref())
                .and_then(|d| d.get_ref().aggregation.as_ref());
            if let (Some(field), Some(at)) = (owned, at) {
                return Err(self
                    .error(at, format!("aggregation `{}` reads `{source}`, whose documents are each their owner's (`auth_field = \"{field}\"`)", resource.name))
                    .with_help(format!("an aggregation would total every user's documents: aggregate a resource without `auth_field`, or drop `auth_field` from `{source}`")));
            }
        }
        for i in 0..resources.len() {
            let (Some(field), Some(source)) = (
                resources[i].auth_field.clone(),
                resources[i].datasource.source.clone(),
            ) else {
                continue;
            };
            let has = resources
                .iter()
                .find(|r| r.name == source)
                .is_some_and(|s| s.fields.iter().any(|f| f.name == field));
            if !has {
                let at = self.auth_field_span(&resources[i].name);
                return Err(self
                    .error(at, format!("`auth_field` `{field}` is not a field of `{source}`, whose documents `{}` serves", resources[i].name))
                    .with_help(format!("set `auth_field = \"{field}\"` on `{source}` too")));
            }
            if !resources[i].fields.iter().any(|f| f.name == field) {
                let owner = resources
                    .iter()
                    .find(|r| r.name == source)
                    .and_then(|s| s.fields.iter().find(|f| f.name == field))
                    .cloned();
                resources[i].fields.extend(owner);
            }
        }
        Ok(())
    }
}

/// An issuer's name: lowercase letters, digits, `_` and `-`.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Whether some operation checks credentials the server keeps (users, keys, tokens):
/// the storage schema then has the credential tables.
pub fn uses_store(operations: &[Operation]) -> bool {
    operations
        .iter()
        .filter_map(|o| o.settings.auth.as_ref())
        .any(|r| r.api_key_required || r.schemes.iter().any(|s| s.uses_store()))
}

/// Every scheme some operation accepts, in order.
pub fn schemes_used(operations: &[Operation]) -> Vec<Scheme> {
    let mut all: Vec<Scheme> = operations
        .iter()
        .filter_map(|o| o.settings.auth.as_ref())
        .flat_map(|r| r.schemes.iter().copied())
        .collect();
    all.sort();
    all.dedup();
    all
}
