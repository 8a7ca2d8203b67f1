#![no_main]
//! Fuzzes the `auto` format as the pipeline feeds it: the input is a
//! piece of a mixed log, split into lines that go through an
//! `AuditdGrouper` (auditd records of one event are joined, every other
//! line passes alone), then each entry is read by the format it looks
//! like; what is checked is in `common.rs`.

mod common;

use std::sync::LazyLock;

use auditship::config::FormatConfig;
use libfuzzer_sys::fuzz_target;

static PARSERS: LazyLock<common::Parsers> =
    LazyLock::new(|| common::Parsers::new(&FormatConfig::Auto).allowing_no_event());

fuzz_target!(|text: &[u8]| {
    for entry in common::grouped_entries(text) {
        PARSERS.check_entry(&entry.bytes, entry.offset);
    }
});
