//! The typed `syslog` sink configuration.

use std::time::Duration;

pub use super::socket_types::SyslogProtocol;
use super::types::TlsConfig;

/// `type = "syslog"`: RFC 5424 messages to a SIEM or relay.
#[derive(Debug, Clone, PartialEq)]
pub struct SyslogSinkConfig {
    /// `host:port` of the receiver.
    pub address: String,
    pub protocol: SyslogProtocol,
    /// Stream framing (RFC 6587); ignored for UDP.
    pub framing: SyslogFraming,
    pub encoding: SyslogEncoding,
    /// Syslog facility number, 0–23.
    pub facility: u8,
    /// IANA private enterprise number in the SD-ID `audit@N`.
    pub enterprise_number: u32,
    /// Largest UDP message; longer ones are cut (streams never cut).
    pub max_message_bytes: usize,
    /// Longest wait to connect or to write one batch.
    pub request_timeout: Duration,
    pub tls: TlsConfig,
}

/// How messages are delimited on a stream (RFC 6587).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyslogFraming {
    /// `LEN SP MSG`: any byte may appear in a message.
    OctetCounting,
    /// `MSG LF`: for receivers that only split lines.
    Newline,
}

/// What the MSG part of each message holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyslogEncoding {
    /// The event's message (or a generated sentence), key fields as
    /// structured data.
    Rfc5424,
    /// An ArcSight CEF line.
    Cef,
    /// The event as JSON.
    Json,
}

/// Facility names accepted in configuration, with their numbers.
pub const SYSLOG_FACILITIES: &[(&str, u8)] = &[
    ("kern", 0),
    ("user", 1),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("authpriv", 10),
    ("log_audit", 13),
    ("log_alert", 14),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];
