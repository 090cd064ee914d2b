//! The data handle over a real database: a hand-written resource (what the generator
//! writes for `[resources.books]`) with `unique`, `soft_delete` and an `auth_field`.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use super::{Data, Find};
use crate::catalog::{Field, Kind};
use crate::db::{Db, DbOptions, History};
use crate::error::ApiError;
use crate::hooks::{Document, Hooks};
use crate::oplog::Client;
use crate::resource::{JsonObject, Resource, ResourceInfo};
use crate::schema::{Column, ColumnType, Key, Table};
use crate::state::{AppState, Settings};
use crate::store::{Row, RowKey, RowMeta};

static FIELDS: &[Field] = &[
    Field {
        required: true,
        unique: true,
        ..Field::new("title", Kind::String)
    },
    Field::new("year", Kind::Integer),
    Field::new("owner", Kind::String),
    Field {
        default: Some("false"),
        ..Field::new("_deleted", Kind::Boolean)
    },
];

static TABLE: Table = Table {
    name: "books",
    key: Key::Text,
    columns: &[
        Column::new("title", ColumnType::Text),
        Column::new("year", ColumnType::Integer),
        Column::new("owner", ColumnType::Text),
        Column::new("_deleted", ColumnType::Boolean),
    ],
    indexes: &[],
};

static BOOKS: ResourceInfo = ResourceInfo {
    name: "books",
    url: "books",
    table: &TABLE,
    fields: FIELDS,
    soft_delete: true,
    auth_field: Some("owner"),
    ..ResourceInfo::DEFAULTS
};

#[derive(Debug)]
struct Book {
    id: String,
    title: Option<String>,
    year: Option<i64>,
    owner: Option<String>,
    deleted: Option<bool>,
    created: i64,
    updated: i64,
    etag: String,
}

impl serde::Serialize for Book {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Value::Object(self.fields()).serialize(serializer)
    }
}

impl Book {
    fn fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        let mut put = |name: &str, value: Value| {
            if !value.is_null() {
                fields.insert(name.into(), value);
            }
        };
        put("title", json!(self.title));
        put("year", json!(self.year));
        put("owner", json!(self.owner));
        put("_deleted", json!(self.deleted));
        fields
    }
}

impl Resource for Book {
    const INFO: &'static ResourceInfo = &BOOKS;

    fn from_row<R: Row>(row: &R) -> Result<Self, R::Error> {
        Ok(Book {
            id: row.key(0)?,
            title: row.text(1)?,
            year: row.integer(2)?,
            owner: row.text(3)?,
            deleted: row.boolean(4)?,
            created: row.required_integer(5)?,
            updated: row.required_integer(6)?,
            etag: row.required_text(7)?,
        })
    }

    fn write_row<'r, R: Row>(row: &'r R, out: &mut Vec<u8>) -> Result<RowMeta<'r>, R::Error> {
        let mut doc = JsonObject::new(out);
        let id = row.text_ref(0)?;
        doc.text("_id", id, false);
        doc.text("title", row.text_ref(1)?, false);
        let updated = row.required_integer(6)?;
        let etag = row.text_ref(7)?;
        doc.finish();
        Ok(RowMeta {
            key: RowKey::Text(id.unwrap_or_default()),
            updated,
            etag: etag.unwrap_or_default(),
        })
    }

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn updated(&self) -> i64 {
        self.updated
    }
    fn etag(&self) -> &str {
        &self.etag
    }
    fn into_fields(self) -> Map<String, Value> {
        self.fields()
    }
    fn deleted(&self) -> bool {
        self.deleted == Some(true)
    }
}

