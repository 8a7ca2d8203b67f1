//! One SMTP connection: commands out, replies in (RFC 5321 §4.2:
//! `DDD-text` continuation lines, then `DDD text`), and what a reply
//! means for the notification.
//!
//! Classification:
//! - 2xx/3xx where expected: go on.
//! - 4xx, network errors, timeouts: [`Failure::Temporary`], retried.
//! - 5xx while setting the session up (greeting, EHLO, STARTTLS, AUTH):
//!   also temporary — a wrong password or a server without STARTTLS is a
//!   setting being fixed, like a webhook's 401; logged with a hint.
//! - 5xx to MAIL, RCPT or DATA: [`Failure::Permanent`]: the server will
//!   never take this message; given up (logged as an error).

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// Longest reply line read, and most lines in one reply.
const MAX_LINE: u64 = 4096;
const MAX_LINES: usize = 100;

/// Why a transaction did not deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Temporary(String),
    Permanent { code: u16, reply: String },
}

/// Which part of the session a command belongs to (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Setup,
    Message,
}

/// One reply: its code and its lines' text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn text(&self) -> String {
        self.lines.join(" / ")
    }
}

pub fn io_failure(what: &str, error: std::io::Error) -> Failure {
    Failure::Temporary(format!("{what}: {error}"))
}

/// An SMTP connection over any stream (TCP, then maybe TLS).
pub struct Connection<S> {
    io: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    pub fn new(stream: S) -> Connection<S> {
        Connection {
            io: BufReader::new(stream),
        }
    }

    /// The stream back, for the TLS upgrade. Refuses when the server sent
    /// more than the STARTTLS reply: such bytes would be taken as coming
    /// from inside TLS (the STARTTLS command-injection attack).
    pub fn into_stream(self) -> Result<S, Failure> {
        if !self.io.buffer().is_empty() {
            return Err(Failure::Temporary(
                "the server sent data after its STARTTLS reply; refusing to continue".into(),
            ));
        }
        Ok(self.io.into_inner())
    }

    /// Reads one (possibly multi-line) reply.
    pub async fn reply(&mut self) -> Result<Reply, Failure> {
        let mut lines = Vec::new();
        loop {
            let mut raw = Vec::new();
            (&mut self.io)
                .take(MAX_LINE)
                .read_until(b'\n', &mut raw)
                .await
                .map_err(|e| io_failure("reading the SMTP reply", e))?;
            if raw.is_empty() {
                return Err(Failure::Temporary(
                    "the SMTP server closed the connection".into(),
                ));
            }
            let line = String::from_utf8_lossy(&raw);
            let line = line.trim_end_matches(['\r', '\n']);
            let code = line
                .get(..3)
                .and_then(|c| c.parse::<u16>().ok())
                .filter(|c| (200..600).contains(c));
            let Some(code) = code else {
                return Err(Failure::Temporary(format!(
                    "not an SMTP reply: {:?}",
                    clip(line)
                )));
            };
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(clip(line.get(4..).unwrap_or("")));
            if !more {
                return Ok(Reply { code, lines });
            }
            if lines.len() >= MAX_LINES {
                return Err(Failure::Temporary("the SMTP reply is too long".into()));
            }
        }
    }

    /// Sends `bytes` as they are.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        let stream = self.io.get_mut();
        stream
            .write_all(bytes)
            .await
            .map_err(|e| io_failure("writing to the SMTP server", e))?;
        stream
            .flush()
            .await
            .map_err(|e| io_failure("writing to the SMTP server", e))
    }

    /// Sends `line` (CRLF added) and reads the reply. `shown` is what an
    /// error says was sent (never a credential).
    pub async fn command(&mut self, line: &str) -> Result<Reply, Failure> {
        self.write(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    /// Sends `line` and requires a reply code in `ok`.
    pub async fn expect(
        &mut self,
        line: &str,
        shown: &str,
        ok: &[u16],
        stage: Stage,
    ) -> Result<Reply, Failure> {
        let reply = self.command(line).await?;
        check(reply, shown, ok, stage)
    }
}

/// `reply` to `shown` classified: Ok when its code is in `ok`.
pub fn check(reply: Reply, shown: &str, ok: &[u16], stage: Stage) -> Result<Reply, Failure> {
    if ok.contains(&reply.code) {
        return Ok(reply);
    }
    let what = format!("{shown}: {} {}", reply.code, reply.text());
    match (reply.code, stage) {
        (500..=599, Stage::Message) => Err(Failure::Permanent {
            code: reply.code,
            reply: what,
        }),
        _ => Err(Failure::Temporary(what)),
    }
}

fn clip(text: &str) -> String {
    text.chars().take(200).collect()
}
