#![no_main]
//! Fuzzes the `syslog` parser: RFC 5424 and RFC 3164 syslog lines. Any bytes are one entry;
//! what is checked is in `common.rs`.

mod common;

use std::sync::LazyLock;

use auditship::config::FormatConfig;
use libfuzzer_sys::fuzz_target;

static PARSERS: LazyLock<common::Parsers> =
    LazyLock::new(|| common::Parsers::new(&FormatConfig::Syslog));

fuzz_target!(|entry: &[u8]| PARSERS.check_entry(entry, 0));
