//! A TCP proxy in front of a test server that can cut every connection it carries,
//! as a server restart or a network failure would: the clients' tests point a
//! client at [`DropProxy::addr`] and cut its connections with
//! [`DropProxy::drop_connections`] (Rust) or a request to
//! [`DropProxy::control_url`] (a TypeScript or Python test, another process).
//!
//! Bytes pass through untouched, so the server sees the client's own requests.

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// The proxy; it stops accepting (and cuts what it carries) when dropped.
pub struct DropProxy {
    /// Where clients connect instead of the server.
    pub addr: SocketAddr,
    control: SocketAddr,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// Both ends of every connection carried now.
    streams: Mutex<Vec<TcpStream>>,
    /// How many times connections were cut.
    drops: AtomicUsize,
    stopped: AtomicBool,
}

impl Shared {
    /// Shut every connection opened since the last cut down (some may have closed
    /// already); how many client connections that was.
    fn cut(&self) -> usize {
        let streams = std::mem::take(&mut *self.streams.lock().unwrap());
        for stream in &streams {
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.drops.fetch_add(1, Ordering::SeqCst);
        streams.len() / 2
    }
}

impl DropProxy {
    /// A proxy to `target`, on a free port of 127.0.0.1.
    pub fn start(target: SocketAddr) -> DropProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let control = TcpListener::bind("127.0.0.1:0").expect("bind the proxy's control");
        let proxy = DropProxy {
            addr: listener.local_addr().unwrap(),
            control: control.local_addr().unwrap(),
            shared: Arc::new(Shared::default()),
        };
        let shared = proxy.shared.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                if shared.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (Ok(client_reader), Ok(server_reader)) =
                    (client.try_clone(), server.try_clone())
                else {
                    continue;
                };
                {
                    let mut streams = shared.streams.lock().unwrap();
                    streams.push(client.try_clone().unwrap());
                    streams.push(server.try_clone().unwrap());
                }
                thread::spawn(move || pipe(client_reader, server));
                thread::spawn(move || pipe(server_reader, client));
            }
        });
        let shared = proxy.shared.clone();
        thread::spawn(move || {
            for request in control.incoming() {
                if shared.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut request) = request else { continue };
                let _ = read_head(&mut request);
                let cut = shared.cut();
                let body = format!("{cut}");
                let _ = write!(
                    request,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        proxy
    }

    /// A URL whose every request (any method) cuts the connections; the answer's
    /// body is how many client connections were cut.
    pub fn control_url(&self) -> String {
        format!("http://{}/drop", self.control)
    }

    /// Cut every connection the proxy carries now; how many client connections were
    /// opened since the last cut.
    pub fn drop_connections(&self) -> usize {
        self.shared.cut()
    }

    /// How many times connections were cut so far.
    pub fn drops(&self) -> usize {
        self.shared.drops.load(Ordering::SeqCst)
    }
}

impl Drop for DropProxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        // Wake both accept loops so they see the flag.
        let _ = TcpStream::connect(self.addr);
        let _ = TcpStream::connect(self.control);
        self.shared.cut();
    }
}

/// Copy `from` into `to` until either end closes, then close both.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// Read a request's head (up to the blank line), whatever it says.
fn read_head(stream: &mut TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") && seen.len() < 64 * 1024 {
        if stream.read(&mut byte)? == 0 {
            break;
        }
        seen.push(byte[0]);
    }
    Ok(())
}
