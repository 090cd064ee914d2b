//! No query can stall the server (issue 12, finding 2): every read runs under a
//! deadline, and a collection read that outruns the inline budget moves off the async
//! workers, so cheap requests keep being served while costly ones run.
//!
//! The people API with 300,000 documents: a `$regex` on the `role` list reads inside
//! every document's JSON. Two such queries at once, and then the same beside 1,000
//! connections that sent their headers and no body, must leave a plain GET answering
//! within a second, and end themselves (200, or 503 in Eve's envelope) soon after
//! their budget. The bounds are generous: they test that nothing waits for a costly
//! query, not how fast anything is.

mod support;

use std::io::Write as _;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use apigen_runtime::rusqlite;
use support::{API, TestServer};

const DOCUMENTS: usize = 300_000;
const BUDGET: Duration = Duration::from_secs(2);

fn people() -> String {
    format!("{API}/people")
}

/// A server whose database already holds `DOCUMENTS` people, each with two roles.
fn seeded_server() -> TestServer {
    TestServer::start_with(|config| {
        config.db_options.query_timeout = BUDGET;
        // The server's own tables first, then the documents straight into them.
        drop(
            people_api::api::db::Db::open_for::<people_api::api::Api>(&config.db)
                .expect("create the database"),
        );
        let mut conn = rusqlite::Connection::open(&config.db).expect("open the database");
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO people (_id, lastname, role, _created, _updated, _etag) \
                     VALUES (?1, ?2, '[\"author\",\"copy\"]', 0, 0, 'tag')",
                )
                .unwrap();
            for n in 0..DOCUMENTS {
                insert
                    .execute(rusqlite::params![
                        format!("{n:024x}"),
                        format!("Person {n}")
                    ])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    })
}

/// A `$regex` over every document's `role` list, URL-encoded: `{"role": {"$regex": "zz"}}`.
fn costly_query() -> String {
    format!(
        "{}?where=%7B%22role%22%3A%7B%22%24regex%22%3A%22zz%22%7D%7D",
        people()
    )
}

/// Starts `n` costly queries; each thread answers its status and how long it took.
fn costly_queries(
    server: &TestServer,
    n: usize,
) -> Vec<std::thread::JoinHandle<(u16, String, Duration)>> {
    (0..n)
        .map(|_| {
            let addr = server.addr;
            let path = costly_query();
            std::thread::spawn(move || {
                let started = Instant::now();
                let stream = TcpStream::connect(addr).expect("connect");
                stream
                    .set_read_timeout(Some(Duration::from_secs(60)))
                    .unwrap();
                let response = support::Conn::new(stream).send("GET", &path, &[], None, false);
                (response.status, response.text(), started.elapsed())
            })
        })
        .collect()
}

/// A plain GET's time: a point read and a small page, each on a fresh connection.
fn plain_gets(server: &TestServer) -> Duration {
    let started = Instant::now();
    let item = server.get(&format!("{}/{:024x}", people(), 7));
    assert_eq!(item.status, 200, "{}", item.text());
    let page = server.get(&format!("{}?max_results=5", people()));
    assert_eq!(page.status, 200, "{}", page.text());
    started.elapsed()
}

fn check_costly(results: Vec<std::thread::JoinHandle<(u16, String, Duration)>>) {
    for result in results {
        let (status, body, took) = result.join().expect("a costly query's thread");
        match status {
            200 => assert!(body.contains("\"_items\":[]"), "{body}"),
            503 => {
                assert!(body.contains("\"_status\":\"ERR\""), "{body}");
                assert!(
                    body.contains("took longer than the server allows"),
                    "{body}"
                );
            }
            other => panic!("a costly query answered {other}: {body}"),
        }
        // Within its budget, waiting for its turn included, plus the slack of a busy
        // two-core machine.
        assert!(took < BUDGET + Duration::from_secs(3), "took {took:?}");
    }
}

#[test]
fn costly_queries_do_not_stall_plain_gets() {
    let server = seeded_server();
    // How long one costly query takes alone (shows it is costly indeed).
    let alone = costly_queries(&server, 1);
    let (status, _, took) = alone.into_iter().next().unwrap().join().unwrap();
    eprintln!("one costly query alone: {status} in {took:?}");
    assert!(
        took > Duration::from_millis(50),
        "the query is not costly: {took:?}"
    );

    let running = costly_queries(&server, 2);
    std::thread::sleep(Duration::from_millis(100));
    let plain = plain_gets(&server);
    eprintln!("plain GETs beside two costly queries: {plain:?}");
    assert!(plain < Duration::from_secs(1), "{plain:?}");
    check_costly(running);

    // The same with 1,000 connections that sent their headers and no body.
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
        people()
    );
    let stalled: Vec<TcpStream> = (0..1000)
        .map(|_| {
            let mut stream = TcpStream::connect(server.addr).expect("connect a stalled client");
            stream.write_all(head.as_bytes()).expect("send the headers");
            stream
        })
        .collect();
    let running = costly_queries(&server, 2);
    std::thread::sleep(Duration::from_millis(100));
    let plain = plain_gets(&server);
    eprintln!("plain GETs beside two costly queries and 1,000 stalled clients: {plain:?}");
    assert!(plain < Duration::from_secs(1), "{plain:?}");
    check_costly(running);
    drop(stalled);
    server.assert_alive();
}
