//! An event serialized once, off the journal's writer thread, with slots
//! where `agent.seq` and `agent.chain` go.
//!
//! Why: the journal assigns `agent.seq` at append time, on its single writer
//! thread, and the hash-chain link (`crate::chain`) depends on that seq and
//! on the previous link, so it too is made there. Serializing every event
//! there would make that thread the bottleneck, so parse workers serialize
//! in parallel — once: the JSON line is written in canonical (RFC 8785)
//! order, so the bytes the link covers and the line differ only by the
//! link itself. Parse workers write them with `agent.seq` and
//! `agent.chain` absent and remember where each goes; the writer then
//! hashes `prev ‖ seq ‖ canonical-with-seq` and copies bytes around two
//! short splices.
//!
//! Invariants: `write_with_seq(seq)` produces exactly the JSON that
//! serializing the event with `agent.seq = Some(seq)` would; `write_chained`
//! the JSON with `agent.seq` and `agent.chain` set, where `agent.chain` is
//! `chain::link(prev, seq, canonical bytes of the event with that seq)`.

use crate::buffer_pool::BufferPool;
use crate::chain::Link;
use crate::event::{AgentSlots, AuditEvent};

/// Buffers of [`EncodedEvents`], reused (see `buffer_pool`): enough for
/// the batches parsed and waiting for the journal.
static ENCODED_BUFFERS: BufferPool = BufferPool::new(16, 4 << 20);

/// First capacity of an event's buffer: most events fit (≈ 800 bytes), and
/// it stays under glibc's per-thread cache limit (1,032 bytes with the
/// chunk header): a 1,024-byte request goes to the shared arena, under its
/// lock, once per event.
const ENCODE_CAPACITY: usize = 1000;

/// The canonical form of one event, minus its sequence number and chain
/// link.
#[derive(Debug, Clone)]
pub struct EncodedEvent {
    /// Canonical bytes without `agent.seq`/`agent.chain`.
    bytes: Vec<u8>,
    slots: AgentSlots,
}

impl EncodedEvent {
    /// Serializes `event`, which must not carry a sequence number or chain
    /// link yet (they are the journal's to assign).
    pub fn encode(event: &AuditEvent) -> EncodedEvent {
        debug_assert!(event.agent.seq.is_none() && event.agent.chain.is_none());
        let mut bytes = Vec::with_capacity(ENCODE_CAPACITY);
        let slots = event.write_canonical_without_seq(&mut bytes);
        EncodedEvent { bytes, slots }
    }

    /// A borrowed view, what the journal record writer takes.
    pub fn as_ref(&self) -> EncodedRef<'_> {
        EncodedRef {
            bytes: &self.bytes,
            slots: self.slots,
        }
    }

    /// See [`EncodedRef::write_chained`].
    pub fn write_chained(&self, seq: u64, previous: &Link, out: &mut Vec<u8>) -> Link {
        self.as_ref().write_chained(seq, previous, out)
    }

    /// See [`EncodedRef::canonical_with_seq`].
    pub fn canonical_with_seq(&self, seq: u64) -> Vec<u8> {
        self.as_ref().canonical_with_seq(seq)
    }

    /// See [`EncodedRef::write_with_seq`].
    pub fn write_with_seq(&self, seq: u64, out: &mut Vec<u8>) {
        self.as_ref().write_with_seq(seq, out)
    }

    /// Length of the JSON line without the sequence number and link.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// The events of one batch serialized into one buffer.
///
/// Why: a buffer per event is allocated on a parse worker and freed on the
/// journal's writer thread, and glibc's allocator pays for every such
/// hand-over (the freed chunk leaves the worker's cache for the shared
/// arena, under its lock). One buffer per batch makes that once per few
/// hundred events.
#[derive(Debug, Clone, Default)]
pub struct EncodedEvents {
    bytes: Vec<u8>,
    /// Per event: where its bytes end in `bytes`, and its slots relative
    /// to its own start.
    ends: Vec<(usize, AgentSlots)>,
}

impl EncodedEvents {
    /// Room for `events` events of the usual size.
    pub fn with_capacity(events: usize) -> EncodedEvents {
        EncodedEvents {
            bytes: ENCODED_BUFFERS.take(events.saturating_mul(ENCODE_CAPACITY)),
            ends: Vec::with_capacity(events),
        }
    }

