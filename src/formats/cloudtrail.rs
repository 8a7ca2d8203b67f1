//! The `cloudtrail` format: AWS CloudTrail records ("CloudTrail record
//! contents" in the CloudTrail User Guide), one record a line (EventBridge,
//! CloudWatch Logs exports, `gen-audit`) or a whole delivered log file
//! `{"Records": [ … ]}` on one line (how CloudTrail writes to S3). A
//! `Records` entry yields one event per record, in order, through
//! [`Parser::parse_into`](super::Parser::parse_into).
//!
//! Mapping:
//! - `id` ← `eventID`; `time` ← `eventTime`; `tenant.id` ←
//!   `recipientAccountId`; `correlation.request_id` ← `requestID`.
//! - `action` ← `service.event_name`: `eventSource` without
//!   `.amazonaws.com`, `eventName` in snake case (`ec2.start_instances`,
//!   `signin.console_login`); an Insight event is `cloudtrail.insight`.
//! - `outcome` ← `errorCode`: `AccessDenied*`, `*UnauthorizedOperation`,
//!   `*Unauthorized*` → blocked (an authorization refusal, as HTTP 403),
//!   any other → failure; `responseElements.ConsoleLogin` for sign-ins;
//!   otherwise success for `AwsApiCall`/`AwsServiceEvent`/
//!   `AwsConsoleAction`, unknown for Insight events. `status` ←
//!   `{code: errorCode, detail: errorMessage}`.
//! - `actor` ← `userIdentity` (`cloudtrail_identity.rs`).
//! - `source.ip` ← `sourceIPAddress` when it is an address (it may name an
//!   AWS service, `ec2.amazonaws.com` or `AWS Internal`: then it stays in
//!   details); `source.user_agent` ← `userAgent`.
//! - `resource` ← the first of `resources`: type, `ARN` as id.
//! - Everything else (`awsRegion`, `requestParameters`,
//!   `responseElements`, `tlsDetails`, …) stays in `details` unchanged.
//!
//! A pretty-printed `Records` file spans many lines; the file tailer reads
//! lines, so such files must be compacted first (`jq -c`) — the fixture
//! test reads the whole file as one entry.

use serde_json::{Map, Value};

use super::cloudtrail_identity::fill_actor;
use super::entry_text::{finish_text_event, read_json_object};
use super::event_id::derived_event_id;
use super::quarantine::quarantine_event;
use super::schema_fill::{insert_detail_owned, resource_mut, set_source_ip, source_mut};
use super::time::parse_time_value;
use super::EntryContext;
use crate::event::{AuditEvent, IdRef, Outcome, Severity, StatusDetail};

pub(crate) const PARSER_NAME: &str = "cloudtrail";

/// Reads CloudTrail records. Built once per source.
#[derive(Debug, Clone)]
pub struct CloudTrailParser {
    keep_raw: bool,
}

impl CloudTrailParser {
    pub fn new(keep_raw: bool) -> CloudTrailParser {
        CloudTrailParser { keep_raw }
    }

    /// Reads an entry of one record; a `Records` entry of several records
    /// is kept whole in a quarantine event (use [`Self::parse_into`]).
    pub fn parse_one(&self, entry: &[u8], ctx: &EntryContext<'_>) -> AuditEvent {
        let mut out = Vec::with_capacity(1);
        self.parse_into(entry, ctx, &mut out);
        if out.len() == 1 {
            return out.pop().unwrap_or_else(|| ctx.new_event(PARSER_NAME));
        }
        let reason = format!(
            "entry holds {} CloudTrail records: read it with Parser::parse_into",
            out.len()
        );
        quarantine_event(entry, &reason, PARSER_NAME, ctx)
    }

    /// Reads an entry: one record, or a `{"Records": […]}` file giving one
    /// event per record. Always appends at least one event.
    pub fn parse_into(&self, entry: &[u8], ctx: &EntryContext<'_>, out: &mut Vec<AuditEvent>) {
        let (mut object, lossy) = match read_json_object(entry) {
            Ok(read) => read,
            Err(reason) => return out.push(quarantine_event(entry, &reason, PARSER_NAME, ctx)),
        };
        let records = match object.remove("Records") {
            Some(Value::Array(records)) if !object.contains_key("eventTime") => records,
            Some(other) => {
                object.insert("Records".into(), other);
                vec![Value::Object(object)]
            }
            None => vec![Value::Object(object)],
        };
        if records.is_empty() {
            out.push(quarantine_event(
                entry,
                "empty Records array",
                PARSER_NAME,
                ctx,
            ));
            return;
        }
        let several = records.len() > 1;
        for (index, record) in records.into_iter().enumerate() {
            let mut event = ctx.new_event(PARSER_NAME);
            match record {
                Value::Object(record) => fill_event(&mut event, record),
                other => {
                    let text = other.to_string();
                    let reason = format!("record {index} is not a JSON object");
                    out.push(quarantine_event(text.as_bytes(), &reason, PARSER_NAME, ctx));
                    continue;
                }
            }
            if event.id.is_empty() {
                event.id = if several {
                    let key = format!("{}#{index}", ctx.position_key);
                    derived_event_id(&key, ctx.offset, entry)
                } else {
                    derived_event_id(ctx.position_key, ctx.offset, entry)
                };
            }
            out.push(finish_text_event(event, entry, ctx, self.keep_raw, lossy));
        }
    }
}

/// Takes a non-empty string out of `map`; anything else stays.
fn take_str(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => match map.remove(key) {
            Some(Value::String(s)) => Some(s),
            _ => None, // just seen as a string
        },
        _ => None,
    }
}

