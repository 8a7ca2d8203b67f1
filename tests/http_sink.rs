//! The `http` sink against a real HTTP server on 127.0.0.1: what each kind
//! of answer (or silence) becomes, TLS verification, and what arrives.

#[path = "support/http_receiver.rs"]
mod http_receiver;

use std::sync::Arc;
use std::time::{Duration, Instant};

use auditship::config::{
    ClientCertificate, Compression, HttpEncoding, HttpMethod, HttpSinkConfig, Secret, TlsConfig,
};
use auditship::sinks::{DeliveryError, HttpSink, SinkError};
use http_receiver::{HttpReceiver, Mode, ServerIdentity};
use serde_json::json;

const EVENTS: &[&[u8]] = &[
    br#"{"id":"e1","action":"user.login"}"#,
    br#"{"id":"e2","action":"user.logout"}"#,
];

fn config(uri: String) -> HttpSinkConfig {
    HttpSinkConfig {
        uri,
        method: HttpMethod::Post,
        encoding: HttpEncoding::Ndjson,
        compression: Compression::Gzip,
        headers: Vec::new(),
        request_timeout: Duration::from_secs(5),
        tls: TlsConfig::default(),
    }
}

fn sink_for(receiver: &HttpReceiver) -> HttpSink {
    HttpSink::new(&config(format!("{}/v1/audit", receiver.url()))).unwrap()
}

#[tokio::test]
async fn a_2xx_delivers_gzipped_ndjson_with_the_default_headers() {
    let receiver = HttpReceiver::start();
    let sink = sink_for(&receiver);
    sink.send(EVENTS).await.unwrap();
    sink.send(&EVENTS[..1]).await.unwrap();
    assert_eq!(receiver.requests(), 2);
    let ids: Vec<_> = receiver.events().iter().map(|e| e["id"].clone()).collect();
    assert_eq!(ids, [json!("e1"), json!("e2"), json!("e1")]);
    let request = receiver.last_request().unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/audit");
    assert_eq!(request.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(request.header("content-encoding"), Some("gzip"));
    assert_eq!(
        request.header("user-agent"),
        Some(concat!("auditship/", env!("CARGO_PKG_VERSION")))
    );
}

#[tokio::test]
async fn json_array_put_and_custom_headers_arrive_as_configured() {
    let receiver = HttpReceiver::start();
    let mut config = config(receiver.url());
    config.method = HttpMethod::Put;
    config.encoding = HttpEncoding::JsonArray;
    config.compression = Compression::None;
    config.headers = vec![
        ("Authorization".into(), Secret::new("Bearer t0ken")),
        ("X-Tenant".into(), Secret::new("acme")),
    ];
    HttpSink::new(&config).unwrap().send(EVENTS).await.unwrap();
    let request = receiver.last_request().unwrap();
    assert_eq!(request.method, "PUT");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("content-encoding"), None);
    assert_eq!(request.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(request.header("x-tenant"), Some("acme"));
    assert_eq!(receiver.events().len(), 2);
}

#[tokio::test]
async fn a_503_is_retryable_and_the_server_can_recover() {
    let receiver = HttpReceiver::start();
    let sink = sink_for(&receiver);
    receiver.set_mode(Mode::StatusFor(503, Duration::from_millis(300)));
    let error = sink.send(EVENTS).await.unwrap_err();
    assert!(
        matches!(&error, DeliveryError::Retryable { reason, retry_after: None } if reason.contains("503")),
        "{error:?}"
    );
    assert!(receiver.events().is_empty());
    tokio::time::sleep(Duration::from_millis(350)).await;
    sink.send(EVENTS).await.unwrap();
    assert_eq!(receiver.events().len(), 2);
}

#[tokio::test]
async fn a_429_with_retry_after_in_seconds_carries_the_wait() {
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::StatusWithRetryAfter(429, "2".into()));
    let error = sink_for(&receiver).send(EVENTS).await.unwrap_err();
    let DeliveryError::Retryable { retry_after, .. } = error else {
        panic!("{error:?}")
    };
    assert_eq!(retry_after, Some(Duration::from_secs(2)));
}

#[tokio::test]
async fn a_401_means_rejected_credentials() {
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::Status(401));
    let error = sink_for(&receiver).send(EVENTS).await.unwrap_err();
    assert_eq!(error, DeliveryError::CredentialsRejected { status: 401 });
}

#[tokio::test]
async fn a_400_is_permanent_and_carries_the_servers_reason() {
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::RejectEventsMatching(Arc::new(|e| e["id"] == "e2")));
    let sink = sink_for(&receiver);
    let error = sink.send(EVENTS).await.unwrap_err();
    let DeliveryError::Permanent { status, body } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 400);
    assert!(
        body.contains("rejected event") && body.contains("e2"),
        "{body}"
    );
    sink.send(&EVENTS[..1]).await.unwrap();
    assert_eq!(
        receiver.events().len(),
        1,
        "only the accepted batch is stored"
    );
}

#[tokio::test]
async fn echoed_header_values_are_redacted_from_refusals() {
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::RejectEventsMatching(Arc::new(|_| true)));
    let mut config = config(receiver.url());
    config.headers = vec![("Authorization".into(), Secret::new("s3cr3t-token"))];
    let event: &[u8] = br#"{"id":"s3cr3t-token"}"#;
    let error = HttpSink::new(&config)
        .unwrap()
        .send(&[event])
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        !text.contains("s3cr3t-token") && text.contains("<redacted>"),
        "{text}"
    );
}

