//! The common audit event (`SCHEMA.md`): who did what to which resource,
//! where, when, with what outcome — and everything else the source said.
//!
//! Owns the [`AuditEvent`] type, its JSON form (what the `file` and
//! `console` sinks write: absent optional fields are omitted, never `null`)
//! and its canonical encoding (RFC 8785 JCS), which the hash chain and
//! `auditship verify` rely on.
//!
//! Invariant: this module knows nothing of sources, formats or sinks. It
//! never does I/O.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the schema stamped on every event, so stores can migrate.
pub const SCHEMA_VERSION: &str = "1";

/// One normalized audit event. Field order here is the order of the JSON
/// form, which reads best for humans; the canonical form sorts keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub schema_version: String,
    /// Stable id: the source's own, or a deterministic hash of origin and
    /// position so that re-reading the same bytes yields the same id.
    pub id: String,
    /// When the action happened, UTC, nanoseconds kept.
    #[serde(with = "rfc3339")]
    pub time: DateTime<Utc>,
    /// Set when the source had no usable time and `time` is the ingest time.
    #[serde(default, skip_serializing_if = "is_false")]
    pub time_inferred: bool,
    /// Dotted lower-case verb: `release.deploy`, `user.login`.
    pub action: String,
    pub outcome: Outcome,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub actor: Actor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceEndpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusDetail>,
    /// Ids that tie events together (`git_commit_sha`, `request_id`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub correlation: BTreeMap<String, String>,
    /// Every source field not mapped above, unchanged.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
    /// The original record, when `keep_raw` is set or on parse failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    pub origin: Origin,
    pub agent: AgentInfo,
    #[serde(with = "rfc3339")]
    pub ingest_time: DateTime<Utc>,
    /// Only on quarantine events (and lossy UTF-8 decodes): why, and which
    /// parser gave up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_error: Option<ParseError>,
}

/// With what result the action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Blocked,
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Blocked => "blocked",
            Outcome::Unknown => "unknown",
        }
    }
}

/// Syslog severity levels, least to most severe (so `Ord` means "worse").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Debug => "debug",
            Severity::Info => "info",
            Severity::Notice => "notice",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
            Severity::Alert => "alert",
            Severity::Emergency => "emergency",
        }
    }

    /// Reads the usual spellings (`warn`, `ERR`, `crit`, syslog numbers 0–7).
    pub fn parse(text: &str) -> Option<Severity> {
        let t = text.trim().to_ascii_lowercase();
        Some(match t.as_str() {
            "debug" | "trace" | "7" => Severity::Debug,
            "info" | "informational" | "information" | "6" => Severity::Info,
            "notice" | "5" => Severity::Notice,
            "warning" | "warn" | "4" => Severity::Warning,
            "error" | "err" | "3" => Severity::Error,
            "critical" | "crit" | "fatal" | "2" => Severity::Critical,
            "alert" | "1" => Severity::Alert,
            "emergency" | "emerg" | "panic" | "0" => Severity::Emergency,
            _ => return None,
        })
    }

    /// The schema's default: `info`, `warning` for failure and blocked.
    pub fn default_for(outcome: Outcome) -> Severity {
        match outcome {
            Outcome::Failure | Outcome::Blocked => Severity::Warning,
            Outcome::Success | Outcome::Unknown => Severity::Info,
        }
    }
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(rename = "type")]
    pub kind: ActorType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The identity actually used when it differs (sudo, impersonation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<EffectiveIdentity>,
    /// Emergency access: always flagged, severity at least `critical`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<BreakGlass>,
}

