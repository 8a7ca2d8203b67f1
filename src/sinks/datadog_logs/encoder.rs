//! One event's JSON line → one Datadog log (an `HTTPLogItem` of the v2
//! intake). Pure: no I/O; the clock is passed in.
//!
//! | Datadog | from |
//! | --- | --- |
//! | `message` | the event's `message`, else "ACTOR ACTION RESOURCE: OUTCOME" |
//! | `status` | `severity` (the syslog names Datadog's status remapper reads) |
//! | `service` | the sink's `service`, when set |
//! | `ddsource` | `"auditship"` |
//! | `ddtags` | the sink's `tags`, then `outcome:…`, `category:…`, `late:true`, `truncated:true` |
//! | `hostname` | `agent.host` |
//! | `timestamp` | `time` in epoch milliseconds (the send time for late events, see below) |
//! | `usr.id` / `usr.name` / `usr.email` | `actor.id` / `actor.name` / `actor.email` |
//! | `network.client.ip` / `.port` | `source.ip` / `source.port` |
//! | `http.useragent` | `source.user_agent` |
//! | `evt.name` / `evt.outcome` | `action` / `outcome` |
//!
//! Every other event field is kept as an attribute of the same name, except
//! those whose names Datadog reserves for something else: the event's
//! `source` and `status` objects move to `audit.source` and `audit.status`.
//!
//! **Late events.** Datadog accepts timestamps at most 18 hours old. An
//! event older than [`LATE_AFTER`] (18 h less a 10-minute margin for clock
//! skew and transit) is sent with `timestamp` = now, its own time kept in
//! `audit.original_time` (and `time`), and the tag `late:true`. Never dropped.
//!
//! **Oversized events.** A log over [`MAX_LOG_BYTES`] (Datadog's 1 MB per
//! log) is cut here rather than left to Datadog: every string longer than a
//! budget is cut to it and ends in `…[truncated]`, the budget halving until
//! the log fits; if many small values still do not fit, the attributes are
//! replaced by `audit.event_prefix`, the start of the event's JSON as text.
//! Reserved and standard attributes are kept. Either way the log carries
//! `audit.truncated: true`, `audit.original_bytes` and the tag
//! `truncated:true`. Never dropped.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

pub use crate::sinks::event_text::sentence;
use crate::sinks::event_text::text;

/// Datadog's limit for one log, as an upper bound (1 MB, decimal).
pub const MAX_LOG_BYTES: usize = 1_000_000;
/// Older events are "late" (Datadog's window is 18 h; 10 min margin).
pub const LATE_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(18 * 60 - 10);
/// The `ddsource` of every log.
pub const DDSOURCE: &str = "auditship";
const CUT_MARK: &str = "…[truncated]";

/// What does not change between events: from the sink's configuration.
#[derive(Debug, Clone, Default)]
pub struct EncodeContext {
    pub service: Option<String>,
    /// The configured tags, in order.
    pub tags: Vec<String>,
}

/// One encoded log.
#[derive(Debug, Clone)]
pub struct EncodedLog {
    /// The log's JSON, at most [`MAX_LOG_BYTES`].
    pub bytes: Vec<u8>,
    /// `agent.seq` of the event, when readable.
    pub seq: Option<u64>,
    pub late: bool,
    pub truncated: bool,
}

/// Maps one event line. Total: a line that is not a JSON object (never
/// written by auditship) is sent with the line as its `message`.
pub fn encode_log(line: &[u8], context: &EncodeContext, now: DateTime<Utc>) -> EncodedLog {
    let mut event = match crate::json_bytes::from_json_bytes::<Value>(line) {
        Ok(Value::Object(event)) => event,
        _ => {
            let mut event = Map::new();
            event.insert(
                "message".into(),
                Value::String(String::from_utf8_lossy(line).into_owned()),
            );
            event
        }
    };
    let seq = event
        .get("agent")
        .and_then(|a| a.get("seq"))
        .and_then(Value::as_u64);
    let time = text(&event, &["time"])
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc));
    let late = time.is_some_and(|t| now.signed_duration_since(t) > LATE_AFTER);
    let timestamp = match time {
        Some(t) if !late => t.timestamp_millis(),
        _ => now.timestamp_millis(),
    };

    let mut log = Map::new();
    let message = text(&event, &["message"]).unwrap_or_else(|| sentence(&event));
    log.insert("message".into(), Value::String(message));
    let status = text(&event, &["severity"]).unwrap_or_else(|| "info".into());
    log.insert("status".into(), Value::String(status));
    if let Some(service) = &context.service {
        log.insert("service".into(), Value::String(service.clone()));
    }
    log.insert("ddsource".into(), Value::String(DDSOURCE.into()));
    if let Some(host) = text(&event, &["agent", "host"]) {
        log.insert("hostname".into(), Value::String(host));
    }
    log.insert("timestamp".into(), json!(timestamp));
    standard_attributes(&event, &mut log);

    let mut audit = Map::new();
    for moved in ["source", "status"] {
        if let Some(value) = event.remove(moved) {
            audit.insert(moved.into(), value);
        }
    }
    if late {
        if let Some(t) = event.get("time") {
            audit.insert("original_time".into(), t.clone());
        }
    }
    event.remove("message");
    let mut attributes = event;
    if !audit.is_empty() {
        attributes.insert("audit".into(), Value::Object(audit));
    }

    let tags = tags(context, &attributes, late);
    // The mapping repeats some fields (sentence, usr, evt…): at most four
    // times the line, so only big lines pay for keeping a copy to cut.
    let (encoded, truncated) = if line.len() < MAX_LOG_BYTES / 5 {
        (finish(log, attributes, &tags), false)
    } else {
        let encoded = finish(log.clone(), attributes.clone(), &tags);
        if encoded.len() > MAX_LOG_BYTES {
            (truncate(log, attributes, &tags, encoded.len()), true)
        } else {
            (encoded, false)
        }
    };
    EncodedLog {
        bytes: encoded,
        seq,
        late,
        truncated,
    }
}

