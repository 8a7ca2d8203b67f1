//! The CEF parser against the implementation it replaced (commit
//! 0d899cd: owned pairs, maps for labels and standard fields, char-by-char
//! splitting): the same events for generated records full of labels,
//! repeated keys, empty values and escapes.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value};

use super::super::cef_extension::{header_from, is_key_byte, CefError, CefHeader};
use super::super::cef_values::{cef_severity, firewall_outcome, parse_cef_time};
use super::super::entry_text::{finish_text_event, EntryText};
use super::super::json_defaults::category_for_action;
use super::super::json_fields::normalize_action;
use super::super::outcome::outcome_from_word;
use super::super::schema_fill::{
    insert_detail, resource_mut, set_source_ip, set_source_port, source_mut,
};
use super::{named_custom, short_key, CefParser, PARSER_NAME};
use crate::event::{ActorType, AuditEvent, OriginKind, Outcome, Severity};
use crate::formats::EntryContext;

fn ctx() -> EntryContext<'static> {
    EntryContext {
        origin_kind: OriginKind::File,
        path: Some("/var/log/cef.log"),
        offset: Some(7),
        position_key: "f00d",
        host: "h",
        ingest_time: Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
    }
}

/// The old parser, for bare records (`CEF:` at the start).
fn reference_parse(line: &str) -> AuditEvent {
    let ctx = ctx();
    let text = EntryText::new(line.as_bytes());
    let (header, extension) = match reference_split_record(&text.text) {
        Ok(parts) => parts,
        Err(_) => {
            return super::super::quarantine::quarantine_event(
                line.as_bytes(),
                "x",
                PARSER_NAME,
                &ctx,
            )
        }
    };
    let mut event = ctx.new_event(PARSER_NAME);
    reference_fill_event(
        &mut event,
        header,
        reference_parse_extension(extension),
        ctx.ingest_time,
    );
    finish_text_event(event, line.as_bytes(), &ctx, false, text.lossy)
}

fn reference_split_record(record: &str) -> Result<(CefHeader, &str), CefError> {
    let body = record.strip_prefix("CEF:").ok_or(CefError::NoPrefix)?;
    let mut fields: Vec<String> = Vec::with_capacity(7);
    let mut current = String::new();
    let mut chars = body.char_indices();
    let mut extension_start = None;
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e @ ('|' | '\\'))) => current.push(e),
                Some((_, other)) => {
                    current.push('\\');
                    current.push(other);
                }
                None => current.push('\\'),
            },
            '|' => {
                fields.push(std::mem::take(&mut current));
                if fields.len() == 7 {
                    extension_start = Some(at + 1);
                    break;
                }
            }
            c => current.push(c),
        }
    }
    let Some(start) = extension_start else {
        // Seven fields and no final `|` is a record without extension.
        if fields.len() == 6 {
            fields.push(current);
        } else {
            return Err(CefError::ShortHeader(fields.len()));
        }
        return Ok((header_from(fields), ""));
    };
    Ok((header_from(fields), &body[start..]))
}

fn reference_parse_extension(text: &str) -> Vec<(String, String)> {
    let bytes = text.as_bytes();
    // (key start, index of its `=`) for every key.
    let mut keys: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' => {
                let mut start = i;
                while start > 0 && is_key_byte(bytes[start - 1]) {
                    start -= 1;
                }
                let at_boundary = start == 0 || bytes[start - 1] == b' ';
                let after_previous = keys.last().is_none_or(|&(_, eq)| start > eq);
                if start < i && at_boundary && after_previous {
                    keys.push((start, i));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let mut pairs = Vec::with_capacity(keys.len());
    for (n, &(start, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(text.len(), |&(next, _)| next);
        let key = &text[start..eq];
        let raw = text[eq + 1..end].trim_end_matches(' ');
        pairs.push((key.to_string(), reference_unescape_value(raw)));
    }
    pairs
}

fn reference_unescape_value(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(e @ ('=' | '\\' | '|')) => out.push(e),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn reference_fill_event(
    event: &mut AuditEvent,
    header: CefHeader,
    pairs: Vec<(String, String)>,
    reference: DateTime<Utc>,
) {
    // Labels first, so custom fields can be named as they are read.
    let labels: Map<String, Value> = pairs
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.strip_suffix("Label")?.to_string(),
                Value::from(v.as_str()),
            ))
        })
        .collect();
    let mut std_fields: Map<String, Value> = Map::new();
    for (key, value) in &pairs {
        let key = key.as_str();
        if let Some(base) = key.strip_suffix("Label") {
            if pairs.iter().any(|(k, _)| k == base) {
                continue; // used to name its field
            }
        }
        match labels.get(key).and_then(Value::as_str) {
            Some(label) => named_custom(event, label, value),
            None => {
                let key = short_key(key);
                if std_fields.contains_key(key) {
                    insert_detail(&mut event.details, key, value.as_str().into());
                } else {
                    std_fields.insert(key.to_string(), value.as_str().into());
                }
            }
        }
    }
    let mut take = |k: &str| match std_fields.remove(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
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
    for (key, value) in std_fields {
        insert_detail(&mut event.details, &key, value);
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

fn record() -> impl Strategy<Value = String> {
    let header_field = prop_oneof![
        Just("Acme".to_string()),
        Just(r"Ven\|dor".to_string()),
        Just(r"a\\b".to_string()),
        Just(r"odd\x".to_string()),
        Just("login".to_string()),
        Just(String::new()),
        Just("100".to_string()),
    ];
    let key = prop_oneof![
        Just("act"),
        Just("deviceAction"),
        Just("outcome"),
        Just("suser"),
        Just("suid"),
        Just("duser"),
        Just("duid"),
        Just("src"),
        Just("spt"),
        Just("msg"),
        Just("rt"),
        Just("fname"),
        Just("request"),
        Just("externalId"),
        Just("cs1"),
        Just("cs1Label"),
        Just("cs2"),
        Just("cs2Label"),
        Just("cs2LabelLabel"),
        Just("requestClientApplication"),
        Just("c6a1"),
        Just("c6a1Label"),
        Just("other"),
        Just("text"),
    ];
    let value = prop_oneof![
        Just(String::new()),
        Just("alice".to_string()),
        Just("10.0.0.7".to_string()),
        Just("1774607415123".to_string()),
        Just("tenant".to_string()),
        Just("project".to_string()),
        Just("Source IPv6 Address".to_string()),
        Just("::1".to_string()),
        Just("two words".to_string()),
        Just(r"a\=b c\\d\ne".to_string()),
        Just("accept".to_string()),
        Just("x=y".to_string()),
    ];
    (
        prop::collection::vec(header_field, 6..=7),
        prop::collection::vec((key, value), 0..10),
    )
        .prop_map(|(header, pairs)| {
            let extension: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("CEF:{}|{}", header.join("|"), extension.join(" "))
        })
}

proptest! {
    #[test]
    fn same_events_as_the_replaced_implementation(line in record()) {
        let new = CefParser::new(false).parse(line.as_bytes(), &ctx());
        prop_assert_eq!(new, reference_parse(&line), "{}", line);
    }
}

#[test]
fn same_events_for_the_generated_and_sample_records() {
    let sample = include_str!("../../tests/fixtures/cef/tenzir_checkpoint.log");
    for line in sample.lines().filter(|l| !l.trim().is_empty()) {
        assert_eq!(
            CefParser::new(false).parse(line.as_bytes(), &ctx()),
            reference_parse(line),
            "{line}"
        );
    }
}