impl Default for Actor {
    fn default() -> Self {
        Actor {
            id: None,
            name: None,
            email: None,
            kind: ActorType::Unknown,
            session_id: None,
            groups: Vec::new(),
            effective: None,
            break_glass: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorType {
    User,
    ServiceAccount,
    System,
    Unknown,
}

impl ActorType {
    /// Reads `user`, `service_account`, `serviceAccount`, `service-account`,
    /// `system`, `bot`…; anything else is `None`.
    pub fn parse(text: &str) -> Option<ActorType> {
        let t: String = text
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Some(match t.as_str() {
            "user" | "human" | "person" | "member" => ActorType::User,
            "serviceaccount" | "service" | "bot" | "apikey" | "token" | "machine" => {
                ActorType::ServiceAccount
            }
            "system" | "internal" | "scheduler" | "cron" => ActorType::System,
            "unknown" => ActorType::Unknown,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EffectiveIdentity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BreakGlass {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

/// Where the request came from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SourceEndpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// What was acted upon.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Resource {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `{id}` objects: `tenant`, `project`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdRef {
    pub id: String,
}

/// The source's own result detail (HTTP status, errno, `errorCode`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StatusDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// How the entry reached the agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    pub kind: OriginKind,
    /// Parser used: `json`, `auditd`, `raw`, …
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Byte offset of the record in its file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OriginKind {
    File,
    Unix,
    Syslog,
    Http,
    /// `auditship parse` reading stdin or a file once, outside the daemon.
    Stdin,
    /// Produced by the agent itself (`alert.fire`).
    Agent,
}

/// What the agent adds. `seq` is assigned by the journal at append time;
/// `chain` arrives with the tamper-evidence work and stays absent until then.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AgentInfo {
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
}

/// Why an entry could not be (fully) parsed. `raw` on the event then holds
/// the input (lossy UTF-8); `raw_base64` holds the exact bytes when they were
/// not valid UTF-8 or were cut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParseError {
    pub reason: String,
    pub parser: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_base64: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Formats a time as the schema writes it: RFC 3339, UTC (`Z`), with as
/// many fractional digits as needed (0, 3, 6 or 9) so precision is kept.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_time(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

impl AuditEvent {
    /// A minimal event for `origin`, ingested at `ingest_time`, with every
    /// required field at its "unknown" value. Formats fill in the rest.
    pub fn new(origin: Origin, host: &str, ingest_time: DateTime<Utc>) -> AuditEvent {
        AuditEvent {
            schema_version: SCHEMA_VERSION.to_string(),
            id: String::new(),
            time: ingest_time,
            time_inferred: true,
            action: "unknown".to_string(),
            outcome: Outcome::Unknown,
            severity: Severity::Info,
            category: None,
            message: None,
            actor: Actor::default(),
            source: None,
            resource: None,
            tenant: None,
            project: None,
            status: None,
            correlation: BTreeMap::new(),
            details: Map::new(),
            raw: None,
            origin,
            agent: AgentInfo {
                host: host.to_string(),
                seq: None,
                chain: None,
            },
            ingest_time,
            parse_error: None,
        }
    }

    /// True for quarantine events (the parser could not read the entry).
    pub fn is_quarantined(&self) -> bool {
        self.parse_error.is_some()
    }

    /// The JSON form written by the NDJSON outputs, one line without the
    /// trailing newline.
    pub fn to_json_line(&self, out: &mut Vec<u8>) {
        // Serializing a plain struct of strings, numbers and maps into a Vec
        // cannot fail.
        serde_json::to_writer(out, self).expect("an AuditEvent always serializes");
    }

    /// The canonical bytes (RFC 8785 JCS) of the event without
    /// `agent.chain`: what the hash chain covers.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut value = serde_json::to_value(self).expect("an AuditEvent always serializes");
        if let Some(agent) = value.get_mut("agent").and_then(Value::as_object_mut) {
            agent.remove("chain");
        }
        let mut out = Vec::with_capacity(512);
        write_canonical(&value, &mut out);
        out
    }
}

/// Writes `value` in the JSON Canonicalization Scheme (RFC 8785): object
/// keys sorted by UTF-16 code units, no insignificant white space, numbers
/// in their shortest round-trip form, strings with minimal escaping.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => write_canonical_number(n, out),
        Value::String(s) => write_canonical_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical_string(key, out);
                out.push(b':');
                write_canonical(&map[key], out);
            }
            out.push(b'}');
        }
    }
}

fn write_canonical_number(n: &serde_json::Number, out: &mut Vec<u8>) {
    if let Some(i) = n.as_i64() {
        out.extend_from_slice(i.to_string().as_bytes());
    } else if let Some(u) = n.as_u64() {
        out.extend_from_slice(u.to_string().as_bytes());
    } else if let Some(f) = n.as_f64() {
        out.extend_from_slice(format_es6_number(f).as_bytes());
    }
}

/// ECMAScript `Number.prototype.toString` for finite doubles, as JCS
/// requires: integers without a fraction, exponent form outside 1e-7..1e21.
fn format_es6_number(f: f64) -> String {
    if f == 0.0 {
        return "0".to_string();
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{}", f as i128);
    }
    let abs = f.abs();
    if (1e-7..1e21).contains(&abs) {
        // Rust's Display prints the shortest round-trip digits in plain form.
        return format!("{f}");
    }
    // Exponent form: shortest digits, `e+NN` / `e-NN`.
    let s = format!("{f:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp >= 0 {
        format!("{mantissa}e+{exp}")
    } else {
        format!("{mantissa}e{exp}")
    }
}

fn write_canonical_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{08}' => out.extend_from_slice(b"\\b"),
            '\u{0c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn sample() -> AuditEvent {
        let t = Utc.with_ymd_and_hms(2026, 3, 27, 10, 30, 15).unwrap();
        let mut e = AuditEvent::new(
            Origin {
                kind: OriginKind::File,
                format: "json".into(),
                path: Some("/var/log/app/audit.log".into()),
                offset: Some(0),
                peer: None,
            },
            "host-1",
            t,
        );
        e.id = "ev-1".into();
        e.action = "release.deploy".into();
        e
    }

    #[test]
    fn json_form_omits_absent_fields_instead_of_writing_null() {
        let mut out = Vec::new();
        sample().to_json_line(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("null"), "{text}");
        assert!(!text.contains("\"message\""), "{text}");
        assert!(text.contains("\"time\":\"2026-03-27T10:30:15Z\""), "{text}");
        assert!(text.contains("\"actor\":{\"type\":\"unknown\"}"), "{text}");
    }

    #[test]
    fn json_form_round_trips() {
        let mut e = sample();
        e.time = Utc.timestamp_opt(1_774_607_415, 123_456_789).unwrap();
        e.correlation.insert("git_commit_sha".into(), "abc".into());
        e.details.insert("k".into(), json!({"nested": [1, 2]}));
        let mut out = Vec::new();
        e.to_json_line(&mut out);
        let back: AuditEvent = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, e);
        assert!(String::from_utf8(out).unwrap().contains(".123456789Z"));
    }

    #[test]
    fn canonical_bytes_sort_keys_and_drop_the_chain_link() {
        let mut e = sample();
        e.agent.seq = Some(7);
        e.agent.chain = Some("ff".into());
        let bytes = String::from_utf8(e.canonical_bytes()).unwrap();
        assert!(!bytes.contains("chain"));
        assert!(
            bytes.starts_with("{\"action\":\"release.deploy\",\"actor\":"),
            "{bytes}"
        );
        assert!(!bytes.contains(' '));
    }

    #[test]
    #[allow(clippy::excessive_precision)] // the RFC's literal, on purpose
    fn canonical_encoding_follows_rfc8785_examples() {
        // From RFC 8785 §3.2.2: numbers and string escapes.
        let v = json!({"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
                       "string": "\u{20ac}$\u{000F}\u{000a}A'\u{42}\u{0022}\u{005c}\\\"/",
                       "literals": [null, true, false]});
        let mut out = Vec::new();
        write_canonical(&v, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn canonical_keys_sort_by_utf16_code_units() {
        // RFC 8785 §3.2.3 ordering example (subset).
        let v = json!({"\u{20ac}": "Euro Sign", "\r": "Carriage Return", "1": "One",
                       "\u{1f600}": "Emoji", "\u{0080}": "Control", "\u{00f6}": "Latin Small Letter O With Diaeresis"});
        let mut out = Vec::new();
        write_canonical(&v, &mut out);
        let s = String::from_utf8(out).unwrap();
        let order: Vec<usize> = [
            "\\r",
            "\"1\"",
            "\u{0080}",
            "\u{00f6}",
            "\u{20ac}",
            "\u{1f600}",
        ]
        .iter()
        .map(|k| s.find(k).unwrap())
        .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "{s}");
    }

    #[test]
    fn severity_words_and_numbers_parse() {
        assert_eq!(Severity::parse("WARN"), Some(Severity::Warning));
        assert_eq!(Severity::parse("3"), Some(Severity::Error));
        assert_eq!(Severity::parse("loud"), None);
        assert!(Severity::Critical > Severity::Warning);
    }

    #[test]
    fn actor_type_accepts_common_spellings() {
        assert_eq!(
            ActorType::parse("serviceAccount"),
            Some(ActorType::ServiceAccount)
        );
        assert_eq!(
            ActorType::parse("service_account"),
            Some(ActorType::ServiceAccount)
        );
        assert_eq!(ActorType::parse("System"), Some(ActorType::System));
        assert_eq!(ActorType::parse("robot-overlord"), None);
    }
}
