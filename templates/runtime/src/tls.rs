//! HTTPS in the server itself: `serve --tls-cert FILE --tls-key FILE`, for a service
//! run without a proxy in front. Compiled in with the crate's `tls` feature (on by
//! default when the spec sets `[api] tls = true`); without it, asking for TLS is a
//! clear error at start rather than a silent plain-HTTP server.

use std::path::Path;

/// What a connection is wrapped in before HTTP: the loaded certificate and key.
#[derive(Clone)]
pub struct Tls {
    #[cfg(feature = "tls")]
    pub(crate) acceptor: tokio_rustls::TlsAcceptor,
    #[cfg(not(feature = "tls"))]
    _never: std::convert::Infallible,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls")
    }
}

impl Tls {
    /// Whether this build can serve HTTPS.
    pub const AVAILABLE: bool = cfg!(feature = "tls");

    /// Read a PEM certificate chain (the server's certificate first) and its PEM
    /// private key (PKCS#8, PKCS#1 or SEC1).
    #[cfg(feature = "tls")]
    pub fn load(cert: &Path, key: &Path) -> Result<Tls, String> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("cannot read the certificate {}: {e}", cert.display()))?;
        if chain.is_empty() {
            return Err(format!(
                "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                cert.display()
            ));
        }
        let key_der = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| format!("cannot read the private key {}: {e}", key.display()))?;
        let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain, key_der)
            .map_err(|e| {
                format!(
                    "the key {} does not fit the certificate {}: {e}",
                    key.display(),
                    cert.display()
                )
            })?;
        // The server speaks HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            acceptor: tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)),
        })
    }

    /// Without the `tls` feature: an error that says how to get it.
    #[cfg(not(feature = "tls"))]
    pub fn load(_cert: &Path, _key: &Path) -> Result<Tls, String> {
        Err(
            "this server was built without TLS: build it with `--features tls` (or set \
             `tls = true` under [api] in the spec and regenerate)"
                .to_string(),
        )
    }
}
