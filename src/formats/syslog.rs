//! The `syslog` format: RFC 5424 and RFC 3164 (BSD) lines, told apart per
//! line (`syslog_header.rs`).
//!
//! Mapping:
//! - `time` ← TIMESTAMP (RFC 3164: year from the ingest time, rolled back
//!   when the date would be in the future; SCHEMA.md "Time").
//! - `severity` ← PRI % 8 (RFC 5424 §6.2.1), the sender's own level.
//! - Structured-data params (every element, in order) are read by the
//!   `json` format's default table, so `[audit@32473 action="user.login"
//!   user="alice" status="failure"]` fills action, actor and outcome; the
//!   rest lands in `details` under the param name.
//! - `message` ← MSG (unless a param named the message).
//! - Without an action from the params, common auth messages of `sshd`,
//!   `sudo`, `useradd`, `groupadd` are recognised (`syslog_auth.rs`);
//!   other lines get `action = "log.line"`.
//! - `details.syslog` ← `{facility, severity, hostname, app_name, proc_id,
//!   msg_id, sd_ids}` as present. The sender's HOSTNAME is not `agent.host`
//!   (that is the agent's own).
//!
//! A line that is not syslog (no PRI and no timestamp, broken structured
//! data) becomes a quarantine event with the reason.

use serde_json::{Map, Value};

use super::entry_text::{finish_text_event, EntryText};
use super::json::convert_object;
use super::json_defaults::category_for_action;
use super::quarantine::quarantine_event;
use super::schema_fill::insert_detail;
use super::syslog_auth;
use super::syslog_header::{facility_name, parse_syslog, SyslogHeader};
use super::EntryContext;
use crate::event::{ActorType, AuditEvent, Severity};

pub(crate) const PARSER_NAME: &str = "syslog";

/// Reads syslog lines. Built once per source.
#[derive(Debug, Clone)]
pub struct SyslogParser {
    keep_raw: bool,
}

impl SyslogParser {
    pub fn new(keep_raw: bool) -> SyslogParser {
        SyslogParser { keep_raw }
    }

    pub fn parse(&self, entry: &[u8], ctx: &EntryContext<'_>) -> AuditEvent {
        let text = EntryText::new(entry);
        let header = match parse_syslog(&text.text, ctx.ingest_time) {
            Ok(header) => header,
            Err(error) => return quarantine_event(entry, &error.to_string(), PARSER_NAME, ctx),
        };
        let mut event = ctx.new_event(PARSER_NAME);
        fill_from_header(&mut event, header, true);
        finish_text_event(event, entry, ctx, self.keep_raw, text.lossy)
    }
}

/// Fills `event` from a syslog header; `with_msg` when MSG is the event's
/// message (CEF passes false: its MSG is the CEF record).
pub(super) fn fill_from_header(event: &mut AuditEvent, header: SyslogHeader<'_>, with_msg: bool) {
    let mut params = Map::new();
    let mut sd_ids = Vec::new();
    for element in header.structured_data {
        for (name, value) in element.params {
            insert_detail(&mut params, &name, Value::String(value));
        }
        sd_ids.push(Value::String(element.id));
    }
    if !params.is_empty() || with_msg {
        convert_object(event, params);
    }
    if let Some(time) = header.time {
        event.time = time;
        event.time_inferred = false;
    }
    let msg = header.msg.trim_end();
    if with_msg && event.message.is_none() && !msg.is_empty() {
        event.message = Some(msg.to_string());
    }
    if with_msg && event.action == "unknown" {
        let app = header.app_name.unwrap_or_default();
        if syslog_auth::recognize(app, msg, event) {
            event.severity = Severity::default_for(event.outcome);
            if event.category.is_none() {
                event.category = category_for_action(&event.action).map(str::to_string);
            }
        } else {
            event.action = "log.line".into();
        }
    }
    if event.actor.id.is_none() && event.actor.kind == ActorType::Unknown {
        event.actor.kind = ActorType::System;
    }
    let mut syslog = Map::new();
    if let Some(pri) = header.pri {
        let severity = Severity::parse(&(pri % 8).to_string()).unwrap_or(Severity::Info);
        event.severity = severity;
        syslog.insert("facility".into(), facility_name(pri / 8).into());
        syslog.insert("severity".into(), severity.as_str().into());
    }
    for (key, value) in [
        ("hostname", header.hostname),
        ("app_name", header.app_name),
        ("proc_id", header.proc_id),
        ("msg_id", header.msg_id),
    ] {
        if let Some(value) = value {
            syslog.insert(key.into(), value.into());
        }
    }
    if !sd_ids.is_empty() {
        syslog.insert("sd_ids".into(), Value::Array(sd_ids));
    }
    if !syslog.is_empty() {
        insert_detail(&mut event.details, "syslog", Value::Object(syslog));
    }
}

#[cfg(test)]
#[path = "syslog_tests.rs"]
mod tests;
