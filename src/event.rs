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

mod canonical;
mod canonical_text;
pub use canonical::AgentSlots;
pub use canonical_text::write_canonical;
pub(crate) use canonical_text::{for_each_in_canonical_order, write_canonical_string, write_u64};

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the schema stamped on every event, so stores can migrate.
pub const SCHEMA_VERSION: &str = "1";

/// Media type of events in this schema's JSON form, one a line, as one agent
/// forwards them to another (`http` sink `encoding = "auditship"` → `http`
/// source): the receiver keeps them as they are instead of parsing them as
/// application JSON.
pub const AUDITSHIP_NDJSON: &str = "application/vnd.auditship+x-ndjson";

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
        // Folded on the stack: this runs for entries' severity fields.
        let mut folded = [0u8; 16];
        let t = ascii_folded(text.trim().bytes(), &mut folded)?;
        Some(match t {
            b"debug" | b"trace" | b"7" => Severity::Debug,
            b"info" | b"informational" | b"information" | b"6" => Severity::Info,
            b"notice" | b"5" => Severity::Notice,
            b"warning" | b"warn" | b"4" => Severity::Warning,
            b"error" | b"err" | b"3" => Severity::Error,
            b"critical" | b"crit" | b"fatal" | b"2" => Severity::Critical,
            b"alert" | b"1" => Severity::Alert,
            b"emergency" | b"emerg" | b"panic" | b"0" => Severity::Emergency,
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
        // Folded on the stack: this runs for most entries.
        let mut folded = [0u8; 16];
        let alphanumeric = text.bytes().filter(u8::is_ascii_alphanumeric);
        let t = ascii_folded(alphanumeric, &mut folded)?;
        Some(match t {
            b"user" | b"human" | b"person" | b"member" => ActorType::User,
            b"serviceaccount" | b"service" | b"bot" | b"apikey" | b"token" | b"machine" => {
                ActorType::ServiceAccount
            }
            b"system" | b"internal" | b"scheduler" | b"cron" => ActorType::System,
            b"unknown" => ActorType::Unknown,
            _ => return None,
        })
    }
}

/// `bytes` lower-cased (ASCII) into `buf`; `None` when longer than `buf`,
/// which the callers size above their longest word.
fn ascii_folded(bytes: impl Iterator<Item = u8>, buf: &mut [u8; 16]) -> Option<&[u8]> {
    let mut len = 0;
    for b in bytes {
        *buf.get_mut(len)? = b.to_ascii_lowercase();
        len += 1;
    }
    Some(&buf[..len])
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
    /// Events the agent writes itself (`agent.checkpoint`, `alert.fire`).
    Agent,
}

/// What the agent adds. `seq` and `chain` (the hash-chain link, see
/// `crate::chain`) are assigned on the journal's writer thread at append
/// time.
///
/// `host`, `seq` and `chain` always describe the agent whose journal holds
/// the event *now*: `seq` is that journal's gap-free sequence (file sinks
/// resume from it, `verify` walks it), so an aggregator cannot keep the
/// origin's. The agents an event passed through before are kept, unchanged,
/// in `hops` (origin first): see [`AgentInfo::hand_over`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AgentInfo {
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// Earlier agents, origin first (only on events forwarded by an `http`
    /// sink with `encoding = "auditship"`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hops: Vec<AgentHop>,
}

/// One agent an event passed through before the current one: its
/// `agent.host`, `agent.seq` and `agent.chain` as it sent them, and the
/// address the next agent received the event from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AgentHop {
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// The sender's address as the next agent saw it (`ip:port`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
}

