#![no_main]
//! Fuzzes the `auto` format as the pipeline feeds it: the input is a
//! piece of a mixed log, split into lines that go through an
//! `AuditdGrouper` (auditd records of one event are joined, every other
//! line passes alone), then each entry is read by the format it looks
//! like; what is checked is in `common.rs`.

mod common;

use std::sync::LazyLock;

use auditship::config::FormatConfig;
use auditship::formats::{AuditdGrouper, GroupedEntry};
use libfuzzer_sys::fuzz_target;

static PARSERS: LazyLock<common::Parsers> =
    LazyLock::new(|| common::Parsers::new(&FormatConfig::Auto).allowing_no_event());

fuzz_target!(|text: &[u8]| {
    let mut grouper = AuditdGrouper::new();
    let mut entries: Vec<GroupedEntry> = Vec::new();
    let mut offset = 0u64;
    for line in text.split(|b| *b == b'\n') {
        let line_offset = offset;
        offset += line.len() as u64 + 1;
        // As the file source hands lines over: without `\r\n`'s `\r`.
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        grouper.push(line_offset, line, None, &mut entries);
    }
    entries.extend(grouper.take_open());
    for entry in &entries {
        PARSERS.check_entry(&entry.bytes, entry.offset);
    }
});
