//! A custom endpoint added to a spec after `apigen new`: `apigen generate` leaves the
//! user's `src/endpoints.rs` byte for byte as it was, and the crate then fails to build,
//! naming the missing method, until the user writes it. Nothing the user wrote is lost.
//!
//! The crate is built with cargo in `target/generated-crates`, shared with the other
//! tests that build generated crates, so its dependencies build once.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SPEC: &str = r#"[api]
name = "grow"
version = "1.0.0"

[resources.items]
resource_methods = ["GET", "POST"]

[resources.items.schema]
name = { type = "string", required = true }

[endpoints.ping]
method = "GET"
path = "ping"
response = { type = "string" }
"#;

const ADDED: &str = r#"
[endpoints.double]
method = "POST"
path = "double"
body = { type = "dict", required = true, schema = { n = { type = "integer", required = true } } }
response = { type = "integer" }
"#;

/// The user's own code, written in the first version: it must survive.
const USER_PING: &str = "    async fn ping(&self, call: &Call) -> Result<PingResponse, ApiError> {
        let _ = call;
        Ok(\"pong, from the user's code\".to_string())
    }
";

const USER_DOUBLE: &str = "
    async fn double(&self, call: &Call, body: DoubleBody) -> Result<DoubleResponse, ApiError> {
        let _ = call;
        body.n.checked_mul(2).ok_or_else(|| ApiError::bad_request(\"too large to double\"))
    }
";

fn target_dir() -> PathBuf {
    std::env::var_os("APIGEN_TEST_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/generated-crates")
        })
}

fn apigen(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_apigen"))
        .args(args)
        .output()
        .expect("apigen runs");
    assert!(
        output.status.success(),
        "apigen {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn build(crate_dir: &Path) -> Output {
    Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .expect("cargo runs")
}

#[test]
fn an_endpoint_added_later_keeps_the_users_file_and_fails_the_build_until_written() {
    let root = support::generated_crate_dir("endpoint-regeneration");
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).expect("create the work directory");
    let spec = root.join("spec.toml");
    let crate_dir = root.join("crate");
    fs::write(&spec, SPEC).expect("write the spec");
    apigen(&[
        "new",
        &spec.to_string_lossy(),
        "--out",
        &crate_dir.to_string_lossy(),
    ]);

    // The stub answers 501 until written; the user writes `ping`.
    let user_file = crate_dir.join("src/endpoints.rs");
    let stub = fs::read_to_string(&user_file).expect("the user's endpoints file");
    assert!(
        stub.contains("ApiError::not_implemented(\"ping\")"),
        "{stub}"
    );
    let start = stub.find("    /// `GET ping`").expect("the stub of ping");
    let end = stub.rfind("}\n").expect("the impl's end");
    let written = format!("{}{USER_PING}{}", &stub[..start], &stub[end..]);
    fs::write(&user_file, &written).expect("write the user's code");
    let output = build(&crate_dir);
    assert!(
        output.status.success(),
        "the first version builds:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // An endpoint is added to the spec and the crate regenerated.
    fs::write(&spec, format!("{SPEC}{ADDED}")).expect("edit the spec");
    apigen(&["generate", "--out", &crate_dir.to_string_lossy()]);
    assert_eq!(
        fs::read_to_string(&user_file).expect("the user's file"),
        written,
        "regeneration left the user's file as it was"
    );
    let generated = fs::read_to_string(crate_dir.join("src/api/endpoints.rs")).expect("generated");
    assert!(generated.contains("fn double("), "{generated}");
    let output = build(&crate_dir);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "the build must fail until `double` is written"
    );
    assert!(
        errors.contains("E0046") && errors.contains("double"),
        "the compiler names the missing method:\n{errors}"
    );

    // Written, it builds again.
    let end = written.rfind("}\n").expect("the impl's end");
    let complete = format!("{}{USER_DOUBLE}{}", &written[..end], &written[end..]);
    fs::write(&user_file, complete).expect("write the new method");
    let output = build(&crate_dir);
    assert!(
        output.status.success(),
        "the crate builds once the method is written:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
