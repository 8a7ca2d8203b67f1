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
            // An IPv4 address that parses is already written as `Display`
            // writes it (the parser takes no leading zeros, no other
            // form): copied, not formatted again. IPv6 is normalized.
            let text = match ip {
                IpAddr::V4(_) => trimmed.to_string(),
                IpAddr::V6(_) => ip.to_string(),
            };
            source_mut(event).ip = Some(text);
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The text kept for `source.ip`: what `set_source_ip` stores.
    fn stored(text: &str) -> Option<String> {
        let mut event = AuditEvent::new(
            crate::event::Origin {
                kind: crate::event::OriginKind::Stdin,
                format: "test".into(),
                path: None,
                offset: None,
                peer: None,
            },
            "h",
            chrono::Utc::now(),
        );
        set_source_ip(&mut event, text).then(|| event.source.unwrap().ip.unwrap())
    }

    #[test]
    fn addresses_are_stored_normalized() {
        assert_eq!(stored(" 10.0.0.1 ").as_deref(), Some("10.0.0.1"));
        assert_eq!(stored("[::1]").as_deref(), Some("::1"));
        assert_eq!(stored("2001:DB8:0:0::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(stored("010.0.0.1"), None);
        assert_eq!(stored("ec2.amazonaws.com"), None);
    }

    proptest! {
        /// Copying an IPv4 address as written equals formatting it.
        #[test]
        fn ipv4_text_that_parses_is_its_display_form(text in "[0-9]{1,4}(\\.[0-9]{1,4}){3}") {
            if let Ok(ip) = text.parse::<IpAddr>() {
                prop_assert_eq!(stored(&text), Some(ip.to_string()));
            }
        }
    }
}
