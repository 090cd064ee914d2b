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
        .find(
            Query::new()
                .filter(f.title().eq("Kindred"))
                .only([f.title()]),
        )
        .await
        .unwrap();
    assert_eq!(projected.items[0].title, "Kindred");
    assert_eq!(projected.items[0].pages, None);

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
async fn retries_are_off_by_default() {
    let (server, _client) = library();
    let client: LibraryClient = LibraryClient::builder(format!("http://{}", server.addr))
        .retry(Retry::default())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    assert!(client.books().list().await.unwrap().items.is_empty());
}