impl AgentInfo {
    /// The `agent` object of an event received from another agent by the
    /// agent on `host`: the sender's own `host`/`seq`/`chain` become the last
    /// hop (after the hops it already had), and `seq`/`chain` are left for
    /// this agent's journal to assign.
    pub fn hand_over(self, host: &str, addr: Option<String>) -> AgentInfo {
        let mut hops = self.hops;
        hops.push(AgentHop {
            host: self.host,
            seq: self.seq,
            chain: self.chain,
            addr,
        });
        AgentInfo {
            host: host.to_string(),
            seq: None,
            chain: None,
            hops,
        }
    }
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

/// Appends [`format_time`]`(t)` as a JSON string, without allocating: the
/// canonical writer runs this twice per event.
pub(crate) fn write_time_string(t: &DateTime<Utc>, out: &mut Vec<u8>) {
    use chrono::Timelike;
    let nanos = t.nanosecond();
    let secs = t.timestamp();
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    if nanos >= 1_000_000_000 || !(0..=9999).contains(&year) {
        // A leap second or a year chrono writes with a sign: rare.
        write_canonical_string(&format_time(t), out);
        return;
    }
    let second_of_day = secs.rem_euclid(86_400) as u32;
    // `"YYYY-MM-DDTHH:MM:SS.fffffffffZ"` at most: built on the stack,
    // copied once.
    let mut text = [0u8; 32];
    text[..21].copy_from_slice(b"\"0000-00-00T00:00:00.");
    put_digits(&mut text[1..5], year as u32);
    put_digits(&mut text[6..8], month);
    put_digits(&mut text[9..11], day);
    put_digits(&mut text[12..14], second_of_day / 3600);
    put_digits(&mut text[15..17], second_of_day / 60 % 60);
    put_digits(&mut text[18..20], second_of_day % 60);
    // AutoSi: as many fraction digits (3, 6 or 9) as the value needs.
    let mut len = 20;
    if nanos != 0 {
        let (fraction, width) = if nanos.is_multiple_of(1_000_000) {
            (nanos / 1_000_000, 3)
        } else if nanos.is_multiple_of(1_000) {
            (nanos / 1_000, 6)
        } else {
            (nanos, 9)
        };
        put_digits(&mut text[21..21 + width], fraction);
        len = 21 + width;
    }
    text[len..len + 2].copy_from_slice(b"Z\"");
    out.extend_from_slice(&text[..len + 2]);
}

/// Writes `value`'s last `slot.len()` decimal digits into `slot`.
fn put_digits(slot: &mut [u8], mut value: u32) {
    for digit in slot.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// (year, month, day) of a day counted from 1970-01-01 in the proleptic
/// Gregorian calendar (H. Hinnant's `civil_from_days`): a few divisions,
/// where asking chrono for year, month and day decodes the date three
/// times.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
                hops: Vec::new(),
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
    /// trailing newline: the canonical (RFC 8785) bytes plus `agent.chain`.
    ///
    /// Why canonical order: the hash chain covers the canonical form, so
    /// writing the line in that order lets the pipeline serialize each
    /// event once — the line is the hashed bytes with the link spliced in
    /// (`pipeline::EncodedEvent`). Readers must not depend on key order
    /// anyway; this one is simply sorted.
    pub fn to_json_line(&self, out: &mut Vec<u8>) {
        canonical::write(self, canonical::AgentFields::SeqAndChain, out);
    }

    /// The canonical bytes (RFC 8785 JCS) of the event without
    /// `agent.chain`: what the hash chain covers. Built the generic way
    /// (through a `serde_json::Value` tree, keys sorted there): the
    /// reference the fast writer is tested against.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut value = serde_json::to_value(self).expect("an AuditEvent always serializes");
        if let Some(agent) = value.get_mut("agent").and_then(Value::as_object_mut) {
            agent.remove("chain");
        }
        let mut out = Vec::with_capacity(512);
        write_canonical(&value, &mut out);
        out
    }

    /// Writes the canonical bytes of the event without `agent.seq` and
    /// `agent.chain`; returns where they go, so that splicing `"chain":"…",`
    /// and `,"seq":N` in gives [`to_json_line`](Self::to_json_line)'s bytes
    /// and splicing only the seq gives [`canonical_bytes`](Self::canonical_bytes)
    /// with `agent.seq = N`. Lets parse workers do the expensive part and
    /// the journal's writer thread only splice (see `pipeline::EncodedEvent`).
    pub fn write_canonical_without_seq(&self, out: &mut Vec<u8>) -> canonical::AgentSlots {
        canonical::write(self, canonical::AgentFields::Neither, out)
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_text::canonical_order;
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
    fn the_direct_canonical_writer_equals_the_generic_one_on_a_full_event() {
        let mut e = sample();
        e.time_inferred = false;
        e.category = Some("deployment".into());
        e.message = Some("a \"quoted\" \u{1}\n message — ünïcode 😀".into());
        e.actor = Actor {
            id: Some("u1".into()),
            name: Some("Al".into()),
            email: Some("a@x".into()),
            kind: ActorType::ServiceAccount,
            session_id: Some("s".into()),
            groups: vec!["g1".into(), "g\\2".into()],
            effective: Some(EffectiveIdentity {
                id: Some("root".into()),
                name: None,
            }),
            break_glass: Some(BreakGlass {
                session_id: Some("bg".into()),
                justification: Some("INC-1".into()),
            }),
        };
        e.source = Some(SourceEndpoint {
            ip: Some("10.0.0.1".into()),
            port: Some(443),
            user_agent: Some("ua".into()),
        });
        e.resource = Some(Resource {
            kind: Some("release".into()),
            id: Some("r".into()),
            name: Some("n".into()),
        });
        e.tenant = Some(IdRef { id: "t".into() });
        e.project = Some(IdRef { id: "p".into() });
        e.status = Some(StatusDetail {
            code: Some(json!(403)),
            detail: Some("denied".into()),
        });
        e.correlation
            .insert("\u{e000}".into(), "private use".into());
        e.correlation
            .insert("\u{1f600}".into(), "emoji sorts before it in UTF-16".into());
        e.details.insert(
            "nested".into(),
            json!({"b": [1.5, 1e30, null, true], "a": {"z": 1, "\u{e9}": "x"}}),
        );
        e.details.insert("\u{ff61}".into(), json!(-0.000001));
        e.details.insert("\u{10000}".into(), json!(u64::MAX));
        e.raw = Some("{\"raw\":1}".into());
        e.origin.peer = Some(json!({"uid": 0, "pid": 12}).as_object().unwrap().clone());
        e.parse_error = Some(ParseError {
            reason: "r".into(),
            parser: "json".into(),
            raw_base64: Some("AA==".into()),
        });
        for kind in [
            OriginKind::File,
            OriginKind::Unix,
            OriginKind::Syslog,
            OriginKind::Http,
            OriginKind::Stdin,
            OriginKind::Agent,
        ] {
            e.origin.kind = kind;
            let mut fast = Vec::new();
            let slots = e.write_canonical_without_seq(&mut fast);
            fast.splice(slots.seq..slots.seq, b",\"seq\":7".iter().copied());
            let mut with_seq = e.clone();
            with_seq.agent.seq = Some(7);
            assert_eq!(
                String::from_utf8(fast.clone()).unwrap(),
                String::from_utf8(with_seq.canonical_bytes()).unwrap()
            );
            // The JSON line is the same bytes with the link spliced in.
            fast.splice(
                slots.chain..slots.chain,
                b"\"chain\":\"ab\",".iter().copied(),
            );
            with_seq.agent.chain = Some("ab".into());
            let mut line = Vec::new();
            with_seq.to_json_line(&mut line);
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(line).unwrap()
            );
        }
        let mut minimal = Vec::new();
        sample().write_canonical_without_seq(&mut minimal);
        assert_eq!(minimal, sample().canonical_bytes());
    }

