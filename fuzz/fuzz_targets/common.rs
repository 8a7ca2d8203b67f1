//! What every parser target checks, shared by the `fuzz_targets/*.rs`
//! binaries (`mod common;` in each).
//!
//! The formats' contract (`src/formats/mod.rs`): a parser is total — any
//! bytes give at least one event, a quarantine event with a reason when
//! they cannot be read, never a panic (the one exception: a Kubernetes
//! event of a stage the source does not keep gives none, so the `k8s`
//! target keeps every stage and the `auto` target allows none). Beyond not panicking, each event
//! must be one the rest of the agent can carry:
//!
//! - it has a non-empty `id` and `action`, and a quarantine event says
//!   why (`parse_error.reason`);
//! - its JSON line (`to_json_line`, what the journal and the NDJSON sinks
//!   write) is JSON that reads back as an `AuditEvent`, as an aggregator's
//!   `http` source reads forwarded events;
//! - that line equals `canonical_bytes` (the generic RFC 8785 writer the
//!   fast one is held to), since the hash chain covers these bytes;
//! - the event read back writes the same line again, which is what
//!   `auditship verify` relies on when it re-hashes exported lines;
//! - `keep_raw = true` changes nothing but `raw`, which then holds the
//!   entry.
//!
//! Each entry is parsed with `keep_raw` off and on, so both paths are
//! fuzzed on every input.

use auditship::config::FormatConfig;
use auditship::event::{AuditEvent, OriginKind};
use auditship::formats::{AuditdGrouper, EntryContext, GroupedEntry, Parser};
use chrono::{TimeZone, Utc};

/// One format's parser twice: `keep_raw` off, as sources are configured
/// by default, and on.
pub struct Parsers {
    plain: Parser,
    keeping_raw: Parser,
    /// Whether an entry may give no event (`auto`: a k8s stage it drops).
    may_give_none: bool,
}

impl Parsers {
    pub fn new(format: &FormatConfig) -> Parsers {
        let build = |keep_raw| {
            Parser::from_config(format, keep_raw).expect("the fuzz targets' formats are valid")
        };
        Parsers {
            plain: build(false),
            keeping_raw: build(true),
            may_give_none: false,
        }
    }

    /// The same, for a format whose entries may give no event.
    #[allow(dead_code)] // each target compiles this module; only `auto` calls it
    pub fn allowing_no_event(self) -> Parsers {
        Parsers {
            may_give_none: true,
            ..self
        }
    }

    /// Parses one entry (found at `offset` of its file) with both parsers
    /// and checks every event; panics, which libFuzzer reports as a crash,
    /// on any broken promise.
    pub fn check_entry(&self, entry: &[u8], offset: u64) {
        let ctx = context(offset);
        let mut plain = Vec::new();
        self.plain.parse_into(entry, &ctx, &mut plain);
        assert!(
            self.may_give_none || !plain.is_empty(),
            "parse_into appended no event"
        );
        for event in &plain {
            check_event(event);
        }

        let mut keeping_raw = Vec::new();
        self.keeping_raw.parse_into(entry, &ctx, &mut keeping_raw);
        assert_eq!(
            plain.len(),
            keeping_raw.len(),
            "keep_raw changed the event count"
        );
        for (plain, mut kept) in plain.into_iter().zip(keeping_raw) {
            assert!(kept.raw.is_some(), "keep_raw = true but no raw: {kept:?}");
            kept.raw = plain.raw.clone();
            assert_eq!(plain, kept, "keep_raw changed more than `raw`");
        }
    }
}

/// Where the entries come from, as a file source would say (the values
/// of `benches/parsers.rs`).
fn context(offset: u64) -> EntryContext<'static> {
    EntryContext {
        origin_kind: OriginKind::File,
        path: Some("/var/log/fuzz/audit.log"),
        offset: Some(offset),
        position_key: "0000000000000801",
        host: "fuzz-host",
        ingest_time: Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
    }
}

fn check_event(event: &AuditEvent) {
    assert!(!event.id.is_empty(), "empty id: {event:?}");
    assert!(!event.action.is_empty(), "empty action: {event:?}");
    if let Some(error) = &event.parse_error {
        assert!(
            !error.reason.is_empty(),
            "quarantine without a reason: {event:?}"
        );
    }

    let mut line = Vec::new();
    event.to_json_line(&mut line);
    assert!(
        line == event.canonical_bytes(),
        "the direct canonical writer and the generic one disagree:\n{}\n{}",
        String::from_utf8_lossy(&line),
        String::from_utf8_lossy(&event.canonical_bytes()),
    );
    let back: AuditEvent = match serde_json::from_slice(&line) {
        Ok(back) => back,
        Err(e) => panic!(
            "{e}: the event's line does not read back: {}",
            String::from_utf8_lossy(&line)
        ),
    };
    let mut again = Vec::new();
    back.to_json_line(&mut again);
    assert!(
        line == again,
        "the event read back writes another line:\n{}\n{}",
        String::from_utf8_lossy(&line),
        String::from_utf8_lossy(&again),
    );
}

/// The entries a file source hands a grouping parser (`auditd`, `auto`):
/// `text` split into lines (without `\r\n`'s `\r`), joined by an
/// `AuditdGrouper` where they are the records of one auditd event.
#[allow(dead_code)] // each target compiles this module; the grouping ones call it
pub fn grouped_entries(text: &[u8]) -> Vec<GroupedEntry> {
    let mut grouper = AuditdGrouper::new();
    let mut entries = Vec::new();
    let mut offset = 0u64;
    for line in text.split(|b| *b == b'\n') {
        let line_offset = offset;
        offset += line.len() as u64 + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        grouper.push(line_offset, line, None, &mut entries);
    }
    entries.extend(grouper.take_open());
    entries
}
