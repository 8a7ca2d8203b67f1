//! Converting the values collected from one JSON object into schema fields
//! (the second half of `json_normalize.rs`): one function per field family,
//! each taking its slots and putting back what it cannot use.
//!
//! Invariant: every taken value either becomes (part of) a field or goes
//! back to `details` under its source key.

use std::net::{IpAddr, SocketAddr};

use serde_json::map::Entry;
use serde_json::{Map, Value};

use super::field_lookup::{take_folded_key, NormalizedKey};
use super::json_defaults::{category_for_action, correlation_name, Slot};
use super::json_member::Member;
use super::json_normalize::{insert_detail, Collected};
use super::outcome::{outcome_from_action, outcome_from_value, outcome_from_word};
use super::time::{parse_time_text, parse_time_value};
use crate::event::{
    ActorType, AuditEvent, BreakGlass, IdRef, Outcome, Resource, Severity, SourceEndpoint,
    StatusDetail,
};

/// True for a `status` value that is a code (`403`, `"403"`), not a word.
pub(super) fn is_status_code(value: &Member<'_>) -> bool {
    match value {
        Member::Other(Value::Number(_)) => true,
        Member::Str(s) => is_code_text(s),
        _ => false,
    }
}

fn is_code_text(s: &str) -> bool {
    !s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// False for an empty or white-space-only string; the first byte answers
/// for almost every value, without `trim`'s Unicode scan.
fn is_not_blank(s: &str) -> bool {
    match s.as_bytes().first() {
        // Printable ASCII but the space: never white space.
        Some(b'!'..=b'~') => true,
        Some(_) => !s.trim().is_empty(),
        None => false,
    }
}

/// A string (not blank) or a number as text; anything else is handed back.
fn into_text(value: Member<'_>) -> Result<String, Member<'_>> {
    match value {
        Member::Str(s) if is_not_blank(&s) => Ok(s.into_owned()),
        Member::Other(Value::Number(n)) => Ok(n.to_string()),
        other => Err(other),
    }
}

/// [`into_text`] of a value inside an object or array.
fn value_into_text(value: Value) -> Result<String, Value> {
    match value {
        Value::String(s) if is_not_blank(&s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(other),
    }
}

/// Like [`into_text`], also reading the first element of an array; a
/// longer array is handed back too, to stay whole in `details`.
fn into_first_text(value: Member<'_>) -> Result<(String, Option<Value>), Member<'_>> {
    match value {
        Member::Other(Value::Array(items)) if items.len() == 1 => {
            let item = items.into_iter().next().unwrap_or(Value::Null);
            value_into_text(item)
                .map(|t| (t, None))
                .map_err(|v| Member::Other(Value::Array(vec![v])))
        }
        Member::Other(Value::Array(items)) => match items.first() {
            Some(Value::String(first)) if !first.trim().is_empty() => {
                Ok((first.clone(), Some(Value::Array(items))))
            }
            _ => Err(Member::Other(Value::Array(items))),
        },
        other => into_text(other).map(|t| (t, None)),
    }
}

impl<'de> Collected<'de> {
    /// Takes `slot` as text; an unusable value goes back to `details`.
    fn take_text(&mut self, slot: Slot) -> Option<String> {
        let (key, value) = self.take(slot)?;
        match into_text(value) {
            Ok(text) => Some(text),
            Err(value) => {
                self.put_back(key, value);
                None
            }
        }
    }

    /// Takes `slot` as text, reading arrays by their first element.
    fn take_first_text(&mut self, slot: Slot) -> Option<String> {
        let (key, value) = self.take(slot)?;
        match into_first_text(value) {
            Ok((text, whole)) => {
                if let Some(whole) = whole {
                    self.put_back(key, whole);
                }
                Some(text)
            }
            Err(value) => {
                self.put_back(key, value);
                None
            }
        }
    }

    /// Offers a value to `f`; when `f` hands it back it goes to `details`.
    fn take_with<T>(
        &mut self,
        slot: Slot,
        f: impl FnOnce(Member<'de>) -> Result<T, Member<'de>>,
    ) -> Option<T> {
        let (key, value) = self.take(slot)?;
        match f(value) {
            Ok(t) => Some(t),
            Err(value) => {
                self.put_back(key, value);
                None
            }
        }
    }
}

/// Fills `event` from `c`, in dependency order (the outcome needs the
/// action, the severity the outcome, break glass the merged details).
pub(super) fn convert(event: &mut AuditEvent, mut c: Collected<'_>) {
    if let Some(id) = c.take_text(Slot::Id) {
        event.id = id;
    }
    if let Some(time) = c.take_with(Slot::Time, |v| time_from_member(&v).ok_or(v)) {
        event.time = time;
        event.time_inferred = false;
    }
    if let Some(action) = c.take_text(Slot::Action) {
        event.action = normalize_action(action);
    }
    convert_outcome(event, &mut c);
    let severity = c.take_with(Slot::Severity, |v| severity_from_value(&v).ok_or(v));
    event.category = c.take_first_text(Slot::Category);
    event.message = c.take_with(Slot::Message, |v| match v {
        Member::Str(s) => Ok(s.into_owned()),
        other => Err(other),
    });
    convert_actor(event, &mut c);
    convert_source(event, &mut c);
    convert_resource(event, &mut c);
    event.tenant = c.take_text(Slot::TenantId).map(|id| IdRef { id });
    event.project = c.take_text(Slot::ProjectId).map(|id| IdRef { id });
    convert_correlation(event, &mut c);
    merge_details(&mut c);
    convert_break_glass(event, &mut c);

    event.severity = severity.unwrap_or_else(|| Severity::default_for(event.outcome));
    if event.actor.break_glass.is_some() {
        event.severity = event.severity.max(Severity::Critical);
    }
    if event.category.is_none() {
        event.category = category_for_action(&event.action).map(str::to_string);
    }
    event.details = c.details;
}

/// Lower case, white space → `_`, dots kept; blank → `unknown`.
pub(super) fn normalize_action(mut text: String) -> String {
    let plain = text.bytes().all(|b| b.is_ascii_graphic());
    if plain && !text.is_empty() {
        // The common case, done in place.
        text.make_ascii_lowercase();
        return text;
    }
    let lower = text.trim().to_lowercase();
    let action = if lower.contains(char::is_whitespace) {
        lower.split_whitespace().collect::<Vec<_>>().join("_")
    } else {
        lower
    };
    if action.is_empty() {
        "unknown".to_string()
    } else {
        action
    }
}

fn severity_from_value(value: &Member<'_>) -> Option<Severity> {
    match value {
        Member::Str(s) => Severity::parse(s),
        Member::Other(Value::Number(n)) => Severity::parse(&n.to_string()),
        _ => None,
    }
}

fn time_from_member(value: &Member<'_>) -> Option<chrono::DateTime<chrono::Utc>> {
    match value {
        Member::Str(s) => parse_time_text(s),
        Member::Other(value) => parse_time_value(value),
        Member::Object(_) => None,
    }
}

/// [`outcome_from_value`] of a member.
fn outcome_from_member(value: &Member<'_>) -> Option<Outcome> {
    match value {
        Member::Str(s) => outcome_from_word(s),
        Member::Other(value) => outcome_from_value(value),
        Member::Object(_) => None,
    }
}

/// Outcome from the outcome slot, else the status code, else the action's
/// last word; the code goes to `status.code`, an unknown word to
/// `status.detail`.
fn convert_outcome(event: &mut AuditEvent, c: &mut Collected<'_>) {
    let mut status = StatusDetail::default();
    let mut code_outcome = None;
    if let Some(code) = c.take_with(Slot::StatusCode, |v| {
        if is_status_code(&v) {
            Ok(v)
        } else {
            Err(v)
        }
    }) {
        code_outcome = outcome_from_member(&code).or_else(|| match &code {
            Member::Str(s) => s
                .parse::<u64>()
                .ok()
                .and_then(|n| outcome_from_value(&Value::from(n))),
            _ => None,
        });
        status.code = Some(code.into_value());
    }
    let mut outcome = None;
    if let Some((key, value)) = c.take(Slot::Outcome) {
        match (outcome_from_member(&value), value) {
            (Some(found), value) => {
                outcome = Some(found);
                if let (Member::Other(number @ Value::Number(_)), None) = (value, &status.code) {
                    status.code = Some(number);
                }
            }
            (None, Member::Str(word)) if !word.trim().is_empty() => {
                status.detail = Some(word.into_owned());
            }
            (None, value) => c.put_back(key, value),
        }
    }
    if let Some(detail) = c.take_text(Slot::StatusDetail) {
        match status.detail {
            None => status.detail = Some(detail),
            Some(_) => c.put_back("status_detail".to_string(), Value::String(detail)),
        }
    }
    event.outcome = outcome
        .or(code_outcome)
        .or_else(|| outcome_from_action(&event.action))
        .unwrap_or(Outcome::Unknown);
    if status.code.is_some() || status.detail.is_some() {
        event.status = Some(status);
    }
}

fn convert_actor(event: &mut AuditEvent, c: &mut Collected<'_>) {
    let actor = &mut event.actor;
    actor.id = c.take_text(Slot::ActorId);
    actor.name = c.take_text(Slot::ActorName);
    actor.email = c.take_text(Slot::ActorEmail);
    actor.session_id = c.take_text(Slot::ActorSessionId);
    let mut kind = c.take_with(Slot::ActorType, |v| match &v {
        Member::Str(s) => ActorType::parse(s).ok_or(v),
        _ => Err(v),
    });
    if let Some(groups) = c.take_with(Slot::ActorGroups, |v| match v {
        Member::Str(s) if !s.trim().is_empty() => Ok(vec![s.into_owned()]),
        Member::Other(value) => into_groups(value).map_err(Member::Other),
        other => Err(other),
    }) {
        actor.groups = groups;
    }
    if let Some((key, Member::Object(inner))) = c.take(Slot::ActorObject) {
        let mut leftover = Map::new();
        for (member, value) in inner {
            let folded = NormalizedKey::new(&member);
            let target = match folded.as_ref().map(NormalizedKey::as_bytes) {
                Some(b"id" | b"userid" | b"uid") if actor.id.is_none() => &mut actor.id,
                Some(b"name" | b"username" | b"login" | b"displayname") if actor.name.is_none() => {
                    &mut actor.name
                }
                Some(b"email" | b"emailaddress" | b"mail") if actor.email.is_none() => {
                    &mut actor.email
                }
                Some(b"sessionid") if actor.session_id.is_none() => &mut actor.session_id,
                Some(b"type" | b"kind" | b"actortype") if kind.is_none() => {
                    match &value {
                        Value::String(s) if ActorType::parse(s).is_some() => {
                            kind = ActorType::parse(s);
                        }
                        _ => {
                            leftover.insert(member.into_owned(), value);
                        }
                    }
                    continue;
                }
                Some(b"roles" | b"groups") if actor.groups.is_empty() => {
                    match into_groups(value) {
                        Ok(groups) => actor.groups = groups,
                        Err(value) => {
                            leftover.insert(member.into_owned(), value);
                        }
                    }
                    continue;
                }
                _ => {
                    leftover.insert(member.into_owned(), value);
                    continue;
                }
            };
            match value_into_text(value) {
                Ok(text) => *target = Some(text),
                Err(value) => {
                    leftover.insert(member.into_owned(), value);
                }
            }
        }
        if !leftover.is_empty() {
            c.put_back(key, Value::Object(leftover));
        }
    }
    let named = actor.id.is_some() || actor.name.is_some() || actor.email.is_some();
    if actor.id.is_none() {
        actor.id = actor.name.clone().or_else(|| actor.email.clone());
    }
    actor.kind = kind.unwrap_or(if named {
        ActorType::Unknown
    } else {
        ActorType::System
    });
}

/// A list of strings, or one string, as groups.
fn into_groups(value: Value) -> Result<Vec<String>, Value> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Ok(vec![s]),
        Value::Array(items) if items.iter().all(Value::is_string) => Ok(items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect()),
        other => Err(other),
    }
}

fn convert_source(event: &mut AuditEvent, c: &mut Collected<'_>) {
    let mut source = SourceEndpoint::default();
    if let Some(text) = c.take_first_text(Slot::SourceIp) {
        let (ip, port) = split_ip_port(text);
        source.ip = Some(ip);
        source.port = port;
    }
    if let Some(port) = c.take_with(Slot::SourcePort, |v| port_from_value(&v).ok_or(v)) {
        source.port = Some(port);
    }
    source.user_agent = c.take_text(Slot::SourceUserAgent);
    if source.ip.is_some() || source.port.is_some() || source.user_agent.is_some() {
        event.source = Some(source);
    }
}

/// `10.0.0.1`, `::1` → no port; `10.0.0.1:80`, `[::1]:80` → with port;
/// anything else kept as written.
fn split_ip_port(text: String) -> (String, Option<u16>) {
    if text.parse::<IpAddr>().is_ok() {
        return (text, None);
    }
    match text.parse::<SocketAddr>() {
        Ok(addr) => (addr.ip().to_string(), Some(addr.port())),
        Err(_) => (text, None),
    }
}

fn port_from_value(value: &Member<'_>) -> Option<u16> {
    match value {
        Member::Other(Value::Number(n)) => u16::try_from(n.as_u64()?).ok(),
        Member::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `resource`/`target` (object or string id), then `resourceType`,
/// `resourceId`, `resourceName` for what is still missing.
fn convert_resource(event: &mut AuditEvent, c: &mut Collected<'_>) {
    let mut resource = Resource::default();
    match c.take(Slot::Resource) {
        Some((key, Member::Object(inner))) => {
            let mut leftover = Map::new();
            for (member, value) in inner {
                let folded = NormalizedKey::new(&member);
                let target = match folded.as_ref().map(NormalizedKey::as_bytes) {
                    Some(b"type" | b"kind" | b"resourcetype") if resource.kind.is_none() => {
                        &mut resource.kind
                    }
                    Some(b"id" | b"uid" | b"resourceid") if resource.id.is_none() => {
                        &mut resource.id
                    }
                    Some(b"name" | b"resourcename") if resource.name.is_none() => {
                        &mut resource.name
                    }
                    _ => {
                        leftover.insert(member.into_owned(), value);
                        continue;
                    }
                };
                match value_into_text(value) {
                    Ok(text) => *target = Some(text),
                    Err(value) => {
                        leftover.insert(member.into_owned(), value);
                    }
                }
            }
            if !leftover.is_empty() {
                c.put_back(key, Value::Object(leftover));
            }
        }
        Some((key, value)) => match into_text(value) {
            Ok(id) => resource.id = Some(id),
            Err(value) => c.put_back(key, value),
        },
        None => {}
    }
    for (slot, field) in [
        (Slot::ResourceType, &mut resource.kind),
        (Slot::ResourceId, &mut resource.id),
        (Slot::ResourceName, &mut resource.name),
    ] {
        if let Some((key, value)) = c.take(slot) {
            match (field.is_none(), into_text(value)) {
                (true, Ok(text)) => *field = Some(text),
                (_, Ok(text)) => c.put_back(key, Value::String(text)),
                (_, Err(value)) => c.put_back(key, value),
            }
        }
    }
    if resource.kind.is_some() || resource.id.is_some() || resource.name.is_some() {
        event.resource = Some(resource);
    }
}

/// Mapped `correlation.<name>` first, then the default four.
fn convert_correlation(event: &mut AuditEvent, c: &mut Collected<'_>) {
    for (name, key, value) in std::mem::take(&mut c.mapped_correlation) {
        match value_into_text(value) {
            Ok(text) if !event.correlation.contains_key(&name) => {
                event.correlation.insert(name, text);
            }
            Ok(text) => c.put_back(key, Value::String(text)),
            Err(value) => c.put_back(key, value),
        }
    }
    for slot in [
        Slot::GitCommitSha,
        Slot::RequestId,
        Slot::TraceId,
        Slot::ChangeId,
    ] {
        let Some(name) = correlation_name(slot) else {
            continue;
        };
        if let Some((key, value)) = c.take(slot) {
            match into_text(value) {
                Ok(text) if !event.correlation.contains_key(name) => {
                    event.correlation.insert(name.to_string(), text);
                }
                Ok(text) => c.put_back(key, Value::String(text)),
                Err(value) => c.put_back(key, value),
            }
        }
    }
}

/// Merges `details` / `metadata` / `changes` objects into `details`; a
/// member whose name is taken is kept as `container.member`.
fn merge_details(c: &mut Collected<'_>) {
    for (container, inner) in std::mem::take(&mut c.merges) {
        for (member, value) in inner {
            // One search when the name is free (the usual case).
            match c.details.entry(member.into_owned()) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(taken) => {
                    let renamed = format!("{container}.{}", taken.key());
                    insert_detail(&mut c.details, renamed, value);
                }
            }
        }
    }
}

/// `breakGlassSessionId` / `justification` in `details`, or an action
/// `break_glass.*` → `actor.break_glass`.
fn convert_break_glass(event: &mut AuditEvent, c: &mut Collected<'_>) {
    let mut take_text_detail = |folded_name: &[u8]| {
        let (key, value) = take_folded_key(&mut c.details, folded_name)?;
        match value_into_text(value) {
            Ok(text) => Some(text),
            Err(value) => {
                c.details.insert(key, value);
                None
            }
        }
    };
    let session_id = take_text_detail(b"breakglasssessionid");
    let justification = take_text_detail(b"justification");
    let by_action = event.action.starts_with("break_glass.");
    if session_id.is_some() || justification.is_some() || by_action {
        event.actor.break_glass = Some(BreakGlass {
            session_id,
            justification,
        });
    }
}
