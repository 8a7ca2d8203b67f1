//! The `k8s` format: Kubernetes API server audit events, one
//! `audit.k8s.io/v1` `Event` a line (the log backend's output; legacy
//! `v1beta1` fields such as `timestamp` are read too). Field meanings are
//! those of the API reference, "Audit (audit.k8s.io/v1)".
//!
//! Mapping:
//! - `id` ← `auditID`. The API server writes one line per *stage* of a
//!   request with the same `auditID`; so ids stay unique, stages other than
//!   `ResponseComplete` and `Panic` get `auditID:Stage`. Only the stages
//!   in the source's `k8s_stages` become events (default `ResponseComplete`
//!   and `Panic`, [`DEFAULT_K8S_STAGES`]); the lines of other stages are
//!   read and left out. An `EventList` (the webhook backend's body) gives
//!   one event per item.
//! - `time` ← `requestReceivedTimestamp` (when the request arrived), else
//!   `stageTimestamp`, else legacy `timestamp`, else
//!   `metadata.creationTimestamp`.
//! - `action` ← `resource[.subresource].verb` (`deployments.create`,
//!   `pods.exec.create`); without `objectRef`, `nonresource.verb` with the
//!   request URI as resource name.
//! - `actor` ← `user`: `uid` else `username` as id, `username` as name,
//!   `groups`; type `service_account` for `system:serviceaccount:*`,
//!   `system` for other `system:` identities (nodes, controllers) except
//!   `system:admin`/`system:anonymous`, `user` otherwise.
//!   `impersonatedUser` → `actor.effective`.
//! - `outcome` ← `responseStatus.code` (2xx/3xx success, 403 blocked, other
//!   4xx/5xx failure); annotation `authorization.k8s.io/decision=forbid` →
//!   blocked; no status (early stages) → unknown. `status` ← `{code,
//!   detail: message or reason}`.
//! - `source.ip` ← `sourceIPs[0]` (the rest stay in details),
//!   `source.user_agent` ← `userAgent`.
//! - `resource` ← `objectRef`: type `resource`, id `uid`, name `name`;
//!   `project.id` ← `objectRef.namespace`.
//! - `category` = `cluster`; everything else (level, stage, requestURI,
//!   annotations, request/response objects, the rest of `user`,
//!   `objectRef`, `responseStatus`) stays in `details` unchanged.

use serde_json::{Map, Value};

use super::entry_text::{finish_text_event, read_json_object};
use super::event_id::derived_item_id;
use super::k8s_top::{read_top_level, TopLevel};
use super::outcome::outcome_from_http_status;
use super::quarantine::quarantine_event;
use super::schema_fill::{effective_mut, insert_detail, resource_mut, set_source_ip, source_mut};
use super::time::parse_time_value;
use super::EntryContext;
use crate::event::{ActorType, AuditEvent, IdRef, Outcome, Severity, StatusDetail};

pub(crate) const PARSER_NAME: &str = "k8s";

/// The stages of a request the API server can log (`audit.k8s.io/v1`).
pub const K8S_STAGES: [&str; 4] = [
    "RequestReceived",
    "ResponseStarted",
    "ResponseComplete",
    "Panic",
];

/// The stages that become events unless the source's `k8s_stages` says
/// otherwise: the final ones, which carry the response and its outcome
/// (the earlier ones repeat the request without it).
pub const DEFAULT_K8S_STAGES: [&str; 2] = ["ResponseComplete", "Panic"];

/// Reads Kubernetes audit events. Built once per source.
#[derive(Debug, Clone)]
pub struct K8sParser {
    keep_raw: bool,
    /// Stages read into events by [`K8sParser::parse_into`]; an event
    /// without a `stage`, or with one not in [`K8S_STAGES`], is always
    /// read.
    stages: Vec<String>,
}

impl K8sParser {
    pub fn new(keep_raw: bool, stages: &[String]) -> K8sParser {
        K8sParser {
            keep_raw,
            stages: stages.to_vec(),
        }
    }

