//! HTTPS in the server itself (issue 12): `serve --tls-cert --tls-key`, compiled in by
//! `[api] tls = true` (the web example) with rustls. A client that trusts a local
//! self-signed certificate gets the API over TLS; a plain-HTTP client and a client that
//! never finishes its handshake get nothing and are let go; a key that does not fit the
//! certificate, or a file that is no PEM, is an error at start.

mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;
use web_api::api::tls::Tls;

/// A self-signed certificate for 127.0.0.1 and localhost, written as PEM files.
struct Certificate {
    dir: PathBuf,
    der: rustls::pki_types::CertificateDer<'static>,
}

impl Certificate {
    fn new(name: &str) -> Certificate {
        let dir = std::env::temp_dir().join(format!("apigen-tls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
                .expect("a self-signed certificate");
        std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), signing_key.serialize_pem()).unwrap();
        Certificate {
            der: cert.der().clone(),
            dir,
        }
    }

    fn cert(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    fn key(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(tls: Tls) -> TestServer {
    TestServer::start_custom("", move |listener, dir, signal| {
        let config = web_api::Config {
            addr: listener.local_addr().expect("listener address"),
            db: dir.join("web.db"),
            header_read_timeout: Duration::from_secs(1),
            tls: Some(tls),
            ..web_api::Config::default()
        };
        let app = web_api::app(&config, Arc::new(web_api::hooks::AppHooks)).expect("app");
        support::block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            web_api::serve(listener, app, &config, signal)
                .await
                .expect("serve");
        });
    })
}

/// One request over TLS, trusting only `certificate`: the raw answer.
fn https_get(server: &TestServer, certificate: &Certificate, path: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(certificate.der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut stream = connector.connect(name, tcp).await.expect("TLS handshake");
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    })
}

#[test]
fn the_api_is_served_over_tls_and_plain_http_is_not() {
    let certificate = Certificate::new("serve");
    let tls = Tls::load(&certificate.cert(), &certificate.key()).expect("load the certificate");
    let server = start(tls);

    let answer = https_get(&server, &certificate, "/");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"_links\""), "the home page: {answer}");
    let answer = https_get(&server, &certificate, "/notes");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"_items\":[]"), "{answer}");

    // Plain HTTP on the TLS port: no HTTP answer, and the connection is closed.
    use std::io::{Read, Write};
    let mut plain = std::net::TcpStream::connect(server.addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut received = Vec::new();
    let _ = plain.read_to_end(&mut received);
    assert!(!received.starts_with(b"HTTP/1.1 200"), "{received:?}");

    // A client that opens a connection and never starts its handshake is let go after
    // the header-read timeout (1 s here), not held forever.
    let mut idle = std::net::TcpStream::connect(server.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 16];
    let read = idle.read(&mut buffer);
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Still serving.
    let answer = https_get(&server, &certificate, "/");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn a_key_that_does_not_fit_or_a_file_that_is_no_pem_is_an_error_at_start() {
    let one = Certificate::new("one");
    let other = Certificate::new("other");
    let error = Tls::load(&one.cert(), &other.key()).expect_err("mismatched key");
    assert!(error.contains("does not fit the certificate"), "{error}");
    std::fs::write(one.dir.join("junk.pem"), "not a certificate").unwrap();
    let error = Tls::load(&one.dir.join("junk.pem"), &one.key()).expect_err("no PEM");
    assert!(error.contains("no PEM certificate"), "{error}");
    let error = Tls::load(&one.dir.join("missing.pem"), &one.key()).expect_err("missing");
    assert!(error.contains("cannot read the certificate"), "{error}");
}
