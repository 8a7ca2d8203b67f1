//! The running agent's side of `auditship status`: its `/status` answer
//! (uptime, readiness, per-sink sent/retries/dead letters and the last
//! error), fetched from the admin endpoint and rendered as a table.
//!
//! Why next to the data-directory report (`crate::status`) instead of
//! replacing it: the state files say what is owed even when the agent is
//! stopped or crashed, while only the running agent knows why a sink is
//! failing right now. The request goes through hyper like the `tap`
//! client's; the endpoint is loopback by default and shows no event
//! content or secret.

use std::fmt::Write as _;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// How long the command waits for the agent before saying it is not there.
const TIMEOUT: Duration = Duration::from_secs(3);

/// `GET /status` from the admin endpoint at `address` (`host:port`).
pub async fn fetch(address: &str) -> Result<Value, String> {
    tokio::time::timeout(TIMEOUT, get_status(address))
        .await
        .unwrap_or_else(|_| Err(format!("{address} did not answer within 3 s")))
}

async fn get_status(address: &str) -> Result<Value, String> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| format!("no agent answers on {address} ({e}); is it running?"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("cannot ask {address}: {e}"))?;
    tokio::spawn(connection);
    let request = hyper::Request::get("/status")
        .header(hyper::header::HOST, address)
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("no answer from {address}: {e}"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("no complete answer from {address}: {e}"))?
        .to_bytes();
    if !status.is_success() {
        return Err(format!("{address} answered {status}"));
    }
    serde_json::from_slice(&body)
        .map_err(|e| format!("{address} answered /status with invalid JSON: {e}"))
}

/// The table printed under "running agent".
pub fn render(status: &Value) -> String {
    let mut out = String::new();
    let ready = if status["ready"].as_bool() == Some(true) {
        "ready"
    } else {
        "not ready"
    };
    let _ = writeln!(
        out,
        "running   version {}, up {} s, {ready}; reloads applied {}, rejected {}",
        status["version"].as_str().unwrap_or("?"),
        status["uptime_seconds"].as_u64().unwrap_or(0),
        status["reloads"]["applied"].as_u64().unwrap_or(0),
        status["reloads"]["rejected"].as_u64().unwrap_or(0),
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<20} {:>12} {:>8} {:>8}  LAST ERROR",
        "SINK", "SENT", "RETRIES", "DEAD"
    );
    for sink in status["sinks"].as_array().into_iter().flatten() {
        let last_error = match sink["last_error"].as_object() {
            Some(error) => format!(
                "{} {}",
                error["at"].as_str().unwrap_or("?"),
                error["reason"].as_str().unwrap_or("?")
            ),
            None => "-".into(),
        };
        let _ = writeln!(
            out,
            "{:<20} {:>12} {:>8} {:>8}  {}",
            sink["id"].as_str().unwrap_or("?"),
            sink["events_sent"].as_u64().unwrap_or(0),
            sink["retries"].as_u64().unwrap_or(0),
            sink["dead_lettered"].as_u64().unwrap_or(0),
            last_error
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn render_shows_each_sink_with_its_last_error() {
        let status = json!({
            "version": "1.2.3", "uptime_seconds": 42, "ready": true,
            "reloads": {"applied": 1, "rejected": 2},
            "sinks": [
                {"id": "central", "events_sent": 10, "retries": 3, "dead_lettered": 1,
                 "last_error": {"at": "2026-11-27T05:00:00Z", "reason": "HTTP 503"}},
                {"id": "archive", "events_sent": 7, "retries": 0, "dead_lettered": 0,
                 "last_error": null}
            ]
        });
        let text = render(&status);
        assert!(
            text.contains("up 42 s, ready; reloads applied 1, rejected 2"),
            "{text}"
        );
        let central = text.lines().find(|l| l.starts_with("central")).unwrap();
        assert!(
            central.ends_with("2026-11-27T05:00:00Z HTTP 503"),
            "{central}"
        );
        assert!(
            central.contains(" 10 ") && central.contains(" 3 "),
            "{central}"
        );
        let archive = text.lines().find(|l| l.starts_with("archive")).unwrap();
        assert!(archive.ends_with(" -"), "{archive}");
    }

    #[tokio::test]
    async fn fetch_says_when_no_agent_answers() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let error = fetch(&format!("127.0.0.1:{port}")).await.unwrap_err();
        assert!(error.contains("is it running?"), "{error}");
    }
}
