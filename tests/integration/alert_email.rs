//! The `email` channel, `digest` and the alert metrics, end to end: the
//! real binary, a strict SMTP receiver with STARTTLS and AUTH, the
//! webhook emulator, `/metrics`.

use std::io::{Read, Write};
use std::time::Duration;

use crate::alert_emulator::{AlertEmulator, WEBHOOK_SECRET};
use crate::smtp_receiver::{Fail, SmtpReceiver};
use crate::support::*;

fn log_event(ws: &Workspace, action: &str, actor: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(ws.logs().join("audit.log"))
        .unwrap();
    writeln!(
        f,
        r#"{{"time":"2026-01-01T00:00:00Z","action":"{action}","outcome":"success","actor":{{"id":"{actor}","name":"{actor}-name"}}}}"#
    )
    .unwrap();
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn metrics(port: u16) -> String {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

fn metric(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// A receiver offering STARTTLS with a certificate for 127.0.0.1 and
/// requiring AUTH; the channel config trusting that certificate.
fn receiver_and_channel(ws: &Workspace) -> (SmtpReceiver, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let (cert, key) = (certified.cert.pem(), certified.key_pair.serialize_pem());
    std::fs::write(ws.path("smtp-ca.pem"), &cert).unwrap();
    let receiver = SmtpReceiver::start(Some((&cert, &key)), Some(("alerts", "pa55-w0rd")));
    let channel = format!(
        r#"
[channels.mail]
type = "email"
host = "127.0.0.1"
port = {port}
username = "alerts"
password = "pa55-w0rd"
from = "auditship@example.com"
to = ["security@example.com", "oncall@example.com"]
tls = {{ ca = "{ca}" }}
retry = {{ initial = "100ms", max = "300ms" }}
"#,
        port = receiver.port,
        ca = ws.path("smtp-ca.pem").display()
    );
    (receiver, channel)
}

#[test]
fn alerts_email_arrives_once_over_starttls_after_the_server_recovers_and_metrics_count_it() {
    let ws = Workspace::new();
    let (receiver, channel) = receiver_and_channel(&ws);
    receiver.fail_next(&[Fail::Greeting421, Fail::AfterData451, Fail::AfterData451]);
    let admin = free_port();
    let rules = r#"
[alerts.break_glass]
when = 'action == "break_glass.opened"'
channels = ["mail"]
severity = "critical"
title = "Break-glass session opened by {actor.name}"
runbook = "https://runbooks.example.com/break-glass"
"#;
    let extra = format!("[admin]\naddress = \"127.0.0.1:{admin}\"\n{channel}{rules}");
    let config = ws.config("*.log", &extra);
    let agent = Agent::start(&ws, &config);
    log_event(&ws, "break_glass.opened", "u1");
    assert!(
        wait_until(Duration::from_secs(30), || !receiver.received().is_empty()),
        "failed {}, violations {:?}; log:\n{}",
        receiver.failed(),
        receiver.violations(),
        agent.log()
    );
    std::thread::sleep(Duration::from_secs(2));
    let received = receiver.received();
    assert_eq!(received.len(), 1, "exactly once: {received:#?}");
    assert_eq!(receiver.failed(), 3, "421, then 451 twice, then delivered");
    assert!(
        receiver.violations().is_empty(),
        "{:?}",
        receiver.violations()
    );
    let mail = &received[0];
    assert!(mail.tls, "sent under STARTTLS");
    assert_eq!(mail.user.as_deref(), Some("alerts"));
    assert_eq!(mail.from, "auditship@example.com");
    assert_eq!(mail.to, ["security@example.com", "oncall@example.com"]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Break-glass session opened by u1-name")
    );
    let id = mail.header("Message-ID").unwrap();
    assert!(
        id.starts_with("<break_glass-") && id.ends_with("@test-host>"),
        "{id}"
    );
    assert!(mail.header("Date").is_some());
    let body = mail.body();
    assert!(
        body.contains("Runbook: https://runbooks.example.com/break-glass"),
        "{body}"
    );
    assert!(body.contains("Severity: critical"), "{body}");

    let fired = "auditship_alerts_fired_total{alert=\"break_glass\"}";
    let delivered = "auditship_alert_notifications_delivered_total{channel=\"mail\"}";
    assert!(
        wait_until(Duration::from_secs(10), || metric(
            &metrics(admin),
            delivered
        ) == Some(1.0)),
        "{}",
        metrics(admin)
    );
    let text = metrics(admin);
    assert_eq!(metric(&text, fired), Some(1.0), "{text}");
    assert_eq!(
        metric(
            &text,
            "auditship_alert_notifications_failed_total{channel=\"mail\"}"
        ),
        Some(3.0),
        "{text}"
    );
    assert!(!text.contains("pa55-w0rd") && !agent.log().contains("pa55-w0rd"));
    assert_eq!(agent.stop(), 0);
}

#[test]
fn alerts_email_refused_for_good_is_given_up_logged_and_counted() {
    let ws = Workspace::new();
    let (receiver, channel) = receiver_and_channel(&ws);
    receiver.fail_next(&[Fail::Rcpt550]);
    let admin = free_port();
    let rules = "\n[alerts.keys]\nwhen = 'action == \"apikey.create\"'\nchannels = [\"mail\"]\n";
    let extra = format!("[admin]\naddress = \"127.0.0.1:{admin}\"\n{channel}{rules}");
    let agent = Agent::start(&ws, &ws.config("*.log", &extra));
    log_event(&ws, "apikey.create", "svc");
    let given_up =
        "auditship_alert_notifications_given_up_total{channel=\"mail\",reason=\"refused\"}";
    assert!(
        wait_until(Duration::from_secs(30), || metric(
            &metrics(admin),
            given_up
        ) == Some(1.0)),
        "{}\nlog:\n{}",
        metrics(admin),
        agent.log()
    );
    assert!(
        agent.log().contains("refused the notification for good"),
        "{}",
        agent.log()
    );
    std::thread::sleep(Duration::from_secs(1));
    assert!(receiver.received().is_empty(), "not retried after a 550");
    assert_eq!(agent.stop(), 0);
}

#[test]
fn alerts_digest_sends_one_summary_and_is_flushed_at_shutdown() {
    let emulator = AlertEmulator::start();
    let ws = Workspace::new();
    let rules = format!(
        r#"
[channels.hook]
type = "webhook"
url = "{url}"
secret = "{WEBHOOK_SECRET}"
retry = {{ initial = "100ms", max = "300ms" }}

[alerts.role_changes]
when = 'action == "member.role.change"'
channels = ["hook"]
digest = "1h"
"#,
        url = emulator.url("/webhook")
    );
    let config = ws.config("*.log", &rules);
    let agent = Agent::start(&ws, &config);
    for actor in ["a", "b", "a"] {
        log_event(&ws, "member.role.change", actor);
    }
    log_event(&ws, "user.login", "a");
    assert!(
        wait_until(Duration::from_secs(20), || ws.output_events().len() >= 4),
        "log:\n{}",
        agent.log()
    );
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        emulator.accepted().is_empty(),
        "nothing before the interval ends"
    );
    assert!(emulator.refused().is_empty(), "{:?}", emulator.refused());
    assert_eq!(agent.stop(), 0);
    // Flushed to the outbox at SIGTERM: delivered then or after the restart.
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(20), || !emulator.accepted().is_empty()),
        "log:\n{}",
        agent.log()
    );
    std::thread::sleep(Duration::from_secs(1));
    let accepted = emulator.accepted();
    assert_eq!(accepted.len(), 1, "one summary: {accepted:?}");
    assert!(emulator.refused().is_empty(), "{:?}", emulator.refused());
    let body = &accepted[0].body;
    assert_eq!(body["digest"]["events"], 3);
    assert_eq!(body["digest"]["actors"], 2);
    assert_eq!(body["digest"]["actions"]["member.role.change"], 3);
    assert_eq!(body["count"], 3);
    let title = body["title"].as_str().unwrap();
    assert!(
        title.starts_with("role_changes: 3 × member.role.change in the last "),
        "{title}"
    );
    assert!(title.ends_with(", by 2 actors"), "{title}");
    assert_eq!(agent.stop(), 0);
}
