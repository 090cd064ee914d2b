//! The HTTP layer's settings reach the generated code: `api/mod.rs`'s `WEB`, which the
//! runtime's `layers` module reads (the running behaviour is proven in `e2e_web.rs`
//! and `e2e_people_http.rs`).

use apigen::RuntimeSource;

fn files(api_extra: &str, resource_extra: &str) -> Vec<apigen::OutputFile> {
    let source = format!(
        "[api]\nname = \"shop\"\nversion = \"1.0.0\"\n{api_extra}\n\n[resources.orders]\n{resource_extra}\n\n[resources.orders.schema]\ncode = {{ type = \"string\" }}\n"
    );
    let model = apigen::model_from_str("shop.toml", &source).expect("a valid spec");
    apigen::crate_files(&model, "shop.toml", &RuntimeSource::Vendored).expect("renders")
}

/// A file's text with every run of whitespace made one space, so assertions do not
/// depend on how prettyplease breaks lines.
fn file(files: &[apigen::OutputFile], path: &str) -> String {
    let text = &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} is generated"))
        .contents;
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn defaults_have_xml_and_method_override_but_no_cors() {
    let files = files("", "");
    let mod_rs = file(&files, "src/api/mod.rs");
    assert!(
        mod_rs.contains(
            "layers::Web { method_override: true, json: true, xml: true, jsonp_argument: None, cors: None, }"
        ),
        "{mod_rs}"
    );
    let orders = file(&files, "src/api/resources/orders.rs");
    assert!(!orders.contains("cache_control") && !orders.contains("cache_expires"));
}

#[test]
fn json_only_and_no_override_turn_their_layers_off() {
    let files = files(
        "renderers = [\"json\"]\nallow_override_http_method = false",
        "",
    );
    let mod_rs = file(&files, "src/api/mod.rs");
    assert!(
        mod_rs.contains("method_override: false, json: true, xml: false,"),
        "{mod_rs}"
    );
}

#[test]
fn cors_jsonp_and_cache_settings_reach_the_generated_code() {
    let files = files(
        "x_domains = [\"*\"]\njsonp_argument = \"cb\"\ncache_control = \"max-age=5\"",
        "cache_expires = 7",
    );
    let mod_rs = file(&files, "src/api/mod.rs");
    assert!(mod_rs.contains("jsonp_argument: Some(\"cb\")"), "{mod_rs}");
    assert!(mod_rs.contains("any_domain: true"));
    assert!(mod_rs.contains("max_age: 21600"), "Eve's X_MAX_AGE default");
    let orders = file(&files, "src/api/resources/orders.rs");
    assert!(
        orders.contains("cache_control: \"max-age=5\""),
        "inherited from [api]"
    );
    assert!(orders.contains("cache_expires: 7"));
}
