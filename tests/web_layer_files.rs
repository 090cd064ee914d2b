//! The HTTP layer's optional modules are generated only where the spec asks for them,
//! and its settings reach the generated code (the running behaviour is proven in
//! `e2e_web.rs` and `e2e_people_http.rs`).

fn files(api_extra: &str, resource_extra: &str) -> Vec<apigen::OutputFile> {
    let source = format!(
        "[api]\nname = \"shop\"\nversion = \"1.0.0\"\n{api_extra}\n\n[resources.orders]\n{resource_extra}\n\n[resources.orders.schema]\ncode = {{ type = \"string\" }}\n"
    );
    let model = apigen::model_from_str("shop.toml", &source).expect("a valid spec");
    apigen::crate_files(&model, "shop.toml").expect("renders")
}

fn file<'a>(files: &'a [apigen::OutputFile], path: &str) -> Option<&'a str> {
    files
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.contents.as_str())
}

#[test]
fn defaults_have_xml_and_method_override_but_no_cors() {
    let files = files("", "");
    assert!(file(&files, "src/api/xml.rs").is_some());
    assert!(file(&files, "src/api/cors.rs").is_none());
    let mod_rs = file(&files, "src/api/mod.rs").unwrap();
    assert!(mod_rs.contains("pub mod xml;") && !mod_rs.contains("pub mod cors;"));
    let layers = file(&files, "src/api/layers.rs").unwrap();
    assert!(layers.contains("x-http-method-override"));
    assert!(!layers.contains("CORS") && !layers.contains("Jsonp"));
    let orders = file(&files, "src/api/resources/orders.rs").unwrap();
    assert!(!orders.contains("cache_control") && !orders.contains("cache_expires"));
}

#[test]
fn json_only_and_no_override_leave_their_code_out() {
    let files = files(
        "renderers = [\"json\"]\nallow_override_http_method = false",
        "",
    );
    assert!(file(&files, "src/api/xml.rs").is_none());
    assert!(
        !file(&files, "src/api/mod.rs")
            .unwrap()
            .contains("pub mod xml;")
    );
    let layers = file(&files, "src/api/layers.rs").unwrap();
    assert!(!layers.contains("x-http-method-override") && !layers.contains("xml"));
}

#[test]
fn cors_jsonp_and_cache_settings_reach_the_generated_code() {
    let files = files(
        "x_domains = [\"*\"]\njsonp_argument = \"cb\"\ncache_control = \"max-age=5\"",
        "cache_expires = 7",
    );
    assert!(file(&files, "src/api/cors.rs").is_some());
    let layers = file(&files, "src/api/layers.rs").unwrap();
    assert!(layers.contains("any_domain: true"));
    assert!(layers.contains("max_age: 21600"), "Eve's X_MAX_AGE default");
    assert!(layers.contains("render::arg(query, \"cb\")"));
    let orders = file(&files, "src/api/resources/orders.rs").unwrap();
    assert!(
        orders.contains("cache_control: \"max-age=5\""),
        "inherited from [api]"
    );
    assert!(orders.contains("cache_expires: 7"));
}
