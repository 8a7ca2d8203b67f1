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
use super::cloudtrail_top::{read_entry_top, EntryTop, RecordTop};
use super::entry_text::{finish_text_event, read_json_object};
use super::event_id::derived_item_id;
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
        // Valid UTF-8 JSON objects (nearly all) in one pass; anything else
        // through the general reader, which names the error.
        let body = entry.strip_prefix(b"\xef\xbb\xbf").unwrap_or(entry);
        let fast = std::str::from_utf8(body).ok().and_then(read_entry_top);
        let (top, lossy) = match fast {
            Some(top) => (top, false),
            None => match read_json_object(entry) {
                Ok((mut object, lossy)) => {
                    let records = object.remove("Records");
                    let record = RecordTop::from_map(object);
                    (EntryTop { records, record }, lossy)
                }
                Err(reason) => return out.push(quarantine_event(entry, &reason, PARSER_NAME, ctx)),
            },
        };
        let EntryTop {
            records,
            mut record,
        } = top;
        let records = match records {
            Some(Value::Array(records)) if record.event_time.is_none() => records,
            other => {
                // One record (its `Records`, if any, is one more member).
                if let Some(other) = other {
                    record.rest.insert("Records".into(), other);
                }
                return self.push_event(record, None, entry, ctx, lossy, out);
            }
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
            match record {
                Value::Object(record) => {
                    let index = several.then_some(index);
                    self.push_event(RecordTop::from_map(record), index, entry, ctx, lossy, out);
                }
                other => {
                    let text = other.to_string();
                    let reason = format!("record {index} is not a JSON object");
                    out.push(quarantine_event(text.as_bytes(), &reason, PARSER_NAME, ctx));
                }
            }
        }
    }

    /// Appends the event of one record; `index` is its place in a
    /// `Records` file of several, which a derived id must tell apart.
    fn push_event(
        &self,
        record: RecordTop,
        index: Option<usize>,
        entry: &[u8],
        ctx: &EntryContext<'_>,
        lossy: bool,
        out: &mut Vec<AuditEvent>,
    ) {
        let mut event = ctx.new_event(PARSER_NAME);
        fill_event(&mut event, record);
        if event.id.is_empty() {
            event.id = derived_item_id(ctx.position_key, ctx.offset, entry, index);
        }
        out.push(finish_text_event(event, entry, ctx, self.keep_raw, lossy));
    }
}

/// A member's non-empty string, taken for a schema field; any other value
/// (an empty string too) stays for `details`, in `kept`.
fn take_str(
    slot: Option<Value>,
    key: &'static str,
    kept: &mut Vec<(&'static str, Value)>,
) -> Option<String> {
    match slot {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(other) => {
            kept.push((key, other));
            None
        }
        None => None,
    }
}

/// Appends `StartInstances` as `start_instances`, `GetObjectACL` as
/// `get_object_acl`.
fn push_snake_case(out: &mut String, name: &str) {
    if !name.is_ascii() {
        return push_snake_case_chars(out, name);
    }
    // The same rules on bytes, without a list of chars (nearly every name).
    let bytes = name.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = bytes[i - 1];
            let next_lower = bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        if c == b' ' || c == b'-' {
            out.push('_');
        } else {
            out.push(char::from(c.to_ascii_lowercase()));
        }
    }
}

/// [`push_snake_case`] for any text: Unicode upper and lower case.
fn push_snake_case_chars(out: &mut String, name: &str) {
    let chars: Vec<char> = name.chars().collect();
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
}

/// `ec2.start_instances` from `ec2.amazonaws.com` and `StartInstances`, and
/// how long its service part is (0 without a source).
fn action_of(source: Option<&str>, name: Option<&str>) -> (String, usize) {
    let service = source.map(|s| s.strip_suffix(".amazonaws.com").unwrap_or(s));
    let capacity = service.map_or(0, str::len) + 1 + name.map_or(7, |n| n.len() + 4);
    let mut action = String::with_capacity(capacity);
    if let Some(service) = service {
        action.push_str(service);
        action.make_ascii_lowercase();
    }
    let service_len = action.len();
    match (service, name) {
        (Some(_), Some(name)) => {
            action.push('.');
            push_snake_case(&mut action, name);
        }
        (None, Some(name)) => push_snake_case(&mut action, name),
        (Some(_), None) => action.push_str(".unknown"),
        (None, None) => action.push_str("unknown"),
    }
    (action, service_len)
}