    /// Reads one entry: an `Event`, or an `EventList` (what the webhook
    /// backend posts) as one event per item. Events of a stage the source
    /// does not keep are left out: such an entry may give no event.
    pub fn parse_into(&self, entry: &[u8], ctx: &EntryContext<'_>, out: &mut Vec<AuditEvent>) {
        let body = entry.strip_prefix(b"\xef\xbb\xbf").unwrap_or(entry);
        let fast = std::str::from_utf8(body).ok().and_then(read_top_level);
        let (mut top, lossy) = match fast {
            Some(top) => (top, false),
            None => match read_json_object(entry) {
                Ok((object, lossy)) => (TopLevel::from_map(object), lossy),
                Err(reason) => return out.push(quarantine_event(entry, &reason, PARSER_NAME, ctx)),
            },
        };
        let is_list = top.rest.get("kind").and_then(Value::as_str) == Some("EventList");
        let items = match top.rest.remove("items") {
            Some(Value::Array(items)) if is_list => items,
            other => {
                if let Some(other) = other {
                    top.rest.insert("items".into(), other);
                }
                return self.push_kept(top, None, entry, ctx, lossy, out);
            }
        };
        let several = items.len() > 1;
        for (index, item) in items.into_iter().enumerate() {
            let index = several.then_some(index);
            match item {
                Value::Object(item) => {
                    self.push_kept(TopLevel::from_map(item), index, entry, ctx, lossy, out)
                }
                other => out.push(quarantine_event(
                    other.to_string().as_bytes(),
                    "EventList item is not an object",
                    PARSER_NAME,
                    ctx,
                )),
            }
        }
    }

    /// Reads one `Event` into `out` when its stage is kept; `index` is its
    /// place in an `EventList` (its id, when it has no `auditID`).
    fn push_kept(
        &self,
        top: TopLevel,
        index: Option<usize>,
        entry: &[u8],
        ctx: &EntryContext<'_>,
        lossy: bool,
        out: &mut Vec<AuditEvent>,
    ) {
        // Only a known stage the source does not keep is left out: an
        // event without a stage, or with one this agent does not know, is
        // read (what it cannot place it does not drop).
        let stage = top.rest.get("stage").and_then(Value::as_str);
        let left_out = |stage: &str| {
            K8S_STAGES.contains(&stage) && !self.stages.iter().any(|kept| kept == stage)
        };
        if stage.is_some_and(left_out) {
            return;
        }
        let mut event = ctx.new_event(PARSER_NAME);
        fill_event(&mut event, top);
        if event.id.is_empty() && index.is_some() {
            // One event of several: `finish_text_event` would give them all
            // the entry's id.
            event.id = derived_item_id(ctx.position_key, ctx.offset, entry, index);
        }
        out.push(finish_text_event(event, entry, ctx, self.keep_raw, lossy));
    }

    /// Reads one entry into one event, whatever its stage (`parse --format
    /// k8s` on a single line, and the `auto` format's one-event reading).
    pub fn parse(&self, entry: &[u8], ctx: &EntryContext<'_>) -> AuditEvent {
        // Valid UTF-8 JSON objects (nearly all) in one pass; anything else
        // through the general reader, which names the error.
        let body = entry.strip_prefix(b"\xef\xbb\xbf").unwrap_or(entry);
        let fast = std::str::from_utf8(body).ok().and_then(read_top_level);
        let (top, lossy) = match fast {
            Some(top) => (top, false),
            None => match read_json_object(entry) {
                Ok((object, lossy)) => (TopLevel::from_map(object), lossy),
                Err(reason) => return quarantine_event(entry, &reason, PARSER_NAME, ctx),
            },
        };
        let mut event = ctx.new_event(PARSER_NAME);
        fill_event(&mut event, top);
        finish_text_event(event, entry, ctx, self.keep_raw, lossy)
    }
}

fn take_str(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    slot_str(map.remove(key), map, key)
}

/// A member's non-empty string. An empty string is dropped; any other
/// value goes (back) to `rest` under `key`, for `details`.
fn slot_str(slot: Option<Value>, rest: &mut Map<String, Value>, key: &str) -> Option<String> {
    match slot {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(Value::String(_)) | None => None,
        Some(other) => {
            rest.insert(key.to_string(), other);
            None
        }
    }
}

/// A member's object; any other value goes (back) to `rest` under `key`.
fn slot_object(
    slot: Option<Value>,
    rest: &mut Map<String, Value>,
    key: &str,
) -> Option<Map<String, Value>> {
    match slot {
        Some(Value::Object(o)) => Some(o),
        Some(other) => {
            rest.insert(key.to_string(), other);
            None
        }
        None => None,
    }
}

