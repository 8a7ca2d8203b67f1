//! `syslog` sink: RFC 5424 messages to a SIEM or relay over TCP (RFC
//! 6587), TLS (RFC 5425) or UDP (RFC 5426), with the MSG part in plain
//! text, CEF or JSON (QRadar, ArcSight, Sentinel, Wazuh, rsyslog…).
//!
//! One role per file: `fields` reads what a message needs from an event
//! line, `rfc5424` builds a message, `cef` the CEF line,
//! `transport` the connection and framing, `sink` one batch's delivery.

pub mod cef;
mod fields;
pub mod rfc5424;
mod sink;
pub mod transport;

pub use sink::SyslogSink;

#[cfg(test)]
mod roundtrip_tests;
#[cfg(test)]
mod tests;