fn fill_event(event: &mut AuditEvent, top: RecordTop) {
    let RecordTop {
        event_id,
        event_time,
        error_code,
        error_message,
        user_identity,
        source_ip,
        user_agent,
        recipient_account_id,
        request_id,
        rest: mut r,
    } = top;
    // Members read for a schema field but not taken out of `details`
    // after all; put back at the end (`r` is borrowed until then).
    let mut kept = Vec::new();
    if let Some(id) = take_str(event_id, "eventID", &mut kept) {
        event.id = id;
    }
    if let Some(time) = event_time {
        match parse_time_value(&time) {
            Some(t) => {
                event.time = t;
                event.time_inferred = false;
            }
            None => kept.push(("eventTime", time)),
        }
    }
    let event_type = r.get("eventType").and_then(Value::as_str).unwrap_or("");
    let source = r.get("eventSource").and_then(Value::as_str);
    let name = r.get("eventName").and_then(Value::as_str);
    let (action, service_len) = action_of(source, name);
    event.category = match &action[..service_len] {
        "signin" => Some("auth".into()),
        "iam" | "sts" | "sso" | "identitystore" | "organizations" => Some("iam".into()),
        "cloudtrail" | "config" => Some("config".into()),
        _ => None,
    };
    event.action = if event_type == "AwsCloudTrailInsight" {
        "cloudtrail.insight".into()
    } else {
        action
    };

    let error_code = take_str(error_code, "errorCode", &mut kept);
    let error_message = take_str(error_message, "errorMessage", &mut kept);
    let console_login = r
        .get("responseElements")
        .and_then(|e| e.get("ConsoleLogin"))
        .and_then(Value::as_str);
    event.outcome = if let Some(code) = &error_code {
        let lower = code.to_ascii_lowercase();
        if lower.starts_with("accessdenied") || lower.contains("unauthorized") {
            Outcome::Blocked
        } else {
            Outcome::Failure
        }
    } else if let Some(login) = console_login {
        super::outcome::outcome_from_word(login).unwrap_or(Outcome::Unknown)
    } else if matches!(
        event_type,
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

    fill_actor(event, user_identity);
    match source_ip {
        Some(Value::String(ip)) if set_source_ip(event, &ip) => {}
        Some(other) => kept.push(("sourceIPAddress", other)),
        None => {}
    }
    if let Some(agent) = take_str(user_agent, "userAgent", &mut kept) {
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
    if let Some(account) = take_str(recipient_account_id, "recipientAccountId", &mut kept) {
        event.tenant = Some(IdRef { id: account });
    }
    if let Some(request) = take_str(request_id, "requestID", &mut kept) {
        event.correlation.insert("request_id".into(), request);
    }
    event.message = Some(message(event, source, name));
    for (key, value) in kept {
        r.insert(key.to_string(), value);
    }
    merge_rest(&mut event.details, r);
}

/// Puts the fields no schema field took into `details`. Without a clash
/// (the usual case) the two maps become one: the smaller one's entries
/// go into the larger (`details` holds at most `userIdentity` here), which
/// is kept; a clash takes [`insert_detail_owned`]'s renaming, key by key in
/// order.
fn merge_rest(details: &mut Map<String, Value>, mut rest: Map<String, Value>) {
    if details.keys().any(|key| rest.contains_key(key)) {
        for (key, value) in rest {
            insert_detail_owned(details, key, value);
        }
    } else {
        if details.len() > rest.len() {
            std::mem::swap(details, &mut rest);
        }
        for (key, value) in std::mem::take(details) {
            rest.insert(key, value);
        }
        *details = rest;
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
    let code = event
        .status
        .as_ref()
        .and_then(|s| s.code.as_ref())
        .map(|code| code.as_str().unwrap_or_default());
    let mut text = String::with_capacity(64);
    text.push_str(who);
    match (source, name) {
        (Some(source), Some(name)) => {
            for part in [" called ", source, " ", name] {
                text.push_str(part);
            }
        }
        _ => {
            text.push_str(": ");
            text.push_str(&event.action);
        }
    }
    if let Some(code) = code {
        for part in [" (failed: ", code, ")"] {
            text.push_str(part);
        }
    }
    text
}

#[cfg(test)]
#[path = "cloudtrail_tests.rs"]
mod tests;
