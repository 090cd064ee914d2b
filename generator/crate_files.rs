//! The files of a generated crate, in one list, each with the reason it exists.
//!
//! This is the only place that decides a crate's layout. `Owner::Apigen` files are
//! rewritten on every run; `Owner::User` files are created once and never touched.

use crate::model::Model;
use crate::openapi;
use crate::render::{self, RenderError, ResourceView};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Rewritten by every `apigen generate`.
    Apigen,
    /// Created when missing, then the user's.
    User,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the crate's root, with `/` separators.
    pub path: String,
    pub contents: String,
    pub owner: Owner,
}

/// Support modules that do not depend on the spec, emitted as written. Each is
/// `(file, what it is for)`; the list also documents the `api` module.
const STATIC_MODULES: &[(&str, &str, &str)] = &[
    (
        "catalog",
        include_str!("../templates/crate/src/api/catalog.rs"),
        "the field catalog type every resource declares its fields with",
    ),
    (
        "db",
        include_str!("../templates/crate/src/api/db.rs"),
        "the embedded SQLite database and its connection pool",
    ),
    (
        "error",
        include_str!("../templates/crate/src/api/error.rs"),
        "the error type and Eve's error envelope",
    ),
    (
        "etag",
        include_str!("../templates/crate/src/api/etag.rs"),
        "entity tags (SHA-1 of a document) and header matching",
    ),
    (
        "handlers",
        include_str!("../templates/crate/src/api/handlers.rs"),
        "Eve's REST protocol, generic over resources",
    ),
    (
        "hooks",
        include_str!("../templates/crate/src/api/hooks.rs"),
        "the event hook trait that `src/hooks.rs` implements",
    ),
    (
        "http",
        include_str!("../templates/crate/src/api/http.rs"),
        "reading bodies, conditional requests, query strings",
    ),
    (
        "links",
        include_str!("../templates/crate/src/api/links.rs"),
        "HATEOAS: the `_links` of every response",
    ),
    (
        "objectid",
        include_str!("../templates/crate/src/api/objectid.rs"),
        "ObjectId-style document ids",
    ),
    (
        "options",
        include_str!("../templates/crate/src/api/options.rs"),
        "what a GET returns: allowed filters, sorting, pagination, projection, datasources",
    ),
    (
        "query",
        include_str!("../templates/crate/src/api/query.rs"),
        "`where` and `sort` parsed, checked and compiled to SQL",
    ),
    (
        "render",
        include_str!("../templates/crate/src/api/render.rs"),
        "`?pretty`, JSONP and XML: a JSON answer rewritten as the client asked",
    ),
    (
        "resource",
        include_str!("../templates/crate/src/api/resource.rs"),
        "the trait each resource's document type implements",
    ),
    (
        "routes",
        include_str!("../templates/crate/src/api/routes.rs"),
        "id types, sub-resource paths and the additional lookup route",
    ),
    (
        "server",
        include_str!("../templates/crate/src/api/server.rs"),
        "accepting connections with limits and timeouts",
    ),
    (
        "state",
        include_str!("../templates/crate/src/api/state.rs"),
        "what every handler is given",
    ),
    (
        "store",
        include_str!("../templates/crate/src/api/store.rs"),
        "documents as SQL values; unique and data_relation checks",
    ),
    (
        "validate",
        include_str!("../templates/crate/src/api/validate.rs"),
        "document validation with Eve's `_issues` messages",
    ),
];

/// Support modules emitted as written, but only into crates whose spec uses them:
/// `(file, source, what it is for, whether the model needs it)`.
type Needed = fn(&Model) -> bool;
const OPTIONAL_MODULES: &[(&str, &str, &str, Needed)] = &[
    (
        "cors",
        include_str!("../templates/crate/src/api/cors.rs"),
        "Cross-Origin Resource Sharing (`x_domains`...)",
        |m| m.api.web.cors.is_some(),
    ),
    (
        "data",
        include_str!("../templates/crate/src/api/data.rs"),
        "writing documents from Rust (hooks), for internal resources",
        |m| m.has_internal(),
    ),
    (
        "embed",
        include_str!("../templates/crate/src/api/embed.rs"),
        "`?embedded=`: references replaced by the documents they name",
        |m| m.uses_embedding(),
    ),
    (
        "geo",
        include_str!("../templates/crate/src/api/geo.rs"),
        "GeoJSON geometries and `$near` distances",
        |m| m.uses_geo(),
    ),
    (
        "uuid",
        include_str!("../templates/crate/src/api/uuid.rs"),
        "random (version 4) UUIDs for `id_type = \"uuid\"`",
        |m| m.uses_uuid_ids(),
    ),
    (
        "xml",
        include_str!("../templates/crate/src/api/xml.rs"),
        "Eve's XML rendering (`renderers`)",
        |m| m.api.web.xml,
    ),
];

/// Modules generated from the spec, for the `api` module's doc comment.
const SPEC_MODULES: &[(&str, &str)] = &[
    (
        "date",
        "RFC 1123 dates on the wire, epoch seconds in the database",
    ),
    (
        "resources",
        "one module per resource: document struct, field catalog, SQL",
    ),
    ("router", "the routes and methods the spec enables"),
    (
        "layers",
        "the HTTP layer before the routes: method override, rendering, CORS",
    ),
];

