//! The generated Rust clients end to end, against generated servers started here:
//! `library` (CRUD, bulk creates, 422 issues, 412s resolved, pages, diff updates
//! checked in the oplog, typed filters, sorts, projections, embedding, batches, live
//! subscriptions through a proxy that cuts connections), `notes` (every auth scheme
//! the spec declares) and `tables` (429 retried, custom endpoints, imports).

mod support;

use std::time::Duration;

use library_client::{
    BookUpdate, BulkItem, Change, Error, LibraryClient, NewAuthor, NewBook, Query, Reconnect,
    Retry, StreamExt, batch,
};
use serde_json::json;
use support::TestServer;

const API: &str = "/api/v1";

fn library() -> (TestServer, LibraryClient) {
    let server = support::start_generated!(library_api, API);
    let client = LibraryClient::new(&format!("http://{}", server.addr)).expect("a client");
    (server, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crud_with_typed_documents_and_etags() {
    let (_server, client) = library();
    let author = client
        .authors()
        .create(&NewAuthor::new("Ursula K. Le Guin"))
        .await
        .expect("create an author");
    let written = client
        .books()
        .create(
            &NewBook::new("The Dispossessed")
                .pages(387)
                .author(author.id.clone())
                .tags(vec!["sf".into()]),
        )
        .await
        .expect("create a book");
    assert_eq!(written.etag.len(), 40, "{written:?}");

    let book = client.books().get(&written.id).await.expect("get");
    assert_eq!(book.title, "The Dispossessed");
    assert_eq!(book.pages, Some(387));
    assert_eq!(book.etag, written.etag);
    assert_eq!(book.author.as_ref().and_then(|a| a.id()), Some(&author.id));

    // update: a PATCH with If-Match from the document read.
    let patched = client
        .books()
        .update(&book.id, &book.etag, &BookUpdate::new().pages(400))
        .await
        .expect("patch");
    assert_ne!(patched.etag, book.etag);
    let book = client.books().get(&book.id).await.unwrap();
    assert_eq!(book.pages, Some(400));

    // replace: a PUT of the whole document.
    client
        .books()
        .replace(
            &book.id,
            &book.etag,
            &NewBook::new("The Dispossessed (2nd ed.)"),
        )
        .await
        .expect("put");
    let book = client.books().get(&book.id).await.unwrap();
    assert_eq!(book.title, "The Dispossessed (2nd ed.)");
    assert_eq!(book.pages, None, "a PUT replaces the whole document");

    // delete: soft delete on books; gone from the list, there with show_deleted.
    client
        .books()
        .delete(&book.id, &book.etag)
        .await
        .expect("delete");
    match client.books().get(&book.id).await {
        Err(error) => assert_eq!(error.status(), Some(404), "{error}"),
        Ok(book) => panic!("still there: {book:?}"),
    }
    let listed = client.books().list().await.unwrap();
    assert!(listed.items.is_empty());
    let deleted = client
        .books()
        .find(Query::new().param("show_deleted", "true"))
        .await
        .unwrap();
    assert_eq!(deleted.items[0].deleted, Some(true));

    // The API's own operations.
    assert!(client.home().await.unwrap()["_links"]["child"].is_array());
    assert_eq!(client.openapi().await.unwrap()["openapi"], "3.1.0");
    assert!(client.schema().await.unwrap().get("books").is_some());
    assert!(
        client
            .schema_of("authors")
            .await
            .unwrap()
            .get("name")
            .is_some()
    );

    client
        .authors()
        .delete_all()
        .await
        .expect("delete all authors");
    assert!(client.authors().list().await.unwrap().items.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_creates_report_each_document_and_422s_carry_issues() {
    let (_server, client) = library();
    let items = client
        .books()
        .create_many(&[NewBook::new("One"), NewBook::new(""), NewBook::new("Three")])
        .await
        .expect("a bulk answer");
    assert!(matches!(items[0], BulkItem::NotWritten), "{items:?}");
    assert!(
        items[1].issues().unwrap().contains_key("title"),
        "{items:?}"
    );
    assert!(matches!(items[2], BulkItem::NotWritten), "{items:?}");
    assert!(
        client.books().list().await.unwrap().items.is_empty(),
        "all or nothing"
    );

    let items = client
        .books()
        .create_many(&[NewBook::new("One"), NewBook::new("Two")])
        .await
        .unwrap();
    assert_eq!(items.iter().filter_map(BulkItem::created).count(), 2);

    let error = client
        .books()
        .create(&NewBook::new("Bad").isbn("not an isbn").pages(0))
        .await
        .expect_err("refused");
    assert_eq!(error.status(), Some(422));
    let issues = error.issues().unwrap();
    assert!(issues.contains_key("isbn"), "{issues:?}");
    assert!(issues.contains_key("pages"), "{issues:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_412_is_resolved_by_refetching() {
    let (_server, client) = library();
    let written = client
        .books()
        .create(&NewBook::new("Kindred"))
        .await
        .unwrap();
    let mine = client.books().get(&written.id).await.unwrap();
    let theirs = client.books().get(&written.id).await.unwrap();
    client
        .books()
        .update(&theirs.id, &theirs.etag, &BookUpdate::new().pages(264))
        .await
        .unwrap();
    let stale = client
        .books()
        .update(
            &mine.id,
            &mine.etag,
            &BookUpdate::new().tags(vec!["classic".into()]),
        )
        .await
        .expect_err("the etag is stale");
    assert!(stale.is_conflict(), "{stale}");
    assert!(matches!(stale, Error::Conflict(_)));
    // Resolve: read again, apply the change again.
    let fresh = client.books().get(&written.id).await.unwrap();
    client
        .books()
        .update(
            &fresh.id,
            &fresh.etag,
            &BookUpdate::new().tags(vec!["classic".into()]),
        )
        .await
        .expect("with the new etag");
    let book = client.books().get(&written.id).await.unwrap();
    assert_eq!(
        (book.pages, book.tags),
        (Some(264), Some(vec!["classic".to_string()]))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_one_at_a_time_and_as_a_stream() {
    let (_server, client) = library();
    let books: Vec<NewBook> = (1..=8)
        .map(|n| NewBook::new(format!("Book {n}")).pages(n))
        .collect();
    client.books().create_many(&books).await.unwrap();
    let fields = library_client::Book::fields();
    let query = Query::new().sort(fields.pages().asc()).max_results(3);

    let first = client.books().find(query.clone()).await.unwrap();
    assert_eq!(first.items.len(), 3);
    assert_eq!(first.meta.total, Some(8));
    assert_eq!(first.next_page(), Some(2));
    let third = client.books().find(query.clone().page(3)).await.unwrap();
    assert_eq!(third.items.len(), 2);
    assert!(!third.has_next());

    let pages: Vec<_> = client.books().pages(query).collect().await;
    assert_eq!(pages.len(), 3);
    let pages: Vec<i64> = pages
        .into_iter()
        .flat_map(|page| page.unwrap().items)
        .map(|book| book.pages.unwrap())
        .collect();
    assert_eq!(pages, (1..=8).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_diff_update_sends_only_the_changed_field() {
    let (_server, client) = library();
    let written = client
        .books()
        .create(
            &NewBook::new("Beloved")
                .pages(324)
                .tags(vec!["novel".into()]),
        )
        .await
        .unwrap();
    let original = client.books().get(&written.id).await.unwrap();
    let mut changed = original.clone();
    changed.pages = Some(325);
    let saved = client.books().save(&original, &changed).await.unwrap();
    assert!(saved.is_some());
    assert_eq!(
        client.books().save(&changed, &changed).await.unwrap(),
        None,
        "nothing to send"
    );

    let oplog = client
        .oplog()
        .find(
            Query::new()
                .sort(library_client::Oplog::fields().id().desc())
                .max_results(1),
        )
        .await
        .unwrap();
    let entry = &oplog.items[0];
    assert_eq!(entry.o.as_deref(), Some("PATCH"));
    assert_eq!(
        entry
            .c
            .as_ref()
            .map(|c| serde_json::Value::Object(c.clone())),
        Some(json!({"pages": 325}))
    );
    assert_eq!(
        client.books().get(&written.id).await.unwrap().tags,
        Some(vec!["novel".to_string()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_filters_sorts_projections_and_embedding() {
    let (_server, client) = library();
    let author = client
        .authors()
        .create(&NewAuthor::new("Octavia E. Butler"))
        .await
        .unwrap();
    let books = [
        NewBook::new("Dune").pages(412),
        NewBook::new("dune messiah").pages(256),
        NewBook::new("Kindred").pages(264).author(author.id.clone()),
        NewBook::new("Parable of the Sower")
            .pages(345)
            .author(author.id.clone()),
    ];
    client.books().create_many(&books).await.unwrap();
    let f = library_client::Book::fields();

    // `.re(pattern, flags)`, OR, a range; `f.title().gt(3)` would not compile.
    let filter = f
        .title()
        .re("^dune", "i")
        .or(f.pages().gt(300).and(f.pages().lt(400)));
    let found = client
        .books()
        .find(Query::new().filter(filter).sort(f.pages().desc()))
        .await
        .unwrap();
    let titles: Vec<&str> = found.items.iter().map(|b| b.title.as_str()).collect();
    assert_eq!(titles, ["Dune", "Parable of the Sower", "dune messiah"]);

    // Projection: only the title comes (pages is absent).
    let projected = client
        .books()
        .find(Query::new().filter(f.title().eq("Kindred")).only(f.title()))
        .await
        .unwrap();
    assert_eq!(projected.items[0].title, "Kindred");
    assert_eq!(projected.items[0].pages, None);
    // Fields of several kinds, chained; or all but one.
    let both = client
        .books()
        .find(
            Query::new()
                .filter(f.title().eq("Kindred"))
                .only(f.title())
                .only(f.pages()),
        )
        .await
        .unwrap();
    assert_eq!(
        (both.items[0].pages, both.items[0].author.is_none()),
        (Some(264), true)
    );
    let without = client
        .books()
        .find(
            Query::new()
                .filter(f.title().eq("Kindred"))
                .without(f.pages()),
        )
        .await
        .unwrap();
    assert_eq!(
        (without.items[0].pages, without.items[0].author.is_some()),
        (None, true)
    );

    // Embedding: the author document in place of its id.
    let embedded = client
        .books()
        .find(
            Query::new()
                .filter(f.author().eq(author.id.clone()))
                .embed(f.author())
                .sort(f.title().asc()),
        )
        .await
        .unwrap();
    assert_eq!(embedded.items.len(), 2);
    for book in &embedded.items {
        let author = book
            .author
            .as_ref()
            .and_then(|a| a.document())
            .expect("embedded");
        assert_eq!(author.name, "Octavia E. Butler");
    }

    // An aggregation resource.
    let rows = client.editions().aggregate(None, None).await.unwrap();
    assert!(
        rows.items
            .iter()
            .any(|row| row.id.as_deref() == Some("Dune")),
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_have_a_result_per_request_and_lazy_ones_are_bounded() {
    let (_server, client) = library();
    let books = client.books();
    let results = batch::all([
        books.create(&NewBook::new("A")),
        books.create(&NewBook::new("")),
        books.create(&NewBook::new("C")),
    ])
    .await;
    assert!(results[0].is_ok() && results[2].is_ok());
    assert_eq!(results[1].as_ref().unwrap_err().status(), Some(422));

    let inflight = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let requests = (0..20).map(|n| {
        let books = books.clone();
        let (inflight, most) = (inflight.clone(), most.clone());
        async move {
            use std::sync::atomic::Ordering::SeqCst;
            let now = inflight.fetch_add(1, SeqCst) + 1;
            most.fetch_max(now, SeqCst);
            let result = books.create(&NewBook::new(format!("Lazy {n}"))).await;
            inflight.fetch_sub(1, SeqCst);
            result
        }
    });
    let stream = batch::lazy(requests, 4);
    assert_eq!(
        most.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing runs until polled"
    );
    let done: Vec<_> = stream.collect().await;
    assert_eq!(done.iter().filter(|r| r.is_ok()).count(), 20);
    let most = most.load(std::sync::atomic::Ordering::SeqCst);
    assert!((1..=4).contains(&most), "{most} at once");
    assert_eq!(books.list().await.unwrap().meta.total, Some(22));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_survives_dropped_connections_without_losing_or_repeating() {
    let server = support::start_generated!(library_api, API);
    let proxy = support::proxy::DropProxy::start(server.addr);
    let direct = LibraryClient::new(&format!("http://{}", server.addr)).unwrap();
    let live = LibraryClient::new(&format!("http://{}", proxy.addr)).unwrap();
    let f = library_client::Book::fields();
    // From the oplog's start (`since` 0): the stream is lazy, and the writes below may
    // come before its first connection.
    let mut events = Box::pin(live.books().subscribe_from(
        Query::new().filter(f.pages().gt(100)),
        Some("0".to_string()),
        Reconnect::default(),
    ));

    let mut seen = Vec::new();
    let mut expected = Vec::new();
    for round in 0..3 {
        for n in 0..3 {
            let title = format!("Round {round} book {n}");
            direct
                .books()
                .create(&NewBook::new(&title).pages(50))
                .await
                .unwrap();
            direct
                .books()
                .create(&NewBook::new(&title).pages(150))
                .await
                .unwrap();
            expected.push(title);
        }
        // Read this round's events, then cut the connection mid-stream.
        while seen.len() < expected.len() {
            let event = tokio::time::timeout(Duration::from_secs(10), events.next())
                .await
                .expect("an event in time")
                .expect("the stream goes on")
                .expect("an event");
            match event.change {
                Change::Insert(book) => seen.push(book.title),
                other => panic!("{other:?}"),
            }
        }
        // Written while the connection is down: delivered after the reconnection.
        proxy.drop_connections();
        let title = format!("While down {round}");
        direct
            .books()
            .create(&NewBook::new(&title).pages(500))
            .await
            .unwrap();
        expected.push(title);
    }
    while seen.len() < expected.len() {
        let event = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("an event in time")
            .unwrap()
            .unwrap();
        if let Change::Insert(book) = event.change {
            seen.push(book.title);
        }
    }
    assert_eq!(seen, expected, "every event once, in order");
    assert!(proxy.drops() >= 3);
    // Nothing more: no repeats arrive later.
    let extra = tokio::time::timeout(Duration::from_millis(300), events.next()).await;
    assert!(extra.is_err(), "unexpected {extra:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_built_with_retries_and_a_timeout() {
    let (server, _client) = library();
    let client: LibraryClient = LibraryClient::builder(format!("http://{}", server.addr))
        .retry(Retry::default())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    assert!(client.books().list().await.unwrap().items.is_empty());
}

// ---------------------------------------------------------------------------------
// notes: every auth scheme the spec declares.

mod notes {
    use super::*;
    use notes_api::api::auth::store;
    use notes_client::{Change, NewDelivery, NewNote, NotesClient, Query, Reconnect};

    const JWT_ISSUER: &str = "https://login.notes.test";

    fn password(user: &str) -> String {
        format!("the password of {user}")
    }

    fn secret(user: &str) -> String {
        format!("the signing secret of {user}")
    }

    fn start() -> (TestServer, String) {
        support::set_notes_env();
        let server = support::start_generated!(notes_api, API);
        let _ = server.get(&format!("{API}/announcements"));
        let conn = apigen_runtime::rusqlite::Connection::open(server.dir().join("api.db")).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        for user in ["alice", "bob"] {
            store::add_user(
                &conn,
                user,
                &password(user),
                &["writer".to_string()],
                Some(&secret(user)),
            )
            .unwrap();
        }
        let url = format!("http://{}", server.addr);
        (server, url)
    }

    fn conn(server: &TestServer) -> apigen_runtime::rusqlite::Connection {
        let conn = apigen_runtime::rusqlite::Connection::open(server.dir().join("api.db")).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn
    }

    fn jwt(sub: &str) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = json!({
            "iss": JWT_ISSUER, "aud": "notes-api", "sub": sub, "roles": ["writer"],
            "iat": now, "nbf": now - 10, "exp": now + 600,
        });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(support::NOTES_JWT_SECRET.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    /// Creates, reads back, lists and changes a note as this client's user.
    async fn round_trip(client: &NotesClient, scheme: &str) {
        let title = format!("written with {scheme}");
        let written = client
            .notes()
            .create(&NewNote::new(&title).body("text"))
            .await
            .unwrap_or_else(|e| panic!("{scheme}: {e}"));
        // Twice the same request in the same second: signatures never repeat.
        for _ in 0..2 {
            let note = client
                .notes()
                .get(&written.id)
                .await
                .unwrap_or_else(|e| panic!("{scheme}: {e}"));
            assert_eq!(note.title, title);
        }
        let fields = notes_client::Note::fields();
        let mine = client
            .notes()
            .find(Query::new().filter(fields.title().eq(title.clone())))
            .await
            .unwrap_or_else(|e| panic!("{scheme}: {e}"));
        assert_eq!(mine.items.len(), 1, "{scheme}");
        let note = &mine.items[0];
        let mut changed = note.clone();
        changed.body = Some("changed".into());
        client
            .notes()
            .save(note, &changed)
            .await
            .unwrap_or_else(|e| panic!("{scheme}: {e}"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_scheme_the_spec_declares() {
        let (server, url) = start();
        let basic: NotesClient = NotesClient::builder(&url)
            .basic("alice", password("alice"))
            .build()
            .unwrap();
        round_trip(&basic, "basic").await;

        let token = store::create_token(&conn(&server), "alice").unwrap();
        let bearer: NotesClient = NotesClient::builder(&url).bearer(token).build().unwrap();
        round_trip(&bearer, "token").await;

        let hmac: NotesClient = NotesClient::builder(&url)
            .hmac("bob", secret("bob"))
            .build()
            .unwrap();
        round_trip(&hmac, "hmac").await;

        let signed: NotesClient = NotesClient::builder(&url)
            .signed("bob", secret("bob"), "notes")
            .build()
            .unwrap();
        round_trip(&signed, "signed").await;

        let jwt_client: NotesClient = NotesClient::builder(&url)
            .bearer(jwt("jules"))
            .build()
            .unwrap();
        round_trip(&jwt_client, "jwt").await;

        // Owned documents: alice sees hers only (three schemes wrote as alice).
        assert_eq!(basic.notes().list().await.unwrap().items.len(), 2);
        assert_eq!(hmac.notes().list().await.unwrap().items.len(), 2);

        // Wrong credentials: a typed 401.
        let wrong: NotesClient = NotesClient::builder(&url)
            .basic("alice", "nope")
            .build()
            .unwrap();
        let error = wrong.notes().list().await.expect_err("refused");
        assert_eq!(error.status(), Some(401));
        assert_eq!(
            error.api().unwrap().message,
            "Please provide proper credentials"
        );
        let forged: NotesClient = NotesClient::builder(&url)
            .hmac("bob", "not the secret")
            .build()
            .unwrap();
        assert_eq!(forged.notes().list().await.unwrap_err().status(), Some(401));

        // An API key (`status`: api_key_required, no user).
        let key = store::create_key(&conn(&server), "monitoring", &[]).unwrap();
        let anonymous = NotesClient::new(&url).unwrap();
        assert_eq!(
            anonymous.status().list().await.unwrap_err().status(),
            Some(401)
        );
        let keyed: NotesClient = NotesClient::builder(&url).api_key(key).build().unwrap();
        keyed.status().list().await.expect("with the key");

        // The service's own scheme (`custom`): its header, sent with every request.
        let provider: NotesClient = NotesClient::builder(&url)
            .header("x-provider-secret", support::NOTES_PROVIDER_SECRET)
            .unwrap()
            .build()
            .unwrap();
        provider
            .deliveries()
            .create(&NewDelivery::new("paid").amount(3))
            .await
            .expect("custom auth");
        assert_eq!(
            anonymous.deliveries().list().await.unwrap_err().status(),
            Some(401)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_signed_subscription_gets_its_users_documents_only() {
        let (server, url) = start();
        let proxy = support::proxy::DropProxy::start(server.addr);
        let alice: NotesClient = NotesClient::builder(&url)
            .basic("alice", password("alice"))
            .build()
            .unwrap();
        let bob: NotesClient = NotesClient::builder(&url)
            .basic("bob", password("bob"))
            .build()
            .unwrap();
        // Alice follows her notes with HMAC signatures: each reconnection signs again.
        let live: NotesClient = NotesClient::builder(format!("http://{}", proxy.addr))
            .hmac("alice", secret("alice"))
            .build()
            .unwrap();
        let mut events =
            live.notes()
                .subscribe_from(Query::new(), Some("0".into()), Reconnect::default());
        alice.notes().create(&NewNote::new("mine 1")).await.unwrap();
        bob.notes().create(&NewNote::new("bob's")).await.unwrap();
        let wait = Duration::from_secs(10);
        let first = tokio::time::timeout(wait, events.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        proxy.drop_connections();
        alice.notes().create(&NewNote::new("mine 2")).await.unwrap();
        let second = tokio::time::timeout(wait, events.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let titles: Vec<String> = [first, second]
            .into_iter()
            .map(|event| match event.change {
                Change::Insert(note) => note.title,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(titles, ["mine 1", "mine 2"]);
    }
}

// ---------------------------------------------------------------------------------
// tables: rate limits, custom endpoints, imports with signed requests.

mod tables {
    use super::*;
    use tables_api::api::auth::store;
    use tables_client::endpoints::{AppendRowsBodyItem, TableCountQuery};
    use tables_client::{ImportOptions, NewRow, OnError, Table, TablesClient};

    fn password(user: &str) -> String {
        format!("a password of {user}")
    }

    fn start() -> (TestServer, String) {
        let server = support::start_generated!(tables_api, API);
        let _ = server.get(&format!("{API}/rows"));
        let conn = apigen_runtime::rusqlite::Connection::open(server.dir().join("api.db")).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        for (user, role) in [
            ("ada", "loader"),
            ("bea", "loader"),
            ("cy", "loader"),
            ("root", "admin"),
        ] {
            let secret = format!("secret of {user}");
            store::add_user(
                &conn,
                user,
                &password(user),
                &[role.to_string()],
                Some(&secret),
            )
            .unwrap();
        }
        let url = format!("http://{}", server.addr);
        (server, url)
    }

    fn as_user(url: &str, user: &str) -> tables_client::ClientBuilder {
        TablesClient::builder(url).basic(user, password(user))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_429_carries_retry_after_and_is_retried_when_asked() {
        let (_server, url) = start();
        let client: TablesClient = as_user(&url, "ada").build().unwrap();
        let rows: Vec<NewRow> = (0..12).map(|n| NewRow::new("limits", 2000 + n)).collect();
        client.rows().create_many(&rows).await.unwrap();
        let all = client
            .rows()
            .find(tables_client::Query::new().max_results(50))
            .await
            .unwrap()
            .items;
        let mut all = all.into_iter();
        // `rate_limit = { delete = [3, 2] }`: the fourth delete in a window is a 429.
        let mut refused = None;
        for row in all.by_ref().take(6) {
            match client.rows().delete(&row.id, &row.etag).await {
                Ok(()) => {}
                Err(limited @ tables_client::Error::RateLimited { .. }) => {
                    refused = Some(limited);
                    break;
                }
                Err(other) => panic!("{other}"),
            }
        }
        match refused.expect("a 429 within six deletes") {
            tables_client::Error::RateLimited { retry_after, error } => {
                assert_eq!(error.status, 429);
                let after = retry_after.expect("Retry-After");
                assert!(after <= Duration::from_secs(2), "{after:?}");
            }
            other => panic!("{other}"),
        }
        // With retries on, every delete goes through, waiting as the server says.
        let patient: TablesClient = as_user(&url, "ada")
            .retry(tables_client::Retry::default())
            .build()
            .unwrap();
        let rest: Vec<_> = all.take(5).collect();
        let started = std::time::Instant::now();
        for row in &rest {
            patient
                .rows()
                .delete(&row.id, &row.etag)
                .await
                .expect("retried until allowed");
        }
        assert!(
            started.elapsed() >= Duration::from_millis(500),
            "five deletes need a second window"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn custom_endpoints_have_typed_path_query_body_and_answer() {
        let (_server, url) = start();
        let loader: TablesClient = as_user(&url, "bea").build().unwrap();
        let body = [
            AppendRowsBodyItem {
                year: 2001,
                amount: Some(1.5),
                region: Some("north".into()),
                ..Default::default()
            },
            AppendRowsBodyItem {
                year: 2002,
                region: Some("south".into()),
                ..Default::default()
            },
        ];
        let appended = loader
            .endpoints()
            .append_rows("sales", &body)
            .await
            .expect("append");
        assert_eq!(
            (
                appended.table.as_str(),
                appended.inserted,
                appended.ids.len()
            ),
            ("sales", 2, 2)
        );

        let anyone = TablesClient::new(&url).unwrap();
        let all = anyone
            .endpoints()
            .table_count("sales", &TableCountQuery::default())
            .await
            .unwrap();
        assert_eq!(all, 2);
        let north = TableCountQuery {
            region: Some("north".into()),
            ..Default::default()
        };
        assert_eq!(
            anyone
                .endpoints()
                .table_count("sales", &north)
                .await
                .unwrap(),
            1
        );

        // A path parameter against its rule: 422 naming it.
        let error = anyone
            .endpoints()
            .table_count("Not-A-Table", &TableCountQuery::default())
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(422), "{error}");
        assert!(
            error.issues().unwrap().contains_key("table_name"),
            "{error}"
        );

        // Roles: only an admin drops a table.
        assert_eq!(
            loader
                .endpoints()
                .drop_table("sales")
                .await
                .unwrap_err()
                .status(),
            Some(401)
        );
        let admin: TablesClient = as_user(&url, "root").build().unwrap();
        assert_eq!(
            admin.endpoints().drop_table("sales").await.unwrap().deleted,
            2
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn imports_of_rows_csv_and_files_report_each_row() {
        let (_server, url) = start();
        // The import operation takes signed requests (the dataset API's).
        let client: TablesClient = TablesClient::builder(&url)
            .signed("cy", "secret of cy", "rows")
            .build()
            .unwrap();
        let table = Table::Rows(vec![
            vec![json!("table"), json!("year")],
            vec![json!("imports"), json!(2001)],
            vec![json!("imports"), json!(0)],
        ]);
        let report = client
            .rows()
            .import(&table, &ImportOptions::default())
            .await
            .expect("a report");
        assert!(report.aborted, "{report:?}");
        assert_eq!((report.rows, report.inserted, report.rejected), (2, 0, 1));
        assert_eq!(report.rejected_rows[0].row, 3);
        assert!(
            report.rejected_rows[0].issues.contains_key("year"),
            "{report:?}"
        );

        let skip = ImportOptions {
            on_error: Some(OnError::Skip),
            ..Default::default()
        };
        let report = client.rows().import(&table, &skip).await.unwrap();
        assert!(!report.aborted);
        assert_eq!((report.inserted, report.rejected), (1, 1));

        let csv = Table::Csv("table,year\nimports,2002\nimports,2003\n".into());
        assert_eq!(
            client
                .rows()
                .import(&csv, &ImportOptions::default())
                .await
                .unwrap()
                .inserted,
            2
        );
        let file = Table::File {
            name: "rows.csv".into(),
            content_type: "text/csv".into(),
            bytes: b"table,year\nimports,2004\n".to_vec(),
        };
        assert_eq!(
            client
                .rows()
                .import(&file, &ImportOptions::default())
                .await
                .unwrap()
                .inserted,
            1
        );
        let anyone = TablesClient::new(&url).unwrap();
        let count = anyone
            .endpoints()
            .table_count("imports", &TableCountQuery::default())
            .await
            .unwrap();
        assert_eq!(count, 4);
    }
}

// ---------------------------------------------------------------------------------
// crm: an additional lookup, sub-resources, integer and UUID ids.

mod crm {
    use super::*;
    use crm_client::{CrmClient, NewContact, NewInvoice, NewOffice, NewRegion, NewTicket, Query};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lookups_sub_resources_and_id_types() {
        let server = support::start_generated!(crm_api, API);
        let client = CrmClient::new(&format!("http://{}", server.addr)).unwrap();

        // Integer ids.
        let region = client
            .regions()
            .create(&NewRegion::new("North"))
            .await
            .unwrap();
        let fetched = client.regions().get(region.id).await.unwrap();
        assert_eq!((fetched.id, fetched.name.as_str()), (region.id, "North"));

        // The additional lookup: a contact by its name.
        let contact = client
            .contacts()
            .create(&NewContact::new("ada").region(region.id))
            .await
            .unwrap();
        let by_name = client.contacts().get_by_name("ada").await.unwrap();
        assert_eq!(by_name.id, contact.id);
        // Embedding an integer-keyed reference.
        let f = crm_client::Contact::fields();
        let embedded = client
            .contacts()
            .get_with(&contact.id, Query::new().embed(f.region()))
            .await
            .unwrap();
        assert_eq!(
            embedded
                .region
                .as_ref()
                .and_then(|r| r.document())
                .map(|r| r.name.as_str()),
            Some("North")
        );

        // A sub-resource: the contact's invoices, its id in the URL.
        let invoices = client.invoices(&contact.id);
        invoices
            .create(&NewInvoice::new(1).total(9.5))
            .await
            .unwrap();
        invoices.create(&NewInvoice::new(2)).await.unwrap();
        let page = invoices.list().await.unwrap();
        assert_eq!(page.items.len(), 2);
        assert!(
            page.items
                .iter()
                .all(|i| i.contact_id.id() == Some(&contact.id))
        );
        let other = client
            .contacts()
            .create(&NewContact::new("bea"))
            .await
            .unwrap();
        assert!(
            client
                .invoices(&other.id)
                .list()
                .await
                .unwrap()
                .items
                .is_empty()
        );

        // An integer path field.
        let offices = client.offices(region.id);
        offices.create(&NewOffice::new("Oslo")).await.unwrap();
        assert_eq!(offices.list().await.unwrap().items[0].city, "Oslo");

        // UUID ids.
        let ticket = client
            .tickets()
            .create(&NewTicket::new("Printer"))
            .await
            .unwrap();
        assert_eq!(ticket.id.len(), 36, "{}", ticket.id);
        assert_eq!(
            client.tickets().get(&ticket.id).await.unwrap().subject,
            "Printer"
        );
    }
}

// ---------------------------------------------------------------------------------
// people: nested dicts, typed to their fields; an upsert import.

mod people {
    use super::*;
    use people_client::{
        ImportMode, ImportOptions, NewPerson, PeopleClient, Person, Query, Table,
        people::PersonLocation,
    };

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nested_dicts_are_typed_and_filtered_by_their_fields() {
        let server = TestServer::start();
        let client = PeopleClient::new(&format!("http://{}", server.addr)).unwrap();
        for (last, city) in [
            ("Curie", "Paris"),
            ("Meitner", "Berlin"),
            ("Noether", "Paris"),
        ] {
            let location = PersonLocation {
                city: Some(city.into()),
                ..Default::default()
            };
            client
                .people()
                .create(&NewPerson::new(last).age(40).location(location))
                .await
                .unwrap();
        }
        let f = Person::fields();
        let parisians = client
            .people()
            .find(
                Query::new()
                    .filter(f.location().city().eq("Paris"))
                    .sort(f.lastname().desc())
                    .only(f.location().whole()),
            )
            .await
            .unwrap();
        let found: Vec<(&str, Option<&str>)> = parisians
            .items
            .iter()
            .map(|p| {
                let city = p.location.as_ref().and_then(|l| l.city.as_deref());
                (p.lastname.as_str(), city)
            })
            .collect();
        // `lastname` was not projected: its default, the empty string.
        assert_eq!(found, [("", Some("Paris")), ("", Some("Paris"))]);
        assert!(parisians.items.iter().all(|p| p.age.is_none()));

        // An upsert import by `lastname`: one row updates, one inserts.
        let table = Table::Csv("lastname,age\nCurie,66\nFranklin,37\n".into());
        let options = ImportOptions {
            mode: Some(ImportMode::Upsert),
            upsert_on: Some("lastname".into()),
            ..Default::default()
        };
        let report = client.people().import(&table, &options).await.unwrap();
        assert_eq!((report.updated, report.inserted), (1, 1), "{report:?}");
        let curie = client
            .people()
            .find(Query::new().filter(f.lastname().eq("Curie")))
            .await
            .unwrap();
        assert_eq!(curie.items[0].age, Some(66));
    }
}
