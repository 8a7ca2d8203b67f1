//! The HTTP client through a real (tiny) proxy and against real TLS
//! servers: CONNECT tunnels, absolute-form requests, NO_PROXY, proxy
//! credentials kept out of errors, and HTTP/2 chosen by ALPN.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, Uri, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::client::build_client_with_proxy;
use super::proxy::ProxyRules;
use crate::config::TlsConfig;
use crate::sinks::SinkError;

/// What a backend saw: (HTTP version, request target, body).
type Seen = Arc<Mutex<Vec<(Version, String, Vec<u8>)>>>;

/// A backend answering 200 to everything; over TLS when `alpn` is given,
/// serving HTTP/2 when the client and `alpn` agree on it.
async fn backend(tls: Option<(&rcgen::CertifiedKey, Vec<Vec<u8>>)>) -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let acceptor = tls.map(|(certified, alpn)| {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let cert = CertificateDer::from(certified.cert.der().to_vec());
        let key =
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
        config.alpn_protocols = alpn;
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, record) = (acceptor.clone(), record.clone());
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                        let record = record.clone();
                        async move {
                            let version = request.version();
                            let target = request.uri().to_string();
                            let body = request.into_body().collect().await?.to_bytes();
                            record
                                .lock()
                                .unwrap()
                                .push((version, target, body.to_vec()));
                            Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from_static(
                                b"ok",
                            ))))
                        }
                    });
                match acceptor {
                    None => {
                        let io = TokioIo::new(stream);
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(io, service)
                            .await;
                    }
                    Some(acceptor) => {
                        let Ok(tls) = acceptor.accept(stream).await else {
                            return;
                        };
                        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                        let io = TokioIo::new(tls);
                        if h2 {
                            let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                                .serve_connection(io, service)
                                .await;
                        } else {
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(io, service)
                                .await;
                        }
                    }
                }
            });
        }
    });
    (port, seen)
}

/// A forward proxy: `CONNECT host:port` tunnels, any other request is
/// forwarded as is. Records each request head.
async fn proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let heads: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = heads.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    let mut byte = [0u8; 1];
                    if client.read_exact(&mut byte).await.is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                record.lock().unwrap().push(text.clone());
                let target = text.split_whitespace().nth(1).unwrap_or_default();
                let authority = target
                    .trim_start_matches("http://")
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let Ok(mut upstream) = TcpStream::connect(&authority).await else {
                    return;
                };
                if text.starts_with("CONNECT ") {
                    let reply = b"HTTP/1.1 200 Connection established\r\n\r\n";
                    if client.write_all(reply).await.is_err() {
                        return;
                    }
                } else if upstream.write_all(&head).await.is_err() {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (port, heads)
}

fn certified() -> rcgen::CertifiedKey {
    rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap()
}

fn trusting(certified: &rcgen::CertifiedKey, dir: &tempfile::TempDir) -> TlsConfig {
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, certified.cert.pem()).unwrap();
    TlsConfig {
        ca: Some(ca),
        ..TlsConfig::default()
    }
}

/// Sends one POST; the response status or the error's full chain.
async fn post(uri: &str, tls: &TlsConfig, rules: ProxyRules) -> Result<u16, String> {
    let uri: Uri = uri.parse().unwrap();
    let client = build_client_with_proxy(&uri, tls, Duration::from_secs(5), rules)
        .map_err(|e| e.to_string())?;
    let request = Request::post(uri)
        .body(Full::new(Bytes::from_static(b"{\"n\":1}\n")))
        .unwrap();
    match tokio::time::timeout(Duration::from_secs(10), client.request(request)).await {
        Ok(Ok(response)) => Ok(response.status().as_u16()),
        Ok(Err(error)) => Err(super::error_chain(&error)),
        Err(_) => Err("timed out".into()),
    }
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_with_proxy_credentials_and_speaks_http2() {
    let certified = certified();
    let dir = tempfile::tempdir().unwrap();
    let alpn = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let (backend_port, seen) = backend(Some((&certified, alpn))).await;
    let (proxy_port, heads) = proxy().await;
    let rules = ProxyRules::explicit(&format!("http://ops:s3cret@127.0.0.1:{proxy_port}"), "");

    let url = format!("https://127.0.0.1:{backend_port}/ingest");
    assert_eq!(
        post(&url, &trusting(&certified, &dir), rules).await,
        Ok(200)
    );

    let heads = heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(heads[0].starts_with(&format!("CONNECT 127.0.0.1:{backend_port} HTTP/1.1\r\n")));
    // base64("ops:s3cret")
    assert!(heads[0].contains("Proxy-Authorization: Basic b3BzOnMzY3JldA=="));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].0,
        Version::HTTP_2,
        "ALPN offered h2 and the server took it"
    );
    assert_eq!(seen[0].2, b"{\"n\":1}\n");
}

