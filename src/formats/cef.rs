//! The `cef` format: ArcSight Common Event Format records, bare
//! (`CEF:0|…`) or after a syslog header (`<134>Feb  5 17:32:18 host
//! CEF:0|…`, the way SIEM forwarders send them). Splitting and escaping
//! are in `cef_extension.rs`.
//!
//! Mapping (spec names in brackets; short or full key names accepted):
//! - `time` ← `rt` [deviceReceiptTime]: epoch milliseconds or `MMM dd yyyy
//!   HH:mm:ss[.SSS][ zone]`; else the syslog header's time.
//! - `action` ← `act` [deviceAction], else the Device Event Class ID when
//!   it is a word, else Name; lower case, spaces → `_`.
//! - `outcome` ← `outcome` [eventOutcome]; else a firewall `act` (`accept`,
//!   `allow`, `permit`, `bypass` → success; `drop`, `deny`, `block`,
//!   `reject`, `prevent` → blocked); else unknown.
//! - `actor` ← `suser`/`suid` [sourceUserName/sourceUserId]; when there is
//!   no source user, `duser`/`duid` (logon events name the account there);
//!   otherwise `duser` is the resource (`type = "user"`).
//! - `source` ← `src`/`spt` [sourceAddress/sourcePort], or a `c6a*`
//!   IPv6 field labelled as the source; `requestClientApplication` → user agent.
//! - `resource` ← `fname`/`filePath` (file) or `request` (url) when no user.
//! - `message` ← `msg`, else Name. `id` ← `externalId`, else derived.
//! - `severity` ← header Severity: 0–3 or `Low` → info, 4–6 `Medium` →
//!   warning, 7–8 `High` → error, 9–10 `Very-High` → critical; `Unknown`
//!   → the schema default for the outcome.
//! - Custom fields with labels (`cs1Label=seq cs1=0`) land in `details`
//!   under the label (`details.seq = "0"`); a label `tenant`/`tenantId`
//!   fills `tenant.id`, `project`/`projectId` fills `project.id`.
//! - `details.cef` ← the header fields; every other extension key →
//!   `details` under its own name.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::cef_extension::{parse_extension_borrowed, split_record, CefHeader};
use super::cef_values::{cef_severity, firewall_outcome, parse_cef_time};
use super::entry_text::{finish_text_event, EntryText};
use super::json_defaults::category_for_action;
use super::json_fields::normalize_action;
use super::outcome::outcome_from_word;
use super::quarantine::quarantine_event;
use super::schema_fill::{insert_detail, resource_mut, set_source_ip, set_source_port, source_mut};
use super::syslog::fill_from_header;
use super::syslog_header::parse_syslog;
use super::EntryContext;
use crate::event::{ActorType, AuditEvent, IdRef, Outcome, Severity};

pub(crate) const PARSER_NAME: &str = "cef";

/// Reads CEF records. Built once per source.
#[derive(Debug, Clone)]
pub struct CefParser {
    keep_raw: bool,
}

impl CefParser {
    pub fn new(keep_raw: bool) -> CefParser {
        CefParser { keep_raw }
    }

    pub fn parse(&self, entry: &[u8], ctx: &EntryContext<'_>) -> AuditEvent {
        let text = EntryText::new(entry);
        let line: &str = &text.text;
        // After a syslog header the MSG may start with the UTF-8 BOM
        // (RFC 5424 §6.4: senders add it before non-ASCII text).
        let start = if line.starts_with("CEF:") {
            Some(0)
        } else if let Some(i) = line.find(" \u{feff}CEF:") {
            Some(i + 1 + '\u{feff}'.len_utf8())
        } else {
            line.find(" CEF:").map(|i| i + 1)
        };
        let Some(start) = start else {
            return quarantine_event(entry, "invalid CEF: no `CEF:` prefix", PARSER_NAME, ctx);
        };
        let (header, extension) = match split_record(&line[start..]) {
            Ok(parts) => parts,
            Err(error) => return quarantine_event(entry, &error.to_string(), PARSER_NAME, ctx),
        };
        let mut event = ctx.new_event(PARSER_NAME);
        if start > 0 {
            let prefix = &line[..start];
            match parse_syslog(prefix, ctx.ingest_time) {
                Ok(syslog) => fill_from_header(&mut event, syslog, false),
                Err(_) => {
                    insert_detail(&mut event.details, "prefix", prefix.trim_end().into());
                }
            }
        }
        let pairs = parse_extension_borrowed(extension);
        fill_event(&mut event, header, pairs, ctx.ingest_time);
        finish_text_event(event, entry, ctx, self.keep_raw, text.lossy)
    }
}

/// The short name of a standard key written in full.
fn short_key(key: &str) -> &str {
    match key {
        "deviceReceiptTime" => "rt",
        "deviceAction" => "act",
        "eventOutcome" => "outcome",
        "sourceUserName" => "suser",
        "sourceUserId" => "suid",
        "destinationUserName" => "duser",
        "destinationUserId" => "duid",
        "sourceAddress" => "src",
        "sourcePort" => "spt",
        "message" => "msg",
        "fileName" => "fname",
        "requestUrl" => "request",
        other => other,
    }
}

