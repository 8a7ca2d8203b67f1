//! Sends one batch to a syslog receiver and says what became of it.
//!
//! Every failure is retryable (connect, handshake, write, timeout): a
//! syslog receiver has no way to refuse one message, so nothing is
//! dead-lettered. The connection is kept between batches and dropped on
//! any error; the next attempt reconnects.
//!
//! UDP datagrams over `max_message_bytes` are cut to fit (RFC 5426 §3.2:
//! receivers need only accept 480 bytes over IPv4 and should accept 2048),
//! counted and reported once a minute; stream transports never cut.

use std::time::{Duration, Instant};

use chrono::Utc;

use super::rfc5424::{write_message, MessageFormat};
use super::transport::{Connection, Frames, TlsSetup};
use crate::config::{SyslogFraming, SyslogProtocol, SyslogSinkConfig};
use crate::sinks::http::client::client_tls_config;
use crate::sinks::{DeliveryError, SinkError};

/// A running `syslog` sink.
pub struct SyslogSink {
    address: String,
    protocol: SyslogProtocol,
    framing: SyslogFraming,
    format: MessageFormat,
    tls: Option<TlsSetup>,
    max_message_bytes: usize,
    timeout: Duration,
    connection: Option<Connection>,
    truncated: u64,
    last_truncation_report: Option<Instant>,
}

impl std::fmt::Debug for SyslogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyslogSink")
            .field("address", &self.address)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl SyslogSink {
    /// Reads the TLS files and system roots once; connects at first send.
    pub fn new(config: &SyslogSinkConfig) -> Result<SyslogSink, SinkError> {
        let tls = match config.protocol {
            SyslogProtocol::Tls => {
                let host = config
                    .tls
                    .server_name
                    .clone()
                    .unwrap_or_else(|| host_of(&config.address).to_string());
                let server_name = rustls_pki_types::ServerName::try_from(host.clone())
                    .map_err(|_| SinkError::Tls {
                        reason: format!("\"{host}\" is not a DNS name or IP address to verify the receiver's certificate against; set tls.server_name"),
                    })?;
                Some(TlsSetup {
                    config: std::sync::Arc::new(client_tls_config(&config.tls, true, &host)?),
                    server_name,
                })
            }
            _ => None,
        };
        Ok(SyslogSink {
            address: config.address.clone(),
            protocol: config.protocol,
            framing: config.framing,
            format: MessageFormat {
                facility: config.facility,
                encoding: config.encoding,
                sd_id: format!("audit@{}", config.enterprise_number),
            },
            tls,
            max_message_bytes: config.max_message_bytes,
            timeout: config.request_timeout,
            connection: None,
            truncated: 0,
            last_truncation_report: None,
        })
    }

    /// Sends one batch; Ok once every byte is written and flushed (stream)
    /// or every datagram sent (UDP).
    pub async fn send(&mut self, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let now = Utc::now();
        // The whole batch in one buffer: one write (and a few full TLS
        // records) per batch instead of a buffer per message.
        let input: usize = lines.iter().map(|line| line.len()).sum();
        let mut frames = Frames::with_capacity(input + input / 4, lines.len());
        let mut message = String::new();
        for line in lines {
            message.clear();
            write_message(line, &self.format, now, &mut message);
            let mut bytes = message.as_bytes();
            if self.protocol == SyslogProtocol::Udp && bytes.len() > self.max_message_bytes {
                bytes = &bytes[..char_boundary_at_most(bytes, self.max_message_bytes)];
                self.truncated += 1;
            }
            frames.push(bytes, self.protocol, self.framing);
        }
        self.report_truncations();
        if let Some(connection) = &self.connection {
            if connection.peer_closed().await {
                tracing::info!(address = %self.address, "The syslog receiver closed the connection; reconnecting.");
                self.connection = None;
            }
        }
        let mut connection = match self.connection.take() {
            Some(connection) => connection,
            None => Connection::open(
                &self.address,
                self.protocol,
                self.tls.as_ref(),
                self.timeout,
            )
            .await
            .map_err(|error| retryable(format!("cannot connect to {}: {error}", self.address)))?,
        };
        match tokio::time::timeout(self.timeout, connection.send(&frames)).await {
            Ok(Ok(())) => {
                self.connection = Some(connection);
                Ok(())
            }
            Ok(Err(error)) => Err(retryable(format!(
                "writing to {} failed: {error}",
                self.address
            ))),
            Err(_) => Err(retryable(format!(
                "writing to {} did not finish within request_timeout",
                self.address
            ))),
        }
    }

    /// Closes the connection (on shutdown).
    pub async fn close(&mut self) {
        if let Some(connection) = self.connection.take() {
            connection.close().await;
        }
    }

    fn report_truncations(&mut self) {
        let due = self.truncated > 0
            && self
                .last_truncation_report
                .is_none_or(|at| at.elapsed() >= Duration::from_secs(60));
        if due {
            tracing::warn!(
                messages = self.truncated,
                max_message_bytes = self.max_message_bytes,
                "Syslog messages over max_message_bytes were cut to fit one UDP datagram; use protocol = \"tcp\" or \"tls\" to send them whole."
            );
            self.truncated = 0;
            self.last_truncation_report = Some(Instant::now());
        }
    }
}

fn retryable(reason: String) -> DeliveryError {
    DeliveryError::Retryable {
        reason,
        retry_after: None,
    }
}

/// The host part of `host:port` or `[v6]:port`.
fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// The longest prefix of `bytes` (UTF-8 text) of at most `max` bytes that
/// does not split a character.
fn char_boundary_at_most(bytes: &[u8], max: usize) -> usize {
    let mut cut = max.min(bytes.len());
    while cut > 0 && cut < bytes.len() && (bytes[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    cut
}
