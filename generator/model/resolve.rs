//! The Resolver core: the `[api]` table, each resource (names, url, methods, pages,
//! the settings it inherits from the API), and the names cased for Rust.
//!
//! The features resolve in their own modules, as more `impl Resolver` blocks:
//! `fields`, `defaults`, `routing`, `query_options`, `indexes`, `embedding` and `web`.

use heck::{ToSnakeCase, ToUpperCamelCase};
use toml::Spanned;

use super::{Api, IdType, Methods, Model, Resource};
use crate::diagnostic::Diagnostic;
use crate::spec::{ApiSpec, ResourceSpec, Spec};
use apigen_runtime::date::DateFormat;

/// Default page size and page cap (Eve's `PAGINATION_DEFAULT` and `PAGINATION_LIMIT`).
const PAGINATION_DEFAULT: u32 = 25;
const PAGINATION_LIMIT: u32 = 50;
/// Default request body cap: 1 MiB.
pub(super) const MAX_BODY_BYTES: u64 = 1 << 20;
/// Default cap on the documents of one bulk POST: its validation, its inserts and its
/// error answer all grow with it.
const BULK_MAX_ITEMS: u64 = 1000;

/// Rust keywords (2021 edition, strict and reserved) that need `r#` as identifiers.
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];
/// Keywords that cannot be raw identifiers: they get a trailing underscore.
const NON_RAW_KEYWORDS: &[&str] = &["self", "Self", "super", "crate", "_"];

/// A snake_case Rust identifier for a name, escaped if it is a keyword.
pub fn rust_ident(name: &str) -> String {
    let snake = name.to_snake_case();
    if NON_RAW_KEYWORDS.contains(&snake.as_str()) {
        format!("{snake}_")
    } else if RUST_KEYWORDS.contains(&snake.as_str()) {
        format!("r#{snake}")
    } else {
        snake
    }
}

/// "a" or "an" before a type name: "an integer", "a string".
pub fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Eve's default item title: the resource name made singular in the simple cases.
fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if name.ends_with("ss") || name.ends_with("us") {
        name.to_string()
    } else if let Some(stem) = name.strip_suffix('s') {
        stem.to_string()
    } else {
        name.to_string()
    }
}

pub(crate) struct Resolver<'a> {
    pub(crate) path: &'a str,
    pub(crate) source: &'a str,
    pub(crate) spec: &'a Spec,
}

