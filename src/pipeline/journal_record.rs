//! The payload the pipeline stores in each journal record.
//!
//! The journal stores opaque bytes. The pipeline adds a small header so
//! that (1) each sink delivers only its `inputs` without parsing the event,
//! and (2) after a crash a file source knows how far its lines already
//! reached the journal, even when its checkpoint file is older — so lines
//! are not journaled twice (see `file_source`). Layout (version 1):
//!
//! ```text
//! u8  version = 1
//! u8  length of the source id (ids are at most 255 bytes)
//! ..  source id, UTF-8
//! u8  length of the file id (0: the record has no file position)
//! ..  file id (the tailer's fingerprint, as text)
//! u64 little-endian: end offset of the entry's line in that file
//!     (present only when the file id length is not 0)
//! ..  the event's JSON line (no trailing newline), `agent.seq` and
//!     `agent.chain` included
//! ```
//!
//! Every source journals its events with [`push_event`], which also chains
//! them (`crate::chain`); the journal resumes the chain at open from the
//! newest record through [`link_of_payload`].

use super::encoded_event::EncodedRef;
use crate::chain::Link;
use crate::journal::RecordWriter;

/// Current payload layout version.
const VERSION: u8 = 1;

/// Source id of the records the agent writes itself (checkpoints). Not a
/// valid configuration id, so it never collides with a source; every sink
/// delivers these records whatever its `inputs`.
pub const AGENT_SOURCE_ID: &str = "@agent";

/// Journals one event: header, then the JSON with `agent.seq` and the
/// chain link. Call it from the `journal.append` closure — on the writer
/// thread, in journal order — for every event of every source.
pub fn push_event(
    writer: &mut RecordWriter<'_>,
    source_id: &str,
    position: Option<FilePosition<'_>>,
    event: EncodedRef<'_>,
) -> u64 {
    writer.push_linked(|seq, previous, out| {
        write_header(source_id, position, out);
        event.write_chained(seq, previous, out)
    })
}

/// The `agent.chain` of a journaled event (for `JournalOptions`); `None`
/// for a payload of another layout or an event without a link.
pub fn link_of_payload(payload: &[u8]) -> Option<Link> {
    let view = decode(payload)?;
    let event: serde_json::Value = crate::json_bytes::from_json_bytes(view.event_json).ok()?;
    crate::chain::from_hex(event.get("agent")?.get("chain")?.as_str()?)
}

/// Where in its file an entry ended, for crash de-duplication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilePosition<'a> {
    pub file_id: &'a str,
    pub end_offset: u64,
}

/// Writes the header; the event JSON follows.
pub fn write_header(source_id: &str, position: Option<FilePosition<'_>>, out: &mut Vec<u8>) {
    out.push(VERSION);
    push_short(source_id.as_bytes(), out);
    match position {
        Some(p) if !p.file_id.is_empty() => {
            push_short(p.file_id.as_bytes(), out);
            out.extend_from_slice(&p.end_offset.to_le_bytes());
        }
        _ => out.push(0),
    }
}

fn push_short(bytes: &[u8], out: &mut Vec<u8>) {
    let len = bytes.len().min(u8::MAX as usize);
    out.push(len as u8);
    out.extend_from_slice(&bytes[..len]);
}

/// A decoded payload, borrowing the record's bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct RecordView<'a> {
    pub source_id: &'a str,
    pub position: Option<FilePosition<'a>>,
    pub event_json: &'a [u8],
}

/// Splits a payload into its parts; `None` when the payload is not of a
/// layout this version knows (the caller reports and skips it).
pub fn decode(payload: &[u8]) -> Option<RecordView<'_>> {
    let (&version, rest) = payload.split_first()?;
    if version != VERSION {
        return None;
    }
    let (source_id, rest) = take_short(rest)?;
    let source_id = std::str::from_utf8(source_id).ok()?;
    let (file_id, mut rest) = take_short(rest)?;
    let position = if file_id.is_empty() {
        None
    } else {
        let offset: [u8; 8] = rest.get(..8)?.try_into().ok()?;
        rest = &rest[8..];
        Some(FilePosition {
            file_id: std::str::from_utf8(file_id).ok()?,
            end_offset: u64::from_le_bytes(offset),
        })
    };
    Some(RecordView {
        source_id,
        position,
        event_json: rest,
    })
}

fn take_short(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&len, rest) = bytes.split_first()?;
    let len = len as usize;
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_with_and_without_a_position() {
        for position in [
            None,
            Some(FilePosition {
                file_id: "ab12",
                end_offset: 1 << 40,
            }),
        ] {
            let mut out = Vec::new();
            write_header("app", position, &mut out);
            out.extend_from_slice(b"{\"a\":1}");
            assert_eq!(
                decode(&out),
                Some(RecordView {
                    source_id: "app",
                    position,
                    event_json: b"{\"a\":1}"
                })
            );
        }
    }

    #[test]
    fn foreign_or_short_payloads_are_refused() {
        assert_eq!(decode(b""), None);
        assert_eq!(decode(&[2, 0, 0]), None);
        assert_eq!(decode(&[1, 5, b'a']), None);
        assert_eq!(decode(&[1, 1, 0xff, 0]), None);
        assert_eq!(decode(&[1, 1, b'a', 2, b'f', b'f', 1, 2]), None);
    }
}
