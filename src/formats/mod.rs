//! Formats: pure functions from one raw entry (the bytes of one line) to one
//! [`AuditEvent`].
//!
//! A [`Parser`] is built once per source from its [`FormatConfig`]
//! ([`Parser::from_config`]) and then called per entry with an
//! [`EntryContext`] that says where the entry came from.
//!
//! | file | role |
//! | --- | --- |
//! | `json.rs` | app JSON audit lines: defaults, `map` overrides, normalization |
//! | `json_member.rs` | one member value as read: strings borrowed, objects as their members |
//! | `json_normalize.rs` | reading a JSON object into candidate slots (`map` first, then defaults) |
//! | `json_fields.rs` | converting each collected JSON value to its schema field |
//! | `json_tests.rs` | unit tests of the `json` format |
//! | `json_stream_tests.rs` | the streaming reader against reading a whole `Value` first |
//! | `json_defaults.rs` | the table of source keys recognised without a `map` |
//! | `raw.rs` | any line kept as it is (`action = "log.line"`) |
//! | `logfmt.rs` | `key=value` lines with quoted values |
//! | `syslog.rs` | RFC 5424 and RFC 3164 lines, told apart per line (`syslog_header.rs`, `syslog_auth.rs`) |
//! | `cef.rs` | ArcSight CEF, bare or after a syslog header (`cef_extension.rs`, `cef_values.rs`) |
//! | `k8s.rs` | Kubernetes `audit.k8s.io/v1` `Event`s (`k8s_top.rs` reads the top level in one pass) |
//! | `cloudtrail.rs` | CloudTrail records, one a line or a `{"Records": […]}` file (`cloudtrail_identity.rs`) |
//! | `auditd.rs` | Linux audit events: the records of one event (`auditd_record.rs`, `auditd_actions.rs`) |
//! | `auditd_group.rs` | joins the records of one auditd event into one entry, before parsing |
//! | `entry_text.rs` | an entry as text (lossy UTF-8 flagged), the shared last step |
//! | `schema_fill.rs` | setters that create optional schema parents on first use |
//! | `time.rs` | every time form: RFC 3339 and relatives, epochs, RFC 3164, auditd |
//! | `outcome.rs` | outcome words and HTTP codes → [`Outcome`](crate::event::Outcome) |
//! | `field_lookup.rs` | case- and style-insensitive keys (`userId` = `user_id`), dotted paths |
//! | `quarantine.rs` | events for entries that cannot be parsed |
//! | `event_id.rs` | deterministic ids when the source has none |
//!
//! Invariants:
//! - No I/O, no clock reads, no logging: the same bytes and context give the
//!   same event.
//! - Total: [`Parser::parse`] never panics and never fails. An entry that
//!   cannot be parsed becomes a quarantine event (`parse_error = {reason,
//!   parser}`, `raw` holding the input), so nothing is ever dropped.
//! - Every event has a non-empty `id` and `action`.
//! - One entry gives one event, except a CloudTrail `{"Records": […]}`
//!   entry, which gives one per record: callers read entries with
//!   [`Parser::parse_into`]; [`Parser::parse`] is the one-event shortcut.

mod auditd;
mod auditd_actions;
mod auditd_group;
mod auditd_record;
mod auto;
mod cef;
mod cef_extension;
mod cef_values;
mod cloudtrail;
mod cloudtrail_identity;
mod cloudtrail_top;
mod entry_text;
mod event_id;
mod field_lookup;
mod json;
mod json_defaults;
mod json_fields;
mod json_member;
mod json_normalize;
#[cfg(test)]
mod json_stream_tests;
#[cfg(test)]
mod json_tests;
mod k8s;
mod k8s_top;
mod logfmt;
mod outcome;
mod quarantine;
mod raw;
mod schema_fill;
mod syslog;
mod syslog_auth;
mod syslog_header;
#[cfg(test)]
pub(crate) mod test_support;
pub mod time;
mod top_level_reader;

use chrono::{DateTime, Utc};

use crate::config::FormatConfig;
use crate::event::{AuditEvent, Origin, OriginKind};

pub use auditd::AuditdParser;
pub use auditd_group::{AuditdGrouper, GroupedEntry};
pub use auto::{detect_format, AutoParser, DetectedFormat};
pub use cef::CefParser;
pub use cloudtrail::CloudTrailParser;
pub use event_id::derived_event_id;
pub use field_lookup::{keys_match, SourcePath};
pub use json::{JsonParser, SchemaField};
pub use k8s::{K8sParser, DEFAULT_K8S_STAGES, K8S_STAGES};
pub use logfmt::LogfmtParser;
pub use outcome::{outcome_from_http_status, outcome_from_value, outcome_from_word};
pub use quarantine::{line_too_long_event, quarantine_event, RAW_PREFIX_LIMIT};
pub use raw::RawParser;
pub use syslog::SyslogParser;

/// Where one entry came from: everything a parser needs besides the bytes.
#[derive(Debug, Clone, Copy)]
pub struct EntryContext<'a> {
    pub origin_kind: OriginKind,
    /// File path, socket path or listen address → `origin.path`.
    pub path: Option<&'a str>,
    /// Byte offset of the entry in its file → `origin.offset`.
    pub offset: Option<u64>,
    /// Stable identity of the stream (file id hex, or `"stdin"`); with the
    /// offset it makes the derived event id.
    pub position_key: &'a str,
    /// The host or pod the agent runs on → `agent.host`.
    pub host: &'a str,
    pub ingest_time: DateTime<Utc>,
}

