//! Small setters the non-JSON formats share to fill schema fields: each
//! creates the optional parent (`source`, `resource`, `actor.effective`) on
//! first use, so absent parents stay absent (SCHEMA.md: "absent optional
//! fields are omitted").

use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::event::{AuditEvent, EffectiveIdentity, Resource, SourceEndpoint};

pub(super) fn source_mut(event: &mut AuditEvent) -> &mut SourceEndpoint {
    event.source.get_or_insert_with(SourceEndpoint::default)
}

pub(super) fn resource_mut(event: &mut AuditEvent) -> &mut Resource {
    event.resource.get_or_insert_with(Resource::default)
}

pub(super) fn effective_mut(event: &mut AuditEvent) -> &mut EffectiveIdentity {
    event
        .actor
        .effective
        .get_or_insert_with(EffectiveIdentity::default)
}

/// Sets `source.ip` when `text` is an IPv4/IPv6 address (`[v6]` brackets
/// allowed); returns false, leaving the event unchanged, otherwise.
pub(super) fn set_source_ip(event: &mut AuditEvent, text: &str) -> bool {
    let trimmed = text.trim().trim_start_matches('[').trim_end_matches(']');
    match trimmed.parse::<IpAddr>() {
        Ok(ip) => {
            source_mut(event).ip = Some(ip.to_string());
            true
        }
        Err(_) => false,
    }
}

/// Sets `source.port` from decimal text; false when it is not a port.
pub(super) fn set_source_port(event: &mut AuditEvent, text: &str) -> bool {
    match text.trim().parse::<u16>() {
        Ok(port) => {
            source_mut(event).port = Some(port);
            true
        }
        Err(_) => false,
    }
}

/// Inserts into `details` without overwriting: a taken key gets `_`
/// appended until free (the `json` format's rule).
pub(super) fn insert_detail(details: &mut Map<String, Value>, key: &str, value: Value) {
    insert_detail_owned(details, key.to_string(), value);
}

/// [`insert_detail`] for a key the caller already owns: no copy, and one
/// search of the map when the key is free (the usual case).
pub(super) fn insert_detail_owned(details: &mut Map<String, Value>, key: String, value: Value) {
    use serde_json::map::Entry;
    let mut key = match details.entry(key) {
        Entry::Vacant(slot) => {
            slot.insert(value);
            return;
        }
        Entry::Occupied(taken) => taken.key().clone(),
    };
    while details.contains_key(&key) {
        key.push('_');
    }
    details.insert(key, value);
}
