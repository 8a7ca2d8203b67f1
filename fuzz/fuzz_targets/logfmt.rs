#![no_main]
//! Fuzzes the `logfmt` parser: `key=value` lines (logfmt). Any bytes are one entry;
//! what is checked is in `common.rs`.

mod common;

use std::sync::LazyLock;

use auditship::config::FormatConfig;
use libfuzzer_sys::fuzz_target;

static PARSERS: LazyLock<common::Parsers> =
    LazyLock::new(|| common::Parsers::new(&FormatConfig::Logfmt));

fuzz_target!(|entry: &[u8]| PARSERS.check_entry(entry, 0));