#[tokio::test]
async fn https_falls_back_to_http1_when_the_server_does_not_offer_h2() {
    let certified = certified();
    let dir = tempfile::tempdir().unwrap();
    let (port, seen) = backend(Some((&certified, vec![b"http/1.1".to_vec()]))).await;
    let url = format!("https://127.0.0.1:{port}/ingest");
    let no_proxy = ProxyRules::explicit("", "");
    assert_eq!(
        post(&url, &trusting(&certified, &dir), no_proxy).await,
        Ok(200)
    );
    assert_eq!(seen.lock().unwrap()[0].0, Version::HTTP_11);
}

#[tokio::test]
async fn plain_http_is_sent_to_the_proxy_in_absolute_form() {
    let (backend_port, seen) = backend(None).await;
    let (proxy_port, heads) = proxy().await;
    let rules = ProxyRules::explicit(&format!("http://127.0.0.1:{proxy_port}"), "");
    let url = format!("http://127.0.0.1:{backend_port}/v1/logs");
    assert_eq!(post(&url, &TlsConfig::default(), rules).await, Ok(200));

    let heads = heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1);
    let expected = format!("POST http://127.0.0.1:{backend_port}/v1/logs HTTP/1.1\r\n");
    assert!(heads[0].starts_with(&expected), "{:?}", heads[0]);
    assert_eq!(seen.lock().unwrap()[0].2, b"{\"n\":1}\n");
}

#[tokio::test]
async fn no_proxy_hosts_are_reached_directly() {
    let (backend_port, seen) = backend(None).await;
    let (proxy_port, heads) = proxy().await;
    let rules = ProxyRules::explicit(&format!("http://127.0.0.1:{proxy_port}"), "127.0.0.1");
    let url = format!("http://127.0.0.1:{backend_port}/v1/logs");
    assert_eq!(post(&url, &TlsConfig::default(), rules).await, Ok(200));
    assert!(heads.lock().unwrap().is_empty());
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_unreachable_proxy_is_named_without_its_credentials() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let rules = ProxyRules::explicit(&format!("http://ops:s3cret@127.0.0.1:{port}"), "");
    let error = post("https://127.0.0.1:9/x", &TlsConfig::default(), rules)
        .await
        .unwrap_err();
    assert!(
        error.contains(&format!("via proxy 127.0.0.1:{port}")),
        "{error}"
    );
    assert!(!error.contains("s3cret"), "{error}");
}

#[test]
fn a_proxy_that_is_not_plain_http_is_refused_at_build() {
    let rules = ProxyRules::explicit("https://ops:s3cret@proxy.example.com:3128", "");
    let uri: Uri = "https://collector.example.com/".parse().unwrap();
    let Err(error) =
        build_client_with_proxy(&uri, &TlsConfig::default(), Duration::from_secs(1), rules)
    else {
        panic!("a https:// proxy was accepted");
    };
    assert!(matches!(error, SinkError::Proxy { .. }));
    let message = error.to_string();
    assert!(message.contains("only http:// proxies"), "{message}");
    assert!(message.contains("proxy.example.com:3128"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}
