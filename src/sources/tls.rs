//! The TLS server side of the `syslog` (RFC 5425) and `http` sources:
//! rustls with the `ring` provider, TLS 1.2 and 1.3, the configured
//! certificate chain and key, and — with `client_ca` — mutual TLS where a
//! client without a certificate from that CA is refused in the handshake.
//!
//! Files are read when the source is built, so a missing or unreadable
//! file refuses the start with the key and the path named.

use std::path::Path;
use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::ServerTlsConfig;

/// The acceptor for `tls`; `alpn` is offered to clients (`http/1.1` for
/// the HTTP source, none for syslog).
pub fn acceptor(tls: &ServerTlsConfig, alpn: &[&[u8]]) -> Result<TlsAcceptor, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match &tls.client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            let (added, _) = roots.add_parsable_certificates(certificates("tls.client_ca", ca)?);
            if added == 0 {
                return Err(format!(
                    "tls.client_ca {}: holds no usable CA certificate",
                    ca.display()
                ));
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("tls.client_ca {}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let chain = certificates("tls.cert", &tls.cert)?;
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|e| {
        format!(
            "tls.key {}: no PEM private key could be read ({e}); point tls.key at the certificate's key",
            tls.key.display()
        )
    })?;
    let mut config = builder.with_single_cert(chain, key).map_err(|e| {
        format!("tls.cert and tls.key cannot be used together: {e} (is the key the certificate's?)")
    })?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn certificates(key: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{key} {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{key} {}: holds no PEM certificate",
            path.display()
        ));
    }
    Ok(certs)
}