impl Resolver<'_> {
    pub(crate) fn error<T>(&self, spanned: &Spanned<T>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(self.path, self.source, spanned.span(), message)
    }

    pub(super) fn model(&self) -> Result<Model, Diagnostic> {
        let api = self.api(self.spec.api.get_ref())?;
        if self.spec.resources.is_empty() {
            return Err(self
                .error(&self.spec.api, "the spec declares no resources")
                .with_help("add a `[resources.<name>.schema]` table with at least one field"));
        }
        let mut resources = Vec::new();
        for (name, resource) in &self.spec.resources {
            resources.push(self.resource(name, resource.get_ref())?);
        }
        self.check_resource_renames()?;
        self.check_unique(&resources, |r| r.module_file.clone(), "module")?;
        self.check_unique(&resources, |r| r.doc_type.clone(), "type")?;
        self.check_unique(&resources, |r| r.route_shape(), "url")?;
        if let Some(oplog) = &api.oplog {
            // Every served resource's writes are logged (internal ones have no write
            // routes), in a resource of the oplog's own.
            for resource in &mut resources {
                resource.oplog = !resource.internal;
            }
            resources.push(self.oplog_resource(oplog)?);
        }
        let endpoints = self.endpoints()?;
        let mut operations = super::operations::operations(&api, &resources, &endpoints);
        self.check_endpoint_routes(&api.prefix, &operations)?;
        self.apply_auth(&api, &mut resources, &mut operations)?;
        self.check_live(&api, &resources)?;
        self.apply_limits(&api.quotas, &mut operations)?;
        self.check_media_endpoint(&api.media, &resources)?;
        self.check_versions_tables(&resources)?;
        let mut tables = super::storage::tables(&resources);
        tables.extend(super::media::table(&resources));
        if super::auth::uses_store(&operations) {
            tables.extend(super::auth::tables());
        }
        self.check_index_names(&tables)?;
        let clients = self.clients()?;
        Ok(Model {
            api,
            clients,
            tables,
            resources,
            operations,
            endpoints,
        })
    }

    /// A resource's `renamed_from` names its old name (see `check_renames`), and
    /// only a resource that keeps a table has one to rename.
    fn check_resource_renames(&self) -> Result<(), Diagnostic> {
        let resources = &self.spec.resources;
        let renames = resources
            .iter()
            .map(|(name, resource)| (name, resource.get_ref().renamed_from.as_ref()));
        self.check_renames(
            renames,
            "resource",
            "a resource of this spec",
            "the spec's `[resources]`",
        )?;
        for resource in resources.values().map(Spanned::get_ref) {
            if let (Some(from), Some(datasource)) = (&resource.renamed_from, &resource.datasource)
                && datasource.get_ref().source.is_some()
            {
                return Err(self
                    .error(
                        from,
                        "a resource with `datasource.source` keeps no table to rename",
                    )
                    .with_help("put `renamed_from` on the resource that owns the table"));
            }
        }
        Ok(())
    }

    fn check_unique(
        &self,
        resources: &[Resource],
        key: impl Fn(&Resource) -> String,
        what: &str,
    ) -> Result<(), Diagnostic> {
        for (i, resource) in resources.iter().enumerate() {
            if let Some(earlier) = resources[..i].iter().find(|r| key(r) == key(resource)) {
                let spanned = self
                    .spec
                    .resources
                    .keys()
                    .find(|k| k.get_ref() == &resource.name)
                    .expect("resource came from the spec");
                return Err(self
                    .error(
                        spanned,
                        format!(
                            "resources `{}` and `{}` would share the {what} `{}`",
                            earlier.name,
                            resource.name,
                            key(resource)
                        ),
                    )
                    .with_help("rename one of them, or give it its own `url`"));
            }
        }
        Ok(())
    }

    fn api(&self, api: &ApiSpec) -> Result<Api, Diagnostic> {
        let name = api.name.get_ref();
        let valid_name = name.len() <= 40
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !valid_name {
            return Err(self
                .error(&api.name, format!("invalid API name `{name}`"))
                .with_help(
                    "an API name is 1 to 40 characters: a lowercase letter, then lowercase letters or digits ([a-z][a-z0-9]{0,39})",
                ));
        }
        let version = api.version.get_ref();
        let major = version
            .split('.')
            .next()
            .and_then(|m| m.parse::<u64>().ok())
            .filter(|_| {
                version
                    .split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            })
            .ok_or_else(|| {
                self.error(&api.version, format!("invalid version `{version}`"))
                    .with_help("write a version as numbers separated by dots, like \"1.0.0\"; its major part becomes the `/v1` path segment")
            })?;
        let prefix = match (&api.prefix, &api.base_path) {
            (Some(prefix), _) => self.path_prefix(prefix)?,
            (None, Some(base)) => format!("{}/v{major}", self.path_prefix(base)?),
            (None, None) => format!("/api/v{major}"),
        };
        let max_body_bytes = match &api.max_body_bytes {
            Some(v) => self.positive(v, "max_body_bytes")? as u64,
            None => MAX_BODY_BYTES,
        };
        Ok(Api {
            name: name.clone(),
            package: format!("{name}-api"),
            lib: format!("{name}_api"),
            version: version.clone(),
            title: api.title.clone().unwrap_or_else(|| format!("{name} API")),
            description: api.description.clone().unwrap_or_default(),
            prefix,
            max_body_bytes,
            bulk_max_items: match &api.bulk_max_items {
                Some(v) => self.positive(v, "bulk_max_items")? as u64,
                None => BULK_MAX_ITEMS,
            },
            tls: api.tls,
            hateoas: api.hateoas.unwrap_or(true),
            web: self.web(api)?,
            date_format: self.date_format()?,
            media: self.media(api, max_body_bytes)?,
            hooks: self.api_hooks(api.hooks.as_deref())?,
            oplog: self.oplog(api)?,
            schema_endpoint: self.schema_endpoint(api)?,
            auth: self.auth_api(api)?,
            quotas: self.quotas()?,
        })
    }

    /// The spec's `date_format`, checked; `None` for Eve's default (RFC 1123).
    pub(super) fn date_format(&self) -> Result<Option<DateFormat>, Diagnostic> {
        match &self.spec.api.get_ref().date_format {
            None => Ok(None),
            Some(pattern) => match DateFormat::compile(pattern.get_ref()) {
                Ok(format) if format.is_rfc1123() => Ok(None),
                Ok(format) => Ok(Some(format)),
                Err(error) => Err(self.error(pattern, error.message).with_help(error.help)),
            },
        }
    }

    /// A path prefix: empty, or `/segment/segment` with URL-safe segments.
    fn path_prefix(&self, value: &Spanned<String>) -> Result<String, Diagnostic> {
        let text = value.get_ref().trim_end_matches('/');
        let valid = text.is_empty()
            || (text.starts_with('/')
                && text[1..].split('/').all(|s| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                }));
        if valid {
            Ok(text.to_string())
        } else {
            Err(self
                .error(value, format!("invalid path prefix `{}`", value.get_ref()))
                .with_help("write a path like \"/api\" (letters, digits, `-`, `_`, `.`), or \"\" to serve at the root"))
        }
    }

    /// A page size: positive, and small enough for the generated server's `u32`.
    fn page_size(&self, value: &Spanned<i64>, what: &str) -> Result<u32, Diagnostic> {
        let size = self.positive(value, what)?;
        u32::try_from(size).map_err(|_| {
            self.error(value, format!("`{what}` {size} is too large"))
                .with_help(format!("a page holds at most {} documents", u32::MAX))
        })
    }

    pub(super) fn positive(&self, value: &Spanned<i64>, what: &str) -> Result<i64, Diagnostic> {
        if *value.get_ref() >= 1 {
            Ok(*value.get_ref())
        } else {
            Err(self
                .error(value, format!("`{what}` must be at least 1"))
                .with_help(format!("set `{what}` to a positive number")))
        }
    }

    pub(super) fn resource(
        &self,
        name: &Spanned<String>,
        spec: &ResourceSpec,
    ) -> Result<Resource, Diagnostic> {
        let text = name.get_ref();
        if !is_lower_name(text) {
            return Err(self
                .error(name, format!("invalid resource name `{text}`"))
                .with_help("resource names are lowercase: a letter, then letters, digits or `_`"));
        }
        let source = self.datasource_source(name, spec)?;
        let schema = match source {
            Some((_, source_spec)) => &source_spec.schema,
            None => &spec.schema,
        };
        if schema.is_empty() {
            return Err(self
                .error(name, format!("resource `{text}` has no fields"))
                .with_help(format!(
                    "add `[resources.{text}.schema]` with at least one field"
                )));
        }
        let url = match &spec.url {
            Some(url) => {
                let trimmed = url.get_ref().trim_matches('/');
                let plain = |s: &str| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                };
                // A sub-resource's `{field}` segments: neither the first nor the last.
                let last = trimmed.split('/').count().saturating_sub(1);
                let valid = !trimmed.is_empty()
                    && trimmed.split('/').enumerate().all(|(i, s)| {
                        plain(s)
                            || (i > 0
                                && i < last
                                && s.strip_prefix('{')
                                    .and_then(|s| s.strip_suffix('}'))
                                    .is_some_and(plain))
                    });
                if !valid {
                    return Err(self
                        .error(url, format!("invalid url `{}`", url.get_ref()))
                        .with_help(
                            "a resource url is a path like \"people\" or \"customers/overseas\", or a sub-resource like \"people/{contact_id}/invoices\"",
                        ));
                }
                trimmed.to_string()
            }
            None => text.clone(),
        };
        let resource_methods =
            self.methods(spec.resource_methods.as_deref(), &["GET", "POST", "DELETE"])?;
        let item_methods = self.methods(
            spec.item_methods.as_deref(),
            &["GET", "PATCH", "PUT", "DELETE"],
        )?;
        let pagination_limit = match &spec.pagination_limit {
            Some(v) => self.page_size(v, "pagination_limit")?,
            None => match &self.spec.api.get_ref().pagination_limit {
                Some(v) => self.page_size(v, "pagination_limit")?,
                None => PAGINATION_LIMIT,
            },
        };
        let pagination_default = match (
            &spec.pagination_default,
            &self.spec.api.get_ref().pagination_default,
        ) {
            // Eve's `PAGINATION_DEFAULT` is API-wide, and a request without
            // `max_results` gets it cut to the resource's `pagination_limit`.
            (None, Some(v)) => self
                .page_size(v, "pagination_default")?
                .min(pagination_limit),
            (Some(v), _) => {
                let value = self.page_size(v, "pagination_default")?;
                if value > pagination_limit {
                    return Err(self
                        .error(v, format!("`pagination_default` {value} is above `pagination_limit` {pagination_limit}"))
                        .with_help("a default page cannot be larger than the largest page allowed"));
                }
                value
            }
            (None, None) => PAGINATION_DEFAULT.min(pagination_limit),
        };
        let api = self.spec.api.get_ref();
        let mut fields = Vec::new();
        for (field_name, field) in schema {
            fields.push(self.field(field_name, field, 0)?);
        }
        self.check_idents(schema, &fields)?;
        self.check_field_renames(schema)?;
        let lifecycle = self.lifecycle(spec, source.map(|(_, s)| s))?;
        fields.extend(lifecycle.kept_fields());
        let embeds = self.embeds(text, spec, &fields)?;
        let path_fields = self.path_fields(spec, &fields)?;
        let id_type = match &spec.id_type {
            None => IdType::ObjectId,
            Some(word) => IdType::ALL
                .iter()
                .find(|(n, _)| n == word.get_ref())
                .map(|(_, t)| *t)
                .ok_or_else(|| {
                    self.error(word, format!("unknown id_type `{}`", word.get_ref()))
                        .with_help(
                            "`id_type` is \"objectid\" (the default), \"uuid\" or \"integer\"",
                        )
                })?,
        };
        let lookup = match &spec.additional_lookup {
            Some(lookup) => Some(self.lookup(lookup, &fields)?),
            None => None,
        };
        let indexes = self.indexes(text, spec, source.map(|(n, _)| n.as_str()), &fields)?;
        let datasource = self.datasource(spec, source.map(|(n, _)| n.clone()), &fields, id_type)?;
        let import = self.import(
            spec.import.as_ref(),
            &fields,
            &datasource,
            spec.internal_resource,
        )?;
        let live = self.live(spec.live.as_ref(), &datasource, spec.internal_resource)?;
        let ident = module_ident(text);
        Ok(Resource {
            name: text.clone(),
            module_file: ident.trim_start_matches("r#").to_string(),
            module_ident: ident,
            doc_type: doc_type(text),
            table: source.map_or_else(|| text.clone(), |(n, _)| n.clone()),
            url,
            item_title: spec
                .item_title
                .as_ref()
                .map_or_else(|| singular(text), |t| t.get_ref().clone()),
            resource_methods,
            item_methods,
            pagination_default,
            pagination_limit,
            allowed_filters: self.allowed_filters(spec, &fields)?,
            sorting: inherit(spec.sorting, api.sorting, true),
            pagination: inherit(spec.pagination, api.pagination, true),
            projection: inherit(spec.projection, api.projection, true),
            validate_filtering: inherit(spec.validate_filtering, api.validate_filtering, false),
            datasource,
            normalize_on_patch: inherit(spec.normalize_on_patch, api.normalize_on_patch, true),
            merge_nested_documents: inherit(
                spec.merge_nested_documents,
                api.merge_nested_documents,
                true,
            ),
            upsert_on_put: inherit(spec.upsert_on_put, api.upsert_on_put, true),
            form_fields_as_json: inherit(
                spec.multipart_form_fields_as_json,
                api.multipart_form_fields_as_json,
                false,
            ),
            fields,
            hateoas: inherit(spec.hateoas, api.hateoas, true),
            embeds,
            cache: self.cache(spec.cache_control.as_ref(), spec.cache_expires.as_ref())?,
            path_fields,
            id_type,
            lookup,
            internal: spec.internal_resource,
            oplog: false,
            auth_field: None,
            import,
            live,
            indexes,
            lifecycle,
            hooks: self.resource_hooks(spec, resource_methods, item_methods)?,
        })
    }

    fn methods(
        &self,
        listed: Option<&[Spanned<String>]>,
        allowed: &[&str],
    ) -> Result<Methods, Diagnostic> {
        let mut methods = Methods::default();
        for method in listed.unwrap_or_default() {
            match method.get_ref().as_str() {
                "GET" | "HEAD" if allowed.contains(&"GET") => {}
                "POST" if allowed.contains(&"POST") => methods.post = true,
                "PUT" if allowed.contains(&"PUT") => methods.put = true,
                "PATCH" if allowed.contains(&"PATCH") => methods.patch = true,
                "DELETE" if allowed.contains(&"DELETE") => methods.delete = true,
                other => {
                    let upper = other.to_ascii_uppercase();
                    let listed = allowed
                        .iter()
                        .map(|m| format!("\"{m}\""))
                        .collect::<Vec<_>>()
                        .join(", ");
                    // The collection's list is the one with POST; the item's has PATCH.
                    let (here, there, why) = if allowed.contains(&"POST") {
                        (
                            "resource_methods",
                            "item_methods",
                            "applies to one document",
                        )
                    } else {
                        (
                            "item_methods",
                            "resource_methods",
                            "applies to the collection",
                        )
                    };
                    let help = if allowed.contains(&upper.as_str()) || upper == "HEAD" {
                        format!("write methods in capitals: \"{upper}\"")
                    } else if ["POST", "PUT", "PATCH"].contains(&upper.as_str()) {
                        format!("`{upper}` {why}: list it in `{there}`; `{here}` takes {listed}")
                    } else {
                        format!("the methods allowed in `{here}` are {listed}")
                    };
                    return Err(self
                        .error(
                            method,
                            format!("method `{other}` is not allowed in `{here}`"),
                        )
                        .with_help(help));
                }
            }
        }
        Ok(methods)
    }
}