/// Records the hooks called; `on_insert_tx` fails for a book titled "Boom" after
/// the rows are written.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Hooks for Recorder {
    fn on_insert_tx(
        &self,
        _: &str,
        documents: &[Document],
        _: &crate::db::Writer<'_>,
    ) -> Result<(), ApiError> {
        if documents.iter().any(|d| d["title"] == "Boom") {
            return Err(ApiError::bad_request("boom"));
        }
        Ok(())
    }
    fn on_inserted(&self, resource: &str, documents: &[Document]) {
        let mut log = self.0.lock().unwrap();
        log.push(format!("inserted {resource} {}", documents.len()));
    }
    fn on_updated(&self, resource: &str, updates: &Document, _: &Document) {
        let mut log = self.0.lock().unwrap();
        log.push(format!(
            "updated {resource} {}",
            Value::Object(updates.clone())
        ));
    }
    fn on_deleted_item(&self, resource: &str, _: &str) {
        self.0.lock().unwrap().push(format!("deleted {resource}"));
    }
}

fn functions(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    crate::sqlite::functions::register(conn, &crate::date::RFC1123)
}

fn state(name: &str) -> (AppState, Arc<Recorder>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("apigen-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::open(
        &dir.join("t.db"),
        &[&TABLE],
        History::default(),
        functions,
        DbOptions::default(),
    )
    .expect("open");
    let recorder = Arc::new(Recorder::default());
    let state = AppState {
        db: Arc::new(db),
        hooks: recorder.clone(),
        settings: Arc::new(Settings {
            prefix: "/api",
            max_body_bytes: 1 << 20,
            bulk_max_items: 100,
            body_read_timeout: std::time::Duration::from_secs(5),
        }),
        #[cfg(feature = "auth")]
        auth: None,
        #[cfg(feature = "limits")]
        limits: None,
        #[cfg(feature = "live")]
        live: None,
    };
    (state, recorder, dir)
}

fn as_user(state: &AppState, user: Option<&str>) -> Data {
    let client = Client {
        ip: None,
        user: user.map(str::to_string),
    };
    Data::new(state.clone(), client)
}