/// GeoJSON validation and distances, only in crates with a geometry field.
/// The user's hooks file, created once.
const USER_HOOKS: &str = include_str!("../templates/crate/src/hooks.rs");

/// Every file of the crate for `model`. `spec_path` is the spec's path relative to
/// the crate, recorded so `apigen generate` can find it again.
pub fn crate_files(model: &Model, spec_path: &str) -> Result<Vec<OutputFile>, RenderError> {
    let api = &model.api;
    let default_db = render::default_db(model);
    let mut files = Vec::new();
    let mut add = |path: &str, contents: String, owner: Owner| {
        files.push(OutputFile {
            path: path.to_string(),
            contents,
            owner,
        });
    };

    // The package: dependencies, each with the reason it is there.
    let description = if api.description.is_empty() {
        &api.title
    } else {
        &api.description
    };
    add(
        "Cargo.toml",
        render::text(
            &render::CargoToml {
                api,
                spec_path,
                description_toml: toml_string(description),
            },
            "crate/Cargo.toml",
        )?,
        Owner::Apigen,
    );
    // The API's OpenAPI 3.1 document, served at /openapi.json and printed by `openapi`.
    add("openapi.json", openapi::document_text(model), Owner::Apigen);
    // The crate roots: formatted by hand, so a consumer's `cargo fmt --check` passes.
    let lib = render::text(&render::LibRs::new(api), "crate/src/lib.rs")?;
    add(
        "src/lib.rs",
        render::verbatim(&lib, "crate/src/lib.rs")?,
        Owner::Apigen,
    );
    let main = render::text(&render::MainRs { api }, "crate/src/main.rs")?;
    add(
        "src/main.rs",
        render::verbatim(&main, "crate/src/main.rs")?,
        Owner::Apigen,
    );
    // The binary's command line (`serve`, `openapi`).
    add(
        "src/cli.rs",
        render::rust(&render::CliRs::new(model)?, "crate/src/cli.rs")?,
        Owner::Apigen,
    );
    // The user's own file: hooks, implemented against the trait in api/hooks.rs.
    add("src/hooks.rs", USER_HOOKS.to_string(), Owner::User);

    // The generated server.
    let embedding = model.uses_embedding();
    let mut modules: Vec<(&str, &str)> = STATIC_MODULES.iter().map(|(m, _, d)| (*m, *d)).collect();
    let uses_uuid = model.uses_uuid_ids();
    let has_internal = model.has_internal();
    let geo = model.uses_geo();
    modules.extend(SPEC_MODULES.iter().copied());
    let optional: Vec<_> = OPTIONAL_MODULES
        .iter()
        .filter(|(_, _, _, needed)| needed(model))
        .collect();
    modules.extend(optional.iter().map(|(m, _, d, _)| (*m, *d)));
    modules.sort();
    let schema = model
        .resources
        .iter()
        .map(|r| r.sql_schema())
        .filter(|sql| !sql.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    add(
        "src/api/mod.rs",
        render::rust(
            &render::ApiModRs {
                api,
                doc: render::api_mod_doc(api),
                default_db,
                schema,
                modules,
                embedding,
                uses_uuid,
                has_internal,
                geo,
            },
            "crate/src/api/mod.rs",
        )?,
        Owner::Apigen,
    );
    // Dates: verbatim like the static modules (it keeps its comments), but its wire
    // format comes from the spec.
    let date = render::text(&render::DateRs::new(api), "crate/src/api/date.rs")?;
    add(
        "src/api/date.rs",
        render::verbatim(&date, "crate/src/api/date.rs")?,
        Owner::Apigen,
    );
    let statics = STATIC_MODULES
        .iter()
        .copied()
        .chain(optional.iter().map(|(m, s, d, _)| (*m, *s, *d)));
    for (module, source, _) in statics {
        let name = format!("crate/src/api/{module}.rs");
        add(
            &format!("src/api/{module}.rs"),
            render::verbatim(source, &name)?,
            Owner::Apigen,
        );
    }
    let views: Vec<ResourceView> = model.served().map(|r| ResourceView::new(api, r)).collect();
    add(
        "src/api/router.rs",
        render::rust(
            &render::RouterRs {
                home_paths: if api.prefix.is_empty() {
                    vec!["/".to_string()]
                } else {
                    vec![api.prefix.clone(), format!("{}/", api.prefix)]
                },
                home_json: render::home_json(model),
                hateoas: api.hateoas,
                resources: views,
            },
            "crate/src/api/router.rs",
        )?,
        Owner::Apigen,
    );
    add(
        "src/api/layers.rs",
        render::rust(&render::LayersRs::new(&api.web), "crate/src/api/layers.rs")?,
        Owner::Apigen,
    );
    add(
        "src/api/resources/mod.rs",
        render::rust(
            &render::ResourcesModRs {
                resources: &model.resources,
            },
            "crate/src/api/resources/mod.rs",
        )?,
        Owner::Apigen,
    );
    for resource in &model.resources {
        add(
            &format!("src/api/resources/{}.rs", resource.module_file),
            render::rust(
                &render::ResourceRs::new(api, resource),
                "crate/src/api/resources/resource.rs",
            )?,
            Owner::Apigen,
        );
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}
