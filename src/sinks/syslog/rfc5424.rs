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

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::cef::{push_escaped, write_cef};
use super::fields::{EventFields, Field};
use crate::config::SyslogEncoding;

/// Fixed parts of every message of one sink.
#[derive(Debug, Clone)]
pub struct MessageFormat {
    pub facility: u8,
    pub encoding: SyslogEncoding,
    /// The SD-ID, `audit@<private enterprise number>`.
    pub sd_id: String,
}

type FieldOf = for<'e, 'a> fn(&'e EventFields<'a>) -> &'e Field<'a>;

/// Structured-data parameters: (name, the field in the event).
const SD_PARAMS: &[(&str, FieldOf)] = &[
    ("id", |e| &e.id),
    ("action", |e| &e.action),
    ("outcome", |e| &e.outcome),
    ("category", |e| &e.category),
    ("actor_id", |e| &e.actor.0.id),
    ("actor_name", |e| &e.actor.0.name),
    ("actor_type", |e| &e.actor.0.kind),
    ("source_ip", |e| &e.source.0.ip),
    ("resource_type", |e| &e.resource.0.kind),
    ("resource_id", |e| &e.resource.0.id),
    ("tenant", |e| &e.tenant.0.id),
    ("project", |e| &e.project.0.id),
    ("seq", |e| &e.agent.0.seq),
    ("chain", |e| &e.agent.0.chain),
];

/// The message for one event JSON line (no framing, no newline).
pub fn message(line: &[u8], format: &MessageFormat, now: DateTime<Utc>) -> Vec<u8> {
    let mut out = String::new();
    write_message(line, format, now, &mut out);
    out.into_bytes()
}

/// Appends the message for one event JSON line to `out` (a buffer the
/// caller reuses from event to event).
pub fn write_message(line: &[u8], format: &MessageFormat, now: DateTime<Utc>, out: &mut String) {
    if format.encoding != SyslogEncoding::Json {
        if let Some(fields) = EventFields::read(line) {
            return write_fields(&fields, None, format, now, out);
        }
    }
    // The whole event: JSON encoding sends it, and a line the typed read
    // refuses (not JSON, not an object, a repeated key) is read as
    // before.
    let event = match crate::json_bytes::from_json_bytes::<Value>(line) {
        Ok(Value::Object(event)) => event,
        _ => {
            let mut event = Map::new();
            let text = String::from_utf8_lossy(line).into_owned();
            event.insert("message".into(), Value::String(text));
            event
        }
    };
    write_fields(
        &EventFields::from_map(&event),
        Some(&event),
        format,
        now,
        out,
    );
}

/// `event` is the whole event, needed for the JSON encoding only.
fn write_fields(
    fields: &EventFields<'_>,
    event: Option<&Map<String, Value>>,
    format: &MessageFormat,
    now: DateTime<Utc>,
    out: &mut String,
) {
    let severity = syslog_severity(fields.severity.text());
    let pri = u16::from(format.facility) * 8 + u16::from(severity);
    let time = fields
        .time
        .text()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(now, |t| t.with_timezone(&Utc));
    let _ = write!(
        out,
        "<{pri}>1 {} ",
        time.to_rfc3339_opts(SecondsFormat::Micros, true)
    );
    push_header_field(out, fields.agent.0.host.text(), 255);
    out.push_str(" auditship - ");
    push_header_field(out, fields.action.text(), 32);
    out.push_str(" [");
    out.push_str(&format.sd_id);
    for (name, field) in SD_PARAMS {
        if let Some(value) = field(fields).scalar() {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            push_param_escaped(out, value);
            out.push('"');
        }
    }
    out.push_str("] ");
    let msg_start = out.len();
    match (format.encoding, event) {
        (SyslogEncoding::Json, Some(event)) => {
            out.push_str(&serde_json::to_string(event).unwrap_or_default());
        }
        (SyslogEncoding::Cef, _) => write_cef(fields, out),
        _ => match fields.message.text() {
            Some(message) => out.push_str(message),
            None => out.push_str(&fields.sentence()),
        },
    }
    if !out[msg_start..].is_ascii() {
        out.insert(msg_start, '\u{feff}');
    }
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
    push_param_escaped(&mut out, value);
    out
}

/// [`escape_param`] appending to `out`.
fn push_param_escaped(out: &mut String, value: &str) {
    push_escaped(out, value, |b| match b {
        b'"' => Some("\\\""),
        b'\\' => Some("\\\\"),
        b']' => Some("\\]"),
        _ => None,
    });
}

/// A header field: printable US-ASCII without spaces, at most `max`
/// characters; others become `_`, and an empty field is the NILVALUE `-`.
fn push_header_field(out: &mut String, value: Option<&str>, max: usize) {
    let start = out.len();
    out.extend(
        value
            .unwrap_or_default()
            .chars()
            .map(|c| if c.is_ascii_graphic() { c } else { '_' })
            .take(max),
    );
    if out.len() == start {
        out.push('-');
    }
}