/// `StartInstances` → `start_instances`, `GetObjectACL` → `get_object_acl`.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push('_');
            }
        }
        if c == ' ' || c == '-' {
            out.push('_');
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn fill_event(event: &mut AuditEvent, mut r: Map<String, Value>) {
    if let Some(id) = take_str(&mut r, "eventID") {
        event.id = id;
    }
    if let Some(t) = r.get("eventTime").and_then(parse_time_value) {
        event.time = t;
        event.time_inferred = false;
        r.remove("eventTime");
    }
    let event_type = r
        .get("eventType")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let source = r
        .get("eventSource")
        .and_then(Value::as_str)
        .map(str::to_string);
    let name = r
        .get("eventName")
        .and_then(Value::as_str)
        .map(str::to_string);
    let service = source.as_deref().map(|s| {
        s.strip_suffix(".amazonaws.com")
            .unwrap_or(s)
            .to_ascii_lowercase()
    });
    event.action = match (&service, &name) {
        _ if event_type == "AwsCloudTrailInsight" => "cloudtrail.insight".into(),
        (Some(service), Some(name)) => format!("{service}.{}", snake_case(name)),
        (None, Some(name)) => snake_case(name),
        (Some(service), None) => format!("{service}.unknown"),
        (None, None) => "unknown".into(),
    };
    event.category = match service.as_deref() {
        Some("signin") => Some("auth".into()),
        Some("iam" | "sts" | "sso" | "identitystore" | "organizations") => Some("iam".into()),
        Some("cloudtrail" | "config") => Some("config".into()),
        _ => None,
    };

    let error_code = take_str(&mut r, "errorCode");
    let error_message = take_str(&mut r, "errorMessage");
    let console_login = r
        .get("responseElements")
        .and_then(|e| e.get("ConsoleLogin"))
        .and_then(Value::as_str)
        .map(str::to_string);
    event.outcome = if let Some(code) = &error_code {
        let lower = code.to_ascii_lowercase();
        if lower.starts_with("accessdenied") || lower.contains("unauthorized") {
            Outcome::Blocked
        } else {
            Outcome::Failure
        }
    } else if let Some(login) = console_login {
        super::outcome::outcome_from_word(&login).unwrap_or(Outcome::Unknown)
    } else if matches!(
        event_type.as_str(),
        "AwsApiCall" | "AwsServiceEvent" | "AwsConsoleAction" | "AwsConsoleSignIn"
    ) {
        Outcome::Success
    } else {
        Outcome::Unknown
    };
    if error_code.is_some() || error_message.is_some() {
        event.status = Some(StatusDetail {
            code: error_code.map(Value::String),
            detail: error_message,
        });
    }
    event.severity = Severity::default_for(event.outcome);

    fill_actor(event, r.remove("userIdentity"));
    if let Some(ip) = r
        .get("sourceIPAddress")
        .and_then(Value::as_str)
        .map(str::to_string)
    {
        if set_source_ip(event, &ip) {
            r.remove("sourceIPAddress");
        }
    }
    if let Some(agent) = take_str(&mut r, "userAgent") {
        source_mut(event).user_agent = Some(agent);
    }
    if let Some(Value::Array(resources)) = r.get("resources") {
        if let Some(Value::Object(first)) = resources.first() {
            let kind = first
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_string);
            let arn = first.get("ARN").and_then(Value::as_str).map(str::to_string);
            let res = resource_mut(event);
            res.kind = kind;
            res.id = arn;
        }
    }
    if event.resource.is_none() && event_type == "AwsCloudTrailInsight" {
        let insight = r.get("insightDetails");
        let src = insight
            .and_then(|d| d.get("eventSource"))
            .and_then(Value::as_str);
        let api = insight
            .and_then(|d| d.get("eventName"))
            .and_then(Value::as_str);
        if let (Some(src), Some(api)) = (src, api) {
            let res = resource_mut(event);
            res.kind = Some("api".into());
            res.name = Some(format!("{src}/{api}"));
        }
    }
    if let Some(account) = take_str(&mut r, "recipientAccountId") {
        event.tenant = Some(IdRef { id: account });
    }
    if let Some(request) = take_str(&mut r, "requestID") {
        event.correlation.insert("request_id".into(), request);
    }
    event.message = Some(message(event, source.as_deref(), name.as_deref()));
    merge_rest(&mut event.details, r);
}

/// Puts the fields no schema field took into `details`. Without a clash
/// (the usual case) the two sorted maps are merged in one pass; a clash
/// takes [`insert_detail_owned`]'s renaming, key by key in order.
fn merge_rest(details: &mut Map<String, Value>, mut rest: Map<String, Value>) {
    if rest.keys().any(|key| details.contains_key(key)) {
        for (key, value) in rest {
            insert_detail_owned(details, key, value);
        }
    } else {
        details.append(&mut rest);
    }
}

/// `Mateo called ec2.amazonaws.com StartInstances`, `… failed: Code`.
fn message(event: &AuditEvent, source: Option<&str>, name: Option<&str>) -> String {
    let who = event
        .actor
        .name
        .as_deref()
        .or(event.actor.id.as_deref())
        .unwrap_or("AWS");
    let mut text = match (source, name) {
        (Some(source), Some(name)) => format!("{who} called {source} {name}"),
        _ => format!("{who}: {}", event.action),
    };
    if let Some(code) = event.status.as_ref().and_then(|s| s.code.as_ref()) {
        text.push_str(&format!(" (failed: {})", code.as_str().unwrap_or_default()));
    }
    text
}

#[cfg(test)]
#[path = "cloudtrail_tests.rs"]
mod tests;
