//! The files of a generated crate, in one list, each with the reason it exists.
//!
//! This is the only place that decides a crate's layout. `Owner::Apigen` files are
//! rewritten on every run; `Owner::User` files are created once and never touched.

use crate::model::Model;
use crate::openapi;
use crate::render::{self, RenderError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Rewritten by every `apigen generate`.
    Apigen,
    /// Created when missing, then the user's.
    User,
    /// A migration (`migrations/*.sql`): apigen's, written once and never rewritten
    /// or removed, since databases may already have had it.
    Migration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the crate's root, with `/` separators.
    pub path: String,
    pub contents: String,
    pub owner: Owner,
}

/// The runtime crate's files (`templates/runtime/`: `Cargo.toml` and `src/`), as
/// `(path, contents)`, embedded by `build.rs` for vendoring.
const RUNTIME_FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));

/// Where a vendored runtime goes, inside the crate.
pub const VENDORED_RUNTIME_DIR: &str = "apigen-runtime";

/// Where a generated crate gets the runtime from: `apigen.json`'s `runtime`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeSource {
    /// apigen writes the runtime into `apigen-runtime/` inside the crate, as a path
    /// dependency: the crate builds alone and offline.
    #[default]
    Vendored,
    /// A copy shared by several crates (a monorepo), at this path relative to the
    /// crate. apigen does not write it: `apigen runtime --out DIR` does.
    Path(String),
    /// The published `apigen-runtime` crate, at this version requirement.
    Version(String),
}

impl RuntimeSource {
    /// The dependency's value in the crate's `Cargo.toml`, with the runtime's
    /// `features` the spec needs.
    pub fn dependency(&self, features: &[&str]) -> String {
        let features = if features.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = features.iter().map(|f| toml_string(f)).collect();
            format!(", features = [{}]", list.join(", "))
        };
        match self {
            RuntimeSource::Vendored => {
                format!(
                    "{{ path = {}{features} }}",
                    toml_string(VENDORED_RUNTIME_DIR)
                )
            }
            RuntimeSource::Path(path) => format!("{{ path = {}{features} }}", toml_string(path)),
            RuntimeSource::Version(version) if features.is_empty() => toml_string(version),
            RuntimeSource::Version(version) => {
                format!("{{ version = {}{features} }}", toml_string(version))
            }
        }
    }
}

/// `ApiModRs::importers`: each importable resource's name and document type.
fn importers(model: &Model) -> Vec<(String, String)> {
    crate::imports::importable(model)
        .into_iter()
        .map(|(name, doc_type)| {
            let module = model
                .resources
                .iter()
                .find(|r| r.name == name)
                .map_or("", |r| r.module_ident.as_str());
            (
                crate::rust::str_lit(name),
                format!("resources::{module}::{doc_type}"),
            )
        })
        .collect()
}

/// Whether a resource is live (`live`).
pub(crate) fn uses_live(model: &Model) -> bool {
    model
        .operations
        .iter()
        .any(|op| op.action == crate::model::Action::Subscribe)
}

/// The runtime's optional parts a crate uses: `auth` when an operation has a rule,
/// `jwt` when one accepts JWTs, `limits` when one is metered, `import` when a resource
/// takes imports.
fn runtime_features(model: &Model) -> Vec<&'static str> {
    let mut features = Vec::new();
    if crate::access::uses_auth(model) {
        features.push("auth");
    }
    if crate::access::uses_jwt(model) {
        features.push("jwt");
    }
    if crate::limits::uses_metering(model) {
        features.push("limits");
    }
    if !crate::imports::importable(model).is_empty() {
        features.push("import");
    }
    if uses_live(model) {
        features.push("live");
    }
    features
}

/// The runtime crate as apigen writes it into `dir` (a crate's `apigen-runtime/`, or a
/// shared copy): every file headed `@generated`, so `--check` notices an edit.
pub fn runtime_files(dir: &str) -> Vec<OutputFile> {
    RUNTIME_FILES
        .iter()
        .map(|(path, contents)| {
            let comment = if path.ends_with(".rs") { "//" } else { "#" };
            OutputFile {
                path: if dir.is_empty() {
                    (*path).to_string()
                } else {
                    format!("{dir}/{path}")
                },
                contents: format!(
                    "{comment} @generated by apigen: a copy of the apigen-runtime crate. Do not edit:\n\
                     {comment} `apigen generate` (vendored) or `apigen runtime` (shared) rewrites it.\n\n{contents}"
                ),
                owner: Owner::Apigen,
            }
        })
        .collect()
}

/// The user's hooks file, created once.
const USER_HOOKS: &str = include_str!("../templates/crate/src/hooks.rs");

/// The user's own auth check, created once.
const USER_AUTH: &str = include_str!("../templates/crate/src/auth.rs");