#[tokio::test]
async fn a_server_that_hangs_times_out_as_retryable() {
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::Hang);
    let mut config = config(receiver.url());
    config.request_timeout = Duration::from_millis(300);
    let sink = HttpSink::new(&config).unwrap();
    let started = Instant::now();
    let error = sink.send(EVENTS).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(&error, DeliveryError::Retryable { reason, .. } if reason.contains("request_timeout")),
        "{error:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_retryable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sink = HttpSink::new(&config(format!("http://127.0.0.1:{port}/"))).unwrap();
    let error = sink.send(EVENTS).await.unwrap_err();
    assert!(
        matches!(&error, DeliveryError::Retryable { reason, .. } if reason.to_lowercase().contains("refused")),
        "{error:?}"
    );
}

/// A self-signed certificate for 127.0.0.1 and localhost.
fn self_signed() -> ServerIdentity {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    ServerIdentity {
        cert_pem: certified.cert.pem(),
        key_pem: certified.key_pair.serialize_pem(),
    }
}

#[tokio::test]
async fn tls_refuses_an_unknown_certificate_and_trusts_tls_ca() {
    let identity = self_signed();
    let receiver = HttpReceiver::start_tls(&identity);
    assert!(receiver.url().starts_with("https://127.0.0.1:"));

    // Default: verified against the system roots, which do not hold it.
    // (A machine without any CA bundle refuses already at build.)
    match HttpSink::new(&config(receiver.url())) {
        Ok(sink) => {
            let error = sink.send(EVENTS).await.unwrap_err();
            assert!(
                matches!(&error, DeliveryError::Retryable { reason, .. } if reason.contains("certificate")),
                "{error:?}"
            );
        }
        Err(error) => assert!(error.to_string().contains("no CA certificates"), "{error}"),
    }
    assert!(receiver.events().is_empty());

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &identity.cert_pem).unwrap();
    let mut trusted = config(receiver.url());
    trusted.tls.ca = Some(ca);
    HttpSink::new(&trusted).unwrap().send(EVENTS).await.unwrap();
    assert_eq!(receiver.events().len(), 2);
}

#[tokio::test]
async fn tls_checks_the_name_and_server_name_overrides_it() {
    let identity = self_signed();
    let receiver = HttpReceiver::start_tls(&identity);
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &identity.cert_pem).unwrap();
    let mut wrong_name = config(receiver.url());
    wrong_name.tls.ca = Some(ca);
    wrong_name.tls.server_name = Some("collector.example.com".into());
    let error = HttpSink::new(&wrong_name)
        .unwrap()
        .send(EVENTS)
        .await
        .unwrap_err();
    assert!(
        matches!(error, DeliveryError::Retryable { .. }),
        "{error:?}"
    );
    wrong_name.tls.server_name = Some("localhost".into());
    HttpSink::new(&wrong_name)
        .unwrap()
        .send(EVENTS)
        .await
        .unwrap();
}

#[tokio::test]
async fn insecure_skip_verify_accepts_any_certificate() {
    let receiver = HttpReceiver::start_tls(&self_signed());
    let mut config = config(receiver.url());
    config.tls.insecure_skip_verify = true;
    HttpSink::new(&config).unwrap().send(EVENTS).await.unwrap();
    assert_eq!(receiver.events().len(), 2);
}

#[test]
fn unreadable_tls_files_are_refused_at_build_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let identity = self_signed();
    let cert = dir.path().join("client.pem");
    std::fs::write(&cert, &identity.cert_pem).unwrap();
    let mut config = config("https://127.0.0.1:1/".into());

    config.tls.ca = Some(dir.path().join("missing-ca.pem"));
    let error = HttpSink::new(&config).unwrap_err();
    assert!(
        matches!(&error, SinkError::TlsFile { key: "tls.ca", .. }),
        "{error}"
    );
    assert!(error.to_string().contains("missing-ca.pem"), "{error}");

    config.tls.ca = Some(cert.clone());
    config.tls.client_certificate = Some(ClientCertificate {
        cert: cert.clone(),
        key: dir.path().join("missing-key.pem"),
    });
    let error = HttpSink::new(&config).unwrap_err();
    assert!(
        matches!(&error, SinkError::TlsFile { key: "tls.key", .. }),
        "{error}"
    );

    let key = dir.path().join("client.key");
    std::fs::write(&key, &identity.key_pem).unwrap();
    config.tls.client_certificate = Some(ClientCertificate { cert, key });
    HttpSink::new(&config).expect("a matching client certificate and key load");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_configured_http_sink_is_built_from_its_configuration_and_delivers() {
    let receiver = HttpReceiver::start();
    let text = format!(
        "[sources.app]\ntype = \"file\"\ninclude = [\"/nonexistent/*.log\"]\n\
         [sinks.central]\ntype = \"http\"\nuri = \"{}/in\"\nheaders = {{ Authorization = \"Bearer ${{TOKEN}}\" }}\n",
        receiver.url()
    );
    let env = |name: &str| (name == "TOKEN").then(|| "from-env".to_string());
    let config = auditship::config::from_str_with_env(&text, "auditship.toml", &env).unwrap();
    let mut sink = auditship::sinks::Sink::build(&config.sinks[0]).unwrap();
    // Network sinks are awaited by the runner; the blocking interface is
    // for local sinks only and says so.
    assert!(matches!(
        sink.write_batch(EVENTS),
        Err(SinkError::HttpSetup { .. })
    ));
    let auditship::sinks::Sink::Http(http) = &mut sink else {
        panic!("an http sink was built as {sink:?}");
    };
    http.send(EVENTS).await.unwrap();
    assert_eq!(receiver.events().len(), 2);
    assert_eq!(
        receiver.last_request().unwrap().header("authorization"),
        Some("Bearer from-env")
    );
    receiver.set_mode(Mode::Status(500));
    let error = http.send(EVENTS).await.unwrap_err();
    assert!(matches!(error, DeliveryError::Retryable { .. }), "{error}");
}
