//! Builds the hyper client of one `http` sink, once, at start: rustls with
//! the `ring` provider, HTTP/1.1 with a keep-alive pool, and the sink's TLS
//! settings.
//!
//! - `https://` destinations offer HTTP/2 and HTTP/1.1 by ALPN: the server
//!   picks; HTTP/2 multiplexes concurrent batches over one connection.
//!   Plain `http://` stays HTTP/1.1 (no h2c: few collectors speak it).
//! - `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` are honoured (see [`super::proxy`]).
//!
//! - Server certificates are verified against the system's CA store
//!   (`rustls-native-certs`: `/etc/ssl/certs`, `SSL_CERT_FILE`, …), or only
//!   against `tls.ca` when it is set; the name checked is the URI's host,
//!   or `tls.server_name`.
//! - `tls.cert` + `tls.key`: a PEM client certificate chain and key for
//!   mutual TLS.
//! - `tls.insecure_skip_verify = true`: any certificate is accepted (the
//!   handshake signature is still checked), with a `warn!` at every build.
//!
//! The system roots are only loaded for an `https://` URI, so a plain
//! `http://` sink starts on a host without a CA bundle.
//!
//! Files are read here, not during validation (which does no I/O); a
//! missing or unreadable file is a [`SinkError::TlsFile`] naming the key
//! and the path.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Uri;
use hyper_rustls::{FixedServerNameResolver, HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use super::proxy::{ProxyConnector, ProxyRules};
use crate::config::TlsConfig;
use crate::sinks::SinkError;

/// The client every request of one sink goes through.
pub(crate) type HttpClient = Client<HttpsConnector<ProxyConnector>, Full<Bytes>>;

/// How long an idle pooled connection is kept for the next batch.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Builds the client for `uri` with `tls`; `connect_timeout` bounds the TCP
/// connect (the whole request is bounded by the caller).
pub(crate) fn build_client(
    uri: &Uri,
    tls: &TlsConfig,
    connect_timeout: Duration,
) -> Result<HttpClient, SinkError> {
    build_client_with_proxy(uri, tls, connect_timeout, ProxyRules::from_env())
}

/// [`build_client`] with explicit proxy rules instead of the environment's.
pub(crate) fn build_client_with_proxy(
    uri: &Uri,
    tls: &TlsConfig,
    connect_timeout: Duration,
    proxy: ProxyRules,
) -> Result<HttpClient, SinkError> {
    proxy.check(uri)?;
    let https = uri.scheme_str() == Some("https");
    let tls_config = client_tls_config(tls, https, uri.host().unwrap_or_default())?;

    let mut http = HttpConnector::new();
    http.enforce_http(false); // the https wrapper below checks schemes
    http.set_connect_timeout(Some(connect_timeout));
    http.set_nodelay(true);

    let builder = HttpsConnectorBuilder::new()
        .with_tls_config(tls_config)
        .https_or_http();
    let builder = match &tls.server_name {
        Some(name) => {
            let name = ServerName::try_from(name.clone()).map_err(|_| SinkError::Tls {
                reason: format!("tls.server_name \"{name}\" is not a DNS name or IP address"),
            })?;
            builder.with_server_name_resolver(FixedServerNameResolver::new(name))
        }
        None => builder,
    };
    let connector = builder
        .enable_all_versions()
        .wrap_connector(ProxyConnector::new(http, proxy));

    Ok(Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build(connector))
}

pub(crate) fn client_tls_config(
    tls: &TlsConfig,
    https: bool,
    host: &str,
) -> Result<ClientConfig, SinkError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| SinkError::Tls {
            reason: error.to_string(),
        })?;

    let builder = if tls.insecure_skip_verify {
        tracing::warn!(
            %host,
            "TLS certificate verification is OFF (tls.insecure_skip_verify = true): anyone on the network path can read and change these audit events. Use tls.ca instead."
        );
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCertificate { provider }))
    } else {
        builder.with_root_certificates(root_store(tls, https)?)
    };

    // ALPN is left to hyper-rustls (`enable_all_versions` offers "h2" and
    // "http/1.1").
    let config = match &tls.client_certificate {
        Some(client) => {
            let chain = read_certificates("tls.cert", &client.cert)?;
            let key =
                PrivateKeyDer::from_pem_file(&client.key).map_err(|error| SinkError::TlsFile {
                    key: "tls.key",
                    path: client.key.display().to_string(),
                    reason: format!("no PEM private key could be read ({error})"),
                })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|error| SinkError::Tls {
                    reason: format!("tls.cert and tls.key cannot be used together: {error}"),
                })?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(config)
}

/// The CAs server certificates are checked against.
fn root_store(tls: &TlsConfig, https: bool) -> Result<RootCertStore, SinkError> {
    let mut roots = RootCertStore::empty();
    if let Some(ca) = &tls.ca {
        let (added, _ignored) = roots.add_parsable_certificates(read_certificates("tls.ca", ca)?);
        if added == 0 {
            return Err(SinkError::TlsFile {
                key: "tls.ca",
                path: ca.display().to_string(),
                reason: "holds no usable CA certificate".into(),
            });
        }
        return Ok(roots);
    }
    if !https {
        return Ok(roots);
    }
    let native = rustls_native_certs::load_native_certs();
    let (added, _ignored) = roots.add_parsable_certificates(native.certs);
    if added == 0 {
        let detail = native
            .errors
            .first()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        return Err(SinkError::Tls {
            reason: format!("no CA certificates found on this system{detail}; install the ca-certificates package or set tls.ca"),
        });
    }
    Ok(roots)
}

/// Every certificate of a PEM file; none is an error.
fn read_certificates(
    key: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, SinkError> {
    let file_error = |reason: String| SinkError::TlsFile {
        key,
        path: path.display().to_string(),
        reason,
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|error| file_error(error.to_string()))?;
    if certificates.is_empty() {
        return Err(file_error("holds no PEM certificate".into()));
    }
    Ok(certificates)
}

/// `tls.insecure_skip_verify`: any certificate chain and name is accepted;
/// only the handshake signature is still checked.
#[derive(Debug)]
struct AcceptAnyServerCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