/// `ddtags`: configured tags first, then auditship's.
fn tags(context: &EncodeContext, event: &Map<String, Value>, late: bool) -> Vec<String> {
    let mut tags = context.tags.clone();
    if let Some(outcome) = text(event, &["outcome"]) {
        tags.push(format!("outcome:{}", tag_value(&outcome)));
    }
    if let Some(category) = text(event, &["category"]) {
        tags.push(format!("category:{}", tag_value(&category)));
    }
    if late {
        tags.push("late:true".into());
    }
    tags
}

/// A value safe inside `ddtags`: no comma, at most 200 characters.
fn tag_value(value: &str) -> String {
    value.replace(',', "_").chars().take(190).collect()
}

fn finish(mut log: Map<String, Value>, attributes: Map<String, Value>, tags: &[String]) -> Vec<u8> {
    log.insert("ddtags".into(), Value::String(tags.join(",")));
    for (key, value) in attributes {
        // Reserved and standard attributes set above win.
        log.entry(key).or_insert(value);
    }
    serde_json::to_vec(&Value::Object(log)).unwrap_or_default()
}

/// See the module doc: cut long strings, halving the budget; last resort,
/// the attributes become a text prefix of themselves.
fn truncate(
    log: Map<String, Value>,
    attributes: Map<String, Value>,
    tags: &[String],
    original_bytes: usize,
) -> Vec<u8> {
    let mut tags = tags.to_vec();
    tags.push("truncated:true".into());
    let flag = |attributes: &mut Map<String, Value>| {
        let audit = attributes
            .entry("audit")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(audit) = audit {
            audit.insert("truncated".into(), Value::Bool(true));
            audit.insert("original_bytes".into(), json!(original_bytes));
        }
    };
    let mut budget = MAX_LOG_BYTES / 2;
    while budget >= 1024 {
        let mut log = log.clone();
        let mut attributes = attributes.clone();
        cut_strings(&mut log, budget);
        cut_strings(&mut attributes, budget);
        flag(&mut attributes);
        let encoded = finish(log, attributes, &tags);
        if encoded.len() <= MAX_LOG_BYTES {
            return encoded;
        }
        budget /= 2;
    }
    let whole = serde_json::to_string(&attributes).unwrap_or_default();
    let mut kept = Map::new();
    for key in [
        "id", "time", "action", "outcome", "severity", "actor", "agent",
    ] {
        if let Some(value) = attributes.get(key) {
            kept.insert(key.into(), value.clone());
        }
    }
    cut_strings(&mut kept, 1024);
    let mut log = log;
    cut_strings(&mut log, 4096);
    let mut prefix = cut(&whole, MAX_LOG_BYTES / 2).to_string();
    prefix.push_str(CUT_MARK);
    flag(&mut kept);
    if let Some(Value::Object(audit)) = kept.get_mut("audit") {
        audit.insert("event_prefix".into(), Value::String(prefix));
    }
    finish(log, kept, &tags)
}

fn cut_strings(map: &mut Map<String, Value>, budget: usize) {
    for value in map.values_mut() {
        cut_value(value, budget);
    }
}

fn cut_value(value: &mut Value, budget: usize) {
    match value {
        Value::String(s) if s.len() > budget => {
            let mut kept = cut(s, budget).to_string();
            kept.push_str(CUT_MARK);
            *s = kept;
        }
        Value::Array(items) => items.iter_mut().for_each(|v| cut_value(v, budget)),
        Value::Object(map) => cut_strings(map, budget),
        _ => {}
    }
}

/// The longest prefix of `s` of at most `max` bytes ending on a char boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `usr.*`, `network.client.*`, `http.useragent`, `evt.*`.
fn standard_attributes(event: &Map<String, Value>, log: &mut Map<String, Value>) {
    let mut usr = Map::new();
    for (from, to) in [("id", "id"), ("name", "name"), ("email", "email")] {
        if let Some(value) = text(event, &["actor", from]) {
            usr.insert(to.into(), Value::String(value));
        }
    }
    if !usr.is_empty() {
        log.insert("usr".into(), Value::Object(usr));
    }
    let mut client = Map::new();
    if let Some(ip) = text(event, &["source", "ip"]) {
        client.insert("ip".into(), Value::String(ip));
    }
    if let Some(port) = event
        .get("source")
        .and_then(|s| s.get("port"))
        .filter(|p| p.is_number())
    {
        client.insert("port".into(), port.clone());
    }
    if !client.is_empty() {
        log.insert("network".into(), json!({ "client": client }));
    }
    if let Some(agent) = text(event, &["source", "user_agent"]) {
        log.insert("http".into(), json!({ "useragent": agent }));
    }
    let mut evt = Map::new();
    if let Some(action) = text(event, &["action"]) {
        evt.insert("name".into(), Value::String(action));
    }
    if let Some(outcome) = text(event, &["outcome"]) {
        evt.insert("outcome".into(), Value::String(outcome));
    }
    if !evt.is_empty() {
        log.insert("evt".into(), Value::Object(evt));
    }
}
