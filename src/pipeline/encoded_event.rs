//! An event serialized once, off the journal's writer thread, with a slot
//! where `agent.seq` goes.
//!
//! Why: the journal assigns `agent.seq` at append time, on its single writer
//! thread. Serializing every event there would make that thread the
//! bottleneck, so parse workers serialize in parallel with `agent.seq`
//! absent and remember where the `agent` object closes; the writer then only
//! copies bytes and writes one number (`,"seq":N`) into the slot.
//!
//! Invariant: `write_with_seq(seq)` produces exactly the JSON that
//! serializing the event with `agent.seq = Some(seq)` would.

use crate::event::AuditEvent;

/// The JSON line of one event, minus its sequence number.
#[derive(Debug, Clone)]
pub struct EncodedEvent {
    bytes: Vec<u8>,
    /// Byte index of the `}` that closes the `agent` object.
    seq_slot: usize,
}

impl EncodedEvent {
    /// Serializes `event`, which must not carry a sequence number or chain
    /// link yet (they are the journal's to assign).
    pub fn encode(event: &AuditEvent) -> EncodedEvent {
        debug_assert!(event.agent.seq.is_none() && event.agent.chain.is_none());
        let mut bytes = Vec::with_capacity(768);
        event.to_json_line(&mut bytes);
        // The `agent` object is `{"host":"…"}` here. It is the last object
        // member before `ingest_time`, so the last occurrence of its exact
        // serialized form is the field itself: a nested copy inside
        // `details` would come earlier, and strings after it escape quotes.
        let mut needle = Vec::with_capacity(32 + event.agent.host.len());
        needle.extend_from_slice(b"\"agent\":{\"host\":");
        serde_json::to_writer(&mut needle, &event.agent.host).expect("a string serializes");
        let seq_slot = rfind(&bytes, &needle)
            .map(|at| at + needle.len())
            .expect("the serialized event contains its agent object");
        EncodedEvent { bytes, seq_slot }
    }

    /// Appends the event's JSON with `agent.seq = seq` to `out`.
    pub fn write_with_seq(&self, seq: u64, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes[..self.seq_slot]);
        out.extend_from_slice(b",\"seq\":");
        out.extend_from_slice(seq.to_string().as_bytes());
        out.extend_from_slice(&self.bytes[self.seq_slot..]);
    }

    /// Serialized length without the sequence number.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Last occurrence of `needle`. The agent object sits near the end of the
/// line, so scanning backwards for its first byte finds it in a few steps.
fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, _) = needle.split_first()?;
    if needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .filter(|&i| haystack[i] == first)
        .find(|&i| &haystack[i..i + needle.len()] == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Origin, OriginKind};
    use chrono::Utc;
    use serde_json::json;

    fn event(host: &str) -> AuditEvent {
        let mut e = AuditEvent::new(
            Origin {
                kind: OriginKind::File,
                format: "json".into(),
                path: Some("/x".into()),
                offset: Some(1),
                peer: None,
            },
            host,
            Utc::now(),
        );
        e.id = "1".into();
        e
    }

    fn expected(mut e: AuditEvent, seq: u64) -> Vec<u8> {
        e.agent.seq = Some(seq);
        let mut out = Vec::new();
        e.to_json_line(&mut out);
        out
    }

    #[test]
    fn splice_equals_serializing_with_the_seq() {
        let e = event("web-1");
        let mut out = Vec::new();
        EncodedEvent::encode(&e).write_with_seq(42, &mut out);
        assert_eq!(out, expected(e, 42));
    }

    #[test]
    fn a_lookalike_agent_object_in_details_is_not_the_slot() {
        let mut e = event("h\"1");
        e.details.insert("agent".into(), json!({"host": "h\"1"}));
        e.raw = Some(r#""agent":{"host":"h\"1"}"#.into());
        let mut out = Vec::new();
        EncodedEvent::encode(&e).write_with_seq(7, &mut out);
        assert_eq!(out, expected(e, 7));
    }

    #[test]
    fn the_slot_is_right_after_the_host_when_the_event_has_hops() {
        let mut e = event("agg-1");
        e.agent = crate::event::AgentInfo {
            host: "web-1".into(),
            seq: Some(9),
            chain: None,
            hops: Vec::new(),
        }
        .hand_over("agg-1", None);
        let mut out = Vec::new();
        EncodedEvent::encode(&e).write_with_seq(5, &mut out);
        assert_eq!(out, expected(e, 5));
    }
}
