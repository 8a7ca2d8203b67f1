//! [`EmailSender`]: one SMTP transaction per notification.
//!
//! Session: connect (TLS at once for `protocol = "tls"`) → 220 greeting →
//! `EHLO` → for `starttls`: `STARTTLS`, handshake, `EHLO` again (a server
//! that does not offer it is an error, never a silent downgrade) → `AUTH
//! PLAIN` (or `LOGIN` when only that is offered) when `username` is set →
//! `MAIL FROM` → `RCPT TO` per recipient (those refused are logged; the
//! message goes to the others) → `DATA`, the dot-stuffed message → `QUIT`.
//! The whole transaction has `request_timeout`. See `connection` for how
//! replies are classified (retry or give up).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::connection::{check, io_failure, Connection, Failure, Stage};
use super::message::{compose, dot_stuff};
use crate::alerts::notification::Notification;
use crate::alerts::sender::Attempt;
use crate::config::{EmailConfig, SmtpProtocol, TlsConfig};

/// The SMTP client of one `email` channel, built once.
pub struct EmailSender {
    config: EmailConfig,
    /// `None` for `protocol = "plain"`.
    tls: Option<(TlsConnector, ServerName<'static>)>,
    timeout: Duration,
}

/// What the server offers after EHLO.
#[derive(Debug, Default)]
struct Extensions {
    starttls: bool,
    auth: Vec<String>,
}

fn extensions(lines: &[String]) -> Extensions {
    let mut ext = Extensions::default();
    for line in lines.iter().skip(1) {
        let mut words = line.split_whitespace();
        match words.next().map(str::to_ascii_uppercase).as_deref() {
            Some("STARTTLS") => ext.starttls = true,
            Some("AUTH") => ext.auth = words.map(str::to_ascii_uppercase).collect(),
            _ => {}
        }
    }
    ext
}

impl EmailSender {
    pub fn build(
        config: &EmailConfig,
        tls: &TlsConfig,
        timeout: Duration,
    ) -> Result<EmailSender, String> {
        let tls = match config.protocol {
            SmtpProtocol::Plain => None,
            SmtpProtocol::StartTls | SmtpProtocol::Tls => {
                let client = crate::sinks::http::client::client_tls_config(tls, true, &config.host)
                    .map_err(|e| e.to_string())?;
                let name = tls
                    .server_name
                    .clone()
                    .unwrap_or_else(|| config.host.clone());
                let name = ServerName::try_from(name)
                    .map_err(|_| "the host is not a DNS name or IP address".to_string())?;
                Some((TlsConnector::from(Arc::new(client)), name))
            }
        };
        Ok(EmailSender {
            config: config.clone(),
            tls,
            timeout,
        })
    }

    pub async fn send(&self, n: &Notification) -> Attempt {
        match tokio::time::timeout(self.timeout, self.transaction(n)).await {
            Err(_) => Attempt::Retry {
                reason: format!(
                    "the SMTP transaction did not finish within {}",
                    crate::config::format_duration(self.timeout)
                ),
                retry_after: None,
            },
            Ok(Ok(())) => Attempt::Delivered,
            Ok(Err(Failure::Temporary(reason))) => Attempt::Retry {
                reason,
                retry_after: None,
            },
            Ok(Err(Failure::Permanent { code, reply })) => Attempt::Refused {
                status: code,
                body: reply,
            },
        }
    }

    async fn transaction(&self, n: &Notification) -> Result<(), Failure> {
        let address = (self.config.host.as_str(), self.config.port);
        let tcp = TcpStream::connect(address)
            .await
            .map_err(|e| io_failure("connecting to the SMTP server", e))?;
        let helo = helo_name(&n.host);
        match (&self.tls, self.config.protocol) {
            (Some((connector, name)), SmtpProtocol::Tls) => {
                let stream = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| io_failure("TLS handshake", e))?;
                let mut conn = Connection::new(stream);
                greeting(&mut conn).await?;
                let ext = ehlo(&mut conn, &helo).await?;
                self.deliver(conn, ext, n).await
            }
            (Some((connector, name)), _) => {
                let mut conn = Connection::new(tcp);
                greeting(&mut conn).await?;
                if !ehlo(&mut conn, &helo).await?.starttls {
                    return Err(Failure::Temporary("the server does not offer STARTTLS (use protocol = \"tls\" for port 465, or check host and port)".into()));
                }
                conn.expect("STARTTLS", "STARTTLS", &[220], Stage::Setup)
                    .await?;
                let stream = connector
                    .connect(name.clone(), conn.into_stream()?)
                    .await
                    .map_err(|e| io_failure("TLS handshake after STARTTLS", e))?;
                let mut conn = Connection::new(stream);
                let ext = ehlo(&mut conn, &helo).await?;
                self.deliver(conn, ext, n).await
            }
            (None, _) => {
                let mut conn = Connection::new(tcp);
                greeting(&mut conn).await?;
                let ext = ehlo(&mut conn, &helo).await?;
                self.deliver(conn, ext, n).await
            }
        }
    }

