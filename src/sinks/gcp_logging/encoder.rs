//! Events → `LogEntry` JSON → `entries:write` request bodies. Pure.
//!
//! Mapping (SCHEMA "Outputs"): `jsonPayload` = the event; `timestamp` ←
//! `time`; `severity` ← `severity` upper-cased (`DEBUG` … `EMERGENCY`,
//! anything else `DEFAULT`); `insertId` ← `id` (the API drops an entry whose
//! `insertId` and `timestamp` it already holds, so a batch sent again after
//! a partial failure does not duplicate); `labels` ← `tenant` (`tenant.id`),
//! `project` (`project.id`), `action`, strings, each only when present.
//!
//! Limits: a `LogEntry` may be at most 256 KiB ([`MAX_ENTRY_BYTES`], measured
//! here as its JSON); a request at most 10 MB ([`MAX_REQUEST_BYTES`] keeps a
//! margin under the API's 10 MiB). A batch becomes as many requests as
//! needed, in order. An entry over the limit is **truncated, never
//! dropped**, in steps, until it fits:
//! 1. `raw` and `details` are removed from `jsonPayload`;
//! 2. only the required schema fields are kept (`schema_version`, `id`,
//!    `time`, `action`, `outcome`, `severity`, `actor.id`, `actor.type`,
//!    `agent`, `origin.kind`, `origin.format`, `ingest_time`);
//! 3. only `id` (its first 1,024 bytes) is kept.
//!
//! A truncated entry carries `jsonPayload.auditship_truncated =
//! {"original_bytes": N, "sha256": hex of the event's JSON, "step": 1|2|3}`
//! and the label `auditship_truncated = "true"`, so it can be found and
//! matched with the full event kept by a file sink or the journal.

use std::ops::Range;

use bytes::Bytes;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Largest `LogEntry`, as JSON bytes.
pub const MAX_ENTRY_BYTES: usize = 256 * 1024;
/// Largest request body sent (the API refuses above 10 MiB).
pub const MAX_REQUEST_BYTES: usize = 10_000_000;

/// The severities Cloud Logging knows, lower-case as in the schema.
const SEVERITIES: [&str; 8] = [
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

/// Fields kept at truncation step 2.
const REQUIRED_FIELDS: [&str; 8] = [
    "schema_version",
    "id",
    "time",
    "action",
    "outcome",
    "severity",
    "agent",
    "ingest_time",
];

/// One request body and the batch lines it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestBody {
    pub bytes: Bytes,
    /// Indices of its entries in the batch, in order (entry `i` of the
    /// request is line `lines.start + i`).
    pub lines: Range<usize>,
}

/// The request's fixed head: `{"logName":…,"resource":…,"partialSuccess":true,"entries":[`.
pub fn request_prefix(project_id: &str, log_id: &str, resource: &Value) -> Vec<u8> {
    let log_name = format!("projects/{project_id}/logs/{}", log_id.replace('/', "%2F"));
    let head = json!({"logName": log_name, "resource": resource, "partialSuccess": true});
    let mut text = head.to_string();
    text.pop(); // the closing brace
    text.push_str(",\"entries\":[");
    text.into_bytes()
}

/// Packs encoded entries into bodies of at most `max_bytes` each (an entry
/// alone always gets a body, whatever its size).
pub fn pack_requests(prefix: &[u8], entries: &[Vec<u8>], max_bytes: usize) -> Vec<RequestBody> {
    let mut bodies = Vec::new();
    let mut start = 0;
    while start < entries.len() {
        let mut size = prefix.len() + 2 + entries[start].len();
        let mut end = start + 1;
        while end < entries.len() && size + 1 + entries[end].len() <= max_bytes {
            size += 1 + entries[end].len();
            end += 1;
        }
        let mut body = Vec::with_capacity(size);
        body.extend_from_slice(prefix);
        for (i, entry) in entries[start..end].iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(entry);
        }
        body.extend_from_slice(b"]}");
        bodies.push(RequestBody {
            bytes: Bytes::from(body),
            lines: start..end,
        });
        start = end;
    }
    bodies
}

