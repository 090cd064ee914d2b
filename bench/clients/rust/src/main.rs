//! Bulk-creates documents through the generated Rust client against a running
//! library server, and prints documents per second.
//!
//! ```sh
//! library-api serve --addr 127.0.0.1:18080 --db /tmp/bench.db &
//! cargo run --release -p rust-client-bench -- http://127.0.0.1:18080 10000 100 4
//! ```
//!
//! Arguments: the server's URL, how many documents, documents per bulk POST, bulk
//! POSTs in flight at once (`batch::lazy`); then the same number of single POSTs,
//! 16 in flight.

use std::time::Instant;

use library_client::{BulkItem, LibraryClient, NewBook, StreamExt, batch};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).map_or("http://127.0.0.1:18080", String::as_str);
    let total: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let per_post: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(100);
    let in_flight: usize = args.get(4).and_then(|n| n.parse().ok()).unwrap_or(4);
    let client = LibraryClient::new(url).expect("a client");
    let books = client.books();

    let documents: Vec<NewBook> = (0..total)
        .map(|n| {
            NewBook::new(format!("Bench book {n}"))
                .pages(1 + n as i64 % 900)
                .tags(vec!["bench".into()])
        })
        .collect();
    let started = Instant::now();
    let requests = documents.chunks(per_post).map(|chunk| {
        let books = books.clone();
        async move { books.create_many(chunk).await }
    });
    let results: Vec<_> = batch::lazy(requests, in_flight).collect().await;
    let elapsed = started.elapsed();
    let created: usize = results
        .into_iter()
        .map(|r| {
            r.expect("a bulk POST")
                .iter()
                .filter(|i| matches!(i, BulkItem::Created(_)))
                .count()
        })
        .sum();
    assert_eq!(created, total);
    println!(
        "bulk: {created} documents in {:.3} s ({} per POST, {in_flight} in flight): {:.0} documents/s",
        elapsed.as_secs_f64(),
        per_post,
        created as f64 / elapsed.as_secs_f64()
    );

    let started = Instant::now();
    let requests = (0..total).map(|n| {
        let books = books.clone();
        async move {
            books
                .create(&NewBook::new(format!("Single {n}")).pages(7))
                .await
        }
    });
    let results: Vec<_> = batch::lazy(requests, 16).collect().await;
    let elapsed = started.elapsed();
    let created = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(created, total, "{:?}", results.iter().find(|r| r.is_err()));
    println!(
        "single: {created} documents in {:.3} s (one per POST, 16 in flight): {:.0} documents/s",
        elapsed.as_secs_f64(),
        created as f64 / elapsed.as_secs_f64()
    );
}
