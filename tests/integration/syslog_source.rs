//! The `syslog` source: TCP with RFC 6587 octet counting and with LF
//! framing (detected per connection), UDP, and TLS — every message arrives
//! once, with the sender's address; garbage is kept as quarantine events.

use std::collections::HashMap;
use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::socket_support::*;
use crate::support::*;

const N: usize = 100;

fn by_message(events: &[Value]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for e in events {
        if let Some(m) = e["message"].as_str() {
            *counts.entry(m.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

/// A self-signed certificate for 127.0.0.1, written as PEM files.
fn certificate(ws: &Workspace) -> (String, std::path::PathBuf, std::path::PathBuf) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let (cert, key) = (ws.path("tls.crt"), ws.path("tls.key"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    (certified.cert.pem(), cert, key)
}

fn tls_client(port: u16, ca_pem: &str) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    tls_client_with(port, ca_pem, None)
}

/// A TLS client trusting `ca_pem`, presenting `identity` (cert PEM, key PEM).
fn tls_client_with(
    port: u16,
    ca_pem: &str,
    identity: Option<(&str, &str)>,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let config = match identity {
        Some((cert, key)) => config
            .with_client_auth_cert(
                vec![rustls_pki_types::CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
                rustls_pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
            )
            .unwrap(),
        None => config.with_no_client_auth(),
    };
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    rustls::StreamOwned::new(conn, TcpStream::connect(("127.0.0.1", port)).unwrap())
}

#[test]
fn syslog_tcp_octet_counted_and_lf_framed_udp_and_tls_messages_all_arrive_once() {
    let ws = Workspace::new();
    let (tcp, udp, tls) = (free_port(), free_udp_port(), free_port());
    let (ca_pem, cert, key) = certificate(&ws);
    let config = socket_config(
        &ws,
        "",
        &format!(
            r#"[sources.tcp]
type = "syslog"
address = "127.0.0.1:{tcp}"
format = "raw"

[sources.udp]
type = "syslog"
address = "127.0.0.1:{udp}"
protocol = "udp"
format = "raw"

[sources.tls]
type = "syslog"
address = "127.0.0.1:{tls}"
protocol = "tls"
format = "raw"
tls = {{ cert = "{cert}", key = "{key}" }}
"#,
            cert = cert.display(),
            key = key.display()
        ),
    );
    let agent = Agent::start(&ws, &config);
    wait_listening(tcp, &agent);
    wait_listening(tls, &agent);

    let mut expected = Vec::new();
    let mut counted = TcpStream::connect(("127.0.0.1", tcp)).unwrap();
    let mut framed = Vec::new();
    for i in 0..N {
        // A newline inside the message proves octet counting is used.
        let msg = format!("<13>1 2026-01-01T00:00:00Z h app - - - counted {i}\nsecond line");
        framed.extend_from_slice(format!("{} {msg}", msg.len()).as_bytes());
        expected.push(msg);
    }
    counted.write_all(&framed).unwrap();
    let mut lines = TcpStream::connect(("127.0.0.1", tcp)).unwrap();
    for i in 0..N {
        let msg = format!("<14>Jan  1 00:00:00 h app: lf {i}");
        lines.write_all(format!("{msg}\r\n").as_bytes()).unwrap();
        expected.push(msg);
    }
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..N {
        let msg = format!("<15>udp {i}");
        sender
            .send_to(format!("{msg}\n").as_bytes(), ("127.0.0.1", udp))
            .unwrap();
        expected.push(msg);
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut secure = tls_client(tls, &ca_pem);
    for i in 0..N {
        let msg = format!("<16>tls {i}");
        secure
            .write_all(format!("{} {msg}", msg.len()).as_bytes())
            .unwrap();
        expected.push(msg);
    }
    secure.flush().unwrap();
    drop((counted, lines));
    secure.conn.send_close_notify();
    let _ = secure.flush();

    let events = wait_events(&ws, 4 * N, &agent);
    assert_eq!(agent.stop(), 0);
    let counts = by_message(&events);
    for msg in &expected {
        assert_eq!(counts.get(msg), Some(&1), "{msg:?} in {counts:#?}");
    }
    assert_eq!(events.len(), 4 * N);
    let tcp_event = events.iter().find(|e| e["message"] == expected[0]).unwrap();
    assert_eq!(tcp_event["origin"]["kind"], "syslog");
    assert!(tcp_event["origin"]["peer"]["addr"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
}

#[test]
fn syslog_garbage_frames_and_invalid_utf8_are_kept_and_the_agent_carries_on() {
    let ws = Workspace::new();
    let tcp = free_port();
    let config = socket_config(
        &ws,
        "",
        &format!("[sources.tcp]\ntype = \"syslog\"\naddress = \"127.0.0.1:{tcp}\"\nformat = \"raw\"\nmax_frame_bytes = \"1KiB\"\n"),
    );
    let agent = Agent::start(&ws, &config);
    wait_listening(tcp, &agent);
    // Octet counting, then garbage where a count should be, then in sync again.
    let mut a = TcpStream::connect(("127.0.0.1", tcp)).unwrap();
    a.write_all(b"5 hello\x00\xff junk\n5 world").unwrap();
    // LF framing with invalid UTF-8 and an oversize line.
    let mut b = TcpStream::connect(("127.0.0.1", tcp)).unwrap();
    b.write_all(b"<13>bad \xff\xfe bytes\n").unwrap();
    b.write_all(&vec![b'x'; 5000]).unwrap();
    b.write_all(b"\n<13>after\n").unwrap();
    drop((a, b));

    let events = wait_events(&ws, 6, &agent);
    let counts = by_message(&events);
    assert_eq!(counts.get("hello"), Some(&1), "{events:#?}");
    assert_eq!(counts.get("world"), Some(&1));
    assert_eq!(counts.get("<13>after"), Some(&1));
    let quarantined = events
        .iter()
        .filter(|e| e["parse_error"].is_object())
        .count();
    assert_eq!(
        quarantined, 3,
        "garbage, invalid UTF-8, too long: {events:#?}"
    );
    // Still serving.
    let mut c = TcpStream::connect(("127.0.0.1", tcp)).unwrap();
    c.write_all(b"<13>still here\n").unwrap();
    drop(c);
    let events = wait_events(&ws, 7, &agent);
    assert_eq!(by_message(&events).get("<13>still here"), Some(&1));
    assert_eq!(agent.stop(), 0);
}

#[test]
fn syslog_tls_with_client_ca_takes_only_clients_with_a_certificate_it_issued() {
    let ws = Workspace::new();
    let port = free_port();
    let (server_pem, cert, key) = certificate(&ws);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let client_key = rcgen::KeyPair::generate().unwrap();
    let mut client_params = rcgen::CertificateParams::new(vec!["client".to_string()]).unwrap();
    client_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let client = client_params.signed_by(&client_key, &ca, &ca_key).unwrap();
    std::fs::write(ws.path("ca.crt"), ca.pem()).unwrap();
    let config = socket_config(
        &ws,
        "",
        &format!(
            "[sources.tls]\ntype = \"syslog\"\naddress = \"127.0.0.1:{port}\"\nprotocol = \"tls\"\nformat = \"raw\"\ntls = {{ cert = \"{}\", key = \"{}\", client_ca = \"{}\" }}\n",
            cert.display(),
            key.display(),
            ws.path("ca.crt").display()
        ),
    );
    let agent = Agent::start(&ws, &config);
    wait_listening(port, &agent);

    let mut anonymous = tls_client(port, &server_pem);
    let _ = anonymous.write_all(b"<13>anonymous\n");
    let _ = anonymous.flush();
    let mut known = tls_client_with(
        port,
        &server_pem,
        Some((&client.pem(), &client_key.serialize_pem())),
    );
    known.write_all(b"<13>known\n").unwrap();
    known.flush().unwrap();
    known.conn.send_close_notify();
    let _ = known.flush();
    drop((anonymous, known));

    let _ = wait_events(&ws, 1, &agent);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(agent.stop(), 0);
    let counts = by_message(&ws.output_events());
    assert_eq!(counts.get("<13>known"), Some(&1));
    assert_eq!(counts.get("<13>anonymous"), None, "{counts:?}");
}

#[test]
fn by_default_syslog_messages_are_parsed_into_the_schema() {
    let ws = Workspace::new();
    let tcp = free_port();
    let config = socket_config(
        &ws,
        "",
        &format!("[sources.tcp]\ntype = \"syslog\"\naddress = \"127.0.0.1:{tcp}\"\n"),
    );
    let agent = Agent::start(&ws, &config);
    wait_listening(tcp, &agent);
    let msg = "<84>1 2026-01-01T10:00:00.5Z web-1 app - - [audit@32473 action=\"apikey.create\" user=\"alice\" status=\"success\"] alice created a key";
    let mut stream = TcpStream::connect(("127.0.0.1", tcp)).unwrap();
    stream
        .write_all(format!("{} {msg}", msg.len()).as_bytes())
        .unwrap();
    drop(stream);
    let events = wait_events(&ws, 1, &agent);
    assert_eq!(agent.stop(), 0);
    let event = &events[0];
    assert_eq!(event["origin"]["format"], "syslog", "{event:#}");
    assert_eq!(event["action"], "apikey.create", "{event:#}");
    assert_eq!(event["actor"]["id"], "alice", "{event:#}");
    assert_eq!(event["outcome"], "success");
    assert_eq!(event["severity"], "warning"); // PRI 84 = authpriv.warning
    assert_eq!(event["time"], "2026-01-01T10:00:00.500Z");
    assert_eq!(event["message"], "alice created a key");
}
