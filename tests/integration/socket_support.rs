//! Helpers of the socket source tests: free ports, a config with one file
//! sink and the given sources, a minimal blocking HTTP/1.1 client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::*;

/// A port nobody listens on right now (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A UDP port nobody uses right now.
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes a config with `sources` (TOML) and a file sink into `out/`.
pub fn socket_config(ws: &Workspace, journal: &str, sources: &str) -> std::path::PathBuf {
    ws.write_config(&format!(
        r#"data_dir = "{data}"
host = "test-host"

[journal]
batch_interval = "5ms"
{journal}

{sources}

[sinks.out]
type = "file"
path = "{out}/events.ndjson"
"#,
        data = ws.data_dir().display(),
        out = ws.out_dir().display(),
    ))
}

/// A response: status, lower-cased headers, body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request (`Connection: close`) and reads the whole response.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the http source");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413, 401) before reading the whole body.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Waits until `GET /health` answers 200.
pub fn wait_healthy(port: u16, agent: &Agent) {
    let up = wait_until(Duration::from_secs(30), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
            && request(port, "GET", "/health", &[], b"").status == 200
    });
    assert!(up, "the http source did not come up; log:\n{}", agent.log());
}

/// Waits until something accepts TCP connections on `port`.
pub fn wait_listening(port: u16, agent: &Agent) {
    let up = wait_until(Duration::from_secs(30), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "nothing listens on {port}; log:\n{}", agent.log());
}

/// Waits for at least `n` output events; returns them.
pub fn wait_events(ws: &Workspace, n: usize, agent: &Agent) -> Vec<serde_json::Value> {
    let arrived = wait_until(Duration::from_secs(60), || ws.output_line_count() >= n);
    assert!(
        arrived,
        "{} of {n} events arrived; log:\n{}",
        ws.output_line_count(),
        agent.log()
    );
    ws.output_events()
}
