#![no_main]
//! Fuzzes the `auditd` parser as the pipeline feeds it: the input is a
//! piece of `audit.log`, split into lines that go through an
//! `AuditdGrouper` (which joins the records of one event), then each
//! grouped entry is parsed; what is checked is in `common.rs`.

mod common;

use std::sync::LazyLock;

use auditship::config::FormatConfig;
use libfuzzer_sys::fuzz_target;

static PARSERS: LazyLock<common::Parsers> =
    LazyLock::new(|| common::Parsers::new(&FormatConfig::Auditd));

fuzz_target!(|text: &[u8]| {
    for entry in common::grouped_entries(text) {
        PARSERS.check_entry(&entry.bytes, entry.offset);
    }
});