    proptest::proptest! {
        /// JCS escapes strings exactly as serde_json does; the word-at-a-time
        /// scan must find every byte to escape wherever it sits in a word.
        #[test]
        fn canonical_strings_escape_like_serde_json(
            s in proptest::string::string_regex("[a-z\"\\\\\u{0}-\u{1f}\u{7f}é€😀]{0,40}").unwrap()
        ) {
            let mut ours = Vec::new();
            write_canonical_string(&s, &mut ours);
            proptest::prop_assert_eq!(ours, serde_json::to_vec(&s).unwrap());
        }
    }

    proptest::proptest! {
        #[test]
        fn times_are_written_like_format_time(
            secs in -62_167_219_200i64..253_402_300_800,
            nanos in proptest::prop_oneof![
                proptest::strategy::Just(0u32),
                proptest::strategy::Strategy::prop_map(0u32..1000, |ms| ms * 1_000_000),
                proptest::strategy::Strategy::prop_map(0u32..1_000_000, |us| us * 1_000),
                0u32..2_000_000_000,
            ],
        ) {
            let t = match DateTime::from_timestamp(secs, nanos) {
                Some(t) => t,
                None => return Ok(()),
            };
            let mut ours = Vec::new();
            write_time_string(&t, &mut ours);
            proptest::prop_assert_eq!(ours, serde_json::to_vec(&format_time(&t)).unwrap());
        }
    }

    proptest::proptest! {
        /// `canonical_order` skips the UTF-16 sort when byte order is the
        /// same; for any keys (also with characters from U+E000 and above
        /// U+FFFF) the result must equal a full UTF-16 sort. Also fails if
        /// `serde_json::Map` ever stops being sorted (its `preserve_order`
        /// feature turned on by some dependency).
        #[test]
        fn canonical_order_is_utf16_order(
            keys in proptest::collection::vec(
                proptest::string::string_regex("[a-zA-Z_\u{e9}\u{e000}\u{fb01}\u{ff21}\u{1f600}\u{10437}]{0,4}").unwrap(),
                0..8,
            )
        ) {
            let map: Map<String, Value> = keys.iter().map(|k| (k.clone(), Value::Null)).collect();
            let ours: Vec<&String> = canonical_order(map.iter()).into_iter().map(|(k, _)| k).collect();
            let mut expected: Vec<&String> = map.keys().collect();
            expected.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            proptest::prop_assert_eq!(ours, expected);
        }
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

    #[test]
    fn hand_over_keeps_every_earlier_agent_origin_first() {
        let origin = AgentInfo {
            host: "web-1".into(),
            seq: Some(17),
            chain: Some("ab".into()),
            hops: Vec::new(),
        };
        let at_aggregator = origin.hand_over("agg-1", Some("10.0.0.5:40000".into()));
        assert_eq!(at_aggregator.host, "agg-1");
        assert_eq!(
            (at_aggregator.seq, at_aggregator.chain.as_deref()),
            (None, None)
        );
        let mut second = at_aggregator;
        second.seq = Some(3);
        let at_top = second.hand_over("agg-2", None);
        let hosts: Vec<_> = at_top.hops.iter().map(|h| h.host.as_str()).collect();
        assert_eq!(hosts, ["web-1", "agg-1"]);
        assert_eq!(at_top.hops[0].seq, Some(17));
        assert_eq!(at_top.hops[0].addr.as_deref(), Some("10.0.0.5:40000"));
        let json = serde_json::to_value(&at_top).unwrap();
        assert_eq!(
            json["hops"][1],
            serde_json::json!({"host": "agg-1", "seq": 3})
        );
    }
}