fn fill_event(
    event: &mut AuditEvent,
    header: CefHeader,
    mut pairs: Vec<(&str, Cow<'_, str>)>,
    reference: DateTime<Utc>,
) {
    // Labels first, so custom fields can be named as they are read: (the
    // field a label names, the label); a repeated label's last value wins.
    // (Cloned: the loop below takes the values. A borrowed value's clone
    // copies no text.)
    let labels: Vec<(&str, Cow<'_, str>)> = pairs
        .iter()
        .filter_map(|(k, v)| Some((k.strip_suffix("Label")?, v.clone())))
        .collect();
    let label_for = |key: &str| {
        labels
            .iter()
            .rev()
            .find_map(|(base, label)| (*base == key).then_some(label.as_ref()))
    };
    // The standard fields, by short name, the first of each; borrowed
    // until a schema field or `details` takes them. A list, not a map:
    // there are a dozen at most, and most are taken.
    let mut std_fields: Vec<(&str, Cow<'_, str>)> = Vec::with_capacity(pairs.len());
    for i in 0..pairs.len() {
        let key = pairs[i].0;
        if let Some(base) = key.strip_suffix("Label") {
            if pairs.iter().any(|(k, _)| *k == base) {
                continue; // used to name its field
            }
        }
        let value = std::mem::take(&mut pairs[i].1);
        match label_for(key) {
            Some(label) => named_custom(event, label, &value),
            None => {
                let key = short_key(key);
                if std_fields.iter().any(|(k, _)| *k == key) {
                    insert_detail(&mut event.details, key, Value::String(value.into_owned()));
                } else {
                    std_fields.push((key, value));
                }
            }
        }
    }
    let mut take = |k: &str| {
        let at = std_fields.iter().position(|(key, _)| *key == k)?;
        let (_, value) = std_fields.swap_remove(at);
        (!value.is_empty()).then(|| value.into_owned())
    };

    if let Some(rt) = take("rt") {
        match parse_cef_time(&rt, reference) {
            Some(t) => {
                event.time = t;
                event.time_inferred = false;
            }
            None => insert_detail(&mut event.details, "rt", rt.into()),
        }
    }
    let act = take("act");
    event.action = match &act {
        Some(act) => normalize_action(act.clone()),
        None if header.signature_id.bytes().any(|b| b.is_ascii_alphabetic()) => {
            normalize_action(header.signature_id.clone())
        }
        None => normalize_action(header.name.clone()),
    };
    if let Some(act) = &act {
        event.details.insert("act".into(), act.as_str().into());
    }
    event.outcome = take("outcome")
        .and_then(|o| outcome_from_word(&o))
        .or_else(|| act.as_deref().and_then(firewall_outcome))
        .unwrap_or(Outcome::Unknown);

    let suser = take("suser");
    let suid = take("suid");
    let duser = take("duser");
    let duid = take("duid");
    if suser.is_some() || suid.is_some() {
        event.actor.id = suid.or_else(|| suser.clone());
        event.actor.name = suser;
        if duser.is_some() || duid.is_some() {
            let r = resource_mut(event);
            r.kind = Some("user".into());
            r.id = duid;
            r.name = duser;
        }
    } else if duser.is_some() || duid.is_some() {
        event.actor.id = duid.or_else(|| duser.clone());
        event.actor.name = duser;
    }
    event.actor.kind = if event.actor.id.is_some() {
        ActorType::User
    } else {
        ActorType::System
    };

    if let Some(src) = take("src") {
        if !set_source_ip(event, &src) {
            insert_detail(&mut event.details, "src", src.into());
        }
    }
    if let Some(spt) = take("spt") {
        if !set_source_port(event, &spt) {
            insert_detail(&mut event.details, "spt", spt.into());
        }
    }
    if let Some(agent) = take("requestClientApplication") {
        source_mut(event).user_agent = Some(agent);
    }
    if event.resource.is_none() {
        if let Some(file) = take("filePath").or_else(|| take("fname")) {
            let r = resource_mut(event);
            r.kind = Some("file".into());
            r.name = Some(file);
        } else if let Some(url) = take("request") {
            let r = resource_mut(event);
            r.kind = Some("url".into());
            r.name = Some(url);
        }
    }
    event.message = take("msg").or_else(|| (!header.name.is_empty()).then(|| header.name.clone()));
    if let Some(id) = take("externalId") {
        event.id = id;
    }

    event.severity = cef_severity(&header.severity).unwrap_or_else(|| {
        if event.details.contains_key("syslog") && event.outcome == Outcome::Unknown {
            event.severity
        } else {
            Severity::default_for(event.outcome)
        }
    });
    event.category = category_for_action(&event.action).map(str::to_string);
    // What no schema field took, in key order (as the map it once was).
    std_fields.sort_unstable_by_key(|(key, _)| *key);
    for (key, value) in std_fields {
        insert_detail(&mut event.details, key, Value::String(value.into_owned()));
    }
    let cef: Map<String, Value> = [
        ("version", header.version),
        ("device_vendor", header.device_vendor),
        ("device_product", header.device_product),
        ("device_version", header.device_version),
        ("signature_id", header.signature_id),
        ("name", header.name),
        ("severity", header.severity),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::String(v)))
    .collect();
    insert_detail(&mut event.details, "cef", Value::Object(cef));
}

/// A labelled custom field: the label names it, and a few labels name
/// schema fields.
fn named_custom(event: &mut AuditEvent, label: &str, value: &str) {
    let folded: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match folded.as_str() {
        "tenant" | "tenantid" if event.tenant.is_none() => {
            event.tenant = Some(IdRef { id: value.into() })
        }
        "project" | "projectid" if event.project.is_none() => {
            event.project = Some(IdRef { id: value.into() })
        }
        "sourceipv6address" if event.source.as_ref().is_none_or(|s| s.ip.is_none()) => {
            if !set_source_ip(event, value) {
                insert_detail(&mut event.details, label, value.into());
            }
        }
        _ => insert_detail(&mut event.details, label, value.into()),
    }
}

#[cfg(test)]
#[path = "cef_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "cef_equivalence_tests.rs"]
mod equivalence_tests;