/// One event line → one `LogEntry` JSON, at most [`MAX_ENTRY_BYTES`].
pub fn encode_entry(line: &[u8]) -> Vec<u8> {
    let event: Map<String, Value> = match crate::json_bytes::from_json_bytes(line) {
        Ok(Value::Object(event)) => event,
        // Not an object (never written by the pipeline): kept as text.
        _ => {
            let text = String::from_utf8_lossy(line);
            let cut = cut_str(&text, MAX_ENTRY_BYTES / 2);
            return json!({"textPayload": cut, "severity": "DEFAULT"})
                .to_string()
                .into_bytes();
        }
    };
    // The event's own bytes are the payload: no re-serialization.
    let entry = log_entry(&event, line, None);
    if entry.len() <= MAX_ENTRY_BYTES {
        return entry;
    }
    let flag = |step: u8| {
        json!({
            "original_bytes": line.len(),
            "sha256": hex(&Sha256::digest(line)),
            "step": step,
        })
    };
    let mut payload = event.clone();
    payload.remove("raw");
    payload.remove("details");
    payload.insert("auditship_truncated".into(), flag(1));
    let entry = log_entry(&event, &to_bytes(payload), Some(()));
    if entry.len() <= MAX_ENTRY_BYTES {
        return entry;
    }
    let mut payload: Map<String, Value> = REQUIRED_FIELDS
        .iter()
        .filter_map(|k| event.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    for (object, keys) in [("actor", ["id", "type"]), ("origin", ["kind", "format"])] {
        let kept: Map<String, Value> = keys
            .iter()
            .filter_map(|k| {
                event
                    .get(object)?
                    .get(*k)
                    .map(|v| (k.to_string(), v.clone()))
            })
            .collect();
        payload.insert(object.into(), Value::Object(kept));
    }
    payload.insert("auditship_truncated".into(), flag(2));
    let entry = log_entry(&event, &to_bytes(payload), Some(()));
    if entry.len() <= MAX_ENTRY_BYTES {
        return entry;
    }
    let id = event.get("id").and_then(Value::as_str).unwrap_or_default();
    let payload = json!({"id": cut_str(id, 1024), "auditship_truncated": flag(3)});
    let mut small = event.clone();
    small.retain(|k, _| k == "time" || k == "severity");
    small.insert("id".into(), Value::String(cut_str(id, 1024).to_string()));
    log_entry(&small, payload.to_string().as_bytes(), Some(()))
}

fn to_bytes(payload: Map<String, Value>) -> Vec<u8> {
    Value::Object(payload).to_string().into_bytes()
}

/// The `LogEntry` of `event` with `payload` (a JSON object's bytes) as
/// `jsonPayload`.
fn log_entry(event: &Map<String, Value>, payload: &[u8], truncated: Option<()>) -> Vec<u8> {
    let text = |path: &[&str]| -> Option<&str> {
        let mut value = event.get(path[0])?;
        for key in &path[1..] {
            value = value.get(key)?;
        }
        value.as_str()
    };
    let mut entry = Map::new();
    if let Some(time) = text(&["time"]) {
        entry.insert("timestamp".into(), time.into());
    }
    let severity = text(&["severity"])
        .filter(|s| SEVERITIES.contains(s))
        .map_or("DEFAULT".to_string(), str::to_ascii_uppercase);
    entry.insert("severity".into(), severity.into());
    if let Some(id) = text(&["id"]) {
        entry.insert("insertId".into(), id.into());
    }
    let mut labels = Map::new();
    for (label, path) in [
        ("tenant", &["tenant", "id"][..]),
        ("project", &["project", "id"][..]),
        ("action", &["action"][..]),
    ] {
        if let Some(value) = text(path) {
            labels.insert(label.into(), value.into());
        }
    }
    if truncated.is_some() {
        labels.insert("auditship_truncated".into(), "true".into());
    }
    if !labels.is_empty() {
        entry.insert("labels".into(), Value::Object(labels));
    }
    let rest = Value::Object(entry).to_string();
    let mut bytes = Vec::with_capacity(payload.len() + rest.len() + 16);
    bytes.extend_from_slice(b"{\"jsonPayload\":");
    bytes.extend_from_slice(payload);
    if rest.len() > 2 {
        bytes.push(b',');
        bytes.extend_from_slice(&rest.as_bytes()[1..]);
    } else {
        bytes.push(b'}');
    }
    bytes
}

/// The longest prefix of `text` of at most `max` bytes, on a char boundary.
fn cut_str(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "encoder_tests.rs"]
mod tests;
