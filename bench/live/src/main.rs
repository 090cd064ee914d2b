//! Many live subscribers (Server-Sent Events) on one generated server.
//!
//!   live-bench latency ADDR EVENTS_PATH POST_PATH SUBSCRIBERS POSTS INTERVAL_MS
//!   live-bench attach  ADDR EVENTS_PATH SUBSCRIBERS
//!
//! `latency`: SUBSCRIBERS subscriptions, then POSTS documents written one at a time
//! (`{"lastname": "lat-<n>"}`), INTERVAL_MS apart; each subscriber notes when the
//! insert of each arrived. Prints the delivery latency percentiles, measured from the
//! moment the POST was sent (the commit happens inside that request, so this is an
//! upper bound of commit-to-event), over every (subscriber, document) pair, and how
//! many events were missed.
//!
//! `attach`: SUBSCRIBERS subscriptions held until SIGTERM, counting
//! events; prints the count. bench/run.sh runs it beside its write scenarios.
//!
//! Requests are HTTP/1.0 so the stream is the raw body, not chunked. Event data is
//! scanned for the marker rather than parsed: the harness must cost the machine less
//! than the server it measures.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

type Arrivals = Vec<(usize, Instant)>;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: live-bench latency ADDR EVENTS_PATH POST_PATH SUBSCRIBERS POSTS INTERVAL_MS | live-bench attach ADDR EVENTS_PATH SUBSCRIBERS";
    match args.first().map(String::as_str) {
        Some("latency") if args.len() == 7 => {
            let n: usize = args[4].parse().expect(usage);
            let posts: usize = args[5].parse().expect(usage);
            let interval: u64 = args[6].parse().expect(usage);
            latency(&args[1], &args[2], &args[3], n, posts, interval).await;
        }
        Some("attach") if args.len() == 4 => {
            let n: usize = args[3].parse().expect(usage);
            attach(&args[1], &args[2], n).await;
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}

/// Open one subscription; the stream after the answer's headers, and what of the
/// body came with them.
async fn subscribe(addr: &str, path: &str) -> (TcpStream, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request =
        format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.expect("read the answer");
        assert!(n > 0, "the server closed the subscription");
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = find(&head, b"\r\n\r\n") {
            let status = String::from_utf8_lossy(&head[..end]);
            assert!(
                status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.0 200"),
                "{status}"
            );
            let rest = head[end + 4..].to_vec();
            return (stream, rest);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Open `n` subscriptions, one after another.
async fn subscribe_all(addr: &str, path: &str, n: usize) -> Vec<(TcpStream, Vec<u8>)> {
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        streams.push(subscribe(addr, path).await);
    }
    streams
}

/// Open `n` subscriptions and follow each on a task until `stop` is sent.
async fn follow_all(
    addr: &str,
    path: &str,
    n: usize,
) -> (
    watch::Sender<bool>,
    Vec<tokio::task::JoinHandle<(Arrivals, u64)>>,
) {
    let streams = subscribe_all(addr, path, n).await;
    let (stop, stopped) = watch::channel(false);
    let tasks = streams
        .into_iter()
        .map(|s| tokio::spawn(follow(s, stopped.clone())))
        .collect();
    (stop, tasks)
}

/// Read a subscription until `stop`; each `"lastname":"lat-<n>"` seen, with when.
async fn follow(
    (mut stream, mut pending): (TcpStream, Vec<u8>),
    mut stop: watch::Receiver<bool>,
) -> (Arrivals, u64) {
    const MARK: &[u8] = b"\"lastname\":\"lat-";
    let mut arrivals = Vec::new();
    let mut events = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // Whole events only: a marker may straddle two reads.
        while let Some(end) = find(&pending, b"\n\n") {
            let event = &pending[..end];
            if find(event, b"event: ").is_some() {
                events += 1;
            }
            if let Some(at) = find(event, MARK) {
                let digits = &event[at + MARK.len()..];
                let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
                if let Ok(n) = std::str::from_utf8(&digits[..len]).unwrap_or("").parse() {
                    arrivals.push((n, Instant::now()));
                }
            }
            pending.drain(..end + 2);
        }
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return (arrivals, events),
                Ok(n) => pending.extend_from_slice(&buf[..n]),
            },
            _ = stop.changed() => return (arrivals, events),
        }
    }
}

/// POST one document; when it was sent.
async fn post(addr: &str, path: &str, body: &str) -> Instant {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let sent = Instant::now();
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    assert!(
        answer.starts_with(b"HTTP/1.1 201") || answer.starts_with(b"HTTP/1.0 201"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    sent
}

async fn latency(addr: &str, events: &str, post_path: &str, n: usize, posts: usize, interval: u64) {
    let opened = Instant::now();
    let (stop, tasks) = follow_all(addr, events, n).await;
    eprintln!("{n} subscribers in {:.2} s", opened.elapsed().as_secs_f64());
    // Settle: memory is read now by the caller (bench/live.sh), before any event.
    println!("READY");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut sent = Vec::with_capacity(posts);
    let mut tick = tokio::time::interval(Duration::from_millis(interval));
    for i in 0..posts {
        tick.tick().await;
        sent.push(post(addr, post_path, &format!("{{\"lastname\": \"lat-{i}\"}}")).await);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = stop.send(true);
    let mut samples = Vec::with_capacity(n * posts);
    let mut missed = 0usize;
    for task in tasks {
        let (arrivals, _) = task.await.expect("subscriber");
        let mut got = vec![false; posts];
        for (i, at) in arrivals {
            if i < posts && !got[i] {
                got[i] = true;
                samples.push(at.saturating_duration_since(sent[i]));
            }
        }
        missed += got.iter().filter(|g| !**g).count();
    }
    samples.sort_unstable();
    let pick = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "subscribers={n} posts={posts} interval_ms={interval} samples={} missed={missed} p50_ms={:.2} p90_ms={:.2} p99_ms={:.2} max_ms={:.2}",
        samples.len(),
        pick(0.5),
        pick(0.9),
        pick(0.99),
        pick(1.0)
    );
}

async fn attach(addr: &str, path: &str, n: usize) {
    let (stop, tasks) = follow_all(addr, path, n).await;
    println!("READY");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    term.recv().await;
    let _ = stop.send(true);
    let mut total = 0u64;
    for task in tasks {
        let (_, events) = task.await.expect("subscriber");
        total += events;
    }
    println!("subscribers={n} events={total}");
}