    /// Serializes `event` (no seq or link yet, as for
    /// [`EncodedEvent::encode`]) after the others; returns its length.
    pub fn push(&mut self, event: &AuditEvent) -> usize {
        debug_assert!(event.agent.seq.is_none() && event.agent.chain.is_none());
        let start = self.bytes.len();
        let slots = event.write_canonical_without_seq(&mut self.bytes);
        let relative = AgentSlots {
            chain: slots.chain - start,
            seq: slots.seq - start,
        };
        self.ends.push((self.bytes.len(), relative));
        self.bytes.len() - start
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The events in the order they were pushed.
    pub fn iter(&self) -> impl Iterator<Item = EncodedRef<'_>> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&(end, slots)| {
            let bytes = &self.bytes[start..end];
            start = end;
            EncodedRef { bytes, slots }
        })
    }
}

impl Drop for EncodedEvents {
    fn drop(&mut self) {
        ENCODED_BUFFERS.give_back(std::mem::take(&mut self.bytes));
    }
}

/// One event's canonical bytes without `agent.seq`/`agent.chain`, and
/// where they go: in an [`EncodedEvent`] or an [`EncodedEvents`] batch.
#[derive(Debug, Clone, Copy)]
pub struct EncodedRef<'a> {
    bytes: &'a [u8],
    slots: AgentSlots,
}

impl EncodedRef<'_> {
    /// Appends the event's JSON with `agent.seq = seq` and its chain link
    /// after `previous` to `out`; returns the new link. This is what every
    /// source calls on the journal's writer thread (through
    /// `journal_record::push_event`).
    pub fn write_chained(&self, seq: u64, previous: &Link, out: &mut Vec<u8>) -> Link {
        let mut digits = [0u8; 20];
        let digits = decimal(seq, &mut digits);
        let AgentSlots { chain, seq: seq_at } = self.slots;
        let link = {
            use sha2::{Digest, Sha256};
            // Same as `chain::link(previous, seq, canonical-with-seq)`,
            // without building the spliced canonical bytes.
            let mut hasher = Sha256::new();
            hasher.update(previous);
            hasher.update(seq.to_be_bytes());
            hasher.update(&self.bytes[..seq_at]);
            hasher.update(b",\"seq\":");
            hasher.update(digits);
            hasher.update(&self.bytes[seq_at..]);
            <[u8; 32]>::from(hasher.finalize())
        };
        let mut hex = [0u8; 64];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(link) {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 15)];
        }
        out.reserve(self.bytes.len() + 96);
        out.extend_from_slice(&self.bytes[..chain]);
        out.extend_from_slice(b"\"chain\":\"");
        out.extend_from_slice(&hex);
        out.extend_from_slice(b"\",");
        out.extend_from_slice(&self.bytes[chain..seq_at]);
        out.extend_from_slice(b",\"seq\":");
        out.extend_from_slice(digits);
        out.extend_from_slice(&self.bytes[seq_at..]);
        link
    }

    /// The canonical bytes with `agent.seq = seq` (what the link covers).
    pub fn canonical_with_seq(&self, seq: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bytes.len() + 30);
        self.write_with_seq(seq, &mut out);
        out
    }

    /// Appends the event's JSON with `agent.seq = seq` (and no link) to
    /// `out`.
    pub fn write_with_seq(&self, seq: u64, out: &mut Vec<u8>) {
        let mut digits = [0u8; 20];
        let seq_at = self.slots.seq;
        out.extend_from_slice(&self.bytes[..seq_at]);
        out.extend_from_slice(b",\"seq\":");
        out.extend_from_slice(decimal(seq, &mut digits));
        out.extend_from_slice(&self.bytes[seq_at..]);
    }

    /// Length of the JSON line without the sequence number and link.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// `n` in decimal, without allocating (this runs once per event on the