    async fn deliver<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        mut conn: Connection<S>,
        ext: Extensions,
        n: &Notification,
    ) -> Result<(), Failure> {
        if let (Some(user), Some(password)) = (&self.config.username, &self.config.password) {
            authenticate(&mut conn, &ext, user.expose(), password.expose()).await?;
        }
        let from = &self.config.from;
        conn.expect(
            &format!("MAIL FROM:<{from}>"),
            "MAIL FROM",
            &[250],
            Stage::Message,
        )
        .await?;
        let mut accepted = 0;
        let mut last_refusal = None;
        for to in &self.config.to {
            let reply = conn.command(&format!("RCPT TO:<{to}>")).await?;
            match check(
                reply,
                &format!("RCPT TO:<{to}>"),
                &[250, 251],
                Stage::Message,
            ) {
                Ok(_) => accepted += 1,
                Err(failure) => {
                    tracing::warn!(recipient = %to, ?failure, "The SMTP server refused a recipient of an alert.");
                    last_refusal = Some(failure);
                }
            }
        }
        if accepted == 0 {
            return Err(last_refusal.unwrap_or(Failure::Temporary("no recipient".into())));
        }
        conn.expect("DATA", "DATA", &[354], Stage::Message).await?;
        conn.write(&dot_stuff(&compose(n, from, &self.config.to)))
            .await?;
        let reply = conn.reply().await?;
        check(reply, "the message", &[250], Stage::Message)?;
        // Delivered; QUIT is a courtesy.
        let _ = conn.command("QUIT").await;
        Ok(())
    }
}

async fn greeting<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Connection<S>,
) -> Result<(), Failure> {
    let reply = conn.reply().await?;
    check(reply, "greeting", &[220], Stage::Setup).map(|_| ())
}

async fn ehlo<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Connection<S>,
    helo: &str,
) -> Result<Extensions, Failure> {
    let reply = conn
        .expect(&format!("EHLO {helo}"), "EHLO", &[250], Stage::Setup)
        .await?;
    Ok(extensions(&reply.lines))
}

async fn authenticate<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Connection<S>,
    ext: &Extensions,
    user: &str,
    password: &str,
) -> Result<(), Failure> {
    let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
    let hint = "AUTH (check username and password)";
    if ext.auth.iter().any(|m| m == "PLAIN") {
        let token = b64(format!("\0{user}\0{password}").as_bytes());
        conn.expect(&format!("AUTH PLAIN {token}"), hint, &[235], Stage::Setup)
            .await?;
    } else if ext.auth.iter().any(|m| m == "LOGIN") {
        conn.expect("AUTH LOGIN", hint, &[334], Stage::Setup)
            .await?;
        conn.expect(&b64(user.as_bytes()), hint, &[334], Stage::Setup)
            .await?;
        conn.expect(&b64(password.as_bytes()), hint, &[235], Stage::Setup)
            .await?;
    } else {
        return Err(Failure::Temporary(format!(
            "the server offers no AUTH PLAIN or LOGIN (it offers: {})",
            if ext.auth.is_empty() {
                "none".to_string()
            } else {
                ext.auth.join(" ")
            }
        )));
    }
    Ok(())
}

/// The EHLO name: the agent's host name if it is a plain DNS label
/// sequence, else `localhost`.
fn helo_name(host: &str) -> String {
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if ok {
        host.to_string()
    } else {
        "localhost".to_string()
    }
}
