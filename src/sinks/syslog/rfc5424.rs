//! One event → one RFC 5424 syslog message. Pure.
//!
//! `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`:
//!
//! - PRI = facility × 8 + severity (the schema's severities are syslog's);
//! - TIMESTAMP = the event's time in UTC, at most 6 fractional digits
//!   (RFC 5424 §6.2.3.1);
//! - HOSTNAME = `agent.host`, APP-NAME = `auditship`, PROCID = `-`,
//!   MSGID = the action (printable US-ASCII, at most 32 characters);
//! - structured data `[audit@PEN key="value" …]` with the schema's key
//!   fields; values escape `"`, `\` and `]` with a backslash (§6.3.3);
//! - MSG by `encoding`: `rfc5424` the event's message (or the generated
//!   sentence), `cef` the CEF line, `json` the event's JSON. MSG is UTF-8
//!   and starts with the BOM only when it is not ASCII, as §6.4 allows.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::cef::cef_line;
use crate::config::SyslogEncoding;
use crate::sinks::event_text::{scalar, sentence, text};

/// Fixed parts of every message of one sink.
#[derive(Debug, Clone)]
pub struct MessageFormat {
    pub facility: u8,
    pub encoding: SyslogEncoding,
    /// The SD-ID, `audit@<private enterprise number>`.
    pub sd_id: String,
}

/// Structured-data parameters: (name, path in the event).
const SD_PARAMS: &[(&str, &[&str])] = &[
    ("id", &["id"]),
    ("action", &["action"]),
    ("outcome", &["outcome"]),
    ("category", &["category"]),
    ("actor_id", &["actor", "id"]),
    ("actor_name", &["actor", "name"]),
    ("actor_type", &["actor", "type"]),
    ("source_ip", &["source", "ip"]),
    ("resource_type", &["resource", "type"]),
    ("resource_id", &["resource", "id"]),
    ("tenant", &["tenant", "id"]),
    ("project", &["project", "id"]),
    ("seq", &["agent", "seq"]),
    ("chain", &["agent", "chain"]),
];

/// The message for one event JSON line (no framing, no newline).
pub fn message(line: &[u8], format: &MessageFormat, now: DateTime<Utc>) -> Vec<u8> {
    let event = match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(event)) => event,
        _ => {
            let mut event = Map::new();
            let text = String::from_utf8_lossy(line).into_owned();
            event.insert("message".into(), Value::String(text));
            event
        }
    };
    let severity = syslog_severity(text(&event, &["severity"]).as_deref());
    let pri = u16::from(format.facility) * 8 + u16::from(severity);
    let time = text(&event, &["time"])
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map_or(now, |t| t.with_timezone(&Utc));
    let host = header_field(text(&event, &["agent", "host"]).as_deref(), 255);
    let msgid = header_field(text(&event, &["action"]).as_deref(), 32);
    let mut out = format!(
        "<{pri}>1 {} {host} auditship - {msgid} [{}",
        time.to_rfc3339_opts(SecondsFormat::Micros, true),
        format.sd_id
    );
    for (name, path) in SD_PARAMS {
        if let Some(value) = scalar(&event, path) {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            out.push_str(&escape_param(&value));
            out.push('"');
        }
    }
    out.push_str("] ");
    let msg = match format.encoding {
        SyslogEncoding::Rfc5424 => text(&event, &["message"]).unwrap_or_else(|| sentence(&event)),
        SyslogEncoding::Cef => cef_line(&event),
        SyslogEncoding::Json => Value::Object(event).to_string(),
    };
    let mut bytes = out.into_bytes();
    if !msg.is_ascii() {
        bytes.extend_from_slice("\u{feff}".as_bytes());
    }
    bytes.extend_from_slice(msg.as_bytes());
    bytes
}

/// Syslog severity number (RFC 5424 table 2) of a schema severity.
pub fn syslog_severity(severity: Option<&str>) -> u8 {
    match severity {
        Some("emergency") => 0,
        Some("alert") => 1,
        Some("critical") => 2,
        Some("error") => 3,
        Some("warning") => 4,
        Some("notice") => 5,
        Some("debug") => 7,
        _ => 6,
    }
}

/// PARAM-VALUE escaping: `"`, `\` and `]` get a backslash.
pub fn escape_param(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A header field: printable US-ASCII without spaces, at most `max`
/// characters; others become `_`, and an empty field is the NILVALUE `-`.
fn header_field(value: Option<&str>, max: usize) -> String {
    let field: String = value
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .take(max)
        .collect();
    if field.is_empty() {
        "-".into()
    } else {
        field
    }
}