/// Whether `text` is a lowercase name: a letter, then letters, digits or `_`
/// (`[a-z][a-z0-9_]*`), as resources and indexes are named.
pub(super) fn is_lower_name(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A resource's module identifier; `mod` would be `resources/mod.rs`, the module
/// list itself.
pub fn module_ident(name: &str) -> String {
    if name == "mod" {
        "mod_".to_string()
    } else {
        rust_ident(name)
    }
}

/// A resource's document type: `PeopleDocument`.
pub(super) fn doc_type(name: &str) -> String {
    format!("{}Document", name.to_upper_camel_case())
}

/// A resource's switch: its own setting, else the API's, else Eve's default.
fn inherit(own: Option<bool>, api: Option<bool>, default: bool) -> bool {
    own.or(api).unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::model;

    #[test]
    fn escapes_rust_keywords() {
        assert_eq!(rust_ident("type"), "r#type");
        assert_eq!(rust_ident("self"), "self_");
        assert_eq!(rust_ident("firstName"), "first_name");
    }

    #[test]
    fn api_page_default_is_cut_to_a_resource_limit() {
        let m = model(
            "[api]\nname = \"shop\"\nversion = \"1.0.0\"\npagination_default = 100\n[resources.a.schema]\nx = { type = \"integer\" }\n[resources.b]\npagination_limit = 10\n[resources.b.schema]\nx = { type = \"integer\" }\n",
        )
        .expect("Eve cuts PAGINATION_DEFAULT to the limit");
        let sizes: Vec<(u32, u32)> = m
            .resources
            .iter()
            .map(|r| (r.pagination_default, r.pagination_limit))
            .collect();
        assert_eq!(sizes, [(50, 50), (10, 10)]);
    }

    #[test]
    fn upsert_on_put_is_inherited() {
        let m = model(
            "[api]\nname = \"shop\"\nversion = \"1.0.0\"\nupsert_on_put = false\n[resources.a.schema]\nx = { type = \"integer\" }\n[resources.b]\nupsert_on_put = true\n[resources.b.schema]\nx = { type = \"integer\" }\n",
        )
        .expect("valid spec");
        let upserts: Vec<bool> = m.resources.iter().map(|r| r.upsert_on_put).collect();
        assert_eq!(upserts, [false, true]);
    }

    #[test]
    fn defaults_follow_eve() {
        let m = model(
            "[api]\nname = \"shop\"\nversion = \"2.1.0\"\n[resources.orders.schema]\nqty = { type = \"integer\" }\n",
        )
        .expect("valid spec");
        assert_eq!(m.api.prefix, "/api/v2");
        let orders = &m.resources[0];
        assert_eq!(orders.item_title, "order");
        assert_eq!(
            (orders.pagination_default, orders.pagination_limit),
            (25, 50)
        );
        assert_eq!(
            orders.resource_methods,
            Methods::default(),
            "no methods listed: read-only"
        );
        assert_eq!(orders.doc_type, "OrdersDocument");
    }

    #[test]
    fn patch_settings_follow_eve_and_inherit_from_the_api() {
        let m = model(
            "[api]\nname = \"shop\"\nversion = \"1.0.0\"\nnormalize_on_patch = false\n[resources.a.schema]\nx = { type = \"integer\" }\n[resources.b]\nnormalize_on_patch = true\nmerge_nested_documents = false\n[resources.b.schema]\nx = { type = \"integer\" }\n",
        )
        .expect("valid spec");
        let (a, b) = (&m.resources[0], &m.resources[1]);
        assert_eq!(
            (a.normalize_on_patch, a.merge_nested_documents),
            (false, true)
        );
        assert_eq!(
            (b.normalize_on_patch, b.merge_nested_documents),
            (true, false)
        );
        assert_eq!(
            m.api.date_format, None,
            "RFC 1123 unless the spec says otherwise"
        );
    }

    #[test]
    fn empty_prefix_serves_at_the_root() {
        let m = model(
            "[api]\nname = \"shop\"\nversion = \"1.0.0\"\nprefix = \"\"\n[resources.orders.schema]\nqty = { type = \"integer\" }\n",
        )
        .expect("valid spec");
        assert_eq!(m.api.prefix, "");
    }
}
