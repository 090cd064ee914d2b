//! `src/api/access.rs` of a crate whose spec has auth: the API's auth settings and one
//! `auth::Policy` per operation with a rule (`model::auth`), which the router puts in
//! front of that operation's handler.

use crate::model::auth::{AuthRule, Scheme};
use crate::model::{Action, Model, Operation};
use crate::render::{self, RenderError};
use crate::rust::str_lit;

/// Whether the crate has `access.rs` (and the runtime's `auth` feature).
pub fn uses_auth(model: &Model) -> bool {
    model.operations.iter().any(|o| o.settings.auth.is_some())
}

/// Whether some operation accepts JWTs (the runtime's `jwt` feature).
pub fn uses_jwt(model: &Model) -> bool {
    crate::model::auth::schemes_used(&model.operations).contains(&Scheme::Jwt)
}

/// Whether the user's own check is used (`authentication = ["custom"]`).
pub fn uses_custom(model: &Model) -> bool {
    crate::model::auth::schemes_used(&model.operations).contains(&Scheme::Custom)
}

/// The operation whose handler, guard and meter answer `op`'s route: an additional
/// lookup shares its item GET's.
pub fn route_owner<'a>(model: &'a Model, op: &'a Operation) -> &'a Operation {
    if op.action == Action::GetByLookup {
        let item = op
            .id
            .replace(Action::GetByLookup.name(), Action::GetItem.name());
        model.operations.iter().find(|o| o.id == item).unwrap_or(op)
    } else {
        op
    }
}

/// The policy static guarding `op` in the router, when it has a rule. An additional
/// lookup shares its item's route and handler, so it shares the item GET's policy.
pub fn policy_path(model: &Model, op: &Operation) -> Option<String> {
    let op = route_owner(model, op);
    op.settings
        .auth
        .as_ref()
        .map(|_| format!("super::access::{}", AuthRule::policy_name(op)))
}

fn str_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| str_lit(s)).collect();
    format!("&[{}]", items.join(", "))
}

/// The file's text.
pub fn access_rs(model: &Model) -> Result<String, RenderError> {
    let api = &model.api;
    let mut out = String::new();
    out.push_str(
        "//! Who may call what: the API's auth settings, and one policy per operation that\n\
         //! has a rule (the spec's `authentication`, `api_key_required`, `public_methods`,\n\
         //! `allowed_*roles`, JWT `audiences`, `allowed_client_ids` and `scopes`, the most\n\
         //! specific winning). The router puts `auth::guard` with the policy in front of\n\
         //! the operation's handler.\n\n",
    );
    // Only what the file names: a spec with API keys alone has no scheme to list and
    // no issuer, and an unused import would warn in the user's build.
    let mut imports = vec!["Policy", "Settings"];
    if !api.auth.issuers.is_empty() {
        imports.push("Issuer");
    }
    if model
        .operations
        .iter()
        .filter_map(|o| o.settings.auth.as_ref())
        .any(|rule| !rule.schemes.is_empty())
    {
        imports.push("Scheme");
    }
    imports.sort();
    out.push_str(&format!(
        "use apigen_runtime::auth::{{{}}};\n\n",
        imports.join(", ")
    ));
    let issuers: Vec<String> = api
        .auth
        .issuers
        .iter()
        .map(|i| {
            format!(
                "Issuer {{ name: {}, issuer: {}, jwks_uri: {}, key_env: {}, algorithms: {} }}",
                str_lit(&i.name),
                str_lit(&i.issuer),
                i.jwks_uri
                    .as_ref()
                    .map_or("None".into(), |u| format!("Some({})", str_lit(u))),
                i.key_env
                    .as_ref()
                    .map_or("None".into(), |v| format!("Some({})", str_lit(v))),
                str_list(&i.algorithms),
            )
        })
        .collect();
    // A public operation's caller is still known by the schemes the API uses, for
    // its rate limits and quotas (`auth::verified_user`).
    // The user's own check belongs to the operations that name it; where other
    // schemes exist, those tell who calls.
    let mut used = crate::model::auth::schemes_used(&model.operations);
    if used.len() > 1 {
        used.retain(|s| *s != Scheme::Custom);
    }
    let schemes: Vec<String> = used
        .iter()
        .map(|s| format!("Scheme::{}", s.variant()))
        .collect();
    out.push_str(&format!(
        "/// The API's settings: the realm 401 answers name, the JWT issuers, how far a\n\
         /// signed request's time may be from the server's ({} s), and the schemes that\n\
         /// tell who calls a public operation (for its rate limits and quotas).\n\
         pub static SETTINGS: Settings = Settings {{ realm: {}, issuers: &[{}], signature_max_age: ::std::time::Duration::from_secs({}), schemes: &[{}] }};\n",
        api.auth.signature_max_age,
        str_lit(&api.name),
        issuers.join(", "),
        api.auth.signature_max_age,
        schemes.join(", "),
    ));
    for op in &model.operations {
        let Some(rule) = &op.settings.auth else {
            continue;
        };
        let schemes: Vec<String> = rule
            .schemes
            .iter()
            .map(|s| format!("Scheme::{}", s.variant()))
            .collect();
        let audiences: Vec<String> = rule
            .audiences
            .iter()
            .map(|(issuer, list)| format!("({}, {})", str_lit(issuer), str_list(list)))
            .collect();
        let who = if rule.schemes.is_empty() {
            "no user".to_string()
        } else if rule.roles.is_empty() {
            "any authenticated user".to_string()
        } else {
            format!("roles {}", rule.roles.join(", "))
        };
        out.push_str(&format!(
            "\n/// `{} {}` ({}): {who}{}.\n\
             pub static {}: Policy = Policy {{ schemes: &[{}], api_key_required: {}, roles: {}, audiences: &[{}], client_ids: {}, scopes: {} }};\n",
            op.method.as_str(),
            if op.template().is_empty() { "/".to_string() } else { op.template() },
            op.id,
            if rule.api_key_required { ", with an API key" } else { "" },
            AuthRule::policy_name(op),
            schemes.join(", "),
            rule.api_key_required,
            str_list(&rule.roles),
            audiences.join(", "),
            str_list(&rule.client_ids),
            str_list(&rule.scopes),
        ));
    }
    render::formatted(&out, "src/api/access.rs")
}

#[cfg(test)]
mod tests {
    /// A spec with API keys alone names no scheme and no issuer: neither is imported.
    #[test]
    fn an_api_key_only_spec_imports_only_what_it_uses() {
        let source = "[api]\nname = \"shop\"\nversion = \"1.0.0\"\napi_key_required = true\n\
                      [resources.products.schema]\nname = { type = \"string\" }\n";
        let spec = crate::spec::parse("test.toml", source).expect("parses");
        let model = crate::model::resolve("test.toml", source, &spec).expect("resolves");
        let text = super::access_rs(&model).expect("renders");
        assert!(
            text.contains("use apigen_runtime::auth::{Policy, Settings};"),
            "{text}"
        );
        assert!(text.contains("schemes: &[]"), "{text}");
    }
}