/// Puts what is left of a nested object back in `details` when not empty.
fn keep_rest(details: &mut Map<String, Value>, key: &str, rest: Map<String, Value>) {
    if !rest.is_empty() {
        insert_detail(details, key, Value::Object(rest));
    }
}

fn fill_event(event: &mut AuditEvent, top: TopLevel) {
    let TopLevel {
        audit_id,
        verb,
        object_ref,
        user,
        impersonated_user,
        response_status,
        source_ips,
        user_agent,
        request_received,
        rest: mut o,
    } = top;
    let stage = o.get("stage").and_then(Value::as_str).map(str::to_string);
    if let Some(audit_id) = slot_str(audit_id, &mut o, "auditID") {
        event.id = match stage.as_deref() {
            None | Some("ResponseComplete" | "Panic") => audit_id.clone(),
            Some(stage) => format!("{audit_id}:{stage}"),
        };
        event.correlation.insert("request_id".into(), audit_id);
    }
    // `requestReceivedTimestamp` leaves `details` when it gives the time.
    match request_received.as_ref().and_then(parse_time_value) {
        Some(t) => {
            event.time = t;
            event.time_inferred = false;
        }
        None => {
            if let Some(value) = request_received {
                o.insert("requestReceivedTimestamp".into(), value);
            }
            for key in ["stageTimestamp", "timestamp"] {
                if let Some(t) = o.get(key).and_then(parse_time_value) {
                    event.time = t;
                    event.time_inferred = false;
                    break;
                }
            }
        }
    }
    if event.time_inferred {
        let created = o.get("metadata").and_then(|m| m.get("creationTimestamp"));
        if let Some(t) = created.and_then(parse_time_value) {
            event.time = t;
            event.time_inferred = false;
        }
    }

    let verb = slot_str(verb, &mut o, "verb").unwrap_or_else(|| "unknown".into());
    match slot_object(object_ref, &mut o, "objectRef") {
        Some(mut object_ref) => {
            let resource = take_str(&mut object_ref, "resource");
            let sub = take_str(&mut object_ref, "subresource");
            let mut action = resource.clone().unwrap_or_else(|| "unknown".into());
            if let Some(sub) = &sub {
                action = format!("{action}.{sub}");
            }
            event.action = format!("{action}.{verb}").to_ascii_lowercase();
            let r = resource_mut(event);
            r.kind = resource;
            r.id = take_str(&mut object_ref, "uid");
            r.name = take_str(&mut object_ref, "name");
            if let Some(sub) = sub {
                object_ref.insert("subresource".into(), sub.into());
            }
            if let Some(ns) = take_str(&mut object_ref, "namespace") {
                event.project = Some(IdRef { id: ns });
            }
            keep_rest(&mut event.details, "objectRef", object_ref);
        }
        None => {
            event.action = format!("nonresource.{verb}").to_ascii_lowercase();
            if let Some(uri) = o.get("requestURI").and_then(Value::as_str) {
                let r = resource_mut(event);
                r.kind = Some("url".into());
                r.name = Some(uri.split('?').next().unwrap_or(uri).to_string());
            }
        }
    }
    event.details.insert("verb".into(), verb.into());

    fill_actor(event, user, impersonated_user, &mut o);
    fill_outcome(event, response_status, &mut o);

    match source_ips {
        Some(Value::Array(mut ips)) if !ips.is_empty() => {
            if let Value::String(first) = &ips[0] {
                if set_source_ip(event, first) {
                    ips.remove(0);
                }
            }
            if !ips.is_empty() {
                event.details.insert("sourceIPs".into(), Value::Array(ips));
            }
        }
        Some(other) => {
            event.details.insert("sourceIPs".into(), other);
        }
        None => {}
    }
    if let Some(agent) = slot_str(user_agent, &mut o, "userAgent") {
        source_mut(event).user_agent = Some(agent);
    }
    event.category = Some("cluster".into());
    event.message = Some(message(event));
    merge_rest(&mut event.details, o);
}