impl EntryContext<'_> {
    /// A fresh event for this entry, read by `format`, with every required
    /// field at its "unknown" value.
    pub(crate) fn new_event(&self, format: &str) -> AuditEvent {
        let origin = Origin {
            kind: self.origin_kind,
            format: format.to_string(),
            path: self.path.map(str::to_string),
            offset: self.offset,
            peer: None,
        };
        AuditEvent::new(origin, self.host, self.ingest_time)
    }
}

/// The parser of one source. The set is closed, so it is an enum.
#[derive(Debug, Clone)]
pub enum Parser {
    Json(JsonParser),
    Raw(RawParser),
    Logfmt(LogfmtParser),
    Syslog(SyslogParser),
    Cef(CefParser),
    K8s(K8sParser),
    CloudTrail(CloudTrailParser),
    Auditd(AuditdParser),
    Auto(AutoParser),
}

/// A format configuration that cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("unknown schema field `{field}` in format map{}", suggestion_text(.suggestion))]
    UnknownSchemaField {
        field: String,
        suggestion: Option<&'static str>,
    },
    #[error("empty source path for schema field `{field}` in format map")]
    EmptySourcePath { field: String },
}

fn suggestion_text(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

impl Parser {
    /// Builds the parser a source's `format` asks for; `keep_raw` puts the
    /// entry text in `raw` on every event.
    pub fn from_config(format: &FormatConfig, keep_raw: bool) -> Result<Parser, FormatError> {
        Ok(match format {
            FormatConfig::Json { map } => Parser::Json(JsonParser::new(map, keep_raw)?),
            FormatConfig::Raw => Parser::Raw(RawParser::new(keep_raw)),
            FormatConfig::Logfmt => Parser::Logfmt(LogfmtParser::new(keep_raw)),
            FormatConfig::Syslog => Parser::Syslog(SyslogParser::new(keep_raw)),
            FormatConfig::Cef => Parser::Cef(CefParser::new(keep_raw)),
            FormatConfig::K8s { stages } => Parser::K8s(K8sParser::new(keep_raw, stages)),
            FormatConfig::CloudTrail => Parser::CloudTrail(CloudTrailParser::new(keep_raw)),
            FormatConfig::Auditd => Parser::Auditd(AuditdParser::new(keep_raw)),
            FormatConfig::Auto => Parser::Auto(AutoParser::new(keep_raw)),
        })
    }

    /// The parser's name, written to `origin.format`: `"json"`, `"k8s"`…
    pub fn name(&self) -> &'static str {
        match self {
            Parser::Json(_) => json::PARSER_NAME,
            Parser::Raw(_) => raw::PARSER_NAME,
            Parser::Logfmt(_) => logfmt::PARSER_NAME,
            Parser::Syslog(_) => syslog::PARSER_NAME,
            Parser::Cef(_) => cef::PARSER_NAME,
            Parser::K8s(_) => k8s::PARSER_NAME,
            Parser::CloudTrail(_) => cloudtrail::PARSER_NAME,
            Parser::Auditd(_) => auditd::PARSER_NAME,
            Parser::Auto(_) => auto::PARSER_NAME,
        }
    }

    /// Whether entries must first be joined by an [`AuditdGrouper`]: the
    /// records of one auditd event arrive as several lines (with `auto`,
    /// lines that are no auditd record pass the grouper alone).
    pub fn groups_lines(&self) -> bool {
        matches!(self, Parser::Auditd(_) | Parser::Auto(_))
    }

    /// Reads one entry into one event. Never panics, never fails:
    /// unreadable entries become quarantine events. An entry holding
    /// several events (a CloudTrail `Records` file) becomes a quarantine
    /// event that keeps it whole: read such entries with
    /// [`Parser::parse_into`].
    pub fn parse(&self, entry: &[u8], ctx: &EntryContext<'_>) -> AuditEvent {
        match self {
            Parser::Json(p) => p.parse(entry, ctx),
            Parser::Raw(p) => p.parse(entry, ctx),
            Parser::Logfmt(p) => p.parse(entry, ctx),
            Parser::Syslog(p) => p.parse(entry, ctx),
            Parser::Cef(p) => p.parse(entry, ctx),
            Parser::K8s(p) => p.parse(entry, ctx),
            Parser::CloudTrail(p) => p.parse_one(entry, ctx),
            Parser::Auditd(p) => p.parse(entry, ctx),
            Parser::Auto(p) => p.parse(entry, ctx),
        }
    }

    /// Reads one entry, appending its events to `out` in source order: one
    /// event, or one per record of a CloudTrail `Records` file. Never
    /// panics; always appends at least one event.
    pub fn parse_into(&self, entry: &[u8], ctx: &EntryContext<'_>, out: &mut Vec<AuditEvent>) {
        match self {
            Parser::CloudTrail(p) => p.parse_into(entry, ctx, out),
            Parser::K8s(p) => p.parse_into(entry, ctx, out),
            Parser::Auto(p) => p.parse_into(entry, ctx, out),
            other => out.push(other.parse(entry, ctx)),
        }
    }
}
