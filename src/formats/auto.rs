//! The `auto` format: each entry is read by the format it looks like, for
//! sources that carry several (a syslog port that receives CEF from one
//! device and BSD syslog from another, a directory of mixed logs).
//!
//! Told apart by the entry's first bytes and a few markers, in this order:
//! - `{` (after a BOM and blanks): JSON — `k8s` (its default stages,
//!   `EventList`s split) when it holds both
//!   `audit.k8s.io/` and `"auditID"`, `cloudtrail` when it holds both
//!   `"eventVersion"` and `"eventSource"` or its first key is `"Records"`,
//!   else the app `json` format with its default field table;
//! - `type=` or `node=`: `auditd` (the source groups the records of one
//!   event first, as for `format = "auditd"`);
//! - `CEF:`, or a syslog header whose message starts with `CEF:`: `cef`;
//! - a syslog header (`<PRI>`, or an RFC 3164 timestamp as in files
//!   rsyslog writes): `syslog`;
//! - `key=value` as the first word: `logfmt`;
//! - anything else: `raw` (kept whole, never quarantined for its shape).
//!
//! Each event's `origin.format` names the format that read it. The
//! markers are a heuristic: a source known to hold one format should name
//! it, which also skips the detection.

use std::borrow::Cow;

use super::syslog_header::parse_syslog;
use super::{
    AuditdParser, CefParser, CloudTrailParser, EntryContext, JsonParser, K8sParser, LogfmtParser,
    RawParser, SyslogParser,
};
use crate::event::AuditEvent;

pub(crate) const PARSER_NAME: &str = "auto";

/// The k8s stages `auto` keeps: the `k8s` format's default.
fn default_k8s_stages() -> Vec<String> {
    super::DEFAULT_K8S_STAGES.map(str::to_string).to_vec()
}

/// The format an entry looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectedFormat {
    Json,
    K8s,
    CloudTrail,
    Auditd,
    Cef,
    Syslog,
    Logfmt,
    Raw,
}

/// Reads each entry with the parser of the format it looks like. Built
/// once per source.
#[derive(Debug, Clone)]
pub struct AutoParser {
    json: JsonParser,
    k8s: K8sParser,
    cloudtrail: CloudTrailParser,
    auditd: AuditdParser,
    cef: CefParser,
    syslog: SyslogParser,
    logfmt: LogfmtParser,
    raw: RawParser,
}

impl AutoParser {
    pub fn new(keep_raw: bool) -> AutoParser {
        AutoParser {
            json: JsonParser::new(&[], keep_raw).expect("an empty field map is always valid"),
            k8s: K8sParser::new(keep_raw, &default_k8s_stages()),
            cloudtrail: CloudTrailParser::new(keep_raw),
            auditd: AuditdParser::new(keep_raw),
            cef: CefParser::new(keep_raw),
            syslog: SyslogParser::new(keep_raw),
            logfmt: LogfmtParser::new(keep_raw),
            raw: RawParser::new(keep_raw),
        }
    }

    /// Reads one entry into one event (see [`super::Parser::parse`]).
    pub fn parse(&self, entry: &[u8], ctx: &EntryContext<'_>) -> AuditEvent {
        self.parse_as(detect_format(entry, ctx), entry, ctx)
    }

    /// Reads one entry, appending its events (several for a CloudTrail
    /// `Records` file or a Kubernetes `EventList`; none for a k8s stage
    /// the format does not keep).
    pub fn parse_into(&self, entry: &[u8], ctx: &EntryContext<'_>, out: &mut Vec<AuditEvent>) {
        match detect_format(entry, ctx) {
            DetectedFormat::CloudTrail => self.cloudtrail.parse_into(entry, ctx, out),
            DetectedFormat::K8s => self.k8s.parse_into(entry, ctx, out),
            detected => out.push(self.parse_as(detected, entry, ctx)),
        }
    }

    /// Reads one entry with the parser of `format`.
    fn parse_as(&self, format: DetectedFormat, entry: &[u8], ctx: &EntryContext<'_>) -> AuditEvent {
        match format {
            DetectedFormat::Json => self.json.parse(entry, ctx),
            DetectedFormat::K8s => self.k8s.parse(entry, ctx),
            DetectedFormat::CloudTrail => self.cloudtrail.parse_one(entry, ctx),
            DetectedFormat::Auditd => self.auditd.parse(entry, ctx),
            DetectedFormat::Cef => self.cef.parse(entry, ctx),
            DetectedFormat::Syslog => self.syslog.parse(entry, ctx),
            DetectedFormat::Logfmt => self.logfmt.parse(entry, ctx),
            DetectedFormat::Raw => self.raw.parse(entry, ctx),
        }
    }
}

/// The format `entry` looks like; see the module doc for the rules.
pub fn detect_format(entry: &[u8], ctx: &EntryContext<'_>) -> DetectedFormat {
    let body = entry.strip_prefix(b"\xef\xbb\xbf").unwrap_or(entry);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let body = &body[start..];
    if body.starts_with(b"{") {
        return json_kind(body);
    }
    if body.starts_with(b"type=") || body.starts_with(b"node=") {
        return DetectedFormat::Auditd;
    }
    if body.starts_with(b"CEF:") {
        return DetectedFormat::Cef;
    }
    let text: Cow<'_, str> = String::from_utf8_lossy(body);
    if let Ok(header) = parse_syslog(&text, ctx.ingest_time) {
        return if header.msg.trim_start().starts_with("CEF:") {
            DetectedFormat::Cef
        } else {
            DetectedFormat::Syslog
        };
    }
    if starts_with_pair(body) {
        return DetectedFormat::Logfmt;
    }
    DetectedFormat::Raw
}

/// Which JSON format an object is, by the markers each one always has.
fn json_kind(object: &[u8]) -> DetectedFormat {
    let has = |marker: &str| memchr::memmem::find(object, marker.as_bytes()).is_some();
    if has("audit.k8s.io/") && has("\"auditID\"") {
        return DetectedFormat::K8s;
    }
    let first_key = object[1..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &object[1 + i..]);
    let records_file = first_key.is_some_and(|rest| rest.starts_with(b"\"Records\""));
    if records_file || (has("\"eventVersion\"") && has("\"eventSource\"")) {
        return DetectedFormat::CloudTrail;
    }
    DetectedFormat::Json
}

/// Whether the first word is `key=…` with a logfmt key (a letter or `_`,
/// then letters, digits, `_`, `.`, `-`).
fn starts_with_pair(body: &[u8]) -> bool {
    let key_len = body
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
        .unwrap_or(body.len());
    key_len > 0
        && (body[0].is_ascii_alphabetic() || body[0] == b'_')
        && body.get(key_len) == Some(&b'=')
}

#[cfg(test)]
#[path = "auto_tests.rs"]
mod tests;