/// Puts the fields no schema field took into `details`. Without a clash
/// (the usual case) the two sorted maps are merged in one pass; a clash
/// (`verb` that is not a string, …) takes [`insert_detail`]'s renaming, key
/// by key in order, exactly as it always did.
fn merge_rest(details: &mut Map<String, Value>, mut rest: Map<String, Value>) {
    if rest.keys().any(|key| details.contains_key(key)) {
        for (key, value) in rest {
            insert_detail(details, &key, value);
        }
    } else {
        details.append(&mut rest);
    }
}

fn actor_type(username: &str) -> ActorType {
    if username.starts_with("system:serviceaccount:") {
        ActorType::ServiceAccount
    } else if username.starts_with("system:")
        && !matches!(username, "system:admin" | "system:anonymous")
    {
        ActorType::System
    } else {
        ActorType::User
    }
}

fn fill_actor(
    event: &mut AuditEvent,
    user: Option<Value>,
    impersonated_user: Option<Value>,
    o: &mut Map<String, Value>,
) {
    if let Some(mut user) = slot_object(user, o, "user") {
        let name = take_str(&mut user, "username");
        let uid = take_str(&mut user, "uid");
        event.actor.kind = name.as_deref().map_or(ActorType::Unknown, actor_type);
        event.actor.id = uid.or_else(|| name.clone());
        event.actor.name = name;
        if let Some(Value::Array(groups)) = user.remove("groups") {
            event.actor.groups = groups
                .into_iter()
                .filter_map(|g| match g {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect();
        }
        keep_rest(&mut event.details, "user", user);
    } else {
        event.actor.kind = ActorType::System;
    }
    if let Some(mut imp) = slot_object(impersonated_user, o, "impersonatedUser") {
        let name = take_str(&mut imp, "username");
        let uid = take_str(&mut imp, "uid");
        let effective = effective_mut(event);
        effective.id = uid.or_else(|| name.clone());
        effective.name = name;
        keep_rest(&mut event.details, "impersonatedUser", imp);
    }
}

fn fill_outcome(
    event: &mut AuditEvent,
    response_status: Option<Value>,
    o: &mut Map<String, Value>,
) {
    if let Some(mut status) = slot_object(response_status, o, "responseStatus") {
        let code = status.remove("code");
        let message = take_str(&mut status, "message");
        let reason = take_str(&mut status, "reason");
        if let Some(code) = code.as_ref().and_then(Value::as_u64) {
            event.outcome = outcome_from_http_status(u16::try_from(code).unwrap_or(0));
        }
        if let Some(reason) = &reason {
            status.insert("reason".into(), reason.as_str().into());
        }
        event.status = Some(StatusDetail {
            code,
            detail: message.or(reason),
        });
        if status
            .get("metadata")
            .is_some_and(|m| m.as_object().is_some_and(Map::is_empty))
        {
            status.remove("metadata");
        }
        keep_rest(&mut event.details, "responseStatus", status);
    }
    let forbid = o
        .get("annotations")
        .and_then(|a| a.get("authorization.k8s.io/decision"))
        .and_then(Value::as_str)
        == Some("forbid");
    if forbid {
        event.outcome = Outcome::Blocked;
    }
    event.severity = Severity::default_for(event.outcome);
}

/// `system:admin (as bob) list pods in default: 403 Forbidden`.
fn message(event: &AuditEvent) -> String {
    let mut text = String::with_capacity(96);
    text.push_str(event.actor.name.as_deref().unwrap_or("anonymous"));
    if let Some(name) = event.actor.effective.as_ref().and_then(|e| e.name.as_ref()) {
        text.push_str(" (as ");
        text.push_str(name);
        text.push(')');
    }
    let verb = event
        .details
        .get("verb")
        .and_then(Value::as_str)
        .unwrap_or("");
    text.push(' ');
    text.push_str(verb);
    if let Some(r) = &event.resource {
        for part in [&r.kind, &r.name].into_iter().flatten() {
            text.push(' ');
            text.push_str(part);
        }
    }
    if let Some(ns) = &event.project {
        text.push_str(" in ");
        text.push_str(&ns.id);
    }
    if let Some(code) = event.status.as_ref().and_then(|s| s.code.as_ref()) {
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = write!(text, ": {code}");
    }
    text
}

#[cfg(test)]
#[path = "k8s_tests.rs"]
mod tests;
