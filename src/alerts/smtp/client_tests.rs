//! The SMTP client against a scripted server on 127.0.0.1: what each
//! reply means (delivered, retried, given up), what goes on the wire
//! (AUTH PLAIN token, dot-stuffed DATA), and the refusals that protect
//! the session (no STARTTLS offered, data injected after STARTTLS).

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::EmailSender;
use crate::alerts::channels::fixtures::notification;
use crate::alerts::sender::Attempt;
use crate::config::{EmailConfig, Secret, SmtpProtocol, TlsConfig};

/// How the scripted server answers.
#[derive(Clone)]
struct Script {
    greeting: &'static str,
    ehlo: &'static str,
    /// Reply to `STARTTLS` (sent as is, so it may carry extra bytes).
    starttls: &'static str,
    auth: &'static str,
    /// Reply per recipient, by its local part (`ok` otherwise).
    rcpt: fn(&str) -> &'static str,
    after_data: &'static str,
}

const OK: Script = Script {
    greeting: "220 mx ESMTP\r\n",
    ehlo: "250-mx\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n",
    starttls: "220 go ahead\r\n",
    auth: "235 ok\r\n",
    rcpt: |_| "250 ok\r\n",
    after_data: "250 queued\r\n",
};

/// Serves one connection; returns the lines the client sent.
async fn server(script: Script) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut io = BufReader::new(stream);
        let mut seen = Vec::new();
        let mut in_data = false;
        io.get_mut()
            .write_all(script.greeting.as_bytes())
            .await
            .unwrap();
        loop {
            let mut line = String::new();
            if io.read_line(&mut line).await.unwrap_or(0) == 0 {
                return seen;
            }
            assert!(line.ends_with("\r\n"), "bare LF from the client: {line:?}");
            let line = line.trim_end_matches("\r\n").to_string();
            seen.push(line.clone());
            let reply = if in_data {
                if line != "." {
                    continue;
                }
                in_data = false;
                script.after_data.to_string()
            } else {
                let upper = line.to_ascii_uppercase();
                if upper.starts_with("EHLO") {
                    script.ehlo.to_string()
                } else if upper == "STARTTLS" {
                    script.starttls.to_string()
                } else if upper.starts_with("AUTH") {
                    script.auth.to_string()
                } else if upper.starts_with("MAIL FROM") {
                    "250 ok\r\n".to_string()
                } else if let Some(to) = line.strip_prefix("RCPT TO:<") {
                    (script.rcpt)(to.split('@').next().unwrap()).to_string()
                } else if upper == "DATA" {
                    in_data = true;
                    "354 go\r\n".to_string()
                } else if upper == "QUIT" {
                    io.get_mut().write_all(b"221 bye\r\n").await.unwrap();
                    return seen;
                } else {
                    "500 what\r\n".to_string()
                }
            };
            if io.get_mut().write_all(reply.as_bytes()).await.is_err() {
                return seen;
            }
        }
    });
    (port, task)
}

fn sender(port: u16, protocol: SmtpProtocol, auth: bool, to: &[&str]) -> EmailSender {
    let config = EmailConfig {
        host: "127.0.0.1".into(),
        port,
        protocol,
        username: auth.then(|| Secret::new("alerts")),
        password: auth.then(|| Secret::new("pa55")),
        from: "auditship@example.com".into(),
        to: to.iter().map(|t| t.to_string()).collect(),
    };
    EmailSender::build(&config, &TlsConfig::default(), Duration::from_secs(10)).unwrap()
}

async fn attempt(
    script: Script,
    protocol: SmtpProtocol,
    auth: bool,
    to: &[&str],
) -> (Attempt, Vec<String>) {
    let (port, task) = server(script).await;
    let mut n = notification();
    n.message = Some("line one\n.hidden dot line\n..two dots".into());
    n.suppressed = 0; // keeps the body ASCII: sent as is, dots visible
    let attempt = sender(port, protocol, auth, to).send(&n).await;
    (attempt, task.await.unwrap())
}

#[tokio::test]
async fn a_message_is_delivered_with_auth_plain_and_dot_stuffing() {
    let (result, seen) = attempt(OK, SmtpProtocol::Plain, true, &["a@example.com"]).await;
    assert_eq!(result, Attempt::Delivered, "{seen:#?}");
    // base64("\0alerts\0pa55")
    assert!(
        seen.contains(&"AUTH PLAIN AGFsZXJ0cwBwYTU1".to_string()),
        "{seen:#?}"
    );
    assert!(seen.contains(&"MAIL FROM:<auditship@example.com>".to_string()));
    assert!(seen.contains(&"..hidden dot line".to_string()), "{seen:#?}");
    assert!(seen.contains(&"...two dots".to_string()), "{seen:#?}");
    assert_eq!(seen.last().map(String::as_str), Some("QUIT"));
}

#[tokio::test]
async fn every_recipient_refused_with_5xx_gives_up() {
    let script = Script {
        rcpt: |_| "550 5.1.1 no such user\r\n",
        ..OK
    };
    let (result, _) = attempt(script, SmtpProtocol::Plain, false, &["a@example.com"]).await;
    assert!(
        matches!(result, Attempt::Refused { status: 550, .. }),
        "{result:?}"
    );
}

#[tokio::test]
async fn one_refused_recipient_does_not_stop_the_others() {
    let script = Script {
        rcpt: |local| {
            if local == "gone" {
                "550 no\r\n"
            } else {
                "250 ok\r\n"
            }
        },
        ..OK
    };
    let (result, seen) = attempt(
        script,
        SmtpProtocol::Plain,
        false,
        &["gone@example.com", "b@example.com"],
    )
    .await;
    assert_eq!(result, Attempt::Delivered);
    assert!(seen.contains(&"DATA".to_string()));
}

#[tokio::test]
async fn temporary_failures_are_retried() {
    for script in [
        Script {
            greeting: "421 busy\r\n",
            ..OK
        },
        Script {
            after_data: "451 4.3.0 try later\r\n",
            ..OK
        },
        Script {
            rcpt: |_| "452 full\r\n",
            ..OK
        },
        Script {
            auth: "535 5.7.8 bad credentials\r\n",
            ..OK
        },
    ] {
        let (result, seen) = attempt(script, SmtpProtocol::Plain, true, &["a@example.com"]).await;
        assert!(
            matches!(result, Attempt::Retry { .. }),
            "{result:?} {seen:#?}"
        );
        if let Attempt::Retry { reason, .. } = &result {
            assert!(!reason.contains("pa55"), "no password in errors: {reason}");
        }
    }
}

#[tokio::test]
async fn starttls_is_required_and_injected_bytes_are_refused() {
    let (result, seen) = attempt(OK, SmtpProtocol::StartTls, false, &["a@example.com"]).await;
    match result {
        Attempt::Retry { reason, .. } => {
            assert!(reason.contains("does not offer STARTTLS"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !seen.iter().any(|l| l.starts_with("MAIL")),
        "never falls back to plain"
    );

    let script = Script {
        ehlo: "250-mx\r\n250 STARTTLS\r\n",
        starttls: "220 go ahead\r\n250 injected\r\n",
        ..OK
    };
    let (result, _) = attempt(script, SmtpProtocol::StartTls, false, &["a@example.com"]).await;
    match result {
        Attempt::Retry { reason, .. } => {
            assert!(reason.contains("after its STARTTLS reply"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}
