//! The event hooks a user implements in `src/hooks.rs` are called around each write:
//! "before" hooks may change documents or refuse the request (rolling the write
//! back), "after" hooks see what was committed.

mod support;

use std::sync::{Arc, Mutex};

use people_api::api::error::ApiError;
use people_api::api::hooks::{Document, Hooks};
use serde_json::{Value, json};
use support::TestServer;

/// Records every call; refuses inserts of lastname "Forbidden"; stamps a firstname.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<String>>,
}

impl Recorder {
    fn record(&self, call: String) {
        self.calls.lock().expect("calls").push(call);
    }
}

impl Hooks for Recorder {
    fn on_insert(&self, resource: &str, documents: &mut [Document]) -> Result<(), ApiError> {
        self.record(format!("on_insert {resource} {}", documents.len()));
        for document in documents.iter_mut() {
            if document.get("lastname") == Some(&json!("Forbidden")) {
                return Err(ApiError::bad_request(
                    "lastname Forbidden is refused by a hook",
                ));
            }
            document.insert("firstname".into(), json!("Hooked"));
        }
        Ok(())
    }

    fn on_inserted(&self, resource: &str, documents: &[Document]) {
        self.record(format!("on_inserted {resource} {}", documents.len()));
    }

    fn on_update(
        &self,
        resource: &str,
        updates: &Document,
        original: &Document,
    ) -> Result<(), ApiError> {
        self.record(format!(
            "on_update {resource} {} {}",
            Value::Object(updates.clone()),
            original["age"]
        ));
        Ok(())
    }

    fn on_updated(&self, resource: &str, _updates: &Document, _original: &Document) {
        self.record(format!("on_updated {resource}"));
    }

    fn on_delete_item(&self, resource: &str, _id: &str) -> Result<(), ApiError> {
        self.record(format!("on_delete_item {resource}"));
        Ok(())
    }

    fn on_deleted_item(&self, resource: &str, _id: &str) {
        self.record(format!("on_deleted_item {resource}"));
    }
}

#[test]
fn hooks_see_every_write_and_can_change_or_refuse_it() {
    let hooks = Arc::new(Recorder::default());
    let server = TestServer::start_people(hooks.clone(), |_| {});

    let created = server.create("people", json!({"lastname": "Doe", "age": 40}));
    let id = created["_id"].as_str().expect("an id").to_string();
    let stored = server.get(&format!("/api/v1/people/{id}"));
    assert_eq!(
        stored.json()["firstname"],
        "Hooked",
        "on_insert changed the document"
    );
    assert_eq!(
        stored.json()["_etag"],
        created["_etag"],
        "the tag covers the hook's change"
    );

    let refused = server.post(
        "/api/v1/people",
        &json!([{"lastname": "Fine"}, {"lastname": "Forbidden"}]),
    );
    assert_eq!(
        refused.error(400),
        "lastname Forbidden is refused by a hook"
    );
    assert_eq!(
        server.items("/api/v1/people").len(),
        1,
        "the refused bulk insert left nothing"
    );

    let patched = server.patch(
        &format!("/api/v1/people/{id}"),
        Some(&stored.etag()),
        &json!({"age": 41}),
    );
    assert_eq!(patched.status, 200);
    let deleted = server.delete(&format!("/api/v1/people/{id}"), Some(&patched.etag()));
    assert_eq!(deleted.status, 204);

    assert_eq!(
        *hooks.calls.lock().expect("calls"),
        [
            "on_insert people 1",
            "on_inserted people 1",
            "on_insert people 2",
            "on_update people {\"age\":41} 40",
            "on_updated people",
            "on_delete_item people",
            "on_deleted_item people",
        ]
    );
}
