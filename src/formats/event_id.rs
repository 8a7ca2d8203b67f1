//! Deterministic event ids for entries whose source gives none: re-reading
//! the same bytes at the same place yields the same id, so downstream
//! stores can drop duplicates after a replay.
//!
//! The id is the first 128 bits of SHA-256 over a domain tag, the stream's
//! position key and the entry's byte offset — or, when there is no offset
//! (stdin, sockets), the entry bytes themselves — as 32 lower-case hex
//! digits.

use sha2::{Digest, Sha256};

/// Length of a derived id in hex digits.
pub const DERIVED_ID_LEN: usize = 32;

/// The id of the entry at `offset` in the stream `position_key`, or of
/// `entry` when there is no offset.
pub fn derived_event_id(position_key: &str, offset: Option<u64>, entry: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"auditship event id v1\0");
    hasher.update(position_key.as_bytes());
    hasher.update([0]);
    match offset {
        Some(offset) => {
            hasher.update(b"offset\0");
            hasher.update(offset.to_be_bytes());
        }
        None => {
            hasher.update(b"bytes\0");
            hasher.update(entry);
        }
    }
    let digest = hasher.finalize();
    let mut id = String::with_capacity(DERIVED_ID_LEN);
    for byte in &digest[..DERIVED_ID_LEN / 2] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    id
}

/// The id of an entry's event, when the event has none of its own: as
/// [`derived_event_id`] for an entry holding one event, and with the
/// event's place (`index`) in the stream key for an entry holding several
/// (a CloudTrail `Records` file, a Kubernetes `EventList`), so that they
/// do not share one.
pub(crate) fn derived_item_id(
    position_key: &str,
    offset: Option<u64>,
    entry: &[u8],
    index: Option<usize>,
) -> String {
    match index {
        Some(index) => derived_event_id(&format!("{position_key}#{index}"), offset, entry),
        None => derived_event_id(position_key, offset, entry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_32_hex_digits() {
        let a = derived_event_id("f00d", Some(42), b"x");
        assert_eq!(a, derived_event_id("f00d", Some(42), b"other bytes"));
        assert_eq!(a.len(), DERIVED_ID_LEN);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn derived_ids_differ_by_stream_offset_and_bytes() {
        let a = derived_event_id("f00d", Some(42), b"");
        assert_ne!(a, derived_event_id("f00d", Some(43), b""));
        assert_ne!(a, derived_event_id("beef", Some(42), b""));
        assert_ne!(
            derived_event_id("stdin", None, b"a"),
            derived_event_id("stdin", None, b"b")
        );
    }
}
