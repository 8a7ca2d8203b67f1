//! One event → one ArcSight Common Event Format (CEF) line. Pure.
//!
//! `CEF:0|auditship|auditship|VERSION|SIGNATURE|NAME|SEVERITY|EXTENSION`:
//! SIGNATURE is the action, NAME the message (or the generated sentence),
//! SEVERITY 0–10 from the event's severity. Escaping per the CEF
//! specification: in header fields `\` → `\\` and `|` → `\|` (line breaks,
//! not allowed there, become spaces); in extension values `\` → `\\`,
//! `=` → `\=`, line feed → `\n`, carriage return → `\r`.
//!
//! | extension key | from |
//! | --- | --- |
//! | `rt` | `time`, epoch milliseconds |
//! | `externalId` | `id` |
//! | `act`, `outcome`, `cat` | `action`, `outcome`, `category` |
//! | `suser`, `suid` | `actor.name` (else id), `actor.id` |
//! | `src`, `spt`, `requestClientApplication` | `source.ip`, `.port`, `.user_agent` |
//! | `dvchost` | `agent.host` |
//! | `msg` | `message` |
//! | `cs1` (`tenant`), `cs2` (`project`), `cs3` (`resource`), `cs4` (`actorType`), `cs5` (`chain`) | `tenant.id`, `project.id`, `resource.type:id`, `actor.type`, `agent.chain` |
//! | `cn1` (`seq`) | `agent.seq` |

use chrono::DateTime;
use serde_json::{Map, Value};

use crate::sinks::event_text::{scalar, sentence, text};

/// The CEF line of one event (no trailing newline).
pub fn cef_line(event: &Map<String, Value>) -> String {
    let action = text(event, &["action"]).unwrap_or_else(|| "unknown".into());
    let name = text(event, &["message"]).unwrap_or_else(|| sentence(event));
    let severity = cef_severity(text(event, &["severity"]).as_deref());
    let mut line = format!(
        "CEF:0|auditship|auditship|{}|{}|{}|{}|",
        env!("CARGO_PKG_VERSION"),
        escape_header(&action),
        escape_header(&name),
        severity
    );
    let mut ext = Extension {
        line: &mut line,
        first: true,
    };
    if let Some(time) = text(event, &["time"]).and_then(|t| DateTime::parse_from_rfc3339(&t).ok()) {
        ext.add("rt", &time.timestamp_millis().to_string());
    }
    ext.add_opt("externalId", text(event, &["id"]));
    ext.add("act", &action);
    ext.add_opt("outcome", text(event, &["outcome"]));
    ext.add_opt("cat", text(event, &["category"]));
    let user = text(event, &["actor", "name"]).or_else(|| text(event, &["actor", "id"]));
    ext.add_opt("suser", user);
    ext.add_opt("suid", text(event, &["actor", "id"]));
    ext.add_opt("src", text(event, &["source", "ip"]));
    ext.add_opt("spt", scalar(event, &["source", "port"]));
    ext.add_opt(
        "requestClientApplication",
        text(event, &["source", "user_agent"]),
    );
    ext.add_opt("dvchost", text(event, &["agent", "host"]));
    ext.add_opt("msg", text(event, &["message"]));
    let resource = match (
        text(event, &["resource", "type"]),
        text(event, &["resource", "id"]),
    ) {
        (Some(kind), Some(id)) => Some(format!("{kind}:{id}")),
        (kind, id) => kind.or(id),
    };
    let labelled = [
        ("cs1", "tenant", text(event, &["tenant", "id"])),
        ("cs2", "project", text(event, &["project", "id"])),
        ("cs3", "resource", resource),
        ("cs4", "actorType", text(event, &["actor", "type"])),
        ("cs5", "chain", text(event, &["agent", "chain"])),
        ("cn1", "seq", scalar(event, &["agent", "seq"])),
    ];
    for (key, label, value) in labelled {
        if let Some(value) = value {
            ext.add(&format!("{key}Label"), label);
            ext.add(key, &value);
        }
    }
    line
}

/// CEF severity 0–10 from the schema's syslog-level names.
pub fn cef_severity(severity: Option<&str>) -> u8 {
    match severity {
        Some("debug") => 1,
        Some("notice") => 4,
        Some("warning") => 6,
        Some("error") => 7,
        Some("critical") => 8,
        Some("alert") => 9,
        Some("emergency") => 10,
        _ => 3, // info and anything unknown
    }
}

/// Appends ` key=value` pairs, space separated, values escaped.
struct Extension<'a> {
    line: &'a mut String,
    /// No pair written yet (no separating space before it).
    first: bool,
}

impl Extension<'_> {
    fn add(&mut self, key: &str, value: &str) {
        if !std::mem::take(&mut self.first) {
            self.line.push(' ');
        }
        self.line.push_str(key);
        self.line.push('=');
        self.line.push_str(&escape_extension(value));
    }

    fn add_opt(&mut self, key: &str, value: Option<String>) {
        if let Some(value) = value {
            self.add(key, &value);
        }
    }
}

/// Header field escaping: `\` and `|`; line breaks become spaces.
pub fn escape_header(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Extension value escaping: `\`, `=`, line feed, carriage return.
pub fn escape_extension(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '=' => out.push_str("\\="),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}