/// Every file of the crate for `model`. `spec_path` is the spec's path relative to
/// the crate, recorded so `apigen generate` can find it again; `runtime` says where the
/// crate gets the runtime (vendored files are part of the crate).
pub fn crate_files(
    model: &Model,
    spec_path: &str,
    runtime: &RuntimeSource,
    migrations: &[String],
) -> Result<Vec<OutputFile>, RenderError> {
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
                runtime_dependency: runtime.dependency(&runtime_features(model)),
                serde_derive: crate::endpoints::uses_endpoints(model),
                rust_version: if crate::access::uses_jwt(model) {
                    "1.88"
                } else {
                    "1.83"
                },
            },
            "crate/Cargo.toml",
        )?,
        Owner::Apigen,
    );
    // The API's OpenAPI 3.1 document, served at /openapi.json and printed by `openapi`.
    add("openapi.json", openapi::document_text(model), Owner::Apigen);
    // The crate roots: formatted by hand, so a consumer's `cargo fmt --check` passes.
    let validators = !model.validators().is_empty();
    let lib = render::text(
        &render::LibRs {
            validators,
            custom_auth: crate::access::uses_custom(model),
            endpoints: crate::endpoints::uses_endpoints(model),
            ..render::LibRs::new(api)
        },
        "crate/src/lib.rs",
    )?;
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
    // The user's own file: hooks, implemented against the runtime's `Hooks` trait.
    // With a stub of each hook the spec names, to be written by the user.
    add(
        "src/hooks.rs",
        format!("{USER_HOOKS}{}", crate::extending::user_hook_impls(model)),
        Owner::User,
    );

    // The API-wide settings the runtime reads, and the modules below.
    add(
        "src/api/mod.rs",
        render::rust(
            &render::ApiModRs {
                api,
                doc: render::api_mod_doc(api),
                prefix: crate::rust::str_lit(&api.prefix),
                default_db: crate::rust::str_lit(&default_db),
                uses_media: model.uses_media(),
                tables: model
                    .resources
                    .iter()
                    .filter(|r| r.datasource.source.is_none())
                    .flat_map(|r| {
                        let versions = r
                            .lifecycle
                            .versioning
                            .then(|| format!("{}::VERSIONS_TABLE", r.module_ident));
                        std::iter::once(format!("{}::TABLE", r.module_ident)).chain(versions)
                    })
                    .collect(),
                resource_modules: model
                    .resources
                    .iter()
                    .map(|r| r.module_ident.as_str())
                    .collect(),
                oplog_module: api.oplog.as_ref().and_then(|oplog| {
                    let resource = model.resources.iter().find(|r| r.name == oplog.name);
                    resource.map(|r| r.module_ident.as_str())
                }),
                migrations: migrations
                    .iter()
                    .map(|name| {
                        (
                            crate::rust::str_lit(name),
                            crate::rust::str_lit(&format!(
                                "../../{}/{name}.sql",
                                crate::migration::DIR
                            )),
                        )
                    })
                    .collect(),
                document_types: if migrations.is_empty() {
                    Vec::new()
                } else {
                    model
                        .resources
                        .iter()
                        .filter(|r| r.datasource.source.is_none())
                        .map(|r| format!("resources::{}::{}", r.module_ident, r.doc_type))
                        .collect()
                },
                date_doc: render::date_doc(api),
                date_format_expr: crate::rust::date_format_expr(api.date_format.as_ref()),
                web_expr: crate::rust::web_expr(&api.web),
                validators,
                api_hooks: !model.api.hooks.is_empty(),
                auth: crate::access::uses_auth(model),
                credentials: crate::model::auth::uses_store(&model.operations),
                custom_auth: crate::access::uses_custom(model),
                endpoints: crate::endpoints::uses_endpoints(model),
                limits: crate::limits::uses_metering(model),
                importers: importers(model),
                live: uses_live(model),
            },
            "crate/src/api/mod.rs",
        )?,
        Owner::Apigen,
    );
    if crate::access::uses_custom(model) {
        // The user's own check (`authentication = ["custom"]`, Eve's `check_auth`),
        // created once with a check that refuses everyone until it is written.
        add("src/auth.rs", USER_AUTH.to_string(), Owner::User);
    }
    if crate::access::uses_auth(model) {
        // Who may call each operation: the policies the router's guards hold.
        add(
            "src/api/access.rs",
            crate::access::access_rs(model)?,
            Owner::Apigen,
        );
    }
    if crate::limits::uses_metering(model) {
        // What each operation costs: the quotas and rate limits the router's meters hold.
        add(
            "src/api/metering.rs",
            crate::limits::limits_rs(model)?,
            Owner::Apigen,
        );
    }
    if crate::endpoints::uses_endpoints(model) {
        // The custom endpoints' types, trait and handlers, and the user's file that
        // implements the trait (created once, with a stub per endpoint).
        add(
            "src/api/endpoints.rs",
            crate::endpoints::endpoints_rs(model)?,
            Owner::Apigen,
        );
        add(
            "src/endpoints.rs",
            crate::endpoints::user_endpoints_rs(model),
            Owner::User,
        );
    }
    add(
        "src/api/router.rs",
        render::rust(&render::RouterRs::new(model)?, "crate/src/api/router.rs")?,
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
                &render::ResourceRs::new(model, resource),
                "crate/src/api/resources/resource.rs",
            )?,
            Owner::Apigen,
        );
    }
    // Custom validation rules (and the user's file implementing them).
    for (path, contents, owner) in crate::extending::files(model)? {
        add(path, contents, owner);
    }
    if *runtime == RuntimeSource::Vendored {
        files.extend(runtime_files(VENDORED_RUNTIME_DIR));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}
