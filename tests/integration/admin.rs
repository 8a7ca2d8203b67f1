//! The admin endpoint of a running agent: liveness, readiness, Prometheus
//! metrics that follow the pipeline, a status summary without event
//! content, and a refused start when the address is taken.

use std::io::{Read, Write};
use std::time::Duration;

use crate::support::*;

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `GET path`: (status, body), or `None` while nothing answers.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.get(9..12)?.parse().ok()?;
    Some((status, answer.split_once("\r\n\r\n")?.1.to_string()))
}

fn metric(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn a_running_agent_reports_health_readiness_metrics_and_status() {
    const N: u64 = 500;
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), 3, 0..N);
    let port = free_port();
    let config = ws.config(
        "*.log",
        &format!("[admin]\naddress = \"127.0.0.1:{port}\"\n"),
    );
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(20), || get(port, "/ready")
            .is_some_and(|(status, _)| status == 200)),
        "not ready; log:\n{}",
        agent.log()
    );
    assert_eq!(get(port, "/health").unwrap(), (200, "ok\n".into()));
    let delivered = || {
        get(port, "/metrics")
            .and_then(|(_, body)| metric(&body, "auditship_events_delivered_total"))
            .is_some_and(|n| n >= N as f64)
    };
    assert!(
        wait_until(Duration::from_secs(20), delivered),
        "log:\n{}",
        agent.log()
    );
    let (status, metrics) = get(port, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        metric(&metrics, "auditship_events_read_total"),
        Some(N as f64)
    );
    assert_eq!(
        metric(&metrics, "auditship_events_journaled_total"),
        Some(N as f64)
    );
    assert_eq!(
        metric(&metrics, "auditship_journal_next_seq"),
        Some((N + 1) as f64)
    );
    // The sink counts an event delivered before it moves its cursor, so the
    // backlog reaches 0 a moment after the delivered count reaches N.
    let backlog_drained = || {
        get(port, "/metrics")
            .and_then(|(_, body)| metric(&body, "auditship_sink_backlog_events{sink=\"out\"}"))
            == Some(0.0)
    };
    assert!(
        wait_until(Duration::from_secs(20), backlog_drained),
        "backlog not 0 after delivery; metrics:\n{metrics}"
    );
    let (status, body) = get(port, "/status").unwrap();
    assert_eq!(status, 200);
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status["events"]["journaled"], N);
    assert_eq!(status["sinks"][0]["id"], "out");
    // No event content: the generated actions never appear.
    assert!(!body.contains("release.") && !metrics.contains("release."));
    assert_eq!(agent.stop(), 0);
    assert!(
        get(port, "/health").is_none(),
        "the endpoint closes with the agent"
    );
}

#[test]
fn a_taken_admin_address_refuses_the_start_and_says_so() {
    let ws = Workspace::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let config = ws.config(
        "*.log",
        &format!("[admin]\naddress = \"127.0.0.1:{port}\"\n"),
    );
    let config = config.to_str().unwrap();
    let (code, _out, err) = run_cli(&["run", "-c", config], None);
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("choose another port"),
        "{err}"
    );
}

#[test]
fn status_shows_the_running_agents_last_error_per_sink() {
    use crate::http_receiver::{HttpReceiver, Mode};
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::Status(503));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), 3, 0..20);
    let port = free_port();
    let config = ws.config(
        "*.log",
        &format!(
            "[admin]\naddress = \"127.0.0.1:{port}\"\n\n[sinks.central]\ntype = \"http\"\nuri = \"{}/v1/audit\"\nretry = {{ initial = \"100ms\", max = \"200ms\" }}\n",
            receiver.url()
        ),
    );
    let agent = Agent::start(&ws, &config);
    let status = || run_cli(&["status", "-c", config.to_str().unwrap()], None).1;
    let mut out = String::new();
    let failing = wait_until(Duration::from_secs(30), || {
        out = status();
        out.lines()
            .any(|l| l.starts_with("central") && l.contains("503"))
    });
    assert!(failing, "status:\n{out}\nlog:\n{}", agent.log());
    assert!(out.contains("running   version"), "{out}");
    let archive = out.lines().rfind(|l| l.starts_with("out ")).unwrap();
    assert!(
        archive.ends_with(" -"),
        "the file sink has no error: {archive}"
    );

    assert_eq!(agent.stop(), 0);
    let stopped = status();
    assert!(stopped.contains("is it running?"), "{stopped}");
}
