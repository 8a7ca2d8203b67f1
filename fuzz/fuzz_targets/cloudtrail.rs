#![no_main]
//! Fuzzes the `cloudtrail` parser: CloudTrail entries: one record a line, or a whole `{"Records": […]}` file. Any bytes are one entry;
//! what is checked is in `common.rs`.

mod common;

use std::sync::LazyLock;

use auditship::config::FormatConfig;
use libfuzzer_sys::fuzz_target;

static PARSERS: LazyLock<common::Parsers> =
    LazyLock::new(|| common::Parsers::new(&FormatConfig::CloudTrail));

fuzz_target!(|entry: &[u8]| PARSERS.check_entry(entry, 0));