/// journal's writer thread).
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain;
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

    fn chained_expected(mut e: AuditEvent, seq: u64, previous: &Link) -> (Vec<u8>, Link) {
        e.agent.seq = Some(seq);
        let link = chain::link(previous, seq, &e.canonical_bytes());
        e.agent.chain = Some(chain::to_hex(&link));
        let mut out = Vec::new();
        e.to_json_line(&mut out);
        (out, link)
    }

    #[test]
    fn chained_splice_equals_serializing_with_seq_and_chain() {
        let e = event("web-1");
        let mut out = Vec::new();
        let link = EncodedEvent::encode(&e).write_chained(42, &[9; 32], &mut out);
        assert_eq!((out, link), chained_expected(e, 42, &[9; 32]));
    }

    #[test]
    fn the_slot_is_right_after_the_host_when_the_event_has_hops() {
        let mut e = event("agg-1");
        e.agent = crate::event::AgentInfo {
            host: "web-1".into(),
            seq: Some(9),
            chain: Some("ab".repeat(32)),
            hops: Vec::new(),
        }
        .hand_over("agg-1", Some("10.0.0.5:4000".into()));
        let encoded = EncodedEvent::encode(&e);
        let mut out = Vec::new();
        encoded.write_with_seq(5, &mut out);
        assert_eq!(out, expected(e.clone(), 5));
        let mut with_seq = e.clone();
        with_seq.agent.seq = Some(5);
        assert_eq!(encoded.canonical_with_seq(5), with_seq.canonical_bytes());
        let mut out = Vec::new();
        let link = encoded.write_chained(5, &[3; 32], &mut out);
        assert_eq!((out, link), chained_expected(e, 5, &[3; 32]));
    }

    #[test]
    fn a_batch_gives_each_event_as_encoding_it_alone_would() {
        let mut events = vec![event("a"), event("host-two"), event("h\"3")];
        events[1].message = Some("between the others".into());
        events[2].details.insert("k".into(), json!([1, 2]));
        let mut batch = EncodedEvents::with_capacity(1);
        for (i, e) in events.iter().enumerate() {
            assert_eq!(batch.push(e), EncodedEvent::encode(e).len(), "event {i}");
        }
        assert_eq!(batch.len(), 3);
        let mut link = chain::GENESIS;
        for (i, (r, e)) in batch.iter().zip(&events).enumerate() {
            let seq = 10 + i as u64;
            let (mut out, mut alone) = (Vec::new(), Vec::new());
            let own = EncodedEvent::encode(e);
            let expected_link = own.write_chained(seq, &link, &mut alone);
            link = r.write_chained(seq, &link, &mut out);
            assert_eq!((out, link), (alone, expected_link), "event {i}");
            assert_eq!(r.canonical_with_seq(seq), own.canonical_with_seq(seq));
        }
        assert_eq!(batch.iter().count(), 3);
    }

    proptest::proptest! {
        #[test]
        fn canonical_splice_equals_canonical_bytes_with_the_seq(
            host in "\\PC{0,12}",
            action in "\\PC{0,20}",
            message in proptest::option::of("\\PC{0,40}"),
            details in proptest::collection::btree_map("\\PC{0,8}", "\\PC{0,12}", 0..6),
            numbers in proptest::collection::vec(proptest::num::f64::NORMAL, 0..3),
            seq in proptest::num::u64::ANY,
        ) {
            let mut e = event(&host);
            e.action = action;
            e.message = message;
            for (k, v) in details {
                e.details.insert(k, json!(v));
            }
            for (i, n) in numbers.into_iter().enumerate() {
                e.details.insert(format!("n{i}"), json!(n));
            }
            // The JSON line travels through a file: what verify recomputes
            // from it must be what the agent hashed.
            let encoded = EncodedEvent::encode(&e);
            let mut with_seq = e.clone();
            with_seq.agent.seq = Some(seq);
            proptest::prop_assert_eq!(encoded.canonical_with_seq(seq), with_seq.canonical_bytes());
            let mut out = Vec::new();
            let link = encoded.write_chained(seq, &chain::GENESIS, &mut out);
            let (expected, expected_link) = chained_expected(e, seq, &chain::GENESIS);
            proptest::prop_assert_eq!(&out, &expected);
            proptest::prop_assert_eq!(link, expected_link);
            let reparsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
            let mut value = reparsed.clone();
            value["agent"].as_object_mut().unwrap().remove("chain");
            let mut canonical = Vec::new();
            crate::event::write_canonical(&value, &mut canonical);
            proptest::prop_assert_eq!(canonical, with_seq.canonical_bytes());
        }
    }
}