fn doc(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn titles(books: &[Book]) -> Vec<&str> {
    books.iter().filter_map(|b| b.title.as_deref()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_handle_reads_and_writes_as_its_caller() {
    let (state, recorder, dir) = state("caller");
    let (alice, bob, anyone) = (
        as_user(&state, Some("alice")),
        as_user(&state, Some("bob")),
        as_user(&state, None),
    );
    let ids = alice
        .insert::<Book>(vec![
            doc(json!({"title": "Ficciones", "year": 1944, "owner": "bob"})),
            doc(json!({"title": "Zoë's 東京", "year": -300})),
        ])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let bobs = bob
        .insert::<Book>(vec![doc(json!({"title": "Bob's", "year": 2040}))])
        .await
        .unwrap();
    // The owner is the caller, whatever the document said.
    let first: Book = alice.get(&ids[0]).await.unwrap().expect("alice's");
    assert_eq!(first.owner.as_deref(), Some("alice"));
    assert_eq!(first.deleted, Some(false));
    assert!(alice.get::<Book>(&bobs[0]).await.unwrap().is_none());
    assert!(alice.get::<Book>("not an id").await.unwrap().is_none());

    assert_eq!(alice.count::<Book>(&json!({})).await.unwrap(), 2);
    assert_eq!(bob.count::<Book>(&json!({})).await.unwrap(), 1);
    assert_eq!(anyone.count::<Book>(&Value::Null).await.unwrap(), 3);
    let old = alice
        .find::<Book>(&json!({"year": {"$lt": 0}}), Find::default())
        .await
        .unwrap();
    assert_eq!(titles(&old), ["Zoë's 東京"]);
    let sorted = Find {
        sort: Some("-year".into()),
        limit: Some(1),
        skip: Some(1),
    };
    let page = anyone.find::<Book>(&json!({}), sorted).await.unwrap();
    assert_eq!(titles(&page), ["Ficciones"]);

    // A filter is checked as `?where=` is.
    for bad in [json!({"nope": 1}), json!([1]), json!({"year": {"$bad": 1}})] {
        let error = alice.find::<Book>(&bad, Find::default()).await.unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST, "{bad}");
    }

    // All or none, with a bulk POST's 422.
    let error = alice
        .insert::<Book>(vec![
            doc(json!({"title": "New"})),
            doc(json!({"title": "Ficciones"})),
        ])
        .await
        .unwrap_err();
    assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        Value::Array(error.items.unwrap()),
        json!([{"_status": "OK"}, {"_status": "ERR", "_issues": {"title": "value 'Ficciones' is not unique"}}])
    );
    assert_eq!(anyone.count::<Book>(&json!({})).await.unwrap(), 3);

    // Updates: another user's document is not found; rules hold.
    let error = alice
        .update::<Book>(&bobs[0], doc(json!({"year": 1})))
        .await
        .unwrap_err();
    assert_eq!(error.status, StatusCode::NOT_FOUND);
    alice
        .update::<Book>(&ids[0], doc(json!({"year": 1945, "owner": "bob"})))
        .await
        .unwrap();
    let first: Book = alice.get(&ids[0]).await.unwrap().unwrap();
    assert_eq!(
        (first.year, first.owner.as_deref()),
        (Some(1945), Some("alice"))
    );
    let error = alice
        .update::<Book>(&ids[0], doc(json!({"year": "x"})))
        .await
        .unwrap_err();
    assert_eq!(
        error.issues.unwrap().to_json(),
        json!({"year": "must be of integer type"})
    );

    // Soft delete: hidden from reads, found by a filter naming `_deleted`.
    assert!(!alice.delete::<Book>(&bobs[0]).await.unwrap());
    assert!(alice.delete::<Book>(&ids[1]).await.unwrap());
    assert!(alice.get::<Book>(&ids[1]).await.unwrap().is_none());
    assert_eq!(alice.count::<Book>(&json!({})).await.unwrap(), 1);
    assert_eq!(
        alice
            .count::<Book>(&json!({"_deleted": true}))
            .await
            .unwrap(),
        1
    );

    assert_eq!(
        *recorder.0.lock().unwrap(),
        [
            "inserted books 2",
            "inserted books 1",
            r#"updated books {"owner":"alice","year":1945}"#,
            "deleted books"
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_is_all_or_none_and_each_step_too() {
    let (state, recorder, dir) = state("tx");
    let alice = as_user(&state, Some("alice"));
    let error = alice
        .transaction(|tx| {
            tx.insert::<Book>(vec![doc(json!({"title": "One"}))])?;
            // The transaction sees its own writes.
            assert_eq!(tx.count::<Book>(&json!({}))?, 1);
            Err::<(), _>(ApiError::bad_request("changed my mind"))
        })
        .await
        .unwrap_err();
    assert_eq!(error.message, "changed my mind");
    assert_eq!(alice.count::<Book>(&json!({})).await.unwrap(), 0);
    assert!(recorder.0.lock().unwrap().is_empty(), "no after hooks");

    let kept = alice
        .transaction(|tx| {
            let ids = tx.insert::<Book>(vec![doc(json!({"title": "Two"}))])?;
            // Written, then refused by a hook: undone alone; the closure goes on.
            let boom = tx.insert::<Book>(vec![doc(json!({"title": "Boom"}))]);
            assert!(boom.is_err());
            tx.update::<Book>(&ids[0], doc(json!({"year": 2})))?;
            let found = tx.find::<Book>(&json!({"year": 2}), Find::default())?;
            assert_eq!(found.len(), 1);
            assert!(tx.get::<Book>(&ids[0])?.is_some());
            Ok(ids)
        })
        .await
        .unwrap();
    let all = alice
        .find::<Book>(&json!({}), Find::default())
        .await
        .unwrap();
    assert_eq!(titles(&all), ["Two"]);
    assert_eq!(all[0].id, kept[0]);
    assert_eq!(
        *recorder.0.lock().unwrap(),
        ["inserted books 1", r#"updated books {"year":2}"#]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
